//! The pipeline: reader thread → pieces (chunks it read, or spans of a
//! plain file) → rayon workers (read a span, parse, classify, correlate what
//! they can, count) → resolver in input order (correlate the rest, merge) →
//! `Analysis`.
//!
//! Each piece goes to a worker as soon as the reader has it; the resolver
//! takes the outputs back in input order, so the result does not depend on
//! the thread count or the chunk size (a test checks both).

use std::borrow::Cow;
use std::io;
use std::sync::mpsc::{channel, sync_channel, Sender};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local};

use crate::aggregate::Summary;
use crate::aggregate::{FateRecord, LineCounts};
use crate::cause::Status;
use crate::classify::{Catalogue, Classifier, Dsn, Query};
use crate::correlate::{queue_key, Deferral, Expiry, Fate, QueueKey, QueueTable, Step};
use crate::event::{lower_domain, Event, Position, SharedBytes};
use crate::handoff::FilterRelays;
use crate::incident::{Incidents, Sighting, Tracker};
use crate::input::{Compression, Source};
use crate::parse::Timestamp;
use crate::parse::{self, Body, DeliveryStatus, Parsed, YearContext};
use crate::scan::{Gone, Message, Piece, Reader, Skip, MAX_LINE};
use crate::window::Window;

/// How to run the pipeline.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (at least 1). With 1 there is no other thread: the
    /// calling thread reads, analyses and resolves each chunk in turn.
    pub threads: usize,
    /// Bytes read for each chunk at the least. A read buffer grows by
    /// doubling when a line carried over from the last chunk does not fit,
    /// and is then filled whole, so with the default of 256 KiB most chunks
    /// are about 512 KiB.
    pub chunk_size: usize,
    /// Keep every event, in log order, for the sink (`--format jsonl`).
    pub keep_events: bool,
    /// Only events in this window are counted and passed on; sources that
    /// cannot hold it are skipped or left early.
    pub window: Window,
    /// Show a progress bar on standard error.
    pub progress: bool,
    /// When not empty, only events logged by these hosts count.
    pub hosts: Vec<String>,
    /// The relays that are content filters: a `status=sent` to one is
    /// counted as handed to filter, not as an event.
    pub filter_relays: FilterRelays,
    /// Print on standard error what the run holds at its end.
    pub stats: bool,
    /// Track incidents (runs of failures per domain). `suppress` reports
    /// none, and a log of a million domains holds a million open runs.
    pub incidents: bool,
    /// Count the distinct failing recipients (per cause, and bounced):
    /// `suppress` reports neither, and at a million recipients they are
    /// 14 MiB (`--stats` then says 0 recipient hashes). With neither this
    /// nor `incidents`, the workers send the resolver no sighting of each
    /// event.
    pub distinct_recipients: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: 256 << 10,
            keep_events: false,
            window: Window::default(),
            progress: false,
            hosts: Vec::new(),
            filter_relays: FilterRelays::default(),
            stats: false,
            incidents: true,
            distinct_recipients: true,
        }
    }
}

/// What happened to one source.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceReport {
    pub name: String,
    pub compression: Option<Compression>,
    /// Why it could not be read, or stopped being read part-way.
    pub error: Option<String>,
    /// Why it, or its rest, was not read: it cannot hold the time window.
    pub skipped: Option<Skip>,
    /// Lines stamped past `--until` that came before lines inside the
    /// window, read over (the file was read to its end).
    pub out_of_order: u64,
}

/// The result of a run.
#[derive(Debug)]
pub struct Analysis {
    pub summary: Summary,
    pub sources: Vec<SourceReport>,
    /// Runs of failures per destination domain and cause, largest first.
    pub incidents: Incidents,
    /// Failures that stood alone (no incident).
    pub single_failures: u64,
}

impl Analysis {
    /// Whether some input could not be read (exit status 1).
    pub fn had_read_errors(&self) -> bool {
        self.sources.iter().any(|s| s.error.is_some())
    }
}

/// Everything a worker needs, shared read-only.
struct Context {
    years: Vec<YearContext>,
    keep_events: bool,
    filter: Filter,
    filter_relays: FilterRelays,
    /// Each counted event goes to the resolver as a [`Sighting`] (for the
    /// incidents and the distinct recipients).
    sightings: bool,
}

/// Which events count: those in the window, from the chosen hosts.
/// Correlation still sees every line, so expiries and outcomes stay right.
#[derive(Clone, Debug, Default)]
struct Filter {
    window: Window,
    hosts: Vec<Vec<u8>>,
}

impl Filter {
    fn admits(&self, e: &Event<'_>) -> bool {
        self.admits_line(e.time, &e.host)
    }

    fn admits_line(&self, time: Timestamp, host: &[u8]) -> bool {
        self.window.contains(time) && self.host_ok(host)
    }

    fn host_ok(&self, host: &[u8]) -> bool {
        self.hosts.is_empty() || self.hosts.iter().any(|h| h.as_slice() == host)
    }

    /// Whether the deferral history `d` is this run's: it belongs to the
    /// window its first deferral is in. Its host is unpacked only when
    /// hosts are filtered.
    fn admits_history(&self, d: &Deferral) -> bool {
        self.window.contains(d.first()) && (self.hosts.is_empty() || self.host_ok(d.last.host()))
    }
}

/// What a worker keeps from chunk to chunk: its classifier (with its
/// cache) and the counts of every event it completed. Counting is
/// commutative (SPEC "first example" is decided by position), so the
/// workers' summaries are merged once, at the end, not per chunk.
struct WorkerState {
    classifier: Classifier,
    summary: Summary,
    replies: SharedBytes,
    /// Senders and submitters.
    senders: SharedBytes,
    /// Where the worker reads its spans.
    buffer: Vec<u8>,
}

impl WorkerState {
    fn new(catalogue: &Arc<Catalogue>) -> WorkerState {
        WorkerState {
            classifier: Classifier::new(Arc::clone(catalogue)),
            summary: Summary::default(),
            replies: SharedBytes::default(),
            senders: SharedBytes::default(),
            buffer: Vec::new(),
        }
    }

    /// Analyses a piece: a chunk the reader read, whose buffer then goes
    /// back to it, or a span read here.
    fn work(&mut self, piece: Piece, context: &Context, recycle: &Sender<Vec<u8>>) -> Message<ChunkOutput> {
        match piece {
            Piece::Chunk(chunk) => {
                let out = process_chunk(chunk.source, chunk.offset, &chunk.bytes, context, self);
                // The reader may be gone already; then the buffer is dropped.
                let _ = recycle.send(chunk.bytes);
                Message::Chunk(out)
            }
            Piece::Span(span) => {
                let mut buffer = std::mem::take(&mut self.buffer);
                let message = match span.read(&mut buffer) {
                    Ok((offset, lines)) => {
                        Message::Chunk(process_chunk(span.source, offset, &buffer[lines], context, self))
                    }
                    Err(error) => Message::Failed {
                        source: span.source,
                        error,
                    },
                };
                self.buffer = buffer;
                message
            }
        }
    }
}

/// What a worker hands the resolver for one chunk.
#[derive(Default)]
struct ChunkOutput {
    /// In log order: finished events (only with `keep_events`) and the
    /// steps whose queue id this chunk did not open.
    items: Vec<Item>,
    /// Queue ids opened in this chunk and still open at its end.
    open: QueueTable,
}

enum Item {
    /// An event the worker counted, for the incident tracker.
    Seen(Sighting),
    Event(Box<Event<'static>>),
    Pending(QueueKey, Step<'static>),
}

/// Runs the pipeline over `sources`; `sink` gets every event in log order
/// when `keep_events` is set. A sink error (a closed pipe) ends the run.
///
/// With one thread everything (reading, analysis, the end of the run) is
/// done on the calling thread, after the catalogue is built; with more,
/// that many workers read (plain files) and analyse while a reader thread
/// cuts plain files into spans and reads the rest ahead, and this thread
/// resolves.
pub fn analyse(
    sources: &[Source],
    catalogue: Arc<Catalogue>,
    options: &Options,
    sink: &mut dyn FnMut(&Event<'_>) -> io::Result<()>,
) -> io::Result<Analysis> {
    analyse_from(sources, catalogue, options, sink, None).map(|(a, _)| a)
}

/// [`analyse`], with the queue ids an earlier run left open (`--state`):
/// their senders and deferrals carry on into these sources. Returns the
/// queue ids still open at the end too, for the next run, when `carried`
/// was given.
pub fn analyse_from(
    sources: &[Source],
    catalogue: Arc<Catalogue>,
    options: &Options,
    sink: &mut dyn FnMut(&Event<'_>) -> io::Result<()>,
    carried: Option<QueueTable>,
) -> io::Result<(Analysis, Option<QueueTable>)> {
    let keep_table = carried.is_some();
    let table = carried.unwrap_or_default();
    let threads = options.threads.max(1);
    let context = Context {
        years: sources
            .iter()
            .map(|s| match s.modified {
                Some(t) => YearContext::new(DateTime::<Local>::from(t)),
                None => YearContext::now(),
            })
            .collect(),
        keep_events: options.keep_events,
        filter: Filter {
            window: options.window,
            hosts: options.hosts.iter().map(|h| h.as_bytes().to_vec()).collect(),
        },
        filter_relays: options.filter_relays.clone(),
        sightings: options.incidents || options.distinct_recipients,
    };
    let (recycle, recycled) = channel();
    let reader = Reader {
        chunk_size: options.chunk_size.max(1),
        recycled,
        window: options.window,
        years: context.years.clone(),
        progress: options.progress.then(|| progress_bar(sources)),
        // Spans of eight chunk sizes, 2 MiB by default: on the 1 GiB
        // benchmark log two threads took 1.14 s with them, 1.21 s with
        // spans of 1 MiB and 1.24 s reading in order (10 runs each,
        // interleaved; spans of 512 KiB, the size of a chunk read in order,
        // gained nothing): fewer pieces have fewer queue ids running over
        // their ends for the resolver to join.
        // One thread reads in order: larger chunks did not help it.
        span: (threads > 1).then_some(8 * options.chunk_size.max(1) as u64),
        until_margin: crate::scan::UNTIL_MARGIN,
    };
    let bar = reader.progress.clone();
    let mut resolver = Resolver {
        filter: &context.filter,
        distinct_recipients: options.distinct_recipients,
        summary: Summary::default(),
        table,
        tracker: if options.incidents {
            Tracker::default()
        } else {
            Tracker::disabled()
        },
        reports: sources
            .iter()
            .map(|s| SourceReport {
                name: s.name.clone(),
                compression: None,
                error: None,
                skipped: None,
                out_of_order: 0,
            })
            .collect(),
        sink,
    };
    for i in 0..sources.len() {
        resolver.summary.file_mut(i);
    }
    let states = if threads == 1 {
        run_one_thread(sources, reader, recycle, &context, &catalogue, &mut resolver)?
    } else {
        run_workers(
            sources,
            reader,
            recycle,
            threads,
            &context,
            &catalogue,
            &mut resolver,
        )?
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let Resolver {
        mut summary,
        table,
        tracker,
        reports,
        ..
    } = resolver;
    // The workers' caches and shared strings go before their summaries are
    // merged, the deferrals before the incidents are unpacked, so that the
    // end of the run does not add to the peak RSS (freeing them on a thread
    // beside the merge added 1-3 MiB to it on the 1 GiB log, and saved no
    // time that could be told from the host's noise).
    let summaries: Vec<Summary> = states.into_iter().map(|s| s.summary).collect();
    for d in table.pending() {
        if context.filter.admits_history(d) {
            let (domain, cause) = d.last.domain_and_cause();
            summary.count_fate(domain.as_deref(), cause, Fate::Pending, None);
        }
    }
    // What the run holds at its end, for `--stats`, printed once merged.
    let held = options
        .stats
        .then(|| (table.open.len(), table.pending().count(), tracker.sizes()));
    let table = if keep_table {
        Some(table)
    } else {
        drop(table);
        None
    };
    crate::memory::release_freed();
    let merge = |summary: &mut Summary| {
        for s in summaries {
            summary.merge(s);
        }
        summary.count_sender_domains();
    };
    // The incidents are unpacked and sorted on a thread of their own while
    // the summaries are merged (11 and 18 ms at the end of the 1 GiB
    // benchmark log), unless the run is to keep to one thread.
    let ((), (incidents, single_failures)) =
        crate::both(threads > 1, || merge(&mut summary), || tracker.finish_all());
    if let Some((queue_ids, deferred, (open_incidents, done_incidents, done_bytes))) = held {
        eprintln!(
            "bounce-report: held at the end: {} open queue ids with {} recipients still deferred; \
             {} open and {} finished incidents ({} KiB compressed); {} recipient hashes for the \
             exact distinct counts per cause and {} for bounced; {} recipient domains",
            queue_ids,
            deferred,
            open_incidents,
            done_incidents,
            done_bytes >> 10,
            summary.by_cause.iter().map(|c| c.recipients.len()).sum::<usize>(),
            summary.bounced_recipients.len(),
            summary.by_domain.len(),
        );
    }
    Ok((
        Analysis {
            summary,
            sources: reports,
            incidents,
            single_failures,
        },
        table,
    ))
}

/// Reads, analyses and resolves each chunk in turn on this thread; returns
/// the one worker's state.
fn run_one_thread(
    sources: &[Source],
    reader: Reader,
    recycle: Sender<Vec<u8>>,
    context: &Context,
    catalogue: &Arc<Catalogue>,
    resolver: &mut Resolver<'_, '_>,
) -> io::Result<Vec<WorkerState>> {
    let mut state = WorkerState::new(catalogue);
    let mut result = Ok(());
    reader.run(sources, &mut |message| {
        // With one thread there are no spans: each chunk's buffer goes back
        // to the reader, which reads the next chunk into it.
        let message = match message {
            Message::Chunk(piece) => state.work(piece, context, &recycle),
            other => other.map(|_| ChunkOutput::default()),
        };
        match resolver.take(message) {
            Ok(()) => Ok(()),
            Err(e) => {
                result = Err(e);
                Err(Gone)
            }
        }
    });
    result.map(|()| vec![state])
}

/// Runs the reader on a thread of its own and `threads` workers, and
/// resolves the workers' outputs in input order on this thread; returns the
/// workers' states.
fn run_workers(
    sources: &[Source],
    reader: Reader,
    recycle: Sender<Vec<u8>>,
    threads: usize,
    context: &Context,
    catalogue: &Arc<Catalogue>,
    resolver: &mut Resolver<'_, '_>,
) -> io::Result<Vec<WorkerState>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(io::Error::other)?;
    let states = Mutex::new(Vec::<WorkerState>::new());
    // Pieces sent ahead of the workers, and pieces between the reader and
    // the resolver (processing or waiting for an earlier one). Four of
    // those a worker (measured with chunks, before spans): with two, the 1 GB log took 5% longer (12 runs
    // interleaved, fifth session; likely the workers waiting while the
    // resolver is off its core), for 3 MiB less.
    let (tx, rx) = sync_channel(threads * 2);
    let in_flight = threads * 4;

    // Three stages at once: the reader cuts plain files into spans, and
    // reads and decompresses the rest ahead; a dispatcher thread hands each
    // piece to the rayon workers as soon as it comes (no batches, so no
    // worker waits for another to finish); this thread puts the workers'
    // outputs back in input order and resolves them (and writes events). At
    // most `in_flight` pieces are between the reader and the resolver,
    // which bounds memory.
    std::thread::scope(|scope| -> io::Result<()> {
        scope.spawn(move || reader.run(sources, &mut |m| tx.send(m).map_err(|_| Gone)));
        // With each output, whether it holds a token (it came from a piece).
        let (done_tx, done_rx) = channel::<(u64, bool, Message<ChunkOutput>)>();
        // Tokens: the dispatcher takes one per piece, the resolver gives it
        // back once it has resolved the piece's output.
        let (slot_tx, slot_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = slot_tx.send(());
        }
        let states = &states;
        let pool = &pool;
        scope.spawn(move || {
            pool.in_place_scope(|tasks| {
                for (seq, message) in (0u64..).zip(rx) {
                    let piece = match message {
                        Message::Chunk(p) => p,
                        // Not a piece: passed on as it is (`map` has no piece to map).
                        other => {
                            let _ = done_tx.send((seq, false, other.map(|_| ChunkOutput::default())));
                            continue;
                        }
                    };
                    if slot_rx.recv().is_err() {
                        return; // the resolver stopped (a closed output pipe)
                    }
                    let done_tx = done_tx.clone();
                    let recycle = recycle.clone();
                    tasks.spawn(move |_| {
                        let pooled = states.lock().ok().and_then(|mut p| p.pop());
                        let mut state = pooled.unwrap_or_else(|| WorkerState::new(catalogue));
                        let out = state.work(piece, context, &recycle);
                        if let Ok(mut p) = states.lock() {
                            p.push(state);
                        }
                        let _ = done_tx.send((seq, true, out));
                    });
                }
            });
        });
        // Outputs come in any order; each is resolved when all before it are.
        // Leaving early (a closed output pipe) drops `done_rx` and `slot_tx`,
        // which stops the dispatcher, which drops the chunk receiver, which
        // stops the reader.
        let mut waiting = std::collections::BTreeMap::new();
        let mut next = 0u64;
        for (seq, token, message) in done_rx {
            waiting.insert(seq, (token, message));
            while let Some((token, message)) = waiting.remove(&next) {
                next += 1;
                resolver.take(message)?;
                if token {
                    let _ = slot_tx.send(());
                }
            }
        }
        Ok(())
    })?;
    Ok(states.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// What this thread keeps while the chunks' outputs come in, in order.
struct Resolver<'c, 's> {
    filter: &'c Filter,
    /// [`Options::distinct_recipients`].
    distinct_recipients: bool,
    summary: Summary,
    table: QueueTable,
    tracker: Tracker,
    reports: Vec<SourceReport>,
    sink: &'s mut dyn FnMut(&Event<'_>) -> io::Result<()>,
}

impl Resolver<'_, '_> {
    /// Takes the next message in input order.
    fn take(&mut self, message: Message<ChunkOutput>) -> io::Result<()> {
        match message {
            Message::Chunk(out) => resolve(
                out,
                self.filter,
                self.distinct_recipients,
                &mut self.summary,
                &mut self.table,
                &mut self.tracker,
                self.sink,
            )?,
            Message::Opened { source, compression } => self.reports[source].compression = Some(compression),
            // The chunks read before the failure are counted as usual.
            Message::Failed { source, error } => self.reports[source].error = Some(error.to_string()),
            Message::Skipped { source, why } => self.reports[source].skipped = Some(why),
            Message::OutOfOrder { source, lines } => self.reports[source].out_of_order = lines,
        }
        Ok(())
    }
}

/// Bytes read of the files' total, with throughput and the file at hand.
fn progress_bar(sources: &[Source]) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(crate::input::total_size(sources)),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta} {wide_msg}",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}

/// What the summary keeps of a deferral history's end.
fn fate_record(d: &Deferral, fate: Fate, at: Option<Timestamp>) -> FateRecord {
    let (domain, cause) = d.last.domain_and_cause();
    FateRecord {
        domain: domain.map(Cow::into_owned),
        cause,
        fate,
        delay: at.map(|t| t.unix - d.first().unix),
    }
}

/// Folds one chunk's output into the run, in chunk order.
/// `distinct`: whether the distinct failing recipients are counted.
fn resolve(
    out: ChunkOutput,
    filter: &Filter,
    distinct: bool,
    summary: &mut Summary,
    table: &mut QueueTable,
    incidents: &mut Tracker,
    sink: &mut dyn FnMut(&Event<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut fates = Vec::new();
    let mut result = Ok(());
    for item in out.items {
        match item {
            Item::Seen(s) => {
                if let Some(f) = s.failure.as_ref().filter(|_| distinct) {
                    if let Some(r) = f.recipient {
                        summary.count_failed_recipient(f.cause, r, f.bounced);
                    }
                }
                incidents.see(s)
            }
            Item::Event(e) => {
                if result.is_ok() {
                    result = sink(&e);
                }
            }
            Item::Pending(key, Step::Submitter { status, event }) => {
                let user = table.open.get(&key).and_then(|s| s.sasl_username.clone());
                if let Some(user) = &user {
                    summary.add_submitter(user, status);
                }
                if let Some(mut e) = event {
                    e.sasl_username = user;
                    if result.is_ok() {
                        result = sink(&e);
                    }
                }
            }
            Item::Pending(key, step) => {
                let mut fate = |d: &Deferral, fate: Fate, at: Option<Timestamp>| {
                    if filter.admits_history(d) {
                        fates.push(fate_record(d, fate, at));
                    }
                };
                table.apply(key, step, &mut fate, &mut |e, count| {
                    if !filter.admits(&e) {
                        return;
                    }
                    if count {
                        if distinct {
                            summary.add_event(&e);
                        } else {
                            summary.count_event(&e);
                        }
                        if incidents.is_enabled() {
                            incidents.see(Sighting::of(&e, |r: &[u8]| Arc::from(r)));
                        }
                    }
                    if result.is_ok() {
                        result = sink(&e);
                    }
                });
            }
        }
    }
    table.absorb(out.open);
    for f in &fates {
        summary.add_fate(f);
    }
    result
}

/// The strings that mark a line worth parsing: delivery lines have `: to=`,
/// qmgr's lines `/qmgr[` (`/qmgr"` in journal JSON, where the identifier is
/// a field of its own), and smtpd's `client=…, sasl_username=…` names who
/// submitted a message. A journal JSON entry whose message is not UTF-8
/// holds it as an array of byte values, where no mark can be seen: such
/// entries (rare) are all parsed, in journalctl's compact and spaced
/// spellings. Postfix's own warnings, errors, fatal and panic lines and
/// smtpd's `NOQUEUE: reject:` (in syslog, and as a journal message) are
/// marked too, for the server-health section (`health`).
///
/// Everything else is counted, never parsed.
const CANDIDATE_MARKS: [&str; 15] = [
    ": to=",
    "/qmgr[",
    "/qmgr\"",
    ", sasl_username=",
    "\"MESSAGE\":[",
    "\"MESSAGE\" : [",
    ": warning: ",
    ": error: ",
    ": fatal: ",
    ": panic: ",
    "\"warning: ",
    "\"error: ",
    "\"fatal: ",
    "\"panic: ",
    "NOQUEUE: reject: ",
];

/// What [`for_each_candidate`] counted: every newline, and the lines
/// longer than [`MAX_LINE`] (never passed on to be parsed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    pub newlines: u64,
    /// Lines over [`MAX_LINE`] bytes, the last one without its newline too.
    pub overlong: u64,
}

/// Calls `f` with the start and end of each line worth parsing, in order,
/// and counts the newlines in `bytes` and the lines longer than
/// [`MAX_LINE`], in one pass: a SIMD multi-string search (Teddy) finds the
/// next mark, one newline iterator over the whole buffer gives the bounds
/// of the line it is in (and counts every line on the way), and the search
/// goes on after that line's end. A line over [`MAX_LINE`] is counted as
/// overlong and not passed to `f`, whatever it holds.
/// The packed searcher is used directly: `AhoCorasick::find` over the same
/// marks took seven times as long (`cargo bench --bench pipeline --
/// split/candidate`). The bounds from the one iterator, instead of a
/// `memrchr` and a `memchr` from each mark and a count of newlines apart,
/// took the 1 GiB benchmark log from 0.42 to 0.34 s on one core (`floor`).
pub fn for_each_candidate(bytes: &[u8], mut f: impl FnMut(usize, usize)) -> Lines {
    use aho_corasick::{packed, AhoCorasick, Input};
    enum Marks {
        Packed(packed::Searcher),
        Automaton(AhoCorasick),
    }
    static MARKS: std::sync::OnceLock<Marks> = std::sync::OnceLock::new();
    let marks = MARKS.get_or_init(|| match packed::Searcher::new(CANDIDATE_MARKS.iter()) {
        Some(s) => Marks::Packed(s),
        // No SIMD on this machine: the automaton, with its own prefilter.
        None => Marks::Automaton(AhoCorasick::new(CANDIDATE_MARKS).expect("fifteen short literals")),
    });
    let mut newlines = memchr::memchr_iter(b'\n', bytes);
    let mut counted = Lines::default();
    let mut start = 0;
    while start < bytes.len() {
        let hit = match marks {
            Marks::Packed(s) => s
                .find_in(bytes, aho_corasick::Span::from(start..bytes.len()))
                .map(|m| m.start()),
            Marks::Automaton(a) => a
                .find(Input::new(bytes).span(start..bytes.len()))
                .map(|m| m.start()),
        };
        let Some(hit) = hit else { break };
        // No mark holds a newline: the first one at or after the mark ends
        // its line, the ones before it end earlier lines.
        let end = loop {
            match newlines.next() {
                Some(nl) => {
                    counted.newlines += 1;
                    if nl > hit {
                        break nl;
                    }
                    counted.overlong += u64::from(nl - start > MAX_LINE);
                    start = nl + 1;
                }
                None => break bytes.len(),
            }
        };
        if end - start > MAX_LINE {
            counted.overlong += 1;
        } else {
            f(start, end);
        }
        start = end + 1;
    }
    // The lines after the last mark: only a stretch longer than a line may
    // be can hold an overlong one, so most chunks are only counted.
    if bytes.len().saturating_sub(start) <= MAX_LINE {
        counted.newlines += newlines.count() as u64;
    } else {
        for nl in newlines {
            counted.newlines += 1;
            counted.overlong += u64::from(nl - start > MAX_LINE);
            start = nl + 1;
        }
        counted.overlong += u64::from(bytes.len().saturating_sub(start) > MAX_LINE);
    }
    counted
}

/// One parsed record, before correlation: a delivery line stays unboxed on
/// the worker's hot path.
// The large variant is the common one: boxing it would cost an allocation
// per delivery line on the hot path, to save moving a few hundred bytes.
#[allow(clippy::large_enum_variant)]
enum Fact<'a> {
    Delivery(Event<'a>),
    Other(Step<'a>),
}

/// What a worker builds for one chunk, besides its output.
struct Worker<'c> {
    context: &'c Context,
    classifier: &'c mut Classifier,
    summary: &'c mut Summary,
    replies: &'c SharedBytes,
    senders: &'c SharedBytes,
    out: ChunkOutput,
    parsed: u64,
    malformed: u64,
    probes: u64,
}

/// Parses, classifies, correlates and counts one chunk.
fn process_chunk(
    source: usize,
    offset: u64,
    bytes: &[u8],
    context: &Context,
    state: &mut WorkerState,
) -> ChunkOutput {
    let years = &context.years[source];
    let mut w = Worker {
        context,
        classifier: &mut state.classifier,
        summary: &mut state.summary,
        replies: &state.replies,
        senders: &state.senders,
        // About one item per event, and one per step of a queue id opened
        // in an earlier chunk: 1,655 per 512 KiB chunk of the generated
        // benchmark log, one per 317 bytes. Room for one per 256 bytes, so
        // that the vector is not reallocated (and copied) in each chunk.
        out: ChunkOutput {
            items: Vec::with_capacity(bytes.len() / 256),
            ..ChunkOutput::default()
        },
        parsed: 0,
        malformed: 0,
        probes: 0,
    };
    let mut journal_line = Vec::new();
    let mut times = parse::TimeCache::default();
    let counted = for_each_candidate(bytes, |start, end| {
        let mut line = &bytes[start..end];
        let position = Position {
            source: source as u32,
            offset: offset + start as u64,
        };
        // A `journalctl -o json` entry is read as the syslog line it stands for.
        if parse::journal::is_entry(line) {
            if !parse::journal::to_syslog(line, &mut journal_line) {
                return;
            }
            line = &journal_line;
        }
        match parse::parse_line_cached(line, years, &mut times) {
            Parsed::Record(r) => w.record(r, position),
            Parsed::Other => {
                if let Some(h) = parse::server_line(line, years, &mut times) {
                    if context.filter.admits_line(h.time, h.host) {
                        w.summary.health.see(&h);
                    }
                }
            }
            Parsed::Malformed => w.malformed += 1,
        }
    });
    let mut lines = counted.newlines;
    if bytes.last().is_some_and(|&b| b != b'\n') {
        lines += 1;
    }
    let counts = w.summary.file_mut(source);
    counts.merge(&LineCounts {
        lines,
        parsed: w.parsed,
        malformed: w.malformed,
        overlong: counted.overlong,
        probes: w.probes,
        other: lines - w.parsed - w.malformed - counted.overlong,
        bytes: bytes.len() as u64,
    });
    w.out
}

impl Worker<'_> {
    /// Classifies, correlates and counts one record. Nothing of `r` is kept
    /// borrowed: what outlives the call is made owned.
    fn record(&mut self, r: parse::Record<'_>, position: Position) {
        self.parsed += 1;
        self.summary.see_record(r.time);
        let admitted = self.context.filter.admits_line(r.time, r.host);
        if admitted {
            self.summary.window_records += 1;
        }
        if !self.context.filter.hosts.is_empty() && !self.summary.hosts_seen.contains(r.host) {
            self.summary.hosts_seen.insert(r.host.into());
        }
        let key = queue_key(r.host, r.queue_id);
        let fact = match r.body {
            Body::From { sender } => Fact::Other(Step::From {
                sender: self.senders.share(sender),
            }),
            Body::Removed => Fact::Other(Step::Removed),
            Body::Client { sasl_username } => Fact::Other(Step::Client {
                sasl_username: self.senders.share(sasl_username),
            }),
            Body::Expired { sender } => Fact::Other(Step::Expired(Box::new(Expiry {
                time: r.time,
                position,
                host: r.host.into(),
                queue_id: r.queue_id.into(),
                sender: Arc::from(sender),
            }))),
            Body::Delivery(d) => {
                let status = match d.status {
                    // Not mail delivered: counted apart, not an event.
                    DeliveryStatus::Sent if self.context.filter_relays.is_handoff(d.relay, d.text) => {
                        if admitted {
                            self.summary.handed_to_filter += 1;
                        }
                        return;
                    }
                    DeliveryStatus::Sent => Status::Sent,
                    DeliveryStatus::Bounced => Status::Bounced,
                    DeliveryStatus::Deferred => Status::Deferred,
                    DeliveryStatus::Expired => Status::Expired,
                    DeliveryStatus::Probe => {
                        self.probes += 1;
                        return;
                    }
                };
                let domain = d.domain();
                let dsn = d.dsn.and_then(Dsn::parse);
                let (cause, smtp_code, rule) = if status.is_failure() {
                    let v = self.classifier.classify(&Query {
                        reply: d.text.unwrap_or(b""),
                        dsn,
                        relay: d.relay,
                        domain,
                        status,
                    });
                    let cause = if status == Status::Expired {
                        v.cause.for_expiry()
                    } else {
                        v.cause
                    };
                    (Some(cause), v.smtp_code, v.rule)
                } else {
                    (None, None, None)
                };
                Fact::Delivery(Event {
                    time: r.time,
                    position,
                    host: r.host.into(),
                    queue_id: r.queue_id.into(),
                    recipient: Some(d.to.into()),
                    orig_to: d.orig_to.map(Into::into),
                    domain: domain.map(lower_domain),
                    sender: None,
                    sasl_username: None,
                    sasl_unresolved: false,
                    status,
                    dsn,
                    smtp_code,
                    relay: d.relay.map(Into::into),
                    delay: d.delay.map(Into::into),
                    cause,
                    rule,
                    reply: d.text.map(Into::into),
                    attempts: None,
                    first_deferred: None,
                })
            }
        };
        let filter = &self.context.filter;
        let keep = self.context.keep_events;
        let sightings = self.context.sightings;
        let summary = &mut *self.summary;
        let items = &mut self.out.items;
        let replies = self.replies;
        // Every event is counted here; with `keep`, it is also passed on,
        // unless the resolver will pass it on (`pass_on` false).
        let mut emit = |e: &Event<'_>, pass_on: bool| {
            if !filter.admits(e) {
                return;
            }
            // Its recipient is counted by the resolver, from the sighting.
            summary.count_event(e);
            if sightings {
                items.push(Item::Seen(Sighting::of(e, |r| replies.share(r))));
            }
            if e.sasl_unresolved {
                // The resolver knows the submitter, counts it, and passes
                // the event on.
                let event = (keep && pass_on).then(|| Box::new(e.clone().into_owned()));
                items.push(Item::Pending(
                    queue_key(&e.host, &e.queue_id),
                    Step::Submitter {
                        status: e.status,
                        event,
                    },
                ));
            } else if keep && pass_on {
                items.push(Item::Event(Box::new(e.clone().into_owned())));
            }
        };
        let waiting = match fact {
            Fact::Delivery(e) => self.out.open.deliver_local(key, e, keep, replies, &mut emit),
            Fact::Other(step) => self.out.open.apply_local(key, step, replies, &mut emit),
        };
        if let Some(step) = waiting {
            self.out.items.push(Item::Pending(key, step.into_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{for_each_candidate, CANDIDATE_MARKS};
    use proptest::strategy::Strategy;

    /// What `for_each_candidate` must find, line by line: the lines holding a
    /// mark, and the newlines.
    fn reference(bytes: &[u8]) -> (Vec<(usize, usize)>, u64) {
        let mut found = Vec::new();
        let mut start = 0;
        for line in bytes.split(|&b| b == b'\n') {
            let end = start + line.len();
            if CANDIDATE_MARKS
                .iter()
                .any(|m| line.windows(m.len()).any(|w| w == m.as_bytes()))
            {
                found.push((start, end));
            }
            start = end + 1;
        }
        (found, memchr::memchr_iter(b'\n', bytes).count() as u64)
    }

    fn found(bytes: &[u8]) -> (Vec<(usize, usize)>, u64) {
        let mut found = Vec::new();
        let newlines = for_each_candidate(bytes, |start, end| found.push((start, end))).newlines;
        (found, newlines)
    }

    #[test]
    fn the_sample_log_lines_are_found_as_line_by_line() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/maillog"))
            .expect("fixtures/maillog");
        let (lines, newlines) = found(&bytes);
        assert!(lines.len() > 100, "{} candidate lines", lines.len());
        assert_eq!((lines, newlines), reference(&bytes));
        // Cut anywhere, as the reader's chunks may be at a line's end only,
        // but a last line without its newline must still be found.
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(found(cut), reference(cut));
    }

    proptest::proptest! {
        #[test]
        fn candidates_and_newlines_match_the_line_by_line_reference(
            parts in proptest::collection::vec(proptest::prop_oneof![
                proptest::sample::select(CANDIDATE_MARKS.to_vec()).prop_map(|m| m.as_bytes().to_vec()),
                proptest::sample::select(vec!["\n", "\n\n", ": t", "o=", "/qmgr", "x", "sasl_username="])
                    .prop_map(|s| s.as_bytes().to_vec()),
                proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            ], 0..40)
        ) {
            let bytes = parts.concat();
            proptest::prop_assert_eq!(found(&bytes), reference(&bytes));
        }
    }
}
