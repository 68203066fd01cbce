//! Issue 21 ("Hardening"): hostile and broken input never panics, hangs or
//! injects. Each test here failed before its fix.

use crate::common::*;

/// `--since 106751991d` panicked with "DateTime - TimeDelta overflowed"
/// (exit 101) in every subcommand; it is a usage error (exit 2) that says
/// the time is out of range.
#[test]
fn issue_21_span_past_the_calendar_is_a_usage_error_not_a_panic() {
    let log = fixture("maillog");
    let log = log.to_string_lossy();
    let runs: [&[&str]; 7] = [
        &["--since", "106751991d", &log],
        &["--until", "106751991d", &log],
        &["--since", "99999999999999999999w", &log],
        &["suppress", "--since", "106751991d", &log],
        &["classify", "--until", "106751991d", "550 5.1.1 user unknown"],
        &["causes", "--since", "106751991d"],
        &["--since", "1d", "--until", "106751991d", "-f", "json", &log],
    ];
    for args in runs {
        let out = bounce_report().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("out of range") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// `--threads 100000` never finished (10,000: 76 s and 446 MB on a 7-line
/// file); more than 4 per core (at least 8) is a usage error, at once.
#[test]
fn issue_21_threads_past_the_ceiling_are_refused_at_once() {
    let log = fixture("maillog");
    for args in [
        vec!["--threads", "100000"],
        vec!["suppress", "--threads", "100000"],
        vec!["--threads", "18446744073709551615"],
    ] {
        let out = bounce_report()
            .args(&args)
            .arg(&log)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("too many: at most"), "{args:?}: {stderr}");
    }
    // The ceiling itself still runs.
    let max = bounce_report::cli::max_threads().to_string();
    let report = json(&["-f", "json", "--threads", &max, &log.to_string_lossy()]);
    assert_matches_truth(&report, &read_json(&fixture("maillog.truth.json")));
}
