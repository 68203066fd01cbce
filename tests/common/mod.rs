//! Helpers: the binary as an `assert_cmd::Command`, JSON runs, the shared
//! folder beside the checkout, and gen-maillog.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use serde_json::Value;

pub fn bounce_report() -> Command {
    let mut cmd = Command::cargo_bin("bounce-report").expect("the binary is built");
    // Fixed zone and language, so times and texts do not depend on the machine.
    cmd.env("TZ", "UTC").env("LANG", "C").env_remove("LC_ALL");
    cmd
}

/// Sets `path`'s modification time: classic timestamps take their year
/// from it.
pub fn set_mtime(path: &Path, mtime: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// `../shared` beside the checkout. CI always has it (a test that needs it
/// fails there without it); elsewhere its tests are skipped with a note.
pub fn shared() -> Option<PathBuf> {
    let dir = repo().join("../shared");
    if dir.join("tools/gen-maillog").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared is missing beside the checkout"
    );
    eprintln!("note: ../shared not found; skipping");
    None
}

/// Runs with `args` and parses stdout as one JSON value; the run must succeed.
pub fn json(args: &[&str]) -> Value {
    let out = bounce_report().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "bounce-report {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Runs with `args` and parses every stdout line as JSON.
pub fn jsonl(args: &[&str]) -> Vec<Value> {
    jsonl_of(bounce_report().args(args))
}

/// Runs `cmd` (with its environment) and parses every stdout line as JSON;
/// the run must succeed.
pub fn jsonl_of(cmd: &mut Command) -> Vec<Value> {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(l)))
        })
        .collect()
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("truth is JSON")
}

/// Runs gen-maillog with `args`, writing `-o dir/name --truth dir/truth.json`.
/// Returns (the output path, the truth).
pub fn generate(shared: &Path, dir: &Path, name: &str, args: &[&str]) -> (PathBuf, Value) {
    let out = dir.join(name);
    let truth = dir.join(format!("{name}.truth.json"));
    let status = StdCommand::new("python3")
        .arg(shared.join("tools/gen-maillog"))
        .args(args)
        .arg("-o")
        .arg(&out)
        .arg("--truth")
        .arg(&truth)
        .status()
        .expect("python3 runs gen-maillog");
    assert!(status.success(), "gen-maillog {args:?} failed");
    (out, read_json(&truth))
}

pub fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// `by_domain` of a report as domain → [sent, bounced, deferred, expired];
/// the domain of events without one (truth: "-") is "-".
pub fn domains(report: &Value) -> BTreeMap<String, [u64; 4]> {
    report["by_domain"]
        .as_array()
        .expect("by_domain")
        .iter()
        .map(|d| {
            let name = d["domain"].as_str().unwrap_or("-").to_string();
            (
                name,
                [
                    n(&d["sent"]),
                    n(&d["bounced"]),
                    n(&d["deferred"]),
                    n(&d["expired"]),
                ],
            )
        })
        .collect()
}

/// The truth's `by_domain` in the same shape.
pub fn truth_domains(truth: &Value) -> BTreeMap<String, [u64; 4]> {
    truth["by_domain"]
        .as_object()
        .expect("truth by_domain")
        .iter()
        .map(|(k, d)| {
            (
                k.clone(),
                [
                    n(&d["sent"]),
                    n(&d["bounced"]),
                    n(&d["deferred"]),
                    n(&d["expired"]),
                ],
            )
        })
        .filter(|(_, c)| c.iter().any(|&x| x > 0))
        .collect()
}

/// Asserts that a `--format json` report equals a gen-maillog truth in
/// every count the truth has, printing every difference.
pub fn assert_matches_truth(report: &Value, truth: &Value) {
    let mut problems = Vec::new();
    for s in ["sent", "bounced", "deferred", "expired"] {
        if report["totals"][s] != truth["totals"][s] {
            problems.push(format!(
                "totals.{s}: got {} want {}",
                report["totals"][s], truth["totals"][s]
            ));
        }
    }
    if report["totals"]["lines"] != truth["lines"] {
        problems.push(format!(
            "lines: got {} want {}",
            report["totals"]["lines"], truth["lines"]
        ));
    }
    if report["totals"]["distinct_bounced_recipients"] != truth["distinct_bounced_recipients"] {
        problems.push(format!(
            "distinct_bounced_recipients: got {} want {}",
            report["totals"]["distinct_bounced_recipients"], truth["distinct_bounced_recipients"]
        ));
    }
    if report["totals"]["probes"] != truth["verification_probes"] {
        problems.push(format!(
            "probes: got {} want {}",
            report["totals"]["probes"], truth["verification_probes"]
        ));
    }
    // Hand-offs to a content filter are no delivery (issue 20); a truth
    // without a filter has none.
    let handoffs = truth["content_filter_handoffs"].as_u64().unwrap_or(0);
    if report["totals"]["handed_to_filter"].as_u64() != Some(handoffs) {
        problems.push(format!(
            "handed_to_filter: got {} want {handoffs}",
            report["totals"]["handed_to_filter"]
        ));
    }
    let t = |s: &str| n(&truth["totals"][s]) as f64;
    let finals = t("sent") + t("bounced") + t("expired");
    if finals > 0.0 {
        let want = (t("bounced") + t("expired")) / finals;
        let got = report["totals"]["bounce_rate"].as_f64().unwrap_or(f64::NAN);
        if (got - want).abs() > 0.00005 {
            problems.push(format!("bounce_rate: got {got} want {want:.4}"));
        }
    }
    let got = domains(report);
    let want = truth_domains(truth);
    for (d, w) in &want {
        if got.get(d) != Some(w) {
            problems.push(format!("domain {d}: got {:?} want {w:?}", got.get(d)));
        }
    }
    for d in got.keys().filter(|d| !want.contains_key(*d)) {
        problems.push(format!("domain {d}: got {:?}, not in the truth", got[d]));
    }
    for k in ["delivered", "bounced", "expired", "pending"] {
        if report["deferred_outcomes"][k] != truth["deferred_outcomes"][k] {
            problems.push(format!(
                "deferred_outcomes.{k}: got {} want {}",
                report["deferred_outcomes"][k], truth["deferred_outcomes"][k]
            ));
        }
    }
    let senders: BTreeMap<String, &Value> = report["by_sender_domain"]
        .as_array()
        .expect("by_sender_domain")
        .iter()
        .map(|d| (d["domain"].as_str().unwrap_or("").to_string(), d))
        .collect();
    for (d, w) in truth["by_sender_domain"]
        .as_object()
        .expect("truth by_sender_domain")
    {
        for s in ["bounced", "deferred", "expired"] {
            let g = senders.get(d).map_or(0, |v| n(&v[s]));
            if g != n(&w[s]) {
                problems.push(format!("sender domain {d} {s}: got {g} want {}", w[s]));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences from the truth:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
