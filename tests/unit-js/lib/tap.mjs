// tests/unit-js/lib/tap.mjs — a tiny TAP reporter and helpers for the
// client library's Node tests (no browser, no server).
//
//   const t = tap();
//   await t.case('name', async () => { ... });   // throws -> "not ok"
//   t.done();                                     // plan line, exit code
//
//   assert / equal / deepEqual / near / rejects: small assertions with
//   messages that say what was expected.

import { isDeepStrictEqual, inspect } from 'node:util';

export function tap() {
    let n = 0, failed = 0;
    const started = Date.now();
    const t = {
        diag(msg) {
            for (const line of String(msg).split('\n'))
                process.stdout.write(`# ${line}\n`);
        },
        async case(name, fn, { timeout = 10000 } = {}) {
            n += 1;
            const id = n;
            let timer;
            try {
                await Promise.race([
                    Promise.resolve().then(fn),
                    new Promise((_, rej) => {
                        timer = setTimeout(() => rej(new Error(`case timed out after ${timeout} ms`)), timeout);
                    }),
                ]);
                process.stdout.write(`ok ${id} - ${name}\n`);
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

const show = (v) => inspect(v, { depth: 6, breakLength: 120 });

export function assert(cond, msg = 'assertion failed') {
    if (!cond)
        throw new Error(msg);
}

export function equal(actual, expected, what = 'value') {
    if (!Object.is(actual, expected))
        throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function deepEqual(actual, expected, what = 'value') {
    if (!isDeepStrictEqual(actual, expected))
        throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function near(actual, expected, eps, what = 'value') {
    if (typeof actual !== 'number' || Math.abs(actual - expected) > eps)
        throw new Error(`${what}: expected ${expected} ± ${eps}, got ${show(actual)}`);
}

// Awaits a promise that must reject; returns the error. `check(err)` may assert more.
export async function rejects(promise, what = 'promise') {
    try {
        const v = await promise;
        throw Object.assign(new Error(`${what}: expected a rejection, it resolved with ${show(v)}`), { notRejected: true });
    } catch (e) {
        if (e && e.notRejected)
            throw e;
        return e;
    }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn() until truthy (or throws after timeout ms).
export async function waitFor(fn, { timeout = 2000, interval = 5, what = 'condition' } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
        const v = await fn();
        if (v)
            return v;
        if (Date.now() > end)
            throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
        await sleep(interval);
    }
}
