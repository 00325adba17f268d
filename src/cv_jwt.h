/*
 * cv_jwt.h - HS256 JSON Web Tokens: verification of client tokens and
 * minting (for tools and tests).
 *
 * A token is accepted when: it has three base64url parts; the header is a
 * JSON object with "alg":"HS256" (anything else, "none" included, is
 * refused before any signature work); the HMAC-SHA256 of "header.payload"
 * under one of the configured keys equals the signature (compared in
 * constant time); the payload has a valid string `sub` and an integer `exp`
 * in the future, `nbf` (if any) in the past, both with a clock skew
 * allowance; `room`, `name` and `grants` (if any) are well-typed. When the
 * header names a `kid`, only the key with that id is tried.
 *
 * Claims are copied into fixed-size fields, so a cv_claims owns nothing.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_JWT_H
#define CV_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "cv_envelope.h"
#include "cv_errors.h"

/* Longest token accepted, in bytes. */
#define CV_JWT_MAX_LEN 8192
#define CV_NAME_MAX_LEN 256

/* What a token allows (protocol.md, "Connection"). */
typedef struct cv_grants {
	bool publish;		/* default true */
	bool subscribe;		/* default true */
	bool data;			/* default true */
	bool record;		/* default false */
	bool moderate;		/* default false */
	bool create;		/* default false: may create a room that is not configured */
} cv_grants;

typedef struct cv_claims {
	char sub[CV_ID_MAX_LEN + 1];		/* the user id */
	char name[CV_NAME_MAX_LEN + 1];		/* display name, "" when absent */
	char room[CV_ID_MAX_LEN + 1];		/* room id, "*" or "" (absent: any room) */
	int64_t exp;						/* seconds since the epoch */
	int64_t nbf;						/* 0 when absent */
	cv_grants grants;
} cv_claims;

/* One verification key. kid may be NULL (a key without an id). */
typedef struct cv_jwt_key {
	const char *kid;
	const unsigned char *secret;
	size_t secret_len;
} cv_jwt_key;

/* What a token must satisfy. */
typedef struct cv_jwt_policy {
	const cv_jwt_key *keys;		/* the accepted keys (several while rotating secrets) */
	size_t n_keys;
	int64_t skew_s;				/* clock difference allowed on exp and nbf */
	const char *audience;		/* NULL: not checked; else `aud` must be it, or an array holding it */
	const char *issuer;			/* NULL: not checked; else `iss` must be it */
} cv_jwt_policy;

/* The grants a token has when it names none. */
cv_grants cv_grants_default(void);

/* Verifies token against keys at time now_s (seconds), allowing skew_s
 * seconds of clock difference for exp and nbf. On success fills claims and
 * returns true; on failure returns false with err->code 401 and a static
 * message ("token expired", "bad token signature", ...). */
bool cv_jwt_verify(const char *token, const cv_jwt_key *keys, size_t n_keys,
	int64_t now_s, int64_t skew_s, cv_claims *claims, cv_error *err);

/* cv_jwt_verify with a full policy (audience and issuer checks too). */
bool cv_jwt_verify_policy(const char *token, const cv_jwt_policy *policy, int64_t now_s,
	cv_claims *claims, cv_error *err);

/* True when the claims allow room_id ("" or "*" allow any room). */
bool cv_claims_allow_room(const cv_claims *claims, const char *room_id);

/* Mints an HS256 token for payload (any JSON object), with "kid" in the
 * header when kid is not NULL. Returns a malloc'd string the caller frees,
 * or NULL on failure. */
char *cv_jwt_sign(json_t *payload, const char *kid, const unsigned char *secret, size_t secret_len);

#endif
