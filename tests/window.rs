//! Time windows on generated multi-day sets: counts equal the truth's
//! `by_hour` summed over the window, exactly; calendar days across a clock
//! change; `-d yesterday` reads only the files that can hold yesterday.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::common::*;

/// The truth's failures (bounced, deferred, expired) in hours [from, to).
fn truth_failures(truth: &Value, from: DateTime<Utc>, to: DateTime<Utc>) -> [u64; 3] {
    let mut sum = [0; 3];
    for (hour, c) in truth["by_hour"].as_object().unwrap() {
        let t = DateTime::parse_from_rfc3339(&format!("{hour}:00:00Z")).unwrap();
        if t >= from && t < to {
            for (i, s) in ["bounced", "deferred", "expired"].iter().enumerate() {
                sum[i] += c[*s].as_u64().unwrap_or(0);
            }
        }
    }
    sum
}

fn failures(report: &Value) -> [u64; 3] {
    let t = &report["totals"];
    [n(&t["bounced"]), n(&t["deferred"]), n(&t["expired"])]
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn set_files(dir: &Path, truth: &Value) -> Vec<String> {
    truth["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f.as_str().unwrap()).file_name().unwrap().to_owned();
            dir.join(name).to_string_lossy().into_owned()
        })
        .collect()
}

fn run_json(tz: &str, args: &[&str], files: &[String]) -> Value {
    let out = bounce_report()
        .env("TZ", tz)
        .args(args)
        .args(["-f", "json"])
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn windows_across_new_year_equal_the_truths_hours() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--size",
            "6M",
            "--seed",
            "31",
            "--start",
            "2026-12-30T00:00:00",
            "--days",
            "4",
            "--rotate",
            "3",
        ],
    );
    let files = set_files(dir.path(), &truth);
    for (since, until) in [
        ("2026-12-30T05:00:00Z", "2026-12-31T17:00:00Z"),
        ("2026-12-31T23:00:00Z", "2027-01-01T01:00:00Z"),
        ("2027-01-01T00:00:00Z", "2027-01-03T00:00:00Z"),
        ("2026-12-29T00:00:00Z", "2026-12-30T03:00:00Z"),
    ] {
        let report = run_json("UTC", &["--since", since, "--until", until], &files);
        assert_eq!(
            failures(&report),
            truth_failures(&truth, utc(since), utc(until)),
            "window {since} .. {until}"
        );
        assert_eq!(report["window"]["since"], since.replace('Z', "+00:00"));
    }
    // A date means its midnight in the zone; 24h, 7d and friends are spans.
    let report = run_json("UTC", &["--since", "2026-12-31", "--until", "2027-01-01"], &files);
    assert_eq!(
        failures(&report),
        truth_failures(&truth, utc("2026-12-31T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
    );
}

#[test]
fn a_calendar_day_over_a_clock_change_is_25_hours() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    // RFC 3339 lines carry their offset, so the instants are exact in any zone.
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "mail.log",
        &[
            "--size",
            "4M",
            "--seed",
            "32",
            "--start",
            "2026-10-24T00:00:00",
            "--days",
            "3",
            "--timestamps",
            "rfc3339",
        ],
    );
    let files = vec![log.to_string_lossy().into_owned()];
    // Sunday 25 October 2026 in Berlin: 00:00 CEST (22:00Z the day before)
    // to 00:00 CET on the 26th (23:00Z): 25 hours.
    let report = run_json(
        "Europe/Berlin",
        &["--since", "2026-10-25", "--until", "2026-10-26"],
        &files,
    );
    assert_eq!(report["window"]["since"], "2026-10-25T00:00:00+02:00");
    assert_eq!(report["window"]["until"], "2026-10-26T00:00:00+01:00");
    assert_eq!(
        failures(&report),
        truth_failures(&truth, utc("2026-10-24T22:00:00Z"), utc("2026-10-25T23:00:00Z"))
    );
    // A wall-clock time in the hour that repeats is the first of the two:
    // 02:00 to 03:00 on that morning is two hours.
    let report = run_json(
        "Europe/Berlin",
        &["--since", "2026-10-25 02:00", "--until", "2026-10-25 03:00"],
        &files,
    );
    assert_eq!(report["window"]["since"], "2026-10-25T02:00:00+02:00");
    assert_eq!(report["window"]["until"], "2026-10-25T03:00:00+01:00");
    assert_eq!(
        failures(&report),
        truth_failures(&truth, utc("2026-10-25T00:00:00Z"), utc("2026-10-25T02:00:00Z"))
    );
    // The same day in UTC is 24 hours.
    let report = run_json(
        "Europe/Berlin",
        &["--utc", "--since", "2026-10-25", "--until", "2026-10-26"],
        &files,
    );
    assert_eq!(
        failures(&report),
        truth_failures(&truth, utc("2026-10-25T00:00:00Z"), utc("2026-10-26T00:00:00Z"))
    );
}

/// The event times of `-f jsonl --threads 1` in `tz`, in log order.
fn event_times(tz: &str, log: &Path) -> Vec<DateTime<Utc>> {
    jsonl_of(
        bounce_report()
            .env("TZ", tz)
            .args(["-f", "jsonl", "--threads", "1"])
            .arg(log),
    )
    .iter()
    .map(|e| utc(e["time"].as_str().unwrap()))
    .collect()
}

/// Classic local times (no year, no offset) are read as the instants they
/// name across a clock change, the same as the RFC 3339 times they were
/// written from; in the hour that repeats, as the earlier one. Lines a
/// few seconds apart exercise the timestamp cache's shift within a minute.
#[test]
fn classic_times_across_clock_changes_are_the_instants_they_name() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Zone, start, the change (UTC), the offsets before and after it:
    // Berlin goes back an hour, Lord Howe Island forward half an hour.
    let zones = [
        (
            "Europe/Berlin",
            "2026-10-24T12:00:00",
            "2026-10-25T01:00:00Z",
            7200,
            3600,
        ),
        (
            "Australia/Lord_Howe",
            "2026-10-03T00:00:00",
            "2026-10-03T15:30:00Z",
            37800,
            39600,
        ),
    ];
    for (seed, (tz, start, change, before, after)) in zones.into_iter().enumerate() {
        let name = format!("rfc{seed}.log");
        let seed = (40 + seed).to_string();
        let (rfc, _) = generate(
            &shared,
            dir.path(),
            &name,
            &[
                "--size",
                "3M",
                "--seed",
                &seed,
                "--start",
                start,
                "--days",
                "1",
                "--timestamps",
                "rfc3339",
            ],
        );
        let change = utc(change);
        let text = std::fs::read_to_string(&rfc).unwrap();
        let mut classic = String::new();
        for line in text.lines() {
            let (stamp, rest) = line.split_once(' ').unwrap();
            let t = utc(stamp);
            let offset = if t < change { before } else { after };
            let wall = t.naive_utc() + Duration::seconds(offset);
            classic.push_str(&format!("{} {rest}\n", wall.format("%b %e %H:%M:%S")));
        }
        let path = dir.path().join(format!("classic{seed}.log"));
        std::fs::write(&path, classic).unwrap();
        // The year is inferred from the file's time: keep it that year's.
        set_mtime(&path, utc("2026-10-27T00:00:00Z").into());
        let exact = event_times(tz, &rfc);
        let read = event_times(tz, &path);
        assert_eq!(exact.len(), read.len(), "{tz}");
        assert!(exact.len() > 3_000, "{tz}: {} events", exact.len());
        // When clocks go back, the hour that repeats is read as the first.
        let repeated = change..change + Duration::seconds(before - after);
        let mut moved = 0;
        for (e, r) in exact.iter().zip(&read) {
            if repeated.contains(e) {
                assert_eq!(*r, *e - Duration::seconds(before - after), "{tz}");
                moved += 1;
            } else {
                assert_eq!(r, e, "{tz}");
            }
        }
        assert_eq!(
            moved > 0,
            before > after,
            "{tz}: {moved} events in the repeated hour"
        );
    }
}

#[test]
fn yesterday_reads_only_the_files_that_can_hold_it() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A week of rotated logs, one file a day, ending at the end of today.
    let today = Utc::now().date_naive();
    let start = today - Duration::days(6);
    let start = format!("{start}T00:00:00");
    let (_, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--size", "6M", "--seed", "33", "--start", &start, "--days", "7", "--rotate", "6",
        ],
    );
    let files = set_files(dir.path(), &truth);
    let report = run_json("UTC", &["-d", "yesterday"], &files);
    let yesterday = (today - Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(
        failures(&report),
        truth_failures(&truth, yesterday, yesterday + Duration::days(1))
    );
    let skipped: Vec<(&str, Option<&str>)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["skipped"].as_str()))
        .collect();
    // maillog.6.gz .. maillog.2.gz end before yesterday; maillog.1 is
    // yesterday; maillog (today) starts after it.
    let read: Vec<&str> = skipped
        .iter()
        .filter(|(_, s)| s.is_none())
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(read.len(), 1, "read {read:?} of {skipped:?}");
    assert!(read[0].ends_with("maillog.1"), "{skipped:?}");
    let before = skipped
        .iter()
        .filter(|(_, s)| *s == Some("ends before the window"))
        .count();
    assert_eq!(before, 5, "{skipped:?}");
    // Skipped files were not decompressed: no line of them is counted.
    let lines: u64 = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| n(&f["lines"]))
        .sum();
    assert!(
        lines < n(&truth["lines"]) / 3,
        "{lines} lines read of {}",
        truth["lines"]
    );
}

#[test]
fn bad_times_are_usage_errors() {
    let f: PathBuf = fixture("maillog");
    bounce_report()
        .args(["--since", "last tuesday"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read time \"last tuesday\""));
    bounce_report()
        .args(["-d", "yesterday", "--since", "today"])
        .arg(&f)
        .assert()
        .code(2);
}

#[test]
fn a_block_stamped_later_in_the_middle_does_not_end_until_early() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--size", "4M", "--seed", "72", "--timestamps", "rfc3339"],
    );
    // 3,000 lines of the evening (another host's clock, a jump) moved to
    // the morning, before the window's end at noon: about 500 KB, several
    // chunks, some of which start inside the block.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let evening = lines.iter().position(|l| l.starts_with("2026-11-21T18")).unwrap();
    let morning = lines.iter().position(|l| l.starts_with("2026-11-21T06")).unwrap();
    let block = &lines[evening..evening + 3000];
    let mut moved: Vec<&str> = lines[..morning].to_vec();
    moved.extend_from_slice(block);
    moved.extend_from_slice(&lines[morning..evening]);
    moved.extend_from_slice(&lines[evening + 3000..]);
    let path = dir.path().join("moved.log");
    std::fs::write(&path, moved.join("\n") + "\n").unwrap();
    let until = "2026-11-21T12:00:00Z";
    let want = truth_failures(&truth, utc("2026-11-21T00:00:00Z"), utc(until));
    for threads in ["1", "2"] {
        let out = bounce_report()
            .args([
                "--until",
                until,
                "--chunk-size",
                "65536",
                "--threads",
                threads,
                "-f",
                "json",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(failures(&report), want, "threads {threads}");
        let file = &report["files"][0];
        assert_eq!(file["skipped"], Value::Null, "{file}");
        let late = n(&file["out_of_order"]);
        assert!(late > 0 && late <= 3000, "{file}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "moved.log: {late} lines stamped after --until came before lines inside the window"
            )),
            "{stderr}"
        );
    }
}
