/*
 * test_ratelimit.c - unit tests for src/cv_ratelimit.c.
 */
#include "cv_ratelimit.h"
#include "cv_test.h"

#define S 1000000LL

static void test_burst_then_refill(void) {
	cv_bucket b;
	cv_bucket_init(&b, 10, 5);	/* 10/s, burst 5 */
	int64_t t = 100 * S;
	for(int i = 0; i < 5; i++)
		CV_CHECK(cv_bucket_take(&b, 1, t));
	CV_CHECK(!cv_bucket_take(&b, 1, t));
	/* 100 ms later: one token back */
	CV_CHECK(cv_bucket_take(&b, 1, t + S / 10));
	CV_CHECK(!cv_bucket_take(&b, 1, t + S / 10));
	/* a long pause refills to the burst, no more */
	int taken = 0;
	while(cv_bucket_take(&b, 1, t + 60 * S))
		taken++;
	CV_CHECK_INT(taken, 5);
}

static void test_sustained_rate(void) {
	cv_bucket b;
	cv_bucket_init(&b, 50, 10);
	int64_t t = 1;
	int ok = 0;
	/* 200 messages per second for 10 s: about 50/s plus the burst get through */
	for(int i = 0; i < 2000; i++)
		ok += cv_bucket_take(&b, 1, t + (int64_t)i * 5000) ? 1 : 0;
	CV_CHECK(ok >= 500 && ok <= 511);
}

static void test_unlimited_and_clock_backwards(void) {
	cv_bucket b;
	cv_bucket_init(&b, 0, 0);
	for(int i = 0; i < 1000; i++)
		CV_CHECK(cv_bucket_take(&b, 1, 1));
	cv_bucket_init(&b, 1, 1);
	CV_CHECK(cv_bucket_take(&b, 1, 10 * S));
	CV_CHECK(!cv_bucket_take(&b, 1, 5 * S));	/* time went back: no refill */
	CV_CHECK(cv_bucket_take(&b, 1, 11 * S));
}

static void test_cost(void) {
	cv_bucket b;
	cv_bucket_init(&b, 1, 10);
	CV_CHECK(cv_bucket_take(&b, 7, S));
	CV_CHECK(!cv_bucket_take(&b, 4, S));
	CV_CHECK(cv_bucket_take(&b, 3, S));
}

static void test_abuse_window(void) {
	cv_abuse a;
	cv_abuse_init(&a, 3, 10 * S);
	CV_CHECK(!cv_abuse_strike(&a, 1 * S));
	CV_CHECK(!cv_abuse_strike(&a, 2 * S));
	CV_CHECK(cv_abuse_strike(&a, 3 * S));
	/* refusals spread out never add up */
	cv_abuse_init(&a, 3, 10 * S);
	CV_CHECK(!cv_abuse_strike(&a, 1 * S));
	CV_CHECK(!cv_abuse_strike(&a, 2 * S));
	CV_CHECK(!cv_abuse_strike(&a, 20 * S));
	CV_CHECK(!cv_abuse_strike(&a, 21 * S));
	CV_CHECK(cv_abuse_strike(&a, 22 * S));
	/* strikes 0: never abusive */
	cv_abuse_init(&a, 0, S);
	for(int i = 0; i < 100; i++)
		CV_CHECK(!cv_abuse_strike(&a, i));
}

int main(void) {
	CV_RUN(test_burst_then_refill);
	CV_RUN(test_sustained_rate);
	CV_RUN(test_unlimited_and_clock_backwards);
	CV_RUN(test_cost);
	CV_RUN(test_abuse_window);
	return cv_test_done();
}
