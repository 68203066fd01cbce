#!/usr/bin/env python3
"""Labelled replies from Microsoft's Exchange Online NDR code table.

    microsoft_labels.py OFFICEDOCS_EXCHANGE_GITDIR [-o OUT.tsv]

OFFICEDOCS_EXCHANGE_GITDIR is a bare git directory of
github.com/MicrosoftDocs/OfficeDocs-Exchange (documentation, CC BY 4.0).
Its page "Email non-delivery reports in Exchange Online" (PAGE below) has a
table with one row per NDR code: the code (basic and enhanced, or enhanced
only, or a range), the description (the reply text, mostly in backticks)
and the "Possible cause" in Microsoft's words.

Each row (each code of "5.4.6 or 5.4.14", each backticked reply of a row
that gives its own codes inline) becomes one reply, as Postfix logs a
remote reply:

    host mx.example.com[192.0.2.1] said: 550 5.1.10 Recipient not found (in reply to RCPT TO command)

The basic code is the one the row gives, else 550 or 450 by the class of
the enhanced code; a range (4.7.500-699) is written as its first code; a
row with no code (n/a) gets 550 alone. The command is RCPT TO unless the
row says otherwise (COMMAND below). Placeholders in the descriptions
($SenderIPAddress, [IP1.IP2.IP3.IP4], ...) are replaced by documentation
addresses and names.

The label is the row's "Possible cause" mapped to a cause of SPEC.md by
LABELS below, a table written from the page before the classifier was run
on these rows. A row whose cause fits no cause of SPEC.md, or two of them,
is mapped to None and dropped; a row the table does not know is dropped
too and printed.
"""
import argparse
import os
import re
import sys
from collections import Counter

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PAGE = ("Exchange/ExchangeOnline/mail-flow-best-practices/"
        "non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online.md")

# (enhanced code, start of the reply text, lower case) -> cause, or None to drop.
# Written from each row's "Possible cause" (quoted in short after each entry)
# and SPEC.md's "Telling close causes apart"; a provider's documented meaning
# of its own code beats the wording of the reply.
LABELS = {
    # "recipient mailbox ... throttled because it's receiving too many messages too quickly"
    ("4.3.2", "storedrv.deliver; recipient thread limit"): "speeding",
    # "attempts to connect to it are failing due to a network connection issue"
    ("4.4.316", "connection refused"): "network_error",
    # "The message in the queue has expired"
    ("4.4.7", "message expired"): "expired",
    # "more than 200 SMTP envelope recipients from the same domain"
    ("4.5.3", "too many recipients"): "exceed_limit",
    # "message sent over IPv6 must pass either SPF or DKIM"
    ("4.7.26", "access denied, a message sent over ipv6"): "auth_failure",
    # "Suspicious activity has been detected and sending has been temporarily
    # restricted" (abnormal sending behaviour: bad_reputation)
    ("4.7.500", "access denied, please try again later"): "bad_reputation",
    # "Suspicious activity has been detected on the IP in question"
    ("4.7.850", "access denied, please try again later"): "bad_reputation",
    # "generic catch-all error code for a wide variety of non-specific errors"
    ("5.0.350", "x-dg-ref header is too long"): None,
    # Outlook saved message, legacyExchangeDN lookup fails: no SPEC cause
    ("5.1.0", "sender denied"): None,
    # "The recipient's email address doesn't exist in the destination email system" (and typos)
    ("5.1.1", "bad destination mailbox address"): "user_unknown",
    # "account has been blocked for sending too much spam ... compromised":
    # a refused sender (rejected) or for its sending behaviour (bad_reputation)
    ("5.1.8", "access denied, bad outbound sender"): None,
    # "The recipient's <SMTP Address> was not found by SMTP address lookup"
    ("5.1.10", "recipient not found"): "user_unknown",
    # "exceeded the recipient rate limit or the message rate limit"
    ("5.2.2", "submission quota exceeded"): "speeding",
    # "maximum number of messages they're allowed to send per hour to a specific recipient"
    ("5.2.121", "recipient's per hour message receive limit from specific sender"): "speeding",
    # "recipient has exceeded the number of messages they can receive per hour"
    ("5.2.122", "recipient's per hour message receive limit exceeded"): "speeding",
    # journaling to a tenant without Journaling Archive: no SPEC cause
    ("5.3.190", "journaling on-premises messages"): None,
    # "doesn't accept mail for the recipient's domain" (relay access denied)
    ("5.4.1", "relay access denied"): "no_relaying",
    # "The recipient's address doesn't exist"
    ("5.4.1", "recipient address rejected: access denied"): "user_unknown",
    # "A configuration error has caused an email loop"
    ("5.4.6", "routing loop detected"): "network_error",
    ("5.4.14", "routing loop detected"): "network_error",
    # "The email took too long to be successfully delivered"
    ("5.4.300", "message expired"): "expired",
    # "invalid characters (bare line feed characters) into a message"
    ("5.6.11", "invalid characters"): "content_error",
    # "The sender of the message is not allowed to send messages to the recipient"
    # (restricted group: a posting restriction)
    ("5.7.1", "delivery not authorized"): "rejected",
    # "not allowed to send a message to an email system where that email
    # system is not the final destination"
    ("5.7.1", "unable to relay"): "no_relaying",
    # "The receiving email system requires authentication before message submission"
    ("5.7.1", "client was not authenticated"): "security_error",
    # "recipient address is set up to reject messages sent from outside of its
    # organization" (a posting restriction on the recipient)
    ("5.7.12", "sender was not authenticated by organization"): "rejected",
    # "there's a problem with your SPF configuration"
    ("5.7.23", "the message was rejected because of sender policy framework"): "auth_failure",
    # application relaying through smtp.office365.com without SMTP AUTH
    ("5.7.57", "client was not authenticated to send anonymous mail"): "security_error",
    # inbound connector misconfigured: relaying refused
    ("5.7.64", "tenantattribution; relay access denied"): "no_relaying",
    # "sender is not in the group's allowed-senders list"
    ("5.7.124", "sender not in allowed-senders list"): "rejected",
    # group / mailbox / public folder / mail user "set up to reject messages
    # sent from outside of its organization"
    ("5.7.133", "sender not authenticated for group"): "rejected",
    ("5.7.134", "sender was not authenticated for mailbox"): "rejected",
    ("5.7.13", "sender was not authenticated for public folder"): "rejected",
    ("5.7.135", "sender was not authenticated for public folder"): "rejected",
    ("5.7.136", "sender was not authenticated"): "rejected",
    # "sending IPv6 address must have a reverse DNS record"
    ("5.7.25", "access denied, the sending ipv6 address"): "require_ptr",
    # "The sending account has been banned due to detected spam activity":
    # rejected (a banned sender) or bad_reputation (its behaviour); dropped
    ("5.7.501", "access denied, spam abuse detected"): None,
    ("5.7.502", "access denied, banned sender"): None,
    ("5.7.503", "access denied, banned sender"): None,
    # "The recipient address that you are attempting to contact is not valid"
    ("5.7.504", "[email@contoso.com]: recipient address rejected"): "user_unknown",
    # "The recipient that you are attempting to contact is not valid"
    ("5.7.505", "access denied, banned recipient"): "user_unknown",
    # HELO as the receiving server's own name: a HELO refusal
    ("5.7.506", "access denied, bad helo"): "blocked",
    # "The IP that you are attempting to send from has been blocked by the
    # recipient's organization"
    ("5.7.507", "access denied, rejected by recipient"): "blocked",
    # "IPv6 range has attempted to send too many messages in too short a time"
    ("5.7.508", "access denied, [2001:db8::1] has exceeded permitted limits"): "speeding",
    # "sender's domain in the 5322.From address does not pass DMARC"
    ("5.7.509", "access denied, sending domain"): "auth_failure",
    # recipient does not accept mail over IPv6: no single SPEC cause
    ("5.7.510", "access denied, [contoso.com] does not accept email over ipv6"): None,
    # "The account you are attempting to send from has been banned" (why not said)
    ("5.7.511", "access denied, banned sender"): None,
    # "Message was sent without a valid From email address" (RFC 5322 3.6.2)
    ("5.7.512", "access denied, message must be rfc 5322"): "not_compliant_rfc",
    # "The recipient domain has added your sending IP address to its custom block list"
    ("5.7.513", "service unavailable, client host"): "blocked",
    # "The IP that you are attempting to send from has been banned" (SPEC: 5.7.606 is blocked)
    ("5.7.606", "access denied, banned sending ip"): "blocked",
    # "The majority of traffic from this tenant has been detected as
    # suspicious and has resulted in a ban"
    ("5.7.705", "access denied, tenant has exceeded threshold"): "bad_reputation",
    ("5.7.708", "access denied, traffic not accepted from this ip"): "bad_reputation",
    # "A suspicious amount of messages from unprovisioned domains": rejected
    # (the sender domains) or bad_reputation; dropped
    ("5.7.750", "service unavailable. client blocked from sending"): None,
    # "The user account has exceeded the recipient rate limit (10,000 recipients per day)"
    ("", "the message can't be submitted because the sender's submission quota"): "speeding",
}

# Rows whose "Possible cause" names the stage: the rest are RCPT TO.
COMMAND = {
    "5.7.57": "MAIL FROM",     # "... to send anonymous mail during MAIL FROM"
    "5.6.11": "end of DATA",   # bare line feeds in the message sent
    "5.7.512": "end of DATA",  # the message's From header
}

PLACEHOLDERS = [
    ("$SenderIPAddress", "2001:db8::1"), ("$range", "/64"),
    ("$ConnectingIP", "192.0.2.1"), ("$recipientDomain", "example.com"),
    ("$SenderDomain", "example.org"), ("IP1.IP2.IP3.IP4", "192.0.2.1"),
    ("<domain>", "example.com"), ("<validityStatus>", "invalid"),
]

ENH = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")


def cells(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def table_rows(md):
    """(code cell, description cell, possible-cause cell) of the NDR table."""
    rows, inside = [], False
    for line in md.splitlines():
        if re.match(r"^\|\s*(NDR|Error) code\s*\|", line):
            inside = True
            continue
        if not inside:
            continue
        if not line.startswith("|"):
            break
        c = cells(line)
        if len(c) < 3 or set(c[0]) <= set("-: "):
            continue
        rows.append((c[0], c[1], c[2]))
    return rows


def codes_of(cell):
    """(basic, [enhanced...]) of a code cell: '432&nbsp;4.3.2', '4.7.500-699',
    '5.4.6 or 5.4.14', '5.7.13 or 135', 'n/a'."""
    cell = cell.replace("&nbsp;", " ").strip()
    basic = ""
    m = re.match(r"^([245]\d\d)\s+(.*)$", cell)
    if m:
        basic, cell = m.group(1), m.group(2)
    out = []
    for part in re.split(r"\s+or\s+", cell):
        part = part.strip()
        part = re.sub(r"-\d+$", "", part)  # a range: its first code
        if ENH.match(part):
            out.append(part)
        elif re.match(r"^\d{1,3}$", part) and out:  # "5.7.13 or 135"
            out.append(out[-1].rsplit(".", 1)[0] + "." + part)
    return basic, out


def replies_of(desc):
    """The reply texts of a description cell: its backticked parts, or the
    whole cell (without a final full stop) when nothing is backticked."""
    parts = re.findall(r"`([^`]+)`", desc)
    if not parts:
        parts = [desc.rstrip(".").strip()]
    out = []
    for p in parts:
        for a, b in PLACEHOLDERS:
            p = p.replace(a, b)
        out.append(common.one_line(p))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gitdir", help="bare git dir of a MicrosoftDocs/OfficeDocs-Exchange snapshot")
    ap.add_argument("-o", "--out", default=common.default_out("microsoft"))
    a = ap.parse_args()

    md = common.git(a.gitdir, "show", "HEAD:" + PAGE)
    rows, dropped, seen = [], Counter(), Counter()
    for code_cell, desc, _cause in table_rows(md):
        basic, enhs = codes_of(code_cell)
        texts = replies_of(desc)
        pairs = []
        if code_cell.strip().lower() == "n/a":
            pairs = [("", t) for t in texts]
        elif len(texts) > 1 and all(ENH.match(t.split(" ", 1)[0]) for t in texts):
            # the row gives each reply with its own code ("5.7.705 Access denied, ...")
            pairs = [(t.split(" ", 1)[0], t.split(" ", 1)[1]) for t in texts]
        else:
            pairs = [(e, t) for e in enhs for t in texts]
        for enh, text in pairs:
            key = None
            for (kc, kt), cause in LABELS.items():
                if kc == enh and text.lower().startswith(kt):
                    key = (kc, kt)
                    break
            if key is None:
                dropped["not in the label table"] += 1
                print("not in the label table: %s %s" % (enh, text), file=sys.stderr)
                continue
            cause = LABELS[key]
            if cause is None:
                dropped["cause fits no SPEC cause or two"] += 1
                continue
            b = basic or ("450" if enh.startswith("4") else "550")
            reply = " ".join(x for x in (b, enh, text) if x)
            cmd = COMMAND.get(enh, "RCPT TO")
            seen[enh or "n/a"] += 1
            sid = "microsoft:%s" % (enh or "n/a")
            if seen[enh or "n/a"] > 1:
                sid += "#%d" % seen[enh or "n/a"]
            rows.append({"source_id": sid, "cause": cause, "status": enh,
                         "reply": "host mx.example.com[192.0.2.1] said: %s (in reply to %s command)"
                                  % (reply, cmd)})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("MicrosoftDocs/OfficeDocs-Exchange@%s" % common.head_commit(a.gitdir)[:12], file=sys.stderr)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, +dropped)


if __name__ == "__main__":
    main()
