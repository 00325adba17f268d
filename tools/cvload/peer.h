/*
 * peer.h - a participant of the load (a "peer") and the run's settings.
 *
 * A peer is one simulated user: it joins the room through its signaling
 * (Convene: one WebSocket and one PeerConnection; VideoRoom: one Janus
 * session, a publisher handle and a subscriber handle, so up to two
 * PeerConnections), publishes its tracks if it is a publisher, and receives
 * every other publisher. What it received is counted per source peer
 * (recv_from), read from the send stamp in each payload (payload.h), so
 * "did everybody get everybody" does not depend on what the SFU claims.
 *
 * With --rooms K the scenario runs K times side by side, one room each:
 * peers only expect media from the publishers of their own room.
 *
 * Set-up times (CLOCK_MONOTONIC ns, 0 = not reached): t_start when the
 * ramp starts the peer, t_joined when the room accepted it, t_up when its
 * first PeerConnection has SRTP keys (DTLS done), t_first_media at its
 * first received media packet.
 *
 * Main loop thread only.
 */
#ifndef CVL_PEER_H
#define CVL_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "sdp.h"

typedef enum cvl_target {
	CVL_TARGET_CONVENE,
	CVL_TARGET_VIDEOROOM,
} cvl_target;

typedef enum cvl_scenario {
	CVL_SCENARIO_MEETING,
	CVL_SCENARIO_BROADCAST,
	CVL_SCENARIO_AUDIO,
} cvl_scenario;

typedef struct cvl_config {
	cvl_target target;
	const char *url;
	cvl_scenario scenario;
	int participants;		/* as given on the command line */
	int publishers;			/* how many peers publish */
	int per_room;			/* peers in each room */
	int rooms;			/* copies of the scenario, one room each */
	int peers;			/* total peers in the run: per_room * rooms */
	double duration_s;		/* after the last peer started */
	double ramp;			/* peers started per second */
	int video_kbps;
	int fps;
	bool simulcast;
	bool video;			/* false in the audio scenario */
	int audio_bytes;		/* Opus payload size */
	double keyframe_interval_s;
	double setup_timeout_s;
	char *room;			/* --room: the room id (the base of them with --rooms) */
	char **room_ids;		/* the id of each room */
	char **tokens;			/* --token (repeatable), peer i uses i % n */
	int n_tokens;
	const char *jwt_secret;		/* mint a token per peer */
	const char *admin_key;		/* VideoRoom room creation */
	const char *ice_ip;		/* gather host candidates on this address only */
	const char *user_prefix;
	bool per_peer;			/* per-peer detail in the summary */
	bool glare;			/* Convene test knob: cross our offer with the server's */
	int offer_delay_ms;		/* Convene test knob: receive-only peers wait before offering */
} cvl_config;

extern cvl_config cvl_cfg;

struct cvl_pc;

typedef struct cvl_peer {
	int index;
	int room;			/* index in cvl_cfg.room_ids */
	char user_id[64];
	bool publishes;
	int64_t t_start, t_joined, t_up, t_first_media;
	bool started, failed;
	char *fail_reason;
	GPtrArray *pcs;			/* cvl_pc*, owned by the signaling */
	uint32_t *recv_from;		/* [source index * 2 + kind] packets received */
	void *sig;			/* signaling state */
	struct cvl_sender *senders[2];	/* audio, video (NULL when not publishing) */
	uint64_t pcs_up;		/* PeerConnections that reached SRTP */
} cvl_peer;

cvl_peer *cvl_peer_get(int index);
int cvl_peer_count(void);
/* The peer with this user id, or NULL. */
cvl_peer *cvl_peer_by_user(const char *user_id);
/* Marks the peer failed (first reason kept) and counts the error. */
void cvl_peer_fail(cvl_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Started, never failed, and every PeerConnection it made is up. */
bool cvl_peer_connected(const cvl_peer *p);
/* Called by pc.c when one of the peer's PeerConnections has SRTP keys. */
void cvl_peer_pc_up(cvl_peer *p, struct cvl_pc *pc);
/* True while the run measures (false once it is shutting down). */
bool cvl_running(void);

/* Signaling: one implementation per target. */
typedef struct cvl_sig_ops {
	/* Before the first peer: e.g. create the VideoRoom room. Calls done. */
	void (*prepare)(void (*done)(bool ok));
	/* Starts a peer (connect, join, negotiate). */
	void (*start)(cvl_peer *p);
	/* Leaves politely at the end of the run. */
	void (*stop)(cvl_peer *p);
	/* After every peer was told to stop: e.g. destroy the rooms. Calls
	 * done once that is over (main.c also gives up after a few seconds). */
	void (*finish)(void (*done)(void));
} cvl_sig_ops;

extern const cvl_sig_ops cvl_sig_convene;
extern const cvl_sig_ops cvl_sig_videoroom;

#endif
