/*
 * test_bridge.c - protocol frames <-> Janus API messages.
 *
 * Client frames are written as JSON text and validated with the envelope
 * parser first, as the transport does; Janus messages are written as JSON
 * text the way the core emits them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cv_test.h"
#include "cv_bridge.h"
#include "cv_time.h"

/* The smallest SDP the envelope accepts (cv_sdp_check), escaped for JSON
 * text inside a C string. */
#define SDP "v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n"

#define SESSION ((uint64_t)4242424242ULL)
#define HANDLE ((uint64_t)8765432109876ULL)
#define TX "tx-1"

/* A validated client frame. */
typedef struct client_frame {
	json_t *msg;
	cv_envelope env;
} client_frame;

static client_frame client(const char *text) {
	client_frame f;
	cv_error err = { CV_OK, NULL };
	memset(&f, 0, sizeof(f));
	f.msg = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if(f.msg == NULL || !cv_envelope_parse(f.msg, &f.env, &err))
		printf("#   (test frame not valid: %s: %s)\n", text, err.message ? err.message : "not JSON");
	return f;
}

static json_t *json(const char *text) {
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if(j == NULL)
		printf("#   (test JSON not valid: %s)\n", text);
	return j;
}

/* True when a equals the JSON text b. */
static bool json_is(json_t *a, const char *b) {
	json_t *jb = json(b);
	bool eq = a != NULL && jb != NULL && json_equal(a, jb);
	if(!eq) {
		char *t = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		printf("#   (got %s, expected %s)\n", t ? t : "NULL", b);
		free(t);
	}
	json_decref(jb);
	return eq;
}

/* Checks the envelope of a Janus request. */
static void check_request_head(json_t *req, const char *janus) {
	CV_CHECK_STR(json_string_value(json_object_get(req, "janus")), janus);
	CV_CHECK(json_is_integer(json_object_get(req, "session_id")));
	CV_CHECK_INT(json_integer_value(json_object_get(req, "session_id")), SESSION);
	CV_CHECK_INT(json_integer_value(json_object_get(req, "handle_id")), HANDLE);
	CV_CHECK_STR(json_string_value(json_object_get(req, "transaction")), TX);
}

/* --- cv_bridge_route -------------------------------------------------------- */

static cv_route route_of(const char *text) {
	client_frame f = client(text);
	cv_route r = cv_bridge_route(&f.env);
	json_decref(f.msg);
	return r;
}

#define OFFER_DATA "\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}"
#define ANSWER_DATA "\"data\":{\"type\":\"answer\",\"sdp\":\"" SDP "\"}"
#define CAND_DATA "\"data\":{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"

static void test_route_offer_answer(void) {
	CV_CHECK_INT(route_of("{\"type\":\"offer\"," OFFER_DATA "}"), CV_ROUTE_MESSAGE_JSEP);
	CV_CHECK_INT(route_of("{\"type\":\"offer\",\"targetUserId\":\"sfu\"," OFFER_DATA "}"), CV_ROUTE_MESSAGE_JSEP);
	CV_CHECK_INT(route_of("{\"type\":\"offer\",\"targetUserId\":\"bob\"," OFFER_DATA "}"), CV_ROUTE_MESSAGE);
	CV_CHECK_INT(route_of("{\"type\":\"answer\"," ANSWER_DATA "}"), CV_ROUTE_MESSAGE_JSEP);
	CV_CHECK_INT(route_of("{\"type\":\"answer\",\"targetUserId\":\"sfu\"," ANSWER_DATA "}"), CV_ROUTE_MESSAGE_JSEP);
	CV_CHECK_INT(route_of("{\"type\":\"answer\",\"targetUserId\":\"bob\"," ANSWER_DATA "}"), CV_ROUTE_MESSAGE);
}

static void test_route_candidate(void) {
	CV_CHECK_INT(route_of("{\"type\":\"ice-candidate\"," CAND_DATA "}"), CV_ROUTE_TRICKLE);
	CV_CHECK_INT(route_of("{\"type\":\"ice-candidate\",\"targetUserId\":\"sfu\"," CAND_DATA "}"), CV_ROUTE_TRICKLE);
	CV_CHECK_INT(route_of("{\"type\":\"ice-candidate\",\"data\":null}"), CV_ROUTE_TRICKLE);
	CV_CHECK_INT(route_of("{\"type\":\"ice-candidate\",\"targetUserId\":\"bob\"," CAND_DATA "}"), CV_ROUTE_MESSAGE);
	CV_CHECK_INT(route_of("{\"type\":\"ice-candidate\",\"targetUserId\":\"bob\",\"data\":null}"), CV_ROUTE_MESSAGE);
}

static void test_route_others(void) {
	const char *frames[] = {
		"{\"type\":\"join\",\"roomId\":\"r1\"}",
		"{\"type\":\"leave\"}",
		"{\"type\":\"message\",\"data\":{\"text\":\"hi\"}}",
		"{\"type\":\"message\",\"targetUserId\":\"bob\",\"data\":{\"text\":\"hi\"}}",
		"{\"type\":\"message\",\"targetUserId\":\"sfu\",\"data\":1}",
		"{\"type\":\"media\",\"data\":{\"audio\":true}}",
		"{\"type\":\"stats\",\"data\":{}}",
		"{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"l\"}}",
		"{\"type\":\"start-recording\"}",
		"{\"type\":\"stop-recording\"}",
		"{\"type\":\"kick\",\"targetUserId\":\"bob\"}",
		"{\"type\":\"kick\",\"targetUserId\":\"sfu\"}",
		"{\"type\":\"ping\"}",
	};
	for(size_t i = 0; i < sizeof(frames)/sizeof(frames[0]); i++)
		CV_CHECK_INT(route_of(frames[i]), CV_ROUTE_MESSAGE);
}

/* --- cv_bridge_request -------------------------------------------------------- */

/* Builds the request and checks msg came out unchanged. */
static json_t *request(client_frame *f, json_t *extra) {
	json_t *before = json_deep_copy(f->msg);
	json_t *req = cv_bridge_request(f->msg, &f->env, SESSION, HANDLE, TX, extra);
	CV_CHECK(json_equal(before, f->msg));
	json_decref(before);
	return req;
}

static void test_request_message(void) {
	const char *text = "{\"type\":\"message\",\"roomId\":\"r1\",\"targetUserId\":\"bob\",\"requestId\":\"q1\","
		"\"data\":{\"text\":\"hi\",\"n\":[1,2]}}";
	client_frame f = client(text);
	json_t *req = request(&f, NULL);
	check_request_head(req, "message");
	CV_CHECK(json_is(json_object_get(req, "body"), text));
	CV_CHECK(json_object_get(req, "jsep") == NULL);
	CV_CHECK(json_object_get(req, "candidate") == NULL);
	CV_CHECK_INT(json_object_size(req), 5);
	json_decref(req);
	json_decref(f.msg);
}

static void test_request_join(void) {
	const char *text = "{\"type\":\"join\",\"roomId\":\"r1\",\"userId\":\"alice\",\"requestId\":7,"
		"\"data\":{\"displayName\":\"Alice\",\"publish\":{\"audio\":true,\"video\":true}}}";
	client_frame f = client(text);
	json_t *req = request(&f, NULL);
	check_request_head(req, "message");
	CV_CHECK(json_is(json_object_get(req, "body"), text));
	CV_CHECK(json_object_get(req, "jsep") == NULL);
	json_decref(req);
	json_decref(f.msg);
}

static void test_request_offer_to_server(void) {
	client_frame f = client("{\"type\":\"offer\",\"roomId\":\"r1\",\"requestId\":\"q2\","
		"\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}");
	json_t *req = request(&f, NULL);
	check_request_head(req, "message");
	CV_CHECK(json_is(json_object_get(req, "jsep"), "{\"type\":\"offer\",\"sdp\":\"" SDP "\"}"));
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"offer\",\"roomId\":\"r1\",\"requestId\":\"q2\"}"));
	CV_CHECK(json_object_get(req, "candidate") == NULL);
	json_decref(req);
	json_decref(f.msg);
}

/* Only type and sdp go in the jsep. */
static void test_request_offer_extra_fields(void) {
	client_frame f = client("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\",\"simulcast\":true}}");
	json_t *req = request(&f, NULL);
	CV_CHECK(json_is(json_object_get(req, "jsep"), "{\"type\":\"offer\",\"sdp\":\"" SDP "\"}"));
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"offer\"}"));
	json_decref(req);
	json_decref(f.msg);
}

static void test_request_answer_to_sfu(void) {
	client_frame f = client("{\"type\":\"answer\",\"targetUserId\":\"sfu\",\"requestId\":3," ANSWER_DATA "}");
	json_t *req = request(&f, NULL);
	check_request_head(req, "message");
	CV_CHECK(json_is(json_object_get(req, "jsep"), "{\"type\":\"answer\",\"sdp\":\"" SDP "\"}"));
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"answer\",\"targetUserId\":\"sfu\",\"requestId\":3}"));
	json_decref(req);
	json_decref(f.msg);
}

/* An offer to a user is relayed by the plugin: a plain message. */
static void test_request_offer_to_user(void) {
	const char *text = "{\"type\":\"offer\",\"targetUserId\":\"bob\"," OFFER_DATA "}";
	client_frame f = client(text);
	json_t *req = request(&f, NULL);
	check_request_head(req, "message");
	CV_CHECK(json_object_get(req, "jsep") == NULL);
	CV_CHECK(json_is(json_object_get(req, "body"), text));
	json_decref(req);
	json_decref(f.msg);
	text = "{\"type\":\"ice-candidate\",\"targetUserId\":\"bob\"," CAND_DATA "}";
	f = client(text);
	req = request(&f, NULL);
	check_request_head(req, "message");
	CV_CHECK(json_object_get(req, "candidate") == NULL);
	CV_CHECK(json_is(json_object_get(req, "body"), text));
	json_decref(req);
	json_decref(f.msg);
}

static void test_request_trickle(void) {
	client_frame f = client("{\"type\":\"ice-candidate\",\"requestId\":\"q\"," CAND_DATA "}");
	json_t *req = request(&f, NULL);
	check_request_head(req, "trickle");
	CV_CHECK(json_is(json_object_get(req, "candidate"),
		"{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"));
	CV_CHECK(json_object_get(req, "body") == NULL);
	CV_CHECK(json_object_get(req, "jsep") == NULL);
	CV_CHECK_INT(json_object_size(req), 5);
	json_decref(req);
	json_decref(f.msg);
	/* To "sfu" explicitly, with only some fields */
	f = client("{\"type\":\"ice-candidate\",\"targetUserId\":\"sfu\",\"data\":{\"candidate\":\"candidate:2\",\"sdpMLineIndex\":1}}");
	req = request(&f, NULL);
	check_request_head(req, "trickle");
	CV_CHECK(json_is(json_object_get(req, "candidate"), "{\"candidate\":\"candidate:2\",\"sdpMLineIndex\":1}"));
	json_decref(req);
	json_decref(f.msg);
	/* Null members are left out (the core refuses a null sdpMid) */
	f = client("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"candidate:3\",\"sdpMid\":null,"
		"\"sdpMLineIndex\":null}}");
	req = request(&f, NULL);
	CV_CHECK(json_is(json_object_get(req, "candidate"), "{\"candidate\":\"candidate:3\"}"));
	json_decref(req);
	json_decref(f.msg);
}

static void test_request_trickle_completed(void) {
	client_frame f = client("{\"type\":\"ice-candidate\",\"data\":null}");
	json_t *req = request(&f, NULL);
	check_request_head(req, "trickle");
	CV_CHECK(json_is(json_object_get(req, "candidate"), "{\"completed\":true}"));
	CV_CHECK(json_object_get(req, "body") == NULL);
	json_decref(req);
	json_decref(f.msg);
	/* An empty candidate string is the end of candidates, too */
	f = client("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}");
	req = request(&f, NULL);
	check_request_head(req, "trickle");
	CV_CHECK(json_is(json_object_get(req, "candidate"), "{\"completed\":true}"));
	json_decref(req);
	json_decref(f.msg);
}

static void test_request_extra_body(void) {
	client_frame f = client("{\"type\":\"join\",\"roomId\":\"r1\",\"userId\":\"alice\",\"token\":\"client-supplied\"}");
	json_t *extra = json("{\"token\":\"verified\",\"claims\":{\"sub\":\"alice\"}}");
	json_t *extra_before = json_deep_copy(extra);
	json_t *req = request(&f, extra);
	check_request_head(req, "message");
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"join\",\"roomId\":\"r1\",\"userId\":\"alice\","
		"\"token\":\"verified\",\"claims\":{\"sub\":\"alice\"}}"));
	/* The caller's objects are untouched */
	CV_CHECK(json_equal(extra, extra_before));
	CV_CHECK_STR(json_string_value(json_object_get(f.msg, "token")), "client-supplied");
	json_decref(req);
	json_decref(extra_before);
	json_decref(extra);
	json_decref(f.msg);
}

/* A client cannot pass itself off as the transport: its transportEvent key
 * never reaches the plugin, whatever else the frame has. */
static void test_request_transport_event_dropped(void) {
	client_frame f = client("{\"type\":\"ping\",\"transportEvent\":\"detached\"}");
	json_t *req = request(&f, NULL);
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"ping\"}"));
	json_decref(req);
	json_decref(f.msg);
	f = client("{\"type\":\"join\",\"roomId\":\"r1\",\"transportEvent\":\"detached\"}");
	json_t *extra = json("{\"token\":\"verified\"}");
	req = request(&f, extra);
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"join\",\"roomId\":\"r1\",\"token\":\"verified\"}"));
	json_decref(req);
	json_decref(extra);
	json_decref(f.msg);
}

/* extra_body goes into the body of a jsep message too. */
static void test_request_extra_body_jsep(void) {
	client_frame f = client("{\"type\":\"offer\",\"token\":\"x\"," OFFER_DATA "}");
	json_t *extra = json("{\"token\":\"verified\"}");
	json_t *req = request(&f, extra);
	CV_CHECK(json_is(json_object_get(req, "body"), "{\"type\":\"offer\",\"token\":\"verified\"}"));
	CV_CHECK(json_is(json_object_get(req, "jsep"), "{\"type\":\"offer\",\"sdp\":\"" SDP "\"}"));
	json_decref(req);
	json_decref(extra);
	json_decref(f.msg);
}

/* The body does not share mutable state with msg: changing one later does
 * not change the other. */
static void test_request_independent(void) {
	client_frame f = client("{\"type\":\"message\",\"data\":{\"text\":\"hi\"}}");
	json_t *req = cv_bridge_request(f.msg, &f.env, SESSION, HANDLE, TX, NULL);
	json_object_set_new(json_object_get(req, "body"), "added", json_true());
	CV_CHECK(json_object_get(f.msg, "added") == NULL);
	json_decref(req);
	json_decref(f.msg);
}

/* Janus ids go up to 2^53. */
static void test_request_big_ids(void) {
	client_frame f = client("{\"type\":\"ping\"}");
	uint64_t big = (1ULL << 53) - 1;
	json_t *req = cv_bridge_request(f.msg, &f.env, big, big - 1, "t", NULL);
	CV_CHECK_INT(json_integer_value(json_object_get(req, "session_id")), (long long)big);
	CV_CHECK_INT(json_integer_value(json_object_get(req, "handle_id")), (long long)(big - 1));
	json_decref(req);
	json_decref(f.msg);
}

/* --- cv_bridge_frame ------------------------------------------------------------ */

/* The frame for a Janus message; checks janus_msg came out unchanged. */
static json_t *frame_of(const char *text) {
	json_t *msg = json(text);
	json_t *before = json_deep_copy(msg);
	json_t *frame = cv_bridge_frame(msg);
	CV_CHECK(json_equal(before, msg));
	json_decref(before);
	json_decref(msg);
	return frame;
}

/* Removes and checks a timestamp added in [before, after]. */
static bool strip_new_timestamp(json_t *frame, int64_t before, int64_t after) {
	json_t *ts = json_object_get(frame, "timestamp");
	bool ok = json_is_integer(ts) && json_integer_value(ts) >= before && json_integer_value(ts) <= after;
	json_object_del(frame, "timestamp");
	return ok;
}

static void test_frame_event(void) {
	int64_t before = cv_now_ms();
	json_t *frame = frame_of("{\"janus\":\"event\",\"session_id\":1,\"sender\":2,\"transaction\":\"t\","
		"\"plugindata\":{\"plugin\":\"janus.plugin.convene\",\"data\":{\"type\":\"joined\",\"roomId\":\"r1\","
		"\"userId\":\"alice\",\"data\":{\"participants\":[\"bob\"]}}}}");
	int64_t after = cv_now_ms();
	CV_CHECK(frame != NULL);
	CV_CHECK(strip_new_timestamp(frame, before, after));
	CV_CHECK(json_is(frame, "{\"type\":\"joined\",\"roomId\":\"r1\",\"userId\":\"alice\",\"data\":{\"participants\":[\"bob\"]}}"));
	json_decref(frame);
}

static void test_frame_event_jsep(void) {
	int64_t before = cv_now_ms();
	json_t *frame = frame_of("{\"janus\":\"event\",\"session_id\":1,\"sender\":2,"
		"\"plugindata\":{\"plugin\":\"janus.plugin.convene\",\"data\":{\"type\":\"answer\",\"userId\":\"sfu\","
		"\"requestId\":\"q2\",\"data\":{\"placeholder\":true}}},"
		"\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\",\"trickle\":true}}");
	int64_t after = cv_now_ms();
	CV_CHECK(frame != NULL);
	CV_CHECK(strip_new_timestamp(frame, before, after));
	CV_CHECK(json_is(frame, "{\"type\":\"answer\",\"userId\":\"sfu\",\"requestId\":\"q2\","
		"\"data\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}}"));
	json_decref(frame);
	/* A server offer (renegotiation) with no data in the event */
	frame = frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"offer\"}},"
		"\"jsep\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}");
	CV_CHECK(frame != NULL);
	json_object_del(frame, "timestamp");
	CV_CHECK(json_is(frame, "{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}"));
	json_decref(frame);
}

/* The plugin's sdpRestore lines go back into the SDP; the key does not go out. */
static void test_frame_event_sdp_restore(void) {
	json_t *frame = frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"offer\","
		"\"userId\":\"sfu\",\"sdpRestore\":{\"1\":[\"10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\"]}}},"
		"\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\na=mid:1\\r\\na=simulcast:recv h;l\\r\\n\"}}");
	CV_CHECK(frame != NULL);
	json_object_del(frame, "timestamp");
	CV_CHECK(json_is(frame, "{\"type\":\"offer\",\"userId\":\"sfu\",\"data\":{\"type\":\"offer\",\"sdp\":"
		"\"v=0\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\na=mid:1\\r\\n"
		"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\\r\\na=simulcast:recv h;l\\r\\n\"}}"));
	json_decref(frame);
	/* without a jsep the key is dropped all the same */
	frame = frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"tracks\","
		"\"sdpRestore\":{}}}}");
	CV_CHECK(frame != NULL && json_object_get(frame, "sdpRestore") == NULL);
	json_decref(frame);
}

static void test_frame_event_without_data(void) {
	CV_CHECK(frame_of("{\"janus\":\"event\",\"session_id\":1,\"sender\":2}") == NULL);
	CV_CHECK(frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\"}}") == NULL);
	CV_CHECK(frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":\"x\"}}") == NULL);
}

static void test_frame_trickle(void) {
	int64_t before = cv_now_ms();
	json_t *frame = frame_of("{\"janus\":\"trickle\",\"session_id\":1,\"sender\":2,"
		"\"candidate\":{\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"candidate\":\"candidate:1 1 udp 1 1.2.3.4 5 typ host\"}}");
	int64_t after = cv_now_ms();
	CV_CHECK(frame != NULL);
	CV_CHECK(strip_new_timestamp(frame, before, after));
	CV_CHECK(json_is(frame, "{\"type\":\"ice-candidate\",\"userId\":\"sfu\",\"data\":{"
		"\"candidate\":\"candidate:1 1 udp 1 1.2.3.4 5 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}"));
	json_decref(frame);
	/* Missing sdpMid / sdpMLineIndex become null (RTCIceCandidateInit) */
	frame = frame_of("{\"janus\":\"trickle\",\"candidate\":{\"candidate\":\"candidate:2\"}}");
	CV_CHECK(frame != NULL);
	json_object_del(frame, "timestamp");
	CV_CHECK(json_is(frame, "{\"type\":\"ice-candidate\",\"userId\":\"sfu\",\"data\":{"
		"\"candidate\":\"candidate:2\",\"sdpMid\":null,\"sdpMLineIndex\":null}}"));
	json_decref(frame);
}

static void test_frame_trickle_completed(void) {
	int64_t before = cv_now_ms();
	json_t *frame = frame_of("{\"janus\":\"trickle\",\"session_id\":1,\"sender\":2,\"candidate\":{\"completed\":true}}");
	int64_t after = cv_now_ms();
	CV_CHECK(frame != NULL);
	CV_CHECK(strip_new_timestamp(frame, before, after));
	CV_CHECK(json_is(frame, "{\"type\":\"ice-candidate\",\"userId\":\"sfu\",\"data\":null}"));
	json_decref(frame);
	/* A trickle without a candidate object carries nothing */
	CV_CHECK(frame_of("{\"janus\":\"trickle\",\"session_id\":1}") == NULL);
	CV_CHECK(frame_of("{\"janus\":\"trickle\",\"candidate\":[]}") == NULL);
}

static void test_frame_nothing(void) {
	const char *msgs[] = {
		"{\"janus\":\"ack\",\"session_id\":1,\"transaction\":\"t\"}",
		"{\"janus\":\"success\",\"transaction\":\"t\",\"data\":{\"id\":5}}",
		"{\"janus\":\"success\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"joined\"}}}",
		"{\"janus\":\"keepalive\",\"session_id\":1}",
		"{\"janus\":\"webrtcup\",\"session_id\":1,\"sender\":2}",
		"{\"janus\":\"media\",\"session_id\":1,\"sender\":2,\"type\":\"audio\",\"receiving\":true}",
		"{\"janus\":\"slowlink\",\"session_id\":1,\"sender\":2,\"uplink\":true}",
		"{\"janus\":\"hangup\",\"session_id\":1,\"sender\":2,\"reason\":\"DTLS alert\"}",
		"{\"janus\":\"detached\",\"session_id\":1,\"sender\":2}",
		"{\"janus\":\"timeout\",\"session_id\":1}",
		"{\"janus\":\"something-new\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"x\"}}}",
		"{\"janus\":\"EVENT\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"x\"}}}",
		"{\"janus\":7}",
		"{\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"x\"}}}",
		"{}",
	};
	for(size_t i = 0; i < sizeof(msgs)/sizeof(msgs[0]); i++) {
		json_t *frame = frame_of(msgs[i]);
		CV_CHECK(frame == NULL);
		if(frame != NULL)
			printf("#   (a frame for %s)\n", msgs[i]);
		json_decref(frame);
	}
	CV_CHECK(cv_bridge_frame(NULL) == NULL);
}

static void test_frame_timestamp_kept(void) {
	json_t *frame = frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":"
		"{\"type\":\"user-joined\",\"timestamp\":1234567890123}}}");
	CV_CHECK(frame != NULL);
	CV_CHECK(json_is(frame, "{\"type\":\"user-joined\",\"timestamp\":1234567890123}"));
	json_decref(frame);
	/* Every frame has one */
	frame = frame_of("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"pong\"}}}");
	CV_CHECK(json_is_integer(json_object_get(frame, "timestamp")));
	json_decref(frame);
}

/* The frame is a copy: changing it does not change the Janus message. */
static void test_frame_independent(void) {
	json_t *msg = json("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"type\":\"joined\",\"roomId\":\"r\"}}}");
	json_t *frame = cv_bridge_frame(msg);
	json_object_set_new(frame, "roomId", json_string("changed"));
	json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
	CV_CHECK_STR(json_string_value(json_object_get(data, "roomId")), "r");
	CV_CHECK(json_object_get(data, "timestamp") == NULL);
	json_decref(frame);
	json_decref(msg);
}

/* --- cv_bridge_error_frame --------------------------------------------------- */

static void check_error(const char *janus_error, json_t *rid, int code, const char *reason, const char *message) {
	json_t *err = json(janus_error);
	int64_t before = cv_now_ms();
	json_t *frame = cv_bridge_error_frame(err, rid);
	int64_t after = cv_now_ms();
	json_decref(err);
	CV_CHECK(frame != NULL);
	if(frame == NULL)
		return;
	CV_CHECK_STR(json_string_value(json_object_get(frame, "type")), "error");
	json_t *data = json_object_get(frame, "data");
	CV_CHECK_INT(json_integer_value(json_object_get(data, "code")), code);
	CV_CHECK_STR(json_string_value(json_object_get(data, "reason")), reason);
	CV_CHECK_STR(json_string_value(json_object_get(data, "message")), message);
	json_t *echoed = json_object_get(frame, "requestId");
	if(rid == NULL)
		CV_CHECK(echoed == NULL);
	else
		CV_CHECK(json_equal(echoed, rid));
	json_t *ts = json_object_get(frame, "timestamp");
	CV_CHECK(json_is_integer(ts) && json_integer_value(ts) >= before && json_integer_value(ts) <= after);
	json_decref(frame);
}

static void test_error_codes(void) {
	json_t *rid = json_string("req-9");
	check_error("{\"janus\":\"error\",\"transaction\":\"t\",\"error\":{\"code\":465,\"reason\":\"SDP error\"}}",
		rid, 400, "bad_request", "SDP error");
	check_error("{\"janus\":\"error\",\"error\":{\"code\":403,\"reason\":\"Unauthorized request\"}}",
		rid, 401, "unauthorized", "Unauthorized request");
	check_error("{\"janus\":\"error\",\"error\":{\"code\":471,\"reason\":\"Invalid state\"}}",
		rid, 409, "conflict", "Invalid state");
	check_error("{\"janus\":\"error\",\"error\":{\"code\":490,\"reason\":\"Unknown error\"}}",
		rid, 500, "internal", "Unknown error");
	json_decref(rid);
}

static void test_error_bad_request_family(void) {
	const int codes[] = { 454, 455, 456, 457, 464, 465, 466, 467, 469 };
	for(size_t i = 0; i < sizeof(codes)/sizeof(codes[0]); i++) {
		char *text = NULL;
		if(asprintf(&text, "{\"janus\":\"error\",\"error\":{\"code\":%d,\"reason\":\"r%d\"}}", codes[i], codes[i]) < 0)
			text = NULL;
		char message[16];
		snprintf(message, sizeof(message), "r%d", codes[i]);
		check_error(text, NULL, 400, "bad_request", message);
		free(text);
	}
	/* Other core codes are internal */
	const int others[] = { 458, 459, 460, 468, 470, 472, 499, 0, 200 };
	for(size_t i = 0; i < sizeof(others)/sizeof(others[0]); i++) {
		char *text = NULL;
		if(asprintf(&text, "{\"janus\":\"error\",\"error\":{\"code\":%d,\"reason\":\"x\"}}", others[i]) < 0)
			text = NULL;
		check_error(text, NULL, 500, "internal", "x");
		free(text);
	}
}

static void test_error_request_id(void) {
	json_t *rid = json_integer(42);
	check_error("{\"janus\":\"error\",\"error\":{\"code\":465,\"reason\":\"SDP error\"}}", rid, 400, "bad_request", "SDP error");
	CV_CHECK_INT(rid->refcount, 1);
	json_decref(rid);
	check_error("{\"janus\":\"error\",\"error\":{\"code\":465,\"reason\":\"SDP error\"}}", NULL, 400, "bad_request", "SDP error");
}

/* Without a reason, the message falls back to the reason word. */
static void test_error_malformed(void) {
	check_error("{\"janus\":\"error\",\"error\":{\"code\":471}}", NULL, 409, "conflict", "conflict");
	check_error("{\"janus\":\"error\"}", NULL, 500, "internal", "internal");
	check_error("{\"janus\":\"error\",\"error\":{\"code\":\"465\",\"reason\":\"r\"}}", NULL, 500, "internal", "r");
}

int main(void) {
	CV_RUN(test_route_offer_answer);
	CV_RUN(test_route_candidate);
	CV_RUN(test_route_others);
	CV_RUN(test_request_message);
	CV_RUN(test_request_join);
	CV_RUN(test_request_offer_to_server);
	CV_RUN(test_request_offer_extra_fields);
	CV_RUN(test_request_answer_to_sfu);
	CV_RUN(test_request_offer_to_user);
	CV_RUN(test_request_trickle);
	CV_RUN(test_request_trickle_completed);
	CV_RUN(test_request_extra_body);
	CV_RUN(test_request_extra_body_jsep);
	CV_RUN(test_request_transport_event_dropped);
	CV_RUN(test_request_independent);
	CV_RUN(test_request_big_ids);
	CV_RUN(test_frame_event);
	CV_RUN(test_frame_event_jsep);
	CV_RUN(test_frame_event_sdp_restore);
	CV_RUN(test_frame_event_without_data);
	CV_RUN(test_frame_trickle);
	CV_RUN(test_frame_trickle_completed);
	CV_RUN(test_frame_nothing);
	CV_RUN(test_frame_timestamp_kept);
	CV_RUN(test_frame_independent);
	CV_RUN(test_error_codes);
	CV_RUN(test_error_bad_request_family);
	CV_RUN(test_error_request_id);
	CV_RUN(test_error_malformed);
	return cv_test_done();
}
