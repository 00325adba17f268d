/*
 * convene_transport.h - the transport's shared types. Not a public header:
 * only the transport's own files include it.
 *
 * Objects and ownership
 *   convene_client   one per WebSocket. Its memory belongs to its
 *                    janus_transport_session (ts): freed by the ts's p_free
 *                    when the core and the transport have both let go, so a
 *                    core thread holding a ts may always touch the client
 *                    (under client->mutex, after checking `destroyed`).
 *
 * Threads
 *   The lws service thread owns every `struct lws *`: only it reads
 *   client->wsi, writes frames and closes sockets. Janus core threads call
 *   send_message: they only queue a frame under client->mutex, flag the
 *   client and wake the service thread with lws_cancel_service().
 *
 * Lock order: clients_mutex -> client->mutex -> placement_mutex (a leaf).
 * The core is never called with client->mutex held.
 */
#ifndef CONVENE_TRANSPORT_H
#define CONVENE_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <jansson.h>
#include <libwebsockets.h>

#include <debug.h>
#include <mutex.h>
#include <refcount.h>
#include <transports/transport.h>

#include "convene_auth.h"
#include "cv_jwt.h"
#include "cv_ratelimit.h"

#define CONVENE_TRANSPORT_PACKAGE "janus.transport.convene"
#define CONVENE_PLUGIN_PACKAGE "janus.plugin.convene"

/* --- configuration (janus.transport.convene.jcfg) ------------------------- */
typedef struct convene_transport_config {
	int port;					/* 8090 */
	char *bind_address;			/* NULL: all interfaces */
	char *ws_path;				/* "/ws/webrtc" */
	char *html_folder;			/* static files served at "/" */
	convene_auth auth;			/* token settings (common/convene_auth.h) */
	int max_frame_size;			/* bytes, 65536 */
	int max_json_depth;			/* 32 */
	int max_json_values;		/* values in one frame, 2000 */
	int max_pending;			/* client frames waiting for the core, 256 */
	int keepalive_interval;		/* seconds between Janus keepalives, 20 */
	double rate_limit;			/* frames per second per connection, 100 */
	int rate_burst;				/* frames allowed at once, 300 */
	int rate_strikes;			/* refusals within 10 s that close the socket, 20 */
	int candidates_per_minute;	/* ICE candidates a connection may send, 600 */
	int join_timeout;			/* seconds a socket may stay without joining, 10 */
	int ping_interval;			/* seconds between WebSocket pings to idle sockets, 20 */
	int handshake_timeout;		/* seconds to finish TLS and the HTTP upgrade, 10 */
	int max_connections_per_ip;	/* 0: no limit; 50 */
	int max_connections;		/* 0: no limit; 5000 */
	char *tls_cert;				/* PEM paths: TLS (wss, https) when both are set */
	char *tls_key;
	gboolean tls_redirect_http;	/* with TLS: redirect plain http to https on the same port */
	char **allowed_origins;		/* NULL: any Origin */
	int resume_grace;			/* seconds a participant whose socket dropped is kept, 30; 0: off */
	gboolean loop_affinity;		/* with Janus static event loops: a room's PeerConnections share one, FALSE */
	int loop_room_share;		/* most of one room on its home loop (0: no limit), 0 */
} convene_transport_config;

extern convene_transport_config convene_tcfg;
extern janus_transport_callbacks *convene_core;
extern janus_transport convene_transport;

/* --- clients (convene_client.c) ------------------------------------------- */
typedef enum convene_client_state {
	CONVENE_CLIENT_REFUSED,			/* refused at connect (1008, 1013): closing */
	CONVENE_CLIENT_CREATING,		/* Janus session being created */
	CONVENE_CLIENT_PLACING,			/* session made; the attach waits for the first frame,
								 * whose room picks the event loop (loop_affinity) */
	CONVENE_CLIENT_ATTACHING,		/* plugin handle being attached */
	CONVENE_CLIENT_READY,
	CONVENE_CLIENT_FAILED,			/* the core refused us: closing */
} convene_client_state;

typedef struct convene_client {
	struct lws *wsi;				/* service thread only; NULL once closed */
	janus_transport_session *ts;
	char peer[64];					/* remote address, for logs and per-address limits */
	char *token;					/* the verified token, handed to the plugin on join */
	char *token_sub;				/* its subject: who this socket is (NULL with auth "none") */

	janus_mutex mutex;				/* guards the fields below */
	convene_client_state state;
	guint64 session_id, handle_id;
	GQueue *pending;				/* json_t client frames waiting for their turn */
	gboolean in_flight;				/* one Janus request at a time, for ordering */
	char in_flight_txn[32];
	json_t *in_flight_request_id;	/* to echo on a core error */
	gboolean in_flight_offer;		/* it carries the client's SDP offer */
	gboolean in_flight_trickle;		/* it is a trickle (a client ICE candidate) to the core */
	json_t *in_flight_retry;		/* an offer's Janus request, kept to send again once if the core
								 * is still cleaning the previous PeerConnection; else NULL */
	gboolean in_flight_internal;	/* our own hangup, not a client request: no error frame */
	gboolean server_offer_out;		/* a server offer went out and the client has not answered it */
	char answer_txn[32];			/* the Janus transaction of the client's last answer ("": none) */
	guint64 next_txn;
	GQueue *outgoing;				/* convene_out frames to write */
	int close_code;					/* when set: close after the queue drains */
	char close_reason[64];
	volatile gint wants_write;		/* service thread must request writable */
	volatile gint destroyed;		/* the socket is gone */
	/* Reconnection (docs/protocol.md): the participant this client carries,
	 * from the `joined`/`left`/`kicked`/`room-closed` frames it was sent */
	char *user_id, *room_id;		/* NULL when not in a room */
	gint64 detached_until;			/* socket dropped: kept until then (monotonic us); 0: attached */
	gboolean hold_for_joined;		/* resumed: frames kept meanwhile wait behind the `joined` */
	int loop;						/* the event loop placed on (loop_affinity), -1: the core's choice */
	char *loop_room;				/* ... for this room's share */

	volatile gint joined;			/* a `joined` frame went to it (the join timeout is over) */

	/* service thread only */
	gint64 created_us;				/* monotonic */
	cv_bucket rate;					/* frames */
	cv_abuse abuse;					/* refusals by `rate` */
	cv_bucket candidates;			/* ICE candidates */
	gboolean close_sent;			/* our close frame is out: waiting for the client's */
	gboolean peer_closed;			/* the client sent a close frame: a goodbye, not a drop */
	char *rx;
	size_t rx_len;
	gboolean rx_too_large;
} convene_client;

/* Creates the client of a just-established socket; token is the verified
 * token (token_sub its subject) or NULL. Starts the Janus session, unless
 * refuse_code is not 0: then the socket is closed with that code and
 * reason. Service thread. */
convene_client *convene_client_new(struct lws *wsi, const char *peer, const char *token, const char *token_sub,
	int refuse_code, const char *refuse_reason);
/* Closes a socket that stayed without joining for longer than the join
 * timeout. Service thread. */
void convene_client_check_join(convene_client *client, gint64 now_us);
/* Appends received bytes; at the end of a message, handles the frame.
 * Returns the client that serves the socket from now on: `client`, or the
 * participant a `join {resume:true}` took over (the caller then ends
 * `client` with convene_client_closed, and must not use it). Service thread. */
convene_client *convene_client_receive(convene_client *client, const void *in, size_t len, gboolean final, gboolean binary);
/* The socket closed without a goodbye (no close frame from the client, no
 * close of ours) while its participant is in a room: keeps the client for
 * resume_grace seconds without a socket (frames queue up, keepalives go
 * on) and tells the plugin. Returns FALSE when the client is not to be
 * kept: the caller ends it. Service thread. */
gboolean convene_client_detach(convene_client *client);
/* Whether a detached client's time is up (grace over, too many frames
 * queued, its participant left or its Janus session ended). Any thread. */
gboolean convene_client_detach_expired(convene_client *client, gint64 now);
/* Writes the next queued frame, or once the queue is empty and a close was
 * asked for, the close frame (then the socket waits up to 3 s for the
 * client's close). Returns -1 to drop the socket. Service thread. */
int convene_client_writable(convene_client *client);
/* The socket closed: tells the core, releases the client. Service thread. */
void convene_client_closed(convene_client *client);
/* A Janus message for this client (send_message). Steals message. Any thread. */
void convene_client_from_core(convene_client *client, json_t *message);
/* The core ended the client's Janus session. Any thread. */
void convene_client_session_over(convene_client *client, guint64 session_id);
/* Sends a Janus keepalive for a ready client. Any thread. */
void convene_client_keepalive(convene_client *client);

/* --- the registry and service (janus_convene_transport.c) ----------------- */
/* Flags the client for writing and wakes the service thread. Any thread. */
void convene_transport_wake(convene_client *client);
/* The client that carries participant user_id in room_id, for a resume by
 * `claimant`: a detached one, or one whose socket is still open (the drop
 * was not noticed yet; that socket is then closed without ending the
 * participant). Returns it with a reference on its ts, or NULL. Takes
 * clients_mutex. Service thread. */
convene_client *convene_transport_claim(const char *user_id, const char *room_id, convene_client *claimant);
/* Whether handles are placed on event loops by room (loop_affinity on, and
 * Janus runs several static event loops and allows loop indication). */
gboolean convene_transport_placing(void);
/* The event loop for one more PeerConnection of room (cv_placement.h), to be
 * given back with convene_transport_unplace. Any thread; takes the
 * placement mutex (a leaf lock: may be taken under a client's mutex). */
int convene_transport_place(const char *room);
void convene_transport_unplace(const char *room, int loop);

#endif
