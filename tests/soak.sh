#!/usr/bin/env bash
# Load soak of the altdemo stack (see tests/reliability_soak.rs and
# RELIABILITY.md): 64 keep-alive connections on loopback for 60 s.
#
#   tests/soak.sh            # 60 s, 10 s warm-up
#   tests/soak.sh 120 20     # 120 s, 20 s warm-up
#
# Builds the soak test in release (the stack's real speed), runs it once
# and prints the figures; exits non-zero if a check fails (an unexpected
# status, a transport error, RSS growth of 10 % or more after warm-up, the
# memory store past its cap).
set -euo pipefail
cd "$(dirname "$0")/.."
export PASTRY_SOAK_SECONDS="${1:-60}"
export PASTRY_SOAK_WARMUP_SECONDS="${2:-10}"
exec cargo test --release --test reliability_soak -- --ignored --nocapture --test-threads=1
