#!/usr/bin/env python3
"""Pastry against its peers, per request, in two processes from one run.

Pastry's side is `icount` (benches/src/bin/icount.rs, in the bench
workspace); the peers' side is `peer-icount` (benches/peers, a workspace
of its own, so tower-http and tower-sessions are built with the features
their users get, at their latest versions). Both run the same scenarios
(benches/src/scenarios.rs) with the same requests and drivers.

Each scenario is run twice per side, with LOW and HIGH requests, and the
difference is divided by HIGH - LOW, so the setup (building the stack,
logging in, first-call allocations) cancels out:

- instructions: under `valgrind --tool=callgrind`; these do not move with
  the machine's load, so they show a regression on a shared machine too;
- time: natively, the median of ROUNDS runs per side, the two sides
  alternating so that a change in load hits both.

    benches/icount.py                  # every scenario
    benches/icount.py catch gzip-1k    # some
    ROUNDS=9 benches/icount.py

Needs valgrind. Builds both runners in release first. Prints the Markdown
table BENCHMARKS.md shows. An instruction is not a nanosecond (a cache
miss costs hundreds): read both columns.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
# (LOW, HIGH) requests: for callgrind, and for wall time (more, so that a
# run lasts long enough for the clock).
COUNTS = {
    "catch": ((50, 250), (200_000, 1_200_000)),
    "gzip-1k": ((50, 250), (2_000, 12_000)),
    "gzip-100k": ((20, 70), (100, 600)),
    "gzip-10m-stream": ((1, 3), (2, 8)),
    "br-1k": ((50, 250), (2_000, 12_000)),
    "br-100k": ((5, 25), (20, 120)),
    "zstd-1k": ((50, 250), (2_000, 12_000)),
    "zstd-100k": ((20, 70), (100, 600)),
    "stack-memory": ((50, 250), (2_000, 12_000)),
}


def build(manifest, binary):
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", binary,
         "--manifest-path", os.path.join(HERE, manifest)],
        check=True)
    target = os.environ.get(
        "CARGO_TARGET_DIR", os.path.join(HERE, os.path.dirname(manifest), "target"))
    return os.path.join(target, "release", binary)


def instructions(binary, scenario, n):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             binary, scenario, str(n)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            for line in f:
                match = re.match(r"(?:summary|totals):\s+(\d+)", line)
                if match:
                    return int(match.group(1))
    raise RuntimeError(f"no instruction total for {scenario}")


def nanos(binary, scenario, n):
    out = subprocess.run([binary, scenario, str(n)], check=True,
                         capture_output=True, text=True).stdout
    match = re.search(r"(\d+) ns$", out.strip())
    if not match:
        raise RuntimeError(f"no time from {binary} {scenario}: {out!r}")
    return int(match.group(1))


def instructions_per_request(binary, scenario):
    (low, high), _ = COUNTS[scenario]
    return (instructions(binary, scenario, high) -
            instructions(binary, scenario, low)) / (high - low)


def nanos_per_request(ours, peer, scenario):
    """Median ns per request for each side, the sides alternating."""
    _, (low, high) = COUNTS[scenario]
    samples = {ours: [], peer: []}
    for _ in range(ROUNDS):
        for binary in (ours, peer):
            samples[binary].append(
                (nanos(binary, scenario, high) - nanos(binary, scenario, low)) /
                (high - low))
    return statistics.median(samples[ours]), statistics.median(samples[peer])


def main():
    ours = build("Cargo.toml", "icount")
    peer = build("peers/Cargo.toml", "peer-icount")
    scenarios = subprocess.run([ours, "list"], check=True, capture_output=True,
                               text=True).stdout.split()
    wanted = sys.argv[1:] or scenarios
    unknown = [w for w in wanted if w not in scenarios]
    if unknown:
        sys.exit(f"icount.py: unknown scenario(s) {unknown}; known: {scenarios}")
    print("| scenario | Pastry instr. | peer instr. | peer / Pastry "
          "| Pastry time | peer time | peer / Pastry |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in wanted:
        ours_i = instructions_per_request(ours, name)
        peer_i = instructions_per_request(peer, name)
        ours_t, peer_t = nanos_per_request(ours, peer, name)
        print(f"| {name} | {ours_i:,.0f} | {peer_i:,.0f} | {peer_i / ours_i:.2f}x "
              f"| {fmt_time(ours_t)} | {fmt_time(peer_t)} | {peer_t / ours_t:.2f}x |",
              flush=True)
    print(f"\n(per request: callgrind instructions and the median wall time of "
          f"{ROUNDS} native runs, each the difference of two request counts; "
          f"`benches/icount.py`)")


def fmt_time(ns):
    if ns >= 1_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


if __name__ == "__main__":
    main()
