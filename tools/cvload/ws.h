/*
 * ws.h - a WebSocket client (ws:// only) on the GLib main loop.
 *
 * One TCP socket per connection, non-blocking, watched with g_unix_fd_add
 * on the default main context: reads are handled as they come, writes are
 * queued and flushed when the socket is writable. Text messages sent before
 * the handshake completes are queued and go out right after it.
 *
 * Callbacks run on the main loop. A connection that the user closed with
 * cvl_ws_close makes no more callbacks. Objects live until cvl_ws_free;
 * never free one from inside its own callback.
 */
#ifndef CVL_WS_H
#define CVL_WS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cvl_ws cvl_ws;

typedef struct cvl_ws_cbs {
	void (*on_open)(void *user);
	void (*on_text)(void *user, const char *text, size_t len);
	/* the server closed (code from its close frame, 1006 when the socket
	 * failed or closed without one) */
	void (*on_close)(void *user, int code, const char *reason);
} cvl_ws_cbs;

/* Starts connecting; NULL when the URL is not a ws:// URL or the host does
 * not resolve. protocol (may be NULL) is the Sec-WebSocket-Protocol. */
cvl_ws *cvl_ws_connect(const char *url, const char *protocol, const cvl_ws_cbs *cbs, void *user);
/* Queues a text message. False when the connection is closed. */
bool cvl_ws_send_text(cvl_ws *ws, const char *text);
/* Sends a close frame (code 1000) and closes the socket once the server
 * answers or after 1 s. No more callbacks. */
void cvl_ws_close(cvl_ws *ws);
bool cvl_ws_is_open(const cvl_ws *ws);
void cvl_ws_free(cvl_ws *ws);

#endif
