/*
 * convene.h - the plugin's shared types and the functions its files offer
 * each other. Not a public header: only the plugin's own files include it.
 *
 * Objects and ownership
 *   convene_session  one per Janus handle (one per WebSocket, or per stock
 *                    Janus API handle). Refcounted; the core's handle holds
 *                    the first reference until destroy_session.
 *   convene_room     one per room. Refcounted; the registry holds one
 *                    reference, every member session holds one.
 *   cv_room          the pure membership list inside a convene_room; its
 *                    member pointers are convene_session*, each with a
 *                    reference taken by convene_room_add.
 *
 * Threads
 *   Janus request threads call handle_message: it only validates that a
 *   session exists and queues the message. One handler thread (see
 *   janus_convene.c) runs every request and every disconnect in arrival
 *   order, so room membership changes happen on that thread only. Other
 *   threads (admin API, query_session) read rooms under their locks.
 *
 * Lock order (docs/locking.md): rooms_mutex -> room->mutex -> session->mutex.
 * No plugin lock is held while calling into the core (push_event, close_pc,
 * end_session).
 */
#ifndef CONVENE_H
#define CONVENE_H

#include <jansson.h>

#include <config.h>
#include <debug.h>
#include <mutex.h>
#include <refcount.h>
#include <plugins/plugin.h>

#include "cv_envelope.h"
#include "cv_errors.h"
#include "cv_jwt.h"
#include "cv_room.h"

#define CONVENE_VERSION 1
#define CONVENE_VERSION_STRING "0.1.0"
#define CONVENE_NAME "Convene SFU"
#define CONVENE_AUTHOR "Convene"
#define CONVENE_PACKAGE "janus.plugin.convene"
#define CONVENE_DESCRIPTION "Rooms with presence, SFU forwarding and mesh relay, speaking the Convene protocol."

/* --- configuration (janus.plugin.convene.jcfg), read once at init --------- */
typedef struct convene_config {
	gboolean auth_none;				/* auth = "none": userId taken from join */
	cv_jwt_key jwt_key;				/* the HS256 secret (owned) */
	int64_t jwt_clock_skew;			/* seconds allowed on exp/nbf */
	cv_create_policy create_policy;	/* who may create unconfigured rooms */
	cv_topology default_topology;	/* for created rooms */
	unsigned int default_max_participants;
	json_t *ice_servers;			/* array handed to clients in `joined` */
} convene_config;

extern convene_config convene_cfg;
extern janus_callbacks *convene_gateway;
extern janus_plugin convene_plugin;

/* --- rooms (convene_rooms.c) --------------------------------------------- */
typedef struct convene_room {
	char *id;
	cv_room *members;			/* guarded by mutex; mutated on the handler thread */
	gboolean configured;		/* from the config file: kept when empty */
	char *description;
	janus_mutex mutex;
	volatile gint destroyed;
	janus_refcount ref;
} convene_room;

/* --- sessions ------------------------------------------------------------ */
typedef struct convene_session {
	janus_plugin_session *handle;
	janus_mutex mutex;			/* guards the identity fields below for readers off the handler thread */
	char *user_id;				/* NULL until joined */
	char *display_name;
	cv_grants grants;
	convene_room *room;			/* handler thread only; a reference while joined */
	gboolean audio_on, video_on;	/* announced mute state */
	json_t *last_stats;			/* the client's last `stats` data */
	gint64 joined_at;			/* monotonic us */
	GHashTable *mesh_answered;	/* mesh: user ids this session has answered */
	GHashTable *mesh_offered;	/* mesh: user ids this session has sent an offer to */
	GHashTable *mesh_offer_from;	/* mesh: user id -> when its offer reached this session (gint64*) */
	GHashTable *mesh_held;		/* mesh: user id -> GQueue of held candidate frames */
	volatile gint destroyed;
	janus_refcount ref;
} convene_session;

/* Rooms: init reads the configured rooms; deinit drops them all. */
int convene_rooms_init(janus_config *config);
void convene_rooms_deinit(void);
/* Looks a room up; returns a reference or NULL. Any thread. */
convene_room *convene_rooms_lookup(const char *id);
/* Looks up id, creating it (default topology and limit) when it does not
 * exist and may_create is true. Returns a reference; NULL with err->code
 * 404 when absent and not creatable. Handler thread. */
convene_room *convene_rooms_get_or_create(const char *id, gboolean may_create, cv_error *err);
/* Removes a room that was created on join from the registry once it is
 * empty. Handler thread. */
void convene_rooms_forget_if_empty(convene_room *room);
/* Adds session to room (taking a session reference); CV_OK, 409 or 503. */
cv_error_code convene_room_add(convene_room *room, convene_session *session);
/* Removes session from room (dropping that reference). */
void convene_room_remove(convene_room *room, convene_session *session);
/* The session in a room (any room) with user_id, with a reference, or NULL. */
convene_session *convene_users_find(const char *user_id);
/* The member with user_id, with a reference, or NULL. */
convene_session *convene_room_find(convene_room *room, const char *user_id);
/* A snapshot of the members other than except (which may be NULL), each
 * with a reference; free with convene_sessions_release. */
GPtrArray *convene_room_others(convene_room *room, convene_session *except);
void convene_sessions_release(GPtrArray *sessions);
/* Describes rooms for the admin API; new reference. */
json_t *convene_rooms_describe(void);
cv_topology convene_room_topology(convene_room *room);
unsigned int convene_room_max_participants(convene_room *room);
void convene_room_unref(convene_room *room);

/* --- frames (convene_frames.c) ------------------------------------------- */
/* A new server->client frame {type, roomId?, userId?, requestId?, timestamp}.
 * Strings may be NULL (omitted); request_id is copied. New reference. */
json_t *convene_frame(const char *type, const char *room_id, const char *user_id, json_t *request_id);
/* Pushes frame (and jsep, may be NULL) to one session; does not steal. */
void convene_send(convene_session *session, const char *transaction, json_t *frame, json_t *jsep);
/* Sends an error frame with the table's code and reason. */
void convene_send_error(convene_session *session, const char *transaction,
	cv_error_code code, const char *message, json_t *request_id);
/* Pushes frame to every session in the array. */
void convene_send_all(GPtrArray *sessions, json_t *frame);
/* The participant summary {userId, displayName, media:{audio, video}}. */
json_t *convene_participant_json(convene_session *session);

/* --- mesh relay (convene_mesh.c), handler thread --------------------------- */
/* Relays a frame from sender to target through the first-offer gate
 * (src/cv_mesh.h): sent now, or held until the pair settles. */
void convene_mesh_relay(convene_session *sender, convene_session *target, cv_msg_type type, json_t *frame);
/* Forgets what session keeps about user_id (who left). */
void convene_mesh_forget(convene_session *session, const char *user_id);
/* Forgets everything session keeps (it left). */
void convene_mesh_reset(convene_session *session);
/* Releases held frames whose time came. */
void convene_mesh_tick(void);
void convene_mesh_deinit(void);

/* --- requests (convene_requests.c) --------------------------------------- */
/* Periodic work of the handler thread (every 100 ms). */
void convene_requests_tick(void);
/* Runs one client message on the handler thread: validation, dispatch by
 * the request table, error replies. Takes nothing: the caller keeps its
 * references to message and jsep. */
void convene_request_handle(convene_session *session, const char *transaction, json_t *message, json_t *jsep);
/* Takes a session out of its room after the handle went away. */
void convene_request_gone(convene_session *session);

#endif
