#!/usr/bin/env python3
"""bounce-report on Spark: one task per log file runs the binary with
`--format jsonl`; the events become a DataFrame; the per-domain and
per-cause tables are computed in Spark and written as JSON in the shapes of
`bounce-report --format json` (`totals`, `by_domain`, `by_cause`, with the
count fields that events give exactly: see README "Many servers").

    spark-submit examples/spark/bounce_spark.py --bin target/release/bounce-report \\
        --out fleet.json /logs/mx1/mail.log /logs/mx2/mail.log ...
    # or plain python3 with `pip install pyspark` (local mode, all cores)

Give one file (or one rotated set, as a directory) per host: queue ids never
span hosts, so runs split by host lose no correlation, but one host's log
cut in two loses the deferral histories that cross the cut. The binary is
shipped to the executors with SparkContext.addFile; the logs must be
readable at the same path on every executor (shared storage, or local mode).
"""
import argparse
import json
import os
import subprocess
import sys

from pyspark import SparkFiles
from pyspark.sql import SparkSession, functions as F, types as T

# The jsonl event schema, version 1 (docs/jsonl-schema.md): the fields used here.
SCHEMA = T.StructType(
    [
        T.StructField("v", T.IntegerType()),
        T.StructField("time", T.StringType()),
        T.StructField("host", T.StringType()),
        T.StructField("queue_id", T.StringType()),
        T.StructField("recipient", T.StringType()),
        T.StructField("domain", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("cause", T.StringType()),
        T.StructField("class", T.StringType()),
    ]
)
SCHEMA_VERSION = 1
STATUSES = ("sent", "bounced", "deferred", "expired")


def run_binary(name, extra):
    """mapPartitions: run the binary over this partition's logs, yield its
    jsonl lines."""

    def run(paths):
        binary = SparkFiles.get(name)
        for path in paths:
            proc = subprocess.Popen(
                [binary, "--utc", "-f", "jsonl", *extra, path],
                stdout=subprocess.PIPE,
            )
            for line in proc.stdout:
                yield line.decode("utf-8")
            # 1: some input unreadable (the rest reported); anything else fails
            # the task, and Spark retries it.
            if proc.wait() not in (0, 1):
                raise RuntimeError(f"bounce-report failed on {path}: exit {proc.returncode}")

    return run


def counts(df, key):
    return [F.sum(F.when(F.col("status") == s, 1).otherwise(0)).cast("long").alias(s) for s in key]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the bounce-report binary")
    ap.add_argument("--out", required=True, help="where to write the JSON summary")
    ap.add_argument("--master", default=None, help="Spark master (default: spark-submit's, or local[*])")
    ap.add_argument("logs", nargs="+", help="log files or rotated-set directories, one per host")
    args, extra = ap.parse_known_args(argv)  # unknown options go to bounce-report

    builder = SparkSession.builder.appName("bounce-report")
    if args.master:
        builder = builder.master(args.master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit
        builder = builder.master("local[*]")
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    sc.addFile(os.path.abspath(args.bin))
    name = os.path.basename(args.bin)

    logs = [os.path.abspath(p) for p in args.logs]
    lines = sc.parallelize(logs, len(logs)).mapPartitions(run_binary(name, extra))
    events = spark.read.schema(SCHEMA).json(lines).cache()

    versions = [r["v"] for r in events.select("v").distinct().collect()]
    if any(v != SCHEMA_VERSION for v in versions):
        sys.exit(f"bounce_spark.py reads jsonl schema v{SCHEMA_VERSION}, the binary wrote {versions}")

    totals = events.agg(*counts(events, STATUSES)).first().asDict()
    by_domain = (
        # domain null: expiries whose deferrals are not in the input, a row
        # of their own as in --format json
        events.groupBy("domain")
        .agg(*counts(events, STATUSES))
        .orderBy(F.desc(F.col("bounced") + F.col("expired")), F.desc("deferred"), "domain")
    )
    by_cause = (
        events.where(F.col("cause").isNotNull())
        .groupBy("cause")
        .agg(
            # the class of its bounced or expired events; transient when it
            # has only deferrals
            F.coalesce(
                F.first(F.when(F.col("status") != "deferred", F.col("class")), ignorenulls=True),
                F.lit("transient"),
            ).alias("class"),
            *counts(events, STATUSES[1:]),
        )
        .orderBy(F.desc(F.col("bounced") + F.col("deferred") + F.col("expired")), "cause")
    )
    summary = {
        "totals": {k: totals[k] or 0 for k in STATUSES},
        "by_domain": [r.asDict() for r in by_domain.collect()],
        "by_cause": [r.asDict() for r in by_cause.collect()],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    spark.stop()


if __name__ == "__main__":
    main()
