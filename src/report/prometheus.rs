//! `--format prometheus`: metrics in the Prometheus text exposition format,
//! for node_exporter's textfile collector (write them with `-o FILE.prom`,
//! which renames a finished file into place, see `report/output.rs`).
//!
//! The metrics, each with `# HELP` and `# TYPE`:
//!
//! - `bounce_report_events_total{status,cause,class}`: events of the logs
//!   read. Every (status, cause) pair is written, zeros included, so an
//!   alert on a cause finds its series before the first failure; the class
//!   follows from the two (SPEC "Expired events and classes"). `sent` has no
//!   cause or class: it is written as `cause="none",class="none"`, a value
//!   no failure can have, so `sum by (cause)` never mixes sent mail into a
//!   real cause and `{status="sent"}` selects it without a regex.
//! - `bounce_report_domain_events_total{domain,status}`: the top `--top`
//!   recipient domains (most failures first, as in the text report) and the
//!   rest summed under `domain="other"`, so the label has at most N+1 values
//!   however many domains a log holds. Events without a recipient domain are
//!   `domain="(none)"`. Recipients and senders are never labels: they are
//!   unbounded and personal.
//! - `bounce_report_filter_handoffs_total`: recipients handed to a content
//!   filter (`handoff`), not sent and not events: the filter's re-injected
//!   message is counted under `bounce_report_events_total`, so adding the
//!   two would count those recipients twice.
//! - `bounce_report_lines_total{kind}`: `parsed`, `other`, `malformed`, `overlong`; they
//!   add up to the lines read.
//! - `bounce_report_last_run_timestamp_seconds`: when the report was made, to
//!   alert on a cron job that stopped running.
//! - `bounce_report_last_log_timestamp_seconds`: the time of the last
//!   Postfix line read (absent when none was), to alert on a log that
//!   stopped: `time() - bounce_report_last_log_timestamp_seconds > 7200`.
//! - `bounce_report_warnings`: how many reasons the report is no all-clear
//!   (no lines read, an empty window, a stale log), each also written as a
//!   `# WARNING:` comment line.
//! - `bounce_report_server_lines{kind}` (`warning`, `error`, `fatal`,
//!   `panic`, `reject`) and `bounce_report_server_disk_full_rejects`: the
//!   server's own trouble in the lines this run read (gauges: `--state`
//!   does not carry them, so with it they are the lines since the last run).
//!
//! Without `--state` the counters count what the logs read hold, so they
//! fall when a log is rotated away or a `--since` window moves on;
//! Prometheus reads a fall as a counter reset, which `rate()` and
//! `increase()` handle. With `--state` they count every run since the first
//! and only grow (README "Frequent runs: --state").
//!
//! Output order is fixed (metric, then status, then cause or domain order),
//! so two runs on the same logs differ only in the timestamp.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use super::escape::visible;
use super::{domain_rows, Report};
use crate::aggregate::StatusCounts;
use crate::cause::{Cause, Class, Status};

/// The label value for sent mail's cause and class, which it has none of.
pub const NONE: &str = "none";
/// The domain label value for every domain past the top N.
pub const OTHER: &str = "other";
/// The domain label value for events without a recipient domain.
pub const NO_DOMAIN: &str = "(none)";

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    write_at(report, now, out)
}

/// [`write`](fn@write) with the run's time given, for tests.
pub fn write_at(report: &Report<'_>, now_unix: u64, out: &mut dyn Write) -> io::Result<()> {
    // Built in a String and written once: a textfile is small (a few hundred
    // lines at the default --top 20) and one write keeps a short file from
    // being seen in pieces on a plain stdout redirect.
    let mut m = String::new();
    for w in report.warnings {
        let _ = writeln!(m, "# WARNING: {}", visible(w).replace('\n', " "));
    }
    events(report, &mut m);
    domains(report, &mut m);
    family(
        &mut m,
        "bounce_report_filter_handoffs_total",
        "counter",
        "Recipients handed to a content filter (not sent: the re-injected message's events carry their fate).",
    );
    sample(
        &mut m,
        "bounce_report_filter_handoffs_total",
        &[],
        report.analysis.summary.handed_to_filter,
    );
    lines(report, &mut m);
    family(
        &mut m,
        "bounce_report_last_run_timestamp_seconds",
        "gauge",
        "When bounce-report made this report, in seconds since the Unix epoch.",
    );
    let _ = writeln!(m, "bounce_report_last_run_timestamp_seconds {now_unix}");
    if let Some(t) = report.analysis.summary.last_record {
        family(
            &mut m,
            "bounce_report_last_log_timestamp_seconds",
            "gauge",
            "The time of the last Postfix line read, in seconds since the Unix epoch.",
        );
        let _ = writeln!(m, "bounce_report_last_log_timestamp_seconds {}", t.unix);
    }
    family(
        &mut m,
        "bounce_report_warnings",
        "gauge",
        "Reasons this report is not an all-clear: no log lines read, a window without Postfix lines, a stale log.",
    );
    let _ = writeln!(m, "bounce_report_warnings {}", report.warnings.len());
    let h = &report.analysis.summary.health;
    family(
        &mut m,
        "bounce_report_server_lines",
        "gauge",
        "Postfix's own warning, error, fatal and panic lines and smtpd's NOQUEUE rejects in the lines this run read.",
    );
    for kind in crate::parse::ServerKind::ALL {
        let _ = writeln!(
            m,
            "bounce_report_server_lines{{kind=\"{}\"}} {}",
            kind.as_str(),
            h.count(kind)
        );
    }
    family(
        &mut m,
        "bounce_report_server_disk_full_rejects",
        "gauge",
        "Of those rejects, the ones for want of disk space on our side (452 4.3.1 Insufficient system storage).",
    );
    let _ = writeln!(m, "bounce_report_server_disk_full_rejects {}", h.disk_full());
    out.write_all(m.as_bytes())
}

fn events(report: &Report<'_>, m: &mut String) {
    let s = &report.analysis.summary;
    family(
        m,
        "bounce_report_events_total",
        "counter",
        "Delivery events in the logs read, by status, cause and class. \
         Sent mail has cause=\"none\" and class=\"none\".",
    );
    sample(
        m,
        "bounce_report_events_total",
        &[
            ("status", Status::Sent.as_str()),
            ("cause", NONE),
            ("class", NONE),
        ],
        s.totals.get(Status::Sent),
    );
    for status in [Status::Bounced, Status::Deferred, Status::Expired] {
        for &cause in Cause::ALL {
            let class = Class::of(status, cause).map_or(NONE, Class::as_str);
            let n = s.by_cause.get(cause.index()).map_or(0, |c| c.counts.get(status));
            sample(
                m,
                "bounce_report_events_total",
                &[
                    ("status", status.as_str()),
                    ("cause", cause.as_str()),
                    ("class", class),
                ],
                n,
            );
        }
    }
}

/// The top N domains in report order, then `other`; a top domain whose
/// label would repeat another's (a domain literally named `other`) is
/// folded into it, as a repeated label set is not valid exposition.
fn domain_series(report: &Report<'_>) -> Vec<(String, StatusCounts)> {
    let rows = domain_rows(&report.analysis.summary);
    let mut series: Vec<(String, StatusCounts)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut add =
        |series: &mut Vec<(String, StatusCounts)>, label: &str, c: &StatusCounts| match index.get(label) {
            Some(&i) => series[i].1.merge(c),
            None => {
                index.insert(label.to_string(), series.len());
                series.push((label.to_string(), *c));
            }
        };
    let mut other = StatusCounts::default();
    for (i, r) in rows.iter().enumerate() {
        match r.key.unwrap_or(NO_DOMAIN) {
            label if i < report.top && label != OTHER => add(&mut series, label, &r.counts),
            _ => other.merge(&r.counts),
        }
    }
    add(&mut series, OTHER, &other);
    series
}

fn domains(report: &Report<'_>, m: &mut String) {
    family(
        m,
        "bounce_report_domain_events_total",
        "counter",
        &format!(
            "Delivery events per recipient domain and status: the top {} domains by failures, \
             the rest summed under domain=\"other\".",
            report.top
        ),
    );
    for (label, counts) in domain_series(report) {
        for status in Status::ALL {
            sample(
                m,
                "bounce_report_domain_events_total",
                &[("domain", &label), ("status", status.as_str())],
                counts.get(status),
            );
        }
    }
}

fn lines(report: &Report<'_>, m: &mut String) {
    let l = report.analysis.summary.lines();
    family(
        m,
        "bounce_report_lines_total",
        "counter",
        "Log lines read: Postfix delivery and queue lines (parsed), other lines, malformed lines, lines over 1 MiB (overlong).",
    );
    for (kind, n) in [
        ("parsed", l.parsed),
        ("other", l.other),
        ("malformed", l.malformed),
        ("overlong", l.overlong),
    ] {
        sample(m, "bounce_report_lines_total", &[("kind", kind)], n);
    }
}

fn family(m: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(m, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(m, "# TYPE {name} {kind}");
}

fn sample(m: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    m.push_str(name);
    if !labels.is_empty() {
        m.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                m.push(',');
            }
            let _ = write!(m, "{k}=\"{}\"", escape_label(v));
        }
        m.push('}');
    }
    let _ = writeln!(m, " {value}");
}

/// A label value as the exposition format quotes it: log text made
/// [`visible`] first (a raw ESC reached a label value, issue 21), then
/// backslash, double quote and line feed escaped; other UTF-8 as it is.
pub fn escape_label(v: &str) -> String {
    let v = visible(v);
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: backslash and line feed escaped (quotes are fine there).
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), r"x\\x0ay");
        assert_eq!(escape_label("\x1b[31m\u{202e}"), r"\\x1b[31m\\u{202e}");
        assert_eq!(escape_label("例え.jp"), "例え.jp");
    }

    #[test]
    fn help_escapes_backslash_and_newline_only() {
        assert_eq!(escape_help("say \"x\"\\\n"), "say \"x\"\\\\\\n");
    }

    #[test]
    fn sample_lines_have_labels_in_the_given_order() {
        let mut m = String::new();
        sample(&mut m, "m_total", &[("b", "2"), ("a", "q\"")], 7);
        sample(&mut m, "m2", &[], 0);
        assert_eq!(m, "m_total{b=\"2\",a=\"q\\\"\"} 7\nm2 0\n");
    }
}
