#!/usr/bin/python3
# Convene vs Janus VideoRoom under the same load from the C load generator
# (tools/cvload/cvload, docs/loadgen.md), on the same Janus, in the same run.
#
# Run through the harness, with VideoRoom loaded (docs/benchmarks.md):
#   tests/e2e/with-server --extra-plugin videoroom --set plugin.default_max_participants=0 -- \
#       /usr/bin/python3 tests/bench/cvload_bench.py \
#       [--sizes meeting:4,meeting:8,meeting:16,broadcast:50,broadcast:200] [--runs 3] [--seconds 20]
# or `make bench BENCH_ARGS="..."`. (--set plugin.default_max_participants=0: Convene rooms
# created on join hold 50 participants by default.)
#
# For every size and run, cvload runs the scenario once against each SFU
# (the order alternates between runs). While it runs, its progress line on
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
# run of this script on one machine; quote the ratios.
import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CVLOAD = os.path.join(TOP, "tools", "cvload", "cvload")
JANUS_PID = int(os.environ["CONVENE_JANUS_PID"])
TICKS = os.sysconf("SC_CLK_TCK")
PROGRESS = re.compile(r"\[cvload +([0-9.]+)\] peers started (\d+), up (\d+), failed (\d+); "
                      r"audio sent (\d+) received (\d+); video sent (\d+) received (\d+)")
TARGETS = ("convene", "videoroom")


def janus_cpu_seconds():
    with open(f"/proc/{JANUS_PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def janus_rss_kb():
    with open(f"/proc/{JANUS_PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def parse_size(text):
    scenario, _, n = text.partition(":")
    if scenario not in ("meeting", "broadcast", "audio") or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (meeting:N, broadcast:N or audio:N)")
    return scenario, int(n)


def peers_of(scenario, n):
    return n + 1 if scenario == "broadcast" else n


def cvload_args(target, scenario, n, a):
    url = os.environ["CONVENE_WS_URL"] if target == "convene" else os.environ["JANUS_WS_URL"]
    args = [CVLOAD, "--target", target, "--url", url, "--ice-ip", os.environ["CONVENE_HOST_IP"],
            "--admin-key", os.environ["JANUS_ADMIN_SECRET"], "--scenario", scenario,
            "--ramp", str(a.ramp), "--video-kbps", str(a.video_kbps), "--fps", str(a.fps),
            "--duration", str(a.settle + a.seconds + 60)]     # a cap: SIGINT ends the run
    if scenario == "broadcast":
        args += ["--participants", str(n), "--publishers", "1"]         # 1 publisher, n subscribers
    else:
        args += ["--participants", str(n)]
    if a.simulcast:
        args.append("--simulcast")
    return args


async def measure(target, scenario, n, a, run):
    """One cvload run against one SFU (in a new room); returns the measurements or raises."""
    peers = peers_of(scenario, n)
    rss0 = janus_rss_kb()
    proc = await asyncio.create_subprocess_exec(*cvload_args(target, scenario, n, a),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out_task = asyncio.ensure_future(proc.stdout.read())
    tail = []
    start = end = None
    all_up_at = None
    deadline = time.monotonic() + a.setup_timeout + peers / a.ramp + a.settle + a.seconds + 10
    try:
        while end is None:
            line = await asyncio.wait_for(proc.stderr.readline(), max(1.0, deadline - time.monotonic()))
            if not line:
                raise RuntimeError(f"cvload ended before the window closed: {''.join(tail[-5:])}")
            text = line.decode(errors="replace")
            tail.append(text)
            m = PROGRESS.search(text)
            if m is None:
                continue
            t, started, up, failed = float(m[1]), int(m[2]), int(m[3]), int(m[4])
            received = int(m[6]) + int(m[8])
            if failed:
                raise RuntimeError(f"{failed} peer(s) failed: {''.join(tail[-5:])}")
            if started < peers or up < peers:
                continue
            if all_up_at is None:
                all_up_at = t
            # progress lines come about every second: half a second of slack
            if start is None and t - all_up_at >= a.settle - 0.5:
                start = (t, janus_cpu_seconds(), received, janus_rss_kb())
                proc.send_signal(signal.SIGUSR1)    # latencies from the window on
            elif start is not None and t - start[0] >= a.seconds - 0.5:
                end = (t, janus_cpu_seconds(), received)
    except asyncio.TimeoutError:
        raise RuntimeError(f"no complete window within the time allowed: {''.join(tail[-5:])}") from None
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)     # ends the run: cvload prints its summary and leaves
        rest = asyncio.ensure_future(proc.stderr.read())
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
        await rest
    summary = json.loads(await out_task)
    seconds = end[0] - start[0]
    packets = end[2] - start[2]
    cpu = end[1] - start[1]
    video = summary.get("video") or summary["audio"]
    expected = sum((summary[k] or {}).get("expected", 0) for k in ("audio", "video"))
    lost = sum((summary[k] or {}).get("lost", 0) for k in ("audio", "video"))
    r = {
        "us_per_packet": cpu / packets * 1e6 if packets else float("nan"),
        "cores": cpu / seconds,
        "packets_per_s": packets / seconds,
        "p50_ms": video["latency_ms"]["p50"],
        "p99_ms": video["latency_ms"]["p99"],
        "loss_pct": 100.0 * lost / expected if expected else float("nan"),
        "rss_kb_per_peer": (start[3] - rss0) / peers,
        "lag_p99_ms": summary["loop_lag_ms"]["p99"],
        "connected": summary["peers"]["connected"],
        "peers": peers,
    }
    print(f"# run {run} {scenario}:{n} {target:9s}: {packets} packets in {seconds:.1f} s, Janus CPU {cpu:.2f} s"
          f" -> {r['us_per_packet']:.1f} us/packet, {r['cores']:.2f} cores; video p50/p99 {r['p50_ms']}/{r['p99_ms']} ms,"
          f" loss {r['loss_pct']:.3f} %, {r['rss_kb_per_peer']:.0f} KB/peer, cvload lag p99 {r['lag_p99_ms']} ms",
          flush=True)
    return r


COLUMNS = (("us/pkt", "us_per_packet", "{:.1f}"), ("cores", "cores", "{:.2f}"), ("pkt/s", "packets_per_s", "{:.0f}"),
           ("p50", "p50_ms", "{:.2f}"), ("p99", "p99_ms", "{:.2f}"), ("loss%", "loss_pct", "{:.3f}"),
           ("KB/peer", "rss_kb_per_peer", "{:.0f}"), ("lag p99", "lag_p99_ms", "{:.1f}"))
RATIOS = (("CPU/packet", "us_per_packet"), ("latency p50", "p50_ms"), ("latency p99", "p99_ms"),
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
    ap.add_argument("--settle", type=float, default=4, help="seconds after every peer is up before the window")
    ap.add_argument("--ramp", type=float, default=20, help="peers started per second")
    ap.add_argument("--setup-timeout", type=float, default=30)
    ap.add_argument("--video-kbps", type=int, default=300)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--simulcast", action="store_true")
    ap.add_argument("--json", help="also write every measurement to this file")
    a = ap.parse_args()
    sizes = [parse_size(s) for s in a.sizes.split(",") if s]
    if not os.access(CVLOAD, os.X_OK):
        sys.exit(f"{CVLOAD} is not built (run make)")
    print(f"# Janus pid {JANUS_PID}; {os.cpu_count()} CPUs; {a.runs} runs x {a.seconds:g} s per SFU and size; "
          f"video {a.video_kbps} kbps {a.fps} fps{' simulcast' if a.simulcast else ''}", flush=True)
    results = {}
    for scenario, n in sizes:
        for run in range(a.runs):
            order = TARGETS if run % 2 == 0 else TARGETS[::-1]
            for target in order:
                try:
                    r = await measure(target, scenario, n, a, run)
                except Exception as e:  # noqa: BLE001 - one failed run must not lose the others
                    print(f"# run {run} {scenario}:{n} {target}: FAILED: {e}", flush=True)
                    continue
                results.setdefault((scenario, n), {}).setdefault(target, []).append(r)
                await asyncio.sleep(2)      # the SFU tears down the last run's PeerConnections
    print()
    print(f"Medians of {a.runs} runs, {a.seconds:g} s windows (latency: video, ms; us/pkt: Janus CPU per forwarded packet)")
    header = f"{'size':14s} {'SFU':9s} " + " ".join(f"{c[0]:>8s}" for c in COLUMNS) + "  runs"
    print(header)
    for (scenario, n), by_target in results.items():
        for target in TARGETS:
            rs = by_target.get(target, [])
            cells = " ".join(f"{c[2].format(median(rs, c[1])):>8s}" for c in COLUMNS)
            print(f"{scenario + ':' + str(n):14s} {target:9s} {cells}  {len(rs)}")
    print()
    print("Ratios Convene/VideoRoom (of the medians; below 1: Convene uses less)")
    print(f"{'size':14s} " + " ".join(f"{r[0]:>12s}" for r in RATIOS))
    for (scenario, n), by_target in results.items():
        c, v = by_target.get("convene", []), by_target.get("videoroom", [])
        cells = " ".join(f"{ratio(median(c, key), median(v, key)):12.2f}" for _, key in RATIOS)
        print(f"{scenario + ':' + str(n):14s} {cells}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{"scenario": s, "peers": n, "target": t, "runs": rs}
                       for (s, n), bt in results.items() for t, rs in bt.items()], f, indent=2)
    failed = sum(1 for s in sizes for t in TARGETS for _ in range(a.runs)) - sum(
        len(rs) for bt in results.values() for rs in bt.values())
    if failed:
        print(f"\n{failed} run(s) failed (see the '# run' lines)")
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
