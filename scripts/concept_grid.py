#!/usr/bin/env python3
"""How many ways of saying a mailbox is missing, full or disabled the catalogue reads.

    python3 scripts/concept_grid.py [--bin BIN] [--show]

A grid of sentences, each a noun a server may use for the mailbox ("User",
"Recipient address", "Inbox", ...) and a predicate ("could not be found",
"has no space left", "has been deactivated", ...), or a prefix and a noun
("No such address"), written as a remote reply to RCPT TO (or the command named), once with the
cause's enhanced status code (5.1.1, 5.2.2, 5.2.1) and once without. Every
sentence says its cause plainly; pairings a careful reader would not call
(a bare "Address unknown" that may be the sender's, "Account exceeds quota"
that may be a sending quota, "Mailbox unavailable", "Invalid address" that
may be its syntax) are left out. Without the code the words alone must
decide: that is the figure that tells how far the concepts reach beyond the
wordings the rules were written from.

The grid is ours, not an outside measure: rules may be written from it.
Prints, per cause, how many sentences get it with and without the code;
--show lists the others.
"""
import argparse
import itertools
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_heldout import classify, default_bin  # noqa: E402

WRAP = "host mx.example.net[192.0.2.9] said: {code} {dsn}{text} (in reply to {stage} command)"

GRIDS = {
    "user_unknown": dict(
        code="550",
        dsn="5.1.1",
        nouns=["User", "Recipient", "Mailbox", "Mail box", "Account", "E-mail address", "Email account",
               "Recipient address", "Destination address", "Addressee", "Local user", "Recipient mailbox",
               "User account", "Mailbox name"],
        predicates=["unknown", "is unknown", "not found", "was not found", "could not be found",
                    "cannot be found", "does not exist", "doesn't exist", "is not known", "not known here",
                    "is invalid", "not valid", "is not valid", "not recognized", "is not recognised",
                    "not listed", "not registered", "is not registered", "non-existent", "nonexistent",
                    "no longer exists"],
        prefixes=["Unknown", "No such", "Nonexistent", "Non-existent", "Unrecognized"],
        prefixed=["user", "recipient", "mailbox", "account", "address", "addressee", "email address"],
    ),
    "mailbox_full": dict(
        code="552",
        dsn="5.2.2",
        nouns=["Mailbox", "Mail box", "Inbox", "Mailbox of the recipient", "Recipient mailbox", "Recipient",
               "User", "Account"],
        predicates=["is full", "full", "over quota", "is over quota", "has exceeded its quota",
                    "quota exceeded", "exceeds quota", "storage full", "out of storage", "has no space left",
                    "exceeds storage limit", "is over its storage limit"],
        # An account's quota may be a sending quota.
        unless={"Account": ["over quota", "is over quota", "has exceeded its quota", "quota exceeded",
                            "exceeds quota", "exceeds storage limit"]},
    ),
    "suspend": dict(
        code="550",
        dsn="5.2.1",
        nouns=["Mailbox", "Account", "User", "User account", "Email account", "Recipient",
               "Recipient account", "Mailbox of the user"],
        predicates=["disabled", "is disabled", "has been disabled", "suspended", "is suspended",
                    "has been suspended", "inactive", "is inactive", "deactivated", "has been deactivated",
                    "locked", "is locked", "frozen", "is frozen", "expired", "has expired", "closed",
                    "is closed", "terminated", "has been terminated", "blocked for inactivity"],
    ),
    "mesg_too_big": dict(
        code="552",
        dsn="5.3.4",
        nouns=["Message", "Message size", "Mail", "Email", "The message", "Your message", "Message body"],
        predicates=["too large", "is too large", "too big", "is too big", "exceeds size limit",
                    "exceeds the maximum size", "exceeds maximum allowed size", "exceeds the size limit",
                    "larger than allowed", "is larger than the maximum allowed size", "over size limit"],
    ),
    "no_relaying": dict(
        code="554",
        dsn="5.7.1",
        nouns=["Relay access", "Relaying", "Relay", "Relaying to this domain", "Relaying for this recipient"],
        predicates=["denied", "not permitted", "not allowed", "prohibited", "rejected", "refused",
                    "is not allowed", "is denied", "disallowed"],
        prefixes=["We do not", "Unable to", "We don't", "Not allowed to", "You may not"],
        prefixed=["relay", "relay for this domain", "relay mail for you"],
    ),
    "blocked": dict(
        code="554",
        dsn="5.7.1",
        nouns=["Your IP", "Your IP address", "The sending IP", "Client host", "Your server",
               "Sending host", "Your mail server", "Connecting IP"],
        predicates=["is blacklisted", "is blocked", "has been blocked", "is listed in a DNSBL",
                    "is on our block list", "is on a blocklist", "is banned", "is listed on Spamhaus",
                    "is listed in our blacklist", "is blacklisted by us"],
    ),
    "greylisted": dict(
        code="451",
        dsn="4.7.1",
        nouns=["Greylisted", "Graylisted", "Greylisting in action", "Greylisting active",
               "You are greylisted", "Temporarily greylisted", "Recipient address rejected: Greylisted"],
        predicates=["", ", please try again later", ", try again in 5 minutes", " - retry later",
                    ", come back later"],
    ),
    "speeding": dict(
        code="450",
        dsn="4.7.1",
        nouns=["You are", "Your IP is", "Sender is", "This sender is", "Your server is", "Your host is"],
        predicates=["sending too fast", "rate limited", "being rate limited", "throttled", "being throttled",
                    "sending mail too fast", "sending too many messages", "exceeding the allowed sending rate",
                    "over the rate limit"],
    ),
    "spam_detected": dict(
        code="550",
        dsn="5.7.1",
        stage="end of DATA",
        nouns=["Message", "Your message", "This message", "Mail", "Email", "Your email"],
        predicates=["looks like spam", "appears to be spam", "classified as spam", "identified as spam",
                    "detected as spam", "rejected as spam", "considered spam", "flagged as spam", "is spam",
                    "was classified as spam", "was identified as spam"],
    ),
    "rejected": dict(
        code="550",
        dsn="5.7.1",
        stage="MAIL FROM",
        nouns=["Sender", "Sender address", "Your sender address", "Envelope sender", "MAIL FROM address",
               "Sender domain", "Your sender domain"],
        predicates=["rejected", "refused", "denied", "not allowed", "is blacklisted", "is blocked",
                    "not permitted", "is not accepted", "blocked", "is banned"],
    ),
    "host_unknown": dict(
        code="550",
        dsn="5.1.2",
        nouns=["Domain", "Recipient domain", "Destination domain", "The domain", "Domain name",
               "Recipient's domain"],
        predicates=["not found", "does not exist", "is unknown", "unknown", "doesn't exist", "nonexistent",
                    "could not be found", "cannot be found", "is not registered", "does not resolve"],
        prefixes=["No such", "Unknown", "Nonexistent", "Non-existent", "Unresolvable"],
        prefixed=["domain", "recipient domain", "destination domain"],
    ),
}


def sentences(g):
    out = []
    for noun, pred in itertools.product(g["nouns"], g["predicates"]):
        if pred not in g.get("unless", {}).get(noun, []):
            out.append(f"{noun} {pred}" if pred[:1].isalpha() else noun + pred)
    for prefix, noun in itertools.product(g.get("prefixes", []), g.get("prefixed", [])):
        out.append(f"{prefix} {noun}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="bounce-report binary (default: as score_heldout.py)")
    ap.add_argument("--show", action="store_true", help="list the sentences read otherwise")
    a = ap.parse_args()
    binary = a.bin or default_bin()
    for cause, g in GRIDS.items():
        texts = sentences(g)
        line = [cause]
        for dsn in (g["dsn"] + " ", ""):
            replies = [WRAP.format(code=g["code"], dsn=dsn, text=t, stage=g.get("stage", "RCPT TO")) for t in texts]
            got = classify(binary, replies)
            right = sum(x == cause for x in got)
            line.append(f"{'with' if dsn else 'without'} {g['dsn']}: {right}/{len(texts)}")
            if a.show:
                for r, x in zip(replies, got):
                    if x != cause:
                        print(f"    [{cause} -> {x}] {r}")
        print("  ".join(line))


if __name__ == "__main__":
    main()
