//! The report model (issue 20): every section of the people-facing report
//! built once, as data: a title, a count line, sentences, typed columns and
//! rows. Table, Markdown, HTML and CSV only draw it (as hyperfine's
//! exporters draw one result), so they cannot disagree on a number, and
//! adding a `--by` breakdown or a section is one function here.
//!
//! The model is built in the report's language: titles, headings, words
//! and sentences come translated (`text::tr`); cells stay typed (a count,
//! a rate, a time) so each format writes them its own way: `1,234` for
//! people and `1234` in CSV, a time in the report's zone or in RFC 3339.

use super::text::{self, count, thousands, tr};
use super::{
    cause_class, cause_rows, deferral_domains, domain_rows, host_rows, relay_rows, sasl_rows,
    sender_domain_rows, sender_rows, unclassified_rows, CauseRow, Report, Row,
};
use crate::aggregate::Outcomes;
use crate::cause::{Cause, Class, Status};
use crate::classify::Lang;
use crate::cli::By;
use crate::window::Zone;

/// One value of a table, typed so that each format can write it its way.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Count(u64),
    /// A share or a rate; `None` when there is nothing to divide.
    Percent(Option<f64>),
    /// A delay in seconds; `None` when there is none.
    Delay(Option<u32>),
    /// A time (seconds since the epoch).
    Time(i64),
    /// A time to the minute, without the day when it is `since`'s.
    Minute {
        at: i64,
        since: Option<i64>,
    },
    /// A name from the log (domain, relay, sender, host): untrusted text
    /// that is never broken across lines; `None` is "(none)".
    Name(Option<String>),
    /// A cause of the vocabulary.
    Cause(Cause),
    /// The class of a cause's failures.
    Class(Class),
    /// Words of the report itself, in the report's language.
    Plain(String),
    /// Long untrusted text (a reply, a masked message): cut to fit.
    Text(String),
    /// How a count moved since an earlier run (`--compare`).
    Change {
        before: Option<u64>,
        now: u64,
    },
    /// How a rate moved since an earlier run, in percentage points.
    RateChange {
        before: Option<f64>,
        now: Option<f64>,
    },
    /// A bar of `value` against the column's largest, drawn in text.
    Bar {
        value: u64,
        max: u64,
    },
    Empty,
}

impl Cell {
    /// The number a count-like cell holds (what the tests compare).
    pub fn number(&self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(*n),
            _ => None,
        }
    }

    /// The cell as people read it, before any format's markup: the text
    /// table writes this, Markdown and HTML escape it.
    pub fn show(&self, lang: Lang, zone: Zone) -> String {
        match self {
            Cell::Count(n) => thousands(*n),
            Cell::Percent(r) => text::percent(*r),
            Cell::Delay(d) => d.map_or("-".to_string(), text::duration),
            Cell::Time(t) => text::time(*t, zone),
            Cell::Minute { at, since } => text::minute(*at, *since, zone),
            Cell::Name(n) => n.clone().unwrap_or_else(|| tr(lang, "(none)").to_string()),
            Cell::Cause(c) => c.as_str().to_string(),
            Cell::Class(c) => tr(lang, c.as_str()).to_string(),
            Cell::Plain(s) | Cell::Text(s) => s.clone(),
            Cell::Change { before, now } => crate::compare::Change::between(*before, *now).show(*before),
            Cell::RateChange { before, now } => match (before, now) {
                (Some(b), Some(n)) => {
                    let pt = (n - b) * 100.0;
                    if pt.abs() < 0.05 {
                        "=".to_string()
                    } else {
                        format!("{pt:+.1} pt")
                    }
                }
                (None, Some(_)) => "new".to_string(),
                _ => "-".to_string(),
            },
            Cell::Bar { value, max } => "#".repeat((value * 30).div_ceil((*max).max(1)) as usize),
            Cell::Empty => String::new(),
        }
    }

    /// The cell in a CSV file: plain numbers, rates as fractions, times in
    /// RFC 3339, nothing for a missing value; the class and cause in the
    /// SPEC's words whatever the language.
    pub fn data(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Percent(r) => r.map_or(String::new(), |x| format!("{x:.4}")),
            Cell::Delay(d) => d.map_or(String::new(), |d| d.to_string()),
            Cell::Time(t) | Cell::Minute { at: t, .. } => {
                crate::parse::Timestamp { unix: *t, offset: 0 }.rfc3339()
            }
            Cell::Name(n) => n.clone().unwrap_or_default(),
            Cell::Cause(c) => c.as_str().to_string(),
            Cell::Class(c) => c.as_str().to_string(),
            Cell::Plain(s) | Cell::Text(s) => s.clone(),
            Cell::Change { now, .. } => now.to_string(),
            Cell::RateChange { now, .. } => now.map_or(String::new(), |x| format!("{x:.4}")),
            Cell::Bar { value, .. } => value.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// Which formats show a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Show {
    /// The text table.
    pub text: bool,
    /// Markdown and HTML.
    pub page: bool,
    /// CSV.
    pub data: bool,
}

impl Show {
    pub const ALL: Show = Show {
        text: true,
        page: true,
        data: true,
    };
    /// The people's formats only (a comparison, a heading worded for them).
    pub const PEOPLE: Show = Show {
        text: true,
        page: true,
        data: false,
    };
    /// CSV only (a machine's form of a people's column, or text the other
    /// formats show in a section of its own).
    pub const DATA: Show = Show {
        text: false,
        page: false,
        data: true,
    };
    /// Markdown, HTML and CSV: too wide for the text table.
    pub const WIDE: Show = Show {
        text: false,
        page: true,
        data: true,
    };
    /// The text table only (a bar of `#`).
    pub const TEXT: Show = Show {
        text: true,
        page: false,
        data: false,
    };
}

/// A column: its key (CSV's header, the SPEC's field name), its heading in
/// the report's language, whether it holds numbers (aligned right), and
/// which formats show it.
#[derive(Clone, Debug)]
pub struct Column {
    pub key: &'static str,
    pub label: String,
    pub numeric: bool,
    pub show: Show,
}

/// Rows under typed columns.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new(lang: Lang, columns: &[(&'static str, &'static str, bool, Show)]) -> Table {
        Table {
            columns: columns
                .iter()
                .map(|&(key, label, numeric, show)| Column {
                    key,
                    label: tr(lang, label).to_string(),
                    numeric,
                    show,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// The index of the column with `key`.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    /// The count in `row` under `key` (0 when there is none).
    pub fn count(&self, row: usize, key: &str) -> u64 {
        self.column(key)
            .and_then(|i| self.rows.get(row)?.get(i)?.number())
            .unwrap_or(0)
    }

    /// The columns (with their indices) a format shows.
    pub fn shown(&self, keep: impl Fn(Show) -> bool) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| keep(self.columns[i].show))
            .collect()
    }
}

/// A piece of a sentence: words, or a figure (HTML makes it bold).
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Words(String),
    Figure(String),
}

/// A labelled list: "Causes no longer seen: a, b, and 3 more".
#[derive(Clone, Debug)]
pub struct Fact {
    pub label: String,
    pub values: Vec<Cell>,
    /// How many more values there were than are listed.
    pub more: usize,
}

impl Fact {
    /// The values as one list, each through `cell`: `a, b, and 3 more`, or
    /// the word for none.
    pub fn joined(&self, lang: Lang, cell: impl Fn(&Cell) -> String) -> String {
        let mut text = self.values.iter().map(cell).collect::<Vec<_>>().join(", ");
        if self.values.is_empty() {
            text.push_str(tr(lang, "none"));
        }
        if self.more > 0 {
            text.push_str(&text::and_more(lang, self.more));
        }
        text
    }
}

/// A chart HTML draws beside a section's table, from the table's rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Bars of bounced, deferred and expired per row, titled.
    Statuses(String),
    /// Bars of what became of deferred recipients (delivered, bounced,
    /// expired, pending), all domains first, then per row.
    Outcomes([u64; 4]),
}

/// One cause under "What to do".
#[derive(Clone, Debug)]
pub struct Advice {
    pub cause: Cause,
    pub class: Class,
    /// "12 events, 5 recipients", in the report's language.
    pub counts: String,
    pub what: String,
    pub example: Option<String>,
    pub advice: String,
}

/// Which section a section is (HTML places its charts by it; tests find
/// sections by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id {
    Totals,
    Domains,
    Relays,
    SenderDomains,
    Senders,
    Submitters,
    Hosts,
    Causes,
    Deferrals,
    Incidents,
    Compared,
    Advice,
    Health,
    Unclassified,
    Hours,
}

/// A section of the report.
#[derive(Clone, Debug)]
pub struct Section {
    pub id: Id,
    pub title: String,
    /// A name the title ends with, shown as code (`Compared with FILE`).
    pub title_code: Option<String>,
    /// `(top 5 of 12, most failures first)`.
    pub count: Option<String>,
    pub warning: Option<String>,
    pub lead: Vec<Part>,
    pub note: Option<String>,
    /// Said instead of a table when there are no rows.
    pub empty: Option<String>,
    pub facts: Vec<Fact>,
    pub table: Option<Table>,
    /// Said under the table: what its figures count.
    pub footnote: Option<String>,
    pub chart: Option<Chart>,
    pub advice: Vec<Advice>,
}

impl Section {
    fn new(id: Id, lang: Lang, title: &'static str) -> Section {
        Section {
            id,
            title: tr(lang, title).to_string(),
            title_code: None,
            count: None,
            warning: None,
            lead: Vec::new(),
            note: None,
            empty: None,
            facts: Vec::new(),
            table: None,
            footnote: None,
            chart: None,
            advice: Vec::new(),
        }
    }

    /// The title line: the title, its code name and the count line, each
    /// piece through `text` or `code`. A Chinese count opens with a
    /// full-width parenthesis, which carries its own space.
    pub fn heading(&self, text: impl Fn(&str) -> String, code: impl Fn(&str) -> String) -> String {
        let mut line = text(&self.title);
        if let Some(c) = &self.title_code {
            line.push(' ');
            line.push_str(&code(c));
        }
        if let Some(count) = &self.count {
            if !count.starts_with('（') {
                line.push(' ');
            }
            line.push_str(&text(count));
        }
        line
    }

    /// The table as people see it: none when it has no rows and the
    /// section says so in words instead (CSV still writes its header).
    pub fn people_table(&self) -> Option<&Table> {
        self.table
            .as_ref()
            .filter(|t| !t.rows.is_empty() || self.empty.is_none())
    }

    /// The lead sentence as plain text.
    pub fn lead_text(&self) -> String {
        self.lead
            .iter()
            .map(|p| match p {
                Part::Words(s) | Part::Figure(s) => s.as_str(),
            })
            .collect()
    }
}

/// The report's head: what was read, when, and what must be said first.
#[derive(Clone, Debug, Default)]
pub struct Header {
    pub title: String,
    /// The inputs' names.
    pub inputs: Vec<String>,
    /// Per input, when there are several or one was cut short: its name,
    /// its compression (` (xz)`) and what became of it.
    pub files: Vec<(String, String, String)>,
    pub not_read: Vec<String>,
    /// Labelled lines: window, time span, lines.
    pub facts: Vec<(String, String)>,
    /// `--fail-if` conditions crossed: the condition and its value.
    pub alerts: Vec<(String, String)>,
    pub warnings: Vec<String>,
    /// What our failing resolver did.
    pub resolver: Vec<String>,
}

/// The head of the report.
pub fn header(report: &Report<'_>) -> Header {
    let lang = report.lang;
    let zone = report.zone;
    let a = report.analysis;
    let s = &a.summary;
    let mut h = Header {
        title: tr(lang, "Bounce report").to_string(),
        inputs: a.sources.iter().map(|x| x.name.clone()).collect(),
        ..Header::default()
    };
    for (i, src) in a.sources.iter().enumerate() {
        let c = s.files.get(i).copied().unwrap_or_default();
        let lines = count(lang, c.lines, "line", "lines");
        let detail = match (&src.skipped, &src.error) {
            (Some(why), _) if c.lines > 0 => match lang {
                Lang::En => format!("{lines}, then skipped: {}", why.as_str()),
                Lang::Zh => format!("{lines}，随后跳过：{}", why.as_str()),
            },
            (Some(why), _) => match lang {
                Lang::En => format!("skipped: {}", why.as_str()),
                Lang::Zh => format!("跳过：{}", why.as_str()),
            },
            (None, Some(e)) => match lang {
                Lang::En => format!("{lines}, then: {e}"),
                Lang::Zh => format!("{lines}，随后出错：{e}"),
            },
            (None, None) if a.sources.len() > 1 => lines,
            (None, None) => continue,
        };
        h.files
            .push((src.name.clone(), text::compression(src.compression), detail));
    }
    h.not_read = report.missing.iter().map(ToString::to_string).collect();
    let w = report.window;
    let at = |t: Option<crate::parse::Timestamp>| t.map(|t| text::time(t.unix, zone));
    let window = match (lang, at(w.since), at(w.until)) {
        (_, None, None) => None,
        (Lang::En, Some(a), Some(b)) => Some(format!("from {a} to {b} (end excluded)")),
        (Lang::En, Some(a), None) => Some(format!("from {a}")),
        (Lang::En, None, Some(b)) => Some(format!("before {b}")),
        (Lang::Zh, Some(a), Some(b)) => Some(format!("从 {a} 到 {b}（不含结束时刻）")),
        (Lang::Zh, Some(a), None) => Some(format!("从 {a} 起")),
        (Lang::Zh, None, Some(b)) => Some(format!("{b} 之前")),
    };
    if let Some(w) = window {
        h.facts.push((tr(lang, "Window").to_string(), w));
    }
    let span = match (s.span.0, lang) {
        (Some((a, b)), Lang::En) => format!("{} to {}", text::time(a.unix, zone), text::time(b.unix, zone)),
        (Some((a, b)), Lang::Zh) => format!("{} 至 {}", text::time(a.unix, zone), text::time(b.unix, zone)),
        (None, _) => tr(lang, "no deliveries found").to_string(),
    };
    h.facts.push((tr(lang, "Time span").to_string(), span));
    let l = s.lines();
    let n = thousands;
    let mut lines = match lang {
        Lang::En => format!(
            "{} read: {} Postfix delivery/queue, {} other, {} malformed",
            n(l.lines),
            n(l.parsed),
            n(l.other),
            n(l.malformed)
        ),
        Lang::Zh => format!(
            "读取 {} 行：Postfix 投递/队列 {} 行，其他 {} 行，格式错误 {} 行",
            n(l.lines),
            n(l.parsed),
            n(l.other),
            n(l.malformed)
        ),
    };
    if l.overlong > 0 {
        lines.push_str(&match lang {
            Lang::En => format!(", {} overlong (over 1 MiB: cut, not parsed)", n(l.overlong)),
            Lang::Zh => format!("，超长 {} 行（超过 1 MiB：已截断，未解析）", n(l.overlong)),
        });
    }
    if l.probes > 0 {
        lines.push_str(&match lang {
            Lang::En => format!(
                " ({} address-verification probes, not counted as mail)",
                n(l.probes)
            ),
            Lang::Zh => format!("（{} 次地址验证探测，不计为邮件）", n(l.probes)),
        });
    }
    h.facts.push((tr(lang, "Lines").to_string(), lines));
    h.alerts = report
        .alerts
        .iter()
        .map(|(c, v)| (c.to_string(), c.show(*v)))
        .collect();
    h.warnings = report.warnings.to_vec();
    h.resolver = super::resolver_warnings(report);
    h
}

/// The sections of the report, in order: the totals, then what `--by`
/// asks for (by default: domains, causes, deferrals, incidents, the
/// comparison, what to do, our server, unclassified replies). `complete`
/// keeps every row (CSV); otherwise each table holds its top rows.
pub fn sections(report: &Report<'_>, complete: bool) -> Vec<Section> {
    let top = if complete { usize::MAX } else { report.top };
    let s = &report.analysis.summary;
    // The causes' rows, for the causes table and "What to do" alike.
    let rows = cause_rows(s);
    let mut out = vec![totals(report)];
    let mut add = |x: Option<Section>| out.extend(x);
    match report.by {
        None => {
            add(Some(named(report, Id::Domains, domain_rows(s), top)));
            add(Some(causes(report, &rows, top)));
            add(deferrals(report));
            add(incidents(report, top.min(5), false));
            add(compared(report));
            add(advice(report, &rows, top));
            add(health(report));
            add(unclassified(report, top.min(5), false));
        }
        Some(By::Domain) => add(Some(named(report, Id::Domains, domain_rows(s), top))),
        Some(By::Relay) => add(Some(named(report, Id::Relays, relay_rows(s), top))),
        Some(By::SenderDomain) => add(Some(named(report, Id::SenderDomains, sender_domain_rows(s), top))),
        Some(By::Sender) => {
            add(Some(named(report, Id::Senders, sender_rows(s), top)));
            if !s.by_sasl_user.is_empty() {
                add(Some(named(report, Id::Submitters, sasl_rows(s), top)));
            }
        }
        Some(By::Host) => add(Some(named(report, Id::Hosts, host_rows(s), top))),
        Some(By::Cause) => {
            add(Some(causes(report, &rows, top)));
            add(advice(report, &rows, top));
        }
        Some(By::Hour) => add(Some(hours(report))),
        Some(By::Incident) => add(incidents(report, top, true)),
        Some(By::Unclassified) => add(unclassified(report, top, true)),
    }
    out
}

/// The table of the `--by` breakdown (by default the domains) with every
/// row: what CSV writes.
pub fn breakdown(report: &Report<'_>) -> Option<Table> {
    let by = Report {
        by: Some(report.by.unwrap_or(By::Domain)),
        ..*report
    };
    sections(&by, true)
        .into_iter()
        .filter(|s| s.id != Id::Totals)
        .find_map(|s| s.table)
}

/// The totals: one row of figures, and with `--compare` one of changes.
fn totals(report: &Report<'_>) -> Section {
    let lang = report.lang;
    let s = &report.analysis.summary;
    let mut x = Section::new(Id::Totals, lang, "Totals");
    let mut columns: Vec<(&'static str, &'static str, bool, Show)> = Vec::new();
    let mut now = Vec::new();
    let mut before = Vec::new();
    let p = report.previous;
    let mut figure = |key, label, n: u64, then: Option<u64>| {
        columns.push((key, label, true, Show::ALL));
        now.push(Cell::Count(n));
        before.push(then.map_or(Cell::Empty, |b| Cell::Change {
            before: Some(b),
            now: n,
        }));
    };
    figure(
        "sent",
        "sent",
        s.totals.get(Status::Sent),
        p.map(|p| p.totals.get(Status::Sent)),
    );
    figure(
        "bounced",
        "bounced",
        s.totals.get(Status::Bounced),
        p.map(|p| p.totals.get(Status::Bounced)),
    );
    figure(
        "deferred",
        "deferrals",
        s.totals.get(Status::Deferred),
        p.map(|p| p.totals.get(Status::Deferred)),
    );
    figure(
        "deferred_recipients",
        "deferred rcpts",
        s.deferred_outcomes.total(),
        None,
    );
    figure(
        "expired",
        "expired",
        s.totals.get(Status::Expired),
        p.map(|p| p.totals.get(Status::Expired)),
    );
    // Recipients handed to a content filter only when there were some:
    // most servers have no such filter.
    if s.handed_to_filter > 0 {
        figure("handed_to_filter", "handed to filter", s.handed_to_filter, None);
    }
    columns.push(("bounce_rate", "bounce rate", true, Show::ALL));
    let rate = s.totals.bounce_rate();
    now.push(Cell::Percent(rate));
    before.push(Cell::RateChange {
        before: p.and_then(|p| p.totals.bounce_rate()),
        now: rate,
    });
    x.footnote = Some(match lang {
        Lang::En => "Counted per recipient; deferrals are every deferred attempt (a recipient tried five \
                     times is five deferrals and one deferred rcpt)."
            .into(),
        Lang::Zh => {
            "按收件人计；延迟次数计每一次被延迟的尝试（一个收件人重试五次计五次延迟、一个延迟收件人）。"
                .into()
        }
    });
    if p.is_some() {
        columns.insert(0, ("run", "", false, Show::PEOPLE));
        now.insert(0, Cell::Plain(tr(lang, "this run").to_string()));
        before.insert(0, Cell::Plain(tr(lang, "vs previous").to_string()));
    }
    let mut t = Table::new(lang, &columns);
    t.rows.push(now);
    if p.is_some() {
        t.rows.push(before);
    }
    x.table = Some(t);
    x
}

/// A breakdown by a name: domains, relays, senders, sender domains, hosts,
/// authenticated submitters.
fn named(report: &Report<'_>, id: Id, rows: Vec<Row<'_>>, top: usize) -> Section {
    let lang = report.lang;
    let (title, key, label, per) = match id {
        Id::Relays => ("Relays", "relay", "relay", "relay"),
        Id::SenderDomains => (
            "Sender domains",
            "sender_domain",
            "sender domain",
            "sender domain",
        ),
        Id::Senders => ("Senders", "sender", "sender", "sender"),
        Id::Submitters => (
            "Authenticated submitters",
            "sasl_username",
            "sasl_username",
            "submitter",
        ),
        Id::Hosts => ("Hosts", "host", "host", "host"),
        _ => ("Recipient domains", "domain", "domain", "domain"),
    };
    let mut x = Section::new(id, lang, title);
    let shown = rows.len().min(top);
    x.count = Some(text::top_of(lang, shown, rows.len(), "most failures first"));
    // Domains and relays have a main cause; senders, sender domains and
    // hosts are counted by status only (CSV keeps the empty column).
    let with_cause = matches!(id, Id::Domains | Id::Relays);
    let previous = report.previous.filter(|_| id == Id::Domains);
    let mut columns = vec![
        (key, label, false, Show::ALL),
        ("sent", "sent", true, Show::ALL),
        ("bounced", "bounced", true, Show::ALL),
        ("deferred", "deferrals", true, Show::ALL),
        ("expired", "expired", true, Show::ALL),
        ("bounce_rate", "bounce rate", true, Show::ALL),
        (
            "main_cause",
            "main cause",
            false,
            if with_cause { Show::ALL } else { Show::DATA },
        ),
    ];
    if previous.is_some() {
        columns.push(("vs_previous", "vs previous", true, Show::PEOPLE));
    }
    let mut t = Table::new(lang, &columns);
    for r in rows.iter().take(top) {
        let c = r.counts;
        let mut row = vec![
            Cell::Name(r.key.map(str::to_string)),
            Cell::Count(c.get(Status::Sent)),
            Cell::Count(c.get(Status::Bounced)),
            Cell::Count(c.get(Status::Deferred)),
            Cell::Count(c.get(Status::Expired)),
            Cell::Percent(c.bounce_rate()),
            r.main_cause.map_or(Cell::Empty, Cell::Cause),
        ];
        if let Some(p) = previous {
            row.push(Cell::Change {
                before: p.domain(r.key),
                now: c.failures(),
            });
        }
        t.rows.push(row);
    }
    x.chart = Some(Chart::Statuses(match lang {
        Lang::En => format!("Failures per {per}"),
        Lang::Zh => format!("每个{}的失败数", tr(lang, label)),
    }));
    x.table = Some(t);
    x
}

/// Causes with their counts, class and share.
fn causes(report: &Report<'_>, rows: &[CauseRow<'_>], top: usize) -> Section {
    let lang = report.lang;
    let mut x = Section::new(Id::Causes, lang, "Causes");
    if rows.is_empty() {
        x.empty = Some(text::no_failures(lang).into());
    }
    let mut columns = vec![
        ("cause", "cause", false, Show::ALL),
        ("class", "class", false, Show::ALL),
        ("bounced", "bounced", true, Show::ALL),
        ("deferred", "deferrals", true, Show::ALL),
        ("expired", "expired", true, Show::ALL),
        ("recipients", "recipients", true, Show::ALL),
        ("share", "share", true, Show::ALL),
        ("description", "description", false, Show::DATA),
        ("advice", "advice", false, Show::DATA),
        ("example", "example", false, Show::DATA),
    ];
    if report.previous.is_some() {
        columns.push(("vs_previous", "vs previous", true, Show::PEOPLE));
    }
    let mut t = Table::new(lang, &columns);
    for r in rows.iter().take(top) {
        let info = report.catalogue.cause_info(r.cause);
        let mut row = vec![
            Cell::Cause(r.cause),
            Cell::Class(cause_class(r.cause, &r.counts)),
            Cell::Count(r.counts.get(Status::Bounced)),
            Cell::Count(r.counts.get(Status::Deferred)),
            Cell::Count(r.counts.get(Status::Expired)),
            Cell::Count(r.recipients as u64),
            Cell::Percent(Some(r.share)),
            Cell::Plain(info.description(lang).to_string()),
            Cell::Plain(super::advice(report.catalogue, r, lang).to_string()),
            Cell::Text(r.example.unwrap_or("").to_string()),
        ];
        if let Some(p) = report.previous {
            row.push(Cell::Change {
                before: p.cause(r.cause),
                now: r.counts.failures(),
            });
        }
        t.rows.push(row);
    }
    x.count = (rows.len() > top).then(|| text::top_of(lang, top, rows.len(), "most failures first"));
    if !rows.is_empty() {
        x.chart = Some(Chart::Statuses(match lang {
            Lang::En => "Failures per cause".into(),
            Lang::Zh => "每个原因的失败数".into(),
        }));
    }
    x.table = Some(t);
    x
}

/// What became of deferred recipients, as a sentence.
pub fn deferral_sentence(o: &Outcomes, lang: Lang) -> Vec<Part> {
    let w = |s: &str| Part::Words(s.to_string());
    let f = |n: u64| Part::Figure(thousands(n));
    let later = o.median_delay().map(text::duration);
    match lang {
        Lang::En => {
            let mut v = vec![
                w("Of "),
                f(o.total()),
                w(&format!(
                    " deferred {}, ",
                    if o.total() == 1 { "recipient" } else { "recipients" }
                )),
                f(o.delivered),
                w(&format!(
                    " {} delivered later",
                    if o.delivered == 1 { "was" } else { "were" }
                )),
            ];
            if let Some(d) = later {
                v.extend([w(" (median delay "), Part::Figure(d), w(")")]);
            }
            v.extend([
                w(", "),
                f(o.bounced),
                w(" bounced, "),
                f(o.expired),
                w(" expired, "),
                f(o.pending),
                w(" still pending."),
            ]);
            v
        }
        Lang::Zh => {
            let mut v = vec![
                w("在 "),
                f(o.total()),
                w(" 个延迟的收件人中，"),
                f(o.delivered),
                w(" 个后来投递成功"),
            ];
            if let Some(d) = later {
                v.extend([w("（中位延迟 "), Part::Figure(d), w("）")]);
            }
            v.extend([
                w("，"),
                f(o.bounced),
                w(" 个退信，"),
                f(o.expired),
                w(" 个过期，"),
                f(o.pending),
                w(" 个仍在队列。"),
            ]);
            v
        }
    }
}

fn deferrals(report: &Report<'_>) -> Option<Section> {
    let lang = report.lang;
    let all = &report.analysis.summary.deferred_outcomes;
    if all.total() == 0 {
        return None;
    }
    let mut x = Section::new(Id::Deferrals, lang, "Deferrals");
    x.count = Some(match lang {
        Lang::En => "(what became of deferred mail)".into(),
        Lang::Zh => "（延迟邮件最后怎样了）".into(),
    });
    x.lead = deferral_sentence(all, lang);
    let mut t = Table::new(
        lang,
        &[
            ("domain", "domain", false, Show::ALL),
            ("deferred", "deferred rcpts", true, Show::ALL),
            ("delivered", "delivered", true, Show::ALL),
            ("median_delay", "median delay", true, Show::ALL),
            ("bounced", "bounced", true, Show::ALL),
            ("expired", "expired", true, Show::ALL),
            ("pending", "pending", true, Show::ALL),
        ],
    );
    for (domain, o) in deferral_domains(report) {
        t.rows.push(vec![
            Cell::Name(super::key(domain).map(str::to_string)),
            Cell::Count(o.total()),
            Cell::Count(o.delivered),
            Cell::Delay(o.median_delay()),
            Cell::Count(o.bounced),
            Cell::Count(o.expired),
            Cell::Count(o.pending),
        ]);
    }
    x.chart = Some(Chart::Outcomes([
        all.delivered,
        all.bounced,
        all.expired,
        all.pending,
    ]));
    x.table = Some(t);
    Some(x)
}

/// Runs of failures to one domain with one cause. `always`: said even
/// when there are none (`--by incident`).
fn incidents(report: &Report<'_>, top: usize, always: bool) -> Option<Section> {
    let lang = report.lang;
    let all = &report.analysis.incidents;
    if all.is_empty() && !always {
        return None;
    }
    let mut x = Section::new(Id::Incidents, lang, "Incidents");
    if all.is_empty() {
        x.empty = Some(match lang {
            Lang::En => "None: no domain failed twice in a row with one cause.".into(),
            Lang::Zh => "无：没有域名因同一原因连续失败两次以上。".into(),
        });
    }
    let ongoing = all.ongoing() as u64;
    x.count = (!all.is_empty()).then(|| match lang {
        Lang::En => format!(
            "(top {} of {}, {} ongoing; most recipients first)",
            all.len().min(top),
            thousands(all.len() as u64),
            thousands(ongoing)
        ),
        Lang::Zh => format!(
            "（共 {} 起，{} 起持续中，显示前 {} 起，按收件人数排序）",
            thousands(all.len() as u64),
            thousands(ongoing),
            all.len().min(top)
        ),
    });
    let mut t = Table::new(
        lang,
        &[
            ("domain", "domain", false, Show::ALL),
            ("cause", "cause", false, Show::ALL),
            ("from", "from", false, Show::PEOPLE),
            ("to", "to", false, Show::PEOPLE),
            ("start", "start", false, Show::DATA),
            ("end", "end", false, Show::DATA),
            ("attempts", "tries", true, Show::ALL),
            ("recipients", "rcpts", true, Show::ALL),
            ("state", "state", false, Show::PEOPLE),
            ("recovered", "recovered", false, Show::DATA),
            ("ongoing", "ongoing", false, Show::DATA),
            ("sample", "example", false, Show::DATA),
        ],
    );
    for i in all.iter().take(top) {
        let state = match (i.ongoing, i.recovered) {
            (true, _) => tr(lang, "ongoing").to_string(),
            (false, Some(r)) => format!(
                "{} {}",
                tr(lang, "ok"),
                text::minute(r, Some(i.start), report.zone)
            ),
            (false, None) => tr(lang, "other cause").to_string(),
        };
        t.rows.push(vec![
            Cell::Name(Some(i.domain.to_string())),
            Cell::Cause(i.cause),
            Cell::Minute {
                at: i.start,
                since: None,
            },
            Cell::Minute {
                at: i.end,
                since: Some(i.start),
            },
            Cell::Time(i.start),
            Cell::Time(i.end),
            Cell::Count(i.attempts),
            Cell::Count(i.recipients),
            Cell::Plain(state),
            i.recovered.map_or(Cell::Empty, Cell::Time),
            Cell::Plain(i.ongoing.to_string()),
            Cell::Text(i.sample().into_owned()),
        ]);
    }
    x.table = Some(t);
    Some(x)
}

/// With `--compare`: the earlier run, and what failed then and no longer.
fn compared(report: &Report<'_>) -> Option<Section> {
    let lang = report.lang;
    let previous = report.previous?;
    let mut x = Section::new(Id::Compared, lang, "Compared with");
    x.title_code = Some(previous.name.clone());
    let (domains, causes) = crate::compare::gone(previous, &report.analysis.summary);
    x.facts.push(Fact {
        label: tr(lang, "Failures then").to_string(),
        values: vec![Cell::Count(previous.totals.failures())],
        more: 0,
    });
    let list = |label: &'static str, v: Vec<Cell>| {
        let more = v.len().saturating_sub(report.top);
        Fact {
            label: tr(lang, label).to_string(),
            values: v.into_iter().take(report.top).collect(),
            more,
        }
    };
    x.facts.push(list(
        "Causes no longer seen",
        causes
            .iter()
            .map(|c| {
                c.parse::<Cause>()
                    .map_or_else(|_| Cell::Plain(c.clone()), Cell::Cause)
            })
            .collect(),
    ));
    x.facts.push(list(
        "Domains now failure-free",
        domains.into_iter().map(|d| Cell::Name(Some(d))).collect(),
    ));
    Some(x)
}

/// For each cause: what it means, one real reply, and what to do.
fn advice(report: &Report<'_>, rows: &[CauseRow<'_>], top: usize) -> Option<Section> {
    let lang = report.lang;
    if rows.is_empty() {
        return None;
    }
    let mut x = Section::new(Id::Advice, lang, "What to do");
    x.note = Some(super::hard_note(lang).to_string());
    for r in rows.iter().take(top) {
        let info = report.catalogue.cause_info(r.cause);
        let sep = if lang == Lang::Zh { "，" } else { ", " };
        x.advice.push(Advice {
            cause: r.cause,
            class: cause_class(r.cause, &r.counts),
            counts: format!(
                "{}{sep}{}",
                count(lang, r.counts.failures(), "event", "events"),
                count(lang, r.recipients as u64, "recipient", "recipients")
            ),
            what: info.description(lang).to_string(),
            example: r.example.map(str::to_string),
            advice: super::advice(report.catalogue, r, lang).to_string(),
        });
    }
    Some(x)
}

/// The server's own trouble: Postfix's warnings and worse, and what our
/// smtpd refused.
fn health(report: &Report<'_>) -> Option<Section> {
    let lang = report.lang;
    let h = &report.analysis.summary.health;
    let sentence = super::health_sentence(h, lang)?;
    let mut x = Section::new(Id::Health, lang, "Our server");
    x.warning = super::health_alarm(h, lang);
    x.lead = vec![Part::Words(sentence)];
    let mut t = Table::new(
        lang,
        &[
            ("lines", "lines", true, Show::ALL),
            ("kind", "kind", false, Show::ALL),
            ("service", "service", false, Show::ALL),
            ("message", "message (masked)", false, Show::ALL),
            ("last", "last", false, Show::ALL),
        ],
    );
    for g in super::health_rows(h, super::HEALTH_SHOWN) {
        t.rows.push(vec![
            Cell::Count(g.count),
            Cell::Plain(g.kind.as_str().to_string()),
            Cell::Name(Some(g.service.to_string())),
            Cell::Text(g.text.to_string()),
            Cell::Time(g.last),
        ]);
    }
    x.table = Some(t);
    Some(x)
}

/// The commonest replies no rule classified, grouped by their masked text:
/// what the catalogue should learn next. `always`: said even when there
/// are none (`--by unclassified`).
fn unclassified(report: &Report<'_>, top: usize, always: bool) -> Option<Section> {
    let lang = report.lang;
    let rows = unclassified_rows(&report.analysis.summary);
    let mut x = Section::new(Id::Unclassified, lang, "Unclassified replies");
    if rows.is_empty() {
        if !always {
            return None;
        }
        x.empty = Some(match lang {
            Lang::En => "None: a rule classified every reply.".into(),
            Lang::Zh => "无：每条回复都有规则分类。".into(),
        });
    }
    let total: u64 = rows.iter().map(|r| r.events).sum();
    x.count = (!rows.is_empty()).then(|| match lang {
        Lang::En => format!(
            "(top {} of {}, {})",
            rows.len().min(top),
            count(lang, rows.len() as u64, "group", "groups"),
            count(lang, total, "event", "events")
        ),
        Lang::Zh => format!(
            "（共 {} 组，{} 个事件，显示前 {} 组）",
            thousands(rows.len() as u64),
            thousands(total),
            rows.len().min(top)
        ),
    });
    x.note = (!rows.is_empty()).then(|| match lang {
        Lang::En => "Replies no rule knows, with addresses, hosts and numbers masked: what the catalogue should learn next (add rules with --patterns DIR).".into(),
        Lang::Zh => "没有规则认识的回复（地址、主机名和数字已脱敏）：规则库下一步该学的内容（用 --patterns DIR 添加规则）。".into(),
    });
    let mut t = Table::new(
        lang,
        &[
            ("pattern", "pattern", false, Show::DATA),
            ("events", "events", true, Show::ALL),
            ("reply", "reply (normalised)", false, Show::PEOPLE),
            ("example", "example", false, Show::WIDE),
        ],
    );
    for r in rows.iter().take(top) {
        t.rows.push(vec![
            Cell::Text(r.pattern.to_string()),
            Cell::Count(r.events),
            Cell::Text(r.pattern.to_string()),
            r.example.map_or(Cell::Empty, |e| Cell::Text(e.to_string())),
        ]);
    }
    x.table = Some(t);
    Some(x)
}

/// Failures per hour, with a bar in the text table.
fn hours(report: &Report<'_>) -> Section {
    let lang = report.lang;
    let hours = &report.analysis.summary.by_hour;
    let mut x = Section::new(Id::Hours, lang, "Failures per hour");
    let max = hours.values().map(|c| c.failures()).max().unwrap_or(0).max(1);
    let mut t = Table::new(
        lang,
        &[
            ("hour", "hour", false, Show::ALL),
            ("bounced", "bounced", true, Show::ALL),
            ("deferred", "deferrals", true, Show::ALL),
            ("expired", "expired", true, Show::ALL),
            ("bar", "", false, Show::TEXT),
        ],
    );
    for (&h, c) in hours {
        t.rows.push(vec![
            Cell::Time(h * 3600),
            Cell::Count(c.get(Status::Bounced)),
            Cell::Count(c.get(Status::Deferred)),
            Cell::Count(c.get(Status::Expired)),
            Cell::Bar {
                value: c.failures(),
                max,
            },
        ]);
    }
    x.table = Some(t);
    x
}
