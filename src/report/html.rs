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
//! long spans, shared by all of them so they line up (issue 6); then each
//! section of the report model (`report/model.rs`) in order: a breakdown
//! with a bar chart of its top rows (bounced, deferred, expired) above its
//! table (with the columns too wide for the text table, such as an
//! unclassified reply's example), what became of deferred mail, the
//! incidents, the comparison, "What to do", our server and the commonest
//! unclassified replies (issue 7). `--by hour` keeps the columns stacked by
//! status, beside its table.
//!
//! Layout for phones: the page is one column that shrinks; charts and wide
//! tables keep a minimum width and scroll sideways inside their box rather
//! than shrink their text out of reach.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};

use super::escape::visible;
use super::markdown::EXAMPLE_CHARS;
use super::model::{self, Cell, Chart, Id, Part, Section};
use super::text::{thousands, tr, truncate};
use super::{cause_rows, domain_rows, Report, Row};
use crate::aggregate::StatusCounts;
use crate::cause::{Cause, Class, Status};
use crate::classify::Lang;
use crate::compare::Change;
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
.card{flex:1 1 110px;background:#fff;border:1px solid #e4e7eb;border-radius:10px;padding:10px 16px}
.card .n{display:block;font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.card .l{display:block;font-size:12px;color:#616e7c;text-transform:uppercase;letter-spacing:.05em}
.card.bounced{border-top:4px solid #e5676b}.card.deferred{border-top:4px solid #f2b24c}
.card.expired{border-top:4px solid #8f7fd0}.card.deferred_recipients{border-top:4px solid #f8d595}.card.filter{border-top:4px solid #c9ced4}.card.sent{border-top:4px solid #7cc4a4}.card.rate{border-top:4px solid #9aa5b1}
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
    let lang = report.lang;
    let head = model::header(report);
    let names: Vec<&str> = head.inputs.iter().map(String::as_str).collect();
    let code = match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&head.title),
        escape(&truncate(&names.join(", "), 120))
    );
    header(report, &head, h);
    for s in model::sections(report, false) {
        match s.id {
            Id::Totals => {
                cards(report, &s, h);
                if report.by.is_none() {
                    cause_chart(report, h);
                    domain_charts(report, h);
                }
            }
            Id::Hours => {
                time_chart(report, h);
                section(report, &s, h);
            }
            _ => section(report, &s, h),
        }
    }
    let _ = write!(
        h,
        "<footer>bounce-report {}</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

fn header(report: &Report<'_>, head: &model::Header, h: &mut String) {
    let lang = report.lang;
    let _ = writeln!(h, "<h1>{}</h1>\n<ul class=\"meta\">", escape(&head.title));
    let names: Vec<String> = head
        .inputs
        .iter()
        .map(|n| format!("<code>{}</code>", escape(n)))
        .collect();
    let _ = writeln!(
        h,
        "<li><b>{}:</b> {}</li>",
        escape(tr(lang, "Input")),
        if names.is_empty() {
            escape(tr(lang, "(no input)"))
        } else {
            names.join(", ")
        }
    );
    for (name, kind, detail) in &head.files {
        let _ = writeln!(
            h,
            "<li><code>{}</code>{}: {}</li>",
            escape(name),
            escape(kind),
            escape(detail)
        );
    }
    for m in &head.not_read {
        let _ = writeln!(
            h,
            "<li><b>{}:</b> {}</li>",
            escape(tr(lang, "Not read")),
            escape(m)
        );
    }
    for (label, value) in &head.facts {
        let _ = writeln!(h, "<li><b>{}:</b> {}</li>", escape(label), escape(value));
    }
    h.push_str("</ul>\n");
    if !head.warnings.is_empty() {
        h.push_str("<div class=\"alerts\"><b>WARNING</b><ul>\n");
        for w in &head.warnings {
            let _ = writeln!(h, "<li>WARNING: {}</li>", escape(w));
        }
        h.push_str("</ul></div>\n");
    }
    if !head.resolver.is_empty() {
        let _ = writeln!(
            h,
            "<div class=\"alerts\"><b>{}</b><ul>",
            escape(tr(lang, "Our DNS resolver"))
        );
        for w in &head.resolver {
            let _ = writeln!(h, "<li>{}</li>", escape(w));
        }
        h.push_str("</ul></div>\n");
    }
    if !head.alerts.is_empty() {
        let _ = writeln!(
            h,
            "<div class=\"alerts\"><b>{}</b><ul>",
            escape(tr(lang, "Alert conditions crossed"))
        );
        for (condition, value) in &head.alerts {
            let _ = writeln!(
                h,
                "<li><code>{}</code> (value {})</li>",
                escape(condition),
                escape(value)
            );
        }
        h.push_str("</ul></div>\n");
    }
}

/// The totals as cards; with `--compare`, each card says how its figure
/// moved.
fn cards(report: &Report<'_>, s: &Section, h: &mut String) {
    let Some(t) = &s.table else { return };
    h.push_str("<div class=\"cards\">\n");
    for i in t.shown(|x| x.page) {
        let c = &t.columns[i];
        if c.key == "run" {
            continue;
        }
        let class = match c.key {
            "handed_to_filter" => "filter",
            "bounce_rate" => "rate",
            other => other,
        };
        let _ = write!(
            h,
            "<div class=\"card {class}\"><span class=\"n\">{}</span><span class=\"l\">{}</span>",
            escape(&t.rows[0][i].show(report.lang, report.zone)),
            escape(&c.label)
        );
        if let Some(change) = t.rows.get(1).map(|r| &r[i]).filter(|c| **c != Cell::Empty) {
            let _ = write!(
                h,
                "<span class=\"l\">{}: {}</span>",
                escape(tr(report.lang, "vs previous")),
                escape(&change.show(report.lang, report.zone))
            );
        }
        h.push_str("</div>\n");
    }
    h.push_str("</div>\n");
    if let Some(f) = &s.footnote {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(f));
    }
}

/// One coloured series of a chart: its name in the legend and tooltips, the
/// class of its rects and its colour.
struct Series<'a> {
    label: &'a str,
    class: &'a str,
    color: &'a str,
}

/// "No bounces, deferrals or expiries." under a chart's heading, and the
/// end of its panel.
fn no_failures(lang: Lang, h: &mut String) {
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>\n</div>",
        super::text::no_failures(lang)
    );
}

/// The failure statuses as chart series, named in the report's language.
fn status_series(lang: Lang) -> Vec<Series<'static>> {
    SERIES
        .iter()
        .map(|&(status, color)| Series {
            label: tr(lang, status.as_str()),
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
    crate::window::in_zone(crate::parse::Timestamp { unix, offset: 0 }, zone).to_datetime()
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

    /// The unit in Chinese: `小时`, `天`, `3 天`, `6 小时`.
    fn unit_zh(&self) -> String {
        match self.hours {
            1 => "小时".to_string(),
            24 => "天".to_string(),
            b if b % 24 == 0 => format!(" {} 天", b / 24),
            b => format!(" {b} 小时"),
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
    fn note(&self, zone: Zone, lang: Lang) -> String {
        format!(
            "{} {} {}",
            escape(&super::text::time(self.start * 3600, zone)),
            if lang == Lang::Zh { "至" } else { "to" },
            escape(&super::text::time(self.hour(self.len) * 3600, zone)),
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
    let zh = report.lang == Lang::Zh;
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<div class=\"panel\">",
        if zh {
            "失败数随时间变化"
        } else {
            "Failures over time"
        }
    );
    let Some(b) = Buckets::of(report) else {
        no_failures(report.lang, h);
        return;
    };
    let cols = status_columns(report, &b);
    if cols.iter().all(|c| c.failures() == 0) {
        no_failures(report.lang, h);
        return;
    }
    legend(h, &status_series(report.lang), None);
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
    let _ = if zh {
        writeln!(
            h,
            "<p class=\"note\">每{}的事件数，{}。鼠标悬停在柱上可看计数。</p>\n</div>",
            b.unit_zh(),
            b.note(report.zone, report.lang)
        )
    } else {
        writeln!(
            h,
            "<p class=\"note\">Events per {unit}, {}. Hover a column for its counts.</p>\n</div>",
            b.note(report.zone, report.lang)
        )
    };
}

/// Failures over time stacked by cause (issue 6): the [`TOP_CAUSES`]
/// causes with most events each get a colour of [`CAUSE_COLORS`], the rest
/// are one grey "other" series on top. Each non-empty column is one `<g
/// class="bar" data-start="…" data-total="…">` whose `<title>` gives the
/// time, the counts per status and per cause, with one `<rect
/// data-cause="…" data-n="…">` per non-zero series.
fn cause_chart(report: &Report<'_>, h: &mut String) {
    let s = &report.analysis.summary;
    let zh = report.lang == Lang::Zh;
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<div class=\"panel\">",
        if zh {
            "按原因的失败数随时间变化"
        } else {
            "Failures over time, by cause"
        }
    );
    let rows = cause_rows(s);
    let b = Buckets::of(report).filter(|_| !rows.is_empty());
    let Some(b) = b else {
        no_failures(report.lang, h);
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
    let _ = if zh {
        writeln!(
            h,
            "<p class=\"note\">每{}的退信、延迟和过期事件数，{}；事件最多的 {} 个原因各用一种颜色，其余归为 other。\
             鼠标悬停在柱上可看计数。</p>\n</div>",
            b.unit_zh(),
            b.note(report.zone, report.lang),
            top.len(),
        )
    } else {
        writeln!(
            h,
            "<p class=\"note\">Bounced, deferred and expired events per {unit}, {}; the {} causes with most \
             events in colour, the rest as other. Hover a column for its counts.</p>\n</div>",
            b.note(report.zone, report.lang),
            top.len(),
        )
    };
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
    let zh = report.lang == Lang::Zh;
    let _ = if zh {
        writeln!(
            h,
            "<h2>失败最多的 {} 个域名随时间变化</h2>\n<div class=\"panel\">",
            domains.len()
        )
    } else {
        writeln!(
            h,
            "<h2>Failures over time, top {} domains</h2>\n<div class=\"panel\">",
            domains.len()
        )
    };
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
    let _ = if zh {
        writeln!(
            h,
            "<p class=\"note\">失败最多的 {} 个收件域名每{}的退信、延迟和过期事件数，刻度相同。鼠标悬停在柱上可看计数。</p>\n</div>",
            domains.len(),
            b.unit_zh(),
        )
    } else {
        writeln!(
            h,
            "<p class=\"note\">Bounced, deferred and expired events per {unit} to each of the {} recipient domains \
             with most failures, all on the same scale. Hover a column for its count.</p>\n</div>",
            domains.len(),
        )
    };
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

/// A cell as HTML table data: numbers to the right, names that wrap,
/// replies in code, classes as badges, changes coloured.
fn td(report: &Report<'_>, numeric: bool, c: &Cell) -> String {
    let text = escape(&c.show(report.lang, report.zone));
    match c {
        Cell::Name(_) => format!("<td class=\"key\">{text}</td>"),
        Cell::Text(t) if t.is_empty() => "<td class=\"text\"></td>".to_string(),
        Cell::Text(t) => format!(
            "<td class=\"text\"><code>{}</code></td>",
            escape(&truncate(t, EXAMPLE_CHARS))
        ),
        Cell::Class(class) => format!("<td>{}</td>", badge(*class, report.lang)),
        Cell::Change { before, now } => {
            let class = match Change::between(*before, *now) {
                Change::New | Change::Up(_) => "n up",
                Change::Down(_) => "n down",
                Change::Same => "n",
            };
            format!("<td class=\"{class}\">{text}</td>")
        }
        _ if numeric => format!("<td class=\"n\">{text}</td>"),
        _ => format!("<td>{text}</td>"),
    }
}

/// A section: its heading, sentences, chart and table in a panel; "What
/// to do" as one box per cause.
fn section(report: &Report<'_>, s: &Section, h: &mut String) {
    let lang = report.lang;
    let _ = write!(h, "<h2>{}", escape(&s.title));
    if let Some(code) = &s.title_code {
        let _ = write!(h, " <code>{}</code>", escape(code));
    }
    if let Some(count) = &s.count {
        let _ = write!(h, " <span class=\"count\">{}</span>", escape(count));
    }
    h.push_str("</h2>\n");
    if s.id == Id::Advice {
        if let Some(note) = &s.note {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(note));
        }
        let [what, example, advice] = super::text::advice_labels(lang);
        for a in &s.advice {
            let _ = write!(
                h,
                "<div class=\"cause\"><h3>{} {} <span class=\"count\">{}</span></h3>\n<dl>\
                 <dt>{what}</dt><dd>{}</dd>",
                a.cause.as_str(),
                badge(a.class, lang),
                escape(&a.counts),
                escape(&a.what),
            );
            if let Some(e) = &a.example {
                let _ = write!(
                    h,
                    "<dt>{example}</dt><dd><code class=\"reply\">{}</code></dd>",
                    escape(&truncate(e, EXAMPLE_CHARS))
                );
            }
            if !a.advice.is_empty() {
                let _ = write!(h, "<dt>{advice}</dt><dd>{}</dd>", escape(&a.advice));
            }
            h.push_str("</dl></div>\n");
        }
        return;
    }
    h.push_str("<div class=\"panel\">\n");
    if let Some(w) = &s.warning {
        let _ = writeln!(
            h,
            "<p class=\"warning\"><strong>WARNING:</strong> {}</p>",
            escape(w)
        );
    }
    if !s.lead.is_empty() {
        h.push_str("<p class=\"lead\">");
        for p in &s.lead {
            match p {
                Part::Words(w) => h.push_str(&escape(w)),
                Part::Figure(f) => {
                    let _ = write!(h, "<b>{}</b>", escape(f));
                }
            }
        }
        h.push_str("</p>\n");
    }
    if let Some(note) = &s.note {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(note));
    }
    if let Some(empty) = &s.empty {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(empty));
    }
    if !s.facts.is_empty() {
        h.push_str("<ul class=\"meta\">\n");
        for f in &s.facts {
            let text = f.joined(lang, |c| escape(&c.show(lang, report.zone)));
            let _ = writeln!(h, "<li><b>{}:</b> {text}</li>", escape(&f.label));
        }
        h.push_str("</ul>\n");
    }
    if let (Some(chart), Some(t)) = (&s.chart, s.people_table()) {
        chart_of(report, chart, t, h);
    }
    if let Some(t) = s.people_table() {
        let shown = t.shown(|x| x.page);
        h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
        for &i in &shown {
            let c = &t.columns[i];
            let class = if c.numeric { " class=\"n\"" } else { "" };
            let _ = write!(h, "<th{class}>{}</th>", escape(&c.label));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            h.push_str("<tr>");
            for &i in &shown {
                h.push_str(&td(report, t.columns[i].numeric, &row[i]));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table></div>\n");
    }
    if let Some(f) = &s.footnote {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(f));
    }
    h.push_str("</div>\n");
}

/// A section's chart, drawn from its table's rows.
fn chart_of(report: &Report<'_>, chart: &Chart, t: &model::Table, h: &mut String) {
    let name = |row: &[Cell]| row[0].show(report.lang, report.zone);
    match chart {
        Chart::Statuses(title) => {
            let rows: Vec<(String, Vec<u64>)> = (0..t.rows.len())
                .map(|r| {
                    (
                        name(&t.rows[r]),
                        SERIES.iter().map(|&(s, _)| t.count(r, s.as_str())).collect(),
                    )
                })
                .collect();
            hbars(h, title, &status_series(report.lang), &rows, Scale::Largest);
        }
        Chart::Outcomes(all) => {
            let keys = ["delivered", "bounced", "expired", "pending"];
            let mut bars = vec![(
                match report.lang {
                    Lang::En => "all domains".to_string(),
                    Lang::Zh => "全部域名".to_string(),
                },
                all.to_vec(),
            )];
            bars.extend(
                (0..t.rows.len())
                    .take(CHART_ROWS - 1)
                    .map(|r| (name(&t.rows[r]), keys.iter().map(|k| t.count(r, k)).collect())),
            );
            let series: Vec<Series<'_>> = OUTCOMES
                .iter()
                .map(|&(label, color)| Series {
                    label: tr(report.lang, label),
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
        }
    }
}

fn badge(class: Class, lang: Lang) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        class.as_str(),
        escape(tr(lang, class.as_str()))
    )
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
