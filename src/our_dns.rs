//! Our resolver or the domain? Postfix's own "Host or domain name not found"
//! is what this host's resolver answered, and a broken resolver (a dead
//! local cache, a bad `resolv.conf`) makes every domain look nonexistent.
//! Two signs tell the resolver's fault from a domain that does not exist:
//!
//! - the domain received mail in the same run (it exists);
//! - in a stretch of time, such failures at several domains were at least
//!   as many as the deliveries: a mistyped domain fails alone, among
//!   deliveries; a resolver outage fails everything at once.
//!
//! [`DnsWatch`] is fed in log order (the report's incident tracker and
//! `suppress` both feed it); `suppress` asks it about each address, the
//! report lists the stretches it blames as local-resolver incidents.
//!
//! Bounds: a count per minute with deliveries (525,600 a year of log, 16
//! bytes each), the hash of each delivered domain (8 bytes each), and per
//! minute with DNS failures at most `DOMAINS_PER_MINUTE` (64) domain names.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

/// Minutes, either side of a minute, over which Postfix's "Host not found"
/// failures are weighed against deliveries.
const WINDOW_MINUTES: i64 = 10;

/// Distinct domains failing in Postfix's DNS in a window before it can be
/// called our resolver's fault (one mistyped domain is not).
const MIN_DOMAINS: usize = 3;

/// Domains remembered per minute (bounds the memory: a day is 1,440
/// minutes); failures past it are counted, their domains not named.
const DOMAINS_PER_MINUTE: usize = 64;

/// Blamed failures more than this many minutes apart are two incidents.
const INCIDENT_GAP_MINUTES: i64 = 30;

/// Domains a [`ResolverIncident`] names (the rest are counted).
const SAMPLE_DOMAINS: usize = 5;

/// Postfix's own DNS failure text, as smtp(8) writes it: "Host or domain
/// name not found. Name service error for name=… type=…: Host not found",
/// or with `smtp_host_lookup = native`, "unable to look up host …: Name or
/// service not known" (the system resolver's answer).
fn dns_failure(reply: &[u8]) -> bool {
    let reply = reply
        .strip_prefix(b"delivery temporarily suspended: ")
        .unwrap_or(reply);
    reply.starts_with(b"Host or domain name not found") || reply.starts_with(b"unable to look up host ")
}

/// The hash a domain is known by here and in the incident tracker.
pub fn domain_hash(d: &str) -> u64 {
    let mut h = FxHasher::default();
    d.hash(&mut h);
    h.finish()
}

#[derive(Debug, Default)]
struct Minute {
    failures: u64,
    /// First and last failure, seconds since the epoch.
    first: i64,
    last: i64,
    /// Failing domains and their failures, at most [`DOMAINS_PER_MINUTE`],
    /// and of those failures the final "Host not found" (not "try again").
    domains: Vec<(Box<str>, u64, u64)>,
}

/// Watches deliveries and Postfix's DNS failures, in log order.
#[derive(Debug, Default)]
pub struct DnsWatch {
    /// Hashes of the domains with at least one delivery.
    delivered: FxHashSet<u64>,
    /// Deliveries per minute (minutes since the epoch).
    sent: FxHashMap<i64, u64>,
    /// Minutes with DNS failures.
    failing: BTreeMap<i64, Minute>,
}

/// A stretch of time in which this host's resolver, not the domains,
/// failed: "Host not found" for domains that received mail in the same run,
/// or at several domains at once while little else was delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverIncident {
    /// First and last blamed failure (seconds since the epoch).
    pub start: i64,
    pub end: i64,
    /// Failure events blamed on the resolver.
    pub failures: u64,
    /// Distinct domains among them (as far as they were named).
    pub domains: u64,
    /// Of those, the ones that received mail in the same run.
    pub delivered_domains: u64,
    /// A few of the domains, most failures first.
    pub sample: Vec<String>,
}

impl DnsWatch {
    /// A delivery at `time` to the domain with hash `domain`
    /// ([`domain_hash`]).
    pub fn delivered(&mut self, domain: u64, time: i64) {
        self.delivered.insert(domain);
        *self.sent.entry(time.div_euclid(60)).or_default() += 1;
    }

    /// A failure at `time` with `reply`: counted if it is Postfix's DNS
    /// "Host not found".
    pub fn failed(&mut self, domain: &str, time: i64, reply: &[u8]) {
        if !dns_failure(reply) {
            return;
        }
        let m = self.failing.entry(time.div_euclid(60)).or_insert_with(|| Minute {
            first: time,
            last: time,
            ..Minute::default()
        });
        m.failures += 1;
        m.first = m.first.min(time);
        m.last = m.last.max(time);
        // "Host not found, try again" is a timeout or SERVFAIL: the domain's
        // own servers can be slow; only "not found" says "no such domain".
        let not_found = u64::from(
            !reply.ends_with(b"try again") && !reply.ends_with(b"Temporary failure in name resolution"),
        );
        if let Some((_, n, nx)) = m.domains.iter_mut().find(|(d, _, _)| &**d == domain) {
            *n += 1;
            *nx += not_found;
        } else if m.domains.len() < DOMAINS_PER_MINUTE {
            m.domains.push((domain.into(), 1, not_found));
        }
    }

    fn was_delivered(&self, domain: &str) -> bool {
        self.delivered.contains(&domain_hash(domain))
    }

    /// Whether the failures around `minute` are an outage: at several
    /// domains, and at least as many as the deliveries.
    fn outage_at(&self, minute: i64) -> bool {
        let range = minute - WINDOW_MINUTES..=minute + WINDOW_MINUTES;
        let sent: u64 = range.clone().filter_map(|m| self.sent.get(&m)).sum();
        let mut failures = 0;
        let mut domains: FxHashSet<&str> = FxHashSet::default();
        for m in self.failing.range(range).map(|(_, m)| m) {
            failures += m.failures;
            domains.extend(m.domains.iter().map(|(d, _, _)| &**d));
        }
        domains.len() >= MIN_DOMAINS && failures >= sent
    }

    /// Whether "Host not found" for `domain` at `time` is our resolver's fault.
    /// (`suppress` asks only about final "not found" bounces.)
    pub fn blames_resolver(&self, domain: &str, time: i64) -> bool {
        self.was_delivered(domain) || self.outage_at(time.div_euclid(60))
    }

    /// The stretches blamed on the resolver, earliest first.
    pub fn incidents(&self) -> Vec<ResolverIncident> {
        let mut out = Vec::new();
        let mut current: Option<(ResolverIncident, FxHashMap<&str, u64>)> = None;
        for (&minute, m) in &self.failing {
            let outage = self.outage_at(minute);
            // In an outage every failure is blamed; else the final "not
            // found" for domains that received mail.
            let blamed: Vec<(&str, u64)> = m
                .domains
                .iter()
                .map(|(d, n, nx)| (&**d, if outage { *n } else { *nx }))
                .filter(|&(d, n)| n > 0 && (outage || self.was_delivered(d)))
                .collect();
            // Failures past the named domains count only in an outage.
            let unnamed = m.failures - m.domains.iter().map(|(_, n, _)| n).sum::<u64>();
            let failures = blamed.iter().map(|(_, n)| n).sum::<u64>() + if outage { unnamed } else { 0 };
            if failures == 0 {
                continue;
            }
            if let Some((i, _)) = &current {
                if m.first.div_euclid(60) - i.end.div_euclid(60) > INCIDENT_GAP_MINUTES {
                    out.extend(current.take().map(|c| self.close(c)));
                }
            }
            let (i, domains) = current.get_or_insert_with(|| {
                (
                    ResolverIncident {
                        start: m.first,
                        end: m.last,
                        failures: 0,
                        domains: 0,
                        delivered_domains: 0,
                        sample: Vec::new(),
                    },
                    FxHashMap::default(),
                )
            });
            i.end = i.end.max(m.last);
            i.failures += failures;
            for (d, n) in blamed {
                *domains.entry(d).or_default() += n;
            }
        }
        out.extend(current.map(|c| self.close(c)));
        out
    }

    /// An incident with its domains counted and named, most failures first.
    fn close(&self, (mut i, domains): (ResolverIncident, FxHashMap<&str, u64>)) -> ResolverIncident {
        let mut named: Vec<(&str, u64)> = domains.into_iter().collect();
        named.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        i.domains = named.len() as u64;
        i.delivered_domains = named.iter().filter(|(d, _)| self.was_delivered(d)).count() as u64;
        i.sample = named
            .iter()
            .take(SAMPLE_DOMAINS)
            .map(|(d, _)| d.to_string())
            .collect();
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NXDOMAIN: &[u8] =
        b"Host or domain name not found. Name service error for name=example.com type=A: Host not found";

    #[test]
    fn a_mistyped_domain_among_deliveries_is_the_domain() {
        let mut w = DnsWatch::default();
        for s in 0..20 {
            w.delivered(domain_hash("example.org"), 1_000_000 + s * 30);
        }
        w.failed("gmial.example", 1_000_100, NXDOMAIN);
        assert!(!w.blames_resolver("gmial.example", 1_000_100));
        assert!(w.incidents().is_empty());
    }

    #[test]
    fn a_delivered_domain_or_many_at_once_is_the_resolver() {
        let mut w = DnsWatch::default();
        w.delivered(domain_hash("gmail.example"), 1_000_000);
        w.failed("gmail.example", 2_000_000, NXDOMAIN);
        for (k, d) in ["a.example", "b.example", "c.example"].iter().enumerate() {
            w.failed(d, 5_000_000 + k as i64, NXDOMAIN);
        }
        w.failed(
            "a.example",
            5_000_100,
            b"connect to a.example[192.0.2.1]:25: Connection refused",
        );
        let incidents = w.incidents();
        assert_eq!(incidents.len(), 2, "{incidents:?}");
        assert_eq!(
            (incidents[0].failures, incidents[0].delivered_domains),
            (1, 1),
            "{incidents:?}"
        );
        assert_eq!(incidents[0].sample, ["gmail.example"]);
        assert_eq!((incidents[1].failures, incidents[1].domains), (3, 3));
        assert_eq!((incidents[1].start, incidents[1].end), (5_000_000, 5_000_002));
    }

    /// With `smtp_host_lookup = native` the same failure reads "unable to
    /// look up host": a delivered domain failing so is our resolver too.
    #[test]
    fn native_lookups_are_weighed_like_dns() {
        let mut w = DnsWatch::default();
        w.delivered(domain_hash("example.org"), 1_000_000);
        w.failed(
            "example.org",
            1_000_060,
            b"unable to look up host mx.example.org: Name or service not known",
        );
        assert!(w.blames_resolver("example.org", 1_000_060));
        w.failed(
            "other.example",
            9_000_000,
            b"unable to look up host mx.other.example: Name or service not known",
        );
        for s in 0..20 {
            w.delivered(domain_hash("example.net"), 9_000_000 + s * 30);
        }
        assert!(!w.blames_resolver("other.example", 9_000_000));
    }
}
