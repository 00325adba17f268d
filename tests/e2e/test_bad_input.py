#!/usr/bin/python3
# with-server: --auth jwt
#
# Bad input, class by class (docs/security.md, shared spec/protocol.md
# "Errors"): each gets the exact error code of the contract; the sender's
# connection stays usable where the contract says so (a ping gets its pong
# afterwards); another participant in the same room sees nothing of it and
# is unaffected; and the server still serves a fresh client afterwards
# (join + ping). Grants are varied by minting tokens.
#
# The limits that need small settings to be quick (floods, timeouts,
# connection caps, Origin) are in test_bad_input_limits.py and
# test_bad_input_connections.py. Every file ends with `# N/M cases as specified`.
import asyncio
import json
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from convene import (ANY, Client, RawWebSocket, admin_plugin_request, admin_request, case, check,  # noqa: E402
                     check_eq, env, list_rooms, main, mint_token, room_members, short, uid)
from aiortc import RTCSessionDescription  # noqa: E402
from bad_input import MESH, conn, fresh_client_served, member, mesh_empty, scene, token, unaffected  # noqa: E402,F401
from aiortc_peer import (MediaCounter, SfuPeer, make_pc, offer_owners, parse_sdp,  # noqa: E402
                        start_stalled_transceivers)

CANDIDATE = "candidate:842163049 1 udp 1677729535 10.77.0.2 40000 typ srflx raddr 0.0.0.0 rport 0 generation 0"


# --- helpers -------------------------------------------------------------------------

async def refused(c, frame, code, rid=ANY):
    """Sends frame (str/bytes as is, else JSON), expects error `code`
    (with requestId rid), then a pong: the connection is still usable."""
    if isinstance(frame, (str, bytes)):
        await c.send_raw(frame)
    else:
        await c.send(frame)
    f = await c.expect_error(code, rid)
    await c.assert_usable()
    return f


def depth_nested(depth, leaf=0):
    """A JSON value nested `depth` objects deep ({"a":{"a":...}})."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


async def real_offer(pc=None, audio=True, video=True, data=False, direction="sendrecv"):
    """An aiortc offer (pc, sdp) with the given media."""
    pc = pc or make_pc()
    if audio:
        pc.addTransceiver("audio", direction=direction)
    if video:
        pc.addTransceiver("video", direction=direction)
    if data:
        pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def offer_reply(c, sdp, rid):
    """Sends an offer to the server; returns its reply (answer or error)."""
    await c.send({"type": "offer", "data": {"type": "offer", "sdp": sdp}, "requestId": rid})
    return await c.expect_one_of(("answer", "error"), timeout=8)


async def answered(c, sdp, rid):
    f = await offer_reply(c, sdp, rid)
    check(f["type"] == "answer", f"{c.name}: offer {rid} not answered: {short(f)}")
    check_eq(f.get("requestId"), rid, "answer.requestId")
    return f


def lists_user(offer, user):
    return any(t.get("userId") == user for t in (offer.get("tracks") or []))


# --- not JSON, not an object ----------------------------------------------------------

@case("not JSON: broken, truncated, empty, duplicate keys, NaN, trailing data, binary -> 400 each; "
      "usable; the bystander sees nothing; a fresh client is served")
async def _():
    room, actor, bystander = await scene()
    for raw in ["not json {", '{"type": "ping"', "", " ", "{'type': 'ping'}", '{"type": "ping"}}',
                '{"type": "ping", "type": "ping"}', '{"type": "ping", "requestId": NaN}',
                '{"type": "ping"} {"type": "ping"}', '{"type": "ping", "requestId": 1e999999}',
                "\\u0000", '{"type": "pi\\u0000ng"}', "\ufeff{\"type\": \"ping\"}"]:
        await refused(actor, raw, 400, None)
    await refused(actor, b'{"type": "ping"}', 400, None)              # binary frame
    await refused(actor, bytes(range(256)), 400, None)
    await unaffected(bystander)
    await fresh_client_served()


@case("not UTF-8: a text frame with invalid UTF-8 fails the WebSocket (close 1007, RFC 6455 8.1); "
      "the bystander is unaffected; a fresh client is served")
async def _():
    room, _, bystander = await scene()
    sub = uid("raw")
    raw = await RawWebSocket.connect(token=token(sub))
    await raw.send_text(json.dumps({"type": "join", "roomId": room, "requestId": "j"}))
    op, payload = await raw.read_frame()
    check(op == 1 and json.loads(payload).get("type") == "joined", f"raw join: {op} {payload[:200]!r}")
    await bystander.expect("user-joined", userId=sub)
    await raw.send_frame(1, b'{"type": "message", "data": "\xff\xfe\xfd"}')
    frames = await raw.read_until_end(timeout=3)
    closes = [p for op, p in frames if op == 8]
    check(closes and RawWebSocket.close_payload(closes[0])[0] == 1007,
          f"expected a Close 1007, got {frames!r} (stream {raw.ended})")
    left = await bystander.expect("user-left", userId=sub)
    check_eq(left.get("data"), {"reason": "disconnected"}, "user-left.data")
    await bystander.no_frame("message")
    await unaffected(bystander)
    await fresh_client_served()


@case("not an object: array, string, number, null, boolean, array of a message -> 400 each; usable; "
      "bystander sees nothing")
async def _():
    room, actor, bystander = await scene()
    for raw in ["[1, 2, 3]", "[]", '"ping"', "42", "-1.5", "null", "true", "false",
                '[{"type": "ping", "requestId": "arr"}]']:
        await refused(actor, raw, 400, None)
    await unaffected(bystander)
    await fresh_client_served()


# --- envelope fields ------------------------------------------------------------------

BAD_IDS = [5, 0, -1, 1.5, "", "x" * 129, "tab\there", "nl\nhere", "del\x7f", True, None, [], ["a"], {}, {"id": "a"}]


@case("wrong types, envelope: type, roomId, userId, targetUserId, timestamp, token -> 400 with the "
      "requestId echoed; usable; bystander sees nothing")
async def _():
    room, actor, bystander = await scene()
    n = 0

    async def bad(msg):
        nonlocal n
        n += 1
        rid = f"bad-{n}"
        msg = dict(msg, requestId=rid)
        await refused(actor, msg, 400, rid)

    for t in [42, None, True, [], ["ping"], {}, {"type": "ping"}, 1.0]:
        await bad({"type": t})
    for field in ("roomId", "userId", "targetUserId"):
        for value in BAD_IDS:
            await bad({"type": "message", field: value, "data": {"x": 1}})
    for value in ["now", "", {}, [], True, None]:
        await bad({"type": "ping", "timestamp": value})
    # a connection that has not joined yet: join with ill-typed fields
    fresh = await conn(uid("joiner"))
    for i, msg in enumerate([
        {"type": "join", "roomId": 12},
        {"type": "join", "roomId": room, "token": 12},
        {"type": "join", "roomId": room, "token": None},
        {"type": "join", "roomId": room, "userId": ["x"]},
        {"type": "join", "roomId": "x" * 129},
        {"type": "join", "roomId": "a\x01b"},
    ]):
        msg["requestId"] = f"join-{i}"
        await refused(fresh, msg, 400, f"join-{i}")
    await fresh.join(room)                                   # still joins fine
    await bystander.expect("user-joined", userId=fresh.sub)
    await unaffected(bystander)
    await fresh_client_served()


@case("wrong types, requestId: object, array, float, boolean, null, 129 bytes -> 400 without a "
      "requestId (it cannot be echoed); usable")
async def _():
    room, actor, bystander = await scene()
    for value in [{}, {"id": 1}, [], [1], 1.5, True, False, None, "r" * 129]:
        f = await refused(actor, {"type": "ping", "requestId": value}, 400, None)
        check("requestId" not in f, f"an invalid requestId was echoed: {short(f)}")
    # the limits themselves pass: 128 bytes, and integers
    for value in ["r" * 128, 0, -5, 2 ** 53]:
        await actor.ping(request_id=value)
    await unaffected(bystander)


@case("wrong types, data of each type (join, offer, answer, ice-candidate, media, stats, subscribe, "
      "kick, close-room) -> 400 with requestId; nothing relayed; usable")
async def _():
    await mesh_empty()
    mesh_actor = await member(MESH, uid("actor"))
    mesh_peer = await member(MESH, uid("peer"))
    await mesh_actor.expect("user-joined", userId=mesh_peer.sub)
    target = mesh_peer.sub
    cases = [
        {"type": "offer", "targetUserId": target},
        {"type": "offer", "targetUserId": target, "data": "v=0"},
        {"type": "offer", "targetUserId": target, "data": {}},
        {"type": "offer", "targetUserId": target, "data": {"type": "offer"}},
        {"type": "offer", "targetUserId": target, "data": {"type": "offer", "sdp": 5}},
        {"type": "offer", "targetUserId": target, "data": {"type": "offer", "sdp": ""}},
        {"type": "offer", "targetUserId": target, "data": {"type": "answer", "sdp": "v=0\r\n"}},
        {"type": "offer", "targetUserId": target, "data": {"type": 1, "sdp": "v=0\r\n"}},
        {"type": "answer", "targetUserId": target, "data": None},
        {"type": "answer", "targetUserId": target, "data": {"type": "offer", "sdp": "v=0\r\n"}},
        {"type": "answer", "targetUserId": target, "data": {"sdp": "v=0\r\n"}},
        {"type": "ice-candidate", "targetUserId": target},
        {"type": "ice-candidate", "targetUserId": target, "data": 5},
        {"type": "ice-candidate", "targetUserId": target, "data": "candidate"},
        {"type": "ice-candidate", "targetUserId": target, "data": {}},
        {"type": "ice-candidate", "targetUserId": target, "data": {"candidate": 5}},
        {"type": "ice-candidate", "targetUserId": target, "data": {"candidate": CANDIDATE, "sdpMid": 5}},
        {"type": "ice-candidate", "targetUserId": target, "data": {"candidate": CANDIDATE, "sdpMLineIndex": -1}},
        {"type": "ice-candidate", "targetUserId": target, "data": {"candidate": CANDIDATE, "sdpMLineIndex": 1.5}},
        {"type": "ice-candidate", "targetUserId": target, "data": {"candidate": CANDIDATE, "sdpMLineIndex": 70000}},
        {"type": "message", "targetUserId": target},
        {"type": "media"},
        {"type": "media", "data": "muted"},
        {"type": "media", "data": {}},
        {"type": "media", "data": {"audio": "off"}},
        {"type": "media", "data": {"audio": True, "video": 0}},
        {"type": "stats"},
        {"type": "stats", "data": "good"},
        {"type": "stats", "data": [1, 2]},
        {"type": "subscribe", "data": {"userId": target, "layer": "h"}},   # a mesh room: 400 too
        {"type": "subscribe"},
        {"type": "subscribe", "data": {"layer": "h"}},
        {"type": "subscribe", "data": {"userId": 5, "layer": "h"}},
        {"type": "subscribe", "data": {"userId": target, "layer": "x"}},
        {"type": "subscribe", "data": {"userId": target}},
        {"type": "kick"},
        {"type": "kick", "targetUserId": target, "data": "go"},
        {"type": "kick", "targetUserId": target, "data": {"reason": 5}},
        {"type": "kick", "targetUserId": target, "data": {"reason": "r" * 257}},
        {"type": "close-room", "data": 5},
        {"type": "close-room", "data": {"reason": []}},
    ]
    for i, msg in enumerate(cases):
        msg["requestId"] = f"data-{i}"
        await refused(mesh_actor, msg, 400, f"data-{i}")
    joiner = await conn(uid("joiner"))
    for i, data in enumerate(["me", 5, [], {"displayName": 5}, {"displayName": "n" * 257},
                              {"publish": "yes"}, {"publish": {"audio": "on"}}, {"publish": {"video": 1}},
                              {"resume": "yes"}, {"pin": 4711}, {"pin": "p" * 65}]):
        await refused(joiner, {"type": "join", "roomId": MESH, "data": data, "requestId": f"jd-{i}"}, 400, f"jd-{i}")
    await unaffected(mesh_peer)
    await fresh_client_served()


@case("unknown and missing type: unknown names, server-only types, wrong case, padding, no type -> 400 "
      "with requestId; usable; bystander sees nothing")
async def _():
    room, actor, bystander = await scene()
    names = ["no-such-type", "Ping", "PING", " ping", "ping ", "join\t", "joined", "pong", "error",
             "user-joined", "user-left", "room-closed", "kicked", "left", "recording-started",
             "quality-warning", "__proto__", "constructor", "t" * 1000, "ice_candidate", "closeRoom"]
    for i, name in enumerate(names):
        await refused(actor, {"type": name, "roomId": room, "requestId": f"u-{i}"}, 400, f"u-{i}")
    for i, msg in enumerate([{}, {"requestId": "m-1"}, {"roomId": room, "data": {}},
                             {"Type": "ping"}, {"type ": "ping"}]):
        rid = msg.get("requestId")
        await refused(actor, msg, 400, rid)
    # required fields of known types
    for i, msg in enumerate([{"type": "join"}, {"type": "kick"}, {"type": "offer"}, {"type": "message"}]):
        msg["requestId"] = f"req-{i}"
        await refused(actor, msg, 400, f"req-{i}")
    await unaffected(bystander)
    await fresh_client_served()


# --- size and shape limits ----------------------------------------------------------

@case("oversize: frames over 65536 bytes (text, binary, far over, fragmented) -> 413, the connection kept; "
      "a big but allowed SDP (~60 KB) is answered; bystander sees nothing", timeout=30)
async def _():
    room, actor, bystander = await scene()
    big = json.dumps({"type": "message", "targetUserId": bystander.sub, "requestId": "big",
                      "data": {"pad": "x" * 65536}})
    await refused(actor, big, 413, None)
    await refused(actor, b"\x00" * 70000, 413, None)
    await refused(actor, "y" * 1_000_000, 413, None)
    # fragmented: 20 fragments of 4 KiB, over the limit only all together
    sub = uid("frag")
    raw = await RawWebSocket.connect(token=token(sub))
    text = json.dumps({"type": "ping", "requestId": "frag", "pad": "z" * 80_000}).encode()
    chunks = [text[i:i + 4096] for i in range(0, len(text), 4096)]
    for i, chunk in enumerate(chunks):
        await raw.send_frame(1 if i == 0 else 0, chunk, fin=i == len(chunks) - 1)
    op, payload = await raw.read_frame()
    f = json.loads(payload)
    check(op == 1 and f.get("type") == "error" and f["data"]["code"] == 413, f"fragmented: got {op} {short(f)}")
    await raw.send_text(json.dumps({"type": "ping", "requestId": "after"}))
    op, payload = await raw.read_frame()
    check_eq(json.loads(payload).get("type"), "pong", "reply to a ping after the fragmented frame")
    await bystander.no_frame("message")
    # a big SDP that fits: a real offer with many receive-only m-lines
    pc = make_pc()
    pc.addTransceiver("audio", direction="recvonly")
    sdp = ""
    while True:
        pc.addTransceiver("video", direction="recvonly")
        offer = await pc.createOffer()
        if len(json.dumps({"type": "offer", "data": {"type": "offer", "sdp": offer.sdp},
                           "requestId": "big-sdp"}).encode()) > 65536:
            break
        sdp = offer.sdp
    frame = json.dumps({"type": "offer", "data": {"type": "offer", "sdp": sdp}, "requestId": "big-sdp"})
    check(50_000 < len(frame.encode()) <= 65536, f"big offer frame is {len(frame.encode())} bytes")
    await actor.send_raw(frame)
    f = await actor.expect_one_of(("answer", "error"), timeout=8)
    check(f["type"] == "answer", f"the {len(frame.encode())}-byte offer was not answered: {short(f)}")
    check_eq(len(parse_sdp(f["data"]["sdp"])), len(parse_sdp(sdp)), "m-lines in the answer")
    await pc.close()
    await actor.assert_usable()
    await unaffected(bystander, within=0.5)
    await fresh_client_served()


@case("deep JSON: 33 levels -> 400, 32 pass; 20000 levels and unbalanced brackets -> 400 at once; "
      "brackets inside strings do not count; usable")
async def _():
    room, actor, bystander = await scene()
    # the frame itself is level 1: data nested 31 deep is level 32
    ok = {"type": "message", "targetUserId": bystander.sub, "data": depth_nested(31), "requestId": "d32"}
    await actor.send(ok)
    f = await bystander.expect("message", userId=actor.sub)
    check_eq(f.get("data"), depth_nested(31), "a 32-level message relayed intact")
    too_deep = {"type": "message", "targetUserId": bystander.sub, "data": depth_nested(32), "requestId": "d33"}
    await refused(actor, too_deep, 400, None)
    start = time.monotonic()
    await refused(actor, "[" * 20000 + "]" * 20000, 400, None)
    await refused(actor, '{"type":"ping","data":' + "[" * 30000, 400, None)
    check(time.monotonic() - start < 2, "deep frames were slow to refuse")
    tricky = {"type": "message", "targetUserId": bystander.sub, "data": {"s": "[[[[{{{{" * 500}, "requestId": "str"}
    await actor.send(tricky)
    f = await bystander.expect("message", userId=actor.sub)
    check_eq(f.get("data"), tricky["data"], "brackets in a string")
    await unaffected(bystander)
    await fresh_client_served()


@case("too many values: over 2000 values in one frame -> 400; 1900 pass; usable; bystander unaffected")
async def _():
    room, actor, bystander = await scene()
    ok = list(range(1900))
    await actor.send({"type": "message", "targetUserId": bystander.sub, "data": ok})
    f = await bystander.expect("message", userId=actor.sub)
    check_eq(f.get("data"), ok, "a 1900-value message relayed intact")
    await refused(actor, {"type": "message", "targetUserId": bystander.sub, "data": [0] * 2100}, 400, None)
    await refused(actor, {"type": "message", "targetUserId": bystander.sub,
                          "data": {f"k{i}": i for i in range(2100)}}, 400, None)
    await refused(actor, {"type": "message", "targetUserId": bystander.sub, "data": [[]] * 3000}, 400, None)
    await unaffected(bystander)
    await fresh_client_served()


# --- identity and rooms -----------------------------------------------------------------------

@case("spoofed userId: join as another user -> 403; after joining, message/offer/ice-candidate/media/"
      "leave/ping as another user -> 403; nothing relayed; still in the room")
async def _():
    await mesh_empty()
    bystander = await member(MESH, uid("bystander"))
    victim = await member(MESH, uid("victim"))
    await bystander.expect("user-joined", userId=victim.sub)
    actor = await conn(uid("actor"))
    await refused(actor, {"type": "join", "roomId": MESH, "userId": victim.sub, "requestId": "j-spoof"},
                  403, "j-spoof")
    await refused(actor, {"type": "join", "roomId": MESH, "userId": "sfu", "requestId": "j-sfu"}, 403, "j-sfu")
    await actor.join(MESH)
    for peer in (bystander, victim):
        await peer.expect("user-joined", userId=actor.sub)
    spoof = victim.sub
    for i, msg in enumerate([
        {"type": "message", "userId": spoof, "data": {"as": "victim"}},
        {"type": "message", "userId": spoof, "targetUserId": bystander.sub, "data": {"as": "victim"}},
        {"type": "offer", "userId": spoof, "targetUserId": bystander.sub, "data": {"type": "offer", "sdp": "v=0\r\n"}},
        {"type": "ice-candidate", "userId": spoof, "targetUserId": bystander.sub, "data": {"candidate": CANDIDATE}},
        {"type": "media", "userId": spoof, "data": {"audio": False}},
        {"type": "leave", "userId": spoof},
        {"type": "ping", "userId": spoof},
        {"type": "message", "userId": "sfu", "data": {"as": "server"}},
    ]):
        msg["requestId"] = f"spoof-{i}"
        await refused(actor, msg, 403, f"spoof-{i}")
    await unaffected(bystander, victim)
    check(actor.sub in (await room_members(MESH) or []), "the actor left the room")
    await fresh_client_served()


@case("other rooms (mesh): offer/answer/ice-candidate/message to a user in another room or nobody -> 404, "
      "nothing delivered anywhere; kick across rooms -> 404")
async def _():
    await mesh_empty()
    actor = await member(MESH, uid("actor"), grants={"moderate": True})
    bystander = await member(MESH, uid("bystander"))
    await actor.expect("user-joined", userId=bystander.sub)
    elsewhere_room = uid("room")
    elsewhere = await member(elsewhere_room, uid("elsewhere"))
    for target in (elsewhere.sub, uid("nobody")):
        for i, msg in enumerate([
            {"type": "offer", "data": {"type": "offer", "sdp": "v=0\r\n"}},
            {"type": "answer", "data": {"type": "answer", "sdp": "v=0\r\n"}},
            {"type": "ice-candidate", "data": {"candidate": CANDIDATE, "sdpMid": "0"}},
            {"type": "ice-candidate", "data": None},
            {"type": "message", "data": {"psst": 1}},
            {"type": "kick", "data": {"reason": "reach"}},
        ]):
            rid = f"x-{target}-{i}"
            msg.update(targetUserId=target, requestId=rid)
            await refused(actor, msg, 404, rid)
    # naming the other room explicitly is not joining it
    await refused(actor, {"type": "message", "roomId": elsewhere_room, "targetUserId": elsewhere.sub,
                          "data": {}, "requestId": "other-room"}, 409, "other-room")
    await unaffected(elsewhere, bystander)
    check(elsewhere.sub in (await room_members(elsewhere_room) or []), "the other room's member is gone")
    await fresh_client_served()


# --- grants -------------------------------------------------------------------------------

@case("grant publish: a sending offer without it -> 403, nothing forwarded to the others; the same "
      "connection then offers receive-only, is answered and receives the others' media", timeout=40)
async def _():
    room = uid("room")
    pub_sub = uid("pub")
    publisher = await SfuPeer(room, pub_sub, token=token(pub_sub), data=False).start()
    sub = uid("nopub")
    actor = SfuPeer(room, sub, token=token(sub, {"publish": False}), data=False)
    await actor.start(refused_ok=True)
    err = actor.take_error(403)
    check(err is not None, f"the sending offer was not refused with 403: answers={len(actor.answers)} "
                           f"errors={actor.frames}")
    check_eq(len(actor.answers), 0, "answers to the refused offer")
    # nothing of it reaches the publisher
    await asyncio.sleep(1.0)
    check(not any(lists_user(o["frame"], sub) for o in publisher.offers),
          "the publisher was offered tracks of a user without the publish grant")
    # the same socket: a receive-only PeerConnection this time
    await actor.pc.close()
    actor.pc = make_pc()
    actor.counter.attach(actor.pc)
    await real_offer(actor.pc, direction="recvonly")
    n = len(actor.answers)
    await actor.client.send({"type": "offer", "data": {"type": "offer", "sdp": actor.pc.localDescription.sdp},
                             "requestId": "recvonly"})
    await actor.client.send({"type": "ice-candidate", "data": None})
    await actor.wait_for(lambda: len(actor.answers) > n or actor.frames, 8, "the answer to the receive-only offer")
    check(len(actor.answers) > n, f"receive-only offer refused: {actor.frames}")
    await actor.wait_media(pub_sub, timeout=12)
    check(not any(lists_user(o["frame"], sub) for o in publisher.offers), "the publisher got tracks of the actor")


@case("grant subscribe: without it the participant publishes but is never offered anyone's tracks; "
      "`subscribe` -> 403", timeout=30)
async def _():
    room = uid("room")
    pub_sub = uid("pub")
    publisher = await SfuPeer(room, pub_sub, token=token(pub_sub), data=False).start()
    sub = uid("nosub")
    actor = await SfuPeer(room, sub, token=token(sub, {"subscribe": False}), data=False).start()
    # it publishes: the publisher is offered its tracks and receives them
    await publisher.wait_offer(cond=lambda o: lists_user(o["frame"], sub), what="an offer with the actor's tracks")
    await publisher.wait_media(sub, timeout=12)
    await actor.client.send({"type": "subscribe", "data": {"userId": pub_sub, "layer": "h"}, "requestId": "sub"})
    await actor.wait_for(lambda: actor.frames, 5, "the error to `subscribe`")
    err = actor.take_error(403)
    check(err is not None and err.get("requestId") == "sub", f"subscribe without the grant: {actor.frames}")
    await asyncio.sleep(1.0)
    forwarded = [o for o in actor.offers if o.get("tracks")]
    check(not forwarded, f"offers with remote tracks reached a user without the subscribe grant: "
                         f"{short([o['tracks'] for o in forwarded])}")
    for a in actor.answers:
        check(all(m["direction"] in ("recvonly", "inactive") or m["port"] == 0 for m in a["media"]),
              f"the server sends on an m-line to a user without the subscribe grant: {a['media']}")
    check_eq(actor.count(pub_sub, "video"), 0, "video frames received without the subscribe grant")


@case("grant data: without it the data channel m-line is rejected in the answer (with it accepted); "
      "a data channel it opens anyway (m-line 0, which BUNDLE keeps) relays nothing either way", timeout=40)
async def _():
    room = uid("room")
    for grant in (False, True):
        c = await member(room, uid("data"), {"data": grant})
        pc = make_pc()
        pc.addTransceiver("audio", direction="recvonly")
        pc.createDataChannel("chat")
        await pc.setLocalDescription(await pc.createOffer())
        f = await answered(c, pc.localDescription.sdp, "dc")
        app = [m for m in parse_sdp(f["data"]["sdp"]) if m["kind"] == "application"]
        check_eq(len(app), 1, "application m-lines in the answer")
        check_eq(app[0]["port"] != 0, grant, f"data channel m-line accepted with data grant {grant}")
        await pc.close()
        await c.close()
    # data channels only: m-line 0 cannot be rejected, so the channel opens
    room = uid("room")
    subs = {name: uid(name) for name in ("withdata", "nodata", "witness")}
    with_data = await SfuPeer(room, subs["withdata"], token=token(subs["withdata"]), audio=False, video=False).start()
    no_data = await SfuPeer(room, subs["nodata"], token=token(subs["nodata"], {"data": False}),
                            audio=False, video=False).start()
    witness = await SfuPeer(room, subs["witness"], token=token(subs["witness"]), audio=False, video=False).start()
    for p in (with_data, no_data, witness):
        await p.wait_channel_open(timeout=12)
    await no_data.send_data({"from": "nodata"})
    await with_data.send_data({"from": "withdata"})
    await witness.wait_data(lambda m: m.get("userId") == subs["withdata"], timeout=5)
    await asyncio.sleep(0.5)
    check(not any(m.get("userId") == subs["nodata"] for m in with_data.messages + witness.messages),
          "a message from a user without the data grant was relayed")
    check(not no_data.messages, f"a user without the data grant received data: {no_data.messages}")


@case("grant moderate: kick and close-room without it -> 403; the target and the room stay")
async def _():
    room, actor, bystander = await scene()
    await refused(actor, {"type": "kick", "targetUserId": bystander.sub, "data": {"reason": "x"},
                          "requestId": "k"}, 403, "k")
    await refused(actor, {"type": "close-room", "data": {"reason": "x"}, "requestId": "cr"}, 403, "cr")
    await unaffected(bystander)
    check_eq(sorted(await room_members(room) or []), sorted([actor.sub, bystander.sub]), "members")


@case("grant create: joining a room that does not exist without it -> 404 (then with it: created); "
      "record: start-recording without the grant -> 403")
async def _():
    room = uid("room")
    c = await conn(uid("nocreate"), {"create": False})
    await refused(c, {"type": "join", "roomId": room, "requestId": "j"}, 404, "j")
    check(room not in [r["roomId"] for r in await list_rooms()], "the room was created anyway")
    c2 = await member(room, uid("creator"))
    await refused(c2, {"type": "start-recording", "requestId": "rec"}, 403, "rec")
    await c.join(room)                                       # exists now: no grant needed
    await c2.expect("user-joined", userId=c.sub)
    await fresh_client_served()


# --- SDP garbage ----------------------------------------------------------------------------

HEAD = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def garbage_sdps(good):
    rnd = random.Random(5)
    lines = good.split("\r\n")
    fp = good.index("a=fingerprint")
    ufrag = good.index("a=ice-ufrag")
    mline = good.index("m=")
    no_formats = "\r\n".join(re.sub(r"^(m=\w+ \d+ \S+) .*$", r"\1", line) for line in lines)
    return {
        "random printable": "".join(chr(rnd.randint(32, 126)) for _ in range(3000)),
        "random bytes": "".join(chr(rnd.randint(1, 255)) for _ in range(3000)),
        "v=0 then random": "v=0\r\n" + "".join(chr(rnd.randint(32, 126)) for _ in range(2000)),
        "only v=": "v=0\r\n",
        "lines without =": "v=0\r\nhello\r\nworld\r\n",
        "truncated to its header (no m=)": good[:mline],
        "truncated inside an m= line": good[:mline + 5],
        "truncated before its ICE credentials": good[:ufrag],
        "truncated inside its fingerprint": good[:fp + 30],
        "m-lines without formats": no_formats,
        "an m-line with a huge port": re.sub(r"^m=audio \d+", "m=audio 99999999999999999999", good, flags=re.M),
        "800 m-lines": HEAD + "".join(f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:{i}\r\n" for i in range(800)),
        "257 m-lines": HEAD + "".join(f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:{i}\r\n" for i in range(257)),
        "a broken fingerprint": good.replace("a=fingerprint:sha-256 ", "a=fingerprint:sha-256 ZZ:"),
        "a NUL-free control character": good.replace("a=mid:0", "a=mid:\x01"),
    }


@case("SDP garbage to the server (random, truncated, no formats, absurd m-line counts) -> 400 each, "
      "usable; afterwards the same connection negotiates a real offer; again once connected", timeout=45)
async def _():
    room, actor, bystander = await scene()
    pc0, good = await real_offer()
    await pc0.close()
    for name, sdp in garbage_sdps(good).items():
        frame = json.dumps({"type": "offer", "data": {"type": "offer", "sdp": sdp}, "requestId": name})
        check(len(frame.encode()) <= 65536, f"{name}: frame of {len(frame.encode())} bytes")
        f = await offer_reply(actor, sdp, name)
        check(f["type"] == "error" and f["data"]["code"] == 400 and f.get("requestId") == name,
              f"{name}: expected error 400 with requestId, got {short(f)}")
        await actor.assert_usable()
    # the connection can still negotiate
    pc, sdp = await real_offer()
    f = await answered(actor, sdp, "real")
    await pc.setRemoteDescription(type(pc.localDescription)(sdp=f["data"]["sdp"], type="answer"))
    # garbage again, now that a PeerConnection exists (a renegotiation)
    for name, sdp in garbage_sdps(good).items():
        f = await offer_reply(actor, sdp, "again " + name)
        check(f["type"] == "error" and f["data"]["code"] == 400,
              f"{name} (renegotiation): expected error 400, got {short(f)}")
        await actor.assert_usable()
    await pc.setLocalDescription(await pc.createOffer())
    f = await answered(actor, pc.localDescription.sdp, "real again")
    await pc.setRemoteDescription(type(pc.localDescription)(sdp=f["data"]["sdp"], type="answer"))
    await pc.close()
    await unaffected(bystander, within=0.5)
    await fresh_client_served()


@case("SDP an m-line cannot use (a codec nobody knows): answered with that m-line rejected; "
      "an answer when the server has no offer out -> 409")
async def _():
    room, actor, bystander = await scene()
    pc, good = await real_offer(video=False)
    unknown = re.sub(r"opus/48000/2", "x-nothing/48000/2", good)
    f = await answered(actor, unknown, "unknown-codec")
    audio = [m for m in parse_sdp(f["data"]["sdp"]) if m["kind"] == "audio"]
    check(audio and not audio[0]["active"], f"an m-line without a usable codec was accepted: {audio}")
    await pc.close()
    answer = HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
    await refused(actor, {"type": "answer", "data": {"type": "answer", "sdp": answer}, "requestId": "ans"},
                  409, "ans")
    fresh = await member(room, uid("fresh"))
    await refused(fresh, {"type": "answer", "data": {"type": "answer", "sdp": answer}, "requestId": "ans2"},
                  409, "ans2")
    await bystander.expect("user-joined", userId=fresh.sub)
    await unaffected(bystander)


@case("bad answers to a server offer (garbage -> 400 in the transport; an m-line missing -> 400 from "
      "the server) leave that offer open: the right answer is then taken and the publisher's media flows",
      timeout=40)
async def _():
    room = uid("room")
    pub_sub = uid("pub")
    publisher = await SfuPeer(room, pub_sub, token=token(pub_sub), data=False).start()
    actor = await conn(uid("viewer"))
    await actor.join(room, publish={"audio": False, "video": False})
    await publisher.wait_for(lambda: any(e["event"] == "user-joined" for e in publisher.events), 5, "user-joined")
    # a receive-only joiner that does not offer gets the server's offer
    offer = await actor.expect("offer", userId="sfu", timeout=5)
    media = parse_sdp(offer["data"]["sdp"])
    check(offer_owners(media, offer.get("tracks")), f"the server offer carries no track: {short(offer)}")
    pc = make_pc()
    counter = MediaCounter("viewer")
    counter.set_owners(offer_owners(media, offer.get("tracks")))
    counter.attach(pc)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["data"]["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    good = pc.localDescription.sdp
    # garbage: refused by the transport's SDP check
    await refused(actor, {"type": "answer", "data": {"type": "answer", "sdp": "v=0\r\nhello\r\n"},
                          "requestId": "garbage"}, 400, "garbage")
    # well formed, but without the offer's last m-line: refused further in
    short_answer = good[:good.rindex("\r\nm=") + 2]
    check(len(parse_sdp(short_answer)) == len(media) - 1, "the shortened answer has one m-line less")
    await refused(actor, {"type": "answer", "data": {"type": "answer", "sdp": short_answer},
                          "requestId": "short"}, 400, "short")
    # the server's offer is still open: the right answer is taken
    await actor.send({"type": "answer", "data": {"type": "answer", "sdp": good}, "requestId": "good"})
    await actor.no_frame("error", within=1.0)
    await start_stalled_transceivers(pc)
    deadline = time.monotonic() + 12
    while counter.count(pub_sub, "video") < 5 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    check(counter.count(pub_sub, "video") >= 5,
          f"no video from the publisher after the right answer: {counter.received()}")
    # and now that it is answered, another answer is 409
    await refused(actor, {"type": "answer", "data": {"type": "answer", "sdp": good}, "requestId": "again"},
                  409, "again")
    counter.stop()
    await pc.close()
    await actor.assert_usable()
    check(not publisher.frames, f"the publisher got errors: {publisher.frames}")


@case("renegotiation storm: while a participant leaves the server's offer unanswered, three publishers "
      "arrive: it gets no second offer meanwhile (one in flight per participant); once it answers, one "
      "offer with all three follows", timeout=40)
async def _():
    room = uid("room")
    viewer = await conn(uid("viewer"))
    await viewer.join(room, publish={"audio": False, "video": False})
    first = await viewer.expect("offer", userId="sfu", timeout=5)   # receive-only: the server offers first
    publishers = []
    for i in range(3):
        sub = uid(f"pub{i}")
        publishers.append(await SfuPeer(room, sub, token=token(sub), video=False, data=False).start())
        await viewer.expect("user-joined", userId=sub)
    await viewer.no_frame("offer", within=1.5)
    check(not any(lists_user(first, p.user_id) for p in publishers), f"the first offer: {short(first)}")
    pc = make_pc()

    async def answer(offer, rid):
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["data"]["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await viewer.send({"type": "answer", "data": {"type": "answer", "sdp": pc.localDescription.sdp},
                           "requestId": rid})

    await answer(first, "a1")
    second = await viewer.expect("offer", userId="sfu", timeout=5)
    for p in publishers:
        check(lists_user(second, p.user_id), f"the offer after the answer lacks {p.user_id}: {short(second)}")
    await viewer.no_frame("offer", within=1.0)
    await answer(second, "a2")
    await viewer.no_frame(within=1.0)                 # nothing left to negotiate, no error
    await viewer.assert_usable()
    await pc.close()


# --- ICE candidates -------------------------------------------------------------------------

BAD_CANDIDATES = ["garbage", "candidate:", "candidate:1", "candidate:1 1 udp", "candidate:1 1 udp 1 1.2.3.4",
                  "candidate:1 1 udp 1 1.2.3.4 70000 typ host", "candidate:1 1 udp 1 1.2.3.4 5 typ",
                  "candidate:1 x udp 1 1.2.3.4 5 typ host", "candidate:1 1 udp x 1.2.3.4 5 typ host",
                  "candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=inject:1", "candidate:1 1 udp 1 1.2.3.4 5 typ host\x01",
                  "candidate:" + "9" * 2000, "a=end-of-candidates",
                  "candidate:1 1 udp 1 " + "h" * 300 + " 5 typ host"]


@case("ICE candidates: garbage candidate strings -> 400 (SFU and mesh), nothing relayed; good ones pass")
async def _():
    room, actor, bystander = await scene()
    for i, cand in enumerate(BAD_CANDIDATES):
        await refused(actor, {"type": "ice-candidate", "data": {"candidate": cand, "sdpMid": "0"},
                              "requestId": f"c-{i}"}, 400, f"c-{i}")
    await actor.send({"type": "ice-candidate", "data": {"candidate": CANDIDATE, "sdpMid": "0"}, "requestId": "ok"})
    await actor.send({"type": "ice-candidate", "data": {"candidate": "", "sdpMid": "0"}, "requestId": "end"})
    await actor.send({"type": "ice-candidate", "data": None, "requestId": "null"})
    await actor.assert_usable()                     # no error frame for the good ones
    await unaffected(bystander)
    # mesh
    await mesh_empty()
    a = await member(MESH, uid("a"))
    b = await member(MESH, uid("b"))
    await a.expect("user-joined", userId=b.sub)
    for i, cand in enumerate(BAD_CANDIDATES):
        await refused(b, {"type": "ice-candidate", "targetUserId": a.sub,
                          "data": {"candidate": cand, "sdpMid": "0"}, "requestId": f"m-{i}"}, 400, f"m-{i}")
    await a.no_frame("ice-candidate", within=1.2)    # held frames would show after the mesh gate's 1 s
    await b.send({"type": "ice-candidate", "targetUserId": a.sub, "data": {"candidate": CANDIDATE, "sdpMid": "0"}})
    f = await a.expect("ice-candidate", userId=b.sub, timeout=3)
    check_eq(f["data"]["candidate"], CANDIDATE, "a good candidate relayed intact")
    await unaffected(a)
    await fresh_client_served()


# --- room rules --------------------------------------------------------------------------

@case("private room: no room claim, \"*\", another room -> 403; a token naming it -> joined")
async def _():
    for i, claim in enumerate([None, "*", "demo"]):
        c = await conn(uid("outsider"), room=claim)
        await refused(c, {"type": "join", "roomId": "private-room", "requestId": f"p-{i}"}, 403, f"p-{i}")
    insider = await member("private-room", uid("insider"), room="private-room")
    await insider.assert_usable()
    await fresh_client_served()


@case("allow-list (vip: alice, bob): others -> 403; alice and bob join")
async def _():
    for name in (uid("mallory"), "Alice", "alice ", "alicex"):
        c = await conn(name)
        await refused(c, {"type": "join", "roomId": "vip", "requestId": "v"}, 403, "v")
    alice = await member("vip", "alice")
    bob = await member("vip", "bob")
    await alice.expect("user-joined", userId="bob")
    await unaffected(alice, bob)


@case("PIN (pin-room 4711): no PIN, wrong PINs -> 403; a PIN that is not a string -> 400; the right one -> joined")
async def _():
    c = await conn(uid("pin"))
    await refused(c, {"type": "join", "roomId": "pin-room", "requestId": "none"}, 403, "none")
    for i, pin in enumerate(["", "0000", "4712", "47110", "471", " 4711", "4711 ", "4711\t", "\uff14711"]):
        await refused(c, {"type": "join", "roomId": "pin-room", "data": {"pin": pin}, "requestId": f"w-{i}"},
                      403, f"w-{i}")
    await refused(c, {"type": "join", "roomId": "pin-room", "data": {"pin": 4711}, "requestId": "num"}, 400, "num")
    j = await c.join("pin-room", pin="4711")
    check_eq(j.get("roomId"), "pin-room", "joined.roomId")
    await c.assert_usable()


@case("room full (limited, max 4): 10 joins at once -> exactly 4 joined, 6 get 503; after a leave one more fits")
async def _():
    room = "limited"
    for _ in range(60):
        if await room_members(room) == []:
            break
        await asyncio.sleep(0.05)
    clients = [await conn(uid(f"j{i}")) for i in range(10)]
    await asyncio.gather(*(c.send({"type": "join", "roomId": room, "requestId": f"join-{i}"})
                           for i, c in enumerate(clients)))
    replies = await asyncio.gather(*(c.expect_one_of(("joined", "error"), timeout=5) for c in clients))
    joined = [c for c, f in zip(clients, replies) if f["type"] == "joined"]
    full = [f for f in replies if f["type"] == "error"]
    check_eq(len(joined), 4, "clients joined")
    for f in full:
        check_eq((f["data"]["code"], f["data"]["reason"]), (503, "room_full"), "refusal")
    check_eq(sorted(await room_members(room)), sorted(c.sub for c in joined), "members of limited")
    for c in clients:
        if c not in joined:
            await c.assert_usable()
    # a leave makes room for exactly one
    await joined[0].send({"type": "leave", "requestId": "lv"})
    await joined[0].expect("left")
    waiting = [c for c in clients if c not in joined]
    await waiting[0].join(room)
    await refused(waiting[1], {"type": "join", "roomId": room, "requestId": "late"}, 503, "late")
    check_eq(len(await room_members(room)), 4, "members after the swap")


# --- moderation -----------------------------------------------------------------------------

async def janus_handles_of(user):
    """handle_info (Janus admin API) of every Janus handle whose Convene
    session is user's."""
    found = []
    for session_id in (await admin_request({"janus": "list_sessions"})).get("sessions") or []:
        reply = await admin_request({"janus": "list_handles", "session_id": session_id})
        for handle_id in reply.get("handles") or []:
            info = (await admin_request({"janus": "handle_info", "session_id": session_id,
                                         "handle_id": handle_id})).get("info") or {}
            if (info.get("plugin_specific") or {}).get("userId") == user:
                found.append(info)
    return found


@case("kick with ban (kick_ban = token): kicked {reason} then close 4000; its PeerConnection and Janus "
      "handle are gone and its media stops reaching the others, who get user-left kicked and an offer "
      "without its tracks; the same token is refused (403) in that room, another room takes it; a new "
      "token joins", timeout=40)
async def _():
    room = uid("room")
    mod = await member(room, uid("mod"), {"moderate": True})
    target_sub = uid("target")
    first_token = token(target_sub)
    target = await SfuPeer(room, target_sub, token=first_token, data=False).start()
    other_sub = uid("other")
    other = await SfuPeer(room, other_sub, token=token(other_sub), data=False).start()
    await mod.expect("user-joined", userId=target_sub)
    await mod.expect("user-joined", userId=other_sub)
    await other.wait_media(target_sub, timeout=15)
    handles = await janus_handles_of(target_sub)
    check(len(handles) == 1 and (handles[0].get("flags") or {}).get("ready"),
          f"before the kick: the target's handle with a ready PeerConnection: {short(handles)}")
    await mod.send({"type": "kick", "targetUserId": target_sub, "data": {"reason": "spam"}, "requestId": "k"})
    code, reason = await target.client.wait_closed()
    check_eq(code, 4000, "close code of the kicked connection")
    kicked = [e["frame"] for e in target.events if e["event"] == "frame" and e["frame"].get("type") == "kicked"]
    check(len(kicked) == 1 and kicked[0].get("data") == {"reason": "spam"}, f"kicked frames: {short(kicked)}")
    f = await mod.expect("user-left", userId=target_sub)
    check_eq(f.get("data"), {"reason": "kicked"}, "user-left.data (moderator)")
    await other.wait_for(lambda: any(e["event"] == "left" and e["userId"] == target_sub for e in other.events),
                         5, "user-left of the target")
    left = next(e for e in other.events if e["event"] == "left" and e["userId"] == target_sub)
    check_eq(left.get("reason"), "kicked", "user-left.data.reason (other)")
    await other.wait_offer(cond=lambda o: not lists_user(o["frame"], target_sub), timeout=5,
                           what="a server offer without the kicked user's tracks")
    for _ in range(60):
        if not await janus_handles_of(target_sub):
            break
        await asyncio.sleep(0.05)
    check_eq(await janus_handles_of(target_sub), [], "Janus handles of the kicked user")
    await asyncio.sleep(0.5)                        # frames already on their way
    before = other.count(target_sub, "video")
    await asyncio.sleep(1.0)
    check_eq(other.count(target_sub, "video"), before, "video frames from the kicked user after the kick")
    await mod.no_frame("error")
    again = await Client.connect(token=first_token, name="again")
    await refused(again, {"type": "join", "roomId": room, "requestId": "back"}, 403, "back")
    await again.join(uid("room"))                   # the ban is for that room only
    await again.close()
    renewed = await Client.connect(token=token(target_sub), name="renewed")
    await renewed.join(room)
    await mod.expect("user-joined", userId=target_sub)
    await other.wait_for(lambda: sum(1 for e in other.events if e["event"] == "user-joined"
                                     and e["userId"] == target_sub) >= 1, 5, "user-joined of the renewed user")
    await unaffected(mod)
    check(not other.frames, f"errors at the other participant: {other.frames}")


@case("close-room by a moderator: everyone (the moderator too) gets room-closed {reason}, then a clean "
      "close 1000 \"Room closed\"; no user-left; the room is gone; its id can be used again")
async def _():
    room = uid("room")
    mod = await member(room, uid("mod"), {"moderate": True})
    others = [await member(room, uid("p")) for _ in range(2)]
    await mod.expect("user-joined")
    await mod.expect("user-joined")
    await others[0].expect("user-joined")
    # a raw socket in the room, to see the closing handshake itself
    raw_sub = uid("raw")
    raw = await RawWebSocket.connect(token=token(raw_sub))
    await raw.send_text(json.dumps({"type": "join", "roomId": room, "requestId": "j"}))
    op, payload = await raw.read_frame()
    check_eq(json.loads(payload).get("type"), "joined", "raw join")
    for c in [mod] + others:
        await c.expect("user-joined", userId=raw_sub)
    await mod.send({"type": "close-room", "data": {"reason": "abuse"}, "requestId": "cr"})
    for c in [mod] + others:
        f = await c.expect("room-closed")
        check_eq(f.get("data"), {"reason": "abuse"}, "room-closed.data")
        check_eq(f.get("roomId"), room, "room-closed.roomId")
        code, reason = await c.wait_closed()
        check_eq((code, reason), (1000, "Room closed"), f"{c.name}: close code and reason")
        check(not any(h.get("type") == "user-left" for h in c.history), f"{c.name} got user-left")
    op, payload = await raw.read_frame()
    check_eq(json.loads(payload).get("type"), "room-closed", "raw: frame before the close")
    op, payload = await raw.read_frame()
    check_eq((op, RawWebSocket.close_payload(payload)), (8, (1000, "Room closed")), "raw: Close frame")
    nothing = await raw.read_frame(timeout=0.3)
    check(nothing is None and raw.ended is None, f"TCP dropped before the client's Close ({raw.ended})")
    await raw.send_close(1000)
    await raw.read_frame(timeout=3)
    check(raw.ended == "EOF", f"the TCP stream did not end cleanly after the closing handshake: {raw.ended}")
    check(room not in [r["roomId"] for r in await list_rooms()], "the closed room is still listed")
    again = await member(room, uid("again"))
    await again.assert_usable()
    await fresh_client_served()


@case("admin API: close-room (everyone gets room-closed, closed 1000; a configured room stays, empty), "
      "kick (kicked 4000, user-left kicked, banned), unknown room or user -> 404")
async def _():
    room = "pin-room"
    members = []
    for _ in range(3):
        c = await conn(uid("p"))
        await c.join(room, pin="4711")
        members.append(c)
    reply = await admin_plugin_request({"request": "close-room", "room": room, "reason": "maintenance"})
    check_eq(reply.get("response"), {"closed": room}, "admin close-room reply")
    for c in members:
        f = await c.expect("room-closed")
        check_eq(f.get("data"), {"reason": "maintenance"}, "room-closed.data")
        code, reason = await c.wait_closed()
        check_eq((code, reason), (1000, "Room closed"), "close code and reason")
    check_eq(await room_members(room), [], "members of the closed configured room")
    # kick through the admin API
    room = uid("room")
    target_sub = uid("target")
    target_token = token(target_sub)
    target = await Client.connect(token=target_token, name="target")
    await target.join(room)
    other = await member(room, uid("other"))
    reply = await admin_plugin_request({"request": "kick", "room": room, "user": target_sub, "reason": "admin"})
    check_eq(reply.get("response"), {"kicked": target_sub}, "admin kick reply")
    k = await target.expect("kicked")
    check_eq(k.get("data"), {"reason": "admin"}, "kicked.data")
    code, _ = await target.wait_closed()
    check_eq(code, 4000, "close code")
    f = await other.expect("user-left", userId=target_sub)
    check_eq(f.get("data"), {"reason": "kicked"}, "user-left.data")
    back = await Client.connect(token=target_token, name="back")
    await refused(back, {"type": "join", "roomId": room, "requestId": "b"}, 403, "b")
    for request in ({"request": "kick", "room": room, "user": uid("nobody")},
                    {"request": "kick", "room": uid("noroom"), "user": other.sub},
                    {"request": "close-room", "room": uid("noroom")}):
        reply = await admin_plugin_request(request)
        err = (reply.get("response") or {}).get("error") or {}
        check_eq((err.get("code"), err.get("reason")), (404, "not_found"), f"admin {request}")
    reply = await admin_plugin_request({"request": "launch-rockets"})
    err = (reply.get("response") or {}).get("error") or {}
    check_eq(err.get("code"), 400, "unknown admin request")
    await unaffected(other)
    await fresh_client_served()


if __name__ == "__main__":
    main(summary=True)
