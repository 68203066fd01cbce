//! Hostile and broken input (issue 21): lines of any length are cut at
//! 1 MiB and counted as overlong whatever the source, in bounded memory.

use std::io::Write;

use serde_json::Value;

use crate::common::*;

/// A report whose overlong lines are `overlong`, with them taken out of
/// its line count, so that it can be set against the truth of the log
/// they were put into.
fn without_overlong(mut report: Value, overlong: u64) -> Value {
    assert_eq!(report["totals"]["overlong"], overlong, "{}", report["totals"]);
    let lines = n(&report["totals"]["lines"]);
    report["totals"]["lines"] = (lines - overlong).into();
    report
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn overlong_lines_are_cut_and_counted_from_files_pipes_and_decompressors() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(&shared, dir.path(), "maillog", &["--size", "2M", "--seed", "71"]);
    let text = std::fs::read(&log).unwrap();
    // Two damaged lines: 3 MiB of NULs in the middle, 2 MiB of text with a
    // delivery line's mark and no newline at the end.
    let middle = text[text.len() / 2..].iter().position(|&b| b == b'\n').unwrap() + text.len() / 2 + 1;
    let mut damaged = text[..middle].to_vec();
    damaged.extend(std::iter::repeat_n(0u8, 3 << 20));
    damaged.push(b'\n');
    damaged.extend_from_slice(&text[middle..]);
    damaged.extend_from_slice(b"Nov 21 03:14:07 mx1 postfix/smtp[1]: 4BQ3Tz0X1Cz9vQ: to=<a@b.example>, ");
    damaged.extend(std::iter::repeat_n(b'x', 2 << 20));
    let mtime = std::fs::metadata(&log).unwrap().modified().unwrap();
    let plain = dir.path().join("damaged.log");
    std::fs::write(&plain, &damaged).unwrap();
    set_mtime(&plain, mtime);
    let packed = dir.path().join("damaged.log.gz");
    std::fs::write(&packed, gzip(&damaged)).unwrap();
    set_mtime(&packed, mtime);
    let (plain, packed) = (plain.to_string_lossy(), packed.to_string_lossy());
    // A plain file read in spans by two workers, and in order by one, with
    // small chunks; gzip; standard input.
    for args in [
        vec!["--threads", "2", &plain],
        vec!["--threads", "1", "--chunk-size", "65536", &plain],
        vec!["--threads", "2", &packed],
    ] {
        let report = json(&[&["-f", "json"], &args[..]].concat());
        assert_matches_truth(&without_overlong(report, 2), &truth);
    }
    let out = bounce_report()
        .args(["-f", "json", "-"])
        .env("BOUNCE_REPORT_NOW", "2030-01-01T00:00:00Z")
        .write_stdin(damaged.clone())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"]["overlong"], 2);
    assert_eq!(report["files"][0]["overlong"], 2);
    assert_eq!(report["totals"]["lines"], n(&truth["lines"]) + 2);
    // The table says so on its Lines line.
    let table = bounce_report().arg(&*plain).output().unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("2 overlong (over 1 MiB"), "{table}");
}

#[test]
fn zeros_without_a_newline_and_a_gzip_bomb_give_a_report() {
    // A few MiB of /dev/zero through a pipe, and gzip of NULs: one line
    // each, overlong, read in bounded memory (peak RSS in BENCHMARKS.md).
    let zeros = vec![0u8; 5 << 20];
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.gz");
    std::fs::write(&bomb, gzip(&vec![0u8; 24 << 20])).unwrap();
    for (args, input) in [(vec!["-"], zeros), (vec![bomb.to_str().unwrap()], Vec::new())] {
        let out = bounce_report()
            .args(["-f", "json"])
            .args(&args)
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let totals = &report["totals"];
        assert_eq!(
            (n(&totals["lines"]), n(&totals["overlong"]), n(&totals["other"])),
            (1, 1, 0),
            "{args:?}: {totals}"
        );
    }
}

/// Runs `-f jsonl --threads 1` on `log`, calls `meanwhile` once the first
/// byte of output is out (the log is open, and the run cannot read far
/// ahead of what is read from its output: a few hundred KiB of an 8 MB
/// log), reads the rest; returns (exit status, stderr).
fn while_read(log: &std::path::Path, meanwhile: impl FnOnce()) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bounce-report"))
        .env("TZ", "UTC")
        .args(["--threads", "1", "-f", "jsonl"])
        .arg(log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    meanwhile();
    std::io::copy(&mut stdout, &mut std::io::sink()).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_log_truncated_or_replaced_while_it_is_read_is_named_and_exits_1() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generate(&shared, dir.path(), "maillog", &["--size", "8M", "--seed", "73"]);
    let whole = std::fs::read(&log).unwrap();
    // copytruncate: the same file, cut to half.
    let (code, stderr) = while_read(&log, || {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&log)
            .unwrap()
            .set_len(whole.len() as u64 / 2)
            .unwrap()
    });
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("maillog: shrank while it was read"), "{stderr}");
    // A rotation: another file renamed to its name.
    std::fs::write(&log, &whole).unwrap();
    let new = dir.path().join("new");
    std::fs::write(&new, "").unwrap();
    let (code, stderr) = while_read(&log, || std::fs::rename(&new, &log).unwrap());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("maillog: replaced while it was read"), "{stderr}");
    // Untouched: exit 0, nothing said.
    std::fs::write(&log, &whole).unwrap();
    let (code, stderr) = while_read(&log, || {});
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
}
