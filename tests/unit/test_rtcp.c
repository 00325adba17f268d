/*
 * test_rtcp.c - unit tests for src/cv_rtcp.c (keyframe requests in compound
 * RTCP).
 *
 * Packets are assembled from hand-built reports (RFC 3550 SR/RR/SDES/BYE/APP,
 * RFC 4585 feedback, RFC 5104 FIR) and copied into a heap block of exactly
 * their length, so a read past the end is an AddressSanitizer report. A
 * report whose length field points past the buffer, or a walk that lands
 * on a header with the wrong version, must end the search with false; a
 * PLI-looking byte pattern inside another report's body must not count.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_test.h"
#include "cv_rtcp.h"

/* --- helpers ------------------------------------------------------------ */

/* Verdict on exactly bytes[0..len), from a heap block of that size (len 0:
 * a pointer just past a 1-byte block). */
static bool wants(const uint8_t *bytes, size_t len) {
	uint8_t *block = calloc(len ? len : 1, 1);
	if(block == NULL)
		abort();
	uint8_t *p = len ? block : block + 1;
	if(len)
		memcpy(p, bytes, len);
	bool r = cv_rtcp_wants_keyframe(p, len);
	free(block);
	return r;
}

#define WANTS(...) wants((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* A compound packet under construction */
typedef struct pkt {
	uint8_t buf[1024];
	size_t len;
} pkt;

/* Appends a report: V=2, count/fmt, pt, then body_words 32-bit words of
 * body filled with fill; the length field says body_words unless
 * length_words >= 0 overrides it. */
static void add(pkt *p, uint8_t count, uint8_t pt, size_t body_words, uint8_t fill, int length_words) {
	uint8_t *h = p->buf + p->len;
	size_t words = length_words >= 0 ? (size_t)length_words : body_words;
	h[0] = (uint8_t)(0x80 | (count & 0x1f));
	h[1] = pt;
	h[2] = (uint8_t)(words >> 8);
	h[3] = (uint8_t)words;
	memset(h + 4, fill, 4 * body_words);
	p->len += 4 + 4 * body_words;
}

static void add_sr(pkt *p) {
	add(p, 0, 200, 6, 0x00, -1);	/* SSRC + NTP + RTP ts + counts */
}

static void add_rr(pkt *p, uint8_t blocks) {
	add(p, blocks, 201, 1 + 6 * (size_t)blocks, 0x00, -1);
}

static void add_sdes(pkt *p) {
	/* One chunk: SSRC, CNAME "abcd", end, padded to a word */
	uint8_t *h = p->buf + p->len;
	static const uint8_t sdes[] = {
		0x81, 202, 0x00, 0x03,
		0x11, 0x22, 0x33, 0x44,
		0x01, 0x04, 'a', 'b',
		'c', 'd', 0x00, 0x00,
	};
	memcpy(h, sdes, sizeof(sdes));
	p->len += sizeof(sdes);
}

static void add_pli(pkt *p) {
	add(p, 1, 206, 2, 0x5a, -1);	/* sender SSRC, media SSRC */
}

static void add_fir(pkt *p) {
	add(p, 4, 206, 4, 0x00, -1);	/* sender, media (0), one FCI entry */
}

static void add_nack(pkt *p) {
	add(p, 1, 205, 3, 0x01, -1);	/* sender, media, one PID/BLP */
}

static void add_remb(pkt *p) {
	uint8_t *h = p->buf + p->len;
	static const uint8_t remb[] = {
		0x8f, 206, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00,
		'R', 'E', 'M', 'B',
		0x01, 0x0a, 0x2b, 0x3c,
		0x12, 0x34, 0x56, 0x78,
	};
	memcpy(h, remb, sizeof(remb));
	p->len += sizeof(remb);
}

static bool pkt_wants(const pkt *p) {
	return wants(p->buf, p->len);
}

/* --- tests ---------------------------------------------------------------- */

static void test_single_pli(void) {
	CV_CHECK(WANTS(0x81, 206, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78));
	pkt p = { .len = 0 };
	add_pli(&p);
	CV_CHECK_INT(p.len, 12);
	CV_CHECK(pkt_wants(&p));
	/* The count field of a PLI is its FMT; other PSFB formats are not
	 * keyframe requests: SLI (2), RPSI (3), TSTR (5), TSTN (6), VBCM (7),
	 * AFB/REMB (15) */
	const uint8_t others[] = { 0, 2, 3, 5, 6, 7, 15, 31 };
	for(size_t i = 0; i < sizeof(others); i++) {
		p.len = 0;
		add(&p, others[i], 206, 2, 0x00, -1);
		CV_CHECK(!pkt_wants(&p));
	}
}

static void test_single_fir(void) {
	CV_CHECK(WANTS(0x84, 206, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x12, 0x34, 0x56, 0x78, 0x07, 0x00, 0x00, 0x00));
	pkt p = { .len = 0 };
	add_fir(&p);
	CV_CHECK(pkt_wants(&p));
	/* FIR with two FCI entries */
	p.len = 0;
	add(&p, 4, 206, 6, 0x00, -1);
	CV_CHECK(pkt_wants(&p));
}

static void test_compound(void) {
	pkt p = { .len = 0 };
	add_sr(&p);
	add_rr(&p, 1);
	add_pli(&p);
	CV_CHECK(pkt_wants(&p));
	/* SR, SDES, then a FIR */
	p.len = 0;
	add_sr(&p);
	add_sdes(&p);
	add_fir(&p);
	CV_CHECK(pkt_wants(&p));
	/* RR with two blocks, REMB, NACK, PLI last */
	p.len = 0;
	add_rr(&p, 2);
	add_remb(&p);
	add_nack(&p);
	add_pli(&p);
	CV_CHECK(pkt_wants(&p));
	/* PLI first, then other reports */
	p.len = 0;
	add_pli(&p);
	add_sr(&p);
	add_sdes(&p);
	CV_CHECK(pkt_wants(&p));
	/* An empty RR (length 1) and a BYE before the PLI */
	p.len = 0;
	add_rr(&p, 0);
	add(&p, 1, 203, 1, 0x00, -1);
	add_pli(&p);
	CV_CHECK(pkt_wants(&p));
	/* A report with length 0 (just its header) before the PLI */
	p.len = 0;
	add(&p, 0, 201, 0, 0x00, -1);
	add_pli(&p);
	CV_CHECK(pkt_wants(&p));
}

static void test_no_keyframe_request(void) {
	pkt p = { .len = 0 };
	add_remb(&p);
	CV_CHECK(!pkt_wants(&p));
	p.len = 0;
	add_nack(&p);
	CV_CHECK(!pkt_wants(&p));
	/* RTPFB with FMT 1 (NACK) and FMT 4 (TMMBN): FMT alone is not enough */
	p.len = 0;
	add(&p, 4, 205, 4, 0x00, -1);
	CV_CHECK(!pkt_wants(&p));
	/* Compound SR + RR + SDES + REMB + NACK */
	p.len = 0;
	add_sr(&p);
	add_rr(&p, 1);
	add_sdes(&p);
	add_remb(&p);
	add_nack(&p);
	CV_CHECK(!pkt_wants(&p));
	/* APP and XR */
	p.len = 0;
	add(&p, 1, 204, 3, 0x00, -1);
	add(&p, 0, 207, 2, 0x00, -1);
	CV_CHECK(!pkt_wants(&p));
	/* A PLI's bytes inside an APP report's body do not count */
	p.len = 0;
	add(&p, 0, 204, 2, 0x00, -1);	/* SSRC, name */
	static const uint8_t hidden[] = { 0x81, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	memcpy(p.buf + p.len, hidden, sizeof(hidden));
	p.buf[3] = 2 + 3;	/* the APP body now holds the fake PLI */
	p.len += sizeof(hidden);
	CV_CHECK(!pkt_wants(&p));
}

static void test_empty_and_null(void) {
	CV_CHECK(!cv_rtcp_wants_keyframe(NULL, 0));
	CV_CHECK(!cv_rtcp_wants_keyframe(NULL, 12));
	CV_CHECK(!wants((const uint8_t *)"", 0));
	/* Shorter than one header */
	CV_CHECK(!WANTS(0x81));
	CV_CHECK(!WANTS(0x81, 206));
	CV_CHECK(!WANTS(0x81, 206, 0x00));
}

static void test_truncated(void) {
	pkt p = { .len = 0 };
	add_pli(&p);
	/* Every prefix of a PLI */
	for(size_t n = 0; n < p.len; n++)
		CV_CHECK(!wants(p.buf, n));
	CV_CHECK(wants(p.buf, p.len));
	/* A compound whose PLI is cut short */
	p.len = 0;
	add_sr(&p);
	add_rr(&p, 1);
	add_pli(&p);
	for(size_t n = 0; n < p.len; n++)
		CV_CHECK(!wants(p.buf, n));
	CV_CHECK(pkt_wants(&p));
	/* Trailing bytes after a complete PLI do not undo it */
	p.len = 0;
	add_pli(&p);
	p.buf[p.len++] = 0xff;
	p.buf[p.len++] = 0xff;
	CV_CHECK(pkt_wants(&p));
}

static void test_length_overflow(void) {
	/* The length field claims far more than the buffer */
	CV_CHECK(!WANTS(0x81, 206, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0, 0, 2));
	CV_CHECK(!WANTS(0x81, 206, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2));
	/* A first report that overruns hides a real PLI after it: the walk
	 * stops at the malformed report */
	pkt p = { .len = 0 };
	add(&p, 0, 200, 6, 0x00, 0xFFFF);
	add_pli(&p);
	CV_CHECK(!pkt_wants(&p));
	p.len = 0;
	add(&p, 0, 200, 6, 0x00, 6 + 4);	/* one word past the end */
	add_pli(&p);
	CV_CHECK(!pkt_wants(&p));
	/* A length one word short lands inside the SR body (version 0) */
	p.len = 0;
	add(&p, 0, 200, 6, 0x00, 5);
	add_pli(&p);
	CV_CHECK(!pkt_wants(&p));
	/* A length one word long swallows the PLI's first word */
	p.len = 0;
	add(&p, 0, 200, 6, 0x00, 7);
	add_pli(&p);
	CV_CHECK(!pkt_wants(&p));
	/* A length that ends exactly at the buffer end is fine */
	p.len = 0;
	add_sr(&p);
	add_pli(&p);
	CV_CHECK(pkt_wants(&p));
}

static void test_version(void) {
	for(unsigned v = 0; v < 4; v++) {
		pkt p = { .len = 0 };
		add_pli(&p);
		p.buf[0] = (uint8_t)((p.buf[0] & 0x3f) | (v << 6));
		CV_CHECK(pkt_wants(&p) == (v == 2));
	}
	/* A wrong version anywhere before the PLI ends the walk */
	pkt p = { .len = 0 };
	add_sr(&p);
	p.buf[0] = 0x40;
	add_pli(&p);
	CV_CHECK(!pkt_wants(&p));
	p.len = 0;
	add_sr(&p);
	add_rr(&p, 1);
	p.buf[28] = 0xC1;	/* the RR's header: version 3 */
	add_pli(&p);
	CV_CHECK(!pkt_wants(&p));
	/* An RTP packet (a demux mistake) is not RTCP feedback */
	CV_CHECK(!WANTS(0x80, 96, 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 2, 0xAA));
}

/* One LCG step: deterministic, platform-independent */
static uint32_t lcg(uint32_t *state) {
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static void test_garbage(void) {
	/* Random buffers, and random corruptions of a valid compound: any
	 * verdict, but no read outside the buffer (ASan) */
	uint32_t state = 12345;
	uint8_t buf[256];
	int yes = 0;
	for(int i = 0; i < 20000; i++) {
		size_t len = lcg(&state) % sizeof(buf);
		for(size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)lcg(&state);
		/* Often make it look like RTCP so the walk goes deeper */
		if(len >= 4 && (i & 1)) {
			buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f));
			buf[2] = 0;
			buf[3] &= 0x0f;
		}
		yes += wants(buf, len);
	}
	pkt p = { .len = 0 };
	add_sr(&p);
	add_rr(&p, 1);
	add_sdes(&p);
	add_pli(&p);
	for(int i = 0; i < 20000; i++) {
		memcpy(buf, p.buf, p.len);
		size_t at = lcg(&state) % p.len;
		buf[at] = (uint8_t)lcg(&state);
		yes += wants(buf, lcg(&state) % (p.len + 1));
	}
	CV_CHECK(yes >= 0);
}

int main(void) {
	CV_RUN(test_single_pli);
	CV_RUN(test_single_fir);
	CV_RUN(test_compound);
	CV_RUN(test_no_keyframe_request);
	CV_RUN(test_empty_and_null);
	CV_RUN(test_truncated);
	CV_RUN(test_length_overflow);
	CV_RUN(test_version);
	CV_RUN(test_garbage);
	return cv_test_done();
}
