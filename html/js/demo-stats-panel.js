// demo-stats-panel.js — the demo pages' statistics panel: one card per
// participant (ourselves first: what we send; then each remote participant:
// what we receive from them) with four graphs over the history's window —
// bitrate, packet loss, jitter, round-trip time — and a line of facts
// (resolution, frame rate, codec, quality).
//
// Design: the panel only reads a StatsHistory (demo-stats.js) and draws
// with StatsGraph (stats-graph.js); it keeps no figures of its own. Cards
// appear for participants that have samples and go when they leave.
// update() is cheap to call every tick: it draws only while the panel is
// visible. Test hooks: each card is [data-testid=stats-card][data-user-id],
// each canvas [data-metric] with data-points (stats-graph.js).

import { StatsGraph } from './stats-graph.js';
import { METRICS, qualityOf } from './demo-stats.js';

/** @typedef {import('./demo-stats.js').StatsHistory} StatsHistory */

/** @type {Record<string, import('./stats-graph.js').GraphOptions>} */
const GRAPHS = {
    bitrateBps: {
        label: 'Bitrate', floor: 100000, color: '#5b9dff',
        format: (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)} Mbps` : `${Math.round(v / 1000)} kbps`),
    },
    lossRate: {
        label: 'Packet loss', floor: 0.05, warn: [0.02, 0.10], color: '#f2994a',
        format: (v) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`,
    },
    jitterMs: {
        label: 'Jitter', floor: 40, warn: [30, 100], color: '#bb6bd9',
        format: (v) => `${v.toFixed(v < 10 ? 1 : 0)} ms`,
    },
    rttMs: {
        label: 'Round trip', floor: 50, warn: [300, 1000], color: '#27ae60',
        format: (v) => `${v.toFixed(v < 10 ? 1 : 0)} ms`,
    },
};

/**
 * @typedef {object} Card
 * @property {HTMLElement} el
 * @property {HTMLElement} title
 * @property {HTMLElement} facts
 * @property {Map<string, StatsGraph>} graphs
 */

export class StatsPanel {
    /**
     * @param {HTMLElement} panel the section shown or hidden
     * @param {HTMLElement} cards where the cards go
     * @param {StatsHistory} history
     */
    constructor(panel, cards, history) {
        this.panel = panel;
        this.cardsEl = cards;
        this.history = history;
        /** @type {Map<string, Card>} */
        this.cards = new Map();
    }

    get visible() {
        return !this.panel.hidden && this.panel.offsetParent !== null;
    }

    /**
     * @param {string} userId
     * @returns {Card}
     */
    _card(userId) {
        let card = this.cards.get(userId);
        if (card)
            return card;
        const el = document.createElement('article');
        el.className = 'stats-card';
        el.dataset.testid = 'stats-card';
        el.dataset.userId = userId;
        const head = document.createElement('header');
        const title = document.createElement('h3');
        const facts = document.createElement('p');
        facts.className = 'facts';
        head.append(title, facts);
        el.append(head);
        /** @type {Map<string, StatsGraph>} */
        const graphs = new Map();
        const grid = document.createElement('div');
        grid.className = 'graphs';
        for (const metric of METRICS) {
            const canvas = document.createElement('canvas');
            canvas.dataset.metric = metric;
            canvas.className = 'graph';
            grid.append(canvas);
            graphs.set(metric, new StatsGraph(canvas, { ...GRAPHS[metric], windowMs: this.history.windowMs }));
        }
        el.append(grid);
        card = { el, title, facts, graphs };
        this.cards.set(userId, card);
        return card;
    }

    /**
     * Redraws (when visible): cards in the order of `order` (ourselves first).
     * @param {{id: string, name: string}[]} order the participants to show
     * @param {number} now
     */
    update(order, now) {
        const wanted = order.filter((p) => this.history.latest(p.id) !== null);
        const ids = new Set(wanted.map((p) => p.id));
        for (const [id, card] of this.cards) {
            if (!ids.has(id)) {
                card.el.remove();
                this.cards.delete(id);
            }
        }
        if (!this.visible)
            return;
        if (wanted.length === 0 && !this.cardsEl.querySelector('.empty')) {
            const p = document.createElement('p');
            p.className = 'empty hint';
            p.textContent = 'Collecting statistics…';
            this.cardsEl.append(p);
        } else if (wanted.length > 0) {
            this.cardsEl.querySelector('.empty')?.remove();
        }
        /** @type {Element | null} */
        let prev = null;
        for (const p of wanted) {
            const card = this._card(p.id);
            // keep the DOM order = the wanted order
            /** @type {Element | null} */
            const expected = prev ? prev.nextElementSibling : this.cardsEl.firstElementChild;
            if (expected !== card.el) {
                if (prev)
                    prev.after(card.el);
                else
                    this.cardsEl.prepend(card.el);
            }
            prev = card.el;
            const s = this.history.latest(p.id);
            card.title.textContent = p.name;
            if (s) {
                const q = qualityOf(s);
                card.el.dataset.quality = q.quality;
                const parts = [s.resolution, s.framesPerSecond !== null ? `${Math.round(s.framesPerSecond)} fps` : null,
                    s.codec, q.quality];
                card.facts.textContent = parts.filter(Boolean).join(' · ');
            }
            for (const [metric, graph] of card.graphs)
                graph.draw(this.history.series(p.id, /** @type {any} */ (metric)), now);
        }
    }
}
