#!/bin/sh
# Peak RSS and time at many distinct keys (issue 21, "bounded by design"):
# generates one log per shape with benches/gen-keys.py (1M events each by
# default) into $BENCH_DIR, then runs the release binary on each, the report
# (-f json) and `suppress`, printing `/usr/bin/time -f "%e s %M KiB"`.
#
#   benches/keys.sh                  # all four shapes, 1M events each
#   EVENTS=100000 benches/keys.sh    # smaller
#   SHAPES="domains" benches/keys.sh
#   SHAPES="realistic realistic-domains" benches/keys.sh
#
# The last two are a realistic log (../shared/tools/gen-maillog, $REAL_SIZE,
# default 1G: about 1.08M recipients) and the same log with every recipient
# moved to a domain of its own (benches/spread-domains.py): the same bytes,
# lines and outcomes, only the number of distinct domains differs, so their
# MB/s side by side is the cost of a million domains on a realistic log.
# The four gen-keys shapes are all failures (every line is work), a far
# heavier log per byte than a realistic one.
set -eu
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-target/keys-bench}
EVENTS=${EVENTS:-1000000}
REAL_SIZE=${REAL_SIZE:-1G}
SHAPES=${SHAPES:-recipients domains senders unclassified}
BIN=${BIN:-target/release/bounce-report}
mkdir -p "$BENCH_DIR"
[ -n "${NO_BUILD:-}" ] || cargo build --release --locked >&2
for shape in $SHAPES; do
    case $shape in
    realistic | realistic-domains)
        real="$BENCH_DIR/realistic-$REAL_SIZE.log"
        [ -s "$real" ] || ../shared/tools/gen-maillog --size "$REAL_SIZE" --seed 7 -o "$real"
        log=$real
        if [ "$shape" = realistic-domains ]; then
            log="$BENCH_DIR/realistic-domains-$REAL_SIZE.log"
            [ -s "$log" ] || benches/spread-domains.py <"$real" >"$log"
        fi
        ;;
    *)
        log="$BENCH_DIR/keys-$shape-$EVENTS.log"
        [ -s "$log" ] || benches/gen-keys.py --shape "$shape" --events "$EVENTS" >"$log"
        ;;
    esac
    size=$(wc -c <"$log")
    for cmd in report suppress; do
        if [ "$cmd" = report ]; then set -- -f json "$log"; else set -- suppress "$log"; fi
        /usr/bin/time -o "$BENCH_DIR/keys.time" -f "%e %M" "$BIN" "$@" >/dev/null 2>&1 || true
        t=$(tail -1 "$BENCH_DIR/keys.time")
        secs=${t% *}
        kib=${t#* }
        printf '%-17s %-9s %7s s %7.1f MiB %6.1f MB/s\n' "$shape" "$cmd" "$secs" \
            "$(echo "$kib / 1024" | bc -l)" "$(echo "$size / 1000000 / $secs" | bc -l)"
    done
done
