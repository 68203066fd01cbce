#!/usr/bin/env python3
"""The verdicts of builds on every labelled text, for whoever edits rules.

    verdicts.py diff OLD_BIN NEW_BIN   the texts whose cause changed between two builds
    verdicts.py misses BIN [--cause C] the dev rows a build gets wrong, with their text
    verdicts.py confusion BIN          label -> verdict counts over the frozen texts

Labelled texts are every `reply` of tests/data/*.toml and every row of
target/external/*.tsv that holds one. A text is frozen when it belongs to a
frozen held-out set or half (tests/data/heldout.toml, heldout-qa.toml, the
held-out halves of qa*.toml, and the second labellings of those,
*second-labels*.toml) or to a TSV's held-out half. Nothing here prints
a frozen text: `diff` counts the frozen changes (right to wrong, wrong to
right, wrong to wrong) without showing them, `confusion` prints only counts,
and `misses` reads dev rows alone. A rule is written from the dev rows only.
"""
import argparse
import collections
import glob
import os
import sys
import tomllib

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "external"))
from common import is_frozen, tsv_rows  # noqa: E402
from score_heldout import HARD, as_events, classify  # noqa: E402


def labelled():
    """Every labelled text: dicts with reply, cause, status, frozen, where."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "*.toml"))):
        name = os.path.basename(path)
        with open(path, "rb") as f:
            entries = tomllib.load(f).get("reply", [])
        for e in entries:
            if "reply" not in e or "cause" not in e:
                continue
            # A second labelling holds the texts of frozen sets: frozen too.
            frozen = "second-labels" in name or (is_frozen(name) and e.get("split", "heldout") == "heldout")
            out.append(dict(reply=e["reply"], cause=e["cause"], status=e.get("status", "bounced"),
                            frozen=frozen, where=name))
    for path in sorted(glob.glob(os.path.join(ROOT, "target", "external", "*.tsv"))):
        name = os.path.basename(path)
        for r in tsv_rows(path):
            out.append(dict(reply=r["reply"], cause=r["cause"], status=r.get("status") or "bounced",
                            frozen=r.get("split") == "heldout", where=name))
    return [e for e in out if "\n" not in e["reply"] and "\r" not in e["reply"]]


def verdicts(binary, entries):
    return as_events(entries, classify(binary, [e["reply"] for e in entries]))


def cmd_diff(a):
    entries = labelled()
    old, new = verdicts(a.old, entries), verdicts(a.new, entries)
    frozen = collections.Counter()
    shown = 0
    for e, o, n in zip(entries, old, new):
        if o == n:
            continue
        if e["frozen"]:
            kind = "to right" if n == e["cause"] else "to wrong" if o == e["cause"] else "wrong to wrong"
            # Whether it was or is `undefined`, and called hard now: no text.
            kind += f" ({'undefined' if o == 'undefined' else 'named'} to " \
                    f"{'undefined' if n == 'undefined' else 'hard' if n in HARD else 'named'})"
            frozen[kind] += 1
            continue
        mark = "+" if n == e["cause"] else "-" if o == e["cause"] else "~"
        print(f"{mark} {e['where']}: {o} -> {n} (label {e['cause']}): {e['reply']}")
        shown += 1
    print(f"{len(entries)} texts; {shown} dev changes shown; frozen changes: "
          + (", ".join(f"{k} {v}" for k, v in sorted(frozen.items())) or "none"))


def cmd_misses(a):
    entries = [e for e in labelled() if not e["frozen"]]
    got = verdicts(a.bin, entries)
    n = 0
    for e, g in zip(entries, got):
        if g != e["cause"] and (a.cause is None or a.cause in (g, e["cause"])):
            print(f"{e['where']}: label {e['cause']}, got {g}: {e['reply']}")
            n += 1
    print(f"{n} dev misses of {len(entries)} dev texts")


def cmd_confusion(a):
    entries = [e for e in labelled() if e["frozen"]]
    got = verdicts(a.bin, entries)
    c = collections.Counter((e["cause"], g) for e, g in zip(entries, got) if g != e["cause"])
    right = sum(e["cause"] == g for e, g in zip(entries, got))
    print(f"{right} of {len(entries)} frozen texts right; the misses, label -> verdict:")
    for (label, g), k in c.most_common():
        print(f"{k:5}  {label} -> {g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("diff", help="texts whose cause changed between two builds")
    d.add_argument("old")
    d.add_argument("new")
    m = sub.add_parser("misses", help="dev rows a build gets wrong")
    m.add_argument("bin")
    m.add_argument("--cause", help="only misses labelled or called this cause")
    c = sub.add_parser("confusion", help="label -> verdict counts over the frozen texts")
    c.add_argument("bin")
    a = ap.parse_args()
    {"diff": cmd_diff, "misses": cmd_misses, "confusion": cmd_confusion}[a.cmd](a)


if __name__ == "__main__":
    main()
