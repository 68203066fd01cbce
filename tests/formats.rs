//! The reports for people and monitoring (issue 6): `--format markdown`
//! rendered by a real CommonMark parser (markdown-it-py), `--format html`
//! checked for what makes it safe to mail and for its chart, `--format
//! prometheus` read back by the Prometheus client's own parser
//! (prometheus_client). The Python packages are installed by `.ci/run`;
//! elsewhere a test that needs a missing one is skipped with a note.
//!
//! The headless-browser check of the HTML page is `tests/html_screenshot.sh`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use regex::Regex;
use serde_json::Value;

use crate::common::*;

/// A log whose replies and domain hold Markdown, HTML and label syntax:
/// `|`, backticks, `*`, `[x](…)`, `<script>`, an entity, quotes and a
/// backslash. The first reply has a `|`, the second none (the Markdown
/// report shows the two differently).
const HOSTILE_LOG: &str = "\
2026-11-21T03:14:07+00:00 mx1 postfix/qmgr[1]: 3F2A41C0B3: from=<news@example.org>, size=100, nrcpt=2 (queue active)
2026-11-21T03:14:08+00:00 mx1 postfix/smtp[2]: 3F2A41C0B3: to=<bob@we\"ird\\dom|a*in.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@x>: `User` unknown | *gone* <script>alert(1)</script> [x](http://evil.example) ![i](x) #5 &amp; _y_ (in reply to RCPT TO command))
2026-11-21T04:14:08+00:00 mx1 postfix/smtp[2]: 3F2A41C0B3: to=<ann@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.2.2, status=deferred (host mx.example.com[192.0.2.1] said: 452 4.2.2 Mailbox ``full`` <script>alert(1)</script> 'q' \"dq\" \\ # ~~s~~ (in reply to RCPT TO command))
";

const HOSTILE_DOMAIN: &str = "we\"ird\\dom|a*in.com";

fn hostile_log(dir: &Path) -> String {
    let path = dir.join("mail<b>.log");
    std::fs::write(&path, HOSTILE_LOG).unwrap();
    path.to_string_lossy().into_owned()
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// Runs with `args`; the run must succeed. Returns stdout as text.
fn run(args: &[&str]) -> String {
    let out = bounce_report().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "bounce-report {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Whether python3 can import `module`. CI installs them (`.ci/run`) and a
/// missing one fails there; elsewhere the test is skipped with a note.
fn python_has(module: &str) -> bool {
    let ok = StdCommand::new("python3")
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 module {module} is missing (.ci/run installs it)"
        );
        eprintln!("note: python3 module {module} not installed; skipping");
    }
    ok
}

/// Runs a Python script with `input` on stdin and parses its stdout as JSON.
fn python_json(script: &str, input: &str) -> Value {
    let mut child = StdCommand::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes to python3");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "python3 failed: {}\n--- input ---\n{input}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3 printed JSON")
}

// ---------------------------------------------------------------- Markdown

/// Parses Markdown with markdown-it-py (CommonMark plus GFM tables) and
/// prints what a reader sees: headings, list items and paragraphs as plain
/// text, tables as rows of cell texts, and the rendered HTML. Plain text is
/// the text of every inline child (emphasis markers and escapes gone), so a
/// `*` taken as emphasis would be missing from it.
const MARKDOWN_IT: &str = r#"
import json, sys
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark").enable("table")
src = sys.stdin.read()
tokens = md.parse(src)
def text(tok):
    return "".join(c.content for c in (tok.children or [])
                   if c.type in ("text", "text_special", "code_inline"))
blocks, tables, row, stack = [], [], None, []
for t in tokens:
    if t.type.endswith("_open"):
        stack.append(t.tag)
    elif t.type.endswith("_close"):
        stack.pop()
    if t.type == "table_open":
        tables.append([])
    elif t.type == "tr_open":
        row = []
    elif t.type == "tr_close":
        tables[-1].append(row)
    elif t.type == "inline":
        if stack and stack[-1] in ("td", "th"):
            row.append(text(t))
        else:
            blocks.append([stack[-1] if stack else "", text(t)])
print(json.dumps({"blocks": blocks, "tables": tables, "html": md.render(src)}))
"#;

fn markdown(args: &[&str]) -> (String, Value) {
    let md = run(args);
    let parsed = python_json(MARKDOWN_IT, &md);
    (md, parsed)
}

fn cells(table: &Value) -> Vec<Vec<String>> {
    table
        .as_array()
        .expect("table")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|c| c.as_str().expect("cell").to_string())
                .collect()
        })
        .collect()
}

#[test]
fn markdown_renders_as_commonmark_tables_with_the_reports_numbers() {
    if !python_has("markdown_it") {
        return;
    }
    let log = fx("maillog");
    let (_, parsed) = markdown(&["-f", "markdown", "--top", "5", &log]);
    let report = json(&["-f", "json", &log]);
    let tables = parsed["tables"].as_array().expect("tables");
    assert_eq!(
        tables.len(),
        7,
        "totals, domains, causes, deferrals, incidents, our server, unclassified: {parsed}"
    );

    let totals = cells(&tables[0]);
    assert_eq!(
        totals[0],
        [
            "sent",
            "bounced",
            "deferrals",
            "deferred rcpts",
            "expired",
            "bounce rate"
        ]
    );
    let t = &report["totals"];
    assert_eq!(
        [&totals[1][..3], &totals[1][4..5]].concat(),
        ["sent", "bounced", "deferred", "expired"].map(|k| n(&t[k]).to_string())
    );
    // Deferred recipients, not attempts: what the Deferrals sentence counts.
    let o = &report["deferred_outcomes"];
    let recipients: u64 = ["delivered", "bounced", "expired", "pending"]
        .iter()
        .map(|k| n(&o[k]))
        .sum();
    assert_eq!(totals[1][3], recipients.to_string());

    // The domain table: the JSON's top five, in order, with every count.
    let domains = cells(&tables[1]);
    assert_eq!(domains.len(), 6, "header and five rows");
    for (row, want) in domains[1..].iter().zip(report["by_domain"].as_array().unwrap()) {
        assert_eq!(row.len(), 7, "{row:?}");
        assert_eq!(row[0], want["domain"].as_str().unwrap());
        for (i, k) in ["sent", "bounced", "deferred", "expired"].iter().enumerate() {
            assert_eq!(row[i + 1], n(&want[k]).to_string(), "{k} of {row:?}");
        }
        assert_eq!(row[6], want["main_cause"].as_str().unwrap());
    }

    // The cause table and one "What to do" heading per cause shown.
    let causes = cells(&tables[2]);
    let want: Vec<&str> = report["by_cause"].as_array().unwrap()[..5]
        .iter()
        .map(|c| c["cause"].as_str().unwrap())
        .collect();
    let got: Vec<&str> = causes[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(got, want);
    let headings: Vec<String> = parsed["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b[0] == "h3")
        .map(|b| b[1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(headings.len(), 5, "{headings:?}");
    assert!(headings[0].starts_with(&format!("{}: ", want[0])), "{headings:?}");
    let html = parsed["html"].as_str().unwrap();
    assert!(html.contains("<h2>What to do</h2>"), "{html}");
}

#[test]
fn markdown_shows_hostile_log_text_verbatim_and_inert() {
    if !python_has("markdown_it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let (md, parsed) = markdown(&["-f", "markdown", &log]);
    let report = json(&["-f", "json", &log]);
    let html = parsed["html"].as_str().unwrap();
    // Nothing from the log became markup: no script, link, emphasis,
    // strikethrough or entity.
    for bad in [
        "<script",
        "<a ",
        "<img",
        "<em>",
        "<del>",
        "<s>",
        "evil.example\">",
    ] {
        assert!(!html.contains(bad), "{bad} in the rendered Markdown:\n{html}");
    }
    // The domain is one cell with its text whole: the `|` did not split it.
    let domains = cells(&parsed["tables"][1]);
    assert!(domains.iter().all(|r| r.len() == 7), "{domains:?}");
    assert!(
        domains.iter().any(|r| r[0] == HOSTILE_DOMAIN),
        "{domains:?}\n{md}"
    );
    // Each example reply reads exactly as logged.
    let blocks: Vec<String> = parsed["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[1].as_str().unwrap().to_string())
        .collect();
    for cause in report["by_cause"].as_array().unwrap() {
        let example = cause["example"].as_str().unwrap();
        let want = format!("Example: {example}");
        assert!(
            blocks.contains(&want),
            "{want:?} not among the rendered blocks:\n{blocks:#?}\n{md}"
        );
    }
    // The file name with `<b>` is text, not a tag.
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("mail&lt;b&gt;.log"), "{html}");
}

/// What the `vs previous` cell must say for a count that was `before`
/// (absent: `None`) and is `now`: only its kind, `new`, `+…`, `-…` or `=`.
fn change_kind(before: Option<u64>, now: u64) -> &'static str {
    match before.unwrap_or(0) {
        0 if now > 0 => "new",
        b if now > b => "+",
        b if now < b => "-",
        _ => "=",
    }
}

fn failures(v: &Value) -> u64 {
    ["bounced", "deferred", "expired"].iter().map(|k| n(&v[k])).sum()
}

#[test]
fn markdown_compare_marks_each_domain_and_cause_against_the_earlier_run() {
    if !python_has("markdown_it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("yesterday.json");
    std::fs::write(&previous, run(&["-f", "json", &fx("maillog")])).unwrap();
    let before = read_json(&previous);
    let prev = previous.to_string_lossy().into_owned();

    // Against itself: everything the same, nothing gone.
    let (md, parsed) = markdown(&["-f", "markdown", "--compare", &prev, &fx("maillog")]);
    for t in [&parsed["tables"][1], &parsed["tables"][2]] {
        let rows = cells(t);
        assert_eq!(rows[0].last().map(String::as_str), Some("vs previous"));
        assert!(rows[1..].iter().all(|r| r[7] == "="), "{rows:?}");
    }
    assert!(md.contains("- **Causes no longer seen:** none"), "{md}");

    // Another log against it: new, up and down, as the counts say.
    let dirty = fx("dirty.log");
    let now = json(&["-f", "json", &dirty]);
    let (_, parsed) = markdown(&["-f", "markdown", "--compare", &prev, &dirty]);
    let then: BTreeMap<&str, u64> = before["by_domain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["domain"].as_str().unwrap_or(""), failures(d)))
        .collect();
    let rows = cells(&parsed["tables"][1]);
    let mut kinds = BTreeSet::new();
    for (row, d) in rows[1..].iter().zip(now["by_domain"].as_array().unwrap()) {
        let name = d["domain"].as_str().unwrap_or("");
        let want = change_kind(then.get(name).copied(), failures(d));
        assert!(row[7].starts_with(want), "{name}: {} for {want}", row[7]);
        kinds.insert(want);
    }
    assert!(kinds.contains("new"), "the logs differ: {kinds:?}");
}

#[test]
fn html_compare_colours_changes_and_lists_what_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("yesterday.json");
    std::fs::write(&previous, run(&["-f", "json", &fx("dirty.log")])).unwrap();
    let html = run(&[
        "-f",
        "html",
        "--compare",
        &previous.to_string_lossy(),
        &fx("maillog"),
    ]);
    assert_safe_to_mail(&html);
    assert_eq!(html.matches("<th class=\"n\">vs previous</th>").count(), 2);
    assert!(html.contains("<td class=\"n up\">new</td>"));
    assert!(html.contains("<h2>Compared with <code>"));
    assert!(html.contains("<li><b>Domains now failure-free:</b> "));
}

// ---------------------------------------------------------------- HTML

/// The elements the report uses; anything else in the output (a `<script>`
/// from a log line above all) means some text was not escaped.
const HTML_TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "main", "footer", "h1", "h2", "h3", "p", "ul", "li",
    "b", "code", "div", "span", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "svg", "g",
    "rect", "line", "text", "tspan",
];

/// Every tag of `html` by name, with its attributes (`name="value"`).
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let tag = Regex::new(r"<(/?)([A-Za-z!][A-Za-z0-9]*)([^>]*)>").unwrap();
    let attr = Regex::new(r#"([A-Za-z-:]+)="([^"]*)""#).unwrap();
    // The style sheet is CSS, not markup.
    let body = match (html.find("<style>"), html.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_string(),
    };
    // Every `<` starts a tag: log text has them all as `&lt;`.
    assert_eq!(
        body.matches('<').count(),
        tag.find_iter(&body).count(),
        "a '<' that starts no tag"
    );
    tag.captures_iter(&body)
        .map(|c| {
            let attrs = attr
                .captures_iter(&c[3])
                .map(|a| (a[1].to_string(), a[2].to_string()))
                .collect();
            (c[2].to_ascii_lowercase(), attrs)
        })
        .collect()
}

fn assert_safe_to_mail(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "@import",
        "url(",
        "javascript:",
        "<link",
        "<img",
        "<iframe",
        "<object",
    ] {
        assert!(!lower.contains(bad), "{bad} in the HTML");
    }
    for (name, attrs) in tags(html) {
        if name.starts_with('!') || name.starts_with('/') {
            continue;
        }
        assert!(HTML_TAGS.contains(&name.as_str()), "unexpected element <{name}>");
        for (k, v) in attrs {
            assert!(
                !["src", "href", "xlink:href", "action", "srcset"].contains(&k.as_str()),
                "<{name} {k}=…> loads something"
            );
            assert!(!k.starts_with("on"), "event handler {k} on <{name}>");
            let v = v.to_ascii_lowercase();
            assert!(
                !v.contains("http:") && !v.contains("https:") && !v.contains("//"),
                "<{name} {k}=\"{v}\"> names a URL"
            );
        }
    }
}

#[test]
fn html_is_one_self_contained_page_safe_to_mail() {
    let html = run(&["-f", "html", &fx("maillog")]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<style>").count(), 1, "one inline style sheet");
    assert!(html.contains("<svg"), "an inline SVG chart");
    assert_safe_to_mail(&html);
    // The same tables as the text report, with the same numbers.
    let report = json(&["-f", "json", &fx("maillog")]);
    let top = &report["by_domain"][0];
    let row = format!(
        "<tr><td class=\"key\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        top["domain"].as_str().unwrap(),
        n(&top["sent"]),
        n(&top["bounced"]),
        n(&top["deferred"])
    );
    assert!(html.contains(&row), "{row} not in the domain table");
    for cause in report["by_cause"].as_array().unwrap() {
        assert!(
            html.contains(&format!("<tr><td>{}</td>", cause["cause"].as_str().unwrap())),
            "{} not in the cause table",
            cause["cause"]
        );
    }
    assert!(html.contains("<h2>What to do</h2>"));
}

#[test]
fn html_escapes_every_piece_of_log_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let html = run(&["-f", "html", &log]);
    assert_safe_to_mail(&html);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the reply is shown as text"
    );
    assert!(html.contains("mail&lt;b&gt;.log"), "the file name is escaped");
    assert!(
        html.contains("we&quot;ird\\dom|a*in.com"),
        "the domain is escaped, quotes included (it is in attributes too)"
    );
    assert!(
        html.contains("Mailbox ``full`` &lt;script&gt;alert(1)&lt;/script&gt; &#39;q&#39; &quot;dq&quot;")
    );
    assert!(html.contains("&amp;amp;"), "an entity in the log stays text");
}

/// `(bounced, deferred, expired)` of every hour with a failure, in order.
fn failure_hours(report: &Value) -> Vec<(String, [u64; 3])> {
    report["by_hour"]
        .as_array()
        .expect("by_hour")
        .iter()
        .map(|h| {
            (
                h["hour"].as_str().unwrap().to_string(),
                [n(&h["bounced"]), n(&h["deferred"]), n(&h["expired"])],
            )
        })
        .filter(|(_, c)| c.iter().sum::<u64>() > 0)
        .collect()
}

/// The time chart's columns: their tooltip counts and the statuses of
/// their rects.
fn chart_bars(html: &str) -> Vec<([u64; 3], Vec<String>)> {
    let bar = Regex::new(
        r#"<g class="bar"><title>[^<]*: ([\d,]+) bounced, ([\d,]+) deferred, ([\d,]+) expired</title>((?:<rect [^>]*/>)*)</g>"#,
    )
    .unwrap();
    let rect = Regex::new(r#"<rect class="(\w+)""#).unwrap();
    let num = |s: &str| s.replace(',', "").parse::<u64>().unwrap();
    bar.captures_iter(html)
        .map(|c| {
            (
                [num(&c[1]), num(&c[2]), num(&c[3])],
                rect.captures_iter(&c[4]).map(|r| r[1].to_string()).collect(),
            )
        })
        .collect()
}

fn assert_one_bar_per_failure_hour(html: &str, report: &Value) {
    let hours = failure_hours(report);
    let bars = chart_bars(html);
    assert_eq!(
        bars.len(),
        html.matches("<g class=\"bar\">").count(),
        "every column parsed"
    );
    assert_eq!(bars.len(), hours.len(), "one column per hour with failures");
    for ((hour, want), (got, rects)) in hours.iter().zip(&bars) {
        assert_eq!(got, want, "counts of {hour}");
        let statuses: Vec<&str> = ["bounced", "deferred", "expired"]
            .iter()
            .zip(want)
            .filter(|(_, &n)| n > 0)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(rects, &statuses, "one rect per non-zero status of {hour}");
    }
}

#[test]
fn html_by_hour_chart_has_one_column_per_hour_with_failures() {
    let log = fx("maillog");
    let html = run(&["-f", "html", "--by", "hour", &log]);
    let report = json(&["-f", "json", &log]);
    assert_one_bar_per_failure_hour(&html, &report);
    // The damaged multi-host log too.
    let dirty = fx("dirty.log");
    assert_one_bar_per_failure_hour(
        &run(&["-f", "html", "--by", "hour", &dirty]),
        &json(&["-f", "json", &dirty]),
    );
}

#[test]
fn html_chart_over_several_days_keeps_hourly_columns_and_labels_days() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--size", "1M", "--seed", "61", "--days", "3"],
    );
    let log = log.to_string_lossy().into_owned();
    let html = run(&["-f", "html", "--by", "hour", &log]);
    assert_safe_to_mail(&html);
    assert_one_bar_per_failure_hour(&html, &json(&["-f", "json", &log]));
    assert!(html.contains(">Nov 21</text>") && html.contains(">Nov 23</text>"));
    // The default page's cause and domain charts, on the same hourly columns.
    let html = run(&["-f", "html", &log]);
    assert_safe_to_mail(&html);
    assert_cause_chart_matches_the_events(&html, &log);
    assert_domain_charts_match_the_events(&html, &log);
    assert!(html.contains(">Nov 21</text>") && html.contains(">Nov 23</text>"));
}

/// The failure events of `log` (`--format jsonl`): (time, cause, domain;
/// "" for none).
fn failure_events(log: &str) -> Vec<(String, String, String)> {
    jsonl(&["-f", "jsonl", log])
        .into_iter()
        .filter(|e| ["bounced", "deferred", "expired"].contains(&e["status"].as_str().unwrap_or("")))
        .map(|e| {
            (
                e["time"].as_str().expect("time").to_string(),
                e["cause"].as_str().expect("a failure has a cause").to_string(),
                e["domain"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Counts `key` of each event in the column it falls in: the last of
/// `starts` (the columns' `data-start`, RFC 3339 in UTC, ascending) at or
/// before its time. Only columns with events are drawn, so that is its own.
fn per_column(starts: &[String], events: &[(String, String)]) -> Vec<BTreeMap<String, u64>> {
    let mut cols = vec![BTreeMap::new(); starts.len()];
    for (time, key) in events {
        let i = starts.partition_point(|s| s.as_str() <= time.as_str());
        assert!(i > 0, "an event at {time} before the first column {starts:?}");
        *cols[i - 1].entry(key.clone()).or_insert(0) += 1;
    }
    cols
}

/// A time chart column: its `data-start`, `data-total`, tooltip, and its
/// rects' `data-cause` and `data-n`.
struct CauseColumn {
    start: String,
    total: u64,
    title: String,
    rects: Vec<(String, u64)>,
}

fn cause_columns(html: &str) -> Vec<CauseColumn> {
    let bar = Regex::new(
        r#"<g class="bar" data-start="([^"]+)" data-total="(\d+)"><title>([^<]*)</title>((?:<rect [^>]*/>)*)</g>"#,
    )
    .unwrap();
    let rect = Regex::new(r#"<rect class="cause" data-cause="([^"]+)" data-n="(\d+)""#).unwrap();
    let cols: Vec<CauseColumn> = bar
        .captures_iter(html)
        .map(|c| CauseColumn {
            start: c[1].to_string(),
            total: c[2].parse().unwrap(),
            title: c[3].to_string(),
            rects: rect
                .captures_iter(&c[4])
                .map(|r| (r[1].to_string(), r[2].parse().unwrap()))
                .collect(),
        })
        .collect();
    assert_eq!(
        cols.len(),
        html.matches("<g class=\"bar\"").count(),
        "every column parsed"
    );
    cols
}

/// The legend right after `heading`: its labels and counts, in order.
fn legend_after(html: &str, heading: &str) -> Vec<(String, u64)> {
    let at = html.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let legend = &html[at..];
    let legend = &legend[..legend.find("</div>").unwrap()];
    Regex::new(r#"</span>([^<]+) <span class="count">([\d,]+)</span>"#)
        .unwrap()
        .captures_iter(legend)
        .map(|c| (c[1].to_string(), c[2].replace(',', "").parse().unwrap()))
        .collect()
}

/// The cause chart has one series per top cause (the JSON's first six by
/// events) and "other" for the rest, in the legend with their totals and in
/// every column with the events of that cause in that column.
fn assert_cause_chart_matches_the_events(html: &str, log: &str) {
    let report = json(&["-f", "json", log]);
    let causes: Vec<(String, u64)> = report["by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cause"].as_str().unwrap().to_string(), failures(c)))
        .collect();
    let top: Vec<&str> = causes.iter().take(6).map(|(c, _)| c.as_str()).collect();
    let mut want_legend: Vec<(String, u64)> = causes.iter().take(6).cloned().collect();
    let rest: u64 = causes.iter().skip(6).map(|(_, n)| n).sum();
    if rest > 0 {
        want_legend.push(("other".to_string(), rest));
    }
    assert_eq!(
        legend_after(html, "<h2>Failures over time, by cause</h2>"),
        want_legend
    );

    let cols = cause_columns(html);
    let starts: Vec<String> = cols.iter().map(|c| c.start.clone()).collect();
    let events: Vec<(String, String)> = failure_events(log)
        .into_iter()
        .map(|(time, cause, _)| {
            let series = if top.contains(&cause.as_str()) {
                cause
            } else {
                "other".to_string()
            };
            (time, series)
        })
        .collect();
    let want = per_column(&starts, &events);
    let order: Vec<&str> = top.iter().copied().chain(["other"]).collect();
    for (col, want) in cols.iter().zip(&want) {
        // Rects bottom to top in the legend's order, one per series with events.
        let expected: Vec<(String, u64)> = order
            .iter()
            .filter_map(|&k| want.get(k).map(|&n| (k.to_string(), n)))
            .collect();
        assert_eq!(col.rects, expected, "column {}", col.start);
        assert_eq!(col.total, want.values().sum::<u64>(), "column {}", col.start);
        assert!(
            col.title.contains(&format!(": {} failures (", col.total)),
            "{}",
            col.title
        );
    }
    assert_eq!(
        cols.iter().map(|c| c.total).sum::<u64>(),
        events.len() as u64,
        "every failure in a column"
    );
}

/// The domain charts: one band for each of the JSON's five domains with
/// most failures, each column with that domain's failures in it.
fn assert_domain_charts_match_the_events(html: &str, log: &str) {
    let report = json(&["-f", "json", log]);
    let top: Vec<String> = report["by_domain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| failures(d) > 0)
        .take(5)
        .map(|d| d["domain"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        html.contains(&format!("<h2>Failures over time, top {} domains</h2>", top.len())),
        "the domain charts' heading"
    );
    let bar =
        Regex::new(r#"<g class="dbar" data-domain="([^"]*)" data-start="([^"]+)" data-n="(\d+)">"#).unwrap();
    let mut got: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for c in bar.captures_iter(html) {
        got.entry(c[1].to_string())
            .or_default()
            .push((c[2].to_string(), c[3].parse().unwrap()));
    }
    let names: BTreeSet<&String> = got.keys().collect();
    assert_eq!(names, top.iter().collect(), "one band per top domain");
    let events = failure_events(log);
    for domain in &top {
        let bars = &got[domain];
        let starts: Vec<String> = bars.iter().map(|(s, _)| s.clone()).collect();
        let mine: Vec<(String, String)> = events
            .iter()
            .filter(|(_, _, d)| d == domain)
            .map(|(t, _, _)| (t.clone(), String::new()))
            .collect();
        let want: Vec<u64> = per_column(&starts, &mine)
            .iter()
            .map(|c| c.values().sum())
            .collect();
        let have: Vec<u64> = bars.iter().map(|(_, n)| *n).collect();
        assert_eq!(have, want, "{domain}");
        assert_eq!(have.iter().sum::<u64>(), mine.len() as u64, "{domain}");
    }
}

#[test]
fn html_time_chart_stacks_the_top_causes_with_their_hourly_counts() {
    for name in ["maillog", "dirty.log"] {
        let log = fx(name);
        let html = run(&["-f", "html", &log]);
        assert_safe_to_mail(&html);
        assert_cause_chart_matches_the_events(&html, &log);
    }
}

#[test]
fn html_shows_failures_over_time_for_the_top_five_domains() {
    for name in ["maillog", "dirty.log"] {
        let log = fx(name);
        assert_domain_charts_match_the_events(&run(&["-f", "html", &log]), &log);
    }
}

#[test]
fn html_time_charts_use_the_same_long_buckets_on_long_spans() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--size", "2M", "--seed", "63", "--days", "40"],
    );
    let log = log.to_string_lossy().into_owned();
    let html = run(&["-f", "html", &log]);
    assert_safe_to_mail(&html);
    // 40 days are 960 hours: columns of 6 hours, at most 240 of them.
    let cols = cause_columns(&html);
    assert!(cols.len() <= 240, "{} columns", cols.len());
    assert!(cols.iter().all(|c| c.start.ends_with(":00:00+00:00")));
    assert!(cols
        .iter()
        .all(|c| c.start[11..13].parse::<u32>().unwrap() % 6 == 0));
    assert!(html.contains("Failures per 6 hours by cause"));
    assert_cause_chart_matches_the_events(&html, &log);
    assert_domain_charts_match_the_events(&html, &log);
}

/// The deferral sentence the text report writes for `o`, but for the delay.
fn deferral_counts(o: &Value) -> [u64; 5] {
    let t = ["delivered", "bounced", "expired", "pending"].map(|k| n(&o[k]));
    [t.iter().sum(), t[0], t[1], t[2], t[3]]
}

fn numbers(text: &str) -> Vec<u64> {
    Regex::new(r"\d[\d,]*")
        .unwrap()
        .find_iter(text)
        .map(|m| m.as_str().replace(',', "").parse().unwrap())
        .collect()
}

/// The JSON's domains with deferrals, most first then by name, as
/// (domain, [deferred, delivered, bounced, expired, pending]).
fn deferral_domains(report: &Value) -> Vec<(String, [u64; 5])> {
    let mut v: Vec<(String, [u64; 5])> = report["by_domain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["deferred_outcomes"].is_null())
        .map(|d| {
            (
                d["domain"].as_str().unwrap_or("(none)").to_string(),
                deferral_counts(&d["deferred_outcomes"]),
            )
        })
        .collect();
    v.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then(a.0.cmp(&b.0)));
    v
}

#[test]
fn markdown_deferrals_and_unclassified_sections_match_the_json() {
    if !python_has("markdown_it") {
        return;
    }
    let log = fx("maillog");
    let (md, parsed) = markdown(&["-f", "markdown", "--top", "5", &log]);
    let report = json(&["-f", "json", &log]);

    // The sentence, after the causes and before "What to do".
    let blocks: Vec<(String, String)> = parsed["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b[0].as_str().unwrap().to_string(),
                b[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let h2: Vec<&str> = blocks
        .iter()
        .filter(|(t, _)| t == "h2")
        .map(|(_, x)| x.as_str())
        .collect();
    let at = |prefix: &str| {
        h2.iter()
            .position(|h| h.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} heading: {h2:?}"))
    };
    assert!(at("Causes") < at("Deferrals") && at("Deferrals") < at("What to do"));
    assert_eq!(at("Unclassified replies"), h2.len() - 1, "the last section");
    let all = deferral_counts(&report["deferred_outcomes"]);
    let sentence = blocks
        .iter()
        .find(|(_, x)| x.starts_with("Of "))
        .map(|(_, x)| x.clone())
        .expect("the deferral sentence");
    assert!(sentence.contains(" deferred recipients, "), "{sentence}");
    assert!(sentence.contains("(median delay "), "{sentence}");
    let got = numbers(&sentence);
    assert_eq!(
        [
            got[0],
            got[1],
            got[got.len() - 3],
            got[got.len() - 2],
            got[got.len() - 1]
        ],
        all,
        "{sentence}"
    );

    // The per-domain table: the JSON's domains with most deferrals.
    let table = cells(&parsed["tables"][3]);
    assert_eq!(
        table[0],
        [
            "domain",
            "deferred rcpts",
            "delivered",
            "median delay",
            "bounced",
            "expired",
            "pending"
        ]
    );
    let want = deferral_domains(&report);
    assert_eq!(table.len() - 1, want.len().min(5), "{md}");
    for (row, (domain, c)) in table[1..].iter().zip(&want) {
        assert_eq!(&row[0], domain);
        let got = [&row[1], &row[2], &row[4], &row[5], &row[6]].map(|x| x.parse::<u64>().unwrap());
        assert_eq!(got, *c, "{domain}");
    }

    // Our server: the groups of the JSON, the server's messages then its
    // refusals (at most 8 of each), with the same counts and texts.
    let table = cells(&parsed["tables"][5]);
    assert_eq!(table[0], ["lines", "kind", "service", "message (masked)", "last"]);
    let h = &report["server_health"];
    let groups: Vec<&serde_json::Value> = ["messages", "reject_reasons"]
        .iter()
        .flat_map(|k| h[*k].as_array().unwrap().iter().take(8))
        .collect();
    assert!(n(&h["rejects"]) > 0 && n(&h["warnings"]) > 0, "{h}");
    assert_eq!(table.len() - 1, groups.len());
    for (row, g) in table[1..].iter().zip(&groups) {
        assert_eq!(row[0], n(&g["count"]).to_string());
        assert_eq!(row[1], g["kind"].as_str().unwrap());
        assert_eq!(row[3], g["text"].as_str().unwrap());
    }

    // Unclassified: pattern and example as in the JSON, verbatim.
    let table = cells(&parsed["tables"][6]);
    assert_eq!(table[0], ["events", "reply (normalised)", "example"]);
    let groups = report["unclassified"].as_array().unwrap();
    assert!(!groups.is_empty());
    assert_eq!(table.len() - 1, groups.len().min(5));
    for (row, g) in table[1..].iter().zip(groups) {
        assert_eq!(row[0], n(&g["events"]).to_string());
        assert_eq!(row[1], g["pattern"].as_str().unwrap());
        assert_eq!(row[2], g["example"].as_str().unwrap());
    }
    let html = parsed["html"].as_str().unwrap();
    assert!(html.contains("<code>host &lt;host&gt; said: "), "{html}");
}

#[test]
fn markdown_by_unclassified_sender_and_host_render_their_tables() {
    if !python_has("markdown_it") {
        return;
    }
    let log = fx("maillog");
    let report = json(&["-f", "json", &log]);

    let (md, parsed) = markdown(&["-f", "markdown", "--by", "unclassified", "--top", "1", &log]);
    let tables = parsed["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2, "totals and the groups: {md}");
    let rows = cells(&tables[1]);
    assert_eq!(rows.len(), 2, "--top 1: {md}");
    assert_eq!(rows[1][1], report["unclassified"][0]["pattern"].as_str().unwrap());

    // A multi-host log for the senders and hosts.
    let log = fx("dirty.log");
    let report = json(&["-f", "json", &log]);

    for (by, key, what) in [("sender", "by_sender", "sender"), ("host", "by_host", "host")] {
        let (md, parsed) = markdown(&["-f", "markdown", "--by", by, &log]);
        let rows = cells(&parsed["tables"][1]);
        // No main cause column: these are counted by status only.
        assert_eq!(
            rows[0],
            [what, "sent", "bounced", "deferrals", "expired", "bounce rate"],
            "{md}"
        );
        let want = report[key].as_array().unwrap();
        assert_eq!(rows.len() - 1, want.len().min(20));
        for (row, w) in rows[1..].iter().zip(want) {
            assert_eq!(row[0], w[what].as_str().unwrap_or("(none)"), "{md}");
            assert_eq!(row[3], n(&w["deferred"]).to_string());
        }
    }
}

#[test]
fn html_deferrals_section_matches_the_json() {
    let log = fx("maillog");
    let html = run(&["-f", "html", &log]);
    let report = json(&["-f", "json", &log]);
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(at("<h2>Causes</h2>") < at("<h2>Deferrals ") && at("<h2>Deferrals ") < at("<h2>What to do</h2>"));
    let section = &html[at("<h2>Deferrals ")..at("<h2>What to do</h2>")];
    let lead = Regex::new(r#"<p class="lead">([^\n]*)</p>"#).unwrap();
    let sentence = Regex::new("<[^>]+>")
        .unwrap()
        .replace_all(&lead.captures(section).expect("the sentence")[1], "")
        .into_owned();
    let got = numbers(&sentence);
    let all = deferral_counts(&report["deferred_outcomes"]);
    assert_eq!(
        [
            got[0],
            got[1],
            got[got.len() - 3],
            got[got.len() - 2],
            got[got.len() - 1]
        ],
        all,
        "{sentence}"
    );
    let row = Regex::new(r#"<tr><td class="key">([^<]*)</td>((?:<td class="n">[^<]*</td>)+)</tr>"#).unwrap();
    let num = Regex::new(r#"<td class="n">([^<]*)</td>"#).unwrap();
    let rows: Vec<(String, Vec<String>)> = row
        .captures_iter(section)
        .map(|c| {
            (
                c[1].to_string(),
                num.captures_iter(&c[2]).map(|x| x[1].to_string()).collect(),
            )
        })
        .collect();
    let want = deferral_domains(&report);
    assert_eq!(rows.len(), want.len().min(10));
    for ((domain, cells), (want_domain, c)) in rows.iter().zip(&want) {
        assert_eq!(domain, want_domain);
        let got = [&cells[0], &cells[1], &cells[3], &cells[4], &cells[5]].map(|x| x.parse::<u64>().unwrap());
        assert_eq!(got, *c, "{domain}");
    }
    // One bar per domain shown and one for all, each the whole of its row.
    assert!(section.contains("<title>all domains: "));
}

#[test]
fn html_ends_with_the_unclassified_replies_and_by_unclassified_lists_top_n() {
    let log = fx("maillog");
    let report = json(&["-f", "json", &log]);
    let groups = report["unclassified"].as_array().unwrap();
    assert!(groups.len() >= 2, "{groups:?}");
    let row =
        Regex::new(r#"<tr><td class="n">([\d,]+)</td><td class="text"><code>([^<]*)</code></td>"#).unwrap();
    let html = run(&["-f", "html", &log]);
    assert_safe_to_mail(&html);
    let at = html.find("<h2>Unclassified replies ").expect("the section");
    assert!(at > html.find("<h2>What to do</h2>").unwrap(), "the last section");
    let rows: Vec<(u64, String)> = row
        .captures_iter(&html[at..])
        .map(|c| (c[1].replace(',', "").parse().unwrap(), c[2].to_string()))
        .collect();
    assert_eq!(rows.len(), groups.len().min(5));
    for ((events, pattern), g) in rows.iter().zip(groups) {
        assert_eq!(*events, n(&g["events"]));
        // The pattern's `<host>`-like masks are escaped, so they show.
        let want = g["pattern"]
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        assert_eq!(*pattern, want);
    }

    let html = run(&["-f", "html", "--by", "unclassified", "--top", "1", &log]);
    assert_safe_to_mail(&html);
    assert_eq!(row.captures_iter(&html).count(), 1, "--top 1");
    assert!(!html.contains("<h2>Recipient domains"));

    // A log where every reply is known says so.
    let dir = tempfile::tempdir().unwrap();
    let html = run(&["-f", "html", "--by", "unclassified", &hostile_log(dir.path())]);
    assert!(html.contains("None: a rule classified every reply."), "{html}");
}

#[test]
fn html_by_sender_and_host_have_no_empty_cause_column() {
    let log = fx("dirty.log");
    for (by, what) in [
        ("sender", "sender"),
        ("host", "host"),
        ("sender-domain", "sender domain"),
    ] {
        let html = run(&["-f", "html", "--by", by, &log]);
        assert_safe_to_mail(&html);
        assert!(
            html.contains(&format!(
                "<thead><tr><th>{what}</th><th class=\"n\">sent</th><th class=\"n\">bounced</th>\
                 <th class=\"n\">deferrals</th><th class=\"n\">expired</th><th class=\"n\">bounce rate</th></tr>"
            )),
            "--by {by}"
        );
        assert!(html.contains("<div class=\"hbars\""), "--by {by} has its bars");
    }
}

/// Reply templates for gen-maillog whose texts no rule knows (cause
/// `undefined`) and hold HTML and Markdown: a bounce with tags, an
/// ampersand and quotes, a deferral with a `|`, backticks, emphasis and a
/// link.
const HOSTILE_REPLIES: &str = "cause\tstatus\tdsn\ttemplate\tprovider
undefined\tbounced\t5.0.0\thost {mx}[{ip}] said: 550 <b>zorg</b> & \"flux\" {n}\t
undefined\tdeferred\t4.0.0\thost {mx}[{ip}] said: 450 <i>glarp</i> |pipe| `tick` *star* [l](x) {n}\t
";

#[test]
fn unclassified_replies_with_markup_show_literally_in_markdown_and_html() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replies = dir.path().join("replies.tsv");
    std::fs::write(&replies, HOSTILE_REPLIES).unwrap();
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--lines",
            "3000",
            "--seed",
            "64",
            "--replies",
            &replies.to_string_lossy(),
        ],
    );
    let log = log.to_string_lossy().into_owned();
    let report = json(&["-f", "json", &log]);
    let groups = report["unclassified"].as_array().unwrap();
    let pattern = |needle: &str| -> (String, String) {
        let g = groups
            .iter()
            .find(|g| g["pattern"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no group with {needle}: {groups:?}"));
        (
            g["pattern"].as_str().unwrap().to_string(),
            g["example"].as_str().unwrap().to_string(),
        )
    };
    let (zorg, zorg_example) = pattern("zorg");
    let (glarp, glarp_example) = pattern("glarp");
    assert!(zorg.contains("<b>zorg</b> & \"flux\" <n>"), "{zorg}");

    // HTML: every piece escaped, the masks and tags shown as text.
    for args in [vec!["-f", "html"], vec!["-f", "html", "--by", "unclassified"]] {
        let html = run(&[&args[..], &[log.as_str()]].concat());
        assert_safe_to_mail(&html);
        for bad in ["<b>zorg", "<i>glarp", "\"flux\""] {
            assert!(!html.contains(bad), "{bad} unescaped in {args:?}");
        }
        assert!(html.contains("said: 550 &lt;b&gt;zorg&lt;/b&gt; &amp; &quot;flux&quot; &lt;n&gt;"));
        assert!(html.contains("said: 450 &lt;i&gt;glarp&lt;/i&gt; |pipe| `tick` *star* [l](x) &lt;n&gt;"));
    }

    // Markdown: the same texts read back verbatim from the rendered table.
    if !python_has("markdown_it") {
        return;
    }
    for args in [
        vec!["-f", "markdown"],
        vec!["-f", "markdown", "--by", "unclassified"],
    ] {
        let (md, parsed) = markdown(&[&args[..], &[log.as_str()]].concat());
        let tables = parsed["tables"].as_array().unwrap();
        let rows = cells(tables.last().unwrap());
        assert!(rows.iter().all(|r| r.len() == 3), "{rows:?}\n{md}");
        for (p, e) in [(&zorg, &zorg_example), (&glarp, &glarp_example)] {
            assert!(
                rows.iter().any(|r| &r[1] == p && &r[2] == e),
                "{p:?} / {e:?} not in {rows:?}\n{md}"
            );
        }
        let html = parsed["html"].as_str().unwrap();
        for bad in ["<b>", "<i>", "<em>", "<a ", "<code>tick"] {
            assert!(!html.contains(bad), "{bad} in the rendered Markdown:\n{html}");
        }
    }
}

// ---------------------------------------------------------------- Prometheus

/// Parses the exposition text with prometheus_client's parser and prints
/// the families (name, type, help) and samples (name, labels, value).
const PROM_PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [[s.name, s.labels, s.value] for s in f.samples]})
print(json.dumps(out))
"#;

struct Metrics {
    families: Vec<Value>,
}

impl Metrics {
    fn parse(text: &str) -> Metrics {
        let families = python_json(PROM_PARSE, text)
            .as_array()
            .expect("families")
            .clone();
        Metrics { families }
    }

    fn family(&self, name: &str) -> &Value {
        self.families
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no family {name}"))
    }

    /// Samples of `sample` as (labels, value).
    fn samples(&self, family: &str, sample: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        self.family(family)["samples"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s[0] == sample)
            .map(|s| {
                let labels = s[1]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                (labels, s[2].as_f64().unwrap())
            })
            .collect()
    }

    fn value(&self, family: &str, sample: &str, labels: &[(&str, &str)]) -> f64 {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let hits: Vec<f64> = self
            .samples(family, sample)
            .into_iter()
            .filter(|(l, _)| *l == want)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(hits.len(), 1, "{sample}{labels:?}: {hits:?}");
        hits[0]
    }
}

#[test]
fn prometheus_output_parses_and_matches_the_json_report() {
    if !python_has("prometheus_client") {
        return;
    }
    let log = fx("maillog");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as f64;
    let text = run(&["-f", "prometheus", &log]);
    let after = before + 120.0;
    let report = json(&["-f", "json", &log]);
    let m = Metrics::parse(&text);

    // Five families, each with HELP and TYPE.
    for (name, kind) in [
        ("bounce_report_events", "counter"),
        ("bounce_report_domain_events", "counter"),
        ("bounce_report_filter_handoffs", "counter"),
        ("bounce_report_lines", "counter"),
        ("bounce_report_last_run_timestamp_seconds", "gauge"),
    ] {
        let f = m.family(name);
        assert_eq!(f["type"], kind, "{name}");
        assert!(!f["help"].as_str().unwrap().is_empty(), "{name} has HELP");
        let exposed = if kind == "counter" {
            format!("{name}_total")
        } else {
            name.to_string()
        };
        assert!(text.contains(&format!("# HELP {exposed} ")), "{exposed}");
        assert!(text.contains(&format!("# TYPE {exposed} {kind}\n")), "{exposed}");
    }

    // Events: sent under cause="none", every failure under its cause with
    // the SPEC's class, and the totals add up.
    let t = &report["totals"];
    let ev = "bounce_report_events";
    let evt = "bounce_report_events_total";
    assert_eq!(
        m.value(
            ev,
            evt,
            &[("status", "sent"), ("cause", "none"), ("class", "none")]
        ),
        n(&t["sent"]) as f64
    );
    for status in ["bounced", "deferred", "expired"] {
        let sum: f64 = m
            .samples(ev, evt)
            .iter()
            .filter(|(l, _)| l["status"] == status)
            .map(|(_, v)| v)
            .sum();
        assert_eq!(sum, n(&t[status]) as f64, "{status}");
    }
    for c in report["by_cause"].as_array().unwrap() {
        let cause = c["cause"].as_str().unwrap();
        let hard = [
            "user_unknown",
            "host_unknown",
            "not_accept",
            "has_moved",
            "suspend",
        ]
        .contains(&cause);
        for (status, class) in [
            ("bounced", if hard { "hard" } else { "soft" }),
            ("deferred", "transient"),
            ("expired", if hard { "hard" } else { "soft" }),
        ] {
            assert_eq!(
                m.value(ev, evt, &[("status", status), ("cause", cause), ("class", class)]),
                n(&c[status]) as f64,
                "{status} {cause}"
            );
        }
    }

    assert_eq!(
        m.value(
            "bounce_report_filter_handoffs",
            "bounce_report_filter_handoffs_total",
            &[]
        ),
        n(&t["handed_to_filter"]) as f64
    );

    // Lines add up to the lines read.
    let lines = "bounce_report_lines";
    for kind in ["parsed", "other", "malformed"] {
        assert_eq!(
            m.value(lines, "bounce_report_lines_total", &[("kind", kind)]),
            n(&t[kind]) as f64,
            "{kind}"
        );
    }

    // Top 20 domains (the default --top) and "other" hold every event.
    let dom = m.samples("bounce_report_domain_events", "bounce_report_domain_events_total");
    let names: BTreeSet<&str> = dom.iter().map(|(l, _)| l["domain"].as_str()).collect();
    assert_eq!(names.len(), 21);
    assert!(names.contains("other"));
    assert!(names.contains(report["by_domain"][0]["domain"].as_str().unwrap()));
    for status in ["sent", "bounced", "deferred", "expired"] {
        let sum: f64 = dom
            .iter()
            .filter(|(l, _)| l["status"] == status)
            .map(|(_, v)| v)
            .sum();
        assert_eq!(sum, n(&t[status]) as f64, "domains' {status}");
    }

    let run_at = m.value(
        "bounce_report_last_run_timestamp_seconds",
        "bounce_report_last_run_timestamp_seconds",
        &[],
    );
    assert!((before..after).contains(&run_at), "{run_at}");
}

#[test]
fn prometheus_domain_label_stays_bounded_on_a_long_tail_log() {
    if !python_has("prometheus_client") {
        return;
    }
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(&shared, dir.path(), "maillog", &["--size", "5M", "--seed", "62"]);
    let log = log.to_string_lossy().into_owned();
    let domains = truth_domains(&truth).len();
    assert!(domains > 500, "a long tail of domains: {domains}");
    for top in ["0", "10", "50"] {
        let m = Metrics::parse(&run(&["-f", "prometheus", "--top", top, &log]));
        let dom = m.samples("bounce_report_domain_events", "bounce_report_domain_events_total");
        let names: BTreeSet<&str> = dom.iter().map(|(l, _)| l["domain"].as_str()).collect();
        let limit: usize = top.parse::<usize>().unwrap() + 1;
        assert_eq!(names.len(), limit, "--top {top}: {names:?}");
        assert!(names.contains("other"));
        // No recipient or sender ever becomes a label.
        for (labels, _) in &dom {
            assert!(labels.values().all(|v| !v.contains('@')), "{labels:?}");
        }
        for status in ["sent", "bounced", "deferred", "expired"] {
            let sum: f64 = dom
                .iter()
                .filter(|(l, _)| l["status"] == status)
                .map(|(_, v)| v)
                .sum();
            assert_eq!(sum, n(&truth["totals"][status]) as f64, "--top {top}: {status}");
        }
    }
}

#[test]
fn prometheus_label_values_are_escaped() {
    if !python_has("prometheus_client") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let text = run(&["-f", "prometheus", &log]);
    assert!(
        text.contains(r#"domain="we\"ird\\dom|a*in.com",status="bounced"} 1"#),
        "{text}"
    );
    let m = Metrics::parse(&text);
    assert_eq!(
        m.value(
            "bounce_report_domain_events",
            "bounce_report_domain_events_total",
            &[("domain", HOSTILE_DOMAIN), ("status", "bounced")]
        ),
        1.0
    );
}

#[test]
fn prometheus_output_is_the_same_for_any_thread_count_but_for_the_time() {
    let log = fx("dirty.log");
    let strip = |t: String| -> String {
        t.lines()
            .filter(|l| !l.starts_with("bounce_report_last_run_timestamp_seconds "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let one = strip(run(&["-f", "prometheus", "--threads", "1", &log]));
    let four = strip(run(&[
        "-f",
        "prometheus",
        "--threads",
        "4",
        "--chunk-size",
        "4096",
        &log,
    ]));
    assert_eq!(one, four);
    // Every event series is there, zeros included: 33 causes × 3 failure
    // statuses, and sent.
    assert_eq!(
        one.lines()
            .filter(|l| l.starts_with("bounce_report_events_total{"))
            .count(),
        1 + 33 * 3
    );
}

/// Issue 20: recipients handed to a content filter are a total of their
/// own, and every format that shows totals shows it, with the same number;
/// without a filter the people-facing formats leave the column out.
#[test]
fn every_format_with_totals_shows_the_handoffs_to_a_content_filter() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generate(
        &shared,
        dir.path(),
        "maillog",
        &["--lines", "3000", "--seed", "5", "--content-filter", "0.5"],
    );
    let log = log.to_string_lossy().into_owned();
    let handoffs = n(&truth["content_filter_handoffs"]);
    assert!(
        (100..1000).contains(&handoffs),
        "{handoffs}: no thousands separator"
    );
    let report = json(&["-f", "json", &log]);
    assert_eq!(n(&report["totals"]["handed_to_filter"]), handoffs);
    let table = run(&[&log]);
    let heading = table
        .lines()
        .find(|l| l.contains("handed to filter"))
        .expect(&table);
    let row = table.lines().skip_while(|l| *l != heading).nth(2).unwrap();
    let at = heading.find("handed to filter").unwrap() + "handed to filter".len();
    assert_eq!(
        row[..at].split_whitespace().last(),
        Some(handoffs.to_string().as_str()),
        "{table}"
    );
    let markdown = run(&["-f", "markdown", &log]);
    assert!(markdown.contains("| handed to filter |"), "{markdown}");
    assert!(markdown.contains(&format!("| {handoffs} |")), "{markdown}");
    let html = run(&["-f", "html", &log]);
    assert!(
        html.contains(&format!(
            "<div class=\"card filter\"><span class=\"n\">{handoffs}</span><span class=\"l\">handed to filter</span></div>"
        )),
        "no hand-off card"
    );
    let prom = run(&["-f", "prometheus", &log]);
    assert!(
        prom.contains(&format!("\nbounce_report_filter_handoffs_total {handoffs}\n")),
        "{prom}"
    );
    // A log without a filter: zero in JSON and Prometheus, no column.
    let plain = fx("maillog");
    assert_eq!(n(&json(&["-f", "json", &plain])["totals"]["handed_to_filter"]), 0);
    assert!(!run(&[&plain]).contains("handed to filter"));
    assert!(!run(&["-f", "markdown", &plain]).contains("handed to filter"));
    assert!(run(&["-f", "prometheus", &plain]).contains("\nbounce_report_filter_handoffs_total 0\n"));
}

/// Issue 20: with `--compare`, the totals say how each figure and the
/// bounce rate moved, in every people's format, from the two JSON reports.
#[test]
fn compare_gives_the_change_of_the_totals_and_the_bounce_rate() {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("yesterday.json");
    std::fs::write(&previous, run(&["-f", "json", &fx("dirty.log")])).unwrap();
    let prev = previous.to_string_lossy().into_owned();
    let before = read_json(&previous);
    let now = json(&["-f", "json", &fx("maillog")]);
    let change = |k: &str| {
        let (b, n) = (n(&before["totals"][k]), n(&now["totals"][k]));
        match (b, n) {
            (0, 0) => "=".to_string(),
            (0, _) => "new".to_string(),
            (b, n) if n > b => format!("+{} (+{:.0}%)", n - b, (n - b) as f64 * 100.0 / b as f64),
            (b, n) if n < b => format!("-{} (-{:.0}%)", b - n, (b - n) as f64 * 100.0 / b as f64),
            _ => "=".to_string(),
        }
    };
    let rate = |v: &Value| v["totals"]["bounce_rate"].as_f64().unwrap();
    let points = (rate(&now) - rate(&before)) * 100.0;
    let points = format!("{points:+.1} pt");
    let want: Vec<String> = ["sent", "bounced", "deferred", "expired"]
        .iter()
        .map(|k| change(k))
        .chain([points])
        .collect();
    if python_has("markdown_it") {
        let (_, parsed) = markdown(&["-f", "markdown", "--compare", &prev, &fx("maillog")]);
        let totals = cells(&parsed["tables"][0]);
        assert_eq!(totals[2][0], "vs previous", "{totals:?}");
        // No change for deferred recipients: the earlier JSON's totals do
        // not have them.
        let mut with_gap = want.clone();
        with_gap.insert(3, String::new());
        assert_eq!(totals[2][1..], with_gap[..], "{totals:?}");
    }
    let table = run(&["--compare", &prev, &fx("maillog")]);
    let row = table
        .lines()
        .find(|l| l.starts_with("vs previous"))
        .unwrap_or_else(|| panic!("no change row in\n{table}"));
    let mut at = 0;
    for w in &want {
        at += row[at..]
            .find(w.as_str())
            .unwrap_or_else(|| panic!("{w} not in {row}"))
            + w.len();
    }
    let html = run(&["-f", "html", "--compare", &prev, &fx("maillog")]);
    for w in &want {
        assert!(html.contains(&format!("vs previous: {w}</span>")), "{w}");
    }
}

/// Issue 20: an `.xz` input was labelled "(gzip)" in Markdown and HTML; an
/// input's compression is named by its format in every people's format.
#[test]
fn every_format_names_an_inputs_compression() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("maillog");
    std::fs::copy(fixture("maillog"), &plain).unwrap();
    let xz = dir.path().join("maillog.1.xz");
    let status = StdCommand::new("sh")
        .arg("-c")
        .arg(format!("xz -c {} > {}", plain.display(), xz.display()))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no xz");
        return;
    }
    let (a, b) = (xz.to_string_lossy(), plain.to_string_lossy());
    for format in ["table", "markdown", "html"] {
        let out = run(&["-f", format, &a, &b]);
        assert!(out.contains(" (xz): "), "{format}:\n{out}");
        assert!(!out.contains("(gzip)"), "{format}:\n{out}");
    }
}

/// Issue 20: `--lang zh` translates every section's title and the header's
/// labels in the table, Markdown and HTML, not only the table's headings.
#[test]
fn lang_zh_leaves_no_english_heading_in_any_format() {
    let english = [
        "Totals",
        "Recipient domains",
        "Causes",
        "Deferrals",
        "Incidents",
        "What to do",
        "Our server",
        "Unclassified replies",
        "Time span",
        "Lines",
        "most failures first",
        "still pending",
        "events,",
        "ongoing",
    ];
    let chinese = [
        "总计",
        "收件域名",
        "原因",
        "延迟投递的结果",
        "故障事件",
        "处理建议",
        "时间范围",
        "日志行",
    ];
    for format in ["table", "markdown", "html"] {
        let out = run(&["-f", format, "--lang", "zh", &fx("maillog")]);
        // Headings are lines or elements of their own; a reply quoted in a
        // code span may hold English words.
        let headings: Vec<&str> = out
            .lines()
            .filter(|l| {
                !l.contains('`') && !l.contains("<code") && !l.starts_with('|') && !l.starts_with("  e.g.")
            })
            .collect();
        for word in english {
            let hit = headings
                .iter()
                .find(|l| l.contains(word) && !l.contains("Postfix "));
            assert!(hit.is_none(), "{format}: {word:?} in {hit:?}");
        }
        for word in chinese {
            // HTML shows the totals as cards, without a heading.
            if !(format == "html" && word == "总计") {
                assert!(out.contains(word), "{format}: no {word}");
            }
        }
    }
}
