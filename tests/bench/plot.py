#!/usr/bin/python3
# Janus CPU per forwarded packet against the size of the room, Convene and
# VideoRoom, as a PNG: from the JSON that tests/bench/cvload_bench.py writes
# (--json FILE; several files: their sizes side by side, the runs of a size
# measured in more than one file pooled), optionally with the steps of
# tests/bench/capacity.py (--json FILE; --capacity repeatable) added.
#
#   /usr/bin/python3 tests/bench/plot.py BENCH.json... [--capacity CAPACITY.json]... [-o docs/bench-cpu.png]
#
# No harness needed: it only reads files. Needs python3-matplotlib (Debian;
# scripts/setup --tests installs it); drawn with the Agg backend, no display.
#
# One panel per scenario (meeting: N participants, all publishing;
# broadcast: 1 publisher, N subscribers; audio). From cvload_bench.py: per
# SFU and size, the median over the runs (a line through them) and the range
# of the runs (error bar). From capacity.py: every step that passed its
# limits, one run each (small open markers, no line); failed steps are left
# out (an overloaded Janus's CPU per packet says nothing about forwarding).
# The two SFUs' points at one size are drawn a little apart.
# The title carries the date of the bench run and the machine's CPUs: the
# numbers are this machine's, on that day.
import argparse
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen

STYLE = {"convene": ("Convene", "tab:blue", "o"), "videoroom": ("VideoRoom", "tab:orange", "s")}
DODGE = {"convene": 0.97, "videoroom": 1.03}    # side by side at the same size (the x axis is logarithmic)
XLABEL = {"meeting": "participants (each publishes audio + video, receives all others)",
          "broadcast": "subscribers (1 publisher, audio + video)",
          "audio": "participants (audio only)"}


def bench_points(benches):
    """{(scenario, target): [(n, median, low, high, runs)]} from cvload_bench.py's JSON files."""
    runs = {}
    for bench in benches:
        for entry in bench["results"]:
            values = [r["us_per_packet"] for r in entry["runs"] if r.get("us_per_packet") == r.get("us_per_packet")]
            runs.setdefault((entry["scenario"], entry["target"], entry["n"]), []).extend(values)
    points = {}
    for (scenario, target, n), values in runs.items():
        if values:
            points.setdefault((scenario, target), []).append(
                (n, statistics.median(values), min(values), max(values), len(values)))
    return {k: sorted(v) for k, v in points.items()}


def capacity_points(capacities):
    """{(scenario, target): [(n, us_per_packet)]} of the steps that passed, from capacity.py's JSON files."""
    points = {}
    for capacity in capacities:
        for s in capacity["steps"]:
            if s["ok"]:
                points.setdefault((s["scenario"], s["target"]), []).append((s["n"], s["run"]["us_per_packet"]))
    return {k: sorted(v) for k, v in points.items()}


def load(path, tool):
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or data.get("tool") != tool:
        sys.exit(f"{path}: not the JSON of tests/bench/{tool}.py --json")
    return data


def main():
    ap = argparse.ArgumentParser(description="Plot Janus CPU per forwarded packet against size, Convene vs VideoRoom")
    ap.add_argument("bench", nargs="+", help="cvload_bench.py --json output(s)")
    ap.add_argument("--capacity", action="append", default=[],
                    help="capacity.py --json output, to add its passing steps (repeatable)")
    ap.add_argument("-o", "--output", default="bench-cpu.png")
    a = ap.parse_args()
    benches = [load(path, "cvload_bench") for path in a.bench]
    points = bench_points(benches)
    extra = capacity_points([load(path, "capacity") for path in a.capacity])
    scenarios = [s for s in ("meeting", "broadcast", "audio") if any(k[0] == s for k in list(points) + list(extra))]
    if not scenarios:
        sys.exit("nothing to plot")
    fig, axes = plt.subplots(1, len(scenarios), figsize=(5.5 * len(scenarios), 4.4), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios):
        for target, (label, color, marker) in STYLE.items():
            pts = points.get((scenario, target))
            if pts:
                xs = [p[0] * DODGE[target] for p in pts]
                ys = [p[1] for p in pts]
                err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
                runs = sorted({p[4] for p in pts})
                ax.errorbar(xs, ys, yerr=err, color=color, marker=marker, capsize=3, linewidth=1.5,
                            label=f"{label}, median of {'–'.join(map(str, (runs[0], runs[-1])[:len(runs)]))} runs"
                                  " (bar: their range)")
            cps = extra.get((scenario, target))
            if cps:
                ax.plot([p[0] * DODGE[target] for p in cps], [p[1] for p in cps], linestyle="none", marker=marker, markersize=5,
                        markerfacecolor="none", markeredgecolor=color, label=f"{label}, capacity search (1 run)")
        ax.set_xscale("log", base=2)
        sizes = sorted({p[0] for k in (points, extra) for t in STYLE for p in k.get((scenario, t), [])})
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.tick_params(axis="x", labelsize=7, labelrotation=90 if len(sizes) > 8 else 0)
        ax.set_ylim(bottom=0)
        ax.set_title(scenario)
        ax.set_xlabel(XLABEL[scenario], fontsize=8)
        ax.set_ylabel("Janus CPU per forwarded packet (µs)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    args = benches[0].get("args", {})
    dates = ", ".join(sorted({b.get("date", "")[:10] for b in benches}))
    fig.suptitle(f"Janus CPU per forwarded RTP packet, Convene vs VideoRoom (lower is better)\n"
                 f"{dates}, {benches[0].get('cpus', '?')} CPUs shared with cvload and other work: "
                 f"indicative; {args.get('seconds', '?'):g} s windows, video {args.get('video_kbps', '?')} kbps",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(a.output, dpi=110)
    print(f"wrote {os.path.abspath(a.output)}")


if __name__ == "__main__":
    main()
