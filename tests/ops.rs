//! Daily operations: `--fail-if` alerts and their exit status, `--quiet`
//! for cron, `--compare` with an earlier run.

use predicates::prelude::*;

use crate::common::*;

#[test]
fn crossed_condition_exits_3_names_it_and_still_reports() {
    let truth = read_json(&fixture("maillog.truth.json"));
    let bounced = n(&truth["totals"]["bounced"]);
    let out = bounce_report()
        .args([
            "--fail-if",
            "bounce_rate>1%",
            "--fail-if",
            &format!("bounced>{}", bounced + 1),
        ])
        .arg(fixture("maillog"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("alert: bounce_rate>1% (value "), "{stderr}");
    assert!(
        !stderr.contains("alert: bounced>"),
        "a condition that holds not is not named: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ALERT: bounce_rate>1%") && stdout.contains("Recipient domains"));
    // At the exact threshold, > does not fire and >= does.
    bounce_report()
        .args(["--fail-if", &format!("bounced>{bounced}")])
        .arg(fixture("maillog"))
        .assert()
        .code(0);
    bounce_report()
        .args(["--fail-if", &format!("bounced>={bounced}")])
        .arg(fixture("maillog"))
        .assert()
        .code(3);
}

#[test]
fn cause_and_domain_conditions() {
    let report = json(&["-f", "json", &fixture("maillog").to_string_lossy()]);
    let top = &report["by_domain"][0];
    let domain = top["domain"].as_str().unwrap();
    let deferred = n(&top["deferred"]);
    let cause = report["by_cause"][0]["cause"].as_str().unwrap();
    for (cond, code) in [
        (format!("domain:{domain}:deferred>{}", deferred - 1), 3),
        (format!("domain:{domain}:deferred>{deferred}"), 0),
        (format!("cause:{cause}>0"), 3),
        ("cause:virus_detected>0".to_string(), 0),
    ] {
        bounce_report()
            .args(["-f", "json", "--fail-if", &cond])
            .arg(fixture("maillog"))
            .assert()
            .code(code);
    }
}

#[test]
fn quiet_prints_only_when_a_condition_is_crossed() {
    bounce_report()
        .args(["--quiet", "--fail-if", "bounced>1000000"])
        .arg(fixture("maillog"))
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
    bounce_report()
        .args(["--quiet", "--fail-if", "bounced>1"])
        .arg(fixture("maillog"))
        .assert()
        .code(3)
        .stdout(predicate::str::contains("Recipient domains"));
}

#[test]
fn alert_wins_over_an_unreadable_input() {
    bounce_report()
        .args(["--fail-if", "bounced>1", "/nonexistent/maillog"])
        .arg(fixture("maillog"))
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("/nonexistent/maillog")
                .and(predicate::str::contains("alert: bounced>1")),
        );
}

#[test]
fn bad_condition_is_a_usage_error() {
    bounce_report()
        .args(["--fail-if", "cause:blockd>0"])
        .arg(fixture("maillog"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean \"blocked\""));
}

/// Issue 20: a condition that can never hold was accepted and stayed
/// silent (`bounce_rate>5` means 500%). Refused, exit 2, nothing reported.
#[test]
fn alerts_that_can_never_fire_are_refused() {
    for (cond, why) in [
        ("bounce_rate>5", "write 5% or 0.05"),
        ("bounce_rate>150%", "from 0% to 100%"),
        ("domain:gmail.com:bounce_rate>100%", "never above 100.00%"),
        ("bounced<0", "a count is never below 0"),
    ] {
        bounce_report()
            .args(["--fail-if", cond])
            .arg(fixture("maillog"))
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(why));
    }
    // The same rate as a fraction or a percentage fires alike.
    for cond in ["bounce_rate>0.01", "bounce_rate>1%"] {
        bounce_report()
            .args(["-f", "json", "--fail-if", cond])
            .arg(fixture("maillog"))
            .assert()
            .code(3);
    }
}

/// Issue 20: `--until` before `--since` gave an empty window and an
/// all-clear report.
#[test]
fn until_not_after_since_is_refused() {
    for (since, until) in [
        ("2026-11-21", "2026-11-20"),
        ("2026-11-21T06:00", "2026-11-21T06:00"),
    ] {
        bounce_report()
            .args(["--since", since, "--until", until])
            .arg(fixture("maillog"))
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("is not after --since"));
    }
    // Spans back from now: --until 2h is before --since 1h.
    bounce_report()
        .args(["--since", "1h", "--until", "2h"])
        .arg(fixture("maillog"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--until \"2h\""));
}

/// Issue 20: `--host` naming no host of the input counted nothing and
/// reported an all-clear. Refused after reading, with the hosts there are.
#[test]
fn host_naming_no_host_of_the_input_is_refused() {
    let log = fixture("maillog");
    let report = json(&["-f", "json", &log.to_string_lossy()]);
    let host = report["by_host"][0]["host"].as_str().unwrap().to_string();
    bounce_report()
        .args(["-f", "json", "--host", "no-such-host"])
        .arg(&log)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("--host no-such-host: no Postfix line of the input was logged by it")
                .and(predicate::str::contains(format!("the hosts in it: {host}"))),
        );
    // With a window the file cannot hold, it is skipped unread: the host
    // may be in it, so there is nothing to refuse.
    bounce_report()
        .args([
            "-f",
            "json",
            "--host",
            &host,
            "--since",
            "2000-01-01",
            "--until",
            "2000-01-02",
        ])
        .arg(&log)
        .assert()
        .code(0);
    let one = json(&["-f", "json", "--host", &host, &log.to_string_lossy()]);
    assert_eq!(one["totals"], report["totals"]);
}

#[test]
fn compare_marks_new_up_down_and_gone() {
    let dir = tempfile::tempdir().unwrap();
    let prev = dir.path().join("yesterday.json");
    let out = bounce_report()
        .args(["-f", "json"])
        .arg(fixture("maillog"))
        .output()
        .unwrap();
    std::fs::write(&prev, &out.stdout).unwrap();
    let before = json(&["-f", "json", &fixture("maillog").to_string_lossy()]);
    let now = json(&[
        "-f",
        "json",
        "--compare",
        &prev.to_string_lossy(),
        &fixture("dirty.log").to_string_lossy(),
    ]);
    let failures = |v: &serde_json::Value| n(&v["bounced"]) + n(&v["deferred"]) + n(&v["expired"]);
    let then: std::collections::HashMap<String, u64> = before["by_domain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["domain"].as_str().unwrap_or("").to_string(), failures(d)))
        .collect();
    let moved = now["compare"]["by_domain"].as_array().unwrap();
    assert!(!moved.is_empty());
    let mut seen = std::collections::HashSet::new();
    for m in moved {
        let name = m["name"].as_str().unwrap_or("").to_string();
        let (f, p) = (n(&m["failures"]), n(&m["previous"]));
        assert_eq!(p, then.get(&name).copied().unwrap_or(0), "{m}");
        let want = match (p, f) {
            (p, 0) if p > 0 => "gone",
            (0, _) => "new",
            (p, f) if f > p => "up",
            (p, f) if f < p => "down",
            _ => "same",
        };
        assert_eq!(m["change"], want, "{m}");
        seen.insert(m["change"].as_str().unwrap().to_string());
    }
    assert!(seen.contains("new") && seen.contains("gone"), "{seen:?}");
    let text = bounce_report()
        .arg("--compare")
        .arg(&prev)
        .arg(fixture("dirty.log"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("vs prev") && text.contains("Compared with"),
        "{text}"
    );
    bounce_report()
        .arg("--compare")
        .arg(fixture("maillog"))
        .arg(fixture("maillog"))
        .assert()
        .code(2);
}
