//! `bounce-report suppress`: the recipients to stop mailing, as CSV a
//! mailing-list tool imports as is. An address is on the list when it has a
//! hard event (SPEC "Expired events and classes": bounced or expired with
//! user_unknown, host_unknown, not_accept, has_moved or suspend), or, with
//! `--causes`, a bounce or expiry of one of the causes named.
//! Addresses are the same when they differ only in the case of the domain,
//! as mail systems compare them.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::cause::{Cause, Class, Status};
use crate::event::{lossy, Event};
use crate::parse::Timestamp;

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
}

/// Collects the list from events in log order.
#[derive(Debug, Default)]
pub struct List {
    /// The causes that put an address on the list; `None`: the hard ones.
    causes: Option<Vec<Cause>>,
    entries: HashMap<String, Entry>,
}

impl List {
    pub fn new(causes: Option<Vec<Cause>>) -> List {
        List {
            causes,
            entries: HashMap::new(),
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
        let (Some(cause), Some(recipient)) = (self.wanted(e), e.recipient.as_deref()) else {
            return;
        };
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
                    },
                );
            }
        }
    }

    /// The entries with at least `min_count` events, by domain and address.
    pub fn entries(&self, min_count: u64) -> Vec<&Entry> {
        let mut v: Vec<&Entry> = self.entries.values().filter(|e| e.count >= min_count).collect();
        v.sort_by(|a, b| a.domain.cmp(&b.domain).then(a.address.cmp(&b.address)));
        v
    }

    /// Writes the CSV: a header, then one address per row.
    pub fn write_csv(&self, min_count: u64, mask: bool, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "address",
            "domain",
            "cause",
            "count",
            "first_seen",
            "last_seen",
            "last_reply",
        ])?;
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
            w.write_record([
                address.as_str(),
                e.domain.as_deref().unwrap_or(""),
                e.cause.as_str(),
                &e.count.to_string(),
                &e.first.rfc3339(),
                &e.last.rfc3339(),
                &reply,
            ])?;
        }
        w.flush()
    }
}
