#!/usr/bin/python3
# Janus CPU per forwarded packet: Convene vs Janus VideoRoom, on the same
# Janus, same load: N participants (default 4), each publishing audio and
# video and receiving every other participant.
#
# Run through the harness, with VideoRoom loaded:
#   tests/e2e/with-server --extra-plugin videoroom -- /usr/bin/python3 tests/bench/sfu_cpu.py [--runs 3] [--seconds 20]
#
# For each run and each SFU: the participants (aiortc, synthetic 160x120
# 15 fps VP8 + Opus) connect, media settles, then over the window the Janus
# process's CPU time (utime+stime from /proc/PID/stat) and the RTP packets
# the SFU sent to subscribers (admin API handle_info: out packets of every
# m-line the server sends on) are measured. Prints, per SFU, the median over
# runs of Janus CPU seconds per 1000 forwarded packets, and the ratio
# Convene/VideoRoom. Runs alternate between the two SFUs.
# --json FILE also writes the result as one JSON object (read by
# tests/bench/floor_ratio.py); --only convene|videoroom measures one SFU.
import argparse
import asyncio
import fractions
import json
import os
import statistics
import sys
import time
import urllib.request

import numpy  # noqa: F401  (av frames)
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame

WS = os.environ["CONVENE_WS_URL"]
JANUS_WS = os.environ["JANUS_WS_URL"]
ADMIN = os.environ["JANUS_ADMIN_URL"]
ADMIN_SECRET = os.environ["JANUS_ADMIN_SECRET"]
JANUS_PID = int(os.environ["CONVENE_JANUS_PID"])
TICKS = os.sysconf("SC_CLK_TCK")


class SmallVideo(VideoStreamTrack):
    """160x120 at 15 fps: cheap to encode, so the clients stay light."""
    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=160, height=120)
        for p in frame.planes:
            p.update(bytes([(self.n * 7) % 256]) * p.buffer_size)
        self.n += 1
        frame.pts, frame.time_base = pts, time_base
        return frame

    async def next_timestamp(self):
        if not hasattr(self, "_t0"):
            self._t0 = time.time()
            self._ts = 0
        else:
            self._ts += 6000
            wait = self._t0 + self._ts / 90000 - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        return self._ts, fractions.Fraction(1, 90000)


def new_pc():
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def drain(track):
    while True:
        try:
            await track.recv()
        except Exception:
            return


def cpu_seconds():
    with open(f"/proc/{JANUS_PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def admin(path, body):
    body = dict(body, transaction="b", admin_secret=ADMIN_SECRET)
    req = urllib.request.Request(ADMIN + path, data=json.dumps(body).encode())
    return json.loads(urllib.request.urlopen(req, timeout=5).read())


def forwarded_packets(plugin):
    """RTP packets and bytes sent by the server on media it forwards (sendonly m-lines)."""
    total = size = 0
    for sid in admin("", {"janus": "list_sessions"})["sessions"]:
        for hid in admin(f"/{sid}", {"janus": "list_handles"})["handles"]:
            info = admin(f"/{sid}/{hid}", {"janus": "handle_info"})["info"]
            if info.get("plugin") != plugin:
                continue
            for m in info.get("webrtc", {}).get("media", {}).values():
                d = m.get("direction", {})
                if d.get("send") and not d.get("recv"):
                    out = m.get("stats", {}).get("out", {})
                    total += out.get("packets", 0)
                    size += out.get("bytes", 0)
    return total, size


# --- Convene -------------------------------------------------------------------------

class ConveneParticipant:
    def __init__(self, room, user):
        self.room, self.user = room, user

    async def start(self):
        self.ws = await websockets.connect(WS)
        await self.ws.send(json.dumps({"type": "join", "roomId": self.room, "userId": self.user}))
        self.pc = new_pc()
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(SmallVideo())
        self.pc.on("track", lambda t: asyncio.ensure_future(drain(t)))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.ws.send(json.dumps({"type": "offer", "data": {"type": "offer", "sdp": self.pc.localDescription.sdp}}))
        self.task = asyncio.ensure_future(self.loop())

    async def loop(self):
        async for raw in self.ws:
            m = json.loads(raw)
            if m["type"] == "answer":
                await self.pc.setRemoteDescription(RTCSessionDescription(**m["data"]))
            elif m["type"] == "offer":
                await self.pc.setRemoteDescription(RTCSessionDescription(**m["data"]))
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self.ws.send(json.dumps({"type": "answer", "data": {"type": "answer", "sdp": self.pc.localDescription.sdp}}))

    async def stop(self):
        self.task.cancel()
        await self.pc.close()
        await self.ws.close()


# --- VideoRoom -------------------------------------------------------------------------

class JanusSession:
    """A minimal Janus API client: one session, several handles."""
    def __init__(self):
        self.pending, self.events, self.n = {}, {}, 0

    async def start(self):
        self.ws = await websockets.connect(JANUS_WS, subprotocols=["janus-protocol"])
        self.reader = asyncio.ensure_future(self.read())
        self.id = (await self.call({"janus": "create"}))["data"]["id"]
        self.keep = asyncio.ensure_future(self.keepalive())

    async def read(self):
        async for raw in self.ws:
            m = json.loads(raw)
            tx = m.get("transaction")
            if m.get("janus") == "event":
                self.events.setdefault(m.get("sender"), asyncio.Queue()).put_nowait(m)
            elif tx in self.pending and m.get("janus") != "ack":
                self.pending.pop(tx).set_result(m)

    async def keepalive(self):
        while True:
            await asyncio.sleep(15)
            await self.ws.send(json.dumps({"janus": "keepalive", "session_id": self.id, "transaction": "k"}))

    async def call(self, msg):
        self.n += 1
        tx = f"t{self.n}"
        fut = asyncio.get_event_loop().create_future()
        self.pending[tx] = fut
        if hasattr(self, "id"):
            msg["session_id"] = self.id
        await self.ws.send(json.dumps(dict(msg, transaction=tx)))
        return await asyncio.wait_for(fut, 10)

    async def attach(self, plugin):
        hid = (await self.call({"janus": "attach", "plugin": plugin}))["data"]["id"]
        self.events.setdefault(hid, asyncio.Queue())
        return hid

    async def message(self, hid, body, jsep=None, want=lambda ev: True):
        """Sends a plugin message; returns the first event of hid that `want`s."""
        msg = {"janus": "message", "handle_id": hid, "body": body}
        if jsep:
            msg["jsep"] = jsep
        self.n += 1
        await self.ws.send(json.dumps(dict(msg, session_id=self.id, transaction=f"m{self.n}")))
        while True:
            ev = await asyncio.wait_for(self.events[hid].get(), 10)
            data = ev.get("plugindata", {}).get("data", {})
            if "error" in data:
                raise RuntimeError(f"videoroom error: {data}")
            if want(ev):
                return ev

    async def stop(self):
        self.keep.cancel()
        await self.ws.close()
        self.reader.cancel()


class VideoRoomParticipant:
    def __init__(self, room, user):
        self.room, self.user = room, user

    async def start(self):
        self.j = JanusSession()
        await self.j.start()
        self.pub = await self.j.attach("janus.plugin.videoroom")
        ev = await self.j.message(self.pub, {"request": "join", "room": self.room, "ptype": "publisher", "display": self.user},
                                  want=lambda e: e["plugindata"]["data"].get("videoroom") == "joined")
        self.feed = ev["plugindata"]["data"]["id"]
        self.pc = new_pc()
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(SmallVideo())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        ev = await self.j.message(self.pub, {"request": "publish", "audio": True, "video": True},
                                  {"type": "offer", "sdp": self.pc.localDescription.sdp}, want=lambda e: "jsep" in e)
        await self.pc.setRemoteDescription(RTCSessionDescription(**ev["jsep"]))

    async def subscribe(self, feeds):
        self.sub = await self.j.attach("janus.plugin.videoroom")
        ev = await self.j.message(self.sub, {"request": "join", "room": self.room, "ptype": "subscriber",
                                             "streams": [{"feed": f} for f in feeds]}, want=lambda e: "jsep" in e)
        self.spc = new_pc()
        self.spc.on("track", lambda t: asyncio.ensure_future(drain(t)))
        await self.spc.setRemoteDescription(RTCSessionDescription(**ev["jsep"]))
        await self.spc.setLocalDescription(await self.spc.createAnswer())
        await self.j.message(self.sub, {"request": "start"},
                             {"type": "answer", "sdp": self.spc.localDescription.sdp},
                             want=lambda e: e["plugindata"]["data"].get("started") == "ok")

    async def stop(self):
        await self.pc.close()
        await self.spc.close()
        await self.j.stop()


async def measure(kind, n, seconds, run):
    room_name = f"bench-{run}"
    if kind == "convene":
        ps = [ConveneParticipant(room_name, f"p{i}") for i in range(n)]
        for p in ps:
            await p.start()
        plugin = "janus.plugin.convene"
    else:
        admin_j = JanusSession()
        await admin_j.start()
        h = await admin_j.attach("janus.plugin.videoroom")
        room = 7000 + run
        r = await admin_j.call({"janus": "message", "handle_id": h, "body": {
            "request": "create", "room": room, "publishers": n, "audiocodec": "opus", "videocodec": "vp8",
            "admin_key": ADMIN_SECRET}})
        assert r.get("plugindata", {}).get("data", {}).get("videoroom") == "created", r
        ps = [VideoRoomParticipant(room, f"p{i}") for i in range(n)]
        for p in ps:
            await p.start()
        await asyncio.sleep(3)     # a feed exists once its PeerConnection is up
        for p in ps:
            await p.subscribe([q.feed for q in ps if q is not p])
        await admin_j.stop()
        plugin = "janus.plugin.videoroom"
    await asyncio.sleep(6)     # ICE, DTLS, first keyframes, bitrate settles
    c0, (p0, b0) = cpu_seconds(), forwarded_packets(plugin)
    await asyncio.sleep(seconds)
    c1, (p1, b1) = cpu_seconds(), forwarded_packets(plugin)
    for p in ps:
        await p.stop()
    await asyncio.sleep(1)
    packets = p1 - p0
    mean_bytes = (b1 - b0) / packets if packets else float("nan")
    per_1000 = (c1 - c0) / packets * 1000 if packets else float("nan")
    print(f"# run {run} {kind:9s}: {packets} packets forwarded in {seconds}s, Janus CPU {c1 - c0:.2f}s"
          f" -> {per_1000 * 1000:.1f} ms per 1000 packets ({per_1000 / 1000 * 1e6:.1f} us/packet), mean {mean_bytes:.0f} bytes",
          flush=True)
    return per_1000, packets, mean_bytes


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--participants", type=int, default=4)
    ap.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    ap.add_argument("--only", choices=["convene", "videoroom"], help="measure one SFU only")
    a = ap.parse_args()
    kinds = [a.only] if a.only else ["convene", "videoroom"]
    results = {k: [] for k in kinds}
    for run in range(a.runs):
        order = kinds if run % 2 == 0 else kinds[::-1]
        for kind in order:
            results[kind].append(await measure(kind, a.participants, a.seconds, run))
    med = {k: statistics.median(v[0] for v in r) for k, r in results.items()}
    print(f"Janus CPU per 1000 forwarded packets, {a.participants}-participant meeting, median of {a.runs} runs:")
    for k in kinds:
        print(f"  {k:9s} {med[k] * 1000:8.1f} ms  ({med[k] * 1000:.1f} us per packet)")
    ratio = med["convene"] / med["videoroom"] if len(kinds) == 2 else None
    if ratio is not None:
        print(f"  ratio Convene/VideoRoom: {ratio:.2f}")
    if a.json:
        out = {"bench": "sfu_cpu", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "participants": a.participants,
               "runs": a.runs, "seconds": a.seconds, "ratio_convene_videoroom": ratio}
        for k in kinds:
            out[k] = {"cpu_s_per_1000_packets_median": med[k], "us_per_packet_median": med[k] * 1000,
                      "mean_packet_bytes_median": statistics.median(v[2] for v in results[k]),
                      "runs": [{"cpu_s_per_1000_packets": v[0], "packets": v[1], "mean_packet_bytes": v[2]}
                               for v in results[k]]}
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    asyncio.run(main())
