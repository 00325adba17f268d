/*
 * test_cvl_rtp.c - unit tests for tools/cvload/rtp.c: RTP headers with
 * the mid/rid extensions (read back by cvload and by the SFU's own parser,
 * src/cv_rtp.c), RTCP reports and the reader of SR/PLI/FIR (cross-checked
 * with src/cv_rtcp.c), RFC 5761 demux, NTP time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_rtcp.h"
#include "cv_rtp.h"
#include "cv_test.h"
#include "rtp.h"

static uint8_t *heap_copy(const uint8_t *bytes, size_t len) {
	uint8_t *p = malloc(len ? len : 1);
	if(p == NULL)
		abort();
	memcpy(p, bytes, len);
	return p;
}

static void test_rtp_plain(void) {
	uint8_t buf[100];
	size_t h = cvl_rtp_write(buf, sizeof(buf), 111, true, 0xfffe, 0x01020304, 0xa0b0c0d0, 0, NULL, 0, NULL);
	CV_CHECK_INT(h, 12);
	memset(buf + h, 0xab, 20);
	uint8_t *p = heap_copy(buf, h + 20);
	cvl_rtp r;
	CV_CHECK(cvl_rtp_parse(p, h + 20, &r));
	CV_CHECK_INT(r.pt, 111);
	CV_CHECK(r.marker);
	CV_CHECK_INT(r.seq, 0xfffe);
	CV_CHECK_INT(r.ts, 0x01020304);
	CV_CHECK_INT(r.ssrc, 0xa0b0c0d0);
	CV_CHECK_INT(r.payload_len, 20);
	CV_CHECK(r.payload == p + 12);
	CV_CHECK(r.ext_block == NULL);
	const uint8_t *v;
	size_t vlen;
	CV_CHECK(!cvl_rtp_ext(&r, 4, &v, &vlen));
	CV_CHECK(!cvl_is_rtcp(p, h + 20));
	free(p);
	/* too small a buffer */
	CV_CHECK_INT(cvl_rtp_write(buf, 11, 0, false, 0, 0, 0, 0, NULL, 0, NULL), 0);
}

static void test_rtp_extensions(void) {
	uint8_t buf[200];
	size_t h = cvl_rtp_write(buf, sizeof(buf), 96, false, 7, 8, 9, 4, "1", 10, "h");
	CV_CHECK_INT(h % 4, 0);
	CV_CHECK_INT(h, 12 + 4 + 4);	/* two elements of 2 bytes */
	memset(buf + h, 0x55, 10);
	uint8_t *p = heap_copy(buf, h + 10);
	cvl_rtp r;
	CV_CHECK(cvl_rtp_parse(p, h + 10, &r));
	CV_CHECK_INT(r.payload_len, 10);
	const uint8_t *v;
	size_t vlen;
	CV_CHECK(cvl_rtp_ext(&r, 4, &v, &vlen) && vlen == 1 && v[0] == '1');
	CV_CHECK(cvl_rtp_ext(&r, 10, &v, &vlen) && vlen == 1 && v[0] == 'h');
	CV_CHECK(!cvl_rtp_ext(&r, 5, &v, &vlen));
	/* the SFU reads the same */
	cv_rtp_header sh;
	CV_CHECK(cv_rtp_parse(p, h + 10, &sh));
	CV_CHECK_INT(sh.header_len, h);
	CV_CHECK(cv_rtp_extension(p, h + 10, 10, &v, &vlen) && vlen == 1 && v[0] == 'h');
	CV_CHECK(cv_rtp_extension(p, h + 10, 4, &v, &vlen) && vlen == 1 && v[0] == '1');
	free(p);
	/* long values: 16 bytes at most each, ids out of range skipped */
	h = cvl_rtp_write(buf, sizeof(buf), 96, false, 7, 8, 9, 1, "0123456789abcdefXYZ", 15, "x");
	CV_CHECK_INT(h, 12 + 4 + 20);
	p = heap_copy(buf, h);
	CV_CHECK(cvl_rtp_parse(p, h, &r));
	CV_CHECK(cvl_rtp_ext(&r, 1, &v, &vlen) && vlen == 16 && memcmp(v, "0123456789abcdef", 16) == 0);
	CV_CHECK_INT(r.payload_len, 0);
	free(p);
}

static void test_rtp_malformed(void) {
	cvl_rtp r;
	uint8_t pkt[40];
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80;
	uint8_t *p = heap_copy(pkt, 11);
	CV_CHECK(!cvl_rtp_parse(p, 11, &r));
	free(p);
	pkt[0] = 0x40;	/* version 1 */
	p = heap_copy(pkt, 20);
	CV_CHECK(!cvl_rtp_parse(p, 20, &r));
	free(p);
	pkt[0] = 0x8f;	/* 15 CSRCs, not there */
	p = heap_copy(pkt, 20);
	CV_CHECK(!cvl_rtp_parse(p, 20, &r));
	free(p);
	pkt[0] = 0x90;	/* extension longer than the packet */
	pkt[12] = 0xbe;
	pkt[13] = 0xde;
	pkt[15] = 9;
	p = heap_copy(pkt, 20);
	CV_CHECK(!cvl_rtp_parse(p, 20, &r));
	free(p);
	pkt[0] = 0xa0;	/* padding: last byte says 8 */
	pkt[19] = 8;
	p = heap_copy(pkt, 20);
	CV_CHECK(cvl_rtp_parse(p, 20, &r) && r.payload_len == 0);
	free(p);
	pkt[19] = 9;	/* more padding than payload */
	p = heap_copy(pkt, 20);
	CV_CHECK(!cvl_rtp_parse(p, 20, &r));
	free(p);
	pkt[19] = 0;	/* zero padding is invalid */
	p = heap_copy(pkt, 20);
	CV_CHECK(!cvl_rtp_parse(p, 20, &r));
	free(p);
}

typedef struct seen {
	int sr, pli, fir;
	uint32_t last_media, last_ssrc, ntp_mid;
} seen;

static void collect(void *user, const cvl_rtcp_item *item) {
	seen *s = user;
	if(item->kind == CVL_RTCP_SR) {
		s->sr++;
		s->ntp_mid = item->ntp_mid;
	} else if(item->kind == CVL_RTCP_PLI) {
		s->pli++;
	} else {
		s->fir++;
	}
	s->last_media = item->media_ssrc;
	s->last_ssrc = item->ssrc;
}

static void test_rtcp_reports(void) {
	uint8_t buf[1500];
	cvl_report_block b[2] = {
		{ .ssrc = 1, .fraction = 64, .cum_lost = 100000000, .ext_max_seq = 70000, .jitter = 12, .lsr = 5, .dlsr = 6 },
		{ .ssrc = 2, .cum_lost = -5 },
	};
	uint64_t ntp = 0x0102030405060708ULL;
	size_t n = cvl_rtcp_write_sr(buf, sizeof(buf), 0xabcdef01, ntp, 0x11111111, 10, 2000, b, 2);
	CV_CHECK_INT(n, 28 + 48);
	CV_CHECK_INT(buf[0], 0x82);
	CV_CHECK_INT(buf[1], 200);
	CV_CHECK_INT(((buf[2] << 8) | buf[3]) + 1, n / 4);
	CV_CHECK(cvl_is_rtcp(buf, n));
	/* the first block's cumulative loss is clamped to 24 bits */
	CV_CHECK(buf[28 + 5] == 0x7f && buf[28 + 6] == 0xff && buf[28 + 7] == 0xff);
	CV_CHECK_INT(buf[28 + 4], 64);
	/* -5 as 24-bit two's complement */
	CV_CHECK(buf[52 + 5] == 0xff && buf[52 + 6] == 0xff && buf[52 + 7] == 0xfb);
	size_t m = cvl_rtcp_write_rr(buf + n, sizeof(buf) - n, 0x99, b, 1);
	CV_CHECK_INT(m, 8 + 24);
	CV_CHECK_INT(buf[n + 1], 201);
	uint8_t *p = heap_copy(buf, n + m);
	seen s = { 0 };
	CV_CHECK_INT(cvl_rtcp_parse(p, n + m, collect, &s), 2);
	CV_CHECK_INT(s.sr, 1);
	CV_CHECK_INT(s.ntp_mid, 0x03040506);
	CV_CHECK(!cv_rtcp_wants_keyframe(p, n + m));
	free(p);
	/* limits: 31 blocks at most, small buffers refused */
	cvl_report_block many[40];
	memset(many, 0, sizeof(many));
	CV_CHECK_INT(cvl_rtcp_write_rr(buf, sizeof(buf), 1, many, 40), 8 + 31 * 24);
	CV_CHECK_INT(buf[0] & 0x1f, 31);
	CV_CHECK_INT(cvl_rtcp_write_rr(buf, 20, 1, many, 1), 0);
	CV_CHECK_INT(cvl_rtcp_write_sr(buf, 27, 1, 0, 0, 0, 0, NULL, 0), 0);
}

static void test_rtcp_feedback(void) {
	/* RR (empty) + PLI + FIR with two entries + a REMB, as a compound */
	const uint8_t pkt[] = {
		0x80, 201, 0x00, 0x01, 0, 0, 0, 1,
		0x81, 206, 0x00, 0x02, 0, 0, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd,
		0x84, 206, 0x00, 0x06, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0x11, 1, 0, 0, 0, 0, 0, 0, 0x22, 2, 0, 0, 0,
		0x8f, 206, 0x00, 0x04, 0, 0, 0, 4, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 1, 2, 3, 4,
	};
	uint8_t *p = heap_copy(pkt, sizeof(pkt));
	seen s = { 0 };
	CV_CHECK_INT(cvl_rtcp_parse(p, sizeof(pkt), collect, &s), 4);
	CV_CHECK_INT(s.pli, 1);
	CV_CHECK_INT(s.fir, 2);
	CV_CHECK_INT(s.last_media, 0x22);
	CV_CHECK(cv_rtcp_wants_keyframe(p, sizeof(pkt)));
	/* truncated: stops at the packet that does not fit */
	memset(&s, 0, sizeof(s));
	CV_CHECK_INT(cvl_rtcp_parse(p, 15, collect, &s), 1);
	CV_CHECK_INT(s.pli, 0);
	free(p);
	/* RFC 5761 demux */
	const uint8_t rtp96[8] = { 0x80, 96, 0, 0, 0, 0, 0, 0 }, rtp_m[8] = { 0x80, 0x80 | 111, 0, 0, 0, 0, 0, 0 };
	CV_CHECK(!cvl_is_rtcp(rtp96, 8));
	CV_CHECK(!cvl_is_rtcp(rtp_m, 8));
	CV_CHECK(!cvl_is_rtcp(pkt, 7));
}

static void test_ntp(void) {
	uint64_t t = cvl_ntp_from_unix_ns(0);
	CV_CHECK_INT(t >> 32, 2208988800ULL);
	CV_CHECK_INT(t & 0xffffffffULL, 0);
	t = cvl_ntp_from_unix_ns(1500000000LL);
	CV_CHECK_INT(t >> 32, 2208988801ULL);
	CV_CHECK_INT(t & 0xffffffffULL, 0x80000000ULL);
}

int main(void) {
	CV_RUN(test_rtp_plain);
	CV_RUN(test_rtp_extensions);
	CV_RUN(test_rtp_malformed);
	CV_RUN(test_rtcp_reports);
	CV_RUN(test_rtcp_feedback);
	CV_RUN(test_ntp);
	return cv_test_done();
}
