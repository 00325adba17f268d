/*
 * sdp.h - the SDP that cvload reads and writes: a small model of a session
 * description (the parts WebRTC offer/answer needs), a tolerant parser and
 * a writer.
 *
 * Design: one struct serves both ways. The parser fills it from any SDP
 * (unknown lines are skipped, over-long values truncated, too many codecs
 * or extensions ignored past the limits below); the writer prints it in the
 * order browsers use, so a parse of a written description gives the same
 * struct back (the unit tests check that round trip). Negotiation (which
 * codec, which direction) is not here: pc.c builds descriptions from its
 * transceivers and reads remote ones through this model.
 *
 * Pure logic: no I/O, no main loop. Strings are NUL-terminated copies;
 * cvl_sdp_free releases everything a description owns.
 */
#ifndef CVL_SDP_H
#define CVL_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CVL_SDP_TOKEN 64		/* mids, rids, ufrags, names */
#define CVL_SDP_LONG 160		/* fingerprints, URIs, fmtp, simulcast */
#define CVL_SDP_MAX_CODECS 16
#define CVL_SDP_MAX_FB 24
#define CVL_SDP_MAX_EXTMAPS 16
#define CVL_SDP_MAX_RIDS 4
#define CVL_SDP_MAX_SSRCS 8

typedef enum cvl_kind {
	CVL_KIND_AUDIO = 0,
	CVL_KIND_VIDEO = 1,
	CVL_KIND_APPLICATION = 2,
	CVL_KIND_OTHER = 3,
} cvl_kind;

typedef enum cvl_dir {
	CVL_DIR_SENDRECV = 0,
	CVL_DIR_SENDONLY,
	CVL_DIR_RECVONLY,
	CVL_DIR_INACTIVE,
} cvl_dir;

#define CVL_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define CVL_URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"

typedef struct cvl_sdp_codec {
	int pt;
	char name[CVL_SDP_TOKEN];		/* "opus", "VP8" (as written) */
	int clock;
	int channels;				/* 0 when absent */
	char fmtp[CVL_SDP_LONG];		/* "" when none */
} cvl_sdp_codec;

typedef struct cvl_sdp_fb {
	int pt;					/* -1 for "*" */
	char value[CVL_SDP_TOKEN];		/* "nack pli", "ccm fir" */
} cvl_sdp_fb;

typedef struct cvl_sdp_extmap {
	int id;
	char uri[CVL_SDP_LONG];
} cvl_sdp_extmap;

typedef struct cvl_sdp_rid {
	char id[CVL_SDP_TOKEN];
	bool send;				/* "send" (else "recv") */
} cvl_sdp_rid;

typedef struct cvl_sdp_media {
	cvl_kind kind;
	char kind_name[16];			/* "audio", "video", "application", ... */
	int port;				/* 0 = rejected/stopped */
	char proto[CVL_SDP_TOKEN];		/* "UDP/TLS/RTP/SAVPF" */
	char fmt[CVL_SDP_TOKEN];		/* the formats of a non-RTP m-line */
	char mid[CVL_SDP_TOKEN];
	cvl_dir dir;
	bool has_dir;				/* a direction attribute was present */
	bool rtcp_mux, rtcp_rsize;
	cvl_sdp_codec codecs[CVL_SDP_MAX_CODECS];
	size_t n_codecs;
	cvl_sdp_fb fbs[CVL_SDP_MAX_FB];
	size_t n_fbs;
	cvl_sdp_extmap extmaps[CVL_SDP_MAX_EXTMAPS];
	size_t n_extmaps;
	cvl_sdp_rid rids[CVL_SDP_MAX_RIDS];
	size_t n_rids;
	char simulcast[CVL_SDP_LONG];		/* value of a=simulcast, "" when none */
	uint32_t ssrcs[CVL_SDP_MAX_SSRCS];	/* a=ssrc ids in order, each once */
	size_t n_ssrcs;
	char cname[CVL_SDP_TOKEN];		/* of the first a=ssrc cname */
	char msid_stream[CVL_SDP_TOKEN], msid_track[CVL_SDP_TOKEN];	/* a=msid */
	/* transport (media level; the session level is used when absent) */
	char ufrag[CVL_SDP_TOKEN], pwd[CVL_SDP_TOKEN];
	char fp_hash[16], fp_value[CVL_SDP_LONG];	/* "sha-256", "AB:CD:..." */
	char setup[16];				/* actpass/active/passive, "" when none */
	char **candidates;			/* "candidate:..." values (no "a=") */
	size_t n_candidates;
	bool end_of_candidates;
} cvl_sdp_media;

typedef struct cvl_sdp {
	uint64_t session_id;
	uint64_t version;
	char ufrag[CVL_SDP_TOKEN], pwd[CVL_SDP_TOKEN];
	char fp_hash[16], fp_value[CVL_SDP_LONG];
	char setup[16];
	bool ice_lite;
	char *bundle;				/* "0 1 f1" of a=group:BUNDLE, or NULL */
	cvl_sdp_media *media;
	size_t n_media;
} cvl_sdp;

/* Parses text into out (zeroed first). False when it is not an SDP at all
 * (no v= line or an m-line that cannot be read); out is then freed. */
bool cvl_sdp_parse(const char *text, cvl_sdp *out);
/* Writes a description; the caller g_free()s the text. */
char *cvl_sdp_write(const cvl_sdp *sdp);
void cvl_sdp_free(cvl_sdp *sdp);

/* Appends a zeroed m-line (dir sendrecv) and returns it; pointers to
 * earlier m-lines may move. */
cvl_sdp_media *cvl_sdp_add_media(cvl_sdp *sdp, cvl_kind kind);
/* Appends a copy of a candidate value ("candidate:..."). */
void cvl_sdp_media_add_candidate(cvl_sdp_media *m, const char *candidate);
/* The transport attributes of an m-line, with the session level as the
 * fallback ("" when neither has it). */
const char *cvl_sdp_ufrag(const cvl_sdp *sdp, const cvl_sdp_media *m);
const char *cvl_sdp_pwd(const cvl_sdp *sdp, const cvl_sdp_media *m);
const char *cvl_sdp_fp_hash(const cvl_sdp *sdp, const cvl_sdp_media *m);
const char *cvl_sdp_fp_value(const cvl_sdp *sdp, const cvl_sdp_media *m);
const char *cvl_sdp_setup(const cvl_sdp *sdp, const cvl_sdp_media *m);

/* The codec named `name` (case-insensitive) in m, or NULL. */
const cvl_sdp_codec *cvl_sdp_find_codec(const cvl_sdp_media *m, const char *name);
/* The id of the header extension `uri` in m, or 0. */
int cvl_sdp_extmap_id(const cvl_sdp_media *m, const char *uri);
/* The m-line with this mid, or NULL. */
cvl_sdp_media *cvl_sdp_find_mid(const cvl_sdp *sdp, const char *mid);

/* The direction seen from the other side (sendonly <-> recvonly). */
cvl_dir cvl_dir_reverse(cvl_dir dir);
const char *cvl_dir_name(cvl_dir dir);
bool cvl_dir_sends(cvl_dir dir);
bool cvl_dir_recvs(cvl_dir dir);
cvl_dir cvl_dir_make(bool send, bool recv);
const char *cvl_kind_name(cvl_kind kind);

#endif
