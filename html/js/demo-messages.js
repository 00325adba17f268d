// demo-messages.js — what the demo pages tell people when something goes
// wrong (or right again). Pure functions, no DOM: each turns an error or an
// event of the client library (html/js/convene.js) into a Notice, the text
// and the kind of the banner the page shows. Unit-tested in Node
// (tests/unit-js/test_demo_logic.mjs).
//
// Design: one place for the wording, keyed by the protocol's stable codes
// and reason words (docs/protocol.md, "Errors") and by the library's local
// reasons (code 0: "closed", "timeout", "unsupported"), so that the pages
// never show a bare code, and a test can ask for a message by its `key`.
//
//   key       stable word for tests and for replacing a banner of the
//             same subject (e.g. "reconnecting" is replaced by "reconnected")
//   kind      "error" (the call ended or could not start), "warning" (the
//             call goes on, something is wrong), "info"
//   text      for people
//   sticky    stays until replaced or dismissed (else the page hides it
//             after a few seconds)

/**
 * @typedef {object} Notice
 * @property {string} key
 * @property {'error' | 'warning' | 'info'} kind
 * @property {string} text
 * @property {boolean} sticky
 */

/**
 * @param {string} key
 * @param {'error' | 'warning' | 'info'} kind
 * @param {string} text
 * @param {boolean} [sticky]
 * @returns {Notice}
 */
function notice(key, kind, text, sticky = kind === 'error') {
    return { key, kind, text, sticky };
}

/**
 * The server's own sentence, when it adds something to ours.
 * @param {any} err
 * @returns {string}
 */
function detail(err) {
    const m = err && typeof err.message === 'string' ? err.message.trim() : '';
    if (!m || m === err.reason)
        return '';
    return ` (server: ${m.replace(/\.$/, '')})`;
}

/**
 * A failed join, or an error of the library or the server during the call.
 * @param {any} err a ConveneError ({code, reason, message}) or any Error
 * @param {{roomId?: string, joining?: boolean, url?: string}} [ctx]
 * @returns {Notice}
 */
export function describeError(err, ctx = {}) {
    const room = ctx.roomId ? `“${ctx.roomId}”` : 'this room';
    const code = err && typeof err.code === 'number' ? err.code : 0;
    const reason = err && typeof err.reason === 'string' ? err.reason : '';
    switch (code) {
    case 503:
        return notice('room-full', 'error', `The room ${room} is full. Try again later or pick another room.`);
    case 403:
        return notice('forbidden', 'error', `You are not allowed to do that in ${room}${detail(err)}. ` +
            'Your access token may be for another room, or lack a permission.');
    case 401:
        return notice('unauthorized', 'error', 'The server refused the connection: the access token is missing, ' +
            'invalid or expired. Open the page with a valid ?token=…');
    case 404:
        return notice('not-found', 'error', `There is no room ${room}, and you may not create one.`);
    case 409:
        return notice('conflict', ctx.joining ? 'error' : 'warning', `Already in ${room}${detail(err)}.`);
    case 429:
        return notice('rate-limited', 'warning', 'Too many messages in a short time: slow down a little.', false);
    case 413:
        return notice('too-large', 'warning', 'That message is too large to send.', false);
    case 400:
        return notice('bad-request', ctx.joining ? 'error' : 'warning', `The server rejected a request${detail(err)}.`);
    case 500:
        return notice('server-error', ctx.joining ? 'error' : 'warning', `The server had an internal error${detail(err)}.`);
    default:
        break;
    }
    if (reason === 'closed' || reason === 'timeout') {
        if (ctx.joining)
            return notice('unreachable', 'error', `Cannot reach the server${ctx.url ? ` at ${ctx.url}` : ''}. ` +
                'Check that Convene is running, then try again.');
        return notice('disconnected', 'error', 'Disconnected from the server. Join again to continue.');
    }
    if (reason === 'unsupported')
        return notice('unsupported', 'error', `This browser cannot do that: ${err.message || reason}.`);
    const text = err && err.message ? String(err.message) : String(err);
    return notice('error', ctx.joining ? 'error' : 'warning', `Something went wrong: ${text}`);
}

/**
 * @param {string | undefined} reason of `kicked`
 * @returns {Notice}
 */
export function describeKicked(reason) {
    if (reason === 'replaced')
        return notice('kicked', 'error', 'You joined this room from another tab or device, so this page left the call.');
    return notice('kicked', 'error', `A moderator removed you from the room${reason ? ` (${reason})` : ''}.`);
}

/**
 * @param {string | undefined} reason of `room-closed`
 * @returns {Notice}
 */
export function describeRoomClosed(reason) {
    return notice('room-closed', 'error', `The room was closed${reason ? ` (${reason})` : ''}.`);
}

/**
 * The signaling connection dropped; the library tries again.
 * @param {{attempt?: number, delayMs?: number}} [info] of the signaling 'reconnecting' event
 * @returns {Notice}
 */
export function describeReconnecting(info = {}) {
    let when = '';
    if (typeof info.attempt === 'number' && info.attempt > 0)
        when = ` (attempt ${info.attempt + 1})`;
    return notice('reconnecting', 'warning', `Connection to the server lost — reconnecting…${when}`, true);
}

/** @returns {Notice} */
export function describeReconnected() {
    return notice('reconnected', 'info', 'Reconnected to the server.', false);
}

/**
 * The media path (a PeerConnection) is down or back.
 * @param {string} state RTCPeerConnectionState
 * @returns {Notice | null} null for states that need no message
 */
export function describeMediaState(state) {
    if (state === 'disconnected' || state === 'failed')
        return notice('media-interrupted', 'warning', 'Media connection interrupted — restoring…', true);
    if (state === 'connected')
        return notice('media-restored', 'info', 'Media connection restored.', false);
    return null;
}

/**
 * getUserMedia / getDisplayMedia failures.
 * @param {any} err a DOMException (name) or Error
 * @param {'camera' | 'screen'} what
 * @returns {Notice}
 */
export function describeMediaError(err, what) {
    const name = err && typeof err.name === 'string' ? err.name : '';
    if (what === 'screen') {
        if (name === 'NotAllowedError' || name === 'AbortError')
            return notice('screen-cancelled', 'info', 'Screen sharing was cancelled.', false);
        return notice('screen-failed', 'warning', `Cannot share the screen: ${err && err.message ? err.message : name}.`, false);
    }
    switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
        return notice('camera-denied', 'warning', 'Camera and microphone are blocked for this page: ' +
            'you joined without sending. Allow them in the browser to be seen and heard.', false);
    case 'NotFoundError':
    case 'OverconstrainedError':
        return notice('camera-missing', 'warning', 'No camera or microphone was found: you joined without sending.', false);
    case 'NotReadableError':
        return notice('camera-busy', 'warning', 'The camera or microphone is in use by another application: ' +
            'you joined without sending.', false);
    default:
        return notice('camera-failed', 'warning', `Cannot start the camera${err && err.message ? ` (${err.message})` : ''}: ` +
            'you joined without sending.', false);
    }
}

/** @type {Record<string, string>} */
const METRICS = { packet_loss: 'packet loss', jitter: 'jitter', rtt: 'round-trip time', bitrate: 'bitrate' };

/**
 * A server `quality-warning` frame.
 * @param {any} frame {userId, data: {type, value, severity, direction}}
 * @param {string | null} selfId
 * @param {(userId: string) => string} nameOf
 * @returns {Notice}
 */
export function describeQualityWarning(frame, selfId, nameOf) {
    const d = frame && frame.data ? frame.data : {};
    const metric = METRICS[d.type] || String(d.type || 'quality');
    let value = '';
    if (typeof d.value === 'number') {
        if (d.type === 'packet_loss')
            value = ` ${(d.value <= 1 ? d.value * 100 : d.value).toFixed(1)} %`;
        else if (d.type === 'bitrate')
            value = ` ${Math.round(d.value / 1000)} kbps`;
        else
            value = ` ${Math.round(d.value)} ms`;
    }
    const whose = !frame || !frame.userId || frame.userId === selfId ? 'Your' : `${nameOf(frame.userId)}’s`;
    const dir = d.direction === 'uplink' ? 'sending' : d.direction === 'downlink' ? 'receiving' : 'connection';
    const severe = d.severity === 'critical' ? 'Poor connection' : 'Unstable connection';
    return notice('quality-warning', 'warning', `${severe}: ${whose} ${dir} has high ${metric}${value}.`, false);
}
