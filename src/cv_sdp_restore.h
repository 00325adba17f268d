/*
 * cv_sdp_restore.h - putting back the SDP lines the Janus core strips from
 * the plugin's offers.
 *
 * The core removes the RID header extensions (sdes:rtp-stream-id and
 * repaired-rtp-stream-id) from every offer a plugin makes, yet keeps
 * writing a=rid and a=simulcast:recv on the m-line of a simulcast
 * publisher; browsers refuse such an offer. The plugin hands the lines it
 * wrote to the transport in the offer frame, under CV_SDP_RESTORE_KEY:
 *
 *   "sdpRestore": { "<mid>": ["<id> <uri>", ...], ... }
 *
 * and the transport adds "a=extmap:<id> <uri>" to the m-section of each
 * mid before the frame goes out (then drops the key). A client of the
 * stock Janus API sees the key in the event and does the same.
 *
 * Pure logic: no Janus headers, no state.
 */
#ifndef CV_SDP_RESTORE_H
#define CV_SDP_RESTORE_H

#include <jansson.h>

#define CV_SDP_RESTORE_KEY "sdpRestore"

/* A copy of sdp (CRLF or LF lines) where each m-section whose a=mid is a
 * key of by_mid gets the extmap lines of its array, right after its a=mid
 * line, except those whose id the section already maps. Entries that are
 * not "<1..14> <uri>" strings are ignored. Returns a malloc'd string (free)
 * or NULL when sdp is NULL or memory runs out; sdp and by_mid are not
 * modified. */
char *cv_sdp_restore(const char *sdp, json_t *by_mid);

#endif
