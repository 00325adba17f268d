// with-server: --auth jwt
//
// test_demo_auth.mjs — the demo page (html/index.html) against a server
// that checks tokens (--auth jwt): what a person sees when the token is
// missing or bad, for another room, and when they are removed.
//
//   - no token: the server closes with 1008 -> "token is missing, invalid or
//     expired", back in the lobby, camera off
//   - an expired token: the same
//   - a token for another room: `error` 403 -> "not allowed"
//   - a valid token in ?token=: joins as the token's subject (the token
//     field is filled in), with the name typed in the form
//   - a moderator (a token with grants.moderate, on a bare socket) kicks the
//     participant: "A moderator removed you … (reason)", lobby, no rejoin
//   - the same user joining from a second page: the first one says it
//     moved to another tab or device (`kicked` "replaced"), no rejoin
//
// Run: tests/e2e/with-server --auth jwt -- node tests/e2e/test_demo_auth.mjs

import { env, mintToken, launchChromium, tap, waitFor, sleep, watchPage } from './lib/browser.mjs';

const t = tap();
const WATCHDOG_MS = 60000;
let browser = null;
const contexts = [];
const watchdog = setTimeout(() => {
    process.stdout.write('not ok - watchdog: the test took too long\n');
    process.exit(1);
}, WATCHDOG_MS);

async function openDemo(name, query) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 600 } });
    contexts.push(context);
    const page = await context.newPage();
    page.watch = watchPage(page, { name, diag: t.diag });
    await page.goto(`${env.httpUrl}index.html?${new URLSearchParams({ res: '180', autojoin: '1', ...query })}`);
    return { context, page };
}

async function bannerWith(page, key) {
    return waitFor(async () => {
        const b = await page.evaluate(() => {
            const el = document.querySelector('[data-testid=banner]');
            return { hidden: el.hidden, key: el.dataset.key || null, kind: el.dataset.kind || null,
                text: document.querySelector('[data-testid=banner-text]').textContent, state: document.body.dataset.state };
        });
        return !b.hidden && b.key === key ? b : null;
    }, { timeout: 10000, interval: 100, what: `banner "${key}"` });
}

async function expectRefused(query, key, re, name) {
    const { page, context } = await openDemo(name, query);
    const b = await bannerWith(page, key);
    if (b.kind !== 'error' || !re.test(b.text) || b.state !== 'lobby')
        throw new Error(`${name}: ${JSON.stringify(b)}`);
    const live = await page.evaluate(() => [...document.querySelectorAll('video')].some((v) => v.srcObject &&
        v.srcObject.getTracks().some((x) => x.readyState === 'live')));
    if (live)
        throw new Error(`${name}: a camera is still on`);
    t.diag(`  ${name}: "${b.text}"`);
    await context.close();
}

const inCall = (page) => waitFor(() => page.evaluate(() => document.body.dataset.state === 'in-call' && window.demo.selfId),
    { timeout: 15000, what: 'in the call' });

const joins = (page) => page.watch.frames.filter((f) => f.dir === 'sent' && f.json && f.json.type === 'join').length;

try {
    browser = await launchChromium();

    await t.case('no token: "token is missing, invalid or expired", back in the lobby', () =>
        expectRefused({ room: 'demo', name: 'Ann' }, 'unauthorized', /token is missing, invalid or expired/, 'no-token'));

    await t.case('an expired token: the same message', () =>
        expectRefused({ room: 'demo', name: 'Ann', token: mintToken('ann', { exp: Math.floor(Date.now() / 1000) - 120 }) },
            'unauthorized', /token/, 'expired'));

    await t.case('a token for another room: "not allowed" (403)', () =>
        expectRefused({ room: 'demo', name: 'Ann', token: mintToken('ann', { room: 'elsewhere' }) },
            'forbidden', /not allowed/, 'other-room'));

    await t.case('a valid token in ?token=: joins as the token\'s subject, kicked by a moderator with the reason', async () => {
        const { page } = await openDemo('ann', { room: 'demo', name: 'Ann', token: mintToken('ann', { room: 'demo' }) });
        const id = await inCall(page);
        if (id !== 'ann')
            throw new Error(`joined as ${id}`);
        const field = await page.evaluate(() => ({ token: document.querySelector('[data-testid=token]').value.length > 20,
            open: document.getElementById('token-box').open }));
        if (!field.token || !field.open)
            throw new Error(`the token field: ${JSON.stringify(field)}`);
        const mod = await openDemo('moderator', {});
        const result = await mod.page.evaluate(({ url, token }) => new Promise((resolve) => {
            const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
            ws.onopen = () => ws.send(JSON.stringify({ type: 'join', roomId: 'demo', data: { publish: { audio: false, video: false } } }));
            ws.onmessage = (e) => {
                const m = JSON.parse(e.data);
                if (m.type === 'joined')
                    ws.send(JSON.stringify({ type: 'kick', roomId: 'demo', targetUserId: 'ann', data: { reason: 'test over' } }));
                else if (m.type === 'user-left' && m.userId === 'ann')
                    resolve({ left: m.data });
                else if (m.type === 'error')
                    resolve({ error: m.data });
            };
            setTimeout(() => resolve({ timeout: true }), 8000);
        }), { url: env.wsUrl, token: mintToken('mod', { room: 'demo', grants: { moderate: true } }) });
        if (!result.left)
            throw new Error(`the moderator's kick: ${JSON.stringify(result)}`);
        const b = await bannerWith(page, 'kicked');
        if (!/moderator removed you.*\(test over\)/.test(b.text) || b.state !== 'lobby')
            throw new Error(`ann sees ${JSON.stringify(b)}`);
        await sleep(1500);
        if (joins(page) !== 1)
            throw new Error(`ann joined ${joins(page)} times (no rejoin after a kick)`);
        t.diag(`  ann: "${b.text}"`);
        await mod.context.close();
    });

    await t.case('the same user from a second page: the first says it moved to another tab or device', async () => {
        const token = mintToken('ben', { room: 'demo' });
        const first = await openDemo('ben#1', { room: 'demo', name: 'Ben', token });
        await inCall(first.page);
        const second = await openDemo('ben#2', { room: 'demo', name: 'Ben', token });
        await inCall(second.page);
        const b = await bannerWith(first.page, 'kicked');
        if (!/another tab or device/.test(b.text) || b.state !== 'lobby')
            throw new Error(`the first page: ${JSON.stringify(b)}`);
        await sleep(1500);
        if (joins(first.page) !== 1)
            throw new Error(`the first page joined again (${joins(first.page)} joins)`);
        await second.page.click('[data-testid=leave]');
    });
} catch (e) {
    process.stdout.write('not ok - setup failed\n');
    t.diag(e && e.stack ? e.stack : String(e));
} finally {
    clearTimeout(watchdog);
    for (const c of contexts)
        await c.close().catch(() => {});
    if (browser)
        await browser.close().catch(() => {});
    t.done();
}
