#!/usr/bin/env python3
"""Moves every recipient of a Postfix log to a domain of its own, for
`benches/keys.sh` (issue 21: throughput at 1M distinct domains against a
realistic log of the same size and line mix).

    benches/spread-domains.py < maillog > maillog-spread

Each (queue id, recipient) pair gets the domain `r<n>.<its domain>`, the
same on every line that names it (its deferrals, its final status), so the
log's counts and outcomes are those of the input; only the number of
distinct recipient domains changes. Lines without `to=<…@…>` are copied.
"""
import re
import sys

TO = re.compile(rb" ([0-9A-Za-z]+): to=<([^@>]*)@([^>]*)>")


def main() -> None:
    seen: dict[bytes, int] = {}
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        m = TO.search(line)
        if m is None:
            out.write(line)
            continue
        key = m.group(1) + b" " + m.group(2) + b"@" + m.group(3)
        n = seen.setdefault(key, len(seen))
        out.write(line[: m.start(3)] + b"r%d." % n + line[m.start(3):])
    print(f"spread-domains: {len(seen)} recipients, each at a domain of its own", file=sys.stderr)


if __name__ == "__main__":
    main()
