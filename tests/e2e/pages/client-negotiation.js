// client-negotiation.js — perfect negotiation of the client library's
// PeerEngine (html/js/convene.js) against a scripted peer in the same page,
// for tests/e2e/test_client_negotiation.mjs. No Convene server involved:
// the two connect over the page's own network (host candidates).
//
// window.loadConvene()        imports /js/convene.js (served by the server
//                             from html/) as window.Convene
// window.makePair(opts)  ->   pair
//   opts.enginePolite         the PeerEngine's role (default true: polite,
//                             like the client towards the SFU)
//   opts.delay                one-way delay of the fake signaling channel, ms
//   pair.engine               the PeerEngine under test
//   pair.peer                 the scripted peer: a raw RTCPeerConnection with
//                             the textbook perfect negotiation, with the
//                             opposite role (impolite by default: ignores
//                             colliding offers, like the server)
//   pair.errors               exceptions on either side ("where: message")
//   pair.log                  [{t, from, type}] every signaling message
//   pair.candidatesWhileIgnoring   candidates the engine got while it was
//                             ignoring an offer: {threw: did the engine's
//                             addIceCandidate throw, rawThrew: would the bare
//                             RTCPeerConnection have thrown}
//   pair.engineStart(opts) / pair.peerStart(opts)   local media (fake camera)
//                             on sendonly transceivers, a data channel
//   pair.stable()             both sides stable, nobody making an offer
//   pair.settled()            stable and every transceiver's currentDirection
//                             is what its direction asks for
//   pair.frames()             {engine, peer}: video framesDecoded on each side
//   pair.dataRoundTrip(text)  engine -> peer -> engine over the data channel
//   pair.interceptNextOffer() the engine's next setLocalDescription() for an
//                             offer delivers the peer's pending offer while
//                             the engine is still making its own
(function () {
    'use strict';

    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

    window.loadConvene = async () => {
        window.Convene = await import('/js/convene.js');
        return Object.keys(window.Convene).sort();
    };

    // The opposite side: the textbook perfect negotiation on a bare
    // RTCPeerConnection (W3C webrtc-pc, "Perfect negotiation example").
    function scriptedPeer(polite, send, errors) {
        const pc = new RTCPeerConnection({ iceServers: [] });
        const s = { pc, polite, makingOffer: false, ignoreOffer: false, isSettingRemoteAnswerPending: false,
            ignored: 0, rollbacks: 0, offers: 0, channel: null, echoes: 0 };
        pc.onnegotiationneeded = async () => {
            try {
                s.makingOffer = true;
                await pc.setLocalDescription();
                if (pc.signalingState !== 'have-local-offer')
                    return;
                s.offers++;
                send({ type: 'offer', data: pc.localDescription.toJSON() });
            } catch (e) {
                errors.push(`peer offer: ${e.message}`);
            } finally {
                s.makingOffer = false;
            }
        };
        pc.onicecandidate = ({ candidate }) => send({ type: 'ice-candidate', data: candidate ? candidate.toJSON() : null });
        pc.ondatachannel = ({ channel }) => {
            s.channel = channel;
            channel.onmessage = (m) => { s.echoes++; channel.send('echo:' + m.data); };
        };
        s.receive = async (msg) => {
            if (msg.type === 'offer' || msg.type === 'answer') {
                const ready = !s.makingOffer && (pc.signalingState === 'stable' || s.isSettingRemoteAnswerPending);
                const collision = msg.type === 'offer' && !ready;
                s.ignoreOffer = !polite && collision;
                if (s.ignoreOffer) {
                    s.ignored++;
                    return;
                }
                if (collision)
                    s.rollbacks++;
                s.isSettingRemoteAnswerPending = msg.type === 'answer';
                try {
                    await pc.setRemoteDescription(msg.data);
                } finally {
                    s.isSettingRemoteAnswerPending = false;
                }
                if (msg.type === 'offer') {
                    await pc.setLocalDescription();
                    send({ type: 'answer', data: pc.localDescription.toJSON() });
                }
            } else if (msg.type === 'ice-candidate') {
                try {
                    if (msg.data)
                        await pc.addIceCandidate(msg.data);
                    else
                        await pc.addIceCandidate();
                } catch (e) {
                    if (!s.ignoreOffer)
                        throw e;
                }
            }
        };
        return s;
    }

    // A one-way fake channel: in order, after `delay` ms, each message handled
    // after the previous one finished (like RoomEngine's per-peer queue).
    function channel(delay, name, handler, errors, log, t0) {
        let queue = Promise.resolve();
        return (msg) => {
            const copy = JSON.parse(JSON.stringify(msg));
            log.push({ t: Math.round(performance.now() - t0), from: name, type: copy.type });
            setTimeout(() => {
                queue = queue.then(() => handler(copy)).catch((e) => errors.push(`${name} -> : ${copy.type}: ${e.message}`));
            }, delay);
        };
    }

    window.makePair = (opts = {}) => {
        const { PeerEngine } = window.Convene;
        const enginePolite = opts.enginePolite !== false;
        const delay = opts.delay ?? 10;
        const errors = [], log = [], t0 = performance.now();
        const pair = { errors, log, candidatesWhileIgnoring: [], intercept: null, engineChannel: null, engineEchoes: [] };
        const engine = new PeerEngine('peer', { iceServers: [] }, enginePolite, { iceRestartAfterMs: 1000 });
        pair.engine = engine;
        let toPeer = null;
        // engine -> peer
        const toEngine = channel(delay, 'peer', async (msg) => {
            if (msg.type === 'offer') {
                const answer = await engine.handleOffer(msg.data);
                if (answer)
                    toPeer({ type: 'answer', data: answer });
            } else if (msg.type === 'answer') {
                await engine.handleAnswer(msg.data);
            } else if (msg.type === 'ice-candidate') {
                if (engine.ignoreOffer && msg.data) {
                    const rec = { threw: false, rawThrew: null };
                    pair.candidatesWhileIgnoring.push(rec);
                    try {
                        await engine.addIceCandidate(msg.data);
                    } catch (e) {
                        rec.threw = e.message;
                    }
                    // What the bare connection would have said
                    try {
                        await engine.pc.addIceCandidate(msg.data);
                        rec.rawThrew = false;
                    } catch (e) {
                        rec.rawThrew = e.message;
                    }
                    return;
                }
                await engine.addIceCandidate(msg.data);
            }
        }, errors, log, t0);
        const peer = scriptedPeer(!enginePolite, (m) => toEngine(m), errors);
        pair.peer = peer;
        toPeer = channel(delay, 'engine', (msg) => peer.receive(msg), errors, log, t0);
        engine.on('signal', (s) => toPeer(s));
        engine.on('error', (e) => errors.push(`engine: ${e.message}`));
        engine.initialize();

        // The engine's offers can be intercepted: the peer's next offer is
        // handed to the engine right after its setLocalDescription() started.
        const pc = engine.pc;
        const sld = pc.setLocalDescription.bind(pc);
        pc.setLocalDescription = (desc) => {
            const p = sld(desc);
            if (!desc && pair.intercept && engine.makingOffer) {
                const fn = pair.intercept;
                pair.intercept = null;
                fn();
            }
            return p;
        };

        pair.engineStart = async ({ simulcast = false, data = true } = {}) => {
            const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 180 } });
            pair.engineStream = stream;
            await engine.addStream(stream, { simulcast });
            if (data) {
                const ch = engine.createDataChannel('chat');
                pair.engineChannel = ch;
                ch.onmessage = (m) => pair.engineEchoes.push(m.data);
            }
        };
        pair.peerStart = async () => {
            const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 180 } });
            pair.peerStream = stream;
            peer.tx = peer.pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
        };
        pair.stable = () => pc.signalingState === 'stable' && peer.pc.signalingState === 'stable' &&
            !engine.makingOffer && !peer.makingOffer;
        const want = (t) => {
            if (t.direction === 'stopped')
                return true;
            return t.currentDirection === t.direction ||
                // what the other side answered may narrow it
                (t.direction === 'sendrecv' && t.currentDirection !== null) ||
                (t.direction === 'recvonly' && t.currentDirection === 'inactive');
        };
        pair.settled = () => pair.stable() && pc.getTransceivers().every(want) && peer.pc.getTransceivers().every(want);
        pair.states = () => ({
            engine: { signaling: pc.signalingState, connection: pc.connectionState, makingOffer: engine.makingOffer,
                tx: pc.getTransceivers().map((t) => `${t.mid}:${t.direction}/${t.currentDirection}`).join(' ') },
            peer: { signaling: peer.pc.signalingState, connection: peer.pc.connectionState, makingOffer: peer.makingOffer,
                tx: peer.pc.getTransceivers().map((t) => `${t.mid}:${t.direction}/${t.currentDirection}`).join(' ') },
            counts: { engine: engine.negotiation, peer: { offers: peer.offers, ignored: peer.ignored, rollbacks: peer.rollbacks } },
        });
        const decoded = async (c) => {
            let n = 0;
            (await c.getStats()).forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'video')
                    n += s.framesDecoded || 0;
            });
            return n;
        };
        pair.frames = async () => ({ engine: await decoded(pc), peer: await decoded(peer.pc) });
        pair.dataRoundTrip = async (text, timeout = 5000) => {
            const end = performance.now() + timeout;
            while (!pair.engineChannel || pair.engineChannel.readyState !== 'open') {
                if (performance.now() > end)
                    throw new Error(`data channel not open (${pair.engineChannel && pair.engineChannel.readyState})`);
                await sleep(20);
            }
            pair.engineChannel.send(text);
            while (!pair.engineEchoes.includes('echo:' + text)) {
                if (performance.now() > end)
                    throw new Error(`no echo of ${text}; got ${JSON.stringify(pair.engineEchoes)}`);
                await sleep(20);
            }
            return true;
        };
        pair.waitSettled = async (timeout = 10000) => {
            const end = performance.now() + timeout;
            // settled, and still settled a moment later (no offer on its way)
            for (;;) {
                if (pair.settled()) {
                    await sleep(delay * 3 + 30);
                    if (pair.settled())
                        return true;
                }
                if (performance.now() > end)
                    throw new Error(`not settled after ${timeout} ms: ${JSON.stringify(pair.states())}; errors: ${JSON.stringify(errors)}`);
                await sleep(10);
            }
        };
        pair.close = () => {
            engine.close();
            peer.pc.close();
            for (const s of [pair.engineStream, pair.peerStream])
                if (s)
                    s.getTracks().forEach((t) => t.stop());
        };
        window.pair = pair;
        return true;
    };
})();
