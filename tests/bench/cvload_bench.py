#!/usr/bin/python3
# Convene vs Janus VideoRoom under the same load from the C load generator
# (tools/cvload/cvload, docs/loadgen.md), on the same Janus, in the same run.
#
# Run through the harness, with VideoRoom loaded (docs/benchmarks.md):
#   tests/e2e/with-server --extra-plugin videoroom --set plugin.default_max_participants=0 \
#       --set transport.max_connections_per_ip=0 -- /usr/bin/python3 tests/bench/cvload_bench.py \
#       [--sizes meeting:4,meeting:8,meeting:16,broadcast:50,broadcast:200] [--runs 3] [--seconds 20]
# or `make bench BENCH_ARGS="..."`. (The two --set: Convene rooms created on
# join hold 50 participants by default, and its transport takes 50 sockets
# from one address; every cvload peer comes from the same one.)
#
# For every size and run, cvload runs the scenario once against each SFU
# (the order alternates between runs; between two runs the script waits
# until Janus is idle again). The run itself is measure() in cvload_run.py,
# shared with capacity.py. While it runs, its progress line on
# stderr (every second: peers started/up, packets sent/received per kind)
# is read: once every peer is up and --settle seconds have passed, the
# window starts (Janus's CPU time from /proc/PID/stat, utime + stime of all
# its threads; its RSS from /proc/PID/status; cvload's received packet
# counters) and cvload gets SIGUSR1 (its latency histograms start over);
# --seconds later the window ends, and cvload is stopped with SIGINT, which
# ends its run and prints its JSON summary (loss, latency).
#
# Per SFU and size, over the runs (medians):
#   us/pkt     Janus CPU per forwarded RTP packet (= per packet a cvload
#              receiver got, audio + video, inside the window)
#   cs/pkt     context switches of Janus's threads per forwarded packet
#              (/proc/PID/task/*/status, voluntary + involuntary): the
#              cost that Janus's threading (a thread per PeerConnection, or
#              static event loops: --event-loops) decides
#   cores      Janus CPU seconds per second in the window
#   pkt/s      forwarded packets per second
#   p50, p99   forward latency of video packets, ms (cvload's summary, from
#              the window's start: send stamp to receipt, through the SFU)
#   loss       % of the packets expected by receivers (whole run)
#   KB/peer    growth of Janus's RSS from before cvload started to the
#              window's start, per peer (indicative: glibc keeps freed
#              memory, so the SFU measured second in a run may reuse what
#              the first one left; the alternating order evens it out)
#   lag p99    cvload's own pacer lateness, ms: when high, cvload (not the
#              SFU) was the bottleneck and latencies include its queueing
# and the ratios Convene/VideoRoom. Numbers are only comparable within one
# run of this script on one machine; quote the ratios. Each run's line
# (# run ...) also shows cvload's own CPU (cores) and the cores the rest of
# the machine used in the window (/proc/stat's busy time minus Janus and
# cvload): the machine may be shared.
#
# --rooms K runs every size in K rooms side by side (labels meeting:4xK).
#
# --json FILE writes every run's measurements, with the date and the
# options; tests/bench/plot.py draws CPU per packet against size from it.
import argparse
import asyncio
import datetime
import json
import os
import statistics
import sys

from cvload_run import (CVLOAD, TARGETS, JanusGone, RunFailed, add_load_options, janus_pid, janus_quiet, measure,
                        janus_threading, json_args, parse_size, pin, size_label)


def report(run, scenario, n, target, r, a):
    print(f"# run {run} {size_label(scenario, n, a)} {target:9s}: {r['packets_per_s']:.0f} packets/s, Janus {r['cores']:.2f} cores"
          f" -> {r['us_per_packet']:.1f} us/packet, {r['cs_per_packet']:.2f} context switches/packet; video p50/p99 {r['p50_ms']}/{r['p99_ms']} ms,"
          f" loss {r['loss_pct']:.3f} %, {r['rss_kb_per_peer']:.0f} KB/peer; cvload {r['cvload_cores']:.2f} cores,"
          f" lag p99 {r['lag_p99_ms']} ms; others {r['others_cores']:.2f} cores", flush=True)


COLUMNS = (("us/pkt", "us_per_packet", "{:.1f}"), ("cs/pkt", "cs_per_packet", "{:.2f}"), ("cores", "cores", "{:.2f}"), ("pkt/s", "packets_per_s", "{:.0f}"),
           ("p50", "p50_ms", "{:.2f}"), ("p99", "p99_ms", "{:.2f}"), ("loss%", "loss_pct", "{:.3f}"),
           ("KB/peer", "rss_kb_per_peer", "{:.0f}"), ("lag p99", "lag_p99_ms", "{:.1f}"))
RATIOS = (("CPU/packet", "us_per_packet"), ("switches/pkt", "cs_per_packet"), ("latency p50", "p50_ms"), ("latency p99", "p99_ms"),
          ("RSS/peer", "rss_kb_per_peer"))


def median(results, key):
    values = [r[key] for r in results if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    return a / b if b and b == b and a == a else float("nan")


async def main():
    ap = argparse.ArgumentParser(description="Convene vs VideoRoom under cvload (run inside tests/e2e/with-server)")
    ap.add_argument("--sizes", default="meeting:4,meeting:8,meeting:16,broadcast:50,broadcast:200",
                    help="comma-separated SCENARIO:N (meeting:N, audio:N: N peers; broadcast:N: 1 publisher"
                         " and N subscribers)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20, help="measured window")
    add_load_options(ap)
    ap.add_argument("--json", help="also write every measurement to this file (tests/bench/plot.py draws it)")
    a = ap.parse_args()
    sizes = [parse_size(s) for s in a.sizes.split(",") if s]
    if not os.access(CVLOAD, os.X_OK):
        sys.exit(f"{CVLOAD} is not built (run make)")
    began = datetime.datetime.now(datetime.timezone.utc)
    print(f"# {began:%Y-%m-%d %H:%M} UTC; Janus pid {janus_pid()}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; {a.runs} runs x {a.seconds:g} s per SFU and size; "
          f"video {a.video_kbps} kbps {a.fps} fps{' simulcast' if a.simulcast else ''}", flush=True)
    pinned = pin(a)
    threading = janus_threading()
    print(f"# Janus: {threading}; {pinned}", flush=True)
    results = {}
    gone = None
    try:
        for scenario, n in sizes:
            for run in range(a.runs):
                order = TARGETS if run % 2 == 0 else TARGETS[::-1]
                for target in order:
                    try:
                        r = await measure(target, scenario, n, a)
                        report(run, scenario, n, target, r, a)
                        results.setdefault((scenario, n), {}).setdefault(target, []).append(r)
                    except RunFailed as e:      # one failed run must not lose the others
                        print(f"# run {run} {size_label(scenario, n, a)} {target}: FAILED: {e}", flush=True)
                    await janus_quiet()         # the SFU tears down the last run's PeerConnections
    except JanusGone as e:                      # a crash: report what was measured before it
        gone = f"{e} (during or after {scenario}:{n} against {target}, run {run})"
        print(f"# {gone}", flush=True)
    print()
    print(f"Medians of {a.runs} runs, {a.seconds:g} s windows (latency: video, ms; us/pkt: Janus CPU per forwarded packet)")
    header = f"{'size':14s} {'SFU':9s} " + " ".join(f"{c[0]:>8s}" for c in COLUMNS) + "  runs"
    print(header)
    for (scenario, n), by_target in results.items():
        for target in TARGETS:
            rs = by_target.get(target, [])
            cells = " ".join(f"{c[2].format(median(rs, c[1])):>8s}" for c in COLUMNS)
            print(f"{size_label(scenario, n, a):14s} {target:9s} {cells}  {len(rs)}")
    print()
    print("Ratios Convene/VideoRoom (of the medians; below 1: Convene uses less)")
    print(f"{'size':14s} " + " ".join(f"{r[0]:>12s}" for r in RATIOS))
    for (scenario, n), by_target in results.items():
        c, v = by_target.get("convene", []), by_target.get("videoroom", [])
        cells = " ".join(f"{ratio(median(c, key), median(v, key)):12.2f}" for _, key in RATIOS)
        print(f"{size_label(scenario, n, a):14s} {cells}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"tool": "cvload_bench", "date": began.isoformat(timespec="seconds"),
                       "cpus": os.cpu_count(), "load_average_end": os.getloadavg(),
                       "args": json_args(a),
                       "janus_threading": threading, "pinned": pinned, "janus_gone": gone,
                       "results": [{"scenario": s, "n": n, "target": t, "runs": rs}
                                   for (s, n), bt in results.items() for t, rs in bt.items()]}, f, indent=2)
    failed = sum(1 for s in sizes for t in TARGETS for _ in range(a.runs)) - sum(
        len(rs) for bt in results.values() for rs in bt.values())
    if failed or gone:
        print(f"\n{failed} run(s) failed or were not run (see the '# run' lines){'; Janus died' if gone else ''}")
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
