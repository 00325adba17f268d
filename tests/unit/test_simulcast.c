/*
 * test_simulcast.c - unit tests for src/cv_simulcast.c (one layer per
 * receiver) and cv_rtp_extension (reading the rid header extension).
 */
#include <stdlib.h>
#include <string.h>

#include "cv_rtp.h"
#include "cv_simulcast.h"
#include "cv_test.h"

#define MS 1000LL

/* An RTP packet with one one-byte header extension (id, value). */
static size_t packet_with_rid(uint8_t *buf, uint32_t ssrc, int id, const char *rid) {
	size_t n = strlen(rid);
	memset(buf, 0, 64);
	buf[0] = 0x90;	/* V=2, X=1 */
	buf[1] = 96;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	size_t words = (1 + n + 3) / 4;
	buf[12] = 0xBE;
	buf[13] = 0xDE;
	buf[14] = 0;
	buf[15] = (uint8_t)words;
	buf[16] = (uint8_t)((id << 4) | (n - 1));
	memcpy(buf + 17, rid, n);
	size_t len = 16 + 4 * words;
	buf[len] = 0x10;	/* a payload byte */
	return len + 1;
}

static void test_layer_names(void) {
	CV_CHECK_INT(cv_layer_parse("l"), 0);
	CV_CHECK_INT(cv_layer_parse("m"), 1);
	CV_CHECK_INT(cv_layer_parse("h"), 2);
	CV_CHECK_INT(cv_layer_parse("auto"), CV_LAYER_AUTO);
	CV_CHECK_INT(cv_layer_parse("H"), CV_LAYER_INVALID);
	CV_CHECK_INT(cv_layer_parse(""), CV_LAYER_INVALID);
	CV_CHECK_INT(cv_layer_parse(NULL), CV_LAYER_INVALID);
	CV_CHECK_STR(cv_layer_name(0), "l");
	CV_CHECK_STR(cv_layer_name(2), "h");
	CV_CHECK_STR(cv_layer_name(CV_LAYER_AUTO), "auto");
}

static void test_extension_one_byte_and_two_byte(void) {
	uint8_t buf[64];
	size_t len = packet_with_rid(buf, 1, 4, "m");
	const uint8_t *v = NULL;
	size_t vlen = 0;
	CV_CHECK(cv_rtp_extension(buf, len, 4, &v, &vlen));
	CV_CHECK_INT(vlen, 1);
	CV_CHECK(v != NULL && v[0] == 'm');
	CV_CHECK(!cv_rtp_extension(buf, len, 5, &v, &vlen));
	/* two-byte form: profile 0x1000, id 20, length 2 */
	uint8_t b2[32] = { 0x90, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0x00, 0, 1, 20, 2, 'h', 'i' };
	CV_CHECK(cv_rtp_extension(b2, 20, 20, &v, &vlen));
	CV_CHECK_INT(vlen, 2);
	CV_CHECK(memcmp(v, "hi", 2) == 0);
	/* no X bit, truncated extension, length beyond the packet */
	b2[0] = 0x80;
	CV_CHECK(!cv_rtp_extension(b2, 20, 20, &v, &vlen));
	b2[0] = 0x90;
	CV_CHECK(!cv_rtp_extension(b2, 14, 20, &v, &vlen));
	b2[15] = 9;
	CV_CHECK(!cv_rtp_extension(b2, 20, 20, &v, &vlen));
	/* a one-byte element running past the block, and id 15 (stop) */
	len = packet_with_rid(buf, 1, 4, "abc");
	buf[16] = (uint8_t)((4 << 4) | 9);
	CV_CHECK(!cv_rtp_extension(buf, len, 4, &v, &vlen));
	buf[16] = 0xF0;
	CV_CHECK(!cv_rtp_extension(buf, len, 4, &v, &vlen));
}

static void test_source_rids_by_name_and_position(void) {
	cv_simulcast_source s;
	const char *hml[] = { "l", "h", "m" };	/* names win over positions */
	cv_simulcast_source_init(&s, hml, 3, 4, NULL, 0);
	CV_CHECK_STR(s.rid[0], "l");
	CV_CHECK_STR(s.rid[1], "m");
	CV_CHECK_STR(s.rid[2], "h");
	CV_CHECK_INT(s.rid_ext_id, 4);
	const char *other[] = { "f", "h2", "q" };	/* highest first */
	cv_simulcast_source_init(&s, other, 3, 4, NULL, 0);
	CV_CHECK_STR(s.rid[2], "f");
	CV_CHECK_STR(s.rid[1], "h2");
	CV_CHECK_STR(s.rid[0], "q");
	const char *two[] = { "hi", "lo" };
	cv_simulcast_source_init(&s, two, 2, 4, NULL, 0);
	CV_CHECK_STR(s.rid[1], "hi");
	CV_CHECK_STR(s.rid[0], "lo");
	CV_CHECK_STR(s.rid[2], "");
}

static void test_layer_learnt_from_rid_then_ssrc(void) {
	cv_simulcast_source s;
	const char *rids[] = { "h", "m", "l" };
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	uint8_t buf[64];
	size_t len = packet_with_rid(buf, 1111, 4, "m");
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, len, 1111), 1);
	CV_CHECK_INT(s.ssrc[1], 1111);
	/* later packets without the extension are known by SSRC */
	buf[0] = 0x80;
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, 13, 1111), 1);
	/* unknown rid, unknown SSRC without extension */
	len = packet_with_rid(buf, 2222, 4, "x");
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, len, 2222), -1);
	buf[0] = 0x80;
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, 13, 3333), -1);
}

static void test_ssrc_based(void) {
	cv_simulcast_source s;
	uint32_t ssrcs[] = { 10, 20, 30 };
	cv_simulcast_source_init(&s, NULL, 0, 0, ssrcs, 3);
	uint8_t buf[16] = { 0x80 };
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, 13, 10), 0);
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, 13, 30), 2);
	CV_CHECK_INT(cv_simulcast_layer(&s, buf, 13, 40), -1);
}

static void test_activity_and_target(void) {
	cv_simulcast_source s;
	const char *rids[] = { "h", "m", "l" };
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	int64_t t = 10000 * MS;
	CV_CHECK_INT(cv_simulcast_target(&s, CV_LAYER_AUTO, t), -1);
	cv_simulcast_seen(&s, 0, t);
	cv_simulcast_seen(&s, 1, t);
	CV_CHECK_INT(cv_simulcast_target(&s, CV_LAYER_AUTO, t), 1);	/* h is not flowing */
	cv_simulcast_seen(&s, 2, t);
	CV_CHECK_INT(cv_simulcast_target(&s, CV_LAYER_AUTO, t), 2);
	CV_CHECK_INT(cv_simulcast_target(&s, 0, t), 0);
	/* h goes quiet: auto and a pin on h fall to m; a pin on l stays */
	cv_simulcast_seen(&s, 0, t + 600 * MS);
	cv_simulcast_seen(&s, 1, t + 600 * MS);
	CV_CHECK(!cv_simulcast_active(&s, 2, t + 600 * MS));
	CV_CHECK(cv_simulcast_active(&s, 2, t + CV_SIMULCAST_ACTIVE_US));
	CV_CHECK_INT(cv_simulcast_target(&s, CV_LAYER_AUTO, t + 600 * MS), 1);
	CV_CHECK_INT(cv_simulcast_target(&s, 2, t + 600 * MS), 1);
	CV_CHECK_INT(cv_simulcast_target(&s, 0, t + 600 * MS), 0);
	/* only h flows: a pin on l goes up to it */
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	cv_simulcast_seen(&s, 2, t);
	CV_CHECK_INT(cv_simulcast_target(&s, 0, t), 2);
	CV_CHECK(!cv_simulcast_active(&s, -1, t));
	CV_CHECK(!cv_simulcast_active(&s, 3, t));
}

/* Feeds one packet of `layer` (seen now) and routes it. */
static cv_simulcast_decision feed(cv_simulcast_source *s, cv_simulcast_receiver *r, int pref, int layer, bool key, int64_t now) {
	cv_simulcast_seen(s, layer, now);
	return cv_simulcast_route(r, s, pref, layer, key, now);
}

static void test_route_starts_on_a_keyframe_of_the_target(void) {
	cv_simulcast_source s;
	const char *rids[] = { "h", "m", "l" };
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	cv_simulcast_receiver r;
	cv_simulcast_receiver_init(&r);
	int64_t t = 1000 * MS;
	feed(&s, &r, CV_LAYER_AUTO, 0, false, t);
	feed(&s, &r, CV_LAYER_AUTO, 1, false, t);
	cv_simulcast_decision d = feed(&s, &r, CV_LAYER_AUTO, 2, false, t);
	CV_CHECK(!d.forward);
	CV_CHECK(d.need_keyframe);	/* nothing to show yet */
	d = feed(&s, &r, CV_LAYER_AUTO, 1, true, t + MS);	/* a keyframe, but not of the target */
	CV_CHECK(!d.forward);
	d = feed(&s, &r, CV_LAYER_AUTO, 2, true, t + 2 * MS);
	CV_CHECK(d.forward && d.switched);
	CV_CHECK_INT(r.current, 2);
	d = feed(&s, &r, CV_LAYER_AUTO, 2, false, t + 3 * MS);
	CV_CHECK(d.forward && !d.switched && !d.need_keyframe);
	d = feed(&s, &r, CV_LAYER_AUTO, 0, false, t + 3 * MS);
	CV_CHECK(!d.forward);
}

static void test_route_pin_switches_on_keyframe_and_keeps_current_meanwhile(void) {
	cv_simulcast_source s;
	const char *rids[] = { "h", "m", "l" };
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	cv_simulcast_receiver r;
	cv_simulcast_receiver_init(&r);
	int64_t t = 1000 * MS;
	feed(&s, &r, 2, 0, false, t);
	feed(&s, &r, 2, 2, true, t);
	CV_CHECK_INT(r.current, 2);
	/* pin l: h keeps flowing until l's keyframe */
	cv_simulcast_decision d = feed(&s, &r, 0, 2, false, t + MS);
	CV_CHECK(d.forward);
	d = feed(&s, &r, 0, 0, false, t + 2 * MS);
	CV_CHECK(!d.forward && d.need_keyframe);
	d = feed(&s, &r, 0, 0, true, t + 3 * MS);
	CV_CHECK(d.forward && d.switched);
	d = feed(&s, &r, 0, 2, false, t + 4 * MS);
	CV_CHECK(!d.forward);
}

static void test_route_follows_a_layer_that_stops(void) {
	cv_simulcast_source s;
	const char *rids[] = { "h", "m", "l" };
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	cv_simulcast_receiver r;
	cv_simulcast_receiver_init(&r);
	int64_t t = 1000 * MS;
	feed(&s, &r, CV_LAYER_AUTO, 1, false, t);
	feed(&s, &r, CV_LAYER_AUTO, 2, true, t);
	CV_CHECK_INT(r.current, 2);
	/* h stops; after the activity window m is the target: wait for its keyframe */
	int64_t later = t + CV_SIMULCAST_ACTIVE_US + MS;
	cv_simulcast_decision d = feed(&s, &r, CV_LAYER_AUTO, 1, false, later);
	CV_CHECK(!d.forward && d.need_keyframe);
	d = feed(&s, &r, CV_LAYER_AUTO, 1, true, later + MS);
	CV_CHECK(d.forward && d.switched);
	CV_CHECK_INT(r.current, 1);
	/* h comes back: auto climbs back on its keyframe */
	d = feed(&s, &r, CV_LAYER_AUTO, 2, false, later + 2 * MS);
	CV_CHECK(!d.forward && d.need_keyframe);
	d = feed(&s, &r, CV_LAYER_AUTO, 1, false, later + 3 * MS);
	CV_CHECK(d.forward);	/* m keeps flowing meanwhile */
	d = feed(&s, &r, CV_LAYER_AUTO, 2, true, later + 4 * MS);
	CV_CHECK(d.forward && d.switched);
}

static void test_route_ignores_bad_layers(void) {
	cv_simulcast_source s;
	const char *rids[] = { "h", "m", "l" };
	cv_simulcast_source_init(&s, rids, 3, 4, NULL, 0);
	cv_simulcast_receiver r;
	cv_simulcast_receiver_init(&r);
	cv_simulcast_decision d = cv_simulcast_route(&r, &s, CV_LAYER_AUTO, -1, true, 1);
	CV_CHECK(!d.forward && !d.switched && !d.need_keyframe);
	d = cv_simulcast_route(&r, &s, CV_LAYER_AUTO, 3, true, 1);
	CV_CHECK(!d.forward);
}

int main(void) {
	CV_RUN(test_layer_names);
	CV_RUN(test_extension_one_byte_and_two_byte);
	CV_RUN(test_source_rids_by_name_and_position);
	CV_RUN(test_layer_learnt_from_rid_then_ssrc);
	CV_RUN(test_ssrc_based);
	CV_RUN(test_activity_and_target);
	CV_RUN(test_route_starts_on_a_keyframe_of_the_target);
	CV_RUN(test_route_pin_switches_on_keyframe_and_keeps_current_meanwhile);
	CV_RUN(test_route_follows_a_layer_that_stops);
	CV_RUN(test_route_ignores_bad_layers);
	return cv_test_done();
}
