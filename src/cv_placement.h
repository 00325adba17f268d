/*
 * cv_placement.h - which Janus event loop a participant's PeerConnection
 * is served by: room affinity.
 *
 * With static event loops (janus.jcfg `event_loops = N`), the Janus core
 * runs every PeerConnection on one of N threads. A forwarded packet is
 * received on the publisher's loop and queued to each receiver's loop;
 * when the receiver's loop is another thread, that thread must be woken
 * (an eventfd write, a futex, a context switch). Keeping a room's
 * PeerConnections on one loop makes forwarding inside the room a same-
 * thread hand-off, and spreading rooms over the loops keeps every core
 * busy: mediasoup's one-router-per-worker, done with Janus's loops.
 *
 * Rules:
 *   - a room's first participant goes to the least loaded loop (fewest
 *     participants placed on it; ties: the lowest index), which becomes the
 *     room's home loop;
 *   - later participants of the room go to its home loop, until `share`
 *     of them are there (0: no limit); beyond, to the least loaded loop
 *     (a room too large for one thread spreads out);
 *   - when every participant of a room has left, the room is forgotten: its
 *     next participant picks a home anew.
 *
 * Pure logic: no Janus headers. Not thread-safe: the caller serializes
 * (the transport holds its placement mutex).
 */
#ifndef CV_PLACEMENT_H
#define CV_PLACEMENT_H

#include <stdbool.h>

/* Most characters of a room id that tell rooms apart here (longer ids are
 * compared on this prefix: two rooms sharing it share a home, nothing worse) */
#define CV_PLACEMENT_ROOM_MAX 128

typedef struct cv_placement cv_placement;

/* A placement over `loops` loops (>= 1) with at most `share` participants
 * of one room on its home loop (0: no limit). NULL if loops < 1. The caller
 * owns it (cv_placement_free). */
cv_placement *cv_placement_new(int loops, int share);
void cv_placement_free(cv_placement *p);

/* The loop (0..loops-1) for one more participant of `room`; counted until
 * cv_placement_give() with the same room and loop. */
int cv_placement_take(cv_placement *p, const char *room);
/* A participant placed by cv_placement_take(room) on `loop` left. Unknown
 * room or loop: ignored. */
void cv_placement_give(cv_placement *p, const char *room, int loop);

/* Participants placed on `loop` now (0 for a bad index). */
int cv_placement_load(const cv_placement *p, int loop);
/* The home loop of `room`, -1 if it has no participant now. */
int cv_placement_home(const cv_placement *p, const char *room);
/* Rooms with participants now. */
int cv_placement_rooms(const cv_placement *p);

#endif
