#!/usr/bin/python3
# Convene's CPU per forwarded packet as a multiple of the floor.
#
# The floor (tests/bench/floor.c) is the CPU time this machine needs, at the
# least, for one forwarded packet: SRTP-protect 1200 bytes with libsrtp2 and
# one sendmsg() to loopback. sfu_cpu.py measures Janus's whole CPU time per
# RTP packet it forwards to a subscriber (4-participant meeting by default),
# for Convene and for VideoRoom on the same Janus. This prints each as a
# multiple of the floor: how far above the unavoidable each SFU is. (The SFU
# figure also carries its share of receiving: recvmsg + srtp_unprotect of
# each incoming packet, spread over its subscribers, plus RTCP, ICE and
# thread wake-ups; the floor carries none of that.)
#
# The floor is defined on 1200-byte packets; the packets sfu_cpu.py's light
# aiortc clients make are much smaller (160x120 VP8, Opus), and SRTP's cost
# grows with the size. So when it runs the floor itself, this also runs it a
# second time (after sfu_cpu.py) at the mean size of the packets the SFUs
# forwarded (Janus's admin API: out bytes / out packets), and prints both
# multiples.
#
# Both measurements run by default, the floor first (Janus idle):
#   tests/e2e/with-server --extra-plugin videoroom -- /usr/bin/python3 tests/bench/floor_ratio.py [--runs 3] [--seconds 20]
# Or from saved results (no harness needed):
#   tests/bench/floor --json floor.json
#   tests/e2e/with-server --extra-plugin videoroom -- /usr/bin/python3 tests/bench/sfu_cpu.py --json sfu.json
#   tests/bench/floor_ratio.py --floor floor.json --sfu sfu.json
# Other options: --floor-runs N, --floor-packets N (floor.c), --only
# convene|videoroom, --participants N, --runs N, --seconds N (sfu_cpu.py),
# --json FILE (write the combined result).
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, path):
    print("# " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    with open(path) as f:
        return json.load(f)


def floor_cmd(a, path, size=None):
    cmd = [os.path.join(HERE, "floor"), "--runs", str(a.floor_runs), "--packets", str(a.floor_packets), "--json", path]
    return cmd + ["--bytes", str(size)] if size else cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--floor", metavar="FILE", help="floor.c's JSON (default: run it)")
    ap.add_argument("--sfu", metavar="FILE", help="sfu_cpu.py's JSON (default: run it, through the harness)")
    ap.add_argument("--floor-runs", type=int, default=5)
    ap.add_argument("--floor-packets", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--participants", type=int, default=4)
    ap.add_argument("--only", choices=["convene", "videoroom"])
    ap.add_argument("--json", metavar="FILE", help="write the combined result")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="convene-floor-") as tmp:
        if a.floor:
            with open(a.floor) as f:
                floor = json.load(f)
        else:
            path = os.path.join(tmp, "floor.json")
            floor = run_json(floor_cmd(a, path), path)
        if a.sfu:
            with open(a.sfu) as f:
                sfu = json.load(f)
        else:
            if "CONVENE_JANUS_PID" not in os.environ:
                sys.exit("floor_ratio.py: no --sfu FILE and not inside tests/e2e/with-server --extra-plugin videoroom")
            path = os.path.join(tmp, "sfu.json")
            cmd = [sys.executable, os.path.join(HERE, "sfu_cpu.py"), "--runs", str(a.runs), "--seconds", str(a.seconds),
                   "--participants", str(a.participants), "--json", path]
            if a.only:
                cmd += ["--only", a.only]
            sfu = run_json(cmd, path)
        sizes = [sfu[k]["mean_packet_bytes_median"] for k in ("convene", "videoroom")
                 if k in sfu and "mean_packet_bytes_median" in sfu[k]]
        floor_mean = None
        if not a.floor and sizes and all(x == x for x in sizes):   # not NaN
            size = min(1400, max(13, round(sum(sizes) / len(sizes))))
            path = os.path.join(tmp, "floor-mean.json")
            floor_mean = run_json(floor_cmd(a, path, size), path)

    floor_us = floor["protect_sendmsg"]["cpu_ns_median"] / 1000
    print(f"Floor on this machine (median of {floor['runs']} x {floor['packets_per_run']} packets, CPU time):"
          f" srtp_protect {floor['protect']['cpu_ns_median'] / 1000:.2f} us + sendmsg {floor['sendmsg']['cpu_ns_median'] / 1000:.2f} us"
          f" -> {floor_us:.2f} us per packet measured together")
    print(f"Janus CPU per forwarded packet, {sfu['participants']}-participant meeting, median of {sfu['runs']} x {sfu['seconds']} s:")
    out = {"bench": "floor_ratio", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "floor_us": floor_us,
           "floor": floor, "sfu_cpu": sfu}
    mean_us = None
    if floor_mean is not None:
        mean_us = floor_mean["protect_sendmsg"]["cpu_ns_median"] / 1000
        out.update(floor_mean_size_bytes=floor_mean["rtp_bytes"], floor_mean_size_us=mean_us, floor_mean_size=floor_mean)
        print(f"Floor at the forwarded packets' mean size ({floor_mean['rtp_bytes']} bytes of RTP):"
              f" srtp_protect {floor_mean['protect']['cpu_ns_median'] / 1000:.2f} us + sendmsg"
              f" {floor_mean['sendmsg']['cpu_ns_median'] / 1000:.2f} us -> {mean_us:.2f} us")
    for kind in ("convene", "videoroom"):
        if kind not in sfu:
            continue
        us = sfu[kind]["us_per_packet_median"]
        out[f"{kind}_us_per_packet"] = us
        out[f"{kind}_x_floor"] = us / floor_us
        line = f"  {kind:9s} {us:6.1f} us = {us / floor_us:4.1f} x the floor (1200 bytes)"
        if mean_us:
            out[f"{kind}_x_floor_mean_size"] = us / mean_us
            line += f", {us / mean_us:4.1f} x the floor at the mean size"
        print(line)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
    print(json.dumps({k: v for k, v in out.items() if k not in ("floor", "sfu_cpu", "floor_mean_size")}))


if __name__ == "__main__":
    main()
