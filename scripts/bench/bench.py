#!/usr/bin/env python3
"""pidone's benchmark against tini, dumb-init and catatonit.

Run it through `scripts/bench/run`, which installs the peers from Debian,
builds pidone's release musl binary and `benchkit`, then calls this file.

Every init is measured in the same run, and every measure alternates between
the inits (round-robin, the order rotated each round) so that machine noise
hits all of them alike. The timing itself happens in `benchkit` (C, static):
this file only plans the runs, reads benchkit's raw samples, and turns them
into medians with spread, a markdown table and an SVG chart.

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
import datetime
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


REFERENCE = "tini-static"


# ------------------------------------------------------------ statistics

def percentile(values, q):
    """Linear interpolation between closest ranks (q in 0..100)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(values):
    return {
        "n": len(values),
        "median": percentile(values, 50),
        "p25": percentile(values, 25),
        "p75": percentile(values, 75),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
    }


# ---------------------------------------------------------------- benchkit

def benchkit(kit, mode, params, commands, work):
    """Runs one benchkit harness mode and returns its output lines, split."""
    out = work / f"{mode}.txt"
    line = [str(kit), mode, *map(str, params), str(out), "--"]
    for i, command in enumerate(commands):
        if i:
            line.append(":::")
        line.extend(command)
    subprocess.run(line, check=True)
    return [list(map(int, raw.split())) for raw in out.read_text().splitlines()]


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------- measures

def elf_facts(path):
    """(static, stripped) from the ELF headers: static means no PT_INTERP
    (a static-pie has no interpreter either), stripped means no .symtab."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit(f"{path}: not a 64-bit ELF file")
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    interp = any(
        struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 3
        for i in range(phnum))
    symtab = any(
        struct.unpack_from("<I", data, shoff + i * shentsize + 4)[0] == 2
        for i in range(shnum))
    return not interp, not symtab


def shared_libraries(path):
    """What a dynamic init drags into an image: the files ldd resolves."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > parts.index("=>") + 1:
            candidate = parts[parts.index("=>") + 1]
        elif parts and parts[0].startswith("/"):
            candidate = parts[0]
        else:
            continue
        if os.path.isfile(candidate):
            libs.append(candidate)
    return libs


def measure_sizes(all_inits):
    result = {}
    for init in all_inits:
        static, stripped = elf_facts(init.path)
        libs = [] if static else shared_libraries(init.path)
        result[init.name] = {
            "bytes": os.path.getsize(init.path),
            "static": static,
            "stripped": stripped,
            "libraries": libs,
            "library_bytes": sum(os.path.getsize(os.path.realpath(lib)) for lib in libs),
        }
    return result


def static_true(work):
    """A static `true` (the child of the instruction count): no dynamic
    loader runs in the child, so nothing of it can blur the init's count."""
    path = work / "true-static"
    subprocess.run(["gcc", "-O2", "-static", "-x", "c", "-o", str(path), "-"],
                   input="int main(void) { return 0; }\n", text=True, check=True)
    return path


def callgrind(command, work):
    """Instructions executed by COMMAND's own process (callgrind follows no
    child), with environment PATH only, from valgrind's summary."""
    out = work / "callgrind.out"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
        env={"PATH": "/usr/bin:/bin"}, cwd=work, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"bench: callgrind failed for {command}:\n{done.stderr}")
    return int(found.group(1))


def measure_instructions(all_inits, plan, work):
    runs = plan["callgrind_runs"]
    log(f"instructions: callgrind, {runs} run(s) per init and mode")
    child = [str(static_true(work))]
    result = {"runs": runs}
    for init in all_inits:
        plain = init.as_pid1(child)
        quiet = init.as_plain(child)
        counts = {"plain": median_count([callgrind(plain, work) for _ in range(runs)])}
        # Only tini and pidone have -s; for the others it is the same command.
        counts["subreaper"] = (median_count([callgrind(quiet, work) for _ in range(runs)])
                               if quiet != plain else None)
        result[init.name] = counts
    return result


def median_count(values):
    return int(percentile(values, 50))


def measure_startup(kit, all_inits, plan, work):
    bare = ["/bin/true"]
    commands = [bare] + [init.as_plain(bare) for init in all_inits]
    log(f"start-up: {plan['startup_rounds']} rounds of {len(commands)} commands")
    rows = benchkit(kit, "startup", [plan["startup_rounds"], plan["startup_warmup"]],
                    commands, work)
    by_round = {}
    for index, rnd, ns in rows:
        by_round.setdefault(rnd, {})[index] = ns
    result = {"bare": summary([r[0] / 1000 for r in by_round.values()])}
    for i, init in enumerate(all_inits, start=1):
        # The overhead in each round is paired with that round's bare run,
        # so slow drifts of the machine cancel out.
        diffs = [(r[i] - r[0]) / 1000 for r in by_round.values()]
        result[init.name] = {
            "overhead_us": summary(diffs),
            "total_us": summary([r[i] / 1000 for r in by_round.values()]),
        }
    return result


def measure_latency(kit, all_inits, plan, work):
    sessions, per_session = plan["signal_sessions"], plan["signals"] // plan["signal_sessions"]
    log(f"forwarding latency: {sessions} sessions of {per_session} SIGUSR1 per init")
    # Fresh processes for every session. Where the scheduler places an init
    # and its child relative to the harness sticks for a process's life and
    # moves the latency by 2-3x on this VM (waking an idle vCPU is slow):
    # within one session some inits come out near 18 us and others near
    # 50 us, at random. Many short sessions average over placements; the
    # start order is rotated too.
    samples = {init.name: [] for init in all_inits}
    p99s = {init.name: [] for init in all_inits}
    for session in range(sessions):
        shift = session % len(all_inits)
        order = all_inits[shift:] + all_inits[:shift]
        commands = [init.as_pid1([str(kit), "ack"]) for init in order]
        rows = benchkit(kit, "latency", [per_session], commands, work)
        for i, init in enumerate(order):
            mine = [ns / 1000 for index, ns in rows if index == i]
            samples[init.name] += mine
            p99s[init.name].append(percentile(mine, 99))
    result = {}
    for init in all_inits:
        result[init.name] = summary(samples[init.name])
        # The p99's own spread: the p99 of each session.
        result[init.name]["p99_blocks"] = summary(p99s[init.name])
    result["sessions"] = sessions
    return result


def measure_reaping(kit, all_inits, plan, work):
    result = {}
    for shape, n, reps in plan["reap"]:
        log(f"reaping: {n} {shape} orphans, {reps} runs per init")
        child = "zombies" if shape == "zombies" else "orphans"
        commands = [init.as_pid1([str(kit), child, str(n)]) for init in all_inits]
        rows = benchkit(kit, "reap", [n, reps], commands, work)
        key = f"{shape} {n}"
        result[key] = {"shape": shape, "n": n, "reps": reps}
        for i, init in enumerate(all_inits):
            mine = [(wall, cpu) for index, _, wall, cpu in rows if index == i]
            result[key][init.name] = {
                "wall_ms": summary([wall / 1e6 for wall, _ in mine]),
                "cpu_us_per_orphan": summary([cpu / 1000 / n for _, cpu in mine]),
            }
    return result


def measure_idle(kit, all_inits, plan, work):
    seconds = plan["idle_seconds"]
    log(f"idle: all inits side by side for {seconds} s")
    commands = [init.as_pid1([str(kit), "wait"]) for init in all_inits]
    rows = benchkit(kit, "idle", [seconds * 1000], commands, work)
    result = {"seconds": seconds}
    for index, voluntary, involuntary, hwm, rss, anon in rows:
        result[all_inits[index].name] = {
            "voluntary": voluntary,
            "involuntary": involuntary,
            "vmhwm_kb": hwm,
            "vmrss_kb": rss,
            "rssanon_kb": anon,
        }
    return result


# ------------------------------------------------------------------ docker

def docker(*args, check=True, capture=True, timeout=120):
    return subprocess.run(["docker", *args], check=check, text=True,
                          capture_output=capture, timeout=timeout)


def docker_available():
    if not shutil.which("docker"):
        return "no docker command"
    try:
        docker("info", "--format", "{{.ServerVersion}}")
    except (subprocess.SubprocessError, OSError) as err:
        return f"docker daemon not reachable ({err.__class__.__name__})"
    return None


def measure_docker(kit, all_inits, plan, work):
    """`docker stop` of an app with no SIGTERM handler, under each init."""
    reason = docker_available()
    if reason:
        log(f"docker stop: skipped, {reason}")
        return {"skipped": reason}
    tag = f"pidone-bench-{os.getpid()}"
    images, containers = [], []
    try:
        # One FROM scratch image per init: the init, its shared libraries if
        # it has any (copied to the paths ldd found), and benchkit as the app.
        variants = [(init.name, init) for init in all_inits] + [("none", None)]
        for name, init in variants:
            context = work / f"docker-{name}"
            rootfs = context / "rootfs"
            rootfs.mkdir(parents=True)
            shutil.copy2(kit, rootfs / "app")
            if init is None:
                entrypoint = ["/app", "wait"]
            else:
                shutil.copy2(init.path, rootfs / "init")
                for lib in shared_libraries(init.path):
                    target = rootfs / lib.lstrip("/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(os.path.realpath(lib), target)
                entrypoint = ["/init", *init.pid1, "/app", "wait"]
            (context / "Dockerfile").write_text(
                "FROM scratch\nCOPY rootfs/ /\n"
                f"ENTRYPOINT {json.dumps(entrypoint)}\n")
            image = f"{tag}-{name}:bench"
            docker("build", "-q", "-t", image, str(context))
            images.append(image)

        def one_stop(name, timeout):
            image = f"{tag}-{name}:bench"
            cid = docker("run", "-d", "--network", "none", image).stdout.strip()
            containers.append(cid)
            # Readiness is a handshake: the app prints "ready" once running.
            deadline = time.monotonic() + 60
            while "ready" not in docker("logs", cid).stdout:
                if time.monotonic() > deadline:
                    raise SystemExit(f"docker: {name} never became ready")
                time.sleep(0.02)
            t0 = time.monotonic()
            docker("stop", "-t", str(timeout), cid)
            elapsed = time.monotonic() - t0
            code = int(docker("inspect", "-f", "{{.State.ExitCode}}", cid).stdout)
            docker("rm", cid)
            containers.remove(cid)
            return elapsed * 1000, code

        rounds, timeout = plan["docker_rounds"], plan["docker_timeout"]
        log(f"docker stop: {rounds} rounds per init, app alone "
            f"{plan['docker_baseline_rounds']} times (docker stop -t {timeout})")
        samples = {name: [] for name, _ in variants}
        codes = {name: set() for name, _ in variants}
        for rnd in range(rounds):
            order = [name for name, init in variants if init is not None]
            shift = rnd % len(order)
            for name in order[shift:] + order[:shift]:
                ms, code = one_stop(name, timeout)
                samples[name].append(ms)
                codes[name].add(code)
        for _ in range(plan["docker_baseline_rounds"]):
            ms, code = one_stop("none", timeout)
            samples["none"].append(ms)
            codes["none"].add(code)
        result = {"timeout_s": timeout}
        for name, values in samples.items():
            result[name] = {"ms": summary(values), "exit_codes": sorted(codes[name])}
        return result
    finally:
        for cid in containers:
            docker("rm", "-f", cid, check=False)
        for image in images:
            docker("rmi", "-f", image, check=False)


# ---------------------------------------------------- one scheduling group

class CpuGroup:
    """Moves this process, and so everything it starts from then on, into a
    cpu cgroup of its own for the run, and back out afterwards.

    Why: with autogroup scheduling (kernel.sched_autogroup_enabled, on by
    default) every session in the root cpu cgroup is its own scheduling
    group. dumb-init calls setsid() for its child, so its child alone would
    get a group of its own and, when the machine is busy, a CPU share of
    its own: its forwarding latency then measures the scheduler, not
    dumb-init. Inside one cpu cgroup autogroup does not apply, and every
    init and child shares one group, as the processes of one container do.
    """

    def __init__(self):
        self.path = None
        v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
        control = v2 / "cgroup.subtree_control"
        if (v1 / "cpu.shares").exists():
            self.root = v1
        elif control.exists() and "cpu" in control.read_text().split():
            self.root = v2
        else:
            return
        self.path = self.root / f"pidone-bench-{os.getpid()}"

    # The group's CPU weight, 8 times a session's default: on a shared
    # machine, other people's builds then take less of the CPUs from the
    # run (every init alike) while it lasts; on an idle machine it changes
    # nothing.
    WEIGHT = {"cpu.shares": "8192", "cpu.weight": "800"}

    def __enter__(self):
        if self.path:
            self.path.mkdir(exist_ok=True)
            for name, value in self.WEIGHT.items():
                if (self.path / name).exists():
                    (self.path / name).write_text(value)
            (self.path / "cgroup.procs").write_text(str(os.getpid()))
        else:
            log("warning: no cpu cgroup; autogroup may favour dumb-init's child")
        return self

    def __exit__(self, *exc):
        if self.path:
            (self.root / "cgroup.procs").write_text(str(os.getpid()))
            # Every process started in it has been waited for by now.
            try:
                self.path.rmdir()
            except OSError as err:
                log(f"warning: could not remove {self.path}: {err}")


# --------------------------------------------------------------- reporting

def machine_info(pidone):
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions = {}
    for package in ("tini", "dumb-init", "catatonit"):
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                             capture_output=True, text=True)
        versions[package] = out.stdout.strip() or "?"
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    rustc = subprocess.run(["rustc", "--version"], capture_output=True,
                           text=True).stdout.strip()
    os_name = "Linux"
    osr = Path("/etc/os-release")
    if osr.exists():
        for line in osr.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024),
        "kernel": platform.release(),
        "os": os_name,
        "peers": versions,
        "pidone_commit": commit,
        "rustc": rustc,
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
    }


def busy_seconds():
    """CPU seconds the whole machine has spent busy so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_seconds():
    """CPU seconds used by this process and every child it has waited for
    (benchkit, and through it every init and helper it reaped)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def fmt_num(x, digits=0):
    return f"{x:,.{digits}f}"


def ratio(value, reference):
    if not reference:
        return ""
    return f" ({value / reference:.2f}×)"


def table(results):
    names = [name for name in results["inits"]]
    sizes, startup, latency = results["size"], results["startup"], results["latency"]
    reap, idle, dock = results["reaping"], results["idle"], results["docker"]
    rows = []

    def row(label, cell):
        rows.append(f"| {label} | " + " | ".join(cell(n) for n in names) + " |")

    def size_cell(n):
        s = sizes[n]
        kind = "static" if s["static"] else f"dynamic, + {s['library_bytes'] / 1e6:.1f} MB of libc"
        if not s["stripped"]:
            kind += ", not stripped"
        return f"{fmt_num(s['bytes'])} B{ratio(s['bytes'], sizes[REFERENCE]['bytes'])}, {kind}"

    row("binary size as shipped", size_cell)

    ins = results.get("instructions")
    if ins:
        ref = ins[REFERENCE]["plain"]
        row("instructions, start to exit (callgrind; `INIT -- true`, not PID 1; "
            "with `-s` after the slash)",
            lambda n: (f"{fmt_num(ins[n]['plain'])}{ratio(ins[n]['plain'], ref)}"
                       + (f" / {fmt_num(ins[n]['subreaper'])}"
                          if ins[n]["subreaper"] is not None else "")))

    ref = startup[REFERENCE]["overhead_us"]["median"]
    row(f"start + exit overhead over `/bin/true` ({fmt_num(startup['bare']['median'])} µs), "
        "median [IQR], µs",
        lambda n: (f"{fmt_num(startup[n]['overhead_us']['median'])} "
                   f"[{fmt_num(startup[n]['overhead_us']['p25'])}–"
                   f"{fmt_num(startup[n]['overhead_us']['p75'])}]"
                   f"{ratio(startup[n]['overhead_us']['median'], ref)}"))

    ref = latency[REFERENCE]
    row(f"signal forwarding latency, median [IQR], µs ({latency[REFERENCE]['n']:,} signals each)",
        lambda n: (f"{fmt_num(latency[n]['median'], 1)} "
                   f"[{fmt_num(latency[n]['p25'], 1)}–{fmt_num(latency[n]['p75'], 1)}]"
                   f"{ratio(latency[n]['median'], ref['median'])}"))
    row("signal forwarding latency, p99 [IQR of the sessions' p99s], µs",
        lambda n: (f"{fmt_num(latency[n]['p99'], 1)} "
                   f"[{fmt_num(latency[n]['p99_blocks']['p25'], 1)}–"
                   f"{fmt_num(latency[n]['p99_blocks']['p75'], 1)}]"
                   f"{ratio(latency[n]['p99'], ref['p99'])}"))

    for key, entry in reap.items():
        ref = entry[REFERENCE]["wall_ms"]["median"]
        what = ("N zombies handed over at once" if entry["shape"] == "zombies"
                else "N live orphans exit at once")
        row(f"reaping {entry['n']:,}: {what}, median [IQR] of {entry['reps']} runs, ms",
            lambda n, e=entry, r=ref: (
                f"{fmt_num(e[n]['wall_ms']['median'], 1)} "
                f"[{fmt_num(e[n]['wall_ms']['p25'], 1)}–{fmt_num(e[n]['wall_ms']['p75'], 1)}]"
                f"{ratio(e[n]['wall_ms']['median'], r)}"))
        row(f"… init CPU per orphan, median, µs",
            lambda n, e=entry: f"{fmt_num(e[n]['cpu_us_per_orphan']['median'], 2)}")

    row(f"idle wake-ups (voluntary context switches in {idle['seconds']} s)",
        lambda n: f"{idle[n]['voluntary']}")
    ref = idle[REFERENCE]["vmrss_kb"]
    row("idle memory: VmRSS / VmHWM / RssAnon, kB",
        lambda n: (f"{idle[n]['vmrss_kb']} / {idle[n]['vmhwm_kb']} / {idle[n]['rssanon_kb']}"
                   f"{ratio(idle[n]['vmrss_kb'], ref)}"))

    if "skipped" in dock:
        row("`docker stop` of an app without a TERM handler", lambda n: "not measured")
    else:
        ref = dock[REFERENCE]["ms"]["median"]
        row(f"`docker stop` of an app without a TERM handler, median [IQR], ms "
            f"(app alone as PID 1: {fmt_num(dock['none']['ms']['median'])} ms, "
            f"exit {'/'.join(map(str, dock['none']['exit_codes']))})",
            lambda n: (f"{fmt_num(dock[n]['ms']['median'])} "
                       f"[{fmt_num(dock[n]['ms']['p25'])}–{fmt_num(dock[n]['ms']['p75'])}]"
                       f"{ratio(dock[n]['ms']['median'], ref)}, exit "
                       f"{'/'.join(map(str, dock[n]['exit_codes']))}"))

    head = "| measure | " + " | ".join(names) + " |"
    rule = "|---|" + "---|" * len(names)
    return "\n".join([head, rule, *rows])


def goals(results):
    """Where pidone stands against each of its goals."""
    me, peers = "pidone", [n for n in results["inits"] if n != "pidone"]
    size, startup, lat = results["size"], results["startup"], results["latency"]
    idle, reap = results["idle"], results["reaping"]
    lines = ["| goal | pidone | bar | met |", "|---|---|---|---|"]

    def goal(what, mine, bar, met, note=""):
        verdict = "yes" if met else "**no**"
        lines.append(f"| {what} | {mine} | {bar} | {verdict}{note} |")

    def overlap(a, b):
        """Whether a margin either way is smaller than the noise: the two
        IQRs overlap, so another run may well rank them the other way."""
        clear = a["p25"] > b["p75"] or b["p25"] > a["p75"]
        return "" if clear else ", within noise (the IQRs overlap)"

    # The size budget, as tests/it/static_binary.rs checks it: 480 KiB.
    goal("stripped static binary ≤ 480 KiB", f"{fmt_num(size[me]['bytes'])} B",
         "491,520 B", size[me]["static"] and size[me]["stripped"]
         and size[me]["bytes"] <= 491_520)
    ins = results.get("instructions")
    if ins:
        # At or below Docker's --init: pidone's start-up is plain code, and
        # the microsecond a packed table or an arena saved was no one's to
        # see (docs/benchmarks.md, "Start-up instructions").
        fewest = min(peers, key=lambda n: ins[n]["plain"])
        goal("instructions, start to exit, at or below tini-static's (callgrind, `INIT -- true`)",
             f"{fmt_num(ins[me]['plain'])} ({fmt_num(ins[me]['subreaper'])} with `-s`)",
             f"tini-static {fmt_num(ins[REFERENCE]['plain'])}; fewest peer {fewest} "
             f"{fmt_num(ins[fewest]['plain'])}",
             ins[me]["plain"] <= ins[REFERENCE]["plain"])
    over = {n: startup[n]["overhead_us"] for n in results["inits"]}
    best = min(peers, key=lambda n: over[n]["median"])
    below_all = over[me]["median"] < over[best]["median"]
    goal("start + exit overhead no worse than tini's, ideally below every peer",
         f"{fmt_num(over[me]['median'])} µs",
         f"tini-static {fmt_num(over[REFERENCE]['median'])} µs; best peer {best} "
         f"{fmt_num(over[best]['median'])} µs",
         over[me]["median"] <= over[REFERENCE]["median"],
         (", below every peer" + overlap(over[me], over[best]) if below_all
          else ", not below every peer")
         if over[me]["median"] <= over[REFERENCE]["median"]
         else overlap(over[me], over[REFERENCE]))
    goal(f"0 idle wake-ups (in {idle['seconds']} s)", str(idle[me]["voluntary"]), "0",
         idle[me]["voluntary"] == 0)
    key = max((k for k, e in reap.items() if e["shape"] == "zombies"),
              key=lambda k: reap[k]["n"])
    times = {n: reap[key][n]["wall_ms"] for n in results["inits"]}
    fastest = min(peers, key=lambda n: times[n]["median"])
    met = times[me]["median"] <= times[fastest]["median"]
    goal(f"reaping {reap[key]['n']:,} orphans no slower than the fastest peer "
         "(zombies handed over at once)",
         f"{fmt_num(times[me]['median'], 1)} ms",
         f"{fastest} {fmt_num(times[fastest]['median'], 1)} ms", met,
         overlap(times[me], times[fastest]))
    p99 = {n: lat[n]["p99"] for n in results["inits"]}
    fastest = min(peers, key=p99.get)
    met = p99[me] <= p99[fastest]
    goal("forwarding latency p99 no worse than the fastest peer",
         f"{fmt_num(p99[me], 1)} µs", f"{fastest} {fmt_num(p99[fastest], 1)} µs", met,
         overlap(lat[me]["p99_blocks"], lat[fastest]["p99_blocks"]))
    goal("idle RSS at or below tini-static's", f"{idle[me]['vmrss_kb']} kB",
         f"{idle[REFERENCE]['vmrss_kb']} kB", idle[me]["vmrss_kb"] <= idle[REFERENCE]["vmrss_kb"])
    return "\n".join(lines)


def markdown(results, command):
    m = results["machine"]
    plan = results["plan"]
    dock = results["docker"]
    return f"""# pidone benchmark results

Measured {m['date']} on {m['os']}, kernel {m['kernel']}, {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; the run took {results['seconds']} s ({results['mode']} mode). pidone {m['pidone_commit']} built with {m['rustc']}; peers from Debian: tini {m['peers']['tini']}, dumb-init {m['peers']['dumb-init']}, catatonit {m['peers']['catatonit']}.

Load caveat: the machine is shared. The load average was {' '.join(m['loadavg_before'])} before the run, and other processes kept the CPUs {m['foreign_cpu_percent']}% busy during it (CPU time that was not the benchmark's, kernel threads included: an upper bound). Alternating between the inits spreads that noise over all of them alike; it still widens the spreads and the p99s.

Reproduce with:

```sh
{command}
```

Every measure alternates between the inits in one run; ratios in
parentheses are against **{REFERENCE}** (Docker's `--init`). Figures are
medians, with the spread in brackets: the IQR, the range of the middle half
of the samples.

{table(results)}

## Goals

{goals(results)}

## How each figure was taken

- **Instructions**: `valgrind --tool=callgrind INIT -- true` (a static
  `true`, so no dynamic loader runs in the child), environment `PATH`
  only, each init a plain process, {plan.get('callgrind_runs', 1)} run(s) each, the
  median; callgrind counts the init's own instructions from its first to
  its exit (not the child's), exactly, so the load on the machine does not
  move it. Not being PID 1, tini and pidone print a warning in this form;
  with `-s` (after the slash) they print none. catatonit and dumb-init
  have no such option.
- **Start + exit**: `INIT -- /bin/true` and a bare `/bin/true`, each run
  once per round for {plan['startup_rounds']:,} rounds (after
  {plan['startup_warmup']} warm-up rounds), the order rotated every round;
  each run timed from `posix_spawn` to `waitpid` with environment `PATH`
  only. tini and pidone run with `-s` (when not PID 1 they need it to reap,
  and without it both print a warning); catatonit becomes a subreaper by
  itself; dumb-init cannot. The overhead is the median of the per-round
  differences from the bare run.
- **Scheduling**: the harness and everything it starts run in one cpu
  cgroup of their own ({results['machine'].get('cpu_cgroup') or 'none found'}), so that
  autogroup scheduling does not give dumb-init's child (which it starts in
  a new session) a CPU share of its own when the machine is busy. The
  group has 8 times the default CPU weight, so that other people's work on
  a shared machine takes less from the run (from every init alike; the
  Docker containers run in Docker's own cgroups). Nothing is pinned to a
  CPU.
- **Forwarding**: every init is PID 1 of its own PID namespace with a child
  that blocks all signals, reads them from a signalfd and writes one byte to
  a pipe per signal. {plan['signals']:,} SIGUSR1 per init, one at a time,
  round-robin; from just before `kill(init)` to the byte being read. The
  signals are sent in {results['latency']['sessions']} sessions, each with fresh
  processes of every init, since where the scheduler places an init and its
  child sticks for their life and moves the latency 2-3× on this VM. The
  p99's spread is the IQR of the sessions' p99s.
- **Reaping**: every init is PID 1 of its own PID namespace and its own
  pids cgroup; the clock stops when the cgroup's `pids.current` (zombies
  count until reaped) is back to 2, the init and its child. *Zombies handed
  over at once*: the child's helper process forks N children that exit at
  once, waits until all N are zombies, and on "go" exits, so the kernel
  hands N zombies to the init in one go: the init's own reaping rate.
  *Live orphans exit at once*: N orphans already re-parented to the init
  block on one pipe and all exit on "go": the init reaps while the kernel
  runs N exits on the same CPUs, and the wall time is mostly the kernel's.
  The init's CPU time over the window is from `/proc/PID/schedstat`.
- **Idle**: all inits are started side by side as PID 1 with a sleeping
  child; after every child said `ready`, the voluntary context switches of
  each init are counted over the same {results['idle']['seconds']} s window,
  and its memory read from `/proc/PID/status` at the end.
- **docker stop**: {"not measured: " + dock['skipped'] if 'skipped' in dock else
  f"one `FROM scratch` image per init (the dynamic ones with their libc), "
  f"the app a static program without a SIGTERM handler that prints `ready` "
  f"and pauses; `docker run -d --network none`, wait for `ready` in the "
  f"logs, then time `docker stop -t {dock['timeout_s']}` (the CLI round trip "
  f"included), {plan['docker_rounds']} rounds alternating between the inits. "
  f"Without an init the app is PID 1, ignores TERM, and Docker waits for the "
  f"timeout and kills it (exit 137)."}

Raw summaries: `results.json` beside this file. Chart: `results.svg`.
"""


# --------------------------------------------------------------- the chart

COLORS = {"tini-static": "#7f7f7f", "tini": "#b0b0b0", "dumb-init": "#8c6d31",
          "catatonit": "#6b6ecf", "pidone": "#d62728"}


def chart(results, svg_path, work, png_path=None):
    """One bar panel per measure, each bar labelled with its value; error
    bars show the IQR where a measure has one. With PNG_PATH, the same chart
    as a PNG too (for viewers without SVG)."""
    names = list(results["inits"])
    # (title, y label, value format, {init: (median, p25, p75) or (value,)})
    panels = []
    size, st, lat = results["size"], results["startup"], results["latency"]
    panels.append(("binary size (file)", "KB", "%.0f",
                   {n: (size[n]["bytes"] / 1000,) for n in names}))
    if results.get("instructions"):
        ins = results["instructions"]
        panels.append(("instructions, start to exit", "thousands (callgrind)", "%.1f",
                       {n: (ins[n]["plain"] / 1000,) for n in names}))
    panels.append(("start + exit overhead", "µs (median, IQR)", "%.0f",
                   {n: spread(st[n]["overhead_us"]) for n in names}))
    panels.append(("forwarding latency", "µs (median, IQR)", "%.1f",
                   {n: spread(lat[n]) for n in names}))
    panels.append(("forwarding latency p99", "µs (IQR over sessions)", "%.0f",
                   {n: (lat[n]["p99"], lat[n]["p99_blocks"]["p25"],
                        lat[n]["p99_blocks"]["p75"]) for n in names}))
    for e in results["reaping"].values():
        label = "zombies at once" if e["shape"] == "zombies" else "live orphans exiting"
        panels.append((f"reaping {e['n']:,} {label}", "ms (median, IQR)", "%.1f",
                       {n: spread(e[n]["wall_ms"]) for n in names}))
    idle = results["idle"]
    panels.append((f"idle wake-ups in {idle['seconds']} s", "context switches", "%.0f",
                   {n: (idle[n]["voluntary"],) for n in names}))
    panels.append(("idle VmRSS", "kB", "%.0f", {n: (idle[n]["vmrss_kb"],) for n in names}))
    d = results["docker"]
    if "skipped" not in d:
        panels.append(("docker stop, app without TERM handler", "ms (median, IQR)", "%.0f",
                       {n: spread(d[n]["ms"]) for n in names}))

    cols = 4
    rows = (len(panels) + cols - 1) // cols
    size_px = f"{cols * 330},{rows * 300}"
    script = [
        f"set terminal svg size {size_px} font 'sans,11' background '#ffffff'",
        f"set output '{svg_path}'",
        f"set multiplot layout {rows},{cols} title 'pidone and its peers, "
        f"{results['machine']['date']}, {results['mode']} run (lower is better)'",
        "set style fill solid 0.9 border -1",
        "set boxwidth 0.7",
        "set xtics rotate by -35 nomirror",
        "set grid ytics",
        "set key off",
        "set xrange [-0.6:%f]" % (len(names) - 0.4),
    ]
    for p, (title, ylabel, form, bars) in enumerate(panels):
        data = work / f"panel{p}.dat"
        top = max(max(v) for v in bars.values()) or 1
        with data.open("w") as f:
            for n in names:
                values = bars[n]
                median, low, high = (values * 3)[:3] if len(values) == 1 else values
                color = int(COLORS.get(n, "#333333")[1:], 16)
                f.write(f'"{n}" {median} {low} {high} {color}\n')
        plots = [f"'{data}' using 0:2:5:xtic(1) with boxes lc rgb variable"]
        if any(len(v) == 3 for v in bars.values()):
            # Drawn as plain vectors: gnuplot's errorbar styles add a point.
            plots.append("'' using 0:3:(0):($4 - $3) with vectors nohead lc rgb '#000000' lw 1.5")
        # The value of each bar, written just above the top of its spread.
        plots.append(f"'' using 0:(($4 > $2 ? $4 : $2) + {top * 0.02}):(sprintf('{form}', $2)) "
                     "with labels nopoint offset 0,0.5 font ',9'")
        script += [
            f"set title '{title}'",
            f"set ylabel '{ylabel}'",
            f"set yrange [0:{top * 1.18}]",
            "plot " + ", ".join(plots),
        ]
    script.append("unset multiplot")
    plot = work / "chart.gp"
    plot.write_text("\n".join(script) + "\n")
    subprocess.run(["gnuplot", str(plot)], check=True)
    if png_path:
        script[0] = f"set terminal pngcairo size {size_px} font 'sans,10' background '#ffffff'"
        script[1] = f"set output '{png_path}'"
        plot.write_text("\n".join(script) + "\n")
        subprocess.run(["gnuplot", str(plot)], check=True)


def spread(stats):
    return (stats["median"], stats["p25"], stats["p75"])


# ---------------------------------------------------------------- main

def write_reports(results, out, work, command, png):
    (out / "results.md").write_text(markdown(results, command))
    chart(results, out / "results.svg", work, png)
    if out.resolve() == (ROOT / "docs" / "bench").resolve():
        update_docs(results, command)


def update_docs(results, command):
    """Replaces the block between the bench markers of docs/benchmarks.md
    with these results, so that the page always shows what docs/bench/
    holds. Links are relative to docs/."""
    page = ROOT / "docs" / "benchmarks.md"
    text = page.read_text()
    begin, end = "<!-- bench:start -->\n", "<!-- bench:end -->"
    if begin not in text or end not in text:
        log("docs/benchmarks.md has no bench markers; left alone")
        return
    m = results["machine"]
    block = f"""Measured {m['date']} on the 2-core build machine ({m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, kernel {m['kernel']}) with `{command}` ({results['mode']} mode, {results['seconds']} s). The machine is shared: other processes kept its CPUs {m['foreign_cpu_percent']}% busy during the run, which widens the spreads and the p99s (all inits alike). Medians, IQR in brackets, ratios against {REFERENCE}; details in [docs/bench/results.md](bench/results.md).

{table(results)}

![pidone and its peers: size, instructions, start-up, forwarding latency, reaping, idle wake-ups, memory, docker stop](bench/results.svg)

{goals(results)}
"""
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    page.write_text(head + begin + block + end + tail)


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
