#!/usr/bin/env bash
# Whole-program comparison, run by hand (not in CI):
#   benches/compare.sh [SIZE]        SIZE as gen-maillog takes it, default 1G
# Generates a plain and a gzip log with ../shared/tools/gen-maillog outside the
# repository ($BENCH_DIR, default /tmp/bounce-report-bench; reused when present),
# then times, side by side in one hyperfine run per input:
#   bounce-report (2 threads, 1 thread), LC_ALL=C grep -c status=, rg -c status=,
#   gzip -dc, pigz -dc, and pflogsumm (once: it is slow); every output goes
# through a pipe (GNU grep stops at the first match when it writes to /dev/null),
# prints each tool's count beside its time (a fast wrong answer shows), the
# throughput ratios, and peak RSS from /usr/bin/time -v.
# Needs: hyperfine, pigz, pflogsumm (Debian packages), python3; rg if installed.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
dir=${BENCH_DIR:-/tmp/bounce-report-bench}
gen=../shared/tools/gen-maillog
mkdir -p "$dir"
plain=$dir/maillog-$size
gz=$dir/maillog-$size.gz
[ -s "$plain" ] || python3 "$gen" --size "$size" --seed 11 -o "$plain"
[ -s "$gz" ] || gzip -6 -c "$plain" > "$gz"
cargo build --release --quiet
br=target/release/bounce-report
bytes=$(stat -L -c %s "$plain")
cat "$plain" "$gz" > /dev/null # into the page cache

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# input: $plain ($bytes bytes), $gz ($(stat -L -c %s "$gz") bytes)"
echo
echo "## counts (a fast wrong answer shows here)"
printf '%-28s %s\n' "bounce-report events" "$($br -f json "$plain" | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(" ".join(f"{k}={t[k]}" for k in ("sent","bounced","deferred","expired","lines")))')"
printf '%-28s %s\n' "bounce-report gzip events" "$($br -f json "$gz" | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(" ".join(f"{k}={t[k]}" for k in ("sent","bounced","deferred","expired","lines")))')"
printf '%-28s %s\n' "grep -c status=" "$(LC_ALL=C grep -c status= "$plain")"
command -v rg >/dev/null && printf '%-28s %s\n' "rg -c status=" "$(rg -c status= "$plain")"
printf '%-28s %s\n' "wc -l (pigz -dc)" "$(pigz -dc "$gz" | wc -l)"
echo
echo "## plain text"
extra=()
command -v rg >/dev/null && extra+=("rg -c status= $plain")
hyperfine --output=pipe --warmup 1 --runs 5 --export-markdown "$dir/plain.md" \
    "$br -f json $plain" \
    "$br -f json --threads 1 $plain" \
    "LC_ALL=C grep -c status= $plain" \
    "${extra[@]}" 2>&1 | grep -v '^ *$'
echo
echo "## gzip"
hyperfine --output=pipe --warmup 1 --runs 5 --export-markdown "$dir/gzip.md" \
    "$br -f json $gz" \
    "gzip -dc $gz" \
    "pigz -dc $gz" 2>&1 | grep -v '^ *$'
echo
echo "## pflogsumm (one run)"
start=$(date +%s.%N)
pflogsumm "$plain" 2>/dev/null | grep -E '^ *[0-9]+k? +(delivered|bounced|deferred)' | head -3
end=$(date +%s.%N)
pf=$(python3 -c "print(round($end - $start, 2))")
mine=$( { /usr/bin/time -f %e "$br" -f json "$plain" > /dev/null; } 2>&1 )
echo "pflogsumm: ${pf} s; bounce-report: ${mine} s; ratio $(python3 -c "print(round($pf / $mine, 1))")x"
echo
echo "## peak RSS"
for f in "$plain" "$gz"; do
    /usr/bin/time -v "$br" -f json "$f" 2>&1 >/dev/null | awk -v f="$(basename "$f")" '/Maximum resident/ {printf "bounce-report %s: %.1f MiB\n", f, $6/1024}'
done
