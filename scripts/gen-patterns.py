#!/usr/bin/env python3
"""Writes a large user pattern file, for timing `--patterns` loading.

    scripts/gen-patterns.py --rules 100000 --kind phrase > DIR/big.toml
    scripts/gen-patterns.py --rules 100000 --kind regex  > DIR/big.toml

Every rule has a unique id, a cause, a phrase (or regex) made of made-up
words that no built-in rule knows, so that a reply naming rule N's words
classifies to rule N's cause. Rule N's phrase is `zq<N in base 26> quota
vanished`; its regex is `zq<N> (?:quota|mailbox) vanished`. Deterministic:
the same arguments give the same file.
"""
import argparse
import sys

CAUSES = ["mailbox_full", "user_unknown", "blocked", "spam_detected", "speeding"]


def word(n: int) -> str:
    """n in base 26, as letters: unique, no digits (the cache masks ids)."""
    s = ""
    while True:
        s = chr(ord("a") + n % 26) + s
        n //= 26
        if n == 0:
            return "zq" + s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=20000)
    ap.add_argument("--kind", choices=["phrase", "regex", "mixed"], default="phrase")
    ap.add_argument("--examples", action="store_true", help="priority, advice and an example per rule (about 290 bytes a rule instead of 100)")
    a = ap.parse_args()
    out = sys.stdout
    for i in range(a.rules):
        kind = a.kind if a.kind != "mixed" else ("phrase", "regex")[i % 2]
        w = word(i)
        out.write("[[rule]]\n")
        out.write(f'id = "gen.r{i}"\n')
        out.write(f'cause = "{CAUSES[i % len(CAUSES)]}"\n')
        if kind == "phrase":
            out.write(f'phrase = ["{w} quota vanished", "{w} box vanished"]\n')
        else:
            out.write(f"regex = '{w} (?:quota|mailbox) vanished'\n")
        if a.examples:
            out.write("priority = 60\n")
            out.write(f'advice_en = "Generated rule {i}: ask the recipient about {w}."\n')
            out.write(f'examples = ["host mx.example.com[192.0.2.1] said: 550 {w} quota vanished (in reply to RCPT TO command)"]\n')
        out.write("\n")


if __name__ == "__main__":
    main()
