// with-server: --auth none --event-loops 2
//
// (Janus with 2 shared event loops, as scripts/run runs it on 2 CPUs.)
//
// test_demo_pages.mjs — the demo pages (html/index.html: SFU,
// html/mesh.html: mesh), served by the transport, driven in headless
// Chromium (fake camera) like a person would: the join form, the buttons,
// what the tiles, banner, chat and stats panel show.
//
//   SFU (index.html, room "demo"): ann joins through the form, ben by a deep
//   link (?autojoin=1); both see two tiles with the other's video decoding
//   (framesDecoded of the tile's own track increasing); mute and camera off
//   on ann show on ben's tile for ann and clear again; screen share shows
//   "presenting" at ben and keeps video flowing, and the camera comes back;
//   a chat line from ann arrives at ben with ann's name (and an unread
//   count); the stats panel gets cards whose graphs gain points and tiles
//   get a quality badge; full-page screenshots with two participants are
//   decoded and must not be blank (page and each video tile); errors: the
//   room full (room "limited", 4 places, filled by 4 bare sockets) shows
//   "full" and leaves the page in the lobby; ben's server connection lost
//   (his TCP sockets reset and new ones refused with nftables, inside the
//   harness's namespace only) shows "reconnecting…", then "reconnected",
//   with video again; leave removes ann's tile at ben.
//   Mesh (mesh.html, room "demo-mesh"): both join, see each other's video,
//   mute shows, a chat line arrives, leave removes the tile.
//
// Screenshots go to a temporary folder (printed); the best one (most
// colours) replaces docs/demo-room.png when CONVENE_UPDATE_SCREENSHOT=1.
// The rooms are left empty.
//
// Run: tests/e2e/with-server -- node tests/e2e/test_demo_pages.mjs

import { mkdtempSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, launchChromium, tap, waitFor, sleep, watchPage, frameSummary } from './lib/browser.mjs';
import { tileSel, framesOnTile } from './lib/demo.mjs';
import { analyzeScreenshot, assertNotBlank } from './lib/screenshot.mjs';
import { namespaceProblem, NftTable, tcpPorts } from './lib/netns.mjs';

const WATCHDOG_MS = 110000;
const VIEWPORT = { width: 1280, height: 720 };
const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shotDir = mkdtempSync(path.join(tmpdir(), 'convene-demo-shots-'));
const t = tap();
let browser = null;
const users = {};       // name -> {context, page, id}
const contexts = [];

const watchdog = setTimeout(() => {
    process.stdout.write('not ok - watchdog: the test took too long\n');
    dumpAll();
    process.exit(1);
}, WATCHDOG_MS);

function dumpAll() {
    for (const [name, u] of Object.entries(users)) {
        if (!u.page || !u.page.watch)
            continue;
        t.diag(`[${name}] frames sent ${frameSummary(u.page.watch, 'sent')}; received ${frameSummary(u.page.watch, 'received')}`);
    }
}

// --- page helpers ---------------------------------------------------------------------

async function newPage(name) {
    const context = await browser.newContext({ viewport: VIEWPORT });
    contexts.push(context);
    const page = await context.newPage();
    page.watch = watchPage(page, { name, diag: t.diag });
    return { context, page };
}

/** Opens a demo page with URL parameters; returns {context, page}. */
async function openDemo(name, file, query) {
    const u = await newPage(name);
    await u.page.goto(`${env.httpUrl}${file}?${new URLSearchParams(query)}`);
    return u;
}

async function inCall(page, what) {
    await waitFor(() => page.evaluate(() => document.body.dataset.state === 'in-call' && !!window.demo.selfId),
        { timeout: 15000, what });
    return page.evaluate(() => window.demo.selfId);
}


const tileState = (page, id) => page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el)
        return null;
    const shown = (q) => { const x = el.querySelector(q); return !!x && !x.hidden && getComputedStyle(x).display !== 'none'; };
    return {
        audio: el.dataset.audio, video: el.dataset.video, quality: el.dataset.quality, presenting: el.dataset.presenting,
        name: el.querySelector('[data-testid=tile-name]').textContent,
        muted: shown('[data-testid=tile-muted]'), cameraOff: shown('[data-testid=tile-camera-off]'),
        avatar: shown('.avatar'), presentingFlag: shown('[data-testid=tile-presenting]'),
    };
}, tileSel(id));


async function expectVideoOnTile(page, id, what) {
    const a = await waitFor(() => framesOnTile(page, id), { timeout: 20000, interval: 250, what: `${what}: frames decoded` });
    await sleep(1200);
    const b = await framesOnTile(page, id);
    if (!(b > a))
        throw new Error(`${what}: framesDecoded did not increase (${a} -> ${b})`);
    const size = await page.evaluate((sel) => {
        const v = document.querySelector(`${sel} video`);
        return v ? `${v.videoWidth}x${v.videoHeight}` : 'no video';
    }, tileSel(id));
    if (size.startsWith('0x') || size === 'no video')
        throw new Error(`${what}: the tile's <video> has no picture (${size})`);
    return { a, b, size };
}

const notices = (page) => page.evaluate(() => window.demo.banner.history.map((n) => n.key));
const bannerNow = (page) => page.evaluate(() => {
    const b = document.querySelector('[data-testid=banner]');
    return { hidden: b.hidden, key: b.dataset.key || null, kind: b.dataset.kind || null,
        text: document.querySelector('[data-testid=banner-text]').textContent };
});

async function waitTile(page, id, pred, what) {
    return waitFor(async () => {
        const s = await tileState(page, id);
        return s && pred(s) ? s : null;
    }, { timeout: 8000, interval: 100, what });
}

// Steps after a failed one are skipped (they need its state).
let chainOk = true;
async function step(name, fn, opts) {
    if (!chainOk)
        return t.case(name, () => {}, { skip: 'an earlier step failed' });
    const ok = await t.case(name, fn, opts);
    if (!ok) {
        chainOk = false;
        dumpAll();
    }
    return ok;
}

// --- screenshots ---------------------------------------------------------------------------

const shots = [];

async function screenshotCheck(page, label, viewer) {
    const png = await page.screenshot({ fullPage: true });
    const file = path.join(shotDir, `${label}.png`);
    writeFileSync(file, png);
    const regions = await page.evaluate(() => [...document.querySelectorAll('[data-testid=tile]')].map((el) => {
        const r = el.getBoundingClientRect();
        return { name: `tile ${el.dataset.userId}`, x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
    }));
    if (regions.length < 2)
        throw new Error(`${label}: ${regions.length} tile(s) on the page`);
    const stats = await analyzeScreenshot(viewer, png, regions);
    const luma = (hex) => {
        const n = parseInt(hex.slice(1), 16);
        return 0.2126 * (n >> 16) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255);
    };
    assertNotBlank(stats, {
        region: (r) => {
            if (luma(r.dominant) < 40)
                return `mostly ${r.dominant}: an empty or black video`;
            if (r.lumaStd < 4)
                return `flat (luminance σ ${r.lumaStd})`;
            return null;
        },
    });
    shots.push({ label, file, png, score: stats.image.colors, size: png.length });
    t.diag(`  ${label}: ${png.length} bytes, ${stats.image.colors} colours, σ ${stats.image.lumaStd}; ` +
        stats.regions.map((r) => `${r.name} ${r.dominant} σ ${r.lumaStd}`).join(', '));
}

// --- the SFU page ---------------------------------------------------------------------------

async function sfuPage() {
    let ann, ben;

    await step('the pages are served: / (index.html) and mesh.html, with their modules', async () => {
        for (const [file, defaultRoom] of [['', 'demo'], ['mesh.html', 'demo-mesh']]) {
            const r = await fetch(env.httpUrl + file);
            const html = await r.text();
            if (r.status !== 200 || !html.includes('id="join-form"') || !html.includes('js/demo-room.js') ||
                    !html.includes(`data-default-room="${defaultRoom}"`))
                throw new Error(`/${file}: status ${r.status}, not the demo page`);
        }
        for (const f of ['demo-room.js', 'demo-tiles.js', 'demo-chat.js', 'demo-stats.js', 'demo-stats-panel.js',
            'stats-graph.js', 'demo-banner.js', 'demo-media.js', 'demo-messages.js', 'convene.js']) {
            const r = await fetch(`${env.httpUrl}js/${f}`);
            const type = r.headers.get('content-type') || '';
            await r.arrayBuffer();
            if (r.status !== 200 || !/javascript/.test(type))
                throw new Error(`js/${f}: ${r.status} ${type}`);
        }
    });

    await step('SFU: ann joins "demo" through the form, ben by a deep link (?autojoin=1)', async () => {
        ann = await newPage('ann');
        await ann.page.goto(`${env.httpUrl}?res=360`);     // 360p keeps two encoders light on 2 cores
        const room = await ann.page.inputValue('[data-testid=room]');
        if (room !== 'demo')
            throw new Error(`the room field defaults to ${JSON.stringify(room)}`);
        await ann.page.fill('[data-testid=name]', 'Ann');
        await ann.page.click('[data-testid=join]');
        ann.id = await inCall(ann.page, 'ann in the call');
        const before = tcpPorts(8090);
        ben = await openDemo('ben', 'index.html', { room: 'demo', name: 'Ben', autojoin: '1', res: '360' });
        ben.id = await inCall(ben.page, 'ben in the call');
        ben.ports = [...tcpPorts(8090)].filter((p) => !before.has(p));
        users.ann = ann;
        users.ben = ben;
        const label = await ann.page.textContent('[data-testid=room-label]');
        const pill = await ann.page.getAttribute('[data-testid=connection]', 'data-state');
        if (!/demo/.test(label) || pill !== 'connected')
            throw new Error(`ann's header: ${JSON.stringify(label)}, connection ${pill}`);
        if (!/room=demo/.test(ann.page.url()))
            throw new Error(`ann's URL does not carry the room: ${ann.page.url()}`);
    });

    await step('SFU: each sees two tiles, named, with the other\'s video decoding', async () => {
        for (const [me, other, name] of [[ann, ben, 'Ben'], [ben, ann, 'Ann']]) {
            await waitFor(() => me.page.evaluate(() => document.querySelectorAll('[data-testid=tile]').length === 2),
                { timeout: 10000, what: 'two tiles' });
            const s = await tileState(me.page, other.id);
            if (!s || s.name !== name)
                throw new Error(`tile for ${other.id}: ${JSON.stringify(s)}`);
            const self = await tileState(me.page, me.id);
            if (!self || !/\(you\)/.test(self.name))
                throw new Error(`own tile: ${JSON.stringify(self)}`);
            const v = await expectVideoOnTile(me.page, other.id, `${name} at ${me === ann ? 'Ann' : 'Ben'}`);
            t.diag(`  ${me === ann ? 'ann' : 'ben'} <- ${name}: framesDecoded ${v.a} -> ${v.b}, ${v.size}`);
        }
    });

    await step('SFU: mute on ann shows muted on ben\'s tile for ann; unmute clears it', async () => {
        await ann.page.click('[data-testid=mute]');
        const pressed = await ann.page.getAttribute('[data-testid=mute]', 'aria-pressed');
        const label = await ann.page.textContent('[data-testid=mute] .label');
        if (pressed !== 'true' || label !== 'Unmute')
            throw new Error(`ann's mute button: aria-pressed ${pressed}, label ${label}`);
        await waitTile(ben.page, ann.id, (s) => s.audio === 'off' && s.muted, 'muted shown at ben');
        await ann.page.click('[data-testid=mute]');
        await waitTile(ben.page, ann.id, (s) => s.audio === 'on' && !s.muted, 'unmuted at ben');
    });

    await step('SFU: camera off on ann shows the initials and "camera off" at ben; camera on brings video back', async () => {
        await ann.page.click('[data-testid=camera]');
        const s = await waitTile(ben.page, ann.id, (x) => x.video === 'off' && x.cameraOff && x.avatar, 'camera off at ben');
        const initials = await ben.page.textContent(`${tileSel(ann.id)} .avatar span`);
        if (initials !== 'A')
            throw new Error(`initials ${JSON.stringify(initials)} (${JSON.stringify(s)})`);
        await ann.page.click('[data-testid=camera]');
        await waitTile(ben.page, ann.id, (x) => x.video === 'on' && !x.cameraOff && !x.avatar, 'camera on at ben');
        await expectVideoOnTile(ben.page, ann.id, 'after camera on');
    });

    await step('SFU: screen share: "presenting" at ben with video flowing; stopping brings the camera back', async () => {
        await ann.page.click('[data-testid=share]');
        await waitFor(() => ann.page.evaluate(() => document.querySelector('[data-testid=share]').getAttribute('aria-pressed') === 'true'),
            { timeout: 8000, what: 'ann sharing' });
        const own = await ann.page.evaluate((sel) => document.querySelector(`${sel} video`).srcObject.getVideoTracks()[0].label, tileSel(ann.id));
        if (!/screen|window|tab|web-contents/i.test(own))
            throw new Error(`ann's own tile shows ${JSON.stringify(own)} while sharing`);
        await waitTile(ben.page, ann.id, (x) => x.presenting === 'yes' && x.presentingFlag, 'presenting at ben');
        await expectVideoOnTile(ben.page, ann.id, 'while sharing');
        await ann.page.click('[data-testid=share]');
        await waitTile(ben.page, ann.id, (x) => x.presenting === 'no' && !x.presentingFlag, 'not presenting at ben');
        const back = await ann.page.evaluate((sel) => document.querySelector(`${sel} video`).srcObject.getVideoTracks()[0].label, tileSel(ann.id));
        if (/screen/i.test(back))
            throw new Error(`ann's own tile still shows ${back}`);
        await expectVideoOnTile(ben.page, ann.id, 'after sharing');
    });

    await step('SFU: a chat line from ann arrives at ben with ann\'s name, counted unread', async () => {
        await ann.page.click('[data-testid=chat-toggle]');
        await ann.page.fill('[data-testid=chat-input]', 'Hello Ben, can you see my screen?');
        await ann.page.press('[data-testid=chat-input]', 'Enter');
        const got = await waitFor(() => ben.page.evaluate((from) => {
            const li = document.querySelector(`[data-testid=chat-message][data-from="${from}"]`);
            return li && { author: li.querySelector('[data-testid=chat-author]').textContent,
                text: li.querySelector('[data-testid=chat-text]').textContent,
                unread: document.querySelector('[data-testid=chat-unread]').textContent };
        }, ann.id), { timeout: 8000, what: 'the chat line at ben' });
        if (got.author !== 'Ann' || got.text !== 'Hello Ben, can you see my screen?' || got.unread !== '1')
            throw new Error(`ben's chat line: ${JSON.stringify(got)}`);
        const own = await ann.page.evaluate(() => document.querySelectorAll('[data-testid=chat-message][data-self=yes]').length);
        if (own !== 1)
            throw new Error(`ann's own chat lines: ${own}`);
        // the data channel carried it (not the signaling fallback)
        const viaSignaling = ann.page.watch.frames.filter((f) => f.dir === 'sent' && f.json && f.json.type === 'message');
        if (viaSignaling.length > 0)
            throw new Error('the chat went over the signaling connection, not the data channel');
        await ben.page.click('[data-testid=chat-toggle]');
        if (!(await ben.page.isHidden('[data-testid=chat-unread]')))
            throw new Error('the unread count stays after opening the chat');
    });

    await step('SFU: the stats panel opens with a card per participant whose graphs gain points; tiles get a quality badge', async () => {
        await ben.page.click('[data-testid=stats-toggle]');
        const points = () => ben.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid=stats-card]')]
            .map((c) => [c.dataset.userId, [...c.querySelectorAll('canvas')].map((x) => `${x.dataset.metric}:${x.dataset.points}`)])));
        const first = await waitFor(async () => {
            const p = await points();
            return Object.keys(p).length === 2 && Object.values(p).every((l) => l.every((x) => Number(x.split(':')[1]) >= 2)) ? p : null;
        }, { timeout: 10000, what: 'two stats cards with points' });
        if (!first[ann.id] || !first[ben.id])
            throw new Error(`cards for ${Object.keys(first)}`);
        await sleep(2200);
        const later = await points();
        const grew = (a, b) => Number(b.split(':')[1]) > Number(a.split(':')[1]);
        if (!first[ann.id].every((x, i) => grew(x, later[ann.id][i])))
            throw new Error(`graphs did not gain points: ${JSON.stringify(first)} -> ${JSON.stringify(later)}`);
        const bitrate = await ben.page.evaluate((id) => window.demo.statsHistory.latest(id).bitrateBps, ann.id);
        const q = await tileState(ben.page, ann.id);
        if (!['good', 'degraded', 'poor'].includes(q.quality))
            throw new Error(`ann's tile quality at ben: ${q.quality}`);
        t.diag(`  ben's graphs: ${JSON.stringify(later)}; ann's bitrate at ben ${bitrate} bps, quality ${q.quality}`);
        if (!(bitrate > 10000))
            throw new Error(`the receive bitrate from ann is ${bitrate} bps`);
    });

    await step('SFU: full-page screenshots with two participants are not blank', async () => {
        const viewer = await browser.newPage();
        try {
            await screenshotCheck(ben.page, 'sfu-stats', viewer);          // stats panel open
            await ben.page.click('[data-testid=stats-toggle]');
            await screenshotCheck(ann.page, 'sfu-chat', viewer);           // chat open
            await ann.page.click('[data-testid=chat-toggle]');
            await sleep(300);
            await screenshotCheck(ann.page, 'sfu-grid', viewer);           // just the grid
        } finally {
            await viewer.close();
        }
    });

    await t.case('SFU error: a full room ("limited", 4 places) is refused with a clear message', async () => {
        const filler = await newPage('filler');
        try {
            await filler.page.goto(env.httpUrl);
            const joined = await filler.page.evaluate(async (url) => {
                window.fillers = [];
                const one = (i) => new Promise((resolve, reject) => {
                    const ws = new WebSocket(url);
                    window.fillers.push(ws);
                    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', roomId: 'limited', userId: `filler-${i}`,
                        data: { publish: { audio: false, video: false } } }));
                    ws.onmessage = (e) => {
                        const m = JSON.parse(e.data);
                        if (m.type === 'joined') resolve(m.data.maxParticipants);
                        if (m.type === 'error') reject(new Error(JSON.stringify(m.data)));
                    };
                    ws.onerror = () => reject(new Error('socket error'));
                });
                const out = [];
                for (let i = 1; i <= 4; i++)
                    out.push(await one(i));
                return out;
            }, env.wsUrl);
            if (joined[0] !== 4)
                throw new Error(`"limited" has maxParticipants ${joined[0]}`);
            const cat = await openDemo('cat', 'index.html', { room: 'limited', name: 'Cat', autojoin: '1', res: '180' });
            const b = await waitFor(async () => {
                const x = await bannerNow(cat.page);
                return !x.hidden && x.key ? x : null;
            }, { timeout: 10000, what: 'a message at cat' });
            const state = await cat.page.evaluate(() => document.body.dataset.state);
            if (b.key !== 'room-full' || b.kind !== 'error' || !/full/i.test(b.text) || state !== 'lobby')
                throw new Error(`cat sees ${JSON.stringify(b)} in state ${state}`);
            const live = await cat.page.evaluate(() => document.querySelector('video')?.srcObject?.getTracks().filter((x) => x.readyState === 'live').length || 0);
            if (live)
                throw new Error('the camera is still on after the refused join');
            t.diag(`  cat: "${b.text}"`);
            await cat.context.close();
        } finally {
            await filler.page.evaluate(() => window.fillers && window.fillers.forEach((ws) => ws.close())).catch(() => {});
            await filler.context.close();
        }
    });

    const lostName = 'SFU error: ben\'s server connection lost shows "reconnecting…", then "reconnected", with video again';
    const netProblem = namespaceProblem();
    if (netProblem)
        await t.case(lostName, () => {}, { skip: `needs the harness namespace for nftables: ${netProblem}` });
    else await step(lostName, async () => {
        if (!ben.ports || ben.ports.length === 0)
            throw new Error('could not find ben\'s TCP connections to the server');
        const nft = new NftTable();
        try {
            // ben's sockets get a reset on their next packet; new connections are refused
            nft.rule('tcp', 'dport', '8090', 'tcp', 'sport', `{ ${ben.ports.join(', ')} }`, 'reject', 'with', 'tcp', 'reset');
            nft.rule('tcp', 'dport', '8090', 'tcp', 'flags', '&', '(syn|ack)', '==', 'syn', 'reject', 'with', 'tcp', 'reset');
            await ben.page.evaluate(() => { try { window.demo.room.signaling.send({ type: 'ping' }); } catch { /* closed */ } });
            await waitFor(async () => {
                const b = await bannerNow(ben.page);
                const pill = await ben.page.getAttribute('[data-testid=connection]', 'data-state');
                return b.key === 'reconnecting' && /reconnecting/i.test(b.text) && pill === 'reconnecting' ? b : null;
            }, { timeout: 8000, what: 'ben shows reconnecting' });
            await sleep(2500);
            if (!(await ben.page.evaluate(() => document.body.dataset.state === 'in-call')))
                throw new Error('ben left the call view while reconnecting');
        } finally {
            nft.destroy();
        }
        await waitFor(async () => (await notices(ben.page)).includes('reconnected'), { timeout: 15000, what: 'ben reconnected' });
        const pill = await ben.page.getAttribute('[data-testid=connection]', 'data-state');
        if (pill !== 'connected')
            throw new Error(`ben's connection pill: ${pill}`);
        t.diag(`  ben's notices: ${(await notices(ben.page)).join(' > ')}`);
        await expectVideoOnTile(ben.page, ann.id, 'ben after reconnecting');
        await expectVideoOnTile(ann.page, ben.id, 'ann after ben reconnected');
    }, { timeout: 40000 });

    await step('SFU: leave on ann removes ann\'s tile at ben; ann is back in the lobby', async () => {
        await ann.page.click('[data-testid=leave]');
        await waitFor(() => ben.page.evaluate((sel) => !document.querySelector(sel), tileSel(ann.id)),
            { timeout: 8000, what: 'ann\'s tile gone at ben' });
        /* The server tells the others (user-left) before it answers ann (left):
         * ann's page may still be waiting for its answer here */
        await waitFor(() => ann.page.evaluate(() => document.body.dataset.state === 'lobby'),
            { timeout: 8000, what: 'ann back in the lobby' }).catch(() => { /* reported below */ });
        const s = await ann.page.evaluate(() => ({ state: document.body.dataset.state, tiles: document.querySelectorAll('[data-testid=tile]').length,
            key: document.querySelector('[data-testid=banner]').dataset.key }));
        if (s.state !== 'lobby' || s.tiles !== 0 || s.key !== 'left')
            throw new Error(`ann after leaving: ${JSON.stringify(s)}`);
        const left = ann.page.watch.frames.some((f) => f.dir === 'sent' && f.json && f.json.type === 'leave');
        if (!left)
            throw new Error('ann did not send leave');
        await ben.page.click('[data-testid=leave]');
        await waitFor(() => ben.page.evaluate(() => document.body.dataset.state === 'lobby'), { timeout: 8000, what: 'ben left' });
    });
    for (const n of ['ann', 'ben'])
        if (users[n]) {
            await users[n].context.close().catch(() => {});
            delete users[n];
        }
}

// --- the mesh page ----------------------------------------------------------------------------

async function meshPage() {
    chainOk = true;
    const ann = await openDemo('ann-mesh', 'mesh.html', { name: 'Ann', autojoin: '1', res: '360' });
    users['ann-mesh'] = ann;
    const ben = await openDemo('ben-mesh', 'mesh.html', { name: 'Ben', autojoin: '1', res: '360' });
    users['ben-mesh'] = ben;

    await step('mesh: both join "demo-mesh" (the page\'s default) and see each other\'s video', async () => {
        ann.id = await inCall(ann.page, 'ann in the mesh call');
        ben.id = await inCall(ben.page, 'ben in the mesh call');
        const pill = await ann.page.textContent('[data-testid=connection]');
        if (!/mesh/.test(pill) || !/room=demo-mesh/.test(ann.page.url()))
            throw new Error(`ann's page: ${pill}, ${ann.page.url()}`);
        const [a, b] = await Promise.all([expectVideoOnTile(ann.page, ben.id, 'mesh: ben at ann'),
            expectVideoOnTile(ben.page, ann.id, 'mesh: ann at ben')]);
        t.diag(`  mesh frames: ann <- ben ${a.b}, ben <- ann ${b.b}`);
    });

    await step('mesh: mute on ben shows at ann; a chat line from ben arrives at ann', async () => {
        await ben.page.click('[data-testid=mute]');
        await waitTile(ann.page, ben.id, (s) => s.audio === 'off' && s.muted, 'mesh: muted at ann');
        await ben.page.click('[data-testid=mute]');
        await waitTile(ann.page, ben.id, (s) => s.audio === 'on' && !s.muted, 'mesh: unmuted at ann');
        await ben.page.click('[data-testid=chat-toggle]');
        await ben.page.fill('[data-testid=chat-input]', 'mesh hello');
        await ben.page.click('[data-testid=chat-send]');
        const got = await waitFor(() => ann.page.evaluate((from) => {
            const li = document.querySelector(`[data-testid=chat-message][data-from="${from}"]`);
            return li && `${li.querySelector('[data-testid=chat-author]').textContent}: ${li.querySelector('[data-testid=chat-text]').textContent}`;
        }, ben.id), { timeout: 8000, what: 'the chat line at ann' });
        if (got !== 'Ben: mesh hello')
            throw new Error(`ann's chat line: ${got}`);
    });

    await step('mesh: leave on ben removes ben\'s tile at ann', async () => {
        await ben.page.click('[data-testid=leave]');
        await waitFor(() => ann.page.evaluate((sel) => !document.querySelector(sel), tileSel(ben.id)),
            { timeout: 8000, what: 'ben\'s tile gone at ann' });
        await ann.page.click('[data-testid=leave]');
    });
}

// --- run ---------------------------------------------------------------------------------------

try {
    browser = await launchChromium();
    await sfuPage();
    await meshPage();
    await t.case('screenshots: the best one is kept (docs/demo-room.png when CONVENE_UPDATE_SCREENSHOT=1)', () => {
        if (shots.length === 0)
            throw new Error('no screenshot was taken');
        const best = shots.slice().sort((a, b) => b.score - a.score)[0];
        t.diag(`  screenshots in ${shotDir}: ${shots.map((s) => `${s.label} (${s.score} colours, ${s.size} B)`).join(', ')}; best: ${best.label}`);
        const doc = path.join(top, 'docs', 'demo-room.png');
        if (process.env.CONVENE_UPDATE_SCREENSHOT === '1') {
            if (best.size > 300 * 1024)
                throw new Error(`the best screenshot is ${best.size} bytes (limit 300 KB)`);
            writeFileSync(doc, best.png);
            t.diag(`  wrote ${doc}`);
        }
        if (!existsSync(doc))
            throw new Error(`${doc} is missing (run with CONVENE_UPDATE_SCREENSHOT=1)`);
        if (statSync(doc).size > 300 * 1024)
            throw new Error(`${doc} is over 300 KB`);
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
