// convene.js — the Convene browser client: signaling, perfect negotiation,
// SFU and mesh rooms, stats. A dependency-free ES module (load it with
// <script type="module"> or import it); standard APIs only, feature-detected
// where Chromium and Firefox differ. The API is html/js/convene.d.ts (the
// contract, checked by `npx tsc -p html/js/tsconfig.json`); the protocol is
// docs/protocol.md, the SFU negotiation docs/negotiation.md.
//
// Design
//
//   SignalingClient   one WebSocket to the server. Frames are JSON objects;
//                     request() adds a requestId and settles on the first
//                     frame that echoes it (an `error` frame rejects). After an
//                     unexpected close it reconnects with backoffDelay()
//                     (exponential, capped, jittered), except after 1008
//                     (Unauthorized) and 4000 (kicked). An application-level
//                     `ping` every pingIntervalMs; no `pong` before the next
//                     one drops the socket and reconnects.
//
//   PeerEngine        one RTCPeerConnection with perfect negotiation
//                     (makingOffer / ignoreOffer / isSettingRemoteAnswerPending,
//                     rollback by setRemoteDescription's implicit rollback with
//                     an explicit {type:'rollback'} fallback). Everything to
//                     send to the peer is a 'signal' event; handleOffer()
//                     returns the answer. Local media goes on sendonly
//                     transceivers (video optionally as simulcast h/m/l), so
//                     replaceTrack() never renegotiates. ICE restarts when the
//                     connection fails or stays disconnected for
//                     iceRestartAfterMs.
//
//   RoomEngine        a room: join/leave, presence, remote streams, mute,
//                     screen share, data, stats. SFU rooms: one polite
//                     PeerEngine ('sfu') with the server, which offers again
//                     whenever the forwarded tracks change (its `tracks` field
//                     maps mid -> publisher). Mesh rooms: one PeerEngine per
//                     participant, polite towards those who were there first
//                     (they offer to us), impolite towards later arrivals (we
//                     offer to them); a negotiated data channel (id 0) per
//                     pair. After a signaling drop it joins again with
//                     data.resume; a reply without data.resumed rebuilds the
//                     PeerConnections.
//
//   normalizeStats    pure helpers (no WebRTC needed, unit-tested in Node):
//   classifyQuality   getStats() -> StatsSummary, thresholds -> quality,
//   backoffDelay      reconnect delays.
//
// Events are delivered synchronously by a small Emitter; a listener that
// throws is reported (reportError) and does not stop the others.

/** @typedef {import('./convene.js').Frame} Frame */
/** @typedef {import('./convene.js').TrackInfo} TrackInfo */
/** @typedef {import('./convene.js').BackoffOptions} BackoffOptions */
/** @typedef {import('./convene.js').SignalingState} SignalingState */
/** @typedef {import('./convene.js').SignalingOptions} SignalingOptions */
/** @typedef {import('./convene.js').TrackStats} TrackStats */
/** @typedef {import('./convene.js').StatsSummary} StatsSummary */
/** @typedef {import('./convene.js').Quality} Quality */
/** @typedef {import('./convene.js').QualityIssue} QualityIssue */
/** @typedef {import('./convene.js').AddStreamOptions} AddStreamOptions */
/** @typedef {import('./convene.js').RoomOptions} RoomOptions */
/** @typedef {import('./convene.js').Participant} Participant */
/** @typedef {import('./convene.js').JoinedInfo} JoinedInfo */
/** @typedef {import('./convene.js').QualityEvent} QualityEvent */

// --- errors and events ------------------------------------------------------------

/**
 * An `error` frame of the server, or a failure of the library (code 0,
 * reason "timeout", "closed", "unsupported", ...).
 */
export class ConveneError extends Error {
    /**
     * @param {number} code the protocol's numeric code, 0 for a local failure
     * @param {string} reason the stable reason word
     * @param {string} [message] for people
     * @param {string | number} [requestId] the request it answers
     */
    constructor(code, reason, message, requestId) {
        super(message || reason);
        this.name = 'ConveneError';
        /** @type {number} */
        this.code = code;
        /** @type {string} */
        this.reason = reason;
        /** @type {string | number | undefined} */
        this.requestId = requestId;
    }
}

/**
 * The ConveneError an `error` frame stands for.
 * @param {Frame} frame
 * @returns {ConveneError}
 */
function errorFromFrame(frame) {
    const d = frame.data && typeof frame.data === 'object' ? frame.data : {};
    return new ConveneError(typeof d.code === 'number' ? d.code : 0, typeof d.reason === 'string' ? d.reason : 'error',
        typeof d.message === 'string' ? d.message : undefined, frame.requestId);
}

/**
 * Reports an exception thrown by a listener without stopping the caller.
 * @param {unknown} err
 */
function reportListenerError(err) {
    const g = /** @type {any} */ (globalThis);
    if (typeof g.reportError === 'function')
        g.reportError(err);
    else
        setTimeout(() => { throw err; }, 0);
}

/** @typedef {(...args: any[]) => void} Listener */

/**
 * A minimal event emitter. `on` returns a function that removes the listener.
 */
export class Emitter {
    constructor() {
        /** @type {Map<string, Listener[]>} */
        this._listeners = new Map();
    }

    /**
     * @param {string} event
     * @param {Listener} listener
     * @returns {() => void} removes the listener
     */
    on(event, listener) {
        const list = this._listeners.get(event);
        if (list)
            list.push(listener);
        else
            this._listeners.set(event, [listener]);
        return () => this.off(event, listener);
    }

    /**
     * Like `on`, for one call.
     * @param {string} event
     * @param {Listener} listener
     * @returns {() => void} removes the listener
     */
    once(event, listener) {
        /** @type {Listener & {_once?: Listener}} */
        const wrapper = (...args) => {
            this.off(event, wrapper);
            listener.apply(this, args);
        };
        wrapper._once = listener;
        return this.on(event, wrapper);
    }

    /**
     * @param {string} event
     * @param {Listener} listener a listener given to `on` or `once`
     */
    off(event, listener) {
        const list = this._listeners.get(event);
        if (!list)
            return;
        const i = list.findIndex((l) => l === listener || /** @type {any} */ (l)._once === listener);
        if (i >= 0)
            list.splice(i, 1);
        if (list.length === 0)
            this._listeners.delete(event);
    }

    /**
     * Calls the event's listeners in order, synchronously.
     * @param {string} event
     * @param {...any} args
     */
    emit(event, ...args) {
        const list = this._listeners.get(event);
        if (!list)
            return;
        for (const listener of [...list]) {
            try {
                listener.apply(this, args);
            } catch (err) {
                reportListenerError(err);
            }
        }
    }
}

// --- reconnect backoff ------------------------------------------------------------

/**
 * The delay before reconnect attempt `attempt` (0, 1, 2, ...):
 * min(maxMs, baseMs * factor^attempt), reduced by up to `jitter` of itself
 * using `random()` in [0, 1).
 * @param {number} attempt
 * @param {BackoffOptions} [options] baseMs (500), maxMs (15000), factor (2), jitter (0.3)
 * @param {() => number} [random] Math.random by default
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, options = {}, random = Math.random) {
    const baseMs = options.baseMs ?? 500;
    const maxMs = options.maxMs ?? 15000;
    const factor = options.factor ?? 2;
    const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.3));
    const n = Math.max(0, Math.floor(attempt) || 0);
    const delay = Math.min(maxMs, baseMs * Math.pow(factor, n));
    const r = Math.min(1, Math.max(0, random()));
    return delay * (1 - jitter * r);
}

// --- signaling ----------------------------------------------------------------------

const WS_OPEN = 1;

/**
 * The WebSocket to Convene. Events:
 *  'open' ()                          connected (first time or again)
 *  'close' ({code, reason, willReconnect})  an open connection closed, or
 *                                     reconnecting ended for good
 *  'reconnecting' ({attempt, delayMs}) attempt 1, 2, ... starts after delayMs
 *                                     (= backoffDelay(attempt - 1, options))
 *  'frame' (frame)                    every frame received
 *  '<type>' (frame)                   every frame received, by its type
 *  'error' (ConveneError)             an `error` frame no request was waiting for
 *                                     (an `error` frame is never emitted raw as 'error')
 */
export class SignalingClient extends Emitter {
    /**
     * @param {SignalingOptions} options
     */
    constructor(options) {
        super();
        if (!options || typeof options.url !== 'string' || !options.url)
            throw new TypeError('SignalingClient: options.url is required');
        /** @type {SignalingOptions} */
        this._options = { ...options };
        /** @type {SignalingState} */
        this._state = 'idle';
        /** @type {any} the current WebSocket */
        this._ws = null;
        /** @type {Map<string, {resolve: (f: Frame) => void, reject: (e: ConveneError) => void, expect?: string, timer: any}>} */
        this._pending = new Map();
        this._nextRequestId = 1;
        this._attempt = 0;
        /** @type {any} */
        this._reconnectTimer = null;
        /** @type {any} */
        this._pingTimer = null;
        this._awaitingPong = false;
        this._closedByUser = false;
        /** @type {{resolve: () => void, reject: (e: ConveneError) => void}[]} */
        this._waiters = [];
    }

    /** @returns {SignalingState} */
    get state() { return this._state; }

    /** @returns {BackoffOptions | null} null when reconnecting is off */
    get _backoff() {
        const r = this._options.reconnect;
        if (r === false)
            return null;
        return typeof r === 'object' && r !== null ? r : {};
    }

    /**
     * Opens the socket; resolves when open, rejects (ConveneError) if it
     * closes first (code 401 "unauthorized" for close 1008).
     * @returns {Promise<void>}
     */
    connect() {
        if (this._state === 'open')
            return Promise.resolve();
        /** @type {Promise<void>} */
        const p = new Promise((resolve, reject) => this._waiters.push({ resolve, reject }));
        if (this._state === 'idle' || this._state === 'closed') {
            this._closedByUser = false;
            this._attempt = 0;
            this._state = 'connecting';
            this._openSocket();
        }
        return p;
    }

    _url() {
        const { url, token } = this._options;
        if (!token)
            return url;
        return url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
    }

    _openSocket() {
        const WS = this._options.WebSocket || /** @type {any} */ (globalThis).WebSocket;
        if (!WS) {
            this._onSocketClosed(1006, 'no WebSocket', false);
            return;
        }
        /** @type {any} */
        let ws;
        try {
            ws = new WS(this._url());
        } catch (err) {
            this._onSocketClosed(1006, String(err), false);
            return;
        }
        this._ws = ws;
        let opened = false;
        ws.onopen = () => {
            if (this._ws !== ws)
                return;
            opened = true;
            this._attempt = 0;
            this._state = 'open';
            this._startPing();
            const waiters = this._waiters.splice(0);
            for (const w of waiters)
                w.resolve();
            this.emit('open');
        };
        ws.onmessage = (/** @type {{data: any}} */ ev) => {
            if (this._ws === ws)
                this._onMessage(ev.data);
        };
        ws.onerror = () => { /* a close event follows */ };
        ws.onclose = (/** @type {{code?: number, reason?: string}} */ ev) => {
            if (this._ws !== ws)
                return;
            this._onSocketClosed(ev && typeof ev.code === 'number' ? ev.code : 1006, (ev && ev.reason) || '', opened);
        };
    }

    /**
     * @param {any} ws
     */
    _detach(ws) {
        if (!ws)
            return;
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    }

    /**
     * @param {number} code
     * @param {string} reason
     * @param {boolean} wasOpen
     */
    _onSocketClosed(code, reason, wasOpen) {
        this._detach(this._ws);
        this._ws = null;
        this._stopPing();
        // The server accepts the socket, then closes it with 1008 for a bad
        // token: a request sent meanwhile (the join) fails as unauthorized.
        this._rejectPending(code === 1008
            ? new ConveneError(401, 'unauthorized', reason || 'Unauthorized')
            : new ConveneError(0, 'closed', `connection closed (${code}${reason ? ' ' + reason : ''})`));
        const fatal = code === 1008 || code === 4000;
        const backoff = this._backoff;
        const firstConnect = this._state === 'connecting';
        if (!firstConnect && !fatal && backoff && !this._closedByUser) {
            this._state = 'reconnecting';
            if (wasOpen)
                this.emit('close', { code, reason, willReconnect: true });
            this._scheduleReconnect(backoff);
            return;
        }
        this._state = 'closed';
        const err = code === 1008
            ? new ConveneError(401, 'unauthorized', reason || 'Unauthorized')
            : new ConveneError(0, 'closed', `connection closed (${code}${reason ? ' ' + reason : ''})`);
        const waiters = this._waiters.splice(0);
        for (const w of waiters)
            w.reject(err);
        this.emit('close', { code, reason, willReconnect: false });
    }

    /**
     * @param {BackoffOptions} backoff
     */
    _scheduleReconnect(backoff) {
        const attempt = this._attempt + 1;
        const delayMs = backoffDelay(this._attempt, backoff);
        this._reconnectTimer = setTimeout(() => {
            this._reconnectTimer = null;
            if (this._state !== 'reconnecting')
                return;
            this._attempt += 1;
            this._openSocket();
        }, delayMs);
        this.emit('reconnecting', { attempt, delayMs });
    }

    _startPing() {
        this._stopPing();
        const every = this._options.pingIntervalMs ?? 20000;
        if (!(every > 0))
            return;
        this._awaitingPong = false;
        this._pingTimer = setInterval(() => {
            if (this._state !== 'open')
                return;
            if (this._awaitingPong) {
                // No pong for a whole interval: the link is dead, whatever TCP says.
                const ws = this._ws;
                this._detach(ws);
                try { ws.close(1000, 'ping timeout'); } catch { /* already closing */ }
                this._onSocketClosed(1006, 'ping timeout', true);
                return;
            }
            this._awaitingPong = true;
            try {
                this.send({ type: 'ping' });
            } catch { /* closing */ }
        }, every);
    }

    _stopPing() {
        if (this._pingTimer)
            clearInterval(this._pingTimer);
        this._pingTimer = null;
        this._awaitingPong = false;
    }

    /**
     * @param {ConveneError} err
     */
    _rejectPending(err) {
        const pending = [...this._pending.entries()];
        this._pending.clear();
        for (const [id, p] of pending) {
            clearTimeout(p.timer);
            p.reject(new ConveneError(err.code, err.reason, err.message, id));
        }
    }

    /**
     * @param {any} text
     */
    _onMessage(text) {
        /** @type {any} */
        let frame;
        try {
            frame = JSON.parse(typeof text === 'string' ? text : String(text));
        } catch {
            return;
        }
        if (!frame || typeof frame !== 'object' || Array.isArray(frame) || typeof frame.type !== 'string')
            return;
        if (frame.type === 'pong')
            this._awaitingPong = false;
        let claimed = false;
        if (frame.requestId !== undefined && frame.requestId !== null) {
            const key = String(frame.requestId);
            const p = this._pending.get(key);
            if (p && (frame.type === 'error' || !p.expect || p.expect === frame.type)) {
                this._pending.delete(key);
                clearTimeout(p.timer);
                claimed = true;
                if (frame.type === 'error')
                    p.reject(errorFromFrame(frame));
                else
                    p.resolve(frame);
            }
        }
        this.emit('frame', frame);
        if (frame.type === 'error') {
            if (!claimed)
                this.emit('error', errorFromFrame(frame));
        } else {
            this.emit(frame.type, frame);
        }
    }

    /**
     * Sends a frame (adds `timestamp`). Throws ConveneError('closed') when not open.
     * @param {Frame} frame
     */
    send(frame) {
        if (this._state !== 'open' || !this._ws || (this._ws.readyState !== undefined && this._ws.readyState !== WS_OPEN))
            throw new ConveneError(0, 'closed', 'not connected');
        const out = frame.timestamp === undefined ? { ...frame, timestamp: Date.now() } : frame;
        this._ws.send(JSON.stringify(out));
    }

    /**
     * Sends a frame with a fresh `requestId` and resolves with the first frame
     * that echoes it (of type `expect` when given); rejects with ConveneError
     * for an `error` frame that echoes it, or on timeout ('timeout') or close ('closed').
     * @param {Frame} frame
     * @param {string} [expect]
     * @returns {Promise<Frame>}
     */
    request(frame, expect) {
        const requestId = frame.requestId ?? `c${this._nextRequestId++}`;
        const key = String(requestId);
        return new Promise((resolve, reject) => {
            if (this._pending.has(key)) {
                reject(new ConveneError(0, 'bad_request', `requestId ${key} is already waiting`, requestId));
                return;
            }
            const timeoutMs = this._options.requestTimeoutMs ?? 10000;
            const timer = setTimeout(() => {
                this._pending.delete(key);
                reject(new ConveneError(0, 'timeout', `no reply to ${frame.type} within ${timeoutMs} ms`, requestId));
            }, timeoutMs);
            this._pending.set(key, { resolve, reject, expect, timer });
            try {
                this.send({ ...frame, requestId });
            } catch (err) {
                clearTimeout(timer);
                this._pending.delete(key);
                const e = /** @type {ConveneError} */ (err);
                reject(new ConveneError(e.code ?? 0, e.reason ?? 'closed', e.message, requestId));
            }
        });
    }

    /**
     * Closes for good (no reconnect).
     * @param {number} [code] 1000 by default
     * @param {string} [reason]
     */
    close(code = 1000, reason = '') {
        this._closedByUser = true;
        if (this._reconnectTimer)
            clearTimeout(this._reconnectTimer);
        this._reconnectTimer = null;
        this._stopPing();
        const ws = this._ws;
        this._ws = null;
        this._detach(ws);
        if (ws) {
            try { ws.close(code, reason); } catch { /* not open yet or already closed */ }
        }
        this._rejectPending(new ConveneError(0, 'closed', 'closed by the client'));
        const was = this._state;
        this._state = 'closed';
        const waiters = this._waiters.splice(0);
        for (const w of waiters)
            w.reject(new ConveneError(0, 'closed', 'closed by the client'));
        if (was !== 'closed' && was !== 'idle')
            this.emit('close', { code, reason, willReconnect: false });
    }
}

// --- stats --------------------------------------------------------------------------------

/**
 * @param {number} x
 * @param {number} digits
 */
function round(x, digits) {
    const f = Math.pow(10, digits);
    return Math.round(x * f) / f;
}

/**
 * @param {any} v
 * @returns {number | null}
 */
function numOrNull(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Normalises an RTCStatsReport (or a Map of stats objects). `previous` gives
 * the rates (bitrate, loss rate and frame rate over the time since it);
 * `midOwners` maps mid -> userId (applied to inbound streams). Pure: no
 * RTCPeerConnection needed.
 * @param {Map<string, any> | RTCStatsReport} report
 * @param {StatsSummary | null} [previous]
 * @param {Map<string, string> | null} [midOwners]
 * @returns {StatsSummary}
 */
export function normalizeStats(report, previous = null, midOwners = null) {
    /** @type {any[]} */
    const all = [];
    /** @type {Map<string, any>} */
    const byId = new Map();
    report.forEach((/** @type {any} */ s, /** @type {string} */ id) => {
        if (!s || typeof s !== 'object')
            return;
        all.push(s);
        byId.set(s.id ?? id, s);
    });
    let timestamp = 0;
    for (const s of all) {
        if (typeof s.timestamp === 'number' && s.timestamp > timestamp)
            timestamp = s.timestamp;
    }
    if (!timestamp)
        timestamp = Date.now();

    /** @type {Map<string, TrackStats>} */
    const prev = new Map();
    if (previous) {
        for (const t of [...(previous.inbound || []), ...(previous.outbound || [])])
            prev.set(`${t.direction}:${t.ssrc}:${t.rid ?? ''}`, t);
    }
    const dt = previous && timestamp > previous.timestamp ? (timestamp - previous.timestamp) / 1000 : 0;

    /**
     * @param {any} s
     * @param {string} type
     */
    const linked = (s, type) => {
        if (s.remoteId && byId.has(s.remoteId) && byId.get(s.remoteId).type === type)
            return byId.get(s.remoteId);
        return all.find((r) => r.type === type && (r.localId === s.id || (r.ssrc === s.ssrc && (r.kind ?? r.mediaType) === (s.kind ?? s.mediaType)))) || null;
    };

    /** @type {TrackStats[]} */
    const inbound = [];
    /** @type {TrackStats[]} */
    const outbound = [];
    for (const s of all) {
        if (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp')
            continue;
        const isIn = s.type === 'inbound-rtp';
        const kind = (s.kind ?? s.mediaType) === 'audio' ? 'audio' : 'video';
        const direction = isIn ? 'inbound' : 'outbound';
        const rid = typeof s.rid === 'string' ? s.rid : null;
        const ssrc = typeof s.ssrc === 'number' ? s.ssrc : 0;
        const p = prev.get(`${direction}:${ssrc}:${rid ?? ''}`) || null;
        const mid = s.mid !== undefined && s.mid !== null ? String(s.mid) : null;
        const codecStats = s.codecId ? byId.get(s.codecId) : null;
        const mime = codecStats && typeof codecStats.mimeType === 'string' ? codecStats.mimeType : null;
        const codec = mime ? (mime.includes('/') ? mime.slice(mime.indexOf('/') + 1) : mime) : null;
        const bytes = (isIn ? s.bytesReceived : s.bytesSent) ?? 0;
        const packets = (isIn ? s.packetsReceived : s.packetsSent) ?? 0;
        const remote = linked(s, isIn ? 'remote-outbound-rtp' : 'remote-inbound-rtp');
        const packetsLost = Math.max(0, (isIn ? s.packetsLost : remote && remote.packetsLost) ?? 0);

        let bitrateBps = 0;
        if (p && dt > 0 && typeof p.bytes === 'number' && bytes >= p.bytes)
            bitrateBps = Math.round(((bytes - p.bytes) * 8) / dt);

        let lossRate = 0;
        if (isIn) {
            const dRecv = p ? packets - p.packets : packets;
            const dLost = p ? packetsLost - p.packetsLost : packetsLost;
            const lost = Math.max(0, dLost);
            const total = Math.max(0, dRecv) + lost;
            lossRate = total > 0 ? lost / total : 0;
        } else if (remote && typeof remote.fractionLost === 'number') {
            lossRate = remote.fractionLost;
        } else if (remote) {
            const dSent = p ? packets - p.packets : packets;
            const dLost = Math.max(0, p ? packetsLost - p.packetsLost : packetsLost);
            lossRate = dSent > 0 ? Math.min(1, dLost / dSent) : 0;
        }
        lossRate = round(Math.min(1, Math.max(0, lossRate)), 4);

        const jitterS = isIn ? s.jitter : remote && remote.jitter;
        const jitterMs = typeof jitterS === 'number' ? round(jitterS * 1000, 3) : 0;
        const rttS = remote ? numOrNull(remote.roundTripTime) : null;
        const rttMs = rttS !== null ? round(rttS * 1000, 3) : null;

        const frames = kind === 'video' ? numOrNull(isIn ? s.framesDecoded : s.framesEncoded) : null;
        let framesPerSecond = kind === 'video' ? numOrNull(s.framesPerSecond) : null;
        if (framesPerSecond === null && kind === 'video' && frames !== null && p && dt > 0) {
            const before = isIn ? p.framesDecoded : p.framesEncoded;
            if (typeof before === 'number' && frames >= before)
                framesPerSecond = round((frames - before) / dt, 2);
        }
        /** @type {TrackStats} */
        const t = {
            kind, direction, mid,
            userId: isIn && mid !== null && midOwners ? (midOwners.get(mid) ?? null) : null,
            ssrc, rid, codec, bitrateBps, bytes, packets, packetsLost, lossRate, jitterMs, rttMs,
            framesPerSecond,
            framesDecoded: isIn && kind === 'video' ? frames : null,
            framesEncoded: !isIn && kind === 'video' ? frames : null,
            frameWidth: kind === 'video' ? numOrNull(s.frameWidth) : null,
            frameHeight: kind === 'video' ? numOrNull(s.frameHeight) : null,
        };
        (isIn ? inbound : outbound).push(t);
    }

    // The connection: the transport's selected candidate pair.
    const transport = all.find((s) => s.type === 'transport') || null;
    let pair = transport && transport.selectedCandidatePairId ? byId.get(transport.selectedCandidatePairId) : null;
    if (!pair)
        pair = all.find((s) => s.type === 'candidate-pair' && s.selected === true) ||
            all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') || null;
    const pairRtt = pair ? numOrNull(pair.currentRoundTripTime) : null;
    let connectionState = 'unknown';
    if (transport) {
        if (transport.dtlsState === 'connected')
            connectionState = 'connected';
        else if (typeof transport.dtlsState === 'string')
            connectionState = transport.dtlsState === 'new' ? 'connecting' : transport.dtlsState;
    }
    return {
        timestamp,
        connectionState,
        rttMs: pairRtt !== null ? round(pairRtt * 1000, 3) : null,
        availableOutgoingBitrate: pair ? numOrNull(pair.availableOutgoingBitrate) : null,
        inbound,
        outbound,
    };
}

/**
 * Thresholds: loss >= 2% warning, >= 10% critical; jitter >= 30 ms warning,
 * >= 100 ms critical; RTT >= 300 ms warning, >= 1000 ms critical. quality:
 * any critical -> poor, any warning -> degraded, else good.
 * @param {{lossRate?: number, jitterMs?: number, rttMs?: number | null}} sample
 * @returns {{quality: Quality, issues: QualityIssue[]}}
 */
export function classifyQuality(sample) {
    /** @type {QualityIssue[]} */
    const issues = [];
    /**
     * @param {'packet_loss' | 'jitter' | 'rtt'} type
     * @param {number | null | undefined} value
     * @param {number} warning
     * @param {number} critical
     */
    const check = (type, value, warning, critical) => {
        if (typeof value !== 'number' || !Number.isFinite(value))
            return;
        if (value >= critical)
            issues.push({ type, value, severity: 'critical' });
        else if (value >= warning)
            issues.push({ type, value, severity: 'warning' });
    };
    check('packet_loss', sample.lossRate, 0.02, 0.10);
    check('jitter', sample.jitterMs, 30, 100);
    check('rtt', sample.rttMs, 300, 1000);
    /** @type {Quality} */
    let quality = 'good';
    if (issues.some((i) => i.severity === 'critical'))
        quality = 'poor';
    else if (issues.length > 0)
        quality = 'degraded';
    return { quality, issues };
}

// --- SDP -------------------------------------------------------------------------------------

const RID_EXTENSIONS = ['urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
    'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id'];

/**
 * Repairs a remote offer that negotiates simulcast (a=rid / a=simulcast) on
 * an m-line without the RID header extensions, which browsers refuse ("negotiates
 * simulcast but does not negotiate the RID RTP header extension"): the
 * extensions are added with the ids of our own description of that mid.
 * Returns the SDP unchanged when nothing is missing. (The Convene server's
 * re-offers had this defect; see the client's report.)
 * @param {string} sdp the remote offer
 * @param {string | null | undefined} localSdp our current (or pending) local description
 * @returns {{sdp: string, repaired: number}}
 */
function repairSimulcastOffer(sdp, localSdp) {
    if (!localSdp || !/^a=(simulcast|rid):/m.test(sdp))
        return { sdp, repaired: 0 };
    const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
    const split = (/** @type {string} */ text) => text.split(/\r?\n(?=m=)/);
    /** @type {Map<string, string[]>} mid -> our extmap lines */
    const ours = new Map();
    for (const section of split(localSdp).slice(1)) {
        const mid = (section.match(/^a=mid:(\S+)/m) || [])[1];
        if (mid)
            ours.set(mid, section.split(/\r?\n/).filter((l) => l.startsWith('a=extmap:')));
    }
    let repaired = 0;
    const sections = split(sdp).map((section, i) => {
        if (i === 0 || !/^a=(simulcast|rid):/m.test(section))
            return section;
        const mid = (section.match(/^a=mid:(\S+)/m) || [])[1];
        const local = mid ? ours.get(mid) : undefined;
        if (!local)
            return section;
        const lines = section.split(/\r?\n/);
        /** @param {string[]} list @returns {{id: number, uri: string}[]} */
        const extmaps = (list) => list.map((l) => l.match(/^a=extmap:(\d+)(?:\/\S+)? (\S+)/))
            .filter((m) => m !== null).map((m) => ({ id: Number(/** @type {RegExpMatchArray} */ (m)[1]), uri: (/** @type {RegExpMatchArray} */ (m))[2] }));
        const theirs = extmaps(lines);
        const mine = extmaps(local);
        const used = new Set(theirs.map((e) => e.id));
        const add = [];
        for (const uri of RID_EXTENSIONS) {
            const own = mine.find((e) => e.uri === uri);
            if (theirs.some((e) => e.uri === uri) || !own || used.has(own.id))
                continue;
            used.add(own.id);
            add.push(`a=extmap:${own.id} ${uri}`);
        }
        if (add.length === 0)
            return section;
        repaired += add.length;
        let at = -1;
        lines.forEach((l, j) => { if (l.startsWith('a=extmap:') || l.startsWith('a=mid:')) at = j; });
        lines.splice(at >= 0 ? at + 1 : 1, 0, ...add);
        return lines.join(eol);
    });
    return { sdp: sections.join(eol), repaired };
}

// --- one PeerConnection ----------------------------------------------------------------------

/**
 * The simulcast layers h/m/l; `maxBitrate` caps h (the others scale with their area).
 * @param {number} [maxBitrate]
 * @returns {RTCRtpEncodingParameters[]}
 */
function simulcastEncodings(maxBitrate) {
    const h = maxBitrate ?? 2000000;
    return [
        { rid: 'h', maxBitrate: h },
        { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: maxBitrate ? Math.round(h / 4) : 500000 },
        { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: maxBitrate ? Math.round(h / 16) : 150000 },
    ];
}

/**
 * One RTCPeerConnection with perfect negotiation (the seed guide's
 * WebRTCPeerEngine). With the server the engine is polite. Events:
 *  'signal' ({type: 'offer' | 'ice-candidate', data})   to send to the peer
 *                                     (answers are not emitted: handleOffer returns them)
 *  'track' (RTCTrackEvent)
 *  'connectionstatechange' (state)
 *  'ice-restart' ()                   an ICE restart was started
 *  'datachannel' (RTCDataChannel)     a channel the peer opened
 *  'error' (Error)                    a local offer could not be made
 *
 * `negotiation` counts what happened (offers, rollbacks, ignoredOffers,
 * iceRestarts, sdpRepairs: remote offers fixed by repairSimulcastOffer), for
 * tests and diagnostics.
 */
export class PeerEngine extends Emitter {
    /**
     * @param {string} peerId
     * @param {RTCConfiguration} [rtcConfig]
     * @param {boolean} [polite] true by default (the client side towards the server)
     * @param {{iceRestartAfterMs?: number}} [options]
     */
    constructor(peerId, rtcConfig = {}, polite = true, options = {}) {
        super();
        /** @type {string} */
        this._peerId = peerId;
        /** @type {RTCConfiguration} */
        this._rtcConfig = rtcConfig || {};
        /** @type {boolean} */
        this._polite = polite !== false;
        this._iceRestartAfterMs = options.iceRestartAfterMs ?? 4000;
        /** @type {RTCPeerConnection | null} */
        this._pc = null;
        this.makingOffer = false;
        this.ignoreOffer = false;
        this.isSettingRemoteAnswerPending = false;
        /** @type {(RTCIceCandidateInit | null)[]} candidates that came before the remote description */
        this._pendingCandidates = [];
        /** @type {RTCRtpTransceiver[]} the transceivers we send on */
        this._sending = [];
        /** @type {any} */
        this._disconnectTimer = null;
        this._closed = false;
        /** @type {StatsSummary | null} */
        this._lastSummary = null;
        this.negotiation = { offers: 0, rollbacks: 0, ignoredOffers: 0, iceRestarts: 0, sdpRepairs: 0 };
    }

    /** @returns {string} */
    get peerId() { return this._peerId; }
    /** @returns {boolean} */
    get polite() { return this._polite; }
    /** @returns {RTCPeerConnection | null} */
    get pc() { return this._pc; }

    /**
     * Creates the RTCPeerConnection (once).
     * @returns {Promise<void>}
     */
    async initialize() {
        this._init();
    }

    /** @returns {RTCPeerConnection} */
    _init() {
        if (this._pc)
            return this._pc;
        if (typeof RTCPeerConnection === 'undefined')
            throw new ConveneError(0, 'unsupported', 'RTCPeerConnection is not available');
        const pc = new RTCPeerConnection(this._rtcConfig);
        this._pc = pc;
        pc.onnegotiationneeded = () => { this._makeOffer(); };
        pc.onicecandidate = (ev) => {
            if (this._closed)
                return;
            this.emit('signal', { type: 'ice-candidate', data: ev.candidate ? ev.candidate.toJSON() : null });
        };
        pc.ontrack = (ev) => this.emit('track', ev);
        pc.ondatachannel = (ev) => this.emit('datachannel', ev.channel);
        if ('connectionState' in RTCPeerConnection.prototype)
            pc.onconnectionstatechange = () => this._onConnectionState(pc.connectionState);
        else    // older Firefox: the ICE state is the closest thing
            /** @type {any} */ (pc).oniceconnectionstatechange = () => this._onConnectionState(pc.iceConnectionState);
        return pc;
    }

    /** @returns {RTCPeerConnection} */
    _requirePc() {
        if (this._closed)
            throw new ConveneError(0, 'closed', `peer ${this._peerId} is closed`);
        return this._init();
    }

    /**
     * @param {{iceRestart?: boolean}} [opts]
     */
    async _makeOffer(opts = {}) {
        const pc = this._pc;
        if (!pc || this._closed)
            return;
        try {
            this.makingOffer = true;
            if (opts.iceRestart) {
                const offer = await pc.createOffer({ iceRestart: true });
                if (pc.signalingState !== 'stable')
                    return;
                await pc.setLocalDescription(offer);
            } else {
                await pc.setLocalDescription();
            }
            // Rolled back meanwhile (a remote offer won): nothing to send.
            const desc = pc.localDescription;
            if (this._closed || pc.signalingState !== 'have-local-offer' || !desc || desc.type !== 'offer')
                return;
            this.negotiation.offers++;
            this.emit('signal', { type: 'offer', data: desc.toJSON() });
        } catch (err) {
            if (!this._closed)
                this.emit('error', err);
        } finally {
            this.makingOffer = false;
        }
    }

    /**
     * Sends the stream's tracks (sendonly transceivers; video as simulcast when asked).
     * A kind we already send is replaced (replaceTrack), not added again.
     * @param {MediaStream} stream
     * @param {AddStreamOptions} [options]
     * @returns {Promise<void>}
     */
    async addStream(stream, options = {}) {
        const pc = this._requirePc();
        for (const track of stream.getTracks()) {
            const existing = this._sendTransceiver(track.kind);
            if (existing) {
                await existing.sender.replaceTrack(track);
                continue;
            }
            /** @type {RTCRtpTransceiverInit} */
            const init = { direction: 'sendonly', streams: [stream] };
            if (track.kind === 'video' && options.simulcast)
                init.sendEncodings = simulcastEncodings(options.maxBitrate);
            else if (track.kind === 'video' && options.maxBitrate)
                init.sendEncodings = [{ maxBitrate: options.maxBitrate }];
            this._sending.push(pc.addTransceiver(track, init));
        }
    }

    /**
     * @param {string} kind
     * @returns {RTCRtpTransceiver | null}
     */
    _sendTransceiver(kind) {
        return this._sending.find((t) => t.receiver.track && t.receiver.track.kind === kind &&
            !(/** @type {any} */ (t).stopped) && t.direction !== 'stopped') || null;
    }

    /**
     * Applies an offer and returns the answer to send, or null when the offer
     * was ignored (impolite side, collision). The polite side rolls its own
     * offer back first (negotiationneeded then offers again if still needed).
     * @param {RTCSessionDescriptionInit} offer
     * @returns {Promise<RTCSessionDescriptionInit | null>}
     */
    async handleOffer(offer) {
        const pc = this._requirePc();
        const collision = this.makingOffer || (pc.signalingState !== 'stable' && !this.isSettingRemoteAnswerPending);
        this.ignoreOffer = !this._polite && collision;
        if (this.ignoreOffer) {
            this.negotiation.ignoredOffers++;
            return null;
        }
        if (collision)
            this.negotiation.rollbacks++;
        if (typeof offer.sdp === 'string') {
            const local = pc.currentLocalDescription || pc.localDescription;
            const fixed = repairSimulcastOffer(offer.sdp, local && local.sdp);
            if (fixed.repaired > 0) {
                this.negotiation.sdpRepairs++;
                offer = { type: offer.type, sdp: fixed.sdp };
            }
        }
        await this._setRemote(offer);
        await pc.setLocalDescription();
        const answer = pc.localDescription;
        if (!answer || answer.type !== 'answer')
            throw new ConveneError(0, 'negotiation', 'no answer after applying the offer');
        return answer.toJSON();
    }

    /**
     * setRemoteDescription with the implicit rollback of a pending local
     * offer; an explicit rollback where the browser refuses that.
     * @param {RTCSessionDescriptionInit} desc
     */
    async _setRemote(desc) {
        const pc = this._requirePc();
        try {
            await pc.setRemoteDescription(desc);
        } catch (err) {
            if (desc.type !== 'offer' || pc.signalingState !== 'have-local-offer')
                throw err;
            await pc.setLocalDescription({ type: 'rollback' });
            await pc.setRemoteDescription(desc);
        }
        await this._flushCandidates();
    }

    /**
     * Applies the answer to our offer. A stale answer (no offer of ours
     * outstanding) is ignored.
     * @param {RTCSessionDescriptionInit} answer
     * @returns {Promise<void>}
     */
    async handleAnswer(answer) {
        const pc = this._requirePc();
        if (pc.signalingState === 'stable' && !this.makingOffer)
            return;
        this.isSettingRemoteAnswerPending = true;
        try {
            await this._setRemote(answer);
        } finally {
            this.isSettingRemoteAnswerPending = false;
        }
    }

    /**
     * Applies a remote candidate (null: end of candidates); ignored while an
     * ignored offer's candidates arrive. Candidates that arrive before the
     * remote description wait for it.
     * @param {RTCIceCandidateInit | null} candidate
     * @returns {Promise<void>}
     */
    async addIceCandidate(candidate) {
        const pc = this._requirePc();
        if (!pc.remoteDescription) {
            if (!this.ignoreOffer)
                this._pendingCandidates.push(candidate);
            return;
        }
        try {
            if (candidate)
                await pc.addIceCandidate(candidate);
            else
                await pc.addIceCandidate();
        } catch (err) {
            if (!this.ignoreOffer)
                throw err;
        }
    }

    async _flushCandidates() {
        const pc = this._pc;
        if (!pc || !pc.remoteDescription)
            return;
        const list = this._pendingCandidates.splice(0);
        for (const c of list) {
            try {
                if (c)
                    await pc.addIceCandidate(c);
                else
                    await pc.addIceCandidate();
            } catch { /* a candidate of a description that is gone */ }
        }
    }

    /**
     * @param {string} state
     */
    _onConnectionState(state) {
        if (this._closed)
            return;
        this.emit('connectionstatechange', state);
        if (state === 'failed') {
            this._clearDisconnectTimer();
            this.restartIce();
        } else if (state === 'disconnected') {
            if (!this._disconnectTimer) {
                this._disconnectTimer = setTimeout(() => {
                    this._disconnectTimer = null;
                    const pc = this._pc;
                    const now = pc ? (pc.connectionState ?? pc.iceConnectionState) : 'closed';
                    if (!this._closed && now === 'disconnected')
                        this.restartIce();
                }, this._iceRestartAfterMs);
            }
        } else {
            this._clearDisconnectTimer();
        }
    }

    _clearDisconnectTimer() {
        if (this._disconnectTimer)
            clearTimeout(this._disconnectTimer);
        this._disconnectTimer = null;
    }

    /**
     * Starts an ICE restart: the next offer has new ICE credentials.
     */
    restartIce() {
        const pc = this._pc;
        if (!pc || this._closed)
            return;
        this.negotiation.iceRestarts++;
        this.emit('ice-restart');
        if (typeof pc.restartIce === 'function')
            pc.restartIce();
        else if (pc.signalingState === 'stable')
            this._makeOffer({ iceRestart: true });
    }

    /**
     * Stats of this connection, normalised (rates since the previous call).
     * @param {Map<string, string>} [midOwners] mid -> userId of inbound streams
     * @returns {Promise<StatsSummary>}
     */
    async getDetailedStats(midOwners) {
        const pc = this._requirePc();
        const report = await pc.getStats();
        // Browsers without `mid` in RTP stats: find it through the receiver's track.
        /** @type {Map<string, string>} */
        const midOfTrack = new Map();
        for (const t of pc.getTransceivers()) {
            if (t.mid !== null && t.receiver.track)
                midOfTrack.set(t.receiver.track.id, t.mid);
        }
        /** @type {Map<string, any>} */
        const stats = new Map();
        report.forEach((/** @type {any} */ s, /** @type {string} */ id) => {
            if (s.type === 'inbound-rtp' && s.mid == null && midOfTrack.has(s.trackIdentifier))
                s = { ...s, mid: midOfTrack.get(s.trackIdentifier) };
            stats.set(id, s);
        });
        const summary = normalizeStats(stats, this._lastSummary, midOwners || null);
        summary.connectionState = pc.connectionState ?? pc.iceConnectionState;
        this._lastSummary = summary;
        return summary;
    }

    /**
     * Replaces the sent track of that kind (null: send nothing). No
     * renegotiation, unless nothing of that kind was sent yet.
     * @param {'audio' | 'video'} kind
     * @param {MediaStreamTrack | null} track
     * @returns {Promise<void>}
     */
    async replaceTrack(kind, track) {
        const pc = this._requirePc();
        const tx = this._sendTransceiver(kind);
        if (tx) {
            await tx.sender.replaceTrack(track);
            return;
        }
        if (!track)
            return;
        const stream = new MediaStream([track]);
        this._sending.push(pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] }));
    }

    /**
     * Caps the video we send (simulcast: layer h gets bps, the others scale
     * with their area).
     * @param {number} bps
     * @returns {Promise<void>}
     */
    async setMaxBitrate(bps) {
        this._requirePc();
        for (const tx of this._sending) {
            if (!tx.receiver.track || tx.receiver.track.kind !== 'video')
                continue;
            const params = tx.sender.getParameters();
            if (!params.encodings || params.encodings.length === 0)
                params.encodings = [{}];
            for (const enc of params.encodings) {
                const scale = enc.scaleResolutionDownBy || 1;
                enc.maxBitrate = Math.max(1, Math.round(bps / (scale * scale)));
            }
            await tx.sender.setParameters(params);
        }
    }

    /**
     * @param {string} label
     * @param {RTCDataChannelInit} [options]
     * @returns {RTCDataChannel}
     */
    createDataChannel(label, options) {
        return this._requirePc().createDataChannel(label, options);
    }

    /**
     * Closes the connection (for good).
     */
    close() {
        if (this._closed)
            return;
        this._closed = true;
        this._clearDisconnectTimer();
        this._pendingCandidates = [];
        if (this._pc) {
            try { this._pc.close(); } catch { /* closed */ }
        }
        this.emit('connectionstatechange', 'closed');
    }
}

// --- a room -----------------------------------------------------------------------------------

/**
 * @typedef {object} RoomPeer
 * @property {string} peerId
 * @property {PeerEngine} engine
 * @property {RTCDataChannel | null} channel     the channel we send on
 * @property {Promise<void>} queue               incoming signaling, in order
 * @property {MediaStream | null} stream         mesh: the peer's media
 */

/**
 * A room in SFU or mesh topology, the same API for both (the seed guide's
 * WebRTCSFUEngine). Events:
 *  'joined' (JoinedInfo)
 *  'participant-joined' (Participant)     'participant-left' (Participant, reason)
 *  'participant-updated' (Participant)    (mute state)
 *  'stream' ({userId, stream})            a participant's media arrived (or changed)
 *  'stream-removed' ({userId})
 *  'data' ({userId, data, targetUserId?}) from the data channel
 *  'message' ({userId, data})             a signaling `message`
 *  'quality' (QualityEvent)               from startQualityMonitoring
 *  'quality-warning' (Frame)              the server's quality-warning frame
 *  'state' ('connecting'|'joined'|'reconnecting'|'left'|'kicked'|'closed')
 *  'kicked' ({reason})  'room-closed' ({reason})  'error' (ConveneError)
 */
export class RoomEngine extends Emitter {
    /**
     * @param {RoomOptions} options
     */
    constructor(options) {
        super();
        if (!options || !options.url || !options.roomId)
            throw new TypeError('RoomEngine: options.url and options.roomId are required');
        /** @type {RoomOptions} */
        this._options = { ...options };
        this._signaling = new SignalingClient({ url: options.url, token: options.token, reconnect: options.reconnect });
        /** @type {string} */
        this._roomId = options.roomId;
        /** @type {string | null} */
        this._userId = options.userId ?? null;
        /** @type {'sfu' | 'mesh' | null} */
        this._topology = null;
        /** @type {Map<string, Participant>} */
        this._participants = new Map();
        /** @type {MediaStream | null} */
        this._localStream = null;
        /** @type {Map<string, RoomPeer>} */
        this._peers = new Map();
        /** @type {Map<string, TrackInfo>} SFU: mid -> forwarded track */
        this._tracksByMid = new Map();
        /** @type {Map<string, MediaStream>} userId -> their media */
        this._remoteStreams = new Map();
        /** @type {RTCIceServer[]} */
        this._iceServers = [];
        this._joined = false;
        this._resumePending = false;
        /** @type {string} */
        this._state = 'idle';
        this._audioEnabled = true;
        this._videoEnabled = true;
        /** @type {MediaStream | null} */
        this._screen = null;
        /** @type {number | undefined} */
        this._maxBitrate = undefined;
        /** @type {any} */
        this._monitor = null;
        this._monitorBusy = false;
        this._wire();
    }

    /** @returns {string} */
    get roomId() { return this._roomId; }
    /** @returns {string | null} */
    get userId() { return this._userId; }
    /** @returns {'sfu' | 'mesh' | null} */
    get topology() { return this._topology; }
    /** @returns {Map<string, Participant>} */
    get participants() { return this._participants; }
    /** @returns {MediaStream | null} */
    get localStream() { return this._localStream; }
    /** @returns {SignalingClient} */
    get signaling() { return this._signaling; }
    /** The room's state: 'idle' before join, then as in the 'state' event. @returns {string} */
    get state() { return this._state; }
    /** The PeerEngines, by peer ('sfu', or the participant in mesh rooms). @returns {Map<string, PeerEngine>} */
    get peers() { return new Map([...this._peers].map(([id, p]) => [id, p.engine])); }

    /**
     * @param {'connecting' | 'joined' | 'reconnecting' | 'left' | 'kicked' | 'closed'} state
     */
    _setState(state) {
        if (this._state === state)
            return;
        this._state = state;
        this.emit('state', state);
    }

    /**
     * @param {unknown} err
     * @param {string} [what]
     */
    _error(err, what) {
        const e = err instanceof ConveneError ? err
            : new ConveneError(0, 'internal', `${what ? what + ': ' : ''}${err instanceof Error ? err.message : String(err)}`);
        this.emit('error', e);
    }

    _wire() {
        const s = this._signaling;
        for (const type of ['offer', 'answer', 'ice-candidate'])
            s.on(type, (/** @type {Frame} */ f) => this._onSignal(f));
        s.on('user-joined', (/** @type {Frame} */ f) => this._onUserJoined(f));
        s.on('user-left', (/** @type {Frame} */ f) => this._onUserLeft(f));
        s.on('user-updated', (/** @type {Frame} */ f) => this._onUserUpdated(f));
        s.on('message', (/** @type {Frame} */ f) => {
            /** @type {any} */
            const out = { userId: f.userId, data: f.data };
            if (f.targetUserId !== undefined)
                out.targetUserId = f.targetUserId;
            this.emit('message', out);
        });
        s.on('quality-warning', (/** @type {Frame} */ f) => this.emit('quality-warning', f));
        s.on('kicked', (/** @type {Frame} */ f) => {
            const reason = f.data && f.data.reason;
            this._teardown();
            this._setState('kicked');
            this.emit('kicked', { reason });
            this._signaling.close(1000, 'kicked');
        });
        s.on('room-closed', (/** @type {Frame} */ f) => {
            const reason = f.data && f.data.reason;
            this._teardown();
            this._setState('closed');
            this.emit('room-closed', { reason });
            this._signaling.close(1000, 'room closed');
        });
        s.on('error', (/** @type {ConveneError} */ e) => this.emit('error', e));
        s.on('close', (/** @type {{code: number, reason: string, willReconnect: boolean}} */ ev) => {
            if (!this._joined && !this._resumePending)
                return;
            if (ev.willReconnect) {
                this._resumePending = true;
                this._setState('reconnecting');
            } else if (this._state !== 'left' && this._state !== 'kicked' && this._state !== 'closed') {
                this._teardown();
                this._resumePending = false;
                this._setState('closed');
                this.emit('error', new ConveneError(ev.code === 1008 ? 401 : 0, ev.code === 1008 ? 'unauthorized' : 'closed',
                    `signaling closed (${ev.code}${ev.reason ? ' ' + ev.reason : ''})`));
            }
        });
        s.on('open', () => {
            if (this._resumePending)
                this._rejoin();
        });
    }

    // --- joining ---------------------------------------------------------------------

    /** @returns {{audio: boolean, video: boolean}} */
    _publishState() {
        if (this._options.receiveOnly)
            return { audio: false, video: false };
        const s = this._localStream;
        const video = this._screen ? true : !!(s && s.getVideoTracks().length > 0);
        return {
            audio: !!(s && s.getAudioTracks().length > 0) && this._audioEnabled,
            video: video && this._videoEnabled,
        };
    }

    /**
     * @param {boolean} resume
     * @returns {Promise<Frame>}
     */
    _sendJoin(resume) {
        /** @type {any} */
        const data = { publish: this._publishState() };
        if (this._options.displayName)
            data.displayName = this._options.displayName;
        if (resume)
            data.resume = true;
        /** @type {Frame} */
        const frame = { type: 'join', roomId: this._roomId, data };
        if (this._userId)
            frame.userId = this._userId;
        return this._signaling.request(frame, 'joined');
    }

    /**
     * Connects, joins, and starts publishing the local stream if one was set.
     * Rejects with ConveneError (403, 404, 503, ...).
     * @returns {Promise<JoinedInfo>}
     */
    async join() {
        if (this._joined)
            throw new ConveneError(409, 'conflict', 'already joined');
        this._setState('connecting');
        try {
            if (this._signaling.state !== 'open')
                await this._signaling.connect();
            const reply = await this._sendJoin(false);
            return this._onJoined(reply);
        } catch (err) {
            this._signaling.close(1000, 'join failed');
            this._setState('closed');
            throw err;
        }
    }

    /**
     * @param {any} p a participant of `joined` (object or bare id)
     * @returns {Participant}
     */
    _participantFrom(p) {
        const o = typeof p === 'string' ? { userId: p } : (p || {});
        const media = o.media && typeof o.media === 'object' ? o.media : {};
        return {
            userId: String(o.userId),
            displayName: typeof o.displayName === 'string' && o.displayName ? o.displayName : String(o.userId),
            media: { audio: media.audio !== false, video: media.video !== false },
            stream: this._remoteStreams.get(String(o.userId)) || null,
        };
    }

    /**
     * @param {Frame} frame
     * @returns {any[]}
     */
    _participantList(frame) {
        const d = frame.data || {};
        const list = Array.isArray(d.participants) ? d.participants : (frame.participants || []);
        return list.filter((/** @type {any} */ p) => p && (typeof p === 'string' || p.userId) &&
            (typeof p === 'string' ? p : p.userId) !== this._userId);
    }

    /**
     * @param {Frame} frame
     * @returns {JoinedInfo}
     */
    _onJoined(frame) {
        const d = frame.data || {};
        this._userId = frame.userId || this._userId;
        this._topology = d.topology === 'mesh' ? 'mesh' : 'sfu';
        this._iceServers = Array.isArray(d.iceServers) ? d.iceServers : [];
        this._participants.clear();
        for (const p of this._participantList(frame)) {
            const part = this._participantFrom(p);
            this._participants.set(part.userId, part);
        }
        this._joined = true;
        this._setState('joined');
        this._setupPeers();
        /** @type {JoinedInfo} */
        const info = {
            roomId: frame.roomId || this._roomId,
            userId: /** @type {string} */ (this._userId),
            topology: this._topology,
            participants: [...this._participants.values()],
            maxParticipants: typeof d.maxParticipants === 'number' ? d.maxParticipants : null,
            iceServers: this._iceServers,
        };
        this.emit('joined', info);
        return info;
    }

    _setupPeers() {
        if (this._topology === 'sfu') {
            this._setupSfu();
        } else {
            for (const id of this._participants.keys())
                this._createMeshPeer(id, true);
        }
    }

    async _rejoin() {
        try {
            const reply = await this._sendJoin(true);
            const d = reply.data || {};
            const before = new Map(this._participants);
            /** @type {Participant[]} */
            const joinedNow = [];
            const list = this._participantList(reply);
            const now = new Set(list.map((p) => String(typeof p === 'string' ? p : p.userId)));
            for (const [id, p] of before) {
                if (!now.has(id)) {
                    this._removeParticipant(id, 'disconnected');
                    void p;
                }
            }
            for (const raw of list) {
                const fresh = this._participantFrom(raw);
                const old = this._participants.get(fresh.userId);
                if (old) {
                    if (old.media.audio !== fresh.media.audio || old.media.video !== fresh.media.video) {
                        old.media = fresh.media;
                        this.emit('participant-updated', old);
                    }
                } else {
                    this._participants.set(fresh.userId, fresh);
                    joinedNow.push(fresh);
                }
            }
            this._userId = reply.userId || this._userId;
            this._resumePending = false;
            if (!d.resumed) {
                // The server dropped us meanwhile: new PeerConnections, publish again.
                this._closePeers();
                this._tracksByMid.clear();
                if (Array.isArray(d.iceServers))
                    this._iceServers = d.iceServers;
                this._setupPeers();
            }
            this._setState('joined');
            for (const p of joinedNow)
                this.emit('participant-joined', p);
        } catch (err) {
            this._resumePending = false;
            this._teardown();
            this._setState('closed');
            this._signaling.close(1000, 'rejoin failed');
            this._error(err, 'rejoin');
        }
    }

    /** @returns {RTCConfiguration} */
    _rtcConfig() {
        const base = this._options.rtcConfig || {};
        return { ...base, iceServers: [...(base.iceServers || []), ...this._iceServers] };
    }

    /**
     * What we send: the local stream's tracks, the screen instead of the camera while sharing.
     * @returns {MediaStream | null}
     */
    _sendStream() {
        if (this._options.receiveOnly)
            return null;
        const tracks = [];
        const s = this._localStream;
        if (s)
            tracks.push(...s.getAudioTracks());
        if (this._screen)
            tracks.push(...this._screen.getVideoTracks().slice(0, 1));
        else if (s)
            tracks.push(...s.getVideoTracks().slice(0, 1));
        if (tracks.length === 0)
            return null;
        if (s && !this._screen)
            return s;
        return new MediaStream(tracks);
    }

    /**
     * @param {string} peerId
     * @param {boolean} polite
     * @returns {RoomPeer}
     */
    _newPeer(peerId, polite) {
        const engine = new PeerEngine(peerId, this._rtcConfig(), polite,
            { iceRestartAfterMs: this._options.iceRestartAfterMs });
        engine._init();
        /** @type {RoomPeer} */
        const peer = { peerId, engine, channel: null, queue: Promise.resolve(), stream: null };
        this._peers.set(peerId, peer);
        const target = this._topology === 'mesh' ? peerId : undefined;
        engine.on('signal', (/** @type {{type: string, data: any}} */ s) => this._sendSignal(target, s.type, s.data));
        engine.on('error', (/** @type {unknown} */ e) => this._error(e, `negotiation with ${peerId}`));
        engine.on('datachannel', (/** @type {RTCDataChannel} */ ch) => this._watchChannel(peer, ch));
        return peer;
    }

    _setupSfu() {
        const peer = this._newPeer('sfu', true);
        peer.engine.on('track', (/** @type {RTCTrackEvent} */ ev) => this._onSfuTrack(ev));
        if (this._options.dataChannel !== false) {
            peer.channel = peer.engine.createDataChannel('chat');
            this._watchChannel(peer, peer.channel);
        }
        const stream = this._sendStream();
        if (stream) {
            peer.engine.addStream(stream, { simulcast: this._options.simulcast !== false, maxBitrate: this._maxBitrate })
                .catch((err) => this._error(err, 'publishing'));
        }
    }

    /**
     * @param {string} peerId
     * @param {boolean} polite
     * @returns {RoomPeer}
     */
    _createMeshPeer(peerId, polite) {
        const existing = this._peers.get(peerId);
        if (existing)
            return existing;
        const peer = this._newPeer(peerId, polite);
        peer.engine.on('track', (/** @type {RTCTrackEvent} */ ev) => {
            let stream = ev.streams[0];
            if (!stream) {
                stream = peer.stream || new MediaStream();
                if (!stream.getTracks().includes(ev.track))
                    stream.addTrack(ev.track);
            }
            peer.stream = stream;
            this._setRemoteStream(peerId, stream);
        });
        if (this._options.dataChannel !== false) {
            // Both ends create it: no in-band announcement to wait for.
            peer.channel = peer.engine.createDataChannel('chat', { negotiated: true, id: 0 });
            this._watchChannel(peer, peer.channel);
        }
        const stream = this._sendStream();
        if (stream) {
            peer.engine.addStream(stream, { maxBitrate: this._maxBitrate })
                .catch((err) => this._error(err, `publishing to ${peerId}`));
        }
        return peer;
    }

    /**
     * @param {string | undefined} target
     * @param {string} type
     * @param {any} data
     */
    _sendSignal(target, type, data) {
        /** @type {Frame} */
        const frame = { type, data };
        if (target)
            frame.targetUserId = target;
        if (this._signaling.state !== 'open')
            return;     // dropped: the rejoin sets things up again
        try {
            this._signaling.send(frame);
        } catch { /* closing */ }
    }

    /**
     * @param {Frame} frame
     */
    _onSignal(frame) {
        if (!this._joined)
            return;
        const from = frame.userId;
        /** @type {RoomPeer | undefined} */
        let peer;
        if (this._topology === 'sfu') {
            if (from !== 'sfu' && from !== undefined)
                return;
            peer = this._peers.get('sfu');
        } else if (typeof from === 'string' && from !== this._userId) {
            peer = this._peers.get(from);
            if (!peer && frame.type === 'offer')
                peer = this._createMeshPeer(from, true);
        }
        if (!peer)
            return;
        const p = peer;
        p.queue = p.queue.then(() => this._applySignal(p, frame)).catch((err) => {
            if (this._peers.get(p.peerId) === p)
                this._error(err, `${frame.type} from ${from}`);
        });
    }

    /**
     * @param {RoomPeer} peer
     * @param {Frame} frame
     */
    async _applySignal(peer, frame) {
        if (this._peers.get(peer.peerId) !== peer)
            return;     // closed meanwhile
        const engine = peer.engine;
        if (frame.type === 'offer') {
            const sfu = this._topology === 'sfu';
            /** @type {Set<string> | null} */
            let before = null;
            if (sfu && Array.isArray(frame.tracks)) {
                // Every forwarded track is listed: what is not is gone.
                before = new Set([...this._tracksByMid.values()].map((t) => t.userId));
                this._tracksByMid = new Map(frame.tracks.map((/** @type {TrackInfo} */ t) => [String(t.mid), t]));
            }
            const answer = await engine.handleOffer(frame.data);
            if (answer)
                this._sendSignal(sfu ? undefined : peer.peerId, 'answer', answer);
            if (before) {
                const now = new Set([...this._tracksByMid.values()].map((t) => t.userId));
                for (const userId of before) {
                    if (!now.has(userId))
                        this._dropRemoteStream(userId);
                }
            }
        } else if (frame.type === 'answer') {
            await engine.handleAnswer(frame.data);
        } else if (frame.type === 'ice-candidate') {
            try {
                await engine.addIceCandidate(frame.data ?? null);
            } catch {
                // A candidate gathered for a description that was rolled back
                // (or that the server no longer uses): harmless.
            }
        }
    }

    /**
     * @param {RTCTrackEvent} ev
     */
    _onSfuTrack(ev) {
        const mid = ev.transceiver ? ev.transceiver.mid : null;
        const info = mid !== null ? this._tracksByMid.get(mid) : undefined;
        // The server's map first: a stream id is the publisher's id only when
        // that id is a valid msid token (else "u<hash>").
        const userId = info ? info.userId : (ev.streams[0] ? ev.streams[0].id : null);
        if (!userId || userId === this._userId)
            return;
        let stream = ev.streams[0];
        if (!stream) {
            stream = this._remoteStreams.get(userId) || new MediaStream();
            if (!stream.getTracks().includes(ev.track))
                stream.addTrack(ev.track);
        }
        this._setRemoteStream(userId, stream);
    }

    /**
     * @param {string} userId
     * @param {MediaStream} stream
     */
    _setRemoteStream(userId, stream) {
        this._remoteStreams.set(userId, stream);
        const p = this._participants.get(userId);
        if (p)
            p.stream = stream;
        this.emit('stream', { userId, stream });
    }

    /**
     * @param {string} userId
     */
    _dropRemoteStream(userId) {
        if (!this._remoteStreams.has(userId))
            return;
        this._remoteStreams.delete(userId);
        const p = this._participants.get(userId);
        if (p)
            p.stream = null;
        this.emit('stream-removed', { userId });
    }

    // --- presence ----------------------------------------------------------------------

    /**
     * @param {Frame} frame
     */
    _onUserJoined(frame) {
        if (!this._joined || typeof frame.userId !== 'string' || frame.userId === this._userId)
            return;
        const d = frame.data || {};
        const id = frame.userId;
        if (this._topology === 'mesh' && this._peers.has(id)) {
            // The same user on a new connection: start afresh.
            this._closePeer(id);
            this._dropRemoteStream(id);
        }
        const p = this._participantFrom({ userId: id, displayName: d.displayName, media: d.media });
        const existing = this._participants.get(id);
        if (existing) {
            existing.displayName = p.displayName;
            existing.media = p.media;
        } else {
            this._participants.set(id, p);
        }
        // The member who was there first offers to the newcomer (impolite side).
        if (this._topology === 'mesh')
            this._createMeshPeer(id, false);
        this.emit('participant-joined', existing || p);
    }

    /**
     * @param {Frame} frame
     */
    _onUserLeft(frame) {
        if (!this._joined || typeof frame.userId !== 'string')
            return;
        this._removeParticipant(frame.userId, (frame.data && frame.data.reason) || 'left');
    }

    /**
     * @param {string} id
     * @param {string} reason
     */
    _removeParticipant(id, reason) {
        if (this._topology === 'mesh')
            this._closePeer(id);
        this._dropRemoteStream(id);
        const p = this._participants.get(id);
        if (!p)
            return;
        this._participants.delete(id);
        this.emit('participant-left', p, reason);
    }

    /**
     * @param {Frame} frame
     */
    _onUserUpdated(frame) {
        const p = typeof frame.userId === 'string' ? this._participants.get(frame.userId) : undefined;
        const media = frame.data && frame.data.media;
        if (!p || !media || typeof media !== 'object')
            return;
        if (typeof media.audio === 'boolean')
            p.media.audio = media.audio;
        if (typeof media.video === 'boolean')
            p.media.video = media.video;
        this.emit('participant-updated', p);
    }

    // --- leaving ---------------------------------------------------------------------------

    /**
     * @param {string} peerId
     */
    _closePeer(peerId) {
        const peer = this._peers.get(peerId);
        if (!peer)
            return;
        this._peers.delete(peerId);
        if (peer.channel) {
            try { peer.channel.close(); } catch { /* closed */ }
        }
        peer.engine.close();
    }

    _closePeers() {
        for (const id of [...this._peers.keys()])
            this._closePeer(id);
        for (const id of [...this._remoteStreams.keys()])
            this._dropRemoteStream(id);
    }

    _teardown() {
        this.stopQualityMonitoring();
        this._closePeers();
        this._tracksByMid.clear();
        this._participants.clear();
        this._joined = false;
        this._resumePending = false;
        if (this._screen) {
            for (const t of this._screen.getTracks())
                t.stop();
            this._screen = null;
        }
    }

    /**
     * Leaves the room (waits for `left`, at most the request timeout), closes
     * the connections. The local stream is the application's: not stopped.
     * @returns {Promise<void>}
     */
    async leave() {
        if (this._joined && this._signaling.state === 'open') {
            try {
                await this._signaling.request({ type: 'leave', roomId: this._roomId }, 'left');
            } catch { /* leaving anyway */ }
        }
        this._teardown();
        this._signaling.close(1000, 'left');
        this._setState('left');
    }

    // --- local media -------------------------------------------------------------------

    /**
     * Sets what to publish (before or after join).
     * @param {MediaStream} stream
     * @returns {Promise<void>}
     */
    async setLocalStream(stream) {
        this._localStream = stream;
        for (const t of stream.getAudioTracks())
            t.enabled = this._audioEnabled;
        for (const t of stream.getVideoTracks())
            t.enabled = this._videoEnabled;
        if (!this._joined || this._options.receiveOnly)
            return;
        const send = this._sendStream();
        const jobs = [];
        for (const peer of this._peers.values()) {
            if (send)
                jobs.push(peer.engine.addStream(send, { simulcast: this._topology === 'sfu' && this._options.simulcast !== false,
                    maxBitrate: this._maxBitrate }));
        }
        await Promise.all(jobs);
        this._sendMedia();
    }

    _sendMedia() {
        if (!this._joined || this._signaling.state !== 'open')
            return;
        try {
            this._signaling.send({ type: 'media', data: { audio: this._audioEnabled, video: this._videoEnabled } });
        } catch { /* closing */ }
    }

    /**
     * Mutes/unmutes (track.enabled) and announces it with a `media` frame.
     * @param {boolean} enabled
     */
    setAudioEnabled(enabled) {
        this._audioEnabled = !!enabled;
        if (this._localStream)
            for (const t of this._localStream.getAudioTracks())
                t.enabled = this._audioEnabled;
        this._sendMedia();
    }

    /**
     * Turns the camera (and a screen being shared) off/on (track.enabled) and
     * announces it with a `media` frame.
     * @param {boolean} enabled
     */
    setVideoEnabled(enabled) {
        this._videoEnabled = !!enabled;
        if (this._localStream)
            for (const t of this._localStream.getVideoTracks())
                t.enabled = this._videoEnabled;
        if (this._screen)
            for (const t of this._screen.getVideoTracks())
                t.enabled = this._videoEnabled;
        this._sendMedia();
    }

    /**
     * @param {'audio' | 'video'} kind
     * @param {MediaStreamTrack | null} track
     */
    async _sendTrack(kind, track) {
        const jobs = [];
        for (const peer of this._peers.values())
            jobs.push(peer.engine.replaceTrack(kind, track));
        await Promise.all(jobs);
    }

    /**
     * Replaces the camera or microphone track (in the local stream too) and
     * sends it without renegotiating. While a screen is shared, a new video
     * track is sent once the sharing stops.
     * @param {'audio' | 'video'} kind
     * @param {MediaStreamTrack | null} track
     * @returns {Promise<void>}
     */
    async replaceTrack(kind, track) {
        if (track && track.kind !== kind)
            throw new ConveneError(400, 'bad_request', `a ${track.kind} track is not ${kind}`);
        if (!this._localStream && track)
            this._localStream = new MediaStream();
        const s = this._localStream;
        if (s) {
            for (const old of kind === 'audio' ? s.getAudioTracks() : s.getVideoTracks()) {
                if (old !== track)
                    s.removeTrack(old);
            }
            if (track && !s.getTracks().includes(track))
                s.addTrack(track);
        }
        if (track)
            track.enabled = kind === 'audio' ? this._audioEnabled : this._videoEnabled;
        if (this._options.receiveOnly || (kind === 'video' && this._screen))
            return;
        await this._sendTrack(kind, track);
    }

    /**
     * getDisplayMedia, then sends the screen instead of the camera until
     * stopScreenShare() or the share ends.
     * @returns {Promise<MediaStream>}
     */
    async shareScreen() {
        const md = /** @type {any} */ (globalThis.navigator && navigator.mediaDevices);
        if (!md || typeof md.getDisplayMedia !== 'function')
            throw new ConveneError(0, 'unsupported', 'getDisplayMedia is not available');
        /** @type {MediaStream} */
        const screen = await md.getDisplayMedia({ video: true, audio: false });
        const track = screen.getVideoTracks()[0];
        if (!track)
            throw new ConveneError(0, 'unsupported', 'the screen capture has no video');
        if ('contentHint' in track)
            track.contentHint = 'detail';
        track.enabled = this._videoEnabled;
        const old = this._screen;
        this._screen = screen;
        if (old)
            for (const t of old.getTracks())
                t.stop();
        track.addEventListener('ended', () => {
            if (this._screen === screen)
                this.stopScreenShare().catch((err) => this._error(err, 'stopping the screen share'));
        });
        await this._sendTrack('video', track);
        this._sendMedia();
        return screen;
    }

    /**
     * Stops sharing; the camera (if any) is sent again.
     * @returns {Promise<void>}
     */
    async stopScreenShare() {
        const screen = this._screen;
        if (!screen)
            return;
        this._screen = null;
        for (const t of screen.getTracks())
            t.stop();
        const camera = this._localStream ? this._localStream.getVideoTracks()[0] || null : null;
        if (!this._options.receiveOnly)
            await this._sendTrack('video', camera);
        this._sendMedia();
    }

    /**
     * Caps the video bitrate we send (all connections; simulcast layer h).
     * @param {number} bps
     * @returns {Promise<void>}
     */
    async setMaxBitrate(bps) {
        this._maxBitrate = bps;
        await Promise.all([...this._peers.values()].map((p) => p.engine.setMaxBitrate(bps)));
    }

    // --- data ----------------------------------------------------------------------------

    /**
     * @param {RoomPeer} peer
     * @param {RTCDataChannel} channel
     */
    _watchChannel(peer, channel) {
        const mesh = this._topology === 'mesh';
        channel.addEventListener('message', (ev) => {
            /** @type {any} */
            let msg = null;
            if (typeof ev.data === 'string') {
                try { msg = JSON.parse(ev.data); } catch { msg = null; }
            }
            const envelope = msg && typeof msg === 'object' && !Array.isArray(msg) && 'data' in msg;
            /** @type {any} */
            let out;
            if (mesh) {
                // The link says who sent it; the envelope's userId is only a claim.
                out = { userId: peer.peerId, data: envelope ? msg.data : (msg ?? ev.data) };
            } else {
                if (!envelope)
                    return;
                out = { userId: msg.userId, data: msg.data };
                if (msg.binary)
                    out.binary = true;
            }
            if (envelope && msg.targetUserId !== undefined)
                out.targetUserId = msg.targetUserId;
            this.emit('data', out);
        });
    }

    /**
     * Sends on the data channel(s): to everyone, or to one participant.
     * Throws ConveneError('closed') when no channel for it is open.
     * @param {any} data any JSON value
     * @param {string} [targetUserId]
     */
    send(data, targetUserId) {
        if (!this._joined)
            throw new ConveneError(0, 'closed', 'not in a room');
        if (this._topology === 'sfu') {
            const ch = this._peers.get('sfu')?.channel;
            if (!ch || ch.readyState !== 'open')
                throw new ConveneError(0, 'closed', 'the data channel is not open');
            ch.send(JSON.stringify(targetUserId !== undefined ? { data, targetUserId } : { data }));
            return;
        }
        /** @type {any} */
        const envelope = { userId: this._userId, data, timestamp: Date.now() };
        if (targetUserId !== undefined)
            envelope.targetUserId = targetUserId;
        const text = JSON.stringify(envelope);
        const peers = targetUserId !== undefined ? [this._peers.get(targetUserId)] : [...this._peers.values()];
        let sent = 0;
        for (const peer of peers) {
            if (peer && peer.channel && peer.channel.readyState === 'open') {
                peer.channel.send(text);
                sent++;
            }
        }
        if (sent === 0 && (targetUserId !== undefined || this._peers.size > 0))
            throw new ConveneError(0, 'closed', `no open data channel${targetUserId !== undefined ? ' to ' + targetUserId : ''}`);
    }

    /**
     * Sends a signaling `message` frame.
     * @param {any} data
     * @param {string} [targetUserId]
     */
    sendMessage(data, targetUserId) {
        /** @type {Frame} */
        const frame = { type: 'message', data };
        if (targetUserId !== undefined)
            frame.targetUserId = targetUserId;
        this._signaling.send(frame);
    }

    /**
     * SFU: choose the simulcast layer received from a participant.
     * Resolves with the server's reply; rejects with its error.
     * @param {string} userId
     * @param {'h' | 'm' | 'l' | 'auto'} layer
     * @returns {Promise<void>}
     */
    async subscribe(userId, layer) {
        await this._signaling.request({ type: 'subscribe', data: { userId, layer } });
    }

    // --- stats -------------------------------------------------------------------------------

    /**
     * Stats of every PeerConnection, by peer ('sfu' in SFU rooms, the peer's
     * user id in mesh rooms).
     * @returns {Promise<Record<string, StatsSummary>>}
     */
    async getAllStats() {
        /** @type {Record<string, StatsSummary>} */
        const out = {};
        const peers = [...this._peers.values()];
        const results = await Promise.all(peers.map(async (peer) => {
            /** @type {Map<string, string>} */
            let owners;
            if (peer.peerId === 'sfu') {
                owners = new Map([...this._tracksByMid].map(([mid, t]) => [mid, t.userId]));
            } else {
                owners = new Map();
                const pc = peer.engine.pc;
                if (pc)
                    for (const t of pc.getTransceivers())
                        if (t.mid !== null)
                            owners.set(t.mid, peer.peerId);
            }
            try {
                return await peer.engine.getDetailedStats(owners);
            } catch {
                return null;
            }
        }));
        peers.forEach((peer, i) => {
            const r = results[i];
            if (r)
                out[peer.peerId] = r;
        });
        return out;
    }

    /**
     * Every intervalMs (default 5000): collects stats, sends them to the
     * server (`stats`, a compact summary), emits 'quality' per received
     * stream (downlink, userId = publisher) and per sent stream (uplink).
     * @param {number} [intervalMs]
     */
    startQualityMonitoring(intervalMs = 5000) {
        this.stopQualityMonitoring();
        const tick = async () => {
            if (this._monitorBusy || !this._joined)
                return;
            this._monitorBusy = true;
            try {
                const all = await this.getAllStats();
                if (this._monitor === null)
                    return;
                this._reportStats(all);
                this._emitQuality(all);
            } catch (err) {
                this._error(err, 'quality monitoring');
            } finally {
                this._monitorBusy = false;
            }
        };
        this._monitor = setInterval(tick, Math.max(250, intervalMs));
        // A first sample now, so that the first tick has rates.
        this.getAllStats().catch(() => { /* next tick */ });
    }

    /**
     * Stops startQualityMonitoring.
     */
    stopQualityMonitoring() {
        if (this._monitor !== null)
            clearInterval(this._monitor);
        this._monitor = null;
    }

    /**
     * @param {Record<string, StatsSummary>} all
     */
    _reportStats(all) {
        if (this._signaling.state !== 'open' || !this._joined)
            return;
        /**
         * @param {TrackStats} t
         */
        const compact = (t) => ({
            kind: t.kind, mid: t.mid, userId: t.userId, rid: t.rid, codec: t.codec,
            bitrateBps: t.bitrateBps, packetsLost: t.packetsLost, lossRate: t.lossRate,
            jitterMs: round(t.jitterMs, 1), rttMs: t.rttMs === null ? null : round(t.rttMs, 1),
            framesPerSecond: t.framesPerSecond, frameWidth: t.frameWidth, frameHeight: t.frameHeight,
        });
        /** @type {Record<string, any>} */
        const peers = {};
        for (const [id, s] of Object.entries(all)) {
            peers[id] = {
                connectionState: s.connectionState,
                rttMs: s.rttMs === null ? null : round(s.rttMs, 1),
                availableOutgoingBitrate: s.availableOutgoingBitrate,
                inbound: s.inbound.filter((t) => t.packets > 0).map(compact),
                outbound: s.outbound.filter((t) => t.packets > 0).map(compact),
            };
        }
        try {
            this._signaling.send({ type: 'stats', data: { topology: this._topology, peers } });
        } catch { /* closing */ }
    }

    /**
     * @param {Record<string, StatsSummary>} all
     */
    _emitQuality(all) {
        for (const [peerId, s] of Object.entries(all)) {
            for (const t of s.inbound) {
                const userId = t.userId ?? (this._topology === 'mesh' ? peerId : null);
                if (!userId || t.packets === 0)
                    continue;       // an m-line nobody is forwarded on now
                const q = classifyQuality({ lossRate: t.lossRate, jitterMs: t.jitterMs, rttMs: t.rttMs ?? s.rttMs });
                /** @type {QualityEvent} */
                const ev = { userId, direction: 'downlink', quality: q.quality, issues: q.issues, stats: t };
                this.emit('quality', ev);
            }
            for (const t of s.outbound) {
                if (t.packets === 0)
                    continue;
                const q = classifyQuality({ lossRate: t.lossRate, jitterMs: t.jitterMs, rttMs: t.rttMs ?? s.rttMs });
                /** @type {QualityEvent} */
                const ev = { userId: null, direction: 'uplink', quality: q.quality, issues: q.issues, stats: t };
                this.emit('quality', ev);
            }
        }
    }
}
