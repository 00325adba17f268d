/*
 * convene_negotiate.c - SDP negotiation of an SFU participant's one
 * PeerConnection, with the server as the impolite peer.
 *
 * States (docs/negotiation.md):
 *   STABLE           no offer outstanding
 *   SERVER_OFFERED   our offer is out; we wait for the client's answer
 *
 *   client offer, STABLE          -> answer it; then offer if the tracks the
 *                                    client should receive changed
 *   client offer, SERVER_OFFERED  -> glare: ignored (no reply). The polite
 *                                    client rolls back, answers ours, and
 *                                    offers again.
 *   client answer, SERVER_OFFERED -> forwards of accepted m-lines start;
 *                                    STABLE; a queued refresh offers next
 *   client answer, STABLE         -> 409
 *   refresh (room tracks changed) -> STABLE: offer now if anything changed;
 *                                    SERVER_OFFERED: remember, offer after
 *
 * So at most one server offer is ever in flight per participant, and every
 * change in the room reaches every participant in at most one more round.
 *
 * First contact: the client offers first. The Janus core cannot settle a
 * glare before the PeerConnection exists, so the server offers first only
 * to a receive-only participant that has not offered CONVENE_FIRST_OFFER_WAIT_US
 * after joining.
 *
 * Handler thread only.
 */
#include <string.h>

#include "convene.h"

/* How long a receive-only participant has to make the first offer. */
#define CONVENE_FIRST_OFFER_WAIT_US (1000 * 1000)

void convene_media_init(convene_session *session) {
	cv_slots_init(&session->slots);
	cv_slots_init(&session->offered);
	session->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)convene_stream_unref);
	session->paused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)convene_stream_unref);
	session->forwards = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)convene_forward_unref);
	session->rewriters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	session->refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	session->layer_prefs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	session->pt_map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	session->extmaps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	convene_snap_cell_init(&session->publish_table);
	convene_snap_cell_init(&session->slot_sources);
	session->sdp_sessid = g_random_int() | ((guint64)g_random_int() << 31);
	session->sdp_version = 0;
}

void convene_media_free(convene_session *session) {
	g_hash_table_destroy(session->forwards);
	g_hash_table_destroy(session->rewriters);
	g_hash_table_destroy(session->streams);
	g_hash_table_destroy(session->paused);
	g_hash_table_destroy(session->refused);
	g_hash_table_destroy(session->layer_prefs);
	g_hash_table_destroy(session->pt_map);
	g_hash_table_destroy(session->extmaps);
	convene_snap_reader_clear(&session->rtp_reader);
	convene_snap_cell_clear(&session->publish_table);
	convene_snap_cell_clear(&session->slot_sources);
	janus_mutex_destroy(&session->publish_table.mutex);
	janus_mutex_destroy(&session->slot_sources.mutex);
	cv_slots_clear(&session->slots);
	cv_slots_clear(&session->offered);
}

/* Stops a stream: no more packets forwarded, its subscribers let go. */
static void convene_stream_stop(convene_stream *stream) {
	g_atomic_int_set(&stream->active, 0);
	convene_snap_cell_set(&stream->subscribers, NULL);
}

/* Drops the forwards whose m-line in `slots` no longer carries their
 * source (all of them when slots is NULL). */
static void convene_forwards_prune(convene_session *session, const cv_slot_table *slots) {
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, session->forwards);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		convene_forward *forward = value;
		int index = slots ? cv_slots_find_mid(slots, key) : -1;
		if(index >= 0 && slots->slots[index].role == CV_SLOT_FORWARD &&
				strcmp(slots->slots[index].source, forward->source->key) == 0 &&
				g_atomic_int_get(&forward->source->active))
			continue;
		convene_stream_remove_forward(forward->source, forward);
		/* The next source on this m-line continues the numbering (the
		 * copy may trail the RTP thread by a packet: it only seeds) */
		g_hash_table_insert(session->rewriters, g_strdup(key), g_memdup2(&forward->rewriter, sizeof(cv_rtp_rewriter)));
		g_hash_table_iter_remove(&iter);
	}
}

gboolean convene_nego_reset(convene_session *session) {
	convene_forwards_prune(session, NULL);
	gboolean published = g_hash_table_size(session->streams) > 0;
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, session->streams);
	while(g_hash_table_iter_next(&iter, NULL, &value))
		convene_stream_stop(value);
	g_hash_table_remove_all(session->streams);
	g_hash_table_remove_all(session->paused);
	g_hash_table_remove_all(session->rewriters);
	g_hash_table_remove_all(session->refused);
	g_hash_table_remove_all(session->pt_map);
	g_hash_table_remove_all(session->extmaps);
	cv_slots_clear(&session->slots);
	cv_slots_clear(&session->offered);
	session->nego = CONVENE_NEGO_STABLE;
	session->renegotiate = FALSE;
	session->has_pc = FALSE;
	g_atomic_int_set(&session->data_accepted, 0);
	convene_media_publish_tables(session);
	return published;
}

/* The streams of the others in the room this session should receive:
 * source key -> stream (no references: valid during this handler call). */
static GHashTable *convene_nego_sources(convene_session *session) {
	GHashTable *sources = g_hash_table_new(g_str_hash, g_str_equal);
	if(session->room == NULL || !session->grants.subscribe)
		return sources;
	GPtrArray *others = convene_room_others(session->room, session);
	for(guint i = 0; i < others->len; i++) {
		convene_session *other = g_ptr_array_index(others, i);
		GHashTableIter iter;
		gpointer value;
		g_hash_table_iter_init(&iter, other->streams);
		while(g_hash_table_iter_next(&iter, NULL, &value)) {
			convene_stream *stream = value;
			if(g_atomic_int_get(&stream->active) && !g_hash_table_contains(session->refused, stream->key))
				g_hash_table_insert(sources, stream->key, stream);
		}
	}
	convene_sessions_release(others);
	return sources;
}

/* Which mid carries whom, for clients that do not parse SDP:
 * [{mid, userId, kind, trackId}] for every forwarded track. */
static json_t *convene_nego_tracks(const cv_slot_table *slots, GHashTable *sources) {
	json_t *tracks = json_array();
	for(size_t i = 0; i < slots->count; i++) {
		const cv_slot *slot = &slots->slots[i];
		convene_stream *stream = slot->role == CV_SLOT_FORWARD ? g_hash_table_lookup(sources, slot->source) : NULL;
		if(stream == NULL)
			continue;
		json_array_append_new(tracks, json_pack("{ss ss ss ss}",
			"mid", slot->mid, "userId", stream->owner->user_id,
			"kind", stream->kind == CV_KIND_AUDIO ? "audio" : "video", "trackId", stream->track_id));
	}
	return tracks;
}

void convene_nego_refresh(convene_session *session) {
	convene_room *room = session->room;
	if(room == NULL || g_atomic_int_get(&session->destroyed) || convene_room_topology(room) != CV_TOPOLOGY_SFU)
		return;
	if(session->nego == CONVENE_NEGO_SERVER_OFFERED) {
		session->renegotiate = TRUE;
		return;
	}
	/* While a PeerConnection with a data channel is connecting, the offer
	 * waits until it is up (setup_media): Janus 1.1.2 creates the SCTP
	 * association a second time, and leaks the first with the whole ICE
	 * handle, when a client answer reaches the core during the DTLS
	 * handshake (janus.c "Creating datachannels..." does not check that the
	 * handshake, which creates one too, is over) */
	if(session->has_pc && g_atomic_int_get(&session->data_accepted) && !g_atomic_int_get(&session->media_up)) {
		session->renegotiate = TRUE;
		return;
	}
	/* Until the client's first offer, only a receive-only client that did
	 * not offer in time gets ours (convene_nego_tick) */
	if(!session->has_pc && !(session->receive_only && g_get_monotonic_time() >= session->first_offer_deadline))
		return;
	GHashTable *sources = convene_nego_sources(session);
	guint n = g_hash_table_size(sources);
	cv_wanted *wanted = g_new0(cv_wanted, n ? n : 1);
	GHashTableIter iter;
	gpointer value;
	guint w = 0;
	g_hash_table_iter_init(&iter, sources);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		convene_stream *stream = value;
		wanted[w].key = stream->key;
		wanted[w].kind = stream->kind;
		w++;
	}
	cv_slot_table plan;
	cv_slots_copy(&plan, &session->slots);
	int changes = 0;
	if(!session->has_pc && session->grants.data && cv_slots_find_mid(&plan, "data") < 0) {
		cv_slots_append(&plan, CV_KIND_DATA, CV_SLOT_DATA, "data");
		changes++;
	}
	int planned = cv_slots_plan(&plan, wanted, n);
	g_free(wanted);
	if(planned < 0 || (planned + changes == 0 && session->has_pc) || plan.count == 0) {
		cv_slots_clear(&plan);
		g_hash_table_destroy(sources);
		return;
	}
	/* Slots that change source stop being fed now, not after the answer */
	convene_forwards_prune(session, &plan);
	convene_media_publish_tables(session);
	json_t *restore = NULL;
	char *sdp = convene_sdp_offer(session, &plan, sources, &restore);
	if(sdp == NULL) {
		JANUS_LOG(LOG_ERR, "[convene] %s: could not write an offer\n", session->user_id);
		cv_slots_clear(&plan);
		g_hash_table_destroy(sources);
		return;
	}
	cv_slots_clear(&session->offered);
	session->offered = plan;
	session->nego = CONVENE_NEGO_SERVER_OFFERED;
	session->has_pc = TRUE;
	json_t *frame = convene_frame("offer", room->id, CV_SERVER_ID, NULL);
	json_object_set_new(frame, "tracks", convene_nego_tracks(&plan, sources));
	if(restore != NULL)
		json_object_set_new(frame, CV_SDP_RESTORE_KEY, restore);
	json_t *jsep = json_pack("{ssss}", "type", "offer", "sdp", sdp);
	JANUS_LOG(LOG_VERB, "[convene] offering %s %zu m-lines\n", session->user_id, plan.count);
	convene_send(session, NULL, frame, jsep);
	json_decref(frame);
	json_decref(jsep);
	g_free(sdp);
	g_hash_table_destroy(sources);
}

/* Receive-only sessions waiting for their first offer (a session set),
 * each with the time after which the server offers instead. */
static GHashTable *first_offer_waiting = NULL;

void convene_nego_expect_offer(convene_session *session) {
	if(first_offer_waiting == NULL)
		first_offer_waiting = convene_session_set_new();
	session->first_offer_deadline = g_get_monotonic_time() + CONVENE_FIRST_OFFER_WAIT_US;
	convene_session_set_add(first_offer_waiting, session);
}

void convene_nego_tick(void) {
	if(first_offer_waiting == NULL || g_hash_table_size(first_offer_waiting) == 0)
		return;
	gint64 now = g_get_monotonic_time();
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, first_offer_waiting);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		convene_session *session = key;
		gboolean gone = session->room == NULL || session->has_pc || g_atomic_int_get(&session->destroyed);
		if(!gone && now < session->first_offer_deadline)
			continue;
		/* Still no offer of its own: the server offers first (a refresh
		 * with nothing to receive yet offers only the data channel) */
		if(!gone)
			convene_nego_refresh(session);
		g_hash_table_iter_remove(&iter);
	}
}

void convene_nego_deinit(void) {
	if(first_offer_waiting != NULL)
		g_hash_table_destroy(first_offer_waiting);
	first_offer_waiting = NULL;
}

void convene_nego_refresh_room(convene_room *room, convene_session *except) {
	GPtrArray *others = convene_room_others(room, except);
	for(guint i = 0; i < others->len; i++)
		convene_nego_refresh(g_ptr_array_index(others, i));
	convene_sessions_release(others);
}

/* How many members publish something. */
static unsigned int convene_room_publishers(convene_room *room) {
	unsigned int count = 0;
	GPtrArray *members = convene_room_others(room, NULL);
	for(guint i = 0; i < members->len; i++) {
		convene_session *member = g_ptr_array_index(members, i);
		if(g_hash_table_size(member->streams) > 0)
			count++;
	}
	convene_sessions_release(members);
	return count;
}

/* True when both tables hold the same stream objects. */
static gboolean convene_streams_same(GHashTable *a, GHashTable *b) {
	if(g_hash_table_size(a) != g_hash_table_size(b))
		return FALSE;
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, a);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		if(g_hash_table_lookup(b, key) != value)
			return FALSE;
	}
	return TRUE;
}

cv_error convene_nego_client_offer(convene_session *session, const char *transaction, json_t *jsep, json_t *request_id) {
	cv_error err = { CV_OK, NULL };
	convene_room *room = session->room;
	if(session->nego == CONVENE_NEGO_SERVER_OFFERED) {
		/* Glare: we are the impolite peer, our offer wins */
		JANUS_LOG(LOG_VERB, "[convene] %s: offer crossed ours, ignoring it\n", session->user_id);
		return err;
	}
	const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
	if(sdp == NULL) {
		err.code = CV_ERR_BAD_REQUEST;
		err.message = "an offer needs an SDP";
		return err;
	}
	cv_slot_table next;
	GHashTable *published = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)convene_stream_unref);
	char *answer = convene_sdp_answer(session, sdp, json_object_get(jsep, "simulcast"), &next, published, &err);
	if(answer == NULL) {
		g_hash_table_destroy(published);
		return err;
	}
	if(g_hash_table_size(published) > 0 && g_hash_table_size(session->streams) == 0 &&
			room->max_publishers > 0 && convene_room_publishers(room) >= room->max_publishers) {
		g_hash_table_destroy(published);
		cv_slots_clear(&next);
		g_free(answer);
		err.code = CV_ERR_ROOM_FULL;
		err.message = "the room has its maximum number of publishers";
		return err;
	}
	/* Commit: the answer's streams and slots are now the session's */
	gboolean changed = !convene_streams_same(session->streams, published);
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, session->streams);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		if(g_hash_table_lookup(published, key) == value)
			continue;
		convene_stream_stop(value);
		/* A paused track keeps its codec for our offers (recvonly there) */
		int index = cv_slots_find_mid(&next, key);
		if(index >= 0 && next.slots[index].role == CV_SLOT_PAUSED) {
			janus_refcount_increase(&((convene_stream *)value)->ref);
			g_hash_table_insert(session->paused, g_strdup(key), value);
		}
	}
	g_hash_table_destroy(session->streams);
	session->streams = published;
	/* Paused m-lines that publish again, or are gone, forget their record */
	g_hash_table_iter_init(&iter, session->paused);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		int index = cv_slots_find_mid(&next, key);
		if(index < 0 || next.slots[index].role != CV_SLOT_PAUSED)
			g_hash_table_iter_remove(&iter);
	}
	cv_slots_clear(&session->slots);
	session->slots = next;
	convene_forwards_prune(session, &session->slots);
	gboolean data = FALSE;
	for(size_t i = 0; i < session->slots.count; i++)
		data = data || session->slots.slots[i].role == CV_SLOT_DATA;
	g_atomic_int_set(&session->data_accepted, data);
	session->has_pc = TRUE;
	convene_media_publish_tables(session);

	json_t *frame = convene_frame("answer", room->id, CV_SERVER_ID, request_id);
	json_t *answer_jsep = json_pack("{ssss}", "type", "answer", "sdp", answer);
	convene_send(session, transaction, frame, answer_jsep);
	json_decref(frame);
	json_decref(answer_jsep);
	g_free(answer);
	if(changed)
		convene_nego_refresh_room(room, session);
	convene_nego_refresh(session);
	return err;
}

cv_error convene_nego_client_answer(convene_session *session, json_t *jsep) {
	cv_error err = { CV_OK, NULL };
	if(session->nego != CONVENE_NEGO_SERVER_OFFERED) {
		err.code = CV_ERR_CONFLICT;
		err.message = "there is no server offer to answer";
		return err;
	}
	const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
	size_t n = session->offered.count;
	gboolean *accepted = g_new0(gboolean, n ? n : 1), *sends = g_new0(gboolean, n ? n : 1);
	int *pts = g_new0(int, n ? n : 1);
	if(sdp == NULL || !convene_sdp_read_answer(session, sdp, &session->offered, accepted, sends, pts, &err)) {
		if(sdp == NULL) {
			err.code = CV_ERR_BAD_REQUEST;
			err.message = "an answer needs an SDP";
		}
		g_free(accepted);
		g_free(sends);
		g_free(pts);
		return err;
	}
	GHashTable *sources = convene_nego_sources(session);
	gboolean changed = FALSE;	/* what this session publishes */
	for(size_t i = 0; i < n; i++) {
		cv_slot *slot = &session->offered.slots[i];
		if(slot->role == CV_SLOT_DATA && !accepted[i])
			slot->role = CV_SLOT_REJECTED;
		if(slot->role == CV_SLOT_PUBLISH && !sends[i]) {
			/* The client paused its track in its answer (a change it had
			 * offered before our offer won the glare) */
			convene_stream *stream = g_hash_table_lookup(session->streams, slot->mid);
			if(stream != NULL) {
				convene_stream_stop(stream);
				janus_refcount_increase(&stream->ref);
				g_hash_table_insert(session->paused, g_strdup(slot->mid), stream);
				g_hash_table_remove(session->streams, slot->mid);
				changed = TRUE;
			}
			slot->role = accepted[i] ? CV_SLOT_PAUSED : CV_SLOT_REJECTED;
		} else if(slot->role == CV_SLOT_PAUSED && sends[i]) {
			/* ... or resumed it there: we had offered to receive */
			convene_stream *record = g_hash_table_lookup(session->paused, slot->mid);
			if(record != NULL && session->grants.publish) {
				convene_stream *stream = convene_stream_clone(record);
				if(pts[i] >= 0)
					stream->pt = pts[i];
				g_hash_table_insert(session->streams, g_strdup(slot->mid), stream);
				g_hash_table_remove(session->paused, slot->mid);
				slot->role = CV_SLOT_PUBLISH;
				changed = TRUE;
			}
		} else if(slot->role == CV_SLOT_PAUSED && !accepted[i]) {
			g_hash_table_remove(session->paused, slot->mid);
			slot->role = CV_SLOT_REJECTED;
		}
		if(slot->role != CV_SLOT_FORWARD)
			continue;
		convene_stream *stream = g_hash_table_lookup(sources, slot->source);
		convene_forward *forward = g_hash_table_lookup(session->forwards, slot->mid);
		if(!accepted[i]) {
			/* Refused (e.g. no common codec): never offered again */
			g_hash_table_add(session->refused, g_strdup(slot->source));
			slot->role = CV_SLOT_REJECTED;
			slot->source[0] = '\0';
			continue;
		}
		if(stream == NULL) {
			/* Gone since we offered: the next round frees the slot */
			session->renegotiate = TRUE;
			continue;
		}
		if(forward != NULL && forward->source == stream) {
			g_atomic_int_set(&forward->out_pt, pts[i]);
			continue;
		}
		forward = convene_forward_new(session, (int)i, pts[i], stream);
		cv_rtp_rewriter *previous = g_hash_table_lookup(session->rewriters, slot->mid);
		if(previous != NULL && previous->clock_rate == forward->rewriter.clock_rate) {
			forward->rewriter = *previous;
			cv_rtp_rewriter_switch(&forward->rewriter);
		}
		g_hash_table_insert(session->forwards, g_strdup(slot->mid), forward);
		convene_stream_add_forward(stream, forward);
		convene_stream_request_keyframe(stream);
	}
	g_hash_table_destroy(sources);
	g_free(accepted);
	g_free(sends);
	g_free(pts);
	cv_slots_clear(&session->slots);
	session->slots = session->offered;
	cv_slots_init(&session->offered);
	convene_forwards_prune(session, &session->slots);
	gboolean data = FALSE;
	for(size_t i = 0; i < session->slots.count; i++)
		data = data || session->slots.slots[i].role == CV_SLOT_DATA;
	g_atomic_int_set(&session->data_accepted, data);
	session->nego = CONVENE_NEGO_STABLE;
	convene_media_publish_tables(session);
	if(changed && session->room != NULL)
		convene_nego_refresh_room(session->room, session);
	if(session->renegotiate) {
		session->renegotiate = FALSE;
		convene_nego_refresh(session);
	}
	return err;
}
