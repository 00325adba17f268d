/*
 * sig_videoroom.c - a peer of Janus VideoRoom over the stock Janus API, so
 * that the same scenario runs against VideoRoom and Convene.
 *
 * Per peer: one Janus session (one WebSocket), a publisher handle and, as
 * soon as there is someone to receive, a subscriber handle (multistream:
 * one subscriber PeerConnection for all the feeds it receives).
 *
 *   publisher handle: join (ptype publisher; every peer joins this way, so
 *     it hears about publishers) -> joined {id, publishers}; a publishing
 *     peer then sends "publish" with its offer and applies the answer.
 *   publishers list / "publishers" events: each new feed is queued.
 *   subscriber handle: the first queued feeds go in "join" (ptype
 *     subscriber, streams [{feed}]); later ones in "subscribe". Janus
 *     answers with an offer (attached / updated, possibly after an
 *     "updating"), which is answered with "start". One such negotiation at
 *     a time; feeds that come meanwhile wait for the next one. An offer
 *     Janus makes on its own (a feed left) is answered the same way.
 *
 * The rooms (numeric ids from main.c: --room N, or a random base; N+k with
 * --rooms) are created one by one on a control session of their own before
 * the first peer starts (with --admin-key when the plugin has an
 * admin_key; one that exists already is used as is). At the end, or when
 * the run is cut short while they are being made, the ones created are
 * destroyed; the control session closes once Janus has answered all of
 * that. Each peer joins the room of its index (cvl_peer.room). The streams
 * list of each subscriber offer (feed_id per mid) is kept on the
 * transceivers, for the "misrouted" check of the receivers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "cvl.h"
#include "janus_api.h"
#include "media.h"
#include "pc.h"
#include "peer.h"

#define CVL_VIDEOROOM "janus.plugin.videoroom"

typedef struct cvl_vr {
	cvl_peer *peer;
	cvl_janus *j;
	uint64_t pub_handle, sub_handle;
	uint64_t feed_id;
	cvl_pc *pub_pc, *sub_pc;
	GHashTable *feeds;		/* feed id (string) -> peer index + 1, 0 unknown */
	GPtrArray *queued;		/* feed ids (string) waiting for a subscription */
	bool sub_attaching, sub_busy;
	char *pending_offer;		/* subscriber offer waiting for gathering */
	json_t *pending_streams;
	bool stopped;
} cvl_vr;

static cvl_janus *cvl_vr_ctl;		/* the control session: rooms */
static uint64_t cvl_vr_ctl_handle;
static int cvl_vr_creating;		/* the room being created */
static bool cvl_vr_create_pending;	/* its create request has no reply yet */
static bool *cvl_vr_created;		/* per room: we made it (so we destroy it) */
static void (*cvl_vr_prepared)(bool ok);
static bool cvl_vr_finishing;		/* finish() was called: create no more */
static int cvl_vr_destroying;		/* destroy requests without a reply */
static void (*cvl_vr_finished)(void);

static json_t *cvl_vr_room_json(int room) {
	return json_integer((json_int_t)g_ascii_strtoull(cvl_cfg.room_ids[room], NULL, 10));
}

/* --- the rooms ---------------------------------------------------------------- */

/* Once finishing and nothing is in flight on the control session: close it
 * and tell main.c. */
static void cvl_vr_finish_check(void) {
	if(!cvl_vr_finishing || cvl_vr_destroying > 0 || cvl_vr_create_pending || cvl_vr_finished == NULL)
		return;
	void (*done)(void) = cvl_vr_finished;
	cvl_vr_finished = NULL;
	cvl_janus_close(cvl_vr_ctl);
	done();
}

static void cvl_vr_destroyed(void *user, json_t *reply) {
	json_t *d = cvl_janus_plugin_data(reply);
	if(d == NULL || g_strcmp0(json_string_value(json_object_get(d, "videoroom")), "destroyed") != 0) {
		char *why = cvl_janus_error_text(reply);
		cvl_log(1, "VideoRoom room destroy failed: %s\n", why ? why : "unexpected reply");
		g_free(why);
	}
	cvl_vr_destroying--;
	cvl_vr_finish_check();
}

static void cvl_vr_destroy_room(int room) {
	json_t *body = json_pack("{ssso}", "request", "destroy", "room", cvl_vr_room_json(room));
	if(cvl_cfg.admin_key != NULL)
		json_object_set_new(body, "admin_key", json_string(cvl_cfg.admin_key));
	cvl_vr_destroying++;
	cvl_janus_message(cvl_vr_ctl, cvl_vr_ctl_handle, body, NULL, cvl_vr_destroyed, NULL);
}

static void cvl_vr_create_next(void);

static void cvl_vr_created_reply(void *user, json_t *reply) {
	cvl_vr_create_pending = false;
	json_t *d = cvl_janus_plugin_data(reply);
	const char *what = d ? json_string_value(json_object_get(d, "videoroom")) : NULL;
	long long code = d ? json_integer_value(json_object_get(d, "error_code")) : 0;
	const char *id = cvl_cfg.room_ids[cvl_vr_creating];
	bool created = g_strcmp0(what, "created") == 0;
	if(created) {
		cvl_vr_created[cvl_vr_creating] = true;
		cvl_log(2, "VideoRoom room %s created\n", id);
	} else if(code == 427) {	/* already exists: use it */
		cvl_log(1, "VideoRoom room %s exists, using it\n", id);
	} else if(!cvl_vr_finishing) {
		char *why = cvl_janus_error_text(reply);
		cvl_error("VideoRoom room create failed: %s", why ? why : "?");
		g_free(why);
		cvl_vr_prepared(false);
		return;
	}
	if(cvl_vr_finishing) {
		/* the run ended while rooms were being made */
		if(created)
			cvl_vr_destroy_room(cvl_vr_creating);
		cvl_vr_finish_check();
		return;
	}
	cvl_vr_creating++;
	cvl_vr_create_next();
}

/* Creates the rooms one after the other (numeric ids from main.c: --room
 * N, or a random base; N+k with --rooms), then reports to main.c. */
static void cvl_vr_create_next(void) {
	if(cvl_vr_creating >= cvl_cfg.rooms) {
		cvl_log(1, "VideoRoom: %d room(s) ready\n", cvl_cfg.rooms);
		cvl_vr_prepared(true);
		return;
	}
	json_t *body = json_pack("{sssosisssssisb}", "request", "create", "room", cvl_vr_room_json(cvl_vr_creating),
		"publishers", cvl_cfg.per_room + 1, "audiocodec", "opus", "videocodec", "vp8",
		"fir_freq", 0, "permanent", 0);
	if(cvl_cfg.admin_key != NULL)
		json_object_set_new(body, "admin_key", json_string(cvl_cfg.admin_key));
	cvl_vr_create_pending = true;
	cvl_janus_message(cvl_vr_ctl, cvl_vr_ctl_handle, body, NULL, cvl_vr_created_reply, NULL);
}

static void cvl_vr_ctl_attached(void *user, json_t *reply) {
	cvl_vr_ctl_handle = cvl_janus_reply_id(reply);
	if(cvl_vr_ctl_handle == 0) {
		cvl_error("cannot attach to %s (is VideoRoom loaded?)", CVL_VIDEOROOM);
		cvl_vr_prepared(false);
		return;
	}
	cvl_vr_create_next();
}

static void cvl_vr_ctl_ready(void *user, bool ok) {
	if(!ok) {
		cvl_vr_prepared(false);
		return;
	}
	cvl_janus_attach(cvl_vr_ctl, CVL_VIDEOROOM, cvl_vr_ctl_attached, NULL);
}

static void cvl_vr_prepare(void (*done)(bool ok)) {
	cvl_vr_prepared = done;
	cvl_vr_created = g_new0(bool, cvl_cfg.rooms);
	static const cvl_janus_cbs cbs = { .on_ready = cvl_vr_ctl_ready };
	cvl_vr_ctl = cvl_janus_new(cvl_cfg.url, &cbs, NULL);
	if(cvl_vr_ctl == NULL)
		done(false);
}

/* Destroys the rooms we created and waits for the replies (and for a
 * create still in flight): Janus drops a plugin request still queued when
 * its session goes away, so the control session stays open until then. */
static void cvl_vr_finish(void (*done)(void)) {
	cvl_vr_finishing = true;
	cvl_vr_finished = done;
	if(cvl_vr_ctl == NULL || cvl_vr_ctl_handle == 0) {
		/* no handle yet (or none to be had): nothing was created */
		cvl_vr_create_pending = false;
		cvl_vr_finish_check();
		return;
	}
	for(int i = 0; i < cvl_cfg.rooms; i++) {
		if(cvl_vr_created[i])
			cvl_vr_destroy_room(i);
	}
	cvl_vr_finish_check();
}

/* --- subscriptions ---------------------------------------------------------- */

static void cvl_vr_sub_flush(cvl_vr *v);

static void cvl_vr_fail_reply(cvl_vr *v, json_t *reply, const char *what) {
	char *why = cvl_janus_error_text(reply);
	cvl_peer_fail(v->peer, "%s: %s", what, why ? why : "unexpected reply");
	g_free(why);
}

/* feed_id per subscriber mid, from a streams list */
static void cvl_vr_apply_streams(cvl_vr *v, json_t *streams) {
	if(v->sub_pc == NULL || !json_is_array(streams))
		return;
	size_t i;
	json_t *s;
	json_array_foreach(streams, i, s) {
		const char *mid = json_string_value(json_object_get(s, "mid"));
		json_t *feed = json_object_get(s, "feed_id");
		cvl_trx *t = mid != NULL ? cvl_pc_trx_by_mid(v->sub_pc, mid) : NULL;
		if(t == NULL || !json_is_integer(feed))
			continue;
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(feed));
		int idx = GPOINTER_TO_INT(g_hash_table_lookup(v->feeds, key));
		t->expected_src = idx - 1;
	}
}

static void cvl_vr_started(void *user, json_t *reply) {
	cvl_vr *v = user;
	json_t *d = cvl_janus_plugin_data(reply);
	if(d == NULL || json_object_get(d, "error") != NULL) {
		cvl_vr_fail_reply(v, reply, "VideoRoom start");
		return;
	}
	v->sub_busy = false;
	cvl_vr_sub_flush(v);
}

static void cvl_vr_sub_answer(cvl_vr *v, const char *sdp, json_t *streams) {
	char *answer = cvl_pc_apply_offer(v->sub_pc, sdp);
	if(answer == NULL) {
		cvl_peer_fail(v->peer, "could not answer VideoRoom's subscriber offer");
		return;
	}
	cvl_vr_apply_streams(v, streams);
	json_t *jsep = json_pack("{sssssb}", "type", "answer", "sdp", answer, "trickle", 0);
	g_free(answer);
	cvl_janus_message(v->j, v->sub_handle, json_pack("{ss}", "request", "start"), jsep, cvl_vr_started, v);
}

static void cvl_vr_sub_gathered(cvl_pc *pc, void *data) {
	cvl_vr *v = data;
	if(v->pending_offer == NULL)
		return;
	char *sdp = v->pending_offer;
	json_t *streams = v->pending_streams;
	v->pending_offer = NULL;
	v->pending_streams = NULL;
	cvl_vr_sub_answer(v, sdp, streams);
	g_free(sdp);
	json_decref(streams);
}

/* An offer for the subscriber handle (reply or unsolicited event). */
static void cvl_vr_sub_offer(cvl_vr *v, json_t *msg) {
	json_t *jsep = json_object_get(msg, "jsep");
	const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
	json_t *streams = json_object_get(cvl_janus_plugin_data(msg), "streams");
	if(sdp == NULL || g_strcmp0(json_string_value(json_object_get(jsep, "type")), "offer") != 0)
		return;
	v->sub_busy = true;
	if(v->sub_pc == NULL) {
		v->sub_pc = cvl_pc_new(v->peer, "sub");
		if(v->sub_pc == NULL) {
			cvl_peer_fail(v->peer, "could not create the subscriber PeerConnection");
			return;
		}
	}
	if(!v->sub_pc->gathered) {
		g_free(v->pending_offer);
		json_decref(v->pending_streams);
		v->pending_offer = g_strdup(sdp);
		v->pending_streams = json_incref(streams);
		cvl_pc_when_gathered(v->sub_pc, cvl_vr_sub_gathered, v);
		return;
	}
	cvl_vr_sub_answer(v, sdp, streams);
}

/* The reply to join (subscriber) or subscribe. */
static void cvl_vr_sub_reply(void *user, json_t *reply) {
	cvl_vr *v = user;
	json_t *d = cvl_janus_plugin_data(reply);
	if(d == NULL || json_object_get(d, "error") != NULL) {
		cvl_vr_fail_reply(v, reply, "VideoRoom subscribe");
		v->sub_busy = false;
		return;
	}
	if(json_object_get(reply, "jsep") != NULL) {
		cvl_vr_sub_offer(v, reply);
		return;
	}
	const char *what = json_string_value(json_object_get(d, "videoroom"));
	if(g_strcmp0(what, "updating") == 0)
		return;		/* the offer comes later as an event */
	v->sub_busy = false;	/* "updated" without an offer: nothing changed */
	cvl_vr_sub_flush(v);
}

static json_t *cvl_vr_take_queue(cvl_vr *v) {
	json_t *streams = json_array();
	for(guint i = 0; i < v->queued->len; i++) {
		const char *id = g_ptr_array_index(v->queued, i);
		json_array_append_new(streams, json_pack("{sI}", "feed", (json_int_t)g_ascii_strtoull(id, NULL, 10)));
	}
	g_ptr_array_set_size(v->queued, 0);
	return streams;
}

static void cvl_vr_sub_attached(void *user, json_t *reply) {
	cvl_vr *v = user;
	v->sub_attaching = false;
	v->sub_handle = cvl_janus_reply_id(reply);
	if(v->sub_handle == 0) {
		cvl_vr_fail_reply(v, reply, "attach subscriber");
		return;
	}
	cvl_vr_sub_flush(v);
}

static void cvl_vr_sub_flush(cvl_vr *v) {
	if(v->stopped || v->queued->len == 0 || v->sub_busy || v->sub_attaching)
		return;
	if(v->sub_handle == 0) {
		v->sub_attaching = true;
		cvl_janus_attach(v->j, CVL_VIDEOROOM, cvl_vr_sub_attached, v);
		return;
	}
	v->sub_busy = true;
	json_t *body;
	if(v->sub_pc == NULL) {
		body = json_pack("{sssossso}", "request", "join", "room", cvl_vr_room_json(v->peer->room), "ptype", "subscriber",
			"streams", cvl_vr_take_queue(v));
	} else {
		body = json_pack("{ssso}", "request", "subscribe", "streams", cvl_vr_take_queue(v));
	}
	cvl_janus_message(v->j, v->sub_handle, body, NULL, cvl_vr_sub_reply, v);
}

/* A publishers list (joined or event): queue the feeds we do not know. */
static void cvl_vr_publishers(cvl_vr *v, json_t *list) {
	if(!json_is_array(list))
		return;
	size_t i;
	json_t *pub;
	json_array_foreach(list, i, pub) {
		json_t *id = json_object_get(pub, "id");
		if(!json_is_integer(id) || (uint64_t)json_integer_value(id) == v->feed_id)
			continue;
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
		if(g_hash_table_contains(v->feeds, key))
			continue;
		const char *display = json_string_value(json_object_get(pub, "display"));
		cvl_peer *from = display != NULL ? cvl_peer_by_user(display) : NULL;
		g_hash_table_insert(v->feeds, g_strdup(key), GINT_TO_POINTER(from != NULL ? from->index + 1 : 0));
		g_ptr_array_add(v->queued, g_strdup(key));
	}
	cvl_vr_sub_flush(v);
}

/* --- publishing ---------------------------------------------------------------- */

static void cvl_vr_published(void *user, json_t *reply) {
	cvl_vr *v = user;
	json_t *jsep = json_object_get(reply, "jsep");
	const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
	if(sdp == NULL) {
		cvl_vr_fail_reply(v, reply, "VideoRoom publish");
		return;
	}
	if(!cvl_pc_apply_answer(v->pub_pc, sdp))
		cvl_peer_fail(v->peer, "bad answer from VideoRoom");
}

static void cvl_vr_pub_gathered(cvl_pc *pc, void *data) {
	cvl_vr *v = data;
	char *offer = cvl_pc_create_offer(pc);
	json_t *jsep = json_pack("{sssssb}", "type", "offer", "sdp", offer, "trickle", 0);
	g_free(offer);
	json_t *body = json_pack("{ss}", "request", "publish");
	cvl_janus_message(v->j, v->pub_handle, body, jsep, cvl_vr_published, v);
}

static void cvl_vr_joined(void *user, json_t *reply) {
	cvl_vr *v = user;
	cvl_peer *p = v->peer;
	json_t *d = cvl_janus_plugin_data(reply);
	if(d == NULL || g_strcmp0(json_string_value(json_object_get(d, "videoroom")), "joined") != 0) {
		cvl_vr_fail_reply(v, reply, "VideoRoom join");
		return;
	}
	p->t_joined = cvl_now_ns();
	v->feed_id = (uint64_t)json_integer_value(json_object_get(d, "id"));
	if(p->publishes) {
		v->pub_pc = cvl_pc_new(p, "pub");
		if(v->pub_pc == NULL) {
			cvl_peer_fail(p, "could not create the publisher PeerConnection");
			return;
		}
		cvl_pc_add_track(v->pub_pc, CVL_KIND_AUDIO, p->senders[0], false);
		if(p->senders[1] != NULL)
			cvl_pc_add_track(v->pub_pc, CVL_KIND_VIDEO, p->senders[1], false);
		cvl_pc_when_gathered(v->pub_pc, cvl_vr_pub_gathered, v);
	}
	cvl_vr_publishers(v, json_object_get(d, "publishers"));
}

static void cvl_vr_pub_attached(void *user, json_t *reply) {
	cvl_vr *v = user;
	v->pub_handle = cvl_janus_reply_id(reply);
	if(v->pub_handle == 0) {
		cvl_vr_fail_reply(v, reply, "attach VideoRoom");
		return;
	}
	json_t *body = json_pack("{sssossss}", "request", "join", "room", cvl_vr_room_json(v->peer->room),
		"ptype", "publisher", "display", v->peer->user_id);
	cvl_janus_message(v->j, v->pub_handle, body, NULL, cvl_vr_joined, v);
}

/* --- session events ------------------------------------------------------------- */

static void cvl_vr_ready(void *user, bool ok) {
	cvl_vr *v = user;
	if(!ok) {
		cvl_peer_fail(v->peer, "no Janus session");
		return;
	}
	cvl_janus_attach(v->j, CVL_VIDEOROOM, cvl_vr_pub_attached, v);
}

static void cvl_vr_event(void *user, uint64_t handle, json_t *msg) {
	cvl_vr *v = user;
	if(v->stopped)
		return;
	const char *kind = json_string_value(json_object_get(msg, "janus"));
	if(g_strcmp0(kind, "hangup") == 0) {
		if(cvl_running())
			cvl_peer_fail(v->peer, "Janus hung up the %s PeerConnection (%s)", handle == v->pub_handle ? "publisher" : "subscriber",
				json_string_value(json_object_get(msg, "reason")) ? json_string_value(json_object_get(msg, "reason")) : "?");
		return;
	}
	if(g_strcmp0(kind, "event") != 0)
		return;
	json_t *d = cvl_janus_plugin_data(msg);
	if(d == NULL)
		return;
	if(json_object_get(d, "error") != NULL) {
		char *why = cvl_janus_error_text(msg);
		cvl_error("VideoRoom event: %s", why ? why : "?");
		g_free(why);
		return;
	}
	if(handle == v->pub_handle) {
		cvl_vr_publishers(v, json_object_get(d, "publishers"));
	} else if(handle == v->sub_handle && json_object_get(msg, "jsep") != NULL) {
		cvl_vr_sub_offer(v, msg);
	}
}

static void cvl_vr_closed(void *user) {
	cvl_vr *v = user;
	if(!v->stopped && cvl_running())
		cvl_peer_fail(v->peer, "Janus WebSocket closed");
}

static void cvl_vr_start(cvl_peer *p) {
	cvl_vr *v = g_new0(cvl_vr, 1);
	v->peer = p;
	v->feeds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	v->queued = g_ptr_array_new_with_free_func(g_free);
	p->sig = v;
	static const cvl_janus_cbs cbs = {
		.on_ready = cvl_vr_ready,
		.on_event = cvl_vr_event,
		.on_close = cvl_vr_closed,
	};
	v->j = cvl_janus_new(cvl_cfg.url, &cbs, v);
	if(v->j == NULL)
		cvl_peer_fail(p, "cannot connect to %s", cvl_cfg.url);
}

static void cvl_vr_stop(cvl_peer *p) {
	cvl_vr *v = p->sig;
	if(v == NULL || v->stopped)
		return;
	v->stopped = true;
	if(v->pub_pc != NULL)
		cvl_pc_close(v->pub_pc);
	if(v->sub_pc != NULL)
		cvl_pc_close(v->sub_pc);
	cvl_janus_close(v->j);
}

const cvl_sig_ops cvl_sig_videoroom = {
	.prepare = cvl_vr_prepare,
	.start = cvl_vr_start,
	.stop = cvl_vr_stop,
	.finish = cvl_vr_finish,
};
