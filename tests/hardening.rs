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

/// An empty regex in a user pattern file was accepted and made every
/// failure `blocked`; a regex that can match the empty string, or a blank
/// phrase, is refused at load (exit 2) naming the file and the rule.
#[test]
fn issue_21_pattern_matching_the_empty_string_is_refused_at_load() {
    let log = fixture("maillog");
    for (rule, what) in [
        ("regex = ''", "regex \"\" can match the empty string"),
        ("regex = '(?:x)*'", "regex \"(?:x)*\" can match the empty string"),
        ("phrase = ''", "phrase \"\" is blank"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("local.toml"),
            format!("[[rule]]\nid = \"catch-all\"\ncause = \"blocked\"\n{rule}\n"),
        )
        .unwrap();
        let out = bounce_report()
            .args(["-f", "json", "--patterns"])
            .arg(dir.path())
            .arg(&log)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{rule}: {stderr}");
        assert!(
            stderr.contains("local.toml:") && stderr.contains("rule \"catch-all\"") && stderr.contains(what),
            "{rule}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{rule}");
    }
}
