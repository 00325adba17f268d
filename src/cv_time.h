/*
 * cv_time.h - wall-clock and monotonic time in the units the protocol uses.
 *
 * Pure logic: no Janus headers. Thread-safe.
 */
#ifndef CV_TIME_H
#define CV_TIME_H

#include <stdint.h>
#include <time.h>

/* Milliseconds since the Unix epoch (the protocol's `timestamp`). */
static inline int64_t cv_now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds since the Unix epoch (JWT `exp`/`nbf`). */
static inline int64_t cv_now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Monotonic microseconds, for intervals. */
static inline int64_t cv_mono_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
