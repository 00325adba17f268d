/*
 * cvl.h - what every part of cvload shares: clocks, logging, the error
 * tally, small byte helpers.
 *
 * cvload is a WebRTC load generator: hundreds of peers in one process, on
 * one GMainLoop (the default GMainContext), against Convene or Janus
 * VideoRoom. See docs/loadgen.md. The parts:
 *
 *   main.c          CLI, scenario, ramp-up, the run, the JSON summary
 *   peer.h          a participant (one or two PeerConnections, signaling)
 *   sig_convene.c   the Convene protocol (one WebSocket per participant)
 *   sig_videoroom.c Janus VideoRoom (publisher + subscriber handles)
 *   janus_api.c     the stock Janus API: sessions, handles, transactions
 *   ws.c            a WebSocket client on the main loop (ws_frame.c: framing)
 *   pc.c            a PeerConnection: libnice ICE, DTLS/SRTP glue, demux
 *   negotiate.c     its offer/answer over transceivers
 *   dtls.c          OpenSSL DTLS with use_srtp; srtp.c: libsrtp2 contexts
 *   media.c         synthetic senders (Opus, VP8, simulcast) and receivers
 *   sdp.c           SDP model, parser, writer (pure)
 *   payload.c       Opus/VP8 payloads, the embedded send stamp (pure)
 *   rtp.c           RTP/RTCP packets (pure); stats.c: loss, jitter, histograms (pure)
 *   report.c        the JSON summary
 *
 * Threading: none. Everything runs on the main loop's thread, so nothing
 * is locked. The pure files never touch the loop and have unit tests.
 */
#ifndef CVL_H
#define CVL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Monotonic time in nanoseconds: the clock of the send stamps, of latency
 * and of every timer (CLOCK_MONOTONIC: the same clock for sender and
 * receiver, since both live in this process). */
static inline int64_t cvl_now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t cvl_now_us(void) {
	return cvl_now_ns() / 1000;
}

/* Big-endian helpers */
static inline uint16_t cvl_rd16(const uint8_t *p) {
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t cvl_rd32(const uint8_t *p) {
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t cvl_rd64(const uint8_t *p) {
	return ((uint64_t)cvl_rd32(p) << 32) | cvl_rd32(p + 4);
}
static inline void cvl_wr16(uint8_t *p, uint16_t v) {
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void cvl_wr32(uint8_t *p, uint32_t v) {
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void cvl_wr64(uint8_t *p, uint64_t v) {
	cvl_wr32(p, (uint32_t)(v >> 32));
	cvl_wr32(p + 4, (uint32_t)v);
}

/* Logging to stderr (stdout is the JSON summary). 0 = errors only,
 * 1 = progress (default), 2 = signaling, 3 = verbose. */
extern int cvl_verbosity;
void cvl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The error tally of the summary: the same message counted once with its
 * number of occurrences (put peer-specific details in the log, not here). */
void cvl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
