#!/usr/bin/python3
# End-to-end tests of the Convene protocol over WebSocket (shared spec/protocol.md).
# with-server: --auth none
#
# Rooms: "demo" (sfu) and "demo-mesh" (mesh, max 8) are configured; other ids
# are created as SFU rooms on first join. Cases use unique user and room ids.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from convene import (Client, case, check, check_eq, main, matches, now_ms,  # noqa: E402
                     room_empty, room_members, short, uid)

MESH = "demo-mesh"
SDP_OFFER = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
SDP_ANSWER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def clients(*names):
    return [await Client.connect(name=n) for n in names]


def check_timestamp(frame):
    ts = frame.get("timestamp")
    check(isinstance(ts, int) and not isinstance(ts, bool), f"no integer timestamp: {short(frame)}")
    check(abs(ts - now_ms()) < 60_000, f"timestamp {ts} is not near now ({now_ms()}): {short(frame)}")


# --- join / joined ------------------------------------------------------------------

@case("join: joined has roomId, userId, participants (join order, not self), data, requestId, timestamp")
async def _():
    room = uid("room")
    ua, ub, uc = uid("alice"), uid("bob"), uid("carol")
    a, b, c = await clients("a", "b", "c")

    ja = await a.join(room, ua, request_id="req-join-a", displayName="Alice")
    check_eq(ja["type"], "joined", "type")
    check_eq(ja.get("roomId"), room, "joined.roomId")
    check_eq(ja.get("userId"), ua, "joined.userId")
    check_eq(ja.get("participants"), [], "participants of the first joiner")
    check_eq(ja.get("requestId"), "req-join-a", "joined.requestId")
    check_timestamp(ja)
    data = ja.get("data")
    check(isinstance(data, dict), f"joined.data is not an object: {short(ja)}")
    check_eq(data.get("topology"), "sfu", "data.topology of a room created on join")
    check(isinstance(data.get("iceServers"), list), f"data.iceServers is not an array: {short(data)}")
    check_eq(data.get("participants"), [], "data.participants of the first joiner")
    check("maxParticipants" in data, f"no data.maxParticipants: {short(data)}")
    mp = data["maxParticipants"]
    check(mp is None or (isinstance(mp, int) and mp > 0), f"maxParticipants is {mp!r}")
    check_eq(data.get("recording"), False, "data.recording")

    jb = await b.join(room, ub, displayName="Bob", publish={"audio": False, "video": True})
    check_eq(jb.get("participants"), [ua], "participants seen by the second joiner")
    people = jb["data"]["participants"]
    check_eq(len(people), 1, "len(data.participants)")
    check(matches(people[0], {"userId": ua, "displayName": "Alice", "media": {"audio": True, "video": True}}),
          f"data.participants[0] is {short(people[0])}")

    jc = await c.join(room, uc, displayName="Carol")
    check_eq(jc.get("participants"), [ua, ub], "participants seen by the third joiner (join order)")
    people = jc["data"]["participants"]
    check_eq([p.get("userId") for p in people], [ua, ub], "data.participants user ids")
    check_eq(people[1].get("displayName"), "Bob", "Bob's displayName")
    check_eq(people[1].get("media"), {"audio": False, "video": True}, "Bob's media (publish at join)")


@case("join: demo-mesh reports topology mesh and maxParticipants 8, demo topology sfu")
async def _():
    await room_empty(MESH)
    a, b = await clients("a", "b")
    jm = await a.join(MESH, uid("m"))
    check_eq(jm["data"].get("topology"), "mesh", "demo-mesh topology")
    check_eq(jm["data"].get("maxParticipants"), 8, "demo-mesh maxParticipants")
    js = await b.join("demo", uid("s"))
    check_eq(js["data"].get("topology"), "sfu", "demo topology")


@case("join: without userId (auth none) gets a generated userId")
async def _():
    a, = await clients("a")
    j = await a.join(uid("room"))
    check(isinstance(j.get("userId"), str) and j["userId"], f"no generated userId: {short(j)}")


@case("user-joined: the others get it with data.displayName; the joiner does not")
async def _():
    room, other = uid("room"), uid("room")
    ua, ub, uc, ux = uid("alice"), uid("bob"), uid("carol"), uid("x")
    a, b, c, x = await clients("a", "b", "c", "x")
    await a.join(room, ua, displayName="Alice")
    await x.join(other, ux)
    await b.join(room, ub, displayName="Bob")
    f = await a.expect("user-joined", userId=ub)
    check_eq(f.get("data", {}).get("displayName"), "Bob", "user-joined.data.displayName")
    check_eq(f.get("roomId"), room, "user-joined.roomId")
    await c.join(room, uc)
    fa = await a.expect("user-joined", userId=uc)
    fb = await b.expect("user-joined", userId=uc)
    for f in (fa, fb):
        name = f.get("data", {}).get("displayName")
        check(isinstance(name, str) and name, f"user-joined without a displayName: {short(f)}")
    await b.no_frame("user-joined", userId=ub)
    await c.no_frame("user-joined")
    await x.no_frame()


# --- leaving ------------------------------------------------------------------------

@case("leave: `left` to the leaver (requestId echoed), user-left {reason: left} to the others")
async def _():
    room = uid("room")
    ua, ub, uc = uid("alice"), uid("bob"), uid("carol")
    a, b, c = await clients("a", "b", "c")
    await a.join(room, ua)
    await b.join(room, ub)
    await c.join(room, uc)
    await b.send({"type": "leave", "roomId": room, "requestId": "lv-1"})
    left = await b.expect("left")
    check_eq(left.get("requestId"), "lv-1", "left.requestId")
    for peer in (a, c):
        f = await peer.expect("user-left", userId=ub)
        check_eq(f.get("data"), {"reason": "left"}, "user-left.data")
    # b is out: a broadcast does not reach it any more
    await a.send({"type": "message", "data": {"after": "leave"}})
    await c.expect("message", userId=ua)
    await b.no_frame("message")
    # and it can join again
    jb = await b.join(room, ub)
    check_eq(jb.get("participants"), [ua, uc], "participants after rejoining")
    await a.expect("user-joined", userId=ub)
    await b.assert_usable()


@case("disconnect: closing the socket gives the others user-left {reason: disconnected}")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(room, ua)
    await b.join(room, ub)
    await b.close()
    f = await a.expect("user-left", userId=ub)
    check_eq(f.get("data"), {"reason": "disconnected"}, "user-left.data")
    await a.no_frame("user-left")


@case("disconnect: a dropped TCP connection (no close handshake) keeps the participant for the grace "
      "period: no user-left, still listed; a resume takes it over (details: test_resume.py)")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(room, ua)
    await b.join(room, ub)
    b.abort()
    await a.no_frame("user-left", within=2.0)
    # a newcomer still sees b: it is only away
    c, = await clients("c")
    jc = await c.join(room, uid("carol"))
    check_eq(sorted(jc.get("participants")), sorted([ua, ub]), "participants during the grace")
    await a.expect("user-joined")
    # b comes back on a new socket
    b2, = await clients("b2")
    jb = await b2.join(room, ub, resume=True)
    check_eq((jb.get("data") or {}).get("resumed"), True, "joined.data.resumed")
    check_eq(sorted(jb.get("participants")), sorted([ua, c.user_id or jc.get("userId")]), "participants of the resumed b")
    await a.no_frame("user-left", within=0.5)
    await a.no_frame("user-joined", userId=ub, within=0.2)


# --- relays -------------------------------------------------------------------------

@case("mesh relay: offer/answer/ice-candidate/message reach the target with userId = sender, data intact")
async def _():
    await room_empty(MESH)
    ua, ub, ud, uc = uid("alice"), uid("bob"), uid("dave"), uid("carol")
    a, b, d, c = await clients("a", "b", "d", "c")
    await a.join(MESH, ua)
    await b.join(MESH, ub)
    await d.join(MESH, ud)
    await c.join(uid("room"), uc)

    async def relayed(sender, receiver, type_, data, target):
        await sender.send({"type": type_, "roomId": MESH, "targetUserId": target, "data": data})
        f = await receiver.expect(type_)
        check_eq(f.get("userId"), sender.user_id, f"{type_}.userId (the sender)")
        check("data" in f, f"{type_} relayed without data: {short(f)}")
        check_eq(f["data"], data, f"{type_}.data")
        check_eq(f.get("roomId"), MESH, f"{type_}.roomId")
        if "targetUserId" in f:
            check_eq(f["targetUserId"], target, f"{type_}.targetUserId")
        return f

    await relayed(a, b, "offer", {"type": "offer", "sdp": SDP_OFFER}, ub)
    await relayed(b, a, "answer", {"type": "answer", "sdp": SDP_ANSWER}, ua)
    cand = {"candidate": "candidate:1 1 udp 2122260223 10.77.0.2 50000 typ host generation 0",
            "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "f00d"}
    await relayed(a, b, "ice-candidate", cand, ub)
    await relayed(b, a, "ice-candidate", cand, ua)
    await relayed(a, b, "ice-candidate", None, ub)
    payload = {"text": "héllo ✓ \"quoted\" \\ \n", "n": [1, 2.5, {"x": None, "y": False}], "big": 2 ** 53}
    await relayed(a, b, "message", payload, ub)
    await relayed(b, a, "message", "a plain string", ua)
    # nobody else saw any of it; no errors came back
    await d.no_frame()
    await c.no_frame()
    await a.no_frame("error")
    await b.no_frame("error")


@case("relay isolation: a target in another room gets 404 (requestId echoed) and receives nothing")
async def _():
    await room_empty(MESH)
    ua, ub, uc = uid("alice"), uid("bob"), uid("carol")
    a, b, c = await clients("a", "b", "c")
    await a.join(MESH, ua)
    await b.join(MESH, ub)
    await c.join(uid("room"), uc)      # another room
    tries = [
        ("offer", {"type": "offer", "sdp": SDP_OFFER}),
        ("answer", {"type": "answer", "sdp": SDP_ANSWER}),
        ("ice-candidate", {"candidate": "candidate:1 1 udp 1 10.77.0.2 9 typ host", "sdpMid": "0",
                           "sdpMLineIndex": 0}),
        ("message", {"hello": "other room"}),
    ]
    for i, (type_, data) in enumerate(tries):
        rid = f"x-{i}"
        await a.send({"type": type_, "targetUserId": uc, "data": data, "requestId": rid})
        await a.expect_error(404, rid)
        await a.assert_usable()
    # a user who is nowhere
    await a.send({"type": "message", "targetUserId": uid("nobody"), "data": {}, "requestId": "x-nobody"})
    await a.expect_error(404, "x-nobody")
    await c.no_frame()
    await b.no_frame()
    await a.assert_usable()


@case("broadcast message: without targetUserId it reaches everyone else in the sender's room only")
async def _():
    room, other = uid("room"), uid("room")
    ua, ub, ux, uc = uid("alice"), uid("bob"), uid("xena"), uid("carol")
    a, b, x, c = await clients("a", "b", "x", "c")
    await a.join(room, ua)
    await b.join(room, ub)
    await x.join(room, ux)
    await c.join(other, uc)
    payload = {"chat": "hi all", "list": [1, "two", None]}
    await a.send({"type": "message", "data": payload, "requestId": "bc-1"})
    for peer in (b, x):
        f = await peer.expect("message")
        check_eq(f.get("userId"), ua, "message.userId")
        check_eq(f.get("data"), payload, "message.data")
        check_eq(f.get("roomId"), room, "message.roomId")
    await a.no_frame("message")
    await c.no_frame()
    await a.no_frame("error")


@case("identity: a userId that is not the sender's is refused with 403 and nothing is relayed")
async def _():
    await room_empty(MESH)
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(MESH, ua)
    await b.join(MESH, ub)
    forged = [
        {"type": "message", "userId": "mallory", "targetUserId": ub, "data": {"t": 1}},
        {"type": "message", "userId": ub, "data": {"t": 2}},                       # impersonating b
        {"type": "offer", "userId": "mallory", "targetUserId": ub, "data": {"type": "offer", "sdp": SDP_OFFER}},
        {"type": "ice-candidate", "userId": ub, "targetUserId": ub, "data": None},
        {"type": "media", "userId": "mallory", "data": {"audio": False, "video": False}},
    ]
    for i, msg in enumerate(forged):
        msg["requestId"] = f"id-{i}"
        await a.send(msg)
        await a.expect_error(403, f"id-{i}")
        await a.assert_usable()
    await b.no_frame()
    # the sender's own userId is fine
    await a.send({"type": "message", "userId": ua, "targetUserId": ub, "data": {"t": "own"}})
    f = await b.expect("message")
    check_eq(f.get("data"), {"t": "own"}, "message.data")
    check_eq(f.get("userId"), ua, "message.userId")


# --- errors -------------------------------------------------------------------------

async def expect_bad(client, frame, request_id=None, code=400):
    """Sends frame (str/bytes as is, else JSON) and expects the error, then a pong."""
    if isinstance(frame, (str, bytes)):
        await client.send_raw(frame)
    else:
        await client.send(frame)
    await client.expect_error(code, request_id)
    await client.assert_usable()


@case("error 400: not JSON, not an object (array, string, number), empty, binary; connection stays usable")
async def _():
    a, = await clients("a")
    for raw in ["not json {", '{"type": "ping"', "[1, 2, 3]", '[{"type": "ping"}]', '"ping"', "42", "null",
                "", "{\"type\": \"ping\", \"requestId\": \"dup\", \"requestId\": \"dup2\"} trailing"]:
        await expect_bad(a, raw, None)
    await expect_bad(a, b'{"type": "ping"}', None)
    # still joins fine afterwards
    await a.join(uid("room"), uid("alice"))


@case("error 400: unknown type, missing type, wrong field types (requestId echoed); stays usable")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b, fresh = await clients("a", "b", "fresh")
    await a.join(room, ua)
    await b.join(room, ub)
    bad = [
        {"type": "no-such-type"},
        {"type": "Ping"},
        {"roomId": room},                                         # missing type
        {"type": 42},
        {"type": None},
        {"type": ["ping"]},
        {"type": "message", "targetUserId": 123, "data": {}},
        {"type": "message", "targetUserId": "", "data": {}},
        {"type": "message", "roomId": {"id": room}, "data": {}},
        {"type": "message", "userId": 7, "data": {}},
        {"type": "ping", "timestamp": "now"},
        {"type": "media", "data": {"audio": "yes", "video": True}},
        {"type": "media", "data": "muted"},
        {"type": "ice-candidate", "targetUserId": ub, "data": {"candidate": 5}},
        {"type": "kick", "targetUserId": ub, "data": {"reason": 5}},
    ]
    for i, msg in enumerate(bad):
        msg["requestId"] = f"bad-{i}"
        await expect_bad(a, msg, f"bad-{i}")
    # join with ill-typed or missing fields, on a connection that has not joined
    for i, msg in enumerate([
        {"type": "join"},                                         # no roomId
        {"type": "join", "roomId": 12},
        {"type": "join", "roomId": room, "userId": ["x"]},
        {"type": "join", "roomId": room, "data": {"displayName": 5}},
        {"type": "join", "roomId": room, "data": "me"},
        {"type": "join", "roomId": room, "data": {"publish": {"audio": "on"}}},
    ]):
        msg["requestId"] = f"badjoin-{i}"
        await expect_bad(fresh, msg, f"badjoin-{i}")
    await b.no_frame()     # nothing of that went anywhere
    # integer requestId is echoed as an integer
    await a.send({"type": "nonsense", "requestId": 4242})
    f = await a.expect_error(400)
    check(f.get("requestId") == 4242 and isinstance(f.get("requestId"), int), f"requestId not echoed: {short(f)}")


@case("error 400: offer/answer without data.sdp or with the wrong data.type; nothing relayed")
async def _():
    await room_empty(MESH)
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(MESH, ua)
    await b.join(MESH, ub)
    for i, msg in enumerate([
        {"type": "offer", "targetUserId": ub, "data": {"type": "offer"}},
        {"type": "offer", "targetUserId": ub, "data": {"type": "offer", "sdp": ""}},
        {"type": "offer", "targetUserId": ub, "data": {"type": "offer", "sdp": 17}},
        {"type": "offer", "targetUserId": ub},
        {"type": "offer", "targetUserId": ub, "data": {"type": "answer", "sdp": SDP_ANSWER}},
        {"type": "answer", "targetUserId": ub, "data": {"type": "answer"}},
        {"type": "answer", "targetUserId": ub, "data": {"sdp": SDP_ANSWER}},
    ]):
        msg["requestId"] = f"sdp-{i}"
        await expect_bad(a, msg, f"sdp-{i}")
    await b.no_frame()


@case("error 409: message/offer/leave before join, join while joined, leave with another roomId")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await b.join(room, ub)
    for i, msg in enumerate([
        {"type": "message", "roomId": room, "data": {"early": True}},
        {"type": "message", "targetUserId": ub, "data": {"early": True}},
        {"type": "offer", "targetUserId": ub, "data": {"type": "offer", "sdp": SDP_OFFER}},
        {"type": "media", "data": {"audio": False, "video": False}},
        {"type": "leave", "roomId": room},
    ]):
        msg["requestId"] = f"early-{i}"
        await expect_bad(a, msg, f"early-{i}", code=409)
    await b.no_frame()
    await a.join(room, ua)
    await b.expect("user-joined", userId=ua)
    await expect_bad(a, {"type": "join", "roomId": room, "requestId": "again"}, "again", code=409)
    await expect_bad(a, {"type": "join", "roomId": uid("room"), "requestId": "other"}, "other", code=409)
    await expect_bad(a, {"type": "leave", "roomId": uid("room"), "requestId": "lv-other"}, "lv-other", code=409)
    await b.no_frame("user-left")
    # still in the room
    await a.send({"type": "message", "data": {"still": "here"}})
    f = await b.expect("message", userId=ua)
    check_eq(f.get("data"), {"still": "here"}, "message.data")
    await a.send({"type": "leave", "roomId": room, "requestId": "lv"})
    await a.expect("left", requestId="lv")


@case("error 413: a frame over 65536 bytes is refused, one of exactly 65536 passes; stays usable")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(room, ua)
    await b.join(room, ub)

    def frame_of(size, rid):
        msg = {"type": "message", "targetUserId": ub, "requestId": rid, "data": {"pad": ""}}
        base = len(json.dumps(msg, separators=(",", ":")))
        msg["data"]["pad"] = "x" * (size - base)
        text = json.dumps(msg, separators=(",", ":"))
        assert len(text.encode()) == size
        return text, msg["data"]

    text, _ = frame_of(65537, "big-1")
    await a.send_raw(text)
    await a.expect_error(413)
    await a.assert_usable()
    await a.send_raw("y" * 300_000)            # far over, and not even JSON
    await a.expect_error(413)
    await a.assert_usable()
    await b.no_frame("message")
    text, data = frame_of(65536, "big-ok")
    await a.send_raw(text)
    f = await b.expect("message", userId=ua)
    check(f.get("data") == data, "the 65536-byte message was not relayed intact")
    await a.no_frame("error")


@case("error 503: the 9th join of demo-mesh (max 8) gets room_full; the room did not change")
async def _():
    await room_empty(MESH)
    members = await clients(*[f"m{i}" for i in range(8)])
    ids = [uid(f"m{i}") for i in range(8)]
    for c, u in zip(members, ids):
        await c.join(MESH, u)
    ninth, = await clients("ninth")
    u9 = uid("ninth")
    await ninth.send({"type": "join", "roomId": MESH, "userId": u9, "requestId": "full"})
    await ninth.expect_error(503, "full")
    await ninth.assert_usable()
    await members[0].no_frame("user-joined", userId=u9)
    check_eq(await room_members(MESH), ids, "demo-mesh members (admin API)")
    # a place frees up: the ninth gets in
    await members[7].send({"type": "leave", "requestId": "lv"})
    await members[7].expect("left")
    j = await ninth.join(MESH, u9)
    check_eq(j.get("participants"), ids[:7], "participants after a place freed up")


@case("error 503: a refused join has no effect: the connection may then join elsewhere as another user")
async def _():
    await room_empty(MESH)
    members = await clients(*[f"m{i}" for i in range(8)])
    for i, c in enumerate(members):
        await c.join(MESH, uid(f"m{i}"))
    late, = await clients("late")
    await late.send({"type": "join", "roomId": MESH, "userId": uid("late"), "requestId": "full"})
    await late.expect_error(503, "full")
    # auth none: the userId comes from the join; that join failed, so the
    # connection has no identity yet and any userId is its own
    other = uid("other")
    j = await late.join(uid("room"), other)
    check_eq(j.get("userId"), other, "joined.userId")


@case("error 403: kick without the moderate grant; the target stays")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(room, ua)
    await b.join(room, ub)
    await a.send({"type": "kick", "targetUserId": ub, "data": {"reason": "go away"}, "requestId": "k-1"})
    await a.expect_error(403, "k-1")
    await b.no_frame("kicked")
    await a.no_frame("user-left")
    await b.assert_usable()
    await a.send({"type": "message", "targetUserId": ub, "data": "still here?"})
    await b.expect("message", userId=ua)


# --- ping, media, replacement, ordering -------------------------------------------

@case("ping: pong echoes a string or integer requestId, before and after join; none when none sent")
async def _():
    a, = await clients("a")
    p = await a.ping("p-1")
    check_timestamp(p)
    p = await a.ping(987654321)
    check(isinstance(p["requestId"], int), f"integer requestId came back as {p['requestId']!r}")
    await a.send({"type": "ping"})
    p = await a.expect("pong")
    check("requestId" not in p, f"pong has a requestId nobody sent: {short(p)}")
    await a.join(uid("room"), uid("alice"))
    await a.ping("p-joined")


@case("media: the others get user-updated {data: {media: {audio, video}}}; newcomers see the state")
async def _():
    room = uid("room")
    ua, ub, uc = uid("alice"), uid("bob"), uid("carol")
    a, b, c = await clients("a", "b", "c")
    await a.join(room, ua)
    await b.join(room, ub)
    await c.join(uid("room"), uc)
    await a.send({"type": "media", "data": {"audio": False, "video": True}, "requestId": "m-1"})
    f = await b.expect("user-updated", userId=ua)
    check_eq(f.get("data"), {"media": {"audio": False, "video": True}}, "user-updated.data")
    await a.send({"type": "media", "data": {"audio": False, "video": False}})
    f = await b.expect("user-updated", userId=ua)
    check_eq(f.get("data"), {"media": {"audio": False, "video": False}}, "user-updated.data")
    await a.send({"type": "media", "data": {"audio": True, "video": False}})
    f = await b.expect("user-updated", userId=ua)
    check_eq(f.get("data"), {"media": {"audio": True, "video": False}}, "user-updated.data")
    await a.no_frame("user-updated")
    await a.no_frame("error")
    await c.no_frame()
    d, = await clients("d")
    jd = await d.join(room, uid("dave"))
    mine = [p for p in jd["data"]["participants"] if p.get("userId") == ua]
    check_eq(len(mine), 1, "alice in data.participants")
    check_eq(mine[0].get("media"), {"audio": True, "video": False}, "alice's media seen by a newcomer")


@case("replace: same userId joining again kicks the first connection (kicked replaced, close 4000)")
async def _():
    room = uid("room")
    dup, ub = uid("dup"), uid("bob")
    first, b, second = await clients("first", "b", "second")
    await b.join(room, ub)
    await first.join(room, dup)
    await b.expect("user-joined", userId=dup)
    j = await second.join(room, dup)
    check_eq(j.get("participants"), [ub], "participants seen by the replacing connection")
    k = await first.expect("kicked")
    check_eq(k.get("data", {}).get("reason"), "replaced", "kicked.data.reason")
    code, reason = await first.wait_closed()
    check_eq(code, 4000, "close code of the replaced connection")
    # b sees the old connection go and the new one come (in that order)
    left = await b.expect("user-left", userId=dup)
    check_eq(left.get("data"), {"reason": "disconnected"}, "user-left.data for the replaced connection")
    joined = await b.expect("user-joined", userId=dup)
    position = {id(f): i for i, f in enumerate(b.history)}
    check(position[id(left)] < position[id(joined)], "the new user-joined came before the old user-left")
    # messages to dup reach the new connection
    await b.send({"type": "message", "targetUserId": dup, "data": "to the new one"})
    f = await second.expect("message", userId=ub)
    check_eq(f.get("data"), "to the new one", "message.data")
    check_eq(first.frames, [], "frames the replaced connection got after kicked")


@case("replace: the same userId joining another room also replaces the first connection")
async def _():
    room1, room2 = uid("room"), uid("room")
    dup, ub = uid("dup"), uid("bob")
    first, b, second = await clients("first", "b", "second")
    await b.join(room1, ub)
    await first.join(room1, dup)
    await b.expect("user-joined", userId=dup)
    await second.join(room2, dup)
    k = await first.expect("kicked")
    check_eq((k.get("roomId"), k.get("data", {}).get("reason")), (room1, "replaced"), "kicked in the first room")
    code, _ = await first.wait_closed()
    check_eq(code, 4000, "close code of the replaced connection")
    left = await b.expect("user-left", userId=dup)
    check_eq(left.get("data"), {"reason": "disconnected"}, "user-left in the first room")
    check_eq(await room_members(room1), [ub], "members of the first room")
    check_eq(await room_members(room2), [dup], "members of the second room")


@case("reserved: nobody joins as \"sfu\" (the server's id)")
async def _():
    a, = await clients("a")
    await a.send({"type": "join", "roomId": uid("room"), "userId": "sfu", "requestId": "j-sfu"})
    await a.expect_error(400, "j-sfu")
    await a.assert_usable()


@case("ordering: a burst of 50 messages from A to B arrives in order")
async def _():
    room = uid("room")
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(room, ua)
    await b.join(room, ub)
    for i in range(50):
        await a.send({"type": "message", "targetUserId": ub, "data": {"seq": i}})
    got = [(await b.expect("message", timeout=10))["data"]["seq"] for _ in range(50)]
    check_eq(got, list(range(50)), "order of the burst")
    # broadcasts too, to two receivers
    c, = await clients("c")
    await c.join(room, uid("carol"))
    for i in range(50):
        await a.send({"type": "message", "data": {"seq": i}})
    for peer in (b, c):
        got = [(await peer.expect("message", timeout=10))["data"]["seq"] for _ in range(50)]
        check_eq(got, list(range(50)), f"order of the broadcast burst at {peer.name}")
    await a.no_frame("error")


@case("ordering: offer, 30 ice-candidates and 19 messages in a mesh room arrive in the order sent")
async def _():
    await room_empty(MESH)
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(MESH, ua)
    await b.join(MESH, ub)
    sent = [("offer", {"type": "offer", "sdp": SDP_OFFER})]
    sent += [("ice-candidate", {"candidate": f"candidate:{i} 1 udp {i} 10.77.0.2 {40000 + i} typ host",
                                "sdpMid": "0", "sdpMLineIndex": 0}) for i in range(30)]
    sent += [("message", {"seq": i}) for i in range(19)]
    for type_, data in sent:
        await a.send({"type": type_, "targetUserId": ub, "data": data})
    got = []
    for _ in sent:
        f = await b.recv(timeout=10)
        got.append((f.get("type"), f.get("data")))
    check_eq(got, sent, "frames at b")


@case("mesh first offer: a newcomer that answers the member loses its crossing offer, its candidates follow its answer")
async def _():
    await room_empty(MESH)
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(MESH, ua)          # alice was there first
    await b.join(MESH, ub)          # bob is the newcomer
    await a.expect("user-joined", userId=ub)
    cand = {"candidate": "candidate:7 1 udp 7 10.77.0.2 40007 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    # both offer at once (as the seed guide's browser client does)
    await b.send({"type": "offer", "targetUserId": ua, "data": {"type": "offer", "sdp": SDP_OFFER}})
    await b.send({"type": "ice-candidate", "targetUserId": ua, "data": cand})
    await a.send({"type": "offer", "targetUserId": ub, "data": {"type": "offer", "sdp": SDP_OFFER}})
    f = await b.expect("offer")
    check_eq(f.get("userId"), ua, "the earlier member's offer reaches the newcomer")
    await a.no_frame(within=0.5)    # bob's offer and candidate did not reach alice
    # bob answers: alice gets the answer, then the held candidate, in that order
    await b.send({"type": "answer", "targetUserId": ua, "data": {"type": "answer", "sdp": SDP_ANSWER}})
    f1 = await a.recv(timeout=5)
    f2 = await a.recv(timeout=5)
    check_eq((f1.get("type"), f1.get("userId")), ("answer", ub), "first frame at alice")
    check_eq((f2.get("type"), f2.get("data")), ("ice-candidate", cand), "second frame at alice")
    # after answering, the newcomer's offers (renegotiation) go through
    await b.send({"type": "offer", "targetUserId": ua, "data": {"type": "offer", "sdp": SDP_OFFER}})
    f = await a.expect("offer")
    check_eq(f.get("userId"), ub, "a later offer from the newcomer")


@case("mesh first offer: a newcomer that ignores the member's offer (impolite) gets its own offer through")
async def _():
    await room_empty(MESH)
    ua, ub = uid("alice"), uid("bob")
    a, b = await clients("a", "b")
    await a.join(MESH, ua)
    await b.join(MESH, ub)
    await a.expect("user-joined", userId=ub)
    cand = {"candidate": "candidate:9 1 udp 9 10.77.0.2 40009 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    await b.send({"type": "offer", "targetUserId": ua, "data": {"type": "offer", "sdp": SDP_OFFER}})
    await b.send({"type": "ice-candidate", "targetUserId": ua, "data": cand})
    await a.send({"type": "offer", "targetUserId": ub, "data": {"type": "offer", "sdp": SDP_OFFER}})
    await b.expect("offer", userId=ua)
    # bob does not answer: about a second later alice gets bob's offer, then its candidate
    t0 = now_ms()
    f1 = await a.recv(timeout=5)
    f2 = await a.recv(timeout=5)
    waited = now_ms() - t0
    check_eq((f1.get("type"), f1.get("userId")), ("offer", ub), "first frame at alice")
    check_eq((f2.get("type"), f2.get("data")), ("ice-candidate", cand), "second frame at alice")
    check(500 <= waited <= 3000, f"bob's offer reached alice after {waited} ms (expected about 1 s)")
    # alice, polite, answers: relayed at once
    await a.send({"type": "answer", "targetUserId": ub, "data": {"type": "answer", "sdp": SDP_ANSWER}})
    await b.expect("answer", userId=ua)


@case("timestamp: every server frame (joined, user-joined, message, pong, error, left, user-left) has one")
async def _():
    room = uid("room")
    a, b = await clients("a", "b")
    await a.join(room, uid("alice"))
    await b.join(room, uid("bob"))
    await a.send({"type": "message", "data": 1})
    await a.send({"type": "bogus", "requestId": "ts"})
    await a.expect_error(400, "ts")
    await a.ping()
    await a.send({"type": "leave"})
    await a.expect("left")
    await b.expect("message")
    await b.expect("user-left")
    seen = set()
    for f in a.history + b.history:
        check_timestamp(f)
        seen.add(f["type"])
    for t in ("joined", "user-joined", "message", "pong", "error", "left", "user-left"):
        check(t in seen, f"no {t} frame was seen (seen: {sorted(seen)})")


if __name__ == "__main__":
    main()
