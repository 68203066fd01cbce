#!/usr/bin/env python3
"""The warehouse path: `bounce-report -f jsonl` events loaded into chDB (the
in-process ClickHouse) through examples/clickhouse/schema.sql, and the
queries of examples/clickhouse/report.sql checked against `-f json` of the
same generated log: totals, by_domain, by_cause and deferred_outcomes must
be equal exactly, and the suppression query must list the addresses
`bounce-report suppress` lists.

    python3 tests/warehouse/test_chdb.py [--bin target/debug/bounce-report]

Exits 0 with "SKIP: ..." when chdb is not installed (pip install chdb).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CH = os.path.join(REPO, "examples", "clickhouse")
GEN = os.path.join(REPO, "..", "shared", "tools", "gen-maillog")
COUNTS = ("sent", "bounced", "deferred", "expired")
# The load settings schema.sql documents.
SETTINGS = "input_format_skip_unknown_fields = 1, date_time_input_format = 'best_effort'"


def statements(path):
    """(name, sql) of each statement; name from a preceding '-- name: X'."""
    out, name, lines = [], None, []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"--\s*name:\s*(\w+)", line)
        if m:
            name = m.group(1)
        elif not line.lstrip().startswith("--"):
            lines.append(line)
        if line.rstrip().endswith(";"):
            sql = "".join(lines).strip().rstrip(";")
            if sql:
                out.append((name, sql))
            name, lines = None, []
    return out


def rows(sess, sql):
    text = sess.query(sql, "JSONEachRow").bytes().decode()
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "debug", "bounce-report"))
    args = ap.parse_args()
    try:
        from chdb import session
    except ImportError:
        print("SKIP: warehouse test: python3 module chdb missing (pip install chdb)")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "mail.log")
        subprocess.run(
            [sys.executable, GEN, "--lines", "6000", "--seed", "22", "--hosts", "3",
             "--days", "3", "--dirty", "0.01", "-o", log],
            check=True,
        )
        events = os.path.join(tmp, "events.jsonl")
        with open(events, "wb") as f:
            subprocess.run([args.bin, "--utc", "-f", "jsonl", log], stdout=f, check=True)
        summary = json.loads(
            subprocess.run([args.bin, "--utc", "-f", "json", log],
                           capture_output=True, check=True).stdout
        )

        sess = session.Session(os.path.join(tmp, "chdb"))
        for _, sql in statements(os.path.join(CH, "schema.sql")):
            sess.query(sql)
        sess.query(
            f"INSERT INTO bounce_events SELECT * FROM file('{events}', 'JSONEachRow') "
            f"SETTINGS {SETTINGS}"
        )
        q = {name: rows(sess, sql) for name, sql in statements(os.path.join(CH, "report.sql"))}

        n_events = sum(1 for _ in open(events, encoding="utf-8"))
        loaded = rows(sess, "SELECT count() AS n FROM bounce_events")[0]["n"]
        assert int(loaded) == n_events, (loaded, n_events)

        failures = []

        def check(what, got, want):
            if got != want:
                failures.append(f"{what}: warehouse {got!r} != summary {want!r}")

        check("totals", {k: int(q["totals"][0][k]) for k in COUNTS},
              {k: summary["totals"][k] for k in COUNTS})
        check("by_domain",
              {r["domain"]: [int(r[k]) for k in COUNTS] for r in q["by_domain"]},
              {r["domain"]: [r[k] for k in COUNTS] for r in summary["by_domain"]})
        check("by_cause",
              {r["cause"]: [r["class"]] + [int(r[k]) for k in COUNTS[1:]] for r in q["by_cause"]},
              {r["cause"]: [r["class"]] + [r[k] for k in COUNTS[1:]] for r in summary["by_cause"]})
        outcomes = ("delivered", "bounced", "expired", "pending")
        check("deferred_outcomes",
              {k: int(q["deferred_outcomes"][0][k]) for k in outcomes},
              {k: summary["deferred_outcomes"][k] for k in outcomes})
        per_day = {}
        for r in q["causes_per_day"]:
            per_day[r["cause"]] = per_day.get(r["cause"], 0) + sum(int(r[k]) for k in COUNTS[1:])
        check("causes_per_day summed over days", per_day,
              {r["cause"]: sum(r[k] for k in COUNTS[1:]) for r in summary["by_cause"]})
        # The suppression query is SPEC's rule (any hard event) less the
        # addresses our resolver's failures put there, as `suppress` has it
        # (see report.sql): the same addresses.
        listed = subprocess.run([args.bin, "suppress", log], capture_output=True,
                                check=True, text=True).stdout.splitlines()[1:]
        sub = {l.split(",", 1)[0] for l in listed}
        wh = {r["address"] for r in q["suppression"]}
        if sub != wh:
            failures.append(f"suppression: only in suppress {sorted(sub - wh)[:5]}, "
                            f"only in the query {sorted(wh - sub)[:5]}")
        hard = rows(sess, "SELECT uniqExact(recipient) AS n FROM bounce_events "
                          "WHERE class = 'hard' AND recipient IS NOT NULL")[0]["n"]
        if int(hard) <= len(wh):
            failures.append(f"the log has no address left off for the resolver ({hard} hard)")
        print(f"warehouse: {n_events} events, {len(q['by_domain'])} domains, "
              f"{len(q['by_cause'])} causes, suppression {len(wh)} (suppress: {len(sub)})")
        if failures:
            print("FAIL:\n  " + "\n  ".join(failures))
            return 1
        print("ok: chDB queries equal the JSON summary (totals, by_domain, by_cause, "
              "deferred_outcomes) and the suppression query `suppress`")
        return 0


if __name__ == "__main__":
    sys.exit(main())
