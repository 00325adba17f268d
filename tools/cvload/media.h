/*
 * media.h - synthetic senders and counting receivers.
 *
 * Senders. One per published track: audio sends one Opus packet every
 * 20 ms (50 packets/s); video sends VP8 frames at --fps, each frame cut
 * into packets under the MTU, sized for --video-kbps, a keyframe every
 * --keyframe-interval seconds and whenever the SFU asks (PLI or FIR on
 * that SSRC; at most one per 250 ms per layer). With --simulcast the video
 * track sends three rid layers h/m/l (full, 1/4 and 1/16 of the bitrate;
 * 1280x720, 640x360, 320x180 in the keyframe headers), each with its own
 * SSRC, all on one m-line, with the mid and rid header extensions. One
 * pacer timer (every 5 ms) sends whatever is due, stamping each packet
 * with the time it is actually sent.
 *
 * Receivers. Per PeerConnection and remote SSRC (cvl_rx): packets, bytes,
 * loss from sequence numbers (stats.h), jitter, the source of the last
 * stamp. Per peer: packets received from each source peer and kind. Per
 * kind, for the whole run: latency histogram (receive time - stamp time).
 * Every second each PeerConnection sends RTCP: an SR per sending SSRC and
 * report blocks (RR) for what it receives.
 *
 * Main loop thread only.
 */
#ifndef CVL_MEDIA_H
#define CVL_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"
#include "stats.h"

struct cvl_pc;
struct cvl_trx;

#define CVL_MAX_LAYERS 3

typedef struct cvl_layer {
	uint32_t ssrc;
	char rid[8];			/* "" when not simulcast */
	uint16_t seq;
	uint32_t ts_offset;
	uint16_t picture_id;
	uint16_t width, height;
	int kbps;
	uint32_t counter;		/* packets sent (the stamp's counter) */
	uint64_t packets, octets;
	bool key_wanted;
	int64_t last_key_ns;
} cvl_layer;

typedef struct cvl_sender {
	cvl_kind kind;
	uint32_t src;			/* the publishing peer's index */
	struct cvl_pc *pc;
	struct cvl_trx *trx;
	int n_layers;
	cvl_layer layers[CVL_MAX_LAYERS];
	int64_t interval_ns;
	int64_t next_ns;		/* next frame due; 0 = not started */
	char stream_id[64], track_id[80];	/* msid */
} cvl_sender;

/* A remote stream, as one PeerConnection receives it. */
typedef struct cvl_rx {
	uint32_t ssrc;
	cvl_kind kind;
	int clock;
	struct cvl_trx *trx;		/* its m-line when known */
	cvl_seq seq;
	cvl_jitter jitter;
	uint64_t packets, bytes;
	uint64_t unstamped;		/* packets without a cvload stamp */
	uint64_t misrouted;		/* stamp source differs from the m-line's publisher */
	int64_t last_src;
	uint32_t lsr;			/* from the last SR of this SSRC */
	int64_t lsr_at_ns;
	int64_t first_ns, last_ns;
} cvl_rx;

/* Run totals per kind (index cvl_kind: 0 audio, 1 video). */
typedef struct cvl_kind_totals {
	uint64_t sent_packets, sent_bytes;
	uint64_t recv_packets, recv_bytes;
	uint64_t unstamped;
	uint64_t misrouted;
	uint64_t keyframes_sent, keyframe_requests;
	uint64_t late_frames;		/* frames the pacer sent over 100 ms late */
	uint64_t layer_packets[CVL_MAX_LAYERS];	/* received, by the stamp's layer (h, m, l) */
	cvl_hist *latency_us;
} cvl_kind_totals;

typedef struct cvl_totals {
	cvl_kind_totals kind[2];
	cvl_hist *loop_lag_us;		/* pacer timer lateness */
	uint64_t send_errors, srtp_errors, rtcp_sent;
	uint64_t rx_streams;
} cvl_totals;

extern cvl_totals cvl_stats;

void cvl_media_global_init(void);
/* A sender for a publishing peer (kind audio or video). */
cvl_sender *cvl_sender_new(cvl_kind kind, uint32_t src, bool simulcast, const char *stream_id);
/* Binds a sender to the m-line it sends on (pc.c calls it from
 * cvl_pc_add_track). */
void cvl_sender_attach(cvl_sender *s, struct cvl_pc *pc, struct cvl_trx *trx);
/* Stops every sender (end of the run). */
void cvl_media_stop_sending(void);
/* Empties the latency and loop-lag histograms, so that they cover only
 * what comes next (SIGUSR1: the end of a warm-up). */
void cvl_media_reset_latency(void);

/* Decrypted packets from pc.c. */
void cvl_media_on_rtp(struct cvl_pc *pc, const uint8_t *buf, size_t len, int64_t now_ns);
void cvl_media_on_rtcp(struct cvl_pc *pc, const uint8_t *buf, size_t len, int64_t now_ns);
/* Frees a cvl_rx (the PC's hash table destroy function). */
void cvl_rx_free(void *rx);

#endif
