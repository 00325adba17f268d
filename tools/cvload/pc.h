/*
 * pc.h - a PeerConnection toward the SFU (pc.c: transport; negotiate.c:
 * offer/answer): offer/answer over transceivers,
 * libnice ICE (one stream, one component: BUNDLE and rtcp-mux only),
 * DTLS-SRTP, and the demultiplexing of what arrives (RFC 7983: DTLS by
 * first byte 20..63, RTP/RTCP 128..191, RTCP by packet type 192..223).
 *
 * Negotiation: the PC keeps a list of transceivers (one per m-line). Ours
 * are added with cvl_pc_add_track (a sender, or receive-only); the
 * remote's appear when its offers bring new mids. cvl_pc_create_offer
 * writes all of them (negotiated m-lines in their order, new ones after);
 * cvl_pc_apply_offer answers a remote offer m-line by m-line (Opus for
 * audio, VP8 for video, everything else rejected) and, when our own offer
 * was outstanding, rolls it back first (we are the polite side):
 * cvl_pc_needs_offer then says whether to offer again.
 *
 * ICE: gather host candidates once at creation (no STUN, no TURN, UDP only,
 * only on --ice-ip when given); every description we write carries all of
 * them and a=end-of-candidates, so we never trickle. Remote candidates come
 * from the SDP or trickled (cvl_pc_add_remote_candidate). We are
 * controlling when we made the first offer, controlled when the SFU did.
 *
 * DTLS: the role follows a=setup (we offer actpass; answering actpass we
 * are active, i.e. client). Keys are exported into libsrtp2 when the
 * handshake ends; the PC is then "up" and senders may send.
 *
 * Main loop thread only.
 */
#ifndef CVL_PC_H
#define CVL_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sdp.h"

struct cvl_peer;
struct cvl_sender;
struct cvl_dtls;
struct cvl_srtp;

typedef enum cvl_pc_state {
	CVL_PC_NEW = 0,		/* gathering / negotiating / ICE / DTLS */
	CVL_PC_UP,		/* SRTP keys: media flows */
	CVL_PC_FAILED,		/* ICE failed, DTLS failed or closed */
	CVL_PC_CLOSED,		/* we closed it */
} cvl_pc_state;

typedef struct cvl_trx {
	char mid[CVL_SDP_TOKEN];
	cvl_kind kind;
	struct cvl_sender *sender;	/* what we send on it, or NULL */
	bool want_recv;			/* we want to receive on it */
	int mindex;			/* its m-line index, -1 before negotiation */
	bool negotiated, rejected;
	cvl_dir dir;			/* negotiated direction, seen from us */
	cvl_sdp_codec codec;		/* the negotiated (or offered) codec */
	int ext_mid, ext_rid;		/* negotiated extension ids, 0 = none */
	bool simulcast;			/* we send rid layers on it */
	uint32_t remote_ssrc;		/* the SSRC the remote announced, 0 unknown */
	int expected_src;		/* the peer index that should be on it, -1 unknown */
	/* an m-line of theirs we reject: what to write back in later offers */
	char kind_name[16], proto[CVL_SDP_TOKEN], fmt[CVL_SDP_TOKEN];
	int first_pt;
} cvl_trx;

typedef struct cvl_pc {
	struct cvl_peer *peer;
	char label[16];
	cvl_pc_state state;
	void *agent;			/* NiceAgent */
	unsigned stream;
	bool gathered;
	void (*on_gathered)(struct cvl_pc *pc, void *data);
	void *on_gathered_data;
	bool controlling_set;
	char ufrag[CVL_SDP_TOKEN], pwd[CVL_SDP_TOKEN];
	GPtrArray *trx;			/* cvl_trx*, in creation order */
	int next_mid;
	bool have_local_offer;
	uint64_t session_id, version;
	/* remote transport */
	bool remote_creds;
	char remote_ufrag[CVL_SDP_TOKEN], remote_pwd[CVL_SDP_TOKEN];
	GHashTable *remote_cands;	/* candidate strings added */
	GPtrArray *pending_cands;	/* trickled before the remote credentials */
	bool ice_connected;
	struct cvl_dtls *dtls;
	struct cvl_srtp *srtp;
	/* media */
	GHashTable *rx;			/* ssrc -> cvl_rx (media.c) */
	GPtrArray *senders;		/* cvl_sender* attached to this PC */
	uint32_t rtcp_ssrc;		/* our SSRC in RTCP when we send nothing */
	int64_t t_created, t_up;
	uint64_t srtp_errors;
} cvl_pc;

/* Creates a PeerConnection and starts gathering. NULL when libnice could
 * not gather (the reason is logged). */
cvl_pc *cvl_pc_new(struct cvl_peer *peer, const char *label);
/* Calls fn once gathering is done (at once if it is). One waiter. */
void cvl_pc_when_gathered(cvl_pc *pc, void (*fn)(cvl_pc *pc, void *data), void *data);
/* Adds one of our transceivers: sending `sender` (may be NULL), and
 * receiving when recv. */
cvl_trx *cvl_pc_add_track(cvl_pc *pc, cvl_kind kind, struct cvl_sender *sender, bool recv);

/* Our offer (gathering must be done); g_free it. */
char *cvl_pc_create_offer(cvl_pc *pc);
/* Applies the answer to our outstanding offer. False on error (logged). */
bool cvl_pc_apply_answer(cvl_pc *pc, const char *sdp);
/* Applies a remote offer (rolling back our own if one is outstanding)
 * and returns our answer (g_free), or NULL on error. */
char *cvl_pc_apply_offer(cvl_pc *pc, const char *sdp);
/* True when some of our transceivers were never negotiated. */
bool cvl_pc_needs_offer(const cvl_pc *pc);
/* A trickled remote candidate ("candidate:..." with or without "a="). */
void cvl_pc_add_remote_candidate(cvl_pc *pc, const char *candidate);
void cvl_pc_remote_candidates_done(cvl_pc *pc);
cvl_trx *cvl_pc_trx_by_mid(cvl_pc *pc, const char *mid);

/* Protects and sends one RTP / RTCP packet; buf needs CVL_SRTP_TRAILER
 * spare bytes. False when the PC is not up or sending failed. */
bool cvl_pc_send_rtp(cvl_pc *pc, uint8_t *buf, size_t len);
bool cvl_pc_send_rtcp(cvl_pc *pc, uint8_t *buf, size_t len);
/* Closes (stops ICE); the object stays allocated. */
void cvl_pc_close(cvl_pc *pc);

/* For negotiate.c: the ICE role (set once, by whoever offers first); our
 * transport attributes in an m-line (candidates and end-of-candidates
 * when asked); the remote transport of a description (credentials,
 * candidates, and the DTLS role the first time). */
void cvl_pc_set_controlling(cvl_pc *pc, bool controlling);
void cvl_pc_local_transport(cvl_pc *pc, cvl_sdp_media *m, const char *setup, bool candidates);
bool cvl_pc_apply_transport(cvl_pc *pc, const cvl_sdp *sdp, bool remote_is_offer);

/* Every PeerConnection made (for the DTLS timer, RTCP and the summary). */
GPtrArray *cvl_pc_all(void);
/* Starts the DTLS retransmission timer. */
void cvl_pc_global_init(void);

#endif
