//! Hostile and broken input, and output faults (issue 21): lines of any
//! length are cut at 1 MiB and counted as overlong whatever the source, in
//! bounded memory; a log that shrinks while read is an error; a failed
//! write says it was writing; `-o` never replaces an input, writes through
//! a symlink, and leaves no temporary file when a signal ends the run.

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

#[test]
fn a_full_disk_is_a_failed_write_not_a_failed_read() {
    let log = fixture("maillog");
    for format in ["jsonl", "json"] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("bounce-report"))
            .args(["-f", format])
            .arg(&log)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            stderr.contains("writing the output: No space left on device") && !stderr.contains("reading"),
            "{format}: {stderr}"
        );
    }
}

#[test]
fn a_closed_stdout_is_an_error_and_dev_null_is_not() {
    let bin = assert_cmd::cargo::cargo_bin("bounce-report");
    let log = fixture("maillog");
    let run = |redirect: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec \"$0\" -f json \"$1\" {redirect}"))
            .arg(&bin)
            .arg(&log)
            .output()
            .unwrap()
    };
    let closed = run(">&-");
    let stderr = String::from_utf8_lossy(&closed.stderr);
    assert_eq!(closed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("standard output is closed"), "{stderr}");
    let null = run(">/dev/null");
    assert_eq!(
        null.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&null.stderr)
    );
}

#[test]
fn output_naming_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    std::fs::copy(fixture("maillog"), &log).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&log, &link).unwrap();
    let before = std::fs::read(&log).unwrap();
    for (output, args) in [(&log, vec![]), (&link, vec![]), (&log, vec!["suppress"])] {
        let out = bounce_report()
            .arg("-o")
            .arg(output)
            .args(&args)
            .arg(&log)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("names the input"), "{stderr}");
        assert_eq!(std::fs::read(&log).unwrap(), before);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}

#[test]
fn output_onto_a_symlink_writes_through_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("bounces.prom.real");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o604)).unwrap();
    let link = dir.path().join("bounces.prom");
    std::os::unix::fs::symlink("bounces.prom.real", &link).unwrap();
    bounce_report()
        .args(["-f", "prometheus", "-o"])
        .arg(&link)
        .arg(fixture("maillog"))
        .assert()
        .success();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(written.contains("bounce_report_lines_total"), "{written}");
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o604
    );
    // As root, the file keeps its owner and group too.
    // SAFETY: reads the effective user id.
    if unsafe { libc::geteuid() } == 0 {
        use std::os::unix::fs::MetadataExt;
        std::os::unix::fs::chown(&real, Some(4321), Some(4322)).unwrap();
        bounce_report()
            .args(["-f", "prometheus", "-o"])
            .arg(&link)
            .arg(fixture("maillog"))
            .assert()
            .success();
        let meta = std::fs::metadata(&real).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (4321, 4322));
    }
}

#[test]
fn a_signal_during_output_leaves_no_temporary_file() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        // Reading standard input that stays open: the run waits with its
        // temporary file made.
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bounce-report"))
            .args(["-f", "json", "-o"])
            .arg(&target)
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let temp = dir.path().join(format!(".report.json.tmp-{}", child.id()));
        let start = std::time::Instant::now();
        while !temp.exists() {
            assert!(start.elapsed().as_secs() < 30, "no temporary file");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // SAFETY: a signal to our own child.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(signal)
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "signal {signal}"
        );
    }
}
