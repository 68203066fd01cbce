//! Reply anatomy: what a status line's text says before any rule reads it.
//!
//! Postfix writes two kinds of text inside `status=… (…)`:
//!
//! - a remote reply it quotes: `host mx.example.com[192.0.2.1] said: 550
//!   5.1.1 … (in reply to RCPT TO command)`, or, when the server refused
//!   the session at its greeting, `host …[…] refused to talk to me: 554 …`;
//! - its own words: `connect to …: Connection timed out`, `lost connection
//!   with … while sending RCPT TO`, `Host or domain name not found. Name
//!   service error …`, local(8), virtual(8) and pipe(8) texts (`unknown
//!   user: "bob"`, `temporary failure. Command output: …`).
//!
//! [`Anatomy::read`] splits a text into who wrote it ([`Origin`]), the SMTP
//! stage it answers ([`Stage`]), the reply code, the enhanced status code
//! and where the words start. The stage is what tells a refusal of *us*
//! (our IP at the greeting, our sender at MAIL FROM) from a refusal of the
//! recipient (RCPT TO and after): the same words, "invalid recipients",
//! mean different things at the two.

use super::Dsn;

/// Who wrote a status line's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Postfix itself: a connection or DNS failure, a local delivery, a
    /// pipe command's exit, a queue decision.
    Postfix,
    /// The remote server, quoted by Postfix (`said:`, `refused to talk to
    /// me:`), or a bare reply that starts with a reply code.
    Remote,
}

impl Origin {
    pub const ALL: [Origin; 2] = [Origin::Postfix, Origin::Remote];

    /// The name used in pattern files and `classify --explain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Postfix => "postfix",
            Origin::Remote => "remote",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        Origin::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The SMTP stage a text answers, from `(in reply to … command)`, the
/// `refused to talk to me` form, or what Postfix says it was doing
/// (`while sending RCPT TO`, `while receiving the initial server greeting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Before any reply: the TCP connection (`connect to …`).
    Connect,
    /// The server's greeting (`refused to talk to me`).
    Greeting,
    /// EHLO, HELO or LHLO.
    Helo,
    /// STARTTLS and the TLS handshake.
    Starttls,
    /// SMTP AUTH.
    Auth,
    /// MAIL FROM: about our sender.
    MailFrom,
    /// RCPT TO: about the recipient.
    RcptTo,
    /// DATA (the command itself, BDAT).
    Data,
    /// End of DATA: about the message.
    EndOfData,
}

/// What a refusal at a stage is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Our connection: our IP, our host name, our rate (connect, greeting,
    /// HELO, STARTTLS).
    Connection,
    /// Our sender (MAIL FROM, AUTH).
    Sender,
    /// The recipient or this message (RCPT TO, DATA, end of DATA).
    Recipient,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Connect,
        Stage::Greeting,
        Stage::Helo,
        Stage::Starttls,
        Stage::Auth,
        Stage::MailFrom,
        Stage::RcptTo,
        Stage::Data,
        Stage::EndOfData,
    ];

    /// The name used in pattern files and `classify --explain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Helo => "helo",
            Stage::Starttls => "starttls",
            Stage::Auth => "auth",
            Stage::MailFrom => "mail_from",
            Stage::RcptTo => "rcpt_to",
            Stage::Data => "data",
            Stage::EndOfData => "end_of_data",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn level(self) -> Level {
        match self {
            Stage::Connect | Stage::Greeting | Stage::Helo | Stage::Starttls => Level::Connection,
            Stage::Auth | Stage::MailFrom => Level::Sender,
            Stage::RcptTo | Stage::Data | Stage::EndOfData => Level::Recipient,
        }
    }

    /// A one-byte code for cache keys.
    pub(crate) fn key(stage: Option<Stage>) -> u8 {
        stage.map_or(0, |s| s as u8 + 1)
    }
}

/// A status line's text taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anatomy {
    pub origin: Origin,
    pub stage: Option<Stage>,
    /// The reply code the remote text starts with.
    pub code: Option<u16>,
    /// The enhanced status code of the text (after the code, else the
    /// first one of the code's class in the text).
    pub dsn: Option<Dsn>,
    /// Offset just past the code and DSN (where continuations may start).
    pub body: usize,
}

/// What precedes a remote reply in Postfix's text (each followed by `: `).
const MARKERS: [&[u8]; 3] = [b"said", b"refused to talk to me", b"refused to start TLS"];

/// `(in reply to X command)` → stage. Longest first where one is a prefix
/// of another (`end of DATA` before `DATA`).
const IN_REPLY_TO: [(&[u8], Stage); 13] = [
    (b"RCPT TO", Stage::RcptTo),
    (b"MAIL FROM", Stage::MailFrom),
    (b"end of DATA", Stage::EndOfData),
    (b"DATA", Stage::Data),
    (b"BDAT", Stage::Data),
    (b"EHLO", Stage::Helo),
    (b"HELO", Stage::Helo),
    (b"LHLO", Stage::Helo),
    (b"XFORWARD", Stage::Helo),
    (b"XCLIENT", Stage::Helo),
    (b"STARTTLS", Stage::Starttls),
    (b"AUTH", Stage::Auth),
    (b"message body", Stage::EndOfData),
];

/// What Postfix says it was doing when a session failed (`lost connection
/// with X while …`, `conversation with X timed out while …`).
const WHILE: [(&[u8], Stage); 9] = [
    (b"receiving the initial server greeting", Stage::Greeting),
    (b"performing the EHLO handshake", Stage::Helo),
    (b"performing the HELO handshake", Stage::Helo),
    (b"performing the LHLO handshake", Stage::Helo),
    (b"sending MAIL FROM", Stage::MailFrom),
    (b"sending RCPT TO", Stage::RcptTo),
    (b"sending DATA", Stage::Data),
    (b"sending message body", Stage::EndOfData),
    (b"sending end of data", Stage::EndOfData),
];

impl Anatomy {
    /// Takes `text` apart. Never panics, whatever the bytes.
    pub fn read(text: &[u8]) -> Anatomy {
        let marker = reply_start(text);
        let (start, marker_len) = match marker {
            Some((start, len)) => (start, len),
            None => (text.iter().take_while(|b| b.is_ascii_whitespace()).count(), 0),
        };
        let (code, dsn, body) = codes(text, start);
        let origin = if marker.is_some() || code.is_some() {
            Origin::Remote
        } else {
            Origin::Postfix
        };
        let stage = match marker {
            // `refused to talk to me` / `refused to start TLS` carry no
            // `in reply to`: the marker itself is the stage.
            Some(_) if marker_len == MARKERS[1].len() => Some(Stage::Greeting),
            Some(_) if marker_len == MARKERS[2].len() => Some(Stage::Starttls),
            _ => in_reply_to(text).or_else(|| postfix_stage(text)),
        };
        Anatomy {
            origin,
            stage,
            code,
            dsn,
            body,
        }
    }
}

/// Offset just past the first `said: ` / `refused to talk to me: ` /
/// `refused to start TLS: `, and the marker's length. Scans the colons (a
/// reply has few) rather than searching three needles: this runs on every
/// reply, cached or not.
fn reply_start(text: &[u8]) -> Option<(usize, usize)> {
    memchr::memchr_iter(b':', text).find_map(|i| {
        if text.get(i + 1) != Some(&b' ') {
            return None;
        }
        let m = MARKERS.iter().find(|m| text[..i].ends_with(m))?;
        Some((i + 2, m.len()))
    })
}

/// The stage of `(in reply to X command)`: the last such note in the text.
fn in_reply_to(text: &[u8]) -> Option<Stage> {
    const NOTE: &[u8] = b"in reply to ";
    let at = memchr::memmem::rfind(text, NOTE)?;
    let rest = &text[at + NOTE.len()..];
    IN_REPLY_TO
        .iter()
        .find(|(cmd, _)| {
            rest.starts_with(cmd) && rest.get(cmd.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
        })
        .map(|&(_, stage)| stage)
}

/// The stage of Postfix's own session failures: `connect to …`, and `… while
/// <doing X>`.
fn postfix_stage(text: &[u8]) -> Option<Stage> {
    if let Some(at) = memchr::memmem::find(text, b" while ") {
        let rest = &text[at + 7..];
        if let Some(&(_, stage)) = WHILE.iter().find(|(what, _)| rest.starts_with(what)) {
            return Some(stage);
        }
    }
    let body = text
        .strip_prefix(b"delivery temporarily suspended: ")
        .unwrap_or(text);
    body.starts_with(b"connect to ").then_some(Stage::Connect)
}

/// The reply code and DSN of the reply starting at `start`, and the offset
/// just past them.
fn codes(text: &[u8], start: usize) -> (Option<u16>, Option<Dsn>, usize) {
    let rest = &text[start.min(text.len())..];
    let code = match rest {
        [a @ b'2'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', tail @ ..]
            if tail.first().is_none_or(|&t| t == b' ' || t == b'-') =>
        {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    };
    let Some(code) = code else {
        return (None, find_dsn(rest, None), start);
    };
    // Right after the code: `550 5.1.1`, `550-5.1.1`, `550 #5.1.1`.
    let mut j = start + 3;
    if j < text.len() {
        j += 1;
    }
    while text.get(j) == Some(&b' ') {
        j += 1;
    }
    if text.get(j) == Some(&b'#') {
        j += 1;
    }
    let class = (code / 100) as u8;
    if let Some((dsn, end)) = dsn_at(text, j).filter(|(d, _)| d.class == class) {
        let mut body = end;
        while text.get(body) == Some(&b' ') {
            body += 1;
        }
        return (Some(code), Some(dsn), body);
    }
    // Elsewhere in the text: `511 sorry, no mailbox here by that name (#5.1.1 - chkuser)`.
    let j = j.min(text.len());
    (Some(code), find_dsn(&text[j..], Some(class)), j)
}

/// A DSN token starting exactly at `i`: `C.S.D` not followed by a digit or
/// by `.digit` (so `4.16.55.1`, an IP, is not one). Returns it and its end.
pub(crate) fn dsn_at(text: &[u8], i: usize) -> Option<(Dsn, usize)> {
    let rest = text.get(i..)?;
    let len = rest
        .iter()
        .take(9)
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    let mut tok = &rest[..len];
    // A sentence may end right after the code: "… 5.1.1." is 5.1.1.
    if tok.ends_with(b".") {
        tok = &tok[..tok.len() - 1];
    }
    let after = rest.get(tok.len()..).unwrap_or_default();
    let continues = match after {
        [d, ..] if d.is_ascii_digit() => true,
        [b'.', d, ..] if d.is_ascii_digit() => true,
        _ => false,
    };
    if continues {
        return None;
    }
    Dsn::parse(tok).map(|d| (d, i + tok.len()))
}

/// The first DSN token anywhere in `text` (of class `class` if given),
/// starting a token (not inside a number or dotted run).
fn find_dsn(text: &[u8], class: Option<u8>) -> Option<Dsn> {
    let mut i = 0;
    while i + 5 <= text.len() {
        let b = text[i];
        let starts = matches!(b, b'2' | b'4' | b'5')
            && text[i + 1] == b'.'
            && (i == 0 || !(text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'.'));
        if starts {
            if let Some((d, _)) = dsn_at(text, i) {
                if class.is_none_or(|c| c == d.class) {
                    return Some(d);
                }
            }
        }
        i += 1;
    }
    None
}

/// Writes `text` into `out` as rules and their phrases are written: each
/// run of white space (spaces, tabs, CR, LF, VT, FF) one space, a
/// typographic apostrophe (U+2018, U+2019) the ASCII one, every
/// non-ASCII capital letter small, and each contracted negation written
/// out ("doesn't", "doesn’t" and "doesnt" read "does not"; "can't"
/// "cannot", "won't" "will not"; see [`NEGATED`]). `550  5.1.1 User doesn’t
/// exist` reads as `550 5.1.1 User does not exist`, `550 Ящик переполнен`
/// as `550 ящик переполнен`. Servers pad replies, a relay may keep a tab,
/// translations use typographic quotes, a sentence starts with a capital,
/// servers contract as they like: a phrase or a regex must not miss for it,
/// and rules need write only one form. (ASCII letters keep their case: the
/// matcher ignores it.) Phrases are read the same way when the catalogue
/// loads. Returns false (and leaves `out` alone) when the text has none of
/// these.
pub(crate) fn plain_reply(text: &[u8], out: &mut Vec<u8>) -> bool {
    let white = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c);
    let quote =
        |i: usize| text[i..].starts_with(&[0xe2, 0x80, 0x98]) || text[i..].starts_with(&[0xe2, 0x80, 0x99]);
    // The letters of `text` just before `i`.
    let word_before = |i: usize| trailing_word(&text[..i]);
    let mut prev = false;
    let needed = text.iter().enumerate().any(|(i, &b)| {
        // Most bytes (letters but t, o and s, digits, most marks) change
        // nothing and only end a run of white space.
        if !NOTABLE[usize::from(b)] {
            prev = false;
            return false;
        }
        let w = white(b);
        let run = w && (b != b' ' || prev);
        prev = w;
        run || (b == 0xe2 && quote(i))
            || (b >= 0xc0 && capital_at(text, i).is_some())
            || (b == b'\'' && t_ends_word(text, i + 1) && negation(word_before(i), true).is_some())
            || (matches!(b, b't' | b'T') && t_ends_word(text, i) && negation(word_before(i), false).is_some())
            || respelling(text, i).is_some()
    });
    if !needed {
        return false;
    }
    out.clear();
    let mut prev = false;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let apostrophe = match b {
            b'\'' => 1,
            0xe2 if quote(i) => 3,
            _ => 0,
        };
        // "n't" after a negated word, or "nt" ending one: the word is
        // already in `out`; write it out there and leave the "t".
        let written_out = if apostrophe > 0 {
            t_ends_word(text, i + apostrophe) && write_out_negation(out, true)
        } else {
            matches!(b, b't' | b'T') && t_ends_word(text, i) && write_out_negation(out, false)
        };
        if written_out {
            i += apostrophe + 1;
            prev = false;
            continue;
        }
        if apostrophe > 0 {
            out.push(b'\'');
            prev = false;
            i += apostrophe;
            continue;
        }
        if b >= 0xc0 {
            if let Some((c, len)) = capital_at(text, i) {
                let mut buf = [0u8; 4];
                for small in c.to_lowercase() {
                    out.extend_from_slice(small.encode_utf8(&mut buf).as_bytes());
                }
                prev = false;
                i += len;
                continue;
            }
        }
        if let Some(written) = respelling(text, i) {
            out.extend(written);
            prev = false;
            i += 1;
            continue;
        }
        let w = white(b);
        if !(w && prev) {
            out.push(if w { b' ' } else { b });
        }
        prev = w;
        i += 1;
    }
    true
}

/// The bytes [`plain_reply`] may write otherwise, or whose neighbours it
/// may: white space, apostrophes (`'` and the first byte of `’`), the
/// first bytes of non-ASCII capitals, the `t` of a negation, and the bytes
/// [`respelling`] looks at.
static NOTABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b >= 0xc0
            || matches!(
                b as u8,
                b' ' | b'\t'
                    | b'\r'
                    | b'\n'
                    | 0x0b
                    | 0x0c
                    | b'\''
                    | 0xe2
                    | b't'
                    | b'T'
                    | b'-'
                    | b'o'
                    | b'O'
                    | b's'
                    | b'S'
            );
        b += 1;
    }
    t
};

/// How [`plain_reply`] writes the byte at `i` when it belongs to one of the
/// spellings servers vary on, so that each reads as the other (for replies
/// and phrases alike): nothing (a hyphen or space dropped) or another
/// letter, in the case it was written; `None` when it is written as it is.
///
/// - "e-mail" reads "email" ("E-Mail-Adresse": "EMail-Adresse");
/// - "non-existent" reads "nonexistent" (a word starting "non-", then a letter);
/// - "mail box" reads "mailbox";
/// - "blocklist" reads "blacklist";
/// - the British "authorise", "recognise", "organise" (and their forms:
///   "unauthorised", "organisation") read with "z".
#[inline(always)]
fn respelling(text: &[u8], i: usize) -> Option<Option<u8>> {
    // Most bytes are none of these: the byte and the one before tell.
    let before = if i > 0 { text[i - 1] | 0x20 } else { 0 };
    let candidate = match text[i] {
        b'-' => matches!(before, b'e' | b'n'),
        b' ' | b'o' | b'O' => before == b'l',
        b's' | b'S' => before == b'i',
        _ => false,
    };
    if candidate {
        respelt(text, i)
    } else {
        None
    }
}

/// [`respelling`] past its first check.
#[inline(never)]
fn respelt(text: &[u8], i: usize) -> Option<Option<u8>> {
    let b = text[i];
    let at = |from: usize, word: &[u8]| {
        text.get(from..from + word.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(word))
    };
    // `word` ends at `i` and starts a word.
    let ends_here = |word: &[u8]| {
        i >= word.len()
            && at(i - word.len(), word)
            && (i == word.len() || !text[i - word.len() - 1].is_ascii_alphanumeric())
    };
    let dropped = match b {
        b'-' => {
            (ends_here(b"e") && at(i + 1, b"mail"))
                || (ends_here(b"non") && text.get(i + 1).is_some_and(u8::is_ascii_alphabetic))
        }
        b' ' => {
            ends_here(b"mail")
                && at(i + 1, b"box")
                && !text
                    .get(i + 4)
                    .is_some_and(|c| c.is_ascii_alphanumeric() && !matches!(c, b'e' | b'E'))
        }
        _ => false,
    };
    if dropped {
        return Some(None);
    }
    let swapped = match b {
        b'o' | b'O' => ends_here(b"bl") && at(i + 1, b"cklist"),
        // (`respelling` saw an "i" before it.)
        b's' | b'S' => {
            [&b"authori"[..], b"recogni", b"organi"]
                .iter()
                .any(|stem| i >= stem.len() && at(i - stem.len(), stem))
                && text
                    .get(i + 1)
                    .is_some_and(|c| matches!(c, b'e' | b'E' | b'a' | b'A' | b'i' | b'I'))
        }
        _ => false,
    };
    swapped.then_some(Some(match b {
        b'o' => b'a',
        b'O' => b'A',
        b's' => b'z',
        _ => b'Z',
    }))
}

/// The auxiliaries whose contracted negation [`plain_reply`] writes out:
/// "doesn't" and "doesnt" read "does not". "can't" and "won't" read
/// "cannot" and "will not"; without the apostrophe they are other words.
const NEGATED: [&[u8]; 14] = [
    b"does", b"do", b"did", b"is", b"are", b"was", b"were", b"has", b"have", b"had", b"could", b"would",
    b"should", b"must",
];

/// Whether `text[at]` is a "t" that no letter or digit follows.
fn t_ends_word(text: &[u8], at: usize) -> bool {
    matches!(text.get(at), Some(b't' | b'T')) && text.get(at + 1).is_none_or(|c| !c.is_ascii_alphanumeric())
}

/// How `word` (the letters before a contraction's "'t", or before a final
/// "t" when `apostrophe` is false) is written out: the length of the
/// auxiliary to keep and what follows it ("doesn" keeps "does", then
/// " not"), or `None` when it is no negation.
fn negation(word: &[u8], apostrophe: bool) -> Option<(usize, &'static [u8])> {
    let (n, stem) = word.split_last()?;
    if !n.eq_ignore_ascii_case(&b'n') {
        return None;
    }
    if apostrophe && stem.eq_ignore_ascii_case(b"ca") {
        return Some((3, b"not"));
    }
    if apostrophe && stem.eq_ignore_ascii_case(b"wo") {
        return Some((0, b"will not"));
    }
    NEGATED
        .iter()
        .any(|a| stem.eq_ignore_ascii_case(a))
        .then_some((stem.len(), b" not"))
}

/// The ASCII letters that end `bytes` (empty when it ends otherwise).
fn trailing_word(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .rposition(|c| !c.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    &bytes[start..]
}

/// When `out` ends with the word of a contracted negation without its
/// "'t" or "t" ("doesn", "can", "won"), writes it out ("does not",
/// "cannot", "will not") and returns true; otherwise leaves `out` alone.
fn write_out_negation(out: &mut Vec<u8>, apostrophe: bool) -> bool {
    let start = out.len() - trailing_word(out).len();
    match negation(&out[start..], apostrophe) {
        Some((keep, then)) => {
            out.truncate(start + keep);
            out.extend_from_slice(then);
            true
        }
        None => false,
    }
}

/// The non-ASCII capital letter whose UTF-8 encoding starts at `text[i]`,
/// and its length in bytes; `None` for anything else (a small letter, a
/// mark, bytes that are not UTF-8).
fn capital_at(text: &[u8], i: usize) -> Option<(char, usize)> {
    let len = match text[i] {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(text.get(i..i + len)?).ok()?.chars().next()?;
    (c.is_uppercase() && !c.is_ascii()).then_some((c, len))
}

/// Cuts the continuation prefixes of a folded multi-line reply
/// (`550-5.1.1 … 550-5.1.1 … 550 5.1.1 …`, as Postfix joins the lines) into
/// `out`, so phrases match across the folds. Returns false (and leaves
/// `out` alone) when there is nothing to cut.
pub(crate) fn unfold(text: &[u8], anatomy: &Anatomy, out: &mut Vec<u8>) -> bool {
    let Some(code) = anatomy.code else {
        return false;
    };
    let digits = [
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
    ];
    let prefix = [b' ', digits[0], digits[1], digits[2]];
    let body = anatomy.body.min(text.len());
    let folded = memchr::memchr_iter(b'-', &text[body..]).any(|i| text[..body + i].ends_with(&prefix));
    if !folded {
        return false;
    }
    out.clear();
    out.extend_from_slice(&text[..body]);
    let mut i = body;
    let mut changed = false;
    while i < text.len() {
        if text[i] == b' ' && text.get(i + 1..i + 4) == Some(&digits[..]) {
            let sep = text.get(i + 4).copied();
            if sep == Some(b'-') || sep == Some(b' ') || sep.is_none() {
                let mut j = (i + 5).min(text.len());
                // The DSN may be written `#5.1.1`, as some servers do.
                let at = j + usize::from(text.get(j) == Some(&b'#'));
                let dsn_end = dsn_at(text, at).map(|(_, e)| e);
                // `550-`, `550-5.1.1`, and the last line's `550 5.1.1`; a
                // bare ` 550 ` only counts as the last line's prefix.
                if sep != Some(b' ') || dsn_end.is_some() || sep.is_none() || changed {
                    j = dsn_end.unwrap_or(j);
                    while text.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    out.push(b' ');
                    i = j;
                    changed = true;
                    continue;
                }
            }
        }
        out.push(text[i]);
        i += 1;
    }
    changed
}

/// The host name of a `relay=` value: `mx.example.com[192.0.2.1]:25` →
/// `mx.example.com`; `none` → no host.
pub(crate) fn relay_host(relay: &[u8]) -> Option<&[u8]> {
    let end = relay
        .iter()
        .position(|&b| b == b'[' || b == b':')
        .unwrap_or(relay.len());
    let host = &relay[..end];
    (!host.is_empty() && !host.eq_ignore_ascii_case(b"none")).then_some(host)
}

/// The remote host a Postfix text names: `host NAME[…]` or `connect to NAME[…]`.
/// Scans the `[`s (a reply has few) and looks back for the name.
pub(crate) fn text_host(text: &[u8]) -> Option<&[u8]> {
    memchr::memchr_iter(b'[', text).find_map(|i| {
        let before = &text[..i];
        let len = before
            .iter()
            .rev()
            .take(256)
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            .count();
        let head = &before[..i - len];
        // `host ` or `connect to ` as a word of its own. Each marker is
        // checked only where the text ends with it: `Hoshost mx1[…]` ends
        // with `host ` but is shorter than `connect to `, and taking that
        // length off it overflowed (a panic, issue 21's fuzzing).
        let word = |m: &[u8]| {
            head.strip_suffix(m)
                .is_some_and(|rest| !rest.last().is_some_and(u8::is_ascii_alphanumeric))
        };
        (len > 0 && (word(b"host ") || word(b"connect to "))).then(|| &before[i - len..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_plain_and_copied_only_when_that_differs() {
        let mut out = b"left alone".to_vec();
        assert!(!plain_reply(b"550 5.1.1 User unknown", &mut out));
        assert_eq!(out, b"left alone");
        assert!(plain_reply(b"550  5.1.1 \t User\r\nunknown  ", &mut out));
        assert_eq!(out, b"550 5.1.1 User unknown ");
        assert!(plain_reply(b"550\t5.1.1", &mut out));
        assert_eq!(out, b"550 5.1.1");
        assert!(plain_reply("550 User doesn\u{2019}t exist".as_bytes(), &mut out));
        assert_eq!(out, b"550 User does not exist");
        // Contracted negations are written out, in any case and with either
        // apostrophe; other apostrophes and words are left as they are.
        assert!(plain_reply(
            b"550 Mailbox isn't here, we can't and WON'T",
            &mut out
        ));
        assert_eq!(out, b"550 Mailbox is not here, we cannot and will not");
        assert!(plain_reply(
            "554 You aren\u{2018}t allowed; it's 'n't'".as_bytes(),
            &mut out
        ));
        assert_eq!(out, b"554 You are not allowed; it's 'n't'");
        assert!(plain_reply(b"550 user's mailbox doesnt exist, ISNT it", &mut out));
        assert_eq!(out, b"550 user's mailbox does not exist, IS not it");
        // "cant" and "wont" are words; "parent", "don'tx" and "user's" hold
        // no negation.
        assert!(!plain_reply(
            b"550 I cant and wont, parent don'tx user's",
            &mut out
        ));
        assert!(plain_reply(b"550 Sorry, I can't", &mut out));
        assert_eq!(out, b"550 Sorry, I cannot");
        // Non-ASCII capitals read small (ASCII keeps its case); small
        // letters, CJK and bytes that are not UTF-8 alone need no copy.
        assert!(plain_reply("552 Ящик ПЕРЕПОЛНЕН, EL BUZÓN".as_bytes(), &mut out));
        assert_eq!(out, "552 ящик переполнен, EL BUZóN".as_bytes());
        assert!(!plain_reply(
            "550 ящик не существует 用户不存在".as_bytes(),
            &mut out
        ));
        assert!(!plain_reply(b"550 \xd0 \xff\xc3", &mut out));
        // Spellings servers vary on read alike; other hyphens stay.
        assert!(plain_reply(b"550 Harmful E-Mail, e-mail-Adresse", &mut out));
        assert_eq!(out, b"550 Harmful EMail, email-Adresse");
        assert!(plain_reply(
            b"550 Non-existent mail box, Mail boxes; BLOCKLISTED, Unauthorised organisation",
            &mut out
        ));
        assert_eq!(
            out,
            b"550 Nonexistent mailbox, Mailboxes; BLACKLISTED, Unauthorized organization"
        );
        assert!(!plain_reply(
            b"550 re-mail, e-main, e-, non-1, email boxer, mail box2, unblocklist, authoritative, noise",
            &mut out
        ));
    }

    fn read(s: &str) -> Anatomy {
        Anatomy::read(s.as_bytes())
    }

    /// Found by `fuzz/` (target `classify`): `host ` not a word of its own,
    /// in a text shorter than `connect to `, panicked on a subtraction.
    #[test]
    fn text_host_of_a_short_text_ending_in_host_inside_a_word() {
        let crash = b"Hoshost mx1horovice.cz[62.168.61.165]:25: Connection timed out";
        assert_eq!(text_host(crash), None);
        assert_eq!(text_host(b"xhost a[1]"), None);
        assert_eq!(text_host(b"host a[1]"), Some(&b"a"[..]));
        assert_eq!(text_host(b"(host a[1]"), Some(&b"a"[..]));
        assert_eq!(text_host(b"Xconnect to a[1]"), None);
        assert_eq!(text_host(b"connect to a[1]"), Some(&b"a"[..]));
    }

    #[test]
    fn remote_replies_have_their_stage() {
        let a = read("host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@b.example>: User unknown (in reply to RCPT TO command)");
        assert_eq!(
            (a.origin, a.stage, a.code),
            (Origin::Remote, Some(Stage::RcptTo), Some(550))
        );
        assert_eq!(a.dsn.map(|d| d.to_string()).as_deref(), Some("5.1.1"));
        let cases = [
            (
                "said: 554 5.7.1 spam (in reply to end of DATA command)",
                Stage::EndOfData,
            ),
            ("said: 354 go on (in reply to DATA command)", Stage::Data),
            (
                "said: 553 sender refused (in reply to MAIL FROM command)",
                Stage::MailFrom,
            ),
            ("said: 550 no thanks (in reply to EHLO command)", Stage::Helo),
            (
                "said: 454 4.7.0 TLS not available (in reply to STARTTLS command)",
                Stage::Starttls,
            ),
            (
                "said: 535 5.7.8 bad credentials (in reply to AUTH command)",
                Stage::Auth,
            ),
            (
                "refused to talk to me: 550 Too many invalid recipients",
                Stage::Greeting,
            ),
        ];
        for (tail, stage) in cases {
            let a = read(&format!("host mx.example.com[192.0.2.1] {tail}"));
            assert_eq!((a.origin, a.stage), (Origin::Remote, Some(stage)), "{tail}");
        }
        // A bare reply (as `classify` is given one) is remote, stage unknown.
        let a = read("550 5.1.1 User unknown");
        assert_eq!((a.origin, a.stage, a.code), (Origin::Remote, None, Some(550)));
    }

    #[test]
    fn postfix_texts_are_postfix_with_the_stage_they_name() {
        let cases = [
            ("connect to mx.example.com[192.0.2.1]:25: Connection refused", Some(Stage::Connect)),
            ("delivery temporarily suspended: connect to mx.example.com[192.0.2.1]:25: Connection timed out", Some(Stage::Connect)),
            ("lost connection with mx.example.com[192.0.2.1] while receiving the initial server greeting", Some(Stage::Greeting)),
            ("conversation with mx.example.com[192.0.2.1] timed out while sending end of data -- message may be sent more than once", Some(Stage::EndOfData)),
            ("lost connection with mx.example.com[192.0.2.1] while sending RCPT TO", Some(Stage::RcptTo)),
            ("Host or domain name not found. Name service error for name=gmail.com type=A: Host not found", None),
            ("unknown user: \"bob\"", None),
            ("temporary failure. Command output: procmail: Quota exceeded", None),
            ("mail for example.com loops back to myself", None),
        ];
        for (text, stage) in cases {
            let a = read(text);
            assert_eq!(
                (a.origin, a.stage, a.code),
                (Origin::Postfix, stage, None),
                "{text}"
            );
        }
    }

    #[test]
    fn a_quoted_reply_inside_a_postfix_text_is_remote() {
        let a = read("delivery temporarily suspended: host mx.example.com[192.0.2.1] said: 451 4.7.1 Greylisted (in reply to RCPT TO command)");
        assert_eq!(
            (a.origin, a.stage, a.code),
            (Origin::Remote, Some(Stage::RcptTo), Some(451))
        );
    }

    #[test]
    fn names_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        for o in Origin::ALL {
            assert_eq!(Origin::parse(o.as_str()), Some(o));
        }
        assert_eq!(Stage::parse("RCPT"), None);
    }

    #[test]
    fn any_bytes_are_safe() {
        for text in [
            &b""[..],
            b"said: ",
            b"in reply to ",
            b" while ",
            b"\xff\xfe550-",
            b"refused to talk to me: 5",
        ] {
            let _ = Anatomy::read(text);
        }
    }
}
