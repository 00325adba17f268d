/*
 * sdp.c - parser and writer for the SDP model of sdp.h.
 *
 * The parser walks the text line by line (CRLF or LF), keeps the attributes
 * it knows and skips the rest; values are copied with truncation, so a
 * hostile or odd SDP can make a description incomplete but never overflow
 * anything. The writer prints m-sections in the order Chromium uses
 * (transport, mid, extensions, direction, msid, rtcp, codecs, rids, ssrcs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "sdp.h"

/* --- small helpers --------------------------------------------------------- */

/* Copies at most cap-1 bytes of src[0..len) and terminates. */
static void cvl_copy(char *dst, size_t cap, const char *src, size_t len) {
	if(cap == 0)
		return;
	if(len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void cvl_copy_str(char *dst, size_t cap, const char *src) {
	cvl_copy(dst, cap, src, strlen(src));
}

/* Copies the first whitespace-delimited token of s. Returns the rest. */
static const char *cvl_token(const char *s, char *dst, size_t cap) {
	while(*s == ' ' || *s == '\t')
		s++;
	size_t n = strcspn(s, " \t");
	cvl_copy(dst, cap, s, n);
	s += n;
	while(*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool cvl_parse_int(const char *s, int *out) {
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if(end == s || v < -1000000 || v > 1000000)
		return false;
	*out = (int)v;
	return true;
}

const char *cvl_kind_name(cvl_kind kind) {
	switch(kind) {
		case CVL_KIND_AUDIO: return "audio";
		case CVL_KIND_VIDEO: return "video";
		case CVL_KIND_APPLICATION: return "application";
		default: return "other";
	}
}

const char *cvl_dir_name(cvl_dir dir) {
	switch(dir) {
		case CVL_DIR_SENDONLY: return "sendonly";
		case CVL_DIR_RECVONLY: return "recvonly";
		case CVL_DIR_INACTIVE: return "inactive";
		default: return "sendrecv";
	}
}

cvl_dir cvl_dir_reverse(cvl_dir dir) {
	if(dir == CVL_DIR_SENDONLY)
		return CVL_DIR_RECVONLY;
	if(dir == CVL_DIR_RECVONLY)
		return CVL_DIR_SENDONLY;
	return dir;
}

bool cvl_dir_sends(cvl_dir dir) {
	return dir == CVL_DIR_SENDRECV || dir == CVL_DIR_SENDONLY;
}

bool cvl_dir_recvs(cvl_dir dir) {
	return dir == CVL_DIR_SENDRECV || dir == CVL_DIR_RECVONLY;
}

cvl_dir cvl_dir_make(bool send, bool recv) {
	if(send && recv)
		return CVL_DIR_SENDRECV;
	if(send)
		return CVL_DIR_SENDONLY;
	if(recv)
		return CVL_DIR_RECVONLY;
	return CVL_DIR_INACTIVE;
}

/* --- model ------------------------------------------------------------------ */

cvl_sdp_media *cvl_sdp_add_media(cvl_sdp *sdp, cvl_kind kind) {
	sdp->media = g_realloc_n(sdp->media, sdp->n_media + 1, sizeof(cvl_sdp_media));
	cvl_sdp_media *m = &sdp->media[sdp->n_media++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	cvl_copy_str(m->kind_name, sizeof(m->kind_name), cvl_kind_name(kind));
	m->dir = CVL_DIR_SENDRECV;
	return m;
}

void cvl_sdp_media_add_candidate(cvl_sdp_media *m, const char *candidate) {
	m->candidates = g_realloc_n(m->candidates, m->n_candidates + 1, sizeof(char *));
	m->candidates[m->n_candidates++] = g_strdup(candidate);
}

void cvl_sdp_free(cvl_sdp *sdp) {
	if(sdp == NULL)
		return;
	for(size_t i = 0; i < sdp->n_media; i++) {
		for(size_t c = 0; c < sdp->media[i].n_candidates; c++)
			g_free(sdp->media[i].candidates[c]);
		g_free(sdp->media[i].candidates);
	}
	g_free(sdp->media);
	g_free(sdp->bundle);
	memset(sdp, 0, sizeof(*sdp));
}

#define CVL_FALLBACK(field) \
	const char *cvl_sdp_##field(const cvl_sdp *sdp, const cvl_sdp_media *m) { \
		if(m != NULL && m->field[0]) \
			return m->field; \
		return sdp->field; \
	}
CVL_FALLBACK(ufrag)
CVL_FALLBACK(pwd)
CVL_FALLBACK(fp_hash)
CVL_FALLBACK(fp_value)
CVL_FALLBACK(setup)

const cvl_sdp_codec *cvl_sdp_find_codec(const cvl_sdp_media *m, const char *name) {
	for(size_t i = 0; i < m->n_codecs; i++) {
		if(strcasecmp(m->codecs[i].name, name) == 0)
			return &m->codecs[i];
	}
	return NULL;
}

int cvl_sdp_extmap_id(const cvl_sdp_media *m, const char *uri) {
	for(size_t i = 0; i < m->n_extmaps; i++) {
		if(strcmp(m->extmaps[i].uri, uri) == 0)
			return m->extmaps[i].id;
	}
	return 0;
}

cvl_sdp_media *cvl_sdp_find_mid(const cvl_sdp *sdp, const char *mid) {
	for(size_t i = 0; i < sdp->n_media; i++) {
		if(strcmp(sdp->media[i].mid, mid) == 0)
			return &sdp->media[i];
	}
	return NULL;
}

/* --- parser ------------------------------------------------------------------ */

static cvl_sdp_codec *cvl_codec_by_pt(cvl_sdp_media *m, int pt) {
	for(size_t i = 0; i < m->n_codecs; i++) {
		if(m->codecs[i].pt == pt)
			return &m->codecs[i];
	}
	return NULL;
}

static cvl_kind cvl_kind_parse(const char *name) {
	if(strcmp(name, "audio") == 0)
		return CVL_KIND_AUDIO;
	if(strcmp(name, "video") == 0)
		return CVL_KIND_VIDEO;
	if(strcmp(name, "application") == 0)
		return CVL_KIND_APPLICATION;
	return CVL_KIND_OTHER;
}

/* "m=video 9 UDP/TLS/RTP/SAVPF 96 97" */
static bool cvl_parse_mline(cvl_sdp *sdp, const char *v) {
	char kind[16], port[16];
	v = cvl_token(v, kind, sizeof(kind));
	v = cvl_token(v, port, sizeof(port));
	int p;
	if(!kind[0] || !cvl_parse_int(port, &p))
		return false;
	cvl_sdp_media *m = cvl_sdp_add_media(sdp, cvl_kind_parse(kind));
	cvl_copy_str(m->kind_name, sizeof(m->kind_name), kind);
	m->port = p;
	v = cvl_token(v, m->proto, sizeof(m->proto));
	if(strstr(m->proto, "RTP") == NULL) {
		cvl_copy_str(m->fmt, sizeof(m->fmt), v);
		return true;
	}
	while(*v) {
		char fmt[16];
		int pt;
		v = cvl_token(v, fmt, sizeof(fmt));
		if(cvl_parse_int(fmt, &pt) && pt >= 0 && pt < 128 && m->n_codecs < CVL_SDP_MAX_CODECS
				&& cvl_codec_by_pt(m, pt) == NULL)
			m->codecs[m->n_codecs++].pt = pt;
	}
	return true;
}

/* "111 opus/48000/2" */
static void cvl_parse_rtpmap(cvl_sdp_media *m, const char *v) {
	char pt_s[16], enc[CVL_SDP_LONG];
	int pt;
	v = cvl_token(v, pt_s, sizeof(pt_s));
	cvl_token(v, enc, sizeof(enc));
	cvl_sdp_codec *c = cvl_parse_int(pt_s, &pt) ? cvl_codec_by_pt(m, pt) : NULL;
	if(c == NULL)
		return;
	char **parts = g_strsplit(enc, "/", 3);
	if(parts[0] != NULL) {
		cvl_copy_str(c->name, sizeof(c->name), parts[0]);
		if(parts[1] != NULL) {
			cvl_parse_int(parts[1], &c->clock);
			if(parts[2] != NULL)
				cvl_parse_int(parts[2], &c->channels);
		}
	}
	g_strfreev(parts);
}

static void cvl_parse_media_attr(cvl_sdp *sdp, cvl_sdp_media *m, const char *name, const char *v) {
	char tok[CVL_SDP_LONG];
	int n;
	if(strcmp(name, "mid") == 0) {
		cvl_token(v, m->mid, sizeof(m->mid));
	} else if(strcmp(name, "sendrecv") == 0 || strcmp(name, "sendonly") == 0
			|| strcmp(name, "recvonly") == 0 || strcmp(name, "inactive") == 0) {
		m->dir = name[0] == 'i' ? CVL_DIR_INACTIVE : name[4] == 'r' ? CVL_DIR_SENDRECV
			: name[0] == 's' ? CVL_DIR_SENDONLY : CVL_DIR_RECVONLY;
		m->has_dir = true;
	} else if(strcmp(name, "rtcp-mux") == 0) {
		m->rtcp_mux = true;
	} else if(strcmp(name, "rtcp-rsize") == 0) {
		m->rtcp_rsize = true;
	} else if(strcmp(name, "rtpmap") == 0) {
		cvl_parse_rtpmap(m, v);
	} else if(strcmp(name, "fmtp") == 0) {
		v = cvl_token(v, tok, sizeof(tok));
		cvl_sdp_codec *c = cvl_parse_int(tok, &n) ? cvl_codec_by_pt(m, n) : NULL;
		if(c != NULL)
			cvl_copy_str(c->fmtp, sizeof(c->fmtp), v);
	} else if(strcmp(name, "rtcp-fb") == 0) {
		v = cvl_token(v, tok, sizeof(tok));
		if(m->n_fbs < CVL_SDP_MAX_FB && *v && (strcmp(tok, "*") == 0 || cvl_parse_int(tok, &n))) {
			cvl_sdp_fb *fb = &m->fbs[m->n_fbs++];
			fb->pt = strcmp(tok, "*") == 0 ? -1 : n;
			cvl_copy_str(fb->value, sizeof(fb->value), v);
		}
	} else if(strcmp(name, "extmap") == 0) {
		v = cvl_token(v, tok, sizeof(tok));	/* "4" or "4/sendonly" */
		if(m->n_extmaps < CVL_SDP_MAX_EXTMAPS && cvl_parse_int(tok, &n) && n > 0) {
			cvl_sdp_extmap *e = &m->extmaps[m->n_extmaps++];
			e->id = n;
			cvl_token(v, e->uri, sizeof(e->uri));
		}
	} else if(strcmp(name, "rid") == 0) {
		char dir[16];
		v = cvl_token(v, tok, sizeof(tok));
		cvl_token(v, dir, sizeof(dir));
		if(m->n_rids < CVL_SDP_MAX_RIDS && tok[0] && (strcmp(dir, "send") == 0 || strcmp(dir, "recv") == 0)) {
			cvl_sdp_rid *r = &m->rids[m->n_rids++];
			cvl_copy_str(r->id, sizeof(r->id), tok);
			r->send = dir[0] == 's';
		}
	} else if(strcmp(name, "simulcast") == 0) {
		cvl_copy_str(m->simulcast, sizeof(m->simulcast), v);
	} else if(strcmp(name, "ssrc") == 0) {
		v = cvl_token(v, tok, sizeof(tok));
		char *end = NULL;
		unsigned long long ssrc = strtoull(tok, &end, 10);
		if(end == tok || ssrc > 0xffffffffULL)
			return;
		bool known = false;
		for(size_t i = 0; i < m->n_ssrcs; i++)
			known = known || m->ssrcs[i] == (uint32_t)ssrc;
		if(!known && m->n_ssrcs < CVL_SDP_MAX_SSRCS)
			m->ssrcs[m->n_ssrcs++] = (uint32_t)ssrc;
		if(strncmp(v, "cname:", 6) == 0 && !m->cname[0])
			cvl_token(v + 6, m->cname, sizeof(m->cname));
	} else if(strcmp(name, "msid") == 0) {
		v = cvl_token(v, m->msid_stream, sizeof(m->msid_stream));
		cvl_token(v, m->msid_track, sizeof(m->msid_track));
	} else if(strcmp(name, "ice-ufrag") == 0) {
		cvl_token(v, m->ufrag, sizeof(m->ufrag));
	} else if(strcmp(name, "ice-pwd") == 0) {
		cvl_token(v, m->pwd, sizeof(m->pwd));
	} else if(strcmp(name, "fingerprint") == 0) {
		v = cvl_token(v, m->fp_hash, sizeof(m->fp_hash));
		cvl_token(v, m->fp_value, sizeof(m->fp_value));
	} else if(strcmp(name, "setup") == 0) {
		cvl_token(v, m->setup, sizeof(m->setup));
	} else if(strcmp(name, "candidate") == 0) {
		char *cand = g_strdup_printf("candidate:%s", v);
		cvl_sdp_media_add_candidate(m, cand);
		g_free(cand);
	} else if(strcmp(name, "end-of-candidates") == 0) {
		m->end_of_candidates = true;
	}
	(void)sdp;
}

static void cvl_parse_session_attr(cvl_sdp *sdp, const char *name, const char *v) {
	if(strcmp(name, "ice-ufrag") == 0) {
		cvl_token(v, sdp->ufrag, sizeof(sdp->ufrag));
	} else if(strcmp(name, "ice-pwd") == 0) {
		cvl_token(v, sdp->pwd, sizeof(sdp->pwd));
	} else if(strcmp(name, "fingerprint") == 0) {
		v = cvl_token(v, sdp->fp_hash, sizeof(sdp->fp_hash));
		cvl_token(v, sdp->fp_value, sizeof(sdp->fp_value));
	} else if(strcmp(name, "setup") == 0) {
		cvl_token(v, sdp->setup, sizeof(sdp->setup));
	} else if(strcmp(name, "ice-lite") == 0) {
		sdp->ice_lite = true;
	} else if(strcmp(name, "group") == 0 && strncmp(v, "BUNDLE", 6) == 0) {
		const char *mids = v + 6;
		while(*mids == ' ')
			mids++;
		g_free(sdp->bundle);
		sdp->bundle = g_strdup(mids);
	}
}

bool cvl_sdp_parse(const char *text, cvl_sdp *out) {
	memset(out, 0, sizeof(*out));
	if(text == NULL)
		return false;
	bool seen_v = false;
	gchar **lines = g_strsplit(text, "\n", -1);
	for(gchar **l = lines; *l != NULL; l++) {
		char *line = *l;
		size_t len = strlen(line);
		if(len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if(len < 2 || line[1] != '=')
			continue;
		const char *v = line + 2;
		switch(line[0]) {
			case 'v':
				seen_v = true;
				break;
			case 'o': {
				char tok[CVL_SDP_TOKEN];
				v = cvl_token(v, tok, sizeof(tok));	/* username */
				v = cvl_token(v, tok, sizeof(tok));
				out->session_id = strtoull(tok, NULL, 10);
				cvl_token(v, tok, sizeof(tok));
				out->version = strtoull(tok, NULL, 10);
				break;
			}
			case 'm':
				if(!seen_v || !cvl_parse_mline(out, v)) {
					g_strfreev(lines);
					cvl_sdp_free(out);
					return false;
				}
				break;
			case 'a': {
				char name[CVL_SDP_TOKEN];
				size_t n = strcspn(v, ":");
				cvl_copy(name, sizeof(name), v, n);
				const char *value = v[n] == ':' ? v + n + 1 : "";
				if(out->n_media == 0)
					cvl_parse_session_attr(out, name, value);
				else
					cvl_parse_media_attr(out, &out->media[out->n_media - 1], name, value);
				break;
			}
			default:
				break;
		}
	}
	g_strfreev(lines);
	if(!seen_v) {
		cvl_sdp_free(out);
		return false;
	}
	return true;
}

/* --- writer ------------------------------------------------------------------ */

static void cvl_write_transport(GString *s, const char *ufrag, const char *pwd,
		const char *fp_hash, const char *fp_value, const char *setup) {
	if(ufrag[0])
		g_string_append_printf(s, "a=ice-ufrag:%s\r\n", ufrag);
	if(pwd[0])
		g_string_append_printf(s, "a=ice-pwd:%s\r\n", pwd);
	if(fp_hash[0])
		g_string_append_printf(s, "a=fingerprint:%s %s\r\n", fp_hash, fp_value);
	if(setup[0])
		g_string_append_printf(s, "a=setup:%s\r\n", setup);
}

static void cvl_write_media(GString *s, const cvl_sdp_media *m) {
	g_string_append_printf(s, "m=%s %d %s", m->kind_name, m->port, m->proto);
	if(strstr(m->proto, "RTP") != NULL) {
		for(size_t i = 0; i < m->n_codecs; i++)
			g_string_append_printf(s, " %d", m->codecs[i].pt);
	} else if(m->fmt[0]) {
		g_string_append_printf(s, " %s", m->fmt);
	}
	g_string_append(s, "\r\nc=IN IP4 0.0.0.0\r\n");
	for(size_t i = 0; i < m->n_candidates; i++)
		g_string_append_printf(s, "a=%s\r\n", m->candidates[i]);
	if(m->end_of_candidates)
		g_string_append(s, "a=end-of-candidates\r\n");
	cvl_write_transport(s, m->ufrag, m->pwd, m->fp_hash, m->fp_value, m->setup);
	if(m->mid[0])
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
	for(size_t i = 0; i < m->n_extmaps; i++)
		g_string_append_printf(s, "a=extmap:%d %s\r\n", m->extmaps[i].id, m->extmaps[i].uri);
	if(m->has_dir)
		g_string_append_printf(s, "a=%s\r\n", cvl_dir_name(m->dir));
	if(m->msid_stream[0])
		g_string_append_printf(s, "a=msid:%s %s\r\n", m->msid_stream, m->msid_track);
	if(m->rtcp_mux)
		g_string_append(s, "a=rtcp-mux\r\n");
	if(m->rtcp_rsize)
		g_string_append(s, "a=rtcp-rsize\r\n");
	for(size_t i = 0; i < m->n_codecs; i++) {
		const cvl_sdp_codec *c = &m->codecs[i];
		if(c->name[0]) {
			g_string_append_printf(s, "a=rtpmap:%d %s/%d", c->pt, c->name, c->clock);
			if(c->channels > 0)
				g_string_append_printf(s, "/%d", c->channels);
			g_string_append(s, "\r\n");
		}
		for(size_t f = 0; f < m->n_fbs; f++) {
			if(m->fbs[f].pt == c->pt)
				g_string_append_printf(s, "a=rtcp-fb:%d %s\r\n", c->pt, m->fbs[f].value);
		}
		if(c->fmtp[0])
			g_string_append_printf(s, "a=fmtp:%d %s\r\n", c->pt, c->fmtp);
	}
	for(size_t f = 0; f < m->n_fbs; f++) {
		if(m->fbs[f].pt == -1)
			g_string_append_printf(s, "a=rtcp-fb:* %s\r\n", m->fbs[f].value);
	}
	for(size_t i = 0; i < m->n_rids; i++)
		g_string_append_printf(s, "a=rid:%s %s\r\n", m->rids[i].id, m->rids[i].send ? "send" : "recv");
	if(m->simulcast[0])
		g_string_append_printf(s, "a=simulcast:%s\r\n", m->simulcast);
	for(size_t i = 0; i < m->n_ssrcs; i++) {
		g_string_append_printf(s, "a=ssrc:%u cname:%s\r\n", m->ssrcs[i], m->cname[0] ? m->cname : "cvload");
		if(m->msid_stream[0])
			g_string_append_printf(s, "a=ssrc:%u msid:%s %s\r\n", m->ssrcs[i], m->msid_stream, m->msid_track);
	}
}

char *cvl_sdp_write(const cvl_sdp *sdp) {
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "v=0\r\no=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN IP4 127.0.0.1\r\n"
		"s=-\r\nt=0 0\r\n", sdp->session_id, sdp->version);
	if(sdp->bundle != NULL && sdp->bundle[0])
		g_string_append_printf(s, "a=group:BUNDLE %s\r\n", sdp->bundle);
	g_string_append(s, "a=msid-semantic: WMS *\r\n");
	if(sdp->ice_lite)
		g_string_append(s, "a=ice-lite\r\n");
	cvl_write_transport(s, sdp->ufrag, sdp->pwd, sdp->fp_hash, sdp->fp_value, sdp->setup);
	for(size_t i = 0; i < sdp->n_media; i++)
		cvl_write_media(s, &sdp->media[i]);
	return g_string_free(s, FALSE);
}
