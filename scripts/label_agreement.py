#!/usr/bin/env python3
"""How far two blind labellers of tests/data/heldout-qa.toml agree, and how
the classifier scores against each, against either, and on the entries both
labellers agree on. Prints figures only, never the texts.

    python3 scripts/label_agreement.py --bin target/release/bounce-report
    python3 scripts/label_agreement.py --outside   # the held-out halves of qa14 to qa21
    python3 scripts/label_agreement.py --outside tests/data/outside-second-labels-2.toml   # qa55 to qa84
    python3 scripts/label_agreement.py --outside tests/data/outside-second-labels-3.toml   # qa85 to qa100
    python3 scripts/label_agreement.py --outside tests/data/outside-second-labels-4.toml   # qa101 to qa106

With --outside the pair is the held-out halves of the sets that
tests/data/outside-second-labels.toml (or the file given) names, in file
order, and that file.
"""
import argparse
import os
import sys
import tomllib
from collections import Counter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import score_heldout  # noqa: E402

HARD = score_heldout.HARD


def load(path):
    with open(os.path.join(REPO, path), "rb") as f:
        return tomllib.load(f)["reply"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", help="bounce-report binary (default: as score_heldout.py)")
    ap.add_argument("--outside", nargs="?", const="tests/data/outside-second-labels.toml", metavar="FILE",
                    help="a second labelling of outside sets' held-out halves (default: qa14 to qa21's)")
    args = ap.parse_args()
    if args.outside:
        b = load(args.outside)
        a = []
        for name in dict.fromkeys(e["set"] for e in b):
            a += [e for e in load(f"tests/data/{name}.toml") if e.get("split") == "heldout"]
        first = "the held-out halves it names"
    else:
        a = load("tests/data/heldout-qa.toml")
        b = load("tests/data/heldout-qa-second-labels.toml")
        first = "heldout-qa.toml"
    if [e["id"] for e in b] != list(range(len(a))) or any(
        x["reply"] != y["reply"] for x, y in zip(a, b)
    ):
        sys.exit(f"the second labelling does not follow {first} entry for entry")
    n = len(a)
    same = [i for i in range(n) if a[i]["cause"] == b[i]["cause"]]
    ca, cb = Counter(e["cause"] for e in a), Counter(e["cause"] for e in b)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    po = len(same) / n
    print(f"labellers agree on the cause: {len(same)}/{n} = {100 * po:.1f} % (Cohen's kappa {(po - pe) / (1 - pe):.3f})")
    print(f"on the origin: {sum(a[i]['origin'] == b[i]['origin'] for i in range(n))}/{n}")
    print(f"on hard or not: {sum((a[i]['cause'] in HARD) == (b[i]['cause'] in HARD) for i in range(n))}/{n}")
    binary = args.bin or score_heldout.default_bin()
    got = score_heldout.classify(binary, [e["reply"] for e in a])
    got = [g if isinstance(g, str) else g.get("cause") for g in got]

    def pct(k, m):
        return f"{k}/{m} = {100 * k / m:.1f} %"

    print("classifier against the first labels:", pct(sum(got[i] == a[i]["cause"] for i in range(n)), n))
    print("against the second labels:", pct(sum(got[i] == b[i]["cause"] for i in range(n)), n))
    print("against either:", pct(sum(got[i] in (a[i]["cause"], b[i]["cause"]) for i in range(n)), n))
    print("on the entries both agree on:", pct(sum(got[i] == a[i]["cause"] for i in same), len(same)))


if __name__ == "__main__":
    main()
