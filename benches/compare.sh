#!/usr/bin/env bash
# Whole-program comparison, run by hand (not in CI):
#   benches/compare.sh [SIZE]        SIZE as gen-maillog takes it, default 1G
#   LINEAR_SIZES="100M 1G 5G" benches/compare.sh   also the linearity runs
# Generates the inputs with ../shared/tools/gen-maillog outside the repository
# ($BENCH_DIR, default /tmp/bounce-report-bench; reused when present): a plain
# log, its gzip, and the same log as a rotated set of four .gz files. Then it
# times, side by side in one hyperfine run per input:
#   bounce-report (2 threads, 1 thread), LC_ALL=C grep -c status=, rg -c status=,
#   gzip -dc, pigz -dc, and pflogsumm (once: it is slow), and the floor bench
#   (cargo bench --bench pipeline -- floor on the same log); every output goes
# through a pipe (GNU grep stops at the first match when it writes to /dev/null),
# prints each tool's count beside its time (a fast wrong answer shows), peak RSS
# and CPU use from /usr/bin/time -v, and the issue's targets with their ratios.
# Needs: hyperfine, pigz, pflogsumm (Debian packages), python3; rg if installed.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
dir=${BENCH_DIR:-/tmp/bounce-report-bench}
gen=../shared/tools/gen-maillog
mkdir -p "$dir"

# The log of a size, generated once.
log_of() {
    local f=$dir/maillog-$1
    [ -s "$f" ] || python3 "$gen" --size "$1" --seed 11 -o "$f"
    echo "$f"
}

plain=$(log_of "$size")
gz=$plain.gz
[ -s "$gz" ] || gzip -6 -c "$plain" > "$gz"
rotated=$dir/rotated-$size
if [ ! -s "$rotated/maillog.1.gz" ]; then
    # Four files by lines, oldest the highest number, as logrotate names them.
    mkdir -p "$rotated"
    split -n l/4 -d -a 1 "$plain" "$rotated/part."
    for i in 0 1 2 3; do gzip -6 -c "$rotated/part.$i" > "$rotated/maillog.$((4 - i)).gz"; rm "$rotated/part.$i"; done
fi
cargo build --profile release-lto --locked --quiet
br=target/release-lto/bounce-report
bytes=$(stat -L -c %s "$plain")
cat "$plain" "$gz" "$rotated"/* > /dev/null # into the page cache

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# input: $plain ($bytes bytes), $gz ($(stat -L -c %s "$gz") bytes), $rotated/ (4 .gz files)"
echo
echo "## counts (a fast wrong answer shows here)"
totals='import json,sys; t=json.load(sys.stdin)["totals"]; print(" ".join(f"{k}={t[k]}" for k in ("sent","bounced","deferred","expired","lines")))'
printf '%-28s %s\n' "bounce-report" "$($br -f json "$plain" | python3 -c "$totals")"
printf '%-28s %s\n' "bounce-report .gz" "$($br -f json "$gz" | python3 -c "$totals")"
printf '%-28s %s\n' "bounce-report rotated .gz" "$($br -f json "$rotated" | python3 -c "$totals")"
printf '%-28s %s\n' "grep -c status=" "$(LC_ALL=C grep -c status= "$plain")"
command -v rg >/dev/null && printf '%-28s %s\n' "rg -c status=" "$(rg -c status= "$plain")"
printf '%-28s %s\n' "wc -l (pigz -dc)" "$(pigz -dc "$gz" | wc -l)"
echo
echo "## plain text"
extra=()
command -v rg >/dev/null && extra+=("rg -c status= $plain")
hyperfine --output=pipe --warmup 1 --runs 5 --export-json "$dir/plain.json" \
    "$br -f json $plain" \
    "$br -f json --threads 1 $plain" \
    "LC_ALL=C grep -c status= $plain" \
    "${extra[@]}" 2>&1 | grep -v '^ *$'
echo
echo "## gzip: one file, and the rotated set"
hyperfine --output=pipe --warmup 1 --runs 5 --export-json "$dir/gzip.json" \
    "$br -f json $gz" \
    "gzip -dc $gz" \
    "pigz -dc $gz" \
    "$br -f json $rotated" \
    "pigz -dc $rotated/maillog.4.gz $rotated/maillog.3.gz $rotated/maillog.2.gz $rotated/maillog.1.gz" 2>&1 | grep -v '^ *$'
echo
echo "## pflogsumm (one run)"
start=$(date +%s.%N)
pflogsumm "$plain" 2>/dev/null | grep -E '^ *[0-9]+k? +(delivered|bounced|deferred)' | head -3
end=$(date +%s.%N)
pf=$(python3 -c "print(round($end - $start, 2))")
echo "pflogsumm: ${pf} s"
echo
echo "## peak RSS and CPU use (/usr/bin/time -v)"
: > "$dir/usage.txt"
usage() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -v what="${*: -1}" '
        /User time/ {u=$4} /System time/ {s=$4} /Elapsed/ {split($8, t, ":"); e=t[1]*60+t[2]}
        /Maximum resident/ {m=$6}
        END {printf "%-40s %6.1f MiB  %5.2f s  %.2f cores busy\n", what, m/1024, e, (u+s)/e}' | tee -a "$dir/usage.txt"
}
usage "$br" -f json "$plain"
usage "$br" -f json "$gz"
usage "$br" -f json "$rotated"
# Three runs of each size: single runs move with the host by more than the
# linearity they are to show; the targets take the fastest.
for s in ${LINEAR_SIZES:-}; do
    f=$(log_of "$s")
    cat "$f" > /dev/null
    for _ in 1 2 3; do usage "$br" -f json "$f"; done
done
echo
echo "## the floor: finding the lines worth parsing and counting every line (criterion, one core, the log in memory)"
BENCH_LOG=$plain cargo bench --quiet --bench pipeline -- 'floor/candidate lines found, lines counted$' 2>&1 |
    grep -E '^floor/|time:' | head -2
floor=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mean"]["point_estimate"] / 1e9)' \
    "target/criterion/floor/candidate lines found, lines counted/new/estimates.json")
echo
echo "## targets (issue 4)"
lines=$(LC_ALL=C wc -l < "$plain")
python3 - "$dir" "$pf" "$bytes" "$lines" "$floor" <<'EOF'
import json, os, sys
d, pf, size, lines = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
floor = float(sys.argv[5])
runs = json.load(open(f"{d}/plain.json"))["results"]
plain = {r["command"]: r["mean"] for r in runs}
cpu = {r["command"]: r["user"] + r["system"] for r in runs}
sys_cpu = {r["command"]: r["system"] for r in runs}
gz = {r["command"]: r["mean"] for r in json.load(open(f"{d}/gzip.json"))["results"]}
# usage.txt: path, MiB, "MiB", seconds, "s", cores, ...; by file name, the
# largest peak RSS and the fastest run of each (the linearity runs repeat).
rss, fastest, paths = {}, {}, {}
for line in open(f"{d}/usage.txt"):
    path, mib, secs = line.split()[0], float(line.split()[1]), float(line.split()[3])
    name = path.rsplit("/", 1)[-1]
    rss[name] = max(mib, rss.get(name, 0))
    fastest[name] = min(secs, fastest.get(name, secs))
    paths[name] = path
def find(table, *words):
    """The command with all the words, --threads 1 only when asked for."""
    return next((v for k, v in table.items()
                 if all(w in k for w in words)
                 and ("--threads 1" in k) == ("--threads 1" in words)), None)
two = find(plain, "bounce-report -f json")
one = find(plain, "bounce-report", "--threads 1")
grep = find(plain, "grep -c")
br_gz = next(v for k, v in gz.items() if "bounce-report" in k and k.endswith(".gz"))
pigz = next(v for k, v in gz.items() if k.startswith("pigz") and k.count(".gz") == 1)
rows = [
    ("plain: at least as fast as grep -c status=", f"{two:.3f} s vs {grep:.3f} s: {grep / two:.2f}x grep's speed", two <= grep),
    ("plain: at least 60x pflogsumm", f"{pf:.1f} s vs {two:.3f} s: {pf / two:.1f}x", pf / two >= 60),
    ("2 threads at least 1.8x 1 thread", f"{one:.3f} s vs {two:.3f} s: {one / two:.2f}x", one / two >= 1.8),
    ("one .gz at least as fast as pigz -dc", f"{br_gz:.3f} s vs {pigz:.3f} s: {pigz / br_gz:.2f}x pigz's speed", br_gz <= pigz),
]
print(f"throughput, plain, 2 threads: {size / two / 1e9:.2f} GB/s")
big = {k: v for k, v in rss.items() if k.startswith("maillog-") and not k.endswith(".gz")}
for name, mib in sorted(big.items(), key=lambda kv: kv[1]):
    rows.append((f"peak RSS at most 100 MiB ({name[8:]})", f"{mib:.1f} MiB", mib <= 100))
# Linear cost: seconds per GB of the plain logs of each size (the fastest
# run of each), the same within the host's noise (a quarter either way).
per_gb = {}
for name in big:
    n = os.stat(paths[name]).st_size
    per_gb[name[8:]] = (n, fastest[name] / (n / 1e9))
if len(per_gb) > 1:
    spread = max(v for _, v in per_gb.values()) / min(v for _, v in per_gb.values())
    figures = ", ".join(f"{v:.2f} s/GB at {k}" for k, (_, v) in sorted(per_gb.items(), key=lambda kv: kv[1][0]))
    rows.append(("cost linear in the input (within 1.25x)", f"{figures}: {spread:.2f}x", spread <= 1.25))
for what, figures, met in rows:
    print(f"{'met    ' if met else 'NOT MET'}  {what:44} {figures}")
# What limits the plain run: CPU per line, all cores busy.
c2 = find(cpu, "bounce-report -f json")
c1 = find(cpu, "bounce-report", "--threads 1")
cg = find(cpu, "grep -c")
print()
s2, sg = find(sys_cpu, "bounce-report -f json"), find(sys_cpu, "grep -c")
print(f"limit (plain): CPU. bounce-report spends {c2:.2f} core-s ({c2 / lines * 1e9:.0f} ns a line; "
      f"{s2:.2f} of them in the kernel, mostly copying the file into the read buffers) and keeps "
      f"{c2 / two:.2f} of {os.cpu_count()} cores busy; grep -c spends {cg:.2f} core-s "
      f"({cg / lines * 1e9:.0f} ns a line; {sg:.2f} in the kernel). As fast as grep at this share of the "
      f"cores needs {grep * c2 / two:.2f} core-s, {grep / two:.2f}x what it spends; 60x pflogsumm "
      f"needs {pf / 60:.3f} s, {pf / 60 * c2 / two:.2f} core-s.")
# Why: what is spent before a line is parsed, and what each target leaves
# for the analysis proper (parse, classify, correlate, count).
before = s2 + floor
now = c2 - before
def left(budget):
    room = budget * c2 / two - before
    return (f"leaves {room:.2f} core-s for it, {now / room:.2f}x too little" if room > 0
            else "leaves nothing for it")
print(f"why: before a line is parsed, the kernel's copy ({s2:.2f} core-s) and finding the lines worth "
      f"parsing and counting every line ({floor:.2f} s on one core, the floor bench) take {before:.2f} "
      f"core-s; the analysis proper takes {now:.2f}. grep's time {left(grep)}; 60x pflogsumm {left(pf / 60)}.")
# Two threads against one: the cores each keeps busy, and the CPU each spends
# (the threaded run's workers reading their spans, its resolver and
# hand-offs, against one thread's reading and analysing in turn).
print(f"threads: 1 thread keeps {c1 / one:.2f} cores busy and spends {c1:.2f} core-s; 2 threads keep "
      f"{c2 / two:.2f} busy and spend {c2:.2f} core-s, {c2 / c1:.2f}x as much: "
      f"{c2 / two:.2f} / {c1 / one:.2f} / {c2 / c1:.2f} = {one / two:.2f}x as fast.")
EOF
# What the memory holds: the state at the end of the largest input.
biggest=$plain
for s in ${LINEAR_SIZES:-}; do
    f=$(log_of "$s")
    [ "$(stat -L -c %s "$f")" -gt "$(stat -L -c %s "$biggest")" ] && biggest=$f
done
echo "limit (memory): $(basename "$biggest") holds at its end $("$br" -f json --stats "$biggest" 2>&1 >/dev/null | sed 's/^bounce-report: held at the end: //')."
