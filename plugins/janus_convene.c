/*
 * janus_convene.c - janus.plugin.convene: entry point, sessions, handler
 * thread.
 *
 * Convene's plugin speaks the Convene protocol (docs/protocol.md): each
 * Janus `message` body is one protocol message ({type, roomId, userId,
 * targetUserId, data, requestId}); each event this plugin pushes is one
 * protocol frame, in plugindata.data. The Convene transport maps WebSocket
 * frames to and from these; clients of the stock Janus API send the same
 * bodies themselves.
 *
 * API reference (full text: docs/protocol.md)
 *   join {roomId, token?, userId?, data?:{displayName, publish}}
 *                          -> joined {roomId, userId, participants, data}
 *                             others: user-joined
 *   leave {roomId?}        -> left; others: user-left {reason:"left"}
 *   offer/answer/ice-candidate {targetUserId, data}
 *                          mesh: relayed to the target as {userId: sender}
 *   message {targetUserId?, data}  relayed to the target or to all others
 *   media {data:{audio, video}}    others: user-updated
 *   stats {data}           stored for quality monitoring
 *   kick {targetUserId, data?:{reason}}  needs grant moderate
 *   ping                   -> pong
 *   Errors: error {data:{code, reason, message}} with requestId echoed.
 *   The identity of a session is the verified token's `sub` (or, with
 *   auth = "none", the join's userId); a differing userId is refused (403).
 *
 * This file keeps to the plugin's plumbing: the callbacks table, the session
 * map, the message queue and its handler thread. Request logic is in
 * convene_requests.c, rooms in convene_rooms.c, frames in convene_frames.c.
 */
#include <string.h>

#include <config.h>
#include <debug.h>
#include <utils.h>

#include "convene.h"

/* --- plugin methods ----------------------------------------------------- */
static int convene_init(janus_callbacks *callback, const char *config_path);
static void convene_destroy(void);
static int convene_get_api_compatibility(void);
static int convene_get_version(void);
static const char *convene_get_version_string(void);
static const char *convene_get_description(void);
static const char *convene_get_name(void);
static const char *convene_get_author(void);
static const char *convene_get_package(void);
static void convene_create_session(janus_plugin_session *handle, int *error);
static struct janus_plugin_result *convene_handle_message(janus_plugin_session *handle,
	char *transaction, json_t *message, json_t *jsep);
static json_t *convene_handle_admin_message(json_t *message);
static void convene_setup_media(janus_plugin_session *handle);
static void convene_incoming_rtp(janus_plugin_session *handle, janus_plugin_rtp *packet);
static void convene_incoming_rtcp(janus_plugin_session *handle, janus_plugin_rtcp *packet);
static void convene_incoming_data(janus_plugin_session *handle, janus_plugin_data *packet);
static void convene_hangup_media(janus_plugin_session *handle);
static void convene_destroy_session(janus_plugin_session *handle, int *error);
static json_t *convene_query_session(janus_plugin_session *handle);

janus_plugin convene_plugin =
	JANUS_PLUGIN_INIT (
		.init = convene_init,
		.destroy = convene_destroy,

		.get_api_compatibility = convene_get_api_compatibility,
		.get_version = convene_get_version,
		.get_version_string = convene_get_version_string,
		.get_description = convene_get_description,
		.get_name = convene_get_name,
		.get_author = convene_get_author,
		.get_package = convene_get_package,

		.create_session = convene_create_session,
		.handle_message = convene_handle_message,
		.handle_admin_message = convene_handle_admin_message,
		.setup_media = convene_setup_media,
		.incoming_rtp = convene_incoming_rtp,
		.incoming_rtcp = convene_incoming_rtcp,
		.incoming_data = convene_incoming_data,
		.hangup_media = convene_hangup_media,
		.destroy_session = convene_destroy_session,
		.query_session = convene_query_session,
	);

/* The only exported symbol: the core's entry point. */
__attribute__((visibility("default"))) janus_plugin *create(void);
janus_plugin *create(void) {
	JANUS_LOG(LOG_VERB, "%s created!\n", CONVENE_NAME);
	return &convene_plugin;
}

/* --- state ---------------------------------------------------------------- */
janus_callbacks *convene_gateway = NULL;
convene_config convene_cfg;

static volatile gint initialized = 0, stopping = 0;
static GThread *handler_thread = NULL;
/* handle -> convene_session; the map holds the handle's reference */
static GHashTable *sessions = NULL;
static janus_mutex sessions_mutex = JANUS_MUTEX_INITIALIZER;

/* One queued unit of work for the handler thread. */
typedef enum convene_work_kind {
	CONVENE_WORK_MESSAGE,	/* a client message */
	CONVENE_WORK_GONE,		/* the handle was destroyed */
	CONVENE_WORK_HANGUP,	/* the PeerConnection closed */
	CONVENE_WORK_MEDIA_UP,	/* the PeerConnection is up */
	CONVENE_WORK_EXIT,		/* stop the thread */
} convene_work_kind;

typedef struct convene_work {
	convene_work_kind kind;
	convene_session *session;	/* a reference */
	char *transaction;
	json_t *message;
	json_t *jsep;
} convene_work;

static GAsyncQueue *work_queue = NULL;
static convene_work exit_work = { .kind = CONVENE_WORK_EXIT };

static void convene_work_free(convene_work *work) {
	if(work == NULL || work == &exit_work)
		return;
	if(work->session != NULL)
		janus_refcount_decrease(&work->session->ref);
	g_free(work->transaction);
	if(work->message != NULL)
		json_decref(work->message);
	if(work->jsep != NULL)
		json_decref(work->jsep);
	g_free(work);
}

/* A queue of held frames (mesh_held values). */
static void convene_held_free(gpointer queue) {
	g_queue_free_full(queue, (GDestroyNotify)json_decref);
}

static void convene_session_free(const janus_refcount *ref) {
	convene_session *session = janus_refcount_containerof(ref, convene_session, ref);
	/* Drop the reference the core gave us with the handle */
	janus_refcount_decrease(&session->handle->ref);
	convene_media_free(session);
	g_hash_table_destroy(session->mesh_answered);
	g_hash_table_destroy(session->mesh_offered);
	g_hash_table_destroy(session->mesh_offer_from);
	g_hash_table_destroy(session->mesh_held);
	g_free(session->user_id);
	g_free(session->display_name);
	if(session->last_stats != NULL)
		json_decref(session->last_stats);
	janus_mutex_destroy(&session->mutex);
	g_free(session);
}

/* Looks up the session of a handle and takes a reference; NULL when the
 * handle is unknown or being destroyed. Any thread. */
static convene_session *convene_session_get(janus_plugin_session *handle) {
	convene_session *session = NULL;
	janus_mutex_lock(&sessions_mutex);
	if(handle != NULL)
		session = g_hash_table_lookup(sessions, handle);
	if(session != NULL && !g_atomic_int_get(&session->destroyed)) {
		janus_refcount_increase(&session->ref);
	} else {
		session = NULL;
	}
	janus_mutex_unlock(&sessions_mutex);
	return session;
}

/* --- configuration -------------------------------------------------------- */

/* Reads a string item of the general category, or NULL. */
static const char *convene_config_string(janus_config *config, janus_config_category *general, const char *key) {
	janus_config_item *item = janus_config_get(config, general, janus_config_type_item, key);
	return (item && item->value) ? item->value : NULL;
}

/* Reads a codec preference list ("vp8,h264"): lower case, known names only. */
static gboolean convene_config_codecs(janus_config *config, janus_config_category *general,
		const char *key, char ***list) {
	const char *value = convene_config_string(config, general, key);
	if(value == NULL)
		return TRUE;
	static const char *known[] = { "opus", "g722", "pcmu", "pcma", "vp8", "vp9", "h264", "av1", NULL };
	char **parts = g_strsplit(value, ",", -1);
	for(int i = 0; parts[i] != NULL; i++) {
		g_strstrip(parts[i]);
		char *lower = g_ascii_strdown(parts[i], -1);
		g_free(parts[i]);
		parts[i] = lower;
		if(!g_strv_contains(known, lower)) {
			JANUS_LOG(LOG_ERR, "[convene] %s: unknown codec \"%s\"\n", key, lower);
			g_strfreev(parts);
			return FALSE;
		}
	}
	g_strfreev(*list);
	*list = parts;
	return TRUE;
}

static int convene_config_load(janus_config *config) {
	memset(&convene_cfg, 0, sizeof(convene_cfg));
	convene_cfg.jwt_clock_skew = 30;
	convene_cfg.create_policy = CV_CREATE_GRANT;
	convene_cfg.default_topology = CV_TOPOLOGY_SFU;
	convene_cfg.default_max_participants = 50;
	convene_cfg.default_max_publishers = 0;
	convene_cfg.ice_servers = json_array();
	convene_cfg.audio_codecs = g_strsplit("opus", ",", -1);
	convene_cfg.video_codecs = g_strsplit("vp8,h264,vp9", ",", -1);
	convene_cfg.pli_interval_us = 500 * 1000;
	if(config == NULL)
		return 0;
	janus_config_category *general = janus_config_get_create(config, NULL, janus_config_type_category, "general");
	const char *auth = convene_config_string(config, general, "auth");
	if(auth != NULL && strcmp(auth, "none") == 0) {
		convene_cfg.auth_none = TRUE;
		convene_cfg.create_policy = CV_CREATE_ANYONE;
	} else if(auth != NULL && strcmp(auth, "jwt") != 0) {
		JANUS_LOG(LOG_ERR, "[convene] auth must be \"jwt\" or \"none\", not \"%s\"\n", auth);
		return -1;
	}
	const char *secret = convene_config_string(config, general, "jwt_secret");
	if(secret != NULL && *secret != '\0') {
		convene_cfg.jwt_key.secret = (const unsigned char *)g_strdup(secret);
		convene_cfg.jwt_key.secret_len = strlen(secret);
	} else if(!convene_cfg.auth_none) {
		JANUS_LOG(LOG_ERR, "[convene] auth = \"jwt\" needs jwt_secret\n");
		return -1;
	}
	const char *skew = convene_config_string(config, general, "jwt_clock_skew");
	if(skew != NULL)
		convene_cfg.jwt_clock_skew = atoi(skew);
	const char *policy = convene_config_string(config, general, "room_creation");
	if(policy != NULL && !cv_create_policy_parse(policy, &convene_cfg.create_policy)) {
		JANUS_LOG(LOG_ERR, "[convene] room_creation must be never, grant or anyone\n");
		return -1;
	}
	const char *topology = convene_config_string(config, general, "default_topology");
	if(topology != NULL && !cv_topology_parse(topology, &convene_cfg.default_topology)) {
		JANUS_LOG(LOG_ERR, "[convene] default_topology must be sfu or mesh\n");
		return -1;
	}
	const char *max = convene_config_string(config, general, "default_max_participants");
	if(max != NULL)
		convene_cfg.default_max_participants = (unsigned int)atoi(max);
	const char *max_pub = convene_config_string(config, general, "default_max_publishers");
	if(max_pub != NULL)
		convene_cfg.default_max_publishers = (unsigned int)atoi(max_pub);
	if(!convene_config_codecs(config, general, "audio_codecs", &convene_cfg.audio_codecs) ||
			!convene_config_codecs(config, general, "video_codecs", &convene_cfg.video_codecs))
		return -1;
	const char *pli = convene_config_string(config, general, "keyframe_interval_ms");
	if(pli != NULL)
		convene_cfg.pli_interval_us = (gint64)atoi(pli) * 1000;
	return 0;
}

/* --- plugin lifecycle ----------------------------------------------------- */
static void *convene_handler(void *data);

static int convene_init(janus_callbacks *callback, const char *config_path) {
	if(g_atomic_int_get(&stopping))
		return -1;
	if(callback == NULL || config_path == NULL)
		return -1;
	char filename[512];
	g_snprintf(filename, sizeof(filename), "%s/%s.jcfg", config_path, CONVENE_PACKAGE);
	janus_config *config = janus_config_parse(filename);
	if(config == NULL)
		JANUS_LOG(LOG_WARN, "[convene] no %s: using defaults (auth jwt needs a secret)\n", filename);
	if(convene_config_load(config) < 0 || convene_rooms_init(config) < 0) {
		janus_config_destroy(config);
		return -1;
	}
	janus_config_destroy(config);

	sessions = g_hash_table_new_full(NULL, NULL, NULL, NULL);
	work_queue = g_async_queue_new_full((GDestroyNotify)convene_work_free);
	convene_gateway = callback;
	g_atomic_int_set(&initialized, 1);

	GError *error = NULL;
	handler_thread = g_thread_try_new("convene handler", convene_handler, NULL, &error);
	if(error != NULL) {
		g_atomic_int_set(&initialized, 0);
		JANUS_LOG(LOG_ERR, "[convene] cannot start the handler thread: %s\n", error->message);
		g_error_free(error);
		return -1;
	}
	JANUS_LOG(LOG_INFO, "%s initialized (auth %s)\n", CONVENE_NAME, convene_cfg.auth_none ? "none" : "jwt");
	return 0;
}

static void convene_destroy(void) {
	if(!g_atomic_int_get(&initialized))
		return;
	g_atomic_int_set(&stopping, 1);
	g_async_queue_push(work_queue, &exit_work);
	if(handler_thread != NULL) {
		g_thread_join(handler_thread);
		handler_thread = NULL;
	}
	janus_mutex_lock(&sessions_mutex);
	g_hash_table_destroy(sessions);
	sessions = NULL;
	janus_mutex_unlock(&sessions_mutex);
	g_async_queue_unref(work_queue);
	work_queue = NULL;
	convene_rooms_deinit();
	g_free((char *)convene_cfg.jwt_key.secret);
	json_decref(convene_cfg.ice_servers);
	g_strfreev(convene_cfg.audio_codecs);
	g_strfreev(convene_cfg.video_codecs);
	memset(&convene_cfg, 0, sizeof(convene_cfg));
	g_atomic_int_set(&initialized, 0);
	g_atomic_int_set(&stopping, 0);
	JANUS_LOG(LOG_INFO, "%s destroyed!\n", CONVENE_NAME);
}

static int convene_get_api_compatibility(void) {
	return JANUS_PLUGIN_API_VERSION;
}

static int convene_get_version(void) {
	return CONVENE_VERSION;
}

static const char *convene_get_version_string(void) {
	return CONVENE_VERSION_STRING;
}

static const char *convene_get_description(void) {
	return CONVENE_DESCRIPTION;
}

static const char *convene_get_name(void) {
	return CONVENE_NAME;
}

static const char *convene_get_author(void) {
	return CONVENE_AUTHOR;
}

static const char *convene_get_package(void) {
	return CONVENE_PACKAGE;
}

/* --- sessions --------------------------------------------------------------- */

static void convene_create_session(janus_plugin_session *handle, int *error) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		*error = -1;
		return;
	}
	convene_session *session = g_malloc0(sizeof(convene_session));
	session->handle = handle;
	session->grants = cv_grants_default();
	session->audio_on = TRUE;
	session->video_on = TRUE;
	janus_mutex_init(&session->mutex);
	convene_media_init(session);
	session->mesh_answered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	session->mesh_offered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	session->mesh_offer_from = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	session->mesh_held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, convene_held_free);
	janus_refcount_init(&session->ref, convene_session_free);
	handle->plugin_handle = session;
	janus_mutex_lock(&sessions_mutex);
	g_hash_table_insert(sessions, handle, session);
	janus_mutex_unlock(&sessions_mutex);
}

static void convene_destroy_session(janus_plugin_session *handle, int *error) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		*error = -1;
		return;
	}
	janus_mutex_lock(&sessions_mutex);
	convene_session *session = g_hash_table_lookup(sessions, handle);
	if(session == NULL) {
		janus_mutex_unlock(&sessions_mutex);
		*error = -2;
		return;
	}
	g_hash_table_remove(sessions, handle);
	janus_mutex_unlock(&sessions_mutex);
	if(!g_atomic_int_compare_and_exchange(&session->destroyed, 0, 1))
		return;
	/* The core calls this on the handle's loop thread, the one that runs
	 * incoming_rtp, and stops calling that (handle->stopped): the RTP
	 * thread's snapshots can go now */
	convene_media_release_readers(session);
	/* The handler thread takes the session out of its room, in order with
	 * the messages queued before; the work item inherits the map's reference */
	convene_work *work = g_malloc0(sizeof(convene_work));
	work->kind = CONVENE_WORK_GONE;
	work->session = session;
	g_async_queue_push(work_queue, work);
}

static json_t *convene_query_session(janus_plugin_session *handle) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized))
		return NULL;
	convene_session *session = convene_session_get(handle);
	if(session == NULL)
		return NULL;
	json_t *info = json_object();
	janus_mutex_lock(&session->mutex);
	json_object_set_new(info, "userId", session->user_id ? json_string(session->user_id) : json_null());
	json_object_set_new(info, "displayName", session->display_name ? json_string(session->display_name) : json_null());
	json_object_set_new(info, "audio", json_boolean(session->audio_on));
	json_object_set_new(info, "video", json_boolean(session->video_on));
	janus_mutex_unlock(&session->mutex);
	janus_refcount_decrease(&session->ref);
	return info;
}

/* --- messages --------------------------------------------------------------- */

static struct janus_plugin_result *convene_handle_message(janus_plugin_session *handle,
		char *transaction, json_t *message, json_t *jsep) {
	/* The core hands us the transaction copy, the message and the jsep */
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		g_free(transaction);
		json_decref(message);
		if(jsep != NULL)
			json_decref(jsep);
		return janus_plugin_result_new(JANUS_PLUGIN_ERROR,
			g_atomic_int_get(&stopping) ? "Shutting down" : "Plugin not initialized", NULL);
	}
	convene_session *session = convene_session_get(handle);
	if(session == NULL) {
		g_free(transaction);
		json_decref(message);
		if(jsep != NULL)
			json_decref(jsep);
		return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "No session associated with this handle", NULL);
	}
	/* Everything else happens on the handler thread, in arrival order */
	convene_work *work = g_malloc0(sizeof(convene_work));
	work->kind = CONVENE_WORK_MESSAGE;
	work->session = session;
	work->transaction = transaction;
	work->message = message;
	work->jsep = jsep;
	g_async_queue_push(work_queue, work);
	return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, NULL, NULL);
}

static json_t *convene_handle_admin_message(json_t *message) {
	json_t *response = json_object();
	const char *request = json_string_value(json_object_get(message, "request"));
	if(request != NULL && strcmp(request, "list-rooms") == 0) {
		json_object_set_new(response, "rooms", convene_rooms_describe());
	} else {
		json_t *error = cv_error_frame(CV_ERR_BAD_REQUEST, "unknown admin request (known: list-rooms)", NULL);
		json_object_set(response, "error", json_object_get(error, "data"));
		json_decref(error);
	}
	return response;
}

/* The session of a handle in a media callback, or NULL. The core only
 * calls these while the handle is alive, and the session outlives it. */
static convene_session *convene_media_session(janus_plugin_session *handle) {
	if(handle == NULL || g_atomic_int_get(&handle->stopped) || g_atomic_int_get(&stopping))
		return NULL;
	convene_session *session = handle->plugin_handle;
	if(session == NULL || g_atomic_int_get(&session->destroyed))
		return NULL;
	return session;
}

static void convene_setup_media(janus_plugin_session *handle) {
	convene_session *session = convene_media_session(handle);
	if(session == NULL)
		return;
	g_atomic_int_set(&session->media_up, 1);
	JANUS_LOG(LOG_VERB, "[convene] PeerConnection up\n");
	/* An offer held while it was connecting may go now (convene_nego_refresh) */
	session = convene_session_get(handle);
	if(session != NULL) {
		convene_work *work = g_malloc0(sizeof(convene_work));
		work->kind = CONVENE_WORK_MEDIA_UP;
		work->session = session;
		g_async_queue_push(work_queue, work);
	}
}

static void convene_incoming_rtp(janus_plugin_session *handle, janus_plugin_rtp *packet) {
	convene_session *session = convene_media_session(handle);
	if(session != NULL)
		convene_media_incoming_rtp(session, packet);
}

static void convene_incoming_rtcp(janus_plugin_session *handle, janus_plugin_rtcp *packet) {
	convene_session *session = convene_media_session(handle);
	if(session != NULL)
		convene_media_incoming_rtcp(session, packet);
}

static void convene_incoming_data(janus_plugin_session *handle, janus_plugin_data *packet) {
	convene_session *session = convene_media_session(handle);
	if(session != NULL)
		convene_media_incoming_data(session, packet);
}

static void convene_hangup_media(janus_plugin_session *handle) {
	convene_session *session = convene_session_get(handle);
	if(session == NULL)
		return;
	g_atomic_int_set(&session->media_up, 0);
	/* On the handle's loop thread, where incoming_rtp runs: no packet of
	 * that PeerConnection comes after this */
	convene_media_release_readers(session);
	JANUS_LOG(LOG_VERB, "[convene] PeerConnection closed\n");
	/* The handler thread drops the media state, in order with messages */
	convene_work *work = g_malloc0(sizeof(convene_work));
	work->kind = CONVENE_WORK_HANGUP;
	work->session = session;
	g_async_queue_push(work_queue, work);
}

/* How often the handler thread runs its timers (held mesh frames, ...). */
#define CONVENE_TICK_US (100 * 1000)

/* The handler thread: runs queued messages and disconnects in order, and
 * its timers every CONVENE_TICK_US. */
static void *convene_handler(void *data) {
	JANUS_LOG(LOG_VERB, "[convene] handler thread started\n");
	gint64 next_tick = g_get_monotonic_time() + CONVENE_TICK_US;
	while(g_atomic_int_get(&initialized) && !g_atomic_int_get(&stopping)) {
		gint64 now = g_get_monotonic_time();
		if(now >= next_tick) {
			convene_requests_tick();
			next_tick = now + CONVENE_TICK_US;
		}
		convene_work *work = g_async_queue_timeout_pop(work_queue, (guint64)MAX(next_tick - now, 1000));
		if(work == NULL)
			continue;
		if(work == &exit_work)
			break;
		if(work->kind == CONVENE_WORK_GONE) {
			convene_request_gone(work->session);
		} else if(work->kind == CONVENE_WORK_HANGUP) {
			convene_request_hangup(work->session);
		} else if(work->kind == CONVENE_WORK_MEDIA_UP) {
			if(!g_atomic_int_get(&work->session->destroyed) && work->session->renegotiate &&
					work->session->nego == CONVENE_NEGO_STABLE) {
				work->session->renegotiate = FALSE;
				convene_nego_refresh(work->session);
			}
		} else if(!g_atomic_int_get(&work->session->destroyed)) {
			convene_request_handle(work->session, work->transaction, work->message, work->jsep);
		}
		convene_work_free(work);
	}
	/* Disconnects queued behind the exit still release their sessions */
	convene_work *left;
	while((left = g_async_queue_try_pop(work_queue)) != NULL) {
		if(left->kind == CONVENE_WORK_GONE)
			convene_request_gone(left->session);
		convene_work_free(left);
	}
	convene_mesh_deinit();
	convene_nego_deinit();
	JANUS_LOG(LOG_VERB, "[convene] handler thread stopped\n");
	return NULL;
}
