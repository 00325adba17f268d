// demo.mjs — reading the demo pages (html/index.html, html/mesh.html) from
// a test: which tile is whose, and how many video frames a tile's own track
// has decoded over the call's PeerConnections (window.demo.room).

/** The CSS selector of user `id`'s tile. */
export const tileSel = (id) => `[data-testid=tile][data-user-id="${id}"]`;

/** Video frames decoded from the track that user `id`'s tile shows (0 when none yet). */
export const framesOnTile = (page, id) => page.evaluate(async (sel) => {
    const video = document.querySelector(`${sel} video`);
    const room = window.demo.room;
    if (!video || !video.srcObject || !room)
        return 0;
    const ids = new Set(video.srcObject.getVideoTracks().map((x) => x.id));
    let n = 0;
    for (const engine of room.peers.values()) {
        if (!engine.pc)
            continue;
        (await engine.pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video' && ids.has(s.trackIdentifier))
                n += s.framesDecoded || 0;
        });
    }
    return n;
}, tileSel(id));
