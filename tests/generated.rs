//! Logs made by gen-maillog inside the test (fixed seeds, a few MB, never
//! committed), against the generator's exact truth: plain, gzip, a rotated
//! set, RFC 3339 with several hosts and syslog names and damaged lines.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use crate::common::*;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn plain_classic_log_equals_truth() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(&shared, dir.path(), "maillog", &["--size", "3M", "--seed", "21"]);
    assert_matches_truth(&json(&["-f", "json", &s(&log)]), &truth);
}

/// Issue 20: on a server with a content filter (amavis on 127.0.0.1:10024),
/// the hand-off's `status=sent` is no delivery; the re-injected message's
/// delivery or bounce is the recipient's fate. Sent, bounced, the bounce
/// rates per domain (`assert_matches_truth` compares every domain's counts)
/// and the hand-offs equal the truth.
#[test]
fn content_filter_handoffs_are_counted_apart_not_as_sent() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--size", "2M", "--seed", "26", "--content-filter", "0.5"],
    );
    assert!(
        n(&truth["content_filter_handoffs"]) > 100,
        "the log has hand-offs"
    );
    let report = json(&["-f", "json", &s(&log)]);
    assert_matches_truth(&report, &truth);
    let rate = |d: &serde_json::Value| {
        let c = |k: &str| n(&d[k]) as f64;
        (c("bounced") + c("expired")) / (c("sent") + c("bounced") + c("expired"))
    };
    for d in report["by_domain"].as_array().unwrap() {
        let name = d["domain"].as_str().unwrap_or("-");
        let want = &truth["by_domain"][name];
        if let Some(got) = d["bounce_rate"].as_f64() {
            assert!(
                (got - rate(want)).abs() < 0.00005,
                "{name}: {got} vs {}",
                rate(want)
            );
        }
    }
    // No hand-off is an event, nor a relay of sent mail.
    let events = jsonl(&["-f", "jsonl", &s(&log)]);
    assert!(events
        .iter()
        .all(|e| !e["relay"].as_str().unwrap_or("").contains(":10024")));
    // Named as the filter, the same relay gives the same counts.
    let named = json(&[
        "-f",
        "json",
        "--content-filter-relay",
        "127.0.0.1:10024",
        &s(&log),
    ]);
    assert_eq!(named["totals"], report["totals"]);
}

#[test]
fn gzip_log_equals_truth_and_is_recognised_by_magic_not_name() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog.gz",
        &["--size", "2M", "--seed", "22"],
    );
    let renamed = dir.path().join("no-suffix");
    std::fs::rename(&log, &renamed).unwrap();
    let report = json(&["-f", "json", &s(&renamed)]);
    assert_eq!(report["files"][0]["compression"], "gzip");
    assert_matches_truth(&report, &truth);
}

#[test]
fn rotated_set_across_new_year_equals_truth_in_order() {
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
            "23",
            "--start",
            "2026-12-30T00:00:00",
            "--days",
            "4",
            "--rotate",
            "3",
        ],
    );
    let names = ["maillog.1", "maillog", "maillog.3.gz", "maillog.2.gz"];
    let paths: Vec<String> = names.iter().map(|n| s(&log.with_file_name(n))).collect();
    let mut args = vec!["-f", "json"];
    args.extend(paths.iter().map(String::as_str));
    let report = json(&args);
    assert_matches_truth(&report, &truth);
    // The years come from the files' modification times: the span runs
    // from 2026 into 2027, and events stay in time order.
    assert!(report["span"]["first"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-30"));
    assert!(report["span"]["last"].as_str().unwrap().starts_with("2027-01-02"));
    let mut hours: BTreeMap<String, u64> = BTreeMap::new();
    for h in report["by_hour"].as_array().unwrap() {
        let key = h["hour"].as_str().unwrap()[..13].to_string();
        *hours.entry(key).or_default() += n(&h["bounced"]) + n(&h["deferred"]) + n(&h["expired"]);
    }
    let want: BTreeMap<String, u64> = truth["by_hour"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                ["bounced", "deferred", "expired"]
                    .iter()
                    .map(|s| v[*s].as_u64().unwrap_or(0))
                    .sum(),
            )
        })
        .filter(|(_, c)| *c > 0)
        .collect();
    assert_eq!(
        hours, want,
        "failures per hour (UTC) differ from the truth's by_hour"
    );
    let mut jl = vec!["-f", "jsonl"];
    jl.extend(paths.iter().map(String::as_str));
    let events = jsonl(&jl);
    assert!(events
        .windows(2)
        .all(|w| w[0]["time"].as_str() <= w[1]["time"].as_str()));
}

#[test]
fn rfc3339_many_hosts_and_names_with_damage_equals_truth() {
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
            "24",
            "--timestamps",
            "rfc3339",
            "--hosts",
            "3",
            "--syslog-name",
            "postfix,postfix/submission,postfix-out",
            "--dirty",
            "0.02",
        ],
    );
    let report = json(&["-f", "json", &s(&log)]);
    assert_matches_truth(&report, &truth);
    assert!(n(&report["totals"]["malformed"]) > 0);
    // The same through standard input.
    let out = bounce_report()
        .args(["-f", "json", "-"])
        .pipe_stdin(&log)
        .unwrap()
        .output()
        .unwrap();
    assert!(out.status.success());
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_stdin["totals"], report["totals"]);
    assert_eq!(from_stdin["by_domain"], report["by_domain"]);
}

/// The generator's reply templates as (cause, regex), most specific first;
/// plus the local-delivery texts the script writes itself.
fn templates(shared: &Path) -> Vec<(String, Regex)> {
    let tsv = std::fs::read_to_string(shared.join("tools/replies.tsv")).unwrap();
    let placeholder = Regex::new(r"\\\{[a-z]+\\\}").unwrap();
    let mut out: Vec<(usize, String, Regex)> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let template = *f.get(3)?;
            let pattern = placeholder
                .replace_all(&regex::escape(template), ".*?")
                .into_owned();
            let literal = placeholder.replace_all(template, "").len();
            Some((
                literal,
                f[0].to_string(),
                Regex::new(&format!("(?s){pattern}$")).ok()?,
            ))
        })
        .collect();
    for (cause, text) in [
        ("user_unknown", r"User doesn't exist"),
        ("mailbox_full", r"Quota exceeded \(mailbox for user is full\)"),
        ("mesg_too_big", r"error writing message: File too large"),
        ("mailbox_full", r"error writing message: Disk quota exceeded"),
        ("user_unknown", r#"^unknown user: ""#),
        ("mailbox_full", r"procmail: Quota exceeded"),
    ] {
        out.push((1000, cause.to_string(), Regex::new(text).unwrap()));
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.0));
    out.into_iter().map(|(_, c, r)| (c, r)).collect()
}

#[test]
fn at_least_90_percent_of_events_get_the_generators_cause() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(&shared, dir.path(), "maillog", &["--size", "4M", "--seed", "25"]);
    let templates = templates(&shared);
    let events = jsonl(&["-f", "jsonl", &s(&log)]);
    let (mut agree, mut judged) = (0u64, 0u64);
    let mut misses: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e["status"] == "bounced" || e["status"] == "deferred")
    {
        let reply = e["reply"].as_str().unwrap_or("");
        let Some((want, _)) = templates.iter().find(|(_, r)| r.is_match(reply)) else {
            continue;
        };
        judged += 1;
        let got = e["cause"].as_str().unwrap();
        if got == want {
            agree += 1;
        } else {
            let m = misses
                .entry((want.clone(), got.to_string()))
                .or_insert((0, reply.to_string()));
            m.0 += 1;
        }
    }
    let failures = ["bounced", "deferred"]
        .iter()
        .map(|s| n(&truth["totals"][s]))
        .sum::<u64>();
    assert!(
        judged * 100 >= failures * 95,
        "only {judged} of {failures} replies matched a template"
    );
    let rate = agree as f64 / judged as f64;
    let mut listing: Vec<_> = misses.iter().collect();
    listing.sort_by_key(|m| std::cmp::Reverse(m.1 .0));
    let listing: Vec<String> = listing
        .iter()
        .map(|((w, g), (c, ex))| format!("  {c:>4} want {w} got {g}: {}", &ex[..ex.len().min(140)]))
        .collect();
    eprintln!(
        "cause agreement with the generator: {agree}/{judged} = {:.1}%\n{}",
        rate * 100.0,
        listing.join("\n")
    );
    assert!(
        rate >= 0.90,
        "cause agreement {:.1}% < 90%:\n{}",
        rate * 100.0,
        listing.join("\n")
    );
}

#[test]
fn outcomes_per_domain_add_up_and_jsonl_marks_the_end_of_each_deferral_history() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--size",
            "3M",
            "--seed",
            "26",
            "--defer-rate",
            "0.15",
            "--expire-rate",
            "0.02",
        ],
    );
    let report = json(&["-f", "json", &s(&log)]);
    assert_matches_truth(&report, &truth);
    let total = &report["deferred_outcomes"];
    for k in ["delivered", "bounced", "expired", "pending"] {
        let by_domain: u64 = report["by_domain"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d.get("deferred_outcomes"))
            .map(|o| n(&o[k]))
            .sum();
        assert_eq!(by_domain, n(&total[k]), "{k}: per-domain outcomes do not add up");
    }
    assert!(
        total["median_delay_seconds"].as_u64().is_some_and(|d| d >= 300),
        "{total}"
    );
    // Each delivered, bounced or expired end of a deferral history carries
    // its attempts and first deferral, once per (queue id, recipient).
    let events = jsonl(&["-f", "jsonl", &s(&log)]);
    let mut ends = std::collections::BTreeMap::<&str, u64>::new();
    for e in events.iter().filter(|e| e.get("attempts").is_some()) {
        let attempts = n(&e["attempts"]);
        assert!(attempts >= 2 || e["status"] == "expired", "{e}");
        assert!(
            e["first_deferred"].as_str().unwrap() <= e["time"].as_str().unwrap(),
            "{e}"
        );
        *ends.entry(e["status"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(ends.get("sent").copied().unwrap_or(0), n(&total["delivered"]));
    assert_eq!(ends.get("bounced").copied().unwrap_or(0), n(&total["bounced"]));
    assert_eq!(ends.get("expired").copied().unwrap_or(0), n(&total["expired"]));
}
