#!/usr/bin/python3
# with-server: --auth jwt --tls --set transport.tls_redirect_http=true
#
# TLS from Python (docs/security.md, "Connections"): the harness serves
# https/wss on the transport's port with a self-signed certificate
# (CONVENE_TLS_CERT; the lib trusts it for wss:// URLs), and tls_redirect_http
# is on. A client joins and pings over wss; two aiortc peers negotiate and
# exchange media with their signaling over wss; a plain ws:// upgrade on the
# TLS port is refused (a token never travels in clear); plain http://
# redirects to the same URL over https. Ends with `# N/M cases as specified`.
import asyncio
import os
import ssl
import sys
import urllib.parse

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from convene import (Client, case, check, check_eq, env, main, mint_token, tls_context, uid)  # noqa: E402
from aiortc_peer import SfuPeer  # noqa: E402

SECRET = env("CONVENE_JWT_SECRET")
WSS = env("CONVENE_WS_URL")
HTTPS = env("CONVENE_HTTP_URL")
PARTS = urllib.parse.urlsplit(WSS)
HOST, PORT = PARTS.hostname, PARTS.port


def token(sub):
    return mint_token(SECRET, sub, grants={"create": True}, jti=uid("jti"))


async def http_exchange(request, tls):
    """Sends a raw HTTP request (plain or TLS); returns the response head
    and body, or b"" when the server ends the connection."""
    reader, writer = await asyncio.open_connection(HOST, PORT, ssl=tls_context() if tls else None)
    writer.write(request.encode())
    await writer.drain()
    data = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), 3)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    except asyncio.TimeoutError:
        pass
    writer.close()
    return data


@case("wss: the harness serves TLS (the URL is wss://); a client trusting its certificate connects, "
      "joins and pings; one that does not trust it fails the TLS handshake")
async def _():
    check_eq(PARTS.scheme, "wss", "CONVENE_WS_URL scheme")
    check(os.path.exists(env("CONVENE_TLS_CERT")), "CONVENE_TLS_CERT missing")
    sub = uid("alice")
    c = await Client.connect(token=token(sub))
    j = await c.join(uid("room"))
    check_eq(j.get("userId"), sub, "joined.userId")
    await c.ping()
    check(c.ws.transport.get_extra_info("ssl_object") is not None, "the connection is not TLS")
    version = c.ws.transport.get_extra_info("ssl_object").version()
    check(version in ("TLSv1.2", "TLSv1.3"), f"TLS version {version}")
    try:
        await websockets.connect(f"{WSS}?token={token(uid('x'))}", ssl=ssl.create_default_context(),
                                 open_timeout=5)
        raise AssertionError("a client that does not trust the self-signed certificate connected")
    except ssl.SSLCertVerificationError:
        pass


@case("wss: a refused token still closes 1008 Unauthorized, before any frame")
async def _():
    c = await Client.connect(token="not-a-jwt")
    code, reason = await c.wait_closed()
    check_eq((code, reason), (1008, "Unauthorized"), "close")
    check_eq(c.history, [], "frames before the close")


@case("wss + aiortc: two peers negotiate over wss (offer -> answer) and each decodes the other's "
      "audio and video", timeout=40)
async def _():
    room = uid("room")
    a_sub, b_sub = uid("a"), uid("b")
    a = await SfuPeer(room, a_sub, token=token(a_sub), data=False).start()
    b = await SfuPeer(room, b_sub, token=token(b_sub), data=False).start()
    check(a.client.ws.transport.get_extra_info("ssl_object") is not None, "the peer's signaling is not TLS")
    check(a.answers and b.answers, "no answer to an offer")
    await a.wait_media(b_sub, timeout=15)
    await b.wait_media(a_sub, timeout=15)


@case("plain ws:// on the TLS port: the upgrade is refused (HTTP 403), no WebSocket; a client "
      "library sees the refusal")
async def _():
    head = await http_exchange(
        f"GET {PARTS.path}?token={token(uid('clear'))} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        tls=False)
    status = head.split(b"\r\n", 1)[0]
    check(b" 403 " in status + b" ", f"plain upgrade answered {status!r}")
    check(b"101" not in status, "upgraded in clear")
    try:
        await websockets.connect(f"ws://{HOST}:{PORT}{PARTS.path}?token={token(uid('clear'))}", open_timeout=5)
        raise AssertionError("a plain ws:// client connected to the TLS port")
    except websockets.InvalidStatusCode as e:
        check_eq(e.status_code, 403, "status")


@case("plain http:// on the TLS port (tls_redirect_http): 301 to the same URL (path and query) over "
      "https, which serves the page")
async def _():
    head = await http_exchange(f"GET /index.html?room=demo&token=a%26b HTTP/1.1\r\nHost: {HOST}:{PORT}\r\n\r\n",
                               tls=False)
    lines = head.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    check(" 301 " in lines[0] + " ", f"status {lines[0]!r}")
    location = next((line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("location:")), None)
    check_eq(location, f"https://{HOST}:{PORT}/index.html?room=demo&token=a%26b", "Location")
    page = await http_exchange(f"GET /index.html HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nConnection: close\r\n\r\n",
                               tls=True)
    check(page.startswith(b"HTTP/1.1 200"), f"https page: {page[:80]!r}")
    check(b'id="join-form"' in page, "the demo page over https lacks its form")
    # a Host header that is not a host: no redirect is made from it
    bad = await http_exchange("GET / HTTP/1.1\r\nHost: evil.example/x\r\n\r\n", tls=False)
    check(bad.startswith(b"HTTP/1.1 400"), f"bad Host: {bad[:80]!r}")


if __name__ == "__main__":
    main(summary=True)
