// demo-tiles.js — the video grid of the demo pages: one tile per
// participant (ourselves first) with the video, the name, the microphone
// and camera state, a "presenting" flag and a quality badge.
//
// Design: TileGrid is the only code that touches the tiles; the page tells
// it facts (setStream, setMedia, setQuality, ...) and the tile shows them
// through data-* attributes (styled by css/style.css) and plain text (for
// screen readers). A tile whose camera is off, or that has no video yet,
// shows the participant's initials. The grid's data-count lets CSS pick
// a layout. Videos start muted-if-needed: a browser that refuses to play
// sound before a user gesture gets the video muted and a "Play sound"
// button on the tile.
//
// Test hooks: tile = [data-testid=tile][data-user-id=ID] with data-audio,
// data-video ("on"/"off"), data-quality ("good"/"degraded"/"poor"/
// "unknown"), data-self; parts [data-testid=tile-name|tile-muted|
// tile-camera-off|tile-quality].

/**
 * @param {string} name
 * @returns {string} up to two initials
 */
export function initials(name) {
    const words = String(name).trim().split(/[\s._-]+/).filter(Boolean);
    const letters = words.slice(0, 2).map((w) => Array.from(w)[0] || '').join('');
    return (letters || '?').toUpperCase();
}

/**
 * A hue for a name, so that initials tiles differ.
 * @param {string} s
 * @returns {number}
 */
function hueOf(s) {
    let h = 0;
    for (const c of String(s))
        h = (h * 31 + (c.codePointAt(0) || 0)) % 360;
    return h;
}

/**
 * @typedef {object} Tile
 * @property {HTMLElement} el
 * @property {HTMLVideoElement} video
 * @property {HTMLElement} name
 * @property {HTMLElement} muted
 * @property {HTMLElement} cameraOff
 * @property {HTMLElement} presenting
 * @property {HTMLElement} quality
 * @property {HTMLElement} avatar
 * @property {HTMLButtonElement} sound
 */

/** @type {Record<string, string>} */
const QUALITY_TEXT = { good: 'Good connection', degraded: 'Unstable connection', poor: 'Poor connection' };

export class TileGrid {
    /**
     * @param {HTMLElement} grid
     */
    constructor(grid) {
        this.grid = grid;
        /** @type {Map<string, Tile>} */
        this.tiles = new Map();
    }

    /**
     * The tile of a participant, created when missing.
     * @param {string} userId
     * @param {{name?: string, self?: boolean}} [info]
     * @returns {Tile}
     */
    upsert(userId, info = {}) {
        let tile = this.tiles.get(userId);
        if (!tile) {
            tile = this._create(userId, !!info.self);
            this.tiles.set(userId, tile);
            if (info.self)
                this.grid.prepend(tile.el);
            else
                this.grid.append(tile.el);
            this._count();
        }
        if (info.name !== undefined)
            this.setName(userId, info.name);
        return tile;
    }

    /**
     * @param {string} userId
     * @param {boolean} self
     * @returns {Tile}
     */
    _create(userId, self) {
        const el = document.createElement('figure');
        el.className = 'tile';
        el.dataset.testid = 'tile';
        el.dataset.userId = userId;
        el.dataset.audio = 'on';
        el.dataset.video = 'on';
        el.dataset.hasVideo = 'no';
        el.dataset.quality = 'unknown';
        if (self)
            el.dataset.self = 'yes';
        el.innerHTML = `
            <video autoplay playsinline></video>
            <div class="avatar" aria-hidden="true"><span></span></div>
            <span class="quality" data-testid="tile-quality" hidden></span>
            <button type="button" class="sound" hidden>Play sound</button>
            <figcaption>
              <span class="name" data-testid="tile-name"></span>
              <span class="flag presenting" data-testid="tile-presenting" hidden>presenting</span>
              <span class="flag muted" data-testid="tile-muted" hidden><span class="icon mic-off" aria-hidden="true"></span>muted</span>
              <span class="flag camera-off" data-testid="tile-camera-off" hidden><span class="icon cam-off" aria-hidden="true"></span>camera off</span>
            </figcaption>`;
        /** @param {string} sel @returns {HTMLElement} */
        const q = (sel) => /** @type {HTMLElement} */ (el.querySelector(sel));
        const video = /** @type {HTMLVideoElement} */ (q('video'));
        if (self)
            video.muted = true;     // never play our own microphone back
        const tile = {
            el, video, name: q('.name'), muted: q('.muted'), cameraOff: q('.camera-off'),
            presenting: q('.presenting'), quality: q('.quality'), avatar: q('.avatar'),
            sound: /** @type {HTMLButtonElement} */ (q('.sound')),
        };
        tile.sound.addEventListener('click', () => {
            video.muted = false;
            video.play().catch(() => { /* still refused */ });
            tile.sound.hidden = true;
        });
        video.addEventListener('loadeddata', () => { el.dataset.hasVideo = 'yes'; });
        return tile;
    }

    _count() {
        this.grid.dataset.count = String(this.tiles.size);
    }

    /**
     * @param {string} userId
     * @param {string} name
     */
    setName(userId, name) {
        const tile = this.tiles.get(userId);
        if (!tile)
            return;
        const self = tile.el.dataset.self === 'yes';
        tile.name.textContent = self ? `${name} (you)` : name;
        tile.el.dataset.name = name;
        const span = /** @type {HTMLElement} */ (tile.avatar.firstElementChild);
        span.textContent = initials(name);
        tile.avatar.style.setProperty('--hue', String(hueOf(name)));
        tile.el.setAttribute('aria-label', self ? `You (${name})` : name);
    }

    /**
     * Shows a stream (null: none). Plays it; if the browser refuses sound
     * without a gesture, plays muted and offers a button.
     * @param {string} userId
     * @param {MediaStream | null} stream
     */
    setStream(userId, stream) {
        const tile = this.tiles.get(userId);
        if (!tile)
            return;
        const v = tile.video;
        if (v.srcObject === stream)
            return;
        v.srcObject = stream;
        tile.el.dataset.hasVideo = 'no';
        if (!stream)
            return;
        v.play().catch((err) => {
            if (err && err.name === 'NotAllowedError' && !v.muted) {
                v.muted = true;
                tile.sound.hidden = false;
                v.play().catch(() => { /* give up: the poster stays */ });
            }
        });
    }

    /**
     * @param {string} userId
     * @param {{audio: boolean, video: boolean}} media
     */
    setMedia(userId, media) {
        const tile = this.tiles.get(userId);
        if (!tile)
            return;
        tile.el.dataset.audio = media.audio ? 'on' : 'off';
        tile.el.dataset.video = media.video ? 'on' : 'off';
        tile.muted.hidden = media.audio;
        tile.cameraOff.hidden = media.video;
    }

    /**
     * @param {string} userId
     * @param {boolean} on
     */
    setPresenting(userId, on) {
        const tile = this.tiles.get(userId);
        if (!tile)
            return;
        tile.presenting.hidden = !on;
        tile.el.dataset.presenting = on ? 'yes' : 'no';
    }

    /**
     * @param {string} userId
     * @param {'good' | 'degraded' | 'poor' | 'unknown'} quality
     * @param {string} [detail] what is wrong, for the tooltip
     */
    setQuality(userId, quality, detail) {
        const tile = this.tiles.get(userId);
        if (!tile)
            return;
        tile.el.dataset.quality = quality;
        tile.quality.hidden = quality === 'unknown';
        tile.quality.textContent = quality;
        const text = QUALITY_TEXT[quality] || '';
        tile.quality.title = detail ? `${text}: ${detail}` : text;
        tile.quality.setAttribute('aria-label', tile.quality.title);
    }

    /**
     * @param {string} userId
     */
    remove(userId) {
        const tile = this.tiles.get(userId);
        if (!tile)
            return;
        tile.video.srcObject = null;
        tile.el.remove();
        this.tiles.delete(userId);
        this._count();
    }

    /** Removes every tile. */
    clear() {
        for (const id of [...this.tiles.keys()])
            this.remove(id);
    }
}
