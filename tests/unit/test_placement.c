/*
 * test_placement.c - unit tests for src/cv_placement.c.
 */
#include <stdio.h>

#include "cv_placement.h"
#include "cv_test.h"

static void test_refuses_no_loops(void) {
	CV_CHECK(cv_placement_new(0, 0) == NULL);
	CV_CHECK(cv_placement_new(-3, 0) == NULL);
	/* NULL is tolerated everywhere */
	CV_CHECK_INT(cv_placement_take(NULL, "a"), 0);
	cv_placement_give(NULL, "a", 0);
	CV_CHECK_INT(cv_placement_load(NULL, 0), 0);
	CV_CHECK_INT(cv_placement_home(NULL, "a"), -1);
	cv_placement_free(NULL);
}

static void test_room_stays_on_its_home(void) {
	cv_placement *p = cv_placement_new(4, 0);
	int home = cv_placement_take(p, "standup");
	CV_CHECK_INT(home, 0);
	for(int i = 0; i < 20; i++)
		CV_CHECK_INT(cv_placement_take(p, "standup"), home);
	CV_CHECK_INT(cv_placement_load(p, home), 21);
	CV_CHECK_INT(cv_placement_home(p, "standup"), home);
	CV_CHECK_INT(cv_placement_rooms(p), 1);
	cv_placement_free(p);
}

static void test_rooms_spread_over_loops(void) {
	cv_placement *p = cv_placement_new(3, 0);
	/* Three rooms of unequal sizes arriving one after the other */
	CV_CHECK_INT(cv_placement_take(p, "a"), 0);
	CV_CHECK_INT(cv_placement_take(p, "a"), 0);
	CV_CHECK_INT(cv_placement_take(p, "b"), 1);
	CV_CHECK_INT(cv_placement_take(p, "c"), 2);
	CV_CHECK_INT(cv_placement_take(p, "c"), 2);
	CV_CHECK_INT(cv_placement_take(p, "c"), 2);
	/* The next new room takes the least loaded loop: b's */
	CV_CHECK_INT(cv_placement_take(p, "d"), 1);
	CV_CHECK_INT(cv_placement_load(p, 0), 2);
	CV_CHECK_INT(cv_placement_load(p, 1), 2);
	CV_CHECK_INT(cv_placement_load(p, 2), 3);
	/* Ties go to the lowest index */
	CV_CHECK_INT(cv_placement_take(p, "e"), 0);
	CV_CHECK_INT(cv_placement_rooms(p), 5);
	cv_placement_free(p);
}

static void test_large_room_spills(void) {
	cv_placement *p = cv_placement_new(2, 3);
	int loops[8];
	for(int i = 0; i < 8; i++)
		loops[i] = cv_placement_take(p, "town-hall");
	/* three at home (0), then least loaded: 1, 1, 1, then 0/1 alternately */
	CV_CHECK_INT(loops[0], 0);
	CV_CHECK_INT(loops[1], 0);
	CV_CHECK_INT(loops[2], 0);
	CV_CHECK_INT(loops[3], 1);
	CV_CHECK_INT(loops[4], 1);
	CV_CHECK_INT(loops[5], 1);
	CV_CHECK_INT(cv_placement_load(p, 0) + cv_placement_load(p, 1), 8);
	CV_CHECK(cv_placement_load(p, 0) - cv_placement_load(p, 1) <= 1);
	CV_CHECK(cv_placement_load(p, 1) - cv_placement_load(p, 0) <= 1);
	/* One leaves home: the next one takes its place there */
	cv_placement_give(p, "town-hall", 0);
	int home_load = cv_placement_load(p, 0);
	CV_CHECK_INT(cv_placement_take(p, "town-hall"), 0);
	CV_CHECK_INT(cv_placement_load(p, 0), home_load + 1);
	cv_placement_free(p);
}

static void test_empty_room_is_forgotten(void) {
	cv_placement *p = cv_placement_new(2, 0);
	CV_CHECK_INT(cv_placement_take(p, "x"), 0);
	CV_CHECK_INT(cv_placement_take(p, "y"), 1);
	CV_CHECK_INT(cv_placement_take(p, "y"), 1);
	cv_placement_give(p, "x", 0);
	CV_CHECK_INT(cv_placement_home(p, "x"), -1);
	CV_CHECK_INT(cv_placement_rooms(p), 1);
	CV_CHECK_INT(cv_placement_load(p, 0), 0);
	/* y is still there, with its home */
	CV_CHECK_INT(cv_placement_home(p, "y"), 1);
	/* x comes back: least loaded again, now loop 0 */
	CV_CHECK_INT(cv_placement_take(p, "x"), 0);
	cv_placement_give(p, "y", 1);
	cv_placement_give(p, "y", 1);
	CV_CHECK_INT(cv_placement_rooms(p), 1);
	CV_CHECK_INT(cv_placement_load(p, 1), 0);
	cv_placement_free(p);
}

static void test_bad_gives_are_ignored(void) {
	cv_placement *p = cv_placement_new(2, 0);
	CV_CHECK_INT(cv_placement_take(p, "r"), 0);
	cv_placement_give(p, "unknown", 0);
	cv_placement_give(p, "r", 7);
	cv_placement_give(p, "r", -1);
	CV_CHECK_INT(cv_placement_load(p, 0), 1);
	CV_CHECK_INT(cv_placement_home(p, "r"), 0);
	cv_placement_give(p, "r", 0);
	cv_placement_give(p, "r", 0);	/* once too often */
	CV_CHECK_INT(cv_placement_load(p, 0), 0);
	CV_CHECK_INT(cv_placement_rooms(p), 0);
	CV_CHECK_INT(cv_placement_load(p, 2), 0);
	cv_placement_free(p);
}

static void test_many_rooms_and_long_ids(void) {
	cv_placement *p = cv_placement_new(4, 0);
	char id[64];
	for(int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "room-%d", i);
		cv_placement_take(p, id);
	}
	CV_CHECK_INT(cv_placement_rooms(p), 1000);
	for(int i = 0; i < 4; i++)
		CV_CHECK_INT(cv_placement_load(p, i), 250);
	for(int i = 0; i < 1000; i += 2) {
		snprintf(id, sizeof(id), "room-%d", i);
		cv_placement_give(p, id, cv_placement_home(p, id));
	}
	CV_CHECK_INT(cv_placement_rooms(p), 500);
	/* Ids longer than the kept prefix: the same prefix is the same room */
	char a[300], b[300];
	memset(a, 'q', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[250] = 'z';
	int la = cv_placement_take(p, a);
	CV_CHECK_INT(cv_placement_take(p, b), la);
	CV_CHECK_INT(cv_placement_take(p, NULL), cv_placement_home(p, ""));
	cv_placement_free(p);
}

int main(void) {
	CV_RUN(test_refuses_no_loops);
	CV_RUN(test_room_stays_on_its_home);
	CV_RUN(test_rooms_spread_over_loops);
	CV_RUN(test_large_room_spills);
	CV_RUN(test_empty_room_is_forgotten);
	CV_RUN(test_bad_gives_are_ignored);
	CV_RUN(test_many_rooms_and_long_ids);
	return cv_test_done();
}
