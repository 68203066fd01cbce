//! Classification: a reply text (plus the log's `dsn=`, relay and recipient
//! domain) → SMTP code, enhanced status code, cause.
//!
//! `anatomy` takes a reply apart (who wrote it, the SMTP stage, the codes);
//! `catalogue` loads the rule files of `patterns/` (embedded, plus the user's
//! `--patterns DIR`), validates and compiles them once; `matcher` runs one
//! reply against them with a per-worker cache, keyed on the masked reply
//! (`key`, which the catalogue uses too, to refuse phrases the cache would
//! mask). Class is not decided here: it follows from status and cause
//! (`Class::of`).

pub mod anatomy;
pub mod catalogue;
mod key;
pub mod matcher;

pub use anatomy::{Anatomy, Level, Origin, Stage};
pub use catalogue::{Catalogue, CatalogueError, CauseInfo, Lang, RuleRef};
pub use matcher::{Classifier, Query, Verdict};

use std::fmt;

/// An RFC 3463 enhanced status code `class.subject.detail`, e.g. `5.1.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dsn {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl Dsn {
    /// Parses `X.Y.Z` exactly (class 2, 4 or 5; subject and detail 0–999).
    pub fn parse(s: &[u8]) -> Option<Dsn> {
        let mut parts = s.split(|&b| b == b'.');
        let class = parse_num(parts.next()?, 1)?;
        let subject = parse_num(parts.next()?, 3)?;
        let detail = parse_num(parts.next()?, 3)?;
        if parts.next().is_some() || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(Dsn {
            class: class as u8,
            subject,
            detail,
        })
    }
}

fn parse_num(s: &[u8], max_len: usize) -> Option<u16> {
    if s.is_empty() || s.len() > max_len || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0')))
}

impl fmt::Display for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::Dsn;

    #[test]
    fn dsn_parses_only_well_formed_codes() {
        let d = Dsn::parse(b"5.1.1").unwrap();
        assert_eq!(d.to_string(), "5.1.1");
        assert_eq!(Dsn::parse(b"4.7.650").unwrap().to_string(), "4.7.650");
        assert_eq!(Dsn::parse(b"3.1.1"), None);
        assert_eq!(Dsn::parse(b"5.1"), None);
        assert_eq!(Dsn::parse(b"5.1.1.1"), None);
        assert_eq!(Dsn::parse(b"5.x.1"), None);
        assert_eq!(Dsn::parse(b""), None);
    }
}
