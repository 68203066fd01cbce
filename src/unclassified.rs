//! Reply texts the catalogue could not classify, normalised so that the
//! replies one template made fall into one group: addresses, host names, IP
//! addresses, ids, numbers and URL query strings are masked; reply codes
//! (`550`, `5.7.1`) are kept, since they tell templates apart.
//!
//! The normalised text is also a reply's *shape*, by which the example
//! shown for a cause is chosen (the cause's commonest shape). [`ShapeCache`]
//! normalises each distinct reply text once rather than once per event.

use std::borrow::Cow;
use std::hash::Hasher;
use std::sync::OnceLock;

use regex::Regex;
use rustc_hash::FxHashMap as HashMap;

use crate::event::lossy;

struct Masks {
    said: Regex,
    email: Regex,
    query: Regex,
    ipv4: Regex,
    ipv6: Regex,
    host: Regex,
    id: Regex,
    number: Regex,
    code: Regex,
    dsn: Regex,
    space: Regex,
}

fn masks() -> &'static Masks {
    static MASKS: OnceLock<Masks> = OnceLock::new();
    MASKS.get_or_init(|| {
        // The patterns are fixed; a failure to compile is a bug caught by
        // every test that normalises a reply.
        let re = |p: &str| Regex::new(p).expect("fixed pattern");
        Masks {
            said: re(r"^host \S+ (said|refused to talk to me):"),
            email: re(r"[^\s<>()\[\]\x22',;:]+@[A-Za-z0-9.-]+"),
            query: re(r"\?[^\s)>\]]*"),
            ipv4: re(r"\b\d{1,3}(\.\d{1,3}){3}\b"),
            ipv6: re(r"\b[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}\b"),
            host: re(r"\b([A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b"),
            // A word with a digit in it: an id, a counter, a local part
            // like `anna.li28956` (dots and underscores belong to the word).
            id: re(r"[A-Za-z0-9._%+]*[0-9][A-Za-z0-9._%+]*"),
            number: re(r"\b\d+\b"),
            code: re(r"^(host <host> (?:said|refused to talk to me): )?([245]\d\d)\b"),
            dsn: re(r"\b[245]\.\d{1,3}\.\d{1,3}\b"),
            space: re(r"\s+"),
        }
    })
}

/// The group key of a reply: its text with the varying parts masked.
pub fn normalise(reply: &str) -> String {
    let m = masks();
    let t: Cow<str> = m.said.replace(reply, "host <host> $1:");
    let t = m.email.replace_all(&t, "<address>");
    let t = m.query.replace_all(&t, "?<query>");
    let t = m.ipv4.replace_all(&t, "<ip>");
    let t = m.ipv6.replace_all(&t, "<ip>");
    let t = m.host.replace_all(&t, "<host>");
    // Reply codes stay: the one the reply starts with and the enhanced
    // status codes; every other number or id is masked.
    let keep: Vec<std::ops::Range<usize>> = m
        .code
        .captures(&t)
        .and_then(|c| c.get(2))
        .map(|c| c.range())
        .into_iter()
        .chain(m.dsn.find_iter(&t).map(|d| d.range()))
        .collect();
    let kept = |r: std::ops::Range<usize>| keep.iter().any(|k| k.start <= r.start && r.end <= k.end);
    let mut out = String::with_capacity(t.len());
    let mut last = 0;
    // Ids and numbers, in text order (an id found first wins its span).
    let tokens: std::collections::BTreeMap<usize, regex::Match<'_>> = m
        .number
        .find_iter(&t)
        .chain(m.id.find_iter(&t))
        .map(|x| (x.start(), x))
        .collect();
    for token in tokens.into_values() {
        if token.start() < last || kept(token.range()) {
            continue;
        }
        out.push_str(&t[last..token.start()]);
        out.push_str(if token.as_str().bytes().all(|b| b.is_ascii_digit()) {
            "<n>"
        } else {
            "<id>"
        });
        last = token.end();
    }
    out.push_str(&t[last..]);
    let t = out;
    let t = m.space.replace_all(&t, " ");
    t.trim().to_string()
}

/// A reply's shape: the 64-bit hash of its [`normalise`]d text. Two
/// shapes would have to collide in 64 bits to be counted as one, as for the
/// byte-keyed counts in `aggregate`.
pub type Shape = u64;

/// The [`Shape`] of a normalised text.
pub fn shape_of(key: &str) -> Shape {
    hash(key.as_bytes())
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// The shapes of the replies one summary (one worker) has seen, by the
/// hash of their exact bytes: a reply seen again (a deferral retried, a
/// text without an address or a number in it) is not normalised again.
/// [`normalise`] takes 3-5 µs a reply (eleven regex passes); this is one
/// hash of the bytes and one lookup.
///
/// Bounded: at [`ShapeCache::TEXTS`] texts the cache is emptied and fills
/// again, so it never holds more than 28,672 entries of 16 bytes (about
/// 560 KiB with the hash table's control bytes and spare buckets: 28,672
/// is 7/8 of 32 Ki buckets, the table's load limit).
#[derive(Clone, Debug, Default)]
pub struct ShapeCache {
    by_text: HashMap<u64, Shape>,
}

/// A cache holds no facts: two summaries that counted the same are equal
/// whatever their caches remember (how the input was cut into chunks
/// decides that; issue 21's property tests compare summaries).
impl PartialEq for ShapeCache {
    fn eq(&self, _: &ShapeCache) -> bool {
        true
    }
}

impl ShapeCache {
    /// The most texts held.
    pub const TEXTS: usize = 28_672;

    /// The shape of `reply`, with its normalised text when it was computed
    /// now (not found in the cache).
    pub fn shape(&mut self, reply: &[u8]) -> (Shape, Option<String>) {
        let text = hash(reply);
        if let Some(&shape) = self.by_text.get(&text) {
            return (shape, None);
        }
        if self.by_text.len() >= Self::TEXTS {
            self.by_text.clear();
        }
        let key = normalise(&lossy(reply));
        let shape = shape_of(&key);
        self.by_text.insert(text, shape);
        (shape, Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::{normalise, shape_of, ShapeCache};

    #[test]
    fn the_cache_gives_each_text_its_normalised_shape_and_stays_bounded() {
        let mut cache = ShapeCache::default();
        let reply = |i: usize| format!("451 plonk the snark of anna.li{i} at 198.51.100.25, ref {i}");
        let key = normalise(&reply(0));
        let (shape, computed) = cache.shape(reply(0).as_bytes());
        assert_eq!((shape, computed.as_deref()), (shape_of(&key), Some(key.as_str())));
        assert_eq!(cache.shape(reply(0).as_bytes()), (shape, None), "cached");
        for i in 1..ShapeCache::TEXTS + 10 {
            assert_eq!(cache.shape(reply(i).as_bytes()).0, shape);
            assert!(cache.by_text.len() <= ShapeCache::TEXTS);
        }
        // Invalid UTF-8 is read as the report reads it.
        let bytes = b"550 caf\xe9 closed 12";
        assert_eq!(
            cache.shape(bytes).0,
            shape_of(&normalise(&String::from_utf8_lossy(bytes)))
        );
    }

    #[test]
    fn bare_local_parts_and_dotted_ids_are_one_token() {
        assert_eq!(
            normalise("451 plonk the snark of anna.li28956 at 198.51.100.25, ref 449"),
            normalise("451 plonk the snark of carol.zhang27178 at 198.51.100.26, ref 995")
        );
        assert_eq!(
            normalise("550-5.7.1 no 550-5.7.1 way 550 5.7.1 ok"),
            "550-5.7.1 no <n>-5.7.1 way <n> 5.7.1 ok"
        );
    }

    #[test]
    fn one_template_one_group() {
        let a = normalise("host mx1.acme1.com[192.0.2.1] said: 550 5.7.1 <bob@acme1.com>: zorg 4412 flux from 198.51.100.25 (in reply to RCPT TO command)");
        let b = normalise("host mx2.other-place.co.uk[203.0.113.9] said: 550 5.7.1 <ann.lee77@other-place.co.uk>: zorg 17 flux from 198.51.100.26 (in reply to RCPT TO command)");
        assert_eq!(a, b);
        assert_eq!(
            a,
            "host <host> said: 550 5.7.1 <<address>>: zorg <n> flux from <ip> (in reply to RCPT TO command)"
        );
    }

    #[test]
    fn ids_query_strings_and_ipv6_are_masked() {
        let a = normalise(
            "451 4.7.1 try later https://x.example/help?id=abc123&ip=1.2.3.4 [AM6PR0502MB3765] 2001:db8::25",
        );
        assert_eq!(a, "451 4.7.1 try later https://<host>/help?<query> [<id>] <ip>");
    }

    #[test]
    fn different_texts_stay_apart() {
        assert_ne!(normalise("550 no such user"), normalise("550 mailbox disabled"));
        assert_ne!(normalise("550 5.1.1 x"), normalise("450 4.1.1 x"));
    }
}
