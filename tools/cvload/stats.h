/*
 * stats.h - what a receiver measures, without decoding: loss from RTP
 * sequence numbers, interarrival jitter, and histograms for latency (and
 * for set-up times and loop lag).
 *
 * Loss (cvl_seq): RFC 3550 A.1 style. A stream's packets extend a 32-bit
 * sequence space (wraps counted); expected = highest - first + 1, lost =
 * expected - received. A jump forward or back by more than CVL_SEQ_JUMP
 * (an SFU that switched source without rewriting, a restarted sender)
 * closes the current run and starts a new one, so a renumbering never
 * counts as loss; late packets inside the window count as received;
 * an exact duplicate of the highest packet is not counted.
 *
 * Histogram (cvl_hist): log-linear buckets (values below 64 exact, then 32
 * buckets per power of two: relative error under 3.2 %) over non-negative
 * 64-bit values, e.g. microseconds. Quantiles report the middle of the
 * bucket, clamped to the exact min/max seen.
 *
 * Pure logic, no allocation inside (a cvl_hist is ~10 KB: allocate it).
 */
#ifndef CVL_STATS_H
#define CVL_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define CVL_SEQ_JUMP 3000

typedef struct cvl_seq {
	bool started;
	uint32_t cycles;		/* wraps seen, << 16 */
	uint16_t max_seq;
	uint32_t base;			/* first extended sequence number of the run */
	uint64_t received;		/* packets counted in all runs */
	uint64_t expected_closed;	/* expected packets of finished runs */
	uint64_t duplicates;
	uint64_t runs;			/* runs started (1 = no restart) */
	/* for report blocks: the state at the previous report */
	uint64_t expected_prior, received_prior;
} cvl_seq;

void cvl_seq_init(cvl_seq *s);
void cvl_seq_update(cvl_seq *s, uint16_t seq);
uint64_t cvl_seq_expected(const cvl_seq *s);
/* expected - received, never below 0 */
uint64_t cvl_seq_lost(const cvl_seq *s);
/* The extended highest sequence number of the current run (RR field). */
uint32_t cvl_seq_ext_max(const cvl_seq *s);
/* The RR "fraction lost" since the previous call (0..255); moves the
 * "prior" marks. */
uint8_t cvl_seq_fraction(cvl_seq *s);

/* RFC 3550 interarrival jitter in RTP timestamp units. */
typedef struct cvl_jitter {
	bool started;
	int64_t last_transit;
	double value;
} cvl_jitter;

/* arrival is the receive time in the stream's clock units (e.g. ns *
 * clock / 1e9), ts the packet's RTP timestamp. */
void cvl_jitter_update(cvl_jitter *j, int64_t arrival, uint32_t ts);

#define CVL_HIST_LINEAR 64
#define CVL_HIST_SUB 32
#define CVL_HIST_BUCKETS (CVL_HIST_LINEAR + (64 - 6) * CVL_HIST_SUB)

typedef struct cvl_hist {
	uint64_t count;
	uint64_t min, max;
	double sum;
	uint64_t buckets[CVL_HIST_BUCKETS];
} cvl_hist;

void cvl_hist_init(cvl_hist *h);
void cvl_hist_add(cvl_hist *h, uint64_t value);
/* The q-quantile (0..1) of the values added, 0 when empty. */
uint64_t cvl_hist_quantile(const cvl_hist *h, double q);
double cvl_hist_mean(const cvl_hist *h);
/* Adds every value of `from` to `into`. */
void cvl_hist_merge(cvl_hist *into, const cvl_hist *from);
/* Bucket helpers (exposed for the tests). */
unsigned cvl_hist_bucket(uint64_t value);
uint64_t cvl_hist_bucket_low(unsigned bucket);
uint64_t cvl_hist_bucket_high(unsigned bucket);

#endif
