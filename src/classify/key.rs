//! The per-worker cache's key: a reply lower-cased with the parts that vary
//! between otherwise identical replies masked ([`mask_into`]), and a fast
//! hasher for such byte keys ([`KeyHasher`]).
//!
//! `matcher` keys its cache on it and hides host names with the same
//! tokenizer ([`is_token_byte`]); `catalogue` refuses a phrase that holds a
//! masked token and hashes its provider suffixes with [`KeyHasher`], without
//! importing `matcher` for it. (`crate::mask` is another thing: `--mask`,
//! addresses hidden in the output.)

use super::Dsn;
use std::hash::Hasher;

/// A fast hasher for cache keys (FxHash's multiply-rotate over 8-byte
/// words). SipHash, the std default, made a cached lookup of a typical
/// 200-byte reply cost about a third of the whole classification; the
/// cache is bounded and per worker, so hash flooding could at worst slow
/// that worker, never change a verdict.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) fn is_token_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & TOKEN != 0
}

/// Byte classes of the cache key's tokenizer: one table lookup per byte
/// instead of a chain of comparisons.
const TOKEN: u8 = 1;
const DIGIT: u8 = 2;
const ALPHA: u8 = 4;
const DOT: u8 = 8;
const AT: u8 = 16;
/// A token byte other than a letter, digit or dot (`-_@+%/`).
const PUNCT: u8 = 32;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            TOKEN | DIGIT
        } else if c.is_ascii_alphabetic() {
            TOKEN | ALPHA
        } else if c == b'.' {
            TOKEN | DOT
        } else if c == b'@' {
            TOKEN | AT | PUNCT
        } else if matches!(c, b'-' | b'_' | b'+' | b'%' | b'/') {
            TOKEN | PUNCT
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Appends `text` to `out` lower-cased (ASCII) with the parts that vary
/// between otherwise identical replies masked, so they share a cache entry:
/// e-mail addresses → `@`; IPv4 addresses (except loopback) and numbers of
/// five digits or more → `#`; tokens of eight bytes or more that contain a
/// digit (queue ids, `a1si123.45 - gsmtp`, host names) → `#` unless they are
/// enhanced status codes; a host name just before `[` and the value of
/// `name=` → `~` (a host name without a dot → `~~`); bracketed text with a
/// digit longer than six bytes (`[192.0.2.1]`, `[2001:db8::1]`, Microsoft's
/// `[… .prod.outlook.com …]`) → `[#]`, except local sockets and loopback
/// addresses, which rules use.
///
/// This runs on every reply, cached or not, so it is one pass with a byte
/// class table: each token's classes, digits and dots are gathered while
/// finding its end. It is most of a cache hit's cost (42 % in `perf` on
/// `cargo bench --bench classify` "cached"); on a 177-byte Gmail reply it
/// took 0.43 µs where the plain multi-pass version took 0.59, measured side
/// by side. The unit tests `mask_matches_the_reference*` (in `matcher`) keep
/// the two equal.
pub(crate) fn mask_into(text: &[u8], out: &mut Vec<u8>) {
    let n = text.len();
    // Masks only shorten, except `name=` + an empty value (one byte more).
    out.reserve(n + 8);
    let mut i = 0;
    while i < n {
        let b = text[i];
        if b == b'[' {
            let close = text[i + 1..].iter().take(256).position(|&c| c == b']');
            if let Some(len) = close {
                let inner = &text[i + 1..i + 1 + len];
                let local = inner.starts_with(b"127.")
                    || inner.starts_with(b"::1")
                    || inner.starts_with(b"private/")
                    || inner.starts_with(b"public/")
                    || inner.starts_with(b"/");
                if len > 6 && !local && inner.iter().any(u8::is_ascii_digit) {
                    out.extend_from_slice(b"[#]");
                    i += len + 2;
                    continue;
                }
            }
            out.push(b);
            i += 1;
            continue;
        }
        if CLASS[usize::from(b)] & TOKEN == 0 {
            // Not a letter: nothing to lower-case.
            out.push(b);
            i += 1;
            continue;
        }
        let start = i;
        let (mut classes, mut digits, mut dots) = (0u8, 0usize, 0usize);
        while i < n {
            let c = CLASS[usize::from(text[i])];
            if c & TOKEN == 0 {
                break;
            }
            classes |= c;
            digits += usize::from(c & DIGIT != 0);
            dots += usize::from(c & DOT != 0);
            i += 1;
        }
        let tok = &text[start..i];
        if text.get(i) == Some(&b'[') && classes & ALPHA != 0 {
            // A name without a dot (`dovecot[…]`, a container or a host on
            // our own network; a public MX always has a dotted name) is
            // `~~`, so a rule may tell the two apart.
            out.extend_from_slice(if dots == 0 { b"~~" } else { b"~" });
            continue;
        }
        if tok.eq_ignore_ascii_case(b"name") && text.get(i) == Some(&b'=') {
            out.extend_from_slice(b"name=~");
            i += 1;
            while i < n && CLASS[usize::from(text[i])] & TOKEN != 0 {
                i += 1;
            }
            continue;
        }
        match token_mask(tok, classes, digits, dots) {
            Some(m) => out.extend_from_slice(m),
            None => out.extend(tok.iter().map(u8::to_ascii_lowercase)),
        }
    }
}

/// What a token is masked to, if it is masked, given its byte classes
/// (OR-ed), digit count and dot count.
fn token_mask(tok: &[u8], classes: u8, digits: usize, dots: usize) -> Option<&'static [u8]> {
    if classes & AT != 0 {
        return Some(b"@");
    }
    if digits == 0 {
        return None;
    }
    let trimmed = tok.strip_suffix(b".").unwrap_or(tok);
    if Dsn::parse(trimmed).is_some() {
        return None;
    }
    let numeric = classes & (ALPHA | PUNCT) == 0;
    if numeric && dots >= 3 && !tok.starts_with(b"127.") {
        return Some(b"#");
    }
    if (numeric && dots == 0 && digits >= 5) || tok.len() >= 8 {
        return Some(b"#");
    }
    None
}
