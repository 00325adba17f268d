// test_peer_engine.mjs — PeerEngine logic that a real browser cannot be made
// to show on demand, against a fake RTCPeerConnection in Node:
//   - ICE restart when the connection fails, or stays 'disconnected' longer
//     than iceRestartAfterMs (and not when it recovers before)
//   - candidates that come before the remote description wait for it;
//     those of an offer the impolite side ignored are dropped without error
//   - a remote offer whose simulcast m-line lacks the RID header extensions
//     is repaired with our own ids (no-op when nothing is missing)
// The real negotiation (glare, rollback) runs in Chromium:
// tests/e2e/test_client_negotiation.mjs.
//
// Run: node tests/unit-js/test_peer_engine.mjs (tests/run runs it too).

import { PeerEngine } from '../../html/js/convene.js';
import { tap, assert, equal, deepEqual, rejects, sleep, waitFor } from './lib/tap.mjs';

const t = tap();

// A fake RTCPeerConnection: the JSEP signaling states, an operations
// chain, and hooks for the test. SDP is opaque text.
class FakePC {
    constructor(config) {
        this.config = config;
        this.signalingState = 'stable';
        this._cs = 'new';
        this.iceConnectionState = 'new';
        this.localDescription = null;
        this.currentLocalDescription = null;
        this.remoteDescription = null;
        this.applied = [];            // every description set, in order
        this.candidates = [];         // candidates added
        this.restarts = 0;
        this.closed = false;
        this.nextOfferSdp = 'v=0\r\nm=audio 9 X 0\r\na=mid:0\r\n';
        this.answerSdp = 'answer-sdp';
        this.rejectCandidates = false;
        this._chain = Promise.resolve();
        FakePC.last = this;
    }
    get connectionState() { return this._cs; }
    _op(fn) {
        const p = this._chain.then(() => new Promise((r) => setTimeout(r, 1))).then(fn);
        this._chain = p.catch(() => {});
        return p;
    }
    setConnectionState(state) {
        this._cs = state;
        this.onconnectionstatechange?.();
    }
    setLocalDescription(desc) {
        return this._op(() => {
            let d = desc;
            if (!d) {
                d = this.signalingState === 'have-remote-offer'
                    ? { type: 'answer', sdp: this.answerSdp } : { type: 'offer', sdp: this.nextOfferSdp };
            }
            if (d.type === 'rollback') {
                if (this.signalingState !== 'have-local-offer')
                    throw new Error('InvalidStateError: rollback in ' + this.signalingState);
                this.signalingState = 'stable';
                this.localDescription = this.currentLocalDescription;
                return;
            }
            this.applied.push(['local', d.type]);
            this.localDescription = { ...d, toJSON() { return { type: d.type, sdp: d.sdp }; } };
            if (d.type === 'offer') {
                this.signalingState = 'have-local-offer';
            } else {
                this.currentLocalDescription = this.localDescription;
                this.signalingState = 'stable';
            }
        });
    }
    setRemoteDescription(desc) {
        return this._op(() => {
            this.applied.push(['remote', desc.type, desc.sdp]);
            if (desc.type === 'offer') {
                if (this.signalingState === 'have-local-offer') {     // implicit rollback
                    this.applied.push(['rollback']);
                    this.localDescription = this.currentLocalDescription;
                }
                this.signalingState = 'have-remote-offer';
            } else {
                this.signalingState = 'stable';
                this.currentLocalDescription = this.localDescription;
            }
            this.remoteDescription = desc;
        });
    }
    addIceCandidate(c) {
        return this._op(() => {
            if (!this.remoteDescription)
                throw new Error('InvalidStateError: The remote description was null');
            if (this.rejectCandidates)
                throw new Error('OperationError: Error processing ICE candidate');
            this.candidates.push(c === undefined ? 'end' : c.candidate);
        });
    }
    restartIce() { this.restarts++; }
    getTransceivers() { return []; }
    close() { this.closed = true; this.signalingState = 'closed'; }
}
globalThis.RTCPeerConnection = FakePC;

function engine(polite = true, iceRestartAfterMs = 40) {
    const e = new PeerEngine('peer', { iceServers: [] }, polite, { iceRestartAfterMs });
    e._init();
    const rec = { restarts: 0, states: [], signals: [] };
    e.on('ice-restart', () => rec.restarts++);
    e.on('connectionstatechange', (s) => rec.states.push(s));
    e.on('signal', (s) => rec.signals.push(s));
    return { e, pc: FakePC.last, rec };
}

await t.case("ICE restart: at once when the connection fails", async () => {
    const { e, pc, rec } = engine();
    pc.setConnectionState('failed');
    equal(pc.restarts, 1, 'pc.restartIce() calls');
    equal(rec.restarts, 1, "'ice-restart' events");
    equal(e.negotiation.iceRestarts, 1, 'counter');
    deepEqual(rec.states, ['failed'], 'connectionstatechange events');
    e.close();
});

await t.case("ICE restart: after iceRestartAfterMs of 'disconnected', not before", async () => {
    const { e, pc, rec } = engine(true, 60);
    pc.setConnectionState('disconnected');
    await sleep(30);
    equal(pc.restarts, 0, 'not yet');
    await waitFor(() => pc.restarts === 1, { timeout: 500, what: 'a restart' });
    equal(rec.restarts, 1, "'ice-restart' events");
    await sleep(120);
    equal(pc.restarts, 1, 'only one restart for one disconnection');
    e.close();
});

await t.case("ICE restart: none when 'disconnected' recovers in time, nor after close()", async () => {
    const a = engine(true, 50);
    a.pc.setConnectionState('disconnected');
    await sleep(15);
    a.pc.setConnectionState('connected');
    await sleep(100);
    equal(a.pc.restarts, 0, 'recovered: no restart');
    a.e.close();
    const b = engine(true, 40);
    b.pc.setConnectionState('disconnected');
    b.e.close();
    await sleep(100);
    equal(b.pc.restarts, 0, 'closed: no restart');
    equal(b.pc.closed, true, 'pc closed');
    deepEqual(b.rec.states, ['disconnected', 'closed'], "'closed' reported");
});

await t.case('candidates before the remote description wait for it, then are applied in order', async () => {
    const { e, pc } = engine(true);
    await e.addIceCandidate({ candidate: 'c1', sdpMid: '0' });
    await e.addIceCandidate({ candidate: 'c2', sdpMid: '0' });
    await e.addIceCandidate(null);
    deepEqual(pc.candidates, [], 'nothing applied yet');
    const answer = await e.handleOffer({ type: 'offer', sdp: 'remote-offer' });
    deepEqual(answer, { type: 'answer', sdp: 'answer-sdp' }, 'answer');
    deepEqual(pc.candidates, ['c1', 'c2', 'end'], 'applied after the offer');
    await e.addIceCandidate({ candidate: 'c3', sdpMid: '0' });
    deepEqual(pc.candidates, ['c1', 'c2', 'end', 'c3'], 'then directly');
    // A failing candidate (not of an ignored offer) is an error for the caller
    pc.rejectCandidates = true;
    const err = await rejects(e.addIceCandidate({ candidate: 'bad', sdpMid: '0' }));
    assert(/Error processing/.test(err.message), `error: ${err.message}`);
    e.close();
});

await t.case('impolite: a colliding offer is ignored (null); its candidates are dropped without error', async () => {
    const { e, pc, rec } = engine(false);
    pc.onnegotiationneeded();                     // we start an offer
    await waitFor(() => rec.signals.some((s) => s.type === 'offer'), { what: 'our offer' });
    equal(pc.signalingState, 'have-local-offer', 'state');
    const r = await e.handleOffer({ type: 'offer', sdp: 'their-offer' });
    equal(r, null, 'ignored');
    equal(e.ignoreOffer, true, 'ignoreOffer');
    equal(e.negotiation.ignoredOffers, 1, 'counter');
    await e.addIceCandidate({ candidate: 'theirs-1', sdpMid: '0' });    // no remote description yet: dropped
    deepEqual(pc.candidates, [], 'not applied');
    await e.handleAnswer({ type: 'answer', sdp: 'their-answer' });
    equal(pc.signalingState, 'stable', 'stable after the answer');
    pc.rejectCandidates = true;
    await e.addIceCandidate({ candidate: 'theirs-2', sdpMid: '0' });    // still of the ignored offer: no throw
    pc.rejectCandidates = false;
    e.close();
});

await t.case('polite: a colliding offer rolls ours back and is answered; a stale answer is ignored', async () => {
    const { e, pc, rec } = engine(true);
    pc.onnegotiationneeded();
    const answer = await e.handleOffer({ type: 'offer', sdp: 'their-offer' });   // while making ours
    deepEqual(answer, { type: 'answer', sdp: 'answer-sdp' }, 'answered');
    equal(e.negotiation.rollbacks, 1, 'rollbacks');
    assert(pc.applied.some((a) => a[0] === 'rollback'), `a rollback: ${JSON.stringify(pc.applied)}`);
    equal(pc.signalingState, 'stable', 'stable');
    await sleep(20);
    // (the offer may or may not have gone out before the rollback: the
    // impolite side ignores it either way)
    void rec;
    await e.handleAnswer({ type: 'answer', sdp: 'late' });       // nothing outstanding
    equal(pc.applied.filter((a) => a[1] === 'answer' && a[0] === 'remote').length, 0, 'stale answer not applied');
    e.close();
});

const localSdp = [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid', 'a=sendonly',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:1', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
    'a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id', 'a=sendonly',
    'a=rid:h send', 'a=rid:m send', 'a=rid:l send', 'a=simulcast:send h;m;l', '',
].join('\r\n');
const serverOffer = (withRid) => [
    'v=0', 'o=- 5 6 IN IP4 10.0.0.1', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=recvonly', 'a=mid:0', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=recvonly', 'a=mid:1', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    ...(withRid ? ['a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id'] : []),
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=rid:h recv', 'a=rid:m recv', 'a=rid:l recv', 'a=simulcast:recv h;m;l',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=sendonly', 'a=mid:f1', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid', '',
].join('\r\n');

await t.case('a remote offer negotiating simulcast without the RID extensions is repaired with our ids', async () => {
    const { e, pc } = engine(true);
    pc.nextOfferSdp = localSdp;
    pc.answerSdp = localSdp;     // our answers carry the same extension ids as our offers
    pc.onnegotiationneeded();
    await waitFor(() => pc.signalingState === 'have-local-offer');
    await e.handleAnswer({ type: 'answer', sdp: 'server-answer' });
    await e.handleOffer({ type: 'offer', sdp: serverOffer(false) });
    const applied = pc.applied.filter((a) => a[0] === 'remote' && a[1] === 'offer').at(-1)[2];
    const video = applied.split('\r\n').slice(applied.split('\r\n').indexOf('a=mid:1') - 2);
    const sec = video.slice(0, video.indexOf('a=mid:f1'));
    assert(sec.includes('a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id'), `rid extmap added:\n${sec.join('\n')}`);
    assert(sec.includes('a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id'), 'repaired-rid extmap added');
    assert(sec.indexOf('a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id') < sec.indexOf('a=rid:h recv'), 'before the rid lines');
    equal(applied.split('\r\n').filter((l) => l.includes('rtp-stream-id')).length, 2, 'nowhere else (audio, f1 untouched)');
    assert(applied.endsWith('\r\n') && !applied.includes('\n\n') && !/[^\r]\n/.test(applied), 'CRLF line ends kept');
    equal(e.negotiation.sdpRepairs, 1, 'sdpRepairs');
    // A correct offer (rid extension there) is left exactly as it was; only the missing one is added
    await e.handleOffer({ type: 'offer', sdp: serverOffer(true) });
    const second = pc.applied.filter((a) => a[0] === 'remote' && a[1] === 'offer').at(-1)[2];
    equal(second.split('\r\n').filter((l) => l.includes('sdes:rtp-stream-id')).length, 1, 'rtp-stream-id not duplicated');
    assert(second.includes('a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id'), 'missing repaired-rid added');
    const untouched = serverOffer(true).replace('a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
        'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\na=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id');
    assert(second.split('\r\n').sort().join() === untouched.split('\r\n').sort().join(), 'nothing else changed');
    // No simulcast at all: byte for byte the same
    const plain = 'v=0\r\nm=video 9 X 96\r\na=mid:1\r\n';
    await e.handleOffer({ type: 'offer', sdp: plain });
    equal(pc.applied.filter((a) => a[0] === 'remote' && a[1] === 'offer').at(-1)[2], plain, 'plain offer unchanged');
    equal(e.negotiation.sdpRepairs, 2, 'sdpRepairs');
    e.close();
});

await t.case('close(): further use rejects with ConveneError "closed"', async () => {
    const { e } = engine(true);
    e.close();
    const err = await rejects(e.handleOffer({ type: 'offer', sdp: 'x' }));
    equal(err.reason, 'closed', 'reason');
    equal(err.code, 0, 'code');
});

t.done();
