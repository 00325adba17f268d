// demo-stats.js — per-participant connection figures for the demo pages,
// from the client library's normalised stats (RoomEngine.getAllStats(),
// html/js/convene.js). Pure, no DOM (unit-tested in Node,
// tests/unit-js/test_demo_logic.mjs).
//
// Design
//   StatsSampler          one Sample per participant from the StatsSummary of
//                         every PeerConnection: what we receive from each
//                         remote participant (inbound streams, by the
//                         publisher's userId), and what we send (outbound,
//                         under our own id). Bitrate and loss come from the
//                         streams' cumulative counters over the sampler's own
//                         interval. Bitrates add up over a participant's
//                         streams (audio, video, simulcast layers); loss takes
//                         the worst stream; jitter the worst audio stream
//                         (video's RTP timing also varies with the encoder's
//                         frame bursts: only without audio does it count);
//                         the round-trip time is the stream's own when the
//                         browser measured one, else the connection's (in an
//                         SFU room, our link to the server).
//   qualityOf()           the library's classifyQuality on a Sample: the tile
//                         badge (good / degraded / poor).
//   StatsHistory          the last `windowMs` of Samples per participant: the
//                         series the stats panel draws.

import { classifyQuality } from './convene.js';

/** @typedef {import('./convene.js').StatsSummary} StatsSummary */
/** @typedef {import('./convene.js').TrackStats} TrackStats */
/** @typedef {import('./convene.js').Quality} Quality */
/** @typedef {import('./convene.js').QualityIssue} QualityIssue */

/**
 * @typedef {object} Sample
 * @property {number} bitrateBps  sum over the participant's streams
 * @property {number} lossRate    0..1, worst stream
 * @property {number} jitterMs    worst audio stream (video only when there is no audio)
 * @property {number | null} rttMs
 * @property {number | null} framesPerSecond   of the largest flowing video stream
 * @property {string | null} resolution        "640×360" of that stream
 * @property {string | null} codec             of that stream
 */

/** The metrics a Sample graphs, in the panel's order. */
export const METRICS = /** @type {const} */ (['bitrateBps', 'lossRate', 'jitterMs', 'rttMs']);

/**
 * A stream's figures over the last interval, from our own previous reading.
 * @typedef {object} StreamRate
 * @property {TrackStats} t
 * @property {number} bitrateBps
 * @property {number} lossRate
 */

/**
 * @param {StreamRate[]} streams
 * @param {number | null} connectionRtt
 * @returns {Sample}
 */
function aggregate(streams, connectionRtt) {
    let bitrateBps = 0, lossRate = 0, audioJitter = -1, videoJitter = 0;
    /** @type {number | null} */
    let rttMs = null;
    /** @type {StreamRate | null} */
    let video = null;
    for (const r of streams) {
        const t = r.t;
        bitrateBps += r.bitrateBps;
        lossRate = Math.max(lossRate, r.lossRate);
        if (t.kind === 'audio')
            audioJitter = Math.max(audioJitter, t.jitterMs);
        else
            videoJitter = Math.max(videoJitter, t.jitterMs);
        if (t.rttMs !== null && (rttMs === null || t.rttMs > rttMs))
            rttMs = t.rttMs;
        // the largest picture that is flowing (simulcast: the top layer sent)
        const area = (/** @type {StreamRate} */ x) => (x.bitrateBps > 0 ? (x.t.frameWidth || 0) * (x.t.frameHeight || 0) : -1);
        if (t.kind === 'video' && (!video || area(r) > area(video) || (area(r) === area(video) && r.bitrateBps > video.bitrateBps)))
            video = r;
    }
    if (rttMs === null)
        rttMs = connectionRtt;
    const v = video ? video.t : null;
    return {
        bitrateBps, lossRate, rttMs,
        jitterMs: audioJitter >= 0 ? audioJitter : videoJitter,
        framesPerSecond: v ? v.framesPerSecond : null,
        resolution: v && v.frameWidth && v.frameHeight ? `${v.frameWidth}×${v.frameHeight}` : null,
        codec: v ? v.codec : null,
    };
}

/**
 * Turns getAllStats() readings into per-participant Samples. It keeps its
 * own previous reading of every stream and computes bitrate and loss from
 * the cumulative counters (bytes, packets, packetsLost) over its own
 * interval: the library's rates are over the time since *any* earlier
 * getStats call (RoomEngine.startQualityMonitoring samples too), which can
 * be a few milliseconds.
 */
export class StatsSampler {
    constructor() {
        /** @type {Map<string, {ts: number, bytes: number, packets: number, lost: number}>} */
        this._prev = new Map();
    }

    /**
     * One Sample per participant: remote participants by their userId (what
     * we receive from them), ourselves under `selfId` (what we send).
     * @param {Record<string, StatsSummary>} all RoomEngine.getAllStats(): by peer ('sfu' or a participant)
     * @param {string} selfId
     * @returns {Map<string, Sample>}
     */
    sample(all, selfId) {
        /** @type {Map<string, {streams: StreamRate[], rtt: number | null}>} */
        const groups = new Map();
        /** @type {Map<string, {ts: number, bytes: number, packets: number, lost: number}>} */
        const seen = new Map();
        /**
         * @param {string} peerId
         * @param {StatsSummary} summary
         * @param {string} owner
         * @param {TrackStats} t
         */
        const add = (peerId, summary, owner, t) => {
            const key = `${peerId}:${t.direction}:${t.ssrc}:${t.rid ?? ''}`;
            const now = { ts: summary.timestamp, bytes: t.bytes, packets: t.packets, lost: t.packetsLost };
            const p = this._prev.get(key);
            let bitrateBps = 0;
            let lossRate = t.direction === 'outbound' ? t.lossRate : 0;
            if (p && now.ts > p.ts && now.bytes >= p.bytes) {
                bitrateBps = Math.round(((now.bytes - p.bytes) * 8 * 1000) / (now.ts - p.ts));
                if (t.direction === 'inbound') {
                    const lost = Math.max(0, now.lost - p.lost);
                    const total = Math.max(0, now.packets - p.packets) + lost;
                    lossRate = total > 0 ? lost / total : 0;
                }
            } else if (p && now.ts <= p.ts) {
                seen.set(key, p);       // the same (cached) report again: keep the older reading
            }
            if (!seen.has(key))
                seen.set(key, now);
            let g = groups.get(owner);
            if (!g) {
                g = { streams: [], rtt: null };
                groups.set(owner, g);
            }
            g.streams.push({ t, bitrateBps, lossRate });
            if (summary.rttMs !== null && (g.rtt === null || summary.rttMs > g.rtt))
                g.rtt = summary.rttMs;
        };
        for (const [peerId, summary] of Object.entries(all)) {
            if (!summary)
                continue;
            for (const t of summary.inbound) {
                // A mesh connection carries one participant; an SFU one says whose stream it is.
                const owner = t.userId ?? (peerId !== 'sfu' ? peerId : null);
                if (owner && owner !== selfId && t.packets > 0)
                    add(peerId, summary, owner, t);
            }
            for (const t of summary.outbound) {
                if (t.packets > 0)
                    add(peerId, summary, selfId, t);
            }
        }
        this._prev = seen;
        /** @type {Map<string, Sample>} */
        const out = new Map();
        for (const [id, g] of groups)
            out.set(id, aggregate(g.streams, g.rtt));
        return out;
    }
}

/**
 * The tile badge for a Sample.
 * @param {Sample} s
 * @returns {{quality: Quality, issues: QualityIssue[]}}
 */
export function qualityOf(s) {
    return classifyQuality({ lossRate: s.lossRate, jitterMs: s.jitterMs, rttMs: s.rttMs });
}

/**
 * @typedef {object} Point
 * @property {number} t  ms (Date.now() clock)
 * @property {number} v
 */

/**
 * The last `windowMs` of Samples, per participant.
 */
export class StatsHistory {
    /**
     * @param {number} [windowMs] how much to keep (default 3 minutes)
     */
    constructor(windowMs = 180000) {
        this.windowMs = windowMs;
        /** @type {Map<string, {t: number, s: Sample}[]>} */
        this._byUser = new Map();
    }

    /**
     * Adds one tick's Samples and forgets what is older than the window.
     * @param {number} t
     * @param {Map<string, Sample>} samples
     */
    add(t, samples) {
        for (const [id, s] of samples) {
            let list = this._byUser.get(id);
            if (!list) {
                list = [];
                this._byUser.set(id, list);
            }
            list.push({ t, s });
        }
        const oldest = t - this.windowMs;
        for (const [id, list] of this._byUser) {
            let drop = 0;
            while (drop < list.length && list[drop].t < oldest)
                drop++;
            if (drop > 0)
                list.splice(0, drop);
            if (list.length === 0)
                this._byUser.delete(id);
        }
    }

    /** @returns {string[]} the participants with samples */
    users() {
        return [...this._byUser.keys()];
    }

    /**
     * @param {string} userId
     * @returns {Sample | null} the newest Sample
     */
    latest(userId) {
        const list = this._byUser.get(userId);
        return list && list.length > 0 ? list[list.length - 1].s : null;
    }

    /**
     * One metric over the window (points without a value are skipped).
     * @param {string} userId
     * @param {typeof METRICS[number]} metric
     * @returns {Point[]}
     */
    series(userId, metric) {
        const list = this._byUser.get(userId) || [];
        /** @type {Point[]} */
        const out = [];
        for (const { t, s } of list) {
            const v = s[metric];
            if (typeof v === 'number' && Number.isFinite(v))
                out.push({ t, v });
        }
        return out;
    }

    /**
     * @param {string} userId
     */
    forget(userId) {
        this._byUser.delete(userId);
    }
}
