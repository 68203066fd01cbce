//! Reply texts the catalogue could not classify, normalised so that the
//! replies one template made fall into one group: addresses, host names, IP
//! addresses, ids, numbers and URL query strings are masked; reply codes
//! (`550`, `5.7.1`) are kept, since they tell templates apart.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

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

#[cfg(test)]
mod tests {
    use super::normalise;

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
