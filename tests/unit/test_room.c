/*
 * test_room.c - room membership, limits, topology and the create policy.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_test.h"
#include "cv_room.h"

/* Member pointers: distinct addresses the room must hand back untouched. */
static int members[2000];
#define M(i) ((void *)&members[(i)])

/* True when the room lists exactly users[0..n) in that order, each with the
 * member pointer M(ids[k]). */
static bool room_is(const cv_room *room, const char *const *users, const int *ids, size_t n) {
	if(cv_room_size(room) != n) {
		printf("#   (size %zu, expected %zu)\n", cv_room_size(room), n);
		return false;
	}
	for(size_t i = 0; i < n; i++) {
		const char *u = cv_room_user_at(room, i);
		if(u == NULL || strcmp(u, users[i]) != 0 || cv_room_member_at(room, i) != M(ids[i])) {
			printf("#   (at %zu: %s, expected %s)\n", i, u ? u : "(null)", users[i]);
			return false;
		}
	}
	return cv_room_user_at(room, n) == NULL && cv_room_member_at(room, n) == NULL;
}

static void test_new_and_accessors(void) {
	cv_room *room = cv_room_new("lobby", CV_TOPOLOGY_MESH, 4);
	CV_CHECK(room != NULL);
	CV_CHECK_STR(cv_room_id(room), "lobby");
	CV_CHECK_INT(cv_room_topology(room), CV_TOPOLOGY_MESH);
	CV_CHECK_INT(cv_room_max_participants(room), 4);
	CV_CHECK_INT(cv_room_size(room), 0);
	CV_CHECK(cv_room_user_at(room, 0) == NULL);
	CV_CHECK(cv_room_member_at(room, 0) == NULL);
	CV_CHECK(cv_room_find(room, "anyone") == NULL);
	cv_room_free(room);
	room = cv_room_new("big", CV_TOPOLOGY_SFU, 0);
	CV_CHECK(room != NULL);
	CV_CHECK_INT(cv_room_topology(room), CV_TOPOLOGY_SFU);
	CV_CHECK_INT(cv_room_max_participants(room), 0);
	cv_room_free(room);
}

static void test_new_copies_id(void) {
	char id[16];
	strcpy(id, "room-1");
	cv_room *room = cv_room_new(id, CV_TOPOLOGY_SFU, 0);
	CV_CHECK(cv_room_id(room) != id);
	strcpy(id, "changed");
	CV_CHECK_STR(cv_room_id(room), "room-1");
	cv_room_free(room);
}

static void test_new_invalid_id(void) {
	char long_id[CV_ID_MAX_LEN + 2];
	memset(long_id, 'r', CV_ID_MAX_LEN + 1);
	long_id[CV_ID_MAX_LEN + 1] = '\0';
	CV_CHECK(cv_room_new(NULL, CV_TOPOLOGY_SFU, 0) == NULL);
	CV_CHECK(cv_room_new("", CV_TOPOLOGY_SFU, 0) == NULL);
	CV_CHECK(cv_room_new(long_id, CV_TOPOLOGY_SFU, 0) == NULL);
	CV_CHECK(cv_room_new("a\nb", CV_TOPOLOGY_SFU, 0) == NULL);
	CV_CHECK(cv_room_new("\x7f", CV_TOPOLOGY_MESH, 3) == NULL);
	/* The longest id is fine */
	long_id[CV_ID_MAX_LEN] = '\0';
	cv_room *room = cv_room_new(long_id, CV_TOPOLOGY_SFU, 0);
	CV_CHECK(room != NULL);
	CV_CHECK_STR(cv_room_id(room), long_id);
	cv_room_free(room);
}

static void test_free_null(void) {
	cv_room_free(NULL);
	CV_CHECK(1);
}

/* Freeing a room with members frees their ids but not the members. */
static void test_free_with_members(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_SFU, 0);
	int *owned = malloc(sizeof(int));
	*owned = 42;
	CV_CHECK_INT(cv_room_add(room, "alice", owned), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "bob", M(1)), CV_OK);
	cv_room_free(room);
	/* Still ours (ASan would flag a use after free) */
	CV_CHECK_INT(*owned, 42);
	free(owned);
}

static void test_add_find_remove(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_SFU, 0);
	CV_CHECK_INT(cv_room_add(room, "alice", M(1)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "bob", M(2)), CV_OK);
	CV_CHECK_INT(cv_room_size(room), 2);
	CV_CHECK(cv_room_find(room, "alice") == M(1));
	CV_CHECK(cv_room_find(room, "bob") == M(2));
	CV_CHECK(cv_room_find(room, "carol") == NULL);
	CV_CHECK(cv_room_find(room, "Alice") == NULL);
	CV_CHECK(cv_room_find(room, "alic") == NULL);
	CV_CHECK(cv_room_find(room, "alicex") == NULL);
	CV_CHECK(cv_room_find(room, NULL) == NULL);
	CV_CHECK(cv_room_remove(room, "alice") == M(1));
	CV_CHECK_INT(cv_room_size(room), 1);
	CV_CHECK(cv_room_find(room, "alice") == NULL);
	CV_CHECK(cv_room_find(room, "bob") == M(2));
	/* Removing again, or someone absent */
	CV_CHECK(cv_room_remove(room, "alice") == NULL);
	CV_CHECK(cv_room_remove(room, "zed") == NULL);
	CV_CHECK(cv_room_remove(room, NULL) == NULL);
	CV_CHECK_INT(cv_room_size(room), 1);
	CV_CHECK(cv_room_remove(room, "bob") == M(2));
	CV_CHECK_INT(cv_room_size(room), 0);
	CV_CHECK(cv_room_remove(room, "bob") == NULL);
	/* Back in after leaving */
	CV_CHECK_INT(cv_room_add(room, "alice", M(3)), CV_OK);
	CV_CHECK(cv_room_find(room, "alice") == M(3));
	cv_room_free(room);
}

/* The user id is copied. */
static void test_add_copies_user_id(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_SFU, 0);
	char user[16];
	strcpy(user, "alice");
	CV_CHECK_INT(cv_room_add(room, user, M(1)), CV_OK);
	strcpy(user, "mallory");
	CV_CHECK_STR(cv_room_user_at(room, 0), "alice");
	CV_CHECK(cv_room_find(room, "alice") == M(1));
	CV_CHECK(cv_room_find(room, "mallory") == NULL);
	cv_room_free(room);
}

static void test_join_order(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_MESH, 0);
	const char *users[] = { "a", "b", "c", "d", "e" };
	for(int i = 0; i < 5; i++)
		CV_CHECK_INT(cv_room_add(room, users[i], M(i)), CV_OK);
	{
		const int ids[] = { 0, 1, 2, 3, 4 };
		CV_CHECK(room_is(room, users, ids, 5));
	}
	/* Remove from the middle */
	CV_CHECK(cv_room_remove(room, "b") == M(1));
	CV_CHECK(cv_room_remove(room, "d") == M(3));
	{
		const char *u[] = { "a", "c", "e" };
		const int ids[] = { 0, 2, 4 };
		CV_CHECK(room_is(room, u, ids, 3));
	}
	/* A rejoin goes to the end */
	CV_CHECK_INT(cv_room_add(room, "b", M(5)), CV_OK);
	{
		const char *u[] = { "a", "c", "e", "b" };
		const int ids[] = { 0, 2, 4, 5 };
		CV_CHECK(room_is(room, u, ids, 4));
	}
	/* Remove the first, then the last */
	CV_CHECK(cv_room_remove(room, "a") == M(0));
	CV_CHECK(cv_room_remove(room, "b") == M(5));
	{
		const char *u[] = { "c", "e" };
		const int ids[] = { 2, 4 };
		CV_CHECK(room_is(room, u, ids, 2));
	}
	CV_CHECK_INT(cv_room_add(room, "f", M(6)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "a", M(7)), CV_OK);
	{
		const char *u[] = { "c", "e", "f", "a" };
		const int ids[] = { 2, 4, 6, 7 };
		CV_CHECK(room_is(room, u, ids, 4));
	}
	cv_room_free(room);
}

static void test_duplicate_user(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_SFU, 0);
	CV_CHECK_INT(cv_room_add(room, "alice", M(1)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "bob", M(2)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "alice", M(3)), CV_ERR_CONFLICT);
	CV_CHECK_INT(cv_room_add(room, "alice", M(1)), CV_ERR_CONFLICT);
	/* Nothing changed */
	CV_CHECK_INT(cv_room_size(room), 2);
	CV_CHECK(cv_room_find(room, "alice") == M(1));
	{
		const char *u[] = { "alice", "bob" };
		const int ids[] = { 1, 2 };
		CV_CHECK(room_is(room, u, ids, 2));
	}
	/* Ids are compared byte for byte */
	CV_CHECK_INT(cv_room_add(room, "Alice", M(4)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "alice ", M(5)), CV_OK);
	CV_CHECK_INT(cv_room_size(room), 4);
	/* The caller replaces: remove, then add */
	CV_CHECK(cv_room_remove(room, "alice") == M(1));
	CV_CHECK_INT(cv_room_add(room, "alice", M(6)), CV_OK);
	CV_CHECK(cv_room_find(room, "alice") == M(6));
	cv_room_free(room);
}

static void test_room_full(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_SFU, 3);
	CV_CHECK_INT(cv_room_add(room, "u1", M(1)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "u2", M(2)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "u3", M(3)), CV_OK);
	CV_CHECK_INT(cv_room_size(room), 3);
	/* Exactly at the limit */
	CV_CHECK_INT(cv_room_add(room, "u4", M(4)), CV_ERR_ROOM_FULL);
	CV_CHECK_INT(cv_room_add(room, "u5", M(5)), CV_ERR_ROOM_FULL);
	CV_CHECK_INT(cv_room_size(room), 3);
	CV_CHECK(cv_room_find(room, "u4") == NULL);
	/* A member joining again is a conflict, not a full room */
	CV_CHECK_INT(cv_room_add(room, "u2", M(9)), CV_ERR_CONFLICT);
	/* Someone leaves: one seat */
	CV_CHECK(cv_room_remove(room, "u2") == M(2));
	CV_CHECK_INT(cv_room_add(room, "u4", M(4)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "u5", M(5)), CV_ERR_ROOM_FULL);
	{
		const char *u[] = { "u1", "u3", "u4" };
		const int ids[] = { 1, 3, 4 };
		CV_CHECK(room_is(room, u, ids, 3));
	}
	cv_room_free(room);
	/* A room for one */
	room = cv_room_new("solo", CV_TOPOLOGY_MESH, 1);
	CV_CHECK_INT(cv_room_add(room, "a", M(1)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "b", M(2)), CV_ERR_ROOM_FULL);
	CV_CHECK(cv_room_remove(room, "a") == M(1));
	CV_CHECK_INT(cv_room_add(room, "b", M(2)), CV_OK);
	cv_room_free(room);
}

static void test_unlimited(void) {
	cv_room *room = cv_room_new("stadium", CV_TOPOLOGY_SFU, 0);
	char user[32];
	for(int i = 0; i < 1000; i++) {
		snprintf(user, sizeof(user), "user-%d", i);
		CV_CHECK_INT(cv_room_add(room, user, M(i)), CV_OK);
	}
	CV_CHECK_INT(cv_room_size(room), 1000);
	bool order_ok = true;
	for(int i = 0; i < 1000; i++) {
		snprintf(user, sizeof(user), "user-%d", i);
		if(strcmp(cv_room_user_at(room, (size_t)i), user) != 0 || cv_room_member_at(room, (size_t)i) != M(i))
			order_ok = false;
	}
	CV_CHECK(order_ok);
	CV_CHECK(cv_room_find(room, "user-999") == M(999));
	CV_CHECK(cv_room_find(room, "user-0") == M(0));
	CV_CHECK(cv_room_find(room, "user-1000") == NULL);
	/* Remove the even ones; the odd ones keep their order */
	for(int i = 0; i < 1000; i += 2) {
		snprintf(user, sizeof(user), "user-%d", i);
		CV_CHECK(cv_room_remove(room, user) == M(i));
	}
	CV_CHECK_INT(cv_room_size(room), 500);
	order_ok = true;
	for(int i = 0; i < 500; i++) {
		snprintf(user, sizeof(user), "user-%d", 2 * i + 1);
		if(strcmp(cv_room_user_at(room, (size_t)i), user) != 0 || cv_room_member_at(room, (size_t)i) != M(2 * i + 1))
			order_ok = false;
	}
	CV_CHECK(order_ok);
	/* Duplicates are still caught in a big room */
	CV_CHECK_INT(cv_room_add(room, "user-501", M(1500)), CV_ERR_CONFLICT);
	cv_room_free(room);
}

static void test_invalid_user_id(void) {
	cv_room *room = cv_room_new("r", CV_TOPOLOGY_SFU, 0);
	char long_id[CV_ID_MAX_LEN + 2];
	memset(long_id, 'u', CV_ID_MAX_LEN + 1);
	long_id[CV_ID_MAX_LEN + 1] = '\0';
	CV_CHECK_INT(cv_room_add(room, NULL, M(1)), CV_ERR_BAD_REQUEST);
	CV_CHECK_INT(cv_room_add(room, "", M(1)), CV_ERR_BAD_REQUEST);
	CV_CHECK_INT(cv_room_add(room, long_id, M(1)), CV_ERR_BAD_REQUEST);
	CV_CHECK_INT(cv_room_add(room, "a\tb", M(1)), CV_ERR_BAD_REQUEST);
	CV_CHECK_INT(cv_room_size(room), 0);
	long_id[CV_ID_MAX_LEN] = '\0';
	CV_CHECK_INT(cv_room_add(room, long_id, M(1)), CV_OK);
	CV_CHECK(cv_room_find(room, long_id) == M(1));
	cv_room_free(room);
	/* In a full room, a bad id is still a bad request */
	room = cv_room_new("r", CV_TOPOLOGY_SFU, 1);
	CV_CHECK_INT(cv_room_add(room, "a", M(1)), CV_OK);
	CV_CHECK_INT(cv_room_add(room, "", M(2)), CV_ERR_BAD_REQUEST);
	cv_room_free(room);
}

static void test_topology(void) {
	cv_topology t = CV_TOPOLOGY_MESH;
	CV_CHECK(cv_topology_parse("sfu", &t));
	CV_CHECK_INT(t, CV_TOPOLOGY_SFU);
	CV_CHECK(cv_topology_parse("mesh", &t));
	CV_CHECK_INT(t, CV_TOPOLOGY_MESH);
	/* Failures leave the output alone */
	const char *bad[] = { "SFU", "Mesh", "", " sfu", "mesh ", "p2p", "mcu", "sfumesh" };
	for(size_t i = 0; i < sizeof(bad)/sizeof(bad[0]); i++) {
		t = CV_TOPOLOGY_MESH;
		CV_CHECK(!cv_topology_parse(bad[i], &t));
		CV_CHECK_INT(t, CV_TOPOLOGY_MESH);
	}
	CV_CHECK(!cv_topology_parse(NULL, &t));
	CV_CHECK_STR(cv_topology_name(CV_TOPOLOGY_SFU), "sfu");
	CV_CHECK_STR(cv_topology_name(CV_TOPOLOGY_MESH), "mesh");
	/* Name and parse round trip */
	CV_CHECK(cv_topology_parse(cv_topology_name(CV_TOPOLOGY_MESH), &t));
	CV_CHECK_INT(t, CV_TOPOLOGY_MESH);
	CV_CHECK(cv_topology_parse(cv_topology_name(CV_TOPOLOGY_SFU), &t));
	CV_CHECK_INT(t, CV_TOPOLOGY_SFU);
}

static void test_create_policy_parse(void) {
	cv_create_policy p = CV_CREATE_ANYONE;
	CV_CHECK(cv_create_policy_parse("never", &p));
	CV_CHECK_INT(p, CV_CREATE_NEVER);
	CV_CHECK(cv_create_policy_parse("grant", &p));
	CV_CHECK_INT(p, CV_CREATE_GRANT);
	CV_CHECK(cv_create_policy_parse("anyone", &p));
	CV_CHECK_INT(p, CV_CREATE_ANYONE);
	const char *bad[] = { "", "Never", "ANYONE", "always", "grants", "yes", "true", "anyone " };
	for(size_t i = 0; i < sizeof(bad)/sizeof(bad[0]); i++) {
		p = CV_CREATE_GRANT;
		CV_CHECK(!cv_create_policy_parse(bad[i], &p));
		CV_CHECK_INT(p, CV_CREATE_GRANT);
	}
	CV_CHECK(!cv_create_policy_parse(NULL, &p));
	CV_CHECK_INT(p, CV_CREATE_GRANT);
}

static void test_may_create_room(void) {
	/* The defaults of cv_grants_default(), spelled out (cv_jwt.c is not
	 * linked into this test) */
	cv_grants without = { .publish = true, .subscribe = true, .data = true,
		.record = false, .moderate = false, .create = false };
	cv_grants with = without;
	with.create = true;
	/* never: not even with the grant */
	CV_CHECK(!cv_may_create_room(CV_CREATE_NEVER, &with));
	CV_CHECK(!cv_may_create_room(CV_CREATE_NEVER, &without));
	CV_CHECK(!cv_may_create_room(CV_CREATE_NEVER, NULL));
	/* grant: only with it */
	CV_CHECK(cv_may_create_room(CV_CREATE_GRANT, &with));
	CV_CHECK(!cv_may_create_room(CV_CREATE_GRANT, &without));
	CV_CHECK(!cv_may_create_room(CV_CREATE_GRANT, NULL));
	/* Other grants do not stand in for create */
	cv_grants all_but_create = { .publish = true, .subscribe = true, .data = true,
		.record = true, .moderate = true, .create = false };
	CV_CHECK(!cv_may_create_room(CV_CREATE_GRANT, &all_but_create));
	cv_grants only_create = { .create = true };
	CV_CHECK(cv_may_create_room(CV_CREATE_GRANT, &only_create));
	/* anyone: with or without */
	CV_CHECK(cv_may_create_room(CV_CREATE_ANYONE, &with));
	CV_CHECK(cv_may_create_room(CV_CREATE_ANYONE, &without));
	CV_CHECK(cv_may_create_room(CV_CREATE_ANYONE, NULL));
}

int main(void) {
	CV_RUN(test_new_and_accessors);
	CV_RUN(test_new_copies_id);
	CV_RUN(test_new_invalid_id);
	CV_RUN(test_free_null);
	CV_RUN(test_free_with_members);
	CV_RUN(test_add_find_remove);
	CV_RUN(test_add_copies_user_id);
	CV_RUN(test_join_order);
	CV_RUN(test_duplicate_user);
	CV_RUN(test_room_full);
	CV_RUN(test_unlimited);
	CV_RUN(test_invalid_user_id);
	CV_RUN(test_topology);
	CV_RUN(test_create_policy_parse);
	CV_RUN(test_may_create_room);
	return cv_test_done();
}
