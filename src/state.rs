//! `--state FILE`: a run resumes where the last one stopped (issue 20).
//!
//! The state file (JSON, `"version": 1`) holds, per input file, its
//! identity (device and inode, and a hash of its first bytes, which tells a
//! replaced file or a rotated copy) and the offset of the end of the last
//! whole line read; the queue ids still open (senders, submitters and
//! deferral histories that have not ended), so that a message deferred in
//! one run and delivered, bounced or expired in a later one is counted as
//! in one run over the whole log; and the running totals, so that every
//! count the report gives is over all runs since the first.
//!
//! Each input is matched against the remembered files the way logtail and
//! pygtail do it:
//!
//! - same first bytes (and, preferably, the same inode): the same log, read
//!   on from its offset: the live log, or the log renamed to `.1` by a
//!   rotation (its rest is read, then the new log from its start), or its
//!   compressed rotated copy (`.1.gz`: its decompressed bytes after the
//!   offset);
//! - the same inode, other first bytes or shorter than the offset: the file
//!   was truncated (copytruncate) or replaced: read from the start, and said
//!   on standard error;
//! - nothing: a new file, read whole.
//!
//! A compressed file is read whole once (decompressed to find its length)
//! and then known by inode and size, so later runs pass over it unread.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::aggregate::{DomainStats, LineCounts, Outcomes, StatusCounts, Summary};
use crate::cause::{Cause, Status};
use crate::classify::Dsn;
use crate::correlate::{Deferral, Kept, QueueState, QueueTable};
use crate::event::{Event, Position};
use crate::input::{self, Compression, Source};
use crate::parse::Timestamp;

/// The state file's format; a file of another version is refused.
pub const VERSION: u32 = 1;

/// How many first bytes identify a file.
const HEAD: usize = 256;

/// The state file could not be used: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum BadState {
    #[error("--state {path}: {why}; it was not changed. Remove it to start over (the next run then reads the logs whole and counts from zero)")]
    Unreadable { path: String, why: String },
    #[error(
        "--state reads log files, not {0}: standard input and the journal have no offset to resume from"
    )]
    NotAFile(String),
}

/// What the state file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub files: Vec<FileMark>,
    pub queues: Vec<SavedQueue>,
    pub counts: Carried,
    /// The run chain this file keeps (absent in a file written before
    /// chains: such a file gets one at its next run).
    #[serde(default)]
    pub chain: Option<ChainMark>,
}

/// A state file's runs are one chain: each run's `-f json` says which
/// chain and which run it is (`merge_state.chain`), so that `merge` knows
/// that a later run's counts already hold the earlier ones' (docs/merge.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainMark {
    /// Made at random when the state file is made: 16 hex digits.
    pub id: String,
    /// The number of the last run saved: 1 for the run that made the file.
    pub run: u64,
}

impl ChainMark {
    /// A new chain, before its first run.
    pub fn start() -> ChainMark {
        use std::hash::{BuildHasher, Hasher};
        // The standard library's per-process random keys, with the time and
        // the process id: no two state files made anywhere share a chain.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        h.write_u128(now.as_nanos());
        h.write_u32(std::process::id());
        ChainMark {
            id: format!("{:016x}", h.finish()),
            run: 0,
        }
    }

    /// The mark of the run after this one. A state file written before
    /// chains has counted runs no summary says belong to the chain: its
    /// first run in the chain is numbered 2, so that `merge` knows run 1 is
    /// not among its inputs.
    pub fn next(this: Option<&ChainMark>) -> ChainMark {
        match this {
            Some(c) => ChainMark {
                id: c.id.clone(),
                run: c.run + 1,
            },
            None => ChainMark {
                run: 2,
                ..ChainMark::start()
            },
        }
    }
}

/// One input file as the last run left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileMark {
    /// As named then, for people reading the file.
    pub path: String,
    pub dev: u64,
    pub ino: u64,
    pub compressed: bool,
    /// The size on disk then (a compressed file's identity with its inode).
    pub size: u64,
    /// How many first (decompressed) bytes `head_hash` is of.
    pub head_len: u64,
    pub head_hash: u64,
    /// Read up to here: the end of the last whole line; `u64::MAX` for a
    /// compressed file read to its end (its decompressed length is not
    /// known before it is read).
    pub offset: u64,
}

/// A queue id still open: what `correlate::QueueState` knows.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedQueue {
    pub key: u64,
    pub sender: Option<Bytes>,
    pub sasl_username: Option<Bytes>,
    pub sasl_known: bool,
    pub deferred: Vec<SavedDeferral>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedDeferral {
    pub recipient: u64,
    pub attempts: u32,
    pub first: (i64, i32),
    pub last: SavedEvent,
}

/// A kept deferral's event.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedEvent {
    pub time: (i64, i32),
    pub host: Bytes,
    pub queue_id: Bytes,
    pub recipient: Option<Bytes>,
    pub orig_to: Option<Bytes>,
    pub sender: Option<Bytes>,
    pub sasl_username: Option<Bytes>,
    pub sasl_unresolved: bool,
    pub dsn: Option<(u8, u16, u16)>,
    pub smtp_code: Option<u16>,
    pub relay: Option<Bytes>,
    pub delay: Option<Bytes>,
    pub cause: Option<String>,
    pub rule: Option<u32>,
    pub reply: Option<Bytes>,
}

/// Bytes as logged (not always UTF-8), written as hex.
#[derive(Debug, Clone)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut hex = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            hex.push_str(&format!("{b:02x}"));
        }
        s.serialize_str(&hex)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("bytes are not hex");
        if hex.len() % 2 != 0 || !hex.is_ascii() {
            return Err(bad());
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>, _>>()
            .map(Bytes)
    }
}

fn bytes(b: &[u8]) -> Bytes {
    Bytes(b.to_vec())
}

fn shared(b: Option<Bytes>) -> Option<Arc<[u8]>> {
    b.map(|b| Arc::from(b.0))
}

/// The running totals: the counts of every earlier run, added up.
/// Distinct recipients are kept as their hashes; examples, incidents and
/// the breakdowns by hour are of this run alone.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Carried {
    pub lines: LineCounts,
    pub totals: StatusCounts,
    pub handed_to_filter: u64,
    pub span: Option<((i64, i32), (i64, i32))>,
    pub by_domain: BTreeMap<String, (StatusCounts, Vec<u32>)>,
    /// Per cause (in `Cause::ALL` order, by name): counts and the
    /// recipients' hashes.
    pub by_cause: BTreeMap<String, (StatusCounts, Vec<u64>)>,
    pub by_relay: BTreeMap<String, (StatusCounts, Vec<u32>)>,
    pub by_host: BTreeMap<String, StatusCounts>,
    pub by_sender: BTreeMap<String, StatusCounts>,
    pub by_sasl_user: BTreeMap<String, StatusCounts>,
    /// Ended deferral histories (delivered, bounced, expired); those still
    /// pending are counted at the end of each run.
    pub outcomes: SavedOutcomes,
    pub outcomes_by_domain: BTreeMap<String, SavedOutcomes>,
    /// Per cause (by name), as above. Absent in files written before it was
    /// carried.
    #[serde(default)]
    pub outcomes_by_cause: BTreeMap<String, SavedOutcomes>,
    pub bounced_recipients: Vec<u64>,
    #[serde(default)]
    pub window_records: u64,
    #[serde(default)]
    pub last_record: Option<(i64, i32)>,
    /// The tables that went approximate ([`Summary::approximations`]).
    #[serde(default)]
    pub approximate: BTreeMap<String, crate::topk::Approximation>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SavedOutcomes {
    pub delivered: u64,
    pub bounced: u64,
    pub expired: u64,
    pub delays: Vec<u32>,
}

impl SavedOutcomes {
    fn of(o: &Outcomes) -> SavedOutcomes {
        SavedOutcomes {
            delivered: o.delivered,
            bounced: o.bounced,
            expired: o.expired,
            delays: o.delivery_delays.clone(),
        }
    }
    fn outcomes(&self) -> Outcomes {
        Outcomes {
            delivered: self.delivered,
            bounced: self.bounced,
            expired: self.expired,
            pending: 0,
            delivery_delays: self.delays.clone(),
        }
    }
}

fn stamp(t: Timestamp) -> (i64, i32) {
    (t.unix, t.offset)
}

fn unstamp((unix, offset): (i64, i32)) -> Timestamp {
    Timestamp {
        unix,
        offset: offset.clamp(-86_399, 86_399),
    }
}

fn domain_stats((counts, causes): &(StatusCounts, Vec<u32>)) -> DomainStats {
    DomainStats {
        counts: *counts,
        causes: crate::aggregate::CauseTally::from_dense(causes),
    }
}

fn saved_stats(d: &DomainStats) -> (StatusCounts, Vec<u32>) {
    (d.counts, d.causes.dense())
}

impl Carried {
    /// The counts of a settled summary (this run's added to the earlier).
    pub fn of(s: &Summary) -> Carried {
        let map = |m: &crate::topk::TopK<String, StatusCounts>| {
            m.iter().map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>()
        };
        Carried {
            lines: s.lines(),
            totals: s.totals,
            handed_to_filter: s.handed_to_filter,
            span: s.span.0.map(|(a, b)| (stamp(a), stamp(b))),
            by_domain: s
                .by_domain
                .iter()
                .map(|(k, v)| (k.clone(), saved_stats(v)))
                .collect(),
            by_cause: Cause::ALL
                .iter()
                .zip(&s.by_cause)
                .filter(|(_, c)| c.counts.0.iter().any(|&n| n > 0) || !c.recipients.is_empty())
                .map(|(cause, c)| (cause.as_str().to_string(), (c.counts, c.recipients.hashes())))
                .collect(),
            by_relay: s
                .by_relay
                .iter()
                .map(|(k, v)| (k.clone(), saved_stats(v)))
                .collect(),
            by_host: map(&s.by_host),
            by_sender: map(&s.by_sender),
            by_sasl_user: map(&s.by_sasl_user),
            outcomes: SavedOutcomes::of(&s.deferred_outcomes),
            outcomes_by_domain: s
                .outcomes_by_domain
                .iter()
                .map(|(k, v)| (k.clone(), SavedOutcomes::of(v)))
                .collect(),
            outcomes_by_cause: Cause::ALL
                .iter()
                .zip(&s.outcomes_by_cause)
                .filter(|(_, o)| o.delivered + o.bounced + o.expired > 0)
                .map(|(cause, o)| (cause.as_str().to_string(), SavedOutcomes::of(o)))
                .collect(),
            bounced_recipients: s.bounced_recipients.hashes(),
            window_records: s.window_records,
            last_record: s.last_record.map(stamp),
            approximate: s
                .approximations()
                .into_iter()
                .map(|(name, a)| (name.to_string(), a))
                .collect(),
        }
    }

    /// Adds the earlier runs' counts to this run's summary.
    pub fn add_to(&self, s: &mut Summary) {
        let mut earlier = Summary::default();
        earlier.earlier_lines = self.lines;
        earlier.totals = self.totals;
        earlier.handed_to_filter = self.handed_to_filter;
        earlier.window_records = self.window_records;
        earlier.last_record = self.last_record.map(unstamp);
        if let Some((a, b)) = self.span {
            earlier.span.add(unstamp(a));
            earlier.span.add(unstamp(b));
        }
        earlier.by_domain = self
            .by_domain
            .iter()
            .map(|(k, v)| (k.clone(), domain_stats(v)))
            .collect();
        for (name, (counts, recipients)) in &self.by_cause {
            if let Ok(c) = name.parse::<Cause>() {
                let stats = &mut earlier.by_cause[c.index()];
                stats.counts = *counts;
                for &h in recipients {
                    stats.recipients.insert(h);
                }
            }
        }
        earlier.by_relay = self
            .by_relay
            .iter()
            .map(|(k, v)| (k.clone(), domain_stats(v)))
            .collect();
        let map = |m: &BTreeMap<String, StatusCounts>| m.iter().map(|(k, v)| (k.clone(), *v)).collect();
        earlier.by_host = map(&self.by_host);
        earlier.by_sender = map(&self.by_sender);
        earlier.by_sasl_user = map(&self.by_sasl_user);
        earlier.deferred_outcomes = self.outcomes.outcomes();
        earlier.outcomes_by_domain = self
            .outcomes_by_domain
            .iter()
            .map(|(k, v)| (k.clone(), v.outcomes()))
            .collect();
        for (name, o) in &self.outcomes_by_cause {
            if let Ok(c) = name.parse::<Cause>() {
                earlier.outcomes_by_cause[c.index()] = o.outcomes();
            }
        }
        for &h in &self.bounced_recipients {
            earlier.bounced_recipients.insert(h);
        }
        earlier.set_approximations(&self.approximate);
        s.merge(earlier);
        s.count_sender_domains();
    }
}

impl SavedEvent {
    fn of(e: &Event<'_>) -> SavedEvent {
        SavedEvent {
            time: stamp(e.time),
            host: bytes(&e.host),
            queue_id: bytes(&e.queue_id),
            recipient: e.recipient.as_deref().map(bytes),
            orig_to: e.orig_to.as_deref().map(bytes),
            sender: e.sender.as_deref().map(bytes),
            sasl_username: e.sasl_username.as_deref().map(bytes),
            sasl_unresolved: e.sasl_unresolved,
            dsn: e.dsn.map(|d| (d.class, d.subject, d.detail)),
            smtp_code: e.smtp_code,
            relay: e.relay.as_deref().map(bytes),
            delay: e.delay.as_deref().map(bytes),
            cause: e.cause.map(|c| c.as_str().to_string()),
            rule: e.rule,
            reply: e.reply.as_deref().map(bytes),
        }
    }

    fn kept(self) -> Kept {
        use std::borrow::Cow;
        let recipient = self.recipient.map(|b| b.0);
        let domain = recipient
            .as_deref()
            .and_then(crate::parse::domain_of)
            .map(|d| Cow::Owned(crate::event::lower_domain(d).into_owned()));
        let reply: Option<Arc<[u8]>> = shared(self.reply);
        let e = Event {
            time: unstamp(self.time),
            position: Position::default(),
            host: Cow::Owned(self.host.0),
            queue_id: Cow::Owned(self.queue_id.0),
            recipient: recipient.map(Cow::Owned),
            orig_to: self.orig_to.map(|b| Cow::Owned(b.0)),
            domain,
            sender: shared(self.sender),
            sasl_username: shared(self.sasl_username),
            sasl_unresolved: self.sasl_unresolved,
            status: Status::Deferred,
            dsn: self.dsn.map(|(class, subject, detail)| Dsn {
                class,
                subject,
                detail,
            }),
            smtp_code: self.smtp_code,
            relay: self.relay.map(|b| Cow::Owned(b.0)),
            delay: self.delay.map(|b| Cow::Owned(b.0)),
            cause: self.cause.and_then(|name| name.parse::<Cause>().ok()),
            rule: self.rule,
            reply: reply.as_deref().map(|r| Cow::Owned(r.to_vec())),
            attempts: None,
            first_deferred: None,
        };
        Kept::keep(&e, reply)
    }
}

/// The open queue ids of a table, to save.
pub fn save_queues(table: &QueueTable) -> Vec<SavedQueue> {
    let mut queues: Vec<SavedQueue> = table
        .open
        .iter()
        .map(|(key, q)| SavedQueue {
            key: *key,
            sender: q.sender.as_deref().map(bytes),
            sasl_username: q.sasl_username.as_deref().map(bytes),
            sasl_known: q.sasl_known,
            deferred: q
                .deferred
                .iter()
                .map(|d| SavedDeferral {
                    recipient: d.recipient(),
                    attempts: d.attempts,
                    first: stamp(d.first()),
                    last: SavedEvent::of(&d.last.event()),
                })
                .collect(),
        })
        .collect();
    queues.sort_by_key(|q| q.key);
    queues
}

/// The table of the saved open queue ids.
pub fn load_queues(queues: Vec<SavedQueue>) -> QueueTable {
    let mut table = QueueTable::default();
    for q in queues {
        let state = QueueState {
            sender: shared(q.sender),
            sasl_username: shared(q.sasl_username),
            sasl_known: q.sasl_known,
            deferred: q
                .deferred
                .into_iter()
                // Each deferral's recipient hash is made again from its
                // event (`Deferral::recipient`), as it was saved.
                .map(|d| Deferral::new(d.last.kept(), d.attempts, unstamp(d.first)))
                .collect(),
        };
        table.open.insert(q.key, state);
    }
    table
}

impl State {
    /// Reads the state file; a file that is not there is a first run.
    pub fn load(path: &Path) -> Result<State, BadState> {
        let unreadable = |why: String| BadState::Unreadable {
            path: path.display().to_string(),
            why,
        };
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(State {
                    version: VERSION,
                    chain: Some(ChainMark::start()),
                    ..Default::default()
                })
            }
            Err(e) => return Err(unreadable(format!("cannot be read ({e})"))),
        };
        let value: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| unreadable(format!("is not a bounce-report state file: not JSON ({e})")))?;
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => {
                return Err(unreadable(format!(
                    "is of state version {v}; this bounce-report reads version {VERSION}"
                )))
            }
            None => {
                return Err(unreadable(
                    "is not a bounce-report state file: it has no \"version\"".into(),
                ))
            }
        }
        serde_json::from_value(value)
            .map_err(|e| unreadable(format!("is not a bounce-report state file: {e}")))
    }

    /// Writes the state file atomically: a temporary file beside it,
    /// renamed into place.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let mut f = crate::report::output::AtomicFile::create(path)?;
        serde_json::to_writer(&mut f, self).map_err(io::Error::other)?;
        f.write_all(b"\n")?;
        f.commit()
    }
}

/// 64-bit FNV-1a: stable across versions and platforms.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What a file is now: its first bytes, whether compressed, and how far
/// its whole lines go.
struct Seen {
    dev: u64,
    ino: u64,
    size: u64,
    compressed: bool,
    head: Vec<u8>,
    /// The end of the last whole line (decompressed); [`WHOLE`] for a
    /// compressed file, read to its end, whole or not (it does not grow).
    end: u64,
}

/// The offset of a compressed file read to its end: its length is only
/// known once it is decompressed, which the reader does, once.
const WHOLE: u64 = u64::MAX;

fn look(path: &Path, source: &Source, marks: &[FileMark]) -> io::Result<Seen> {
    let meta = std::fs::metadata(path)?;
    let file = File::open(path)?;
    let mut magic = [0u8; 8];
    let n = file.read_at(&mut magic, 0)?;
    let compressed = Compression::detect(&magic[..n]) != Compression::None;
    let (dev, ino, size) = (meta.dev(), meta.ino(), meta.len());
    if !compressed {
        let mut head = vec![0u8; HEAD.min(size as usize)];
        let got = file.read_at(&mut head, 0)?;
        head.truncate(got);
        return Ok(Seen {
            dev,
            ino,
            size,
            compressed,
            head,
            end: last_line_end(&file, size)?,
        });
    }
    // A compressed file known by inode and size was read whole before.
    if let Some(m) = marks
        .iter()
        .find(|m| m.compressed && (m.dev, m.ino, m.size) == (dev, ino, size))
    {
        return Ok(Seen {
            dev,
            ino,
            size,
            compressed,
            head: Vec::new(),
            end: m.offset,
        });
    }
    // Only the first bytes are decompressed here, to know the file by:
    // the reader decompresses it once, from where the last run stopped to
    // its end, which is not known before (an .xz or a multi-member .gz
    // does not say its length).
    let mut plain = Source {
        range: None,
        ..source.clone()
    };
    plain.command = None;
    let (reader, _) = input::open(&plain, None)?;
    let mut head = Vec::with_capacity(HEAD);
    reader.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(Seen {
        dev,
        ino,
        size,
        compressed,
        head,
        end: WHOLE,
    })
}

/// The offset after the last '\n' of a plain file of `size` bytes (0 when
/// it has none): a line still being written is left for the next run.
fn last_line_end(file: &File, size: u64) -> io::Result<u64> {
    let mut end = size;
    let mut buf = vec![0u8; 64 << 10];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        file.read_exact_at(&mut buf[..n], start)?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The sources with what is left to read of each, and the marks to save
/// once the run succeeds. Notes (a truncated or replaced file) go to `err`.
pub fn plan(
    sources: Vec<Source>,
    marks: &[FileMark],
    err: &mut dyn Write,
) -> Result<(Vec<Source>, Vec<FileMark>), anyhow::Error> {
    let mut used = vec![false; marks.len()];
    let mut planned = Vec::with_capacity(sources.len());
    let mut kept = Vec::new();
    for mut source in sources {
        let Some(path) = source.path.clone() else {
            return Err(crate::UsageError::from(BadState::NotAFile(source.name)).into());
        };
        // A file that cannot be looked at is left to the reader, which
        // names it and the error (exit status 1, and no state is saved).
        let Ok(seen) = look(&path, &source, marks) else {
            planned.push(source);
            continue;
        };
        let same_head = |m: &FileMark| {
            m.head_len > 0
                && m.head_len <= seen.head.len() as u64
                && fnv(&seen.head[..m.head_len as usize]) == m.head_hash
        };
        let same_inode = |m: &FileMark| (m.dev, m.ino) == (seen.dev, seen.ino);
        let free = |i: &usize| !used[*i];
        let by_head = (0..marks.len())
            .filter(free)
            .filter(|&i| same_head(&marks[i]))
            .min_by_key(|&i| !same_inode(&marks[i]));
        let known_compressed = seen.compressed && seen.head.is_empty();
        let start = match by_head {
            _ if known_compressed => seen.end,
            // A compressed file read whole, now decompressed (gunzip'd):
            // read already, to its end.
            Some(i) if marks[i].offset == WHOLE => {
                used[i] = true;
                seen.end
            }
            Some(i) if marks[i].offset <= seen.end => {
                used[i] = true;
                marks[i].offset
            }
            found => {
                // Any mark of the inode, even one the rotated copy took.
                let inode = found.or_else(|| (0..marks.len()).find(|&i| same_inode(&marks[i])));
                if let Some(i) = inode {
                    used[i] = true;
                    let why = if !marks[i].compressed && seen.size < marks[i].offset {
                        "is shorter than when it was last read (truncated, as by copytruncate)"
                    } else {
                        "is not the file last read at its path (its first bytes changed)"
                    };
                    writeln!(err, "bounce-report: {}: {why}: read from the start", source.name)?;
                }
                0
            }
        };
        let (head_len, head_hash) = if known_compressed {
            marks
                .iter()
                .find(|m| m.compressed && (m.dev, m.ino, m.size) == (seen.dev, seen.ino, seen.size))
                .map_or((0, 0), |m| (m.head_len, m.head_hash))
        } else {
            (seen.head.len() as u64, fnv(&seen.head))
        };
        kept.push(FileMark {
            path: source.name.clone(),
            dev: seen.dev,
            ino: seen.ino,
            compressed: seen.compressed,
            size: seen.size,
            head_len,
            head_hash,
            offset: seen.end,
        });
        source.range = Some((start, seen.end.max(start)));
        planned.push(source);
    }
    Ok((planned, kept))
}
