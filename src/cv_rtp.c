/*
 * cv_rtp.c - RTP maths for forwarding (see cv_rtp.h).
 */
#include <string.h>
#include <strings.h>

#include "cv_rtp.h"

static uint16_t cv_be16(const uint8_t *p) {
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t cv_be32(const uint8_t *p) {
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

bool cv_rtp_parse(const uint8_t *buf, size_t len, cv_rtp_header *out) {
	if(buf == NULL || len < CV_RTP_HEADER_MIN || (buf[0] >> 6) != 2)
		return false;
	size_t header_len = CV_RTP_HEADER_MIN + 4 * (size_t)(buf[0] & 0x0f);
	if(header_len > len)
		return false;
	if(buf[0] & 0x10) {
		/* Header extension: 4 bytes of profile + length, then length words */
		if(header_len + 4 > len)
			return false;
		header_len += 4 + 4 * (size_t)cv_be16(buf + header_len + 2);
		if(header_len > len)
			return false;
	}
	size_t padding = 0;
	if(buf[0] & 0x20) {
		padding = buf[len - 1];
		if(padding == 0 || header_len + padding > len)
			return false;
	}
	out->payload_type = buf[1] & 0x7f;
	out->marker = (buf[1] & 0x80) != 0;
	out->seq = cv_be16(buf + 2);
	out->ts = cv_be32(buf + 4);
	out->ssrc = cv_be32(buf + 8);
	out->header_len = header_len;
	out->payload_len = len - header_len - padding;
	return true;
}

bool cv_rtp_extension(const uint8_t *buf, size_t len, int id, const uint8_t **value, size_t *value_len) {
	if(buf == NULL || len < CV_RTP_HEADER_MIN || (buf[0] >> 6) != 2 || !(buf[0] & 0x10) || id <= 0 || id > 255)
		return false;
	size_t off = CV_RTP_HEADER_MIN + 4 * (size_t)(buf[0] & 0x0f);
	if(off + 4 > len)
		return false;
	uint16_t profile = cv_be16(buf + off);
	size_t end = off + 4 + 4 * (size_t)cv_be16(buf + off + 2);
	if(end > len)
		return false;
	off += 4;
	if(profile == 0xBEDE) {
		/* One-byte headers: id (4 bits), length - 1 (4 bits), data */
		while(off < end) {
			uint8_t b = buf[off];
			if(b == 0) {
				off++;
				continue;
			}
			int ext_id = b >> 4;
			size_t ext_len = (size_t)(b & 0x0f) + 1;
			if(ext_id == 15 || off + 1 + ext_len > end)
				return false;
			if(ext_id == id) {
				*value = buf + off + 1;
				*value_len = ext_len;
				return true;
			}
			off += 1 + ext_len;
		}
	} else if((profile & 0xFFF0) == 0x1000) {
		/* Two-byte headers: id, length, data */
		while(off < end) {
			uint8_t ext_id = buf[off];
			if(ext_id == 0) {
				off++;
				continue;
			}
			if(off + 2 > end)
				return false;
			size_t ext_len = buf[off + 1];
			if(off + 2 + ext_len > end)
				return false;
			if(ext_id == id) {
				*value = buf + off + 2;
				*value_len = ext_len;
				return true;
			}
			off += 2 + ext_len;
		}
	}
	return false;
}

void cv_rtp_set(uint8_t *buf, uint16_t seq, uint32_t ts, uint8_t payload_type) {
	buf[1] = (uint8_t)((buf[1] & 0x80) | (payload_type & 0x7f));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
}

cv_video_codec cv_video_codec_parse(const char *name) {
	if(name == NULL)
		return CV_CODEC_UNKNOWN;
	if(strcasecmp(name, "vp8") == 0)
		return CV_CODEC_VP8;
	if(strcasecmp(name, "vp9") == 0)
		return CV_CODEC_VP9;
	if(strcasecmp(name, "h264") == 0)
		return CV_CODEC_H264;
	if(strcasecmp(name, "av1") == 0)
		return CV_CODEC_AV1;
	return CV_CODEC_UNKNOWN;
}

/* VP8 (RFC 7741): start of partition 0 of a frame whose header has P = 0. */
static bool cv_vp8_is_keyframe(const uint8_t *p, size_t len) {
	if(len < 1)
		return false;
	bool extended = p[0] & 0x80, start = p[0] & 0x10;
	uint8_t partition = p[0] & 0x07;
	if(!start || partition != 0)
		return false;
	size_t off = 1;
	if(extended) {
		if(len < 2)
			return false;
		uint8_t x = p[1];
		off = 2;
		if(x & 0x80) {	/* I: picture id, 1 or 2 bytes */
			if(len < off + 1)
				return false;
			off += (p[off] & 0x80) ? 2 : 1;
		}
		if(x & 0x40)	/* L: TL0PICIDX */
			off++;
		if(x & 0x30)	/* T or K: TID/Y/KEYIDX */
			off++;
	}
	if(len < off + 1)
		return false;
	return (p[off] & 0x01) == 0;
}

/* VP9 (RFC 9628): B (start of frame) set, P (inter-predicted) clear, and
 * spatial layer 0 when layer indices are present. */
static bool cv_vp9_is_keyframe(const uint8_t *p, size_t len) {
	if(len < 1)
		return false;
	bool inter = p[0] & 0x40, layers = p[0] & 0x20, start = p[0] & 0x08;
	if(inter || !start)
		return false;
	if(layers) {
		size_t off = 1;
		if(p[0] & 0x80) {	/* I: picture id */
			if(len < off + 1)
				return false;
			off += (p[off] & 0x80) ? 2 : 1;
		}
		if(len < off + 1)
			return false;
		uint8_t sid = (p[off] >> 1) & 0x07;
		return sid == 0;
	}
	return true;
}

/* H.264 (RFC 6184): an IDR slice or an SPS, alone, in a STAP-A or at the
 * start of an FU-A. */
static bool cv_h264_is_keyframe(const uint8_t *p, size_t len) {
	if(len < 1)
		return false;
	uint8_t type = p[0] & 0x1f;
	if(type == 5 || type == 7)
		return true;
	if(type == 24) {	/* STAP-A: 16-bit sizes, then NAL units */
		size_t off = 1;
		while(off + 2 < len) {
			size_t size = cv_be16(p + off);
			off += 2;
			if(size == 0 || off + size > len)
				return false;
			uint8_t inner = p[off] & 0x1f;
			if(inner == 5 || inner == 7)
				return true;
			off += size;
		}
		return false;
	}
	if(type == 28) {	/* FU-A: start bit and the original type */
		if(len < 2)
			return false;
		uint8_t inner = p[1] & 0x1f;
		return (p[1] & 0x80) && (inner == 5 || inner == 7);
	}
	return false;
}

bool cv_rtp_is_keyframe(cv_video_codec codec, const uint8_t *payload, size_t len) {
	if(payload == NULL)
		return false;
	switch(codec) {
		case CV_CODEC_VP8:
			return cv_vp8_is_keyframe(payload, len);
		case CV_CODEC_VP9:
			return cv_vp9_is_keyframe(payload, len);
		case CV_CODEC_H264:
			return cv_h264_is_keyframe(payload, len);
		default:
			return false;
	}
}

void cv_rtp_rewriter_init(cv_rtp_rewriter *rw, uint32_t clock_rate) {
	memset(rw, 0, sizeof(*rw));
	rw->clock_rate = clock_rate ? clock_rate : 90000;
	cv_vp8_rewriter_init(&rw->vp8);
}

void cv_rtp_rewriter_switch(cv_rtp_rewriter *rw) {
	rw->switching = true;
}

/* True when a is after b in 16-bit sequence space. */
static bool cv_seq_after(uint16_t a, uint16_t b) {
	return a != b && (uint16_t)(a - b) < 0x8000;
}

void cv_rtp_rewrite(cv_rtp_rewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now_us,
		uint16_t *out_seq, uint32_t *out_ts) {
	if(!rw->started) {
		/* First packet ever: pass the source's numbering through */
		rw->started = true;
		rw->switching = false;
		rw->source_ssrc = ssrc;
		rw->seq_offset = 0;
		rw->ts_offset = 0;
		rw->last_seq = seq;
		rw->last_ts = ts;
		rw->last_time_us = now_us;
		cv_vp8_rewriter_resync(&rw->vp8);
	} else if(rw->switching || ssrc != rw->source_ssrc) {
		/* A new source: continue right after what the receiver last got */
		int64_t elapsed_us = now_us - rw->last_time_us;
		if(elapsed_us < 0)
			elapsed_us = 0;
		/* elapsed * rate / 1e6 mod 2^32, split into whole seconds and the
		 * rest so that nothing overflows: the clock rate comes from the
		 * publisher's SDP (any 32-bit value), and elapsed * rate in int64
		 * overflowed after 36 minutes at 2^32 Hz */
		uint64_t e = (uint64_t)elapsed_us;
		uint32_t ticks = (uint32_t)((e / 1000000) * rw->clock_rate + (e % 1000000) * rw->clock_rate / 1000000);
		if(ticks == 0)
			ticks = 1;
		uint16_t next_seq = (uint16_t)(rw->last_seq + 1);
		uint32_t next_ts = rw->last_ts + ticks;
		rw->switching = false;
		rw->source_ssrc = ssrc;
		rw->seq_offset = (uint16_t)(next_seq - seq);
		rw->ts_offset = next_ts - ts;
		cv_vp8_rewriter_resync(&rw->vp8);
	}
	uint16_t s = (uint16_t)(seq + rw->seq_offset);
	uint32_t t = ts + rw->ts_offset;
	if(cv_seq_after(s, rw->last_seq) || s == rw->last_seq) {
		rw->last_seq = s;
		rw->last_ts = t;
		rw->last_time_us = now_us;
	}
	*out_seq = s;
	*out_ts = t;
}

void cv_pli_pacer_init(cv_pli_pacer *p, int64_t min_interval_us) {
	memset(p, 0, sizeof(*p));
	p->min_interval_us = min_interval_us;
}

bool cv_pli_pacer_allow(cv_pli_pacer *p, int64_t now_us) {
	if(p->ever && now_us - p->last_us < p->min_interval_us)
		return false;
	p->ever = true;
	p->last_us = now_us;
	return true;
}
