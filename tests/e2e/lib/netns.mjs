// tests/e2e/lib/netns.mjs — link failures for browser tests, with nftables,
// only ever inside the private network namespace of tests/e2e/with-server.
//
//   namespaceProblem()   null when this process runs in the harness's
//                        namespace (CONVENE_IN_NETNS=1; not PID 1's network
//                        namespace, where that can be read; exactly the
//                        interfaces lo, v0 = 10.77.0.1, v1 = 10.77.0.2; nft
//                        usable); else the reason, and the test must refuse
//                        to touch any firewall.
//   new NftTable()       one table of our own (inet convene_test_PID) with an
//                        input chain; rule(...) adds a rule; flush() empties
//                        the chain; destroy() removes the table (also on
//                        process exit). Nothing else of nftables is touched.
//   tcpPorts(port)       local ports of the established TCP connections to
//                        127.0.0.1:port (`ss`), to find one page's sockets
//                        by comparing before and after it connects.
//
// Rules go on the input hook: a dropped packet was sent (no error for the
// sender, as on a real network) and never arrives.

import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** @returns {string | null} why nftables must not be used here, or null */
export function namespaceProblem() {
    if (process.env.CONVENE_IN_NETNS !== '1')
        return 'not run through tests/e2e/with-server (CONVENE_IN_NETNS is not 1)';
    // Where PID 1's namespace is readable, ours must differ from it.
    try {
        if (readlinkSync('/proc/self/ns/net') === readlinkSync('/proc/1/ns/net'))
            return 'this process is in the network namespace of PID 1';
    } catch { /* not readable here (no ptrace access to PID 1): the checks below decide */ }
    // The harness's namespace has exactly lo, v0 and v1, with its addresses.
    let links;
    try {
        links = sh('ip', ['-o', 'link', 'show']).split('\n').filter(Boolean)
            .map((l) => l.split(':')[1].trim().replace(/@.*$/, '')).sort();
    } catch (e) {
        return `cannot list the network interfaces (${e.message})`;
    }
    if (links.join(',') !== 'lo,v0,v1')
        return `the interfaces are ${links.join(', ')}, not the harness's lo, v0, v1`;
    try {
        const v0 = sh('ip', ['-o', '-4', 'addr', 'show', 'dev', 'v0']);
        const v1 = sh('ip', ['-o', '-4', 'addr', 'show', 'dev', 'v1']);
        if (!v0.includes('10.77.0.1/') || !v1.includes('10.77.0.2/'))
            return 'v0/v1 do not carry the harness addresses 10.77.0.1/10.77.0.2';
    } catch {
        return 'no v0/v1 veth pair: not the harness namespace';
    }
    try {
        sh('nft', ['list', 'tables']);
    } catch (e) {
        return `nft is not usable here (${String(e.stderr || e.message).trim().split('\n')[0]})`;
    }
    return null;
}

export class NftTable {
    constructor(name = `convene_test_${process.pid}`) {
        const problem = namespaceProblem();
        if (problem)
            throw new Error(`refusing to touch nftables: ${problem}`);
        this.name = name;
        sh('nft', ['add', 'table', 'inet', name]);
        sh('nft', ['add', 'chain', 'inet', name, 'input', '{ type filter hook input priority -10 ; policy accept ; }']);
        this._onExit = () => this.destroy();
        process.on('exit', this._onExit);
    }

    /** Adds a rule to the input chain, e.g. rule('udp', 'dport', '4000', 'drop'). */
    rule(...tokens) {
        sh('nft', ['add', 'rule', 'inet', this.name, 'input', ...tokens.map(String)]);
    }

    /** Removes every rule. */
    flush() {
        sh('nft', ['flush', 'chain', 'inet', this.name, 'input']);
    }

    /** @returns {string} the table as nft lists it */
    list() {
        return sh('nft', ['list', 'table', 'inet', this.name]);
    }

    destroy() {
        if (!this.name)
            return;
        try { sh('nft', ['delete', 'table', 'inet', this.name]); } catch { /* gone already */ }
        process.off('exit', this._onExit);
        this.name = null;
    }
}

/**
 * Local ports of the established TCP connections to 127.0.0.1:port.
 * @param {number} port
 * @returns {Set<number>}
 */
export function tcpPorts(port) {
    const out = sh('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`]);
    const ports = new Set();
    for (const line of out.split('\n')) {
        const cols = line.trim().split(/\s+/);
        // Recv-Q Send-Q Local:Port Peer:Port (state omitted when filtered by state)
        const local = cols.find((c, i) => i >= 2 && /:\d+$/.test(c));
        if (local)
            ports.add(Number(local.slice(local.lastIndexOf(':') + 1)));
    }
    return ports;
}
