/*
 * cv_errors.h - the protocol's error table, built in one place.
 *
 * Every error a client can see carries a stable numeric code and a stable
 * reason word (docs/protocol.md, "Errors"). Code that reports an error names
 * one of the cv_error_code values; the reason word and the frame shape come
 * from here, so the table cannot drift between the transport and the plugin.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_ERRORS_H
#define CV_ERRORS_H

#include <jansson.h>

typedef enum cv_error_code {
	CV_OK = 0,
	CV_ERR_BAD_REQUEST = 400,
	CV_ERR_UNAUTHORIZED = 401,
	CV_ERR_FORBIDDEN = 403,
	CV_ERR_NOT_FOUND = 404,
	CV_ERR_CONFLICT = 409,
	CV_ERR_TOO_LARGE = 413,
	CV_ERR_RATE_LIMITED = 429,
	CV_ERR_INTERNAL = 500,
	CV_ERR_ROOM_FULL = 503,
} cv_error_code;

/* The stable reason word of a code ("bad_request", ...); "internal" for a
 * code that is not in the table. Returns a static string. */
const char *cv_error_reason(cv_error_code code);

/* Builds an `error` frame: {type:"error", requestId?, data:{code, reason,
 * message}, timestamp}. request_id may be NULL (not echoed); it is copied.
 * message may be NULL (the reason word is used). Returns a new reference. */
json_t *cv_error_frame(cv_error_code code, const char *message, json_t *request_id);

/* A small value type for functions that fail with a protocol error: the code
 * and a message for people. The message points to static storage or to the
 * caller's buffer, never to heap memory. */
typedef struct cv_error {
	cv_error_code code;
	const char *message;
} cv_error;

#endif
