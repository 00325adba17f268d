/*
 * pc.c - a PeerConnection toward the SFU: its transport (see pc.h).
 *
 * Layout: DTLS events and the retransmission timer - libnice glue (agent,
 * gathering, state, receive and demux) - our transport attributes for a
 * description - the remote transport (credentials, candidates, DTLS role)
 * - sending. Offer/answer over the transceivers is in negotiate.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sys/socket.h>

#include <agent.h>
#include <gio/gio.h>
#include <glib.h>

#include "cvl.h"
#include "dtls.h"
#include "media.h"
#include "pc.h"
#include "peer.h"
#include "rtp.h"
#include "srtp.h"

#define CVL_DTLS_TICK_MS 50
#define CVL_SOCKET_BUFFER (2 << 20)

static GPtrArray *cvl_pcs;

GPtrArray *cvl_pc_all(void) {
	return cvl_pcs;
}

static void cvl_pc_set_failed(cvl_pc *pc, const char *why) {
	if(pc->state == CVL_PC_FAILED || pc->state == CVL_PC_CLOSED)
		return;
	bool was_up = pc->state == CVL_PC_UP;
	pc->state = CVL_PC_FAILED;
	if(!cvl_running())
		return;
	cvl_peer_fail(pc->peer, "%s PeerConnection %s: %s", pc->label, was_up ? "lost" : "failed", why);
}

/* --- DTLS and SRTP ---------------------------------------------------------- */

static void cvl_pc_dtls_send(void *user, const uint8_t *buf, size_t len) {
	cvl_pc *pc = user;
	if(pc->agent != NULL)
		nice_agent_send(pc->agent, pc->stream, 1, (guint)len, (const gchar *)buf);
}

static void cvl_pc_dtls_event(cvl_pc *pc, cvl_dtls_event ev) {
	if(ev == CVL_DTLS_CONNECTED) {
		uint8_t local[CVL_SRTP_KEY_LEN], remote[CVL_SRTP_KEY_LEN];
		cvl_dtls_keys(pc->dtls, local, remote);
		pc->srtp = cvl_srtp_new(local, remote);
		if(pc->srtp == NULL) {
			cvl_pc_set_failed(pc, "libsrtp2 refused the keys");
			return;
		}
		pc->state = CVL_PC_UP;
		pc->t_up = cvl_now_ns();
		cvl_log(3, "%s/%s: DTLS up (%s) after %.1f ms\n", pc->peer->user_id, pc->label,
			cvl_dtls_is_client(pc->dtls) ? "client" : "server", (pc->t_up - pc->t_created) / 1e6);
		cvl_peer_pc_up(pc->peer, pc);
	} else if(ev == CVL_DTLS_FAILED || ev == CVL_DTLS_CLOSED) {
		cvl_pc_set_failed(pc, cvl_dtls_error(pc->dtls));
	}
}

static gboolean cvl_pc_dtls_timer(gpointer data) {
	for(guint i = 0; i < cvl_pcs->len; i++) {
		cvl_pc *pc = g_ptr_array_index(cvl_pcs, i);
		if(pc->dtls != NULL && pc->state == CVL_PC_NEW)
			cvl_pc_dtls_event(pc, cvl_dtls_tick(pc->dtls));
	}
	return G_SOURCE_CONTINUE;
}

void cvl_pc_global_init(void) {
	cvl_pcs = g_ptr_array_new();
	g_timeout_add(CVL_DTLS_TICK_MS, cvl_pc_dtls_timer, NULL);
}

/* --- libnice ---------------------------------------------------------------- */

static void cvl_pc_on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *data, gpointer user) {
	cvl_pc *pc = user;
	if(pc->state == CVL_PC_CLOSED || len == 0 || len > CVL_RTP_MAX + 64)
		return;
	int64_t now = cvl_now_ns();
	uint8_t buf[CVL_RTP_MAX + 64];
	memcpy(buf, data, len);
	uint8_t b = buf[0];
	if(b >= 20 && b <= 63) {
		if(pc->dtls != NULL)
			cvl_pc_dtls_event(pc, cvl_dtls_incoming(pc->dtls, buf, len));
		return;
	}
	if(b < 128 || b > 191 || pc->srtp == NULL)
		return;
	size_t n = len;
	if(cvl_is_rtcp(buf, n)) {
		if(!cvl_srtp_unprotect_rtcp(pc->srtp, buf, &n)) {
			pc->srtp_errors++;
			cvl_stats.srtp_errors++;
			return;
		}
		cvl_media_on_rtcp(pc, buf, n, now);
	} else {
		if(!cvl_srtp_unprotect(pc->srtp, buf, &n)) {
			pc->srtp_errors++;
			cvl_stats.srtp_errors++;
			return;
		}
		cvl_media_on_rtp(pc, buf, n, now);
	}
}

/* Bigger socket buffers: a loop that stalls for a few hundred ms (a busy
 * machine) must not turn into drops in the kernel. SO_RCVBUFFORCE works as
 * root, beyond net.core.rmem_max; SO_RCVBUF is the fallback. */
static void cvl_pc_grow_buffers(cvl_pc *pc) {
	GPtrArray *socks = nice_agent_get_sockets(pc->agent, pc->stream, 1);
	if(socks == NULL)
		return;
	for(guint i = 0; i < socks->len; i++) {
		int fd = g_socket_get_fd(g_ptr_array_index(socks, i));
		int size = CVL_SOCKET_BUFFER;
		if(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		if(setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	g_ptr_array_unref(socks);
}

static void cvl_pc_on_gathering_done(NiceAgent *agent, guint stream, gpointer user) {
	cvl_pc *pc = user;
	if(pc->gathered)
		return;
	pc->gathered = true;
	cvl_pc_grow_buffers(pc);
	if(pc->on_gathered != NULL) {
		void (*fn)(cvl_pc *, void *) = pc->on_gathered;
		pc->on_gathered = NULL;
		fn(pc, pc->on_gathered_data);
	}
}

static void cvl_pc_on_state(NiceAgent *agent, guint stream, guint component, guint state, gpointer user) {
	cvl_pc *pc = user;
	cvl_log(3, "%s/%s: ICE %s\n", pc->peer->user_id, pc->label, nice_component_state_to_string(state));
	if(state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
		if(!pc->ice_connected) {
			pc->ice_connected = true;
			if(pc->dtls != NULL && cvl_dtls_is_client(pc->dtls))
				cvl_pc_dtls_event(pc, cvl_dtls_start(pc->dtls));
		}
	} else if(state == NICE_COMPONENT_STATE_FAILED) {
		cvl_pc_set_failed(pc, "ICE failed");
	}
}

cvl_pc *cvl_pc_new(struct cvl_peer *peer, const char *label) {
	cvl_pc *pc = g_new0(cvl_pc, 1);
	pc->peer = peer;
	g_strlcpy(pc->label, label, sizeof(pc->label));
	pc->trx = g_ptr_array_new_with_free_func(g_free);
	pc->remote_cands = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pc->pending_cands = g_ptr_array_new_with_free_func(g_free);
	pc->rx = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, cvl_rx_free);
	pc->senders = g_ptr_array_new();
	pc->session_id = ((uint64_t)g_random_int() << 31) ^ g_random_int();
	pc->rtcp_ssrc = g_random_int();
	pc->t_created = cvl_now_ns();
	NiceAgent *agent = nice_agent_new_full(g_main_context_default(), NICE_COMPATIBILITY_RFC5245,
		NICE_AGENT_OPTION_ICE_TRICKLE);
	g_object_set(agent, "ice-tcp", FALSE, "upnp", FALSE, NULL);
	pc->agent = agent;
	if(cvl_cfg.ice_ip != NULL) {
		NiceAddress addr;
		nice_address_init(&addr);
		if(!nice_address_set_from_string(&addr, cvl_cfg.ice_ip) || !nice_agent_add_local_address(agent, &addr)) {
			cvl_error("cannot use --ice-ip %s", cvl_cfg.ice_ip);
			g_object_unref(agent);
			pc->agent = NULL;
			return NULL;
		}
	}
	pc->stream = nice_agent_add_stream(agent, 1);
	g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(cvl_pc_on_gathering_done), pc);
	g_signal_connect(agent, "component-state-changed", G_CALLBACK(cvl_pc_on_state), pc);
	nice_agent_attach_recv(agent, pc->stream, 1, g_main_context_default(), cvl_pc_on_recv, pc);
	if(!nice_agent_gather_candidates(agent, pc->stream)) {
		cvl_error("libnice could not gather candidates");
		g_object_unref(agent);
		pc->agent = NULL;
		return NULL;
	}
	gchar *ufrag = NULL, *pwd = NULL;
	nice_agent_get_local_credentials(agent, pc->stream, &ufrag, &pwd);
	g_strlcpy(pc->ufrag, ufrag ? ufrag : "", sizeof(pc->ufrag));
	g_strlcpy(pc->pwd, pwd ? pwd : "", sizeof(pc->pwd));
	g_free(ufrag);
	g_free(pwd);
	g_ptr_array_add(cvl_pcs, pc);
	if(peer->pcs != NULL)
		g_ptr_array_add(peer->pcs, pc);
	return pc;
}

void cvl_pc_when_gathered(cvl_pc *pc, void (*fn)(cvl_pc *pc, void *data), void *data) {
	if(pc->gathered) {
		fn(pc, data);
		return;
	}
	pc->on_gathered = fn;
	pc->on_gathered_data = data;
}

/* --- transport attributes ---------------------------------------------------- */

void cvl_pc_set_controlling(cvl_pc *pc, bool controlling) {
	if(pc->controlling_set)
		return;
	g_object_set(pc->agent, "controlling-mode", controlling ? TRUE : FALSE, NULL);
	pc->controlling_set = true;
}

void cvl_pc_local_transport(cvl_pc *pc, cvl_sdp_media *m, const char *setup, bool candidates) {
	g_strlcpy(m->ufrag, pc->ufrag, sizeof(m->ufrag));
	g_strlcpy(m->pwd, pc->pwd, sizeof(m->pwd));
	g_strlcpy(m->fp_hash, "sha-256", sizeof(m->fp_hash));
	g_strlcpy(m->fp_value, cvl_dtls_fingerprint(), sizeof(m->fp_value));
	g_strlcpy(m->setup, setup, sizeof(m->setup));
	if(!candidates)
		return;
	GSList *cands = nice_agent_get_local_candidates(pc->agent, pc->stream, 1);
	for(GSList *l = cands; l != NULL; l = l->next) {
		NiceCandidate *c = l->data;
		if(c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
			continue;
		gchar *line = nice_agent_generate_local_candidate_sdp(pc->agent, c);
		if(line != NULL)
			cvl_sdp_media_add_candidate(m, g_str_has_prefix(line, "a=") ? line + 2 : line);
		g_free(line);
	}
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	m->end_of_candidates = true;
}

/* --- the remote transport --------------------------------------------------- */

static void cvl_pc_add_candidate_now(cvl_pc *pc, const char *cand) {
	if(g_hash_table_contains(pc->remote_cands, cand))
		return;
	g_hash_table_add(pc->remote_cands, g_strdup(cand));
	if(strstr(cand, " tcp ") != NULL || strstr(cand, " TCP ") != NULL)
		return;
	gchar *line = g_str_has_prefix(cand, "a=") ? g_strdup(cand) : g_strdup_printf("a=%s", cand);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(pc->agent, pc->stream, line);
	g_free(line);
	if(c == NULL) {
		cvl_log(2, "%s/%s: unparsable remote candidate %s\n", pc->peer->user_id, pc->label, cand);
		return;
	}
	GSList *list = g_slist_append(NULL, c);
	nice_agent_set_remote_candidates(pc->agent, pc->stream, 1, list);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

void cvl_pc_add_remote_candidate(cvl_pc *pc, const char *candidate) {
	if(candidate == NULL || candidate[0] == '\0' || pc->agent == NULL)
		return;
	if(!pc->remote_creds) {
		g_ptr_array_add(pc->pending_cands, g_strdup(candidate));
		return;
	}
	cvl_pc_add_candidate_now(pc, candidate);
}

void cvl_pc_remote_candidates_done(cvl_pc *pc) {
	if(pc->agent != NULL && pc->remote_creds)
		nice_agent_peer_candidate_gathering_done(pc->agent, pc->stream);
}

/* Credentials, candidates, DTLS role of a remote description. */
bool cvl_pc_apply_transport(cvl_pc *pc, const cvl_sdp *sdp, bool remote_is_offer) {
	const cvl_sdp_media *m = NULL;
	for(size_t i = 0; i < sdp->n_media && m == NULL; i++) {
		if(sdp->media[i].port != 0)
			m = &sdp->media[i];
	}
	if(m == NULL)
		return true;	/* everything rejected: nothing to connect */
	const char *ufrag = cvl_sdp_ufrag(sdp, m), *pwd = cvl_sdp_pwd(sdp, m);
	if(!ufrag[0] || !pwd[0]) {
		cvl_error("remote SDP without ICE credentials");
		return false;
	}
	if(!pc->remote_creds) {
		g_strlcpy(pc->remote_ufrag, ufrag, sizeof(pc->remote_ufrag));
		g_strlcpy(pc->remote_pwd, pwd, sizeof(pc->remote_pwd));
		nice_agent_set_remote_credentials(pc->agent, pc->stream, ufrag, pwd);
		pc->remote_creds = true;
		for(guint i = 0; i < pc->pending_cands->len; i++)
			cvl_pc_add_candidate_now(pc, g_ptr_array_index(pc->pending_cands, i));
		g_ptr_array_set_size(pc->pending_cands, 0);
	} else if(strcmp(ufrag, pc->remote_ufrag) != 0) {
		cvl_error("the SFU restarted ICE (new credentials): not supported");
	}
	bool eoc = false;
	for(size_t i = 0; i < sdp->n_media; i++) {
		for(size_t c = 0; c < sdp->media[i].n_candidates; c++)
			cvl_pc_add_candidate_now(pc, sdp->media[i].candidates[c]);
		eoc = eoc || sdp->media[i].end_of_candidates;
	}
	if(eoc)
		nice_agent_peer_candidate_gathering_done(pc->agent, pc->stream);
	if(pc->dtls == NULL) {
		const char *setup = cvl_sdp_setup(sdp, m);
		/* they are active: we are the server; passive or actpass: client */
		bool client = strcasecmp(setup, "active") != 0;
		if(!remote_is_offer && strcasecmp(setup, "actpass") == 0) {
			cvl_error("answer with a=setup:actpass");
			return false;
		}
		pc->dtls = cvl_dtls_new(client, cvl_sdp_fp_hash(sdp, m), cvl_sdp_fp_value(sdp, m), cvl_pc_dtls_send, pc);
		if(client && pc->ice_connected)
			cvl_pc_dtls_event(pc, cvl_dtls_start(pc->dtls));
	}
	return true;
}

/* --- sending --------------------------------------------------------------- */

bool cvl_pc_send_rtp(cvl_pc *pc, uint8_t *buf, size_t len) {
	if(pc->state != CVL_PC_UP || pc->srtp == NULL)
		return false;
	if(!cvl_srtp_protect(pc->srtp, buf, &len)) {
		cvl_stats.srtp_errors++;
		return false;
	}
	if(nice_agent_send(pc->agent, pc->stream, 1, (guint)len, (const gchar *)buf) < 0) {
		cvl_stats.send_errors++;
		return false;
	}
	return true;
}

bool cvl_pc_send_rtcp(cvl_pc *pc, uint8_t *buf, size_t len) {
	if(pc->state != CVL_PC_UP || pc->srtp == NULL)
		return false;
	if(!cvl_srtp_protect_rtcp(pc->srtp, buf, &len)) {
		cvl_stats.srtp_errors++;
		return false;
	}
	if(nice_agent_send(pc->agent, pc->stream, 1, (guint)len, (const gchar *)buf) < 0) {
		cvl_stats.send_errors++;
		return false;
	}
	cvl_stats.rtcp_sent++;
	return true;
}

void cvl_pc_close(cvl_pc *pc) {
	if(pc->state == CVL_PC_CLOSED)
		return;
	pc->state = CVL_PC_CLOSED;
	if(pc->agent != NULL)
		nice_agent_remove_stream(pc->agent, pc->stream);
}
