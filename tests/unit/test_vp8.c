/*
 * test_vp8.c - VP8 payload descriptor parsing and continuity across
 * source switches.
 */
#include <stdint.h>
#include <string.h>

#include "cv_test.h"
#include "cv_rtp.h"
#include "cv_vp8.h"

/* A payload as Chromium sends it: X, S, PID 0; I, L, T; 15-bit PictureID;
 * TL0PICIDX; TID/Y/KEYIDX; then a VP8 payload header byte. */
static size_t payload_long(uint8_t *p, uint16_t picture_id, uint8_t tl0, bool start) {
	p[0] = (uint8_t)(0x80 | (start ? 0x10 : 0));
	p[1] = 0xE0;
	p[2] = (uint8_t)(0x80 | (picture_id >> 8));
	p[3] = (uint8_t)(picture_id & 0xFF);
	p[4] = tl0;
	p[5] = 0x20;
	p[6] = 0x9D;
	p[7] = 0x01;
	return 8;
}

static void test_parse_fields(void) {
	uint8_t p[16];
	size_t n = payload_long(p, 0x1234, 77, true);
	cv_vp8_descriptor d;
	CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
	CV_CHECK(d.has_picture_id && d.long_picture_id);
	CV_CHECK_INT(d.picture_id, 0x1234);
	CV_CHECK_INT(d.picture_id_offset, 2);
	CV_CHECK(d.has_tl0picidx);
	CV_CHECK_INT(d.tl0picidx, 77);
	CV_CHECK_INT(d.tl0picidx_offset, 4);
	/* 7-bit PictureID, no TL0PICIDX */
	uint8_t s[] = { 0x90, 0x80, 0x45, 0x00 };
	CV_CHECK(cv_vp8_descriptor_parse(s, sizeof(s), &d));
	CV_CHECK(d.has_picture_id && !d.long_picture_id && !d.has_tl0picidx);
	CV_CHECK_INT(d.picture_id, 0x45);
	/* no extension at all */
	uint8_t plain[] = { 0x10, 0x00 };
	CV_CHECK(cv_vp8_descriptor_parse(plain, sizeof(plain), &d));
	CV_CHECK(!d.has_picture_id && !d.has_tl0picidx);
	/* truncated: every cut of a full descriptor is refused */
	for(size_t cut = 0; cut < 7; cut++)
		CV_CHECK(!cv_vp8_descriptor_parse(p, cut, &d));
	CV_CHECK(!cv_vp8_descriptor_parse(NULL, 4, &d));
}

static void test_write_round_trip(void) {
	uint8_t p[16], q[16];
	size_t n = payload_long(p, 0x7FFE, 255, true);
	memcpy(q, p, n);
	cv_vp8_descriptor d;
	CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
	d.picture_id = 3;
	d.tl0picidx = 9;
	cv_vp8_descriptor_write(p, &d);
	cv_vp8_descriptor e;
	CV_CHECK(cv_vp8_descriptor_parse(p, n, &e));
	CV_CHECK_INT(e.picture_id, 3);
	CV_CHECK_INT(e.tl0picidx, 9);
	CV_CHECK(p[2] & 0x80);	/* M bit kept */
	CV_CHECK(memcmp(p + 5, q + 5, n - 5) == 0);	/* the rest untouched */
}

/* One source, then a switch to another whose numbers are far behind: the
 * receiver's values continue by one, then keep the new source's spacing. */
static void test_switch_continues(void) {
	cv_rtp_rewriter rw;
	cv_rtp_rewriter_init(&rw, 90000);
	uint8_t p[16];
	cv_vp8_descriptor orig, d;
	uint16_t seq;
	uint32_t ts;
	/* source A: pictures 20000, 20001 with TL0 10, 10 */
	for(int i = 0; i < 2; i++) {
		size_t n = payload_long(p, (uint16_t)(20000 + i), 10, true);
		cv_rtp_rewrite(&rw, 0xAAAA, (uint16_t)(100 + i), (uint32_t)(3000 * i), 1000 * i, &seq, &ts);
		CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
		CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
		CV_CHECK_INT(d.picture_id, 20000 + i);	/* the first source passes through */
		CV_CHECK_INT(d.tl0picidx, 10);
		CV_CHECK_INT(orig.picture_id, 20000 + i);
	}
	/* source B (another layer): pictures 5, 6, 8 with TL0 200, 201, 202 */
	uint16_t in_pics[] = { 5, 6, 8 };
	uint8_t in_tl0[] = { 200, 201, 202 };
	uint16_t want_pics[] = { 20002, 20003, 20005 };
	uint8_t want_tl0[] = { 11, 12, 13 };
	for(int i = 0; i < 3; i++) {
		size_t n = payload_long(p, in_pics[i], in_tl0[i], true);
		cv_rtp_rewrite(&rw, 0xBBBB, (uint16_t)(9000 + i), (uint32_t)(77 + 3000 * i), 5000 + 1000 * i, &seq, &ts);
		CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
		CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
		CV_CHECK_INT(d.picture_id, want_pics[i]);
		CV_CHECK_INT(d.tl0picidx, want_tl0[i]);
		/* the original goes back for the next receiver */
		cv_vp8_descriptor_write(p, &orig);
		CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
		CV_CHECK_INT(d.picture_id, in_pics[i]);
		CV_CHECK_INT(d.tl0picidx, in_tl0[i]);
	}
	/* a late packet of an older picture does not move the newest back */
	size_t n = payload_long(p, 7, 202, false);
	cv_rtp_rewrite(&rw, 0xBBBB, 9001, 77 + 3000, 9000, &seq, &ts);
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
	CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
	CV_CHECK_INT(d.picture_id, 20004);
	CV_CHECK_INT(rw.vp8.last_picture_id, 20005);
}

/* Wrap-around of the 15-bit PictureID and the 8-bit TL0PICIDX. */
static void test_wraps(void) {
	cv_rtp_rewriter rw;
	cv_rtp_rewriter_init(&rw, 90000);
	uint8_t p[16];
	cv_vp8_descriptor orig, d;
	uint16_t seq;
	uint32_t ts;
	size_t n = payload_long(p, 0x7FFF, 255, true);
	cv_rtp_rewrite(&rw, 1, 1, 1, 0, &seq, &ts);
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
	n = payload_long(p, 0, 0, true);
	cv_rtp_rewrite(&rw, 1, 2, 2, 1, &seq, &ts);
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
	CV_CHECK_INT(rw.vp8.last_picture_id, 0);
	CV_CHECK_INT(rw.vp8.last_tl0picidx, 0);
	/* switch: continues at 1 */
	n = payload_long(p, 3000, 40, true);
	cv_rtp_rewrite(&rw, 2, 50, 50, 2, &seq, &ts);
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
	CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
	CV_CHECK_INT(d.picture_id, 1);
	CV_CHECK_INT(d.tl0picidx, 1);
}

/* A reused m-line (cv_rtp_rewriter_switch, same SSRC) also resyncs; a
 * payload without the fields is left alone; garbage is refused. */
static void test_switch_same_ssrc_and_plain(void) {
	cv_rtp_rewriter rw;
	cv_rtp_rewriter_init(&rw, 90000);
	uint8_t p[16];
	cv_vp8_descriptor orig, d;
	uint16_t seq;
	uint32_t ts;
	size_t n = payload_long(p, 100, 5, true);
	cv_rtp_rewrite(&rw, 7, 1, 1, 0, &seq, &ts);
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
	cv_rtp_rewriter_switch(&rw);
	n = payload_long(p, 900, 90, true);
	cv_rtp_rewrite(&rw, 7, 2, 2, 1, &seq, &ts);
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, p, n, &orig));
	CV_CHECK(cv_vp8_descriptor_parse(p, n, &d));
	CV_CHECK_INT(d.picture_id, 101);
	CV_CHECK_INT(d.tl0picidx, 6);
	uint8_t plain[] = { 0x10, 0x00, 0x9D };
	uint8_t copy[sizeof(plain)];
	memcpy(copy, plain, sizeof(plain));
	CV_CHECK(cv_vp8_rewrite(&rw.vp8, plain, sizeof(plain), &orig));
	CV_CHECK(memcmp(plain, copy, sizeof(plain)) == 0);
	uint8_t bad[] = { 0x80, 0x80 };
	CV_CHECK(!cv_vp8_rewrite(&rw.vp8, bad, sizeof(bad), &orig));
}

int main(void) {
	CV_RUN(test_parse_fields);
	CV_RUN(test_write_round_trip);
	CV_RUN(test_switch_continues);
	CV_RUN(test_wraps);
	CV_RUN(test_switch_same_ssrc_and_plain);
	return cv_test_done();
}
