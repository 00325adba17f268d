// tests/e2e/lib/browser.mjs — shared helpers for browser end-to-end tests.
//
//   launchChromium()      Debian's Chromium (/usr/bin/chromium) driven by
//                         playwright-core, headless, fake camera/microphone,
//                         with the flags from /work/shared/testing.md.
//   openTestPage(ctx, …)  a page whose origin is CONVENE_HTTP_URL, built from
//                         scripts in tests/e2e/pages (served by request
//                         interception under CONVENE_HTTP_URL + "__test__/"),
//                         so getUserMedia works (127.0.0.1 is a secure context).
//   watchPage(page, …)    forwards page errors and console errors to "# "
//                         lines and records the page's WebSocket frames.
//   tap()                 a tiny TAP reporter: t.case(name, fn), t.diag(),
//                         t.done() (prints the plan and sets the exit code).
//   inboundRtp / waitFor  polling getStats() in a page, and generic polling.
//   env / mintToken       the harness's environment; HS256 tokens for --auth jwt.
//
// Network rule: pages talk only to CONVENE_HTTP_URL / CONVENE_WS_URL (loopback)
// and to the namespace's own addresses; pass `iceServers: []` to every
// RTCPeerConnection (never a public STUN server).

import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PAGES_DIR = path.resolve(here, '..', 'pages');

// --- the harness's environment ---------------------------------------------

function required(name, fallback) {
    const v = process.env[name] ?? fallback;
    if (v === undefined)
        throw new Error(`${name} is not set: run through tests/e2e/with-server`);
    return v;
}

export const env = {
    get wsUrl() { return required('CONVENE_WS_URL'); },
    get httpUrl() {
        const u = required('CONVENE_HTTP_URL');
        return u.endsWith('/') ? u : u + '/';
    },
    get auth() { return process.env.CONVENE_AUTH || 'none'; },
    get jwtSecret() { return process.env.CONVENE_JWT_SECRET || ''; },
};

const b64url = (buf) => Buffer.from(buf).toString('base64')
    .replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

// An HS256 JWT as the contract describes (sub, exp, optional room/grants/…).
export function mintToken(sub, claims = {}, secret = env.jwtSecret) {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ sub, exp: now + 600, ...claims }));
    const sig = b64url(createHmac('sha256', secret).update(`${header}.${payload}`).digest());
    return `${header}.${payload}.${sig}`;
}

// A token for `sub` when the server checks tokens, '' otherwise.
export function tokenFor(sub, claims = {}) {
    return env.auth === 'jwt' ? mintToken(sub, claims) : '';
}

// --- Chromium ----------------------------------------------------------------

export const CHROMIUM = '/usr/bin/chromium';

// The flags that /work/shared/testing.md lists as known to work here.
export const CHROMIUM_FLAGS = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
];
const OUR_DISABLED_FEATURES = ['WebRtcHideLocalIpsWithMdns'];

// Chromium keeps only the LAST --disable-features switch, and Playwright puts
// its own list first: merge ours into Playwright's (read from its bundle) and
// drop its switch, so that neither list is lost. If the bundle's layout
// changes, ours alone is passed (Playwright's defaults only avoid phone-home
// features, which cannot leave the namespace anyway).
let playwrightDisabledFeatures;
async function readPlaywrightDisabledFeatures() {
    if (playwrightDisabledFeatures !== undefined)
        return playwrightDisabledFeatures;
    playwrightDisabledFeatures = null;
    try {
        const bundle = path.join(path.dirname(fileURLToPath(import.meta.resolve('playwright-core'))),
            'lib', 'coreBundle.js');
        const src = await readFile(bundle, 'utf8');
        const m = src.match(/disabledFeatures = \[([\s\S]*?)\]\.filter\(Boolean\)/);
        if (m && /"--disable-features=" \+ disabledFeatures\.join\(","\)/.test(src)) {
            const names = [...m[1].replace(/\/\/[^\n]*/g, '').matchAll(/"([^"]+)"/g)].map((x) => x[1]);
            if (names.length > 0)
                playwrightDisabledFeatures = names;
        }
    } catch { /* keep null */ }
    return playwrightDisabledFeatures;
}

// Launches headless Chromium with a fresh user data dir (Playwright creates a
// new temporary profile for every launch() and removes it on close).
// opts.args: extra switches (e.g. '--use-fake-device-for-media-stream=fps=15'
// replaces the plain one: the last occurrence of a switch wins).
export async function launchChromium(opts = {}) {
    const theirs = await readPlaywrightDisabledFeatures();
    const ignoreDefaultArgs = ['--headless'];
    const features = [...OUR_DISABLED_FEATURES];
    if (theirs) {
        ignoreDefaultArgs.push('--disable-features=' + theirs.join(','));
        features.unshift(...theirs);
    }
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        ignoreDefaultArgs,
        args: [...CHROMIUM_FLAGS, '--disable-features=' + features.join(','), ...(opts.args || [])],
        timeout: opts.timeout ?? 30000,
    });
}

// --- test pages under the Convene origin ------------------------------------------

const CONTENT_TYPES = {
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
};

// Serves tests/e2e/pages/* at CONVENE_HTTP_URL + "__test__/*" in this browser
// context by request interception (nothing of this reaches the server), and
// a generated page "__test__/__page__.html?load=a.js,b.js" that loads the
// listed scripts.
//
// Chromium's Local Network Access checks put a document that request
// interception fulfilled in the *public* address space (it has no remote
// address), and then block its WebSocket to 127.0.0.1. So openTestPage lets
// the server itself answer the navigation (any status, a 404 is fine: the
// document is then a loopback one, like a page the server serves) and
// writes the generated HTML into it with page.setContent; only the scripts
// are served from local files. Should the server not answer HTTP at all,
// the document is fulfilled locally and the context is granted the
// 'local-network-access' permission instead (a "# " line says so).
export async function serveTestPages(context) {
    if (context.__conveneServed)
        return;
    context.__conveneServed = true;
    const prefix = env.httpUrl + '__test__/';
    await context.route(prefix + '**', async (route) => {
        const url = new URL(route.request().url());
        const rel = decodeURIComponent(url.pathname.replace(/^\/__test__\//, ''));
        if (rel === '__page__.html') {
            if (!context.__conveneLocalDocuments)
                return route.continue();
            return route.fulfill({ status: 200, contentType: CONTENT_TYPES['.html'], body: pageHtml(url) });
        }
        const file = path.resolve(PAGES_DIR, rel);
        if (!file.startsWith(PAGES_DIR + path.sep))
            return route.fulfill({ status: 403, body: 'forbidden' });
        try {
            const body = await readFile(file);
            const type = CONTENT_TYPES[path.extname(file)] || 'application/octet-stream';
            return route.fulfill({ status: 200, contentType: type, body });
        } catch {
            return route.fulfill({ status: 404, body: 'not found' });
        }
    });
}

function pageHtml(url) {
    const scripts = (url.searchParams.get('load') || '').split(',').filter(Boolean);
    const title = url.searchParams.get('title') || 'convene test';
    const esc = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    return '<!doctype html>\n<html><head><meta charset="utf-8">' +
        `<title>${esc(title)}</title></head><body>\n` +
        scripts.map((s) => `<script src="/__test__/${esc(s)}"></script>\n`).join('') +
        '</body></html>\n';
}

// Opens a page whose origin is CONVENE_HTTP_URL, loading `scripts` (file
// names in tests/e2e/pages), and waits until they have run. `watch`: options
// for watchPage (attached before anything loads); the record is page.watch.
export async function openTestPage(context, { scripts = [], title, watch } = {}) {
    await serveTestPages(context);
    const page = await context.newPage();
    if (watch)
        page.watch = watchPage(page, watch);
    const unmute = () => { if (page.watch) page.watch.muted = false; };
    const q = new URLSearchParams({ load: scripts.join(',') });
    if (title)
        q.set('title', title);
    const url = env.httpUrl + '__test__/__page__.html?' + q;
    if (!context.__conveneLocalDocuments) {
        try {
            // The placeholder document (typically the server's 404 page and
            // its stylesheet) logs "Failed to load resource": not ours.
            if (page.watch)
                page.watch.muted = true;
            await page.goto(url, { waitUntil: 'load' });
            unmute();
            await page.setContent(pageHtml(new URL(url)), { waitUntil: 'load' });
            return page;
        } catch (e) {
            unmute();
            defaultDiag(`openTestPage: the server did not answer ${url} (${e.message.split('\n')[0]}); ` +
                'fulfilling the document locally and granting local-network-access');
            context.__conveneLocalDocuments = true;
            await context.grantPermissions(['local-network-access'], { origin: new URL(env.httpUrl).origin });
        }
    }
    await page.goto(url, { waitUntil: 'load' });
    return page;
}

// Forwards a page's uncaught errors and console errors/warnings to "# " lines
// (prefixed with `name`) and records its WebSocket frames.
// Returns { errors: [...text], frames: [{dir:'sent'|'received', t, data, json}],
//           sockets: [{url, closed}] }.
// rec.muted = true silences (and does not record) console messages, e.g.
// while openTestPage navigates to the server's placeholder document.
export function watchPage(page, { name = 'page', diag = defaultDiag, console: levels = ['error', 'warning'] } = {}) {
    const rec = { name, errors: [], frames: [], sockets: [], muted: false };
    page.on('pageerror', (err) => {
        const text = `uncaught: ${err.message}`;
        rec.errors.push(text);
        diag(`[${name}] ${text}`);
    });
    page.on('console', (msg) => {
        if (rec.muted || !levels.includes(msg.type()))
            return;
        const text = `console.${msg.type()}: ${msg.text()}`;
        rec.errors.push(text);
        diag(`[${name}] ${text}`);
    });
    page.on('crash', () => {
        rec.errors.push('page crashed');
        diag(`[${name}] page crashed`);
    });
    page.on('websocket', (ws) => {
        const sock = { url: ws.url(), closed: false };
        rec.sockets.push(sock);
        const add = (dir) => (ev) => {
            const data = typeof ev.payload === 'string' ? ev.payload : ev.payload.toString();
            let json = null;
            try { json = JSON.parse(data); } catch { /* not JSON */ }
            rec.frames.push({ dir, t: Date.now(), data, json });
        };
        ws.on('framesent', add('sent'));
        ws.on('framereceived', add('received'));
        ws.on('close', () => { sock.closed = true; });
        ws.on('socketerror', (e) => diag(`[${name}] websocket error: ${e}`));
    });
    return rec;
}

// Received JSON frames of a type (optionally matching a predicate).
export function received(rec, type, pred = () => true) {
    return rec.frames.filter((f) => f.dir === 'received' && f.json && f.json.type === type && pred(f.json))
        .map((f) => f.json);
}

// "offer×2 answer×1 …" for the frames in one direction.
export function frameSummary(rec, dir) {
    const counts = new Map();
    for (const f of rec.frames) {
        if (f.dir !== dir)
            continue;
        const k = f.json ? String(f.json.type) : '(not json)';
        counts.set(k, (counts.get(k) || 0) + 1);
    }
    return [...counts].map(([k, n]) => `${k}×${n}`).join(' ') || '(none)';
}

// --- polling ------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `fn` until it returns a truthy value; returns it. Throws after
// `timeout` ms with `what` and the last value/error in the message.
// `fail`: optional () => reason|false, checked each round, stops at once.
export async function waitFor(fn, { timeout = 10000, interval = 200, what = 'condition', fail } = {}) {
    const deadline = Date.now() + timeout;
    let last, lastErr;
    for (;;) {
        const reason = fail && fail();
        if (reason)
            throw new Error(`gave up waiting for ${what}: ${reason}`);
        try {
            last = await fn();
            lastErr = undefined;
            if (last)
                return last;
        } catch (e) {
            lastErr = e;
        }
        if (Date.now() >= deadline) {
            const detail = lastErr ? `last error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
            throw new Error(`timed out after ${timeout} ms waiting for ${what} (${detail})`);
        }
        await sleep(interval);
    }
}

// The inbound-rtp entries of kind `kind` of an RTCPeerConnection in the page.
// `getPc` runs in the page: (arg) => RTCPeerConnection (or null).
// Returns null when there is no such connection, else an array of
// {ssrc, mid, trackIdentifier, packetsReceived, bytesReceived, packetsLost,
//  framesReceived, framesDecoded, framesDropped, frameWidth, frameHeight,
//  jitter, codec} plus `state` {connectionState, iceConnectionState, signalingState}
// on the array.
export async function inboundRtp(page, getPc, arg, kind = 'video') {
    return page.evaluate(async ({ src, arg, kind }) => {
        const pc = (0, eval)(`(${src})`)(arg);
        if (!pc)
            return null;
        const report = await pc.getStats();
        const out = [];
        report.forEach((s) => {
            if (s.type !== 'inbound-rtp' || s.kind !== kind)
                return;
            const codec = s.codecId && report.get(s.codecId);
            out.push({
                ssrc: s.ssrc, mid: s.mid, trackIdentifier: s.trackIdentifier,
                packetsReceived: s.packetsReceived ?? 0, bytesReceived: s.bytesReceived ?? 0,
                packetsLost: s.packetsLost ?? 0, framesReceived: s.framesReceived ?? 0,
                framesDecoded: s.framesDecoded ?? 0, framesDropped: s.framesDropped ?? 0,
                frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0,
                jitter: s.jitter ?? 0, codec: codec ? codec.mimeType : null,
            });
        });
        return { entries: out, state: {
            connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
            signalingState: pc.signalingState } };
    }, { src: getPc.toString(), arg, kind });
}

// Total framesDecoded over a connection's inbound video (0 if none yet).
export async function framesDecoded(page, getPc, arg) {
    const r = await inboundRtp(page, getPc, arg, 'video');
    if (!r)
        return { frames: 0, r };
    return { frames: r.entries.reduce((n, e) => n + e.framesDecoded, 0), r };
}

// Waits until the connection has decoded at least `min` video frames, then
// checks the count still increases over `window` ms. Returns
// {first, second, stats}; throws with the last stats on timeout.
export async function expectVideoFlowing(page, getPc, arg, { timeout = 30000, min = 1, window = 2000 } = {}) {
    let lastStats = null;
    try {
        await waitFor(async () => {
            const { frames, r } = await framesDecoded(page, getPc, arg);
            lastStats = r;
            return frames >= min;
        }, { timeout, interval: 250, what: 'framesDecoded > 0' });
    } catch (e) {
        e.message += `; stats: ${JSON.stringify(lastStats)}`;
        throw e;
    }
    const a = await framesDecoded(page, getPc, arg);
    await sleep(window);
    const b = await framesDecoded(page, getPc, arg);
    if (!(b.frames > a.frames))
        throw new Error(`framesDecoded did not increase over ${window} ms (${a.frames} -> ${b.frames}); stats: ${JSON.stringify(b.r)}`);
    return { first: a.frames, second: b.frames, stats: b.r };
}

// --- TAP ----------------------------------------------------------------------

function defaultDiag(msg) {
    for (const line of String(msg).split('\n'))
        process.stdout.write(`# ${line}\n`);
}

// const t = tap(); await t.case('name', async () => {...}); t.done();
// A case fails when its function throws (or exceeds opts.timeout ms); the
// error message is printed as "# " lines. t.case returns true when it passed.
// opts.skip: a reason; prints "ok N - name # SKIP reason" without running.
export function tap() {
    let n = 0, failed = 0;
    const started = Date.now();
    const t = {
        diag: defaultDiag,
        get failed() { return failed; },
        async case(name, fn, opts = {}) {
            n += 1;
            const id = n;
            if (opts.skip) {
                process.stdout.write(`ok ${id} - ${name} # SKIP ${opts.skip}\n`);
                return true;
            }
            const t0 = Date.now();
            let timer;
            try {
                const run = Promise.resolve().then(fn);
                if (opts.timeout) {
                    await Promise.race([run, new Promise((_, rej) => {
                        timer = setTimeout(() => rej(new Error(`case timed out after ${opts.timeout} ms`)), opts.timeout);
                    })]);
                } else {
                    await run;
                }
                process.stdout.write(`ok ${id} - ${name}\n`);
                t.diag(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
                return true;
            } catch (e) {
                failed += 1;
                process.stdout.write(`not ok ${id} - ${name}\n`);
                t.diag(e && e.stack ? e.stack : String(e));
                return false;
            } finally {
                clearTimeout(timer);
            }
        },
        done() {
            process.stdout.write(`1..${n}\n`);
            t.diag(`${n - failed}/${n} passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
            process.exitCode = failed > 0 ? 1 : 0;
        },
    };
    return t;
}
