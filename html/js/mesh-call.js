// mesh-call.js — the demo page's call logic for mesh rooms.
//
// It follows the seed guide's browser example (join, `joined` -> peers,
// `user-joined` -> the existing member offers, offers/answers/candidates
// relayed by the server) and adds perfect negotiation so that two offers
// crossing each other always converge: the newcomer is the polite side (it
// rolls back its own offer), as the contract has the member offer first.
//
// The full client library (SFU rooms, reconnection, stats) replaces this in
// html/js/convene.js; this file keeps the first demo dependency-free.

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

let ws = null;
let selfId = null;
let roomId = null;
let localStream = null;
let iceServers = [];       // from `joined`: the server's STUN/TURN list
const peers = new Map();   // userId -> {pc, polite, makingOffer, ignoreOffer, name}

function setStatus(text, isError = false) {
    $('status').textContent = text;
    $('status').classList.toggle('error', isError);
}

function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN)
        ws.send(JSON.stringify({ ...msg, roomId, timestamp: Date.now() }));
}

function wsUrl() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const token = params.get('token');
    return `${scheme}://${location.host}/ws/webrtc` + (token ? `?token=${encodeURIComponent(token)}` : '');
}

function tileFor(userId) {
    let tile = document.querySelector(`figure[data-user="${CSS.escape(userId)}"]`);
    if (!tile) {
        tile = document.createElement('figure');
        tile.className = 'tile';
        tile.dataset.user = userId;
        tile.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption>';
        $('grid').appendChild(tile);
    }
    return tile;
}

function setTileName(userId, name, media) {
    const caption = tileFor(userId).querySelector('figcaption');
    caption.textContent = name || userId;
    if (media && media.audio === false)
        caption.textContent += ' 🔇';
    if (media && media.video === false)
        caption.textContent += ' (camera off)';
}

// polite: true towards members that were in the room before us
function createPeer(userId, name, polite) {
    const pc = new RTCPeerConnection({ iceServers });
    const peer = { pc, polite, makingOffer: false, ignoreOffer: false, name };
    peers.set(userId, peer);
    for (const track of localStream.getTracks())
        pc.addTrack(track, localStream);
    pc.onicecandidate = ({ candidate }) => {
        if (candidate)
            send({ type: 'ice-candidate', targetUserId: userId, data: candidate });
    };
    pc.ontrack = ({ streams }) => {
        const video = tileFor(userId).querySelector('video');
        if (video.srcObject !== streams[0])
            video.srcObject = streams[0];
    };
    pc.onnegotiationneeded = async () => {
        try {
            peer.makingOffer = true;
            await pc.setLocalDescription();
            send({ type: 'offer', targetUserId: userId, data: pc.localDescription });
        } catch (err) {
            console.error('negotiation with', userId, err);
        } finally {
            peer.makingOffer = false;
        }
    };
    pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'failed')
            pc.restartIce();
    };
    setTileName(userId, name);
    return peer;
}

function closePeer(userId) {
    const peer = peers.get(userId);
    if (peer) {
        peer.pc.close();
        peers.delete(userId);
    }
    tileFor(userId).remove();
}

async function onDescription(from, description) {
    const peer = peers.get(from) || createPeer(from, undefined, true);
    const pc = peer.pc;
    const collision = description.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer)
        return;
    await pc.setRemoteDescription(description);   // rolls back our offer when polite
    if (description.type === 'offer') {
        await pc.setLocalDescription();
        send({ type: 'answer', targetUserId: from, data: pc.localDescription });
    }
}

async function onCandidate(from, candidate) {
    const peer = peers.get(from);
    if (!peer)
        return;
    try {
        await peer.pc.addIceCandidate(candidate);
    } catch (err) {
        if (!peer.ignoreOffer)
            console.error('candidate from', from, err);
    }
}

const handlers = {
    joined(msg) {
        selfId = msg.userId;
        iceServers = msg.data.iceServers || [];
        setStatus(`in ${msg.roomId} (${msg.data.topology})`);
        if (msg.data.topology !== 'mesh')
            setStatus(`${msg.roomId} is an SFU room: this page only does mesh calls for now`, true);
        // Existing members offer to us when they see user-joined
        for (const p of msg.data.participants || [])
            createPeer(p.userId, p.displayName, true);
        for (const p of msg.data.participants || [])
            setTileName(p.userId, p.displayName, p.media);
    },
    'user-joined'(msg) {
        createPeer(msg.userId, msg.data && msg.data.displayName, false);
    },
    'user-left'(msg) {
        closePeer(msg.userId);
    },
    'user-updated'(msg) {
        const peer = peers.get(msg.userId);
        setTileName(msg.userId, peer && peer.name, msg.data.media);
    },
    offer(msg) { return onDescription(msg.userId, msg.data); },
    answer(msg) { return onDescription(msg.userId, msg.data); },
    'ice-candidate'(msg) { return onCandidate(msg.userId, msg.data); },
    kicked(msg) { setStatus(`removed from the room: ${msg.data.reason}`, true); },
    error(msg) { setStatus(`error ${msg.data.code} (${msg.data.reason}): ${msg.data.message}`, true); },
};

async function join(name, room) {
    roomId = room;
    setStatus('starting camera…');
    localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
    $('local-video').srcObject = localStream;
    $('local-name').textContent = `${name} (you)`;
    setStatus('connecting…');
    ws = new WebSocket(wsUrl());
    ws.onopen = () => send({ type: 'join', userId: name, data: { displayName: name } });
    ws.onmessage = async (event) => {
        const msg = JSON.parse(event.data);
        try {
            await handlers[msg.type]?.(msg);
        } catch (err) {
            console.error('handling', msg.type, err);
        }
    };
    ws.onclose = (event) => {
        if (event.code === 1008)
            setStatus('the server refused this connection (Unauthorized): add ?token=… to the URL', true);
        else if (!$('call').hidden)
            setStatus(`disconnected (${event.code}${event.reason ? ' ' + event.reason : ''})`, true);
        for (const id of [...peers.keys()])
            closePeer(id);
    };
    $('join-form').hidden = true;
    $('call').hidden = false;
    $('room-label').textContent = room;
}

function leave() {
    send({ type: 'leave' });
    for (const id of [...peers.keys()])
        closePeer(id);
    ws?.close();
    localStream?.getTracks().forEach((t) => t.stop());
    $('call').hidden = true;
    $('join-form').hidden = false;
    setStatus('left');
}

function toggle(kind, button, onLabel, offLabel) {
    const tracks = kind === 'audio' ? localStream.getAudioTracks() : localStream.getVideoTracks();
    const enabled = !tracks.every((t) => t.enabled);
    tracks.forEach((t) => { t.enabled = enabled; });
    button.textContent = enabled ? onLabel : offLabel;
    button.setAttribute('aria-pressed', String(!enabled));
    send({ type: 'media', data: {
        audio: localStream.getAudioTracks().some((t) => t.enabled),
        video: localStream.getVideoTracks().some((t) => t.enabled),
    } });
}

$('name').value = params.get('name') || `guest-${Math.random().toString(36).slice(2, 6)}`;
if (params.get('room'))
    $('room').value = params.get('room');
$('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    join($('name').value.trim(), $('room').value.trim()).catch((err) => setStatus(String(err), true));
});
$('leave').addEventListener('click', leave);
$('mute').addEventListener('click', (e) => toggle('audio', e.target, 'Mute', 'Unmute'));
$('camera').addEventListener('click', (e) => toggle('video', e.target, 'Camera off', 'Camera on'));
window.convene = { peers, get selfId() { return selfId; } };
