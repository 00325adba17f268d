/*
 * cv_sdp_check.h - structural checks of the SDP and ICE candidate texts
 * clients send, before anything parses them for real.
 *
 * The Janus core parses a client's SDP before the plugin sees it, and some
 * of its failures leave a half-made PeerConnection behind; garbage relayed
 * in a mesh room only fails in the receiving browser. So every offer,
 * answer and candidate a client sends is checked here first (the envelope
 * validator calls these), and refused with 400 `bad_request`:
 *
 * SDP (RFC 8866 syntax, leniently):
 *   - starts with "v=0"; lines end with LF or CRLF; every line is
 *     "<letter>=<text>" with no control characters but tab;
 *   - has o= and s= before the first m= line;
 *   - at most CV_SDP_MAX_MLINES m= lines, each "m=<media> <port>[/<n>]
 *     <proto> <fmt> [<fmt>...]" with a port up to 65535 and at least one
 *     format (an SDP without m= lines is valid: the SFU refuses it later);
 *   - every a=fingerprint is "<hash> XX:XX:..." with the digest length of
 *     its hash function (sha-1, sha-224, sha-256, sha-384, sha-512; others
 *     need 16 to 64 bytes).
 *
 * ICE candidate (RFC 8839 5.1): "candidate:<foundation> <component>
 * <transport> <priority> <address> <port> typ <type> [<name> <value>]...",
 * optionally prefixed "a=", at most CV_CANDIDATE_MAX_LEN bytes of visible
 * ASCII separated by single spaces. The empty string (end of candidates)
 * is not a candidate: callers handle it before.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_SDP_CHECK_H
#define CV_SDP_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "cv_errors.h"

/* Most m-lines an SDP may have (the server never offers more either:
 * CV_SLOTS_MAX in cv_slots.h is the same number). */
#define CV_SDP_MAX_MLINES 256
/* Longest candidate string accepted. */
#define CV_CANDIDATE_MAX_LEN 512

/* Checks an SDP text (NUL-terminated). Returns true, or false with err
 * (400 and a static message saying what is wrong). */
bool cv_sdp_check(const char *sdp, cv_error *err);

/* Checks an ICE candidate string (not empty). Returns true, or false with
 * err (400). */
bool cv_candidate_check(const char *candidate, cv_error *err);

#endif
