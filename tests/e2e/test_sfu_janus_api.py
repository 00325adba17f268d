#!/usr/bin/python3
# with-server: --auth none
#
# SFU media through the stock Janus API (docs/protocol.md, "The same
# protocol through the stock Janus API"): a raw Janus API client
# (JANUS_WS_URL, subprotocol janus-protocol) attaches janus.plugin.convene
# and drives an aiortc PeerConnection with the protocol's bodies, SDPs
# travelling in Janus `jsep`s:
#   message {type:"join"}                      -> event joined
#   message {type:"offer"} + jsep offer        -> event answer, SDP in the event's jsep
#   event offer (userId "sfu"), SDP in its jsep -> message {type:"answer"} + jsep answer
# It shares the room with aiortc peers on the Convene WebSocket
# (tests/e2e/lib/aiortc_peer.py); media must flow both ways.
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import convene  # noqa: E402
from aiortc import RTCSessionDescription  # noqa: E402
from aiortc_peer import (MediaCounter, SfuPeer, audio_track, follow_ssrcs, make_pc, offer_owners,  # noqa: E402
                         parse_sdp, start_stalled_transceivers, video_track)
from convene import JanusApiClient, case, check, check_eq, main, short, uid  # noqa: E402

JANUS_SIG, WS_SIG, WS2_SIG = 5, 6, 7


class JanusSfuPeer:
    """A Convene SFU participant on the stock Janus API, with aiortc."""

    def __init__(self, client, signature):
        self.j = client
        self.name = client.name
        self.signature = signature
        self.pc = make_pc()
        self.counter = MediaCounter(self.name)
        self.counter.attach(self.pc)
        self.audio_track = self.video_track = None
        self.offers = []        # {frame, event, media, tracks, owners, t, answered, ack}
        self.violations = []
        self._ssrcs = {}
        self._kicks = []
        self._loop = None

    @property
    def user_id(self):
        return self.j.user_id

    def event_of(self, frame):
        """The raw Janus event that carried this plugin frame."""
        for e in reversed(self.j.raw_events):
            if (e.get("plugindata") or {}).get("data") is frame:
                return e
        raise AssertionError(f"{self.name}: no raw event for {short(frame)}")

    def check_event(self, event, sdp_type):
        check_eq(event.get("janus"), "event", "Janus message kind")
        check_eq(event.get("sender"), self.j.handle_id, "event sender (the handle)")
        check_eq((event.get("plugindata") or {}).get("plugin"), "janus.plugin.convene", "plugindata.plugin")
        jsep = event.get("jsep")
        check(isinstance(jsep, dict) and jsep.get("type") == sdp_type and isinstance(jsep.get("sdp"), str)
              and jsep["sdp"].startswith("v=0"),
              f"{self.name}: the {sdp_type} event has no jsep {{type:{sdp_type}, sdp}}: {short(event, 600)}")
        return jsep

    async def publish(self, audio=True, video=True, timeout=8):
        """Offers our tracks: message {type:"offer"} with a jsep; the answer
        comes as an event whose jsep holds the SDP."""
        if audio:
            self.audio_track = audio_track()
            self.pc.addTrack(self.audio_track)
        if video:
            self.video_track = video_track(self.signature)
            self.pc.addTrack(self.video_track)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        ack = await self.j.message({"type": "offer", "requestId": "pub-1"},
                                   jsep={"type": "offer", "sdp": self.pc.localDescription.sdp})
        check_eq(ack.get("janus"), "ack", "first reply to the offer message")
        frame = await self.j.expect_one_of(("answer", "error"), timeout)
        check_eq(frame.get("type"), "answer", f"{self.name}: reply to the offer ({short(frame)})")
        check_eq(frame.get("userId"), "sfu", "answer.userId")
        check_eq(frame.get("requestId"), "pub-1", "answer.requestId")
        jsep = self.check_event(self.event_of(frame), "answer")
        answer_media = parse_sdp(jsep["sdp"])
        check(all(m["direction"] == "recvonly" for m in answer_media if m["kind"] in ("audio", "video")),
              f"{self.name}: the server should receive our tracks (recvonly): {short(jsep['sdp'], 1500)}")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type="answer"))
        # aiortc's candidates are in the SDP: end of candidates as a Janus trickle
        reply = await self.j.request({"janus": "trickle", "handle_id": self.j.handle_id,
                                      "candidate": {"completed": True}})
        check_eq(reply.get("janus"), "ack", "reply to the trickle")
        self.start_answering()

    def start_answering(self):
        if self._loop is None:
            self._loop = asyncio.ensure_future(self._answer_offers())

    async def _answer_offers(self):
        j = self.j
        while True:
            frame = await j._wait(lambda: j._take(lambda f: isinstance(f, dict) and f.get("type") == "offer"), 1.0)
            if frame is None:
                if j.closed:
                    return
                continue
            try:
                await self._answer(frame)
            except Exception as e:  # noqa: BLE001
                self.violations.append(f"answering {short(frame, 200)}: {type(e).__name__}: {e}")

    async def _answer(self, frame):
        event = self.event_of(frame)
        jsep = self.check_event(event, "offer")
        media = parse_sdp(jsep["sdp"])
        offer = {"frame": frame, "event": event, "media": media, "tracks": frame.get("tracks"),
                 "owners": offer_owners(media, frame.get("tracks")), "t": time.monotonic(), "answered": None}
        self.offers.append(offer)
        if frame.get("userId") != "sfu":
            self.violations.append(f"offer not from sfu: {short(frame)}")
        self.counter.set_owners(offer["owners"])
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        offer["ack"] = await self.j.message({"type": "answer"},
                                            jsep={"type": "answer", "sdp": self.pc.localDescription.sdp})
        offer["answered"] = time.monotonic()
        follow_ssrcs(self.pc, media, self._ssrcs)
        self._kicks.append(asyncio.ensure_future(start_stalled_transceivers(self.pc)))

    async def wait_for(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {what} within {timeout:g} s; received="
                                     f"{self.counter.received()} mids={self.counter.mid_counts} "
                                     f"offers={[short(o['tracks']) for o in self.offers]} "
                                     f"violations={self.violations} frames={[short(f) for f in self.j.frames]}")
            await asyncio.sleep(0.05)

    async def wait_offer(self, cond, timeout=6, what="server offer", after=0):
        def find():
            return next((o for o in self.offers[after:] if o["answered"] and cond(o)), None)
        await self.wait_for(lambda: find() is not None, timeout, what)
        return find()

    async def wait_media(self, user, at_least=5, timeout=8):
        await self.wait_for(lambda: all(self.counter.count(user, k) >= at_least for k in ("audio", "video")),
                            timeout, f"{at_least}+ audio and video frames from {user}")

    def signature_from(self, user):
        sigs = self.counter.signatures.get(user) or {}
        return max(sigs, key=sigs.get) if sigs else None

    # the TAP runner's view
    frames = ()

    async def close(self):
        if self._loop:
            self._loop.cancel()
        for k in self._kicks:
            k.cancel()
        self.counter.stop()
        for t in (self.audio_track, self.video_track):
            if t:
                t.stop()
        await self.pc.close()


async def janus_peer(room, user, signature=JANUS_SIG, **join_data):
    j = await (await JanusApiClient.connect(name=user)).setup()
    joined = await j.join(room, user, **join_data)
    check_eq(joined.get("userId"), user, "joined.userId")
    check_eq(joined["data"].get("topology"), "sfu", "topology")
    p = JanusSfuPeer(j, signature)
    convene._resources.append(p)
    return p


def tracks_of(offer, user):
    return {t["kind"]: t for t in offer["tracks"] or [] if t.get("userId") == user}


def check_offer_names(p, offer, publisher):
    """tracks has publisher's audio and video with its track ids, and the SDP
    announces them with a=msid:<userId> <trackId> on active sendonly m-lines."""
    t = tracks_of(offer, publisher.user_id)
    check_eq(sorted(t), ["audio", "video"], f"{p.name}: kinds of {publisher.user_id} in the offer's tracks")
    check_eq(t["audio"]["trackId"], publisher.audio_track.id, "audio trackId")
    check_eq(t["video"]["trackId"], publisher.video_track.id, "video trackId")
    for kind, entry in t.items():
        m = next((m for m in offer["media"] if m["mid"] == entry["mid"]), None)
        check(m is not None and m["kind"] == kind and m["active"] and m["direction"] == "sendonly"
              and m["msid"] == {"stream": publisher.user_id, "track": entry["trackId"]},
              f"{p.name}: m-line {entry['mid']} of {publisher.user_id}'s {kind}: {m}")


@case("janus api + aiortc: offer with a jsep, answer in the event's jsep; media both ways with a WebSocket peer")
async def _():
    room = uid("sfu")
    jp = await janus_peer(room, uid("janus"))
    await jp.publish()
    w = await SfuPeer(room, uid("ws"), signature=WS_SIG).start()
    check_eq(w.joined.get("participants"), [jp.user_id], "participants the WebSocket peer sees")
    offer = await jp.wait_offer(lambda o: tracks_of(o, w.user_id), what=f"offer event with {w.user_id}")
    check_eq(offer["frame"].get("userId"), "sfu", "offer.userId")
    check_eq(offer["ack"].get("janus"), "ack", "reply to the answer message")
    check_offer_names(jp, offer, w)
    # the WebSocket peer sees the Janus API client's tracks the same way
    # (the server may hold this offer until w's own PeerConnection is up)
    w_offer = await w.wait_offer(cond=lambda o: any(t["userId"] == jp.user_id for t in o["tracks"] or []),
                                 what=f"offer with {jp.user_id}'s tracks")
    check_offer_names(w, w_offer, jp)
    await jp.wait_media(w.user_id, at_least=5)
    await w.wait_media(jp.user_id, at_least=5)
    before = (jp.counter.count(w.user_id, "video"), w.count(jp.user_id, "video"))
    await asyncio.sleep(1.0)
    after = (jp.counter.count(w.user_id, "video"), w.count(jp.user_id, "video"))
    check(after[0] - before[0] >= 6 and after[1] - before[1] >= 6,
          f"video frames in 1 s: janus<-ws {before[0]}->{after[0]}, ws<-janus {before[1]}->{after[1]}")
    check_eq(jp.signature_from(w.user_id), WS_SIG, "signature of the video the Janus client gets")
    sigs = w.counter.signatures.get(jp.user_id) or {}
    check_eq(max(sigs, key=sigs.get) if sigs else None, JANUS_SIG, "signature of the video the WebSocket peer gets")
    check(not jp.violations, f"{jp.name}: {jp.violations}")


@case("janus api: a leaver's m-lines go inactive in an offer event, the answer is taken, a new peer reuses them",
      timeout=30)
async def _():
    room = uid("sfu")
    jp = await janus_peer(room, uid("janus"))
    await jp.publish()
    w1 = await SfuPeer(room, uid("ws1"), signature=WS_SIG).start()
    await jp.wait_media(w1.user_id, at_least=3)
    with_w1 = jp.offers[-1]
    mids = {k: t["mid"] for k, t in tracks_of(with_w1, w1.user_id).items()}
    n = len(jp.offers)
    await w1.leave()
    gone = await jp.wait_offer(lambda o: not tracks_of(o, w1.user_id), after=n, what="offer event without ws1")
    for kind, mid in mids.items():
        m = next((m for m in gone["media"] if m["mid"] == mid), None)
        check(m is not None and not m["active"], f"{jp.name}: ws1's {kind} m-line {mid} after it left: {m}")
    check_eq(gone["ack"].get("janus"), "ack", "reply to the answer message")
    n = len(jp.offers)
    w2 = await SfuPeer(room, uid("ws2"), signature=WS2_SIG).start()
    reuse = await jp.wait_offer(lambda o: tracks_of(o, w2.user_id), after=n, what="offer event with ws2")
    check_eq({k: t["mid"] for k, t in tracks_of(reuse, w2.user_id).items()}, mids, "ws2's mids (ws1's were)")
    check_eq(len(reuse["media"]), len(with_w1["media"]), "m-line count")
    await jp.wait_media(w2.user_id, at_least=5)
    check_eq(jp.signature_from(w2.user_id), WS2_SIG, "signature of the video on the reused m-line")
    await w2.wait_media(jp.user_id, at_least=5)
    check(not jp.violations, f"{jp.name}: {jp.violations}")


@case("janus api: a receive-only client gets the server's offer first as an event with a jsep, and receives media")
async def _():
    room = uid("sfu")
    w = await SfuPeer(room, uid("ws"), signature=WS_SIG).start()
    jp = await janus_peer(room, uid("janus"), publish={"audio": False, "video": False})
    jp.start_answering()
    offer = await jp.wait_offer(lambda o: tracks_of(o, w.user_id), what="first offer event")
    check_offer_names(jp, offer, w)
    check(any(m["kind"] == "application" for m in offer["media"]),
          f"{jp.name}: the receive-only offer has no data channel m-line: {[m['kind'] for m in offer['media']]}")
    await jp.wait_media(w.user_id, at_least=5)
    check_eq(jp.signature_from(w.user_id), WS_SIG, "signature")
    check(not jp.violations, f"{jp.name}: {jp.violations}")


if __name__ == "__main__":
    main()
