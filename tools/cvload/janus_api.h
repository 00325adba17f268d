/*
 * janus_api.h - the stock Janus API over its WebSocket transport
 * (subprotocol "janus-protocol"): one Janus session per object, handles,
 * transactions, keepalives.
 *
 * Replies are matched to requests by transaction: create/attach/keepalive
 * get "success"/"error"; a plugin message gets "ack" (skipped) and then an
 * "event" (or "success" for synchronous plugin requests, or "error") with
 * the same transaction. Everything else that arrives (events without a
 * pending transaction, webrtcup, media, hangup, slowlink, trickle,
 * detached) goes to on_event with the sender handle id.
 *
 * Main loop thread only. JSON given to these functions is stolen; JSON
 * handed to callbacks is borrowed.
 */
#ifndef CVL_JANUS_API_H
#define CVL_JANUS_API_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

typedef struct cvl_janus cvl_janus;

typedef void (*cvl_janus_reply_fn)(void *user, json_t *reply);

typedef struct cvl_janus_cbs {
	void (*on_ready)(void *user, bool ok);		/* session created, or not */
	void (*on_event)(void *user, uint64_t handle, json_t *msg);
	void (*on_close)(void *user);			/* the socket closed under us */
} cvl_janus_cbs;

cvl_janus *cvl_janus_new(const char *url, const cvl_janus_cbs *cbs, void *user);
/* Attaches a handle; reply is the "success" (data.id) or "error". */
void cvl_janus_attach(cvl_janus *j, const char *plugin, cvl_janus_reply_fn fn, void *user);
/* A plugin message (body, optional jsep); fn may be NULL. */
void cvl_janus_message(cvl_janus *j, uint64_t handle, json_t *body, json_t *jsep, cvl_janus_reply_fn fn, void *user);
/* Destroys the session and closes the socket; no more callbacks. */
void cvl_janus_close(cvl_janus *j);
/* The handle id of an attach reply, 0 on error. */
uint64_t cvl_janus_reply_id(json_t *reply);
/* plugindata.data of an event, or NULL. */
json_t *cvl_janus_plugin_data(json_t *msg);
/* A short description of an error reply ("error 458: ...") for logs;
 * NULL when the reply is not an error. g_free it. */
char *cvl_janus_error_text(json_t *reply);

#endif
