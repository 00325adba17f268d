/*
 * cv_placement.c - room affinity of Janus event loops (see cv_placement.h).
 *
 * Rooms live in an array searched linearly: placement happens once per
 * PeerConnection (at a socket's first `join`), not per packet, and a few
 * thousand rooms compare in microseconds. A room entry counts its
 * participants in all and those on its home loop.
 */
#include <stdlib.h>
#include <string.h>

#include "cv_placement.h"

typedef struct cv_placed_room {
	char id[CV_PLACEMENT_ROOM_MAX + 1];
	int home;		/* its home loop */
	int members;	/* participants placed for it, on any loop */
	int at_home;	/* ... of them on the home loop */
} cv_placed_room;

struct cv_placement {
	int loops, share;
	int *load;				/* participants per loop */
	cv_placed_room *rooms;
	int room_count, room_cap;
};

cv_placement *cv_placement_new(int loops, int share) {
	if(loops < 1)
		return NULL;
	cv_placement *p = calloc(1, sizeof(*p));
	if(p == NULL)
		return NULL;
	p->load = calloc((size_t)loops, sizeof(int));
	if(p->load == NULL) {
		free(p);
		return NULL;
	}
	p->loops = loops;
	p->share = share > 0 ? share : 0;
	return p;
}

void cv_placement_free(cv_placement *p) {
	if(p == NULL)
		return;
	free(p->load);
	free(p->rooms);
	free(p);
}

static cv_placed_room *cv_placement_find(const cv_placement *p, const char *room) {
	for(int i = 0; i < p->room_count; i++) {
		if(strncmp(p->rooms[i].id, room, CV_PLACEMENT_ROOM_MAX) == 0)
			return &p->rooms[i];
	}
	return NULL;
}

static int cv_placement_least_loaded(const cv_placement *p) {
	int best = 0;
	for(int i = 1; i < p->loops; i++) {
		if(p->load[i] < p->load[best])
			best = i;
	}
	return best;
}

int cv_placement_take(cv_placement *p, const char *room) {
	if(p == NULL)
		return 0;
	if(room == NULL)
		room = "";
	cv_placed_room *r = cv_placement_find(p, room);
	if(r == NULL) {
		if(p->room_count == p->room_cap) {
			int cap = p->room_cap ? p->room_cap * 2 : 16;
			cv_placed_room *rooms = realloc(p->rooms, (size_t)cap * sizeof(*rooms));
			if(rooms == NULL) {
				/* No memory to remember the room: still a valid loop */
				int loop = cv_placement_least_loaded(p);
				p->load[loop]++;
				return loop;
			}
			p->rooms = rooms;
			p->room_cap = cap;
		}
		r = &p->rooms[p->room_count++];
		memset(r, 0, sizeof(*r));
		strncpy(r->id, room, CV_PLACEMENT_ROOM_MAX);
		r->home = cv_placement_least_loaded(p);
	}
	int loop = r->home;
	if(p->share > 0 && r->at_home >= p->share)
		loop = cv_placement_least_loaded(p);
	if(loop == r->home)
		r->at_home++;
	r->members++;
	p->load[loop]++;
	return loop;
}

void cv_placement_give(cv_placement *p, const char *room, int loop) {
	if(p == NULL || loop < 0 || loop >= p->loops)
		return;
	if(room == NULL)
		room = "";
	cv_placed_room *r = cv_placement_find(p, room);
	if(r == NULL || r->members < 1)
		return;
	if(p->load[loop] > 0)
		p->load[loop]--;
	if(loop == r->home && r->at_home > 0)
		r->at_home--;
	r->members--;
	if(r->members == 0) {
		/* Forget it: the last entry takes its place */
		*r = p->rooms[--p->room_count];
	}
}

int cv_placement_load(const cv_placement *p, int loop) {
	if(p == NULL || loop < 0 || loop >= p->loops)
		return 0;
	return p->load[loop];
}

int cv_placement_home(const cv_placement *p, const char *room) {
	if(p == NULL || room == NULL)
		return -1;
	const cv_placed_room *r = cv_placement_find(p, room);
	return r ? r->home : -1;
}

int cv_placement_rooms(const cv_placement *p) {
	return p ? p->room_count : 0;
}
