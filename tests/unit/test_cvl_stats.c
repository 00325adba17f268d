/*
 * test_cvl_stats.c - unit tests for tools/cvload/stats.c: loss from
 * sequence numbers (wraps, reordering, duplicates, renumbering), the RR
 * fraction, jitter, and the log-linear histogram (bucket bounds, quantile
 * error, merge).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_test.h"
#include "stats.h"

static void feed(cvl_seq *s, uint16_t from, int count) {
	for(int i = 0; i < count; i++)
		cvl_seq_update(s, (uint16_t)(from + i));
}

static void test_seq_basic(void) {
	cvl_seq s;
	cvl_seq_init(&s);
	CV_CHECK_INT(cvl_seq_expected(&s), 0);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	feed(&s, 1000, 100);
	CV_CHECK_INT(cvl_seq_expected(&s), 100);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	CV_CHECK_INT(cvl_seq_ext_max(&s), 1099);
	/* five missing */
	feed(&s, 1105, 10);
	CV_CHECK_INT(cvl_seq_expected(&s), 115);
	CV_CHECK_INT(s.received, 110);
	CV_CHECK_INT(cvl_seq_lost(&s), 5);
	/* two of them arrive late: counted */
	cvl_seq_update(&s, 1101);
	cvl_seq_update(&s, 1103);
	CV_CHECK_INT(cvl_seq_lost(&s), 3);
	/* a duplicate of the highest is not a packet */
	cvl_seq_update(&s, 1114);
	CV_CHECK_INT(s.duplicates, 1);
	CV_CHECK_INT(cvl_seq_lost(&s), 3);
	CV_CHECK_INT(s.runs, 1);
}

static void test_seq_wrap(void) {
	cvl_seq s;
	cvl_seq_init(&s);
	feed(&s, 65500, 100);		/* 65500..65535, 0..63 */
	CV_CHECK_INT(cvl_seq_expected(&s), 100);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	CV_CHECK_INT(cvl_seq_ext_max(&s), 65536 + 63);
	/* reordering across the wrap */
	cvl_seq_init(&s);
	cvl_seq_update(&s, 65534);
	cvl_seq_update(&s, 0);
	cvl_seq_update(&s, 65535);
	cvl_seq_update(&s, 1);
	CV_CHECK_INT(cvl_seq_expected(&s), 4);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	/* a late packet from before the first one extends the run */
	cvl_seq_init(&s);
	cvl_seq_update(&s, 10);
	cvl_seq_update(&s, 11);
	cvl_seq_update(&s, 9);
	CV_CHECK_INT(cvl_seq_expected(&s), 3);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	/* ... also across zero */
	cvl_seq_init(&s);
	cvl_seq_update(&s, 0);
	cvl_seq_update(&s, 65535);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	CV_CHECK_INT(s.received, 2);
}

static void test_seq_jumps(void) {
	cvl_seq s;
	cvl_seq_init(&s);
	feed(&s, 100, 50);		/* 100..149 */
	feed(&s, 30000, 50);		/* renumbered: a new run, no loss */
	CV_CHECK_INT(s.runs, 2);
	CV_CHECK_INT(cvl_seq_expected(&s), 100);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	feed(&s, 20000, 10);		/* far back: another run */
	CV_CHECK_INT(s.runs, 3);
	CV_CHECK_INT(cvl_seq_expected(&s), 110);
	CV_CHECK_INT(cvl_seq_lost(&s), 0);
	/* a gap below the threshold is loss */
	feed(&s, 20010 + CVL_SEQ_JUMP - 1, 1);
	CV_CHECK_INT(s.runs, 3);
	CV_CHECK_INT(cvl_seq_lost(&s), CVL_SEQ_JUMP - 1);
}

static void test_fraction(void) {
	cvl_seq s;
	cvl_seq_init(&s);
	feed(&s, 0, 4);
	CV_CHECK_INT(cvl_seq_fraction(&s), 0);
	/* 4 expected, 3 received: 1/4 = 64/256 */
	cvl_seq_update(&s, 4);
	cvl_seq_update(&s, 6);
	cvl_seq_update(&s, 7);
	CV_CHECK_INT(cvl_seq_fraction(&s), 64);
	/* nothing new: 0; late packet (more received than expected): 0 */
	CV_CHECK_INT(cvl_seq_fraction(&s), 0);
	cvl_seq_update(&s, 5);
	CV_CHECK_INT(cvl_seq_fraction(&s), 0);
	/* everything lost in the interval: 255 at most */
	cvl_seq_update(&s, 2000);
	CV_CHECK(cvl_seq_fraction(&s) >= 254);
}

static void test_jitter(void) {
	cvl_jitter j;
	memset(&j, 0, sizeof(j));
	/* perfectly paced: 20 ms, 960 ticks at 48 kHz */
	for(int i = 0; i < 100; i++)
		cvl_jitter_update(&j, 1000000 + (int64_t)i * 960, (uint32_t)(5000 + i * 960));
	CV_CHECK(j.value < 1e-9);
	/* alternate +-480 ticks of arrival noise: converges near 960 */
	for(int i = 0; i < 500; i++)
		cvl_jitter_update(&j, 2000000 + (int64_t)i * 960 + (i % 2 ? 480 : -480), (uint32_t)(9000 + i * 960));
	CV_CHECK(j.value > 800 && j.value < 1000);
	/* timestamp wrap does not blow it up */
	memset(&j, 0, sizeof(j));
	cvl_jitter_update(&j, 100, 0xfffffff0u);
	cvl_jitter_update(&j, 132, 0x00000010u);
	CV_CHECK(j.value < 1.0);
}

static void test_hist_buckets(void) {
	/* each value lies inside its bucket; buckets are contiguous */
	uint64_t values[] = { 0, 1, 63, 64, 65, 127, 128, 1000, 1023, 1024, 123456789, 1ULL << 40, UINT64_MAX };
	for(size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		unsigned b = cvl_hist_bucket(values[i]);
		CV_CHECK(b < CVL_HIST_BUCKETS);
		CV_CHECK(cvl_hist_bucket_low(b) <= values[i]);
		CV_CHECK(cvl_hist_bucket_high(b) >= values[i]);
	}
	for(unsigned b = 0; b + 1 < CVL_HIST_BUCKETS; b++) {
		if(cvl_hist_bucket_high(b) + 1 != cvl_hist_bucket_low(b + 1)) {
			CV_CHECK_INT(b, -1);
			break;
		}
	}
	CV_CHECK_INT(cvl_hist_bucket_high(CVL_HIST_BUCKETS - 1), UINT64_MAX);
	/* relative width under 1/32 above the linear part */
	for(unsigned b = CVL_HIST_LINEAR; b < CVL_HIST_BUCKETS; b += 7) {
		double lo = (double)cvl_hist_bucket_low(b), hi = (double)cvl_hist_bucket_high(b);
		CV_CHECK((hi - lo) / lo <= 1.0 / 32 + 1e-9);
	}
}

static void test_hist_quantiles(void) {
	cvl_hist *h = malloc(sizeof(*h));
	cvl_hist_init(h);
	CV_CHECK_INT(cvl_hist_quantile(h, 0.5), 0);
	CV_CHECK(cvl_hist_mean(h) == 0.0);
	for(uint64_t v = 1; v <= 10000; v++)
		cvl_hist_add(h, v);
	CV_CHECK_INT(h->count, 10000);
	CV_CHECK_INT(h->min, 1);
	CV_CHECK_INT(h->max, 10000);
	CV_CHECK(fabs(cvl_hist_mean(h) - 5000.5) < 1e-6);
	double p50 = (double)cvl_hist_quantile(h, 0.5), p99 = (double)cvl_hist_quantile(h, 0.99);
	CV_CHECK(fabs(p50 - 5000) / 5000 < 0.032);
	CV_CHECK(fabs(p99 - 9900) / 9900 < 0.032);
	CV_CHECK_INT(cvl_hist_quantile(h, 0), 1);
	CV_CHECK_INT(cvl_hist_quantile(h, 1), 10000);
	/* exact in the linear part */
	cvl_hist *g = malloc(sizeof(*g));
	cvl_hist_init(g);
	for(int i = 0; i < 10; i++)
		cvl_hist_add(g, 7);
	cvl_hist_add(g, 50);
	CV_CHECK_INT(cvl_hist_quantile(g, 0.5), 7);
	CV_CHECK_INT(cvl_hist_quantile(g, 0.99), 50);
	/* clamped to min/max: one big value */
	cvl_hist_init(g);
	cvl_hist_add(g, 1000000);
	CV_CHECK_INT(cvl_hist_quantile(g, 0.5), 1000000);
	/* merge */
	cvl_hist_add(g, 3);
	cvl_hist_merge(h, g);
	CV_CHECK_INT(h->count, 10002);
	CV_CHECK_INT(h->min, 1);
	CV_CHECK_INT(h->max, 1000000);
	cvl_hist *e = malloc(sizeof(*e));
	cvl_hist_init(e);
	cvl_hist_merge(e, g);
	CV_CHECK_INT(e->min, 3);
	CV_CHECK_INT(e->count, 2);
	cvl_hist_init(g);
	cvl_hist_merge(e, g);		/* empty: nothing changes */
	CV_CHECK_INT(e->count, 2);
	free(e);
	free(g);
	free(h);
}

int main(void) {
	CV_RUN(test_seq_basic);
	CV_RUN(test_seq_wrap);
	CV_RUN(test_seq_jumps);
	CV_RUN(test_fraction);
	CV_RUN(test_jitter);
	CV_RUN(test_hist_buckets);
	CV_RUN(test_hist_quantiles);
	return cv_test_done();
}
