/*
 * cv_redirect.h - the Location of a redirect from plain http to https.
 *
 * With TLS and `tls_redirect_http`, a plain http request on the TLS port is
 * answered 301 to the same URL over https: same host, path and query (a
 * demo page link with ?room=...&token=... keeps working). The parts come
 * from the HTTP parser decoded, so they are encoded again here: the path
 * keeps its slashes, each query argument the first '=' between its name
 * and value; everything else outside RFC 3986's unreserved characters is
 * percent-encoded. The host must be a plain host name, IPv4 or bracketed
 * IPv6 address, with an optional port (it comes from the client's Host
 * header: anything else is refused, never copied into a header).
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_REDIRECT_H
#define CV_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes "https://<host><path>[?<arg>[&<arg>...]]" (NUL-terminated) into
 * out. path NULL or empty means "/"; args are "name=value" or "name"
 * (decoded). Returns false when the host is not acceptable or the result
 * does not fit in size bytes. */
bool cv_https_location(const char *host, const char *path, const char *const *args, size_t n_args,
	char *out, size_t size);

#endif
