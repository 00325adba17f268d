/*
 * cv_redirect.c - the Location of an http -> https redirect (see
 * cv_redirect.h).
 */
#include <string.h>

#include "cv_redirect.h"

/* A growing string in a caller's buffer. */
typedef struct cv_out {
	char *buf;
	size_t size, len;
	bool ok;
} cv_out;

static void cv_out_char(cv_out *o, char c) {
	if(!o->ok || o->len + 1 >= o->size) {
		o->ok = false;
		return;
	}
	o->buf[o->len++] = c;
	o->buf[o->len] = '\0';
}

static void cv_out_str(cv_out *o, const char *s) {
	for(; *s; s++)
		cv_out_char(o, *s);
}

static bool cv_unreserved(unsigned char c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '.' || c == '_' || c == '~';
}

/* Appends s, percent-encoding every byte but the unreserved ones and those
 * in keep. */
static void cv_out_encoded(cv_out *o, const char *s, size_t len, const char *keep) {
	static const char hex[] = "0123456789ABCDEF";
	for(size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if(cv_unreserved(c) || (c != '\0' && strchr(keep, c) != NULL)) {
			cv_out_char(o, (char)c);
		} else {
			cv_out_char(o, '%');
			cv_out_char(o, hex[c >> 4]);
			cv_out_char(o, hex[c & 0x0f]);
		}
	}
}

/* host[:port], [v6]:port: letters, digits, '.', '-', ':', brackets. */
static bool cv_host_ok(const char *host) {
	size_t len = host ? strlen(host) : 0;
	if(len == 0 || len > 255)
		return false;
	for(size_t i = 0; i < len; i++) {
		char c = host[i];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

bool cv_https_location(const char *host, const char *path, const char *const *args, size_t n_args,
		char *out, size_t size) {
	if(out == NULL || size == 0 || !cv_host_ok(host))
		return false;
	cv_out o = { out, size, 0, true };
	out[0] = '\0';
	cv_out_str(&o, "https://");
	cv_out_str(&o, host);
	if(path == NULL || path[0] != '/')
		cv_out_char(&o, '/');
	if(path != NULL)
		cv_out_encoded(&o, path, strlen(path), "/");
	size_t written = 0;
	for(size_t i = 0; i < n_args; i++) {
		if(args[i] == NULL || args[i][0] == '\0')
			continue;
		cv_out_char(&o, written++ == 0 ? '?' : '&');
		const char *eq = strchr(args[i], '=');
		size_t name_len = eq ? (size_t)(eq - args[i]) : strlen(args[i]);
		cv_out_encoded(&o, args[i], name_len, "");
		if(eq != NULL) {
			cv_out_char(&o, '=');
			cv_out_encoded(&o, eq + 1, strlen(eq + 1), "");
		}
	}
	return o.ok;
}
