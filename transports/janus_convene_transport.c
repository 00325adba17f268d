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
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <config.h>
#include <debug.h>
#include <utils.h>

#include "convene_transport.h"
#include "cv_placement.h"
#include "cv_redirect.h"
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

/* Every live client (the set holds no reference: a client leaves it on the
 * service thread before its ts is destroyed), and how many each remote
 * address has. */
static GHashTable *clients = NULL;
static GHashTable *clients_per_address = NULL;	/* address -> count */
static janus_mutex clients_mutex = JANUS_MUTEX_INITIALIZER;
static lws_sorted_usec_list_t housekeeping_timer;
static lws_retry_bo_t idle_policy;

/* Room affinity of event loops (cv_placement.h): NULL when off. These two
 * are the Janus core's (src/ice.h, exported by the janus binary; janus-dev
 * does not install ice.h). */
int janus_ice_get_static_event_loops(void);
gboolean janus_ice_is_loop_indication_allowed(void);
static cv_placement *placement = NULL;
static janus_mutex placement_mutex = JANUS_MUTEX_INITIALIZER;

/* What lws keeps per connection (HTTP or WebSocket). */
typedef struct convene_pss {
	convene_client *client;
} convene_pss;

/* --- configuration ---------------------------------------------------------- */

/* The settings of the general category, by name, type and place. */
typedef enum { CONVENE_T_INT, CONVENE_T_DOUBLE, CONVENE_T_STRING, CONVENE_T_BOOL, CONVENE_T_LIST } convene_t_type;

static const struct convene_t_setting {
	const char *key;
	convene_t_type type;
	size_t offset;
	double def, min, max;	/* numbers */
	const char *def_string;	/* strings */
} convene_t_settings[] = {
#define CONVENE_T_FIELD(f) offsetof(convene_transport_config, f)
	{ "port", CONVENE_T_INT, CONVENE_T_FIELD(port), 8090, 1, 65535, NULL },
	{ "interface", CONVENE_T_STRING, CONVENE_T_FIELD(bind_address), 0, 0, 0, NULL },
	{ "ws_path", CONVENE_T_STRING, CONVENE_T_FIELD(ws_path), 0, 0, 0, "/ws/webrtc" },
	{ "html_folder", CONVENE_T_STRING, CONVENE_T_FIELD(html_folder), 0, 0, 0, CONVENE_HTML_DIR },
	{ "max_frame_size", CONVENE_T_INT, CONVENE_T_FIELD(max_frame_size), 65536, 1024, 16 << 20, NULL },
	{ "max_json_depth", CONVENE_T_INT, CONVENE_T_FIELD(max_json_depth), 32, 2, 1000, NULL },
	{ "max_json_values", CONVENE_T_INT, CONVENE_T_FIELD(max_json_values), 2000, 16, 1000000, NULL },
	{ "max_pending", CONVENE_T_INT, CONVENE_T_FIELD(max_pending), 256, 1, 100000, NULL },
	{ "keepalive_interval", CONVENE_T_INT, CONVENE_T_FIELD(keepalive_interval), 20, 1, 3600, NULL },
	{ "resume_grace", CONVENE_T_INT, CONVENE_T_FIELD(resume_grace), 30, 0, 3600, NULL },
	{ "rate_limit", CONVENE_T_DOUBLE, CONVENE_T_FIELD(rate_limit), 100, 0, 1e6, NULL },
	{ "rate_burst", CONVENE_T_INT, CONVENE_T_FIELD(rate_burst), 300, 1, 1000000, NULL },
	{ "rate_strikes", CONVENE_T_INT, CONVENE_T_FIELD(rate_strikes), 20, 0, 1000000, NULL },
	{ "candidates_per_minute", CONVENE_T_INT, CONVENE_T_FIELD(candidates_per_minute), 600, 0, 1000000, NULL },
	{ "join_timeout", CONVENE_T_INT, CONVENE_T_FIELD(join_timeout), 10, 0, 3600, NULL },
	{ "ping_interval", CONVENE_T_INT, CONVENE_T_FIELD(ping_interval), 20, 0, 3600, NULL },
	{ "handshake_timeout", CONVENE_T_INT, CONVENE_T_FIELD(handshake_timeout), 10, 1, 300, NULL },
	{ "max_connections_per_ip", CONVENE_T_INT, CONVENE_T_FIELD(max_connections_per_ip), 50, 0, 1000000, NULL },
	{ "max_connections", CONVENE_T_INT, CONVENE_T_FIELD(max_connections), 5000, 0, 10000000, NULL },
	{ "tls_cert", CONVENE_T_STRING, CONVENE_T_FIELD(tls_cert), 0, 0, 0, NULL },
	{ "tls_key", CONVENE_T_STRING, CONVENE_T_FIELD(tls_key), 0, 0, 0, NULL },
	{ "tls_redirect_http", CONVENE_T_BOOL, CONVENE_T_FIELD(tls_redirect_http), 0, 0, 1, NULL },
	{ "allowed_origins", CONVENE_T_LIST, CONVENE_T_FIELD(allowed_origins), 0, 0, 0, NULL },
	{ "loop_affinity", CONVENE_T_BOOL, CONVENE_T_FIELD(loop_affinity), 0, 0, 1, NULL },
	{ "loop_room_share", CONVENE_T_INT, CONVENE_T_FIELD(loop_room_share), 0, 0, 1000000, NULL },
#undef CONVENE_T_FIELD
};

/* Reads one setting into convene_tcfg (its default when absent). */
static int convene_t_setting_load(const struct convene_t_setting *st, const char *value) {
	char *field = (char *)&convene_tcfg + st->offset;
	switch(st->type) {
		case CONVENE_T_INT:
		case CONVENE_T_DOUBLE: {
			double v = st->def;
			if(value != NULL) {
				char *end = NULL;
				v = g_ascii_strtod(value, &end);
				if(end == value || *end != '\0') {
					JANUS_LOG(LOG_ERR, "[convene-ws] %s: \"%s\" is not a number\n", st->key, value);
					return -1;
				}
			}
			if(v < st->min || v > st->max) {
				JANUS_LOG(LOG_ERR, "[convene-ws] %s must be between %g and %g\n", st->key, st->min, st->max);
				return -1;
			}
			if(st->type == CONVENE_T_INT)
				*(int *)field = (int)v;
			else
				*(double *)field = v;
			return 0;
		}
		case CONVENE_T_BOOL:
			*(gboolean *)field = value ? janus_is_true(value) : (st->def != 0);
			return 0;
		case CONVENE_T_STRING:
			*(char **)field = g_strdup(value ? value : st->def_string);
			return 0;
		case CONVENE_T_LIST:
			if(value != NULL) {
				char **list = g_strsplit(value, ",", -1);
				for(int i = 0; list[i] != NULL; i++)
					g_strstrip(list[i]);
				*(char ***)field = list;
			}
			return 0;
	}
	return -1;
}

static int convene_t_config_load(janus_config *config) {
	memset(&convene_tcfg, 0, sizeof(convene_tcfg));
	janus_config_category *general = config ?
		janus_config_get_create(config, NULL, janus_config_type_category, "general") : NULL;
	for(size_t i = 0; i < G_N_ELEMENTS(convene_t_settings); i++) {
		janus_config_item *item = config ?
			janus_config_get(config, general, janus_config_type_item, convene_t_settings[i].key) : NULL;
		const char *value = (item && item->value && *item->value) ? item->value : NULL;
		if(convene_t_setting_load(&convene_t_settings[i], value) < 0)
			return -1;
	}
	if((convene_tcfg.tls_cert == NULL) != (convene_tcfg.tls_key == NULL)) {
		JANUS_LOG(LOG_ERR, "[convene-ws] TLS needs both tls_cert and tls_key\n");
		return -1;
	}
	return convene_auth_load(config, general, "convene-ws", &convene_tcfg.auth);
}

static void convene_t_config_free(void) {
	for(size_t i = 0; i < G_N_ELEMENTS(convene_t_settings); i++) {
		char *field = (char *)&convene_tcfg + convene_t_settings[i].offset;
		if(convene_t_settings[i].type == CONVENE_T_STRING)
			g_free(*(char **)field);
		else if(convene_t_settings[i].type == CONVENE_T_LIST)
			g_strfreev(*(char ***)field);
	}
	convene_auth_free(&convene_tcfg.auth);
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

/* Whether the Origin of an upgrade is allowed (no list: any; no Origin:
 * not a browser, allowed). */
static gboolean convene_t_origin_allowed(struct lws *wsi) {
	if(convene_tcfg.allowed_origins == NULL)
		return TRUE;
	char origin[256];
	if(lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
		return TRUE;
	return g_strv_contains((const char * const *)convene_tcfg.allowed_origins, origin);
}

/* Answers an upgrade request with an HTTP error and ends the transaction
 * (the return value for LWS_CALLBACK_HTTP_CONFIRM_UPGRADE). Written here
 * rather than with lws_return_http_status, which answers an upgrade request
 * as HTTP/1.0 (lws learns the request's version only later), a version
 * some WebSocket clients refuse to read. */
static int convene_t_http_refuse(struct lws *wsi, unsigned int status) {
	const char *text = status == HTTP_STATUS_FORBIDDEN ? "Forbidden" : "Not Found";
	unsigned char buf[LWS_PRE + 256];
	int len = lws_snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
		"HTTP/1.1 %u %s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s\n",
		status, text, (int)strlen(text) + 1, text);
	if(lws_write(wsi, buf + LWS_PRE, (size_t)len, LWS_WRITE_HTTP) != len)
		return -1;
	return 1;
}

/* Whether a connection came in plain on the TLS port (only possible with
 * tls_redirect_http): it gets a redirect, never a WebSocket. */
static gboolean convene_t_plain_on_tls(struct lws *wsi) {
	return convene_tcfg.tls_cert != NULL && !lws_is_ssl(wsi);
}

/* Answers a plain http request on the TLS port with a 301 to the same URL
 * over https (lws's own redirect drops the path and query) and ends the
 * connection. uri, uri_len: the request's path, as lws decoded it. Returns
 * the value for LWS_CALLBACK_FILTER_HTTP_CONNECTION (non-zero: close). */
static int convene_t_redirect_https(struct lws *wsi, const char *uri, size_t uri_len) {
	char host[256], path[1024], args[16][256], location[2048];
	g_strlcpy(path, uri ? uri : "/", MIN(uri_len + 1, sizeof(path)));
	const char *arg_list[16];
	size_t n_args = 0;
	if(lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		host[0] = '\0';
	for(int i = 0; i < 16; i++) {
		if(lws_hdr_copy_fragment(wsi, args[n_args], sizeof(args[0]), WSI_TOKEN_HTTP_URI_ARGS, i) <= 0)
			break;
		arg_list[n_args] = args[n_args];
		n_args++;
	}
	unsigned char buf[LWS_PRE + sizeof(location) + 256];
	int len;
	if(cv_https_location(host, path, arg_list, n_args, location, sizeof(location))) {
		len = lws_snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
			"HTTP/1.1 301 Moved Permanently\r\nlocation: %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
			location);
	} else {
		len = lws_snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
			"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
	}
	lws_write(wsi, buf + LWS_PRE, (size_t)len, LWS_WRITE_HTTP);
	return 1;
}

/* Counts a new socket from address; the close code and reason when it is
 * one too many (per address or in all), else 0. Service thread. */
static int convene_t_admit(const char *address, const char **reason) {
	int code = 0;
	janus_mutex_lock(&clients_mutex);
	guint count = GPOINTER_TO_UINT(g_hash_table_lookup(clients_per_address, address));
	if(convene_tcfg.max_connections > 0 && g_hash_table_size(clients) >= (guint)convene_tcfg.max_connections) {
		code = 1013;
		*reason = "Server full";
	} else if(convene_tcfg.max_connections_per_ip > 0 && count >= (guint)convene_tcfg.max_connections_per_ip) {
		code = 1013;
		*reason = "Too many connections";
	}
	g_hash_table_insert(clients_per_address, g_strdup(address), GUINT_TO_POINTER(count + 1));
	janus_mutex_unlock(&clients_mutex);
	return code;
}

/* Uncounts a socket from address. Caller holds clients_mutex. */
static void convene_t_release_address(const char *address) {
	guint count = GPOINTER_TO_UINT(g_hash_table_lookup(clients_per_address, address));
	if(count <= 1)
		g_hash_table_remove(clients_per_address, address);
	else
		g_hash_table_insert(clients_per_address, g_strdup(address), GUINT_TO_POINTER(count - 1));
}

/* Checks the ?token= of a connection; fills *token and *sub, its subject
 * (caller frees). */
static gboolean convene_t_authorize(struct lws *wsi, char **token, char **sub) {
	char value[CV_JWT_MAX_LEN + 1];
	*token = NULL;
	*sub = NULL;
	const char *arg = lws_get_urlarg_by_name(wsi, "token=", value, sizeof(value));
	if(convene_tcfg.auth.none)
		return TRUE;
	if(arg == NULL || *arg == '\0')
		return FALSE;
	cv_claims claims;
	cv_error err;
	if(!convene_auth_verify(&convene_tcfg.auth, arg, &claims, &err)) {
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
		case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
			/* Only the protocol path upgrades, only to a WebSocket, and
			 * only from an allowed Origin: else an HTTP error (returning 1
			 * after writing it lets lws finish the transaction) */
			unsigned int status = 0;
			if(in == NULL || strcasecmp((const char *)in, "websocket") != 0 || !convene_t_path_is_ws(wsi))
				status = HTTP_STATUS_NOT_FOUND;
			else if(!convene_t_origin_allowed(wsi) || convene_t_plain_on_tls(wsi))
				status = HTTP_STATUS_FORBIDDEN;	/* (a token must never travel in clear) */
			if(status == 0)
				return 0;
			JANUS_LOG(LOG_VERB, "[convene-ws] refused an upgrade (HTTP %u)\n", status);
			return convene_t_http_refuse(wsi, status);
		}
		case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
			/* Checked at CONFIRM_UPGRADE already; kept as a second lock */
			return convene_t_origin_allowed(wsi) && convene_t_path_is_ws(wsi) && !convene_t_plain_on_tls(wsi) ? 0 : 1;
		case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
			/* Plain http on the TLS port: to the same URL over https */
			if(convene_t_plain_on_tls(wsi))
				return convene_t_redirect_https(wsi, (const char *)in, len);
			return 0;
		case LWS_CALLBACK_ESTABLISHED: {
			char peer[64] = "?";
			lws_get_peer_simple(wsi, peer, sizeof(peer));
			char *token = NULL, *sub = NULL;
			const char *refuse_reason = NULL;
			int refuse = convene_t_admit(peer, &refuse_reason);
			gboolean ok = convene_t_authorize(wsi, &token, &sub);
			if(refuse == 0 && !ok) {
				refuse = LWS_CLOSE_STATUS_POLICY_VIOLATION;
				refuse_reason = "Unauthorized";
			}
			convene_client *client = convene_client_new(wsi, peer, token, sub, refuse, refuse_reason);
			g_free(token);
			g_free(sub);
			pss->client = client;
			janus_mutex_lock(&clients_mutex);
			g_hash_table_add(clients, client);
			janus_mutex_unlock(&clients_mutex);
			JANUS_LOG(LOG_VERB, "[convene-ws] %s connected%s%s\n", peer, refuse ? ": refused, " : "", refuse ? refuse_reason : "");
			if(refuse)
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
				/* A resume: the socket (and its address's count) now serves
				 * the participant it took over; its own client (and Janus
				 * session) ends */
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
			/* Dropped while in a room: kept for a resume (stays listed, but
			 * no longer holds a connection of its address) */
			if(!g_atomic_int_get(&stopping) && convene_client_detach(client)) {
				janus_mutex_lock(&clients_mutex);
				convene_t_release_address(client->peer);
				janus_mutex_unlock(&clients_mutex);
				return 0;
			}
			janus_mutex_lock(&clients_mutex);
			g_hash_table_remove(clients, client);
			convene_t_release_address(client->peer);
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

gboolean convene_transport_placing(void) {
	return placement != NULL;
}

int convene_transport_place(const char *room) {
	janus_mutex_lock(&placement_mutex);
	int loop = placement ? cv_placement_take(placement, room) : -1;
	janus_mutex_unlock(&placement_mutex);
	return loop;
}

void convene_transport_unplace(const char *room, int loop) {
	janus_mutex_lock(&placement_mutex);
	if(placement != NULL)
		cv_placement_give(placement, room, loop);
	janus_mutex_unlock(&placement_mutex);
}

/* Turns room affinity on when the core can do it. Init, before any client. */
static void convene_t_placement_init(void) {
	int loops = janus_ice_get_static_event_loops();
	gboolean indication = janus_ice_is_loop_indication_allowed();
	if(!convene_tcfg.loop_affinity) {
		JANUS_LOG(LOG_INFO, "[convene-ws] Event loop affinity off (loop_affinity = false): the core places PeerConnections\n");
	} else if(loops < 2) {
		JANUS_LOG(LOG_INFO, "[convene-ws] Event loop affinity unused: Janus runs %s\n",
			loops == 1 ? "one static event loop" : "a thread per PeerConnection (event_loops unset)");
	} else if(!indication) {
		JANUS_LOG(LOG_WARN, "[convene-ws] Janus runs %d event loops but does not allow loop indication: "
			"set allow_loop_indication = true in janus.jcfg for room affinity\n", loops);
	} else {
		placement = cv_placement_new(loops, convene_tcfg.loop_room_share);
		JANUS_LOG(LOG_INFO, "[convene-ws] Event loop affinity: a room's PeerConnections share one of %d loops%s\n",
			loops, convene_tcfg.loop_room_share > 0 ? " (up to loop_room_share, then spread)" : "");
	}
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
			convene_t_release_address(client->peer);
		}
	}
	janus_mutex_unlock(&clients_mutex);
	if(open_wsi != NULL)
		lws_set_timeout(open_wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	return found;
}

/* Four times a second: closes sockets that never joined, ends the
 * participants kept for a resume whose time is up. Service thread. */
static void convene_t_housekeeping(lws_sorted_usec_list_t *sul) {
	gint64 now = g_get_monotonic_time();
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
		} else if(client->wsi != NULL) {
			convene_client_check_join(client, now);
		}
	}
	janus_mutex_unlock(&clients_mutex);
	for(GList *l = ended; l != NULL; l = l->next) {
		convene_client *client = l->data;
		JANUS_LOG(LOG_VERB, "[convene-ws] %s did not come back: ending %s\n", client->peer, client->user_id);
		convene_client_closed(client);
	}
	g_list_free(ended);
	lws_sul_schedule(lws_ctx, 0, &housekeeping_timer, convene_t_housekeeping, 250 * LWS_US_PER_MS);
}

static void *convene_t_service(void *data) {
	JANUS_LOG(LOG_VERB, "[convene-ws] service thread started\n");
	lws_sul_schedule(lws_ctx, 0, &keepalive_timer, convene_t_keepalive,
		(lws_usec_t)convene_tcfg.keepalive_interval * LWS_US_PER_SEC);
	lws_sul_schedule(lws_ctx, 0, &housekeeping_timer, convene_t_housekeeping, LWS_US_PER_SEC);
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
	convene_t_placement_init();
	clients = g_hash_table_new(NULL, NULL);
	clients_per_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	lws_set_log_level(LLL_ERR | LLL_WARN, convene_t_lws_log);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = convene_tcfg.port;
	info.iface = convene_tcfg.bind_address;
	info.protocols = convene_t_protocols;
	info.gid = -1;
	info.uid = -1;
	/* (UTF-8 is checked by convene_client_receive, which closes with 1007
	 * itself: a close of ours, so no resume is kept for that socket) */
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	/* Handshakes (TLS, HTTP upgrade) that do not complete in time are
	 * dropped. A socket that sent no pong for ping_interval gets a ping; one
	 * that does not answer it within another ping_interval (a half-open TCP
	 * connection, a stuck client) is dropped. */
	info.timeout_secs = (unsigned int)convene_tcfg.handshake_timeout;
	info.timeout_secs_ah_idle = (unsigned int)convene_tcfg.handshake_timeout;	/* HTTP headers */
	if(convene_tcfg.ping_interval > 0) {
		memset(&idle_policy, 0, sizeof(idle_policy));
		idle_policy.secs_since_valid_ping = (uint16_t)convene_tcfg.ping_interval;
		idle_policy.secs_since_valid_hangup = (uint16_t)(2 * convene_tcfg.ping_interval);
		info.retry_and_idle_policy = &idle_policy;
	}
	if(convene_tcfg.tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = convene_tcfg.tls_cert;
		info.ssl_private_key_filepath = convene_tcfg.tls_key;
		/* HTTP/1.1 only: a page served over HTTP/2 would have the browser
		 * try its WebSocket over HTTP/2 too (RFC 8441), which the upgrade
		 * checks here (path, Origin, plain-on-TLS) do not handle */
		info.alpn = "http/1.1";
		if(convene_tcfg.tls_redirect_http)
			info.options |= LWS_SERVER_OPTION_REDIRECT_HTTP_TO_HTTPS | LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT;
	}
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
		g_hash_table_destroy(clients_per_address);
		clients_per_address = NULL;
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
	JANUS_LOG(LOG_INFO, "[convene-ws] listening on port %d (%s): ws path %s, html %s, auth %s\n",
		convene_tcfg.port, convene_tcfg.tls_cert ? "TLS" : "plain", convene_tcfg.ws_path,
		convene_tcfg.html_folder ? convene_tcfg.html_folder : "(none)", convene_tcfg.auth.none ? "none" : "jwt");
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
	g_hash_table_destroy(clients_per_address);
	clients_per_address = NULL;
	janus_mutex_unlock(&clients_mutex);
	convene_t_config_free();
	janus_mutex_lock(&placement_mutex);
	cv_placement_free(placement);
	placement = NULL;
	janus_mutex_unlock(&placement_mutex);
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
	json_object_set_new(reply, "auth", json_string(convene_tcfg.auth.none ? "none" : "jwt"));
	json_object_set_new(reply, "resume_grace", json_integer(convene_tcfg.resume_grace));
	/* Room affinity: PeerConnections placed per event loop, and rooms */
	json_t *loops = json_object();
	janus_mutex_lock(&placement_mutex);
	json_object_set_new(loops, "affinity", placement ? json_true() : json_false());
	if(placement != NULL) {
		json_t *load = json_array();
		int count = janus_ice_get_static_event_loops();
		for(int i = 0; i < count; i++)
			json_array_append_new(load, json_integer(cv_placement_load(placement, i)));
		json_object_set_new(loops, "placed", load);
		json_object_set_new(loops, "rooms", json_integer(cv_placement_rooms(placement)));
	}
	janus_mutex_unlock(&placement_mutex);
	json_object_set_new(reply, "event_loops", loops);
	return reply;
}
