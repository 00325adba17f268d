/*
 * cv_access.h - who may join a room: the room's own rules, and bans.
 *
 * A room may be
 *   private        only a token whose `room` claim names it exactly
 *                  (not "*", not absent) may join;
 *   allow-listed   only the listed user ids may join;
 *   PIN protected  the join must carry the PIN (`data.pin`), compared in
 *                  constant time.
 * A kicked participant may be banned: its token is refused for that room
 * until the token expires, or its user id for a number of seconds
 * (cv_ban_*, the plugin's `kick_ban` setting).
 *
 * Every refusal is 403 `forbidden` with a message saying which rule.
 *
 * Pure logic: no Janus headers. cv_access_check is thread-safe; a ban list
 * is not (one owner: the plugin's handler thread).
 */
#ifndef CV_ACCESS_H
#define CV_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_errors.h"
#include "cv_jwt.h"

typedef struct cv_access {
	bool private_room;
	const char *const *allowed_users;	/* NULL-terminated, NULL: anyone */
	const char *pin;					/* NULL: none */
} cv_access;

/* Checks a joiner (claims NULL when it joined without a token). Returns
 * true, or false with err (403). */
bool cv_access_check(const cv_access *rules, const char *room_id, const cv_claims *claims,
	const char *user_id, const char *pin, cv_error *err);

/* Bans of one room: tokens (by SHA-256 of the token text) until they
 * expire, user ids until a time. Times are seconds since the epoch. */
typedef struct cv_ban_entry {
	char key[72];		/* "t:<hex digest>" or "u:<user id>" truncated to fit */
	int64_t until_s;
} cv_ban_entry;

typedef struct cv_bans {
	cv_ban_entry *entries;
	size_t count, capacity;
} cv_bans;

void cv_bans_init(cv_bans *b);
void cv_bans_clear(cv_bans *b);
/* Bans a token until until_s (its exp). */
bool cv_bans_add_token(cv_bans *b, const char *token, int64_t until_s);
/* Bans a user id until until_s. */
bool cv_bans_add_user(cv_bans *b, const char *user_id, int64_t until_s);
/* Whether this joiner is banned at now_s (token may be NULL); expired
 * entries are dropped on the way. */
bool cv_bans_check(cv_bans *b, const char *token, const char *user_id, int64_t now_s);

#endif
