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
import os
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from convene import case, check, check_eq, env, main  # noqa: E402
from cvload_check import check_summary, run_cvload  # noqa: E402

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
