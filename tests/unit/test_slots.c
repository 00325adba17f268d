/*
 * test_slots.c - unit tests for src/cv_slots.c (the SFU m-line table).
 *
 * A table is checked slot by slot against a compact expectation string:
 * one token per slot, "kind:role:mid[:source]" with kind a/v/d and role
 * P(ublish) D(ata) F(orward) -(free) R(ejected), e.g. "a:P:0 v:F:f1:bob/v".
 * That keeps each scenario readable as the SDP's m-line order. The churn
 * tests run many plans and rely on LeakSanitizer (ASan) for leaks.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_test.h"
#include "cv_slots.h"

/* --- helpers ------------------------------------------------------------ */

static char kind_char(cv_media_kind kind) {
	switch(kind) {
		case CV_KIND_AUDIO:
			return 'a';
		case CV_KIND_VIDEO:
			return 'v';
		case CV_KIND_DATA:
			return 'd';
	}
	return '?';
}

static char role_char(cv_slot_role role) {
	switch(role) {
		case CV_SLOT_PUBLISH:
			return 'P';
		case CV_SLOT_DATA:
			return 'D';
		case CV_SLOT_FORWARD:
			return 'F';
		case CV_SLOT_FREE:
			return '-';
		case CV_SLOT_REJECTED:
			return 'R';
		case CV_SLOT_PAUSED:
			return 'Z';
	}
	return '?';
}

/* The table as an expectation string (see the top of this file) */
static void describe(const cv_slot_table *t, char *out, size_t size) {
	size_t off = 0;
	out[0] = '\0';
	for(size_t i = 0; i < t->count && off < size; i++) {
		const cv_slot *s = &t->slots[i];
		off += (size_t)snprintf(out + off, size - off, "%s%c:%c:%s%s%s", i ? " " : "",
			kind_char(s->kind), role_char(s->role), s->mid, s->source[0] ? ":" : "", s->source);
	}
}

#define CHECK_TABLE(t, expected) do { \
	char cv_desc_[4096]; \
	describe((t), cv_desc_, sizeof(cv_desc_)); \
	CV_CHECK_STR(cv_desc_, (expected)); \
} while(0)

/* Every mid non-empty, at most CV_MID_MAX_LEN, unique; every FORWARD
 * source unique and findable; non-FORWARD slots have no source. */
static bool table_sane(const cv_slot_table *t) {
	for(size_t i = 0; i < t->count; i++) {
		const cv_slot *s = &t->slots[i];
		size_t mid_len = strnlen(s->mid, CV_MID_MAX_LEN + 1);
		if(mid_len == 0 || mid_len > CV_MID_MAX_LEN) {
			printf("#   slot %zu: bad mid\n", i);
			return false;
		}
		if(cv_slots_find_mid(t, s->mid) != (int)i) {
			printf("#   slot %zu: mid %s not unique\n", i, s->mid);
			return false;
		}
		if(s->role == CV_SLOT_FORWARD) {
			if(cv_slots_find_source(t, s->source) != (int)i) {
				printf("#   slot %zu: source %s not unique\n", i, s->source);
				return false;
			}
		} else if(s->source[0] != '\0') {
			printf("#   slot %zu: role %c with source %s\n", i, role_char(s->role), s->source);
			return false;
		}
	}
	return t->count <= t->capacity;
}

/* A table with the usual client m-lines: audio "0", video "1", data "2" */
static void client_table(cv_slot_table *t) {
	cv_slots_init(t);
	cv_slots_append(t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "0");
	cv_slots_append(t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "1");
	cv_slots_append(t, CV_KIND_DATA, CV_SLOT_DATA, "2");
}

/* --- append / find --------------------------------------------------------- */

static void test_init(void) {
	cv_slot_table t;
	memset(&t, 0x5a, sizeof(t));
	cv_slots_init(&t);
	CV_CHECK(t.slots == NULL);
	CV_CHECK_INT(t.count, 0);
	CV_CHECK_INT(t.capacity, 0);
	CV_CHECK_INT(t.next_mid, 0);
	CV_CHECK_INT(cv_slots_find_mid(&t, "0"), -1);
	CV_CHECK_INT(cv_slots_find_source(&t, "a/1"), -1);
	cv_slots_clear(&t);
	CV_CHECK_INT(t.count, 0);
}

static void test_append_find(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "0"), 0);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "1"), 1);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_DATA, CV_SLOT_DATA, "2"), 2);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_REJECTED, "video-x"), 3);
	CV_CHECK_INT(t.count, 4);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 v:R:video-x");
	CV_CHECK_INT(cv_slots_find_mid(&t, "0"), 0);
	CV_CHECK_INT(cv_slots_find_mid(&t, "1"), 1);
	CV_CHECK_INT(cv_slots_find_mid(&t, "2"), 2);
	CV_CHECK_INT(cv_slots_find_mid(&t, "video-x"), 3);
	CV_CHECK_INT(cv_slots_find_mid(&t, "video"), -1);
	CV_CHECK_INT(cv_slots_find_mid(&t, "3"), -1);
	CV_CHECK_INT(cv_slots_find_mid(&t, ""), -1);
	CV_CHECK_INT(cv_slots_find_mid(&t, NULL), -1);
	/* No forwards: find_source finds nothing, not even by mid */
	CV_CHECK_INT(cv_slots_find_source(&t, "0"), -1);
	CV_CHECK_INT(cv_slots_find_source(&t, ""), -1);
	CV_CHECK_INT(cv_slots_find_source(&t, NULL), -1);
	/* The appended slot has no source */
	for(size_t i = 0; i < t.count; i++)
		CV_CHECK_STR(t.slots[i].source, "");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_append_rejects(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "0"), 0);
	/* Duplicate mid, whatever the kind or role */
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "0"), -1);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_FORWARD, "0"), -1);
	/* NULL and empty mids */
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, NULL), -1);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, ""), -1);
	/* 16 characters is the limit */
	char mid[CV_MID_MAX_LEN + 2];
	memset(mid, 'm', CV_MID_MAX_LEN + 1);
	mid[CV_MID_MAX_LEN + 1] = '\0';
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, mid), -1);
	mid[CV_MID_MAX_LEN] = '\0';
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, mid), 1);
	CV_CHECK_INT(cv_slots_find_mid(&t, mid), 1);
	CV_CHECK_STR(t.slots[1].mid, mid);
	/* A longer mid sharing the 16-character prefix is a different mid */
	mid[CV_MID_MAX_LEN] = 'm';
	CV_CHECK_INT(cv_slots_find_mid(&t, mid), -1);
	CV_CHECK_INT(t.count, 2);
	/* Mids are case-sensitive */
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "A"), 2);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "a"), 3);
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_append_grows(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	char mid[CV_MID_MAX_LEN + 1];
	for(int i = 0; i < CV_SLOTS_MAX; i++) {
		snprintf(mid, sizeof(mid), "m%d", i);
		CV_CHECK_INT(cv_slots_append(&t, i % 2 ? CV_KIND_VIDEO : CV_KIND_AUDIO, CV_SLOT_PUBLISH, mid), i);
	}
	CV_CHECK_INT(t.count, CV_SLOTS_MAX);
	CV_CHECK_INT(cv_slots_find_mid(&t, "m0"), 0);
	CV_CHECK_INT(cv_slots_find_mid(&t, "m255"), 255);
	CV_CHECK_INT(t.slots[255].kind, CV_KIND_VIDEO);
	/* ... and no further */
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "one-more"), -1);
	CV_CHECK_INT(t.count, CV_SLOTS_MAX);
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

/* --- plan ---------------------------------------------------------------- */

static void test_plan_from_empty(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 0);
	CV_CHECK_INT(t.count, 0);
	const cv_wanted w[] = { { "alice/a", CV_KIND_AUDIO }, { "alice/v", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w, 2), 2);
	CHECK_TABLE(&t, "a:F:f1:alice/a v:F:f2:alice/v");
	CV_CHECK_INT(cv_slots_find_source(&t, "alice/a"), 0);
	CV_CHECK_INT(cv_slots_find_source(&t, "alice/v"), 1);
	CV_CHECK_INT(cv_slots_find_mid(&t, "f2"), 1);
	CV_CHECK(table_sane(&t));
	/* The same plan again changes nothing */
	CV_CHECK_INT(cv_slots_plan(&t, w, 2), 0);
	CHECK_TABLE(&t, "a:F:f1:alice/a v:F:f2:alice/v");
	cv_slots_clear(&t);
	/* After the client's own m-lines */
	client_table(&t);
	CV_CHECK_INT(cv_slots_plan(&t, w, 2), 2);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:alice/a v:F:f2:alice/v");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_keeps_forwards_in_place(void) {
	cv_slot_table t;
	client_table(&t);
	const cv_wanted abc[] = { { "a/1", CV_KIND_AUDIO }, { "b/1", CV_KIND_VIDEO }, { "c/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, abc, 3), 3);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:b/1 a:F:f3:c/1");
	/* Same set, another order: nothing moves */
	const cv_wanted cba[] = { { "c/1", CV_KIND_AUDIO }, { "b/1", CV_KIND_VIDEO }, { "a/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, cba, 3), 0);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:b/1 a:F:f3:c/1");
	/* b goes: a and c stay where they were */
	const cv_wanted ca[] = { { "c/1", CV_KIND_AUDIO }, { "a/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, ca, 2), 1);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:-:f2 a:F:f3:c/1");
	CV_CHECK_INT(cv_slots_find_source(&t, "b/1"), -1);
	CV_CHECK_INT(cv_slots_find_source(&t, "c/1"), 5);
	/* A new source added alongside kept ones does not disturb them */
	const cv_wanted cad[] = { { "d/1", CV_KIND_AUDIO }, { "c/1", CV_KIND_AUDIO }, { "a/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, cad, 3), 1);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:-:f2 a:F:f3:c/1 a:F:f4:d/1");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_gone_become_free(void) {
	cv_slot_table t;
	client_table(&t);
	const cv_wanted w[] = { { "a/1", CV_KIND_AUDIO }, { "a/2", CV_KIND_VIDEO }, { "b/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, w, 3), 3);
	/* Nothing wanted: every forward is freed, client slots untouched, the
	 * table keeps its size and mids */
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 3);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:-:f1 v:-:f2 a:-:f3");
	CV_CHECK_INT(cv_slots_find_source(&t, "a/1"), -1);
	CV_CHECK_INT(cv_slots_find_mid(&t, "f2"), 4);
	/* Freeing again changes nothing */
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 0);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:-:f1 v:-:f2 a:-:f3");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_reuses_free_of_same_kind(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	const cv_wanted av[] = { { "a/a", CV_KIND_AUDIO }, { "a/v", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, av, 2), 2);
	/* The video source goes; a new audio one must not take the video slot */
	const cv_wanted aa[] = { { "a/a", CV_KIND_AUDIO }, { "b/a", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, aa, 2), 2);
	CHECK_TABLE(&t, "a:F:f1:a/a v:-:f2 a:F:f3:b/a");
	/* A new video one does */
	const cv_wanted aav[] = { { "a/a", CV_KIND_AUDIO }, { "b/a", CV_KIND_AUDIO }, { "b/v", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, aav, 3), 1);
	CHECK_TABLE(&t, "a:F:f1:a/a v:F:f2:b/v a:F:f3:b/a");
	cv_slots_clear(&t);
	/* The first FREE slot of the kind is taken, in table order */
	cv_slots_init(&t);
	const cv_wanted five[] = {
		{ "v1", CV_KIND_VIDEO }, { "a1", CV_KIND_AUDIO }, { "v2", CV_KIND_VIDEO },
		{ "v3", CV_KIND_VIDEO }, { "a2", CV_KIND_AUDIO },
	};
	CV_CHECK_INT(cv_slots_plan(&t, five, 5), 5);
	CHECK_TABLE(&t, "v:F:f1:v1 a:F:f2:a1 v:F:f3:v2 v:F:f4:v3 a:F:f5:a2");
	const cv_wanted keep_v2[] = { { "v2", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, keep_v2, 1), 4);
	CHECK_TABLE(&t, "v:-:f1 a:-:f2 v:F:f3:v2 v:-:f4 a:-:f5");
	const cv_wanted next[] = { { "v2", CV_KIND_VIDEO }, { "a9", CV_KIND_AUDIO }, { "v9", CV_KIND_VIDEO }, { "v8", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, next, 4), 3);
	CHECK_TABLE(&t, "v:F:f1:v9 a:F:f2:a9 v:F:f3:v2 v:F:f4:v8 a:-:f5");
	/* More sources of a kind than free slots: the rest are appended */
	const cv_wanted more[] = {
		{ "v2", CV_KIND_VIDEO }, { "a9", CV_KIND_AUDIO }, { "v9", CV_KIND_VIDEO }, { "v8", CV_KIND_VIDEO },
		{ "a7", CV_KIND_AUDIO }, { "a6", CV_KIND_AUDIO },
	};
	CV_CHECK_INT(cv_slots_plan(&t, more, 6), 2);
	CHECK_TABLE(&t, "v:F:f1:v9 a:F:f2:a9 v:F:f3:v2 v:F:f4:v8 a:F:f5:a7 a:F:f6:a6");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_never_touches_client_slots(void) {
	/* PUBLISH, DATA and REJECTED slots are never reused, even of the
	 * right kind */
	cv_slot_table t;
	cv_slots_init(&t);
	cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "0");
	cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_REJECTED, "1");
	cv_slots_append(&t, CV_KIND_DATA, CV_SLOT_DATA, "2");
	const cv_wanted w[] = { { "x/a", CV_KIND_AUDIO }, { "x/v", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w, 2), 2);
	CHECK_TABLE(&t, "a:P:0 v:R:1 d:D:2 a:F:f1:x/a v:F:f2:x/v");
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 2);
	CHECK_TABLE(&t, "a:P:0 v:R:1 d:D:2 a:-:f1 v:-:f2");
	cv_slots_clear(&t);
}

static void test_plan_one_for_one_never_grows(void) {
	cv_slot_table t;
	client_table(&t);
	char keys[5][32];
	cv_wanted w[5];
	const cv_media_kind kinds[5] = { CV_KIND_AUDIO, CV_KIND_VIDEO, CV_KIND_VIDEO, CV_KIND_AUDIO, CV_KIND_VIDEO };
	int bad_count = 0, bad_changes = 0;
	for(int round = 0; round < 2000; round++) {
		/* Every round replaces every source with a new one of its kind */
		for(int k = 0; k < 5; k++) {
			snprintf(keys[k], sizeof(keys[k]), "user%d/%d", round, k);
			w[k].key = keys[k];
			w[k].kind = kinds[k];
		}
		int changes = cv_slots_plan(&t, w, 5);
		/* Each of the 5 forward slots changed source once */
		bad_changes += changes != 5;
		bad_count += t.count != 8;
	}
	CV_CHECK_INT(bad_changes, 0);
	CV_CHECK_INT(bad_count, 0);
	CV_CHECK_INT(t.count, 8);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:user1999/0 v:F:f2:user1999/1 v:F:f3:user1999/2 "
		"a:F:f4:user1999/3 v:F:f5:user1999/4");
	CV_CHECK_INT(t.next_mid, 5);
	CV_CHECK(table_sane(&t));
	/* Replacing only some of them: still no growth, and the survivors stay */
	int bad_place = 0;
	bad_changes = bad_count = 0;
	for(int round = 0; round < 500; round++) {
		int k = round % 5;
		snprintf(keys[k], sizeof(keys[k]), "again%d", round);
		bad_changes += cv_slots_plan(&t, w, 5) != 1;
		bad_count += t.count != 8;
		bad_place += cv_slots_find_source(&t, keys[k]) != 3 + k;
	}
	CV_CHECK_INT(bad_changes, 0);
	CV_CHECK_INT(bad_count, 0);
	CV_CHECK_INT(bad_place, 0);
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_mids_skip_client_mids(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	/* A client that happens to use "f1" and "f3" */
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "f1"), 0);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "f3"), 1);
	const cv_wanted w[] = { { "x/1", CV_KIND_AUDIO }, { "x/2", CV_KIND_VIDEO }, { "x/3", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w, 3), 3);
	CHECK_TABLE(&t, "a:P:f1 v:P:f3 a:F:f2:x/1 v:F:f4:x/2 v:F:f5:x/3");
	CV_CHECK(table_sane(&t));
	/* A mid generated once is not generated again, even when its slot is
	 * free and another kind needs a new one */
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 3);
	const cv_wanted d[] = { { "y/d", CV_KIND_DATA } };
	CV_CHECK_INT(cv_slots_plan(&t, d, 1), 1);
	CHECK_TABLE(&t, "a:P:f1 v:P:f3 a:-:f2 v:-:f4 v:-:f5 d:F:f6:y/d");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
	/* Mids appended after server-made ones: next_mid keeps moving on */
	cv_slots_init(&t);
	const cv_wanted one[] = { { "z/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, one, 1), 1);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "f2"), 1);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PUBLISH, "f3"), 2);
	const cv_wanted two[] = { { "z/1", CV_KIND_AUDIO }, { "z/2", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, two, 2), 1);
	CHECK_TABLE(&t, "a:F:f1:z/1 v:P:f2 v:P:f3 a:F:f4:z/2");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_change_counts(void) {
	cv_slot_table t;
	client_table(&t);
	/* Add two */
	const cv_wanted w2[] = { { "a/1", CV_KIND_AUDIO }, { "a/2", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w2, 2), 2);
	/* Same: none */
	CV_CHECK_INT(cv_slots_plan(&t, w2, 2), 0);
	/* Remove one */
	CV_CHECK_INT(cv_slots_plan(&t, w2, 1), 1);
	/* Add one into the freed slot */
	const cv_wanted w3[] = { { "a/1", CV_KIND_AUDIO }, { "b/2", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w3, 2), 1);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:b/2");
	/* Replace one by one of the same kind in the same plan: one slot
	 * changed source */
	const cv_wanted w4[] = { { "a/1", CV_KIND_AUDIO }, { "c/2", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w4, 2), 1);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:c/2");
	/* Replace a video by an audio: one slot freed, one appended */
	const cv_wanted w5[] = { { "a/1", CV_KIND_AUDIO }, { "d/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, w5, 2), 2);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:-:f2 a:F:f3:d/1");
	/* A duplicate key in wanted counts (and forwards) once */
	const cv_wanted dup[] = { { "a/1", CV_KIND_AUDIO }, { "e/1", CV_KIND_VIDEO }, { "e/1", CV_KIND_VIDEO }, { "d/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, dup, 4), 1);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:e/1 a:F:f3:d/1");
	/* Swap everything: each forward slot changed once */
	const cv_wanted swap[] = { { "x/1", CV_KIND_AUDIO }, { "x/2", CV_KIND_VIDEO }, { "x/3", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, swap, 3), 3);
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:x/1 v:F:f2:x/2 a:F:f3:x/3");
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

static void test_plan_bad_keys(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	const cv_wanted ok[] = { { "a/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, ok, 1), 1);
	/* A NULL key is skipped, and does not stop existing forwards from
	 * being matched */
	const cv_wanted with_null[] = { { NULL, CV_KIND_VIDEO }, { "a/1", CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, with_null, 2), 0);
	CHECK_TABLE(&t, "a:F:f1:a/1");
	const cv_wanted only_null[] = { { NULL, CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, only_null, 1), 1);
	CHECK_TABLE(&t, "a:-:f1");
	/* The longest key fits; one more character is skipped */
	char key[CV_SOURCE_KEY_MAX_LEN + 2];
	memset(key, 'k', CV_SOURCE_KEY_MAX_LEN + 1);
	key[CV_SOURCE_KEY_MAX_LEN + 1] = '\0';
	const cv_wanted too_long[] = { { key, CV_KIND_AUDIO } };
	CV_CHECK_INT(cv_slots_plan(&t, too_long, 1), 0);
	CHECK_TABLE(&t, "a:-:f1");
	key[CV_SOURCE_KEY_MAX_LEN] = '\0';
	CV_CHECK_INT(cv_slots_plan(&t, too_long, 1), 1);
	CV_CHECK_INT(cv_slots_find_source(&t, key), 0);
	CV_CHECK_STR(t.slots[0].source, key);
	CV_CHECK_INT(cv_slots_plan(&t, too_long, 1), 0);
	cv_slots_clear(&t);
}

static void test_copy_clear(void) {
	cv_slot_table t, c;
	client_table(&t);
	const cv_wanted w[] = { { "a/1", CV_KIND_AUDIO }, { "a/2", CV_KIND_VIDEO } };
	cv_slots_plan(&t, w, 2);
	CV_CHECK(cv_slots_copy(&c, &t));
	CV_CHECK(c.slots != t.slots);
	CV_CHECK_INT(c.count, t.count);
	CV_CHECK_INT(c.next_mid, t.next_mid);
	CHECK_TABLE(&c, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:a/2");
	/* Deep: planning on the copy leaves the original alone, and the copy
	 * goes on numbering mids where the original was */
	const cv_wanted w2[] = { { "b/1", CV_KIND_VIDEO }, { "b/2", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&c, w2, 2), 3);
	CHECK_TABLE(&c, "a:P:0 v:P:1 d:D:2 a:-:f1 v:F:f2:b/1 v:F:f3:b/2");
	CHECK_TABLE(&t, "a:P:0 v:P:1 d:D:2 a:F:f1:a/1 v:F:f2:a/2");
	CV_CHECK_INT(cv_slots_append(&c, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "new"), 6);
	CV_CHECK_INT(cv_slots_find_mid(&t, "new"), -1);
	CV_CHECK(table_sane(&c));
	cv_slots_clear(&c);
	CV_CHECK(c.slots == NULL);
	CV_CHECK_INT(c.count, 0);
	CV_CHECK_INT(c.capacity, 0);
	CV_CHECK_INT(c.next_mid, 0);
	/* Clearing twice is fine; a cleared table is usable again */
	cv_slots_clear(&c);
	CV_CHECK_INT(cv_slots_append(&c, CV_KIND_AUDIO, CV_SLOT_PUBLISH, "0"), 0);
	cv_slots_clear(&c);
	/* Copy of an empty table, and of an emptied one (next_mid kept) */
	cv_slot_table e, ec;
	cv_slots_init(&e);
	CV_CHECK(cv_slots_copy(&ec, &e));
	CV_CHECK_INT(ec.count, 0);
	CV_CHECK_INT(cv_slots_plan(&ec, w, 2), 2);
	CHECK_TABLE(&ec, "a:F:f1:a/1 v:F:f2:a/2");
	cv_slots_clear(&ec);
	e.next_mid = 7;
	CV_CHECK(cv_slots_copy(&ec, &e));
	CV_CHECK_INT(ec.next_mid, 7);
	CV_CHECK_INT(cv_slots_plan(&ec, w, 1), 1);
	CHECK_TABLE(&ec, "a:F:f8:a/1");
	cv_slots_clear(&ec);
	/* A copy with room to spare can be appended to */
	CV_CHECK(cv_slots_copy(&c, &t));
	for(int i = 0; i < 20; i++) {
		char mid[8];
		snprintf(mid, sizeof(mid), "x%d", i);
		CV_CHECK_INT(cv_slots_append(&c, CV_KIND_VIDEO, CV_SLOT_PUBLISH, mid), 5 + i);
	}
	CV_CHECK(table_sane(&c));
	cv_slots_clear(&c);
	cv_slots_clear(&t);
}

static void test_hundred_sources(void) {
	cv_slot_table t;
	client_table(&t);
	char keys[200][16];
	cv_wanted w[100];
	for(int i = 0; i < 100; i++) {
		snprintf(keys[i], sizeof(keys[i]), "u%d/%c", i / 2, i % 2 ? 'v' : 'a');
		w[i].key = keys[i];
		w[i].kind = i % 2 ? CV_KIND_VIDEO : CV_KIND_AUDIO;
	}
	CV_CHECK_INT(cv_slots_plan(&t, w, 100), 100);
	CV_CHECK_INT(t.count, 103);
	CV_CHECK_STR(t.slots[102].mid, "f100");
	CV_CHECK(table_sane(&t));
	for(int i = 0; i < 100; i++)
		CV_CHECK_INT(cv_slots_find_source(&t, keys[i]), 3 + i);
	/* All out */
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 100);
	CV_CHECK_INT(t.count, 103);
	for(size_t i = 3; i < t.count; i++)
		CV_CHECK_INT(t.slots[i].role, CV_SLOT_FREE);
	/* 100 others in, video listed first this time: each kind fills its own
	 * free slots */
	for(int i = 0; i < 100; i++) {
		snprintf(keys[100 + i], sizeof(keys[100 + i]), "n%d", i);
		w[i].key = keys[100 + i];
		w[i].kind = i < 50 ? CV_KIND_VIDEO : CV_KIND_AUDIO;
	}
	CV_CHECK_INT(cv_slots_plan(&t, w, 100), 100);
	CV_CHECK_INT(t.count, 103);
	CV_CHECK_INT(cv_slots_find_source(&t, "n0"), 4);
	CV_CHECK_INT(cv_slots_find_source(&t, "n50"), 3);
	for(size_t i = 3; i < t.count; i++)
		CV_CHECK_INT(t.slots[i].kind, (i - 3) % 2 ? CV_KIND_VIDEO : CV_KIND_AUDIO);
	CV_CHECK(table_sane(&t));
	/* In and out many times: no growth, no leak */
	for(int round = 0; round < 200; round++) {
		CV_CHECK_INT(cv_slots_plan(&t, w, (size_t)(round % 2 ? 100 : 0)), 100);
		CV_CHECK_INT(t.count, 103);
	}
	CV_CHECK(table_sane(&t));
	cv_slots_clear(&t);
}

/* A plan never goes beyond CV_SLOTS_MAX m-lines: the sources that find no
 * room are left out, and take the slots that free later. */
static void test_plan_capped(void) {
	cv_slot_table t;
	client_table(&t);
	size_t n = CV_SLOTS_MAX + 20;
	char (*keys)[16] = calloc(n, sizeof(*keys));
	cv_wanted *w = calloc(n, sizeof(*w));
	for(size_t i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "u%zu/a", i);
		w[i].key = keys[i];
		w[i].kind = CV_KIND_AUDIO;
	}
	CV_CHECK_INT(cv_slots_plan(&t, w, n), CV_SLOTS_MAX - 3);
	CV_CHECK_INT(t.count, CV_SLOTS_MAX);
	CV_CHECK_INT(cv_slots_find_source(&t, keys[CV_SLOTS_MAX - 4]), CV_SLOTS_MAX - 1);
	CV_CHECK_INT(cv_slots_find_source(&t, keys[CV_SLOTS_MAX - 3]), -1);
	CV_CHECK(table_sane(&t));
	/* The first ten go: ten of the others take their slots */
	CV_CHECK_INT(cv_slots_plan(&t, w + 10, n - 10), 10);
	CV_CHECK_INT(t.count, CV_SLOTS_MAX);
	CV_CHECK_INT(cv_slots_find_source(&t, keys[0]), -1);
	CV_CHECK(cv_slots_find_source(&t, keys[CV_SLOTS_MAX - 3]) >= 0);
	CV_CHECK(cv_slots_find_source(&t, keys[CV_SLOTS_MAX + 6]) >= 0);
	CV_CHECK_INT(cv_slots_find_source(&t, keys[CV_SLOTS_MAX + 7]), -1);
	CV_CHECK(table_sane(&t));
	free(keys);
	free(w);
	cv_slots_clear(&t);
}

/* A client's paused track (PAUSED) keeps its m-line: a new source of the
 * same kind gets a new m-line rather than taking it over. */
static void test_plan_never_reuses_paused(void) {
	cv_slot_table t;
	cv_slots_init(&t);
	CV_CHECK_INT(cv_slots_append(&t, CV_KIND_VIDEO, CV_SLOT_PAUSED, "0"), 0);
	cv_wanted w[] = { { "alice/1/7", CV_KIND_VIDEO } };
	CV_CHECK_INT(cv_slots_plan(&t, w, 1), 1);
	CV_CHECK_INT(t.count, 2);
	CV_CHECK_INT(t.slots[0].role, CV_SLOT_PAUSED);
	CV_CHECK_INT(t.slots[1].role, CV_SLOT_FORWARD);
	CV_CHECK_STR(t.slots[1].source, "alice/1/7");
	/* and a plan with nothing wanted leaves it alone */
	CV_CHECK_INT(cv_slots_plan(&t, NULL, 0), 1);
	CV_CHECK_INT(t.slots[0].role, CV_SLOT_PAUSED);
	CV_CHECK_INT(t.slots[1].role, CV_SLOT_FREE);
	cv_slots_clear(&t);
}

int main(void) {
	CV_RUN(test_init);
	CV_RUN(test_append_find);
	CV_RUN(test_append_rejects);
	CV_RUN(test_append_grows);
	CV_RUN(test_plan_from_empty);
	CV_RUN(test_plan_keeps_forwards_in_place);
	CV_RUN(test_plan_gone_become_free);
	CV_RUN(test_plan_reuses_free_of_same_kind);
	CV_RUN(test_plan_never_touches_client_slots);
	CV_RUN(test_plan_never_reuses_paused);
	CV_RUN(test_plan_one_for_one_never_grows);
	CV_RUN(test_plan_mids_skip_client_mids);
	CV_RUN(test_plan_change_counts);
	CV_RUN(test_plan_bad_keys);
	CV_RUN(test_copy_clear);
	CV_RUN(test_hundred_sources);
	CV_RUN(test_plan_capped);
	return cv_test_done();
}
