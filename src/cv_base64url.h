/*
 * cv_base64url.h - strict base64url (RFC 4648 section 5) without padding,
 * as used by JWTs.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_BASE64URL_H
#define CV_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes needed to decode len characters (an upper bound). */
#define CV_B64URL_DECODED_MAX(len) (((len) / 4) * 3 + 3)
/* Characters needed to encode len bytes, plus the NUL. */
#define CV_B64URL_ENCODED_SIZE(len) ((((len) + 2) / 3) * 4 + 1)

/* Decodes len characters of in into out (room for CV_B64URL_DECODED_MAX(len)
 * bytes); *out_len gets the decoded length. Rejects characters outside the
 * base64url alphabet, '=' padding, a length of 1 mod 4 and non-zero unused
 * bits (so every input has exactly one decoding). Returns false on bad input. */
bool cv_b64url_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);

/* Encodes len bytes into out (room for CV_B64URL_ENCODED_SIZE(len)),
 * NUL-terminated, without padding. Returns the number of characters. */
size_t cv_b64url_encode(const unsigned char *in, size_t len, char *out);

#endif
