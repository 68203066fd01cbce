//! Incidents: consecutive failures to one destination domain with one
//! cause, from the first to the last, until a delivery to that domain ends
//! the incident ("recovered") or the input ends ("ongoing"). A different
//! cause for the same domain ends one incident and starts another, so
//! incidents of one domain never overlap.
//!
//! Events reach the tracker in log order (the resolver feeds it), as
//! [`Sighting`]s: a delivery is a domain and a time, a failure carries what
//! an incident reports.

use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::sync::Arc;

use crate::cause::Cause;
use crate::event::Event;

/// One event as the tracker sees it.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub domain: u64,
    pub time: i64,
    pub failure: Option<Box<Failure>>,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub domain: Box<str>,
    pub cause: Cause,
    /// [`crate::aggregate::recipient_hash`] of the recipient, if the event
    /// has one.
    pub recipient: Option<u64>,
    /// A bounce (the summary counts distinct bounced recipients).
    pub bounced: bool,
    /// The reply as logged (shared: see [`crate::event::SharedBytes`]).
    pub reply: Arc<[u8]>,
    /// The recipient as logged: its local part is the sample's, for `--mask`.
    pub address: Box<[u8]>,
}

impl Sighting {
    /// The sighting of `e`; `share` gives a failure's reply to keep.
    pub fn of(e: &Event<'_>, share: impl FnOnce(&[u8]) -> Arc<[u8]>) -> Sighting {
        let domain_name = e.domain.as_deref().unwrap_or("");
        let failure = e.cause.filter(|_| e.status.is_failure()).map(|cause| {
            Box::new(Failure {
                domain: domain_name.into(),
                cause,
                recipient: e.recipient.as_deref().map(crate::aggregate::recipient_hash),
                bounced: e.status == crate::cause::Status::Bounced,
                reply: share(e.reply.as_deref().unwrap_or_default()),
                address: e.recipient.as_deref().unwrap_or_default().into(),
            })
        });
        Sighting {
            domain: domain_hash(domain_name),
            time: e.time.unix,
            failure,
        }
    }
}

fn domain_hash(d: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    d.hash(&mut h);
    h.finish()
}

/// One incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub domain: Box<str>,
    pub cause: Cause,
    /// Times of the first and last failure (seconds since the epoch).
    pub start: i64,
    pub end: i64,
    /// Failure events.
    pub attempts: u64,
    pub recipients: u64,
    /// The first failure's reply as logged (shared with other incidents and
    /// deferrals that have the same text): [`Incident::sample`] is its text.
    pub sample_reply: Arc<[u8]>,
    /// The local part of the sample's recipient, for `--mask`.
    pub sample_local: Box<str>,
    /// When a delivery to the domain ended it; `None` while ongoing or when
    /// another cause took over.
    pub recovered: Option<i64>,
    /// Still failing when the input ends.
    pub ongoing: bool,
}

impl Incident {
    /// The sample reply, as text.
    pub fn sample(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.sample_reply)
    }
}

struct Open {
    incident: Incident,
    recipients: FxHashSet<u64>,
}

/// Runs of failures per domain, fed in log order.
#[derive(Default)]
pub struct Tracker {
    open: FxHashMap<u64, Open>,
    /// Boxed: a long run holds tens of thousands (72,330 at the end of the
    /// 5 GB benchmark log), and a growing list of pointers leaves less room
    /// unused than one of incidents (6 MiB less at the end of that log).
    #[allow(clippy::vec_box)]
    done: Vec<Box<Incident>>,
    /// Failures that were a run of one: no incident.
    pub single_failures: u64,
}

/// Fewer failures than this in a run are no incident.
pub const MIN_ATTEMPTS: u64 = 2;

impl Tracker {
    /// Open incidents, and finished ones (with `--stats`).
    pub fn sizes(&self) -> (usize, usize) {
        (self.open.len(), self.done.len())
    }

    pub fn see(&mut self, s: Sighting) {
        match s.failure {
            None => {
                if let Some(open) = self.open.remove(&s.domain) {
                    self.finish(open, Some(s.time), false);
                }
            }
            Some(f) => {
                if let Some(open) = self.open.get_mut(&s.domain) {
                    if open.incident.cause == f.cause {
                        open.incident.end = open.incident.end.max(s.time);
                        open.incident.attempts += 1;
                        open.recipients.insert(f.recipient.unwrap_or(0));
                        return;
                    }
                }
                if let Some(old) = self.open.remove(&s.domain) {
                    self.finish(old, None, false);
                }
                let mut recipients = FxHashSet::default();
                recipients.insert(f.recipient.unwrap_or(0));
                let Failure {
                    domain,
                    cause,
                    reply,
                    address,
                    ..
                } = *f;
                self.open.insert(
                    s.domain,
                    Open {
                        incident: Incident {
                            domain,
                            cause,
                            start: s.time,
                            end: s.time,
                            attempts: 1,
                            recipients: 0,
                            sample_reply: reply,
                            sample_local: crate::mask::local_part(&String::from_utf8_lossy(&address)).into(),
                            recovered: None,
                            ongoing: false,
                        },
                        recipients,
                    },
                );
            }
        }
    }

    fn finish(&mut self, open: Open, recovered: Option<i64>, ongoing: bool) {
        let mut i = open.incident;
        if i.attempts < MIN_ATTEMPTS {
            self.single_failures += i.attempts;
            return;
        }
        i.recipients = open.recipients.len() as u64;
        i.recovered = recovered;
        i.ongoing = ongoing;
        self.done.push(Box::new(i));
    }

    /// Every incident, the ones still failing marked ongoing; largest
    /// (most recipients), then longest, first.
    pub fn finish_all(mut self) -> (Vec<Box<Incident>>, u64) {
        let open: Vec<Open> = self.open.drain().map(|(_, o)| o).collect();
        for o in open {
            self.finish(o, None, true);
        }
        let mut done = self.done;
        done.sort_by(|a, b| {
            b.recipients
                .cmp(&a.recipients)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(a.start.cmp(&b.start))
                .then(a.domain.cmp(&b.domain))
        });
        (done, self.single_failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(domain: &str, t: i64, cause: Cause, rcpt: u64) -> Sighting {
        Sighting {
            domain: domain_hash(domain),
            time: t,
            failure: Some(Box::new(Failure {
                domain: domain.into(),
                cause,
                recipient: Some(rcpt),
                bounced: false,
                reply: b"421 slow down"[..].into(),
                address: b"x@example.com"[..].into(),
            })),
        }
    }

    fn sent(domain: &str, t: i64) -> Sighting {
        Sighting {
            domain: domain_hash(domain),
            time: t,
            failure: None,
        }
    }

    #[test]
    fn a_run_of_failures_until_a_delivery_is_one_recovered_incident() {
        let mut t = Tracker::default();
        t.see(sent("a.example", 0));
        for (i, r) in [1, 2, 1, 3].iter().enumerate() {
            t.see(fail("a.example", 10 + i as i64, Cause::Speeding, *r));
        }
        t.see(fail("b.example", 12, Cause::Blocked, 9));
        t.see(sent("a.example", 20));
        let (incidents, singles) = t.finish_all();
        assert_eq!(incidents.len(), 1);
        let i = &incidents[0];
        assert_eq!((i.start, i.end, i.attempts, i.recipients), (10, 13, 4, 3));
        assert_eq!(i.recovered, Some(20));
        assert!(!i.ongoing);
        assert_eq!(singles, 1, "b.example's lone failure is no incident");
    }

    #[test]
    fn another_cause_starts_another_incident_and_the_last_is_ongoing() {
        let mut t = Tracker::default();
        for i in 0..3 {
            t.see(fail("a.example", i, Cause::Greylisted, i as u64));
        }
        for i in 3..6 {
            t.see(fail("a.example", i, Cause::Blocked, i as u64));
        }
        let (incidents, _) = t.finish_all();
        assert_eq!(incidents.len(), 2);
        let grey = incidents.iter().find(|i| i.cause == Cause::Greylisted).unwrap();
        let blocked = incidents.iter().find(|i| i.cause == Cause::Blocked).unwrap();
        assert!(grey.end < blocked.start, "incidents of one domain do not overlap");
        assert!(!grey.ongoing && grey.recovered.is_none());
        assert!(blocked.ongoing);
    }
}
