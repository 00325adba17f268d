#!/usr/bin/python3
# with-server: --auth none --set transport.resume_grace=4
#
# Reconnection (docs/protocol.md, "Reconnection"): a signaling socket that
# drops does not end the participant. The server keeps it (PeerConnection,
# subscriptions, place in the room) for the grace period (here 4 s instead
# of the default 30, so that the timeout case is short); a new socket that
# joins with data.resume takes it over, `joined` says data.resumed, and the
# others see nothing. Media keeps flowing through all of it, since the
# PeerConnection never changes. A participant that does not come back leaves
# with reason "timeout"; a socket the client closes itself ends it at once.
#
# Peers are aiortc (tests/e2e/lib/aiortc_peer.py); "dropping" a socket aborts
# its TCP connection with no close frame, as a network loss does.
import asyncio
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import convene  # noqa: E402
from aiortc_peer import SfuPeer  # noqa: E402
from convene import case, check, check_eq, main, short, uid  # noqa: E402

GRACE = 4.0   # the with-server line above


async def peer(room, user, sig):
    return await SfuPeer(room, user, signature=sig).start()


def left_events(p, user):
    return [e for e in p.events if e["event"] == "left" and e["userId"] == user]


def joined_events(p, user):
    return [e for e in p.events if e["event"] == "user-joined" and e["userId"] == user]


async def frames_grow(p, publisher, kind, seconds):
    """How many of publisher's `kind` frames p decoded over `seconds`."""
    before = p.counter.count(publisher, kind)
    await asyncio.sleep(seconds)
    return p.counter.count(publisher, kind) - before


async def pair(prefix):
    room = uid(prefix)
    a = await peer(room, uid("a"), 1)
    b = await peer(room, uid("b"), 2)
    await a.wait_media(b.user_id, timeout=10)
    await b.wait_media(a.user_id, timeout=10)
    return room, a, b


@case("dropped socket: the participant stays, media flows both ways, the others see no user-left; "
      "a new socket with resume takes it over (joined data.resumed, same PeerConnection)", timeout=GRACE + 25)
async def _():
    room, a, b = await pair("resume")
    pc = a.pc
    await a.drop()
    # during the drop: media both ways, nobody told
    got_b = await frames_grow(b, a.user_id, "video", 1.5)
    got_a = await frames_grow(a, b.user_id, "video", 0.1)
    check(got_b > 5, f"b decoded only {got_b} of a's video frames in 1.5 s while a's socket was down")
    check_eq(left_events(b, a.user_id), [], "user-left for a at b during the grace")
    members = await convene.room_members(room)
    check(a.user_id in (members or []), f"a is no longer a member while detached: {members}")
    joined = await a.resume()
    data = joined.get("data") or {}
    check_eq(data.get("resumed"), True, "joined.data.resumed")
    check_eq(joined.get("participants"), [b.user_id], "participants in the resumed joined")
    check_eq(joined.get("userId"), a.user_id, "userId in the resumed joined")
    check(a.pc is pc and pc.connectionState == "connected",
          f"a's PeerConnection changed or is not connected ({pc.connectionState})")
    got_a = await frames_grow(a, b.user_id, "video", 1.5)
    got_b = await frames_grow(b, a.user_id, "video", 0.1)
    check(got_a > 5, f"a decoded only {got_a} of b's frames after resuming")
    # the new socket is the participant's: its `media` reaches b, its ping answers
    await a.client.send({"type": "media", "roomId": room, "data": {"audio": False, "video": True}})
    await b.wait_for(lambda: any(e["event"] == "frame" and e["frame"].get("type") == "user-updated"
                                 and e["frame"].get("userId") == a.user_id for e in b.events),
                     3, "user-updated from a's new socket")
    await a.client.send({"type": "ping", "requestId": "after-resume"})
    await a.wait_for(lambda: any(e["event"] == "frame" and e["frame"].get("type") == "pong"
                                 and e["frame"].get("requestId") == "after-resume" for e in a.events),
                     3, "pong on the new socket")
    # and the grace passing changes nothing now
    await asyncio.sleep(GRACE + 1)
    check_eq(left_events(b, a.user_id), [], "user-left for a at b after resuming")
    check_eq(joined_events(b, a.user_id), [], "user-joined for a at b (a resume is not a join)")
    members = await convene.room_members(room)
    check(a.user_id in (members or []), f"a is not a member after the grace: {members}")


@case("frames sent to a dropped participant are kept and follow its resumed joined, in order")
async def _():
    room, a, b = await pair("resume-q")
    await a.drop()
    texts = [f"while away {i}" for i in range(3)]
    for t in texts:
        await b.client.send({"type": "message", "roomId": room, "targetUserId": a.user_id, "data": {"text": t}})
    await asyncio.sleep(0.5)
    await a.resume()
    await a.wait_for(lambda: len([e for e in a.events if e["event"] == "frame"
                                  and e["frame"].get("type") == "message"]) >= 3, 3, "the kept messages")
    got = [e["frame"]["data"]["text"] for e in a.events
           if e["event"] == "frame" and e["frame"].get("type") == "message"]
    check_eq(got, texts, "messages delivered after the resume")


@case("no resume within the grace: the others get user-left {reason: timeout} after it, not before; "
      "a late resume is an ordinary join (data.resumed false)", timeout=GRACE + 25)
async def _():
    room, a, b = await pair("resume-t")
    t0 = time.monotonic()
    await a.drop()
    await b.wait_for(lambda: left_events(b, a.user_id), GRACE + 4, "user-left for a")
    took = time.monotonic() - t0
    ev = left_events(b, a.user_id)
    check_eq(ev[0]["reason"], "timeout", "user-left reason")
    check(took >= GRACE - 0.5, f"user-left came {took:.1f} s after the drop, before the {GRACE:g} s grace")
    # b's server offer drops a's tracks, like any leaver's
    await b.wait_for(lambda: b.offers and not any(t.get("userId") == a.user_id
                                                  for t in (b.offers[-1]["tracks"] or [])),
                     5, "an offer without a's tracks")
    joined = await a.resume()
    check_eq((joined.get("data") or {}).get("resumed"), False, "joined.data.resumed after the grace")
    await b.wait_for(lambda: joined_events(b, a.user_id), 3, "user-joined for a's new join")


@case("a socket the client closes itself ends the participant at once: user-left {reason: disconnected}")
async def _():
    room, a, b = await pair("resume-c")
    t0 = time.monotonic()
    await a.client.close()
    await b.wait_for(lambda: left_events(b, a.user_id), 3, "user-left for a")
    check_eq(left_events(b, a.user_id)[0]["reason"], "disconnected", "user-left reason")
    check(time.monotonic() - t0 < GRACE - 1, "user-left waited for the grace after a clean close")


@case("resume while the old socket is still open (the drop not noticed yet): the new socket takes over, "
      "the old one is closed, the others see nothing")
async def _():
    room, a, b = await pair("resume-o")
    old = a.client
    joined = await a.resume()
    check_eq((joined.get("data") or {}).get("resumed"), True, "joined.data.resumed")
    await asyncio.sleep(1.0)
    check(old.closed, "the old socket is still open")
    check_eq(left_events(b, a.user_id), [], "user-left for a at b")
    got = await frames_grow(a, b.user_id, "video", 1.0)
    check(got > 3, f"a decoded only {got} frames after taking over")


@case("resume refused cases: another room is an ordinary join of that room; without a dropped "
      "participant the join is ordinary too (resumed false); nothing leaks into the first room")
async def _():
    room, a, b = await pair("resume-r")
    c = await convene.Client.connect(name="c")
    other = uid("other-room")
    j = await c.join(other, a.user_id, resume=True)
    check_eq((j.get("data") or {}).get("resumed"), False, "resume into another room")
    # the same user id joining elsewhere replaces a (protocol): a is kicked, b sees a leave
    await b.wait_for(lambda: left_events(b, a.user_id), 3, "user-left for the replaced a")
    d = await convene.Client.connect(name="d")
    j = await d.join(uid("fresh"), uid("nobody"), resume=True)
    check_eq((j.get("data") or {}).get("resumed"), False, "resume of nobody")
    await c.close()
    await d.close()


if __name__ == "__main__":
    main()
