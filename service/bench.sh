#!/usr/bin/env bash
# Benchmark of the service (`make bench-service`): starts `synergai serve` on
# loopback with the simulated executor and the journal on (every submission
# answered after its fsync), then loads it with `synergai bench-service` at
# increasing concurrency and prints accepted submissions per second and
# latency per level, and each level against the disk's own write+fsync rate,
# measured in the journal's folder before each level and after the last.
# Jobs are short (few queries, the executor 10000x faster than modelled) so
# the queue drains and the scheduler's backlog does not weigh on the figures. The journal goes to a fresh folder inside
# JOURNAL_DIR (default: build/), so its filesystem is the one measured; give
# /dev/shm to see the service without fsync cost.
# Usage: service/bench.sh PATH/TO/synergai [JOURNAL_DIR [CONCURRENCY]]
set -euo pipefail
program=${1:?usage: service/bench.sh PATH/TO/synergai [JOURNAL_DIR [CONCURRENCY]]}
journal_dir=${2:-build}
concurrency=${3:-1,2,4,8,16,32}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$journal_dir"
tmp=$(mktemp -d "$journal_dir/bench-service.XXXXXX")
tmp=$(cd "$tmp" && pwd)
server=
cleanup() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/service.yaml" <<EOF
service: bench
listen: 127.0.0.1:0
policy: synergai
tick_s: 1
testbed: $root/config/testbeds/thesis.yaml
dictionary: $root/config/dictionaries/thesis.json
executor:
  kind: simulated
  simulated:
    speedup: 10000
journal:
  path: $tmp/journal.jsonl
limits:
  http_threads: ${HTTP_THREADS:-4}
EOF

model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
echo "machine: $(nproc) cores${model:+, $model}, $(uname -sr)"
echo "service: simulated executor (speed-up 10000), policy synergai, thesis testbed"
echo "journal: on, $tmp/journal.jsonl ($(stat -f -c %T "$tmp") filesystem); each submission answered after the fsync of its line (every line pending shares one)"

"$program" --log-level info serve --config "$tmp/service.yaml" 2>"$tmp/serve.log" &
server=$!
# The port is chosen by the kernel; the service logs it once listening.
port=
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening address=http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/serve.log" | head -1)
  [[ -n $port ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "the service did not report its port:" >&2; cat "$tmp/serve.log" >&2; exit 1; }

"$program" bench-service --server "http://127.0.0.1:$port" --concurrency "$concurrency" --disk "$tmp"

kill -TERM "$server"
wait "$server" || { echo "the service did not stop cleanly:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
server=
