// signaling.mjs: signaling benchmark, side by side in one run.
//
// Three servers, one client program (this one, npm `ws`, no compression):
//
//   convene    Convene's transport (CONVENE_WS_URL), mesh room `demo-mesh`.
//   videoroom  Janus's stock websockets transport (JANUS_WS_URL, subprotocol
//              janus-protocol) with janus.plugin.videoroom, on the same Janus.
//   node       tests/bench/ws_relay.mjs, a minimal npm `ws` relay like the
//              seed guide's server, started here as a child process on a
//              free loopback port.
//
// Join latency. One client joins, then leaves and closes; --joins times,
// the three servers taking turns. Measured on the client's monotonic clock:
//   connect  new WebSocket -> `open` (TCP + HTTP upgrade)
//   join     `open` -> the server says joined. Convene and node: one
//            `join` frame -> `joined`. VideoRoom needs three round trips,
//            as janus.js makes them: `create` (session) -> success,
//            `attach` janus.plugin.videoroom -> success, `join` as a
//            publisher -> event `joined` (the last one alone is printed too)
//   total    connect + join: socket opened -> joined (the headline)
//
// Relay. Two members A and B of one room (for convene and node first an
// offer/answer exchange, so that Convene's mesh gate relays at once, see
// src/cv_mesh.h); then A sends B --messages ice-candidate frames (a real
// looking RTCIceCandidateInit, ~200 bytes, plus a sequence number and a send
// time) as fast as the socket takes them, with at most --window unreceived
// at any time; B counts them. Per run: messages per second (first send to
// last receipt), the one-way latency of each message (same clock: one
// process), the server's CPU per relayed message (/proc/PID/stat,
// utime+stime, of Janus or of the node relay; Janus's CPU includes its idle
// threads; their idle CPU over 2 s is printed for scale), the server's
// context switches per message (all its threads, /proc/PID/task/*/status:
// a hint of how many thread hand-overs a message costs) and this client's
// own CPU per message (to see when the client is the limit). Before each
// throughput run, --latency-messages frames with a window of 1: the
// unloaded one-way latency. Out-of-order receipts are counted.
//
// VideoRoom has no client-to-client message over the Janus API (chat is
// TextRoom's, over data channels); the closest honest equivalent is used: A
// sends `configure {display: "<seq> <time> <candidate string>"}` and
// VideoRoom notifies every other participant with an event carrying the new
// display, which B reads. A also gets an `ack` and a `configured` event for
// each: that is VideoRoom's cost of a relay, counted as such.
// Runs (--runs) rotate the order of the servers; medians over runs.
//
//   tests/e2e/with-server --extra-plugin videoroom -- node tests/bench/signaling.mjs \
//       [--joins 200] [--runs 3] [--messages 50000] [--window 64] \
//       [--latency-messages 200] [--only convene,videoroom,node] [--convene-room demo-mesh] [--json FILE]
//
// Prints a table and one JSON object on the last line (also written to --json FILE).
// Traffic: loopback only (the harness's namespace).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const JOINS = Number(opt('--joins', '200'));
const RUNS = Number(opt('--runs', '3'));
const MESSAGES = Number(opt('--messages', '50000'));
const WINDOW = Number(opt('--window', '64'));
const LAT_MESSAGES = Number(opt('--latency-messages', '200'));
const ONLY = opt('--only', 'convene,videoroom,node').split(',');
const JSON_OUT = opt('--json', null);
const MESH_ROOM = opt('--convene-room', 'demo-mesh');

function env(name) {
    const v = process.env[name];
    if (!v) {
        console.error(`${name} is not set: run through tests/e2e/with-server --extra-plugin videoroom`);
        process.exit(2);
    }
    return v;
}

const TICKS = 100;   // USER_HZ: /proc/PID/stat counts in 1/100 s on Linux
function procCpu(pid) {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;   // utime + stime, seconds
}
// context switches of all the process's threads (threads that end in between are lost)
function procSwitches(pid) {
    let n = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
        try {
            const st = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
            for (const m of st.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) n += Number(m[1]);
        } catch { /* the thread ended */ }
    }
    return n;
}
const clientCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

function stats(values) {
    const v = [...values].sort((a, b) => a - b);
    const q = (p) => v.length ? v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)] : NaN;
    return { n: v.length, median: median(v), p99: q(0.99), min: v[0], max: v[v.length - 1] };
}
function median(values) {
    const v = [...values].sort((a, b) => a - b);
    const n = v.length;
    return n === 0 ? NaN : n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

// --- one WebSocket with a frame queue -----------------------------------------------

class Conn {
    static open(url, protocol) {
        return new Promise((resolve, reject) => {
            const ws = new WebSocket(url, protocol ? [protocol] : [], { perMessageDeflate: false });
            const timer = setTimeout(() => { ws.terminate(); reject(new Error(`${url}: no open in 5 s`)); }, 5000);
            ws.once('open', () => { clearTimeout(timer); resolve(new Conn(ws)); });
            ws.once('error', (e) => { clearTimeout(timer); reject(e); });
        });
    }

    constructor(ws) {
        this.ws = ws;
        this.queue = [];
        this.waiters = [];
        this.tap = null;       // hot path: (frame) => true when consumed
        ws.on('message', (data) => this.onFrame(JSON.parse(data)));
        this.closed = new Promise((r) => ws.once('close', r));
    }

    onFrame(m) {
        if (this.tap && this.tap(m)) return;
        const i = this.waiters.findIndex((w) => w.pred(m));
        if (i >= 0) {
            const [w] = this.waiters.splice(i, 1);
            clearTimeout(w.timer);
            w.resolve(m);
        } else {
            this.queue.push(m);
        }
    }

    next(pred, what, ms = 5000) {
        const i = this.queue.findIndex(pred);
        if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
        return new Promise((resolve, reject) => {
            const w = { pred, resolve };
            w.timer = setTimeout(() => {
                this.waiters.splice(this.waiters.indexOf(w), 1);
                reject(new Error(`no ${what} in ${ms} ms; unread: ${JSON.stringify(this.queue).slice(0, 400)}`));
            }, ms);
            this.waiters.push(w);
        });
    }

    send(obj) { this.ws.send(JSON.stringify(obj)); }

    async close() {
        if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
        await this.closed;
    }
}

// --- the relayed payload ------------------------------------------------------------

const CANDIDATE = 'candidate:842163049 1 udp 1677729535 10.77.0.2 52814 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sXCx network-cost 999';
const SDP = (kind) => `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n` +
    `a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n` +
    `a=ice-ufrag:sXCx\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-options:trickle\r\n` +
    `a=fingerprint:sha-256 ${Array(32).fill('AB').join(':')}\r\na=setup:${kind === 'offer' ? 'actpass' : 'active'}\r\n` +
    `a=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n`;

// --- servers ------------------------------------------------------------------------

// Convene's protocol and the node relay speak the same envelope.
class ProtocolServer {
    constructor(name, url, room, pid) {
        Object.assign(this, { name, url, room, pid });
        this.what = 'ice-candidate frame to a member';
    }

    async member(userId, room) {
        const c = await Conn.open(this.url);
        c.send({ type: 'join', roomId: room, userId });
        const m = await c.next((f) => f.type === 'joined' || f.type === 'error', 'joined');
        if (m.type !== 'joined') throw new Error(`${this.name} join: ${JSON.stringify(m)}`);
        c.userId = userId;
        return c;
    }

    async joinOnce(i) {
        const t0 = performance.now();
        const c = await Conn.open(this.url);
        const t1 = performance.now();
        c.send({ type: 'join', roomId: this.room, userId: `j${tag}-${i}` });
        const m = await c.next((f) => f.type === 'joined' || f.type === 'error', 'joined');
        const t2 = performance.now();
        if (m.type !== 'joined') throw new Error(`${this.name} join: ${JSON.stringify(m)}`);
        c.send({ type: 'leave', roomId: this.room });
        await c.next((f) => f.type === 'left', 'left');
        await c.close();
        return { connect: t1 - t0, join: t2 - t1, total: t2 - t0 };
    }

    async pair(run) {
        const a = await this.member(`a${tag}-${run}`, this.room);
        const b = await this.member(`b${tag}-${run}`, this.room);
        await a.next((f) => f.type === 'user-joined' && f.userId === b.userId, 'user-joined');
        // settle the pair as a seed-style client does: both offer, the newcomer answers
        a.send({ type: 'offer', targetUserId: b.userId, data: { type: 'offer', sdp: SDP('offer') } });
        b.send({ type: 'offer', targetUserId: a.userId, data: { type: 'offer', sdp: SDP('offer') } });
        await b.next((f) => f.type === 'offer' && f.userId === a.userId, 'offer from A');
        b.send({ type: 'answer', targetUserId: a.userId, data: { type: 'answer', sdp: SDP('answer') } });
        await a.next((f) => f.type === 'answer' && f.userId === b.userId, 'answer from B');
        await sleep(50);
        a.queue.length = 0;
        b.queue.length = 0;
        return {
            sender: a,
            receiver: b,
            send: (seq, t) => a.send({
                type: 'ice-candidate', roomId: this.room, userId: a.userId, targetUserId: b.userId,
                data: { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'sXCx', seq, t },
                timestamp: Date.now(),
            }),
            extract: (f) => (f.type === 'ice-candidate' && f.userId === a.userId && f.data ? f.data : null),
            senderTap: (f) => f.type !== 'error',   // anything but an error is ignored
            close: async () => {
                for (const c of [a, b]) {
                    c.tap = null;
                    c.send({ type: 'leave', roomId: this.room });
                }
                for (const c of [a, b]) await c.next((f) => f.type === 'left', 'left');
                await Promise.all([a.close(), b.close()]);
            },
        };
    }
}

// A Janus API session over the stock websockets transport.
class JanusSession {
    static async open(url) {
        const s = new JanusSession(await Conn.open(url, 'janus-protocol'));
        s.id = (await s.call({ janus: 'create' })).data.id;
        return s;
    }

    constructor(conn) { this.c = conn; this.n = 0; }

    // a request; resolves with the first reply that is not an ack
    async call(msg) {
        const transaction = `t${++this.n}`;
        this.c.send({ ...msg, transaction, ...(this.id ? { session_id: this.id } : {}) });
        const r = await this.c.next((f) => f.transaction === transaction && f.janus !== 'ack', msg.janus);
        if (r.janus === 'error' || r.plugindata?.data?.error) throw new Error(`janus: ${JSON.stringify(r)}`);
        return r;
    }

    async attach(plugin) { return (await this.call({ janus: 'attach', plugin })).data.id; }

    message(handle, body) { return this.call({ janus: 'message', handle_id: handle, body }); }

    async destroy() {
        await this.call({ janus: 'destroy' });
        await this.c.close();
    }
}

class VideoRoomServer {
    constructor(url, pid, secret) {
        Object.assign(this, { name: 'videoroom', url, pid, secret });
        this.what = 'configure {display} -> event {display} to the other participant';
        this.room = 9000 + (process.pid % 1000);
        this.joinOnly = [];
    }

    async setup() {
        const s = await JanusSession.open(this.url);
        const h = await s.attach('janus.plugin.videoroom');
        const r = await s.message(h, { request: 'create', room: this.room, publishers: 100, admin_key: this.secret });
        if (r.plugindata.data.videoroom !== 'created') throw new Error(`videoroom create: ${JSON.stringify(r)}`);
        await s.destroy();
    }

    async publisher(display) {
        const s = await JanusSession.open(this.url);
        const h = await s.attach('janus.plugin.videoroom');
        const r = await s.message(h, { request: 'join', room: this.room, ptype: 'publisher', display });
        if (r.plugindata.data.videoroom !== 'joined') throw new Error(`videoroom join: ${JSON.stringify(r)}`);
        return { s, h, id: r.plugindata.data.id };
    }

    async joinOnce(i) {
        const t0 = performance.now();
        const c = await Conn.open(this.url, 'janus-protocol');
        const t1 = performance.now();
        const s = new JanusSession(c);
        s.id = (await s.call({ janus: 'create' })).data.id;
        const h = await s.attach('janus.plugin.videoroom');
        const tj = performance.now();
        const r = await s.message(h, { request: 'join', room: this.room, ptype: 'publisher', display: `j${i}` });
        const t2 = performance.now();
        if (r.plugindata.data.videoroom !== 'joined') throw new Error(`videoroom join: ${JSON.stringify(r)}`);
        this.joinOnly.push(t2 - tj);
        await s.destroy();
        return { connect: t1 - t0, join: t2 - t1, total: t2 - t0 };
    }

    async pair(run) {
        const a = await this.publisher(`a${run}`);
        const b = await this.publisher(`b${run}`);
        a.s.c.queue.length = 0;
        b.s.c.queue.length = 0;
        const keepalive = setInterval(() => {
            for (const p of [a, b]) p.s.c.send({ janus: 'keepalive', session_id: p.s.id, transaction: 'k' });
        }, 20000);
        let tx = 0;
        return {
            sender: a.s.c,
            receiver: b.s.c,
            send: (seq, t) => a.s.c.send({
                janus: 'message', session_id: a.s.id, handle_id: a.h, transaction: `r${++tx}`,
                body: { request: 'configure', display: `${seq} ${t} ${CANDIDATE}` },
            }),
            extract: (f) => {
                const d = f.janus === 'event' && f.plugindata?.data;
                if (!d || d.id !== a.id || typeof d.display !== 'string') return null;
                const [seq, t] = d.display.split(' ', 2);
                return { seq: Number(seq), t: Number(t) };
            },
            // the sender's ack and `configured` event for each message
            senderTap: (f) => f.janus === 'ack' || (f.janus === 'event' && f.plugindata?.data?.configured === 'ok') ||
                f.janus === 'keepalive' || f.janus === 'success',
            close: async () => {
                clearInterval(keepalive);
                a.s.c.tap = b.s.c.tap = null;
                await a.s.destroy();
                await b.s.destroy();
            },
        };
    }
}

// --- measurements --------------------------------------------------------------------

// Sends `count` messages A -> B with at most `window` unreceived.
function relay(pair, count, window) {
    return new Promise((resolve, reject) => {
        let sent = 0, received = 0, outOfOrder = 0, errors = 0, lastSeq = -1, last = performance.now();
        const latencies = [];
        const c0 = clientCpu();
        const t0 = performance.now();
        const pump = () => {
            while (sent < count && sent - received < window) pair.send(sent++, performance.now());
        };
        const finish = (err) => {
            clearInterval(watchdog);
            pair.receiver.tap = null;
            pair.sender.tap = null;
            if (err) return reject(err);
            const seconds = (performance.now() - t0) / 1000;
            resolve({ seconds, rate: count / seconds, latencies, outOfOrder, clientCpu: clientCpu() - c0 });
        };
        pair.sender.tap = (f) => {
            if (pair.senderTap(f)) return true;
            errors++;
            finish(new Error(`sender got ${JSON.stringify(f).slice(0, 300)}`));
            return true;
        };
        pair.receiver.tap = (f) => {
            const d = pair.extract(f);
            if (!d) return false;
            const now = performance.now();
            latencies.push(now - d.t);
            if (d.seq !== lastSeq + 1) outOfOrder++;
            lastSeq = d.seq;
            last = now;
            if (++received === count) finish();
            else pump();
            return true;
        };
        const watchdog = setInterval(() => {
            if (performance.now() - last > 10000)
                finish(new Error(`stalled: ${received}/${count} received, ${errors} errors`));
        }, 1000);
        pump();
    });
}

async function startNodeRelay() {
    const child = spawn(process.execPath, [join(here, 'ws_relay.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
            out += d;
            const m = out.match(/listening (\d+)/);
            if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`ws_relay.mjs exited with ${code}`)));
    });
    return { child, port };
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function main() {
    const servers = [];
    let relayProc = null;
    if (ONLY.includes('convene'))
        servers.push(new ProtocolServer('convene', env('CONVENE_WS_URL'), MESH_ROOM, Number(env('CONVENE_JANUS_PID'))));
    if (ONLY.includes('videoroom')) {
        const vr = new VideoRoomServer(env('JANUS_WS_URL'), Number(env('CONVENE_JANUS_PID')), env('JANUS_ADMIN_SECRET'));
        await vr.setup();
        servers.push(vr);
    }
    if (ONLY.includes('node')) {
        relayProc = await startNodeRelay();
        servers.push(new ProtocolServer('node', `ws://127.0.0.1:${relayProc.port}/ws/webrtc`, 'bench', relayProc.child.pid));
    }
    const result = {
        bench: 'signaling', date: new Date().toISOString(), node: process.version,
        joins: JOINS, runs: RUNS, messages: MESSAGES, window: WINDOW, latency_messages: LAT_MESSAGES, servers: {},
    };
    try {
        // warm-up: a few joins and 10000 relayed messages each
        for (const s of servers) {
            for (let i = 0; i < 5; i++) await s.joinOnce(`w${i}`);
            const p = await s.pair('w');
            await relay(p, Math.min(10000, MESSAGES), WINDOW);   // V8's JIT, Janus's allocators
            await p.close();
        }
        if (servers.find((s) => s.joinOnly)) servers.find((s) => s.joinOnly).joinOnly.length = 0;

        // the servers' idle CPU, for scale (Janus runs its own threads even when idle)
        const pids = [...new Set(servers.map((s) => s.pid))];
        const idle0 = pids.map(procCpu);
        await sleep(2000);
        result.idle_cpu_ms_per_s = Object.fromEntries(servers.map((s) =>
            [s.name, Number(((procCpu(s.pid) - idle0[pids.indexOf(s.pid)]) / 2 * 1000).toFixed(1))]));

        // join latency, servers taking turns
        const joins = Object.fromEntries(servers.map((s) => [s.name, []]));
        for (let i = 0; i < JOINS; i++)
            for (const s of servers) joins[s.name].push(await s.joinOnce(i));

        // relay: runs rotate the order
        const runs = Object.fromEntries(servers.map((s) => [s.name, []]));
        for (let r = 0; r < RUNS; r++) {
            for (let k = 0; k < servers.length; k++) {
                const s = servers[(k + r) % servers.length];
                const p = await s.pair(r);
                const idle = await relay(p, LAT_MESSAGES, 1);
                const cpu0 = procCpu(s.pid), sw0 = procSwitches(s.pid);
                const load = await relay(p, MESSAGES, WINDOW);
                const cpu1 = procCpu(s.pid), sw1 = procSwitches(s.pid);
                await p.close();
                runs[s.name].push({ idle, load, serverCpu: cpu1 - cpu0, switches: sw1 - sw0 });
                console.log(`# run ${r} ${s.name.padEnd(9)}: ${fmt(load.rate, 0)} msg/s, latency median ${fmt(median(load.latencies))} ms` +
                    ` under load, ${fmt(median(idle.latencies))} ms alone; server CPU ${fmt((cpu1 - cpu0) / MESSAGES * 1e6, 1)} us/msg,` +
                    ` ${fmt((sw1 - sw0) / MESSAGES)} context switches/msg; client CPU ${fmt(load.clientCpu / MESSAGES * 1e6, 1)} us/msg${load.outOfOrder ? `, ${load.outOfOrder} out of order` : ''}`);
            }
        }

        for (const s of servers) {
            const j = joins[s.name];
            const rs = runs[s.name];
            result.servers[s.name] = {
                relayed: s.what,
                join_ms: {
                    total: stats(j.map((x) => x.total)),
                    connect: stats(j.map((x) => x.connect)),
                    open_to_joined: stats(j.map((x) => x.join)),
                    ...(s.joinOnly ? { join_request_only: stats(s.joinOnly) } : {}),
                },
                relay: {
                    msgs_per_s_runs: rs.map((x) => Math.round(x.load.rate)),
                    msgs_per_s_median: Math.round(median(rs.map((x) => x.load.rate))),
                    latency_under_load_ms: stats(rs.flatMap((x) => x.load.latencies)),
                    latency_alone_ms: stats(rs.flatMap((x) => x.idle.latencies)),
                    server_cpu_us_per_msg_median: median(rs.map((x) => x.serverCpu / MESSAGES * 1e6)),
                    server_context_switches_per_msg_median: median(rs.map((x) => x.switches / MESSAGES)),
                    client_cpu_us_per_msg_median: median(rs.map((x) => x.load.clientCpu / MESSAGES * 1e6)),
                    out_of_order: rs.reduce((a, x) => a + x.load.outOfOrder, 0),
                },
            };
            for (const st of Object.values(result.servers[s.name].join_ms))
                for (const k of Object.keys(st)) if (k !== 'n') st[k] = Number(st[k].toFixed(3));
            for (const k of ['latency_under_load_ms', 'latency_alone_ms'])
                result.servers[s.name].relay[k] = Object.fromEntries(Object.entries(result.servers[s.name].relay[k])
                    .map(([key, v]) => [key, key === 'n' ? v : Number(v.toFixed(3))]));
        }
    } finally {
        if (relayProc) relayProc.child.kill('SIGTERM');
    }

    console.log(`Signaling, ${JOINS} joins per server, relay: ${RUNS} runs x ${MESSAGES} messages, window ${WINDOW} (medians):`);
    console.log('  server     join total   p99    (connect + open->joined)   relay msg/s  latency load/alone  server CPU/msg  switches/msg  client CPU/msg');
    for (const [name, r] of Object.entries(result.servers)) {
        const j = r.join_ms, l = r.relay;
        console.log(`  ${name.padEnd(9)} ${fmt(j.total.median).padStart(7)} ms ${fmt(j.total.p99).padStart(6)} ms` +
            `  (${fmt(j.connect.median)} + ${fmt(j.open_to_joined.median)} ms)`.padEnd(29) +
            `${String(l.msgs_per_s_median).padStart(8)}      ${fmt(l.latency_under_load_ms.median)} / ${fmt(l.latency_alone_ms.median)} ms` +
            `   ${fmt(l.server_cpu_us_per_msg_median, 1).padStart(7)} us     ${fmt(l.server_context_switches_per_msg_median).padStart(6)}` +
            `     ${fmt(l.client_cpu_us_per_msg_median, 1).padStart(7)} us`);
    }
    if (result.servers.videoroom)
        console.log(`  videoroom join = create + attach + join; the join request alone: median ${fmt(result.servers.videoroom.join_ms.join_request_only.median)} ms`);
    for (const [name, r] of Object.entries(result.servers)) console.log(`  ${name}: relayed = ${r.relayed}`);
    console.log(`  idle server CPU (ms per s, Janus shared by convene and videoroom): ${JSON.stringify(result.idle_cpu_ms_per_s)}`);
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 1) + '\n');
    console.log(JSON.stringify(result));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
