//! `--format csv`: one breakdown (`--by`, default domains), complete, with a
//! header row, through the csv crate (quoting is its job, not ours); every
//! cell through [`csv_record`], which shows controls as escapes and guards
//! cells a spreadsheet would read as formulas.

use std::io::{self, Write};

use super::escape::csv_record;
use super::{
    cause_class, cause_rows, domain_rows, host_rows, relay_rows, sender_domain_rows, sender_rows,
    unclassified_rows, Report, Row,
};
use crate::cause::Status;
use crate::cli::By;

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.analysis.summary;
    let mut w = csv::Writer::from_writer(out);
    let rate = |r: Option<f64>| r.map_or(String::new(), |x| format!("{x:.4}"));
    let named = |w: &mut csv::Writer<&mut dyn Write>, name: &str, rows: Vec<Row<'_>>| -> csv::Result<()> {
        csv_record(
            w,
            [
                name,
                "sent",
                "bounced",
                "deferred",
                "expired",
                "bounce_rate",
                "main_cause",
            ],
        )?;
        for r in rows {
            let c = r.counts;
            csv_record(
                w,
                [
                    r.key.unwrap_or(""),
                    &c.get(Status::Sent).to_string(),
                    &c.get(Status::Bounced).to_string(),
                    &c.get(Status::Deferred).to_string(),
                    &c.get(Status::Expired).to_string(),
                    &rate(c.bounce_rate()),
                    r.main_cause.map_or("", |c| c.as_str()),
                ],
            )?;
        }
        Ok(())
    };
    let result = match report.by.unwrap_or(By::Domain) {
        By::Domain => named(&mut w, "domain", domain_rows(s)),
        By::Relay => named(&mut w, "relay", relay_rows(s)),
        By::SenderDomain => named(&mut w, "sender_domain", sender_domain_rows(s)),
        By::Sender => named(&mut w, "sender", sender_rows(s)),
        By::Host => named(&mut w, "host", host_rows(s)),
        By::Incident => (|| {
            csv_record(
                &mut w,
                [
                    "domain",
                    "cause",
                    "start",
                    "end",
                    "attempts",
                    "recipients",
                    "recovered",
                    "ongoing",
                    "sample",
                ],
            )?;
            for i in report.analysis.incidents.iter() {
                let at = |t: i64| crate::parse::Timestamp { unix: t, offset: 0 }.rfc3339();
                csv_record(
                    &mut w,
                    [
                        &*i.domain,
                        i.cause.as_str(),
                        &at(i.start),
                        &at(i.end),
                        &i.attempts.to_string(),
                        &i.recipients.to_string(),
                        &i.recovered.map(at).unwrap_or_default(),
                        if i.ongoing { "true" } else { "false" },
                        &i.sample(),
                    ],
                )?;
            }
            Ok(())
        })(),
        By::Unclassified => (|| {
            csv_record(&mut w, ["pattern", "events", "example"])?;
            for r in unclassified_rows(s) {
                csv_record(
                    &mut w,
                    [r.pattern, &r.events.to_string(), r.example.unwrap_or("")],
                )?;
            }
            Ok(())
        })(),
        By::Cause => (|| {
            csv_record(
                &mut w,
                [
                    "cause",
                    "class",
                    "bounced",
                    "deferred",
                    "expired",
                    "recipients",
                    "share",
                    "description",
                    "advice",
                    "example",
                ],
            )?;
            for r in cause_rows(s) {
                let info = report.catalogue.cause_info(r.cause);
                csv_record(
                    &mut w,
                    [
                        r.cause.as_str(),
                        cause_class(r.cause, &r.counts).as_str(),
                        &r.counts.get(Status::Bounced).to_string(),
                        &r.counts.get(Status::Deferred).to_string(),
                        &r.counts.get(Status::Expired).to_string(),
                        &r.recipients.to_string(),
                        &format!("{:.4}", r.share),
                        info.description(report.lang),
                        super::advice(report.catalogue, &r, report.lang),
                        r.example.unwrap_or(""),
                    ],
                )?;
            }
            Ok(())
        })(),
        By::Hour => (|| {
            csv_record(&mut w, ["hour", "bounced", "deferred", "expired"])?;
            for (&h, c) in &s.by_hour {
                csv_record(
                    &mut w,
                    [
                        crate::parse::Timestamp {
                            unix: h * 3600,
                            offset: 0,
                        }
                        .rfc3339(),
                        c.get(Status::Bounced).to_string(),
                        c.get(Status::Deferred).to_string(),
                        c.get(Status::Expired).to_string(),
                    ],
                )?;
            }
            Ok(())
        })(),
    };
    result.map_err(io::Error::from)?;
    w.flush()
}
