"""Shared helpers for Convene's end-to-end tests (run with /usr/bin/python3).

- TAP cases: ``@case("name")`` registers an async test; ``main()`` runs them
  one after the other, each with a timeout, and prints ``ok N - name`` /
  ``not ok N - name`` with ``# `` diagnostics, then the plan ``1..N``.
  Every client a case opens is closed after it, whatever happened.
- Tokens: ``mint_token`` (HS256) and ``broken_token`` (tokens that must be
  refused).
- ``Client``: the Convene protocol over CONVENE_WS_URL.
- ``JanusApiClient``: the stock Janus API over JANUS_WS_URL
  (subprotocol ``janus-protocol``) attached to janus.plugin.convene.

Checks made on every frame any client receives (a case fails when one is
broken, even if it never looks at that frame): the frame is a JSON object
with a string ``type`` and an integer ``timestamp`` close to now; an
``error`` frame has ``data: {code, reason, message}`` with the reason of the
protocol's table. An ``error`` frame that a case never consumed also fails
the case: errors are never skipped silently.

Only the standard library and python3-websockets (Debian's 10.4).
"""
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import ssl
import struct
import sys
import time
import traceback
import urllib.parse
import urllib.request
import uuid

import websockets

DEFAULT_CASE_TIMEOUT = 20.0
DEFAULT_TIMEOUT = 5.0          # a single expected frame
SILENCE = 0.3                  # how long no_frame listens by default
PLUGIN = "janus.plugin.convene"

# The protocol's error table: code -> reason
ERROR_REASONS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    409: "conflict", 413: "too_large", 429: "rate_limited", 500: "internal",
    503: "room_full",
}

ANY = object()  # expect_error(request_id=ANY): do not look at requestId


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"{name} is not set: run through tests/e2e/with-server")
    return value


def tls_context():
    """An SSL context that trusts the harness's self-signed certificate
    (CONVENE_TLS_CERT, set by `with-server --tls`), or None without it."""
    cert = os.environ.get("CONVENE_TLS_CERT")
    if not cert:
        return None
    return ssl.create_default_context(cafile=cert)


def _ssl_for(url):
    """The ssl argument for a connection to url: a context trusting
    CONVENE_TLS_CERT for wss:// and https://, else None."""
    if urllib.parse.urlsplit(url).scheme in ("wss", "https"):
        return tls_context() or ssl.create_default_context()
    return None


def uid(prefix="u"):
    """A short unique id, so that cases never collide on users or rooms."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now_ms():
    return int(time.time() * 1000)


def short(obj, limit=400):
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


# --- TAP runner ------------------------------------------------------------------

class _Case:
    def __init__(self, name, fn, timeout):
        self.name, self.fn, self.timeout = name, fn, timeout


_cases = []
_resources = []      # clients opened by the running case


def case(name, timeout=DEFAULT_CASE_TIMEOUT):
    """Decorator: registers an async test case (no arguments)."""
    def deco(fn):
        if not asyncio.iscoroutinefunction(fn):
            raise TypeError(f"case {name}: not an async function")
        _cases.append(_Case(name, fn, timeout))
        return fn
    return deco


def _diag(text):
    for line in str(text).rstrip("\n").splitlines():
        print("# " + line, flush=True)


def _post_checks():
    """Problems found on the case's clients: broken frames, unread errors."""
    problems = []
    for r in _resources:
        for v in r.violations:
            problems.append(f"{r.name}: {v}")
        for f in r.frames:
            if isinstance(f, dict) and f.get("type") == "error":
                problems.append(f"{r.name}: unexpected error frame never consumed: {short(f)}")
    return problems


async def _cleanup():
    resources = list(_resources)
    _resources.clear()
    users = set()
    for r in resources:
        if getattr(r, "user_id", None):
            users.add(r.user_id)
        try:
            await asyncio.wait_for(r.close(), 3)
        except BaseException:  # noqa: B902 - cleanup never fails a case by itself
            if hasattr(r, "abort"):
                r.abort()
    if users:
        await settle(users)


async def _run_all(cases):
    failed = 0
    for n, c in enumerate(cases, 1):
        errors = []
        start = time.monotonic()
        try:
            await asyncio.wait_for(c.fn(), c.timeout)
            errors.extend(_post_checks())
        except asyncio.TimeoutError:
            errors.append(f"case timed out after {c.timeout:g} s")
        except Exception as e:  # noqa: BLE001 - a failure of one case must not stop the others
            errors.append(f"{type(e).__name__}: {e}")
            errors.append(traceback.format_exc())
        try:
            await _cleanup()
        except Exception as e:  # noqa: BLE001
            errors.append(f"cleanup failed: {type(e).__name__}: {e}")
        elapsed = time.monotonic() - start
        if errors:
            failed += 1
            print(f"not ok {n} - {c.name}", flush=True)
            for e in errors:
                _diag(e)
        else:
            print(f"ok {n} - {c.name}", flush=True)
        if os.environ.get("CONVENE_TEST_VERBOSE"):
            _diag(f"{elapsed:.2f} s")
    print(f"1..{len(cases)}", flush=True)
    return failed


def main(only=None, summary=False):
    """Runs the registered cases (or those whose name contains one of
    sys.argv[1:]) and exits 1 if any failed. With summary, the last line
    is `# N/M cases as specified` (N passed of M)."""
    filters = only if only is not None else sys.argv[1:]
    cases = [c for c in _cases if not filters or any(f in c.name for f in filters)]
    failed = asyncio.run(_run_all(cases))
    if summary:
        print(f"# {len(cases) - failed}/{len(cases)} cases as specified", flush=True)
    sys.exit(1 if failed else 0)


# --- assertions -------------------------------------------------------------------

def check(cond, message):
    if not cond:
        raise AssertionError(message)


def check_eq(actual, expected, what="value"):
    if actual != expected:
        raise AssertionError(f"{what}: expected {short(expected)}, got {short(actual)}")


def matches(value, pattern):
    """True when value has pattern: dicts match as subsets (recursively),
    everything else by equality."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(k in value and matches(value[k], v) for k, v in pattern.items())
    return value == pattern


# --- tokens ---------------------------------------------------------------------

def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_jwt(header, payload, secret, signature=None):
    """header and payload are dicts (or raw strings used as they are);
    signature None = the correct HS256 signature, else that raw text."""
    h = header if isinstance(header, str) else b64url(json.dumps(header, separators=(",", ":")))
    p = payload if isinstance(payload, str) else b64url(json.dumps(payload, separators=(",", ":")))
    signing_input = f"{h}.{p}"
    if signature is None:
        key = secret.encode() if isinstance(secret, str) else secret
        signature = b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())
    return f"{signing_input}.{signature}"


def token_payload(sub, exp_in=3600, **claims):
    """sub None: no sub. exp_in None: no exp. Claims with value None are left out."""
    now = int(time.time())
    payload = {}
    if sub is not None:
        payload["sub"] = sub
    if exp_in is not None:
        payload["exp"] = now + exp_in
    for k, v in claims.items():
        if v is not None:
            payload[k] = v
    return payload


def mint_token(secret, sub, exp_in=3600, **claims):
    """A valid HS256 JWT: sub, exp = now + exp_in, plus claims such as
    nbf, name, room, grants={...}."""
    return encode_jwt({"alg": "HS256", "typ": "JWT"}, token_payload(sub, exp_in, **claims), secret)


BROKEN_KINDS = ("bad_signature", "wrong_secret", "alg_none", "alg_hs512", "expired", "not_yet_valid",
                "no_sub", "no_exp", "malformed", "two_parts", "garbage_payload")


def broken_token(kind, secret, sub="mallory", **claims):
    """A token the server must refuse; kind is one of BROKEN_KINDS."""
    now = int(time.time())
    good_header = {"alg": "HS256", "typ": "JWT"}
    payload = token_payload(sub, 3600, **claims)
    if kind == "bad_signature":
        token = encode_jwt(good_header, payload, secret)
        sig = token.rsplit(".", 1)[1]
        flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
        return token.rsplit(".", 1)[0] + "." + flipped
    if kind == "wrong_secret":
        return encode_jwt(good_header, payload, secret + "-not")
    if kind == "alg_none":
        return encode_jwt({"alg": "none", "typ": "JWT"}, payload, secret, signature="")
    if kind == "alg_hs512":
        key = secret.encode()
        h = b64url(json.dumps({"alg": "HS512", "typ": "JWT"}))
        p = b64url(json.dumps(payload))
        sig = b64url(hmac.new(key, f"{h}.{p}".encode(), hashlib.sha512).digest())
        return f"{h}.{p}.{sig}"
    if kind == "expired":
        return encode_jwt(good_header, dict(payload, exp=now - 3600), secret)
    if kind == "not_yet_valid":
        return encode_jwt(good_header, dict(payload, nbf=now + 3600), secret)
    if kind == "no_sub":
        return encode_jwt(good_header, {k: v for k, v in payload.items() if k != "sub"}, secret)
    if kind == "no_exp":
        return encode_jwt(good_header, {k: v for k, v in payload.items() if k != "exp"}, secret)
    if kind == "malformed":
        return "not-a-jwt"
    if kind == "two_parts":
        return encode_jwt(good_header, payload, secret).rsplit(".", 1)[0]
    if kind == "garbage_payload":
        return encode_jwt(good_header, "%%%not-base64%%%", secret)
    raise ValueError(f"unknown broken token kind {kind}")


# --- frames from a server -------------------------------------------------------------

class FrameBuffer:
    """Frames received in the background and kept until a test takes them.

    expect() takes the first frame of a type (matching **match) and leaves
    every other frame where it is, for later calls."""

    def __init__(self, name):
        self.name = name
        self.frames = []        # received, not yet taken
        self.history = []       # everything received, in order
        self.violations = []    # protocol problems seen on any frame
        self.closed = False
        self._cond = asyncio.Condition()

    # called by the reader
    async def _push(self, frame):
        self._validate(frame)
        async with self._cond:
            self.frames.append(frame)
            self.history.append(frame)
            self._cond.notify_all()

    async def _mark_closed(self):
        async with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _validate(self, frame):
        if not isinstance(frame, dict):
            self.violations.append(f"frame is not a JSON object: {short(frame)}")
            return
        if not isinstance(frame.get("type"), str):
            self.violations.append(f"frame without a string type: {short(frame)}")
        ts = frame.get("timestamp")
        if not isinstance(ts, int) or isinstance(ts, bool):
            self.violations.append(f"frame without an integer timestamp: {short(frame)}")
        elif abs(ts - now_ms()) > 60_000:
            self.violations.append(f"timestamp {ts} is more than 60 s from now ({now_ms()}): {short(frame)}")
        if frame.get("type") == "error":
            data = frame.get("data")
            if not isinstance(data, dict):
                self.violations.append(f"error frame without data object: {short(frame)}")
            else:
                code = data.get("code")
                if code not in ERROR_REASONS:
                    self.violations.append(f"error code {code!r} not in the protocol's table: {short(frame)}")
                elif data.get("reason") != ERROR_REASONS[code]:
                    self.violations.append(f"error {code} has reason {data.get('reason')!r}, "
                                           f"expected {ERROR_REASONS[code]!r}: {short(frame)}")
                if not isinstance(data.get("message"), str) or not data.get("message"):
                    self.violations.append(f"error frame without a message: {short(frame)}")

    async def _wait(self, finder, timeout):
        """Runs finder() (under the lock) until it returns non-None, the
        stream closes, or timeout passes. Returns its result or None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._cond:
            while True:
                found = finder()
                if found is not None:
                    return found
                remaining = deadline - loop.time()
                if self.closed or remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(self._cond.wait(), remaining)
                except asyncio.TimeoutError:
                    pass

    def _take(self, pred):
        for i, f in enumerate(self.frames):
            if pred(f):
                return self.frames.pop(i)
        return None

    def _describe(self):
        state = "closed" + self._close_text() if self.closed else "open"
        buffered = "\n  ".join(short(f) for f in self.frames) or "(none)"
        return f"connection {state}; frames waiting:\n  {buffered}"

    def _close_text(self):
        return ""

    async def recv(self, timeout=DEFAULT_TIMEOUT):
        """The next frame of any type."""
        f = await self._wait(lambda: self._take(lambda _: True), timeout)
        if f is None:
            raise AssertionError(f"{self.name}: no frame within {timeout:g} s; {self._describe()}")
        return f

    async def expect(self, type, timeout=DEFAULT_TIMEOUT, **match):
        """The first frame of that type that has the fields of match (dicts
        match as subsets); other frames stay buffered."""
        def pred(f):
            return isinstance(f, dict) and f.get("type") == type and matches(f, match)
        f = await self._wait(lambda: self._take(pred), timeout)
        if f is None:
            want = f"'{type}'" + (f" with {short(match)}" if match else "")
            raise AssertionError(f"{self.name}: no {want} frame within {timeout:g} s; {self._describe()}")
        return f

    async def expect_one_of(self, types, timeout=DEFAULT_TIMEOUT):
        f = await self._wait(lambda: self._take(lambda f: isinstance(f, dict) and f.get("type") in types), timeout)
        if f is None:
            raise AssertionError(f"{self.name}: none of {types} within {timeout:g} s; {self._describe()}")
        return f

    async def expect_error(self, code, request_id=ANY, timeout=DEFAULT_TIMEOUT):
        """The next error frame: its code must be code and, unless
        request_id is ANY, its requestId request_id (None: no requestId)."""
        f = await self._wait(lambda: self._take(lambda f: isinstance(f, dict) and f.get("type") == "error"),
                             timeout)
        if f is None:
            raise AssertionError(f"{self.name}: no error {code} within {timeout:g} s; {self._describe()}")
        data = f.get("data") or {}
        if data.get("code") != code:
            raise AssertionError(f"{self.name}: expected error {code}, got {short(f)}")
        if data.get("reason") != ERROR_REASONS.get(code):
            raise AssertionError(f"{self.name}: error {code} should have reason {ERROR_REASONS.get(code)!r}: {short(f)}")
        if request_id is None:
            check("requestId" not in f, f"{self.name}: error has a requestId nobody sent: {short(f)}")
        elif request_id is not ANY:
            check(f.get("requestId") == request_id,
                  f"{self.name}: error should echo requestId {request_id!r}: {short(f)}")
        return f

    async def no_frame(self, type=None, within=SILENCE, **match):
        """Asserts that no frame (of that type, with match) arrives within
        `within` seconds, and that none is waiting already."""
        def pred(f):
            return type is None or (isinstance(f, dict) and f.get("type") == type and matches(f, match))
        f = await self._wait(lambda: next((x for x in self.frames if pred(x)), None), within)
        if f is not None:
            raise AssertionError(f"{self.name}: unexpected frame {short(f)}")

    def take_all(self):
        frames, self.frames = self.frames, []
        return frames


# --- the Convene protocol client ------------------------------------------------------

_counter = itertools.count(1)


class Client(FrameBuffer):
    """A Convene WebSocket client. Open with ``await Client.connect(...)``."""

    def __init__(self, ws, name):
        super().__init__(name)
        self.ws = ws
        self.user_id = None
        self.room_id = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, token=None, name=None, url=None, query=None, source=None, origin=None):
        """source: a local address to connect from (e.g. "127.0.0.2", for
        per-address limits); origin: an Origin header to send. wss:// URLs
        trust CONVENE_TLS_CERT."""
        url = url or env("CONVENE_WS_URL")
        params = dict(query or {})
        if token is not None:
            params["token"] = token
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        extra = {}
        if source is not None:
            extra["local_addr"] = (source, 0)
        if origin is not None:
            extra["origin"] = origin
        ws = await websockets.connect(url, open_timeout=5, close_timeout=2, ping_interval=None,
                                      compression=None, max_size=2 ** 22, ssl=_ssl_for(url), **extra)
        client = cls(ws, name or f"client{next(_counter)}")
        _resources.append(client)
        return client

    async def _read(self):
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    self.violations.append(f"binary frame from the server ({len(message)} bytes)")
                    continue
                try:
                    frame = json.loads(message)
                except ValueError:
                    self.violations.append(f"frame is not JSON: {short(message)}")
                    continue
                await self._push(frame)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001
            self.violations.append(f"reader failed: {type(e).__name__}: {e}")
        finally:
            await self._mark_closed()

    def _close_text(self):
        return f" (code {self.close_code}, reason {self.close_reason!r})"

    # sending
    async def send(self, msg):
        await self.ws.send(json.dumps(msg))

    async def send_raw(self, data):
        """Sends a text (str) or binary (bytes) frame as it is."""
        await self.ws.send(data)

    # requests
    async def join(self, room, user=None, request_id=None, timeout=DEFAULT_TIMEOUT, **data):
        """Joins and returns the `joined` frame (an error frame fails)."""
        msg = {"type": "join", "roomId": room, "requestId": request_id or f"join-{next(_counter)}"}
        if user is not None:
            msg["userId"] = user
        if data:
            msg["data"] = data
        await self.send(msg)
        f = await self.expect_one_of(("joined", "error"), timeout)
        if f["type"] == "error":
            raise AssertionError(f"{self.name}: join {room} as {user} failed: {short(f)}")
        check_eq(f.get("requestId"), msg["requestId"], "joined.requestId")
        self.user_id = f.get("userId")
        self.room_id = room
        return f

    async def ping(self, request_id=None, timeout=DEFAULT_TIMEOUT):
        """ping -> pong with the requestId echoed. Returns the pong."""
        rid = request_id if request_id is not None else f"ping-{next(_counter)}"
        await self.send({"type": "ping", "requestId": rid})
        f = await self.expect_one_of(("pong", "error"), timeout)
        if f["type"] != "pong":
            raise AssertionError(f"{self.name}: ping answered with {short(f)}")
        check_eq(f.get("requestId"), rid, "pong.requestId")
        return f

    async def assert_usable(self):
        """The connection still works: a ping gets its pong."""
        check(not self.closed, f"{self.name}: connection closed{self._close_text()}")
        await self.ping()

    # closing
    @property
    def close_code(self):
        return self.ws.close_code

    @property
    def close_reason(self):
        return self.ws.close_reason

    async def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        """Waits until the server closes the socket; returns (code, reason)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: still open after {timeout:g} s; {self._describe()}") from None
        return self.ws.close_code, self.ws.close_reason

    async def close(self):
        await self.ws.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 3)
        except asyncio.TimeoutError:
            self._reader.cancel()

    def abort(self):
        """Drops the TCP connection with no close handshake."""
        self.ws.transport.abort()


# --- a raw WebSocket, for what a client library hides -----------------------------------

class RawWebSocket:
    """A minimal client WebSocket over asyncio streams: the handshake, masked
    frames out, frames in as (opcode, payload), and how the TCP stream ended
    ("EOF" for a FIN, "RST" for a reset). For tests of the closing handshake
    and of frames a library would not send (fragments, bad opcodes)."""

    def __init__(self, reader, writer, response):
        self.reader, self.writer, self.response = reader, writer, response
        self.ended = None       # None, "EOF" or "RST"

    @classmethod
    async def connect(cls, token=None, url=None, source=None, headers=None):
        """source: a local address to connect from; headers: extra request
        header lines ({"Origin": ...}). wss:// trusts CONVENE_TLS_CERT."""
        url = url or env("CONVENE_WS_URL")
        parts = urllib.parse.urlsplit(url)
        path = parts.path or "/"
        query = parts.query
        if token is not None:
            query = (query + "&" if query else "") + urllib.parse.urlencode({"token": token})
        if query:
            path += "?" + query
        tls = _ssl_for(url)
        reader, writer = await asyncio.open_connection(
            parts.hostname, parts.port or (443 if tls else 80), ssl=tls,
            local_addr=(source, 0) if source else None)
        key = base64.b64encode(os.urandom(16)).decode()
        more = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\n{more}\r\n").encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEFAULT_TIMEOUT)
        status = response.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            writer.close()
            raise AssertionError(f"WebSocket upgrade refused: {status!r}")
        raw = cls(reader, writer, response)
        _resources.append(raw)
        return raw

    # the runner's view of a resource
    name = "raw"
    violations = ()
    frames = ()

    @staticmethod
    def encode(opcode, payload, fin=True):
        data = payload.encode() if isinstance(payload, str) else payload
        mask = os.urandom(4)
        n = len(data)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    async def send_frame(self, opcode, payload, fin=True):
        self.writer.write(self.encode(opcode, payload, fin))
        await self.writer.drain()

    async def send_text(self, text):
        await self.send_frame(1, text)

    async def send_close(self, code=1000, reason=""):
        await self.send_frame(8, struct.pack(">H", code) + reason.encode())

    async def read_frame(self, timeout=DEFAULT_TIMEOUT):
        """The next frame as (opcode, payload); None when the stream ended
        (see .ended) or nothing came within timeout."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
            n = head[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", await self.reader.readexactly(8))[0]
            if head[1] & 0x80:
                mask = await self.reader.readexactly(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(await self.reader.readexactly(n)))
            else:
                data = await self.reader.readexactly(n)
            return head[0] & 0x0F, data
        except asyncio.TimeoutError:
            return None
        except asyncio.IncompleteReadError:
            self.ended = "EOF"
        except ConnectionResetError:
            self.ended = "RST"
        return None

    async def read_until_end(self, timeout=DEFAULT_TIMEOUT):
        """Every frame until the stream ends or nothing comes for timeout."""
        frames = []
        while True:
            f = await self.read_frame(timeout)
            if f is None:
                return frames
            frames.append(f)

    @staticmethod
    def close_payload(payload):
        """(code, reason) of a Close frame's payload."""
        if len(payload) < 2:
            return None, ""
        return struct.unpack(">H", payload[:2])[0], payload[2:].decode(errors="replace")

    async def close(self):
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except Exception:  # noqa: BLE001
            pass

    def abort(self):
        self.writer.transport.abort()


# --- the stock Janus API client -------------------------------------------------------

class JanusError(Exception):
    def __init__(self, reply):
        err = reply.get("error") or {}
        super().__init__(f"Janus error {err.get('code')}: {err.get('reason')}")
        self.reply = reply
        self.code = err.get("code")


class JanusApiClient(FrameBuffer):
    """A raw client of the stock Janus API (JANUS_WS_URL, janus-protocol).

    Plugin events (plugindata.data) are buffered as frames: expect() and
    friends work as on Client. Other Janus messages (webrtcup, hangup,
    detached, ...) go to .others."""

    def __init__(self, ws, name):
        super().__init__(name)
        self.ws = ws
        self.session_id = None
        self.handle_id = None
        self.user_id = None
        self.others = []
        self.raw_events = []
        self._pending = {}
        self._keepalive = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, name=None, url=None):
        ws = await websockets.connect(url or env("JANUS_WS_URL"), subprotocols=["janus-protocol"],
                                      open_timeout=5, close_timeout=2, ping_interval=None,
                                      compression=None, max_size=2 ** 22)
        client = cls(ws, name or f"janus{next(_counter)}")
        _resources.append(client)
        return client

    async def _read(self):
        try:
            async for message in self.ws:
                try:
                    msg = json.loads(message)
                except ValueError:
                    self.violations.append(f"Janus sent non-JSON: {short(message)}")
                    continue
                kind = msg.get("janus")
                txn = msg.get("transaction")
                fut = self._pending.get(txn)
                if kind in ("ack", "success", "error") and fut is not None and not fut.done():
                    fut.set_result(msg)
                    continue
                if kind == "event":
                    self.raw_events.append(msg)
                    data = (msg.get("plugindata") or {}).get("data")
                    if data is not None:
                        plugin = (msg.get("plugindata") or {}).get("plugin")
                        if plugin != PLUGIN:
                            self.violations.append(f"event from plugin {plugin!r}: {short(msg)}")
                        await self._push(data)
                    continue
                if kind in ("ack", "success", "error"):
                    if kind == "error":
                        self.violations.append(f"unsolicited Janus error: {short(msg)}")
                    continue
                self.others.append(msg)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001
            self.violations.append(f"reader failed: {type(e).__name__}: {e}")
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("Janus API socket closed"))
            await self._mark_closed()

    async def request(self, body, timeout=DEFAULT_TIMEOUT):
        """Sends a Janus request and returns its first reply (ack, success);
        raises JanusError on error."""
        txn = body.setdefault("transaction", f"t{next(_counter)}")
        if self.session_id is not None and "session_id" not in body and body.get("janus") != "create":
            body["session_id"] = self.session_id
        fut = asyncio.get_running_loop().create_future()
        self._pending[txn] = fut
        try:
            await self.ws.send(json.dumps(body))
            reply = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: no reply to {short(body)} within {timeout:g} s") from None
        finally:
            self._pending.pop(txn, None)
        if reply.get("janus") == "error":
            raise JanusError(reply)
        return reply

    async def create(self, keepalive_every=20):
        reply = await self.request({"janus": "create"})
        self.session_id = reply["data"]["id"]
        self._keepalive = asyncio.create_task(self._keepalive_loop(keepalive_every))
        return self.session_id

    async def _keepalive_loop(self, every):
        try:
            while True:
                await asyncio.sleep(every)
                await self.request({"janus": "keepalive"})
        except (asyncio.CancelledError, ConnectionError, websockets.ConnectionClosed):
            pass
        except Exception as e:  # noqa: BLE001
            self.violations.append(f"keepalive failed: {type(e).__name__}: {e}")

    async def attach(self, plugin=PLUGIN):
        reply = await self.request({"janus": "attach", "plugin": plugin})
        self.handle_id = reply["data"]["id"]
        return self.handle_id

    async def setup(self):
        """create + attach janus.plugin.convene."""
        await self.create()
        await self.attach()
        return self

    async def message(self, body, jsep=None, timeout=DEFAULT_TIMEOUT):
        """A `message` with this body to the plugin; returns the ack."""
        req = {"janus": "message", "handle_id": self.handle_id, "body": body}
        if jsep is not None:
            req["jsep"] = jsep
        return await self.request(req, timeout)

    async def join(self, room, user=None, request_id=None, timeout=DEFAULT_TIMEOUT, token=None, **data):
        body = {"type": "join", "roomId": room, "requestId": request_id or f"join-{next(_counter)}"}
        if user is not None:
            body["userId"] = user
        if token is not None:
            body["token"] = token
        if data:
            body["data"] = data
        await self.message(body)
        f = await self.expect_one_of(("joined", "error"), timeout)
        if f["type"] == "error":
            raise AssertionError(f"{self.name}: join {room} as {user} failed: {short(f)}")
        check_eq(f.get("requestId"), body["requestId"], "joined.requestId")
        self.user_id = f.get("userId")
        return f

    async def ping(self, request_id=None, timeout=DEFAULT_TIMEOUT):
        rid = request_id if request_id is not None else f"ping-{next(_counter)}"
        await self.message({"type": "ping", "requestId": rid})
        f = await self.expect_one_of(("pong", "error"), timeout)
        check_eq(f.get("type"), "pong", "reply to ping")
        check_eq(f.get("requestId"), rid, "pong.requestId")
        return f

    async def detach(self):
        reply = await self.request({"janus": "detach", "handle_id": self.handle_id})
        self.handle_id = None
        return reply

    async def destroy(self):
        if self._keepalive:
            self._keepalive.cancel()
        reply = await self.request({"janus": "destroy"})
        self.session_id = None
        return reply

    async def close(self):
        if self._keepalive:
            self._keepalive.cancel()
        await self.ws.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 3)
        except asyncio.TimeoutError:
            self._reader.cancel()

    def abort(self):
        self.ws.transport.abort()


# --- admin API (for settling between cases) -------------------------------------------

def _admin_sync(request, timeout=3):
    return _admin_raw_sync({"janus": "message_plugin", "plugin": PLUGIN, "request": request}, timeout)


def _admin_raw_sync(body, timeout=3):
    body = dict(body, transaction=uid("adm"), admin_secret=env("JANUS_ADMIN_SECRET"))
    req = urllib.request.Request(env("JANUS_ADMIN_URL"), data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


async def admin_plugin_request(request):
    """A `message_plugin` admin request to janus.plugin.convene; the whole reply."""
    return await asyncio.to_thread(_admin_sync, request)


async def admin_request(body):
    """Any Janus admin API request (body without transaction and secret)."""
    return await asyncio.to_thread(_admin_raw_sync, body)


async def transport_clients():
    """How many sockets the Convene transport holds (query_transport)."""
    reply = await admin_request({"janus": "query_transport", "transport": "janus.transport.convene",
                                 "request": {}})
    return (reply.get("response") or {}).get("clients")


async def list_rooms():
    """The plugin's rooms: [{roomId, topology, maxParticipants, participants}]."""
    reply = await admin_plugin_request({"request": "list-rooms"})
    return (reply.get("response") or {}).get("rooms") or []


async def room_members(room_id):
    for r in await list_rooms():
        if r.get("roomId") == room_id:
            return r.get("participants") or []
    return None


async def room_empty(room_id, timeout=3.0):
    """Waits until room_id exists with no members (rooms shared between cases
    must be empty when one starts; the server handles leaves asynchronously);
    fails the case when it is not empty after timeout."""
    members = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = await room_members(room_id)
        if members == []:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{room_id} is not empty at the start of the case: {members}")


async def settle(user_ids, timeout=3.0):
    """Waits until none of user_ids is a member of any room (the server
    handles disconnects asynchronously). Best effort: returns False when
    they are still there after timeout or the admin API is unreachable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rooms = await list_rooms()
        except Exception:  # noqa: BLE001
            return False
        present = {u for r in rooms for u in (r.get("participants") or [])}
        if not present & set(user_ids):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
