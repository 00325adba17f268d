/*
 * cv_ratelimit.h - a token bucket, and the abuse rule built on it.
 *
 * Each connection has a bucket: `rate` tokens per second, at most `burst`
 * in store; a message takes one. An empty bucket means the message is
 * refused (the protocol's 429). A connection that keeps hitting an empty
 * bucket is abusive: `strikes` refusals within `window_us` and the
 * connection is closed (1008).
 *
 * Pure logic: no Janus headers. Not thread-safe: one owner per bucket.
 */
#ifndef CV_RATELIMIT_H
#define CV_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cv_bucket {
	double rate;		/* tokens per second */
	double burst;		/* most tokens held */
	double tokens;
	int64_t last_us;	/* when tokens was computed, 0: never */
} cv_bucket;

/* A full bucket. rate <= 0 means no limit. */
void cv_bucket_init(cv_bucket *b, double rate, double burst);
/* Takes `cost` tokens at now_us if there are enough; false (nothing taken) otherwise. */
bool cv_bucket_take(cv_bucket *b, double cost, int64_t now_us);

/* Refusals in a sliding window. */
typedef struct cv_abuse {
	int strikes;			/* refusals that make abuse */
	int64_t window_us;		/* ... within this long */
	int count;				/* refusals in the current window */
	int64_t window_start_us;
} cv_abuse;

void cv_abuse_init(cv_abuse *a, int strikes, int64_t window_us);
/* Records a refusal at now_us; true when the connection is now abusive. */
bool cv_abuse_strike(cv_abuse *a, int64_t now_us);

#endif
