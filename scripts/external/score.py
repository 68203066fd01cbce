#!/usr/bin/env python3
"""Score bounce-report's classifier on a labelled TSV.

    score.py LABELS.tsv [--bin PATH] [--split dev|heldout|all] [--misses]
             [--top N] [--exclude CAUSE ...]

LABELS.tsv has the columns source_id, split, cause, status, reply (as the
scripts beside this one write it). Every reply is given, one per line, to a
single `BIN classify -f json` process on its standard input (a newline, CR
or tab inside a text becomes a space); its JSON line for each is read back
in order. Printed: rows and accuracy per split and overall, recall per
expected cause, the commonest confusions (expected -> got), and with
--misses every wrong row (source id, expected, got, text).

Python 3 standard library only.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
from collections import Counter, defaultdict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header[:len(common.TSV_COLUMNS)] != common.TSV_COLUMNS:
            raise SystemExit("%s: header is not %s" % (path, "\t".join(common.TSV_COLUMNS)))
        for n, line in enumerate(f, 2):
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) < len(common.TSV_COLUMNS):
                raise SystemExit("%s:%d: %d columns" % (path, n, len(cols)))
            rows.append(dict(zip(common.TSV_COLUMNS, cols)))
    return rows


def classify(binary, texts, patterns=None):
    data = "".join(common.one_line(t) + "\n" for t in texts).encode("utf-8")
    extra = ["--patterns", patterns] if patterns else []
    p = subprocess.run([binary, "classify", "-f", "json"] + extra, input=data,
                       stdout=subprocess.PIPE, check=True)
    out = [json.loads(l) for l in p.stdout.decode("utf-8", "replace").split("\n") if l.strip()]
    if len(out) != len(texts):
        raise SystemExit("%s printed %d results for %d texts" % (binary, len(out), len(texts)))
    return out


def pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "-"


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels")
    ap.add_argument("--bin", default=os.environ.get("BOUNCE_REPORT", "target/release/bounce-report"),
                    help="the bounce-report binary (default: $BOUNCE_REPORT or target/release/bounce-report)")
    ap.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    ap.add_argument("--patterns", metavar="DIR", help="extra pattern files, passed to classify --patterns (an experiment)")
    ap.add_argument("--misses", action="store_true", help="print every wrong row")
    ap.add_argument("--top", type=int, default=15, help="confusions to print (default 15)")
    ap.add_argument("--exclude", action="append", default=[], metavar="CAUSE",
                    help="leave out the rows expecting CAUSE (repeatable)")
    a = ap.parse_args()

    rows = read_tsv(a.labels)
    if a.split != "all":
        rows = [r for r in rows if r["split"] == a.split]
    rows = [r for r in rows if r["cause"] not in a.exclude]
    if not rows:
        raise SystemExit("no rows")
    results = classify(a.bin, [r["reply"] for r in rows], a.patterns)
    for r, res in zip(rows, results):
        r["got"] = res.get("cause")

    print("%s (split %s%s)" % (a.labels, a.split,
                               "".join(", without " + c for c in a.exclude)))
    by_split = defaultdict(lambda: [0, 0])
    for r in rows:
        by_split[r["split"]][0] += r["got"] == r["cause"]
        by_split[r["split"]][1] += 1
    for s in ("dev", "heldout"):
        if s in by_split:
            ok, n = by_split[s]
            print("  %-8s rows %4d  correct %4d  accuracy %s" % (s, n, ok, pct(ok, n)))
    ok = sum(r["got"] == r["cause"] for r in rows)
    print("  %-8s rows %4d  correct %4d  accuracy %s" % ("total", len(rows), ok, pct(ok, len(rows))))

    print("\nrecall per expected cause:")
    per = defaultdict(lambda: [0, 0])
    for r in rows:
        per[r["cause"]][0] += r["got"] == r["cause"]
        per[r["cause"]][1] += 1
    for cause, (c, n) in sorted(per.items(), key=lambda kv: (-kv[1][1], kv[0])):
        print("  %-18s %4d/%-4d %s" % (cause, c, n, pct(c, n)))

    conf = Counter((r["cause"], r["got"]) for r in rows if r["got"] != r["cause"])
    if conf:
        print("\nconfusions (expected -> got):")
        for (e, g), n in conf.most_common(a.top):
            print("  %3d  %s -> %s" % (n, e, g))

    if a.misses:
        print("\nmisses (source_id, split, expected, got, text):")
        for r in rows:
            if r["got"] != r["cause"]:
                print("\t".join([r["source_id"], r["split"], r["cause"], str(r["got"]), r["reply"]]))


if __name__ == "__main__":
    main()
