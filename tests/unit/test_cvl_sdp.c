/*
 * test_cvl_sdp.c - unit tests for tools/cvload/sdp.c: parsing what Janus
 * writes (an answer with candidates, simulcast recv, ssrcs), the writer's
 * round trip, and tolerance of odd input (CRLF/LF, unknown and over-long
 * lines, limits) under AddressSanitizer.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cv_test.h"
#include "sdp.h"

/* An answer as Janus 1.1 writes one for a simulcast publisher (trimmed). */
static const char *janus_answer =
	"v=0\r\n"
	"o=- 1732400000 2 IN IP4 10.77.0.1\r\n"
	"s=VideoRoom 1234\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 AA:BB:CC:DD\r\n"
	"a=msid-semantic: WMS janus\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
	"c=IN IP4 10.77.0.1\r\n"
	"a=recvonly\r\n"
	"a=mid:0\r\n"
	"a=rtcp-mux\r\n"
	"a=ice-ufrag:Xy12\r\n"
	"a=ice-pwd:secretsecretsecret\r\n"
	"a=ice-options:trickle\r\n"
	"a=setup:active\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=fmtp:111 useinbandfec=1\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=candidate:1 1 udp 2015363327 10.77.0.1 20123 typ host\r\n"
	"a=end-of-candidates\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
	"c=IN IP4 10.77.0.1\r\n"
	"a=recvonly\r\n"
	"a=mid:1\r\n"
	"a=rtcp-mux\r\n"
	"a=ice-ufrag:Xy12\r\n"
	"a=ice-pwd:secretsecretsecret\r\n"
	"a=setup:active\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtcp-fb:96 ccm fir\r\n"
	"a=rtcp-fb:96 nack\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtcp-fb:* transport-cc\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=extmap:10/recvonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
	"a=rid:h recv\r\n"
	"a=rid:m recv\r\n"
	"a=rid:l recv\r\n"
	"a=simulcast:recv h;m;l\r\n"
	"a=ssrc:1111 cname:janus\r\n"
	"a=ssrc:1111 msid:janus janusv0\r\n"
	"a=ssrc:2222 cname:janus\r\n";

static void test_parse_janus_answer(void) {
	cvl_sdp s;
	CV_CHECK(cvl_sdp_parse(janus_answer, &s));
	CV_CHECK_INT(s.session_id, 1732400000);
	CV_CHECK_INT(s.version, 2);
	CV_CHECK_STR(s.bundle, "0 1");
	CV_CHECK_STR(s.fp_hash, "sha-256");
	CV_CHECK_STR(s.fp_value, "AA:BB:CC:DD");
	CV_CHECK_INT(s.n_media, 2);
	const cvl_sdp_media *a = &s.media[0], *v = &s.media[1];
	CV_CHECK_INT(a->kind, CVL_KIND_AUDIO);
	CV_CHECK_STR(a->mid, "0");
	CV_CHECK_INT(a->dir, CVL_DIR_RECVONLY);
	CV_CHECK(a->has_dir && a->rtcp_mux);
	CV_CHECK_INT(a->port, 9);
	CV_CHECK_STR(a->proto, "UDP/TLS/RTP/SAVPF");
	CV_CHECK_INT(a->n_codecs, 1);
	CV_CHECK_STR(a->codecs[0].name, "opus");
	CV_CHECK_INT(a->codecs[0].clock, 48000);
	CV_CHECK_INT(a->codecs[0].channels, 2);
	CV_CHECK_STR(a->codecs[0].fmtp, "useinbandfec=1");
	CV_CHECK_STR(cvl_sdp_ufrag(&s, a), "Xy12");
	CV_CHECK_STR(cvl_sdp_pwd(&s, a), "secretsecretsecret");
	CV_CHECK_STR(cvl_sdp_setup(&s, a), "active");
	/* fingerprint only at session level: the fallback */
	CV_CHECK_STR(cvl_sdp_fp_value(&s, a), "AA:BB:CC:DD");
	CV_CHECK_INT(a->n_candidates, 1);
	CV_CHECK_STR(a->candidates[0], "candidate:1 1 udp 2015363327 10.77.0.1 20123 typ host");
	CV_CHECK(a->end_of_candidates);
	CV_CHECK_INT(cvl_sdp_extmap_id(a, CVL_URI_MID), 4);
	CV_CHECK_INT(cvl_sdp_extmap_id(a, CVL_URI_RID), 0);
	/* video */
	CV_CHECK_INT(v->kind, CVL_KIND_VIDEO);
	CV_CHECK_INT(v->n_codecs, 2);
	const cvl_sdp_codec *vp8 = cvl_sdp_find_codec(v, "vp8");
	CV_CHECK(vp8 != NULL && vp8->pt == 96 && vp8->clock == 90000 && vp8->channels == 0);
	CV_CHECK(cvl_sdp_find_codec(v, "H264") == NULL);
	CV_CHECK_STR(cvl_sdp_find_codec(v, "rtx")->fmtp, "apt=96");
	CV_CHECK_INT(v->n_fbs, 4);
	CV_CHECK_INT(v->fbs[3].pt, -1);
	CV_CHECK_STR(v->fbs[3].value, "transport-cc");
	CV_CHECK_STR(v->fbs[2].value, "nack pli");
	CV_CHECK_INT(cvl_sdp_extmap_id(v, CVL_URI_RID), 10);	/* "10/recvonly" */
	CV_CHECK_INT(v->n_rids, 3);
	CV_CHECK(!v->rids[0].send && strcmp(v->rids[2].id, "l") == 0);
	CV_CHECK_STR(v->simulcast, "recv h;m;l");
	CV_CHECK_INT(v->n_ssrcs, 2);
	CV_CHECK_INT(v->ssrcs[0], 1111);
	CV_CHECK_INT(v->ssrcs[1], 2222);
	CV_CHECK_STR(v->cname, "janus");
	CV_CHECK(cvl_sdp_find_mid(&s, "1") == v);
	CV_CHECK(cvl_sdp_find_mid(&s, "2") == NULL);
	cvl_sdp_free(&s);
}

/* A description with everything the writer knows, built by hand. */
static void build_full(cvl_sdp *s) {
	memset(s, 0, sizeof(*s));
	s->session_id = 42;
	s->version = 7;
	s->bundle = g_strdup("0 1");
	cvl_sdp_media *a = cvl_sdp_add_media(s, CVL_KIND_AUDIO);
	a->port = 9;
	strcpy(a->proto, "UDP/TLS/RTP/SAVPF");
	strcpy(a->mid, "0");
	a->has_dir = true;
	a->dir = CVL_DIR_SENDONLY;
	a->rtcp_mux = a->rtcp_rsize = true;
	a->codecs[0] = (cvl_sdp_codec){ .pt = 111, .name = "opus", .clock = 48000, .channels = 2, .fmtp = "minptime=10" };
	a->n_codecs = 1;
	a->extmaps[0] = (cvl_sdp_extmap){ .id = 4, .uri = CVL_URI_MID };
	a->n_extmaps = 1;
	strcpy(a->msid_stream, "alice");
	strcpy(a->msid_track, "alice-audio");
	a->ssrcs[0] = 4000000000u;
	a->n_ssrcs = 1;
	strcpy(a->cname, "alice");
	strcpy(a->ufrag, "uf");
	strcpy(a->pwd, "pwpwpwpwpwpwpwpwpwpwpwpw");
	strcpy(a->fp_hash, "sha-256");
	strcpy(a->fp_value, "01:02");
	strcpy(a->setup, "actpass");
	cvl_sdp_media_add_candidate(a, "candidate:1 1 UDP 2013266431 10.77.0.2 40000 typ host");
	a->end_of_candidates = true;
	cvl_sdp_media *v = cvl_sdp_add_media(s, CVL_KIND_VIDEO);
	v->port = 9;
	strcpy(v->proto, "UDP/TLS/RTP/SAVPF");
	strcpy(v->mid, "1");
	v->has_dir = true;
	v->dir = CVL_DIR_SENDONLY;
	v->rtcp_mux = true;
	v->codecs[0] = (cvl_sdp_codec){ .pt = 96, .name = "VP8", .clock = 90000 };
	v->n_codecs = 1;
	v->fbs[0] = (cvl_sdp_fb){ .pt = 96, .value = "nack pli" };
	v->fbs[1] = (cvl_sdp_fb){ .pt = 96, .value = "ccm fir" };
	v->n_fbs = 2;
	v->extmaps[0] = (cvl_sdp_extmap){ .id = 4, .uri = CVL_URI_MID };
	v->extmaps[1] = (cvl_sdp_extmap){ .id = 10, .uri = CVL_URI_RID };
	v->n_extmaps = 2;
	const char *rids[] = { "h", "m", "l" };
	for(int i = 0; i < 3; i++) {
		strcpy(v->rids[i].id, rids[i]);
		v->rids[i].send = true;
	}
	v->n_rids = 3;
	strcpy(v->simulcast, "send h;m;l");
	strcpy(v->ufrag, "uf");
	strcpy(v->pwd, "pwpwpwpwpwpwpwpwpwpwpwpw");
	strcpy(v->fp_hash, "sha-256");
	strcpy(v->fp_value, "01:02");
	strcpy(v->setup, "actpass");
	cvl_sdp_media *d = cvl_sdp_add_media(s, CVL_KIND_APPLICATION);
	d->port = 0;
	strcpy(d->proto, "UDP/DTLS/SCTP");
	strcpy(d->fmt, "webrtc-datachannel");
	strcpy(d->mid, "2");
}

static void test_round_trip(void) {
	cvl_sdp s, back;
	build_full(&s);
	char *text = cvl_sdp_write(&s);
	CV_CHECK(strstr(text, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n") != NULL);
	CV_CHECK(strstr(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
	CV_CHECK(strstr(text, "a=ssrc:4000000000 cname:alice\r\n") != NULL);
	CV_CHECK(strstr(text, "a=ssrc:4000000000 msid:alice alice-audio\r\n") != NULL);
	CV_CHECK(strstr(text, "a=candidate:1 1 UDP 2013266431 10.77.0.2 40000 typ host\r\n") != NULL);
	CV_CHECK(strstr(text, "a=group:BUNDLE 0 1\r\n") != NULL);
	CV_CHECK(cvl_sdp_parse(text, &back));
	CV_CHECK_INT(back.session_id, 42);
	CV_CHECK_INT(back.version, 7);
	CV_CHECK_INT(back.n_media, 3);
	for(size_t i = 0; i < 3 && i < back.n_media; i++) {
		const cvl_sdp_media *x = &s.media[i], *y = &back.media[i];
		CV_CHECK_INT(x->kind, y->kind);
		CV_CHECK_INT(x->port, y->port);
		CV_CHECK_STR(x->proto, y->proto);
		CV_CHECK_STR(x->fmt, y->fmt);
		CV_CHECK_STR(x->mid, y->mid);
		CV_CHECK_INT(x->dir, y->dir);
		CV_CHECK_INT(x->has_dir, y->has_dir);
		CV_CHECK_INT(x->rtcp_mux, y->rtcp_mux);
		CV_CHECK_INT(x->rtcp_rsize, y->rtcp_rsize);
		CV_CHECK_INT(x->n_codecs, y->n_codecs);
		CV_CHECK(memcmp(x->codecs, y->codecs, sizeof(x->codecs)) == 0);
		CV_CHECK_INT(x->n_fbs, y->n_fbs);
		CV_CHECK(memcmp(x->fbs, y->fbs, sizeof(x->fbs)) == 0);
		CV_CHECK_INT(x->n_extmaps, y->n_extmaps);
		CV_CHECK(memcmp(x->extmaps, y->extmaps, sizeof(x->extmaps)) == 0);
		CV_CHECK_INT(x->n_rids, y->n_rids);
		CV_CHECK(memcmp(x->rids, y->rids, sizeof(x->rids)) == 0);
		CV_CHECK_STR(x->simulcast, y->simulcast);
		CV_CHECK_INT(x->n_ssrcs, y->n_ssrcs);
		CV_CHECK(memcmp(x->ssrcs, y->ssrcs, sizeof(x->ssrcs)) == 0);
		CV_CHECK_STR(x->cname, y->cname);
		CV_CHECK_STR(x->msid_stream, y->msid_stream);
		CV_CHECK_STR(x->msid_track, y->msid_track);
		CV_CHECK_STR(x->ufrag, y->ufrag);
		CV_CHECK_STR(x->pwd, y->pwd);
		CV_CHECK_STR(x->fp_value, y->fp_value);
		CV_CHECK_STR(x->setup, y->setup);
		CV_CHECK_INT(x->n_candidates, y->n_candidates);
		CV_CHECK_INT(x->end_of_candidates, y->end_of_candidates);
	}
	/* writing the parsed copy gives the same text */
	char *again = cvl_sdp_write(&back);
	CV_CHECK_STR(text, again);
	g_free(again);
	g_free(text);
	cvl_sdp_free(&back);
	cvl_sdp_free(&s);
}

static void test_odd_input(void) {
	cvl_sdp s;
	CV_CHECK(!cvl_sdp_parse(NULL, &s));
	CV_CHECK(!cvl_sdp_parse("", &s));
	CV_CHECK(!cvl_sdp_parse("m=audio 9 RTP/AVP 0\n", &s));	/* no v= first */
	CV_CHECK(!cvl_sdp_parse("v=0\nm=audio x RTP/AVP 0\n", &s));
	CV_CHECK(!cvl_sdp_parse("v=0\nm=\n", &s));
	/* LF only, unknown lines, attributes without values, junk PTs */
	CV_CHECK(cvl_sdp_parse("v=0\nx\n=\na\nb=AS:30\nm=video 0 RTP/SAVPF 96 abc 300 -1 96\n"
		"a=rtpmap:96\na=rtpmap:99 H264/90000\na=fmtp:\na=rtcp-fb:96\na=extmap:0 x\na=extmap:z y\n"
		"a=ssrc:notanumber cname:x\na=ssrc:99999999999 cname:y\na=rid:q sideways\na=mid\n", &s));
	CV_CHECK_INT(s.n_media, 1);
	CV_CHECK_INT(s.media[0].port, 0);
	CV_CHECK_INT(s.media[0].n_codecs, 1);		/* 96 once; abc, 300, -1 dropped */
	CV_CHECK_STR(s.media[0].codecs[0].name, "");
	CV_CHECK_INT(s.media[0].n_fbs, 0);
	CV_CHECK_INT(s.media[0].n_extmaps, 0);
	CV_CHECK_INT(s.media[0].n_ssrcs, 0);
	CV_CHECK_INT(s.media[0].n_rids, 0);
	CV_CHECK(!s.media[0].has_dir);
	cvl_sdp_free(&s);
	/* over-long values are truncated, limits respected */
	GString *g = g_string_new("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF");
	for(int pt = 0; pt < 40; pt++)
		g_string_append_printf(g, " %d", 96 + pt % 32);
	g_string_append(g, "\r\na=mid:");
	for(int i = 0; i < 500; i++)
		g_string_append_c(g, 'm');
	g_string_append(g, "\r\na=ice-ufrag:");
	for(int i = 0; i < 500; i++)
		g_string_append_c(g, 'u');
	g_string_append(g, "\r\n");
	for(int i = 0; i < 40; i++)
		g_string_append_printf(g, "a=extmap:%d urn:x:%d\r\na=rtcp-fb:96 nack\r\na=rid:r%d send\r\na=ssrc:%d cname:c\r\n", i + 1, i, i, i + 1);
	CV_CHECK(cvl_sdp_parse(g->str, &s));
	CV_CHECK_INT(s.media[0].n_codecs, CVL_SDP_MAX_CODECS);
	CV_CHECK_INT(strlen(s.media[0].mid), CVL_SDP_TOKEN - 1);
	CV_CHECK_INT(strlen(s.media[0].ufrag), CVL_SDP_TOKEN - 1);
	CV_CHECK_INT(s.media[0].n_extmaps, CVL_SDP_MAX_EXTMAPS);
	CV_CHECK_INT(s.media[0].n_fbs, CVL_SDP_MAX_FB);
	CV_CHECK_INT(s.media[0].n_rids, CVL_SDP_MAX_RIDS);
	CV_CHECK_INT(s.media[0].n_ssrcs, CVL_SDP_MAX_SSRCS);
	char *out = cvl_sdp_write(&s);
	CV_CHECK(out != NULL && strncmp(out, "v=0\r\n", 5) == 0);
	g_free(out);
	cvl_sdp_free(&s);
	g_string_free(g, TRUE);
}

static void test_directions(void) {
	CV_CHECK_INT(cvl_dir_reverse(CVL_DIR_SENDONLY), CVL_DIR_RECVONLY);
	CV_CHECK_INT(cvl_dir_reverse(CVL_DIR_RECVONLY), CVL_DIR_SENDONLY);
	CV_CHECK_INT(cvl_dir_reverse(CVL_DIR_SENDRECV), CVL_DIR_SENDRECV);
	CV_CHECK_INT(cvl_dir_reverse(CVL_DIR_INACTIVE), CVL_DIR_INACTIVE);
	CV_CHECK_INT(cvl_dir_make(true, true), CVL_DIR_SENDRECV);
	CV_CHECK_INT(cvl_dir_make(true, false), CVL_DIR_SENDONLY);
	CV_CHECK_INT(cvl_dir_make(false, true), CVL_DIR_RECVONLY);
	CV_CHECK_INT(cvl_dir_make(false, false), CVL_DIR_INACTIVE);
	CV_CHECK(cvl_dir_sends(CVL_DIR_SENDRECV) && cvl_dir_recvs(CVL_DIR_SENDRECV));
	CV_CHECK(!cvl_dir_sends(CVL_DIR_RECVONLY) && !cvl_dir_recvs(CVL_DIR_SENDONLY));
	CV_CHECK_STR(cvl_dir_name(CVL_DIR_INACTIVE), "inactive");
	cvl_sdp s;
	CV_CHECK(cvl_sdp_parse("v=0\na=sendonly\nm=audio 9 RTP/AVP 0\na=sendrecv\nm=audio 9 RTP/AVP 0\na=inactive\n"
		"m=video 9 RTP/AVP 96\na=sendonly\nm=video 9 RTP/AVP 96\na=recvonly\n", &s));
	CV_CHECK_INT(s.n_media, 4);
	CV_CHECK_INT(s.media[0].dir, CVL_DIR_SENDRECV);
	CV_CHECK_INT(s.media[1].dir, CVL_DIR_INACTIVE);
	CV_CHECK_INT(s.media[2].dir, CVL_DIR_SENDONLY);
	CV_CHECK_INT(s.media[3].dir, CVL_DIR_RECVONLY);
	cvl_sdp_free(&s);
}

int main(void) {
	CV_RUN(test_parse_janus_answer);
	CV_RUN(test_round_trip);
	CV_RUN(test_odd_input);
	CV_RUN(test_directions);
	return cv_test_done();
}
