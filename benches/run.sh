#!/usr/bin/env bash
# Runs the whole-stack benches and writes benches/target/results.md:
#   1. criterion, in process, one thread: pastry vs peer, memory and SQLite;
#   2. bytes, allocations and CPU time per request (stack-alloc, counting
#      allocator, /proc/self/stat);
#   3. over HTTP on 127.0.0.1: each stack served by stack-server (one worker
#      thread), driven by loadgen (64 keep-alive connections, one thread) for
#      DURATION seconds; rps, p50/p99, peak RSS (VmHWM) of the server.
# Loopback only; bounded: DURATION is 1..=60 s (default 10), loadgen stops
# at 5,000,000 requests, each server gets 10 s to start and 10 s to stop.
#
#   benches/run.sh                 # everything
#   DURATION=5 benches/run.sh      # shorter HTTP runs
#   SKIP_CRITERION=1 benches/run.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/Cargo.toml"
target="$here/target"
bin="$target/release"
out="$target/results.md"
duration="${DURATION:-10}"
connections=64
threads="${SERVER_THREADS:-1}"
# shellcheck source=serve.sh
source "$here/serve.sh"
require_within run.sh "DURATION (seconds)" "$duration" 1 60
mkdir -p "$target"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"

echo "== build"
cargo build --manifest-path "$manifest" --profile bench \
    --bin stack-server --bin loadgen --bin stack-alloc

if [[ -z "${SKIP_CRITERION:-}" ]]; then
    echo "== criterion: whole stack in process (1 thread)"
    cargo bench --manifest-path "$manifest" --bench stack -- \
        --warm-up-time 1 --measurement-time 3 --noplot
fi

echo "== bytes allocated per request"
"$bin/stack-alloc" --requests 5000 --out "$work/alloc.json"
cp "$work/alloc.json" "$target/alloc.json"

: >"$work/http.jsonl"
for store in memory sqlite; do
    for stack in pastry peer; do
        echo "== over HTTP: $stack, $store store, $connections connections, ${duration}s"
        start_server "$bin/stack-server" "$stack" "$store" "$threads"
        result="$("$bin/loadgen" --addr "$server_addr" --login /app9/login --path /app9/page \
            --connections "$connections" --seconds "$duration" --max-requests 5000000)"
        hwm="$(server_peak_rss_kib)"
        stop_server
        echo "$result"
        echo "{\"stack\":\"$stack\",\"store\":\"$store\",\"hwm_kib\":$hwm,\"load\":$result}" >>"$work/http.jsonl"
    done
done
cp "$work/http.jsonl" "$target/http.jsonl"

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$target" "$started" "$load_before" "$load_after" "$duration" "$connections" "$threads" >"$out" <<'PY'
import json, os, sys
target, started, load_before, load_after, duration, conns, threads = sys.argv[1:]

def crit(store, stack):
    path = os.path.join(target, "criterion", f"stack_{store}", stack, "new", "estimates.json")
    try:
        with open(path) as f:
            estimates = json.load(f)
    except OSError:
        return None
    # criterion's headline figure: the slope when it has one, else the mean.
    best = estimates.get("slope") or estimates["mean"]
    return 1e9 / best["point_estimate"]

alloc = {(r["stack"], r["store"]): r for r in json.load(open(os.path.join(target, "alloc.json")))["rows"]}
http = {}
for line in open(os.path.join(target, "http.jsonl")):
    r = json.loads(line)
    http[(r["stack"], r["store"])] = r

rows = []
def row(name, ours, peer, target, higher_is_better, unit=""):
    if ours is None or peer is None:
        rows.append(f"| {name} | – | – | – | {target} | not run |")
        return
    ratio = ours / peer if peer else float("inf")
    if target == "–":
        verdict = ""
    elif higher_is_better:
        verdict = "met" if ratio >= float(target.rstrip("x")) else "missed"
    else:
        verdict = "met" if ratio < 1 else "missed"
    fmt = lambda v: f"{v:,.0f}{unit}"
    rows.append(f"| {name} | {fmt(ours)} | {fmt(peer)} | {ratio:.2f} | {target} | {verdict} |")

for store, goal in (("memory", "1.5x"), ("sqlite", "2x")):
    row(f"in process, {store}: requests/s (1 thread)", crit(store, "pastry"), crit(store, "peer"), goal, True)
for store in ("memory", "sqlite"):
    o, p = alloc[("pastry", store)], alloc[("peer", store)]
    row(f"in process, {store}: bytes allocated/request", o["bytes_per_request"], p["bytes_per_request"], "< 1", False, " B")
    row(f"in process, {store}: allocations/request", o["allocs_per_request"], p["allocs_per_request"], "< 1", False)
    row(f"in process, {store}: CPU µs/request (all threads)", o["cpu_us_per_request"], p["cpu_us_per_request"], "–", False, " µs")
for store in ("memory", "sqlite"):
    o, p = http[("pastry", store)], http[("peer", store)]
    row(f"HTTP, {store}: requests/s", o["load"]["rps"], p["load"]["rps"], "1x", True)
    row(f"HTTP, {store}: p50 latency", o["load"]["p50_us"], p["load"]["p50_us"], "–", False, " µs")
    row(f"HTTP, {store}: p99 latency", o["load"]["p99_us"], p["load"]["p99_us"], "< 1", False, " µs")
    row(f"HTTP, {store}: server peak RSS", o["hwm_kib"], p["hwm_kib"], "–", False, " KiB")

print(f"# Whole-stack benches, {started}")
print()
print(f"Machine: {os.cpu_count()} cores, load average {load_before} before, {load_after} after (shared machine).")
print(f"HTTP: {conns} keep-alive connections, {duration} s each, server on {threads} worker thread(s), loadgen on 1 thread, 127.0.0.1.")
print()
print("| row | pastry | peer | ours/peer | target | |")
print("|---|---:|---:|---:|---|---|")
for r in rows:
    print(r)
print()
print("HTTP runs (errors, non-200, not gzipped):")
print()
for (stack, store), r in sorted(http.items()):
    l = r["load"]
    print(f"- {stack} {store}: {l['requests']} requests in {l['seconds']} s, errors {l['errors']}, non-200 {l['not_ok']}, not gzipped {l['not_gzip']}")
PY
echo "== results: $out"
cat "$out"
