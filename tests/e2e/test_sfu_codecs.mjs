// SFU codecs: a publisher that offers only VP9, one that offers only H.264,
// and one with Chromium's default list (VP8 is preferred by the server):
// a subscriber receives each with the publisher's codec and decodes it.
// with-server: --auth none
import { env, launchChromium, openTestPage, tap, waitFor, watchPage } from './lib/browser.mjs';

const t = tap();
const browser = await launchChromium();
const room = `codecs-${Date.now()}`;
const clients = {};

async function join(user, opts = {}) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await openTestPage(context, { scripts: ['sfu-client.js'], title: user });
    watchPage(page, { name: user, diag: t.diag });
    await page.evaluate(async ({ url, room, user, opts }) => {
        window.c = window.SfuClient({ wsUrl: url, roomId: room, userId: user, ...opts });
        await window.c.start();
    }, { url: env.wsUrl, room, user, opts });
    clients[user] = page;
    return page;
}

// The video codec and decoded frames of each remote stream at a page.
const videoFrom = (page) => page.evaluate(async () => {
    const out = {};
    const report = await window.c.pc.getStats();
    const byMid = new Map(window.c.pc.getTransceivers().map((tx) => [tx.mid, tx]));
    report.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video')
            return;
        const user = window.c.tracksByMid.get(s.mid)?.userId;
        const codec = s.codecId && report.get(s.codecId);
        if (user && byMid.get(s.mid)?.currentDirection !== 'inactive')
            out[user] = { codec: codec ? codec.mimeType : null, frames: s.framesDecoded || 0 };
    });
    return out;
});

try {
    await t.case('publishers join with VP9 only, H.264 only, and the default codec list', async () => {
        await join('vp9-pub', { audio: false, videoCodec: 'VP9' });
        await join('h264-pub', { audio: false, videoCodec: 'H264' });
        await join('default-pub', { audio: false });
        await join('viewer', { audio: false, video: false });
    });

    const expected = { 'vp9-pub': 'video/VP9', 'h264-pub': 'video/H264', 'default-pub': 'video/VP8' };
    await t.case('the viewer decodes each publisher with its codec (VP9, H.264, and VP8 for the default list)', async () => {
        let last = {};
        await waitFor(async () => {
            last = await videoFrom(clients.viewer);
            last.toString = () => JSON.stringify(last);
            return Object.entries(expected).every(([u, codec]) => last[u] && last[u].codec === codec && last[u].frames > 0);
        }, { timeout: 20000, interval: 250, what: 'VP9, H.264 and VP8 decoded at the viewer' });
        t.diag(`  viewer: ${JSON.stringify(last)}`);
    });

    await t.case('publishers receive each other with the same codecs (two codecs on one PeerConnection)', async () => {
        let last = {};
        await waitFor(async () => {
            last = await videoFrom(clients['vp9-pub']);
            return last['h264-pub']?.codec === 'video/H264' && last['h264-pub'].frames > 0 &&
                last['default-pub']?.codec === 'video/VP8' && last['default-pub'].frames > 0;
        }, { timeout: 15000, interval: 250, what: 'H.264 and VP8 decoded at vp9-pub' });
        t.diag(`  vp9-pub: ${JSON.stringify(last)}`);
    });

    await t.case('a receive-only client that never offers gets the server\'s offer about 1 s after joining, and the media', async () => {
        const page = await join('silent-viewer', { audio: false, video: false, data: false });
        const firstOffer = await page.evaluate(() => {
            const f = window.c.frames.find((x) => x.dir === 'in' && x.type === 'offer');
            const j = window.c.frames.find((x) => x.dir === 'in' && x.type === 'joined');
            return f && j ? f.t - j.t : null;
        });
        let last = {};
        await waitFor(async () => {
            last = await videoFrom(page);
            return Object.entries(expected).every(([u, codec]) => last[u] && last[u].codec === codec && last[u].frames > 0);
        }, { timeout: 15000, interval: 250, what: 'the three publishers decoded at the silent viewer' });
        const sent = await page.evaluate(() => window.c.frames.filter((x) => x.dir === 'out' && x.type === 'offer').length);
        if (sent !== 0)
            throw new Error(`the silent viewer sent ${sent} offers`);
        const offerAfter = await page.evaluate(() => {
            const f = window.c.frames.find((x) => x.dir === 'in' && x.type === 'offer');
            const j = window.c.frames.find((x) => x.dir === 'in' && x.type === 'joined');
            return f.t - j.t;
        });
        t.diag(`  server offer ${offerAfter} ms after joined (${firstOffer === null ? 'not yet there' : 'seen at ' + firstOffer + ' ms'} when start() returned)`);
        if (offerAfter < 800 || offerAfter > 2500)
            throw new Error(`the server offered ${offerAfter} ms after joined, expected about 1000 ms`);
    });

    await t.case('no errors from the server or the pages', async () => {
        for (const [user, page] of Object.entries(clients)) {
            const errs = await page.evaluate(() => window.c.errors);
            if (errs.length)
                throw new Error(`${user}: ${JSON.stringify(errs)}`);
        }
    });
} finally {
    await browser.close();
    t.done();
}
