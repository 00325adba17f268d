/*
 * cv_envelope.c - parsing and validation of protocol messages.
 *
 * Validation is table driven: each message type names the envelope fields it
 * requires and a validator for its `data`. The common fields (roomId, userId,
 * targetUserId, requestId, timestamp) are checked the same way for every type.
 */
#include <string.h>

#include "cv_envelope.h"
#include "cv_sdp_check.h"

/* Which envelope fields a type requires. */
enum {
	CV_NEED_ROOM = 1 << 0,
	CV_NEED_TARGET = 1 << 1,
	CV_NEED_DATA = 1 << 2,
};

typedef bool (*cv_data_check)(json_t *data, cv_error *err);

static bool cv_check_join(json_t *data, cv_error *err);
static bool cv_check_offer(json_t *data, cv_error *err);
static bool cv_check_answer(json_t *data, cv_error *err);
static bool cv_check_candidate(json_t *data, cv_error *err);
static bool cv_check_media(json_t *data, cv_error *err);
static bool cv_check_object(json_t *data, cv_error *err);
static bool cv_check_subscribe(json_t *data, cv_error *err);
static bool cv_check_kick(json_t *data, cv_error *err);
static bool cv_check_reason(json_t *data, cv_error *err);

static const struct {
	const char *name;
	unsigned int needs;
	cv_data_check check;	/* NULL: data is not looked at */
} cv_msg_table[CV_MSG_COUNT] = {
	[CV_MSG_JOIN] = { "join", CV_NEED_ROOM, cv_check_join },
	[CV_MSG_LEAVE] = { "leave", 0, NULL },
	[CV_MSG_OFFER] = { "offer", CV_NEED_DATA, cv_check_offer },
	[CV_MSG_ANSWER] = { "answer", CV_NEED_DATA, cv_check_answer },
	[CV_MSG_ICE_CANDIDATE] = { "ice-candidate", CV_NEED_DATA, cv_check_candidate },
	[CV_MSG_MESSAGE] = { "message", CV_NEED_DATA, NULL },
	[CV_MSG_MEDIA] = { "media", CV_NEED_DATA, cv_check_media },
	[CV_MSG_STATS] = { "stats", CV_NEED_DATA, cv_check_object },
	[CV_MSG_SUBSCRIBE] = { "subscribe", CV_NEED_DATA, cv_check_subscribe },
	[CV_MSG_START_RECORDING] = { "start-recording", 0, NULL },
	[CV_MSG_STOP_RECORDING] = { "stop-recording", 0, NULL },
	[CV_MSG_KICK] = { "kick", CV_NEED_TARGET, cv_check_kick },
	[CV_MSG_PING] = { "ping", 0, NULL },
	[CV_MSG_CLOSE_ROOM] = { "close-room", 0, cv_check_reason },
};

static bool cv_fail(cv_error *err, cv_error_code code, const char *message) {
	if(err != NULL) {
		err->code = code;
		err->message = message;
	}
	return false;
}

const char *cv_msg_type_name(cv_msg_type type) {
	if((int)type < 0 || type >= CV_MSG_COUNT)
		return NULL;
	return cv_msg_table[type].name;
}

bool cv_id_valid(const char *s) {
	if(s == NULL || *s == '\0')
		return false;
	size_t len = 0;
	for(const unsigned char *p = (const unsigned char *)s; *p; p++, len++) {
		if(*p < 0x20 || *p == 0x7f || len >= CV_ID_MAX_LEN)
			return false;
	}
	return true;
}

bool cv_envelope_targets_server(const cv_envelope *env) {
	return env->target_user_id == NULL || strcmp(env->target_user_id, CV_SERVER_ID) == 0;
}

/* Scans JSON text for its deepest nesting of objects and arrays and an
 * upper bound of its number of values (containers, plus one value per
 * comma and one to start), skipping strings. Stops early once max_depth is
 * passed. */
static int cv_json_depth(const char *text, size_t len, int max_depth, long *values) {
	int depth = 0, deepest = 0;
	long count = 1;
	bool in_string = false;
	for(size_t i = 0; i < len; i++) {
		char c = text[i];
		if(in_string) {
			if(c == '\\')
				i++;
			else if(c == '"')
				in_string = false;
			continue;
		}
		if(c == '"') {
			in_string = true;
		} else if(c == ',') {
			count++;
		} else if(c == '{' || c == '[') {
			count++;
			if(++depth > deepest) {
				deepest = depth;
				if(deepest > max_depth)
					break;
			}
		} else if(c == '}' || c == ']') {
			depth--;
		}
	}
	if(values != NULL)
		*values = count;
	return deepest;
}

json_t *cv_envelope_load(const char *text, size_t len, int max_depth, cv_error *err) {
	return cv_envelope_load_bounded(text, len, max_depth, 0, err);
}

json_t *cv_envelope_load_bounded(const char *text, size_t len, int max_depth, int max_values, cv_error *err) {
	if(max_depth > 0 || max_values > 0) {
		long values = 0;
		int depth = cv_json_depth(text, len, max_depth > 0 ? max_depth : 1 << 30, &values);
		if(max_depth > 0 && depth > max_depth) {
			cv_fail(err, CV_ERR_BAD_REQUEST, "JSON nested too deeply");
			return NULL;
		}
		if(max_values > 0 && values > max_values) {
			cv_fail(err, CV_ERR_BAD_REQUEST, "JSON has too many values");
			return NULL;
		}
	}
	json_error_t jerr;
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if(msg == NULL) {
		cv_fail(err, CV_ERR_BAD_REQUEST, "frame is not valid JSON");
		return NULL;
	}
	if(!json_is_object(msg)) {
		json_decref(msg);
		cv_fail(err, CV_ERR_BAD_REQUEST, "frame is not a JSON object");
		return NULL;
	}
	return msg;
}

/* Reads an optional id field: absent is fine (*out = NULL), present must be
 * a valid id string. */
static bool cv_optional_id(json_t *msg, const char *key, const char **out) {
	json_t *v = json_object_get(msg, key);
	*out = NULL;
	if(v == NULL)
		return true;
	if(!json_is_string(v) || !cv_id_valid(json_string_value(v)))
		return false;
	*out = json_string_value(v);
	return true;
}

bool cv_envelope_parse(json_t *msg, cv_envelope *env, cv_error *err) {
	memset(env, 0, sizeof(*env));
	env->type = CV_MSG_COUNT;
	if(!json_is_object(msg))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "message is not a JSON object");
	/* requestId first, so that later errors can echo it */
	json_t *rid = json_object_get(msg, "requestId");
	if(rid != NULL) {
		if(json_is_integer(rid) ||
				(json_is_string(rid) && json_string_length(rid) <= CV_ID_MAX_LEN))
			env->request_id = rid;
		else
			return cv_fail(err, CV_ERR_BAD_REQUEST, "requestId must be a string (up to 128 bytes) or an integer");
	}
	json_t *type = json_object_get(msg, "type");
	if(type == NULL)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "missing field: type");
	if(!json_is_string(type))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "type must be a string");
	const char *name = json_string_value(type);
	for(int i = 0; i < CV_MSG_COUNT; i++) {
		if(strcmp(name, cv_msg_table[i].name) == 0) {
			env->type = (cv_msg_type)i;
			break;
		}
	}
	if(env->type == CV_MSG_COUNT)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "unknown message type");
	env->type_name = cv_msg_table[env->type].name;
	if(!cv_optional_id(msg, "roomId", &env->room_id))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "roomId must be a non-empty string of up to 128 bytes");
	if(!cv_optional_id(msg, "userId", &env->user_id))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "userId must be a non-empty string of up to 128 bytes");
	if(!cv_optional_id(msg, "targetUserId", &env->target_user_id))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "targetUserId must be a non-empty string of up to 128 bytes");
	json_t *ts = json_object_get(msg, "timestamp");
	if(ts != NULL && !json_is_number(ts))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "timestamp must be a number");
	env->data = json_object_get(msg, "data");
	unsigned int needs = cv_msg_table[env->type].needs;
	if((needs & CV_NEED_ROOM) && env->room_id == NULL)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "missing field: roomId");
	if((needs & CV_NEED_TARGET) && env->target_user_id == NULL)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "missing field: targetUserId");
	if((needs & CV_NEED_DATA) && env->data == NULL)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "missing field: data");
	if(env->type == CV_MSG_JOIN) {
		json_t *token = json_object_get(msg, "token");
		if(token != NULL && !json_is_string(token))
			return cv_fail(err, CV_ERR_BAD_REQUEST, "token must be a string");
		env->token = json_string_value(token);
	}
	if(cv_msg_table[env->type].check != NULL && !cv_msg_table[env->type].check(env->data, err))
		return false;
	return true;
}

/* Per-type checks of `data`. Each is handed the data field, which may be NULL
 * when the type does not require it. */

static bool cv_check_object(json_t *data, cv_error *err) {
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an object");
	return true;
}

static bool cv_check_join(json_t *data, cv_error *err) {
	if(data == NULL)
		return true;
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an object");
	json_t *name = json_object_get(data, "displayName");
	if(name != NULL && !json_is_null(name) &&
			(!json_is_string(name) || json_string_length(name) > 256))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.displayName must be a string of up to 256 bytes");
	json_t *publish = json_object_get(data, "publish");
	if(publish != NULL) {
		if(!json_is_object(publish))
			return cv_fail(err, CV_ERR_BAD_REQUEST, "data.publish must be an object");
		json_t *a = json_object_get(publish, "audio"), *v = json_object_get(publish, "video");
		if((a != NULL && !json_is_boolean(a)) || (v != NULL && !json_is_boolean(v)))
			return cv_fail(err, CV_ERR_BAD_REQUEST, "data.publish.audio and .video must be booleans");
	}
	json_t *resume = json_object_get(data, "resume");
	if(resume != NULL && !json_is_boolean(resume))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.resume must be a boolean");
	json_t *pin = json_object_get(data, "pin");
	if(pin != NULL && (!json_is_string(pin) || json_string_length(pin) > 64))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.pin must be a string of up to 64 bytes");
	return true;
}

/* data is an RTCSessionDescriptionInit of the expected type. */
static bool cv_check_description(json_t *data, const char *want, cv_error *err) {
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an object {type, sdp}");
	json_t *type = json_object_get(data, "type");
	if(!json_is_string(type) || strcmp(json_string_value(type), want) != 0)
		return cv_fail(err, CV_ERR_BAD_REQUEST, strcmp(want, "offer") == 0 ?
			"data.type must be \"offer\"" : "data.type must be \"answer\"");
	json_t *sdp = json_object_get(data, "sdp");
	if(!json_is_string(sdp) || json_string_length(sdp) == 0)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.sdp must be a non-empty string");
	/* Garbage never reaches the Janus core nor a mesh peer */
	return cv_sdp_check(json_string_value(sdp), err);
}

static bool cv_check_offer(json_t *data, cv_error *err) {
	return cv_check_description(data, "offer", err);
}

static bool cv_check_answer(json_t *data, cv_error *err) {
	return cv_check_description(data, "answer", err);
}

/* RTCIceCandidateInit, or null for the end of candidates. */
static bool cv_check_candidate(json_t *data, cv_error *err) {
	if(json_is_null(data))
		return true;
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an RTCIceCandidateInit object or null");
	json_t *cand = json_object_get(data, "candidate");
	if(!json_is_string(cand))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.candidate must be a string");
	/* "" ends the candidates; anything else must be one */
	if(json_string_length(cand) > 0 && !cv_candidate_check(json_string_value(cand), err))
		return false;
	json_t *mid = json_object_get(data, "sdpMid");
	if(mid != NULL && !json_is_null(mid) && !json_is_string(mid))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.sdpMid must be a string or null");
	json_t *index = json_object_get(data, "sdpMLineIndex");
	if(index != NULL && !json_is_null(index) &&
			(!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 65535))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.sdpMLineIndex must be an unsigned integer or null");
	return true;
}

static bool cv_check_media(json_t *data, cv_error *err) {
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an object {audio, video}");
	json_t *a = json_object_get(data, "audio"), *v = json_object_get(data, "video");
	if(a == NULL && v == NULL)
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data needs audio or video");
	if((a != NULL && !json_is_boolean(a)) || (v != NULL && !json_is_boolean(v)))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.audio and data.video must be booleans");
	return true;
}

static bool cv_check_subscribe(json_t *data, cv_error *err) {
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an object {userId, layer}");
	json_t *user = json_object_get(data, "userId");
	if(!json_is_string(user) || !cv_id_valid(json_string_value(user)))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.userId must be a user id");
	json_t *layer = json_object_get(data, "layer");
	const char *l = json_string_value(layer);
	if(l == NULL || (strcmp(l, "h") && strcmp(l, "m") && strcmp(l, "l") && strcmp(l, "auto")))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.layer must be \"h\", \"m\", \"l\" or \"auto\"");
	return true;
}

/* An optional {reason} (close-room). */
static bool cv_check_reason(json_t *data, cv_error *err) {
	return cv_check_kick(data, err);
}

static bool cv_check_kick(json_t *data, cv_error *err) {
	if(data == NULL)
		return true;
	if(!json_is_object(data))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data must be an object {reason}");
	json_t *reason = json_object_get(data, "reason");
	if(reason != NULL && (!json_is_string(reason) || json_string_length(reason) > 256))
		return cv_fail(err, CV_ERR_BAD_REQUEST, "data.reason must be a string of up to 256 bytes");
	return true;
}
