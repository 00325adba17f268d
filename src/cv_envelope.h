/*
 * cv_envelope.h - parsing and validation of protocol messages.
 *
 * A client frame is one JSON object (docs/protocol.md, "Envelope"). This file
 * turns the text into a checked, typed view: the message type from a fixed
 * table, the common envelope fields, and the per-type shape of `data`. Every
 * rejection carries the contract's code (400 for shape problems) and a
 * message for people naming the offending field.
 *
 * Both modules use it: the transport to decide how a frame travels through
 * the Janus core (message, message+jsep, trickle), the plugin to validate
 * what it is handed (also by clients of the stock Janus API).
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_ENVELOPE_H
#define CV_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "cv_errors.h"

/* Longest id (room, user, request) accepted, in bytes. */
#define CV_ID_MAX_LEN 128
/* Id the server uses as sender and that clients use to target it. */
#define CV_SERVER_ID "sfu"

typedef enum cv_msg_type {
	CV_MSG_JOIN = 0,
	CV_MSG_LEAVE,
	CV_MSG_OFFER,
	CV_MSG_ANSWER,
	CV_MSG_ICE_CANDIDATE,
	CV_MSG_MESSAGE,
	CV_MSG_MEDIA,
	CV_MSG_STATS,
	CV_MSG_SUBSCRIBE,
	CV_MSG_START_RECORDING,
	CV_MSG_STOP_RECORDING,
	CV_MSG_KICK,
	CV_MSG_PING,
	CV_MSG_CLOSE_ROOM,
	CV_MSG_COUNT	/* not a type: the number of types */
} cv_msg_type;

/* A validated client message. Every pointer borrows from the json_t the
 * envelope was parsed from: keep that object alive while using it. */
typedef struct cv_envelope {
	cv_msg_type type;
	const char *type_name;		/* "join", ... (static) */
	const char *room_id;		/* NULL when absent */
	const char *user_id;		/* NULL when absent */
	const char *target_user_id;	/* NULL when absent */
	const char *token;			/* join only: the bearer token, NULL when absent */
	json_t *data;				/* NULL when absent (JSON null is kept as json null) */
	json_t *request_id;			/* string or integer, NULL when absent */
} cv_envelope;

/* Parses frame text (not NUL-terminated) into a JSON object. On failure
 * returns NULL and fills err (400: not JSON, not an object). Limits the
 * nesting depth to max_depth (0: no limit beyond jansson's own); the frame's
 * own object counts as depth 1. The caller
 * owns the returned reference. */
json_t *cv_envelope_load(const char *text, size_t len, int max_depth, cv_error *err);
/* cv_envelope_load with a bound on the number of values (objects, arrays
 * and scalars) in the frame too; max_values 0: no bound. */
json_t *cv_envelope_load_bounded(const char *text, size_t len, int max_depth, int max_values, cv_error *err);

/* Validates a message object and fills env. Returns true when valid; on
 * false, err holds the code and a static message. env's request_id is set
 * even on failure when the message carried a well-formed one, so errors can
 * echo it. */
bool cv_envelope_parse(json_t *msg, cv_envelope *env, cv_error *err);

/* The table name of a type ("ice-candidate"), or NULL for CV_MSG_COUNT. */
const char *cv_msg_type_name(cv_msg_type type);

/* True when the message is addressed to the server rather than to a user:
 * targetUserId absent or "sfu". */
bool cv_envelope_targets_server(const cv_envelope *env);

/* True when s is an acceptable id: 1..CV_ID_MAX_LEN bytes, no control
 * characters. */
bool cv_id_valid(const char *s);

#endif
