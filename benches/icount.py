#!/usr/bin/env python3
"""Instructions per request, Pastry against its peer, counted by callgrind.

Wall-clock figures move with the machine's load; instruction counts do not,
so they show a regression (or a gain) on a shared machine too. Each
scenario of `icount` (benches/src/bin/icount.rs) runs under
`valgrind --tool=callgrind` twice, with LOW and HIGH requests; the
difference divided by HIGH - LOW is the count for one request, without
the setup. Prints the Markdown table BENCHMARKS.md shows.

    benches/icount.py                  # every pair
    benches/icount.py catch gzip-1k    # some
    LOW=20 HIGH=120 benches/icount.py

Needs valgrind. Builds icount in release first (the bench profile's
settings). Instruction counts are not time: a memcpy and a division count
one each. Read them beside the criterion medians, not instead.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LOW = int(os.environ.get("LOW", "50"))
HIGH = int(os.environ.get("HIGH", "250"))


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "icount",
         "--manifest-path", os.path.join(HERE, "Cargo.toml")],
        check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "target"))
    return os.path.join(target, "release", "icount")


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


def per_request(binary, scenario):
    return (instructions(binary, scenario, HIGH) -
            instructions(binary, scenario, LOW)) / (HIGH - LOW)


def main():
    binary = build()
    pairs = []
    for line in subprocess.run([binary, "list"], check=True, capture_output=True,
                               text=True).stdout.split():
        name = line.split("/")[0]
        if name not in pairs:
            pairs.append(name)
    wanted = sys.argv[1:] or pairs
    unknown = [w for w in wanted if w not in pairs]
    if unknown:
        sys.exit(f"icount.py: unknown pair(s) {unknown}; known: {pairs}")
    print(f"| pair | Pastry instr./request | peer instr./request | peer / Pastry |")
    print("|---|---:|---:|---:|")
    for name in wanted:
        ours = per_request(binary, f"{name}/pastry")
        peer = per_request(binary, f"{name}/peer")
        print(f"| {name} | {ours:,.0f} | {peer:,.0f} | {peer / ours:.2f}x |", flush=True)
    print(f"\n(callgrind, {HIGH} minus {LOW} requests per scenario; "
          f"`benches/icount.py`)")


if __name__ == "__main__":
    main()
