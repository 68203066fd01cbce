#!/bin/sh
# Runs every fuzz target for SECONDS (default 600), one after another, on
# one core each (-jobs=1 -workers=1), and reports what each found.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz and a nightly toolchain. Seeds the corpora first
# (fuzz/seed.py). Built optimised with debug assertions on (-O -a), so an
# arithmetic overflow is a crash as in `cargo test`. One libFuzzer process
# per target, in the foreground: one core (libFuzzer's -jobs/-workers
# default to that; -jobs=1 would only move its output into fuzz-0.log).
# Crashes are left in fuzz/artifacts/TARGET/; each run's log is
# $FUZZ_LOGS/TARGET.log (default fuzz/logs; neither is committed). Exit
# status 1 when a target crashed.
set -u
cd "$(dirname "$0")" || exit 2
SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
TARGETS=${*:-parse_line classify journal pipeline}

# -max_len: a line target gets one long line (lines are cut at 1 MiB, but
# nothing in a line's parsing depends on length past a few KiB); the
# pipeline gets several chunks' worth (it runs with 4 KiB chunks).
max_len() {
    case $1 in
        parse_line) echo 4096 ;;
        classify) echo 2048 ;;
        journal) echo 8192 ;;
        pipeline) echo 65536 ;;
        *) echo 4096 ;;
    esac
}

python3 ./seed.py || exit 2
cargo +nightly fuzz build -O -a || exit 2
# As `cargo fuzz run` sets it: Rust's statics trip ASan's ODR check.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
export ASAN_OPTIONS
TRIPLE=$(rustc +nightly -vV | sed -n 's/^host: //p')
LOGS=${FUZZ_LOGS:-logs}
mkdir -p "$LOGS"
status=0
printf '%-11s %8s %12s %8s %s\n' target seconds execs crashes artifacts
for t in $TARGETS; do
    mkdir -p "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    start=$(date +%s)
    # The binary built above, run directly: as `cargo fuzz run` runs it,
    # without rebuilding between targets (a source edited meanwhile would
    # hold the next target up for a build).
    "target/$TRIPLE/release/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" \
        -print_final_stats=1 "corpus/$t" >"$LOGS/$t.log" 2>&1
    end=$(date +%s)
    after=$(ls "artifacts/$t" | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log" | tail -n 1)
    crashes=$((after - before))
    [ "$crashes" -gt 0 ] && status=1
    printf '%-11s %8s %12s %8s %s\n' "$t" "$((end - start))" "${execs:-?}" "$crashes" \
        "$(ls "artifacts/$t" | tr '\n' ' ')"
done
exit $status
