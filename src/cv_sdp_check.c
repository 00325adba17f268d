/*
 * cv_sdp_check.c - structural checks of client SDP and ICE candidates (see
 * cv_sdp_check.h).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cv_sdp_check.h"

static bool cv_sdp_fail(cv_error *err, const char *message) {
	if(err != NULL) {
		err->code = CV_ERR_BAD_REQUEST;
		err->message = message;
	}
	return false;
}

static bool cv_is_digit(char c) {
	return c >= '0' && c <= '9';
}

static bool cv_is_alnum(char c) {
	return cv_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool cv_is_hex(char c) {
	return cv_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A decimal number of 1 to max_digits digits, at most max_value. */
static bool cv_number_ok(const char *s, size_t len, size_t max_digits, uint64_t max_value) {
	if(len == 0 || len > max_digits)
		return false;
	uint64_t v = 0;
	for(size_t i = 0; i < len; i++) {
		if(!cv_is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v <= max_value;
}

/* A piece of a line. */
typedef struct cv_token {
	const char *s;
	size_t len;
} cv_token;

/* Splits s (len bytes) at spaces into at most max tokens; returns how many
 * there are, or -1 when there are more or a token is empty (two spaces, or
 * a space at either end). */
static int cv_tokens(const char *s, size_t len, cv_token *tokens, int max) {
	int n = 0;
	size_t start = 0;
	for(size_t i = 0; i <= len; i++) {
		if(i < len && s[i] != ' ')
			continue;
		if(i == start || n == max)
			return -1;
		tokens[n].s = s + start;
		tokens[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

/* --- SDP ---------------------------------------------------------------------- */

/* "<media> <port>[/<count>] <proto> <fmt> [<fmt>...]" (after "m="): fields
 * separated by single spaces, at least one format. */
static bool cv_sdp_mline_ok(const char *s, size_t len) {
	cv_token t[3];
	size_t i = 0;
	for(int f = 0; f < 3; f++) {
		size_t start = i;
		while(i < len && s[i] != ' ')
			i++;
		if(i == start || i == len)
			return false;	/* empty field, or no format after it */
		t[f].s = s + start;
		t[f].len = i - start;
		i++;	/* the space */
	}
	for(size_t k = 0; k < t[0].len; k++) {
		if(!cv_is_alnum(t[0].s[k]) && t[0].s[k] != '-' && t[0].s[k] != '_')
			return false;
	}
	const char *slash = memchr(t[1].s, '/', t[1].len);
	size_t port_len = slash ? (size_t)(slash - t[1].s) : t[1].len;
	if(!cv_number_ok(t[1].s, port_len, 5, 65535))
		return false;
	if(slash != NULL && !cv_number_ok(slash + 1, t[1].len - port_len - 1, 5, 65535))
		return false;
	/* The formats: no empty one */
	if(i >= len || s[len - 1] == ' ')
		return false;
	for(size_t k = i; k < len; k++) {
		if(s[k] == ' ' && (k == i || s[k - 1] == ' '))
			return false;
	}
	return true;
}

/* The digest length of a fingerprint's hash function, 0 when unknown. */
static size_t cv_fingerprint_bytes(const char *hash, size_t len) {
	static const struct { const char *name; size_t bytes; } known[] = {
		{ "sha-1", 20 }, { "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 }, { "sha-512", 64 },
	};
	for(size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if(strlen(known[i].name) == len && strncasecmp(known[i].name, hash, len) == 0)
			return known[i].bytes;
	}
	return 0;
}

/* "<hash> XX:XX:..." (after "a=fingerprint:"). */
static bool cv_sdp_fingerprint_ok(const char *s, size_t len) {
	cv_token t[2];
	if(cv_tokens(s, len, t, 2) != 2)
		return false;
	for(size_t k = 0; k < t[0].len; k++) {
		if(!cv_is_alnum(t[0].s[k]) && t[0].s[k] != '-')
			return false;
	}
	/* Pairs of hex digits separated by colons */
	if((t[1].len + 1) % 3 != 0)
		return false;
	size_t bytes = (t[1].len + 1) / 3;
	for(size_t k = 0; k < t[1].len; k++) {
		bool colon = k % 3 == 2;
		if(colon ? t[1].s[k] != ':' : !cv_is_hex(t[1].s[k]))
			return false;
	}
	size_t want = cv_fingerprint_bytes(t[0].s, t[0].len);
	return want ? bytes == want : (bytes >= 16 && bytes <= 64);
}

bool cv_sdp_check(const char *sdp, cv_error *err) {
	if(sdp == NULL || strncmp(sdp, "v=0", 3) != 0 || (sdp[3] != '\r' && sdp[3] != '\n'))
		return cv_sdp_fail(err, "the SDP must start with a v=0 line");
	bool have_o = false, have_s = false;
	size_t mlines = 0;
	const char *p = sdp;
	while(*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if(len > 0 && p[len - 1] == '\r')
			len--;
		if(len == 0) {
			/* Only the text's end may follow an empty line */
			if(nl == NULL || nl[1] == '\0')
				break;
			return cv_sdp_fail(err, "the SDP has an empty line");
		}
		for(size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];
			if((c < 0x20 && c != '\t') || c == 0x7f)
				return cv_sdp_fail(err, "the SDP has a control character");
		}
		if(len < 2 || p[0] < 'a' || p[0] > 'z' || p[1] != '=')
			return cv_sdp_fail(err, "every SDP line must be <letter>=<value>");
		if(p[0] == 'o' && mlines == 0) {
			have_o = true;
		} else if(p[0] == 's' && mlines == 0) {
			have_s = true;
		} else if(p[0] == 'm') {
			if(!have_o || !have_s)
				return cv_sdp_fail(err, "the SDP needs o= and s= before its first m= line");
			if(++mlines > CV_SDP_MAX_MLINES)
				return cv_sdp_fail(err, "the SDP has too many m= lines");
			if(!cv_sdp_mline_ok(p + 2, len - 2))
				return cv_sdp_fail(err, "the SDP has an invalid m= line (media, port, protocol and formats)");
		} else if(len > 14 && strncmp(p, "a=fingerprint:", 14) == 0) {
			if(!cv_sdp_fingerprint_ok(p + 14, len - 14))
				return cv_sdp_fail(err, "the SDP has an invalid a=fingerprint");
		}
		if(nl == NULL)
			break;
		p = nl + 1;
	}
	return true;
}

/* --- ICE candidates ----------------------------------------------------------- */

/* Every byte of t is accepted by allowed (NULL: any visible ASCII), and
 * its length is within [1, max]. */
static bool cv_token_chars(const cv_token *t, size_t max, bool (*allowed)(char)) {
	if(t->len == 0 || t->len > max)
		return false;
	for(size_t i = 0; i < t->len; i++) {
		if(allowed != NULL && !allowed(t->s[i]))
			return false;
	}
	return true;
}

/* ice-char: ALPHA / DIGIT / "+" / "/" */
static bool cv_is_ice_char(char c) {
	return cv_is_alnum(c) || c == '+' || c == '/';
}

/* IPv4, IPv6 (with a zone), host names (mDNS ".local" included) */
static bool cv_is_address_char(char c) {
	return cv_is_alnum(c) || c == '.' || c == ':' || c == '-' || c == '_' || c == '%';
}

static bool cv_is_name_char(char c) {
	return cv_is_alnum(c) || c == '-' || c == '_';
}

#define CV_CANDIDATE_MAX_TOKENS 40

bool cv_candidate_check(const char *candidate, cv_error *err) {
	if(candidate == NULL || *candidate == '\0')
		return cv_sdp_fail(err, "the candidate is empty");
	size_t len = strlen(candidate);
	if(len > CV_CANDIDATE_MAX_LEN)
		return cv_sdp_fail(err, "the candidate is too long");
	for(size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)candidate[i];
		if(c < 0x20 || c > 0x7e)
			return cv_sdp_fail(err, "the candidate has a character that is not visible ASCII");
	}
	const char *s = candidate;
	if(strncmp(s, "a=", 2) == 0)
		s += 2;
	if(strncmp(s, "candidate:", 10) != 0)
		return cv_sdp_fail(err, "the candidate must start with \"candidate:\"");
	s += 10;
	cv_token t[CV_CANDIDATE_MAX_TOKENS];
	int n = cv_tokens(s, strlen(s), t, CV_CANDIDATE_MAX_TOKENS);
	if(n < 8 || (n - 8) % 2 != 0)
		return cv_sdp_fail(err, "the candidate needs foundation, component, transport, priority, "
			"address, port, typ and type, then name/value pairs");
	if(!cv_token_chars(&t[0], 32, cv_is_ice_char))
		return cv_sdp_fail(err, "the candidate's foundation is invalid");
	if(!cv_number_ok(t[1].s, t[1].len, 3, 256) || (t[1].len == 1 && t[1].s[0] == '0'))
		return cv_sdp_fail(err, "the candidate's component is invalid");
	if(!cv_token_chars(&t[2], 16, cv_is_name_char))
		return cv_sdp_fail(err, "the candidate's transport is invalid");
	if(!cv_number_ok(t[3].s, t[3].len, 10, UINT32_MAX))
		return cv_sdp_fail(err, "the candidate's priority is invalid");
	if(!cv_token_chars(&t[4], 255, cv_is_address_char))
		return cv_sdp_fail(err, "the candidate's address is invalid");
	if(!cv_number_ok(t[5].s, t[5].len, 5, 65535))
		return cv_sdp_fail(err, "the candidate's port is invalid");
	if(t[6].len != 3 || strncmp(t[6].s, "typ", 3) != 0 || !cv_token_chars(&t[7], 16, cv_is_name_char))
		return cv_sdp_fail(err, "the candidate's type is invalid");
	for(int i = 8; i < n; i += 2) {
		if(!cv_token_chars(&t[i], 32, cv_is_name_char) || !cv_token_chars(&t[i + 1], 255, NULL))
			return cv_sdp_fail(err, "the candidate has an invalid extension");
	}
	return true;
}
