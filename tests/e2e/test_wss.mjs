// test_wss.mjs — TLS from Chromium (docs/security.md, "Connections"): the
// harness serves https/wss with a self-signed certificate (Chromium runs
// with --ignore-certificate-errors), tls_redirect_http off.
//
//   1. The demo page (html/index.html) loads over https.
//   2. Two mesh demo tabs (html/mesh.html) join demo-mesh through the form: the page picks wss://
//      because it was served over https; each decodes the other's video.
//   3. A two-page SFU call (tests/e2e/pages/sfu-client.js) with its
//      WebSocket on wss://: each page decodes the other's video and receives
//      its audio.
//   4. Plain ws:// and http:// to the TLS port fail in the browser, from a
//      blank page (no mixed-content blocking) that opens wss:// fine.
//
// with-server: --tls
import { env, expectVideoFlowing, launchChromium, openTestPage, tap, tokenFor, waitFor, watchPage } from './lib/browser.mjs';

const t = tap();
const browser = await launchChromium({ args: ['--ignore-certificate-errors'] });
const ROOM = `wss-${Math.random().toString(16).slice(2, 10)}`;
const demo = {};
const sfu = {};
let passed = 0, total = 0;

async function check(name, fn, opts) {
    total += 1;
    if (await t.case(name, fn, opts))
        passed += 1;
}

async function openDemo(name) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    page.watch = watchPage(page, { name, diag: t.diag });
    await page.goto(new URL('mesh.html', env.httpUrl).href);
    await page.fill('#name', name);
    await page.fill('#room', 'demo-mesh');
    await page.click('#join');
    await waitFor(() => page.evaluate(() => document.body.dataset.state === 'in-call'),
        { timeout: 15000, what: `${name} joined` });
    demo[name] = page;
    return page;
}

async function openSfu(user) {
    const context = await browser.newContext();
    const page = await openTestPage(context, { scripts: ['sfu-client.js'], title: `wss ${user}`, watch: { name: user, diag: t.diag } });
    await page.evaluate(async (o) => {
        window.c = window.SfuClient(o);
        await window.c.start();
    }, { wsUrl: env.wsUrl, roomId: ROOM, userId: user, token: tokenFor(user, { grants: { create: true } }), data: false });
    sfu[user] = page;
    return page;
}

const sockets = (page) => page.watch.sockets.map((s) => s.url);

try {
    await check('the demo page loads over https (the certificate is the harness\'s self-signed one)', async () => {
        if (!env.httpUrl.startsWith('https://') || !env.wsUrl.startsWith('wss://'))
            throw new Error(`not a TLS run: ${env.httpUrl} ${env.wsUrl}`);
        const context = await browser.newContext();
        const page = await context.newPage();
        const r = await page.goto(env.httpUrl);
        if (r.status() !== 200)
            throw new Error(`GET / over https gave ${r.status()}`);
        const security = await r.securityDetails();
        if (!security || !/TLS/.test(security.protocol || ''))
            throw new Error(`no TLS details for the page: ${JSON.stringify(security)}`);
        if (!(await page.$('#join-form')))
            throw new Error('the page has no join form');
        t.diag(`  ${security.protocol}, issuer ${security.issuer}`);
        await context.close();
    });

    await check('two demo tabs join demo-mesh over wss:// and decode each other\'s video', async () => {
        await openDemo('ann');
        await openDemo('ben');
        for (const name of ['ann', 'ben']) {
            const urls = sockets(demo[name]);
            if (!urls.length || !urls.every((u) => u.startsWith('wss://')))
                throw new Error(`${name}'s WebSockets: ${JSON.stringify(urls)}`);
        }
        /* mesh.html: the one other participant's PeerConnection */
        const peerOf = () => { const e = [...window.demo.room.peers.values()]; return e.length ? e[0].pc : null; };
        for (const [me, other] of [['ann', 'ben'], ['ben', 'ann']]) {
            const r = await expectVideoFlowing(demo[me], peerOf, other, { timeout: 20000 });
            t.diag(`  ${me} <- ${other}: framesDecoded ${r.first} -> ${r.second}`);
        }
    }, { timeout: 60000 });

    await check('a two-page SFU call over wss:// (sfu-client.js): each decodes the other\'s video, receives its audio', async () => {
        await openSfu('sue');
        await openSfu('sam');
        for (const [me, other] of [['sue', 'sam'], ['sam', 'sue']]) {
            const page = sfu[me];
            const urls = sockets(page);
            if (!urls.length || !urls.every((u) => u.startsWith('wss://')))
                throw new Error(`${me}'s WebSockets: ${JSON.stringify(urls)}`);
            const got = await waitFor(async () => {
                const entries = await page.evaluate(() => window.c.inbound());
                const v = entries.filter((e) => e.streamId === other && e.kind === 'video').reduce((n, e) => n + e.framesDecoded, 0);
                const a = entries.filter((e) => e.streamId === other && e.kind === 'audio').reduce((n, e) => n + e.packetsReceived, 0);
                return v > 5 && a > 5 ? { v, a } : null;
            }, { timeout: 20000, interval: 250, what: `${me} to decode ${other}'s video and receive its audio` });
            const errors = await page.evaluate(() => window.c.errors);
            if (errors.length)
                throw new Error(`${me}: ${JSON.stringify(errors)}`);
            t.diag(`  ${me} <- ${other}: ${got.v} frames decoded, ${got.a} audio packets`);
        }
    }, { timeout: 60000 });

    await check('plain ws:// and http:// to the TLS port fail in the browser (wss:// from the same page opens)', async () => {
        // From about:blank: an https page would block ws:// itself (mixed
        // content) whatever the server does; a blank page leaves it to the server.
        const context = await browser.newContext();
        const page = await context.newPage();
        const attempt = (url) => page.evaluate((u) => new Promise((resolve) => {
            const ws = new WebSocket(u);
            const timer = setTimeout(() => resolve('still pending'), 5000);
            ws.onopen = () => { clearTimeout(timer); resolve('open'); ws.close(); };
            ws.onclose = (e) => { clearTimeout(timer); resolve(`closed ${e.code}`); };
        }), url);
        const token = tokenFor(`plain-${Math.random().toString(16).slice(2, 8)}`, { grants: { create: true } });
        const secure = await attempt(`${env.wsUrl}?token=${token}`);
        if (secure !== 'open')
            throw new Error(`wss:// from a blank page: ${secure}`);
        const plainWs = env.wsUrl.replace(/^wss:/, 'ws:');
        const outcome = await attempt(`${plainWs}?token=${token}`);
        if (outcome !== 'closed 1006')
            throw new Error(`plain ws:// to the TLS port: ${outcome}`);
        let failed = null;
        try {
            await page.goto(env.httpUrl.replace(/^https:/, 'http:'), { timeout: 5000 });
        } catch (e) {
            failed = e.message.split('\n')[0];
        }
        await context.close();
        if (!failed)
            throw new Error('plain http:// to the TLS port loaded a page');
        t.diag(`  wss:// -> ${secure}; ws:// -> ${outcome}; http:// -> ${failed}`);
    });
} finally {
    await browser.close();
    t.diag(`${passed}/${total} cases as specified`);
    t.done();
}
