/*
 * fuzz_bridge.c - the reply half of src/cv_bridge.c: Janus API messages
 * (from the core and the plugin, so shaped by whatever a peer made the
 * plugin say) turned into protocol frames for the client.
 *
 * Feeds: the input as JSON (any value, not only objects) to cv_bridge_frame,
 * and to cv_bridge_error_frame with the message's "transaction" (any JSON
 * value, possibly absent) as the request id to echo. Frames are serialised
 * as the transport sends them.
 *
 * Asserts beyond "no crash":
 *  - the Janus message is never modified (deep-equal to a copy made first);
 *  - cv_bridge_frame returns NULL for anything but "event" with a
 *    plugindata.data object that has a string type, and "trickle" with a
 *    candidate object; a frame is an object with a string `type` (the
 *    transport strcmp()s it) and an integer `timestamp`; an event frame has
 *    the plugin's type and, with a jsep object, data = {type, sdp} from it;
 *    a trickle frame is an ice-candidate from "sfu" whose data is null
 *    (completed) or an object with sdpMid and sdpMLineIndex (null if
 *    absent);
 *  - the error frame is {type:"error", data:{code, reason, message}} with
 *    code in the cv_errors table (Janus 403 -> 401, malformed/SDP codes ->
 *    400, 471 -> 409, others 500), reason = cv_error_reason(code), message
 *    the Janus reason when it is a string, else the reason word; requestId
 *    deep-equal to the one given, absent when none.
 */
#include "fuzz_common.h"
#include "cv_bridge.h"
#include "cv_errors.h"

static void dump_ok(json_t *v) {
	char *text = json_dumps(v, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
}

static cv_error_code expected_code(json_int_t janus_code) {
	switch(janus_code) {
		case 403:
			return CV_ERR_UNAUTHORIZED;
		case 454: case 455: case 456: case 457: case 464: case 465: case 466: case 467: case 469:
			return CV_ERR_BAD_REQUEST;
		case 471:
			return CV_ERR_CONFLICT;
		default:
			return CV_ERR_INTERNAL;
	}
}

static void check_frame(json_t *msg) {
	json_t *frame = cv_bridge_frame(msg);
	const char *kind = json_string_value(json_object_get(msg, "janus"));
	json_t *pdata = json_object_get(json_object_get(msg, "plugindata"), "data");
	json_t *cand = json_object_get(msg, "candidate");
	bool is_event = kind && strcmp(kind, "event") == 0 &&
		json_is_object(pdata) && json_is_string(json_object_get(pdata, "type"));
	bool is_trickle = kind && strcmp(kind, "trickle") == 0 && json_is_object(cand);
	FUZZ_CHECK((frame != NULL) == (is_event || is_trickle));
	if(frame == NULL)
		return;
	FUZZ_CHECK(json_is_object(frame));
	FUZZ_CHECK(json_is_string(json_object_get(frame, "type")));
	FUZZ_CHECK(json_is_integer(json_object_get(frame, "timestamp")));
	if(is_event) {
		FUZZ_CHECK(json_equal(json_object_get(frame, "type"), json_object_get(pdata, "type")));
		json_t *jsep = json_object_get(msg, "jsep");
		json_t *fdata = json_object_get(frame, "data");
		if(json_is_object(jsep)) {
			FUZZ_CHECK(json_is_object(fdata));
			json_t *t = json_object_get(jsep, "type"), *s = json_object_get(jsep, "sdp");
			FUZZ_CHECK(t ? json_equal(json_object_get(fdata, "type"), t) : json_object_get(fdata, "type") == NULL);
			FUZZ_CHECK(s ? json_equal(json_object_get(fdata, "sdp"), s) : json_object_get(fdata, "sdp") == NULL);
		} else {
			FUZZ_CHECK(fdata == json_object_get(pdata, "data"));
		}
		json_t *ts = json_object_get(pdata, "timestamp");
		if(json_is_integer(ts))
			FUZZ_CHECK(json_equal(json_object_get(frame, "timestamp"), ts));
	} else {
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(frame, "type")), "ice-candidate") == 0);
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(frame, "userId")), "sfu") == 0);
		json_t *fdata = json_object_get(frame, "data");
		if(json_is_true(json_object_get(cand, "completed"))) {
			FUZZ_CHECK(json_is_null(fdata));
		} else {
			FUZZ_CHECK(json_is_object(fdata));
			FUZZ_CHECK(json_object_get(fdata, "sdpMid") != NULL);
			FUZZ_CHECK(json_object_get(fdata, "sdpMLineIndex") != NULL);
		}
	}
	dump_ok(frame);
	json_decref(frame);
}

static void check_error(json_t *msg) {
	json_t *request_id = json_object_get(msg, "transaction");
	json_t *frame = cv_bridge_error_frame(msg, request_id);
	FUZZ_CHECK(json_is_object(frame));
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(frame, "type")), "error") == 0);
	json_t *rid = json_object_get(frame, "requestId");
	FUZZ_CHECK(request_id ? json_equal(rid, request_id) : rid == NULL);
	json_t *error = json_object_get(msg, "error");
	cv_error_code code = expected_code(json_integer_value(json_object_get(error, "code")));
	json_t *data = json_object_get(frame, "data");
	FUZZ_CHECK(json_integer_value(json_object_get(data, "code")) == code);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(data, "reason")), cv_error_reason(code)) == 0);
	const char *reason = json_string_value(json_object_get(error, "reason"));
	const char *message = json_string_value(json_object_get(data, "message"));
	FUZZ_CHECK(message != NULL);
	FUZZ_CHECK(strcmp(message, reason ? reason : cv_error_reason(code)) == 0);
	FUZZ_CHECK(json_is_integer(json_object_get(frame, "timestamp")));
	dump_ok(frame);
	json_decref(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	json_t *msg = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if(msg == NULL)
		return 0;
	json_t *before = json_deep_copy(msg);
	check_frame(msg);
	FUZZ_CHECK(json_equal(msg, before));
	check_error(msg);
	FUZZ_CHECK(json_equal(msg, before));
	json_decref(before);
	json_decref(msg);
	return 0;
}
