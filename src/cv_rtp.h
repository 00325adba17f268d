/*
 * cv_rtp.h - RTP maths for forwarding: header fields, sequence/timestamp
 * rewriting per receiver, keyframe detection, keyframe-request pacing.
 *
 * A forwarded stream keeps, per receiver, one cv_rtp_rewriter. The receiver
 * sees one continuous stream (sequence numbers that never jump back,
 * timestamps that advance with wall time) even when the source behind it
 * changes: a publisher whose SSRC changed (a new track, a restarted sender),
 * or another publisher on an m-line that is reused (the plugin seeds the new
 * forward with the m-line's last rewriter state; the Janus core gives an
 * m-line that went inactive a new SSRC, which receivers follow from the
 * SDP, so there the numbering continuity is a courtesy to receivers that
 * key their state on sequence numbers).
 *
 * Pure logic: no Janus headers. Not thread-safe: a rewriter belongs to the
 * thread that forwards the stream's packets.
 */
#ifndef CV_RTP_H
#define CV_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_vp8.h"

#define CV_RTP_HEADER_MIN 12

/* The fixed header fields of an RTP packet. */
typedef struct cv_rtp_header {
	uint8_t payload_type;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t header_len;		/* fixed header + CSRCs + extension */
	size_t payload_len;		/* without padding */
} cv_rtp_header;

/* Parses buf; false when it is not a valid RTP packet (version, lengths). */
bool cv_rtp_parse(const uint8_t *buf, size_t len, cv_rtp_header *out);
/* Finds header extension `id` (RFC 8285, one-byte or two-byte form) in an
 * RTP packet; on true, value and value_len point into buf. */
bool cv_rtp_extension(const uint8_t *buf, size_t len, int id, const uint8_t **value, size_t *value_len);
/* Writes seq, ts and payload type into an RTP header in place (len >= 12). */
void cv_rtp_set(uint8_t *buf, uint16_t seq, uint32_t ts, uint8_t payload_type);

/* Video codecs whose keyframes we recognise. */
typedef enum cv_video_codec {
	CV_CODEC_UNKNOWN = 0,
	CV_CODEC_VP8,
	CV_CODEC_VP9,
	CV_CODEC_H264,
	CV_CODEC_AV1,
} cv_video_codec;

/* "vp8"/"VP8", "vp9", "h264", "av1" -> codec; others CV_CODEC_UNKNOWN. */
cv_video_codec cv_video_codec_parse(const char *name);
/* True when an RTP payload starts a keyframe (VP8, VP9, H.264; AV1 is
 * never claimed). */
bool cv_rtp_is_keyframe(cv_video_codec codec, const uint8_t *payload, size_t len);

/* Sequence/timestamp continuity for one receiver of a forwarded stream. */
typedef struct cv_rtp_rewriter {
	bool started;
	bool switching;			/* the next packet starts a new source */
	uint32_t source_ssrc;
	uint16_t seq_offset;	/* out = in + offset (mod 2^16) */
	uint32_t ts_offset;		/* out = in + offset (mod 2^32) */
	uint16_t last_seq;		/* highest sequence number sent */
	uint32_t last_ts;		/* timestamp of that packet */
	int64_t last_time_us;	/* when it was sent */
	uint32_t clock_rate;
	cv_vp8_rewriter vp8;	/* VP8 streams: PictureID/TL0PICIDX continuity (cv_vp8.h) */
} cv_rtp_rewriter;

/* Starts a rewriter for a stream with the given clock rate (48000 audio,
 * 90000 video). */
void cv_rtp_rewriter_init(cv_rtp_rewriter *rw, uint32_t clock_rate);
/* Marks that the next packet comes from a new source even if its SSRC is
 * the same as before (e.g. a reused m-line). */
void cv_rtp_rewriter_switch(cv_rtp_rewriter *rw);
/* Maps a packet of source ssrc (seq, ts) sent at now_us to the receiver's
 * sequence number and timestamp. A new source continues right after the
 * last packet sent: seq + 1, ts advanced by the wall time elapsed (at least
 * 1 tick). Packets of the current source keep their spacing, so the
 * receiver's jitter buffer and NACKs keep working. A new source also
 * resyncs rw->vp8, which the caller applies to VP8 payloads. */
void cv_rtp_rewrite(cv_rtp_rewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now_us,
	uint16_t *out_seq, uint32_t *out_ts);

/* Paces keyframe requests to one publisher stream: at most one per
 * min_interval_us. */
typedef struct cv_pli_pacer {
	int64_t last_us;
	int64_t min_interval_us;
	bool ever;
} cv_pli_pacer;

void cv_pli_pacer_init(cv_pli_pacer *p, int64_t min_interval_us);
/* True (and records now_us) when a request may be sent now. */
bool cv_pli_pacer_allow(cv_pli_pacer *p, int64_t now_us);

#endif
