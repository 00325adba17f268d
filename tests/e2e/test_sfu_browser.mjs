// test_sfu_browser.mjs — the SFU with real clients: headless Chromium pages
// (tests/e2e/pages/sfu-client.js: one RTCPeerConnection with the server,
// polite perfect negotiation) and aiortc peers (tests/e2e/lib/aiortc_peer.py)
// in SFU rooms.
//
//   1. 2 Chromium pages + 2 aiortc peers in room "demo": everyone receives
//      audio and video from the three others; in Chromium the stream ids
//      are the publishers' user ids.
//   2. A late Chromium joiner receives the publishers already there (and
//      they receive it).
//   3. The late joiner leaves: the others' next server offer drops its
//      tracks, and video between those who stay has no gap over 1 s.
//   4. Data channel relay Chromium <-> aiortc: broadcast and targeted, with
//      the sender's identity.
//   5. Glare: 20 rounds in which the client's offer crosses the server's;
//      every round converges and media keeps flowing. Then: a change that
//      rides in the polite client's answer after the rollback (its video
//      paused) reaches the others as the same change sent in an offer does.
//   6. Measurement: join -> first decoded remote frame, 10 fresh pages.
//
// Run: tests/e2e/with-server -- node tests/e2e/test_sfu_browser.mjs

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    env, tokenFor, launchChromium, openTestPage, tap, waitFor, sleep, received, frameSummary,
} from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const AIORTC_PEER = path.join(here, 'lib', 'aiortc_peer.py');
const ROOM = 'demo';
const CHROME = ['alice', 'bob'];
const PY = ['carol-py', 'dave-py'];
const LATE = 'erin';
const GLARE_ROUNDS = 20;
const JOIN_SAMPLES = 10;
const MAX_GAP_MS = 1000;
const WATCHDOG_MS = 85000;

const t = tap();
const started = Date.now();
let browser = null;
const clients = {};     // Chromium: user -> {user, context, page, rec}
const py = {};          // aiortc: user -> AiortcPeer
let pyMissing = null;   // why there are no aiortc peers, when there are none

const rel = (ms) => `+${ms - started}ms`;

// --- aiortc peers ------------------------------------------------------------------

class AiortcPeer {
    constructor(room, user, args = []) {
        this.user = user;
        this.events = [];
        this.stats = [];          // stats events, in order
        this.data = [];           // data events' messages
        this.stderr = [];
        this.exit = null;
        const token = tokenFor(user, { room, grants: { create: true } });
        if (token)
            args = ['--token', token, ...args];
        this.proc = spawn('/usr/bin/python3', [AIORTC_PEER, '--room', room, '--user', user, ...args], {
            stdio: ['pipe', 'pipe', 'pipe'], env: process.env,
        });
        let buf = '';
        this.proc.stdout.on('data', (chunk) => {
            buf += chunk;
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, i).trim();
                buf = buf.slice(i + 1);
                if (!line)
                    continue;
                let ev;
                try { ev = JSON.parse(line); } catch { this.stderr.push(`(stdout, not JSON) ${line}`); continue; }
                ev.t = Date.now();
                this.events.push(ev);
                if (ev.event === 'stats')
                    this.stats.push(ev);
                else if (ev.event === 'data')
                    this.data.push(ev.message);
                else if (ev.event === 'error')
                    t.diag(`[${user}] error event: ${JSON.stringify(ev)}`);
            }
        });
        let ebuf = '';
        this.proc.stderr.on('data', (chunk) => {
            ebuf += chunk;
            const lines = ebuf.split('\n');
            ebuf = lines.pop();
            this.stderr.push(...lines);
            if (this.stderr.length > 200)
                this.stderr.splice(0, this.stderr.length - 200);
        });
        this.proc.stdin.on('error', () => { /* it exited */ });
        this.exited = new Promise((res) => this.proc.on('exit', (code, signal) => {
            this.exit = { code, signal };
            res(this.exit);
        }));
    }

    send(cmd) {
        if (!this.exit)
            this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    }

    get lastStats() { return this.stats[this.stats.length - 1] || null; }

    // Why waiting on this peer is pointless.
    trouble() {
        if (this.exit)
            return `${this.user} (aiortc) exited ${JSON.stringify(this.exit)}; stderr: ${this.stderr.slice(-8).join(' | ')}`;
        return false;
    }

    has(event, pred = () => true) { return this.events.find((e) => e.event === event && pred(e)); }

    waitEvent(event, { pred = () => true, timeout = 10000 } = {}) {
        return waitFor(() => this.has(event, pred), {
            timeout, interval: 100, what: `${this.user}'s "${event}" event`, fail: () => this.trouble(),
        });
    }

    describe() {
        const kinds = {};
        for (const e of this.events)
            kinds[e.event] = (kinds[e.event] || 0) + 1;
        return `${this.user} (aiortc): events ${JSON.stringify(kinds)}, last stats ` +
            `${JSON.stringify(this.lastStats && this.lastStats.received)}, stderr tail: ` +
            `${this.stderr.slice(-5).join(' | ') || '(none)'}`;
    }

    async quit() {
        if (this.exit)
            return this.exit;
        this.send({ cmd: 'quit' });
        const r = await Promise.race([this.exited, sleep(4000).then(() => null)]);
        if (r)
            return r;
        this.proc.kill('SIGTERM');
        return Promise.race([this.exited, sleep(2000).then(() => { this.proc.kill('SIGKILL'); return null; })]);
    }
}

// --- Chromium pages -----------------------------------------------------------------

async function openClient(user, { room = ROOM, opts = {}, track = true } = {}) {
    const context = await browser.newContext();
    const page = await openTestPage(context, {
        scripts: ['sfu-client.js'], title: `sfu ${user}`, watch: { name: user, diag: t.diag },
    });
    const cl = { user, room, context, page, rec: page.watch };
    if (track)
        clients[user] = cl;
    await page.evaluate(async (o) => {
        window.c = window.SfuClient(o);
        await window.c.start();
    }, { wsUrl: env.wsUrl, roomId: room, userId: user, token: tokenFor(user, { room, grants: { create: true } }), ...opts });
    return cl;
}

function pageTrouble(cl) {
    const bad = cl.rec.errors.find((e) => /uncaught|crash|WebSocket/i.test(e));
    if (bad)
        return `${cl.user}: ${bad}`;
    if (cl.rec.sockets.length && cl.rec.sockets.every((s) => s.closed))
        return `${cl.user}: its WebSocket closed`;
    return false;
}

// What went wrong in a page: the client's errors (server `error` frames,
// exceptions in its negotiation) and the page's uncaught errors.
async function clientErrors(cl) {
    const errs = await cl.page.evaluate(() => window.c ? window.c.errors : []).catch((e) => [`evaluate: ${e.message}`]);
    return [...errs.map((e) => JSON.stringify(e)), ...cl.rec.errors.filter((e) => /uncaught|crash/.test(e))];
}

function dumpFrames(cl, { since = 0, limit = 60 } = {}) {
    const lines = cl.rec.frames.filter((f) => f.t >= since).slice(-limit).map((f) => {
        const m = f.json;
        if (!m)
            return `${rel(f.t)} ${f.dir} (not json)`;
        let what = m.type;
        if (m.userId && f.dir === 'received')
            what += ` from ${m.userId}`;
        if (m.type === 'offer' || m.type === 'answer') {
            const sdp = (m.data && m.data.sdp) || '';
            const mids = [...sdp.matchAll(/^a=mid:(\S+)/gm)].map((x) => x[1]);
            const dirs = [...sdp.matchAll(/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/gm)].map((x) => x[1]);
            what += ` mids ${mids.map((x, i) => `${x}:${dirs[i] || '?'}`).join(',')}`;
            if (m.tracks)
                what += ` tracks ${m.tracks.map((x) => `${x.mid}=${x.userId}/${x.kind}`).join(',')}`;
        }
        if (m.type === 'error' || m.type === 'user-left' || m.type === 'joined')
            what += ` ${JSON.stringify(m.data).slice(0, 200)}`;
        return `${rel(f.t)} ${f.dir} ${what}`;
    });
    t.diag(`[${cl.user}] signaling (${frameSummary(cl.rec, 'sent')} sent; ${frameSummary(cl.rec, 'received')} received), last frames:\n  ` +
        lines.join('\n  '));
}

const inbound = (cl) => cl.page.evaluate(() => window.c.inbound());

// Per publisher: video frames decoded and audio packets received, over the
// tracks now in the stream named after it.
function perUser(entries) {
    const out = {};
    for (const e of entries) {
        if (!e.streamId)
            continue;
        const u = (out[e.streamId] ||= { video: 0, audio: 0, videoMids: [], audioMids: [], serverUsers: new Set() });
        if (e.kind === 'video') {
            u.video += e.framesDecoded;
            u.videoMids.push(e.mid);
        } else {
            u.audio += e.packetsReceived;
            u.audioMids.push(e.mid);
        }
        u.serverUsers.add(e.serverUserId);
    }
    return out;
}

// Chromium page `cl` receives audio and video from every user in `froms`:
// per remote stream (stream id = publisher), video framesDecoded > 0 and
// increasing, audio packetsReceived > 0 and increasing, and the server's
// `tracks` map names the same publisher for those m-lines.
async function chromiumReceives(cl, froms, { timeout = 20000, window = 1500 } = {}) {
    let last = null;
    try {
        await waitFor(async () => {
            last = perUser(await inbound(cl));
            return froms.every((u) => last[u] && last[u].video > 0 && last[u].audio > 0);
        }, { timeout, interval: 250, what: `${cl.user} to decode video and receive audio from ${froms.join(', ')}`,
            fail: () => pageTrouble(cl) });
    } catch (e) {
        e.message += `; per stream now: ${JSON.stringify(last, (k, v) => (v instanceof Set ? [...v] : v))}`;
        throw e;
    }
    const a = perUser(await inbound(cl));
    await sleep(window);
    const entries = await inbound(cl);
    const b = perUser(entries);
    const problems = [];
    const lines = [];
    for (const u of froms) {
        if (!(b[u] && b[u].video > a[u].video))
            problems.push(`video from ${u} did not progress over ${window} ms (${a[u].video} -> ${b[u] && b[u].video})`);
        if (!(b[u] && b[u].audio > a[u].audio))
            problems.push(`audio from ${u} did not progress over ${window} ms (${a[u].audio} -> ${b[u] && b[u].audio})`);
        const srv = b[u] ? [...b[u].serverUsers] : [];
        if (srv.length !== 1 || srv[0] !== u)
            problems.push(`stream ${u}: the server's tracks map names ${JSON.stringify(srv)} for its m-lines ` +
                `(video ${b[u] && b[u].videoMids}, audio ${b[u] && b[u].audioMids})`);
        if (b[u])
            lines.push(`${u}: frames ${a[u].video}->${b[u].video}, audio pkts ${a[u].audio}->${b[u].audio} (mids v ${b[u].videoMids} a ${b[u].audioMids})`);
    }
    // Stream ids are publisher ids: every live remote m-line sits in the
    // stream of the user the server says it forwards.
    for (const e of entries) {
        if (e.direction === 'inactive' || e.trackState !== 'live' || !e.serverUserId)
            continue;
        if (e.streamId !== e.serverUserId)
            problems.push(`m-line ${e.mid} (${e.kind}): stream id ${JSON.stringify(e.streamId)}, server says publisher ${e.serverUserId}`);
    }
    const streams = await cl.page.evaluate(() => [...window.c.remote].filter(([, s]) => s.getTracks().length > 0).map(([id]) => id));
    for (const u of froms) {
        if (!streams.includes(u))
            problems.push(`no remote stream with id ${u} (streams: ${streams.join(', ')})`);
    }
    if (problems.length)
        throw new Error(`${cl.user}: ${problems.join('; ')}`);
    return lines;
}

// aiortc peer `p` receives audio and video from every user in `froms`,
// increasing across its stats events.
async function aiortcReceives(p, froms, { timeout = 20000 } = {}) {
    const has = (st) => st && st.received && froms.every((u) => st.received[u] && st.received[u].audio > 0 && st.received[u].video > 0);
    let first;
    try {
        first = await waitFor(() => (has(p.lastStats) ? p.lastStats : null),
            { timeout, interval: 200, what: `${p.user} to receive audio and video from ${froms.join(', ')}`, fail: () => p.trouble() });
    } catch (e) {
        e.message += `; ${p.describe()}`;
        throw e;
    }
    const n = p.stats.length;
    const second = await waitFor(() => (p.stats.length >= n + 2 ? p.lastStats : null),
        { timeout: 5000, interval: 200, what: `two more stats events from ${p.user}`, fail: () => p.trouble() });
    const problems = [];
    for (const u of froms) {
        const a = first.received[u], b = second.received[u] || {};
        if (!(b.video > a.video))
            problems.push(`video from ${u} did not progress (${a.video} -> ${b.video})`);
        if (!(b.audio > a.audio))
            problems.push(`audio from ${u} did not progress (${a.audio} -> ${b.audio})`);
    }
    if (problems.length)
        throw new Error(`${p.user}: ${problems.join('; ')}`);
    return froms.map((u) => `${u}: video ${first.received[u].video}->${second.received[u].video}, ` +
        `audio ${first.received[u].audio}->${second.received[u].audio}`);
}

// Longest time without progress in each user's frame count, over samples
// [{t, frames: {user: n}}] from a page's sampler.
function longestGaps(samples, users) {
    const out = {};
    for (const u of users) {
        let lastProgress = samples.length ? samples[0].t : 0, prev = null, gap = 0, gapAt = null;
        for (const s of samples) {
            const n = s.frames[u];
            if (n === undefined)
                continue;
            if (prev !== null && n > prev) {
                if (s.t - lastProgress > gap) {
                    gap = s.t - lastProgress;
                    gapAt = lastProgress;
                }
                lastProgress = s.t;
            }
            prev = n;
        }
        const end = samples.length ? samples[samples.length - 1].t : 0;
        if (end - lastProgress > gap) {
            gap = end - lastProgress;
            gapAt = lastProgress;
        }
        out[u] = { gap, gapAt, frames: prev };
    }
    return out;
}

// CPU seconds (utime+stime) of a process and of the descendants of one.
function cpuOf(pid) {
    try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
        return { ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / 100, comm: f.slice(f.indexOf('(') + 1, f.lastIndexOf(')')) };
    } catch {
        return null;
    }
}
function cpuReport() {
    const procs = new Map();
    for (const d of readdirSync('/proc')) {
        if (/^\d+$/.test(d)) {
            const s = cpuOf(d);
            if (s)
                procs.set(Number(d), s);
        }
    }
    const under = (pid, root) => {
        for (let p = pid, i = 0; p > 1 && i < 64; i++) {
            if (p === root)
                return true;
            p = procs.get(p) ? procs.get(p).ppid : 0;
        }
        return false;
    };
    const sums = {};
    for (const [pid, s] of procs) {
        if (pid === process.pid || !under(pid, process.pid))
            continue;
        const k = /chrom/i.test(s.comm) ? 'chromium' : /python/.test(s.comm) ? 'aiortc' : s.comm;
        sums[k] = (sums[k] || 0) + s.cpu;
    }
    const janus = process.env.CONVENE_JANUS_PID ? cpuOf(process.env.CONVENE_JANUS_PID) : null;
    const self = process.cpuUsage();
    const wall = (Date.now() - started) / 1000;
    return `CPU so far over ${wall.toFixed(1)} s wall: janus ${janus ? janus.cpu.toFixed(1) : '?'} s, ` +
        Object.entries(sums).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ') +
        ` (live processes only), node ${((self.user + self.system) / 1e6).toFixed(1)} s`;
}

const watchdog = setTimeout(async () => {
    process.stdout.write(`not ok 999 - watchdog: the test ran over ${WATCHDOG_MS / 1000} s\n`);
    for (const cl of Object.values(clients))
        dumpFrames(cl, { limit: 20 });
    for (const p of Object.values(py))
        t.diag(p.describe());
    process.exitCode = 1;
    for (const p of Object.values(py))
        p.proc.kill('SIGKILL');
    try { await browser?.close(); } catch { /* exiting anyway */ }
    process.exit(1);
}, WATCHDOG_MS);

try {
    await t.case('headless Chromium starts (Debian chromium, fake media)', async () => {
        browser = await launchChromium();
        t.diag(`  Chromium ${browser.version()}, server ${env.wsUrl} (auth ${env.auth})`);
    }, { timeout: 20000 });
    if (!browser)
        throw new Error('no browser');

    // --- 1. four participants, everyone receives everyone ----------------------
    if (!existsSync(AIORTC_PEER))
        pyMissing = `${path.relative(process.cwd(), AIORTC_PEER)} does not exist (the aiortc participant CLI is not written yet)`;
    if (!pyMissing) {
        for (const u of PY)
            py[u] = new AiortcPeer(ROOM, u);
    }
    for (const u of CHROME)
        await openClient(u);
    const everyone = [...CHROME, ...PY];
    const present = [...CHROME, ...(pyMissing ? [] : PY)];
    const others = (u, set = present) => set.filter((x) => x !== u);

    if (!pyMissing) {
        const joinedAll = await Promise.allSettled(PY.map((u) => py[u].waitEvent('joined', { timeout: 15000 })));
        joinedAll.forEach((r, i) => { if (r.status === 'rejected') t.diag(`${PY[i]}: ${r.reason.message}`); });
    }

    const flows = {};
    for (const u of CHROME)
        flows[u] = chromiumReceives(clients[u], others(u), { timeout: 25000 }).then((r) => ({ ok: true, r }), (e) => ({ ok: false, e }));
    for (const u of PY) {
        flows[u] = pyMissing ? Promise.resolve({ ok: false, e: new Error(`cannot run: ${pyMissing}`) })
            : aiortcReceives(py[u], others(u), { timeout: 25000 }).then((r) => ({ ok: true, r }), (e) => ({ ok: false, e }));
    }
    for (const u of everyone) {
        const kind = CHROME.includes(u) ? 'Chromium' : 'aiortc';
        const what = kind === 'Chromium'
            ? 'inbound-rtp video framesDecoded > 0 and increasing, audio packetsReceived > 0 and increasing, per remote stream; stream id = publisher'
            : 'its stats events, increasing';
        const ok = await t.case(`room ${ROOM}, 2 Chromium + 2 aiortc: ${u} (${kind}) receives audio and video from ${others(u, everyone).join(', ')} (${what})`, async () => {
            const res = await flows[u];
            if (!res.ok)
                throw res.e;
            for (const l of res.r)
                t.diag(`  ${u} <- ${l}`);
            if (kind === 'Chromium') {
                const errs = await clientErrors(clients[u]);
                if (errs.length)
                    throw new Error(`${u}: client errors: ${errs.join('; ')}`);
                if (pyMissing)
                    throw new Error(`checked only ${others(u).join(', ')} (Chromium); ${PY.join(' and ')} are missing: ${pyMissing}`);
            }
        }, { timeout: 40000 });
        if (!ok && CHROME.includes(u))
            dumpFrames(clients[u]);
    }

    // --- 2. late joiner ---------------------------------------------------------
    await t.case(`late joiner ${LATE} (Chromium) receives audio and video from ${present.join(', ')}, and they receive ${LATE}` +
        (pyMissing ? ' (aiortc peers missing)' : ''), async () => {
        const cl = await openClient(LATE);
        const jobs = [chromiumReceives(cl, present, { timeout: 20000 })];
        for (const u of CHROME)
            jobs.push(chromiumReceives(clients[u], [LATE], { timeout: 20000 }));
        if (!pyMissing)
            for (const u of PY)
                jobs.push(aiortcReceives(py[u], [LATE], { timeout: 20000 }));
        const res = await Promise.allSettled(jobs);
        const failed = res.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
        const lines = res[0].status === 'fulfilled' ? res[0].value : [];
        for (const l of lines)
            t.diag(`  ${LATE} <- ${l}`);
        const joined = received(cl.rec, 'joined')[0];
        t.diag(`  ${LATE}'s joined.participants: ${JSON.stringify(joined && joined.participants)}`);
        if (failed.length) {
            dumpFrames(cl);
            throw new Error(failed.join('\n'));
        }
        const want = [...present].sort().join(',');
        if (!joined || [...joined.participants].sort().join(',') !== want)
            throw new Error(`joined.participants ${JSON.stringify(joined && joined.participants)}, expected ${want}`);
    }, { timeout: 40000 });

    // --- 3. leaver ------------------------------------------------------------------
    await t.case(`${LATE} leaves: the others' next server offer drops its tracks, and video between ` +
        `${present.join(', ')} has no gap over ${MAX_GAP_MS} ms (framesDecoded sampled every 150 ms across the renegotiation)`, async () => {
        const leaver = clients[LATE];
        if (!leaver)
            throw new Error(`${LATE} has no page`);
        for (const u of CHROME) {
            await clients[u].page.evaluate((late) => {
                window.lateMids = [...window.c.tracksByMid].filter(([, tr]) => tr.userId === late).map(([mid]) => mid);
                window.offersBefore = window.c.serverOffers.length;
                window.c.startSampler(150);
            }, LATE);
        }
        const pyStatsBefore = Object.fromEntries(Object.entries(py).map(([u, p]) => [u, p.stats.length]));
        await sleep(700);
        const tLeave = Date.now();
        const left = await leaver.page.evaluate(() => window.c.leave());
        if (!left || left.type !== 'left')
            throw new Error(`${LATE} got no "left" reply within 5 s`);
        await leaver.context.close();
        delete clients[LATE];
        const problems = [];
        for (const u of CHROME) {
            const cl = clients[u];
            try {
                const st = await waitFor(() => cl.page.evaluate((late) => {
                    const c = window.c;
                    const offers = c.serverOffers.slice(window.offersBefore);
                    const lastOffer = offers[offers.length - 1];
                    if (!lastOffer || lastOffer.tracks.some((tr) => tr.userId === late) || !c.stable())
                        return null;
                    if ([...c.tracksByMid.values()].some((tr) => tr.userId === late))
                        return null;
                    const mids = window.lateMids.map((mid) => {
                        const tx = c.pc.getTransceivers().find((x) => x.mid === mid);
                        const stream = c.remote.get(late);
                        const tr = tx && tx.receiver.track;
                        return {
                            mid, currentDirection: tx ? tx.currentDirection : null,
                            trackState: tr ? tr.readyState : null, muted: tr ? tr.muted : null,
                            inStream: !!(stream && tr && stream.getTracks().includes(tr)),
                            nowFor: c.tracksByMid.get(mid) ? c.tracksByMid.get(mid).userId : null,
                        };
                    });
                    const sdpMids = [...lastOffer.sdp.matchAll(/^a=mid:(\S+)/gm)].map((x) => x[1]);
                    return { offers: offers.length, mids, sdpMids, lateLeftInSdp: lastOffer.sdp.includes(`msid:${late} `),
                        log: c.trackLog.filter((x) => x.streamId === late && x.event !== 'track').map((x) => `${x.event}:${x.kind}`) };
                }, LATE), { timeout: 8000, interval: 150, what: `${u}: a server offer without ${LATE}'s tracks, answered` });
                t.diag(`  ${u}: ${st.offers} server offer(s) after the leave; ${LATE}'s m-lines now ` +
                    st.mids.map((m) => `${m.mid}: ${m.currentDirection}, track ${m.trackState}${m.muted ? ' muted' : ''}` +
                        `${m.inStream ? ' still in stream' : ' removed from stream'}${m.nowFor ? ', reused for ' + m.nowFor : ''}`).join('; ') +
                    `; track events: ${st.log.join(' ') || 'none'}`);
                if (st.mids.length !== 2)
                    problems.push(`${u}: had ${st.mids.length} m-lines for ${LATE} before it left, expected 2 (audio, video)`);
                if (st.lateLeftInSdp)
                    problems.push(`${u}: the server's last offer still announces msid ${LATE}`);
                for (const m of st.mids) {
                    const gone = m.currentDirection === 'inactive' || m.trackState === 'ended' || !m.inStream || m.nowFor;
                    if (!gone)
                        problems.push(`${u}: m-line ${m.mid} of ${LATE} is still ${m.currentDirection}, track ${m.trackState}, in ${LATE}'s stream`);
                }
            } catch (e) {
                problems.push(e.message);
                dumpFrames(cl, { since: tLeave - 1000 });
            }
        }
        // The aiortc peers get a server offer without erin's tracks too.
        const pySettled = {};
        for (const [u, p] of Object.entries(py)) {
            try {
                await waitFor(() => {
                    const offers = p.events.filter((e) => e.event === 'offer' && e.t >= tLeave);
                    const last = offers[offers.length - 1];
                    return last && Array.isArray(last.tracks) && !last.tracks.some((tr) => tr.userId === LATE);
                }, { timeout: 8000, interval: 100, what: `${u} (aiortc): a server offer without ${LATE}'s tracks`, fail: () => p.trouble() });
                pySettled[u] = p.lastStats;
            } catch (e) {
                problems.push(`${e.message}; ${p.describe()}`);
            }
        }
        const tSettled = Date.now();
        await sleep(2000);
        const gapLines = [];
        for (const u of CHROME) {
            const samples = await clients[u].page.evaluate(() => window.c.stopSampler());
            const intervals = samples.slice(1).map((s, i) => s.t - samples[i].t);
            const maxInterval = Math.max(...intervals);
            const watched = others(u);
            const gaps = longestGaps(samples, watched);
            gapLines.push(`${u}: ${samples.length} samples from ${rel(samples[0].t)} to ${rel(samples[samples.length - 1].t)} ` +
                `(leave ${rel(tLeave)}, settled ${rel(tSettled)}), sampling interval max ${maxInterval} ms; longest gap ` +
                watched.map((w) => `${w} ${gaps[w].gap} ms${gaps[w].gap > 300 ? ` at ${rel(gaps[w].gapAt)}` : ''}`).join(', '));
            for (const w of watched) {
                if (gaps[w].gap > MAX_GAP_MS)
                    problems.push(`${u}: no new frame from ${w} for ${gaps[w].gap} ms from ${rel(gaps[w].gapAt)} ` +
                        `(leave at ${rel(tLeave)}; sampler interval max ${maxInterval} ms)`);
            }
        }
        for (const l of gapLines)
            t.diag(`  ${l}`);
        for (const [u, p] of Object.entries(py)) {
            const before = p.stats[Math.max(0, pyStatsBefore[u] - 1)];
            const after = p.lastStats;
            for (const w of others(u)) {
                const a = before && before.received[w], b = after && after.received[w];
                if (!(a && b && b.video > a.video && b.audio > a.audio))
                    problems.push(`${u} (aiortc): from ${w} ${JSON.stringify(a)} before the leave, ${JSON.stringify(b)} now`);
            }
            const a = pySettled[u] && pySettled[u].received[LATE], b = after && after.received[LATE];
            t.diag(`  ${u}: from ${LATE} ${JSON.stringify(a)} when its offer came, ${JSON.stringify(b)} 2 s later`);
        }
        if (problems.length)
            throw new Error(problems.join('\n'));
    }, { timeout: 30000 });

    // --- 4. data channel --------------------------------------------------------------
    const dataCase = `data channel relay Chromium alice <-> aiortc ${PY[0]}: broadcast and targeted both ways, ` +
        'sender identity set by the server (bob and the other aiortc peer as bystanders)';
    await t.case(dataCase, async () => {
        if (pyMissing)
            throw new Error(`cannot run: ${pyMissing}`);
        const alice = clients.alice, bob = clients.bob, carol = py[PY[0]], dave = py[PY[1]];
        const tag = `d${Date.now()}`;
        const dataOf = (cl) => cl.page.evaluate(() => window.c.dataReceived);
        const find = (list, n) => list.find((m) => m && m.data && m.data.n === `${tag}-${n}`);
        const problems = [];
        const expectAt = async (who, n, want) => {
            const get = who.page ? () => dataOf(who).then((l) => find(l, n)) : async () => find(who.data, n);
            try {
                const m = await waitFor(get, { timeout: 5000, interval: 100, what: `${who.user} to get message ${n}` });
                for (const [k, v] of Object.entries(want)) {
                    if (m[k] !== v)
                        problems.push(`${who.user} got ${n} with ${k} = ${JSON.stringify(m[k])}, expected ${JSON.stringify(v)}: ${JSON.stringify(m)}`);
                }
                if (!('targetUserId' in want) && m.targetUserId !== undefined)
                    problems.push(`${who.user} got broadcast ${n} with targetUserId ${JSON.stringify(m.targetUserId)}`);
                if (typeof m.timestamp !== 'number')
                    problems.push(`${who.user} got ${n} without a numeric timestamp: ${JSON.stringify(m)}`);
                return m;
            } catch (e) {
                problems.push(e.message);
                return null;
            }
        };
        const expectNot = async (who, n) => {
            const list = who.page ? await dataOf(who) : who.data;
            const m = find(list, n);
            if (m)
                problems.push(`${who.user} got ${n}, meant for someone else: ${JSON.stringify(m)}`);
        };

        // Chromium -> everyone (an envelope), and a plain text.
        await alice.page.evaluate((d) => window.c.sendData({ data: d }), { n: `${tag}-b1`, from: 'alice' });
        for (const who of [bob, carol, dave])
            await expectAt(who, 'b1', { userId: 'alice' });
        await alice.page.evaluate((s) => window.c.dc.send(s), `plain ${tag}`);
        const plain = await waitFor(() => carol.data.find((m) => m && m.data === `plain ${tag}`), { timeout: 5000, interval: 100, what: `${carol.user} to get alice's plain text` })
            .catch((e) => { problems.push(e.message); return null; });
        if (plain && plain.userId !== 'alice')
            problems.push(`${carol.user} got alice's plain text with userId ${JSON.stringify(plain.userId)}`);
        // Chromium -> aiortc, targeted; a forged userId must not survive.
        await alice.page.evaluate((d) => window.c.sendData({ data: d, targetUserId: 'carol-py', userId: 'mallory' }), { n: `${tag}-t1` });
        await expectAt(carol, 't1', { userId: 'alice', targetUserId: 'carol-py' });
        // aiortc -> everyone.
        carol.send({ cmd: 'send', data: { n: `${tag}-b2`, from: 'carol' } });
        for (const who of [alice, bob, dave])
            await expectAt(who, 'b2', { userId: 'carol-py' });
        // aiortc -> Chromium, targeted.
        carol.send({ cmd: 'send', data: { n: `${tag}-t2` }, targetUserId: 'alice' });
        await expectAt(alice, 't2', { userId: 'carol-py', targetUserId: 'alice' });
        // Nothing targeted reached the bystanders (a broadcast sent after the
        // targeted ones arrived first, so they had their chance).
        await alice.page.evaluate((d) => window.c.sendData({ data: d }), { n: `${tag}-b3` });
        for (const who of [bob, dave])
            await expectAt(who, 'b3', { userId: 'alice' });
        for (const who of [bob, dave]) {
            await expectNot(who, 't1');
            await expectNot(who, 't2');
        }
        await expectNot(alice, 'b1');
        await expectNot(carol, 'b2');
        if (problems.length)
            throw new Error(problems.join('\n'));
    }, { timeout: 30000 });

    t.diag(cpuReport());

    // The aiortc peers leave: the glare and timing cases need the CPU.
    for (const [u, p] of Object.entries(py)) {
        p.send({ cmd: 'leave' });
        const r = await p.quit();
        t.diag(`  ${u} quit: ${JSON.stringify(r)}`);
    }

    // --- 5. glare ---------------------------------------------------------------------
    await t.case(`glare: ${GLARE_ROUNDS} rounds of alice's offer crossing the server's; every round converges ` +
        `(both stable, alice rolled back exactly ${GLARE_ROUNDS} times, the server answered none of the crossing offers) and video keeps flowing`, async () => {
        const alice = clients.alice, bob = clients.bob;
        const settled = () => Promise.all([alice, bob].map((cl) => cl.page.evaluate(() => {
            const c = window.c;
            const dirsOk = c.pc.getTransceivers().every((tx) => !tx.sender.track || tx.currentDirection === tx.direction);
            return c.stable() && dirsOk && c.answersToServer === c.offersFromServer;
        }))).then((a) => a.every(Boolean));
        await waitFor(settled, { timeout: 8000, what: 'alice and bob settled before the rounds' });
        const countsOf = (cl) => cl.page.evaluate(() => ({
            offersFromServer: window.c.offersFromServer, rollbacks: window.c.rollbacks,
            offersOut: window.c.frames.filter((f) => f.dir === 'out' && f.type === 'offer').length,
            answersIn: window.c.frames.filter((f) => f.dir === 'in' && f.type === 'answer').length,
        }));
        const framesFrom = (cl, u) => cl.page.evaluate((u) => window.c.framesByUser().then((f) => f[u] || 0), u);
        const base = { alice: await countsOf(alice), bob: await countsOf(bob) };
        const roundMs = [];
        const tGlare = Date.now();
        for (let i = 1; i <= GLARE_ROUNDS; i++) {
            const t0 = Date.now();
            const before = await alice.page.evaluate(() => window.c.offersFromServer);
            const fromBob = await framesFrom(alice, 'bob');
            await alice.page.evaluate(() => { window.c.forceGlare = 1; });
            // bob changes what he sends -> the server offers alice
            await bob.page.evaluate(() => {
                const tx = window.c.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'audio');
                tx.direction = tx.direction === 'sendonly' ? 'inactive' : 'sendonly';
            });
            try {
                await waitFor(() => alice.page.evaluate((b) => window.c.offersFromServer > b && window.c.forceGlare === 0, before),
                    { timeout: 5000, interval: 50, what: 'the server to offer alice' });
                await waitFor(settled, { timeout: 6000, interval: 100, what: 'alice and bob to settle' });
                // Video from bob (never paused) still decodes at alice.
                await waitFor(async () => (await framesFrom(alice, 'bob')) > fromBob,
                    { timeout: 3000, interval: 100, what: 'alice to decode new frames from bob' });
                // Spot check: alice's own video (paused every odd round by the
                // glare offer) resumes at bob.
                if (i % 4 === 0) {
                    const fromAlice = await framesFrom(bob, 'alice');
                    await waitFor(async () => (await framesFrom(bob, 'alice')) > fromAlice,
                        { timeout: 4000, interval: 100, what: 'bob to decode new frames from alice' });
                }
            } catch (e) {
                dumpFrames(alice, { since: t0 - 200, limit: 20 });
                dumpFrames(bob, { since: t0 - 200, limit: 20 });
                throw new Error(`round ${i}: ${e.message}; alice ${JSON.stringify(await countsOf(alice))}`);
            }
            roundMs.push(Date.now() - t0);
        }
        const now = { alice: await countsOf(alice), bob: await countsOf(bob) };
        const d = (u, k) => now[u][k] - base[u][k];
        t.diag(`  ${GLARE_ROUNDS} rounds in ${((Date.now() - tGlare) / 1000).toFixed(1)} s (round ms median ` +
            `${roundMs.slice().sort((a, b) => a - b)[roundMs.length >> 1]}, max ${Math.max(...roundMs)}); ` +
            `alice: ${d('alice', 'offersFromServer')} server offers, ${d('alice', 'rollbacks')} rollbacks, ` +
            `${d('alice', 'offersOut')} offers sent, ${d('alice', 'answersIn')} answers; bob: ${d('bob', 'offersFromServer')} server offers, ` +
            `${d('bob', 'rollbacks')} rollbacks, ${d('bob', 'offersOut')} offers sent, ${d('bob', 'answersIn')} answers`);
        const problems = [];
        if (d('alice', 'rollbacks') !== GLARE_ROUNDS)
            problems.push(`alice rolled back ${d('alice', 'rollbacks')} times, expected ${GLARE_ROUNDS}`);
        if (d('alice', 'answersIn') !== d('alice', 'offersOut') - d('alice', 'rollbacks'))
            problems.push(`alice sent ${d('alice', 'offersOut')} offers, ${d('alice', 'rollbacks')} crossed the server's, ` +
                `but got ${d('alice', 'answersIn')} answers (the server must answer exactly the others)`);
        if (d('bob', 'answersIn') !== d('bob', 'offersOut') - d('bob', 'rollbacks'))
            problems.push(`bob sent ${d('bob', 'offersOut')} offers, rolled back ${d('bob', 'rollbacks')}, got ${d('bob', 'answersIn')} answers`);
        for (const cl of [alice, bob]) {
            const errs = await clientErrors(cl);
            if (errs.length)
                problems.push(`${cl.user}: ${errs.join('; ')}`);
        }
        // After the last round both directions of video flow.
        const lines = await Promise.allSettled([chromiumReceives(alice, ['bob'], { timeout: 5000, window: 1000 }),
            chromiumReceives(bob, ['alice'], { timeout: 5000, window: 1000 })]);
        for (const r of lines) {
            if (r.status === 'rejected')
                problems.push(r.reason.message);
            else
                t.diag(`  after the rounds: ${r.value.join('; ')}`);
        }
        if (problems.length)
            throw new Error(problems.join('\n'));
    }, { timeout: 45000 });

    // In the rounds above alice's video pause/resume never needs an offer of
    // her own: after the rollback Chromium puts the transceiver's direction
    // into its answer to the server's offer (JSEP), and negotiationneeded does
    // not fire again. The same pause sent in an offer makes the server drop
    // alice's video from bob's connection; sent in an answer it must too,
    // or what bob receives depends on whether the pause met a glare.
    await t.case('glare: alice\'s video pause that rides in her answer after the rollback reaches bob as the same pause sent in an offer does ' +
        '(bob\'s next server offer drops alice\'s video, and re-adds it on resume)', async () => {
        const alice = clients.alice, bob = clients.bob;
        const settled = () => Promise.all([alice, bob].map((cl) => cl.page.evaluate(() => {
            const c = window.c;
            const dirsOk = c.pc.getTransceivers().every((tx) => !tx.sender.track || tx.currentDirection === tx.direction);
            return c.stable() && dirsOk && c.answersToServer === c.offersFromServer;
        }))).then((a) => a.every(Boolean));
        const bobSeesAliceVideo = () => bob.page.evaluate(() => [...window.c.tracksByMid.values()]
            .some((tr) => tr.userId === 'alice' && tr.kind === 'video'));
        const aliceVideo = () => alice.page.evaluate(() => {
            const tx = window.c.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
            return { mid: tx.mid, direction: tx.direction, currentDirection: tx.currentDirection };
        });
        const setAliceVideo = (dir) => alice.page.evaluate((dir) => {
            window.c.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video').direction = dir;
        }, dir);
        const bobOffers = () => bob.page.evaluate(() => window.c.serverOffers.length);
        // alice's last SDP of a type, the lines of the m-section of `mid`
        const aliceSection = (type, mid) => alice.page.evaluate(({ type, mid }) => {
            const f = window.c.frames.filter((x) => x.dir === (type === 'server offer' ? 'in' : 'out') &&
                x.type === (type === 'server offer' ? 'offer' : type)).pop();
            const sdp = f ? f.msg.data.sdp : '';
            const sec = sdp.split(/\r?\n(?=m=)/).find((s) => s.includes(`a=mid:${mid}\r`) || s.endsWith(`a=mid:${mid}`) || s.includes(`a=mid:${mid}\n`));
            return sec ? sec.split(/\r?\n/).filter((l) => /^(m=|a=mid|a=(sendrecv|sendonly|recvonly|inactive)$|a=msid)/.test(l)).join(' | ') : null;
        }, { type, mid });
        const problems = [];
        await waitFor(settled, { timeout: 5000, what: 'settled before' });
        if (!(await bobSeesAliceVideo()))
            throw new Error('bob does not list alice\'s video before the check');
        const mid = (await aliceVideo()).mid;

        // Control: the pause in an offer.
        let n = await bobOffers();
        await setAliceVideo('inactive');
        await waitFor(settled, { timeout: 5000, what: 'settled after alice paused her video in an offer' });
        try {
            await waitFor(async () => (await bobOffers()) > n && !(await bobSeesAliceVideo()),
                { timeout: 3000, what: 'bob\'s server offer without alice\'s video (pause sent in an offer)' });
            t.diag(`  control: alice's offer ${await aliceSection('offer', mid)} -> bob's server offer drops alice's video`);
        } catch (e) {
            problems.push(`control (pause in an offer): ${e.message}`);
        }
        n = await bobOffers();
        await setAliceVideo('sendonly');
        await waitFor(settled, { timeout: 5000, what: 'settled after alice resumed her video in an offer' });
        await waitFor(async () => (await bobOffers()) > n && (await bobSeesAliceVideo()),
            { timeout: 3000, what: 'bob\'s server offer with alice\'s video again (resume sent in an offer)' })
            .catch((e) => problems.push(`control (resume in an offer): ${e.message}`));

        // The same pause, carried by alice's answer after a glare.
        n = await bobOffers();
        const before = await alice.page.evaluate(() => window.c.offersFromServer);
        await alice.page.evaluate(() => { window.c.forceGlare = 1; });
        await bob.page.evaluate(() => {
            const tx = window.c.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'audio');
            tx.direction = tx.direction === 'sendonly' ? 'inactive' : 'sendonly';
        });
        await waitFor(() => alice.page.evaluate((b) => window.c.offersFromServer > b && window.c.forceGlare === 0, before),
            { timeout: 5000, interval: 50, what: 'the server to offer alice' });
        await waitFor(settled, { timeout: 5000, what: 'settled after the glare' });
        const av = await aliceVideo();
        const answerLine = await aliceSection('answer', mid);
        const offerLine = await aliceSection('offer', mid);
        const serverLine = await aliceSection('server offer', mid);
        if (av.currentDirection !== 'inactive')
            problems.push(`alice's video is ${JSON.stringify(av)} after the glare round, expected currentDirection inactive`);
        try {
            await waitFor(async () => (await bobOffers()) > n && !(await bobSeesAliceVideo()),
                { timeout: 3000, what: 'bob\'s server offer without alice\'s video (pause carried by alice\'s answer)' });
            t.diag(`  glare: alice's answer ${answerLine} -> bob's server offer drops alice's video`);
        } catch (e) {
            const bobState = await bob.page.evaluate(() => ({
                tracks: [...window.c.tracksByMid].map(([m, tr]) => `${m}=${tr.userId}/${tr.kind}`).join(','),
                mlines: window.c.pc.getTransceivers().map((x) => `${x.mid}:${x.currentDirection}`).join(','),
            }));
            const fa = await bob.page.evaluate(() => window.c.framesByUser().then((f) => f.alice || 0));
            await sleep(500);
            const fb = await bob.page.evaluate(() => window.c.framesByUser().then((f) => f.alice || 0));
            problems.push(`after the glare round alice's video is ${av.currentDirection} (her forced offer, ignored by the server: ` +
                `${offerLine}; the server's offer: ${serverLine}; her answer to it: ${answerLine}), but bob got ${(await bobOffers()) - n} server ` +
                `offer(s) and still lists alice's video (tracks ${bobState.tracks}; m-lines ${bobState.mlines}; ` +
                `frames from alice ${fa} -> ${fb} in 500 ms): the server ignores the direction of its PUBLISH m-lines in a ` +
                'client answer (convene_sdp_read_answer / convene_nego_client_answer look at FORWARD m-lines only). ' +
                e.message);
        }
        // Back to sending, with a plain offer.
        await setAliceVideo('sendonly');
        await waitFor(settled, { timeout: 5000, what: 'settled after alice resumed' });
        await waitFor(async () => (await bobSeesAliceVideo()), { timeout: 3000, what: 'bob to list alice\'s video again' })
            .catch((e) => problems.push(e.message));
        await chromiumReceives(bob, ['alice'], { timeout: 5000, window: 800 }).catch((e) => problems.push(e.message));
        if (problems.length)
            throw new Error(problems.join('\n'));
    }, { timeout: 40000 });

    // --- 6. join -> first frame -------------------------------------------------------
    for (const u of CHROME) {
        await clients[u].page.evaluate(() => window.c.leave()).catch(() => null);
        await clients[u].context.close();
        delete clients[u];
    }
    const TIMING_ROOM = `join-timing-${process.pid}`;
    await t.case(`measurement: join -> first decoded remote frame in a fresh Chromium page, ${JOIN_SAMPLES} joins ` +
        `of a room with one publisher (from sending join to framesDecoded >= 1)`, async () => {
        const pub = await openClient('publisher', { room: TIMING_ROOM });
        await waitFor(() => pub.page.evaluate(() => window.c.pc && window.c.pc.connectionState === 'connected' && window.c.stable()),
            { timeout: 10000, what: 'the publisher connected' });
        const times = [];
        const phases = [];
        for (let i = 0; i < JOIN_SAMPLES; i++) {
            const cl = await openClient(`joiner-${i}`, { room: TIMING_ROOM, track: false });
            const r = await cl.page.evaluate(async () => {
                const ms = await window.c.firstFrame(15000);
                const at = (type, dir) => {
                    const f = window.c.frames.find((x) => x.type === type && x.dir === dir);
                    return f ? f.t : null;
                };
                const join = window.c.frames.find((x) => x.type === 'join').t;
                const rel = (x) => (x === null ? null : x - join);
                return { ms, joined: rel(at('joined', 'in')), answer: rel(at('answer', 'in')), offer: rel(at('offer', 'in')) };
            });
            await cl.page.evaluate(() => window.c.leave()).catch(() => null);
            await cl.context.close();
            if (r.ms === null)
                throw new Error(`join ${i}: no frame decoded within 15 s (${JSON.stringify(r)})`);
            times.push(r.ms);
            phases.push(r);
        }
        const s = times.slice().sort((a, b) => a - b);
        const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
        const med = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        const medOf = (k) => { const v = phases.map((p) => p[k]).filter((x) => x !== null).sort((a, b) => a - b); return v[v.length >> 1]; };
        t.diag(`join -> first decoded frame, ${s.length} fresh pages: median ${med.toFixed(0)} ms, ` +
            `min ${s[0].toFixed(0)}, p25 ${q(0.25).toFixed(0)}, p75 ${q(0.75).toFixed(0)}, max ${s[s.length - 1].toFixed(0)} ms`);
        t.diag(`  all (ms): ${times.map((x) => x.toFixed(0)).join(' ')}`);
        t.diag(`  median phases from join: joined ${medOf('joined')} ms, server answer ${medOf('answer')} ms, server offer ${medOf('offer')} ms`);
        await pub.page.evaluate(() => window.c.leave()).catch(() => null);
        if (!(med > 0 && med < 10000))
            throw new Error(`median ${med} ms is not sane`);
    }, { timeout: 40000 });
    t.diag(cpuReport());
} catch (e) {
    t.diag(`unexpected: ${e.stack || e}`);
    process.stdout.write('not ok 998 - the test itself failed\n');
    process.exitCode = 1;
} finally {
    for (const p of Object.values(py))
        await p.quit().catch(() => null);
    const t0 = Date.now();
    try { await browser?.close(); } catch (e) { t.diag(`browser.close: ${e.message}`); }
    t.diag(`browser closed in ${Date.now() - t0} ms`);
    clearTimeout(watchdog);
    const code = process.exitCode;
    t.done();
    if (code)
        process.exitCode = code;
}
