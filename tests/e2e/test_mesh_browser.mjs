// test_mesh_browser.mjs — three headless Chromium pages run the seed guide's
// browser client (tests/e2e/pages/seed-videocall.js, the React `VideoCall`
// ported to plain JS) in the mesh room "demo-mesh": everyone must decode
// video from everyone else through the server's offer/answer/candidate relay,
// and when one page closes the others must get `user-left` and close that
// peer connection.
//
// Run: tests/e2e/with-server -- node tests/e2e/test_mesh_browser.mjs
// (also works with --auth jwt: tokens are minted from CONVENE_JWT_SECRET).

import {
    env, tokenFor, launchChromium, openTestPage, tap, waitFor,
    expectVideoFlowing, framesDecoded, received, frameSummary,
} from './lib/browser.mjs';

const ROOM = 'demo-mesh';
const USERS = ['alice', 'bob', 'carol'];
const LEAVER = 'carol';
const MEDIA_TIMEOUT = 30000;
const WATCHDOG_MS = 58000;

const t = tap();
const started = Date.now();
let browser = null;
const contexts = {};
const pages = {};
const recs = {};

const others = (u) => USERS.filter((x) => x !== u);
const pcOf = (peerId) => window.peers.get(peerId);   // runs in the page

// One line per signaling frame of a page, for failure reports.
function dumpFrames(user, { limit = 80 } = {}) {
    const rec = recs[user];
    if (!rec)
        return;
    const lines = rec.frames.slice(0, limit).map((f) => {
        const m = f.json;
        const dt = `+${f.t - started}ms`;
        if (!m)
            return `${dt} ${f.dir} (not json) ${f.data.slice(0, 80)}`;
        let what = m.type;
        if (f.dir === 'sent' && m.targetUserId)
            what += ` to ${m.targetUserId}`;
        if (f.dir === 'received' && m.userId)
            what += ` from ${m.userId}`;
        if (m.type === 'offer' || m.type === 'answer')
            what += ` (${m.data && m.data.type}, ${m.data && m.data.sdp ? m.data.sdp.length : 0} B sdp)`;
        if (m.type === 'ice-candidate')
            what += ` ${m.data ? String(m.data.candidate).split(' ').slice(4, 8).join(' ') : 'null'}`;
        if (m.type === 'joined')
            what += ` participants=${JSON.stringify(m.participants)} topology=${m.data && m.data.topology}`;
        if (m.type === 'user-left' || m.type === 'error')
            what += ` ${JSON.stringify(m.data)}`;
        return `${dt} ${f.dir} ${what}`;
    });
    t.diag(`[${user}] signaling frames (${rec.frames.length}):\n  ` + lines.join('\n  ') +
        (rec.frames.length > limit ? `\n  … ${rec.frames.length - limit} more` : ''));
}

// For a failure report: pairs whose first offers crossed (each side sent an
// offer to the other before receiving any answer from it), i.e. glare.
function glareReport() {
    const lines = [];
    for (let i = 0; i < USERS.length; i++) {
        for (let j = i + 1; j < USERS.length; j++) {
            const [a, b] = [USERS[i], USERS[j]];
            if (!recs[a] || !recs[b])
                continue;
            const firstAnswerAt = (u, from) => (recs[u].frames.find((f) => f.dir === 'received' &&
                f.json && f.json.type === 'answer' && f.json.userId === from) || { t: Infinity }).t;
            const offersBefore = (u, to, until) => recs[u].frames.filter((f) => f.dir === 'sent' && f.json &&
                f.json.type === 'offer' && f.json.targetUserId === to && f.t < until).length;
            const na = offersBefore(a, b, firstAnswerAt(a, b));
            const nb = offersBefore(b, a, firstAnswerAt(b, a));
            if (na > 0 && nb > 0)
                lines.push(`${a} sent ${na} offer(s) to ${b} and ${b} sent ${nb} to ${a} before either got an answer`);
        }
    }
    if (lines.length)
        t.diag('offers crossed (glare; the seed client has no perfect negotiation, and the relay forwarded them all):\n  ' +
            lines.join('\n  '));
}

const watchdog = setTimeout(async () => {
    process.stdout.write(`not ok 999 - watchdog: the test ran over ${WATCHDOG_MS / 1000} s\n`);
    for (const u of Object.keys(recs))
        dumpFrames(u);
    process.exitCode = 1;
    try { await browser?.close(); } catch { /* exiting anyway */ }
    process.exit(1);
}, WATCHDOG_MS);

// Why waiting on a page's signaling is pointless (its socket closed or failed).
function socketTrouble(user) {
    const rec = recs[user];
    if (!rec)
        return false;
    const bad = rec.errors.find((e) => /WebSocket|websocket/.test(e));
    if (bad)
        return bad;
    if (rec.sockets.length && rec.sockets.every((s) => s.closed))
        return 'its WebSocket closed';
    return false;
}

async function joinPage(user) {
    const context = await browser.newContext();
    contexts[user] = context;
    const page = await openTestPage(context, {
        scripts: ['seed-videocall.js'], title: `seed ${user}`, watch: { name: user, diag: t.diag },
    });
    recs[user] = page.watch;
    pages[user] = page;
    await page.evaluate((o) => { window.cleanup = window.VideoCall(o); }, {
        roomId: ROOM, userId: user, token: tokenFor(user, { room: ROOM }), wsUrl: env.wsUrl,
    });
    return page;
}

try {
    await t.case('headless Chromium starts (Debian chromium, fake media)', async () => {
        browser = await launchChromium();
        t.diag(`  Chromium ${browser.version()}, server ${env.wsUrl} (auth ${env.auth})`);
    }, { timeout: 20000 });

    // --- joins, one after the other --------------------------------------------
    const joinedSoFar = [];
    for (const user of USERS) {
        const before = [...joinedSoFar];
        await t.case(`${user} joins ${ROOM}: joined lists ${before.length ? before.join(', ') : 'nobody'}` +
            (before.length ? `, and ${before.join(', ')} get user-joined` : ''), async () => {
            if (!browser)
                throw new Error('no browser');
            await joinPage(user);
            const joined = await waitFor(() => received(recs[user], 'joined')[0],
                { timeout: 10000, what: `${user}'s joined`, fail: () => socketTrouble(user) });
            const errs = received(recs[user], 'error');
            if (errs.length)
                throw new Error(`server sent error: ${JSON.stringify(errs[0])}`);
            if (joined.roomId !== ROOM)
                throw new Error(`joined.roomId = ${JSON.stringify(joined.roomId)}`);
            if (joined.userId !== user)
                throw new Error(`joined.userId = ${JSON.stringify(joined.userId)}`);
            if (!Array.isArray(joined.participants))
                throw new Error(`joined.participants is not an array: ${JSON.stringify(joined.participants)}`);
            const got = [...joined.participants].sort().join(',');
            if (got !== [...before].sort().join(','))
                throw new Error(`joined.participants = ${JSON.stringify(joined.participants)}, expected ${JSON.stringify(before)}`);
            if (!joined.data || joined.data.topology !== 'mesh')
                throw new Error(`joined.data.topology = ${JSON.stringify(joined.data && joined.data.topology)}, expected "mesh"`);
            for (const old of before) {
                await waitFor(() => received(recs[old], 'user-joined', (m) => m.userId === user).length > 0,
                    { timeout: 5000, what: `${old} to get user-joined for ${user}` });
            }
        }, { timeout: 20000 });
        joinedSoFar.push(user);
    }

    // --- media: every page decodes video from both others -------------------
    // Start every (page, peer) check at once, then report one case per page.
    const flows = {};
    for (const user of USERS) {
        flows[user] = {};
        for (const peer of others(user)) {
            flows[user][peer] = pages[user]
                ? expectVideoFlowing(pages[user], pcOf, peer, { timeout: MEDIA_TIMEOUT, window: 2000 })
                    .then((r) => ({ ok: true, r }), (e) => ({ ok: false, e }))
                : Promise.resolve({ ok: false, e: new Error(`${user} has no page`) });
        }
    }
    let mediaFailed = false;
    for (const user of USERS) {
        const ok = await t.case(`${user} decodes video from ${others(user).join(' and ')} (inbound-rtp framesDecoded > 0 and increasing over 2 s)`, async () => {
            const problems = [];
            for (const peer of others(user)) {
                const res = await flows[user][peer];
                if (!res.ok) {
                    problems.push(`from ${peer}: ${res.e.message}`);
                    continue;
                }
                const e = res.r.stats.entries[0] || {};
                t.diag(`  ${user} <- ${peer}: framesDecoded ${res.r.first} -> ${res.r.second} in 2 s, ` +
                    `${e.frameWidth}x${e.frameHeight} ${e.codec}, packetsLost ${e.packetsLost}, ` +
                    `pc ${res.r.stats.state.connectionState}`);
            }
            if (problems.length)
                throw new Error(problems.join('\n'));
        });
        if (!ok) {
            mediaFailed = true;
            dumpFrames(user);
        }
    }
    if (mediaFailed)
        glareReport();

    await t.case('each page\'s remote streams map holds exactly the two others, with live video', async () => {
        const problems = [];
        for (const user of USERS) {
            if (!pages[user]) {
                problems.push(`${user}: no page`);
                continue;
            }
            const got = await pages[user].evaluate(() => [...window.remoteStreams].map(([id, s]) => ({
                id, streamId: s && s.id,
                video: s ? s.getVideoTracks().map((tr) => tr.readyState) : [],
                audio: s ? s.getAudioTracks().map((tr) => tr.readyState) : [],
            })));
            const ids = got.map((g) => g.id).sort().join(',');
            if (ids !== others(user).sort().join(','))
                problems.push(`${user}: remote streams for [${ids}], expected [${others(user).join(',')}]`);
            for (const g of got) {
                if (!g.video.includes('live'))
                    problems.push(`${user}: stream from ${g.id} has no live video track (${JSON.stringify(g)})`);
            }
            t.diag(`  ${user}: ${got.map((g) => `${g.id} (video ${g.video.join('/')}, audio ${g.audio.join('/')})`).join(', ')}`);
        }
        if (problems.length)
            throw new Error(problems.join('\n'));
    });

    await t.case('the server sent no error frames', async () => {
        const errs = USERS.flatMap((u) => (recs[u] ? received(recs[u], 'error').map((m) => `${u}: ${JSON.stringify(m)}`) : []));
        if (errs.length)
            throw new Error(errs.join('\n'));
    });

    for (const user of USERS) {
        if (recs[user])
            t.diag(`[${user}] sent ${frameSummary(recs[user], 'sent')}; received ${frameSummary(recs[user], 'received')}`);
    }

    // --- one page closes ------------------------------------------------------------
    const stayers = others(LEAVER);
    let closedAt = 0;
    const leftOk = await t.case(`${LEAVER}'s page closes: ${stayers.join(' and ')} get user-left for ${LEAVER}`, async () => {
        for (const u of stayers) {
            if (!pages[u])
                throw new Error(`${u} has no page`);
            // Keep the RTCPeerConnection to the leaver to check that it is closed.
            await pages[u].evaluate((id) => { window.leaverPc = window.peers.get(id) || null; }, LEAVER);
        }
        if (!contexts[LEAVER])
            throw new Error(`${LEAVER} has no page`);
        closedAt = Date.now();
        await contexts[LEAVER].close();
        for (const u of stayers) {
            let m;
            try {
                m = await waitFor(() => received(recs[u], 'user-left', (x) => x.userId === LEAVER)[0],
                    { timeout: 10000, what: `${u} to get user-left for ${LEAVER}` });
            } catch (e) {
                e.message += ' (closing a page closes its WebSocket cleanly and the seed client never sends ' +
                    '`leave`: a server that keeps such a participant for a reconnection grace period ' +
                    'delays user-left until the period ends)';
                throw e;
            }
            const reason = m.data && m.data.reason;
            t.diag(`  ${u}: user-left ${JSON.stringify(m.data)} after ${Date.now() - closedAt} ms or less`);
            if (!['left', 'disconnected'].includes(reason))
                throw new Error(`${u}: user-left reason ${JSON.stringify(reason)}, expected "disconnected" (or "left")`);
        }
    }, { timeout: 15000 });

    await t.case(`${stayers.join(' and ')} closed their connection to ${LEAVER} and dropped her stream`, async () => {
        for (const u of stayers) {
            const state = await waitFor(async () => {
                const s = await pages[u].evaluate((id) => ({
                    inPeers: window.peers.has(id),
                    inStreams: window.remoteStreams.has(id),
                    hadPc: !!window.leaverPc,
                    signalingState: window.leaverPc ? window.leaverPc.signalingState : null,
                    peers: [...window.peers.keys()],
                    streams: [...window.remoteStreams.keys()],
                }), LEAVER);
                return (!s.inPeers && !s.inStreams && s.signalingState === 'closed') ? s : false;
            }, { timeout: leftOk ? 3000 : 1000, what: `${u} to close its connection to ${LEAVER}` });
            const rest = others(u).filter((x) => x !== LEAVER).join(',');
            if (state.peers.join(',') !== rest || state.streams.join(',') !== rest)
                throw new Error(`${u}: peers [${state.peers}], streams [${state.streams}], expected [${rest}]`);
        }
    }, { skip: stayers.every((u) => pages[u]) ? undefined : 'pages missing' });

    await t.case(`${stayers.join(' and ')} still decode each other's video after ${LEAVER} left`, async () => {
        const [a, b] = stayers;
        for (const [u, peer] of [[a, b], [b, a]]) {
            const before = (await framesDecoded(pages[u], pcOf, peer)).frames;
            const r = await expectVideoFlowing(pages[u], pcOf, peer, { timeout: 5000, min: before + 1, window: 1000 });
            t.diag(`  ${u} <- ${peer}: framesDecoded ${r.first} -> ${r.second} in 1 s`);
        }
    }, { timeout: 15000 });

    if (t.failed) {
        for (const u of stayers)
            dumpFrames(u);
    }
} catch (e) {
    t.diag(`unexpected: ${e.stack || e}`);
    process.stdout.write('not ok 998 - the test itself failed\n');
    process.exitCode = 1;
} finally {
    const t0 = Date.now();
    try { await browser?.close(); } catch (e) { t.diag(`browser.close: ${e.message}`); }
    t.diag(`browser closed in ${Date.now() - t0} ms`);
    clearTimeout(watchdog);
    const code = process.exitCode;
    t.done();
    if (code)
        process.exitCode = code;
}
