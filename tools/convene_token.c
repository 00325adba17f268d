/*
 * convene_token.c - mints a Convene access token (HS256 JWT) on stdout.
 *
 *   convene-token --secret SECRET [--kid KID] --sub USER [--name NAME]
 *       [--room ROOM] [--ttl SECONDS] [--nbf-offset SECONDS]
 *       [--grant NAME=true|false ...]
 *
 * Design: this is a thin front end to cv_jwt_sign(), the same code the
 * tests use, so a token it prints is exactly what the verifier in the
 * transport expects (cv_jwt_verify). The tool checks its input against the
 * same rules the verifier applies (cv_id_valid for sub and room, the
 * CV_NAME_MAX_LEN limit for name, the six known grants, booleans only) and
 * refuses what the server would refuse, so a mistake shows up here with a
 * message rather than as a 401 later. Only the grants given on the command
 * line go into the token; the others take their defaults at verification
 * (publish, subscribe, data: true; record, moderate, create: false).
 *
 * The payload holds sub, iat, exp (now + ttl, default 3600) and, when given,
 * nbf (now + offset), name, room and grants. A zero or negative ttl mints a
 * token that is already expired, and a positive nbf offset one that is not
 * valid yet: both are useful to test the server's refusals. Offsets are
 * limited to 100 years either way so the arithmetic cannot overflow.
 *
 * The secret is taken from the command line as given (its bytes are the
 * HMAC key): on a shared machine, other users can see a process's
 * arguments, so mint production tokens elsewhere or from a script that
 * does not expose them.
 *
 * Output: the token and a newline on stdout, exit status 0. Errors: a
 * message on stderr and exit status 2. --help prints the usage on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cv_envelope.h"
#include "cv_jwt.h"
#include "cv_time.h"

#define CV_TOKEN_EXIT_ERROR 2
#define CV_TOKEN_DEFAULT_TTL 3600
/* 100 years, in seconds: the largest ttl or nbf offset accepted */
#define CV_TOKEN_MAX_OFFSET ((int64_t)100 * 366 * 24 * 3600)

static const char *cv_token_grant_names[] = {
	"publish", "subscribe", "data", "record", "moderate", "create",
};
#define CV_TOKEN_GRANTS (sizeof(cv_token_grant_names)/sizeof(cv_token_grant_names[0]))

static void cv_token_usage(FILE *out) {
	fprintf(out,
		"Usage: convene-token --secret SECRET [--kid KID] --sub USER [--name NAME]\n"
		"                     [--room ROOM] [--ttl SECONDS] [--nbf-offset SECONDS]\n"
		"                     [--grant NAME=true|false ...]\n"
		"\n"
		"Mints a Convene access token (an HS256 JSON Web Token) and prints it.\n"
		"\n"
		"  --secret SECRET      HMAC key shared with the server (required)\n"
		"  --kid KID            key id to put in the header (selects the server key)\n"
		"  --sub USER           user id (required; 1..%d bytes, no control chars)\n"
		"  --name NAME          display name (up to %d bytes)\n"
		"  --room ROOM          room the token is limited to, or \"*\" (default: any)\n"
		"  --ttl SECONDS        lifetime from now (default %d; <= 0 mints an expired token)\n"
		"  --nbf-offset SECONDS not valid before now + SECONDS (may be negative)\n"
		"  --grant NAME=BOOL    set a grant; NAME is one of publish, subscribe, data,\n"
		"                       record, moderate, create; BOOL is true or false.\n"
		"                       Repeat for several grants; the last one for a NAME wins.\n"
		"                       Defaults: publish, subscribe, data true; others false.\n"
		"  --help               show this help\n"
		"\n"
		"The token and a newline go to stdout. Errors go to stderr, exit status 2.\n",
		CV_ID_MAX_LEN, CV_NAME_MAX_LEN, CV_TOKEN_DEFAULT_TTL);
}

/* Prints an error (and a pointer to --help) and returns the exit status. */
static int cv_token_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int cv_token_fail(const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	fprintf(stderr, "convene-token: ");
	vfprintf(stderr, format, ap);
	fprintf(stderr, "\nTry 'convene-token --help' for more information.\n");
	va_end(ap);
	return CV_TOKEN_EXIT_ERROR;
}

/* Parses a whole decimal number within +/- CV_TOKEN_MAX_OFFSET. */
static bool cv_token_parse_offset(const char *text, int64_t *out) {
	if(text == NULL || *text == '\0')
		return false;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if(errno != 0 || end == text || *end != '\0')
		return false;
	if(v > CV_TOKEN_MAX_OFFSET || v < -CV_TOKEN_MAX_OFFSET)
		return false;
	*out = (int64_t)v;
	return true;
}

/* Parses "name=true|false" into grants (a JSON object). */
static bool cv_token_parse_grant(const char *text, json_t *grants) {
	const char *eq = strchr(text, '=');
	if(eq == NULL || eq == text)
		return false;
	size_t name_len = (size_t)(eq - text);
	const char *value = eq + 1;
	bool flag;
	if(strcmp(value, "true") == 0)
		flag = true;
	else if(strcmp(value, "false") == 0)
		flag = false;
	else
		return false;
	for(size_t i = 0; i < CV_TOKEN_GRANTS; i++) {
		const char *name = cv_token_grant_names[i];
		if(strlen(name) == name_len && strncmp(text, name, name_len) == 0) {
			json_object_set_new(grants, name, json_boolean(flag));
			return true;
		}
	}
	return false;
}

enum {
	CV_OPT_SECRET = 1000,
	CV_OPT_KID,
	CV_OPT_SUB,
	CV_OPT_NAME,
	CV_OPT_ROOM,
	CV_OPT_TTL,
	CV_OPT_NBF_OFFSET,
	CV_OPT_GRANT,
	CV_OPT_HELP,
};

int main(int argc, char *argv[]) {
	static const struct option options[] = {
		{ "secret", required_argument, NULL, CV_OPT_SECRET },
		{ "kid", required_argument, NULL, CV_OPT_KID },
		{ "sub", required_argument, NULL, CV_OPT_SUB },
		{ "name", required_argument, NULL, CV_OPT_NAME },
		{ "room", required_argument, NULL, CV_OPT_ROOM },
		{ "ttl", required_argument, NULL, CV_OPT_TTL },
		{ "nbf-offset", required_argument, NULL, CV_OPT_NBF_OFFSET },
		{ "grant", required_argument, NULL, CV_OPT_GRANT },
		{ "help", no_argument, NULL, CV_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *secret = NULL, *kid = NULL, *sub = NULL, *name = NULL, *room = NULL;
	int64_t ttl = CV_TOKEN_DEFAULT_TTL, nbf_offset = 0;
	bool have_nbf = false;
	json_t *grants = json_object();
	int status = CV_TOKEN_EXIT_ERROR;
	int opt;

	/* Our own messages for unknown options and missing arguments */
	opterr = 0;
	/* "+": stop at the first non-option, ":": report missing arguments */
	while((opt = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		switch(opt) {
			case CV_OPT_SECRET:
				secret = optarg;
				break;
			case CV_OPT_KID:
				kid = optarg;
				break;
			case CV_OPT_SUB:
				sub = optarg;
				break;
			case CV_OPT_NAME:
				name = optarg;
				break;
			case CV_OPT_ROOM:
				room = optarg;
				break;
			case CV_OPT_TTL:
				if(!cv_token_parse_offset(optarg, &ttl)) {
					status = cv_token_fail("--ttl needs a whole number of seconds (within 100 years): '%s'", optarg);
					goto done;
				}
				break;
			case CV_OPT_NBF_OFFSET:
				if(!cv_token_parse_offset(optarg, &nbf_offset)) {
					status = cv_token_fail("--nbf-offset needs a whole number of seconds (within 100 years): '%s'", optarg);
					goto done;
				}
				have_nbf = true;
				break;
			case CV_OPT_GRANT:
				if(!cv_token_parse_grant(optarg, grants)) {
					status = cv_token_fail("--grant needs NAME=true or NAME=false, NAME one of publish, "
						"subscribe, data, record, moderate, create: '%s'", optarg);
					goto done;
				}
				break;
			case CV_OPT_HELP:
				cv_token_usage(stdout);
				status = 0;
				goto done;
			case ':':
				status = cv_token_fail("option '%s' needs an argument", argv[optind - 1]);
				goto done;
			default:
				status = cv_token_fail("unknown option '%s'", argv[optind - 1]);
				goto done;
		}
	}
	if(optind < argc) {
		status = cv_token_fail("unexpected argument '%s'", argv[optind]);
		goto done;
	}

	/* The same rules the server applies when it verifies the token */
	if(secret == NULL || *secret == '\0') {
		status = cv_token_fail("--secret is required (and may not be empty)");
		goto done;
	}
	if(kid != NULL && *kid == '\0') {
		status = cv_token_fail("--kid may not be empty");
		goto done;
	}
	if(sub == NULL) {
		status = cv_token_fail("--sub is required");
		goto done;
	}
	if(!cv_id_valid(sub)) {
		status = cv_token_fail("--sub must be 1 to %d bytes without control characters: '%s'", CV_ID_MAX_LEN, sub);
		goto done;
	}
	if(name != NULL && strlen(name) > CV_NAME_MAX_LEN) {
		status = cv_token_fail("--name may be at most %d bytes", CV_NAME_MAX_LEN);
		goto done;
	}
	if(room != NULL && !cv_id_valid(room)) {
		status = cv_token_fail("--room must be \"*\" or 1 to %d bytes without control characters: '%s'", CV_ID_MAX_LEN, room);
		goto done;
	}

	int64_t now = cv_now_s();
	json_t *payload = json_object();
	json_object_set_new(payload, "sub", json_string(sub));
	json_object_set_new(payload, "iat", json_integer((json_int_t)now));
	json_object_set_new(payload, "exp", json_integer((json_int_t)(now + ttl)));
	if(have_nbf)
		json_object_set_new(payload, "nbf", json_integer((json_int_t)(now + nbf_offset)));
	if(name != NULL)
		json_object_set_new(payload, "name", json_string(name));
	if(room != NULL)
		json_object_set_new(payload, "room", json_string(room));
	if(json_object_size(grants) > 0)
		json_object_set(payload, "grants", grants);
	/* json_string() refuses text that is not UTF-8 */
	json_t *kid_json = kid ? json_string(kid) : NULL;
	bool utf8 = json_object_get(payload, "sub") != NULL &&
		(name == NULL || json_object_get(payload, "name") != NULL) &&
		(room == NULL || json_object_get(payload, "room") != NULL) &&
		(kid == NULL || kid_json != NULL);
	json_decref(kid_json);
	if(!utf8) {
		json_decref(payload);
		status = cv_token_fail("--sub, --name, --room and --kid must be UTF-8 text");
		goto done;
	}
	char *token = cv_jwt_sign(payload, kid, (const unsigned char *)secret, strlen(secret));
	json_decref(payload);
	if(token == NULL) {
		status = cv_token_fail("could not mint the token (is it longer than %d bytes?)", CV_JWT_MAX_LEN);
		goto done;
	}
	if(printf("%s\n", token) < 0 || fflush(stdout) != 0) {
		free(token);
		fprintf(stderr, "convene-token: could not write the token: %s\n", strerror(errno));
		status = CV_TOKEN_EXIT_ERROR;
		goto done;
	}
	free(token);
	status = 0;

done:
	json_decref(grants);
	return status;
}
