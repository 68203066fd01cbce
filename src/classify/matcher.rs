//! The matcher: one reply text (plus the log's `dsn=`, relay and recipient
//! domain) → SMTP code, enhanced status code and cause.
//!
//! Steps, for each reply:
//!
//! 1. Read the SMTP code and enhanced status code (DSN) after `said:` /
//!    `refused to talk to me:` (or at the start of a bare reply), including
//!    the folded multi-line form `550-5.1.1 … 550 5.1.1 …`, whose repeated
//!    `550-5.1.1` continuation prefixes are cut out so phrases match across
//!    the folds.
//! 2. Find the provider (relay host suffix, else the host named in the
//!    text, else the recipient domain) for provider-scoped rules.
//! 3. Look the masked text up in the per-worker cache; on a miss, collect
//!    every phrase (one Aho-Corasick pass, overlapping) and regex (one
//!    `RegexSet` pass) hit, drop hits whose provider/DSN/code constraints do
//!    not hold, and take the best by (priority, provider-scoped, user rule,
//!    length of what matched). The DSN's cause from `dsn.toml` counts as a
//!    candidate of priority [`DSN_PRIORITY`], the bare code's from
//!    `codes.toml` as one of [`CODE_PRIORITY`]; nothing at all is
//!    `undefined`.
//!
//! What the catalogue contains, and how it is loaded, is `catalogue`'s
//! business; classes are `Class::of`'s.

use super::anatomy::{plain_reply, relay_host, text_host, unfold, Anatomy, Level, Origin, Stage};
use super::catalogue::{Catalogue, CODE_PRIORITY, DSN_PRIORITY};
use super::key::{is_token_byte, mask_into, KeyHasher};
use super::Dsn;
use crate::cause::{Cause, Status};
use regex::bytes::RegexSet;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// One reply to classify. Borrowed from the log line: nothing is copied.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The parenthesised text of the status line, as logged (any bytes).
    pub reply: &'a [u8],
    /// The log's `dsn=` field.
    pub dsn: Option<Dsn>,
    /// The log's `relay=` field, e.g. `gmail-smtp-in.l.google.com[74.125.1.1]:25` or `none`.
    pub relay: Option<&'a [u8]>,
    /// The recipient domain, lower-case.
    pub domain: Option<&'a [u8]>,
    /// The line's status. Not used by the rules today (a cause is the same
    /// whether the reply deferred or bounced); kept for callers and for rules
    /// that may need it.
    pub status: Status,
}

impl<'a> Query<'a> {
    /// A query with only a reply text, as for `bounce-report classify`.
    pub fn text(reply: &'a [u8]) -> Query<'a> {
        Query {
            reply,
            dsn: None,
            relay: None,
            domain: None,
            status: Status::Bounced,
        }
    }
}

/// What the matcher found for one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub cause: Cause,
    /// The SMTP reply code found in the text (`said: 550 …` → 550).
    pub smtp_code: Option<u16>,
    /// The enhanced status code found in the text, else the query's `dsn=`.
    pub dsn: Option<Dsn>,
    /// Index of the deciding rule ([`Catalogue::rule`]); `None` when the
    /// DSN or the bare code decided, or nothing did (`undefined`).
    pub rule: Option<u32>,
}

/// What decided a verdict, for `classify --explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A rule of the catalogue (index).
    Rule(u32),
    /// The enhanced status code's entry in `dsn.toml`.
    Dsn(Dsn),
    /// The SMTP code's entry in `codes.toml`.
    Code(u16),
    /// Nothing: the cause is `undefined`.
    Nothing,
}

/// What the stage of a reply changed in a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// A refusal at MAIL FROM or AUTH named a hard cause (the cause given):
    /// it is about our sender, so it became `rejected`.
    SenderLevel(Cause),
    /// A refusal at the connection level (greeting, HELO, STARTTLS): the
    /// hard causes its words or DSN named were passed over.
    ConnectionLevel,
    /// A refusal at the connection level named a verdict on content (the
    /// cause given: spam, a virus): no message had been sent, so it refuses
    /// our IP or host, `blocked`.
    ContentAtConnection(Cause),
    /// Postfix's DNS said a provider's domain (gmail.com) does not exist:
    /// our resolver failed, so `host_unknown` became `network_error`.
    OurResolver,
    /// The words named a hard cause (the cause given) but the enhanced code
    /// is about the sender's address (X.1.7 bad syntax, X.1.8 bad system,
    /// RFC 3463): "501 5.1.8 Bad sender address: domain does not exist" is
    /// our sender's domain, so it became `rejected`.
    SenderDsn(Cause),
}

/// A cause and what decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decided {
    cause: Cause,
    decision: Decision,
    adjusted: Option<Adjustment>,
}

/// A verdict with its reasons, for `classify --explain`.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub verdict: Verdict,
    /// Who wrote the text, its stage, code and DSN.
    pub anatomy: Anatomy,
    pub decision: Decision,
    /// What the stage changed, if anything.
    pub adjusted: Option<Adjustment>,
    /// The provider the query was attributed to (index into
    /// [`Catalogue::providers`]).
    pub provider: Option<u16>,
    /// Every rule whose phrase or regex matched and whose constraints held,
    /// best first (the first one decided, unless the DSN or code outranked it).
    pub matched: Vec<u32>,
    /// Rules whose phrase or regex matched but whose provider, DSN or code
    /// constraint did not hold.
    pub excluded: Vec<u32>,
}

/// A built-in (or user) rule example that does not classify to its rule's cause.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    /// The rule whose example failed.
    pub rule: u32,
    pub example: String,
    pub expected: Cause,
    pub got: Verdict,
}

/// Masked reply (with provider, code and DSN) → cause and deciding rule.
type Cache = HashMap<Box<[u8]>, (Cause, Option<u32>), BuildHasherDefault<KeyHasher>>;

/// Entries kept per classifier before the cache is cleared. Each entry is
/// a masked reply of typically 100–300 bytes, so this bounds a worker's
/// cache near 5 MB; real logs have a few thousand distinct masked replies
/// (the 1 GiB benchmark log: under 1,000). At 64K entries the caches of two
/// workers took a fifth of the 100 MiB memory budget.
const CACHE_LIMIT: usize = 1 << 14;

/// Exact query (relay host, domain, `dsn=`, reply as logged) → verdict.
/// Looked up first: a hit skips the masking, the provider lookup and the
/// reply's code and DSN. Many replies repeat byte for byte (the same
/// deferral reply from one site; 75% of failure replies in the generated
/// benchmark log), but replies naming their recipient do not, so it is
/// kept small in front of the masked cache.
type ExactCache = HashMap<Box<[u8]>, Verdict, BuildHasherDefault<KeyHasher>>;

/// Entries kept in the exact cache before it is cleared (about 1 MB).
const EXACT_CACHE_LIMIT: usize = 1 << 12;

/// Classifies replies. One per worker thread: it holds its own regex cache
/// and result cache, so workers never contend (regex docs, "Sharing a regex
/// across threads can result in contention"). Cloning is cheap.
#[derive(Clone)]
pub struct Classifier {
    catalogue: Arc<Catalogue>,
    /// A clone of the catalogue's set: its own matching scratch space.
    regexes: Option<RegexSet>,
    cache: Cache,
    key: Vec<u8>,
    exact: ExactCache,
    exact_key: Vec<u8>,
    unfolded: Vec<u8>,
    /// The reply as rules read it ([`plain_reply`]), when that differs.
    plain: Vec<u8>,
    hits: Vec<Hit>,
    /// The phrases of rules' `near` pairs found in the text being read.
    near: Vec<NearFound>,
    /// The text with host names hidden ([`hide_hosts`]), on a cache miss.
    visible: Vec<u8>,
}

/// A phrase of a rule's `near` pair found in a text: rule, side (see
/// `PhraseRule::side`), start and end.
type NearFound = (u32, u16, u32, u32);

/// A rule that matched: rule index and length of the matched phrase (or of
/// the regex source), the last tie-breaker.
#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: u32,
    len: u32,
}

impl Classifier {
    /// A classifier over `catalogue`, with an empty cache.
    pub fn new(catalogue: Arc<Catalogue>) -> Classifier {
        Classifier {
            regexes: catalogue.regexes.clone(),
            catalogue,
            cache: HashMap::default(),
            key: Vec::with_capacity(256),
            exact: HashMap::default(),
            exact_key: Vec::with_capacity(256),
            unfolded: Vec::with_capacity(256),
            plain: Vec::new(),
            hits: Vec::with_capacity(16),
            near: Vec::new(),
            visible: Vec::with_capacity(256),
        }
    }

    /// The catalogue this classifier uses.
    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }

    /// Classifies one reply. Never panics, whatever the bytes.
    pub fn classify(&mut self, q: &Query<'_>) -> Verdict {
        // Everything the verdict depends on, as given: the provider comes
        // from the relay's host name (or the text) and the domain, the rest
        // from the text and `dsn=`. The status is not used (see `Query`).
        let mut key = std::mem::take(&mut self.exact_key);
        key.clear();
        let relay = q.relay.and_then(relay_host).unwrap_or(b"");
        let domain = q.domain.unwrap_or(b"");
        key.extend_from_slice(&(relay.len() as u32).to_le_bytes());
        key.extend_from_slice(relay);
        key.extend_from_slice(&(domain.len() as u32).to_le_bytes());
        key.extend_from_slice(domain);
        push_dsn(&mut key, q.dsn);
        key.extend_from_slice(q.reply);
        let verdict = match self.exact.get(key.as_slice()) {
            Some(&v) => v,
            None => {
                let v = self.classify_masked(q);
                if self.exact.len() >= EXACT_CACHE_LIMIT {
                    self.exact.clear();
                }
                self.exact.insert(key.as_slice().into(), v);
                v
            }
        };
        self.exact_key = key;
        verdict
    }

    /// [`Classifier::classify`] through the cache of masked replies, on the
    /// reply as rules read it ([`plain_reply`]).
    fn classify_masked(&mut self, q: &Query<'_>) -> Verdict {
        let mut plain = std::mem::take(&mut self.plain);
        let verdict = self.classify_plain(&plain_query(q, &mut plain));
        self.plain = plain;
        verdict
    }

    fn classify_plain(&mut self, q: &Query<'_>) -> Verdict {
        let anatomy = Anatomy::read(q.reply);
        let dsn = anatomy.dsn.or(q.dsn);
        let provider = self.provider(q);
        let known = q.domain.is_some_and(|d| self.catalogue.is_provider_domain(d));

        // Cache key: provider, whether the domain is a provider's, origin and stage, the parsed code and DSN
        // (text, then dsn=), then the masked text. Everything a rule may
        // depend on is in it; what is masked (addresses, IPs, ids, long
        // numbers) no rule may use (checked for phrases on load; see
        // patterns/README.md for regexes). The text is masked as logged,
        // not unfolded: unfolding depends only on the text and the code
        // (both in the key), so a hit needs no copy.
        self.key.clear();
        self.key
            .extend_from_slice(&provider.map_or(u16::MAX, |p| p).to_le_bytes());
        self.key.push(u8::from(known));
        self.key.push(anatomy.origin as u8);
        self.key.push(Stage::key(anatomy.stage));
        self.key
            .extend_from_slice(&anatomy.code.unwrap_or(0).to_le_bytes());
        push_dsn(&mut self.key, dsn);
        mask_into(q.reply, &mut self.key);

        let (cause, rule) = match self.cache.get(self.key.as_slice()) {
            Some(&hit) => hit,
            None => {
                let folded = unfold(q.reply, &anatomy, &mut self.unfolded);
                let text = if folded {
                    std::mem::take(&mut self.unfolded)
                } else {
                    Vec::new()
                };
                let body = if folded { &text[..] } else { q.reply };
                let decided = self.decide(body, &anatomy, dsn, provider, known);
                let result = match decided.decision {
                    Decision::Rule(i) => (decided.cause, Some(i)),
                    _ => (decided.cause, None),
                };
                if folded {
                    self.unfolded = text;
                }
                if self.cache.len() >= CACHE_LIMIT {
                    self.cache.clear();
                }
                self.cache.insert(self.key.as_slice().into(), result);
                result
            }
        };
        Verdict {
            cause,
            smtp_code: anatomy.code,
            dsn,
            rule,
        }
    }

    /// Classifies one reply without the cache and says why: the reply's
    /// anatomy, the deciding rule (or DSN, or code), what the stage changed,
    /// and every other rule that matched.
    pub fn explain(&mut self, q: &Query<'_>) -> Explanation {
        let mut plain = Vec::new();
        let q = &plain_query(q, &mut plain);
        let anatomy = Anatomy::read(q.reply);
        let dsn = anatomy.dsn.or(q.dsn);
        let provider = self.provider(q);
        let known = q.domain.is_some_and(|d| self.catalogue.is_provider_domain(d));
        let mut buf = Vec::new();
        let text = if unfold(q.reply, &anatomy, &mut buf) {
            &buf[..]
        } else {
            q.reply
        };
        let decided = self.decide(text, &anatomy, dsn, provider, known);
        let mut hidden = Vec::new();
        let text = if hide_hosts(text, &mut hidden) {
            &hidden[..]
        } else {
            text
        };
        let mut all = Vec::new();
        self.collect(text, &mut all);
        let cat = &self.catalogue;
        all.sort_by_key(|h| std::cmp::Reverse(rank(cat, *h)));
        let mut matched = Vec::new();
        let mut excluded = Vec::new();
        for h in all {
            if matched.contains(&h.rule) || excluded.contains(&h.rule) {
                continue;
            }
            if applies(cat, h.rule, &anatomy, dsn, provider) {
                matched.push(h.rule);
            } else {
                excluded.push(h.rule);
            }
        }
        Explanation {
            verdict: Verdict {
                cause: decided.cause,
                smtp_code: anatomy.code,
                dsn,
                rule: match decided.decision {
                    Decision::Rule(i) => Some(i),
                    _ => None,
                },
            },
            anatomy,
            decision: decided.decision,
            adjusted: decided.adjusted,
            provider,
            matched,
            excluded,
        }
    }

    /// Forgets every cached verdict (the compiled matchers' scratch space
    /// stays warm), e.g. to measure the uncached path.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
        self.exact.clear();
    }

    /// Number of cached replies (for tests and statistics).
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// The provider of a query: relay host, else the host the text names,
    /// else a provider's signature in the text, else the recipient domain.
    fn provider(&self, q: &Query<'_>) -> Option<u16> {
        let host = q.relay.and_then(relay_host).or_else(|| text_host(q.reply));
        self.catalogue.provider_of(host, q.reply, q.domain)
    }

    /// The best cause for `text`, and what decided it.
    ///
    /// The stage counts: a refusal at the greeting, HELO or STARTTLS is
    /// about our connection and one at MAIL FROM or AUTH about our sender,
    /// so neither can say that the recipient's address is gone (a hard
    /// cause, [`Cause::is_hard`]). At the connection level such candidates
    /// are passed over ("550 Too many invalid recipients" at the greeting
    /// refuses us, not the mailbox); at the sender level the refusal is of
    /// our sender, `rejected` (SPEC: "even when it says 'user unknown'
    /// about the sender"). A 521 "does not accept mail" at the greeting
    /// stays `not_accept` ([`names_a_mailbox`]). A verdict on content at
    /// the connection level ("refused to talk to me: 451 Spam email") is
    /// about our IP: `blocked` ([`judges_content`]).
    ///
    /// Postfix's own "Host not found" for a domain known to exist (a
    /// provider's, `known`) is our resolver failing, not the domain:
    /// `network_error`, never the hard `host_unknown`. A hard cause under
    /// an enhanced code about the sender's address (X.1.7, X.1.8) is about
    /// our sender: `rejected`.
    fn decide(
        &mut self,
        text: &[u8],
        anatomy: &Anatomy,
        dsn: Option<Dsn>,
        provider: Option<u16>,
        known: bool,
    ) -> Decided {
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        let mut visible = std::mem::take(&mut self.visible);
        let text = if hide_hosts(text, &mut visible) {
            &visible[..]
        } else {
            text
        };
        self.collect(text, &mut hits);
        self.visible = visible;
        let cat = &self.catalogue;
        let level = anatomy.stage.map(Stage::level);
        let connection = level == Some(Level::Connection);
        // Hard causes passed over at the connection level (for --explain).
        let mut passed_over = false;
        let mut admissible = |c: Cause| {
            let pass = connection && names_a_mailbox(c);
            passed_over |= pass;
            !pass
        };
        let best = hits
            .iter()
            .filter(|h| applies(cat, h.rule, anatomy, dsn, provider))
            .filter_map(|h| cat.rule_detail(h.rule).map(|r| (h, r)))
            .filter(|(_, r)| admissible(r.cause))
            .max_by_key(|(h, _)| rank(cat, **h))
            .map(|(h, r)| (h.rule, r.cause, r.priority));
        self.hits = hits;

        let by_dsn = dsn
            .and_then(|d| Some((d, cat.dsn_info(d)?.cause?)))
            .filter(|&(_, c)| admissible(c));
        // RFC 7504's 521 and 556 say the host or domain accepts no mail
        // (a hard cause); with a security or policy DSN (X.7.x: "521 5.7.1
        // You are not allowed to send mail") the server accepts mail but
        // refuses ours, so the bare code is no evidence for it.
        let by_code = anatomy
            .code
            .and_then(|c| Some((c, cat.code_info(c)?.cause?)))
            .filter(|&(_, c)| admissible(c))
            .filter(|&(_, c)| !(c.is_hard() && dsn.is_some_and(|d| d.subject == 7)));
        let (cause, decision) = match (best, by_dsn, by_code) {
            (Some((i, c, p)), dsn, code)
                if dsn.is_none_or(|_| p >= DSN_PRIORITY) && code.is_none_or(|_| p >= CODE_PRIORITY) =>
            {
                (c, Decision::Rule(i))
            }
            (_, Some((d, c)), _) => (c, Decision::Dsn(d)),
            (Some((i, c, p)), None, _) if p >= CODE_PRIORITY => (c, Decision::Rule(i)),
            (_, None, Some((n, c))) => (c, Decision::Code(n)),
            (Some((i, c, _)), None, None) => (c, Decision::Rule(i)),
            _ => (Cause::Undefined, Decision::Nothing),
        };
        if known && cause == Cause::HostUnknown && anatomy.origin == Origin::Postfix {
            return Decided {
                cause: Cause::NetworkError,
                decision,
                adjusted: Some(Adjustment::OurResolver),
            };
        }
        if connection && judges_content(cause) {
            return Decided {
                cause: Cause::Blocked,
                decision,
                adjusted: Some(Adjustment::ContentAtConnection(cause)),
            };
        }
        if level == Some(Level::Sender) && cause.is_hard() {
            return Decided {
                cause: Cause::Rejected,
                decision,
                adjusted: Some(Adjustment::SenderLevel(cause)),
            };
        }
        if cause.is_hard() && dsn.is_some_and(names_the_sender) {
            return Decided {
                cause: Cause::Rejected,
                decision,
                adjusted: Some(Adjustment::SenderDsn(cause)),
            };
        }
        Decided {
            cause,
            decision,
            adjusted: passed_over.then_some(Adjustment::ConnectionLevel),
        }
    }

    /// Every phrase and regex hit in `text`, constraints not yet checked.
    fn collect(&mut self, text: &[u8], out: &mut Vec<Hit>) {
        let cat = &self.catalogue;
        if let Some(ac) = &cat.phrases {
            let mut urls: Option<Vec<(usize, usize)>> = None;
            for m in ac.find_overlapping_iter(text) {
                let Some(p) = cat.phrase_rule.get(m.pattern().as_usize()) else {
                    continue;
                };
                // A phrase that starts with a letter or digit must start a
                // word: "blocked" must not hit "unblocked".
                if p.boundary && m.start() > 0 && text[m.start() - 1].is_ascii_alphanumeric() {
                    continue;
                }
                if p.end_boundary && text.get(m.end()).is_some_and(u8::is_ascii_alphanumeric) {
                    continue;
                }
                // Words inside a web address state nothing.
                if p.not_in_links
                    && urls
                        .get_or_insert_with(|| url_spans(text))
                        .iter()
                        .any(|&(s, e)| s <= m.start() && m.end() <= e)
                {
                    continue;
                }
                if p.side == 0 {
                    out.push(Hit {
                        rule: p.rule,
                        len: p.len,
                    });
                } else {
                    self.near.push((p.rule, p.side, m.start() as u32, m.end() as u32));
                }
            }
            if !self.near.is_empty() {
                near_hits(cat, text, &mut self.near, out);
            }
        }
        if let Some(set) = &self.regexes {
            for i in set.matches(text).iter() {
                if let Some(&rule) = cat.regex_rule.get(i) {
                    let len = cat
                        .rule_detail(rule)
                        .and_then(|r| r.regex.as_ref())
                        .map_or(0, |r| r.len() as u32);
                    out.push(Hit { rule, len });
                }
            }
        }
    }
}

/// The rules whose `near` pair holds among the phrases `found` in `text`
/// (emptied): a phrase of a pair's `first` list, then one of its `then`
/// list starting no more than `within` bytes after the first ends, with none
/// of the pair's `stops` marks between them. A hit weighs as the span from
/// the first phrase's start to the second's end.
fn near_hits(cat: &Catalogue, text: &[u8], found: &mut Vec<NearFound>, out: &mut Vec<Hit>) {
    found.sort_unstable();
    let mut last: Option<u32> = None;
    for &(rule, side, start, end) in found.iter() {
        if side % 2 == 0 || last == Some(rule) {
            continue;
        }
        let Some(pair) = cat
            .rule_detail(rule)
            .and_then(|r| r.near.get(usize::from(side / 2)))
        else {
            continue;
        };
        let then = found.iter().find(|&&(r, s, s2, _)| {
            r == rule
                && s == side + 1
                && s2 >= end
                && s2 - end <= pair.within
                && !text[end as usize..s2 as usize]
                    .iter()
                    .any(|b| pair.stops.contains(b))
        });
        if let Some(&(_, _, _, end2)) = then {
            out.push(Hit {
                rule,
                len: end2 - start,
            });
            last = Some(rule);
        }
    }
    found.clear();
}

/// `q` with its reply as rules read it ([`plain_reply`]), written into
/// `buf` only when that differs from the reply as logged.
fn plain_query<'a>(q: &Query<'a>, buf: &'a mut Vec<u8>) -> Query<'a> {
    if plain_reply(q.reply, buf) {
        Query { reply: buf, ..*q }
    } else {
        *q
    }
}

/// Where the web addresses of `text` are: from `http://`, `https://` or
/// `www.` to the next white space or closing bracket or quote.
fn url_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(at) = [&b"://"[..], b"www."]
        .iter()
        .filter_map(|marker| memchr::memmem::find(&text[i..], marker))
        .min()
        .map(|k| i + k)
    {
        let start = if text[at..].starts_with(b"://") {
            text[..at]
                .iter()
                .rposition(|b| !b.is_ascii_alphabetic())
                .map_or(0, |k| k + 1)
        } else {
            at
        };
        let end = text[at..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || matches!(b, b')' | b']' | b'>' | b'"' | b'\''))
            .map_or(text.len(), |k| at + k);
        spans.push((start, end));
        i = end.max(at + 3);
        if i >= text.len() {
            break;
        }
    }
    spans
}

/// An enhanced status code about the sender's address: X.1.7 (bad
/// sender's mailbox address syntax) or X.1.8 (bad sender's system address),
/// RFC 3463.
fn names_the_sender(d: Dsn) -> bool {
    d.subject == 1 && matches!(d.detail, 7 | 8)
}

/// A verdict on a message's content. Before DATA no message has been sent,
/// so at the greeting, HELO or STARTTLS such words ("451 Spam email") are
/// about our IP or host.
fn judges_content(c: Cause) -> bool {
    matches!(c, Cause::SpamDetected | Cause::VirusDetected)
}

/// A hard cause that speaks of the recipient's own address or domain
/// (every hard cause but `not_accept`, which RFC 7504 puts at the greeting:
/// "521 … does not accept mail" is the whole host's answer).
fn names_a_mailbox(c: Cause) -> bool {
    c.is_hard() && c != Cause::NotAccept
}

/// The ordering of hits: priority, then provider-scoped over generic, then
/// user over built-in, then the longer match, then the earlier rule.
fn rank(cat: &Catalogue, h: Hit) -> (i32, bool, bool, u32, std::cmp::Reverse<u32>) {
    match cat.rule_detail(h.rule) {
        Some(r) => (
            r.priority,
            r.provider.is_some(),
            r.user,
            h.len,
            std::cmp::Reverse(h.rule),
        ),
        None => (i32::MIN, false, false, 0, std::cmp::Reverse(h.rule)),
    }
}

/// Whether rule `i`'s provider, origin, stage, DSN and code constraints hold.
fn applies(cat: &Catalogue, i: u32, anatomy: &Anatomy, dsn: Option<Dsn>, provider: Option<u16>) -> bool {
    let Some(r) = cat.rule_detail(i) else {
        return false;
    };
    r.provider.is_none_or(|p| provider == Some(p))
        && r.from.is_none_or(|o| o == anatomy.origin)
        && (r.stage.is_empty() || anatomy.stage.is_some_and(|s| r.stage.contains(&s)))
        && !anatomy.stage.is_some_and(|s| r.not_stage.contains(&s))
        && (r.dsn.is_empty() || dsn.is_some_and(|d| r.dsn.iter().any(|p| p.matches(d))))
        && (r.code.is_empty() || anatomy.code.is_some_and(|c| r.code.contains(&c)))
}

fn push_dsn(key: &mut Vec<u8>, dsn: Option<Dsn>) {
    match dsn {
        Some(d) => {
            key.push(d.class);
            key.extend_from_slice(&d.subject.to_le_bytes());
            key.extend_from_slice(&d.detail.to_le_bytes());
        }
        None => key.extend_from_slice(&[0; 5]),
    }
}

// ---------------------------------------------------------------------------
// Reading the text.

/// Copies `text` into `out` with each host name written just before `[`
/// (`host mx1.ess.barracudanetworks.com[…]`, `unknown[…]`) replaced by `~`
/// (`~~` for a name without a dot, `dovecot[…]`: a service of our own
/// network), exactly as [`mask_into`] masks them in the cache key. Rules
/// run on this copy, so a host name can neither trigger a rule (a
/// Barracuda-hosted MX is not the Barracuda blocklist, `relay.spamfilter.…`
/// is not a spam verdict) nor make two replies that share a cache entry
/// classify differently. Returns false, leaving `out` alone, when the text
/// names no such host.
fn hide_hosts(text: &[u8], out: &mut Vec<u8>) -> bool {
    let mut copied = 0;
    let mut changed = false;
    for i in memchr::memchr_iter(b'[', text) {
        if i < copied {
            continue;
        }
        let len = text[copied..i]
            .iter()
            .rev()
            .take_while(|&&b| is_token_byte(b))
            .count();
        let name = &text[i - len..i];
        if !name.iter().any(u8::is_ascii_alphabetic) {
            continue;
        }
        if !changed {
            out.clear();
            changed = true;
        }
        out.extend_from_slice(&text[copied..i - len]);
        out.extend_from_slice(if name.contains(&b'.') { b"~" } else { b"~~" });
        copied = i;
    }
    if changed {
        out.extend_from_slice(&text[copied..]);
    }
    changed
}

// ---------------------------------------------------------------------------
// Examples as tests.

/// Classifies every `examples` entry of every rule and returns those that
/// do not come out as their rule's cause. An example of a provider-scoped
/// rule is classified as if sent to that provider's first domain.
pub fn check_examples(catalogue: &Arc<Catalogue>) -> Vec<ExampleFailure> {
    let mut c = Classifier::new(Arc::clone(catalogue));
    let mut failures = Vec::new();
    for (i, rule) in catalogue.rules().iter().enumerate() {
        let domain = rule
            .provider
            .and_then(|p| catalogue.providers().get(usize::from(p)))
            .and_then(|p| p.domains.first().or(p.hosts.first()))
            .map(|d| d.as_bytes());
        for ex in &rule.examples {
            let q = Query {
                domain,
                ..Query::text(ex.as_bytes())
            };
            let got = c.classify(&q);
            if got.cause != rule.cause {
                failures.push(ExampleFailure {
                    rule: i as u32,
                    example: ex.clone(),
                    expected: rule.cause,
                    got,
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use memchr::memmem;
    use std::sync::OnceLock;

    #[test]
    fn web_addresses_are_found_to_their_end() {
        let t = b"550 see http://www.example.net/help/policy?x=1 or www.example.org/spam). Done";
        let spans = url_spans(t);
        let text: Vec<&[u8]> = spans.iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(
            text,
            [
                &b"http://www.example.net/help/policy?x=1"[..],
                &b"www.example.org/spam"[..]
            ]
        );
        assert!(url_spans(b"550 5.7.1 Message refused by policy").is_empty());
    }

    fn catalogue() -> Arc<Catalogue> {
        static CAT: OnceLock<Arc<Catalogue>> = OnceLock::new();
        Arc::clone(CAT.get_or_init(|| Arc::new(Catalogue::load(None).unwrap_or_else(|e| panic!("{e}")))))
    }

    fn classifier() -> Classifier {
        Classifier::new(catalogue())
    }

    fn rule_id(v: &Verdict) -> String {
        v.rule
            .and_then(|i| catalogue().rule(i).map(|r| r.to_string()))
            .unwrap_or_else(|| "-".into())
    }

    fn cause_of(reply: &str) -> Cause {
        classifier().classify(&Query::text(reply.as_bytes())).cause
    }

    fn dsn(s: &str) -> Option<Dsn> {
        Dsn::parse(s.as_bytes())
    }

    #[test]
    fn every_rule_example_classifies_to_its_cause() {
        let cat = catalogue();
        let failures = check_examples(&cat);
        let mut report = String::new();
        for f in &failures {
            let rule = cat.rule(f.rule).map(|r| r.to_string()).unwrap_or_default();
            report.push_str(&format!(
                "\n  rule {rule}: expected {}, got {} (by {}):\n    {}\n",
                f.expected,
                f.got.cause,
                rule_id(&f.got),
                f.example
            ));
        }
        let total: usize = cat.rules().iter().map(|r| r.examples.len()).sum();
        assert!(
            failures.is_empty(),
            "{} of {total} examples fail:{report}",
            failures.len()
        );
        let without: Vec<&str> = cat
            .rules()
            .iter()
            .filter(|r| r.examples.is_empty())
            .map(|r| r.origin.id.as_str())
            .collect();
        assert!(without.is_empty(), "rules without examples: {without:?}");
    }

    #[test]
    fn code_and_dsn_are_read_from_the_text() {
        let mut c = classifier();
        let v = c.classify(&Query::text(
            b"host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command)",
        ));
        assert_eq!(
            (v.smtp_code, v.dsn, v.cause),
            (Some(550), dsn("5.1.1"), Cause::UserUnknown)
        );
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 511 sorry, no mailbox here by that name (#5.1.1 - chkuser)",
        ));
        assert_eq!((v.smtp_code, v.dsn), (Some(511), dsn("5.1.1")));
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 550 #5.1.0 Address rejected.",
        ));
        assert_eq!((v.smtp_code, v.dsn), (Some(550), dsn("5.1.0")));
        let v = c.classify(&Query::text(b"550 5.7.1 bare reply"));
        assert_eq!((v.smtp_code, v.dsn), (Some(550), dsn("5.7.1")));
        // An IP in the text is not a DSN.
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 421 Messages from 4.16.55.1 deferred (in reply to MAIL FROM command)",
        ));
        assert_eq!((v.smtp_code, v.dsn), (Some(421), None));
        // Postfix's own text: no code; the dsn= field is the fallback.
        let v = c.classify(&Query {
            dsn: dsn("4.4.1"),
            ..Query::text(b"connect to mx.example.com[192.0.2.1]:25: Connection timed out")
        });
        assert_eq!(
            (v.smtp_code, v.dsn, v.cause),
            (None, dsn("4.4.1"), Cause::NetworkError)
        );
        assert!(v.rule.is_some());
    }

    #[test]
    fn multi_line_replies_are_unfolded() {
        let mut c = classifier();
        let v = c.classify(&Query::text(
            b"host gmail-smtp-in.l.google.com[74.125.1.1] said: 452-4.2.2 The email account that you tried to reach is over quota. Please direct 452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp b1si77 - gsmtp (in reply to RCPT TO command)",
        ));
        assert_eq!(
            (v.smtp_code, v.dsn, v.cause),
            (Some(452), dsn("4.2.2"), Cause::MailboxFull)
        );
        let mut out = Vec::new();
        let text = b"said: 550-5.7.26 This mail is 550-5.7.26 unauthenticated, 550 5.7.26 see https://x";
        assert!(unfold(text, &Anatomy::read(text), &mut out));
        assert_eq!(
            &out[..],
            &b"said: 550-5.7.26 This mail is unauthenticated, see https://x"[..]
        );
        let text = b"said: 451-You have been greylisted. 451-and your mail 451 this mail in 300 seconds";
        assert!(unfold(text, &Anatomy::read(text), &mut out));
        assert_eq!(
            &out[..],
            &b"said: 451-You have been greylisted. and your mail this mail in 300 seconds"[..]
        );
        // A DSN written `#5.7.1` is cut with its prefix too.
        let text = b"said: 550-#5.7.1 not authorized to 550-#5.7.1 send email 550 #5.7.1 directly";
        assert!(unfold(text, &Anatomy::read(text), &mut out));
        assert_eq!(
            &out[..],
            &b"said: 550-#5.7.1 not authorized to send email directly"[..]
        );
        // Single line: nothing to do, nothing copied.
        let text = b"said: 550 5.1.1 in 550 days";
        assert!(!unfold(text, &Anatomy::read(text), &mut out));
    }

    #[test]
    fn the_text_beats_the_dsn() {
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 550 5.1.1 <bob@example.com>: mailbox disabled (in reply to RCPT TO command)"),
            Cause::Suspend
        );
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 550 5.2.2 Message size exceeds fixed maximum message size"),
            Cause::MesgTooBig
        );
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 550 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org"),
            Cause::Blocked
        );
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 550 Requested action not taken: mailbox full"),
            Cause::MailboxFull
        );
    }

    #[test]
    fn the_dsn_decides_an_opaque_text_then_the_code() {
        let mut c = classifier();
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 550 5.1.1 Go away (in reply to RCPT TO command)",
        ));
        assert_eq!((v.cause, v.rule), (Cause::UserUnknown, None));
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 552 5.2.2 Nope (in reply to RCPT TO command)",
        ));
        assert_eq!(v.cause, Cause::MailboxFull);
        let v = c.classify(&Query {
            dsn: dsn("5.2.1"),
            ..Query::text(b"host x[192.0.2.1] said: 550 Nope (in reply to RCPT TO command)")
        });
        assert_eq!((v.cause, v.dsn), (Cause::Suspend, dsn("5.2.1")));
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 501 Nope (in reply to RCPT TO command)",
        ));
        assert_eq!((v.cause, v.rule), (Cause::SyntaxError, None));
        let v = c.classify(&Query::text(
            b"host x[192.0.2.1] said: 554 Nope (in reply to end of DATA command)",
        ));
        assert_eq!((v.cause, v.rule), (Cause::Undefined, None));
        assert_eq!(cause_of(""), Cause::Undefined);
    }

    #[test]
    fn reasons_beat_mechanisms() {
        // Rate limited because of reputation / because unauthenticated.
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation."),
            Cause::BadReputation
        );
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 421 4.7.26 This mail has been rate limited because it is unauthenticated."),
            Cause::AuthFailure
        );
        // Sender-side "user unknown" is about our sender.
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 553 5.1.8 <news@example.org>: Sender address rejected: User unknown in local recipient table"),
            Cause::Rejected
        );
        // Relaying refused even with "authentication required".
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 550 5.7.1 Relaying denied. Proper authentication required."),
            Cause::NoRelaying
        );
        // A missing PTR beats a generic block.
        assert_eq!(
            cause_of("host x[192.0.2.1] said: 550 5.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.7]"),
            Cause::RequirePtr
        );
        // A pipe's output names the cause.
        assert_eq!(
            cause_of("Command died with status 75: \"/usr/lib/dovecot/deliver\". Command output: Quota exceeded (mailbox for user is full)"),
            Cause::MailboxFull
        );
        assert_eq!(
            cause_of("Command died with status 75: \"/usr/bin/procmail\""),
            Cause::MailerError
        );
    }

    #[test]
    fn postfix_dns_and_socket_texts() {
        assert_eq!(
            cause_of("Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again"),
            Cause::NetworkError
        );
        assert_eq!(
            cause_of("Host or domain name not found. Name service error for name=example.com type=A: Host not found"),
            Cause::HostUnknown
        );
        assert_eq!(
            cause_of("connect to mail.example.net[private/dovecot-lmtp]: No such file or directory"),
            Cause::SystemError
        );
        assert_eq!(
            cause_of("connect to mail.example.net[private/dovecot-lmtp]: Connection refused"),
            Cause::SystemError
        );
        assert_eq!(
            cause_of("host mail.example.net[private/dovecot-lmtp] said: 550 5.1.1 <root@example.net> User doesn't exist: root@example.net (in reply to RCPT TO command)"),
            Cause::UserUnknown
        );
        assert_eq!(
            cause_of("mail for example.com loops back to myself"),
            Cause::NetworkError
        );
        assert_eq!(
            cause_of(
                "delivery temporarily suspended: connect to mx.example.com[192.0.2.1]:25: Connection refused"
            ),
            Cause::NetworkError
        );
        assert_eq!(
            cause_of("lost connection with 127.0.0.1[127.0.0.1] while sending end of data -- message may be sent more than once"),
            Cause::SystemError
        );
    }

    #[test]
    fn a_warm_classifier_answers_as_a_fresh_one() {
        // The same texts under other relays, domains and `dsn=` values, in
        // an order that puts each variant after a cached one: the caches
        // must key on everything a verdict depends on.
        let texts: [&[u8]; 4] = [
            b"550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
            b"host mx.example.com[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)",
            b"connect to mx.example.net[192.0.2.9]:25: Connection timed out",
            b"Message rejected",
        ];
        let relays: [Option<&[u8]>; 3] = [
            None,
            Some(b"example-com.mail.protection.outlook.com[52.101.1.1]:25"),
            Some(b"mx.example.com[192.0.2.1]:25"),
        ];
        let domains: [Option<&[u8]>; 2] = [Some(b"example.com"), Some(b"qq.com")];
        let dsns = [None, Dsn::parse(b"5.1.1"), Dsn::parse(b"4.4.1")];
        let mut warm = classifier();
        let mut n = 0;
        for _ in 0..2 {
            for text in texts {
                for relay in relays {
                    for domain in domains {
                        for dsn in dsns {
                            let q = Query {
                                relay,
                                domain,
                                dsn,
                                ..Query::text(text)
                            };
                            assert_eq!(warm.classify(&q), classifier().classify(&q), "{q:?}");
                            n += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(n, 144);
    }

    #[test]
    fn provider_scoped_rules_need_their_provider() {
        let text = b"host x.mail.protection.outlook.com[192.0.2.1] said: 550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM0PR01.eurprd05.prod.outlook.com] (in reply to RCPT TO command)";
        let mut c = classifier();
        let v = c.classify(&Query::text(text));
        assert_eq!(v.cause, Cause::UserUnknown, "by {}", rule_id(&v));
        let cat = catalogue();
        let r = v.rule.and_then(|i| cat.rule_detail(i)).and_then(|r| r.provider);
        assert!(r.is_some(), "decided by a microsoft-scoped rule");
        // The same words from another site are only a policy refusal.
        let other = b"host mx.example.com[192.0.2.1] said: 550 5.4.1 Recipient address rejected: Access denied (in reply to RCPT TO command)";
        assert_ne!(c.classify(&Query::text(other)).cause, Cause::UserUnknown);
        // The relay field decides the provider when the text names none.
        let bare = b"550 5.4.1 Recipient address rejected: Access denied. AS(201806281)";
        let q = Query {
            relay: Some(b"example-com.mail.protection.outlook.com[52.101.1.1]:25"),
            ..Query::text(bare)
        };
        assert_eq!(c.classify(&q).cause, Cause::UserUnknown);
        let q = Query {
            relay: Some(b"mx.example.com[192.0.2.1]:25"),
            ..Query::text(bare)
        };
        assert_ne!(c.classify(&q).cause, Cause::UserUnknown);
        // Through a smart host the relay is not Microsoft's, but the
        // server name Exchange Online writes in its reply still is.
        let relayed = b"550 5.4.1 Recipient address rejected: Access denied. [DB8PR01.eurprd01.prod.outlook.com 2024-01-01T00:00:00.000Z 08DC]";
        let q = Query {
            relay: Some(b"smarthost.example.net[192.0.2.9]:587"),
            ..Query::text(relayed)
        };
        assert_eq!(c.classify(&q).cause, Cause::UserUnknown);
    }

    /// The replies that put valid people on the suppression list or gave
    /// advice that did not fit (issue 19), read with their origin and stage.
    #[test]
    fn origin_and_stage_decide_what_the_words_cannot() {
        let cases = [
            // Our sending behaviour, at the greeting: not the mailbox.
            ("host mail-in.example.info[192.0.2.1] refused to talk to me: 550 Too many invalid recipients", Cause::BadReputation),
            // "Connection refused" inside a remote reply names a mechanism.
            ("host mx.example.net[192.0.2.3] refused to talk to me: 554 5.7.1 Connection refused. Your IP address 198.51.100.7 is listed in the Spamhaus PBL", Cause::Blocked),
            // A bare 452 is not a full disk.
            ("host mx.example.net[192.0.2.3] said: 452 <bob@example.net> requested action aborted: try again later (in reply to RCPT TO command)", Cause::Undefined),
            // local(8)'s mailbox command exited with a temporary status.
            ("temporary failure", Cause::MailerError),
            // User unknown about our sender, at MAIL FROM.
            ("host mx.example.net[192.0.2.3] said: 550 5.1.1 <news@example.org>... User unknown (in reply to MAIL FROM command)", Cause::Rejected),
            // A 5.1.1 DSN at the greeting is not about a mailbox either.
            ("host mx.example.net[192.0.2.3] refused to talk to me: 550 5.1.1 go away", Cause::Blocked),
            // The same words at RCPT TO are.
            ("host mx.example.net[192.0.2.3] said: 550 5.1.1 <bob@example.net>... User unknown (in reply to RCPT TO command)", Cause::UserUnknown),
            // Postfix's own connection failure is still network_error.
            ("connect to mx.example.net[192.0.2.3]:25: Connection refused", Cause::NetworkError),
            // A 521 greeting is the whole host's "does not accept mail".
            ("host mx.example.net[192.0.2.3] refused to talk to me: 521 5.3.2 mx.example.net does not accept mail", Cause::NotAccept),
            // A 521 or 556 with a security or policy DSN refuses our mail,
            // not all mail: the bare code is no evidence for a hard cause.
            ("host mx.example.net[192.0.2.3] said: 521 5.7.1 <bob@example.net>: Recipient address rejected: You are not allowed to send mail (in reply to RCPT TO command)", Cause::Undefined),
            ("host mx.example.net[192.0.2.3] said: 556 5.7.0 sorry (in reply to RCPT TO command)", Cause::Undefined),
            ("host mx.example.net[192.0.2.3] said: 556 5.1.10 <bob@example.net>: Recipient address rejected (in reply to RCPT TO command)", Cause::NotAccept),
            // "Spam" before any message was sent is about our IP.
            ("host mail.example.com.au[192.0.2.3] refused to talk to me: 451 Spam email. Email Session ID: {5488DD4B-12-FEFDA8C0}", Cause::Blocked),
            // The same words after the message are a verdict on it.
            ("host mail.example.com.au[192.0.2.3] said: 550 Spam email. (in reply to end of DATA command)", Cause::SpamDetected),
            // "Mailbox unavailable" answering RCPT TO is the recipient's ...
            ("host smtp.mail.yahoo.com[192.0.2.65] said: 550 Request failed; Mailbox unavailable (in reply to RCPT TO command)", Cause::UserUnknown),
            // ... after the message it answers for the whole message, and is
            // no evidence that an address is gone (a rule's `not_stage`).
            ("host smtp.mail.yahoo.com[192.0.2.65] said: 550 Request failed; Mailbox unavailable (in reply to end of DATA command)", Cause::Undefined),
            // "Domain does not exist" under the sender's DSN (X.1.8) is our
            // sender's domain, whatever the stage.
            ("host mx.example.net[192.0.2.3] said: 501 5.1.8 Bad sender address: domain does not exist (in reply to RCPT TO command)", Cause::Rejected),
            ("501 5.1.8 Bad sender address: domain does not exist", Cause::Rejected),
            // A mail loop named in words is the path, not a missing domain:
            // the 5.4.4 DSN alone would read as a hard host_unknown.
            ("host mail.example.com[192.0.2.3] said: 554 5.4.4 SMTPSEND.DNS.MxLoopback; DNS records for this domain are configured in a loop (in reply to RCPT TO command)", Cause::NetworkError),
            ("host mail.example.com[192.0.2.3] said: 554 5.4.4 unable to route (in reply to RCPT TO command)", Cause::HostUnknown),
        ];
        let mut c = classifier();
        for (text, want) in cases {
            let x = c.explain(&Query::text(text.as_bytes()));
            assert_eq!(x.verdict.cause, want, "{text}: {x:?}");
            assert_eq!(
                c.classify(&Query::text(text.as_bytes())).cause,
                want,
                "{text} (cached path)"
            );
        }
        // Postfix's "Host not found" for a provider's own domain is our
        // resolver; for another domain, the domain.
        let nx =
            b"Host or domain name not found. Name service error for name=gmail.com type=A: Host not found";
        let q = |domain: &'static [u8]| Query {
            domain: Some(domain),
            relay: Some(b"none"),
            ..Query::text(nx)
        };
        assert_eq!(c.classify(&q(b"gmail.com")).cause, Cause::NetworkError);
        assert_eq!(
            c.explain(&q(b"gmail.com")).adjusted,
            Some(Adjustment::OurResolver)
        );
        assert_eq!(c.classify(&q(b"gmial.com")).cause, Cause::HostUnknown);
    }

    #[test]
    fn any_bytes_are_safe() {
        let mut c = classifier();
        let nasty: [&[u8]; 10] = [
            b"",
            b"\xff\xfe\x00said: 5",
            b"said: ",
            b"said: 55",
            b"said: 550-",
            b"said: 550-5.",
            b"host [",
            b"[[[[]]]] @@@ 1.2.3.4.5.6 550 550- 550-550-",
            // GBK: "收件人不存在" encoded as GBK, not UTF-8.
            b"host mx.example.cn[192.0.2.1] said: 550 5.1.1 \xca\xd5\xbc\xfe\xc8\xcb\xb2\xbb\xb4\xe6\xd4\xda",
            b"said: 550 5.1.1 \xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba\xe4",
        ];
        for t in nasty {
            let v = c.classify(&Query::text(t));
            let _ = c.explain(&Query::text(t));
            if t.ends_with(b"\xb4\xe6\xd4\xda") {
                assert_eq!(v.cause, Cause::UserUnknown, "GBK text falls back to the DSN");
            }
        }
        let long = vec![b'5'; 1 << 20];
        let _ = c.classify(&Query::text(&long));
        let mut all = Vec::new();
        for b in 0..=255u8 {
            all.extend_from_slice(&[b, b'.', b' ', b'[', b]);
        }
        let _ = c.classify(&Query::text(&all));
    }

    #[test]
    fn chinese_replies_match() {
        assert_eq!(
            cause_of("host mx.example.cn[192.0.2.1] said: 550 5.1.1 bob@example.cn: 收件人不存在 (in reply to RCPT TO command)"),
            Cause::UserUnknown
        );
        assert_eq!(
            cause_of("host mx.example.cn[192.0.2.1] said: 421 4.7.0 发信频率过快，请稍后再试 (in reply to MAIL FROM command)"),
            Cause::Speeding
        );
    }

    #[test]
    fn the_cache_merges_replies_that_differ_only_in_variable_parts() {
        let mut c = classifier();
        let a = c.classify(&Query::text(
            b"host mx1.example.com[192.0.2.1] said: 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
        ));
        let b = c.classify(&Query::text(
            b"host mx2.example.com[198.51.100.9] said: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
        ));
        assert_eq!(a, b);
        assert_eq!(c.cache_len(), 1);
        // Same text, different dsn= field: different entries.
        let q = Query {
            dsn: dsn("4.2.2"),
            ..Query::text(b"host x[192.0.2.1] said: 450 opaque")
        };
        let v = c.classify(&q);
        assert_eq!(v.cause, Cause::MailboxFull);
        let q = Query {
            dsn: dsn("4.4.1"),
            ..Query::text(b"host x[192.0.2.1] said: 450 opaque")
        };
        assert_eq!(c.classify(&q).cause, Cause::NetworkError);
        // A cached verdict is the uncached one.
        let q = Query::text(
            b"host x[192.0.2.1] said: 550 5.7.1 [BL21] Connections will not be accepted from 198.51.100.7",
        );
        let first = c.classify(&q);
        assert_eq!(first, c.classify(&q));
        assert_eq!(first, c.explain(&q).verdict);
    }

    #[test]
    fn masking_keeps_codes_and_vendor_ids() {
        let mut out = Vec::new();
        mask_into(
            b"host mx.X.com[192.0.2.1] said: 550 5.7.606 <a@b.c> [TSS04] (S3150) 4.16.55.1 1763694847 a1si123.12 name=foo.com [::1] [private/dovecot-lmtp]",
            &mut out,
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            "host ~[#] said: 550 5.7.606 <@> [tss04] (s3150) # # # name=~ [::1] [private/dovecot-lmtp]"
        );
    }

    /// Host names are masked in the cache key, so no rule may see them:
    /// a Barracuda-hosted MX is not the Barracuda blocklist, and two
    /// replies that differ only in the host get the same verdict, cached or not.
    #[test]
    fn host_names_do_not_trigger_rules() {
        let ess = "host d178213b.ess.barracudanetworks.com[209.222.82.253] said: 550 permanent failure for one or more recipients (bob@example.com:550 No such user here) (in reply to end of DATA command)";
        let other = "host mx1.example.com[192.0.2.1] said: 550 permanent failure for one or more recipients (bob@example.com:550 No such user here) (in reply to end of DATA command)";
        let mut c = classifier();
        assert_eq!(c.classify(&Query::text(ess.as_bytes())).cause, Cause::UserUnknown);
        assert_eq!(
            c.classify(&Query::text(other.as_bytes())).cause,
            Cause::UserUnknown
        );
        assert_eq!(cause_of(other), Cause::UserUnknown);
        assert_eq!(
            cause_of("host relay.spamfilter.example.net[192.0.2.1] said: 550 5.1.1 <bob@example.net>: Recipient address rejected (in reply to RCPT TO command)"),
            Cause::UserUnknown
        );
        // The explanation sees the same text as the verdict.
        let e = c.explain(&Query::text(ess.as_bytes()));
        assert_eq!(e.verdict.cause, Cause::UserUnknown);
        assert!(e.matched.iter().all(|&r| catalogue()
            .rule(r)
            .is_some_and(|r| !r.to_string().starts_with("dnsbl."))));
    }

    // The plain, multi-pass masking the one-pass `mask_into` replaced:
    // the model it must stay equal to.
    fn is_token_byte_ref(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@' | b'+' | b'%' | b'/')
    }

    fn mask_reference(text: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < text.len() {
            let b = text[i];
            if b == b'[' {
                let close = text[i + 1..].iter().take(256).position(|&c| c == b']');
                if let Some(n) = close {
                    let inner = &text[i + 1..i + 1 + n];
                    let local = inner.starts_with(b"127.")
                        || inner.starts_with(b"::1")
                        || inner.starts_with(b"private/")
                        || inner.starts_with(b"public/")
                        || inner.starts_with(b"/");
                    if n > 6 && !local && inner.iter().any(u8::is_ascii_digit) {
                        out.extend_from_slice(b"[#]");
                        i += n + 2;
                        continue;
                    }
                }
                out.push(b);
                i += 1;
                continue;
            }
            if !is_token_byte_ref(b) {
                out.push(b.to_ascii_lowercase());
                i += 1;
                continue;
            }
            let len = text[i..].iter().take_while(|&&c| is_token_byte_ref(c)).count();
            let tok = &text[i..i + len];
            i += len;
            if text.get(i) == Some(&b'[') && tok.iter().any(|c| c.is_ascii_alphabetic()) {
                out.extend_from_slice(if tok.contains(&b'.') { b"~" } else { b"~~" });
                continue;
            }
            if tok.eq_ignore_ascii_case(b"name") && text.get(i) == Some(&b'=') {
                out.extend_from_slice(b"name=~");
                i += 1;
                i += text[i..].iter().take_while(|&&c| is_token_byte_ref(c)).count();
                continue;
            }
            match token_mask_ref(tok) {
                Some(m) => out.extend_from_slice(m),
                None => out.extend(tok.iter().map(u8::to_ascii_lowercase)),
            }
        }
    }

    /// What a token is masked to, if it is masked.
    fn token_mask_ref(tok: &[u8]) -> Option<&'static [u8]> {
        if tok.contains(&b'@') {
            return Some(b"@");
        }
        let digits = tok.iter().filter(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let trimmed = tok.strip_suffix(b".").unwrap_or(tok);
        if Dsn::parse(trimmed).is_some() {
            return None;
        }
        let dots = tok.iter().filter(|&&b| b == b'.').count();
        let numeric = tok.iter().all(|b| b.is_ascii_digit() || *b == b'.');
        if numeric && dots >= 3 && !tok.starts_with(b"127.") {
            return Some(b"#");
        }
        if (numeric && dots == 0 && digits >= 5) || tok.len() >= 8 {
            return Some(b"#");
        }
        None
    }

    #[test]
    fn mask_matches_the_reference() {
        let data = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/replies.toml"))
            .expect("tests/data/replies.toml");
        let mut texts: Vec<&[u8]> = data.lines().map(str::as_bytes).collect();
        texts.extend([
            &b"name=mx.example.com type=MX: Host not found [127.0.0.1] [::1]x [private/dovecot-lmtp] ["[..],
            b"a@b c.d.e.f 1.2.3.4 127.0.0.1 12345 1234 5.1.1. 4.16.55.1 abcdefg1 NAME= x[ \xff\xfe 5.7.1x",
            b"[1234567] [abc] [abcdefgh1] trailing[",
        ]);
        for t in texts {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            mask_into(t, &mut fast);
            mask_reference(t, &mut slow);
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&slow),
                "for {}",
                String::from_utf8_lossy(t)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn mask_matches_the_reference_on_any_bytes(
            t in proptest::collection::vec(proptest::prop_oneof![
                proptest::sample::select(b"abcXYZ019.-_@+%/[]= :;<>\xe7\x94\xa8".to_vec()),
                proptest::num::u8::ANY,
            ], 0..80)
        ) {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            mask_into(&t, &mut fast);
            mask_reference(&t, &mut slow);
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn hide_hosts_replaces_only_names_before_brackets() {
        let mut out = Vec::new();
        assert!(hide_hosts(
            b"host mx.example.com[192.0.2.1] said: 550 x",
            &mut out
        ));
        assert_eq!(out, b"host ~[192.0.2.1] said: 550 x");
        assert!(hide_hosts(
            b"lost connection with mail.example.net[private/dovecot-lmtp] while x; <unknown[198.51.100.7]>",
            &mut out
        ));
        // A name of one label (`unknown`, `dovecot`) is `~~`: a rule may
        // tell a service of our own network from a dotted MX name.
        assert_eq!(
            out,
            b"lost connection with ~[private/dovecot-lmtp] while x; <~~[198.51.100.7]>"
        );
        // A bracket after a space, or after digits only, names no host.
        assert!(!hide_hosts(
            b"550 5.7.1 Client host [198.51.100.7] blocked using zen.spamhaus.org",
            &mut out
        ));
        assert!(!hide_hosts(b"from 10.0.0.1[10.0.0.1]", &mut out));
        assert!(!hide_hosts(b"no brackets at all", &mut out));
    }

    #[test]
    fn explain_lists_the_deciding_rule_first() {
        let mut c = classifier();
        let e = c.explain(&Query::text(
            b"host x[192.0.2.1] said: 550 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org",
        ));
        assert_eq!(e.verdict.cause, Cause::Blocked);
        assert!(matches!(e.decision, Decision::Rule(_)));
        assert_eq!(e.matched.first().copied(), e.verdict.rule);
        let e = c.explain(&Query::text(b"host x[192.0.2.1] said: 550 5.1.1 Go away"));
        assert_eq!(
            e.decision,
            Decision::Dsn(Dsn::parse(b"5.1.1").unwrap_or_else(|| panic!()))
        );
    }

    /// Real-world replies (SPEC "Telling close causes apart" and the corpus
    /// in ../shared/corpus/real): one line per case.
    #[test]
    fn real_world_replies() {
        let cases: &[(&str, Cause)] = &[
            ("host in.smtp.cz[193.84.1.1] said: 450 4.7.1 Error: too much mail from 217.31.1.1 (in reply to MAIL FROM command)", Cause::Speeding),
            ("host mx.smtp.cz[193.84.1.1] refused to talk to me: 421 4.7.0 mx.smtp.cz Error: too many connections from 217.31.1.1", Cause::TooManyConn),
            ("delivery temporarily suspended: host mail.orangemail.sk[213.151.1.1] refused to talk to me: 554 5.7.1 Not allowed.", Cause::Blocked),
            ("host mx.centrum.cz[46.255.1.1] said: 550 #5.1.0 Address rejected. (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host in.smtp.cz[193.84.1.1] said: 450 4.7.1 <no-reply@directmail.fg.cz>: Recipient address rejected: Domain directmail.fg.cz receiving too many bounces. Please send later. (in reply to RCPT TO command)", Cause::Speeding),
            ("host mx1.seznam.cz[77.75.1.1] said: 550 5.2.1 Mailbox is currently disabled. (in reply to RCPT TO command)", Cause::Suspend),
            ("host 1.pamx1.hotmail.com[65.55.1.1] said: 550 Requested action not taken: mailbox unavailable (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host ALT1.ASPMX.L.GOOGLE.com[74.125.1.1] said: 452 4.2.2 <h-1d1@h-1da1.com> user is over quota, please try again later (in reply to RCPT TO command)", Cause::MailboxFull),
            ("host mail.zet.sk[194.1.1.1] said: 552 5.2.2 <\"1romel.\"@zet.sk> Mailbox has exceeded the limit (in reply to RCPT TO command)", Cause::MailboxFull),
            ("host mail.gfk.sk[194.1.1.1] said: 550 <radoslav.barka@gfk.sk>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host mx-1.reykjavik.is[194.1.1.1] said: 450 4.7.1 Greylisting in action, please come back later (in reply to RCPT TO command)", Cause::Greylisted),
            ("host hotmail-com.olc.protection.outlook.com[104.47.1.1] said: 550 5.7.1 Unfortunately, messages from [193.1.1.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DB5EUR03FT1.eop-EUR03.prod.protection.outlook.com] (in reply to MAIL FROM command)", Cause::Blocked),
            ("Host or domain name not found. Name service error for name=digideps.dsd.io type=AAAA: Host found but no data record of requested type", Cause::HostUnknown),
            ("host svc1.sh.cvut.cz[147.32.1.1] said: 450 4.1.1 <n.laposa@sh.cvut.cz>: Recipient address rejected: unverified address: mail for sh.cvut.cz loops back to myself (in reply to RCPT TO command)", Cause::NetworkError),
            ("host mail.terminus.sk[195.1.1.1] said: 450 4.1.1 <frakira@terminus.sk>: Recipient address rejected: unverified address: connect to platon.atlantis.sk[195.1.1.2]:25: Connection refused (in reply to RCPT TO command)", Cause::SystemError),
            ("host mail.wpublisher.cz[1.1.1.1] said: 550 5.1.1 <malinak@wpublisher.cz>: Recipient address rejected: unverified address: unknown user: \"malinak@wpublisher.cz\" (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host securepractice-co.mail.protection.outlook.com[52.1.1.1] said: 451 4.7.500 Server busy. Please try again later from [1.2.3.4]. (S77714) [OL1P.NORP2.PROD.OUTLOOK.COM 2024-01-01T00:00:00.000Z 08DC] (in reply to end of DATA command)", Cause::Speeding),
            // "us" is the remote's backup MX, refused by its own primary: the
            // remote's back end failed, DSN not 4.4.x (SPEC: system_error).
            ("host relay.iol.cz[212.96.1.1] said: 550 5.7.1 <nugettka@majaky.cz>: Recipient address rejected: \"majaky.cz:primary MX doesn't accept mail from us, sorry\" (in reply to RCPT TO command)", Cause::SystemError),
            ("host mailin1.zih.recipient.relay.example.com[1.1.1.1] said: 451-You have been greylisted. This is part of our standard anti-spam measures 451-and your mail system should automatically try again later. We will accept 451 this mail from you in 300 seconds (in reply to RCPT TO command)", Cause::Greylisted),
            ("host mx1.pgd.pl[1.1.1.1] said: 451 Greylisting - sprobuj za 5 minut(y) / try again in 5 minute(s) (in reply to DATA command)", Cause::Greylisted),
            ("host mail.chello.sk[1.1.1.1] said: 550 5.1.1 <freno@chello.sk> inactive recipient rejected (in reply to RCPT TO command)", Cause::Suspend),
            ("host mail.chello.sk[1.1.1.1] said: 550 5.1.1 <dominik@chello.sk> unknown recipient rejected (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host mta-in.telekom.sk[1.1.1.1] said: 550 5.1.1 unknown or illegal alias: fuskova@stonline.sk (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host mailhub.nextra.sk[1.1.1.1] said: 550 User <jschwarcz@nextra.sk> unknown (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host mail.domain.com[1.1.1.1] said: 451 DT:SPM 163 mx14,WsCowAAnEhlCoEVaNGjcAA--.1S2 1514553410, please try again 10min later (in reply to end of DATA command)", Cause::SpamDetected),
            ("host aspmx.l.google.com[2a00:1450::1b] said: 550-5.7.26 This message does not have authentication information or fails to 550-5.7.26 pass authentication checks. To best protect our users from spam, the 550-5.7.26 message has been blocked. Please visit 550-5.7.26  https://support.google.com/mail/answer/81126#authentication for more 550 5.7.26 information. a1si1wrx.1 - gsmtp (in reply to end of DATA command)", Cause::AuthFailure),
            ("host PFWSEXCHANGE.corp.cetitec.com[1.1.1.1] said: 452 4.5.3 Message submission rate for this client has exceeded the configured limit (in reply to MAIL FROM command)", Cause::Speeding),
            ("delivery temporarily suspended: SASL authentication failed; server 1.1.1.1[1.1.1.1] said: 535 5.7.8 Error: authentication failed: authentication failure", Cause::SecurityError),
            ("host fmx.freemail.hu[1.1.1.1] said: 550 sorry, no mailbox here by that name (#5.1.1) (in reply to RCPT TO command)", Cause::UserUnknown),
            ("host lsean.ezweb.ne.jp[1.1.1.1] said: 550 : User unknown (in reply to end of DATA command)", Cause::UserUnknown),
            ("host mail.szm.sk[1.1.1.1] said: 554 5.7.1 <dfvsdf@sym.sk>: Relay access denied (in reply to RCPT TO command)", Cause::NoRelaying),
            ("conversation with mx.example.com[192.0.2.1] timed out while receiving the initial server greeting", Cause::NetworkError),
            ("host mx.example.com[192.0.2.1] said: 450 4.3.2 Service currently unavailable (in reply to RCPT TO command)", Cause::Greylisted),
            ("host mx.example.com[192.0.2.1] said: 451 4.7.1 Try again later (in reply to RCPT TO command)", Cause::Greylisted),
            ("host mx.example.com[192.0.2.1] said: 554 5.7.1 <news@example.org>: Sender address rejected: Access denied (in reply to RCPT TO command)", Cause::Rejected),
            ("host mx.example.com[192.0.2.1] said: 550 5.7.1 Message rejected due to SPF fail at MAIL FROM (in reply to MAIL FROM command)", Cause::AuthFailure),
            ("host mx.example.com[192.0.2.1] said: 550 5.7.1 Message contains a virus (in reply to end of DATA command)", Cause::VirusDetected),
            ("host mx.example.com[192.0.2.1] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)", Cause::MesgTooBig),
            ("host mx.example.com[192.0.2.1] said: 554 5.6.0 Message contains invalid header (in reply to end of DATA command)", Cause::ContentError),
            ("host mx.example.com[192.0.2.1] said: 550 5.7.1 Helo command rejected: Host not found (in reply to RCPT TO command)", Cause::Blocked),
            ("host mx.example.com[192.0.2.1] said: 550 5.1.2 <bob@nosuch.example>: Recipient address rejected: Domain not found (in reply to RCPT TO command)", Cause::HostUnknown),
            ("host mx.example.com[192.0.2.1] said: 554 5.4.6 Too many hops (in reply to end of DATA command)", Cause::NetworkError),
            ("host mx.example.com[192.0.2.1] said: 503 5.5.1 Error: need MAIL command (in reply to RCPT TO command)", Cause::SyntaxError),
        ];
        let mut c = classifier();
        let mut bad = String::new();
        for (text, want) in cases {
            let v = c.classify(&Query::text(text.as_bytes()));
            if v.cause != *want {
                bad.push_str(&format!(
                    "\n  expected {want}, got {} (by {}):\n    {text}",
                    v.cause,
                    rule_id(&v)
                ));
            }
        }
        assert!(bad.is_empty(), "mismatches:{bad}");
    }

    /// Every template of the log generator's reply table, filled in, must
    /// classify to its listed cause (≥ 97 %, aiming at all).
    #[test]
    fn generator_reply_templates_classify_to_their_cause() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/replies.tsv");
        let Ok(tsv) = std::fs::read_to_string(&path) else {
            eprintln!("note: {} not found; skipping", path.display());
            return;
        };
        let mut c = classifier();
        let (mut total, mut ok) = (0usize, 0usize);
        let mut bad = String::new();
        for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [cause, _status, dsn_field, template, rest @ ..] = cols.as_slice() else {
                continue;
            };
            let provider = rest.first().copied().unwrap_or("");
            let (host, domain) = match provider {
                "google" => ("gmail-smtp-in.l.google.com", "gmail.com"),
                "microsoft" => ("example-com.mail.protection.outlook.com", "outlook.com"),
                "yahoo" => ("mta7.am0.yahoodns.net", "yahoo.com"),
                "qq" => ("mx3.qq.com", "qq.com"),
                "netease" => ("163mx01.mxmail.netease.com", "163.com"),
                "mimecast" => ("eu-smtp-inbound-1.mimecast.com", "example.co.uk"),
                "cn" => ("mx.example.cn", "example.cn"),
                _ => ("mx.example.com", "example.com"),
            };
            let reply = template
                .replace("{mx}", host)
                .replace("{host}", host)
                .replace("{ip}", "192.0.2.25")
                .replace("{myip}", "198.51.100.7")
                .replace("{rcpt}", &format!("bob.smith@{domain}"))
                .replace("{local}", "bob.smith")
                .replace("{domain}", domain)
                .replace("{sender}", "news@example.org")
                .replace("{senderdomain}", "example.org")
                .replace("{n}", "4242");
            let relay = if reply.starts_with("host ") || reply.starts_with("connect to") {
                format!("{host}[192.0.2.25]:25")
            } else {
                "none".to_string()
            };
            let q = Query {
                reply: reply.as_bytes(),
                dsn: Dsn::parse(dsn_field.as_bytes()),
                relay: Some(relay.as_bytes()),
                domain: Some(domain.as_bytes()),
                status: Status::Deferred,
            };
            let v = c.classify(&q);
            total += 1;
            if v.cause.as_str() == *cause {
                ok += 1;
            } else {
                bad.push_str(&format!(
                    "\n  expected {cause}, got {} (by {}):\n    {reply}",
                    v.cause,
                    rule_id(&v)
                ));
            }
        }
        eprintln!("replies.tsv: {ok}/{total} templates classify to their cause");
        assert!(total > 0);
        assert!(ok * 100 >= total * 97, "{ok}/{total} agree; mismatches:{bad}");
        assert!(bad.is_empty(), "{ok}/{total} agree; mismatches:{bad}");
    }

    /// A rough timing of the cached path (run with `--nocapture` to see
    /// it). The claim "well under 2 µs per cached reply" is asserted loosely
    /// (10 µs) so a slow debug build or loaded CI machine does not fail.
    #[test]
    fn cached_classification_is_fast() {
        let replies: [&[u8]; 4] = [
            b"host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
            b"connect to mx.example.com[192.0.2.1]:25: Connection timed out",
            b"host gmail-smtp-in.l.google.com[74.125.1.1] said: 421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. (in reply to end of DATA command)",
            b"Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again",
        ];
        let mut c = classifier();
        for r in replies {
            c.classify(&Query::text(r));
        }
        let n = 20_000;
        let t = std::time::Instant::now();
        for i in 0..n {
            std::hint::black_box(c.classify(&Query::text(replies[i % replies.len()])));
        }
        let per = t.elapsed() / n as u32;
        eprintln!("cached classify: {per:?} per reply");
        assert!(per < std::time::Duration::from_micros(if cfg!(debug_assertions) { 100 } else { 10 }));
    }

    /// The real replies of ../shared/corpus/real (every `status=bounced` or
    /// `status=deferred` line) each get a cause; none is `undefined`. Run
    /// with `--nocapture` to see the verdict of each distinct reply.
    #[test]
    fn real_corpus_replies_all_get_a_cause() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("note: {} not found; skipping", dir.display());
            return;
        };
        let cat = catalogue();
        let mut c = Classifier::new(Arc::clone(&cat));
        let mut undefined = Vec::new();
        let mut lines = 0;
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().is_none_or(|x| x != "log") {
                continue;
            }
            let data = std::fs::read(&path).unwrap_or_default();
            for line in data.split(|&b| b == b'\n') {
                let Some(st) = memmem::find(line, b"status=") else {
                    continue;
                };
                let rest = &line[st..];
                if !(rest.starts_with(b"status=bounced") || rest.starts_with(b"status=deferred")) {
                    continue;
                }
                let Some(open) = memchr::memchr(b'(', rest).map(|j| st + j + 1) else {
                    continue;
                };
                let reply = line[open..].trim_ascii_end();
                let reply = reply.strip_suffix(b")").unwrap_or(reply);
                let field = |name: &[u8]| {
                    memmem::find(line, name).map(|i| {
                        let r = &line[i + name.len()..];
                        &r[..r.iter().position(|&b| b == b',').unwrap_or(r.len())]
                    })
                };
                let q = Query {
                    reply,
                    dsn: field(b"dsn=").and_then(Dsn::parse),
                    relay: field(b"relay="),
                    domain: None,
                    status: Status::Deferred,
                };
                let v = c.classify(&q);
                lines += 1;
                println!(
                    "{:16} {:34} {}",
                    v.cause,
                    rule_id(&v),
                    String::from_utf8_lossy(reply)
                );
                // A `dsn=2.0.0 … (delivered to mailbox)` line logged as
                // deferred (lightmeter's anantg21 sample) names no failure:
                // `undefined` is the honest answer there.
                if v.cause == Cause::Undefined && q.dsn.is_none_or(|d| d.class != 2) {
                    undefined.push(String::from_utf8_lossy(reply).into_owned());
                }
            }
        }
        eprintln!("corpus: {lines} failure lines classified");
        assert!(undefined.is_empty(), "undefined:\n{}", undefined.join("\n"));
    }
}
