/*
 * sig_convene.c - a peer speaking the Convene protocol (docs/protocol.md):
 * one WebSocket, join, one PeerConnection with the server ("sfu").
 *
 *   open -> join -> joined -> PeerConnection (gather) -> offer
 *   answer from sfu           -> apply
 *   offer from sfu            -> apply (rolling back ours if crossed) -> answer,
 *                                then offer again if our tracks are still
 *                                not negotiated (the server is impolite)
 *   ice-candidate from sfu    -> add (null: end of candidates)
 *
 * A publisher offers its tracks sendonly; a receive-only peer offers a
 * recv-only audio and video transceiver, which the server fills with
 * forwarded tracks. The `tracks` list of each server offer tells which
 * publisher is on which mid: kept on the transceivers so the receivers
 * can count packets whose stamp names another publisher ("misrouted").
 * Tokens: --jwt-secret mints one per peer (sub = user id, grant create),
 * --token passes given ones through.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "cv_jwt.h"
#include "cvl.h"
#include "media.h"
#include "pc.h"
#include "peer.h"
#include "ws.h"

typedef struct cvl_conv {
	cvl_peer *peer;
	cvl_ws *ws;
	cvl_pc *pc;
	char *pending_offer;		/* a server offer that came before gathering ended */
	json_t *pending_tracks;
	bool joined, stopped;
	bool glared;			/* --glare: our crossing offer went out */
	bool delayed;			/* --offer-delay: the first offer waits */
} cvl_conv;

static void cvl_conv_send(cvl_conv *c, json_t *msg) {
	json_object_set_new(msg, "roomId", json_string(cvl_cfg.room_ids[c->peer->room]));
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	cvl_log(3, "%s > %s\n", c->peer->user_id, text);
	cvl_ws_send_text(c->ws, text);
	free(text);
}

static void cvl_conv_send_sdp(cvl_conv *c, const char *type, char *sdp) {
	json_t *msg = json_pack("{sssss{ssss}}", "type", type, "targetUserId", "sfu",
		"data", "type", type, "sdp", sdp);
	g_free(sdp);
	cvl_conv_send(c, msg);
}

static void cvl_conv_maybe_offer(cvl_conv *c) {
	if(c->pc == NULL || !c->pc->gathered || c->pc->have_local_offer || !cvl_pc_needs_offer(c->pc))
		return;
	cvl_conv_send_sdp(c, "offer", cvl_pc_create_offer(c->pc));
}

/* Which publisher is on which mid, from an offer's `tracks`. */
static void cvl_conv_apply_tracks(cvl_conv *c, json_t *tracks) {
	for(guint i = 0; i < c->pc->trx->len; i++) {
		cvl_trx *t = g_ptr_array_index(c->pc->trx, i);
		if(t->sender == NULL)
			t->expected_src = -1;
	}
	size_t i;
	json_t *tr;
	json_array_foreach(tracks, i, tr) {
		const char *mid = json_string_value(json_object_get(tr, "mid"));
		const char *user = json_string_value(json_object_get(tr, "userId"));
		cvl_trx *t = mid != NULL ? cvl_pc_trx_by_mid(c->pc, mid) : NULL;
		cvl_peer *from = user != NULL ? cvl_peer_by_user(user) : NULL;
		if(t != NULL && t->sender == NULL)
			t->expected_src = from != NULL ? from->index : -1;
	}
}

static void cvl_conv_handle_offer(cvl_conv *c, const char *sdp, json_t *tracks) {
	if(cvl_cfg.glare && !c->glared) {
		/* as if our offer had crossed the server's on the wire */
		c->glared = true;
		cvl_log(2, "%s: --glare: offering before answering the server's offer\n", c->peer->user_id);
		cvl_conv_send_sdp(c, "offer", cvl_pc_create_offer(c->pc));
	}
	char *answer = cvl_pc_apply_offer(c->pc, sdp);
	if(answer == NULL) {
		cvl_peer_fail(c->peer, "could not answer the server's offer");
		return;
	}
	if(json_is_array(tracks))
		cvl_conv_apply_tracks(c, tracks);
	cvl_conv_send_sdp(c, "answer", answer);
	cvl_conv_maybe_offer(c);
}

static gboolean cvl_conv_delayed_offer(gpointer data) {
	cvl_conv *c = data;
	if(!c->stopped)
		cvl_conv_maybe_offer(c);
	return G_SOURCE_REMOVE;
}

static void cvl_conv_gathered(cvl_pc *pc, void *data) {
	cvl_conv *c = data;
	if(c->pending_offer != NULL) {
		char *sdp = c->pending_offer;
		json_t *tracks = c->pending_tracks;
		c->pending_offer = NULL;
		c->pending_tracks = NULL;
		cvl_conv_handle_offer(c, sdp, tracks);
		g_free(sdp);
		json_decref(tracks);
		return;
	}
	/* --glare: a receive-only peer lets the server offer first */
	if(cvl_cfg.glare && !c->peer->publishes)
		return;
	if(cvl_cfg.offer_delay_ms > 0 && !c->peer->publishes && !c->delayed) {
		int64_t wait_ms = cvl_cfg.offer_delay_ms - (cvl_now_ns() - c->peer->t_joined) / 1000000;
		if(wait_ms > 0) {
			c->delayed = true;
			g_timeout_add((guint)wait_ms, cvl_conv_delayed_offer, c);
			return;
		}
	}
	cvl_conv_maybe_offer(c);
}

static void cvl_conv_joined(cvl_conv *c) {
	cvl_peer *p = c->peer;
	c->joined = true;
	p->t_joined = cvl_now_ns();
	c->pc = cvl_pc_new(p, "pc");
	if(c->pc == NULL) {
		cvl_peer_fail(p, "could not create a PeerConnection");
		return;
	}
	if(p->publishes) {
		cvl_pc_add_track(c->pc, CVL_KIND_AUDIO, p->senders[0], false);
		if(p->senders[1] != NULL)
			cvl_pc_add_track(c->pc, CVL_KIND_VIDEO, p->senders[1], false);
	} else {
		cvl_pc_add_track(c->pc, CVL_KIND_AUDIO, NULL, true);
		if(cvl_cfg.video)
			cvl_pc_add_track(c->pc, CVL_KIND_VIDEO, NULL, true);
	}
	cvl_pc_when_gathered(c->pc, cvl_conv_gathered, c);
}

static void cvl_conv_on_message(cvl_conv *c, json_t *msg) {
	const char *type = json_string_value(json_object_get(msg, "type"));
	json_t *data = json_object_get(msg, "data");
	if(type == NULL)
		return;
	if(strcmp(type, "joined") == 0) {
		if(!c->joined)
			cvl_conv_joined(c);
	} else if(strcmp(type, "answer") == 0) {
		const char *sdp = json_string_value(json_object_get(data, "sdp"));
		if(c->pc == NULL || sdp == NULL || !cvl_pc_apply_answer(c->pc, sdp))
			cvl_peer_fail(c->peer, "bad answer from the server");
		else
			cvl_conv_maybe_offer(c);
	} else if(strcmp(type, "offer") == 0) {
		const char *sdp = json_string_value(json_object_get(data, "sdp"));
		json_t *tracks = json_object_get(msg, "tracks");
		if(c->pc == NULL || sdp == NULL) {
			cvl_error("server offer before joined, or without SDP");
			return;
		}
		if(!c->pc->gathered) {
			g_free(c->pending_offer);
			json_decref(c->pending_tracks);
			c->pending_offer = g_strdup(sdp);
			c->pending_tracks = json_incref(tracks);
			return;
		}
		cvl_conv_handle_offer(c, sdp, tracks);
	} else if(strcmp(type, "ice-candidate") == 0) {
		if(c->pc == NULL)
			return;
		if(json_is_null(data) || data == NULL) {
			cvl_pc_remote_candidates_done(c->pc);
			return;
		}
		const char *cand = json_string_value(json_object_get(data, "candidate"));
		if(cand != NULL && cand[0])
			cvl_pc_add_remote_candidate(c->pc, cand);
		else
			cvl_pc_remote_candidates_done(c->pc);
	} else if(strcmp(type, "error") == 0) {
		const char *reason = json_string_value(json_object_get(data, "reason"));
		const char *text = json_string_value(json_object_get(data, "message"));
		cvl_error("Convene error %lld %s: %s", (long long)json_integer_value(json_object_get(data, "code")),
			reason ? reason : "?", text ? text : "");
		if(!c->joined)
			cvl_peer_fail(c->peer, "join refused");
	} else if(strcmp(type, "kicked") == 0 || strcmp(type, "room-closed") == 0) {
		if(cvl_running())
			cvl_peer_fail(c->peer, "%s by the server", type);
	}
}

static void cvl_conv_on_open(void *user) {
	cvl_conv *c = user;
	cvl_peer *p = c->peer;
	json_t *msg = json_pack("{sssss{sss{sbsb}}ss}", "type", "join", "userId", p->user_id,
		"data", "displayName", p->user_id, "publish", "audio", p->publishes, "video", p->publishes && cvl_cfg.video,
		"requestId", "join");
	cvl_conv_send(c, msg);
}

static void cvl_conv_on_text(void *user, const char *text, size_t len) {
	cvl_conv *c = user;
	if(c->stopped)
		return;
	cvl_log(3, "%s < %.*s\n", c->peer->user_id, (int)(len > 4000 ? 4000 : len), text);
	json_error_t err;
	json_t *msg = json_loadb(text, len, 0, &err);
	if(!json_is_object(msg)) {
		cvl_error("Convene sent something that is not a JSON object");
		json_decref(msg);
		return;
	}
	cvl_conv_on_message(c, msg);
	json_decref(msg);
}

static void cvl_conv_on_close(void *user, int code, const char *reason) {
	cvl_conv *c = user;
	if(!c->stopped && cvl_running())
		cvl_peer_fail(c->peer, "WebSocket closed by the server (%d %s)", code, reason);
}

/* The token of peer p, or NULL (g_free / free it). */
static char *cvl_conv_token(cvl_peer *p) {
	if(cvl_cfg.jwt_secret != NULL) {
		int64_t now = (int64_t)(g_get_real_time() / 1000000);
		json_t *payload = json_pack("{sssIsIsss{sb}}", "sub", p->user_id, "iat", (json_int_t)now,
			"exp", (json_int_t)(now + 6 * 3600), "room", cvl_cfg.room_ids[p->room], "grants", "create", 1);
		char *tok = cv_jwt_sign(payload, NULL, (const unsigned char *)cvl_cfg.jwt_secret, strlen(cvl_cfg.jwt_secret));
		json_decref(payload);
		char *copy = g_strdup(tok);
		free(tok);
		return copy;
	}
	if(cvl_cfg.n_tokens > 0)
		return g_strdup(cvl_cfg.tokens[p->index % cvl_cfg.n_tokens]);
	return NULL;
}

static void cvl_conv_prepare(void (*done)(bool ok)) {
	done(true);
}

static void cvl_conv_start(cvl_peer *p) {
	cvl_conv *c = g_new0(cvl_conv, 1);
	c->peer = p;
	p->sig = c;
	char *token = cvl_conv_token(p);
	char *url = token == NULL ? g_strdup(cvl_cfg.url)
		: g_strdup_printf("%s%stoken=%s", cvl_cfg.url, strchr(cvl_cfg.url, '?') ? "&" : "?", token);
	g_free(token);
	static const cvl_ws_cbs cbs = {
		.on_open = cvl_conv_on_open,
		.on_text = cvl_conv_on_text,
		.on_close = cvl_conv_on_close,
	};
	c->ws = cvl_ws_connect(url, NULL, &cbs, c);
	g_free(url);
	if(c->ws == NULL)
		cvl_peer_fail(p, "cannot connect to %s", cvl_cfg.url);
}

static void cvl_conv_stop(cvl_peer *p) {
	cvl_conv *c = p->sig;
	if(c == NULL || c->stopped)
		return;
	c->stopped = true;
	if(c->ws != NULL && c->joined)
		cvl_conv_send(c, json_pack("{ss}", "type", "leave"));
	if(c->pc != NULL)
		cvl_pc_close(c->pc);
	cvl_ws_close(c->ws);
}

static void cvl_conv_finish(void (*done)(void)) {
	done();
}

const cvl_sig_ops cvl_sig_convene = {
	.prepare = cvl_conv_prepare,
	.start = cvl_conv_start,
	.stop = cvl_conv_stop,
	.finish = cvl_conv_finish,
};
