/*
 * cv_jwt.c - HS256 JSON Web Tokens (see cv_jwt.h).
 *
 * The order of checks matters: the header's algorithm is checked before any
 * HMAC is computed, and the payload is only parsed after the signature has
 * been verified, so an attacker's JSON never reaches the claims parser
 * unless it was signed with our secret.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cv_base64url.h"
#include "cv_jwt.h"

#define CV_SHA256_LEN 32

static bool cv_jwt_fail(cv_error *err, const char *message) {
	if(err != NULL) {
		err->code = CV_ERR_UNAUTHORIZED;
		err->message = message;
	}
	return false;
}

cv_grants cv_grants_default(void) {
	cv_grants g = {
		.publish = true, .subscribe = true, .data = true,
		.record = false, .moderate = false, .create = false,
	};
	return g;
}

/* Decodes one base64url part as a JSON object. Returns a new reference or
 * NULL. */
static json_t *cv_jwt_part_json(const char *part, size_t len) {
	unsigned char *raw = malloc(CV_B64URL_DECODED_MAX(len) + 1);
	size_t raw_len = 0;
	if(raw == NULL)
		return NULL;
	if(!cv_b64url_decode(part, len, raw, &raw_len)) {
		free(raw);
		return NULL;
	}
	json_t *obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if(obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* Copies a string claim into a fixed buffer; false when too long. */
static bool cv_jwt_copy(char *dst, size_t size, const char *src) {
	size_t len = strlen(src);
	if(len >= size)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/* Checks the signature under one key. */
static bool cv_jwt_signature_ok(const cv_jwt_key *key, const char *signing_input, size_t input_len,
		const unsigned char *sig, size_t sig_len) {
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if(key->secret == NULL || key->secret_len == 0)
		return false;
	if(HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
			(const unsigned char *)signing_input, input_len, mac, &mac_len) == NULL)
		return false;
	if(mac_len != CV_SHA256_LEN || sig_len != CV_SHA256_LEN)
		return false;
	return CRYPTO_memcmp(mac, sig, CV_SHA256_LEN) == 0;
}

/* Reads the grants object over the defaults. */
static bool cv_jwt_grants(json_t *grants, cv_grants *out) {
	*out = cv_grants_default();
	if(grants == NULL)
		return true;
	if(!json_is_object(grants))
		return false;
	static const struct { const char *key; size_t offset; } fields[] = {
		{ "publish", offsetof(cv_grants, publish) },
		{ "subscribe", offsetof(cv_grants, subscribe) },
		{ "data", offsetof(cv_grants, data) },
		{ "record", offsetof(cv_grants, record) },
		{ "moderate", offsetof(cv_grants, moderate) },
		{ "create", offsetof(cv_grants, create) },
	};
	for(size_t i = 0; i < sizeof(fields)/sizeof(fields[0]); i++) {
		json_t *v = json_object_get(grants, fields[i].key);
		if(v == NULL)
			continue;
		if(!json_is_boolean(v))
			return false;
		*(bool *)((char *)out + fields[i].offset) = json_is_true(v);
	}
	return true;
}

/* True when `aud` (a string or an array of strings) names audience. */
static bool cv_jwt_audience_ok(json_t *aud, const char *audience) {
	if(json_is_string(aud))
		return strcmp(json_string_value(aud), audience) == 0;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v) {
		if(json_is_string(v) && strcmp(json_string_value(v), audience) == 0)
			return true;
	}
	return false;
}

/* Fills claims from a verified payload. */
static bool cv_jwt_claims(json_t *payload, int64_t now_s, const cv_jwt_policy *policy, cv_claims *claims, cv_error *err) {
	int64_t skew_s = policy->skew_s;
	memset(claims, 0, sizeof(*claims));
	json_t *sub = json_object_get(payload, "sub");
	if(!json_is_string(sub) || !cv_id_valid(json_string_value(sub)))
		return cv_jwt_fail(err, "token has no valid sub");
	cv_jwt_copy(claims->sub, sizeof(claims->sub), json_string_value(sub));
	json_t *exp = json_object_get(payload, "exp");
	if(!json_is_integer(exp))
		return cv_jwt_fail(err, "token has no integer exp");
	claims->exp = json_integer_value(exp);
	/* Expired when now_s >= exp + skew_s, written so that the token's exp
	 * (up to INT64_MAX) is never part of a sum that can overflow */
	if(claims->exp <= now_s - skew_s)
		return cv_jwt_fail(err, "token expired");
	json_t *nbf = json_object_get(payload, "nbf");
	if(nbf != NULL) {
		if(!json_is_integer(nbf))
			return cv_jwt_fail(err, "token nbf is not an integer");
		claims->nbf = json_integer_value(nbf);
		if(now_s + skew_s < claims->nbf)
			return cv_jwt_fail(err, "token not yet valid");
	}
	json_t *name = json_object_get(payload, "name");
	if(name != NULL && !json_is_null(name)) {
		if(!json_is_string(name) || !cv_jwt_copy(claims->name, sizeof(claims->name), json_string_value(name)))
			return cv_jwt_fail(err, "token name is not a string of up to 256 bytes");
	}
	json_t *room = json_object_get(payload, "room");
	if(room != NULL && !json_is_null(room)) {
		if(!json_is_string(room) || !cv_id_valid(json_string_value(room)))
			return cv_jwt_fail(err, "token room is not a room id");
		cv_jwt_copy(claims->room, sizeof(claims->room), json_string_value(room));
	}
	if(!cv_jwt_grants(json_object_get(payload, "grants"), &claims->grants))
		return cv_jwt_fail(err, "token grants must be an object of booleans");
	if(policy->audience != NULL && !cv_jwt_audience_ok(json_object_get(payload, "aud"), policy->audience))
		return cv_jwt_fail(err, "token is for another audience");
	if(policy->issuer != NULL) {
		json_t *iss = json_object_get(payload, "iss");
		if(!json_is_string(iss) || strcmp(json_string_value(iss), policy->issuer) != 0)
			return cv_jwt_fail(err, "token is from another issuer");
	}
	return true;
}

bool cv_jwt_verify(const char *token, const cv_jwt_key *keys, size_t n_keys,
		int64_t now_s, int64_t skew_s, cv_claims *claims, cv_error *err) {
	cv_jwt_policy policy = { .keys = keys, .n_keys = n_keys, .skew_s = skew_s };
	return cv_jwt_verify_policy(token, &policy, now_s, claims, err);
}

bool cv_jwt_verify_policy(const char *token, const cv_jwt_policy *policy, int64_t now_s,
		cv_claims *claims, cv_error *err) {
	const cv_jwt_key *keys = policy->keys;
	size_t n_keys = policy->n_keys;
	if(token == NULL || *token == '\0')
		return cv_jwt_fail(err, "missing token");
	size_t len = strnlen(token, CV_JWT_MAX_LEN + 1);
	if(len > CV_JWT_MAX_LEN)
		return cv_jwt_fail(err, "token too long");
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if(dot1 == NULL || dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return cv_jwt_fail(err, "malformed token");
	size_t header_len = (size_t)(dot1 - token);
	size_t payload_len = (size_t)(dot2 - dot1 - 1);
	size_t sig_text_len = len - (size_t)(dot2 + 1 - token);
	if(header_len == 0 || payload_len == 0 || sig_text_len == 0)
		return cv_jwt_fail(err, "malformed token");

	/* Header: only HS256, and a kid that selects the key */
	json_t *header = cv_jwt_part_json(token, header_len);
	if(header == NULL)
		return cv_jwt_fail(err, "malformed token header");
	json_t *alg = json_object_get(header, "alg");
	if(!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0) {
		json_decref(header);
		return cv_jwt_fail(err, "unsupported token algorithm");
	}
	json_t *kid_json = json_object_get(header, "kid");
	if(kid_json != NULL && !json_is_string(kid_json)) {
		json_decref(header);
		return cv_jwt_fail(err, "malformed token header");
	}
	const char *kid = json_string_value(kid_json);

	/* Signature */
	unsigned char sig[CV_B64URL_DECODED_MAX(64)];
	size_t sig_len = 0;
	if(sig_text_len > 64 || !cv_b64url_decode(dot2 + 1, sig_text_len, sig, &sig_len)) {
		json_decref(header);
		return cv_jwt_fail(err, "malformed token signature");
	}
	bool verified = false;
	for(size_t i = 0; i < n_keys && !verified; i++) {
		if(kid != NULL && (keys[i].kid == NULL || strcmp(keys[i].kid, kid) != 0))
			continue;
		verified = cv_jwt_signature_ok(&keys[i], token, (size_t)(dot2 - token), sig, sig_len);
	}
	json_decref(header);
	if(!verified)
		return cv_jwt_fail(err, "bad token signature");

	/* Claims */
	json_t *payload = cv_jwt_part_json(dot1 + 1, payload_len);
	if(payload == NULL)
		return cv_jwt_fail(err, "malformed token payload");
	bool ok = cv_jwt_claims(payload, now_s, policy, claims, err);
	json_decref(payload);
	return ok;
}

bool cv_claims_allow_room(const cv_claims *claims, const char *room_id) {
	if(claims->room[0] == '\0' || strcmp(claims->room, "*") == 0)
		return true;
	return room_id != NULL && strcmp(claims->room, room_id) == 0;
}

/* Appends the base64url of a JSON object's compact text to out at *pos. */
static bool cv_jwt_append_json(json_t *obj, char *out, size_t size, size_t *pos) {
	char *text = json_dumps(obj, JSON_COMPACT);
	if(text == NULL)
		return false;
	size_t len = strlen(text);
	bool ok = *pos + CV_B64URL_ENCODED_SIZE(len) <= size;
	if(ok)
		*pos += cv_b64url_encode((const unsigned char *)text, len, out + *pos);
	free(text);
	return ok;
}

char *cv_jwt_sign(json_t *payload, const char *kid, const unsigned char *secret, size_t secret_len) {
	if(!json_is_object(payload) || secret == NULL || secret_len == 0)
		return NULL;
	json_t *header = json_pack("{ssss}", "alg", "HS256", "typ", "JWT");
	if(kid != NULL)
		json_object_set_new(header, "kid", json_string(kid));
	size_t size = CV_JWT_MAX_LEN + 1, pos = 0;
	char *out = malloc(size);
	bool ok = out != NULL && cv_jwt_append_json(header, out, size, &pos);
	json_decref(header);
	if(ok && pos + 1 < size)
		out[pos++] = '.';
	ok = ok && cv_jwt_append_json(payload, out, size, &pos);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	ok = ok && HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)out, pos, mac, &mac_len) != NULL;
	ok = ok && pos + 1 + CV_B64URL_ENCODED_SIZE(mac_len) <= size;
	if(!ok) {
		free(out);
		return NULL;
	}
	out[pos++] = '.';
	cv_b64url_encode(mac, mac_len, out + pos);
	return out;
}
