//! The committed fixtures (`fixtures/`, small gen-maillog logs with their
//! truth beside them): counts, formats, order, thread-count invariance.

use crate::common::*;

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

#[test]
fn sample_log_json_equals_its_truth() {
    let report = json(&["-f", "json", &fx("maillog")]);
    assert_matches_truth(&report, &read_json(&fixture("maillog.truth.json")));
    assert_eq!(report["totals"]["malformed"], 0);
}

#[test]
fn dirty_multi_host_rfc3339_log_equals_its_truth_and_counts_every_line() {
    let report = json(&["-f", "json", &fx("dirty.log")]);
    let truth = read_json(&fixture("dirty.truth.json"));
    assert_matches_truth(&report, &truth);
    let t = &report["totals"];
    assert_eq!(
        n(&t["lines"]),
        n(&t["parsed"]) + n(&t["other"]) + n(&t["malformed"])
    );
    // Lines cut short before status= are malformed, not lost.
    assert!(n(&t["malformed"]) >= 1 && n(&t["malformed"]) <= n(&truth["damaged_lines"]));
}

#[test]
fn rotated_set_in_any_order_reads_oldest_first() {
    let shuffled = [
        fx("rotated/maillog"),
        fx("rotated/maillog.2.gz"),
        fx("rotated/maillog.1"),
    ];
    let args: Vec<&str> = ["-f", "json"]
        .into_iter()
        .chain(shuffled.iter().map(String::as_str))
        .collect();
    let report = json(&args);
    assert_matches_truth(&report, &read_json(&fixture("rotated/truth.json")));
    let order: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        order[0].ends_with("maillog.2.gz")
            && order[1].ends_with("maillog.1")
            && order[2].ends_with("rotated/maillog"),
        "{order:?}"
    );
    assert_eq!(report["files"][0]["compression"], "gzip");
}

#[test]
fn directory_argument_means_its_mail_logs() {
    let report = json(&["-f", "json", &fx("rotated")]);
    assert_matches_truth(&report, &read_json(&fixture("rotated/truth.json")));
    assert_eq!(
        report["files"].as_array().unwrap().len(),
        3,
        "truth.json is no mail log"
    );
}

/// Debian's rsyslog writes the mail lines to `mail.log` and again to
/// `mail.info` (and subsets to `mail.warn`, `mail.err`); a file beside a
/// symlink to it is one file. Each line counts once.
#[test]
fn a_debian_directory_and_a_symlink_count_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture("maillog");
    let truth = read_json(&fixture("maillog.truth.json"));
    for name in ["mail.log", "mail.info", "mail.warn"] {
        std::fs::copy(&log, dir.path().join(name)).unwrap();
    }
    let out = bounce_report()
        .args(["-f", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_matches_truth(&report, &truth);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("left out mail.info*"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let link = dir.path().join("maillog.link");
    std::os::unix::fs::symlink(&log, &link).unwrap();
    let out = bounce_report()
        .args(["-f", "json"])
        .arg(&log)
        .arg(&link)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_matches_truth(&report, &truth);
    assert_eq!(report["files"].as_array().unwrap().len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the same file as"));
}

#[test]
fn jsonl_of_rotated_set_is_in_time_order() {
    let events = jsonl(&["-f", "jsonl", &fx("rotated")]);
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "events out of time order");
}

#[test]
fn concatenated_gzip_members_are_all_read() {
    let report = json(&["-f", "json", &fx("concatenated.log.gz")]);
    let truth = read_json(&fixture("concatenated.truth.json"));
    for s in ["sent", "bounced", "deferred", "expired"] {
        assert_eq!(report["totals"][s], truth["totals"][s], "{s}");
    }
    assert_eq!(report["totals"]["lines"], truth["lines"]);
}

#[test]
fn result_is_identical_for_any_thread_count_and_chunk_size() {
    for name in ["maillog", "dirty.log"] {
        let f = fx(name);
        let base = bounce_report().args(["-f", "json", &f]).output().unwrap().stdout;
        for (threads, chunk) in [
            ("1", "4194304"),
            ("1", "1000"),
            ("2", "777"),
            ("2", "150"),
            ("3", "65536"),
        ] {
            let other = bounce_report()
                .args(["-f", "json", "--threads", threads, "--chunk-size", chunk, &f])
                .output()
                .unwrap()
                .stdout;
            assert!(
                base == other,
                "{name}: --threads {threads} --chunk-size {chunk} differs"
            );
        }
        let a = bounce_report().args(["-f", "jsonl", &f]).output().unwrap().stdout;
        let b = bounce_report()
            .args(["-f", "jsonl", "--threads", "1", "--chunk-size", "999", &f])
            .output()
            .unwrap()
            .stdout;
        assert!(a == b, "{name}: jsonl differs with one thread and small chunks");
    }
}

#[test]
fn jsonl_has_one_event_per_status_line_with_the_specs_fields() {
    let events = jsonl(&["-f", "jsonl", &fx("maillog")]);
    let truth = read_json(&fixture("maillog.truth.json"));
    let total: u64 = ["sent", "bounced", "deferred", "expired"]
        .iter()
        .map(|s| n(&truth["totals"][s]))
        .sum();
    assert_eq!(events.len() as u64, total);
    let text = std::fs::read_to_string(fixture("maillog")).unwrap();
    let status_lines = text
        .lines()
        .filter(|l| {
            l.contains(": to=<")
                && ["status=sent", "status=bounced", "status=deferred"]
                    .iter()
                    .any(|s| l.contains(s))
        })
        .count();
    let expired = events.iter().filter(|e| e["status"] == "expired").count();
    assert_eq!(events.len(), status_lines + expired);
    for e in &events {
        for field in [
            "time",
            "host",
            "queue_id",
            "recipient",
            "domain",
            "sender",
            "status",
            "dsn",
            "smtp_code",
            "relay",
            "cause",
            "class",
            "reply",
        ] {
            assert!(e.get(field).is_some(), "field {field} missing in {e}");
        }
        let failed = e["status"] != "sent";
        assert_eq!(e["cause"].is_string(), failed, "{e}");
        assert_eq!(e["class"].is_string(), failed, "{e}");
        if let Some(d) = e["domain"].as_str() {
            assert_eq!(d, d.to_lowercase());
        }
    }
    // Every event of a message whose from= line is in the log has its sender.
    assert!(events.iter().filter(|e| e["sender"].is_null()).count() < events.len() / 100);
}

#[test]
fn classes_follow_the_spec() {
    for e in jsonl(&["-f", "jsonl", &fx("maillog"), &fx("dirty.log")]) {
        let hard = [
            "user_unknown",
            "host_unknown",
            "not_accept",
            "has_moved",
            "suspend",
        ];
        let want = match e["status"].as_str().unwrap() {
            "sent" => None,
            "deferred" => Some("transient"),
            _ if hard.contains(&e["cause"].as_str().unwrap()) => Some("hard"),
            _ => Some("soft"),
        };
        assert_eq!(e["class"].as_str(), want, "{e}");
    }
}

#[test]
fn table_report_reads_in_80_columns_when_piped_with_columns_80() {
    let out = bounce_report()
        .arg(fx("maillog"))
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let truth = read_json(&fixture("maillog.truth.json"));
    for needle in [
        "Totals",
        "Recipient domains",
        "Causes",
        "What to do",
        "bounce rate",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
    let sent = n(&truth["totals"]["sent"]);
    let sent = if sent >= 1000 {
        format!("{},{:03}", sent / 1000, sent % 1000)
    } else {
        sent.to_string()
    };
    assert!(text.contains(&sent), "sent count {sent} not shown");
    // The header's Lines line is one line whatever the width (scripts grep
    // it); everything else fits.
    for line in text.lines().filter(|l| !l.starts_with("Lines: ")) {
        assert!(line.chars().count() <= 80, "line over 80 columns: {line:?}");
    }
    assert!(!text.contains('─'), "box drawing when piped");
}

/// Outside a terminal the table is as wide as `COLUMNS`, else as its
/// content (issue 20: cron mail cut names mid-word at 80 columns); a
/// domain, relay or address is never broken, even in a narrow `COLUMNS`.
#[test]
fn table_never_breaks_a_name_and_follows_columns() {
    let report = json(&["-f", "json", "--by", "relay", &fx("maillog")]);
    let relays: Vec<String> = report["by_relay"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["relay"].as_str().map(str::to_string))
        .take(20)
        .collect();
    let longest = relays.iter().map(|r| r.chars().count()).max().unwrap();
    assert!(longest > 30, "the fixture has long relay names: {relays:?}");
    for columns in [None, Some("50"), Some("200")] {
        let mut cmd = bounce_report();
        cmd.args(["--by", "relay", &fx("maillog")]);
        match columns {
            Some(c) => cmd.env("COLUMNS", c),
            None => cmd.env_remove("COLUMNS"),
        };
        let text = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        for relay in &relays {
            let row = text
                .lines()
                .find(|l| l.starts_with(relay.as_str()))
                .unwrap_or_else(|| panic!("{relay} is not whole on a line ({columns:?}):\n{text}"));
            assert_eq!(row.split_whitespace().next(), Some(relay.as_str()));
        }
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        match columns {
            // As wide as the content: every row on one line.
            None => assert!(widest > 80, "{text}"),
            Some("200") => assert!(widest <= 200, "{text}"),
            _ => {}
        }
    }
}

#[test]
fn csv_is_one_complete_breakdown_with_a_header() {
    for (by, header) in [
        ("domain", "domain"),
        ("cause", "cause"),
        ("hour", "hour"),
        ("relay", "relay"),
    ] {
        let out = bounce_report()
            .args(["-f", "csv", "--by", by, &fx("maillog")])
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
        assert_eq!(&rdr.headers().unwrap()[0], header);
        let rows = rdr.records().collect::<Result<Vec<_>, _>>().unwrap();
        assert!(!rows.is_empty(), "--by {by}");
        if by == "domain" {
            let report = json(&["-f", "json", &fx("maillog")]);
            assert_eq!(
                rows.len(),
                report["by_domain"].as_array().unwrap().len(),
                "csv is not cut by --top"
            );
        }
    }
}

/// The jsonl schema (docs/jsonl-schema.md) is version 1: every event says
/// so, and carries exactly these fields (the last two only when it ends a
/// deferral history). Changing them needs a bump of `"v"`.
#[test]
fn jsonl_events_carry_schema_version_and_its_fields() {
    const V1: [&str; 18] = [
        "v",
        "time",
        "host",
        "queue_id",
        "recipient",
        "orig_to",
        "domain",
        "sender",
        "sasl_username",
        "status",
        "dsn",
        "smtp_code",
        "relay",
        "delay",
        "cause",
        "class",
        "rule",
        "reply",
    ];
    let events = jsonl(&["-f", "jsonl", &fx("maillog")]);
    assert!(!events.is_empty());
    for e in &events {
        let keys: std::collections::BTreeSet<&str> =
            e.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want: std::collections::BTreeSet<&str> = V1.into_iter().collect();
        if e.get("attempts").is_some() {
            want.extend(["attempts", "first_deferred"]);
        }
        assert_eq!(e["v"], 1, "{e}");
        assert_eq!(keys, want, "{e}");
    }
    assert!(
        events.iter().any(|e| e.get("attempts").is_some()),
        "no deferral history ends"
    );
}
