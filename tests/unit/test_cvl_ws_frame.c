/*
 * test_cvl_ws_frame.c - unit tests for tools/cvload/ws_frame.c: ws:// URLs,
 * the RFC 6455 handshake (its example key), frame encoding and decoding
 * at every length boundary, incomplete input, and frames to refuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cv_test.h"
#include "ws_frame.h"

static void test_urls(void) {
	cvl_ws_url u;
	CV_CHECK(cvl_ws_url_parse("ws://127.0.0.1:8090/ws/webrtc?token=abc", &u));
	CV_CHECK_STR(u.host, "127.0.0.1");
	CV_CHECK_INT(u.port, 8090);
	CV_CHECK_STR(u.path, "/ws/webrtc?token=abc");
	CV_CHECK(cvl_ws_url_parse("ws://example", &u));
	CV_CHECK_INT(u.port, 80);
	CV_CHECK_STR(u.path, "/");
	CV_CHECK(cvl_ws_url_parse("ws://[::1]:8188/", &u));
	CV_CHECK_STR(u.host, "::1");
	CV_CHECK_INT(u.port, 8188);
	CV_CHECK(cvl_ws_url_parse("ws://h?x=1", &u));
	CV_CHECK_STR(u.path, "/?x=1");
	CV_CHECK(!cvl_ws_url_parse("wss://h/", &u));
	CV_CHECK(!cvl_ws_url_parse("http://h/", &u));
	CV_CHECK(!cvl_ws_url_parse("ws://:80/", &u));
	CV_CHECK(!cvl_ws_url_parse("ws://h:99999/", &u));
	CV_CHECK(!cvl_ws_url_parse("ws://h:/", &u));
	CV_CHECK(!cvl_ws_url_parse("ws://h:80x/", &u));
	CV_CHECK(!cvl_ws_url_parse("ws://[::1/", &u));
	CV_CHECK(!cvl_ws_url_parse(NULL, &u));
}

static void test_handshake(void) {
	/* RFC 6455 section 1.3 */
	char accept[29];
	cvl_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", accept);
	CV_CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	uint8_t rnd[16];
	for(int i = 0; i < 16; i++)
		rnd[i] = (uint8_t)i;
	char key[25];
	cvl_ws_key(rnd, key);
	CV_CHECK_STR(key, "AAECAwQFBgcICQoLDA0ODw==");
	cvl_ws_url u;
	CV_CHECK(cvl_ws_url_parse("ws://127.0.0.1:8188/", &u));
	char *req = cvl_ws_request(&u, key, "janus-protocol");
	CV_CHECK(g_str_has_prefix(req, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8188\r\n"));
	CV_CHECK(strstr(req, "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==\r\n") != NULL);
	CV_CHECK(strstr(req, "Sec-WebSocket-Protocol: janus-protocol\r\n") != NULL);
	CV_CHECK(g_str_has_suffix(req, "\r\n\r\n"));
	g_free(req);
	req = cvl_ws_request(&u, key, NULL);
	CV_CHECK(strstr(req, "Sec-WebSocket-Protocol") == NULL);
	g_free(req);
	/* responses */
	const char *key2 = "dGhlIHNhbXBsZSBub25jZQ==";
	const char *good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"sec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi";
	size_t glen = strlen(good);
	CV_CHECK_INT(cvl_ws_response(good, glen, key2), (long)glen - 4);
	for(size_t n = 0; n < glen - 4; n++) {
		char *part = g_strndup(good, n);
		long r = cvl_ws_response(part, n, key2);
		g_free(part);
		if(r != 0) {
			CV_CHECK_INT(n, -1);
			break;
		}
	}
	const char *refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	CV_CHECK_INT(cvl_ws_response(refused, strlen(refused), key2), -1);
	const char *wrong = "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: AAAA\r\n\r\n";
	CV_CHECK_INT(cvl_ws_response(wrong, strlen(wrong), key2), -1);
	const char *missing = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
	CV_CHECK_INT(cvl_ws_response(missing, strlen(missing), key2), -1);
	char *huge = g_malloc(20000);
	memset(huge, 'x', 20000);
	CV_CHECK_INT(cvl_ws_response(huge, 20000, key2), -1);
	g_free(huge);
}

static void round_trip(size_t len, int opcode) {
	uint8_t *payload = calloc(len ? len : 1, 1);
	for(size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7);
	uint8_t *frame = malloc(len + 14);
	const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t n = cvl_ws_encode(frame, opcode, payload, len, mask);
	CV_CHECK_INT(n, len + 2 + 4 + (len < 126 ? 0 : len <= 0xffff ? 2 : 8));
	CV_CHECK(frame[1] & 0x80);	/* masked */
	/* every strict prefix is incomplete */
	for(size_t cut = 0; cut < n; cut += (n > 300 ? n / 97 + 1 : 1)) {
		uint8_t *part = malloc(cut ? cut : 1);
		memcpy(part, frame, cut);
		cvl_ws_frame f;
		long r = cvl_ws_decode(part, cut, &f);
		free(part);
		if(r != 0) {
			CV_CHECK_INT(cut, -1);
			break;
		}
	}
	uint8_t *exact = malloc(n);
	memcpy(exact, frame, n);
	cvl_ws_frame f;
	CV_CHECK_INT(cvl_ws_decode(exact, n, &f), (long)n);
	CV_CHECK(f.fin);
	CV_CHECK_INT(f.opcode, opcode);
	CV_CHECK_INT(f.len, len);
	CV_CHECK(len == 0 || memcmp(f.payload, payload, len) == 0);
	free(exact);
	free(frame);
	free(payload);
}

static void test_frames(void) {
	size_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536, 70000 };
	for(size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		round_trip(lens[i], CVL_WS_OP_TEXT);
	round_trip(125, CVL_WS_OP_PING);
	/* an unmasked server frame, then a second one in the same buffer */
	uint8_t two[] = { 0x81, 0x02, 'h', 'i', 0x01, 0x01, 'a' };
	cvl_ws_frame f;
	CV_CHECK_INT(cvl_ws_decode(two, sizeof(two), &f), 4);
	CV_CHECK(f.len == 2 && memcmp(f.payload, "hi", 2) == 0);
	CV_CHECK_INT(cvl_ws_decode(two + 4, 3, &f), 3);
	CV_CHECK(!f.fin && f.opcode == CVL_WS_OP_TEXT);
}

static void test_bad_frames(void) {
	cvl_ws_frame f;
	uint8_t rsv[] = { 0xc1, 0x00 };
	CV_CHECK_INT(cvl_ws_decode(rsv, sizeof(rsv), &f), -1);
	uint8_t big_ping[] = { 0x89, 126, 0x00, 0x7e };
	CV_CHECK_INT(cvl_ws_decode(big_ping, sizeof(big_ping), &f), -1);
	uint8_t frag_close[] = { 0x08, 0x00 };
	CV_CHECK_INT(cvl_ws_decode(frag_close, sizeof(frag_close), &f), -1);
	uint8_t huge[] = { 0x81, 127, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff };
	CV_CHECK_INT(cvl_ws_decode(huge, sizeof(huge), &f), -1);
	uint8_t close[] = { 0x88, 0x02, 0x03, 0xe8 };
	CV_CHECK_INT(cvl_ws_decode(close, sizeof(close), &f), 4);
	CV_CHECK_INT(f.opcode, CVL_WS_OP_CLOSE);
}

int main(void) {
	CV_RUN(test_urls);
	CV_RUN(test_handshake);
	CV_RUN(test_frames);
	CV_RUN(test_bad_frames);
	return cv_test_done();
}
