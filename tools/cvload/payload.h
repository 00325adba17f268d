/*
 * payload.h - synthetic media payloads and the send stamp they carry.
 *
 * Every RTP payload cvload sends carries a 24-byte *stamp* at a fixed place:
 *
 *   magic "cvL1" | source peer u32 | kind u8 | layer u8 | flags u16 |
 *   counter u32 | send time u64 (CLOCK_MONOTONIC, ns)      (big-endian)
 *
 * SFUs rewrite SSRC, sequence number, timestamp and payload type, and may
 * rewrite the VP8 payload descriptor in place (picture id, TL0PICIDX), but
 * they never move or change payload bytes after it. So a receiver in the
 * same process finds the stamp again and knows who sent the packet, on
 * which stream and layer, and when: latency = receive time - send time on
 * one clock.
 *
 * Audio: an Opus packet whose TOC byte says CELT-only fullband 20 ms mono,
 * code 0 (one frame), then the stamp, then filler. Nobody decodes it.
 *
 * Video: VP8 (RFC 7741). Each packet starts with a 4-byte payload
 * descriptor (X=1, S on the first packet of a frame, PID 0, I=1 with a
 * 15-bit picture id). The first packet of a frame then has the VP8 frame
 * tag (3 bytes: P bit = 0 on keyframes, version 0, show_frame 1, first
 * partition size) and, on keyframes, the start code 9d 01 2a and the
 * 14-bit width and height (7 bytes): what SFUs read to see a keyframe and
 * its resolution. The stamp follows, then filler up to the frame's size.
 *
 * Pure logic, no state.
 */
#ifndef CVL_PAYLOAD_H
#define CVL_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CVL_STAMP_LEN 24
#define CVL_STAMP_MAGIC 0x63764c31u	/* "cvL1" */
#define CVL_OPUS_TOC 0xf8		/* config 31 (CELT FB 20 ms), mono, code 0 */
#define CVL_VP8_DESC_LEN 4

typedef struct cvl_stamp {
	uint32_t src;		/* the sending peer's index */
	uint8_t kind;		/* cvl_kind: 0 audio, 1 video */
	uint8_t layer;		/* simulcast layer: 0 = h (or single), 1 = m, 2 = l */
	uint16_t flags;		/* CVL_STAMP_KEY: packet of a keyframe */
	uint32_t counter;	/* per-stream packet counter of the sender */
	uint64_t send_ns;
} cvl_stamp;

#define CVL_STAMP_KEY 0x0001

void cvl_stamp_write(uint8_t *buf, const cvl_stamp *st);
/* False when buf[0..len) does not start with a stamp. */
bool cvl_stamp_read(const uint8_t *buf, size_t len, cvl_stamp *out);

/* Writes an Opus payload of `size` bytes (at least 1 + CVL_STAMP_LEN) into
 * buf (cap bytes). Returns its length, 0 when it does not fit. */
size_t cvl_opus_payload(uint8_t *buf, size_t cap, size_t size, const cvl_stamp *st);

/* One VP8 frame being cut into RTP payloads. */
typedef struct cvl_vp8_frame {
	bool keyframe;
	uint16_t picture_id;	/* 15 bits */
	uint16_t width, height;
	size_t size;		/* bytes of VP8 data (frame tag + the rest) */
	size_t done;		/* bytes of it already packetised */
	unsigned packets;	/* payloads produced so far */
} cvl_vp8_frame;

/* Starts a frame of `size` bytes of VP8 data (raised to the minimum that
 * holds the frame header and one stamp). */
void cvl_vp8_frame_init(cvl_vp8_frame *f, bool keyframe, uint16_t picture_id,
	uint16_t width, uint16_t height, size_t size);
/* Writes the next payload (at most max_payload bytes, which must be at
 * least 4 + 10 + CVL_STAMP_LEN) into buf with the stamp st (flags get
 * CVL_STAMP_KEY on keyframes). Returns its length, 0 when the frame is
 * complete; *last is set on the frame's final payload (the RTP marker). */
size_t cvl_vp8_next(cvl_vp8_frame *f, uint8_t *buf, size_t max_payload, const cvl_stamp *st, bool *last);

/* Where the stamp of a VP8 payload starts (after the descriptor, and after
 * the frame header on a frame's first packet), or -1. */
long cvl_vp8_stamp_offset(const uint8_t *payload, size_t len);
/* True when the payload starts a VP8 keyframe (S=1, PID 0, P=0). */
bool cvl_vp8_is_keyframe(const uint8_t *payload, size_t len);

/* Finds the stamp in an RTP payload: at its place for the kind (0 audio:
 * after the TOC byte; 1 video: cvl_vp8_stamp_offset), else by looking for
 * the magic in the first 64 bytes. */
bool cvl_payload_stamp(int kind, const uint8_t *payload, size_t len, cvl_stamp *out);

#endif
