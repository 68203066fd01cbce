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

/// A reply text with every terminal trick issue 21 tried: ESC CSI colour,
/// an OSC 8 link and an OSC 0 title ended by BEL, the C1 CSI U+009B, BS
/// and CR that overwrite, DEL, and a right-to-left override.
const HOSTILE: &str = "\x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 \
                       \x1b]0;title\x07 \u{9b}2J ab\x08\x08cd\rX\x7f \u{202e}txt.exe";

/// [`HOSTILE`] as every renderer shows it.
const HOSTILE_SHOWN: &str = r"\x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 \x1b]0;title\x07 \u{9b}2J ab\x08\x08cd\x0dX\x7f \u{202e}txt.exe";

/// A log in Postfix's shape (qmgr `from=` then smtp `status=bounced`, as in
/// `fixtures/maillog`) whose recipients, domains, senders and replies are
/// hostile: formula cells, terminal controls and a BiDi override.
fn hostile_log(dir: &std::path::Path) -> std::path::PathBuf {
    let user_unknown =
        |mx: &str| format!("host {mx}[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command)");
    let mail = [
        ("=evil@sender.example", "=cmd@x.example", user_unknown("mx.x.example")),
        (
            "+x@plus.example",
            "bob@=HYPERLINK(\"http://evil\").example",
            user_unknown("mx.evil.example"),
        ),
        (
            "-x\x1b]0;t\x07@s.example",
            "carol@ctl.example",
            format!("host mx.ctl.example[192.0.2.1] said: 550 5.1.1 {HOSTILE} User unknown (in reply to RCPT TO command)"),
        ),
        ("@at@at.example", "dave@esc\x1b[31m.example", user_unknown("mx.esc.example")),
        ("news@\u{202e}evil.example", "erin@\u{202e}lapyap.example", user_unknown("mx.bidi.example")),
        (
            "ok@fine.example",
            "frank@odd.example",
            format!("host mx.odd.example[192.0.2.1] said: 554 {HOSTILE} zork (in reply to end of DATA command)"),
        ),
    ];
    let mut log = String::new();
    for (i, (from, to, reply)) in mail.iter().enumerate() {
        let qid = format!("4BQ3Tz0X1Cz9v{}", char::from(b'A' + i as u8));
        let dsn = if reply.contains(" 550 ") { "5.1.1" } else { "5.0.0" };
        log.push_str(&format!(
            "2026-11-21T03:14:00+00:00 mx1 postfix/qmgr[3200]: {qid}: from=<{from}>, size=1234, nrcpt=1 (queue active)\n\
             2026-11-21T03:14:0{}+00:00 mx1 postfix/smtp[3201]: {qid}: to=<{to}>, relay=mx.example[192.0.2.1]:25, \
             delay=1.2, delays=0.1/0/0.5/0.6, dsn={dsn}, status=bounced ({reply})\n",
            i + 1
        ));
    }
    let path = dir.join("maillog");
    std::fs::write(&path, log).unwrap();
    path
}

/// Runs with `args` on `log`; the run must succeed and print no raw control
/// or BiDi character (a line feed ends lines; HTML may indent).
fn shown(args: &[&str], log: &std::path::Path) -> String {
    let out = bounce_report().args(args).arg(log).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(raw.is_empty(), "{args:?} wrote raw {raw:?}:\n{text}");
    text
}

fn at(second: u32) -> String {
    format!("2026-11-21T03:14:0{second}+00:00")
}

#[test]
fn issue_21_suppress_guards_formula_cells_and_shows_controls_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let unknown =
        |mx: &str| format!("host {mx}[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command)");
    let row = |address: &str, domain: &str, s: u32, reply: &str| {
        format!("{address},{domain},user_unknown,1,{},{},{reply}\n", at(s), at(s))
    };
    let want = [
        "address,domain,cause,count,first_seen,last_seen,last_reply\n".to_string(),
        row(
            r#""bob@=HYPERLINK(""http://evil"").example""#,
            r#""'=hyperlink(""http://evil"").example""#,
            2,
            &unknown("mx.evil.example"),
        ),
        row(
            "carol@ctl.example",
            "ctl.example",
            3,
            &format!("host mx.ctl.example[192.0.2.1] said: 550 5.1.1 {HOSTILE_SHOWN} User unknown (in reply to RCPT TO command)"),
        ),
        row(
            r"dave@esc\x1b[31m.example",
            r"esc\x1b[31m.example",
            4,
            &unknown("mx.esc.example"),
        ),
        row("'=cmd@x.example", "x.example", 1, &unknown("mx.x.example")),
        row(
            r"erin@\u{202e}lapyap.example",
            r"\u{202e}lapyap.example",
            5,
            &unknown("mx.bidi.example"),
        ),
    ]
    .concat();
    assert_eq!(shown(&["suppress"], &log), want);
}

#[test]
fn issue_21_every_csv_breakdown_guards_formula_cells_and_shows_controls_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let header = |key: &str| format!("{key},sent,bounced,deferred,expired,bounce_rate,main_cause\n");
    assert_eq!(
        shown(&["-f", "csv"], &log),
        header("domain")
            + "\"'=hyperlink(\"\"http://evil\"\").example\",0,1,0,0,1.0000,user_unknown\n\
               ctl.example,0,1,0,0,1.0000,user_unknown\n\
               esc\\x1b[31m.example,0,1,0,0,1.0000,user_unknown\n\
               odd.example,0,1,0,0,1.0000,undefined\n\
               x.example,0,1,0,0,1.0000,user_unknown\n\
               \\u{202e}lapyap.example,0,1,0,0,1.0000,user_unknown\n"
    );
    assert_eq!(
        shown(&["-f", "csv", "--by", "sender"], &log),
        header("sender")
            + "'+x@plus.example,0,1,0,0,1.0000,\n\
               '-x\\x1b]0;t\\x07@s.example,0,1,0,0,1.0000,\n\
               '=evil@sender.example,0,1,0,0,1.0000,\n\
               '@at@at.example,0,1,0,0,1.0000,\n\
               news@\\u{202e}evil.example,0,1,0,0,1.0000,\n\
               ok@fine.example,0,1,0,0,1.0000,\n"
    );
    let senders = shown(&["-f", "csv", "--by", "sender-domain"], &log);
    assert!(
        senders.ends_with("\n\\u{202e}evil.example,0,1,0,0,1.0000,\n"),
        "{senders}"
    );
    // The reply with every control, as the example of its cause and of its
    // unclassified group.
    let example = format!(
        "host mx.odd.example[192.0.2.1] said: 554 {HOSTILE_SHOWN} zork (in reply to end of DATA command)\n"
    );
    for by in ["cause", "unclassified"] {
        let csv = shown(&["-f", "csv", "--by", by], &log);
        assert!(csv.ends_with(&format!(",{example}")), "--by {by}:\n{csv}");
    }
}

#[test]
fn issue_21_table_markdown_html_and_prometheus_show_controls_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let table = shown(&[], &log);
    for want in [
        "\nesc\\x1b[31m.example ",
        "\n\\u{202e}lapyap.example ",
        "said: 554 \\x1b[31mred\\x1b[0m\n",
    ] {
        assert!(table.contains(want), "table lacks {want:?}:\n{table}");
    }
    let markdown = shown(&["-f", "markdown"], &log);
    for want in [
        "\n| esc\\\\x1b\\[31m.example | 0 | 1 |",
        "\n| \\\\u{202e}lapyap.example | 0 | 1 |",
    ] {
        assert!(markdown.contains(want), "markdown lacks {want:?}:\n{markdown}");
    }
    let html = shown(&["-f", "html"], &log);
    for want in [
        ">esc\\x1b[31m.example<",
        ">\\u{202e}lapyap.example<",
        "\\x1b]8;;http://evil\\x07link\\x1b]8;;\\x07",
    ] {
        assert!(html.contains(want), "html lacks {want:?}");
    }
    let metrics = shown(&["-f", "prometheus"], &log);
    for want in [
        "{domain=\"esc\\\\x1b[31m.example\",status=\"bounced\"} 1\n",
        "{domain=\"\\\\u{202e}lapyap.example\",status=\"bounced\"} 1\n",
    ] {
        assert!(metrics.contains(want), "prometheus lacks {want:?}:\n{metrics}");
    }
}

/// A hard bounce for an empty recipient (`to=<>`) put an empty address on
/// the suppression list; it is counted on stderr and not listed.
#[test]
fn issue_21_empty_recipient_is_counted_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    let line = |s: u32, qid: &str, to: &str| {
        format!(
            "{} mx1 postfix/smtp[3201]: {qid}: to=<{to}>, relay=mx.x.example[192.0.2.1]:25, delay=1.2, \
             delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.x.example[192.0.2.1] said: 550 5.1.1 \
             User unknown (in reply to RCPT TO command))\n",
            at(s)
        )
    };
    std::fs::write(
        &log,
        [
            line(1, "4BQ3Tz0X1Cz9vA", ""),
            line(2, "4BQ3Tz0X1Cz9vB", "bob@x.example"),
            line(3, "4BQ3Tz0X1Cz9vC", ""),
        ]
        .concat(),
    )
    .unwrap();
    let out = bounce_report().arg("suppress").arg(&log).output().unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(
        rows[0].starts_with("bob@x.example,x.example,user_unknown,1,"),
        "{csv}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 event(s) with an empty recipient (to=<>) left off the list"),
        "{stderr}"
    );
}

/// A generated log in which two busy domains' recipients are spelled as
/// mail software writes them: one with a trailing dot and in capitals
/// (`user@163.COM.`), the other as an internationalised name, in Unicode
/// and in punycode, any case, with and without the dot. Each recipient
/// keeps one spelling throughout (its deferrals and final fate agree).
/// Every spelling counts under one key: the ASCII form, lower-case,
/// without the dot; every domain's counts equal the truth's.
#[test]
fn issue_21_domain_spellings_merge_into_one_domain() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--lines", "30000", "--seed", "21"],
    );
    let mut expected = truth_domains(&truth);
    // The two domains with the most events.
    let mut busiest: Vec<(&String, u64)> = expected.iter().map(|(d, c)| (d, c.iter().sum())).collect();
    busiest.sort_by_key(|&(d, n)| (std::cmp::Reverse(n), d.clone()));
    let (dotted, renamed) = (busiest[0].0.clone(), busiest[1].0.clone());
    let dotted_spellings = [
        dotted.clone(),
        format!("{}.", dotted.to_uppercase()),
        format!("{dotted}."),
    ];
    let idn = [
        "bücher.example",
        "xn--bcher-kva.example",
        "BÜCHER.Example.",
        "XN--Bcher-KVA.example.",
    ];
    let text = std::fs::read_to_string(&log).unwrap();
    let mut out = String::with_capacity(text.len() + 4096);
    let mut rewritten = [0usize; 2];
    for line in text.lines() {
        let rewrite = line.find("to=<").and_then(|start| {
            let at = start + 4;
            let end = at + line[at..].find('>')?;
            let (local, domain) = line[at..end].rsplit_once('@')?;
            // One spelling per recipient: chosen by its local part.
            let pick = local.bytes().map(usize::from).sum::<usize>();
            let spelling = if domain == dotted {
                rewritten[0] += 1;
                dotted_spellings[pick % dotted_spellings.len()].clone()
            } else if domain == renamed {
                rewritten[1] += 1;
                idn[pick % idn.len()].to_string()
            } else {
                return None;
            };
            Some(format!("{}{local}@{spelling}{}", &line[..at], &line[end..]))
        });
        out.push_str(rewrite.as_deref().unwrap_or(line));
        out.push('\n');
    }
    assert!(rewritten.iter().all(|&n| n > 20), "{rewritten:?}");
    std::fs::write(&log, out).unwrap();
    let moved = expected.remove(&renamed).unwrap();
    expected.insert("xn--bcher-kva.example".into(), moved);

    let report = json(&["-f", "json", &log.to_string_lossy()]);
    assert_eq!(domains(&report), expected);
    // The other outputs use the same keys: CSV by domain, one row each.
    let out = bounce_report()
        .args(["-f", "csv", "--by", "domain", &log.to_string_lossy()])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows = |d: &str| csv.lines().filter(|l| l.starts_with(&format!("{d},"))).count();
    assert_eq!(rows(&dotted), 1, "{csv}");
    assert_eq!(rows("xn--bcher-kva.example"), 1, "{csv}");
    assert!(
        !csv.to_lowercase().contains("bücher") && !csv.contains(&format!("{dotted}.,")),
        "{csv}"
    );
}

/// Found by `fuzz/run.sh` (target `classify`, fuzz/README.md): a reply with
/// `host ` inside a word (`Hoshost NAME[…]`), shorter than `connect to `,
/// panicked looking for the remote host's name (a subtraction overflowed;
/// out of range in a release build). The exact bytes, through
/// `classify` and as the text of a status line.
#[test]
fn issue_21_fuzz_reply_with_host_inside_a_word_is_classified() {
    const CRASH: &[u8] = b"Hoshost mx1horovice.cz[62.168.61.165]:25: Connection timed out";
    let text = std::str::from_utf8(CRASH).unwrap();
    let out = bounce_report().args(["classify", text]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    let mut line = b"Nov 21 03:14:07 mx1 postfix/smtp[12345]: 4BQ3Tz0X1Cz9vQ: to=<bob@example.com>, \
relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred ("
        .to_vec();
    line.extend_from_slice(CRASH);
    line.extend_from_slice(b")\n");
    std::fs::write(&log, line).unwrap();
    let report = json(&["-f", "json", &log.to_string_lossy()]);
    assert_eq!(report["totals"]["deferred"], 1, "{report}");
}
