/*
 * cv_mesh.c - who offers first in a mesh pair (see cv_mesh.h).
 */
#include "cv_mesh.h"

cv_mesh_action cv_mesh_gate(cv_msg_type type, const cv_mesh_pair *pair, int64_t now_us) {
	if(type != CV_MSG_OFFER && type != CV_MSG_ICE_CANDIDATE)
		return CV_MESH_RELAY;
	if(pair->sender_joined_us > pair->target_joined_us) {
		/* The sender is the newcomer */
		if(pair->sender_answered_target)
			return CV_MESH_RELAY;
		if(pair->target_offer_delivered_us > 0)
			return now_us - pair->target_offer_delivered_us >= CV_MESH_NUDGE_US ? CV_MESH_RELAY : CV_MESH_HOLD;
		return now_us - pair->sender_joined_us >= CV_MESH_NEWCOMER_WINDOW_US ? CV_MESH_RELAY : CV_MESH_HOLD;
	}
	if(pair->sender_joined_us < pair->target_joined_us) {
		/* The sender was there first: wait until the newcomer is ready */
		if(pair->target_offered_sender || now_us - pair->target_joined_us >= CV_MESH_MEMBER_HOLD_US)
			return CV_MESH_RELAY;
		return CV_MESH_HOLD;
	}
	return CV_MESH_RELAY;
}
