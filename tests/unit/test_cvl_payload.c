/*
 * test_cvl_payload.c - unit tests for tools/cvload/payload.c: the send
 * stamp, Opus payloads, and the VP8 packetiser, checked against the SFU's
 * own keyframe detector (src/cv_rtp.c) so that what cvload sends is what
 * Convene recognises.
 *
 * Every payload handed to a reader is copied into a heap block of exactly
 * its length, so a read past the end is an AddressSanitizer report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_rtp.h"
#include "cv_test.h"
#include "payload.h"

static uint8_t *heap_copy(const uint8_t *bytes, size_t len) {
	uint8_t *p = malloc(len ? len : 1);
	if(p == NULL)
		abort();
	memcpy(p, bytes, len);
	return p;
}

static void test_stamp(void) {
	cvl_stamp in = { .src = 0x01020304, .kind = 1, .layer = 2, .flags = CVL_STAMP_KEY,
		.counter = 0xdeadbeef, .send_ns = 0x1122334455667788ULL }, out;
	uint8_t buf[CVL_STAMP_LEN];
	cvl_stamp_write(buf, &in);
	CV_CHECK(memcmp(buf, "cvL1", 4) == 0);
	uint8_t *h = heap_copy(buf, sizeof(buf));
	CV_CHECK(cvl_stamp_read(h, sizeof(buf), &out));
	CV_CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	CV_CHECK(!cvl_stamp_read(h, sizeof(buf) - 1, &out));
	h[0] ^= 1;
	CV_CHECK(!cvl_stamp_read(h, sizeof(buf), &out));
	free(h);
}

static void test_opus(void) {
	uint8_t buf[200];
	cvl_stamp st = { .src = 7, .kind = 0, .counter = 3, .send_ns = 99 }, out;
	size_t n = cvl_opus_payload(buf, sizeof(buf), 80, &st);
	CV_CHECK_INT(n, 80);
	CV_CHECK_INT(buf[0], CVL_OPUS_TOC);
	CV_CHECK_INT(buf[0] >> 3, 31);		/* CELT-only FB 20 ms */
	CV_CHECK_INT(buf[0] & 0x03, 0);		/* code 0: one frame */
	uint8_t *h = heap_copy(buf, n);
	CV_CHECK(cvl_payload_stamp(0, h, n, &out));
	CV_CHECK_INT(out.src, 7);
	CV_CHECK_INT(out.counter, 3);
	CV_CHECK_INT(out.send_ns, 99);
	free(h);
	/* the minimum holds the stamp; a payload that does not fit is refused */
	CV_CHECK_INT(cvl_opus_payload(buf, sizeof(buf), 1, &st), 1 + CVL_STAMP_LEN);
	CV_CHECK_INT(cvl_opus_payload(buf, 50, 80, &st), 0);
}

/* Cuts a frame, checks every packet, returns the number of packets. */
static unsigned packetise(bool key, size_t size, size_t max, uint16_t pid) {
	cvl_vp8_frame f;
	cvl_vp8_frame_init(&f, key, pid, 1280, 720, size);
	size_t total = 0;
	unsigned count = 0;
	bool last = false;
	for(;;) {
		uint8_t buf[2000];
		cvl_stamp st = { .src = 5, .kind = 1, .layer = 1, .counter = count, .send_ns = 1000 + count };
		size_t n = cvl_vp8_next(&f, buf, max, &st, &last);
		if(n == 0)
			break;
		CV_CHECK(n <= max);
		uint8_t *h = heap_copy(buf, n);
		bool first = count == 0;
		/* descriptor: X, S only on the first packet, PID 0, I, M, picture id */
		CV_CHECK_INT(h[0], first ? 0x90 : 0x80);
		CV_CHECK_INT(h[1], 0x80);
		CV_CHECK_INT(((h[2] & 0x7f) << 8) | h[3], pid & 0x7fff);
		CV_CHECK(h[2] & 0x80);
		/* the SFU's detector and ours agree: only the first packet of a keyframe */
		CV_CHECK_INT(cv_rtp_is_keyframe(CV_CODEC_VP8, h, n), first && key);
		CV_CHECK_INT(cvl_vp8_is_keyframe(h, n), first && key);
		if(first) {
			CV_CHECK_INT(h[4] & 0x01, key ? 0 : 1);	/* P bit */
			CV_CHECK(h[4] & 0x10);			/* show_frame */
			if(key) {
				CV_CHECK(h[7] == 0x9d && h[8] == 0x01 && h[9] == 0x2a);
				CV_CHECK_INT(h[10] | (h[11] << 8), 1280);
				CV_CHECK_INT(h[12] | (h[13] << 8), 720);
			}
		}
		long off = cvl_vp8_stamp_offset(h, n);
		CV_CHECK_INT(off, first ? (key ? 14 : 7) : 4);
		cvl_stamp out;
		CV_CHECK(cvl_payload_stamp(1, h, n, &out));
		CV_CHECK_INT(out.counter, count);
		CV_CHECK_INT(out.layer, 1);
		CV_CHECK_INT(out.flags & CVL_STAMP_KEY, key ? CVL_STAMP_KEY : 0);
		free(h);
		total += n - CVL_VP8_DESC_LEN;
		count++;
		CV_CHECK_INT(f.packets, count);
		if(last)
			break;
	}
	CV_CHECK(last);
	uint8_t buf[2000];
	cvl_stamp st = { 0 };
	CV_CHECK_INT(cvl_vp8_next(&f, buf, max, &st, &last), 0);	/* done */
	/* the frame's bytes are all sent; only the last packet may add a stamp */
	CV_CHECK(total >= f.size && total < f.size + CVL_STAMP_LEN);
	return count;
}

static void test_vp8_frames(void) {
	CV_CHECK_INT(packetise(true, 10000, 1100, 0x1234), 10);
	CV_CHECK_INT(packetise(false, 2500, 1100, 0x7fff), 3);
	CV_CHECK_INT(packetise(false, 10, 1100, 0), 1);		/* raised to the minimum */
	CV_CHECK_INT(packetise(true, 10, 1100, 1), 1);
	CV_CHECK(packetise(true, 5000, 4 + 10 + CVL_STAMP_LEN, 2) > 100);	/* tiny MTU still works */
	/* a payload limit under the minimum produces nothing */
	cvl_vp8_frame f;
	cvl_vp8_frame_init(&f, true, 0, 640, 360, 1000);
	uint8_t buf[64];
	bool last;
	cvl_stamp st = { 0 };
	CV_CHECK_INT(cvl_vp8_next(&f, buf, 4 + 10 + CVL_STAMP_LEN - 1, &st, &last), 0);
}

static void test_find_stamp(void) {
	cvl_stamp st = { .src = 9, .kind = 1, .send_ns = 5 }, out;
	/* a 1-byte descriptor (no X) then the stamp: found where the parse says */
	uint8_t p[1 + CVL_STAMP_LEN];
	p[0] = 0x00;		/* not a start: no frame header */
	cvl_stamp_write(p + 1, &st);
	uint8_t *h = heap_copy(p, sizeof(p));
	CV_CHECK_INT(cvl_vp8_stamp_offset(h, sizeof(p)), 1);
	CV_CHECK(cvl_payload_stamp(1, h, sizeof(p), &out) && out.src == 9);
	free(h);
	/* somewhere else in the first 64 bytes: found by the magic */
	uint8_t q[40 + CVL_STAMP_LEN];
	memset(q, 0x63, sizeof(q));	/* 'c' everywhere: false starts */
	cvl_stamp_write(q + 40, &st);
	h = heap_copy(q, sizeof(q));
	CV_CHECK(cvl_payload_stamp(0, h, sizeof(q), &out) && out.send_ns == 5);
	free(h);
	/* none at all, and truncated ones */
	uint8_t z[30];
	memset(z, 0, sizeof(z));
	h = heap_copy(z, sizeof(z));
	CV_CHECK(!cvl_payload_stamp(1, h, sizeof(z), &out));
	CV_CHECK(!cvl_payload_stamp(0, h, 0, &out));
	CV_CHECK(!cvl_vp8_is_keyframe(h, 0));
	CV_CHECK_INT(cvl_vp8_stamp_offset(h, 0), -1);
	free(h);
	/* descriptors that claim more bytes than there are */
	const uint8_t bad1[] = { 0x90 }, bad2[] = { 0x90, 0x80 }, bad3[] = { 0x90, 0x80, 0x80 };
	h = heap_copy(bad1, 1);
	CV_CHECK_INT(cvl_vp8_stamp_offset(h, 1), -1);
	CV_CHECK(!cvl_vp8_is_keyframe(h, 1));
	free(h);
	h = heap_copy(bad2, 2);
	CV_CHECK_INT(cvl_vp8_stamp_offset(h, 2), -1);
	free(h);
	h = heap_copy(bad3, 3);
	CV_CHECK_INT(cvl_vp8_stamp_offset(h, 3), -1);
	CV_CHECK(!cvl_vp8_is_keyframe(h, 3));
	free(h);
}

int main(void) {
	CV_RUN(test_stamp);
	CV_RUN(test_opus);
	CV_RUN(test_vp8_frames);
	CV_RUN(test_find_stamp);
	return cv_test_done();
}
