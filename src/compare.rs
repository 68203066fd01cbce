//! `--compare PREVIOUS.json`: what is new, up or down against an earlier
//! run's `--format json` output, per recipient domain and per cause.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::aggregate::{StatusCounts, Summary};
use crate::cause::Cause;

/// What the earlier run counted: its totals, and the failures (bounced +
/// deferred + expired) per domain and per cause.
#[derive(Debug, Default, Clone)]
pub struct Previous {
    pub name: String,
    pub domains: HashMap<String, u64>,
    pub causes: HashMap<String, u64>,
    pub totals: StatusCounts,
}

#[derive(Deserialize)]
struct Json {
    totals: Counts,
    by_domain: Vec<Named>,
    by_cause: Vec<CauseRow>,
}

#[derive(Deserialize)]
struct Counts {
    #[serde(default)]
    sent: u64,
    #[serde(default)]
    bounced: u64,
    #[serde(default)]
    deferred: u64,
    #[serde(default)]
    expired: u64,
}

impl Counts {
    fn failures(&self) -> u64 {
        self.bounced + self.deferred + self.expired
    }
}

#[derive(Deserialize)]
struct Named {
    domain: Option<String>,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Deserialize)]
struct CauseRow {
    cause: String,
    #[serde(flatten)]
    counts: Counts,
}

/// A previous report that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("--compare {path}: {why}")]
pub struct BadPrevious {
    pub path: String,
    pub why: String,
}

impl Previous {
    pub fn load(path: &Path) -> Result<Previous, BadPrevious> {
        let bad = |why: String| BadPrevious {
            path: path.display().to_string(),
            why,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let json: Json = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not a bounce-report --format json output ({e})")))?;
        Ok(Previous {
            name: path.display().to_string(),
            totals: StatusCounts([
                json.totals.sent,
                json.totals.bounced,
                json.totals.deferred,
                json.totals.expired,
            ]),
            domains: json
                .by_domain
                .into_iter()
                .map(|d| (d.domain.unwrap_or_default(), d.counts.failures()))
                .collect(),
            causes: json
                .by_cause
                .into_iter()
                .map(|c| (c.cause, c.counts.failures()))
                .collect(),
        })
    }

    pub fn domain(&self, domain: Option<&str>) -> Option<u64> {
        self.domains.get(domain.unwrap_or("")).copied()
    }

    pub fn cause(&self, cause: Cause) -> Option<u64> {
        self.causes.get(cause.as_str()).copied()
    }
}

/// How a count moved since the earlier run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Not in the earlier run (or zero there).
    New,
    Up(u64),
    Down(u64),
    Same,
}

impl Change {
    pub fn between(before: Option<u64>, now: u64) -> Change {
        match before.unwrap_or(0) {
            0 if now > 0 => Change::New,
            b if now > b => Change::Up(now - b),
            b if now < b => Change::Down(b - now),
            _ => Change::Same,
        }
    }

    /// `new`, `+12 (+40%)`, `-3 (-10%)`, `=`.
    pub fn show(self, before: Option<u64>) -> String {
        let pct = |d: u64| match before {
            Some(b) if b > 0 => format!(" ({:.0}%)", d as f64 * 100.0 / b as f64),
            _ => String::new(),
        };
        match self {
            Change::New => "new".into(),
            Change::Up(d) => format!("+{d}{}", pct(d).replace(" (", " (+")),
            Change::Down(d) => format!("-{d}{}", pct(d).replace(" (", " (-")),
            Change::Same => "=".into(),
        }
    }
}

/// Domains and causes that had failures before and have none now; domains
/// with the most failures before come first.
pub fn gone(previous: &Previous, now: &Summary) -> (Vec<String>, Vec<String>) {
    let mut domains: Vec<(&String, u64)> = previous
        .domains
        .iter()
        .filter(|(d, &n)| {
            n > 0
                && now
                    .by_domain
                    .get(d.as_str())
                    .is_none_or(|s| s.counts.failures() == 0)
        })
        .map(|(d, &n)| (d, n))
        .collect();
    domains.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let domains = domains.into_iter().map(|(d, _)| d.clone()).collect();
    let mut causes: Vec<String> = previous
        .causes
        .iter()
        .filter(|(c, &n)| {
            n > 0
                && c.parse::<Cause>()
                    .map_or(true, |c| now.by_cause[c.index()].counts.failures() == 0)
        })
        .map(|(c, _)| c.clone())
        .collect();
    causes.sort();
    (domains, causes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes() {
        assert_eq!(Change::between(None, 3), Change::New);
        assert_eq!(Change::between(Some(0), 3), Change::New);
        assert_eq!(Change::between(Some(10), 14), Change::Up(4));
        assert_eq!(Change::between(Some(10), 7), Change::Down(3));
        assert_eq!(Change::between(Some(5), 5), Change::Same);
        assert_eq!(Change::between(None, 0), Change::Same);
        assert_eq!(Change::Up(4).show(Some(10)), "+4 (+40%)");
        assert_eq!(Change::Down(3).show(Some(10)), "-3 (-30%)");
        assert_eq!(Change::New.show(None), "new");
    }
}
