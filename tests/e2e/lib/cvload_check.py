"""Running the load generator (tools/cvload/cvload, docs/loadgen.md) from an
end-to-end test, and checking its JSON summary: shared by test_cvload.py
and test_event_loops.py.

check_summary() fails the case unless every peer connected, every receiver
got audio and video from every publisher of its room (read from the send
stamps in the payloads, not from what the SFU says) and nothing from another
room, each receiver got at least 3/4 of the audio each of its publishers
sent over the measured time, no stream was silent for a second when the run
ended, loss stayed under 5 %, latencies are positive and finite, no packet
came on an m-line the signaling attributed to another publisher, and cvload
reported no error and exited with 0.
"""
import asyncio
import json
import math
import os

from convene import check, check_eq, env, short

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CVLOAD = os.path.join(TOP, "tools", "cvload", "cvload")
MAX_LOSS_PCT = 5.0
MAX_SILENCE_MS = 1000


async def run_cvload(target, *args, timeout=40):
    """Runs cvload; returns (exit status, summary, stderr)."""
    check(os.access(CVLOAD, os.X_OK), f"{CVLOAD} is not built (run make)")
    url = env("CONVENE_WS_URL") if target == "convene" else env("JANUS_WS_URL")
    cmd = [CVLOAD, "--target", target, "--url", url, "--ice-ip", env("CONVENE_HOST_IP"),
           "--admin-key", env("JANUS_ADMIN_SECRET"), "--per-peer", *args]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"cvload did not finish within {timeout}s: {' '.join(cmd)}")
    err = err.decode(errors="replace")
    try:
        summary = json.loads(out)
    except ValueError:
        raise AssertionError(f"cvload printed no JSON summary (status {proc.returncode}); "
                             f"stdout: {short(out.decode(errors='replace'))}; stderr tail: {err[-1500:]}")
    return proc.returncode, summary, err


def finite_positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def check_summary(status, s, stderr, peers, publishers_per_room, seconds, rooms=1):
    """The run's summary says everything worked."""
    where = f"{s.get('target')} {s.get('scenario')}"
    diag = f"errors: {short(s.get('errors'))}; stderr tail: {stderr[-800:]}"
    check_eq(s["peers"], {"total": peers, "started": peers, "connected": peers, "failed": 0}, f"{where} peers")
    check_eq(s["errors"], [], f"{where} errors")
    check_eq(status, 0, f"{where} exit status")
    check_eq(s["config"]["rooms"], rooms, f"{where} config.rooms")
    room_ids = s["rooms"] if rooms > 1 else [s["room"]]
    check_eq(len(set(room_ids)), rooms, f"{where} distinct room ids {room_ids}")
    cov = s["coverage"]
    check(cov["complete"], f"{where}: media missing for {cov['missing_count']} receiver/publisher pairs: "
                           f"{short(cov['missing'])}; {diag}")
    for k in ("audio_pairs", "video_pairs"):
        check_eq(cov[k], cov["expected_pairs"], f"{where} coverage {k}")
    check_eq(cov["cross_room_pairs"], 0, f"{where} receiver/publisher pairs of different rooms with media")
    for kind in ("audio", "video"):
        m = s[kind]
        check(m["sent_packets"] > 0 and m["received_packets"] > 0, f"{where} {kind}: nothing flowed: {short(m)}")
        check(m["loss_pct"] is not None and m["loss_pct"] < MAX_LOSS_PCT,
              f"{where} {kind}: loss {m['loss_pct']} % (lost {m['lost']} of {m['expected']})")
        lat = m["latency_ms"]
        check(lat["count"] > 0, f"{where} {kind}: no latency samples")
        for q in ("p50", "p99", "max"):
            check(finite_positive(lat[q]), f"{where} {kind}: latency {q} = {lat[q]}")
        check(lat["p50"] <= lat["p99"] <= lat["max"], f"{where} {kind}: latency quantiles out of order: {lat}")
        check_eq(m["misrouted"], 0, f"{where} {kind} packets on another publisher's m-line")
        check_eq(m["unstamped"], 0, f"{where} {kind} packets without a cvload stamp")
        check_eq(m["streams"], cov["expected_pairs"], f"{where} {kind} streams received")
    for q in ("p50", "p99"):
        check(finite_positive(s["setup_ms"][q]), f"{where}: setup_ms {q} = {s['setup_ms'][q]}")
    # every receiver got media from its publishers for most of the run (at
    # least 3/4 of the audio packets, 50/s, each sent while measured) and
    # until its end (no stream silent for a second when the summary was taken)
    detail = s["peer_detail"]
    check_eq(len(detail), peers, f"{where} peer_detail entries")
    per_room = {}
    for p in detail:
        per_room[p["room"]] = per_room.get(p["room"], 0) + 1
        sources = publishers_per_room - (1 if p["publishes"] else 0)
        check(p["connected"], f"{where}: {p['user']} not connected: {p.get('failure')}")
        if sources > 0:
            check(p["audio_received"] >= sources * 50 * seconds * 3 / 4,
                  f"{where}: {p['user']} got only {p['audio_received']} audio packets from {sources} "
                  f"publisher(s) in {seconds}s")
            check(p["video_received"] > 0, f"{where}: {p['user']} got no video")
            check(p["stalest_stream_ms"] is not None and p["stalest_stream_ms"] < MAX_SILENCE_MS,
                  f"{where}: {p['user']}: a stream was silent for {p['stalest_stream_ms']} ms at the end")
            check(p["first_media_ms"] is not None and finite_positive(p["first_media_ms"]),
                  f"{where}: {p['user']} first_media_ms = {p['first_media_ms']}")
    check_eq(sorted(per_room), sorted(room_ids), f"{where} rooms of the peers")
    check(len(set(per_room.values())) == 1, f"{where}: peers spread unevenly over the rooms: {per_room}")
