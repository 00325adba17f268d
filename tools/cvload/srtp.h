/*
 * srtp.h - the SRTP contexts of one PeerConnection (libsrtp2).
 *
 * Two sessions per connection, keyed from DTLS (dtls.h): one outbound
 * (any SSRC we send, our key) and one inbound (any SSRC the peer sends,
 * its key). Profile SRTP_AES128_CM_SHA1_80 for RTP and RTCP.
 *
 * Buffers handed to the protect functions need CVL_SRTP_TRAILER spare
 * bytes after the packet. Main loop thread only.
 */
#ifndef CVL_SRTP_H
#define CVL_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtls.h"

#define CVL_SRTP_TRAILER 148	/* SRTP_MAX_TRAILER_LEN */

typedef struct cvl_srtp cvl_srtp;

bool cvl_srtp_global_init(void);
cvl_srtp *cvl_srtp_new(const uint8_t local[CVL_SRTP_KEY_LEN], const uint8_t remote[CVL_SRTP_KEY_LEN]);
void cvl_srtp_free(cvl_srtp *s);
/* In place; *len grows by the tag. False on failure. */
bool cvl_srtp_protect(cvl_srtp *s, uint8_t *buf, size_t *len);
bool cvl_srtp_protect_rtcp(cvl_srtp *s, uint8_t *buf, size_t *len);
/* In place; *len shrinks. False when authentication fails or a replay. */
bool cvl_srtp_unprotect(cvl_srtp *s, uint8_t *buf, size_t *len);
bool cvl_srtp_unprotect_rtcp(cvl_srtp *s, uint8_t *buf, size_t *len);

#endif
