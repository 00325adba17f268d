#!/usr/bin/python3
# with-server: --extra-plugin videoroom
#
# The load generator (tools/cvload/cvload, docs/loadgen.md) against both
# SFUs of the harness's Janus: Convene over CONVENE_WS_URL and Janus
# VideoRoom over the stock API at JANUS_WS_URL, the same scenarios on each:
# a meeting of 3 in one room, and a broadcast of 1 publisher to 4
# subscribers in each of 2 rooms side by side (--rooms 2).
#
# Each case runs cvload once and checks its JSON summary: every peer
# connected, every receiver got audio and video from every publisher of its
# room (read from the send stamps in the payloads, not from what the SFU
# says) and nothing from another room; each receiver got at least 3/4 of
# the audio each of its publishers sent over the measured time and no
# stream was silent for a second when the run ended (media kept flowing:
# loss from sequence numbers cannot see a stall at the end); loss under
# 5 %; latencies positive and finite; no packet on an m-line that the
# signaling attributed to another publisher ("misrouted"); no errors; exit
# status 0. Against VideoRoom, the rooms cvload created are
# gone afterwards.
#
# cvload gathers its ICE candidates on Janus's own address (CONVENE_HOST_IP):
# libnice pins each host candidate's socket to its interface, so between
# two libnice agents on the two ends of the harness's veth pair the
# packets would cross the veth with a local source address and be dropped
# (docs/loadgen.md, "Running it next to Janus").
import asyncio
import json
import math
import os
import sys

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "lib"))
from convene import case, check, check_eq, env, main, short  # noqa: E402

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


async def videoroom_rooms():
    """The ids of the VideoRoom rooms that exist now (stock Janus API, list)."""
    async with websockets.connect(env("JANUS_WS_URL"), subprotocols=["janus-protocol"], open_timeout=5) as ws:
        async def call(msg):
            await ws.send(json.dumps(msg))
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if reply.get("transaction") == msg["transaction"] and reply.get("janus") != "ack":
                    return reply
        session = (await call({"janus": "create", "transaction": "c"}))["data"]["id"]
        handle = (await call({"janus": "attach", "plugin": "janus.plugin.videoroom", "session_id": session,
                              "transaction": "a"}))["data"]["id"]
        reply = await call({"janus": "message", "session_id": session, "handle_id": handle, "transaction": "l",
                            "body": {"request": "list"}})
        await call({"janus": "destroy", "session_id": session, "transaction": "d"})
    return {str(r["room"]) for r in reply["plugindata"]["data"]["list"]}


async def check_rooms_gone(s):
    rooms = s["rooms"] if "rooms" in s else [s["room"]]
    left = set(rooms) & await videoroom_rooms()
    check(not left, f"VideoRoom rooms cvload created are still there: {sorted(left)}")


MEETING = ("--scenario", "meeting", "--participants", "3", "--duration", "8", "--ramp", "10")
BROADCAST = ("--scenario", "broadcast", "--participants", "4", "--publishers", "1", "--rooms", "2",
             "--duration", "6", "--ramp", "20")


@case("convene: meeting of 3, everybody gets everybody's audio and video", timeout=45)
async def convene_meeting():
    status, s, err = await run_cvload("convene", *MEETING)
    check_eq(s["target"], "convene", "target")
    check_summary(status, s, err, peers=3, publishers_per_room=3, seconds=8)


@case("videoroom: meeting of 3, everybody gets everybody's audio and video", timeout=45)
async def videoroom_meeting():
    status, s, err = await run_cvload("videoroom", *MEETING)
    check_eq(s["target"], "videoroom", "target")
    check_summary(status, s, err, peers=3, publishers_per_room=3, seconds=8)
    await check_rooms_gone(s)


@case("convene: broadcast 1 x 4 in 2 rooms, every subscriber gets its room's publisher only", timeout=45)
async def convene_broadcast():
    status, s, err = await run_cvload("convene", *BROADCAST)
    check_summary(status, s, err, peers=10, publishers_per_room=1, seconds=6, rooms=2)
    check_eq(s["coverage"]["expected_pairs"], 8, "pairs")


@case("videoroom: broadcast 1 x 4 in 2 rooms, every subscriber gets its room's publisher only", timeout=45)
async def videoroom_broadcast():
    status, s, err = await run_cvload("videoroom", *BROADCAST)
    check_summary(status, s, err, peers=10, publishers_per_room=1, seconds=6, rooms=2)
    check_eq(s["coverage"]["expected_pairs"], 8, "pairs")
    await check_rooms_gone(s)


if __name__ == "__main__":
    main()
