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
(function () {
    'use strict';

    function SfuClient(opts) {
        const c = {
            remote: new Map(), tracksByMid: new Map(), dataReceived: [], frames: [], errors: [],
            pc: null, ws: null, dc: null, forceGlare: opts.forceGlare || 0,
            makingOffer: false, ignoreOffer: false, joined: null, offersFromServer: 0,
            answersToServer: 0, rollbacks: 0,
        };
        const t0 = performance.now();
        const log = (dir, msg) => c.frames.push({ dir, type: msg.type, t: Math.round(performance.now() - t0), msg });
        const send = (msg) => { log('out', msg); c.ws.send(JSON.stringify(msg)); };

        c.sendData = (obj) => c.dc.send(JSON.stringify(obj));

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

        c.start = async () => {
            const stream = await navigator.mediaDevices.getUserMedia({
                audio: opts.audio !== false, video: opts.video !== false ? { width: 640, height: 360 } : false });
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
                        for (const tr of msg.tracks || [])
                            c.tracksByMid.set(tr.mid, tr);
                        await onServerDescription(msg.data);
                    } else if (msg.type === 'ice-candidate' && msg.data) {
                        await c.pc.addIceCandidate(msg.data);
                    } else if (msg.type === 'error') {
                        c.errors.push(msg);
                    }
                } catch (err) {
                    c.errors.push({ type: 'exception', message: String(err) });
                }
            };
            send({ type: 'join', roomId: opts.roomId, userId: opts.userId, data: { displayName: opts.userId } });
            const j = await joined;
            const pc = new RTCPeerConnection({ iceServers: j.data.iceServers || [] });
            c.pc = pc;
            pc.onicecandidate = ({ candidate }) => send({ type: 'ice-candidate', data: candidate ? candidate.toJSON() : null });
            pc.ontrack = (ev) => {
                const s = ev.streams[0];
                if (s)
                    c.remote.set(s.id, s);
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
            for (const track of stream.getTracks())
                pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
            return c;
        };
        return c;
    }
    window.SfuClient = SfuClient;
})();
