/*
 * fuzz_jwt.c - src/cv_jwt.c (and cv_base64url.c under it): bearer tokens
 * from WebSocket URLs and join messages.
 *
 * Every input is used two ways (the corpus has both kinds):
 *
 * 1. Token text. The input, NUL-terminated (an embedded NUL ends the token
 *    as it would in C), goes to cv_jwt_verify with two keys (kid "k1", and
 *    one without kid) at a fixed time. Asserts: a refusal is a 401 with a
 *    message; no key set or an empty secret never verifies; an accepted
 *    token's claims are well-formed (sub a valid id, room "" / valid id,
 *    name <= 256 bytes, exp and nbf within the skew) and round-trip: a
 *    token minted from those claims verifies to the same claims.
 *
 * 2. Structure-aware: the input as a JSON payload. Objects are minted with
 *    cv_jwt_sign under a fixed key (no kid, kid "k1", or a kid no key has;
 *    chosen by the input's length) and verified. Asserts: minting fails
 *    only when the token would pass CV_JWT_MAX_LEN, a minted token is at
 *    most that long; verify accepts iff an independent reading of the
 *    claims rules (cv_jwt.h) says the claims are valid and the kid names a
 *    key; accepted claims equal the payload's fields; changing any one
 *    character of a minted token makes it refused.
 *
 * The HMAC can't be forged by a fuzzer, so mode 1 mostly exercises the
 * header, base64url, kid selection and signature paths, and mode 2 the
 * claims parser behind the signature.
 */
#include "fuzz_common.h"
#include "cv_base64url.h"
#include "cv_jwt.h"

#define NOW 1700000000LL
#define SKEW 30LL

static const unsigned char secret_k1[] = "fuzz-secret-k1-0123456789abcdef";
static const unsigned char secret_nokid[] = "fuzz-secret-without-kid";

static const cv_jwt_key keys[2] = {
	{ "k1", secret_k1, sizeof(secret_k1) - 1 },
	{ NULL, secret_nokid, sizeof(secret_nokid) - 1 },
};

static bool ref_id(json_t *v) {
	if(!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if(n < 1 || n > CV_ID_MAX_LEN || strlen(s) != n)
		return false;
	for(size_t i = 0; i < n; i++) {
		if((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* The claims rules of cv_jwt.h, read independently. */
static bool ref_claims_valid(json_t *p) {
	if(!ref_id(json_object_get(p, "sub")))
		return false;
	json_t *exp = json_object_get(p, "exp");
	if(!json_is_integer(exp) || json_integer_value(exp) <= NOW - SKEW)
		return false;
	json_t *nbf = json_object_get(p, "nbf");
	if(nbf != NULL && (!json_is_integer(nbf) || json_integer_value(nbf) > NOW + SKEW))
		return false;
	json_t *name = json_object_get(p, "name");
	if(name != NULL && !json_is_null(name) &&
			(!json_is_string(name) || json_string_length(name) > CV_NAME_MAX_LEN))
		return false;
	json_t *room = json_object_get(p, "room");
	if(room != NULL && !json_is_null(room) && !ref_id(room))
		return false;
	json_t *grants = json_object_get(p, "grants");
	if(grants != NULL) {
		if(!json_is_object(grants))
			return false;
		static const char *const names[] = { "publish", "subscribe", "data", "record", "moderate", "create" };
		for(size_t i = 0; i < 6; i++) {
			json_t *g = json_object_get(grants, names[i]);
			if(g != NULL && !json_is_boolean(g))
				return false;
		}
	}
	return true;
}

static bool grant(json_t *grants, const char *key, bool dflt) {
	json_t *g = json_object_get(grants, key);
	return g ? json_is_true(g) : dflt;
}

/* Accepted claims are the payload's fields. */
static void check_claims_match(const cv_claims *c, json_t *p) {
	FUZZ_CHECK(strcmp(c->sub, json_string_value(json_object_get(p, "sub"))) == 0);
	FUZZ_CHECK(c->exp == json_integer_value(json_object_get(p, "exp")));
	FUZZ_CHECK(c->nbf == json_integer_value(json_object_get(p, "nbf")));
	const char *name = json_string_value(json_object_get(p, "name"));
	FUZZ_CHECK(strcmp(c->name, name ? name : "") == 0);
	const char *room = json_string_value(json_object_get(p, "room"));
	FUZZ_CHECK(strcmp(c->room, room ? room : "") == 0);
	json_t *g = json_object_get(p, "grants");
	FUZZ_CHECK(c->grants.publish == grant(g, "publish", true));
	FUZZ_CHECK(c->grants.subscribe == grant(g, "subscribe", true));
	FUZZ_CHECK(c->grants.data == grant(g, "data", true));
	FUZZ_CHECK(c->grants.record == grant(g, "record", false));
	FUZZ_CHECK(c->grants.moderate == grant(g, "moderate", false));
	FUZZ_CHECK(c->grants.create == grant(g, "create", false));
	FUZZ_CHECK(cv_claims_allow_room(c, c->room[0] ? c->room : "any-room"));
}

static bool verify(const char *token, cv_claims *claims, cv_error *err) {
	err->code = CV_OK;
	err->message = NULL;
	bool ok = cv_jwt_verify(token, keys, 2, NOW, SKEW, claims, err);
	if(!ok) {
		FUZZ_CHECK(err->code == CV_ERR_UNAUTHORIZED);
		FUZZ_CHECK(err->message != NULL && err->message[0] != '\0');
	}
	return ok;
}

/* Well-formed claims, and minting them again gives the same claims. */
static void check_accepted(const cv_claims *c) {
	FUZZ_CHECK(memchr(c->sub, '\0', sizeof(c->sub)) && cv_id_valid(c->sub));
	FUZZ_CHECK(memchr(c->name, '\0', sizeof(c->name)) != NULL);
	FUZZ_CHECK(memchr(c->room, '\0', sizeof(c->room)) != NULL);
	FUZZ_CHECK(c->room[0] == '\0' || cv_id_valid(c->room));
	FUZZ_CHECK(c->exp > NOW - SKEW && c->nbf <= NOW + SKEW);
	json_t *p = json_pack("{sssIsIsssss{sbsbsbsbsbsb}}",
		"sub", c->sub, "exp", (json_int_t)c->exp, "nbf", (json_int_t)c->nbf,
		"name", c->name, "room", c->room,
		"grants", "publish", c->grants.publish, "subscribe", c->grants.subscribe,
		"data", c->grants.data, "record", c->grants.record,
		"moderate", c->grants.moderate, "create", c->grants.create);
	FUZZ_CHECK(p != NULL);
	if(c->room[0] == '\0')
		json_object_del(p, "room");
	char *token = cv_jwt_sign(p, "k1", secret_k1, sizeof(secret_k1) - 1);
	FUZZ_CHECK(token != NULL);
	cv_claims again;
	cv_error err;
	FUZZ_CHECK(verify(token, &again, &err));
	FUZZ_CHECK(memcmp(c, &again, sizeof(again)) == 0);
	free(token);
	json_decref(p);
}

static void mode_token(const uint8_t *data, size_t size) {
	char *token = fuzz_cstr(data, size);
	cv_claims claims;
	cv_error err;
	if(verify(token, &claims, &err))
		check_accepted(&claims);
	static const cv_jwt_key empty[1] = { { NULL, (const unsigned char *)"", 0 } };
	FUZZ_CHECK(!cv_jwt_verify(token, NULL, 0, NOW, SKEW, &claims, &err));
	FUZZ_CHECK(!cv_jwt_verify(token, empty, 1, NOW, SKEW, &claims, &err));
	free(token);
}

static void mode_payload(const uint8_t *data, size_t size) {
	json_t *payload = json_loadb((const char *)data, size, 0, NULL);
	if(!json_is_object(payload)) {
		if(payload != NULL)
			json_decref(payload);
		return;
	}
	/* The key: none named (verify tries both), k1, or a kid no key has */
	const char *kid = NULL;
	const unsigned char *secret = secret_nokid;
	size_t secret_len = sizeof(secret_nokid) - 1;
	switch(size % 3) {
		case 1:
			kid = "k1";
			secret = secret_k1;
			secret_len = sizeof(secret_k1) - 1;
			break;
		case 2:
			kid = "k9";
			break;
	}
	char *token = cv_jwt_sign(payload, kid, secret, secret_len);
	if(token == NULL) {
		char *text = json_dumps(payload, JSON_COMPACT);
		FUZZ_CHECK(text != NULL);
		/* base64url of the payload alone, with the signature, would not fit */
		FUZZ_CHECK(CV_B64URL_ENCODED_SIZE(strlen(text)) + 44 > CV_JWT_MAX_LEN - 60);
		free(text);
		json_decref(payload);
		return;
	}
	size_t len = strlen(token);
	FUZZ_CHECK(len <= CV_JWT_MAX_LEN);
	cv_claims claims;
	cv_error err;
	bool ok = verify(token, &claims, &err);
	bool expect = ref_claims_valid(payload) && size % 3 != 2;
	if(ok != expect)
		fprintf(stderr, "verify %s, expected %s (%s)\n", ok ? "accepted" : "refused",
			expect ? "accept" : "refuse", ok ? "-" : err.message);
	FUZZ_CHECK(ok == expect);
	if(ok) {
		check_claims_match(&claims, payload);
		check_accepted(&claims);
		/* Any one character changed: refused */
		size_t at = (size * 7919) % len;
		char saved = token[at];
		token[at] = saved == 'A' ? 'B' : 'A';
		FUZZ_CHECK(!verify(token, &claims, &err));
		token[at] = saved;
	}
	free(token);
	json_decref(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	mode_token(data, size);
	mode_payload(data, size);
	return 0;
}
