/*
 * fuzz_b64url.c - src/cv_base64url.c (JWT parts come from URLs).
 *
 * Feeds: the input twice, as base64url text to cv_b64url_decode and as raw
 * bytes to cv_b64url_encode.
 *
 * Asserts beyond "no crash":
 *  - decode writes within CV_B64URL_DECODED_MAX(len) (the output block is
 *    exactly that size, so one byte more is an ASan report) and reads only
 *    len characters (the text is an exact-size heap copy);
 *  - decode accepts exactly the canonical unpadded texts: every character
 *    in the alphabet, len % 4 != 1, unused trailing bits zero (checked
 *    against an independent reference written here);
 *  - when it accepts, the decoded length is len * 3 / 4 and
 *    encode(decode(s)) == s (one decoding per input);
 *  - encode writes exactly ceil(4n / 3) characters + NUL within
 *    CV_B64URL_ENCODED_SIZE(n), only alphabet characters, and
 *    decode(encode(x)) == x.
 */
#include "fuzz_common.h"
#include "cv_base64url.h"

static int ref_value(uint8_t c) {
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = c ? memchr(alphabet, c, 64) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

/* Reference: is text the canonical unpadded base64url of some bytes? */
static bool ref_canonical(const uint8_t *s, size_t len) {
	if(len % 4 == 1)
		return false;
	for(size_t i = 0; i < len; i++) {
		if(ref_value(s[i]) < 0)
			return false;
	}
	if(len % 4 == 2)
		return (ref_value(s[len - 1]) & 0x0f) == 0;
	if(len % 4 == 3)
		return (ref_value(s[len - 1]) & 0x03) == 0;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	/* 1. the input as text */
	uint8_t *text = fuzz_copy(data, size);
	size_t cap = CV_B64URL_DECODED_MAX(size);
	uint8_t *out = malloc(cap);
	FUZZ_CHECK(out != NULL);
	size_t out_len = (size_t)-1;
	bool ok = cv_b64url_decode((const char *)text, size, out, &out_len);
	FUZZ_CHECK(ok == ref_canonical(data, size));
	if(ok) {
		FUZZ_CHECK(out_len == size * 3 / 4);
		FUZZ_CHECK(out_len <= cap);
		char *again = malloc(CV_B64URL_ENCODED_SIZE(out_len));
		FUZZ_CHECK(again != NULL);
		size_t n = cv_b64url_encode(out, out_len, again);
		FUZZ_CHECK(n == size && memcmp(again, data, size) == 0);
		free(again);
	}
	free(out);
	fuzz_free(text, size);

	/* 2. the input as bytes */
	uint8_t *raw = fuzz_copy(data, size);
	size_t enc_size = CV_B64URL_ENCODED_SIZE(size);
	char *enc = malloc(enc_size);
	FUZZ_CHECK(enc != NULL);
	size_t n = cv_b64url_encode(raw, size, enc);
	FUZZ_CHECK(n == (size * 4 + 2) / 3);
	FUZZ_CHECK(n < enc_size && enc[n] == '\0');
	for(size_t i = 0; i < n; i++)
		FUZZ_CHECK(ref_value((uint8_t)enc[i]) >= 0);
	uint8_t *back = malloc(CV_B64URL_DECODED_MAX(n));
	FUZZ_CHECK(back != NULL);
	size_t back_len = 0;
	FUZZ_CHECK(cv_b64url_decode(enc, n, back, &back_len));
	FUZZ_CHECK(back_len == size && memcmp(back, data, size) == 0);
	free(back);
	free(enc);
	fuzz_free(raw, size);
	return 0;
}
