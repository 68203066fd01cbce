//! Queue-id correlation: senders for events, expired events for the
//! recipients still deferred when qmgr gives a message up, and what became
//! of each deferral (SPEC "Input lines", `deferred_outcomes`).
//!
//! Workers know only senders. A worker's chunk table opens a queue id at
//! qmgr's `from=` line and gives the id's later lines their sender at once.
//! Deferral state is kept by the resolver alone, because qmgr logs `from=`
//! again each time a deferred message is retried, so a chunk cannot know
//! whether an id it "opens" was already deferred before it. Every fact about
//! deferrals therefore travels to the resolver as a [`Step`], in log order:
//! a deferral (`Track`), a delivery or bounce that may end one (`Close`,
//! just a recipient hash), every expiry and removal, and all lines of ids the
//! chunk did not open. The resolver applies them to the table of everything
//! before the chunk, then absorbs the chunk's still-open ids. `Close` and
//! `Removed` are the common ones: one small step per delivered recipient and
//! per message, with no allocation.
//!
//! Queue ids and recipients are identified by 64-bit hashes ([`queue_key`],
//! [`recipient_hash`]): two open queue ids would have to collide for a
//! correlation to go wrong, about one chance in 10^7 with a million open at
//! once, where exact keys would cost an allocation per line.

use std::borrow::Cow;
use std::sync::Arc;

use crate::cause::{Cause, Status};
use crate::classify::Dsn;
use crate::event::{Event, Position, SharedBytes};
use crate::packed::{get_byte, get_bytes, get_int, put_bytes, put_int};
use crate::parse::Timestamp;
use crate::segmented::{Keyed, SegmentedMap};

/// A queue id made unique across hosts: a hash of host and queue id.
pub type QueueKey = u64;

pub fn queue_key(host: &[u8], queue_id: &[u8]) -> QueueKey {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    host.hash(&mut h);
    queue_id.hash(&mut h);
    h.finish()
}

/// One thing that happened to a queue id, in log order.
#[derive(Debug, Clone)]
pub enum Step<'a> {
    /// qmgr `from=<…>`: the message is (again) in the active queue.
    From { sender: Arc<[u8]> },
    /// smtpd `client=…, sasl_username=…`: who submitted it.
    Client { sasl_username: Arc<[u8]> },
    /// An event a worker counted without knowing its submitter: the
    /// resolver counts it for the submitter it knows, and passes `event`
    /// on (with `--format jsonl`) with `sasl_username` filled in.
    Submitter {
        status: Status,
        event: Option<Box<Event<'a>>>,
    },
    /// A delivery line of a queue id this chunk did not open: the resolver
    /// completes and counts it. Boxed, like `Track`, so that the common
    /// small steps do not each carry an event's worth of bytes.
    Delivery(Box<Event<'a>>),
    /// A deferral the worker already counted, for the resolver to remember,
    /// with its recipient (by [`recipient_hash`]) and time, which the
    /// resolver would otherwise unpack from the `Kept`.
    Track {
        kept: Box<Kept>,
        recipient: u64,
        time: Timestamp,
    },
    /// A recipient (by [`recipient_hash`]) delivered or bounced, counted by
    /// the worker: it may end a deferral from before.
    Close {
        recipient: u64,
        status: Status,
        time: Timestamp,
    },
    /// Like `Close`, with the event itself, which the resolver passes on
    /// (not counts again) once it knows the deferral history it ends: for
    /// `--format jsonl`, whose events carry `attempts` and `first_deferred`.
    Closing(Box<Event<'a>>),
    /// qmgr `status=expired` (boxed: it is rare, and the other steps
    /// would all be its size).
    Expired(Box<Expiry<'a>>),
    /// qmgr `removed`: the queue id is done (and free for reuse).
    Removed,
}

impl Step<'_> {
    pub fn into_owned(self) -> Step<'static> {
        match self {
            Step::From { sender } => Step::From { sender },
            Step::Client { sasl_username } => Step::Client { sasl_username },
            Step::Submitter { status, event } => Step::Submitter {
                status,
                event: event.map(|e| Box::new(e.into_owned())),
            },
            Step::Delivery(e) => Step::Delivery(Box::new(e.into_owned())),
            Step::Track {
                kept,
                recipient,
                time,
            } => Step::Track {
                kept,
                recipient,
                time,
            },
            Step::Close {
                recipient,
                status,
                time,
            } => Step::Close {
                recipient,
                status,
                time,
            },
            Step::Closing(e) => Step::Closing(Box::new(e.into_owned())),
            Step::Expired(x) => Step::Expired(Box::new(Expiry {
                host: Cow::Owned(x.host.into_owned()),
                queue_id: Cow::Owned(x.queue_id.into_owned()),
                ..*x
            })),
            Step::Removed => Step::Removed,
        }
    }
}

/// qmgr's `status=expired` line: the message was given up.
#[derive(Debug, Clone)]
pub struct Expiry<'a> {
    pub time: Timestamp,
    pub position: Position,
    pub host: Cow<'a, [u8]>,
    pub queue_id: Cow<'a, [u8]>,
    pub sender: Arc<[u8]>,
}

/// A recipient whose last line so far was a deferral: 80 bytes, its
/// recipient's hash made again from the kept event when asked for (it was
/// 96 bytes with the hash and a padded `Timestamp`, in a vector of its
/// own).
#[derive(Debug, Clone)]
pub struct Deferral {
    /// The last deferral, from which an expired event is made.
    pub last: Kept,
    pub attempts: u32,
    first_offset: i32,
    first_unix: i64,
}

impl Deferral {
    pub fn new(last: Kept, attempts: u32, first: Timestamp) -> Deferral {
        Deferral {
            last,
            attempts,
            first_offset: first.offset,
            first_unix: first.unix,
        }
    }

    /// When the recipient was first deferred.
    pub fn first(&self) -> Timestamp {
        Timestamp {
            unix: self.first_unix,
            offset: self.first_offset,
        }
    }

    /// [`recipient_hash`] of the recipient.
    pub fn recipient(&self) -> u64 {
        crate::aggregate::recipient_hash(self.last.recipient().unwrap_or_default())
    }
}

/// A queue id's recipients whose last line so far was a deferral, in the
/// order first deferred: as a vector would hold them, but the first one in
/// place (most deferred messages have one recipient, and 250,000 deferred
/// messages each paid a 96-byte allocation for it). None, or from the
/// second on, in a vector (of all of them; an empty one allocates nothing).
/// 80 bytes: with a variant for none, the enum needed a tag word more.
#[derive(Debug, Clone)]
pub enum Deferrals {
    One(Deferral),
    /// None, or two and more.
    Many(Vec<Deferral>),
}

impl Default for Deferrals {
    fn default() -> Self {
        Deferrals::Many(Vec::new())
    }
}

impl Deferrals {
    pub fn as_slice(&self) -> &[Deferral] {
        match self {
            Deferrals::One(d) => std::slice::from_ref(d),
            Deferrals::Many(v) => v,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Deferral] {
        match self {
            Deferrals::One(d) => std::slice::from_mut(d),
            Deferrals::Many(v) => v,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Deferral> {
        self.as_slice().iter()
    }

    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub fn push(&mut self, d: Deferral) {
        *self = match std::mem::take(self) {
            Deferrals::Many(v) if v.is_empty() => Deferrals::One(d),
            Deferrals::One(first) => {
                // Room for two, not the four `push` would make.
                Deferrals::Many(vec![first, d])
            }
            Deferrals::Many(mut v) => {
                v.push(d);
                Deferrals::Many(v)
            }
        }
    }

    /// Removes the `i`-th, the later ones moving up (as `Vec::remove`).
    pub fn remove(&mut self, i: usize) -> Option<Deferral> {
        match std::mem::take(self) {
            Deferrals::One(d) if i == 0 => Some(d),
            one @ Deferrals::One(_) => {
                *self = one;
                None
            }
            Deferrals::Many(mut v) => {
                let d = (i < v.len()).then(|| v.remove(i));
                *self = match v.len() {
                    0 => Deferrals::default(),
                    1 => v.pop().map_or_else(Deferrals::default, Deferrals::One),
                    _ => Deferrals::Many(v),
                };
                d
            }
        }
    }
}

impl IntoIterator for Deferrals {
    type Item = Deferral;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Deferral>, std::vec::IntoIter<Deferral>>;

    fn into_iter(self) -> Self::IntoIter {
        match self {
            Deferrals::One(d) => Some(d).into_iter().chain(Vec::new()),
            Deferrals::Many(v) => None.into_iter().chain(v),
        }
    }
}

impl<'a> IntoIterator for &'a Deferrals {
    type Item = &'a Deferral;
    type IntoIter = std::slice::Iter<'a, Deferral>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<Deferral> for Deferrals {
    fn from_iter<I: IntoIterator<Item = Deferral>>(iter: I) -> Deferrals {
        let mut all = Deferrals::default();
        for d in iter {
            all.push(d);
        }
        all
    }
}

/// A deferral's event, kept while its recipient waits: its reply shared
/// ([`SharedBytes`]) with every other deferral and incident that has the same
/// text, like its sender and submitter; the rest packed into one allocation
/// ([`crate::packed`]), about 130 bytes. Recipients still deferred are most
/// of what a long run holds (84,082 at the end of the 5 GB benchmark log).
#[derive(Debug, Clone)]
pub struct Kept {
    /// Flags (the fields there, `sasl_unresolved`), the recipient if there,
    /// time, position, dsn, smtp_code, cause and rule, then the other byte
    /// fields there: host, queue id, orig_to, relay, delay. The domain is
    /// not kept: it is the recipient's, as the worker made it
    /// ([`Kept::domain`]).
    packed: Box<[u8]>,
    reply: Option<Arc<[u8]>>,
    sender: Option<Arc<[u8]>>,
    sasl_username: Option<Arc<[u8]>>,
}

// The byte fields of a `Kept`, in order.
const HOST: usize = 0;
const QUEUE_ID: usize = 1;
const RECIPIENT: usize = 2;
const ORIG_TO: usize = 3;
const RELAY: usize = 4;
const DELAY: usize = 5;
const FIELDS: usize = 6;
/// The flag after the fields' in a `Kept`.
const SASL_UNRESOLVED: u8 = 1 << FIELDS;

/// What a `Kept` packs besides its byte fields.
struct Scalars {
    flags: u8,
    time: Timestamp,
    position: Position,
    dsn: Option<Dsn>,
    smtp_code: Option<u16>,
    cause: Option<Cause>,
    rule: Option<u32>,
}

/// The domain of a kept recipient, as the worker made it for the event.
fn domain(recipient: Option<&[u8]>) -> Option<Cow<'_, str>> {
    recipient
        .and_then(crate::parse::domain_of)
        .map(crate::event::lower_domain)
}

/// Some(x) as x + 1, None as 0.
fn put_option(out: &mut Vec<u8>, v: Option<i64>) {
    put_int(out, v.map_or(0, |v| v + 1));
}

fn get_option(raw: &mut &[u8]) -> Option<i64> {
    let v = get_int(raw);
    (v != 0).then(|| v - 1)
}

impl Kept {
    /// Keeps the deferral `e`, whose reply is `reply` (shared, or made by
    /// the caller).
    pub fn keep(e: &Event<'_>, reply: Option<Arc<[u8]>>) -> Kept {
        // A deferral's history is in its `Deferral`, not its event.
        debug_assert!(e.status == Status::Deferred);
        debug_assert!(e.attempts.is_none() && e.first_deferred.is_none());
        debug_assert_eq!(reply.as_deref(), e.reply.as_deref());
        let parts: [Option<&[u8]>; FIELDS] = [
            Some(&e.host),
            Some(&e.queue_id),
            e.recipient.as_deref(),
            e.orig_to.as_deref(),
            e.relay.as_deref(),
            e.delay.as_deref(),
        ];
        let mut flags = if e.sasl_unresolved { SASL_UNRESOLVED } else { 0 };
        for (i, part) in parts.iter().enumerate() {
            if part.is_some() {
                flags |= 1 << i;
            }
        }
        // Packed in a buffer kept for the next deferral, then copied out at
        // its exact length: `into_boxed_slice` on a vector with room to spare
        // reallocated, at about 480 instructions a deferral (callgrind).
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let packed = SCRATCH.with(|scratch| {
            let mut out = scratch.borrow_mut();
            out.clear();
            Self::pack(e, flags, &parts, &mut out);
            Box::<[u8]>::from(&out[..])
        });
        Kept {
            packed,
            reply,
            sender: e.sender.clone(),
            sasl_username: e.sasl_username.clone(),
        }
    }

    fn pack(e: &Event<'_>, flags: u8, parts: &[Option<&[u8]>; FIELDS], out: &mut Vec<u8>) {
        out.push(flags);
        // The recipient first, so that a deferral is found by it without
        // the rest being read ([`Kept::recipient`]).
        if let Some(recipient) = parts[RECIPIENT] {
            put_bytes(out, recipient);
        }
        put_int(out, e.time.unix);
        put_int(out, e.time.offset.into());
        put_int(out, e.position.source.into());
        put_int(out, e.position.offset as i64);
        put_option(out, e.dsn.map(|d| d.class.into()));
        if let Some(d) = e.dsn {
            put_int(out, d.subject.into());
            put_int(out, d.detail.into());
        }
        put_option(out, e.smtp_code.map(i64::from));
        put_option(out, e.cause.map(|c| c.index() as i64));
        put_option(out, e.rule.map(i64::from));
        for (i, part) in parts.iter().enumerate() {
            if let (Some(part), false) = (part, i == RECIPIENT) {
                put_bytes(out, part);
            }
        }
    }

    /// The recipient as logged, read first.
    pub fn recipient(&self) -> Option<&[u8]> {
        let mut raw = &self.packed[..];
        let flags = get_byte(&mut raw);
        (flags & (1 << RECIPIENT) != 0).then(|| get_bytes(&mut raw))
    }

    /// The packed scalars, the recipient, and the other byte fields after
    /// them.
    fn unpack(&self) -> (Scalars, Option<&[u8]>, &[u8]) {
        let mut raw = &self.packed[..];
        let flags = get_byte(&mut raw);
        let recipient = (flags & (1 << RECIPIENT) != 0).then(|| get_bytes(&mut raw));
        let time = Timestamp {
            unix: get_int(&mut raw),
            offset: get_int(&mut raw) as i32,
        };
        let position = Position {
            source: get_int(&mut raw) as u32,
            offset: get_int(&mut raw) as u64,
        };
        let dsn = get_option(&mut raw).map(|class| Dsn {
            class: class as u8,
            subject: get_int(&mut raw) as u16,
            detail: get_int(&mut raw) as u16,
        });
        let smtp_code = get_option(&mut raw).map(|c| c as u16);
        let cause = get_option(&mut raw).and_then(|c| Cause::ALL.get(c as usize).copied());
        let rule = get_option(&mut raw).map(|r| r as u32);
        let scalars = Scalars {
            flags,
            time,
            position,
            dsn,
            smtp_code,
            cause,
            rule,
        };
        (scalars, recipient, raw)
    }

    /// The byte fields, `None` where absent.
    fn fields(&self) -> (Scalars, [Option<&[u8]>; FIELDS]) {
        let (scalars, recipient, mut raw) = self.unpack();
        let mut fields = [None; FIELDS];
        for (i, f) in fields.iter_mut().enumerate() {
            if i == RECIPIENT {
                *f = recipient;
            } else if scalars.flags & (1 << i) != 0 {
                *f = Some(get_bytes(&mut raw));
            }
        }
        (scalars, fields)
    }

    fn field(&self, i: usize) -> Option<&[u8]> {
        self.fields().1[i]
    }

    /// The event as it was kept, borrowing the bytes.
    pub fn event(&self) -> Event<'_> {
        let (s, fields) = self.fields();
        let bytes = |i: usize| fields[i].map(Cow::Borrowed);
        Event {
            time: s.time,
            position: s.position,
            host: bytes(HOST).unwrap_or_default(),
            queue_id: bytes(QUEUE_ID).unwrap_or_default(),
            recipient: bytes(RECIPIENT),
            orig_to: bytes(ORIG_TO),
            domain: domain(fields[RECIPIENT]),
            sender: self.sender.clone(),
            sasl_username: self.sasl_username.clone(),
            sasl_unresolved: s.flags & SASL_UNRESOLVED != 0,
            status: Status::Deferred,
            dsn: s.dsn,
            smtp_code: s.smtp_code,
            relay: bytes(RELAY),
            delay: bytes(DELAY),
            cause: s.cause,
            rule: s.rule,
            reply: self.reply.as_deref().map(Cow::Borrowed),
            attempts: None,
            first_deferred: None,
        }
    }

    /// The recipient's domain, lower-cased: what the worker made of the
    /// recipient's `to=` address for the event.
    pub fn domain(&self) -> Option<Cow<'_, str>> {
        domain(self.recipient())
    }

    pub fn host(&self) -> &[u8] {
        self.field(HOST).unwrap_or_default()
    }

    pub fn cause(&self) -> Option<Cause> {
        self.unpack().0.cause
    }

    /// [`Kept::domain`] and [`Kept::cause`], unpacked once.
    pub fn domain_and_cause(&self) -> (Option<Cow<'_, str>>, Option<Cause>) {
        let (scalars, fields) = self.fields();
        (domain(fields[RECIPIENT]), scalars.cause)
    }

    pub fn sender(&self) -> Option<&Arc<[u8]>> {
        self.sender.as_ref()
    }

    pub fn sasl_username(&self) -> Option<&Arc<[u8]>> {
        self.sasl_username.as_ref()
    }
}

/// Identifies a recipient within one queue id, as the summary does.
pub fn recipient_hash(e: &Event<'_>) -> u64 {
    crate::aggregate::recipient_hash(e.recipient.as_deref().unwrap_or(b""))
}

/// What is known of an open queue id: 120 bytes (the first deferred
/// recipient in place, [`Deferrals`]).
#[derive(Debug, Clone, Default)]
pub struct QueueState {
    pub sender: Option<Arc<[u8]>>,
    pub sasl_username: Option<Arc<[u8]>>,
    /// Whether this table saw the message's smtpd line, or its absence
    /// for certain: in a worker's table, only when the smtpd line is in the
    /// chunk.
    pub sasl_known: bool,
    /// Recipients whose last line was a deferral, in the order first deferred.
    pub deferred: Deferrals,
}

impl QueueState {
    fn find(&self, recipient: u64) -> Option<usize> {
        self.deferred.iter().position(|d| d.recipient() == recipient)
    }

    /// Records a deferral of a recipient (by [`recipient_hash`]) at `time`.
    fn defer(&mut self, recipient: u64, time: Timestamp, kept: Kept) {
        match self.find(recipient) {
            Some(i) => {
                if let Some(d) = self.deferred.as_mut_slice().get_mut(i) {
                    d.attempts += 1;
                    d.last = kept;
                }
            }
            // Its recipient's hash is `recipient`, made again from `kept`.
            None => self.deferred.push(Deferral::new(kept, 1, time)),
        }
    }

    /// Ends the deferral of `recipient`, if there is one, reporting its fate.
    fn close(
        &mut self,
        recipient: u64,
        status: Status,
        at: Timestamp,
        fate: &mut FateSink<'_>,
    ) -> Option<Deferral> {
        let d = self.deferred.remove(self.find(recipient)?)?;
        let f = match status {
            Status::Sent => Fate::Delivered,
            Status::Bounced => Fate::Bounced,
            _ => Fate::Expired,
        };
        fate(&d, f, Some(at));
        Some(d)
    }
}

/// What became of a deferred recipient (SPEC `deferred_outcomes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    Bounced,
    Expired,
    /// Still deferred when the input ends (or its message vanished).
    Pending,
}

/// Told each deferral history's end: the deferral, its fate, and when.
pub type FateSink<'s> = dyn FnMut(&Deferral, Fate, Option<Timestamp>) + 's;

/// The open queue ids, in the order an `indexmap::IndexMap` keeps them
/// (added at the end; a removed one's place taken by the last one): their
/// entries in fixed-size segments ([`SegmentedMap`]), 128 bytes each with
/// the first deferred recipient in place ([`Deferrals`]), behind a hash
/// table of 4-byte indices (5 bytes a bucket, at most 7/8 full). An
/// `IndexMap` held the entries in one vector, 88 bytes each with their
/// hash, that doubled, old and new alive while it moved, and 8-byte
/// indices: at 250,000 open deferrals (1M messages, one in four deferred and
/// never resolved) its doubling alone put 25 MiB on top of the peak RSS.
/// Bound: one entry and one index per open queue id (see
/// [`crate::segmented::Segmented`] for the segments' slack).
#[derive(Debug, Default)]
pub struct OpenQueues {
    map: SegmentedMap<(QueueKey, QueueState)>,
}

impl Keyed for (QueueKey, QueueState) {
    fn key(&self) -> u64 {
        self.0
    }

    /// FxHash of the key, as the `IndexMap` before hashed it.
    fn hash_of(key: u64) -> u64 {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        h.write_u64(key);
        h.finish()
    }
}

impl OpenQueues {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, key: &QueueKey) -> Option<&QueueState> {
        self.map.get(*key).map(|e| &e.1)
    }

    pub fn get_mut(&mut self, key: &QueueKey) -> Option<&mut QueueState> {
        self.map.get_mut(*key).map(|e| &mut e.1)
    }

    /// Sets the state of `key`, in its place if it is open, else at the
    /// end; returns the state it replaced.
    pub fn insert(&mut self, key: QueueKey, state: QueueState) -> Option<QueueState> {
        match self.get_mut(&key) {
            Some(old) => Some(std::mem::replace(old, state)),
            None => {
                self.map.push((key, state));
                None
            }
        }
    }

    /// The state of `key`, opened (empty, at the end) if it is not open.
    pub fn entry_or_default(&mut self, key: QueueKey) -> &mut QueueState {
        &mut self.map.get_or_push_with(key, || (key, QueueState::default())).1
    }

    /// Removes `key`, the last queue id taking its place.
    pub fn swap_remove(&mut self, key: &QueueKey) -> Option<QueueState> {
        self.map.swap_remove(*key).map(|e| e.1)
    }

    pub fn values(&self) -> impl Iterator<Item = &QueueState> {
        self.map.iter().map(|e| &e.1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&QueueKey, &QueueState)> {
        self.map.iter().map(|e| (&e.0, &e.1))
    }
}

impl IntoIterator for OpenQueues {
    type Item = (QueueKey, QueueState);
    type IntoIter = <SegmentedMap<(QueueKey, QueueState)> as IntoIterator>::IntoIter;

    /// In order, the index freed first.
    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

#[derive(Debug, Default)]
pub struct QueueTable {
    pub open: OpenQueues,
}

impl QueueTable {
    /// A worker's handling of one step of its chunk: events it can complete
    /// go to `emit`; what the resolver must see is returned. A deferral
    /// kept for the resolver shares its reply through `replies`.
    pub fn apply_local<'a>(
        &mut self,
        key: QueueKey,
        step: Step<'a>,
        replies: &SharedBytes,
        emit: &mut impl FnMut(&Event<'a>, bool),
    ) -> Option<Step<'a>> {
        match step {
            Step::From { sender } => {
                match self.open.get_mut(&key) {
                    Some(state) => state.sender = Some(sender),
                    None => {
                        self.open.insert(
                            key,
                            QueueState {
                                sender: Some(sender),
                                ..QueueState::default()
                            },
                        );
                    }
                }
                None
            }
            Step::Client { sasl_username } => {
                let state = self.open.entry_or_default(key);
                state.sasl_username = Some(sasl_username);
                state.sasl_known = true;
                None
            }
            Step::Delivery(e) => self.deliver_local(key, *e, false, replies, emit),
            Step::Removed => {
                self.open.swap_remove(&key);
                Some(Step::Removed)
            }
            other => Some(other),
        }
    }

    /// A worker's handling of one delivery line (the common step, taken
    /// unboxed).
    /// With `hold`, a delivered or bounced event is counted but handed to
    /// the resolver to pass on, once it knows the history the event ends.
    pub fn deliver_local<'a>(
        &mut self,
        key: QueueKey,
        mut e: Event<'a>,
        hold: bool,
        replies: &SharedBytes,
        emit: &mut impl FnMut(&Event<'a>, bool),
    ) -> Option<Step<'a>> {
        let Some(state) = self.open.get_mut(&key) else {
            return Some(Step::Delivery(Box::new(e)));
        };
        e.sasl_unresolved = !state.sasl_known;
        if let (Status::Sent | Status::Bounced, false) = (e.status, hold) {
            // The common case: the event is counted and dropped here, so it
            // borrows the queue id's sender and submitter (moved in and
            // back) instead of cloning two `Arc`s for every delivery.
            e.sender = state.sender.take();
            e.sasl_username = state.sasl_username.take();
            emit(&e, true);
            state.sender = e.sender.take();
            state.sasl_username = e.sasl_username.take();
            return Some(Step::Close {
                recipient: recipient_hash(&e),
                status: e.status,
                time: e.time,
            });
        }
        e.sender = state.sender.clone();
        e.sasl_username = state.sasl_username.clone();
        match e.status {
            Status::Deferred => {
                emit(&e, true);
                let reply = e.reply.as_deref().map(|r| replies.share(r));
                Some(Step::Track {
                    kept: Box::new(Kept::keep(&e, reply)),
                    recipient: recipient_hash(&e),
                    time: e.time,
                })
            }
            Status::Sent | Status::Bounced => {
                emit(&e, false);
                Some(Step::Closing(Box::new(e)))
            }
            // A per-recipient expired line takes its cause from the
            // deferral it ends: the resolver completes it.
            Status::Expired => Some(Step::Delivery(Box::new(e))),
        }
    }

    /// The resolver's handling of a step, against everything before it.
    /// `emit` gets each event with whether it is still to be counted (an
    /// event the worker counted already comes with `false`).
    pub fn apply<'a>(
        &mut self,
        key: QueueKey,
        step: Step<'a>,
        fate: &mut FateSink<'_>,
        emit: &mut impl FnMut(Event<'a>, bool),
    ) {
        match step {
            Step::From { sender } => self.open.entry_or_default(key).sender = Some(sender),
            Step::Client { sasl_username } => {
                self.open.entry_or_default(key).sasl_username = Some(sasl_username)
            }
            Step::Removed => {
                if let Some(old) = self.open.swap_remove(&key) {
                    for d in &old.deferred {
                        fate(d, Fate::Pending, None);
                    }
                }
            }
            Step::Close {
                recipient,
                status,
                time,
            } => {
                if let Some(state) = self.open.get_mut(&key) {
                    state.close(recipient, status, time, fate);
                }
            }
            Step::Submitter { .. } => {}
            Step::Closing(e) => {
                let mut e = *e;
                if let Some(state) = self.open.get_mut(&key) {
                    if e.sasl_unresolved {
                        e.sasl_username = state.sasl_username.clone();
                    }
                    if let Some(d) = state.close(recipient_hash(&e), e.status, e.time, fate) {
                        e.attempts = Some(d.attempts + 1);
                        e.first_deferred = Some(d.first());
                    }
                }
                emit(e, false);
            }
            Step::Track {
                kept,
                recipient,
                time,
            } => {
                let state = self.open.entry_or_default(key);
                if state.sender.is_none() {
                    state.sender = kept.sender().cloned();
                }
                if state.sasl_username.is_none() {
                    state.sasl_username = kept.sasl_username().cloned();
                }
                state.defer(recipient, time, *kept);
            }
            Step::Delivery(e) => {
                let mut e = *e;
                let state = if e.status == Status::Deferred {
                    // First seen without its from= line (the input starts
                    // after it): only a deferral has state worth keeping.
                    Some(self.open.entry_or_default(key))
                } else {
                    self.open.get_mut(&key)
                };
                if let Some(state) = state {
                    if e.sender.is_none() {
                        e.sender = state.sender.clone();
                    }
                    if e.sasl_username.is_none() {
                        e.sasl_username = state.sasl_username.clone();
                    }
                    match e.status {
                        Status::Deferred => {
                            let reply = e.reply.as_deref().map(Arc::from);
                            state.defer(recipient_hash(&e), e.time, Kept::keep(&e, reply))
                        }
                        status => {
                            if let Some(d) = state.close(recipient_hash(&e), status, e.time, fate) {
                                e.attempts = Some(d.attempts + u32::from(status != Status::Expired));
                                e.first_deferred = Some(d.first());
                                if status == Status::Expired {
                                    e.cause = d.last.cause().map(Cause::for_expiry).or(e.cause);
                                }
                            }
                        }
                    }
                }
                emit(e, true);
            }
            Step::Expired(x) => {
                let Expiry {
                    time,
                    position,
                    host,
                    queue_id,
                    sender,
                } = *x;
                let state = self.open.entry_or_default(key);
                let sender = state.sender.clone().unwrap_or(sender);
                let sasl_username = state.sasl_username.clone();
                if state.deferred.is_empty() {
                    // Its deferrals are not in the input: one event, recipient unknown.
                    let e = Event {
                        time,
                        position,
                        host,
                        queue_id,
                        recipient: None,
                        orig_to: None,
                        domain: None,
                        sender: Some(sender),
                        sasl_username,
                        sasl_unresolved: false,
                        status: Status::Expired,
                        dsn: None,
                        smtp_code: None,
                        relay: None,
                        delay: None,
                        cause: Some(Cause::Expired),
                        rule: None,
                        reply: None,
                        attempts: None,
                        first_deferred: None,
                    };
                    emit(e, true);
                    return;
                }
                for d in std::mem::take(&mut state.deferred) {
                    fate(&d, Fate::Expired, Some(time));
                    let mut e = d.last.event().into_owned();
                    e.status = Status::Expired;
                    e.time = time;
                    e.position = position;
                    e.cause = Some(e.cause.unwrap_or(Cause::Undefined).for_expiry());
                    e.sender = Some(sender.clone());
                    e.sasl_username = state.sasl_username.clone();
                    e.attempts = Some(d.attempts);
                    e.first_deferred = Some(d.first());
                    emit(e, true);
                }
            }
        }
    }

    /// Takes over the senders of the still-open queue ids of the chunk that
    /// comes next (their deferrals came as steps).
    pub fn absorb(&mut self, later: QueueTable) {
        for (key, later) in later.open {
            let mine = self.open.entry_or_default(key);
            if later.sender.is_some() {
                mine.sender = later.sender;
            }
            if later.sasl_username.is_some() {
                mine.sasl_username = later.sasl_username;
            }
        }
    }

    /// Deferred recipients still waiting when the input ends.
    pub fn pending(&self) -> impl Iterator<Item = &Deferral> {
        self.open.values().flat_map(|s| s.deferred.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deferral(orig_to: Option<&'static [u8]>, reply: Option<&'static [u8]>) -> Event<'static> {
        Event {
            time: Timestamp {
                unix: 1_763_700_000,
                offset: 28_800,
            },
            position: Position {
                source: 2,
                offset: 12_345,
            },
            host: Cow::Borrowed(b"mx1"),
            queue_id: Cow::Borrowed(b"4BQ3Tz0X1Cz9vQ"),
            recipient: Some(Cow::Borrowed(b"bob@Example.com")),
            orig_to: orig_to.map(Cow::Borrowed),
            domain: Some(Cow::Borrowed("example.com")),
            sender: Some(Arc::from(&b"alice@example.cn"[..])),
            sasl_username: None,
            sasl_unresolved: true,
            status: Status::Deferred,
            dsn: Dsn::parse(b"4.2.2"),
            smtp_code: Some(452),
            relay: Some(Cow::Borrowed(b"mx.example.com[192.0.2.1]:25")),
            delay: None,
            cause: Some(Cause::MailboxFull),
            rule: Some(17),
            reply: reply.map(Cow::Borrowed),
            attempts: None,
            first_deferred: None,
        }
    }

    #[test]
    fn a_kept_deferral_gives_back_the_event() {
        let mut no_recipient = deferral(Some(b"x@example.org"), None);
        no_recipient.recipient = None;
        no_recipient.domain = None;
        for e in [
            deferral(None, Some(b"host mx.example.com said: 452 4.2.2 Mailbox full")),
            deferral(Some(b"postmaster@example.com"), None),
            deferral(Some(b""), Some(b"")),
            no_recipient,
        ] {
            let kept = Kept::keep(&e, e.reply.as_deref().map(Arc::from));
            assert_eq!(kept.event(), e);
            assert_eq!(kept.host(), b"mx1");
            assert_eq!(kept.recipient(), e.recipient.as_deref());
            assert_eq!(kept.domain(), e.domain);
            assert_eq!(kept.cause(), Some(Cause::MailboxFull));
        }
    }

    #[test]
    fn open_queues_keep_an_index_maps_order_and_states() {
        let mut table = OpenQueues::default();
        let mut model: indexmap::IndexMap<QueueKey, u32> = indexmap::IndexMap::new();
        let state = |n: u32| QueueState {
            sasl_known: n % 2 == 0,
            sender: Some(Arc::from(n.to_string().as_bytes())),
            ..QueueState::default()
        };
        let n_of = |s: &QueueState| {
            let n: u32 = std::str::from_utf8(s.sender.as_deref().unwrap_or(b"x"))
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(u32::MAX);
            assert_eq!(s.sasl_known, n % 2 == 0);
            n
        };
        let mut x: u64 = 11;
        for step in 0..30_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Keys from a small range, so that most steps meet an open one;
            // some keys collide in their low bits.
            let key = (x >> 40) % 6_000 * if step % 3 == 0 { 1 << 32 } else { 1 };
            match (x >> 20) % 5 {
                0 | 1 => assert_eq!(
                    table.insert(key, state(step)).map(|s| n_of(&s)),
                    model.insert(key, step)
                ),
                2 => {
                    let s = table.entry_or_default(key);
                    if s.sender.is_none() {
                        *s = state(step);
                        model.insert(key, step);
                    }
                }
                _ => assert_eq!(table.swap_remove(&key).map(|s| n_of(&s)), model.swap_remove(&key)),
            }
            assert_eq!(table.len(), model.len());
            assert_eq!(table.get(&key).map(n_of), model.get(&key).copied());
            if step % 1_009 == 0 {
                let mine: Vec<(QueueKey, u32)> = table.iter().map(|(k, s)| (*k, n_of(s))).collect();
                let theirs: Vec<(QueueKey, u32)> = model.iter().map(|(k, n)| (*k, *n)).collect();
                assert_eq!(mine, theirs, "same entries in the same order");
            }
        }
        assert!(table.len() > 2 * crate::segmented::SEGMENT);
        if let Some(s) = table.get_mut(&model.keys().next().copied().unwrap_or(0)) {
            s.sasl_known = !s.sasl_known;
            s.sasl_known = !s.sasl_known;
        }
        let mine: Vec<u32> = table.values().map(n_of).collect();
        let all: Vec<(QueueKey, u32)> = table.into_iter().map(|(k, s)| (k, n_of(&s))).collect();
        assert_eq!(mine, model.values().copied().collect::<Vec<_>>());
        assert_eq!(all, model.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn deferrals_hold_what_a_vector_would_and_their_recipients() {
        // Deferrals of distinct recipients, each known by its attempts.
        let kept = |n: u32| {
            let mut e = deferral(None, Some(b"452 4.2.2 Mailbox full"));
            let to = format!("user{n}@Example.com").into_bytes();
            e.recipient = Some(Cow::Owned(to));
            let hash = recipient_hash(&e);
            (
                Deferral::new(Kept::keep(&e, e.reply.as_deref().map(Arc::from)), n, e.time),
                hash,
            )
        };
        let mut mine = Deferrals::default();
        let mut model: Vec<u32> = Vec::new();
        let attempts = |d: &Deferrals| d.iter().map(|d| d.attempts).collect::<Vec<_>>();
        let mut x: u64 = 5;
        for n in 0..2_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if (x >> 33) % 5 < 3 || model.is_empty() {
                let (d, hash) = kept(n);
                assert_eq!(d.recipient(), hash, "the hash made again is the event's");
                assert_eq!(d.first().unix, 1_763_700_000);
                mine.push(d);
                model.push(n);
            } else {
                let i = (x >> 40) as usize % (model.len() + 1);
                let want = (i < model.len()).then(|| model.remove(i));
                assert_eq!(mine.remove(i).map(|d| d.attempts), want);
            }
            assert_eq!(attempts(&mine), model);
            assert_eq!(mine.is_empty(), model.is_empty());
            match (&mine, model.len()) {
                (Deferrals::One(_), 1) => {}
                (Deferrals::Many(v), n) if n != 1 && v.len() == n => {}
                (d, n) => panic!("{n} deferrals held as {d:?}"),
            }
        }
        let copy: Deferrals = mine.clone().into_iter().collect();
        assert_eq!(attempts(&copy), model);
        assert!(mine.into_iter().map(|d| d.attempts).eq(model));
        // In place, in the deferral's own 80 bytes.
        assert_eq!(std::mem::size_of::<Deferral>(), 80);
        assert_eq!(std::mem::size_of::<Deferrals>(), 80);
    }
}
