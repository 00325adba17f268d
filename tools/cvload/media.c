/*
 * media.c - synthetic senders, counting receivers, RTCP (see media.h).
 *
 * Timing. The pacer fires every 5 ms (GLib timeout, high priority) and
 * sends every frame that is due; a frame's RTP timestamp comes from its
 * due time (so audio advances exactly 960 per packet), while the stamp in
 * the payload is the time the packet is actually handed to SRTP + libnice.
 * Latency is measured on the receiving side when libnice hands the
 * datagram over (before SRTP), against that stamp: it includes the SFU,
 * the kernel both ways, and any wait in this process's loop before the
 * datagram is read (loop_lag in the summary shows how late the loop runs).
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cvl.h"
#include "media.h"
#include "payload.h"
#include "pc.h"
#include "peer.h"
#include "rtp.h"
#include "srtp.h"

#define CVL_PACER_MS 5
#define CVL_MAX_PAYLOAD 1100
#define CVL_LATE_NS (100 * 1000000LL)
#define CVL_KEY_MIN_GAP_NS (250 * 1000000LL)
#define CVL_KEY_FACTOR 4

cvl_totals cvl_stats;
static GPtrArray *cvl_senders;
static int64_t cvl_t0, cvl_last_tick;
static bool cvl_sending = true;

static const char *cvl_rids[CVL_MAX_LAYERS] = { "h", "m", "l" };
static const uint16_t cvl_dims[CVL_MAX_LAYERS][2] = { { 1280, 720 }, { 640, 360 }, { 320, 180 } };

/* --- senders ---------------------------------------------------------------- */

cvl_sender *cvl_sender_new(cvl_kind kind, uint32_t src, bool simulcast, const char *stream_id) {
	cvl_sender *s = g_new0(cvl_sender, 1);
	s->kind = kind;
	s->src = src;
	s->n_layers = kind == CVL_KIND_VIDEO && simulcast ? CVL_MAX_LAYERS : 1;
	g_strlcpy(s->stream_id, stream_id, sizeof(s->stream_id));
	snprintf(s->track_id, sizeof(s->track_id), "%s-%s", stream_id, kind == CVL_KIND_AUDIO ? "audio" : "video");
	int fps = cvl_cfg.fps > 0 ? cvl_cfg.fps : 30;
	s->interval_ns = kind == CVL_KIND_AUDIO ? 20 * 1000000LL : 1000000000LL / fps;
	for(int i = 0; i < s->n_layers; i++) {
		cvl_layer *l = &s->layers[i];
		l->ssrc = g_random_int();
		l->seq = (uint16_t)g_random_int();
		l->ts_offset = g_random_int();
		l->picture_id = (uint16_t)(g_random_int() & 0x7fff);
		if(s->n_layers > 1)
			g_strlcpy(l->rid, cvl_rids[i], sizeof(l->rid));
		l->width = cvl_dims[i][0];
		l->height = cvl_dims[i][1];
		int kbps = cvl_cfg.video_kbps >> (2 * i);
		l->kbps = kbps < 30 ? 30 : kbps;
	}
	return s;
}

void cvl_sender_attach(cvl_sender *s, struct cvl_pc *pc, struct cvl_trx *trx) {
	s->pc = pc;
	s->trx = trx;
	g_ptr_array_add(pc->senders, s);
	g_ptr_array_add(cvl_senders, s);
}

void cvl_media_stop_sending(void) {
	cvl_sending = false;
}

void cvl_media_reset_latency(void) {
	for(int k = 0; k < 2; k++)
		cvl_hist_init(cvl_stats.kind[k].latency_us);
	cvl_hist_init(cvl_stats.loop_lag_us);
}

static bool cvl_sender_active(const cvl_sender *s) {
	const cvl_trx *t = s->trx;
	return s->pc != NULL && s->pc->state == CVL_PC_UP && t != NULL && t->negotiated && !t->rejected
		&& cvl_dir_sends(t->dir);
}

static int cvl_sender_layers(const cvl_sender *s) {
	return s->trx != NULL && s->trx->simulcast ? s->n_layers : 1;
}

static uint32_t cvl_rtp_ts(const cvl_layer *l, int64_t at_ns, int clock) {
	int64_t us = (at_ns - cvl_t0) / 1000;
	return l->ts_offset + (uint32_t)(us * clock / 1000000);
}

/* Header, payload, stamp time, SRTP, send. */
static void cvl_send_packet(cvl_sender *s, cvl_layer *l, uint8_t *pkt, size_t hlen, size_t plen) {
	size_t len = hlen + plen;
	cvl_kind_totals *k = &cvl_stats.kind[s->kind == CVL_KIND_AUDIO ? 0 : 1];
	if(cvl_pc_send_rtp(s->pc, pkt, len)) {
		l->packets++;
		l->octets += plen;
		k->sent_packets++;
		k->sent_bytes += len;
	}
}

static void cvl_send_audio(cvl_sender *s, int64_t due) {
	cvl_layer *l = &s->layers[0];
	const cvl_trx *t = s->trx;
	uint8_t pkt[CVL_RTP_MAX + CVL_SRTP_TRAILER];
	size_t hlen = cvl_rtp_write(pkt, sizeof(pkt), (uint8_t)t->codec.pt, false, l->seq++,
		cvl_rtp_ts(l, due, 48000), l->ssrc, t->ext_mid, t->mid, 0, NULL);
	cvl_stamp st = { .src = s->src, .kind = 0, .layer = 0, .counter = l->counter++ };
	st.send_ns = (uint64_t)cvl_now_ns();
	size_t plen = cvl_opus_payload(pkt + hlen, CVL_MAX_PAYLOAD, (size_t)cvl_cfg.audio_bytes, &st);
	cvl_send_packet(s, l, pkt, hlen, plen);
}

static void cvl_send_video_layer(cvl_sender *s, int li, int64_t due, int64_t now) {
	cvl_layer *l = &s->layers[li];
	const cvl_trx *t = s->trx;
	int64_t key_every = (int64_t)(cvl_cfg.keyframe_interval_s * 1e9);
	bool key = l->last_key_ns == 0
		|| (key_every > 0 && now - l->last_key_ns >= key_every)
		|| (l->key_wanted && now - l->last_key_ns >= CVL_KEY_MIN_GAP_NS);
	if(key) {
		l->key_wanted = false;
		l->last_key_ns = now;
		cvl_stats.kind[1].keyframes_sent++;
	}
	int fps = cvl_cfg.fps > 0 ? cvl_cfg.fps : 30;
	size_t size = (size_t)l->kbps * 1000 / 8 / (size_t)fps;
	if(key)
		size *= CVL_KEY_FACTOR;
	cvl_vp8_frame f;
	cvl_vp8_frame_init(&f, key, l->picture_id, l->width, l->height, size);
	l->picture_id = (l->picture_id + 1) & 0x7fff;
	uint32_t ts = cvl_rtp_ts(l, due, 90000);
	bool sim = t->simulcast;
	for(;;) {
		uint8_t pkt[CVL_RTP_MAX + CVL_SRTP_TRAILER];
		uint8_t payload[CVL_MAX_PAYLOAD];
		cvl_stamp st = { .src = s->src, .kind = 1, .layer = (uint8_t)li, .counter = l->counter };
		st.send_ns = (uint64_t)cvl_now_ns();
		bool last = false;
		size_t plen = cvl_vp8_next(&f, payload, sizeof(payload), &st, &last);
		if(plen == 0)
			break;
		l->counter++;
		size_t hlen = cvl_rtp_write(pkt, sizeof(pkt), (uint8_t)t->codec.pt, last, l->seq++, ts, l->ssrc,
			t->ext_mid, t->mid, sim ? t->ext_rid : 0, sim ? l->rid : NULL);
		memcpy(pkt + hlen, payload, plen);
		cvl_send_packet(s, l, pkt, hlen, plen);
		if(last)
			break;
	}
}

static void cvl_send_frame(cvl_sender *s, int64_t due, int64_t now) {
	if(s->kind == CVL_KIND_AUDIO) {
		cvl_send_audio(s, due);
		return;
	}
	int n = cvl_sender_layers(s);
	for(int i = 0; i < n; i++)
		cvl_send_video_layer(s, i, due, now);
}

static gboolean cvl_pacer(gpointer data) {
	int64_t now = cvl_now_ns();
	if(cvl_last_tick != 0) {
		int64_t lag = now - cvl_last_tick - CVL_PACER_MS * 1000000LL;
		cvl_hist_add(cvl_stats.loop_lag_us, lag > 0 ? (uint64_t)(lag / 1000) : 0);
	}
	cvl_last_tick = now;
	if(!cvl_sending)
		return G_SOURCE_CONTINUE;
	for(guint i = 0; i < cvl_senders->len; i++) {
		cvl_sender *s = g_ptr_array_index(cvl_senders, i);
		if(!cvl_sender_active(s)) {
			s->next_ns = 0;
			continue;
		}
		if(s->next_ns == 0)
			s->next_ns = now;
		for(int guard = 0; now >= s->next_ns && guard < 4; guard++) {
			if(now - s->next_ns > CVL_LATE_NS) {
				cvl_stats.kind[s->kind == CVL_KIND_AUDIO ? 0 : 1].late_frames++;
				s->next_ns = now;
			}
			cvl_send_frame(s, s->next_ns, now);
			s->next_ns += s->interval_ns;
		}
	}
	return G_SOURCE_CONTINUE;
}

/* --- receivers ------------------------------------------------------------ */

void cvl_rx_free(void *rx) {
	g_free(rx);
}

static cvl_rx *cvl_rx_new(cvl_pc *pc, const cvl_rtp *rtp, const cvl_stamp *st, bool stamped) {
	cvl_rx *rx = g_new0(cvl_rx, 1);
	rx->ssrc = rtp->ssrc;
	rx->kind = CVL_KIND_OTHER;
	cvl_seq_init(&rx->seq);
	/* its m-line: announced SSRC first, else the payload type */
	for(guint i = 0; i < pc->trx->len && rx->trx == NULL; i++) {
		cvl_trx *t = g_ptr_array_index(pc->trx, i);
		if(t->remote_ssrc == rtp->ssrc && t->negotiated && !t->rejected)
			rx->trx = t;
	}
	if(rx->trx != NULL) {
		rx->kind = rx->trx->kind;
	} else {
		for(guint i = 0; i < pc->trx->len; i++) {
			cvl_trx *t = g_ptr_array_index(pc->trx, i);
			if(t->negotiated && !t->rejected && t->codec.pt == rtp->pt) {
				rx->kind = t->kind;
				break;
			}
		}
	}
	if(rx->kind == CVL_KIND_OTHER && stamped && st->kind <= 1)
		rx->kind = (cvl_kind)st->kind;
	rx->clock = rx->kind == CVL_KIND_AUDIO ? 48000 : 90000;
	rx->last_src = -1;
	g_hash_table_insert(pc->rx, GUINT_TO_POINTER(rtp->ssrc), rx);
	cvl_stats.rx_streams++;
	return rx;
}

void cvl_media_on_rtp(struct cvl_pc *pc, const uint8_t *buf, size_t len, int64_t now_ns) {
	cvl_rtp rtp;
	if(!cvl_rtp_parse(buf, len, &rtp))
		return;
	cvl_rx *rx = g_hash_table_lookup(pc->rx, GUINT_TO_POINTER(rtp.ssrc));
	cvl_stamp st;
	bool stamped = false;
	if(rx == NULL) {
		stamped = cvl_payload_stamp(rtp.pt == 111 ? 0 : 1, rtp.payload, rtp.payload_len, &st);
		rx = cvl_rx_new(pc, &rtp, &st, stamped);
	}
	if(rx->kind != CVL_KIND_AUDIO && rx->kind != CVL_KIND_VIDEO)
		return;
	int k = rx->kind == CVL_KIND_AUDIO ? 0 : 1;
	if(!stamped)
		stamped = cvl_payload_stamp(k, rtp.payload, rtp.payload_len, &st);
	cvl_seq_update(&rx->seq, rtp.seq);
	int64_t arrival = (now_ns - cvl_t0) / 1000 * rx->clock / 1000000;
	cvl_jitter_update(&rx->jitter, arrival, rtp.ts);
	rx->packets++;
	rx->bytes += rtp.payload_len;
	if(rx->first_ns == 0)
		rx->first_ns = now_ns;
	rx->last_ns = now_ns;
	cvl_kind_totals *kt = &cvl_stats.kind[k];
	kt->recv_packets++;
	kt->recv_bytes += len;
	cvl_peer *peer = pc->peer;
	if(!stamped) {
		rx->unstamped++;
		kt->unstamped++;
		return;
	}
	if((int64_t)st.send_ns <= now_ns)
		cvl_hist_add(kt->latency_us, (uint64_t)((now_ns - (int64_t)st.send_ns) / 1000));
	rx->last_src = st.src;
	if(st.layer < CVL_MAX_LAYERS)
		kt->layer_packets[st.layer]++;
	if(st.src < (uint32_t)cvl_peer_count())
		peer->recv_from[st.src * 2 + (uint32_t)k]++;
	if(rx->trx != NULL && rx->trx->expected_src >= 0 && (uint32_t)rx->trx->expected_src != st.src) {
		rx->misrouted++;
		kt->misrouted++;
	}
	if(peer->t_first_media == 0)
		peer->t_first_media = now_ns;
}

static void cvl_on_rtcp_item(void *user, const cvl_rtcp_item *item) {
	cvl_pc *pc = user;
	if(item->kind == CVL_RTCP_SR) {
		cvl_rx *rx = g_hash_table_lookup(pc->rx, GUINT_TO_POINTER(item->ssrc));
		if(rx != NULL) {
			rx->lsr = item->ntp_mid;
			rx->lsr_at_ns = cvl_now_ns();
		}
		return;
	}
	for(guint i = 0; i < pc->senders->len; i++) {
		cvl_sender *s = g_ptr_array_index(pc->senders, i);
		for(int l = 0; l < s->n_layers; l++) {
			if(s->layers[l].ssrc == item->media_ssrc && s->kind == CVL_KIND_VIDEO) {
				s->layers[l].key_wanted = true;
				cvl_stats.kind[1].keyframe_requests++;
			}
		}
	}
}

void cvl_media_on_rtcp(struct cvl_pc *pc, const uint8_t *buf, size_t len, int64_t now_ns) {
	cvl_rtcp_parse(buf, len, cvl_on_rtcp_item, pc);
}

/* --- RTCP reports ------------------------------------------------------------ */

static void cvl_send_reports(cvl_pc *pc, int64_t now) {
	size_t n_rx = g_hash_table_size(pc->rx);
	cvl_report_block *blocks = g_new0(cvl_report_block, n_rx ? n_rx : 1);
	size_t nb = 0;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, pc->rx);
	while(g_hash_table_iter_next(&it, &key, &value)) {
		cvl_rx *rx = value;
		cvl_report_block *b = &blocks[nb++];
		b->ssrc = rx->ssrc;
		b->fraction = cvl_seq_fraction(&rx->seq);
		uint64_t lost = cvl_seq_lost(&rx->seq);
		b->cum_lost = lost > 0x7fffff ? 0x7fffff : (int32_t)lost;
		b->ext_max_seq = cvl_seq_ext_max(&rx->seq);
		b->jitter = (uint32_t)rx->jitter.value;
		b->lsr = rx->lsr;
		b->dlsr = rx->lsr_at_ns ? (uint32_t)((now - rx->lsr_at_ns) * 65536 / 1000000000LL) : 0;
	}
	size_t done = 0;
	uint32_t report_ssrc = pc->rtcp_ssrc;
	uint64_t ntp = cvl_ntp_from_unix_ns(g_get_real_time() * 1000);
	uint8_t pkt[1024 + CVL_SRTP_TRAILER];
	for(guint i = 0; i < pc->senders->len; i++) {
		cvl_sender *s = g_ptr_array_index(pc->senders, i);
		if(!cvl_sender_active(s))
			continue;
		int layers = cvl_sender_layers(s);
		for(int l = 0; l < layers; l++) {
			cvl_layer *ly = &s->layers[l];
			size_t take = nb - done > 31 ? 31 : nb - done;
			size_t len = cvl_rtcp_write_sr(pkt, 1024, ly->ssrc, ntp,
				cvl_rtp_ts(ly, now, s->kind == CVL_KIND_AUDIO ? 48000 : 90000),
				(uint32_t)ly->packets, (uint32_t)ly->octets, blocks + done, take);
			done += take;
			if(report_ssrc == pc->rtcp_ssrc)
				report_ssrc = ly->ssrc;
			cvl_pc_send_rtcp(pc, pkt, len);
		}
	}
	while(done < nb) {
		size_t take = nb - done > 31 ? 31 : nb - done;
		size_t len = cvl_rtcp_write_rr(pkt, 1024, report_ssrc, blocks + done, take);
		done += take;
		cvl_pc_send_rtcp(pc, pkt, len);
	}
	g_free(blocks);
}

static gboolean cvl_rtcp_timer(gpointer data) {
	int64_t now = cvl_now_ns();
	GPtrArray *pcs = cvl_pc_all();
	for(guint i = 0; i < pcs->len; i++) {
		cvl_pc *pc = g_ptr_array_index(pcs, i);
		if(pc->state == CVL_PC_UP)
			cvl_send_reports(pc, now);
	}
	return G_SOURCE_CONTINUE;
}

void cvl_media_global_init(void) {
	cvl_t0 = cvl_now_ns();
	for(int k = 0; k < 2; k++) {
		cvl_stats.kind[k].latency_us = g_new(cvl_hist, 1);
		cvl_hist_init(cvl_stats.kind[k].latency_us);
	}
	cvl_stats.loop_lag_us = g_new(cvl_hist, 1);
	cvl_hist_init(cvl_stats.loop_lag_us);
	cvl_senders = g_ptr_array_new();
	g_timeout_add_full(G_PRIORITY_HIGH, CVL_PACER_MS, cvl_pacer, NULL, NULL);
	g_timeout_add(1000, cvl_rtcp_timer, NULL);
}
