//! `Event`: one recipient's delivery outcome, as the reports count it and as
//! `--format jsonl` prints it.
//!
//! Fields borrow the chunk's bytes while a worker handles them (`Cow`), and
//! are made owned (`into_owned`) only for the few events that outlive their
//! chunk: those waiting for queue-id correlation and those to be printed.

use std::borrow::Cow;
use std::sync::Arc;

use crate::cause::{Cause, Class, Status};
use crate::classify::Dsn;
use crate::parse::Timestamp;

/// Byte strings shared by their content, a table per worker and kind:
/// replies, which deferrals kept for later and incidents' samples hold, and
/// senders and submitters, which open queue ids hold. Each holds the one
/// copy of its text instead of a copy of its own (a busy log repeats few
/// replies: 5,322 distinct among 29,813 deferrals in the first 200 MB of the
/// 5 GB benchmark log; and fewer senders). Strings no one else holds any
/// more are dropped whenever the table has grown by a quarter since it was
/// last trimmed, so it stays near the size of what is in use (trimming at
/// twice that size made the peak RSS 4 MiB more on the 5 GB benchmark log;
/// the 214 trims of that run looked at 1.9 million strings in all).
#[derive(Debug, Default)]
pub struct SharedBytes(std::cell::RefCell<SharedTable>);

#[derive(Debug, Default)]
struct SharedTable {
    shared: hashbrown::HashSet<Arc<[u8]>, rustc_hash::FxBuildHasher>,
    /// Trim when the table grows past this.
    limit: usize,
    /// The string shared last: a deferral shares its reply twice (for its
    /// incident sighting and for its `Kept`), one right after the other,
    /// and one sender's messages often come together.
    last: Option<Arc<[u8]>>,
}

impl SharedBytes {
    /// The shared copy of `bytes`.
    pub fn share(&self, bytes: &[u8]) -> Arc<[u8]> {
        let mut t = self.0.borrow_mut();
        if let Some(last) = t.last.as_ref().filter(|l| ***l == *bytes) {
            return last.clone();
        }
        let shared = match t.shared.get(bytes) {
            Some(r) => r.clone(),
            None => {
                let r: Arc<[u8]> = Arc::from(bytes);
                t.shared.insert(r.clone());
                if t.shared.len() > t.limit {
                    t.shared.retain(|r| Arc::strong_count(r) > 1);
                    t.limit = (t.shared.len() + t.shared.len() / 4).max(1024);
                }
                r
            }
        };
        t.last = Some(shared.clone());
        shared
    }
}

/// Where a line is: its source and its byte offset in the decompressed
/// source. It does not depend on how the input was cut into chunks, so
/// "the first example" is the same for any thread count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub source: u32,
    pub offset: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event<'a> {
    pub time: Timestamp,
    pub position: Position,
    pub host: Cow<'a, [u8]>,
    pub queue_id: Cow<'a, [u8]>,
    /// `None` only for an expiry whose deferrals are not in the input.
    pub recipient: Option<Cow<'a, [u8]>>,
    pub orig_to: Option<Cow<'a, [u8]>>,
    /// Lower-cased; `None` when the recipient has no `@` or is unknown.
    pub domain: Option<Cow<'a, str>>,
    /// From qmgr's `from=<…>` for this queue id; `Some("")` for the null
    /// sender of a bounce message; `None` when the log does not say.
    pub sender: Option<Arc<[u8]>>,
    /// The authenticated submitter (smtpd's `sasl_username=`), if any.
    pub sasl_username: Option<Arc<[u8]>>,
    /// Set by a worker whose chunk did not show whether the message had a
    /// submitter (its smtpd line may be in an earlier chunk): the resolver
    /// completes `sasl_username`.
    pub sasl_unresolved: bool,
    pub status: Status,
    /// The log's `dsn=` field.
    pub dsn: Option<Dsn>,
    /// The SMTP reply code found in the reply text.
    pub smtp_code: Option<u16>,
    pub relay: Option<Cow<'a, [u8]>>,
    pub delay: Option<Cow<'a, [u8]>>,
    /// Set for bounced, deferred and expired events.
    pub cause: Option<Cause>,
    /// The catalogue rule that decided the cause, if a rule did.
    pub rule: Option<u32>,
    /// The parenthesised text as logged.
    pub reply: Option<Cow<'a, [u8]>>,
    /// On an event that ends a deferral history (delivered, bounced or
    /// expired after deferrals): the delivery attempts, this one included
    /// for a delivery or bounce, and the time of the first deferral.
    pub attempts: Option<u32>,
    pub first_deferred: Option<Timestamp>,
}

impl Event<'_> {
    pub fn class(&self) -> Option<Class> {
        self.cause.and_then(|c| Class::of(self.status, c))
    }

    pub fn into_owned(self) -> Event<'static> {
        fn own(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
            Cow::Owned(c.into_owned())
        }
        Event {
            time: self.time,
            position: self.position,
            host: own(self.host),
            queue_id: own(self.queue_id),
            recipient: self.recipient.map(own),
            orig_to: self.orig_to.map(own),
            domain: self.domain.map(|d| Cow::Owned(d.into_owned())),
            sender: self.sender,
            sasl_username: self.sasl_username,
            sasl_unresolved: self.sasl_unresolved,
            status: self.status,
            dsn: self.dsn,
            smtp_code: self.smtp_code,
            relay: self.relay.map(own),
            delay: self.delay.map(own),
            cause: self.cause,
            rule: self.rule,
            reply: self.reply.map(own),
            attempts: self.attempts,
            first_deferred: self.first_deferred,
        }
    }
}

/// The key a domain is counted under: lower-case, without the trailing
/// dot of a fully qualified name, and an internationalised name in its
/// ASCII (punycode) form, so that `Example.COM.` and `example.com`, or
/// `Bücher.example` and `xn--bcher-kva.example`, are one domain (issue 21).
/// Borrowed when the domain already is that. A name IDNA refuses, or
/// invalid UTF-8, is lower-cased as it is (invalid bytes replaced, never
/// dropped).
///
/// ```
/// use bounce_report::event::lower_domain;
/// assert_eq!(lower_domain(b"Mail.Example.COM"), "mail.example.com");
/// assert_eq!(lower_domain(b"Example.COM."), "example.com");
/// assert_eq!(lower_domain(b"b\xffd.example"), "b\u{fffd}d.example");
/// assert_eq!(lower_domain("Bücher.DE".as_bytes()), "xn--bcher-kva.de");
/// assert_eq!(lower_domain(b"XN--BCHER-KVA.de."), "xn--bcher-kva.de");
/// assert!(matches!(lower_domain(b"example.com"), std::borrow::Cow::Borrowed("example.com")));
/// ```
pub fn lower_domain(domain: &[u8]) -> Cow<'_, str> {
    let domain = domain.strip_suffix(b".").unwrap_or(domain);
    if !domain.is_ascii() {
        return Cow::Owned(idn_to_ascii(domain));
    }
    if domain.iter().any(u8::is_ascii_uppercase) {
        return Cow::Owned(
            domain
                .iter()
                .map(|&b| char::from(b.to_ascii_lowercase()))
                .collect(),
        );
    }
    // Every delivery's domain comes here, and `str::from_utf8` checked each
    // a byte at a time (they are too short for its word-at-a-time path):
    // 120 instructions a domain, 1.3% of the 1 GiB benchmark log's run.
    // SAFETY: ASCII, just checked, is UTF-8.
    Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(domain) })
}

/// A non-ASCII domain in its ASCII form (UTS #46, as mail software and
/// browsers map it: lower-cased, normalised, each label punycode), or
/// lower-cased as it is when IDNA refuses it or it is not UTF-8.
#[cold]
fn idn_to_ascii(domain: &[u8]) -> String {
    let ascii = std::str::from_utf8(domain)
        .ok()
        .and_then(|d| idna::domain_to_ascii(d).ok());
    match ascii {
        // A full stop of another script (`。`) maps to `.`: a trailing one
        // is gone only now.
        Some(mut a) if !a.is_empty() => {
            if a.ends_with('.') {
                a.pop();
            }
            a
        }
        _ => lossy(domain).to_lowercase(),
    }
}

/// The bytes as text, invalid UTF-8 replaced by U+FFFD, borrowed when
/// valid. `String::from_utf8_lossy` walks valid text a byte at a time;
/// `str::from_utf8` checks it a word at a time, so it goes first.
///
/// ```
/// use bounce_report::event::lossy;
/// assert_eq!(lossy(b"550 5.1.1 unknown"), "550 5.1.1 unknown");
/// assert_eq!(lossy(b"b\xffd"), "b\u{fffd}d");
/// ```
pub fn lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The relay's host name without `[address]:port`: `mx.example.com[192.0.2.1]:25`
/// → `mx.example.com`; `none`, `local`, `virtual` stay as they are.
///
/// ```
/// use bounce_report::event::relay_host;
/// assert_eq!(relay_host(b"gmail-smtp-in.l.google.com[142.250.1.26]:25"), b"gmail-smtp-in.l.google.com");
/// assert_eq!(relay_host(b"none"), b"none");
/// ```
pub fn relay_host(relay: &[u8]) -> &[u8] {
    match memchr::memchr(b'[', relay) {
        Some(i) if i > 0 => &relay[..i],
        _ => relay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_shared_by_their_bytes_and_dropped_when_no_one_holds_them() {
        let replies = SharedBytes::default();
        let a = replies.share(b"452 4.2.2 Mailbox full");
        let other = replies.share(b"550 5.1.1 User unknown");
        let copy = String::from("452 4.2.2 Mailbox full");
        let b = replies.share(copy.as_bytes());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
        drop(other);
        // Enough distinct replies, none kept, to trim the table twice.
        for i in 0..3000 {
            replies.share(format!("421 4.7.0 try again later [{i}]").as_bytes());
        }
        let t = replies.0.borrow();
        assert!(t.shared.len() <= 1024 + 2, "trimmed: {}", t.shared.len());
        assert!(t.shared.contains(&b"452 4.2.2 Mailbox full"[..]), "still held");
        assert!(
            !t.shared.contains(&b"550 5.1.1 User unknown"[..]),
            "no one holds it"
        );
    }

    #[test]
    fn domains_are_lower_cased_and_borrowed_when_they_already_are() {
        assert!(matches!(
            lower_domain(b"example.com"),
            Cow::Borrowed("example.com")
        ));
        assert_eq!(lower_domain(b"SEYNAM.CZ"), "seynam.cz");
        assert_eq!(lower_domain(b"b\xffd.example"), "b\u{fffd}d.example");
    }

    #[test]
    fn domains_lose_their_trailing_dot_and_international_ones_are_punycode() {
        for spelling in [
            "bücher.example",
            "Bücher.Example.",
            "BÜCHER.EXAMPLE",
            "xn--bcher-kva.example",
            "XN--BCHER-KVA.EXAMPLE.",
            // u and a combining diaeresis: NFC makes it ü.
            "bu\u{308}cher.example",
            "bücher。example",
            "bücher.example。",
        ] {
            assert_eq!(
                lower_domain(spelling.as_bytes()),
                "xn--bcher-kva.example",
                "{spelling}"
            );
        }
        assert!(matches!(
            lower_domain(b"example.com."),
            Cow::Borrowed("example.com")
        ));
        assert_eq!(lower_domain(b"."), "");
        assert_eq!(lower_domain(b"ex ample\xc3.COM"), "ex ample\u{fffd}.com");
    }

    #[test]
    fn relay_host_drops_address_and_port() {
        assert_eq!(relay_host(b"mx.example.com[192.0.2.1]:25"), b"mx.example.com");
        assert_eq!(
            relay_host(b"mail.example.net[private/dovecot-lmtp]"),
            b"mail.example.net"
        );
        assert_eq!(relay_host(b"none"), b"none");
        assert_eq!(relay_host(b"[192.0.2.1]:25"), b"[192.0.2.1]:25");
    }
}
