// client-room.js — a participant built on the client library's RoomEngine
// (html/js/convene.js, imported from the server's /js/convene.js), for
// tests/e2e/test_client_room.mjs.
//
// window.startRoom(opts) -> joined info (plain JSON)
//   opts: {wsUrl, token, roomId, userId, displayName, publish (default
//          true: fake camera + microphone), simulcast, reconnect}
// window.room                the RoomEngine
// window.events(name)        the recorded events of that name, summarised as
//                            plain JSON (streams as {userId, streamId, kinds})
// window.framesOf(userId)    video frames decoded from that participant's
//                            stream (over every PeerConnection of the room)
// window.dropSocket()        closes the WebSocket under the library (as a
//                            network drop would), without telling it
(function () {
    'use strict';

    const EVENTS = ['joined', 'participant-joined', 'participant-left', 'participant-updated', 'stream',
        'stream-removed', 'data', 'message', 'quality', 'quality-warning', 'state', 'kicked', 'room-closed', 'error'];

    function participant(p) {
        return p ? { userId: p.userId, displayName: p.displayName, media: { ...p.media }, hasStream: !!p.stream } : null;
    }

    function summarize(ev, args) {
        const a = args[0];
        switch (ev) {
        case 'joined':
            return { roomId: a.roomId, userId: a.userId, topology: a.topology, participants: a.participants.map(participant),
                maxParticipants: a.maxParticipants, iceServers: a.iceServers };
        case 'participant-joined':
        case 'participant-updated':
            return participant(a);
        case 'participant-left':
            return { ...participant(a), reason: args[1] };
        case 'stream':
            return { userId: a.userId, streamId: a.stream.id, kinds: a.stream.getTracks().map((t) => t.kind).sort() };
        case 'quality':
            return { userId: a.userId, direction: a.direction, quality: a.quality, issues: a.issues,
                kind: a.stats && a.stats.kind, rid: a.stats && a.stats.rid, bitrateBps: a.stats && a.stats.bitrateBps,
                statsUserId: a.stats && a.stats.userId };
        case 'error':
            return { code: a.code, reason: a.reason, message: a.message };
        default:
            return a === undefined ? null : JSON.parse(JSON.stringify(a));
        }
    }

    window.startRoom = async (opts) => {
        const { RoomEngine } = await import('/js/convene.js');
        const log = [];
        const room = new RoomEngine({
            url: opts.wsUrl, token: opts.token || undefined, roomId: opts.roomId, userId: opts.userId,
            displayName: opts.displayName || opts.userId, rtcConfig: { iceServers: [] },
            simulcast: opts.simulcast, reconnect: opts.reconnect ?? { baseMs: 200, maxMs: 2000 },
        });
        for (const ev of EVENTS)
            room.on(ev, (...args) => log.push({ t: Date.now(), ev, arg: summarize(ev, args) }));
        window.room = room;
        window.roomLog = log;
        if (opts.publish !== false) {
            const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
            await room.setLocalStream(stream);
        }
        const info = await room.join();
        return summarize('joined', [info]);
    };

    window.events = (name) => (window.roomLog || []).filter((e) => e.ev === name).map((e) => e.arg);

    window.framesOf = async (userId) => {
        const room = window.room;
        const p = room && room.participants.get(userId);
        if (!p || !p.stream)
            return 0;
        const ids = new Set(p.stream.getVideoTracks().map((t) => t.id));
        let n = 0;
        for (const engine of room.peers.values()) {
            if (!engine.pc)
                continue;
            (await engine.pc.getStats()).forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'video' && ids.has(s.trackIdentifier))
                    n += s.framesDecoded || 0;
            });
        }
        return n;
    };

    window.dropSocket = () => {
        const ws = window.room.signaling._ws;
        if (!ws)
            return false;
        ws.close(4100, 'test drop');
        return true;
    };
})();
