// stats-graph.js — a small time-series chart drawn on a <canvas>, for the
// demo pages' stats panel. No library: a few 2D-context calls per redraw.
//
// Design: a StatsGraph owns one canvas and knows its metric's label, unit,
// scale and warning thresholds; draw(points, now) redraws everything (the
// panel redraws once a second, only while it is open): background, grid,
// the threshold lines that classifyQuality uses, the series as a line over
// a translucent fill, and the latest value. The vertical scale is a "nice"
// number (1, 2, 5 × 10^n) above the largest value, never below the
// metric's floor, so a quiet link does not look dramatic. The canvas
// backing store follows its CSS size and devicePixelRatio. The x axis spans
// the data it has (at least 30 s) up to the window, so a new call does not
// start as a sliver at the right edge. After each
// draw the canvas carries data-points (how many points were drawn) and an
// aria-label with the latest value, for tests and screen readers.

/**
 * @typedef {object} GraphOptions
 * @property {string} label       "Bitrate"
 * @property {(v: number) => string} format   value -> "512 kbps"
 * @property {number} floor       smallest top of the scale, in the metric's unit
 * @property {number[]} [warn]    threshold values drawn as dashed lines
 * @property {string} [color]     CSS color of the series
 * @property {number} [windowMs]  time span of the x axis (default 180000)
 */

/**
 * The smallest 1/2/5 × 10^n at or above x.
 * @param {number} x
 * @returns {number}
 */
export function niceCeil(x) {
    if (!(x > 0))
        return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const m of [1, 2, 5, 10]) {
        if (m * p >= x - 1e-12)
            return m * p;
    }
    return 10 * p;
}

export class StatsGraph {
    /**
     * @param {HTMLCanvasElement} canvas
     * @param {GraphOptions} options
     */
    constructor(canvas, options) {
        this.canvas = canvas;
        this.options = options;
        canvas.setAttribute('role', 'img');
        canvas.dataset.points = '0';
    }

    /** Matches the backing store to the CSS size. @returns {CanvasRenderingContext2D | null} */
    _context() {
        const c = this.canvas;
        const dpr = window.devicePixelRatio || 1;
        const w = Math.max(1, Math.round(c.clientWidth * dpr));
        const h = Math.max(1, Math.round(c.clientHeight * dpr));
        if (c.width !== w || c.height !== h) {
            c.width = w;
            c.height = h;
        }
        const ctx = c.getContext('2d');
        if (ctx)
            ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        return ctx;
    }

    /**
     * Redraws the chart.
     * @param {{t: number, v: number}[]} points oldest first
     * @param {number} now the right edge (ms, same clock as the points)
     */
    draw(points, now) {
        const o = this.options;
        // The x axis spans the data (at least 30 s), up to the window.
        const maxMs = o.windowMs ?? 180000;
        const windowMs = points.length > 0 ? Math.min(maxMs, Math.max(30000, now - points[0].t)) : maxMs;
        const ctx = this._context();
        const latest = points.length > 0 ? points[points.length - 1].v : null;
        this.canvas.dataset.points = String(points.length);
        this.canvas.setAttribute('aria-label', `${o.label}: ${latest === null ? 'no data yet' : o.format(latest)}`);
        if (!ctx)
            return;
        const W = this.canvas.clientWidth, H = this.canvas.clientHeight;
        const style = getComputedStyle(this.canvas);
        const ink = style.color || '#cfd6e4';
        const color = o.color || style.getPropertyValue('--series').trim() || '#5b9dff';
        const pad = { l: 6, r: 6, t: 18, b: 4 };
        const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;

        ctx.clearRect(0, 0, W, H);
        let top = o.floor;
        for (const p of points)
            top = Math.max(top, p.v);
        top = niceCeil(top);
        const x = (/** @type {number} */ t) => pad.l + pw * (1 - (now - t) / windowMs);
        const y = (/** @type {number} */ v) => pad.t + ph * (1 - Math.min(v, top) / top);

        // grid: quarters of the scale
        ctx.lineWidth = 1;
        ctx.strokeStyle = 'rgba(140, 150, 170, 0.18)';
        ctx.beginPath();
        for (let i = 0; i <= 4; i++) {
            const gy = Math.round(pad.t + (ph * i) / 4) + 0.5;
            ctx.moveTo(pad.l, gy);
            ctx.lineTo(W - pad.r, gy);
        }
        ctx.stroke();

        // thresholds of classifyQuality
        ctx.setLineDash([4, 4]);
        for (const w of o.warn || []) {
            if (w > top)
                continue;
            ctx.strokeStyle = w === (o.warn || [])[0] ? 'rgba(240, 180, 60, 0.7)' : 'rgba(235, 87, 87, 0.75)';
            ctx.beginPath();
            ctx.moveTo(pad.l, Math.round(y(w)) + 0.5);
            ctx.lineTo(W - pad.r, Math.round(y(w)) + 0.5);
            ctx.stroke();
        }
        ctx.setLineDash([]);

        // the series
        const visible = points.filter((p) => now - p.t <= windowMs);
        if (visible.length > 0) {
            ctx.beginPath();
            visible.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.t), y(p.v)) : ctx.lineTo(x(p.t), y(p.v))));
            ctx.lineWidth = 1.75;
            ctx.lineJoin = 'round';
            ctx.strokeStyle = color;
            ctx.stroke();
            ctx.lineTo(x(visible[visible.length - 1].t), pad.t + ph);
            ctx.lineTo(x(visible[0].t), pad.t + ph);
            ctx.closePath();
            ctx.globalAlpha = 0.16;
            ctx.fillStyle = color;
            ctx.fill();
            ctx.globalAlpha = 1;
            const last = visible[visible.length - 1];
            ctx.beginPath();
            ctx.arc(x(last.t), y(last.v), 2.5, 0, Math.PI * 2);
            ctx.fillStyle = color;
            ctx.fill();
        }

        // labels: the metric and scale on the left, the latest value on the right
        ctx.font = '600 11px system-ui, sans-serif';
        ctx.textBaseline = 'top';
        ctx.fillStyle = ink;
        ctx.textAlign = 'left';
        ctx.fillText(o.label, pad.l, 2);
        const labelWidth = ctx.measureText(o.label).width;
        ctx.font = '10px system-ui, sans-serif';
        ctx.globalAlpha = 0.6;
        ctx.fillText(`max ${o.format(top)}`, pad.l + labelWidth + 8, 3);
        ctx.globalAlpha = 1;
        ctx.textAlign = 'right';
        ctx.font = '600 11px system-ui, sans-serif';
        ctx.fillText(latest === null ? '—' : o.format(latest), W - pad.r, 2);
    }
}
