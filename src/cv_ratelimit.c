/*
 * cv_ratelimit.c - token bucket and abuse rule (see cv_ratelimit.h).
 */
#include "cv_ratelimit.h"

void cv_bucket_init(cv_bucket *b, double rate, double burst) {
	b->rate = rate;
	b->burst = burst > 1 ? burst : 1;
	b->tokens = b->burst;
	b->last_us = 0;
}

bool cv_bucket_take(cv_bucket *b, double cost, int64_t now_us) {
	if(b->rate <= 0)
		return true;
	if(b->last_us != 0 && now_us > b->last_us) {
		b->tokens += (double)(now_us - b->last_us) * b->rate / 1e6;
		if(b->tokens > b->burst)
			b->tokens = b->burst;
	}
	if(b->last_us == 0 || now_us > b->last_us)
		b->last_us = now_us;
	if(b->tokens < cost)
		return false;
	b->tokens -= cost;
	return true;
}

void cv_abuse_init(cv_abuse *a, int strikes, int64_t window_us) {
	a->strikes = strikes;
	a->window_us = window_us;
	a->count = 0;
	a->window_start_us = 0;
}

bool cv_abuse_strike(cv_abuse *a, int64_t now_us) {
	if(a->strikes <= 0)
		return false;
	if(a->count == 0 || now_us - a->window_start_us > a->window_us) {
		a->window_start_us = now_us;
		a->count = 0;
	}
	a->count++;
	return a->count >= a->strikes;
}
