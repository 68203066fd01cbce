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
