/*
 * convene_client.c - one WebSocket client: frames in, Janus API requests to
 * the core, Janus messages back as frames.
 *
 * Lifecycle: established -> (token checked) -> `create` a Janus session ->
 * `attach` janus.plugin.convene -> ready. Frames that arrive before the
 * handle exists wait in `pending`. With room affinity of event loops
 * (loop_affinity, cv_placement.h), the attach waits for the first frame:
 * when it is a `join`, the handle goes to the event loop of its room
 * (the attach's loop_index), else where the core puts it.
 *
 * Ordering: the core runs plugin messages on a thread pool, so two requests
 * sent back to back may reach the plugin in either order. A client therefore
 * has at most one Janus request in flight: the next frame goes to the core
 * only once the previous one was acknowledged (ack, success or error). This
 * keeps a client's offer before its candidates, and its join before
 * anything else, whatever the core's scheduling.
 *
 * Errors the transport can tell by itself (not JSON, too large, bad shape,
 * an answer when no server offer is out) are answered here with the
 * protocol's error frame; the connection stays open. Core errors for a
 * client request become error frames too, with the request's requestId.
 *
 * Server offers: a server `offer` frame marks one as out; the client's
 * answer takes the mark. An answer that the core or the plugin refuses
 * (an error reply, or an `error` event, with the answer's transaction)
 * leaves the server's offer unanswered, so the mark comes back: the client
 * may answer again.
 *
 * A first offer the core refuses after it began a PeerConnection for it
 * ("Error processing SDP": the ICE agent exists, the SDP is not usable)
 * would leave that half-made PeerConnection behind, and every later offer
 * on the socket would fail. The transport then hangs it up (a Janus
 * `hangup`, in flight like a client request so that the next offer waits
 * for it). An offer the core refuses because the handle's previous
 * PeerConnection is still being torn down (the server hung it up, e.g.
 * after refusing an offer, and the core's own 3 s wait ran out) is sent
 * again once, as the same request: the client sees only the outcome. A
 * candidate the core refuses for the same reason belongs to that torn-down
 * PeerConnection: it is dropped without an error frame.
 *
 * Once the server decided to close a socket (rate abuse, join timeout,
 * kicked, room closed), nothing more it sends is read.
 *
 * Reconnection: a socket that drops (no close frame) while its participant
 * is in a room does not end it: the client stays, without a socket, for
 * resume_grace seconds (Janus keepalives go on, frames queue up, the plugin
 * is told so that a participant that never comes back leaves with reason
 * "timeout"). A new socket whose first `join` has data.resume for the same
 * user and room takes it over (convene_client_take_over): the new socket
 * is served by the old client, its own Janus session is dropped, and the
 * join goes to the old handle, where the plugin answers `joined` with
 * data.resumed; the frames kept meanwhile follow that reply.
 */
#include <string.h>

#include "convene_transport.h"
#include "cv_bridge.h"
#include "cv_envelope.h"
#include "cv_errors.h"
#include "cv_time.h"

/* A serialized frame ready for lws_write: LWS_PRE bytes of headroom. */
typedef struct convene_out {
	size_t len;
	unsigned char buf[];	/* LWS_PRE + len */
} convene_out;

#define CONVENE_TXN_CREATE "cv-create"
#define CONVENE_TXN_ATTACH "cv-attach"
#define CONVENE_TXN_KEEPALIVE "cv-keepalive"
#define CONVENE_TXN_DESTROY "cv-destroy"
#define CONVENE_TXN_DETACHED "cv-detached"

/* Most frames kept for a detached client: beyond, it is ended (a client
 * that missed frames could not carry on where it was anyway) */
#define CONVENE_DETACHED_MAX_FRAMES 1024

/* The core's error when a new PeerConnection's remote SDP is refused after
 * its ICE agent was made (janus.c, JANUS_ERROR_JSEP_INVALID_SDP). */
#define CONVENE_CORE_SDP_ERROR_CODE 465
#define CONVENE_CORE_SDP_ERROR_REASON "Error processing SDP"
/* ... and when an offer comes while the previous PeerConnection of the
 * handle is still being torn down after 3 s of waiting (JANUS_ERROR_WEBRTC_STATE) */
#define CONVENE_CORE_CLEANING_ERROR_CODE 471
#define CONVENE_CORE_CLEANING_ERROR_REASON "Still cleaning a previous session"

static void convene_client_free(void *p) {
	convene_client *client = p;
	janus_mutex_lock(&client->mutex);
	g_queue_free_full(client->pending, (GDestroyNotify)json_decref);
	g_queue_free_full(client->outgoing, g_free);
	if(client->in_flight_request_id != NULL)
		json_decref(client->in_flight_request_id);
	if(client->in_flight_retry != NULL)
		json_decref(client->in_flight_retry);
	janus_mutex_unlock(&client->mutex);
	janus_mutex_destroy(&client->mutex);
	g_free(client->token);
	g_free(client->token_sub);
	g_free(client->user_id);
	g_free(client->room_id);
	g_free(client->rx);
	if(client->loop_room != NULL)
		convene_transport_unplace(client->loop_room, client->loop);
	g_free(client->loop_room);
	g_free(client);
}

/* Hands a Janus API request to the core (which takes it). No client lock
 * may be held. */
static void convene_client_to_core(convene_client *client, json_t *request) {
	convene_core->incoming_request(&convene_transport, client->ts, NULL, FALSE, request, NULL);
}

/* Queues a frame for the socket; steals frame. Caller holds client->mutex. */
static void convene_client_queue_locked(convene_client *client, json_t *frame) {
	if(client->detached_until != 0 && g_queue_get_length(client->outgoing) >= CONVENE_DETACHED_MAX_FRAMES) {
		/* Nobody reads them: end the participant at the next sweep */
		client->detached_until = 1;
		json_decref(frame);
		return;
	}
	char *text = json_dumps(frame, JSON_COMPACT);
	json_decref(frame);
	if(text == NULL)
		return;
	size_t len = strlen(text);
	convene_out *out = g_malloc(sizeof(convene_out) + LWS_PRE + len);
	out->len = len;
	memcpy(out->buf + LWS_PRE, text, len);
	free(text);
	g_queue_push_tail(client->outgoing, out);
}

/* Queues a frame and wakes the service thread; steals frame. Any thread. */
static void convene_client_queue(convene_client *client, json_t *frame) {
	janus_mutex_lock(&client->mutex);
	convene_client_queue_locked(client, frame);
	janus_mutex_unlock(&client->mutex);
	convene_transport_wake(client);
}

/* Asks for the socket to close with code/reason once the queue drains.
 * The frames still waiting for the core are dropped: a socket being closed
 * gets no more answers. Caller holds client->mutex. */
static void convene_client_close_locked(convene_client *client, int code, const char *reason) {
	if(client->close_code != 0)
		return;
	client->close_code = code;
	g_strlcpy(client->close_reason, reason, sizeof(client->close_reason));
	g_queue_clear_full(client->pending, (GDestroyNotify)json_decref);
}

convene_client *convene_client_new(struct lws *wsi, const char *peer, const char *token, const char *token_sub,
		int refuse_code, const char *refuse_reason) {
	convene_client *client = g_malloc0(sizeof(convene_client));
	client->wsi = wsi;
	g_strlcpy(client->peer, peer ? peer : "?", sizeof(client->peer));
	client->token = g_strdup(token);
	client->token_sub = g_strdup(token_sub);
	janus_mutex_init(&client->mutex);
	client->pending = g_queue_new();
	client->outgoing = g_queue_new();
	client->created_us = g_get_monotonic_time();
	client->loop = -1;
	cv_bucket_init(&client->rate, convene_tcfg.rate_limit, convene_tcfg.rate_burst);
	cv_abuse_init(&client->abuse, convene_tcfg.rate_strikes, 10 * G_USEC_PER_SEC);
	cv_bucket_init(&client->candidates, convene_tcfg.candidates_per_minute / 60.0,
		MAX(convene_tcfg.candidates_per_minute / 2, 1));
	client->ts = janus_transport_session_create(client, convene_client_free);
	if(refuse_code != 0) {
		client->state = CONVENE_CLIENT_REFUSED;
		convene_client_close_locked(client, refuse_code, refuse_reason);
		convene_transport_wake(client);
		return client;
	}
	client->state = CONVENE_CLIENT_CREATING;
	convene_client_to_core(client, json_pack("{ssss}", "janus", "create", "transaction", CONVENE_TXN_CREATE));
	return client;
}

/* The `attach` of the plugin handle to the client's session; loop >= 0
 * asks for that Janus event loop (loop_index). The caller sends it. */
static json_t *convene_client_attach_request(guint64 session_id, int loop) {
	json_t *request = json_pack("{sssssssI}", "janus", "attach", "plugin", CONVENE_PLUGIN_PACKAGE,
		"transaction", CONVENE_TXN_ATTACH, "session_id", (json_int_t)session_id);
	if(loop >= 0)
		json_object_set_new(request, "loop_index", json_integer(loop));
	return request;
}

/* Whether a core error reply is "Still cleaning a previous session": the
 * handle's previous PeerConnection, hung up by the server, is still being
 * torn down. */
static gboolean convene_core_still_cleaning(json_t *message) {
	json_t *e = json_object_get(message, "error");
	return json_integer_value(json_object_get(e, "code")) == CONVENE_CORE_CLEANING_ERROR_CODE &&
		g_strcmp0(json_string_value(json_object_get(e, "reason")), CONVENE_CORE_CLEANING_ERROR_REASON) == 0;
}

/* Sends the next pending frame to the core if none is in flight. Any
 * thread; takes client->mutex. */
static void convene_client_pump(convene_client *client) {
	json_t *request = NULL;
	janus_mutex_lock(&client->mutex);
	if(client->state == CONVENE_CLIENT_PLACING && client->close_code == 0 && !g_atomic_int_get(&client->destroyed) &&
			!g_queue_is_empty(client->pending)) {
		/* The first frame decides where the handle goes: a join's room has
		 * its event loop; anything else is left to the core */
		cv_envelope env;
		cv_error err;
		cv_envelope_parse(g_queue_peek_head(client->pending), &env, &err);
		if(env.type == CV_MSG_JOIN && env.room_id != NULL) {
			client->loop = convene_transport_place(env.room_id);
			if(client->loop >= 0)
				client->loop_room = g_strdup(env.room_id);
		}
		client->state = CONVENE_CLIENT_ATTACHING;
		request = convene_client_attach_request(client->session_id, client->loop);
	} else if(client->state == CONVENE_CLIENT_READY && !client->in_flight && client->close_code == 0 &&
			!g_atomic_int_get(&client->destroyed)) {
		json_t *msg = g_queue_pop_head(client->pending);
		if(msg != NULL) {
			cv_envelope env;
			cv_error err;
			/* Validated on arrival; parsed again for the fields we route on */
			cv_envelope_parse(msg, &env, &err);
			g_snprintf(client->in_flight_txn, sizeof(client->in_flight_txn), "cv-%" G_GUINT64_FORMAT, ++client->next_txn);
			if(client->in_flight_request_id != NULL)
				json_decref(client->in_flight_request_id);
			client->in_flight_request_id = env.request_id ? json_incref(env.request_id) : NULL;
			json_t *extra = NULL;
			if(env.type == CV_MSG_JOIN && client->token != NULL)
				extra = json_pack("{ss}", "token", client->token);
			request = cv_bridge_request(msg, &env, client->session_id, client->handle_id, client->in_flight_txn, extra);
			if(extra != NULL)
				json_decref(extra);
			json_decref(msg);
			client->in_flight = TRUE;
			client->in_flight_internal = FALSE;
			client->in_flight_offer = env.type == CV_MSG_OFFER && cv_bridge_route(&env) == CV_ROUTE_MESSAGE_JSEP;
			client->in_flight_trickle = cv_bridge_route(&env) == CV_ROUTE_TRICKLE;
			if(client->in_flight_retry != NULL)
				json_decref(client->in_flight_retry);
			client->in_flight_retry = client->in_flight_offer ? json_deep_copy(request) : NULL;
			if(env.type == CV_MSG_ANSWER && cv_bridge_route(&env) == CV_ROUTE_MESSAGE_JSEP)
				g_strlcpy(client->answer_txn, client->in_flight_txn, sizeof(client->answer_txn));
		}
	}
	janus_mutex_unlock(&client->mutex);
	if(request != NULL)
		convene_client_to_core(client, request);
}

/* The per-connection message rate: false (and answered with 429, or
 * the socket closed after sustained abuse) when over it. Service thread. */
static gboolean convene_client_within_rate(convene_client *client) {
	gint64 now = g_get_monotonic_time();
	if(cv_bucket_take(&client->rate, 1, now))
		return TRUE;
	if(cv_abuse_strike(&client->abuse, now)) {
		JANUS_LOG(LOG_WARN, "[convene-ws] %s: over the message rate again and again: closing\n", client->peer);
		janus_mutex_lock(&client->mutex);
		convene_client_queue_locked(client, cv_error_frame(CV_ERR_RATE_LIMITED, "over the message rate: closing", NULL));
		convene_client_close_locked(client, LWS_CLOSE_STATUS_POLICY_VIOLATION, "Rate limited");
		janus_mutex_unlock(&client->mutex);
		convene_transport_wake(client);
	} else {
		convene_client_queue(client, cv_error_frame(CV_ERR_RATE_LIMITED, "over the message rate", NULL));
	}
	return FALSE;
}

/* The new socket of `client` goes to `old`, the participant it resumes:
 * old serves it from now on; what old queued while detached waits for the
 * reply to the resume. Service thread. */
static void convene_client_take_over(convene_client *old, convene_client *client) {
	janus_mutex_lock(&old->mutex);
	old->detached_until = 0;
	old->hold_for_joined = TRUE;
	janus_mutex_unlock(&old->mutex);
	old->wsi = client->wsi;
	g_strlcpy(old->peer, client->peer, sizeof(old->peer));
	old->peer_closed = FALSE;
	old->close_sent = FALSE;
	g_free(old->rx);
	old->rx = NULL;
	old->rx_len = 0;
	old->rx_too_large = FALSE;
	JANUS_LOG(LOG_VERB, "[convene-ws] %s resumes %s in %s\n", old->peer, old->user_id, old->room_id);
}

/* A `join` with data.resume: the client it takes over, with a ts
 * reference, or NULL (then it is an ordinary join). Service thread. */
static convene_client *convene_client_resume_of(convene_client *client, const cv_envelope *env) {
	if(convene_tcfg.resume_grace <= 0 || env->type != CV_MSG_JOIN || env->room_id == NULL ||
			!json_is_true(json_object_get(env->data, "resume")))
		return NULL;
	/* Who: the socket's token, or with auth "none" the join's userId */
	const char *user_id = client->token_sub ? client->token_sub : env->user_id;
	if(user_id == NULL)
		return NULL;
	janus_mutex_lock(&client->mutex);
	gboolean fresh = client->room_id == NULL && client->state != CONVENE_CLIENT_REFUSED &&
		client->state != CONVENE_CLIENT_FAILED && client->close_code == 0;
	janus_mutex_unlock(&client->mutex);
	return fresh ? convene_transport_claim(user_id, env->room_id, client) : NULL;
}

/* Handles one complete text frame; returns the client serving the socket
 * from now on (see convene_client_receive). Service thread. */
static convene_client *convene_client_frame(convene_client *client, const char *text, size_t len) {
	cv_error err = { CV_OK, NULL };
	janus_mutex_lock(&client->mutex);
	gboolean closing = client->close_code != 0;
	janus_mutex_unlock(&client->mutex);
	if(closing)
		return client;	/* being closed: nothing more is answered nor acted on */
	if(!convene_client_within_rate(client))
		return client;
	json_t *msg = cv_envelope_load_bounded(text, len, convene_tcfg.max_json_depth, convene_tcfg.max_json_values, &err);
	if(msg == NULL) {
		convene_client_queue(client, cv_error_frame(err.code, err.message, NULL));
		return client;
	}
	cv_envelope env;
	if(!cv_envelope_parse(msg, &env, &err)) {
		convene_client_queue(client, cv_error_frame(err.code, err.message, env.request_id));
		json_decref(msg);
		return client;
	}
	convene_client *old = convene_client_resume_of(client, &env);
	if(old != NULL) {
		convene_client_take_over(old, client);
		janus_mutex_lock(&old->mutex);
		g_queue_push_tail(old->pending, msg);
		janus_mutex_unlock(&old->mutex);
		convene_client_pump(old);
		convene_transport_wake(old);
		janus_refcount_decrease(&old->ts->ref);
		return old;
	}
	if(env.type == CV_MSG_ICE_CANDIDATE && convene_tcfg.candidates_per_minute > 0 &&
			!cv_bucket_take(&client->candidates, 1, g_get_monotonic_time())) {
		convene_client_queue(client, cv_error_frame(CV_ERR_RATE_LIMITED, "too many ICE candidates", env.request_id));
		json_decref(msg);
		return client;
	}
	janus_mutex_lock(&client->mutex);
	if(client->state == CONVENE_CLIENT_REFUSED || client->state == CONVENE_CLIENT_FAILED) {
		janus_mutex_unlock(&client->mutex);
		json_decref(msg);
		return client;
	}
	if(g_queue_get_length(client->pending) >= (guint)convene_tcfg.max_pending) {
		convene_client_queue_locked(client, cv_error_frame(CV_ERR_RATE_LIMITED,
			"too many messages waiting for the server", env.request_id));
		janus_mutex_unlock(&client->mutex);
		json_decref(msg);
		convene_transport_wake(client);
		return client;
	}
	if(env.type == CV_MSG_ANSWER && cv_bridge_route(&env) == CV_ROUTE_MESSAGE_JSEP) {
		/* Contract: an answer with no server offer out is 409 (the core
		 * would take it for a new PeerConnection's and refuse it otherwise) */
		if(!client->server_offer_out) {
			convene_client_queue_locked(client, cv_error_frame(CV_ERR_CONFLICT,
				"there is no server offer to answer", env.request_id));
			janus_mutex_unlock(&client->mutex);
			json_decref(msg);
			convene_transport_wake(client);
			return client;
		}
		client->server_offer_out = FALSE;
	}
	g_queue_push_tail(client->pending, msg);
	janus_mutex_unlock(&client->mutex);
	convene_client_pump(client);
	return client;
}

convene_client *convene_client_receive(convene_client *client, const void *in, size_t len, gboolean final, gboolean binary) {
	if(client->close_sent)
		return client;	/* closing: nothing more is read */
	if(!client->rx_too_large) {
		if(client->rx_len + len > (size_t)convene_tcfg.max_frame_size) {
			client->rx_too_large = TRUE;
			g_free(client->rx);
			client->rx = NULL;
			client->rx_len = 0;
		} else {
			client->rx = g_realloc(client->rx, client->rx_len + len + 1);
			memcpy(client->rx + client->rx_len, in, len);
			client->rx_len += len;
		}
	}
	if(!final)
		return client;
	convene_client *serving = client;
	if(!binary && !client->rx_too_large && !g_utf8_validate(client->rx ? client->rx : "", (gssize)client->rx_len, NULL)) {
		/* RFC 6455 8.1: text that is not UTF-8 fails the connection */
		janus_mutex_lock(&client->mutex);
		convene_client_close_locked(client, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "Invalid UTF-8");
		janus_mutex_unlock(&client->mutex);
		convene_transport_wake(client);
	} else if(client->rx_too_large) {
		convene_client_queue(client, cv_error_frame(CV_ERR_TOO_LARGE, "frame over the size limit", NULL));
	} else if(binary) {
		convene_client_queue(client, cv_error_frame(CV_ERR_BAD_REQUEST, "binary frames are not supported: send JSON text", NULL));
	} else {
		serving = convene_client_frame(client, client->rx ? client->rx : "", client->rx_len);
	}
	g_free(client->rx);
	client->rx = NULL;
	client->rx_len = 0;
	client->rx_too_large = FALSE;
	return serving;
}

int convene_client_writable(convene_client *client) {
	janus_mutex_lock(&client->mutex);
	if(client->hold_for_joined) {
		/* Resumed: the reply to the resume goes first */
		janus_mutex_unlock(&client->mutex);
		return 0;
	}
	convene_out *out = g_queue_pop_head(client->outgoing);
	gboolean more = !g_queue_is_empty(client->outgoing);
	int close_code = client->close_code;
	char reason[sizeof(client->close_reason)];
	g_strlcpy(reason, client->close_reason, sizeof(reason));
	janus_mutex_unlock(&client->mutex);
	if(out != NULL) {
		int written = lws_write(client->wsi, out->buf + LWS_PRE, out->len, LWS_WRITE_TEXT);
		g_free(out);
		if(written < 0)
			return -1;
		if(more || close_code != 0)
			lws_callback_on_writable(client->wsi);
		return 0;
	}
	if(close_code != 0 && !client->close_sent) {
		/* Send the close frame ourselves and wait (a little) for the
		 * client's: dropping TCP at once would lose the close code to a
		 * reset whenever the client has sent anything meanwhile */
		unsigned char frame[LWS_PRE + 4 + sizeof(client->close_reason)];
		size_t reason_len = MIN(strlen(reason), (size_t)123);
		/* A complete server close frame (RFC 6455 5.5.1): FIN + opcode 8,
		 * unmasked length, status code, reason */
		unsigned char *p = frame + LWS_PRE;
		p[0] = 0x88;
		p[1] = (unsigned char)(2 + reason_len);
		p[2] = (unsigned char)(close_code >> 8);
		p[3] = (unsigned char)(close_code & 0xff);
		memcpy(p + 4, reason, reason_len);
		client->close_sent = TRUE;
		if(lws_write(client->wsi, p, 4 + reason_len, LWS_WRITE_RAW) < 0)
			return -1;
		lws_set_timeout(client->wsi, PENDING_TIMEOUT_CLOSE_ACK, 3);
	}
	return 0;
}

gboolean convene_client_detach(convene_client *client) {
	if(convene_tcfg.resume_grace <= 0 || client->peer_closed || client->close_sent)
		return FALSE;
	janus_mutex_lock(&client->mutex);
	gboolean keep = client->state == CONVENE_CLIENT_READY && client->room_id != NULL && client->close_code == 0;
	guint64 session_id = client->session_id, handle_id = client->handle_id;
	if(keep) {
		client->detached_until = cv_mono_us() + (gint64)convene_tcfg.resume_grace * G_USEC_PER_SEC;
		client->hold_for_joined = FALSE;
	}
	janus_mutex_unlock(&client->mutex);
	if(!keep)
		return FALSE;
	client->wsi = NULL;
	g_free(client->rx);
	client->rx = NULL;
	client->rx_len = 0;
	/* The plugin marks the participant: if it does not come back, it
	 * leaves with reason "timeout" */
	convene_client_to_core(client, json_pack("{sssssIsIs{ss}}", "janus", "message",
		"transaction", CONVENE_TXN_DETACHED, "session_id", (json_int_t)session_id,
		"handle_id", (json_int_t)handle_id, "body", CV_BRIDGE_TRANSPORT_EVENT, "detached"));
	JANUS_LOG(LOG_VERB, "[convene-ws] %s dropped: %s kept %d s for a resume\n", client->peer,
		client->user_id, convene_tcfg.resume_grace);
	return TRUE;
}

gboolean convene_client_detach_expired(convene_client *client, gint64 now) {
	janus_mutex_lock(&client->mutex);
	gboolean expired = client->detached_until != 0 &&
		(now >= client->detached_until || client->room_id == NULL || client->state != CONVENE_CLIENT_READY);
	janus_mutex_unlock(&client->mutex);
	return expired;
}

void convene_client_closed(convene_client *client) {
	client->wsi = NULL;
	g_atomic_int_set(&client->destroyed, 1);
	janus_mutex_lock(&client->mutex);
	gboolean had_session = client->session_id != 0;
	janus_mutex_unlock(&client->mutex);
	/* The core destroys the sessions this socket created: the plugin sees
	 * the handle go and tells the room */
	if(had_session)
		convene_core->transport_gone(&convene_transport, client->ts);
	janus_transport_session_destroy(client->ts);
}

/* The core's reply to our own create/attach requests. Caller holds no lock. */
static void convene_client_setup_reply(convene_client *client, const char *kind, const char *txn, json_t *message) {
	guint64 id = (guint64)json_integer_value(json_object_get(json_object_get(message, "data"), "id"));
	gboolean ok = strcmp(kind, "success") == 0 && id != 0;
	json_t *request = NULL;
	janus_mutex_lock(&client->mutex);
	if(!ok) {
		JANUS_LOG(LOG_ERR, "[convene-ws] %s: the core refused %s: %s\n", client->peer, txn,
			json_string_value(json_object_get(json_object_get(message, "error"), "reason")));
		client->state = CONVENE_CLIENT_FAILED;
		convene_client_close_locked(client, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "Server unavailable");
	} else if(strcmp(txn, CONVENE_TXN_CREATE) == 0) {
		client->session_id = id;
		if(g_atomic_int_get(&client->destroyed)) {
			/* The socket went while the session was being created */
			request = json_pack("{sssssI}", "janus", "destroy", "transaction", CONVENE_TXN_DESTROY,
				"session_id", (json_int_t)id);
		} else if(convene_transport_placing()) {
			/* The attach goes with the first frame (convene_client_pump) */
			client->state = CONVENE_CLIENT_PLACING;
		} else {
			client->state = CONVENE_CLIENT_ATTACHING;
			request = convene_client_attach_request(id, -1);
		}
	} else {
		client->handle_id = id;
		client->state = CONVENE_CLIENT_READY;
	}
	janus_mutex_unlock(&client->mutex);
	if(!ok)
		convene_transport_wake(client);
	if(request != NULL)
		convene_client_to_core(client, request);
	convene_client_pump(client);
}

void convene_client_from_core(convene_client *client, json_t *message) {
	const char *kind = json_string_value(json_object_get(message, "janus"));
	const char *txn = json_string_value(json_object_get(message, "transaction"));
	if(kind == NULL) {
		json_decref(message);
		return;
	}
	if(txn != NULL && (strcmp(txn, CONVENE_TXN_CREATE) == 0 || strcmp(txn, CONVENE_TXN_ATTACH) == 0)) {
		convene_client_setup_reply(client, kind, txn, message);
		json_decref(message);
		return;
	}
	/* The reply to the request in flight: the next one may go */
	gboolean reply = !strcmp(kind, "ack") || !strcmp(kind, "success") || !strcmp(kind, "error");
	if(reply && txn != NULL) {
		gboolean error = strcmp(kind, "error") == 0, tell = FALSE;
		json_t *hangup = NULL, *again = NULL;
		janus_mutex_lock(&client->mutex);
		gboolean ours = client->in_flight && strcmp(txn, client->in_flight_txn) == 0;
		if(ours && error && client->in_flight_retry != NULL && convene_core_still_cleaning(message)) {
			/* The previous PeerConnection (hung up by the server, e.g. after
			 * a refused offer) is still being torn down: the client's new
			 * offer goes again, once, as the same request */
			again = client->in_flight_retry;
			client->in_flight_retry = NULL;
		}
		if(again != NULL) {
			ours = FALSE;	/* still in flight */
		} else if(ours) {
			client->in_flight = FALSE;
			if(client->in_flight_retry != NULL) {
				json_decref(client->in_flight_retry);
				client->in_flight_retry = NULL;
			}
			if(error && !client->in_flight_internal && strcmp(txn, client->answer_txn) == 0)
				client->server_offer_out = TRUE;	/* the core refused the answer: still unanswered */
			if(error && client->in_flight_trickle && convene_core_still_cleaning(message)) {
				/* A candidate of the PeerConnection the server just hung up
				 * (e.g. after refusing its offer): stale, and no fault of
				 * the client's; the core drops it, so do we, quietly */
				JANUS_LOG(LOG_VERB, "[convene-ws] %s: a candidate for a PeerConnection being torn down: dropped\n", client->peer);
				error = FALSE;
			}
			if(error && !client->in_flight_internal) {
				convene_client_queue_locked(client, cv_bridge_error_frame(message, client->in_flight_request_id));
				client->hold_for_joined = FALSE;
				tell = TRUE;
				json_t *e = json_object_get(message, "error");
				const char *reason = json_string_value(json_object_get(e, "reason"));
				if(client->in_flight_offer && json_integer_value(json_object_get(e, "code")) == CONVENE_CORE_SDP_ERROR_CODE &&
						reason != NULL && strcmp(reason, CONVENE_CORE_SDP_ERROR_REASON) == 0) {
					/* The core kept the half-made PeerConnection of a refused
					 * first offer: hang it up before anything else goes */
					g_snprintf(client->in_flight_txn, sizeof(client->in_flight_txn), "cv-hangup-%" G_GUINT64_FORMAT, ++client->next_txn);
					client->in_flight = TRUE;
					client->in_flight_internal = TRUE;
					client->in_flight_offer = FALSE;
					client->in_flight_trickle = FALSE;
					hangup = json_pack("{sssssIsI}", "janus", "hangup", "transaction", client->in_flight_txn,
						"session_id", (json_int_t)client->session_id, "handle_id", (json_int_t)client->handle_id);
				}
			}
		}
		janus_mutex_unlock(&client->mutex);
		if(again != NULL) {
			JANUS_LOG(LOG_VERB, "[convene-ws] %s: the core is still cleaning the previous PeerConnection: offering again\n", client->peer);
			convene_client_to_core(client, again);
			json_decref(message);
			return;
		}
		if(tell)
			convene_transport_wake(client);
		if(hangup != NULL) {
			JANUS_LOG(LOG_VERB, "[convene-ws] %s: the core refused a first offer: hanging up its PeerConnection\n", client->peer);
			convene_client_to_core(client, hangup);
		} else if(ours) {
			convene_client_pump(client);
		}
		json_decref(message);
		return;
	}
	/* (an event answering a request carries its transaction) */
	char event_txn[sizeof(client->answer_txn)] = "";
	if(txn != NULL)
		g_strlcpy(event_txn, txn, sizeof(event_txn));
	json_t *frame = cv_bridge_frame(message);
	json_decref(message);
	if(frame == NULL)
		return;
	janus_mutex_lock(&client->mutex);
	const char *type = json_string_value(json_object_get(frame, "type"));
	if(strcmp(type, "error") == 0 && event_txn[0] != '\0' && strcmp(event_txn, client->answer_txn) == 0)
		client->server_offer_out = TRUE;	/* the plugin refused the answer: still unanswered */
	/* A kicked client, and every member of a closed room, is disconnected
	 * once it has read why (docs/protocol.md, "Closing") */
	if(strcmp(type, "kicked") == 0)
		convene_client_close_locked(client, 4000, "Kicked");
	else if(strcmp(type, "room-closed") == 0)
		convene_client_close_locked(client, LWS_CLOSE_STATUS_NORMAL, "Room closed");
	else if(strcmp(type, "joined") == 0)
		g_atomic_int_set(&client->joined, 1);
	else if(strcmp(type, "offer") == 0 && g_strcmp0(json_string_value(json_object_get(frame, "userId")), CV_SERVER_ID) == 0)
		client->server_offer_out = TRUE;
	/* Which participant this socket carries, for a resume */
	if(strcmp(type, "joined") == 0) {
		g_free(client->user_id);
		client->user_id = g_strdup(json_string_value(json_object_get(frame, "userId")));
		g_free(client->room_id);
		client->room_id = g_strdup(json_string_value(json_object_get(frame, "roomId")));
	} else if(strcmp(type, "left") == 0 || strcmp(type, "kicked") == 0 || strcmp(type, "room-closed") == 0) {
		g_free(client->room_id);
		client->room_id = NULL;
	}
	if(client->hold_for_joined && (strcmp(type, "joined") == 0 || strcmp(type, "error") == 0)) {
		/* The reply to a resume: before the frames kept while detached */
		GQueue *kept = client->outgoing;
		client->outgoing = g_queue_new();
		convene_client_queue_locked(client, frame);
		while(!g_queue_is_empty(kept))
			g_queue_push_tail(client->outgoing, g_queue_pop_head(kept));
		g_queue_free(kept);
		client->hold_for_joined = FALSE;
	} else {
		convene_client_queue_locked(client, frame);
	}
	janus_mutex_unlock(&client->mutex);
	convene_transport_wake(client);
}

void convene_client_session_over(convene_client *client, guint64 session_id) {
	janus_mutex_lock(&client->mutex);
	gboolean ours = client->session_id == session_id;
	if(ours) {
		client->state = CONVENE_CLIENT_FAILED;
		convene_client_close_locked(client, LWS_CLOSE_STATUS_GOINGAWAY, "Session over");
	}
	janus_mutex_unlock(&client->mutex);
	if(ours)
		convene_transport_wake(client);
}

void convene_client_check_join(convene_client *client, gint64 now_us) {
	if(convene_tcfg.join_timeout <= 0 || g_atomic_int_get(&client->joined) || client->close_sent)
		return;
	if(now_us - client->created_us < (gint64)convene_tcfg.join_timeout * G_USEC_PER_SEC)
		return;
	janus_mutex_lock(&client->mutex);
	gboolean first = client->close_code == 0;
	convene_client_close_locked(client, LWS_CLOSE_STATUS_POLICY_VIOLATION, "Join timeout");
	janus_mutex_unlock(&client->mutex);
	if(first) {
		JANUS_LOG(LOG_VERB, "[convene-ws] %s: no join within %d s: closing\n", client->peer, convene_tcfg.join_timeout);
		convene_transport_wake(client);
	}
}

void convene_client_keepalive(convene_client *client) {
	janus_mutex_lock(&client->mutex);
	guint64 session_id = (client->state == CONVENE_CLIENT_READY || client->state == CONVENE_CLIENT_PLACING) ?
		client->session_id : 0;
	janus_mutex_unlock(&client->mutex);
	if(session_id != 0 && !g_atomic_int_get(&client->destroyed))
		convene_client_to_core(client, json_pack("{sssssI}", "janus", "keepalive",
			"transaction", CONVENE_TXN_KEEPALIVE, "session_id", (json_int_t)session_id));
}
