/*
 * cv_errors.c - the protocol's error table (see cv_errors.h).
 */
#include "cv_errors.h"
#include "cv_time.h"

static const struct {
	cv_error_code code;
	const char *reason;
} cv_error_table[] = {
	{ CV_ERR_BAD_REQUEST, "bad_request" },
	{ CV_ERR_UNAUTHORIZED, "unauthorized" },
	{ CV_ERR_FORBIDDEN, "forbidden" },
	{ CV_ERR_NOT_FOUND, "not_found" },
	{ CV_ERR_CONFLICT, "conflict" },
	{ CV_ERR_TOO_LARGE, "too_large" },
	{ CV_ERR_RATE_LIMITED, "rate_limited" },
	{ CV_ERR_INTERNAL, "internal" },
	{ CV_ERR_ROOM_FULL, "room_full" },
};

/* The table row of a code, NULL when the code is not in the table. */
static const char *cv_error_lookup(cv_error_code code) {
	for(size_t i = 0; i < sizeof(cv_error_table)/sizeof(cv_error_table[0]); i++) {
		if(cv_error_table[i].code == code)
			return cv_error_table[i].reason;
	}
	return NULL;
}

const char *cv_error_reason(cv_error_code code) {
	const char *reason = cv_error_lookup(code);
	return reason ? reason : "internal";
}

json_t *cv_error_frame(cv_error_code code, const char *message, json_t *request_id) {
	const char *reason = cv_error_lookup(code);
	if(reason == NULL) {
		code = CV_ERR_INTERNAL;
		reason = cv_error_reason(code);
	}
	json_t *frame = json_object();
	json_object_set_new(frame, "type", json_string("error"));
	if(request_id != NULL)
		json_object_set_new(frame, "requestId", json_deep_copy(request_id));
	json_t *data = json_object();
	json_object_set_new(data, "code", json_integer(code));
	json_object_set_new(data, "reason", json_string(reason));
	json_object_set_new(data, "message", json_string(message ? message : reason));
	json_object_set_new(frame, "data", data);
	json_object_set_new(frame, "timestamp", json_integer(cv_now_ms()));
	return frame;
}
