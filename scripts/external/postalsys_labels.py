#!/usr/bin/env python3
"""Labelled replies from postalsys's bounce classifier: its tests, examples and label guide.

    postalsys_labels.py CLASSIFIER_GITDIR TRAINER_GITDIR [--guide FILE] [-o OUT.tsv]

CLASSIFIER_GITDIR is a bare git directory of github.com/postalsys/bounce-classifier
(MIT), a learned SMTP bounce classifier; TRAINER_GITDIR one of
github.com/postalsys/bounce-trainer (no licence file; only its label guide's
example replies are read, as short quotations), the tool its model is trained
with. Rows, each labelled with the category its author gives it:

- test/test.js: every reply in a `const messages = [...]` list whose loop
  asserts one label (`assert.strictEqual(result.label, "L")`), and every
  `classify("...")` whose result is asserted equal to one label; a list
  asserted against a choice of labels (`[...].includes(result.label)`) says
  nothing exact and is dropped;
- README.md: `classify("...")` followed by a `label: '...'` comment;
- example/index.html: each example button's `data-message`, labelled by the
  button's caption;
- the trainer's data/community_labeled.jsonl: each `{"text", "label"}` line;
- with --guide, the trainer's label guide (data/label-definitions-v1.json,
  seen at commit 65148ec, not in every snapshot): the `examples` of each
  label.

Categories map to causes of SPEC.md by LABELS; categories that span several
causes are dropped (printed). The text is used as it is (no command known).
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

# category -> cause, or None: the category spans several causes of SPEC.md.
LABELS = {
    "user_unknown": "user_unknown",
    "mailbox_full": "mailbox_full",
    "mailbox_disabled": "suspend",
    "greylisting": "greylisted",
    "ip_blacklisted": "blocked",
    "auth_failure": "auth_failure",
    "relay_denied": "no_relaying",
    "virus_detected": "virus_detected",
    "spam_blocked": "spam_detected",
    # too many connections (too_many_conn) and messages per time (speeding)
    "rate_limited": None,
    # internal errors (system_error), timeouts and resets (network_error), TLS
    "server_error": None,
    # bad syntax (syntax_error) and domains without mail (host_unknown, not_accept)
    "invalid_address": None,
    # "administrative prohibition" (policy_violation) and size (mesg_too_big)
    "policy_blocked": None,
    # a listed sender domain (rejected) or a listed URL in the message (spam_detected)
    "domain_blacklisted": None,
    "geo_blocked": None,
    "unknown": None,
}

CAPTIONS = {
    "User Unknown": "user_unknown", "Mailbox Full": "mailbox_full",
    "Greylisting": "greylisting", "IP Blacklisted": "ip_blacklisted",
    "Auth Failure": "auth_failure", "Rate Limited": "rate_limited",
    "Virus Detected": "virus_detected",
}

JS_STR = r'"((?:[^"\\]|\\.)*)"'


def js_unquote(s):
    return json.loads('"%s"' % s)


def from_tests(js):
    """(id, category, reply) of test/test.js; (reason, reply) of the dropped."""
    rows, dropped = [], []
    # one `it(...)` block at a time
    blocks = re.split(r"\n\s*it\(", js)
    for b in blocks:
        name = re.match(r'\s*"([^"]*)"', b)
        name = name.group(1) if name else "?"
        exact = re.search(r'assert\.strictEqual\(\s*result\.label,\s*"([a-z_]+)"', b)
        lst = re.search(r"const messages = \[(.*?)\];", b, re.S)
        if lst:
            msgs = [js_unquote(m) for m in re.findall(JS_STR, lst.group(1))]
            for k, m in enumerate(msgs, 1):
                if exact:
                    rows.append(("test:%s#%d" % (name, k), exact.group(1), m))
                else:
                    dropped.append(("a choice of labels", m))
            continue
        one = re.search(r"classify\(\s*" + JS_STR + r"\s*,?\s*\)", b)
        if one and exact:
            rows.append(("test:%s" % name, exact.group(1), js_unquote(one.group(1))))
    return rows, dropped


def from_readme(md):
    rows = []
    for m in re.finditer(r"classify\(" + JS_STR + r"\);\s*\n(?://[^\n]*\n)*?//\s*label: '([a-z_]+)'", md):
        rows.append(("readme", m.group(2), js_unquote(m.group(1))))
    return rows


def from_example(html):
    rows = []
    for m in re.finditer(r'data-message="([^"]*)"\s*>\s*([^<]+?)\s*<', html):
        cat = CAPTIONS.get(m.group(2))
        if cat:
            rows.append(("example:%s" % m.group(2), cat, m.group(1)))
    return rows


def from_guide(defs):
    rows = []
    for cat, d in json.loads(defs)["labels"].items():
        for k, ex in enumerate(d.get("examples", []), 1):
            rows.append(("labels-v1:%s#%d" % (cat, k), cat, ex))
    return rows


def from_community(jsonl):
    rows = []
    for k, line in enumerate(jsonl.splitlines(), 1):
        if line.strip():
            r = json.loads(line)
            rows.append(("community:%d" % k, r["label"], r["text"]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("classifier", help="bare git dir of a postalsys/bounce-classifier snapshot")
    ap.add_argument("trainer", help="bare git dir of a postalsys/bounce-trainer snapshot")
    ap.add_argument("--guide", help="the trainer's data/label-definitions-v1.json")
    ap.add_argument("-o", "--out", default=common.default_out("postalsys"))
    a = ap.parse_args()

    show = lambda gitdir, path: common.git(gitdir, "show", "HEAD:" + path)  # noqa: E731
    found, dropped_tests = from_tests(show(a.classifier, "test/test.js"))
    found += from_readme(show(a.classifier, "README.md"))
    found += from_example(show(a.classifier, "example/index.html"))
    found += from_community(show(a.trainer, "data/community_labeled.jsonl"))
    if a.guide:
        with open(a.guide, encoding="utf-8") as f:
            found += from_guide(f.read())
    rows, dropped = [], Counter()
    for reason, text in dropped_tests:
        dropped[reason] += 1
        print("dropped (%s): %s" % (reason, text), file=sys.stderr)
    for sid, cat, text in found:
        if cat not in LABELS:
            dropped["category not in the label table"] += 1
            print("not in the label table: %s: %s" % (cat, text), file=sys.stderr)
            continue
        if LABELS[cat] is None:
            dropped[cat] += 1
            continue
        st = re.search(r"\b([245]\.\d{1,3}\.\d{1,3})\b", text)
        rows.append({"source_id": "postalsys:" + sid, "cause": LABELS[cat],
                     "status": st.group(1) if st else "", "reply": text})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("postalsys/bounce-classifier@%s postalsys/bounce-trainer@%s"
          % (common.head_commit(a.classifier)[:12], common.head_commit(a.trainer)[:12]),
          file=sys.stderr)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, +dropped)


if __name__ == "__main__":
    main()
