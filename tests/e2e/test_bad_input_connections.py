#!/usr/bin/python3
# with-server: --auth jwt --set transport.max_connections_per_ip=4 --set transport.max_connections=12 --set transport.allowed_origins=https://good.example,https://other.example
#
# Connection-level limits (docs/security.md, "Connections"), with small caps
# so that they are quick: connections per address (close 1013 "Too many
# connections"), connections in all (1013 "Server full"), and the Origin
# allow-list on the upgrade (HTTP 403). Clients connect from several
# loopback addresses (127.0.0.x) to be different "addresses". As in
# test_bad_input.py: exact codes, others unaffected, a fresh client is
# served afterwards. Ends with `# N/M cases as specified`.
import asyncio
import os
import sys
import time

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from convene import (Client, case, check, check_eq, env, main, mint_token, transport_clients,  # noqa: E402
                     uid)

SECRET = env("CONVENE_JWT_SECRET")
PER_IP, TOTAL = 4, 12


def token(sub):
    return mint_token(SECRET, sub, grants={"create": True}, jti=uid("jti"))


async def member(room, source=None, origin=None):
    sub = uid("u")
    c = await Client.connect(token=token(sub), name=f"{sub}@{source or '127.0.0.1'}", source=source, origin=origin)
    c.sub = sub
    await c.join(room)
    return c


async def server_empty(timeout=5):
    """Waits until the transport holds no socket (closing ones linger a
    little): the caps count every socket."""
    deadline = time.monotonic() + timeout
    while True:
        n = await transport_clients()
        if n == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the transport still holds {n} sockets")
        await asyncio.sleep(0.05)


async def refused_1013(source, reason, room):
    """A connection from source is opened, then closed 1013 with reason
    before any frame; a join it sent meanwhile is never answered."""
    c = await Client.connect(token=token(uid("over")), name=f"over@{source}", source=source)
    try:
        await c.send({"type": "join", "roomId": room, "requestId": "j"})
    except websockets.ConnectionClosed:
        pass
    code, why = await c.wait_closed(timeout=5)
    check_eq((code, why), (1013, reason), f"close of the connection over the cap from {source}")
    check_eq(c.history, [], "frames before the close")


async def fresh_client_served():
    c = await member(uid("room"))
    await c.ping()
    await c.close()


@case("per-address cap (4): the 5th connection from 127.0.0.2 is closed 1013 \"Too many connections\" "
      "before any frame; other addresses are unaffected; a closed one frees its place")
async def _():
    await server_empty()
    room = uid("room")
    local = await member(room)
    mine = [await member(room, "127.0.0.2") for _ in range(PER_IP)]
    await refused_1013("127.0.0.2", "Too many connections", room)
    other = await member(room, "127.0.0.3")
    for c in [local, other] + mine:
        await c.assert_usable()
    await mine[0].close()
    await asyncio.sleep(0.2)
    again = await member(room, "127.0.0.2")
    await again.assert_usable()
    await refused_1013("127.0.0.2", "Too many connections", room)
    await fresh_client_served()


@case("global cap (12): with 12 sockets open the next one, from any address, is closed 1013 "
      "\"Server full\"; the 12 are unaffected; a closed one frees a place")
async def _():
    await server_empty()
    room = uid("room")
    held = []
    for i in range(TOTAL):
        held.append(await member(room, f"127.0.0.{10 + i // PER_IP}"))
    await refused_1013("127.0.0.20", "Server full", room)
    await refused_1013("127.0.0.1", "Server full", room)
    for c in held:
        await c.assert_usable()
    await held[0].close()
    await asyncio.sleep(0.2)
    late = await member(room, "127.0.0.21")
    await late.assert_usable()
    for c in held[1:] + [late]:
        await c.close()
    await server_empty()
    await fresh_client_served()


async def upgrade(origin=None, path="/ws/webrtc", with_token=True):
    """A raw upgrade request; returns the status line and headers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", 8090)
    query = f"?token={token(uid('o'))}" if with_token else ""
    lines = [f"GET {path}{query} HTTP/1.1", "Host: 127.0.0.1:8090", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
    except (asyncio.IncompleteReadError, ConnectionResetError) as e:
        head = getattr(e, "partial", b"")
    writer.close()
    return head.split(b"\r\n", 1)[0].decode(errors="replace")


@case("Origin allow-list: a foreign Origin (or \"null\", or a look-alike) gets HTTP 403 on the upgrade; "
      "listed Origins and clients without an Origin upgrade; other paths 404; the pages are still served")
async def _():
    await server_empty()
    for origin in ("https://evil.example", "null", "https://good.example.evil.example", "http://good.example",
                   "https://GOOD.example.", "https://good.example:444"):
        status = await upgrade(origin)
        check(" 403 " in status + " ", f"Origin {origin!r}: {status!r}")
    for origin in ("https://good.example", "https://other.example", None):
        status = await upgrade(origin)
        check(" 101 " in status + " ", f"Origin {origin!r}: {status!r}")
    status = await upgrade("https://good.example", path="/not-the-ws-path")
    check(" 404 " in status + " ", f"another path: {status!r}")
    # through a client library, as a browser page would
    try:
        await Client.connect(token=token(uid("evil")), origin="https://evil.example")
        raise AssertionError("a foreign Origin connected")
    except websockets.InvalidStatusCode as e:
        check_eq(e.status_code, 403, "status seen by the client library")
    ok = await member(uid("room"), origin="https://good.example")
    await ok.assert_usable()
    # the demo pages do not depend on the Origin
    reader, writer = await asyncio.open_connection("127.0.0.1", 8090)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8090\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n"), 3)
    writer.close()
    check(b" 200 " in head, f"GET / : {head!r}")
    await fresh_client_served()


if __name__ == "__main__":
    main(summary=True)
