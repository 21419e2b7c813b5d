"""The benchmark's chart: one bar panel per measure, drawn by gnuplot."""

import subprocess

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
