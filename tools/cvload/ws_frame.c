/*
 * ws_frame.c - RFC 6455 handshake and framing for a client (see ws_frame.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <openssl/sha.h>

#include "ws_frame.h"

#define CVL_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define CVL_WS_MAX_RESPONSE 16384

bool cvl_ws_url_parse(const char *url, cvl_ws_url *out) {
	memset(out, 0, sizeof(*out));
	if(url == NULL || strncmp(url, "ws://", 5) != 0)
		return false;
	const char *p = url + 5;
	size_t hostlen;
	const char *after;
	if(*p == '[') {
		const char *close = strchr(p, ']');
		if(close == NULL)
			return false;
		hostlen = (size_t)(close - p - 1);
		if(hostlen == 0 || hostlen >= sizeof(out->host))
			return false;
		memcpy(out->host, p + 1, hostlen);
		after = close + 1;
	} else {
		hostlen = strcspn(p, ":/?");
		if(hostlen == 0 || hostlen >= sizeof(out->host))
			return false;
		memcpy(out->host, p, hostlen);
		after = p + hostlen;
	}
	out->port = 80;
	if(*after == ':') {
		char *end = NULL;
		long port = strtol(after + 1, &end, 10);
		if(end == after + 1 || port <= 0 || port > 65535)
			return false;
		out->port = (int)port;
		after = end;
	}
	if(*after == '\0') {
		strcpy(out->path, "/");
	} else if(*after == '/' || *after == '?') {
		int n = snprintf(out->path, sizeof(out->path), "%s%s", *after == '?' ? "/" : "", after);
		if(n < 0 || (size_t)n >= sizeof(out->path))
			return false;
	} else {
		return false;
	}
	return true;
}

void cvl_ws_key(const uint8_t random16[16], char out[25]) {
	gchar *b64 = g_base64_encode(random16, 16);
	g_strlcpy(out, b64, 25);
	g_free(b64);
}

void cvl_ws_accept(const char *key, char out[29]) {
	char *text = g_strconcat(key, CVL_WS_GUID, NULL);
	unsigned char digest[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)text, strlen(text), digest);
	g_free(text);
	gchar *b64 = g_base64_encode(digest, sizeof(digest));
	g_strlcpy(out, b64, 29);
	g_free(b64);
}

char *cvl_ws_request(const cvl_ws_url *url, const char *key, const char *protocol) {
	GString *s = g_string_new(NULL);
	bool v6 = strchr(url->host, ':') != NULL;
	g_string_append_printf(s, "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
		url->path, v6 ? "[" : "", url->host, v6 ? "]" : "", url->port, key);
	if(protocol != NULL && protocol[0])
		g_string_append_printf(s, "Sec-WebSocket-Protocol: %s\r\n", protocol);
	g_string_append(s, "\r\n");
	return g_string_free(s, FALSE);
}

long cvl_ws_response(const char *buf, size_t len, const char *key) {
	const char *end = g_strstr_len(buf, (gssize)(len < CVL_WS_MAX_RESPONSE ? len : CVL_WS_MAX_RESPONSE), "\r\n\r\n");
	if(end == NULL)
		return len >= CVL_WS_MAX_RESPONSE ? -1 : 0;
	size_t hlen = (size_t)(end - buf) + 4;
	char *head = g_strndup(buf, hlen);
	long result = -1;
	gchar **lines = g_strsplit(head, "\r\n", -1);
	int status = 0;
	if(lines[0] != NULL && sscanf(lines[0], "HTTP/1.1 %d", &status) == 1 && status == 101) {
		char expect[29];
		cvl_ws_accept(key, expect);
		for(gchar **l = lines + 1; *l != NULL; l++) {
			const char *colon = strchr(*l, ':');
			if(colon == NULL)
				continue;
			if((size_t)(colon - *l) == strlen("Sec-WebSocket-Accept")
					&& strncasecmp(*l, "Sec-WebSocket-Accept", (size_t)(colon - *l)) == 0) {
				const char *v = colon + 1;
				while(*v == ' ' || *v == '\t')
					v++;
				if(strcmp(v, expect) == 0)
					result = (long)hlen;
			}
		}
	}
	g_strfreev(lines);
	g_free(head);
	return result;
}

size_t cvl_ws_encode(uint8_t *out, int opcode, const uint8_t *payload, size_t len, const uint8_t mask[4]) {
	size_t off = 0;
	out[off++] = (uint8_t)(0x80 | (opcode & 0x0f));
	if(len < 126) {
		out[off++] = (uint8_t)(0x80 | len);
	} else if(len <= 0xffff) {
		out[off++] = 0x80 | 126;
		out[off++] = (uint8_t)(len >> 8);
		out[off++] = (uint8_t)len;
	} else {
		out[off++] = 0x80 | 127;
		for(int i = 7; i >= 0; i--)
			out[off++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	memcpy(out + off, mask, 4);
	off += 4;
	for(size_t i = 0; i < len; i++)
		out[off + i] = payload[i] ^ mask[i & 3];
	return off + len;
}

long cvl_ws_decode(uint8_t *buf, size_t len, cvl_ws_frame *out) {
	if(len < 2)
		return 0;
	if(buf[0] & 0x70)
		return -1;
	out->fin = buf[0] & 0x80;
	out->opcode = buf[0] & 0x0f;
	bool masked = buf[1] & 0x80;
	uint64_t plen = buf[1] & 0x7f;
	size_t off = 2;
	if(plen == 126) {
		if(len < 4)
			return 0;
		plen = ((uint64_t)buf[2] << 8) | buf[3];
		off = 4;
	} else if(plen == 127) {
		if(len < 10)
			return 0;
		plen = 0;
		for(int i = 0; i < 8; i++)
			plen = (plen << 8) | buf[2 + i];
		off = 10;
	}
	if(plen > CVL_WS_MAX_FRAME)
		return -1;
	if(out->opcode >= 0x8 && (plen > 125 || !out->fin))
		return -1;
	uint8_t mask[4] = { 0, 0, 0, 0 };
	if(masked) {
		if(len < off + 4)
			return 0;
		memcpy(mask, buf + off, 4);
		off += 4;
	}
	if(len < off + plen)
		return 0;
	out->payload = buf + off;
	out->len = (size_t)plen;
	if(masked) {
		for(size_t i = 0; i < out->len; i++)
			out->payload[i] ^= mask[i & 3];
	}
	return (long)(off + plen);
}
