//! `--format html`: one self-contained page to mail or open in a browser:
//! the text report's content with charts.
//!
//! Safe to mail: no scripts, no external resources (no `src`/`href`, no
//! `@import`, no `url(`), CSS in one `<style>` element, charts as inline SVG
//! drawn here. Every piece of log text (file names, domains, relays, replies)
//! and catalogue text goes through [`escape`], in element content and in
//! attributes alike, so a reply holding `<script>` is shown, not run.
//!
//! The page: header (inputs, window, time span, lines), alerts, totals as
//! cards; failures over time stacked by cause (the six causes with most
//! events in colour, the rest as "other", from `Summary::by_hour_cause`) and
//! one small chart per top domain on a shared scale (from
//! `Summary::by_hour_domain`), in columns per hour, or per longer buckets on
//! long spans, shared by all of them so they line up (issue 6); then per
//! breakdown a bar chart of its top rows (bounced, deferred, expired) and the
//! same table as the text report; what became of deferred mail; "What to
//! do"; and the commonest unclassified replies (issue 7). `--by hour` keeps
//! the columns stacked by status, beside its table.
//!
//! Layout for phones: the page is one column that shrinks; charts and wide
//! tables keep a minimum width and scroll sideways inside their box rather
//! than shrink their text out of reach.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{DateTime, FixedOffset, Local};

use super::escape::visible;
use super::markdown::{change, cut, local_time, percent, window_text, EXAMPLE_CHARS, UNCLASSIFIED_SHOWN};
use super::DEFERRAL_COLUMNS;
use super::{
    breakdown_columns, cause_class, cause_rows, deferral_domains, deferral_sentence, domain_rows, duration,
    has_main_cause, host_rows, relay_rows, sender_domain_rows, sender_rows, totals, truncate,
    unclassified_rows, CauseRow, Report, Row, Total,
};
use crate::aggregate::{StatusCounts, Summary};
use crate::cause::{Cause, Class, Status};
use crate::classify::Lang;
use crate::cli::By;
use crate::compare::{self, Change};
use crate::report::table::thousands;
use crate::window::Zone;

/// The failure statuses, bottom to top in every stacked bar, with their
/// colours (light enough for print, distinct for the common colour
/// blindnesses: red, amber, violet differ in lightness too).
const SERIES: [(Status, &str); 3] = [
    (Status::Bounced, "#e5676b"),
    (Status::Deferred, "#f2b24c"),
    (Status::Expired, "#8f7fd0"),
];

/// Rows in a bar chart: the tables below hold the rest.
const CHART_ROWS: usize = 10;

/// Causes with a colour of their own in the time chart; the rest are "other".
const TOP_CAUSES: usize = 6;

/// The colours of the top causes, most events first: the Okabe–Ito palette,
/// told apart with the common colour blindnesses, and none of them the
/// status colours of the other charts, so no column reads as "bounced".
const CAUSE_COLORS: [&str; TOP_CAUSES] = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"];

/// The "other" causes: a grey that recedes behind the named ones.
const OTHER_COLOR: &str = "#b8bec6";

/// Domains with a time chart of their own.
const TOP_DOMAINS: usize = 5;

/// The domain time charts' columns: one colour, as they count all causes.
const DOMAIN_COLOR: &str = "#627d98";

/// What became of deferred recipients, with their colours: delivered in the
/// sent card's green, bounced and expired as everywhere, still pending in
/// the deferred amber.
const OUTCOMES: [(&str, &str); 4] = [
    ("delivered later", "#7cc4a4"),
    ("bounced", "#e5676b"),
    ("expired", "#8f7fd0"),
    ("pending", "#f2b24c"),
];

/// Most columns in the time chart: a week of hours fits; longer spans are
/// drawn in buckets of several hours or days.
const MAX_COLUMNS: i64 = 240;

const STYLE: &str = "\
:root{color-scheme:light}
body{margin:0;background:#f5f7fa;color:#1f2933;font:15px/1.5 -apple-system,BlinkMacSystemFont,\"Segoe UI\",Roboto,\
\"Helvetica Neue\",Arial,\"Noto Sans\",\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif}
main{max-width:1040px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:24px;margin:0 0 6px;font-weight:650}
h2{font-size:18px;margin:32px 0 10px;font-weight:650}
h3{font-size:16px;margin:0 0 6px;font-weight:600}
h2 .count,h3 .count{color:#7b8794;font-weight:400;font-size:14px}
.meta{margin:0;padding:0;list-style:none;color:#52606d;font-size:14px}
.meta li{margin:2px 0;overflow-wrap:anywhere}
.meta b{color:#323f4b;font-weight:600}
.alerts{background:#fdecea;border:1px solid #f5c2bd;border-radius:10px;padding:12px 16px;margin:16px 0;color:#8a1c12}
.alerts ul{margin:4px 0 0;padding-left:20px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:20px 0 8px}
.card{flex:1 1 130px;background:#fff;border:1px solid #e4e7eb;border-radius:10px;padding:10px 16px}
.card .n{display:block;font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.card .l{display:block;font-size:12px;color:#616e7c;text-transform:uppercase;letter-spacing:.05em}
.card.bounced{border-top:4px solid #e5676b}.card.deferred{border-top:4px solid #f2b24c}
.card.expired{border-top:4px solid #8f7fd0}.card.filter{border-top:4px solid #c9ced4}.card.sent{border-top:4px solid #7cc4a4}.card.rate{border-top:4px solid #9aa5b1}
.panel{background:#fff;border:1px solid #e4e7eb;border-radius:10px;padding:14px 16px;margin:0 0 14px}
.scroll{overflow-x:auto}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px;color:#52606d;margin:0 0 6px}
.legend .count{color:#9aa5b1}
.sw{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.note{font-size:13px;color:#7b8794;margin:6px 0 0}
svg.chart{display:block;width:100%;height:auto;min-width:560px}
svg.chart text{font-family:inherit;font-size:12px;fill:#616e7c}
.hbars{display:grid;grid-template-columns:minmax(6em,max-content) 1fr auto;gap:6px 10px;align-items:center;\
font-size:13px;margin:2px 0 14px}
.hbars .name{text-align:right;color:#323f4b;overflow-wrap:anywhere;max-width:18em}
.hbars svg{display:block;width:100%;height:16px}
.hbars .v{color:#616e7c;font-variant-numeric:tabular-nums;text-align:right;min-width:2.5em}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:7px 10px;text-align:left;border-bottom:1px solid #edf0f3;white-space:nowrap;vertical-align:top}
th{font-weight:600;color:#52606d;background:#f9fafb;font-size:13px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.up{color:#b42318;font-weight:600}td.down{color:#18794e;font-weight:600}
tbody tr:last-child td{border-bottom:0}
td.key{white-space:normal;overflow-wrap:anywhere;min-width:10em}
td.text{white-space:normal;overflow-wrap:anywhere;min-width:16em}
td.text code.reply{padding:4px 8px}
.lead{margin:0 0 12px}
svg.chart text.band{font-size:13px;font-weight:600;fill:#323f4b}
svg.chart tspan.sub{font-weight:400;fill:#7b8794}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace;font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.hard{background:#fde8e8;color:#b42318}.soft{background:#fef3e2;color:#a15c07}.transient{background:#e8f1fd;color:#175cd3}
.cause{background:#fff;border:1px solid #e4e7eb;border-radius:10px;padding:14px 16px;margin:0 0 12px}
.cause dl{margin:8px 0 0;display:grid;grid-template-columns:max-content 1fr;gap:6px 14px}
.cause dt{color:#616e7c;font-size:13px;padding-top:1px}
.cause dd{margin:0;overflow-wrap:anywhere}
.reply{display:block;white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f5f7;border-radius:6px;padding:7px 10px}
footer{margin-top:32px;color:#9aa5b1;font-size:12px}
@media (max-width:600px){main{padding:16px 10px 32px}.card{flex-basis:90px;padding:8px 12px}.card .n{font-size:21px}svg.chart text{font-size:20px}svg.chart text.band{font-size:20px}.cause dl{grid-template-columns:1fr}.cause dt{padding:0}}
";

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut h = String::with_capacity(64 * 1024);
    page(report, &mut h);
    out.write_all(h.as_bytes())
}

fn page(report: &Report<'_>, h: &mut String) {
    let s = &report.analysis.summary;
    let names: Vec<&str> = report.analysis.sources.iter().map(|s| s.name.as_str()).collect();
    let lang = match report.lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Bounce report: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&truncate(&names.join(", "), 120))
    );
    header(report, h);
    alerts(report, h);
    cards(s, h);
    match report.by {
        None => {
            cause_chart(report, h);
            domain_charts(report, h);
            named(report, h, "Recipient domains", "domain", domain_rows(s));
            causes(report, h);
            deferrals(report, h);
            gone(report, h);
            advice(report, h);
            health(report, h);
            unclassified(report, h, UNCLASSIFIED_SHOWN, false);
        }
        Some(By::Domain) => named(report, h, "Recipient domains", "domain", domain_rows(s)),
        Some(By::Relay) => named(report, h, "Relays", "relay", relay_rows(s)),
        Some(By::SenderDomain) => named(
            report,
            h,
            "Sender domains",
            "sender domain",
            sender_domain_rows(s),
        ),
        Some(By::Cause) => {
            causes(report, h);
            advice(report, h);
        }
        Some(By::Hour) => {
            time_chart(report, h);
            hours_table(report, h);
        }
        Some(By::Sender) => named(report, h, "Senders", "sender", sender_rows(s)),
        Some(By::Host) => named(report, h, "Hosts", "host", host_rows(s)),
        Some(By::Incident) => {}
        Some(By::Unclassified) => unclassified(report, h, report.top, true),
    }
    let _ = write!(
        h,
        "<footer>bounce-report {}</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

fn header(report: &Report<'_>, h: &mut String) {
    let a = report.analysis;
    let s = &a.summary;
    let lines = s.lines();
    h.push_str("<h1>Bounce report</h1>\n<ul class=\"meta\">\n");
    let names: Vec<String> = a
        .sources
        .iter()
        .map(|src| format!("<code>{}</code>", escape(&src.name)))
        .collect();
    let _ = writeln!(
        h,
        "<li><b>Input:</b> {}</li>",
        if names.is_empty() {
            "(no input)".to_string()
        } else {
            names.join(", ")
        }
    );
    for (i, src) in a.sources.iter().enumerate() {
        let c = s.files.get(i).copied().unwrap_or_default();
        let kind = src
            .compression
            .map_or("", |c| if c.as_str() == "plain" { "" } else { " (gzip)" });
        match &src.error {
            Some(e) => {
                let _ = writeln!(
                    h,
                    "<li><code>{}</code>{kind}: {} lines, then: {}</li>",
                    escape(&src.name),
                    thousands(c.lines),
                    escape(e)
                );
            }
            None if a.sources.len() > 1 => {
                let _ = writeln!(
                    h,
                    "<li><code>{}</code>{kind}: {} lines</li>",
                    escape(&src.name),
                    thousands(c.lines)
                );
            }
            None => {}
        }
    }
    for m in report.missing {
        let _ = writeln!(h, "<li><b>Not read:</b> {}</li>", escape(&m.to_string()));
    }
    if let Some(w) = window_text(report) {
        let _ = writeln!(h, "<li><b>Window:</b> {}</li>", escape(&w));
    }
    match s.span.0 {
        Some((first, last)) => {
            let _ = writeln!(
                h,
                "<li><b>Time span:</b> {} to {}</li>",
                escape(&local_time(first.unix, report.zone)),
                escape(&local_time(last.unix, report.zone))
            );
        }
        None => h.push_str("<li><b>Time span:</b> no deliveries found</li>\n"),
    }
    let _ = write!(
        h,
        "<li><b>Lines:</b> {} read: {} Postfix delivery/queue, {} other, {} malformed{}",
        thousands(lines.lines),
        thousands(lines.parsed),
        thousands(lines.other),
        thousands(lines.malformed),
        super::table::overlong_note(&lines)
    );
    if lines.probes > 0 {
        let _ = write!(
            h,
            " ({} address-verification probes, not counted as mail)",
            thousands(lines.probes)
        );
    }
    h.push_str("</li>\n</ul>\n");
}

fn alerts(report: &Report<'_>, h: &mut String) {
    if !report.warnings.is_empty() {
        h.push_str("<div class=\"alerts\"><b>WARNING</b><ul>\n");
        for w in report.warnings {
            let _ = writeln!(h, "<li>WARNING: {}</li>", escape(w));
        }
        h.push_str("</ul></div>\n");
    }
    let resolver = super::resolver_warnings(report);
    if !resolver.is_empty() {
        h.push_str("<div class=\"alerts\"><b>Our DNS resolver</b><ul>\n");
        for w in &resolver {
            let _ = writeln!(h, "<li>{}</li>", escape(w));
        }
        h.push_str("</ul></div>\n");
    }
    if report.alerts.is_empty() {
        return;
    }
    h.push_str("<div class=\"alerts\"><b>Alert conditions crossed</b><ul>\n");
    for (condition, value) in report.alerts {
        let _ = writeln!(
            h,
            "<li><code>{}</code> (value {})</li>",
            escape(&condition.to_string()),
            escape(&condition.show(*value))
        );
    }
    h.push_str("</ul></div>\n");
}

fn cards(s: &Summary, h: &mut String) {
    h.push_str("<div class=\"cards\">\n");
    for Total {
        key,
        label,
        figure: f,
    } in totals(s)
    {
        let _ = writeln!(
            h,
            "<div class=\"card {key}\"><span class=\"n\">{}</span><span class=\"l\">{label}</span></div>",
            f.text()
        );
    }
    h.push_str("</div>\n");
}

/// One coloured series of a chart: its name in the legend and tooltips, the
/// class of its rects and its colour.
struct Series<'a> {
    label: &'a str,
    class: &'a str,
    color: &'a str,
}

/// The failure statuses as chart series.
fn status_series() -> Vec<Series<'static>> {
    SERIES
        .iter()
        .map(|&(status, color)| Series {
            label: status.as_str(),
            class: status.as_str(),
            color,
        })
        .collect()
}

/// A row of swatches naming the series, each with an optional count.
fn legend(h: &mut String, series: &[Series<'_>], counts: Option<&[u64]>) {
    h.push_str("<div class=\"legend\">");
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            h,
            "<span><span class=\"sw\" style=\"background:{}\"></span>{}",
            s.color,
            escape(s.label)
        );
        if let Some(n) = counts.and_then(|c| c.get(i)) {
            let _ = write!(h, " <span class=\"count\">{}</span>", thousands(*n));
        }
        h.push_str("</span>");
    }
    h.push_str("</div>\n");
}

/// A time with the offset the report's zone has then.
fn zoned(unix: i64, zone: Zone) -> DateTime<FixedOffset> {
    let utc = DateTime::from_timestamp(unix, 0).unwrap_or_default();
    match zone {
        Zone::Utc => utc.fixed_offset(),
        Zone::Local => utc.with_timezone(&Local).fixed_offset(),
    }
}

/// Hours per column for a span of `hours`: the smallest that keeps the
/// chart within [`MAX_COLUMNS`]; each divides a day or is whole days.
fn bucket_hours(hours: i64) -> i64 {
    [1, 2, 3, 6, 12, 24, 48, 168]
        .into_iter()
        .find(|&b| ceil_div(hours, b) <= MAX_COLUMNS)
        .unwrap_or_else(|| ceil_div(hours, MAX_COLUMNS * 24).max(1) * 24)
}

/// `a / b` rounded up, for a positive `b` (`i64::div_ceil` is not stable).
fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1).div_euclid(b)
}

/// A round axis maximum at or above `max` and its step: 1, 2 or 5 times a
/// power of ten, four or five gridlines.
fn nice_axis(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let s = step.saturating_mul(m);
            if max.div_ceil(s) <= 5 {
                return (max.div_ceil(s) * s, s);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The columns of every time chart: one bucket of `hours` hours each, from
/// the bucket of the span's first hour to that of its last, empty ones
/// included so that time runs evenly along the axis. All time charts of a
/// page share them, so their columns line up.
struct Buckets {
    /// First hour of the first bucket (hours since the epoch, UTC).
    start: i64,
    hours: i64,
    len: usize,
    /// The zone's offset at the start, in whole hours: buckets of whole days
    /// start at local midnight, those of a few hours at a local hour they
    /// divide.
    offset_hours: i64,
}

impl Buckets {
    fn of(report: &Report<'_>) -> Option<Buckets> {
        let s = &report.analysis.summary;
        let mut first = s.by_hour.keys().next().copied();
        let mut last = s.by_hour.keys().next_back().copied();
        if let Some((a, b)) = s.span.0 {
            first = Some(first.map_or(a.unix.div_euclid(3600), |f| f.min(a.unix.div_euclid(3600))));
            last = Some(last.map_or(b.unix.div_euclid(3600), |l| l.max(b.unix.div_euclid(3600))));
        }
        let (first, last) = (first?, last?);
        let hours = bucket_hours(last - first + 1);
        let offset_hours =
            i64::from(zoned(first * 3600, report.zone).offset().local_minus_utc()).div_euclid(3600);
        let mut b = Buckets {
            start: 0,
            hours,
            len: 0,
            offset_hours,
        };
        b.start = b.align(first);
        b.len = usize::try_from((b.align(last) - b.start) / hours + 1).unwrap_or(0);
        Some(b)
    }

    fn align(&self, hour: i64) -> i64 {
        (hour + self.offset_hours).div_euclid(self.hours) * self.hours - self.offset_hours
    }

    /// The column an hour falls in.
    fn index(&self, hour: i64) -> Option<usize> {
        usize::try_from((self.align(hour) - self.start) / self.hours)
            .ok()
            .filter(|&i| i < self.len)
    }

    /// The first hour of column `i`.
    fn hour(&self, i: usize) -> i64 {
        self.start + i as i64 * self.hours
    }

    /// What one column covers, in words.
    fn unit(&self) -> String {
        match self.hours {
            1 => "hour".to_string(),
            24 => "day".to_string(),
            b if b % 24 == 0 => format!("{} days", b / 24),
            b => format!("{b} hours"),
        }
    }

    /// A column's time range for its tooltip: `2026-11-21 03:00 to 04:00`.
    fn range(&self, i: usize, zone: Zone) -> String {
        let from = zoned(self.hour(i) * 3600, zone);
        let to = zoned((self.hour(i) + self.hours) * 3600, zone);
        format!("{} to {}", from.format("%Y-%m-%d %H:%M"), to.format("%H:%M"))
    }

    /// A column's start as an RFC 3339 time, for its `data-start`.
    fn start_attr(&self, i: usize, zone: Zone) -> String {
        crate::window::show(
            crate::parse::Timestamp {
                unix: self.hour(i) * 3600,
                offset: 0,
            },
            zone,
        )
    }

    /// The first and last hours of all columns, for the note under a chart.
    fn note(&self, zone: Zone) -> String {
        format!(
            "{} to {}",
            escape(&local_time(self.start * 3600, zone)),
            escape(&local_time(self.hour(self.len) * 3600, zone)),
        )
    }
}

/// Horizontal geometry of a time chart, in SVG units: the columns share
/// the width between the count axis and the right margin.
struct Plot {
    width: f64,
    left: f64,
    right: f64,
    /// Width per column, and of the bar drawn in it.
    slot: f64,
    bar: f64,
}

impl Plot {
    fn new(columns: usize) -> Plot {
        let (width, left, right) = (960.0, 56.0, 12.0);
        let slot = (width - left - right) / columns.max(1) as f64;
        Plot {
            width,
            left,
            right,
            slot,
            bar: (slot * 0.78).max(1.0),
        }
    }

    /// The left edge of the bar of column `i`.
    fn x(&self, i: usize) -> f64 {
        self.left + self.slot * i as f64 + (self.slot - self.bar) / 2.0
    }

    /// Gridlines across the plot from `top` (the axis maximum) to `top +
    /// height` (zero), one per `step`, each labelled at the left.
    fn grid(&self, h: &mut String, top: f64, height: f64, axis_max: u64, step: u64) {
        let mut tick = 0;
        while tick <= axis_max {
            let y = top + height - height * tick as f64 / axis_max as f64;
            let _ = writeln!(
                h,
                "<line x1=\"{}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"1\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.left,
                self.width - self.right,
                if tick == 0 { "#9aa5b1" } else { "#e4e7eb" },
                self.left - 6.0,
                y + 4.0,
                thousands(tick)
            );
            tick += step.max(1);
        }
    }

    /// Time labels along the bottom at `y`: hours on short spans, days on
    /// long ones; at most about twelve, so they never overlap.
    fn time_labels(&self, h: &mut String, buckets: &Buckets, zone: Zone, y: f64) {
        let span_hours = buckets.len as i64 * buckets.hours;
        let hourly = span_hours <= 48;
        let every = if hourly {
            buckets.len.div_ceil(12).max(1)
        } else {
            (ceil_div(span_hours, 24) as usize).div_ceil(12).max(1)
        };
        let mut previous_day = None;
        let mut days = 0;
        for i in 0..buckets.len {
            let t = zoned(buckets.hour(i) * 3600, zone);
            let label = if hourly {
                (i % every == 0).then(|| t.format("%H:%M").to_string())
            } else if previous_day != Some(t.date_naive()) {
                // A column that starts a day (or the first): every so many days.
                previous_day = Some(t.date_naive());
                days += 1;
                ((days - 1) % every == 0).then(|| t.format("%b %-d").to_string())
            } else {
                None
            };
            if let Some(text) = label {
                let _ = writeln!(
                    h,
                    "<text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"start\">{}</text>",
                    self.x(i),
                    escape(&text)
                );
            }
        }
    }
}

/// Bounced, deferred and expired events per bucket.
fn status_columns(report: &Report<'_>, b: &Buckets) -> Vec<StatusCounts> {
    let mut cols = vec![StatusCounts::default(); b.len];
    for (&hour, c) in &report.analysis.summary.by_hour {
        if let Some(col) = b.index(hour).and_then(|i| cols.get_mut(i)) {
            col.merge(c);
        }
    }
    cols
}

/// Stacked columns of bounced, deferred and expired events over time (the
/// chart of `--by hour`). Each non-empty column is one `<g class="bar">`
/// with a `<title>` (the browser's tooltip) and one `<rect>` per non-zero
/// status.
fn time_chart(report: &Report<'_>, h: &mut String) {
    h.push_str("<h2>Failures over time</h2>\n<div class=\"panel\">\n");
    let Some(b) = Buckets::of(report) else {
        h.push_str("<p class=\"note\">No bounces, deferrals or expiries.</p>\n</div>\n");
        return;
    };
    let cols = status_columns(report, &b);
    if cols.iter().all(|c| c.failures() == 0) {
        h.push_str("<p class=\"note\">No bounces, deferrals or expiries.</p>\n</div>\n");
        return;
    }
    legend(h, &status_series(), None);
    let unit = b.unit();
    let plot = Plot::new(b.len);
    let (ht, top, bottom) = (280.0, 12.0, 34.0);
    let ph = ht - top - bottom;
    let max = cols.iter().map(StatusCounts::failures).max().unwrap_or(0);
    let (axis_max, step) = nice_axis(max);
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 {} {ht}\" role=\"img\" \
         aria-label=\"Bounced, deferred and expired events per {unit}\">",
        plot.width
    );
    plot.grid(h, top, ph, axis_max, step);
    plot.time_labels(h, &b, report.zone, ht - 8.0);
    for (i, c) in cols.iter().enumerate() {
        if c.failures() == 0 {
            continue;
        }
        let _ = write!(
            h,
            "<g class=\"bar\"><title>{}: {} bounced, {} deferred, {} expired</title>",
            escape(&b.range(i, report.zone)),
            thousands(c.get(Status::Bounced)),
            thousands(c.get(Status::Deferred)),
            thousands(c.get(Status::Expired)),
        );
        let mut y = top + ph;
        for (status, color) in SERIES {
            let n = c.get(status);
            if n == 0 {
                continue;
            }
            let height = ph * n as f64 / axis_max as f64;
            y -= height;
            let _ = write!(
                h,
                "<rect class=\"{}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"{color}\"/>",
                status.as_str(),
                plot.x(i),
                plot.bar,
            );
        }
        h.push_str("</g>\n");
    }
    h.push_str("</svg></div>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Events per {unit}, {}. Hover a column for its counts.</p>\n</div>",
        b.note(report.zone)
    );
}

/// Failures over time stacked by cause (issue 6): the [`TOP_CAUSES`]
/// causes with most events each get a colour of [`CAUSE_COLORS`], the rest
/// are one grey "other" series on top. Each non-empty column is one `<g
/// class="bar" data-start="…" data-total="…">` whose `<title>` gives the
/// time, the counts per status and per cause, with one `<rect
/// data-cause="…" data-n="…">` per non-zero series.
fn cause_chart(report: &Report<'_>, h: &mut String) {
    let s = &report.analysis.summary;
    h.push_str("<h2>Failures over time, by cause</h2>\n<div class=\"panel\">\n");
    let rows = cause_rows(s);
    let b = Buckets::of(report).filter(|_| !rows.is_empty());
    let Some(b) = b else {
        h.push_str("<p class=\"note\">No bounces, deferrals or expiries.</p>\n</div>\n");
        return;
    };
    let top: Vec<Cause> = rows.iter().take(TOP_CAUSES).map(|r| r.cause).collect();
    let mut series: Vec<Series<'_>> = top
        .iter()
        .zip(CAUSE_COLORS)
        .map(|(c, color)| Series {
            label: c.as_str(),
            class: "cause",
            color,
        })
        .collect();
    let mut totals: Vec<u64> = rows
        .iter()
        .take(TOP_CAUSES)
        .map(|r| r.counts.failures())
        .collect();
    let rest: u64 = rows.iter().skip(TOP_CAUSES).map(|r| r.counts.failures()).sum();
    if rest > 0 {
        series.push(Series {
            label: "other",
            class: "cause",
            color: OTHER_COLOR,
        });
        totals.push(rest);
    }
    // Per column: the events of each series (the top causes, then other).
    let statuses = status_columns(report, &b);
    let mut cols: Vec<Vec<u64>> = vec![vec![0; top.len() + 1]; b.len];
    for (&hour, causes) in &s.by_hour_cause {
        let Some(col) = b.index(hour).and_then(|i| cols.get_mut(i)) else {
            continue;
        };
        for (&cause, &n) in Cause::ALL.iter().zip(&causes.0) {
            let k = top.iter().position(|&t| t == cause).unwrap_or(top.len());
            col[k] += u64::from(n);
        }
    }
    // Every failure has a cause; should one not, it counts as other, so a
    // column is as tall as its failures.
    for (col, st) in cols.iter_mut().zip(&statuses) {
        let counted: u64 = col.iter().sum();
        col[top.len()] += st.failures().saturating_sub(counted);
    }

    legend(h, &series, Some(&totals));
    let unit = b.unit();
    let plot = Plot::new(b.len);
    let (ht, top_y, bottom) = (280.0, 12.0, 34.0);
    let ph = ht - top_y - bottom;
    let max = cols.iter().map(|c| c.iter().sum::<u64>()).max().unwrap_or(0);
    let (axis_max, step) = nice_axis(max);
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 {} {ht}\" role=\"img\" \
         aria-label=\"Failures per {unit} by cause\">",
        plot.width
    );
    plot.grid(h, top_y, ph, axis_max, step);
    plot.time_labels(h, &b, report.zone, ht - 8.0);
    for (i, (col, st)) in cols.iter().zip(&statuses).enumerate() {
        let total: u64 = col.iter().sum();
        if total == 0 {
            continue;
        }
        let parts: Vec<String> = series
            .iter()
            .zip(col)
            .filter(|(_, &n)| n > 0)
            .map(|(s, &n)| format!("{} {}", s.label, thousands(n)))
            .collect();
        let _ = write!(
            h,
            "<g class=\"bar\" data-start=\"{}\" data-total=\"{total}\"><title>{}: {} failures ({} bounced, {} \
             deferred, {} expired): {}</title>",
            b.start_attr(i, report.zone),
            escape(&b.range(i, report.zone)),
            thousands(total),
            thousands(st.get(Status::Bounced)),
            thousands(st.get(Status::Deferred)),
            thousands(st.get(Status::Expired)),
            escape(&parts.join(", ")),
        );
        let mut y = top_y + ph;
        for (s, &n) in series.iter().zip(col) {
            if n == 0 {
                continue;
            }
            let height = ph * n as f64 / axis_max as f64;
            y -= height;
            let _ = write!(
                h,
                "<rect class=\"{}\" data-cause=\"{}\" data-n=\"{n}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" \
                 height=\"{height:.1}\" fill=\"{}\"/>",
                s.class,
                escape(s.label),
                plot.x(i),
                plot.bar,
                s.color,
            );
        }
        h.push_str("</g>\n");
    }
    h.push_str("</svg></div>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Bounced, deferred and expired events per {unit}, {}; the {} causes with most \
         events in colour, the rest as other. Hover a column for its counts.</p>\n</div>",
        b.note(report.zone),
        top.len(),
    );
}

/// Small multiples (issue 6): failures over time for each of the
/// [`TOP_DOMAINS`] recipient domains with most failures, one band each on
/// a shared scale and the columns of the cause chart, so that a peak in
/// one lines up with the causes above. Each non-empty column is a `<g
/// class="dbar" data-domain="…" data-start="…" data-n="…">` with a title.
fn domain_charts(report: &Report<'_>, h: &mut String) {
    let s = &report.analysis.summary;
    let domains: Vec<Row<'_>> = domain_rows(s)
        .into_iter()
        .filter(|r| r.counts.failures() > 0)
        .take(TOP_DOMAINS)
        .collect();
    let Some(b) = Buckets::of(report).filter(|_| !domains.is_empty()) else {
        return;
    };
    // Per domain and column: failures, from the per-hour counts.
    let mut bands: Vec<Vec<u64>> = vec![vec![0; b.len]; domains.len()];
    for (d, row) in domains.iter().enumerate() {
        let hours = s.by_hour_domain.get(row.key.unwrap_or(""));
        for (hour, n) in hours.into_iter().flat_map(|h| h.iter()) {
            if let Some(i) = b.index(hour) {
                bands[d][i] += u64::from(n);
            }
        }
    }
    let unit = b.unit();
    let _ = writeln!(
        h,
        "<h2>Failures over time, top {} domains</h2>\n<div class=\"panel\">",
        domains.len()
    );
    let plot = Plot::new(b.len);
    let (band, head, axis) = (74.0, 28.0, 26.0);
    let ht = band * domains.len() as f64 + axis;
    let max = bands.iter().flatten().copied().max().unwrap_or(0);
    let (axis_max, _) = nice_axis(max);
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 {} {ht}\" role=\"img\" \
         aria-label=\"Failures per {unit} for the top {} recipient domains\">",
        plot.width,
        domains.len()
    );
    for (d, (row, cols)) in domains.iter().zip(&bands).enumerate() {
        let name = row.key.unwrap_or("(none)");
        let y0 = band * d as f64;
        let ph = band - head - 10.0;
        let base = y0 + head + ph;
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{:.1}\" class=\"band\">{}<tspan dx=\"8\" class=\"sub\">{} failures{}</tspan></text>",
            plot.left,
            y0 + 18.0,
            escape(&truncate(name, 60)),
            thousands(row.counts.failures()),
            row.main_cause
                .map_or(String::new(), |c| format!(", mostly {}", c.as_str())),
        );
        // The baseline, and one gridline at the shared maximum with its value.
        let _ = writeln!(
            h,
            "<line x1=\"{0}\" y1=\"{base:.1}\" x2=\"{1:.1}\" y2=\"{base:.1}\" stroke=\"#9aa5b1\" stroke-width=\"1\"/>\
             <line x1=\"{0}\" y1=\"{2:.1}\" x2=\"{1:.1}\" y2=\"{2:.1}\" stroke=\"#e4e7eb\" stroke-width=\"1\"/>\
             <text x=\"{3:.1}\" y=\"{4:.1}\" text-anchor=\"end\">{5}</text>",
            plot.left,
            plot.width - plot.right,
            base - ph,
            plot.left - 6.0,
            base - ph + 4.0,
            thousands(axis_max),
        );
        for (i, &n) in cols.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let height = (ph * n as f64 / axis_max as f64).max(1.0);
            let _ = writeln!(
                h,
                "<g class=\"dbar\" data-domain=\"{}\" data-start=\"{}\" data-n=\"{n}\"><title>{}, {}: {} \
                 failures</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" \
                 fill=\"{DOMAIN_COLOR}\"/></g>",
                escape(row.key.unwrap_or("")),
                b.start_attr(i, report.zone),
                escape(name),
                escape(&b.range(i, report.zone)),
                thousands(n),
                plot.x(i),
                base - height,
                plot.bar,
            );
        }
    }
    plot.time_labels(h, &b, report.zone, ht - 8.0);
    h.push_str("</svg></div>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Bounced, deferred and expired events per {unit} to each of the {} recipient domains \
         with most failures, all on the same scale. Hover a column for its count.</p>\n</div>",
        domains.len(),
    );
}

/// How a row of horizontal bars is scaled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scale {
    /// To the largest row: bars compare sizes.
    Largest,
    /// Each row to its own total: bars compare shares.
    Whole,
}

/// Horizontal stacked bars, one row per name (a domain, a cause), with the
/// row's total at the right. Names and counts are HTML text in a grid, each
/// bar a small SVG stretched to its cell: text keeps its size on a phone
/// while the bars shrink, and the browser wraps a long name. Rows with
/// nothing to show are left out, and at most [`CHART_ROWS`] are shown.
fn hbars(h: &mut String, title: &str, series: &[Series<'_>], rows: &[(String, Vec<u64>)], scale: Scale) {
    let total = |v: &[u64]| v.iter().sum::<u64>();
    let rows: Vec<&(String, Vec<u64>)> = rows
        .iter()
        .filter(|(_, v)| total(v) > 0)
        .take(CHART_ROWS)
        .collect();
    if rows.is_empty() {
        return;
    }
    let max = rows.iter().map(|(_, v)| total(v)).max().unwrap_or(1).max(1);
    legend(h, series, None);
    let _ = writeln!(
        h,
        "<div class=\"hbars\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    for (name, values) in rows {
        let all = total(values);
        let parts: Vec<String> = series
            .iter()
            .zip(values)
            .map(|(s, &n)| format!("{} {}", thousands(n), s.label))
            .collect();
        let _ = write!(
            h,
            "<span class=\"name\">{}</span><svg viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\">\
             <title>{}: {}</title>",
            escape(&truncate(name, 40)),
            escape(name),
            escape(&parts.join(", ")),
        );
        let whole = match scale {
            Scale::Largest => max,
            Scale::Whole => all,
        };
        let mut x = 0.0;
        for (s, &n) in series.iter().zip(values) {
            if n == 0 {
                continue;
            }
            let width = 1000.0 * n as f64 / whole as f64;
            let _ = write!(
                h,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"0\" width=\"{width:.1}\" height=\"10\" fill=\"{}\"/>",
                s.class, s.color,
            );
            x += width;
        }
        let _ = writeln!(h, "</svg><span class=\"v\">{}</span>", thousands(all));
    }
    h.push_str("</div>\n");
}

/// Bars of bounced, deferred and expired events per name, to scale.
fn bar_chart(h: &mut String, title: &str, rows: &[(String, StatusCounts)]) {
    let rows: Vec<(String, Vec<u64>)> = rows
        .iter()
        .map(|(name, c)| (name.clone(), SERIES.iter().map(|&(s, _)| c.get(s)).collect()))
        .collect();
    hbars(h, title, &status_series(), &rows, Scale::Largest);
}

fn named(report: &Report<'_>, h: &mut String, title: &str, what: &str, rows: Vec<Row<'_>>) {
    let shown = rows.len().min(report.top);
    let _ = writeln!(
        h,
        "<h2>{} <span class=\"count\">(top {shown} of {}, most failures first)</span></h2>\n<div class=\"panel\">",
        escape(title),
        thousands(rows.len() as u64)
    );
    let bars: Vec<(String, StatusCounts)> = rows
        .iter()
        .take(report.top)
        .map(|r| (r.key.unwrap_or("(none)").to_string(), r.counts))
        .collect();
    bar_chart(h, &format!("Failures per {what}"), &bars);
    // Against an earlier run (--compare, which keeps domains), a last
    // column says how each domain's failures moved.
    let previous = report.previous.filter(|_| what == "domain");
    let with_cause = has_main_cause(what);
    let names = breakdown_columns(what, previous.is_some());
    let last = names.len() - 1;
    table_start(h, &names, |i| {
        (1..=5).contains(&i) || (previous.is_some() && i == last)
    });
    for r in rows.iter().take(report.top) {
        let c = r.counts;
        let _ = write!(
            h,
            "<tr><td class=\"key\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td>",
            escape(r.key.unwrap_or("(none)")),
            thousands(c.get(Status::Sent)),
            thousands(c.get(Status::Bounced)),
            thousands(c.get(Status::Deferred)),
            thousands(c.get(Status::Expired)),
            percent(c.bounce_rate()),
        );
        if with_cause {
            let _ = write!(h, "<td>{}</td>", r.main_cause.map_or("", |c| c.as_str()));
        }
        if let Some(p) = previous {
            change_cell(h, p.domain(r.key), c.failures());
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n</div>\n");
}

/// A `vs previous` cell: new and up in red, down in green, as a failure
/// count that grows is bad news.
fn change_cell(h: &mut String, before: Option<u64>, now: u64) {
    let (c, text) = change(before, now);
    let class = match c {
        Change::New | Change::Up(_) => "n up",
        Change::Down(_) => "n down",
        Change::Same => "n",
    };
    let _ = write!(h, "<td class=\"{class}\">{}</td>", escape(&text));
}

/// What became of deferred mail (issue 7): the sentence, bars of each
/// domain's outcomes as shares of its deferred recipients (all domains
/// first), and the table of the text report.
fn deferrals(report: &Report<'_>, h: &mut String) {
    let all = &report.analysis.summary.deferred_outcomes;
    if all.total() == 0 {
        return;
    }
    let _ = writeln!(
        h,
        "<h2>Deferrals <span class=\"count\">(what became of deferred mail)</span></h2>\n<div class=\"panel\">\n\
         <p class=\"lead\">{}</p>",
        deferral_sentence(all, |n| format!("<b>{n}</b>"))
    );
    let domains = deferral_domains(report);
    let values = |o: &crate::aggregate::Outcomes| vec![o.delivered, o.bounced, o.expired, o.pending];
    let mut bars = vec![("all domains".to_string(), values(all))];
    bars.extend(
        domains
            .iter()
            .take(CHART_ROWS - 1)
            .map(|(d, o)| (if d.is_empty() { "(none)" } else { d }.to_string(), values(o))),
    );
    let series: Vec<Series<'_>> = OUTCOMES
        .iter()
        .map(|&(label, color)| Series {
            label,
            class: label.split(' ').next().unwrap_or(label),
            color,
        })
        .collect();
    hbars(
        h,
        "Outcomes of deferred recipients per domain",
        &series,
        &bars,
        Scale::Whole,
    );
    table_start(h, &DEFERRAL_COLUMNS, |i| i >= 1);
    for (domain, o) in &domains {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(if domain.is_empty() { "(none)" } else { domain }),
            thousands(o.total()),
            thousands(o.delivered),
            o.median_delay().map_or("-".to_string(), duration),
            thousands(o.bounced),
            thousands(o.expired),
            thousands(o.pending),
        );
    }
    h.push_str("</tbody></table></div>\n</div>\n");
}

/// The commonest replies no rule classified, grouped by their normalised
/// text (issue 7), with an example each. The default report ends with a
/// few of them when there are any; `--by unclassified` (`always`) is only
/// this, and says so when there are none.
/// The server's own trouble (see `table::health`).
fn health(report: &Report<'_>, h: &mut String) {
    let health = &report.analysis.summary.health;
    let Some(sentence) = super::health_sentence(health, report.lang) else {
        return;
    };
    h.push_str("<h2>Our server</h2>\n<div class=\"panel\">\n");
    if let Some(alarm) = super::health_alarm(health, report.lang) {
        let _ = writeln!(
            h,
            "<p class=\"warning\"><strong>WARNING:</strong> {}</p>",
            escape(&alarm)
        );
    }
    let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(&sentence));
    table_start(
        h,
        &["lines", "kind", "service", "message (masked)", "last"],
        |i| i == 0,
    );
    for g in super::health_rows(health, super::HEALTH_SHOWN) {
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"text\"><code>{}</code></td><td>{}</td></tr>",
            thousands(g.count),
            g.kind.as_str(),
            escape(&g.service),
            escape(&truncate(&g.text, EXAMPLE_CHARS)),
            escape(&local_time(g.last, report.zone)),
        );
    }
    h.push_str("</tbody></table></div>\n</div>\n");
}

fn unclassified(report: &Report<'_>, h: &mut String, top: usize, always: bool) {
    let rows = unclassified_rows(&report.analysis.summary);
    if rows.is_empty() {
        if always {
            h.push_str(
                "<h2>Unclassified replies</h2>\n<div class=\"panel\"><p class=\"note\">None: a rule classified \
                 every reply.</p></div>\n",
            );
        }
        return;
    }
    let total: u64 = rows.iter().map(|r| r.events).sum();
    let _ = writeln!(
        h,
        "<h2>Unclassified replies <span class=\"count\">(top {} of {} {}, {} events)</span></h2>\n\
         <div class=\"panel\">\n<p class=\"note\">Replies no rule knows, with addresses, hosts and numbers \
         masked: what the catalogue should learn next (add rules with <code>--patterns DIR</code>).</p>",
        rows.len().min(top),
        thousands(rows.len() as u64),
        if rows.len() == 1 { "group" } else { "groups" },
        thousands(total)
    );
    table_start(h, &["events", "reply (normalised)", "example"], |i| i == 0);
    for r in rows.iter().take(top) {
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td class=\"text\"><code>{}</code></td><td class=\"text\">{}</td></tr>",
            thousands(r.events),
            escape(&truncate(r.pattern, EXAMPLE_CHARS)),
            r.example.map_or(String::new(), |e| format!(
                "<code class=\"reply\">{}</code>",
                escape(&truncate(e, EXAMPLE_CHARS))
            )),
        );
    }
    h.push_str("</tbody></table></div>\n</div>\n");
}

/// With --compare: the earlier run, and what failed then and no longer does.
fn gone(report: &Report<'_>, h: &mut String) {
    let Some(previous) = report.previous else {
        return;
    };
    let _ = writeln!(
        h,
        "<h2>Compared with <code>{}</code></h2>\n<div class=\"panel\"><ul class=\"meta\">\n\
         <li><b>Failures then:</b> {}</li>",
        escape(&previous.name),
        thousands(previous.failures)
    );
    let (domains, causes) = compare::gone(previous, &report.analysis.summary);
    for (label, v) in [
        ("Causes no longer seen", &causes),
        ("Domains now failure-free", &domains),
    ] {
        let (shown, more) = cut(v, report.top);
        let mut text = shown.iter().map(|x| escape(x)).collect::<Vec<_>>().join(", ");
        if shown.is_empty() {
            text.push_str("none");
        }
        if more > 0 {
            let _ = write!(text, ", and {} more", thousands(more as u64));
        }
        let _ = writeln!(h, "<li><b>{label}:</b> {text}</li>");
    }
    h.push_str("</ul></div>\n");
}

fn badge(class: Class) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", class.as_str())
}

fn causes(report: &Report<'_>, h: &mut String) {
    let rows = cause_rows(&report.analysis.summary);
    h.push_str("<h2>Causes</h2>\n<div class=\"panel\">\n");
    if rows.is_empty() {
        h.push_str("<p class=\"note\">No bounces, deferrals or expiries.</p>\n</div>\n");
        return;
    }
    let bars: Vec<(String, StatusCounts)> = rows
        .iter()
        .take(report.top)
        .map(|r| (r.cause.as_str().to_string(), r.counts))
        .collect();
    bar_chart(h, "Failures per cause", &bars);
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
    table_start(h, &names, |i| i >= 2);
    for r in rows.iter().take(report.top) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td>",
            r.cause.as_str(),
            badge(cause_class(r.cause, &r.counts)),
            thousands(r.counts.get(Status::Bounced)),
            thousands(r.counts.get(Status::Deferred)),
            thousands(r.counts.get(Status::Expired)),
            thousands(r.recipients as u64),
            percent(Some(r.share)),
        );
        if let Some(p) = report.previous {
            change_cell(h, p.cause(r.cause), r.counts.failures());
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n</div>\n");
}

/// For each cause: what it means, one real reply, and what to do.
fn advice(report: &Report<'_>, h: &mut String) {
    let rows: Vec<CauseRow<'_>> = cause_rows(&report.analysis.summary);
    if rows.is_empty() {
        return;
    }
    h.push_str("<h2>What to do</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        escape(super::hard_note(report.lang))
    );
    for r in rows.iter().take(report.top) {
        let info = report.catalogue.cause_info(r.cause);
        let _ = write!(
            h,
            "<div class=\"cause\"><h3>{} {} <span class=\"count\">{} events, {} recipients</span></h3>\n<dl>\
             <dt>What</dt><dd>{}</dd>",
            r.cause.as_str(),
            badge(cause_class(r.cause, &r.counts)),
            thousands(r.counts.failures()),
            thousands(r.recipients as u64),
            escape(info.description(report.lang)),
        );
        if let Some(example) = r.example {
            let _ = write!(
                h,
                "<dt>Example</dt><dd><code class=\"reply\">{}</code></dd>",
                escape(&truncate(example, EXAMPLE_CHARS))
            );
        }
        let advice = super::advice(report.catalogue, r, report.lang);
        if !advice.is_empty() {
            let _ = write!(h, "<dt>Do</dt><dd>{}</dd>", escape(advice));
        }
        h.push_str("</dl></div>\n");
    }
}

fn hours_table(report: &Report<'_>, h: &mut String) {
    h.push_str("<h2>Failures per hour</h2>\n<div class=\"panel\">\n");
    table_start(h, &["hour", "bounced", "deferred", "expired"], |i| i >= 1);
    for (&hour, c) in &report.analysis.summary.by_hour {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&local_time(hour * 3600, report.zone)),
            thousands(c.get(Status::Bounced)),
            thousands(c.get(Status::Deferred)),
            thousands(c.get(Status::Expired)),
        );
    }
    h.push_str("</tbody></table></div>\n</div>\n");
}

/// Opens a scrollable table with its header row; `numeric` columns align
/// right. The caller closes `</tbody></table></div>`.
fn table_start(h: &mut String, names: &[&str], numeric: impl Fn(usize) -> bool) {
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for (i, name) in names.iter().enumerate() {
        let class = if numeric(i) { " class=\"n\"" } else { "" };
        let _ = write!(h, "<th{class}>{}</th>", escape(name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
}

/// Text as HTML element content or a quoted attribute value: `&`, `<`, `>`,
/// `"` and `'` as character references, control characters (which HTML
/// does not allow, NUL among them) and BiDi controls shown as escapes
/// ([`visible`]).
pub fn escape(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("a\0b\nc\u{202e}"), r"a\x00b\x0ac\u{202e}");
        assert_eq!(escape("用户邮箱空间已满"), "用户邮箱空间已满");
    }

    #[test]
    fn buckets_are_hours_up_to_ten_days_then_longer() {
        assert_eq!(bucket_hours(1), 1);
        assert_eq!(bucket_hours(24), 1);
        assert_eq!(bucket_hours(240), 1);
        assert_eq!(bucket_hours(241), 2);
        assert_eq!(bucket_hours(31 * 24), 6);
        assert_eq!(bucket_hours(365 * 24), 48);
        assert_eq!(bucket_hours(10 * 365 * 24) % 24, 0);
        assert!(ceil_div(10 * 365 * 24, bucket_hours(10 * 365 * 24)) <= MAX_COLUMNS);
    }

    #[test]
    fn axis_maximum_is_round_and_covers_the_data() {
        assert_eq!(nice_axis(0), (1, 1));
        assert_eq!(nice_axis(4), (4, 1));
        assert_eq!(nice_axis(7), (8, 2));
        assert_eq!(nice_axis(18), (20, 5));
        assert_eq!(nice_axis(33), (40, 10));
        assert_eq!(nice_axis(1234), (1500, 500));
    }
}
