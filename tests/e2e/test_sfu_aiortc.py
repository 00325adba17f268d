#!/usr/bin/python3
# with-server: --auth none --event-loops 2
#
# (Janus with 2 shared event loops, as scripts/run runs it on 2 CPUs; the
# rest of the suite runs Janus's default thread per PeerConnection.)
#
# SFU rooms with real WebRTC peers (aiortc, tests/e2e/lib/aiortc_peer.py):
# media both ways, late joiners, leavers (inactive m-lines, no gap for the
# others), reuse of freed m-lines, the data channel relay, the publisher
# limit, and the aiortc_peer.py program that other tests drive.
#
# Every peer sends cheap pre-encoded media (VP8 160x120 at 15 fps, Opus
# silence every 20 ms) whose pictures carry a "signature" (1..12, a luma
# level): receivers decode it, so a case knows whose pixels arrived on an
# m-line, not only that something arrived.
import asyncio
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import convene  # noqa: E402
from aiortc_peer import SfuPeer, make_pc, offer_owners, video_track, audio_track  # noqa: E402
from convene import case, check, check_eq, main, now_ms, short, uid  # noqa: E402

VIDEO_FPS, AUDIO_FPS = 15, 50


async def peer(room, user, sig, **kw):
    return await SfuPeer(room, user, signature=sig, **kw).start()


def dominant_signature(p, user):
    sigs = p.counter.signatures.get(user) or {}
    return max(sigs, key=sigs.get) if sigs else None


def check_signature(p, publisher):
    got = dominant_signature(p, publisher.user_id)
    check(got == publisher.signature,
          f"{p.name}: the video attributed to {publisher.user_id} shows signature {got} "
          f"(all: {p.counter.signatures.get(publisher.user_id)}), expected {publisher.signature}: "
          f"the pixels are not {publisher.user_id}'s")


def owners_of(offer, user):
    """kind -> mid of user's tracks in a server offer (from `tracks`)."""
    return {t["kind"]: t["mid"] for t in offer["tracks"] or [] if t.get("userId") == user}


def mline(offer, mid):
    return next((m for m in offer["media"] if m["mid"] == mid), None)


def lists_user(offer, user):
    return any(t.get("userId") == user for t in offer["tracks"] or [])


def describe_offer(offer):
    return (f"tracks={short(offer['tracks'])}; m-lines="
            + ", ".join(f"{m['mid']}:{m['kind']}:{m['port']}:{m['direction']}"
                        + (f":msid={m['msid']['stream']}" if m["msid"] else "") for m in offer["media"]))


def check_tracks(receiver, offer, publishers):
    """The offer's `tracks` lists exactly the publishers' tracks, each entry
    {mid, userId, kind, trackId} matching an active sendonly m-line whose
    msid is "<userId> <trackId>", and trackId is the publisher's own track id."""
    tracks = offer["tracks"]
    check(isinstance(tracks, list), f"{receiver.name}: server offer without a tracks array: {short(offer['frame'])}")
    seen = {}
    for t in tracks:
        check(isinstance(t, dict) and all(isinstance(t.get(k), str) and t.get(k) for k in
                                          ("mid", "userId", "kind", "trackId")),
              f"{receiver.name}: tracks entry without string mid/userId/kind/trackId: {short(t)}")
        m = mline(offer, t["mid"])
        check(m is not None,
              f"{receiver.name}: tracks names mid {t['mid']} that the SDP lacks; {describe_offer(offer)}")
        check_eq(m["kind"], t["kind"], f"kind of m-line {t['mid']}")
        check(m["port"] != 0 and m["direction"] == "sendonly",
              f"{receiver.name}: m-line {t['mid']} of {t['userId']} is not active sendonly: {describe_offer(offer)}")
        check_eq(m["msid"], {"stream": t["userId"], "track": t["trackId"]}, f"msid of m-line {t['mid']}")
        key = f"{t['userId']} {t['kind']}"
        check(key not in seen, f"{receiver.name}: {key} listed twice")
        seen[key] = t["trackId"]
    expected = {}
    for p in publishers:
        if p.audio_track:
            expected[f"{p.user_id} audio"] = p.audio_track.id
        if p.video_track:
            expected[f"{p.user_id} video"] = p.video_track.id
    check_eq(seen, expected, f"{receiver.name}: 'userId kind' -> trackId of the offer's tracks")
    # and no other m-line sends anything
    listed = {t["mid"] for t in tracks}
    for m in offer["media"]:
        if m["kind"] in ("audio", "video") and m["mid"] not in listed:
            check(not m["active"] or m["direction"] in ("recvonly",),
                  f"{receiver.name}: m-line {m['mid']} sends but is not in tracks: {describe_offer(offer)}")


async def growing(p, publisher, seconds=1.0, audio_min=None, video_min=None):
    """Counts from publisher keep increasing over `seconds`."""
    audio_min = audio_min if audio_min is not None else int(AUDIO_FPS * seconds * 0.4)
    video_min = video_min if video_min is not None else int(VIDEO_FPS * seconds * 0.4)
    before = {k: p.count(publisher, k) for k in ("audio", "video")}
    await asyncio.sleep(seconds)
    after = {k: p.count(publisher, k) for k in ("audio", "video")}
    check(after["audio"] - before["audio"] >= audio_min and after["video"] - before["video"] >= video_min,
          f"{p.name}: from {publisher} in {seconds:g} s: audio {before['audio']}->{after['audio']} "
          f"(want +{audio_min}), video {before['video']}->{after['video']} (want +{video_min}); {p.describe()}")
    return after


async def all_receive(peers, at_least=5, timeout=10):
    await asyncio.gather(*(p.wait_media(q.user_id, at_least=at_least, timeout=timeout)
                           for p in peers for q in peers if p is not q and (q.audio or q.video)))


def note(text):
    print(f"# note: {text}", flush=True)


# --- media ------------------------------------------------------------------------------------

@case("two aiortc peers: each receives the other's audio and video, publisher known by tracks and msid")
async def _():
    room = uid("sfu")
    a = await peer(room, uid("a"), 1)
    b = await peer(room, uid("b"), 2)
    check_eq(b.joined.get("participants"), [a.user_id], "participants in B's joined")
    check_eq(b.joined["data"].get("topology"), "sfu", "topology")
    await all_receive([a, b], at_least=5, timeout=8)
    for p, q in ((a, b), (b, a)):
        await growing(p, q.user_id, 1.0)
        offer = next(o for o in reversed(p.offers) if lists_user(o, q.user_id))
        check_eq(offer["frame"].get("userId"), "sfu", "server offer userId")
        check_tracks(p, offer, [q])
        # who is on which m-line, read from the msid alone, is what tracks says
        by_msid = {mid: o["userId"] for mid, o in offer_owners(offer["media"], None).items()}
        by_tracks = {mid: o["userId"] for mid, o in offer_owners(offer["media"], offer["tracks"]).items()}
        check_eq(by_msid, by_tracks, f"{p.name}: mid -> publisher from the msid vs from tracks")
        check_eq(sorted(by_msid.values()), [q.user_id, q.user_id], f"{p.name}: publishers on the offer's m-lines")
        # the m-lines that carried q's frames are the ones tracks and msid name
        mids = owners_of(offer, q.user_id)
        for kind, mid in mids.items():
            check(p.counter.mid_counts.get(mid, 0) > 0,
                  f"{p.name}: nothing decoded on {q.user_id}'s {kind} m-line {mid}: {p.counter.mid_counts}")
            ev = [e for e in p.events if e["event"] == "track" and e["mid"] == mid]
            check(ev and ev[-1]["userId"] == q.user_id and ev[-1]["kind"] == kind,
                  f"{p.name}: no track event for {q.user_id} {kind} on {mid}: {ev}")
        check_signature(p, q)
        check(p.connected, f"{p.name}: PeerConnection never reached connected")
    # the publisher's own m-lines come back recvonly from the server
    own = [m for m in a.offers[-1]["media"] if m["mid"] in ("0", "1")]
    check(all(m["direction"] == "recvonly" for m in own),
          f"A's own m-lines in the server offer should be recvonly: {describe_offer(a.offers[-1])}")


@case("late joiner: C joins after A and B publish and receives both A's and B's audio and video")
async def _():
    room = uid("sfu")
    a = await peer(room, uid("a"), 1)
    b = await peer(room, uid("b"), 2)
    await all_receive([a, b], timeout=8)
    await asyncio.sleep(0.5)
    c = await peer(room, uid("c"), 3)
    check_eq(c.joined.get("participants"), [a.user_id, b.user_id], "participants in C's joined")
    await c.wait_media(a.user_id, at_least=5, timeout=8)
    await c.wait_media(b.user_id, at_least=5, timeout=8)
    check_tracks(c, c.offers[-1], [a, b])
    await growing(c, a.user_id, 1.0)
    check(c.count(b.user_id, "video") > 10, f"C: B's video stalled: {c.describe()}")
    check_signature(c, a)
    check_signature(c, b)
    # and the earlier ones got C
    await a.wait_media(c.user_id, timeout=8)
    await b.wait_media(c.user_id, timeout=8)


@case("leaver: C leaves; A and B get offers with C's m-lines inactive and no C in tracks; A<->B media has no gap",
      timeout=30)
async def _():
    room = uid("sfu")
    a = await peer(room, uid("a"), 1)
    b = await peer(room, uid("b"), 2)
    c = await peer(room, uid("c"), 3)
    await all_receive([a, b, c], at_least=5, timeout=10)
    await asyncio.sleep(1.2)          # a steady second of A<->B media before the change
    c_mids = {p.name: owners_of(p.offers[-1], c.user_id) for p in (a, b)}
    for p in (a, b):
        check_eq(sorted(c_mids[p.name]), ["audio", "video"], f"{p.name}: C's kinds in the last offer")
    n = {p.name: len(p.offers) for p in (a, b)}
    t_leave = time.monotonic()
    await c.leave()
    offers = {}
    for p in (a, b):
        o = await p.wait_offer(after=n[p.name], timeout=5, cond=lambda o: not lists_user(o, c.user_id),
                               what=f"server offer without {c.user_id}")
        offers[p.name] = o
        for kind, mid in c_mids[p.name].items():
            m = mline(o, mid)
            check(m is not None, f"{p.name}: C's {kind} m-line {mid} vanished from the offer: {describe_offer(o)}")
            check(m["port"] == 0 or m["direction"] == "inactive",
                  f"{p.name}: C's {kind} m-line {mid} is not inactive after C left: {describe_offer(o)}")
            check(m["msid"] is None or m["msid"]["stream"] != c.user_id,
                  f"{p.name}: m-line {mid} still announces C's msid: {describe_offer(o)}")
        check_tracks(p, o, [b if p is a else a])
        left = [e for e in p.events if e["event"] == "left" and e["userId"] == c.user_id]
        check(left and left[0].get("reason") == "left", f"{p.name}: user-left for C: {left}")
    answered = max(o["answered"] for o in offers.values())
    await asyncio.sleep(max(0.0, answered + 1.2 - time.monotonic()))
    frozen = {p.name: {k: p.count(c.user_id, k) for k in ("audio", "video")} for p in (a, b)}
    window = (t_leave - 1.0, answered + 1.0)
    report = []
    for p, q in ((a, b), (b, a)):
        for kind, fps in (("audio", AUDIO_FPS), ("video", VIDEO_FPS)):
            gap = p.counter.max_gap(q.user_id, kind, *window)
            per_s = p.counter.per_second(q.user_id, kind, window[0], window[1])
            report.append(f"{p.name}<-{q.name} {kind}: max gap {gap * 1000:.0f} ms, per second {per_s}")
            check(gap < 1.0, f"{p.name}: {kind} from {q.user_id} stopped for {gap:.2f} s around C's leave "
                             f"(window {window[1] - window[0]:.1f} s): per second {per_s}")
            check(min(per_s) >= fps * 0.4, f"{p.name}: {kind} from {q.user_id} dipped around C's leave: "
                                           f"per second {per_s} (nominal {fps})")
    note("; ".join(report))
    # nothing of C's arrives any more
    await asyncio.sleep(0.5)
    for p in (a, b):
        now = {k: p.count(c.user_id, k) for k in ("audio", "video")}
        check_eq(now, frozen[p.name], f"{p.name}: frames still counted for C after its m-lines went inactive")
    check(c.left, "C got no 'left' reply")


@case("slot reuse: D joins after C left; A's offer puts D on C's freed m-lines (same mids, no growth) "
      "and A receives D's media there", timeout=30)
async def _():
    room = uid("sfu")
    a = await peer(room, uid("a"), 1)
    b = await peer(room, uid("b"), 2)
    c = await peer(room, uid("c"), 3)
    await all_receive([a, b, c], at_least=3, timeout=10)
    with_c = {p.name: p.offers[-1] for p in (a, b)}
    c_mids = {name: owners_of(o, c.user_id) for name, o in with_c.items()}
    n = {p.name: len(p.offers) for p in (a, b)}
    await c.leave()
    for p in (a, b):
        await p.wait_offer(after=n[p.name], timeout=5, cond=lambda o: not lists_user(o, c.user_id),
                           what=f"server offer without {c.user_id}")
        n[p.name] = len(p.offers)
    d = await peer(room, uid("d"), 4)
    for p in (a, b):
        o = await p.wait_offer(after=n[p.name], timeout=5, cond=lambda o: lists_user(o, d.user_id),
                               what=f"server offer with {d.user_id}")
        before = [m["mid"] for m in with_c[p.name]["media"]]
        check_eq([m["mid"] for m in o["media"]], before,
                 f"{p.name}: the m-lines (mids in order) of the offer with D vs the one with C")
        check_eq(owners_of(o, d.user_id), c_mids[p.name], f"{p.name}: D's kind -> mid (C's were)")
        check_tracks(p, o, [q for q in (a, b) if q is not p] + [d])
        for change in o.get("ssrc_changes") or []:
            note(f"{p.name}: reused m-line {change[0]} got a new server SSRC ({change[1]} -> {change[2]})")
    for p in (a, b):
        await p.wait_media(d.user_id, at_least=5, timeout=8)
        await growing(p, d.user_id, 1.0)
        check_signature(p, d)
        vmid = c_mids[p.name]["video"]
        check_eq(p.counter.mid_signatures.get(vmid), d.signature,
                 f"{p.name}: signature now decoded on the reused video m-line {vmid}")
    await d.wait_media(a.user_id, timeout=8)
    await d.wait_media(b.user_id, timeout=8)
    check(a.counter.unowned < 10, f"A: {a.counter.unowned} frames on m-lines with no owner")
    # The reused m-lines' RTP numbering continues where C's left off (the
    # server seeds D's forward with the m-line's last rewriter state)
    for p in (a, b):
        for kind, mid in c_mids[p.name].items():
            runs = p.seqs.runs.get(mid, [])
            check(len(runs) >= 2, f"{p.name}: m-line {mid} ({kind}) has {len(runs)} SSRC run(s), expected C's then D's")
            gap = (runs[-1][1] - runs[-2][2]) & 0xFFFF
            check(1 <= gap <= 20, f"{p.name}: m-line {mid} ({kind}): D's first sequence number {runs[-1][1]} "
                  f"does not follow C's last {runs[-2][2]} (gap {gap})")


# --- data channel ---------------------------------------------------------------------------

@case("data channel: broadcast and targeted both ways, userId = sender, a third peer misses the targeted one")
async def _():
    room = uid("sfu")
    a = await peer(room, uid("a"), 1)                                   # publishes, offers its channel
    b = await peer(room, uid("b"), 2, audio=False, video=False)          # receive-only: the server offers
    c = await peer(room, uid("c"), 3, audio=False, video=False)
    for p in (a, b, c):
        await p.wait_channel_open()
    t0 = now_ms()

    def from_(user, data):
        return lambda m: m.get("userId") == user and m.get("data") == data

    await a.send_data({"text": "hello from a", "n": 1})
    for p in (b, c):
        m = await p.wait_data(from_(a.user_id, {"text": "hello from a", "n": 1}), what="A's broadcast")
        check("targetUserId" not in m, f"{p.name}: broadcast carries a targetUserId: {m}")
        check(isinstance(m.get("timestamp"), int) and abs(m["timestamp"] - t0) < 10_000,
              f"{p.name}: timestamp of a relayed message: {m}")
    await b.send_data("just for a", target=a.user_id)
    m = await a.wait_data(from_(b.user_id, "just for a"), what="B's targeted message")
    check_eq(m.get("targetUserId"), a.user_id, "targetUserId of the targeted message")
    await b.send_data(["broadcast", "from", "b"])
    await a.wait_data(from_(b.user_id, ["broadcast", "from", "b"]), what="B's broadcast")
    await c.wait_data(from_(b.user_id, ["broadcast", "from", "b"]), what="B's broadcast")
    # text that is not an envelope is the payload itself
    await b.wait_channel_open()
    b.channel.send("plain text")
    b.channel.send('{"no": "data field"}')
    await a.wait_data(from_(b.user_id, "plain text"), what="B's plain text")
    await a.wait_data(from_(b.user_id, '{"no": "data field"}'), what="B's JSON without data, as text")
    await a.send_data({"secret": 42}, target=b.user_id)
    await b.wait_data(from_(a.user_id, {"secret": 42}), what="A's targeted message")
    await asyncio.sleep(0.7)
    leaked = [m for m in c.messages if m.get("data") in ("just for a", {"secret": 42})]
    check(not leaked, f"C received messages targeted at others: {leaked}")
    for p in (a, b, c):
        own = [m for m in p.messages if m.get("userId") == p.user_id]
        check(not own, f"{p.name}: got its own messages back: {own}")
    want = [{"text": "hello from a", "n": 1}, ["broadcast", "from", "b"], "plain text", '{"no": "data field"}']
    check_eq(sorted(json.dumps(m.get("data")) for m in c.messages), sorted(json.dumps(w) for w in want),
             "what C received (the broadcasts only)")


# --- publisher limit --------------------------------------------------------------------------

LIMITED = "limited"     # the harness's room: sfu, at most 4 participants and 2 publishers


async def room_empty(room):
    for _ in range(60):
        members = await convene.room_members(room)
        if not members:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"room {room} is not empty at the start of the case: {members}")


@case("publisher limit: in a room with max_publishers 2 the third publisher's offer gets 503 room_full; "
      "a receive-only member still gets everything; the 5th joiner of 4 is refused", timeout=30)
async def _():
    await room_empty(LIMITED)
    a = await peer(LIMITED, uid("a"), 1)
    check_eq(a.joined["data"].get("maxParticipants"), 4, f"maxParticipants of {LIMITED}")
    b = await peer(LIMITED, uid("b"), 2)
    c = await SfuPeer(LIMITED, uid("c"), signature=3).start(refused_ok=True)
    err = c.take_error(503)
    check(err is not None, f"C: the third publisher's offer was not refused with 503: "
                           f"answers={len(c.answers)} errors={c.frames}")
    check_eq((err.get("data") or {}).get("reason"), "room_full", "reason of the refusal")
    await asyncio.sleep(0.5)
    check_eq(len(c.answers), 0, "answers C got to its refused offer")
    d = await peer(LIMITED, uid("d"), 4, audio=False, video=False)
    await all_receive([a, b], timeout=8)
    await d.wait_media(a.user_id, timeout=8)
    await d.wait_media(b.user_id, timeout=8)
    for p in (a, b, d):
        check(not any(lists_user(o, c.user_id) for o in p.offers),
              f"{p.name}: an offer lists the refused publisher C")
    check_tracks(d, d.offers[-1], [a, b])
    check(not c.connected, "C's offer was refused, yet its PeerConnection connected")
    e = await convene.Client.connect(name="e")
    await e.send({"type": "join", "roomId": LIMITED, "userId": uid("e"), "requestId": "join-e"})
    await e.expect_error(503, request_id="join-e")


# --- the program ----------------------------------------------------------------------------

class CliPeer:
    """tests/e2e/lib/aiortc_peer.py run as a program: JSON lines in and out."""

    def __init__(self, name, proc):
        self.name, self.proc = name, proc
        self.events = []
        self.violations = []
        self.frames = []
        self.stderr = b""
        self._cond = asyncio.Condition()
        self._reader = asyncio.ensure_future(self._read())
        self._errreader = asyncio.ensure_future(self._read_err())

    @classmethod
    async def spawn(cls, name, *args):
        proc = await asyncio.create_subprocess_exec(
            "/usr/bin/python3", os.path.join(HERE, "lib", "aiortc_peer.py"), *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        p = cls(name, proc)
        convene._resources.append(p)
        return p

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            try:
                ev = json.loads(line)
                if not isinstance(ev, dict) or not isinstance(ev.get("event"), str):
                    raise ValueError("no event")
            except ValueError:
                self.violations.append(f"stdout line is not a JSON event: {line[:200]!r}")
                continue
            async with self._cond:
                self.events.append(ev)
                self._cond.notify_all()
        async with self._cond:
            self._cond.notify_all()

    async def _read_err(self):
        while True:
            chunk = await self.proc.stderr.read(4096)
            if not chunk:
                break
            self.stderr = (self.stderr + chunk)[-4000:]

    async def wait(self, pred, timeout=10.0, what="event"):
        async def find():
            async with self._cond:
                while True:
                    found = next((e for e in self.events if pred(e)), None)
                    if found is not None:
                        return found
                    if self._reader.done():
                        return None
                    await self._cond.wait()
        try:
            found = await asyncio.wait_for(find(), timeout)
        except asyncio.TimeoutError:
            found = None
        if found is None:
            raise AssertionError(f"{self.name}: no {what} within {timeout:g} s; events: "
                                 f"{short([e for e in self.events if e['event'] != 'stats'], 1500)}; "
                                 f"last stats: {short([e for e in self.events if e['event'] == 'stats'][-1:])}; "
                                 f"stderr: {self.stderr[-1500:].decode(errors='replace')}")
        return found

    async def command(self, cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()

    async def exit_status(self, timeout=8.0):
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: still running {timeout:g} s after leave/quit") from None

    async def close(self):
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            await self.proc.wait()
        for t in (self._reader, self._errreader):
            try:
                await asyncio.wait_for(t, 2)
            except BaseException:  # noqa: BLE001
                t.cancel()


@case("numbers out of range in an offer (payload type, clock rate, extmap id): a clear answer or error, "
      "the absurd values are not echoed, the server serves a fresh peer")
async def _():
    room = uid("sfu-num")
    pc = make_pc()
    pc.addTrack(audio_track())
    pc.addTrack(video_track(3))
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    huge = "99999999999999999999999"
    bad = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=rtpmap:") and "VP8/90000" in line:
            line = line.replace("VP8/90000", f"VP8/{huge}")      # clock rate beyond 32 bits
        elif line.startswith("a=extmap:"):
            line = f"a=extmap:{huge}" + line[line.index(" "):]  # id beyond any extmap id
        elif line.startswith("a=rtpmap:") and "opus/" in line:
            bad.append(line.replace("a=rtpmap:", f"a=rtpmap:{huge}"))  # a second, absurd payload type
        bad.append(line)
    munged = "\r\n".join(bad)
    c = await convene.Client.connect(name="numbers")
    await c.join(room, uid("n"))
    await c.send({"type": "offer", "roomId": room, "requestId": "num-1", "data": {"type": "offer", "sdp": munged}})
    reply = await c.expect_one_of(["answer", "error"], timeout=8)
    text = json.dumps(reply)
    check(huge not in text, f"the answer echoes an out-of-range number: {short(reply, 600)}")
    if reply["type"] == "answer":
        answer_sdp = reply["data"]["sdp"]
        for line in answer_sdp.split("\r\n"):
            if line.startswith("a=extmap:"):
                ext_id = int(line[len("a=extmap:"):].split(" ")[0].split("/")[0])
                check(1 <= ext_id <= 14, f"answer extmap id out of range: {line}")
            if line.startswith("a=rtpmap:"):
                pt = int(line[len("a=rtpmap:"):].split(" ")[0])
                check(0 <= pt <= 127, f"answer payload type out of range: {line}")
        note(f"answered; video m-line: {[l for l in answer_sdp.split(chr(13) + chr(10)) if l.startswith('m=video')]}")
    else:
        note(f"refused: {reply['data']}")
    await c.assert_usable()
    await c.close()
    await pc.close()
    # the server is fine: two fresh peers get media both ways
    a = await peer(room + "-after", uid("a"), 4)
    b = await peer(room + "-after", uid("b"), 5)
    await all_receive([a, b], at_least=5, timeout=8)


@case("aiortc_peer.py as a program: joined, connected, track, stats, data, left and closed as JSON lines",
      timeout=30)
async def _():
    room, ua, ub = uid("sfu"), uid("a"), uid("b")
    a = await CliPeer.spawn("cli-a", "--room", room, "--user", ua)
    await a.wait(lambda e: e["event"] == "joined", 10, "joined")
    b = await CliPeer.spawn("cli-b", "--room", room, "--user", ub, "--no-video")
    jb = await b.wait(lambda e: e["event"] == "joined", 10, "joined")
    check_eq(jb.get("participants"), [ua], "participants of B's joined event")
    for p in (a, b):
        await p.wait(lambda e: e["event"] == "connected", 10, "connected")
    ta = await a.wait(lambda e: e["event"] == "track" and e.get("userId") == ub, 10, "track event for B")
    check_eq(ta.get("kind"), "audio", "kind of B's only track")
    check(isinstance(ta.get("mid"), str), f"track event without mid: {ta}")
    kinds = set()
    for kind in ("audio", "video"):
        t = await b.wait(lambda e: e["event"] == "track" and e.get("userId") == ua and e.get("kind") == kind,
                         10, f"track event for A's {kind}")
        kinds.add((t["kind"], t["mid"]))
    check_eq(len(kinds), 2, "A's two tracks on two mids")

    def stats_with(user, kind, n):
        return lambda e: e["event"] == "stats" and (e.get("received") or {}).get(user, {}).get(kind, 0) >= n

    s1 = await b.wait(stats_with(ua, "video", 5), 10, "stats with A's video")
    await b.wait(stats_with(ua, "video", s1["received"][ua]["video"] + 8), 5, "stats with more of A's video")
    await b.wait(stats_with(ua, "audio", 20), 5, "stats with A's audio")
    await a.wait(stats_with(ub, "audio", 20), 10, "stats with B's audio")
    check(all(set(e["received"].get(ub, {})) <= {"audio", "video"} and not e["received"].get(ub, {}).get("video")
              for e in a.events if e["event"] == "stats"), "A counted video from B, which sends none")
    await b.command({"cmd": "send", "data": {"n": 1}, "targetUserId": ua})
    m = await a.wait(lambda e: e["event"] == "data", 8, "data event")
    check(convene.matches(m.get("message"), {"userId": ub, "data": {"n": 1}, "targetUserId": ua}),
          f"A's data event: {m}")
    await a.command({"cmd": "send", "data": "hi all"})
    m = await b.wait(lambda e: e["event"] == "data", 8, "data event")
    check(convene.matches(m.get("message"), {"userId": ua, "data": "hi all"}) and "targetUserId" not in m["message"],
          f"B's data event: {m}")
    await b.command({"cmd": "leave"})
    check_eq(await b.exit_status(), 0, "B's exit status after leave")
    check_eq(b.events[-1].get("event"), "closed", "B's last event")
    left = await a.wait(lambda e: e["event"] == "left" and e.get("userId") == ub, 5, "left event for B")
    check_eq(left.get("userId"), ub, "left.userId")
    await a.command({"cmd": "quit"})
    check_eq(await a.exit_status(), 0, "A's exit status after quit")
    check_eq(a.events[-1].get("event"), "closed", "A's last event")
    for p in (a, b):
        errs = [e for e in p.events if e["event"] == "error"]
        check(not errs, f"{p.name}: error events: {errs}")


if __name__ == "__main__":
    main()
