#!/usr/bin/env python3
"""De-duplicate a harvested or probe TOML file against every earlier corpus.

Prints only counts (never a text), so whoever runs it learns nothing about
the held-out halves it compares against. Two modes:

  --mode harvest (an outside measure, tests/data/qaN.toml): an entry is
    dropped, under the first reason that applies, when its normalised shape
    equals an earlier entry of the file, a text of any earlier corpus
    (tests/data/*.toml, target/external/*.tsv), or is found inside a string
    of patterns/*.toml (the rules' examples), or when its words overlap a row
    of target/external/sisimai.tsv by a Jaccard index of 0.8 or more. The
    kept entries get `split = "heldout"` when the FNV-1a 64-bit hash of the
    reply's UTF-8 bytes is odd, else "dev".

  --mode probe (a product's own texts, tests/data/*-texts.toml): an entry is
    dropped when it repeats an earlier entry of the file, or when its shape
    equals a held-out row of an outside source (target/external/*.tsv) or a
    text of a
    frozen held-out set or half (so that no rule is written from a text equal
    to one that judges the rules); nothing else is compared.

The normalised shape: lower case; addresses, IP addresses, host names and
digit runs masked; white space collapsed; taken of the whole text and of the
remote reply inside a Postfix wrapper ("host X[IP] said: ... (in reply to
... command)").

Usage: dedup_harvest.py IN.toml OUT.toml --mode harvest|probe
"""

import argparse
import glob
import os
import re
import sys
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import is_frozen, pattern_strings, shape, shapes, toml_replies, tsv_rows, word_set  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def blocks(raw):
    """The file's header and its `[[reply]]` blocks, as written."""
    parts = re.split(r"(?m)^(?=\[\[reply\]\]\s*$)", raw)
    return parts[0], parts[1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--mode", choices=("harvest", "probe"), required=True)
    args = ap.parse_args()

    raw = open(args.input, encoding="utf-8").read()
    header, parts = blocks(raw)
    entries = [tomllib.loads(p)["reply"][0] for p in parts]
    own = os.path.abspath(args.input)
    data = os.path.join(ROOT, "tests", "data")

    earlier = set()
    frozen = set()
    examples = []
    sisimai_words = []
    for path in sorted(glob.glob(os.path.join(data, "*.toml"))):
        if os.path.abspath(path) == own:
            continue
        if is_frozen(os.path.basename(path)):
            for t in toml_replies(path, "heldout"):
                frozen |= shapes(t)
        if args.mode == "harvest":
            for t in toml_replies(path):
                earlier |= shapes(t)
    for path in sorted(glob.glob(os.path.join(ROOT, "target", "external", "*.tsv"))):
        rows = tsv_rows(path)
        for r in rows:
            row_shapes = shapes(r["reply"])
            if r.get("split") == "heldout":
                frozen |= row_shapes
            if args.mode == "harvest":
                earlier |= row_shapes
        if args.mode == "harvest" and os.path.basename(path) == "sisimai.tsv":
            sisimai_words = [w for w in (word_set(r["reply"]) for r in rows) if w]
    if args.mode == "harvest":
        examples = [shape(t) for t in pattern_strings(ROOT)]
        if not sisimai_words:
            sys.exit("target/external/sisimai.tsv is missing: run scripts/external/sisimai_labels.py first")

    counts = {"harvested": len(entries)}
    seen = set()
    kept = []
    for part, e in zip(parts, entries):
        s = shapes(e["reply"])
        # A probe keeps texts that differ only in a digit (a vendor's code).
        mine = s if args.mode == "harvest" else {e["reply"]}
        if mine & seen:
            reason = "same shape as an earlier entry of this file"
        elif s & frozen:
            reason = "same shape as a text of a frozen held-out set or half"
        elif s & earlier:
            reason = "same shape as a text of an earlier corpus"
        elif args.mode == "harvest" and any(x in ex for x in s for ex in examples):
            reason = "shape inside a string of patterns/*.toml"
        elif args.mode == "harvest" and any(
            len(w & o) / len(w | o) >= 0.8 for w in [word_set(e["reply"])] if w for o in sisimai_words
        ):
            reason = "words overlap a row of sisimai.tsv (Jaccard >= 0.8)"
        else:
            reason = None
        seen |= mine
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
            continue
        if args.mode == "harvest":
            split = "heldout" if fnv1a64(e["reply"].encode("utf-8")) % 2 else "dev"
            part = re.sub(r"(?m)^(source = .*)$", lambda m: m.group(1) + f'\nsplit = "{split}"', part, count=1)
            counts[split] = counts.get(split, 0) + 1
        kept.append(part)
    counts["kept"] = len(kept)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(header + "".join(kept))
    width = max(map(len, counts))
    for k, v in counts.items():
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
