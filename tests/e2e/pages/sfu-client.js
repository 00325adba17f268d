// sfu-client.js — a minimal SFU client for the e2e tests: one
// RTCPeerConnection with the server, perfect negotiation as the polite
// side (docs/negotiation.md), local tracks sent with sendonly transceivers,
// a data channel, remote tracks recorded by stream id (= publisher user id).
//
// window.SfuClient(opts) -> client
//   opts: {wsUrl, roomId, userId, token, audio, video, data, forceGlare}
//   client.start()            getUserMedia, connect, join, publish
//   client.remote             Map streamId -> MediaStream
//   client.tracksByMid        the server's mid -> {userId, kind, trackId} map
//   client.dataReceived       [{userId, data, ...}] from the data channel
//   client.sendData(obj)      send on the data channel
//   client.frames             every signaling frame (dir, type, t)
//   client.forceGlare = n     the next n server offers are crossed with an
//                             offer of ours (we toggle our video direction)
//   client.rollbacks          server offers that found us with an offer out
//   client.offersFromServer   server offers received
//
// Test helpers (added for tests/e2e/test_sfu_browser.mjs):
//   opts.audio === false && opts.video === false: receive-only (no
//                             getUserMedia; join says publish {audio:false,
//                             video:false}, so the server offers first)
//   opts.width/height/fps     the camera constraints (default 640x360)
//   client.tJoinSent          performance.now() when `join` was sent
//   client.trackLog           [{t, event, streamId, kind, trackId, mid}]:
//                             track / mute / unmute / ended / removetrack
//   client.tracksByMid        replaced by every server offer's `tracks`
//                             (so a track that left is no longer listed)
//   client.serverOffers       [{t, tracks, sdp}] every server offer
//   client.inbound()          per-remote-track inbound-rtp stats joined
//                             with the mid -> user map and the track's stream
//   client.framesByUser()     {streamId: framesDecoded} of the video tracks
//                             now in each remote stream
//   client.startSampler(ms) / stopSampler()
//                             samples framesByUser() every ms, in the page
//                             ({t: Date.now(), frames}); stop returns them
//   client.firstFrame(ms)     polls until some video frame is decoded;
//                             returns ms since `join` was sent
//   client.stable()           signalingState stable and not making an offer
//   client.leave()            sends `leave`, waits for `left`, closes all
(function () {
    'use strict';

    function SfuClient(opts) {
        const c = {
            remote: new Map(), tracksByMid: new Map(), dataReceived: [], frames: [], errors: [],
            pc: null, ws: null, dc: null, forceGlare: opts.forceGlare || 0,
            makingOffer: false, ignoreOffer: false, joined: null, offersFromServer: 0,
            answersToServer: 0, rollbacks: 0, trackLog: [], serverOffers: [], tJoinSent: null,
            left: false,
        };
        const t0 = performance.now();
        const log = (dir, msg) => c.frames.push({ dir, type: msg.type, t: Math.round(performance.now() - t0), msg });
        const send = (msg) => { log('out', msg); c.ws.send(JSON.stringify(msg)); };

        c.sendData = (obj) => c.dc.send(JSON.stringify(obj));
        c.sendFrame = (msg) => send(msg);

        async function onServerDescription(desc) {
            const pc = c.pc;
            if (desc.type === 'offer') {
                c.offersFromServer++;
                if (c.forceGlare > 0) {
                    // Cross the server's offer with one of ours, on purpose
                    c.forceGlare--;
                    const v = pc.getTransceivers().find((t) => t.sender.track && t.sender.track.kind === 'video');
                    if (v)
                        v.direction = v.direction === 'sendonly' ? 'inactive' : 'sendonly';
                    c.makingOffer = true;
                    try {
                        await pc.setLocalDescription();
                        send({ type: 'offer', data: pc.localDescription.toJSON() });
                    } finally {
                        c.makingOffer = false;
                    }
                }
            }
            const collision = desc.type === 'offer' && (c.makingOffer || pc.signalingState !== 'stable');
            if (collision)
                c.rollbacks++;
            // Polite: roll back our offer, take the server's
            await pc.setRemoteDescription(desc);
            if (desc.type === 'offer') {
                await pc.setLocalDescription();
                c.answersToServer++;
                send({ type: 'answer', data: pc.localDescription.toJSON() });
            }
        }

        const receiveOnly = opts.audio === false && opts.video === false;
        const tlog = (event, streamId, track, mid) => c.trackLog.push({
            t: Math.round(performance.now() - t0), event, streamId, kind: track.kind, trackId: track.id, mid });

        c.start = async () => {
            const video = { width: opts.width || 640, height: opts.height || 360 };
            if (opts.fps)
                video.frameRate = opts.fps;
            const stream = receiveOnly ? new MediaStream() : await navigator.mediaDevices.getUserMedia({
                audio: opts.audio !== false, video: opts.video !== false ? video : false });
            c.local = stream;
            const url = opts.wsUrl + (opts.token ? `?token=${encodeURIComponent(opts.token)}` : '');
            c.ws = new WebSocket(url);
            await new Promise((res, rej) => { c.ws.onopen = res; c.ws.onerror = rej; });
            const joined = new Promise((res) => { c._joined = res; });
            c.ws.onmessage = async (e) => {
                const msg = JSON.parse(e.data);
                log('in', msg);
                try {
                    if (msg.type === 'joined') {
                        c.joined = msg;
                        c._joined(msg);
                    } else if (msg.type === 'offer' || msg.type === 'answer') {
                        if (msg.type === 'offer' && Array.isArray(msg.tracks)) {
                            // The server lists every forwarded track: what is
                            // not listed any more is gone.
                            c.tracksByMid.clear();
                            c.serverOffers.push({ t: Math.round(performance.now() - t0), tracks: msg.tracks,
                                sdp: msg.data && msg.data.sdp });
                        }
                        for (const tr of msg.tracks || [])
                            c.tracksByMid.set(tr.mid, tr);
                        await onServerDescription(msg.data);
                    } else if (msg.type === 'ice-candidate' && msg.data) {
                        await c.pc.addIceCandidate(msg.data);
                    } else if (msg.type === 'error') {
                        c.errors.push(msg);
                    } else if (msg.type === 'left') {
                        c.left = true;
                        if (c._left)
                            c._left(msg);
                    }
                } catch (err) {
                    c.errors.push({ type: 'exception', message: String(err) });
                }
            };
            const joinData = { displayName: opts.userId };
            if (receiveOnly)
                joinData.publish = { audio: false, video: false };
            c.tJoinSent = performance.now();
            send({ type: 'join', roomId: opts.roomId, userId: opts.userId, data: joinData });
            const j = await joined;
            const pc = new RTCPeerConnection({ iceServers: j.data.iceServers || [] });
            c.pc = pc;
            pc.onicecandidate = ({ candidate }) => send({ type: 'ice-candidate', data: candidate ? candidate.toJSON() : null });
            pc.ontrack = (ev) => {
                const s = ev.streams[0];
                if (s)
                    c.remote.set(s.id, s);
                const sid = s ? s.id : null, tr = ev.track, mid = ev.transceiver && ev.transceiver.mid;
                tlog('track', sid, tr, mid);
                tr.addEventListener('mute', () => tlog('mute', sid, tr, mid));
                tr.addEventListener('unmute', () => tlog('unmute', sid, tr, mid));
                tr.addEventListener('ended', () => tlog('ended', sid, tr, mid));
                if (s && !s.__watched) {
                    s.__watched = true;
                    s.addEventListener('removetrack', (e) => tlog('removetrack', s.id, e.track, null));
                }
            };
            pc.onnegotiationneeded = async () => {
                try {
                    c.makingOffer = true;
                    await pc.setLocalDescription();
                    send({ type: 'offer', data: pc.localDescription.toJSON() });
                } catch (err) {
                    c.errors.push({ type: 'exception', message: String(err) });
                } finally {
                    c.makingOffer = false;
                }
            };
            if (opts.data !== false) {
                c.dc = pc.createDataChannel('chat');
                pc.ondatachannel = (ev) => { ev.channel.onmessage = (m) => c.dataReceived.push(JSON.parse(m.data)); };
                c.dc.onmessage = (m) => c.dataReceived.push(JSON.parse(m.data));
            }
            for (const track of stream.getTracks()) {
                const init = { direction: 'sendonly', streams: [stream] };
                // opts.simulcast: video as three layers h/m/l
                if (track.kind === 'video' && opts.simulcast)
                    init.sendEncodings = [
                        { rid: 'h', maxBitrate: 900000 },
                        { rid: 'm', maxBitrate: 300000, scaleResolutionDownBy: 2 },
                        { rid: 'l', maxBitrate: 100000, scaleResolutionDownBy: 4 },
                    ];
                const tx = pc.addTransceiver(track, init);
                // opts.videoCodec ('VP9', 'H264', ...): offer only that codec (and rtx)
                if (track.kind === 'video' && opts.videoCodec) {
                    const want = 'video/' + opts.videoCodec.toLowerCase();
                    const codecs = RTCRtpSender.getCapabilities('video').codecs
                        .filter((k) => k.mimeType.toLowerCase() === want || k.mimeType.toLowerCase() === 'video/rtx');
                    tx.setCodecPreferences(codecs);
                }
            }
            return c;
        };

        // Per remote track: inbound-rtp joined with the transceiver (mid),
        // the server's mid -> user map and the stream the track arrived in.
        c.inbound = async () => {
            const pc = c.pc;
            if (!pc)
                return [];
            const byTrack = new Map();
            for (const t of pc.getTransceivers()) {
                if (t.receiver && t.receiver.track)
                    byTrack.set(t.receiver.track.id, t);
            }
            const streamOf = new Map();
            for (const [id, s] of c.remote)
                for (const tr of s.getTracks())
                    streamOf.set(tr.id, id);
            const report = await pc.getStats();
            const out = [];
            report.forEach((s) => {
                if (s.type !== 'inbound-rtp')
                    return;
                const tx = byTrack.get(s.trackIdentifier);
                const mid = s.mid ?? (tx ? tx.mid : null);
                const server = mid != null ? c.tracksByMid.get(mid) : undefined;
                out.push({
                    kind: s.kind, mid, trackId: s.trackIdentifier,
                    streamId: streamOf.get(s.trackIdentifier) ?? null,
                    serverUserId: server ? server.userId : null,
                    packetsReceived: s.packetsReceived ?? 0, framesDecoded: s.framesDecoded ?? 0,
                    bytesReceived: s.bytesReceived ?? 0,
                    direction: tx ? tx.currentDirection : null,
                    trackState: tx ? tx.receiver.track.readyState : null,
                    muted: tx ? tx.receiver.track.muted : null,
                });
            });
            return out;
        };

        c.framesByUser = async () => {
            const out = {};
            for (const e of await c.inbound()) {
                if (e.kind === 'video' && e.streamId)
                    out[e.streamId] = (out[e.streamId] || 0) + e.framesDecoded;
            }
            return out;
        };

        c.startSampler = (ms = 150) => {
            c.samples = [];
            let busy = false;
            c._sampler = setInterval(async () => {
                if (busy)
                    return;
                busy = true;
                try {
                    const frames = await c.framesByUser();
                    c.samples.push({ t: Date.now(), frames });
                } finally {
                    busy = false;
                }
            }, ms);
        };
        c.stopSampler = () => {
            clearInterval(c._sampler);
            return c.samples;
        };

        c.firstFrame = async (timeout = 20000, every = 20) => {
            const end = performance.now() + timeout;
            while (performance.now() < end) {
                const f = await c.framesByUser();
                if (Object.values(f).some((n) => n >= 1))
                    return performance.now() - c.tJoinSent;
                await new Promise((r) => setTimeout(r, every));
            }
            return null;
        };

        c.stable = () => !!c.pc && c.pc.signalingState === 'stable' && !c.makingOffer;

        c.leave = async (timeout = 5000) => {
            const left = new Promise((res) => { c._left = res; });
            send({ type: 'leave', roomId: opts.roomId });
            const got = await Promise.race([left, new Promise((r) => setTimeout(() => r(null), timeout))]);
            if (c.pc)
                c.pc.close();
            c.ws.close();
            return got;
        };
        return c;
    }
    window.SfuClient = SfuClient;
})();
