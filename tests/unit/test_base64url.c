/*
 * test_base64url.c - strict base64url (RFC 4648 section 5, no padding).
 *
 * Buffers are allocated at exactly the size the header's macros promise, so
 * AddressSanitizer catches any write past what the contract allows.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_test.h"
#include "cv_base64url.h"

/* Encodes in a buffer of exactly CV_B64URL_ENCODED_SIZE(len) bytes; the
 * caller frees. */
static char *encode(const unsigned char *in, size_t len, size_t *out_chars) {
	char *out = malloc(CV_B64URL_ENCODED_SIZE(len));
	size_t n = cv_b64url_encode(in, len, out);
	if(out_chars != NULL)
		*out_chars = n;
	return out;
}

/* Decodes text (strlen) in a buffer of exactly CV_B64URL_DECODED_MAX bytes.
 * Returns the buffer (caller frees) or NULL when decoding failed. */
static unsigned char *decode_n(const char *text, size_t len, size_t *out_len) {
	unsigned char *out = malloc(CV_B64URL_DECODED_MAX(len));
	if(!cv_b64url_decode(text, len, out, out_len)) {
		free(out);
		return NULL;
	}
	return out;
}

static bool decodes(const char *text) {
	size_t n = 0;
	unsigned char *out = decode_n(text, strlen(text), &n);
	free(out);
	return out != NULL;
}

/* True when text decodes to exactly the bytes expect[0..expect_len). */
static bool decodes_to(const char *text, const char *expect, size_t expect_len) {
	size_t n = 12345;
	unsigned char *out = decode_n(text, strlen(text), &n);
	bool ok = out != NULL && n == expect_len && memcmp(out, expect, expect_len) == 0;
	free(out);
	return ok;
}

/* RFC 4648 section 10 vectors, without the padding. */
static const struct {
	const char *plain;
	const char *encoded;
} rfc_vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_rfc4648_encode(void) {
	for(size_t i = 0; i < sizeof(rfc_vectors)/sizeof(rfc_vectors[0]); i++) {
		size_t n = 0;
		char *out = encode((const unsigned char *)rfc_vectors[i].plain, strlen(rfc_vectors[i].plain), &n);
		CV_CHECK_STR(out, rfc_vectors[i].encoded);
		CV_CHECK_INT(n, strlen(rfc_vectors[i].encoded));
		free(out);
	}
}

static void test_rfc4648_decode(void) {
	for(size_t i = 0; i < sizeof(rfc_vectors)/sizeof(rfc_vectors[0]); i++) {
		CV_CHECK(decodes_to(rfc_vectors[i].encoded, rfc_vectors[i].plain, strlen(rfc_vectors[i].plain)));
	}
}

/* The two characters that differ from standard base64: '-' (62), '_' (63). */
static void test_url_alphabet(void) {
	const unsigned char minus[] = { 0xfb, 0xef, 0xbe };	/* 62 62 62 62 */
	const unsigned char under[] = { 0xff, 0xff, 0xff };	/* 63 63 63 63 */
	const unsigned char mixed[] = { 0xfb, 0xff };		/* std: "+/8=" */
	const unsigned char zeros[] = { 0x00, 0x00, 0x00 };
	char *out = encode(minus, sizeof(minus), NULL);
	CV_CHECK_STR(out, "----");
	free(out);
	out = encode(under, sizeof(under), NULL);
	CV_CHECK_STR(out, "____");
	free(out);
	out = encode(mixed, sizeof(mixed), NULL);
	CV_CHECK_STR(out, "-_8");
	free(out);
	out = encode(zeros, sizeof(zeros), NULL);
	CV_CHECK_STR(out, "AAAA");
	free(out);
	CV_CHECK(decodes_to("----", (const char *)minus, sizeof(minus)));
	CV_CHECK(decodes_to("____", (const char *)under, sizeof(under)));
	CV_CHECK(decodes_to("-_8", (const char *)mixed, sizeof(mixed)));
	CV_CHECK(decodes_to("AAAA", (const char *)zeros, sizeof(zeros)));
}

/* Every byte value survives, including NUL. */
static void test_all_byte_values(void) {
	unsigned char all[256];
	for(int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	size_t n = 0;
	char *text = encode(all, sizeof(all), &n);
	CV_CHECK_INT(n, (256 * 4 + 2) / 3);
	CV_CHECK_INT(strlen(text), n);
	CV_CHECK(strchr(text, '=') == NULL);
	CV_CHECK(strchr(text, '+') == NULL);
	CV_CHECK(strchr(text, '/') == NULL);
	CV_CHECK(decodes_to(text, (const char *)all, sizeof(all)));
	free(text);
}

/* xorshift32: deterministic, so a failure is reproducible. */
static uint32_t rng_state = 0x12345678u;
static uint32_t rng_next(void) {
	uint32_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rng_state = x;
	return x;
}

static void test_round_trip_random(void) {
	for(int round = 0; round < 500; round++) {
		size_t len = rng_next() % 300;
		unsigned char *in = malloc(len ? len : 1);
		for(size_t i = 0; i < len; i++)
			in[i] = (unsigned char)rng_next();
		size_t chars = 0;
		char *text = encode(in, len, &chars);
		/* No padding: 4 characters per 3 bytes, rounded up */
		CV_CHECK_INT(chars, (len * 4 + 2) / 3);
		CV_CHECK_INT(strlen(text), chars);
		CV_CHECK(chars % 4 != 1);
		CV_CHECK(chars + 1 <= CV_B64URL_ENCODED_SIZE(len));
		size_t out_len = 0;
		unsigned char *out = decode_n(text, chars, &out_len);
		CV_CHECK(out != NULL);
		if(out != NULL) {
			CV_CHECK_INT(out_len, len);
			CV_CHECK(out_len <= CV_B64URL_DECODED_MAX(chars));
			CV_CHECK(len == 0 || memcmp(in, out, len) == 0);
		}
		free(out);
		free(text);
		free(in);
	}
}

/* The input is a (pointer, length) pair: bytes past len are not read. */
static void test_length_not_nul(void) {
	const char *text = "Zm9vYmFy!!!!";
	size_t n = 0;
	unsigned char *out = decode_n(text, 4, &n);
	CV_CHECK(out != NULL);
	CV_CHECK_INT(n, 3);
	CV_CHECK(out != NULL && memcmp(out, "foo", 3) == 0);
	free(out);
	out = decode_n(text, 0, &n);
	CV_CHECK(out != NULL);
	CV_CHECK_INT(n, 0);
	free(out);
	/* An empty string literal with length 0 is valid, too */
	unsigned char one[4];
	n = 99;
	CV_CHECK(cv_b64url_decode("", 0, one, &n));
	CV_CHECK_INT(n, 0);
}

static void test_reject_padding(void) {
	CV_CHECK(!decodes("Zg=="));
	CV_CHECK(!decodes("Zm8="));
	CV_CHECK(!decodes("Zg="));
	CV_CHECK(!decodes("===="));
	CV_CHECK(!decodes("Zm9v===="));
	CV_CHECK(!decodes("Zm=v"));
}

static void test_reject_standard_alphabet(void) {
	CV_CHECK(!decodes("+/8"));
	CV_CHECK(!decodes("++++"));
	CV_CHECK(!decodes("////"));
	CV_CHECK(!decodes("Zm9v+A"));
	CV_CHECK(!decodes("Zm9v/A"));
}

static void test_reject_whitespace(void) {
	CV_CHECK(!decodes(" Zm9v"));
	CV_CHECK(!decodes("Zm9v "));
	CV_CHECK(!decodes("Zm 9v"));
	CV_CHECK(!decodes("Zm9v\n"));
	CV_CHECK(!decodes("Zm9v\r\nYmFy"));
	CV_CHECK(!decodes("Zm\t9v"));
}

static void test_reject_other_bytes(void) {
	CV_CHECK(!decodes("Zm9v.A"));
	CV_CHECK(!decodes("Zm9v*A"));
	CV_CHECK(!decodes("Zm9v\xc3\xa9"));
	/* An embedded NUL inside the given length */
	size_t n = 0;
	unsigned char *out = decode_n("Zm\0v", 4, &n);
	CV_CHECK(out == NULL);
	free(out);
}

static void test_reject_length_1_mod_4(void) {
	CV_CHECK(!decodes("Z"));
	CV_CHECK(!decodes("A"));
	CV_CHECK(!decodes("Zm9vY"));
	CV_CHECK(!decodes("Zm9vYmFyZ"));
	/* The neighbours are fine */
	CV_CHECK(decodes("Zm9vYg"));
	CV_CHECK(decodes("Zm9vYmE"));
	CV_CHECK(decodes("Zm9vYmFy"));
}

/* A final character whose unused low bits are not zero has a canonical
 * sibling; only the canonical form is accepted. */
static void test_reject_non_canonical(void) {
	/* "f" = Zg; 'h' adds a low bit in the 4 unused bits */
	CV_CHECK(decodes("Zg"));
	CV_CHECK(!decodes("Zh"));
	CV_CHECK(!decodes("Zv"));
	CV_CHECK(!decodes("Z_"));
	/* "fo" = Zm8; '9' adds a low bit in the 2 unused bits */
	CV_CHECK(decodes("Zm8"));
	CV_CHECK(!decodes("Zm9"));
	CV_CHECK(!decodes("Zm-"));
	CV_CHECK(!decodes("Zm_"));
	/* "foob" = Zm9vYg */
	CV_CHECK(!decodes("Zm9vYh"));
	/* Every final character of a 2-char group: only 4 of 64 are canonical */
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int accepted2 = 0, accepted3 = 0;
	for(int i = 0; i < 64; i++) {
		char two[3] = { 'A', alphabet[i], '\0' };
		char three[4] = { 'A', 'A', alphabet[i], '\0' };
		if(decodes(two))
			accepted2++;
		if(decodes(three))
			accepted3++;
	}
	CV_CHECK_INT(accepted2, 4);
	CV_CHECK_INT(accepted3, 16);
}

/* A rejected decode reports failure whatever position the bad byte is at. */
static void test_reject_every_position(void) {
	char text[] = "Zm9vYmFyYmF6";
	for(size_t i = 0; i < strlen(text); i++) {
		char saved = text[i];
		text[i] = '=';
		CV_CHECK(!decodes(text));
		text[i] = '+';
		CV_CHECK(!decodes(text));
		text[i] = saved;
	}
	CV_CHECK(decodes(text));
}

int main(void) {
	CV_RUN(test_rfc4648_encode);
	CV_RUN(test_rfc4648_decode);
	CV_RUN(test_url_alphabet);
	CV_RUN(test_all_byte_values);
	CV_RUN(test_round_trip_random);
	CV_RUN(test_length_not_nul);
	CV_RUN(test_reject_padding);
	CV_RUN(test_reject_standard_alphabet);
	CV_RUN(test_reject_whitespace);
	CV_RUN(test_reject_other_bytes);
	CV_RUN(test_reject_length_1_mod_4);
	CV_RUN(test_reject_non_canonical);
	CV_RUN(test_reject_every_position);
	return cv_test_done();
}
