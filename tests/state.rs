//! `--state FILE` (issue 20): runs after each piece of a growing, rotated
//! log add up to one run over the whole log, and their counters never fall.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::common::{bounce_report, generate, n, shared};

/// The lines of `text` from `a` to `b` (0-based, end excluded), joined.
fn lines(all: &[&str], a: usize, b: usize) -> String {
    all[a.min(all.len())..b.min(all.len())].concat()
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// Runs with `--state` over the log set in `dir`, in `format`.
fn run(dir: &Path, state: &Path, format: &str) -> (String, String) {
    let mut logs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    logs.sort();
    let out = bounce_report()
        .arg("--state")
        .arg(state)
        .args(["-f", format, "--top", "1000"])
        .args(&logs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The `_total` samples of a Prometheus text, by series.
fn counters(text: &str) -> std::collections::BTreeMap<String, u64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| series.contains("_total"))
        .filter(|(series, _)| !series.contains("domain=\"other\""))
        .map(|(series, v)| (series.to_string(), v.parse().unwrap()))
        .collect()
}

fn compared(report: &Value) -> (Value, Value, Value, Value) {
    let mut by_domain = report["by_domain"].as_array().unwrap().clone();
    by_domain.sort_by_key(|d| d["domain"].to_string());
    let strip = |v: &Value, keys: &[&str]| -> Value {
        let mut out = serde_json::Map::new();
        for k in keys {
            out.insert(k.to_string(), v[*k].clone());
        }
        Value::Object(out)
    };
    let totals = strip(
        &report["totals"],
        &[
            "sent",
            "bounced",
            "deferred",
            "expired",
            "lines",
            "parsed",
            "malformed",
        ],
    );
    let domains: Vec<Value> = by_domain
        .iter()
        .map(|d| strip(d, &["domain", "sent", "bounced", "deferred", "expired"]))
        .collect();
    let mut causes: Vec<Value> = report["by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            strip(
                c,
                &["cause", "bounced", "deferred", "expired", "deferred_outcomes"],
            )
        })
        .collect();
    causes.sort_by_key(|c| c["cause"].to_string());
    let outcomes = report["deferred_outcomes"].clone();
    (totals, Value::Array(domains), Value::Array(causes), outcomes)
}

#[test]
fn state_runs_over_a_growing_rotated_log_add_up_to_one_run() {
    let Some(shared) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Two days, many deferrals and expiries: histories that cross runs.
    let (full, _) = generate(
        &shared,
        tmp.path(),
        "full.log",
        &[
            "--size",
            "400K",
            "--seed",
            "20",
            "--days",
            "2",
            "--defer-rate",
            "0.2",
            "--expire-rate",
            "0.05",
            "--queue-lifetime",
            "1d",
        ],
    );
    let text = std::fs::read_to_string(&full).unwrap();
    let all: Vec<&str> = text.split_inclusive('\n').collect();
    let k = all.len() / 8;
    let dir = tmp.path().join("log");
    std::fs::create_dir(&dir).unwrap();
    let live = dir.join("maillog");
    let state = tmp.path().join("state.json");
    let mut previous: Option<std::collections::BTreeMap<String, u64>> = None;
    let mut runs = 0;
    let mut check = |stderr_has: Option<&str>| {
        let (prom, stderr) = run(&dir, &state, "prometheus");
        if let Some(s) = stderr_has {
            assert!(stderr.contains(s), "{stderr}");
        }
        let now = counters(&prom);
        if let Some(before) = &previous {
            for (series, v) in before {
                let after = now.get(series).copied().unwrap_or(0);
                assert!(after >= *v, "{series} fell from {v} to {after}");
            }
        }
        previous = Some(now);
        runs += 1;
    };
    // 1, 2: the live log grows; the second piece ends in half a line.
    append(&live, &lines(&all, 0, k));
    check(None);
    let half = all[2 * k].len() / 2;
    append(&live, &(lines(&all, k, 2 * k) + &all[2 * k][..half]));
    check(None);
    // 3: the rest of the line and more, then rotated by rename (the rest
    // is in maillog.1) and a new log started.
    append(
        &live,
        &(all[2 * k][half..].to_string() + &lines(&all, 2 * k + 1, 3 * k)),
    );
    std::fs::rename(&live, dir.join("maillog.1")).unwrap();
    append(&live, &lines(&all, 3 * k, 4 * k));
    check(None);
    // 4: grows.
    append(&live, &lines(&all, 4 * k, 5 * k));
    check(None);
    // 5: copytruncate: maillog.1 compressed to maillog.2.gz, the live log
    // (with lines not yet read) copied to maillog.1 and truncated.
    append(&live, &lines(&all, 5 * k, 5 * k + k / 2));
    let old = std::fs::read(dir.join("maillog.1")).unwrap();
    let mut gz = gzip_writer(&dir.join("maillog.2.gz"));
    gz.write_all(&old).unwrap();
    drop(gz);
    std::fs::copy(&live, dir.join("maillog.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&live)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&live, &lines(&all, 5 * k + k / 2, 6 * k));
    check(Some("truncated"));
    // 6: nothing new.
    check(None);
    // 7, 8: grows to the end.
    append(&live, &lines(&all, 6 * k, 7 * k));
    check(None);
    append(&live, &lines(&all, 7 * k, all.len()));
    check(None);
    // 9: the compressed copy decompressed in place (gunzip): read already.
    std::fs::write(dir.join("maillog.2"), &old).unwrap();
    std::fs::remove_file(dir.join("maillog.2.gz")).unwrap();
    check(None);
    assert!(runs >= 6);

    let (last, _) = run(&dir, &state, "json");
    let last: Value = serde_json::from_str(&last).unwrap();
    let whole = crate::common::json(&[full.to_str().unwrap(), "-f", "json", "--top", "1000"]);
    assert!(n(&whole["totals"]["expired"]) > 0, "the log has expiries");
    assert_eq!(compared(&last), compared(&whole));
}

/// A gzip writer for `path`.
fn gzip_writer(path: &Path) -> impl Write {
    GzPipe::new(path)
}

/// `gzip -c > path` through Python's gzip module (gen-maillog needs
/// Python anyway).
struct GzPipe {
    child: std::process::Child,
}

impl GzPipe {
    fn new(path: &Path) -> GzPipe {
        let out = std::fs::File::create(path).unwrap();
        let child = std::process::Command::new("python3")
            .args([
                "-c",
                "import gzip,sys; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(out)
            .spawn()
            .unwrap();
        GzPipe { child }
    }
}

impl Write for GzPipe {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.child.stdin.as_mut().unwrap().write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for GzPipe {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[test]
fn a_corrupt_or_unknown_version_state_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let log = crate::common::fixture("maillog");
    for (text, says) in [
        ("not json", "not JSON"),
        ("{\"version\": 99}", "version 99"),
        ("{\"files\": []}", "no \"version\""),
    ] {
        std::fs::write(&state, text).unwrap();
        let out = bounce_report()
            .arg("--state")
            .arg(&state)
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.contains("Remove it to start over"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&state).unwrap(), text, "left as it was");
    }
    for args in [&["--since", "1h"][..], &["-d", "today"], &["--journal"]] {
        let out = bounce_report()
            .arg("--state")
            .arg(&state)
            .args(args)
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = bounce_report()
        .arg("--state")
        .arg(tmp.path().join("new.json"))
        .arg("-")
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input"));
}
