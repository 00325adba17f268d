// test_types.mjs — the type check of the client library, as a test:
// `tsc -p html/js/tsconfig.json` checks html/js/convene.js (checkJs, strict)
// and, through tests/unit-js/contract-check.ts, that its exports match the
// contract html/js/convene.d.ts. Then the check itself is checked: copies of
// the library with a contract break planted in them must fail it.
//
// Needs the devDependency typescript (`npm install` in the repository).
// Run: node tests/unit-js/test_types.mjs (tests/run runs it too).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tap, assert } from './lib/tap.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..', '..');
const tsc = path.join(top, 'node_modules', '.bin', 'tsc');
const t = tap();

function runTsc(project) {
    const r = spawnSync(tsc, ['-p', project], { cwd: top, encoding: 'utf8', timeout: 120000 });
    return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}`.trim(), error: r.error };
}

// A copy of html/js/convene.{js,d.ts}, the tsconfig and the check file in a
// temporary tree of the same shape, with `edit` applied to convene.js.
function plantedTree(edit) {
    const dir = mkdtempSync(path.join(tmpdir(), 'convene-types-'));
    mkdirSync(path.join(dir, 'html', 'js'), { recursive: true });
    mkdirSync(path.join(dir, 'tests', 'unit-js'), { recursive: true });
    for (const f of ['convene.d.ts', 'tsconfig.json'])
        copyFileSync(path.join(top, 'html', 'js', f), path.join(dir, 'html', 'js', f));
    copyFileSync(path.join(here, 'contract-check.ts'), path.join(dir, 'tests', 'unit-js', 'contract-check.ts'));
    const src = readFileSync(path.join(top, 'html', 'js', 'convene.js'), 'utf8');
    const edited = edit(src);
    assert(edited !== src, 'the planted change did not apply (the source changed?)');
    writeFileSync(path.join(dir, 'html', 'js', 'convene.js'), edited);
    return dir;
}

const haveTsc = existsSync(tsc);
const skip = haveTsc ? undefined : 'typescript is not installed (run npm install)';

await t.case('tsc -p html/js/tsconfig.json: convene.js type-checks and matches convene.d.ts', () => {
    if (skip)
        throw new Error(skip);
    const r = runTsc(path.join(top, 'html', 'js', 'tsconfig.json'));
    if (r.error)
        throw r.error;
    if (r.status !== 0)
        throw new Error(`tsc exited ${r.status}:\n${r.out}`);
}, { timeout: 130000 });

const plants = [
    ['an export missing (classifyQuality)', (s) => s.replace('export function classifyQuality', 'function classifyQuality')],
    ['a getter of the wrong type (PeerEngine.polite returns a string)', (s) => s.replace(
        '    /** @returns {boolean} */\n    get polite() { return this._polite; }',
        "    /** @returns {string} */\n    get polite() { return 'yes'; }")],
    ['a method missing (RoomEngine.subscribe)', (s) => s.replace('    async subscribe(userId, layer) {', '    async subscribeTo(userId, layer) {')],
    ['a wrong return type (backoffDelay returns a string)', (s) => s.replace(
        ' * @returns {number} milliseconds\n */\nexport function backoffDelay(attempt, options = {}, random = Math.random) {',
        ' * @returns {string} milliseconds\n */\nexport function backoffDelay(attempt, options = {}, random = Math.random) {\n    return String(attempt);')],
];
for (const [what, edit] of plants) {
    await t.case(`the check catches ${what}`, () => {
        if (skip)
            throw new Error(skip);
        const dir = plantedTree(edit);
        try {
            const r = runTsc(path.join(dir, 'html', 'js', 'tsconfig.json'));
            if (r.error)
                throw r.error;
            assert(r.status !== 0, `tsc accepted it:\n${r.out}`);
            assert(/error TS\d+/.test(r.out), `no TS error in the output:\n${r.out}`);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }, { timeout: 130000 });
}

t.done();
