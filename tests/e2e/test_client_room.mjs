// test_client_room.mjs — the client library's RoomEngine (html/js/convene.js,
// loaded from the server's /js/convene.js) against the real server, in
// headless Chromium (tests/e2e/pages/client-room.js), for both topologies:
//
//   SFU room "demo" and mesh room "demo-mesh", two pages (alice, bob), each:
//     - join: topology, participants, presence events
//     - each gets a 'stream' event for the other, with live video
//       (framesDecoded increasing); SFU: the stream id is the publisher's id
//     - mute / unmute (track.enabled + `media`): 'participant-updated' on
//       the other side
//     - data channel round trip: broadcast and targeted, with the sender's userId
//     - startQualityMonitoring: 'quality' events (downlink, userId = the
//       publisher; uplink), `stats` frames sent, no `error` frame back
//     - a dropped WebSocket: the library reconnects, joins again with
//       data.resume, republishes; the other side sees it back with video
//     - leave: 'participant-left' and 'stream-removed' on the other side
//   SFU only: simulcast publishing (rids h/m/l in the offer; video decodes
//   whatever layer the server forwards); a second connection with the same
//   user id gets the first 'kicked' (replaced), with no reconnect; and two
//   checks of the server's SDP ("server bug check": a server re-offer must
//   keep the RID header extensions of a simulcast m-line — Chromium refuses
//   it otherwise, the library repairs it — and one a=mid per m-line).
//
// Run: tests/e2e/with-server -- node tests/e2e/test_client_room.mjs

import { env, tokenFor, launchChromium, openTestPage, tap, waitFor, sleep, received, frameSummary } from './lib/browser.mjs';

const WATCHDOG_MS = 240000;
const MEDIA_TIMEOUT = 25000;
const t = tap();
let browser = null;
const users = {};      // name -> {context, page}

const watchdog = setTimeout(() => {
    process.stdout.write('not ok - watchdog: the test took too long\n');
    for (const [name, u] of Object.entries(users))
        dumpFrames(name, u);
    process.exit(1);
}, WATCHDOG_MS);

function dumpFrames(name, u) {
    if (!u || !u.page || !u.page.watch)
        return;
    const lines = u.page.watch.frames.slice(-60).map((f) => {
        const m = f.json;
        if (!m)
            return `${f.dir} (not json)`;
        let s = `${f.dir} ${m.type}`;
        if (m.userId)
            s += ` userId=${m.userId}`;
        if (m.targetUserId)
            s += ` target=${m.targetUserId}`;
        if (m.type === 'error' || m.type === 'user-left' || m.type === 'kicked' || m.type === 'user-updated' || m.type === 'media')
            s += ` ${JSON.stringify(m.data)}`;
        if (m.type === 'offer' && m.tracks)
            s += ` tracks=${JSON.stringify(m.tracks)}`;
        return s;
    });
    t.diag(`[${name}] last frames (${u.page.watch.frames.length}): sent ${frameSummary(u.page.watch, 'sent')}; ` +
        `received ${frameSummary(u.page.watch, 'received')}\n  ${lines.join('\n  ')}`);
}

async function join(name, roomId, opts = {}) {
    const context = await browser.newContext();
    const page = await openTestPage(context, { scripts: ['client-room.js'], watch: { name } });
    users[name] = { context, page };
    const token = tokenFor(name, { room: roomId, grants: { create: true } });
    return page.evaluate((o) => window.startRoom(o), { wsUrl: env.wsUrl, token, roomId, userId: name, ...opts });
}

async function leavePage(name) {
    const u = users[name];
    if (!u)
        return;
    delete users[name];
    await u.context.close().catch(() => {});
}

const events = (name, ev) => users[name].page.evaluate((e) => window.events(e), ev);

async function waitEvent(name, ev, pred = () => true, { timeout = 10000, what } = {}) {
    return waitFor(async () => (await events(name, ev)).find(pred), {
        timeout, interval: 100, what: what || `${name}: '${ev}' event`,
    });
}

const framesOf = (name, from) => users[name].page.evaluate((u) => window.framesOf(u), from);

async function expectVideo(name, from, what) {
    const a = await waitFor(() => framesOf(name, from), { timeout: MEDIA_TIMEOUT, interval: 250,
        what: `${what}: ${name} decodes video from ${from}` });
    await sleep(1500);
    const b = await framesOf(name, from);
    if (!(b > a))
        throw new Error(`${what}: ${name}'s frames from ${from} did not increase (${a} -> ${b})`);
    return b;
}

function errorFrames(name) {
    return received(users[name].page.watch, 'error');
}

function sentFrames(name, type) {
    return users[name].page.watch.frames.filter((f) => f.dir === 'sent' && f.json && f.json.type === type).map((f) => f.json);
}

async function runRoom(roomId, topology) {
    const tag = `${topology} (${roomId})`;
    const A = `alice-${topology}`, B = `bob-${topology}`;
    let ok = true;
    const step = async (name, fn, opts) => {
        if (!ok)
            return t.case(`${tag}: ${name}`, () => {}, { skip: 'an earlier step failed' });
        const passed = await t.case(`${tag}: ${name}`, fn, opts);
        if (!passed) {
            ok = false;
            for (const n of [A, B])
                dumpFrames(n, users[n]);
        }
        return passed;
    };

    await step('alice and bob join; topology, participants and presence events', async () => {
        const ja = await join(A, roomId);
        if (ja.topology !== topology)
            throw new Error(`alice's joined: topology ${ja.topology}`);
        if (ja.userId !== A || ja.participants.length !== 0)
            throw new Error(`alice's joined: ${JSON.stringify(ja)}`);
        const jb = await join(B, roomId);
        if (jb.participants.length !== 1 || jb.participants[0].userId !== A || jb.participants[0].displayName !== A)
            throw new Error(`bob's joined participants: ${JSON.stringify(jb.participants)}`);
        if (topology === 'mesh' && jb.maxParticipants !== 8)
            throw new Error(`demo-mesh maxParticipants: ${jb.maxParticipants}`);
        const pj = await waitEvent(A, 'participant-joined', (p) => p.userId === B);
        if (pj.displayName !== B || pj.media.audio !== true || pj.media.video !== true)
            throw new Error(`alice's participant-joined: ${JSON.stringify(pj)}`);
    });

    await step("each gets a 'stream' event for the other, with live video", async () => {
        const sa = await waitEvent(A, 'stream', (s) => s.userId === B && s.kinds.includes('video'), { timeout: MEDIA_TIMEOUT });
        const sb = await waitEvent(B, 'stream', (s) => s.userId === A && s.kinds.includes('video'), { timeout: MEDIA_TIMEOUT });
        if (topology === 'sfu' && (sa.streamId !== B || sb.streamId !== A))
            throw new Error(`SFU stream ids should be the publishers' ids: ${sa.streamId}, ${sb.streamId}`);
        const [fa, fb] = await Promise.all([expectVideo(A, B, tag), expectVideo(B, A, tag)]);
        t.diag(`  frames decoded: alice from bob ${fa}, bob from alice ${fb}`);
        const p = await users[A].page.evaluate((b) => {
            const x = window.room.participants.get(b);
            return x && { hasStream: !!x.stream, video: x.stream ? x.stream.getVideoTracks().length : 0 };
        }, B);
        if (!p || !p.hasStream || p.video < 1)
            throw new Error(`alice's participants.get(bob).stream: ${JSON.stringify(p)}`);
    });

    if (topology === 'sfu') {
        await step('simulcast: the offer carries rids h/m/l; the server forwards a layer that decodes', async () => {
            const offers = sentFrames(A, 'offer');
            const sdp = offers.map((o) => o.data && o.data.sdp).find((s) => /a=simulcast:send/.test(s || ''));
            if (!sdp)
                throw new Error(`no simulcast offer among ${offers.length} offers`);
            for (const rid of ['h', 'm', 'l'])
                if (!new RegExp(`a=rid:${rid} send`).test(sdp))
                    throw new Error(`rid ${rid} missing: ${sdp.split('\n').filter((l) => /rid|simulcast/.test(l)).join(' | ')}`);
            const rids = await users[A].page.evaluate(async () => {
                const all = await window.room.getAllStats();
                return all.sfu.outbound.filter((x) => x.kind === 'video').map((x) => `${x.rid}:${x.frameWidth}x${x.frameHeight}`);
            });
            t.diag(`  alice's video layers: ${rids.join(' ')}`);
            if (rids.length < 2)
                throw new Error(`expected several outbound layers, got ${rids}`);
            await expectVideo(B, A, 'simulcast');
        });
    }

    if (topology === 'sfu') {
        // Checks of the server's SDP (reported bugs; they do not stop the other steps).
        const sdpOf = (dir, type) => users[A].page.watch.frames
            .filter((f) => f.dir === dir && f.json && f.json.type === type && f.json.data && f.json.data.sdp)
            .map((f) => f.json.data.sdp);
        const sections = (sdp) => sdp.split(/\r?\n(?=m=)/).slice(1);
        await t.case(`${tag}: server bug check: a server re-offer keeps the RID header extensions of a simulcast m-line`, async () => {
            const offers = sdpOf('received', 'offer');
            if (offers.length === 0)
                throw new Error('no server offer received');
            const bad = [];
            for (const sdp of offers) {
                for (const sec of sections(sdp)) {
                    if (/^a=simulcast:/m.test(sec) && !/^a=extmap:\d+\S* urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/m.test(sec))
                        bad.push(sec.split(/\r?\n/).filter((l) => /^(m=|a=mid|a=extmap|a=rid|a=simulcast|a=recvonly|a=sendonly|a=inactive)/.test(l)).join(' | '));
                }
            }
            const repairs = await users[A].page.evaluate(() => window.room.peers.get('sfu').negotiation.sdpRepairs);
            if (bad.length > 0)
                throw new Error(`${bad.length} simulcast m-line(s) of server offers without the rtp-stream-id extmap ` +
                    `(Chromium refuses such an offer: "negotiates simulcast but does not negotiate the RID RTP header ` +
                    `extension"; the client repaired ${repairs} offer(s) to go on):\n  ${bad.join('\n  ')}`);
        });
        await t.case(`${tag}: server bug check: one a=mid per m-line in server answers and offers`, async () => {
            const bad = [];
            for (const [type, list] of [['answer', sdpOf('received', 'answer')], ['offer', sdpOf('received', 'offer')]]) {
                for (const sdp of list) {
                    for (const sec of sections(sdp)) {
                        const mids = sec.match(/^a=mid:.*$/mg) || [];
                        if (mids.length !== 1)
                            bad.push(`${type}: ${sec.split(/\r?\n/)[0]} has ${mids.join(', ') || 'no a=mid'}`);
                    }
                }
            }
            if (bad.length > 0)
                throw new Error(`m-lines without exactly one a=mid (RFC 5888/8843; Chromium tolerates it, other browsers may not):\n  ${bad.join('\n  ')}`);
        });
    }

    await step("mute and unmute: track.enabled, a `media` frame, 'participant-updated' at the other side", async () => {
        const seq = [
            ['setAudioEnabled', false, { audio: false, video: true }],
            ['setVideoEnabled', false, { audio: false, video: false }],
            ['setAudioEnabled', true, { audio: true, video: false }],
            ['setVideoEnabled', true, { audio: true, video: true }],
        ];
        for (const [method, value, want] of seq) {
            const before = (await events(B, 'participant-updated')).length;
            const tracks = await users[A].page.evaluate(([m, v]) => {
                window.room[m](v);
                const s = window.room.localStream;
                return { audio: s.getAudioTracks().every((x) => x.enabled), video: s.getVideoTracks().every((x) => x.enabled) };
            }, [method, value]);
            if (tracks.audio !== want.audio || tracks.video !== want.video)
                throw new Error(`after ${method}(${value}) the local tracks are enabled ${JSON.stringify(tracks)}`);
            await waitFor(async () => {
                const ups = (await events(B, 'participant-updated')).slice(before);
                return ups.find((u) => u.userId === A && u.media.audio === want.audio && u.media.video === want.video);
            }, { timeout: 5000, interval: 100, what: `bob's participant-updated ${JSON.stringify(want)} after ${method}(${value})` });
        }
        const media = sentFrames(A, 'media');
        if (media.length !== 4)
            throw new Error(`alice sent ${media.length} media frames: ${JSON.stringify(media)}`);
        await expectVideo(B, A, 'after unmuting');
    });

    await step('data channel: broadcast and targeted round trip, with the sender\'s userId', async () => {
        const payload = { text: 'hello from alice', n: 1, nested: { ok: true } };
        await waitFor(() => users[A].page.evaluate((p) => {
            try { window.room.send(p); return true; } catch (e) { return false; }
        }, payload), { timeout: 10000, what: 'alice: data channel open' });
        const got = await waitEvent(B, 'data', (d) => d.userId === A && d.data && d.data.text === payload.text);
        if (JSON.stringify(got.data) !== JSON.stringify(payload) || got.targetUserId !== undefined)
            throw new Error(`bob got ${JSON.stringify(got)}`);
        await users[B].page.evaluate((a) => window.room.send('pong for alice', a), A);
        const back = await waitEvent(A, 'data', (d) => d.userId === B);
        if (back.data !== 'pong for alice' || back.targetUserId !== A)
            throw new Error(`alice got ${JSON.stringify(back)}`);
        // A signaling message too
        await users[A].page.evaluate((b) => window.room.sendMessage({ kind: 'note' }, b), B);
        const msg = await waitEvent(B, 'message', (m) => m.userId === A);
        if (!msg.data || msg.data.kind !== 'note')
            throw new Error(`bob's message: ${JSON.stringify(msg)}`);
    });

    await step("startQualityMonitoring: 'quality' events (downlink from the publisher, uplink), stats frames accepted", async () => {
        for (const n of [A, B])
            await users[n].page.evaluate(() => window.room.startQualityMonitoring(700));
        const down = await waitEvent(A, 'quality', (q) => q.direction === 'downlink' && q.kind === 'video' && q.bitrateBps > 0,
            { timeout: 8000, what: "alice: a downlink video 'quality' event with a bitrate" });
        if (down.userId !== B || down.statsUserId !== B)
            throw new Error(`downlink quality event for ${down.userId} (stats ${down.statsUserId}), expected ${B}`);
        if (!['good', 'degraded', 'poor'].includes(down.quality) || !Array.isArray(down.issues))
            throw new Error(`quality event: ${JSON.stringify(down)}`);
        const up = await waitEvent(A, 'quality', (q) => q.direction === 'uplink' && q.kind === 'video',
            { timeout: 8000, what: "alice: an uplink video 'quality' event" });
        if (up.userId !== null)
            throw new Error(`uplink quality event userId ${up.userId}`);
        await waitEvent(B, 'quality', (q) => q.direction === 'downlink' && q.userId === A, { timeout: 8000 });
        await waitFor(() => sentFrames(A, 'stats').length >= 2 && sentFrames(B, 'stats').length >= 2,
            { timeout: 8000, what: 'two stats frames from each' });
        await sleep(800);
        const st = sentFrames(A, 'stats').at(-1);
        const peer = topology === 'sfu' ? 'sfu' : B;
        if (!st.data || !st.data.peers || !st.data.peers[peer] || !Array.isArray(st.data.peers[peer].inbound))
            throw new Error(`stats frame: ${JSON.stringify(st).slice(0, 400)}`);
        const q = (await events(A, 'quality')).slice(-6);
        t.diag(`  alice's last quality events: ${JSON.stringify(q.map((x) => [x.direction, x.userId, x.kind, x.rid, x.quality, x.bitrateBps]))}`);
        t.diag(`  a stats frame: ${JSON.stringify(st.data).slice(0, 300)}…`);
        for (const n of [A, B]) {
            if (errorFrames(n).length > 0)
                throw new Error(`${n} got error frames: ${JSON.stringify(errorFrames(n))}`);
            await users[n].page.evaluate(() => window.room.stopQualityMonitoring());
        }
    });

    await step('a dropped WebSocket: reconnect, join again with resume, republish; both see each other again', async () => {
        const streamsBefore = (await events(B, 'stream')).length;
        const dropped = await users[A].page.evaluate(() => window.dropSocket());
        if (!dropped)
            throw new Error('no socket to drop');
        await waitEvent(A, 'state', (s) => s === 'reconnecting', { what: "alice: state 'reconnecting'" });
        await waitFor(async () => (await events(A, 'state')).slice(-1)[0] === 'joined' &&
            (await events(A, 'state')).filter((s) => s === 'joined').length >= 2,
        { timeout: 15000, interval: 100, what: "alice: state 'joined' again" });
        const joins = sentFrames(A, 'join');
        if (joins.length !== 2 || !joins[1].data || joins[1].data.resume !== true || joins[1].userId !== A)
            throw new Error(`alice's join frames: ${JSON.stringify(joins.map((j) => ({ userId: j.userId, data: j.data })))}`);
        const rejoined = received(users[A].page.watch, 'joined').at(-1);
        t.diag(`  the second joined: resumed=${rejoined.data && rejoined.data.resumed}; ` +
            `bob saw: ${JSON.stringify((await events(B, 'participant-left')).map((p) => p.reason))} left, ` +
            `${(await events(B, 'participant-joined')).length} joined`);
        // bob gets alice's media again (a new stream if the server dropped her meanwhile)
        await waitFor(async () => (await events(B, 'stream')).slice(streamsBefore).find((s) => s.userId === A && s.kinds.includes('video')) ||
            (rejoined.data && rejoined.data.resumed), { timeout: MEDIA_TIMEOUT, what: "bob: alice's stream again" });
        await sleep(500);
        await Promise.all([expectVideo(B, A, 'after the reconnect'), expectVideo(A, B, 'after the reconnect')]);
        const aErr = await events(A, 'error');
        if (aErr.length > 0)
            throw new Error(`alice's error events: ${JSON.stringify(aErr)}`);
    }, { timeout: 60000 });

    await step("leave: the other side gets 'participant-left' (left) and 'stream-removed'", async () => {
        await users[B].page.evaluate(() => window.room.leave());
        const states = await events(B, 'state');
        if (states.at(-1) !== 'left')
            throw new Error(`bob's states: ${states}`);
        if (sentFrames(B, 'leave').length !== 1 || received(users[B].page.watch, 'left').length !== 1)
            throw new Error('bob: no leave/left exchange');
        const left = await waitEvent(A, 'participant-left', (p) => p.userId === B && p.reason === 'left');
        if (left.displayName !== B)
            throw new Error(`participant-left: ${JSON.stringify(left)}`);
        await waitEvent(A, 'stream-removed', (s) => s.userId === B);
        const still = await users[A].page.evaluate((b) => window.room.participants.has(b), B);
        if (still)
            throw new Error('bob is still in alice\'s participants');
        for (const n of [A, B]) {
            const errs = await events(n, 'error');
            if (errs.length > 0)
                throw new Error(`${n}'s error events: ${JSON.stringify(errs)}`);
            if (errorFrames(n).length > 0)
                throw new Error(`${n} got error frames: ${JSON.stringify(errorFrames(n))}`);
        }
        await leavePage(B);
    });

    if (topology === 'sfu') {
        await step("the same user id joining elsewhere: the first gets 'kicked' (replaced) and does not reconnect", async () => {
            const tab2 = `${A}#2`;
            const context = await browser.newContext();
            const page = await openTestPage(context, { scripts: ['client-room.js'], watch: { name: tab2 } });
            users[tab2] = { context, page };
            await page.evaluate((o) => window.startRoom(o), {
                wsUrl: env.wsUrl, token: tokenFor(A, { room: roomId }), roomId, userId: A, publish: false });
            const k = await waitEvent(A, 'kicked', () => true, { what: "alice: 'kicked'" });
            if (!k || k.reason !== 'replaced')
                throw new Error(`kicked: ${JSON.stringify(k)}`);
            await sleep(1500);
            const st = await users[A].page.evaluate(() => ({ signaling: window.room.signaling.state, state: window.room.state,
                peers: window.room.peers.size }));
            if (st.signaling !== 'closed' || st.state !== 'kicked' || st.peers !== 0)
                throw new Error(`after kicked: ${JSON.stringify(st)}`);
            if (sentFrames(A, 'join').length !== 2)
                throw new Error(`alice joined again after being kicked: ${sentFrames(A, 'join').length} joins`);
            await leavePage(tab2);
        });
    }
    await leavePage(A);
}

try {
    browser = await launchChromium();
    await runRoom('demo', 'sfu');
    await runRoom('demo-mesh', 'mesh');
} catch (e) {
    process.stdout.write('not ok - setup failed\n');
    t.diag(e && e.stack ? e.stack : String(e));
} finally {
    clearTimeout(watchdog);
    for (const name of Object.keys(users))
        await leavePage(name);
    if (browser)
        await browser.close().catch(() => {});
    t.done();
}
