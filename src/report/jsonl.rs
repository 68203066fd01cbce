//! `--format jsonl`: one JSON object per event, in log order (SPEC
//! "Machine-readable output"). A field the log does not carry is `null`;
//! text is the log's, with invalid UTF-8 replaced, never dropped.
//!
//! Every event starts with `"v"`, the schema version ([`SCHEMA_VERSION`]):
//! the fields, their types and their nullability (docs/jsonl-schema.md)
//! change only with a bump.

use std::io::{self, Write};

use serde::Serialize;

use super::write_json_line;
use crate::classify::Catalogue;
use crate::event::{lossy, Event};

/// The version of the event schema, the `"v"` of every event; bumped on
/// any change to its fields, their types or their nullability.
pub const SCHEMA_VERSION: u32 = 1;

pub struct Writer<'c> {
    catalogue: &'c Catalogue,
    /// `--mask`: hide the local part of every address.
    mask: bool,
    /// The line being written, kept for the next.
    buf: Vec<u8>,
}

#[derive(Serialize)]
struct Line<'a> {
    v: u32,
    time: String,
    host: std::borrow::Cow<'a, str>,
    queue_id: std::borrow::Cow<'a, str>,
    recipient: Option<std::borrow::Cow<'a, str>>,
    orig_to: Option<std::borrow::Cow<'a, str>>,
    domain: Option<&'a str>,
    sender: Option<std::borrow::Cow<'a, str>>,
    sasl_username: Option<std::borrow::Cow<'a, str>>,
    status: &'static str,
    dsn: Option<String>,
    smtp_code: Option<u16>,
    relay: Option<std::borrow::Cow<'a, str>>,
    delay: Option<f64>,
    cause: Option<&'static str>,
    class: Option<&'static str>,
    rule: Option<&'a str>,
    reply: Option<std::borrow::Cow<'a, str>>,
    /// Only on events that end a deferral history.
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_deferred: Option<String>,
}

impl<'c> Writer<'c> {
    pub fn new(catalogue: &'c Catalogue, mask: bool) -> Writer<'c> {
        Writer {
            catalogue,
            mask,
            buf: Vec::new(),
        }
    }

    pub fn write(&mut self, out: &mut dyn Write, e: &Event<'_>) -> io::Result<()> {
        let line = Line {
            v: SCHEMA_VERSION,
            time: e.time.rfc3339(),
            host: lossy(&e.host),
            queue_id: lossy(&e.queue_id),
            recipient: e.recipient.as_deref().map(lossy),
            orig_to: e.orig_to.as_deref().map(lossy),
            domain: e.domain.as_deref(),
            sender: e.sender.as_deref().map(lossy),
            sasl_username: e.sasl_username.as_deref().map(lossy),
            status: e.status.as_str(),
            dsn: e.dsn.map(|d| d.to_string()),
            smtp_code: e.smtp_code,
            relay: e.relay.as_deref().map(lossy),
            delay: e
                .delay
                .as_deref()
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| d.parse().ok()),
            cause: e.cause.map(|c| c.as_str()),
            class: e.class().map(|c| c.as_str()),
            rule: e.rule.and_then(|i| self.catalogue.rule(i)).map(|r| r.id.as_str()),
            reply: e.reply.as_deref().map(lossy),
            attempts: e.attempts,
            first_deferred: e.first_deferred.map(|t| t.rfc3339()),
        };
        let line = if self.mask {
            let local = line
                .recipient
                .as_deref()
                .map(crate::mask::local_part)
                .unwrap_or("")
                .to_string();
            let address = |a: Option<std::borrow::Cow<'_, str>>| {
                a.map(|a| std::borrow::Cow::Owned(crate::mask::address(&a)))
            };
            Line {
                recipient: address(line.recipient),
                orig_to: address(line.orig_to),
                sender: address(line.sender),
                sasl_username: address(line.sasl_username),
                reply: line
                    .reply
                    .map(|r| std::borrow::Cow::Owned(crate::mask::text(&r, &[local.as_str()]).into_owned())),
                ..line
            }
        } else {
            line
        };
        write_json_line(out, &mut self.buf, &line)
    }
}

/// `--by incident --format jsonl`: one object per incident, largest first.
pub fn incidents(report: &super::Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    for i in report.analysis.incidents.iter() {
        write_json_line(out, &mut buf, &super::json::incident_json(&i, report.zone))?;
    }
    Ok(())
}

/// `--by unclassified --format jsonl`: one object per group of replies no
/// rule classified, most events first.
pub fn unclassified(report: &super::Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    for r in super::unclassified_rows(&report.analysis.summary) {
        let line = serde_json::json!({"pattern": r.pattern, "events": r.events, "example": r.example});
        write_json_line(out, &mut buf, &line)?;
    }
    Ok(())
}
