/*
 * convene_sdp.c - the SDP the plugin writes: answers to client offers and
 * the server's own offers, one m-line per slot (src/cv_slots.h).
 *
 * m-lines are built attribute by attribute with the Janus SDP structures,
 * so that each one says exactly what Convene does with it: the publisher's
 * codec (payload type, rtpmap, fmtp) on its own m-lines, the source's codec
 * on forwarded ones, header extensions with ids that stay the same across
 * the bundle, `a=msid:<publisher user id> <track id>` on forwarded tracks.
 * The Janus core adds the transport parts (ICE, DTLS, c=, ssrc, rtcp-mux,
 * sctp-port, candidates) when the SDP is pushed.
 *
 * Handler thread only (it reads and updates the session's pt_map and
 * extmaps tables).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rtp.h>
#include <sdp-utils.h>

#include "convene.h"

#define CONVENE_RTP_PROFILE "UDP/TLS/RTP/SAVPF"
#define CONVENE_DATA_PROFILE "UDP/DTLS/SCTP"

/* Header extensions accepted from publishers, by kind */
static const char *convene_exts_audio_in[] = {
	JANUS_RTP_EXTMAP_MID, JANUS_RTP_EXTMAP_AUDIO_LEVEL, JANUS_RTP_EXTMAP_ABS_SEND_TIME,
	JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC, NULL
};
static const char *convene_exts_video_in[] = {
	JANUS_RTP_EXTMAP_MID, JANUS_RTP_EXTMAP_RID, JANUS_RTP_EXTMAP_REPAIRED_RID,
	JANUS_RTP_EXTMAP_ABS_SEND_TIME, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC,
	JANUS_RTP_EXTMAP_VIDEO_ORIENTATION, JANUS_RTP_EXTMAP_PLAYOUT_DELAY, NULL
};
/* ... and offered on forwarded tracks */
static const char *convene_exts_audio_out[] = {
	JANUS_RTP_EXTMAP_MID, JANUS_RTP_EXTMAP_AUDIO_LEVEL, JANUS_RTP_EXTMAP_ABS_SEND_TIME,
	JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC, NULL
};
static const char *convene_exts_video_out[] = {
	JANUS_RTP_EXTMAP_MID, JANUS_RTP_EXTMAP_ABS_SEND_TIME, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC,
	JANUS_RTP_EXTMAP_VIDEO_ORIENTATION, JANUS_RTP_EXTMAP_PLAYOUT_DELAY, NULL
};
/* RTCP feedback we take part in */
static const char *convene_fb_video[] = { "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc", NULL };
static const char *convene_fb_audio[] = { "transport-cc", NULL };

/* One codec of an m-line. */
typedef struct convene_codec_desc {
	int pt;
	char name[16];		/* as in the rtpmap: "VP8", "opus" */
	char rtpmap[64];	/* "VP8/90000" */
	uint32_t clock_rate;
	char fmtp[256];		/* "" when none */
} convene_codec_desc;

/* --- reading m-lines ---------------------------------------------------------- */

/* The value of the first attribute `name` of m, or NULL. */
static const char *convene_mline_attr(janus_sdp_mline *m, const char *name) {
	for(GList *l = m->attributes; l != NULL; l = l->next) {
		janus_sdp_attribute *a = l->data;
		if(a->name != NULL && strcasecmp(a->name, name) == 0)
			return a->value;
	}
	return NULL;
}

/* The value of the attribute "name:<pt> value" of m, or NULL. */
static const char *convene_mline_pt_attr(janus_sdp_mline *m, const char *name, int pt) {
	for(GList *l = m->attributes; l != NULL; l = l->next) {
		janus_sdp_attribute *a = l->data;
		if(a->name == NULL || a->value == NULL || strcasecmp(a->name, name) != 0)
			continue;
		char *end = NULL;
		long value_pt = strtol(a->value, &end, 10);
		if(end != a->value && value_pt == pt && *end == ' ')
			return end + 1;
	}
	return NULL;
}

/* Finds codec `name` among m's payload types. For H.264 a payload type with
 * packetization-mode=1 is preferred. */
static gboolean convene_mline_codec(janus_sdp_mline *m, const char *name, convene_codec_desc *out) {
	gboolean found = FALSE;
	for(GList *l = m->ptypes; l != NULL; l = l->next) {
		int pt = GPOINTER_TO_INT(l->data);
		const char *rtpmap = convene_mline_pt_attr(m, "rtpmap", pt);
		if(rtpmap == NULL)
			continue;
		const char *slash = strchr(rtpmap, '/');
		size_t name_len = slash ? (size_t)(slash - rtpmap) : strlen(rtpmap);
		if(name_len != strlen(name) || strncasecmp(rtpmap, name, name_len) != 0)
			continue;
		const char *fmtp = convene_mline_pt_attr(m, "fmtp", pt);
		if(found && !(strcasecmp(name, "h264") == 0 && fmtp && strstr(fmtp, "packetization-mode=1")))
			continue;
		memset(out, 0, sizeof(*out));
		out->pt = pt;
		g_strlcpy(out->name, rtpmap, MIN(name_len + 1, sizeof(out->name)));
		g_strlcpy(out->rtpmap, rtpmap, sizeof(out->rtpmap));
		out->clock_rate = slash ? (uint32_t)atoi(slash + 1) : 90000;
		if(fmtp != NULL)
			g_strlcpy(out->fmtp, fmtp, sizeof(out->fmtp));
		found = TRUE;
		if(strcasecmp(name, "h264") != 0 || (fmtp && strstr(fmtp, "packetization-mode=1")))
			break;
	}
	return found;
}

/* The first codec of the configured preference list that m offers. */
static gboolean convene_mline_preferred_codec(janus_sdp_mline *m, cv_media_kind kind, convene_codec_desc *out) {
	char **list = kind == CV_KIND_AUDIO ? convene_cfg.audio_codecs : convene_cfg.video_codecs;
	for(int i = 0; list != NULL && list[i] != NULL; i++) {
		if(convene_mline_codec(m, list[i], out))
			return TRUE;
	}
	return FALSE;
}

static gboolean convene_dir_sends(janus_sdp_mdirection dir) {
	return dir == JANUS_SDP_SENDRECV || dir == JANUS_SDP_SENDONLY || dir == JANUS_SDP_DEFAULT;
}

static gboolean convene_dir_receives(janus_sdp_mdirection dir) {
	return dir == JANUS_SDP_SENDRECV || dir == JANUS_SDP_RECVONLY || dir == JANUS_SDP_DEFAULT;
}

static cv_media_kind convene_kind_of(janus_sdp_mline *m) {
	if(m->type == JANUS_SDP_AUDIO)
		return CV_KIND_AUDIO;
	if(m->type == JANUS_SDP_VIDEO)
		return CV_KIND_VIDEO;
	return CV_KIND_DATA;
}

/* Marks in used[0..size) the integer values a table maps to. */
static void convene_values_used(GHashTable *table, gboolean *used, int size);

/* True when some extension already has id on this PeerConnection. */
static gboolean convene_ext_id_taken(convene_session *session, int id) {
	gboolean used[15] = { FALSE };
	convene_values_used(session->extmaps, used, 15);
	return id > 0 && id < 15 && used[id];
}

/* Remembers the client's header extension ids and payload types, so that
 * our offers keep using the same numbers on this PeerConnection. */
static void convene_sdp_learn(convene_session *session, janus_sdp *sdp) {
	for(GList *ml = sdp->m_lines; ml != NULL; ml = ml->next) {
		janus_sdp_mline *m = ml->data;
		for(GList *l = m->attributes; l != NULL; l = l->next) {
			janus_sdp_attribute *a = l->data;
			if(a->name == NULL || a->value == NULL)
				continue;
			if(strcasecmp(a->name, "extmap") == 0) {
				/* Keep the table one to one: some clients (aiortc) give the
				 * same id to different extensions in different m-lines */
				int id = atoi(a->value);
				const char *uri = strchr(a->value, ' ');
				if(id > 0 && id < 15 && uri != NULL && !g_hash_table_contains(session->extmaps, uri + 1) &&
						!convene_ext_id_taken(session, id))
					g_hash_table_insert(session->extmaps, g_strdup(uri + 1), GINT_TO_POINTER(id));
			} else if(strcasecmp(a->name, "rtpmap") == 0) {
				int pt = atoi(a->value);
				const char *name = strchr(a->value, ' ');
				if(name == NULL)
					continue;
				char codec[16];
				size_t len = strcspn(name + 1, "/");
				g_strlcpy(codec, name + 1, MIN(len + 1, sizeof(codec)));
				char *lower = g_ascii_strdown(codec, -1);
				if(!g_hash_table_contains(session->pt_map, lower))
					g_hash_table_insert(session->pt_map, lower, GINT_TO_POINTER(pt));
				else
					g_free(lower);
			}
		}
	}
}

/* --- writing m-lines ------------------------------------------------------ */

static janus_sdp *convene_sdp_new(convene_session *session) {
	janus_sdp *sdp = janus_sdp_new("Convene", "0.0.0.0");
	sdp->o_sessid = session->sdp_sessid;
	sdp->o_version = ++session->sdp_version;
	return sdp;
}

static void convene_mline_attr_add(janus_sdp_mline *m, const char *name, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void convene_mline_attr_add(janus_sdp_mline *m, const char *name, const char *fmt, ...) {
	char value[512];
	va_list args;
	va_start(args, fmt);
	g_vsnprintf(value, sizeof(value), fmt, args);
	va_end(args);
	janus_sdp_attribute *a = janus_sdp_attribute_create(name, "%s", value);
	m->attributes = g_list_append(m->attributes, a);
}

/* A new audio/video m-line; port 0 when rejected. */
static janus_sdp_mline *convene_mline_new(janus_sdp *sdp, cv_media_kind kind, gboolean enabled,
		janus_sdp_mdirection dir, const char *mid) {
	janus_sdp_mline *m = janus_sdp_mline_create(kind == CV_KIND_AUDIO ? JANUS_SDP_AUDIO : JANUS_SDP_VIDEO,
		enabled ? 9 : 0, CONVENE_RTP_PROFILE, enabled ? dir : JANUS_SDP_INACTIVE);
	m->index = g_list_length(sdp->m_lines);
	m->c_ipv4 = TRUE;
	m->c_addr = g_strdup("0.0.0.0");
	if(mid != NULL)
		convene_mline_attr_add(m, "mid", "%s", mid);
	sdp->m_lines = g_list_append(sdp->m_lines, m);
	return m;
}

/* The data channel m-line (port 0 when rejected). */
static void convene_mline_data(janus_sdp *sdp, gboolean enabled, const char *mid) {
	janus_sdp_mline *m = janus_sdp_mline_create(JANUS_SDP_APPLICATION, enabled ? 9 : 0,
		CONVENE_DATA_PROFILE, JANUS_SDP_DEFAULT);
	m->index = g_list_length(sdp->m_lines);
	m->c_ipv4 = TRUE;
	m->c_addr = g_strdup("0.0.0.0");
	m->fmts = g_list_append(m->fmts, g_strdup("webrtc-datachannel"));
	if(mid != NULL)
		convene_mline_attr_add(m, "mid", "%s", mid);
	sdp->m_lines = g_list_append(sdp->m_lines, m);
}

/* Adds one codec with its rtcp-fb lines. offered, when not NULL, limits the
 * feedback to what it offered for its own payload type offered_pt. */
static void convene_mline_codec_add(janus_sdp_mline *m, cv_media_kind kind, int pt, const char *rtpmap,
		const char *fmtp, janus_sdp_mline *offered, int offered_pt) {
	m->ptypes = g_list_append(m->ptypes, GINT_TO_POINTER(pt));
	convene_mline_attr_add(m, "rtpmap", "%d %s", pt, rtpmap);
	if(fmtp != NULL && *fmtp != '\0')
		convene_mline_attr_add(m, "fmtp", "%d %s", pt, fmtp);
	const char **fb = kind == CV_KIND_AUDIO ? convene_fb_audio : convene_fb_video;
	for(int i = 0; fb[i] != NULL; i++) {
		if(offered != NULL) {
			gboolean present = FALSE;
			for(GList *l = offered->attributes; l != NULL && !present; l = l->next) {
				janus_sdp_attribute *a = l->data;
				if(a->name == NULL || a->value == NULL || strcasecmp(a->name, "rtcp-fb") != 0)
					continue;
				char *end = NULL;
				long value_pt = strtol(a->value, &end, 10);
				present = end != a->value && value_pt == offered_pt && *end == ' ' && strcasecmp(end + 1, fb[i]) == 0;
			}
			if(!present)
				continue;
		}
		convene_mline_attr_add(m, "rtcp-fb", "%d %s", pt, fb[i]);
	}
}

static void convene_values_used(GHashTable *table, gboolean *used, int size) {
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, table);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		int taken = GPOINTER_TO_INT(value);
		if(taken >= 0 && taken < size)
			used[taken] = TRUE;
	}
}

/* The id of extension uri on this PeerConnection, allocating a free one. */
static int convene_ext_id(convene_session *session, const char *uri) {
	int id = GPOINTER_TO_INT(g_hash_table_lookup(session->extmaps, uri));
	if(id > 0)
		return id;
	gboolean used[15] = { FALSE };
	convene_values_used(session->extmaps, used, 15);
	for(id = 1; id < 15; id++) {
		if(!used[id]) {
			g_hash_table_insert(session->extmaps, g_strdup(uri), GINT_TO_POINTER(id));
			return id;
		}
	}
	return -1;
}

/* Adds the extensions of `uris`: all of them (an offer), or only those the
 * offered m-line has, with its ids (an answer). */
static void convene_mline_exts_add(convene_session *session, janus_sdp_mline *m, const char **uris,
		janus_sdp_mline *offered) {
	gboolean used[15] = { FALSE };
	for(int i = 0; uris[i] != NULL; i++) {
		int id = -1;
		if(offered != NULL) {
			for(GList *l = offered->attributes; l != NULL; l = l->next) {
				janus_sdp_attribute *a = l->data;
				const char *uri = (a->name && a->value && !strcasecmp(a->name, "extmap")) ? strchr(a->value, ' ') : NULL;
				if(uri != NULL && strcmp(uri + 1, uris[i]) == 0) {
					id = atoi(a->value);
					break;
				}
			}
		} else {
			id = convene_ext_id(session, uris[i]);
		}
		if(id > 0 && id < 15 && !used[id]) {
			used[id] = TRUE;
			convene_mline_attr_add(m, "extmap", "%d %s", id, uris[i]);
		}
	}
}

/* A payload type for codec `name` on this PeerConnection: the one it
 * already uses, else `wanted` if free, else a free dynamic one. */
static int convene_codec_pt(convene_session *session, const char *name, int wanted) {
	char *lower = g_ascii_strdown(name, -1);
	int pt = GPOINTER_TO_INT(g_hash_table_lookup(session->pt_map, lower));
	if(g_hash_table_contains(session->pt_map, lower)) {
		g_free(lower);
		return pt;
	}
	gboolean used[128] = { FALSE };
	convene_values_used(session->pt_map, used, 128);
	pt = -1;
	if(wanted >= 96 && wanted < 128 && !used[wanted])
		pt = wanted;
	for(int candidate = 96; pt < 0 && candidate < 128; candidate++) {
		if(!used[candidate])
			pt = candidate;
	}
	if(pt < 0)
		pt = wanted;
	g_hash_table_insert(session->pt_map, lower, GINT_TO_POINTER(pt));
	return pt;
}

/* An msid token (RFC 8830: 1-64 token characters) for a user id: the id
 * itself when it qualifies, else "u" and a hash of it. */
static void convene_msid_stream(const char *user_id, char *out, size_t size) {
	gboolean ok = strlen(user_id) <= 64;
	for(const char *p = user_id; ok && *p; p++)
		ok = g_ascii_isalnum(*p) || strchr("!#$%&'*+-.^_`{|}~", *p) != NULL;
	if(ok)
		g_strlcpy(out, user_id, size);
	else
		g_snprintf(out, size, "u%08x", g_str_hash(user_id));
}

/* A forwarded track's m-line content: codec of the source, msid. */
static void convene_mline_forward(convene_session *session, janus_sdp_mline *m, convene_stream *source, int pt) {
	char stream_id[80];
	convene_msid_stream(source->owner->user_id, stream_id, sizeof(stream_id));
	convene_mline_attr_add(m, "msid", "%s %s", stream_id, source->track_id);
	convene_mline_codec_add(m, source->kind, pt, source->rtpmap, source->fmtp, NULL, -1);
}

/* An inactive or rejected m-line still names one codec of its kind. */
static void convene_mline_placeholder(convene_session *session, janus_sdp_mline *m, cv_media_kind kind) {
	if(kind == CV_KIND_AUDIO)
		convene_mline_codec_add(m, kind, convene_codec_pt(session, "opus", 111), "opus/48000/2", "minptime=10;useinbandfec=1", NULL, -1);
	else
		convene_mline_codec_add(m, kind, convene_codec_pt(session, "vp8", 96), "VP8/90000", NULL, NULL, -1);
}

/* --- answers --------------------------------------------------------------- */

/* Sets a video stream up for simulcast from the core's description of the
 * offer's simulcast m-lines ([{mindex, mid, rids | ssrcs, rid-ext}]). */
static void convene_sdp_simulcast(convene_stream *stream, json_t *simulcast) {
	size_t i;
	json_t *entry;
	json_array_foreach(simulcast, i, entry) {
		const char *mid = json_string_value(json_object_get(entry, "mid"));
		json_t *mindex = json_object_get(entry, "mindex");
		if(!(mid && strcmp(mid, stream->mid) == 0) && !(json_is_integer(mindex) && json_integer_value(mindex) == stream->mindex))
			continue;
		const char *rids[CV_SIMULCAST_LAYERS];
		uint32_t ssrcs[CV_SIMULCAST_LAYERS];
		size_t n_rids = 0, n_ssrcs = 0, j;
		json_t *v;
		/* The core lists rids highest quality first (its default rid
		 * order, "hml"), as cv_simulcast takes them */
		json_array_foreach(json_object_get(entry, "rids"), j, v) {
			if(json_is_string(v) && n_rids < CV_SIMULCAST_LAYERS)
				rids[n_rids++] = json_string_value(v);
		}
		json_array_foreach(json_object_get(entry, "ssrcs"), j, v) {
			if(json_is_integer(v) && n_ssrcs < CV_SIMULCAST_LAYERS)
				ssrcs[n_ssrcs++] = (uint32_t)json_integer_value(v);
		}
		if(n_rids + n_ssrcs < 2)
			return;
		cv_simulcast_source_init(&stream->sim, rids, n_rids,
			(int)json_integer_value(json_object_get(entry, "rid-ext")), ssrcs, n_ssrcs);
		stream->simulcast = TRUE;
		JANUS_LOG(LOG_VERB, "[convene] %s: simulcast, %zu layers\n", stream->key, n_rids ? n_rids : n_ssrcs);
		return;
	}
}

/* Fills a new or kept PUBLISH stream for m (codec chosen). */
static convene_stream *convene_sdp_publish_stream(convene_session *session, janus_sdp_mline *m, int index,
		const char *mid, cv_media_kind kind, const convene_codec_desc *codec, json_t *simulcast) {
	convene_stream *stream = g_hash_table_lookup(session->streams, mid);
	if(stream != NULL && stream->mindex == index && stream->pt == codec->pt &&
			strcasecmp(stream->codec, codec->name) == 0 && g_atomic_int_get(&stream->active)) {
		janus_refcount_increase(&stream->ref);
		return stream;
	}
	stream = convene_stream_new(session, index, mid, kind);
	g_strlcpy(stream->codec, codec->name, sizeof(stream->codec));
	stream->pt = codec->pt;
	g_strlcpy(stream->rtpmap, codec->rtpmap, sizeof(stream->rtpmap));
	stream->fmtp = codec->fmtp[0] ? g_strdup(codec->fmtp) : NULL;
	stream->clock_rate = codec->clock_rate;
	stream->vcodec = cv_video_codec_parse(codec->name);
	/* The track id the publisher announced, for the subscribers' msid */
	const char *msid = convene_mline_attr(m, "msid");
	const char *track = msid ? strchr(msid, ' ') : NULL;
	if(track != NULL && strlen(track + 1) > 0 && strlen(track + 1) <= 64 && strchr(track + 1, ' ') == NULL)
		g_strlcpy(stream->track_id, track + 1, sizeof(stream->track_id));
	else
		g_snprintf(stream->track_id, sizeof(stream->track_id), "%s-%s", kind == CV_KIND_AUDIO ? "audio" : "video", mid);
	if(kind == CV_KIND_VIDEO && simulcast != NULL)
		convene_sdp_simulcast(stream, simulcast);
	return stream;
}

char *convene_sdp_answer(convene_session *session, const char *offer_sdp, json_t *simulcast,
		cv_slot_table *next, GHashTable *published, cv_error *err) {
	char error[256] = "";
	janus_sdp *offer = janus_sdp_parse(offer_sdp, error, sizeof(error));
	if(offer == NULL) {
		err->code = CV_ERR_BAD_REQUEST;
		err->message = "the offer's SDP could not be parsed";
		return NULL;
	}
	convene_sdp_learn(session, offer);
	/* No a=mid in answers: the core writes the offer's mids itself (it only
	 * removes a plugin's own a=mid lines from offers) */
	janus_sdp *answer = convene_sdp_new(session);
	cv_slots_copy(next, &session->slots);
	int index = 0;
	gboolean ok = TRUE;
	for(GList *ml = offer->m_lines; ml != NULL && ok; ml = ml->next, index++) {
		janus_sdp_mline *m = ml->data;
		cv_media_kind kind = convene_kind_of(m);
		const char *offered_mid = convene_mline_attr(m, "mid");
		char mid[CV_MID_MAX_LEN + 1];
		g_snprintf(mid, sizeof(mid), "%s", offered_mid ? offered_mid : "");
		if(mid[0] == '\0')
			g_snprintf(mid, sizeof(mid), "m%d", index);
		gboolean data = m->type == JANUS_SDP_APPLICATION && m->proto && strstr(m->proto, "SCTP");
		gboolean usable = (m->type == JANUS_SDP_AUDIO || m->type == JANUS_SDP_VIDEO || data) && m->port > 0;
		/* The slot of this index: the one we know, or a new one */
		cv_slot *slot = (size_t)index < next->count ? &next->slots[index] : NULL;
		if(slot != NULL && (strcmp(slot->mid, mid) != 0 || slot->kind != kind)) {
			/* A recycled m-line: it starts over */
			memset(slot, 0, sizeof(*slot));
			slot->kind = kind;
			g_strlcpy(slot->mid, mid, sizeof(slot->mid));
			slot->role = CV_SLOT_FREE;
		} else if(slot == NULL) {
			int at = cv_slots_append(next, kind, CV_SLOT_FREE, mid);
			if(at < 0) {
				ok = FALSE;
				err->code = CV_ERR_BAD_REQUEST;
				err->message = "the offer has an invalid or duplicate mid";
				break;
			}
			slot = &next->slots[at];
		}
		if(!usable) {
			slot->role = CV_SLOT_REJECTED;
			if(data)
				convene_mline_data(answer, FALSE, NULL);
			else if(m->type == JANUS_SDP_AUDIO || m->type == JANUS_SDP_VIDEO)
				convene_mline_placeholder(session, convene_mline_new(answer, kind, FALSE, JANUS_SDP_INACTIVE, NULL), kind);
			else {
				/* Unknown media: rejected, echoing its format list */
				janus_sdp_mline *r = janus_sdp_mline_create(m->type, 0, m->proto, JANUS_SDP_INACTIVE);
				r->type_str = g_strdup(m->type_str);
				r->index = g_list_length(answer->m_lines);
				for(GList *f = m->fmts; f != NULL; f = f->next)
					r->fmts = g_list_append(r->fmts, g_strdup(f->data));
				answer->m_lines = g_list_append(answer->m_lines, r);
			}
			continue;
		}
		if(data) {
			slot->role = session->grants.data ? CV_SLOT_DATA : CV_SLOT_REJECTED;
			convene_mline_data(answer, session->grants.data, NULL);
			continue;
		}
		if(slot->role == CV_SLOT_FORWARD) {
			/* One of ours: keep sending the source if the client takes it */
			convene_forward *forward = g_hash_table_lookup(session->forwards, mid);
			convene_codec_desc codec;
			gboolean sending = forward != NULL && g_atomic_int_get(&forward->source->active) &&
				convene_dir_receives(m->direction) && convene_mline_codec(m, forward->source->codec, &codec);
			janus_sdp_mline *a = convene_mline_new(answer, kind, TRUE, sending ? JANUS_SDP_SENDONLY : JANUS_SDP_INACTIVE, NULL);
			if(sending) {
				convene_mline_forward(session, a, forward->source, codec.pt);
				g_atomic_int_set(&forward->out_pt, codec.pt);
			} else {
				convene_mline_placeholder(session, a, kind);
				slot->role = CV_SLOT_FREE;
				slot->source[0] = '\0';
			}
			convene_mline_exts_add(session, a, kind == CV_KIND_AUDIO ? convene_exts_audio_out : convene_exts_video_out, m);
			continue;
		}
		/* The client's own m-line: it publishes when it sends */
		convene_codec_desc codec;
		if(convene_dir_sends(m->direction)) {
			if(!session->grants.publish) {
				ok = FALSE;
				err->code = CV_ERR_FORBIDDEN;
				err->message = "your token does not grant publishing";
				break;
			}
			if(!convene_mline_preferred_codec(m, kind, &codec)) {
				/* No codec we forward: refuse this m-line only */
				slot->role = CV_SLOT_REJECTED;
				convene_mline_placeholder(session, convene_mline_new(answer, kind, FALSE, JANUS_SDP_INACTIVE, NULL), kind);
				continue;
			}
			slot->role = CV_SLOT_PUBLISH;
			convene_stream *stream = convene_sdp_publish_stream(session, m, index, mid, kind, &codec, simulcast);
			g_hash_table_insert(published, g_strdup(mid), stream);
			janus_sdp_mline *a = convene_mline_new(answer, kind, TRUE, JANUS_SDP_RECVONLY, NULL);
			convene_mline_codec_add(a, kind, codec.pt, codec.rtpmap, codec.fmtp[0] ? codec.fmtp : NULL, m, codec.pt);
			convene_mline_exts_add(session, a, kind == CV_KIND_AUDIO ? convene_exts_audio_in : convene_exts_video_in, m);
		} else {
			/* Not sending: its own track paused (we stay ready to receive
			 * there), or a receive-only m-line we may forward on later */
			slot->role = (slot->role == CV_SLOT_PUBLISH || slot->role == CV_SLOT_PAUSED) ? CV_SLOT_PAUSED : CV_SLOT_FREE;
			janus_sdp_mline *a = convene_mline_new(answer, kind, TRUE, JANUS_SDP_INACTIVE, NULL);
			if(convene_mline_preferred_codec(m, kind, &codec))
				convene_mline_codec_add(a, kind, codec.pt, codec.rtpmap, codec.fmtp[0] ? codec.fmtp : NULL, m, codec.pt);
			else
				convene_mline_placeholder(session, a, kind);
			convene_mline_exts_add(session, a, kind == CV_KIND_AUDIO ? convene_exts_audio_out : convene_exts_video_out, m);
		}
	}
	janus_sdp_destroy(offer);
	if(!ok) {
		janus_sdp_destroy(answer);
		cv_slots_clear(next);
		return NULL;
	}
	char *text = janus_sdp_write(answer);
	janus_sdp_destroy(answer);
	if(text == NULL) {
		cv_slots_clear(next);
		err->code = CV_ERR_INTERNAL;
		err->message = "could not write the answer";
	}
	return text;
}

/* --- offers ---------------------------------------------------------------- */

/* The RID header extensions of a client's own video m-line: the Janus core
 * removes them from every offer a plugin makes ("rid/repaired-rid are not
 * sent when offering"), but keeps adding a=rid and a=simulcast:recv for
 * a simulcast publisher, an offer browsers refuse ("negotiates simulcast
 * but does not negotiate the RID RTP header extension"). We hand them to
 * the transport, which puts them back (src/cv_bridge.c). */
static void convene_sdp_restore_rid(convene_session *session, json_t *restore, const char *mid) {
	static const char *rid_uris[] = { JANUS_RTP_EXTMAP_RID, JANUS_RTP_EXTMAP_REPAIRED_RID, NULL };
	json_t *lines = json_array();
	for(int i = 0; rid_uris[i] != NULL; i++) {
		int id = GPOINTER_TO_INT(g_hash_table_lookup(session->extmaps, rid_uris[i]));
		if(id > 0 && id < 15)
			json_array_append_new(lines, json_sprintf("%d %s", id, rid_uris[i]));
	}
	if(json_array_size(lines) > 0)
		json_object_set_new(restore, mid, lines);
	else
		json_decref(lines);
}

char *convene_sdp_offer(convene_session *session, const cv_slot_table *slots, GHashTable *sources,
		json_t **restore) {
	janus_sdp *offer = convene_sdp_new(session);
	json_t *restored = json_object();
	for(size_t i = 0; i < slots->count; i++) {
		const cv_slot *slot = &slots->slots[i];
		if(slot->kind == CV_KIND_DATA) {
			convene_mline_data(offer, slot->role == CV_SLOT_DATA, slot->mid);
			continue;
		}
		const char **exts_out = slot->kind == CV_KIND_AUDIO ? convene_exts_audio_out : convene_exts_video_out;
		janus_sdp_mline *m = NULL;
		convene_stream *stream = NULL;
		switch(slot->role) {
			case CV_SLOT_PUBLISH:
				stream = g_hash_table_lookup(session->streams, slot->mid);
				m = convene_mline_new(offer, slot->kind, TRUE, stream ? JANUS_SDP_RECVONLY : JANUS_SDP_INACTIVE, slot->mid);
				if(stream != NULL)
					convene_mline_codec_add(m, slot->kind, stream->pt, stream->rtpmap, stream->fmtp, NULL, -1);
				else
					convene_mline_placeholder(session, m, slot->kind);
				convene_mline_exts_add(session, m, slot->kind == CV_KIND_AUDIO ? convene_exts_audio_in : convene_exts_video_in, NULL);
				if(slot->kind == CV_KIND_VIDEO)
					convene_sdp_restore_rid(session, restored, slot->mid);
				break;
			case CV_SLOT_FORWARD:
				stream = g_hash_table_lookup(sources, slot->source);
				m = convene_mline_new(offer, slot->kind, TRUE, stream ? JANUS_SDP_SENDONLY : JANUS_SDP_INACTIVE, slot->mid);
				if(stream != NULL)
					convene_mline_forward(session, m, stream, convene_codec_pt(session, stream->codec, stream->pt));
				else
					convene_mline_placeholder(session, m, slot->kind);
				convene_mline_exts_add(session, m, exts_out, NULL);
				break;
			case CV_SLOT_PAUSED:
				/* Ready to receive again: the client may resume in its answer */
				stream = g_hash_table_lookup(session->paused, slot->mid);
				m = convene_mline_new(offer, slot->kind, TRUE, JANUS_SDP_RECVONLY, slot->mid);
				if(stream != NULL)
					convene_mline_codec_add(m, slot->kind, stream->pt, stream->rtpmap, stream->fmtp, NULL, -1);
				else
					convene_mline_placeholder(session, m, slot->kind);
				convene_mline_exts_add(session, m, slot->kind == CV_KIND_AUDIO ? convene_exts_audio_in : convene_exts_video_in, NULL);
				if(slot->kind == CV_KIND_VIDEO)
					convene_sdp_restore_rid(session, restored, slot->mid);
				break;
			case CV_SLOT_REJECTED:
				m = convene_mline_new(offer, slot->kind, FALSE, JANUS_SDP_INACTIVE, slot->mid);
				convene_mline_placeholder(session, m, slot->kind);
				break;
			case CV_SLOT_FREE:
			default:
				m = convene_mline_new(offer, slot->kind, TRUE, JANUS_SDP_INACTIVE, slot->mid);
				convene_mline_placeholder(session, m, slot->kind);
				convene_mline_exts_add(session, m, exts_out, NULL);
				break;
		}
	}
	char *text = janus_sdp_write(offer);
	janus_sdp_destroy(offer);
	if(restore != NULL && text != NULL && json_object_size(restored) > 0)
		*restore = json_incref(restored);
	else if(restore != NULL)
		*restore = NULL;
	json_decref(restored);
	return text;
}

gboolean convene_sdp_read_answer(convene_session *session, const char *answer_sdp,
		const cv_slot_table *slots, gboolean *accepted, gboolean *sends, int *pts, cv_error *err) {
	char error[256] = "";
	janus_sdp *answer = janus_sdp_parse(answer_sdp, error, sizeof(error));
	if(answer == NULL) {
		err->code = CV_ERR_BAD_REQUEST;
		err->message = "the answer's SDP could not be parsed";
		return FALSE;
	}
	if(g_list_length(answer->m_lines) != slots->count) {
		janus_sdp_destroy(answer);
		err->code = CV_ERR_BAD_REQUEST;
		err->message = "the answer does not have the offer's m-lines";
		return FALSE;
	}
	size_t i = 0;
	for(GList *ml = answer->m_lines; ml != NULL; ml = ml->next, i++) {
		janus_sdp_mline *m = ml->data;
		const cv_slot *slot = &slots->slots[i];
		accepted[i] = m->port > 0;
		sends[i] = accepted[i] && convene_dir_sends(m->direction);
		if(slot->role == CV_SLOT_FORWARD)
			accepted[i] = accepted[i] && convene_dir_receives(m->direction);
		pts[i] = m->ptypes ? GPOINTER_TO_INT(m->ptypes->data) : -1;
	}
	janus_sdp_destroy(answer);
	return TRUE;
}
