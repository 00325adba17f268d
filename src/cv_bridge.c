/*
 * cv_bridge.c - protocol frames <-> Janus API messages (see cv_bridge.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cv_bridge.h"
#include "cv_errors.h"
#include "cv_sdp_restore.h"
#include "cv_time.h"

cv_route cv_bridge_route(const cv_envelope *env) {
	if(!cv_envelope_targets_server(env))
		return CV_ROUTE_MESSAGE;
	switch(env->type) {
		case CV_MSG_OFFER:
		case CV_MSG_ANSWER:
			return CV_ROUTE_MESSAGE_JSEP;
		case CV_MSG_ICE_CANDIDATE:
			return CV_ROUTE_TRICKLE;
		default:
			return CV_ROUTE_MESSAGE;
	}
}

/* The trickle candidate for an RTCIceCandidateInit (or null/"" = done). */
static json_t *cv_bridge_candidate(json_t *data) {
	const char *text = json_string_value(json_object_get(data, "candidate"));
	if(json_is_null(data) || text == NULL || *text == '\0')
		return json_pack("{sb}", "completed", 1);
	json_t *cand = json_object();
	json_object_set_new(cand, "candidate", json_string(text));
	json_t *mid = json_object_get(data, "sdpMid");
	if(json_is_string(mid))
		json_object_set(cand, "sdpMid", mid);
	json_t *index = json_object_get(data, "sdpMLineIndex");
	if(json_is_integer(index))
		json_object_set(cand, "sdpMLineIndex", index);
	return cand;
}

json_t *cv_bridge_request(json_t *msg, const cv_envelope *env, uint64_t session_id,
		uint64_t handle_id, const char *transaction, json_t *extra_body) {
	cv_route route = cv_bridge_route(env);
	json_t *req = json_object();
	json_object_set_new(req, "janus", json_string(route == CV_ROUTE_TRICKLE ? "trickle" : "message"));
	json_object_set_new(req, "session_id", json_integer((json_int_t)session_id));
	json_object_set_new(req, "handle_id", json_integer((json_int_t)handle_id));
	json_object_set_new(req, "transaction", json_string(transaction));
	if(route == CV_ROUTE_TRICKLE) {
		json_object_set_new(req, "candidate", cv_bridge_candidate(env->data));
		return req;
	}
	json_t *body = json_copy(msg);
	json_object_del(body, CV_BRIDGE_TRANSPORT_EVENT);
	if(route == CV_ROUTE_MESSAGE_JSEP) {
		json_t *jsep = json_object();
		json_object_set(jsep, "type", json_object_get(env->data, "type"));
		json_object_set(jsep, "sdp", json_object_get(env->data, "sdp"));
		json_object_set_new(req, "jsep", jsep);
		json_object_del(body, "data");
	}
	if(extra_body != NULL)
		json_object_update(body, extra_body);
	json_object_set_new(req, "body", body);
	return req;
}

json_t *cv_bridge_frame(json_t *janus_msg) {
	const char *kind = json_string_value(json_object_get(janus_msg, "janus"));
	if(kind == NULL)
		return NULL;
	json_t *frame = NULL;
	if(strcmp(kind, "event") == 0) {
		json_t *data = json_object_get(json_object_get(janus_msg, "plugindata"), "data");
		if(!json_is_object(data) || !json_is_string(json_object_get(data, "type")))
			return NULL;
		frame = json_copy(data);
		json_t *restore = json_incref(json_object_get(frame, CV_SDP_RESTORE_KEY));
		json_object_del(frame, CV_SDP_RESTORE_KEY);
		json_t *jsep = json_object_get(janus_msg, "jsep");
		if(json_is_object(jsep)) {
			json_t *desc = json_object();
			json_object_set(desc, "type", json_object_get(jsep, "type"));
			const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
			char *restored = restore != NULL ? cv_sdp_restore(sdp, restore) : NULL;
			if(restored != NULL)
				json_object_set_new(desc, "sdp", json_string(restored));
			else
				json_object_set(desc, "sdp", json_object_get(jsep, "sdp"));
			free(restored);
			json_object_set_new(frame, "data", desc);
		}
		json_decref(restore);
	} else if(strcmp(kind, "trickle") == 0) {
		json_t *cand = json_object_get(janus_msg, "candidate");
		if(!json_is_object(cand))
			return NULL;
		frame = json_object();
		json_object_set_new(frame, "type", json_string("ice-candidate"));
		json_object_set_new(frame, "userId", json_string(CV_SERVER_ID));
		if(json_is_true(json_object_get(cand, "completed"))) {
			json_object_set_new(frame, "data", json_null());
		} else {
			json_t *init = json_object();
			json_object_set(init, "candidate", json_object_get(cand, "candidate"));
			json_t *mid = json_object_get(cand, "sdpMid");
			json_object_set(init, "sdpMid", mid ? mid : json_null());
			json_t *index = json_object_get(cand, "sdpMLineIndex");
			json_object_set(init, "sdpMLineIndex", index ? index : json_null());
			json_object_set_new(frame, "data", init);
		}
	} else {
		return NULL;
	}
	if(!json_is_integer(json_object_get(frame, "timestamp")))
		json_object_set_new(frame, "timestamp", json_integer(cv_now_ms()));
	return frame;
}

json_t *cv_bridge_error_frame(json_t *janus_error, json_t *request_id) {
	json_t *error = json_object_get(janus_error, "error");
	json_int_t janus_code = json_integer_value(json_object_get(error, "code"));
	const char *reason = json_string_value(json_object_get(error, "reason"));
	cv_error_code code;
	switch(janus_code) {
		case 403:	/* unauthorized (core api secret / token) */
			code = CV_ERR_UNAUTHORIZED;
			break;
		case 454: case 455: case 456: case 457:	/* malformed request */
		case 464: case 465: case 466: case 467:	/* bad jsep, SDP, trickle */
		case 469:	/* unexpected answer */
			code = CV_ERR_BAD_REQUEST;
			break;
		case 471:	/* WebRTC state */
			code = CV_ERR_CONFLICT;
			break;
		default:
			code = CV_ERR_INTERNAL;
			break;
	}
	return cv_error_frame(code, reason, request_id);
}
