// tests/e2e/lib/screenshot.mjs — is a screenshot a picture of something?
//
//   analyzeScreenshot(page, png, regions)
//     decodes the PNG inside a browser page (an <img> from a data: URL drawn
//     on a <canvas>: no image library needed) and measures the whole image
//     and each region ({name, x, y, width, height} in image pixels):
//       lumaStd      standard deviation of the luminance (0 for a flat page)
//       colors       distinct colours, quantised to 4 bits per channel
//       busy         fraction of pixels that differ (sum of |ΔRGB| > 48)
//                    from the region's most common colour, and from black
//       dominant     that most common colour, "#rrggbb"
//   assertNotBlank(stats, rules)
//     throws when the image or a region looks blank: a white, black or
//     single-colour page fails lumaStd/colors; a video tile that shows only
//     its background fails busy/lumaStd.
//
// The page used for decoding can be any page (about:blank is fine); it is
// not modified beyond a detached canvas.

/**
 * @param {import('playwright-core').Page} page
 * @param {Buffer} png
 * @param {{name: string, x: number, y: number, width: number, height: number}[]} regions
 */
export async function analyzeScreenshot(page, png, regions = []) {
    return page.evaluate(async ({ b64, regions }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(img, 0, 0);
        const measure = (x, y, w, h) => {
            x = Math.max(0, Math.floor(x));
            y = Math.max(0, Math.floor(y));
            w = Math.max(1, Math.min(canvas.width - x, Math.floor(w)));
            h = Math.max(1, Math.min(canvas.height - y, Math.floor(h)));
            const d = ctx.getImageData(x, y, w, h).data;
            const n = w * h;
            let sum = 0, sum2 = 0;
            const counts = new Map();
            for (let i = 0; i < d.length; i += 4) {
                const l = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
                sum += l;
                sum2 += l * l;
                const q = ((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4);
                counts.set(q, (counts.get(q) || 0) + 1);
            }
            let top = 0, topN = -1;
            for (const [q, c] of counts)
                if (c > topN) { top = q; topN = c; }
            // the dominant colour: average of its quantisation bucket
            let r = 0, g = 0, b = 0, k = 0;
            for (let i = 0; i < d.length; i += 4) {
                const q = ((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4);
                if (q === top) { r += d[i]; g += d[i + 1]; b += d[i + 2]; k++; }
            }
            r /= k; g /= k; b /= k;
            let busy = 0;
            for (let i = 0; i < d.length; i += 4) {
                const fromTop = Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b);
                const fromBlack = d[i] + d[i + 1] + d[i + 2];
                if (fromTop > 48 && fromBlack > 48)
                    busy++;
            }
            const mean = sum / n;
            const hex = (v) => Math.round(v).toString(16).padStart(2, '0');
            return {
                width: w, height: h,
                lumaStd: Math.round(Math.sqrt(Math.max(0, sum2 / n - mean * mean)) * 10) / 10,
                colors: counts.size,
                busy: Math.round((busy / n) * 1000) / 1000,
                dominant: `#${hex(r)}${hex(g)}${hex(b)}`,
            };
        };
        return {
            image: measure(0, 0, canvas.width, canvas.height),
            regions: regions.map((r) => ({ name: r.name, ...measure(r.x, r.y, r.width, r.height) })),
        };
    }, { b64: png.toString('base64'), regions });
}

/**
 * @param {{image: any, regions: any[]}} stats from analyzeScreenshot
 * @param {{minLumaStd?: number, minColors?: number, region?: (r: any) => string | null}} [rules]
 *   region: a check per region returning a complaint or null
 */
export function assertNotBlank(stats, rules = {}) {
    const problems = [];
    const img = stats.image;
    if (img.lumaStd < (rules.minLumaStd ?? 8))
        problems.push(`the image is nearly flat (luminance σ ${img.lumaStd})`);
    if (img.colors < (rules.minColors ?? 24))
        problems.push(`the image has only ${img.colors} colours`);
    for (const r of stats.regions) {
        const complaint = rules.region ? rules.region(r) : null;
        if (complaint)
            problems.push(`${r.name}: ${complaint}`);
    }
    if (problems.length > 0)
        throw new Error(`screenshot looks blank: ${problems.join('; ')} (${JSON.stringify(stats)})`);
}
