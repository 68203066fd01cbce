//! Logs from journald: `journalctl -o json`, `short-iso` and
//! `short-precise` output, recognised without a flag, give the same counts
//! as the syslog file they stand for.

use chrono::DateTime;
use serde_json::json;

use crate::common::*;

/// One RFC 3339 syslog line → (time, host, identifier, pid, message).
fn split(line: &str) -> Option<(DateTime<chrono::FixedOffset>, &str, &str, &str, &str)> {
    let (ts, rest) = line.split_once(' ')?;
    let (host, rest) = rest.split_once(' ')?;
    let (tag, message) = rest.split_once(": ")?;
    let (ident, pid) = tag.strip_suffix(']')?.split_once('[')?;
    Some((DateTime::parse_from_rfc3339(ts).ok()?, host, ident, pid, message))
}

#[test]
fn journal_outputs_give_the_syslog_counts() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "mail.log",
        &[
            "--size",
            "2M",
            "--seed",
            "41",
            "--timestamps",
            "rfc3339",
            "--hosts",
            "2",
        ],
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let (mut as_json, mut iso, mut precise) = (String::new(), String::new(), String::new());
    for line in text.lines() {
        let Some((t, host, ident, pid, message)) = split(line) else {
            continue;
        };
        let entry = json!({
            "__CURSOR": "s=0;i=1",
            "__REALTIME_TIMESTAMP": (t.timestamp_micros()).to_string(),
            "_HOSTNAME": host,
            "SYSLOG_IDENTIFIER": ident,
            "SYSLOG_PID": pid,
            "_PID": pid,
            "PRIORITY": "6",
            "MESSAGE": message,
        });
        as_json.push_str(&entry.to_string());
        as_json.push('\n');
        iso.push_str(&format!(
            "{} {host} {ident}[{pid}]: {message}\n",
            t.format("%Y-%m-%dT%H:%M:%S%z")
        ));
        precise.push_str(&format!(
            "{} {host} {ident}[{pid}]: {message}\n",
            t.format("%b %d %H:%M:%S%.6f")
        ));
    }
    for (name, body) in [
        ("journal.json", &as_json),
        ("short-iso.log", &iso),
        ("short-precise.log", &precise),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        // The generator's modification time gives classic lines their year.
        let mtime = std::fs::metadata(&log).unwrap().modified().unwrap();
        set_mtime(&path, mtime);
        let report = json(&["-f", "json", &path.to_string_lossy()]);
        for s in ["sent", "bounced", "deferred", "expired"] {
            assert_eq!(report["totals"][s], truth["totals"][s], "{name}: {s}");
        }
        assert_eq!(domains(&report), truth_domains(&truth), "{name}");
        for k in ["delivered", "bounced", "expired", "pending"] {
            assert_eq!(
                report["deferred_outcomes"][k], truth["deferred_outcomes"][k],
                "{name}: {k}"
            );
        }
    }
}

#[test]
fn journal_flag_without_journalctl_says_so() {
    let out = bounce_report()
        .args(["--journal", "-f", "json"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("journalctl"), "{stderr}");
}

/// A fake `journalctl` in a folder of its own: it records its arguments,
/// prints `body` and exits with `status`.
fn fake_journalctl(dir: &std::path::Path, body: &std::path::Path, status: i32) {
    let script = dir.join("journalctl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}/args\ncat {}\nexit {status}\n",
            dir.display(),
            body.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

#[test]
fn journal_flag_reads_the_postfix_units_for_the_window() {
    let dir = tempfile::tempdir().unwrap();
    fake_journalctl(dir.path(), &fixture("dirty.log"), 0);
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let out = bounce_report()
        .args([
            "--journal",
            "-f",
            "json",
            "--since",
            "2026-11-21T00:00:00Z",
            "--until",
            "2026-11-22T00:00:00Z",
        ])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = json(&["-f", "json", &fixture("dirty.log").to_string_lossy()]);
    assert_eq!(report["totals"]["bounced"], want["totals"]["bounced"]);
    assert_eq!(report["by_domain"], want["by_domain"]);
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert!(args.windows(2).any(|w| w == ["-u", "postfix*"]), "{args:?}");
    assert!(
        args.windows(2).any(|w| w == ["--since", "@1795219200"]),
        "{args:?}"
    );
    assert!(
        args.windows(2).any(|w| w == ["--until", "@1795305600"]),
        "{args:?}"
    );
    assert!(args.windows(2).any(|w| w == ["-o", "json"]), "{args:?}");

    // A journalctl that fails (no such units) is a read error, not an empty log.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    fake_journalctl(dir.path(), &empty, 1);
    let out = bounce_report()
        .args(["--journal", "-f", "json"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("journalctl failed"));
}

#[test]
fn messages_journald_wrote_as_byte_arrays_are_read() {
    // journalctl -o json writes MESSAGE as an array of byte values when it
    // is not UTF-8: here every delivery and qmgr line, with a Latin-1 byte
    // in its parenthesised text, as a remote reply can have.
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "mail.log",
        &["--size", "1M", "--seed", "43", "--timestamps", "rfc3339"],
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let mut body = String::new();
    let mut arrays = 0;
    for line in text.lines() {
        let Some((t, host, ident, pid, message)) = split(line) else {
            continue;
        };
        let mut entry = json!({
            "__REALTIME_TIMESTAMP": (t.timestamp_micros()).to_string(),
            "_HOSTNAME": host,
            "SYSLOG_IDENTIFIER": ident,
            "SYSLOG_PID": pid,
            "MESSAGE": message,
        });
        if let Some(close) = message.rfind(')').filter(|_| message.contains("status=")) {
            let mut bytes = message.as_bytes().to_vec();
            bytes.insert(close, 0xe9);
            entry["MESSAGE"] = json!(bytes);
            arrays += 1;
        }
        body.push_str(&entry.to_string());
        body.push('\n');
    }
    assert!(arrays > 1_000, "{arrays} byte arrays");
    let path = dir.path().join("journal.json");
    std::fs::write(&path, body).unwrap();
    let report = json(&["-f", "json", &path.to_string_lossy()]);
    for s in ["sent", "bounced", "deferred", "expired"] {
        assert_eq!(report["totals"][s], truth["totals"][s], "{s}");
    }
    assert_eq!(domains(&report), truth_domains(&truth));
    // The reply keeps its text, the byte replaced.
    let events = jsonl(&["-f", "jsonl", &path.to_string_lossy()]);
    let bounced = events.iter().find(|e| e["status"] == "bounced").unwrap();
    assert!(
        bounced["reply"].as_str().unwrap().ends_with('\u{fffd}'),
        "{bounced}"
    );
}
