#!/usr/bin/env python3
"""How many plain ways of saying twenty-seven causes the catalogue reads.

    python3 scripts/concept_grid.py [--bin BIN] [--show]

A grid of sentences, each a noun a server may use for the mailbox ("User",
"Recipient address", "Inbox", ...) and a predicate ("could not be found",
"has no space left", "has been deactivated", ...), or a prefix and a noun
("No such address"), written as a remote reply to RCPT TO (or the command named), alone and
after each of a few lead-ins servers put before a reason ("Rejected: ",
"Temporary failure: "), once with the
cause's enhanced status code (5.1.1, 5.2.2, 5.2.1) and once without. Every
sentence says its cause plainly; pairings a careful reader would not call
(a bare "Address unknown" that may be the sender's, "Account exceeds quota"
that may be a sending quota, "Mailbox unavailable", "Invalid address" that
may be its syntax) are left out. Without the code the words alone must
decide: that is the figure that tells how far the concepts reach beyond the
wordings the rules were written from.

The grid is tests/data/concept-grid.toml (tests/catalogue.rs reads it too). It
is ours, not an outside measure: rules may be written from it.
Prints, per cause, how many sentences get it with and without the code;
--show lists the others.
"""
import argparse
import itertools
import os
import sys
import tomllib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_heldout import classify, default_bin  # noqa: E402

WRAP = "host mx.example.net[192.0.2.9] said: {code} {dsn}{text} (in reply to {stage} command)"

GRID = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data", "concept-grid.toml")


def load_grid():
    """The grid file: its `grid` rows and its `lead_ins`."""
    with open(GRID, "rb") as f:
        return tomllib.load(f)

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
    grid = load_grid()
    for g in grid["grid"]:
        cause = g["cause"]
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
        # Without the code, after each lead-in.
        replies = [WRAP.format(code=g["code"], dsn="", text=p + t, stage=g.get("stage", "RCPT TO"))
                   for t in texts for p in grid["lead_ins"]]
        got = classify(binary, replies)
        line.append(f"after a lead-in: {sum(x == cause for x in got)}/{len(replies)}")
        if a.show:
            for r, x in zip(replies, got):
                if x != cause:
                    print(f"    [{cause} -> {x}] {r}")
        print("  ".join(line))


if __name__ == "__main__":
    main()
