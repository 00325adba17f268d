// demo-media.js — the camera and microphone of the demo pages.
//
// Design: openLocalMedia() asks for both; when the browser refuses or a
// device is missing it tries video alone, then audio alone, and reports
// what it could not get (a DOMException the page turns into a message with
// describeMediaError) instead of failing the join: a participant without
// devices still joins, receive-only. The requested size is a hint
// ("ideal"), so any camera works.

/**
 * @typedef {object} LocalMedia
 * @property {MediaStream | null} stream  null: nothing could be opened
 * @property {any} error   the first refusal (DOMException), or null when everything opened
 */

/**
 * @param {{height?: number}} [opts] the camera's ideal height (16:9 width follows), default 720
 * @returns {Promise<LocalMedia>}
 */
export async function openLocalMedia(opts = {}) {
    const md = navigator.mediaDevices;
    if (!md || typeof md.getUserMedia !== 'function')
        return { stream: null, error: Object.assign(new Error('this page is not in a secure context (https or localhost)'), { name: 'SecurityError' }) };
    const height = opts.height || 720;
    const video = { width: { ideal: Math.round((height * 16) / 9) }, height: { ideal: height }, frameRate: { ideal: 30 } };
    const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    /** @type {any} */
    let firstError = null;
    for (const constraints of [{ audio, video }, { video }, { audio }]) {
        try {
            const stream = await md.getUserMedia(constraints);
            return { stream, error: firstError };
        } catch (err) {
            firstError = firstError || err;
            // A refusal by the user covers every device: no point asking again.
            if (err && /** @type {any} */ (err).name === 'NotAllowedError')
                break;
        }
    }
    return { stream: null, error: firstError };
}

/**
 * Stops every track of a stream.
 * @param {MediaStream | null} stream
 */
export function stopStream(stream) {
    if (stream)
        for (const t of stream.getTracks())
            t.stop();
}
