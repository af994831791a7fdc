#!/usr/bin/env bash
# Over-HTTP rounds with the contestants interleaved: each round serves every
# contestant once, starting one further along each round, so a machine that
# slows down or speeds up mid-run weighs on all of them alike. Prints each
# contestant's median, lowest and highest requests/s and median p99, and the
# ratio of each median to the first contestant's.
#
#   benches/interleave.sh                       # pastry vs peer, memory store
#   STORE=sqlite ROUNDS=7 DURATION=5 benches/interleave.sh
#   benches/interleave.sh pastry=benches/target/release/stack-server:pastry \
#       before=/tmp/old/benches/target/release/stack-server:pastry
#
# A contestant is LABEL=STACK_SERVER_BINARY:STACK (STACK is pastry or peer),
# so a stack-server built from another commit can run beside today's.
# Bounds as run.sh: DURATION 1..=60 s, ROUNDS 1..=20, loopback only.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/target/release"
duration="${DURATION:-5}"
rounds="${ROUNDS:-5}"
store="${STORE:-memory}"
threads="${SERVER_THREADS:-1}"
connections=64
# shellcheck source=serve.sh
source "$here/serve.sh"
require_within interleave.sh "DURATION (seconds)" "$duration" 1 60
require_within interleave.sh ROUNDS "$rounds" 1 20
if [[ "$store" != memory && "$store" != sqlite ]]; then
    echo "interleave.sh: STORE must be memory or sqlite" >&2
    exit 2
fi
contestants=("$@")
if ((${#contestants[@]} == 0)); then
    contestants=("pastry=$bin/stack-server:pastry" "peer=$bin/stack-server:peer")
fi
for c in "${contestants[@]}"; do
    if ! [[ "$c" =~ ^[A-Za-z0-9_.-]+=.+:(pastry|peer)$ ]]; then
        echo "interleave.sh: '$c' is not LABEL=BINARY:pastry or LABEL=BINARY:peer" >&2
        exit 2
    fi
    binary="${c#*=}"
    binary="${binary%:*}"
    [[ -x "$binary" ]] || { echo "interleave.sh: $binary is not an executable" >&2; exit 2; }
done

cargo build --quiet --manifest-path "$here/Cargo.toml" --profile bench --bin loadgen

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/rounds.jsonl"
count=${#contestants[@]}
for ((round = 0; round < rounds; round++)); do
    for ((i = 0; i < count; i++)); do
        c="${contestants[$(((round + i) % count))]}"
        label="${c%%=*}"
        rest="${c#*=}"
        start_server "${rest%:*}" "${rest##*:}" "$store" "$threads"
        result="$("$bin/loadgen" --addr "$server_addr" --login /app9/login --path /app9/page \
            --connections "$connections" --seconds "$duration" --max-requests 5000000)"
        stop_server
        echo "round $((round + 1)) $label: $result" >&2
        echo "{\"round\":$round,\"label\":\"$label\",\"load\":$result}" >>"$results"
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

labels="$(printf '%s\n' "${contestants[@]}" | cut -d= -f1)"
python3 - "$results" "$store" "$rounds" "$duration" "$load_before" "$load_after" $labels <<'PY'
import json, statistics, sys
path, store, rounds, duration, before, after, *labels = sys.argv[1:]
runs = {label: [] for label in labels}
for line in open(path):
    r = json.loads(line)
    load = r["load"]
    if load["errors"] or load["not_ok"] or load["not_gzip"]:
        sys.exit(f"interleave.sh: {r['label']} round {r['round'] + 1} had failures: {load}")
    runs[r["label"]].append(load)
first = statistics.median(l["rps"] for l in runs[labels[0]])
print(f"{store} store, {rounds} rounds of {duration} s, load average {before} before, {after} after")
print()
print(f"| contestant | median req/s | lowest | highest | median p99 µs | median / {labels[0]} |")
print("|---|---:|---:|---:|---:|---:|")
for label in labels:
    rps = [l["rps"] for l in runs[label]]
    p99 = statistics.median(l["p99_us"] for l in runs[label])
    median = statistics.median(rps)
    print(f"| {label} | {median:,.0f} | {min(rps):,.0f} | {max(rps):,.0f} | {p99:,.0f} | {median / first:.2f} |")
PY
