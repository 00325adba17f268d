/*
 * convene_moderation.c - kicking participants, closing rooms, and the
 * plugin's admin API (Janus `message_plugin` requests).
 *
 * Admin API requests (docs/operations.md):
 *   {request: "list-rooms"}                         -> {rooms: [...]}
 *   {request: "kick", room, user, reason?}          -> {kicked: user}
 *   {request: "close-room", room, reason?}          -> {closed: room}
 * Errors: {error: {code, reason, message}} with the protocol's codes.
 *
 * Everything here runs on the handler thread (janus_convene.c hands admin
 * requests over to it and waits), so membership only ever changes there.
 */
#include <string.h>

#include "convene.h"

cv_error convene_moderation_kick(convene_room *room, const char *target_id, const char *reason) {
	cv_error err = { CV_OK, NULL };
	convene_session *target = target_id ? convene_room_find(room, target_id) : NULL;
	if(target == NULL) {
		err.code = CV_ERR_NOT_FOUND;
		err.message = "the target user is not in the room";
		return err;
	}
	json_t *frame = convene_frame("kicked", room->id, target_id, NULL);
	json_object_set_new(frame, "data", json_pack("{ss}", "reason", reason ? reason : "kicked"));
	convene_send(target, NULL, frame, NULL);
	json_decref(frame);
	/* The ban needs the target's token and id: before it leaves */
	convene_room_ban(room, target);
	JANUS_LOG(LOG_INFO, "[convene] %s kicked from %s (%s)\n", target_id, room->id, reason ? reason : "kicked");
	convene_leave_room(target, "kicked");
	janus_refcount_decrease(&target->ref);
	return err;
}

void convene_moderation_close_room(convene_room *room, const char *reason) {
	janus_refcount_increase(&room->ref);
	GPtrArray *members = convene_room_others(room, NULL);
	json_t *frame = convene_frame("room-closed", room->id, NULL, NULL);
	json_object_set_new(frame, "data", json_pack("{ss}", "reason", reason ? reason : "closed"));
	convene_send_all(members, frame);
	json_decref(frame);
	/* Everyone out, without telling the others one by one */
	room->closing = TRUE;
	for(guint i = 0; i < members->len; i++)
		convene_leave_room(g_ptr_array_index(members, i), "closed");
	room->closing = FALSE;
	convene_sessions_release(members);
	JANUS_LOG(LOG_INFO, "[convene] room %s closed (%s)\n", room->id, reason ? reason : "closed");
	convene_room_unref(room);
}

/* {error: {code, reason, message}} */
static json_t *convene_admin_error(cv_error_code code, const char *message) {
	json_t *frame = cv_error_frame(code, message, NULL);
	json_t *reply = json_pack("{sO}", "error", json_object_get(frame, "data"));
	json_decref(frame);
	return reply;
}

json_t *convene_admin_handle(json_t *request) {
	const char *what = json_string_value(json_object_get(request, "request"));
	if(what != NULL && strcmp(what, "list-rooms") == 0)
		return json_pack("{so}", "rooms", convene_rooms_describe());
	if(what == NULL || (strcmp(what, "kick") != 0 && strcmp(what, "close-room") != 0))
		return convene_admin_error(CV_ERR_BAD_REQUEST, "unknown admin request (known: list-rooms, kick, close-room)");
	const char *room_id = json_string_value(json_object_get(request, "room"));
	const char *reason = json_string_value(json_object_get(request, "reason"));
	convene_room *room = room_id ? convene_rooms_lookup(room_id) : NULL;
	if(room == NULL)
		return convene_admin_error(CV_ERR_NOT_FOUND, "no such room");
	json_t *reply;
	if(strcmp(what, "kick") == 0) {
		const char *user = json_string_value(json_object_get(request, "user"));
		cv_error err = convene_moderation_kick(room, user, reason);
		reply = err.code == CV_OK ? json_pack("{ss}", "kicked", user) : convene_admin_error(err.code, err.message);
	} else {
		convene_moderation_close_room(room, reason);
		reply = json_pack("{ss}", "closed", room_id);
	}
	convene_room_unref(room);
	return reply;
}
