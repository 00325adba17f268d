/*
 * test_sdp_check.c - unit tests for src/cv_sdp_check.c (structural checks
 * of client SDP and ICE candidates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_sdp_check.h"
#include "cv_slots.h"
#include "cv_test.h"

#define HEAD "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define FP "a=fingerprint:sha-256 " \
	"2D:7A:07:3F:6E:FB:60:95:2A:3B:BB:BD:5E:18:3E:19:A2:B6:D6:E9:96:54:C1:53:8D:63:0E:33:F5:1D:EE:4B\r\n"

/* A browser-like offer (Chrome's shape, shortened). */
static const char *chrome_offer =
	HEAD
	"a=group:BUNDLE 0 1 2\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS stream\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:Fq6R\r\n"
	"a=ice-pwd:GeTNYj7xuYkL2fJ5Fd0cBXlp\r\n"
	"a=ice-options:trickle\r\n"
	FP
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=sendrecv\r\n"
	"a=msid:stream track-a\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=ssrc:1001 cname:x y\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=mid:1\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=rid:h send\r\n"
	"a=simulcast:send h;l\r\n"
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=mid:2\r\n"
	"a=sctp-port:5000\r\n";

static bool ok(const char *sdp) {
	cv_error err = { CV_OK, NULL };
	return cv_sdp_check(sdp, &err) && err.code == CV_OK;
}

/* Refused with 400, with a message containing `what`. */
static bool refused(const char *sdp, const char *what) {
	cv_error err = { CV_OK, NULL };
	if(cv_sdp_check(sdp, &err))
		return false;
	if(err.code != CV_ERR_BAD_REQUEST || err.message == NULL || strstr(err.message, what) == NULL) {
		printf("#   refused with %d \"%s\", expected \"%s\"\n", err.code, err.message ? err.message : "", what);
		return false;
	}
	return true;
}

static void test_real_sdps(void) {
	CV_CHECK(ok(chrome_offer));
	/* Firefox's session line, LF line ends, no final newline */
	CV_CHECK(ok("v=0\no=mozilla...THIS_IS_SDPARTA-99.0 123 0 IN IP4 0.0.0.0\ns=-\nt=0 0\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 109\nc=IN IP4 0.0.0.0\na=rtpmap:109 opus/48000/2"));
	/* No m= line at all (an offer with nothing in it) */
	CV_CHECK(ok(HEAD));
	CV_CHECK(ok(HEAD "a=group:BUNDLE 0\r\n"));
	/* Rejected m-lines, port ranges, tab in a value */
	CV_CHECK(ok(HEAD "m=video 0 UDP/TLS/RTP/SAVPF 0\r\nm=audio 9/2 RTP/AVP 0 8\r\n"));
	CV_CHECK(ok(HEAD "a=tool:x\ty\r\n"));
	/* Non-ASCII text (a session name) is fine */
	CV_CHECK(ok("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=caf\xc3\xa9\r\nt=0 0\r\n"));
	/* Fingerprints: the known lengths, lower case, an unknown hash */
	CV_CHECK(ok(HEAD "a=fingerprint:SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33\r\n"));
	CV_CHECK(ok(HEAD "a=fingerprint:x-hash 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\r\n"));
}

static void test_structure(void) {
	CV_CHECK(refused(NULL, "v=0"));
	CV_CHECK(refused("", "v=0"));
	CV_CHECK(refused("v=0", "v=0"));
	CV_CHECK(refused("v=1\r\n", "v=0"));
	CV_CHECK(refused("v=00\r\n", "v=0"));
	CV_CHECK(refused(" v=0\r\n", "v=0"));
	CV_CHECK(refused("garbage", "v=0"));
	CV_CHECK(refused(HEAD "hello\r\n", "<letter>=<value>"));
	CV_CHECK(refused(HEAD "A=x\r\n", "<letter>=<value>"));
	CV_CHECK(refused(HEAD "a\r\n", "<letter>=<value>"));
	CV_CHECK(refused(HEAD "\r\na=x\r\n", "empty line"));
	CV_CHECK(refused(HEAD "a=x\x01y\r\n", "control character"));
	CV_CHECK(refused(HEAD "a=x\ry\r\n", "control character"));
	CV_CHECK(refused(HEAD "a=x\x7f\r\n", "control character"));
	/* o= and s= before m= */
	CV_CHECK(refused("v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", "o= and s="));
	CV_CHECK(refused("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 RTP/AVP 0\r\ns=-\r\n", "o= and s="));
}

static void test_mlines(void) {
	CV_CHECK(refused(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF \r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111  0\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio 9\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio 65536 RTP/AVP 0\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio 99999999999999999999 RTP/AVP 0\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio -1 RTP/AVP 0\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=audio 9/ RTP/AVP 0\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m=au+dio 9 RTP/AVP 0\r\n", "m= line"));
	CV_CHECK(refused(HEAD "m= 9 RTP/AVP 0\r\n", "m= line"));
	/* At most CV_SDP_MAX_MLINES */
	size_t one = strlen("m=audio 0 RTP/AVP 0\r\n");
	size_t size = strlen(HEAD) + (CV_SDP_MAX_MLINES + 1) * one + 1;
	char *many = malloc(size);
	strcpy(many, HEAD);
	for(int i = 0; i < CV_SDP_MAX_MLINES; i++)
		strcat(many, "m=audio 0 RTP/AVP 0\r\n");
	CV_CHECK(ok(many));
	strcat(many, "m=audio 0 RTP/AVP 0\r\n");
	CV_CHECK(refused(many, "too many m= lines"));
	free(many);
	/* The server never offers more m-lines than clients may send */
	CV_CHECK_INT(CV_SDP_MAX_MLINES, CV_SLOTS_MAX);
}

static void test_fingerprints(void) {
	CV_CHECK(refused(HEAD "a=fingerprint:sha-256 2D:7A:07\r\n", "fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:sha-256 " "2D:7A:07:3F:6E:FB:60:95:2A:3B:BB:BD:5E:18:3E:19:A2:B6:D6:E9:96:54:C1:53:8D:63:0E:33:F5:1D:EE\r\n",
		"fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:sha-256 " "2D:7A:07:3F:6E:FB:60:95:2A:3B:BB:BD:5E:18:3E:19:A2:B6:D6:E9:96:54:C1:53:8D:63:0E:33:F5:1D:EE:4G\r\n",
		"fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:sha-256 " "2D7A:07:3F:6E:FB:60:95:2A:3B:BB:BD:5E:18:3E:19:A2:B6:D6:E9:96:54:C1:53:8D:63:0E:33:F5:1D:EE:4B:0\r\n",
		"fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:sha-256\r\n", "fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:sha-256  2D:7A\r\n", "fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:x-hash 00:11\r\n", "fingerprint"));
	CV_CHECK(refused(HEAD "a=fingerprint:sh@ 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\r\n", "fingerprint"));
	/* A truncated offer that ends inside its fingerprint */
	const char *fp = strstr(chrome_offer, "a=fingerprint");
	size_t cut = (size_t)(fp - chrome_offer) + 40;
	char *truncated = strndup(chrome_offer, cut);
	CV_CHECK(refused(truncated, "fingerprint"));
	free(truncated);
}

static bool cand_ok(const char *c) {
	cv_error err = { CV_OK, NULL };
	return cv_candidate_check(c, &err);
}

static bool cand_refused(const char *c) {
	cv_error err = { CV_OK, NULL };
	return !cv_candidate_check(c, &err) && err.code == CV_ERR_BAD_REQUEST && err.message != NULL;
}

static void test_candidates(void) {
	/* Chrome, Firefox, mDNS, TCP, IPv6, aiortc, with "a=" */
	CV_CHECK(cand_ok("candidate:842163049 1 udp 1677729535 1.2.3.4 46154 typ srflx raddr 0.0.0.0 rport 0 "
		"generation 0 ufrag EsAw network-id 1 network-cost 50"));
	CV_CHECK(cand_ok("candidate:0 1 UDP 2122252543 10.0.0.5 52955 typ host"));
	CV_CHECK(cand_ok("candidate:1 1 udp 2113937151 5f8c8e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6.local 54321 typ host "
		"generation 0 ufrag a+b/ network-cost 999"));
	CV_CHECK(cand_ok("candidate:3 1 tcp 1518280447 1.2.3.4 9 typ host tcptype active generation 0"));
	CV_CHECK(cand_ok("candidate:4 2 udp 2122262783 fe80::1%eth0 40000 typ host"));
	CV_CHECK(cand_ok("candidate:a+/Z 256 udp 4294967295 10.77.0.2 65535 typ relay raddr 10.0.0.1 rport 1"));
	CV_CHECK(cand_ok("a=candidate:1 1 udp 1 10.0.0.1 9 typ host"));
	/* Garbage */
	CV_CHECK(cand_refused(NULL));
	CV_CHECK(cand_refused(""));
	CV_CHECK(cand_refused("garbage"));
	CV_CHECK(cand_refused("candidate:"));
	CV_CHECK(cand_refused("candidate:1"));
	CV_CHECK(cand_refused("candidate:1 1 udp"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 typ"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 type host"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 70000 typ host"));
	CV_CHECK(cand_refused("candidate:1 0 udp 1 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("candidate:1 257 udp 1 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("candidate:1 x udp 1 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("candidate:1 1 udp x 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("candidate:1 1 udp 4294967296 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 typ host generation"));
	CV_CHECK(cand_refused("candidate:1  1 udp 1 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 typ host "));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=inject:1"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 typ host\x7f"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4 5 typ h\xc3\xa9st"));
	CV_CHECK(cand_refused("candidate:1 1 udp 1 1.2.3.4/8 5 typ host"));
	CV_CHECK(cand_refused("candidate:f@o 1 udp 1 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("Candidate:1 1 udp 1 1.2.3.4 5 typ host"));
	CV_CHECK(cand_refused("a=end-of-candidates"));
	/* Lengths: foundation over 32, address over 255, the whole over 512 */
	char buf[1024];
	snprintf(buf, sizeof(buf), "candidate:%s 1 udp 1 1.2.3.4 5 typ host", "123456789012345678901234567890123");
	CV_CHECK(cand_refused(buf));
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "candidate:1 1 udp 1 ");
	memset(buf + strlen(buf), 'h', 256);
	strcat(buf, " 5 typ host");
	CV_CHECK(cand_refused(buf));
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "candidate:1 1 udp 1 1.2.3.4 5 typ host");
	while(strlen(buf) <= CV_CANDIDATE_MAX_LEN)
		strcat(buf, " k v");
	CV_CHECK(cand_refused(buf));
	/* Too many extensions to count */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "candidate:1 1 udp 1 1.2.3.4 5 typ host");
	for(int i = 0; i < 30; i++)
		strcat(buf, " a b");
	CV_CHECK(cand_refused(buf));
}

int main(void) {
	CV_RUN(test_real_sdps);
	CV_RUN(test_structure);
	CV_RUN(test_mlines);
	CV_RUN(test_fingerprints);
	CV_RUN(test_candidates);
	return cv_test_done();
}
