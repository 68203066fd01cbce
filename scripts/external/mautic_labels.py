#!/usr/bin/env python3
"""Labelled replies from the sample comments of Mautic's DSN bounce rules.

    mautic_labels.py MAUTIC_GITDIR [-o OUT.tsv]

MAUTIC_GITDIR is a bare git directory of github.com/mautic/mautic (GPL-3.0).
Its DSN parser (FILE below, a port of PHPMailer-BMH's bmhDSNRules) is a
chain of rules; each rule sets $result['rule_cat'] = Category::X and most
carry a comment with one or more samples such as

    /* rule: full
     * sample:
     * Diagnostic-Code: SMTP; 552 Requested mailbox exceeds quota.
     */

Every "Diagnostic-Code:" sample of a rule's comment becomes a row: the text
after "Diagnostic-Code: TYPE;" (continuation lines joined, ^M removed), as it
is (no command is known; Postfix's own diagnostics already read
"host ... said: ... (in reply to ... command)"). The label is the rule's
category mapped to a cause of SPEC.md by LABELS; a category with no clear
equivalent is dropped (counted and printed).
"""
import argparse
import os
import re
import sys
from collections import Counter

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FILE = "app/bundles/EmailBundle/MonitoredEmail/Processor/Bounce/DsnParser.php"

# Mautic (BMH) rule category -> cause of SPEC.md, or None to drop.
LABELS = {
    "UNKNOWN": "user_unknown",       # "mailbox unknown"
    "FULL": "mailbox_full",          # "mailbox full"
    "OVERSIZE": "mesg_too_big",      # "mailbox oversize": message over a size limit
    "INACTIVE": "suspend",           # "mailbox inactive"
    "DNS_UNKNOWN": "host_unknown",   # "domain unknown"
    "DNS_LOOP": "network_error",     # mail loop (SPEC: every mail loop is network_error)
    "INTERNAL_ERROR": "system_error",  # the remote system's internal error
    # no clear single equivalent:
    "ANTISPAM": None,        # DNSBL listings, spam verdicts, policy refusals alike
    "COMMAND_REJECT": None,  # refused sender, relaying, syntax alike
    "CONTENT_REJECT": None,  # content, size, virus alike
    "USER_REJECT": None,     # recipient refuses the sender, or access denied
    "DEFER": None, "DELAYED": None, "OTHER": None, "UNRECOGNIZED": None,
    "WARNING": None, "AUTOREPLY": None, "OUTOFOFFICE": None, "LATIN_ONLY": None,
    "CONCURRENT": None,
}

RULE = re.compile(r"\$result\['rule_cat'\]\s*=\s*Category::([A-Z_]+)")
COMMENT = re.compile(r"/\*.*?\*/", re.S)
STOP = re.compile(r"^(sample|diagnostic-code|\.\.\.|<<<|status:|action:|rule\b|@)", re.I)


def samples_of(comment):
    """The Diagnostic-Code texts of a comment block."""
    lines = []
    for raw in comment.splitlines():
        l = raw.strip()
        l = re.sub(r"^/\*+", "", l)
        l = re.sub(r"\*+/$", "", l)
        l = re.sub(r"^\*+", "", l)
        lines.append(l.replace("^M", "").strip())
    out, cur = [], None
    for l in lines:
        if re.match(r"^diagnostic-code:", l, re.I):
            if cur is not None:
                out.append(cur)
            cur = l
        elif cur is not None:
            if not l or STOP.match(l):
                out.append(cur)
                cur = None
            else:
                cur += " " + l
    if cur is not None:
        out.append(cur)
    texts = []
    for s in out:
        s = re.sub(r"^diagnostic-code:\s*", "", s, flags=re.I)
        s = re.sub(r"^[A-Za-z][\w-]*\s*;\s*", "", s)  # "SMTP;" "X-Postfix;" "X-Notes;"
        texts.append(common.one_line(s))
    return texts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gitdir", help="bare git dir of a mautic/mautic snapshot")
    ap.add_argument("-o", "--out", default=common.default_out("mautic"))
    a = ap.parse_args()

    php = common.git(a.gitdir, "show", "HEAD:" + FILE)
    rows, dropped, seen = [], Counter(), Counter()
    last_end = 0
    for m in RULE.finditer(php):
        # the comment blocks between the previous rule and this one
        comments = COMMENT.findall(php[last_end:m.start()])
        last_end = m.end()
        if not comments:
            continue
        texts = samples_of(comments[-1])
        if not texts:
            continue
        rule_no = re.search(r"\$result\['rule_no'\]\s*=\s*'(\d+)'", php[m.end():m.end() + 200])
        rno = rule_no.group(1) if rule_no else "?"
        cat = m.group(1)
        if cat not in LABELS:
            dropped["category not in the label table: " + cat] += len(texts)
            continue
        cause = LABELS[cat]
        if cause is None:
            dropped[cat.lower()] += len(texts)
            continue
        for t in texts:
            if not t:
                dropped["empty"] += 1
                continue
            seen[rno] += 1
            sid = "mautic:%s:%s" % (cat.lower(), rno)
            if seen[rno] > 1:
                sid += "#%d" % seen[rno]
            st = re.search(r"\b([245]\.\d{1,3}\.\d{1,3})\b", t)
            rows.append({"source_id": sid, "cause": cause,
                         "status": st.group(1) if st else "", "reply": t})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("mautic/mautic@%s" % common.head_commit(a.gitdir)[:12], file=sys.stderr)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, +dropped)


if __name__ == "__main__":
    main()
