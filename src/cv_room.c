/*
 * cv_room.c - room membership (see cv_room.h).
 *
 * Members are kept in an array in join order: rooms are small (tens, at most
 * a few hundred members), so a linear scan beats a hash table here and keeps
 * the order the `joined` list needs.
 */
#include <stdlib.h>
#include <string.h>

#include "cv_envelope.h"
#include "cv_room.h"

typedef struct cv_room_member {
	char *user_id;
	void *member;
} cv_room_member;

struct cv_room {
	char *id;
	cv_topology topology;
	unsigned int max_participants;
	cv_room_member *members;
	size_t size, capacity;
};

bool cv_topology_parse(const char *text, cv_topology *out) {
	if(text == NULL)
		return false;
	if(strcmp(text, "sfu") == 0) {
		*out = CV_TOPOLOGY_SFU;
		return true;
	}
	if(strcmp(text, "mesh") == 0) {
		*out = CV_TOPOLOGY_MESH;
		return true;
	}
	return false;
}

const char *cv_topology_name(cv_topology topology) {
	return topology == CV_TOPOLOGY_MESH ? "mesh" : "sfu";
}

bool cv_create_policy_parse(const char *text, cv_create_policy *out) {
	static const struct { const char *name; cv_create_policy policy; } names[] = {
		{ "never", CV_CREATE_NEVER }, { "grant", CV_CREATE_GRANT }, { "anyone", CV_CREATE_ANYONE },
	};
	for(size_t i = 0; text != NULL && i < sizeof(names)/sizeof(names[0]); i++) {
		if(strcmp(text, names[i].name) == 0) {
			*out = names[i].policy;
			return true;
		}
	}
	return false;
}

bool cv_may_create_room(cv_create_policy p, const cv_grants *grants) {
	switch(p) {
		case CV_CREATE_ANYONE:
			return true;
		case CV_CREATE_GRANT:
			return grants != NULL && grants->create;
		case CV_CREATE_NEVER:
		default:
			return false;
	}
}

cv_room *cv_room_new(const char *id, cv_topology topology, unsigned int max_participants) {
	if(!cv_id_valid(id))
		return NULL;
	cv_room *room = calloc(1, sizeof(*room));
	if(room == NULL)
		return NULL;
	room->id = strdup(id);
	room->topology = topology;
	room->max_participants = max_participants;
	if(room->id == NULL) {
		free(room);
		return NULL;
	}
	return room;
}

void cv_room_free(cv_room *room) {
	if(room == NULL)
		return;
	for(size_t i = 0; i < room->size; i++)
		free(room->members[i].user_id);
	free(room->members);
	free(room->id);
	free(room);
}

const char *cv_room_id(const cv_room *room) {
	return room->id;
}

cv_topology cv_room_topology(const cv_room *room) {
	return room->topology;
}

unsigned int cv_room_max_participants(const cv_room *room) {
	return room->max_participants;
}

size_t cv_room_size(const cv_room *room) {
	return room->size;
}

/* Index of user_id, or -1. */
static long cv_room_index(const cv_room *room, const char *user_id) {
	for(size_t i = 0; user_id != NULL && i < room->size; i++) {
		if(strcmp(room->members[i].user_id, user_id) == 0)
			return (long)i;
	}
	return -1;
}

cv_error_code cv_room_add(cv_room *room, const char *user_id, void *member) {
	if(!cv_id_valid(user_id))
		return CV_ERR_BAD_REQUEST;
	if(cv_room_index(room, user_id) >= 0)
		return CV_ERR_CONFLICT;
	if(room->max_participants > 0 && room->size >= room->max_participants)
		return CV_ERR_ROOM_FULL;
	if(room->size == room->capacity) {
		size_t capacity = room->capacity ? room->capacity * 2 : 8;
		cv_room_member *grown = realloc(room->members, capacity * sizeof(*grown));
		if(grown == NULL)
			return CV_ERR_INTERNAL;
		room->members = grown;
		room->capacity = capacity;
	}
	char *copy = strdup(user_id);
	if(copy == NULL)
		return CV_ERR_INTERNAL;
	room->members[room->size].user_id = copy;
	room->members[room->size].member = member;
	room->size++;
	return CV_OK;
}

void *cv_room_remove(cv_room *room, const char *user_id) {
	long i = cv_room_index(room, user_id);
	if(i < 0)
		return NULL;
	void *member = room->members[i].member;
	free(room->members[i].user_id);
	memmove(&room->members[i], &room->members[i + 1], (room->size - (size_t)i - 1) * sizeof(room->members[0]));
	room->size--;
	return member;
}

void *cv_room_find(const cv_room *room, const char *user_id) {
	long i = cv_room_index(room, user_id);
	return i < 0 ? NULL : room->members[i].member;
}

void *cv_room_member_at(const cv_room *room, size_t i) {
	return i < room->size ? room->members[i].member : NULL;
}

const char *cv_room_user_at(const cv_room *room, size_t i) {
	return i < room->size ? room->members[i].user_id : NULL;
}
