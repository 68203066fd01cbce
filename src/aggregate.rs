//! `Summary`: everything the reports count, built per worker and merged.
//!
//! Each field type has its own `merge`, so `Summary::merge` is a field-by-field
//! call; merging is associative and commutative except for "the first
//! example", which is decided by [`Position`], not by merge order, so the
//! result is the same for any chunk size and thread count.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::hash::Hasher;

use crate::cause::{Cause, Status};
use crate::correlate::Fate;
use crate::distinct::Distinct;
use crate::event::{lossy, relay_host, Event, Position};
use crate::parse::Timestamp;
use crate::topk::{Approximation, TopK, Weight};
use crate::unclassified::{Shape, ShapeCache};

/// Counts per status, indexed by `Status as usize`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusCounts(pub [u64; 4]);

impl StatusCounts {
    pub fn get(&self, s: Status) -> u64 {
        self.0[s as usize]
    }
    pub fn add(&mut self, s: Status) {
        self.0[s as usize] += 1;
    }
    pub fn merge(&mut self, other: &StatusCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
    /// Bounced + deferred + expired.
    pub fn failures(&self) -> u64 {
        self.get(Status::Bounced) + self.get(Status::Deferred) + self.get(Status::Expired)
    }
    /// Messages that reached a final state: sent, bounced or expired.
    pub fn finals(&self) -> u64 {
        self.get(Status::Sent) + self.get(Status::Bounced) + self.get(Status::Expired)
    }
    /// Bounced and expired as a share of sent + bounced + expired: of the
    /// recipients whose fate was decided, how many did not get the mail.
    pub fn bounce_rate(&self) -> Option<f64> {
        let finals = self.finals();
        (finals > 0).then(|| (self.get(Status::Bounced) + self.get(Status::Expired)) as f64 / finals as f64)
    }
}

/// How every line read was accounted for:
/// `lines = parsed + other + malformed + overlong`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineCounts {
    pub lines: u64,
    /// Delivery status and qmgr lines that were read (probes included).
    pub parsed: u64,
    /// Lines of other programs, other Postfix lines, blank lines.
    pub other: u64,
    /// Delivery or qmgr lines that could not be read.
    pub malformed: u64,
    /// Lines longer than [`crate::scan::MAX_LINE`]: cut, counted, not parsed.
    pub overlong: u64,
    /// Address-verification probes (`status=deliverable|undeliverable`),
    /// part of `parsed` but not events.
    pub probes: u64,
    pub bytes: u64,
}

impl LineCounts {
    pub fn merge(&mut self, o: &LineCounts) {
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.other += o.other;
        self.malformed += o.malformed;
        self.overlong += o.overlong;
        self.probes += o.probes;
        self.bytes += o.bytes;
    }
}

/// The earliest and latest time seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span(pub Option<(Timestamp, Timestamp)>);

impl Span {
    pub fn add(&mut self, t: Timestamp) {
        self.0 = Some(match self.0 {
            None => (t, t),
            Some((a, b)) => (a.min_by_instant(t), b.max_by_instant(t)),
        });
    }
    pub fn merge(&mut self, o: &Span) {
        if let Some((a, b)) = o.0 {
            self.add(a);
            self.add(b);
        }
    }
}

impl Timestamp {
    fn min_by_instant(self, o: Timestamp) -> Timestamp {
        if o.unix < self.unix {
            o
        } else {
            self
        }
    }
    fn max_by_instant(self, o: Timestamp) -> Timestamp {
        if o.unix > self.unix {
            o
        } else {
            self
        }
    }
}

/// The first reply of a kind, by position in the input, with the local
/// part of its recipient (for `--mask`, which hides it in the text too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Example(pub Option<(Position, String, String)>);

impl Example {
    pub fn offer(&mut self, pos: Position, text: impl FnOnce() -> (String, String)) {
        if self.0.as_ref().is_none_or(|(p, _, _)| pos < *p) {
            let (text, local) = text();
            self.0 = Some((pos, text, local));
        }
    }
    pub fn merge(&mut self, o: &Example) {
        if let Some((pos, text, local)) = &o.0 {
            self.offer(*pos, || (text.clone(), local.clone()));
        }
    }
    pub fn text(&self) -> Option<&str> {
        self.0.as_ref().map(|(_, t, _)| t.as_str())
    }
    /// The recipient's local part ("" when there is none).
    pub fn local(&self) -> &str {
        self.0.as_ref().map_or("", |(_, _, l)| l.as_str())
    }
}

/// Replies of one normalised form that no rule classified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unclassified {
    pub events: u64,
    pub example: Example,
}

impl Unclassified {
    pub fn merge(&mut self, o: &Unclassified) {
        self.events += o.events;
        self.example.merge(&o.example);
    }
}

/// Per recipient domain (and per relay): 48 bytes, and 8 more on the heap
/// per cause the domain failed with (before, 160 bytes whatever the
/// causes: a log of a million domains held several maps of them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DomainStats {
    pub counts: StatusCounts,
    /// Failures per cause, to name the domain's main cause.
    pub causes: CauseTally,
}

/// Failures per hour (hours since the Unix epoch), sorted by hour: one
/// allocation of 16 bytes an hour with failures (a `BTreeMap` took a node
/// of about 200 bytes for a domain's first hour).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HourTally(Box<[(i64, u32)]>);

impl HourTally {
    pub fn add(&mut self, hour: i64, n: u32) {
        // Events come mostly in time order: the last hour is the likeliest.
        if let Some(last) = self.0.last_mut().filter(|(h, _)| *h == hour) {
            last.1 += n;
            return;
        }
        if self.0.is_empty() {
            self.0 = Box::new([(hour, n)]);
            return;
        }
        match self.0.binary_search_by_key(&hour, |&(h, _)| h) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => {
                let mut v = std::mem::take(&mut self.0).into_vec();
                v.insert(i, (hour, n));
                self.0 = v.into_boxed_slice();
            }
        }
    }

    pub fn merge(&mut self, o: &HourTally) {
        for &(h, n) in o.0.iter() {
            self.add(h, n);
        }
    }

    /// (hour, failures), by hour.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.0.iter().copied()
    }
}

/// Failure counts of the causes seen, as (cause index, count) sorted by
/// cause index: most domains fail with one or two causes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CauseTally(Box<[(u8, u32)]>);

impl CauseTally {
    pub fn add(&mut self, cause: Cause) {
        self.add_n(cause.index() as u8, 1);
    }

    fn add_n(&mut self, cause: u8, n: u32) {
        // A domain's first failure: one allocation, not a vector grown and
        // shrunk (its reallocation was 5% of a run over a million domains).
        if self.0.is_empty() {
            self.0 = Box::new([(cause, n)]);
            return;
        }
        match self.0.binary_search_by_key(&cause, |&(c, _)| c) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => {
                let mut v = std::mem::take(&mut self.0).into_vec();
                v.insert(i, (cause, n));
                self.0 = v.into_boxed_slice();
            }
        }
    }

    pub fn merge(&mut self, o: &CauseTally) {
        for &(c, n) in o.0.iter() {
            self.add_n(c, n);
        }
    }

    /// One count per cause, in the SPEC's order (the `--state` file's form).
    pub fn dense(&self) -> Vec<u32> {
        let mut v = vec![0; Cause::COUNT];
        for &(c, n) in self.0.iter() {
            v[c as usize] = n;
        }
        v
    }

    /// From [`CauseTally::dense`]'s form; counts past the causes are ignored.
    pub fn from_dense(counts: &[u32]) -> CauseTally {
        let mut t = CauseTally::default();
        for (i, &n) in counts.iter().enumerate().take(Cause::COUNT) {
            if n > 0 {
                t.add_n(i as u8, n);
            }
        }
        t
    }

    /// The cause with the most failures (ties: the SPEC's order).
    pub fn top(&self) -> Option<Cause> {
        let &(i, n) = self.0.iter().max_by_key(|&&(i, n)| (n, std::cmp::Reverse(i)))?;
        (n > 0).then(|| Cause::ALL[i as usize])
    }
}

impl Weight for DomainStats {
    fn weight(&self) -> u64 {
        self.counts.weight()
    }
}

impl Weight for StatusCounts {
    fn weight(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl Weight for Outcomes {
    fn weight(&self) -> u64 {
        self.total()
    }
}

impl DomainStats {
    pub fn merge(&mut self, o: &DomainStats) {
        self.counts.merge(&o.counts);
        self.causes.merge(&o.causes);
    }
    /// The cause with the most failures (ties: the SPEC's order).
    pub fn main_cause(&self) -> Option<Cause> {
        self.causes.top()
    }
}

/// Failure counts per cause, indexed by `Cause::index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CauseCounts(pub [u32; Cause::COUNT]);

impl Default for CauseCounts {
    fn default() -> Self {
        CauseCounts([0; Cause::COUNT])
    }
}

impl CauseCounts {
    pub fn merge(&mut self, o: &CauseCounts) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
    pub fn top(&self) -> Option<Cause> {
        let (i, &n) = self
            .0
            .iter()
            .enumerate()
            .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))?;
        (n > 0).then(|| Cause::ALL[i])
    }
}

/// Per cause.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CauseStats {
    pub counts: StatusCounts,
    /// Distinct recipients (hashed), to say how many addresses a cause hit.
    pub recipients: Distinct,
    /// Failure events by the kind of reply that had them: the report's
    /// example for the cause is the commonest kind's, and its advice that
    /// kind's rule's when the rule has its own.
    pub kinds: HashMap<ReplyKind, Kind>,
}

/// A kind of reply within a cause: the rule that decided it (none for an
/// enhanced or basic code, or nothing) and its reply code. Replies of one
/// rule are one phrasing up to addresses, hosts and numbers, so counting
/// kinds costs a hash of two numbers per event, not a normalised text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyKind {
    pub rule: Option<u32>,
    pub smtp_code: Option<u16>,
}

/// Failure events of one [`ReplyKind`], with the earliest reply of the kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kind {
    pub events: u64,
    pub example: Example,
}

impl CauseStats {
    pub fn merge(&mut self, o: &CauseStats) {
        self.counts.merge(&o.counts);
        self.recipients.extend(&o.recipients);
        for (k, kind) in &o.kinds {
            let mine = self.kinds.entry(*k).or_default();
            mine.events += kind.events;
            mine.example.merge(&kind.example);
        }
    }

    /// The kind with the most events (ties: the earliest example, then the
    /// kind), whatever the merge order.
    pub fn commonest(&self) -> Option<(ReplyKind, &Kind)> {
        self.kinds
            .iter()
            .min_by_key(|(k, kind)| {
                let pos = kind.example.0.as_ref().map(|(p, _, _)| *p);
                (std::cmp::Reverse(kind.events), pos.is_none(), pos, **k)
            })
            .map(|(k, kind)| (*k, kind))
    }

    /// The example reply shown for the cause: the commonest kind's.
    pub fn example(&self) -> Option<&Example> {
        self.commonest().map(|(_, kind)| &kind.example)
    }
}

/// What became of deferred recipients (SPEC `deferred_outcomes`): over the
/// distinct (queue id, recipient) pairs with at least one deferral.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub delivered: u64,
    pub bounced: u64,
    pub expired: u64,
    pub pending: u64,
    /// Seconds from the first deferral to the delivery, per delivered one.
    pub delivery_delays: Vec<u32>,
}

impl Outcomes {
    pub fn add(&mut self, fate: Fate, delay: Option<i64>) {
        match fate {
            Fate::Delivered => {
                self.delivered += 1;
                if let Some(d) = delay {
                    self.delivery_delays.push(d.clamp(0, i64::from(u32::MAX)) as u32);
                }
            }
            Fate::Bounced => self.bounced += 1,
            Fate::Expired => self.expired += 1,
            Fate::Pending => self.pending += 1,
        }
    }

    pub fn merge(&mut self, o: &Outcomes) {
        self.delivered += o.delivered;
        self.bounced += o.bounced;
        self.expired += o.expired;
        self.pending += o.pending;
        self.delivery_delays.extend_from_slice(&o.delivery_delays);
    }

    /// Deferred recipients, whatever became of them.
    pub fn total(&self) -> u64 {
        self.delivered + self.bounced + self.expired + self.pending
    }

    /// The median time from first deferral to delivery, in seconds.
    pub fn median_delay(&self) -> Option<u32> {
        let mut d = self.delivery_delays.clone();
        if d.is_empty() {
            return None;
        }
        let mid = d.len() / 2;
        Some(*d.select_nth_unstable(mid).1)
    }
}

/// One deferral history's end, as the resolver reports it.
#[derive(Clone, Debug)]
pub struct FateRecord {
    pub domain: Option<String>,
    pub cause: Option<Cause>,
    pub fate: Fate,
    pub delay: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Line accounting per source, indexed like the sources.
    pub files: Vec<LineCounts>,
    pub totals: StatusCounts,
    /// Recipients handed to a content filter (`handoff`): not sent, and
    /// not events; the filter's re-injected message carries their fate.
    pub handed_to_filter: u64,
    /// With `--host`, every host that logged a Postfix line read (in the
    /// window or not), to refuse a `--host` that names none of them.
    pub hosts_seen: std::collections::BTreeSet<Box<[u8]>>,
    pub span: Span,
    /// Keyed by lower-cased domain; "" for recipients without a domain.
    /// This and the other tables of [`TopK`] only feed top-N views: exact
    /// up to [`crate::topk::limit`] keys, approximate past it
    /// ([`Summary::approximations`]).
    pub by_domain: TopK<String, DomainStats>,
    pub by_cause: Vec<CauseStats>,
    pub by_relay: TopK<String, DomainStats>,
    /// Keyed by hours since the Unix epoch (UTC).
    pub by_hour: BTreeMap<i64, StatusCounts>,
    /// Keyed by the sender's lower-cased domain; "" for the null sender.
    /// Not counted per event: [`Summary::count_sender_domains`] adds up
    /// `by_sender` once all events are in (so it holds at most as many
    /// keys, and is approximate when `by_sender` is).
    pub by_sender_domain: HashMap<String, StatusCounts>,
    pub deferred_outcomes: Outcomes,
    /// What became of deferrals, by the recipient's domain ("" for none).
    pub outcomes_by_domain: TopK<String, Outcomes>,
    /// What became of deferrals, by the cause of the last deferral.
    pub outcomes_by_cause: Vec<Outcomes>,
    /// Keyed by the logging host (for logs collected from several).
    pub by_host: TopK<String, StatusCounts>,
    /// Keyed by the envelope sender ("" for the null sender).
    pub by_sender: TopK<String, StatusCounts>,
    /// Keyed by the authenticated submitter (smtpd's sasl_username).
    pub by_sasl_user: TopK<String, StatusCounts>,
    /// Failures per hour (as `by_hour`) and cause.
    pub by_hour_cause: BTreeMap<i64, CauseCounts>,
    /// Failures per recipient domain and hour.
    pub by_hour_domain: TopK<String, HourTally>,
    /// Distinct recipients (hashed) with a bounced event.
    pub bounced_recipients: Distinct,
    /// Undefined replies by normalised text (`unclassified::normalise`).
    pub unclassified: TopK<String, Unclassified>,
    /// The server's own warnings, errors and refusals (`health`).
    pub health: crate::health::Health,
    /// Counts by the bytes as logged, not yet in the maps above: an event
    /// is counted without making text of its host, relay and sender;
    /// [`Summary::settle`] does that once per distinct value.
    raw: RawCounts,
    /// The shapes of the replies seen, by their bytes.
    shapes: ShapeCache,
    /// Lines read by earlier runs (`--state`): part of [`Summary::lines`],
    /// of no file of this run.
    pub earlier_lines: LineCounts,
    /// Postfix delivery and queue lines (of the `--host`s) whose time is in
    /// the window: how much log the window held.
    pub window_records: u64,
    /// The latest time of any Postfix line read, in the window or not.
    pub last_record: Option<Timestamp>,
}

/// Per-event counts keyed by logged bytes (see [`Summary::settle`]).
#[derive(Clone, Debug, Default, PartialEq)]
struct RawCounts {
    domains: RawMap<DomainStats>,
    hour_domains: RawMap<HourTally>,
    relays: RawMap<DomainStats>,
    hosts: RawMap<StatusCounts>,
    senders: RawMap<StatusCounts>,
    submitters: RawMap<StatusCounts>,
    /// Undefined replies by shape, with the shape's normalised text.
    unclassified: TopK<Shape, (String, Unclassified)>,
}

/// Counts by the 64-bit hash of the bytes, the bytes kept beside them for
/// [`Summary::settle`]: a lookup compares no bytes, so it does not fetch a
/// key from wherever it was allocated (comparing domain names in `by_domain`
/// was 3% of a run in `perf annotate`, mostly that cache miss). Two values
/// would have to collide in 64 bits to be counted as one, as for queue ids
/// and recipients (`correlate`). Bounded like the maps it settles into
/// (each event weighs 1).
type RawMap<V> = TopK<u64, (Box<[u8]>, V)>;

/// Counts under `key`.
fn raw_entry<'m, V: Default>(map: &'m mut RawMap<V>, key: &[u8]) -> &'m mut V {
    let mut h = rustc_hash::FxHasher::default();
    h.write(key);
    &mut map.add_with(h.finish(), 1, || (key.into(), V::default())).1
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            files: Vec::new(),
            totals: StatusCounts::default(),
            handed_to_filter: 0,
            hosts_seen: Default::default(),
            span: Span::default(),
            by_domain: TopK::default(),
            by_cause: vec![CauseStats::default(); Cause::COUNT],
            by_relay: TopK::default(),
            by_hour: BTreeMap::new(),
            by_sender_domain: HashMap::default(),
            deferred_outcomes: Outcomes::default(),
            outcomes_by_domain: TopK::default(),
            outcomes_by_cause: vec![Outcomes::default(); Cause::COUNT],
            by_host: TopK::default(),
            by_sender: TopK::default(),
            by_sasl_user: TopK::default(),
            by_hour_cause: BTreeMap::new(),
            by_hour_domain: TopK::default(),
            unclassified: TopK::default(),
            health: Default::default(),
            bounced_recipients: Distinct::default(),
            raw: RawCounts::default(),
            shapes: ShapeCache::default(),
            earlier_lines: LineCounts::default(),
            window_records: 0,
            last_record: None,
        }
    }
}

fn merge_map<V: Default>(
    into: &mut HashMap<String, V>,
    from: HashMap<String, V>,
    merge: impl Fn(&mut V, &V),
) {
    if into.is_empty() {
        *into = from;
        return;
    }
    for (k, v) in from {
        match into.get_mut(&k) {
            Some(mine) => merge(mine, &v),
            None => {
                into.insert(k, v);
            }
        }
    }
}

impl Summary {
    pub fn file_mut(&mut self, source: usize) -> &mut LineCounts {
        if self.files.len() <= source {
            self.files.resize(source + 1, LineCounts::default());
        }
        &mut self.files[source]
    }

    /// Notes the time of a Postfix line read.
    pub fn see_record(&mut self, t: Timestamp) {
        if self.last_record.is_none_or(|l| t.unix > l.unix) {
            self.last_record = Some(t);
        }
    }

    /// All sources' line accounting added up.
    pub fn lines(&self) -> LineCounts {
        let mut all = self.earlier_lines;
        for f in &self.files {
            all.merge(f);
        }
        all
    }

    /// Counts one event, wherever it was completed.
    pub fn add_event(&mut self, e: &Event<'_>) {
        self.count_event(e);
        if let (Some(cause), Some(r)) = (e.cause, &e.recipient) {
            self.count_failed_recipient(cause, recipient_hash(r), e.status == Status::Bounced);
        }
    }

    /// Counts a failure's recipient among the distinct ones of its cause
    /// (and of bounces). The pipeline does this in the resolver alone, from
    /// each failure's [`crate::incident::Sighting`], so that the sets of
    /// distinct recipients, the largest state a long run counts, are not
    /// also kept once per worker (9 MiB of peak RSS on the 5 GB benchmark
    /// log).
    pub fn count_failed_recipient(&mut self, cause: Cause, recipient: u64, bounced: bool) {
        if bounced {
            self.bounced_recipients.insert(recipient);
        }
        self.by_cause[cause.index()].recipients.insert(recipient);
    }

    /// [`Summary::add_event`] but for the distinct recipients.
    pub fn count_event(&mut self, e: &Event<'_>) {
        self.totals.add(e.status);
        self.span.add(e.time);
        let domain = e.domain.as_deref().unwrap_or("");
        let stats = raw_entry(&mut self.raw.domains, domain.as_bytes());
        stats.counts.add(e.status);
        if let Some(cause) = e.cause {
            stats.causes.add(cause);
        }
        if let Some(relay) = &e.relay {
            let r = raw_entry(&mut self.raw.relays, relay_host(relay));
            r.counts.add(e.status);
            if let Some(cause) = e.cause {
                r.causes.add(cause);
            }
        }
        raw_entry(&mut self.raw.hosts, &e.host).add(e.status);
        if let Some(user) = &e.sasl_username {
            self.add_submitter(user, e.status);
        }
        if let Some(sender) = &e.sender {
            raw_entry(&mut self.raw.senders, sender).add(e.status);
        }
        if !e.status.is_failure() {
            return;
        }
        let hour = e.time.unix.div_euclid(3600);
        self.by_hour.entry(hour).or_default().add(e.status);
        let hours = raw_entry(&mut self.raw.hour_domains, domain.as_bytes());
        hours.add(hour, 1);
        let local = || {
            e.recipient
                .as_deref()
                .map(|r| crate::mask::local_part(&lossy(r)).to_string())
                .unwrap_or_default()
        };
        if let Some(cause) = e.cause {
            self.by_hour_cause.entry(hour).or_default().0[cause.index()] += 1;
            let c = &mut self.by_cause[cause.index()];
            c.counts.add(e.status);
            if let Some(reply) = &e.reply {
                let text = || (lossy(reply).into_owned(), local());
                let kind = ReplyKind {
                    rule: e.rule,
                    smtp_code: e.smtp_code,
                };
                let kind = c.kinds.entry(kind).or_default();
                kind.events += 1;
                kind.example.offer(e.position, text);
                if cause == Cause::Undefined {
                    // Normalised once per distinct text, not once per event.
                    let (shape, key) = self.shapes.shape(reply);
                    let (_, group) = self.raw.unclassified.add_with(shape, 1, || {
                        // Normalised again only when the text was cached
                        // without its group here (for a reply of another
                        // cause, or before the groups were settled).
                        let key = key.unwrap_or_else(|| crate::unclassified::normalise(&lossy(reply)));
                        (key, Unclassified::default())
                    });
                    group.events += 1;
                    group.example.offer(e.position, text);
                }
            }
        }
    }

    /// Moves the counts kept by logged bytes into `by_domain`,
    /// `by_hour_domain`, `by_relay`, `by_host`, `by_sender` and
    /// `by_sasl_user`, keyed by text (senders and submitters with their
    /// domain lower-cased):
    /// once per distinct value instead of once per event. `merge` and the
    /// pipeline call it; a summary is read only once settled.
    pub fn settle(&mut self) {
        let raw = std::mem::take(&mut self.raw);
        // Domains were counted from text: the bytes are that text.
        fn text<V>(_: u64, (bytes, v): (Box<[u8]>, V)) -> (String, V) {
            (lossy(&bytes).into_owned(), v)
        }
        fn sender<V>(_: u64, (bytes, v): (Box<[u8]>, V)) -> (String, V) {
            (sender_key(&bytes).into_owned(), v)
        }
        self.by_domain.merge_map(raw.domains, text, |a, b| a.merge(&b));
        self.by_hour_domain
            .merge_map(raw.hour_domains, text, |a, b| a.merge(&b));
        self.by_relay.merge_map(raw.relays, text, |a, b| a.merge(&b));
        self.by_host.merge_map(raw.hosts, text, |a, b| a.merge(&b));
        self.by_sender.merge_map(raw.senders, sender, |a, b| a.merge(&b));
        self.by_sasl_user
            .merge_map(raw.submitters, sender, |a, b| a.merge(&b));
        self.unclassified.merge_map(
            raw.unclassified,
            |_, (key, group)| (key, group),
            |a, b| a.merge(&b),
        );
    }

    /// The tables that went approximate (more distinct keys than
    /// [`crate::topk::limit`]), by their JSON name.
    pub fn approximations(&self) -> Vec<(&'static str, Approximation)> {
        let mut v = Vec::new();
        let mut add = |name, a: Option<Approximation>| {
            if let Some(a) = a {
                v.push((name, a));
            }
        };
        add("by_domain", self.by_domain.approximation());
        add("by_relay", self.by_relay.approximation());
        add("by_sender", self.by_sender.approximation());
        // Added up from `by_sender`.
        add("by_sender_domain", self.by_sender.approximation());
        add("by_sasl_username", self.by_sasl_user.approximation());
        add("by_host", self.by_host.approximation());
        add("unclassified", self.unclassified.approximation());
        add("by_hour_domain", self.by_hour_domain.approximation());
        add(
            "deferred_outcomes.by_domain",
            self.outcomes_by_domain.approximation(),
        );
        v
    }

    /// Marks the tables [`Summary::approximations`] named approximate (a
    /// summary rebuilt from a saved one).
    pub fn set_approximations<'a>(
        &mut self,
        named: impl IntoIterator<Item = (&'a String, &'a Approximation)>,
    ) {
        for (name, &a) in named {
            match name.as_str() {
                "by_domain" => self.by_domain.set_approximation(Some(a)),
                "by_relay" => self.by_relay.set_approximation(Some(a)),
                "by_sender" => self.by_sender.set_approximation(Some(a)),
                // Written from `by_sender`, which carries it: read once.
                "by_sender_domain" => {}
                "by_sasl_username" => self.by_sasl_user.set_approximation(Some(a)),
                "by_host" => self.by_host.set_approximation(Some(a)),
                "unclassified" => self.unclassified.set_approximation(Some(a)),
                "by_hour_domain" => self.by_hour_domain.set_approximation(Some(a)),
                "deferred_outcomes.by_domain" => self.outcomes_by_domain.set_approximation(Some(a)),
                _ => {}
            }
        }
    }

    pub fn merge(&mut self, mut other: Summary) {
        self.settle();
        other.settle();
        for (i, f) in other.files.iter().enumerate() {
            self.file_mut(i).merge(f);
        }
        self.earlier_lines.merge(&other.earlier_lines);
        self.window_records += other.window_records;
        if let Some(t) = other.last_record {
            self.see_record(t);
        }
        self.totals.merge(&other.totals);
        self.handed_to_filter += other.handed_to_filter;
        self.health.merge(std::mem::take(&mut other.health));
        self.hosts_seen.extend(other.hosts_seen);
        self.span.merge(&other.span);
        self.by_domain.merge(other.by_domain, |a, b| a.merge(&b));
        for (mine, theirs) in self.by_cause.iter_mut().zip(&other.by_cause) {
            mine.merge(theirs);
        }
        self.by_relay.merge(other.by_relay, |a, b| a.merge(&b));
        for (h, c) in other.by_hour {
            self.by_hour.entry(h).or_default().merge(&c);
        }
        merge_map(
            &mut self.by_sender_domain,
            other.by_sender_domain,
            StatusCounts::merge,
        );
        self.deferred_outcomes.merge(&other.deferred_outcomes);
        self.outcomes_by_domain
            .merge(other.outcomes_by_domain, |a, b| a.merge(&b));
        for (mine, theirs) in self.outcomes_by_cause.iter_mut().zip(&other.outcomes_by_cause) {
            mine.merge(theirs);
        }
        self.by_host.merge(other.by_host, |a, b| a.merge(&b));
        self.by_sender.merge(other.by_sender, |a, b| a.merge(&b));
        self.by_sasl_user.merge(other.by_sasl_user, |a, b| a.merge(&b));
        self.unclassified.merge(other.unclassified, |a, b| a.merge(&b));
        self.bounced_recipients.extend(&other.bounced_recipients);
        for (h, c) in other.by_hour_cause {
            self.by_hour_cause.entry(h).or_default().merge(&c);
        }
        self.by_hour_domain
            .merge(other.by_hour_domain, |a, b| a.merge(&b));
    }

    /// Hides the local part of every address the summary holds (`--mask`):
    /// sender keys and the example replies.
    pub fn mask_addresses(&mut self) {
        let mask_example = |e: &mut Example| {
            if let Some((_, text, local)) = &mut e.0 {
                *text = crate::mask::text(text, &[local.as_str()]).into_owned();
                *local = crate::mask::local(local);
            }
        };
        for c in &mut self.by_cause {
            for kind in c.kinds.values_mut() {
                mask_example(&mut kind.example);
            }
        }
        for u in self.unclassified.values_mut() {
            mask_example(&mut u.example);
        }
        let masked = |map: &mut TopK<String, StatusCounts>| {
            let mut out = map.empty_like();
            out.merge_map(
                std::mem::replace(map, TopK::with_limit(1)),
                |k, v| (crate::mask::address(&k), v),
                |a, b| a.merge(&b),
            );
            *map = out;
        };
        masked(&mut self.by_sender);
        masked(&mut self.by_sasl_user);
    }

    /// Fills `by_sender_domain` from `by_sender` (whose keys have their
    /// domain lower-cased already): one pass over the senders at the end
    /// instead of a second lookup for every event. Call it before
    /// [`Summary::mask_addresses`].
    pub fn count_sender_domains(&mut self) {
        self.settle();
        let mut domains: HashMap<String, StatusCounts> = HashMap::default();
        for (sender, counts) in self.by_sender.iter() {
            let domain = crate::parse::domain_of(sender.as_bytes())
                .map(crate::event::lower_domain)
                .unwrap_or_default();
            domains.entry(domain.into_owned()).or_default().merge(counts);
        }
        self.by_sender_domain = domains;
    }

    /// Counts an event for its authenticated submitter (by the bytes
    /// logged, like senders: see [`Summary::settle`]).
    pub fn add_submitter(&mut self, user: &[u8], status: Status) {
        raw_entry(&mut self.raw.submitters, user).add(status);
    }

    /// Counts what became of one deferred recipient.
    pub fn add_fate(&mut self, f: &FateRecord) {
        self.count_fate(f.domain.as_deref(), f.cause, f.fate, f.delay);
    }

    /// Counts what became of a deferred recipient of `domain` whose last
    /// deferral had `cause`.
    pub fn count_fate(&mut self, domain: Option<&str>, cause: Option<Cause>, fate: Fate, delay: Option<i64>) {
        self.deferred_outcomes.add(fate, delay);
        self.outcomes_by_domain
            .add_ref(domain.unwrap_or(""), 1)
            .add(fate, delay);
        if let Some(c) = cause {
            self.outcomes_by_cause[c.index()].add(fate, delay);
        }
    }
}

/// An envelope sender as a key: as logged, the domain lower-cased.
fn sender_key(sender: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(sender) {
        Ok(s) if !s.bytes().any(|b| b.is_ascii_uppercase()) => std::borrow::Cow::Borrowed(s),
        _ => {
            let s = lossy(sender);
            match s.rfind('@') {
                Some(at) => std::borrow::Cow::Owned(format!("{}{}", &s[..at], s[at..].to_lowercase())),
                None => std::borrow::Cow::Owned(s.into_owned()),
            }
        }
    }
}

/// A recipient's identity for counting distinct addresses: the local part as
/// written, the domain case-insensitively, as mail systems compare them.
/// The domain is lower-cased in a 64-byte block on the stack: no allocation
/// on the per-event path.
pub fn recipient_hash(address: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    match memchr::memrchr(b'@', address) {
        Some(at) => {
            h.write(&address[..at]);
            // Lower-cased a block at a time and hashed a word at a time:
            // hashed a byte at a time, the function took a quarter more
            // instructions (38.4 against 31.1 M on the 100 MB benchmark log).
            let mut block = [0u8; 64];
            for part in address[at..].chunks(block.len()) {
                let lower = &mut block[..part.len()];
                lower.copy_from_slice(part);
                lower.make_ascii_lowercase();
                h.write(lower);
            }
        }
        None => h.write(address),
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary read back (merge, `--state`) has the approximations it
    /// was written with: `by_sender_domain`, written from `by_sender`, does
    /// not add `by_sender`'s error a second time.
    #[test]
    fn approximations_read_back_are_the_ones_written() {
        let mut s = Summary {
            by_sender: TopK::with_limit(2),
            ..Summary::default()
        };
        for (i, sender) in ["a", "b", "c", "d", "a", "e"].into_iter().enumerate() {
            s.by_sender
                .add_ref(sender, 1)
                .add(if i % 2 == 0 { Status::Sent } else { Status::Bounced });
        }
        let written = s.approximations();
        assert!(written.iter().any(|(n, _)| *n == "by_sender"), "{written:?}");
        let named: Vec<(String, crate::topk::Approximation)> =
            written.iter().map(|(n, a)| (n.to_string(), *a)).collect();
        let mut read = Summary::default();
        read.set_approximations(named.iter().map(|(n, a)| (n, a)));
        // The limit is the reading process's; the error is the writer's.
        let errors = |v: Vec<(&str, crate::topk::Approximation)>| -> Vec<(String, u64)> {
            v.into_iter().map(|(n, a)| (n.to_string(), a.max_error)).collect()
        };
        assert_eq!(errors(read.approximations()), errors(written));
    }

    #[test]
    fn bounce_rate_is_failed_finals_over_all_finals() {
        let mut c = StatusCounts::default();
        assert_eq!(c.bounce_rate(), None);
        for _ in 0..3 {
            c.add(Status::Sent);
        }
        c.add(Status::Bounced);
        c.add(Status::Deferred);
        assert_eq!(c.bounce_rate(), Some(0.25));
    }

    #[test]
    fn example_keeps_the_earliest_position_whatever_the_merge_order() {
        let early = Position {
            source: 0,
            offset: 10,
        };
        let late = Position { source: 1, offset: 0 };
        let mut a = Example::default();
        a.offer(late, || ("late".into(), String::new()));
        let mut b = Example::default();
        b.offer(early, || ("early".into(), String::new()));
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab.text(), Some("early"));
        assert_eq!(ab, ba);
    }

    #[test]
    fn recipients_compare_domain_case_insensitively() {
        assert_eq!(
            recipient_hash(b"Bob@Example.COM"),
            recipient_hash(b"Bob@example.com")
        );
        assert_ne!(
            recipient_hash(b"Bob@example.com"),
            recipient_hash(b"bob@example.com")
        );
        // Longer than the block the domain is lower-cased in.
        let long = format!("bob@{}.Example.COM", "Sub.".repeat(30));
        assert_eq!(
            recipient_hash(long.as_bytes()),
            recipient_hash(long.to_lowercase().as_bytes())
        );
        assert_ne!(
            recipient_hash(long.as_bytes()),
            recipient_hash(long.replace("Sub.", "Sup.").as_bytes())
        );
    }

    #[test]
    fn main_cause_is_the_most_frequent_with_ties_in_spec_order() {
        let mut c = CauseCounts::default();
        assert_eq!(c.top(), None);
        c.0[Cause::Blocked.index()] = 2;
        c.0[Cause::UserUnknown.index()] = 2;
        assert_eq!(c.top(), Some(Cause::UserUnknown));
        c.0[Cause::Blocked.index()] = 3;
        assert_eq!(c.top(), Some(Cause::Blocked));
    }
}
