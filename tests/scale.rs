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
