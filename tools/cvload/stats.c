/*
 * stats.c - sequence/loss tracking, jitter and histograms (see stats.h).
 */
#include <string.h>

#include "stats.h"

void cvl_seq_init(cvl_seq *s) {
	memset(s, 0, sizeof(*s));
}

static void cvl_seq_start(cvl_seq *s, uint16_t seq) {
	s->started = true;
	s->cycles = 0;
	s->max_seq = seq;
	s->base = seq;
	s->received++;
	s->runs++;
}

uint32_t cvl_seq_ext_max(const cvl_seq *s) {
	return s->cycles + s->max_seq;
}

static uint64_t cvl_seq_run_expected(const cvl_seq *s) {
	if(!s->started)
		return 0;
	return (uint64_t)cvl_seq_ext_max(s) - s->base + 1;
}

void cvl_seq_update(cvl_seq *s, uint16_t seq) {
	if(!s->started) {
		cvl_seq_start(s, seq);
		return;
	}
	uint16_t delta = (uint16_t)(seq - s->max_seq);
	if(delta == 0) {
		s->duplicates++;
	} else if(delta < 0x8000) {
		if(delta > CVL_SEQ_JUMP) {
			s->expected_closed += cvl_seq_run_expected(s);
			cvl_seq_start(s, seq);
			return;
		}
		if(seq < s->max_seq)
			s->cycles += 0x10000;
		s->max_seq = seq;
		s->received++;
	} else {
		uint16_t back = (uint16_t)(s->max_seq - seq);
		uint32_t ext = cvl_seq_ext_max(s) - back;
		if(back > CVL_SEQ_JUMP) {
			s->expected_closed += cvl_seq_run_expected(s);
			cvl_seq_start(s, seq);
			return;
		}
		/* a late packet: inside the run, counted; one from before the
		 * run's start extends it backwards */
		if(cvl_seq_ext_max(s) >= back && ext < s->base)
			s->base = ext;
		s->received++;
	}
}

uint64_t cvl_seq_expected(const cvl_seq *s) {
	return s->expected_closed + cvl_seq_run_expected(s);
}

uint64_t cvl_seq_lost(const cvl_seq *s) {
	uint64_t expected = cvl_seq_expected(s);
	return expected > s->received ? expected - s->received : 0;
}

uint8_t cvl_seq_fraction(cvl_seq *s) {
	uint64_t expected = cvl_seq_expected(s), received = s->received;
	int64_t exp_int = (int64_t)(expected - s->expected_prior);
	int64_t rec_int = (int64_t)(received - s->received_prior);
	s->expected_prior = expected;
	s->received_prior = received;
	int64_t lost = exp_int - rec_int;
	if(exp_int <= 0 || lost <= 0)
		return 0;
	int64_t f = (lost << 8) / exp_int;
	return (uint8_t)(f > 255 ? 255 : f);
}

void cvl_jitter_update(cvl_jitter *j, int64_t arrival, uint32_t ts) {
	int64_t transit = arrival - (int64_t)ts;
	if(!j->started) {
		j->started = true;
		j->last_transit = transit;
		return;
	}
	int64_t d = transit - j->last_transit;
	/* the 32-bit timestamp wraps: bring d back to the short distance */
	d = (int64_t)(int32_t)(uint32_t)d;
	j->last_transit = transit;
	if(d < 0)
		d = -d;
	j->value += ((double)d - j->value) / 16.0;
}

/* --- histogram ------------------------------------------------------------- */

static unsigned cvl_log2(uint64_t v) {
	return 63u - (unsigned)__builtin_clzll(v);
}

unsigned cvl_hist_bucket(uint64_t value) {
	if(value < CVL_HIST_LINEAR)
		return (unsigned)value;
	unsigned e = cvl_log2(value);	/* >= 6 */
	unsigned sub = (unsigned)((value >> (e - 5)) & (CVL_HIST_SUB - 1));
	return CVL_HIST_LINEAR + (e - 6) * CVL_HIST_SUB + sub;
}

uint64_t cvl_hist_bucket_low(unsigned bucket) {
	if(bucket < CVL_HIST_LINEAR)
		return bucket;
	unsigned e = (bucket - CVL_HIST_LINEAR) / CVL_HIST_SUB + 6;
	uint64_t sub = (bucket - CVL_HIST_LINEAR) % CVL_HIST_SUB;
	return (1ULL << e) + (sub << (e - 5));
}

uint64_t cvl_hist_bucket_high(unsigned bucket) {
	if(bucket < CVL_HIST_LINEAR)
		return bucket;
	unsigned e = (bucket - CVL_HIST_LINEAR) / CVL_HIST_SUB + 6;
	return cvl_hist_bucket_low(bucket) + (1ULL << (e - 5)) - 1;
}

void cvl_hist_init(cvl_hist *h) {
	memset(h, 0, sizeof(*h));
}

void cvl_hist_add(cvl_hist *h, uint64_t value) {
	if(h->count == 0 || value < h->min)
		h->min = value;
	if(h->count == 0 || value > h->max)
		h->max = value;
	h->count++;
	h->sum += (double)value;
	h->buckets[cvl_hist_bucket(value)]++;
}

uint64_t cvl_hist_quantile(const cvl_hist *h, double q) {
	if(h->count == 0)
		return 0;
	if(q <= 0)
		return h->min;
	if(q >= 1)
		return h->max;
	/* the rank of the quantile, 1-based (nearest-rank) */
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if((double)rank < q * (double)h->count)
		rank++;
	if(rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for(unsigned b = 0; b < CVL_HIST_BUCKETS; b++) {
		seen += h->buckets[b];
		if(seen >= rank) {
			uint64_t lo = cvl_hist_bucket_low(b), hi = cvl_hist_bucket_high(b);
			uint64_t mid = lo + (hi - lo) / 2;
			if(mid < h->min)
				mid = h->min;
			if(mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}

double cvl_hist_mean(const cvl_hist *h) {
	return h->count ? h->sum / (double)h->count : 0.0;
}

void cvl_hist_merge(cvl_hist *into, const cvl_hist *from) {
	if(from->count == 0)
		return;
	if(into->count == 0 || from->min < into->min)
		into->min = from->min;
	if(into->count == 0 || from->max > into->max)
		into->max = from->max;
	into->count += from->count;
	into->sum += from->sum;
	for(unsigned b = 0; b < CVL_HIST_BUCKETS; b++)
		into->buckets[b] += from->buckets[b];
}
