//! Incidents: consecutive failures to one destination domain with one
//! cause, from the first to the last, until a delivery to that domain ends
//! the incident ("recovered") or the input ends ("ongoing"). A different
//! cause for the same domain ends one incident and starts another, so
//! incidents of one domain never overlap.
//!
//! Events reach the tracker in log order (the resolver feeds it), as
//! [`Sighting`]s: a delivery is a domain and a time, a failure carries what
//! an incident reports.

use std::borrow::Cow;
use std::sync::Arc;

use crate::cause::Cause;
use crate::distinct::SmallDistinct;
use crate::event::{lossy, Event};
use crate::our_dns::{DnsWatch, ResolverIncident};
use crate::packed::{get_byte, get_bytes, get_int, put_bytes, put_int};
use crate::segmented::{Keyed, SegmentedMap};

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
            domain: crate::our_dns::domain_hash(domain_name),
            time: e.time.unix,
            failure,
        }
    }
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
        lossy(&self.sample_reply)
    }
}

/// A run still open: 88 bytes in [`OpenRuns`] and one allocation for the
/// domain and the sample's recipient (a log of a million domains holds a
/// million of them, and held as an [`Incident`] beside its own fields in a
/// hash map they took 168 bytes, twice over for the map's free slots, and
/// three allocations each). Most runs end at one failure and are no
/// incident, so what only an incident needs is put off until it is one:
/// the sample's local part is taken at `finish`, and the set of recipients
/// allocates at the second distinct one.
struct Open {
    /// The domain's hash ([`crate::our_dns::domain_hash`]).
    key: u64,
    /// The domain, then the sample's recipient as logged.
    text: Box<[u8]>,
    domain_len: u32,
    cause: Cause,
    /// `sample` is a [`template`], not the reply.
    templated: bool,
    /// Times of the first and last failure.
    start: i64,
    end: i64,
    attempts: u64,
    first_recipient: u64,
    /// The first failure's reply as logged (shared with the deferrals and
    /// sightings of the same text); past [`TEMPLATES_FROM`] open runs, as a
    /// [`template`] shared among the runs (in a log of a million domains
    /// that answer alike, a million replies that name their recipient are
    /// one template).
    sample: Arc<[u8]>,
    /// The other recipients, never `first_recipient`: a sorted array and a
    /// short tail ([`SmallDistinct`], about 10 bytes a recipient; a hash set
    /// took 18, and a log of 1,000 domains with 1,000 failing recipients
    /// each holds a million).
    more_recipients: Option<Box<SmallDistinct>>,
}

/// Open runs past which a run's sample reply is held as a [`template`]:
/// below, the reply as logged is held (shared as the worker shared it) and
/// costs nothing more; making a template for every run opened was about 1%
/// of a run over the realistic 100 MB log.
const TEMPLATES_FROM: usize = 10_000;

/// Stands for the recipient's address in a reply [`template`].
const ADDRESS_MARK: u8 = 1;
/// Stands for the recipient's domain in a reply [`template`].
const DOMAIN_MARK: u8 = 2;

/// `text` with every `what` in it replaced by `mark`.
fn mark(text: &[u8], what: &[u8], mark: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut last = 0;
    // By its first byte and a comparison: a reply is short, and a
    // `memmem` searcher built twice for every run opened was 3% of a run
    // over a million domains.
    if let Some(&first) = what.first() {
        let mut from = 0;
        while let Some(i) = memchr::memchr(first, &text[from..]) {
            let at = from + i;
            if text[at..].starts_with(what) {
                out.extend_from_slice(&text[last..at]);
                out.push(mark);
                last = at + what.len();
                from = last;
            } else {
                from = at + 1;
            }
        }
    }
    out.extend_from_slice(&text[last..]);
    out
}

/// A reply with the recipient's address, then its domain, replaced by
/// marks, after a `t`; or, when the reply holds a mark's byte itself, the
/// reply as it is after a `v`. [`fill`] gives the reply back exactly.
fn template(reply: &[u8], address: &[u8], domain: &[u8]) -> Vec<u8> {
    if reply.contains(&ADDRESS_MARK) || reply.contains(&DOMAIN_MARK) {
        let mut v = vec![b'v'];
        v.extend_from_slice(reply);
        return v;
    }
    let mut t = vec![b't'];
    t.extend(mark(&mark(reply, address, ADDRESS_MARK), domain, DOMAIN_MARK));
    t
}

/// The reply a [`template`] was made of.
fn fill(template: &[u8], address: &[u8], domain: &[u8]) -> Vec<u8> {
    match template.split_first() {
        Some((b't', t)) => {
            let mut out = Vec::with_capacity(t.len() + address.len() + domain.len());
            for &b in t {
                match b {
                    ADDRESS_MARK => out.extend_from_slice(address),
                    DOMAIN_MARK => out.extend_from_slice(domain),
                    b => out.push(b),
                }
            }
            out
        }
        Some((_, verbatim)) => verbatim.to_vec(),
        None => Vec::new(),
    }
}

/// The open runs, one per domain, in fixed-size segments behind a hash
/// table of 4-byte indices ([`SegmentedMap`]): the table's free slots (it
/// is at most 7/8 full, and grows by doubling) cost 5 bytes each, not a
/// run's 88, and the runs are never copied whole as a vector's doubling
/// copied them (a million at 1M domains: 88 MB, and as much again while it
/// moved).
type OpenRuns = SegmentedMap<Open>;

impl Keyed for Open {
    /// The domain's hash, a hash already.
    fn key(&self) -> u64 {
        self.key
    }
}

impl Open {
    fn domain(&self) -> &str {
        std::str::from_utf8(&self.text[..self.domain_len as usize]).unwrap_or_default()
    }
    fn address(&self) -> &[u8] {
        &self.text[self.domain_len as usize..]
    }
}

/// Runs of failures per domain, fed in log order.
#[derive(Default)]
pub struct Tracker {
    open: OpenRuns,
    /// Finished incidents, compressed: a long run holds tens of thousands
    /// (72,330 at the end of the 5 GB benchmark log).
    done: Finished,
    /// Failures that were a run of one: no incident.
    pub single_failures: u64,
    /// Deliveries and Postfix's DNS failures: the local-resolver incidents.
    dns: DnsWatch,
    /// The open runs' sample replies, as templates.
    templates: crate::event::SharedBytes,
    /// Sees nothing ([`Tracker::disabled`]).
    disabled: bool,
}

/// Fewer failures than this in a run are no incident.
pub const MIN_ATTEMPTS: u64 = 2;

impl Tracker {
    /// Open incidents, finished ones, and the bytes these take compressed
    /// (with `--stats`).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let d = &self.done;
        (
            self.open.len(),
            d.len(),
            d.raw.len() + d.blocks.iter().map(|b| b.len()).sum::<usize>(),
        )
    }

    /// A tracker that sees nothing and finds no incident, for a run that
    /// reports none (`suppress`).
    pub fn disabled() -> Tracker {
        Tracker {
            disabled: true,
            ..Tracker::default()
        }
    }

    /// False for a [`Tracker::disabled`] one: a caller need not make it a
    /// [`Sighting`].
    pub fn is_enabled(&self) -> bool {
        !self.disabled
    }

    pub fn see(&mut self, s: Sighting) {
        if self.disabled {
            return;
        }
        match s.failure {
            None => {
                self.dns.delivered(s.domain, s.time);
                if let Some(open) = self.open.swap_remove(s.domain) {
                    self.finish(open, Some(s.time), false);
                }
            }
            Some(f) => {
                self.dns.failed(&f.domain, s.time, &f.reply);
                let held = self.open.get_mut(s.domain);
                let other_cause = held.is_some();
                if let Some(open) = held {
                    // An expiry whose cause is only `expired` (its last
                    // reply named nothing more specific) ends the same
                    // outage: it is no new incident of another cause.
                    if open.cause == f.cause || f.cause == Cause::Expired {
                        open.end = open.end.max(s.time);
                        open.attempts += 1;
                        let r = f.recipient.unwrap_or(0);
                        if r != open.first_recipient {
                            open.more_recipients.get_or_insert_default().insert(r);
                        }
                        return;
                    }
                }
                // Looked for again only when there is one to end.
                if let Some(old) = other_cause.then(|| self.open.swap_remove(s.domain)).flatten() {
                    self.finish(old, None, false);
                }
                let Failure {
                    domain,
                    cause,
                    reply,
                    address,
                    recipient,
                    ..
                } = *f;
                let templated = self.open.len() >= TEMPLATES_FROM;
                let sample = if templated {
                    self.templates
                        .share(&template(&reply, &address, domain.as_bytes()))
                } else {
                    reply
                };
                let mut text = Vec::with_capacity(domain.len() + address.len());
                text.extend_from_slice(domain.as_bytes());
                text.extend_from_slice(&address);
                self.open.push(Open {
                    key: s.domain,
                    text: text.into_boxed_slice(),
                    domain_len: domain.len() as u32,
                    cause,
                    templated,
                    start: s.time,
                    end: s.time,
                    attempts: 1,
                    first_recipient: recipient.unwrap_or(0),
                    sample,
                    more_recipients: None,
                });
            }
        }
    }

    fn finish(&mut self, open: Open, recovered: Option<i64>, ongoing: bool) {
        if open.attempts < MIN_ATTEMPTS {
            self.single_failures += open.attempts;
            return;
        }
        let i = Incident {
            domain: open.domain().into(),
            cause: open.cause,
            start: open.start,
            end: open.end,
            attempts: open.attempts,
            recipients: 1 + open.more_recipients.as_ref().map_or(0, |m| m.len() as u64),
            sample_local: crate::mask::local_part(&lossy(open.address())).into(),
            sample_reply: if open.templated {
                fill(&open.sample, open.address(), open.domain().as_bytes()).into()
            } else {
                open.sample
            },
            recovered,
            ongoing,
        };
        self.done.push(&i);
    }

    /// Every incident, the ones still failing marked ongoing; largest
    /// (most recipients), then longest, first.
    pub fn finish_all(mut self) -> (Incidents, u64) {
        // One at a time: collected first, a million open runs took 80 MB
        // beside the table at the end of a log of a million domains.
        for o in std::mem::take(&mut self.open) {
            self.finish(o, None, true);
        }
        let mut incidents = self.done.into_incidents();
        incidents.resolver = self.dns.incidents();
        (incidents, self.single_failures)
    }
}

/// Every incident of a run, largest first: held packed, each made when it
/// is read (72,463 made at once took 24 MiB at the end of the 5 GB benchmark
/// log; packed they take 14).
#[derive(Debug, Default)]
pub struct Incidents {
    raw: Vec<u8>,
    /// Where each incident starts in `raw`, in the report's order.
    order: Vec<usize>,
    /// Whether samples are shown with the local part masked (`--mask`).
    masked: bool,
    ongoing: usize,
    /// Stretches in which this host's resolver, not the domains, failed.
    pub resolver: Vec<ResolverIncident>,
}

impl Incidents {
    /// Incidents made elsewhere (`merge` reads them from JSON), in the
    /// report's order.
    pub fn from_list(list: &[Incident], resolver: Vec<ResolverIncident>) -> Incidents {
        let mut done = Finished::default();
        for i in list {
            done.push(i);
        }
        let mut incidents = done.into_incidents();
        incidents.resolver = resolver;
        incidents
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// How many are still going on.
    pub fn ongoing(&self) -> usize {
        self.ongoing
    }

    /// The incidents, largest first.
    pub fn iter(&self) -> impl Iterator<Item = Incident> + '_ {
        self.order.iter().map(|&at| {
            let mut i = read_incident(&mut &self.raw[at..]);
            if self.masked {
                let masked = crate::mask::text(&i.sample(), &[&i.sample_local]).into_owned();
                i.sample_reply = masked.into_bytes().into();
            }
            i
        })
    }

    /// Masks the local part of the samples' recipients (`--mask`).
    pub fn mask(&mut self) {
        self.masked = true;
    }
}

/// Finished incidents, written one after another in a compact form and
/// deflated a block at a time. Their sample replies are mostly texts seen
/// nowhere else, so an incident held as such costs about 350 bytes; this
/// way, about 55 (3.8 MiB for the 72,330 of the 5 GB benchmark log).
#[derive(Default)]
struct Finished {
    /// Deflated blocks, each of whole incidents.
    blocks: Vec<Box<[u8]>>,
    /// Incidents not yet deflated.
    raw: Vec<u8>,
    /// The bytes of the deflated blocks before deflating.
    raw_len: usize,
    len: usize,
}

/// Deflate the raw incidents when they reach this size.
const BLOCK: usize = 128 << 10;

impl Finished {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, i: &Incident) {
        let raw = &mut self.raw;
        put_bytes(raw, i.domain.as_bytes());
        raw.push(i.cause.index() as u8 | (i.ongoing as u8) << 7);
        put_int(raw, i.start);
        put_int(raw, i.end);
        put_int(raw, i.attempts as i64);
        put_int(raw, i.recipients as i64);
        put_bytes(raw, &i.sample_reply);
        put_bytes(raw, i.sample_local.as_bytes());
        match i.recovered {
            None => raw.push(0),
            Some(t) => {
                raw.push(1);
                put_int(raw, t);
            }
        }
        self.len += 1;
        if self.raw.len() >= BLOCK {
            self.deflate();
        }
    }

    fn deflate(&mut self) {
        use std::io::Write;
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        // Writing to a Vec does not fail.
        let _ = z.write_all(&self.raw);
        let block = z.finish().unwrap_or_default();
        self.blocks.push(block.into_boxed_slice());
        self.raw_len += self.raw.len();
        self.raw.clear();
    }

    /// The incidents unpacked in one buffer, sorted.
    fn into_incidents(mut self) -> Incidents {
        use std::io::Read;
        let mut raw = Vec::with_capacity(self.raw_len + self.raw.len());
        for block in std::mem::take(&mut self.blocks) {
            // Inflating what this process deflated does not fail.
            let _ = flate2::read::DeflateDecoder::new(&block[..]).read_to_end(&mut raw);
        }
        raw.extend_from_slice(&self.raw);
        drop(self.raw);
        // The sort keys, in the order the incidents ended (a stable sort
        // keeps that order among equals).
        let mut keys = Vec::with_capacity(self.len);
        let mut ongoing = 0;
        let mut rest = &raw[..];
        while !rest.is_empty() {
            let at = raw.len() - rest.len();
            let i = read_incident(&mut rest);
            keys.push((i.recipients, i.end - i.start, i.start, at));
            ongoing += i.ongoing as usize;
        }
        let domain = |at: usize| get_bytes(&mut &raw[at..]);
        keys.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
                .then_with(|| domain(a.3).cmp(domain(b.3)))
        });
        let order = keys.into_iter().map(|k| k.3).collect();
        Incidents {
            raw,
            order,
            masked: false,
            ongoing,
            resolver: Vec::new(),
        }
    }
}

/// One incident as [`Finished::push`] wrote it.
fn read_incident(raw: &mut &[u8]) -> Incident {
    let text = |b: &[u8]| -> Box<str> { lossy(b).into() };
    let domain = text(get_bytes(raw));
    let flags = get_byte(raw);
    let start = get_int(raw);
    let end = get_int(raw);
    let attempts = get_int(raw) as u64;
    let recipients = get_int(raw) as u64;
    let sample_reply: Arc<[u8]> = get_bytes(raw).into();
    let sample_local = text(get_bytes(raw));
    let recovered = (get_byte(raw) == 1).then(|| get_int(raw));
    Incident {
        domain,
        cause: Cause::ALL[(flags & 0x7f) as usize],
        start,
        end,
        attempts,
        recipients,
        sample_reply,
        sample_local,
        recovered,
        ongoing: flags & 0x80 != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::our_dns::domain_hash;

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
    fn finished_incidents_come_back_as_they_went_in_across_blocks() {
        let mut f = Finished::default();
        let mut want = Vec::new();
        for n in 0..8000i64 {
            let i = Incident {
                domain: format!("d{n}.example").into(),
                cause: Cause::ALL[n as usize % Cause::COUNT],
                start: 1_700_000_000 - n * 977,
                end: 1_700_000_000 + n,
                attempts: (n as u64) << 20,
                recipients: n as u64 % 7,
                sample_reply: format!("451 4.7.1 try later {n} \u{4e2d}").into_bytes().into(),
                sample_local: if n % 5 == 0 {
                    "".into()
                } else {
                    format!("user{n}").into()
                },
                recovered: (n % 3 == 0).then_some(-n),
                ongoing: n % 4 == 0,
            };
            f.push(&i);
            want.push(i);
        }
        // Bytes that are no UTF-8 are kept as they are in a reply.
        let mut odd = want[0].clone();
        odd.sample_reply = b"550 \xff\xfe\x00 gone"[..].into();
        f.push(&odd);
        want.push(odd);
        assert!(f.blocks.len() >= 2, "{} blocks", f.blocks.len());
        assert_eq!(f.len(), want.len());
        let got = f.into_incidents();
        assert_eq!(got.len(), want.len());
        // Largest first, as `Tracker::finish_all` sorted them when it held
        // them unpacked.
        want.sort_by(|a, b| {
            b.recipients
                .cmp(&a.recipients)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(a.start.cmp(&b.start))
                .then(a.domain.cmp(&b.domain))
        });
        assert_eq!(got.iter().collect::<Vec<_>>(), want);
    }

    #[test]
    fn reply_templates_give_back_every_reply_exactly() {
        let cases: [(&[u8], &[u8], &[u8]); 6] = [
            (
                b"550 5.1.1 <bob@d1.example>: User unknown at mx.d1.example",
                b"bob@d1.example",
                b"d1.example",
            ),
            (b"450 greylisted", b"bob@d1.example", b"d1.example"),
            (b"550 \x01 odd <bob@x>", b"bob@x", b"x"),
            (b"aaaa", b"aa", b"a"),
            (b"", b"", b""),
            (
                b"550 <BOB@D1.EXAMPLE> d1.example",
                b"BOB@D1.EXAMPLE",
                b"d1.example",
            ),
        ];
        for (reply, address, domain) in cases {
            let t = template(reply, address, domain);
            assert_eq!(
                fill(&t, address, domain),
                reply,
                "{:?}",
                String::from_utf8_lossy(&t)
            );
        }
        // Two addresses of two domains that answer alike: one template.
        assert_eq!(
            template(
                b"550 <a@x.example>: no such user at mx.x.example",
                b"a@x.example",
                b"x.example"
            ),
            template(
                b"550 <b@y.example>: no such user at mx.y.example",
                b"b@y.example",
                b"y.example"
            ),
        );
    }

    #[test]
    fn open_runs_find_every_domain_after_removals() {
        let run = |key: u64| Open {
            key,
            text: Box::default(),
            domain_len: 0,
            cause: Cause::Blocked,
            templated: false,
            start: key as i64,
            end: 0,
            attempts: 1,
            first_recipient: 0,
            sample: Arc::from(&b""[..]),
            more_recipients: None,
        };
        let mut runs = OpenRuns::default();
        let mut held = std::collections::BTreeSet::new();
        // Past a few segments' ends.
        for k in 0..5_000u64 {
            let key = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            runs.push(run(key));
            held.insert(key);
            if k % 3 == 2 {
                // The first one held, then one from the middle.
                let first = *held.iter().next().unwrap();
                assert_eq!(runs.swap_remove(first).map(|o| o.key), Some(first));
                held.remove(&first);
                let mid = *held.iter().nth(held.len() / 2).unwrap();
                assert_eq!(runs.swap_remove(mid).map(|o| o.start), Some(mid as i64));
                held.remove(&mid);
                assert!(runs.swap_remove(mid).is_none());
            }
            assert_eq!(runs.len(), held.len());
        }
        for &key in &held {
            assert_eq!(runs.get_mut(key).map(|o| o.key), Some(key));
        }
    }

    #[test]
    fn an_open_run_is_small() {
        assert!(std::mem::size_of::<Open>() <= 88);
    }

    #[test]
    fn past_the_template_threshold_samples_come_back_exactly() {
        let mut t = Tracker::default();
        let named = |d: &str, at: i64| {
            let mut s = fail(d, at, Cause::UserUnknown, 1);
            let f = s.failure.as_mut().unwrap();
            f.address = format!("bob@{d}").into_bytes().into();
            f.reply = format!("550 5.1.1 <bob@{d}>: no such user here (mx.{d})")
                .into_bytes()
                .into();
            s
        };
        for i in 0..TEMPLATES_FROM + 2 {
            let d = format!("d{i}.example");
            t.see(named(&d, 1));
            if i == 0 || i > TEMPLATES_FROM {
                t.see(named(&d, 2));
            }
        }
        let (incidents, _) = t.finish_all();
        let mut samples: Vec<(String, String)> = incidents
            .iter()
            .map(|i| (i.domain.to_string(), i.sample().into_owned()))
            .collect();
        samples.sort();
        let last = format!("d{}.example", TEMPLATES_FROM + 1);
        assert_eq!(samples.len(), 2);
        for (d, sample) in samples {
            assert!(d == "d0.example" || d == last, "{d}");
            assert_eq!(sample, format!("550 5.1.1 <bob@{d}>: no such user here (mx.{d})"));
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
        let incidents: Vec<Incident> = incidents.iter().collect();
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
        let incidents: Vec<Incident> = t.finish_all().0.iter().collect();
        assert_eq!(incidents.len(), 2);
        let grey = incidents.iter().find(|i| i.cause == Cause::Greylisted).unwrap();
        let blocked = incidents.iter().find(|i| i.cause == Cause::Blocked).unwrap();
        assert!(grey.end < blocked.start, "incidents of one domain do not overlap");
        assert!(!grey.ongoing && grey.recovered.is_none());
        assert!(blocked.ongoing);
    }
}
