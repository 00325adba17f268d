/*
 * convene_rooms.c - the room registry: configured rooms, rooms created on
 * first join, membership with references.
 *
 * Rooms named in janus.plugin.convene.jcfg live as long as the plugin.
 * Rooms created on join disappear when their last member leaves. The
 * registry (rooms, under rooms_mutex) holds one reference per room; each
 * member session holds one as long as it is in the room.
 *
 * Membership changes only on the handler thread, under room->mutex, so
 * readers on other threads (admin API) see a consistent list.
 *
 * Lock order: rooms_mutex -> room->mutex -> session->mutex.
 */
#include <string.h>

#include <utils.h>

#include "convene.h"
#include "cv_time.h"

static GHashTable *rooms = NULL;	/* id -> convene_room (a reference) */
static janus_mutex rooms_mutex = JANUS_MUTEX_INITIALIZER;
/* user id -> the session in a room with it, server-wide (no reference: an
 * entry lives exactly as long as that membership). Never held with another
 * lock. */
static GHashTable *users = NULL;
static janus_mutex users_mutex = JANUS_MUTEX_INITIALIZER;

static void convene_room_free(const janus_refcount *ref) {
	convene_room *room = janus_refcount_containerof(ref, convene_room, ref);
	cv_room_free(room->members);
	g_free(room->id);
	g_free(room->description);
	g_strfreev(room->allowed_users);
	g_free(room->pin);
	cv_bans_clear(&room->bans);
	janus_mutex_destroy(&room->mutex);
	g_free(room);
}

void convene_room_unref(convene_room *room) {
	if(room != NULL)
		janus_refcount_decrease(&room->ref);
}

/* Creates a room object (one reference, the caller's). */
static convene_room *convene_room_new(const char *id, cv_topology topology,
		unsigned int max_participants, gboolean configured) {
	cv_room *members = cv_room_new(id, topology, max_participants);
	if(members == NULL)
		return NULL;
	convene_room *room = g_malloc0(sizeof(convene_room));
	room->id = g_strdup(id);
	room->members = members;
	room->configured = configured;
	room->max_publishers = convene_cfg.default_max_publishers;
	cv_bans_init(&room->bans);
	janus_mutex_init(&room->mutex);
	janus_refcount_init(&room->ref, convene_room_free);
	return room;
}

/* Reads one `room-*` category of the config. */
static int convene_room_from_config(janus_config *config, janus_config_category *cat) {
	const char *fallback_id = cat->name + strlen("room-");
	janus_config_item *id = janus_config_get(config, cat, janus_config_type_item, "id");
	janus_config_item *topology = janus_config_get(config, cat, janus_config_type_item, "topology");
	janus_config_item *max = janus_config_get(config, cat, janus_config_type_item, "max_participants");
	janus_config_item *desc = janus_config_get(config, cat, janus_config_type_item, "description");
	janus_config_item *max_pub = janus_config_get(config, cat, janus_config_type_item, "max_publishers");
	janus_config_item *priv = janus_config_get(config, cat, janus_config_type_item, "private");
	janus_config_item *allowed = janus_config_get(config, cat, janus_config_type_item, "allowed_users");
	janus_config_item *pin = janus_config_get(config, cat, janus_config_type_item, "pin");
	const char *room_id = (id && id->value) ? id->value : fallback_id;
	cv_topology topo = convene_cfg.default_topology;
	if(topology && topology->value && !cv_topology_parse(topology->value, &topo)) {
		JANUS_LOG(LOG_ERR, "[convene] room %s: topology must be sfu or mesh\n", room_id);
		return -1;
	}
	unsigned int limit = (max && max->value) ? (unsigned int)atoi(max->value) : convene_cfg.default_max_participants;
	convene_room *room = convene_room_new(room_id, topo, limit, TRUE);
	if(room == NULL) {
		JANUS_LOG(LOG_ERR, "[convene] room id \"%s\" is not valid\n", room_id);
		return -1;
	}
	room->description = g_strdup((desc && desc->value) ? desc->value : room_id);
	room->max_publishers = (max_pub && max_pub->value) ? (unsigned int)atoi(max_pub->value) : convene_cfg.default_max_publishers;
	room->private_room = priv && priv->value && janus_is_true(priv->value);
	if(allowed && allowed->value) {
		room->allowed_users = g_strsplit(allowed->value, ",", -1);
		for(int i = 0; room->allowed_users[i] != NULL; i++)
			g_strstrip(room->allowed_users[i]);
	}
	if(pin && pin->value && *pin->value)
		room->pin = g_strdup(pin->value);
	janus_mutex_lock(&rooms_mutex);
	g_hash_table_insert(rooms, room->id, room);
	janus_mutex_unlock(&rooms_mutex);
	JANUS_LOG(LOG_INFO, "[convene] room %s (%s, max %u)\n", room_id, cv_topology_name(topo), limit);
	return 0;
}

int convene_rooms_init(janus_config *config) {
	rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)convene_room_unref);
	users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if(config == NULL)
		return 0;
	GList *cats = janus_config_get_categories(config, NULL), *cl = cats;
	int res = 0;
	for(; cl != NULL && res == 0; cl = cl->next) {
		janus_config_category *cat = cl->data;
		if(cat->name != NULL && g_str_has_prefix(cat->name, "room-"))
			res = convene_room_from_config(config, cat);
	}
	g_list_free(cats);
	return res;
}

void convene_rooms_deinit(void) {
	janus_mutex_lock(&rooms_mutex);
	if(rooms != NULL)
		g_hash_table_destroy(rooms);
	rooms = NULL;
	janus_mutex_unlock(&rooms_mutex);
	janus_mutex_lock(&users_mutex);
	if(users != NULL)
		g_hash_table_destroy(users);
	users = NULL;
	janus_mutex_unlock(&users_mutex);
}

convene_session *convene_users_find(const char *user_id) {
	janus_mutex_lock(&users_mutex);
	convene_session *session = (users && user_id) ? g_hash_table_lookup(users, user_id) : NULL;
	if(session != NULL)
		janus_refcount_increase(&session->ref);
	janus_mutex_unlock(&users_mutex);
	return session;
}

convene_room *convene_rooms_lookup(const char *id) {
	janus_mutex_lock(&rooms_mutex);
	convene_room *room = (rooms && id) ? g_hash_table_lookup(rooms, id) : NULL;
	if(room != NULL)
		janus_refcount_increase(&room->ref);
	janus_mutex_unlock(&rooms_mutex);
	return room;
}

convene_room *convene_rooms_get_or_create(const char *id, gboolean may_create, cv_error *err) {
	janus_mutex_lock(&rooms_mutex);
	convene_room *room = g_hash_table_lookup(rooms, id);
	if(room == NULL && may_create && convene_cfg.max_rooms > 0 && g_hash_table_size(rooms) >= convene_cfg.max_rooms) {
		janus_mutex_unlock(&rooms_mutex);
		if(err != NULL) {
			err->code = CV_ERR_ROOM_FULL;
			err->message = "the server has its maximum number of rooms";
		}
		return NULL;
	}
	if(room == NULL && may_create) {
		room = convene_room_new(id, convene_cfg.default_topology, convene_cfg.default_max_participants, FALSE);
		if(room != NULL) {
			g_hash_table_insert(rooms, room->id, room);
			JANUS_LOG(LOG_INFO, "[convene] created room %s on join\n", id);
		}
	}
	if(room != NULL)
		janus_refcount_increase(&room->ref);
	janus_mutex_unlock(&rooms_mutex);
	if(room == NULL && err != NULL) {
		err->code = CV_ERR_NOT_FOUND;
		err->message = may_create ? "cannot create this room" : "no such room";
	}
	return room;
}

void convene_rooms_forget_if_empty(convene_room *room) {
	if(room == NULL || room->configured)
		return;
	janus_mutex_lock(&rooms_mutex);
	janus_mutex_lock(&room->mutex);
	gboolean empty = cv_room_size(room->members) == 0;
	janus_mutex_unlock(&room->mutex);
	if(empty && g_hash_table_lookup(rooms, room->id) == room) {
		g_atomic_int_set(&room->destroyed, 1);
		g_hash_table_remove(rooms, room->id);	/* drops the registry's reference */
		JANUS_LOG(LOG_INFO, "[convene] room %s is empty: removed\n", room->id);
	}
	janus_mutex_unlock(&rooms_mutex);
}

cv_error_code convene_room_add(convene_room *room, convene_session *session) {
	janus_mutex_lock(&room->mutex);
	cv_error_code res = cv_room_add(room->members, session->user_id, session);
	if(res == CV_OK)
		janus_refcount_increase(&session->ref);
	janus_mutex_unlock(&room->mutex);
	if(res == CV_OK) {
		janus_mutex_lock(&users_mutex);
		g_hash_table_insert(users, g_strdup(session->user_id), session);
		janus_mutex_unlock(&users_mutex);
	}
	return res;
}

void convene_room_remove(convene_room *room, convene_session *session) {
	janus_mutex_lock(&room->mutex);
	convene_session *member = NULL;
	if(session->user_id != NULL && cv_room_find(room->members, session->user_id) == session)
		member = cv_room_remove(room->members, session->user_id);
	janus_mutex_unlock(&room->mutex);
	if(member != NULL) {
		janus_mutex_lock(&users_mutex);
		if(g_hash_table_lookup(users, member->user_id) == member)
			g_hash_table_remove(users, member->user_id);
		janus_mutex_unlock(&users_mutex);
		janus_refcount_decrease(&member->ref);
	}
}

convene_session *convene_room_find(convene_room *room, const char *user_id) {
	janus_mutex_lock(&room->mutex);
	convene_session *member = cv_room_find(room->members, user_id);
	if(member != NULL)
		janus_refcount_increase(&member->ref);
	janus_mutex_unlock(&room->mutex);
	return member;
}

GPtrArray *convene_room_others(convene_room *room, convene_session *except) {
	GPtrArray *list = g_ptr_array_new();
	janus_mutex_lock(&room->mutex);
	for(size_t i = 0; i < cv_room_size(room->members); i++) {
		convene_session *member = cv_room_member_at(room->members, i);
		if(member == except)
			continue;
		janus_refcount_increase(&member->ref);
		g_ptr_array_add(list, member);
	}
	janus_mutex_unlock(&room->mutex);
	return list;
}

static void convene_session_unref(gpointer session) {
	janus_refcount_decrease(&((convene_session *)session)->ref);
}

GHashTable *convene_session_set_new(void) {
	return g_hash_table_new_full(NULL, NULL, convene_session_unref, NULL);
}

void convene_session_set_add(GHashTable *set, convene_session *session) {
	if(g_hash_table_contains(set, session))
		return;
	janus_refcount_increase(&session->ref);
	g_hash_table_add(set, session);
}

void convene_sessions_release(GPtrArray *list) {
	if(list == NULL)
		return;
	for(guint i = 0; i < list->len; i++) {
		convene_session *session = g_ptr_array_index(list, i);
		janus_refcount_decrease(&session->ref);
	}
	g_ptr_array_free(list, TRUE);
}

gboolean convene_room_admits(convene_room *room, const cv_claims *claims, const char *user_id,
		const char *token, const char *pin, cv_error *err) {
	cv_access rules = {
		.private_room = room->private_room,
		.allowed_users = (const char *const *)room->allowed_users,
		.pin = room->pin,
	};
	if(!cv_access_check(&rules, room->id, claims, user_id, pin, err))
		return FALSE;
	if(cv_bans_check(&room->bans, token, user_id, cv_now_s())) {
		err->code = CV_ERR_FORBIDDEN;
		err->message = "you were removed from this room";
		return FALSE;
	}
	return TRUE;
}

void convene_room_ban(convene_room *room, convene_session *session) {
	if(convene_cfg.kick_ban_s > 0 || (convene_cfg.kick_ban_s < 0 && session->token == NULL)) {
		/* By user id, for kick_ban seconds (or 5 minutes without a token) */
		int64_t ban = convene_cfg.kick_ban_s > 0 ? convene_cfg.kick_ban_s : 300;
		cv_bans_add_user(&room->bans, session->user_id, cv_now_s() + ban);
	} else if(convene_cfg.kick_ban_s < 0) {
		/* That token, until it expires */
		cv_bans_add_token(&room->bans, session->token, session->token_exp);
	}
}

cv_topology convene_room_topology(convene_room *room) {
	return cv_room_topology(room->members);
}

unsigned int convene_room_max_participants(convene_room *room) {
	return cv_room_max_participants(room->members);
}

json_t *convene_rooms_describe(void) {
	json_t *list = json_array();
	janus_mutex_lock(&rooms_mutex);
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, rooms);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		convene_room *room = value;
		json_t *r = json_object();
		json_object_set_new(r, "roomId", json_string(room->id));
		json_object_set_new(r, "topology", json_string(cv_topology_name(convene_room_topology(room))));
		json_object_set_new(r, "maxParticipants", json_integer(convene_room_max_participants(room)));
		json_object_set_new(r, "maxPublishers", json_integer(room->max_publishers));
		json_object_set_new(r, "configured", json_boolean(room->configured));
		json_object_set_new(r, "private", json_boolean(room->private_room));
		json_object_set_new(r, "pin", json_boolean(room->pin != NULL));
		json_t *members = json_array();
		janus_mutex_lock(&room->mutex);
		for(size_t i = 0; i < cv_room_size(room->members); i++)
			json_array_append_new(members, json_string(cv_room_user_at(room->members, i)));
		janus_mutex_unlock(&room->mutex);
		json_object_set_new(r, "participants", members);
		json_array_append_new(list, r);
	}
	janus_mutex_unlock(&rooms_mutex);
	return list;
}
