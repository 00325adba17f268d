/*
 * janus_convene_transport.c - janus.transport.convene: the Convene protocol
 * over WebSocket, and the demo pages, on one port.
 *
 *   ws://HOST:PORT/ws/webrtc?token=JWT   the protocol (docs/protocol.md)
 *   http://HOST:PORT/...                 static files from html_folder
 *
 * One lws context with one service thread owns all sockets. A socket's
 * token is verified when it is established; a bad one is closed with 1008
 * "Unauthorized" before anything is allocated in the core. Each accepted
 * socket gets one Janus session and one janus.plugin.convene handle
 * (convene_client.c does the mapping).
 *
 * The core calls send_message from its own threads; that only queues and
 * wakes the service thread (lws_cancel_service), which then asks lws for
 * writable callbacks and writes there: lws_write only ever runs on the
 * service thread.
 */
#include <string.h>

#include <config.h>
#include <debug.h>
#include <utils.h>

#include "convene_transport.h"
#include "cv_time.h"

/* --- transport methods ------------------------------------------------------ */
static int convene_t_init(janus_transport_callbacks *callback, const char *config_path);
static void convene_t_destroy(void);
static int convene_t_get_api_compatibility(void);
static int convene_t_get_version(void);
static const char *convene_t_get_version_string(void);
static const char *convene_t_get_description(void);
static const char *convene_t_get_name(void);
static const char *convene_t_get_author(void);
static const char *convene_t_get_package(void);
static gboolean convene_t_is_janus_api_enabled(void);
static gboolean convene_t_is_admin_api_enabled(void);
static int convene_t_send_message(janus_transport_session *transport, void *request_id, gboolean admin, json_t *message);
static void convene_t_session_created(janus_transport_session *transport, guint64 session_id);
static void convene_t_session_over(janus_transport_session *transport, guint64 session_id, gboolean timeout, gboolean claimed);
static void convene_t_session_claimed(janus_transport_session *transport, guint64 session_id);
static json_t *convene_t_query_transport(json_t *request);

janus_transport convene_transport =
	JANUS_TRANSPORT_INIT (
		.init = convene_t_init,
		.destroy = convene_t_destroy,

		.get_api_compatibility = convene_t_get_api_compatibility,
		.get_version = convene_t_get_version,
		.get_version_string = convene_t_get_version_string,
		.get_description = convene_t_get_description,
		.get_name = convene_t_get_name,
		.get_author = convene_t_get_author,
		.get_package = convene_t_get_package,

		.is_janus_api_enabled = convene_t_is_janus_api_enabled,
		.is_admin_api_enabled = convene_t_is_admin_api_enabled,

		.send_message = convene_t_send_message,
		.session_created = convene_t_session_created,
		.session_over = convene_t_session_over,
		.session_claimed = convene_t_session_claimed,
		.query_transport = convene_t_query_transport,
	);

__attribute__((visibility("default"))) janus_transport *create(void);
janus_transport *create(void) {
	return &convene_transport;
}

/* --- state ------------------------------------------------------------------- */
janus_transport_callbacks *convene_core = NULL;
convene_transport_config convene_tcfg;

static volatile gint initialized = 0, stopping = 0;
static struct lws_context *lws_ctx = NULL;
static GThread *service_thread = NULL;
static struct lws_http_mount html_mount;
static lws_sorted_usec_list_t keepalive_timer;
static lws_sorted_usec_list_t detached_timer;

/* Every live client (the set holds no reference: a client leaves it on the
 * service thread before its ts is destroyed). */
static GHashTable *clients = NULL;
static janus_mutex clients_mutex = JANUS_MUTEX_INITIALIZER;

/* What lws keeps per connection (HTTP or WebSocket). */
typedef struct convene_pss {
	convene_client *client;
} convene_pss;

/* --- configuration ---------------------------------------------------------- */

static const char *convene_t_config_string(janus_config *config, janus_config_category *general, const char *key) {
	janus_config_item *item = janus_config_get(config, general, janus_config_type_item, key);
	return (item && item->value && *item->value) ? item->value : NULL;
}

static int convene_t_config_int(janus_config *config, janus_config_category *general, const char *key, int def) {
	const char *value = convene_t_config_string(config, general, key);
	return value ? atoi(value) : def;
}

static int convene_t_config_load(janus_config *config) {
	memset(&convene_tcfg, 0, sizeof(convene_tcfg));
	janus_config_category *general = config ?
		janus_config_get_create(config, NULL, janus_config_type_category, "general") : NULL;
	convene_tcfg.port = config ? convene_t_config_int(config, general, "port", 8090) : 8090;
	convene_tcfg.bind_address = config ? g_strdup(convene_t_config_string(config, general, "interface")) : NULL;
	const char *path = config ? convene_t_config_string(config, general, "ws_path") : NULL;
	convene_tcfg.ws_path = g_strdup(path ? path : "/ws/webrtc");
	const char *html = config ? convene_t_config_string(config, general, "html_folder") : NULL;
	convene_tcfg.html_folder = g_strdup(html ? html : CONVENE_HTML_DIR);
	const char *auth = config ? convene_t_config_string(config, general, "auth") : NULL;
	if(auth != NULL && strcmp(auth, "none") == 0) {
		convene_tcfg.auth_none = TRUE;
	} else if(auth != NULL && strcmp(auth, "jwt") != 0) {
		JANUS_LOG(LOG_ERR, "[convene-ws] auth must be \"jwt\" or \"none\"\n");
		return -1;
	}
	const char *secret = config ? convene_t_config_string(config, general, "jwt_secret") : NULL;
	if(secret != NULL) {
		convene_tcfg.jwt_key.secret = (const unsigned char *)g_strdup(secret);
		convene_tcfg.jwt_key.secret_len = strlen(secret);
	} else if(!convene_tcfg.auth_none) {
		JANUS_LOG(LOG_ERR, "[convene-ws] auth = \"jwt\" needs jwt_secret\n");
		return -1;
	}
	convene_tcfg.jwt_clock_skew = config ? convene_t_config_int(config, general, "jwt_clock_skew", 30) : 30;
	convene_tcfg.max_frame_size = (size_t)(config ? convene_t_config_int(config, general, "max_frame_size", 65536) : 65536);
	convene_tcfg.max_json_depth = config ? convene_t_config_int(config, general, "max_json_depth", 32) : 32;
	convene_tcfg.max_pending = (unsigned int)(config ? convene_t_config_int(config, general, "max_pending", 256) : 256);
	convene_tcfg.keepalive_interval = config ? convene_t_config_int(config, general, "keepalive_interval", 20) : 20;
	convene_tcfg.resume_grace = config ? convene_t_config_int(config, general, "resume_grace", 30) : 30;
	if(convene_tcfg.port <= 0 || convene_tcfg.port > 65535 || convene_tcfg.max_frame_size < 1024 ||
			convene_tcfg.keepalive_interval < 1 || convene_tcfg.resume_grace < 0 || convene_tcfg.resume_grace > 3600) {
		JANUS_LOG(LOG_ERR, "[convene-ws] port, max_frame_size (>= 1024), keepalive_interval or resume_grace (0-3600) out of range\n");
		return -1;
	}
	return 0;
}

static void convene_t_config_free(void) {
	g_free(convene_tcfg.bind_address);
	g_free(convene_tcfg.ws_path);
	g_free(convene_tcfg.html_folder);
	g_free((char *)convene_tcfg.jwt_key.secret);
	memset(&convene_tcfg, 0, sizeof(convene_tcfg));
}

/* --- the lws side --------------------------------------------------------- */

/* The request path of a connection being upgraded, without the query. */
static gboolean convene_t_path_is_ws(struct lws *wsi) {
	char uri[512];
	if(lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
		return FALSE;
	char *query = strchr(uri, '?');
	if(query != NULL)
		*query = '\0';
	return strcmp(uri, convene_tcfg.ws_path) == 0;
}

/* Checks the ?token= of a connection; fills *token and *sub, its subject
 * (caller frees). */
static gboolean convene_t_authorize(struct lws *wsi, char **token, char **sub) {
	char value[CV_JWT_MAX_LEN + 1];
	*token = NULL;
	*sub = NULL;
	const char *arg = lws_get_urlarg_by_name(wsi, "token=", value, sizeof(value));
	if(convene_tcfg.auth_none)
		return TRUE;
	if(arg == NULL || *arg == '\0')
		return FALSE;
	cv_claims claims;
	cv_error err;
	if(!cv_jwt_verify(arg, &convene_tcfg.jwt_key, 1, cv_now_s(), convene_tcfg.jwt_clock_skew, &claims, &err)) {
		JANUS_LOG(LOG_VERB, "[convene-ws] token refused: %s\n", err.message);
		return FALSE;
	}
	*token = g_strdup(arg);
	*sub = g_strdup(claims.sub);
	return TRUE;
}

static int convene_t_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
	convene_pss *pss = user;
	switch(reason) {
		case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
			/* Only the protocol path upgrades to a WebSocket */
			return convene_t_path_is_ws(wsi) ? 0 : 1;
		case LWS_CALLBACK_ESTABLISHED: {
			char peer[64] = "?";
			lws_get_peer_simple(wsi, peer, sizeof(peer));
			char *token = NULL, *sub = NULL;
			gboolean ok = convene_t_authorize(wsi, &token, &sub);
			convene_client *client = convene_client_new(wsi, peer, token, sub, ok);
			g_free(token);
			g_free(sub);
			pss->client = client;
			janus_mutex_lock(&clients_mutex);
			g_hash_table_add(clients, client);
			janus_mutex_unlock(&clients_mutex);
			JANUS_LOG(LOG_VERB, "[convene-ws] %s connected%s\n", peer, ok ? "" : " (unauthorized)");
			if(!ok)
				lws_callback_on_writable(wsi);
			return 0;
		}
		case LWS_CALLBACK_RECEIVE: {
			convene_client *client = pss->client;
			if(client == NULL)
				return 0;
			convene_client *serving = convene_client_receive(client, in, len, lws_is_final_fragment(wsi),
				lws_frame_is_binary(wsi));
			if(serving != client) {
				/* A resume: the socket now serves the participant it took
				 * over; its own client (and Janus session) ends */
				pss->client = serving;
				janus_mutex_lock(&clients_mutex);
				g_hash_table_remove(clients, client);
				janus_mutex_unlock(&clients_mutex);
				convene_client_closed(client);
			}
			return 0;
		}
		case LWS_CALLBACK_SERVER_WRITEABLE:
			return pss->client ? convene_client_writable(pss->client) : 0;
		case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
			/* A goodbye from the client: no resume for this socket */
			if(pss->client != NULL)
				pss->client->peer_closed = TRUE;
			/* The client's close answers ours: done, no echo */
			return (pss->client && pss->client->close_sent) ? -1 : 0;
		case LWS_CALLBACK_CLOSED: {
			convene_client *client = pss->client;
			if(client == NULL)
				return 0;
			pss->client = NULL;
			/* Dropped while in a room: kept for a resume (stays listed) */
			if(!g_atomic_int_get(&stopping) && convene_client_detach(client))
				return 0;
			janus_mutex_lock(&clients_mutex);
			g_hash_table_remove(clients, client);
			janus_mutex_unlock(&clients_mutex);
			JANUS_LOG(LOG_VERB, "[convene-ws] %s disconnected\n", client->peer);
			convene_client_closed(client);
			return 0;
		}
		case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
			/* Some thread queued frames: ask for writable callbacks */
			janus_mutex_lock(&clients_mutex);
			GHashTableIter iter;
			gpointer key;
			g_hash_table_iter_init(&iter, clients);
			while(g_hash_table_iter_next(&iter, &key, NULL)) {
				convene_client *client = key;
				if(g_atomic_int_compare_and_exchange(&client->wants_write, 1, 0) && client->wsi != NULL)
					lws_callback_on_writable(client->wsi);
			}
			janus_mutex_unlock(&clients_mutex);
			return 0;
		}
		default:
			/* Static files and everything else HTTP */
			return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols convene_t_protocols[] = {
	{ "convene", convene_t_callback, sizeof(convene_pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

void convene_transport_wake(convene_client *client) {
	g_atomic_int_set(&client->wants_write, 1);
	if(lws_ctx != NULL)
		lws_cancel_service(lws_ctx);
}

/* Keeps every ready client's Janus session alive; reschedules itself.
 * Service thread. */
static void convene_t_keepalive(lws_sorted_usec_list_t *sul) {
	/* Collect with references, then call the core with no lock held */
	janus_mutex_lock(&clients_mutex);
	GList *list = g_hash_table_get_keys(clients);
	for(GList *l = list; l != NULL; l = l->next)
		janus_refcount_increase(&((convene_client *)l->data)->ts->ref);
	janus_mutex_unlock(&clients_mutex);
	for(GList *l = list; l != NULL; l = l->next) {
		convene_client *client = l->data;
		convene_client_keepalive(client);
		janus_refcount_decrease(&client->ts->ref);
	}
	g_list_free(list);
	lws_sul_schedule(lws_ctx, 0, &keepalive_timer, convene_t_keepalive,
		(lws_usec_t)convene_tcfg.keepalive_interval * LWS_US_PER_SEC);
}

convene_client *convene_transport_claim(const char *user_id, const char *room_id, convene_client *claimant) {
	convene_client *found = NULL;
	struct lws *open_wsi = NULL;
	janus_mutex_lock(&clients_mutex);
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, clients);
	while(found == NULL && g_hash_table_iter_next(&iter, &key, NULL)) {
		convene_client *client = key;
		if(client == claimant || g_atomic_int_get(&client->destroyed))
			continue;
		janus_mutex_lock(&client->mutex);
		gboolean match = client->state == CONVENE_CLIENT_READY && client->close_code == 0 &&
			client->user_id != NULL && client->room_id != NULL &&
			strcmp(client->user_id, user_id) == 0 && strcmp(client->room_id, room_id) == 0 &&
			(client->detached_until == 0 || client->detached_until > cv_mono_us());
		janus_mutex_unlock(&client->mutex);
		if(!match)
			continue;
		found = client;
		janus_refcount_increase(&client->ts->ref);
		if(client->wsi != NULL) {
			/* Its socket is still open (the drop was not noticed yet):
			 * unhook it from the client, then close it */
			convene_pss *old_pss = lws_wsi_user(client->wsi);
			if(old_pss != NULL)
				old_pss->client = NULL;
			open_wsi = client->wsi;
			client->wsi = NULL;
		}
	}
	janus_mutex_unlock(&clients_mutex);
	if(open_wsi != NULL)
		lws_set_timeout(open_wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	return found;
}

/* Ends the detached clients whose time is up; reschedules itself. Service
 * thread. */
static void convene_t_detached_sweep(lws_sorted_usec_list_t *sul) {
	gint64 now = cv_mono_us();
	GList *ended = NULL;
	janus_mutex_lock(&clients_mutex);
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, clients);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		convene_client *client = key;
		if(client->wsi == NULL && convene_client_detach_expired(client, now)) {
			ended = g_list_prepend(ended, client);
			g_hash_table_iter_remove(&iter);
		}
	}
	janus_mutex_unlock(&clients_mutex);
	for(GList *l = ended; l != NULL; l = l->next) {
		convene_client *client = l->data;
		JANUS_LOG(LOG_VERB, "[convene-ws] %s did not come back: ending %s\n", client->peer, client->user_id);
		convene_client_closed(client);
	}
	g_list_free(ended);
	lws_sul_schedule(lws_ctx, 0, &detached_timer, convene_t_detached_sweep, 250 * LWS_US_PER_MS);
}

static void *convene_t_service(void *data) {
	JANUS_LOG(LOG_VERB, "[convene-ws] service thread started\n");
	lws_sul_schedule(lws_ctx, 0, &keepalive_timer, convene_t_keepalive,
		(lws_usec_t)convene_tcfg.keepalive_interval * LWS_US_PER_SEC);
	lws_sul_schedule(lws_ctx, 0, &detached_timer, convene_t_detached_sweep, 250 * LWS_US_PER_MS);
	while(!g_atomic_int_get(&stopping)) {
		if(lws_service(lws_ctx, 0) < 0)
			break;
	}
	JANUS_LOG(LOG_VERB, "[convene-ws] service thread stopped\n");
	return NULL;
}

static void convene_t_lws_log(int level, const char *line) {
	if(level == LLL_ERR)
		JANUS_LOG(LOG_ERR, "[convene-ws] lws: %s", line);
	else
		JANUS_LOG(LOG_WARN, "[convene-ws] lws: %s", line);
}

/* --- lifecycle ---------------------------------------------------------------- */

static int convene_t_init(janus_transport_callbacks *callback, const char *config_path) {
	if(g_atomic_int_get(&stopping) || callback == NULL || config_path == NULL)
		return -1;
	char filename[512];
	g_snprintf(filename, sizeof(filename), "%s/%s.jcfg", config_path, CONVENE_TRANSPORT_PACKAGE);
	janus_config *config = janus_config_parse(filename);
	if(config == NULL)
		JANUS_LOG(LOG_WARN, "[convene-ws] no %s: using defaults\n", filename);
	janus_config_category *general = config ?
		janus_config_get_create(config, NULL, janus_config_type_category, "general") : NULL;
	janus_config_item *enabled = config ? janus_config_get(config, general, janus_config_type_item, "enabled") : NULL;
	if(enabled && enabled->value && !janus_is_true(enabled->value)) {
		JANUS_LOG(LOG_INFO, "[convene-ws] disabled in the configuration\n");
		janus_config_destroy(config);
		return -1;
	}
	int res = convene_t_config_load(config);
	janus_config_destroy(config);
	if(res < 0) {
		convene_t_config_free();
		return -1;
	}
	convene_core = callback;
	clients = g_hash_table_new(NULL, NULL);

	lws_set_log_level(LLL_ERR | LLL_WARN, convene_t_lws_log);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = convene_tcfg.port;
	info.iface = convene_tcfg.bind_address;
	info.protocols = convene_t_protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
	if(convene_tcfg.html_folder != NULL) {
		memset(&html_mount, 0, sizeof(html_mount));
		html_mount.mountpoint = "/";
		html_mount.mountpoint_len = 1;
		html_mount.origin = convene_tcfg.html_folder;
		html_mount.def = "index.html";
		html_mount.origin_protocol = LWSMPRO_FILE;
		html_mount.cache_max_age = 0;
		info.mounts = &html_mount;
	}
	lws_ctx = lws_create_context(&info);
	if(lws_ctx == NULL) {
		JANUS_LOG(LOG_ERR, "[convene-ws] cannot listen on port %d\n", convene_tcfg.port);
		g_hash_table_destroy(clients);
		clients = NULL;
		convene_t_config_free();
		return -1;
	}
	GError *error = NULL;
	g_atomic_int_set(&initialized, 1);
	service_thread = g_thread_try_new("convene ws", convene_t_service, NULL, &error);
	if(error != NULL) {
		JANUS_LOG(LOG_ERR, "[convene-ws] cannot start the service thread: %s\n", error->message);
		g_error_free(error);
		lws_context_destroy(lws_ctx);
		lws_ctx = NULL;
		g_atomic_int_set(&initialized, 0);
		return -1;
	}
	JANUS_LOG(LOG_INFO, "[convene-ws] listening on port %d: ws path %s, html %s, auth %s\n",
		convene_tcfg.port, convene_tcfg.ws_path, convene_tcfg.html_folder ? convene_tcfg.html_folder : "(none)",
		convene_tcfg.auth_none ? "none" : "jwt");
	return 0;
}

static void convene_t_destroy(void) {
	if(!g_atomic_int_get(&initialized))
		return;
	g_atomic_int_set(&stopping, 1);
	if(lws_ctx != NULL)
		lws_cancel_service(lws_ctx);
	if(service_thread != NULL) {
		g_thread_join(service_thread);
		service_thread = NULL;
	}
	/* Closing the context closes every socket (LWS_CALLBACK_CLOSED) */
	lws_context_destroy(lws_ctx);
	lws_ctx = NULL;
	/* What is left has no socket: participants kept for a resume */
	janus_mutex_lock(&clients_mutex);
	GList *kept = g_hash_table_get_keys(clients);
	g_hash_table_remove_all(clients);
	janus_mutex_unlock(&clients_mutex);
	for(GList *l = kept; l != NULL; l = l->next)
		convene_client_closed(l->data);
	g_list_free(kept);
	janus_mutex_lock(&clients_mutex);
	g_hash_table_destroy(clients);
	clients = NULL;
	janus_mutex_unlock(&clients_mutex);
	convene_t_config_free();
	g_atomic_int_set(&initialized, 0);
	g_atomic_int_set(&stopping, 0);
}

static int convene_t_get_api_compatibility(void) {
	return JANUS_TRANSPORT_API_VERSION;
}

static int convene_t_get_version(void) {
	return 1;
}

static const char *convene_t_get_version_string(void) {
	return "0.1.0";
}

static const char *convene_t_get_description(void) {
	return "The Convene signaling protocol over WebSocket, plus the demo pages.";
}

static const char *convene_t_get_name(void) {
	return "Convene WebSocket transport";
}

static const char *convene_t_get_author(void) {
	return "Convene";
}

static const char *convene_t_get_package(void) {
	return CONVENE_TRANSPORT_PACKAGE;
}

static gboolean convene_t_is_janus_api_enabled(void) {
	return TRUE;
}

static gboolean convene_t_is_admin_api_enabled(void) {
	return FALSE;
}

/* Resolves the client of a transport session with the session's lock;
 * NULL when the socket is gone. */
static convene_client *convene_t_client_of(janus_transport_session *transport) {
	if(transport == NULL || g_atomic_int_get(&transport->destroyed))
		return NULL;
	convene_client *client = transport->transport_p;
	if(client == NULL || g_atomic_int_get(&client->destroyed))
		return NULL;
	return client;
}

static int convene_t_send_message(janus_transport_session *transport, void *request_id, gboolean admin, json_t *message) {
	convene_client *client = convene_t_client_of(transport);
	if(client == NULL) {
		/* A session created for a socket that already closed still needs
		 * to be destroyed: the reply to its create is handled below */
		if(transport != NULL && transport->transport_p != NULL) {
			const char *txn = json_string_value(json_object_get(message, "transaction"));
			if(txn != NULL && strcmp(txn, "cv-create") == 0) {
				convene_client_from_core(transport->transport_p, message);
				return 0;
			}
		}
		json_decref(message);
		return -1;
	}
	convene_client_from_core(client, message);
	return 0;
}

static void convene_t_session_created(janus_transport_session *transport, guint64 session_id) {
	/* Nothing to do: the create reply carries the id */
}

static void convene_t_session_over(janus_transport_session *transport, guint64 session_id, gboolean timeout, gboolean claimed) {
	convene_client *client = convene_t_client_of(transport);
	if(client != NULL)
		convene_client_session_over(client, session_id);
}

static void convene_t_session_claimed(janus_transport_session *transport, guint64 session_id) {
	/* Sessions are not claimed across sockets: reconnection is the
	 * plugin's business (docs/protocol.md, "Reconnection") */
}

static json_t *convene_t_query_transport(json_t *request) {
	json_t *reply = json_object();
	janus_mutex_lock(&clients_mutex);
	json_object_set_new(reply, "clients", json_integer(clients ? g_hash_table_size(clients) : 0));
	janus_mutex_unlock(&clients_mutex);
	json_object_set_new(reply, "port", json_integer(convene_tcfg.port));
	json_object_set_new(reply, "ws_path", json_string(convene_tcfg.ws_path));
	json_object_set_new(reply, "auth", json_string(convene_tcfg.auth_none ? "none" : "jwt"));
	json_object_set_new(reply, "resume_grace", json_integer(convene_tcfg.resume_grace));
	return reply;
}
