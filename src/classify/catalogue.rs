//! The classification catalogue: the rule files of `patterns/`, loaded,
//! validated and compiled once.
//!
//! The catalogue is data (STYLE.md, "The catalogue is data"): every file of
//! `patterns/` is embedded in the binary with `include_str!` ([`BUILTIN`]), and
//! a user directory given with `--patterns DIR` adds `*.toml` files and
//! replaces a built-in file of the same name. Every file has the same schema
//! and may hold any of these tables (see `patterns/README.md`):
//!
//! - `[[cause]]`: description and advice of one SPEC cause, in English and Chinese;
//! - `[[code]]`: an RFC 5321 reply code, its meaning and an optional fallback cause;
//! - `[[dsn]]`: an RFC 3463 / RFC 5248 enhanced status code (`X.1.1`, `5.7.26`,
//!   `4.4.*`), its meaning and the cause it implies when the text is opaque;
//! - `[[provider]]`: a mailbox provider, recognised by relay host suffix or
//!   recipient domain, that rules may be scoped to;
//! - `[[rule]]`: a phrase or regex that decides a cause.
//!
//! Loading checks everything a user can get wrong (unknown cause, with the
//! nearest id suggested; bad or oversized regex; duplicate id; unknown
//! provider; a rule that matches nothing) and names file, line and item. This
//! module compiles the phrases into one Aho-Corasick automaton and the regexes
//! into one `RegexSet`; running them is `matcher`'s job.

use crate::cause::Cause;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::Spanned;

use super::Dsn;

/// The built-in pattern files, `(file name, contents)`, in load order.
///
/// To add a file: create it in `patterns/` and list it here; the unit test
/// `every_pattern_file_is_embedded` fails until you do.
pub const BUILTIN: &[(&str, &str)] = &[
    ("causes.toml", include_str!("../../patterns/causes.toml")),
    ("codes.toml", include_str!("../../patterns/codes.toml")),
    ("dsn.toml", include_str!("../../patterns/dsn.toml")),
    ("providers.toml", include_str!("../../patterns/providers.toml")),
    ("postfix.toml", include_str!("../../patterns/postfix.toml")),
    ("generic.toml", include_str!("../../patterns/generic.toml")),
    ("greylist.toml", include_str!("../../patterns/greylist.toml")),
    ("dnsbl.toml", include_str!("../../patterns/dnsbl.toml")),
    ("google.toml", include_str!("../../patterns/google.toml")),
    ("microsoft.toml", include_str!("../../patterns/microsoft.toml")),
    ("yahoo.toml", include_str!("../../patterns/yahoo.toml")),
    ("china.toml", include_str!("../../patterns/china.toml")),
    ("services.toml", include_str!("../../patterns/services.toml")),
];

/// The built-in pattern files (the same list as [`BUILTIN`]), e.g. for
/// `bounce-report patterns --dump DIR`.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

/// Upper bound on the compiled size of one user regex. A pattern like
/// `\w{1000}{1000}` would otherwise eat gigabytes (regex docs, "Untrusted
/// patterns"); 1 MiB is far above anything a reply phrase needs.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Upper bound on the compiled size of the combined `RegexSet`.
const REGEX_SET_SIZE_LIMIT: usize = 256 << 20;

/// Default rule priority (see `patterns/README.md`, "Priority").
pub const DEFAULT_PRIORITY: i32 = 50;

/// The effective priority of a cause implied by the enhanced status code
/// alone: a rule below it is weaker than the DSN.
pub const DSN_PRIORITY: i32 = 20;

/// The effective priority of a cause implied by the bare SMTP code alone.
pub const CODE_PRIORITY: i32 = 10;

/// Language of descriptions and advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The language the locale asks for: the first non-empty one of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG` (POSIX precedence); `zh…` is Chinese, anything
    /// else English.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map_or(Lang::En, |v| Lang::from_locale(&v))
    }

    /// `zh_CN.UTF-8`, `zh_TW`, `zh` → Chinese; anything else English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("zh")) {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

impl FromStr for Lang {
    type Err = String;
    /// `en` or `zh` (case-insensitive).
    fn from_str(s: &str) -> Result<Lang, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            _ => Err(format!("unknown language {s:?} (expected \"en\" or \"zh\")")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        })
    }
}

/// Why a catalogue could not be loaded. Every message names the file (and,
/// where there is one, the line and the item) so the user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The user pattern directory or one of its files could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid TOML, or has a field of the wrong type or name.
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    /// An entry is well-formed TOML but wrong, e.g.
    /// `patterns/x.toml:12: rule "foo": unknown cause "user_unknwon" (did you mean "user_unknown"?)`.
    #[error("{file}:{line}: {item}: {message}")]
    Invalid {
        file: String,
        line: usize,
        /// What is wrong, e.g. `rule "foo"` or `dsn "5.1.1"`.
        item: String,
        message: String,
    },
    /// A cause of the SPEC has no `[[cause]]` entry in any file.
    #[error("no [[cause]] entry describes cause \"{0}\" (the built-in causes.toml has one for every cause; a replacement must keep them)")]
    MissingCause(&'static str),
}

/// Description and advice for one cause, in both languages.
#[derive(Debug, Clone)]
pub struct CauseInfo {
    pub cause: Cause,
    pub description_en: String,
    pub description_zh: String,
    pub advice_en: String,
    pub advice_zh: String,
}

impl CauseInfo {
    /// What the cause means, in `lang`.
    pub fn description(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.description_en,
            Lang::Zh => &self.description_zh,
        }
    }

    /// What a postmaster should do about it, in `lang`.
    pub fn advice(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.advice_en,
            Lang::Zh => &self.advice_zh,
        }
    }
}

/// Where a rule comes from, for `--explain` and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// The rule's unique id, e.g. `google.no_such_user`.
    pub id: String,
    /// `patterns/NAME.toml` for a built-in file, the path for a user file.
    pub file: String,
    /// 1-based line in that file where the rule starts.
    pub line: usize,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.id, self.file, self.line)
    }
}

/// An enhanced-status-code pattern: `5.1.1`, `X.1.1` (either class), `4.4.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DsnPattern {
    /// 4 or 5 (or 2); `None` for `X`, any class.
    pub class: Option<u8>,
    pub subject: u16,
    /// `None` for `*`, any detail.
    pub detail: Option<u16>,
}

impl DsnPattern {
    /// Parses `C.S.D` where `C` may be `X` and `D` may be `*`.
    pub fn parse(s: &str) -> Option<DsnPattern> {
        let mut parts = s.trim().split('.');
        let (c, sub, det) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let class = if c.eq_ignore_ascii_case("x") {
            None
        } else {
            let n: u8 = c.parse().ok()?;
            matches!(n, 2 | 4 | 5).then_some(n)?;
            Some(n)
        };
        let subject = parse_small(sub)?;
        let detail = if det == "*" { None } else { Some(parse_small(det)?) };
        Some(DsnPattern {
            class,
            subject,
            detail,
        })
    }

    /// Whether `dsn` is one of the codes this pattern stands for.
    pub fn matches(&self, dsn: Dsn) -> bool {
        self.class.is_none_or(|c| c == dsn.class)
            && self.subject == dsn.subject
            && self.detail.is_none_or(|d| d == dsn.detail)
    }
}

fn parse_small(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for DsnPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.class {
            Some(c) => write!(f, "{c}.")?,
            None => f.write_str("X.")?,
        }
        write!(f, "{}.", self.subject)?;
        match self.detail {
            Some(d) => write!(f, "{d}"),
            None => f.write_str("*"),
        }
    }
}

/// An RFC 5321 reply code's meaning (`codes.toml`).
#[derive(Debug, Clone)]
pub struct CodeInfo {
    pub code: u16,
    pub meaning_en: String,
    pub meaning_zh: String,
    /// The cause the bare code implies when nothing better is known.
    pub cause: Option<Cause>,
}

/// An enhanced status code's meaning (`dsn.toml`).
#[derive(Debug, Clone)]
pub struct DsnInfo {
    pub pattern: DsnPattern,
    pub meaning_en: String,
    pub meaning_zh: String,
    /// The cause the code implies when the reply text is opaque.
    pub cause: Option<Cause>,
}

impl CodeInfo {
    /// The meaning in `lang`.
    pub fn meaning(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.meaning_en,
            Lang::Zh => &self.meaning_zh,
        }
    }
}

impl DsnInfo {
    /// The meaning in `lang`.
    pub fn meaning(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.meaning_en,
            Lang::Zh => &self.meaning_zh,
        }
    }
}

/// A mailbox provider that rules can be scoped to.
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub name: String,
    /// Relay host suffixes (label-aligned), lower-case: `google.com`.
    pub hosts: Vec<String>,
    /// Recipient domains (and their subdomains), lower-case: `gmail.com`.
    pub domains: Vec<String>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Id, file and line.
    pub origin: RuleRef,
    pub cause: Cause,
    /// Higher wins; see `patterns/README.md`.
    pub priority: i32,
    /// Index into [`Catalogue::providers`] when the rule is scoped.
    pub provider: Option<u16>,
    /// Enhanced status codes the reply must carry (any of them), if any.
    pub dsn: Vec<DsnPattern>,
    /// SMTP codes the reply must carry (any of them), if any.
    pub code: Vec<u16>,
    /// Literal phrases (case-insensitive); any one matching is a hit.
    pub phrases: Vec<String>,
    /// A regex (case-insensitive), instead of or besides the phrases.
    pub regex: Option<String>,
    pub advice_en: Option<String>,
    pub advice_zh: Option<String>,
    /// Realistic replies that must classify to `cause` (the rule's tests).
    pub examples: Vec<String>,
    /// Loaded from the user's `--patterns` directory: wins ties.
    pub user: bool,
}

impl Rule {
    /// Vendor advice for this rule in `lang`, if it has any.
    pub fn advice(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::En => self.advice_en.as_deref(),
            Lang::Zh => self.advice_zh.as_deref().or(self.advice_en.as_deref()),
        }
    }
}

/// Everything the matcher needs, loaded and compiled once and shared
/// (`Arc`) by all workers.
#[derive(Debug)]
pub struct Catalogue {
    causes: Vec<CauseInfo>,
    codes: HashMap<u16, CodeInfo>,
    dsns: HashMap<DsnPattern, DsnInfo>,
    providers: Vec<Provider>,
    /// Lower-case host suffix → the first provider listing it (and the
    /// same for recipient domains): a reply's provider is found with one
    /// lookup per label of its host, not a scan of every provider's list.
    host_suffixes: SuffixMap,
    domain_suffixes: SuffixMap,
    rules: Vec<Rule>,
    /// All phrases of all rules; pattern id → `phrase_rule[id]`.
    pub(crate) phrases: Option<AhoCorasick>,
    /// For each phrase pattern: (rule index, phrase length, needs a word
    /// boundary before it).
    pub(crate) phrase_rule: Vec<(u32, u32, bool)>,
    /// All regexes; pattern id → `regex_rule[id]`.
    pub(crate) regexes: Option<RegexSet>,
    pub(crate) regex_rule: Vec<u32>,
}

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
    dsn: Option<Spanned<OneOrMany<String>>>,
    #[serde(default)]
    code: Option<OneOrMany<u16>>,
    #[serde(default)]
    provider: Option<Spanned<String>>,
    #[serde(default)]
    priority: Option<i32>,
    #[serde(default)]
    advice_en: Option<String>,
    #[serde(default)]
    advice_zh: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
}

/// One file to load: display name, contents, whether it is the user's.
struct Source {
    name: String,
    text: String,
    user: bool,
}

/// Byte offset → 1-based line number.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The line a `[[table]]` entry starts on: its span may start at the first
/// key, so walk back over keys, comments and blank lines to the `[[…]]`
/// header just above it (`lines` is the file's text split into lines).
fn entry_line(lines: &[&str], text: &str, offset: usize) -> usize {
    let mut line = line_of(text, offset);
    while line > 1 {
        let l = lines.get(line - 1).map_or("", |l| l.trim_start());
        if l.starts_with("[[") {
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
        let mut user: Vec<(String, String)> = Vec::new();
        if let Some(dir) = user_dir {
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
            for path in paths {
                let text = std::fs::read_to_string(&path).map_err(|source| CatalogueError::Io {
                    path: path.clone(),
                    source,
                })?;
                user.push((path.display().to_string(), text));
            }
        }
        let user_names: HashSet<String> = user
            .iter()
            .filter_map(|(p, _)| Path::new(p).file_name())
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
        sources.extend(user.into_iter().map(|(name, text)| Source {
            name,
            text,
            user: true,
        }));
        Catalogue::from_sources(&sources, threads)
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

    fn from_sources(sources: &[Source], threads: usize) -> Result<Catalogue, CatalogueError> {
        let mut parsed = Vec::with_capacity(sources.len());
        for s in sources {
            let raw: RawFile = toml::from_str(&s.text).map_err(|e| CatalogueError::Syntax {
                file: s.name.clone(),
                line: e.span().map_or(1, |sp| line_of(&s.text, sp.start)),
                message: e.message().trim().to_string(),
            })?;
            parsed.push(raw);
        }

        let invalid = |s: &Source, offset: usize, item: String, message: String| CatalogueError::Invalid {
            file: s.name.clone(),
            line: line_of(&s.text, offset),
            item,
            message,
        };
        let parse_cause = |s: &Source, item: &str, c: &Spanned<String>| {
            c.get_ref()
                .parse::<Cause>()
                .map_err(|e| invalid(s, c.span().start, item.to_string(), e.to_string()))
        };

        // Causes, codes, DSNs, providers: later files override earlier ones
        // (so a user file can reword a description), except that provider
        // ids must be unique because rules refer to them.
        let mut causes: Vec<Option<CauseInfo>> = vec![None; Cause::COUNT];
        let mut codes = HashMap::new();
        let mut dsns = HashMap::new();
        let mut providers: Vec<Provider> = Vec::new();
        for (s, raw) in sources.iter().zip(&parsed) {
            for c in &raw.cause {
                let c = c.get_ref();
                let cause = parse_cause(s, &format!("cause {:?}", c.id.get_ref()), &c.id)?;
                causes[cause.index()] = Some(CauseInfo {
                    cause,
                    description_en: c.description_en.trim().to_string(),
                    description_zh: c.description_zh.trim().to_string(),
                    advice_en: c.advice_en.trim().to_string(),
                    advice_zh: c.advice_zh.trim().to_string(),
                });
            }
            for c in &raw.code {
                let (span, c) = (c.span(), c.get_ref());
                let item = format!("code {}", c.code);
                if !(200..600).contains(&c.code) {
                    return Err(invalid(
                        s,
                        span.start,
                        item,
                        "not an SMTP reply code (200–599)".into(),
                    ));
                }
                let cause = c.cause.as_ref().map(|x| parse_cause(s, &item, x)).transpose()?;
                codes.insert(
                    c.code,
                    CodeInfo {
                        code: c.code,
                        meaning_en: c.meaning_en.clone(),
                        meaning_zh: c.meaning_zh.clone(),
                        cause,
                    },
                );
            }
            for d in &raw.dsn {
                let d = d.get_ref();
                let item = format!("dsn {:?}", d.code.get_ref());
                let pattern = DsnPattern::parse(d.code.get_ref()).ok_or_else(|| {
                    invalid(
                        s,
                        d.code.span().start,
                        item.clone(),
                        "not an enhanced status code (expected C.S.D, C = 2, 4, 5 or X, D may be *)".into(),
                    )
                })?;
                let cause = d.cause.as_ref().map(|x| parse_cause(s, &item, x)).transpose()?;
                dsns.insert(
                    pattern,
                    DsnInfo {
                        pattern,
                        meaning_en: d.meaning_en.clone(),
                        meaning_zh: d.meaning_zh.clone(),
                        cause,
                    },
                );
            }
            for p in &raw.provider {
                let p = p.get_ref();
                let id = p.id.get_ref();
                if providers.iter().any(|q| &q.id == id) {
                    return Err(invalid(
                        s,
                        p.id.span().start,
                        format!("provider {id:?}"),
                        "duplicate provider id".into(),
                    ));
                }
                let lower = |v: &[String]| -> Vec<String> {
                    v.iter()
                        .map(|h| h.trim().trim_start_matches('.').to_ascii_lowercase())
                        .filter(|h| !h.is_empty())
                        .collect()
                };
                providers.push(Provider {
                    id: id.clone(),
                    name: p.name.clone(),
                    hosts: lower(&p.hosts),
                    domains: lower(&p.domains),
                });
            }
        }
        if providers.len() > usize::from(u16::MAX) {
            return Err(CatalogueError::Invalid {
                file: "(all files)".into(),
                line: 1,
                item: "providers".into(),
                message: "too many providers".into(),
            });
        }
        let causes: Vec<CauseInfo> = causes
            .into_iter()
            .zip(Cause::ALL)
            .map(|(info, &c)| info.ok_or(CatalogueError::MissingCause(c.as_str())))
            .collect::<Result<_, _>>()?;

        // Rules.
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen: HashMap<String, (String, usize)> = HashMap::new();
        for (s, raw) in sources.iter().zip(&parsed) {
            let lines: Vec<&str> = s.text.lines().collect();
            for r in &raw.rule {
                let start = r.span().start;
                let r = r.get_ref();
                let id = r.id.get_ref().trim().to_string();
                let item = format!("rule {id:?}");
                let line = entry_line(&lines, &s.text, start);
                if id.is_empty() {
                    return Err(invalid(s, r.id.span().start, item, "empty id".into()));
                }
                if let Some((file, l)) = seen.get(&id) {
                    return Err(invalid(
                        s,
                        r.id.span().start,
                        item,
                        format!("duplicate rule id (first defined at {file}:{l})"),
                    ));
                }
                let cause = parse_cause(s, &item, &r.cause)?;
                let provider = match &r.provider {
                    None => None,
                    Some(p) => {
                        let found = providers.iter().position(|q| &q.id == p.get_ref());
                        let Some(i) = found else {
                            let known: Vec<&str> = providers.iter().map(|q| q.id.as_str()).collect();
                            return Err(invalid(
                                s,
                                p.span().start,
                                item,
                                format!("unknown provider {:?} (known: {})", p.get_ref(), known.join(", ")),
                            ));
                        };
                        u16::try_from(i).ok()
                    }
                };
                let mut dsn = Vec::new();
                if let Some(d) = &r.dsn {
                    for code in d.get_ref().clone().into_vec() {
                        dsn.push(DsnPattern::parse(&code).ok_or_else(|| {
                            invalid(
                                s,
                                d.span().start,
                                item.clone(),
                                format!("bad dsn constraint {code:?} (expected e.g. \"5.1.1\", \"X.7.1\", \"4.4.*\")"),
                            )
                        })?);
                    }
                }
                let code = r.code.as_ref().map_or_else(Vec::new, |c| match c {
                    OneOrMany::One(c) => vec![*c],
                    OneOrMany::Many(v) => v.clone(),
                });
                let phrases: Vec<String> = r
                    .phrase
                    .as_ref()
                    .map_or_else(Vec::new, |p| match p {
                        OneOrMany::One(p) => vec![p.clone()],
                        OneOrMany::Many(v) => v.clone(),
                    })
                    .into_iter()
                    .filter(|p| !p.trim().is_empty())
                    .collect();
                for p in &phrases {
                    if let Some(why) = masked_token(p.as_bytes()) {
                        return Err(invalid(
                            s,
                            start,
                            item,
                            format!(
                                "phrase {p:?} contains {why}, which the cache masks; match the words around it instead"
                            ),
                        ));
                    }
                }
                let regex = match &r.regex {
                    None => None,
                    // Each of the user's regexes is compiled alone, for its
                    // size limit and an error that names it. The built-in
                    // ones are checked so by a test (compiling them took a
                    // fifth of the start-up), and compiled in the set below.
                    Some(re) if !s.user => Some(re.get_ref().clone()),
                    Some(re) => {
                        let src = re.get_ref();
                        if let Err(e) = RegexBuilder::new(src)
                            .case_insensitive(true)
                            .unicode(false)
                            .size_limit(REGEX_SIZE_LIMIT)
                            .build()
                        {
                            return Err(invalid(
                                s,
                                re.span().start,
                                item,
                                format!("bad regex: {}", one_line(&e.to_string())),
                            ));
                        }
                        Some(src.clone())
                    }
                };
                if phrases.is_empty() && regex.is_none() {
                    return Err(invalid(
                        s,
                        start,
                        item,
                        "nothing to match: give `phrase` (a string or a list) or `regex`".into(),
                    ));
                }
                seen.insert(id.clone(), (s.name.clone(), line));
                rules.push(Rule {
                    origin: RuleRef {
                        id,
                        file: s.name.clone(),
                        line,
                    },
                    cause,
                    priority: r.priority.unwrap_or(DEFAULT_PRIORITY),
                    provider,
                    dsn,
                    code,
                    phrases,
                    regex,
                    advice_en: r.advice_en.clone().map(|a| a.trim().to_string()),
                    advice_zh: r.advice_zh.clone().map(|a| a.trim().to_string()),
                    examples: r.examples.clone(),
                    user: s.user,
                });
            }
        }
        if u32::try_from(rules.len()).is_err() {
            return Err(CatalogueError::Invalid {
                file: "(all files)".into(),
                line: 1,
                item: "rules".into(),
                message: "too many rules".into(),
            });
        }

        // Compile: every phrase into one automaton. `Standard` match kind
        // is the only one that supports overlapping search, and we need every
        // hit, not the leftmost, since priority (not position) decides.
        let mut patterns: Vec<&str> = Vec::new();
        let mut phrase_rule = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for p in &r.phrases {
                patterns.push(p.as_str());
                let boundary = p.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric);
                phrase_rule.push((i as u32, p.len() as u32, boundary));
            }
        }
        let mut sources_re = Vec::new();
        let mut regex_rule = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if let Some(re) = &r.regex {
                sources_re.push(re.as_str());
                regex_rule.push(i as u32);
            }
        }
        // The automaton and the set are built at once, on two threads (unless
        // the run keeps to one): they are most of the start-up, which every
        // run, however short, waits for.
        let build_phrases = || {
            if patterns.is_empty() {
                return Ok(None);
            }
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .map(Some)
                .map_err(|e| CatalogueError::Invalid {
                    file: "(all files)".into(),
                    line: 1,
                    item: "phrases".into(),
                    message: format!("cannot compile the phrases: {e}"),
                })
        };
        let build_regexes = || {
            if sources_re.is_empty() {
                return Ok(None);
            }
            // ASCII semantics (`\b`, `\w`, case): a Unicode word
            // boundary makes the lazy DFA give up on the first non-ASCII
            // byte, and the set then ran the PikeVM over every Chinese
            // reply: 12 µs per reply on the hand-checked table, against
            // 0.6 µs for its ASCII replies. `(?u:…)` opts back in.
            RegexSetBuilder::new(&sources_re)
                .case_insensitive(true)
                .unicode(false)
                .size_limit(REGEX_SET_SIZE_LIMIT)
                .build()
                .map(Some)
                .map_err(|e| CatalogueError::Invalid {
                    file: "(all files)".into(),
                    line: 1,
                    item: "regexes".into(),
                    message: format!(
                        "cannot compile the regexes together: {}",
                        one_line(&e.to_string())
                    ),
                })
        };
        let (phrases, regexes) = crate::both(threads > 1, build_phrases, build_regexes);
        let (phrases, regexes) = (phrases?, regexes?);

        let suffixes = |list: fn(&Provider) -> &[String]| {
            let mut map = SuffixMap::default();
            for (i, p) in providers.iter().enumerate() {
                let Ok(i) = u16::try_from(i) else { break };
                for s in list(p) {
                    let key = s.trim_end_matches('.').to_ascii_lowercase().into_bytes();
                    map.entry(key.into_boxed_slice()).or_insert(i);
                }
            }
            map
        };
        let host_suffixes = suffixes(|p| &p.hosts);
        let domain_suffixes = suffixes(|p| &p.domains);

        Ok(Catalogue {
            causes,
            codes,
            dsns,
            providers,
            host_suffixes,
            domain_suffixes,
            rules,
            phrases,
            phrase_rule,
            regexes,
            regex_rule,
        })
    }

    /// Description and advice of `c`. Every cause has one (checked on load).
    pub fn cause_info(&self, c: Cause) -> &CauseInfo {
        &self.causes[c.index()]
    }

    /// Where rule `index` (as in [`super::Verdict::rule`]) comes from.
    pub fn rule(&self, index: u32) -> Option<&RuleRef> {
        self.rules.get(index as usize).map(|r| &r.origin)
    }

    /// The whole rule `index`: cause, constraints, phrases, advice, examples.
    pub fn rule_detail(&self, index: u32) -> Option<&Rule> {
        self.rules.get(index as usize)
    }

    /// All rules, in load order (index = position), e.g. for a `causes`
    /// command listing the rules of each cause.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The known providers, in load order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// The meaning of SMTP reply code `code`, if `codes.toml` knows it.
    pub fn code_info(&self, code: u16) -> Option<&CodeInfo> {
        self.codes.get(&code)
    }

    /// The meaning of `dsn`, most specific entry first: `5.7.26`, then
    /// `X.7.26`, then `5.7.*`, then `X.7.*`.
    pub fn dsn_info(&self, dsn: Dsn) -> Option<&DsnInfo> {
        let exact = |class| DsnPattern {
            class,
            subject: dsn.subject,
            detail: Some(dsn.detail),
        };
        let any = |class| DsnPattern {
            class,
            subject: dsn.subject,
            detail: None,
        };
        [
            exact(Some(dsn.class)),
            exact(None),
            any(Some(dsn.class)),
            any(None),
        ]
        .iter()
        .find_map(|p| self.dsns.get(p))
    }

    /// The provider serving `host` (a relay host name such as
    /// `gmail-smtp-in.l.google.com`) by label-aligned suffix, else the one
    /// owning recipient `domain` (or a parent of it).
    pub fn provider_for(&self, host: Option<&[u8]>, domain: Option<&[u8]>) -> Option<u16> {
        host.and_then(|h| first_suffix(&self.host_suffixes, h))
            .or_else(|| domain.and_then(|d| first_suffix(&self.domain_suffixes, d)))
    }
}

/// Suffix (lower-case, no trailing dot) → provider index.
type SuffixMap = HashMap<Box<[u8]>, u16, BuildHasherDefault<super::key::KeyHasher>>;

/// The first provider (lowest index) listing `name` itself or one of its
/// suffixes at a label boundary (`l.google.com`, `google.com`, `com`),
/// ASCII case-insensitive. This runs for every reply.
fn first_suffix(map: &SuffixMap, name: &[u8]) -> Option<u16> {
    let name = name.strip_suffix(b".").unwrap_or(name);
    let mut buf = [0u8; 256];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let mut best: Option<u16> = None;
    let mut start = 0;
    loop {
        if let Some(&p) = map.get(&lower[start..]) {
            best = Some(best.map_or(p, |b| b.min(p)));
        }
        match memchr::memchr(b'.', &lower[start..]) {
            Some(dot) => start += dot + 1,
            None => return best,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether literal `phrase` holds a token that the matcher's cache key
/// masks (an address, an IP, a long number or id), described for an error.
/// A rule depending on such a token would make the cache merge replies that
/// classify differently.
fn masked_token(phrase: &[u8]) -> Option<&'static str> {
    let mut key = Vec::new();
    super::key::mask_into(phrase, &mut key);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn builtin_catalogue_loads_and_describes_every_cause() {
        let cat = Catalogue::load(None).unwrap_or_else(|e| panic!("{e}"));
        for &c in Cause::ALL {
            let info = cat.cause_info(c);
            assert_eq!(info.cause, c);
            assert!(!info.description(Lang::En).is_empty(), "{c}");
            assert!(!info.description(Lang::Zh).is_empty(), "{c}");
            assert!(!info.advice(Lang::En).is_empty(), "{c}");
            assert!(!info.advice(Lang::Zh).is_empty(), "{c}");
        }
        assert!(cat.rules().len() > 100);
        assert!(cat.rule(0).is_some());
        assert!(cat.rule(u32::MAX).is_none());
    }

    #[test]
    fn every_pattern_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
        let embedded: HashSet<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                if let Some(name) = name.filter(|n| !embedded.contains(n.as_str())) {
                    missing.push(name);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "patterns/ files not listed in BUILTIN: {missing:?}"
        );
        for (name, text) in BUILTIN {
            let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert_eq!(&on_disk, text, "{name} differs from its embedded copy");
        }
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

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let e = err("[[rule]]\nid = \"p\"\ncause = \"blocked\"\nphrase = \"x\"\nprovider = \"gmial\"\n");
        assert!(
            e.starts_with("user/x.toml:5: rule \"p\": unknown provider \"gmial\" (known: google"),
            "{e}"
        );
    }

    #[test]
    fn rule_without_match_is_refused() {
        let e = err("\n[[rule]]\nid = \"empty\"\ncause = \"blocked\"\n");
        assert_eq!(
            e,
            "user/x.toml:2: rule \"empty\": nothing to match: give `phrase` (a string or a list) or `regex`"
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
    fn dsn_lookup_prefers_the_most_specific_entry() {
        let cat = Catalogue::load(None).unwrap_or_else(|e| panic!("{e}"));
        let d = |s: &str| Dsn::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(
            cat.dsn_info(d("5.1.1")).and_then(|i| i.cause),
            Some(Cause::UserUnknown)
        );
        assert_eq!(
            cat.dsn_info(d("4.1.1")).and_then(|i| i.cause),
            Some(Cause::UserUnknown)
        );
        assert_eq!(
            cat.dsn_info(d("4.7.650")).and_then(|i| i.cause),
            Some(Cause::BadReputation)
        );
        assert_eq!(
            cat.dsn_info(d("4.4.1")).and_then(|i| i.cause),
            Some(Cause::NetworkError)
        );
        assert_eq!(cat.code_info(550).map(|c| c.code), Some(550));
    }

    #[test]
    fn dsn_patterns_parse_and_match() {
        let p = DsnPattern::parse("X.7.*").unwrap_or_else(|| panic!());
        assert!(p.matches(Dsn::parse(b"5.7.26").unwrap_or_else(|| panic!())));
        assert!(!p.matches(Dsn::parse(b"5.1.1").unwrap_or_else(|| panic!())));
        assert_eq!(p.to_string(), "X.7.*");
        assert_eq!(DsnPattern::parse("3.1.1"), None);
        assert_eq!(DsnPattern::parse("5.1"), None);
        assert_eq!(DsnPattern::parse("5.1.1.1"), None);
    }

    #[test]
    fn providers_match_by_host_suffix_then_domain() {
        let cat = Catalogue::load(None).unwrap_or_else(|e| panic!("{e}"));
        let id = |p: Option<u16>| {
            p.and_then(|i| cat.providers().get(usize::from(i)))
                .map(|p| p.id.as_str())
        };
        assert_eq!(
            id(cat.provider_for(Some(b"gmail-smtp-in.l.google.com"), None)),
            Some("google")
        );
        assert_eq!(
            id(cat.provider_for(Some(b"ALT1.ASPMX.L.GOOGLE.COM"), None)),
            Some("google")
        );
        assert_eq!(id(cat.provider_for(Some(b"notgoogle.com"), None)), None);
        assert_eq!(id(cat.provider_for(None, Some(b"163.com"))), Some("netease"));
        assert_eq!(
            id(cat.provider_for(Some(b"mx.example.org"), Some(b"hotmail.com"))),
            Some("microsoft")
        );
    }

    #[test]
    fn lang_parses_and_reads_locales() {
        assert_eq!("zh".parse::<Lang>(), Ok(Lang::Zh));
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }
}
