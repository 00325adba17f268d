// test_signaling.mjs — SignalingClient against a fake WebSocket class (no
// server): request/response correlation by requestId, error frames rejecting
// the right request, timeouts, typed events, automatic reconnect with
// backoff after an unexpected close, none after 1008 / 4000 / close(),
// a request pending at a 1008 close rejected as 401,
// application-level ping with a pong timeout.
//
// Run: node tests/unit-js/test_signaling.mjs (tests/run runs it too).

import { SignalingClient, ConveneError, backoffDelay } from '../../html/js/convene.js';
import { tap, assert, equal, deepEqual, rejects, sleep, waitFor } from './lib/tap.mjs';

const t = tap();

// A WebSocket stand-in. Each test gets its own class (its own `sockets`).
// The library side: constructor(url), readyState, send(text), close(code,
// reason), onopen/onmessage/onerror/onclose. The test ("server") side:
// accept(), push(frame), drop(code, reason), refuse(code).
function fakeWebSocketClass() {
    class FakeWebSocket {
        constructor(url) {
            this.url = url;
            this.readyState = 0;
            this.sent = [];
            this.closeCalls = [];
            this.createdAt = Date.now();
            this.onopen = this.onmessage = this.onerror = this.onclose = null;
            FakeWebSocket.sockets.push(this);
        }
        send(text) {
            if (this.readyState !== 1)
                throw new Error('InvalidStateError: not open');
            this.sent.push(JSON.parse(text));
        }
        close(code, reason) {
            this.closeCalls.push({ code, reason });
            if (this.readyState >= 2)
                return;
            this.readyState = 2;
            setTimeout(() => {
                this.readyState = 3;
                this.onclose?.({ code: code ?? 1005, reason: reason ?? '', wasClean: true });
            }, 1);
        }
        // --- the server's side
        accept() {
            this.readyState = 1;
            this.onopen?.({});
        }
        push(frame) {
            this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
        }
        drop(code = 1006, reason = '') {
            this.readyState = 3;
            this.onerror?.({});
            this.onclose?.({ code, reason, wasClean: false });
        }
        sentOf(type) { return this.sent.filter((f) => f.type === type); }
    }
    FakeWebSocket.sockets = [];
    FakeWebSocket.last = () => FakeWebSocket.sockets[FakeWebSocket.sockets.length - 1];
    return FakeWebSocket;
}

// A client with a fake socket class; records its events.
function setup(options = {}) {
    const WS = fakeWebSocketClass();
    const client = new SignalingClient({ url: 'ws://server.test/ws/webrtc', pingIntervalMs: 0, WebSocket: WS, ...options });
    const events = [];
    for (const ev of ['open', 'close', 'reconnecting', 'error'])
        client.on(ev, (arg) => events.push({ ev, arg, t: Date.now() }));
    const frames = [];
    client.on('frame', (f) => frames.push(f));
    const of = (name) => events.filter((e) => e.ev === name).map((e) => e.arg);
    return { WS, client, events, frames, of };
}

async function connected(options) {
    const s = setup(options);
    const p = s.client.connect();
    await waitFor(() => s.WS.sockets.length === 1, { what: 'a socket' });
    s.WS.last().accept();
    await p;
    return s;
}

await t.case('connect: state idle -> connecting -> open, token in the URL, "open" event', async () => {
    const { WS, client, of } = setup({ token: 'a.b+c/d=' });
    equal(client.state, 'idle', 'state before');
    const p = client.connect();
    equal(client.state, 'connecting', 'state while connecting');
    equal(WS.sockets.length, 1, 'one socket');
    equal(WS.last().url, 'ws://server.test/ws/webrtc?token=a.b%2Bc%2Fd%3D', 'url');
    WS.last().accept();
    await p;
    equal(client.state, 'open', 'state after');
    equal(of('open').length, 1, 'open events');
    await client.connect();      // already open: resolves at once
    equal(WS.sockets.length, 1, 'no second socket');
});

await t.case('connect: rejects when the socket closes first; 1008 -> ConveneError 401 unauthorized, no retry', async () => {
    const { WS, client, of } = setup({ reconnect: { baseMs: 5, jitter: 0 } });
    const p = client.connect();
    WS.last().drop(1008, 'Unauthorized');
    const err = await rejects(p, 'connect');
    assert(err instanceof ConveneError, 'a ConveneError');
    equal(err.code, 401, 'code');
    equal(err.reason, 'unauthorized', 'reason');
    equal(client.state, 'closed', 'state');
    deepEqual(of('close'), [{ code: 1008, reason: 'Unauthorized', willReconnect: false }], 'close event');
    await sleep(40);
    equal(WS.sockets.length, 1, 'no reconnect attempt');
    // A plain failure to connect: "closed"
    const s2 = setup();
    const p2 = s2.client.connect();
    s2.WS.last().drop(1006);
    const err2 = await rejects(p2, 'connect');
    equal(err2.reason, 'closed', 'reason for 1006');
    equal(err2.code, 0, 'code for a local failure');
});

await t.case('send: adds a timestamp; throws ConveneError "closed" when not open', async () => {
    const { WS, client } = setup();
    let err = null;
    try { client.send({ type: 'ping' }); } catch (e) { err = e; }
    assert(err instanceof ConveneError && err.reason === 'closed', `expected ConveneError closed, got ${err}`);
    const p = client.connect();
    WS.last().accept();
    await p;
    const before = Date.now();
    client.send({ type: 'media', data: { audio: false, video: true } });
    const f = WS.last().sent[0];
    equal(f.type, 'media', 'type');
    deepEqual(f.data, { audio: false, video: true }, 'data');
    assert(typeof f.timestamp === 'number' && f.timestamp >= before && f.timestamp <= Date.now(), `timestamp ${f.timestamp}`);
});

await t.case('request: replies are matched by requestId, whatever their order; `expect` skips other types', async () => {
    const { WS, client } = await connected();
    const ws = WS.last();
    const a = client.request({ type: 'join', roomId: 'r1' }, 'joined');
    const b = client.request({ type: 'ping' }, 'pong');
    const [fa, fb] = ws.sent;
    assert(fa.requestId !== undefined && fb.requestId !== undefined, 'requestIds added');
    assert(fa.requestId !== fb.requestId, 'distinct requestIds');
    equal(fa.type, 'join', 'first sent');
    equal(fa.roomId, 'r1', 'fields kept');
    let aDone = false;
    a.then(() => { aDone = true; });
    ws.push({ type: 'pong', requestId: fb.requestId });
    ws.push({ type: 'user-joined', userId: 'x', requestId: fa.requestId });   // same id, not the expected type
    ws.push({ type: 'joined', userId: 'me', requestId: 'somebody-else' });
    const rb = await b;
    equal(rb.type, 'pong', 'b resolved with its pong');
    await sleep(5);
    equal(aDone, false, 'a still waits (other type, other id)');
    ws.push({ type: 'joined', roomId: 'r1', userId: 'me', requestId: fa.requestId });
    const ra = await a;
    equal(ra.userId, 'me', 'a resolved with its joined');
    // An integer requestId chosen by the caller is echoed as an integer
    const c = client.request({ type: 'ping', requestId: 42 });
    equal(ws.sent[2].requestId, 42, 'caller requestId kept');
    ws.push({ type: 'pong', requestId: 42 });
    equal((await c).type, 'pong', 'resolved (no expect: first frame echoing it)');
});

await t.case('request: an error frame rejects the request it echoes (code, reason, message), not the others', async () => {
    const { WS, client, of } = await connected();
    const ws = WS.last();
    const a = client.request({ type: 'join', roomId: 'full' }, 'joined');
    const b = client.request({ type: 'ping' }, 'pong');
    const [fa, fb] = ws.sent;
    ws.push({ type: 'error', requestId: fa.requestId, data: { code: 503, reason: 'room_full', message: 'room is full' } });
    const err = await rejects(a, 'a');
    assert(err instanceof ConveneError, 'ConveneError');
    equal(err.code, 503, 'code');
    equal(err.reason, 'room_full', 'reason');
    equal(err.message, 'room is full', 'message');
    equal(err.requestId, fa.requestId, 'requestId');
    deepEqual(of('error'), [], 'a claimed error frame is not an "error" event');
    ws.push({ type: 'pong', requestId: fb.requestId });
    equal((await b).type, 'pong', 'b unaffected');
    // An error nobody waits for: an "error" event with a ConveneError
    ws.push({ type: 'error', data: { code: 400, reason: 'bad_request', message: 'unknown type' } });
    const errs = of('error');
    equal(errs.length, 1, 'one error event');
    assert(errs[0] instanceof ConveneError && errs[0].code === 400 && errs[0].reason === 'bad_request', 'error event');
});

await t.case('request: times out with ConveneError "timeout"; a late reply is still a frame event', async () => {
    const { WS, client, frames } = await connected({ requestTimeoutMs: 30 });
    const t0 = Date.now();
    const err = await rejects(client.request({ type: 'subscribe', data: {} }), 'request');
    const took = Date.now() - t0;
    assert(err instanceof ConveneError && err.reason === 'timeout' && err.code === 0, `got ${err}`);
    assert(took >= 25 && took < 1000, `timed out after ${took} ms`);
    const id = WS.last().sent[0].requestId;
    equal(err.requestId, id, 'requestId');
    WS.last().push({ type: 'pong', requestId: id });
    equal(frames.at(-1).requestId, id, 'late reply emitted as a frame');
    // Not open: rejects at once
    client.close();
    const e2 = await rejects(client.request({ type: 'ping' }), 'request when closed');
    equal(e2.reason, 'closed', 'reason');
});

await t.case('events: "frame" and "<type>" for every frame; bad JSON and non-objects are ignored', async () => {
    const { WS, client, frames } = await connected();
    const typed = [];
    client.on('user-joined', (f) => typed.push(f.userId));
    client.on('offer', (f) => typed.push(`offer:${f.userId}`));
    const ws = WS.last();
    ws.push('not json');
    ws.push('[1,2]');
    ws.push('{"no":"type"}');
    ws.push({ type: 'user-joined', userId: 'bob', data: { displayName: 'Bob' } });
    ws.push({ type: 'offer', userId: 'sfu', data: { type: 'offer', sdp: 'v=0' } });
    deepEqual(typed, ['bob', 'offer:sfu'], 'typed events');
    deepEqual(frames.map((f) => f.type), ['user-joined', 'offer'], 'frame events');
});

await t.case('reconnect: after an unexpected close, with backoffDelay delays; pending requests reject "closed"', async () => {
    const backoff = { baseMs: 20, factor: 2, maxMs: 1000, jitter: 0 };
    const { WS, client, of, events } = await connected({ reconnect: backoff });
    const pending = client.request({ type: 'ping' }, 'pong');
    const tDrop = Date.now();
    WS.last().drop(1006);
    const err = await rejects(pending, 'pending request');
    equal(err.reason, 'closed', 'pending request reason');
    equal(client.state, 'reconnecting', 'state');
    deepEqual(of('close'), [{ code: 1006, reason: '', willReconnect: true }], 'close event');
    deepEqual(of('reconnecting')[0], { attempt: 1, delayMs: backoffDelay(0, backoff) }, 'first reconnecting event');
    await waitFor(() => WS.sockets.length === 2, { what: 'a second socket' });
    const t1 = WS.sockets[1].createdAt - tDrop;
    assert(t1 >= 18, `first retry after ${t1} ms, expected >= 20`);
    // That attempt fails: the next one waits twice as long, with no "close" event
    WS.last().drop(1006);
    await waitFor(() => WS.sockets.length === 3, { what: 'a third socket' });
    deepEqual(of('reconnecting').map((r) => r.delayMs), [20, 40], 'growing delays');
    deepEqual(of('reconnecting').map((r) => r.attempt), [1, 2], 'attempt numbers');
    equal(of('close').length, 1, 'a failed attempt is not a "close" event');
    const second = events.filter((e) => e.ev === 'reconnecting')[1];
    const gap = WS.sockets[2].createdAt - second.t;
    assert(gap >= 38, `second retry ${gap} ms after its reconnecting event, expected >= 40`);
    // This one opens: "open" again, attempts start over
    WS.last().accept();
    equal(client.state, 'open', 'open again');
    equal(of('open').length, 2, 'open events');
    WS.last().drop(1001, 'Session over');
    deepEqual(of('reconnecting').at(-1), { attempt: 1, delayMs: 20 }, 'back to the first delay after a success');
    await waitFor(() => WS.sockets.length === 4, { what: 'a fourth socket' });
    client.close();
});

await t.case('connect() while reconnecting resolves when the connection is back', async () => {
    const { WS, client } = await connected({ reconnect: { baseMs: 10, jitter: 0 } });
    WS.last().drop(1011, 'Server unavailable');
    const p = client.connect();
    await waitFor(() => WS.sockets.length === 2, { what: 'a second socket' });
    WS.last().accept();
    await p;
    equal(client.state, 'open', 'state');
    client.close();
});

await t.case('a request pending when the server closes with 1008 (after the socket opened) rejects as 401 unauthorized', async () => {
    // What the server does with a bad token: accept the socket, then close it with 1008.
    const { WS, client } = await connected({ reconnect: { baseMs: 5, jitter: 0 } });
    const pending = client.request({ type: 'join', roomId: 'r' }, 'joined');
    WS.last().drop(1008, 'Unauthorized');
    const err = await rejects(pending, 'join');
    assert(err instanceof ConveneError, 'a ConveneError');
    equal(err.code, 401, 'code');
    equal(err.reason, 'unauthorized', 'reason');
    const s2 = await connected({ reconnect: false });
    const p2 = s2.client.request({ type: 'join', roomId: 'r' }, 'joined');
    s2.WS.last().drop(1006);
    const err2 = await rejects(p2, 'join on 1006');
    equal(err2.reason, 'closed', 'other closes stay "closed"');
});

await t.case('no reconnect after 1008 (Unauthorized) or 4000 (kicked)', async () => {
    for (const code of [1008, 4000]) {
        const { WS, client, of } = await connected({ reconnect: { baseMs: 5, jitter: 0 } });
        WS.last().push({ type: code === 4000 ? 'kicked' : 'pong', data: { reason: 'replaced' } });
        WS.last().drop(code, code === 4000 ? 'Kicked' : 'Unauthorized');
        equal(client.state, 'closed', `state after ${code}`);
        deepEqual(of('close'), [{ code, reason: code === 4000 ? 'Kicked' : 'Unauthorized', willReconnect: false }], `close event (${code})`);
        await sleep(40);
        equal(WS.sockets.length, 1, `no new socket after ${code}`);
        deepEqual(of('reconnecting'), [], `no reconnecting event after ${code}`);
    }
});

await t.case('no reconnect when reconnect: false, nor after close(); close() rejects pending requests', async () => {
    const s1 = await connected({ reconnect: false });
    s1.WS.last().drop(1006);
    equal(s1.client.state, 'closed', 'state with reconnect: false');
    deepEqual(s1.of('close'), [{ code: 1006, reason: '', willReconnect: false }], 'close event');
    const s2 = await connected({ reconnect: { baseMs: 5, jitter: 0 } });
    const pending = s2.client.request({ type: 'leave' }, 'left');
    s2.client.close(1000, 'bye');
    const err = await rejects(pending, 'pending');
    equal(err.reason, 'closed', 'pending rejected');
    deepEqual(s2.WS.last().closeCalls, [{ code: 1000, reason: 'bye' }], 'socket closed with the code');
    deepEqual(s2.of('close'), [{ code: 1000, reason: 'bye', willReconnect: false }], 'close event');
    await sleep(40);
    equal(s2.WS.sockets.length, 1, 'no new socket');
    equal(s2.client.state, 'closed', 'state');
    // close() during the backoff wait cancels the attempt
    const s3 = await connected({ reconnect: { baseMs: 30, jitter: 0 } });
    s3.WS.last().drop(1006);
    s3.client.close();
    await sleep(60);
    equal(s3.WS.sockets.length, 1, 'the scheduled attempt was cancelled');
    // and connect() works again afterwards
    const p = s3.client.connect();
    s3.WS.last().accept();
    await p;
    equal(s3.client.state, 'open', 'connect after close');
    s3.client.close();
});

await t.case('ping: sent every pingIntervalMs; answered pongs keep the socket; a missing pong reconnects', async () => {
    const { WS, client, of } = await connected({ pingIntervalMs: 30, reconnect: { baseMs: 5, jitter: 0 } });
    const ws = WS.last();
    // Answer pings for a while
    const answer = setInterval(() => {
        for (const f of ws.sentOf('ping').filter((p) => !p.answered)) {
            f.answered = true;
            ws.push({ type: 'pong', requestId: f.requestId });
        }
    }, 5);
    await sleep(160);
    clearInterval(answer);
    const pings = ws.sentOf('ping').length;
    assert(pings >= 3, `expected >= 3 pings in 160 ms at 30 ms, got ${pings}`);
    equal(WS.sockets.length, 1, 'answered pings: same socket');
    equal(client.state, 'open', 'still open');
    // Stop answering: within two intervals the socket is given up
    const tStop = Date.now();
    await waitFor(() => of('close').length === 1, { timeout: 500, what: 'a close event' });
    const took = Date.now() - tStop;
    assert(took <= 100, `gave up after ${took} ms (interval 30 ms)`);
    deepEqual(of('close')[0], { code: 1006, reason: 'ping timeout', willReconnect: true }, 'close event');
    assert(ws.closeCalls.length === 1, 'the dead socket was closed');
    await waitFor(() => WS.sockets.length === 2, { what: 'a new socket' });
    WS.last().accept();
    equal(client.state, 'open', 'reconnected');
    client.close();
});

await t.case('options: url and WebSocket are required / used; reconnect true = defaults', async () => {
    let err = null;
    try { new SignalingClient({}); } catch (e) { err = e; }
    assert(err instanceof TypeError, 'url required');
    const { WS, client, of } = await connected({ reconnect: true });
    WS.last().drop(1006);
    equal(of('reconnecting').length, 1, 'reconnecting');
    const d = of('reconnecting')[0].delayMs;
    assert(d >= 350 && d <= 500, `default first delay in [350, 500], got ${d}`);
    client.close();
});

t.done();
