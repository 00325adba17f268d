/*
 * cv_rtcp.h - the little RTCP parsing the forwarding path needs.
 *
 * Pure logic: no Janus headers. Thread-safe (no state).
 */
#ifndef CV_RTCP_H
#define CV_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when a (compound) RTCP packet carries a keyframe request: a PLI
 * (PSFB, FMT 1) or a FIR (PSFB, FMT 4). Stops at the first malformed
 * report. */
bool cv_rtcp_wants_keyframe(const uint8_t *buf, size_t len);

#endif
