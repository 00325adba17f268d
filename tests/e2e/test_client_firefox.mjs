// test_client_firefox.mjs — the client library (html/js/convene.js) in
// Firefox: Debian's firefox-esr driven over WebDriver BiDi by puppeteer-core
// (Playwright needs its own Firefox build, which cannot be fetched here).
// The same pages as the Chromium tests:
//
//   1. tests/e2e/pages/client-negotiation.js: the PeerEngine (polite) with a
//      scripted impolite peer: first contact with media and data, glare 10
//      times (a rollback every round), media after, restartIce()
//   2. tests/e2e/pages/client-room.js: two Firefox pages with RoomEngine in
//      the SFU room "demo" (simulcast on) and the mesh room "demo-mesh":
//      streams with live video, mute -> participant-updated, data with the
//      sender's userId, 'quality' events, leave
//
// Firefox gathers host candidates only on the interface of the default
// route, and the harness's namespace has none: the test adds one through v0
// (inside the private namespace only — both ends of v0/v1 are in it, so
// nothing can leave; it refuses to run outside it).
// Skipped when firefox-esr or puppeteer-core is missing.
//
// Run: tests/e2e/with-server -- node tests/e2e/test_client_firefox.mjs

import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { env, tap, waitFor, sleep, PAGES_DIR } from './lib/browser.mjs';

const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((f) => existsSync(f));
const WATCHDOG_MS = 200000;
const t = tap();

let puppeteer = null;
try {
    puppeteer = (await import('puppeteer-core')).default;
} catch { /* skipped below */ }

let skip = null;
if (!FIREFOX)
    skip = 'firefox-esr is not installed (apt-get install firefox-esr)';
else if (!puppeteer)
    skip = 'puppeteer-core is not installed (npm install)';
else if (process.env.CONVENE_IN_NETNS !== '1')
    skip = 'not inside the harness namespace (run through tests/e2e/with-server)';

if (skip) {
    await t.case('client library in Firefox', () => {}, { skip });
    t.done();
    process.exit(0);
}

const watchdog = setTimeout(() => {
    process.stdout.write('not ok - watchdog: the test took too long\n');
    process.exit(1);
}, WATCHDOG_MS);

// Firefox needs a default route to gather candidates (see above).
try {
    const routes = execFileSync('ip', ['route', 'show', 'default'], { encoding: 'utf8' });
    if (!routes.trim())
        execFileSync('ip', ['route', 'add', 'default', 'dev', 'v0']);
} catch (e) {
    t.diag(`could not add a default route in the namespace: ${e.message}`);
}

let browser = null;
const pageErrors = [];

async function open(script, name) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => { pageErrors.push(`[${name}] ${e.message}`); t.diag(`[${name}] page error: ${e.message}`); });
    page.on('console', (m) => {
        if (m.type() === 'error')
            t.diag(`[${name}] console.error: ${m.text()}`);
    });
    // A document of the server's origin (its 404 page), then our script in it
    await page.goto(env.httpUrl + '__test__/firefox');
    await page.addScriptTag({ content: readFileSync(path.join(PAGES_DIR, script), 'utf8') });
    return page;
}

try {
    const version = execFileSync(FIREFOX, ['--version'], { encoding: 'utf8' }).trim();
    t.diag(`${version}, puppeteer-core over WebDriver BiDi`);
    browser = await puppeteer.launch({
        browser: 'firefox', executablePath: FIREFOX, headless: true, protocol: 'webDriverBiDi',
        extraPrefsFirefox: {
            'media.navigator.streams.fake': true,
            'media.navigator.permission.disabled': true,
            'media.peerconnection.ice.obfuscate_host_addresses': false,
            // Nothing in the background (the default route stays inside the
            // namespace anyway; puppeteer already turns most of this off)
            'network.captive-portal-service.enabled': false,
            'network.connectivity-service.enabled': false,
            'network.dns.disablePrefetch': true,
            'network.prefetch-next': false,
            'browser.safebrowsing.malware.enabled': false,
            'browser.safebrowsing.phishing.enabled': false,
            'app.update.auto': false,
            'datareporting.policy.dataSubmissionEnabled': false,
            'toolkit.telemetry.enabled': false,
        },
    });

    // --- perfect negotiation ---------------------------------------------------
    let neg = null;
    const frames = () => neg.evaluate(() => window.pair.frames());
    const mediaBothWays = async (what) => {
        const a = await waitFor(async () => { const f = await frames(); return f.engine > 0 && f.peer > 0 ? f : null; },
            { timeout: 20000, what: `${what}: frames on both sides` });
        await sleep(1200);
        const b = await frames();
        if (!(b.engine > a.engine && b.peer > a.peer))
            throw new Error(`${what}: frames ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    };
    const pairErrors = async (what) => {
        const errors = await neg.evaluate(() => window.pair.errors);
        if (errors.length)
            throw new Error(`${what}: ${JSON.stringify(errors)}`);
    };

    await t.case('firefox: convene.js loads as a module; PeerEngine first contact with media both ways and data', async () => {
        neg = await open('client-negotiation.js', 'negotiation');
        const names = await neg.evaluate(() => window.loadConvene());
        if (!names.includes('RoomEngine') || !names.includes('PeerEngine'))
            throw new Error(`exports: ${names}`);
        await neg.evaluate(() => window.makePair({ enginePolite: true, delay: 10 }));
        await neg.evaluate(() => window.pair.engineStart());
        await neg.evaluate(() => window.pair.waitSettled());
        await neg.evaluate(() => window.pair.peerStart());
        await neg.evaluate(() => window.pair.waitSettled());
        await mediaBothWays('first contact');
        await neg.evaluate(() => window.pair.dataRoundTrip('hello'));
        await pairErrors('first contact');
    });

    await t.case('firefox: glare 10x converges with a rollback every round; media and data after', async () => {
        const rounds = await neg.evaluate(async () => {
            const p = window.pair;
            const out = [];
            for (let i = 0; i < 10; i++) {
                const tx = p.engine.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
                const b = { r: p.engine.negotiation.rollbacks, i: p.peer.ignored };
                const want = [tx.direction === 'sendonly' ? 'inactive' : 'sendonly',
                    p.peer.tx.direction === 'sendonly' ? 'inactive' : 'sendonly'];
                tx.direction = want[0];
                p.peer.tx.direction = want[1];
                await p.waitSettled();
                out.push({ rollbacks: p.engine.negotiation.rollbacks - b.r, ignored: p.peer.ignored - b.i,
                    ok: tx.currentDirection === want[0] && p.peer.tx.currentDirection === want[1] });
            }
            return out;
        });
        const bad = rounds.filter((r) => r.rollbacks < 1 || r.ignored < 1 || !r.ok);
        if (bad.length)
            throw new Error(`rounds: ${JSON.stringify(rounds)}`);
        await mediaBothWays('after glare');
        await neg.evaluate(() => window.pair.dataRoundTrip('after'));
        await pairErrors('glare');
    }, { timeout: 60000 });

    await t.case("firefox: restartIce() — 'ice-restart', new credentials, connected, media flows", async () => {
        const r = await neg.evaluate(async () => {
            const p = window.pair;
            const ufrag = () => (p.engine.pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1];
            const before = ufrag();
            let events = 0;
            p.engine.on('ice-restart', () => events++);
            p.engine.restartIce();
            await p.waitSettled();
            const end = performance.now() + 10000;
            while (p.engine.pc.connectionState !== 'connected' && performance.now() < end)
                await new Promise((res) => setTimeout(res, 50));
            return { before, after: ufrag(), events, state: p.engine.pc.connectionState };
        });
        if (r.events !== 1 || r.before === r.after || r.state !== 'connected')
            throw new Error(JSON.stringify(r));
        await mediaBothWays('after the restart');
        await neg.evaluate(() => window.pair.close());
        await neg.close();
    });

    // --- rooms ---------------------------------------------------------------------
    for (const [roomId, topology] of [['demo', 'sfu'], ['demo-mesh', 'mesh']]) {
        const A = `ff-alice-${topology}`, B = `ff-bob-${topology}`;
        const pages = {};
        const ev = (u, name) => pages[u].evaluate((n) => window.events(n), name);
        const framesOf = (u, from) => pages[u].evaluate((f) => window.framesOf(f), from);
        await t.case(`firefox, ${topology} (${roomId}): two RoomEngines see each other's live video`, async () => {
            for (const u of [A, B]) {
                pages[u] = await open('client-room.js', u);
                const j = await pages[u].evaluate((o) => window.startRoom(o), { wsUrl: env.wsUrl, roomId, userId: u });
                if (j.topology !== topology)
                    throw new Error(`${u}: topology ${j.topology}`);
            }
            for (const [u, from] of [[A, B], [B, A]]) {
                await waitFor(async () => (await ev(u, 'stream')).some((s) => s.userId === from && s.kinds.includes('video')),
                    { timeout: 20000, what: `${u}: a stream from ${from}` });
                const a = await waitFor(() => framesOf(u, from), { timeout: 20000, what: `${u}: frames from ${from}` });
                await sleep(1200);
                const b = await framesOf(u, from);
                if (!(b > a))
                    throw new Error(`${u}: frames from ${from} ${a} -> ${b}`);
            }
        }, { timeout: 60000 });
        await t.case(`firefox, ${topology} (${roomId}): mute, data with userId, quality events, leave`, async () => {
            await pages[A].evaluate(() => window.room.setAudioEnabled(false));
            await waitFor(async () => (await ev(B, 'participant-updated')).some((p) => p.userId === A && p.media.audio === false),
                { timeout: 5000, what: 'participant-updated' });
            await waitFor(() => pages[A].evaluate((p) => { try { window.room.send(p); return true; } catch { return false; } },
                { hi: 'firefox' }), { timeout: 10000, what: 'data channel open' });
            const d = await waitFor(async () => (await ev(B, 'data')).find((x) => x.userId === A),
                { timeout: 5000, what: 'data at bob' });
            if (!d.data || d.data.hi !== 'firefox')
                throw new Error(`data: ${JSON.stringify(d)}`);
            await pages[B].evaluate(() => window.room.startQualityMonitoring(600));
            const q = await waitFor(async () => (await ev(B, 'quality')).find((x) => x.direction === 'downlink' && x.kind === 'video'),
                { timeout: 8000, what: 'a downlink quality event' });
            if (q.userId !== A)
                throw new Error(`quality event: ${JSON.stringify(q)}`);
            await pages[B].evaluate(() => window.room.leave());
            await waitFor(async () => (await ev(A, 'participant-left')).some((p) => p.userId === B),
                { timeout: 5000, what: 'participant-left' });
            for (const u of [A, B]) {
                const errs = await ev(u, 'error');
                if (errs.length)
                    throw new Error(`${u}: error events ${JSON.stringify(errs)}`);
            }
            await pages[A].evaluate(() => window.room.leave());
            for (const u of [A, B])
                await pages[u].close();
        }, { timeout: 60000 });
    }
    if (pageErrors.length)
        t.diag(`page errors: ${JSON.stringify(pageErrors)}`);
} catch (e) {
    process.stdout.write('not ok - setup failed\n');
    t.diag(e && e.stack ? e.stack : String(e));
} finally {
    clearTimeout(watchdog);
    if (browser)
        await browser.close().catch(() => {});
    t.done();
}
