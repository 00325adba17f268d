/*
 * cv_base64url.c - strict base64url without padding (see cv_base64url.h).
 */
#include "cv_base64url.h"

static const char cv_b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of one character, -1 when outside the alphabet. */
static int cv_b64url_value(unsigned char c) {
	if(c >= 'A' && c <= 'Z')
		return c - 'A';
	if(c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if(c >= '0' && c <= '9')
		return c - '0' + 52;
	if(c == '-')
		return 62;
	if(c == '_')
		return 63;
	return -1;
}

bool cv_b64url_decode(const char *in, size_t len, unsigned char *out, size_t *out_len) {
	if(len % 4 == 1)
		return false;
	size_t o = 0;
	unsigned int acc = 0;
	int bits = 0;
	for(size_t i = 0; i < len; i++) {
		int v = cv_b64url_value((unsigned char)in[i]);
		if(v < 0)
			return false;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if(bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	/* Leftover bits must be zero for a canonical encoding */
	if(bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return false;
	*out_len = o;
	return true;
}

size_t cv_b64url_encode(const unsigned char *in, size_t len, char *out) {
	size_t o = 0, i = 0;
	for(; i + 2 < len; i += 3) {
		unsigned int v = ((unsigned int)in[i] << 16) | ((unsigned int)in[i+1] << 8) | in[i+2];
		out[o++] = cv_b64url_alphabet[(v >> 18) & 63];
		out[o++] = cv_b64url_alphabet[(v >> 12) & 63];
		out[o++] = cv_b64url_alphabet[(v >> 6) & 63];
		out[o++] = cv_b64url_alphabet[v & 63];
	}
	if(len - i == 1) {
		unsigned int v = (unsigned int)in[i] << 16;
		out[o++] = cv_b64url_alphabet[(v >> 18) & 63];
		out[o++] = cv_b64url_alphabet[(v >> 12) & 63];
	} else if(len - i == 2) {
		unsigned int v = ((unsigned int)in[i] << 16) | ((unsigned int)in[i+1] << 8);
		out[o++] = cv_b64url_alphabet[(v >> 18) & 63];
		out[o++] = cv_b64url_alphabet[(v >> 12) & 63];
		out[o++] = cv_b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}
