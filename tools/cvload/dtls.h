/*
 * dtls.h - DTLS-SRTP for one PeerConnection, with OpenSSL.
 *
 * One process-wide SSL_CTX (DTLS, use_srtp SRTP_AES128_CM_SHA1_80) with one
 * self-signed ECDSA P-256 certificate made at start; its SHA-256
 * fingerprint goes into every SDP. Per connection, one SSL whose write BIO
 * hands every datagram OpenSSL produces straight to a send function (so
 * each flight goes out as the datagrams OpenSSL cut, under the MTU), and
 * whose read BIO is a memory BIO fed with the DTLS datagrams received.
 *
 * The role follows the SDP (a=setup): client (active) starts the handshake
 * once ICE is connected; server (passive) waits for the ClientHello.
 * Retransmissions: the owner calls cvl_dtls_tick regularly. When the
 * handshake completes, the peer certificate is checked against the
 * fingerprint of the remote SDP and the SRTP keys are exported (RFC 5764).
 *
 * Main loop thread only.
 */
#ifndef CVL_DTLS_H
#define CVL_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CVL_SRTP_KEY_LEN 30	/* 16-byte key + 14-byte salt */

typedef struct cvl_dtls cvl_dtls;
typedef void (*cvl_dtls_send_fn)(void *user, const uint8_t *buf, size_t len);

typedef enum cvl_dtls_event {
	CVL_DTLS_NONE = 0,
	CVL_DTLS_CONNECTED,	/* handshake done, keys ready */
	CVL_DTLS_FAILED,	/* handshake error or fingerprint mismatch */
	CVL_DTLS_CLOSED,	/* close_notify or fatal alert after the handshake */
} cvl_dtls_event;

/* Makes the context and certificate; false on failure. */
bool cvl_dtls_global_init(void);
/* "AB:CD:..." of our certificate (SHA-256). */
const char *cvl_dtls_fingerprint(void);

cvl_dtls *cvl_dtls_new(bool client, const char *remote_fp_hash, const char *remote_fp_value,
	cvl_dtls_send_fn send, void *user);
void cvl_dtls_free(cvl_dtls *d);
bool cvl_dtls_is_client(const cvl_dtls *d);
/* Client: sends the ClientHello (once). */
cvl_dtls_event cvl_dtls_start(cvl_dtls *d);
/* A DTLS datagram from the peer. */
cvl_dtls_event cvl_dtls_incoming(cvl_dtls *d, const uint8_t *buf, size_t len);
/* Retransmission timer; call every ~50-100 ms while not connected. */
cvl_dtls_event cvl_dtls_tick(cvl_dtls *d);
bool cvl_dtls_connected(const cvl_dtls *d);
/* The exported SRTP keys (key || salt), ours for sending and the peer's. */
void cvl_dtls_keys(const cvl_dtls *d, uint8_t local[CVL_SRTP_KEY_LEN], uint8_t remote[CVL_SRTP_KEY_LEN]);
/* Why it failed, for the log (static text or "" ). */
const char *cvl_dtls_error(const cvl_dtls *d);

#endif
