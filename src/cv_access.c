/*
 * cv_access.c - room access rules and bans (see cv_access.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "cv_access.h"

static bool cv_access_fail(cv_error *err, const char *message) {
	if(err != NULL) {
		err->code = CV_ERR_FORBIDDEN;
		err->message = message;
	}
	return false;
}

bool cv_access_check(const cv_access *rules, const char *room_id, const cv_claims *claims,
		const char *user_id, const char *pin, cv_error *err) {
	if(rules == NULL)
		return true;
	if(rules->private_room && (claims == NULL || strcmp(claims->room, room_id) != 0))
		return cv_access_fail(err, "this room is private: it needs a token for this room");
	if(rules->allowed_users != NULL) {
		bool listed = false;
		for(size_t i = 0; user_id != NULL && rules->allowed_users[i] != NULL && !listed; i++)
			listed = strcmp(rules->allowed_users[i], user_id) == 0;
		if(!listed)
			return cv_access_fail(err, "you are not on this room's list");
	}
	if(rules->pin != NULL && rules->pin[0] != '\0') {
		size_t want = strlen(rules->pin);
		/* Constant time over the PIN's length; a length mismatch still
		 * compares want bytes (against the PIN itself) */
		bool same = pin != NULL && strlen(pin) == want;
		const char *given = same ? pin : rules->pin;
		if(CRYPTO_memcmp(given, rules->pin, want) != 0 || !same)
			return cv_access_fail(err, pin == NULL ? "this room needs a PIN" : "wrong PIN");
	}
	return true;
}

void cv_bans_init(cv_bans *b) {
	memset(b, 0, sizeof(*b));
}

void cv_bans_clear(cv_bans *b) {
	free(b->entries);
	cv_bans_init(b);
}

/* The key of a token: "t:" and the hex SHA-256 of its text. */
static void cv_bans_token_key(const char *token, char *key, size_t size) {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)token, strlen(token), digest);
	size_t o = (size_t)snprintf(key, size, "t:");
	for(size_t i = 0; i < 32 && o + 2 < size; i++)
		o += (size_t)snprintf(key + o, size - o, "%02x", digest[i]);
}

static bool cv_bans_add(cv_bans *b, const char *key, int64_t until_s) {
	for(size_t i = 0; i < b->count; i++) {
		if(strcmp(b->entries[i].key, key) == 0) {
			if(until_s > b->entries[i].until_s)
				b->entries[i].until_s = until_s;
			return true;
		}
	}
	if(b->count == b->capacity) {
		size_t capacity = b->capacity ? b->capacity * 2 : 8;
		cv_ban_entry *grown = realloc(b->entries, capacity * sizeof(cv_ban_entry));
		if(grown == NULL)
			return false;
		b->entries = grown;
		b->capacity = capacity;
	}
	snprintf(b->entries[b->count].key, sizeof(b->entries[0].key), "%s", key);
	b->entries[b->count].until_s = until_s;
	b->count++;
	return true;
}

bool cv_bans_add_token(cv_bans *b, const char *token, int64_t until_s) {
	if(token == NULL)
		return false;
	char key[sizeof(b->entries[0].key)];
	cv_bans_token_key(token, key, sizeof(key));
	return cv_bans_add(b, key, until_s);
}

bool cv_bans_add_user(cv_bans *b, const char *user_id, int64_t until_s) {
	if(user_id == NULL)
		return false;
	char key[sizeof(b->entries[0].key)];
	snprintf(key, sizeof(key), "u:%s", user_id);
	return cv_bans_add(b, key, until_s);
}

bool cv_bans_check(cv_bans *b, const char *token, const char *user_id, int64_t now_s) {
	char token_key[sizeof(b->entries[0].key)] = "", user_key[sizeof(b->entries[0].key)] = "";
	if(token != NULL)
		cv_bans_token_key(token, token_key, sizeof(token_key));
	if(user_id != NULL)
		snprintf(user_key, sizeof(user_key), "u:%s", user_id);
	bool banned = false;
	size_t kept = 0;
	for(size_t i = 0; i < b->count; i++) {
		if(b->entries[i].until_s <= now_s)
			continue;	/* expired: dropped */
		if((token_key[0] && strcmp(b->entries[i].key, token_key) == 0) ||
				(user_key[0] && strcmp(b->entries[i].key, user_key) == 0))
			banned = true;
		b->entries[kept++] = b->entries[i];
	}
	b->count = kept;
	return banned;
}
