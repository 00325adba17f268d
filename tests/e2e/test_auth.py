#!/usr/bin/python3
# with-server: --auth jwt
#
# End-to-end tests of token authentication (shared spec/protocol.md,
# "Connection"): refused tokens close with 1008 "Unauthorized" before any
# frame; the token's sub, room, name and grants rule what a connection may do.
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from convene import (Client, RawWebSocket, broken_token, case, check, check_eq, env, main, mint_token,  # noqa: E402
                     room_members, short, uid)

SECRET = env("CONVENE_JWT_SECRET")


async def connect_as(sub, **claims):
    """A connection with a good token for sub (claims: name, room, grants, nbf...)."""
    return await Client.connect(token=mint_token(SECRET, sub, **claims), name=sub)


async def assert_refused(token=None, query=None, name="refused"):
    """The socket opens, then closes with 1008 "Unauthorized", and no frame
    comes first."""
    c = await Client.connect(token=token, query=query, name=name)
    code, reason = await c.wait_closed()
    check_eq(code, 1008, "close code")
    check_eq(reason, "Unauthorized", "close reason")
    check_eq(c.history, [], "frames received before the close")


# --- refused connections ---------------------------------------------------------

@case("refused: no token -> close 1008 Unauthorized, no frame")
async def _():
    await assert_refused()


@case("refused: empty token -> close 1008 Unauthorized, no frame")
async def _():
    await assert_refused(query={"token": ""})


for _kind in ("bad_signature", "wrong_secret", "alg_none", "alg_hs512", "expired", "not_yet_valid",
              "no_sub", "no_exp", "malformed", "two_parts", "garbage_payload"):
    def _make(kind):
        @case(f"refused: {kind.replace('_', ' ')} token -> close 1008 Unauthorized, no frame")
        async def _():
            await assert_refused(broken_token(kind, SECRET, sub=uid("mallory")))
    _make(_kind)


@case("refused: a token expired 60 s ago (beyond the clock skew) -> close 1008")
async def _():
    await assert_refused(mint_token(SECRET, uid("late"), exp_in=-60))


@case("refused: frames sent at once are never answered nor acted on (no join happens)")
async def _():
    intruder = uid("intruder")
    raw = await RawWebSocket.connect(token=broken_token("bad_signature", SECRET))
    join = {"type": "join", "roomId": "demo", "userId": intruder, "requestId": "j"}
    try:
        raw.writer.write(RawWebSocket.encode(1, json.dumps(join)) +
                         RawWebSocket.encode(1, json.dumps({"type": "ping", "requestId": "p"})))
        await raw.writer.drain()
    except ConnectionError:
        pass        # the server may have closed already (see the next case)
    frames = await raw.read_until_end(timeout=2)
    check(all(op == 8 for op, _ in frames), f"frames other than Close: {frames!r}")
    if frames:
        check_eq(RawWebSocket.close_payload(frames[0][1]), (1008, "Unauthorized"), "Close code and reason")
    check(intruder not in (await room_members("demo") or []), f"{intruder} is in demo")


@case("refused: after its Close 1008 the server waits for the client's Close before dropping TCP")
async def _():
    # RFC 6455 5.5.1 / 7.1.1: the TCP connection is closed after both sending
    # and receiving a Close. A server that drops it right after sending makes
    # the client's own Close (or any frame it sent on open) meet a reset, and
    # a client that has not read the Close yet then sees 1006, not 1008.
    raw = await RawWebSocket.connect(token=broken_token("expired", SECRET))
    f = await raw.read_frame(timeout=3)
    check(f is not None and f[0] == 8, f"expected a Close frame, got {f!r} (stream {raw.ended})")
    check_eq(RawWebSocket.close_payload(f[1]), (1008, "Unauthorized"), "Close code and reason")
    nothing = await raw.read_frame(timeout=0.3)
    check(nothing is None and raw.ended is None,
          f"the server ended the TCP stream ({raw.ended}) before the client's Close; got {nothing!r}")
    await raw.send_close(1008, "Unauthorized")
    await raw.read_frame(timeout=3)
    check(raw.ended is not None, "the server kept the TCP connection open after the closing handshake")


# --- accepted tokens ------------------------------------------------------------

@case("good token: connects; join without userId gets userId = sub")
async def _():
    sub = uid("alice")
    a = await connect_as(sub, nbf=int(time.time()) - 10)
    await a.assert_usable()
    j = await a.join("demo")
    check_eq(j.get("userId"), sub, "joined.userId")
    check_eq(a.closed, False, "connection closed")


@case("good token: join with userId = sub works; a different userId is 403 and does not join")
async def _():
    sub, other = uid("alice"), uid("bob")
    b = await connect_as(other)
    await b.join("demo")
    a = await connect_as(sub)
    await a.send({"type": "join", "roomId": "demo", "userId": uid("someone-else"), "requestId": "j-forged"})
    await a.expect_error(403, "j-forged")
    await b.no_frame("user-joined")
    j = await a.join("demo", sub)
    check_eq(j.get("userId"), sub, "joined.userId")
    await b.expect("user-joined", userId=sub)


@case("good token: after joining, a message with another userId is 403 and is not relayed")
async def _():
    ua, ub = uid("alice"), uid("bob")
    a, b = await connect_as(ua), await connect_as(ub)
    await a.join("demo")
    await b.join("demo")
    await a.send({"type": "message", "userId": ub, "targetUserId": ub, "data": "forged", "requestId": "f"})
    await a.expect_error(403, "f")
    await b.no_frame("message")
    await a.send({"type": "message", "targetUserId": ub, "data": "genuine"})
    f = await b.expect("message")
    check_eq(f.get("userId"), ua, "message.userId")


@case("room claim: a token for room r1 joining r2 is 403; joining r1 works")
async def _():
    r1, r2 = uid("r1"), uid("r2")
    sub = uid("alice")
    a = await connect_as(sub, room=r1, grants={"create": True})
    await a.send({"type": "join", "roomId": r2, "requestId": "wrong-room"})
    await a.expect_error(403, "wrong-room")
    await a.send({"type": "join", "roomId": "demo", "requestId": "configured-room"})
    await a.expect_error(403, "configured-room")
    j = await a.join(r1)
    check_eq(j.get("roomId"), r1, "joined.roomId")


@case("room claim: \"*\" allows any room")
async def _():
    a = await connect_as(uid("alice"), room="*")
    j = await a.join("demo")
    check_eq(j.get("roomId"), "demo", "joined.roomId")


@case("create grant: an unknown room is 404 without it, created with it; a configured room needs none")
async def _():
    room = uid("new-room")
    a = await connect_as(uid("alice"))
    await a.send({"type": "join", "roomId": room, "requestId": "no-create"})
    await a.expect_error(404, "no-create")
    a2 = await connect_as(uid("alice2"), grants={"create": False})
    await a2.send({"type": "join", "roomId": room, "requestId": "create-false"})
    await a2.expect_error(404, "create-false")
    b = await connect_as(uid("bob"), grants={"create": True})
    j = await b.join(room)
    check_eq(j.get("roomId"), room, "joined.roomId")
    # once it exists, anyone may join it
    j = await a.join(room)
    check_eq(j.get("participants"), [b.user_id], "participants of the created room")
    c = await connect_as(uid("carol"))
    await c.join("demo")


@case("name claim: becomes the displayName others see (over data.displayName)")
async def _():
    ua, ub, uc = uid("ada"), uid("bob"), uid("carol")
    b = await connect_as(ub)
    await b.join("demo")
    a = await connect_as(ua, name="Ada Lovelace")
    await a.join("demo", displayName="Someone Else")
    f = await b.expect("user-joined", userId=ua)
    check_eq(f.get("data", {}).get("displayName"), "Ada Lovelace", "user-joined.data.displayName")
    c = await connect_as(uc)
    j = await c.join("demo")
    people = {p.get("userId"): p for p in j["data"]["participants"]}
    check(ua in people, f"{ua} not in data.participants: {short(j)}")
    check_eq(people[ua].get("displayName"), "Ada Lovelace", "displayName in data.participants")


@case("moderate grant: kick sends kicked {reason} and closes 4000; others get user-left kicked")
async def _():
    room = uid("room")
    um, ut, uo = uid("mod"), uid("target"), uid("other")
    mod = await connect_as(um, grants={"moderate": True, "create": True})
    await mod.join(room)
    target = await connect_as(ut)
    await target.join(room)
    other = await connect_as(uo)
    await other.join(room)
    # without the grant: 403
    await other.send({"type": "kick", "targetUserId": ut, "data": {"reason": "nope"}, "requestId": "k-no"})
    await other.expect_error(403, "k-no")
    await target.no_frame("kicked")
    # with it
    await mod.send({"type": "kick", "targetUserId": ut, "data": {"reason": "spam"}, "requestId": "k-yes"})
    k = await target.expect("kicked")
    check_eq(k.get("data", {}).get("reason"), "spam", "kicked.data.reason")
    code, _ = await target.wait_closed()
    check_eq(code, 4000, "close code of the kicked connection")
    for peer in (mod, other):
        f = await peer.expect("user-left", userId=ut)
        check_eq(f.get("data"), {"reason": "kicked"}, "user-left.data")
    await mod.no_frame("error")


@case("record grant: start-recording without it is 403")
async def _():
    a = await connect_as(uid("alice"))
    await a.join("demo")
    await a.send({"type": "start-recording", "roomId": "demo", "requestId": "rec"})
    await a.expect_error(403, "rec")
    await a.send({"type": "stop-recording", "roomId": "demo", "requestId": "rec-stop"})
    await a.expect_error(403, "rec-stop")
    await a.assert_usable()


@case("good token: two connections with the same token: the second join replaces the first (4000)")
async def _():
    sub = uid("alice")
    token = mint_token(SECRET, sub)
    first = await Client.connect(token=token, name="first")
    second = await Client.connect(token=token, name="second")
    await first.join("demo")
    await second.join("demo")
    k = await first.expect("kicked")
    check_eq(k.get("data", {}).get("reason"), "replaced", "kicked.data.reason")
    code, _ = await first.wait_closed()
    check_eq(code, 4000, "close code")
    await second.assert_usable()


if __name__ == "__main__":
    main()
