/*
 * test_mesh.c - unit tests for src/cv_mesh.c (who offers first in a mesh pair).
 */
#include "cv_mesh.h"
#include "cv_test.h"

#define S 1000000LL

/* alice (the member) joined at 1 s, bob (the newcomer) at 2 s */
static cv_mesh_pair from_bob(bool answered, int64_t alice_offer_at) {
	cv_mesh_pair p = {
		.sender_joined_us = 2 * S, .target_joined_us = 1 * S,
		.sender_answered_target = answered, .target_offer_delivered_us = alice_offer_at,
	};
	return p;
}

static cv_mesh_pair from_alice(bool bob_offered) {
	cv_mesh_pair p = { .sender_joined_us = 1 * S, .target_joined_us = 2 * S, .target_offered_sender = bob_offered };
	return p;
}

static void test_newcomer_held_until_it_answers(void) {
	cv_mesh_pair p = from_bob(false, 0);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_HOLD);
	p = from_bob(true, 2 * S + 500);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_RELAY);
}

static void test_newcomer_ignoring_the_member_is_nudged(void) {
	/* alice's offer reached bob at 2.2 s; bob (impolite) did not answer */
	cv_mesh_pair p = from_bob(false, 2 * S + 200000);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 200000 + CV_MESH_NUDGE_US - 1), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 200000 + CV_MESH_NUDGE_US), CV_MESH_RELAY);
}

static void test_newcomer_window_without_member_offer(void) {
	cv_mesh_pair p = from_bob(false, 0);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_NEWCOMER_WINDOW_US - 1), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_NEWCOMER_WINDOW_US), CV_MESH_RELAY);
}

static void test_member_held_until_newcomer_offered(void) {
	cv_mesh_pair p = from_alice(false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_HOLD);
	p = from_alice(true);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + 1000), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ICE_CANDIDATE, &p, 2 * S + 1000), CV_MESH_RELAY);
}

static void test_member_hold_lapses(void) {
	cv_mesh_pair p = from_alice(false);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_MEMBER_HOLD_US - 1), CV_MESH_HOLD);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, 2 * S + CV_MESH_MEMBER_HOLD_US), CV_MESH_RELAY);
}

static void test_answers_and_messages_never_held(void) {
	cv_mesh_pair a = from_alice(false), b = from_bob(false, 0);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ANSWER, &a, 2 * S + 1000), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_ANSWER, &b, 2 * S + 1000), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_MESSAGE, &a, 2 * S + 1000), CV_MESH_RELAY);
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_MESSAGE, &b, 2 * S + 1000), CV_MESH_RELAY);
}

static void test_same_join_time_relayed(void) {
	cv_mesh_pair p = { .sender_joined_us = S, .target_joined_us = S };
	CV_CHECK_INT(cv_mesh_gate(CV_MSG_OFFER, &p, S + 1), CV_MESH_RELAY);
}

int main(void) {
	CV_RUN(test_newcomer_held_until_it_answers);
	CV_RUN(test_newcomer_ignoring_the_member_is_nudged);
	CV_RUN(test_newcomer_window_without_member_offer);
	CV_RUN(test_member_held_until_newcomer_offered);
	CV_RUN(test_member_hold_lapses);
	CV_RUN(test_answers_and_messages_never_held);
	CV_RUN(test_same_join_time_relayed);
	return cv_test_done();
}
