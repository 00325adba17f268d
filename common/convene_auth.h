/*
 * convene_auth.h - the token settings, read the same way by both modules.
 *
 * janus.transport.convene.jcfg and janus.plugin.convene.jcfg each carry
 * them (the transport refuses bad tokens at connect, the plugin checks the
 * token again at join), in their `general` category:
 *
 *   auth = "jwt" | "none"
 *   jwt_secret = "..."            a key without an id
 *   jwt_key_<kid> = "..."         keys with an id (the token header's kid);
 *                                 several may be active while rotating
 *   jwt_clock_skew = 30           seconds allowed on exp/nbf
 *   jwt_audience = "..."          when set, tokens must carry it in `aud`
 *   jwt_issuer = "..."            when set, tokens must carry it in `iss`
 *
 * Janus-facing (janus_config); compiled into both modules.
 */
#ifndef CONVENE_AUTH_H
#define CONVENE_AUTH_H

#include <glib.h>

#include <config.h>

#include "cv_jwt.h"

typedef struct convene_auth {
	gboolean none;			/* auth = "none": no token required */
	cv_jwt_key *keys;		/* owned, with their kid and secret strings */
	size_t n_keys;
	cv_jwt_policy policy;	/* points into keys */
	char *audience, *issuer;
} convene_auth;

/* Reads the settings of `general`; `who` names the module in error logs.
 * Returns 0, or -1 (logged) for an invalid setting or jwt without a key.
 * config may be NULL (defaults: jwt, no key: an error). */
int convene_auth_load(janus_config *config, janus_config_category *general, const char *who, convene_auth *auth);
void convene_auth_free(convene_auth *auth);
/* Verifies a token now; see cv_jwt_verify_policy. Any thread. */
gboolean convene_auth_verify(const convene_auth *auth, const char *token, cv_claims *claims, cv_error *err);

#endif
