/*
 * convene_requests.c - the protocol's requests, dispatched by a table.
 *
 * convene_request_handle() validates a message (cv_envelope), checks the
 * rules every request shares (identity, joined state, room, grant) from the
 * table row, and calls the row's handler. A handler either succeeds (and
 * sends its own replies) or returns a cv_error that the dispatcher turns into
 * an `error` frame echoing the requestId. All of this runs on the handler
 * thread, one message at a time.
 */
#include <stddef.h>
#include <string.h>

#include "convene.h"
#include "cv_bridge.h"
#include "cv_time.h"

/* One request being handled. */
typedef struct convene_request {
	convene_session *session;
	const char *transaction;
	json_t *message;
	json_t *jsep;
	cv_envelope env;
} convene_request;

typedef cv_error (*convene_handler_fn)(convene_request *req);

/* Row flags */
enum {
	CONVENE_NEEDS_ROOM = 1 << 0,	/* only once joined */
};

/* The grant a request needs, by its offset in cv_grants; -1 for none. */
#define CONVENE_GRANT(field) ((int)offsetof(cv_grants, field))
#define CONVENE_NO_GRANT (-1)

static cv_error convene_handle_join(convene_request *req);
static cv_error convene_handle_leave(convene_request *req);
static cv_error convene_handle_signal(convene_request *req);
static cv_error convene_handle_relay(convene_request *req);
static cv_error convene_handle_media(convene_request *req);
static cv_error convene_handle_stats(convene_request *req);
static cv_error convene_handle_subscribe(convene_request *req);
static cv_error convene_handle_recording(convene_request *req);
static cv_error convene_handle_kick(convene_request *req);
static cv_error convene_handle_ping(convene_request *req);
static cv_error convene_handle_close_room(convene_request *req);

typedef struct convene_request_row {
	cv_msg_type type;
	unsigned int flags;
	int grant;
	convene_handler_fn handler;
} convene_request_row;

static const convene_request_row convene_requests[CV_MSG_COUNT] = {
	[CV_MSG_JOIN] = { CV_MSG_JOIN, 0, CONVENE_NO_GRANT, convene_handle_join },
	[CV_MSG_LEAVE] = { CV_MSG_LEAVE, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_leave },
	[CV_MSG_OFFER] = { CV_MSG_OFFER, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_signal },
	[CV_MSG_ANSWER] = { CV_MSG_ANSWER, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_signal },
	[CV_MSG_ICE_CANDIDATE] = { CV_MSG_ICE_CANDIDATE, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_signal },
	[CV_MSG_MESSAGE] = { CV_MSG_MESSAGE, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_relay },
	[CV_MSG_MEDIA] = { CV_MSG_MEDIA, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_media },
	[CV_MSG_STATS] = { CV_MSG_STATS, CONVENE_NEEDS_ROOM, CONVENE_NO_GRANT, convene_handle_stats },
	[CV_MSG_SUBSCRIBE] = { CV_MSG_SUBSCRIBE, CONVENE_NEEDS_ROOM, CONVENE_GRANT(subscribe), convene_handle_subscribe },
	[CV_MSG_START_RECORDING] = { CV_MSG_START_RECORDING, CONVENE_NEEDS_ROOM, CONVENE_GRANT(record), convene_handle_recording },
	[CV_MSG_STOP_RECORDING] = { CV_MSG_STOP_RECORDING, CONVENE_NEEDS_ROOM, CONVENE_GRANT(record), convene_handle_recording },
	[CV_MSG_KICK] = { CV_MSG_KICK, CONVENE_NEEDS_ROOM, CONVENE_GRANT(moderate), convene_handle_kick },
	[CV_MSG_CLOSE_ROOM] = { CV_MSG_CLOSE_ROOM, CONVENE_NEEDS_ROOM, CONVENE_GRANT(moderate), convene_handle_close_room },
	[CV_MSG_PING] = { CV_MSG_PING, 0, CONVENE_NO_GRANT, convene_handle_ping },
};

static const cv_error convene_ok = { CV_OK, NULL };

static cv_error convene_error(cv_error_code code, const char *message) {
	cv_error e = { code, message };
	return e;
}

/* --- dispatch ---------------------------------------------------------------- */

/* Answers a request with an error. The Janus core set up a PeerConnection
 * for an offer's jsep before the plugin saw it: a refused first offer
 * (no PeerConnection negotiated yet) would leave that half-made one behind
 * and make every later offer of the client fail, so it is hung up first. */
static void convene_request_refuse(convene_session *session, const char *transaction, json_t *jsep,
		cv_error err, json_t *request_id) {
	const char *sdp_type = json_string_value(json_object_get(jsep, "type"));
	if(sdp_type != NULL && strcmp(sdp_type, "offer") == 0 && !session->has_pc &&
			!g_atomic_int_get(&session->destroyed))
		convene_gateway->close_pc(session->handle);
	convene_send_error(session, transaction, err.code, err.message, request_id);
}

/* The checks every request passes before its handler: a valid envelope,
 * the session's own identity, a joined room (and no other) when the row
 * needs one, the row's grant. Returns the row to run, or NULL with err. */
static const convene_request_row *convene_request_admit(convene_request *req, cv_error *err) {
	convene_session *session = req->session;
	if(!cv_envelope_parse(req->message, &req->env, err))
		return NULL;
	/* The identity of every message is the session's verified user */
	if(session->user_id != NULL && req->env.user_id != NULL && strcmp(req->env.user_id, session->user_id) != 0) {
		*err = convene_error(CV_ERR_FORBIDDEN, "userId differs from the authenticated user");
		return NULL;
	}
	const convene_request_row *row = &convene_requests[req->env.type];
	if((row->flags & CONVENE_NEEDS_ROOM) && session->room == NULL) {
		*err = convene_error(CV_ERR_CONFLICT, "join a room first");
		return NULL;
	}
	if((row->flags & CONVENE_NEEDS_ROOM) && req->env.room_id != NULL &&
			strcmp(req->env.room_id, session->room->id) != 0) {
		*err = convene_error(CV_ERR_CONFLICT, "not joined to that room");
		return NULL;
	}
	if(row->grant != CONVENE_NO_GRANT && !*(const bool *)((const char *)&session->grants + row->grant)) {
		*err = convene_error(CV_ERR_FORBIDDEN, "your token does not grant this");
		return NULL;
	}
	return row;
}

void convene_request_handle(convene_session *session, const char *transaction, json_t *message, json_t *jsep) {
	convene_request req = { .session = session, .transaction = transaction, .message = message, .jsep = jsep };
	cv_error err = { CV_OK, NULL };
	/* A notice from the Convene transport about the client's socket (it
	 * removes this key from everything its clients send) */
	const char *transport_event = json_string_value(json_object_get(message, CV_BRIDGE_TRANSPORT_EVENT));
	if(transport_event != NULL) {
		if(strcmp(transport_event, "detached") == 0 && session->room != NULL) {
			session->detached = TRUE;
			JANUS_LOG(LOG_VERB, "[convene] %s: socket dropped, kept for a resume\n", session->user_id);
		}
		return;
	}
	/* An SDP for the server travels as the Janus jsep, not in `data` */
	if(jsep != NULL && json_is_object(message) && json_object_get(message, "data") == NULL)
		json_object_set_new(message, "data", json_pack("{sOsO}", "type", json_object_get(jsep, "type"),
			"sdp", json_object_get(jsep, "sdp")));
	const convene_request_row *row = convene_request_admit(&req, &err);
	if(row != NULL)
		err = row->handler(&req);
	if(err.code != CV_OK)
		convene_request_refuse(session, transaction, jsep, err, req.env.request_id);
}

/* --- membership ---------------------------------------------------------------- */

/* Tells the others in a room that user_id left, with reason, and drops
 * what they kept about it. */
static void convene_announce_left(convene_room *room, convene_session *leaver, const char *reason) {
	if(room->closing)
		return;
	json_t *frame = convene_frame("user-left", room->id, leaver->user_id, NULL);
	json_object_set_new(frame, "data", json_pack("{ss}", "reason", reason));
	GPtrArray *others = convene_room_others(room, leaver);
	for(guint i = 0; i < others->len; i++) {
		convene_session *other = g_ptr_array_index(others, i);
		convene_mesh_forget(other, leaver->user_id);
	}
	convene_send_all(others, frame);
	convene_sessions_release(others);
	json_decref(frame);
}

/* A session's identity lasts while it is in a room: after a leave (or a
 * refused join) the next join establishes it again. */
static void convene_session_forget_identity(convene_session *session) {
	janus_mutex_lock(&session->mutex);
	g_free(session->user_id);
	session->user_id = NULL;
	g_free(session->display_name);
	session->display_name = NULL;
	g_free(session->token);
	session->token = NULL;
	session->token_exp = 0;
	session->grants = cv_grants_default();
	janus_mutex_unlock(&session->mutex);
}

void convene_leave_room(convene_session *session, const char *reason) {
	convene_room *room = session->room;
	if(room == NULL)
		return;
	gboolean had_pc = session->has_pc;
	gboolean published = convene_nego_reset(session);
	convene_room_remove(room, session);
	janus_mutex_lock(&session->mutex);
	session->room = NULL;
	janus_mutex_unlock(&session->mutex);
	if(had_pc && !g_atomic_int_get(&session->destroyed))
		convene_gateway->close_pc(session->handle);
	convene_mesh_reset(session);
	convene_announce_left(room, session, reason);
	if(published)
		convene_nego_refresh_room(room, NULL);
	JANUS_LOG(LOG_VERB, "[convene] %s left %s (%s)\n", session->user_id, room->id, reason);
	convene_session_forget_identity(session);
	convene_rooms_forget_if_empty(room);
	convene_room_unref(room);
}

void convene_requests_tick(void) {
	convene_mesh_tick();
	convene_nego_tick();
}

void convene_request_gone(convene_session *session) {
	/* A participant whose socket dropped and who did not come back within
	 * the grace period timed out; otherwise its connection ended */
	convene_leave_room(session, session->detached ? "timeout" : "disconnected");
	convene_nego_reset(session);
}

void convene_request_hangup(convene_session *session) {
	/* The PeerConnection is gone but the participant stays: its tracks
	 * leave the others, it may offer again for a new PeerConnection */
	if(!session->has_pc && g_hash_table_size(session->streams) == 0)
		return;
	gboolean published = convene_nego_reset(session);
	if(published && session->room != NULL)
		convene_nego_refresh_room(session->room, session);
}

/* Works out who is joining: the verified token's subject, or with auth =
 * "none" and no token, the join's userId (or a generated one). */
static cv_error convene_join_identity(convene_request *req, cv_claims *claims, gboolean *has_claims) {
	*has_claims = FALSE;
	if(req->env.token != NULL) {
		cv_error err = { CV_OK, NULL };
		if(!convene_auth_verify(&convene_cfg.auth, req->env.token, claims, &err))
			return err;
		*has_claims = TRUE;
		if(strcmp(claims->sub, CV_SERVER_ID) == 0)
			return convene_error(CV_ERR_FORBIDDEN, "\"sfu\" is reserved for the server");
		if(req->env.user_id != NULL && strcmp(req->env.user_id, claims->sub) != 0)
			return convene_error(CV_ERR_FORBIDDEN, "userId differs from the token's subject");
		if(!cv_claims_allow_room(claims, req->env.room_id))
			return convene_error(CV_ERR_FORBIDDEN, "the token is for another room");
		return convene_ok;
	}
	if(!convene_cfg.auth.none)
		return convene_error(CV_ERR_UNAUTHORIZED, "join needs a token");
	if(req->env.user_id != NULL && strcmp(req->env.user_id, CV_SERVER_ID) == 0)
		return convene_error(CV_ERR_BAD_REQUEST, "\"sfu\" is reserved for the server");
	memset(claims, 0, sizeof(*claims));
	claims->grants = cv_grants_default();
	if(req->env.user_id != NULL)
		g_strlcpy(claims->sub, req->env.user_id, sizeof(claims->sub));
	else
		g_snprintf(claims->sub, sizeof(claims->sub), "user-%08x", g_random_int());
	return convene_ok;
}

/* An older connection of the same user, in any room, gives way to a new
 * one (protocol, "Reconnection"): it is told `kicked {reason:"replaced"}`
 * and leaves its room. */
static void convene_replace_previous(const char *user_id) {
	convene_session *previous = convene_users_find(user_id);
	if(previous == NULL)
		return;
	if(previous->room == NULL) {
		janus_refcount_decrease(&previous->ref);
		return;
	}
	json_t *frame = convene_frame("kicked", previous->room->id, user_id, NULL);
	json_object_set_new(frame, "data", json_pack("{ss}", "reason", "replaced"));
	convene_send(previous, NULL, frame, NULL);
	json_decref(frame);
	convene_leave_room(previous, "disconnected");
	janus_refcount_decrease(&previous->ref);
}

/* Sends `joined` to the joiner: the others in the room (ids, and in data
 * their presence), the room's settings and the joiner's grants. resumed,
 * when not NULL, becomes data.resumed (stolen). Handler thread. */
static void convene_send_joined(convene_request *req, convene_room *room, GPtrArray *others, json_t *resumed) {
	convene_session *session = req->session;
	json_t *ids = json_array(), *people = json_array();
	for(guint i = 0; i < others->len; i++) {
		convene_session *other = g_ptr_array_index(others, i);
		json_array_append_new(ids, json_string(other->user_id));
		json_array_append_new(people, convene_participant_json(other));
	}
	json_t *joined = convene_frame("joined", room->id, session->user_id, req->env.request_id);
	json_object_set_new(joined, "participants", ids);
	json_t *info = json_object();
	json_object_set_new(info, "topology", json_string(cv_topology_name(convene_room_topology(room))));
	json_object_set(info, "iceServers", convene_cfg.ice_servers);
	json_object_set_new(info, "participants", people);
	unsigned int max = convene_room_max_participants(room);
	json_object_set_new(info, "maxParticipants", max ? json_integer(max) : json_null());
	json_object_set_new(info, "recording", json_false());
	json_object_set_new(info, "displayName", json_string(session->display_name));
	json_object_set_new(info, "grants", json_pack("{sbsbsbsbsbsb}",
		"publish", session->grants.publish, "subscribe", session->grants.subscribe,
		"data", session->grants.data, "record", session->grants.record,
		"moderate", session->grants.moderate, "create", session->grants.create));
	if(resumed != NULL)
		json_object_set_new(info, "resumed", resumed);
	json_object_set_new(joined, "data", info);
	convene_send(session, req->transaction, joined, NULL);
	json_decref(joined);
}

/* join {resume: true} from a participant the transport kept after its
 * socket dropped (the new socket took the old Janus handle over): the same
 * user, the same room. It stays as it was (PeerConnection, subscriptions,
 * negotiation); the others see nothing. Handler thread. */
static cv_error convene_handle_resume(convene_request *req) {
	convene_session *session = req->session;
	if(req->env.room_id == NULL || strcmp(req->env.room_id, session->room->id) != 0)
		return convene_error(CV_ERR_CONFLICT, "already joined a room: leave it first");
	cv_claims claims;
	gboolean has_claims = FALSE;
	cv_error err = convene_join_identity(req, &claims, &has_claims);
	if(err.code != CV_OK)
		return err;
	if(strcmp(claims.sub, session->user_id) != 0)
		return convene_error(CV_ERR_FORBIDDEN, "a resume must be by the same user");
	session->detached = FALSE;
	GPtrArray *others = convene_room_others(session->room, session);
	convene_send_joined(req, session->room, others, json_true());
	convene_sessions_release(others);
	JANUS_LOG(LOG_VERB, "[convene] %s resumed in %s\n", session->user_id, session->room->id);
	return convene_ok;
}

static cv_error convene_handle_join(convene_request *req) {
	convene_session *session = req->session;
	if(session->room != NULL) {
		if(json_is_true(json_object_get(req->env.data, "resume")))
			return convene_handle_resume(req);
		return convene_error(CV_ERR_CONFLICT, "already joined a room: leave it first");
	}
	cv_claims claims;
	gboolean has_claims = FALSE;
	cv_error err = convene_join_identity(req, &claims, &has_claims);
	if(err.code != CV_OK)
		return err;
	gboolean may_create = cv_may_create_room(convene_cfg.create_policy, &claims.grants);
	convene_room *room = convene_rooms_get_or_create(req->env.room_id, may_create, &err);
	if(room == NULL)
		return err;
	/* The room's own rules (private, allow-list, PIN) and its bans */
	if(!convene_room_admits(room, has_claims ? &claims : NULL, claims.sub, req->env.token,
			json_string_value(json_object_get(req->env.data, "pin")), &err)) {
		convene_rooms_forget_if_empty(room);
		convene_room_unref(room);
		return err;
	}
	convene_replace_previous(claims.sub);

	/* Identity and presence, then membership */
	const char *name = claims.name[0] ? claims.name : NULL;
	json_t *data = req->env.data;
	if(name == NULL)
		name = json_string_value(json_object_get(data, "displayName"));
	json_t *publish = json_object_get(data, "publish");
	janus_mutex_lock(&session->mutex);
	g_free(session->user_id);
	session->user_id = g_strdup(claims.sub);
	g_free(session->display_name);
	session->display_name = g_strdup(name && *name ? name : claims.sub);
	session->grants = claims.grants;
	g_free(session->token);
	session->token = has_claims ? g_strdup(req->env.token) : NULL;
	session->token_exp = has_claims ? claims.exp : 0;
	session->audio_on = !json_is_false(json_object_get(publish, "audio"));
	session->video_on = !json_is_false(json_object_get(publish, "video"));
	session->receive_only = publish != NULL && !session->audio_on && !session->video_on;
	session->joined_at = g_get_monotonic_time();
	janus_mutex_unlock(&session->mutex);
	cv_error_code added = convene_room_add(room, session);
	if(added != CV_OK) {
		convene_session_forget_identity(session);
		convene_rooms_forget_if_empty(room);
		convene_room_unref(room);
		return convene_error(added, added == CV_ERR_ROOM_FULL ? "the room is full" : "cannot join this room");
	}
	janus_mutex_lock(&session->mutex);
	session->room = room;	/* the reference from get_or_create */
	janus_mutex_unlock(&session->mutex);

	/* Reply to the joiner: who is here already */
	GPtrArray *others = convene_room_others(room, session);
	convene_send_joined(req, room, others,
		json_is_true(json_object_get(req->env.data, "resume")) ? json_false() : NULL);

	/* Tell the others */
	json_t *hello = convene_frame("user-joined", room->id, session->user_id, NULL);
	json_t *hello_data = convene_participant_json(session);
	json_object_del(hello_data, "userId");
	json_object_set_new(hello, "data", hello_data);
	convene_send_all(others, hello);
	json_decref(hello);
	convene_sessions_release(others);
	JANUS_LOG(LOG_VERB, "[convene] %s joined %s\n", session->user_id, room->id);
	/* Participants offer first (their offer carries what they publish); a
	 * receive-only one that has not offered a moment later gets ours */
	if(convene_room_topology(room) == CV_TOPOLOGY_SFU && session->receive_only)
		convene_nego_expect_offer(session);
	return convene_ok;
}

static cv_error convene_handle_leave(convene_request *req) {
	convene_session *session = req->session;
	json_t *frame = convene_frame("left", session->room->id, session->user_id, req->env.request_id);
	convene_leave_room(session, "left");
	convene_send(session, req->transaction, frame, NULL);
	json_decref(frame);
	return convene_ok;
}

/* --- relays ------------------------------------------------------------------ */

/* Sends the client's message to one member as {type, roomId, userId: sender,
 * targetUserId, data}. 404 when the target is not in the sender's room. In
 * a mesh room the first-offer gate applies (convene_mesh.c). */
static cv_error convene_relay_to(convene_request *req, const char *target_id) {
	convene_session *session = req->session;
	if(strcmp(target_id, session->user_id) == 0)
		return convene_error(CV_ERR_BAD_REQUEST, "cannot send to yourself");
	convene_session *target = convene_room_find(session->room, target_id);
	if(target == NULL)
		return convene_error(CV_ERR_NOT_FOUND, "the target user is not in your room");
	json_t *frame = convene_frame(req->env.type_name, session->room->id, session->user_id, NULL);
	json_object_set_new(frame, "targetUserId", json_string(target_id));
	json_object_set(frame, "data", req->env.data ? req->env.data : json_null());
	if(convene_room_topology(session->room) == CV_TOPOLOGY_MESH)
		convene_mesh_relay(session, target, req->env.type, frame);
	else
		convene_send(target, NULL, frame, NULL);
	/* (`message` to one user in a mesh room goes through the same gate,
	 * which only ever delays it behind held signalling) */
	json_decref(frame);
	janus_refcount_decrease(&target->ref);
	return convene_ok;
}

/* offer / answer / ice-candidate. Mesh rooms relay them between members;
 * in SFU rooms they are for the server. */
static cv_error convene_handle_signal(convene_request *req) {
	convene_session *session = req->session;
	gboolean to_server = cv_envelope_targets_server(&req->env);
	if(convene_room_topology(session->room) == CV_TOPOLOGY_MESH) {
		if(to_server)	/* (a refused offer's PeerConnection is hung up by the dispatcher) */
			return convene_error(CV_ERR_BAD_REQUEST, "this is a mesh room: set targetUserId to a participant");
		return convene_relay_to(req, req->env.target_user_id);
	}
	if(!to_server)
		return convene_error(CV_ERR_BAD_REQUEST, "this is an SFU room: signal the server (targetUserId \"sfu\" or none)");
	switch(req->env.type) {
		case CV_MSG_OFFER:
			if(req->jsep == NULL)
				return convene_error(CV_ERR_BAD_REQUEST, "an offer to the server needs a jsep");
			return convene_nego_client_offer(session, req->transaction, req->jsep, req->env.request_id);
		case CV_MSG_ANSWER:
			if(req->jsep == NULL)
				return convene_error(CV_ERR_BAD_REQUEST, "an answer to the server needs a jsep");
			return convene_nego_client_answer(session, req->jsep);
		default:
			/* Candidates for the server travel as Janus trickle requests */
			return convene_error(CV_ERR_BAD_REQUEST, "send candidates for the server as a Janus trickle");
	}
}

static cv_error convene_handle_relay(convene_request *req) {
	convene_session *session = req->session;
	if(req->env.target_user_id != NULL)
		return convene_relay_to(req, req->env.target_user_id);
	json_t *frame = convene_frame("message", session->room->id, session->user_id, NULL);
	json_object_set(frame, "data", req->env.data);
	GPtrArray *others = convene_room_others(session->room, session);
	convene_send_all(others, frame);
	convene_sessions_release(others);
	json_decref(frame);
	return convene_ok;
}

static cv_error convene_handle_media(convene_request *req) {
	convene_session *session = req->session;
	json_t *audio = json_object_get(req->env.data, "audio"), *video = json_object_get(req->env.data, "video");
	janus_mutex_lock(&session->mutex);
	if(audio != NULL)
		session->audio_on = json_is_true(audio);
	if(video != NULL)
		session->video_on = json_is_true(video);
	json_t *media = json_pack("{sbsb}", "audio", session->audio_on, "video", session->video_on);
	janus_mutex_unlock(&session->mutex);
	json_t *frame = convene_frame("user-updated", session->room->id, session->user_id, NULL);
	json_object_set_new(frame, "data", json_pack("{so}", "media", media));
	GPtrArray *others = convene_room_others(session->room, session);
	convene_send_all(others, frame);
	convene_sessions_release(others);
	json_decref(frame);
	return convene_ok;
}

static cv_error convene_handle_stats(convene_request *req) {
	convene_session *session = req->session;
	janus_mutex_lock(&session->mutex);
	if(session->last_stats != NULL)
		json_decref(session->last_stats);
	session->last_stats = json_deep_copy(req->env.data);
	janus_mutex_unlock(&session->mutex);
	return convene_ok;
}

static cv_error convene_handle_subscribe(convene_request *req) {
	convene_session *session = req->session;
	if(convene_room_topology(session->room) == CV_TOPOLOGY_MESH)
		return convene_error(CV_ERR_BAD_REQUEST, "layer choice applies to SFU rooms");
	const char *user = json_string_value(json_object_get(req->env.data, "userId"));
	convene_session *publisher = convene_room_find(session->room, user);
	if(publisher == NULL)
		return convene_error(CV_ERR_NOT_FOUND, "that user is not in your room");
	janus_refcount_decrease(&publisher->ref);
	int layer = cv_layer_parse(json_string_value(json_object_get(req->env.data, "layer")));
	convene_media_set_layer(session, user, layer);
	return convene_ok;
}

static cv_error convene_handle_recording(convene_request *req) {
	return convene_error(CV_ERR_INTERNAL, "recording is not available on this server");
}

static cv_error convene_handle_kick(convene_request *req) {
	convene_session *session = req->session;
	if(strcmp(req->env.target_user_id, session->user_id) == 0)
		return convene_error(CV_ERR_BAD_REQUEST, "cannot kick yourself");
	return convene_moderation_kick(session->room, req->env.target_user_id,
		json_string_value(json_object_get(req->env.data, "reason")));
}

static cv_error convene_handle_close_room(convene_request *req) {
	convene_moderation_close_room(req->session->room,
		json_string_value(json_object_get(req->env.data, "reason")));
	return convene_ok;
}

static cv_error convene_handle_ping(convene_request *req) {
	convene_session *session = req->session;
	json_t *frame = convene_frame("pong", session->room ? session->room->id : NULL,
		session->user_id, req->env.request_id);
	convene_send(session, req->transaction, frame, NULL);
	json_decref(frame);
	return convene_ok;
}
