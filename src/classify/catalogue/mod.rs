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
//! provider; a rule that matches nothing) and names file, line and item
//! ([`CatalogueError`]). It compiles the phrases into one Aho-Corasick
//! automaton and the regexes into one `RegexSet`; running them is
//! `matcher`'s job.
//!
//! This file holds the [`Catalogue`] and its lookups, the types it hands
//! out and the constants; `load` reads, validates and compiles the files,
//! one step per function; `error` is [`CatalogueError`].

use crate::cause::Cause;
use aho_corasick::AhoCorasick;
use regex::bytes::RegexSet;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::str::FromStr;

use super::anatomy::{Origin, Stage};
use super::key::KeyHasher;
use super::Dsn;

mod error;
mod load;

pub use error::CatalogueError;

/// The built-in pattern files, `(file name, contents)`, in load order.
///
/// To add a file: create it in `patterns/` and list it here; the unit test
/// `every_pattern_file_is_embedded` fails until you do.
pub const BUILTIN: &[(&str, &str)] = &[
    ("causes.toml", include_str!("../../../patterns/causes.toml")),
    ("codes.toml", include_str!("../../../patterns/codes.toml")),
    ("dsn.toml", include_str!("../../../patterns/dsn.toml")),
    ("providers.toml", include_str!("../../../patterns/providers.toml")),
    ("postfix.toml", include_str!("../../../patterns/postfix.toml")),
    ("generic.toml", include_str!("../../../patterns/generic.toml")),
    ("concepts.toml", include_str!("../../../patterns/concepts.toml")),
    ("greylist.toml", include_str!("../../../patterns/greylist.toml")),
    ("dnsbl.toml", include_str!("../../../patterns/dnsbl.toml")),
    ("google.toml", include_str!("../../../patterns/google.toml")),
    ("microsoft.toml", include_str!("../../../patterns/microsoft.toml")),
    ("yahoo.toml", include_str!("../../../patterns/yahoo.toml")),
    ("china.toml", include_str!("../../../patterns/china.toml")),
    ("services.toml", include_str!("../../../patterns/services.toml")),
    ("products.toml", include_str!("../../../patterns/products.toml")),
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

/// The most rules with a `regex`, across all files (the built-ins hold
/// about a hundred). One `RegexSet` of all of them is compiled at start-up:
/// 20,000 take 2 s and 330 MiB to load, 100,000 took 12 s and 1.5 GiB, and
/// a set that large runs every reply through its slowest engine. Phrases
/// scale (100,000 load in under 2 s), so past this a file is refused with
/// that advice rather than loaded slowly (issue 21).
pub const MAX_REGEX_RULES: usize = 10_000;

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
    /// Words only this provider's servers write in a reply (its server
    /// names, its help address), lower-case: `prod.outlook.com`. They name
    /// the provider when the relay does not: a reply passed on by a smart
    /// host or a filtering gateway.
    pub signatures: Vec<String>,
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
    /// Who must have written the text (`origin = "postfix"|"remote"`), if
    /// the rule is scoped so.
    pub from: Option<Origin>,
    /// The SMTP stages the text must answer (any of them), if any.
    pub stage: Vec<Stage>,
    /// The SMTP stages at which the rule does not apply: a text of unknown
    /// stage is not excluded.
    pub not_stage: Vec<Stage>,
    /// Whether the rule's phrases may match inside a web address in the
    /// reply (`in_links`, default true).
    pub in_links: bool,
    /// Enhanced status codes the reply must carry (any of them), if any.
    pub dsn: Vec<DsnPattern>,
    /// SMTP codes the reply must carry (any of them), if any.
    pub code: Vec<u16>,
    /// Literal phrases (case-insensitive); any one matching is a hit.
    pub phrases: Vec<String>,
    /// A regex (case-insensitive), instead of or besides the phrases.
    pub regex: Option<String>,
    /// Pairs of phrase lists: a phrase of `first`, then one of `then`
    /// close after it in the same clause, is a hit (a concept in any
    /// wording: "Buzón … no existe", "Empfänger … existiert nicht").
    pub near: Vec<Near>,
    pub advice_en: Option<String>,
    pub advice_zh: Option<String>,
    /// Realistic replies that must classify to `cause` (the rule's tests).
    pub examples: Vec<String>,
    /// Loaded from the user's `--patterns` directory: wins ties.
    pub user: bool,
}

/// One `near` pair of a rule: a phrase of `first`, then a phrase of
/// `then` starting at most `within` bytes after it ends, with none of
/// the marks `stops` between them (by default the clause marks `. ; : , ( )`).
#[derive(Debug, Clone)]
pub struct Near {
    pub first: Vec<String>,
    pub then: Vec<String>,
    pub within: u32,
    /// Every phrase of the pair is a whole word or words (`words = true`):
    /// one that ends with a letter or digit must end a word too, as a
    /// regex's `\b` reads ("invalid" is not "invalidated"). Without it a
    /// phrase may be a stem ("relay" finds "relaying").
    pub words: bool,
    /// The marks the gap between the two phrases may not cross (`stops =
    /// ".;"`; by default `.;:,()`, none when empty).
    pub stops: Box<[u8]>,
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
    /// Every provider's signatures; pattern id → `signature_provider[id]`.
    signatures: Option<AhoCorasick>,
    signature_provider: Vec<u16>,
    rules: Vec<Rule>,
    /// All phrases of all rules; pattern id → `phrase_rule[id]`.
    pub(crate) phrases: Option<AhoCorasick>,
    /// For each phrase pattern: its rule and how it may match.
    pub(crate) phrase_rule: Vec<PhraseRule>,
    /// All regexes; pattern id → `regex_rule[id]`.
    pub(crate) regexes: Option<RegexSet>,
    pub(crate) regex_rule: Vec<u32>,
}

impl Catalogue {
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

    /// The provider of a reply: the one serving `host` (a relay host name
    /// such as `gmail-smtp-in.l.google.com`, by label-aligned suffix), else
    /// the one whose signature `text` holds (the first in the text), else
    /// the one owning recipient `domain` (or a parent of it). A relay of a
    /// provider's own decides; a signature beats the domain, since a
    /// gateway in front of a domain passes on the words of the provider
    /// behind it.
    pub fn provider_of(&self, host: Option<&[u8]>, text: &[u8], domain: Option<&[u8]>) -> Option<u16> {
        host.and_then(|h| first_suffix(&self.host_suffixes, h))
            .or_else(|| {
                let m = self.signatures.as_ref()?.find(text)?;
                self.signature_provider.get(m.pattern().as_usize()).copied()
            })
            .or_else(|| domain.and_then(|d| first_suffix(&self.domain_suffixes, d)))
    }

    /// Whether `domain` is itself one of a provider's recipient domains
    /// (`gmail.com`, not `x.gmail.com`): a domain known to exist.
    pub fn is_provider_domain(&self, domain: &[u8]) -> bool {
        let mut buf = [0u8; 256];
        lowered(domain, &mut buf).is_some_and(|d| self.domain_suffixes.contains_key(d))
    }
}

/// Suffix (lower-case, no trailing dot) → provider index.
type SuffixMap = HashMap<Box<[u8]>, u16, BuildHasherDefault<KeyHasher>>;

/// `name` without a trailing dot, ASCII lower-cased into `buf`; `None`
/// when it is longer than `buf` (no DNS name is).
fn lowered<'b>(name: &[u8], buf: &'b mut [u8; 256]) -> Option<&'b [u8]> {
    let name = name.strip_suffix(b".").unwrap_or(name);
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    Some(lower)
}

/// The first provider (lowest index) listing `name` itself or one of its
/// suffixes at a label boundary (`l.google.com`, `google.com`, `com`),
/// ASCII case-insensitive. This runs for every reply.
fn first_suffix(map: &SuffixMap, name: &[u8]) -> Option<u16> {
    let mut buf = [0u8; 256];
    let lower = lowered(name, &mut buf)?;
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

/// How one phrase pattern of the automaton matches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhraseRule {
    /// The rule's index.
    pub rule: u32,
    /// 0 for a phrase of `phrase`; for a phrase of the rule's `near` pair
    /// k, 2k + 1 in its `first` list and 2k + 2 in its `then` list.
    pub side: u16,
    /// The phrase's length as written in its rule (the tie-breaker).
    pub len: u32,
    /// Starts with a letter or digit: must start a word.
    pub boundary: bool,
    /// A phrase of a `near` pair with `words = true` that ends with a
    /// letter or digit: must end a word too.
    pub end_boundary: bool,
    /// Not to match inside a web address: a phrase of words only (no `/ #
    /// ? = . : _ & %`) of a rule with `in_links = false`, whose words are a
    /// statement that an address in the reply does not make
    /// ("…faq=SecurityMail_Policy19053" is no policy refusal). A block
    /// list's name in a lookup link still says the list (such rules keep
    /// `in_links`).
    pub not_in_links: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::Path;

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
    fn providers_match_by_host_suffix_then_signature_then_domain() {
        let cat = Catalogue::load(None).unwrap_or_else(|e| panic!("{e}"));
        let id = |p: Option<u16>| {
            p.and_then(|i| cat.providers().get(usize::from(i)))
                .map(|p| p.id.as_str())
        };
        assert_eq!(
            id(cat.provider_of(Some(b"gmail-smtp-in.l.google.com"), b"", None)),
            Some("google")
        );
        assert_eq!(
            id(cat.provider_of(Some(b"ALT1.ASPMX.L.GOOGLE.COM"), b"", None)),
            Some("google")
        );
        assert_eq!(id(cat.provider_of(Some(b"notgoogle.com"), b"", None)), None);
        assert_eq!(id(cat.provider_of(None, b"", Some(b"163.com"))), Some("netease"));
        assert_eq!(
            id(cat.provider_of(Some(b"mx.example.org"), b"", Some(b"hotmail.com"))),
            Some("microsoft")
        );
        // A signature in the text (a reply passed on by a smart host) comes
        // after a provider's own relay and before the recipient domain.
        let relayed =
            b"550 5.4.1 Recipient address rejected: Access denied. [DB8PR01.eurprd01.prod.outlook.com]";
        assert_eq!(
            id(cat.provider_of(Some(b"mx.example.com"), relayed, Some(b"qq.com"))),
            Some("microsoft")
        );
        assert_eq!(
            id(cat.provider_of(Some(b"mx3.qq.com"), relayed, None)),
            Some("qq")
        );
        assert_eq!(
            id(cat.provider_of(Some(b"mx.example.com"), b"550 no", Some(b"qq.com"))),
            Some("qq")
        );
        assert_eq!(
            id(cat.provider_of(Some(b"mx.example.com"), b"550 no", None)),
            None
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
