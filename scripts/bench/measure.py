"""The measures of pidone's benchmark (scripts/bench/bench.py plans them):
the statistics, the call into benchkit (which does the timing), each
measure run on the host, the machine's facts and the cpu cgroup the whole
run happens in. Never prints a table: scripts/bench/report.py does."""

import datetime
import os
import platform
import re
import struct
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


# ----------------------------------------------------------- the machine

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
