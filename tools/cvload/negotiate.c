/*
 * negotiate.c - offer/answer for a PeerConnection (see pc.h): the
 * transceivers, the descriptions we write from them, applying answers,
 * answering offers, rollback on glare.
 *
 * Our offers list the negotiated m-lines in their order and new ones
 * after; each active m-line offers one codec (Opus 111 / VP8 96 unless the
 * remote chose other numbers), the mid extension (id 4) and, for a
 * simulcast sender, the rid extension (id 10) with rids h, m, l. Answers
 * mirror the remote offer m-line by m-line: Opus for audio, VP8 for video,
 * the remote's payload type, extension ids and fmtp, the feedback we use
 * (nack pli, ccm fir) when offered; everything else (data channels, other
 * codecs) is rejected with port 0.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "cvl.h"
#include "dtls.h"
#include "media.h"
#include "pc.h"
#include "peer.h"

#define CVL_PT_OPUS 111
#define CVL_PT_VP8 96
#define CVL_EXT_MID 4
#define CVL_EXT_RID 10

/* --- transceivers ----------------------------------------------------------- */

static void cvl_default_codec(cvl_kind kind, cvl_sdp_codec *c) {
	memset(c, 0, sizeof(*c));
	if(kind == CVL_KIND_AUDIO) {
		c->pt = CVL_PT_OPUS;
		g_strlcpy(c->name, "opus", sizeof(c->name));
		c->clock = 48000;
		c->channels = 2;
		g_strlcpy(c->fmtp, "minptime=10;useinbandfec=1", sizeof(c->fmtp));
	} else {
		c->pt = CVL_PT_VP8;
		g_strlcpy(c->name, "VP8", sizeof(c->name));
		c->clock = 90000;
	}
}

static cvl_trx *cvl_trx_new(cvl_pc *pc, const char *mid, cvl_kind kind) {
	cvl_trx *t = g_new0(cvl_trx, 1);
	g_strlcpy(t->mid, mid, sizeof(t->mid));
	t->kind = kind;
	t->mindex = -1;
	t->dir = CVL_DIR_INACTIVE;
	t->expected_src = -1;
	t->first_pt = -1;
	cvl_default_codec(kind, &t->codec);
	g_ptr_array_add(pc->trx, t);
	return t;
}

cvl_trx *cvl_pc_trx_by_mid(cvl_pc *pc, const char *mid) {
	for(guint i = 0; i < pc->trx->len; i++) {
		cvl_trx *t = g_ptr_array_index(pc->trx, i);
		if(strcmp(t->mid, mid) == 0)
			return t;
	}
	return NULL;
}

cvl_trx *cvl_pc_add_track(cvl_pc *pc, cvl_kind kind, struct cvl_sender *sender, bool recv) {
	char mid[16];
	do {
		snprintf(mid, sizeof(mid), "%d", pc->next_mid++);
	} while(cvl_pc_trx_by_mid(pc, mid) != NULL);
	cvl_trx *t = cvl_trx_new(pc, mid, kind);
	t->want_recv = recv;
	if(sender != NULL) {
		t->sender = sender;
		t->simulcast = sender->n_layers > 1;
		t->ext_mid = CVL_EXT_MID;
		t->ext_rid = t->simulcast ? CVL_EXT_RID : 0;
		cvl_sender_attach(sender, pc, t);
	} else {
		t->ext_mid = CVL_EXT_MID;
	}
	return t;
}

bool cvl_pc_needs_offer(const cvl_pc *pc) {
	for(guint i = 0; i < pc->trx->len; i++) {
		const cvl_trx *t = g_ptr_array_index(pc->trx, i);
		if(!t->negotiated && !t->rejected)
			return true;
	}
	return false;
}

/* --- writing descriptions --------------------------------------------------- */

/* The m-line of a transceiver we send/receive on (not rejected). */
static void cvl_fill_media(cvl_pc *pc, const cvl_trx *t, cvl_sdp_media *m, cvl_dir dir) {
	m->port = 9;
	g_strlcpy(m->proto, "UDP/TLS/RTP/SAVPF", sizeof(m->proto));
	g_strlcpy(m->mid, t->mid, sizeof(m->mid));
	m->has_dir = true;
	m->dir = dir;
	m->rtcp_mux = true;
	m->codecs[0] = t->codec;
	m->n_codecs = 1;
	if(t->kind == CVL_KIND_VIDEO) {
		m->fbs[0].pt = t->codec.pt;
		g_strlcpy(m->fbs[0].value, "nack pli", sizeof(m->fbs[0].value));
		m->fbs[1].pt = t->codec.pt;
		g_strlcpy(m->fbs[1].value, "ccm fir", sizeof(m->fbs[1].value));
		m->n_fbs = 2;
	}
	if(t->ext_mid > 0) {
		m->extmaps[m->n_extmaps].id = t->ext_mid;
		g_strlcpy(m->extmaps[m->n_extmaps++].uri, CVL_URI_MID, sizeof(m->extmaps[0].uri));
	}
	bool sends = cvl_dir_sends(dir) && t->sender != NULL;
	if(sends && t->simulcast && t->ext_rid > 0) {
		m->extmaps[m->n_extmaps].id = t->ext_rid;
		g_strlcpy(m->extmaps[m->n_extmaps++].uri, CVL_URI_RID, sizeof(m->extmaps[0].uri));
	}
	if(!sends)
		return;
	const cvl_sender *s = t->sender;
	g_strlcpy(m->msid_stream, s->stream_id, sizeof(m->msid_stream));
	g_strlcpy(m->msid_track, s->track_id, sizeof(m->msid_track));
	if(t->simulcast) {
		GString *list = g_string_new("send ");
		for(int i = 0; i < s->n_layers && i < CVL_SDP_MAX_RIDS; i++) {
			g_strlcpy(m->rids[i].id, s->layers[i].rid, sizeof(m->rids[i].id));
			m->rids[i].send = true;
			m->n_rids++;
			g_string_append_printf(list, "%s%s", i ? ";" : "", s->layers[i].rid);
		}
		g_strlcpy(m->simulcast, list->str, sizeof(m->simulcast));
		g_string_free(list, TRUE);
	} else {
		m->ssrcs[0] = s->layers[0].ssrc;
		m->n_ssrcs = 1;
		g_strlcpy(m->cname, s->stream_id, sizeof(m->cname));
	}
}

/* A rejected m-line: port 0, same kind/proto/format as `like` when given. */
static void cvl_fill_rejected(const cvl_trx *t, const cvl_sdp_media *like, cvl_sdp_media *m) {
	m->port = 0;
	g_strlcpy(m->mid, t->mid, sizeof(m->mid));
	if(like != NULL) {
		g_strlcpy(m->kind_name, like->kind_name, sizeof(m->kind_name));
		g_strlcpy(m->proto, like->proto, sizeof(m->proto));
		g_strlcpy(m->fmt, like->fmt, sizeof(m->fmt));
		if(like->n_codecs > 0) {
			m->codecs[0].pt = like->codecs[0].pt;
			m->n_codecs = 1;
		}
	} else if(t->proto[0]) {
		g_strlcpy(m->kind_name, t->kind_name, sizeof(m->kind_name));
		g_strlcpy(m->proto, t->proto, sizeof(m->proto));
		g_strlcpy(m->fmt, t->fmt, sizeof(m->fmt));
		if(t->first_pt >= 0) {
			m->codecs[0].pt = t->first_pt;
			m->n_codecs = 1;
		}
	} else {
		g_strlcpy(m->proto, "UDP/TLS/RTP/SAVPF", sizeof(m->proto));
		m->codecs[0] = t->codec;
		m->n_codecs = 1;
	}
	m->has_dir = true;
	m->dir = CVL_DIR_INACTIVE;
}

static void cvl_sdp_set_bundle(cvl_sdp *sdp) {
	GString *b = g_string_new(NULL);
	for(size_t i = 0; i < sdp->n_media; i++) {
		if(sdp->media[i].port != 0)
			g_string_append_printf(b, "%s%s", b->len ? " " : "", sdp->media[i].mid);
	}
	sdp->bundle = g_string_free(b, FALSE);
}

/* Puts the transport attributes at the session level (Janus reads the
 * credentials by the end of m-line 0, even when that m-line is rejected
 * and carries none) and in every active m-line, with the candidates in the
 * first active one. */
static void cvl_sdp_add_transport(cvl_pc *pc, cvl_sdp *sdp, const char *setup) {
	g_strlcpy(sdp->ufrag, pc->ufrag, sizeof(sdp->ufrag));
	g_strlcpy(sdp->pwd, pc->pwd, sizeof(sdp->pwd));
	g_strlcpy(sdp->fp_hash, "sha-256", sizeof(sdp->fp_hash));
	g_strlcpy(sdp->fp_value, cvl_dtls_fingerprint(), sizeof(sdp->fp_value));
	bool first = true;
	for(size_t i = 0; i < sdp->n_media; i++) {
		if(sdp->media[i].port == 0)
			continue;
		cvl_pc_local_transport(pc, &sdp->media[i], setup, first);
		first = false;
	}
}

static int cvl_trx_order(gconstpointer a, gconstpointer b) {
	const cvl_trx *x = *(cvl_trx *const *)a, *y = *(cvl_trx *const *)b;
	/* negotiated m-lines keep their index; new ones go after, in creation order */
	int xi = x->mindex >= 0 ? x->mindex : 100000;
	int yi = y->mindex >= 0 ? y->mindex : 100000;
	return xi < yi ? -1 : xi > yi ? 1 : 0;
}

char *cvl_pc_create_offer(cvl_pc *pc) {
	cvl_pc_set_controlling(pc, true);
	/* g_ptr_array_sort is not stable: sort a copy that keeps creation order
	 * among the new ones by giving them increasing provisional indexes */
	GPtrArray *order = g_ptr_array_new();
	for(guint i = 0; i < pc->trx->len; i++)
		g_ptr_array_add(order, g_ptr_array_index(pc->trx, i));
	int next = 0;
	for(guint i = 0; i < order->len; i++) {
		cvl_trx *t = g_ptr_array_index(order, i);
		if(t->mindex >= next)
			next = t->mindex + 1;
	}
	for(guint i = 0; i < order->len; i++) {
		cvl_trx *t = g_ptr_array_index(order, i);
		if(t->mindex < 0 && !t->negotiated)
			t->mindex = next++;
	}
	g_ptr_array_sort(order, cvl_trx_order);
	cvl_sdp sdp;
	memset(&sdp, 0, sizeof(sdp));
	sdp.session_id = pc->session_id;
	sdp.version = ++pc->version;
	for(guint i = 0; i < order->len; i++) {
		cvl_trx *t = g_ptr_array_index(order, i);
		cvl_sdp_media *m = cvl_sdp_add_media(&sdp, t->kind);
		if(t->rejected) {
			cvl_fill_rejected(t, NULL, m);
			continue;
		}
		cvl_fill_media(pc, t, m, cvl_dir_make(t->sender != NULL, t->want_recv));
		m->rtcp_rsize = true;
	}
	g_ptr_array_free(order, TRUE);
	cvl_sdp_set_bundle(&sdp);
	cvl_sdp_add_transport(pc, &sdp, "actpass");
	char *text = cvl_sdp_write(&sdp);
	cvl_sdp_free(&sdp);
	pc->have_local_offer = true;
	return text;
}

/* --- answers ------------------------------------------------------------------ */

static void cvl_trx_take_extensions(cvl_trx *t, const cvl_sdp_media *rm) {
	t->ext_mid = cvl_sdp_extmap_id(rm, CVL_URI_MID);
	t->ext_rid = cvl_sdp_extmap_id(rm, CVL_URI_RID);
	if(t->ext_mid > 14)
		t->ext_mid = 0;		/* two-byte ids: we write one-byte extensions only */
	if(t->ext_rid > 14)
		t->ext_rid = 0;
}

bool cvl_pc_apply_answer(cvl_pc *pc, const char *text) {
	if(!pc->have_local_offer) {
		cvl_error("answer without an outstanding offer");
		return false;
	}
	cvl_sdp sdp;
	if(!cvl_sdp_parse(text, &sdp)) {
		cvl_error("unparsable answer SDP");
		return false;
	}
	pc->have_local_offer = false;
	for(size_t i = 0; i < sdp.n_media; i++) {
		const cvl_sdp_media *rm = &sdp.media[i];
		cvl_trx *t = cvl_pc_trx_by_mid(pc, rm->mid);
		if(t == NULL) {
			cvl_error("answer has an m-line we did not offer");
			continue;
		}
		t->negotiated = true;
		t->mindex = (int)i;
		if(rm->port == 0) {
			t->rejected = true;
			t->dir = CVL_DIR_INACTIVE;
			continue;
		}
		if(t->rejected || (t->kind != CVL_KIND_AUDIO && t->kind != CVL_KIND_VIDEO)) {
			/* RFC 3264 6: an m-line offered with port 0 is answered with port 0 */
			cvl_error("the SFU's answer accepts an m-line that our offer rejected (port 0)");
			t->rejected = true;
			continue;
		}
		const cvl_sdp_codec *c = cvl_sdp_find_codec(rm, t->kind == CVL_KIND_AUDIO ? "opus" : "VP8");
		if(c == NULL) {
			cvl_error("answer without %s", t->kind == CVL_KIND_AUDIO ? "Opus" : "VP8");
			t->rejected = true;
			continue;
		}
		t->codec = *c;
		cvl_trx_take_extensions(t, rm);
		t->dir = cvl_dir_reverse(rm->dir);
		if(t->simulcast && rm->n_rids == 0) {
			cvl_error("the SFU refused simulcast: sending one layer");
			t->simulcast = false;
		}
		if(rm->n_ssrcs > 0)
			t->remote_ssrc = rm->ssrcs[0];
	}
	/* offered m-lines missing from the answer are a protocol error; treat
	 * them as never negotiated */
	for(guint i = 0; i < pc->trx->len; i++) {
		cvl_trx *t = g_ptr_array_index(pc->trx, i);
		if(!t->negotiated)
			t->mindex = -1;
	}
	bool ok = cvl_pc_apply_transport(pc, &sdp, false);
	cvl_sdp_free(&sdp);
	return ok;
}

/* Is this an m-line we can take (audio Opus / video VP8 over RTP)? */
static const cvl_sdp_codec *cvl_pick_codec(const cvl_sdp_media *rm) {
	if(rm->port == 0 || strstr(rm->proto, "RTP") == NULL)
		return NULL;
	if(rm->kind == CVL_KIND_AUDIO)
		return cvl_sdp_find_codec(rm, "opus");
	if(rm->kind == CVL_KIND_VIDEO)
		return cvl_sdp_find_codec(rm, "VP8");
	return NULL;
}

char *cvl_pc_apply_offer(cvl_pc *pc, const char *text) {
	cvl_sdp rsdp;
	if(!cvl_sdp_parse(text, &rsdp)) {
		cvl_error("unparsable offer SDP");
		return NULL;
	}
	cvl_pc_set_controlling(pc, false);
	if(pc->have_local_offer) {
		/* glare: the SFU is impolite, we roll our offer back */
		pc->have_local_offer = false;
		for(guint i = 0; i < pc->trx->len; i++) {
			cvl_trx *t = g_ptr_array_index(pc->trx, i);
			if(!t->negotiated)
				t->mindex = -1;
		}
		cvl_log(2, "%s/%s: glare, rolled back our offer\n", pc->peer->user_id, pc->label);
	}
	if(!cvl_pc_apply_transport(pc, &rsdp, true)) {
		cvl_sdp_free(&rsdp);
		return NULL;
	}
	const char *setup = pc->dtls != NULL && !cvl_dtls_is_client(pc->dtls) ? "passive" : "active";
	cvl_sdp ans;
	memset(&ans, 0, sizeof(ans));
	ans.session_id = pc->session_id;
	ans.version = ++pc->version;
	for(size_t i = 0; i < rsdp.n_media; i++) {
		const cvl_sdp_media *rm = &rsdp.media[i];
		char mid[CVL_SDP_TOKEN];
		if(rm->mid[0])
			g_strlcpy(mid, rm->mid, sizeof(mid));
		else
			snprintf(mid, sizeof(mid), "m%zu", i);
		cvl_trx *t = cvl_pc_trx_by_mid(pc, mid);
		if(t == NULL) {
			t = cvl_trx_new(pc, mid, rm->kind);
			t->want_recv = true;
		}
		t->mindex = (int)i;
		t->negotiated = true;
		g_strlcpy(t->kind_name, rm->kind_name, sizeof(t->kind_name));
		g_strlcpy(t->proto, rm->proto, sizeof(t->proto));
		g_strlcpy(t->fmt, rm->fmt, sizeof(t->fmt));
		t->first_pt = rm->n_codecs > 0 ? rm->codecs[0].pt : -1;
		cvl_sdp_media *m = cvl_sdp_add_media(&ans, t->kind);
		const cvl_sdp_codec *c = cvl_pick_codec(rm);
		if(c == NULL || (t->kind != CVL_KIND_AUDIO && t->kind != CVL_KIND_VIDEO) || rm->kind != t->kind) {
			if(rm->port != 0 && rm->kind != CVL_KIND_APPLICATION)
				cvl_log(2, "%s/%s: rejecting m-line %s (%s)\n", pc->peer->user_id, pc->label, mid, rm->kind_name);
			t->rejected = true;
			t->dir = CVL_DIR_INACTIVE;
			cvl_fill_rejected(t, rm, m);
			continue;
		}
		t->rejected = false;
		t->codec = *c;
		cvl_trx_take_extensions(t, rm);
		bool recv = cvl_dir_sends(rm->dir);
		bool send = cvl_dir_recvs(rm->dir) && t->sender != NULL;
		t->dir = cvl_dir_make(send, recv);
		/* simulcast: answer the rids the SFU will receive */
		bool sim_ok = send && t->sender->n_layers > 1 && rm->n_rids > 0 && t->ext_rid > 0;
		t->simulcast = sim_ok;
		if(!sim_ok)
			t->ext_rid = send && t->sender->n_layers > 1 ? t->ext_rid : 0;
		if(rm->n_ssrcs > 0)
			t->remote_ssrc = rm->ssrcs[0];
		cvl_fill_media(pc, t, m, t->dir);
		m->rtcp_rsize = rm->rtcp_rsize;
		/* only the feedback they offered, of what we support */
		size_t kept = 0;
		for(size_t f = 0; f < m->n_fbs; f++) {
			bool offered = false;
			for(size_t r = 0; r < rm->n_fbs; r++) {
				if((rm->fbs[r].pt == c->pt || rm->fbs[r].pt == -1) && strcmp(rm->fbs[r].value, m->fbs[f].value) == 0)
					offered = true;
			}
			if(offered)
				m->fbs[kept++] = m->fbs[f];
		}
		m->n_fbs = kept;
		if(sim_ok) {
			/* mirror their rid list and order */
			m->n_rids = 0;
			for(size_t r = 0; r < rm->n_rids; r++) {
				if(rm->rids[r].send)
					continue;
				g_strlcpy(m->rids[m->n_rids].id, rm->rids[r].id, sizeof(m->rids[0].id));
				m->rids[m->n_rids++].send = true;
			}
			const char *list = rm->simulcast;
			if(g_str_has_prefix(list, "recv "))
				list += 5;
			g_strlcpy(m->simulcast, "send ", sizeof(m->simulcast));
			g_strlcat(m->simulcast, list, sizeof(m->simulcast));
		}
	}
	cvl_sdp_set_bundle(&ans);
	cvl_sdp_add_transport(pc, &ans, setup);
	char *out = cvl_sdp_write(&ans);
	cvl_sdp_free(&ans);
	cvl_sdp_free(&rsdp);
	return out;
}

