//! Hand-offs to a content filter (amavis, a milter-less spam filter, …): a
//! `status=sent` to a relay of our own that queues the message again. It
//! has not left our hands towards the recipient: the filter re-injects it
//! under a new queue id, whose delivery (or bounce) is the recipient's fate
//! (issue 20: on a server with amavis, 857 of 1,789 "sent" were hand-offs
//! to `127.0.0.1[127.0.0.1]:10024`, and a domain whose two messages both
//! bounced showed a 50% bounce rate). Hand-offs are counted apart, as
//! "handed to filter", and are no event.
//!
//! A hand-off is a `status=sent` whose relay is
//! - on a loopback or local address (127.0.0.0/8, `::1`, a host named
//!   `localhost`, a Unix socket) and whose reply says `queued as`
//!   (Postfix's and amavis's words for "accepted into my queue"; a local
//!   LMTP server's "Saved" is a final delivery), or
//! - one the user names with `--content-filter-relay`, whatever the reply
//!   (amavis answers "250 2.7.0 Ok, discarded" for mail it drops).

/// The relays that are content filters.
#[derive(Clone, Debug, Default)]
pub struct FilterRelays {
    named: Vec<Named>,
}

/// A relay the user named: a host name or address, and perhaps a port.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Named {
    host: Vec<u8>,
    port: Option<Vec<u8>>,
}

impl FilterRelays {
    /// The relays named on the command line, each `HOST`, `HOST:PORT` or
    /// `[ADDRESS]:PORT` (an IPv6 address without a port may go bare).
    pub fn new(named: &[String]) -> FilterRelays {
        FilterRelays {
            named: named.iter().map(|n| Named::parse(n)).collect(),
        }
    }

    /// Whether a `status=sent` to `relay` with reply `reply` handed the
    /// message to a content filter.
    pub fn is_handoff(&self, relay: Option<&[u8]>, reply: Option<&[u8]>) -> bool {
        let Some(relay) = relay else { return false };
        let relay = Relay::parse(relay);
        self.named.iter().any(|n| n.matches(&relay))
            || (relay.is_local() && reply.is_some_and(|r| memchr::memmem::find(r, b"queued as ").is_some()))
    }
}

/// A delivery line's `relay=`: `name[address]:port`, `name[address]`, or a
/// bare word (`none`, `local`).
struct Relay<'a> {
    name: &'a [u8],
    address: &'a [u8],
    port: Option<&'a [u8]>,
}

impl<'a> Relay<'a> {
    fn parse(relay: &'a [u8]) -> Relay<'a> {
        let Some(open) = memchr::memchr(b'[', relay) else {
            return Relay {
                name: relay,
                address: b"",
                port: None,
            };
        };
        let rest = &relay[open + 1..];
        let close = memchr::memrchr(b']', rest).unwrap_or(rest.len());
        Relay {
            name: &relay[..open],
            address: &rest[..close],
            port: rest.get(close + 1..).and_then(|p| p.strip_prefix(b":")),
        }
    }

    /// On this machine: a loopback address, `localhost`, or a Unix socket
    /// (`private/amavis`).
    fn is_local(&self) -> bool {
        let a = self.address;
        let loopback_v4 = |a: &[u8]| a.starts_with(b"127.");
        loopback_v4(a)
            || a.strip_prefix(b"::ffff:").is_some_and(loopback_v4)
            || a == b"::1"
            || a.eq_ignore_ascii_case(b"ipv6:::1")
            || a.starts_with(b"private/")
            || a.starts_with(b"public/")
            || self.name.eq_ignore_ascii_case(b"localhost")
            || self
                .name
                .get(..10)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"localhost."))
    }
}

impl Named {
    fn parse(text: &str) -> Named {
        let text = text.trim();
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            match rest.split_once(']') {
                Some((host, after)) => (host, after.strip_prefix(':')),
                None => (rest, None),
            }
        } else {
            match text.rsplit_once(':') {
                // One colon: HOST:PORT; more: a bare IPv6 address.
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                _ => (text, None),
            }
        };
        Named {
            host: host.as_bytes().to_ascii_lowercase(),
            port: port.filter(|p| !p.is_empty()).map(|p| p.as_bytes().to_vec()),
        }
    }

    fn matches(&self, relay: &Relay<'_>) -> bool {
        (relay.name.eq_ignore_ascii_case(&self.host) || relay.address.eq_ignore_ascii_case(&self.host))
            && self.port.as_deref().is_none_or(|p| relay.port == Some(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMAVIS: &[u8] = b"250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 97FB176E36";

    fn handoff(relays: &[&str], relay: &str, reply: &[u8]) -> bool {
        let named: Vec<String> = relays.iter().map(|s| s.to_string()).collect();
        FilterRelays::new(&named).is_handoff(Some(relay.as_bytes()), Some(reply))
    }

    #[test]
    fn a_loopback_relay_that_queues_the_message_is_a_handoff() {
        assert!(handoff(&[], "127.0.0.1[127.0.0.1]:10024", AMAVIS));
        assert!(handoff(&[], "localhost[127.0.0.1]:10024", AMAVIS));
        assert!(handoff(&[], "localhost[::1]:10024", AMAVIS));
        assert!(handoff(
            &[],
            "127.0.0.2[127.0.0.2]:10026",
            b"250 2.0.0 Ok: queued as 4BkTpjjQ62z2zd"
        ));
        assert!(handoff(&[], "amavis[private/amavis]", AMAVIS));
    }

    #[test]
    fn a_remote_relay_or_a_final_local_delivery_is_sent() {
        assert!(!handoff(
            &[],
            "mx.example.com[192.0.2.1]:25",
            b"250 2.0.0 Ok: queued as 3F2A41C0B3"
        ));
        assert!(!handoff(
            &[],
            "127.0.0.1[127.0.0.1]:24",
            b"250 2.0.0 <bob@example.com> 4w8ZAQ Saved"
        ));
        assert!(!handoff(&[], "local", b"delivered to mailbox"));
        assert!(!handoff(&[], "none", b"queued as X"));
        assert!(!FilterRelays::default().is_handoff(None, Some(AMAVIS)));
    }

    #[test]
    fn a_named_relay_is_a_handoff_whatever_it_answers() {
        let discarded = b"250 2.7.0 Ok, discarded, id=12345-01 - spam";
        assert!(handoff(
            &["10.0.0.5:10024"],
            "10.0.0.5[10.0.0.5]:10024",
            discarded
        ));
        assert!(handoff(
            &["filter.example.net"],
            "Filter.Example.NET[10.0.0.5]:10024",
            discarded
        ));
        assert!(handoff(
            &["[2001:db8::5]:10024"],
            "f[2001:db8::5]:10024",
            discarded
        ));
        assert!(handoff(&["2001:db8::5"], "f[2001:db8::5]:10024", discarded));
        assert!(!handoff(&["10.0.0.5:10024"], "10.0.0.5[10.0.0.5]:25", discarded));
        assert!(!handoff(&["10.0.0.5"], "mx.example.com[192.0.2.1]:25", discarded));
    }
}
