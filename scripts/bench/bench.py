#!/usr/bin/env python3
"""pidone's benchmark against tini, dumb-init and catatonit.

Run it through `scripts/bench/run`, which installs the peers from Debian,
builds pidone's release musl binary and `benchkit`, then calls this file.

Every init is measured in the same run, and every measure alternates between
the inits (round-robin, the order rotated each round) so that machine noise
hits all of them alike. The timing itself happens in `benchkit` (C, static).
This file plans the runs; measure.py runs them and turns benchkit's raw
samples into medians with spread (docker_stop.py times `docker stop`);
report.py writes the markdown table and the goals, chart.py the SVG chart.

What is measured, and how:

binary size      the file as Debian ships it (or as cargo builds it), whether
                 it is static (no ELF interpreter) and stripped (no .symtab)
instructions     what each init executes from its first instruction to its
                 exit around a child that does nothing (`INIT -- true`, a
                 static `true`), counted by valgrind's callgrind (exact, so
                 free of the machine's noise); environment PATH only, each
                 init a plain process, so tini and pidone print their
                 "not PID 1" warning; measured again with `-s` for the two,
                 which silences it; median of the runs (they differ by a
                 few instructions at most)
startup + exit   `INIT -- /bin/true` minus a bare `/bin/true` in the same
                 round, from posix_spawn to waitpid, environment PATH only;
                 the inits that can be subreapers run with `-s` (as they would
                 need to when not PID 1, and so that tini and pidone print no
                 warning); median of the per-round differences, with IQR
forwarding       each init as PID 1 of its own PID namespace with a child that
                 acknowledges each signal on a pipe; from kill(init, SIGUSR1)
                 to the acknowledgement, one signal in flight; median and p99
                 (its spread: the p99s of each session; the signals are sent
                 in many sessions of fresh processes, see measure_latency)
reaping          each init as PID 1 of its own PID namespace and pids cgroup;
                 time until the cgroup's pids.current (which counts zombies
                 until they are reaped) says no orphan is left. Two shapes:
                 "zombies": the child's helper leaves N dead children and
                 exits, so N zombies reach the init at once (the init's own
                 reaping rate, which is what the init controls); "live": N
                 live orphans of the init all exit at once, so the init reaps
                 while the kernel runs N exits on the same 2 CPUs
idle wake-ups    voluntary context switches of each init (PID 1, child
                 sleeping) over one window shared by all inits
memory           VmHWM, VmRSS and RssAnon of each idle init, at the end of
                 that window
docker stop      FROM scratch image per init with a static app that has no
                 SIGTERM handler; time for `docker stop`; plus the app
                 alone as PID 1, where TERM is ignored and Docker waits for
                 its timeout

Nothing is pinned to a CPU: the inits run as they would in a container. The
whole run happens inside one cpu cgroup (see CpuGroup for why).
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from docker_stop import measure_docker
from measure import (ROOT, CpuGroup, busy_seconds, log, machine_info, measure_idle,
                     measure_instructions, measure_latency, measure_reaping, measure_sizes,
                     measure_startup, own_seconds)
from report import goals, table, write_reports

# How much work each mode does. The quick mode only proves the harness
# still works end to end (CI runs it); its numbers mean nothing.
PLANS = {
    "full": {
        "startup_rounds": 3000,
        "startup_warmup": 100,
        "signals": 10000,
        "signal_sessions": 40,
        "reap": [("zombies", 2000, 15), ("zombies", 10000, 15),
                 ("live", 2000, 9), ("live", 10000, 9)],
        "idle_seconds": 10,
        "docker_rounds": 7,
        "docker_baseline_rounds": 3,
        "docker_timeout": 10,
        "callgrind_runs": 3,
    },
    "quick": {
        "startup_rounds": 100,
        "startup_warmup": 10,
        "signals": 100,
        "signal_sessions": 2,
        "reap": [("zombies", 100, 1), ("zombies", 500, 1),
                 ("live", 100, 1), ("live", 500, 1)],
        "idle_seconds": 1,
        "docker_rounds": 1,
        "docker_baseline_rounds": 1,
        "docker_timeout": 1,
        "callgrind_runs": 1,
    },
}


class Init:
    """One init under test and how to start it in each role."""

    def __init__(self, name, path, pid1, plain, package):
        self.name = name
        self.path = path
        # Arguments between the binary and the child's argv, as PID 1 ...
        self.pid1 = pid1
        # ... and as a plain process (start-up runs), reaping with -s when
        # the init has such a mode.
        self.plain = plain
        self.package = package

    def as_pid1(self, child):
        return [self.path, *self.pid1, *child]

    def as_plain(self, child):
        return [self.path, *self.plain, *child]


def inits(pidone):
    # tini-static is the reference: it is Docker's `--init` and the static
    # build a `FROM scratch` image would use. catatonit becomes a subreaper
    # by itself when it is not PID 1 and has no -s; dumb-init has no
    # subreaper mode at all.
    return [
        Init("tini-static", "/usr/bin/tini-static", ["--"], ["-s", "--"], "tini"),
        Init("tini", "/usr/bin/tini", ["--"], ["-s", "--"], "tini"),
        Init("dumb-init", "/usr/bin/dumb-init", ["--"], ["--"], "dumb-init"),
        Init("catatonit", "/usr/bin/catatonit", ["--"], ["--"], "catatonit"),
        Init("pidone", str(pidone), ["--"], ["-s", "--"], None),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small N, few runs: proves the harness works (CI)")
    parser.add_argument("--pidone", type=Path)
    parser.add_argument("--benchkit", type=Path)
    parser.add_argument("--out", type=Path, help="where results go (default docs/bench)")
    parser.add_argument("--no-docker", action="store_true", help="skip `docker stop`")
    parser.add_argument("--png", action="store_true", help="also write results.png")
    parser.add_argument("--from-json", type=Path,
                        help="measure nothing: redraw the table and chart from a results.json")
    parser.add_argument("--command", default="scripts/bench/run",
                        help="the command line to print as the way to reproduce")
    args = parser.parse_args()
    out = args.out or ROOT / "docs" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    png = out / "results.png" if args.png else None
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        with tempfile.TemporaryDirectory(prefix="pidone-bench-") as tmp:
            write_reports(results, out, Path(tmp), args.command, png)
        return
    if not (args.pidone and args.benchkit):
        raise SystemExit("bench: --pidone and --benchkit are required to measure")
    if os.geteuid() != 0:
        raise SystemExit("bench: must run as root (PID namespaces, cgroups)")
    mode = "quick" if args.quick else "full"
    plan = PLANS[mode]
    all_inits = inits(args.pidone.resolve())
    kit = args.benchkit.resolve()
    for init in all_inits:
        if not os.access(init.path, os.X_OK):
            raise SystemExit(f"bench: {init.path} missing (apt-get install -y {init.package})")

    started = time.monotonic()
    busy0, own0 = busy_seconds(), own_seconds()
    results = {"mode": mode, "plan": plan, "inits": [i.name for i in all_inits],
               "machine": machine_info(args.pidone)}
    with tempfile.TemporaryDirectory(prefix="pidone-bench-") as tmp, CpuGroup() as group:
        results["machine"]["cpu_cgroup"] = str(group.path) if group.path else None
        work = Path(tmp)
        results["size"] = measure_sizes(all_inits)
        results["instructions"] = measure_instructions(all_inits, plan, work)
        results["startup"] = measure_startup(kit, all_inits, plan, work)
        results["latency"] = measure_latency(kit, all_inits, plan, work)
        results["reaping"] = measure_reaping(kit, all_inits, plan, work)
        results["idle"] = measure_idle(kit, all_inits, plan, work)
        if args.no_docker:
            results["docker"] = {"skipped": "--no-docker"}
        else:
            results["docker"] = measure_docker(kit, all_inits, plan, work)
        results["seconds"] = round(time.monotonic() - started)
        # The load caveat: how busy the CPUs were with work that was not
        # ours (colleagues' builds, say) while we measured. Containers' CPU
        # (docker stop) and kernel threads count as foreign: an upper bound.
        foreign = (busy_seconds() - busy0) - (own_seconds() - own0)
        results["machine"]["foreign_cpu_percent"] = round(
            max(0.0, foreign) / ((time.monotonic() - started) * os.cpu_count()) * 100, 1)
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        write_reports(results, out, work, args.command, png)
    log(f"done in {results['seconds']} s: {out}/results.md, results.svg, results.json")
    print()
    print(table(results))
    print()
    print(goals(results))


if __name__ == "__main__":
    main()
