/*
 * cv_simulcast.c - one simulcast layer per receiver (see cv_simulcast.h).
 */
#include <string.h>

#include "cv_rtp.h"
#include "cv_simulcast.h"

int cv_layer_parse(const char *name) {
	if(name == NULL)
		return CV_LAYER_INVALID;
	if(strcmp(name, "l") == 0)
		return 0;
	if(strcmp(name, "m") == 0)
		return 1;
	if(strcmp(name, "h") == 0)
		return 2;
	if(strcmp(name, "auto") == 0)
		return CV_LAYER_AUTO;
	return CV_LAYER_INVALID;
}

const char *cv_layer_name(int layer) {
	switch(layer) {
		case 0:
			return "l";
		case 1:
			return "m";
		case 2:
			return "h";
		default:
			return "auto";
	}
}

void cv_simulcast_source_init(cv_simulcast_source *s, const char *const *rids, size_t n_rids,
		int rid_ext_id, const uint32_t *ssrcs, size_t n_ssrcs) {
	memset(s, 0, sizeof(*s));
	if(n_rids > CV_SIMULCAST_LAYERS)
		n_rids = CV_SIMULCAST_LAYERS;
	if(n_ssrcs > CV_SIMULCAST_LAYERS)
		n_ssrcs = CV_SIMULCAST_LAYERS;
	bool named = n_rids > 0;
	for(size_t i = 0; i < n_rids; i++)
		named = named && cv_layer_parse(rids[i]) >= 0;
	for(size_t i = 0; i < n_rids; i++) {
		/* h/m/l go where their names say; others by position, highest first */
		int layer = named ? cv_layer_parse(rids[i]) : (int)(n_rids - 1 - i);
		if(rids[i] != NULL && strlen(rids[i]) < sizeof(s->rid[0]))
			strcpy(s->rid[layer], rids[i]);
	}
	s->rid_ext_id = n_rids > 0 ? rid_ext_id : 0;
	for(size_t i = 0; i < n_ssrcs && n_rids == 0; i++)
		s->ssrc[i] = ssrcs[i];
}

int cv_simulcast_layer(cv_simulcast_source *s, const uint8_t *buf, size_t len, uint32_t ssrc) {
	for(int i = 0; i < CV_SIMULCAST_LAYERS; i++) {
		if(s->ssrc[i] != 0 && s->ssrc[i] == ssrc)
			return i;
	}
	if(s->rid_ext_id <= 0)
		return -1;
	const uint8_t *value = NULL;
	size_t value_len = 0;
	if(!cv_rtp_extension(buf, len, s->rid_ext_id, &value, &value_len) || value_len == 0 || value_len >= sizeof(s->rid[0]))
		return -1;
	for(int i = 0; i < CV_SIMULCAST_LAYERS; i++) {
		if(s->rid[i][0] != '\0' && strlen(s->rid[i]) == value_len && memcmp(s->rid[i], value, value_len) == 0) {
			s->ssrc[i] = ssrc;
			return i;
		}
	}
	return -1;
}

void cv_simulcast_seen(cv_simulcast_source *s, int layer, int64_t now_us) {
	if(layer >= 0 && layer < CV_SIMULCAST_LAYERS)
		s->last_seen_us[layer] = now_us;
}

bool cv_simulcast_active(const cv_simulcast_source *s, int layer, int64_t now_us) {
	if(layer < 0 || layer >= CV_SIMULCAST_LAYERS || s->last_seen_us[layer] == 0)
		return false;
	return now_us - s->last_seen_us[layer] <= CV_SIMULCAST_ACTIVE_US;
}

int cv_simulcast_target(const cv_simulcast_source *s, int preference, int64_t now_us) {
	int want = preference == CV_LAYER_AUTO ? CV_SIMULCAST_LAYERS - 1 : preference;
	if(want < 0 || want >= CV_SIMULCAST_LAYERS)
		want = CV_SIMULCAST_LAYERS - 1;
	for(int layer = want; layer >= 0; layer--) {
		if(cv_simulcast_active(s, layer, now_us))
			return layer;
	}
	for(int layer = want + 1; layer < CV_SIMULCAST_LAYERS; layer++) {
		if(cv_simulcast_active(s, layer, now_us))
			return layer;
	}
	return -1;
}

void cv_simulcast_receiver_init(cv_simulcast_receiver *r) {
	r->current = -1;
}

cv_simulcast_decision cv_simulcast_route(cv_simulcast_receiver *r, const cv_simulcast_source *s,
		int preference, int layer, bool keyframe, int64_t now_us) {
	cv_simulcast_decision d = { false, false, false };
	if(layer < 0 || layer >= CV_SIMULCAST_LAYERS)
		return d;
	int target = cv_simulcast_target(s, preference, now_us);
	bool current_flows = r->current >= 0 && cv_simulcast_active(s, r->current, now_us);
	if(target >= 0 && r->current != target) {
		if(layer == target && keyframe) {
			/* The move: on a keyframe of the layer we want */
			d.switched = r->current != layer;
			r->current = layer;
		} else if(!current_flows) {
			/* Nothing to show meanwhile: hurry the keyframe */
			d.need_keyframe = true;
		} else if(layer == target) {
			/* Deltas of the target while we wait: its keyframe is due */
			d.need_keyframe = true;
		}
	}
	d.forward = layer == r->current;
	return d;
}
