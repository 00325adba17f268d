/*
 * convene_forward.c - publisher streams, their subscribers, and the media
 * callbacks: RTP forwarding, keyframe requests, data channel relay.
 *
 * Hot path (incoming_rtp, on the publisher's Janus loop thread):
 *   publish table snapshot -> the stream of this m-line
 *   -> the stream's subscriber snapshot -> for each forward: rewrite
 *      seq/ts/pt in place, relay_rtp to the subscriber's handle
 *   -> restore the header.
 * Both snapshots are read through single-thread readers: one atomic load per
 * packet when nothing changed, never a global lock (convene_snap.h). The
 * core copies each relayed packet, so rewriting the publisher's buffer in
 * place, per subscriber, is safe.
 *
 * Keyframes: a video forward holds packets until a keyframe arrives and
 * asks the publisher for one (PLI, paced per stream); a subscriber's own
 * PLI/FIR is routed to the publisher of that m-line through the
 * subscriber's slot-source snapshot.
 *
 * Data channels: a participant's text messages go to every other member's
 * data channel (or one target), wrapped as {userId, data, ...} so the
 * sender is known (docs/protocol.md, "Data channels").
 */
#include <string.h>

#include "convene.h"
#include "cv_rtcp.h"
#include "cv_time.h"

/* How long the forwarded SSRC of a stream must be quiet before another
 * SSRC on the same m-line takes over. */
#define CONVENE_SSRC_SWITCH_US (1000 * 1000)

/* --- streams and forwards --------------------------------------------------- */

static void convene_stream_free(const janus_refcount *ref) {
	convene_stream *stream = janus_refcount_containerof(ref, convene_stream, ref);
	convene_snap_cell_clear(&stream->subscribers);
	convene_snap_reader_clear(&stream->rtp_reader);
	janus_mutex_destroy(&stream->subscribers.mutex);
	janus_mutex_destroy(&stream->pli_mutex);
	g_free(stream->fmtp);
	g_free(stream);
}

convene_stream *convene_stream_new(convene_session *owner, int mindex, const char *mid, cv_media_kind kind) {
	convene_stream *stream = g_malloc0(sizeof(convene_stream));
	stream->owner = owner;
	stream->mindex = mindex;
	g_strlcpy(stream->mid, mid, sizeof(stream->mid));
	/* Unique per stream object: a track that stops and starts again is a
	 * new source for the subscribers' slot plans */
	static volatile gint serial = 0;
	g_snprintf(stream->key, sizeof(stream->key), "%s/%s/%d", owner->user_id ? owner->user_id : "?", mid,
		g_atomic_int_add(&serial, 1));
	stream->kind = kind;
	convene_snap_cell_init(&stream->subscribers);
	janus_mutex_init(&stream->pli_mutex);
	cv_pli_pacer_init(&stream->pli, convene_cfg.pli_interval_us);
	g_atomic_int_set(&stream->active, 1);
	janus_refcount_init(&stream->ref, convene_stream_free);
	return stream;
}

convene_stream *convene_stream_clone(convene_stream *from) {
	convene_stream *stream = convene_stream_new(from->owner, from->mindex, from->mid, from->kind);
	g_strlcpy(stream->codec, from->codec, sizeof(stream->codec));
	stream->pt = from->pt;
	g_strlcpy(stream->rtpmap, from->rtpmap, sizeof(stream->rtpmap));
	stream->fmtp = g_strdup(from->fmtp);
	stream->clock_rate = from->clock_rate;
	stream->vcodec = from->vcodec;
	g_strlcpy(stream->track_id, from->track_id, sizeof(stream->track_id));
	stream->simulcast = from->simulcast;
	stream->sim = from->sim;
	memset(stream->sim.last_seen_us, 0, sizeof(stream->sim.last_seen_us));
	return stream;
}

void convene_stream_unref(convene_stream *stream) {
	if(stream != NULL)
		janus_refcount_decrease(&stream->ref);
}

/* Whether we can tell this stream's keyframes (VP8, VP9, H.264): only then
 * does a new forward hold packets until one. */
static gboolean convene_stream_detects_keyframes(convene_stream *stream) {
	return stream->kind == CV_KIND_VIDEO && (stream->vcodec == CV_CODEC_VP8 ||
		stream->vcodec == CV_CODEC_VP9 || stream->vcodec == CV_CODEC_H264);
}

static void convene_forward_free(const janus_refcount *ref) {
	convene_forward *forward = janus_refcount_containerof(ref, convene_forward, ref);
	janus_refcount_decrease(&forward->subscriber->ref);
	convene_stream_unref(forward->source);
	g_free(forward);
}

convene_forward *convene_forward_new(convene_session *subscriber, int mindex, int out_pt, convene_stream *source) {
	convene_forward *forward = g_malloc0(sizeof(convene_forward));
	janus_refcount_increase(&subscriber->ref);
	forward->subscriber = subscriber;
	janus_refcount_increase(&source->ref);
	forward->source = source;
	forward->mindex = mindex;
	g_atomic_int_set(&forward->out_pt, out_pt);
	cv_rtp_rewriter_init(&forward->rewriter, source->clock_rate);
	forward->wait_keyframe = convene_stream_detects_keyframes(source);
	cv_simulcast_receiver_init(&forward->sim_rx);
	gpointer pinned = NULL;
	g_atomic_int_set(&forward->layer_pref, (source->owner->user_id && g_hash_table_lookup_extended(subscriber->layer_prefs,
		source->owner->user_id, NULL, &pinned)) ? GPOINTER_TO_INT(pinned) : CV_LAYER_AUTO);
	janus_refcount_init(&forward->ref, convene_forward_free);
	return forward;
}

void convene_forward_unref(convene_forward *forward) {
	if(forward != NULL)
		janus_refcount_decrease(&forward->ref);
}

static void convene_forward_release(gpointer item) {
	convene_forward_unref(item);
}

static void convene_stream_release(gpointer item) {
	convene_stream_unref(item);
}

/* Replaces a stream's subscriber snapshot with the current one plus `add`
 * and minus `remove` (either may be NULL). Handler thread. */
static void convene_stream_update_forwards(convene_stream *stream, convene_forward *add, convene_forward *remove) {
	convene_snap *old = convene_snap_cell_get(&stream->subscribers);
	guint old_len = old ? old->len : 0;
	convene_snap *snap = convene_snap_new(old_len + (add ? 1 : 0), convene_forward_release);
	guint n = 0;
	for(guint i = 0; i < old_len; i++) {
		convene_forward *f = old->items[i];
		if(f == NULL || f == remove || f == add)
			continue;
		janus_refcount_increase(&f->ref);
		snap->items[n++] = f;
	}
	if(add != NULL && g_atomic_int_get(&stream->active)) {
		janus_refcount_increase(&add->ref);
		snap->items[n++] = add;
	}
	snap->len = n;
	convene_snap_unref(old);
	convene_snap_cell_set(&stream->subscribers, snap);
}

void convene_stream_add_forward(convene_stream *stream, convene_forward *forward) {
	convene_stream_update_forwards(stream, forward, NULL);
}

void convene_stream_remove_forward(convene_stream *stream, convene_forward *forward) {
	convene_stream_update_forwards(stream, NULL, forward);
}

void convene_media_set_layer(convene_session *session, const char *publisher_id, int layer) {
	g_hash_table_insert(session->layer_prefs, g_strdup(publisher_id), GINT_TO_POINTER(layer));
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, session->forwards);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		convene_forward *forward = value;
		if(forward->source->owner->user_id != NULL && strcmp(forward->source->owner->user_id, publisher_id) == 0)
			g_atomic_int_set(&forward->layer_pref, layer);
	}
}

void convene_stream_request_keyframe(convene_stream *stream) {
	if(stream == NULL || stream->kind != CV_KIND_VIDEO || !g_atomic_int_get(&stream->active))
		return;
	janus_mutex_lock(&stream->pli_mutex);
	gboolean allowed = cv_pli_pacer_allow(&stream->pli, cv_mono_us());
	janus_mutex_unlock(&stream->pli_mutex);
	convene_session *owner = stream->owner;
	if(allowed && owner != NULL && !g_atomic_int_get(&owner->destroyed) && g_atomic_int_get(&owner->media_up)) {
		JANUS_LOG(LOG_HUGE, "[convene] PLI to %s\n", stream->key);
		convene_gateway->send_pli_stream(owner->handle, stream->mindex);
	}
}

void convene_media_publish_tables(convene_session *session) {
	/* mindex -> own published stream */
	int max_index = -1;
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, session->streams);
	while(g_hash_table_iter_next(&iter, NULL, &value))
		max_index = MAX(max_index, ((convene_stream *)value)->mindex);
	convene_snap *table = NULL;
	if(max_index >= 0) {
		table = convene_snap_new((guint)max_index + 1, convene_stream_release);
		g_hash_table_iter_init(&iter, session->streams);
		while(g_hash_table_iter_next(&iter, NULL, &value)) {
			convene_stream *stream = value;
			janus_refcount_increase(&stream->ref);
			table->items[stream->mindex] = stream;
		}
	}
	convene_snap_cell_set(&session->publish_table, table);
	/* mindex -> the source fed to that slot */
	convene_snap *sources = NULL;
	if(session->slots.count > 0 && g_hash_table_size(session->forwards) > 0) {
		sources = convene_snap_new((guint)session->slots.count, convene_stream_release);
		g_hash_table_iter_init(&iter, session->forwards);
		while(g_hash_table_iter_next(&iter, NULL, &value)) {
			convene_forward *forward = value;
			if(forward->mindex >= 0 && (guint)forward->mindex < sources->len && sources->items[forward->mindex] == NULL) {
				janus_refcount_increase(&forward->source->ref);
				sources->items[forward->mindex] = forward->source;
			}
		}
	}
	convene_snap_cell_set(&session->slot_sources, sources);
}

/* --- RTP -------------------------------------------------------------------- */

/* Relays one packet to one forward: payload type, sequence number and
 * timestamp rewritten for that subscriber, restored by the caller; a VP8
 * descriptor rewritten and restored here. */
static void convene_media_relay(convene_forward *forward, janus_plugin_rtp *packet, const cv_rtp_header *rtp, int64_t now) {
	uint16_t seq;
	uint32_t ts;
	cv_rtp_rewrite(&forward->rewriter, rtp->ssrc, rtp->seq, rtp->ts, now, &seq, &ts);
	cv_rtp_set((uint8_t *)packet->buffer, seq, ts, (uint8_t)g_atomic_int_get(&forward->out_pt));
	/* VP8: this receiver's PictureID/TL0PICIDX, put back after the send
	 * (the core copies the packet) */
	uint8_t *payload = (uint8_t *)packet->buffer + rtp->header_len;
	cv_vp8_descriptor original;
	gboolean vp8 = forward->source->kind == CV_KIND_VIDEO && forward->source->vcodec == CV_CODEC_VP8 &&
		cv_vp8_rewrite(&forward->rewriter.vp8, payload, rtp->payload_len, &original);
	janus_plugin_rtp out = {
		.mindex = forward->mindex,
		.video = packet->video,
		.buffer = packet->buffer,
		.length = packet->length,
		.extensions = packet->extensions,
	};
	convene_gateway->relay_rtp(forward->subscriber->handle, &out);
	if(vp8)
		cv_vp8_descriptor_write(payload, &original);
}

/* The hot path of a simulcast stream: each subscriber gets one layer
 * (src/cv_simulcast.h). */
static void convene_media_forward_layer(convene_stream *stream, janus_plugin_rtp *packet,
		const cv_rtp_header *rtp, convene_snap *subs, int64_t now) {
	uint8_t *buf = (uint8_t *)packet->buffer;
	int layer = cv_simulcast_layer(&stream->sim, buf, packet->length, rtp->ssrc);
	if(layer < 0)
		return;
	cv_simulcast_seen(&stream->sim, layer, now);
	if(subs == NULL || subs->len == 0)
		return;
	gboolean keyframe = cv_rtp_is_keyframe(stream->vcodec, buf + rtp->header_len, rtp->payload_len);
	gboolean need_keyframe = FALSE;
	for(guint i = 0; i < subs->len; i++) {
		convene_forward *forward = subs->items[i];
		convene_session *sub = forward->subscriber;
		if(g_atomic_int_get(&sub->destroyed) || !g_atomic_int_get(&sub->media_up))
			continue;
		cv_simulcast_decision d = cv_simulcast_route(&forward->sim_rx, &stream->sim,
			g_atomic_int_get(&forward->layer_pref), layer, keyframe, now);
		need_keyframe = need_keyframe || d.need_keyframe;
		if(d.switched)
			JANUS_LOG(LOG_VERB, "[convene] %s -> %s: layer %s\n", stream->key, sub->user_id, cv_layer_name(layer));
		if(d.forward)
			convene_media_relay(forward, packet, rtp, now);
	}
	cv_rtp_set(buf, rtp->seq, rtp->ts, rtp->payload_type);
	if(need_keyframe)
		convene_stream_request_keyframe(stream);
}

/* The RTP thread's subscriber readers hold snapshots of forwards, and a
 * forward holds its subscriber session and its source stream: a reader that
 * is never read again (its stream left the publish table, or the
 * PeerConnection is gone) would keep a reference cycle (stream -> reader ->
 * forward -> stream, and across sessions through forward->subscriber)
 * alive for ever. So readers are released on the thread that owns them:
 * here when a table without the stream is picked up, and in
 * convene_media_release_readers when the PeerConnection ends. */
static void convene_media_drop_readers(convene_snap *old, convene_snap *table) {
	for(guint i = 0; old != NULL && i < old->len; i++) {
		convene_stream *stream = old->items[i];
		if(stream == NULL)
			continue;
		if(table == NULL || (guint)stream->mindex >= table->len || table->items[stream->mindex] != stream)
			convene_snap_reader_clear(&stream->rtp_reader);
	}
}

/* The publish table for the RTP thread: when it changed, the streams that
 * left it give up their readers (nothing on this thread can reach them
 * any more). */
static convene_snap *convene_media_table(convene_session *session) {
	convene_snap *old = session->rtp_reader.snap;
	if(g_atomic_int_get(&session->publish_table.generation) == session->rtp_reader.generation)
		return old;
	if(old != NULL)
		janus_refcount_increase(&old->ref);
	convene_snap *table = convene_snap_read(&session->rtp_reader, &session->publish_table);
	convene_media_drop_readers(old, table);
	convene_snap_unref(old);
	return table;
}

void convene_media_release_readers(convene_session *session) {
	convene_media_drop_readers(session->rtp_reader.snap, NULL);
	convene_snap_reader_clear(&session->rtp_reader);
}

void convene_media_incoming_rtp(convene_session *session, janus_plugin_rtp *packet) {
	convene_snap *table = convene_media_table(session);
	if(table == NULL || packet->mindex < 0 || (guint)packet->mindex >= table->len)
		return;
	convene_stream *stream = table->items[packet->mindex];
	if(stream == NULL || !g_atomic_int_get(&stream->active))
		return;
	uint8_t *buf = (uint8_t *)packet->buffer;
	cv_rtp_header rtp;
	if(!cv_rtp_parse(buf, packet->length, &rtp))
		return;
	/* One SSRC per stream is forwarded: the first seen, until it has been
	 * quiet for a while and another one speaks (a new track, a restarted
	 * sender); receivers then wait for the new source's keyframe */
	int64_t now = cv_mono_us();
	convene_snap *subs = convene_snap_read(&stream->rtp_reader, &stream->subscribers);
	if(stream->simulcast) {
		convene_media_forward_layer(stream, packet, &rtp, subs, now);
		return;
	}
	if(stream->ssrc == 0) {
		stream->ssrc = rtp.ssrc;
	} else if(rtp.ssrc != stream->ssrc) {
		if(now - stream->ssrc_seen_us < CONVENE_SSRC_SWITCH_US) {
			JANUS_LOG(LOG_HUGE, "[convene] %s: ignoring SSRC %u (forwarding %u)\n", stream->key, rtp.ssrc, stream->ssrc);
			return;
		}
		JANUS_LOG(LOG_VERB, "[convene] %s: source SSRC %u -> %u\n", stream->key, stream->ssrc, rtp.ssrc);
		stream->ssrc = rtp.ssrc;
		for(guint i = 0; subs != NULL && i < subs->len; i++) {
			convene_forward *forward = subs->items[i];
			forward->wait_keyframe = convene_stream_detects_keyframes(stream);
		}
	}
	stream->ssrc_seen_us = now;
	if(subs == NULL || subs->len == 0)
		return;
	gboolean keyframe = stream->kind == CV_KIND_VIDEO &&
		cv_rtp_is_keyframe(stream->vcodec, buf + rtp.header_len, rtp.payload_len);
	gboolean need_keyframe = FALSE;
	for(guint i = 0; i < subs->len; i++) {
		convene_forward *forward = subs->items[i];
		convene_session *sub = forward->subscriber;
		if(g_atomic_int_get(&sub->destroyed) || !g_atomic_int_get(&sub->media_up))
			continue;
		if(forward->wait_keyframe) {
			if(!keyframe) {
				need_keyframe = TRUE;
				continue;
			}
			forward->wait_keyframe = FALSE;
		}
		convene_media_relay(forward, packet, &rtp, now);
	}
	cv_rtp_set(buf, rtp.seq, rtp.ts, rtp.payload_type);
	if(need_keyframe)
		convene_stream_request_keyframe(stream);
}

/* --- RTCP ------------------------------------------------------------------- */

void convene_media_incoming_rtcp(convene_session *session, janus_plugin_rtcp *packet) {
	if(!packet->video || !cv_rtcp_wants_keyframe((const uint8_t *)packet->buffer, packet->length))
		return;
	/* A subscriber asks for a keyframe of what it receives on this m-line */
	convene_snap *sources = convene_snap_cell_get(&session->slot_sources);
	if(sources == NULL)
		return;
	if(packet->mindex >= 0 && (guint)packet->mindex < sources->len)
		convene_stream_request_keyframe(sources->items[packet->mindex]);
	convene_snap_unref(sources);
}

/* --- data channels ------------------------------------------------------------- */

void convene_media_incoming_data(convene_session *session, janus_plugin_data *packet) {
	if(packet->buffer == NULL || packet->length == 0)
		return;
	janus_mutex_lock(&session->mutex);
	convene_room *room = session->room;
	if(room != NULL)
		janus_refcount_increase(&room->ref);
	char *sender = g_strdup(session->user_id);
	gboolean allowed = session->grants.data;
	janus_mutex_unlock(&session->mutex);
	if(room == NULL || sender == NULL || !allowed) {
		convene_room_unref(room);
		g_free(sender);
		return;
	}
	/* What was sent: a text envelope {targetUserId?, data} or any payload */
	json_t *payload = NULL;
	char *target = NULL;
	json_t *parsed = NULL;
	if(!packet->binary) {
		parsed = json_loadb(packet->buffer, packet->length, JSON_REJECT_DUPLICATES, NULL);
		if(json_is_object(parsed) && json_object_get(parsed, "data") != NULL) {
			payload = json_incref(json_object_get(parsed, "data"));
			target = g_strdup(json_string_value(json_object_get(parsed, "targetUserId")));
		}
	}
	json_t *msg = json_object();
	json_object_set_new(msg, "userId", json_string(sender));
	if(payload != NULL) {
		json_object_set_new(msg, "data", payload);
	} else if(packet->binary) {
		gchar *b64 = g_base64_encode((const guchar *)packet->buffer, packet->length);
		json_object_set_new(msg, "data", json_string(b64));
		json_object_set_new(msg, "binary", json_true());
		g_free(b64);
	} else {
		json_object_set_new(msg, "data", json_stringn(packet->buffer, packet->length));
	}
	if(target != NULL)
		json_object_set_new(msg, "targetUserId", json_string(target));
	json_object_set_new(msg, "timestamp", json_integer(cv_now_ms()));
	json_decref(parsed);
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	size_t len = text ? strlen(text) : 0;
	if(text != NULL && len <= G_MAXUINT16) {
		GPtrArray *others = convene_room_others(room, session);
		for(guint i = 0; i < others->len; i++) {
			convene_session *other = g_ptr_array_index(others, i);
			if(target != NULL && (other->user_id == NULL || strcmp(other->user_id, target) != 0))
				continue;
			if(!g_atomic_int_get(&other->media_up) || !g_atomic_int_get(&other->data_accepted))
				continue;
			janus_plugin_data out = {
				.label = packet->label,
				.protocol = packet->protocol,
				.binary = FALSE,
				.buffer = text,
				.length = (uint16_t)len,
			};
			convene_gateway->relay_data(other->handle, &out);
		}
		convene_sessions_release(others);
	}
	free(text);
	g_free(target);
	convene_room_unref(room);
	g_free(sender);
}
