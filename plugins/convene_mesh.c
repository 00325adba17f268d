/*
 * convene_mesh.c - relaying offer/answer/ice-candidate between the members
 * of a mesh room, with the first-offer gate of src/cv_mesh.h.
 *
 * Each session remembers, per peer user id, whether it has answered that
 * peer (mesh_answered), offered to it (mesh_offered), when an offer of that
 * peer was delivered to it (mesh_offer_from), and which frames for it are
 * being held (mesh_held, in order). Held frames are released when the pair
 * settles (an offer or answer changes the pair's state) or when a window
 * lapses (convene_mesh_tick, run by the handler thread every 100 ms). A
 * newcomer's answer makes its held offers stale: they are discarded.
 *
 * Handler thread only.
 */
#include <string.h>

#include "convene.h"
#include "cv_mesh.h"

/* Frames held for one target, at most this many. */
#define CONVENE_MESH_HELD_MAX 128

/* Sessions holding frames (a session set: each with a reference). */
static GHashTable *mesh_holders = NULL;

static cv_mesh_pair convene_mesh_pair(convene_session *sender, convene_session *target) {
	gint64 *delivered = g_hash_table_lookup(sender->mesh_offer_from, target->user_id);
	cv_mesh_pair pair = {
		.sender_joined_us = sender->joined_at,
		.target_joined_us = target->joined_at,
		.sender_answered_target = g_hash_table_contains(sender->mesh_answered, target->user_id),
		.target_offered_sender = g_hash_table_contains(target->mesh_offered, sender->user_id),
		.target_offer_delivered_us = delivered ? *delivered : 0,
	};
	return pair;
}

/* Delivers one frame; an offer delivered is remembered at the target. */
static void convene_mesh_deliver(convene_session *sender, convene_session *target, json_t *frame) {
	convene_send(target, NULL, frame, NULL);
	const char *type = json_string_value(json_object_get(frame, "type"));
	if(type != NULL && strcmp(type, "offer") == 0 && !g_hash_table_contains(target->mesh_offer_from, sender->user_id))
		g_hash_table_insert(target->mesh_offer_from, g_strdup(sender->user_id), g_memdup2(&(gint64){ g_get_monotonic_time() }, sizeof(gint64)));
}

/* The sender answered: the offers it holds for target are stale. */
static void convene_mesh_discard_offers(convene_session *sender, convene_session *target) {
	GQueue *held = g_hash_table_lookup(sender->mesh_held, target->user_id);
	for(GList *l = held ? held->head : NULL; l != NULL; ) {
		GList *next = l->next;
		const char *type = json_string_value(json_object_get(l->data, "type"));
		if(type != NULL && strcmp(type, "offer") == 0) {
			json_decref(l->data);
			g_queue_delete_link(held, l);
		}
		l = next;
	}
	if(held != NULL && g_queue_is_empty(held))
		g_hash_table_remove(sender->mesh_held, target->user_id);
}

/* Delivers what sender holds for target, if the pair is ready now. */
static void convene_mesh_release(convene_session *sender, convene_session *target) {
	GQueue *held = g_hash_table_lookup(sender->mesh_held, target->user_id);
	if(held == NULL)
		return;
	cv_mesh_pair pair = convene_mesh_pair(sender, target);
	if(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &pair, g_get_monotonic_time()) != CV_MESH_RELAY)
		return;
	json_t *frame;
	while((frame = g_queue_pop_head(held)) != NULL) {
		convene_mesh_deliver(sender, target, frame);
		json_decref(frame);
	}
	g_hash_table_remove(sender->mesh_held, target->user_id);
}

static void convene_mesh_hold(convene_session *sender, const char *target_id, json_t *frame) {
	GQueue *held = g_hash_table_lookup(sender->mesh_held, target_id);
	if(held == NULL) {
		held = g_queue_new();
		g_hash_table_insert(sender->mesh_held, g_strdup(target_id), held);
	}
	if(g_queue_get_length(held) >= CONVENE_MESH_HELD_MAX)
		return;
	g_queue_push_tail(held, json_incref(frame));
	if(mesh_holders == NULL)
		mesh_holders = convene_session_set_new();
	convene_session_set_add(mesh_holders, sender);
}

void convene_mesh_relay(convene_session *sender, convene_session *target, cv_msg_type type, json_t *frame) {
	cv_mesh_pair pair = convene_mesh_pair(sender, target);
	cv_mesh_action action = cv_mesh_gate(type, &pair, g_get_monotonic_time());
	/* Keep the sender's order: behind frames already held for this target
	 * (but an answer goes first: the held candidates belong to it) */
	if(action == CV_MESH_RELAY && type != CV_MSG_ANSWER && g_hash_table_contains(sender->mesh_held, target->user_id))
		action = CV_MESH_HOLD;
	if(type == CV_MSG_OFFER)
		g_hash_table_add(sender->mesh_offered, g_strdup(target->user_id));
	if(action == CV_MESH_HOLD) {
		convene_mesh_hold(sender, target->user_id, frame);
	} else {
		convene_mesh_deliver(sender, target, frame);
		if(type == CV_MSG_ANSWER) {
			g_hash_table_add(sender->mesh_answered, g_strdup(target->user_id));
			convene_mesh_discard_offers(sender, target);
		}
	}
	/* The pair may be ready now, in either direction */
	convene_mesh_release(sender, target);
	convene_mesh_release(target, sender);
}

void convene_mesh_forget(convene_session *session, const char *user_id) {
	g_hash_table_remove(session->mesh_answered, user_id);
	g_hash_table_remove(session->mesh_offered, user_id);
	g_hash_table_remove(session->mesh_offer_from, user_id);
	g_hash_table_remove(session->mesh_held, user_id);
}

void convene_mesh_reset(convene_session *session) {
	g_hash_table_remove_all(session->mesh_answered);
	g_hash_table_remove_all(session->mesh_offered);
	g_hash_table_remove_all(session->mesh_offer_from);
	g_hash_table_remove_all(session->mesh_held);
}

void convene_mesh_tick(void) {
	if(mesh_holders == NULL || g_hash_table_size(mesh_holders) == 0)
		return;
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, mesh_holders);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		convene_session *sender = key;
		if(sender->room != NULL && !g_atomic_int_get(&sender->destroyed)) {
			GList *targets = g_hash_table_get_keys(sender->mesh_held);
			for(GList *l = targets; l != NULL; l = l->next) {
				char *target_id = g_strdup(l->data);
				convene_session *target = convene_room_find(sender->room, target_id);
				if(target != NULL) {
					convene_mesh_release(sender, target);
					janus_refcount_decrease(&target->ref);
				} else {
					g_hash_table_remove(sender->mesh_held, target_id);
				}
				g_free(target_id);
			}
			g_list_free(targets);
		} else {
			g_hash_table_remove_all(sender->mesh_held);
		}
		if(g_hash_table_size(sender->mesh_held) == 0)
			g_hash_table_iter_remove(&iter);
	}
}

void convene_mesh_deinit(void) {
	if(mesh_holders != NULL)
		g_hash_table_destroy(mesh_holders);
	mesh_holders = NULL;
}
