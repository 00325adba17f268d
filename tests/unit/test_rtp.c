/*
 * test_rtp.c - unit tests for src/cv_rtp.c: RTP header parsing, keyframe
 * detection, the per-receiver seq/ts rewriter and the PLI pacer.
 *
 * Every buffer handed to the code under test is copied into a heap block of
 * exactly its length (an empty one is a pointer just past a 1-byte block),
 * so a read one byte too far is an AddressSanitizer report, not luck. The
 * keyframe payloads are hand-built so that an off-by-one in the descriptor
 * walk lands on a byte with the opposite answer. The rewriter is driven
 * with explicit wall times; the long random run uses a fixed LCG so a
 * failure is reproducible.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_test.h"
#include "cv_rtp.h"

#define MS 1000LL
#define S 1000000LL

/* --- helpers ------------------------------------------------------------ */

/* A heap copy of bytes[0..len); for len 0 a pointer just past a 1-byte
 * block. Release with heap_free(ptr, len). */
static uint8_t *heap_copy(const uint8_t *bytes, size_t len) {
	uint8_t *block = calloc(len ? len : 1, 1);
	if(block == NULL)
		abort();
	if(len == 0)
		return block + 1;
	memcpy(block, bytes, len);
	return block;
}

static void heap_free(uint8_t *p, size_t len) {
	free(len == 0 ? p - 1 : p);
}

static bool parse(const uint8_t *bytes, size_t len, cv_rtp_header *out) {
	uint8_t *p = heap_copy(bytes, len);
	bool ok = cv_rtp_parse(p, len, out);
	heap_free(p, len);
	return ok;
}

static bool kf(cv_video_codec codec, const uint8_t *bytes, size_t len) {
	uint8_t *p = heap_copy(bytes, len);
	bool key = cv_rtp_is_keyframe(codec, p, len);
	heap_free(p, len);
	return key;
}

/* KF(codec, byte, byte...) - keyframe verdict on exactly these bytes */
#define KF(codec, ...) kf((codec), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Writes an RTP packet: cc CSRCs (0x11 0x11 ...), ext_words of extension
 * (profile 0xBEDE, bytes 0xEE), payload_len bytes of payload (0xAA), then
 * pad bytes of padding whose last byte is pad (none when pad == 0).
 * Returns the length. */
static size_t build_rtp(uint8_t *buf, unsigned cc, int ext_words, size_t payload_len, unsigned pad,
		bool marker, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc) {
	size_t off = 0;
	buf[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (ext_words >= 0 ? 0x10 : 0) | (cc & 0x0f));
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	off = 12;
	memset(buf + off, 0x11, 4 * (size_t)cc);
	off += 4 * (size_t)cc;
	if(ext_words >= 0) {
		buf[off++] = 0xBE;
		buf[off++] = 0xDE;
		buf[off++] = (uint8_t)(ext_words >> 8);
		buf[off++] = (uint8_t)ext_words;
		memset(buf + off, 0xEE, 4 * (size_t)ext_words);
		off += 4 * (size_t)ext_words;
	}
	memset(buf + off, 0xAA, payload_len);
	off += payload_len;
	if(pad) {
		memset(buf + off, 0, pad - 1);
		off += pad;
		buf[off - 1] = (uint8_t)pad;
	}
	return off;
}

/* --- cv_rtp_parse / cv_rtp_set ----------------------------------------- */

static void test_parse_minimal(void) {
	uint8_t buf[64];
	cv_rtp_header h;
	size_t len = build_rtp(buf, 0, -1, 0, 0, true, 96, 0xBEEF, 0xDEADBEEFu, 0x01020304u);
	CV_CHECK_INT(len, 12);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.payload_type, 96);
	CV_CHECK(h.marker);
	CV_CHECK_INT(h.seq, 0xBEEF);
	CV_CHECK_INT(h.ts, 0xDEADBEEFu);
	CV_CHECK_INT(h.ssrc, 0x01020304u);
	CV_CHECK_INT(h.header_len, 12);
	CV_CHECK_INT(h.payload_len, 0);
	len = build_rtp(buf, 0, -1, 20, 0, false, 111, 0, 0, 0xFFFFFFFFu);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.payload_type, 111);
	CV_CHECK(!h.marker);
	CV_CHECK_INT(h.seq, 0);
	CV_CHECK_INT(h.ts, 0);
	CV_CHECK_INT(h.ssrc, 0xFFFFFFFFu);
	CV_CHECK_INT(h.header_len, 12);
	CV_CHECK_INT(h.payload_len, 20);
	/* Payload type 127 and 0, all 7 bits */
	len = build_rtp(buf, 0, -1, 1, 0, true, 127, 1, 1, 1);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.payload_type, 127);
	CV_CHECK(h.marker);
	len = build_rtp(buf, 0, -1, 1, 0, false, 0, 1, 1, 1);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.payload_type, 0);
}

static void test_parse_csrcs(void) {
	uint8_t buf[128];
	cv_rtp_header h;
	size_t len = build_rtp(buf, 3, -1, 10, 0, false, 100, 7, 8, 9);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 24);
	CV_CHECK_INT(h.payload_len, 10);
	CV_CHECK_INT(h.ssrc, 9);
	/* The most CSRCs there can be, no payload */
	len = build_rtp(buf, 15, -1, 0, 0, false, 100, 7, 8, 9);
	CV_CHECK_INT(len, 72);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 72);
	CV_CHECK_INT(h.payload_len, 0);
}

static void test_parse_extension(void) {
	uint8_t buf[128];
	cv_rtp_header h;
	/* One-byte-header extension of 2 words */
	size_t len = build_rtp(buf, 0, 2, 30, 0, true, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 12 + 4 + 8);
	CV_CHECK_INT(h.payload_len, 30);
	/* An extension with no words is just its 4-byte header */
	len = build_rtp(buf, 0, 0, 5, 0, true, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 16);
	CV_CHECK_INT(h.payload_len, 5);
	/* CSRCs then the extension */
	len = build_rtp(buf, 2, 3, 7, 0, false, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 12 + 8 + 4 + 12);
	CV_CHECK_INT(h.payload_len, 7);
	/* An extension that ends exactly at the end of the packet */
	len = build_rtp(buf, 1, 1, 0, 0, false, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, len);
	CV_CHECK_INT(h.payload_len, 0);
}

static void test_parse_padding(void) {
	uint8_t buf[128];
	cv_rtp_header h;
	size_t len = build_rtp(buf, 0, -1, 20, 4, false, 96, 1, 2, 3);
	CV_CHECK_INT(len, 36);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 12);
	CV_CHECK_INT(h.payload_len, 20);
	/* One byte of padding */
	len = build_rtp(buf, 0, -1, 20, 1, false, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.payload_len, 20);
	/* Padding only (a bandwidth probe): payload 0 */
	len = build_rtp(buf, 0, -1, 0, 100, false, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 12);
	CV_CHECK_INT(h.payload_len, 0);
	/* CSRCs, extension and padding together */
	len = build_rtp(buf, 2, 1, 9, 3, true, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.header_len, 12 + 8 + 8);
	CV_CHECK_INT(h.payload_len, 9);
	CV_CHECK(h.marker);
}

static void test_parse_rejects(void) {
	uint8_t buf[128];
	cv_rtp_header h;
	size_t len;
	CV_CHECK(!cv_rtp_parse(NULL, 12, &h));
	/* Shorter than the fixed header */
	len = build_rtp(buf, 0, -1, 0, 0, false, 96, 1, 2, 3);
	for(size_t n = 0; n < 12; n++)
		CV_CHECK(!parse(buf, n, &h));
	/* Versions 0, 1 and 3 */
	for(unsigned v = 0; v < 4; v++) {
		len = build_rtp(buf, 0, -1, 10, 0, false, 96, 1, 2, 3);
		buf[0] = (uint8_t)((buf[0] & 0x3f) | (v << 6));
		CV_CHECK(parse(buf, len, &h) == (v == 2));
	}
	/* CSRC list longer than the packet */
	len = build_rtp(buf, 2, -1, 0, 0, false, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK(!parse(buf, len - 1, &h));
	CV_CHECK(!parse(buf, 12, &h));
	len = build_rtp(buf, 15, -1, 0, 0, false, 96, 1, 2, 3);
	CV_CHECK(!parse(buf, len - 4, &h));
	/* X set but no room for the extension's own header */
	len = build_rtp(buf, 0, 0, 0, 0, false, 96, 1, 2, 3);
	CV_CHECK_INT(len, 16);
	CV_CHECK(parse(buf, 16, &h));
	for(size_t n = 12; n < 16; n++)
		CV_CHECK(!parse(buf, n, &h));
	/* Extension length words past the end */
	len = build_rtp(buf, 1, 3, 0, 0, false, 96, 1, 2, 3);
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK(!parse(buf, len - 1, &h));
	CV_CHECK(!parse(buf, len - 4, &h));
	len = build_rtp(buf, 0, 2, 4, 0, false, 96, 1, 2, 3);
	buf[14] = 0xFF;	/* extension length 0xFF02 words */
	CV_CHECK(!parse(buf, len, &h));
	/* Padding larger than the packet */
	len = build_rtp(buf, 0, -1, 10, 2, false, 96, 1, 2, 3);
	buf[len - 1] = 200;
	CV_CHECK(!parse(buf, len, &h));
	/* Padding that would eat into the header, by one byte */
	len = build_rtp(buf, 0, -1, 3, 2, false, 96, 1, 2, 3);
	buf[len - 1] = 6;	/* 3 payload + 2 padding = 5 bytes after the header */
	CV_CHECK(!parse(buf, len, &h));
	buf[len - 1] = 5;
	CV_CHECK(parse(buf, len, &h));
	CV_CHECK_INT(h.payload_len, 0);
	/* Padding that would eat into the extension */
	len = build_rtp(buf, 0, 1, 2, 2, false, 96, 1, 2, 3);
	buf[len - 1] = 5;
	CV_CHECK(!parse(buf, len, &h));
	/* Zero padding count */
	len = build_rtp(buf, 0, -1, 10, 2, false, 96, 1, 2, 3);
	buf[len - 1] = 0;
	CV_CHECK(!parse(buf, len, &h));
	/* P set on a bare 12-byte header: the "count" is the SSRC's low byte */
	len = build_rtp(buf, 0, -1, 0, 0, false, 96, 1, 2, 0x01020300u);
	buf[0] |= 0x20;
	CV_CHECK(!parse(buf, len, &h));
	buf[11] = 1;
	CV_CHECK(!parse(buf, len, &h));
}

static void test_set_round_trip(void) {
	uint8_t buf[64], before[64];
	cv_rtp_header h;
	for(int marker = 0; marker < 2; marker++) {
		size_t len = build_rtp(buf, 1, 1, 6, 2, marker, 100, 1234, 5678, 0xCAFEBABEu);
		memcpy(before, buf, len);
		cv_rtp_set(buf, 0xFFFF, 0xFFFFFFFFu, 111);
		CV_CHECK(parse(buf, len, &h));
		CV_CHECK_INT(h.seq, 0xFFFF);
		CV_CHECK_INT(h.ts, 0xFFFFFFFFu);
		CV_CHECK_INT(h.payload_type, 111);
		CV_CHECK_INT(h.marker, marker);
		CV_CHECK_INT(h.ssrc, 0xCAFEBABEu);
		CV_CHECK_INT(h.header_len, 24);
		CV_CHECK_INT(h.payload_len, 6);
		/* Only bytes 1..7 may change, and byte 1 only in its low 7 bits */
		CV_CHECK_INT(buf[0], before[0]);
		CV_CHECK_INT(buf[1] & 0x80, before[1] & 0x80);
		CV_CHECK(memcmp(buf + 8, before + 8, len - 8) == 0);
		cv_rtp_set(buf, 0, 0, 0);
		CV_CHECK(parse(buf, len, &h));
		CV_CHECK_INT(h.seq, 0);
		CV_CHECK_INT(h.ts, 0);
		CV_CHECK_INT(h.payload_type, 0);
		CV_CHECK_INT(h.marker, marker);
		/* A payload type with its top bit set must not touch the marker */
		cv_rtp_set(buf, 0x1234, 0x89ABCDEFu, 0x80 | 96);
		CV_CHECK(parse(buf, len, &h));
		CV_CHECK_INT(h.payload_type, 96);
		CV_CHECK_INT(h.marker, marker);
		CV_CHECK_INT(h.seq, 0x1234);
		CV_CHECK_INT(h.ts, 0x89ABCDEFu);
	}
	/* Exactly 12 bytes is enough */
	uint8_t *p = heap_copy(buf, 12);
	cv_rtp_set(p, 42, 43, 44);
	CV_CHECK_INT((p[2] << 8) | p[3], 42);
	CV_CHECK_INT(p[7], 43);
	CV_CHECK_INT(p[1] & 0x7f, 44);
	heap_free(p, 12);
}

/* --- codecs and keyframes ----------------------------------------------- */

static void test_codec_parse(void) {
	CV_CHECK_INT(cv_video_codec_parse("vp8"), CV_CODEC_VP8);
	CV_CHECK_INT(cv_video_codec_parse("VP8"), CV_CODEC_VP8);
	CV_CHECK_INT(cv_video_codec_parse("Vp8"), CV_CODEC_VP8);
	CV_CHECK_INT(cv_video_codec_parse("vp9"), CV_CODEC_VP9);
	CV_CHECK_INT(cv_video_codec_parse("VP9"), CV_CODEC_VP9);
	CV_CHECK_INT(cv_video_codec_parse("h264"), CV_CODEC_H264);
	CV_CHECK_INT(cv_video_codec_parse("H264"), CV_CODEC_H264);
	CV_CHECK_INT(cv_video_codec_parse("av1"), CV_CODEC_AV1);
	CV_CHECK_INT(cv_video_codec_parse("AV1"), CV_CODEC_AV1);
	CV_CHECK_INT(cv_video_codec_parse(NULL), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse(""), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse("opus"), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse("h265"), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse("vp"), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse("vp80"), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse(" vp8"), CV_CODEC_UNKNOWN);
	CV_CHECK_INT(cv_video_codec_parse("h264 "), CV_CODEC_UNKNOWN);
}

/* VP8 (RFC 7741). Descriptor byte 0: X R N S R PID(3); X byte: I L T K;
 * then the VP8 payload header whose bit 0 is P (0 = keyframe). */
static void test_vp8_basic(void) {
	/* Key and delta frames, no extension */
	CV_CHECK(KF(CV_CODEC_VP8, 0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a));
	CV_CHECK(KF(CV_CODEC_VP8, 0x10, 0x50));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x10, 0x11, 0x02, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x10, 0x31));
	/* N (non-reference) does not matter */
	CV_CHECK(KF(CV_CODEC_VP8, 0x30, 0x10));
	/* Not the start of a partition */
	CV_CHECK(!KF(CV_CODEC_VP8, 0x00, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a));
	/* The start of partition 1..7, not 0 */
	for(uint8_t pid = 1; pid < 8; pid++)
		CV_CHECK(!KF(CV_CODEC_VP8, (uint8_t)(0x10 | pid), 0x10, 0x02, 0x00));
	/* A continuation of partition 1 */
	CV_CHECK(!KF(CV_CODEC_VP8, 0x01, 0x10));
	/* Descriptor only */
	CV_CHECK(!KF(CV_CODEC_VP8, 0x10));
}

static void test_vp8_extended(void) {
	/* Each payload: the byte after the descriptor decides; the byte an
	 * off-by-one parser would read has the opposite bit 0 */
	/* X with nothing in it */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x00, 0x10, 0x01));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x00, 0x11, 0x00));
	/* I with a 7-bit picture id */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x80, 0x05, 0x10, 0x01));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x80, 0x04, 0x11, 0x00));
	/* I with a 15-bit picture id (M set) */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x80, 0x81, 0x23, 0x10, 0x01));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x80, 0x80, 0x22, 0x11, 0x00));
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x80, 0xFF, 0xFF, 0x10));
	/* L: TL0PICIDX */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x40, 0x07, 0x10, 0x01));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x40, 0x06, 0x11, 0x00));
	/* T alone, K alone, T and K: one shared byte */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x20, 0x41, 0x10, 0x01));
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x10, 0x03, 0x10, 0x01));
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0x30, 0xC1, 0x10, 0x01));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x30, 0xC0, 0x11, 0x00));
	/* Everything: I (15-bit), L, T and K */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0xF0, 0x92, 0x35, 0x07, 0xE1, 0x10, 0x9d, 0x01, 0x2a));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0xF0, 0x92, 0x34, 0x06, 0xE0, 0x11, 0x00));
	/* Everything, 7-bit picture id */
	CV_CHECK(KF(CV_CODEC_VP8, 0x90, 0xF0, 0x13, 0x07, 0xE1, 0x10, 0x01));
	/* Extended but not a start, or partition 2 */
	CV_CHECK(!KF(CV_CODEC_VP8, 0x80, 0x80, 0x05, 0x10));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x92, 0x80, 0x05, 0x10));
}

static void test_vp8_truncated(void) {
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x80));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x80, 0x05));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x80, 0x81));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x80, 0x81, 0x22));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x40));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x40, 0x06));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0x30, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP8, 0x90, 0xF0, 0x80, 0x00, 0x00, 0x00));
	/* Every prefix of a valid keyframe descriptor is rejected, no
	 * over-read */
	static const uint8_t full[] = { 0x90, 0xF0, 0x92, 0x34, 0x06, 0xE0, 0x10 };
	CV_CHECK(kf(CV_CODEC_VP8, full, sizeof(full)));
	for(size_t n = 0; n < sizeof(full); n++)
		CV_CHECK(!kf(CV_CODEC_VP8, full, n));
}

/* VP9 (RFC 9628). Byte 0: I P L F B E V Z; then the picture id (1 or 2
 * bytes) when I, then the layer indices TID(3) U SID(3) D when L. */
static void test_vp9(void) {
	/* Non-flexible, no layers: B set and P clear */
	CV_CHECK(KF(CV_CODEC_VP9, 0x08, 0x00));
	CV_CHECK(KF(CV_CODEC_VP9, 0x0E, 0x00));	/* B, E and V (scalability structure) */
	CV_CHECK(KF(CV_CODEC_VP9, 0x88, 0x05, 0x00));	/* I, no L */
	/* P set: inter-predicted */
	CV_CHECK(!KF(CV_CODEC_VP9, 0x48, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xC8, 0x05, 0x00));
	/* Not the start of the frame */
	CV_CHECK(!KF(CV_CODEC_VP9, 0x00, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0x04, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0x80, 0x05, 0x00));
	/* Non-flexible with layer indices (and TL0PICIDX): SID 0 vs 1 */
	CV_CHECK(KF(CV_CODEC_VP9, 0xA8, 0x05, 0x00, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x05, 0x03, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x05, 0x02, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x05, 0x0E, 0x00));	/* SID 7 */
	/* 15-bit picture id: the byte a 7-bit parser would take says SID 1 */
	CV_CHECK(KF(CV_CODEC_VP9, 0xA8, 0x81, 0x02, 0x00, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x80, 0x00, 0x02, 0x00));
	/* Flexible mode (F) with layer indices */
	CV_CHECK(KF(CV_CODEC_VP9, 0xB8, 0x05, 0x00));
	CV_CHECK(KF(CV_CODEC_VP9, 0xB8, 0x85, 0x02, 0x01));	/* SID 0, D set */
	CV_CHECK(!KF(CV_CODEC_VP9, 0xB8, 0x05, 0x03));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xF8, 0x05, 0x00, 0x02));	/* P with a reference */
	CV_CHECK(KF(CV_CODEC_VP9, 0x18, 0x00));	/* flexible, no I, no L */
	/* L without I */
	CV_CHECK(KF(CV_CODEC_VP9, 0x28, 0x00, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0x28, 0x02, 0x00));
	/* Truncated: layer indices or picture id missing */
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x05));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x81));
	CV_CHECK(!KF(CV_CODEC_VP9, 0xA8, 0x81, 0x00));
	CV_CHECK(!KF(CV_CODEC_VP9, 0x28));
}

/* H.264 (RFC 6184). NAL header F NRI(2) type(5). */
static void test_h264_single(void) {
	CV_CHECK(KF(CV_CODEC_H264, 0x65, 0x88, 0x84, 0x00));	/* IDR */
	CV_CHECK(KF(CV_CODEC_H264, 0x05));	/* IDR, NRI 0, header only */
	CV_CHECK(KF(CV_CODEC_H264, 0x25, 0x88));
	CV_CHECK(KF(CV_CODEC_H264, 0x67, 0x42, 0xc0, 0x1f));	/* SPS */
	CV_CHECK(!KF(CV_CODEC_H264, 0x41, 0x9a, 0x00));	/* non-IDR slice */
	CV_CHECK(!KF(CV_CODEC_H264, 0x01));
	CV_CHECK(!KF(CV_CODEC_H264, 0x68, 0xce, 0x38, 0x80));	/* PPS */
	CV_CHECK(!KF(CV_CODEC_H264, 0x06, 0x05));	/* SEI */
	CV_CHECK(!KF(CV_CODEC_H264, 0x09, 0xf0));	/* access unit delimiter */
	CV_CHECK(!KF(CV_CODEC_H264, 0x00));
	/* STAP-B, MTAP, FU-B: not recognised */
	CV_CHECK(!KF(CV_CODEC_H264, 0x79, 0x00, 0x01, 0x00, 0x02, 0x67, 0x42));
	CV_CHECK(!KF(CV_CODEC_H264, 0x7D, 0x85, 0x00, 0x01));
}

static void test_h264_stap_a(void) {
	/* SPS, PPS, IDR */
	CV_CHECK(KF(CV_CODEC_H264, 0x78,
		0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f,
		0x00, 0x02, 0x68, 0xce,
		0x00, 0x02, 0x65, 0x88));
	/* SEI first, SPS second */
	CV_CHECK(KF(CV_CODEC_H264, 0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x03, 0x67, 0x42, 0x00));
	/* An IDR alone in a STAP-A, size 1 */
	CV_CHECK(KF(CV_CODEC_H264, 0x18, 0x00, 0x01, 0x65));
	/* PPS and SEI only; non-IDR slices only */
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x06, 0x05));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x02, 0x41, 0x9b));
	/* An SPS byte inside a NAL unit (not at a NAL start) does not count */
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x03, 0x41, 0x67, 0x65));
	/* Malformed sizes: zero, past the end (even if the next byte is an SPS
	 * header), a size field cut short, nothing after the header */
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x00, 0x67, 0x42));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x10, 0x67, 0x42));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0xFF, 0xFF, 0x67));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x09, 0x67));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x02, 0x06, 0x05, 0x00));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x01));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78, 0x00, 0x01));
	CV_CHECK(!KF(CV_CODEC_H264, 0x78));
	/* Every prefix of a STAP-A whose only keyframe NAL is the last one */
	static const uint8_t stap[] = { 0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x67, 0x42 };
	CV_CHECK(kf(CV_CODEC_H264, stap, sizeof(stap)));
	for(size_t n = 0; n < sizeof(stap); n++)
		CV_CHECK(!kf(CV_CODEC_H264, stap, n));
}

static void test_h264_fu_a(void) {
	/* FU indicator (type 28), FU header S E R type */
	CV_CHECK(KF(CV_CODEC_H264, 0x7C, 0x85, 0x88, 0x84));	/* start of an IDR */
	CV_CHECK(KF(CV_CODEC_H264, 0x1C, 0x85));
	CV_CHECK(!KF(CV_CODEC_H264, 0x7C, 0x05, 0x88));	/* middle of an IDR */
	CV_CHECK(!KF(CV_CODEC_H264, 0x7C, 0x45, 0x88));	/* end of an IDR */
	CV_CHECK(!KF(CV_CODEC_H264, 0x7C, 0x81, 0x9a));	/* start of a non-IDR slice */
	CV_CHECK(!KF(CV_CODEC_H264, 0x7C, 0x01, 0x9a));
	CV_CHECK(!KF(CV_CODEC_H264, 0x7C, 0x88, 0x00));	/* start of a PPS */
	CV_CHECK(!KF(CV_CODEC_H264, 0x7C));	/* no FU header */
}

static void test_keyframe_empty_and_others(void) {
	const cv_video_codec codecs[] = { CV_CODEC_UNKNOWN, CV_CODEC_VP8, CV_CODEC_VP9, CV_CODEC_H264, CV_CODEC_AV1 };
	for(size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		CV_CHECK(!cv_rtp_is_keyframe(codecs[i], NULL, 0));
		CV_CHECK(!cv_rtp_is_keyframe(codecs[i], NULL, 10));
		/* len 0: the pointer is just past a block, any read is caught */
		CV_CHECK(!kf(codecs[i], (const uint8_t *)"\x10\x10", 0));
	}
	/* AV1 is never claimed: aggregation headers with N (new coded video
	 * sequence) set, a sequence header OBU */
	CV_CHECK(!KF(CV_CODEC_AV1, 0x18, 0x0a, 0x0b, 0x00, 0x00, 0x00));
	CV_CHECK(!KF(CV_CODEC_AV1, 0x08));
	/* Unknown codec, even on bytes every known codec calls a keyframe */
	CV_CHECK(!KF(CV_CODEC_UNKNOWN, 0x10, 0x10));
	CV_CHECK(KF(CV_CODEC_VP8, 0x10, 0x10));
	CV_CHECK(!KF(CV_CODEC_UNKNOWN, 0x65));
	CV_CHECK(!KF((cv_video_codec)99, 0x65));
}

/* --- rewriter ------------------------------------------------------------ */

typedef struct out_pkt {
	uint16_t seq;
	uint32_t ts;
} out_pkt;

static out_pkt rw(cv_rtp_rewriter *r, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now_us) {
	out_pkt o = { 0xDEAD, 0xDEADBEEFu };
	cv_rtp_rewrite(r, ssrc, seq, ts, now_us, &o.seq, &o.ts);
	return o;
}

/* a after b in 16-bit sequence space */
static bool seq_after(uint16_t a, uint16_t b) {
	return a != b && (uint16_t)(a - b) < 0x8000;
}

static void test_rewriter_init(void) {
	cv_rtp_rewriter r;
	memset(&r, 0x5a, sizeof(r));
	cv_rtp_rewriter_init(&r, 48000);
	CV_CHECK(!r.started);
	CV_CHECK(!r.switching);
	CV_CHECK_INT(r.clock_rate, 48000);
	/* 0: the video default */
	cv_rtp_rewriter_init(&r, 0);
	CV_CHECK_INT(r.clock_rate, 90000);
}

static void test_rewriter_first_passes_through(void) {
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	out_pkt o = rw(&r, 0x1111, 1000, 5000, 7 * S);
	CV_CHECK_INT(o.seq, 1000);
	CV_CHECK_INT(o.ts, 5000);
	o = rw(&r, 0x1111, 1001, 8000, 7 * S + 33 * MS);
	CV_CHECK_INT(o.seq, 1001);
	CV_CHECK_INT(o.ts, 8000);
	/* A gap (loss) and a timestamp jump pass through unchanged */
	o = rw(&r, 0x1111, 1010, 200000, 7 * S + 300 * MS);
	CV_CHECK_INT(o.seq, 1010);
	CV_CHECK_INT(o.ts, 200000);
	/* A switch requested before any packet: the first still passes */
	cv_rtp_rewriter_init(&r, 90000);
	cv_rtp_rewriter_switch(&r);
	o = rw(&r, 0x2222, 40000, 123456789u, 0);
	CV_CHECK_INT(o.seq, 40000);
	CV_CHECK_INT(o.ts, 123456789u);
	o = rw(&r, 0x2222, 40001, 123459789u, 33 * MS);
	CV_CHECK_INT(o.seq, 40001);
	CV_CHECK_INT(o.ts, 123459789u);
}

static void test_rewriter_new_ssrc_continues(void) {
	/* 90 kHz: 20 ms is 1800 ticks */
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0xA, 499, 87000, 1 * S - 33 * MS);
	out_pkt o = rw(&r, 0xA, 500, 90000, 1 * S);
	CV_CHECK_INT(o.seq, 500);
	o = rw(&r, 0xB, 7, 123, 1 * S + 20 * MS);
	CV_CHECK_INT(o.seq, 501);
	CV_CHECK_INT(o.ts, 90000 + 1800);
	/* The new source then keeps its own spacing */
	o = rw(&r, 0xB, 8, 123 + 3000, 1 * S + 53 * MS);
	CV_CHECK_INT(o.seq, 502);
	CV_CHECK_INT(o.ts, 90000 + 1800 + 3000);
	o = rw(&r, 0xB, 8, 123 + 3000, 1 * S + 54 * MS);	/* same packet again */
	CV_CHECK_INT(o.seq, 502);
	CV_CHECK_INT(o.ts, 90000 + 1800 + 3000);
	/* 48 kHz: 20 ms is 960 ticks, 1.5 ms is 72 */
	cv_rtp_rewriter_init(&r, 48000);
	rw(&r, 0x1, 100, 48000, 10 * S);
	o = rw(&r, 0x2, 60000, 7, 10 * S + 20 * MS);
	CV_CHECK_INT(o.seq, 101);
	CV_CHECK_INT(o.ts, 48000 + 960);
	o = rw(&r, 0x3, 1, 1, 10 * S + 21500);
	CV_CHECK_INT(o.seq, 102);
	CV_CHECK_INT(o.ts, 48000 + 960 + 72);
	o = rw(&r, 0x3, 2, 961, 10 * S + 41500);
	CV_CHECK_INT(o.seq, 103);
	CV_CHECK_INT(o.ts, 48000 + 960 + 72 + 960);
	/* A long silence: 5 s at 48 kHz */
	o = rw(&r, 0x4, 9, 9, 15 * S + 41500);
	CV_CHECK_INT(o.seq, 104);
	CV_CHECK_INT(o.ts, 48000 + 960 + 72 + 960 + 5 * 48000);
	/* A fraction of a tick: 1010 us at 90 kHz is 90.9 ticks */
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 1, 1000, 0);
	o = rw(&r, 0x2, 1, 1, 1010);
	CV_CHECK_INT(o.seq, 2);
	CV_CHECK(o.ts == 1000 + 90 || o.ts == 1000 + 91);
}

static void test_rewriter_at_least_one_tick(void) {
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 10, 5000, 2 * S);
	/* No time at all */
	out_pkt o = rw(&r, 0x2, 77, 99, 2 * S);
	CV_CHECK_INT(o.seq, 11);
	CV_CHECK_INT(o.ts, 5001);
	/* 5 us: less than a tick */
	o = rw(&r, 0x3, 77, 99, 2 * S + 5);
	CV_CHECK_INT(o.seq, 12);
	CV_CHECK_INT(o.ts, 5002);
	/* The clock went backwards */
	o = rw(&r, 0x4, 77, 99, 1 * S);
	CV_CHECK_INT(o.seq, 13);
	CV_CHECK_INT(o.ts, 5003);
	/* 48 kHz, 20 us */
	cv_rtp_rewriter_init(&r, 48000);
	rw(&r, 0x1, 10, 0xFFFFFFFFu, 0);
	o = rw(&r, 0x2, 10, 0, 20);
	CV_CHECK_INT(o.seq, 11);
	CV_CHECK_INT(o.ts, 0);	/* 0xFFFFFFFF + 1 */
}

static void test_rewriter_keeps_spacing(void) {
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0xA, 100, 1000, 0);
	/* Switch to B so that B's numbering is offset */
	out_pkt o = rw(&r, 0xB, 5000, 1000000, 10 * MS);
	CV_CHECK_INT(o.seq, 101);
	CV_CHECK_INT(o.ts, 1000 + 900);
	uint32_t base = 1000 + 900;
	/* In order, with a loss (5001 missing) */
	o = rw(&r, 0xB, 5002, 1006000, 77 * MS);
	CV_CHECK_INT(o.seq, 103);
	CV_CHECK_INT(o.ts, base + 6000);
	/* 5001 arrives late: keeps its place */
	o = rw(&r, 0xB, 5001, 1003000, 78 * MS);
	CV_CHECK_INT(o.seq, 102);
	CV_CHECK_INT(o.ts, base + 3000);
	o = rw(&r, 0xB, 5003, 1009000, 100 * MS);
	CV_CHECK_INT(o.seq, 104);
	CV_CHECK_INT(o.ts, base + 9000);
	/* A retransmission of an old one (NACK) maps to the same number */
	o = rw(&r, 0xB, 5000, 1000000, 120 * MS);
	CV_CHECK_INT(o.seq, 101);
	CV_CHECK_INT(o.ts, base);
	/* Late packets did not lower the high-water mark: the next source
	 * continues after 104, and from 104's timestamp and time */
	o = rw(&r, 0xC, 1, 1, 100 * MS + 10 * MS);
	CV_CHECK_INT(o.seq, 105);
	CV_CHECK_INT(o.ts, base + 9000 + 900);
	/* Video: several packets of one frame share a timestamp */
	o = rw(&r, 0xC, 2, 1, 111 * MS);
	CV_CHECK_INT(o.seq, 106);
	CV_CHECK_INT(o.ts, base + 9000 + 900);
	o = rw(&r, 0xC, 3, 1, 112 * MS);
	CV_CHECK_INT(o.seq, 107);
	CV_CHECK_INT(o.ts, base + 9000 + 900);
}

static void test_rewriter_seq_wrap(void) {
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	/* Pass-through across the wrap */
	CV_CHECK_INT(rw(&r, 0x1, 65534, 0, 0).seq, 65534);
	CV_CHECK_INT(rw(&r, 0x1, 65535, 0, 1).seq, 65535);
	CV_CHECK_INT(rw(&r, 0x1, 0, 0, 2).seq, 0);
	/* 65535 again, late, after 0: not the high-water mark */
	CV_CHECK_INT(rw(&r, 0x1, 65535, 0, 3).seq, 65535);
	CV_CHECK_INT(rw(&r, 0x1, 1, 0, 4).seq, 1);
	CV_CHECK_INT(rw(&r, 0x2, 30000, 0, 5).seq, 2);
	/* A switch right at 65535 wraps to 0 */
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 65535, 0, 0);
	CV_CHECK_INT(rw(&r, 0x2, 10, 0, 1).seq, 0);
	CV_CHECK_INT(rw(&r, 0x2, 11, 0, 2).seq, 1);
	/* The new source's own numbers wrap while the offset is non-zero */
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 100, 0, 0);
	CV_CHECK_INT(rw(&r, 0x2, 65534, 0, 1).seq, 101);
	CV_CHECK_INT(rw(&r, 0x2, 65535, 0, 2).seq, 102);
	CV_CHECK_INT(rw(&r, 0x2, 0, 0, 3).seq, 103);
	CV_CHECK_INT(rw(&r, 0x2, 1, 0, 4).seq, 104);
	CV_CHECK_INT(rw(&r, 0x2, 65535, 0, 5).seq, 102);	/* late */
	CV_CHECK_INT(rw(&r, 0x3, 5, 0, 6).seq, 105);
	/* The output wraps while the source does not */
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 65533, 0, 0);
	CV_CHECK_INT(rw(&r, 0x2, 1000, 0, 1).seq, 65534);
	CV_CHECK_INT(rw(&r, 0x2, 1001, 0, 2).seq, 65535);
	CV_CHECK_INT(rw(&r, 0x2, 1002, 0, 3).seq, 0);
	CV_CHECK_INT(rw(&r, 0x2, 1003, 0, 4).seq, 1);
	CV_CHECK_INT(rw(&r, 0x3, 1, 0, 5).seq, 2);
}

static void test_rewriter_ts_wrap(void) {
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	/* The switch itself carries the timestamp over 2^32: 10 ms = 900 */
	rw(&r, 0x1, 1, 0xFFFFFF00u, 0);
	out_pkt o = rw(&r, 0x2, 1, 5, 10 * MS);
	CV_CHECK_INT(o.ts, 0x284);
	o = rw(&r, 0x2, 2, 3005, 43 * MS);
	CV_CHECK_INT(o.ts, 0x284 + 3000);
	/* The source's own timestamps wrap while the offset is non-zero */
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 1, 1000, 0);
	o = rw(&r, 0x2, 1, 0xFFFFFFFFu - 1000, 10 * MS);
	CV_CHECK_INT(o.ts, 1900);
	o = rw(&r, 0x2, 2, 0xFFFFFFFFu - 1000 + 3000, 43 * MS);	/* wraps to 1999 */
	CV_CHECK_INT(o.ts, 1900 + 3000);
	/* The output wraps while the source does not */
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x1, 1, 0xFFFFFFFFu - 1899, 0);
	o = rw(&r, 0x2, 1, 50, 10 * MS);
	CV_CHECK_INT(o.ts, 0xFFFFFFFFu - 999);
	o = rw(&r, 0x2, 2, 3050, 43 * MS);
	CV_CHECK_INT(o.ts, 2000);
	/* Pass-through of a wrapping source */
	cv_rtp_rewriter_init(&r, 90000);
	CV_CHECK_INT(rw(&r, 0x1, 1, 0xFFFFF000u, 0).ts, 0xFFFFF000u);
	CV_CHECK_INT(rw(&r, 0x1, 2, 0x00000BB8u, 33 * MS).ts, 0x00000BB8u);
}

static void test_rewriter_switch_same_ssrc(void) {
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	rw(&r, 0x7, 100, 10000, 0);
	/* Without a switch, the same SSRC keeps its spacing even across a
	 * jump */
	out_pkt o = rw(&r, 0x7, 110, 40000, 20 * MS);
	CV_CHECK_INT(o.seq, 110);
	CV_CHECK_INT(o.ts, 40000);
	/* With a switch, a new source behind the same SSRC (a reused m-line)
	 * continues after the last packet */
	cv_rtp_rewriter_switch(&r);
	o = rw(&r, 0x7, 9000, 777, 40 * MS);
	CV_CHECK_INT(o.seq, 111);
	CV_CHECK_INT(o.ts, 40000 + 1800);
	/* The switch applies to one packet only */
	o = rw(&r, 0x7, 9001, 777 + 3000, 73 * MS);
	CV_CHECK_INT(o.seq, 112);
	CV_CHECK_INT(o.ts, 40000 + 1800 + 3000);
	o = rw(&r, 0x7, 9003, 777 + 9000, 140 * MS);
	CV_CHECK_INT(o.seq, 114);
	CV_CHECK_INT(o.ts, 40000 + 1800 + 9000);
	/* Two switches in a row are one */
	cv_rtp_rewriter_switch(&r);
	cv_rtp_rewriter_switch(&r);
	o = rw(&r, 0x7, 1, 1, 150 * MS);
	CV_CHECK_INT(o.seq, 115);
	CV_CHECK_INT(o.ts, 40000 + 1800 + 9000 + 900);
	o = rw(&r, 0x7, 2, 1, 151 * MS);
	CV_CHECK_INT(o.seq, 116);
	CV_CHECK_INT(o.ts, 40000 + 1800 + 9000 + 900);
	/* A switch then a different SSRC: still one continuation */
	cv_rtp_rewriter_switch(&r);
	o = rw(&r, 0x8, 500, 1, 152 * MS);
	CV_CHECK_INT(o.seq, 117);
	o = rw(&r, 0x8, 501, 1, 153 * MS);
	CV_CHECK_INT(o.seq, 118);
}

static void test_rewriter_late_old_source(void) {
	/* A sends 100..105, B takes over, then A's 103 and 105 arrive late.
	 * They must not reuse a number the receiver already got: they come
	 * after everything sent, and B goes on after them. */
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, 90000);
	bool used[65536] = { false };
	for(uint16_t s = 100; s <= 105; s++) {
		out_pkt o = rw(&r, 0xA, s, 3000u * s, s * 33 * MS);
		CV_CHECK_INT(o.seq, s);
		used[o.seq] = true;
	}
	uint16_t last = 105;
	uint32_t last_ts = 3000u * 105;
	int64_t now = 105 * 33 * MS;
	const struct { uint32_t ssrc; uint16_t seq; } input[] = {
		{ 0xB, 20 }, { 0xB, 21 }, { 0xA, 103 }, { 0xB, 22 }, { 0xA, 105 }, { 0xB, 23 }, { 0xB, 24 },
	};
	for(size_t i = 0; i < sizeof(input) / sizeof(input[0]); i++) {
		now += 5 * MS;
		out_pkt o = rw(&r, input[i].ssrc, input[i].seq, 1000u * input[i].seq, now);
		CV_CHECK(seq_after(o.seq, last));
		CV_CHECK(!used[o.seq]);
		CV_CHECK((int32_t)(o.ts - last_ts) >= 0);
		used[o.seq] = true;
		last = o.seq;
		last_ts = o.ts;
	}
	/* A retransmission of one of A's old packets after all that is still a
	 * continuation, not a number from the past */
	out_pkt o = rw(&r, 0xA, 101, 303000, now + MS);
	CV_CHECK(seq_after(o.seq, last));
}

/* One LCG step: deterministic, platform-independent */
static uint32_t lcg(uint32_t *state) {
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static void random_run(uint32_t clock_rate, uint32_t seed) {
	enum { SOURCES = 5, PACKETS = 200000 };
	uint32_t state = seed;
	uint16_t src_seq[SOURCES];
	uint32_t src_ts[SOURCES];
	for(int i = 0; i < SOURCES; i++) {
		src_seq[i] = (uint16_t)lcg(&state);
		src_ts[i] = lcg(&state) * 7919u;
	}
	cv_rtp_rewriter r;
	cv_rtp_rewriter_init(&r, clock_rate);
	int cur = 0, switches = 0, bad = 0;
	int64_t now = (int64_t)(lcg(&state) % 1000) * S, last_now = 0;
	uint16_t last_seq = 0;
	uint32_t last_ts = 0;
	for(int n = 0; n < PACKETS; n++) {
		uint32_t roll = lcg(&state) % 100;
		bool switched = false;
		if(n > 0 && roll < 3) {
			/* Another source (maybe the same one) takes over */
			int next = (int)(lcg(&state) % SOURCES);
			switched = next != cur;
			cur = next;
		} else if(n > 0 && roll < 5) {
			/* The same SSRC, a new source behind it */
			cv_rtp_rewriter_switch(&r);
			switched = true;
		}
		/* In order: the source skips 0..2 numbers (losses upstream), its
		 * timestamp advances 0..3599, wall time 0..40 ms */
		uint16_t skip = (uint16_t)(lcg(&state) % 20 == 0 ? 1 + lcg(&state) % 2 : 0);
		uint32_t dts = lcg(&state) % 3600;
		src_seq[cur] = (uint16_t)(src_seq[cur] + 1 + skip);
		src_ts[cur] += dts;
		now += (int64_t)(lcg(&state) % 40000);
		if(n % 5000 == 4999)
			now += 30 * S;	/* now and then a long pause */
		uint16_t seq;
		uint32_t ts;
		cv_rtp_rewrite(&r, 0x1000u + (uint32_t)cur, src_seq[cur], src_ts[cur], now, &seq, &ts);
		if(n == 0) {
			CV_CHECK_INT(seq, src_seq[cur]);
			CV_CHECK_INT(ts, src_ts[cur]);
		} else {
			uint16_t expect_seq = (uint16_t)(last_seq + 1 + (switched ? 0 : skip));
			uint32_t expect_ts = last_ts + dts;
			if(switched) {
				uint32_t ticks = (uint32_t)((now - last_now) * (int64_t)clock_rate / S);
				expect_ts = last_ts + (ticks ? ticks : 1);
				switches++;
			}
			if(!seq_after(seq, last_seq) || seq != expect_seq || (int32_t)(ts - last_ts) < 0 || ts != expect_ts) {
				if(bad++ < 5)
					printf("#   packet %d%s: seq %u ts %u after %u %u, expected %u %u\n", n,
						switched ? " (switch)" : "", seq, ts, last_seq, last_ts, expect_seq, expect_ts);
			}
		}
		last_seq = seq;
		last_ts = ts;
		last_now = now;
	}
	CV_CHECK_INT(bad, 0);
	CV_CHECK(switches > 1000);
}

static void test_rewriter_random_switches(void) {
	random_run(90000, 1);
	random_run(90000, 0xC0FFEE);
	random_run(48000, 42);
	random_run(8000, 7);
}

/* --- PLI pacer ------------------------------------------------------------ */

static void test_pli_pacer(void) {
	cv_pli_pacer p;
	cv_pli_pacer_init(&p, 1 * S);
	CV_CHECK(cv_pli_pacer_allow(&p, 5 * S));
	CV_CHECK(!cv_pli_pacer_allow(&p, 5 * S));
	CV_CHECK(!cv_pli_pacer_allow(&p, 5 * S + 1));
	CV_CHECK(!cv_pli_pacer_allow(&p, 5 * S + 500 * MS));
	CV_CHECK(!cv_pli_pacer_allow(&p, 6 * S - 1));
	/* Exactly one interval after the last allowed one; denied calls did
	 * not move it */
	CV_CHECK(cv_pli_pacer_allow(&p, 6 * S));
	CV_CHECK(!cv_pli_pacer_allow(&p, 6 * S + 1));
	CV_CHECK(!cv_pli_pacer_allow(&p, 7 * S - 1));
	CV_CHECK(cv_pli_pacer_allow(&p, 7 * S));
	/* Long after */
	CV_CHECK(cv_pli_pacer_allow(&p, 100 * S));
	CV_CHECK(!cv_pli_pacer_allow(&p, 100 * S + 999999));
	/* The clock going backwards does not open the gate */
	CV_CHECK(!cv_pli_pacer_allow(&p, 50 * S));
	CV_CHECK(cv_pli_pacer_allow(&p, 101 * S));
}

static void test_pli_pacer_first_at_zero(void) {
	/* The first request is allowed whatever the time, even 0 or less */
	cv_pli_pacer p;
	cv_pli_pacer_init(&p, 300 * MS);
	CV_CHECK(cv_pli_pacer_allow(&p, 0));
	CV_CHECK(!cv_pli_pacer_allow(&p, 1));
	CV_CHECK(!cv_pli_pacer_allow(&p, 299 * MS));
	CV_CHECK(cv_pli_pacer_allow(&p, 300 * MS));
	cv_pli_pacer_init(&p, 300 * MS);
	CV_CHECK(cv_pli_pacer_allow(&p, -5 * S));
	CV_CHECK(!cv_pli_pacer_allow(&p, -5 * S + 1));
	/* init resets */
	cv_pli_pacer_init(&p, 300 * MS);
	CV_CHECK(cv_pli_pacer_allow(&p, 1));
	/* A zero interval allows everything */
	cv_pli_pacer_init(&p, 0);
	for(int i = 0; i < 5; i++)
		CV_CHECK(cv_pli_pacer_allow(&p, 42));
}

int main(void) {
	CV_RUN(test_parse_minimal);
	CV_RUN(test_parse_csrcs);
	CV_RUN(test_parse_extension);
	CV_RUN(test_parse_padding);
	CV_RUN(test_parse_rejects);
	CV_RUN(test_set_round_trip);
	CV_RUN(test_codec_parse);
	CV_RUN(test_vp8_basic);
	CV_RUN(test_vp8_extended);
	CV_RUN(test_vp8_truncated);
	CV_RUN(test_vp9);
	CV_RUN(test_h264_single);
	CV_RUN(test_h264_stap_a);
	CV_RUN(test_h264_fu_a);
	CV_RUN(test_keyframe_empty_and_others);
	CV_RUN(test_rewriter_init);
	CV_RUN(test_rewriter_first_passes_through);
	CV_RUN(test_rewriter_new_ssrc_continues);
	CV_RUN(test_rewriter_at_least_one_tick);
	CV_RUN(test_rewriter_keeps_spacing);
	CV_RUN(test_rewriter_seq_wrap);
	CV_RUN(test_rewriter_ts_wrap);
	CV_RUN(test_rewriter_switch_same_ssrc);
	CV_RUN(test_rewriter_late_old_source);
	CV_RUN(test_rewriter_random_switches);
	CV_RUN(test_pli_pacer);
	CV_RUN(test_pli_pacer_first_at_zero);
	return cv_test_done();
}
