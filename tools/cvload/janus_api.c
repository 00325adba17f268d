/*
 * janus_api.c - a Janus API client session over WebSocket (see janus_api.h).
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cvl.h"
#include "janus_api.h"
#include "ws.h"

#define CVL_JANUS_KEEPALIVE_S 20

typedef struct cvl_janus_pending {
	cvl_janus_reply_fn fn;
	void *user;
} cvl_janus_pending;

struct cvl_janus {
	cvl_ws *ws;
	uint64_t session;
	GHashTable *pending;		/* transaction -> cvl_janus_pending */
	uint64_t next_tx;
	guint keepalive;
	bool closed;
	cvl_janus_cbs cbs;
	void *user;
};

uint64_t cvl_janus_reply_id(json_t *reply) {
	if(reply == NULL || g_strcmp0(json_string_value(json_object_get(reply, "janus")), "success") != 0)
		return 0;
	return (uint64_t)json_integer_value(json_object_get(json_object_get(reply, "data"), "id"));
}

json_t *cvl_janus_plugin_data(json_t *msg) {
	json_t *d = json_object_get(json_object_get(msg, "plugindata"), "data");
	return json_is_object(d) ? d : NULL;
}

char *cvl_janus_error_text(json_t *reply) {
	if(reply == NULL)
		return g_strdup("no reply");
	json_t *err = json_object_get(reply, "error");
	if(json_is_object(err)) {
		const char *reason = json_string_value(json_object_get(err, "reason"));
		return g_strdup_printf("Janus error %lld: %s", (long long)json_integer_value(json_object_get(err, "code")),
			reason ? reason : "");
	}
	json_t *pd = cvl_janus_plugin_data(reply);
	if(pd != NULL && json_object_get(pd, "error") != NULL) {
		const char *reason = json_string_value(json_object_get(pd, "error"));
		return g_strdup_printf("plugin error %lld: %s", (long long)json_integer_value(json_object_get(pd, "error_code")),
			reason ? reason : "");
	}
	return NULL;
}

/* Sends msg (stolen) with a new transaction; fn gets the reply. */
static void cvl_janus_send(cvl_janus *j, json_t *msg, cvl_janus_reply_fn fn, void *user) {
	if(msg == NULL) {
		cvl_error("internal: a Janus request could not be built");
		return;
	}
	char tx[32];
	snprintf(tx, sizeof(tx), "t%" G_GUINT64_FORMAT, ++j->next_tx);
	json_object_set_new(msg, "transaction", json_string(tx));
	if(j->session != 0)
		json_object_set_new(msg, "session_id", json_integer((json_int_t)j->session));
	if(fn != NULL) {
		cvl_janus_pending *p = g_new0(cvl_janus_pending, 1);
		p->fn = fn;
		p->user = user;
		g_hash_table_insert(j->pending, g_strdup(tx), p);
	}
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	cvl_log(3, "janus > %s\n", text);
	cvl_ws_send_text(j->ws, text);
	free(text);
}

static gboolean cvl_janus_keepalive(gpointer data) {
	cvl_janus *j = data;
	if(j->closed || j->session == 0)
		return G_SOURCE_CONTINUE;
	json_t *msg = json_pack("{ss}", "janus", "keepalive");
	cvl_janus_send(j, msg, NULL, NULL);
	return G_SOURCE_CONTINUE;
}

static void cvl_janus_created(void *user, json_t *reply) {
	cvl_janus *j = user;
	uint64_t id = cvl_janus_reply_id(reply);
	if(id == 0) {
		char *why = cvl_janus_error_text(reply);
		cvl_error("Janus session create failed: %s", why ? why : "?");
		g_free(why);
		if(j->cbs.on_ready != NULL)
			j->cbs.on_ready(j->user, false);
		return;
	}
	j->session = id;
	j->keepalive = g_timeout_add_seconds(CVL_JANUS_KEEPALIVE_S, cvl_janus_keepalive, j);
	if(j->cbs.on_ready != NULL)
		j->cbs.on_ready(j->user, true);
}

static void cvl_janus_on_open(void *user) {
	cvl_janus *j = user;
	cvl_janus_send(j, json_pack("{ss}", "janus", "create"), cvl_janus_created, j);
}

static void cvl_janus_on_text(void *user, const char *text, size_t len) {
	cvl_janus *j = user;
	cvl_log(3, "janus < %s\n", text);
	json_error_t err;
	json_t *msg = json_loadb(text, len, 0, &err);
	if(!json_is_object(msg)) {
		json_decref(msg);
		cvl_error("Janus sent something that is not a JSON object");
		return;
	}
	const char *kind = json_string_value(json_object_get(msg, "janus"));
	const char *tx = json_string_value(json_object_get(msg, "transaction"));
	if(g_strcmp0(kind, "ack") == 0) {
		json_decref(msg);
		return;
	}
	cvl_janus_pending *p = tx != NULL ? g_hash_table_lookup(j->pending, tx) : NULL;
	if(p != NULL) {
		cvl_janus_pending copy = *p;
		g_hash_table_remove(j->pending, tx);
		copy.fn(copy.user, msg);
	} else if(j->cbs.on_event != NULL) {
		j->cbs.on_event(j->user, (uint64_t)json_integer_value(json_object_get(msg, "sender")), msg);
	}
	json_decref(msg);
}

static void cvl_janus_on_close(void *user, int code, const char *reason) {
	cvl_janus *j = user;
	if(j->closed)
		return;
	j->closed = true;
	if(j->session == 0 && j->cbs.on_ready != NULL) {
		cvl_error("Janus WebSocket closed before the session was created (%d %s)", code, reason);
		j->cbs.on_ready(j->user, false);
		return;
	}
	if(j->cbs.on_close != NULL)
		j->cbs.on_close(j->user);
}

cvl_janus *cvl_janus_new(const char *url, const cvl_janus_cbs *cbs, void *user) {
	cvl_janus *j = g_new0(cvl_janus, 1);
	j->cbs = *cbs;
	j->user = user;
	j->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	static const cvl_ws_cbs wcbs = {
		.on_open = cvl_janus_on_open,
		.on_text = cvl_janus_on_text,
		.on_close = cvl_janus_on_close,
	};
	j->ws = cvl_ws_connect(url, "janus-protocol", &wcbs, j);
	if(j->ws == NULL) {
		cvl_error("cannot connect to %s", url);
		g_hash_table_destroy(j->pending);
		g_free(j);
		return NULL;
	}
	return j;
}

void cvl_janus_attach(cvl_janus *j, const char *plugin, cvl_janus_reply_fn fn, void *user) {
	cvl_janus_send(j, json_pack("{ssss}", "janus", "attach", "plugin", plugin), fn, user);
}

void cvl_janus_message(cvl_janus *j, uint64_t handle, json_t *body, json_t *jsep, cvl_janus_reply_fn fn, void *user) {
	json_t *msg = json_pack("{sssIso}", "janus", "message", "handle_id", (json_int_t)handle, "body", body);
	if(jsep != NULL)
		json_object_set_new(msg, "jsep", jsep);
	cvl_janus_send(j, msg, fn, user);
}

void cvl_janus_close(cvl_janus *j) {
	if(j == NULL || j->closed)
		return;
	if(j->session != 0)
		cvl_janus_send(j, json_pack("{ss}", "janus", "destroy"), NULL, NULL);
	j->closed = true;
	if(j->keepalive) {
		g_source_remove(j->keepalive);
		j->keepalive = 0;
	}
	g_hash_table_remove_all(j->pending);
	cvl_ws_close(j->ws);
}
