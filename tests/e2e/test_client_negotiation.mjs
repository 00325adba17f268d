// test_client_negotiation.mjs — the client library's PeerEngine
// (html/js/convene.js) doing perfect negotiation in headless Chromium,
// against a scripted peer in the same page (tests/e2e/pages/client-negotiation.js:
// a bare RTCPeerConnection with the textbook perfect negotiation, impolite
// like the server; an in-page fake signaling channel with a delay).
// The Convene server is only the page's origin (it serves /js/convene.js).
//
//   1. the module loads with <script type="module"> semantics (import())
//   2. first contact: the engine offers (media + data channel), the peer
//      offers back its own video; media both ways, data round trip
//   3. glare, 10 rounds: both sides change something at the same moment and
//      offer; every round the polite engine rolls back and the impolite peer
//      ignores the engine's offer, and both end settled with what each asked
//      for; media and data flow after
//   4. an offer that arrives while the engine is still making its own
//      (inside setLocalDescription) is answered and everything settles
//   5. restartIce(): 'ice-restart', new ICE credentials, media continues
//   6. impolite engine: the offer it ignores comes with candidates; adding
//      them does not throw (first contact, and an ICE-restart offer crossing
//      a renegotiation); the polite peer gives way and all converges
//
// Run: tests/e2e/with-server -- node tests/e2e/test_client_negotiation.mjs

import { launchChromium, openTestPage, tap, waitFor, sleep } from './lib/browser.mjs';

const GLARE_ROUNDS = 10;
const WATCHDOG_MS = 120000;
const t = tap();
let browser = null;
let page = null;

const watchdog = setTimeout(() => {
    process.stdout.write('not ok - watchdog: the test took too long\n');
    process.exit(1);
}, WATCHDOG_MS);

// Video frames decoded on both sides keep increasing.
async function expectMediaBothWays(what) {
    const a = await waitFor(() => page.evaluate(async () => {
        const f = await window.pair.frames();
        return f.engine > 0 && f.peer > 0 ? f : null;
    }), { timeout: 20000, what: `${what}: frames decoded on both sides` });
    await sleep(1200);
    const b = await page.evaluate(() => window.pair.frames());
    if (!(b.engine > a.engine && b.peer > a.peer))
        throw new Error(`${what}: framesDecoded did not increase on both sides: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    return b;
}

async function noErrors(what) {
    const errors = await page.evaluate(() => window.pair.errors);
    if (errors.length > 0)
        throw new Error(`${what}: errors: ${JSON.stringify(errors)}`);
    const pageErrors = page.watch.errors.filter((e) => !/Failed to load resource/.test(e));
    if (pageErrors.length > 0)
        throw new Error(`${what}: page errors: ${JSON.stringify(pageErrors)}`);
}

try {
    browser = await launchChromium();
    const context = await browser.newContext();

    await t.case('convene.js loads as an ES module and exports the contract', async () => {
        page = await openTestPage(context, { scripts: ['client-negotiation.js'], watch: { name: 'negotiation' } });
        const names = await page.evaluate(() => window.loadConvene());
        for (const n of ['ConveneError', 'Emitter', 'backoffDelay', 'SignalingClient', 'normalizeStats',
            'classifyQuality', 'PeerEngine', 'RoomEngine']) {
            if (!names.includes(n))
                throw new Error(`missing export ${n}; got ${names.join(', ')}`);
        }
    });

    await t.case('first contact: engine offers media + data, the impolite peer answers and offers back; media both ways', async () => {
        await page.evaluate(() => window.makePair({ enginePolite: true, delay: 10 }));
        await page.evaluate(() => window.pair.engineStart());
        await page.evaluate(() => window.pair.waitSettled());
        await page.evaluate(() => window.pair.peerStart());
        await page.evaluate(() => window.pair.waitSettled());
        await expectMediaBothWays('first contact');
        await page.evaluate(() => window.pair.dataRoundTrip('hello'));
        const s = await page.evaluate(() => window.pair.states());
        t.diag(`  after first contact: ${JSON.stringify(s)}`);
        if (s.engine.connection !== 'connected')
            throw new Error(`connection ${s.engine.connection}`);
        await noErrors('first contact');
    });

    await t.case(`glare ${GLARE_ROUNDS}x: both offer at once; the polite engine rolls back every time and both settle`, async () => {
        for (let round = 1; round <= GLARE_ROUNDS; round++) {
            const r = await page.evaluate(async () => {
                const p = window.pair;
                const before = { rollbacks: p.engine.negotiation.rollbacks, ignored: p.peer.ignored };
                const tx = p.engine.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
                // Both change a direction in the same task: both offer at once
                const engineWant = tx.direction === 'sendonly' ? 'inactive' : 'sendonly';
                const peerWant = p.peer.tx.direction === 'sendonly' ? 'inactive' : 'sendonly';
                tx.direction = engineWant;
                p.peer.tx.direction = peerWant;
                await p.waitSettled();
                return {
                    rollbacks: p.engine.negotiation.rollbacks - before.rollbacks,
                    ignored: p.peer.ignored - before.ignored,
                    engine: [engineWant, tx.currentDirection],
                    peer: [peerWant, p.peer.tx.currentDirection],
                };
            });
            if (r.rollbacks < 1 || r.ignored < 1)
                throw new Error(`round ${round}: no glare happened (rollbacks ${r.rollbacks}, ignored ${r.ignored})`);
            if (r.engine[0] !== r.engine[1] || r.peer[0] !== r.peer[1])
                throw new Error(`round ${round}: directions wanted/current: engine ${r.engine}, peer ${r.peer}`);
        }
        const s = await page.evaluate(() => window.pair.states());
        t.diag(`  after ${GLARE_ROUNDS} rounds: ${JSON.stringify(s.counts)}`);
        await noErrors('glare');
    }, { timeout: 60000 });

    await t.case('after the glare rounds: media both ways and the data channel still work', async () => {
        await expectMediaBothWays('after glare');
        await page.evaluate(() => window.pair.dataRoundTrip('after-glare'));
        await noErrors('after glare');
    });

    await t.case("an offer arriving while the engine is inside its own setLocalDescription() is answered; all settles", async () => {
        const r = await page.evaluate(async () => {
            const p = window.pair;
            const peer = p.peer;
            const before = p.engine.negotiation.rollbacks;
            // The peer makes an offer by hand (not sent through the channel yet)
            const onn = peer.pc.onnegotiationneeded;
            peer.pc.onnegotiationneeded = null;
            peer.tx.direction = peer.tx.direction === 'sendonly' ? 'inactive' : 'sendonly';
            peer.makingOffer = true;
            await peer.pc.setLocalDescription();
            peer.makingOffer = false;
            peer.pc.onnegotiationneeded = onn;
            const offer = peer.pc.localDescription.toJSON();
            let seenMaking = null, answered = null;
            p.intercept = () => {
                seenMaking = p.engine.makingOffer;
                p.engine.handleOffer(offer).then((answer) => {
                    answered = !!answer;
                    // straight to the peer, as its channel would
                    return peer.receive({ type: 'answer', data: answer });
                }).catch((e) => p.errors.push(`intercepted offer: ${e.message}`));
            };
            // The engine starts an offer of its own
            const tx = p.engine.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
            tx.direction = tx.direction === 'sendonly' ? 'inactive' : 'sendonly';
            await p.waitSettled();
            // Back to sending on both sides
            tx.direction = 'sendonly';
            await p.waitSettled();
            peer.tx.direction = 'sendonly';
            await p.waitSettled();
            return { seenMaking, answered, rollbacks: p.engine.negotiation.rollbacks - before, intercepted: p.intercept === null };
        });
        if (!r.intercepted || r.seenMaking !== true)
            throw new Error(`the offer did not arrive while the engine was making one: ${JSON.stringify(r)}`);
        if (r.answered !== true || r.rollbacks < 1)
            throw new Error(`not answered with a rollback: ${JSON.stringify(r)}`);
        await expectMediaBothWays('after the offer inside setLocalDescription');
        await noErrors('offer inside setLocalDescription');
    });

    await t.case("restartIce(): emits 'ice-restart', new ICE credentials, still connected, media flows", async () => {
        const r = await page.evaluate(async () => {
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
            return { before, after: ufrag(), events, state: p.engine.pc.connectionState, restarts: p.engine.negotiation.iceRestarts };
        });
        if (r.events !== 1 || !(r.restarts >= 1))
            throw new Error(`ice-restart events ${r.events}, counter ${r.restarts}`);
        if (!r.before || r.before === r.after)
            throw new Error(`the ICE ufrag did not change: ${r.before} -> ${r.after}`);
        if (r.state !== 'connected')
            throw new Error(`connection ${r.state} after the restart`);
        await expectMediaBothWays('after the ICE restart');
        await noErrors('ICE restart');
        await page.evaluate(() => window.pair.close());
    });

    await t.case('impolite engine, first contact: both offer at once; the ignored offer\'s candidates do not throw; converges', async () => {
        await page.evaluate(() => window.makePair({ enginePolite: false, delay: 10 }));
        const r = await page.evaluate(async () => {
            const p = window.pair;
            await Promise.all([p.engineStart(), p.peerStart()]);
            await p.waitSettled();
            return { ignored: p.engine.negotiation.ignoredOffers, peerRollbacks: p.peer.rollbacks, cands: p.candidatesWhileIgnoring };
        });
        t.diag(`  ignored offers ${r.ignored}, peer rollbacks ${r.peerRollbacks}, candidates while ignoring: ${JSON.stringify(r.cands)}`);
        if (r.ignored < 1 || r.peerRollbacks < 1)
            throw new Error(`no glare at first contact: ${JSON.stringify(r)}`);
        if (r.cands.length < 1)
            throw new Error('no candidate arrived while the engine ignored the offer (test did not exercise it)');
        const threw = r.cands.filter((c) => c.threw);
        if (threw.length > 0)
            throw new Error(`addIceCandidate threw for candidates of the ignored offer: ${JSON.stringify(threw)}`);
        await expectMediaBothWays('impolite engine, first contact');
        await page.evaluate(() => window.pair.dataRoundTrip('impolite'));
        await noErrors('impolite engine, first contact');
    });

    await t.case("impolite engine: an ICE-restart offer crossing the engine's offer is ignored; its candidates do not throw", async () => {
        const r = await page.evaluate(async () => {
            const p = window.pair;
            const before = { ignored: p.engine.negotiation.ignoredOffers, cands: p.candidatesWhileIgnoring.length };
            const tx = p.engine.pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
            tx.direction = 'inactive';
            p.peer.pc.restartIce();
            await p.waitSettled();
            tx.direction = 'sendonly';
            await p.waitSettled();
            const end = performance.now() + 10000;
            while (p.engine.pc.connectionState !== 'connected' && performance.now() < end)
                await new Promise((res) => setTimeout(res, 50));
            return { ignored: p.engine.negotiation.ignoredOffers - before.ignored,
                cands: p.candidatesWhileIgnoring.slice(before.cands), state: p.engine.pc.connectionState };
        });
        t.diag(`  ignored ${r.ignored}; candidates while ignoring: ${JSON.stringify(r.cands)}`);
        if (r.ignored < 1)
            throw new Error('the restart offer was not ignored (no glare)');
        if (r.cands.length < 1)
            throw new Error('no candidate of the ignored offer arrived (test did not exercise it)');
        const threw = r.cands.filter((c) => c.threw);
        if (threw.length > 0)
            throw new Error(`addIceCandidate threw: ${JSON.stringify(threw)}`);
        if (!r.cands.some((c) => c.rawThrew))
            t.diag('  (note: the bare RTCPeerConnection accepted those candidates too)');
        if (r.state !== 'connected')
            throw new Error(`connection ${r.state}`);
        await expectMediaBothWays('after the ignored restart offer');
        await noErrors('ignored restart offer');
        await page.evaluate(() => window.pair.close());
    });
} catch (e) {
    process.stdout.write('not ok - setup failed\n');
    t.diag(e && e.stack ? e.stack : String(e));
} finally {
    clearTimeout(watchdog);
    if (browser)
        await browser.close().catch(() => {});
    t.done();
}
