// with-server: --auth none
//
// test_ice_restart.mjs — the media path of one participant fails and comes
// back: the client library restarts ICE and the demo page recovers its
// media without joining again.
//
// Two demo pages (html/index.html, Chromium with a fake camera), ann and ben,
// in a fresh SFU room with video both ways. Then nftables (inside the
// harness's private network namespace only: the test refuses to run
// elsewhere) drops every UDP packet to or from the Janus port of ann's
// PeerConnection — ben's connection is untouched. Chromium sees ann's
// connection go "disconnected" (~5 s); after the library's
// iceRestartAfterMs (4 s) PeerEngine starts an ICE restart ('ice-restart',
// an offer with a new ice-ufrag, answered by the server over the WebSocket,
// which is TCP and not affected). The drop lasts until that restart has
// been answered and 2 s more, so the new credentials' checks fail too;
// then the rule goes and the test checks:
//   - ann's connection is "connected" again with the new ufrag, video
//     decodes again both ways (framesDecoded increasing on the tiles);
//   - no new `join` from ann, no user-left / user-joined for ann at ben,
//     ben's tile for ann is the same element; ann's page said
//     "Media connection interrupted — restoring…", then "restored";
//   - the Janus log has no "ICE failed" hang-up of the PeerConnection.
// It prints the timings (drop, disconnected, restart, connected, media).
//
// Timing limit (measured, see docs/client.md "Reconnection"): the Janus core
// hangs the PeerConnection up ~15 s after the restart offer if the path is
// still dead (libnice reports the restarted checks failed, then Janus
// waits 5 s). A drop under ~20 s recovers; a longer one does not recover
// without rejoining (CONVENE_ICE_LONG_DROP=1 runs that case, not part of
// the normal run).
//
// Run: tests/e2e/with-server -- node tests/e2e/test_ice_restart.mjs

import { readFileSync } from 'node:fs';
import { env, launchChromium, tap, waitFor, sleep, watchPage, frameSummary } from './lib/browser.mjs';
import { tileSel, framesOnTile } from './lib/demo.mjs';
import { namespaceProblem, NftTable } from './lib/netns.mjs';

const WATCHDOG_MS = Number(process.env.CONVENE_ICE_LONG_DROP) ? 150000 : 80000;
const t = tap();
const problem = namespaceProblem();
if (problem) {
    await t.case('ICE restart after the media path fails', () => {}, { skip: `refusing to use nftables: ${problem}` });
    t.done();
    process.exit(0);
}

const watchdog = setTimeout(() => {
    process.stdout.write('not ok - watchdog: the test took too long\n');
    dump();
    process.exit(1);
}, WATCHDOG_MS);

const roomId = `ice-restart-${process.pid}`;
let browser = null;
const users = {};

function dump() {
    for (const [name, u] of Object.entries(users))
        if (u.page && u.page.watch)
            t.diag(`[${name}] frames sent ${frameSummary(u.page.watch, 'sent')}; received ${frameSummary(u.page.watch, 'received')}`);
}

async function open(name) {
    const context = await browser.newContext({ viewport: { width: 960, height: 540 } });
    const page = await context.newPage();
    page.watch = watchPage(page, { name, diag: t.diag });
    const url = `${env.httpUrl}index.html?${new URLSearchParams({ room: roomId, name, autojoin: '1', res: '360' })}`;
    const inCall = () => waitFor(() => page.evaluate(() => document.body.dataset.state === 'in-call' && !!window.demo.selfId),
        { timeout: 15000, what: `${name} in the call` });
    await page.goto(url);
    try {
        await inCall();
    } catch (e) {
        /* Chromium sometimes sees the harness's fresh veth link settle as a
         * network change and fails a module load (ERR_NETWORK_CHANGED): the
         * page never ran. That, and only that, is worth one reload */
        if (!page.watch.errors.some((x) => x.includes('ERR_NETWORK_CHANGED')))
            throw e;
        t.diag(`  ${name}: the page load hit ERR_NETWORK_CHANGED: loading it again`);
        await page.goto(url);
        await inCall();
    }
    const id = await page.evaluate(() => window.demo.selfId);
    users[name] = { context, page, id };
    return users[name];
}



/** Ann's SFU connection: state, local ufrag, the selected pair's ports. */
const sfuPath = (page) => page.evaluate(async () => {
    const pc = window.demo.room.peers.get('sfu').pc;
    const ufrag = (pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1];
    let pair = null;
    (await pc.getStats()).forEach((s, _k, r) => {
        if (s.type === 'transport' && s.selectedCandidatePairId && r.get) {
            const p = r.get(s.selectedCandidatePairId);
            if (p)
                pair = { local: r.get(p.localCandidateId), remote: r.get(p.remoteCandidateId) };
        }
    });
    return { state: pc.connectionState, ufrag,
        local: pair && `${pair.local.address}:${pair.local.port}`, remote: pair && `${pair.remote.address}:${pair.remote.port}`,
        remotePort: pair ? pair.remote.port : null };
});

const sent = (u, type) => u.page.watch.frames.filter((f) => f.dir === 'sent' && f.json && f.json.type === type);
const got = (u, type, pred = () => true) => u.page.watch.frames.filter((f) => f.dir === 'received' && f.json && f.json.type === type && pred(f.json));

async function framesIncreasing(page, id, since, what, timeout = 20000) {
    const base = await framesOnTile(page, id);
    return waitFor(async () => {
        const n = await framesOnTile(page, id);
        return n > base + 5 ? Date.now() - since : null;
    }, { timeout, interval: 100, what });
}

/**
 * Drops ann's media for a while and checks the recovery.
 * @param {'restart-then-back' | {ms: number}} how
 */
async function dropAndRecover(ann, ben, how) {
    const before = await sfuPath(ann.page);
    if (before.state !== 'connected' || !before.remotePort)
        throw new Error(`ann's path before the drop: ${JSON.stringify(before)}`);
    const restartsBefore = await ann.page.evaluate(() => window.demo.iceRestarts.length);
    const joinsBefore = sent(ann, 'join').length;
    const benFramesBefore = ben.page.watch.frames.length;
    await ben.page.evaluate((sel) => { document.querySelector(sel).__marked = true; }, tileSel(ann.id));
    t.diag(`  ann's path: ${before.local} <-> ${before.remote} (Janus), ufrag ${before.ufrag}`);

    const nft = new NftTable();
    const t0 = Date.now();
    const times = {};
    try {
        nft.rule('udp', 'sport', before.remotePort, 'drop');
        nft.rule('udp', 'dport', before.remotePort, 'drop');
        const disc = await waitFor(() => ann.page.evaluate((s) => window.demo.mediaStates.find((x) => x.peer === 'sfu' &&
            x.t >= s && (x.state === 'disconnected' || x.state === 'failed')), t0), { timeout: 15000, interval: 100, what: 'ann: disconnected' });
        times.disconnected = disc.t - t0;
        if (how === 'restart-then-back') {
            const r = await waitFor(() => ann.page.evaluate((n) => window.demo.iceRestarts[n], restartsBefore),
                { timeout: 15000, interval: 100, what: 'ann: an ICE restart' });
            times.restart = r.t - t0;
            const answered = await waitFor(() => {
                const offers = sent(ann, 'offer').filter((f) => f.t >= r.t);
                const o = offers.find((f) => (f.json.data.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1] !== before.ufrag);
                if (!o)
                    return null;
                const a = got(ann, 'answer').find((f) => f.t >= o.t);
                return a ? { offer: o.t - t0, answer: a.t - t0 } : null;
            }, { timeout: 10000, interval: 100, what: 'ann: the restart offer answered' });
            times.restartOffer = answered.offer;
            times.restartAnswer = answered.answer;
            await sleep(2000);
        } else {
            await sleep(Math.max(0, how.ms - (Date.now() - t0)));
        }
    } finally {
        nft.destroy();
    }
    const tUp = Date.now();
    times.drop = tUp - t0;
    const conn = await waitFor(() => ann.page.evaluate((s) => window.demo.mediaStates.find((x) => x.peer === 'sfu' && x.t >= s &&
        x.state === 'connected'), tUp - 50), { timeout: 20000, interval: 100, what: 'ann: connected again' });
    times.connected = conn.t - t0;
    const [benGets, annGets] = await Promise.all([
        framesIncreasing(ben.page, ann.id, t0, 'ben decodes ann again'),
        framesIncreasing(ann.page, ben.id, t0, 'ann decodes ben again'),
    ]);
    times.mediaAtBen = benGets;
    times.mediaAtAnn = annGets;
    const after = await sfuPath(ann.page);
    const restarts = await ann.page.evaluate((n) => window.demo.iceRestarts.slice(n), restartsBefore);
    t.diag(`  timings from the start of the drop (ms): ${JSON.stringify(times)}; ICE restarts: ${restarts.map((r) => r.t - t0).join(', ')}`);
    t.diag(`  ann's path after: ${after.local} <-> ${after.remote}, ufrag ${after.ufrag} (was ${before.ufrag})`);
    if (after.state !== 'connected')
        throw new Error(`ann's connection is ${after.state}`);
    if (restarts.length === 0 || after.ufrag === before.ufrag)
        throw new Error(`no ICE restart: ${restarts.length} restarts, ufrag ${before.ufrag} -> ${after.ufrag}`);
    if (sent(ann, 'join').length !== joinsBefore)
        throw new Error(`ann joined again (${sent(ann, 'join').length - joinsBefore} join frames)`);
    const benSaw = ben.page.watch.frames.slice(benFramesBefore)
        .filter((f) => f.dir === 'received' && f.json && ['user-left', 'user-joined'].includes(f.json.type) && f.json.userId === ann.id);
    if (benSaw.length > 0)
        throw new Error(`ben saw ${benSaw.map((f) => f.json.type).join(', ')} for ann`);
    const same = await ben.page.evaluate((sel) => !!document.querySelector(sel)?.__marked, tileSel(ann.id));
    if (!same)
        throw new Error('ben\'s tile for ann was replaced');
    const keys = await ann.page.evaluate((s) => window.demo.banner.history.filter((n) => n.t >= s).map((n) => n.key), t0);
    if (!keys.includes('media-interrupted') || keys[keys.length - 1] !== 'media-restored')
        throw new Error(`ann's page said: ${keys.join(' > ')}`);
    return times;
}

/** Lines of the Janus log about ICE failing: {warnings, hangups} (the ERR lines are hang-ups). */
function janusIceLog() {
    let lines = [];
    try {
        lines = readFileSync(process.env.CONVENE_JANUS_LOG, 'utf8').split('\n');
    } catch { /* no log */ }
    const ice = lines.filter((l) => /ICE failed for component|DTLS taking too much time/.test(l));
    return { all: ice, hangups: ice.filter((l) => l.startsWith('[ERR]')) };
}

try {
    browser = await launchChromium();
    let ann, ben;
    const setup = await t.case('ann and ben join a fresh SFU room and see each other\'s video', async () => {
        ann = await open('ann');
        ben = await open('ben');
        const t0 = Date.now();
        await framesIncreasing(ann.page, ben.id, t0, 'ann decodes ben');
        await framesIncreasing(ben.page, ann.id, t0, 'ben decodes ann');
    });

    if (setup) {
        await t.case('ann\'s UDP dropped until an ICE restart happened (+2 s): media back both ways, no rejoin, Janus kept the PeerConnection', async () => {
            await dropAndRecover(ann, ben, 'restart-then-back');
            const log = janusIceLog();
            if (log.all.length > 0)
                t.diag(`  Janus log:\n  ${log.all.join('\n  ')}`);
            if (log.hangups.length > 0)
                throw new Error(`the Janus core hung the PeerConnection up:\n  ${log.hangups.join('\n  ')}`);
        }, { timeout: 60000 });

        const longMs = Number(process.env.CONVENE_ICE_LONG_DROP) > 1 ? Number(process.env.CONVENE_ICE_LONG_DROP) : 35000;
        await t.case(`a ${longMs / 1000} s drop (longer than Janus's ICE-failed grace): media back without rejoin`, async () => {
            try {
                await dropAndRecover(ann, ben, { ms: longMs });
            } finally {
                const log = janusIceLog();
                t.diag(`  Janus log: ${log.all.length ? '\n  ' + log.all.join('\n  ') : 'nothing about ICE failing'}`);
            }
        }, process.env.CONVENE_ICE_LONG_DROP ? { timeout: 100000 }
            : { skip: 'known limit: the Janus core hangs up the PeerConnection ~15 s after an unanswered ICE restart ' +
                'and the client is not told (docs/client.md); CONVENE_ICE_LONG_DROP=1 runs it' });
    }
} catch (e) {
    process.stdout.write('not ok - setup failed\n');
    t.diag(e && e.stack ? e.stack : String(e));
} finally {
    clearTimeout(watchdog);
    for (const u of Object.values(users)) {
        await u.page.click('[data-testid=leave]').catch(() => {});
        await u.context.close().catch(() => {});
    }
    if (browser)
        await browser.close().catch(() => {});
    t.done();
}
