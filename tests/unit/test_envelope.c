/*
 * test_envelope.c - loading frames and validating every message type.
 *
 * Frames are written as JSON text, loaded with cv_envelope_load (as the
 * transport does) and then handed to cv_envelope_parse. A rejection must be
 * a 400 whose message names the offending field.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cv_test.h"
#include "cv_envelope.h"

/* The smallest SDP the envelope accepts (cv_sdp_check), escaped for JSON
 * text inside a C string. */
/* A well-formed ICE candidate (cv_candidate_check). */
#define CAND "candidate:1 1 udp 2130706431 10.0.0.1 9 typ host"
#define SDP "v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n"

#define DEPTH 32

typedef struct parsed {
	json_t *msg;		/* NULL when the text did not load */
	cv_envelope env;
	cv_error err;
	bool ok;
} parsed;

static parsed parse(const char *text) {
	parsed p;
	memset(&p, 0, sizeof(p));
	p.msg = cv_envelope_load(text, strlen(text), DEPTH, &p.err);
	if(p.msg == NULL) {
		printf("#   (frame did not load: %s)\n", text);
		return p;
	}
	p.ok = cv_envelope_parse(p.msg, &p.env, &p.err);
	return p;
}

static void parsed_free(parsed *p) {
	json_decref(p->msg);
	p->msg = NULL;
}

/* True when text is a valid message. */
static bool accepts(const char *text) {
	parsed p = parse(text);
	bool ok = p.msg != NULL && p.ok;
	if(!ok && p.msg != NULL)
		printf("#   (rejected: %s: %s)\n", text, p.err.message ? p.err.message : "(null)");
	parsed_free(&p);
	return ok;
}

/* True when text loads but is rejected with a 400 whose message mentions
 * field (when not NULL). */
static bool rejects(const char *text, const char *field) {
	parsed p = parse(text);
	bool ok = p.msg != NULL && !p.ok && p.err.code == CV_ERR_BAD_REQUEST && p.err.message != NULL &&
		(field == NULL || strstr(p.err.message, field) != NULL);
	if(!ok && p.msg != NULL)
		printf("#   (%s: %s -> %s)\n", p.ok ? "accepted" : "wrong rejection", text,
			p.ok ? "ok" : (p.err.message ? p.err.message : "(null)"));
	parsed_free(&p);
	return ok;
}

/* True when text is refused at either step: jansson refuses some text
 * (an escaped NUL) before the envelope sees it. */
static bool refused(const char *text) {
	cv_error err = { CV_OK, NULL };
	json_t *msg = cv_envelope_load(text, strlen(text), DEPTH, &err);
	bool ok = msg == NULL;
	if(msg != NULL) {
		cv_envelope env;
		ok = !cv_envelope_parse(msg, &env, &err);
	}
	json_decref(msg);
	return ok && err.code == CV_ERR_BAD_REQUEST;
}

/* printf into a heap buffer the caller frees. */
static char *fmt(const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	char *out = NULL;
	if(vasprintf(&out, format, ap) < 0)
		out = NULL;
	va_end(ap);
	return out;
}

/* n copies of c, in a heap buffer the caller frees. */
static char *repeat(char c, size_t n) {
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static bool accepts_free(char *text) {
	bool ok = accepts(text);
	free(text);
	return ok;
}

static bool rejects_free(char *text, const char *field) {
	bool ok = rejects(text, field);
	free(text);
	return ok;
}

/* --- cv_envelope_load ---------------------------------------------------- */

static bool load_fails(const char *text, size_t len, int max_depth) {
	cv_error err = { CV_OK, NULL };
	json_t *msg = cv_envelope_load(text, len, max_depth, &err);
	bool failed = msg == NULL && err.code == CV_ERR_BAD_REQUEST && err.message != NULL;
	json_decref(msg);
	return failed;
}

static bool loads(const char *text, int max_depth) {
	cv_error err = { CV_OK, NULL };
	json_t *msg = cv_envelope_load(text, strlen(text), max_depth, &err);
	bool ok = json_is_object(msg);
	json_decref(msg);
	return ok;
}

static void test_load_object(void) {
	cv_error err = { CV_OK, NULL };
	const char *text = "{\"type\":\"ping\",\"n\":[1,2,{\"x\":null}]}";
	json_t *msg = cv_envelope_load(text, strlen(text), DEPTH, &err);
	CV_CHECK(json_is_object(msg));
	CV_CHECK_STR(json_string_value(json_object_get(msg, "type")), "ping");
	CV_CHECK_INT(msg ? msg->refcount : 0, 1);
	json_decref(msg);
	CV_CHECK(loads("{}", DEPTH));
	CV_CHECK(loads("  {\"a\":1}\n", DEPTH));
}

static void test_load_not_json(void) {
	CV_CHECK(load_fails("", 0, DEPTH));
	CV_CHECK(load_fails("hello", 5, DEPTH));
	CV_CHECK(load_fails("{\"type\":", 8, DEPTH));
	CV_CHECK(load_fails("{type:\"ping\"}", 13, DEPTH));
	CV_CHECK(load_fails("{\"a\":1}{\"b\":2}", 14, DEPTH));
	CV_CHECK(load_fails("{\"a\":1,}", 8, DEPTH));
	CV_CHECK(load_fails("{'a':1}", 7, DEPTH));
	/* A NUL inside the frame */
	CV_CHECK(load_fails("{\"a\":1}\0", 8, DEPTH));
}

static void test_load_not_object(void) {
	CV_CHECK(load_fails("[]", 2, DEPTH));
	CV_CHECK(load_fails("[{\"type\":\"ping\"}]", 17, DEPTH));
	CV_CHECK(load_fails("\"ping\"", 6, DEPTH));
	CV_CHECK(load_fails("42", 2, DEPTH));
	CV_CHECK(load_fails("3.5", 3, DEPTH));
	CV_CHECK(load_fails("true", 4, DEPTH));
	CV_CHECK(load_fails("null", 4, DEPTH));
}

/* The text is a (pointer, length) pair, not a C string. */
static void test_load_length(void) {
	const char *text = "{\"type\":\"ping\"}trailing garbage";
	cv_error err = { CV_OK, NULL };
	json_t *msg = cv_envelope_load(text, 15, DEPTH, &err);
	CV_CHECK(json_is_object(msg));
	json_decref(msg);
	/* Cut short: not JSON */
	CV_CHECK(load_fails(text, 14, DEPTH));
}

static void test_load_err_null(void) {
	CV_CHECK(cv_envelope_load("nope", 4, DEPTH, NULL) == NULL);
	CV_CHECK(cv_envelope_load("[1]", 3, DEPTH, NULL) == NULL);
	CV_CHECK(cv_envelope_load("[[[[1]]]]", 9, 2, NULL) == NULL);
}

static void test_load_duplicate_keys(void) {
	const char *dup = "{\"type\":\"ping\",\"type\":\"leave\"}";
	CV_CHECK(load_fails(dup, strlen(dup), DEPTH));
	const char *nested = "{\"type\":\"message\",\"data\":{\"a\":1,\"a\":2}}";
	CV_CHECK(load_fails(nested, strlen(nested), DEPTH));
	/* Same key in different objects is fine */
	CV_CHECK(loads("{\"a\":{\"a\":{\"a\":1}}}", DEPTH));
}

/* Depth counts every object and array, the frame itself included. */
static void test_load_depth_objects(void) {
	CV_CHECK(loads("{}", 1));
	CV_CHECK(load_fails("{\"a\":{}}", 8, 1));
	CV_CHECK(loads("{\"a\":{\"b\":{}}}", 3));
	const char *four = "{\"a\":{\"b\":{\"c\":{}}}}";
	CV_CHECK(load_fails(four, strlen(four), 3));
	CV_CHECK(loads(four, 4));
	/* Siblings do not add up */
	CV_CHECK(loads("{\"a\":{\"x\":{}},\"b\":{\"y\":{}},\"c\":{\"z\":{}}}", 3));
}

static void test_load_depth_arrays(void) {
	CV_CHECK(loads("{\"a\":[[1]]}", 3));
	const char *four = "{\"a\":[[[1]]]}";
	CV_CHECK(load_fails(four, strlen(four), 3));
	const char *mixed = "{\"a\":[{\"b\":[{}]}]}";	/* depth 5 */
	CV_CHECK(loads(mixed, 5));
	CV_CHECK(load_fails(mixed, strlen(mixed), 4));
	/* Sequences of closed arrays stay shallow */
	CV_CHECK(loads("{\"a\":[[],[],[],[],[],[],[]]}", 3));
}

static void test_load_depth_strings(void) {
	/* Brackets in strings are text */
	CV_CHECK(loads("{\"a\":\"[[[[{{{{\"}", 1));
	CV_CHECK(loads("{\"[[[[\":\"{{{{\"}", 1));
	/* An escaped quote does not end the string */
	CV_CHECK(loads("{\"a\":\"\\\"[[[[[\",\"b\":1}", 1));
	/* An escaped backslash does end it: the brackets after it count */
	const char *after = "{\"a\":\"\\\\\",\"b\":[[[]]]}";	/* depth 4 */
	CV_CHECK(loads(after, 4));
	CV_CHECK(load_fails(after, strlen(after), 3));
	/* Closing brackets in strings do not make room for more nesting */
	const char *closers = "{\"a\":\"]]]]}}}}\",\"b\":{\"c\":{\"d\":{}}}}";	/* depth 4 */
	CV_CHECK(load_fails(closers, strlen(closers), 3));
	CV_CHECK(loads(closers, 4));
	/* Unicode escapes are just text */
	CV_CHECK(loads("{\"a\":\"\\u005b\\u005b\\u005b\"}", 1));
}

static void test_load_depth_unlimited(void) {
	/* 0: no limit of ours (jansson's own limit is 2048) */
	size_t levels = 200;
	char *text = malloc(levels * 6 + 16);
	size_t pos = 0;
	for(size_t i = 0; i < levels; i++)
		pos += (size_t)sprintf(text + pos, "{\"a\":");
	pos += (size_t)sprintf(text + pos, "1");
	for(size_t i = 0; i < levels; i++)
		text[pos++] = '}';
	text[pos] = '\0';
	CV_CHECK(loads(text, 0));
	CV_CHECK(loads(text, 200));
	CV_CHECK(load_fails(text, pos, 199));
	CV_CHECK(load_fails(text, pos, 32));
	free(text);
}

/* --- cv_envelope_parse: every type ------------------------------------- */

static void test_type_names(void) {
	static const char *names[CV_MSG_COUNT] = {
		[CV_MSG_JOIN] = "join", [CV_MSG_LEAVE] = "leave", [CV_MSG_OFFER] = "offer",
		[CV_MSG_ANSWER] = "answer", [CV_MSG_ICE_CANDIDATE] = "ice-candidate",
		[CV_MSG_MESSAGE] = "message", [CV_MSG_MEDIA] = "media", [CV_MSG_STATS] = "stats",
		[CV_MSG_SUBSCRIBE] = "subscribe", [CV_MSG_START_RECORDING] = "start-recording",
		[CV_MSG_STOP_RECORDING] = "stop-recording", [CV_MSG_KICK] = "kick", [CV_MSG_PING] = "ping",
		[CV_MSG_CLOSE_ROOM] = "close-room",
	};
	for(int i = 0; i < CV_MSG_COUNT; i++)
		CV_CHECK_STR(cv_msg_type_name((cv_msg_type)i), names[i]);
	CV_CHECK(cv_msg_type_name(CV_MSG_COUNT) == NULL);
	CV_CHECK(cv_msg_type_name((cv_msg_type)(CV_MSG_COUNT + 7)) == NULL);
}

/* Every type parses back to itself from a minimal valid frame. */
static void test_every_type_minimal(void) {
	static const struct { cv_msg_type type; const char *text; } frames[] = {
		{ CV_MSG_JOIN, "{\"type\":\"join\",\"roomId\":\"r1\"}" },
		{ CV_MSG_LEAVE, "{\"type\":\"leave\"}" },
		{ CV_MSG_OFFER, "{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}" },
		{ CV_MSG_ANSWER, "{\"type\":\"answer\",\"data\":{\"type\":\"answer\",\"sdp\":\"" SDP "\"}}" },
		{ CV_MSG_ICE_CANDIDATE, "{\"type\":\"ice-candidate\",\"data\":null}" },
		{ CV_MSG_MESSAGE, "{\"type\":\"message\",\"data\":{}}" },
		{ CV_MSG_MEDIA, "{\"type\":\"media\",\"data\":{\"audio\":false}}" },
		{ CV_MSG_STATS, "{\"type\":\"stats\",\"data\":{}}" },
		{ CV_MSG_SUBSCRIBE, "{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"auto\"}}" },
		{ CV_MSG_START_RECORDING, "{\"type\":\"start-recording\"}" },
		{ CV_MSG_STOP_RECORDING, "{\"type\":\"stop-recording\"}" },
		{ CV_MSG_KICK, "{\"type\":\"kick\",\"targetUserId\":\"bob\"}" },
		{ CV_MSG_PING, "{\"type\":\"ping\"}" },
		{ CV_MSG_CLOSE_ROOM, "{\"type\":\"close-room\"}" },
	};
	CV_CHECK_INT(sizeof(frames)/sizeof(frames[0]), CV_MSG_COUNT);
	for(size_t i = 0; i < sizeof(frames)/sizeof(frames[0]); i++) {
		parsed p = parse(frames[i].text);
		CV_CHECK(p.ok);
		CV_CHECK_INT(p.env.type, frames[i].type);
		CV_CHECK_STR(p.env.type_name, cv_msg_type_name(frames[i].type));
		CV_CHECK(p.env.request_id == NULL);
		CV_CHECK(p.env.user_id == NULL);
		if(frames[i].type != CV_MSG_JOIN)
			CV_CHECK(p.env.room_id == NULL);
		if(frames[i].type != CV_MSG_KICK)
			CV_CHECK(p.env.target_user_id == NULL);
		CV_CHECK(p.env.token == NULL);
		parsed_free(&p);
	}
}

static void test_fields_filled(void) {
	parsed p = parse("{\"type\":\"message\",\"roomId\":\"room-1\",\"userId\":\"alice\","
		"\"targetUserId\":\"bob\",\"requestId\":\"q1\",\"timestamp\":1700000000000,"
		"\"data\":{\"text\":\"hi\"}}");
	CV_CHECK(p.ok);
	CV_CHECK_INT(p.env.type, CV_MSG_MESSAGE);
	CV_CHECK_STR(p.env.type_name, "message");
	CV_CHECK_STR(p.env.room_id, "room-1");
	CV_CHECK_STR(p.env.user_id, "alice");
	CV_CHECK_STR(p.env.target_user_id, "bob");
	CV_CHECK(p.env.token == NULL);
	/* Borrowed from the message */
	CV_CHECK(p.env.data == json_object_get(p.msg, "data"));
	CV_CHECK(p.env.request_id == json_object_get(p.msg, "requestId"));
	CV_CHECK(p.env.room_id == json_string_value(json_object_get(p.msg, "roomId")));
	CV_CHECK_INT(p.msg->refcount, 1);
	parsed_free(&p);
}

static void test_parse_not_object(void) {
	cv_envelope env;
	cv_error err = { CV_OK, NULL };
	json_t *arr = json_array();
	CV_CHECK(!cv_envelope_parse(arr, &env, &err));
	CV_CHECK_INT(err.code, CV_ERR_BAD_REQUEST);
	CV_CHECK(err.message != NULL);
	CV_CHECK(env.request_id == NULL);
	json_decref(arr);
	CV_CHECK(!cv_envelope_parse(NULL, &env, &err));
	CV_CHECK_INT(err.code, CV_ERR_BAD_REQUEST);
}

static void test_parse_err_null(void) {
	json_t *msg = json_pack("{ss}", "type", "bogus");
	cv_envelope env;
	CV_CHECK(!cv_envelope_parse(msg, &env, NULL));
	json_decref(msg);
	msg = json_pack("{ss}", "type", "offer");
	CV_CHECK(!cv_envelope_parse(msg, &env, NULL));
	json_decref(msg);
}

/* A successful parse clears what a previous one left in env. */
static void test_parse_resets_env(void) {
	parsed a = parse("{\"type\":\"join\",\"roomId\":\"r\",\"userId\":\"u\",\"token\":\"t\",\"requestId\":1}");
	CV_CHECK(a.ok);
	cv_envelope env = a.env;
	cv_error err = { CV_OK, NULL };
	json_t *msg = json_pack("{ss}", "type", "ping");
	CV_CHECK(cv_envelope_parse(msg, &env, &err));
	CV_CHECK(env.room_id == NULL);
	CV_CHECK(env.user_id == NULL);
	CV_CHECK(env.token == NULL);
	CV_CHECK(env.request_id == NULL);
	CV_CHECK(env.data == NULL);
	json_decref(msg);
	parsed_free(&a);
}

static void test_type_missing_unknown(void) {
	CV_CHECK(rejects("{}", "type"));
	CV_CHECK(rejects("{\"roomId\":\"r1\"}", "type"));
	CV_CHECK(rejects("{\"type\":\"dance\"}", "type"));
	CV_CHECK(rejects("{\"type\":\"\"}", "type"));
	CV_CHECK(rejects("{\"type\":\"JOIN\",\"roomId\":\"r1\"}", "type"));
	CV_CHECK(rejects("{\"type\":\"ping \"}", "type"));
	CV_CHECK(rejects("{\"type\":\"ice_candidate\",\"data\":null}", "type"));
	CV_CHECK(rejects("{\"type\":42}", "type"));
	CV_CHECK(rejects("{\"type\":null}", "type"));
	CV_CHECK(rejects("{\"type\":[\"ping\"]}", "type"));
	CV_CHECK(rejects("{\"type\":{\"name\":\"ping\"}}", "type"));
	/* A type with an embedded NUL is not "ping" */
	CV_CHECK(refused("{\"type\":\"ping\\u0000x\"}"));
	parsed p = parse("{\"type\":\"dance\"}");
	CV_CHECK_INT(p.env.type, CV_MSG_COUNT);
	parsed_free(&p);
}

/* --- common envelope fields ------------------------------------------- */

static void test_room_id(void) {
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":42}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"\"}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":null}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":true}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":[\"r1\"]}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"ping\",\"roomId\":42}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r\\u0001\"}", "roomId"));
	CV_CHECK(accepts("{\"type\":\"ping\",\"roomId\":\"r1\"}"));
	/* join requires it */
	CV_CHECK(rejects("{\"type\":\"join\"}", "roomId"));
	CV_CHECK(rejects("{\"type\":\"join\",\"userId\":\"alice\"}", "roomId"));
}

static void test_user_id(void) {
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":\"\"}", "userId"));
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":7}", "userId"));
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":{}}", "userId"));
	CV_CHECK(accepts("{\"type\":\"leave\",\"userId\":\"alice\"}"));
	/* UTF-8 is fine, bytes are counted */
	CV_CHECK(accepts("{\"type\":\"leave\",\"userId\":\"bj\\u00f8rn\"}"));
	CV_CHECK(accepts("{\"type\":\"leave\",\"userId\":\"a b\"}"));
}

static void test_target_user_id(void) {
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":\"\"}", "targetUserId"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":5}", "targetUserId"));
	CV_CHECK(rejects("{\"type\":\"message\",\"targetUserId\":false,\"data\":1}", "targetUserId"));
	CV_CHECK(accepts("{\"type\":\"message\",\"targetUserId\":\"bob\",\"data\":1}"));
	/* kick requires it */
	CV_CHECK(rejects("{\"type\":\"kick\"}", "targetUserId"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"userId\":\"bob\"}", "targetUserId"));
}

static void test_id_lengths(void) {
	char *id128 = repeat('x', 128), *id129 = repeat('x', 129), *id1000 = repeat('y', 1000);
	CV_CHECK(accepts_free(fmt("{\"type\":\"join\",\"roomId\":\"%s\",\"userId\":\"%s\"}", id128, id128)));
	CV_CHECK(accepts_free(fmt("{\"type\":\"kick\",\"targetUserId\":\"%s\"}", id128)));
	CV_CHECK(rejects_free(fmt("{\"type\":\"join\",\"roomId\":\"%s\"}", id129), "roomId"));
	CV_CHECK(rejects_free(fmt("{\"type\":\"leave\",\"userId\":\"%s\"}", id129), "userId"));
	CV_CHECK(rejects_free(fmt("{\"type\":\"kick\",\"targetUserId\":\"%s\"}", id129), "targetUserId"));
	CV_CHECK(rejects_free(fmt("{\"type\":\"message\",\"targetUserId\":\"%s\",\"data\":1}", id1000), "targetUserId"));
	/* 64 two-byte characters = 128 bytes; one more is 130 bytes */
	char utf8_128[64 * 12 + 1] = "", utf8_130[65 * 12 + 1] = "";
	for(int i = 0; i < 64; i++)
		strcat(utf8_128, "\\u00e9");
	strcpy(utf8_130, utf8_128);
	strcat(utf8_130, "\\u00e9");
	CV_CHECK(accepts_free(fmt("{\"type\":\"leave\",\"userId\":\"%s\"}", utf8_128)));
	CV_CHECK(rejects_free(fmt("{\"type\":\"leave\",\"userId\":\"%s\"}", utf8_130), "userId"));
	free(id128);
	free(id129);
	free(id1000);
}

static void test_id_control_chars(void) {
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":\"a\\u0001b\"}", "userId"));
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":\"a\\nb\"}", "userId"));
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":\"tab\\there\"}", "userId"));
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":\"del\\u007f\"}", "userId"));
	CV_CHECK(rejects("{\"type\":\"leave\",\"userId\":\"\\u001f\"}", "userId"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":\"bob\\r\"}", "targetUserId"));
	CV_CHECK(refused("{\"type\":\"join\",\"roomId\":\"\\u0000\"}"));
	/* An embedded NUL would truncate the id */
	CV_CHECK(refused("{\"type\":\"leave\",\"userId\":\"alice\\u0000bob\"}"));
}

static void test_id_valid(void) {
	char *id128 = repeat('a', 128), *id129 = repeat('a', 129);
	CV_CHECK(!cv_id_valid(NULL));
	CV_CHECK(!cv_id_valid(""));
	CV_CHECK(cv_id_valid("a"));
	CV_CHECK(cv_id_valid(id128));
	CV_CHECK(!cv_id_valid(id129));
	CV_CHECK(!cv_id_valid("a\x01"));
	CV_CHECK(!cv_id_valid("\x1f"));
	CV_CHECK(!cv_id_valid("a\x7f"));
	CV_CHECK(cv_id_valid(" "));
	CV_CHECK(cv_id_valid("~"));
	CV_CHECK(cv_id_valid("\xc3\xa9t\xc3\xa9"));
	free(id128);
	free(id129);
}

static void test_timestamp(void) {
	CV_CHECK(accepts("{\"type\":\"ping\",\"timestamp\":1700000000000}"));
	CV_CHECK(accepts("{\"type\":\"ping\",\"timestamp\":1700000000000.5}"));
	CV_CHECK(rejects("{\"type\":\"ping\",\"timestamp\":\"1700000000000\"}", "timestamp"));
	CV_CHECK(rejects("{\"type\":\"ping\",\"timestamp\":null}", "timestamp"));
	CV_CHECK(rejects("{\"type\":\"ping\",\"timestamp\":{}}", "timestamp"));
}

/* --- requestId ---------------------------------------------------------- */

static void test_request_id_string(void) {
	parsed p = parse("{\"type\":\"ping\",\"requestId\":\"abc-1\"}");
	CV_CHECK(p.ok);
	CV_CHECK(json_is_string(p.env.request_id));
	CV_CHECK_STR(json_string_value(p.env.request_id), "abc-1");
	parsed_free(&p);
	char *r128 = repeat('r', 128), *r129 = repeat('r', 129);
	CV_CHECK(accepts_free(fmt("{\"type\":\"ping\",\"requestId\":\"%s\"}", r128)));
	CV_CHECK(rejects_free(fmt("{\"type\":\"ping\",\"requestId\":\"%s\"}", r129), "requestId"));
	free(r128);
	free(r129);
}

static void test_request_id_integer(void) {
	parsed p = parse("{\"type\":\"ping\",\"requestId\":42}");
	CV_CHECK(p.ok);
	CV_CHECK(json_is_integer(p.env.request_id));
	CV_CHECK_INT(json_integer_value(p.env.request_id), 42);
	parsed_free(&p);
	CV_CHECK(accepts("{\"type\":\"ping\",\"requestId\":0}"));
	CV_CHECK(accepts("{\"type\":\"ping\",\"requestId\":-5}"));
	CV_CHECK(accepts("{\"type\":\"ping\",\"requestId\":9007199254740993}"));
}

static void test_request_id_bad_type(void) {
	const char *bad[] = {
		"{\"type\":\"ping\",\"requestId\":true}",
		"{\"type\":\"ping\",\"requestId\":1.5}",
		"{\"type\":\"ping\",\"requestId\":null}",
		"{\"type\":\"ping\",\"requestId\":{}}",
		"{\"type\":\"ping\",\"requestId\":[1]}",
	};
	for(size_t i = 0; i < sizeof(bad)/sizeof(bad[0]); i++) {
		CV_CHECK(rejects(bad[i], "requestId"));
		parsed p = parse(bad[i]);
		/* Not well-formed: not echoed */
		CV_CHECK(p.env.request_id == NULL);
		parsed_free(&p);
	}
}

/* A well-formed requestId is set even when a later check fails. */
static void test_request_id_kept_on_failure(void) {
	const char *frames[] = {
		"{\"requestId\":\"r-7\"}",
		"{\"requestId\":\"r-7\",\"type\":\"dance\"}",
		"{\"requestId\":\"r-7\",\"type\":17}",
		"{\"requestId\":\"r-7\",\"type\":\"join\"}",
		"{\"requestId\":\"r-7\",\"type\":\"join\",\"roomId\":\"\"}",
		"{\"requestId\":\"r-7\",\"type\":\"leave\",\"userId\":\"\\u0001\"}",
		"{\"requestId\":\"r-7\",\"type\":\"offer\"}",
		"{\"requestId\":\"r-7\",\"type\":\"offer\",\"data\":{\"type\":\"answer\",\"sdp\":\"" SDP "\"}}",
		"{\"requestId\":\"r-7\",\"type\":\"join\",\"roomId\":\"r\",\"token\":5}",
		"{\"requestId\":\"r-7\",\"type\":\"ping\",\"timestamp\":\"now\"}",
	};
	for(size_t i = 0; i < sizeof(frames)/sizeof(frames[0]); i++) {
		parsed p = parse(frames[i]);
		CV_CHECK(p.msg != NULL && !p.ok);
		CV_CHECK_INT(p.err.code, CV_ERR_BAD_REQUEST);
		CV_CHECK(p.env.request_id == json_object_get(p.msg, "requestId"));
		CV_CHECK_STR(json_string_value(p.env.request_id), "r-7");
		parsed_free(&p);
	}
	parsed p = parse("{\"requestId\":99,\"type\":\"kick\"}");
	CV_CHECK(!p.ok);
	CV_CHECK_INT(json_integer_value(p.env.request_id), 99);
	parsed_free(&p);
}

/* --- join ----------------------------------------------------------------- */

static void test_join(void) {
	parsed p = parse("{\"type\":\"join\",\"roomId\":\"r1\",\"userId\":\"alice\",\"token\":\"a.b.c\","
		"\"data\":{\"displayName\":\"Alice\",\"publish\":{\"audio\":true,\"video\":false},\"resume\":true}}");
	CV_CHECK(p.ok);
	CV_CHECK_INT(p.env.type, CV_MSG_JOIN);
	CV_CHECK_STR(p.env.room_id, "r1");
	CV_CHECK_STR(p.env.user_id, "alice");
	CV_CHECK_STR(p.env.token, "a.b.c");
	CV_CHECK(json_is_object(p.env.data));
	parsed_free(&p);
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{}}"));
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"future\":[1,2]}}"));
}

static void test_join_data_shape(void) {
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":\"alice\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":[]}", "data"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":null}", "data"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":3}", "data"));
}

static void test_join_publish(void) {
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{}}}"));
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{\"audio\":false}}}"));
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{\"video\":true}}}"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":true}}", "publish"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":null}}", "publish"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{\"audio\":\"yes\"}}}", "publish"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{\"audio\":1}}}", "publish"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{\"audio\":true,\"video\":0}}}", "publish"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"publish\":{\"video\":null}}}", "publish"));
}

static void test_join_display_name(void) {
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"displayName\":\"\"}}"));
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"displayName\":null}}"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"displayName\":7}}", "displayName"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"displayName\":{}}}", "displayName"));
	char *n256 = repeat('n', 256), *n257 = repeat('n', 257);
	CV_CHECK(accepts_free(fmt("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"displayName\":\"%s\"}}", n256)));
	CV_CHECK(rejects_free(fmt("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"displayName\":\"%s\"}}", n257), "displayName"));
	free(n256);
	free(n257);
}

static void test_join_resume(void) {
	CV_CHECK(accepts("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"resume\":false}}"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"resume\":\"true\"}}", "resume"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"resume\":1}}", "resume"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"data\":{\"resume\":null}}", "resume"));
}

static void test_join_token(void) {
	parsed p = parse("{\"type\":\"join\",\"roomId\":\"r1\"}");
	CV_CHECK(p.ok);
	CV_CHECK(p.env.token == NULL);
	parsed_free(&p);
	p = parse("{\"type\":\"join\",\"roomId\":\"r1\",\"token\":\"\"}");
	CV_CHECK(p.ok);
	CV_CHECK_STR(p.env.token, "");
	parsed_free(&p);
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"token\":12345}", "token"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"token\":null}", "token"));
	CV_CHECK(rejects("{\"type\":\"join\",\"roomId\":\"r1\",\"token\":{\"jwt\":\"a.b.c\"}}", "token"));
	/* The token is only read from join */
	p = parse("{\"type\":\"ping\",\"token\":\"a.b.c\"}");
	CV_CHECK(p.ok);
	CV_CHECK(p.env.token == NULL);
	parsed_free(&p);
}

/* --- offer / answer ------------------------------------------------------- */

static void test_offer(void) {
	parsed p = parse("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}");
	CV_CHECK(p.ok);
	CV_CHECK_INT(p.env.type, CV_MSG_OFFER);
	CV_CHECK_STR(json_string_value(json_object_get(p.env.data, "sdp")), "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
	parsed_free(&p);
	CV_CHECK(accepts("{\"type\":\"offer\",\"targetUserId\":\"bob\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}"));
	CV_CHECK(rejects("{\"type\":\"offer\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":null}", "data"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":\"v=0\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"sdp\":\"" SDP "\"}}", "data.type"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"answer\",\"sdp\":\"" SDP "\"}}", "data.type"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"pranswer\",\"sdp\":\"" SDP "\"}}", "data.type"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":1,\"sdp\":\"" SDP "\"}}", "data.type"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"\"}}", "data.sdp"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"offer\"}}", "data.sdp"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":null}}", "data.sdp"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":[\"v=0\"]}}", "data.sdp"));
}

static void test_answer(void) {
	parsed p = parse("{\"type\":\"answer\",\"targetUserId\":\"sfu\",\"data\":{\"type\":\"answer\",\"sdp\":\"" SDP "\"}}");
	CV_CHECK(p.ok);
	CV_CHECK_INT(p.env.type, CV_MSG_ANSWER);
	CV_CHECK_STR(p.env.target_user_id, "sfu");
	parsed_free(&p);
	CV_CHECK(rejects("{\"type\":\"answer\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"answer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}", "data.type"));
	CV_CHECK(rejects("{\"type\":\"answer\",\"data\":{\"type\":\"answer\",\"sdp\":\"\"}}", "data.sdp"));
	CV_CHECK(rejects("{\"type\":\"answer\",\"data\":{\"type\":\"answer\",\"sdp\":5}}", "data.sdp"));
	CV_CHECK(rejects("{\"type\":\"answer\",\"data\":[]}", "data"));
}

/* --- ice-candidate -------------------------------------------------------- */

static void test_ice_candidate(void) {
	parsed p = parse("{\"type\":\"ice-candidate\",\"data\":null}");
	CV_CHECK(p.ok);
	CV_CHECK(p.env.data != NULL);
	CV_CHECK(json_is_null(p.env.data));
	parsed_free(&p);
	CV_CHECK(accepts("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host\","
		"\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}"));
	CV_CHECK(accepts("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"\"}}"));
	CV_CHECK(accepts("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMid\":null,\"sdpMLineIndex\":null}}"));
	CV_CHECK(accepts("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":65535}}"));
	CV_CHECK(accepts("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"usernameFragment\":\"abcd\"}}"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":\"candidate:1\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":[]}", "data"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{}}", "data.candidate"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":null}}", "data.candidate"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":7}}", "data.candidate"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMid\":0}}", "data.sdpMid"));
}

/* The text of a candidate and of an SDP is checked too (cv_sdp_check.c):
 * garbage is 400 before it reaches the core or a mesh peer. */
static void test_garbage_sdp_and_candidates(void) {
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"garbage\"}}", "candidate"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"targetUserId\":\"bob\",\"data\":{\"candidate\":\"candidate:1 1 udp\"}}",
		"candidate"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}", "v=0"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"targetUserId\":\"bob\",\"data\":{\"type\":\"offer\",\"sdp\":\"hello\"}}", "v=0"));
	CV_CHECK(rejects("{\"type\":\"answer\",\"data\":{\"type\":\"answer\",\"sdp\":\"" SDP "m=audio 9 RTP/AVP\\r\\n\"}}",
		"m= line"));
	CV_CHECK(rejects("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "a=fingerprint:sha-256 AB:CD\\r\\n\"}}",
		"fingerprint"));
	CV_CHECK(accepts("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "m=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\n\"}}"));
}

static void test_ice_candidate_mline_index(void) {
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":-1}}", "sdpMLineIndex"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":65536}}", "sdpMLineIndex"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":\"0\"}}", "sdpMLineIndex"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":1.5}}", "sdpMLineIndex"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":true}}", "sdpMLineIndex"));
	CV_CHECK(rejects("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":9223372036854775807}}", "sdpMLineIndex"));
	CV_CHECK(accepts("{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"" CAND "\",\"sdpMLineIndex\":3}}"));
}

/* --- message / stats / media ---------------------------------------------- */

static void test_message(void) {
	CV_CHECK(accepts("{\"type\":\"message\",\"data\":{\"text\":\"hi\"}}"));
	CV_CHECK(accepts("{\"type\":\"message\",\"data\":\"hi\"}"));
	CV_CHECK(accepts("{\"type\":\"message\",\"data\":5}"));
	CV_CHECK(accepts("{\"type\":\"message\",\"data\":[1,2]}"));
	CV_CHECK(accepts("{\"type\":\"message\",\"data\":null}"));
	CV_CHECK(rejects("{\"type\":\"message\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"message\",\"targetUserId\":\"bob\"}", "data"));
}

static void test_stats(void) {
	CV_CHECK(accepts("{\"type\":\"stats\",\"data\":{\"bitrate\":1000}}"));
	CV_CHECK(rejects("{\"type\":\"stats\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"stats\",\"data\":[]}", "data"));
	CV_CHECK(rejects("{\"type\":\"stats\",\"data\":null}", "data"));
}

static void test_media(void) {
	CV_CHECK(accepts("{\"type\":\"media\",\"data\":{\"audio\":true}}"));
	CV_CHECK(accepts("{\"type\":\"media\",\"data\":{\"video\":false}}"));
	CV_CHECK(accepts("{\"type\":\"media\",\"data\":{\"audio\":false,\"video\":true}}"));
	CV_CHECK(rejects("{\"type\":\"media\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":{}}", "data"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":{\"screen\":true}}", "data"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":{\"audio\":\"off\"}}", "data.audio"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":{\"audio\":true,\"video\":1}}", "data.video"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":{\"audio\":null}}", "data.audio"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":[true]}", "data"));
	CV_CHECK(rejects("{\"type\":\"media\",\"data\":true}", "data"));
}

/* --- subscribe -------------------------------------------------------------- */

static void test_subscribe(void) {
	const char *layers[] = { "h", "m", "l", "auto" };
	for(size_t i = 0; i < sizeof(layers)/sizeof(layers[0]); i++)
		CV_CHECK(accepts_free(fmt("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"%s\"}}", layers[i])));
	CV_CHECK(rejects("{\"type\":\"subscribe\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":\"bob\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"layer\":\"h\"}}", "data.userId"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"\",\"layer\":\"h\"}}", "data.userId"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":3,\"layer\":\"h\"}}", "data.userId"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"b\\u0002\",\"layer\":\"h\"}}", "data.userId"));
	char *id129 = repeat('u', 129);
	CV_CHECK(rejects_free(fmt("{\"type\":\"subscribe\",\"data\":{\"userId\":\"%s\",\"layer\":\"h\"}}", id129), "data.userId"));
	free(id129);
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\"}}", "data.layer"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"x\"}}", "data.layer"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"H\"}}", "data.layer"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"\"}}", "data.layer"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":\"high\"}}", "data.layer"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":1}}", "data.layer"));
	CV_CHECK(rejects("{\"type\":\"subscribe\",\"data\":{\"userId\":\"bob\",\"layer\":null}}", "data.layer"));
}

/* --- kick and the types without data ----------------------------------- */

static void test_kick(void) {
	parsed p = parse("{\"type\":\"kick\",\"roomId\":\"r1\",\"targetUserId\":\"mallory\",\"data\":{\"reason\":\"spam\"}}");
	CV_CHECK(p.ok);
	CV_CHECK_INT(p.env.type, CV_MSG_KICK);
	CV_CHECK_STR(p.env.target_user_id, "mallory");
	parsed_free(&p);
	CV_CHECK(accepts("{\"type\":\"kick\",\"targetUserId\":\"mallory\",\"data\":{}}"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":\"mallory\",\"data\":\"spam\"}", "data"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":\"mallory\",\"data\":null}", "data"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":\"mallory\",\"data\":{\"reason\":5}}", "data.reason"));
	CV_CHECK(rejects("{\"type\":\"kick\",\"targetUserId\":\"mallory\",\"data\":{\"reason\":null}}", "data.reason"));
	char *r256 = repeat('r', 256), *r257 = repeat('r', 257);
	CV_CHECK(accepts_free(fmt("{\"type\":\"kick\",\"targetUserId\":\"m\",\"data\":{\"reason\":\"%s\"}}", r256)));
	CV_CHECK(rejects_free(fmt("{\"type\":\"kick\",\"targetUserId\":\"m\",\"data\":{\"reason\":\"%s\"}}", r257), "data.reason"));
	free(r256);
	free(r257);
}

/* leave, ping and the recording commands take no data, and ignore it. */
static void test_no_data_types(void) {
	const char *types[] = { "leave", "ping", "start-recording", "stop-recording" };
	for(size_t i = 0; i < sizeof(types)/sizeof(types[0]); i++) {
		CV_CHECK(accepts_free(fmt("{\"type\":\"%s\"}", types[i])));
		CV_CHECK(accepts_free(fmt("{\"type\":\"%s\",\"roomId\":\"r1\",\"userId\":\"u1\",\"requestId\":1}", types[i])));
		CV_CHECK(accepts_free(fmt("{\"type\":\"%s\",\"data\":{\"x\":1}}", types[i])));
		CV_CHECK(rejects_free(fmt("{\"type\":\"%s\",\"userId\":\"\"}", types[i]), "userId"));
	}
}

/* --- cv_envelope_targets_server ------------------------------------------ */

static void test_targets_server(void) {
	parsed p = parse("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}");
	CV_CHECK(p.ok);
	CV_CHECK(cv_envelope_targets_server(&p.env));
	parsed_free(&p);
	p = parse("{\"type\":\"offer\",\"targetUserId\":\"sfu\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}");
	CV_CHECK(p.ok);
	CV_CHECK(cv_envelope_targets_server(&p.env));
	parsed_free(&p);
	p = parse("{\"type\":\"offer\",\"targetUserId\":\"bob\",\"data\":{\"type\":\"offer\",\"sdp\":\"" SDP "\"}}");
	CV_CHECK(p.ok);
	CV_CHECK(!cv_envelope_targets_server(&p.env));
	parsed_free(&p);
	p = parse("{\"type\":\"message\",\"targetUserId\":\"SFU\",\"data\":1}");
	CV_CHECK(p.ok);
	CV_CHECK(!cv_envelope_targets_server(&p.env));
	parsed_free(&p);
	p = parse("{\"type\":\"message\",\"targetUserId\":\"sfu2\",\"data\":1}");
	CV_CHECK(p.ok);
	CV_CHECK(!cv_envelope_targets_server(&p.env));
	parsed_free(&p);
	CV_CHECK_STR(CV_SERVER_ID, "sfu");
}

/* The bound on values counts containers and comma-separated values, and
 * not what is inside strings. */
static void test_load_bounded_values(void) {
	cv_error err;
	const char *ten = "{\"type\":\"message\",\"data\":[1,2,3,4,5,6,7,8]}";
	json_t *m = cv_envelope_load_bounded(ten, strlen(ten), 32, 20, &err);
	CV_CHECK(m != NULL);
	json_decref(m);
	m = cv_envelope_load_bounded(ten, strlen(ten), 32, 5, &err);
	CV_CHECK(m == NULL);
	CV_CHECK_INT(err.code, 400);
	CV_CHECK_STR(err.message, "JSON has too many values");
	const char *strings = "{\"type\":\"message\",\"data\":\",,,,,,,,,,[[[[,,,,\"}";
	m = cv_envelope_load_bounded(strings, strlen(strings), 3, 4, &err);
	CV_CHECK(m != NULL);
	json_decref(m);
	/* 0: no bound (and depth still checked) */
	m = cv_envelope_load_bounded(ten, strlen(ten), 0, 0, &err);
	CV_CHECK(m != NULL);
	json_decref(m);
	const char *deep = "{\"a\":[[[1]]]}";
	m = cv_envelope_load_bounded(deep, strlen(deep), 3, 0, &err);
	CV_CHECK(m == NULL);
	CV_CHECK_STR(err.message, "JSON nested too deeply");
}

int main(void) {
	CV_RUN(test_load_object);
	CV_RUN(test_load_not_json);
	CV_RUN(test_load_not_object);
	CV_RUN(test_load_length);
	CV_RUN(test_load_err_null);
	CV_RUN(test_load_duplicate_keys);
	CV_RUN(test_load_depth_objects);
	CV_RUN(test_load_depth_arrays);
	CV_RUN(test_load_depth_strings);
	CV_RUN(test_load_depth_unlimited);
	CV_RUN(test_type_names);
	CV_RUN(test_every_type_minimal);
	CV_RUN(test_fields_filled);
	CV_RUN(test_parse_not_object);
	CV_RUN(test_parse_err_null);
	CV_RUN(test_parse_resets_env);
	CV_RUN(test_type_missing_unknown);
	CV_RUN(test_room_id);
	CV_RUN(test_user_id);
	CV_RUN(test_target_user_id);
	CV_RUN(test_id_lengths);
	CV_RUN(test_id_control_chars);
	CV_RUN(test_id_valid);
	CV_RUN(test_timestamp);
	CV_RUN(test_request_id_string);
	CV_RUN(test_request_id_integer);
	CV_RUN(test_request_id_bad_type);
	CV_RUN(test_request_id_kept_on_failure);
	CV_RUN(test_join);
	CV_RUN(test_join_data_shape);
	CV_RUN(test_join_publish);
	CV_RUN(test_join_display_name);
	CV_RUN(test_join_resume);
	CV_RUN(test_join_token);
	CV_RUN(test_offer);
	CV_RUN(test_answer);
	CV_RUN(test_ice_candidate);
	CV_RUN(test_ice_candidate_mline_index);
	CV_RUN(test_garbage_sdp_and_candidates);
	CV_RUN(test_message);
	CV_RUN(test_stats);
	CV_RUN(test_media);
	CV_RUN(test_subscribe);
	CV_RUN(test_kick);
	CV_RUN(test_no_data_types);
	CV_RUN(test_targets_server);
	CV_RUN(test_load_bounded_values);
	return cv_test_done();
}
