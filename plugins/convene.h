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

#include "convene_snap.h"
#include "cv_envelope.h"
#include "cv_errors.h"
#include "cv_jwt.h"
#include "cv_room.h"
#include "cv_rtp.h"
#include "cv_sdp_restore.h"
#include "cv_simulcast.h"
#include "cv_slots.h"

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
	unsigned int default_max_publishers;	/* 0: no limit */
	json_t *ice_servers;			/* array handed to clients in `joined` */
	char **audio_codecs;			/* preference order, NULL-terminated */
	char **video_codecs;
	gint64 pli_interval_us;			/* least time between keyframe requests to one stream */
} convene_config;

extern convene_config convene_cfg;
extern janus_callbacks *convene_gateway;
extern janus_plugin convene_plugin;

/* --- rooms (convene_rooms.c) --------------------------------------------- */
typedef struct convene_room {
	char *id;
	cv_room *members;			/* guarded by mutex; mutated on the handler thread */
	gboolean configured;		/* from the config file: kept when empty */
	unsigned int max_publishers;	/* 0: no limit */
	char *description;
	janus_mutex mutex;
	volatile gint destroyed;
	janus_refcount ref;
} convene_room;

/* --- SFU media (convene_forward.c, convene_negotiate.c, convene_sdp.c) ---- */
typedef struct convene_session convene_session;

/* One track a participant publishes: one PUBLISH m-line of its
 * PeerConnection. Owned by its publisher session (and referenced by the
 * session's publish table, by subscribers' slots and by forwards). */
typedef struct convene_stream {
	convene_session *owner;		/* weak: the owner outlives its streams' use */
	char key[CV_SOURCE_KEY_MAX_LEN + 1];	/* "<userId>/<mid>/<serial>": the source key */
	int mindex;					/* the publisher's m-line index */
	char mid[CV_MID_MAX_LEN + 1];
	cv_media_kind kind;
	char codec[16];				/* "opus", "vp8", "vp9", "h264", ... */
	int pt;						/* the publisher's payload type */
	char rtpmap[64];			/* "VP8/90000", "opus/48000/2" */
	char *fmtp;					/* the publisher's fmtp for that codec, or NULL */
	uint32_t clock_rate;
	cv_video_codec vcodec;
	char track_id[65];			/* the msid track id announced to subscribers */
	convene_snap_cell subscribers;	/* convene_forward items */
	convene_snap_reader rtp_reader;	/* the publisher's RTP thread only */
	gboolean simulcast;			/* several layers on this m-line (set before publishing) */
	cv_simulcast_source sim;	/* their SSRCs, rids and activity (RTP thread) */
	guint32 ssrc;				/* the SSRC being forwarded (RTP thread) */
	gint64 ssrc_seen_us;		/* when it last sent (RTP thread) */
	janus_mutex pli_mutex;
	cv_pli_pacer pli;
	volatile gint active;		/* 0 once unpublished */
	janus_refcount ref;
} convene_stream;

/* One subscriber of a stream: where its packets go. */
typedef struct convene_forward {
	convene_session *subscriber;	/* a reference */
	struct convene_stream *source;	/* a reference: the stream it is fed from */
	int mindex;					/* the subscriber's m-line */
	volatile gint out_pt;		/* payload type negotiated with the subscriber */
	cv_rtp_rewriter rewriter;	/* the source's RTP thread only */
	gboolean wait_keyframe;		/* video: hold until a keyframe (RTP thread) */
	cv_simulcast_receiver sim_rx;	/* simulcast: the layer being forwarded (RTP thread) */
	volatile gint layer_pref;	/* simulcast: pinned layer or CV_LAYER_AUTO (any thread) */
	janus_refcount ref;
} convene_forward;

/* Where a session's SDP negotiation stands (docs/negotiation.md). */
typedef enum convene_nego_state {
	CONVENE_NEGO_STABLE = 0,
	CONVENE_NEGO_SERVER_OFFERED,	/* our offer is out, waiting for the answer */
} convene_nego_state;

/* --- sessions ------------------------------------------------------------ */
struct convene_session {
	janus_plugin_session *handle;
	janus_mutex mutex;			/* guards the identity fields below for readers off the handler thread */
	char *user_id;				/* NULL until joined */
	char *display_name;
	cv_grants grants;
	convene_room *room;			/* handler thread only; a reference while joined */
	gboolean audio_on, video_on;	/* announced mute state */
	json_t *last_stats;			/* the client's last `stats` data */
	gint64 joined_at;			/* monotonic us */
	gboolean receive_only;		/* joined with publish {audio:false, video:false} */
	gint64 first_offer_deadline;	/* receive-only: when the server offers first */

	/* SFU media: handler thread only, unless noted */
	convene_nego_state nego;
	gboolean renegotiate;		/* another server offer is due after this round */
	gboolean has_pc;			/* an offer/answer round has started a PeerConnection */
	cv_slot_table slots;		/* the negotiated m-lines */
	cv_slot_table offered;		/* the m-lines of our outstanding offer */
	GHashTable *streams;		/* mid -> convene_stream*, what this session publishes */
	GHashTable *paused;			/* mid -> stopped convene_stream*: PAUSED m-lines' codecs */
	GHashTable *forwards;		/* mid -> convene_forward*, FORWARD slots being fed */
	GHashTable *rewriters;		/* mid -> cv_rtp_rewriter*: where the last forward on that m-line left off */
	GHashTable *refused;		/* source keys the client rejected */
	GHashTable *layer_prefs;	/* publisher user id -> simulcast layer pinned by `subscribe` */
	GHashTable *pt_map;			/* codec name -> payload type for this PeerConnection */
	GHashTable *extmaps;		/* extension URI -> id for this PeerConnection */
	volatile gint data_accepted;	/* the data channel m-line was accepted (atomic) */
	guint64 sdp_sessid, sdp_version;	/* o= line of our SDPs */
	convene_snap_cell publish_table;	/* index mindex -> convene_stream* (RTP/RTCP readers) */
	convene_snap_reader rtp_reader;	/* this session's RTP thread only */
	convene_snap_cell slot_sources;	/* index mindex -> convene_stream* fed to that slot */
	volatile gint media_up;		/* setup_media seen, no hangup since */

	GHashTable *mesh_answered;	/* mesh: user ids this session has answered */
	GHashTable *mesh_offered;	/* mesh: user ids this session has sent an offer to */
	GHashTable *mesh_offer_from;	/* mesh: user id -> when its offer reached this session (gint64*) */
	GHashTable *mesh_held;		/* mesh: user id -> GQueue of held candidate frames */
	volatile gint destroyed;
	janus_refcount ref;
};

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
/* A set of sessions, each held with a reference (dropped when it leaves
 * the set: g_hash_table_remove, g_hash_table_iter_remove, destroy). */
GHashTable *convene_session_set_new(void);
/* Adds session (taking a reference) unless it is there already. */
void convene_session_set_add(GHashTable *set, convene_session *session);
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

/* --- SFU media ------------------------------------------------------------ */
/* convene_negotiate.c: the negotiation state machine (handler thread). */
/* A client offer for the server: answers it, or ignores it on glare. */
cv_error convene_nego_client_offer(convene_session *session, const char *transaction, json_t *jsep, json_t *request_id);
/* A client answer to our offer. */
cv_error convene_nego_client_answer(convene_session *session, json_t *jsep);
/* The set of tracks this session should receive may have changed: offer
 * now, or after the round in flight. */
void convene_nego_refresh(convene_session *session);
/* A receive-only session just joined: offer to it if it has not offered
 * itself a moment later. */
void convene_nego_expect_offer(convene_session *session);
/* Periodic work (handler thread). */
void convene_nego_tick(void);
void convene_nego_deinit(void);
/* Asks every member of room except `except` to refresh. */
void convene_nego_refresh_room(convene_room *room, convene_session *except);
/* The PeerConnection is gone (hangup) or the session leaves: drops its
 * streams, forwards and slots. Returns TRUE when it published anything
 * (the room's others must refresh). */
gboolean convene_nego_reset(convene_session *session);
/* Frees the media state of a session being freed (no other thread). */
void convene_media_free(convene_session *session);
/* Initialises the media state of a new session. */
void convene_media_init(convene_session *session);

/* convene_sdp.c: SDP building with the Janus SDP utilities. */
/* The answer to a client offer (sdp text); fills `next` with the slots the
 * answer establishes and `published` with the new or kept PUBLISH streams
 * (mid -> convene_stream*, references). Returns the answer SDP text
 * (g_free) or NULL with err set. */
char *convene_sdp_answer(convene_session *session, const char *offer_sdp, json_t *simulcast,
	cv_slot_table *next, GHashTable *published, cv_error *err);
/* Our offer for the slot table `slots`; sources maps the FORWARD slots'
 * source keys to their streams. NULL on failure. When restore is not NULL,
 * *restore is set to the lines the Janus core strips from plugin offers but
 * the client needs back (the RID header extensions of the client's own
 * video m-lines): {mid: ["<id> <uri>", ...]}, a new reference, or NULL
 * when there are none. See src/cv_sdp_restore.h. */
char *convene_sdp_offer(convene_session *session, const cv_slot_table *slots, GHashTable *sources,
	json_t **restore);
/* Reads a client answer: which of our m-lines it accepted. Fills, for each
 * of slots->count m-lines, accepted[i], sends[i] (the client sends on it)
 * and pts[i] (the payload type the answer chose). FALSE with err when the
 * answer does not match the offer. */
gboolean convene_sdp_read_answer(convene_session *session, const char *answer_sdp,
	const cv_slot_table *slots, gboolean *accepted, gboolean *sends, int *pts, cv_error *err);

/* convene_forward.c: streams, forwards, the media callbacks. */
convene_stream *convene_stream_new(convene_session *owner, int mindex, const char *mid, cv_media_kind kind);
/* A new stream with the codec and track of `from` (a paused one resuming). */
convene_stream *convene_stream_clone(convene_stream *from);
void convene_stream_unref(convene_stream *stream);
convene_forward *convene_forward_new(convene_session *subscriber, int mindex, int out_pt, convene_stream *source);
void convene_forward_unref(convene_forward *forward);
/* Adds/removes a forward to/from a stream's subscriber snapshot. */
void convene_stream_add_forward(convene_stream *stream, convene_forward *forward);
void convene_stream_remove_forward(convene_stream *stream, convene_forward *forward);
/* Pins the simulcast layer this session receives from a publisher
 * (CV_LAYER_AUTO: automatic). Handler thread. */
void convene_media_set_layer(convene_session *session, const char *publisher_id, int layer);
/* Asks a stream's publisher for a keyframe (paced). Any thread. */
void convene_stream_request_keyframe(convene_stream *stream);
/* Rebuilds the snapshots the media threads read from the session's tables. */
void convene_media_publish_tables(convene_session *session);
/* Releases the snapshots the session's RTP thread holds (its publish
 * table and its streams' subscriber lists): called on the handle's loop
 * thread, where incoming_rtp runs, once the PeerConnection is over
 * (hangup_media, destroy_session), so no reference cycle outlives it. */
void convene_media_release_readers(convene_session *session);
/* The media callbacks of the plugin. */
void convene_media_incoming_rtp(convene_session *session, janus_plugin_rtp *packet);
void convene_media_incoming_rtcp(convene_session *session, janus_plugin_rtcp *packet);
void convene_media_incoming_data(convene_session *session, janus_plugin_data *packet);
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
/* Drops a session's media state after its PeerConnection closed. */
void convene_request_hangup(convene_session *session);

#endif
