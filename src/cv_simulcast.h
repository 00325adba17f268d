/*
 * cv_simulcast.h - one simulcast layer per receiver.
 *
 * A publisher may send one video track as up to three layers ("rid"s,
 * e.g. l/m/h) on one m-line, each with its own SSRC. A receiver gets one
 * of them at a time: the layer it pinned (`subscribe`), or with "auto" the
 * highest layer that is flowing. Switching happens only on a keyframe of
 * the layer switched to, so the receiver's decoder never sees a frame that
 * references one it did not get; until then the current layer keeps
 * flowing. A layer that stops (the publisher's encoder drops it under
 * bandwidth pressure) is left at once for the next one that flows.
 *
 * Layers are numbered 0 (lowest) to 2 (highest). The SSRC of each is
 * learnt from the rid header extension of its packets (or given up front
 * for SSRC-based simulcast).
 *
 * Pure logic: no Janus headers. Not thread-safe: a source and its
 * receivers are used by the publisher's RTP thread only (a receiver's
 * pinned layer is handed over by the caller).
 */
#ifndef CV_SIMULCAST_H
#define CV_SIMULCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CV_SIMULCAST_LAYERS 3
#define CV_LAYER_AUTO (-1)
#define CV_LAYER_INVALID (-2)
/* A layer counts as flowing if it sent within this long. */
#define CV_SIMULCAST_ACTIVE_US (500 * 1000)

/* "l" 0, "m" 1, "h" 2, "auto" CV_LAYER_AUTO; anything else CV_LAYER_INVALID. */
int cv_layer_parse(const char *name);
/* "l", "m", "h" or "auto" (static). */
const char *cv_layer_name(int layer);

typedef struct cv_simulcast_source {
	uint32_t ssrc[CV_SIMULCAST_LAYERS];		/* 0: not known yet */
	char rid[CV_SIMULCAST_LAYERS][16];		/* "" when none */
	int rid_ext_id;							/* 1..255, 0: not rid based */
	int64_t last_seen_us[CV_SIMULCAST_LAYERS];	/* 0: never */
} cv_simulcast_source;

/* Sets a source up from its rid names as the publisher listed them,
 * highest quality first (the JSEP order of a=simulcast), and the rid
 * header extension id; or, with n_rids 0, from SSRCs lowest layer first.
 * Names "h", "m", "l" are placed by meaning whatever their order. */
void cv_simulcast_source_init(cv_simulcast_source *s, const char *const *rids, size_t n_rids,
	int rid_ext_id, const uint32_t *ssrcs, size_t n_ssrcs);

/* The layer of a packet (buf/len, with its SSRC): by SSRC, else by its
 * rid extension (the SSRC is then remembered). -1 when unknown. */
int cv_simulcast_layer(cv_simulcast_source *s, const uint8_t *buf, size_t len, uint32_t ssrc);
/* Notes that layer sent a packet at now_us. */
void cv_simulcast_seen(cv_simulcast_source *s, int layer, int64_t now_us);
/* Whether layer sent within CV_SIMULCAST_ACTIVE_US of now_us. */
bool cv_simulcast_active(const cv_simulcast_source *s, int layer, int64_t now_us);
/* The layer a receiver should get: the pinned one if flowing, else the
 * closest flowing one below it, else above; with CV_LAYER_AUTO the highest
 * flowing one. -1 when nothing flows. */
int cv_simulcast_target(const cv_simulcast_source *s, int preference, int64_t now_us);

/* One receiver's position. */
typedef struct cv_simulcast_receiver {
	int current;	/* the layer being forwarded, -1: none yet */
} cv_simulcast_receiver;

typedef struct cv_simulcast_decision {
	bool forward;		/* relay this packet */
	bool switched;		/* it starts a new layer (the SSRC changes) */
	bool need_keyframe;	/* ask the publisher for a keyframe */
} cv_simulcast_decision;

void cv_simulcast_receiver_init(cv_simulcast_receiver *r);
/* Decides for one packet of `layer` (keyframe or not) and a receiver with
 * `preference`: forwards the current layer while it flows, moves to the
 * target on one of its keyframes, and asks for a keyframe when the
 * receiver waits for one. */
cv_simulcast_decision cv_simulcast_route(cv_simulcast_receiver *r, const cv_simulcast_source *s,
	int preference, int layer, bool keyframe, int64_t now_us);

#endif
