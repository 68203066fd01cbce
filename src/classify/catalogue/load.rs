//! Loading a catalogue: the built-in files and the user's `--patterns`
//! directory read ([`Catalogue::load`]), then parsed, validated and
//! compiled in steps, one function each, that [`Catalogue::from_sources`]
//! lists in order. Each step goes over the files in load order and stops at
//! the first mistake with a [`CatalogueError`] naming file, line and item:
//! a syntax error anywhere is reported before a bad entry, and a bad
//! `[[cause]]`, `[[code]]`, `[[dsn]]` or `[[provider]]` before a bad rule.

use super::{
    Catalogue, CatalogueError, CauseInfo, CodeInfo, DsnInfo, DsnPattern, Near, PhraseRule, Provider, Rule,
    RuleRef, SuffixMap, BUILTIN, DEFAULT_PRIORITY, MAX_REGEX_RULES, REGEX_SIZE_LIMIT,
};
use crate::cause::Cause;
use crate::classify::anatomy::{plain_reply, Anatomy, Origin, Stage};
use crate::classify::key::mask_into;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Upper bound on the compiled size of the combined `RegexSet`.
const REGEX_SET_SIZE_LIMIT: usize = 256 << 20;

// ---------------------------------------------------------------------------
// Raw TOML shapes.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    cause: Vec<Spanned<RawCause>>,
    #[serde(default)]
    code: Vec<Spanned<RawCode>>,
    #[serde(default)]
    dsn: Vec<Spanned<RawDsn>>,
    #[serde(default)]
    provider: Vec<Spanned<RawProvider>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCause {
    id: Spanned<String>,
    /// Free text for humans (the SPEC's class note); not used by the program.
    #[serde(default)]
    #[allow(dead_code)]
    class: Option<String>,
    description_en: String,
    description_zh: String,
    advice_en: String,
    advice_zh: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    code: u16,
    meaning_en: String,
    meaning_zh: String,
    #[serde(default)]
    cause: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDsn {
    code: Spanned<String>,
    meaning_en: String,
    meaning_zh: String,
    #[serde(default)]
    cause: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    signatures: Vec<String>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    cause: Spanned<String>,
    #[serde(default)]
    phrase: Option<OneOrMany<String>>,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default)]
    near: Option<NearField>,
    #[serde(default)]
    dsn: Option<Spanned<OneOrMany<String>>>,
    #[serde(default)]
    code: Option<OneOrMany<u16>>,
    #[serde(default)]
    provider: Option<Spanned<String>>,
    #[serde(default)]
    origin: Option<Spanned<String>>,
    #[serde(default)]
    stage: Option<Spanned<OneOrMany<String>>>,
    #[serde(default)]
    not_stage: Option<Spanned<OneOrMany<String>>>,
    #[serde(default)]
    in_links: Option<bool>,
    #[serde(default)]
    priority: Option<i32>,
    #[serde(default)]
    advice_en: Option<String>,
    #[serde(default)]
    advice_zh: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    /// A remote's own failure (`system_error`): the loader adds its twin
    /// for X.4.x DSNs ([`network_twin`]).
    #[serde(default)]
    backend: bool,
}

/// A rule's `near`: one pair or a list of them.
#[derive(Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "`near` as a table { first = [...], then = [...], within = N } or a list of such tables (fields first, then, within)"
)]
enum NearField {
    One(RawNear),
    Many(Vec<RawNear>),
}

/// A rule's `near = { first = [...], then = [...], within = 40 }`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNear {
    first: OneOrMany<String>,
    then: OneOrMany<String>,
    #[serde(default)]
    within: Option<u32>,
    #[serde(default)]
    words: bool,
    #[serde(default)]
    stops: Option<String>,
}

// ---------------------------------------------------------------------------
// The files, and places in them.

/// One file to load: display name, contents, whether it is the user's.
struct Source {
    name: String,
    text: String,
    user: bool,
}

impl Source {
    /// This file parsed into its raw shape; bad TOML, or a field of the
    /// wrong type or name, is an error naming the line.
    fn parse(&self) -> Result<RawFile, CatalogueError> {
        toml::from_str(&self.text).map_err(|e| CatalogueError::Syntax {
            file: self.name.clone(),
            line: e.span().map_or(1, |sp| line_of(&self.text, sp.start)),
            message: e.message().trim().to_string(),
        })
    }

    /// The error for `item` of this file, at byte `offset`.
    fn invalid(&self, offset: usize, item: &str, message: String) -> CatalogueError {
        CatalogueError::Invalid {
            file: self.name.clone(),
            line: line_of(&self.text, offset),
            item: item.to_string(),
            message,
        }
    }

    /// The cause `c` names; an unknown one is an error for `item` that
    /// suggests the nearest.
    fn cause(&self, item: &str, c: &Spanned<String>) -> Result<Cause, CatalogueError> {
        c.get_ref()
            .parse::<Cause>()
            .map_err(|e| self.invalid(c.span().start, item, e.to_string()))
    }
}

/// The error for what is wrong with the files taken together (too many
/// rules, phrases that do not compile together): it has no one place.
fn across_files(item: &str, message: String) -> CatalogueError {
    CatalogueError::Invalid {
        file: "(all files)".into(),
        line: 1,
        item: item.into(),
        message,
    }
}

/// Byte offset → 1-based line number.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The byte offset where each line of `text` starts, for finding the line
/// of an offset by binary search: a file of many rules is read in time
/// linear in its size (counting newlines from the top for every rule made
/// 20,000 rules take 7 s, issue 21).
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// The line a `[[table]]` entry starts on: its span may start at the first
/// key, so walk back over keys, comments and blank lines to the `[[…]]`
/// header just above it (`starts`: [`line_starts`] of `text`).
fn entry_line(starts: &[usize], text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    // 1-based: the number of lines that start at or before `offset`.
    let mut line = starts.partition_point(|&s| s <= offset).max(1);
    while line > 1 {
        let from = starts[line - 1];
        let to = starts.get(line).map_or(text.len(), |&e| e);
        if text[from..to].trim_start().starts_with("[[") {
            break;
        }
        line -= 1;
    }
    line
}

impl Catalogue {
    /// Loads the built-in files plus the `*.toml` files of `user_dir` (a
    /// user file named like a built-in replaces it; the others are added
    /// after the built-ins, in name order, and their rules win ties), then
    /// validates and compiles everything.
    ///
    /// # Errors
    /// [`CatalogueError`] naming file, line and item for an unreadable
    /// directory, bad TOML, unknown cause or provider, bad regex, duplicate
    /// id, a rule without phrase or regex, or a cause left undescribed.
    pub fn load(user_dir: Option<&Path>) -> Result<Catalogue, CatalogueError> {
        Catalogue::load_on(user_dir, 2)
    }

    /// As [`Catalogue::load`], compiling on one thread when `threads` is 1
    /// (on two otherwise).
    ///
    /// # Errors
    /// As [`Catalogue::load`].
    pub fn load_on(user_dir: Option<&Path>, threads: usize) -> Result<Catalogue, CatalogueError> {
        let user = match user_dir {
            Some(dir) => read_user_dir(dir)?,
            None => Vec::new(),
        };
        Catalogue::from_sources(&builtin_then_user(user), threads)
    }

    /// Loads the given `(file name, contents)` pairs only, as user files (no
    /// built-ins). For tests and for checking a single file.
    ///
    /// # Errors
    /// As [`Catalogue::load`]; a set without every cause described fails
    /// with [`CatalogueError::MissingCause`] unless the built-in
    /// `causes.toml` is among them.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Catalogue, CatalogueError> {
        let sources: Vec<Source> = files
            .iter()
            .map(|(name, text)| Source {
                name: (*name).to_string(),
                text: (*text).to_string(),
                user: true,
            })
            .collect();
        Catalogue::from_sources(&sources, 2)
    }

    /// Parses, validates and compiles `sources`, in load order; compiles on
    /// two threads unless `threads` is 1.
    fn from_sources(sources: &[Source], threads: usize) -> Result<Catalogue, CatalogueError> {
        let parsed = parse_files(sources)?;
        let Tables {
            causes,
            codes,
            dsns,
            providers,
        } = merge_tables(sources, &parsed)?;
        let causes = every_cause_described(causes)?;
        let rules = build_rules(sources, &parsed, &providers)?;
        let (patterns, phrase_rule) = phrase_patterns(&rules);
        let (regex_sources, regex_rule) = regex_patterns(&rules);
        // The automaton and the set are built at once, on two threads (unless
        // the run keeps to one): they are most of the start-up, which every
        // run, however short, waits for.
        let (phrases, regexes) = crate::both(
            threads > 1,
            || compile_phrases(&patterns),
            || compile_regexes(&regex_sources),
        );
        let (phrases, regexes) = (phrases?, regexes?);
        let host_suffixes = suffix_map(&providers, |p| &p.hosts);
        let domain_suffixes = suffix_map(&providers, |p| &p.domains);
        let (signatures, signature_provider) = signatures(&providers)?;
        Ok(Catalogue {
            causes,
            codes,
            dsns,
            providers,
            host_suffixes,
            domain_suffixes,
            signatures,
            signature_provider,
            rules,
            phrases,
            phrase_rule,
            regexes,
            regex_rule,
        })
    }
}

// ---------------------------------------------------------------------------
// Reading the files.

/// The `*.toml` files of the user's pattern directory, in name order; an
/// unreadable directory or file is an error naming it.
fn read_user_dir(dir: &Path) -> Result<Vec<Source>, CatalogueError> {
    let io = |source| CatalogueError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    paths.sort();
    let mut user = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogueError::Io {
            path: path.clone(),
            source,
        })?;
        user.push(Source {
            name: path.display().to_string(),
            text,
            user: true,
        });
    }
    Ok(user)
}

/// The built-in files that no `user` file replaces (one of the same file
/// name), as `patterns/NAME`, then the `user` files.
fn builtin_then_user(user: Vec<Source>) -> Vec<Source> {
    let user_names: HashSet<String> = user
        .iter()
        .filter_map(|s| Path::new(&s.name).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let mut sources: Vec<Source> = BUILTIN
        .iter()
        .filter(|(name, _)| !user_names.contains(*name))
        .map(|(name, text)| Source {
            name: format!("patterns/{name}"),
            text: (*text).to_string(),
            user: false,
        })
        .collect();
    sources.extend(user);
    sources
}

/// Every file parsed, before any is validated: a syntax error anywhere
/// comes first.
fn parse_files(sources: &[Source]) -> Result<Vec<RawFile>, CatalogueError> {
    sources.iter().map(Source::parse).collect()
}

// ---------------------------------------------------------------------------
// Causes, codes, DSNs and providers.

/// The `[[cause]]`, `[[code]]`, `[[dsn]]` and `[[provider]]` tables of all
/// files, merged.
struct Tables {
    /// By [`Cause::index`]; `None` while no file describes the cause.
    causes: Vec<Option<CauseInfo>>,
    codes: HashMap<u16, CodeInfo>,
    dsns: HashMap<DsnPattern, DsnInfo>,
    providers: Vec<Provider>,
}

/// Merges the tables of every file in load order, each file's causes, then
/// codes, DSNs and providers: a later entry overrides an earlier one (so a
/// user file can reword a description), except that provider ids must be
/// unique because rules refer to them. At most `u16::MAX` providers.
fn merge_tables(sources: &[Source], parsed: &[RawFile]) -> Result<Tables, CatalogueError> {
    let mut t = Tables {
        causes: vec![None; Cause::COUNT],
        codes: HashMap::new(),
        dsns: HashMap::new(),
        providers: Vec::new(),
    };
    for (s, raw) in sources.iter().zip(parsed) {
        t.add_causes(s, &raw.cause)?;
        t.add_codes(s, &raw.code)?;
        t.add_dsns(s, &raw.dsn)?;
        t.add_providers(s, &raw.provider)?;
    }
    if t.providers.len() > usize::from(u16::MAX) {
        return Err(across_files("providers", "too many providers".into()));
    }
    Ok(t)
}

impl Tables {
    /// Descriptions and advice, trimmed; the id must be a cause.
    fn add_causes(&mut self, s: &Source, entries: &[Spanned<RawCause>]) -> Result<(), CatalogueError> {
        for c in entries {
            let c = c.get_ref();
            let cause = s.cause(&format!("cause {:?}", c.id.get_ref()), &c.id)?;
            self.causes[cause.index()] = Some(CauseInfo {
                cause,
                description_en: c.description_en.trim().to_string(),
                description_zh: c.description_zh.trim().to_string(),
                advice_en: c.advice_en.trim().to_string(),
                advice_zh: c.advice_zh.trim().to_string(),
            });
        }
        Ok(())
    }

    /// Reply codes 200–599, each with an optional cause.
    fn add_codes(&mut self, s: &Source, entries: &[Spanned<RawCode>]) -> Result<(), CatalogueError> {
        for c in entries {
            let (span, c) = (c.span(), c.get_ref());
            let item = format!("code {}", c.code);
            if !(200..600).contains(&c.code) {
                return Err(s.invalid(span.start, &item, "not an SMTP reply code (200–599)".into()));
            }
            let cause = c.cause.as_ref().map(|x| s.cause(&item, x)).transpose()?;
            self.codes.insert(
                c.code,
                CodeInfo {
                    code: c.code,
                    meaning_en: c.meaning_en.clone(),
                    meaning_zh: c.meaning_zh.clone(),
                    cause,
                },
            );
        }
        Ok(())
    }

    /// Enhanced status code patterns (`5.1.1`, `X.7.26`, `4.4.*`), each
    /// with an optional cause.
    fn add_dsns(&mut self, s: &Source, entries: &[Spanned<RawDsn>]) -> Result<(), CatalogueError> {
        for d in entries {
            let d = d.get_ref();
            let item = format!("dsn {:?}", d.code.get_ref());
            let pattern = DsnPattern::parse(d.code.get_ref()).ok_or_else(|| {
                s.invalid(
                    d.code.span().start,
                    &item,
                    "not an enhanced status code (expected C.S.D, C = 2, 4, 5 or X, D may be *)".into(),
                )
            })?;
            let cause = d.cause.as_ref().map(|x| s.cause(&item, x)).transpose()?;
            self.dsns.insert(
                pattern,
                DsnInfo {
                    pattern,
                    meaning_en: d.meaning_en.clone(),
                    meaning_zh: d.meaning_zh.clone(),
                    cause,
                },
            );
        }
        Ok(())
    }

    /// Providers with unique ids; their hosts and domains lower-cased,
    /// without a leading dot, blank ones dropped.
    fn add_providers(&mut self, s: &Source, entries: &[Spanned<RawProvider>]) -> Result<(), CatalogueError> {
        for p in entries {
            let p = p.get_ref();
            let id = p.id.get_ref();
            if self.providers.iter().any(|q| &q.id == id) {
                return Err(s.invalid(
                    p.id.span().start,
                    &format!("provider {id:?}"),
                    "duplicate provider id".into(),
                ));
            }
            let lower = |v: &[String]| -> Vec<String> {
                v.iter()
                    .map(|h| h.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            };
            self.providers.push(Provider {
                id: id.clone(),
                name: p.name.clone(),
                hosts: lower(&p.hosts),
                domains: lower(&p.domains),
                signatures: p
                    .signatures
                    .iter()
                    .map(|g| g.trim().to_ascii_lowercase())
                    .filter(|g| !g.is_empty())
                    .collect(),
            });
        }
        Ok(())
    }
}

/// The merged descriptions, one per cause in [`Cause::ALL`] order; a cause
/// that no file describes is an error.
fn every_cause_described(causes: Vec<Option<CauseInfo>>) -> Result<Vec<CauseInfo>, CatalogueError> {
    causes
        .into_iter()
        .zip(Cause::ALL)
        .map(|(info, &c)| info.ok_or(CatalogueError::MissingCause(c.as_str())))
        .collect()
}

/// Host (or domain) suffix → the first provider listing it, lower-case,
/// without a trailing dot, for [`Catalogue::provider_of`].
fn suffix_map(providers: &[Provider], list: fn(&Provider) -> &[String]) -> SuffixMap {
    let mut map = SuffixMap::default();
    for (i, p) in providers.iter().enumerate() {
        let Ok(i) = u16::try_from(i) else { break };
        for s in list(p) {
            let key = s.trim_end_matches('.').to_ascii_lowercase().into_bytes();
            map.entry(key.into_boxed_slice()).or_insert(i);
        }
    }
    map
}

/// Every provider's `signatures` in one case-insensitive automaton
/// (pattern id → provider index), `None` when no provider has one.
fn signatures(providers: &[Provider]) -> Result<(Option<AhoCorasick>, Vec<u16>), CatalogueError> {
    let mut patterns = Vec::new();
    let mut owner = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let Ok(i) = u16::try_from(i) else { break };
        for g in &p.signatures {
            patterns.push(g.as_str());
            owner.push(i);
        }
    }
    if patterns.is_empty() {
        return Ok((None, owner));
    }
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(&patterns)
        .map_err(|e| {
            across_files(
                "signatures",
                format!("cannot compile the provider signatures: {e}"),
            )
        })?;
    Ok((Some(automaton), owner))
}

// ---------------------------------------------------------------------------
// Rules.

/// Every `[[rule]]` of every file validated into a [`Rule`], in load order
/// (a rule's index is its position); ids are unique across files, and there
/// are at most `u32::MAX` rules, [`MAX_REGEX_RULES`] of them with a regex.
fn build_rules(
    sources: &[Source],
    parsed: &[RawFile],
    providers: &[Provider],
) -> Result<Vec<Rule>, CatalogueError> {
    let mut rules: Vec<Rule> = Vec::new();
    // Rule id → where it was first defined (file, line).
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    too_many_regexes(sources, parsed)?;
    for (s, raw) in sources.iter().zip(parsed) {
        let starts = line_starts(&s.text);
        for entry in &raw.rule {
            let mut rule = build_rule(s, &starts, entry, providers, &seen)?;
            let twin = if entry.get_ref().backend {
                Some(network_twin(s, entry, &mut rule, &seen)?)
            } else {
                None
            };
            for r in std::iter::once(rule).chain(twin) {
                seen.insert(r.origin.id.clone(), (s.name.clone(), r.origin.line));
                rules.push(r);
            }
        }
    }
    if u32::try_from(rules.len()).is_err() {
        return Err(across_files("rules", "too many rules".into()));
    }
    Ok(rules)
}

/// Refuses more than [`MAX_REGEX_RULES`] rules with a regex, naming the
/// first one over, before any regex is compiled.
fn too_many_regexes(sources: &[Source], parsed: &[RawFile]) -> Result<(), CatalogueError> {
    let mut regexes = 0usize;
    for (s, raw) in sources.iter().zip(parsed) {
        for entry in raw.rule.iter().filter(|e| e.get_ref().regex.is_some()) {
            // A `backend` rule's twin has the same regex.
            regexes += 1 + usize::from(entry.get_ref().backend);
            if regexes > MAX_REGEX_RULES {
                return Err(s.invalid(
                    entry.span().start,
                    &format!("rule {:?}", entry.get_ref().id.get_ref().trim()),
                    format!(
                        "more than {MAX_REGEX_RULES} rules with a regex across all files: \
                         the regexes are compiled into one set at start-up, which past that \
                         takes seconds and hundreds of MiB and slows every reply; \
                         write such rules as `phrase`s (100,000 phrases load in about 2 s)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// One rule of file `s` (`starts`: its [`line_starts`]), checked in
/// this order: a non-empty id not `seen` before, a known cause and
/// provider, well-formed DSN constraints, phrases without a masked token, a
/// regex that compiles (a user's), and something to match at all.
fn build_rule(
    s: &Source,
    starts: &[usize],
    entry: &Spanned<RawRule>,
    providers: &[Provider],
    seen: &HashMap<String, (String, usize)>,
) -> Result<Rule, CatalogueError> {
    let start = entry.span().start;
    let r = entry.get_ref();
    let id = r.id.get_ref().trim().to_string();
    let item = format!("rule {id:?}");
    let line = entry_line(starts, &s.text, start);
    if id.is_empty() {
        return Err(s.invalid(r.id.span().start, &item, "empty id".into()));
    }
    if let Some((file, l)) = seen.get(&id) {
        return Err(s.invalid(
            r.id.span().start,
            &item,
            format!("duplicate rule id (first defined at {file}:{l})"),
        ));
    }
    let cause = s.cause(&item, &r.cause)?;
    let provider = match &r.provider {
        None => None,
        Some(p) => provider_index(s, &item, p, providers)?,
    };
    let dsn = match &r.dsn {
        None => Vec::new(),
        Some(d) => dsn_constraints(s, &item, d)?,
    };
    let code = r.code.clone().map_or_else(Vec::new, OneOrMany::into_vec);
    let Scope {
        from,
        stage,
        not_stage,
    } = scope(s, &item, r)?;
    let phrases = checked_phrases(s, start, &item, r.phrase.as_ref())?;
    let regex = match &r.regex {
        None => None,
        // Each of the user's regexes is compiled alone, for its size limit
        // and an error that names it. The built-in ones are checked so by a
        // test (compiling them took a fifth of the start-up), and compiled
        // in the set by `compile_regexes`.
        Some(re) if !s.user => Some(small_non_ascii(re.get_ref())),
        Some(re) => Some(checked_regex(s, &item, re)?),
    };
    let near = near_pairs(s, start, &item, r.near.as_ref())?;
    if phrases.is_empty() && regex.is_none() && near.is_empty() {
        return Err(s.invalid(
            start,
            &item,
            "nothing to match: give `phrase` (a string or a list), `regex` or `near`".into(),
        ));
    }
    Ok(Rule {
        origin: RuleRef {
            id,
            file: s.name.clone(),
            line,
        },
        cause,
        priority: r.priority.unwrap_or(DEFAULT_PRIORITY),
        provider,
        from,
        stage,
        not_stage,
        in_links: r.in_links.unwrap_or(true),
        dsn,
        code,
        phrases,
        regex,
        near,
        advice_en: r.advice_en.clone().map(|a| a.trim().to_string()),
        advice_zh: r.advice_zh.clone().map(|a| a.trim().to_string()),
        examples: r.examples.clone(),
        user: s.user,
    })
}

/// The twin of a `backend = true` rule: a remote that says its own part
/// failed is `system_error`, unless its DSN is X.4.x, which makes it a
/// network or routing failure, `network_error` (SPEC). The twin has the
/// rule's words and scope, only X.4.x DSNs, one priority more, the id
/// `<id>_network` and those of the rule's examples whose enhanced code is
/// X.4.x (they leave the rule, so that every example is its own rule's).
fn network_twin(
    s: &Source,
    entry: &Spanned<RawRule>,
    rule: &mut Rule,
    seen: &HashMap<String, (String, usize)>,
) -> Result<Rule, CatalogueError> {
    let item = format!("rule {:?}", rule.origin.id);
    if rule.cause != Cause::SystemError {
        return Err(s.invalid(
            entry.span().start,
            &item,
            format!(
                "`backend = true` is for a remote's own failure (system_error), not {}",
                rule.cause
            ),
        ));
    }
    let id = format!("{}_network", rule.origin.id);
    if let Some((file, l)) = seen.get(&id) {
        return Err(s.invalid(
            entry.span().start,
            &item,
            format!("its `backend` twin {id:?} is already defined at {file}:{l}"),
        ));
    }
    let (x4, own): (Vec<String>, Vec<String>) = std::mem::take(&mut rule.examples)
        .into_iter()
        .partition(|ex| Anatomy::read(ex.as_bytes()).dsn.is_some_and(|d| d.subject == 4));
    rule.examples = own;
    Ok(Rule {
        origin: RuleRef {
            id,
            ..rule.origin.clone()
        },
        cause: Cause::NetworkError,
        priority: rule.priority.saturating_add(1),
        dsn: vec![DsnPattern {
            class: None,
            subject: 4,
            detail: None,
        }],
        examples: x4,
        ..rule.clone()
    })
}

/// Where a rule applies: who wrote the text, at which stages, and at which
/// stages not.
struct Scope {
    from: Option<Origin>,
    stage: Vec<Stage>,
    not_stage: Vec<Stage>,
}

/// Rule `item`'s `origin`, `stage` and `not_stage` scope; an unknown name
/// is an error listing the known ones.
fn scope(s: &Source, item: &str, r: &RawRule) -> Result<Scope, CatalogueError> {
    let from = match &r.origin {
        None => None,
        Some(o) => Some(Origin::parse(o.get_ref()).ok_or_else(|| {
            s.invalid(
                o.span().start,
                item,
                format!(
                    "unknown origin {:?} (expected \"postfix\" or \"remote\")",
                    o.get_ref()
                ),
            )
        })?),
    };
    Ok(Scope {
        from,
        stage: stages(s, item, r.stage.as_ref())?,
        not_stage: stages(s, item, r.not_stage.as_ref())?,
    })
}

/// The stage names of a `stage` or `not_stage` list, parsed.
fn stages(
    s: &Source,
    item: &str,
    names: Option<&Spanned<OneOrMany<String>>>,
) -> Result<Vec<Stage>, CatalogueError> {
    let Some(st) = names else {
        return Ok(Vec::new());
    };
    st.get_ref()
        .clone()
        .into_vec()
        .iter()
        .map(|name| {
            Stage::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
                s.invalid(
                    st.span().start,
                    item,
                    format!("unknown stage {name:?} (expected one of {})", known.join(", ")),
                )
            })
        })
        .collect()
}

/// The index of provider `p` of rule `item`; an unknown one is an error
/// listing the known ones.
fn provider_index(
    s: &Source,
    item: &str,
    p: &Spanned<String>,
    providers: &[Provider],
) -> Result<Option<u16>, CatalogueError> {
    let Some(i) = providers.iter().position(|q| &q.id == p.get_ref()) else {
        let known: Vec<&str> = providers.iter().map(|q| q.id.as_str()).collect();
        return Err(s.invalid(
            p.span().start,
            item,
            format!("unknown provider {:?} (known: {})", p.get_ref(), known.join(", ")),
        ));
    };
    Ok(u16::try_from(i).ok())
}

/// The DSN patterns rule `item` requires (any of them).
fn dsn_constraints(
    s: &Source,
    item: &str,
    d: &Spanned<OneOrMany<String>>,
) -> Result<Vec<DsnPattern>, CatalogueError> {
    d.get_ref()
        .clone()
        .into_vec()
        .into_iter()
        .map(|code| {
            DsnPattern::parse(&code).ok_or_else(|| {
                s.invalid(
                    d.span().start,
                    item,
                    format!("bad dsn constraint {code:?} (expected e.g. \"5.1.1\", \"X.7.1\", \"4.4.*\")"),
                )
            })
        })
        .collect()
}

/// The phrases of rule `item` (starting at byte `start`); a blank one (it
/// would match every reply), or one that holds a token the cache masks, is
/// an error.
fn checked_phrases(
    s: &Source,
    start: usize,
    item: &str,
    phrase: Option<&OneOrMany<String>>,
) -> Result<Vec<String>, CatalogueError> {
    let phrases: Vec<String> = phrase.cloned().map_or_else(Vec::new, OneOrMany::into_vec);
    for p in &phrases {
        if p.trim().is_empty() {
            return Err(s.invalid(
                start,
                item,
                format!("phrase {p:?} is blank, so it would match every reply; give some words"),
            ));
        }
        if let Some(why) = masked_token(p.as_bytes()) {
            return Err(s.invalid(
                start,
                item,
                format!(
                    "phrase {p:?} contains {why}, which the cache masks; match the words around it instead"
                ),
            ));
        }
    }
    Ok(phrases)
}

/// How far after a `near` pair's first phrase its second may start, by
/// default: a few words ("Buzón del destinatario no existe").
const DEFAULT_NEAR_WITHIN: u32 = 40;

/// The marks a `near` pair's gap may not cross, by default: those that end
/// a clause.
const DEFAULT_NEAR_STOPS: &[u8] = b".;:,()";

/// The longest `within` allowed: past a sentence's length two phrases are
/// not one statement.
const MAX_NEAR_WITHIN: u32 = 200;

/// Rule `item`'s `near` pairs, each list checked as `phrase` is (neither
/// empty nor blank, no masked token).
fn near_pairs(
    s: &Source,
    start: usize,
    item: &str,
    near: Option<&NearField>,
) -> Result<Vec<Near>, CatalogueError> {
    let raw: &[RawNear] = match near {
        None => &[],
        Some(NearField::One(n)) => std::slice::from_ref(n),
        Some(NearField::Many(v)) => v,
    };
    if u16::try_from(2 * raw.len() + 2).is_err() {
        return Err(s.invalid(start, item, "too many `near` pairs".into()));
    }
    let mut out = Vec::with_capacity(raw.len());
    for n in raw {
        let first = checked_phrases(s, start, item, Some(&n.first))?;
        let then = checked_phrases(s, start, item, Some(&n.then))?;
        if first.is_empty() || then.is_empty() {
            return Err(s.invalid(
                start,
                item,
                "`near` needs phrases in both `first` and `then`".into(),
            ));
        }
        let within = n.within.unwrap_or(DEFAULT_NEAR_WITHIN);
        if within > MAX_NEAR_WITHIN {
            return Err(s.invalid(
                start,
                item,
                format!("`near` within {within} is more than {MAX_NEAR_WITHIN} bytes: two phrases that far apart are not one statement"),
            ));
        }
        let stops = match &n.stops {
            None => DEFAULT_NEAR_STOPS.into(),
            Some(st) if st.bytes().all(|b| b.is_ascii_punctuation()) => st.as_bytes().into(),
            Some(st) => {
                return Err(s.invalid(
                    start,
                    item,
                    format!("`near` stops {st:?} holds other than punctuation marks: list the marks a gap may not cross, as \".;\""),
                ))
            }
        };
        out.push(Near {
            first,
            then,
            within,
            words: n.words,
            stops,
        });
    }
    Ok(out)
}

/// Whether literal `phrase` holds a token that the matcher's cache key
/// masks (an address, an IP, a long number or id), described for an error.
/// A rule depending on such a token would make the cache merge replies that
/// classify differently.
fn masked_token(phrase: &[u8]) -> Option<&'static str> {
    let mut key = Vec::new();
    mask_into(phrase, &mut key);
    let lower: Vec<u8> = phrase.iter().map(u8::to_ascii_lowercase).collect();
    if key == lower {
        return None;
    }
    Some(if phrase.contains(&b'@') {
        "an e-mail address"
    } else {
        "an IP address, a long number or an id"
    })
}

/// A user's regex `re` of rule `item`, compiled alone as the set will
/// compile it (case-insensitive, ASCII) but under [`REGEX_SIZE_LIMIT`].
fn checked_regex(s: &Source, item: &str, re: &Spanned<String>) -> Result<String, CatalogueError> {
    let src = re.get_ref();
    if let Err(e) = RegexBuilder::new(src)
        .case_insensitive(true)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
    {
        return Err(s.invalid(
            re.span().start,
            item,
            format!("bad regex: {}", one_line(&e.to_string())),
        ));
    }
    if matches_empty(src) {
        return Err(s.invalid(
            re.span().start,
            item,
            format!(
                "regex {src:?} can match the empty string, so it would match every reply; \
                 make it match some text"
            ),
        ));
    }
    Ok(small_non_ascii(src))
}

/// Whether regex `src` (which compiles) can match an empty span: `""`,
/// `x*`, `^`, `\b` and the like. Such a rule matches every reply: issue 21
/// found an empty regex turning every event `blocked`. Read from the
/// pattern's syntax tree (its minimum length), not from sample texts.
fn matches_empty(src: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .unicode(false)
        .utf8(false)
        .build()
        .parse(src)
        .is_ok_and(|hir| hir.properties().minimum_len() == Some(0))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Compiling.

/// Every phrase of every rule, in rule order, as the matcher reads replies
/// ([`plain_phrase`]), and for each how it matches ([`PhraseRule`]). A
/// phrase weighs as long as it is written.
fn phrase_patterns(rules: &[Rule]) -> (Vec<String>, Vec<PhraseRule>) {
    let mut patterns: Vec<String> = Vec::new();
    let mut phrase_rule = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        // Each list of the rule: its phrases (side 0), then each `near`
        // pair's first (2k + 1) and then (2k + 2) lists.
        let lists =
            std::iter::once((0u16, &r.phrases)).chain(r.near.iter().enumerate().flat_map(|(k, n)| {
                let k = k as u16;
                [(2 * k + 1, &n.first), (2 * k + 2, &n.then)]
            }));
        for (side, list) in lists {
            // Phrases that read the same once written out ("doesn't" and
            // "does not") are one pattern.
            let mut seen = HashSet::new();
            for p in list {
                let plain = plain_phrase(p);
                if !seen.insert(plain.to_ascii_lowercase()) {
                    continue;
                }
                phrase_rule.push(PhraseRule {
                    rule: i as u32,
                    side,
                    len: p.len() as u32,
                    boundary: plain.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric),
                    end_boundary: side != 0
                        && r.near[usize::from((side - 1) / 2)].words
                        && plain.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric),
                    not_in_links: !r.in_links && !plain.bytes().any(|b| b"/#?=.:_&%".contains(&b)),
                });
                patterns.push(plain);
            }
        }
    }
    (patterns, phrase_rule)
}

/// `phrase` as the matcher reads replies, by the same function
/// (`anatomy::plain_reply`): white space one space, a typographic
/// apostrophe the ASCII one, a non-ASCII capital small, a contracted
/// negation written out. A rule written with "doesn't", "doesnt" or "does
/// not" reads all three.
fn plain_phrase(phrase: &str) -> String {
    let mut out = Vec::new();
    if plain_reply(phrase.as_bytes(), &mut out) {
        // plain_reply changes only ASCII bytes and whole characters.
        String::from_utf8(out).unwrap_or_else(|_| phrase.to_string())
    } else {
        phrase.to_string()
    }
}

/// `s` with its non-ASCII capitals small, as `anatomy::plain_reply` reads a
/// reply ("Ящик" is "ящик"): phrases and regexes match ASCII letters in
/// either case, and other letters in the small case the reply is read in.
fn small_non_ascii(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_ascii() && c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every rule's regex, in rule order, and for each the rule's index.
fn regex_patterns(rules: &[Rule]) -> (Vec<&str>, Vec<u32>) {
    let mut sources = Vec::new();
    let mut regex_rule = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        if let Some(re) = &r.regex {
            sources.push(re.as_str());
            regex_rule.push(i as u32);
        }
    }
    (sources, regex_rule)
}

/// The phrases in one ASCII case-insensitive automaton (`None` for none).
/// `Standard` match kind is the only one that supports overlapping search,
/// and we need every hit, not the leftmost, since priority (not position)
/// decides.
fn compile_phrases(patterns: &[String]) -> Result<Option<AhoCorasick>, CatalogueError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(patterns)
        .map(Some)
        .map_err(|e| across_files("phrases", format!("cannot compile the phrases: {e}")))
}

/// The regexes in one case-insensitive `RegexSet` (`None` for none).
fn compile_regexes(sources: &[&str]) -> Result<Option<RegexSet>, CatalogueError> {
    if sources.is_empty() {
        return Ok(None);
    }
    // ASCII semantics (`\b`, `\w`, case): a Unicode word boundary makes the
    // lazy DFA give up on the first non-ASCII byte, and the set then ran the
    // PikeVM over every Chinese reply: 12 µs per reply on the hand-checked
    // table, against 0.6 µs for its ASCII replies. `(?u:…)` opts back in.
    RegexSetBuilder::new(sources)
        .case_insensitive(true)
        .unicode(false)
        .size_limit(REGEX_SET_SIZE_LIMIT)
        .build()
        .map(Some)
        .map_err(|e| {
            across_files(
                "regexes",
                format!(
                    "cannot compile the regexes together: {}",
                    one_line(&e.to_string())
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::catalogue::builtin_files;

    fn with_causes(extra: &str) -> Result<Catalogue, CatalogueError> {
        let causes = BUILTIN
            .iter()
            .find(|(n, _)| *n == "causes.toml")
            .map(|(_, t)| *t)
            .unwrap_or_default();
        let providers = BUILTIN
            .iter()
            .find(|(n, _)| *n == "providers.toml")
            .map(|(_, t)| *t)
            .unwrap_or_default();
        Catalogue::from_files(&[
            ("causes.toml", causes),
            ("providers.toml", providers),
            ("user/x.toml", extra),
        ])
    }

    fn err(extra: &str) -> String {
        match with_causes(extra) {
            Ok(_) => panic!("expected an error for:\n{extra}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn builtin_regexes_pass_the_checks_of_user_regexes() {
        // `load` compiles the built-in regexes only in the set; as user
        // files, each is compiled alone under `REGEX_SIZE_LIMIT` too.
        let cat = Catalogue::from_files(builtin_files()).unwrap_or_else(|e| panic!("{e}"));
        let builtin = Catalogue::load(None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cat.rules().len(), builtin.rules().len());
        assert!(cat.rules().iter().filter(|r| r.regex.is_some()).count() > 10);
    }

    #[test]
    fn unknown_cause_names_file_line_rule_and_suggestion() {
        let e = err("# comment\n\n[[rule]]\nid = \"foo\"\ncause = \"user_unknwon\"\nphrase = \"x\"\n");
        assert_eq!(
            e,
            "user/x.toml:5: rule \"foo\": unknown cause \"user_unknwon\" (did you mean \"user_unknown\"?)"
        );
    }

    #[test]
    fn bad_regex_names_file_line_and_rule() {
        let e = err("[[rule]]\nid = \"bad\"\ncause = \"blocked\"\nregex = \"(unclosed\"\n");
        assert!(e.starts_with("user/x.toml:4: rule \"bad\": bad regex:"), "{e}");
    }

    /// Regexes are ASCII (`\b` does not see a Chinese character as a word
    /// character, so the fast engines keep working); `(?u:…)` opts back in.
    #[test]
    fn regexes_are_ascii_unless_unicode_is_asked_for() {
        let cat = with_causes(
            "[[rule]]\nid = \"a\"\ncause = \"blocked\"\nregex = '\\bIP\\b'\n\
             [[rule]]\nid = \"u\"\ncause = \"suspend\"\nregex = '(?u:\\p{Han}{2})已冻结'\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let set = cat.regexes.as_ref().expect("two regexes");
        let hits = |t: &str| set.matches(t.as_bytes()).into_iter().collect::<Vec<_>>();
        // ASCII word boundary: a CJK byte next to "IP" is not a word byte.
        assert_eq!(hits("发信IP被封"), vec![0]);
        assert_eq!(hits("IPs"), Vec::<usize>::new());
        assert_eq!(hits("账户已冻结"), vec![1]);
    }

    /// Issue 21: an empty regex was accepted and made every event
    /// `blocked`; any regex that can match the empty string, and a blank
    /// phrase, is refused with the file, line and rule.
    #[test]
    fn regex_or_phrase_matching_the_empty_string_is_refused() {
        for re in ["", "x*", "(?:)", "^", "$", r"\b", "a?|b", "(?i)(foo)?"] {
            let e = err(&format!(
                "[[rule]]\nid = \"any\"\ncause = \"blocked\"\nregex = '{re}'\n"
            ));
            assert!(
                e.starts_with("user/x.toml:4: rule \"any\": regex ") && e.contains("empty string"),
                "{re:?}: {e}"
            );
        }
        for phrase in ["\"\"", "\"  \"", "[\"x\", \"\"]"] {
            let e = err(&format!(
                "[[rule]]\nid = \"any\"\ncause = \"blocked\"\nphrase = {phrase}\n"
            ));
            assert!(
                e.starts_with("user/x.toml:1: rule \"any\": phrase ") && e.contains("blank"),
                "{phrase}: {e}"
            );
        }
        // Text around an optional part is fine.
        assert!(
            with_causes("[[rule]]\nid = \"ok\"\ncause = \"blocked\"\nregex = \"\\\\bblock(ed)?\"\n").is_ok()
        );
    }

    #[test]
    fn oversized_regex_is_refused() {
        let e = err("[[rule]]\nid = \"huge\"\ncause = \"blocked\"\nregex = \"\\\\w{1000}{1000}\"\n");
        assert!(e.contains("rule \"huge\": bad regex"), "{e}");
    }

    #[test]
    fn duplicate_id_names_both_places() {
        let e = err(
            "[[rule]]\nid = \"a\"\ncause = \"blocked\"\nphrase = \"x\"\n\n[[rule]]\nid = \"a\"\ncause = \"blocked\"\nphrase = \"y\"\n",
        );
        assert_eq!(
            e,
            "user/x.toml:7: rule \"a\": duplicate rule id (first defined at user/x.toml:1)"
        );
    }

    /// A catalogue of one rule `n` of `cause` with one `near` pair of
    /// `first` and `then` (with `fields` before them, as "words = true, ").
    fn near_rule(cause: &str, fields: &str, first: &str, then: &str) -> Result<Catalogue, CatalogueError> {
        with_causes(&format!(
            "[[rule]]\nid = \"n\"\ncause = \"{cause}\"\n\
             near = {{ {fields}first = [\"{first}\"], then = [\"{then}\"] }}\n"
        ))
    }

    #[test]
    fn near_words_makes_phrases_end_a_word() {
        use crate::classify::{Classifier, Query};
        for (words, stem_hits) in [("", true), ("words = true, ", false)] {
            let cat = std::sync::Arc::new(near_rule("user_unknown", words, "mailbox", "invalid").unwrap());
            let mut c = Classifier::new(cat);
            let mut cause = |t: &str| c.classify(&Query::text(t.as_bytes())).cause;
            assert_eq!(cause("550 mailbox invalid"), Cause::UserUnknown, "{words}");
            assert_eq!(cause("550 mailbox invalid."), Cause::UserUnknown, "{words}");
            let stem = cause("550 mailbox invalidated");
            assert_eq!(stem == Cause::UserUnknown, stem_hits, "{words}");
            // The start of a word is checked either way.
            assert_ne!(cause("550 mailbox xinvalid"), Cause::UserUnknown, "{words}");
        }
    }

    #[test]
    fn near_stops_names_the_marks_a_gap_may_not_cross() {
        use crate::classify::{Classifier, Query};
        let rule = |stops: &str| near_rule("not_compliant_rfc", stops, "duplicate", "header");
        let texts = [
            "550 duplicate Date header",
            "550 duplicate (Date) header",
            "550 duplicate, so the header",
            "550 duplicate; the header",
            "550 duplicate. The header",
        ];
        // Which of `texts` the pair finds, for each `stops`.
        for (stops, found) in [
            ("", [true, false, false, false, false]),
            ("stops = \".;\", ", [true, true, true, false, false]),
            ("stops = \"\", ", [true; 5]),
        ] {
            let cat = std::sync::Arc::new(rule(stops).unwrap());
            let mut c = Classifier::new(cat);
            for (t, want) in texts.iter().zip(found) {
                let got = c.classify(&Query::text(t.as_bytes())).cause;
                assert_eq!(got == Cause::NotCompliantRfc, want, "{stops}{t}");
            }
        }
        let e = rule("stops = \".a\", ").unwrap_err().to_string();
        assert!(e.contains("other than punctuation marks"), "{e}");
    }

    #[test]
    fn backend_rule_gets_a_network_twin_for_x4_dsns() {
        use crate::classify::{Classifier, Query};
        let cat = with_causes(
            "[[rule]]\nid = \"x.frob\"\ncause = \"system_error\"\npriority = 60\nbackend = true\n\
             phrase = \"frobnicator failure\"\nexamples = [\n  \"451 4.3.0 Frobnicator failure\",\n  \
             \"451 4.4.1 Frobnicator failure\",\n]\n",
        )
        .unwrap();
        let ids: Vec<&str> = cat.rules().iter().map(|r| r.origin.id.as_str()).collect();
        assert_eq!(ids, ["x.frob", "x.frob_network"]);
        let (base, twin) = (&cat.rules()[0], &cat.rules()[1]);
        assert_eq!(
            (twin.cause, twin.priority, twin.origin.line),
            (Cause::NetworkError, 61, 1)
        );
        // Each example goes with the rule it classifies to.
        assert_eq!(base.examples, ["451 4.3.0 Frobnicator failure"]);
        assert_eq!(twin.examples, ["451 4.4.1 Frobnicator failure"]);
        let cat = std::sync::Arc::new(cat);
        let mut c = Classifier::new(std::sync::Arc::clone(&cat));
        for (text, cause, rule) in [
            (
                "451 4.4.1 Frobnicator failure",
                Cause::NetworkError,
                "x.frob_network",
            ),
            ("451 4.3.0 Frobnicator failure", Cause::SystemError, "x.frob"),
            ("451 Frobnicator failure", Cause::SystemError, "x.frob"),
        ] {
            let v = c.classify(&Query::text(text.as_bytes()));
            let id = v.rule.and_then(|i| cat.rule(i)).map(|r| r.id.as_str());
            assert_eq!((v.cause, id), (cause, Some(rule)), "{text}");
        }
        assert!(crate::classify::matcher::check_examples(&cat).is_empty());
    }

    #[test]
    fn backend_is_only_for_a_remote_failure_and_its_twin_id_must_be_free() {
        let e = err("[[rule]]\nid = \"b\"\ncause = \"blocked\"\nbackend = true\nphrase = \"x\"\n");
        assert_eq!(
            e,
            "user/x.toml:1: rule \"b\": `backend = true` is for a remote's own failure (system_error), not blocked"
        );
        let e = err(
            "[[rule]]\nid = \"b_network\"\ncause = \"blocked\"\nphrase = \"y\"\n\n\
             [[rule]]\nid = \"b\"\ncause = \"system_error\"\nbackend = true\nphrase = \"x\"\n",
        );
        assert_eq!(
            e,
            "user/x.toml:6: rule \"b\": its `backend` twin \"b_network\" is already defined at user/x.toml:1"
        );
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let e = err("[[rule]]\nid = \"p\"\ncause = \"blocked\"\nphrase = \"x\"\nprovider = \"gmial\"\n");
        assert!(
            e.starts_with("user/x.toml:5: rule \"p\": unknown provider \"gmial\" (known: google"),
            "{e}"
        );
    }

    #[test]
    fn unknown_origin_or_stage_names_the_known_ones() {
        let e = err("[[rule]]\nid = \"o\"\ncause = \"blocked\"\nphrase = \"x\"\norigin = \"local\"\n");
        assert!(
            e.starts_with(
                "user/x.toml:5: rule \"o\": unknown origin \"local\" (expected \"postfix\" or \"remote\")"
            ),
            "{e}"
        );
        let e = err(
            "[[rule]]\nid = \"s\"\ncause = \"blocked\"\nphrase = \"x\"\nstage = [\"greeting\", \"RCPT\"]\n",
        );
        assert!(
            e.starts_with(
                "user/x.toml:5: rule \"s\": unknown stage \"RCPT\" (expected one of connect, greeting, helo"
            ),
            "{e}"
        );
        let e = err("[[rule]]\nid = \"n\"\ncause = \"blocked\"\nphrase = \"x\"\nnot_stage = \"DATA\"\n");
        assert!(
            e.starts_with("user/x.toml:5: rule \"n\": unknown stage \"DATA\" (expected one of"),
            "{e}"
        );
        let ok = with_causes("[[rule]]\nid = \"g\"\ncause = \"blocked\"\nphrase = \"x\"\norigin = \"remote\"\nstage = \"greeting\"\nnot_stage = [\"data\", \"end_of_data\"]\n").unwrap();
        let r = ok.rules().iter().find(|r| r.origin.id == "g").unwrap();
        assert_eq!(
            (r.from, r.stage.as_slice(), r.not_stage.as_slice()),
            (
                Some(Origin::Remote),
                &[Stage::Greeting][..],
                &[Stage::Data, Stage::EndOfData][..]
            )
        );
    }

    #[test]
    fn rule_without_match_is_refused() {
        let e = err("\n[[rule]]\nid = \"empty\"\ncause = \"blocked\"\n");
        assert_eq!(
            e,
            "user/x.toml:2: rule \"empty\": nothing to match: give `phrase` (a string or a list), `regex` or `near`"
        );
    }

    #[test]
    fn unknown_field_and_bad_toml_name_the_line() {
        let e = err("[[rule]]\nid = \"t\"\ncause = \"blocked\"\nphrse = \"x\"\n");
        assert!(e.starts_with("user/x.toml:4: unknown field `phrse`"), "{e}");
        let e = err("[[rule]]\nid = \"t\"\ncause = \n");
        assert!(e.starts_with("user/x.toml:3:"), "{e}");
    }

    #[test]
    fn phrase_with_masked_token_is_refused() {
        let e = err("[[rule]]\nid = \"ip\"\ncause = \"blocked\"\nphrase = \"from 192.0.2.1\"\n");
        assert!(
            e.contains("rule \"ip\": phrase \"from 192.0.2.1\" contains an IP address"),
            "{e}"
        );
    }

    #[test]
    fn bad_dsn_entry_is_refused() {
        let e = err("[[dsn]]\ncode = \"5.1\"\nmeaning_en = \"x\"\nmeaning_zh = \"x\"\n");
        assert!(
            e.starts_with("user/x.toml:2: dsn \"5.1\": not an enhanced status code"),
            "{e}"
        );
    }

    #[test]
    fn missing_cause_description_is_an_error() {
        let e = Catalogue::from_files(&[("x.toml", "")])
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("user_unknown")));
    }

    #[test]
    fn rule_line_is_where_the_rule_starts() {
        let cat = with_causes("# c\n\n[[rule]]\n# why\nid = \"r\"\ncause = \"blocked\"\nphrase = \"x\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let r = cat
            .rules()
            .iter()
            .find(|r| r.origin.id == "r")
            .map(|r| r.origin.clone());
        assert_eq!(
            r,
            Some(RuleRef {
                id: "r".into(),
                file: "user/x.toml".into(),
                line: 3
            })
        );
    }

    #[test]
    fn user_dir_replaces_builtin_files_and_adds_new_ones() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("greylist.toml"),
            "[[rule]]\nid = \"mine\"\ncause = \"greylisted\"\nphrase = \"come back soon\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap_or_else(|e| panic!("{e}"));
        let cat = Catalogue::load(Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = cat.rules().iter().map(|r| r.origin.id.as_str()).collect();
        assert!(ids.contains(&"mine"));
        assert!(
            !ids.iter().any(|i| i.starts_with("greylist.")),
            "built-in greylist.toml was replaced"
        );
        let mine = cat.rules().iter().find(|r| r.origin.id == "mine");
        assert!(mine.is_some_and(|r| r.user && r.origin.file.ends_with("greylist.toml")));
    }

    #[test]
    fn missing_user_dir_is_an_io_error_naming_it() {
        let e = Catalogue::load(Some(Path::new("/nonexistent/patterns")))
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.starts_with("/nonexistent/patterns:")));
    }

    #[test]
    fn near_pairs_are_checked_and_matched_in_order_within_a_clause() {
        let rule = |near: &str| format!("[[rule]]\nid = \"n\"\ncause = \"user_unknown\"\nnear = {near}\n");
        let e = err(&rule("{ first = [\"buzón\"], then = [] }"));
        assert!(
            e.ends_with("`near` needs phrases in both `first` and `then`"),
            "{e}"
        );
        let e = err(&rule(
            "{ first = [\"buzón\"], then = [\"no existe\"], within = 500 }",
        ));
        assert!(e.contains("within 500 is more than 200 bytes"), "{e}");
        let e = err(&rule("{ first = [\"buzón\"], then = [\" \"] }"));
        assert!(e.contains("is blank"), "{e}");
        let e = err(&rule("{ first = [\"x\"], then = [\"y\"], whithin = 3 }"));
        assert!(
            e.starts_with("user/x.toml:4:") && e.contains("`near` as a table"),
            "{e}"
        );

        let cat = with_causes(&rule(
            "[{ first = [\"Buzón\", \"usuario\"], then = [\"no existe\", \"desconocid\"], within = 20 }]",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let mut c = crate::classify::matcher::Classifier::new(std::sync::Arc::new(cat));
        let cause = |c: &mut crate::classify::matcher::Classifier, t: &str| {
            c.classify(&crate::classify::matcher::Query::text(t.as_bytes()))
                .cause
                .as_str()
                .to_string()
        };
        for (text, want) in [
            ("550 El buzón del destinatario no existe", "user_unknown"),
            ("550 BUZÓN NO EXISTE", "user_unknown"),
            ("550 Usuario desconocido", "user_unknown"),
            // The second phrase before the first, too far, or in another clause.
            ("550 No existe el buzón", "undefined"),
            (
                "550 El buzón de correo electrónico del destinatario no existe",
                "undefined",
            ),
            ("550 Buzón lleno; el remitente no existe", "undefined"),
        ] {
            assert_eq!(cause(&mut c, text), want, "{text}");
        }
    }

    #[test]
    fn phrases_are_read_as_replies_are() {
        assert_eq!(plain_phrase("User doesn\u{2019}t  exist"), "User does not exist");
        assert_eq!(plain_phrase("mailbox isnt here"), "mailbox is not here");
        assert_eq!(plain_phrase("Cannot start TLS"), "Cannot start TLS");
        assert_eq!(plain_phrase("can't start TLS"), "cannot start TLS");
        assert_eq!(plain_phrase("ЯЩИК ПЕРЕПОЛНЕН"), "ящик переполнен");
        assert_eq!(plain_phrase("this is notice"), "this is notice");
    }
}
