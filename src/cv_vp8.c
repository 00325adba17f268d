/*
 * cv_vp8.c - VP8 payload descriptor continuity (see cv_vp8.h).
 *
 * Descriptor layout (RFC 7741 section 4.2):
 *   X R N S R PID | [I L T K RSV] | [M PictureID(7 or 15)] | [TL0PICIDX] | [TID Y KEYIDX]
 */
#include <string.h>

#include "cv_vp8.h"

bool cv_vp8_descriptor_parse(const uint8_t *payload, size_t len, cv_vp8_descriptor *d) {
	memset(d, 0, sizeof(*d));
	if(payload == NULL || len < 1)
		return false;
	size_t off = 1;
	if(!(payload[0] & 0x80))
		return true;
	if(len < 2)
		return false;
	uint8_t x = payload[1];
	off = 2;
	if(x & 0x80) {
		if(len < off + 1)
			return false;
		d->has_picture_id = true;
		d->picture_id_offset = off;
		if(payload[off] & 0x80) {
			if(len < off + 2)
				return false;
			d->long_picture_id = true;
			d->picture_id = (uint16_t)(((payload[off] & 0x7F) << 8) | payload[off + 1]);
			off += 2;
		} else {
			d->picture_id = payload[off] & 0x7F;
			off += 1;
		}
	}
	if(x & 0x40) {
		if(len < off + 1)
			return false;
		d->has_tl0picidx = true;
		d->tl0picidx_offset = off;
		d->tl0picidx = payload[off];
		off += 1;
	}
	if(x & 0x30)
		off += 1;
	/* the VP8 payload header follows: at least one byte */
	return len >= off + 1;
}

void cv_vp8_descriptor_write(uint8_t *payload, const cv_vp8_descriptor *d) {
	if(d->has_picture_id) {
		if(d->long_picture_id) {
			payload[d->picture_id_offset] = (uint8_t)(0x80 | ((d->picture_id >> 8) & 0x7F));
			payload[d->picture_id_offset + 1] = (uint8_t)(d->picture_id & 0xFF);
		} else {
			payload[d->picture_id_offset] = (uint8_t)(d->picture_id & 0x7F);
		}
	}
	if(d->has_tl0picidx)
		payload[d->tl0picidx_offset] = d->tl0picidx;
}

void cv_vp8_rewriter_init(cv_vp8_rewriter *rw) {
	memset(rw, 0, sizeof(*rw));
}

void cv_vp8_rewriter_resync(cv_vp8_rewriter *rw) {
	rw->resync_picture_id = true;
	rw->resync_tl0picidx = true;
}

/* True when a is newer than b in a sequence space of mask + 1 values. */
static bool cv_vp8_newer(uint16_t a, uint16_t b, uint16_t mask) {
	uint16_t diff = (uint16_t)((a - b) & mask);
	return diff != 0 && diff <= mask / 2;
}

bool cv_vp8_rewrite(cv_vp8_rewriter *rw, uint8_t *payload, size_t len, cv_vp8_descriptor *original) {
	cv_vp8_descriptor d;
	if(!cv_vp8_descriptor_parse(payload, len, &d))
		return false;
	*original = d;
	/* A new source: its first value of each field follows the last one sent */
	if(rw->resync_picture_id && d.has_picture_id) {
		rw->resync_picture_id = false;
		rw->picture_offset = rw->have_picture_id ? (uint16_t)((rw->last_picture_id + 1 - d.picture_id) & 0x7FFF) : 0;
	}
	if(rw->resync_tl0picidx && d.has_tl0picidx) {
		rw->resync_tl0picidx = false;
		rw->tl0_offset = rw->have_tl0picidx ? (uint8_t)(rw->last_tl0picidx + 1 - d.tl0picidx) : 0;
	}
	if(d.has_picture_id) {
		uint16_t mask = d.long_picture_id ? 0x7FFF : 0x7F;
		uint16_t out = (uint16_t)((d.picture_id + rw->picture_offset) & mask);
		if(!rw->have_picture_id || cv_vp8_newer(out, (uint16_t)(rw->last_picture_id & mask), mask)) {
			rw->last_picture_id = out;
			rw->have_picture_id = true;
		}
		d.picture_id = out;
	}
	if(d.has_tl0picidx) {
		uint8_t out = (uint8_t)(d.tl0picidx + rw->tl0_offset);
		if(!rw->have_tl0picidx || cv_vp8_newer(out, rw->last_tl0picidx, 0xFF)) {
			rw->last_tl0picidx = out;
			rw->have_tl0picidx = true;
		}
		d.tl0picidx = out;
	}
	cv_vp8_descriptor_write(payload, &d);
	return true;
}
