//! `bounce-report suppress`: the recipients to stop mailing, as CSV a
//! mailing-list tool imports as is. An address is on the list when it has a
//! hard event (SPEC "Expired events and classes": bounced or expired with
//! user_unknown, host_unknown, not_accept, has_moved or suspend), or, with
//! `--causes`, a bounce or expiry of one of the causes named.
//! Addresses are the same when they differ only in the case of the domain,
//! as mail systems compare them.
//!
//! A hard cause needs evidence about the recipient, because the list makes
//! an operator stop mailing real people ([`Evidence`]):
//!
//! - a refusal at the connection level (greeting, HELO, STARTTLS) or the
//!   sender level (MAIL FROM, AUTH) is about us, never about the address:
//!   such an event never lists it (the classifier already turns a "user
//!   unknown" at MAIL FROM into `rejected`; a 521 "does not accept mail" at
//!   the greeting stays `not_accept`, hard, and is still not listed);
//! - Postfix's own "Host not found" (NXDOMAIN) for a domain is our resolver's
//!   word: it lists nobody at a domain that the same run delivered to, nor
//!   in a stretch of time when such failures were as many as the
//!   deliveries ([`DnsWatch`]): both say our resolver failed, and are
//!   named on stderr instead.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::cause::{Cause, Class, Status};
use crate::classify::{Anatomy, Level, Origin};
use crate::event::{lossy, Event};
use crate::our_dns::{domain_hash, DnsWatch};
use crate::parse::Timestamp;
use crate::report::escape::csv_record;

/// One address on the list.
#[derive(Debug, Clone)]
pub struct Entry {
    /// As first logged.
    pub address: String,
    pub domain: Option<String>,
    pub count: u64,
    pub cause: Cause,
    pub first: Timestamp,
    pub last: Timestamp,
    pub last_reply: String,
    /// Every listing event was Postfix's own DNS "Host not found": listed
    /// only if [`DnsWatch`] clears the domain.
    pub by_our_dns: bool,
}

/// What a hard event says about its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A refusal at RCPT TO or later, a local delivery's verdict, a null MX.
    Recipient,
    /// Postfix's own DNS lookup found no such host: the domain, or our
    /// resolver (checked at the end of the run).
    OurDns,
    /// A refusal of our connection or our sender: nothing about the address.
    NotRecipient,
}

impl Evidence {
    /// What `reply` (a hard event's text) says about its recipient.
    pub fn of(reply: &[u8], cause: Cause) -> Evidence {
        let anatomy = Anatomy::read(reply);
        match anatomy.stage.map(|s| s.level()) {
            Some(Level::Connection | Level::Sender) => Evidence::NotRecipient,
            _ if anatomy.origin == Origin::Postfix && cause == Cause::HostUnknown => Evidence::OurDns,
            _ => Evidence::Recipient,
        }
    }
}

/// Collects the list from events in log order.
#[derive(Debug, Default)]
pub struct List {
    /// The causes that put an address on the list; `None`: the hard ones.
    causes: Option<Vec<Cause>>,
    entries: HashMap<String, Entry>,
    resolver: DnsWatch,
    /// Listing events whose recipient is empty (`to=<>`): counted, never
    /// listed, as an empty address cannot be unsubscribed (issue 21).
    empty_recipients: u64,
}

impl List {
    pub fn new(causes: Option<Vec<Cause>>) -> List {
        List {
            causes,
            entries: HashMap::new(),
            resolver: DnsWatch::default(),
            empty_recipients: 0,
        }
    }

    fn wanted(&self, e: &Event<'_>) -> Option<Cause> {
        let cause = e.cause?;
        if !matches!(e.status, Status::Bounced | Status::Expired) {
            return None;
        }
        let listed = match &self.causes {
            Some(causes) => causes.contains(&cause),
            None => Class::of(e.status, cause) == Some(Class::Hard),
        };
        listed.then_some(cause)
    }

    pub fn add(&mut self, e: &Event<'_>) {
        let wanted = self.wanted(e);
        let evidence = wanted.map(|c| Evidence::of(e.reply.as_deref().unwrap_or_default(), c));
        if let Some(domain) = e.domain.as_deref() {
            match (e.status, e.reply.as_deref()) {
                (Status::Sent, _) => self.resolver.delivered(domain_hash(domain), e.time.unix),
                (_, Some(reply)) => self.resolver.failed(domain, e.time.unix, reply),
                _ => {}
            }
        }
        if evidence == Some(Evidence::NotRecipient) {
            return;
        }
        let by_our_dns = evidence == Some(Evidence::OurDns);
        let (Some(cause), Some(recipient)) = (wanted, e.recipient.as_deref()) else {
            return;
        };
        if recipient.trim_ascii().is_empty() {
            self.empty_recipients += 1;
            return;
        }
        let address = lossy(recipient);
        let key = match address.rfind('@') {
            Some(at) => format!("{}{}", &address[..at], address[at..].to_lowercase()),
            None => address.to_string(),
        };
        let reply = e
            .reply
            .as_deref()
            .map(|r| lossy(r).into_owned())
            .unwrap_or_default();
        match self.entries.get_mut(&key) {
            Some(entry) => {
                entry.count += 1;
                entry.cause = cause;
                entry.last = e.time;
                entry.last_reply = reply;
                entry.by_our_dns &= by_our_dns;
            }
            None => {
                self.entries.insert(
                    key,
                    Entry {
                        address: address.into_owned(),
                        domain: e.domain.as_deref().map(str::to_string),
                        count: 1,
                        cause,
                        first: e.time,
                        last: e.time,
                        last_reply: reply,
                        by_our_dns,
                    },
                );
            }
        }
    }

    /// The entries with at least `min_count` events, by domain and address;
    /// those whose only evidence is our resolver's failure are left out.
    pub fn entries(&self, min_count: u64) -> Vec<&Entry> {
        let mut v: Vec<&Entry> = self
            .entries
            .values()
            .filter(|e| e.count >= min_count && !self.resolver_fault(e))
            .collect();
        v.sort_by(|a, b| a.domain.cmp(&b.domain).then(a.address.cmp(&b.address)));
        v
    }

    fn resolver_fault(&self, e: &Entry) -> bool {
        e.by_our_dns
            && e.domain
                .as_deref()
                .is_some_and(|d| self.resolver.blames_resolver(d, e.first.unix))
    }

    /// How many events would have listed an empty recipient (`to=<>`).
    pub fn empty_recipients(&self) -> u64 {
        self.empty_recipients
    }

    /// The addresses and domains left off because our resolver, not the
    /// domain, failed: `(addresses, domains)`, for a word on stderr.
    pub fn left_off_by_resolver(&self) -> (usize, Vec<&str>) {
        let mut domains: Vec<&str> = Vec::new();
        let mut addresses = 0;
        for e in self.entries.values().filter(|e| self.resolver_fault(e)) {
            addresses += 1;
            if let Some(d) = e.domain.as_deref() {
                domains.push(d);
            }
        }
        domains.sort_unstable();
        domains.dedup();
        (addresses, domains)
    }

    /// Writes the CSV: a header, then one address per row, every cell
    /// through [`csv_record`] (controls shown as escapes, formula cells
    /// guarded: the list is printed to a terminal by default and opened in
    /// spreadsheets).
    pub fn write_csv(&self, min_count: u64, mask: bool, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        csv_record(
            &mut w,
            [
                "address",
                "domain",
                "cause",
                "count",
                "first_seen",
                "last_seen",
                "last_reply",
            ],
        )?;
        for e in self.entries(min_count) {
            let (address, reply) = if mask {
                let local = crate::mask::local_part(&e.address).to_string();
                (
                    crate::mask::address(&e.address),
                    crate::mask::text(&e.last_reply, &[local.as_str()]).into_owned(),
                )
            } else {
                (e.address.clone(), e.last_reply.clone())
            };
            csv_record(
                &mut w,
                [
                    address.as_str(),
                    e.domain.as_deref().unwrap_or(""),
                    e.cause.as_str(),
                    &e.count.to_string(),
                    &e.first.rfc3339(),
                    &e.last.rfc3339(),
                    &reply,
                ],
            )?;
        }
        w.flush()
    }
}
