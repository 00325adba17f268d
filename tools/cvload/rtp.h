/*
 * rtp.h - RTP and RTCP packets as cvload writes and reads them.
 *
 * RTP: a 12-byte header and, when a mid or rid is given, an RFC 8285
 * one-byte header extension block carrying them (what SFUs use to demux
 * a BUNDLE and to tell simulcast layers apart before they know the SSRCs).
 *
 * RTCP: sender and receiver reports with report blocks (RFC 3550), and a
 * reader for what an SFU sends a client: SR (for LSR/DLSR), PLI and FIR
 * (keyframe requests). Other packets are skipped.
 *
 * Pure logic, no state.
 */
#ifndef CVL_RTP_H
#define CVL_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CVL_RTP_MAX 1500

typedef struct cvl_rtp {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload;
	size_t payload_len;
	/* header extensions found (one-byte or two-byte form) */
	const uint8_t *ext_block;
	size_t ext_len;
	bool ext_two_byte;
} cvl_rtp;

/* Writes an RTP header with the given fields; mid/rid (NULL or "" to
 * omit) go in a one-byte extension with ids mid_id/rid_id (1..14; 0 omits).
 * Returns the header length, 0 when cap is too small. */
size_t cvl_rtp_write(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq,
	uint32_t ts, uint32_t ssrc, int mid_id, const char *mid, int rid_id, const char *rid);
/* Parses an RTP packet; false when it is not one (version, lengths, padding). */
bool cvl_rtp_parse(const uint8_t *buf, size_t len, cvl_rtp *out);
/* Finds extension `id` in a parsed packet. */
bool cvl_rtp_ext(const cvl_rtp *rtp, int id, const uint8_t **value, size_t *len);

/* RFC 5761 demux: an RTCP packet type in the second byte (192..223). */
bool cvl_is_rtcp(const uint8_t *buf, size_t len);

typedef struct cvl_report_block {
	uint32_t ssrc;
	uint8_t fraction;	/* lost since the last report, /256 */
	int32_t cum_lost;	/* 24-bit signed */
	uint32_t ext_max_seq;
	uint32_t jitter;
	uint32_t lsr;		/* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;		/* 1/65536 s since that SR */
} cvl_report_block;

/* SR (sender info + up to 31 blocks); returns the length, 0 when cap is
 * too small. ntp is the 64-bit NTP time. */
size_t cvl_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
	uint32_t packets, uint32_t octets, const cvl_report_block *blocks, size_t n);
/* RR with up to 31 blocks. */
size_t cvl_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc, const cvl_report_block *blocks, size_t n);

typedef enum cvl_rtcp_kind {
	CVL_RTCP_SR,		/* ssrc = sender, ntp_mid = LSR value */
	CVL_RTCP_PLI,		/* ssrc = sender, media_ssrc = the stream asked for a keyframe */
	CVL_RTCP_FIR,		/* media_ssrc from each FCI entry */
} cvl_rtcp_kind;

typedef struct cvl_rtcp_item {
	cvl_rtcp_kind kind;
	uint32_t ssrc;
	uint32_t media_ssrc;
	uint32_t ntp_mid;
} cvl_rtcp_item;

typedef void (*cvl_rtcp_cb)(void *user, const cvl_rtcp_item *item);
/* Walks a compound RTCP packet, calling cb for each SR, PLI and FIR
 * entry; stops at the first malformed packet. Returns the number of
 * packets walked. */
int cvl_rtcp_parse(const uint8_t *buf, size_t len, cvl_rtcp_cb cb, void *user);

/* NTP time (RFC 3550) from a Unix time in ns. */
uint64_t cvl_ntp_from_unix_ns(int64_t unix_ns);

#endif
