#!/usr/bin/env python3
"""Reaping, pidone against tini-static only, two ways the full benchmark
does not measure. Run after `scripts/bench/run` (it builds pidone's release
binary and benchkit, and installs tini-static and valgrind).

own-cpu        each init pinned to CPU 1 and its child (so every orphan) to
               CPU 0, as PID 1 of its own PID namespace, through benchkit's
               `reap` mode: the init's CPU time per orphan, the median of
               each run, for RUNS runs of the four shapes the benchmark uses
instructions   user-space instructions per orphan, exact: callgrind over
               each init as a subreaper (`INIT -s -- benchkit zombies N`)
               with 1,000 and then 3,000 zombies; the difference over 2,000

    python3 scripts/bench/reaping.py own-cpu [RUNS]     (default 3)
    python3 scripts/bench/reaping.py instructions

Needs root (PID namespaces, a cpu cgroup) and two CPUs for own-cpu.
"""

import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import measure

ROOT = measure.ROOT
KIT = ROOT / "target/bench/benchkit"
INITS = {
    "pidone": str(ROOT / "target/x86_64-unknown-linux-musl/release/pidone"),
    "tini-static": "/usr/bin/tini-static",
}
SHAPES = [("zombies", 2000, 15), ("zombies", 10000, 15), ("live", 2000, 9), ("live", 10000, 9)]
TASKSET = "/usr/bin/taskset"


def own_cpu(runs):
    found = {}
    with tempfile.TemporaryDirectory(prefix="pidone-reaping-") as tmp, measure.CpuGroup():
        work = Path(tmp)
        for _ in range(runs):
            for shape, n, reps in SHAPES:
                child = "zombies" if shape == "zombies" else "orphans"
                commands = [[TASKSET, "-c", "1", path, "--", TASKSET, "-c", "0", str(KIT), child, str(n)]
                            for path in INITS.values()]
                rows = measure.benchkit(KIT, "reap", [n, reps], commands, work)
                for i, name in enumerate(INITS):
                    per_orphan = [cpu / 1000 / n for index, _, _, cpu in rows if index == i]
                    found.setdefault((shape, n), {}).setdefault(name, []).append(
                        statistics.median(per_orphan))
    print("init CPU per orphan, µs: each run's median; the median of those")
    for (shape, n), by_init in found.items():
        for name, medians in by_init.items():
            each = ", ".join(f"{m:.2f}" for m in medians)
            print(f"{shape} {n:>6,} {name:>12}: {each}  -> {statistics.median(medians):.2f}")


def children(pid):
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def until(condition, seconds):
    """Polls CONDITION until it holds or SECONDS pass (never a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def instructions_for(path, n, work):
    """Instructions the init executed around N zombies (callgrind)."""
    out = work / "callgrind.out"
    init = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", path, "-s", "--",
         str(KIT), "zombies", str(n)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"}, cwd=work)
    if init.stdout.readline() != b"ready\n":
        raise SystemExit(f"reaping: no ready line from {path}")
    init.stdin.write(b"g")
    init.stdin.flush()
    # The zombies reach the init (valgrind runs it in its own process), then
    # are reaped: back to one child, benchkit itself.
    until(lambda: len(children(init.pid)) > 1, 10)
    until(lambda: len(children(init.pid)) <= 1, 120)
    init.send_signal(signal.SIGTERM)
    _, err = init.communicate(timeout=60)
    return int(re.search(rb"Collected : (\d+)", err).group(1))


def instructions():
    with tempfile.TemporaryDirectory(prefix="pidone-reaping-") as tmp:
        work = Path(tmp)
        for name, path in INITS.items():
            few, many = instructions_for(path, 1000, work), instructions_for(path, 3000, work)
            print(f"{name:>12}: {few:,} (1,000 zombies), {many:,} (3,000): "
                  f"{(many - few) / 2000:.1f} user-space instructions per orphan")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "own-cpu":
        own_cpu(int(sys.argv[2]) if len(sys.argv) > 2 else 3)
    elif what == "instructions":
        instructions()
    else:
        raise SystemExit(__doc__)
