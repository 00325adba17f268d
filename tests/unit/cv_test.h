/*
 * cv_test.h - a minimal TAP producer for the unit tests.
 *
 * Each test binary prints "ok N - name" / "not ok N - name" lines and a plan
 * at the end; tests/run counts them. CV_CHECK records a failed expectation
 * with its file and line and lets the test go on, so one run shows every
 * broken expectation.
 *
 *   static void test_something(void) { CV_CHECK(1 + 1 == 2); }
 *   int main(void) { CV_RUN(test_something); return cv_test_done(); }
 */
#ifndef CV_TEST_H
#define CV_TEST_H

#include <stdio.h>
#include <string.h>

static int cv_test_count = 0;
static int cv_test_failed = 0;
static int cv_test_current_failed = 0;

#define CV_CHECK(cond) do { \
	if(!(cond)) { \
		printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		cv_test_current_failed = 1; \
	} \
} while(0)

#define CV_CHECK_STR(a, b) do { \
	const char *cv_a_ = (a), *cv_b_ = (b); \
	if(cv_a_ == NULL || cv_b_ == NULL || strcmp(cv_a_, cv_b_) != 0) { \
		printf("#   %s:%d: \"%s\" != \"%s\" (%s vs %s)\n", __FILE__, __LINE__, \
			cv_a_ ? cv_a_ : "(null)", cv_b_ ? cv_b_ : "(null)", #a, #b); \
		cv_test_current_failed = 1; \
	} \
} while(0)

#define CV_CHECK_INT(a, b) do { \
	long long cv_a_ = (long long)(a), cv_b_ = (long long)(b); \
	if(cv_a_ != cv_b_) { \
		printf("#   %s:%d: %lld != %lld (%s vs %s)\n", __FILE__, __LINE__, cv_a_, cv_b_, #a, #b); \
		cv_test_current_failed = 1; \
	} \
} while(0)

#define CV_RUN(fn) do { \
	cv_test_current_failed = 0; \
	fn(); \
	cv_test_count++; \
	if(cv_test_current_failed) \
		cv_test_failed++; \
	printf("%s %d - %s\n", cv_test_current_failed ? "not ok" : "ok", cv_test_count, #fn); \
	fflush(stdout); \
} while(0)

static inline int cv_test_done(void) {
	printf("1..%d\n", cv_test_count);
	return cv_test_failed ? 1 : 0;
}

#endif
