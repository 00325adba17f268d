/*
 * ws_frame.h - the WebSocket protocol (RFC 6455) from the client side,
 * without I/O: the opening handshake and frame encoding/decoding.
 *
 * The client masks every frame it sends (the caller supplies the 4 mask
 * bytes); the decoder takes frames from a server (unmasked, though masked
 * ones are unmasked in place too). Fragmented messages are the caller's
 * business: the decoder returns frames, with their FIN bit.
 *
 * Pure logic (uses libcrypto's SHA-1 for Sec-WebSocket-Accept).
 */
#ifndef CVL_WS_FRAME_H
#define CVL_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CVL_WS_OP_CONT 0x0
#define CVL_WS_OP_TEXT 0x1
#define CVL_WS_OP_BINARY 0x2
#define CVL_WS_OP_CLOSE 0x8
#define CVL_WS_OP_PING 0x9
#define CVL_WS_OP_PONG 0xa

#define CVL_WS_MAX_FRAME (16u << 20)

/* A ws:// URL split up. False for anything else (wss:// included). */
typedef struct cvl_ws_url {
	char host[256];
	int port;
	char path[1024];	/* path and query, "/" at least */
} cvl_ws_url;
bool cvl_ws_url_parse(const char *url, cvl_ws_url *out);

/* The Sec-WebSocket-Key for 16 random bytes (24 characters + NUL). */
void cvl_ws_key(const uint8_t random16[16], char out[25]);
/* The Sec-WebSocket-Accept a server must answer for key (28 + NUL). */
void cvl_ws_accept(const char *key, char out[29]);
/* The opening request; protocol may be NULL. The caller g_free()s it. */
char *cvl_ws_request(const cvl_ws_url *url, const char *key, const char *protocol);

/* Reads the server's handshake response from buf[0..len).
 * Returns the response's length (> 0) when it is complete and accepts the
 * upgrade, 0 when more bytes are needed, -1 when it refuses (status other
 * than 101, a wrong Sec-WebSocket-Accept, a response over 16 KiB). */
long cvl_ws_response(const char *buf, size_t len, const char *key);

/* Encodes one frame (FIN set) into out (capacity: len + 14). Returns the
 * frame's length. */
size_t cvl_ws_encode(uint8_t *out, int opcode, const uint8_t *payload, size_t len, const uint8_t mask[4]);

typedef struct cvl_ws_frame {
	bool fin;
	int opcode;
	uint8_t *payload;	/* points into the buffer given to cvl_ws_decode */
	size_t len;
} cvl_ws_frame;

/* Decodes the frame at the start of buf[0..len). Returns its total length
 * (> 0), 0 when incomplete, -1 when malformed (reserved bits, a control
 * frame over 125 bytes or fragmented, a frame over CVL_WS_MAX_FRAME). */
long cvl_ws_decode(uint8_t *buf, size_t len, cvl_ws_frame *out);

#endif
