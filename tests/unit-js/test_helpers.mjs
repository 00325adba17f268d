// test_helpers.mjs — the client library's pure helpers in Node (no browser):
// backoffDelay, normalizeStats (hand-made stats maps), classifyQuality,
// Emitter, ConveneError.
//
// Run: node tests/unit-js/test_helpers.mjs (tests/run runs it too).

import {
    backoffDelay, normalizeStats, classifyQuality, Emitter, ConveneError,
} from '../../html/js/convene.js';
import { tap, assert, equal, deepEqual, near, sleep } from './lib/tap.mjs';

const t = tap();

// --- backoffDelay -------------------------------------------------------------------

const zero = () => 0;
const almostOne = () => 0.999999;

await t.case('backoffDelay: doubles from 500 ms (defaults, no jitter drawn)', () => {
    deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, {}, zero)), [500, 1000, 2000, 4000, 8000], 'delays');
});

await t.case('backoffDelay: capped at maxMs (15000 by default), also for huge attempts', () => {
    equal(backoffDelay(5, {}, zero), 15000, 'attempt 5 (16000 uncapped)');
    equal(backoffDelay(50, {}, zero), 15000, 'attempt 50');
    equal(backoffDelay(5000, {}, zero), 15000, 'attempt 5000 (factor^n is Infinity)');
    equal(backoffDelay(3, { baseMs: 100, maxMs: 250, factor: 3 }, zero), 250, 'custom cap');
});

await t.case('backoffDelay: custom base and factor', () => {
    deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, { baseMs: 100, factor: 3, maxMs: 1e6 }, zero)),
        [100, 300, 900, 2700], 'delays');
});

await t.case('backoffDelay: jitter removes up to jitter*delay, by random()', () => {
    // delay * (1 - jitter * r)
    near(backoffDelay(2, {}, almostOne), 2000 * 0.7, 0.01, 'r -> 1, default jitter 0.3');
    equal(backoffDelay(2, {}, () => 0.5), 2000 * (1 - 0.3 * 0.5), 'r = 0.5');
    equal(backoffDelay(2, { jitter: 0.5 }, () => 0.5), 1500, 'jitter 0.5, r 0.5');
    equal(backoffDelay(2, { jitter: 0 }, almostOne), 2000, 'jitter 0');
    equal(backoffDelay(5, { jitter: 1 }, () => 0.25), 15000 * 0.75, 'jitter applies after the cap');
});

await t.case('backoffDelay: Math.random by default stays within [delay*(1-jitter), delay]', () => {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < 2000; i++) {
        const d = backoffDelay(3);
        lo = Math.min(lo, d);
        hi = Math.max(hi, d);
    }
    assert(lo >= 4000 * 0.7 && hi <= 4000, `range [${lo}, ${hi}] outside [2800, 4000]`);
    assert(hi - lo > 800, `random jitter should spread the delays, got [${lo}, ${hi}]`);
});

await t.case('backoffDelay: odd inputs (negative attempt, random out of range) stay sane', () => {
    equal(backoffDelay(-3, {}, zero), 500, 'negative attempt = attempt 0');
    equal(backoffDelay(1, {}, () => 7), 1000 * 0.7, 'random() > 1 is clamped');
    equal(backoffDelay(1, {}, () => -1), 1000, 'random() < 0 is clamped');
});

// --- normalizeStats -------------------------------------------------------------------

// Two snapshots, 2 s apart, of a connection that receives video (mid f1, from
// alice) and audio (mid f2, from bob) and sends audio (mid 0) and simulcast video.
function snapshot(ts, k) {
    const m = new Map();
    const add = (s) => m.set(s.id, { timestamp: ts, ...s });
    add({ id: 'CV', type: 'codec', mimeType: 'video/VP8', payloadType: 96 });
    add({ id: 'CA', type: 'codec', mimeType: 'audio/opus', payloadType: 111 });
    add({ id: 'T', type: 'transport', selectedCandidatePairId: 'CP', dtlsState: 'connected' });
    add({ id: 'CP', type: 'candidate-pair', currentRoundTripTime: 0.042, availableOutgoingBitrate: 1500000 });
    add({ id: 'CP2', type: 'candidate-pair', currentRoundTripTime: 0.9 });   // not the selected pair
    add({ id: 'IV', type: 'inbound-rtp', kind: 'video', ssrc: 1111, mid: 'f1', codecId: 'CV',
        bytesReceived: k ? 260000 : 10000, packetsReceived: k ? 280 : 100, packetsLost: k ? 20 : 0,
        jitter: k ? 0.025 : 0.01, framesDecoded: k ? 90 : 30, frameWidth: 640, frameHeight: 360 });
    add({ id: 'IA', type: 'inbound-rtp', kind: 'audio', ssrc: 2222, mid: 'f2', codecId: 'CA',
        bytesReceived: k ? 14000 : 2000, packetsReceived: k ? 150 : 50, packetsLost: 0, jitter: 0.003,
        remoteId: 'RO' });
    add({ id: 'RO', type: 'remote-outbound-rtp', kind: 'audio', ssrc: 2222, roundTripTime: 0.061 });
    add({ id: 'OA', type: 'outbound-rtp', kind: 'audio', ssrc: 3333, mid: '0', codecId: 'CA',
        bytesSent: k ? 15000 : 5000, packetsSent: k ? 150 : 50, remoteId: 'RIA' });
    add({ id: 'RIA', type: 'remote-inbound-rtp', kind: 'audio', ssrc: 3333, localId: 'OA',
        packetsLost: k ? 3 : 1, fractionLost: 0.0195, jitter: 0.004, roundTripTime: 0.05 });
    for (const [rid, ssrc, w, bytes] of [['h', 4441, 640, 100000], ['m', 4442, 320, 40000], ['l', 4443, 160, 10000]]) {
        add({ id: 'OV' + rid, type: 'outbound-rtp', kind: 'video', ssrc, mid: '1', rid, codecId: 'CV',
            bytesSent: k ? bytes * 3 : bytes, packetsSent: k ? 300 : 100, framesEncoded: k ? 120 : 60,
            framesPerSecond: 29.5, frameWidth: w, frameHeight: w * 9 / 16 });
    }
    // Fields of other types must not confuse it
    add({ id: 'MS', type: 'media-source', kind: 'video', trackIdentifier: 'x', width: 640 });
    return m;
}

const owners = new Map([['f1', 'alice'], ['f2', 'bob']]);

await t.case('normalizeStats: one summary without `previous` (cumulative values, no rates)', () => {
    const s = normalizeStats(snapshot(1000, 0), null, owners);
    equal(s.timestamp, 1000, 'timestamp');
    equal(s.connectionState, 'connected', 'connectionState from the transport');
    equal(s.rttMs, 42, 'rtt of the selected pair, ms');
    equal(s.availableOutgoingBitrate, 1500000, 'availableOutgoingBitrate');
    equal(s.inbound.length, 2, 'inbound streams');
    equal(s.outbound.length, 4, 'outbound streams (audio + 3 layers)');
    const v = s.inbound.find((x) => x.kind === 'video');
    equal(v.bitrateBps, 0, 'no bitrate without a previous summary');
    equal(v.userId, 'alice', 'mid f1 -> alice');
    equal(v.codec, 'VP8', 'codec');
    equal(v.direction, 'inbound', 'direction');
    equal(v.framesPerSecond, null, 'fps unknown (no framesPerSecond, no previous)');
    equal(v.lossRate, 0, 'loss');
});

await t.case('normalizeStats: rates from the deltas to `previous` (bitrate, loss, fps), jitter s -> ms, mid -> userId', () => {
    const a = normalizeStats(snapshot(1000, 0), null, owners);
    const b = normalizeStats(snapshot(3000, 1), a, owners);
    const v = b.inbound.find((x) => x.kind === 'video');
    equal(v.bitrateBps, 1000000, 'video bitrate: 250000 B in 2 s');
    equal(v.bytes, 260000, 'bytes (cumulative)');
    equal(v.packets, 280, 'packets (cumulative)');
    equal(v.packetsLost, 20, 'packetsLost (cumulative)');
    equal(v.lossRate, 0.1, 'loss over the interval: 20 lost / (180 received + 20 lost)');
    equal(v.jitterMs, 25, 'jitter 0.025 s -> 25 ms');
    equal(v.framesPerSecond, 30, 'fps from framesDecoded delta: 60 frames in 2 s');
    equal(v.framesDecoded, 90, 'framesDecoded');
    equal(v.framesEncoded, null, 'framesEncoded (inbound)');
    equal(v.frameWidth, 640, 'width');
    equal(v.frameHeight, 360, 'height');
    equal(v.mid, 'f1', 'mid');
    equal(v.ssrc, 1111, 'ssrc');
    equal(v.rttMs, null, 'no remote-outbound rtt for the video');
    const au = b.inbound.find((x) => x.kind === 'audio');
    equal(au.userId, 'bob', 'mid f2 -> bob');
    equal(au.bitrateBps, 48000, 'audio bitrate: 12000 B in 2 s');
    equal(au.rttMs, 61, 'rtt from remote-outbound-rtp');
    equal(au.framesPerSecond, null, 'no fps for audio');
    equal(au.frameWidth, null, 'no width for audio');
    equal(au.codec, 'opus', 'codec');
    const oa = b.outbound.find((x) => x.kind === 'audio');
    equal(oa.userId, null, 'outbound streams have no publisher userId');
    equal(oa.bitrateBps, 40000, 'sent audio bitrate');
    equal(oa.lossRate, 0.0195, 'outbound loss: the receiver report fractionLost');
    equal(oa.packetsLost, 3, 'outbound packetsLost from remote-inbound-rtp');
    equal(oa.jitterMs, 4, 'outbound jitter from remote-inbound-rtp');
    equal(oa.rttMs, 50, 'outbound rtt from remote-inbound-rtp');
    const layers = b.outbound.filter((x) => x.kind === 'video').sort((x, y) => y.frameWidth - x.frameWidth);
    deepEqual(layers.map((x) => x.rid), ['h', 'm', 'l'], 'one entry per simulcast layer');
    deepEqual(layers.map((x) => x.bitrateBps), [800000, 320000, 80000], 'layer bitrates');
    deepEqual(layers.map((x) => x.framesPerSecond), [29.5, 29.5, 29.5], 'framesPerSecond as reported');
    equal(layers[0].framesEncoded, 120, 'framesEncoded');
    equal(b.rttMs, 42, 'connection rtt');
});

await t.case('normalizeStats: loss rate edge cases (no packets, counters going back, all lost)', () => {
    const mk = (ts, recv, lost) => new Map([['I', { id: 'I', type: 'inbound-rtp', kind: 'audio', ssrc: 5, timestamp: ts,
        packetsReceived: recv, packetsLost: lost, bytesReceived: recv * 100 }]]);
    const a = normalizeStats(mk(0, 100, 10));
    near(a.inbound[0].lossRate, 10 / 110, 1e-4, 'cumulative loss without previous');
    const b = normalizeStats(mk(1000, 100, 10), a);
    equal(b.inbound[0].lossRate, 0, 'nothing new: 0, not NaN');
    equal(b.inbound[0].bitrateBps, 0, 'nothing new: 0 bps');
    const c = normalizeStats(mk(2000, 150, 8), b);
    equal(c.inbound[0].lossRate, 0, 'packetsLost went down (duplicates): clamped to 0');
    const d = normalizeStats(mk(3000, 150, 58), c);
    equal(d.inbound[0].lossRate, 1, 'only losses: 1');
    equal(d.inbound[0].jitterMs, 0, 'no jitter field: 0');
    equal(d.inbound[0].userId, null, 'no mid, no owner: null');
    equal(d.inbound[0].mid, null, 'no mid: null');
});

await t.case('normalizeStats: works on a report that only has forEach/get (RTCStatsReport-like), no transport', () => {
    const inner = snapshot(500, 0);
    inner.delete('T');
    const report = { forEach: (fn) => inner.forEach(fn), get: (id) => inner.get(id) };
    const s = normalizeStats(report, null, null);
    equal(s.inbound.length, 2, 'inbound');
    equal(s.inbound[0].userId, null, 'no owners map: null userId');
    equal(s.connectionState, 'unknown', 'no transport stats: unknown');
    equal(s.rttMs, null, 'no selected pair: null rtt');
});

await t.case('normalizeStats: selected pair found without a transport entry (Firefox: selected: true)', () => {
    const m = new Map([
        ['P1', { id: 'P1', type: 'candidate-pair', timestamp: 1, currentRoundTripTime: 0.3, nominated: true, state: 'succeeded' }],
        ['P2', { id: 'P2', type: 'candidate-pair', timestamp: 1, currentRoundTripTime: 0.012, selected: true }],
    ]);
    equal(normalizeStats(m).rttMs, 12, 'rtt of the selected pair');
    m.delete('P2');
    equal(normalizeStats(m).rttMs, 300, 'else the nominated succeeded pair');
});

// --- classifyQuality -------------------------------------------------------------------

await t.case('classifyQuality: good below every threshold, missing and null values ignored', () => {
    deepEqual(classifyQuality({ lossRate: 0.0199, jitterMs: 29.9, rttMs: 299 }), { quality: 'good', issues: [] }, 'below');
    deepEqual(classifyQuality({}), { quality: 'good', issues: [] }, 'empty sample');
    deepEqual(classifyQuality({ rttMs: null }), { quality: 'good', issues: [] }, 'null rtt');
});

await t.case('classifyQuality: loss 2% warning, 10% critical', () => {
    deepEqual(classifyQuality({ lossRate: 0.02 }), { quality: 'degraded',
        issues: [{ type: 'packet_loss', value: 0.02, severity: 'warning' }] }, '2%');
    deepEqual(classifyQuality({ lossRate: 0.0999 }).quality, 'degraded', '9.99%');
    deepEqual(classifyQuality({ lossRate: 0.1 }), { quality: 'poor',
        issues: [{ type: 'packet_loss', value: 0.1, severity: 'critical' }] }, '10%');
});

await t.case('classifyQuality: jitter 30 ms warning, 100 ms critical; RTT 300 ms warning, 1000 ms critical', () => {
    deepEqual(classifyQuality({ jitterMs: 30 }).issues, [{ type: 'jitter', value: 30, severity: 'warning' }], 'jitter 30');
    deepEqual(classifyQuality({ jitterMs: 99.9 }).quality, 'degraded', 'jitter 99.9');
    deepEqual(classifyQuality({ jitterMs: 100 }).issues, [{ type: 'jitter', value: 100, severity: 'critical' }], 'jitter 100');
    deepEqual(classifyQuality({ rttMs: 300 }).issues, [{ type: 'rtt', value: 300, severity: 'warning' }], 'rtt 300');
    deepEqual(classifyQuality({ rttMs: 999 }).quality, 'degraded', 'rtt 999');
    deepEqual(classifyQuality({ rttMs: 1000 }), { quality: 'poor', issues: [{ type: 'rtt', value: 1000, severity: 'critical' }] }, 'rtt 1000');
});

await t.case('classifyQuality: several issues; any critical makes it poor', () => {
    const q = classifyQuality({ lossRate: 0.05, jitterMs: 150, rttMs: 400 });
    equal(q.quality, 'poor', 'quality');
    deepEqual(q.issues.map((i) => `${i.type}:${i.severity}`), ['packet_loss:warning', 'jitter:critical', 'rtt:warning'], 'issues');
    equal(classifyQuality({ lossRate: 0.05, rttMs: 400 }).quality, 'degraded', 'warnings only');
});

// --- Emitter, ConveneError -----------------------------------------------------------------

await t.case('Emitter: on / off / once / the remover on() returns, in order, with arguments', () => {
    const e = new Emitter();
    const got = [];
    const a = (x, y) => got.push(`a${x}${y}`);
    const off = e.on('ev', a);
    e.on('ev', (x) => got.push(`b${x}`));
    e.once('ev', (x) => got.push(`once${x}`));
    e.emit('ev', 1, 2);
    e.emit('ev', 3, 4);
    off();
    e.emit('ev', 5);
    const c = () => got.push('c');
    e.once('other', c);
    e.off('other', c);          // off() with the function given to once()
    e.emit('other');
    e.emit('nobody-listens');
    deepEqual(got, ['a12', 'b1', 'once1', 'a34', 'b3', 'b5'], 'calls');
});

await t.case('Emitter: a listener that throws does not stop the others; the error is reported', async () => {
    const e = new Emitter();
    const got = [];
    const reported = [];
    const onUncaught = (err) => reported.push(err.message);
    process.on('uncaughtException', onUncaught);
    try {
        e.on('x', () => { throw new Error('boom'); });
        e.on('x', () => got.push('second'));
        e.emit('x');
        await sleep(20);
    } finally {
        process.off('uncaughtException', onUncaught);
    }
    deepEqual(got, ['second'], 'second listener ran');
    deepEqual(reported, ['boom'], 'reported');
});

await t.case('ConveneError: an Error with code, reason, requestId', () => {
    const e = new ConveneError(503, 'room_full', 'the room is full', 'c7');
    assert(e instanceof Error, 'instanceof Error');
    equal(e.name, 'ConveneError', 'name');
    equal(e.code, 503, 'code');
    equal(e.reason, 'room_full', 'reason');
    equal(e.message, 'the room is full', 'message');
    equal(e.requestId, 'c7', 'requestId');
    equal(new ConveneError(0, 'timeout').message, 'timeout', 'message defaults to the reason');
});

t.done();
