/*
 * cv_mesh.h - who offers first between two members of a mesh room.
 *
 * The contract says: the newcomer gets `joined`, the members already there
 * get `user-joined` and create the offer. Browser clients written like the
 * seed guide's example also offer from the newcomer's side (addTrack fires
 * negotiationneeded), so both sides of every new pair offer at once, with
 * no polite/impolite roles to settle it. The server settles it the way the
 * contract orders, by timing alone, so that such clients always converge:
 *
 *  - newcomer -> earlier member: until the newcomer has answered that
 *    member, its offers are dropped (the member's offer is the one that
 *    counts; the newcomer's browser rolls its own back when that arrives)
 *    and its ICE candidates are held, then delivered right after its
 *    answer;
 *  - earlier member -> newcomer: the member's offer and candidates are held
 *    until the newcomer has sent its own (dropped) offer to that member,
 *    which shows its page has a PeerConnection with local tracks, so the
 *    member's offer lands on a settled have-local-offer state instead of
 *    racing the newcomer's set-up.
 *
 * Each rule lapses after its window, so clients that do wait for the
 * member's offer (and never offer from the newcomer) lose at most
 * CV_MESH_MEMBER_HOLD_US of set-up time, and nothing is held for ever.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_MESH_H
#define CV_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_envelope.h"

/* How long a newcomer's offers to a member are dropped, at most. */
#define CV_MESH_NEWCOMER_WINDOW_US (5 * 1000000LL)
/* How long a member's offer to a newcomer waits for the newcomer, at most. */
#define CV_MESH_MEMBER_HOLD_US (1 * 1000000LL)

typedef enum cv_mesh_action {
	CV_MESH_RELAY = 0,	/* deliver now */
	CV_MESH_DROP,		/* a crossing offer from the newcomer: discard */
	CV_MESH_HOLD,		/* keep, in order, until the pair is ready */
} cv_mesh_action;

/* What the server knows about one ordered pair sender -> target. */
typedef struct cv_mesh_pair {
	int64_t sender_joined_us;		/* monotonic join times */
	int64_t target_joined_us;
	bool sender_answered_target;	/* the sender has sent the target an answer */
	bool target_offered_sender;		/* the target has sent the sender an offer */
} cv_mesh_pair;

/* What to do now (now_us) with an offer/answer/ice-candidate of `type`
 * from pair->sender to pair->target. Other types are always relayed. */
cv_mesh_action cv_mesh_gate(cv_msg_type type, const cv_mesh_pair *pair, int64_t now_us);

#endif
