#!/usr/bin/env python3
"""Labelled replies from crisp-oss/email-bounce-parser's test fixtures.

    crisp_labels.py CRISP_GITDIR [-o OUT.tsv]

CRISP_GITDIR is a bare git directory of github.com/crisp-oss/email-bounce-parser.
Its test/fixtures/*.txt are real bounce emails (Postfix's, anonymised), and
test/fixtures/expected/*.json hold what its test suite expects the parser to
return for each: the failed recipient's text (email.error, as Postfix writes
it: "<rcpt>: host ... said: ... (in reply to ... command)"), the reply codes
and text it found (data.error.code, data.error.label) and a category
(data.error.data.type, with flags data.error.data.spam and .blocked).

The reply is email.error without its leading "<rcpt>: " or
"<rcpt> (expanded from <...>): ", which is the text Postfix logs in its
status line; for the few bounces that are not Postfix's (Exchange, Gmail
notices, no email.error) it is "CODE ENHANCED LABEL" from data.error. The category is mapped to a cause only where it means one
cause (MAP below); every other category, and fixtures with no category,
are dropped.
"""
import argparse
import json
import os
import re
import sys
from collections import Counter

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MAP = {
    "no_such_recipient": "user_unknown",
    "mailbox_full": "mailbox_full",
    "mailbox_over_quota": "mailbox_full",
    "server_timeout": "network_error",
    "reputation": "bad_reputation",
    "authentication_failure": "auth_failure",
    "action_not_taken_mailbox_rate_limited": "speeding",
}
# spam_content is the parser's name for any 550/554 5.7.1 (a DNSBL listing,
# a provider block list and "local policy" get it too): only when its own
# spam flag is set (the text says spam or unsolicited) and its blocked flag
# is not (nothing says listed/blocked/banned/denied) is it a verdict on the
# content, spam_detected.
SPAM_CONTENT = "spam_detected"

RCPT = re.compile(r"^<[^>]*>(?: \(expanded from <[^>]*>\))?:\s*")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("crisp", help="bare git dir of a crisp-oss/email-bounce-parser snapshot")
    ap.add_argument("-o", "--out", default=common.default_out("crisp"))
    a = ap.parse_args()

    prefix = "test/fixtures/expected/"
    rows, dropped = [], Counter()
    for blob, path in sorted(common.ls_tree(a.crisp, prefix), key=lambda x: x[1]):
        if not path.endswith(".json"):
            continue
        name = path[len(prefix):-5]
        d = json.loads(common.git(a.crisp, "cat-file", "blob", blob))
        if not d.get("bounce"):
            dropped["not a bounce"] += 1
            continue
        err = d["data"]["error"]
        kind = (err.get("data") or {}).get("type")
        flags = err.get("data") or {}
        if kind == "spam_content":
            if flags.get("spam") and not flags.get("blocked"):
                cause = SPAM_CONTENT
            else:
                dropped["spam_content without spam flag or with blocked flag"] += 1
                continue
        elif kind in MAP:
            cause = MAP[kind]
        else:
            dropped["category %s" % kind] += 1
            continue
        text = RCPT.sub("", common.one_line(d["email"].get("error")))
        if not text:
            # Not a Postfix bounce (an Exchange or Gmail notice): the reply
            # the parser found in it, with its codes, as a remote said it.
            code = err.get("code") or {}
            text = common.one_line(" ".join(
                x for x in (code.get("basic"), code.get("enhanced"), err.get("label")) if x))
        if not text:
            dropped["empty text"] += 1
            continue
        rows.append({"source_id": "crisp:" + name, "cause": cause,
                     "status": (err.get("code") or {}).get("enhanced") or "",
                     "reply": text})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("crisp-oss/email-bounce-parser@%s" % common.head_commit(a.crisp)[:12], file=sys.stderr)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, dropped)


if __name__ == "__main__":
    main()
