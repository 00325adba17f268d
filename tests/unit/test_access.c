/*
 * test_access.c - unit tests for src/cv_access.c (room rules, bans).
 */
#include <string.h>

#include "cv_access.h"
#include "cv_test.h"

static cv_claims claims_for(const char *sub, const char *room) {
	cv_claims c;
	memset(&c, 0, sizeof(c));
	strcpy(c.sub, sub);
	strcpy(c.room, room);
	c.grants = cv_grants_default();
	return c;
}

static void test_open_room(void) {
	cv_access rules = { false, NULL, NULL };
	cv_error err;
	CV_CHECK(cv_access_check(&rules, "r", NULL, "alice", NULL, &err));
	CV_CHECK(cv_access_check(NULL, "r", NULL, "alice", NULL, &err));
}

static void test_private_room(void) {
	cv_access rules = { true, NULL, NULL };
	cv_error err;
	cv_claims exact = claims_for("alice", "r1"), star = claims_for("alice", "*"), none = claims_for("alice", ""),
		other = claims_for("alice", "r2");
	CV_CHECK(cv_access_check(&rules, "r1", &exact, "alice", NULL, &err));
	CV_CHECK(!cv_access_check(&rules, "r1", &star, "alice", NULL, &err));
	CV_CHECK_INT(err.code, 403);
	CV_CHECK(!cv_access_check(&rules, "r1", &none, "alice", NULL, &err));
	CV_CHECK(!cv_access_check(&rules, "r1", &other, "alice", NULL, &err));
	CV_CHECK(!cv_access_check(&rules, "r1", NULL, "alice", NULL, &err));
	CV_CHECK(strstr(err.message, "private") != NULL);
}

static void test_allow_list(void) {
	const char *const users[] = { "alice", "bob", NULL };
	cv_access rules = { false, users, NULL };
	cv_error err;
	CV_CHECK(cv_access_check(&rules, "r", NULL, "bob", NULL, &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "bo", NULL, &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "carol", NULL, &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, NULL, NULL, &err));
	const char *const nobody[] = { NULL };
	rules.allowed_users = nobody;
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "alice", NULL, &err));
}

static void test_pin(void) {
	cv_access rules = { false, NULL, "4711" };
	cv_error err;
	CV_CHECK(cv_access_check(&rules, "r", NULL, "a", "4711", &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "a", "4712", &err));
	CV_CHECK_STR(err.message, "wrong PIN");
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "a", "471", &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "a", "47111", &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "a", "", &err));
	CV_CHECK(!cv_access_check(&rules, "r", NULL, "a", NULL, &err));
	CV_CHECK_STR(err.message, "this room needs a PIN");
	rules.pin = "";
	CV_CHECK(cv_access_check(&rules, "r", NULL, "a", NULL, &err));
}

static void test_rules_combine(void) {
	const char *const users[] = { "alice", NULL };
	cv_access rules = { true, users, "1" };
	cv_error err;
	cv_claims c = claims_for("alice", "r");
	CV_CHECK(cv_access_check(&rules, "r", &c, "alice", "1", &err));
	CV_CHECK(!cv_access_check(&rules, "r", &c, "alice", "2", &err));
	cv_claims b = claims_for("bob", "r");
	CV_CHECK(!cv_access_check(&rules, "r", &b, "bob", "1", &err));
}

static void test_token_bans(void) {
	cv_bans b;
	cv_bans_init(&b);
	CV_CHECK(!cv_bans_check(&b, "tok-1", "alice", 100));
	CV_CHECK(cv_bans_add_token(&b, "tok-1", 200));
	CV_CHECK(cv_bans_check(&b, "tok-1", "alice", 100));
	CV_CHECK(cv_bans_check(&b, "tok-1", "someone-else", 150));	/* the token, whoever holds it */
	CV_CHECK(!cv_bans_check(&b, "tok-2", "alice", 150));		/* a new token is fine */
	CV_CHECK(!cv_bans_check(&b, "tok-1", "alice", 200));		/* expired at exp */
	CV_CHECK_INT(b.count, 0);
	cv_bans_clear(&b);
}

static void test_user_bans_and_extension(void) {
	cv_bans b;
	cv_bans_init(&b);
	CV_CHECK(cv_bans_add_user(&b, "alice", 300));
	CV_CHECK(cv_bans_check(&b, NULL, "alice", 10));
	CV_CHECK(cv_bans_check(&b, "any-token", "alice", 10));
	CV_CHECK(!cv_bans_check(&b, NULL, "bob", 10));
	/* a second ban keeps the later end */
	CV_CHECK(cv_bans_add_user(&b, "alice", 100));
	CV_CHECK(cv_bans_check(&b, NULL, "alice", 200));
	CV_CHECK(cv_bans_add_user(&b, "alice", 400));
	CV_CHECK(cv_bans_check(&b, NULL, "alice", 350));
	CV_CHECK_INT(b.count, 1);
	CV_CHECK(!cv_bans_add_user(&b, NULL, 500));
	CV_CHECK(!cv_bans_add_token(&b, NULL, 500));
	for(int i = 0; i < 100; i++) {
		char user[16];
		snprintf(user, sizeof(user), "u%d", i);
		CV_CHECK(cv_bans_add_user(&b, user, 1000 + i));
	}
	CV_CHECK(cv_bans_check(&b, NULL, "u99", 1050));
	CV_CHECK(!cv_bans_check(&b, NULL, "u10", 1050));	/* expired, and dropped */
	CV_CHECK(b.count < 60);
	cv_bans_clear(&b);
}

int main(void) {
	CV_RUN(test_open_room);
	CV_RUN(test_private_room);
	CV_RUN(test_allow_list);
	CV_RUN(test_pin);
	CV_RUN(test_rules_combine);
	CV_RUN(test_token_bans);
	CV_RUN(test_user_bans_and_extension);
	return cv_test_done();
}
