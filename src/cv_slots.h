/*
 * cv_slots.h - the m-line table of one participant's PeerConnection.
 *
 * In an SFU room each participant has one PeerConnection with the server.
 * Its m-lines ("slots") are, in order:
 *   PUBLISH  the participant's own tracks (it sends, the server receives);
 *   DATA     its data channel;
 *   FORWARD  a remote participant's track the server sends it;
 *   PAUSED   one of the participant's own tracks that is not sending now:
 *            the server keeps offering to receive on it (recvonly), so the
 *            client can resume it in an offer or an answer; never reused;
 *   FREE     a FORWARD slot whose source went away (inactive, kept so the
 *            index and mid stay valid), or a client m-line that never sent:
 *            reused by the next source of the same kind;
 *   REJECTED an m-line refused in an answer (port 0).
 *
 * cv_slots_plan() turns "the sources this participant should receive" into
 * the next slot table: kept forwards stay where they are, gone ones become
 * FREE, new ones take a FREE slot of their kind before any new m-line is
 * appended. So the SDP never grows beyond the most sources of each kind the
 * participant ever received at once, and never beyond CV_SLOTS_MAX m-lines
 * (sources that find no room then are not forwarded until a slot frees).
 *
 * Pure logic: no Janus headers. Not thread-safe (one owner: the plugin's
 * handler thread).
 */
#ifndef CV_SLOTS_H
#define CV_SLOTS_H

#include <stdbool.h>
#include <stddef.h>

#define CV_MID_MAX_LEN 16			/* Janus refuses longer mids */
#define CV_SOURCE_KEY_MAX_LEN 160	/* "<user id>/<mid>/<serial>" */
/* Most m-lines of one PeerConnection: what a client SDP may have
 * (CV_SDP_MAX_MLINES in cv_sdp_check.h is the same number). */
#define CV_SLOTS_MAX 256

typedef enum cv_media_kind {
	CV_KIND_AUDIO = 0,
	CV_KIND_VIDEO,
	CV_KIND_DATA,
} cv_media_kind;

typedef enum cv_slot_role {
	CV_SLOT_PUBLISH = 0,
	CV_SLOT_DATA,
	CV_SLOT_FORWARD,
	CV_SLOT_FREE,
	CV_SLOT_REJECTED,
	CV_SLOT_PAUSED,
} cv_slot_role;

typedef struct cv_slot {
	cv_media_kind kind;
	cv_slot_role role;
	char mid[CV_MID_MAX_LEN + 1];
	char source[CV_SOURCE_KEY_MAX_LEN + 1];	/* FORWARD: the source's key */
} cv_slot;

/* A source the participant should receive. */
typedef struct cv_wanted {
	const char *key;		/* unique per source, e.g. "alice/1/17" */
	cv_media_kind kind;
} cv_wanted;

typedef struct cv_slot_table {
	cv_slot *slots;
	size_t count, capacity;
	unsigned int next_mid;	/* for server-made mids: "f1", "f2", ... */
} cv_slot_table;

void cv_slots_init(cv_slot_table *t);
void cv_slots_clear(cv_slot_table *t);
/* Deep copy of src into dst (dst is initialised here). false on OOM. */
bool cv_slots_copy(cv_slot_table *dst, const cv_slot_table *src);

/* Appends a slot with the given mid (a client's m-line). Returns its index
 * or -1 (bad mid, duplicate mid, CV_SLOTS_MAX slots already, OOM). */
int cv_slots_append(cv_slot_table *t, cv_media_kind kind, cv_slot_role role, const char *mid);
/* Index of the slot with mid, or -1. */
int cv_slots_find_mid(const cv_slot_table *t, const char *mid);
/* Index of the FORWARD slot of source key, or -1. */
int cv_slots_find_source(const cv_slot_table *t, const char *key);

/* Updates t so that exactly the wanted sources have FORWARD slots (see the
 * top of this file), as far as CV_SLOTS_MAX allows. Returns the number of
 * slots that changed role or source (0: nothing to renegotiate), or -1 on
 * OOM (t unchanged then). */
int cv_slots_plan(cv_slot_table *t, const cv_wanted *wanted, size_t n_wanted);

#endif
