//! One log line → [`Parsed`]: a Postfix delivery or queue-manager record
//! borrowing the line's bytes, another program's line, or a malformed one.
//!
//! Only the lines this tool needs are parsed: delivery status lines
//! (`QID: to=<…>, relay=…, dsn=…, status=… (text)`) from every delivery agent,
//! and qmgr's `from=<…>`, `status=expired` and `removed` lines, which carry
//! the sender and the expiry that events are correlated with by queue id.
//! Deciding what the reply text means is `classify`'s job.

pub mod journal;
pub mod time;

pub use time::{TimeCache, Timestamp, YearContext};

use memchr::memmem;

/// Whether a service is a delivery agent, whose status lines are deliveries
/// (the last component of the syslog tag: `postfix/amavis/smtp` is `smtp`).
/// `qmgr` also writes `to=` lines in some versions and setups; the real
/// corpus counts them. A `match`, which tests the length first, not a list
/// compared entry by entry.
fn is_delivery_agent(service: &[u8]) -> bool {
    matches!(
        service,
        b"smtp"
            | b"lmtp"
            | b"local"
            | b"virtual"
            | b"pipe"
            | b"error"
            | b"retry"
            | b"discard"
            | b"relay"
            | b"qmgr"
    )
}

/// What one line is.
#[derive(Debug, PartialEq)]
pub enum Parsed<'a> {
    /// A Postfix record this tool uses.
    Record(Record<'a>),
    /// Anything else: other programs, other Postfix lines, blank lines.
    Other,
    /// Looks like a Postfix delivery or qmgr record but cannot be read
    /// (no timestamp, cut short before `status=`, an unknown status).
    Malformed,
}

/// A Postfix line with the parts every record has.
#[derive(Debug, PartialEq)]
pub struct Record<'a> {
    pub time: Timestamp,
    pub host: &'a [u8],
    /// The whole syslog tag without the pid: `postfix/submission/smtpd`.
    pub program: &'a [u8],
    pub queue_id: &'a [u8],
    pub body: Body<'a>,
}

#[derive(Debug, PartialEq)]
pub enum Body<'a> {
    Delivery(Delivery<'a>),
    /// qmgr `QID: from=<sender>, size=…, nrcpt=… (queue active)`.
    From {
        sender: &'a [u8],
    },
    /// qmgr `QID: from=<sender>, status=expired, returned to sender`, or
    /// `status=force-expired` after `postsuper -e`, which counts the same.
    Expired {
        sender: &'a [u8],
    },
    /// qmgr `QID: removed`: the queue id is free for reuse.
    Removed,
    /// smtpd `QID: client=…, sasl_method=…, sasl_username=…`: who submitted
    /// the message, when the client authenticated.
    Client {
        sasl_username: &'a [u8],
    },
}

/// The `status=` word of a delivery line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Sent,
    Bounced,
    Deferred,
    /// A per-recipient `status=expired`, which old Postfix versions wrote.
    Expired,
    /// `status=deliverable|undeliverable`: an address-verification probe,
    /// not mail (SPEC "Input lines").
    Probe,
}

#[derive(Debug, PartialEq)]
pub struct Delivery<'a> {
    /// The address inside `to=<…>` (may be empty).
    pub to: &'a [u8],
    pub orig_to: Option<&'a [u8]>,
    pub relay: Option<&'a [u8]>,
    pub delay: Option<&'a [u8]>,
    pub delays: Option<&'a [u8]>,
    pub dsn: Option<&'a [u8]>,
    pub conn_use: Option<&'a [u8]>,
    pub status: DeliveryStatus,
    /// The parenthesised text after the status, without the parentheses.
    /// It may hold parentheses and `status=` itself.
    pub text: Option<&'a [u8]>,
}

impl<'a> Delivery<'a> {
    /// The recipient's domain: after the last `@`, or `None` without one.
    /// Not yet lower-cased.
    pub fn domain(&self) -> Option<&'a [u8]> {
        domain_of(self.to)
    }
}

/// The text after the last `@` of an address, if it has one and it is not empty.
pub fn domain_of(address: &[u8]) -> Option<&[u8]> {
    let at = memchr::memrchr(b'@', address)?;
    let domain = &address[at + 1..];
    (!domain.is_empty()).then_some(domain)
}

/// Parses one line (without its line ending; a trailing `\r` is ignored).
///
/// ```
/// use bounce_report::parse::{parse_line, Body, Parsed, YearContext};
/// let line = b"Nov 21 03:14:07 mx1 postfix/smtp[12345]: 4BQ3Tz0X1Cz9vQ: to=<bob@example.com>, \
///     relay=mx.example.com[192.0.2.1]:25, delay=0.4, dsn=5.1.1, status=bounced (host \
///     mx.example.com[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))";
/// let Parsed::Record(r) = parse_line(line, &YearContext::now()) else { panic!() };
/// assert_eq!(r.queue_id, b"4BQ3Tz0X1Cz9vQ");
/// let Body::Delivery(d) = r.body else { panic!() };
/// assert_eq!(d.domain(), Some(&b"example.com"[..]));
/// assert!(d.text.unwrap().ends_with(b"(in reply to RCPT TO command)"));
/// ```
pub fn parse_line<'a>(line: &'a [u8], years: &YearContext) -> Parsed<'a> {
    parse_line_cached(line, years, &mut TimeCache::default())
}

/// [`parse_line`], reusing the timestamp of an earlier line of the same second.
pub fn parse_line_cached<'a>(line: &'a [u8], years: &YearContext, times: &mut TimeCache) -> Parsed<'a> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(tag) = find_tag(line) else {
        return Parsed::Other;
    };
    let message = tag.message;
    // Only delivery agents and qmgr write the records we read; everything
    // else (smtpd, cleanup, postscreen, bounce, …) is another Postfix line.
    let is_agent = is_delivery_agent(tag.service);
    let is_qmgr = tag.service == b"qmgr";
    let is_smtpd = tag.service == b"smtpd";
    if !is_agent && !is_smtpd {
        return Parsed::Other;
    }
    let Some((queue_id, rest)) = split_queue_id(message) else {
        return Parsed::Other;
    };
    let body = if is_smtpd {
        match rest
            .strip_prefix(b"client=")
            .and_then(|r| sasl_username_finder().find(r).map(|i| &r[i + 16..]))
        {
            Some(user) => Body::Client {
                sasl_username: &user[..find_near(b',', user).unwrap_or(user.len())],
            },
            None => return Parsed::Other,
        }
    } else if let Some(rest) = rest.strip_prefix(b"to=") {
        match parse_delivery(rest) {
            Some(d) => Body::Delivery(d),
            None => return Parsed::Malformed,
        }
    } else if is_qmgr {
        if let Some(rest) = rest.strip_prefix(b"from=<") {
            let Some(end) = find_near(b'>', rest) else {
                return Parsed::Malformed;
            };
            let sender = &rest[..end];
            let after = &rest[end + 1..];
            if after.starts_with(b", status=expired") || after.starts_with(b", status=force-expired") {
                Body::Expired { sender }
            } else if after.starts_with(b", status=") {
                return Parsed::Malformed;
            } else {
                Body::From { sender }
            }
        } else if rest == b"removed" || rest.starts_with(b"removed ") {
            Body::Removed
        } else {
            return Parsed::Other;
        }
    } else {
        return Parsed::Other;
    };
    // The record is one we want; now it must have a readable time.
    let Some((time, _)) = times.parse(line, years) else {
        return Parsed::Malformed;
    };
    Parsed::Record(Record {
        time,
        host: tag.host,
        program: tag.program,
        queue_id,
        body,
    })
}

/// A searcher for `, sasl_username=`, built once: `memmem::find` builds
/// one for every call.
fn sasl_username_finder() -> &'static memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memmem::Finder<'static>> = std::sync::OnceLock::new();
    FINDER.get_or_init(|| memmem::Finder::new(b", sasl_username="))
}

struct Tag<'a> {
    host: &'a [u8],
    program: &'a [u8],
    service: &'a [u8],
    message: &'a [u8],
}

/// How a Postfix process reports on itself: its log levels above `info`,
/// and smtpd's refusals of mail before it has a queue id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerKind {
    Warning,
    Error,
    Fatal,
    Panic,
    /// `NOQUEUE: reject: RCPT from …: 554 5.7.1 …; from=<…> to=<…>`: our
    /// server refusing mail offered to it.
    Reject,
}

impl ServerKind {
    /// Every kind, in order of [`ServerKind::as_str`]'s names.
    pub const ALL: [ServerKind; 5] = [
        ServerKind::Warning,
        ServerKind::Error,
        ServerKind::Fatal,
        ServerKind::Panic,
        ServerKind::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::Warning => "warning",
            ServerKind::Error => "error",
            ServerKind::Fatal => "fatal",
            ServerKind::Panic => "panic",
            ServerKind::Reject => "reject",
        }
    }
}

/// A Postfix line about the server itself (see [`ServerKind`]).
#[derive(Debug, PartialEq)]
pub struct ServerLine<'a> {
    pub time: Timestamp,
    pub host: &'a [u8],
    /// The last part of the tag: `smtpd`, `cleanup`, `master`.
    pub service: &'a [u8],
    pub kind: ServerKind,
    /// The message after `warning: ` (or `NOQUEUE: reject: `).
    pub text: &'a [u8],
}

/// Reads a Postfix process's warning, error, fatal or panic line, or an
/// smtpd `NOQUEUE: reject:` line; `None` for every other line (and for one
/// without a readable time).
pub fn server_line<'a>(line: &'a [u8], years: &YearContext, times: &mut TimeCache) -> Option<ServerLine<'a>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let tag = find_tag(line)?;
    const LEVELS: [(&[u8], ServerKind); 5] = [
        (b"warning: ", ServerKind::Warning),
        (b"error: ", ServerKind::Error),
        (b"fatal: ", ServerKind::Fatal),
        (b"panic: ", ServerKind::Panic),
        (b"NOQUEUE: reject: ", ServerKind::Reject),
    ];
    let (kind, text) = LEVELS
        .iter()
        .find_map(|(prefix, kind)| tag.message.strip_prefix(*prefix).map(|t| (*kind, t)))?;
    let (time, _) = times.parse(line, years)?;
    Some(ServerLine {
        time,
        host: tag.host,
        service: tag.service,
        kind,
        text,
    })
}

/// Finds the syslog tag `NAME[/SERVICE…]/AGENT[pid]:` after the timestamp
/// and host, and the message after it. The name is Postfix's `syslog_name`,
/// which may be anything (`postfix`, `postfix-out`, `postfix-239.58.50.50`):
/// a tag is recognised by its shape, `name/…/agent[digits]`, followed by `: `
/// or, as some relays write it, a blank alone.
fn find_tag(line: &[u8]) -> Option<Tag<'_>> {
    // The tag is the first token that has a `/` and ends in `[digits]`;
    // it comes early, so look only at the first few tokens.
    let (mut start, mut prev_token, skipped) = if classic_time_tokens(line) {
        // Its three tokens, none of which can be a tag, skipped at once.
        (16, &line[7..15], 3)
    } else {
        (0, &b""[..], 0)
    };
    for _ in skipped..8 {
        while line.get(start) == Some(&b' ') {
            start += 1;
        }
        if start >= line.len() {
            return None;
        }
        let end = find_near(b' ', &line[start..]).map_or(line.len(), |i| start + i);
        let token = &line[start..end];
        if let Some((program, service)) = tag_parts(token) {
            let after = line.get(end + 1..).unwrap_or(b"");
            // Solaris syslog inserts `[ID 197553 mail.info] ` before the message.
            let message = skip_solaris_id(after);
            return Some(Tag {
                host: prev_token,
                program,
                service,
                message,
            });
        }
        prev_token = token;
        start = end + 1;
    }
    None
}

/// Whether `line` starts with a classic syslog time and a blank,
/// `Nov 21 03:14:07 ` or `Nov  1 03:14:07 `, whose tokens are then the
/// month, the day and `line[7..15]`, as the blanks cut them.
fn classic_time_tokens(line: &[u8]) -> bool {
    let Some(head) = line.get(..16) else {
        return false;
    };
    head.iter().enumerate().all(|(i, &b)| match i {
        3 | 6 | 15 => b == b' ',
        // A one-digit day may be padded with a blank.
        4 => true,
        _ => b != b' ',
    })
}

/// `postfix/smtp[123]:` → (`postfix/smtp`, `smtp`).
fn tag_parts(token: &[u8]) -> Option<(&[u8], &[u8])> {
    let token = token.strip_suffix(b":").unwrap_or(token);
    let token = token.strip_suffix(b"]")?;
    let open = token.iter().rposition(|&b| b == b'[')?;
    let pid = &token[open + 1..];
    if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let program = &token[..open];
    let slash = program.iter().rposition(|&b| b == b'/')?;
    let service = &program[slash + 1..];
    if slash == 0 || service.is_empty() {
        return None;
    }
    Some((program, service))
}

fn skip_solaris_id(s: &[u8]) -> &[u8] {
    if let Some(rest) = s.strip_prefix(b"[ID ") {
        if let Some(close) = memchr::memchr(b']', rest) {
            return rest[close + 1..].strip_prefix(b" ").unwrap_or(&rest[close + 1..]);
        }
    }
    s
}

/// `4BQ3Tz0X1Cz9vQ: rest` → (queue id, rest).
fn split_queue_id(message: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = find_near(b':', message)?;
    let qid = &message[..colon];
    if qid.is_empty() || qid.len() > 32 || !all_alphanumeric(qid) {
        return None;
    }
    let rest = message[colon + 1..].strip_prefix(b" ")?;
    Some((qid, rest))
}

/// Whether every byte is an ASCII letter or digit, without a branch per
/// byte: queue ids mix letters and digits at random, so the branches of
/// `iter().all(is_ascii_alphanumeric)` were mispredicted about every other
/// byte (a third of `parse_line`'s own time in `perf annotate`).
fn all_alphanumeric(s: &[u8]) -> bool {
    static TABLE: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = (i as u8).is_ascii_alphanumeric();
            i += 1;
        }
        t
    };
    s.iter().fold(true, |ok, &b| ok & TABLE[b as usize])
}

/// Parses what follows `to=`: the address, `key=value` fields separated by
/// `, `, the status and its parenthesised text. `None` when there is no
/// readable `status=` (a line cut short) or the status is not a Postfix one.
fn parse_delivery(s: &[u8]) -> Option<Delivery<'_>> {
    let (to, mut rest) = take_address(s)?;
    let mut d = Delivery {
        to,
        orig_to: None,
        relay: None,
        delay: None,
        delays: None,
        dsn: None,
        conn_use: None,
        status: DeliveryStatus::Sent,
        text: None,
    };
    loop {
        rest = rest.strip_prefix(b", ")?;
        let eq = find_near(b'=', rest)?;
        let key = &rest[..eq];
        let value_start = &rest[eq + 1..];
        if key == b"status" {
            let word_len = value_start
                .iter()
                .position(|&b| b == b' ' || b == b',')
                .unwrap_or(value_start.len());
            d.status = match &value_start[..word_len] {
                b"sent" => DeliveryStatus::Sent,
                b"bounced" => DeliveryStatus::Bounced,
                // With soft_bounce=yes Postfix logs SOFTBOUNCE for what
                // would have bounced; the message stays queued.
                b"deferred" | b"SOFTBOUNCE" => DeliveryStatus::Deferred,
                b"expired" | b"force-expired" => DeliveryStatus::Expired,
                b"deliverable" | b"undeliverable" => DeliveryStatus::Probe,
                _ => return None,
            };
            d.text = paren_text(&value_start[word_len..]);
            return Some(d);
        }
        let (value, next) = if key == b"orig_to" {
            take_address(value_start)?
        } else {
            let end = find_separator(value_start);
            (&value_start[..end], &value_start[end..])
        };
        match key {
            b"orig_to" => d.orig_to = Some(value),
            b"relay" => d.relay = Some(value),
            b"delay" => d.delay = Some(value),
            b"delays" => d.delays = Some(value),
            b"dsn" => d.dsn = Some(value),
            b"conn_use" => d.conn_use = Some(value),
            _ => {}
        }
        rest = next;
    }
}

/// The first `needle` in `hay`, for a byte that is usually near: the first
/// 32 bytes eight at a time in a `u64`, the rest with `memchr`. Most fields
/// of a log line are a few bytes long, where `memchr`'s dispatch and set-up
/// cost more than the search (they were a tenth of a run in `perf`).
#[inline]
fn find_near(needle: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 32;
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = u64::from_ne_bytes([needle; 8]);
    let mut i = 0;
    while i < NEAR {
        let Some(word) = hay.get(i..i + 8) else {
            return hay[i..].iter().position(|&b| b == needle).map(|j| i + j);
        };
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ pattern;
        // A byte of x is zero where the needle is; the lowest flagged byte
        // is always a true one (a borrow only flags bytes above it).
        let found = x.wrapping_sub(LOW) & !x & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr(needle, &hay[NEAR..]).map(|j| NEAR + j)
}

/// Where the next `, ` is (or the end). A `memchr` for the comma: building
/// a `memmem` searcher for every field cost about 2% of a run.
fn find_separator(s: &[u8]) -> usize {
    let mut from = 0;
    while let Some(i) = find_near(b',', &s[from..]) {
        let at = from + i;
        if s.get(at + 1) == Some(&b' ') {
            return at;
        }
        from = at + 1;
    }
    s.len()
}

/// `<addr>rest` or, as some hand-made logs have it, `addr, rest`.
fn take_address(s: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(inner) = s.strip_prefix(b"<") {
        let end = find_near(b'>', inner)?;
        Some((&inner[..end], &inner[end + 1..]))
    } else {
        let end = find_separator(s);
        Some((&s[..end], &s[end..]))
    }
}

/// ` (text)` → `text`: from the first `(` to the last `)`, so parentheses
/// inside the reply survive. A text cut short keeps what is there.
fn paren_text(s: &[u8]) -> Option<&[u8]> {
    let s = s.strip_prefix(b" ")?;
    let inner = s.strip_prefix(b"(")?;
    let close = match inner.last() {
        // The common case: the text ends the line.
        Some(b')') => Some(inner.len() - 1),
        _ => memchr::memrchr(b')', inner),
    };
    Some(close.map_or(inner, |close| &inner[..close]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_the_token_before_the_tag_whatever_the_time_looks_like() {
        let rest =
            "postfix/smtp[1]: 3F2A41C0B3: to=<a@b.c>, relay=none, delay=1, dsn=4.4.1, status=deferred (x)";
        for (line, host) in [
            (format!("Nov 21 03:14:07 mx1 {rest}"), "mx1"),
            (format!("Nov  1 03:14:07 mx1 {rest}"), "mx1"),
            (format!("Nov  1 03:14:07  mx1 {rest}"), "mx1"),
            // No host: the time's last token stands before the tag.
            (format!("Nov 21 03:14:07 {rest}"), "03:14:07"),
            (format!("Nov 21 3:14:07 mx1 {rest}"), "mx1"),
            (format!("Nov 21 3:14:07 {rest}"), "3:14:07"),
            (format!("2026-11-21T03:14:07.123456+08:00 mx1 {rest}"), "mx1"),
        ] {
            let tag = find_tag(line.as_bytes()).expect(&line);
            assert_eq!(tag.host, host.as_bytes(), "{line}");
            assert_eq!(tag.service, b"smtp");
        }
    }

    #[test]
    fn find_near_finds_the_first_byte_at_every_offset_as_memchr_does() {
        // Needles at every place around the word boundaries and past the
        // near part, bytes that differ from the needle by one bit (the
        // borrow of the word trick), and none at all.
        for len in 0..80 {
            for at in 0..=len {
                let mut hay: Vec<u8> = (0..len).map(|i| b'a' + (i % 7) as u8).collect();
                hay.iter_mut().for_each(|b| *b |= 0x40);
                if at < len {
                    hay[at] = b',';
                    if at + 1 < len {
                        hay[at + 1] = b',' ^ 1;
                    }
                    if at + 3 < len {
                        hay[at + 3] = b',';
                    }
                }
                assert_eq!(find_near(b',', &hay), memchr::memchr(b',', &hay), "{len} {at}");
                hay.iter_mut().for_each(|b| *b = b',' + 1);
                assert_eq!(find_near(b',', &hay), None);
                hay.iter_mut().for_each(|b| *b = 0);
                if at < len {
                    hay[at] = 0x80;
                }
                assert_eq!(find_near(0x80, &hay), memchr::memchr(0x80, &hay), "{len} {at}");
            }
        }
    }
    use chrono::{Local, NaiveDate, TimeZone};

    fn ctx() -> YearContext {
        let naive = NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        YearContext::new(Local.from_local_datetime(&naive).earliest().unwrap())
    }

    fn record(line: &str) -> Record<'_> {
        match parse_line(line.as_bytes(), &ctx()) {
            Parsed::Record(r) => r,
            other => panic!("expected a record from {line:?}, got {other:?}"),
        }
    }

    fn delivery(line: &str) -> Delivery<'_> {
        match record(line).body {
            Body::Delivery(d) => d,
            other => panic!("expected a delivery from {line:?}, got {other:?}"),
        }
    }

    const BOUNCE: &str = "Nov 21 03:14:07 mx1 postfix/smtp[12345]: 4BQ3Tz0X1Cz9vQ: to=<bob@Example.COM>, relay=mx.example.com[192.0.2.1]:25, delay=0.47, delays=0.05/0.05/0.19/0.18, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command))";

    #[test]
    fn smtp_bounce_has_every_field() {
        let r = record(BOUNCE);
        assert_eq!(r.host, b"mx1");
        assert_eq!(r.program, b"postfix/smtp");
        assert_eq!(r.queue_id, b"4BQ3Tz0X1Cz9vQ");
        let Body::Delivery(d) = r.body else { panic!() };
        assert_eq!(d.to, b"bob@Example.COM");
        assert_eq!(d.domain(), Some(&b"Example.COM"[..]));
        assert_eq!(d.relay, Some(&b"mx.example.com[192.0.2.1]:25"[..]));
        assert_eq!(d.delay, Some(&b"0.47"[..]));
        assert_eq!(d.delays, Some(&b"0.05/0.05/0.19/0.18"[..]));
        assert_eq!(d.dsn, Some(&b"5.1.1"[..]));
        assert_eq!(d.status, DeliveryStatus::Bounced);
        let text = d.text.unwrap();
        assert!(text.starts_with(b"host mx.example.com[192.0.2.1] said: 550 5.1.1"));
        assert!(text.ends_with(b"(in reply to RCPT TO command)"));
    }

    #[test]
    fn crlf_is_ignored() {
        let line = format!("{BOUNCE}\r");
        let d = delivery(&line);
        assert!(d.text.unwrap().ends_with(b"command)"));
    }

    #[test]
    fn every_delivery_agent_and_multi_level_service() {
        for prog in [
            "postfix/smtp",
            "postfix/lmtp",
            "postfix/local",
            "postfix/virtual",
            "postfix/pipe",
            "postfix/error",
            "postfix/discard",
            "postfix/relay",
            "postfix-out/smtp",
            "postfix/amavis/smtp",
            "postfix-239.58.50.50/smtp",
            "postfix/submission/smtp",
        ] {
            let line = format!("Nov 21 03:14:07 mx1 {prog}[99]: 3F2A41C0B3: to=<a@b.c>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to b.c[192.0.2.1]:25: Connection timed out)");
            let r = record(&line);
            assert_eq!(r.program, prog.as_bytes());
            assert_eq!(r.queue_id, b"3F2A41C0B3");
        }
    }

    #[test]
    fn other_postfix_programs_and_other_programs_are_other() {
        for line in [
            "Nov 21 03:14:07 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b.c>: Relay access denied; from=<x@y> to=<a@b.c> proto=ESMTP helo=<x>",
            "Nov 21 03:14:07 mx1 postfix/cleanup[1]: 3F2A41C0B3: message-id=<x@y>",
            "Nov 21 03:14:07 mx1 sendmail[1]: x1: to=<a@b.c>, ctladdr=<r@b.c>, delay=00:00:01, mailer=esmtp, stat=Sent",
            "Nov 21 03:14:07 mx1 fetchmail[18083]: Query status=3 (AUTHFAIL)",
            "Nov 21 03:14:07 mx1 postfix/smtp[1]: 3F2A41C0B3: host mx[192.0.2.1] said: 451 try later (in reply to RCPT TO command)",
            "Nov 21 03:14:07 mx1 postfix/smtp[1]: warning: status=bounced is not a thing",
            "",
            "# failJSON: { \"time\": \"2005-02-07T15:10:42\" }",
            "Apr 30 15:09:27 lmtp(admin@localhost)<1><x>: Info: sieve: status=sent",
            "Nov 21 03:14:07 mx1 last message repeated 3 times",
        ] {
            assert_eq!(parse_line(line.as_bytes(), &ctx()), Parsed::Other, "{line}");
        }
    }

    #[test]
    fn delivery_without_status_or_time_is_malformed() {
        for line in [
            "Nov 21 03:14:07 mx1 postfix/smtp[1]: 3F2A41C0B3: to=<a@b.c>, relay=mx[192.0.2.1]:25, delay=0.4, dsn=5.1",
            "%(day)s 11:00:20 server postfix/lmtp[28946]: A0320E00C3: to=<user@test.com>, relay=x, delay=0.32, dsn=2.0.0, status=sent (250 2.0.0 Saved)",
            "May 18 22:31:10 lhansible postfix/local[30630]: 1F40D1E0: to=<root@ansible.com>, orig_to=<root>, relay=local, delay=68, dsn=2.0.0, status=failed (delivered to mailbox)",
        ] {
            assert_eq!(parse_line(line.as_bytes(), &ctx()), Parsed::Malformed, "{line}");
        }
    }

    #[test]
    fn text_keeps_inner_parentheses_and_status_words() {
        let d = delivery("Nov 21 03:14:07 mx1 postfix/smtp[1]: 3F2A41C0B3: to=<a@b.c>, relay=x[1.2.3.4]:25, delay=1, delays=1/0/0/0, dsn=5.7.1, status=bounced (host x said: 550 5.7.1 rejected (status=deferred) see (http://x/y) (in reply to end of DATA command))");
        assert_eq!(d.status, DeliveryStatus::Bounced);
        assert_eq!(
            d.text.unwrap(),
            &b"host x said: 550 5.7.1 rejected (status=deferred) see (http://x/y) (in reply to end of DATA command)"[..]
        );
    }

    #[test]
    fn orig_to_conn_use_and_address_with_several_ats() {
        let d = delivery("Nov 21 03:14:07 mx1 postfix/smtp[1]: 3F2A41C0B3: to=<\"a@b\"@Sub.Example.ORG>, orig_to=<alias@example.net>, relay=x[1.2.3.4]:25, conn_use=2, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)");
        assert_eq!(d.orig_to, Some(&b"alias@example.net"[..]));
        assert_eq!(d.conn_use, Some(&b"2"[..]));
        assert_eq!(d.domain(), Some(&b"Sub.Example.ORG"[..]));
        assert_eq!(d.status, DeliveryStatus::Sent);
    }

    #[test]
    fn smtpd_client_line_names_the_authenticated_submitter() {
        let r = record("Nov 21 03:14:07 mx1 postfix/submission/smtpd[77]: 4BQ3Tz0X1Cz9vQ: client=c.example.cn[144.76.1.2], sasl_method=PLAIN, sasl_username=alice@example.cn");
        assert_eq!(
            r.body,
            Body::Client {
                sasl_username: b"alice@example.cn"
            }
        );
        let line = "Nov 21 03:14:07 mx1 postfix/smtpd[77]: 4BQ3Tz0X1Cz9vQ: client=c.example.cn[144.76.1.2]";
        assert_eq!(parse_line(line.as_bytes(), &ctx()), Parsed::Other);
    }

    #[test]
    fn qmgr_from_expired_force_expired_and_removed() {
        let r = record("Nov 21 03:14:07 mx1 postfix/qmgr[1620]: 2A954CAFB6: from=<alice@example.edu>, size=3120, nrcpt=2 (queue active)");
        assert_eq!(
            r.body,
            Body::From {
                sender: b"alice@example.edu"
            }
        );
        let r = record(
            "Nov 21 03:14:07 mx1 postfix/qmgr[1620]: 2A954CAFB6: from=<>, status=expired, returned to sender",
        );
        assert_eq!(r.body, Body::Expired { sender: b"" });
        let r = record("Nov 21 03:14:07 mx1 postfix/qmgr[1620]: 2A954CAFB6: from=<x@y>, status=force-expired, returned to sender");
        assert_eq!(r.body, Body::Expired { sender: b"x@y" });
        let r = record("Nov 21 03:14:07 mx1 postfix/qmgr[1620]: 2A954CAFB6: removed");
        assert_eq!(r.body, Body::Removed);
    }

    #[test]
    fn probes_soft_bounce_and_per_recipient_expired() {
        let base = "Nov 21 03:14:07 mx1 postfix/smtp[1]: 3F2A41C0B3: to=<a@b.c>, relay=x, delay=1, delays=1/0/0/0, dsn=2.1.5, status=";
        assert_eq!(
            delivery(&format!("{base}deliverable (250 2.1.5 Ok)")).status,
            DeliveryStatus::Probe
        );
        assert_eq!(
            delivery(&format!("{base}undeliverable (550 no)")).status,
            DeliveryStatus::Probe
        );
        assert_eq!(
            delivery(&format!("{base}SOFTBOUNCE (550 no)")).status,
            DeliveryStatus::Deferred
        );
        assert_eq!(
            delivery(&format!("{base}expired, returned to sender")).status,
            DeliveryStatus::Expired
        );
    }

    #[test]
    fn solaris_tag_missing_colon_and_rfc3339_forms() {
        let r = record("Oct 12 01:02:03 sol postfix/local[5208]: [ID 197553 mail.info] D956F38B8: to=<u@h.example>, relay=local, delay=0, dsn=5.2.2, status=bounced (cannot update mailbox)");
        assert_eq!(r.queue_id, b"D956F38B8");
        let r = record("2021-02-06T10:57:57+01:00 mail.server.com postfix/smtp[63135] 1FEE23DED3: to=<dest@domain.com>, relay=none, delay=0, dsn=5.7.1, status=bounced (x)");
        assert_eq!(r.host, b"mail.server.com");
        assert_eq!(r.time.rfc3339(), "2021-02-06T10:57:57+01:00");
        let r = record("2013 Jun 10 06:27:30.123 gds39d postfix/smtp[22213]: 4FD763FC06FXXXX: to=<x@y.sk>, relay=none, delay=0, dsn=4.4.1, status=deferred (connect to y.sk: Connection refused)");
        assert_eq!(r.queue_id, b"4FD763FC06FXXXX");
    }

    #[test]
    fn address_without_angle_brackets_and_without_domain() {
        let d = delivery("Jul 2 12:24:48 username postfix/smtp[1]: 1234567890A: to=user@example.com, relay=x, delay=1, dsn=2.0.0, status=sent (250 ok)");
        assert_eq!(d.to, b"user@example.com");
        let d = delivery("Jul 2 12:24:48 h postfix/local[1]: 1234567890A: to=<root>, relay=local, delay=1, dsn=2.0.0, status=sent (delivered to mailbox)");
        assert_eq!(d.domain(), None);
    }

    #[test]
    fn any_bytes_never_panic() {
        let mut line = BOUNCE.as_bytes().to_vec();
        for cut in 0..line.len() {
            let _ = parse_line(&line[..cut], &ctx());
        }
        line.extend_from_slice(b"\xff\xfe\x00\xe9");
        let _ = parse_line(&line, &ctx());
    }
}
