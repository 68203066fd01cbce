#!/usr/bin/env python3
"""Seeds the fuzz corpora (fuzz/corpus/TARGET/, not committed) from our
fixtures/ and, when it sits beside the checkout, ../shared/corpus/real.

    python3 fuzz/seed.py

parse_line: single lines; classify: the parenthesised reply texts of the
status lines, with relay/domain/dsn after them as the target reads them;
journal: the lines as `journalctl -o json` entries (MESSAGE as text, and as
a byte array for some); pipeline: pieces of whole logs (up to 60 KiB) and
the gzip fixture as it is. Files are named by the hash of their content,
so running it again adds nothing twice.
"""
import gzip
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "real")
CORPUS = os.path.join(HERE, "corpus")
PER_TARGET = 600  # seeds per target from the lines: enough shapes, short runs
PIECE = 60 * 1024

STATUS = re.compile(
    rb"to=<([^>]*)>.*?relay=([^,]*),.*?dsn=([0-9.]+), status=\w+ \((.*)\)\s*$"
)
SYSLOG = re.compile(rb"^(\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\S+) (\S+) ([^\[:\s]+)\[(\d+)\]: (.*)$")


def logs():
    names = []
    for d in (os.path.join(ROOT, "fixtures"), os.path.join(ROOT, "fixtures", "rotated"), SHARED):
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isfile(p) and (n.endswith(".log") or n.startswith("maillog") or n.endswith(".gz")):
                names.append(p)
    return names


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data), data
    return data, None


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    p = os.path.join(d, name)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)


def pick(items, n):
    """n items spread evenly over items, keeping their order."""
    items = list(dict.fromkeys(items))
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def journal_entry(line, as_bytes):
    m = SYSLOG.match(line)
    if not m:
        return None
    _, host, ident, pid, message = m.groups()
    entry = {
        "__REALTIME_TIMESTAMP": "1795230847123456",
        "_HOSTNAME": host.decode("latin-1"),
        "SYSLOG_IDENTIFIER": ident.decode("latin-1"),
        "SYSLOG_PID": pid.decode(),
        "MESSAGE": list(message) if as_bytes else message.decode("utf-8", "replace"),
    }
    return json.dumps(entry).encode()


def main():
    lines, replies = [], []
    for path in logs():
        text, raw = read(path)
        if raw is not None:
            put("pipeline", raw[:PIECE] if len(raw) > PIECE else raw)
        for start in range(0, min(len(text), 4 * PIECE), PIECE):
            piece = text[start : start + PIECE]
            cut = piece.rfind(b"\n")
            put("pipeline", piece[: cut + 1] if cut > 0 else piece)
        for line in text.split(b"\n"):
            if not line:
                continue
            lines.append(line)
            m = STATUS.search(line)
            if m:
                rcpt, relay, dsn, reply = m.groups()
                domain = rcpt.rsplit(b"@", 1)[-1].lower()
                replies.append(reply)
                replies.append(b"\n".join([reply, relay, domain, dsn]))
    postfix = [l for l in lines if b"postfix" in l]
    for l in pick(postfix, PER_TARGET):
        put("parse_line", l)
    for r in pick(replies, PER_TARGET):
        put("classify", r)
    for i, l in enumerate(pick(postfix, PER_TARGET // 2)):
        e = journal_entry(l, as_bytes=(i % 5 == 0))
        if e:
            put("journal", e)
    for t in ("parse_line", "classify", "journal", "pipeline"):
        d = os.path.join(CORPUS, t)
        print(f"{t}: {len(os.listdir(d)) if os.path.isdir(d) else 0} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
