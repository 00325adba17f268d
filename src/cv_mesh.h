/*
 * cv_mesh.h - who offers first between two members of a mesh room.
 *
 * The contract says: the newcomer gets `joined`, the members already there
 * get `user-joined` and create the offer. Browser clients written like the
 * seed guide's example also offer from the newcomer's side (addTrack fires
 * negotiationneeded), so both sides of every new pair offer at once, with
 * no perfect negotiation to settle it; clients that do have perfect
 * negotiation may give either side the polite role. The server settles a
 * new pair (earlier member M, newcomer N) by timing alone so that all of
 * them converge:
 *
 *  - M -> N: M's offer and candidates are held until N has sent M an offer
 *    (its page has a PeerConnection with local tracks, so M's offer lands
 *    on a settled have-local-offer state), or CV_MESH_MEMBER_HOLD_US after
 *    N joined for clients that never offer from the newcomer;
 *  - N -> M: N's offers and candidates are held. If N answers M's offer (a
 *    seed-style client rolls back implicitly, a polite one explicitly), the
 *    held offers are stale: they are discarded and the held candidates are
 *    delivered right after the answer. If N leaves M's offer unanswered for
 *    CV_MESH_NUDGE_US (an impolite N ignores it), or M made no offer for
 *    CV_MESH_NEWCOMER_WINDOW_US after N joined, everything held is
 *    delivered in order and M (polite) answers N instead.
 *
 * After N's first answer to M, or once the windows passed, the pair is
 * relayed as sent, both ways.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_MESH_H
#define CV_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_envelope.h"

/* How long a member's signalling to a newcomer waits for the newcomer's page. */
#define CV_MESH_MEMBER_HOLD_US (1 * 1000000LL)
/* How long a newcomer may leave the member's offer unanswered before its
 * own offer is delivered instead. */
#define CV_MESH_NUDGE_US (1 * 1000000LL)
/* How long a newcomer's signalling waits when the member makes no offer. */
#define CV_MESH_NEWCOMER_WINDOW_US (2 * 1000000LL)

typedef enum cv_mesh_action {
	CV_MESH_RELAY = 0,	/* deliver now (and whatever is held before it) */
	CV_MESH_HOLD,		/* keep, in order, until the pair is settled */
} cv_mesh_action;

/* What the server knows about one ordered pair sender -> target. */
typedef struct cv_mesh_pair {
	int64_t sender_joined_us;		/* monotonic join times */
	int64_t target_joined_us;
	bool sender_answered_target;	/* the sender has sent the target an answer */
	bool target_offered_sender;		/* the target has sent the sender an offer */
	int64_t target_offer_delivered_us;	/* when an offer of the target's reached the sender, 0: never */
} cv_mesh_pair;

/* Whether frames of `type` from pair->sender to pair->target go now or are
 * held (now_us, monotonic). Only offers and candidates are ever held. */
cv_mesh_action cv_mesh_gate(cv_msg_type type, const cv_mesh_pair *pair, int64_t now_us);

#endif
