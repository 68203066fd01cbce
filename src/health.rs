//! The server's own trouble, as pflogsumm shows it: Postfix `warning:`,
//! `error:`, `fatal:` and `panic:` lines, and smtpd's `NOQUEUE: reject:`
//! refusals of mail offered to us, each grouped by its text with the parts
//! that vary (addresses, IP addresses, numbers, ids, host names in
//! warnings) masked, and counted with their first and last time.
//!
//! No line is kept as logged: the masked text names the group, so no
//! address reaches any output (`--mask` has nothing to hide here).
//!
//! Bounds: per severity an exact count; at most [`MAX_GROUPS`] groups, each
//! named by at most [`MAX_TEXT`] bytes; lines of a group past the limit are
//! counted in `ungrouped` (exact totals, incomplete grouping, said in the
//! report).

use rustc_hash::FxHashMap as HashMap;

use crate::event::lossy;
use crate::parse::{ServerKind, ServerLine};

/// Distinct groups kept per kind of line (warnings and the rest, rejects).
pub const MAX_GROUPS: usize = 2_000;
/// Bytes of a line read to name its group.
pub const MAX_TEXT: usize = 600;

/// One group of like lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub kind: ServerKind,
    /// The Postfix service that logged it (`smtpd`, `cleanup`, …).
    pub service: String,
    /// The text with its varying parts masked: the group's name.
    pub text: String,
    pub count: u64,
    /// Seconds since the epoch.
    pub first: i64,
    pub last: i64,
}

/// What the server said about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Lines per kind: warning, error, fatal, panic, reject.
    pub counts: [u64; 5],
    /// By kind, service and masked text, joined in one string.
    groups: HashMap<String, Group>,
    /// Lines not grouped because [`MAX_GROUPS`] groups were full.
    pub ungrouped: u64,
}

fn index(kind: ServerKind) -> usize {
    kind as usize
}

/// The start of a group's key in [`Health`]'s map: kind and service, then
/// the masked text is written after it.
fn key_prefix(kind: ServerKind, service: &str, key: &mut String) {
    key.push(char::from(b'0' + index(kind) as u8));
    key.push_str(service);
    key.push('\u{1}');
}

impl Health {
    pub fn count(&self, kind: ServerKind) -> u64 {
        self.counts[index(kind)]
    }

    /// All lines counted, every kind.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    pub fn see(&mut self, line: &ServerLine<'_>) {
        self.counts[index(line.kind)] += 1;
        let text = lossy(&line.text[..line.text.len().min(MAX_TEXT)]);
        let service = lossy(line.service);
        let t = line.time.unix;
        // The key (kind, service, masked text) is made in a buffer kept for
        // the thread: a line of a known group allocates nothing.
        thread_local!(static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) });
        KEY.with_borrow_mut(|key| {
            key.clear();
            key_prefix(line.kind, &service, key);
            let name_at = key.len();
            match line.kind {
                ServerKind::Reject => reject_name_into(&text, key),
                _ => mask_into(&text, true, key),
            }
            if let Some(g) = self.groups.get_mut(key.as_str()) {
                g.count += 1;
                g.first = g.first.min(t);
                g.last = g.last.max(t);
                return;
            }
            if self.groups.len() >= MAX_GROUPS {
                self.ungrouped += 1;
                return;
            }
            let group = Group {
                kind: line.kind,
                service: service.into_owned(),
                text: key[name_at..].to_string(),
                count: 1,
                first: t,
                last: t,
            };
            self.groups.insert(key.clone(), group);
        });
    }

    /// Adds groups and counts read back from a JSON summary (`merge`):
    /// `counts` per kind as [`Health::count`] gives them, the lines left
    /// ungrouped, and the groups with their kind, service and text.
    pub fn add_counted(&mut self, counts: [u64; 5], ungrouped: u64, groups: Vec<Group>) {
        let mut other = Health {
            counts,
            ungrouped,
            groups: HashMap::default(),
        };
        for g in groups {
            let mut key = String::new();
            key_prefix(g.kind, &g.service, &mut key);
            key.push_str(&g.text);
            match other.groups.get_mut(&key) {
                Some(mine) => {
                    mine.count += g.count;
                    mine.first = mine.first.min(g.first);
                    mine.last = mine.last.max(g.last);
                }
                None => {
                    other.groups.insert(key, g);
                }
            }
        }
        self.merge(other);
    }

    pub fn merge(&mut self, other: Health) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.ungrouped += other.ungrouped;
        for (key, g) in other.groups {
            if let Some(mine) = self.groups.get_mut(&key) {
                mine.count += g.count;
                mine.first = mine.first.min(g.first);
                mine.last = mine.last.max(g.last);
            } else if self.groups.len() < MAX_GROUPS {
                self.groups.insert(key, g);
            } else {
                self.ungrouped += g.count;
            }
        }
    }

    /// The groups of the server's own messages (warning, error, fatal,
    /// panic): the gravest first, then the commonest, then by text.
    pub fn messages(&self) -> Vec<&Group> {
        self.sorted(|k| k != ServerKind::Reject)
    }

    /// smtpd's refusals, the commonest first.
    pub fn rejects(&self) -> Vec<&Group> {
        self.sorted(|k| k == ServerKind::Reject)
    }

    fn sorted(&self, keep: impl Fn(ServerKind) -> bool) -> Vec<&Group> {
        let mut v: Vec<&Group> = self.groups.values().filter(|g| keep(g.kind)).collect();
        v.sort_by(|a, b| {
            b.kind
                .cmp(&a.kind)
                .then(b.count.cmp(&a.count))
                .then_with(|| a.service.cmp(&b.service))
                .then_with(|| a.text.cmp(&b.text))
        });
        v
    }

    /// Whether our own server refused mail for want of disk space: smtpd's
    /// `452 4.3.1 Insufficient system storage`, or a warning that the queue
    /// file system is full.
    pub fn disk_full(&self) -> u64 {
        self.groups
            .values()
            .filter(|g| {
                let t = g.text.to_ascii_lowercase();
                t.contains("insufficient system storage") || t.contains("not enough free space")
            })
            .map(|g| g.count)
            .sum()
    }
}

/// A token's shape: what it stands for when it varies.
fn mask_token(token: &str, hosts: bool) -> Option<&'static str> {
    let core = token.trim_matches(|c: char| "<>()\"',;:=".contains(c));
    if core.is_empty() || core.starts_with('/') {
        return None;
    }
    if core.contains('@') {
        return Some("<address>");
    }
    if core.contains('[') && core.ends_with(']') || core.contains("]:") {
        return Some("<client>");
    }
    let digits = core.bytes().filter(u8::is_ascii_digit).count();
    if core.contains("://") {
        // Often names the recipient's domain or our IP: one group for all.
        return Some("<url>");
    }
    // An enhanced status code (`5.7.1`) stays, as the reply code does; the
    // classifier's own reading of one decides.
    if crate::classify::anatomy::dsn_at(core.as_bytes(), 0).is_some_and(|(_, end)| end == core.len()) {
        return None;
    }
    if digits > 0
        && core
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && (core.contains('.') || core.contains(':'))
    {
        return Some("<ip>");
    }
    if digits == core.len() {
        // A reply code stays: it tells refusals apart.
        let code = core.len() == 3 && matches!(core.as_bytes()[0], b'2' | b'4' | b'5');
        return (!code).then_some("<n>");
    }
    if digits > 0 && core.len() >= 8 {
        return Some("<id>");
    }
    // A host name: dotted labels, none empty, the last one letters only.
    let tld = core.rsplit('.').next().unwrap_or_default();
    if hosts
        && !core.contains('/')
        && !core.contains('_')
        && core.contains('.')
        && !core.starts_with('.')
        && !core.contains("..")
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return Some("<host>");
    }
    None
}

fn mask_into(text: &str, hosts: bool, out: &mut String) {
    for (i, token) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match mask_token(token, hosts) {
            Some(m) => {
                // Keep the punctuation that ends a clause.
                out.push_str(m);
                if let Some(c) = token.chars().last().filter(|c| ",;:".contains(*c)) {
                    out.push(c);
                }
            }
            None => out.push_str(token),
        }
    }
}

/// The name of a warning's group: host names masked too, paths kept.
#[cfg(test)]
fn warning_name(text: &str) -> String {
    let mut s = String::new();
    mask_into(text, true, &mut s);
    s
}

/// The name of a refusal's group: `RCPT: 554 5.7.1 Relay access denied`,
/// from `RCPT from host[ip]: 554 5.7.1 <addr>: Relay access denied;
/// from=<…> to=<…> proto=ESMTP helo=<…>`. Host names in the reason stay
/// (`blocked using zen.spamhaus.org` names the list).
#[cfg(test)]
fn reject_name(text: &str) -> String {
    let mut s = String::new();
    reject_name_into(text, &mut s);
    s
}

/// Writes [`reject_name`]'s text to `out`.
fn reject_name_into(text: &str, out: &mut String) {
    // Postfix appends the envelope: `; from=<…> to=<…> proto=… helo=<…>`
    // (at MAIL FROM and before, from `proto=` on).
    let text = ["; from=<", "; proto="]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .map_or(text, |i| &text[..i]);
    let (stage, rest) = match text.split_once(" from ") {
        // The client, `host[ip]: ` (smtpd) or `[ip]:port: ` (postscreen).
        Some((stage, rest)) => (
            stage,
            rest.find(']')
                .and_then(|i| rest[i..].find(": ").map(|j| &rest[i + j + 2..]))
                .unwrap_or(rest),
        ),
        None => ("", text),
    };
    let stage = stage.trim();
    if !stage.is_empty() {
        out.push_str(stage);
        out.push_str(": ");
    }
    // The subject before the reason: `<bob@example.com>: `, `<host[ip]>: `.
    match rest.find(">: ") {
        Some(i) if rest[..i].contains('<') => {
            let open = rest[..i].find('<').unwrap_or(0);
            let before = rest[..open].trim_end();
            if !before.is_empty() {
                mask_into(before, false, out);
                out.push(' ');
            }
            mask_into(&rest[i + 3..], false, out);
        }
        _ => mask_into(rest, false, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_group_by_their_fixed_words() {
        assert_eq!(
            warning_name(
                "hostname mail.example.com does not resolve to address 192.0.2.7: Name or service not known"
            ),
            "hostname <host> does not resolve to address <ip>: Name or service not known"
        );
        assert_eq!(
            warning_name("database /etc/postfix/virtual_domains.db is older than source file /etc/postfix/virtual_domains"),
            "database /etc/postfix/virtual_domains.db is older than source file /etc/postfix/virtual_domains"
        );
        assert_eq!(
            warning_name("unknown[192.0.2.7]: SASL LOGIN authentication failed: authentication failure"),
            "<client>: SASL LOGIN authentication failed: authentication failure"
        );
    }

    #[test]
    fn rejects_group_by_stage_code_and_reason() {
        assert_eq!(
            reject_name("RCPT from unknown[192.0.2.7]: 554 5.7.1 <bob@example.com>: Relay access denied; from=<a@example.org> to=<bob@example.com> proto=ESMTP helo=<x>"),
            "RCPT: 554 5.7.1 Relay access denied"
        );
        assert_eq!(
            reject_name("RCPT from mail.example.net[198.51.100.2]: 452 4.3.1 Insufficient system storage; from=<a@example.org> to=<bob@example.com> proto=ESMTP helo=<mail.example.net>"),
            "RCPT: 452 4.3.1 Insufficient system storage"
        );
        assert_eq!(
            reject_name("RCPT from unknown[198.51.100.2]: 554 5.7.1 Service unavailable; Client host [198.51.100.2] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.2; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<x>"),
            "RCPT: 554 5.7.1 Service unavailable; Client host <client> blocked using zen.spamhaus.org; <url>"
        );
    }
}
