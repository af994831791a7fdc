#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), two at a time,
# niced, with debug assertions (overflow checks) on. Stable toolchain:
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags.
#
#   cargo install cargo-fuzz
#   fuzz/run.sh            # 10 minutes per target
#   fuzz/run.sh 60         # a quick pass
#
# Logs go to fuzz/logs/<target>.log; the last `#N DONE` / stat lines give
# the executions; a crash leaves its input in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
targets=(accept_encoding session_cookie basic_auth normalise_path file_record gzip_request)
export RUSTC_BOOTSTRAP=1
nice -n 19 cargo fuzz build -O -a
mkdir -p logs
run() {
    local target="$1"
    mkdir -p "corpus/$target"
    nice -n 19 cargo fuzz run -O -a "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        >"logs/$target.log" 2>&1 || echo "$target: FAILED (see fuzz/logs/$target.log)"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & fi
    wait
done
for target in "${targets[@]}"; do
    printf '%s: ' "$target"
    grep -E '^stat::number_of_executed_units' "logs/$target.log" | awk '{print $2 " executions"}' || echo "no stats"
done
