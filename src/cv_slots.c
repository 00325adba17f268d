/*
 * cv_slots.c - the m-line table of one PeerConnection (see cv_slots.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_slots.h"

void cv_slots_init(cv_slot_table *t) {
	memset(t, 0, sizeof(*t));
}

void cv_slots_clear(cv_slot_table *t) {
	free(t->slots);
	cv_slots_init(t);
}

bool cv_slots_copy(cv_slot_table *dst, const cv_slot_table *src) {
	cv_slots_init(dst);
	dst->next_mid = src->next_mid;
	if(src->count == 0)
		return true;
	dst->slots = malloc(src->count * sizeof(cv_slot));
	if(dst->slots == NULL)
		return false;
	memcpy(dst->slots, src->slots, src->count * sizeof(cv_slot));
	dst->count = dst->capacity = src->count;
	return true;
}

static bool cv_slots_grow(cv_slot_table *t) {
	if(t->count < t->capacity)
		return true;
	size_t capacity = t->capacity ? t->capacity * 2 : 8;
	cv_slot *grown = realloc(t->slots, capacity * sizeof(cv_slot));
	if(grown == NULL)
		return false;
	t->slots = grown;
	t->capacity = capacity;
	return true;
}

int cv_slots_find_mid(const cv_slot_table *t, const char *mid) {
	for(size_t i = 0; mid != NULL && i < t->count; i++) {
		if(strcmp(t->slots[i].mid, mid) == 0)
			return (int)i;
	}
	return -1;
}

int cv_slots_find_source(const cv_slot_table *t, const char *key) {
	for(size_t i = 0; key != NULL && i < t->count; i++) {
		if(t->slots[i].role == CV_SLOT_FORWARD && strcmp(t->slots[i].source, key) == 0)
			return (int)i;
	}
	return -1;
}

int cv_slots_append(cv_slot_table *t, cv_media_kind kind, cv_slot_role role, const char *mid) {
	if(mid == NULL || *mid == '\0' || strlen(mid) > CV_MID_MAX_LEN || cv_slots_find_mid(t, mid) >= 0 ||
			t->count >= CV_SLOTS_MAX)
		return -1;
	if(!cv_slots_grow(t))
		return -1;
	cv_slot *s = &t->slots[t->count];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->role = role;
	strcpy(s->mid, mid);
	return (int)t->count++;
}

/* A mid no slot uses yet, for a server-made m-line. */
static void cv_slots_new_mid(cv_slot_table *t, char *mid) {
	do {
		snprintf(mid, CV_MID_MAX_LEN + 1, "f%u", ++t->next_mid);
	} while(cv_slots_find_mid(t, mid) >= 0);
}

static bool cv_wanted_has(const cv_wanted *wanted, size_t n, const char *key) {
	for(size_t i = 0; i < n; i++) {
		if(wanted[i].key != NULL && strcmp(wanted[i].key, key) == 0)
			return true;
	}
	return false;
}

int cv_slots_plan(cv_slot_table *t, const cv_wanted *wanted, size_t n_wanted) {
	cv_slot_table next;
	if(!cv_slots_copy(&next, t))
		return -1;
	/* Forwards whose source is gone free their slot */
	for(size_t i = 0; i < next.count; i++) {
		cv_slot *s = &next.slots[i];
		if(s->role == CV_SLOT_FORWARD && !cv_wanted_has(wanted, n_wanted, s->source)) {
			s->role = CV_SLOT_FREE;
			s->source[0] = '\0';
		}
	}
	/* New sources: a free slot of their kind first, else a new m-line */
	for(size_t w = 0; w < n_wanted; w++) {
		if(wanted[w].key == NULL || strlen(wanted[w].key) > CV_SOURCE_KEY_MAX_LEN)
			continue;
		if(cv_slots_find_source(&next, wanted[w].key) >= 0)
			continue;
		int index = -1;
		for(size_t i = 0; i < next.count; i++) {
			if(next.slots[i].role == CV_SLOT_FREE && next.slots[i].kind == wanted[w].kind) {
				index = (int)i;
				break;
			}
		}
		if(index < 0 && next.count >= CV_SLOTS_MAX)
			continue;	/* no room: not forwarded for now */
		if(index < 0) {
			char mid[CV_MID_MAX_LEN + 1];
			cv_slots_new_mid(&next, mid);
			index = cv_slots_append(&next, wanted[w].kind, CV_SLOT_FREE, mid);
			if(index < 0) {
				cv_slots_clear(&next);
				return -1;
			}
		}
		next.slots[index].role = CV_SLOT_FORWARD;
		strcpy(next.slots[index].source, wanted[w].key);
	}
	/* A slot freed and retaken in this plan changed once, not twice */
	int changes = 0;
	for(size_t i = 0; i < next.count; i++) {
		if(i >= t->count || next.slots[i].role != t->slots[i].role ||
				strcmp(next.slots[i].source, t->slots[i].source) != 0)
			changes++;
	}
	cv_slots_clear(t);
	*t = next;
	return changes;
}
