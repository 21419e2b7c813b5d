"""The benchmark's outputs: the markdown table, the goals, results.md and
the block of docs/benchmarks.md between its bench markers. Reads the
results dict that scripts/bench/bench.py builds; measures nothing."""

from chart import chart
from measure import ROOT, log

# Ratios are against Docker's --init, the static build a FROM scratch image
# would use.
REFERENCE = "tini-static"


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
        row("… init CPU per orphan, median, µs",
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
