//! `bounce-report suppress`: the recipients to stop mailing, as CSV a
//! mailing-list tool imports as is. An address is on the list when it has a
//! hard event (SPEC "Expired events and classes": bounced or expired with
//! user_unknown, host_unknown, not_accept, has_moved or suspend), or, with
//! `--causes`, a bounce or expiry of one of the causes named.
//! Addresses are the same when they differ only in the case of the domain,
//! as mail systems compare them.
//!
//! A hard cause needs evidence about the recipient, because the list makes
//! an operator stop mailing real people ([`Evidence`]):
//!
//! - a refusal at the connection level (greeting, HELO, STARTTLS) or the
//!   sender level (MAIL FROM, AUTH) is about us, never about the address:
//!   such an event never lists it (the classifier already turns a "user
//!   unknown" at MAIL FROM into `rejected`; a 521 "does not accept mail" at
//!   the greeting stays `not_accept`, hard, and is still not listed);
//! - Postfix's own "Host not found" (NXDOMAIN) for a domain is our resolver's
//!   word: it lists nobody at a domain that the same run delivered to, nor
//!   in a stretch of time when such failures were as many as the
//!   deliveries ([`DnsWatch`]): both say our resolver failed, and are
//!   named on stderr instead.

use std::io::{self, Write};

use crate::cause::{Cause, Class, Status};
use crate::classify::{Anatomy, Level, Origin};
use crate::event::{lossy, Event};
use crate::our_dns::{domain_hash, DnsWatch};
use crate::parse::Timestamp;
use crate::report::escape::csv_record;

/// One address on the list, read from the list's compact record (`Slot`) for output.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// As first logged.
    pub address: &'a str,
    pub domain: Option<&'a str>,
    pub count: u64,
    pub cause: Cause,
    pub first: Timestamp,
    pub last: Timestamp,
    pub last_reply: String,
}

/// One address on the list as it is held, 56 bytes and one allocation of
/// its own (the address and its domain): the list is exact, so it holds one
/// slot per address listed, and a million addresses take about 120 MiB
/// (issue 21; before, four strings and a map entry, about 550 bytes each).
#[derive(Debug, Clone)]
struct Slot {
    /// The address as first logged, then the domain.
    text: Box<str>,
    address_len: u32,
    /// The last reply: an index into [`Templates`].
    reply: u32,
    /// Events, saturating at `u32::MAX`.
    count: u32,
    first_unix: i64,
    last_unix: i64,
    first_offset: i32,
    last_offset: i32,
    cause: u8,
    /// Bit 0: the domain is known; bit 1: every listing event was Postfix's
    /// own DNS "Host not found" (listed only if [`DnsWatch`] clears the
    /// domain).
    flags: u8,
}

const HAS_DOMAIN: u8 = 1;
const BY_OUR_DNS: u8 = 2;

impl Slot {
    fn address(&self) -> &str {
        &self.text[..self.address_len as usize]
    }
    fn domain(&self) -> Option<&str> {
        (self.flags & HAS_DOMAIN != 0).then(|| &self.text[self.address_len as usize..])
    }
    fn by_our_dns(&self) -> bool {
        self.flags & BY_OUR_DNS != 0
    }
    fn first(&self) -> Timestamp {
        Timestamp {
            unix: self.first_unix,
            offset: self.first_offset,
        }
    }
}

/// Stands for the recipient's address in a reply template.
const ADDRESS_MARK: char = '\u{1}';
/// Stands for the recipient's domain in a reply template.
const DOMAIN_MARK: char = '\u{2}';

/// The last replies, each held once as a template: the text with the
/// recipient's address and domain replaced by marks, so that "550 5.1.1
/// <bob@example.com>: User unknown" is one template for every address of a
/// domain that answers so. A reply that holds a mark's character itself is
/// kept as it is (and never filled in). Grows with the distinct templates
/// among the listing events' replies, at most one a listing event.
#[derive(Debug, Default)]
struct Templates {
    texts: Vec<Box<str>>,
    /// Indices into `texts`, by the hash of the text.
    index: hashbrown::HashTable<u32>,
}

fn fx(s: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

impl Templates {
    /// The template of `reply` to `address` at `domain`, interned. Its
    /// first character says what it is: `t` a template, `v` a reply held
    /// as it is (it holds a mark's character itself).
    fn intern(&mut self, reply: &str, address: &str, domain: Option<&str>) -> u32 {
        let template = if reply.contains([ADDRESS_MARK, DOMAIN_MARK]) {
            format!("v{reply}")
        } else {
            let mut t = reply.to_string();
            if !address.is_empty() && t.contains(address) {
                t = t.replace(address, &ADDRESS_MARK.to_string());
            }
            if let Some(d) = domain.filter(|d| !d.is_empty() && t.contains(*d)) {
                t = t.replace(d, &DOMAIN_MARK.to_string());
            }
            format!("t{t}")
        };
        let hash = fx(&template);
        let texts = &self.texts;
        if let Some(&i) = self.index.find(hash, |&i| *texts[i as usize] == *template) {
            return i;
        }
        let i = u32::try_from(self.texts.len()).expect("fewer than 4 billion reply templates");
        self.texts.push(template.into_boxed_str());
        let texts = &self.texts;
        self.index.insert_unique(hash, i, |&j| fx(&texts[j as usize]));
        i
    }

    /// Template `i` filled in for `address` at `domain`.
    fn fill(&self, i: u32, address: &str, domain: Option<&str>) -> String {
        let t = &*self.texts[i as usize];
        if let Some(verbatim) = t.strip_prefix('v') {
            return verbatim.to_string();
        }
        let t = t.strip_prefix('t').unwrap_or(t);
        let mut out = String::with_capacity(t.len() + 2 * address.len());
        for c in t.chars() {
            match c {
                ADDRESS_MARK => out.push_str(address),
                DOMAIN_MARK => out.push_str(domain.unwrap_or("")),
                c => out.push(c),
            }
        }
        out
    }
}

/// The key addresses are the same under: the domain part lower-cased.
fn key_of(address: &str) -> std::borrow::Cow<'_, str> {
    match address.rfind('@') {
        Some(at) if address[at..].chars().any(char::is_uppercase) => {
            format!("{}{}", &address[..at], address[at..].to_lowercase()).into()
        }
        _ => address.into(),
    }
}

/// What a hard event says about its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A refusal at RCPT TO or later, a local delivery's verdict, a null MX.
    Recipient,
    /// Postfix's own DNS lookup found no such host: the domain, or our
    /// resolver (checked at the end of the run).
    OurDns,
    /// A refusal of our connection or our sender: nothing about the address.
    NotRecipient,
}

impl Evidence {
    /// What `reply` (a hard event's text) says about its recipient.
    pub fn of(reply: &[u8], cause: Cause) -> Evidence {
        let anatomy = Anatomy::read(reply);
        match anatomy.stage.map(|s| s.level()) {
            Some(Level::Connection | Level::Sender) => Evidence::NotRecipient,
            _ if anatomy.origin == Origin::Postfix && cause == Cause::HostUnknown => Evidence::OurDns,
            _ => Evidence::Recipient,
        }
    }
}

/// Collects the list from events in log order.
#[derive(Debug, Default)]
pub struct List {
    /// The causes that put an address on the list; `None`: the hard ones.
    causes: Option<Vec<Cause>>,
    /// One slot per address listed (exact: grows with the distinct
    /// addresses with a listing event, 56 bytes and the address each).
    slots: Vec<Slot>,
    /// Indices into `slots`, by the hash of the address's [`key_of`].
    index: hashbrown::HashTable<u32>,
    /// The slots' last replies.
    replies: Templates,
    resolver: DnsWatch,
    /// Listing events whose recipient is empty (`to=<>`): counted, never
    /// listed, as an empty address cannot be unsubscribed (issue 21).
    empty_recipients: u64,
}

impl List {
    pub fn new(causes: Option<Vec<Cause>>) -> List {
        List {
            causes,
            slots: Vec::new(),
            index: hashbrown::HashTable::new(),
            replies: Templates::default(),
            resolver: DnsWatch::default(),
            empty_recipients: 0,
        }
    }

    fn wanted(&self, e: &Event<'_>) -> Option<Cause> {
        let cause = e.cause?;
        if !matches!(e.status, Status::Bounced | Status::Expired) {
            return None;
        }
        let listed = match &self.causes {
            Some(causes) => causes.contains(&cause),
            None => Class::of(e.status, cause) == Some(Class::Hard),
        };
        listed.then_some(cause)
    }

    pub fn add(&mut self, e: &Event<'_>) {
        let wanted = self.wanted(e);
        let evidence = wanted.map(|c| Evidence::of(e.reply.as_deref().unwrap_or_default(), c));
        if let Some(domain) = e.domain.as_deref() {
            match (e.status, e.reply.as_deref()) {
                (Status::Sent, _) => self.resolver.delivered(domain_hash(domain), e.time.unix),
                (_, Some(reply)) => self.resolver.failed(domain, e.time.unix, reply),
                _ => {}
            }
        }
        if evidence == Some(Evidence::NotRecipient) {
            return;
        }
        let by_our_dns = evidence == Some(Evidence::OurDns);
        let (Some(cause), Some(recipient)) = (wanted, e.recipient.as_deref()) else {
            return;
        };
        if recipient.trim_ascii().is_empty() {
            self.empty_recipients += 1;
            return;
        }
        let address = lossy(recipient);
        let key = key_of(&address);
        let reply = e.reply.as_deref().map(lossy).unwrap_or_default();
        let hash = fx(&key);
        let slots = &self.slots;
        let found = self
            .index
            .find(hash, |&i| key_of(slots[i as usize].address()) == key)
            .copied();
        match found {
            Some(i) => {
                let slot = &self.slots[i as usize];
                let reply = self.replies.intern(&reply, slot.address(), slot.domain());
                let slot = &mut self.slots[i as usize];
                slot.count = slot.count.saturating_add(1);
                slot.cause = cause.index() as u8;
                slot.last_unix = e.time.unix;
                slot.last_offset = e.time.offset;
                slot.reply = reply;
                if !by_our_dns {
                    slot.flags &= !BY_OUR_DNS;
                }
            }
            None => {
                let domain = e.domain.as_deref();
                let reply = self.replies.intern(&reply, &address, domain);
                let i = u32::try_from(self.slots.len()).expect("fewer than 4 billion addresses");
                self.slots.push(Slot {
                    text: format!("{address}{}", domain.unwrap_or("")).into_boxed_str(),
                    address_len: address.len() as u32,
                    reply,
                    count: 1,
                    first_unix: e.time.unix,
                    last_unix: e.time.unix,
                    first_offset: e.time.offset,
                    last_offset: e.time.offset,
                    cause: cause.index() as u8,
                    flags: if domain.is_some() { HAS_DOMAIN } else { 0 }
                        | if by_our_dns { BY_OUR_DNS } else { 0 },
                });
                let slots = &self.slots;
                self.index
                    .insert_unique(hash, i, |&j| fx(&key_of(slots[j as usize].address())));
            }
        }
    }

    /// The slots to write (at least `min_count` events, not our resolver's
    /// fault), by domain and address, for `write_csv` to write one at a
    /// time.
    fn listed(&self, min_count: u64) -> Vec<&Slot> {
        let mut v: Vec<&Slot> = self
            .slots
            .iter()
            .filter(|e| u64::from(e.count) >= min_count && !self.resolver_fault(e))
            .collect();
        v.sort_by(|a, b| a.domain().cmp(&b.domain()).then(a.address().cmp(b.address())));
        v
    }

    /// The entries with at least `min_count` events, by domain and address;
    /// those whose only evidence is our resolver's failure are left out.
    pub fn entries(&self, min_count: u64) -> Vec<Entry<'_>> {
        self.listed(min_count)
            .into_iter()
            .map(|s| self.entry(s))
            .collect()
    }

    fn entry<'a>(&'a self, s: &'a Slot) -> Entry<'a> {
        Entry {
            address: s.address(),
            domain: s.domain(),
            count: u64::from(s.count),
            cause: Cause::ALL[s.cause as usize],
            first: s.first(),
            last: Timestamp {
                unix: s.last_unix,
                offset: s.last_offset,
            },
            last_reply: self.replies.fill(s.reply, s.address(), s.domain()),
        }
    }

    fn resolver_fault(&self, e: &Slot) -> bool {
        e.by_our_dns()
            && e.domain()
                .is_some_and(|d| self.resolver.blames_resolver(d, e.first_unix))
    }

    /// How many events would have listed an empty recipient (`to=<>`).
    pub fn empty_recipients(&self) -> u64 {
        self.empty_recipients
    }

    /// The addresses and domains left off because our resolver, not the
    /// domain, failed: `(addresses, domains)`, for a word on stderr.
    pub fn left_off_by_resolver(&self) -> (usize, Vec<&str>) {
        let mut domains: Vec<&str> = Vec::new();
        let mut addresses = 0;
        for e in self.slots.iter().filter(|e| self.resolver_fault(e)) {
            addresses += 1;
            if let Some(d) = e.domain() {
                domains.push(d);
            }
        }
        domains.sort_unstable();
        domains.dedup();
        (addresses, domains)
    }

    /// Writes the CSV: a header, then one address per row, every cell
    /// through [`csv_record`] (controls shown as escapes, formula cells
    /// guarded: the list is printed to a terminal by default and opened in
    /// spreadsheets).
    pub fn write_csv(&self, min_count: u64, mask: bool, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        csv_record(
            &mut w,
            [
                "address",
                "domain",
                "cause",
                "count",
                "first_seen",
                "last_seen",
                "last_reply",
            ],
        )?;
        for slot in self.listed(min_count) {
            // One entry at a time: its reply filled in only to be written.
            let e = self.entry(slot);
            let (address, reply) = if mask {
                let local = crate::mask::local_part(e.address).to_string();
                (
                    crate::mask::address(e.address),
                    crate::mask::text(&e.last_reply, &[local.as_str()]).into_owned(),
                )
            } else {
                (e.address.to_string(), e.last_reply)
            };
            csv_record(
                &mut w,
                [
                    address.as_str(),
                    e.domain.unwrap_or(""),
                    e.cause.as_str(),
                    &e.count.to_string(),
                    &e.first.rfc3339(),
                    &e.last.rfc3339(),
                    &reply,
                ],
            )?;
        }
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_templates_give_back_every_reply_exactly() {
        let mut t = Templates::default();
        let cases = [
            (
                "550 5.1.1 <bob@example.com>: User unknown",
                "bob@example.com",
                Some("example.com"),
            ),
            (
                "550 5.1.1 <ann@example.com>: User unknown",
                "ann@example.com",
                Some("example.com"),
            ),
            (
                "host mx.example.com[192.0.2.1] said: 550 no",
                "eve@example.com",
                Some("example.com"),
            ),
            (
                "example.com starts it, bob@example.com twice bob@example.com",
                "bob@example.com",
                Some("example.com"),
            ),
            (
                "a mark \u{1} and \u{2} of its own <bob@example.com>",
                "bob@example.com",
                Some("example.com"),
            ),
            ("tNo address at all", "x@y", None),
            ("", "", None),
            (
                "550 <Bob@Example.COM> unknown",
                "Bob@Example.COM",
                Some("example.com"),
            ),
        ];
        let ids: Vec<u32> = cases.iter().map(|(r, a, d)| t.intern(r, a, *d)).collect();
        for ((r, a, d), &i) in cases.iter().zip(&ids) {
            assert_eq!(t.fill(i, a, *d), *r);
        }
        assert_eq!(
            ids[0], ids[1],
            "one template for every address of a domain answering alike"
        );
        assert_eq!(t.texts.len(), cases.len() - 1);
    }

    #[test]
    fn a_slot_is_small() {
        assert!(
            std::mem::size_of::<Slot>() <= 56,
            "{}",
            std::mem::size_of::<Slot>()
        );
    }
}
