//! Insight: the suppression list, per-host and per-sender breakdowns,
//! `--host`, the unclassified reply groups and `--mask`.

use std::collections::BTreeSet;

use predicates::prelude::*;

use crate::common::*;

#[test]
fn suppression_list_holds_exactly_the_truths_hard_recipients() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--size",
            "4M",
            "--seed",
            "51",
            "--bounce-rate",
            "0.08",
            "--expire-rate",
            "0.02",
        ],
    );
    let out = bounce_report().arg("suppress").arg(&log).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "address",
            "domain",
            "cause",
            "count",
            "first_seen",
            "last_seen",
            "last_reply"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().unwrap();
    let addresses: BTreeSet<String> = rows.iter().map(|r| r[0].to_lowercase()).collect();
    assert_eq!(addresses.len(), rows.len(), "an address is listed twice");
    assert_eq!(rows.len() as u64, n(&truth["distinct_hard_recipients"]));
    for r in &rows {
        assert!(
            [
                "user_unknown",
                "host_unknown",
                "not_accept",
                "has_moved",
                "suspend"
            ]
            .contains(&&r[2]),
            "{r:?}"
        );
        assert!(r[4] <= r[5], "first seen after last seen: {r:?}");
        assert!(r[3].parse::<u64>().unwrap() >= 1);
    }
    // --min-count and --causes tune it.
    let out = bounce_report()
        .args(["suppress", "--min-count", "2"])
        .arg(&log)
        .output()
        .unwrap();
    let twice = csv::Reader::from_reader(&out.stdout[..]).records().count();
    let want = rows.iter().filter(|r| r[3].parse::<u64>().unwrap() >= 2).count();
    assert_eq!(twice, want);
    let out = bounce_report()
        .args(["suppress", "--causes", "user_unknown,mailbox_full"])
        .arg(&log)
        .output()
        .unwrap();
    let causes: BTreeSet<String> = csv::Reader::from_reader(&out.stdout[..])
        .records()
        .map(|r| r.unwrap()[2].to_string())
        .collect();
    assert!(
        causes.contains("mailbox_full") && !causes.contains("suspend"),
        "{causes:?}"
    );
}

#[test]
fn hosts_split_and_filter_the_report() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "mail.log",
        &[
            "--size",
            "3M",
            "--seed",
            "52",
            "--hosts",
            "3",
            "--timestamps",
            "rfc3339",
        ],
    );
    let all = json(&["-f", "json", &log.to_string_lossy()]);
    let hosts = all["by_host"].as_array().unwrap();
    assert_eq!(hosts.len(), 3, "{hosts:?}");
    let mut sum = [0u64; 4];
    for h in hosts {
        let name = h["host"].as_str().unwrap();
        let one = json(&["-f", "json", "--host", name, &log.to_string_lossy()]);
        for (i, s) in ["sent", "bounced", "deferred", "expired"].iter().enumerate() {
            assert_eq!(one["totals"][s], h[s], "--host {name} {s}");
            sum[i] += n(&one["totals"][s]);
        }
    }
    for (i, s) in ["sent", "bounced", "deferred", "expired"].iter().enumerate() {
        assert_eq!(sum[i], n(&truth["totals"][s]), "{s} over the hosts");
    }
    let text = bounce_report().args(["--by", "host"]).arg(&log).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("Hosts (top 3 of 3"));
}

#[test]
fn senders_add_up_to_their_domains() {
    let report = json(&["-f", "json", &fixture("maillog").to_string_lossy()]);
    let mut per_domain = std::collections::BTreeMap::<String, u64>::new();
    for s in report["by_sender"].as_array().unwrap() {
        let address = s["sender"].as_str().unwrap();
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d).to_string();
        *per_domain.entry(domain).or_default() += n(&s["bounced"]) + n(&s["deferred"]);
    }
    for d in report["by_sender_domain"].as_array().unwrap() {
        let name = d["domain"].as_str().unwrap_or("").to_string();
        assert_eq!(
            per_domain.get(&name).copied().unwrap_or(0),
            n(&d["bounced"]) + n(&d["deferred"]),
            "{name}"
        );
    }
    bounce_report()
        .args(["--by", "sender"])
        .arg(fixture("maillog"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Senders (top"));
}

#[test]
fn unclassified_replies_group_into_the_templates_that_made_them() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Texts no rule knows, each with the generator's placeholders.
    let templates = [
        "host {mx}[{ip}] said: 550 zorblax quuxed the frobnicator for <{rcpt}> ({n})",
        "host {mx}[{ip}] said: 554 gleep glorp {domain} wibble {n} wobble",
        "host {mx}[{ip}] said: 451 plonk the snark of {local} at {myip}, ref {n}",
    ];
    let mut tsv = String::from("cause\tstatus\tdsn\ttemplate\tprovider\n");
    for (i, t) in templates.iter().enumerate() {
        let (status, dsn) = if t.contains(" 451 ") {
            ("deferred", "4.0.0")
        } else {
            ("bounced", "5.0.0")
        };
        tsv.push_str(&format!("undefined\t{status}\t{dsn}\t{t}\t\n"));
        let _ = i;
    }
    let replies = dir.path().join("replies.tsv");
    std::fs::write(&replies, tsv).unwrap();
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--size",
            "2M",
            "--seed",
            "53",
            "--replies",
            &replies.to_string_lossy(),
        ],
    );
    let groups = jsonl(&["-f", "jsonl", "--by", "unclassified", &log.to_string_lossy()]);
    let events = jsonl(&["-f", "jsonl", &log.to_string_lossy()]);
    let undefined: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["cause"] == "undefined" && e["status"] != "expired")
        .collect();
    // Each template's replies form one group, counted in full.
    let keys = ["zorblax", "gleep", "plonk"];
    for key in keys {
        let made = undefined
            .iter()
            .filter(|e| e["reply"].as_str().unwrap().contains(key))
            .count() as u64;
        let hit: Vec<&serde_json::Value> = groups
            .iter()
            .filter(|g| g["pattern"].as_str().unwrap().contains(key))
            .collect();
        assert_eq!(hit.len(), 1, "{key}: {hit:?}");
        assert!(
            n(&hit[0]["events"]) >= made && made > 0,
            "{key}: {} events for {made} replies",
            hit[0]["events"]
        );
        assert!(hit[0]["example"].as_str().unwrap().contains(key));
    }
    let text = bounce_report().arg(&log).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("Unclassified replies"));
}

#[test]
fn mask_leaves_no_local_part_in_any_output() {
    let log = fixture("maillog");
    let text = std::fs::read_to_string(&log).unwrap();
    let address = regex::Regex::new(r"(?:to|from|orig_to)=<([^>@]+)@").unwrap();
    let locals: BTreeSet<&str> = address
        .captures_iter(&text)
        .map(|c| c.get(1).unwrap().as_str())
        .filter(|l| l.len() >= 4 && !["root", "postmaster"].contains(l))
        .collect();
    assert!(locals.len() > 50, "{}", locals.len());
    let s = log.to_string_lossy();
    for args in [
        vec!["--mask", "-f", "jsonl", &s],
        vec!["--mask", "-f", "json", &s],
        vec!["--mask", &s],
        vec!["--mask", "--by", "sender", &s],
        vec!["--mask", "-f", "markdown", &s],
        vec!["--mask", "-f", "html", &s],
        vec!["--mask", "-f", "csv", "--by", "cause", &s],
        vec!["--mask", "suppress", &s],
    ] {
        let out = bounce_report().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let got = String::from_utf8_lossy(&out.stdout);
        assert!(got.len() > 100, "{args:?} printed little");
        for l in &locals {
            // A local part may also be a word of a domain (billing@ and
            // billing.example.com): as an address it must not show; one
            // with a digit in it (bob.smith1234) must not show at all.
            assert!(
                !got.contains(&format!("{l}@")),
                "{args:?} shows the address of {l:?}"
            );
            if l.bytes().any(|b| b.is_ascii_digit()) {
                assert!(!got.contains(l), "{args:?} shows the local part {l:?}");
            }
        }
    }
}

#[test]
fn a_known_outage_and_its_recovery_are_one_incident() {
    let report = json(&["-f", "json", &fixture("incident.log").to_string_lossy()]);
    let incidents = report["incidents"].as_array().unwrap();
    let brief: Vec<(String, String, u64, u64, bool, bool)> = incidents
        .iter()
        .map(|i| {
            (
                i["domain"].as_str().unwrap().to_string(),
                i["cause"].as_str().unwrap().to_string(),
                n(&i["attempts"]),
                n(&i["recipients"]),
                i["recovered"].is_string(),
                i["ongoing"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        ("gmail.com", "speeding", 6, 4, true, false),
        ("yahoo.com", "bad_reputation", 3, 2, false, true),
        ("acme.example", "blocked", 2, 2, false, true),
        ("acme.example", "greylisted", 2, 2, false, false),
    ]
    .map(|(d, c, a, r, rec, on)| (d.to_string(), c.to_string(), a, r, rec, on));
    assert_eq!(brief, want);
    assert_eq!(incidents[0]["start"], "2026-11-21T09:12:00+00:00");
    assert_eq!(incidents[0]["end"], "2026-11-21T11:40:00+00:00");
    assert_eq!(incidents[0]["recovered"], "2026-11-21T11:45:12+00:00");
    assert_eq!(report["single_failures"], 1, "the lone example.org bounce");
    let text = bounce_report()
        .args(["--by", "incident"])
        .arg(fixture("incident.log"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("gmail.com") && text.contains("ok 11:45") && text.contains("ongoing"),
        "{text}"
    );
}

#[test]
fn incidents_never_overlap_and_add_up_to_the_failures() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--size", "3M", "--seed", "54", "--defer-rate", "0.12"],
    );
    let report = json(&["-f", "json", &log.to_string_lossy()]);
    let incidents = report["incidents"].as_array().unwrap();
    assert!(incidents.len() > 10);
    let mut by_domain = std::collections::BTreeMap::<&str, Vec<(&str, &str)>>::new();
    let mut attempts = 0;
    for i in incidents {
        assert!(
            n(&i["recipients"]) <= n(&i["attempts"]) && n(&i["attempts"]) >= 2,
            "{i}"
        );
        assert!(i["start"].as_str() <= i["end"].as_str());
        assert!(!(i["ongoing"].as_bool().unwrap() && i["recovered"].is_string()));
        by_domain
            .entry(i["domain"].as_str().unwrap())
            .or_default()
            .push((i["start"].as_str().unwrap(), i["end"].as_str().unwrap()));
        attempts += n(&i["attempts"]);
    }
    for (domain, mut spans) in by_domain {
        spans.sort();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{domain}: incidents overlap: {w:?}");
        }
    }
    let t = &report["totals"];
    assert_eq!(
        attempts + n(&report["single_failures"]),
        n(&t["bounced"]) + n(&t["deferred"]) + n(&t["expired"]),
        "incident attempts and lone failures add up to every failure"
    );
    let lines = jsonl(&["-f", "jsonl", "--by", "incident", &log.to_string_lossy()]);
    assert_eq!(lines.len(), incidents.len());
}
