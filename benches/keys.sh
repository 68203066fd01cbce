#!/bin/sh
# Peak RSS and time at many distinct keys (issue 21, "bounded by design"):
# generates one log per shape with benches/gen-keys.py (1M events each by
# default) into $BENCH_DIR, then runs the release binary on each, the report
# (-f json) and `suppress`, printing `/usr/bin/time -f "%e s %M KiB"`.
#
#   benches/keys.sh                  # all four shapes, 1M events each
#   EVENTS=100000 benches/keys.sh    # smaller
#   SHAPES="domains" benches/keys.sh
set -eu
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-target/keys-bench}
EVENTS=${EVENTS:-1000000}
SHAPES=${SHAPES:-recipients domains senders unclassified}
BIN=${BIN:-target/release/bounce-report}
mkdir -p "$BENCH_DIR"
[ -n "${NO_BUILD:-}" ] || cargo build --release --locked >&2
for shape in $SHAPES; do
    log="$BENCH_DIR/keys-$shape-$EVENTS.log"
    [ -s "$log" ] || benches/gen-keys.py --shape "$shape" --events "$EVENTS" >"$log"
    size=$(wc -c <"$log")
    for cmd in report suppress; do
        if [ "$cmd" = report ]; then set -- -f json "$log"; else set -- suppress "$log"; fi
        /usr/bin/time -o "$BENCH_DIR/keys.time" -f "%e %M" "$BIN" "$@" >/dev/null 2>&1 || true
        t=$(tail -1 "$BENCH_DIR/keys.time")
        secs=${t% *}
        kib=${t#* }
        printf '%-13s %-9s %7s s %7.1f MiB %6.1f MB/s\n' "$shape" "$cmd" "$secs" \
            "$(echo "$kib / 1024" | bc -l)" "$(echo "$size / 1000000 / $secs" | bc -l)"
    done
done
