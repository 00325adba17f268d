/*
 * test_errors.c - the protocol's error table and the error frame shape.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cv_test.h"
#include "cv_errors.h"
#include "cv_time.h"

static const struct {
	cv_error_code code;
	int number;
	const char *reason;
} table[] = {
	{ CV_ERR_BAD_REQUEST, 400, "bad_request" },
	{ CV_ERR_UNAUTHORIZED, 401, "unauthorized" },
	{ CV_ERR_FORBIDDEN, 403, "forbidden" },
	{ CV_ERR_NOT_FOUND, 404, "not_found" },
	{ CV_ERR_CONFLICT, 409, "conflict" },
	{ CV_ERR_TOO_LARGE, 413, "too_large" },
	{ CV_ERR_RATE_LIMITED, 429, "rate_limited" },
	{ CV_ERR_INTERNAL, 500, "internal" },
	{ CV_ERR_ROOM_FULL, 503, "room_full" },
};
#define TABLE_SIZE (sizeof(table)/sizeof(table[0]))

/* Checks the frame is {type:"error", [requestId], data:{code, reason,
 * message}, timestamp} with nothing else, and the data values. */
static void check_frame(json_t *frame, int code, const char *reason, const char *message,
		bool with_request_id, int64_t before_ms, int64_t after_ms) {
	CV_CHECK(json_is_object(frame));
	CV_CHECK_STR(json_string_value(json_object_get(frame, "type")), "error");
	CV_CHECK_INT(json_object_size(frame), with_request_id ? 4 : 3);
	CV_CHECK((json_object_get(frame, "requestId") != NULL) == with_request_id);
	json_t *data = json_object_get(frame, "data");
	CV_CHECK(json_is_object(data));
	CV_CHECK_INT(json_object_size(data), 3);
	CV_CHECK(json_is_integer(json_object_get(data, "code")));
	CV_CHECK_INT(json_integer_value(json_object_get(data, "code")), code);
	CV_CHECK_STR(json_string_value(json_object_get(data, "reason")), reason);
	CV_CHECK_STR(json_string_value(json_object_get(data, "message")), message);
	json_t *ts = json_object_get(frame, "timestamp");
	CV_CHECK(json_is_integer(ts));
	CV_CHECK(json_integer_value(ts) >= before_ms);
	CV_CHECK(json_integer_value(ts) <= after_ms);
}

static void test_enum_values(void) {
	CV_CHECK_INT(CV_OK, 0);
	for(size_t i = 0; i < TABLE_SIZE; i++)
		CV_CHECK_INT(table[i].code, table[i].number);
}

static void test_reason_words(void) {
	for(size_t i = 0; i < TABLE_SIZE; i++)
		CV_CHECK_STR(cv_error_reason(table[i].code), table[i].reason);
}

static void test_reason_unknown(void) {
	CV_CHECK_STR(cv_error_reason((cv_error_code)418), "internal");
	CV_CHECK_STR(cv_error_reason((cv_error_code)402), "internal");
	CV_CHECK_STR(cv_error_reason((cv_error_code)-1), "internal");
	CV_CHECK_STR(cv_error_reason((cv_error_code)999999), "internal");
	/* CV_OK is not an error of the table */
	CV_CHECK_STR(cv_error_reason(CV_OK), "internal");
}

static void test_frame_every_code(void) {
	for(size_t i = 0; i < TABLE_SIZE; i++) {
		int64_t before = cv_now_ms();
		json_t *frame = cv_error_frame(table[i].code, "something went wrong", NULL);
		int64_t after = cv_now_ms();
		check_frame(frame, table[i].number, table[i].reason, "something went wrong", false, before, after);
		json_decref(frame);
	}
}

static void test_frame_message_default(void) {
	int64_t before = cv_now_ms();
	json_t *frame = cv_error_frame(CV_ERR_NOT_FOUND, NULL, NULL);
	int64_t after = cv_now_ms();
	check_frame(frame, 404, "not_found", "not_found", false, before, after);
	json_decref(frame);
}

static void test_frame_message_copied(void) {
	char message[32];
	strcpy(message, "room r1 is full");
	json_t *frame = cv_error_frame(CV_ERR_ROOM_FULL, message, NULL);
	strcpy(message, "overwritten");
	json_t *data = json_object_get(frame, "data");
	CV_CHECK_STR(json_string_value(json_object_get(data, "message")), "room r1 is full");
	json_decref(frame);
}

static void test_frame_unknown_code(void) {
	int64_t before = cv_now_ms();
	json_t *frame = cv_error_frame((cv_error_code)418, "teapot", NULL);
	int64_t after = cv_now_ms();
	check_frame(frame, 500, "internal", "teapot", false, before, after);
	json_decref(frame);
	before = cv_now_ms();
	frame = cv_error_frame(CV_OK, NULL, NULL);
	after = cv_now_ms();
	check_frame(frame, 500, "internal", "internal", false, before, after);
	json_decref(frame);
}

static void test_frame_request_id_string(void) {
	json_t *rid = json_string("req-42");
	int64_t before = cv_now_ms();
	json_t *frame = cv_error_frame(CV_ERR_BAD_REQUEST, "missing field: roomId", rid);
	int64_t after = cv_now_ms();
	check_frame(frame, 400, "bad_request", "missing field: roomId", true, before, after);
	json_t *echoed = json_object_get(frame, "requestId");
	CV_CHECK(json_is_string(echoed));
	CV_CHECK_STR(json_string_value(echoed), "req-42");
	/* Copied: the caller's reference is untouched and still its own */
	CV_CHECK(echoed != rid);
	CV_CHECK_INT(rid->refcount, 1);
	json_decref(frame);
	CV_CHECK_STR(json_string_value(rid), "req-42");
	json_decref(rid);
}

static void test_frame_request_id_integer(void) {
	json_t *rid = json_integer(7);
	int64_t before = cv_now_ms();
	json_t *frame = cv_error_frame(CV_ERR_CONFLICT, "already joined", rid);
	int64_t after = cv_now_ms();
	check_frame(frame, 409, "conflict", "already joined", true, before, after);
	json_t *echoed = json_object_get(frame, "requestId");
	CV_CHECK(json_is_integer(echoed));
	CV_CHECK_INT(json_integer_value(echoed), 7);
	json_integer_set(rid, 8);
	CV_CHECK_INT(json_integer_value(json_object_get(frame, "requestId")), 7);
	json_decref(frame);
	json_decref(rid);
}

static void test_frame_request_id_absent(void) {
	json_t *frame = cv_error_frame(CV_ERR_RATE_LIMITED, "slow down", NULL);
	CV_CHECK(json_object_get(frame, "requestId") == NULL);
	json_decref(frame);
}

/* The frame serialises to JSON that parses back to the same thing. */
static void test_frame_serialises(void) {
	json_t *rid = json_string("r\"1");
	json_t *frame = cv_error_frame(CV_ERR_FORBIDDEN, "no \"publish\" grant", rid);
	char *text = json_dumps(frame, JSON_COMPACT);
	CV_CHECK(text != NULL);
	json_t *back = text ? json_loads(text, 0, NULL) : NULL;
	CV_CHECK(json_equal(back, frame));
	json_decref(back);
	free(text);
	json_decref(frame);
	json_decref(rid);
}

/* cv_error is a plain value type. */
static void test_error_value(void) {
	cv_error err = { CV_ERR_TOO_LARGE, "frame too large" };
	CV_CHECK_INT(err.code, 413);
	CV_CHECK_STR(cv_error_reason(err.code), "too_large");
	json_t *frame = cv_error_frame(err.code, err.message, NULL);
	CV_CHECK_STR(json_string_value(json_object_get(json_object_get(frame, "data"), "message")), "frame too large");
	json_decref(frame);
}

int main(void) {
	CV_RUN(test_enum_values);
	CV_RUN(test_reason_words);
	CV_RUN(test_reason_unknown);
	CV_RUN(test_frame_every_code);
	CV_RUN(test_frame_message_default);
	CV_RUN(test_frame_message_copied);
	CV_RUN(test_frame_unknown_code);
	CV_RUN(test_frame_request_id_string);
	CV_RUN(test_frame_request_id_integer);
	CV_RUN(test_frame_request_id_absent);
	CV_RUN(test_frame_serialises);
	CV_RUN(test_error_value);
	return cv_test_done();
}
