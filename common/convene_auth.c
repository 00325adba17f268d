/*
 * convene_auth.c - token settings shared by both modules (see convene_auth.h).
 */
#include <string.h>

#include <debug.h>

#include "convene_auth.h"
#include "cv_time.h"

/* Adds one key (copies kid and secret). */
static void convene_auth_add_key(convene_auth *auth, const char *kid, const char *secret) {
	auth->keys = g_realloc_n(auth->keys, auth->n_keys + 1, sizeof(cv_jwt_key));
	cv_jwt_key *key = &auth->keys[auth->n_keys++];
	key->kid = kid ? g_strdup(kid) : NULL;
	key->secret = (const unsigned char *)g_strdup(secret);
	key->secret_len = strlen(secret);
}

int convene_auth_load(janus_config *config, janus_config_category *general, const char *who, convene_auth *auth) {
	memset(auth, 0, sizeof(*auth));
	auth->policy.skew_s = 30;
	GList *items = config ? janus_config_get_items(config, general) : NULL;
	int res = 0;
	for(GList *l = items; l != NULL; l = l->next) {
		janus_config_item *item = l->data;
		if(item->name == NULL || item->value == NULL)
			continue;
		if(strcmp(item->name, "auth") == 0) {
			if(strcmp(item->value, "none") == 0) {
				auth->none = TRUE;
			} else if(strcmp(item->value, "jwt") != 0) {
				JANUS_LOG(LOG_ERR, "[%s] auth must be \"jwt\" or \"none\", not \"%s\"\n", who, item->value);
				res = -1;
			}
		} else if(strcmp(item->name, "jwt_secret") == 0 && *item->value != '\0') {
			convene_auth_add_key(auth, NULL, item->value);
		} else if(g_str_has_prefix(item->name, "jwt_key_") && item->name[8] != '\0' && *item->value != '\0') {
			convene_auth_add_key(auth, item->name + 8, item->value);
		} else if(strcmp(item->name, "jwt_clock_skew") == 0) {
			auth->policy.skew_s = atoi(item->value);
		} else if(strcmp(item->name, "jwt_audience") == 0 && *item->value != '\0') {
			auth->audience = g_strdup(item->value);
		} else if(strcmp(item->name, "jwt_issuer") == 0 && *item->value != '\0') {
			auth->issuer = g_strdup(item->value);
		}
	}
	g_list_free(items);
	if(res == 0 && !auth->none && auth->n_keys == 0) {
		JANUS_LOG(LOG_ERR, "[%s] auth = \"jwt\" needs jwt_secret or jwt_key_<kid>\n", who);
		res = -1;
	}
	auth->policy.keys = auth->keys;
	auth->policy.n_keys = auth->n_keys;
	auth->policy.audience = auth->audience;
	auth->policy.issuer = auth->issuer;
	return res;
}

void convene_auth_free(convene_auth *auth) {
	for(size_t i = 0; i < auth->n_keys; i++) {
		g_free((char *)auth->keys[i].kid);
		g_free((unsigned char *)auth->keys[i].secret);
	}
	g_free(auth->keys);
	g_free(auth->audience);
	g_free(auth->issuer);
	memset(auth, 0, sizeof(*auth));
}

gboolean convene_auth_verify(const convene_auth *auth, const char *token, cv_claims *claims, cv_error *err) {
	return cv_jwt_verify_policy(token, &auth->policy, cv_now_s(), claims, err);
}
