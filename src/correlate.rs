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

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::sync::Arc;

use crate::cause::{Cause, Status};
use crate::event::{Event, Position};
use crate::parse::Timestamp;

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
    /// A deferral the worker already counted, for the resolver to remember.
    Track(Box<Event<'a>>),
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
            Step::Track(e) => Step::Track(Box::new(e.into_owned())),
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

/// A recipient whose last line so far was a deferral.
#[derive(Debug, Clone)]
pub struct Deferral {
    /// [`recipient_hash`] of the recipient.
    pub recipient: u64,
    /// The last deferral, from which an expired event is made.
    pub last: Event<'static>,
    pub attempts: u32,
    pub first: Timestamp,
}

/// Identifies a recipient within one queue id, as the summary does.
pub fn recipient_hash(e: &Event<'_>) -> u64 {
    crate::aggregate::recipient_hash(e.recipient.as_deref().unwrap_or(b""))
}

/// What is known of an open queue id.
#[derive(Debug, Clone, Default)]
pub struct QueueState {
    pub sender: Option<Arc<[u8]>>,
    pub sasl_username: Option<Arc<[u8]>>,
    /// Whether this table saw the message's smtpd line, or its absence
    /// for certain: in a worker's table, only when the smtpd line is in the
    /// chunk.
    pub sasl_known: bool,
    /// Recipients whose last line was a deferral, in the order first deferred.
    pub deferred: Vec<Deferral>,
}

impl QueueState {
    fn find(&self, recipient: u64) -> Option<usize> {
        self.deferred.iter().position(|d| d.recipient == recipient)
    }

    /// Records a deferral of `e`'s recipient.
    fn defer(&mut self, e: Event<'_>) {
        let recipient = recipient_hash(&e);
        match self.find(recipient) {
            Some(i) => {
                let d = &mut self.deferred[i];
                d.attempts += 1;
                d.last = e.into_owned();
            }
            None => self.deferred.push(Deferral {
                recipient,
                first: e.time,
                attempts: 1,
                last: e.into_owned(),
            }),
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
        let d = self.deferred.remove(self.find(recipient)?);
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

#[derive(Debug, Default)]
pub struct QueueTable {
    pub open: HashMap<QueueKey, QueueState>,
}

impl QueueTable {
    /// A worker's handling of one step of its chunk: events it can complete
    /// go to `emit`; what the resolver must see is returned.
    pub fn apply_local<'a>(
        &mut self,
        key: QueueKey,
        step: Step<'a>,
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
                let state = self.open.entry(key).or_default();
                state.sasl_username = Some(sasl_username);
                state.sasl_known = true;
                None
            }
            Step::Delivery(e) => self.deliver_local(key, *e, false, emit),
            Step::Removed => {
                self.open.remove(&key);
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
        emit: &mut impl FnMut(&Event<'a>, bool),
    ) -> Option<Step<'a>> {
        let Some(state) = self.open.get(&key) else {
            return Some(Step::Delivery(Box::new(e)));
        };
        e.sender = state.sender.clone();
        e.sasl_username = state.sasl_username.clone();
        e.sasl_unresolved = !state.sasl_known;
        match e.status {
            Status::Deferred => {
                emit(&e, true);
                Some(Step::Track(Box::new(e)))
            }
            Status::Sent | Status::Bounced if hold => {
                emit(&e, false);
                Some(Step::Closing(Box::new(e)))
            }
            Status::Sent | Status::Bounced => {
                emit(&e, true);
                Some(Step::Close {
                    recipient: recipient_hash(&e),
                    status: e.status,
                    time: e.time,
                })
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
            Step::From { sender } => self.open.entry(key).or_default().sender = Some(sender),
            Step::Client { sasl_username } => {
                self.open.entry(key).or_default().sasl_username = Some(sasl_username)
            }
            Step::Removed => {
                if let Some(old) = self.open.remove(&key) {
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
                        e.first_deferred = Some(d.first);
                    }
                }
                emit(e, false);
            }
            Step::Track(e) => {
                let state = self.open.entry(key).or_default();
                if state.sender.is_none() {
                    state.sender = e.sender.clone();
                }
                if state.sasl_username.is_none() {
                    state.sasl_username = e.sasl_username.clone();
                }
                state.defer(*e);
            }
            Step::Delivery(e) => {
                let mut e = *e;
                let state = if e.status == Status::Deferred {
                    // First seen without its from= line (the input starts
                    // after it): only a deferral has state worth keeping.
                    Some(self.open.entry(key).or_default())
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
                        Status::Deferred => state.defer(e.clone()),
                        status => {
                            if let Some(d) = state.close(recipient_hash(&e), status, e.time, fate) {
                                e.attempts = Some(d.attempts + u32::from(status != Status::Expired));
                                e.first_deferred = Some(d.first);
                                if status == Status::Expired {
                                    e.cause = d.last.cause.map(Cause::for_expiry).or(e.cause);
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
                let state = self.open.entry(key).or_default();
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
                    let mut e = d.last;
                    e.status = Status::Expired;
                    e.time = time;
                    e.position = position;
                    e.cause = Some(e.cause.unwrap_or(Cause::Undefined).for_expiry());
                    e.sender = Some(sender.clone());
                    e.sasl_username = state.sasl_username.clone();
                    e.attempts = Some(d.attempts);
                    e.first_deferred = Some(d.first);
                    emit(e, true);
                }
            }
        }
    }

    /// Takes over the senders of the still-open queue ids of the chunk that
    /// comes next (their deferrals came as steps).
    pub fn absorb(&mut self, later: QueueTable) {
        for (key, later) in later.open {
            let mine = self.open.entry(key).or_default();
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
