//! The text report for people (the default): what was read, totals, then
//! the breakdowns, and what to do about each cause. Tables through
//! comfy-table: box lines and the terminal's width on a terminal, plain
//! ASCII in 80 columns when piped or mailed from cron.

use std::io::{self, IsTerminal, Write};

use chrono::{DateTime, Local};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::escape::visible;
use super::DEFERRAL_COLUMNS;
use super::{
    cause_class, cause_rows, deferral_domains, deferral_sentence, domain_rows, duration, host_rows,
    relay_rows, sasl_rows, sender_domain_rows, sender_rows, truncate, unclassified_rows, Figure, Report, Row,
};
use crate::cause::Status;
use crate::classify::Lang;
use crate::cli::By;
use crate::compare::{self, Change};
use crate::input::Compression;
use crate::parse::Timestamp;
use crate::window::Zone;
use std::borrow::Cow;

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let tty = io::stdout().is_terminal();
    let s = &report.analysis.summary;
    header(report, out)?;

    writeln!(out, "\n{}", tr(report.lang, "Totals"))?;
    let mut t = table(tty);
    let totals = super::totals(s);
    let labels: Vec<&str> = totals.iter().map(|c| c.label).collect();
    set_header(report.lang, &mut t, &labels, |_| true);
    t.add_row(
        totals
            .iter()
            .map(|c| match c.figure {
                Figure::Count(n) => num(n),
                Figure::Rate(r) => right(percent(r)),
            })
            .collect::<Vec<_>>(),
    );
    write_table(out, t)?;

    match report.by {
        None => {
            named_table(report, out, tty, "Recipient domains", "domain", domain_rows(s))?;
            causes_table(report, out, tty)?;
            deferrals(report, out, tty)?;
            incidents(report, out, tty, 5)?;
            gone(report, out)?;
            advice(report, out)?;
            health(report, out, tty)?;
            unclassified(report, out, tty, 5)?;
        }
        Some(By::Domain) => named_table(report, out, tty, "Recipient domains", "domain", domain_rows(s))?,
        Some(By::Relay) => named_table(report, out, tty, "Relays", "relay", relay_rows(s))?,
        Some(By::SenderDomain) => named_table(
            report,
            out,
            tty,
            "Sender domains",
            "sender domain",
            sender_domain_rows(s),
        )?,
        Some(By::Cause) => {
            causes_table(report, out, tty)?;
            advice(report, out)?;
        }
        Some(By::Hour) => hours_table(report, out, tty)?,
        Some(By::Sender) => {
            named_table(report, out, tty, "Senders", "sender", sender_rows(s))?;
            if !s.by_sasl_user.is_empty() {
                named_table(
                    report,
                    out,
                    tty,
                    "Authenticated submitters",
                    "sasl_username",
                    sasl_rows(s),
                )?;
            }
        }
        Some(By::Host) => named_table(report, out, tty, "Hosts", "host", host_rows(s))?,
        Some(By::Unclassified) => unclassified(report, out, tty, report.top)?,
        Some(By::Incident) => incidents(report, out, tty, report.top)?,
    }
    Ok(())
}

fn header(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let a = report.analysis;
    let s = &a.summary;
    let lines = s.lines();
    let names: Vec<Cow<'_, str>> = a.sources.iter().map(|s| visible(&s.name)).collect();
    writeln!(
        out,
        "bounce-report: {}",
        if names.is_empty() {
            "(no input)".to_string()
        } else {
            names.join(", ")
        }
    )?;
    for (i, src) in a.sources.iter().enumerate() {
        let c = s.files.get(i).copied().unwrap_or_default();
        let kind = src.compression.map_or(String::new(), |c| match c {
            Compression::None => String::new(),
            other => format!(" ({})", other.as_str()),
        });
        if let Some(why) = src.skipped {
            let read = if c.lines > 0 {
                format!("{} lines, then ", thousands(c.lines))
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {}{kind}: {read}skipped: {}",
                visible(&src.name),
                why.as_str()
            )?;
            continue;
        }
        match &src.error {
            Some(e) => writeln!(
                out,
                "  {}{kind}: {} lines, then: {}",
                visible(&src.name),
                thousands(c.lines),
                visible(e)
            )?,
            None if a.sources.len() > 1 => writeln!(
                out,
                "  {}{kind}: {} lines",
                visible(&src.name),
                thousands(c.lines)
            )?,
            None => {}
        }
    }
    for m in report.missing {
        writeln!(out, "  not read: {}", visible(&m.to_string()))?;
    }
    if !report.window.is_open() {
        let end = |t: Option<Timestamp>| t.map_or("(open)".to_string(), |t| shown(t, report.zone));
        writeln!(
            out,
            "Window: {} to {}",
            end(report.window.since),
            end(report.window.until)
        )?;
    }
    match s.span.0 {
        Some((first, last)) => writeln!(
            out,
            "Time span: {} to {}",
            shown(first, report.zone),
            shown(last, report.zone)
        )?,
        None => writeln!(out, "Time span: no deliveries found")?,
    }
    for (condition, value) in report.alerts {
        writeln!(out, "ALERT: {condition} (value {})", condition.show(*value))?;
    }
    for w in report.warnings {
        write_wrapped(out, "WARNING: ", &super::escape::visible(w))?;
    }
    writeln!(
        out,
        "Lines: {} read: {} Postfix delivery/queue, {} other, {} malformed{}",
        thousands(lines.lines),
        thousands(lines.parsed),
        thousands(lines.other),
        thousands(lines.malformed),
        overlong_note(&lines)
    )?;
    if lines.probes > 0 {
        writeln!(
            out,
            "       ({} address-verification probes, not counted as mail)",
            thousands(lines.probes)
        )?;
    }
    for w in super::resolver_warnings(report) {
        write_wrapped(out, "WARNING: ", &w)?;
    }
    Ok(())
}

fn named_table(
    report: &Report<'_>,
    out: &mut dyn Write,
    tty: bool,
    title: &str,
    what: &str,
    rows: Vec<Row<'_>>,
) -> io::Result<()> {
    let shown = rows.len().min(report.top);
    let total = thousands(rows.len() as u64);
    match report.lang {
        Lang::Zh => writeln!(
            out,
            "\n{}（共 {total} 个，显示前 {shown} 个，按失败数排序）",
            tr(report.lang, title)
        )?,
        Lang::En => writeln!(out, "\n{title} (top {shown} of {total}, most failures first)")?,
    }
    // Against an earlier run, the change in failures takes the place of the
    // bounce rate, so the table still fits in 80 columns.
    let previous = report.previous.filter(|_| what == "domain");
    let rate_or_change = if previous.is_some() {
        "vs prev"
    } else {
        "bounce rate"
    };
    let mut t = table(tty);
    set_header(
        report.lang,
        &mut t,
        &[
            what,
            "sent",
            "bounced",
            "deferred",
            "expired",
            rate_or_change,
            "main cause",
        ],
        |i| (1..=5).contains(&i),
    );
    for r in rows.iter().take(report.top) {
        let c = r.counts;
        let fifth = match previous {
            Some(p) => {
                let before = p.domain(r.key);
                Change::between(before, c.failures()).show(before)
            }
            None => percent(c.bounce_rate()),
        };
        t.add_row(vec![
            Cell::new(visible(r.key.unwrap_or("(none)"))),
            num(c.get(Status::Sent)),
            num(c.get(Status::Bounced)),
            num(c.get(Status::Deferred)),
            num(c.get(Status::Expired)),
            right(fifth),
            Cell::new(r.main_cause.map_or("", |c| c.as_str())),
        ]);
    }
    write_table(out, t)
}

fn causes_table(report: &Report<'_>, out: &mut dyn Write, tty: bool) -> io::Result<()> {
    let rows = cause_rows(&report.analysis.summary);
    writeln!(out, "\n{}", tr(report.lang, "Causes"))?;
    if rows.is_empty() {
        return writeln!(out, "  no bounces, deferrals or expiries");
    }
    let mut t = table(tty);
    let last = if report.previous.is_some() {
        "vs prev"
    } else {
        "share"
    };
    set_header(
        report.lang,
        &mut t,
        &[
            "cause",
            "class",
            "bounced",
            "deferred",
            "expired",
            "recipients",
            last,
        ],
        |i| i >= 2,
    );
    for r in rows.iter().take(report.top) {
        let last = match report.previous {
            Some(p) => {
                let before = p.cause(r.cause);
                Change::between(before, r.counts.failures()).show(before)
            }
            None => percent(Some(r.share)),
        };
        t.add_row(vec![
            Cell::new(r.cause.as_str()),
            Cell::new(cause_class(r.cause, &r.counts).as_str()),
            num(r.counts.get(Status::Bounced)),
            num(r.counts.get(Status::Deferred)),
            num(r.counts.get(Status::Expired)),
            num(r.recipients as u64),
            right(last),
        ]);
    }
    write_table(out, t)
}

/// Runs of failures to one domain with one cause: when, how many, and
/// whether they are over.
fn incidents(report: &Report<'_>, out: &mut dyn Write, tty: bool, top: usize) -> io::Result<()> {
    let all = &report.analysis.incidents;
    if all.is_empty() {
        return Ok(());
    }
    let ongoing = all.ongoing();
    writeln!(
        out,
        "\nIncidents (top {} of {}, {} ongoing; most recipients first)",
        all.len().min(top),
        thousands(all.len() as u64),
        thousands(ongoing as u64)
    )?;
    let mut t = table(tty);
    set_header(
        report.lang,
        &mut t,
        &["domain", "cause", "from", "to", "tries", "rcpts", "state"],
        |i| (4..=5).contains(&i),
    );
    // `11-21 09:12`, and only the time when the day is the start's.
    let minute = |unix: i64| shown(Timestamp { unix, offset: 0 }, report.zone)[5..16].to_string();
    let later = |start: i64, t: i64| {
        let (a, b) = (minute(start), minute(t));
        if a[..5] == b[..5] {
            b[6..].to_string()
        } else {
            b
        }
    };
    for i in all.iter().take(top) {
        let state = match (i.ongoing, i.recovered) {
            (true, _) => "ongoing".to_string(),
            (false, Some(r)) => format!("ok {}", later(i.start, r)),
            (false, None) => "other cause".to_string(),
        };
        t.add_row(vec![
            Cell::new(visible(&i.domain)),
            Cell::new(i.cause.as_str()),
            Cell::new(minute(i.start)),
            Cell::new(later(i.start, i.end)),
            num(i.attempts),
            num(i.recipients),
            Cell::new(state),
        ]);
    }
    write_table(out, t)
}

/// The commonest replies no rule classified, grouped by their normalised
/// text: what the catalogue should learn next.
fn unclassified(report: &Report<'_>, out: &mut dyn Write, tty: bool, top: usize) -> io::Result<()> {
    let rows = unclassified_rows(&report.analysis.summary);
    if rows.is_empty() {
        return Ok(());
    }
    let total: u64 = rows.iter().map(|r| r.events).sum();
    writeln!(
        out,
        "\nUnclassified replies ({} events in {} groups; add rules with --patterns DIR)",
        thousands(total),
        thousands(rows.len() as u64)
    )?;
    let mut t = table(tty);
    set_header(report.lang, &mut t, &["events", "reply (normalised)"], |i| i == 0);
    for r in rows.iter().take(top) {
        t.add_row(vec![num(r.events), Cell::new(truncate(&visible(r.pattern), 160))]);
    }
    write_table(out, t)
}

/// The server's own trouble: Postfix's warnings and worse, and what our
/// smtpd refused.
fn health(report: &Report<'_>, out: &mut dyn Write, tty: bool) -> io::Result<()> {
    let h = &report.analysis.summary.health;
    let Some(sentence) = super::health_sentence(h, report.lang) else {
        return Ok(());
    };
    writeln!(out, "\n{}", tr(report.lang, "Our server"))?;
    if let Some(alarm) = super::health_alarm(h, report.lang) {
        writeln!(out, "WARNING: {alarm}")?;
    }
    writeln!(out, "{sentence}")?;
    let mut t = table(tty);
    set_header(
        report.lang,
        &mut t,
        &["lines", "kind", "service", "message (masked)", "last"],
        |i| i == 0,
    );
    for g in super::health_rows(h, super::HEALTH_SHOWN) {
        t.add_row(vec![
            num(g.count),
            Cell::new(g.kind.as_str()),
            Cell::new(visible(&g.service)),
            Cell::new(truncate(&visible(&g.text), 160)),
            Cell::new(shown(
                Timestamp {
                    unix: g.last,
                    offset: 0,
                },
                report.zone,
            )),
        ]);
    }
    write_table(out, t)
}

/// What became of deferred mail: delivered later, bounced, expired, or
/// still waiting, overall and for the domains with most deferrals.
fn deferrals(report: &Report<'_>, out: &mut dyn Write, tty: bool) -> io::Result<()> {
    let all = &report.analysis.summary.deferred_outcomes;
    if all.total() == 0 {
        return Ok(());
    }
    writeln!(out, "\n{}", tr(report.lang, "Deferrals"))?;
    write_wrapped(out, "  ", &deferral_sentence(all, |n| n))?;
    let mut t = table(tty);
    set_header(report.lang, &mut t, &DEFERRAL_COLUMNS, |i| i >= 1);
    for (domain, o) in deferral_domains(report) {
        t.add_row(vec![
            Cell::new(visible(if domain.is_empty() { "(none)" } else { domain })),
            num(o.total()),
            num(o.delivered),
            right(o.median_delay().map_or("-".into(), duration)),
            num(o.bounced),
            num(o.expired),
            num(o.pending),
        ]);
    }
    write_table(out, t)
}

/// What failed in the earlier run and no longer does.
fn gone(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let Some(previous) = report.previous else {
        return Ok(());
    };
    writeln!(
        out,
        "\n{} {}",
        tr(report.lang, "Compared with"),
        visible(&previous.name)
    )?;
    let (domains, causes) = compare::gone(previous, &report.analysis.summary);
    let list = |v: &[String]| match v.len() {
        0 => "none".to_string(),
        n if n > report.top => format!(
            "{}, and {} more",
            visible(&v[..report.top].join(", ")),
            n - report.top
        ),
        _ => visible(&v.join(", ")).into_owned(),
    };
    write_wrapped(out, "  causes no longer seen:  ", &list(&causes))?;
    write_wrapped(out, "  domains now failing-free: ", &list(&domains))?;
    Ok(())
}

/// For each cause: what it means, one real reply, and what to do.
fn advice(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rows = cause_rows(&report.analysis.summary);
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{}", tr(report.lang, "What to do"))?;
    write_wrapped(out, "", super::hard_note(report.lang))?;
    for r in rows.iter().take(report.top) {
        let info = report.catalogue.cause_info(r.cause);
        writeln!(
            out,
            "\n{}: {} events, {} recipients",
            r.cause,
            thousands(r.counts.failures()),
            thousands(r.recipients as u64),
        )?;
        write_wrapped(out, tr(report.lang, "  what: "), info.description(report.lang))?;
        if let Some(example) = r.example {
            write_wrapped(
                out,
                tr(report.lang, "  e.g.  "),
                &truncate(&visible(example), 230),
            )?;
        }
        let advice = super::advice(report.catalogue, r, report.lang);
        if !advice.is_empty() {
            write_wrapped(out, tr(report.lang, "  do:   "), advice)?;
        }
    }
    Ok(())
}

/// Writes `text` in lines of at most 80 terminal columns (Chinese
/// characters take two), the first after `label`, the rest indented as far.
/// A word wider than a line (a URL, a Chinese sentence) is cut.
fn write_wrapped(out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    let indent = label.width();
    let width = 80 - indent;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let sep = usize::from(!line.is_empty());
        if line.width() + sep + word.width() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for ch in word.chars() {
            if line.width() + ch.width().unwrap_or(0) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(ch);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    for (i, l) in lines.iter().enumerate() {
        let lead = if i == 0 {
            label.to_string()
        } else {
            " ".repeat(indent)
        };
        writeln!(out, "{lead}{l}")?;
    }
    Ok(())
}

fn hours_table(report: &Report<'_>, out: &mut dyn Write, tty: bool) -> io::Result<()> {
    let hours = &report.analysis.summary.by_hour;
    writeln!(out, "\n{}", tr(report.lang, "Failures per hour"))?;
    let max = hours.values().map(|c| c.failures()).max().unwrap_or(0).max(1);
    let mut t = table(tty);
    set_header(
        report.lang,
        &mut t,
        &["hour", "bounced", "deferred", "expired", ""],
        |i| (1..=3).contains(&i),
    );
    for (&h, c) in hours {
        let bar = "#".repeat(((c.failures() * 30).div_ceil(max)) as usize);
        t.add_row(vec![
            Cell::new(shown(
                Timestamp {
                    unix: h * 3600,
                    offset: 0,
                },
                report.zone,
            )),
            num(c.get(Status::Bounced)),
            num(c.get(Status::Deferred)),
            num(c.get(Status::Expired)),
            Cell::new(bar),
        ]);
    }
    write_table(out, t)
}

/// Columns two blanks apart with a rule under the header: compact enough
/// for 80 columns, and it reads the same in a terminal and in a mail.
const PLAIN: &str = "     -             ";
const BOXED: &str = "     ─             ";

fn table(tty: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(if tty { BOXED } else { PLAIN });
    if !tty {
        t.set_width(80);
    }
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// Sets the header; every column but the first `text_columns` (and the
/// named trailing text ones) holds numbers and is right-aligned.
fn set_header(lang: Lang, t: &mut Table, names: &[&str], numeric: impl Fn(usize) -> bool) {
    t.set_header(names.iter().enumerate().map(|(i, n)| {
        let c = Cell::new(tr(lang, n));
        if numeric(i) {
            c.set_alignment(CellAlignment::Right)
        } else {
            c
        }
    }));
}

/// Writes a table with rows starting at the margin and no trailing blanks
/// (they would only add noise to a mailed report).
fn write_table(out: &mut dyn Write, mut t: Table) -> io::Result<()> {
    for column in t.column_iter_mut() {
        column.set_padding((0, 1));
    }
    for line in t.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `2026-11-21 03:14:07 +01:00` in the report's zone.
pub(crate) fn shown(t: Timestamp, zone: Zone) -> String {
    let utc = DateTime::from_timestamp(t.unix, 0).unwrap_or_default();
    match zone {
        Zone::Utc => utc.format("%Y-%m-%d %H:%M:%S +00:00").to_string(),
        Zone::Local => utc
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string(),
    }
}

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

fn num(n: u64) -> Cell {
    right(thousands(n))
}

/// `1234567` → `1,234,567`.
/// What the Lines line adds for lines over 1 MiB, when there were any
/// (table, Markdown and HTML alike).
pub fn overlong_note(lines: &crate::aggregate::LineCounts) -> String {
    if lines.overlong == 0 {
        return String::new();
    }
    format!(
        ", {} overlong (over 1 MiB: cut, not parsed)",
        thousands(lines.overlong)
    )
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn percent(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0))
}

/// The report's words in the chosen language: section titles, column
/// headers and labels (descriptions and advice come from the catalogue).
fn tr(lang: Lang, en: &str) -> &str {
    if lang == Lang::En {
        return en;
    }
    match en {
        "Totals" => "总计",
        "Causes" => "原因",
        "Deferrals" => "延迟投递的结果",
        "What to do" => "处理建议",
        "Failures per hour" => "每小时失败数",
        "Compared with" => "对比",
        "Recipient domains" => "收件域名",
        "Relays" => "中继",
        "Sender domains" => "发件域名",
        "Senders" => "发件人",
        "Authenticated submitters" => "认证提交用户",
        "Hosts" => "主机",
        "  what: " => "  含义：",
        "  e.g.  " => "  示例：",
        "  do:   " => "  建议：",
        "sent" => "已投递",
        "bounced" => "退信",
        "deferred" => "延迟",
        "expired" => "过期",
        "bounce rate" => "退信率",
        "handed to filter" => "转交过滤器",
        "main cause" => "主要原因",
        "domain" => "域名",
        "cause" => "原因",
        "class" => "类别",
        "recipients" => "收件人数",
        "share" => "占比",
        "vs prev" => "较上次",
        "relay" => "中继",
        "sender" => "发件人",
        "sender domain" => "发件域名",
        "host" => "主机",
        "delivered" => "后来投递",
        "median delay" => "中位延迟",
        "pending" => "仍在队列",
        "from" => "开始",
        "to" => "结束",
        "tries" => "次数",
        "rcpts" => "收件人",
        "state" => "状态",
        "events" => "事件数",
        "reply (normalised)" => "回复（已归一化）",
        "hour" => "小时",
        "Our server" => "本服务器状况",
        "lines" => "行数",
        "kind" => "级别",
        "service" => "服务",
        "message (masked)" => "消息（已脱敏）",
        "last" => "最近一次",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
