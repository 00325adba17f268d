/*
 * cv_bridge.h - the mapping between protocol frames and Janus API messages.
 *
 * The Convene transport does not interpret room logic: it turns each client
 * frame into one Janus API request and each Janus message for the client back
 * into a protocol frame. The rules, all of them here:
 *
 *   client frame                               Janus request
 *   offer/answer to the server (no target,     message, body = frame without
 *     or targetUserId "sfu")                     `data`, jsep = data
 *   ice-candidate to the server                trickle, candidate = {candidate,
 *                                                sdpMid?, sdpMLineIndex?} of data
 *                                                ({completed:true} for null or "")
 *   anything else                              message, body = frame
 *
 *   Janus message                              client frame
 *   event with plugindata.data                 that frame; with a jsep, the
 *                                                frame's data = {type, sdp},
 *                                                with the frame's sdpRestore
 *                                                lines put back in the SDP
 *                                                (cv_sdp_restore.h)
 *   trickle (a server candidate)               ice-candidate from "sfu"
 *   error (for a client request)               error frame (cv_errors table)
 *   ack/success/keepalive/webrtcup/media/...   nothing
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_BRIDGE_H
#define CV_BRIDGE_H

#include <stdint.h>
#include <jansson.h>

#include "cv_envelope.h"

typedef enum cv_route {
	CV_ROUTE_MESSAGE = 0,	/* a plugin message, body only */
	CV_ROUTE_MESSAGE_JSEP,	/* a plugin message with a jsep */
	CV_ROUTE_TRICKLE,		/* a trickle request to the core */
} cv_route;

/* The body key of the transport's own notices to the plugin about a
 * client's socket ("detached": it dropped while in a room and is kept for a
 * resume). cv_bridge_request removes it from what clients send, so only
 * the transport can set it. */
#define CV_BRIDGE_TRANSPORT_EVENT "transportEvent"

/* How a validated client frame travels through the core. */
cv_route cv_bridge_route(const cv_envelope *env);

/* Builds the Janus API request for a validated client frame (msg, parsed
 * into env). msg is not modified. extra_body, when not NULL, is merged into
 * the body (its keys override the client's; used to hand the plugin the
 * verified token). A client's CV_BRIDGE_TRANSPORT_EVENT key is dropped.
 * Returns a new reference. */
json_t *cv_bridge_request(json_t *msg, const cv_envelope *env, uint64_t session_id,
	uint64_t handle_id, const char *transaction, json_t *extra_body);

/* The protocol frame a Janus message carries for the client, or NULL when it
 * carries none. Returns a new reference; janus_msg is not modified. Every
 * frame returned has a `timestamp`. */
json_t *cv_bridge_frame(json_t *janus_msg);

/* The protocol error frame for a Janus API error reply (janus:"error"), with
 * request_id echoed when not NULL. Returns a new reference. */
json_t *cv_bridge_error_frame(json_t *janus_error, json_t *request_id);

#endif
