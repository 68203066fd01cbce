//! No silent all-clear (issue 20): a run that read no log lines, a window
//! without Postfix lines and a stale log are named in every format, and
//! `--fail-if lines<1` and `--fail-if stale>2h` fire on them; a fresh log
//! gives no warning.

use std::path::Path;

use crate::common::{bounce_report, generate, set_mtime, shared};

/// Runs over `log` in every format with `args`; returns, per format, the
/// exit status, stdout and stderr.
fn every_format(log: &Path, now: &str, args: &[&str]) -> Vec<(String, i32, String, String)> {
    ["table", "markdown", "html", "json", "prometheus", "csv"]
        .iter()
        .map(|f| {
            let out = bounce_report()
                .env("BOUNCE_REPORT_NOW", now)
                .args(["--utc", "-f", f])
                .args(args)
                .arg(log)
                .output()
                .unwrap();
            (
                f.to_string(),
                out.status.code().unwrap(),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        })
        .collect()
}

/// Whether the report itself (stdout) carries a warning in its format; CSV
/// has only rows, so its warning is on stderr.
fn warns(format: &str, stdout: &str, stderr: &str, says: &str) -> bool {
    let in_report = match format {
        "json" => {
            let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
            v["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains(says))
        }
        "csv" => true,
        "prometheus" => {
            stdout.contains("# WARNING: ")
                && stdout.contains(says)
                && !stdout.contains("bounce_report_warnings 0")
        }
        _ => stdout.contains("WARNING") && stdout.replace('\n', " ").contains(says),
    };
    in_report && stderr.contains("warning: ") && stderr.contains(says)
}

fn log(dir: &Path) -> (std::path::PathBuf, serde_json::Value) {
    let shared = shared().unwrap();
    generate(
        &shared,
        dir,
        "maillog",
        &["--size", "100K", "--seed", "5", "--start", "2026-11-21T00:00:00"],
    )
}

#[test]
fn an_empty_window_or_no_lines_is_a_warning_in_every_format_and_lines_below_1_fires() {
    if shared().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = log(tmp.path());
    // Written after the window: read, but it holds nothing of it.
    let mtime = chrono::DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z").unwrap();
    set_mtime(
        &path,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.timestamp() as u64),
    );
    let now = "2026-11-30T00:00:00Z";
    let window = [
        "--since",
        "2026-11-25",
        "--until",
        "2026-11-26",
        "--fail-if",
        "lines<1",
    ];
    for (f, code, out, err) in every_format(&path, now, &window) {
        assert_eq!(code, 3, "{f}: {err}");
        assert!(
            warns(&f, &out, &err, "holds no Postfix log lines"),
            "{f}: {out:.600}\n{err}"
        );
        assert!(err.contains("alert: lines<1 (value 0)"), "{f}: {err}");
    }
    // Every input skipped (last written before the window).
    let window = ["--since", "2026-12-01", "--fail-if", "lines<1"];
    for (f, code, out, err) in every_format(&path, "2026-12-02T00:00:00Z", &window) {
        assert_eq!(code, 3, "{f}: {err}");
        assert!(
            warns(&f, &out, &err, "no log lines were read"),
            "{f}: {out:.600}\n{err}"
        );
    }
    // An empty file.
    let empty = tmp.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    for (f, code, out, err) in every_format(&empty, now, &["--fail-if", "lines<1"]) {
        assert_eq!(code, 3, "{f}: {err}");
        assert!(
            warns(&f, &out, &err, "no log lines were read"),
            "{f}: {out:.600}\n{err}"
        );
    }
}

#[test]
fn a_stale_log_is_a_warning_in_every_format_and_stale_fires_but_a_fresh_one_is_not() {
    if shared().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = log(tmp.path());
    let report = crate::common::json(&[path.to_str().unwrap(), "-f", "json", "--utc"]);
    let last = report["last_log_line"].as_str().unwrap().to_string();
    let last = chrono::DateTime::parse_from_rfc3339(&last).unwrap();
    let stale_now = (last + chrono::Duration::hours(5)).to_rfc3339();
    for (f, code, out, err) in every_format(&path, &stale_now, &["--fail-if", "stale>2h"]) {
        assert_eq!(code, 3, "{f}: {err}");
        assert!(
            warns(&f, &out, &err, "the last Postfix log line was logged"),
            "{f}: {out:.600}\n{err}"
        );
        assert!(err.contains(", 5h 0m ago (more than 2h 0m)"), "{f}: {err}");
        assert!(err.contains("alert: stale>2h (value 5h 0m)"), "{f}: {err}");
        if f == "prometheus" {
            let line = format!("bounce_report_last_log_timestamp_seconds {}", last.timestamp());
            assert!(out.contains(&line), "{out}");
        }
    }
    let fresh_now = (last + chrono::Duration::minutes(10)).to_rfc3339();
    for (f, code, out, err) in every_format(
        &path,
        &fresh_now,
        &["--fail-if", "stale>2h", "--fail-if", "lines<1"],
    ) {
        assert_eq!(code, 0, "{f}: {err}");
        assert!(!err.contains("warning") && !out.contains("WARNING"), "{f}: {err}");
        if f == "json" {
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["warnings"], serde_json::json!([]));
        }
        if f == "prometheus" {
            assert!(out.contains("bounce_report_warnings 0"), "{out}");
        }
    }
    // A span that is not one is refused.
    let out = bounce_report()
        .args(["--fail-if", "stale>2x"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
