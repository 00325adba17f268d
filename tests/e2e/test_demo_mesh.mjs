// The demo page (html/index.html, served by the transport at /) in two
// headless Chromium tabs: both join demo-mesh by the form, see each other's
// video, see a mute, and one leaving removes its tile at the other.
// with-server: --auth none
import { env, expectVideoFlowing, launchChromium, tap, waitFor, watchPage } from './lib/browser.mjs';

const t = tap();
const browser = await launchChromium();
const pages = {};

async function openDemo(name) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    watchPage(page, { name, diag: t.diag });
    await page.goto(env.httpUrl);
    await page.fill('#name', name);
    await page.fill('#room', 'demo-mesh');
    await page.click('button[type=submit]');
    await waitFor(() => page.evaluate(() => document.getElementById('status').textContent.startsWith('in demo-mesh')),
        { timeout: 15000, what: `${name} joined` });
    pages[name] = page;
    return page;
}

const peerOf = (id) => window.convene.peers.get(id)?.pc;

try {
    await t.case('the demo page is served at / and has the join form', async () => {
        const r = await fetch(env.httpUrl);
        if (r.status !== 200)
            throw new Error(`GET / gave ${r.status}`);
        const html = await r.text();
        if (!html.includes('id="join-form"') || !html.includes('js/mesh-call.js'))
            throw new Error('index.html lacks the form or the script');
    });

    await t.case('two tabs join demo-mesh through the form', async () => {
        await openDemo('ann');
        await openDemo('ben');
    });

    await t.case('each tab decodes the other tab\'s video and shows a tile for it', async () => {
        for (const [me, other] of [['ann', 'ben'], ['ben', 'ann']]) {
            const r = await expectVideoFlowing(pages[me], peerOf, other);
            t.diag(`  ${me} <- ${other}: framesDecoded ${r.first} -> ${r.second}`);
            const caption = await pages[me].evaluate((id) =>
                document.querySelector(`figure[data-user="${id}"] figcaption`)?.textContent, other);
            if (caption !== other)
                throw new Error(`${me}'s tile for ${other} is captioned ${JSON.stringify(caption)}`);
        }
    });

    await t.case('mute in one tab shows on the other tab\'s tile', async () => {
        await pages.ann.click('#mute');
        await waitFor(() => pages.ben.evaluate(() =>
            document.querySelector('figure[data-user="ann"] figcaption')?.textContent.includes('🔇')),
        { timeout: 5000, what: 'mute shown at ben' });
    });

    await t.case('leaving removes the tile at the other tab', async () => {
        await pages.ben.click('#leave');
        await waitFor(() => pages.ann.evaluate(() => !document.querySelector('figure[data-user="ben"]')),
            { timeout: 5000, what: 'ben\'s tile gone at ann' });
    });
} finally {
    await browser.close();
    t.done();
}
