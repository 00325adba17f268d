/*
 * srtp.c - libsrtp2 sessions for one PeerConnection (see srtp.h).
 *
 * The inbound session takes any SSRC (ssrc_any_inbound): libsrtp2 makes a
 * stream per new SSRC from the template, so SFU subscriptions that appear
 * later need nothing here. The replay window is widened to 1024 packets
 * so that bursts of reordering on a loaded machine do not read as replays.
 */
#include <string.h>

#include <glib.h>
#include <srtp2/srtp.h>

#include "srtp.h"

struct cvl_srtp {
	srtp_t tx, rx;
};

bool cvl_srtp_global_init(void) {
	return srtp_init() == srtp_err_status_ok;
}

static srtp_t cvl_srtp_session(const uint8_t key[CVL_SRTP_KEY_LEN], bool outbound) {
	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	uint8_t k[CVL_SRTP_KEY_LEN];
	memcpy(k, key, sizeof(k));
	policy.key = k;
	policy.window_size = 1024;
	policy.allow_repeat_tx = 1;
	policy.next = NULL;
	srtp_t session = NULL;
	if(srtp_create(&session, &policy) != srtp_err_status_ok)
		return NULL;
	return session;
}

cvl_srtp *cvl_srtp_new(const uint8_t local[CVL_SRTP_KEY_LEN], const uint8_t remote[CVL_SRTP_KEY_LEN]) {
	srtp_t tx = cvl_srtp_session(local, true);
	srtp_t rx = cvl_srtp_session(remote, false);
	if(tx == NULL || rx == NULL) {
		if(tx != NULL)
			srtp_dealloc(tx);
		if(rx != NULL)
			srtp_dealloc(rx);
		return NULL;
	}
	cvl_srtp *s = g_new0(cvl_srtp, 1);
	s->tx = tx;
	s->rx = rx;
	return s;
}

void cvl_srtp_free(cvl_srtp *s) {
	if(s == NULL)
		return;
	srtp_dealloc(s->tx);
	srtp_dealloc(s->rx);
	g_free(s);
}

bool cvl_srtp_protect(cvl_srtp *s, uint8_t *buf, size_t *len) {
	int n = (int)*len;
	if(srtp_protect(s->tx, buf, &n) != srtp_err_status_ok)
		return false;
	*len = (size_t)n;
	return true;
}

bool cvl_srtp_protect_rtcp(cvl_srtp *s, uint8_t *buf, size_t *len) {
	int n = (int)*len;
	if(srtp_protect_rtcp(s->tx, buf, &n) != srtp_err_status_ok)
		return false;
	*len = (size_t)n;
	return true;
}

bool cvl_srtp_unprotect(cvl_srtp *s, uint8_t *buf, size_t *len) {
	int n = (int)*len;
	if(srtp_unprotect(s->rx, buf, &n) != srtp_err_status_ok)
		return false;
	*len = (size_t)n;
	return true;
}

bool cvl_srtp_unprotect_rtcp(cvl_srtp *s, uint8_t *buf, size_t *len) {
	int n = (int)*len;
	if(srtp_unprotect_rtcp(s->rx, buf, &n) != srtp_err_status_ok)
		return false;
	*len = (size_t)n;
	return true;
}
