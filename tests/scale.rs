//! Bounded by design (issue 21): inputs of many keys. A user pattern file of
//! tens of thousands of rules loads (in time linear in its size: the
//! figures are in BENCHMARKS.md, not timed here) and classifies as its
//! rules say; more regex rules than the ceiling are refused with the reason.

use std::fmt::Write as _;

use predicates::prelude::*;
use serde_json::Value;

use crate::common::*;

const CAUSES: [&str; 5] = [
    "mailbox_full",
    "user_unknown",
    "blocked",
    "spam_detected",
    "speeding",
];

/// Rule `i`'s made-up word, as `scripts/gen-patterns.py` writes it: `i` in
/// base 26 as letters after `zq` (no digits: the cache masks ids).
fn word(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    s.reverse();
    format!("zq{}", String::from_utf8(s).unwrap())
}

/// A pattern file of `n` rules of the shape `scripts/gen-patterns.py`
/// writes: phrases, or regexes.
fn pattern_file(n: usize, regex: bool) -> String {
    let mut out = String::new();
    for i in 0..n {
        let w = word(i);
        let cause = CAUSES[i % CAUSES.len()];
        let _ = writeln!(out, "[[rule]]\nid = \"gen.r{i}\"\ncause = \"{cause}\"");
        if regex {
            let _ = writeln!(out, "regex = '{w} (?:quota|mailbox) vanished'\n");
        } else {
            let _ = writeln!(out, "phrase = [\"{w} quota vanished\", \"{w} box vanished\"]\n");
        }
    }
    out
}

#[test]
fn twenty_thousand_phrase_rules_load_and_classify() {
    let n = 20_000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.toml"), pattern_file(n, false)).unwrap();
    let picks = [0, 1, 731, 9_999, 12_345, n - 1];
    let mut input = String::new();
    for &i in &picks {
        let _ = writeln!(
            input,
            "host mx.example.com[192.0.2.1] said: 550 {} box vanished (in reply to RCPT TO command)",
            word(i)
        );
    }
    // A reply no generated rule names keeps its built-in cause.
    input.push_str(
        "host mx.example.com[192.0.2.1] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command)\n",
    );
    let out = bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .args(["classify", "-f", "json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["cause"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut want: Vec<String> = picks
        .iter()
        .map(|&i| CAUSES[i % CAUSES.len()].to_string())
        .collect();
    want.push("mailbox_full".into());
    assert_eq!(got, want);
}

#[test]
fn more_regex_rules_than_the_ceiling_are_refused_with_the_reason() {
    let max = bounce_report::classify::catalogue::MAX_REGEX_RULES;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.toml"), pattern_file(max + 1, true)).unwrap();
    bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .args(["classify", "x"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("big.toml:")
                .and(predicate::str::contains(format!(
                    "more than {max} rules with a regex"
                )))
                .and(predicate::str::contains("phrase")),
        );
    // A few hundred regex rules load and match.
    std::fs::write(dir.path().join("big.toml"), pattern_file(300, true)).unwrap();
    bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .args([
            "classify",
            &format!(
                "host mx.example.com[192.0.2.1] said: 550 {} mailbox vanished",
                word(298)
            ),
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(CAUSES[298 % CAUSES.len()]));
}

/// A log of `benches/gen-keys.py`'s "domains" shape at a small scale: every
/// message to a domain of its own and from a sender of its own, but for
/// five heavy domains (and senders) that get `HEAVY[i]` messages each,
/// spread over the log. One message in four is deferred, the rest bounce.
/// Returns the log and the messages per heavy domain.
fn many_domains_log(distinct: usize) -> (String, Vec<(String, u64)>) {
    const HEAVY: [u64; 5] = [120, 90, 70, 50, 35];
    let mut heavy_left: Vec<u64> = HEAVY.to_vec();
    let mut out = String::new();
    let mut i = 0usize;
    let mut unique = 0usize;
    while unique < distinct || heavy_left.iter().any(|&n| n > 0) {
        // Every third message to a heavy domain while some are left.
        // (To the heavy one with the most left: they stay in their order.)
        let most = (0..HEAVY.len()).max_by_key(|&h| (heavy_left[h], std::cmp::Reverse(h)));
        let heavy = most.filter(|&h| i % 3 == 0 && heavy_left[h] > 0);
        let (domain, sender) = match heavy {
            Some(h) => {
                heavy_left[h] -= 1;
                (format!("heavy{h}.example.org"), format!("bulk{h}@example.net"))
            }
            None => {
                unique += 1;
                (format!("d{unique}.example.org"), format!("s{unique}@example.net"))
            }
        };
        let t = format!("Nov 21 {:02}:{:02}:{:02}", i / 3600 % 24, i / 60 % 60, i % 60);
        let q = format!("4{i:011X}");
        let rcpt = format!("user{i}@{domain}");
        let _ = writeln!(
            out,
            "{t} mx1 postfix/qmgr[1067]: {q}: from=<{sender}>, size=1234, nrcpt=1 (queue active)"
        );
        let (status, dsn, reply) = if i % 4 == 3 {
            (
                "deferred",
                "4.7.1",
                "450 4.7.1 Greylisted, please try again later".to_string(),
            )
        } else {
            (
                "bounced",
                "5.1.1",
                format!(
                    "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"
                ),
            )
        };
        let _ = writeln!(
            out,
            "{t} mx1 postfix/smtp[2000]: {q}: to=<{rcpt}>, relay=mx.{domain}[192.0.2.1]:25, delay=1.2, \
             delays=0.1/0/0.5/0.6, dsn={dsn}, status={status} (host mx.{domain}[192.0.2.1] said: {reply} \
             (in reply to RCPT TO command))"
        );
        if status == "bounced" {
            let _ = writeln!(out, "{t} mx1 postfix/qmgr[1067]: {q}: removed");
        }
        i += 1;
    }
    let heavy = HEAVY
        .iter()
        .enumerate()
        .map(|(h, &n)| (format!("heavy{h}.example.org"), n))
        .collect();
    (out, heavy)
}

/// Failures (bounced + deferred + expired) of a JSON breakdown row.
fn failures(row: &Value) -> u64 {
    ["bounced", "deferred", "expired"]
        .iter()
        .map(|k| row[k].as_u64().unwrap())
        .sum()
}

#[test]
fn past_the_key_limit_the_top_domains_are_approximate_and_said_so_the_totals_exact() {
    let (log, heavy) = many_domains_log(3_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maillog");
    std::fs::write(&path, &log).unwrap();
    let path = path.to_str().unwrap();
    let messages = log.lines().filter(|l| l.contains(" to=<")).count() as u64;
    let deferred = log.lines().filter(|l| l.contains("status=deferred")).count() as u64;
    let run = |limit: Option<&str>, args: &[&str]| {
        let mut cmd = bounce_report();
        if let Some(l) = limit {
            cmd.env("BOUNCE_REPORT_TOPK_LIMIT", l);
        }
        cmd.args(args).arg(path).output().unwrap()
    };
    let parse = |out: &std::process::Output| -> Value {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let exact = parse(&run(None, &["-f", "json"]));
    assert!(exact.get("approximate").is_none(), "{}", exact["approximate"]);
    let limit = 100u64;
    for threads in ["1", "2"] {
        let out = run(Some("100"), &["-f", "json", "--threads", threads]);
        let got = parse(&out);
        // The totals are the truth, and the same as the exact run's.
        assert_eq!(got["totals"]["bounced"].as_u64(), Some(messages - deferred));
        assert_eq!(got["totals"]["deferred"].as_u64(), Some(deferred));
        for k in ["totals", "by_cause", "deferred_outcomes", "by_hour"] {
            assert_eq!(got[k], exact[k], "{k} with --threads {threads}");
        }
        // The table by domain says it is approximate, and how much.
        let a = &got["approximate"]["by_domain"];
        assert_eq!(a["limit"].as_u64(), Some(limit), "{}", got["approximate"]);
        assert!(a["distinct_seen_at_least"].as_u64().unwrap() > limit);
        let max_error = a["max_error"].as_u64().unwrap();
        assert!(max_error <= messages / (limit + 1), "max_error {max_error}");
        assert!(got["approximate"]["by_sender"].is_object());
        let rows = got["by_domain"].as_array().unwrap();
        assert!(rows.len() as u64 <= limit + limit / 8, "{} rows", rows.len());
        // Its top five are the five heavy domains, heaviest first, each
        // count low by at most the error.
        for (row, (domain, n)) in rows.iter().zip(&heavy) {
            assert_eq!(row["domain"].as_str(), Some(domain.as_str()));
            let f = failures(row);
            assert!(
                f <= *n && f + max_error >= *n,
                "{domain}: {f} of {n}, error {max_error}"
            );
        }
        // Every format that prints warnings says it.
        assert!(got["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("by_domain is approximate")));
        assert!(String::from_utf8_lossy(&out.stderr).contains("by_domain is approximate"));
    }
    let table = run(Some("100"), &[]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("by_domain is approximate"));
    // A merge of approximate summaries is approximate, the errors added up.
    let one = dir.path().join("one.json");
    std::fs::write(&one, run(Some("100"), &["-f", "json"]).stdout).unwrap();
    let one = one.to_str().unwrap();
    let first = read_json(std::path::Path::new(one));
    let merged = bounce_report()
        .env("BOUNCE_REPORT_TOPK_LIMIT", "100")
        .args(["merge", "-f", "json", one, one])
        .output()
        .unwrap();
    let merged = parse(&merged);
    assert_eq!(
        merged["approximate"]["by_domain"]["max_error"].as_u64(),
        Some(2 * first["approximate"]["by_domain"]["max_error"].as_u64().unwrap())
    );
    assert_eq!(
        merged["totals"]["bounced"].as_u64(),
        Some(2 * (messages - deferred))
    );
    // `suppress` stays exact: every bounced address, once.
    let list = run(Some("100"), &["suppress"]);
    assert!(list.status.success());
    let listed = String::from_utf8_lossy(&list.stdout).lines().count() as u64;
    assert_eq!(
        listed,
        1 + messages - deferred,
        "a header and one line per address"
    );
}
