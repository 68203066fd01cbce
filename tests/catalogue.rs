//! The catalogue's accuracy (issue 3, "How it is checked"):
//!
//! - `tests/data/replies.toml`, a hand-checked table of real-world shaped
//!   replies, each with the cause and class the SPEC gives it, run through
//!   the binary (`bounce-report classify -f json`, one reply per line) or,
//!   for entries scoped by relay or recipient domain, through the library;
//!   at least 97 % must come out right, and every miss is printed in full.
//! - A differential test against Sisimai (Debian's `libsisimai-perl`): over
//!   every bounced or deferred reply of `../shared/corpus/real`, every
//!   template of `../shared/tools/replies.tsv` and the table, every text on
//!   which we and Sisimai disagree must be explained by an entry of
//!   `tests/data/sisimai_differences.toml`; the agreement rate, both
//!   accuracies on the table and both `undefined` counts are printed, and we
//!   must leave fewer texts `undefined` than Sisimai does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::sync::Arc;

use bounce_report::cause::{Cause, Class, Status};
use bounce_report::classify::matcher::Decision;
use bounce_report::classify::{Catalogue, Classifier, Dsn, Query};
use serde::Deserialize;
use serde_json::Value;

use crate::common::*;

/// The causes whose bounces are `hard` (SPEC, "Expired events and
/// classes"), written out here rather than taken from `Cause::is_hard`, so
/// the table also checks the class rule.
const HARD: [&str; 5] = [
    "user_unknown",
    "host_unknown",
    "not_accept",
    "has_moved",
    "suspend",
];

/// The share of the hand-checked table that must classify right (issue 3).
const MIN_ACCURACY_PERCENT: usize = 97;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    reply: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    reply: String,
    cause: String,
    status: String,
    relay: Option<String>,
    domain: Option<String>,
    /// Why the SPEC decides this close call so (shown with a miss).
    note: Option<String>,
}

impl Entry {
    fn status(&self) -> Status {
        match self.status.as_str() {
            "bounced" => Status::Bounced,
            "deferred" => Status::Deferred,
            other => panic!("status {other:?} (bounced|deferred) for {:?}", self.reply),
        }
    }

    fn expected_class(&self) -> &'static str {
        match (self.status(), HARD.contains(&self.cause.as_str())) {
            (Status::Deferred, _) => "transient",
            (_, true) => "hard",
            (_, false) => "soft",
        }
    }

    fn query(&self) -> Query<'_> {
        Query {
            relay: self.relay.as_deref().map(str::as_bytes),
            domain: self.domain.as_deref().map(str::as_bytes),
            status: self.status(),
            ..Query::text(self.reply.as_bytes())
        }
    }
}

fn table() -> Vec<Entry> {
    let path = repo().join("tests/data/replies.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    table.reply
}

fn catalogue() -> Arc<Catalogue> {
    Arc::new(Catalogue::load(None).unwrap_or_else(|e| panic!("built-in catalogue: {e}")))
}

/// The rule (or DSN, or code) that decided `q`, for failure messages.
fn decided_by(c: &mut Classifier, q: &Query<'_>) -> String {
    let x = c.explain(q);
    match x.decision {
        Decision::Rule(i) => c
            .catalogue()
            .rule(i)
            .map_or(format!("rule #{i}"), |r| r.to_string()),
        Decision::Dsn(d) => format!("DSN {d} (patterns/dsn.toml)"),
        Decision::Code(n) => format!("code {n} (patterns/codes.toml)"),
        Decision::Nothing => "nothing".to_string(),
    }
}

/// What we said about one table entry.
struct Got {
    cause: String,
    class: String,
    /// The binary's own class, when it read the same status from the code.
    binary_class: Option<String>,
    by: String,
}

/// Classifies the table: unscoped entries through the binary in one run,
/// entries with a relay or domain through the library.
fn classify_table(entries: &[Entry]) -> Vec<Got> {
    let mut c = Classifier::new(catalogue());
    let unscoped: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].relay.is_none() && entries[i].domain.is_none())
        .collect();
    let mut input = String::new();
    for &i in &unscoped {
        assert!(
            !entries[i].reply.contains('\n'),
            "a reply is one line: {:?}",
            entries[i].reply
        );
        input.push_str(&entries[i].reply);
        input.push('\n');
    }
    let out = bounce_report()
        .args(["classify", "-f", "json"])
        .write_stdin(input)
        .output()
        .expect("bounce-report classify runs");
    assert!(
        out.status.success(),
        "bounce-report classify failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), unscoped.len(), "one output line per reply");

    let mut got: Vec<Option<Got>> = entries.iter().map(|_| None).collect();
    for (&i, v) in unscoped.iter().zip(&lines) {
        let e = &entries[i];
        assert_eq!(
            v["text"].as_str(),
            Some(e.reply.as_str()),
            "output in input order"
        );
        let cause = v["cause"].as_str().expect("cause").to_string();
        let parsed: Cause = cause.parse().unwrap_or_else(|_| panic!("unknown cause {cause}"));
        // The binary reads a 4xx code or DSN as a deferral, anything else
        // as a bounce; its class is comparable when that matches the log.
        let temporary = v["smtp_code"].as_u64().is_some_and(|c| c / 100 == 4)
            || v["dsn"].as_str().is_some_and(|d| d.starts_with("4."));
        let read_as = if temporary {
            Status::Deferred
        } else {
            Status::Bounced
        };
        let binary_class = (read_as == e.status()).then(|| v["class"].as_str().expect("class").to_string());
        got[i] = Some(Got {
            cause,
            class: class_name(e.status(), parsed),
            binary_class,
            by: decided_by(&mut c, &e.query()),
        });
    }
    for (i, e) in entries.iter().enumerate() {
        if got[i].is_none() {
            let q = e.query();
            let v = c.classify(&q);
            got[i] = Some(Got {
                cause: v.cause.as_str().to_string(),
                class: class_name(e.status(), v.cause),
                binary_class: None,
                by: decided_by(&mut c, &q),
            });
        }
    }
    got.into_iter()
        .map(|g| g.expect("every entry classified"))
        .collect()
}

fn class_name(status: Status, cause: Cause) -> String {
    Class::of(status, cause).map_or("-", Class::as_str).to_string()
}

#[test]
fn hand_checked_table_is_well_formed() {
    let entries = table();
    assert!(
        entries.len() >= 300,
        "the table has {} replies; the issue asks for at least 300",
        entries.len()
    );
    let mut seen = HashSet::new();
    let mut problems = String::new();
    for e in &entries {
        if !seen.insert(e.reply.as_str()) {
            writeln!(problems, "  duplicate reply: {}", e.reply).unwrap();
        }
        if e.cause.parse::<Cause>().is_err() {
            writeln!(problems, "  unknown cause {:?}: {}", e.cause, e.reply).unwrap();
        }
        if !matches!(e.status.as_str(), "bounced" | "deferred") {
            writeln!(
                problems,
                "  status {:?} is not bounced|deferred: {}",
                e.status, e.reply
            )
            .unwrap();
        }
    }
    // The set must span the vocabulary, not one corner of it.
    let causes: HashSet<&str> = entries.iter().map(|e| e.cause.as_str()).collect();
    assert!(causes.len() >= 28, "only {} distinct causes", causes.len());
    assert!(problems.is_empty(), "tests/data/replies.toml:\n{problems}");
}

#[test]
fn hand_checked_replies_classify_to_their_cause_and_class() {
    let entries = table();
    let got = classify_table(&entries);
    let mut misses = String::new();
    let mut right = 0;
    for (e, g) in entries.iter().zip(&got) {
        let class = e.expected_class();
        let binary_ok = g.binary_class.as_deref().is_none_or(|b| b == class);
        if g.cause == e.cause && g.class == class && binary_ok {
            right += 1;
        } else {
            write!(
                misses,
                "\n  expected {} ({class}), got {} ({}{}) by {}\n    status={} relay={:?} domain={:?}{}\n    {}",
                e.cause,
                g.cause,
                g.class,
                g.binary_class
                    .as_deref()
                    .map_or(String::new(), |b| format!(", binary says {b}")),
                g.by,
                e.status,
                e.relay,
                e.domain,
                e.note.as_deref().map_or(String::new(), |n| format!("\n    note: {n}")),
                e.reply
            )
            .unwrap();
        }
    }
    let total = entries.len();
    report(&format!(
        "catalogue: {right}/{total} hand-checked replies right ({:.1} %)",
        percent(right, total)
    ));
    assert!(
        right * 100 >= total * MIN_ACCURACY_PERCENT,
        "{right}/{total} right, below {MIN_ACCURACY_PERCENT} %; misses:{misses}"
    );
    // Above the bar, a miss is still a rule to fix (or a table entry to
    // correct): show them all.
    assert!(misses.is_empty(), "{right}/{total} right; misses:{misses}");
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Issue 3: every cause, and every vendor code and provider sentence (the
/// rules of the provider files), has a description and a remedy in English
/// and in Chinese; no rule has advice in one language only.
#[test]
fn causes_and_vendor_rules_are_described_in_english_and_chinese() {
    let cat = catalogue();
    let mut missing = String::new();
    for &c in Cause::ALL {
        let i = cat.cause_info(c);
        if i.description_en.is_empty() || i.advice_en.is_empty() {
            writeln!(missing, "  cause {c}: English description or advice missing").unwrap();
        }
        if !has_cjk(&i.description_zh) || !has_cjk(&i.advice_zh) {
            writeln!(missing, "  cause {c}: Chinese description or advice missing").unwrap();
        }
    }
    let vendor_files = ["google.toml", "microsoft.toml", "yahoo.toml", "services.toml"];
    let mut vendor_rules = 0;
    for r in cat.rules() {
        let o = &r.origin;
        let vendor = vendor_files.iter().any(|f| o.file.ends_with(f))
            || (o.file.ends_with("china.toml") && !o.id.starts_with("zh."));
        vendor_rules += usize::from(vendor);
        let ok = match (r.advice_en.as_deref(), r.advice_zh.as_deref()) {
            (Some(en), Some(zh)) => !en.trim().is_empty() && has_cjk(zh),
            (None, None) => !vendor,
            _ => false,
        };
        if !ok {
            writeln!(
                missing,
                "  rule {o}: advice_en and advice_zh (Chinese) both needed"
            )
            .unwrap();
        }
    }
    assert!(vendor_rules > 60, "only {vendor_rules} vendor rules");
    assert!(missing.is_empty(), "missing descriptions or advice:\n{missing}");

    // And the binary shows them: `causes --lang zh` lists every cause in Chinese.
    let out = bounce_report()
        .args(["causes", "--lang", "zh"])
        .output()
        .expect("bounce-report causes runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    // Compared without white space, so wrapping cannot matter.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let flat = squeeze(&text);
    for &c in Cause::ALL {
        let info = cat.cause_info(c);
        assert!(
            flat.contains(c.as_str()) && flat.contains(&squeeze(&info.description_zh)),
            "`causes --lang zh` lacks {c} or its Chinese description:\n{text}"
        );
    }
}

// ---------------------------------------------------------------------------
// Sisimai.

/// One text of the differential test, with what the log says about it.
struct Sample {
    source: &'static str,
    reply: String,
    relay: Option<String>,
    domain: Option<String>,
    dsn: Option<String>,
    status: Status,
    /// The hand-checked (table) or generator's (replies.tsv) cause.
    expected: Option<String>,
}

impl Sample {
    fn query(&self) -> Query<'_> {
        Query {
            reply: self.reply.as_bytes(),
            dsn: self.dsn.as_deref().and_then(|d| Dsn::parse(d.as_bytes())),
            relay: self.relay.as_deref().map(str::as_bytes),
            domain: self.domain.as_deref().map(str::as_bytes),
            status: self.status,
        }
    }
}

/// Every `status=bounced|deferred` reply of the real-world corpus.
fn corpus_samples(shared: &Path) -> Vec<Sample> {
    let dir = shared.join("corpus/real");
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    let mut out = Vec::new();
    for log in logs {
        let data = std::fs::read(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        for line in String::from_utf8_lossy(&data).lines() {
            let (status, marker) = if let Some(i) = line.find("status=bounced (") {
                (Status::Bounced, i + "status=bounced (".len())
            } else if let Some(i) = line.find("status=deferred (") {
                (Status::Deferred, i + "status=deferred (".len())
            } else {
                continue;
            };
            let rest = line[marker..].trim_end();
            let reply = rest.strip_suffix(')').unwrap_or(rest).to_string();
            let field = |name: &str| {
                line.find(name).map(|i| {
                    let v = &line[i + name.len()..];
                    v[..v.find(',').unwrap_or(v.len())].to_string()
                })
            };
            let domain = field(" to=<").and_then(|to| {
                to.split_once('@')
                    .map(|(_, d)| d.trim_end_matches('>').to_lowercase())
            });
            out.push(Sample {
                source: "corpus",
                reply,
                relay: field(" relay="),
                domain,
                dsn: field(" dsn="),
                status,
                expected: None,
            });
        }
    }
    out
}

/// Every template of the generator's `replies.tsv`, placeholders filled as
/// gen-maillog fills them for a domain of that provider.
fn template_samples(shared: &Path) -> Vec<Sample> {
    let path = shared.join("tools/replies.tsv");
    let tsv = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [cause, status, dsn, template, rest @ ..] = cols.as_slice() else {
            panic!("replies.tsv: not 4-5 columns: {line}");
        };
        let (mx, domain) = match rest.first().copied().unwrap_or("") {
            "google" => ("gmail-smtp-in.l.google.com", "gmail.com"),
            "microsoft" => ("hotmail-com.olc.protection.outlook.com", "hotmail.com"),
            "yahoo" => ("mta6.am0.yahoodns.net", "yahoo.com"),
            "qq" => ("mx3.qq.com", "qq.com"),
            "netease" => ("163mx01.mxmail.netease.com", "163.com"),
            "mimecast" => ("eu-smtp-inbound-1.mimecast.com", "example-corp.co.uk"),
            "cn" => ("mx1.example-trade.com.cn", "example-trade.com.cn"),
            _ => ("mx1.example-shop.com", "example-shop.com"),
        };
        let reply = template
            .replace("{mx}", mx)
            .replace("{host}", mx)
            .replace("{ip}", "203.0.113.25")
            .replace("{myip}", "198.51.100.7")
            .replace("{rcpt}", &format!("pat.lee@{domain}"))
            .replace("{local}", "pat.lee")
            .replace("{domain}", domain)
            .replace("{sender}", "news@example.org")
            .replace("{senderdomain}", "example.org")
            .replace("{n}", "73105");
        assert!(
            !reply.contains('{'),
            "replies.tsv: unfilled placeholder in {reply}"
        );
        let relay_none = ["connect to", "Host or domain name not found", "Domain "]
            .iter()
            .any(|p| reply.starts_with(p));
        out.push(Sample {
            source: "replies.tsv",
            relay: Some(if relay_none {
                "none".to_string()
            } else {
                format!("{mx}[203.0.113.25]:25")
            }),
            domain: Some(domain.to_string()),
            dsn: Some(dsn.to_string()),
            status: if *status == "deferred" {
                Status::Deferred
            } else {
                Status::Bounced
            },
            expected: Some(cause.to_string()),
            reply,
        });
    }
    out
}

fn table_samples() -> Vec<Sample> {
    table()
        .into_iter()
        .map(|e| Sample {
            source: "table",
            status: e.status(),
            reply: e.reply,
            relay: e.relay,
            domain: e.domain,
            dsn: None,
            expected: Some(e.cause),
        })
        .collect()
}

/// Sisimai's reason ids (Sisimai::Reason->index, plus what
/// Sisimai->match may return besides) → ours. Ours are the same words in
/// snake_case; `filtered`, `delivered` and `feedback` have no SPEC cause
/// and are kept as they are (always a difference).
fn sisimai_to_ours(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "blocked" => "blocked",
        "contenterror" => "content_error",
        "delivered" => "delivered",
        "exceedlimit" => "exceed_limit",
        "expired" => "expired",
        "feedback" => "feedback",
        "filtered" => "filtered",
        "hasmoved" => "has_moved",
        "hostunknown" => "host_unknown",
        "mailboxfull" => "mailbox_full",
        "mailererror" => "mailer_error",
        "mesgtoobig" => "mesg_too_big",
        "networkerror" => "network_error",
        "norelaying" => "no_relaying",
        "notaccept" => "not_accept",
        "onhold" => "on_hold",
        "policyviolation" => "policy_violation",
        "rejected" => "rejected",
        "securityerror" => "security_error",
        "spamdetected" => "spam_detected",
        "suspend" => "suspend",
        "syntaxerror" => "syntax_error",
        "systemerror" => "system_error",
        "systemfull" => "system_full",
        "toomanyconn" => "too_many_conn",
        "undefined" => "undefined",
        "userunknown" => "user_unknown",
        "vacation" => "vacation",
        "virusdetected" => "virus_detected",
        _ => return None,
    })
}

/// Runs `Sisimai->match` on every text in one perl process, one text per
/// line in and one reason per line out. None when perl or Sisimai is
/// missing (a failure under CI, where `.ci/run` installs it).
fn sisimai(texts: &[&str]) -> Option<Vec<String>> {
    const SCRIPT: &str = r#"
        use strict; use warnings; use Sisimai;
        binmode STDIN; binmode STDOUT; $| = 0;
        while (my $t = <STDIN>) {
            chomp $t;
            my $r = Sisimai->match($t);
            print((defined $r && length $r) ? $r : 'undefined', "\n");
        }
    "#;
    let available = StdCommand::new("perl")
        .args(["-MSisimai", "-e1"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "perl with Sisimai is missing (.ci/run installs libsisimai-perl)"
        );
        eprintln!("note: perl with Sisimai not found; skipping the Sisimai comparison");
        return None;
    }
    let mut child = StdCommand::new("perl")
        .args(["-e", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("perl starts");
    let mut input = String::new();
    for t in texts {
        assert!(!t.contains('\n'), "a reply is one line: {t:?}");
        input.push_str(t);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("perl runs");
    writer.join().expect("writer thread").expect("write to perl");
    assert!(
        out.status.success(),
        "perl/Sisimai failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let reasons: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(reasons.len(), texts.len(), "one Sisimai reason per text");
    Some(reasons)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Differences {
    difference: Vec<Difference>,
}

/// A deliberate difference: texts we classify as one of `ours` and Sisimai
/// as one of `sisimai` ("*": anything), containing one of `contains` (ASCII
/// case-insensitive; absent: any text), for the reason `why`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Difference {
    ours: Vec<String>,
    sisimai: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
    why: String,
}

impl Difference {
    fn explains(&self, ours: &str, theirs: &str, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.ours.iter().any(|o| o == ours)
            && self.sisimai.iter().any(|s| s == "*" || s == theirs)
            && (self.contains.is_empty()
                || self
                    .contains
                    .iter()
                    .any(|c| lower.contains(&c.to_ascii_lowercase())))
    }
}

fn differences() -> Vec<Difference> {
    let path = repo().join("tests/data/sisimai_differences.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let d: Differences = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for x in &d.difference {
        assert!(!x.why.trim().is_empty(), "a difference without a reason: {x:?}");
        for o in &x.ours {
            assert!(o.parse::<Cause>().is_ok(), "unknown cause {o:?} in {x:?}");
        }
        for t in &x.sisimai {
            assert!(
                t == "*" || sisimai_to_ours(&t.replace('_', "")).is_some(),
                "unknown Sisimai reason {t:?} in {x:?}"
            );
        }
    }
    d.difference
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

/// Writes a summary line to the terminal even when the test passes (the
/// harness captures `println!`/`eprintln!`, not stderr itself).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[test]
fn we_differ_from_sisimai_only_where_a_reason_is_listed() {
    let Some(shared) = shared() else { return };
    let mut samples = corpus_samples(&shared);
    assert!(
        samples.len() > 1000,
        "corpus: only {} failure lines",
        samples.len()
    );
    samples.extend(template_samples(&shared));
    samples.extend(table_samples());
    // Sisimai reads only the text: run it once per distinct text. Our
    // verdict on a text is that of its first sample (corpus, then
    // templates, then table); the table's accuracy is measured on every
    // entry, with its own relay and domain.
    let mut seen = HashSet::new();
    let distinct: Vec<&Sample> = samples.iter().filter(|s| seen.insert(s.reply.as_str())).collect();
    let texts: Vec<&str> = distinct.iter().map(|s| s.reply.as_str()).collect();
    let Some(reasons) = sisimai(&texts) else { return };
    let theirs: Vec<&str> = reasons
        .iter()
        .map(|r| sisimai_to_ours(r).unwrap_or_else(|| panic!("Sisimai returned an unknown reason {r:?}")))
        .collect();
    let by_text: HashMap<&str, &str> = texts.iter().copied().zip(theirs.iter().copied()).collect();
    let mut c = Classifier::new(catalogue());
    let ours: Vec<Cause> = distinct.iter().map(|s| c.classify(&s.query()).cause).collect();

    // The generator's templates carry their cause too.
    let (mut tsv_ours, mut tsv_theirs, mut tsv_total) = (0, 0, 0);
    for ((s, &o), &t) in distinct.iter().zip(&ours).zip(&theirs) {
        if let (Some(e), "replies.tsv") = (s.expected.as_deref(), s.source) {
            tsv_total += 1;
            tsv_ours += usize::from(o.as_str() == e);
            tsv_theirs += usize::from(t == e);
        }
    }
    let (mut ours_right, mut theirs_right) = (0, 0);
    let table = table();
    for e in &table {
        ours_right += usize::from(c.classify(&e.query()).cause.as_str() == e.cause);
        theirs_right += usize::from(by_text[e.reply.as_str()] == e.cause);
    }
    let table_total = table.len();

    let allowed = differences();
    let mut used = vec![0usize; allowed.len()];
    let mut unexplained = String::new();
    let mut agree: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let (mut ours_undefined, mut theirs_undefined) = (0, 0);
    for ((s, &o), &t) in distinct.iter().zip(&ours).zip(&theirs) {
        let o = o.as_str();
        let tally = agree.entry(s.source).or_default();
        tally.1 += 1;
        ours_undefined += usize::from(o == "undefined");
        theirs_undefined += usize::from(t == "undefined");
        if o == t {
            tally.0 += 1;
            continue;
        }
        match allowed.iter().position(|d| d.explains(o, t, &s.reply)) {
            Some(i) => used[i] += 1,
            None => write!(
                unexplained,
                "\n  ours {o} (by {}), Sisimai {t}{} [{}]\n    {}",
                decided_by(&mut c, &s.query()),
                s.expected
                    .as_deref()
                    .map_or(String::new(), |e| format!(", expected {e}")),
                s.source,
                s.reply
            )
            .unwrap(),
        }
    }

    let (agreed, total) = agree.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    let mut summary = format!(
        "sisimai: agreement {agreed}/{total} distinct texts ({:.1} %):",
        percent(agreed, total)
    );
    for (source, (a, n)) in &agree {
        write!(summary, " {source} {a}/{n}").unwrap();
    }
    writeln!(
        summary,
        "\nsisimai: hand-checked table: ours {ours_right}/{table_total} ({:.1} %), Sisimai {theirs_right}/{table_total} ({:.1} %)",
        percent(ours_right, table_total),
        percent(theirs_right, table_total)
    )
    .unwrap();
    writeln!(
        summary,
        "sisimai: replies.tsv templates: ours {tsv_ours}/{tsv_total}, Sisimai {tsv_theirs}/{tsv_total}"
    )
    .unwrap();
    write!(
        summary,
        "sisimai: undefined: ours {ours_undefined}, Sisimai {theirs_undefined} of {total}"
    )
    .unwrap();
    report(&summary);

    assert!(
        unexplained.is_empty(),
        "texts where we differ from Sisimai with no reason in tests/data/sisimai_differences.toml \
         (fix the rule if we are wrong, else list the difference):{unexplained}"
    );
    let stale: Vec<String> = allowed
        .iter()
        .zip(&used)
        .filter(|(_, &n)| n == 0)
        .map(|(d, _)| format!("  ours {:?} / Sisimai {:?} / {:?}", d.ours, d.sisimai, d.contains))
        .collect();
    assert!(
        stale.is_empty(),
        "differences listed but no longer seen (remove them):\n{}",
        stale.join("\n")
    );
    assert!(
        ours_undefined < theirs_undefined,
        "we leave {ours_undefined} texts undefined, Sisimai {theirs_undefined}"
    );
    assert!(
        ours_right > theirs_right,
        "on the hand-checked table we get {ours_right} right, Sisimai {theirs_right}"
    );
}

/// Scores a frozen held-out set: its bytes are pinned (FNV-1a), so an
/// edit shows here and must be a commit of its own that says why; its
/// accuracy is printed, by origin, and must not fall below `floor` (a
/// guard, not the target: the target is 97 %, and the closing notes give
/// the figure).
fn score_frozen_set(file: &str, pinned: u64, split: Option<&str>, floor: usize) {
    #[derive(Deserialize)]
    struct HeldOut {
        reply: Vec<HeldOutEntry>,
    }
    #[derive(Deserialize)]
    struct HeldOutEntry {
        reply: String,
        cause: String,
        origin: String,
        split: Option<String>,
        status: Option<String>,
    }
    let bytes = std::fs::read(repo().join(file)).unwrap();
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    assert_eq!(
        hash, pinned,
        "{file} changed: it is frozen (see its header); a label fix is a commit of its own, with the new hash here (it is {hash:#x})"
    );
    let mut set: HeldOut = toml::from_str(std::str::from_utf8(&bytes).unwrap()).unwrap();
    if let Some(split) = split {
        set.reply.retain(|e| e.split.as_deref() == Some(split));
    }
    let mut c = Classifier::new(catalogue());
    let mut by_origin: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut right = 0;
    for e in &set.reply {
        let mut got = c.classify(&Query::text(e.reply.as_bytes())).cause;
        // An expired entry is scored as the event it is (SPEC "Expired
        // events and classes"), as a run over a log would report it.
        if e.status.as_deref() == Some("expired") {
            got = got.for_expiry();
        }
        let ok = got.as_str() == e.cause;
        right += usize::from(ok);
        let o = by_origin.entry(e.origin.as_str()).or_default();
        o.0 += usize::from(ok);
        o.1 += 1;
    }
    let total = set.reply.len();
    println!(
        "{file} {split:?}: {right}/{total} ({:.1} %), by origin: {by_origin:?}",
        100.0 * right as f64 / total as f64
    );
    assert!(
        right >= floor,
        "accuracy on {file} fell: {right}/{total}, was {floor}"
    );
}

/// `tests/data/heldout.toml`: the frozen held-out set (issue 19), written
/// blind from public material and never used to write a rule.
#[test]
fn held_out_set_is_frozen_and_scored() {
    // 331 of 378 when this test was written (the first run, before any
    // change of that session, was 329); 333 at e5c1b02, 335 with the rules
    // written from qa2.toml's dev half, 336 with those from qa3.toml's, 339
    // with those from the probe of Postfix's own texts, 341 with those from
    // the probes of other products' replies, 343 when they became phrases,
    // 344 with rules from the language of replies (ff14758), 347 with the
    // probes of policy services, Windows servers and hosting (1b4f17e),
    // 348 with greylistd's fixed reply, from qa10.toml's dev half.
    score_frozen_set("tests/data/heldout.toml", 0x5f07_dd37_8c3f_3f74, None, 348);
}

/// `tests/data/heldout-qa.toml`: a second frozen held-out set, 107 reply
/// texts of real Postfix status lines that people pasted in public issue
/// trackers, forums and mailing lists, labelled blind and committed
/// (e5c1b02) before it was first scored: 94 of 107 then, 95 with the
/// rules written from qa3.toml's dev half, 94 again since Spamhaus's "Error:
/// open resolver" answer is read as the receiver's own failure
/// (`dnsbl.spamhaus_open_resolver`, as Spamhaus documents its return code):
/// one reply here is labelled as a listing of our IP.
#[test]
fn second_held_out_set_is_frozen_and_scored() {
    score_frozen_set("tests/data/heldout-qa.toml", 0xae1b_b646_66a1_a20a, None, 94);
}

/// `tests/data/qa2.toml`: a third outside source, harvested and labelled
/// blind, split by hash; its held-out half (50 replies) is frozen like the
/// sets above: 39 of 50 at its first run (4b6c2f7), before any rule was
/// written from its dev half; 40 with the Postfix texts of a probe written
/// here (native lookups, a mailbox this host cannot write).
#[test]
fn third_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa2.toml", 0xac02_264f_6a85_f2f1, Some("heldout"), 40);
}

/// `tests/data/qa3.toml`: a fourth outside source, mostly providers'
/// published code tables and postmaster pages (141 replies), harvested and
/// labelled blind, committed (16e36d1) before it was scored, split by hash.
/// Its held-out half (70) is frozen: 34 of 70 at its first run (the
/// catalogue of c18ad40), 36 with the rules written from its dev half, 38
/// with the probes of policy services, Windows servers and hosting, 39 with
/// those of filters and mailbox providers, 40 with "IP not in whitelist"
/// from qa12.toml's dev half, 41 with Outlook.com's complaint and
/// reputation sentences read without Microsoft's host (qa25's dev half).
#[test]
fn fourth_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa3.toml", 0x84e4_da7b_88e6_1881, Some("heldout"), 41);
}

/// `tests/data/qa4.toml`: a fifth outside source, real Postfix replies from
/// public logs, log-parser fixtures and pasted issues (68 after
/// de-duplication against every earlier corpus), labelled blind, committed
/// (81e39d0) before it was scored, split by hash. Its held-out half (40) is
/// frozen: 31 of 40 at its first run (the catalogue of 1556c9b), 32 with the
/// rules from the probes of products' replies, 33 since a verdict on content
/// at the greeting is read as a refusal of our IP (2464395).
#[test]
fn fifth_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa4.toml", 0x8ae2_5eb0_0120_f8fd, Some("heldout"), 33);
}

/// `tests/data/qa5.toml`: a sixth outside source, wordings specific to one
/// product, provider or country (54 after de-duplication, qa4 included),
/// labelled blind, committed (bded947) before it was scored, split by hash.
/// Its held-out half (26) is frozen: 18 of 26 at its first run (the
/// catalogue of 7e621c1), 18 with the rules written from its dev half.
#[test]
fn sixth_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa5.toml", 0x6504_ae17_ae9a_29f0, Some("heldout"), 18);
}

/// A probe file (`tests/data/*-texts.toml`): texts from a product's source,
/// labelled against SPEC.md, classified with the DSN logged beside them.
/// Each comes out as labelled, or, where the catalogue differs on purpose,
/// as its `catalogue` field says (with a `why`).
fn probe_comes_out_as_labelled(file: &str, at_least: usize) {
    #[derive(Deserialize)]
    struct Texts {
        reply: Vec<Text>,
    }
    #[derive(Deserialize)]
    struct Text {
        reply: String,
        cause: String,
        status: String,
        dsn: String,
        catalogue: Option<String>,
        why: Option<String>,
    }
    let raw = std::fs::read_to_string(repo().join(file)).unwrap();
    let texts: Texts = toml::from_str(&raw).unwrap();
    assert!(texts.reply.len() >= at_least, "{file} holds the product's texts");
    let mut c = Classifier::new(catalogue());
    let mut wrong = String::new();
    for t in &texts.reply {
        assert_eq!(
            t.catalogue.is_some(),
            t.why.is_some(),
            "{}: a difference says why",
            t.reply
        );
        for c in std::iter::once(&t.cause).chain(&t.catalogue) {
            assert!(c.parse::<Cause>().is_ok(), "{}: {c} is not a SPEC cause", t.reply);
        }
        assert_ne!(t.catalogue.as_ref(), Some(&t.cause), "{}: no difference", t.reply);
        let status = match t.status.as_str() {
            "deferred" => Status::Deferred,
            _ => Status::Bounced,
        };
        // No relay: the classifier takes the provider from the host the
        // text names (`host X[…]`), as for `bounce-report classify`.
        let q = Query {
            dsn: Dsn::parse(t.dsn.as_bytes()),
            status,
            ..Query::text(t.reply.as_bytes())
        };
        let got = c.classify(&q).cause;
        let want = t.catalogue.as_deref().unwrap_or(&t.cause);
        if got.as_str() != want {
            let _ = writeln!(wrong, "  [{want} -> {}] dsn={} {}", got.as_str(), t.dsn, t.reply);
        }
        // Servers pad their replies (`550  5.1.1  User unknown`), a relay
        // may keep a tab, a translation writes typographic apostrophes: the
        // same text with every space doubled, a tab in front of the last
        // word and ’ for ' reads the same.
        let mut padded = t.reply.replace(' ', "  ").replace('\'', "\u{2019}");
        if let Some(i) = padded.rfind("  ") {
            padded.replace_range(i..i + 2, " \t ");
        }
        let again = c
            .classify(&Query {
                reply: padded.as_bytes(),
                ..q
            })
            .cause;
        if again != got {
            let _ = writeln!(
                wrong,
                "  [padded: {} -> {}] {}",
                got.as_str(),
                again.as_str(),
                t.reply
            );
        }
    }
    assert!(wrong.is_empty(), "{file}: texts classified otherwise:\n{wrong}");
}

/// Chinese, Korean, Japanese, Russian and Central European providers'
/// replies (NetEase's code table, QQ, Alibaba Mail, Coremail, Yandex,
/// Mail.ru, docomo, au, SoftBank, Naver, Interia, Seznam, …), from their
/// own help pages and real bounces.
#[test]
fn asian_and_east_european_providers_texts_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/asia-texts.toml", 85);
}

/// Every status text Postfix writes itself: the format strings of its
/// delivery agents at postfix-3.12-20260821, instantiated.
#[test]
fn postfix_own_texts_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/postfix-texts.toml", 200);
}

/// The replies of a remote Postfix (smtpd, postscreen, milters, policy
/// services), Dovecot's and Cyrus's LMTP, Amavis, rspamd and ClamAV.
#[test]
fn remote_postfix_and_lmtp_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/remote-texts.toml", 180);
}

/// The replies of Exim, Sendmail, qmail and its patches, OpenSMTPD and
/// Haraka.
#[test]
fn other_mtas_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/mta-texts.toml", 180);
}

/// The published replies of security gateways (Mimecast, Cisco, Sophos,
/// Trend Micro, Barracuda, …) and sending services (Amazon SES, SendGrid).
#[test]
fn gateway_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/gateway-texts.toml", 80);
}

/// The replies of Stalwart, Maddy, mox, Apache James, Courier, Postal and
/// Zimbra's LMTP.
#[test]
fn other_servers_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/oss-texts.toml", 150);
}

/// The refusals of policy services, milters and SMTP plugins: qpsmtpd,
/// ASSP, spamdyke, iRedAPD, postfwd, OpenDKIM, policyd, pypolicyd-spf,
/// milter-regex, smf-sav, Fuglu, MIMEDefang and others.
#[test]
fn policy_services_and_milters_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/milter-texts.toml", 170);
}

/// The replies of commercial and Windows mail servers: Exchange Server
/// on-premises, hMailServer, XMail, IceWarp, FTGate and others.
#[test]
fn windows_and_commercial_servers_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/server-texts.toml", 110);
}

/// The replies of hosting panels' mail systems (cPanel's and DirectAdmin's
/// Exim, HestiaCP, Plesk, iRedMail) and of hosting and mail providers
/// (GoDaddy, MXroute, Cox, Spectrum, IONOS, Aruba, …).
#[test]
fn hosting_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/hosting-texts.toml", 140);
}

/// The replies of hosted filters, gateways and sending services not in the
/// gateway probe: MailCleaner, Momentum, MailChannels, SpamExperts, Vade,
/// SparkPost, Proxmox Mail Gateway, SocketLabs, SMTP2GO, …
#[test]
fn filters_and_sending_services_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/filter-texts.toml", 100);
}

/// Mailbox providers' replies from their own pages and code tables, and
/// from real bounces: Gmail, Yandex, iCloud, Outlook.com, Zoho, Comcast,
/// QQ/Exmail, Web.de, Orange, Mail.ru, Free, Japanese carriers, …
#[test]
fn mailbox_providers_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/provider-texts.toml", 140);
}

/// Replies in the receiving server's language (French, German, Italian,
/// Polish, Spanish, …): providers' localized texts and translated filters.
#[test]
fn replies_in_other_languages_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/lang-texts.toml", 50);
}

/// Refusals naming a DNS block list (Spamhaus, SORBS, SpamCop, Barracuda,
/// UCEPROTECT, …) in the wrappers of Postfix, Exim, Sendmail and qmail, and
/// the lists' own error answers.
#[test]
fn block_list_refusals_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/dnsbl-texts.toml", 100);
}

/// Administrators' own reject texts from published configurations: Postfix
/// access maps, header and body checks, Exim ACL messages, Sendmail's
/// access db, rspamd and policy services.
#[test]
fn administrators_reject_texts_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/config-texts.toml", 130);
}

/// The replies of chasquid, FastMail's authentication_milter and
/// go-guerrilla, read in their sources.
#[test]
fn small_servers_and_milters_replies_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/fetch-texts.toml", 45);
}

/// Submission servers' and outbound relays' refusals of our own account,
/// sender, authentication and rate (Exchange Online, Gmail, SES, Zoho,
/// Mailgun, Postal, mox, maddy, Stalwart, Haraka, Dovecot, …): none of them
/// may read as a recipient's hard failure.
#[test]
fn submission_refusals_come_out_as_labelled() {
    probe_comes_out_as_labelled("tests/data/sender-texts.toml", 130);
}

/// `tests/data/qa6.toml`: a seventh outside source, replies pasted in
/// GitHub issues of mail-server projects (12 after de-duplication), labelled
/// blind, committed (4b39d66) before it was scored. Its held-out half is
/// only 5 replies: 5 of 5 at its first run (the catalogue of 9b1ae73), which
/// says little; 4 since a failure to reach a single-label host (`imap[…]`,
/// a container of our own) is system_error, as SPEC says of our own
/// sockets: the labeller read the same kind of line as system_error in the
/// dev half and as network_error in the held-out half, both marked doubtful.
#[test]
fn seventh_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa6.toml", 0xf7d2_51a1_aee8_ebd8, Some("heldout"), 4);
}

/// `tests/data/qa7.toml`: an eighth outside source, real replies people
/// published (GitHub issues of mail-sending applications and mail servers,
/// forum archives; 55 after de-duplication against every earlier corpus,
/// `scripts/external/dedup_harvest.py`), labelled blind, committed
/// (44d150b) before it was scored, split by hash. Its held-out half (18) is
/// frozen: 12 of 18 at its first run (the catalogue of 668a9a0 and of
/// ff14758 alike).
#[test]
fn eighth_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa7.toml", 0xaf42_3cfe_11a8_2824, Some("heldout"), 12);
}

/// `tests/data/qa8.toml`: a ninth outside source, real replies from web
/// pages and public files (raw logs in public repositories, forum archives,
/// mailing lists; no GitHub issues), 65 after de-duplication against every
/// earlier corpus and the probes, labelled blind, committed (31d9dd7) before
/// it was scored, split by hash. Its held-out half (35) is frozen: 28 of 35
/// at its first run (the catalogue of 668a9a0 and of 62c3d64 alike).
#[test]
fn ninth_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa8.toml", 0x3637_de78_fbbe_154e, Some("heldout"), 28);
}

/// `tests/data/qa9.toml`: a tenth outside source, real remote replies kept
/// in other MTAs' bounces and logs (Exim, Sendmail, Exchange, CommuniGate,
/// MDaemon, …), 31 after de-duplication, labelled blind, committed
/// (cc84b18) before it was scored, split by hash. Its held-out half is 15
/// replies: 12 of 15 at its first run (the catalogue of 668a9a0 and of
/// d21a5ff alike).
#[test]
fn tenth_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa9.toml", 0x690d_9aa1_9feb_c361, Some("heldout"), 12);
}

/// `tests/data/qa11.toml`: an outside source of real replies pasted in
/// mailing lists, Q&A and forum copies, notes and GitHub issues, 44 after
/// de-duplication against every earlier corpus, labelled blind, committed
/// (b28ecaa) before it was scored, split by hash. Its held-out half is 19
/// replies: 12 of 19 at its first run (the catalogue of 478834c), 13 from
/// aa3046f on (the submission probe's rules).
#[test]
fn qa11_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa11.toml", 0x2a7f_c8c6_8280_32c9, Some("heldout"), 13);
}

/// `tests/data/qa10.toml`: an outside source of real replies pasted or
/// logged in non-English-speaking regions (Chinese, Japanese, Russian,
/// German, French, Czech, Brazilian users' issues, notes and forum copies),
/// 49 after de-duplication against every earlier corpus (qa11 included),
/// labelled blind, committed (72489eb) before it was scored, split by hash.
/// Its held-out half is 24 replies: 14 of 24 at its first run (the
/// catalogue of 478834c, this session's start, and of 1a0efdf alike), 15
/// from the eighteenth session on (a sending-account refusal written from
/// qa19's dev half, no longer the recipient's hard suspend).
#[test]
fn qa10_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa10.toml", 0x3746_f246_39fc_becb, Some("heldout"), 15);
}

/// `tests/data/qa12.toml`: an outside source of replies from raw mail logs
/// and log-parser fixtures in public repositories, 21 after dropping the
/// sources qa10 or qa11 had used and de-duplication against every earlier
/// corpus (26 of 66 had a frozen held-out shape: raw logs are mostly
/// familiar), labelled blind, committed (380b4c6) before it was scored,
/// split by hash. Its held-out half is 10 replies, too few to say much: 5
/// of 10 at its first run (the catalogue of 478834c and of 9f12119 alike).
#[test]
fn qa12_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa12.toml", 0x0a08_8dba_bec4_37e3, Some("heldout"), 5);
}

/// `tests/data/qa13.toml`: an outside source of remote replies from bounce
/// messages archived by public mailing lists (vger's and other lists'
/// public-inbox archives, pipermail), 41 after dropping the list archives
/// qa10 had used and de-duplication against every earlier corpus, labelled
/// blind, committed (c97da99) before it was scored, split by hash. Its
/// held-out half is 22 replies: 10 of 22 at its first run (the catalogue of
/// 478834c and of b58365a alike).
#[test]
fn qa13_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa13.toml", 0x8c1d_5e6b_9d9c_571e, Some("heldout"), 10);
}

/// `tests/data/qa14.toml`: an outside source of remote replies as sending
/// services reported them (ESP bounce records, webhooks, docs, pasted
/// events), 15 after dropping a repository qa15 had used and
/// de-duplication against every earlier corpus (15 of 42 had a frozen
/// held-out shape), labelled blind, committed (119c396) before it was
/// scored, split by hash. Its held-out half is 8 replies, too few to say
/// much alone: 6 of 8 at its first run (the catalogue of 645d19d).
#[test]
fn qa14_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa14.toml", 0x54a3_0f51_ea66_7fc5, Some("heldout"), 6);
}

/// `tests/data/qa15.toml`: an outside source of server replies that
/// applications received and reported in errors (mail libraries'
/// exceptions and apps' logs pasted in GitHub issues), 54 after
/// de-duplication against every earlier corpus, labelled blind, committed
/// (b13bba7) before it was scored, split by hash. Its held-out half is 24
/// replies: 18 of 24 at its first run (the catalogue of 645d19d, this
/// session's start), 19 from aa3046f on (the submission probe's rules and
/// its own dev half's).
#[test]
fn qa15_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa15.toml", 0x87f3_34ba_a6d5_e2bd, Some("heldout"), 19);
}

/// `tests/data/qa16.toml`: an outside source of replies recorded by
/// email-verification tools (RCPT TO probes and the refusals of the
/// prober), 17 after dropping repositories earlier sets had used and
/// de-duplication against every earlier corpus, labelled blind, committed
/// (a52f060) before it was scored, split by hash. Its held-out half is 7
/// replies, too few to say much alone: 7 of 7 at its first run (the
/// catalogue of its arrival and of 645d19d alike).
#[test]
fn qa16_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa16.toml", 0xc160_b4f5_24c8_af87, Some("heldout"), 7);
}

/// `tests/data/qa17.toml`: an outside source of remote replies from bounces
/// kept in public email corpora (TREC 2007, CSDMC2010, the SpamAssassin
/// corpus, a bounce handler's real sample mails), 5 after dropping the
/// BounceParser corpus (Source 4) and de-duplication against every
/// earlier corpus, labelled blind, committed (fb40c05) before it was
/// scored, split by hash. Its held-out half is 2 replies, far too few to
/// say anything alone: 1 of 2 at its first run (the catalogue of its
/// arrival and of 645d19d alike); it counts in the totals.
#[test]
fn qa17_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa17.toml", 0x0d25_0ff8_24dc_7109, Some("heldout"), 1);
}

/// `tests/data/qa18.toml`: an outside source of remote replies from real
/// bounces that applications and mail libraries keep as test fixtures
/// (Discourse, Alaveteli, CiviCRM, MimeKit, enmime, …), 9 after dropping
/// bounceHammer's samples (the Sisimai family, Source 1) and
/// de-duplication against every earlier corpus, labelled blind, committed
/// (e6660ff) before it was scored, split by hash. Its held-out half is 5
/// replies, too few to say much alone: 3 of 5 at its first run (the
/// catalogue of 52e6f0b and of 9f04269, this session's start, alike).
#[test]
fn qa18_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa18.toml", 0xb37a_0ab5_6e20_ea21, Some("heldout"), 3);
}

/// `tests/data/qa19.toml`: an outside source of remote replies quoted on
/// public web pages (hosting and ISP knowledge bases, admin blogs, forums
/// in nine languages) and a few GitHub threads, 50 after de-duplication
/// against every earlier corpus, labelled blind, committed (e6660ff)
/// before it was scored, split by hash. Its held-out half is 25 replies:
/// 18 of 25 at its first run (the catalogue of 52e6f0b and of 9f04269,
/// this session's start, alike).
#[test]
fn qa19_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa19.toml", 0xac1d_10f4_1c73_4448, Some("heldout"), 18);
}

/// `tests/data/qa20.toml`: an outside source of server replies pasted into
/// issues of self-hosted applications that send notification mail, 22
/// after de-duplication against every earlier corpus, labelled blind,
/// committed (9741663) before it was scored, split by hash. Its held-out
/// half is 6 replies, too few to say much alone: 5 of 6 at its first run
/// (the catalogue of 44fdc8f and of 9f04269, this session's start, alike).
#[test]
fn qa20_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa20.toml", 0xadbf_71b9_4676_5f9a, Some("heldout"), 5);
}

/// `tests/data/qa21.toml`: an outside source of replies quoted on the IT
/// help pages of universities, public bodies and companies and on regional
/// ISPs' help pages, 45 after de-duplication against every earlier corpus,
/// labelled blind, committed (9741663) before it was scored, split by hash.
/// Its held-out half is 29 replies: 15 of 29 at its first run (the
/// catalogue of 44fdc8f and of 9f04269, this session's start, alike).
#[test]
fn qa21_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa21.toml", 0x78d1_3d30_20f1_7725, Some("heldout"), 15);
}

/// `tests/data/qa22.toml`: an outside source of replies pasted on Japanese
/// and Chinese developer Q&A and blog platforms, 34 after dropping a used
/// site and de-duplication against every earlier corpus, labelled blind,
/// committed (b1396cc) before it was scored, split by hash. Its held-out
/// half is 19 replies: 10 of 19 at its first run (the catalogue of 288730b
/// and of 9f04269, this session's start, alike).
#[test]
fn qa22_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa22.toml", 0xedbd_b017_24fc_d34f, Some("heldout"), 10);
}

/// `tests/data/qa23.toml`: an outside source of remote replies quoted in
/// mail software's user lists, forums and help pages, 11 after dropping a
/// used site and de-duplication against every earlier corpus, labelled
/// blind, committed (b1396cc) before it was scored, split by hash. Its
/// held-out half is 4 replies, too few to say much alone: 4 of 4 at its
/// first run (288730b; 3 of 4 at 9f04269, this session's start).
#[test]
fn qa23_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa23.toml", 0x500d_d905_cea2_71c9, Some("heldout"), 4);
}

/// `tests/data/qa24.toml`: an outside source of replies in pastes on
/// pastebin.com (and two GitLab pages), 21 after de-duplication against
/// every earlier corpus, labelled blind, committed (6949bf1) before it was
/// scored, split by hash. Its held-out half is 8 replies, too few to say
/// much alone: 7 of 8 at its first run (bfbbfac; 9f04269 alike).
#[test]
fn qa24_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa24.toml", 0x9ecc_7d0f_318c_48ec, Some("heldout"), 7);
}

/// `tests/data/qa25.toml`: an outside source of replies quoted in incident
/// reports, status pages and deliverability write-ups, 39 after dropping
/// used sites and de-duplication against every earlier corpus, labelled
/// blind, committed (6949bf1) before it was scored, split by hash. Its
/// held-out half is 16 replies: 14 of 16 at its first run (bfbbfac;
/// 9f04269 alike).
#[test]
fn qa25_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa25.toml", 0x7a92_3557_cdff_64f7, Some("heldout"), 14);
}

/// `tests/data/qa26.toml`: an outside source of replies users pasted into
/// Ubuntu Forums threads (a public archive), an MIT knowledge-base page and
/// a blog, 8 after de-duplication against every earlier corpus, labelled
/// blind, committed (4331c3b) before it was scored, split by hash. Its
/// held-out half is 4 replies, too few to say much alone: 3 of 4 at its
/// first run (62e1529; 9f04269 alike).
#[test]
fn qa26_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa26.toml", 0x9182_87a8_201d_3df7, Some("heldout"), 3);
}

/// `tests/data/qa27.toml`: an outside source of replies kept in the sample
/// logs and test data of log-analysis tools, 7 after de-duplication against
/// every earlier corpus (23 of its 44 had the shape of a frozen held-out
/// text), labelled blind, committed (e0ca788) before it was scored, split
/// by hash. Its held-out half is 1 reply, wrong at its first run (de12065;
/// 04f75a9 alike): the floor is 0, the hash still freezes it.
#[test]
fn qa27_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa27.toml", 0xbda7_8c55_32d1_9105, Some("heldout"), 0);
}

/// `tests/data/qa28.toml`: an outside source of replies users pasted into
/// issues of applications that send mail (web apps, SMTP libraries), 14
/// after de-duplication, labelled blind, committed (c36283e) before it was
/// scored, split by hash. Its held-out half is 9 replies: 7 of 9 at its
/// first run (0ad3f9d; 04f75a9 alike).
#[test]
fn qa28_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa28.toml", 0x0a89_a729_bac3_d589, Some("heldout"), 7);
}

/// `tests/data/qa29.toml`: an outside source of replies quoted in Czech,
/// Polish, Portuguese, Italian, Vietnamese, Spanish and Turkish help pages
/// and blogs, 16 after de-duplication, labelled blind, committed (c36283e)
/// before it was scored, split by hash. Its held-out half is 12 replies: 8
/// of 12 at its first run (0ad3f9d; 04f75a9 alike).
#[test]
fn qa29_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa29.toml", 0x81d9_84fe_9230_b2e2, Some("heldout"), 8);
}

/// `tests/data/qa31.toml`: an outside source of mail-server log lines
/// pasted into issues of infrastructure repositories, 13 after
/// de-duplication (16 of its 37 had the shape of a frozen held-out text),
/// labelled blind, committed (4999264) before it was scored, split by hash.
/// Its held-out half is 6 replies: 6 of 6 at its first run (fcf16d5;
/// 04f75a9 alike).
#[test]
fn qa31_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa31.toml", 0x3d03_3040_a7db_02e7, Some("heldout"), 6);
}

/// `tests/data/qa32.toml`: an outside source of named providers' and
/// gateways' replies quoted in GitHub issues, 22 after de-duplication,
/// labelled blind, committed (957a7f6) before it was scored, split by hash.
/// Its held-out half is 10 replies: 10 of 10 at its first run (f58f5ce;
/// 04f75a9 alike).
#[test]
fn qa32_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa32.toml", 0x36a8_43a7_8850_7a35, Some("heldout"), 10);
}

/// `tests/data/qa33.toml`: an outside source of replies quoted in GitHub
/// issues written in Chinese, Russian, Japanese and German, 4 after
/// de-duplication, labelled blind, committed (0613a51) before it was
/// scored, split by hash. Its held-out half is 3 replies, too few to say
/// much alone: 2 of 3 at its first run (34bd1da; 04f75a9 alike).
#[test]
fn qa33_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa33.toml", 0xc70c_d028_0cf7_4292, Some("heldout"), 2);
}

/// `tests/data/qa34.toml`: an outside source of smaller mail systems'
/// replies (web hosts, regional ISPs, company gateways, self-hosted
/// servers) quoted in GitHub issues, 13 after de-duplication, labelled
/// blind, committed (0613a51) before it was scored, split by hash. Its
/// held-out half is 5 replies: 3 of 5 at its first run (34bd1da; 04f75a9
/// alike).
#[test]
fn qa34_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa34.toml", 0x86c8_eace_9daf_e0a1, Some("heldout"), 3);
}

/// `tests/data/qa35.toml`: an outside source of temporary refusals (4xx)
/// quoted in GitHub issues, 4 after de-duplication, labelled blind,
/// committed (1ec6f40) before it was scored, split by hash. Its held-out
/// half is 2 replies, too few to say anything alone: 1 of 2 at its first
/// run (34bc07f; 04f75a9 alike).
#[test]
fn qa35_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa35.toml", 0x6a19_e16c_59d9_8843, Some("heldout"), 1);
}

/// `tests/data/qa36.toml`: an outside source of bounces as newsletter, CRM
/// and helpdesk tools keep them (test fixtures copied from real bounces,
/// issue threads), 22 after de-duplication (16 of its 56 had the shape of
/// a frozen held-out text), labelled blind, committed (564d3e2) before it
/// was scored, split by hash. Its held-out half is 11 replies: 7 of 11 at
/// its first run (34bc07f's catalogue; 6 of 11 at 04f75a9).
#[test]
fn qa36_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa36.toml", 0x445d_f92f_7c3a_b4d1, Some("heldout"), 7);
}

/// `tests/data/qa37.toml`: an outside source of real bounces kept as test
/// fixtures (GNU Mailman 2's bounce set, froide, django-ses), 19 after
/// de-duplication, labelled blind, committed (a1e7b66) before it was scored,
/// split by hash. Mailman's set is also the origin of flufl.bounce's test
/// data, qa9's source: not independent of it. Its held-out half is 12
/// replies: 8 of 12 at its first run (fc246c5's catalogue).
#[test]
fn qa37_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa37.toml", 0x9600_6906_de9a_0328, Some("heldout"), 8);
}

/// `tests/data/qa38.toml`: an outside source of replies quoted in GitHub
/// issues of self-hosted software that sends mail (Mastodon, PeerTube,
/// BookStack, Nextcloud AIO, Chatwoot, ...), 12 after de-duplication (10 of
/// its 30 had the shape of a frozen held-out text), labelled blind,
/// committed (fb23138) before it was scored, split by hash. Its held-out half
/// is 6 replies: 5 of 6 at its first run (fc246c5's catalogue).
#[test]
fn qa38_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa38.toml", 0x0f8e_8037_f39b_ea73, Some("heldout"), 5);
}

/// `tests/data/qa39.toml`: an outside source of replies that providers and
/// hosters quote on their own help pages (a Uruguayan ISP's list of its
/// qmail system's texts, Infomaniak, Orange through a deliverability Q&A),
/// 11 after de-duplication, labelled blind, committed (0685ff8) before it was
/// scored, split by hash. Its held-out half is 7 replies: 3 of 7 at its
/// first run (fc246c5's catalogue, this session's start).
#[test]
fn qa39_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa39.toml", 0x7e87_9101_c085_aeb6, Some("heldout"), 3);
}

/// `tests/data/qa40.toml`: an outside source of the refusal strings that
/// open-source servers, delivery agents, policy servers and milters send,
/// read in their source (indimail-mta, Kopano, gromox, OpenBSD spamd,
/// policyd-weight, rmilter, ...), 48 after de-duplication, labelled blind,
/// committed (7e65bb7) before it was scored, split by hash. Its held-out half
/// is 24 replies: 13 of 24 at its first run (fc246c5's catalogue, and the
/// catalogue of this commit alike).
#[test]
fn qa40_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa40.toml", 0xd441_16a4_61be_9b19, Some("heldout"), 13);
}

/// `tests/data/qa42.toml`: an outside source of bounces kept as files in
/// public repositories (Delta Chat's test data, a MIME library's fixtures,
/// mailing-list archives kept in git), 7 after de-duplication, labelled
/// blind, committed (dbc6bc7) before it was scored, split by hash. Its
/// held-out half is 3 replies, too few to say anything alone: 3 of 3 at its
/// first run (fc246c5's catalogue).
#[test]
fn qa42_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa42.toml", 0xe6fd_546f_cc3e_7a31, Some("heldout"), 3);
}

/// `tests/data/qa43.toml`: an outside source of replies quoted in GitHub
/// issues written in French and Portuguese, 4 after de-duplication,
/// labelled blind, committed (87c9350) before it was scored, split by hash.
/// Its held-out half is 2 replies, too few to say anything alone: 2 of 2 at
/// its first run (fc246c5's catalogue).
#[test]
fn qa43_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa43.toml", 0x9802_c7ae_1c73_1995, Some("heldout"), 2);
}

/// `tests/data/qa44.toml`: an outside source of the remote replies inside
/// sending services' bounce events (a mailing platform's table of bounce
/// reasons, PowerMTA, SendGrid and SparkPost events, a toolbox's
/// fixtures), 9 after de-duplication, labelled blind, committed (215d3f7)
/// before it was scored, split by hash. Its held-out half is 6 replies: 5
/// of 6 at its first run (fc246c5's catalogue).
#[test]
fn qa44_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa44.toml", 0xec2b_0c31_d49c_7fba, Some("heldout"), 5);
}

/// `tests/data/qa45.toml`: an outside source of replies quoted in GitHub
/// issues of alerting, NAS and router software that sends mail, 9 after
/// de-duplication, labelled blind, committed (aaba959) before it was scored,
/// split by hash. Its held-out half is 6 replies: 6 of 6 at its first run
/// (fc246c5's catalogue).
#[test]
fn qa45_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa45.toml", 0xf2ec_efeb_54d1_14d6, Some("heldout"), 6);
}

/// `tests/data/qa46.toml`: an outside source of replies quoted in GitHub
/// issues of mail clients and their bridges, 6 after de-duplication,
/// labelled blind, committed (4fac9c7) before it was scored, split by hash.
/// Its held-out half is 1 reply, wrong at its first run (fc246c5's
/// catalogue): the floor is 0, the pin keeps it frozen.
#[test]
fn qa46_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa46.toml", 0xbedb_01e8_447f_e06e, Some("heldout"), 0);
}

/// `tests/data/qa47.toml`: an outside source of Chinese-language pages
/// and issues quoting Chinese mail systems' replies, 31 after
/// de-duplication (11 of its 51 had the shape of a frozen held-out text),
/// labelled blind, committed (08db010) before it was scored, split by hash.
/// Its reply table shares its origin with a page used before. Its
/// held-out half is 14 replies: 6 of 14 at its first run (fc246c5's
/// catalogue).
#[test]
fn qa47_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa47.toml", 0xa984_9a3c_27da_0c63, Some("heldout"), 6);
}

/// `tests/data/qa48.toml`: an outside source of the refusal strings more
/// servers, SMTP libraries, proxies and policy daemons send, read in their
/// source (Citadel, chrj/smtpd, Inbucket, Twisted, vSMTP, tumgreyspf, …),
/// 46 after de-duplication, labelled blind, committed (6022620) before
/// it was scored, split by hash. Its held-out half is 24 replies: 13 of 24
/// at its first run (fc246c5's catalogue, and this commit's alike).
#[test]
fn qa48_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa48.toml", 0xc768_9a2e_8b03_34d2, Some("heldout"), 13);
}

/// `tests/data/qa49.toml`: an outside source of Japanese and Korean help
/// pages and blogs quoting providers' and hosters' replies, 11 after
/// de-duplication (12 of its 33 had the shape of a frozen held-out text),
/// labelled blind, committed (20f5b20) before it was scored, split by
/// hash. Its held-out half is 3 replies, too few to say anything alone: 1
/// of 3 at its first run (fc246c5's catalogue).
#[test]
fn qa49_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa49.toml", 0x3140_be51_a272_c270, Some("heldout"), 1);
}

/// `tests/data/qa50.toml`: an outside source of the replies vendors
/// document their servers and gateways send (hMailServer, Barricade MX,
/// Cisco AsyncOS, GroupWise, Trend Micro, Kerio, …), 19 after
/// de-duplication, labelled blind, committed (836e827) before it was scored,
/// split by hash. Its held-out half is 8 replies: 3 of 8 at its first run
/// (fc246c5's catalogue and this commit's alike).
#[test]
fn qa50_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa50.toml", 0x28f2_427a_cd45_60aa, Some("heldout"), 3);
}

/// `tests/data/qa51.toml`: an outside source of Chinese and Taiwanese
/// enterprise-mail help pages and bounce tables, 32 after de-duplication,
/// labelled blind, committed (c69193f) before it was scored, split by hash.
/// Its held-out half is 12 replies: 7 of 12 at its first run (fc246c5's
/// catalogue and this commit's alike).
#[test]
fn qa51_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa51.toml", 0xfd72_14a3_5b28_8c81, Some("heldout"), 7);
}

/// `tests/data/qa52.toml`: an outside source of Spanish- and
/// Portuguese-language hosting and ISP pages quoting bounce texts, 9 after
/// de-duplication, labelled blind, committed (cafad85) before it was scored,
/// split by hash. Its held-out half is 4 replies, too few to say anything
/// alone: 3 of 4 at its first run (fc246c5's catalogue and this commit's
/// alike).
#[test]
fn qa52_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa52.toml", 0xd195_0daf_0244_20fa, Some("heldout"), 3);
}

/// `tests/data/qa53.toml`: an outside source of the refusal strings of
/// Postfix policy daemons, OpenSMTPD filters and third-party Haraka
/// plugins, read in their source, 34 after de-duplication, labelled blind,
/// committed (1f673b8) before it was scored, split by hash. Its
/// held-out half is 19 replies: 14 of 19 at its first run (fc246c5's
/// catalogue and this commit's alike).
#[test]
fn qa53_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa53.toml", 0x329f_ed54_a0f6_2cf9, Some("heldout"), 14);
}

/// `tests/data/qa54.toml`: an outside source of replies quoted in GitHub
/// issues of platforms and frameworks that send mail, 4 after
/// de-duplication (8 of its 18 had the shape of a frozen held-out text),
/// labelled blind, committed (2f9cac9) before it was scored, split by
/// hash. Its held-out half is 2 replies, too few to say anything alone: 2
/// of 2 at its first run (fc246c5's catalogue and this commit's alike).
#[test]
fn qa54_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa54.toml", 0xc682_3dec_40df_255f, Some("heldout"), 2);
}

/// `tests/data/qa55.toml`: an outside source of replies quoted in issues
/// of mail add-ons and self-hosted senders, 4 after de-duplication (12 of
/// its 16 had the shape of an earlier or frozen text, or a rule's), labelled
/// blind, committed (568fd75) before it was scored, split by hash. Its
/// held-out half is 1 reply, too few to say anything alone: right at its
/// first run (34534db's catalogue and this commit's alike).
#[test]
fn qa55_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa55.toml", 0xa97b_b7cd_8f5e_a4ae, Some("heldout"), 1);
}

/// `tests/data/qa56.toml`: an outside source of replies quoted on German,
/// Dutch, Norwegian, Finnish and Czech hosting pages and blogs, 18 after
/// de-duplication, labelled blind, committed (3ab68e3) before it was scored,
/// split by hash. Its held-out half is 7 replies: 6 of 7 at its first run
/// (34534db's catalogue and this commit's alike).
#[test]
fn qa56_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa56.toml", 0xb3d5_6be9_59ff_04bd, Some("heldout"), 6);
}

/// `tests/data/qa57.toml`: an outside source of replies quoted in issues
/// of anti-spam, filtering and gateway projects, 7 after de-duplication (8
/// of its 15 had the shape of an earlier text), labelled blind, committed
/// (c87d2e9) before it was scored, split by hash. Its held-out half is 2
/// replies, too few to say anything alone: 2 of 2 at its first run
/// (34534db's catalogue and this commit's alike).
#[test]
fn qa57_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa57.toml", 0xe064_5ac6_21db_a153, Some("heldout"), 2);
}

/// `tests/data/qa59.toml`: the "Triggered by" comments of PHPMailer-BMH's
/// rule table as copied into another bounce handler, 26 after
/// de-duplication (50 of its 51 had the shape of an earlier text or a
/// frozen one), labelled blind, committed (c87d2e9) before it was scored,
/// split by hash. Not an independent source (its header says why). Its
/// held-out half is 4 replies: 3 of 4 at its first run (34534db's
/// catalogue and this commit's alike).
#[test]
fn qa59_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa59.toml", 0x71e0_1af8_b123_4f8a, Some("heldout"), 3);
}

/// `tests/data/qa60.toml`: an outside source of receivers' replies quoted
/// on the help pages of sending services and deliverability vendors, 13
/// after de-duplication (31 of its 44 had the shape of an earlier or frozen
/// text, or a rule's), labelled blind, committed (c8ae602) before it was
/// scored, split by hash. Its held-out half is 4 replies: 4 of 4 at its
/// first run (34534db's catalogue and this commit's alike).
#[test]
fn qa60_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa60.toml", 0xefc3_6abd_4229_8bf4, Some("heldout"), 4);
}

/// `tests/data/qa61.toml`: an outside source of replies quoted on Korean,
/// Thai, Persian, Indonesian and Turkish pages and notes and in issues, 8
/// after de-duplication, labelled blind, committed (8075f7b) before it
/// was scored, split by hash. Its held-out half is 3 replies: 3 of 3 at its
/// first run (34534db's catalogue).
#[test]
fn qa61_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa61.toml", 0xe4b4_eeed_1ec2_9739, Some("heldout"), 3);
}

/// `tests/data/qa62.toml`: an outside source of replies quoted on forums,
/// a list archive and corporate gateways' help pages, 10 after
/// de-duplication, labelled blind, committed (14d962f) before it was
/// scored, split by hash. Its held-out half is 3 replies: 2 of 3 at its
/// first run (34534db's catalogue and this commit's alike).
#[test]
fn qa62_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa62.toml", 0xa2e5_e9c4_657a_a381, Some("heldout"), 2);
}

/// `tests/data/qa63.toml`: an outside source of replies in real Postfix
/// logs committed in public repositories (sample data, dumps, homework), 14
/// after de-duplication (29 of its 51 had the shape of a frozen text),
/// labelled blind, committed (d9634d6) before it was scored, split by
/// hash. Its held-out half is 9 replies: 8 of 9 at its first run (34534db's
/// catalogue).
#[test]
fn qa63_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa63.toml", 0x7a7f_595f_96a8_9015, Some("heldout"), 8);
}

/// `tests/data/qa66.toml`: an outside source of replies pasted in GitHub
/// issues and pull requests of hosting stacks and other mail-sending
/// projects (Exim and Sendmail lines rewritten in Postfix's form), 6 after
/// de-duplication, labelled blind, committed (1e8812f) before it was
/// scored, split by hash. Its held-out half is 1 reply, too few to say
/// anything alone: right at its first run (34534db's catalogue).
#[test]
fn qa66_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa66.toml", 0x68b1_2d10_1fd7_a646, Some("heldout"), 1);
}

/// `tests/data/qa65.toml`: an outside source of replies in real Postfix
/// logs committed in subdirectories (mostly docker-mailserver lab logs), 9
/// after de-duplication (12 of its 29 had the shape of a frozen text),
/// labelled blind, committed (ee29562) before it was scored, split by hash.
/// Its held-out half is 3 replies: 2 of 3 at its first run (34534db's
/// catalogue).
#[test]
fn qa65_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa65.toml", 0x69fd_8e84_d433_5550, Some("heldout"), 2);
}

/// `tests/data/qa67.toml`: an outside source of replies on French hosting
/// pages and sample mail-log lines kept in log-analysis and SIEM tools, 12
/// after de-duplication, labelled blind, committed (402e7db) before it was
/// scored, split by hash. Its held-out half is 5 replies: 4 of 5 at its
/// first run (34534db's catalogue).
#[test]
fn qa67_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa67.toml", 0xc5f1_b1d4_a3a6_435a, Some("heldout"), 4);
}

/// `tests/data/qa68.toml`: replies on Italian, Spanish and Portuguese
/// pages, 8 after de-duplication, most of them Google's Gmail table, which
/// the Google rules were written from (not independent: its header says
/// so), labelled blind, committed (ee29562) before it was scored, split by
/// hash. Its held-out half is 5 replies: 4 of 5 at its first run (34534db's
/// catalogue).
#[test]
fn qa68_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa68.toml", 0xb168_8da4_2052_ac67, Some("heldout"), 4);
}

/// `tests/data/qa69.toml`: an outside source of replies pasted in GitHub
/// issues of Chinese projects and by Chinese users, 4 after
/// de-duplication, labelled blind, committed (2c78b1c) before it was scored,
/// split by hash. Its held-out half is 3 replies: 2 of 3 at its first run
/// (34534db's catalogue).
#[test]
fn qa69_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa69.toml", 0xf009_9f37_0acd_6ca3, Some("heldout"), 2);
}

/// `tests/data/qa70.toml`: replies of mail servers quoted in web
/// applications' own mailer logs committed in public repositories, 4 after
/// de-duplication, labelled blind, committed (198740d) before it was scored,
/// split by hash. Its held-out half is 1 reply, too few to say anything
/// alone: right at its first run (34534db's catalogue).
#[test]
fn qa70_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa70.toml", 0x4038_6482_be36_cc7b, Some("heldout"), 1);
}

/// `tests/data/qa71.toml`: an outside source of replies in real mail logs
/// and msmtp logs committed in public repositories, 6 after
/// de-duplication, labelled blind, committed (8fa50e3) before it was scored,
/// split by hash. Its held-out half is 4 replies: 4 of 4 at its first run
/// (34534db's catalogue).
#[test]
fn qa71_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa71.toml", 0x6ea2_c919_f938_cad1, Some("heldout"), 4);
}

/// `tests/data/qa72.toml`: an outside source of real bounces and log lines
/// kept as test data (a ticket system, MIME libraries, a log-pattern
/// database, swaks, Zentyal), 5 after de-duplication (those of qa67's
/// repositories removed first: its header says so), labelled blind,
/// committed (c00ddcb) before it was scored, split by hash. Its held-out half
/// is 3 replies: 2 of 3 at its first run (34534db's catalogue).
#[test]
fn qa72_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa72.toml", 0xa804_2514_423e_f23a, Some("heldout"), 2);
}

/// `tests/data/qa73.toml`: an outside source of replies users pasted into
/// the issues of mail-sending libraries and web frameworks' mailers, 14
/// after de-duplication, labelled blind, committed (7487cb1) before it was
/// scored, split by hash. Its held-out half is 10 replies: 9 of 10 at its
/// first run (6a2fc52's catalogue).
#[test]
fn qa73_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa73.toml", 0x928e_aa2f_923c_09bc, Some("heldout"), 9);
}

/// `tests/data/qa75.toml`: an outside source of the reply texts
/// administrators wrote into their own deployed mail-server configurations
/// (header and body checks, access tables, a quota service), 31 after
/// de-duplication, labelled blind, committed (7487cb1) before it was
/// scored, split by hash. Its held-out half is 12 replies: 3 of 12 at its
/// first run (6a2fc52's catalogue).
#[test]
fn qa75_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa75.toml", 0xdcb6_9b7a_b4e0_3538, Some("heldout"), 3);
}

/// `tests/data/qa76.toml`: an outside source of real delivery-failure lines
/// kept in log parsers' test inputs (mostly one 2013 production log of a
/// Czech newsletter host), 36 after de-duplication, labelled blind,
/// committed (cd0e050) before it was scored, split by hash. Its held-out half is 19
/// replies: 16 of 19 at its first run (6a2fc52's catalogue).
#[test]
fn qa76_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa76.toml", 0x53b8_39f9_717c_7854, Some("heldout"), 16);
}

/// `tests/data/qa77.toml`: an outside source of replies quoted by the help
/// pages and forums of ISPs and hosts of English-speaking countries, 17
/// after de-duplication, labelled blind, committed (7487cb1) before it was
/// scored, split by hash. Its held-out half is 9 replies: 6 of 9 at its
/// first run (6a2fc52's catalogue).
#[test]
fn qa77_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa77.toml", 0xaba2_8844_61dc_38b0, Some("heldout"), 6);
}

/// `tests/data/qa79.toml`: an outside source of replies quoted by Japanese
/// blogs, FAQs and provider pages, 13 after de-duplication, labelled blind,
/// committed (2b51317) before it was scored, split by hash. Its held-out
/// half is 3 replies: 1 of 3 at its first run (6a2fc52's catalogue, and
/// 2b51317's alike).
#[test]
fn qa79_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa79.toml", 0xf507_26cc_626d_85c2, Some("heldout"), 1);
}

/// `tests/data/qa81.toml`: an outside source of replies quoted by
/// non-English Q&A copies, blogs and provider pages, 3 after
/// de-duplication, labelled blind, committed (7c714dc) before it was
/// scored, split by hash. Its held-out half is 2 replies: 1 of 2 at its
/// first run (6a2fc52's catalogue, and 7c714dc's alike).
#[test]
fn qa81_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa81.toml", 0x018c_a175_b7de_350b, Some("heldout"), 1);
}

/// `tests/data/qa82.toml`: an outside source of Exim, Sendmail, qmail,
/// OpenSMTPD and Exchange log lines with the remote reply, pasted in test
/// scripts, list messages, Q&A and knowledge bases, 8 after
/// de-duplication, labelled blind, committed (2e281f0) before it was
/// scored, split by hash. Its held-out half is 4 replies: 2 of 4 at its
/// first run (6a2fc52's catalogue, and 2e281f0's alike).
#[test]
fn qa82_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa82.toml", 0xa89b_53f2_6a99_0213, Some("heldout"), 2);
}

/// `tests/data/qa83.toml`: an outside source of replies quoted by vendors'
/// knowledge bases, community threads and list archives outside Stack
/// Exchange and GitHub, 9 after de-duplication, labelled blind, committed
/// (6cf019f) before it was scored, split by hash. Its held-out half is 5
/// replies: 4 of 5 at its first run (6a2fc52's catalogue, and 6cf019f's
/// alike).
#[test]
fn qa83_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa83.toml", 0x220b_80ca_bb51_d390, Some("heldout"), 4);
}

/// `tests/data/qa84.toml`: an outside source of replies quoted in mail
/// software communities' list archives, forums and knowledge bases, 7
/// after de-duplication (one repeat of a qa83 reply removed first: its
/// header says so), labelled blind, committed (174362d) before it was
/// scored, split by hash. Its held-out half is 4 replies: 4 of 4 at its
/// first run (6a2fc52's catalogue, and 174362d's alike).
#[test]
fn qa84_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa84.toml", 0x8e54_2445_95f8_4fd1, Some("heldout"), 4);
}

/// `tests/data/qa85.toml`: an outside source of replies pasted into issues
/// of newer MTAs, relays and SMTP test servers, 6 after de-duplication,
/// labelled blind, committed (250c797) before it was scored, split by hash.
/// Its held-out half is 4 replies: 2 of 4 at its first run (6a2fc52's
/// catalogue, and 250c797's alike).
#[test]
fn qa85_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa85.toml", 0x9a6f_90b6_12a7_4082, Some("heldout"), 2);
}

/// `tests/data/qa86.toml`: an outside source of replies pasted into issues
/// of CMS mail plugins and PHP web applications, 5 after de-duplication,
/// labelled blind, committed (f08ab74) before it was scored, split by hash.
/// Its held-out half is 2 replies: 2 of 2 at its first run (6a2fc52's
/// catalogue, and f08ab74's alike).
#[test]
fn qa86_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa86.toml", 0x38b4_4c3b_77f6_6987, Some("heldout"), 2);
}

/// `tests/data/qa87.toml`: an outside source of replies pasted into GitHub
/// issues of home-server, NAS and home-automation software, 7 after
/// de-duplication, labelled blind, committed (153dcbf) before it was
/// scored, split by hash. Its held-out half is 4 replies: 3 of 4 at its
/// first run (6a2fc52's catalogue, and 153dcbf's alike).
#[test]
fn qa87_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa87.toml", 0xc88b_ed7a_ccc0_eb4b, Some("heldout"), 3);
}

/// `tests/data/qa88.toml`: an outside source of replies an
/// address-verification run logged and open-source verifiers' users
/// reported, 2 after de-duplication, labelled blind, committed (9b03ac3)
/// before it was scored, split by hash. Its held-out half is 1 reply: 1 of
/// 1 at its first run (6a2fc52's catalogue, and 9b03ac3's alike).
#[test]
fn qa88_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa88.toml", 0xf141_35d7_c4d6_6727, Some("heldout"), 1);
}

/// `tests/data/qa89.toml`: an outside source of server replies in users'
/// logs pasted into GitHub issues of self-hosted mail-server suites, 7 after
/// de-duplication, labelled blind, committed (82b2153) before it was scored,
/// split by hash. Its held-out half is 1 reply: 1 of 1 at its first run
/// (877d7f6's catalogue, and 82b2153's alike).
#[test]
fn qa89_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa89.toml", 0x3b26_3ed3_95b1_b60b, Some("heldout"), 1);
}

/// `tests/data/qa90.toml`: an outside source of replies quoted in GitHub
/// threads written in German, Italian, Spanish and Polish, 5 after de-
/// duplication, labelled blind, committed (9dd9712) before it was scored,
/// split by hash. Its held-out half is 3 replies: 3 of 3 at its first run
/// (877d7f6's catalogue, and 9dd9712's alike).
#[test]
fn qa90_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa90.toml", 0x7f53_59a3_42c1_151b, Some("heldout"), 3);
}

/// `tests/data/qa91.toml`: an outside source of replies pasted into issues
/// of business software that sends mail (ERP, CRM, helpdesk, e-commerce), 14
/// after de-duplication, labelled blind, committed (82b2153) before it was
/// scored, split by hash. Its held-out half is 5 replies: 4 of 5 at its
/// first run (877d7f6's catalogue, and 82b2153's alike).
#[test]
fn qa91_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa91.toml", 0xfb6b_8c0e_1550_70fb, Some("heldout"), 4);
}

/// `tests/data/qa92.toml`: an outside source of replies pasted into issues
/// of developer platforms, forums and the fediverse, 4 after de-duplication,
/// labelled blind, committed (82b2153) before it was scored, split by hash.
/// Its held-out half is 3 replies: 2 of 3 at its first run (877d7f6's
/// catalogue, and 82b2153's alike).
#[test]
fn qa92_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa92.toml", 0xded6_0240_0f67_1ff6, Some("heldout"), 2);
}

/// `tests/data/qa93.toml`: an outside source of Postfix deferrals (4xx
/// replies and Postfix's own temporary failures) in issues, pastes, fixtures
/// and pages, 8 after de-duplication, labelled blind, committed (797c3fb)
/// before it was scored, split by hash. Its held-out half is 5 replies: 5 of
/// 5 at its first run (877d7f6's catalogue, and 797c3fb's alike).
#[test]
fn qa93_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa93.toml", 0x6e83_c68c_f0f7_cf3e, Some("heldout"), 5);
}

/// `tests/data/qa94.toml`: an outside source of replies quoted in issues of
/// education, public bodies', monitoring and backup software, 10 after de-
/// duplication, labelled blind, committed (82b2153) before it was scored,
/// split by hash. Its held-out half is 7 replies: 6 of 7 at its first run
/// (877d7f6's catalogue, and 82b2153's alike).
#[test]
fn qa94_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa94.toml", 0x1245_6989_bf40_af98, Some("heldout"), 6);
}

/// `tests/data/qa95.toml`: an outside source of bounces quoted in issues of
/// mail forwarding and alias services, 21 after de-duplication, labelled
/// blind, committed (099a9b0) before it was scored, split by hash. Its held-
/// out half is 9 replies: 6 of 9 at its first run (877d7f6's catalogue, and
/// 099a9b0's alike).
#[test]
fn qa95_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa95.toml", 0x3e2c_9f0c_b241_ea15, Some("heldout"), 6);
}

/// `tests/data/qa96.toml`: an outside source of replies in issues and forums
/// of newsletter and mailing-list software, 18 after de-duplication,
/// labelled blind, committed (32d4083) before it was scored, split by hash.
/// Its held-out half is 10 replies: 7 of 10 at its first run (877d7f6's
/// catalogue, and 32d4083's alike).
#[test]
fn qa96_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa96.toml", 0x4cf2_f561_6597_2571, Some("heldout"), 7);
}

/// `tests/data/qa98.toml`: an outside source of replies in issues of mail-
/// sending libraries in Rust, Go, Elixir, Ruby, Java, C++ and Dart, 16 after
/// de-duplication, labelled blind, committed (1de39a6) before it was scored,
/// split by hash. Its held-out half is 7 replies: 5 of 7 at its first run
/// (877d7f6's catalogue, and 1de39a6's alike).
#[test]
fn qa98_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa98.toml", 0xe658_0164_5858_7d75, Some("heldout"), 5);
}

/// `tests/data/qa99.toml`: an outside source of replies in issues of system
/// daemons and tools that send mail through the local MTA, 7 after de-
/// duplication, labelled blind, committed (1de39a6) before it was scored,
/// split by hash. Its held-out half is 3 replies: 1 of 3 at its first run
/// (877d7f6's catalogue, and 1de39a6's alike).
#[test]
fn qa99_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa99.toml", 0xd7c6_ed97_c969_9380, Some("heldout"), 1);
}

/// `tests/data/qa100.toml`: an outside source of replies of rarely seen
/// regional providers (Latvian, Argentine, Brazilian, Czech, Ukrainian,
/// Polish, Russian), 4 after de-duplication, labelled blind, committed
/// (facd0a2) before it was scored, split by hash. Its held-out half is 3
/// replies: 0 of 3 at its first run (877d7f6's catalogue, and facd0a2's
/// alike).
#[test]
fn qa100_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa100.toml", 0x0ce6_f417_ec6d_71b4, Some("heldout"), 0);
}

/// `tests/data/qa101.toml`: an outside source of replies in issues of
/// webmail and mail clients, 4 after de-duplication, labelled blind,
/// committed (6e81c3e) before it was scored, split by hash. Its held-out
/// half is 2 replies: 2 of 2 at its first run (877d7f6's catalogue, and
/// 6e81c3e's alike).
#[test]
fn qa101_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa101.toml", 0xe4fb_6033_0d37_d854, Some("heldout"), 2);
}

/// `tests/data/qa102.toml`: an outside source of replies in issues about
/// cloud and platform email services and a public webhook dump, 3 after de-
/// duplication, labelled blind, committed (6e81c3e) before it was scored,
/// split by hash. Its held-out half is 2 replies: 1 of 2 at its first run
/// (877d7f6's catalogue, and 6e81c3e's alike).
#[test]
fn qa102_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa102.toml", 0xf12e_ed64_6441_f0c7, Some("heldout"), 1);
}

/// `tests/data/qa103.toml`: an outside source of replies in issues of CMS
/// mail plugins and CMSs, 4 after de-duplication, labelled blind, committed
/// (f59dc7a) before it was scored, split by hash. Its held-out half is 1
/// reply: 0 of 1 at its first run (877d7f6's catalogue, and f59dc7a's
/// alike).
#[test]
fn qa103_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa103.toml", 0xb0f4_0f98_25bf_c660, Some("heldout"), 0);
}

/// `tests/data/qa104.toml`: an outside source of corporate mail gateways'
/// replies in issues, list messages, fixtures and a verifier's notes, 6
/// after de-duplication, labelled blind, committed (5ae232a) before it was
/// scored, split by hash. Its held-out half is 5 replies: 5 of 5 at its
/// first run (877d7f6's catalogue, and 5ae232a's alike).
#[test]
fn qa104_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa104.toml", 0x3bc8_ad4c_96ed_4b65, Some("heldout"), 5);
}

/// `tests/data/qa105.toml`: an outside source of big providers' replies
/// found by their codes in issues, pastes, a Q&A thread and a blog, 10 after
/// de-duplication, labelled blind, committed (6dd9910) before it was scored,
/// split by hash. Its held-out half is 6 replies: 4 of 6 at its first run
/// (877d7f6's catalogue, and 6dd9910's alike).
#[test]
fn qa105_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa105.toml", 0xa475_880c_4a73_7d94, Some("heldout"), 4);
}

/// `tests/data/qa106.toml`: an outside source of replies in issues of SMTP
/// testing, phishing-simulation and security tools, 14 after de-duplication,
/// labelled blind, committed (f59dc7a) before it was scored, split by hash.
/// Its held-out half is 7 replies: 5 of 7 at its first run (877d7f6's
/// catalogue, and f59dc7a's alike).
#[test]
fn qa106_source_held_out_half_is_frozen_and_scored() {
    score_frozen_set("tests/data/qa106.toml", 0x7821_2992_ba04_b6db, Some("heldout"), 5);
}

/// `tests/data/concept-grid.toml`: plain sentences a server might write
/// for twenty-seven causes, each a noun and a predicate ("Recipient domain
/// could not be found", "Account has no space left", "TLS is required"),
/// read without the enhanced code: the words alone must decide, as they
/// must for a server that sends none; alone and after each of ten lead-ins
/// servers put before a reason ("Rejected: ", "Temporary failure: "). Every
/// sentence of the grid is read so (1,613 and 16,130 after a lead-in by
/// this version; at 877d7f6, 1,354 and 13,175: `scripts/concept_grid.py`
/// prints the figures per cause).
#[test]
fn the_concepts_read_the_grid_of_plain_sentences_without_a_code() {
    #[derive(Deserialize)]
    struct Grid {
        lead_ins: Vec<String>,
        grid: Vec<Row>,
    }
    #[derive(Deserialize)]
    struct Row {
        cause: String,
        code: u16,
        stage: Option<String>,
        nouns: Vec<String>,
        predicates: Vec<String>,
        #[serde(default)]
        prefixes: Vec<String>,
        #[serde(default)]
        prefixed: Vec<String>,
        #[serde(default)]
        unless: HashMap<String, Vec<String>>,
    }
    let raw =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/concept-grid.toml"))
            .unwrap();
    let grid: Grid = toml::from_str(&raw).unwrap();
    let mut c = Classifier::new(catalogue());
    let (mut n, mut misses) = (0, Vec::new());
    for row in &grid.grid {
        let want: Cause = row
            .cause
            .parse()
            .unwrap_or_else(|_| panic!("{}: not a cause", row.cause));
        let mut sentences = Vec::new();
        for noun in &row.nouns {
            for pred in &row.predicates {
                if !row.unless.get(noun).is_some_and(|l| l.contains(pred)) {
                    let sep = if pred.starts_with(char::is_alphabetic) {
                        " "
                    } else {
                        ""
                    };
                    sentences.push(format!("{noun}{sep}{pred}"));
                }
            }
        }
        for prefix in &row.prefixes {
            for noun in &row.prefixed {
                sentences.push(format!("{prefix} {noun}"));
            }
        }
        // Each sentence alone and after each lead-in.
        let lead_ins = std::iter::once("").chain(grid.lead_ins.iter().map(String::as_str));
        for (lead_in, sentence) in lead_ins.flat_map(|l| sentences.iter().map(move |t| (l, t))) {
            let reply = format!(
                "host mx.example.net[192.0.2.9] said: {} {lead_in}{sentence} (in reply to {} command)",
                row.code,
                row.stage.as_deref().unwrap_or("RCPT TO")
            );
            n += 1;
            let got = c.classify(&Query::text(reply.as_bytes())).cause;
            if got != want {
                misses.push(format!("  [{} -> {}] {reply}", row.cause, got.as_str()));
            }
        }
    }
    assert!(n > 17_000, "the grid has {n} sentences");
    assert!(
        misses.is_empty(),
        "{} of {n} grid sentences read otherwise:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

/// A rule written with "does not" reads "doesn't", "doesn’t" and "doesnt"
/// too, and the other way round: servers contract as they like.
#[test]
fn negations_read_the_same_written_out_or_contracted() {
    let mut c = Classifier::new(catalogue());
    for (written, contracted) in [
        (
            "550 5.1.1 Sorry, that address does not exist here",
            "550 5.1.1 Sorry, that address doesn't exist here",
        ),
        ("550 Mailbox does not exist", "550 Mailbox doesn’t exist"),
        ("550 User does not exist", "550 User doesnt exist"),
        ("454 4.7.0 Cannot start TLS", "454 4.7.0 Can't start TLS"),
    ] {
        let text = |reply: &str| {
            format!("host mx.example.com[192.0.2.1] said: {reply} (in reply to RCPT TO command)")
        };
        let a = c.classify(&Query::text(text(written).as_bytes())).cause;
        let b = c.classify(&Query::text(text(contracted).as_bytes())).cause;
        assert_ne!(a.as_str(), "undefined", "{written}");
        assert_eq!(a, b, "{written} / {contracted}");
    }
}

/// The mailbox concepts read other languages and word orders than the
/// phrases were written in, in either case ("Buzón no existe" as well as
/// "El buzón no existe", "EL BUZÓN NO EXISTE"); a word for the IP address,
/// the sender or our own account is not the recipient's mailbox. And the
/// English concepts of a relay refusal, a remote failure, a broken
/// connection, greylisting described without its name (only in a 4xx).
#[test]
fn concepts_read_other_languages_word_orders_and_cases() {
    let mut c = Classifier::new(catalogue());
    let rcpt =
        |reply: &str| format!("host mx.example.net[192.0.2.1] said: {reply} (in reply to RCPT TO command)");
    let mail_from =
        |reply: &str| format!("host mx.example.net[192.0.2.1] said: {reply} (in reply to MAIL FROM command)");
    let cases = [
        (rcpt("550 Buzón no existe"), "user_unknown"),
        (rcpt("550 EL BUZÓN NO EXISTE"), "user_unknown"),
        (rcpt("550 No existe el usuario"), "user_unknown"),
        (rcpt("550 O utilizador não foi encontrado"), "user_unknown"),
        (
            rcpt("550 L'adresse e-mail du destinataire n'existe pas"),
            "user_unknown",
        ),
        (rcpt("550 Der Empfänger existiert nicht"), "user_unknown"),
        (rcpt("550 5.1.1 Unbekannter Empfänger"), "user_unknown"),
        (rcpt("550 Skrzynka odbiorcy nie istnieje"), "user_unknown"),
        (rcpt("550 ПОЛЬЗОВАТЕЛЬ НЕ НАЙДЕН"), "user_unknown"),
        (rcpt("550 Неизвестный получатель"), "user_unknown"),
        (rcpt("550 Alıcı mevcut değil"), "user_unknown"),
        (rcpt("550 Người nhận không tồn tại"), "user_unknown"),
        (rcpt("550 宛先のユーザーは存在しません"), "user_unknown"),
        (rcpt("550 Recipient is not known here"), "user_unknown"),
        (
            rcpt("552 A caixa postal do destinatário está cheia"),
            "mailbox_full",
        ),
        (rcpt("452 La casella ha superato la quota"), "mailbox_full"),
        (rcpt("552 ЯЩИК ПЕРЕПОЛНЕН"), "mailbox_full"),
        (rcpt("550 Das Postfach ist deaktiviert"), "suspend"),
        (mail_from("550 Absender unbekannt"), "rejected"),
        (rcpt("550 Il mittente non è autorizzato"), "rejected"),
        (mail_from("535 Su cuenta ha sido bloqueada"), "rejected"),
        (rcpt("554 Su dirección IP está bloqueada"), "blocked"),
        (rcpt("550 Adresse IP inconnue"), "undefined"),
        (rcpt("554 Adres IP nadawcy jest zablokowany"), "blocked"),
        (rcpt("554 Ваш IP-адрес находится в черном списке"), "blocked"),
        (mail_from("550 Remitente bloqueado"), "rejected"),
        (rcpt("554 Ретрансляция запрещена"), "no_relaying"),
        (rcpt("552 Le message est trop volumineux"), "mesg_too_big"),
        (
            rcpt("554 Messaggio rifiutato: posta indesiderata"),
            "spam_detected",
        ),
        (
            rcpt("450 Você está na lista cinza, tente novamente"),
            "greylisted",
        ),
        (mail_from("451 Слишком много писем с вашего адреса"), "speeding"),
        (
            rcpt("550 Ihre Nachricht konnte nicht zugestellt werden"),
            "undefined",
        ),
        (mail_from("550 Could not verify your sender address"), "rejected"),
        (
            rcpt("550 5.7.1 You are not permitted to send to this group"),
            "rejected",
        ),
        (
            mail_from("550 5.7.1 Connections from your network are not accepted"),
            "blocked",
        ),
        (
            rcpt("554 5.7.1 <bob@example.org>: we cannot relay for you"),
            "no_relaying",
        ),
        (
            rcpt("550 5.7.1 This server does not accept mail for the domain example.org"),
            "no_relaying",
        ),
        (
            rcpt("451 Unable to process message at this time, a technical problem occurred"),
            "system_error",
        ),
        (
            rcpt("451 4.3.0 Internal processing error, try again"),
            "system_error",
        ),
        (rcpt("451 4.4.1 Mail store server failure"), "network_error"),
        (rcpt("421 4.4.2 Connection reset by peer"), "network_error"),
        (
            rcpt("451 4.7.1 Temporarily deferred, new sender-recipient pair"),
            "greylisted",
        ),
        (
            rcpt("550 5.7.1 Rejected: first delivery attempt from a listed host"),
            "undefined",
        ),
        // The twentieth session's third paraphrase set (sender refusals and
        // a remote's own failures): the sender with its verdict before it,
        // mail from an address refused, a part of the remote's system
        // unavailable; and what must not read so.
        (mail_from("550 illegal sender."), "rejected"),
        (mail_from("553 Illegal envelope sender"), "rejected"),
        (mail_from("550 5.7.1 Bad sender IP"), "blocked"),
        (
            mail_from("550 Your IP address 198.51.100.7 is not allowed to send mail"),
            "blocked",
        ),
        (mail_from("550 Mail from <news@example.org> refused"), "rejected"),
        (
            mail_from("553 Mail from news@example.org not allowed"),
            "rejected",
        ),
        (mail_from("554 Mail from this address is prohibited"), "rejected"),
        (
            mail_from("550 5.7.1 Your domain example.org is not allowed to send mail here"),
            "rejected",
        ),
        (mail_from("550 5.7.1 The sender's domain is banned"), "rejected"),
        (mail_from("550 5.7.1 Envelope sender is blocked"), "rejected"),
        (rcpt("451 Mailbox server unavailable"), "system_error"),
        (rcpt("450 Mail queue is temporarily unavailable"), "system_error"),
        (
            rcpt("451 4.3.0 Please try again in 5 minutes, a temporary delay for unknown senders"),
            "greylisted",
        ),
    ];
    let mut wrong = Vec::new();
    for (text, want) in &cases {
        let got = c.classify(&Query::text(text.as_bytes())).cause;
        if got.as_str() != *want {
            wrong.push(format!("{text}: {} (want {want})", got.as_str()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A verdict word inside a link states nothing ("…/help/policy/spam-
/// blocked.html" is no policy, spam or block verdict), while a block
/// list's name in its lookup link still names the listing.
#[test]
fn words_in_links_are_not_verdicts_but_block_lists_are() {
    let mut c = Classifier::new(catalogue());
    let cause = |c: &mut Classifier, reply: &str| {
        let text = format!("host mx.example.com[192.0.2.1] said: {reply} (in reply to RCPT TO command)");
        c.classify(&Query::text(text.as_bytes()))
            .cause
            .as_str()
            .to_string()
    };
    assert_eq!(
        cause(
            &mut c,
            "550 5.7.1 Rejected, see http://www.example.net/help/policy/spam-blocked.html"
        ),
        "undefined"
    );
    assert_eq!(
        cause(
            &mut c,
            "550 5.7.1 Rejected by policy, see http://www.example.net/help"
        ),
        "policy_violation"
    );
    assert_eq!(
        cause(&mut c, "553 http://www.spamhaus.org/query/bl?ip=198.51.100.7"),
        "blocked"
    );
}
