# One measured cvload run against one SFU on the harness's Janus: the part
# that tests/bench/cvload_bench.py (Convene vs VideoRoom at fixed sizes) and
# tests/bench/capacity.py (the largest size each SFU sustains) share.
#
# Imported, not run; both scripts run inside tests/e2e/with-server
# --extra-plugin videoroom, which gives the URLs, CONVENE_HOST_IP (cvload
# gathers its candidates there: docs/loadgen.md, "Running it next to
# Janus") and CONVENE_JANUS_PID.
#
# measure() starts cvload on one scenario in a new room (Convene: created on
# join; VideoRoom: created by cvload, destroyed after) and reads its progress
# line on stderr (every second: peers started/up/failed, packets sent and
# received per kind). Once every peer is up and `settle` seconds have
# passed, the window starts: CPU time of Janus and of cvload (/proc/PID/stat,
# utime + stime of all threads) and of the whole machine (/proc/stat: the
# machine is shared), Janus's RSS (/proc/PID/status), cvload's received
# packet counters; cvload gets SIGUSR1 (its latency and loop-lag histograms
# start over). `seconds` later the window ends, cvload gets SIGINT, which
# ends its run and prints its JSON summary (loss, latencies, loop lag).
# A peer that fails, or a window that does not complete in time, raises
# RunFailed (with what was known: the CPU cvload and Janus used so far);
# reading Janus's /proc files once it has died raises JanusGone.
import argparse
import asyncio
import json
import os
import re
import signal
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CVLOAD = os.path.join(TOP, "tools", "cvload", "cvload")
TICKS = os.sysconf("SC_CLK_TCK")
PROGRESS = re.compile(r"\[cvload +([0-9.]+)\] peers started (\d+), up (\d+), failed (\d+); "
                      r"audio sent (\d+) received (\d+); video sent (\d+) received (\d+)")
TARGETS = ("convene", "videoroom")


class RunFailed(RuntimeError):
    """The run gave no complete window; .info holds what was measured until then."""

    def __init__(self, message, info=None):
        super().__init__(message)
        self.info = info or {}


class JanusGone(RuntimeError):
    """Janus is not running any more (it crashed): nothing more can be measured."""


def janus_pid():
    return int(os.environ["CONVENE_JANUS_PID"])


def cpu_seconds(pid):
    """utime + stime of every thread of process pid, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def janus_cpu_seconds():
    try:
        return cpu_seconds(janus_pid())
    except FileNotFoundError:
        raise JanusGone(f"Janus (pid {janus_pid()}) is gone: the harness prints the end of its log") from None


def janus_context_switches():
    """Context switches of all Janus's threads so far (voluntary + involuntary, /proc/PID/task/*/status).
    Threads that ended are not counted: read it over a window in which Janus's threads stay."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{janus_pid()}/task")
    except FileNotFoundError:
        raise JanusGone(f"Janus (pid {janus_pid()}) is gone: the harness prints the end of its log") from None
    for tid in tasks:
        try:
            with open(f"/proc/{janus_pid()}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass                                # a thread that just ended
    return total


def janus_rss_kb():
    try:
        with open(f"/proc/{janus_pid()}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        raise JanusGone(f"Janus (pid {janus_pid()}) is gone: the harness prints the end of its log") from None
    return 0


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy (every CPU, every process: /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is inside user)
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / TICKS


def parse_cpus(text):
    """"0" or "1-3" or "0,2": a CPU set for --pin-janus / --pin-cvload."""
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise argparse.ArgumentTypeError(f"bad CPU list {text!r}")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def pin(a):
    """Applies --pin-janus (every Janus thread; threads it starts later inherit it) and --pin-cvload (this
    process: cvload inherits it). Returns a description for the report."""
    done = []
    if getattr(a, "pin_janus", None):
        for tid in os.listdir(f"/proc/{janus_pid()}/task"):
            try:
                os.sched_setaffinity(int(tid), a.pin_janus)
            except (ProcessLookupError, FileNotFoundError):
                pass
        done.append(f"Janus on CPU {sorted(a.pin_janus)}")
    if getattr(a, "pin_cvload", None):
        os.sched_setaffinity(0, a.pin_cvload)
        done.append(f"cvload on CPU {sorted(a.pin_cvload)}")
    return ", ".join(done) or "not pinned"


def json_args(a):
    """The parsed options as JSON can hold them (CPU sets as sorted lists)."""
    return {k: sorted(v) if isinstance(v, set) else v for k, v in vars(a).items()}


def janus_threading():
    """How Janus runs PeerConnections: its static event loops (admin loops_info) and whether the Convene
    transport places them by room (query_transport). A description for the report."""
    import urllib.request

    def admin(body):
        body = dict(body, transaction="bench", admin_secret=os.environ["JANUS_ADMIN_SECRET"])
        req = urllib.request.Request(os.environ["JANUS_ADMIN_URL"], data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=3) as resp:
            return json.loads(resp.read().decode())
    try:
        loops = len(admin({"janus": "loops_info"}).get("loops") or [])
        placing = ((admin({"janus": "query_transport", "transport": "janus.transport.convene", "request": {}})
                    .get("response") or {}).get("event_loops") or {}).get("affinity")
    except OSError as e:
        return f"unknown ({e})"
    if loops == 0:
        return "a thread per PeerConnection (no static event loops)"
    return f"{loops} static event loops, Convene room affinity {'on' if placing else 'off'}"


def parse_size(text):
    scenario, _, n = text.partition(":")
    if scenario not in ("meeting", "broadcast", "audio") or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (meeting:N, broadcast:N or audio:N)")
    return scenario, int(n)


def peers_of(scenario, n, rooms=1):
    return (n + 1 if scenario == "broadcast" else n) * rooms


def size_label(scenario, n, a):
    """meeting:8, or meeting:4x3 for 3 rooms of that size side by side (--rooms)."""
    rooms = getattr(a, "rooms", 1)
    return f"{scenario}:{n}" + (f"x{rooms}" if rooms > 1 else "")


def add_load_options(ap, settle=4, ramp=20, setup_timeout=30):
    """The options of the load itself, common to the scripts."""
    ap.add_argument("--settle", type=float, default=settle, help="seconds after every peer is up before the window")
    ap.add_argument("--ramp", type=float, default=ramp, help="peers started per second")
    ap.add_argument("--setup-timeout", type=float, default=setup_timeout,
                    help="seconds the set-up may take (beyond the ramp) before a run counts as failed")
    ap.add_argument("--video-kbps", type=int, default=300)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--simulcast", action="store_true")
    ap.add_argument("--pin-janus", type=parse_cpus, metavar="CPUS", help="run Janus's threads on these CPUs only")
    ap.add_argument("--pin-cvload", type=parse_cpus, metavar="CPUS", help="run cvload on these CPUs only")
    ap.add_argument("--rooms", type=int, default=1,
                    help="run each size in this many rooms side by side (cvload --rooms)")


def cvload_args(target, scenario, n, a):
    url = os.environ["CONVENE_WS_URL"] if target == "convene" else os.environ["JANUS_WS_URL"]
    args = [CVLOAD, "--target", target, "--url", url, "--ice-ip", os.environ["CONVENE_HOST_IP"],
            "--admin-key", os.environ["JANUS_ADMIN_SECRET"], "--scenario", scenario,
            "--ramp", str(a.ramp), "--video-kbps", str(a.video_kbps), "--fps", str(a.fps),
            "--setup-timeout", str(int(a.setup_timeout)),
            "--duration", str(int(a.settle + a.seconds + 60))]     # a cap: SIGINT ends the run
    if scenario == "broadcast":
        args += ["--participants", str(n), "--publishers", "1"]         # 1 publisher, n subscribers
    else:
        args += ["--participants", str(n)]
    if a.simulcast:
        args.append("--simulcast")
    if getattr(a, "rooms", 1) > 1:
        args += ["--rooms", str(a.rooms)]
    return args


def _p99(summary, kind):
    k = summary.get(kind) or {}
    return (k.get("latency_ms") or {}).get("p99")


async def measure(target, scenario, n, a):
    """One cvload run against one SFU (in a new room); returns the measurements or raises RunFailed."""
    peers = peers_of(scenario, n, getattr(a, "rooms", 1))
    rss0 = janus_rss_kb()
    proc = await asyncio.create_subprocess_exec(*cvload_args(target, scenario, n, a),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    began = (time.monotonic(), janus_cpu_seconds())
    out_task = asyncio.ensure_future(proc.stdout.read())
    tail = []
    start = end = None
    all_up_at = None
    deadline = time.monotonic() + a.setup_timeout + peers / a.ramp + a.settle + a.seconds + 10

    def so_far():
        """What the run cost until now (for a failed run): cores of cvload and Janus since it started."""
        wall = max(time.monotonic() - began[0], 1e-3)
        info = {"janus_cores": (janus_cpu_seconds() - began[1]) / wall, "elapsed_s": wall}
        try:
            info["cvload_cores"] = cpu_seconds(proc.pid) / wall
        except OSError:
            pass
        return info

    try:
        while end is None:
            line = await asyncio.wait_for(proc.stderr.readline(), max(1.0, deadline - time.monotonic()))
            if not line:
                raise RunFailed(f"cvload ended before the window closed: {''.join(tail[-5:])}")
            text = line.decode(errors="replace")
            tail.append(text)
            m = PROGRESS.search(text)
            if m is None:
                continue
            t, started, up, failed = float(m[1]), int(m[2]), int(m[3]), int(m[4])
            received = int(m[6]) + int(m[8])
            if failed:
                raise RunFailed(f"{failed} of {peers} peer(s) failed to set up: {''.join(tail[-3:])}",
                                dict(so_far(), failed=failed, up=up))
            if started < peers or up < peers:
                continue
            if all_up_at is None:
                all_up_at = t
            # progress lines come about every second: half a second of slack
            if start is None and t - all_up_at >= a.settle - 0.5:
                start = (t, janus_cpu_seconds(), received, janus_rss_kb(), cpu_seconds(proc.pid),
                         machine_busy_seconds(), janus_context_switches())
                proc.send_signal(signal.SIGUSR1)    # latencies from the window on
            elif start is not None and t - start[0] >= a.seconds - 0.5:
                end = (t, janus_cpu_seconds(), received, cpu_seconds(proc.pid), machine_busy_seconds(),
                       janus_context_switches())
    except asyncio.TimeoutError:
        raise RunFailed(f"no complete window within the time allowed: {''.join(tail[-5:])}", so_far()) from None
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
    p99s = [p for p in (_p99(summary, "audio"), _p99(summary, "video")) if p is not None]
    return {
        "us_per_packet": cpu / packets * 1e6 if packets else float("nan"),
        "cores": cpu / seconds,
        "cs_per_packet": (end[5] - start[6]) / packets if packets else float("nan"),
        "packets_per_s": packets / seconds,
        "p50_ms": video["latency_ms"]["p50"],
        "p99_ms": video["latency_ms"]["p99"],
        "audio_p99_ms": _p99(summary, "audio"),
        "worst_p99_ms": max(p99s) if p99s else None,
        "loss_pct": 100.0 * lost / expected if expected else float("nan"),
        "rss_kb_per_peer": (start[3] - rss0) / peers,
        "lag_p99_ms": summary["loop_lag_ms"]["p99"],
        "late_frames": sum((summary[k] or {}).get("late_frames", 0) for k in ("audio", "video")),
        "kernel_udp": summary.get("kernel_udp"),
        "cvload_cores": (end[3] - start[4]) / seconds,
        "machine_cores": (end[4] - start[5]) / seconds,
        # the rest of the machine: neither Janus nor cvload (the machine may be shared)
        "others_cores": max(0.0, (end[4] - start[5] - (end[1] - start[1]) - (end[3] - start[4])) / seconds),
        "connected": summary["peers"]["connected"],
        "peers": peers,
    }


async def janus_quiet(limit_cores=0.1, timeout=20.0):
    """Waits (at most timeout s) until Janus uses under limit_cores over a second: the last run's teardown is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c0 = janus_cpu_seconds()
        await asyncio.sleep(1.0)
        if janus_cpu_seconds() - c0 < limit_cores:
            return True
    return False
