// test_demo_logic.mjs — the demo pages' pure parts in Node (no browser, no
// server): the type check of the demo modules against the library's
// contract (`tsc -p html/js/tsconfig.demo.json`), the wording of every
// error and state message (demo-messages.js), per-participant stats from
// hand-made StatsSummary objects (demo-stats.js: StatsSampler, qualityOf,
// StatsHistory), chat payloads (demo-chat.js), initials (demo-tiles.js) and
// the graphs' scale (stats-graph.js). The pages themselves run in
// tests/e2e/test_demo_pages.mjs.
//
// Run: node tests/unit-js/test_demo_logic.mjs (tests/run runs it too).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as say from '../../html/js/demo-messages.js';
import { StatsSampler, StatsHistory, qualityOf } from '../../html/js/demo-stats.js';
import { chatText } from '../../html/js/demo-chat.js';
import { initials } from '../../html/js/demo-tiles.js';
import { niceCeil } from '../../html/js/stats-graph.js';
import { ConveneError } from '../../html/js/convene.js';
import { tap, assert, equal, deepEqual, near } from './lib/tap.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..', '..');
const tsc = path.join(top, 'node_modules', '.bin', 'tsc');
const t = tap();

await t.case('tsc -p html/js/tsconfig.demo.json: the demo modules type-check against convene.d.ts', () => {
    if (!existsSync(tsc))
        throw new Error('typescript is not installed (run npm install)');
    const r = spawnSync(tsc, ['-p', path.join(top, 'html', 'js', 'tsconfig.demo.json')], { cwd: top, encoding: 'utf8', timeout: 120000 });
    if (r.error)
        throw r.error;
    if (r.status !== 0)
        throw new Error(`tsc exited ${r.status}:\n${r.stdout}${r.stderr}`);
}, { timeout: 130000 });

// --- messages -------------------------------------------------------------------------------

await t.case('describeError: every protocol error code has its own message', () => {
    const ctx = { roomId: 'limited', joining: true };
    const cases = [
        [503, 'room_full', 'room-full', /room “limited” is full/],
        [403, 'forbidden', 'forbidden', /not allowed .*“limited”.*token/],
        [401, 'unauthorized', 'unauthorized', /token is missing, invalid or expired/],
        [404, 'not_found', 'not-found', /no room “limited”/],
        [409, 'conflict', 'conflict', /Already in “limited”/],
        [429, 'rate_limited', 'rate-limited', /slow down/],
        [413, 'too_large', 'too-large', /too large/],
        [400, 'bad_request', 'bad-request', /rejected a request/],
        [500, 'internal', 'server-error', /internal error/],
    ];
    for (const [code, reason, key, re] of cases) {
        const n = say.describeError(new ConveneError(code, reason, reason), ctx);
        equal(n.key, key, `key for ${code}`);
        assert(re.test(n.text), `text for ${code}: ${n.text}`);
        assert(!n.text.includes(String(code)), `no bare code in: ${n.text}`);
    }
    equal(say.describeError({ code: 503, reason: 'room_full' }).kind, 'error', 'a refused join is an error');
    equal(say.describeError({ code: 429, reason: 'rate_limited' }).sticky, false, 'rate limit: transient');
});

await t.case('describeError: the server\'s sentence is added when it says more than the reason', () => {
    const n = say.describeError(new ConveneError(403, 'forbidden', 'the token is for another room.'), { roomId: 'r' });
    assert(n.text.includes('(server: the token is for another room)'), n.text);
    const m = say.describeError(new ConveneError(403, 'forbidden', 'forbidden'), { roomId: 'r' });
    assert(!m.text.includes('server:'), m.text);
});

await t.case('describeError: local failures — unreachable at join, disconnected during a call, anything else', () => {
    const a = say.describeError(new ConveneError(0, 'closed', 'connection closed (1006)'), { joining: true, url: 'ws://h/ws/webrtc' });
    equal(a.key, 'unreachable', 'key');
    assert(a.text.includes('ws://h/ws/webrtc'), a.text);
    const b = say.describeError(new ConveneError(0, 'closed', 'signaling closed (1006)'), {});
    equal(b.key, 'disconnected', 'key');
    equal(b.kind, 'error', 'kind');
    equal(say.describeError(new ConveneError(0, 'timeout', 'x'), { joining: true }).key, 'unreachable', 'timeout at join');
    const c = say.describeError(new Error('boom'), {});
    equal(c.key, 'error', 'key');
    equal(c.kind, 'warning', 'an error during the call does not end it');
    assert(c.text.includes('boom'), c.text);
});

await t.case('kicked, room-closed, reconnecting, media state', () => {
    assert(/another tab or device/.test(say.describeKicked('replaced').text), 'replaced');
    assert(/moderator removed you.*\(spam\)/.test(say.describeKicked('spam').text), 'kicked with a reason');
    assert(/room was closed \(maintenance\)/.test(say.describeRoomClosed('maintenance').text), 'room closed');
    const r0 = say.describeReconnecting();
    equal(r0.key, 'reconnecting', 'key');
    assert(r0.sticky && /reconnecting…$/.test(r0.text), r0.text);
    assert(/attempt 3/.test(say.describeReconnecting({ attempt: 2, delayMs: 2000 }).text), 'attempt number');
    equal(say.describeReconnected().key, 'reconnected', 'reconnected');
    equal(say.describeReconnected().sticky, false, 'reconnected goes away');
    equal(say.describeMediaState('disconnected')?.key, 'media-interrupted', 'disconnected');
    equal(say.describeMediaState('failed')?.key, 'media-interrupted', 'failed');
    equal(say.describeMediaState('connected')?.key, 'media-restored', 'connected');
    equal(say.describeMediaState('connecting'), null, 'connecting: nothing to say');
});

await t.case('camera and screen errors by DOMException name', () => {
    const e = (name) => Object.assign(new Error(name), { name });
    equal(say.describeMediaError(e('NotAllowedError'), 'camera').key, 'camera-denied', 'denied');
    equal(say.describeMediaError(e('NotFoundError'), 'camera').key, 'camera-missing', 'missing');
    equal(say.describeMediaError(e('NotReadableError'), 'camera').key, 'camera-busy', 'busy');
    equal(say.describeMediaError(e('Weird'), 'camera').key, 'camera-failed', 'other');
    assert(/without sending/.test(say.describeMediaError(e('NotFoundError'), 'camera').text), 'says it joined receive-only');
    equal(say.describeMediaError(e('NotAllowedError'), 'screen').key, 'screen-cancelled', 'screen cancelled');
    equal(say.describeMediaError(e('NotReadableError'), 'screen').key, 'screen-failed', 'screen failed');
});

await t.case('describeQualityWarning: whose link, which way, the value in its unit', () => {
    const names = (id) => ({ bob: 'Bob' }[id] || id);
    const a = say.describeQualityWarning({ userId: 'me', data: { type: 'packet_loss', value: 0.12, severity: 'critical', direction: 'uplink' } }, 'me', names);
    equal(a.text, 'Poor connection: Your sending has high packet loss 12.0 %.', 'own uplink');
    const b = say.describeQualityWarning({ userId: 'bob', data: { type: 'jitter', value: 45.4, severity: 'warning', direction: 'downlink' } }, 'me', names);
    equal(b.text, 'Unstable connection: Bob’s receiving has high jitter 45 ms.', 'someone else, downlink');
    const c = say.describeQualityWarning({ userId: 'me', data: { type: 'packet_loss', value: 7, severity: 'warning' } }, 'me', names);
    assert(c.text.includes('7.0 %'), `a percent value stays a percent: ${c.text}`);
    const d = say.describeQualityWarning({ data: { type: 'bitrate', value: 64000, severity: 'warning', direction: 'uplink' } }, 'me', names);
    assert(d.text.includes('64 kbps'), d.text);
});

// --- stats ------------------------------------------------------------------------------------

function track(o) {
    return {
        kind: 'video', direction: 'inbound', mid: '0', userId: null, ssrc: 1, rid: null, codec: 'VP8',
        bitrateBps: 0, bytes: 0, packets: 0, packetsLost: 0, lossRate: 0, jitterMs: 0, rttMs: null,
        framesPerSecond: null, framesDecoded: null, framesEncoded: null, frameWidth: null, frameHeight: null, ...o,
    };
}
function summary(timestamp, inbound, outbound = [], rttMs = null) {
    return { timestamp, connectionState: 'connected', rttMs, availableOutgoingBitrate: null, inbound, outbound };
}

await t.case('StatsSampler (SFU): per publisher, rates from its own previous reading; ourselves from outbound', () => {
    const s = new StatsSampler();
    const first = s.sample({ sfu: summary(1000, [
        track({ kind: 'audio', ssrc: 11, userId: 'bob', bytes: 1000, packets: 50, jitterMs: 3 }),
        track({ kind: 'video', ssrc: 12, userId: 'bob', bytes: 50000, packets: 100, jitterMs: 25, frameWidth: 640, frameHeight: 360, framesPerSecond: 30 }),
        track({ kind: 'video', ssrc: 13, userId: null, bytes: 999, packets: 9 }),     // an m-line nobody is forwarded on
    ], [
        track({ direction: 'outbound', ssrc: 21, rid: 'h', bytes: 100000, packets: 200, lossRate: 0.01, rttMs: 12 }),
        track({ direction: 'outbound', ssrc: 22, rid: 'l', bytes: 10000, packets: 40, lossRate: 0.03, rttMs: 12 }),
    ], 4) }, 'me');
    deepEqual([...first.keys()].sort(), ['bob', 'me'], 'participants');
    equal(first.get('bob').bitrateBps, 0, 'no rate before a second reading');
    const second = s.sample({ sfu: summary(2000, [
        track({ kind: 'audio', ssrc: 11, userId: 'bob', bytes: 7000, packets: 100, packetsLost: 0, jitterMs: 3 }),
        track({ kind: 'video', ssrc: 12, userId: 'bob', bytes: 175000, packets: 190, packetsLost: 10, jitterMs: 25, frameWidth: 640, frameHeight: 360, framesPerSecond: 30 }),
    ], [
        track({ direction: 'outbound', ssrc: 21, rid: 'h', bytes: 225000, packets: 400, lossRate: 0.01, rttMs: 12 }),
        track({ direction: 'outbound', ssrc: 22, rid: 'l', bytes: 35000, packets: 80, lossRate: 0.03, rttMs: 12 }),
    ], 4) }, 'me');
    const bob = second.get('bob');
    equal(bob.bitrateBps, (6000 + 125000) * 8, 'audio + video over 1 s');
    near(bob.lossRate, 10 / 100, 1e-9, 'video loss over the interval: 10 lost of 90 + 10');
    equal(bob.jitterMs, 3, 'jitter of the audio stream');
    equal(bob.rttMs, 4, 'no stream RTT: the connection\'s');
    equal(bob.resolution, '640×360', 'resolution');
    equal(bob.framesPerSecond, 30, 'fps');
    const me = second.get('me');
    equal(me.bitrateBps, (125000 + 25000) * 8, 'simulcast layers add up');
    equal(me.lossRate, 0.03, 'outbound loss: the worst layer\'s fractionLost');
    equal(me.rttMs, 12, 'the streams\' own RTT');
});

await t.case('StatsSampler (mesh): a connection carries one participant; the same cached report gives no rate', () => {
    const s = new StatsSampler();
    const mk = (ts, bytes) => ({ ann: summary(ts, [track({ kind: 'video', ssrc: 5, bytes, packets: bytes / 1000 })], [], 20) });
    s.sample(mk(1000, 10000), 'me');
    const same = s.sample(mk(1000, 10000), 'me');
    equal(same.get('ann').bitrateBps, 0, 'no time passed');
    const next = s.sample(mk(1500, 60000), 'me');
    equal(next.get('ann').bitrateBps, 800000, 'over the 500 ms since the first reading');
    equal(next.get('ann').jitterMs, 0, 'video jitter when there is no audio');
    equal(next.get('ann').rttMs, 20, 'the connection RTT');
    equal(s.sample({ sfu: summary(1, [track({ userId: 'me', packets: 3 })]) }, 'me').size, 0, 'our own stream echoed back is not a participant');
});

await t.case('StatsSampler: the resolution shown is the largest flowing layer, not the busiest', () => {
    const s = new StatsSampler();
    const mk = (ts, k) => ({ sfu: summary(ts, [], [
        track({ direction: 'outbound', ssrc: 1, rid: 'h', bytes: 1000 + k * 10000, packets: 10 + k, frameWidth: 640, frameHeight: 360 }),
        track({ direction: 'outbound', ssrc: 2, rid: 'm', bytes: 1000 + k * 50000, packets: 10 + k, frameWidth: 320, frameHeight: 180 }),
        track({ direction: 'outbound', ssrc: 3, rid: 'l', bytes: 1000, packets: 10, frameWidth: 1280, frameHeight: 720 }),   // not flowing
    ]) });
    s.sample(mk(1000, 0), 'me');
    equal(s.sample(mk(2000, 1), 'me').get('me').resolution, '640×360', 'layer h');
});

await t.case('qualityOf: classifyQuality on a Sample', () => {
    const base = { bitrateBps: 1, lossRate: 0, jitterMs: 5, rttMs: 20, framesPerSecond: null, resolution: null, codec: null };
    equal(qualityOf(base).quality, 'good', 'good');
    equal(qualityOf({ ...base, lossRate: 0.03 }).quality, 'degraded', '3 % loss');
    equal(qualityOf({ ...base, jitterMs: 120 }).quality, 'poor', '120 ms jitter');
    equal(qualityOf({ ...base, rttMs: null }).quality, 'good', 'unknown RTT');
});

await t.case('StatsHistory: the window, series per metric, latest, forget', () => {
    const h = new StatsHistory(10000);
    const sample = (v, rtt) => new Map([['bob', { bitrateBps: v, lossRate: 0, jitterMs: 1, rttMs: rtt, framesPerSecond: null, resolution: null, codec: null }]]);
    h.add(0, sample(1, 5));
    h.add(5000, sample(2, null));
    h.add(12000, sample(3, 7));
    deepEqual(h.series('bob', 'bitrateBps'), [{ t: 5000, v: 2 }, { t: 12000, v: 3 }], 'older than 10 s dropped');
    deepEqual(h.series('bob', 'rttMs'), [{ t: 12000, v: 7 }], 'missing values skipped');
    equal(h.latest('bob').bitrateBps, 3, 'latest');
    deepEqual(h.users(), ['bob'], 'users');
    h.add(30000, new Map());
    deepEqual(h.users(), [], 'a participant with nothing in the window is gone');
    h.add(31000, sample(4, 1));
    h.forget('bob');
    equal(h.latest('bob'), null, 'forgotten');
});

// --- chat, tiles, graphs ------------------------------------------------------------------------

await t.case('chatText: only {type: "chat", text} payloads, trimmed, at most 1000 characters', () => {
    equal(chatText({ type: 'chat', text: '  hi  ' }), 'hi', 'trimmed');
    equal(chatText({ type: 'chat', text: '   ' }), null, 'blank');
    equal(chatText({ type: 'screen', on: true }), null, 'another payload');
    equal(chatText('hi'), null, 'a bare string');
    equal(chatText(null), null, 'null');
    equal(chatText({ type: 'chat', text: 'x'.repeat(5000) }).length, 1000, 'cut');
});

await t.case('initials and the graphs\' nice scale', () => {
    equal(initials('Ann Lee'), 'AL', 'two words');
    equal(initials('ben'), 'B', 'one word');
    equal(initials('jean-luc picard'), 'JL', 'separators');
    equal(initials('  '), '?', 'blank');
    equal(initials('Émile'), 'É', 'accented');
    deepEqual([0.03, 0.05, 7, 10, 11, 260, 999, 1001].map(niceCeil), [0.05, 0.05, 10, 10, 20, 500, 1000, 2000], 'niceCeil');
    equal(niceCeil(0), 1, 'zero');
});

t.done();
