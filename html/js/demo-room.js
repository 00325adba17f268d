// demo-room.js — the demo pages (index.html: SFU, mesh.html: mesh) on top
// of the client library's RoomEngine (convene.js). The same code for both
// topologies: the server's room decides, the page only differs in its
// default room (body data-default-room).
//
// Design: this file is the page's controller — it owns the RoomEngine of
// the current call and translates between the library's events and the
// page's parts, each in its own module:
//   TileGrid (demo-tiles.js)      the video grid: streams, names, mute and
//                                 camera state, presenting, quality badges
//   ChatPanel (demo-chat.js)      chat lines over the data channel
//   StatsPanel (demo-stats-panel.js) + StatsHistory (demo-stats.js)
//                                 graphs of bitrate, loss, jitter, RTT
//   Banner (demo-banner.js)       the message strip; wording in demo-messages.js
//   openLocalMedia (demo-media.js) camera and microphone with fallbacks
//
// Flow: lobby form (or ?autojoin=1) -> open camera (or join receive-only,
// saying why) -> RoomEngine.join() -> call view. Once a second the page
// reads every PeerConnection's stats (RoomEngine.getAllStats()), turns them
// into per-participant samples (tile badge via classifyQuality, graphs);
// RoomEngine.startQualityMonitoring(5000) keeps sending the server its
// `stats` frames. Errors end in the banner: a failed join leaves the lobby
// with the reason (room full, forbidden, unauthorized, unreachable); a lost
// signaling connection shows "reconnecting…" until the library joins again
// ("reconnected"); a media path that goes down shows "restoring…" until the
// library's ICE restart brings it back; kicked / room-closed / a final
// disconnect return to the lobby with the reason.
//
// URL parameters: room, name, token (JWT, when the server checks tokens),
// autojoin=1 (join at once), res (camera height, default 720).
// For tests and the console: window.demo (the RoomEngine of the call, the
// grid, the stats history, the banner's notices, media/ICE events).

import { RoomEngine } from './convene.js';
import { TileGrid } from './demo-tiles.js';
import { ChatPanel, CHAT_TYPE, chatText } from './demo-chat.js';
import { StatsHistory, StatsSampler, qualityOf } from './demo-stats.js';
import { StatsPanel } from './demo-stats-panel.js';
import { Banner } from './demo-banner.js';
import { openLocalMedia, stopStream } from './demo-media.js';
import * as say from './demo-messages.js';

/** @typedef {import('./convene.js').Participant} Participant */
/** @typedef {import('./convene.js').JoinedInfo} JoinedInfo */
/** @typedef {import('./convene.js').QualityIssue} QualityIssue */

/**
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
function $(id) {
    const el = document.getElementById(id);
    if (!el)
        throw new Error(`demo page: no #${id}`);
    return /** @type {T} */ (el);
}

const STATS_TICK_MS = 1000;
const params = new URLSearchParams(location.search);
const defaultRoom = document.body.dataset.defaultRoom || 'demo';
const lobbyTitle = document.title;

const ui = {
    lobby: $('lobby'), call: $('call'), form: /** @type {HTMLFormElement} */ ($('join-form')),
    name: /** @type {HTMLInputElement} */ ($('name')), room: /** @type {HTMLInputElement} */ ($('room')),
    token: /** @type {HTMLInputElement} */ ($('token')), join: /** @type {HTMLButtonElement} */ ($('join')),
    connection: $('connection'), roomLabel: $('room-label'), side: $('side'),
    mute: $('mute'), camera: $('camera'), share: $('share'), leave: $('leave'),
    chatToggle: $('chat-toggle'), statsToggle: $('stats-toggle'),
    chatPanel: $('chat'), statsPanel: $('stats'),
};

const banner = new Banner($('banner'), $('banner-text'), $('banner-close'));
const tiles = new TileGrid($('grid'));
const statsHistory = new StatsHistory(180000);
const sampler = new StatsSampler();
const statsPanel = new StatsPanel(ui.statsPanel, $('stats-cards'), statsHistory);
const chat = new ChatPanel({
    panel: ui.chatPanel, log: $('chat-log'), form: /** @type {HTMLFormElement} */ ($('chat-form')),
    input: /** @type {HTMLInputElement} */ ($('chat-input')), unread: $('chat-unread'),
}, sendChat);

/** The call in progress. */
const call = {
    /** @type {RoomEngine | null} */
    room: null,
    /** @type {MediaStream | null} */
    local: null,
    selfId: '',
    selfName: '',
    audio: true,
    video: true,
    sharing: false,
    /** @type {import('./demo-messages.js').Notice | null} the reason the call is ending */
    endNotice: null,
    /** @type {any} */
    timer: null,
    tickBusy: false,
    reconnecting: false,
    mediaDown: false,
    /** @type {WeakSet<object>} PeerEngines we listen to */
    watched: new WeakSet(),
};

/** For tests and the console. */
const demo = {
    get room() { return call.room; },
    get selfId() { return call.selfId; },
    tiles, statsHistory, banner,
    /** @type {{t: number, peer: string, state: string}[]} PeerConnection states seen */
    mediaStates: [],
    /** @type {{t: number, peer: string}[]} ICE restarts started by the library */
    iceRestarts: [],
};
/** @type {any} */ (window).demo = demo;

// --- small helpers ---------------------------------------------------------------------

function wsUrl() {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/webrtc`;
}

/**
 * A user id for development servers (auth "none"): readable, and unique per page load.
 * @param {string} name
 * @returns {string}
 */
function userIdFor(name) {
    const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24);
    return `${slug || 'guest'}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * @param {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'degraded' | 'closed'} state
 * @param {string} text
 */
function setConnection(state, text) {
    ui.connection.dataset.state = state;
    ui.connection.textContent = text;
}

function connectedText() {
    const topo = call.room && call.room.topology === 'mesh' ? 'mesh' : 'SFU';
    return `connected · ${topo}`;
}

/**
 * @param {string} userId
 * @returns {string}
 */
function nameOf(userId) {
    if (userId === call.selfId)
        return call.selfName;
    const p = call.room && call.room.participants.get(userId);
    return p ? p.displayName : userId;
}

function updateRoomLabel() {
    if (!call.room) {
        ui.roomLabel.textContent = '';
        return;
    }
    const n = call.room.participants.size + 1;
    ui.roomLabel.textContent = `${call.room.roomId} · ${n} ${n === 1 ? 'participant' : 'participants'}`;
}

/**
 * @param {HTMLElement} button
 * @param {boolean} pressed
 * @param {string} label
 */
function setToggle(button, pressed, label) {
    button.setAttribute('aria-pressed', String(pressed));
    const l = button.querySelector('.label');
    if (l)
        l.textContent = label;
}

/**
 * @param {QualityIssue[]} issues
 * @returns {string}
 */
function issuesText(issues) {
    return issues.map((i) => {
        if (i.type === 'packet_loss')
            return `packet loss ${(i.value * 100).toFixed(1)} %`;
        if (i.type === 'bitrate')
            return `bitrate ${Math.round(i.value / 1000)} kbps`;
        return `${i.type === 'rtt' ? 'round trip' : i.type} ${Math.round(i.value)} ms`;
    }).join(', ');
}

// --- joining ------------------------------------------------------------------------------

/**
 * @param {string} name
 * @param {string} roomId
 * @param {string} token
 */
async function join(name, roomId, token) {
    if (call.room || ui.join.disabled)
        return;
    ui.join.disabled = true;
    document.body.dataset.state = 'joining';
    banner.hide();
    try { localStorage.setItem('convene.name', name); } catch { /* private mode */ }
    setConnection('connecting', 'starting camera…');
    const res = Number(params.get('res')) || 720;
    const media = await openLocalMedia({ height: res });
    /** @type {import('./demo-messages.js').Notice | null} */
    const mediaNotice = media.error ? say.describeMediaError(media.error, 'camera') : null;

    const room = new RoomEngine({
        url: wsUrl(), token: token || undefined, roomId, displayName: name,
        userId: token ? undefined : userIdFor(name),
        receiveOnly: !media.stream,
        reconnect: { baseMs: 500, maxMs: 8000 },
    });
    call.local = media.stream;
    call.audio = !!media.stream && media.stream.getAudioTracks().length > 0;
    call.video = !!media.stream && media.stream.getVideoTracks().length > 0;
    call.endNotice = null;
    wire(room);
    setConnection('connecting', 'connecting…');
    try {
        if (media.stream)
            await room.setLocalStream(media.stream);
        const info = await room.join();
        call.room = room;
        enterCall(info, name);
        if (mediaNotice)
            banner.show(mediaNotice);
    } catch (err) {
        stopStream(media.stream);
        call.local = null;
        document.body.dataset.state = 'lobby';
        setConnection('closed', 'not connected');
        banner.show(say.describeError(err, { roomId, joining: true, url: wsUrl() }));
    } finally {
        ui.join.disabled = false;
    }
}

/**
 * @param {JoinedInfo} info
 * @param {string} name
 */
function enterCall(info, name) {
    call.selfId = info.userId;
    call.selfName = name;
    call.sharing = false;
    call.reconnecting = false;
    call.mediaDown = false;
    ui.lobby.hidden = true;
    ui.call.hidden = false;
    document.body.dataset.state = 'in-call';
    document.title = `${info.roomId} — Convene`;
    setConnection('connected', connectedText());
    const url = new URL(location.href);
    url.searchParams.set('room', info.roomId);
    url.searchParams.delete('autojoin');
    window.history.replaceState(null, '', url);

    tiles.upsert(info.userId, { name, self: true });
    tiles.setStream(info.userId, call.local);
    tiles.setMedia(info.userId, { audio: call.audio, video: call.video });
    for (const p of info.participants)
        addParticipant(p);
    setToggle(ui.mute, !call.audio, call.audio ? 'Mute' : 'Unmute');
    setToggle(ui.camera, !call.video, call.video ? 'Camera off' : 'Camera on');
    setToggle(ui.share, false, 'Share screen');
    for (const b of [ui.mute, ui.camera, ui.share])
        /** @type {HTMLButtonElement} */ (b).disabled = !call.local;
    // Phones and tablets have no getDisplayMedia.
    ui.share.hidden = !(navigator.mediaDevices && 'getDisplayMedia' in navigator.mediaDevices);
    chat.addEvent(`You joined ${info.roomId} (${info.topology === 'mesh' ? 'mesh' : 'SFU'} room).`);
    updateRoomLabel();
    watchPeers();
    /** @type {RoomEngine} */ (call.room).startQualityMonitoring(5000);
    call.timer = setInterval(statsTick, STATS_TICK_MS);
}

/**
 * @param {Participant} p
 */
function addParticipant(p) {
    tiles.upsert(p.userId, { name: p.displayName });
    tiles.setMedia(p.userId, p.media);
    if (p.stream)
        tiles.setStream(p.userId, p.stream);
    if (call.sharing)
        sendPresenting(true, p.userId);
}

/**
 * @param {RoomEngine} room
 */
function wire(room) {
    const mine = (/** @type {Function} */ fn) => (/** @type {any[]} */ ...args) => {
        if (call.room === room)
            fn(...args);
    };
    room.on('participant-joined', mine((/** @type {Participant} */ p) => {
        addParticipant(p);
        chat.addEvent(`${p.displayName} joined.`);
        updateRoomLabel();
    }));
    room.on('participant-left', mine((/** @type {Participant} */ p, /** @type {string} */ reason) => {
        tiles.remove(p.userId);
        statsHistory.forget(p.userId);
        const how = reason === 'kicked' ? 'was removed' : reason === 'disconnected' || reason === 'timeout' ? 'lost the connection' : 'left';
        chat.addEvent(`${p.displayName} ${how}.`);
        updateRoomLabel();
    }));
    room.on('participant-updated', mine((/** @type {Participant} */ p) => {
        tiles.upsert(p.userId, { name: p.displayName });
        tiles.setMedia(p.userId, p.media);
    }));
    room.on('stream', mine((/** @type {{userId: string, stream: MediaStream}} */ s) => {
        tiles.upsert(s.userId, { name: nameOf(s.userId) });
        tiles.setStream(s.userId, s.stream);
    }));
    room.on('stream-removed', mine((/** @type {{userId: string}} */ s) => tiles.setStream(s.userId, null)));
    room.on('data', mine(onData));
    room.on('message', mine(onData));
    room.on('quality-warning', mine((/** @type {any} */ f) => banner.show(say.describeQualityWarning(f, call.selfId, nameOf))));
    room.on('kicked', (/** @type {{reason?: string}} */ k) => { call.endNotice = say.describeKicked(k.reason); });
    room.on('room-closed', (/** @type {{reason?: string}} */ c) => { call.endNotice = say.describeRoomClosed(c.reason); });
    room.on('error', (/** @type {any} */ err) => {
        if (call.room !== room)
            return;         // a failed join: join() reports it
        const st = /** @type {any} */ (room).state;
        if (st === 'closed' || st === 'kicked')
            call.endNotice = call.endNotice || say.describeError(err, { roomId: room.roomId });
        else
            banner.show(say.describeError(err, { roomId: room.roomId }));
    });
    room.on('state', (/** @type {string} */ state) => {
        if (call.room !== room)
            return;
        if (state === 'reconnecting') {
            call.reconnecting = true;
            setConnection('reconnecting', 'reconnecting…');
            if (!banner.current || banner.current.key !== 'reconnecting')
                banner.show(say.describeReconnecting());
        } else if (state === 'joined') {
            if (call.reconnecting) {
                call.reconnecting = false;
                setConnection('connected', connectedText());
                banner.show(say.describeReconnected());
                updateRoomLabel();
                watchPeers();
            }
        } else if (state === 'closed' || state === 'kicked') {
            // The library emits 'error' / 'kicked' / 'room-closed' right after this.
            setTimeout(() => endCall(call.endNotice || say.describeError({ code: 0, reason: 'closed' }, { roomId: room.roomId })), 0);
        }
    });
    room.signaling.on('reconnecting', (/** @type {{attempt: number, delayMs: number}} */ info) => {
        if (call.room === room)
            banner.show(say.describeReconnecting(info));
    });
}

// --- the media path ----------------------------------------------------------------------

/** Listens to the PeerEngines of the call (new ones appear after a rejoin, or per participant in mesh rooms). */
function watchPeers() {
    const room = call.room;
    if (!room)
        return;
    /** @type {Map<string, any>} the PeerEngines (RoomEngine.peers: not in convene.d.ts yet) */
    const peers = /** @type {any} */ (room).peers || new Map();
    for (const [peerId, engine] of peers) {
        if (call.watched.has(engine))
            continue;
        call.watched.add(engine);
        engine.on('connectionstatechange', (/** @type {string} */ state) => {
            demo.mediaStates.push({ t: Date.now(), peer: peerId, state });
            if (call.room === room)
                mediaStateChanged();
        });
        engine.on('ice-restart', () => demo.iceRestarts.push({ t: Date.now(), peer: peerId }));
    }
}

/** Shows "restoring…" while any PeerConnection is down, "restored" when all are back. */
function mediaStateChanged() {
    const room = call.room;
    if (!room)
        return;
    /** @type {Map<string, any>} */
    const peers = /** @type {any} */ (room).peers || new Map();
    let down = false;
    for (const engine of peers.values()) {
        const st = engine.pc ? engine.pc.connectionState : 'closed';
        if (st === 'disconnected' || st === 'failed')
            down = true;
    }
    if (down && !call.mediaDown) {
        call.mediaDown = true;
        setConnection('degraded', 'media interrupted');
        banner.show(/** @type {any} */ (say.describeMediaState('disconnected')));
    } else if (!down && call.mediaDown) {
        let allUp = true;
        for (const engine of peers.values())
            if (!engine.pc || engine.pc.connectionState !== 'connected')
                allUp = false;
        if (!allUp)
            return;
        call.mediaDown = false;
        if (!call.reconnecting)
            setConnection('connected', connectedText());
        banner.show(/** @type {any} */ (say.describeMediaState('connected')));
    }
}

async function statsTick() {
    const room = call.room;
    if (!room || call.tickBusy)
        return;
    call.tickBusy = true;
    try {
        watchPeers();
        const all = await room.getAllStats();
        if (call.room !== room)
            return;
        const now = Date.now();
        const samples = sampler.sample(all, call.selfId);
        statsHistory.add(now, samples);
        for (const [id, s] of samples) {
            const q = qualityOf(s);
            tiles.setQuality(id, q.quality, issuesText(q.issues));
        }
        const order = [{ id: call.selfId, name: `You (${call.selfName}) — sending` }];
        for (const p of room.participants.values())
            order.push({ id: p.userId, name: `${p.displayName} — receiving` });
        statsPanel.update(order, now);
    } catch (err) {
        console.warn('demo: stats', err);
    } finally {
        call.tickBusy = false;
    }
}

// --- controls -----------------------------------------------------------------------------

function toggleMute() {
    if (!call.room || !call.local)
        return;
    call.audio = !call.audio;
    call.room.setAudioEnabled(call.audio);
    setToggle(ui.mute, !call.audio, call.audio ? 'Mute' : 'Unmute');
    tiles.setMedia(call.selfId, { audio: call.audio, video: call.video });
}

function toggleCamera() {
    if (!call.room || !call.local)
        return;
    call.video = !call.video;
    call.room.setVideoEnabled(call.video);
    setToggle(ui.camera, !call.video, call.video ? 'Camera off' : 'Camera on');
    tiles.setMedia(call.selfId, { audio: call.audio, video: call.video });
}

/**
 * Tells the others that we present (or stopped), over the data channel.
 * @param {boolean} on
 * @param {string} [to]
 */
function sendPresenting(on, to) {
    try {
        call.room?.send({ type: 'screen', on }, to);
    } catch { /* no channel yet: the tile just has no flag */ }
}

async function toggleShare() {
    const room = call.room;
    if (!room)
        return;
    if (call.sharing) {
        await room.stopScreenShare().catch((err) => banner.show(say.describeError(err)));
        shareEnded();
        return;
    }
    try {
        const screen = await room.shareScreen();
        if (call.room !== room) {
            stopStream(screen);
            return;
        }
        call.sharing = true;
        setToggle(ui.share, true, 'Stop sharing');
        tiles.setStream(call.selfId, screen);
        tiles.setPresenting(call.selfId, true);
        sendPresenting(true);
        const track = screen.getVideoTracks()[0];
        // The browser's own "Stop sharing" ends the track; the library then sends the camera again.
        track.addEventListener('ended', () => { if (call.sharing) shareEnded(); });
    } catch (err) {
        banner.show(say.describeMediaError(err, 'screen'));
    }
}

function shareEnded() {
    call.sharing = false;
    setToggle(ui.share, false, 'Share screen');
    tiles.setStream(call.selfId, call.local);
    tiles.setPresenting(call.selfId, false);
    sendPresenting(false);
}

/**
 * @param {'chat' | 'stats'} which
 */
function togglePanel(which) {
    const panel = which === 'chat' ? ui.chatPanel : ui.statsPanel;
    const button = which === 'chat' ? ui.chatToggle : ui.statsToggle;
    const other = which === 'chat' ? ui.statsPanel : ui.chatPanel;
    const otherButton = which === 'chat' ? ui.statsToggle : ui.chatToggle;
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-pressed', String(open));
    if (open) {
        other.hidden = true;
        otherButton.setAttribute('aria-pressed', 'false');
    }
    ui.side.hidden = ui.chatPanel.hidden && ui.statsPanel.hidden;
    document.body.dataset.panel = ui.side.hidden ? '' : which;
    if (open && which === 'chat') {
        chat.seen();
        /** @type {HTMLInputElement} */ ($('chat-input')).focus();
    }
    if (open && which === 'stats')
        statsTick();
}

/**
 * @param {string} text
 * @returns {boolean}
 */
function sendChat(text) {
    const room = call.room;
    if (!room)
        return false;
    const data = { type: CHAT_TYPE, text };
    try {
        room.send(data);
    } catch {
        // No open data channel (yet): the signaling connection carries it instead.
        try {
            room.sendMessage(data);
        } catch (err) {
            banner.show(say.describeError(err));
            return false;
        }
    }
    chat.addMessage({ from: call.selfId, name: call.selfName, text, self: true });
    return true;
}

/**
 * @param {{userId: string, data: any}} m a data-channel or signaling message
 */
function onData(m) {
    if (!m || m.userId === call.selfId)
        return;
    if (m.data && m.data.type === 'screen') {
        tiles.setPresenting(m.userId, !!m.data.on);
        return;
    }
    const text = chatText(m.data);
    if (text !== null)
        chat.addMessage({ from: m.userId, name: nameOf(m.userId), text });
}

// --- leaving --------------------------------------------------------------------------------

/**
 * Ends the call (leave, or after the library gave up) and returns to the lobby.
 * @param {import('./demo-messages.js').Notice | null} notice why, when not by choice
 */
async function endCall(notice) {
    const room = call.room;
    if (!room)
        return;
    call.room = null;
    clearInterval(call.timer);
    call.timer = null;
    room.stopQualityMonitoring();
    if (notice === null)
        await room.leave().catch(() => { /* leaving anyway */ });
    else
        room.leave().catch(() => { /* already closed */ });
    stopStream(call.local);
    call.local = null;
    call.sharing = false;
    tiles.clear();
    chat.clear();
    for (const id of statsHistory.users())
        statsHistory.forget(id);
    statsPanel.update([], Date.now());
    ui.call.hidden = true;
    ui.lobby.hidden = false;
    document.body.dataset.state = 'lobby';
    document.title = lobbyTitle;
    updateRoomLabel();
    setConnection('closed', 'not connected');
    banner.show(notice || { key: 'left', kind: 'info', text: 'You left the room.', sticky: false });
}

// --- start-up -------------------------------------------------------------------------------

ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = ui.name.value.trim();
    const roomId = ui.room.value.trim();
    if (name && roomId)
        join(name, roomId, ui.token.value.trim());
});
ui.mute.addEventListener('click', toggleMute);
ui.camera.addEventListener('click', toggleCamera);
ui.share.addEventListener('click', () => { toggleShare(); });
ui.leave.addEventListener('click', () => { endCall(null); });
ui.chatToggle.addEventListener('click', () => togglePanel('chat'));
ui.statsToggle.addEventListener('click', () => togglePanel('stats'));
window.addEventListener('pagehide', () => { call.room?.leave(); });

let savedName = '';
try { savedName = localStorage.getItem('convene.name') || ''; } catch { /* private mode */ }
ui.name.value = params.get('name') || savedName;
ui.room.value = params.get('room') || defaultRoom;
ui.token.value = params.get('token') || '';
if (ui.token.value)
    /** @type {HTMLDetailsElement} */ ($('token-box')).open = true;
document.body.dataset.state = 'lobby';
if (params.get('autojoin') === '1' && ui.name.value.trim() && ui.room.value.trim())
    join(ui.name.value.trim(), ui.room.value.trim(), ui.token.value.trim());
else
    (ui.name.value ? ui.join : ui.name).focus();
