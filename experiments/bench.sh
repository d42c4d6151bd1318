#!/usr/bin/env bash
# Benchmark of the paper experiment (`make bench-experiment`): runs it without
# figures on all cores and on one thread, and prints runs per second and the
# cost of one run. Usage: experiments/bench.sh PATH/TO/synergai [CONFIG]
set -euo pipefail
program=${1:?usage: experiments/bench.sh PATH/TO/synergai [CONFIG]}
config=${2:-experiments/paper.yaml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
echo "machine: $(nproc) cores${model:+, $model}, $(uname -sr)"
for threads in "$(nproc)" 1; do
  start=$(date +%s.%N)
  "$program" --log-level info experiment --config "$config" --no-figures --threads "$threads" \
    --out "$tmp/t$threads" 2>"$tmp/log$threads" >/dev/null || { cat "$tmp/log$threads" >&2; exit 1; }
  end=$(date +%s.%N)
  line=$(grep -o '[0-9]* runs in .*' "$tmp/log$threads" | tail -1)
  printf 'threads %-3s %s; whole command %.2f s\n' "$threads" "$line" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
done
