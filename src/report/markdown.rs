//! `--format markdown`: the text report as GitHub-flavoured Markdown, for
//! tickets and chat: the same header, totals, breakdowns (top N), what
//! became of deferred mail, "What to do" and the unclassified replies, with
//! tables as GFM pipe tables.
//!
//! Log text (file names, domains, relays, replies) is untrusted: it is made
//! inert with [`escape`] (backslash escapes, CommonMark "Backslash escapes")
//! or shown in a code span of its own with [`code_span`], so a reply holding
//! `|`, backticks, `*`, `<script>` or `[x](y)` renders as the text it is and
//! cannot break a table or add a link. The numbers are the other formats':
//! everything comes from the row views in `report/mod.rs`.
//!
//! The time and percent formatting here is shared with `report/html.rs`, so
//! the two reports read the same.

use std::io::{self, Write};

use chrono::{DateTime, Local};

use super::escape::visible;
use super::{
    breakdown_columns, cause_class, cause_rows, deferral_domains, deferral_sentence, domain_rows, duration,
    has_main_cause, host_rows, relay_rows, sender_domain_rows, sender_rows, truncate, unclassified_rows,
    Report, Row, DEFERRAL_COLUMNS,
};
use crate::cause::Status;
use crate::cli::By;
use crate::compare::{self, Change};
use crate::report::table::thousands;
use crate::window::Zone;

/// Characters of an example reply shown under "What to do": more than the
/// text report's 230, since nothing here has to fit 80 columns, but a cap
/// still, as some replies run to kilobytes.
pub(super) const EXAMPLE_CHARS: usize = 400;

/// Unclassified reply groups at the end of the default report (the text
/// report's number); `--by unclassified` shows `--top` of them.
pub(super) const UNCLASSIFIED_SHOWN: usize = 5;

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.analysis.summary;
    header(report, out)?;
    if !report.alerts.is_empty() {
        writeln!(out, "\n## Alerts\n")?;
        for (condition, value) in report.alerts {
            writeln!(
                out,
                "- **Crossed:** {} (value {})",
                code_span(&condition.to_string()),
                escape(&condition.show(*value))
            )?;
        }
    }

    if !report.warnings.is_empty() {
        writeln!(out)?;
        for w in report.warnings {
            writeln!(out, "> **WARNING:** {}", escape(w))?;
        }
    }

    let resolver = super::resolver_warnings(report);
    if !resolver.is_empty() {
        writeln!(out, "\n## Our DNS resolver\n")?;
        for w in &resolver {
            writeln!(out, "- {}", escape(w))?;
        }
    }

    writeln!(out, "\n## Totals\n")?;
    let totals = super::totals(s);
    let labels: Vec<&str> = totals.iter().map(|c| c.label).collect();
    table_header(out, &labels, |_| true)?;
    let cells: Vec<String> = totals.iter().map(|c| c.figure.text()).collect();
    table_row(out, &cells)?;

    match report.by {
        None => {
            named_table(report, out, "Recipient domains", "domain", domain_rows(s))?;
            causes_table(report, out)?;
            deferrals(report, out)?;
            gone(report, out)?;
            advice(report, out)?;
            health(report, out)?;
            unclassified(report, out, UNCLASSIFIED_SHOWN, false)?;
        }
        Some(By::Domain) => named_table(report, out, "Recipient domains", "domain", domain_rows(s))?,
        Some(By::Relay) => named_table(report, out, "Relays", "relay", relay_rows(s))?,
        Some(By::SenderDomain) => named_table(
            report,
            out,
            "Sender domains",
            "sender domain",
            sender_domain_rows(s),
        )?,
        Some(By::Cause) => {
            causes_table(report, out)?;
            advice(report, out)?;
        }
        Some(By::Hour) => hours_table(report, out)?,
        Some(By::Sender) => named_table(report, out, "Senders", "sender", sender_rows(s))?,
        Some(By::Host) => named_table(report, out, "Hosts", "host", host_rows(s))?,
        Some(By::Incident) => {}
        Some(By::Unclassified) => unclassified(report, out, report.top, true)?,
    }
    Ok(())
}

/// Title, inputs, time span and line accounting, as a list.
fn header(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let a = report.analysis;
    let s = &a.summary;
    let lines = s.lines();
    writeln!(out, "# Bounce report\n")?;
    let names: Vec<String> = a.sources.iter().map(|src| code_span(&src.name)).collect();
    if names.is_empty() {
        writeln!(out, "- **Input:** (no input)")?;
    } else {
        writeln!(out, "- **Input:** {}", names.join(", "))?;
    }
    // Per-file lines when there are several files, and any read error.
    for (i, src) in a.sources.iter().enumerate() {
        let c = s.files.get(i).copied().unwrap_or_default();
        let kind = src
            .compression
            .map_or("", |c| if c.as_str() == "plain" { "" } else { " (gzip)" });
        match &src.error {
            Some(e) => writeln!(
                out,
                "  - {}{kind}: {} lines, then: {}",
                code_span(&src.name),
                thousands(c.lines),
                escape(e)
            )?,
            None if a.sources.len() > 1 => writeln!(
                out,
                "  - {}{kind}: {} lines",
                code_span(&src.name),
                thousands(c.lines)
            )?,
            None => {}
        }
    }
    for m in report.missing {
        writeln!(out, "- **Not read:** {}", escape(&m.to_string()))?;
    }
    if let Some(w) = window_text(report) {
        writeln!(out, "- **Window:** {w}")?;
    }
    match s.span.0 {
        Some((first, last)) => writeln!(
            out,
            "- **Time span:** {} to {}",
            local_time(first.unix, report.zone),
            local_time(last.unix, report.zone)
        )?,
        None => writeln!(out, "- **Time span:** no deliveries found")?,
    }
    write!(
        out,
        "- **Lines:** {} read: {} Postfix delivery/queue, {} other, {} malformed{}",
        thousands(lines.lines),
        thousands(lines.parsed),
        thousands(lines.other),
        thousands(lines.malformed),
        super::table::overlong_note(&lines)
    )?;
    if lines.probes > 0 {
        write!(
            out,
            " ({} address-verification probes, not counted as mail)",
            thousands(lines.probes)
        )?;
    }
    writeln!(out)
}

fn named_table(
    report: &Report<'_>,
    out: &mut dyn Write,
    title: &str,
    what: &str,
    rows: Vec<Row<'_>>,
) -> io::Result<()> {
    let shown = rows.len().min(report.top);
    writeln!(
        out,
        "\n## {title} (top {shown} of {}, most failures first)\n",
        thousands(rows.len() as u64)
    )?;
    // Against an earlier run (--compare, which keeps domains), a last
    // column says how each domain's failures moved.
    let previous = report.previous.filter(|_| what == "domain");
    let with_cause = has_main_cause(what);
    let names = breakdown_columns(what, previous.is_some());
    let last = names.len() - 1;
    table_header(out, &names, |i| {
        (1..=5).contains(&i) || (previous.is_some() && i == last)
    })?;
    for r in rows.iter().take(report.top) {
        let c = r.counts;
        let mut cells = vec![
            r.key.map_or_else(|| "(none)".to_string(), escape),
            thousands(c.get(Status::Sent)),
            thousands(c.get(Status::Bounced)),
            thousands(c.get(Status::Deferred)),
            thousands(c.get(Status::Expired)),
            percent(c.bounce_rate()),
        ];
        if with_cause {
            cells.push(r.main_cause.map_or(String::new(), |c| code_span(c.as_str())));
        }
        if let Some(p) = previous {
            cells.push(change(p.domain(r.key), c.failures()).1);
        }
        table_row(out, &cells)?;
    }
    Ok(())
}

fn causes_table(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rows = cause_rows(&report.analysis.summary);
    writeln!(out, "\n## Causes\n")?;
    if rows.is_empty() {
        return writeln!(out, "No bounces, deferrals or expiries.");
    }
    let mut names = vec![
        "cause",
        "class",
        "bounced",
        "deferred",
        "expired",
        "recipients",
        "share",
    ];
    if report.previous.is_some() {
        names.push("vs previous");
    }
    table_header(out, &names, |i| i >= 2)?;
    for r in rows.iter().take(report.top) {
        let mut cells = vec![
            code_span(r.cause.as_str()),
            cause_class(r.cause, &r.counts).as_str().to_string(),
            thousands(r.counts.get(Status::Bounced)),
            thousands(r.counts.get(Status::Deferred)),
            thousands(r.counts.get(Status::Expired)),
            thousands(r.recipients as u64),
            percent(Some(r.share)),
        ];
        if let Some(p) = report.previous {
            cells.push(change(p.cause(r.cause), r.counts.failures()).1);
        }
        table_row(out, &cells)?;
    }
    Ok(())
}

/// What became of deferred mail (issue 7): the sentence for all deferred
/// recipients, then the domains with most of them, as the text report.
fn deferrals(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.analysis.summary;
    if s.deferred_outcomes.total() == 0 {
        return Ok(());
    }
    writeln!(out, "\n## Deferrals\n")?;
    writeln!(out, "{}\n", deferral_sentence(&s.deferred_outcomes, |n| n))?;
    table_header(out, &DEFERRAL_COLUMNS, |i| i >= 1)?;
    for (domain, o) in deferral_domains(report) {
        table_row(
            out,
            &[
                if domain.is_empty() {
                    "(none)".to_string()
                } else {
                    escape(domain)
                },
                thousands(o.total()),
                thousands(o.delivered),
                o.median_delay().map_or("-".to_string(), duration),
                thousands(o.bounced),
                thousands(o.expired),
                thousands(o.pending),
            ],
        )?;
    }
    Ok(())
}

/// The commonest replies no rule classified, grouped by their normalised
/// text (issue 7): what the catalogue should learn next. The default report
/// ends with a few of them when there are any; `--by unclassified`
/// (`always`) is only this, and says so when there are none.
/// The server's own trouble (see `table::health`).
fn health(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let h = &report.analysis.summary.health;
    let Some(sentence) = super::health_sentence(h, report.lang) else {
        return Ok(());
    };
    writeln!(out, "\n## Our server\n")?;
    if let Some(alarm) = super::health_alarm(h, report.lang) {
        writeln!(out, "**WARNING:** {}\n", escape(&alarm))?;
    }
    writeln!(out, "{}\n", escape(&sentence))?;
    table_header(
        out,
        &["lines", "kind", "service", "message (masked)", "last"],
        |i| i == 0,
    )?;
    for g in super::health_rows(h, super::HEALTH_SHOWN) {
        table_row(
            out,
            &[
                thousands(g.count),
                g.kind.as_str().to_string(),
                escape(&g.service),
                code_span(&truncate(&g.text, EXAMPLE_CHARS)),
                local_time(g.last, report.zone),
            ],
        )?;
    }
    Ok(())
}

fn unclassified(report: &Report<'_>, out: &mut dyn Write, top: usize, always: bool) -> io::Result<()> {
    let rows = unclassified_rows(&report.analysis.summary);
    if rows.is_empty() {
        if always {
            writeln!(out, "\n## Unclassified replies\n")?;
            writeln!(out, "None: a rule classified every reply.")?;
        }
        return Ok(());
    }
    let total: u64 = rows.iter().map(|r| r.events).sum();
    writeln!(
        out,
        "\n## Unclassified replies (top {} of {} {}, {} events)\n",
        rows.len().min(top),
        thousands(rows.len() as u64),
        if rows.len() == 1 { "group" } else { "groups" },
        thousands(total)
    )?;
    writeln!(
        out,
        "Replies no rule knows, with addresses, hosts and numbers masked; add rules with `--patterns DIR`.\n"
    )?;
    table_header(out, &["events", "reply (normalised)", "example"], |i| i == 0)?;
    for r in rows.iter().take(top) {
        table_row(
            out,
            &[
                thousands(r.events),
                code_span(&truncate(r.pattern, EXAMPLE_CHARS)),
                r.example
                    .map_or(String::new(), |e| code_span(&truncate(e, EXAMPLE_CHARS))),
            ],
        )?;
    }
    Ok(())
}

/// With --compare: the earlier run, and what failed then and no longer does.
fn gone(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let Some(previous) = report.previous else {
        return Ok(());
    };
    writeln!(out, "\n## Compared with {}\n", code_span(&previous.name))?;
    writeln!(out, "- **Failures then:** {}", thousands(previous.failures))?;
    let (domains, causes) = compare::gone(previous, &report.analysis.summary);
    let list = |v: &[String], span: fn(&str) -> String| -> String {
        let (shown, more) = cut(v, report.top);
        let mut text = shown.iter().map(|x| span(x)).collect::<Vec<_>>().join(", ");
        if shown.is_empty() {
            text.push_str("none");
        }
        if more > 0 {
            text.push_str(&format!(", and {} more", thousands(more as u64)));
        }
        text
    };
    writeln!(out, "- **Causes no longer seen:** {}", list(&causes, code_span))?;
    writeln!(out, "- **Domains now failure-free:** {}", list(&domains, escape))
}

/// For each cause: what it means, one real reply, and what to do.
fn advice(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rows = cause_rows(&report.analysis.summary);
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## What to do\n")?;
    writeln!(out, "{}", escape(super::hard_note(report.lang)))?;
    for r in rows.iter().take(report.top) {
        let info = report.catalogue.cause_info(r.cause);
        writeln!(
            out,
            "\n### {}: {} events, {} recipients\n",
            code_span(r.cause.as_str()),
            thousands(r.counts.failures()),
            thousands(r.recipients as u64),
        )?;
        writeln!(out, "- **What:** {}", escape(info.description(report.lang)))?;
        if let Some(example) = r.example {
            writeln!(
                out,
                "- **Example:** {}",
                code_span(&truncate(example, EXAMPLE_CHARS))
            )?;
        }
        let advice = super::advice(report.catalogue, r, report.lang);
        if !advice.is_empty() {
            writeln!(out, "- **Do:** {}", escape(advice))?;
        }
    }
    Ok(())
}

fn hours_table(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\n## Failures per hour\n")?;
    table_header(out, &["hour", "bounced", "deferred", "expired"], |i| i >= 1)?;
    for (&h, c) in &report.analysis.summary.by_hour {
        table_row(
            out,
            &[
                local_time(h * 3600, report.zone),
                thousands(c.get(Status::Bounced)),
                thousands(c.get(Status::Deferred)),
                thousands(c.get(Status::Expired)),
            ],
        )?;
    }
    Ok(())
}

/// A pipe table's header and delimiter rows; `numeric` columns align right.
fn table_header(out: &mut dyn Write, names: &[&str], numeric: impl Fn(usize) -> bool) -> io::Result<()> {
    writeln!(out, "| {} |", names.join(" | "))?;
    let rule: Vec<&str> = (0..names.len())
        .map(|i| if numeric(i) { "---:" } else { "---" })
        .collect();
    writeln!(out, "| {} |", rule.join(" | "))
}

/// One table row of cells that are already Markdown (escaped text, code
/// spans or numbers).
fn table_row(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    writeln!(out, "| {} |", cells.join(" | "))
}

/// Text as inert Markdown inline content, on one line.
///
/// Control and BiDi characters (newlines included, which would end a table
/// row) are shown as escapes first ([`visible`]); then every character that can start inline markup or a
/// table cell is backslash-escaped (CommonMark allows that before any ASCII
/// punctuation). `!` and `#` are left alone: an image needs the `[` that is
/// escaped, and a heading needs a `#` at the start of a line, where log text
/// never stands here. `_` between two letters or digits is left alone: it cannot
/// open or close emphasis there ("left-flanking" rules), and `rate_delay`
/// reads better than `rate\_delay` in a chat window.
pub fn escape(text: &str) -> String {
    let text = visible(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, &c) in chars.iter().enumerate() {
        let special = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => true,
            '_' => {
                let before = i.checked_sub(1).and_then(|j| chars.get(j));
                let after = chars.get(i + 1);
                !(before.is_some_and(|b| b.is_alphanumeric()) && after.is_some_and(|a| a.is_alphanumeric()))
            }
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text as a code span, shown verbatim in monospace. The fence is one
/// backtick longer than the longest run of backticks inside, and the content
/// is padded with a space when it starts or ends with a backtick or a space
/// (CommonMark strips one such space from each side, "Code spans").
fn fenced(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Log text shown verbatim in a code span, on one line; text holding `|` is
/// escaped as plain text instead, because a `|` inside a code span still
/// splits a GFM table cell and an escaped `\|` would show its backslash in a
/// code span outside a table. An empty text is an empty string.
pub fn code_span(text: &str) -> String {
    let text = visible(text);
    if text.trim().is_empty() {
        return escape(&text);
    }
    if text.contains('|') {
        return escape(&text);
    }
    fenced(&text)
}

/// How a count moved since the earlier run (`--compare`), and that in
/// words: `new`, `+4 (+40%)`, `-3 (-30%)`, `=`.
pub(super) fn change(before: Option<u64>, now: u64) -> (Change, String) {
    let c = Change::between(before, now);
    (c, c.show(before))
}

/// The first `top` of a list, and how many more there are.
pub(super) fn cut(v: &[String], top: usize) -> (&[String], usize) {
    let shown = &v[..v.len().min(top)];
    (shown, v.len() - shown.len())
}

/// A time as the text report shows it: in the report's zone (local, `TZ`
/// respected, or UTC with `--utc`), with its offset.
pub(super) fn local_time(unix: i64, zone: Zone) -> String {
    let utc = DateTime::from_timestamp(unix, 0).unwrap_or_default();
    let format = "%Y-%m-%d %H:%M:%S %:z";
    match zone {
        Zone::Utc => utc.format(format).to_string(),
        Zone::Local => utc.with_timezone(&Local).format(format).to_string(),
    }
}

/// The `--since`/`--until` window in words, `None` when it is open.
pub(super) fn window_text(report: &Report<'_>) -> Option<String> {
    let w = report.window;
    let show = |t: Option<crate::parse::Timestamp>| t.map(|t| local_time(t.unix, report.zone));
    match (show(w.since), show(w.until)) {
        (None, None) => None,
        (Some(a), Some(b)) => Some(format!("from {a} to {b} (end excluded)")),
        (Some(a), None) => Some(format!("from {a}")),
        (None, Some(b)) => Some(format!("before {b}")),
    }
}

/// A share as `4.7%`, or `-` when there is nothing to divide by.
pub(super) fn percent(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_inline_markup_and_table_pipes() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("*bold* `code`"), "\\*bold\\* \\`code\\`");
        assert_eq!(escape("[x](http://e.com)"), "\\[x\\](http://e.com)");
        assert_eq!(escape("<script>&amp;"), "\\<script\\>\\&amp;");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(escape("line\nbreak"), r"line\\x0abreak");
    }

    #[test]
    fn escape_keeps_underscores_inside_words() {
        assert_eq!(escape("destination_rate_delay"), "destination_rate_delay");
        assert_eq!(escape("_emph_"), "\\_emph\\_");
        assert_eq!(escape("a _b"), "a \\_b");
    }

    #[test]
    fn code_span_fence_outgrows_the_backticks_inside() {
        assert_eq!(code_span("plain"), "`plain`");
        assert_eq!(code_span("a ` b"), "``a ` b``");
        assert_eq!(code_span("``x``"), "``` ``x`` ```");
        assert_eq!(code_span(" lead"), "`  lead `");
    }

    #[test]
    fn code_span_with_a_pipe_falls_back_to_escaped_text() {
        assert_eq!(code_span("a|b"), "a\\|b");
        assert_eq!(code_span(""), "");
    }

    #[test]
    fn percent_has_one_decimal() {
        assert_eq!(percent(Some(0.0472)), "4.7%");
        assert_eq!(percent(None), "-");
    }
}
