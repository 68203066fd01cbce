#!/usr/bin/env python3
"""Labelled replies from the example comments of ZoneMTA's bounce rules.

    zonemta_labels.py ZONE_MTA_GITDIR [-o OUT.tsv]

ZONE_MTA_GITDIR is a bare git directory of github.com/zone-eu/zone-mta
(EUPL-1.2). Its bounce rules (FILE below; read by lib/bounces.js) are lines
`regex,action,category,message`; most rules written for a provider's or a
DNSBL's reply have one or more comment lines right above them quoting the
reply they were written for, e.g.

    # 550 5.7.1 11.22.33.44 has been blocked by zen.spamhaus.org
    ^550[ \\-]+5\\.7\\.1\\s+[\\d\\.]+ has been blocked,defer,blacklist,Sender IP blacklisted

Every comment line of the block right above a rule that starts with a reply
code (optionally after a quote) is a row, labelled with that rule's category
and message mapped to a cause of SPEC.md by LABELS. A comment that does not
match its own rule's regular expression (case-insensitive, as ZoneMTA
compiles it) is dropped, as are "Do not match:" lines (they do not start
with a code). The text is used as it is (no command is known).
"""
import argparse
import os
import re
import sys
from collections import Counter

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FILE = "config/bounces.txt"

# (category, message) -> cause of SPEC.md, or None to drop. Only the rules
# that carry example replies are listed; any other is dropped and printed.
LABELS = {
    ("blacklist", "Sender IP blacklisted"): "blocked",
    ("blacklist", "Sender IP blocked"): "blocked",
    ("blacklist", "Sender IP blacklisted by region"): "blocked",
    ("greylist", "Message temporarily Greylisted"): "greylisted",
    # URIBL / Spamhaus DBL: a listed domain in the message
    ("spam", "Spammy URL in message"): "spam_detected",
    ("capacity", "Too many connections"): "too_many_conn",
    ("capacity", "Mailbox is full"): "mailbox_full",
    ("recipient", "The email account does not exist"): "user_unknown",
    ("recipient", "Recipient Unknown"): "user_unknown",
    # DNS failure resolving the recipient domain's MX
    ("network", "Email Routing Issue Due To Network"): "network_error",
    # Mimecast anti-spoofing policy: "blocked by recipient" fits no one cause
    ("policy", "Blocked by recipient"): None,
    # "550 Too many invalid recipients" under category "other": no clear cause
    ("other", "Sender IP blacklisted"): None,
}

CODE = re.compile(r'^"?[245]\d\d[ \-]')


def js_to_py(rx):
    # the rules use only syntax Python's re shares with JavaScript's
    return rx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gitdir", help="bare git dir of a zone-eu/zone-mta snapshot")
    ap.add_argument("-o", "--out", default=common.default_out("zonemta"))
    a = ap.parse_args()

    text = common.git(a.gitdir, "show", "HEAD:" + FILE)
    rows, dropped = [], Counter()
    block = []
    for nr, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("#"):
            block.append(s[1:].strip())
            continue
        if not s:
            continue  # a blank line between the examples and the rule
        parts = s.split(",")
        examples = [e for e in block if CODE.match(e)]
        block = []
        if not examples or len(parts) < 4:
            continue
        rx, _action, cat, msg = parts[0], parts[1], parts[2], ",".join(parts[3:])
        try:
            creg = re.compile(js_to_py(rx), re.I | re.M)
        except re.error:
            creg = None
        key = (cat, msg)
        for k, ex in enumerate(examples, 1):
            ex = ex.strip('"') if ex.count('"') == 2 and ex.startswith('"') and ex.endswith('"') else ex.lstrip('"')
            if key not in LABELS:
                dropped["rule not in the label table"] += 1
                print("not in the label table: %s,%s: %s" % (cat, msg, ex), file=sys.stderr)
                continue
            if LABELS[key] is None:
                dropped["%s/%s" % key] += 1
                continue
            if creg is None or not creg.search(ex):
                dropped["does not match its own rule"] += 1
                print("does not match its rule (line %d): %s" % (nr, ex), file=sys.stderr)
                continue
            st = re.search(r"\b([245]\.\d{1,3}\.\d{1,3})\b", ex)
            rows.append({"source_id": "zonemta:%d%s" % (nr, "#%d" % k if len(examples) > 1 else ""),
                         "cause": LABELS[key], "status": st.group(1) if st else "",
                         "reply": ex})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("zone-eu/zone-mta@%s" % common.head_commit(a.gitdir)[:12], file=sys.stderr)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, +dropped)


if __name__ == "__main__":
    main()
