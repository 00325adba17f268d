#!/usr/bin/python3
"""An SFU participant built on aiortc (Debian python3-aiortc 1.4.0), for
Convene's end-to-end tests. Run with /usr/bin/python3.

As a library::

    from aiortc_peer import SfuPeer
    peer = SfuPeer("room1", "alice")          # audio + video + data channel
    await peer.start()                         # connect, join, offer, answer
    await peer.wait_media("bob", timeout=8)    # frames from bob, both kinds
    peer.count("bob", "video")                 # decoded frames so far
    await peer.send_data({"hi": 1}, target="bob")
    await peer.leave(); await peer.close()

As a program (for tests in other languages)::

    /usr/bin/python3 tests/e2e/lib/aiortc_peer.py --room ROOM --user USER
        [--token T] [--no-audio] [--no-video] [--no-data] [--url WS_URL]

stdout, one JSON object a line:
  {"event":"joined","userId":U,"participants":[...]}
  {"event":"offer","tracks":[...],"mlines":N}        every server offer, answered
  {"event":"connected"}                              the PeerConnection is up
  {"event":"track","userId":U,"kind":K,"mid":M,"trackId":T}
                                                     a mid starts carrying U's track
                                                     (also when a reused m-line
                                                     changes publisher)
  {"event":"stats","received":{U:{"audio":n,"video":n}}}   every second
  {"event":"data","message":{...}}                   data channel, as received
  {"event":"error","frame":{...}}                    a server error frame
  {"event":"user-joined","userId":U} / {"event":"left","userId":U}
  {"event":"closed"}                                 last line
stdin, one JSON command a line:
  {"cmd":"send","data":ANY,"targetUserId":U?}   sends {"data":..,"targetUserId"?}
  {"cmd":"leave"}                               leave, then close (as quit)
  {"cmd":"quit"}                                close and exit (also on EOF)
Diagnostics go to stderr only. With --no-audio --no-video the peer joins
receive-only (`publish: {audio:false, video:false}`); it still offers first
when it has a data channel, and with --no-data too it waits for the
server's offer (sent 1 s after such a join). --no-data only means the peer
opens no data channel of its own; a data channel the server offers
(receive-only peers get one) is still read.

Media is cheap on purpose (2-core machines): the tracks send packets that
were encoded once (VP8 160x120 at 15 fps, every frame a keyframe; Opus
silence every 20 ms), so a peer costs little CPU. Each video carries a
"signature" (a luma level of the top of the picture, 1..12) that receivers
decode, so a test can tell whose pixels really arrived on an m-line.

Receiving: aiortc decodes in a thread; every remote track is drained, and
each decoded frame is counted for the publisher that owns its m-line at
that moment (from the server offer's `tracks`, else the m-line's msid).
Server offers may turn m-lines inactive (publisher gone) and later reuse
them for another publisher of the same kind: counts follow the owner.

Two aiortc 1.4.0 gaps are bridged here, not in the server: a reused m-line
comes back with a new SSRC in the offer (Janus gives an m-line a new SSRC
when it goes from inactive to sending) and aiortc would drop its packets
(follow_ssrcs); and m-lines added by a renegotiation while the first DTLS
handshake is still running are never started by aiortc
(start_stalled_transceivers).
"""
import argparse
import asyncio
import fractions
import json
import logging
import os
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import av  # noqa: E402
import numpy  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.codecs.opus import OpusEncoder  # noqa: E402
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402

import convene  # noqa: E402

log = logging.getLogger("aiortc_peer")

VIDEO_W, VIDEO_H, VIDEO_FPS = 160, 120, 15
SIG_ROWS = 48                  # the top band of the picture: the signature's luma
DATA_LABEL = "data"


# --- cheap synthetic media -------------------------------------------------------------

def signature_of(user_id):
    """A default video signature (1..12) for a user id."""
    return zlib.crc32(user_id.encode()) % 12 + 1


def _sig_luma(sig):
    return 24 + 16 * sig


def decode_signature(frame):
    """The signature of a decoded video frame (None when unreadable)."""
    try:
        plane = frame.planes[0]     # the Y plane as encoded (no range conversion)
        y = numpy.frombuffer(plane, numpy.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
    except Exception:  # noqa: BLE001
        return None
    if y.shape[0] < SIG_ROWS or y.shape[1] < 32:
        return None
    level = float(y[8:SIG_ROWS - 8, 8:y.shape[1] - 8].mean())
    return int(round((level - 24) / 16))


_vp8_cache = {}


def vp8_loop(sig, frames=VIDEO_FPS):
    """`frames` VP8 keyframes (bytes) of 160x120: the signature's luma on top,
    a white bar moving across a dark band below."""
    if sig in _vp8_cache:
        return _vp8_cache[sig]
    ctx = av.CodecContext.create("libvpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = VIDEO_W, VIDEO_H, "yuv420p"
    ctx.time_base = fractions.Fraction(1, 90000)
    ctx.framerate = VIDEO_FPS
    ctx.gop_size = 1
    ctx.bit_rate = 200_000
    ctx.options = {"deadline": "realtime", "cpu-used": "8"}
    out = []
    for i in range(frames):
        y = numpy.full((VIDEO_H, VIDEO_W), 16, numpy.uint8)
        y[:SIG_ROWS, :] = _sig_luma(sig)
        x = (i * VIDEO_W // frames) % VIDEO_W
        y[SIG_ROWS + 8:, x:x + 16] = 235
        img = numpy.concatenate([y.reshape(-1), numpy.full(VIDEO_W * VIDEO_H // 2, 128, numpy.uint8)])
        f = av.VideoFrame.from_ndarray(img.reshape(VIDEO_H * 3 // 2, VIDEO_W), format="yuv420p")
        f.pts = i * (90000 // VIDEO_FPS)
        f.time_base = ctx.time_base
        out.extend(bytes(p) for p in ctx.encode(f))
    out.extend(bytes(p) for p in ctx.encode(None))
    _vp8_cache[sig] = out
    return out


_opus_packet = None


def opus_silence():
    """One Opus packet of 20 ms of stereo silence."""
    global _opus_packet
    if _opus_packet is None:
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        for p in frame.planes:
            p.update(bytes(p.buffer_size))
        frame.sample_rate = 48000
        frame.pts = 0
        frame.time_base = fractions.Fraction(1, 48000)
        payloads, _ = OpusEncoder().encode(frame)
        _opus_packet = payloads[0]
    return _opus_packet


class PacketLoopTrack(MediaStreamTrack):
    """A track that sends already-encoded packets in a loop, paced in real
    time (aiortc packetizes them without encoding: see RTCRtpSender)."""

    def __init__(self, kind, payloads, clock_rate, ticks):
        super().__init__()
        self.kind = kind
        self._payloads = payloads
        self._clock_rate = clock_rate
        self._ticks = ticks
        self._period = ticks / clock_rate
        self._start = None
        self._n = 0
        self.sent = 0

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._n * self._period - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -1.0:
                # the loop was stalled for long: do not burst to catch up
                self._start = time.monotonic() - self._n * self._period
        packet = av.Packet(self._payloads[self._n % len(self._payloads)])
        packet.pts = self._n * self._ticks
        packet.time_base = fractions.Fraction(1, self._clock_rate)
        self._n += 1
        self.sent += 1
        return packet


def video_track(sig):
    return PacketLoopTrack("video", vp8_loop(sig), 90000, 90000 // VIDEO_FPS)


def audio_track():
    return PacketLoopTrack("audio", [opus_silence()], 48000, 960)


def make_pc():
    """A PeerConnection with no ICE server (nothing outside the machine)."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


# --- SDP reading ---------------------------------------------------------------------------

def parse_sdp(sdp):
    """The m-lines of an SDP: [{index, kind, port, proto, mid, direction,
    msid: {stream, track} or None, ssrcs, active}]."""
    media, session_dir, cur = [], "sendrecv", None
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            cur = {"index": len(media), "kind": parts[0], "port": int(parts[1]),
                   "proto": parts[2] if len(parts) > 2 else "", "mid": None, "direction": None,
                   "msid": None, "ssrcs": []}
            media.append(cur)
        elif line.startswith("a="):
            name, _, value = line[2:].partition(":")
            if name in ("sendrecv", "sendonly", "recvonly", "inactive"):
                if cur is None:
                    session_dir = name
                else:
                    cur["direction"] = name
            elif cur is None:
                continue
            elif name == "mid":
                cur["mid"] = value
            elif name == "msid":
                stream, _, track = value.partition(" ")
                cur["msid"] = {"stream": stream, "track": track}
            elif name == "ssrc":
                ssrc = value.split(" ", 1)[0]
                if ssrc.isdigit() and int(ssrc) not in cur["ssrcs"]:
                    cur["ssrcs"].append(int(ssrc))
    for m in media:
        if m["direction"] is None:
            m["direction"] = session_dir
        m["active"] = m["port"] != 0 and m["direction"] != "inactive"
    return media


def offer_owners(media, tracks):
    """mid -> {userId, kind, trackId, msid} for the m-lines of a server offer
    that carry a track (sendonly from the server), from `tracks` (else the
    msid). Inactive m-lines have no owner."""
    by_mid = {t.get("mid"): t for t in (tracks or []) if isinstance(t, dict)}
    owners = {}
    for m in media:
        if m["kind"] not in ("audio", "video") or not m["active"] or m["direction"] not in ("sendonly", "sendrecv"):
            continue
        t = by_mid.get(m["mid"])
        msid = m["msid"]
        user = t.get("userId") if t else (msid["stream"] if msid else None)
        if user is None:
            continue
        owners[m["mid"]] = {"userId": user, "kind": m["kind"],
                            "trackId": t.get("trackId") if t else (msid["track"] if msid else None),
                            "msid": msid}
    return owners


def follow_ssrcs(pc, media, known):
    """Makes aiortc route the SSRCs a renegotiated offer announces.

    Janus gives an m-line a new SSRC when it goes from inactive back to
    sending (a reused m-line), and says so in the offer's a=ssrc; browsers
    follow that, aiortc 1.4.0 only registers a receiver's SSRCs once. So
    after each remote offer the new SSRC of every receiving m-line is added
    to its transport's RTP router. `known` (mid -> ssrc) is updated; returns
    [(mid, old ssrc, new ssrc)] for the m-lines whose SSRC changed."""
    changed = []
    by_mid = {m["mid"]: m for m in media}
    for t in pc.getTransceivers():
        m = by_mid.get(t.mid)
        if m is None or not m["ssrcs"] or not m["active"]:
            continue
        ssrc = m["ssrcs"][0]
        old = known.get(t.mid)
        known[t.mid] = ssrc
        if old is not None and old != ssrc:
            changed.append((t.mid, old, ssrc))
        receiver = t.receiver
        transport = getattr(receiver, "transport", None)
        router = getattr(transport, "_rtp_router", None)
        if (old is not None and old != ssrc and router is not None and receiver.track is not None
                and router.ssrc_table.get(ssrc) is not receiver):
            router.register_receiver(receiver, ssrcs=[ssrc], payload_types=[], mid=t.mid)
    return changed


async def start_stalled_transceivers(pc, timeout=10.0):
    """Works around a race in aiortc 1.4.0: a transceiver's receiver (and
    sender) is only started by an internal __connect() that finds DTLS
    already connected, and a __connect() that finds it still connecting
    skips them. So m-lines added by a renegotiation that lands while the
    first DTLS handshake is under way (a receive-only peer that offered only
    its data channel gets the server's offer right after the answer) would
    never receive. Once the connection is up, run __connect() again if any
    transceiver that should be running is not. Returns how many were."""
    deadline = time.monotonic() + timeout
    while pc.connectionState != "connected":
        if pc.connectionState in ("closed", "failed") or time.monotonic() > deadline:
            return 0
        await asyncio.sleep(0.05)
    stalled = 0
    for t in pc.getTransceivers():
        direction = t.currentDirection or ""
        if "recv" in direction and not getattr(t.receiver, "_RTCRtpReceiver__started", True):
            stalled += 1
        if direction in ("sendonly", "sendrecv") and not getattr(t.sender, "_RTCRtpSender__started", True):
            stalled += 1
    if stalled:
        log.info("starting %d stalled transceiver(s)", stalled)
        await pc._RTCPeerConnection__connect()
    return stalled


# --- receiving -----------------------------------------------------------------------------

class SeqRecorder:
    """Records, per receiving m-line, the RTP sequence numbers that arrive,
    as runs of one SSRC: {mid: [(ssrc, first_seq, last_seq), ...]}. Used to
    check that a reused m-line's numbering continues where it left off."""

    def __init__(self):
        self.runs = {}

    def attach(self, pc):
        from aiortc.rtcrtpreceiver import RTCRtpReceiver
        patched = RTCRtpReceiver._handle_rtp_packet
        if getattr(patched, "_seq_recorders", None) is None:
            unpatched = patched

            async def handle(receiver, packet, arrival_time_ms):
                for rec, rpc in list(handle._seq_recorders):
                    for t in rpc.getTransceivers():
                        if t.receiver is receiver:
                            rec.record(t.mid, packet.ssrc, packet.sequence_number)
                return await unpatched(receiver, packet, arrival_time_ms)
            handle._seq_recorders = []
            RTCRtpReceiver._handle_rtp_packet = handle
            patched = handle
        patched._seq_recorders.append((self, pc))

    def record(self, mid, ssrc, seq):
        runs = self.runs.setdefault(mid, [])
        if runs and runs[-1][0] == ssrc:
            first = runs[-1][1]
            last = runs[-1][2]
            # keep the highest in 16-bit order
            if ((seq - last) & 0xFFFF) < 0x8000:
                last = seq
            runs[-1] = (ssrc, first, last)
        else:
            runs.append((ssrc, seq, seq))


class MediaCounter:
    """Counts decoded frames per publisher across renegotiations.

    set_owners() is called with each server offer's mid -> owner map;
    attach(pc) drains every remote track and counts each frame for the
    owner of its mid at that moment."""

    def __init__(self, name="peer", on_track=None):
        self.name = name
        self.owners = {}          # mid -> {userId, kind, trackId, msid}
        self.counts = {}          # userId -> {"audio": n, "video": n}
        self.mid_counts = {}      # mid -> n
        self.arrivals = {}        # (userId, kind) -> [monotonic times]
        self.signatures = {}      # userId -> {sig: frames}
        self.mid_signatures = {}  # mid -> last decoded signature
        self.unowned = 0          # frames on an m-line with no owner
        self.on_track = on_track  # callback(mid, owner) when a mid gets a (new) owner
        self.tasks = []
        self._sig_every = 3
        self._video_n = 0

    def set_owners(self, owners):
        previous = self.owners
        self.owners = dict(owners)
        for mid, owner in owners.items():
            old = previous.get(mid)
            if old is None or old["userId"] != owner["userId"] or old.get("trackId") != owner.get("trackId"):
                if self.on_track:
                    self.on_track(mid, owner)

    def attach(self, pc):
        @pc.on("track")
        def on_track(track):
            mid = None
            for t in pc.getTransceivers():
                if t.receiver.track is track:
                    mid = t.mid
            log.debug("%s: remote %s track on mid %s", self.name, track.kind, mid)
            self.tasks.append(asyncio.ensure_future(self._drain(track, mid)))

    async def _drain(self, track, mid):
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            except asyncio.CancelledError:
                return
            now = time.monotonic()
            self.mid_counts[mid] = self.mid_counts.get(mid, 0) + 1
            owner = self.owners.get(mid)
            if owner is None:
                self.unowned += 1
                continue
            user, kind = owner["userId"], owner["kind"]
            c = self.counts.setdefault(user, {"audio": 0, "video": 0})
            c[kind] = c.get(kind, 0) + 1
            self.arrivals.setdefault((user, kind), []).append(now)
            if kind == "video":
                self._video_n += 1
                if c[kind] <= 3 or self._video_n % self._sig_every == 0:
                    sig = decode_signature(frame)
                    self.mid_signatures[mid] = sig
                    s = self.signatures.setdefault(user, {})
                    s[sig] = s.get(sig, 0) + 1

    def count(self, user, kind):
        return self.counts.get(user, {}).get(kind, 0)

    def received(self):
        return {u: dict(c) for u, c in self.counts.items()}

    def max_gap(self, user, kind, since, until=None):
        """The longest time (s) without a frame of user's kind between
        since and until (monotonic), counting the edges."""
        until = time.monotonic() if until is None else until
        times = [t for t in self.arrivals.get((user, kind), []) if since <= t <= until]
        points = [since] + times + [until]
        return max(b - a for a, b in zip(points, points[1:]))

    def per_second(self, user, kind, since, until=None):
        until = time.monotonic() if until is None else until
        times = self.arrivals.get((user, kind), [])
        out = []
        t = since
        while t + 1 <= until + 1e-9:
            out.append(sum(1 for x in times if t <= x < t + 1))
            t += 1
        return out

    def stop(self):
        for t in self.tasks:
            t.cancel()


# --- the participant -----------------------------------------------------------------------

class SfuPeer:
    """One Convene SFU participant: a WebSocket (convene.Client) and one
    aiortc PeerConnection with the server, as the polite side."""

    def __init__(self, room, user, *, url=None, token=None, audio=True, video=True, data=True,
                 signature=None, name=None, on_event=None, register=True):
        self.room, self.user_id = room, user
        self.url = url or convene.env("CONVENE_WS_URL")
        self.token = token
        self.audio, self.video, self.data = audio, video, data
        self.signature = signature if signature is not None else signature_of(user)
        self.name = name or user
        self.on_event = on_event
        self.register = register
        self.client = None
        self.pc = None
        self.channel = None
        self.channels = []
        self.audio_track = self.video_track = None
        self.joined = None
        self.events = []           # every event, as the CLI prints them (+ "t")
        self.offers = []           # server offers: {frame, sdp, media, tracks, owners, t, answered}
        self.answers = []          # server answers to our offers: {frame, sdp, media, t}
        self.messages = []         # data channel messages received (parsed JSON)
        self.frames = []           # unread error frames (the TAP runner fails a case on them)
        self._violations = []
        self.connected = False
        self.left = False
        self.counter = MediaCounter(self.name, on_track=self._on_owner)
        self.seqs = SeqRecorder()
        self._loop_task = None
        self._closed = False
        self._changed = asyncio.Event()
        self._ssrcs = {}           # mid -> the server's SSRC on it, as last offered
        self._kicks = []
        self.stalled_starts = 0    # transceivers aiortc left unstarted (see start_stalled_transceivers)

    # the TAP runner's view of a resource
    @property
    def violations(self):
        return self._violations + (self.client.violations if self.client else [])

    def _emit(self, event, **fields):
        e = {"event": event, **fields}
        self.events.append(dict(e, t=time.monotonic()))
        if self.on_event:
            try:
                self.on_event(e)
            except Exception as ex:  # noqa: BLE001
                log.warning("%s: on_event failed: %s", self.name, ex)
        self._poke()

    def _poke(self):
        self._changed.set()

    def _on_owner(self, mid, owner):
        self._emit("track", userId=owner["userId"], kind=owner["kind"], mid=mid, trackId=owner.get("trackId"))

    # --- start ------------------------------------------------------------------------------
    async def start(self, timeout=10.0, refused_ok=False):
        """Connects, joins, and (when it sends anything) offers; returns when
        the server answered our offer (or, receive-only, when the first
        server offer has been answered). An error frame instead of the
        answer fails, unless refused_ok (then see take_error())."""
        query = {"token": self.token} if self.token else None
        self.client = await convene.Client.connect(name=f"{self.name}-ws", url=self.url, query=query)
        if self.register:
            convene._resources.append(self)
        publishes = self.audio or self.video
        self.joined = await self.client.join(self.room, self.user_id,
                                             publish={"audio": bool(self.audio), "video": bool(self.video)})
        self.user_id = self.joined.get("userId", self.user_id)
        self._emit("joined", userId=self.user_id, participants=self.joined.get("participants"))
        self.pc = make_pc()
        self.counter.attach(self.pc)
        self.seqs.attach(self.pc)

        @self.pc.on("connectionstatechange")
        def on_state():
            state = self.pc.connectionState
            log.info("%s: connection %s", self.name, state)
            if state == "connected" and not self.connected:
                self.connected = True
                self._emit("connected")
            elif state == "failed":
                self._emit("failed")
            self._poke()

        @self.pc.on("datachannel")
        def on_datachannel(channel):
            self._watch_channel(channel)

        if self.audio:
            self.audio_track = audio_track()
            self.pc.addTrack(self.audio_track)
        if self.video:
            self.video_track = video_track(self.signature)
            self.pc.addTrack(self.video_track)
        if self.data:
            self.channel = self.pc.createDataChannel(DATA_LABEL)
            self._watch_channel(self.channel)
        n_answers = len(self.answers)
        # The client offers first (docs/negotiation.md, "First contact") when
        # it has anything to offer; a peer with nothing at all waits for the
        # server's offer (receive-only joiners get one after 1 s).
        offers_first = publishes or self.data
        if offers_first:
            await self.pc.setLocalDescription(await self.pc.createOffer())
            await self.client.send({"type": "offer", "data": {"type": "offer", "sdp": self.pc.localDescription.sdp}})
            # aiortc puts its candidates in the SDP: end of candidates at once
            await self.client.send({"type": "ice-candidate", "data": None})
        self._loop_task = asyncio.ensure_future(self._signal_loop())
        if offers_first:
            await self.wait_for(lambda: len(self.answers) > n_answers or self.frames, timeout, "the server's answer")
            if len(self.answers) <= n_answers and not refused_ok:
                raise AssertionError(f"{self.name}: offer refused: {convene.short(self.frames[0])}")
        else:
            await self.wait_for(lambda: any(o["answered"] for o in self.offers), timeout,
                                "the server's first offer (receive-only)")
        return self

    async def drop(self):
        """Drops the signaling socket with no close handshake, as a network
        loss would; the PeerConnection stays as it is."""
        self.client.abort()
        await self.client.wait_closed(3)

    async def resume(self, room=None, timeout=5.0):
        """Opens a new signaling socket and joins with data.resume (docs/protocol.md,
        "Reconnection"); the peer's signalling follows the new socket. Returns the
        `joined` frame: data.resumed tells whether the server took the participant
        over (then the PeerConnection carries on as it was)."""
        query = {"token": self.token} if self.token else None
        old = self.client
        self.client = await convene.Client.connect(name=f"{self.name}-ws2", url=self.url, query=query)
        if old is not None and not old.closed:
            old.abort()
        if self._loop_task is not None:
            self._loop_task.cancel()
        joined = await self.client.join(room or self.room, self.user_id, timeout=timeout, resume=True)
        self._loop_task = asyncio.ensure_future(self._signal_loop())
        self._emit("resumed", resumed=(joined.get("data") or {}).get("resumed"))
        return joined

    def _watch_channel(self, channel):
        if channel in self.channels:
            return
        self.channels.append(channel)

        @channel.on("open")
        def on_open():
            self._poke()

        @channel.on("message")
        def on_message(message):
            if isinstance(message, bytes):
                message = message.decode(errors="replace")
            try:
                parsed = json.loads(message)
            except ValueError:
                self._violations.append(f"data channel message is not JSON: {convene.short(message)}")
                parsed = {"raw": message}
            self.messages.append(parsed)
            self._emit("data", message=parsed, label=channel.label)

    # --- signaling ----------------------------------------------------------------------------
    async def _signal_loop(self):
        client = self.client
        while True:
            frame = await client._wait(lambda: client._take(lambda _: True), 1.0)
            if self._closed:
                break
            if frame is None:
                if client.closed:
                    break
                continue
            try:
                await self._handle(frame)
            except Exception as e:  # noqa: BLE001
                if self._closed:
                    break
                msg = f"handling {convene.short(frame, 200)} failed: {type(e).__name__}: {e}"
                log.warning("%s: %s", self.name, msg)
                self._violations.append(msg)
        self._poke()

    async def _handle(self, frame):
        kind = frame.get("type")
        if kind == "offer":
            await self._on_server_offer(frame)
        elif kind == "answer":
            if frame.get("userId") != "sfu":
                self._violations.append(f"answer not from sfu: {convene.short(frame)}")
            sdp = (frame.get("data") or {}).get("sdp")
            self.answers.append({"frame": frame, "sdp": sdp, "media": parse_sdp(sdp or ""), "t": time.monotonic()})
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            self._poke()
        elif kind == "error":
            self.frames.append(frame)
            self._emit("error", frame=frame)
        elif kind == "user-left":
            self._emit("left", userId=frame.get("userId"), reason=(frame.get("data") or {}).get("reason"))
        elif kind == "user-joined":
            self._emit("user-joined", userId=frame.get("userId"))
        elif kind == "left":
            self.left = True
            self._poke()
        elif kind in ("ice-candidate",):
            pass  # Janus puts its candidates in the SDP
        else:
            self._emit("frame", frame=frame)

    async def _on_server_offer(self, frame):
        if frame.get("userId") != "sfu":
            self._violations.append(f"offer not from sfu: {convene.short(frame)}")
        sdp = (frame.get("data") or {}).get("sdp")
        media = parse_sdp(sdp or "")
        tracks = frame.get("tracks")
        offer = {"frame": frame, "sdp": sdp, "media": media, "tracks": tracks,
                 "owners": offer_owners(media, tracks), "t": time.monotonic(), "answered": None}
        self.offers.append(offer)
        if self.pc.signalingState != "stable":
            # polite: ours loses. (We only offer once, before any server offer.)
            self._violations.append(f"server offer in signaling state {self.pc.signalingState}")
        # Owners first: aiortc's track events fire inside setRemoteDescription
        self.counter.set_owners(offer["owners"])
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.client.send({"type": "answer", "data": {"type": "answer", "sdp": self.pc.localDescription.sdp}})
        offer["answered"] = time.monotonic()
        offer["answer_sdp"] = self.pc.localDescription.sdp
        offer["ssrc_changes"] = follow_ssrcs(self.pc, media, self._ssrcs)
        if offer["ssrc_changes"]:
            log.info("%s: m-lines with a new SSRC: %s", self.name, offer["ssrc_changes"])
        self._kicks.append(asyncio.ensure_future(self._kick()))
        self._emit("offer", tracks=tracks, mlines=len(media))

    async def _kick(self):
        try:
            self.stalled_starts += await start_stalled_transceivers(self.pc)
        except Exception as e:  # noqa: BLE001
            if not self._closed:
                self._violations.append(f"starting stalled transceivers: {type(e).__name__}: {e}")

    # --- waiting ------------------------------------------------------------------------------
    async def wait_for(self, cond, timeout, what="condition", poll=0.1):
        deadline = time.monotonic() + timeout
        while True:
            if cond():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: no {what} within {timeout:g} s; {self.describe()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(poll, remaining))
            except asyncio.TimeoutError:
                pass

    async def wait_media(self, user, kinds=("audio", "video"), at_least=5, timeout=10.0):
        """Waits until at_least frames of each kind came from user."""
        await self.wait_for(lambda: all(self.count(user, k) >= at_least for k in kinds), timeout,
                            f"{at_least}+ frames of {'/'.join(kinds)} from {user}")

    async def wait_offer(self, after=0, timeout=8.0, cond=None, what="server offer"):
        """The first server offer (answered) past index `after` for which
        cond(offer) is true; returns it."""
        def find():
            for o in self.offers[after:]:
                if o["answered"] and (cond is None or cond(o)):
                    return o
            return None
        await self.wait_for(lambda: find() is not None, timeout, what)
        return find()

    async def wait_data(self, pred, timeout=5.0, what="data channel message"):
        def find():
            return next((m for m in self.messages if pred(m)), None)
        await self.wait_for(lambda: find() is not None, timeout, what)
        return find()

    async def wait_channel_open(self, timeout=8.0):
        await self.wait_for(lambda: self.channel is not None and self.channel.readyState == "open", timeout,
                            "open data channel")

    def take_error(self, code=None):
        for i, f in enumerate(self.frames):
            if code is None or (f.get("data") or {}).get("code") == code:
                return self.frames.pop(i)
        return None

    def count(self, user, kind):
        return self.counter.count(user, kind)

    def received(self):
        return self.counter.received()

    def describe(self):
        last = self.offers[-1] if self.offers else None
        return (f"state pc={self.pc.connectionState if self.pc else None} "
                f"signaling={self.pc.signalingState if self.pc else None}; received={self.received()}; "
                f"mid frames={self.counter.mid_counts}; unowned={self.counter.unowned}; "
                f"offers={len(self.offers)}; last tracks={convene.short(last['tracks']) if last else None}; "
                f"errors={[convene.short(f) for f in self.frames]}")

    # --- actions ------------------------------------------------------------------------------
    async def send_data(self, data, target=None):
        await self.wait_channel_open()
        msg = {"data": data}
        if target is not None:
            msg["targetUserId"] = target
        self.channel.send(json.dumps(msg))

    async def leave(self, timeout=5.0):
        """Sends leave and waits for `left`."""
        await self.client.send({"type": "leave"})
        await self.wait_for(lambda: self.left, timeout, "'left' reply")

    async def close(self):
        if self._closed:
            return
        self._closed = True
        if self._loop_task is not None:
            # no more signaling: frames that come while closing are not handled
            self._loop_task.cancel()
            try:
                await self._loop_task
            except BaseException:  # noqa: BLE001
                pass
        for k in self._kicks:
            k.cancel()
        self.counter.stop()
        if self.audio_track:
            self.audio_track.stop()
        if self.video_track:
            self.video_track.stop()
        if self.pc is not None:
            try:
                await asyncio.wait_for(self.pc.close(), 3)
            except Exception as e:  # noqa: BLE001
                log.warning("%s: pc.close: %s", self.name, e)
        if self.client is not None:
            await self.client.close()
        self._emit("closed")

    def abort(self):
        if self.client is not None:
            self.client.abort()


# --- the program ---------------------------------------------------------------------------

def _print(event):
    sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _stdin_lines():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _cli(args):
    peer = SfuPeer(args.room, args.user, url=args.url, token=args.token, audio=not args.no_audio,
                   video=not args.no_video, data=not args.no_data, on_event=_print, register=False,
                   signature=args.signature)
    status = 0
    stats_task = None
    try:
        # a refused offer (e.g. 503 room_full) is reported as an error event;
        # the peer stays in the room
        await peer.start(timeout=args.timeout, refused_ok=True)

        async def stats():
            while True:
                await asyncio.sleep(1.0)
                _print({"event": "stats", "received": peer.received()})
        stats_task = asyncio.ensure_future(stats())
        reader = await _stdin_lines()
        while True:
            line = await reader.readline()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
            except ValueError:
                log.warning("not a JSON command: %r", line)
                continue
            what = cmd.get("cmd") if isinstance(cmd, dict) else None
            if what == "send":
                await peer.send_data(cmd.get("data"), cmd.get("targetUserId"))
            elif what == "leave":
                await peer.leave()
                break
            elif what == "quit":
                break
            else:
                log.warning("unknown command: %r", cmd)
            if peer.client.closed:
                break
    except Exception as e:  # noqa: BLE001
        log.error("%s: %s: %s", args.user, type(e).__name__, e)
        status = 1
    finally:
        if stats_task:
            stats_task.cancel()
        for v in peer.violations:
            log.warning("%s: %s", args.user, v)
        await peer.close()
    return status


def main():
    p = argparse.ArgumentParser(description="A Convene SFU participant (aiortc) speaking JSON lines.")
    p.add_argument("--room", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--token")
    p.add_argument("--url", default=os.environ.get("CONVENE_WS_URL"))
    p.add_argument("--no-audio", action="store_true")
    p.add_argument("--no-video", action="store_true")
    p.add_argument("--no-data", action="store_true")
    p.add_argument("--signature", type=int, help="video signature 1..12 (default: from the user id)")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to join and negotiate")
    p.add_argument("--verbose", "-v", action="store_true")
    args = p.parse_args()
    if not args.url:
        p.error("--url or CONVENE_WS_URL is needed")
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sys.exit(asyncio.run(_cli(args)))


if __name__ == "__main__":
    main()
