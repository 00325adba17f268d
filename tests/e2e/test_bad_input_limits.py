#!/usr/bin/python3
# with-server: --auth jwt --set transport.rate_limit=20 --set transport.rate_burst=30 --set transport.rate_strikes=5 --set transport.candidates_per_minute=20 --set transport.join_timeout=2 --set transport.ping_interval=1 --set transport.handshake_timeout=2 --set plugin.max_rooms=8 --set plugin.kick_ban=2 --set transport.resume_grace=2
#
# Bad input that takes time or volume (docs/security.md), with small limits
# so that it is quick: message floods (429, then close 1008 "Rate limited"),
# candidate floods, the join timeout, half-open sockets (pings), handshakes
# that never finish, max_rooms, and a kick ban of N seconds. As in
# test_bad_input.py: exact codes, bystanders unaffected, a fresh client is
# served afterwards. Ends with `# N/M cases as specified`.
#
# Settings: 20 frames/s, burst 30, 5 refusals close; 20 candidates a minute
# (burst 10); join within 2 s; ping after 1 s without a pong, drop after
# 2 s; handshakes within 2 s; 8 rooms at most (6 are configured); kicked
# users banned for 2 s.
import asyncio
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from convene import (Client, RawWebSocket, case, check, check_eq, env, list_rooms, main,  # noqa: E402
                     mint_token, room_members, short, uid)
from bad_input import MESH, conn, fresh_client_served, member, mesh_empty, scene, token, unaffected  # noqa: E402,F401

CONFIGURED = {"demo", "demo-mesh", "limited", "private-room", "vip", "pin-room"}
RATE_BURST, RATE_STRIKES = 30, 5
CANDIDATE_BURST = 10
JOIN_TIMEOUT, PING_INTERVAL, HANDSHAKE_TIMEOUT, KICK_BAN = 2, 1, 2, 2
RESUME_GRACE = 2   # transport.resume_grace in the with-server line
CANDIDATE = "candidate:842163049 1 udp 1677729535 10.77.0.2 {port} typ srflx raddr 0.0.0.0 rport 0"


async def wait_until(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = await cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(0.05)


# --- floods ----------------------------------------------------------------------------

@case("flood: 100 frames at once -> 429 rate_limited beyond the burst, and after 5 refusals close 1008 "
      "\"Rate limited\" (nothing answered after that); the bystander only sees the flooder leave")
async def _():
    room, actor, bystander = await scene()
    await asyncio.gather(*(actor.send({"type": "ping", "requestId": i}) for i in range(100)))
    code, reason = await actor.wait_closed(timeout=5)
    check_eq((code, reason), (1008, "Rate limited"), "close code and reason")
    pongs = [f for f in actor.history if f.get("type") == "pong"]
    errors = [f for f in actor.history if f.get("type") == "error"]
    actor.frames.clear()
    # the frames within the burst went to the server one at a time; those
    # it answered before the close decision came back, the rest were dropped
    check(len(pongs) <= RATE_BURST, f"{len(pongs)} pongs for a burst of {RATE_BURST}")
    check_eq([f.get("requestId") for f in pongs], list(range(len(pongs))), "pongs: the first requests, in order")
    check_eq(len(errors), RATE_STRIKES, "429 errors before the close")
    for f in errors:
        check_eq((f["data"]["code"], f["data"]["reason"]), (429, "rate_limited"), "error")
        check("requestId" not in f, f"a refused frame is not read, so nothing to echo: {short(f)}")
    left = await bystander.expect("user-left", userId=actor.sub)
    check_eq(left.get("data"), {"reason": "disconnected"}, "user-left.data")
    await unaffected(bystander)
    await fresh_client_served()


@case("rate: a short burst a little over the limit gets 429 for the excess only; the connection stays "
      "and serves again once the bucket refills")
async def _():
    room, actor, bystander = await scene()
    n = RATE_BURST + 2
    await asyncio.gather(*(actor.send({"type": "ping", "requestId": i}) for i in range(n)))
    replies = [await actor.expect_one_of(("pong", "error")) for _ in range(n)]
    errors = [f for f in replies if f["type"] == "error"]
    check(1 <= len(errors) < RATE_STRIKES, f"{len(errors)} refusals")
    for f in errors:
        check_eq((f["data"]["code"], f.get("requestId")), (429, f.get("requestId")), "error code")
    pongs = [f["requestId"] for f in replies if f["type"] == "pong"]
    check_eq(pongs, sorted(pongs), "pongs in order")
    await asyncio.sleep(1.0)
    check(not actor.closed, f"closed after a short burst: {actor.close_code} {actor.close_reason}")
    await actor.assert_usable()
    await unaffected(bystander)


@case("candidates: over candidates_per_minute -> 429 with the requestId (mesh and SFU); the ones within "
      "it are relayed; the connection stays usable")
async def _():
    await mesh_empty()
    a = await member(MESH, uid("a"))
    b = await member(MESH, uid("b"))
    await a.expect("user-joined", userId=b.sub)
    n = CANDIDATE_BURST + 4
    for i in range(n):
        await b.send({"type": "ice-candidate", "targetUserId": a.sub, "requestId": f"c-{i}",
                      "data": {"candidate": CANDIDATE.format(port=40000 + i), "sdpMid": "0"}})
    for i in range(CANDIDATE_BURST, n):
        await b.expect_error(429, f"c-{i}")
    await b.assert_usable()
    got = []
    for _ in range(CANDIDATE_BURST):
        f = await a.expect("ice-candidate", userId=b.sub, timeout=4)
        got.append(f["data"]["candidate"])
    check_eq(got, [CANDIDATE.format(port=40000 + i) for i in range(CANDIDATE_BURST)], "candidates relayed, in order")
    await a.no_frame("ice-candidate", within=0.5)
    # SFU: candidates for the server, same budget
    room, actor, bystander = await scene()
    for i in range(n):
        await actor.send({"type": "ice-candidate", "requestId": f"s-{i}",
                          "data": {"candidate": CANDIDATE.format(port=41000 + i), "sdpMid": "0"}})
    for i in range(CANDIDATE_BURST, n):
        await actor.expect_error(429, f"s-{i}")
    await actor.assert_usable()
    await unaffected(bystander, a)
    await fresh_client_served()


# --- timeouts ---------------------------------------------------------------------------

@case("join timeout: a socket that does not join within join_timeout is closed 1008 \"Join timeout\" "
      "(pings do not count); sockets that joined, or joined and left, stay")
async def _():
    idle = await conn(uid("idle"))
    pinger = await conn(uid("pinger"))
    joined = await member(uid("room"), uid("joined"))
    left = await member(uid("room"), uid("left"))
    await left.send({"type": "leave", "requestId": "lv"})
    await left.expect("left")
    start = time.monotonic()
    while not pinger.closed and time.monotonic() - start < JOIN_TIMEOUT + 1.5:
        try:
            await pinger.send({"type": "ping"})
        except Exception:  # noqa: BLE001 - closed meanwhile
            break
        await asyncio.sleep(0.3)
    for c in (idle, pinger):
        code, reason = await c.wait_closed(timeout=JOIN_TIMEOUT + 2)
        check_eq((code, reason), (1008, "Join timeout"), f"{c.name}: close")
    check(time.monotonic() - start < JOIN_TIMEOUT + 2, "closed too late")
    check_eq(idle.history, [], "frames the idle socket got before its close")
    await asyncio.sleep(max(0.0, JOIN_TIMEOUT + 0.5 - (time.monotonic() - start)))
    for c in (joined, left):
        check(not c.closed, f"{c.name} was closed: {c.close_code} {c.close_reason}")
        await c.assert_usable()
    await fresh_client_served()


@case("half-open: a joined socket that stops answering pings is dropped after 2 x ping_interval, "
      "its participant kept for the resume grace, then the room sees user-left timeout; "
      "a quiet client that answers pings stays", timeout=30)
async def _():
    room = uid("room")
    bystander = await member(room, uid("bystander"))
    sub = uid("halfopen")
    raw = await RawWebSocket.connect(token=token(sub))
    await raw.send_text(json.dumps({"type": "join", "roomId": room, "requestId": "j"}))
    op, payload = await raw.read_frame()
    check_eq(json.loads(payload).get("type"), "joined", "raw join")
    await bystander.expect("user-joined", userId=sub)
    start = time.monotonic()
    # from now on the raw socket reads nothing and answers nothing
    # (a dropped socket keeps its participant for resume_grace: docs/protocol.md, "Reconnection")
    left = await bystander.expect("user-left", userId=sub, timeout=2 * PING_INTERVAL + RESUME_GRACE + 4)
    elapsed = time.monotonic() - start
    check_eq(left.get("data"), {"reason": "timeout"}, "user-left.data")
    check(elapsed >= 2 * PING_INTERVAL + RESUME_GRACE - 0.5,
          f"user-left {elapsed:.1f} s after the socket went silent: before the pings and the grace ran out")
    # what the raw socket got: pings, then the end of the stream
    frames = await raw.read_until_end(timeout=2)
    check(any(op == 9 for op, _ in frames), f"no ping reached the silent socket: {frames!r}")
    check(raw.ended is not None, "the silent socket's TCP connection is still open")
    # the bystander answered every ping (the client library does) and is still here
    check(not bystander.closed, "the bystander was dropped")
    await unaffected(bystander)
    check_eq(await room_members(room), [bystander.sub], "members")
    await fresh_client_served()


async def read_until_closed(reader, timeout):
    """Reads until EOF; returns (bytes, seconds) or raises after timeout."""
    start = time.monotonic()
    data = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(4096), timeout - (time.monotonic() - start))
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    except asyncio.TimeoutError:
        raise AssertionError(f"still open after {timeout:g} s (got {data[:200]!r})") from None
    return data, time.monotonic() - start


@case("handshake timeout: a TCP connection that sends nothing, or only part of the HTTP upgrade, "
      "or dribbles headers, is closed after handshake_timeout; the server still serves", timeout=30)
async def _():
    async def silent():
        reader, writer = await asyncio.open_connection("127.0.0.1", 8090)
        data, secs = await read_until_closed(reader, HANDSHAKE_TIMEOUT + 3)
        writer.close()
        return data, secs

    async def partial():
        reader, writer = await asyncio.open_connection("127.0.0.1", 8090)
        writer.write(b"GET /ws/webrtc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        await writer.drain()
        data, secs = await read_until_closed(reader, HANDSHAKE_TIMEOUT + 3)
        writer.close()
        return data, secs

    async def dribble():
        reader, writer = await asyncio.open_connection("127.0.0.1", 8090)
        writer.write(b"GET /ws/webrtc HTTP/1.1\r\n")
        await writer.drain()

        async def trickle():
            try:
                for i in range(40):
                    await asyncio.sleep(0.25)
                    writer.write(f"X-Slow-{i}: {i}\r\n".encode())
                    await writer.drain()
            except (ConnectionError, RuntimeError):
                pass
        task = asyncio.ensure_future(trickle())
        try:
            data, secs = await read_until_closed(reader, HANDSHAKE_TIMEOUT + 3)
        finally:
            task.cancel()
            writer.close()
        return data, secs

    results = await asyncio.gather(silent(), partial(), dribble())
    for name, (data, secs) in zip(("silent", "partial", "dribble"), results):
        check(HANDSHAKE_TIMEOUT - 0.5 <= secs <= HANDSHAKE_TIMEOUT + 2.5,
              f"{name}: closed after {secs:.1f} s, expected about {HANDSHAKE_TIMEOUT} s")
        check(b"101" not in data, f"{name}: got an upgrade: {data[:200]!r}")
    await fresh_client_served()


# --- rooms ---------------------------------------------------------------------------------

async def created_rooms():
    return {r["roomId"] for r in await list_rooms()} - CONFIGURED


@case("max_rooms (8, the 6 configured rooms included): 2 rooms can be created, the 3rd join is 503 "
      "room_full; configured rooms still join; once a room empties, a new one can be created")
async def _():
    await wait_until(lambda: _no_created_rooms(), 3, "no rooms left from earlier cases")
    first = await member(uid("room"), uid("a"))
    second = await member(uid("room"), uid("b"))
    third = await conn(uid("c"))
    await third.send({"type": "join", "roomId": uid("room"), "requestId": "third"})
    f = await third.expect_error(503, "third")
    check("room" in f["data"]["message"], f"message: {short(f)}")
    check_eq(len(await created_rooms()), 2, "created rooms")
    await third.join("demo")                                  # configured: fine
    await first.send({"type": "leave", "requestId": "lv"})
    await first.expect("left")
    await wait_until(lambda: _created_count_is(1), 3, "the emptied room removed")
    late = await member(uid("room"), uid("d"))
    await late.assert_usable()
    await unaffected(second)


async def _no_created_rooms():
    return not await created_rooms()


async def _created_count_is(n):
    return len(await created_rooms()) == n


@case("kick_ban = 2 s: the kicked user is refused (403) in that room for 2 s, with any token; "
      "then admitted again")
async def _():
    room = uid("room")
    mod = await member(room, uid("mod"), {"moderate": True})
    sub = uid("target")
    target = await member(room, sub)
    await mod.expect("user-joined", userId=sub)
    await mod.send({"type": "kick", "targetUserId": sub, "data": {"reason": "cool off"}, "requestId": "k"})
    await target.expect("kicked")
    code, _ = await target.wait_closed()
    check_eq(code, 4000, "close code")
    kicked_at = time.monotonic()
    await mod.expect("user-left", userId=sub)
    again = await conn(sub)                                   # a new token: the user id is banned
    await again.send({"type": "join", "roomId": room, "requestId": "back"})
    await again.expect_error(403, "back")
    await again.close()
    await asyncio.sleep(max(0.0, KICK_BAN + 1.1 - (time.monotonic() - kicked_at)))
    later = await conn(sub)                                   # (a socket may idle only join_timeout)
    await later.join(room)
    await mod.expect("user-joined", userId=sub)
    await unaffected(mod)


if __name__ == "__main__":
    main(summary=True)
