//! `--format json`: one summary object (SPEC "Machine-readable output"):
//! `totals`, `by_domain`, `by_cause` and the other breakdowns, complete (not
//! cut by `--top`), counted in events.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{
    cause_class, cause_rows, domain_rows, host_rows, relay_rows, sasl_rows, sender_domain_rows, sender_rows,
    unclassified_rows, Report, Row,
};
use crate::aggregate::{Outcomes, StatusCounts};
use crate::cause::Status;
use crate::compare::{self, Change};
use crate::window;

#[derive(Serialize)]
struct Summary<'a> {
    files: Vec<File<'a>>,
    span: Span,
    window: Window,
    /// `--fail-if` conditions that were crossed.
    alerts: Vec<Alert>,
    /// Why this report is not an all-clear (no lines read, an empty
    /// window, a log that stopped); empty when there is no such reason.
    warnings: &'a [String],
    /// The time of the last Postfix line read (in the window or not).
    last_log_line: Option<String>,
    totals: Totals,
    by_domain: Vec<Breakdown<'a>>,
    by_cause: Vec<Cause<'a>>,
    by_relay: Vec<Renamed<'a>>,
    by_sender_domain: Vec<Breakdown<'a>>,
    by_sender: Vec<Renamed<'a>>,
    /// By the authenticated submitter (smtpd's sasl_username).
    by_sasl_username: Vec<Renamed<'a>>,
    by_host: Vec<Renamed<'a>>,
    /// Replies no rule classified, grouped by their normalised text.
    unclassified: Vec<Unclassified<'a>>,
    /// Runs of failures to one domain with one cause, largest first.
    incidents: IncidentsJson<'a>,
    /// Failure events that stood alone, in no incident: with the incidents'
    /// attempts they add up to all failures.
    single_failures: u64,
    /// Stretches in which this host's resolver, not the domains, failed
    /// ("Host not found" for domains that received mail, or for many at once).
    resolver_incidents: Vec<ResolverIncidentJson<'a>>,
    /// The server's own warnings, errors and refusals (pflogsumm's
    /// "Warnings", "Fatal Errors", "Panics" and NOQUEUE rejects).
    server_health: ServerHealthJson<'a>,
    by_hour: Vec<Hour>,
    deferred_outcomes: DeferredOutcomes,
    /// Against `--compare PREVIOUS.json`: failures now and then.
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<Compared>,
    /// The tables that hold more distinct keys than the limit and are an
    /// approximate top-K (README "What grows with the input"); only when
    /// there are some.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    approximate: BTreeMap<&'static str, crate::topk::Approximation>,
    /// Fields `merge` could not make exact (README "Many servers"); only
    /// in a merged summary, and only when there are some.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    estimated: &'a [String],
    /// The summaries a merge read whose counts a later run of their
    /// `--state` chain already holds (docs/merge.md); only in a merged
    /// summary, and only when there are some.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    superseded: &'a [String],
    /// What `merge` needs beyond the fields above (docs/merge.md).
    merge_state: crate::merge::State,
}

#[derive(Serialize)]
struct Compared {
    previous: String,
    failures: u64,
    previous_failures: u64,
    by_domain: Vec<Moved>,
    by_cause: Vec<Moved>,
}

/// One domain's or cause's failures now and in the earlier run.
#[derive(Serialize)]
struct Moved {
    name: Option<String>,
    failures: u64,
    previous: u64,
    /// `new`, `up`, `down` or `same`; a name with failures only in the
    /// earlier run is `gone`.
    change: &'static str,
}

fn moved(name: Option<String>, now: u64, before: Option<u64>) -> Moved {
    let change = match (Change::between(before, now), now) {
        (_, 0) if before.unwrap_or(0) > 0 => "gone",
        (Change::New, _) => "new",
        (Change::Up(_), _) => "up",
        (Change::Down(_), _) => "down",
        (Change::Same, _) => "same",
    };
    Moved {
        name,
        failures: now,
        previous: before.unwrap_or(0),
        change,
    }
}

fn compared(report: &Report<'_>) -> Option<Compared> {
    let p = report.previous?;
    let s = &report.analysis.summary;
    let mut by_domain: Vec<Moved> = domain_rows(s)
        .iter()
        .filter(|r| r.counts.failures() > 0 || p.domain(r.key).unwrap_or(0) > 0)
        .map(|r| moved(r.key.map(String::from), r.counts.failures(), p.domain(r.key)))
        .collect();
    let (gone_domains, gone_causes) = compare::gone(p, s);
    by_domain.extend(
        gone_domains
            .into_iter()
            .filter(|d| !s.by_domain.contains_key(d))
            .map(|d| {
                let before = p.domains.get(&d).copied();
                moved((!d.is_empty()).then_some(d), 0, before)
            }),
    );
    let mut by_cause: Vec<Moved> = cause_rows(s)
        .iter()
        .map(|r| {
            moved(
                Some(r.cause.as_str().into()),
                r.counts.failures(),
                p.cause(r.cause),
            )
        })
        .collect();
    by_cause.extend(gone_causes.into_iter().map(|c| {
        let before = p.causes.get(&c).copied();
        moved(Some(c), 0, before)
    }));
    Some(Compared {
        previous: p.name.clone(),
        failures: s.totals.failures(),
        previous_failures: p.totals.failures(),
        by_domain,
        by_cause,
    })
}

#[derive(Serialize)]
struct File<'a> {
    name: &'a str,
    compression: Option<&'static str>,
    lines: u64,
    /// Lines over 1 MiB: cut, not parsed.
    overlong: u64,
    bytes: u64,
    error: Option<&'a str>,
    /// Why the file, or its rest, was not read: it cannot hold the window.
    skipped: Option<&'static str>,
    /// Lines stamped past `--until` that came before lines inside the
    /// window: read over, and the file read to its end.
    out_of_order: u64,
}

#[derive(Serialize)]
struct Span {
    first: Option<String>,
    last: Option<String>,
}

#[derive(Serialize)]
struct Window {
    since: Option<String>,
    until: Option<String>,
}

#[derive(Serialize)]
struct Alert {
    condition: String,
    value: f64,
}

#[derive(Serialize)]
struct Totals {
    sent: u64,
    bounced: u64,
    deferred: u64,
    expired: u64,
    /// Recipients handed to a content filter: not sent, not events.
    handed_to_filter: u64,
    bounce_rate: Option<f64>,
    /// Distinct recipient addresses with a bounced event.
    distinct_bounced_recipients: usize,
    lines: u64,
    parsed: u64,
    other: u64,
    malformed: u64,
    /// Lines over 1 MiB (`scan::MAX_LINE`): cut, counted, not parsed.
    overlong: u64,
    probes: u64,
}

#[derive(Serialize)]
struct Breakdown<'a> {
    domain: Option<&'a str>,
    sent: u64,
    bounced: u64,
    deferred: u64,
    expired: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    main_cause: Option<&'static str>,
    /// What became of this domain's deferred recipients.
    #[serde(skip_serializing_if = "Option::is_none")]
    deferred_outcomes: Option<DeferredOutcomes>,
}

#[derive(Serialize)]
struct Cause<'a> {
    cause: &'static str,
    class: &'static str,
    bounced: u64,
    deferred: u64,
    expired: u64,
    recipients: usize,
    share: f64,
    example: Option<&'a str>,
    description: &'a str,
    advice: &'a str,
    /// What became of the recipients whose last deferral had this cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    deferred_outcomes: Option<DeferredOutcomes>,
}

#[derive(Serialize)]
pub struct IncidentJson<'a> {
    domain: &'a str,
    cause: &'static str,
    start: String,
    end: String,
    attempts: u64,
    recipients: u64,
    recovered: Option<String>,
    ongoing: bool,
    sample: Cow<'a, str>,
}

/// One incident as JSON (also one line of `--by incident -f jsonl`).
/// The incidents, each made and written in turn.
struct IncidentsJson<'a>(&'a crate::incident::Incidents, window::Zone);

impl Serialize for IncidentsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for i in self.0.iter() {
            seq.serialize_element(&incident_json(&i, self.1))?;
        }
        seq.end()
    }
}

pub fn incident_json<'a>(i: &'a crate::incident::Incident, zone: window::Zone) -> IncidentJson<'a> {
    let at = |t: i64| shown_at(t, zone);
    IncidentJson {
        domain: &i.domain,
        cause: i.cause.as_str(),
        start: at(i.start),
        end: at(i.end),
        attempts: i.attempts,
        recipients: i.recipients,
        recovered: i.recovered.map(at),
        ongoing: i.ongoing,
        sample: i.sample(),
    }
}

/// Seconds since the epoch as RFC 3339 in the report's zone.
fn shown_at(t: i64, zone: window::Zone) -> String {
    window::show(crate::parse::Timestamp { unix: t, offset: 0 }, zone)
}

#[derive(Serialize)]
struct ServerHealthJson<'a> {
    warnings: u64,
    errors: u64,
    fatal: u64,
    panics: u64,
    /// smtpd's `NOQUEUE: reject:` lines: mail offered to us and refused.
    rejects: u64,
    /// Of those lines, the ones that say our disk is full (`452 4.3.1
    /// Insufficient system storage`, "not enough free space").
    disk_full: u64,
    /// Lines counted above but in no group (past `health::MAX_GROUPS`).
    ungrouped: u64,
    /// Warnings, errors, fatal and panic lines by masked text, gravest first.
    messages: Vec<HealthGroupJson<'a>>,
    /// Refusals by stage, code and masked reason, commonest first.
    reject_reasons: Vec<HealthGroupJson<'a>>,
}

#[derive(Serialize)]
struct HealthGroupJson<'a> {
    kind: &'static str,
    service: &'a str,
    text: &'a str,
    count: u64,
    first: String,
    last: String,
}

fn health_group(g: &crate::health::Group, zone: window::Zone) -> HealthGroupJson<'_> {
    HealthGroupJson {
        kind: g.kind.as_str(),
        service: &g.service,
        text: &g.text,
        count: g.count,
        first: shown_at(g.first, zone),
        last: shown_at(g.last, zone),
    }
}

fn server_health(h: &crate::health::Health, zone: window::Zone) -> ServerHealthJson<'_> {
    use crate::parse::ServerKind;
    let messages = h.messages().into_iter().map(|g| health_group(g, zone)).collect();
    let reject_reasons = h.rejects().into_iter().map(|g| health_group(g, zone)).collect();
    ServerHealthJson {
        warnings: h.count(ServerKind::Warning),
        errors: h.count(ServerKind::Error),
        fatal: h.count(ServerKind::Fatal),
        panics: h.count(ServerKind::Panic),
        rejects: h.count(ServerKind::Reject),
        disk_full: h.disk_full(),
        ungrouped: h.ungrouped,
        messages,
        reject_reasons,
    }
}

#[derive(Serialize)]
struct ResolverIncidentJson<'a> {
    start: String,
    end: String,
    failures: u64,
    domains: u64,
    delivered_domains: u64,
    sample_domains: &'a [String],
}

#[derive(Serialize)]
struct Unclassified<'a> {
    pattern: &'a str,
    events: u64,
    example: Option<&'a str>,
}

/// A breakdown row keyed by `name` instead of `domain`, its keys in
/// alphabetical order (they went through serde_json's `Value` once, whose
/// map sorts them; made that way, `by_relay` and the other three took a
/// quarter of the 100 MB benchmark log's JSON report).
struct Renamed<'a> {
    name: &'static str,
    row: Breakdown<'a>,
}

/// A value of a [`Renamed`] row.
enum Field<'a> {
    Count(u64),
    Rate(f64),
    Text(Option<&'a str>),
}

impl Serialize for Field<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Count(n) => s.serialize_u64(*n),
            Field::Rate(x) => s.serialize_f64(*x),
            Field::Text(t) => t.serialize(s),
        }
    }
}

impl Serialize for Renamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = &self.row;
        let mut fields = vec![
            ("bounced", Field::Count(r.bounced)),
            ("deferred", Field::Count(r.deferred)),
            ("expired", Field::Count(r.expired)),
            ("sent", Field::Count(r.sent)),
            (self.name, Field::Text(r.domain)),
        ];
        if let Some(rate) = r.bounce_rate {
            fields.push(("bounce_rate", Field::Rate(rate)));
        }
        if let Some(cause) = r.main_cause {
            fields.push(("main_cause", Field::Text(Some(cause))));
        }
        fields.sort_unstable_by_key(|f| f.0);
        let mut map = s.serialize_map(Some(fields.len()))?;
        for (key, value) in &fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

fn renamed<'a>(r: &Row<'a>, name: &'static str) -> Renamed<'a> {
    Renamed {
        name,
        row: breakdown(r),
    }
}

#[derive(Serialize)]
struct Hour {
    hour: String,
    bounced: u64,
    deferred: u64,
    expired: u64,
}

#[derive(Serialize)]
struct DeferredOutcomes {
    delivered: u64,
    bounced: u64,
    expired: u64,
    pending: u64,
    /// Median seconds from the first deferral to the delivery.
    median_delay_seconds: Option<u32>,
}

impl From<&Outcomes> for DeferredOutcomes {
    fn from(o: &Outcomes) -> Self {
        DeferredOutcomes {
            delivered: o.delivered,
            bounced: o.bounced,
            expired: o.expired,
            pending: o.pending,
            median_delay_seconds: o.median_delay(),
        }
    }
}

/// The outcomes of a breakdown row, when it had deferrals.
fn outcomes(o: Option<&Outcomes>) -> Option<DeferredOutcomes> {
    o.filter(|o| o.total() > 0).map(DeferredOutcomes::from)
}

fn breakdown<'a>(r: &Row<'a>) -> Breakdown<'a> {
    let c: &StatusCounts = &r.counts;
    Breakdown {
        deferred_outcomes: None,
        domain: r.key,
        sent: c.get(Status::Sent),
        bounced: c.get(Status::Bounced),
        deferred: c.get(Status::Deferred),
        expired: c.get(Status::Expired),
        bounce_rate: c.bounce_rate().map(round4),
        main_cause: r.main_cause.map(|c| c.as_str()),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.analysis.summary;
    let lines = s.lines();
    let files = report
        .analysis
        .sources
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let counts = s.files.get(i).copied().unwrap_or_default();
            File {
                name: &src.name,
                compression: src.compression.map(|c| c.as_str()),
                lines: counts.lines,
                overlong: counts.overlong,
                bytes: counts.bytes,
                error: src.error.as_deref(),
                skipped: src.skipped.map(|w| w.as_str()),
                out_of_order: src.out_of_order,
            }
        })
        .collect();
    let summary = Summary {
        files,
        span: Span {
            first: s.span.0.map(|(a, _)| a.rfc3339()),
            last: s.span.0.map(|(_, b)| b.rfc3339()),
        },
        window: Window {
            since: report.window.since.map(|t| window::show(t, report.zone)),
            until: report.window.until.map(|t| window::show(t, report.zone)),
        },
        warnings: report.warnings,
        last_log_line: s.last_record.map(|t| t.rfc3339()),
        alerts: report
            .alerts
            .iter()
            .map(|(c, v)| Alert {
                condition: c.to_string(),
                value: *v,
            })
            .collect(),
        totals: Totals {
            sent: s.totals.get(Status::Sent),
            bounced: s.totals.get(Status::Bounced),
            deferred: s.totals.get(Status::Deferred),
            expired: s.totals.get(Status::Expired),
            handed_to_filter: s.handed_to_filter,
            bounce_rate: s.totals.bounce_rate().map(round4),
            distinct_bounced_recipients: s.bounced_recipients.len(),
            lines: lines.lines,
            parsed: lines.parsed,
            other: lines.other,
            malformed: lines.malformed,
            overlong: lines.overlong,
            probes: lines.probes,
        },
        by_domain: domain_rows(s)
            .iter()
            .map(|r| Breakdown {
                deferred_outcomes: outcomes(s.outcomes_by_domain.get(r.key.unwrap_or(""))),
                ..breakdown(r)
            })
            .collect(),
        by_cause: cause_rows(s)
            .iter()
            .map(|r| {
                let info = report.catalogue.cause_info(r.cause);
                Cause {
                    cause: r.cause.as_str(),
                    class: cause_class(r.cause, &r.counts).as_str(),
                    bounced: r.counts.get(Status::Bounced),
                    deferred: r.counts.get(Status::Deferred),
                    expired: r.counts.get(Status::Expired),
                    recipients: r.recipients,
                    share: round4(r.share),
                    example: r.example,
                    description: info.description(report.lang),
                    advice: super::advice(report.catalogue, r, report.lang),
                    deferred_outcomes: outcomes(s.outcomes_by_cause.get(r.cause.index())),
                }
            })
            .collect(),
        by_relay: relay_rows(s).iter().map(|r| renamed(r, "relay")).collect(),
        by_sender_domain: sender_domain_rows(s).iter().map(|r| breakdown(r)).collect(),
        by_sender: sender_rows(s).iter().map(|r| renamed(r, "sender")).collect(),
        by_sasl_username: sasl_rows(s).iter().map(|r| renamed(r, "sasl_username")).collect(),
        by_host: host_rows(s).iter().map(|r| renamed(r, "host")).collect(),
        incidents: IncidentsJson(&report.analysis.incidents, report.zone),
        single_failures: report.analysis.single_failures,
        resolver_incidents: report
            .analysis
            .incidents
            .resolver
            .iter()
            .map(|i| ResolverIncidentJson {
                start: shown_at(i.start, report.zone),
                end: shown_at(i.end, report.zone),
                failures: i.failures,
                domains: i.domains,
                delivered_domains: i.delivered_domains,
                sample_domains: &i.sample,
            })
            .collect(),
        server_health: server_health(&s.health, report.zone),
        unclassified: unclassified_rows(s)
            .into_iter()
            .map(|r| Unclassified {
                pattern: r.pattern,
                events: r.events,
                example: r.example,
            })
            .collect(),
        by_hour: s
            .by_hour
            .iter()
            .map(|(&h, c)| Hour {
                hour: crate::parse::Timestamp {
                    unix: h * 3600,
                    offset: 0,
                }
                .rfc3339(),
                bounced: c.get(Status::Bounced),
                deferred: c.get(Status::Deferred),
                expired: c.get(Status::Expired),
            })
            .collect(),
        deferred_outcomes: (&s.deferred_outcomes).into(),
        compare: compared(report),
        approximate: s.approximations().into_iter().collect(),
        estimated: report.estimated,
        superseded: &report.chains.superseded,
        merge_state: crate::merge::State::of(s, report.merged, report.catalogue, report.chains),
    };
    // serde_json writes a few bytes at a time: through a buffer of its own
    // type those writes are inlined copies, not calls through `dyn Write`.
    let mut buffered = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut buffered, &summary)?;
    writeln!(buffered)?;
    buffered.flush()
}
