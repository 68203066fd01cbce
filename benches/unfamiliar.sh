#!/usr/bin/env bash
# Unfamiliar replies against familiar ones, run by hand (not in CI):
#   benches/unfamiliar.sh [SIZE]              SIZE as gen-maillog takes it, default 200M
#   BASE=/path/to/old/bounce-report benches/unfamiliar.sh   an earlier build beside this one
# Generates two logs of the same size with the same seed outside the
# repository ($BENCH_DIR, default /tmp/bounce-report-bench; reused when
# present): one with gen-maillog's own replies (which the catalogue knows),
# one whose every failure reply comes from benches/unfamiliar-replies.tsv
# (29 templates no rule knows, all of cause undefined, with the generator's
# variable parts). Then times both, with each binary, side by side in one
# hyperfine run (-N, 1 warm-up, 5 runs, output through a pipe), and prints
# the unfamiliar / familiar ratio per binary. The target: at most 1.2.
# Needs: hyperfine, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200M}
dir=${BENCH_DIR:-/tmp/bounce-report-bench}
gen=../shared/tools/gen-maillog
mkdir -p "$dir"
familiar=$dir/familiar-$size
unfamiliar=$dir/unfamiliar-$size
[ -s "$familiar" ] || python3 "$gen" --size "$size" --seed 7 -o "$familiar"
[ -s "$unfamiliar" ] || python3 "$gen" --size "$size" --seed 7 --replies benches/unfamiliar-replies.tsv -o "$unfamiliar"
cargo build --profile release-lto --locked --quiet
bins=(target/release-lto/bounce-report)
[ -n "${BASE:-}" ] && bins+=("$BASE")
cat "$familiar" "$unfamiliar" > /dev/null # into the page cache

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# input: $familiar ($(stat -L -c %s "$familiar") bytes), $unfamiliar ($(stat -L -c %s "$unfamiliar") bytes)"
echo
echo "## failures and undefined ones (the same failures, other replies)"
counts='import json,sys; r=json.load(sys.stdin); t=r["totals"]; u=sum(g["events"] for g in r["unclassified"]); print("failures", t["bounced"]+t["deferred"]+t["expired"], "undefined", u, "groups", len(r["unclassified"]))'
printf '%-12s %s\n' familiar "$(${bins[0]} -f json "$familiar" | python3 -c "$counts")"
printf '%-12s %s\n' unfamiliar "$(${bins[0]} -f json "$unfamiliar" | python3 -c "$counts")"
echo
commands=()
for b in "${bins[@]}"; do
    commands+=("$b -f json $familiar" "$b -f json $unfamiliar")
done
hyperfine -N -w 1 -r 5 --output=pipe --export-json "$dir/unfamiliar.json" "${commands[@]}" 2>&1 | grep -v '^ *$'
echo
echo "## unfamiliar / familiar (target: at most 1.2)"
python3 - "$dir/unfamiliar.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for fam, unf in zip(r[::2], r[1::2]):
    ratio = unf["mean"] / fam["mean"]
    print(f"{fam['command'].split()[0]}: {fam['mean']:.3f} s familiar, {unf['mean']:.3f} s unfamiliar: "
          f"{ratio:.2f}x{' (met)' if ratio <= 1.2 else ''}")
PY
