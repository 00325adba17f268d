/*
 * cv_room.h - room membership and the rules around it.
 *
 * A cv_room is the pure part of a room: its id, topology, participant limit
 * and the ordered list of members (user id + an opaque pointer the owner
 * attaches, e.g. the plugin's session). It enforces the invariants a
 * protocol user relies on: a user id is in a room at most once, a room never
 * exceeds maxParticipants, members are listed in join order.
 *
 * Not thread-safe: the owner serialises access (the plugin mutates rooms on
 * its handler thread under the room lock, see docs/locking.md).
 *
 * Pure logic: no Janus headers.
 */
#ifndef CV_ROOM_H
#define CV_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "cv_errors.h"
#include "cv_jwt.h"

typedef enum cv_topology {
	CV_TOPOLOGY_SFU = 0,
	CV_TOPOLOGY_MESH,
} cv_topology;

/* Who may create a room that is not configured, on first join. */
typedef enum cv_create_policy {
	CV_CREATE_NEVER = 0,	/* only configured rooms exist */
	CV_CREATE_GRANT,		/* tokens with the `create` grant */
	CV_CREATE_ANYONE,		/* anyone who may join (development) */
} cv_create_policy;

typedef struct cv_room cv_room;

/* Parses "sfu"/"mesh"; false for anything else. */
bool cv_topology_parse(const char *text, cv_topology *out);
/* "sfu" or "mesh" (static). */
const char *cv_topology_name(cv_topology topology);

/* Parses "never"/"grant"/"anyone"; false for anything else. */
bool cv_create_policy_parse(const char *text, cv_create_policy *out);
/* Whether a joiner with these grants may create a room under policy p. */
bool cv_may_create_room(cv_create_policy p, const cv_grants *grants);

/* Creates an empty room. id is copied; max_participants 0 means no limit.
 * Returns NULL when id is not a valid id. The caller frees with
 * cv_room_free. */
cv_room *cv_room_new(const char *id, cv_topology topology, unsigned int max_participants);
/* Frees the room; members' pointers are not touched. NULL is fine. */
void cv_room_free(cv_room *room);

const char *cv_room_id(const cv_room *room);
cv_topology cv_room_topology(const cv_room *room);
unsigned int cv_room_max_participants(const cv_room *room);
size_t cv_room_size(const cv_room *room);

/* Adds user_id with its member pointer at the end of the list.
 * Returns CV_OK, CV_ERR_CONFLICT when the user is already a member (the
 * caller decides whether to replace; checked before the limit),
 * CV_ERR_ROOM_FULL, CV_ERR_BAD_REQUEST for an invalid user id, or
 * CV_ERR_INTERNAL when out of memory. */
cv_error_code cv_room_add(cv_room *room, const char *user_id, void *member);
/* Removes user_id; returns its member pointer, or NULL if absent. */
void *cv_room_remove(cv_room *room, const char *user_id);
/* The member pointer of user_id, or NULL. */
void *cv_room_find(const cv_room *room, const char *user_id);
/* Members in join order: 0 <= i < cv_room_size(). */
void *cv_room_member_at(const cv_room *room, size_t i);
const char *cv_room_user_at(const cv_room *room, size_t i);

#endif
