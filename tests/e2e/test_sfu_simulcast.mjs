// Simulcast: a Chromium publisher sends its 1280x720 video as three layers
// (h 720, m 360, l 180 lines; Chromium sends fewer layers for smaller video);
// each subscriber gets one layer: the highest flowing one by default, the
// one it pins with `subscribe`, and it can go back to "auto".
// with-server: --auth none
import { env, launchChromium, openTestPage, tap, waitFor, watchPage } from './lib/browser.mjs';

const t = tap();
const browser = await launchChromium();
const room = `simulcast-${Date.now()}`;
const pages = {};

async function join(user, opts) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await openTestPage(context, { scripts: ['sfu-client.js'], title: user });
    watchPage(page, { name: user, diag: t.diag });
    await page.evaluate(async ({ url, room, user, opts }) => {
        window.c = window.SfuClient({ wsUrl: url, roomId: room, userId: user, ...opts });
        await window.c.start();
    }, { url: env.wsUrl, room, user, opts });
    pages[user] = page;
    return page;
}

// Height of the video decoded from `from` at `page`, and frames decoded.
const videoFrom = (page, from) => page.evaluate(async (from) => {
    const report = await window.c.pc.getStats();
    let out = null;
    report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && window.c.tracksByMid.get(s.mid)?.userId === from)
            out = { height: s.frameHeight || 0, frames: s.framesDecoded || 0 };
    });
    return out;
}, from);

// Waits until `page` decodes `from` at a height in [lo, hi] with frames increasing.
async function expectHeight(page, from, lo, hi, what) {
    let last = null;
    await waitFor(async () => {
        const a = await videoFrom(page, from);
        last = a;
        return a && a.height >= lo && a.height <= hi && a.frames > 0;
    }, { timeout: 25000, interval: 300, what });
    const a = await videoFrom(page, from);
    await new Promise((r) => setTimeout(r, 700));
    const b = await videoFrom(page, from);
    if (!(b.frames > a.frames))
        throw new Error(`${what}: frames stopped (${a.frames} -> ${b.frames})`);
    return b;
}

try {
    await t.case('a publisher with simulcast (h 1280x720, m 640x360, l 320x180) and two subscribers join', async () => {
        await join('pub', { audio: false, simulcast: true, width: 1280, height: 720 });
        await join('sub1', { audio: false, video: false, data: false });
        await join('sub2', { audio: false, video: false, data: false });
        const offer = await pages.pub.evaluate(() => window.c.pc.localDescription.sdp);
        if (!/a=simulcast:send h;m;l/.test(offer))
            throw new Error('the publisher did not offer simulcast');
        // The server's answer names each m-line's mid once (the core writes it)
        const answer = await pages.pub.evaluate(() => window.c.pc.remoteDescription.sdp);
        const sections = answer.split(/\r\nm=/).slice(1);
        for (const s of sections) {
            const mids = s.split('\r\n').filter((l) => l.startsWith('a=mid:')).length;
            if (mids !== 1)
                throw new Error(`an answer m-section has ${mids} a=mid lines: m=${s.split('\r\n')[0]}`);
        }
    });

    await t.case('by default each subscriber gets the highest layer (720 lines)', async () => {
        for (const u of ['sub1', 'sub2']) {
            const v = await expectHeight(pages[u], 'pub', 600, 800, `${u} decoding the h layer`);
            t.diag(`  ${u}: ${v.height} lines, ${v.frames} frames`);
        }
    });

    await t.case('sub1 pins layer l: it decodes 180 lines while sub2 keeps 720', async () => {
        await pages.sub1.evaluate(() => window.c.sendFrame({ type: 'subscribe', data: { userId: 'pub', layer: 'l' } }));
        const v = await expectHeight(pages.sub1, 'pub', 150, 210, 'sub1 decoding the l layer');
        t.diag(`  sub1: ${v.height} lines`);
        await expectHeight(pages.sub2, 'pub', 600, 800, 'sub2 still on the h layer');
    });

    await t.case('sub1 pins m (360 lines), then goes back to auto (720 lines)', async () => {
        await pages.sub1.evaluate(() => window.c.sendFrame({ type: 'subscribe', data: { userId: 'pub', layer: 'm' } }));
        await expectHeight(pages.sub1, 'pub', 300, 400, 'sub1 decoding the m layer');
        await pages.sub1.evaluate(() => window.c.sendFrame({ type: 'subscribe', data: { userId: 'pub', layer: 'auto' } }));
        await expectHeight(pages.sub1, 'pub', 600, 800, 'sub1 back on the h layer');
    });

    await t.case('a second publisher joins: the simulcast publisher takes the server\'s re-offer and decodes it', async () => {
        // The re-offer keeps the publisher's a=simulcast:recv m-line; it must
        // also keep the RID header extensions or Chromium refuses it.
        await join('cam2', { audio: false, width: 320, height: 240 });
        await waitFor(async () => (await videoFrom(pages.pub, 'cam2'))?.frames > 0,
            { timeout: 20000, interval: 300, what: 'pub decoding cam2' });
        const sdp = await pages.pub.evaluate(() => window.c.pc.remoteDescription.sdp);
        const own = sdp.split(/\r\nm=/).find((s) => /a=simulcast:recv/.test(s));
        if (!own || !/a=extmap:\d+ urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/.test(own))
            throw new Error('the re-offer\'s simulcast m-line has no RID extension');
        await expectHeight(pages.sub2, 'pub', 600, 800, 'sub2 still on the h layer after the re-offer');
        await expectHeight(pages.sub1, 'pub', 600, 800, 'sub1 still on the h layer after the re-offer');
    });

    await t.case('subscribe errors: unknown user 404, bad layer 400; no other errors', async () => {
        await pages.sub2.evaluate(() => {
            window.c.sendFrame({ type: 'subscribe', requestId: 's1', data: { userId: 'nobody', layer: 'h' } });
            window.c.sendFrame({ type: 'subscribe', requestId: 's2', data: { userId: 'pub', layer: 'x' } });
        });
        await waitFor(() => pages.sub2.evaluate(() => window.c.errors.length >= 2), { timeout: 5000, what: 'two errors' });
        // (the transport answers shape errors itself, so the replies may come in either order)
        const errs = await pages.sub2.evaluate(() => window.c.errors.map((e) => [e.requestId, e.data && e.data.code]).sort());
        const want = JSON.stringify([['s1', 404], ['s2', 400]]);
        if (JSON.stringify(errs) !== want)
            throw new Error(`errors ${JSON.stringify(errs)}, expected ${want}`);
        for (const u of ['pub', 'sub1', 'cam2']) {
            const e = await pages[u].evaluate(() => window.c.errors);
            if (e.length)
                throw new Error(`${u}: ${JSON.stringify(e)}`);
        }
    });
} finally {
    await browser.close();
    t.done();
}
