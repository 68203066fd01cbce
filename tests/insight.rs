//! Insight: the suppression list, per-host and per-sender breakdowns,
//! `--host`, the unclassified reply groups and `--mask`.

use std::collections::{BTreeMap, BTreeSet};

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
    // gen-maillog's truth counts as hard every "Host not found", also for
    // domains it delivers to the same day (our resolver's failures), and
    // every 521 at the greeting (a refusal of our connection): neither is
    // evidence about the recipient (issue 19), so nobody is listed for them.
    let resolver = without_recipient_evidence(&std::fs::read_to_string(&log).unwrap());
    assert!(resolver.len() >= 2, "the generated day has such failures");
    for r in &resolver {
        assert!(!addresses.contains(r), "{r} listed without evidence");
    }
    assert_eq!(
        rows.len() as u64,
        n(&truth["distinct_hard_recipients"]) - resolver.len() as u64
    );
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

/// Issue 19: an address reaches `suppress` only on evidence about the
/// recipient. A generated day's log (whose hard recipients the truth
/// counts) gets, at their place in time, the failures seen on real logs
/// that put valid people on the list: a refusal of our connection at the
/// greeting that says "invalid recipients", a "User unknown" about our
/// sender at MAIL FROM, Postfix's "Host not found" for gmail.com (which
/// the same log delivers to), and a resolver outage after the day's last
/// line (six domains not found in a minute, nothing delivered). None of
/// them is listed; a mistyped domain not found among the day's deliveries,
/// and a recipient refused at RCPT TO, are.
/// The recipients bounced with Postfix's own "Host not found" at a domain
/// that the same log delivers to (the domain exists, our resolver failed),
/// or refused at the greeting (`refused to talk to me`: our connection).
fn without_recipient_evidence(log: &str) -> BTreeSet<String> {
    let field = |l: &str, name: &str| {
        let at = l.find(name)? + name.len();
        Some(l[at..].split(['>', ',']).next()?.to_lowercase())
    };
    let delivered: BTreeSet<String> = log
        .lines()
        .filter(|l| l.contains("status=sent"))
        .filter_map(|l| field(l, "to=<"))
        .filter_map(|to| Some(to.rsplit_once('@')?.1.to_string()))
        .collect();
    let by_resolver = log
        .lines()
        .filter(|l| {
            l.contains("status=bounced (Host or domain name not found") && l.ends_with("Host not found)")
        })
        .filter_map(|l| field(l, "to=<"))
        .filter(|to| to.rsplit_once('@').is_some_and(|(_, d)| delivered.contains(d)));
    let at_greeting = log
        .lines()
        .filter(|l| l.contains("status=bounced (host ") && l.contains("] refused to talk to me: "))
        .filter_map(|l| field(l, "to=<"));
    by_resolver.chain(at_greeting).collect()
}

/// Writes `lines` (a generated day) back to `log` with `injected` each at
/// its place in time (classic stamps of one day sort as text).
fn write_with_injected<'a>(
    log: &std::path::Path,
    mut lines: Vec<String>,
    injected: impl IntoIterator<Item = &'a str>,
) {
    for l in injected {
        let at = lines.partition_point(|x| x.get(..15) <= l.get(..15));
        lines.insert(at, l.to_string());
    }
    std::fs::write(log, lines.join("\n") + "\n").unwrap();
}

#[test]
fn suppression_needs_evidence_about_the_recipient() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(&shared, dir.path(), "maillog", &["--size", "2M", "--seed", "52"]);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(
        text.contains("@gmail.com>, relay=") && text.contains("status=sent"),
        "the generated day delivers to gmail.com"
    );
    let line = |time: &str, n: usize, to: &str, relay: &str, dsn: &str, status: &str, reply: &str| {
        format!(
            "{time} mx1 postfix/smtp[777]: EV{n:08X}: to=<{to}>, relay={relay}, delay=1.2, delays=0.1/0/0.5/0.6, dsn={dsn}, status={status} ({reply})"
        )
    };
    let mut injected: Vec<(String, &str)> = Vec::new();
    let mut add = |time: &str, to: &str, relay: &str, dsn: &str, reply: &str, listed: &'static str| {
        let n = injected.len();
        injected.push((line(time, n, to, relay, dsn, "bounced", reply), listed));
        let _ = to;
    };
    for (i, who) in ["ann", "bo", "chen", "dora"].iter().enumerate() {
        add(
            &format!("Nov 21 09:1{i}:07"),
            &format!("{who}@example.info"),
            "mail-in.example.info[192.0.2.44]:25",
            "5.0.0",
            "host mail-in.example.info[192.0.2.44] refused to talk to me: 550 Too many invalid recipients",
            "",
        );
    }
    for who in ["eve", "fu"] {
        add(
            "Nov 21 10:02:31",
            &format!("{who}@example.net"),
            "mx.example.net[192.0.2.45]:25",
            "5.1.1",
            "host mx.example.net[192.0.2.45] said: 550 5.1.1 <news@example.org>... User unknown (in reply to MAIL FROM command)",
            "",
        );
    }
    for who in ["gus.li", "hana"] {
        add(
            "Nov 21 11:30:00",
            &format!("{who}@gmail.com"),
            "none",
            "5.4.4",
            "Host or domain name not found. Name service error for name=gmail.com type=A: Host not found",
            "",
        );
    }
    add(
        "Nov 21 12:00:00",
        "ivy@gmial.com",
        "none",
        "5.4.4",
        "Host or domain name not found. Name service error for name=gmial.com type=MX: Host not found",
        "host_unknown",
    );
    add(
        "Nov 21 12:00:05",
        "jon@example.com",
        "mx.example.com[192.0.2.46]:25",
        "5.1.1",
        "host mx.example.com[192.0.2.46] said: 550 5.1.1 <jon@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
        "user_unknown",
    );
    // A smart host refusing our own account, after RCPT TO and after the
    // data (issue 19's next hazard): about us, not the recipients. The
    // same words at X.2.1 from the recipient's MX are its disabled mailbox.
    for (i, (to, reply)) in [
        (
            "lee@example.co.uk",
            "550 5.7.1 Account disabled (in reply to RCPT TO command)",
        ),
        (
            "max@example.de",
            "554 5.7.1 Account suspended due to abuse (in reply to end of DATA command)",
        ),
        (
            "nia@example.fr",
            "550 5.7.1 User account is locked (in reply to RCPT TO command)",
        ),
        (
            "oto@example.jp",
            "550 Sender account disabled (in reply to RCPT TO command)",
        ),
        (
            "pat@example.it",
            "554 Your email account is suspended for sending spam (in reply to end of DATA command)",
        ),
        (
            "quin@example.es",
            "550 5.7.1 Sending account disabled (in reply to RCPT TO command)",
        ),
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("Nov 21 13:0{i}:00"),
            to,
            "smtp.relay.example.net[192.0.2.50]:587",
            "5.7.1",
            &format!("host smtp.relay.example.net[192.0.2.50] said: {reply}"),
            "",
        );
    }
    // Refusals of this message, of our sender or of our account that use a
    // recipient's words: a condition after "does not accept mail", a
    // relay's "Mailbox unavailable" after the data, our sender banned or
    // not ours to send as. None says a recipient's address is gone.
    for (i, (to, relay, reply)) in [
        (
            "ria@example.nl",
            "mx.example.nl[192.0.2.51]:25",
            "550 5.7.1 This server does not accept mail with attachments of this type (in reply to end of DATA command)",
        ),
        (
            "sol@example.nl",
            "mx.example.nl[192.0.2.51]:25",
            "550 This mailbox does not accept mail from your domain (in reply to RCPT TO command)",
        ),
        (
            "tao@yahoo.com",
            "smtp.mail.yahoo.com[192.0.2.65]:587",
            "550 Request failed; Mailbox unavailable (in reply to end of DATA command)",
        ),
        (
            "uma@example.se",
            "smtp.office365.com[192.0.2.10]:587",
            "550 5.7.502 Access denied, banned sender (in reply to MAIL FROM command)",
        ),
        (
            "vic@example.se",
            "smtp.office365.com[192.0.2.10]:587",
            "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message. (in reply to end of DATA command)",
        ),
    ]
    .iter()
    .enumerate()
    {
        let host = &relay[..relay.rfind(':').unwrap()];
        add(
            &format!("Nov 21 13:2{i}:00"),
            to,
            relay,
            "5.7.1",
            &format!("host {host} said: {reply}"),
            "",
        );
    }
    add(
        "Nov 21 13:10:00",
        "pia@example.com",
        "mx.example.com[192.0.2.46]:25",
        "5.2.1",
        "host mx.example.com[192.0.2.46] said: 550 5.2.1 The email account that you tried to reach is disabled. (in reply to RCPT TO command)",
        "suspend",
    );
    for (i, domain) in [
        "acme.example",
        "b.example",
        "c.example",
        "d.example",
        "e.example",
        "f.example",
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("Nov 22 00:30:1{i}"),
            &format!("kai{i}@{domain}"),
            "none",
            "5.4.4",
            &format!(
                "Host or domain name not found. Name service error for name={domain} type=MX: Host not found"
            ),
            "",
        );
    }
    write_with_injected(&log, lines, injected.iter().map(|(l, _)| l.as_str()));

    let out = bounce_report().arg("suppress").arg(&log).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("acme.example, b.example") && stderr.contains("resolver"),
        "the resolver's failures are named: {stderr}"
    );
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().unwrap();
    let listed: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r[0].to_string(), r[2].to_string()))
        .collect();
    for (l, cause) in &injected {
        let to = &l[l.find("to=<").unwrap() + 4..l.find(">, relay").unwrap()];
        if cause.is_empty() {
            assert!(!listed.contains_key(to), "{to} listed without evidence: {l}");
        } else {
            assert_eq!(listed.get(to).map(String::as_str), Some(*cause), "{to}");
        }
    }
    // The generated day's own recipients without evidence (as in the test
    // above), and the three injected ones with it.
    let generated = without_recipient_evidence(&text);
    assert_eq!(
        rows.len() as u64,
        n(&truth["distinct_hard_recipients"]) + 3 - generated.len() as u64
    );

    // The causes the report gives them: our connection refused for our
    // sending behaviour, our sender refused, our resolver failing.
    let events = jsonl(&["-f", "jsonl", log.to_str().unwrap()]);
    let cause_of = |to: &str| {
        events
            .iter()
            .find(|e| e["recipient"] == to)
            .map(|e| {
                (
                    e["cause"].as_str().unwrap().to_string(),
                    e["class"].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        cause_of("ann@example.info"),
        ("bad_reputation".into(), "soft".into())
    );
    assert_eq!(cause_of("eve@example.net"), ("rejected".into(), "soft".into()));
    assert_eq!(
        cause_of("gus.li@gmail.com"),
        ("network_error".into(), "soft".into())
    );
    assert_eq!(cause_of("ivy@gmial.com"), ("host_unknown".into(), "hard".into()));
    for to in [
        "lee@example.co.uk",
        "max@example.de",
        "nia@example.fr",
        "oto@example.jp",
    ] {
        assert_eq!(cause_of(to), ("rejected".into(), "soft".into()), "{to}");
    }

    // The report names the resolver's two stretches as such: gmail.com,
    // which received mail the same day, and the six domains failing at
    // once; the mistyped gmial.com stays the domain's fault.
    let report = json(&["-f", "json", log.to_str().unwrap()]);
    let resolver = report["resolver_incidents"].as_array().unwrap();
    let seen: Vec<(u64, u64, u64, Vec<&str>)> = resolver
        .iter()
        .map(|i| {
            (
                n(&i["failures"]),
                n(&i["domains"]),
                n(&i["delivered_domains"]),
                i["sample_domains"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert!(seen.contains(&(2, 1, 1, vec!["gmail.com"])), "{resolver:?}");
    let six = (
        6,
        6,
        0,
        vec!["acme.example", "b.example", "c.example", "d.example", "e.example"],
    );
    assert!(seen.contains(&six), "{resolver:?}");
    // The generated day's own "Host not found" bounces at domains it also
    // delivered to are the resolver's too (gen-maillog draws causes per
    // event, so a domain can be both); no other stretch is named.
    let generated = seen.len() - 2;
    for (failures, domains, delivered, sample) in &seen {
        assert!(*failures > 0 && !sample.contains(&"gmial.com"), "{resolver:?}");
        assert!(
            delivered == domains || (domains, delivered) == (&6, &0),
            "{resolver:?}"
        );
    }
    let words_of = |format: &str| {
        let out = bounce_report().args(["-f", format]).arg(&log).output().unwrap();
        // Words as read, whatever the wrapping.
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    for format in ["table", "markdown", "html"] {
        let words = words_of(format);
        assert_eq!(
            words.matches("Our DNS resolver, not the domains:").count(),
            2 + generated,
            "{format}: both stretches are named: {words}"
        );
        assert!(
            words.contains("for gmail.com, which received mail"),
            "{format}: {words}"
        );
    }
}

/// Unfamiliar reply templates for `gen-maillog --replies`: every variable
/// part the generator fills, texts no rule knows.
fn unfamiliar_replies(dir: &std::path::Path) -> std::path::PathBuf {
    let templates = [
        ("bounced", "host {mx}[{ip}] said: 550 5.0.0 <{rcpt}>: grommet assignment lapsed (in reply to RCPT TO command)"),
        ("bounced", "host {mx}[{ip}] said: 554 zorg ticket zt{n}.44 - flux overheated for {local} (in reply to end of DATA command)"),
        ("bounced", "host {mx}[{ip}] said: 550 widget steward of {domain} withdrew consent from {sender} via {myip} (in reply to MAIL FROM command)"),
        ("bounced", "host {mx}[{ip}] said: 554 5.0.0 doohickey handshake ended in a shrug (in reply to end of DATA command)"),
        ("deferred", "host {mx}[{ip}] said: 451 4.0.0 sprocket queue on {host} is wobbling, ref {n} (in reply to end of DATA command)"),
        ("deferred", "host {mx}[{ip}] said: 450 whatsit ledger for {senderdomain} is being rewound (in reply to MAIL FROM command)"),
        ("deferred", "host {mx}[{ip}] said: 451-4.0.0 the frobnicator naps 451-4.0.0 until {n} 451 4.0.0 o'clock (in reply to RCPT TO command)"),
    ];
    let mut tsv = String::from("cause\tstatus\tdsn\ttemplate\tprovider\n");
    for (status, t) in templates {
        let dsn = if status == "bounced" { "5.0.0" } else { "4.0.0" };
        tsv.push_str(&format!("undefined\t{status}\t{dsn}\t{t}\t\n"));
    }
    let path = dir.join("unfamiliar.tsv");
    std::fs::write(&path, tsv).unwrap();
    path
}

#[test]
fn unclassified_groups_are_those_of_normalising_every_reply() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replies = unfamiliar_replies(dir.path());
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--size",
            "3M",
            "--seed",
            "57",
            "--replies",
            &replies.to_string_lossy(),
        ],
    );
    let path = log.to_string_lossy();
    let text = std::fs::read_to_string(&log).unwrap();
    // What counting every event's normalised reply gives: the events per
    // group, and the reply logged first as its example.
    let mut want: BTreeMap<String, (u64, usize, String)> = BTreeMap::new();
    for e in jsonl(&["-f", "jsonl", &path]) {
        let Some(reply) = e["reply"].as_str().filter(|_| e["cause"] == "undefined") else {
            continue;
        };
        let at = text.find(&format!("({reply})")).expect("the reply is logged");
        let group = want
            .entry(bounce_report::unclassified::normalise(reply))
            .or_insert((0, usize::MAX, String::new()));
        group.0 += 1;
        if at < group.1 {
            (group.1, group.2) = (at, reply.to_string());
        }
    }
    let events: u64 = want.values().map(|g| g.0).sum();
    assert!(
        want.len() >= 7 && events > 500,
        "{} groups, {events} events",
        want.len()
    );
    let want: BTreeMap<String, (u64, String)> = want.into_iter().map(|(k, (n, _, e))| (k, (n, e))).collect();
    for args in [
        vec!["--threads", "1"],
        vec!["--threads", "2"],
        vec!["--chunk-size", "4099"],
    ] {
        let report = json(&[&["-f", "json"], &args[..], &[&path]].concat());
        let got: BTreeMap<String, (u64, String)> = report["unclassified"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let pattern = g["pattern"].as_str().unwrap().to_string();
                (
                    pattern,
                    (n(&g["events"]), g["example"].as_str().unwrap().to_string()),
                )
            })
            .collect();
        assert_eq!(got, want, "{args:?}");
    }
}

/// A cause's example is its commonest kind of reply, and the advice that
/// kind's rule gives when it has its own: a loop in our own forwarding is
/// not an MX problem.
#[test]
fn a_causes_example_and_advice_are_its_commonest_replys() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generate(&shared, dir.path(), "maillog", &["--size", "2M", "--seed", "52"]);
    let text = std::fs::read_to_string(&log).unwrap();
    // 150 local deliveries in the afternoon that loop through a .forward:
    // more than any one kind of the generated day's network errors, and
    // all after the first of them.
    let loops: Vec<String> = (0..150)
        .map(|k| {
            format!(
                "Nov 21 {:02}:{:02}:{:02} mx1 postfix/local[4242]: LP{k:08X}: to=<user{k}@example.com>, orig_to=<alias{k}@example.com>, relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=5.4.6, status=bounced (mail forwarding loop for user{k}@example.com)",
                13 + k / 60,
                k % 60,
                k % 50
            )
        })
        .collect();
    let lines = text.lines().map(str::to_string).collect();
    write_with_injected(&log, lines, loops.iter().map(String::as_str));

    let report = json(&["-f", "json", log.to_str().unwrap()]);
    let row = report["by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cause"] == "network_error")
        .unwrap();
    let example = row["example"].as_str().unwrap();
    assert!(example.starts_with("mail forwarding loop for user"), "{row}");
    let advice = row["advice"].as_str().unwrap();
    assert!(advice.starts_with("Our own forwarding loops"), "{row}");
    let table = bounce_report().arg(&log).output().unwrap();
    let words = String::from_utf8_lossy(&table.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains("do: Our own forwarding loops")
            && words.contains("e.g. mail forwarding loop for user"),
        "{words}"
    );
}

/// A domain unreachable until qmgr gives its messages up: the deferrals and
/// the expiries (cause `expired`, the last reply being only a failed
/// connection) are one incident, not two with the first ending "other cause".
#[test]
fn an_outage_that_ends_in_expiry_is_one_incident() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    let mut lines = Vec::new();
    for (k, who) in ["ann", "bo"].iter().enumerate() {
        let id = format!("3C0000000{k}");
        lines.push(format!(
            "2026-11-21T08:0{k}:00+00:00 mx1 postfix/qmgr[1100]: {id}: from=<news@example.org>, size=2048, nrcpt=1 (queue active)"
        ));
        for (h, m) in [(8, 1), (9, 1), (11, 1), (15, 1)] {
            lines.push(format!(
                "2026-11-21T{h:02}:{m:02}:0{k}+00:00 mx1 postfix/smtp[4242]: {id}: to=<{who}@down.example>, relay=none, delay=1, delays=0.1/0/1/0, dsn=4.4.1, status=deferred (connect to mx.down.example[192.0.2.9]:25: Connection timed out)"
            ));
        }
        lines.push(format!(
            "2026-11-22T08:0{k}:00+00:00 mx1 postfix/qmgr[1100]: {id}: from=<news@example.org>, status=expired, returned to sender"
        ));
    }
    lines.sort();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let report = json(&["-f", "json", log.to_str().unwrap()]);
    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let i = &incidents[0];
    assert_eq!(
        (
            i["cause"].as_str(),
            n(&i["attempts"]),
            n(&i["recipients"]),
            i["ongoing"].as_bool()
        ),
        (Some("network_error"), 10, 2, Some(true)),
        "{i}"
    );
    assert_eq!(i["end"], "2026-11-22T08:01:00+00:00");
    assert_eq!(report["totals"]["expired"], 2);
}
