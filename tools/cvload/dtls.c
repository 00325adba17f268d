/*
 * dtls.c - DTLS-SRTP with OpenSSL (see dtls.h).
 *
 * The write side is a tiny custom BIO: each BIO_write from OpenSSL is one
 * datagram, passed at once to the connection's send function (over libnice).
 * The read side is a memory BIO; incoming datagrams are appended to it and
 * OpenSSL reads records out of it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cvl.h"
#include "dtls.h"

#define CVL_DTLS_MTU 1200
#define CVL_SRTP_EXPORT_LABEL "EXTRACTOR-dtls_srtp"

struct cvl_dtls {
	SSL *ssl;
	BIO *rbio, *wbio;
	bool client, started, connected, done_failed;
	char fp_hash[16];
	char fp_value[160];
	uint8_t local_key[CVL_SRTP_KEY_LEN], remote_key[CVL_SRTP_KEY_LEN];
	cvl_dtls_send_fn send;
	void *user;
	const char *error;
};

static SSL_CTX *cvl_ctx;
static char cvl_fingerprint[160];
static BIO_METHOD *cvl_out_method;

/* --- the datagram-out BIO -------------------------------------------------- */

static int cvl_bio_write(BIO *bio, const char *data, int len) {
	cvl_dtls *d = BIO_get_data(bio);
	if(d != NULL && len > 0)
		d->send(d->user, (const uint8_t *)data, (size_t)len);
	return len;
}

static long cvl_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
	switch(cmd) {
		case BIO_CTRL_FLUSH:
			return 1;
		case BIO_CTRL_DGRAM_QUERY_MTU:
		case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
			return CVL_DTLS_MTU;
		case BIO_CTRL_WPENDING:
		case BIO_CTRL_PENDING:
			return 0;
		default:
			return 0;
	}
}

static int cvl_bio_create(BIO *bio) {
	BIO_set_init(bio, 1);
	return 1;
}

/* Retransmission timer: OpenSSL's default starts at 1 s, which a lost
 * first flight (the SFU not yet ready for DTLS when our ICE is) turns into
 * a second of set-up time; start at 200 ms and double up to 3 s. */
static unsigned int cvl_dtls_timer(SSL *ssl, unsigned int timer_us) {
	if(timer_us == 0)
		return 200000;
	return timer_us >= 1500000 ? 3000000 : 2 * timer_us;
}

/* --- certificate ----------------------------------------------------------- */

static void cvl_format_fp(const unsigned char *md, unsigned n, char *out, size_t cap) {
	size_t off = 0;
	for(unsigned i = 0; i < n && off + 4 <= cap; i++)
		off += (size_t)snprintf(out + off, cap - off, i ? ":%02X" : "%02X", md[i]);
}

static bool cvl_make_cert(EVP_PKEY **pkey_out, X509 **cert_out) {
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	if(pkey == NULL)
		return false;
	X509 *cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)(g_random_int() & 0x7fffffff));
	X509_gmtime_adj(X509_getm_notBefore(cert), -24 * 3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
	X509_set_pubkey(cert, pkey);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"cvload", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	if(X509_sign(cert, pkey, EVP_sha256()) == 0) {
		X509_free(cert);
		EVP_PKEY_free(pkey);
		return false;
	}
	*pkey_out = pkey;
	*cert_out = cert;
	return true;
}

static int cvl_verify_any(int ok, X509_STORE_CTX *ctx) {
	/* self-signed certificates: checked against the SDP fingerprint after
	 * the handshake */
	return 1;
}

bool cvl_dtls_global_init(void) {
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	if(!cvl_make_cert(&pkey, &cert))
		return false;
	cvl_ctx = SSL_CTX_new(DTLS_method());
	if(cvl_ctx == NULL)
		return false;
	SSL_CTX_set_min_proto_version(cvl_ctx, DTLS1_2_VERSION);
	if(SSL_CTX_use_certificate(cvl_ctx, cert) != 1 || SSL_CTX_use_PrivateKey(cvl_ctx, pkey) != 1
			|| SSL_CTX_check_private_key(cvl_ctx) != 1)
		return false;
	/* 0 = success for this one */
	if(SSL_CTX_set_tlsext_use_srtp(cvl_ctx, "SRTP_AES128_CM_SHA1_80") != 0)
		return false;
	SSL_CTX_set_verify(cvl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, cvl_verify_any);
	SSL_CTX_set_read_ahead(cvl_ctx, 1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	X509_digest(cert, EVP_sha256(), md, &mdlen);
	cvl_format_fp(md, mdlen, cvl_fingerprint, sizeof(cvl_fingerprint));
	X509_free(cert);
	EVP_PKEY_free(pkey);
	cvl_out_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cvload datagram out");
	BIO_meth_set_write(cvl_out_method, cvl_bio_write);
	BIO_meth_set_ctrl(cvl_out_method, cvl_bio_ctrl);
	BIO_meth_set_create(cvl_out_method, cvl_bio_create);
	return true;
}

const char *cvl_dtls_fingerprint(void) {
	return cvl_fingerprint;
}

/* --- one connection -------------------------------------------------------- */

cvl_dtls *cvl_dtls_new(bool client, const char *remote_fp_hash, const char *remote_fp_value,
		cvl_dtls_send_fn send, void *user) {
	cvl_dtls *d = g_new0(cvl_dtls, 1);
	d->client = client;
	d->send = send;
	d->user = user;
	d->error = "";
	g_strlcpy(d->fp_hash, remote_fp_hash ? remote_fp_hash : "", sizeof(d->fp_hash));
	g_strlcpy(d->fp_value, remote_fp_value ? remote_fp_value : "", sizeof(d->fp_value));
	d->ssl = SSL_new(cvl_ctx);
	d->rbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(d->rbio, -1);
	d->wbio = BIO_new(cvl_out_method);
	BIO_set_data(d->wbio, d);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, CVL_DTLS_MTU);
	DTLS_set_link_mtu(d->ssl, CVL_DTLS_MTU);
	DTLS_set_timer_cb(d->ssl, cvl_dtls_timer);
	if(client)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return d;
}

void cvl_dtls_free(cvl_dtls *d) {
	if(d == NULL)
		return;
	BIO_set_data(d->wbio, NULL);
	SSL_free(d->ssl);	/* frees both BIOs */
	g_free(d);
}

bool cvl_dtls_is_client(const cvl_dtls *d) {
	return d->client;
}

bool cvl_dtls_connected(const cvl_dtls *d) {
	return d->connected;
}

const char *cvl_dtls_error(const cvl_dtls *d) {
	return d->error;
}

static cvl_dtls_event cvl_dtls_fail(cvl_dtls *d, const char *why) {
	d->done_failed = true;
	d->error = why;
	ERR_clear_error();
	return CVL_DTLS_FAILED;
}

/* The handshake is complete: check the peer and export the keys. */
static cvl_dtls_event cvl_dtls_finish(cvl_dtls *d) {
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	if(peer == NULL)
		return cvl_dtls_fail(d, "no peer certificate");
	const EVP_MD *md = strcasecmp(d->fp_hash, "sha-1") == 0 ? EVP_sha1()
		: strcasecmp(d->fp_hash, "sha-384") == 0 ? EVP_sha384()
		: strcasecmp(d->fp_hash, "sha-512") == 0 ? EVP_sha512() : EVP_sha256();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	X509_digest(peer, md, digest, &dlen);
	X509_free(peer);
	char fp[160];
	cvl_format_fp(digest, dlen, fp, sizeof(fp));
	if(d->fp_value[0] && strcasecmp(fp, d->fp_value) != 0)
		return cvl_dtls_fail(d, "peer certificate does not match the SDP fingerprint");
	SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(d->ssl);
	if(profile == NULL || profile->id != SRTP_AES128_CM_SHA1_80)
		return cvl_dtls_fail(d, "no SRTP_AES128_CM_SHA1_80 negotiated");
	uint8_t material[2 * CVL_SRTP_KEY_LEN];
	if(SSL_export_keying_material(d->ssl, material, sizeof(material), CVL_SRTP_EXPORT_LABEL,
			strlen(CVL_SRTP_EXPORT_LABEL), NULL, 0, 0) != 1)
		return cvl_dtls_fail(d, "keying material export failed");
	/* client key | server key | client salt | server salt */
	uint8_t *ck = material, *sk = material + 16, *cs = material + 32, *ss = material + 46;
	memcpy(d->local_key, d->client ? ck : sk, 16);
	memcpy(d->local_key + 16, d->client ? cs : ss, 14);
	memcpy(d->remote_key, d->client ? sk : ck, 16);
	memcpy(d->remote_key + 16, d->client ? ss : cs, 14);
	d->connected = true;
	return CVL_DTLS_CONNECTED;
}

static cvl_dtls_event cvl_dtls_step(cvl_dtls *d) {
	if(d->done_failed)
		return CVL_DTLS_NONE;
	if(d->connected) {
		/* after the handshake only alerts come here: read them */
		uint8_t buf[2048];
		int n = SSL_read(d->ssl, buf, sizeof(buf));
		if(n <= 0) {
			int err = SSL_get_error(d->ssl, n);
			if(err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SSL) {
				d->done_failed = true;
				d->error = err == SSL_ERROR_ZERO_RETURN ? "close_notify" : "DTLS error";
				ERR_clear_error();
				return CVL_DTLS_CLOSED;
			}
		}
		ERR_clear_error();
		return CVL_DTLS_NONE;
	}
	int rc = SSL_do_handshake(d->ssl);
	if(rc == 1)
		return cvl_dtls_finish(d);
	int err = SSL_get_error(d->ssl, rc);
	if(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return CVL_DTLS_NONE;
	unsigned long e = ERR_peek_last_error();
	static char why[160];
	snprintf(why, sizeof(why), "handshake failed: %s", e ? ERR_reason_error_string(e) : "unknown");
	return cvl_dtls_fail(d, why);
}

cvl_dtls_event cvl_dtls_start(cvl_dtls *d) {
	if(!d->client || d->started)
		return CVL_DTLS_NONE;
	d->started = true;
	return cvl_dtls_step(d);
}

cvl_dtls_event cvl_dtls_incoming(cvl_dtls *d, const uint8_t *buf, size_t len) {
	if(d->done_failed)
		return CVL_DTLS_NONE;
	BIO_write(d->rbio, buf, (int)len);
	d->started = true;
	return cvl_dtls_step(d);
}

cvl_dtls_event cvl_dtls_tick(cvl_dtls *d) {
	if(!d->started || d->connected || d->done_failed)
		return CVL_DTLS_NONE;
	if(DTLSv1_handle_timeout(d->ssl) < 0)
		return cvl_dtls_fail(d, "handshake timed out");
	return CVL_DTLS_NONE;
}

void cvl_dtls_keys(const cvl_dtls *d, uint8_t local[CVL_SRTP_KEY_LEN], uint8_t remote[CVL_SRTP_KEY_LEN]) {
	memcpy(local, d->local_key, CVL_SRTP_KEY_LEN);
	memcpy(remote, d->remote_key, CVL_SRTP_KEY_LEN);
}
