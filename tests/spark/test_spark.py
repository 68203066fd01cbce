#!/usr/bin/env python3
"""The Spark recipe in local mode: a generated three-host log split into one
file per host; examples/spark/bounce_spark.py over the three files must equal
`bounce-report -f json` over them (and over the unsplit log) exactly on
totals (sent, bounced, deferred, expired), by_domain and by_cause (class,
bounced, deferred, expired).

    python3 tests/spark/test_spark.py [--bin target/debug/bounce-report]

Exits 0 with "SKIP: ..." when pyspark or java is missing. About 20 s.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(REPO, "..", "shared", "tools", "gen-maillog")
COUNTS = ("sent", "bounced", "deferred", "expired")


def shape(s):
    """The fields the Spark job reproduces exactly."""
    return {
        "totals": {k: s["totals"][k] for k in COUNTS},
        "by_domain": {r["domain"]: [r[k] for k in COUNTS] for r in s["by_domain"]},
        "by_cause": {r["cause"]: [r["class"]] + [r[k] for k in COUNTS[1:]] for r in s["by_cause"]},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "debug", "bounce-report"))
    args = ap.parse_args()
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("SKIP: spark test: python3 module pyspark missing (pip install pyspark)")
        return 0
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        print("SKIP: spark test: no java (Spark needs Java 17: apt-get install openjdk-17-jre-headless)")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "all.log")
        subprocess.run([sys.executable, GEN, "--lines", "6000", "--seed", "33", "--hosts", "3",
                        "--days", "2", "-o", log], check=True)
        parts = {}
        with open(log, "rb") as f:  # syslog lines: "Mon DD HH:MM:SS host ..."
            for line in f:
                host = line.split(None, 4)[3].decode()
                parts.setdefault(host, []).append(line)
        assert len(parts) == 3, sorted(parts)
        files = []
        for host, lines in sorted(parts.items()):
            files.append(os.path.join(tmp, f"{host}.log"))
            with open(files[-1], "wb") as f:
                f.writelines(lines)

        def single(paths):
            out = subprocess.run([args.bin, "--utc", "-f", "json", *paths],
                                 capture_output=True, check=True).stdout
            return shape(json.loads(out))

        out = os.path.join(tmp, "spark.json")
        subprocess.run([sys.executable, os.path.join(REPO, "examples", "spark", "bounce_spark.py"),
                        "--bin", args.bin, "--out", out, "--master", "local[2]", *files],
                       check=True, stderr=subprocess.DEVNULL)
        spark = shape(json.load(open(out, encoding="utf-8")))
        failures = []
        for name, want in (("split", single(files)), ("unsplit", single([log]))):
            for k in spark:
                if spark[k] != want[k]:
                    failures.append(f"{k}: spark != single run over the {name} log")
        print(f"spark: 3 hosts, {sum(spark['totals'].values())} events, "
              f"{len(spark['by_domain'])} domains, {len(spark['by_cause'])} causes")
        if failures:
            print("FAIL:\n  " + "\n  ".join(failures))
            return 1
        print("ok: Spark output equals the single run (totals, by_domain, by_cause)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
