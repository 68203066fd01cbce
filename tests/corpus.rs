//! Every real-world log in `../shared/corpus/real/` against `expected.tsv`:
//! bounced and deferred per recipient domain, and expired events that come
//! from exactly the expired messages counted there.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;

#[test]
fn every_real_log_matches_expected_counts() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("corpus/real");
    let expected = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    // file → (status, domain) → count
    let mut want: BTreeMap<String, BTreeMap<(String, String), u64>> = BTreeMap::new();
    for line in expected.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        want.entry(f[0].into())
            .or_default()
            .insert((f[1].into(), f[2].into()), f[3].parse().unwrap());
    }
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 20, "corpus has {} logs", logs.len());
    let mut problems = Vec::new();
    for log in &logs {
        let name = log.file_name().unwrap().to_string_lossy().into_owned();
        let path = log.to_string_lossy().into_owned();
        let events = jsonl(&["-f", "jsonl", &path]);
        let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut expired_messages = BTreeSet::new();
        for e in &events {
            let status = e["status"].as_str().unwrap();
            match status {
                "bounced" | "deferred" => {
                    let domain = match (e["domain"].as_str(), e["recipient"].as_str()) {
                        (Some(d), _) => d.to_string(),
                        (None, Some("")) => "(empty)".into(),
                        _ => "(none)".into(),
                    };
                    *got.entry((status.into(), domain)).or_default() += 1;
                }
                "expired" => {
                    expired_messages.insert((e["host"].to_string(), e["queue_id"].to_string()));
                }
                _ => {}
            }
        }
        if !expired_messages.is_empty() {
            got.insert(("expired".into(), "-".into()), expired_messages.len() as u64);
        }
        let empty = BTreeMap::new();
        let w = want.get(&name).unwrap_or(&empty);
        if &got != w {
            problems.push(format!("{name}:\n  got  {got:?}\n  want {w:?}"));
        }
        // Every physical line is accounted for.
        let report = json(&["-f", "json", &path]);
        let bytes = std::fs::read(log).unwrap();
        let physical = bytes.iter().filter(|&&b| b == b'\n').count() as u64
            + u64::from(bytes.last().is_some_and(|&b| b != b'\n'));
        let t = &report["totals"];
        if n(&t["lines"]) != physical
            || n(&t["lines"]) != n(&t["parsed"]) + n(&t["other"]) + n(&t["malformed"])
        {
            problems.push(format!("{name}: lines {t} but the file has {physical}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} real logs differ:\n{}",
        problems.len(),
        logs.len(),
        problems.join("\n")
    );
}

#[test]
fn real_logs_give_every_failure_a_cause_and_every_event_a_time() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("corpus/real");
    let all: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["-f", "jsonl"];
    args.extend(all.iter().map(String::as_str));
    for e in jsonl(&args) {
        assert!(e["time"].as_str().is_some_and(|t| t.len() == 25), "{e}");
        if e["status"] != "sent" {
            assert!(e["cause"].is_string() && e["class"].is_string(), "{e}");
        }
    }
}

/// The server's own trouble on every real log: the warning, error, fatal
/// and panic lines of Postfix processes and smtpd's NOQUEUE rejects, counted
/// by a plain reading of each line here, equal the JSON's `server_health`;
/// the groups add up to them; and the Markdown and HTML reports carry the
/// same sentence as the table (issue 20: what pflogsumm shows that this did
/// not).
#[test]
fn server_health_counts_every_postfix_warning_and_reject_of_the_real_logs() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("corpus/real");
    // A line with a time (classic or RFC 3339): one without cannot be
    // placed in a window and stays an "other" line.
    let tag = regex::Regex::new(
        r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ postfix[^ \[]*/([a-z-]+)\[\d+\]: (warning|error|fatal|panic|NOQUEUE: reject): ",
    )
    .unwrap();
    let mut with_health = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let log = entry.unwrap().path();
        if log.extension().is_none_or(|e| e != "log") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
        let mut want = BTreeMap::<&str, u64>::new();
        let mut disk = 0;
        for line in text.lines() {
            if let Some(c) = tag.captures(line) {
                let kind = match &c[2] {
                    "NOQUEUE: reject" => "rejects",
                    "warning" => "warnings",
                    "error" => "errors",
                    "fatal" => "fatal",
                    _ => "panics",
                };
                *want.entry(kind).or_default() += 1;
                let rest = &line[c.get(0).unwrap().end()..];
                disk += u64::from(
                    rest.contains("Insufficient system storage") || rest.contains("not enough free space"),
                );
            }
        }
        let path = log.to_string_lossy().into_owned();
        let report = json(&["-f", "json", &path]);
        let h = &report["server_health"];
        for kind in ["warnings", "errors", "fatal", "panics", "rejects"] {
            assert_eq!(
                n(&h[kind]),
                want.get(kind).copied().unwrap_or(0),
                "{kind} in {path}"
            );
        }
        assert_eq!(n(&h["disk_full"]), disk, "disk_full in {path}");
        let grouped: u64 = ["messages", "reject_reasons"]
            .iter()
            .flat_map(|k| h[*k].as_array().unwrap())
            .map(|g| n(&g["count"]))
            .sum();
        let total: u64 = want.values().sum();
        assert_eq!(grouped + n(&h["ungrouped"]), total, "groups in {path}");
        if total == 0 {
            continue;
        }
        with_health += 1;
        let out = |format: &str| {
            let o = bounce_report().args(["-f", format, &path]).output().unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        let table = out("table");
        let sentence = table
            .lines()
            .skip_while(|l| *l != "Our server")
            .map(str::trim_start)
            .find(|l| l.starts_with("Postfix logged") || l.starts_with("our smtpd"))
            .unwrap_or_else(|| panic!("no server sentence in the table for {path}:\n{table}"))
            .to_string();
        let first_count = sentence
            .split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_digit() || c == ','))
            .unwrap();
        let prom = out("prometheus");
        for (kind, field) in [("warning", "warnings"), ("fatal", "fatal"), ("reject", "rejects")] {
            let line = format!("bounce_report_server_lines{{kind=\"{kind}\"}} {}", n(&h[field]));
            assert!(
                prom.lines().any(|l| l == line),
                "{line} not in the Prometheus output of {path}"
            );
        }
        assert!(
            prom.lines()
                .any(|l| l == format!("bounce_report_server_disk_full_rejects {disk}")),
            "{path}"
        );
        assert!(out("markdown").contains("## Our server"), "{path}");
        let html = out("html");
        assert!(html.contains("<h2>Our server</h2>"), "{path}");
        // The same first figure in the sentence of each format.
        for (format, text) in [("markdown", out("markdown")), ("html", html)] {
            let at = text.find("Our server").unwrap();
            assert!(
                text[at..].contains(first_count),
                "{format} of {path} lacks {first_count}"
            );
        }
        if disk > 0 {
            assert!(
                table.contains("WARNING: Our own server refused mail for want of disk space"),
                "{table}"
            );
            // And in Chinese, with the same figure.
            let zh = bounce_report().args(["--lang", "zh", &path]).output().unwrap();
            let zh = String::from_utf8_lossy(&zh.stdout);
            assert!(zh.contains("本服务器状况"), "{zh}");
            assert!(
                zh.contains(&format!("本机因磁盘空间不足拒收邮件 {disk} 次")),
                "{zh}"
            );
        }
    }
    assert!(with_health >= 5, "only {with_health} real logs with server lines");
}
