/*
 * ws.c - WebSocket client I/O on the main loop (see ws.h; framing and the
 * handshake are in ws_frame.c).
 *
 * States: CONNECTING (non-blocking connect in progress, waiting for
 * writability) -> HANDSHAKE (request sent, reading the 101 response) ->
 * OPEN -> CLOSING (we sent a close frame) -> CLOSED (socket closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "cvl.h"
#include "ws.h"
#include "ws_frame.h"

typedef enum cvl_ws_state {
	CVL_WS_CONNECTING,
	CVL_WS_HANDSHAKE,
	CVL_WS_OPEN,
	CVL_WS_CLOSING,
	CVL_WS_CLOSED,
} cvl_ws_state;

struct cvl_ws {
	int fd;
	cvl_ws_state state;
	cvl_ws_url url;
	char key[25];
	char *protocol;
	GByteArray *in;		/* bytes read, not yet parsed */
	GByteArray *out;	/* bytes to write */
	GByteArray *msg;	/* a fragmented message being assembled */
	GQueue pending;		/* texts queued before the handshake */
	guint in_src, out_src, close_timer;
	bool user_closed;
	cvl_ws_cbs cbs;
	void *user;
};

static gboolean cvl_ws_on_readable(gint fd, GIOCondition cond, gpointer data);
static gboolean cvl_ws_on_writable(gint fd, GIOCondition cond, gpointer data);

static void cvl_ws_shutdown(cvl_ws *ws) {
	if(ws->in_src) {
		g_source_remove(ws->in_src);
		ws->in_src = 0;
	}
	if(ws->out_src) {
		g_source_remove(ws->out_src);
		ws->out_src = 0;
	}
	if(ws->close_timer) {
		g_source_remove(ws->close_timer);
		ws->close_timer = 0;
	}
	if(ws->fd >= 0) {
		close(ws->fd);
		ws->fd = -1;
	}
	ws->state = CVL_WS_CLOSED;
}

/* The connection is over: close and tell the user (once, unless they
 * closed it themselves). */
static void cvl_ws_fail(cvl_ws *ws, int code, const char *reason) {
	bool notify = ws->state != CVL_WS_CLOSED && !ws->user_closed;
	cvl_ws_shutdown(ws);
	if(notify && ws->cbs.on_close != NULL)
		ws->cbs.on_close(ws->user, code, reason);
}

static void cvl_ws_want_write(cvl_ws *ws) {
	if(ws->out_src == 0 && ws->fd >= 0)
		ws->out_src = g_unix_fd_add(ws->fd, G_IO_OUT, cvl_ws_on_writable, ws);
}

/* Writes what it can; false when the socket failed. */
static bool cvl_ws_flush(cvl_ws *ws) {
	while(ws->out->len > 0) {
		ssize_t n = send(ws->fd, ws->out->data, ws->out->len, MSG_NOSIGNAL);
		if(n < 0) {
			if(errno == EAGAIN || errno == EWOULDBLOCK) {
				cvl_ws_want_write(ws);
				return true;
			}
			if(errno == EINTR)
				continue;
			return false;
		}
		g_byte_array_remove_range(ws->out, 0, (guint)n);
	}
	return true;
}

static void cvl_ws_queue_frame(cvl_ws *ws, int opcode, const uint8_t *payload, size_t len) {
	uint32_t r = g_random_int();
	uint8_t mask[4] = { (uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24) };
	guint old = ws->out->len;
	g_byte_array_set_size(ws->out, old + (guint)len + 14);
	size_t n = cvl_ws_encode(ws->out->data + old, opcode, payload, len, mask);
	g_byte_array_set_size(ws->out, old + (guint)n);
}

cvl_ws *cvl_ws_connect(const char *url, const char *protocol, const cvl_ws_cbs *cbs, void *user) {
	cvl_ws_url u;
	if(!cvl_ws_url_parse(url, &u))
		return NULL;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	char port[16];
	snprintf(port, sizeof(port), "%d", u.port);
	if(getaddrinfo(u.host, port, &hints, &res) != 0 || res == NULL)
		return NULL;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if(fd < 0) {
		freeaddrinfo(res);
		return NULL;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int rc = connect(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if(rc < 0 && errno != EINPROGRESS) {
		close(fd);
		return NULL;
	}
	cvl_ws *ws = g_new0(cvl_ws, 1);
	ws->fd = fd;
	ws->url = u;
	ws->protocol = g_strdup(protocol);
	ws->in = g_byte_array_new();
	ws->out = g_byte_array_new();
	ws->msg = g_byte_array_new();
	g_queue_init(&ws->pending);
	ws->cbs = *cbs;
	ws->user = user;
	uint8_t rnd[16];
	for(int i = 0; i < 16; i += 4) {
		uint32_t r = g_random_int();
		memcpy(rnd + i, &r, 4);
	}
	cvl_ws_key(rnd, ws->key);
	ws->state = CVL_WS_CONNECTING;
	cvl_ws_want_write(ws);
	return ws;
}

static void cvl_ws_start_handshake(cvl_ws *ws) {
	int err = 0;
	socklen_t elen = sizeof(err);
	if(getsockopt(ws->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
		cvl_ws_fail(ws, 1006, err ? strerror(err) : "connect failed");
		return;
	}
	char *req = cvl_ws_request(&ws->url, ws->key, ws->protocol);
	g_byte_array_append(ws->out, (const guint8 *)req, (guint)strlen(req));
	g_free(req);
	ws->state = CVL_WS_HANDSHAKE;
	ws->in_src = g_unix_fd_add(ws->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, cvl_ws_on_readable, ws);
	if(!cvl_ws_flush(ws))
		cvl_ws_fail(ws, 1006, "write failed");
}

static gboolean cvl_ws_on_writable(gint fd, GIOCondition cond, gpointer data) {
	cvl_ws *ws = data;
	ws->out_src = 0;
	if(ws->state == CVL_WS_CONNECTING) {
		cvl_ws_start_handshake(ws);
		return G_SOURCE_REMOVE;
	}
	if(!cvl_ws_flush(ws))
		cvl_ws_fail(ws, 1006, "write failed");
	return G_SOURCE_REMOVE;
}

static void cvl_ws_handle_frame(cvl_ws *ws, const cvl_ws_frame *f) {
	switch(f->opcode) {
		case CVL_WS_OP_PING:
			cvl_ws_queue_frame(ws, CVL_WS_OP_PONG, f->payload, f->len);
			if(!cvl_ws_flush(ws))
				cvl_ws_fail(ws, 1006, "write failed");
			return;
		case CVL_WS_OP_PONG:
			return;
		case CVL_WS_OP_CLOSE: {
			int code = f->len >= 2 ? (f->payload[0] << 8) | f->payload[1] : 1005;
			char *reason = g_strndup(f->len > 2 ? (const char *)f->payload + 2 : "", f->len > 2 ? f->len - 2 : 0);
			if(ws->state == CVL_WS_OPEN) {
				/* echo the close, best effort, then go */
				cvl_ws_queue_frame(ws, CVL_WS_OP_CLOSE, f->payload, f->len >= 2 ? 2 : 0);
				(void)cvl_ws_flush(ws);
			}
			cvl_ws_fail(ws, code, reason);
			g_free(reason);
			return;
		}
		case CVL_WS_OP_TEXT:
		case CVL_WS_OP_BINARY:
			g_byte_array_set_size(ws->msg, 0);
			/* fall through */
		case CVL_WS_OP_CONT:
			g_byte_array_append(ws->msg, f->payload, (guint)f->len);
			if(f->fin) {
				g_byte_array_append(ws->msg, (const guint8 *)"", 1);	/* NUL */
				if(!ws->user_closed && ws->cbs.on_text != NULL)
					ws->cbs.on_text(ws->user, (const char *)ws->msg->data, ws->msg->len - 1);
				g_byte_array_set_size(ws->msg, 0);
			}
			return;
		default:
			cvl_ws_fail(ws, 1002, "unknown opcode");
			return;
	}
}

static void cvl_ws_opened(cvl_ws *ws) {
	ws->state = CVL_WS_OPEN;
	char *text;
	while((text = g_queue_pop_head(&ws->pending)) != NULL) {
		cvl_ws_queue_frame(ws, CVL_WS_OP_TEXT, (const uint8_t *)text, strlen(text));
		g_free(text);
	}
	if(!cvl_ws_flush(ws)) {
		cvl_ws_fail(ws, 1006, "write failed");
		return;
	}
	if(ws->cbs.on_open != NULL && !ws->user_closed)
		ws->cbs.on_open(ws->user);
}

static gboolean cvl_ws_on_readable(gint fd, GIOCondition cond, gpointer data) {
	cvl_ws *ws = data;
	uint8_t buf[65536];
	const char *eof = NULL;
	for(;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if(n > 0) {
			g_byte_array_append(ws->in, buf, (guint)n);
			continue;
		}
		if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if(n < 0 && errno == EINTR)
			continue;
		/* EOF or error: parse what we have (a close frame?), then fail */
		eof = n == 0 ? "connection closed" : "connection error";
		break;
	}
	if(ws->state == CVL_WS_HANDSHAKE) {
		long hlen = cvl_ws_response((const char *)ws->in->data, ws->in->len, ws->key);
		if(hlen < 0) {
			ws->in_src = 0;
			cvl_ws_fail(ws, 1006, "handshake refused");
			return G_SOURCE_REMOVE;
		}
		if(hlen == 0) {
			if(eof == NULL)
				return G_SOURCE_CONTINUE;
			ws->in_src = 0;
			cvl_ws_fail(ws, 1006, eof);
			return G_SOURCE_REMOVE;
		}
		g_byte_array_remove_range(ws->in, 0, (guint)hlen);
		cvl_ws_opened(ws);
	}
	size_t off = 0;
	while(ws->state == CVL_WS_OPEN || ws->state == CVL_WS_CLOSING) {
		cvl_ws_frame f;
		long n = cvl_ws_decode(ws->in->data + off, ws->in->len - off, &f);
		if(n == 0)
			break;
		if(n < 0) {
			ws->in_src = 0;
			cvl_ws_fail(ws, 1002, "bad frame");
			return G_SOURCE_REMOVE;
		}
		off += (size_t)n;
		cvl_ws_handle_frame(ws, &f);
	}
	if(ws->state == CVL_WS_CLOSED) {
		/* cvl_ws_fail removed this source already */
		return G_SOURCE_REMOVE;
	}
	if(off > 0)
		g_byte_array_remove_range(ws->in, 0, (guint)off);
	if(eof != NULL) {
		ws->in_src = 0;
		cvl_ws_fail(ws, 1006, eof);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

bool cvl_ws_send_text(cvl_ws *ws, const char *text) {
	if(ws == NULL || ws->user_closed || ws->state == CVL_WS_CLOSED || ws->state == CVL_WS_CLOSING)
		return false;
	if(ws->state != CVL_WS_OPEN) {
		g_queue_push_tail(&ws->pending, g_strdup(text));
		return true;
	}
	cvl_ws_queue_frame(ws, CVL_WS_OP_TEXT, (const uint8_t *)text, strlen(text));
	if(!cvl_ws_flush(ws)) {
		cvl_ws_fail(ws, 1006, "write failed");
		return false;
	}
	return true;
}

static gboolean cvl_ws_close_timeout(gpointer data) {
	cvl_ws *ws = data;
	ws->close_timer = 0;
	cvl_ws_shutdown(ws);
	return G_SOURCE_REMOVE;
}

void cvl_ws_close(cvl_ws *ws) {
	if(ws == NULL || ws->user_closed)
		return;
	ws->user_closed = true;
	if(ws->state != CVL_WS_OPEN) {
		cvl_ws_shutdown(ws);
		return;
	}
	const uint8_t code[2] = { 1000 >> 8, 1000 & 0xff };
	cvl_ws_queue_frame(ws, CVL_WS_OP_CLOSE, code, 2);
	ws->state = CVL_WS_CLOSING;
	if(!cvl_ws_flush(ws)) {
		cvl_ws_shutdown(ws);
		return;
	}
	ws->close_timer = g_timeout_add(1000, cvl_ws_close_timeout, ws);
}

bool cvl_ws_is_open(const cvl_ws *ws) {
	return ws != NULL && ws->state == CVL_WS_OPEN && !ws->user_closed;
}

void cvl_ws_free(cvl_ws *ws) {
	if(ws == NULL)
		return;
	cvl_ws_shutdown(ws);
	g_free(ws->protocol);
	g_byte_array_unref(ws->in);
	g_byte_array_unref(ws->out);
	g_byte_array_unref(ws->msg);
	g_queue_clear_full(&ws->pending, g_free);
	g_free(ws);
}
