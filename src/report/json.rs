//! `--format json`: one summary object (SPEC "Machine-readable output"):
//! `totals`, `by_domain`, `by_cause` and the other breakdowns, complete (not
//! cut by `--top`), counted in events.

use std::io::{self, Write};

use serde::Serialize;

use super::{cause_class, cause_rows, domain_rows, relay_rows, sender_domain_rows, Report, Row};
use crate::aggregate::{Outcomes, StatusCounts};
use crate::cause::Status;

#[derive(Serialize)]
struct Summary<'a> {
    files: Vec<File<'a>>,
    span: Span,
    window: Window,
    totals: Totals,
    by_domain: Vec<Breakdown<'a>>,
    by_cause: Vec<Cause<'a>>,
    by_relay: Vec<serde_json::Value>,
    by_sender_domain: Vec<Breakdown<'a>>,
    by_hour: Vec<Hour>,
    deferred_outcomes: DeferredOutcomes,
}

#[derive(Serialize)]
struct File<'a> {
    name: &'a str,
    compression: Option<&'static str>,
    lines: u64,
    bytes: u64,
    error: Option<&'a str>,
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
struct Totals {
    sent: u64,
    bounced: u64,
    deferred: u64,
    expired: u64,
    bounce_rate: Option<f64>,
    lines: u64,
    parsed: u64,
    other: u64,
    malformed: u64,
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
}

impl From<Outcomes> for DeferredOutcomes {
    fn from(o: Outcomes) -> Self {
        DeferredOutcomes {
            delivered: o.delivered,
            bounced: o.bounced,
            expired: o.expired,
            pending: o.pending,
        }
    }
}

fn breakdown<'a>(r: &Row<'a>) -> Breakdown<'a> {
    let c: &StatusCounts = &r.counts;
    Breakdown {
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
                bytes: counts.bytes,
                error: src.error.as_deref(),
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
            since: None,
            until: None,
        },
        totals: Totals {
            sent: s.totals.get(Status::Sent),
            bounced: s.totals.get(Status::Bounced),
            deferred: s.totals.get(Status::Deferred),
            expired: s.totals.get(Status::Expired),
            bounce_rate: s.totals.bounce_rate().map(round4),
            lines: lines.lines,
            parsed: lines.parsed,
            other: lines.other,
            malformed: lines.malformed,
            probes: lines.probes,
        },
        by_domain: domain_rows(s).iter().map(|r| breakdown(r)).collect(),
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
                    advice: info.advice(report.lang),
                }
            })
            .collect(),
        by_relay: relay_rows(s)
            .iter()
            .map(|r| {
                // The same columns as a domain row, keyed by relay.
                let mut v = serde_json::to_value(breakdown(r)).unwrap_or_default();
                if let Some(obj) = v.as_object_mut() {
                    let name = obj.remove("domain").unwrap_or_default();
                    obj.insert("relay".into(), name);
                }
                v
            })
            .collect(),
        by_sender_domain: sender_domain_rows(s).iter().map(|r| breakdown(r)).collect(),
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
        deferred_outcomes: s.deferred_outcomes.into(),
    };
    serde_json::to_writer_pretty(&mut *out, &summary)?;
    writeln!(out)
}
