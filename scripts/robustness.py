#!/usr/bin/env python3
"""How many probe texts change cause when written another way a server might.

    python3 scripts/robustness.py [--bin PATH] [--show MODE]

Takes every labelled text of the probes (tests/data/*-texts.toml) and of the
hand-checked table (tests/data/replies.toml), classifies it as written and
written another way, and prints per way how many changed cause and the
commonest changes. The ways (none changes what the text says):

  padded     every space of the remote reply doubled
  tab        a tab instead of the spaces around the first three words
  curly      typographic apostrophes (’) for '
  contract   "does not" -> "doesn't", "cannot" -> "can't", ... in the text
  expand     the reverse
  noapos     "doesn't" -> "doesnt", ... ("can't", "won't" kept)
  upper      the remote reply in upper case
  lower      the remote reply in lower case
  hashdsn    "550 5.1.1" -> "550 #5.1.1"
  email      "e-mail" -> "email" in the remote reply
  e-mail     "email" -> "e-mail" in the remote reply (a word of its own)
  ise        "authorized", "recognized", "organization" spelt with "s"
  nonhyphen  "non-existent" -> "nonexistent"
  mailbox    "mailbox" -> "mail box"
  blocklist  "blacklist" -> "blocklist"
  noangle    "<bob@example.com>" -> "bob@example.com" in the remote reply
  quoted     "<bob@example.com>" -> "\"bob@example.com\"" in the remote reply

No held-out text is read. --show MODE prints that way's changed texts.
Standard library only.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import score_heldout  # noqa: E402

WRAPPED = re.compile(r"^(host \S+ (?:said|refused to talk to me): )(.*?)( \(in reply to [^)]*\))?$")
NEGATIONS = [
    ("does not", "doesn't"), ("do not", "don't"), ("did not", "didn't"), ("is not", "isn't"),
    ("are not", "aren't"), ("was not", "wasn't"), ("has not", "hasn't"), ("have not", "haven't"),
    ("could not", "couldn't"), ("cannot", "can't"), ("will not", "won't"),
    ("should not", "shouldn't"), ("would not", "wouldn't"),
]


def reply_only(text, change):
    """Applies `change` to the remote reply inside Postfix's wrapper (or to the whole text)."""
    m = WRAPPED.match(text)
    if not m:
        return change(text)
    return m.group(1) + change(m.group(2)) + (m.group(3) or "")


def negations(text, mode):
    for full, short in NEGATIONS:
        if mode == "contract":
            text = re.sub(r"\b" + full + r"\b", short, text, flags=re.I)
        elif mode == "expand":
            text = re.sub(r"\b" + re.escape(short) + r"(?!\w)", full, text, flags=re.I)
        elif short not in ("can't", "won't"):
            text = re.sub(r"\b" + re.escape(short) + r"(?!\w)", short.replace("'", ""), text, flags=re.I)
    return text


WAYS = {
    "padded": lambda t: reply_only(t, lambda r: r.replace(" ", "  ")),
    "tab": lambda t: re.sub(r"(?<=\S) (?=\S)", "\t", t, count=3),
    "curly": lambda t: t.replace("'", "\u2019"),
    "contract": lambda t: negations(t, "contract"),
    "expand": lambda t: negations(t, "expand"),
    "noapos": lambda t: negations(t, "noapos"),
    "upper": lambda t: reply_only(t, str.upper),
    "lower": lambda t: reply_only(t, str.lower),
    "hashdsn": lambda t: re.sub(r"\b([245]\d\d)([ -])([245]\.\d{1,3}\.\d{1,3})\b", r"\1\2#\3", t),
    "email": lambda t: reply_only(t, lambda r: re.sub(r"\be-mail", lambda m: m.group(0)[0] + "mail", r, flags=re.I)),
    "e-mail": lambda t: reply_only(t, lambda r: re.sub(r"(?<![\w@.-])(e)mail(?![\w@.-])", r"\1-mail", r, flags=re.I)),
    "ise": lambda t: reply_only(t, lambda r: re.sub(r"(?i)(authori|recogni|organi)z", lambda m: m.group(1) + ("S" if m.group(0)[-1] == "Z" else "s"), r)),
    "nonhyphen": lambda t: reply_only(t, lambda r: re.sub(r"(?i)\bnon-(?=[a-z])", lambda m: m.group(0)[:3], r)),
    "mailbox": lambda t: reply_only(t, lambda r: re.sub(r"(?i)\b(mail)(box)", r"\1 \2", r)),
    "blocklist": lambda t: reply_only(t, lambda r: re.sub(r"(?i)\b(bl)a(cklist)", lambda m: m.group(1) + ("O" if m.group(0)[2] == "A" else "o") + m.group(2), r)),
    "noangle": lambda t: reply_only(t, lambda r: re.sub(r"<([^<>\s@]+@[^<>\s]+)>", r"\1", r)),
    "quoted": lambda t: reply_only(t, lambda r: re.sub(r"<([^<>\s@]+@[^<>\s]+)>", r'"\1"', r)),
}


def texts():
    paths = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "*-texts.toml")))
    paths.append(os.path.join(ROOT, "tests", "data", "replies.toml"))
    out = []
    for path in paths:
        with open(path, "rb") as f:
            out += [e["reply"] for e in tomllib.load(f).get("reply", []) if isinstance(e, dict) and "reply" in e]
    return out


def classify(binary, items):
    run = subprocess.run(
        [binary, "classify", "-f", "json"],
        input="\n".join(t.replace("\n", " ") for t in items) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line)["cause"] for line in run.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", help="bounce-report binary (default: as score_heldout.py)")
    ap.add_argument("--show", choices=sorted(WAYS), help="print the texts this way changes")
    args = ap.parse_args()
    binary = args.bin or score_heldout.default_bin()
    items = texts()
    base = classify(binary, items)
    print(f"{len(items)} probe and table texts; changed cause when written another way:")
    for name, way in WAYS.items():
        other = [way(t) for t in items]
        got = classify(binary, other)
        changed = [(a, b, t) for a, b, t, o in zip(base, got, items, other) if a != b and o != t]
        pairs = Counter((a, b) for a, b, _ in changed).most_common(4)
        print(f"  {name:<9} {len(changed):>4}  " + ", ".join(f"{a}->{b} {n}" for (a, b), n in pairs))
        if args.show == name:
            for a, b, t in changed:
                print(f"      [{a} -> {b}] {t}")


if __name__ == "__main__":
    main()
