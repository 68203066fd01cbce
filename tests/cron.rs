//! The crontab lines of README.md's "Daily report from cron", run exactly
//! as written and as cron runs them (`sh -c`, no terminal, `TZ` set,
//! `LANG=C`, `\%` turned into `%`), on generated rotated sets, with `mail`
//! replaced by a script that keeps what it was given.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{Duration, Timelike, Utc};

use crate::common::*;

/// The commands of the README's crontab block (the five time fields cut).
fn crontab_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let block = readme
        .split("```crontab\n")
        .nth(1)
        .expect("a crontab block in README.md");
    let block = block.split("```").next().unwrap();
    block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().skip(5).collect::<Vec<_>>().join(" "))
        .map(|c| {
            // cron turns an unescaped % into a newline; the README escapes them.
            assert!(!c.replace("\\%", "").contains('%'), "unescaped % in {c}");
            c.replace("\\%", "%")
        })
        .collect()
}

struct Machine {
    root: tempfile::TempDir,
}

impl Machine {
    /// A fake system: `log/` for /var/log, `textfile/` for the collector's
    /// folder, `bin/` with bounce-report and a `mail` that keeps its input.
    fn new() -> Machine {
        let root = tempfile::tempdir().unwrap();
        for d in ["log", "textfile", "bin", "mail", "state"] {
            std::fs::create_dir(root.path().join(d)).unwrap();
        }
        let bin = root.path().join("bin");
        std::os::unix::fs::symlink(
            assert_cmd::cargo::cargo_bin("bounce-report"),
            bin.join("bounce-report"),
        )
        .unwrap();
        let mail = bin.join("mail");
        std::fs::write(
            &mail,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {0}/args\ncat > {0}/body\n",
                root.path().join("mail").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&mail, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        Machine { root }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }

    /// When cron runs: six hours into the newest file's day, where the
    /// generated mail flows (its span thins out at the very end). The binary
    /// reads it from `BOUNCE_REPORT_NOW`.
    fn now(&self) -> chrono::DateTime<Utc> {
        let rotated = std::fs::metadata(self.path("log/maillog.1"))
            .unwrap()
            .modified()
            .unwrap();
        chrono::DateTime::<Utc>::from(rotated) + Duration::hours(6)
    }

    /// Runs one crontab command as cron would, on this machine's folders.
    fn run(&self, command: &str) -> std::process::Output {
        let now = self.now();
        let command = command
            .replace("/var/log/", &format!("{}/", self.path("log").display()))
            .replace(
                "/var/lib/node_exporter/textfile/",
                &format!("{}/", self.path("textfile").display()),
            )
            .replace(
                "/var/lib/bounce-report/",
                &format!("{}/", self.path("state").display()),
            );
        Command::new("sh")
            .arg("-c")
            .arg(&command)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.path("bin").display()))
            .env("HOME", self.root.path())
            .env("SHELL", "/bin/sh")
            .env("TZ", "UTC")
            .env("LANG", "C")
            .env("BOUNCE_REPORT_NOW", now.to_rfc3339())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn generate_set(shared: &Path, dir: &Path, extra: &[&str]) -> serde_json::Value {
    // Three days ending about now, one file a day, as logrotate leaves them.
    let start = (Utc::now() - Duration::days(3))
        .with_second(0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let mut args = vec![
        "--size", "3M", "--seed", "61", "--start", &start, "--days", "3", "--rotate", "2",
    ];
    args.extend_from_slice(extra);
    generate(shared, dir, "maillog", &args).1
}

#[test]
fn the_readme_crontab_lines_do_what_the_readme_says() {
    let Some(shared) = shared() else { return };
    let commands = crontab_commands();
    assert_eq!(commands.len(), 3, "{commands:?}");
    let m = Machine::new();
    generate_set(&shared, &m.path("log"), &["--bounce-rate", "0.3"]);

    // 1. Yesterday's Markdown summary, mailed.
    let out = m.run(&commands[0]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = std::fs::read_to_string(m.path("mail/args")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["-s", "Mail bounces yesterday", "postmaster"]
    );
    let body = std::fs::read_to_string(m.path("mail/body")).unwrap();
    let now = m.now();
    let yesterday = (now - Duration::days(1)).format("%Y-%m-%d").to_string();
    assert!(body.starts_with("# "), "not Markdown: {body:.200}");
    assert!(
        body.contains(&yesterday),
        "the mail does not name yesterday ({yesterday})"
    );
    let log = m.path("log/maillog").to_string_lossy().into_owned();
    let glob = [log.clone() + ".2.gz", log.clone() + ".1", log.clone()];
    let mut args = vec!["-f", "json", "-d", "yesterday"];
    args.extend(glob.iter().map(String::as_str));
    let out = bounce_report()
        .env("BOUNCE_REPORT_NOW", now.to_rfc3339())
        .args(&args)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent = n(&report["totals"]["sent"]);
    assert!(sent > 0);
    let sent = if sent >= 1000 {
        format!("{},{:03}", sent / 1000, sent % 1000)
    } else {
        sent.to_string()
    };
    assert!(
        body.contains(&sent),
        "the mail does not show yesterday's {sent} sent"
    );

    // 2. The metrics file, replaced atomically.
    let out = m.run(&commands[1]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prom = std::fs::read_to_string(m.path("textfile/bounce_report.prom")).unwrap();
    assert!(prom.contains("# TYPE bounce_report_events_total counter"));
    let left: Vec<_> = std::fs::read_dir(m.path("textfile"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "temporary files left: {left:?}");
    // Its state: a second run reads nothing new and its counters are the same.
    assert!(m.path("state/metrics.state").exists());
    let out = m.run(&commands[1]);
    assert_eq!(out.status.code(), Some(0));
    let again = std::fs::read_to_string(m.path("textfile/bounce_report.prom")).unwrap();
    let counters = |p: &str| -> Vec<String> {
        p.lines()
            .filter(|l| l.contains("_total") && !l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    assert_eq!(counters(&again), counters(&prom));

    // 3. The alert: a bounce rate of about 30% crosses 5%.
    let out = m.run(&commands[2]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ALERT: bounce_rate>5%"), "{stdout:.300}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("alert: bounce_rate>5%"));
}

#[test]
fn the_alert_line_is_silent_while_all_is_well() {
    let Some(shared) = shared() else { return };
    let commands = crontab_commands();
    let m = Machine::new();
    generate_set(
        &shared,
        &m.path("log"),
        &["--bounce-rate", "0", "--defer-rate", "0", "--expire-rate", "0"],
    );
    let out = m.run(&commands[2]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "cron would mail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The systemd timer's service runs the README's daily crontab command,
/// word for word (so the test above covers it too), and `systemd-analyze
/// verify` accepts the units where systemd is installed.
#[test]
fn the_systemd_units_run_the_daily_crontab_command() {
    let dir = repo().join("contrib/systemd");
    let service = std::fs::read_to_string(dir.join("bounce-report-daily.service")).unwrap();
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("ExecStart=/bin/sh -c '…' in the service");
    assert_eq!(exec, crontab_commands()[0]);
    let timer = std::fs::read_to_string(dir.join("bounce-report-daily.timer")).unwrap();
    assert!(timer.contains("OnCalendar=*-*-* 06:15:00"), "{timer}");
    if let Ok(out) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.join("bounce-report-daily.timer"))
        .output()
    {
        // Warnings about the environment (no bounce-report user here) are
        // not the units' fault; a syntax error is.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("Unknown key") && !stderr.contains("Invalid") && !stderr.contains("bad-setting"),
            "{stderr}"
        );
    }
}
