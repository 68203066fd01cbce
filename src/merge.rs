//! `bounce-report merge A.json B.json …`: the summary of one run over all
//! the input of several runs (one per host, per day, per file), rebuilt
//! from their `--format json` as a [`Summary`] and an [`Analysis`] and
//! written by the same report code as a run over logs (issue 22).
//!
//! What finished counts cannot give back exactly travels in each JSON's
//! `merge_state` in a form that merges exactly: distinct recipients as
//! their 64-bit hashes, delivery delays as a histogram (so the median
//! survives), failures per domain, relay and hour by cause, and the reply
//! kinds behind each cause's example and advice. What even that cannot make
//! exact (incidents, which a delivery logged by another host may end; the
//! first example, whose position in a joint input is unknown) is merged as
//! well as it can be and named in the output's `estimated`, never silently
//! wrong. The result does not depend on the order of the inputs, nor on how
//! they were grouped: merging is commutative and associative.
//!
//! The runs of one `--state` file are a chain (`merge_state.chain`): a
//! later run's counts already hold the earlier runs', so `chain_up` makes
//! a chain's runs one input first, the latest run's counts with each run's
//! own per-hour, unclassified and example parts added (docs/merge.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::aggregate::{
    CauseCounts, DomainStats, Example, Kind, LineCounts, Outcomes, ReplyKind, StatusCounts, Summary,
};
use crate::cause::Cause;
use crate::classify::Catalogue;
use crate::event::Position;
use crate::incident::{Incident, Incidents};
use crate::input::Compression;
use crate::our_dns::ResolverIncident;
use crate::parse::Timestamp;
use crate::pipeline::{Analysis, SourceReport};
use crate::scan::Skip;
use crate::state::ChainMark;
use crate::topk::{TopK, Weight};
use crate::window::Window;

/// Which writer made a `merge_state`: merge reads only its own version's
/// (rule numbers and the JSON's shapes may change between versions).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Delays as `[seconds, how many]`, by seconds.
type Histogram = Vec<[u64; 2]>;

/// Deferred outcomes with their delays, exactly.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct OutcomeState {
    delivered: u64,
    bounced: u64,
    expired: u64,
    pending: u64,
    delays: Histogram,
}

impl From<&Outcomes> for OutcomeState {
    fn from(o: &Outcomes) -> Self {
        let mut d = o.delivery_delays.clone();
        d.sort_unstable();
        let mut delays: Histogram = Vec::new();
        for x in d {
            match delays.last_mut() {
                Some(last) if last[0] == u64::from(x) => last[1] += 1,
                _ => delays.push([u64::from(x), 1]),
            }
        }
        OutcomeState {
            delivered: o.delivered,
            bounced: o.bounced,
            expired: o.expired,
            pending: o.pending,
            delays,
        }
    }
}

impl OutcomeState {
    fn add_to(&self, o: &mut Outcomes) {
        o.delivered += self.delivered;
        o.bounced += self.bounced;
        o.expired += self.expired;
        o.pending += self.pending;
        for [secs, n] in &self.delays {
            let secs = (*secs).min(u64::from(u32::MAX)) as u32;
            o.delivery_delays.extend(std::iter::repeat_n(secs, *n as usize));
        }
    }
}

/// One kind of reply within a cause (see [`ReplyKind`]).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct KindState {
    /// The id of the catalogue rule that decided (rule numbers depend on
    /// the order the pattern files were loaded in).
    rule: Option<String>,
    smtp_code: Option<u16>,
    events: u64,
    example: Option<String>,
    /// Where the example came in its run, among the cause's kinds (0 the
    /// earliest): the report breaks a tie between kinds by it.
    rank: u64,
}

/// What `merge` needs beyond the report's own fields (README "Many
/// servers"; docs/merge.md).
#[derive(Serialize, Deserialize, Default, Debug)]
pub struct State {
    /// The writer's version: [`VERSION`].
    version: String,
    /// Distinct bounced recipients: their hashes, 16 hex digits each, sorted.
    bounced_recipients: Hashes,
    /// Per cause, its distinct recipients' hashes, as above.
    cause_recipients: BTreeMap<String, Hashes>,
    /// Per cause, failures by kind of reply.
    cause_kinds: BTreeMap<String, Vec<KindState>>,
    /// Failures per recipient domain ("" for none) and cause.
    domain_causes: BTreeMap<String, BTreeMap<String, u32>>,
    /// Failures per relay host and cause.
    relay_causes: BTreeMap<String, BTreeMap<String, u32>>,
    /// Failures per hour since the epoch and cause.
    hour_causes: BTreeMap<i64, BTreeMap<String, u32>>,
    /// Failures per recipient domain and hour since the epoch.
    hour_domains: BTreeMap<String, BTreeMap<i64, u32>>,
    deferred_outcomes: OutcomeState,
    outcomes_by_domain: BTreeMap<String, OutcomeState>,
    outcomes_by_cause: BTreeMap<String, OutcomeState>,
    /// A `--state` run's: its state file's chain and its number in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chain: Option<ChainMark>,
    /// A merge's: the `--state` chains whose runs it holds, each with the
    /// number of its latest run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    chains: BTreeMap<String, u64>,
}

/// A `--state` run's place in its chain, or the chains a merge holds and
/// the summaries it superseded.
#[derive(Default, Debug)]
pub struct Chains {
    /// This run's chain and number (a `--state` run).
    pub run: Option<ChainMark>,
    /// A merge's: the chains it holds, each with its latest run.
    pub held: BTreeMap<String, u64>,
    /// A merge's: the inputs whose counts a later run of their chain holds.
    pub superseded: Vec<String>,
}

impl Chains {
    /// No chain: a run without `--state`.
    pub const NONE: Chains = Chains {
        run: None,
        held: BTreeMap::new(),
        superseded: Vec::new(),
    };
}

trait SortedKinds {
    /// The kinds in one order, by rule and reply code, whatever their ranks.
    fn tap_sort(self) -> Self;
}

impl SortedKinds for Vec<KindState> {
    fn tap_sort(mut self) -> Self {
        self.sort_by(|a, b| (&a.rule, a.smtp_code).cmp(&(&b.rule, b.smtp_code)));
        self
    }
}

/// Recipients' hashes, written as one string of 16 hex digits each. The
/// string is written a hash at a time, never made whole: a million
/// recipients' took 16 MB beside the report's peak (on top of the hashes'
/// 8), at the end of a log of a million recipients.
#[derive(Default, Debug, PartialEq)]
struct Hashes(Vec<u64>);

impl std::fmt::Display for Hashes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for h in &self.0 {
            write!(f, "{h:016x}")?;
        }
        Ok(())
    }
}

impl Serialize for Hashes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hashes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        unhex(&text).map(Hashes).ok_or_else(|| {
            serde::de::Error::custom("merge_state: recipients are not hashes of 16 hex digits")
        })
    }
}

#[cfg(test)]
fn hex(hashes: &[u64]) -> String {
    Hashes(hashes.to_vec()).to_string()
}

fn unhex(s: &str) -> Option<Vec<u64>> {
    if s.len() % 16 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len() / 16)
        .map(|i| u64::from_str_radix(&s[i * 16..i * 16 + 16], 16).ok())
        .collect()
}

fn causes_of(c: &[u32]) -> BTreeMap<String, u32> {
    Cause::ALL
        .iter()
        .filter(|c2| c.get(c2.index()).is_some_and(|&n| n > 0))
        .map(|c2| (c2.as_str().to_string(), c[c2.index()]))
        .collect()
}

impl State {
    /// The state of a finished summary, for `--format json`. `merged`: the
    /// summary is a merge's, whose examples' positions are the ranks they
    /// had in their runs, kept as they are so that a merge of merges picks
    /// the example a merge of all the runs at once picks.
    pub fn of(s: &Summary, merged: bool, catalogue: &Catalogue, chains: &Chains) -> State {
        let mut st = State {
            version: VERSION.into(),
            chain: chains.run.clone(),
            chains: chains.held.clone(),
            bounced_recipients: Hashes(s.bounced_recipients.all()),
            deferred_outcomes: (&s.deferred_outcomes).into(),
            ..State::default()
        };
        for c in Cause::ALL {
            let cs = &s.by_cause[c.index()];
            if !cs.recipients.is_empty() {
                st.cause_recipients
                    .insert(c.as_str().into(), Hashes(cs.recipients.all()));
            }
            if !cs.kinds.is_empty() {
                let mut kinds: Vec<(&ReplyKind, &Kind)> = cs.kinds.iter().collect();
                kinds.sort_by_key(|(k, kind)| (kind.example.0.as_ref().map(|e| e.0), **k));
                let ranked: Vec<u64> = if merged {
                    kinds
                        .iter()
                        .map(|(_, kind)| kind.example.0.as_ref().map_or(0, |e| e.0.offset))
                        .collect()
                } else {
                    (0..kinds.len() as u64).collect()
                };
                st.cause_kinds.insert(
                    c.as_str().into(),
                    kinds
                        .into_iter()
                        .zip(ranked)
                        .map(|((k, kind), rank)| KindState {
                            rule: k
                                .rule
                                .and_then(|i| catalogue.rule_detail(i))
                                .map(|r| r.origin.id.clone()),
                            smtp_code: k.smtp_code,
                            events: kind.events,
                            example: kind.example.text().map(String::from),
                            rank,
                        })
                        .collect::<Vec<_>>()
                        .tap_sort(),
                );
            }
            let o = &s.outcomes_by_cause[c.index()];
            if o.total() > 0 {
                st.outcomes_by_cause.insert(c.as_str().into(), o.into());
            }
        }
        for (d, stats) in &s.by_domain {
            let causes = causes_of(&stats.causes.dense());
            if !causes.is_empty() {
                st.domain_causes.insert(d.clone(), causes);
            }
        }
        for (r, stats) in &s.by_relay {
            let causes = causes_of(&stats.causes.dense());
            if !causes.is_empty() {
                st.relay_causes.insert(r.clone(), causes);
            }
        }
        for (h, c) in &s.by_hour_cause {
            st.hour_causes.insert(*h, causes_of(&c.0));
        }
        for (d, hours) in &s.by_hour_domain {
            st.hour_domains.insert(d.clone(), hours.iter().collect());
        }
        for (d, o) in &s.outcomes_by_domain {
            if o.total() > 0 {
                st.outcomes_by_domain.insert(d.clone(), o.into());
            }
        }
        st
    }
}

// The summary as `--format json` writes it: only what merge reads.

#[derive(Deserialize, Debug)]
struct HealthIn {
    warnings: u64,
    errors: u64,
    fatal: u64,
    panics: u64,
    rejects: u64,
    ungrouped: u64,
    messages: Vec<HealthGroupIn>,
    reject_reasons: Vec<HealthGroupIn>,
}

#[derive(Deserialize, Debug, Clone)]
struct HealthGroupIn {
    kind: String,
    service: String,
    text: String,
    count: u64,
    first: String,
    last: String,
}

#[derive(Deserialize, Debug)]
pub struct Input {
    files: Vec<FileIn>,
    span: SpanIn,
    window: WindowIn,
    totals: TotalsIn,
    by_domain: Vec<RowIn>,
    by_cause: Vec<CauseIn>,
    by_relay: Vec<RowIn>,
    by_sender_domain: Vec<RowIn>,
    by_sender: Vec<RowIn>,
    by_sasl_username: Vec<RowIn>,
    by_host: Vec<RowIn>,
    unclassified: Vec<UnclassifiedIn>,
    incidents: Vec<IncidentIn>,
    single_failures: u64,
    resolver_incidents: Vec<ResolverIn>,
    /// Absent in summaries written before it was added: nothing to add.
    #[serde(default)]
    server_health: Option<HealthIn>,
    #[serde(default)]
    last_log_line: Option<String>,
    by_hour: Vec<HourIn>,
    #[serde(default)]
    estimated: Vec<String>,
    /// The tables that were approximate in this summary: approximate in
    /// the merge too, their errors added up.
    #[serde(default)]
    approximate: BTreeMap<String, crate::topk::Approximation>,
    merge_state: Option<State>,
    /// The file it came from, for messages.
    #[serde(skip)]
    name: String,
    /// A chain's runs made one (`follow`): how many of them had events.
    #[serde(skip)]
    runs_with_events: Option<usize>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
struct FileIn {
    name: String,
    compression: Option<String>,
    lines: u64,
    overlong: u64,
    bytes: u64,
    error: Option<String>,
    skipped: Option<String>,
    out_of_order: u64,
}

#[derive(Deserialize, Debug)]
struct SpanIn {
    first: Option<String>,
    last: Option<String>,
}

#[derive(Deserialize, Debug, PartialEq, Clone)]
struct WindowIn {
    since: Option<String>,
    until: Option<String>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct TotalsIn {
    /// All lines read: with `--state`, over every run of the chain, where
    /// `files` counts this run's.
    #[serde(default)]
    lines: u64,
    #[serde(default)]
    overlong: u64,
    sent: u64,
    bounced: u64,
    deferred: u64,
    expired: u64,
    handed_to_filter: u64,
    parsed: u64,
    other: u64,
    malformed: u64,
    probes: u64,
}

/// A breakdown row, keyed by `domain` or under another name.
#[derive(Deserialize, Debug)]
struct RowIn {
    #[serde(alias = "relay", alias = "sender", alias = "sasl_username", alias = "host")]
    domain: Option<String>,
    sent: u64,
    bounced: u64,
    deferred: u64,
    expired: u64,
}

impl RowIn {
    fn counts(&self) -> StatusCounts {
        StatusCounts([self.sent, self.bounced, self.deferred, self.expired])
    }
}

#[derive(Deserialize, Debug)]
struct CauseIn {
    cause: String,
    bounced: u64,
    deferred: u64,
    expired: u64,
}

#[derive(Deserialize, Debug)]
struct UnclassifiedIn {
    pattern: String,
    events: u64,
    example: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
struct IncidentIn {
    domain: String,
    cause: String,
    start: String,
    end: String,
    attempts: u64,
    recipients: u64,
    recovered: Option<String>,
    ongoing: bool,
    sample: String,
}

#[derive(Deserialize, Debug)]
struct ResolverIn {
    start: String,
    end: String,
    failures: u64,
    domains: u64,
    delivered_domains: u64,
    sample_domains: Vec<String>,
}

#[derive(Deserialize, Debug)]
struct HourIn {
    hour: String,
    bounced: u64,
    deferred: u64,
    expired: u64,
}

/// A file merge cannot read: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {why}")]
pub struct BadSummary {
    name: String,
    why: String,
}

fn bad(name: &str, why: impl Into<String>) -> BadSummary {
    BadSummary {
        name: name.into(),
        why: why.into(),
    }
}

/// Reads one `--format json` summary.
pub fn load(path: &Path) -> Result<Input, BadSummary> {
    let name = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| bad(&name, format!("cannot be read: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        bad(
            &name,
            format!("not JSON ({e}); merge reads what `bounce-report --format json` wrote"),
        )
    })?;
    let state = value.get("merge_state");
    match state.and_then(|s| s.get("version")).and_then(|v| v.as_str()) {
        Some(v) if v == VERSION => {}
        Some(v) => {
            return Err(bad(
                &name,
                format!("written by bounce-report {v}, and this is {VERSION}: run both with the same version"),
            ))
        }
        None if value.get("totals").is_some() => {
            return Err(bad(
                &name,
                "has no merge_state: written by a bounce-report before merge (0.x before issue 22) or edited; run it again with this version",
            ))
        }
        None => {
            return Err(bad(
                &name,
                "not a bounce-report summary (no totals, no merge_state); merge reads what `bounce-report --format json` wrote",
            ))
        }
    }
    let mut input: Input = serde_json::from_value(value).map_err(|e| {
        bad(
            &name,
            format!("not the shape `bounce-report --format json` writes: {e}"),
        )
    })?;
    input.name = name;
    Ok(input)
}

/// The merged run: what the renderers read.
pub struct Merged {
    pub analysis: Analysis,
    pub window: Window,
    /// Fields merged as well as they could be but not exactly.
    pub estimated: Vec<String>,
    /// The chains held and the inputs superseded.
    pub chains: Chains,
    /// What to say on stderr: one line per input superseded or read once.
    pub notes: Vec<String>,
}

fn time(name: &str, s: &str) -> Result<Timestamp, BadSummary> {
    let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|e| bad(name, format!("bad time {s:?}: {e}")))?;
    Ok(Timestamp {
        unix: t.timestamp(),
        offset: t.offset().local_minus_utc(),
    })
}

fn cause(name: &str, s: &str) -> Result<Cause, BadSummary> {
    s.parse().map_err(|_| bad(name, format!("unknown cause {s:?}")))
}

fn cause_counts(name: &str, m: &BTreeMap<String, u32>) -> Result<CauseCounts, BadSummary> {
    let mut c = CauseCounts::default();
    for (k, n) in m {
        c.0[cause(name, k)?.index()] += n;
    }
    Ok(c)
}

/// An example at `rank` in its run's order: the same for any merge order.
fn example(text: Option<&str>, rank: u64) -> Example {
    Example(text.map(|t| {
        (
            Position {
                source: 0,
                offset: rank,
            },
            t.to_string(),
            String::new(),
        )
    }))
}

/// Keeps the smaller of two examples (by rank, then text); says whether
/// they differed.
fn pick(mine: &mut Example, theirs: &Example) -> bool {
    match (&mine.0, &theirs.0) {
        (_, None) => false,
        (None, Some(_)) => {
            *mine = theirs.clone();
            false
        }
        (Some(a), Some(b)) => {
            let (smaller, differ) = ((b.0, &b.1) < (a.0, &a.1), a.1 != b.1);
            if smaller {
                *mine = theirs.clone();
            }
            differ
        }
    }
}

/// The chain and run of a `--state` run's summary.
fn chain_of(input: &Input) -> Option<&ChainMark> {
    input.merge_state.as_ref().and_then(|st| st.chain.as_ref())
}

/// The runs of each `--state` chain made one input, as if one run had read
/// all their lines (docs/merge.md, "Runs with --state"): a later run's
/// counts already hold the earlier runs' (the state file carried them), so
/// they are the latest run's; what each run tells of its own lines alone
/// (by hour, unclassified replies, the kinds of reply behind examples and
/// advice, incidents, server health, the files' lines) is added up over the
/// runs, in the order of their numbers, so the first example is the first
/// run's. Refused: runs of one chain whose counts fall, two different
/// summaries of one run, a chain also held by a merged input.
fn chain_up(inputs: Vec<Input>) -> Result<(Vec<Input>, Chains, Vec<String>, bool), BadSummary> {
    let mut chains = Chains::default();
    let mut notes = Vec::new();
    let mut missing = false;
    let mut groups: BTreeMap<String, Vec<Input>> = BTreeMap::new();
    let mut rest = Vec::new();
    for input in inputs {
        match chain_of(&input) {
            Some(c) => groups.entry(c.id.clone()).or_default().push(input),
            None => rest.push(input),
        }
    }
    // A merged input holds its chains' runs: another input of one of them
    // would count them twice.
    let mut holder: BTreeMap<&str, &str> = BTreeMap::new();
    for input in &rest {
        for id in input.merge_state.iter().flat_map(|st| st.chains.keys()) {
            let other = holder
                .insert(id, &input.name)
                .or_else(|| groups.get(id).map(|g| g[0].name.as_str()));
            if let Some(other) = other {
                return Err(bad(
                    &input.name,
                    format!("holds runs of the --state chain {id}, and so does {other}: give all of a chain's runs to one merge, then merge its result with the rest"),
                ));
            }
        }
        for (id, run) in input.merge_state.iter().flat_map(|st| &st.chains) {
            chains.held.insert(id.clone(), *run);
        }
    }
    for (id, mut runs) in groups {
        runs.sort_by_key(|i| chain_of(i).map_or(0, |c| c.run));
        let mut kept: Vec<Input> = Vec::new();
        for input in runs {
            let run = chain_of(&input).map_or(0, |c| c.run);
            if let Some(last) = kept.last() {
                let last_run = chain_of(last).map_or(0, |c| c.run);
                if last_run == run {
                    if last.totals == input.totals && last.files == input.files {
                        notes.push(format!(
                            "{}: the same summary as {} (run {run} of the --state chain {id}): read once",
                            input.name, last.name
                        ));
                        chains.superseded.push(input.name.clone());
                        continue;
                    }
                    return Err(bad(
                        &input.name,
                        format!(
                            "is run {run} of the --state chain {id}, as {} is, with other counts: a run that could not read all its input (exit status 1) leaves the state file as it was and the next run has its number; leave out the failed run's summary",
                            last.name
                        ),
                    ));
                }
                let (a, b) = (&last.totals, &input.totals);
                let fell = [
                    ("lines", a.lines, b.lines),
                    ("sent", a.sent, b.sent),
                    ("bounced", a.bounced, b.bounced),
                    ("deferred", a.deferred, b.deferred),
                    ("expired", a.expired, b.expired),
                    ("parsed", a.parsed, b.parsed),
                ]
                .into_iter()
                .find(|(_, x, y)| y < x);
                if let Some((what, x, y)) = fell {
                    return Err(bad(
                        &input.name,
                        format!(
                            "is run {run} of the --state chain {id} but counts {y} {what} where {} (run {last_run}) counts {x}: a later run's counts hold the earlier's, so these are not one state file's successive runs (a state file copied, or restored from a backup?)",
                            last.name
                        ),
                    ));
                }
            }
            kept.push(input);
        }
        let numbers: Vec<u64> = kept.iter().filter_map(|i| chain_of(i).map(|c| c.run)).collect();
        let latest = *numbers.last().unwrap_or(&0);
        if numbers.iter().copied().ne(1..=latest) {
            missing = true;
        }
        let latest_name = kept.last().map(|i| i.name.clone()).unwrap_or_default();
        let mut with_events = 0;
        let mut acc: Option<Input> = None;
        for input in kept {
            let t = &input.totals;
            // This run's own events: its counts past the run before's.
            let own = match &acc {
                Some(a) => {
                    let p = &a.totals;
                    (t.sent - p.sent)
                        + (t.bounced - p.bounced)
                        + (t.deferred - p.deferred)
                        + (t.expired - p.expired)
                }
                None => t.sent + t.bounced + t.deferred + t.expired,
            };
            if own > 0 {
                with_events += 1;
            }
            acc = Some(match acc {
                None => input,
                Some(earlier) => {
                    let run = chain_of(&earlier).map_or(0, |c| c.run);
                    notes.push(format!(
                        "{}: run {run} of the --state chain {id}, superseded by {latest_name} (run {latest}), whose counts hold it; only its own lines' breakdown by hour, unclassified replies, examples, incidents and server health are added",
                        earlier.name
                    ));
                    chains.superseded.push(earlier.name.clone());
                    follow(earlier, input)
                }
            });
        }
        if let Some(mut one) = acc {
            one.runs_with_events = Some(with_events);
            if let Some(st) = one.merge_state.as_mut() {
                st.chain = None;
            }
            chains.held.insert(id, latest);
            rest.push(one);
        }
    }
    chains.superseded.sort();
    Ok((rest, chains, notes, missing))
}

/// `later`, the next run of `earlier`'s chain, with `earlier`'s own lines'
/// parts added: `later`'s counts already hold the rest.
fn follow(earlier: Input, mut later: Input) -> Input {
    let mut files = earlier.files;
    files.append(&mut later.files);
    later.files = files;
    let mut hours: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for h in earlier.by_hour.iter().chain(&later.by_hour) {
        let c = hours.entry(h.hour.clone()).or_default();
        c[0] += h.bounced;
        c[1] += h.deferred;
        c[2] += h.expired;
    }
    later.by_hour = hours
        .into_iter()
        .map(|(hour, [bounced, deferred, expired])| HourIn {
            hour,
            bounced,
            deferred,
            expired,
        })
        .collect();
    let mut unclassified = earlier.unclassified;
    for u in later.unclassified {
        match unclassified.iter_mut().find(|x| x.pattern == u.pattern) {
            Some(x) => {
                x.events += u.events;
                if x.example.is_none() {
                    x.example = u.example;
                }
            }
            None => unclassified.push(u),
        }
    }
    later.unclassified = unclassified;
    let mut incidents = earlier.incidents;
    incidents.append(&mut later.incidents);
    later.incidents = incidents;
    later.single_failures += earlier.single_failures;
    let mut resolver = earlier.resolver_incidents;
    resolver.append(&mut later.resolver_incidents);
    later.resolver_incidents = resolver;
    later.server_health = match (earlier.server_health, later.server_health) {
        (Some(a), Some(b)) => Some(HealthIn {
            warnings: a.warnings + b.warnings,
            errors: a.errors + b.errors,
            fatal: a.fatal + b.fatal,
            panics: a.panics + b.panics,
            rejects: a.rejects + b.rejects,
            ungrouped: a.ungrouped + b.ungrouped,
            messages: [a.messages, b.messages].concat(),
            reject_reasons: [a.reject_reasons, b.reject_reasons].concat(),
        }),
        (a, b) => a.or(b),
    };
    later.estimated.extend(earlier.estimated);
    if let (Some(e), Some(l)) = (earlier.merge_state, later.merge_state.as_mut()) {
        for (h, causes) in e.hour_causes {
            let mine = l.hour_causes.entry(h).or_default();
            for (c, n) in causes {
                *mine.entry(c).or_default() += n;
            }
        }
        for (d, hours) in e.hour_domains {
            let mine = l.hour_domains.entry(d).or_default();
            for (h, n) in hours {
                *mine.entry(h).or_default() += n;
            }
        }
        // The earlier run's kinds first, in their order, then the later
        // run's new ones in theirs: as one run over both would rank them.
        let mut causes: BTreeMap<String, Vec<KindState>> = e.cause_kinds;
        for (c, kinds) in std::mem::take(&mut l.cause_kinds) {
            let mine = causes.entry(c).or_default();
            let base = mine.len() as u64;
            let mut theirs = kinds;
            theirs.sort_by_key(|k| k.rank);
            mine.sort_by_key(|k| k.rank);
            for (i, k) in mine.iter_mut().enumerate() {
                k.rank = i as u64;
            }
            let mut next = base;
            for k in theirs {
                match mine
                    .iter_mut()
                    .find(|m| (&m.rule, m.smtp_code) == (&k.rule, k.smtp_code))
                {
                    Some(m) => {
                        m.events += k.events;
                        if m.example.is_none() {
                            m.example = k.example;
                        }
                    }
                    None => {
                        mine.push(KindState { rank: next, ..k });
                        next += 1;
                    }
                }
            }
        }
        l.cause_kinds = causes
            .into_iter()
            .map(|(c, kinds)| (c, kinds.tap_sort()))
            .collect();
    }
    later
}

/// Merges the summaries: the result is the same for any order of them.
pub fn merge(inputs: Vec<Input>, catalogue: &Catalogue) -> Result<Merged, BadSummary> {
    let rules: BTreeMap<&str, u32> = catalogue
        .rules()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.origin.id.as_str(), i as u32))
        .collect();
    let mut s = Summary::default();
    let mut estimated: BTreeSet<String> = BTreeSet::new();
    let mut files: Vec<(FileIn, LineCounts)> = Vec::new();
    let mut windows: Vec<WindowIn> = Vec::new();
    let mut incidents: Vec<Incident> = Vec::new();
    let mut resolver: Vec<ResolverIncident> = Vec::new();
    let mut single_failures = 0;
    let mut with_events = 0;
    let mut examples_differ = false;
    let mut extra = LineCounts::default();
    let (inputs, chains, notes, missing_runs) = chain_up(inputs)?;
    if missing_runs {
        estimated.insert("missing_runs".into());
    }
    let mut hosts_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for input in &inputs {
        let n = input.name.as_str();
        let st = input
            .merge_state
            .as_ref()
            .ok_or_else(|| bad(n, "has no merge_state"))?;
        estimated.extend(input.estimated.iter().cloned());
        s.set_approximations(&input.approximate);
        let t = &input.totals;
        let totals = StatusCounts([t.sent, t.bounced, t.deferred, t.expired]);
        match input.runs_with_events {
            Some(n) => with_events += n,
            None if totals.0.iter().sum::<u64>() > 0 => with_events += 1,
            None => {}
        }
        s.totals.merge(&totals);
        s.handed_to_filter += t.handed_to_filter;
        // Lines the files do not show: with --state, the chain's runs not
        // given (counted in the totals, which are over all its runs).
        let shown = input
            .files
            .iter()
            .fold((0, 0), |(l, o), f| (l + f.lines, o + f.overlong));
        extra.lines += t.lines.saturating_sub(shown.0);
        extra.overlong += t.overlong.saturating_sub(shown.1);
        for f in &input.files {
            let counts = LineCounts {
                lines: f.lines,
                overlong: f.overlong,
                bytes: f.bytes,
                ..LineCounts::default()
            };
            files.push((f.clone(), counts));
        }
        extra.parsed += t.parsed;
        extra.other += t.other;
        extra.malformed += t.malformed;
        extra.probes += t.probes;
        windows.push(input.window.clone());
        for x in [&input.span.first, &input.span.last].into_iter().flatten() {
            s.span.add(time(n, x)?);
        }
        for r in &input.by_domain {
            let key = r.domain.clone().unwrap_or_default();
            let causes = cause_counts(n, st.domain_causes.get(&key).unwrap_or(&BTreeMap::new()))?;
            s.by_domain
                .add_ref(key.as_str(), r.counts().weight())
                .merge(&DomainStats {
                    counts: r.counts(),
                    causes: crate::aggregate::CauseTally::from_dense(&causes.0),
                });
        }
        for r in &input.by_relay {
            let key = r.domain.clone().unwrap_or_default();
            let causes = cause_counts(n, st.relay_causes.get(&key).unwrap_or(&BTreeMap::new()))?;
            s.by_relay
                .add_ref(key.as_str(), r.counts().weight())
                .merge(&DomainStats {
                    counts: r.counts(),
                    causes: crate::aggregate::CauseTally::from_dense(&causes.0),
                });
        }
        let counted = |map: &mut TopK<String, StatusCounts>, rows: &[RowIn], null: Option<&str>| {
            for r in rows {
                let mut key = r.domain.clone().unwrap_or_default();
                if Some(key.as_str()) == null {
                    key.clear();
                }
                map.add_ref(key.as_str(), r.counts().weight()).merge(&r.counts());
            }
        };
        for r in &input.by_sender_domain {
            let key = r.domain.clone().unwrap_or_default();
            s.by_sender_domain.entry(key).or_default().merge(&r.counts());
        }
        counted(&mut s.by_sender, &input.by_sender, Some("<>"));
        counted(&mut s.by_sasl_user, &input.by_sasl_username, None);
        counted(&mut s.by_host, &input.by_host, None);
        for c in &input.by_cause {
            let cs = &mut s.by_cause[cause(n, &c.cause)?.index()];
            cs.counts
                .merge(&StatusCounts([0, c.bounced, c.deferred, c.expired]));
        }
        for (c, kinds) in &st.cause_kinds {
            let cs = &mut s.by_cause[cause(n, c)?.index()];
            for k in kinds {
                let rule = match &k.rule {
                    None => None,
                    Some(id) => Some(*rules.get(id.as_str()).ok_or_else(|| {
                        bad(
                            n,
                            format!("names the rule {id:?}, which this catalogue has not: merge with the --patterns the runs had"),
                        )
                    })?),
                };
                let kind = cs
                    .kinds
                    .entry(ReplyKind {
                        rule,
                        smtp_code: k.smtp_code,
                    })
                    .or_default();
                kind.events += k.events;
                examples_differ |= pick(&mut kind.example, &example(k.example.as_deref(), k.rank));
            }
        }
        for (c, h) in &st.cause_recipients {
            let cs = &mut s.by_cause[cause(n, c)?.index()];
            for &x in &h.0 {
                cs.recipients.insert(x);
            }
        }
        for &x in &st.bounced_recipients.0 {
            s.bounced_recipients.insert(x);
        }
        for u in &input.unclassified {
            let mine = s.unclassified.add_ref(u.pattern.as_str(), u.events);
            mine.events += u.events;
            examples_differ |= pick(&mut mine.example, &example(u.example.as_deref(), 0));
        }
        for h in &input.by_hour {
            let hour = time(n, &h.hour)?.unix.div_euclid(3600);
            s.by_hour
                .entry(hour)
                .or_default()
                .merge(&StatusCounts([0, h.bounced, h.deferred, h.expired]));
        }
        for (h, c) in &st.hour_causes {
            s.by_hour_cause.entry(*h).or_default().merge(&cause_counts(n, c)?);
        }
        for (d, hours) in &st.hour_domains {
            let weight = hours.values().map(|&k| u64::from(k)).sum();
            let mine = s.by_hour_domain.add_ref(d.as_str(), weight);
            for (h, k) in hours {
                mine.add(*h, *k);
            }
        }
        st.deferred_outcomes.add_to(&mut s.deferred_outcomes);
        for (d, o) in &st.outcomes_by_domain {
            let weight = o.delivered + o.bounced + o.expired + o.pending;
            o.add_to(s.outcomes_by_domain.add_ref(d.as_str(), weight));
        }
        for (c, o) in &st.outcomes_by_cause {
            o.add_to(&mut s.outcomes_by_cause[cause(n, c)?.index()]);
        }
        for h in &input.by_host {
            *hosts_seen.entry(h.domain.as_deref().unwrap_or("")).or_default() += 1;
        }
        if let Some(t) = &input.last_log_line {
            s.see_record(time(n, t)?);
        }
        if let Some(h) = &input.server_health {
            let mut groups = Vec::new();
            for g in h.messages.iter().chain(&h.reject_reasons) {
                let kind = crate::parse::ServerKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == g.kind)
                    .ok_or_else(|| bad(n, format!("unknown server_health kind {:?}", g.kind)))?;
                groups.push(crate::health::Group {
                    kind,
                    service: g.service.clone(),
                    text: g.text.clone(),
                    count: g.count,
                    first: time(n, &g.first)?.unix,
                    last: time(n, &g.last)?.unix,
                });
            }
            s.health.add_counted(
                [h.warnings, h.errors, h.fatal, h.panics, h.rejects],
                h.ungrouped,
                groups,
            );
        }
        single_failures += input.single_failures;
        for i in &input.incidents {
            incidents.push(Incident {
                domain: i.domain.as_str().into(),
                cause: cause(n, &i.cause)?,
                start: time(n, &i.start)?.unix,
                end: time(n, &i.end)?.unix,
                attempts: i.attempts,
                recipients: i.recipients,
                sample_reply: i.sample.as_bytes().into(),
                sample_local: Box::default(),
                recovered: i
                    .recovered
                    .as_deref()
                    .map(|r| time(n, r).map(|t| t.unix))
                    .transpose()?,
                ongoing: i.ongoing,
            });
        }
        for r in &input.resolver_incidents {
            resolver.push(ResolverIncident {
                start: time(n, &r.start)?.unix,
                end: time(n, &r.end)?.unix,
                failures: r.failures,
                domains: r.domains,
                delivered_domains: r.delivered_domains,
                sample: r.sample_domains.clone(),
            });
        }
    }
    // Incidents, and the failures that stood alone, are exact only when one
    // input had events: a delivery or failure logged in another input may
    // have ended, joined or split them.
    if with_events > 1 {
        incidents = join(incidents);
        estimated.extend(["incidents", "single_failures", "resolver_incidents"].map(String::from));
    }
    if examples_differ {
        estimated.insert("examples".into());
    }
    // Queue ids never span hosts, but one host's log cut in two (a day, a
    // rotated file) splits the deferral histories that cross the cut: a
    // deferral's end, or an expiry's recipients, fall in another input.
    if hosts_seen.values().any(|&n| n > 1) {
        estimated.insert("deferral_histories".into());
    }
    // A cause's advice is its commonest kind's rule's; kinds with as many
    // events are told apart by which came first, which separate runs'
    // ranks cannot say.
    if inputs.len() > 1 && s.by_cause.iter().any(tied_kinds) {
        estimated.insert("advice".into());
    }
    resolver.sort_by(|a, b| (a.start, a.end, &a.sample).cmp(&(b.start, b.end, &b.sample)));
    // Files in one order whatever the inputs' order.
    files.sort_by(|a, b| {
        (&a.0.name, a.1.lines, a.1.bytes, &a.0.error).cmp(&(&b.0.name, b.1.lines, b.1.bytes, &b.0.error))
    });
    let mut sources = Vec::new();
    for (f, counts) in files {
        s.files.push(counts);
        sources.push(SourceReport {
            name: f.name.clone(),
            compression: f.compression.as_deref().and_then(compression),
            error: f.error.clone(),
            skipped: f.skipped.as_deref().and_then(skip),
            out_of_order: f.out_of_order,
        });
    }
    // The lines counted only in the totals: kept past the files' rows,
    // where the totals add them up and no file row shows them.
    s.files.push(extra);
    let window = match windows.first() {
        None => Window::default(),
        Some(w) => {
            if windows.iter().any(|x| x != w) {
                estimated.insert("window".into());
            }
            let since = windows
                .iter()
                .map(|w| w.since.as_deref().map(|t| time("window", t)).transpose())
                .collect::<Result<Vec<_>, _>>()?;
            let until = windows
                .iter()
                .map(|w| w.until.as_deref().map(|t| time("window", t)).transpose())
                .collect::<Result<Vec<_>, _>>()?;
            Window {
                since: if since.iter().any(Option::is_none) {
                    None
                } else {
                    since.into_iter().flatten().min_by_key(|t| t.unix)
                },
                until: if until.iter().any(Option::is_none) {
                    None
                } else {
                    until.into_iter().flatten().max_by_key(|t| t.unix)
                },
            }
        }
    };
    let incidents = Incidents::from_list(&incidents, resolver);
    Ok(Merged {
        analysis: Analysis {
            summary: s,
            sources,
            incidents,
            single_failures,
        },
        window,
        estimated: estimated.into_iter().collect(),
        chains,
        notes,
    })
}

/// Whether a cause's commonest kinds of reply are two or more with as
/// many events and different rules.
fn tied_kinds(c: &crate::aggregate::CauseStats) -> bool {
    let Some(top) = c.kinds.values().map(|k| k.events).max() else {
        return false;
    };
    let rules: BTreeSet<Option<u32>> = c
        .kinds
        .iter()
        .filter(|(_, k)| k.events == top)
        .map(|(r, _)| r.rule)
        .collect();
    rules.len() > 1
}

/// Incidents of one domain and cause that overlap or touch made one: from
/// the first start to the last end, their attempts added up (their
/// recipients too, which counts a recipient of both twice).
fn join(mut list: Vec<Incident>) -> Vec<Incident> {
    list.sort_by(|a, b| {
        (&a.domain, a.cause, a.start, a.end, &a.sample_reply).cmp(&(
            &b.domain,
            b.cause,
            b.start,
            b.end,
            &b.sample_reply,
        ))
    });
    let mut out: Vec<Incident> = Vec::new();
    for i in list {
        match out.last_mut() {
            Some(o) if o.domain == i.domain && o.cause == i.cause && i.start <= o.end => {
                if i.end >= o.end {
                    o.recovered = i.recovered;
                }
                o.end = o.end.max(i.end);
                o.attempts += i.attempts;
                o.recipients += i.recipients;
                o.ongoing |= i.ongoing;
            }
            _ => out.push(i),
        }
    }
    out
}

fn compression(s: &str) -> Option<Compression> {
    [
        Compression::None,
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Xz,
        Compression::Zstd,
    ]
    .into_iter()
    .find(|c| c.as_str() == s)
}

fn skip(s: &str) -> Option<Skip> {
    [Skip::Before, Skip::After, Skip::Rest]
        .into_iter()
        .find(|k| k.as_str() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_hex() {
        let h = [0, 1, u64::MAX, 0x0123_4567_89ab_cdef];
        assert_eq!(unhex(&hex(&h)), Some(h.to_vec()));
        assert_eq!(unhex("123"), None);
        assert_eq!(unhex("zzzzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn delays_round_trip_through_the_histogram() {
        let mut o = Outcomes::default();
        for d in [30, 30, 600, 5, 30] {
            o.add(crate::correlate::Fate::Delivered, Some(d));
        }
        let st = OutcomeState::from(&o);
        assert_eq!(st.delays, vec![[5, 1], [30, 3], [600, 1]]);
        let mut back = Outcomes::default();
        st.add_to(&mut back);
        assert_eq!(back.median_delay(), o.median_delay());
        assert_eq!(back.delivered, 5);
    }
}
