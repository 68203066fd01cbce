#!/usr/bin/env python3
"""Score bounce-report's classifier on the frozen held-out set.

    scripts/score_heldout.py [--bin PATH] [--data PATH] [--split dev|heldout] [--sisimai] [--misses]
    scripts/score_heldout.py --all-frozen [--bin PATH] [--sisimai]

With --all-frozen it scores every frozen set (heldout.toml, heldout-qa.toml
and the held-out halves of tests/data/qa*.toml) and prints one line each
and the totals: right, right when a cause is named, undefined, called hard
and of them wrongly, the strict figure below, and Sisimai with --sisimai.

Feeds every `reply` of tests/data/heldout.toml, one per line, to
`BIN classify -f json` and compares the `cause` it prints with the label.
Prints the entry count per cause, the overall accuracy, the accuracy per
origin kind and per cause, the confusion counts (expected -> got), and what
matters most to the suppression list: of the bounced entries, how many the
classifier calls hard (SPEC: user_unknown, host_unknown, not_accept,
has_moved, suspend) where the label is not (an address suppressed wrongly),
and the reverse (a gone address kept).

With --sisimai, the same replies also go to the peer classifier,
`Sisimai->match` (Debian: libsisimai-perl), and its accuracy is printed
beside ours (its reason names mapped to SPEC's: `userunknown` is
user_unknown; `filtered`, `delivered`, `feedback` count as wrong).

It also prints the accuracy on the entries whose shape (lower case;
addresses, IP addresses, host names and digit runs masked) no text a rule
may have been written from holds: the probes, replies.toml, the dev halves
of the outside sets and the pattern files' strings (scripts/external/
common.py, `seen_shapes`). A held-out reply of a shape a probe holds (a
Postfix text is the same in every log) was not used to write a rule, but it
is not unfamiliar either: this figure is the strict one.

The missed texts are printed only with --misses. The held-out set judges the
rules; whoever edits rules should see the figures, never the missed texts.

Standard library only (Python 3.11+ for tomllib).
"""

import argparse
import collections
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "external"))
from common import seen_shapes, shapes  # noqa: E402

DEFAULT_DATA = os.path.join(ROOT, "tests", "data", "heldout.toml")


def default_bin():
    for build in ("release", "debug"):
        path = os.path.join(ROOT, "target", build, "bounce-report")
        if os.access(path, os.X_OK):
            return path
    return shutil.which("bounce-report") or "bounce-report"


def results_from(stdout):
    """The per-reply result objects, in input order, from the JSON output.

    Accepts one JSON document (a list, or an object holding a list of results)
    or one JSON object per line.
    """
    text = stdout.strip()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        if "cause" in doc:
            doc = [doc]
        elif len(lists) == 1:
            doc = lists[0]
        else:
            sys.exit("score_heldout: cannot find the list of results in the JSON output")
    return doc


# SPEC "Expired events and classes": an expired event whose last reply was
# only a failure to reach the other side, or named no cause, is `expired`.
# An entry labelled with status "expired" is scored as that event, as a run
# over a log reports it (`Cause::for_expiry`).
FOR_EXPIRY = {"network_error", "host_unknown", "undefined"}


def as_events(entries, got):
    """The causes as a run reports them for these entries' events."""
    return [("expired" if e.get("status") == "expired" and g in FOR_EXPIRY else g) for e, g in zip(entries, got)]


def classify(binary, replies, patterns=None):
    for reply in replies:
        if "\n" in reply or "\r" in reply:
            sys.exit("score_heldout: a reply holds a line break; cannot feed it one per line")
    proc = subprocess.run(
        [binary, "classify", "-f", "json"] + (["--patterns", patterns] if patterns else []),
        input="".join(r + "\n" for r in replies),
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"score_heldout: {binary} classify exited with {proc.returncode}")
    results = results_from(proc.stdout)
    if len(results) != len(replies):
        sys.exit(f"score_heldout: {len(replies)} replies in, {len(results)} results out")
    for i, (reply, result) in enumerate(zip(replies, results)):
        text = result.get("text", result.get("reply")) if isinstance(result, dict) else None
        if text is not None and text != reply:
            sys.exit(f"score_heldout: result {i + 1} echoes another text than its reply; output out of order?")
    return [r.get("cause") if isinstance(r, dict) else None for r in results]


SISIMAI = r"""
use strict; use warnings; use Sisimai;
binmode STDIN; binmode STDOUT;
while (my $t = <STDIN>) {
    chomp $t;
    my $r = Sisimai->match($t);
    print((defined $r && length $r) ? $r : 'undefined', "\n");
}
"""


def sisimai(replies):
    """Sisimai->match's reason for each reply, in SPEC's snake_case."""
    proc = subprocess.run(["perl", "-e", SISIMAI], input="".join(r + "\n" for r in replies),
                          capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit("score_heldout: perl with Sisimai failed (apt-get install libsisimai-perl)")
    snake = {"contenterror": "content_error", "exceedlimit": "exceed_limit", "hasmoved": "has_moved",
             "hostunknown": "host_unknown", "mailboxfull": "mailbox_full", "mailererror": "mailer_error",
             "mesgtoobig": "mesg_too_big", "networkerror": "network_error", "norelaying": "no_relaying",
             "notaccept": "not_accept", "onhold": "on_hold", "policyviolation": "policy_violation",
             "securityerror": "security_error", "spamdetected": "spam_detected", "syntaxerror": "syntax_error",
             "systemerror": "system_error", "systemfull": "system_full", "toomanyconn": "too_many_conn",
             "userunknown": "user_unknown", "virusdetected": "virus_detected", "badreputation": "bad_reputation",
             "requireptr": "require_ptr", "authfailure": "auth_failure", "failedstarttls": "failed_starttls",
             "notcompliantrfc": "not_compliant_rfc"}
    out = proc.stdout.splitlines()
    if len(out) != len(replies):
        sys.exit(f"score_heldout: {len(replies)} replies in, {len(out)} Sisimai reasons out")
    return [snake.get(r, r) for r in out]


HARD = {"user_unknown", "host_unknown", "not_accept", "has_moved", "suspend"}


def pct(n, d):
    return f"{100.0 * n / d:5.1f}%" if d else "    -"


def frozen_sets():
    """The frozen sets: (label, path, split), in the order the README lists them."""
    data = os.path.join(ROOT, "tests", "data")
    qa = sorted(glob.glob(os.path.join(data, "qa*.toml")),
                key=lambda p: int(re.sub(r"\D", "", os.path.basename(p)) or 0))
    return ([("heldout", os.path.join(data, "heldout.toml"), None),
             ("heldout-qa", os.path.join(data, "heldout-qa.toml"), None)]
            + [(os.path.basename(p)[:-5], p, "heldout") for p in qa])


def tally(entries, got, seen):
    """The counts every summary is made of: right, named (not undefined) and
    named right, bounced, called hard and of them not hard by the label, hard
    by the label but not called hard, and right on the strict entries (whose
    shape no rule's source holds)."""
    t = collections.Counter(n=len(entries))
    for e, g in zip(entries, got):
        right = e["cause"] == g
        t["right"] += right
        t["named"] += g != "undefined"
        t["named_right"] += right and g != "undefined"
        if e.get("status", "bounced") == "bounced":
            t["bounced"] += 1
            t["hard"] += g in HARD
            t["wrong_hard"] += g in HARD and e["cause"] not in HARD
            t["missed_hard"] += e["cause"] in HARD and g not in HARD
        if not shapes(e["reply"]) & seen:
            t["strict_n"] += 1
            t["strict_right"] += right
    return t


def all_frozen(args):
    """One line per frozen set and the totals: right, named-cause precision,
    undefined, suppression (called hard / not hard by the label), the strict
    figure, and Sisimai's right and wrongly-hard counts when asked."""
    seen, tsvs = seen_shapes(ROOT)
    cols = ["set", "right", "named right", "undefined", "hard called/wrong", "strict"] + (["Sisimai (wrong hard)"] if args.sisimai else [])
    print("\t".join(cols))
    tot = collections.Counter()
    for label, path, split in frozen_sets():
        with open(path, "rb") as f:
            entries = [e for e in tomllib.load(f)["reply"] if split is None or e.get("split") == split]
        got = as_events(entries, classify(args.bin or default_bin(), [e["reply"] for e in entries], args.patterns))
        row = tally(entries, got, seen)
        if args.sisimai:
            peer = as_events(entries, sisimai([e["reply"] for e in entries]))
            for e, p in zip(entries, peer):
                row["peer"] += e["cause"] == p
                row["peer_wrong_hard"] += (e.get("status", "bounced") == "bounced" and p in HARD
                                           and e["cause"] not in HARD)
        tot.update(row)
        print_frozen_row(label, row, args.sisimai)
    print_frozen_row("all", tot, args.sisimai)
    if not tsvs:
        print("(target/external/*.tsv absent: their dev halves not counted in the strict figure)")


def print_frozen_row(label, r, peer):
    cells = [label,
             f"{r['right']}/{r['n']} ({pct(r['right'], r['n']).strip()})",
             f"{r['named_right']}/{r['named']} ({pct(r['named_right'], r['named']).strip()})",
             str(r["n"] - r["named"]),
             f"{r['hard']}/{r['wrong_hard']}",
             f"{r['strict_right']}/{r['strict_n']} ({pct(r['strict_right'], r['strict_n']).strip()})"]
    if peer:
        cells.append(f"{r['peer']}/{r['n']} ({r['peer_wrong_hard']})")
    print("\t".join(cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=None, help="bounce-report binary (default: target/release, target/debug, then PATH)")
    ap.add_argument("--data", default=DEFAULT_DATA, help="held-out TOML file")
    ap.add_argument("--split", choices=("dev", "heldout"), help="only the entries of this split (for files with a `split` field)")
    ap.add_argument("--sisimai", action="store_true", help="also score Sisimai->match on the same replies")
    ap.add_argument("--patterns", metavar="DIR", help="extra pattern files, passed to classify --patterns (an experiment)")
    ap.add_argument("--misses", action="store_true", help="also print the missed texts (not for rule editors)")
    ap.add_argument("--all-frozen", action="store_true",
                    help="score every frozen set (heldout, heldout-qa and the held-out halves of qa*.toml) "
                         "and print one line each and the totals")
    args = ap.parse_args()
    if args.all_frozen:
        return all_frozen(args)

    with open(args.data, "rb") as f:
        entries = tomllib.load(f)["reply"]
    if args.split:
        entries = [e for e in entries if e.get("split") == args.split]
        if not entries:
            sys.exit(f"no entries with split = {args.split!r} in {args.data}")
    got = as_events(entries, classify(args.bin or default_bin(), [e["reply"] for e in entries], args.patterns))

    total = len(entries)
    hits = [e["cause"] == g for e, g in zip(entries, got)]
    per_cause = collections.Counter(e["cause"] for e in entries)
    cause_hits = collections.Counter(e["cause"] for e, h in zip(entries, hits) if h)
    per_origin = collections.Counter(e.get("origin", "?") for e in entries)
    origin_hits = collections.Counter(e.get("origin", "?") for e, h in zip(entries, hits) if h)
    confusion = collections.Counter((e["cause"], g) for e, g, h in zip(entries, got, hits) if not h)

    print(f"held-out set: {total} replies, {args.data if args.data != DEFAULT_DATA else 'tests/data/heldout.toml'}")
    print(f"overall accuracy: {sum(hits)}/{total} = {pct(sum(hits), total).strip()}")
    print()
    print("by origin:")
    for origin in sorted(per_origin):
        n, k = per_origin[origin], origin_hits[origin]
        print(f"  {origin:<24} {k:4}/{n:<4} {pct(k, n)}")
    print()
    print("by cause (entries, correct):")
    for cause, n in sorted(per_cause.items(), key=lambda kv: (-kv[1], kv[0])):
        k = cause_hits[cause]
        print(f"  {cause:<18} {n:4} {k:4} {pct(k, n)}")
    print()
    print("confusion (expected -> got: count):")
    if not confusion:
        print("  none")
    for (exp, g), n in sorted(confusion.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {exp} -> {g}: {n}")

    seen, tsvs = seen_shapes(ROOT)
    t = tally(entries, got, seen)
    print()
    print(f"when it names a cause (not undefined): {t['named_right']}/{t['named']} = "
          f"{pct(t['named_right'], t['named']).strip()}; undefined on {total - t['named']}")
    print()
    print(f"suppression (bounced entries: {t['bounced']}): called hard {t['hard']}, "
          f"of them not hard by the label {t['wrong_hard']}; hard by the label but not called hard {t['missed_hard']}")
    print()
    print(f"on shapes no rule's source holds: {t['strict_right']}/{t['strict_n']} = "
          f"{pct(t['strict_right'], t['strict_n']).strip()}; "
          f"the other {total - t['strict_n']}: {t['right'] - t['strict_right']}"
          + ("" if tsvs else " (target/external/*.tsv absent: their dev halves not counted)"))

    if args.sisimai:
        peer = as_events(entries, sisimai([e["reply"] for e in entries]))
        right = sum(e["cause"] == p for e, p in zip(entries, peer))
        peer_hard = sum(1 for e, p in zip(entries, peer) if e.get("status", "bounced") == "bounced" and p in HARD)
        peer_wrong = sum(1 for e, p in zip(entries, peer)
                         if e.get("status", "bounced") == "bounced" and p in HARD and e["cause"] not in HARD)
        print(f"Sisimai->match on the same replies: {right}/{total} = {pct(right, total).strip()} "
              f"(ours {sum(hits)}/{total}); called hard {peer_hard}, of them not hard by the label {peer_wrong}")

    if args.misses:
        print()
        print("missed texts:")
        for e, g, h in zip(entries, got, hits):
            if not h:
                print(f"  [{e['cause']} -> {g}] {e['reply']}")


if __name__ == "__main__":
    main()
