/*
 * payload.c - Opus and VP8 payloads with a send stamp (see payload.h).
 *
 * The filler is a fixed byte pattern: SRTP encrypts it anyway, and a
 * constant pattern costs nothing to write.
 */
#include <string.h>

#include "cvl.h"
#include "payload.h"

#define CVL_FILL 0x5a
/* the VP8 frame header of a frame's first packet */
#define CVL_VP8_TAG_LEN 3
#define CVL_VP8_KEYHDR_LEN 10

void cvl_stamp_write(uint8_t *buf, const cvl_stamp *st) {
	cvl_wr32(buf, CVL_STAMP_MAGIC);
	cvl_wr32(buf + 4, st->src);
	buf[8] = st->kind;
	buf[9] = st->layer;
	cvl_wr16(buf + 10, st->flags);
	cvl_wr32(buf + 12, st->counter);
	cvl_wr64(buf + 16, st->send_ns);
}

bool cvl_stamp_read(const uint8_t *buf, size_t len, cvl_stamp *out) {
	if(len < CVL_STAMP_LEN || cvl_rd32(buf) != CVL_STAMP_MAGIC)
		return false;
	out->src = cvl_rd32(buf + 4);
	out->kind = buf[8];
	out->layer = buf[9];
	out->flags = cvl_rd16(buf + 10);
	out->counter = cvl_rd32(buf + 12);
	out->send_ns = cvl_rd64(buf + 16);
	return true;
}

size_t cvl_opus_payload(uint8_t *buf, size_t cap, size_t size, const cvl_stamp *st) {
	if(size < 1 + CVL_STAMP_LEN)
		size = 1 + CVL_STAMP_LEN;
	if(size > cap)
		return 0;
	buf[0] = CVL_OPUS_TOC;
	cvl_stamp_write(buf + 1, st);
	memset(buf + 1 + CVL_STAMP_LEN, CVL_FILL, size - 1 - CVL_STAMP_LEN);
	return size;
}

static size_t cvl_vp8_header_len(bool keyframe) {
	return keyframe ? CVL_VP8_KEYHDR_LEN : CVL_VP8_TAG_LEN;
}

void cvl_vp8_frame_init(cvl_vp8_frame *f, bool keyframe, uint16_t picture_id,
		uint16_t width, uint16_t height, size_t size) {
	memset(f, 0, sizeof(*f));
	f->keyframe = keyframe;
	f->picture_id = picture_id & 0x7fff;
	f->width = width & 0x3fff;
	f->height = height & 0x3fff;
	size_t min = cvl_vp8_header_len(keyframe) + CVL_STAMP_LEN;
	f->size = size < min ? min : size;
}

/* The frame tag (RFC 6386 9.1), little-endian: P (0 = key), version 0,
 * show_frame 1, first_part_size; then on keyframes the start code and the
 * dimensions (scale 0). */
static size_t cvl_vp8_write_header(const cvl_vp8_frame *f, uint8_t *p) {
	uint32_t first_part = (uint32_t)(f->size > 0x7ffff ? 0x7ffff : f->size) - (uint32_t)cvl_vp8_header_len(f->keyframe);
	uint32_t tag = (first_part << 5) | (1u << 4) | (f->keyframe ? 0u : 1u);
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)(tag >> 8);
	p[2] = (uint8_t)(tag >> 16);
	if(!f->keyframe)
		return CVL_VP8_TAG_LEN;
	p[3] = 0x9d;
	p[4] = 0x01;
	p[5] = 0x2a;
	p[6] = (uint8_t)f->width;
	p[7] = (uint8_t)(f->width >> 8);
	p[8] = (uint8_t)f->height;
	p[9] = (uint8_t)(f->height >> 8);
	return CVL_VP8_KEYHDR_LEN;
}

size_t cvl_vp8_next(cvl_vp8_frame *f, uint8_t *buf, size_t max_payload, const cvl_stamp *st, bool *last) {
	*last = false;
	if(f->done >= f->size || max_payload < CVL_VP8_DESC_LEN + CVL_VP8_KEYHDR_LEN + CVL_STAMP_LEN)
		return 0;
	bool first = f->done == 0;
	/* descriptor: X=1, S on the first packet, PID 0; I=1; M=1 + 15-bit picture id */
	buf[0] = 0x80 | (first ? 0x10 : 0x00);
	buf[1] = 0x80;
	buf[2] = 0x80 | (uint8_t)(f->picture_id >> 8);
	buf[3] = (uint8_t)f->picture_id;
	size_t off = CVL_VP8_DESC_LEN;
	size_t data = 0;
	if(first) {
		data = cvl_vp8_write_header(f, buf + off);
		off += data;
	}
	cvl_stamp s = *st;
	if(f->keyframe)
		s.flags |= CVL_STAMP_KEY;
	cvl_stamp_write(buf + off, &s);
	off += CVL_STAMP_LEN;
	data += CVL_STAMP_LEN;
	/* filler: the rest of the frame, up to the payload limit; the last
	 * packet may carry a few bytes more than the frame size (its stamp) */
	size_t remaining = f->size - f->done;
	size_t room = max_payload - off;
	size_t fill = remaining > data ? remaining - data : 0;
	if(fill > room)
		fill = room;
	memset(buf + off, CVL_FILL, fill);
	off += fill;
	data += fill;
	f->done += data;
	if(f->done >= f->size) {
		f->done = f->size;
		*last = true;
	}
	f->packets++;
	return off;
}

/* Length of a VP8 payload descriptor, 0 when malformed. */
static size_t cvl_vp8_desc_len(const uint8_t *p, size_t len) {
	if(len < 1)
		return 0;
	size_t off = 1;
	if(p[0] & 0x80) {
		if(len < 2)
			return 0;
		uint8_t x = p[1];
		off = 2;
		if(x & 0x80) {
			if(len < off + 1)
				return 0;
			off += (p[off] & 0x80) ? 2 : 1;
		}
		if(x & 0x40)
			off++;
		if(x & 0x30)
			off++;
	}
	return off <= len ? off : 0;
}

long cvl_vp8_stamp_offset(const uint8_t *payload, size_t len) {
	size_t off = cvl_vp8_desc_len(payload, len);
	if(off == 0 || off >= len)
		return -1;
	bool start = (payload[0] & 0x10) && (payload[0] & 0x07) == 0;
	if(start)
		off += (payload[off] & 0x01) ? CVL_VP8_TAG_LEN : CVL_VP8_KEYHDR_LEN;
	if(off + CVL_STAMP_LEN > len)
		return -1;
	return (long)off;
}

bool cvl_vp8_is_keyframe(const uint8_t *payload, size_t len) {
	size_t off = cvl_vp8_desc_len(payload, len);
	if(off == 0 || off >= len)
		return false;
	if(!(payload[0] & 0x10) || (payload[0] & 0x07) != 0)
		return false;
	return (payload[off] & 0x01) == 0;
}

bool cvl_payload_stamp(int kind, const uint8_t *payload, size_t len, cvl_stamp *out) {
	long off = kind == 0 ? 1 : cvl_vp8_stamp_offset(payload, len);
	if(off >= 0 && (size_t)off < len && cvl_stamp_read(payload + off, len - (size_t)off, out))
		return true;
	size_t scan = len < 64 ? len : 64;
	for(size_t i = 0; i + CVL_STAMP_LEN <= len && i < scan; i++) {
		if(payload[i] == 0x63 && cvl_stamp_read(payload + i, len - i, out))
			return true;
	}
	return false;
}
