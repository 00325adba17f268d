/*
 * report.c - the JSON summary (see docs/loadgen.md for the fields) and the
 * error tally behind cvl_error().
 *
 * Everything is computed from the counters at the moment of the call:
 * main.c builds the summary when the measured time ends, before any peer
 * leaves, so departures never show up as loss or missing media.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>

#include "cvl.h"
#include "media.h"
#include "pc.h"
#include "peer.h"
#include "report.h"
#include "stats.h"

#define CVL_MAX_ERRORS 50
#define CVL_MAX_MISSING 20

/* --- the error tally ---------------------------------------------------------- */

static GHashTable *cvl_errors;		/* message -> count */
static GPtrArray *cvl_error_order;	/* messages in first-seen order */

void cvl_error(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if(cvl_errors == NULL) {
		cvl_errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		cvl_error_order = g_ptr_array_new();
	}
	gpointer count = g_hash_table_lookup(cvl_errors, msg);
	if(count == NULL && g_hash_table_size(cvl_errors) >= CVL_MAX_ERRORS) {
		g_free(msg);
		msg = g_strdup("(more distinct errors: see the log)");
		count = g_hash_table_lookup(cvl_errors, msg);
	}
	if(count == NULL) {
		g_ptr_array_add(cvl_error_order, msg);
		cvl_log(1, "error: %s\n", msg);
	}
	/* on an existing key, insert frees the new copy and keeps the old one */
	g_hash_table_insert(cvl_errors, msg, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(count) + 1));
}

json_t *cvl_report_errors(void) {
	json_t *list = json_array();
	if(cvl_errors == NULL)
		return list;
	for(guint i = 0; i < cvl_error_order->len; i++) {
		const char *msg = g_ptr_array_index(cvl_error_order, i);
		json_array_append_new(list, json_pack("{sssI}", "message", msg,
			"count", (json_int_t)GPOINTER_TO_SIZE(g_hash_table_lookup(cvl_errors, msg))));
	}
	return list;
}

/* --- kernel UDP counters ------------------------------------------------------- */

/* Udp: InErrors and RcvbufErrors of this network namespace (false when
 * /proc/net/snmp cannot be read). */
static bool cvl_udp_counters(uint64_t *in_errors, uint64_t *rcvbuf_errors) {
	gchar *text = NULL;
	if(!g_file_get_contents("/proc/net/snmp", &text, NULL, NULL))
		return false;
	bool ok = false;
	gchar **lines = g_strsplit(text, "\n", -1);
	for(gchar **l = lines; *l != NULL && l[1] != NULL; l++) {
		if(!g_str_has_prefix(*l, "Udp: ") || !g_str_has_prefix(l[1], "Udp: "))
			continue;
		gchar **names = g_strsplit(*l, " ", -1), **values = g_strsplit(l[1], " ", -1);
		for(int i = 0; names[i] != NULL && values[i] != NULL; i++) {
			if(strcmp(names[i], "InErrors") == 0)
				*in_errors = g_ascii_strtoull(values[i], NULL, 10);
			else if(strcmp(names[i], "RcvbufErrors") == 0)
				*rcvbuf_errors = g_ascii_strtoull(values[i], NULL, 10);
		}
		g_strfreev(names);
		g_strfreev(values);
		ok = true;
		break;
	}
	g_strfreev(lines);
	g_free(text);
	return ok;
}

static uint64_t cvl_udp_in0, cvl_udp_rcvbuf0;
static bool cvl_udp_ok;

void cvl_report_start(void) {
	cvl_udp_ok = cvl_udp_counters(&cvl_udp_in0, &cvl_udp_rcvbuf0);
}

/* --- helpers ----------------------------------------------------------------- */

static double cvl_round(double v, double unit) {
	return (double)(int64_t)(v / unit + (v >= 0 ? 0.5 : -0.5)) * unit;
}

/* {count, p50, p90, p99, max, mean} in ms from a histogram of µs */
static json_t *cvl_hist_ms(const cvl_hist *h) {
	json_t *o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	if(h->count == 0) {
		json_object_set_new(o, "p50", json_null());
		json_object_set_new(o, "p90", json_null());
		json_object_set_new(o, "p99", json_null());
		json_object_set_new(o, "max", json_null());
		json_object_set_new(o, "mean", json_null());
		return o;
	}
	json_object_set_new(o, "p50", json_real(cvl_round(cvl_hist_quantile(h, 0.50) / 1000.0, 0.001)));
	json_object_set_new(o, "p90", json_real(cvl_round(cvl_hist_quantile(h, 0.90) / 1000.0, 0.001)));
	json_object_set_new(o, "p99", json_real(cvl_round(cvl_hist_quantile(h, 0.99) / 1000.0, 0.001)));
	json_object_set_new(o, "max", json_real(cvl_round((double)h->max / 1000.0, 0.001)));
	json_object_set_new(o, "mean", json_real(cvl_round(cvl_hist_mean(h) / 1000.0, 0.001)));
	return o;
}

static json_t *cvl_kind_json(int k) {
	const cvl_kind_totals *t = &cvl_stats.kind[k];
	uint64_t expected = 0, lost = 0, streams = 0;
	GPtrArray *pcs = cvl_pc_all();
	for(guint i = 0; i < pcs->len; i++) {
		cvl_pc *pc = g_ptr_array_index(pcs, i);
		GHashTableIter it;
		gpointer key, value;
		g_hash_table_iter_init(&it, pc->rx);
		while(g_hash_table_iter_next(&it, &key, &value)) {
			const cvl_rx *rx = value;
			if((int)rx->kind != k)
				continue;
			streams++;
			expected += cvl_seq_expected(&rx->seq);
			lost += cvl_seq_lost(&rx->seq);
			if(cvl_seq_lost(&rx->seq) > 0 || rx->seq.runs > 1 || rx->misrouted > 0) {
				cvl_log(2, "%s/%s %s ssrc %u mid %s from peer %lld: %" G_GUINT64_FORMAT " packets, expected %"
					G_GUINT64_FORMAT ", lost %" G_GUINT64_FORMAT ", runs %" G_GUINT64_FORMAT ", duplicates %"
					G_GUINT64_FORMAT ", misrouted %" G_GUINT64_FORMAT "\n", pc->peer->user_id, pc->label,
					cvl_kind_name(rx->kind), rx->ssrc, rx->trx ? rx->trx->mid : "?", (long long)rx->last_src,
					rx->packets, cvl_seq_expected(&rx->seq), cvl_seq_lost(&rx->seq), rx->seq.runs,
					rx->seq.duplicates, rx->misrouted);
			}
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "sent_packets", json_integer((json_int_t)t->sent_packets));
	json_object_set_new(o, "sent_bytes", json_integer((json_int_t)t->sent_bytes));
	json_object_set_new(o, "received_packets", json_integer((json_int_t)t->recv_packets));
	json_object_set_new(o, "received_bytes", json_integer((json_int_t)t->recv_bytes));
	json_object_set_new(o, "streams", json_integer((json_int_t)streams));
	json_object_set_new(o, "expected", json_integer((json_int_t)expected));
	json_object_set_new(o, "lost", json_integer((json_int_t)lost));
	json_object_set_new(o, "loss_pct", expected ? json_real(cvl_round(100.0 * (double)lost / (double)expected, 0.001)) : json_null());
	json_object_set_new(o, "latency_ms", cvl_hist_ms(t->latency_us));
	json_object_set_new(o, "unstamped", json_integer((json_int_t)t->unstamped));
	json_object_set_new(o, "misrouted", json_integer((json_int_t)t->misrouted));
	json_object_set_new(o, "late_frames", json_integer((json_int_t)t->late_frames));
	if(k == 1) {
		json_object_set_new(o, "keyframes_sent", json_integer((json_int_t)t->keyframes_sent));
		json_object_set_new(o, "keyframe_requests", json_integer((json_int_t)t->keyframe_requests));
		if(cvl_cfg.simulcast) {
			json_object_set_new(o, "layers_received", json_pack("{sIsIsI}", "h", (json_int_t)t->layer_packets[0],
				"m", (json_int_t)t->layer_packets[1], "l", (json_int_t)t->layer_packets[2]));
		}
	}
	return o;
}

/* Which receiver got which publisher's audio and video (same room), and
 * how many receiver/publisher pairs of different rooms saw any packet. */
static json_t *cvl_coverage_json(void) {
	int n = cvl_peer_count();
	uint64_t expected = 0, got[2] = { 0, 0 }, cross_room = 0;
	json_t *missing = json_array();
	size_t n_missing = 0;
	for(int r = 0; r < n; r++) {
		cvl_peer *rp = cvl_peer_get(r);
		for(int s = 0; s < n; s++) {
			cvl_peer *sp = cvl_peer_get(s);
			if(s == r || !sp->publishes)
				continue;
			if(sp->room != rp->room) {
				/* another room's media must never reach this peer */
				if(rp->recv_from[s * 2] > 0 || rp->recv_from[s * 2 + 1] > 0)
					cross_room++;
				continue;
			}
			expected++;
			for(int k = 0; k < (cvl_cfg.video ? 2 : 1); k++) {
				if(rp->recv_from[s * 2 + k] > 0) {
					got[k]++;
				} else {
					n_missing++;
					if(json_array_size(missing) < CVL_MAX_MISSING) {
						json_array_append_new(missing, json_pack("{sssssb}", "receiver", rp->user_id,
							"publisher", sp->user_id, "video", k == 1));
					}
				}
			}
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "expected_pairs", json_integer((json_int_t)expected));
	json_object_set_new(o, "audio_pairs", json_integer((json_int_t)got[0]));
	json_object_set_new(o, "video_pairs", cvl_cfg.video ? json_integer((json_int_t)got[1]) : json_null());
	json_object_set_new(o, "complete", json_boolean(n_missing == 0));
	json_object_set_new(o, "missing_count", json_integer((json_int_t)n_missing));
	json_object_set_new(o, "missing", missing);
	json_object_set_new(o, "cross_room_pairs", json_integer((json_int_t)cross_room));
	return o;
}

static json_t *cvl_peer_json(const cvl_peer *p, int64_t now_ns) {
	json_t *o = json_pack("{sssisssbsb}", "user", p->user_id, "index", p->index, "room", cvl_cfg.room_ids[p->room],
		"publishes", p->publishes, "connected", cvl_peer_connected(p));
	json_object_set_new(o, "join_ms", p->t_joined ? json_real(cvl_round((p->t_joined - p->t_start) / 1e6, 0.01)) : json_null());
	json_object_set_new(o, "setup_ms", p->t_up ? json_real(cvl_round((p->t_up - p->t_start) / 1e6, 0.01)) : json_null());
	json_object_set_new(o, "first_media_ms", p->t_first_media ? json_real(cvl_round((p->t_first_media - p->t_start) / 1e6, 0.01)) : json_null());
	uint64_t rx[2] = { 0, 0 };
	for(int s = 0; s < cvl_peer_count(); s++) {
		rx[0] += p->recv_from[s * 2];
		rx[1] += p->recv_from[s * 2 + 1];
	}
	json_object_set_new(o, "audio_received", json_integer((json_int_t)rx[0]));
	json_object_set_new(o, "video_received", json_integer((json_int_t)rx[1]));
	/* the stream that has been silent the longest: media that stopped
	 * before the end shows here (loss cannot see it: nothing came after) */
	int64_t stalest = -1;
	for(guint i = 0; i < p->pcs->len; i++) {
		const cvl_pc *pc = g_ptr_array_index(p->pcs, i);
		GHashTableIter it;
		gpointer key, value;
		g_hash_table_iter_init(&it, pc->rx);
		while(g_hash_table_iter_next(&it, &key, &value)) {
			const cvl_rx *r = value;
			if(r->last_ns != 0 && now_ns - r->last_ns > stalest)
				stalest = now_ns - r->last_ns;
		}
	}
	json_object_set_new(o, "stalest_stream_ms", stalest >= 0 ? json_real(cvl_round(stalest / 1e6, 0.01)) : json_null());
	json_object_set_new(o, "peer_connections", json_integer((json_int_t)p->pcs->len));
	if(p->fail_reason != NULL)
		json_object_set_new(o, "failure", json_string(p->fail_reason));
	return o;
}

json_t *cvl_report_build(double elapsed_s, double latency_from_s) {
	int64_t now_ns = cvl_now_ns();
	int n = cvl_peer_count();
	int started = 0, connected = 0, failed = 0;
	cvl_hist *join = g_new(cvl_hist, 1), *setup = g_new(cvl_hist, 1), *media = g_new(cvl_hist, 1);
	cvl_hist_init(join);
	cvl_hist_init(setup);
	cvl_hist_init(media);
	for(int i = 0; i < n; i++) {
		cvl_peer *p = cvl_peer_get(i);
		if(!p->started)
			continue;
		started++;
		if(cvl_peer_connected(p))
			connected++;
		else
			failed++;
		if(p->t_joined)
			cvl_hist_add(join, (uint64_t)((p->t_joined - p->t_start) / 1000));
		if(p->t_up)
			cvl_hist_add(setup, (uint64_t)((p->t_up - p->t_start) / 1000));
		if(p->t_first_media)
			cvl_hist_add(media, (uint64_t)((p->t_first_media - p->t_start) / 1000));
	}
	json_t *o = json_object();
	json_object_set_new(o, "tool", json_string("cvload"));
	json_object_set_new(o, "target", json_string(cvl_cfg.target == CVL_TARGET_CONVENE ? "convene" : "videoroom"));
	json_object_set_new(o, "url", json_string(cvl_cfg.url));
	json_object_set_new(o, "scenario", json_string(cvl_cfg.scenario == CVL_SCENARIO_MEETING ? "meeting"
		: cvl_cfg.scenario == CVL_SCENARIO_BROADCAST ? "broadcast" : "audio"));
	if(cvl_cfg.rooms == 1) {
		json_object_set_new(o, "room", json_string(cvl_cfg.room_ids[0]));
	} else {
		json_t *ids = json_array();
		for(int i = 0; i < cvl_cfg.rooms; i++)
			json_array_append_new(ids, json_string(cvl_cfg.room_ids[i]));
		json_object_set_new(o, "rooms", ids);
	}
	json_t *cfg = json_object();
	json_object_set_new(cfg, "participants", json_integer(cvl_cfg.participants));
	json_object_set_new(cfg, "publishers", json_integer(cvl_cfg.publishers));
	json_object_set_new(cfg, "rooms", json_integer(cvl_cfg.rooms));
	json_object_set_new(cfg, "peers", json_integer(cvl_cfg.peers));
	json_object_set_new(cfg, "duration_s", json_real(cvl_cfg.duration_s));
	json_object_set_new(cfg, "ramp", json_real(cvl_cfg.ramp));
	json_object_set_new(cfg, "video", json_boolean(cvl_cfg.video));
	json_object_set_new(cfg, "video_kbps", json_integer(cvl_cfg.video_kbps));
	json_object_set_new(cfg, "fps", json_integer(cvl_cfg.fps));
	json_object_set_new(cfg, "simulcast", json_boolean(cvl_cfg.simulcast));
	json_object_set_new(cfg, "audio_bytes", json_integer(cvl_cfg.audio_bytes));
	json_object_set_new(cfg, "keyframe_interval_s", json_real(cvl_cfg.keyframe_interval_s));
	json_object_set_new(o, "config", cfg);
	json_object_set_new(o, "elapsed_s", json_real(cvl_round(elapsed_s, 0.001)));
	json_object_set_new(o, "latency_from_s", json_real(cvl_round(latency_from_s, 0.001)));
	json_object_set_new(o, "peers", json_pack("{sisisisi}", "total", n, "started", started,
		"connected", connected, "failed", failed));
	json_object_set_new(o, "join_ms", cvl_hist_ms(join));
	json_object_set_new(o, "setup_ms", cvl_hist_ms(setup));
	json_object_set_new(o, "first_media_ms", cvl_hist_ms(media));
	json_object_set_new(o, "audio", cvl_kind_json(0));
	json_object_set_new(o, "video", cvl_cfg.video ? cvl_kind_json(1) : json_null());
	json_object_set_new(o, "coverage", cvl_coverage_json());
	json_object_set_new(o, "loop_lag_ms", cvl_hist_ms(cvl_stats.loop_lag_us));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	json_object_set_new(o, "process", json_pack("{sfsfsI}",
		"cpu_user_s", cvl_round(ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, 0.001),
		"cpu_system_s", cvl_round(ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, 0.001),
		"max_rss_kb", (json_int_t)ru.ru_maxrss));
	uint64_t in_err = 0, rcvbuf = 0;
	if(cvl_udp_ok && cvl_udp_counters(&in_err, &rcvbuf)) {
		json_object_set_new(o, "kernel_udp", json_pack("{sIsI}",
			"in_errors", (json_int_t)(in_err - cvl_udp_in0), "rcvbuf_errors", (json_int_t)(rcvbuf - cvl_udp_rcvbuf0)));
	} else {
		json_object_set_new(o, "kernel_udp", json_null());
	}
	json_object_set_new(o, "rtcp_sent", json_integer((json_int_t)cvl_stats.rtcp_sent));
	json_object_set_new(o, "srtp_errors", json_integer((json_int_t)cvl_stats.srtp_errors));
	json_object_set_new(o, "send_errors", json_integer((json_int_t)cvl_stats.send_errors));
	json_object_set_new(o, "errors", cvl_report_errors());
	if(cvl_cfg.per_peer) {
		json_t *list = json_array();
		for(int i = 0; i < n; i++)
			json_array_append_new(list, cvl_peer_json(cvl_peer_get(i), now_ns));
		json_object_set_new(o, "peer_detail", list);
	}
	g_free(join);
	g_free(setup);
	g_free(media);
	return o;
}
