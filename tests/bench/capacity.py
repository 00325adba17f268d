#!/usr/bin/python3
# Capacity: the largest broadcast (1 publisher, N subscribers) and the
# largest meeting (N participants, all publishing audio + video) that this
# machine sustains with less than 1 % loss and a forward latency p99 under
# 50 ms, for Convene and for Janus VideoRoom on the same Janus.
#
# Run through the harness, with VideoRoom loaded and the Convene limits that
# would stop a large room lifted (docs/benchmarks.md, "Capacity"):
#   tests/e2e/with-server --extra-plugin videoroom --set plugin.default_max_participants=0 \
#       --set transport.max_connections_per_ip=0 -- /usr/bin/python3 tests/bench/capacity.py \
#       [--scenarios broadcast,meeting] [--seconds 10] [--json FILE]
# or `make capacity CAPACITY_ARGS="..."`.
#
# The search, per scenario and SFU: a step is one cvload run at size N,
# measured exactly as tests/bench/cvload_bench.py measures one (measure() in
# cvload_run.py: every peer up, --settle seconds, then a --seconds window).
# The step passes when every peer connected, loss (audio + video, from RTP
# sequence numbers, whole run) is under --max-loss % and the p99 forward
# latency of audio and of video (the window) are both under --max-p99 ms.
# N starts at --broadcast-start / --meeting-start (50, 8) and grows by
# --broadcast-growth / --meeting-growth (x2, x1.5: a meeting's load grows as
# N squared) while steps pass, up to --broadcast-max / --meeting-max (400,
# 40); after the first failure it bisects between the largest N that
# passed and the smallest that failed until they are within --resolution of
# each other (15 %: 200 vs 230); if the first step fails, N halves instead. The sizes are assumed monotonic
# (what passes at N passes below it): a shared machine can break that, so
# every step is printed, and a result is the largest N seen to pass with the
# smallest N seen to fail. The two SFUs' searches take turns step by step,
# so that a change in the machine's load falls on both. Between steps the
# script waits until Janus is idle again (the last run's PeerConnections
# torn down). --budget caps the whole run (600 s), shared by the scenarios
# in turn (a scenario may use what the ones before it left): a search that
# runs out stops where it is and says so.
#
# Who broke the limit, for a failing step (the first that applies):
#   load generator   cvload used at least --cvload-busy (0.85) of a core in
#                    the window: it runs on one thread, on the same 2 cores
#                    as Janus, and was saturated;
#   other processes  the rest of the machine (busy cores from /proc/stat,
#                    minus Janus and cvload) used --others-busy (0.5) cores
#                    or more: the machine is shared; such a step is run
#                    again once when its loss and p99 were within
#                    --retry-margin (3) times the limits (--no-retry: never),
#                    and the retry stands;
#   load generator   cvload's pacer ran --max-lag (25) ms late or more at
#                    p99: its loop could not read the datagrams in time, so
#                    the latency includes its own queueing;
#   load generator   only latency broke the limits, and it would not have
#                    with cvload's pacer lag p99 taken off (a first-order
#                    estimate of how long a datagram waited for cvload's
#                    loop: p99s do not really subtract);
#   SFU              otherwise (Janus's cores are printed: on 2 cores shared
#                    with cvload, "SFU" can also mean "no CPU left").
# When the load generator is the limit, the SFU sustains at least the
# largest N that passed. A step whose peers did not all connect failed in
# the set-up. Every step's line gives Janus's cores, cvload's cores and the
# other processes' cores in the window.
#
# Output: one line per step, then per scenario and SFU the largest N that
# passed, the smallest that failed and why, and the ratio Convene/VideoRoom
# of the capacities. --json FILE writes the steps (each with every
# measurement, including Janus's CPU per forwarded packet, which
# tests/bench/plot.py can add to its plot) after every step, and the
# results at the end. If Janus dies (a crash under load is a finding too),
# the searches stop, the results so far are printed and the exit status is
# 1 (the harness then prints the end of Janus's log).
import argparse
import asyncio
import datetime
import json
import os
import sys
import time

from cvload_run import (CVLOAD, TARGETS, JanusGone, RunFailed, add_load_options, janus_pid, janus_quiet,
                        janus_threading, json_args, measure, peers_of, pin)

SCENARIOS = ("broadcast", "meeting")
MINIMUM = {"broadcast": 1, "meeting": 2}


class Search:
    """Growth (x growth per step), then bisection, for the largest N that passes."""

    def __init__(self, start, cap, minimum, resolution, growth):
        self.start, self.cap, self.minimum, self.resolution, self.growth = start, cap, minimum, resolution, growth
        self.lo = None          # the largest N that passed
        self.hi = None          # the smallest N that failed
        self.failure = None     # the step at self.hi

    def next(self):
        """The next N to try, or None when the search is over."""
        if self.hi is None:
            if self.lo is None:
                return self.start
            return None if self.lo >= self.cap else min(max(self.lo + 1, round(self.lo * self.growth)), self.cap)
        if self.lo is None:
            n = self.hi // 2
            return n if n >= self.minimum else None
        if self.hi - self.lo <= max(1, int(self.lo * self.resolution)):
            return None
        return (self.lo + self.hi) // 2

    def record(self, n, step):
        if step["ok"]:
            self.lo = n if self.lo is None else max(self.lo, n)
        elif self.hi is None or n <= self.hi:
            self.hi, self.failure = n, step


def judge(r, a):
    """What broke the limits in a measured step (empty: it passed)."""
    broken = []
    if not r["loss_pct"] < a.max_loss:
        broken.append(f"loss {r['loss_pct']:.2f} %")
    for kind, key in (("audio", "audio_p99_ms"), ("video", "p99_ms")):
        if r.get(key) is None or not r[key] < a.max_p99:
            broken.append(f"{kind} p99 {r.get(key)} ms")
    return broken


def limited_by(r, a):
    """Who broke the limits of a failed step: (who, why); r is measure()'s result, or RunFailed's info."""
    cvl, others, lag = r.get("cvload_cores"), r.get("others_cores"), r.get("lag_p99_ms")
    if cvl is not None and cvl >= a.cvload_busy:
        return "load generator", f"cvload used {cvl:.2f} of its one core"
    if others is not None and others >= a.others_busy:
        return "other processes", f"other processes used {others:.2f} cores"
    if lag is not None and lag >= a.max_lag:
        return "load generator", f"cvload's loop ran late, lag p99 {lag:g} ms"
    p99s = [r[k] for k in ("audio_p99_ms", "p99_ms") if r.get(k) is not None and r[k] >= a.max_p99]
    if lag is not None and p99s and r["loss_pct"] < a.max_loss and max(p99s) - lag < a.max_p99:
        return "load generator", f"p99 less cvload's lag p99 ({lag:g} ms) is within the limit"
    return "SFU", f"Janus {r.get('cores', r.get('janus_cores', float('nan'))):.2f} cores"


def near_limits(s, a):
    """A failure within --retry-margin times the limits (a wider one would not pass on a quieter machine either)."""
    r = s.get("run")
    if r is None:
        return False
    p99 = max(x for x in (r.get("audio_p99_ms"), r.get("p99_ms"), 0) if x is not None)
    return r["loss_pct"] < a.max_loss * a.retry_margin and p99 < a.max_p99 * a.retry_margin


def blame(s):
    who, why = s["limited_by"]
    return f"limited by the {who}: {why}"


async def step(target, scenario, n, a):
    """One run at size n, judged; a failure while other processes kept the machine busy is run again once."""
    s = await step_once(target, scenario, n, a)
    if not s["ok"] and s["limited_by"][0] == "other processes" and a.retry and near_limits(s, a):
        print(f"# {scenario}:{n} {target:9s}: again (other processes were busy)", flush=True)
        again = await step_once(target, scenario, n, a)
        again["first_try"] = s
        s = again
    return s


async def step_once(target, scenario, n, a):
    t0 = time.monotonic()
    try:
        r = await measure(target, scenario, n, a)
    except RunFailed as e:
        info = e.info
        s = {"scenario": scenario, "target": target, "n": n, "ok": False, "broken": ["set-up: " + str(e).split(":")[0]],
             "limited_by": limited_by(info, a), "failed_run": info}
        print(f"# {scenario}:{n} {target:9s}: FAIL ({s['broken'][0]}; {blame(s)}; since cvload started: cvload "
              f"{info.get('cvload_cores', float('nan')):.2f} cores, Janus {info.get('janus_cores', float('nan')):.2f}"
              f" cores)", flush=True)
    else:
        broken = judge(r, a)
        s = {"scenario": scenario, "target": target, "n": n, "ok": not broken, "broken": broken,
             "limited_by": limited_by(r, a) if broken else None, "run": r}
        verdict = "pass" if not broken else f"FAIL ({', '.join(broken)}; {blame(s)})"
        print(f"# {scenario}:{n} {target:9s}: {verdict}: loss {r['loss_pct']:.2f} %, p99 audio/video "
              f"{r['audio_p99_ms']}/{r['p99_ms']} ms, {r['packets_per_s']:.0f} packets/s, Janus {r['cores']:.2f} cores "
              f"({r['us_per_packet']:.1f} us/packet), cvload {r['cvload_cores']:.2f} cores (lag p99 {r['lag_p99_ms']} ms),"
              f" others {r['others_cores']:.2f} cores", flush=True)
    s["seconds"] = round(time.monotonic() - t0, 1)
    if not await janus_quiet():
        print("# (Janus still busy 20 s after the run)", flush=True)
    return s


def describe(search):
    if search.lo is None and search.hi is None:
        return "not measured"
    if search.lo is None:
        return f"none (fails at {search.hi})"
    if search.hi is None:
        return f">= {search.lo} (the cap)" if search.lo >= search.cap else f">= {search.lo} (search cut short)"
    return str(search.lo) if search.next() is None else f"{search.lo} (search cut short)"


async def main():
    ap = argparse.ArgumentParser(description="Largest broadcast and meeting per SFU under limits of loss and latency"
                                             " (run inside tests/e2e/with-server)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help="broadcast, meeting, or both")
    ap.add_argument("--targets", default=",".join(TARGETS), help="convene, videoroom, or both")
    ap.add_argument("--seconds", type=float, default=10, help="measured window of each step")
    add_load_options(ap, settle=2, ramp=50, setup_timeout=20)
    ap.add_argument("--broadcast-start", type=int, default=50)
    ap.add_argument("--broadcast-max", type=int, default=400)
    ap.add_argument("--broadcast-growth", type=float, default=2, help="N grows by this factor while steps pass")
    ap.add_argument("--meeting-start", type=int, default=8)
    ap.add_argument("--meeting-max", type=int, default=40)
    ap.add_argument("--meeting-growth", type=float, default=1.5,
                    help="N grows by this factor while steps pass (a meeting's load grows as N squared)")
    ap.add_argument("--resolution", type=float, default=0.15,
                    help="stop when the smallest failing N is within this fraction of the largest passing one")
    ap.add_argument("--max-loss", type=float, default=1.0, help="percent")
    ap.add_argument("--max-p99", type=float, default=50.0, help="ms, forward latency p99 of audio and of video")
    ap.add_argument("--cvload-busy", type=float, default=0.85,
                    help="cores: a failing step whose cvload used this much is limited by the load generator")
    ap.add_argument("--max-lag", type=float, default=25.0,
                    help="ms: a failing step whose cvload pacer was this late at p99 is limited by the load generator")
    ap.add_argument("--others-busy", type=float, default=0.5,
                    help="cores: a failing step while other processes used this much is blamed on them (and run again)")
    ap.add_argument("--no-retry", dest="retry", action="store_false",
                    help="do not run again a step that failed while other processes were busy")
    ap.add_argument("--retry-margin", type=float, default=3,
                    help="run such a step again only when its loss and p99 were within this many times the limits")
    ap.add_argument("--budget", type=float, default=600,
                    help="seconds for the whole run, shared by the scenarios in turn (0: no limit)")
    ap.add_argument("--json", help="also write every step and the results to this file")
    a = ap.parse_args()
    scenarios = [s for s in a.scenarios.split(",") if s]
    targets = [t for t in a.targets.split(",") if t]
    if any(s not in SCENARIOS for s in scenarios) or any(t not in TARGETS for t in targets):
        ap.error("--scenarios: broadcast,meeting; --targets: convene,videoroom")
    if not os.access(CVLOAD, os.X_OK):
        sys.exit(f"{CVLOAD} is not built (run make)")
    began = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    print(f"# {began:%Y-%m-%d %H:%M} UTC; Janus pid {janus_pid()}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; limits: loss < {a.max_loss:g} %, p99 < {a.max_p99:g} ms; {a.seconds:g} s windows; "
          f"video {a.video_kbps} kbps {a.fps} fps{' simulcast' if a.simulcast else ''}", flush=True)
    print(f"# Janus: {janus_threading()}; {pin(a)}", flush=True)
    steps = []
    searches = {}
    state = {"cut_short": False, "janus_gone": None}

    def write_json(results=None):
        """The steps so far (after every step: a crash must not lose them), and at the end the results."""
        if a.json:
            with open(a.json, "w") as fj:
                json.dump({"tool": "capacity", "date": began.isoformat(timespec="seconds"), "cpus": os.cpu_count(),
                           "load_average_end": os.getloadavg(), "args": json_args(a), **state,
                           "results": results, "steps": steps}, fj, indent=2)

    try:
        for i, scenario in enumerate(scenarios):
            # each scenario may run until its share of the budget (and what the ones before it left) is spent
            deadline = t0 + a.budget * (i + 1) / len(scenarios) if a.budget else None
            start, cap, growth = ((a.broadcast_start, a.broadcast_max, a.broadcast_growth) if scenario == "broadcast"
                                  else (a.meeting_start, a.meeting_max, a.meeting_growth))
            for target in targets:
                searches[scenario, target] = Search(min(start, cap), cap, MINIMUM[scenario], a.resolution, growth)
            turn = 0
            while True:
                order = targets if turn % 2 == 0 else targets[::-1]
                turn += 1
                todo = [(t, searches[scenario, t].next()) for t in order]
                todo = [(t, n) for t, n in todo if n is not None]
                if not todo:
                    break
                if deadline and time.monotonic() > deadline:
                    state["cut_short"] = True
                    print(f"# {scenario}: its share of the budget ({a.budget:g} s) is spent: its searches stop here",
                          flush=True)
                    break
                for target, n in todo:
                    s = await step(target, scenario, n, a)
                    steps.append(s)
                    searches[scenario, target].record(n, s)
                    write_json()
    except JanusGone as e:      # a crash: what was measured before it still stands
        state["janus_gone"] = f"{e} (during or after {scenario}:{n} against {target})"
        print(f"# {state['janus_gone']}", flush=True)

    print()
    print(f"Capacity: loss < {a.max_loss:g} %, p99 < {a.max_p99:g} ms (audio and video), {a.seconds:g} s windows"
          f"{' (cut short by --budget)' if state['cut_short'] else ''}{' (cut short: Janus died)' if state['janus_gone'] else ''}")
    print(f"{'scenario':10s} {'SFU':9s} {'sustains':>24s} {'fails at':>9s}  why")
    results = []
    for (scenario, target), sr in searches.items():
        f = sr.failure
        why = "" if f is None else f"{', '.join(f['broken'])}; {blame(f)}"
        unit = "subscribers" if scenario == "broadcast" else "participants"
        print(f"{scenario:10s} {target:9s} {describe(sr):>24s} {sr.hi if sr.hi is not None else '-':>9}  {why}")
        at = next((s["run"] for s in steps if s["scenario"] == scenario and s["target"] == target
                   and s["ok"] and s["n"] == sr.lo), None)
        results.append({"scenario": scenario, "target": target, "unit": unit, "sustains": sr.lo, "fails_at": sr.hi,
                        "capped": sr.hi is None and sr.lo is not None and sr.lo >= sr.cap,
                        "complete": sr.next() is None, "failure": f, "at_capacity": at,
                        "peers_at_capacity": peers_of(scenario, sr.lo, a.rooms) if sr.lo else None})
    for scenario in scenarios:
        c, v = searches.get((scenario, "convene")), searches.get((scenario, "videoroom"))
        if c and v and c.lo and v.lo:
            open_ended = c.hi is None or v.hi is None or c.next() is not None or v.next() is not None
            bounds = " (not both bracketed: a lower bound is involved)" if open_ended else ""
            print(f"{scenario}: Convene/VideoRoom {c.lo / v.lo:.2f} ({c.lo} / {v.lo}){bounds}")
    print(f"# {len(steps)} steps in {time.monotonic() - t0:.0f} s")
    write_json(results)
    if state["janus_gone"]:
        sys.exit(1)

if __name__ == "__main__":
    asyncio.run(main())
