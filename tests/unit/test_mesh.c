/*
 * test_mesh.c - unit tests for src/cv_mesh.c (who offers first in a mesh pair).
 */
#include "cv_mesh.h"
#include "cv_test.h"

#define S 1000000LL

/* alice joined at 1 s, bob (the newcomer) at 2 s */
static cv_mesh_pair pair(bool bob_is_sender, bool answered, bool offered) {
	cv_mesh_pair p = {
		.sender_joined_us = bob_is_sender ? 2 * S : 1 * S,
		.target_joined_us = bob_is_sender ? 1 * S : 2 * S,
		.sender_answered_target = answered,
		.target_offered_sender = offered,
	};
	return p;
}

static void test_newcomer_offer_dropped_until_answered(void) {
	cv_mesh_pair p = pair(true, false, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_DROP);
	p = pair(true, true, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_RELAY);
}

static void test_newcomer_candidates_held_until_answered(void) {
	cv_mesh_pair p = pair(true, false, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_HOLD);
	p = pair(true, true, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_RELAY);
}

static void test_answers_and_messages_always_relayed(void) {
	for(int who = 0; who < 2; who++) {
		cv_mesh_pair p = pair(who, false, false);
		CV_CHECK_INT(cv_mesh_gate(CV_MSG_ANSWER, &p, 2 * S + 1000), CV_MESH_RELAY);
		CV_CHECK_INT(cv_mesh_gate(CV_MSG_MESSAGE, &p, 2 * S + 1000), CV_MESH_RELAY);
	}
}

static void test_newcomer_window_lapses(void) {
	cv_mesh_pair p = pair(true, false, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_NEWCOMER_WINDOW_US - 1), CV_MESH_DROP);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_NEWCOMER_WINDOW_US), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + CV_MESH_NEWCOMER_WINDOW_US), CV_MESH_RELAY);
}

static void test_member_held_until_newcomer_offered(void) {
	cv_mesh_pair p = pair(false, false, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_HOLD);
	p = pair(false, false, true);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_RELAY);
}

static void test_member_hold_lapses(void) {
	cv_mesh_pair p = pair(false, false, false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_MEMBER_HOLD_US - 1), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_MEMBER_HOLD_US), CV_MESH_RELAY);
}

static void test_same_join_time_relayed(void) {
	cv_mesh_pair p = { .sender_joined_us = S, .target_joined_us = S };
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, S + 1), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, S + 1), CV_MESH_RELAY);
}

int main(void) {
	CV_RUN(test_newcomer_offer_dropped_until_answered);
	CV_RUN(test_newcomer_candidates_held_until_answered);
	CV_RUN(test_answers_and_messages_always_relayed);
	CV_RUN(test_newcomer_window_lapses);
	CV_RUN(test_member_held_until_newcomer_offered);
	CV_RUN(test_member_hold_lapses);
	CV_RUN(test_same_join_time_relayed);
	return cv_test_done();
}
