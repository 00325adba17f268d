/*
 * cv_vp8.h - the VP8 payload descriptor (RFC 7741) kept continuous for a
 * receiver across source switches.
 *
 * A VP8 receiver (libwebrtc's frame reference finder) tracks frames by the
 * descriptor's PictureID and, with temporal layers, by TL0PICIDX. Each
 * simulcast layer, and each publisher, numbers its own pictures, so a
 * receiver switched from one to another sees these numbers jump, possibly
 * backwards: it may take the new frames for old ones and stall until the
 * next keyframe. Like sequence numbers (cv_rtp_rewriter), a receiver's
 * PictureID and TL0PICIDX are therefore rewritten: a new source continues
 * right after the last values that receiver got, and keeps its spacing.
 *
 * The packet buffer is shared between receivers: a rewrite happens just
 * before one receiver's copy is sent, and the caller puts the original
 * descriptor back afterwards (cv_vp8_descriptor_write).
 *
 * Pure logic: no Janus headers. Not thread-safe: a rewriter belongs to the
 * thread that forwards the stream.
 */
#ifndef CV_VP8_H
#define CV_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cv_vp8_descriptor {
	bool has_picture_id;
	bool long_picture_id;		/* 15 bits (M set), else 7 */
	uint16_t picture_id;
	size_t picture_id_offset;	/* in the payload */
	bool has_tl0picidx;
	uint8_t tl0picidx;
	size_t tl0picidx_offset;
} cv_vp8_descriptor;

/* Reads the descriptor at the start of a VP8 RTP payload; false when the
 * payload is too short for the fields its flags announce. */
bool cv_vp8_descriptor_parse(const uint8_t *payload, size_t len, cv_vp8_descriptor *d);
/* Writes d's PictureID and TL0PICIDX (when present) back at their offsets
 * of payload, which must be the payload d was parsed from. */
void cv_vp8_descriptor_write(uint8_t *payload, const cv_vp8_descriptor *d);

typedef struct cv_vp8_rewriter {
	bool resync_picture_id;		/* the next PictureID starts a new source */
	bool resync_tl0picidx;		/* the next TL0PICIDX too */
	bool have_picture_id, have_tl0picidx;
	uint16_t picture_offset;	/* out = in + offset, in the field's width */
	uint8_t tl0_offset;
	uint16_t last_picture_id;	/* the newest value sent (15-bit space) */
	uint8_t last_tl0picidx;
} cv_vp8_rewriter;

void cv_vp8_rewriter_init(cv_vp8_rewriter *rw);
/* The next packet comes from a new source: continue the numbering. */
void cv_vp8_rewriter_resync(cv_vp8_rewriter *rw);
/* Rewrites the descriptor of payload (in place) for this receiver; on
 * true, *original holds what to put back with cv_vp8_descriptor_write.
 * False (payload untouched) when it is not a valid VP8 payload. */
bool cv_vp8_rewrite(cv_vp8_rewriter *rw, uint8_t *payload, size_t len, cv_vp8_descriptor *original);

#endif
