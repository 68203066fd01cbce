//! The command line's contract: exit statuses, errors named on stderr,
//! standard input, broken pipes.

use std::io::{Read, Write};
use std::process::{Command as StdCommand, Stdio};

use predicates::prelude::*;

use crate::common::*;

#[test]
fn missing_file_is_named_the_rest_reported_and_the_exit_status_is_1() {
    let good = fixture("maillog");
    let out = bounce_report()
        .args(["-f", "json", "/nonexistent/maillog"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/maillog") && stderr.contains("No such file"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_matches_truth(&report, &read_json(&fixture("maillog.truth.json")));
}

#[test]
fn truncated_gzip_keeps_the_lines_before_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let gz = std::fs::read(fixture("rotated/maillog.2.gz")).unwrap();
    let cut = dir.path().join("maillog.2.gz");
    std::fs::write(&cut, &gz[..gz.len() * 2 / 3]).unwrap();
    let out = bounce_report().args(["-f", "json"]).arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("maillog.2.gz"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        n(&report["totals"]["lines"]) > 100,
        "lines before the damage are counted"
    );
    assert!(report["files"][0]["error"].is_string());
}

#[test]
fn bad_option_is_a_usage_error() {
    bounce_report()
        .arg("--no-such-option")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-option"));
    bounce_report().args(["--format", "yaml"]).assert().code(2);
}

#[test]
fn standard_input_and_crlf_and_nul_bytes() {
    let mut log = std::fs::read(fixture("maillog")).unwrap();
    let plain = json(&["-f", "json", &fixture("maillog").to_string_lossy()]);
    // CRLF line endings and a run of NUL bytes change nothing but the count of other lines.
    let mut crlf = Vec::new();
    for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        crlf.extend_from_slice(line);
        crlf.extend_from_slice(b"\r\n");
    }
    crlf.extend_from_slice(&[0u8; 4096]);
    crlf.extend_from_slice(b"\n");
    log = crlf;
    let out = bounce_report()
        .args(["-f", "json", "-"])
        .write_stdin(log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in ["sent", "bounced", "deferred", "expired"] {
        assert_eq!(report["totals"][s], plain["totals"][s], "{s}");
    }
    assert_eq!(n(&report["totals"]["lines"]), n(&plain["totals"]["lines"]) + 1);
    assert_eq!(report["by_domain"], plain["by_domain"]);
}

#[test]
fn closed_output_pipe_ends_quietly() {
    let bin = assert_cmd::cargo::cargo_bin("bounce-report");
    for threads in ["1", "2"] {
        let mut child = StdCommand::new(&bin)
            .args(["-f", "jsonl", "--threads", threads])
            .arg(fixture("maillog"))
            .arg(fixture("dirty.log"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "--threads {threads}: {status:?}");
        assert!(stderr.is_empty(), "--threads {threads}: {stderr}");
    }
}

/// `--threads 1` reads, analyses and reports on one thread, with the
/// result of a threaded run; `--threads 2` has workers and a reader besides.
/// The log comes through a FIFO: opening it for writing waits until the run
/// has opened it for reading, so the run's threads are counted while it reads.
#[cfg(target_os = "linux")]
#[test]
fn one_thread_means_one_thread() {
    let log = std::fs::read(fixture("maillog")).unwrap();
    let plain = json(&["-f", "json", &fixture("maillog").to_string_lossy()]);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("maillog");
    assert!(StdCommand::new("mkfifo").arg(&fifo).status().unwrap().success());
    for threads in ["1", "2"] {
        let child = StdCommand::new(assert_cmd::cargo::cargo_bin("bounce-report"))
            .args(["-f", "json", "--threads", threads])
            .arg(&fifo)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id()))
            .unwrap()
            .count();
        if threads == "1" {
            assert_eq!(tasks, 1, "--threads 1");
        } else {
            // The main thread, two workers and the reader at the least.
            assert!(tasks >= 4, "--threads 2: {tasks} threads");
        }
        writer.write_all(&log).unwrap();
        drop(writer);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "--threads {threads}");
        let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // Only the file's name and what it was read as may differ.
        report["files"] = plain["files"].clone();
        assert_eq!(report, plain, "--threads {threads}");
    }
}

/// `-o` naming a FIFO (as `/dev/null` names a device) writes into it: the
/// report is renamed into place only over files, never over what is not
/// one (it once replaced `/dev/null` with a file when run as root).
#[cfg(target_os = "linux")]
#[test]
fn output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report");
    assert!(StdCommand::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    // Detached: with the old behaviour nobody opens the FIFO for writing,
    // and this reader waits for ever; the assertions below fail first.
    std::thread::spawn(move || {
        let mut text = String::new();
        let read = std::fs::File::open(&path).and_then(|mut f| f.read_to_string(&mut text));
        let _ = tx.send(read.map(|_| text));
    });
    let out = bounce_report()
        .args(["-f", "json", "-o"])
        .arg(&fifo)
        .arg(fixture("maillog"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "a temporary file was left"
    );
    let text = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_matches_truth(&report, &read_json(&fixture("maillog.truth.json")));
}

#[test]
fn classify_reads_replies_from_arguments_and_stdin() {
    let out = bounce_report()
        .args(["classify", "host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command)"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("user_unknown\thard\t550\t5.1.1"), "{text}");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("bounce-report"))
        .args(["classify", "-f", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"connect to mx.example.com[192.0.2.1]:25: Connection timed out\n452 4.2.2 Mailbox full\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["cause"], "network_error");
    assert_eq!(lines[1]["cause"], "mailbox_full");
    assert_eq!(lines[1]["class"], "transient");
}

#[test]
fn bad_pattern_file_names_file_line_and_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.toml"),
        "# my rules\n[[rule]]\nid = \"mine.bad\"\ncause = \"user_unknwon\"\nphrase = \"no such mailbox here\"\n",
    )
    .unwrap();
    bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .arg(fixture("maillog"))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("mine.toml:4")
                .and(predicate::str::contains("did you mean \"user_unknown\"")),
        );
    std::fs::write(
        dir.path().join("mine.toml"),
        "[[rule]]\nid = \"x\"\ncause = \"blocked\"\nregex = \"(unclosed\"\n",
    )
    .unwrap();
    bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .args(["classify", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("mine.toml"));
}

#[test]
fn user_rule_changes_the_report_without_a_rebuild() {
    let reply = "host aspmx.l.google.com[108.177.174.200] said: 554 Transaction failed (in reply to end of DATA command)";
    let before = bounce_report().args(["classify", reply]).output().unwrap();
    assert!(String::from_utf8_lossy(&before.stdout).starts_with("undefined"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        format!("[[rule]]\nid = \"local.transaction_failed\"\ncause = \"spam_detected\"\nphrase = \"Transaction failed\"\nexamples = [{reply:?}]\n"),
    )
    .unwrap();
    let out = bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .args(["classify", "--explain", reply])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("spam_detected\tsoft\t554"), "{text}");
    assert!(text.contains("local.transaction_failed"), "{text}");
}

#[test]
fn dumped_patterns_load_back_and_classify_the_same() {
    let dir = tempfile::tempdir().unwrap();
    bounce_report()
        .args(["patterns", "--dump"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(dir.path().join("causes.toml").exists() && dir.path().join("postfix.toml").exists());
    let a = bounce_report()
        .args(["-f", "json"])
        .arg(fixture("maillog"))
        .output()
        .unwrap()
        .stdout;
    let b = bounce_report()
        .arg("--patterns")
        .arg(dir.path())
        .args(["-f", "json"])
        .arg(fixture("maillog"))
        .output()
        .unwrap()
        .stdout;
    assert!(a == b, "the dumped catalogue classifies differently");
}

#[test]
fn stats_say_what_the_run_holds_at_its_end() {
    // The deferred recipients still held are the report's pending outcomes,
    // and the bounced hashes its distinct bounced recipients.
    let path = fixture("maillog");
    let report = json(&["-f", "json", path.to_str().unwrap()]);
    let out = bounce_report()
        .args(["-f", "json", "--stats"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let pending = n(&report["deferred_outcomes"]["pending"]);
    assert!(pending > 0, "the fixture has deferrals still pending");
    assert!(
        stderr.contains(&format!(" with {pending} recipients still deferred;")),
        "{stderr}"
    );
    let bounced = n(&report["totals"]["distinct_bounced_recipients"]);
    assert!(
        stderr.contains(&format!(" and {bounced} for bounced;")),
        "{stderr}"
    );
    // Without the flag, nothing is said.
    let quiet = bounce_report().args(["-f", "json"]).arg(&path).output().unwrap();
    assert!(quiet.stderr.is_empty());
}

/// `classify --explain REPLY` in its text form.
fn explained(reply: &str) -> String {
    let out = bounce_report()
        .args(["classify", "--explain", reply])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Exchange Online's 5.4.1 "Access denied", passed on by a smart host.
const RELAYED: &str = "host smarthost.example.net[192.0.2.9] said: 550 5.4.1 Recipient address rejected: Access denied. [DB8PR01.eurprd01.prod.outlook.com] (in reply to RCPT TO command)";

/// `classify --explain` shows the reply's anatomy (who wrote it, the SMTP
/// stage), its codes, the deciding rule and what the stage changed.
#[test]
fn classify_explain_shows_origin_stage_codes_and_the_deciding_rule() {
    let lines = jsonl_of(
        bounce_report()
            .args(["classify", "--explain", "-f", "json"])
            .arg("host mx.example.net[192.0.2.3] said: 550 5.1.1 <news@example.org>... User unknown (in reply to MAIL FROM command)")
            .arg("lost connection with mx.example.net[192.0.2.3] while sending RCPT TO"),
    );
    let first = &lines[0];
    assert_eq!(first["cause"], "rejected");
    assert_eq!(first["origin"], "remote");
    assert_eq!(first["stage"], "mail_from");
    assert_eq!(first["smtp_code"], 550);
    assert_eq!(first["dsn"], "5.1.1");
    assert_eq!(first["rule"], "generic.user_unknown");
    assert!(
        first["adjusted"].as_str().unwrap().contains("our sender"),
        "{first}"
    );
    let second = &lines[1];
    assert_eq!(
        (&second["origin"], &second["stage"]),
        (&"postfix".into(), &"rcpt_to".into())
    );
    assert_eq!(second["cause"], "network_error");
    assert!(second["adjusted"].is_null());

    let text = explained(
        "host mail-in.example.info[192.0.2.1] refused to talk to me: 550 Too many invalid recipients",
    );
    assert!(text.starts_with("bad_reputation\tsoft\t550\t-\n  origin: remote, stage: greeting\n  decided by: generic.too_many_invalid_recipients"), "{text}");
}

/// The provider a reply was put with is part of the explanation: through a
/// smart host the relay is not Microsoft's, but Exchange Online's server
/// name in the text is, and its rule for 5.4.1 "Access denied" decides.
#[test]
fn classify_explain_names_the_provider_from_the_relay_or_the_text() {
    let lines = jsonl_of(
        bounce_report()
            .args(["classify", "--explain", "-f", "json"])
            .arg(RELAYED)
            .arg("host mx.example.net[192.0.2.9] said: 550 5.4.1 Recipient address rejected: Access denied (in reply to RCPT TO command)")
            .arg("host mx3.qq.com[203.205.1.1] said: 550 Mailbox not found. (in reply to RCPT TO command)"),
    );
    assert_eq!(
        (&lines[0]["provider"], &lines[0]["rule"], &lines[0]["cause"]),
        (
            &"microsoft".into(),
            &"microsoft.dbeb_access_denied".into(),
            &"user_unknown".into()
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1]["provider"].is_null(), "{}", lines[1]);
    assert_ne!(lines[1]["cause"], "user_unknown", "{}", lines[1]);
    assert_eq!(lines[2]["provider"], "qq", "{}", lines[2]);
    let text = explained(RELAYED);
    assert!(
        text.contains("  origin: remote, stage: rcpt_to, provider: microsoft\n"),
        "{text}"
    );
}

/// `generate man` is a man page that groff renders without a warning, and
/// it documents every long option `--help` lists; `generate complete-bash`
/// is valid bash that completes every subcommand (issue 20: set-up a Rust
/// user expects).
#[test]
fn generated_man_page_and_completions_cover_the_whole_command_line() {
    let help = bounce_report().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let longs: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    assert!(longs.len() > 15, "{longs:?}");

    let man = bounce_report().args(["generate", "man"]).output().unwrap();
    assert_eq!(man.status.code(), Some(0));
    let roff = String::from_utf8(man.stdout).unwrap();
    assert!(roff.contains(".TH bounce-report 1"), "{roff}");
    for long in &longs {
        // roff escapes the dashes: --since is \-\-since.
        let escaped = long.replace('-', "\\-");
        assert!(roff.contains(&escaped), "{long} missing from the man page");
    }
    if let Ok(mut groff) = StdCommand::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        groff.stdin.take().unwrap().write_all(roff.as_bytes()).unwrap();
        let out = groff.wait_with_output().unwrap();
        assert!(out.status.success());
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(warnings.trim().is_empty(), "groff: {warnings}");
    }

    let bash = bounce_report()
        .args(["generate", "complete-bash"])
        .output()
        .unwrap();
    assert_eq!(bash.status.code(), Some(0));
    let script = String::from_utf8(bash.stdout).unwrap();
    for sub in ["classify", "causes", "suppress", "patterns", "generate"] {
        assert!(script.contains(sub), "{sub} missing from the bash completions");
    }
    for long in &longs {
        assert!(script.contains(long), "{long} missing from the bash completions");
    }
    let mut check = StdCommand::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    check.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    assert!(check.wait().unwrap().success(), "bash -n refused the completions");
}

/// The contract is published in the repository: `docs/SPEC.md` holds every
/// line of the project-wide SPEC.md (beside the checkout, as in CI), in
/// order, plus only marked additions (issue 20: the README points to no
/// file outside the repository).
#[test]
fn the_published_contract_holds_the_whole_spec_in_order() {
    let published = std::fs::read_to_string(repo().join("docs/SPEC.md")).unwrap();
    let Some(shared) = shared() else { return };
    let spec = std::fs::read_to_string(shared.join("SPEC.md")).unwrap();
    let mut ours = published.lines();
    for line in spec.lines() {
        assert!(
            ours.any(|l| l == line),
            "docs/SPEC.md lacks, or has out of order, the SPEC line {line:?}"
        );
    }
    assert!(published.contains("Added by this repository"));
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        !readme.contains("../shared/SPEC"),
        "README points outside the repository"
    );
}
