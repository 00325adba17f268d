/*
 * convene_frames.c - building and pushing server->client frames.
 *
 * Every frame the plugin sends goes through here, so they all carry the
 * server `timestamp` and the same shape (docs/protocol.md, "Envelope").
 * Pushing happens with no plugin lock held: callers pass sessions they hold
 * references to (see convene_room_others).
 */
#include "convene.h"
#include "cv_time.h"

json_t *convene_frame(const char *type, const char *room_id, const char *user_id, json_t *request_id) {
	json_t *frame = json_object();
	json_object_set_new(frame, "type", json_string(type));
	if(room_id != NULL)
		json_object_set_new(frame, "roomId", json_string(room_id));
	if(user_id != NULL)
		json_object_set_new(frame, "userId", json_string(user_id));
	if(request_id != NULL)
		json_object_set_new(frame, "requestId", json_deep_copy(request_id));
	json_object_set_new(frame, "timestamp", json_integer(cv_now_ms()));
	return frame;
}

void convene_send(convene_session *session, const char *transaction, json_t *frame, json_t *jsep) {
	if(session == NULL || g_atomic_int_get(&session->destroyed))
		return;
	int res = convene_gateway->push_event(session->handle, &convene_plugin, transaction, frame, jsep);
	if(res != 0)
		JANUS_LOG(LOG_VERB, "[convene] push_event failed (%d) for a %s frame\n", res,
			json_string_value(json_object_get(frame, "type")));
}

void convene_send_error(convene_session *session, const char *transaction,
		cv_error_code code, const char *message, json_t *request_id) {
	json_t *frame = cv_error_frame(code, message, request_id);
	convene_send(session, transaction, frame, NULL);
	json_decref(frame);
}

void convene_send_all(GPtrArray *sessions, json_t *frame) {
	for(guint i = 0; sessions != NULL && i < sessions->len; i++)
		convene_send(g_ptr_array_index(sessions, i), NULL, frame, NULL);
}

json_t *convene_participant_json(convene_session *session) {
	json_t *p = json_object();
	janus_mutex_lock(&session->mutex);
	json_object_set_new(p, "userId", json_string(session->user_id));
	json_object_set_new(p, "displayName", json_string(session->display_name ? session->display_name : session->user_id));
	json_object_set_new(p, "media", json_pack("{sbsb}", "audio", session->audio_on, "video", session->video_on));
	janus_mutex_unlock(&session->mutex);
	return p;
}
