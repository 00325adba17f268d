/*
 * fuzz_envelope.c - the transport's path for a client WebSocket frame:
 * src/cv_envelope.c, src/cv_errors.c and the request half of
 * src/cv_bridge.c.
 *
 * Feeds: the input as one text frame, as convene_client_frame() does:
 * cv_envelope_load (max depth 32, the shipped default, and 3, so the depth
 * guard decides often) -> cv_envelope_parse -> on failure cv_error_frame
 * with the echoed requestId, on success cv_bridge_route and
 * cv_bridge_request (with the verified-token extra body for a join).
 * Every frame built is also serialised, as the transport sends it.
 *
 * Asserts beyond "no crash":
 *  - the depth guard is exact: load with max_depth D succeeds iff jansson
 *    alone parses the text to an object whose nesting is <= D (then the
 *    two results are equal); a failure is a 400 with a message;
 *  - a parsed envelope is consistent: type_name is the table name of
 *    type; roomId, userId and targetUserId are valid ids (cv_id_valid) and
 *    are the message's own strings; requestId is an integer or a string of
 *    up to 128 bytes; types that need roomId/targetUserId/data have them;
 *    a join's token is the message's string;
 *  - a failure is a 400 with a message, and its error frame is
 *    {type:"error", requestId (equal to the message's when echoed),
 *    data:{code 400, reason "bad_request", message}, timestamp};
 *  - the bridge request leaves the message untouched, carries the session,
 *    handle and transaction; a trickle has a candidate ({completed:true}
 *    or the candidate string), a jsep request has the description's type
 *    and sdp and a body without `data`, any other request's body is the
 *    message (plus the extra body).
 */
#include "fuzz_common.h"
#include "cv_bridge.h"
#include "cv_envelope.h"
#include "cv_errors.h"

static int depth_of(json_t *v) {
	int deepest = 0;
	if(json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child) {
			int d = depth_of(child);
			if(d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	if(json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			int d = depth_of(child);
			if(d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	return 0;
}

static void dump_ok(json_t *v) {
	char *text = json_dumps(v, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
}

static void check_error_frame(const cv_error *err, json_t *request_id) {
	FUZZ_CHECK(err->code == CV_ERR_BAD_REQUEST);
	FUZZ_CHECK(err->message != NULL && err->message[0] != '\0');
	json_t *frame = cv_error_frame(err->code, err->message, request_id);
	FUZZ_CHECK(json_is_object(frame));
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(frame, "type")), "error") == 0);
	json_t *rid = json_object_get(frame, "requestId");
	FUZZ_CHECK(request_id ? json_equal(rid, request_id) : rid == NULL);
	json_t *data = json_object_get(frame, "data");
	FUZZ_CHECK(json_integer_value(json_object_get(data, "code")) == 400);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(data, "reason")), "bad_request") == 0);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(data, "message")), err->message) == 0);
	FUZZ_CHECK(json_is_integer(json_object_get(frame, "timestamp")));
	dump_ok(frame);
	json_decref(frame);
}

/* An optional id field: the envelope's pointer is the message's string. */
static void check_id(json_t *msg, const char *key, const char *got) {
	json_t *v = json_object_get(msg, key);
	if(got == NULL) {
		FUZZ_CHECK(v == NULL);
		return;
	}
	FUZZ_CHECK(json_is_string(v) && json_string_value(v) == got);
	FUZZ_CHECK(cv_id_valid(got));
	size_t n = strlen(got);
	FUZZ_CHECK(n >= 1 && n <= CV_ID_MAX_LEN && n == json_string_length(v));
	for(size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)got[i] >= 0x20 && got[i] != 0x7f);
}

static void check_request(json_t *msg, const cv_envelope *env) {
	json_t *before = json_deep_copy(msg);
	json_t *extra = env->type == CV_MSG_JOIN ? json_pack("{ss}", "token", "verified") : NULL;
	cv_route route = cv_bridge_route(env);
	json_t *req = cv_bridge_request(msg, env, 0x1122334455667788ull, 42, "cv-1", extra);
	FUZZ_CHECK(json_equal(msg, before));
	FUZZ_CHECK(json_is_object(req));
	const char *janus = json_string_value(json_object_get(req, "janus"));
	FUZZ_CHECK(janus != NULL);
	FUZZ_CHECK(json_integer_value(json_object_get(req, "session_id")) == (json_int_t)0x1122334455667788ull);
	FUZZ_CHECK(json_integer_value(json_object_get(req, "handle_id")) == 42);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(req, "transaction")), "cv-1") == 0);
	bool to_server = cv_envelope_targets_server(env);
	if(route == CV_ROUTE_TRICKLE) {
		FUZZ_CHECK(to_server && env->type == CV_MSG_ICE_CANDIDATE);
		FUZZ_CHECK(strcmp(janus, "trickle") == 0);
		FUZZ_CHECK(json_object_get(req, "body") == NULL);
		json_t *cand = json_object_get(req, "candidate");
		FUZZ_CHECK(json_is_object(cand));
		const char *text = json_string_value(json_object_get(env->data, "candidate"));
		if(text == NULL || text[0] == '\0') {
			FUZZ_CHECK(json_is_true(json_object_get(cand, "completed")));
		} else {
			FUZZ_CHECK(json_equal(json_object_get(cand, "candidate"), json_object_get(env->data, "candidate")));
		}
	} else {
		FUZZ_CHECK(strcmp(janus, "message") == 0);
		json_t *body = json_object_get(req, "body");
		FUZZ_CHECK(json_is_object(body));
		if(route == CV_ROUTE_MESSAGE_JSEP) {
			FUZZ_CHECK(to_server && (env->type == CV_MSG_OFFER || env->type == CV_MSG_ANSWER));
			json_t *jsep = json_object_get(req, "jsep");
			FUZZ_CHECK(strcmp(json_string_value(json_object_get(jsep, "type")), env->type_name) == 0);
			FUZZ_CHECK(json_string_length(json_object_get(jsep, "sdp")) > 0);
			FUZZ_CHECK(json_object_get(body, "data") == NULL);
		} else {
			FUZZ_CHECK(json_object_get(req, "jsep") == NULL);
			json_t *expect = json_copy(msg);
			if(extra != NULL)
				json_object_update(expect, extra);
			FUZZ_CHECK(json_equal(body, expect));
			json_decref(expect);
		}
		if(extra != NULL)
			FUZZ_CHECK(strcmp(json_string_value(json_object_get(body, "token")), "verified") == 0);
	}
	dump_ok(req);
	json_decref(req);
	if(extra != NULL)
		json_decref(extra);
	json_decref(before);
}

static void check_envelope(json_t *msg) {
	cv_envelope env;
	cv_error err = { CV_OK, NULL };
	bool ok = cv_envelope_parse(msg, &env, &err);
	json_t *rid = json_object_get(msg, "requestId");
	if(env.request_id != NULL) {
		FUZZ_CHECK(env.request_id == rid);
		FUZZ_CHECK(json_is_integer(rid) || (json_is_string(rid) && json_string_length(rid) <= CV_ID_MAX_LEN));
	}
	if(!ok) {
		check_error_frame(&err, env.request_id);
		return;
	}
	FUZZ_CHECK(err.code == CV_OK && err.message == NULL);
	FUZZ_CHECK(rid == NULL || env.request_id == rid);
	FUZZ_CHECK(env.type < CV_MSG_COUNT);
	FUZZ_CHECK(env.type_name == cv_msg_type_name(env.type));
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(msg, "type")), env.type_name) == 0);
	check_id(msg, "roomId", env.room_id);
	check_id(msg, "userId", env.user_id);
	check_id(msg, "targetUserId", env.target_user_id);
	FUZZ_CHECK(env.data == json_object_get(msg, "data"));
	if(env.type == CV_MSG_JOIN) {
		FUZZ_CHECK(env.room_id != NULL);
		json_t *token = json_object_get(msg, "token");
		FUZZ_CHECK(token ? env.token == json_string_value(token) : env.token == NULL);
	} else {
		FUZZ_CHECK(env.token == NULL);
	}
	if(env.type == CV_MSG_KICK)
		FUZZ_CHECK(env.target_user_id != NULL);
	switch(env.type) {
		case CV_MSG_OFFER: case CV_MSG_ANSWER: case CV_MSG_ICE_CANDIDATE: case CV_MSG_MESSAGE:
		case CV_MSG_MEDIA: case CV_MSG_STATS: case CV_MSG_SUBSCRIBE:
			FUZZ_CHECK(env.data != NULL);
			break;
		default:
			break;
	}
	check_request(msg, &env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	/* What jansson alone makes of the text */
	json_t *plain = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	int plain_depth = plain ? depth_of(plain) : -1;
	bool plain_object = json_is_object(plain);

	static const int depths[] = { 32, 3 };
	for(size_t i = 0; i < sizeof(depths)/sizeof(depths[0]); i++) {
		char *text = (char *)fuzz_copy(data, size);
		cv_error err = { CV_OK, NULL };
		json_t *msg = cv_envelope_load(text, size, depths[i], &err);
		fuzz_free((uint8_t *)text, size);
		bool expect = plain_object && plain_depth <= depths[i];
		FUZZ_CHECK((msg != NULL) == expect);
		if(msg == NULL) {
			check_error_frame(&err, NULL);
			continue;
		}
		FUZZ_CHECK(json_is_object(msg) && json_equal(msg, plain));
		/* The rest once: at the shipped depth */
		if(i == 0)
			check_envelope(msg);
		json_decref(msg);
	}
	if(plain != NULL)
		json_decref(plain);
	return 0;
}
