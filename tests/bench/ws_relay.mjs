// ws_relay.mjs: a minimal Node signaling relay, the baseline for
// tests/bench/signaling.mjs.
//
// What a developer following the seed guide
// (/work/shared/seed/webrtc-implementation-guide.md, "Server Integration")
// would run instead of Convene for mesh calls: npm `ws`'s WebSocketServer on
// /ws/webrtc, rooms in a Map, the guide's envelope ({type, roomId, userId,
// targetUserId, data, timestamp}) and the messages its React client uses:
//   join           -> joined {roomId, userId, participants: [other ids]} to
//                     the newcomer, user-joined {userId} to the others
//   offer / answer / ice-candidate {targetUserId, data}
//                  -> relayed to the target with userId = the sender
//   leave, close   -> left to the leaver, user-left to the others
//   ping           -> pong
// Identity comes from the join's userId (the guide's verifyToken is left
// out, as Convene's harness runs with auth = "none"). JSON is parsed and
// each outgoing frame is stamped and serialised again, as Convene does.
// Nothing else: no validation beyond the type, no limits, no persistence.
//
//   node tests/bench/ws_relay.mjs [--port N] [--host 127.0.0.1]
// prints "listening PORT" once it accepts connections (port 0: any free
// port). Binds to loopback by default.
import { WebSocketServer } from 'ws';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const host = opt('--host', '127.0.0.1');
const port = Number(opt('--port', '0'));

const rooms = new Map();   // roomId -> Map(userId -> ws)

function send(ws, msg) {
    if (ws.readyState === ws.OPEN)
        ws.send(JSON.stringify({ ...msg, timestamp: Date.now() }));
}

function leave(ws, reason) {
    const { roomId, userId } = ws.member ?? {};
    if (!roomId) return;
    const room = rooms.get(roomId);
    if (room?.get(userId) === ws) {
        room.delete(userId);
        if (room.size === 0) rooms.delete(roomId);
        for (const other of room.values())
            send(other, { type: 'user-left', roomId, userId, data: { reason } });
    }
    ws.member = null;
}

function error(ws, code, reason, message) {
    send(ws, { type: 'error', data: { code, reason, message } });
}

const wss = new WebSocketServer({ host, port, path: '/ws/webrtc', perMessageDeflate: false });

wss.on('connection', (ws) => {
    ws.member = null;
    ws.on('message', (raw, isBinary) => {
        let msg;
        try {
            msg = JSON.parse(isBinary ? '' : raw.toString());
        } catch {
            return error(ws, 400, 'bad_request', 'not JSON');
        }
        if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string')
            return error(ws, 400, 'bad_request', 'not a message');
        switch (msg.type) {
        case 'join': {
            if (ws.member) return error(ws, 409, 'conflict', 'already joined');
            const { roomId, userId } = msg;
            if (typeof roomId !== 'string' || typeof userId !== 'string')
                return error(ws, 400, 'bad_request', 'roomId and userId needed');
            let room = rooms.get(roomId);
            if (!room) rooms.set(roomId, room = new Map());
            const participants = [...room.keys()];
            room.set(userId, ws);
            ws.member = { roomId, userId };
            send(ws, { type: 'joined', roomId, userId, participants });
            for (const [id, other] of room)
                if (id !== userId)
                    send(other, { type: 'user-joined', roomId, userId, data: msg.data ?? {} });
            return;
        }
        case 'leave':
            if (!ws.member) return error(ws, 409, 'conflict', 'not joined');
            leave(ws, 'left');
            return send(ws, { type: 'left', roomId: msg.roomId });
        case 'offer':
        case 'answer':
        case 'ice-candidate': {
            if (!ws.member) return error(ws, 409, 'conflict', 'not joined');
            const { roomId, userId } = ws.member;
            const target = rooms.get(roomId)?.get(msg.targetUserId);
            if (!target) return error(ws, 404, 'not_found', 'no such user in the room');
            return send(target, { type: msg.type, roomId, userId, targetUserId: msg.targetUserId, data: msg.data });
        }
        case 'ping':
            return send(ws, { type: 'pong' });
        default:
            return error(ws, 400, 'bad_request', `unknown type ${msg.type}`);
        }
    });
    ws.on('close', () => leave(ws, 'disconnected'));
});

wss.on('listening', () => console.log(`listening ${wss.address().port}`));
process.on('SIGTERM', () => { wss.close(); process.exit(0); });
