/*
 * test_jwt.c - HS256 tokens: minting with cv_jwt_sign, verification with
 * cv_jwt_verify, and hand-made tokens (base64url + OpenSSL HMAC written
 * here) for everything cv_jwt_sign would never produce.
 *
 * Verification runs at a fixed "now" so that the time checks are exact.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cv_test.h"
#include "cv_base64url.h"
#include "cv_jwt.h"

#define NOW ((int64_t)1700000000)
#define SECRET "correct horse battery staple"
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* --- helpers --------------------------------------------------------------- */

/* printf into a heap buffer the caller frees. */
static char *fmt(const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	char *out = NULL;
	if(vasprintf(&out, format, ap) < 0)
		out = NULL;
	va_end(ap);
	return out;
}

/* base64url of len bytes, in a heap buffer the caller frees. */
static char *b64(const void *data, size_t len) {
	char *out = malloc(CV_B64URL_ENCODED_SIZE(len));
	cv_b64url_encode(data, len, out);
	return out;
}

/* base64url of the HMAC-SHA256 of input under secret. */
static char *hmac_b64(const char *input, size_t input_len, const void *secret, size_t secret_len) {
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	/* A zero-length key still needs a valid pointer */
	static const unsigned char empty_key[1] = { 0 };
	HMAC(EVP_sha256(), secret_len ? secret : empty_key, (int)secret_len,
		(const unsigned char *)input, input_len, mac, &mac_len);
	return b64(mac, mac_len);
}

/* "b64(header).b64(payload).sig": sig is the HMAC under secret when sig_text
 * is NULL, otherwise sig_text as is. The JSON texts are encoded verbatim. */
static char *craft_with(const char *header, const char *payload, const char *secret, const char *sig_text) {
	char *h = b64(header, strlen(header));
	char *p = b64(payload, strlen(payload));
	char *input = fmt("%s.%s", h, p);
	char *sig = sig_text ? strdup(sig_text) : hmac_b64(input, strlen(input), secret, strlen(secret));
	char *token = fmt("%s.%s", input, sig);
	free(h);
	free(p);
	free(input);
	free(sig);
	return token;
}

/* A hand-made token signed with HMAC-SHA256 under secret. */
static char *craft(const char *header, const char *payload, const char *secret) {
	return craft_with(header, payload, secret, NULL);
}

/* Mints a token for a payload written as JSON text, with cv_jwt_sign. */
static char *mint(const char *payload_text, const char *kid, const char *secret) {
	json_t *payload = json_loads(payload_text, 0, NULL);
	if(payload == NULL) {
		printf("#   (bad test payload %s)\n", payload_text);
		return NULL;
	}
	char *token = cv_jwt_sign(payload, kid, (const unsigned char *)secret, strlen(secret));
	json_decref(payload);
	return token;
}

/* A payload {sub:"alice", exp:NOW+exp_offset}. */
static char *simple_payload(int64_t exp_offset) {
	return fmt("{\"sub\":\"alice\",\"exp\":%lld}", (long long)(NOW + exp_offset));
}

/* Verifies token against the single key SECRET (no kid). */
static bool verify(const char *token, int64_t now, int64_t skew, cv_claims *claims, cv_error *err) {
	cv_jwt_key key = { NULL, (const unsigned char *)SECRET, strlen(SECRET) };
	return cv_jwt_verify(token, &key, 1, now, skew, claims, err);
}

/* True when token verifies at NOW without skew. */
static bool accepted(const char *token) {
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	bool ok = verify(token, NOW, 0, &claims, &err);
	if(!ok)
		printf("#   (refused: %s)\n", err.message ? err.message : "(null)");
	return ok;
}

/* True when token is refused at now/skew with 401 and a message containing
 * what. */
static bool refused_at(const char *token, int64_t now, int64_t skew, const char *what) {
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	bool ok = verify(token, now, skew, &claims, &err);
	bool right = !ok && err.code == CV_ERR_UNAUTHORIZED && err.message != NULL &&
		(what == NULL || strstr(err.message, what) != NULL);
	if(!right)
		printf("#   (%s: %s, expected \"%s\")\n", ok ? "accepted" : "refused", ok ? "" :
			(err.message ? err.message : "(null)"), what ? what : "");
	return right;
}

static bool refused(const char *token, const char *what) {
	return refused_at(token, NOW, 0, what);
}

/* Frees token after checking it. */
static bool accepted_free(char *token) {
	bool ok = token != NULL && accepted(token);
	free(token);
	return ok;
}

static bool refused_free(char *token, const char *what) {
	bool ok = token != NULL && refused(token, what);
	free(token);
	return ok;
}

/* The token signed by craft() for a payload text. */
static char *craft_payload(const char *payload) {
	return craft(HS256_HEADER, payload, SECRET);
}

/* --- good tokens and claims ---------------------------------------------- */

static void test_grants_default(void) {
	cv_grants g = cv_grants_default();
	CV_CHECK(g.publish);
	CV_CHECK(g.subscribe);
	CV_CHECK(g.data);
	CV_CHECK(!g.record);
	CV_CHECK(!g.moderate);
	CV_CHECK(!g.create);
}

static void test_good_token(void) {
	char *payload = simple_payload(60);
	char *token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL);
	cv_claims claims;
	memset(&claims, 0xa5, sizeof(claims));
	cv_error err = { CV_OK, NULL };
	CV_CHECK(verify(token, NOW, 0, &claims, &err));
	CV_CHECK_STR(claims.sub, "alice");
	CV_CHECK_STR(claims.name, "");
	CV_CHECK_STR(claims.room, "");
	CV_CHECK_INT(claims.exp, NOW + 60);
	CV_CHECK_INT(claims.nbf, 0);
	cv_grants d = cv_grants_default();
	CV_CHECK(memcmp(&claims.grants, &d, sizeof(d)) == 0);
	/* The hand-made equivalent verifies the same way */
	char *crafted = craft_payload(payload);
	CV_CHECK(accepted(crafted));
	free(crafted);
	free(token);
	free(payload);
}

/* A token minted by cv_jwt_sign is header.payload.signature with the header
 * {alg:HS256, typ:JWT[, kid]} and an HMAC-SHA256 signature. */
static void test_sign_format(void) {
	char *token = mint("{\"sub\":\"bob\",\"exp\":1}", "key-7", SECRET);
	CV_CHECK(token != NULL);
	if(token == NULL)
		return;
	char *dot1 = strchr(token, '.');
	char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	CV_CHECK(dot1 != NULL && dot2 != NULL && strchr(dot2 + 1, '.') == NULL);
	if(dot1 == NULL || dot2 == NULL) {
		free(token);
		return;
	}
	unsigned char raw[256];
	size_t raw_len = 0;
	CV_CHECK(cv_b64url_decode(token, (size_t)(dot1 - token), raw, &raw_len));
	json_t *header = json_loadb((const char *)raw, raw_len, 0, NULL);
	CV_CHECK_STR(json_string_value(json_object_get(header, "alg")), "HS256");
	CV_CHECK_STR(json_string_value(json_object_get(header, "typ")), "JWT");
	CV_CHECK_STR(json_string_value(json_object_get(header, "kid")), "key-7");
	json_decref(header);
	CV_CHECK(cv_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), raw, &raw_len));
	json_t *payload = json_loadb((const char *)raw, raw_len, 0, NULL);
	CV_CHECK_STR(json_string_value(json_object_get(payload, "sub")), "bob");
	CV_CHECK_INT(json_integer_value(json_object_get(payload, "exp")), 1);
	json_decref(payload);
	char *sig = hmac_b64(token, (size_t)(dot2 - token), SECRET, strlen(SECRET));
	CV_CHECK_STR(dot2 + 1, sig);
	CV_CHECK_INT(strlen(dot2 + 1), 43);
	free(sig);
	free(token);
	/* No kid: the header has none */
	token = mint("{\"sub\":\"bob\",\"exp\":1}", NULL, SECRET);
	dot1 = token ? strchr(token, '.') : NULL;
	CV_CHECK(dot1 != NULL);
	if(dot1 != NULL) {
		CV_CHECK(cv_b64url_decode(token, (size_t)(dot1 - token), raw, &raw_len));
		header = json_loadb((const char *)raw, raw_len, 0, NULL);
		CV_CHECK(json_object_get(header, "kid") == NULL);
		CV_CHECK_STR(json_string_value(json_object_get(header, "alg")), "HS256");
		json_decref(header);
	}
	free(token);
}

static void test_sign_refuses(void) {
	json_t *arr = json_array();
	CV_CHECK(cv_jwt_sign(arr, NULL, (const unsigned char *)SECRET, strlen(SECRET)) == NULL);
	json_decref(arr);
	CV_CHECK(cv_jwt_sign(NULL, NULL, (const unsigned char *)SECRET, strlen(SECRET)) == NULL);
	json_t *obj = json_pack("{ss}", "sub", "a");
	CV_CHECK(cv_jwt_sign(obj, NULL, NULL, 10) == NULL);
	CV_CHECK(cv_jwt_sign(obj, NULL, (const unsigned char *)SECRET, 0) == NULL);
	/* A payload that cannot fit in CV_JWT_MAX_LEN */
	char *big = malloc(CV_JWT_MAX_LEN + 1);
	memset(big, 'x', CV_JWT_MAX_LEN);
	big[CV_JWT_MAX_LEN] = '\0';
	json_object_set_new(obj, "pad", json_string(big));
	CV_CHECK(cv_jwt_sign(obj, NULL, (const unsigned char *)SECRET, strlen(SECRET)) == NULL);
	free(big);
	json_decref(obj);
}

static void test_claims_copied(void) {
	char *payload = fmt("{\"sub\":\"alice\",\"name\":\"Alice Liddell\",\"room\":\"tea-party\","
		"\"exp\":%lld,\"nbf\":%lld,\"iat\":%lld,\"extra\":{\"x\":[1]}}",
		(long long)(NOW + 3600), (long long)(NOW - 10), (long long)(NOW - 10));
	char *token = mint(payload, NULL, SECRET);
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	CV_CHECK_STR(claims.sub, "alice");
	CV_CHECK_STR(claims.name, "Alice Liddell");
	CV_CHECK_STR(claims.room, "tea-party");
	CV_CHECK_INT(claims.exp, NOW + 3600);
	CV_CHECK_INT(claims.nbf, NOW - 10);
	CV_CHECK(claims.grants.publish && claims.grants.subscribe && claims.grants.data);
	CV_CHECK(!claims.grants.record && !claims.grants.moderate && !claims.grants.create);
	free(token);
	free(payload);
	/* Longest values fit in the fixed fields */
	char sub[CV_ID_MAX_LEN + 1], name[CV_NAME_MAX_LEN + 1];
	memset(sub, 's', CV_ID_MAX_LEN);
	sub[CV_ID_MAX_LEN] = '\0';
	memset(name, 'n', CV_NAME_MAX_LEN);
	name[CV_NAME_MAX_LEN] = '\0';
	payload = fmt("{\"sub\":\"%s\",\"name\":\"%s\",\"room\":\"%s\",\"exp\":%lld}",
		sub, name, sub, (long long)(NOW + 1));
	token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	CV_CHECK_STR(claims.sub, sub);
	CV_CHECK_STR(claims.name, name);
	CV_CHECK_STR(claims.room, sub);
	free(token);
	free(payload);
	/* name and room null: absent */
	payload = fmt("{\"sub\":\"a\",\"name\":null,\"room\":null,\"exp\":%lld}", (long long)(NOW + 1));
	token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	CV_CHECK_STR(claims.name, "");
	CV_CHECK_STR(claims.room, "");
	free(token);
	free(payload);
	/* room "*" */
	payload = fmt("{\"sub\":\"a\",\"room\":\"*\",\"exp\":%lld}", (long long)(NOW + 1));
	token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	CV_CHECK_STR(claims.room, "*");
	free(token);
	free(payload);
}

static void test_grants_override(void) {
	char *payload = fmt("{\"sub\":\"mod\",\"exp\":%lld,\"grants\":{\"publish\":false,\"subscribe\":false,"
		"\"data\":false,\"record\":true,\"moderate\":true,\"create\":true}}", (long long)(NOW + 60));
	char *token = mint(payload, NULL, SECRET);
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	CV_CHECK(!claims.grants.publish);
	CV_CHECK(!claims.grants.subscribe);
	CV_CHECK(!claims.grants.data);
	CV_CHECK(claims.grants.record);
	CV_CHECK(claims.grants.moderate);
	CV_CHECK(claims.grants.create);
	free(token);
	free(payload);
	/* Partial: what is not named keeps its default */
	payload = fmt("{\"sub\":\"viewer\",\"exp\":%lld,\"grants\":{\"publish\":false,\"create\":true}}", (long long)(NOW + 60));
	token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	CV_CHECK(!claims.grants.publish);
	CV_CHECK(claims.grants.subscribe);
	CV_CHECK(claims.grants.data);
	CV_CHECK(!claims.grants.record);
	CV_CHECK(!claims.grants.moderate);
	CV_CHECK(claims.grants.create);
	free(token);
	free(payload);
	/* Empty object: all defaults */
	payload = fmt("{\"sub\":\"u\",\"exp\":%lld,\"grants\":{}}", (long long)(NOW + 60));
	token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL && verify(token, NOW, 0, &claims, &err));
	cv_grants d = cv_grants_default();
	CV_CHECK(memcmp(&claims.grants, &d, sizeof(d)) == 0);
	free(token);
	free(payload);
}

static void test_err_null(void) {
	cv_claims claims;
	cv_jwt_key key = { NULL, (const unsigned char *)SECRET, strlen(SECRET) };
	CV_CHECK(!cv_jwt_verify("a.b.c", &key, 1, NOW, 0, &claims, NULL));
	CV_CHECK(!cv_jwt_verify(NULL, &key, 1, NOW, 0, &claims, NULL));
}

/* --- signatures ------------------------------------------------------------ */

static void test_wrong_secret(void) {
	char *payload = simple_payload(60);
	CV_CHECK(refused_free(mint(payload, NULL, "another secret"), "signature"));
	CV_CHECK(refused_free(mint(payload, NULL, SECRET "x"), "signature"));
	/* A prefix of the secret is another secret */
	CV_CHECK(refused_free(mint(payload, NULL, "correct horse"), "signature"));
	free(payload);
}

static void test_flipped_signature_char(void) {
	char *payload = simple_payload(60);
	char *token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL && accepted(token));
	char *sig = token ? strrchr(token, '.') + 1 : NULL;
	CV_CHECK(sig != NULL && strlen(sig) == 43);
	/* Every position but the last (whose low bits must stay zero) */
	for(size_t i = 0; sig != NULL && i + 1 < strlen(sig); i++) {
		char saved = sig[i];
		sig[i] = saved == 'A' ? 'B' : 'A';
		CV_CHECK(refused(token, "signature"));
		sig[i] = saved;
	}
	/* The last character, changed within the canonical ones */
	if(sig != NULL) {
		size_t last = strlen(sig) - 1;
		char saved = sig[last];
		sig[last] = saved == 'A' ? 'E' : 'A';
		CV_CHECK(refused(token, "signature"));
		sig[last] = saved;
		CV_CHECK(accepted(token));
	}
	free(token);
	free(payload);
}

/* The payload replaced after signing, header and signature kept. */
static void test_payload_tampered(void) {
	char *payload = simple_payload(60);
	char *token = mint(payload, NULL, SECRET);
	CV_CHECK(token != NULL);
	if(token == NULL) {
		free(payload);
		return;
	}
	char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
	const char *evil = "{\"sub\":\"mallory\",\"exp\":9999999999,\"grants\":{\"moderate\":true}}";
	char *evil_b64 = b64(evil, strlen(evil));
	char *forged = fmt("%.*s.%s%s", (int)(dot1 - token), token, evil_b64, dot2);
	CV_CHECK(refused(forged, "signature"));
	free(forged);
	free(evil_b64);
	/* The same payload with one more space: still a different signing input */
	char *spaced = fmt("{\"sub\":\"alice\", \"exp\":%lld}", (long long)(NOW + 60));
	char *spaced_b64 = b64(spaced, strlen(spaced));
	forged = fmt("%.*s.%s%s", (int)(dot1 - token), token, spaced_b64, dot2);
	CV_CHECK(refused(forged, "signature"));
	free(forged);
	free(spaced_b64);
	free(spaced);
	/* The header replaced (kid added) */
	const char *h2 = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}";
	char *h2_b64 = b64(h2, strlen(h2));
	forged = fmt("%s%.*s", h2_b64, (int)strlen(dot1), dot1);
	CV_CHECK(refused(forged, "signature"));
	free(forged);
	free(h2_b64);
	free(token);
	free(payload);
}

/* The payload is only looked at once the signature holds: an unsigned
 * payload that is not even JSON is a signature failure. */
static void test_signature_checked_before_payload(void) {
	char *token = craft_with(HS256_HEADER, "not json at all", NULL, "AAAA");
	CV_CHECK(refused(token, "signature"));
	free(token);
	token = craft(HS256_HEADER, "{\"exp\":1}", "other secret");
	CV_CHECK(refused(token, "signature"));
	free(token);
}

/* Signatures of the wrong size, or not base64url. */
static void test_signature_shape(void) {
	char *payload = simple_payload(60);
	/* 31 bytes of a valid signature */
	char *h = b64(HS256_HEADER, strlen(HS256_HEADER));
	char *p = b64(payload, strlen(payload));
	char *input = fmt("%s.%s", h, p);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)input, strlen(input), mac, &mac_len);
	char *short_sig = b64(mac, 31);
	char *token = fmt("%s.%s", input, short_sig);
	CV_CHECK(refused(token, "signature"));
	free(token);
	/* 33 bytes: the valid signature plus a zero byte */
	mac[32] = 0;
	char *long_sig = b64(mac, 33);
	token = fmt("%s.%s", input, long_sig);
	CV_CHECK(refused(token, "signature"));
	free(token);
	/* Padded */
	char *good_sig = b64(mac, 32);
	token = fmt("%s.%s=", input, good_sig);
	CV_CHECK(refused(token, "signature"));
	free(token);
	/* Standard base64 characters */
	token = fmt("%s.%s", input, good_sig);
	CV_CHECK(accepted(token));
	free(token);
	token = fmt("%s.+%s", input, good_sig + 1);
	CV_CHECK(refused(token, "signature"));
	free(token);
	/* Much too long */
	char *huge = malloc(2001);
	memset(huge, 'A', 2000);
	huge[2000] = '\0';
	token = fmt("%s.%s", input, huge);
	CV_CHECK(refused(token, "signature"));
	free(token);
	free(huge);
	free(good_sig);
	free(long_sig);
	free(short_sig);
	free(input);
	free(p);
	free(h);
	free(payload);
}

/* --- time ------------------------------------------------------------------- */

static void test_expired(void) {
	char *token = craft_payload("{\"sub\":\"alice\",\"exp\":1700000000}");
	/* exp is the first second the token is no longer valid */
	CV_CHECK(refused_at(token, NOW, 0, "expired"));
	CV_CHECK(refused_at(token, NOW + 1, 0, "expired"));
	CV_CHECK(refused_at(token, NOW + 100000, 0, "expired"));
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	CV_CHECK(verify(token, NOW - 1, 0, &claims, &err));
	free(token);
	char *payload = simple_payload(-1);
	CV_CHECK(refused_free(mint(payload, NULL, SECRET), "expired"));
	free(payload);
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":0}"), "expired"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":-1700000000}"), "expired"));
}

/* The skew allowance moves the boundary by exactly skew seconds. */
static void test_expired_skew(void) {
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	/* exp = NOW - 30 */
	char *token = craft_payload("{\"sub\":\"alice\",\"exp\":1699999970}");
	CV_CHECK(refused_at(token, NOW, 0, "expired"));
	CV_CHECK(refused_at(token, NOW, 29, "expired"));
	CV_CHECK(refused_at(token, NOW, 30, "expired"));
	CV_CHECK(verify(token, NOW, 31, &claims, &err));
	CV_CHECK(verify(token, NOW - 1, 30, &claims, &err));
	CV_CHECK(verify(token, NOW, 3600, &claims, &err));
	free(token);
}

/* An exp far in the future is valid, whatever the skew. */
static void test_exp_extremes(void) {
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	char *token = craft_payload("{\"sub\":\"alice\",\"exp\":9223372036854775807}");
	CV_CHECK(verify(token, NOW, 0, &claims, &err));
	CV_CHECK(verify(token, NOW, 300, &claims, &err));
	CV_CHECK_INT(claims.exp, INT64_MAX);
	free(token);
	token = craft_payload("{\"sub\":\"alice\",\"exp\":-9223372036854775807}");
	CV_CHECK(refused_at(token, NOW, 300, "expired"));
	free(token);
}

static void test_not_yet_valid(void) {
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	/* nbf = NOW + 10, exp = NOW + 3600 */
	char *token = craft_payload("{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1700000010}");
	CV_CHECK(refused_at(token, NOW, 0, "not yet valid"));
	CV_CHECK(refused_at(token, NOW + 9, 0, "not yet valid"));
	/* nbf is the first second the token is valid */
	CV_CHECK(verify(token, NOW + 10, 0, &claims, &err));
	CV_CHECK_INT(claims.nbf, NOW + 10);
	CV_CHECK(verify(token, NOW + 11, 0, &claims, &err));
	/* With skew */
	CV_CHECK(refused_at(token, NOW, 9, "not yet valid"));
	CV_CHECK(verify(token, NOW, 10, &claims, &err));
	CV_CHECK(verify(token, NOW, 11, &claims, &err));
	free(token);
	/* nbf in the past, and nbf = now */
	CV_CHECK(accepted_free(craft_payload("{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1699990000}")));
	CV_CHECK(accepted_free(craft_payload("{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1700000000}")));
	/* A far-future nbf */
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":9223372036854775807,"
		"\"nbf\":9223372036854775807}"), "not yet valid"));
}

static void test_nbf_type(void) {
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":\"1699990000\"}"), "nbf"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1699990000.5}"), "nbf"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":null}"), "nbf"));
}

/* --- algorithm ---------------------------------------------------------------- */

static void test_alg_none(void) {
	char *payload = simple_payload(60);
	/* The classic: alg none and no signature at all */
	char *token = craft_with("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, "");
	CV_CHECK(refused(token, NULL));
	free(token);
	token = craft_with("{\"alg\":\"none\"}", payload, NULL, "");
	CV_CHECK(refused(token, NULL));
	free(token);
	/* alg none even with a valid HMAC */
	CV_CHECK(refused_free(craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"None\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	free(payload);
}

static void test_alg_other(void) {
	char *payload = simple_payload(60);
	/* Each with a signature that is a valid HS256 HMAC of the input */
	CV_CHECK(refused_free(craft("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"HS256 \",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"\",\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	/* alg missing, or not a string */
	CV_CHECK(refused_free(craft("{\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":256,\"typ\":\"JWT\"}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":null}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":[\"HS256\"]}", payload, SECRET), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":true}", payload, SECRET), "algorithm"));
	/* The reference: the same with HS256 is fine, typ is optional */
	CV_CHECK(accepted_free(craft(HS256_HEADER, payload, SECRET)));
	CV_CHECK(accepted_free(craft("{\"alg\":\"HS256\"}", payload, SECRET)));
	free(payload);
}

/* The algorithm is refused before the signature is looked at. */
static void test_alg_before_signature(void) {
	char *payload = simple_payload(60);
	CV_CHECK(refused_free(craft_with("{\"alg\":\"RS256\"}", payload, NULL, "AAAA"), "algorithm"));
	CV_CHECK(refused_free(craft("{\"alg\":\"HS512\"}", payload, "wrong"), "algorithm"));
	free(payload);
}

/* --- malformed tokens ------------------------------------------------------ */

static void test_malformed_parts(void) {
	char *payload = simple_payload(60);
	char *good = craft_payload(payload);
	CV_CHECK(accepted(good));
	CV_CHECK(refused("", NULL));
	CV_CHECK(refused(NULL, NULL));
	CV_CHECK(refused("abc", "malformed"));
	CV_CHECK(refused(".", "malformed"));
	CV_CHECK(refused("..", "malformed"));
	CV_CHECK(refused("...", "malformed"));
	/* Two parts: the signature dropped */
	char *two = strdup(good);
	*strrchr(two, '.') = '\0';
	CV_CHECK(refused(two, "malformed"));
	free(two);
	/* Four parts */
	char *four = fmt("%s.AAAA", good);
	CV_CHECK(refused(four, "malformed"));
	free(four);
	four = fmt("%s.", good);
	CV_CHECK(refused(four, "malformed"));
	free(four);
	/* Empty parts */
	char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
	char *no_header = fmt("%s", dot1);
	CV_CHECK(refused(no_header, "malformed"));
	free(no_header);
	char *no_payload = fmt("%.*s.%s", (int)(dot1 - good), good, dot2);
	CV_CHECK(refused(no_payload, "malformed"));
	free(no_payload);
	char *no_sig = fmt("%.*s.", (int)(dot2 - good), good);
	CV_CHECK(refused(no_sig, "malformed"));
	free(no_sig);
	free(good);
	free(payload);
}

static void test_malformed_base64(void) {
	char *payload = simple_payload(60);
	char *h = b64(HS256_HEADER, strlen(HS256_HEADER));
	char *p = b64(payload, strlen(payload));
	/* Header with standard-alphabet or padding characters */
	char *token = fmt("+%s.%s.AAAA", h + 1, p);
	CV_CHECK(refused(token, "malformed"));
	free(token);
	token = fmt("%s=.%s.AAAA", h, p);
	CV_CHECK(refused(token, "malformed"));
	free(token);
	token = fmt("%s .%s.AAAA", h, p);
	CV_CHECK(refused(token, "malformed"));
	free(token);
	/* Header of length 1 mod 4 */
	token = fmt("%sA.%s.AAAA", h, p);
	CV_CHECK(refused(token, NULL));
	free(token);
	/* Payload with a bad character, correctly signed: malformed payload */
	char *input = fmt("%s.%s/", h, p);
	char *sig = hmac_b64(input, strlen(input), SECRET, strlen(SECRET));
	token = fmt("%s.%s", input, sig);
	CV_CHECK(refused(token, "malformed"));
	free(token);
	free(sig);
	free(input);
	/* Payload padded, correctly signed */
	const char *small = "{\"sub\":\"a\",\"exp\":9999999999}";
	char *pad = b64(small, strlen(small));
	input = fmt("%s.%s=", h, pad);
	sig = hmac_b64(input, strlen(input), SECRET, strlen(SECRET));
	token = fmt("%s.%s", input, sig);
	CV_CHECK(refused(token, "malformed"));
	free(token);
	free(sig);
	free(input);
	free(pad);
	free(h);
	free(p);
	free(payload);
}

static void test_malformed_header_json(void) {
	char *payload = simple_payload(60);
	CV_CHECK(refused_free(craft("not json", payload, SECRET), "header"));
	CV_CHECK(refused_free(craft("{\"alg\":\"HS256\"", payload, SECRET), "header"));
	CV_CHECK(refused_free(craft("[\"HS256\"]", payload, SECRET), "header"));
	CV_CHECK(refused_free(craft("[{\"alg\":\"HS256\"}]", payload, SECRET), "header"));
	CV_CHECK(refused_free(craft("\"HS256\"", payload, SECRET), "header"));
	CV_CHECK(refused_free(craft("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", payload, SECRET), "header"));
	/* Duplicate alg must not let a second value slip past */
	CV_CHECK(refused_free(craft("{\"alg\":\"none\",\"alg\":\"HS256\"}", payload, SECRET), NULL));
	free(payload);
}

/* A correctly signed payload that is not a JSON object. */
static void test_malformed_payload_json(void) {
	CV_CHECK(refused_free(craft_payload("not json"), "payload"));
	CV_CHECK(refused_free(craft_payload("[{\"sub\":\"alice\",\"exp\":9999999999}]"), "payload"));
	CV_CHECK(refused_free(craft_payload("\"alice\""), "payload"));
	CV_CHECK(refused_free(craft_payload("42"), "payload"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":9999999999"), "payload"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"sub\":\"admin\",\"exp\":9999999999}"), "payload"));
}

/* --- claims ------------------------------------------------------------------ */

static void test_sub(void) {
	CV_CHECK(refused_free(craft_payload("{\"exp\":9999999999}"), "sub"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":42,\"exp\":9999999999}"), "sub"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":null,\"exp\":9999999999}"), "sub"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":[\"alice\"],\"exp\":9999999999}"), "sub"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"\",\"exp\":9999999999}"), "sub"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\\u0001\",\"exp\":9999999999}"), "sub"));
	char sub[CV_ID_MAX_LEN + 2];
	memset(sub, 's', CV_ID_MAX_LEN + 1);
	sub[CV_ID_MAX_LEN + 1] = '\0';
	char *payload = fmt("{\"sub\":\"%s\",\"exp\":9999999999}", sub);
	CV_CHECK(refused_free(craft_payload(payload), "sub"));
	free(payload);
	/* One byte shorter is the longest id */
	sub[CV_ID_MAX_LEN] = '\0';
	payload = fmt("{\"sub\":\"%s\",\"exp\":9999999999}", sub);
	CV_CHECK(accepted_free(craft_payload(payload)));
	free(payload);
}

static void test_exp_type(void) {
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\"}"), "exp"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":\"9999999999\"}"), "exp"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":9999999999.0}"), "exp"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":null}"), "exp"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"alice\",\"exp\":true}"), "exp"));
}

static void test_name_room_types(void) {
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"name\":5}"), "name"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"name\":{}}"), "name"));
	char name[CV_NAME_MAX_LEN + 2];
	memset(name, 'n', CV_NAME_MAX_LEN + 1);
	name[CV_NAME_MAX_LEN + 1] = '\0';
	char *payload = fmt("{\"sub\":\"a\",\"exp\":9999999999,\"name\":\"%s\"}", name);
	CV_CHECK(refused_free(craft_payload(payload), "name"));
	free(payload);
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"room\":5}"), "room"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"room\":\"\"}"), "room"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"room\":[\"r1\"]}"), "room"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"room\":\"r\\n1\"}"), "room"));
	char room[CV_ID_MAX_LEN + 2];
	memset(room, 'r', CV_ID_MAX_LEN + 1);
	room[CV_ID_MAX_LEN + 1] = '\0';
	payload = fmt("{\"sub\":\"a\",\"exp\":9999999999,\"room\":\"%s\"}", room);
	CV_CHECK(refused_free(craft_payload(payload), "room"));
	free(payload);
}

static void test_grants_types(void) {
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"grants\":true}"), "grants"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"grants\":[\"publish\"]}"), "grants"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"grants\":\"all\"}"), "grants"));
	CV_CHECK(refused_free(craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"grants\":null}"), "grants"));
	const char *names[] = { "publish", "subscribe", "data", "record", "moderate", "create" };
	const char *bad_values[] = { "\"true\"", "1", "0", "null", "{}" };
	for(size_t i = 0; i < sizeof(names)/sizeof(names[0]); i++) {
		for(size_t j = 0; j < sizeof(bad_values)/sizeof(bad_values[0]); j++) {
			char *payload = fmt("{\"sub\":\"a\",\"exp\":9999999999,\"grants\":{\"%s\":%s}}", names[i], bad_values[j]);
			CV_CHECK(refused_free(craft_payload(payload), "grants"));
			free(payload);
		}
	}
}

/* --- keys and kid ------------------------------------------------------------ */

static void test_kid_selection(void) {
	cv_jwt_key keys[2] = {
		{ "k1", (const unsigned char *)"secret-one", 10 },
		{ "k2", (const unsigned char *)"secret-two", 10 },
	};
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	char *payload = simple_payload(60);
	/* kid picks the right key */
	char *t = mint(payload, "k2", "secret-two");
	CV_CHECK(t != NULL && cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	t = mint(payload, "k1", "secret-one");
	CV_CHECK(t != NULL && cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	/* kid k1 but signed with k2's secret: only k1 is tried */
	t = mint(payload, "k1", "secret-two");
	CV_CHECK(t != NULL && !cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	CV_CHECK_INT(err.code, CV_ERR_UNAUTHORIZED);
	free(t);
	/* Unknown kid, even with a secret that is configured */
	t = mint(payload, "k3", "secret-one");
	CV_CHECK(t != NULL && !cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	CV_CHECK_INT(err.code, CV_ERR_UNAUTHORIZED);
	free(t);
	/* kid is case-sensitive */
	t = mint(payload, "K1", "secret-one");
	CV_CHECK(t != NULL && !cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	/* No kid: every key is tried */
	t = mint(payload, NULL, "secret-one");
	CV_CHECK(t != NULL && cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	t = mint(payload, NULL, "secret-two");
	CV_CHECK(t != NULL && cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	t = mint(payload, NULL, "secret-three");
	CV_CHECK(t != NULL && !cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	CV_CHECK(err.message != NULL && strstr(err.message, "signature") != NULL);
	free(t);
	free(payload);
}

/* A key without an id is not picked by a token that names a kid. */
static void test_kid_keys_without_id(void) {
	cv_jwt_key keys[2] = {
		{ NULL, (const unsigned char *)"anon-secret", 11 },
		{ "named", (const unsigned char *)"named-secret", 12 },
	};
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	char *payload = simple_payload(60);
	char *t = mint(payload, "x", "anon-secret");
	CV_CHECK(t != NULL && !cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	t = mint(payload, NULL, "anon-secret");
	CV_CHECK(t != NULL && cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	t = mint(payload, "named", "named-secret");
	CV_CHECK(t != NULL && cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	free(t);
	/* kid present but not a string */
	t = craft("{\"alg\":\"HS256\",\"kid\":1}", payload, "named-secret");
	CV_CHECK(!cv_jwt_verify(t, keys, 2, NOW, 0, &claims, &err));
	CV_CHECK_INT(err.code, CV_ERR_UNAUTHORIZED);
	free(t);
	free(payload);
}

static void test_no_keys(void) {
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	char *payload = simple_payload(60);
	char *t = mint(payload, NULL, SECRET);
	cv_jwt_key key = { NULL, (const unsigned char *)SECRET, strlen(SECRET) };
	CV_CHECK(!cv_jwt_verify(t, &key, 0, NOW, 0, &claims, &err));
	CV_CHECK_INT(err.code, CV_ERR_UNAUTHORIZED);
	CV_CHECK(!cv_jwt_verify(t, NULL, 0, NOW, 0, &claims, &err));
	free(t);
	/* An empty secret never verifies, even a token signed with it */
	cv_jwt_key empty = { NULL, (const unsigned char *)"", 0 };
	t = craft(HS256_HEADER, payload, "");
	CV_CHECK(!cv_jwt_verify(t, &empty, 1, NOW, 0, &claims, &err));
	CV_CHECK_INT(err.code, CV_ERR_UNAUTHORIZED);
	free(t);
	free(payload);
}

/* Secrets are bytes, not C strings. */
static void test_binary_secret(void) {
	const unsigned char secret[] = { 0x00, 0xff, 0x10, 0x00, 0x7f };
	cv_jwt_key key = { NULL, secret, sizeof(secret) };
	cv_jwt_key prefix = { NULL, secret, 1 };
	json_t *payload = json_pack("{sssI}", "sub", "alice", "exp", (json_int_t)(NOW + 60));
	char *t = cv_jwt_sign(payload, NULL, secret, sizeof(secret));
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	CV_CHECK(t != NULL && cv_jwt_verify(t, &key, 1, NOW, 0, &claims, &err));
	CV_CHECK(t != NULL && !cv_jwt_verify(t, &prefix, 1, NOW, 0, &claims, &err));
	free(t);
	json_decref(payload);
}

/* --- size limit -------------------------------------------------------------- */

/* A hand-made token of exactly total characters, or NULL if none found. */
static char *token_of_length(size_t total) {
	/* From well under the limit (base64url grows the payload by 4/3) */
	for(size_t pad = 5000; pad < CV_JWT_MAX_LEN; pad++) {
		char *fill = malloc(pad + 1);
		memset(fill, 'x', pad);
		fill[pad] = '\0';
		char *payload = fmt("{\"sub\":\"alice\",\"exp\":9999999999,\"pad\":\"%s\"}", fill);
		free(fill);
		char *token = craft_payload(payload);
		free(payload);
		size_t len = strlen(token);
		if(len == total)
			return token;
		free(token);
		if(len > total)
			break;
	}
	return NULL;
}

static void test_max_length(void) {
	char *at_limit = token_of_length(CV_JWT_MAX_LEN);
	CV_CHECK(at_limit != NULL);
	if(at_limit != NULL)
		CV_CHECK(accepted(at_limit));
	free(at_limit);
	char *over = token_of_length(CV_JWT_MAX_LEN + 1);
	CV_CHECK(over != NULL);
	if(over != NULL)
		CV_CHECK(refused(over, "too long"));
	free(over);
	/* Far over, and not even a token */
	char *huge = malloc(100001);
	memset(huge, 'a', 100000);
	huge[100000] = '\0';
	CV_CHECK(refused(huge, "too long"));
	free(huge);
}

/* Whatever cv_jwt_sign returns fits the verifier's limit. */
static void test_sign_within_limit(void) {
	int produced = 0, refused_big = 0;
	for(size_t pad = 5900; pad < 6300; pad += 3) {
		char *fill = malloc(pad + 1);
		memset(fill, 'x', pad);
		fill[pad] = '\0';
		json_t *payload = json_pack("{sssIss}", "sub", "a", "exp", (json_int_t)9999999999, "p", fill);
		free(fill);
		char *t = cv_jwt_sign(payload, NULL, (const unsigned char *)SECRET, strlen(SECRET));
		json_decref(payload);
		if(t != NULL) {
			produced++;
			CV_CHECK(strlen(t) <= CV_JWT_MAX_LEN);
			CV_CHECK(accepted(t));
		}
		else
			refused_big++;
		free(t);
	}
	/* The range straddles the limit */
	CV_CHECK(produced > 0);
	CV_CHECK(refused_big > 0);
}

/* --- rooms --------------------------------------------------------------------- */

static void test_allow_room(void) {
	cv_claims c;
	memset(&c, 0, sizeof(c));
	strcpy(c.room, "");
	CV_CHECK(cv_claims_allow_room(&c, "r1"));
	CV_CHECK(cv_claims_allow_room(&c, "anything"));
	strcpy(c.room, "*");
	CV_CHECK(cv_claims_allow_room(&c, "r1"));
	CV_CHECK(cv_claims_allow_room(&c, "*"));
	strcpy(c.room, "r1");
	CV_CHECK(cv_claims_allow_room(&c, "r1"));
	CV_CHECK(!cv_claims_allow_room(&c, "r2"));
	CV_CHECK(!cv_claims_allow_room(&c, "R1"));
	CV_CHECK(!cv_claims_allow_room(&c, "r10"));
	CV_CHECK(!cv_claims_allow_room(&c, "r"));
	CV_CHECK(!cv_claims_allow_room(&c, ""));
	CV_CHECK(!cv_claims_allow_room(&c, "*"));
	CV_CHECK(!cv_claims_allow_room(&c, NULL));
}

/* The whole path: the room claim of a verified token. */
static void test_allow_room_from_token(void) {
	char *t = craft_payload("{\"sub\":\"a\",\"exp\":9999999999,\"room\":\"lobby\"}");
	cv_claims claims;
	cv_error err = { CV_OK, NULL };
	CV_CHECK(verify(t, NOW, 0, &claims, &err));
	CV_CHECK(cv_claims_allow_room(&claims, "lobby"));
	CV_CHECK(!cv_claims_allow_room(&claims, "lobby2"));
	free(t);
	t = craft_payload("{\"sub\":\"a\",\"exp\":9999999999}");
	CV_CHECK(verify(t, NOW, 0, &claims, &err));
	CV_CHECK(cv_claims_allow_room(&claims, "lobby"));
	CV_CHECK(cv_claims_allow_room(&claims, "lobby2"));
	free(t);
}

/* Audience and issuer, from the policy. */
static void test_policy_audience_issuer(void) {
	const unsigned char secret[] = "policy-secret";
	cv_jwt_key key = { NULL, secret, sizeof(secret) - 1 };
	cv_jwt_policy policy = { .keys = &key, .n_keys = 1, .skew_s = 0, .audience = "convene", .issuer = "auth.example" };
	int64_t now = 1800000000;
	cv_claims claims;
	cv_error err;
	struct { const char *payload; bool ok; } cases[] = {
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":\"convene\",\"iss\":\"auth.example\"}", true },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":[\"x\",\"convene\"],\"iss\":\"auth.example\"}", true },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":\"other\",\"iss\":\"auth.example\"}", false },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":[\"x\"],\"iss\":\"auth.example\"}", false },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"iss\":\"auth.example\"}", false },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":\"convene\",\"iss\":\"evil\"}", false },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":\"convene\"}", false },
		{ "{\"sub\":\"a\",\"exp\":1900000000,\"aud\":\"convene\",\"iss\":7}", false },
	};
	for(size_t i = 0; i < sizeof(cases)/sizeof(cases[0]); i++) {
		json_t *payload = json_loads(cases[i].payload, 0, NULL);
		char *token = cv_jwt_sign(payload, NULL, secret, sizeof(secret) - 1);
		bool ok = cv_jwt_verify_policy(token, &policy, now, &claims, &err);
		if(ok != cases[i].ok)
			printf("#   case %zu: %s\n", i, cases[i].payload);
		CV_CHECK(ok == cases[i].ok);
		if(!ok)
			CV_CHECK_INT(err.code, 401);
		/* without audience/issuer in the policy, all are fine */
		CV_CHECK(cv_jwt_verify(token, &key, 1, now, 0, &claims, &err));
		free(token);
		json_decref(payload);
	}
}

int main(void) {
	CV_RUN(test_grants_default);
	CV_RUN(test_good_token);
	CV_RUN(test_sign_format);
	CV_RUN(test_sign_refuses);
	CV_RUN(test_claims_copied);
	CV_RUN(test_grants_override);
	CV_RUN(test_err_null);
	CV_RUN(test_wrong_secret);
	CV_RUN(test_flipped_signature_char);
	CV_RUN(test_payload_tampered);
	CV_RUN(test_signature_checked_before_payload);
	CV_RUN(test_signature_shape);
	CV_RUN(test_expired);
	CV_RUN(test_expired_skew);
	CV_RUN(test_exp_extremes);
	CV_RUN(test_not_yet_valid);
	CV_RUN(test_nbf_type);
	CV_RUN(test_alg_none);
	CV_RUN(test_alg_other);
	CV_RUN(test_alg_before_signature);
	CV_RUN(test_malformed_parts);
	CV_RUN(test_malformed_base64);
	CV_RUN(test_malformed_header_json);
	CV_RUN(test_malformed_payload_json);
	CV_RUN(test_sub);
	CV_RUN(test_exp_type);
	CV_RUN(test_name_room_types);
	CV_RUN(test_grants_types);
	CV_RUN(test_kid_selection);
	CV_RUN(test_kid_keys_without_id);
	CV_RUN(test_no_keys);
	CV_RUN(test_binary_secret);
	CV_RUN(test_max_length);
	CV_RUN(test_sign_within_limit);
	CV_RUN(test_allow_room);
	CV_RUN(test_allow_room_from_token);
	CV_RUN(test_policy_audience_issuer);
	return cv_test_done();
}
