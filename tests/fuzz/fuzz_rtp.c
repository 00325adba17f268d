/*
 * fuzz_rtp.c - src/cv_rtp.c and src/cv_simulcast.c on RTP from peers.
 *
 * Feeds: the input as one RTP packet, as the plugin gets it from the Janus
 * core (SRTP already removed): cv_rtp_parse; cv_rtp_is_keyframe for every
 * codec on the parsed payload and on the whole input taken as a payload
 * (and on its first bytes, one length at a time); cv_rtp_extension for
 * ids 0..16, 255 and out-of-range ids; cv_rtp_set; cv_simulcast_layer
 * (rid learning) on sources with named, positional and SSRC layers, then
 * cv_simulcast_route for the layer found.
 *
 * Every buffer handed over is an exact-size heap copy, so a read past
 * `len` (the packet's, or the payload's: never into the padding) is an
 * AddressSanitizer report.
 *
 * Asserts beyond "no crash":
 *  - parse accepts exactly version 2 packets whose CSRCs, extension and
 *    padding fit; then header_len = 12 + 4*CC (+ 4 + 4*words with X),
 *    header_len + payload_len + padding == len, fields = the bytes;
 *  - keyframe: AV1 and unknown codecs never; VP8 only with S=1 and PID 0,
 *    VP9 only with B=1 and P=0, H.264 only for NAL types 5, 7, 24, 28;
 *  - an extension found lies inside the extension block (so inside
 *    header_len when parse accepts), X is set, one-byte form ids are 1..14
 *    with 1..16 bytes;
 *  - cv_rtp_set then parse gives back the values set, every other field
 *    and byte unchanged;
 *  - a simulcast layer is -1..2; one found by rid has that rid's bytes in
 *    the packet's rid extension and its SSRC is remembered (found again
 *    from the SSRC alone, without the packet); SSRC-based layers are found
 *    without reading the packet;
 *  - routing: a fresh receiver gets the only flowing layer; a decision
 *    forwards only the receiver's current layer; a receiver pinning this
 *    layer from another one switches exactly on its keyframe, asks for a
 *    keyframe otherwise, and keeps its old layer while that flows;
 *  - the input read as a stream of (source, seq, ts, elapsed) records
 *    through one cv_rtp_rewriter (at 90 kHz, and at a clock rate taken
 *    from the input: the plugin takes it from the publisher's SDP, so any
 *    32-bit value): the first packet passes through, packets
 *    of the same source keep their seq/ts spacing, a new source (or a
 *    switch) continues at the highest seq sent + 1 with ts advanced by the
 *    wall time elapsed (at least one tick).
 */
#include "fuzz_common.h"
#include "cv_rtp.h"
#include "cv_simulcast.h"

static uint16_t be16(const uint8_t *p) {
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t be32(const uint8_t *p) {
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Checks cv_rtp_parse against the RFC 3550 layout. */
static bool check_parse(const uint8_t *data, size_t size, cv_rtp_header *h) {
	uint8_t *buf = fuzz_copy(data, size);
	bool ok = cv_rtp_parse(buf, size, h);
	fuzz_free(buf, size);
	bool expect = size >= 12 && (data[0] >> 6) == 2;
	size_t hl = 0, pad = 0;
	if(expect) {
		hl = 12 + 4 * (size_t)(data[0] & 0x0f);
		expect = hl <= size;
	}
	if(expect && (data[0] & 0x10)) {
		expect = hl + 4 <= size;
		if(expect) {
			hl += 4 + 4 * (size_t)be16(data + hl + 2);
			expect = hl <= size;
		}
	}
	if(expect && (data[0] & 0x20)) {
		pad = data[size - 1];
		expect = pad > 0 && hl + pad <= size;
	}
	FUZZ_CHECK(ok == expect);
	if(!ok)
		return false;
	FUZZ_CHECK(h->header_len == hl);
	FUZZ_CHECK(h->header_len >= CV_RTP_HEADER_MIN);
	FUZZ_CHECK(h->header_len + h->payload_len + pad == size);
	FUZZ_CHECK(h->payload_type == (data[1] & 0x7f));
	FUZZ_CHECK(h->marker == ((data[1] & 0x80) != 0));
	FUZZ_CHECK(h->seq == be16(data + 2));
	FUZZ_CHECK(h->ts == be32(data + 4));
	FUZZ_CHECK(h->ssrc == be32(data + 8));
	return true;
}

/* Keyframe verdicts for every codec on an exact-size copy of p[0..len). */
static void check_keyframe(const uint8_t *p, size_t len) {
	static const cv_video_codec codecs[] = {
		CV_CODEC_UNKNOWN, CV_CODEC_VP8, CV_CODEC_VP9, CV_CODEC_H264, CV_CODEC_AV1, (cv_video_codec)99,
	};
	uint8_t *copy = fuzz_copy(p, len);
	for(size_t i = 0; i < sizeof(codecs)/sizeof(codecs[0]); i++) {
		bool key = cv_rtp_is_keyframe(codecs[i], copy, len);
		if(!key)
			continue;
		FUZZ_CHECK(len >= 1);
		switch(codecs[i]) {
			case CV_CODEC_VP8:
				FUZZ_CHECK((p[0] & 0x10) && (p[0] & 0x07) == 0);
				break;
			case CV_CODEC_VP9:
				FUZZ_CHECK((p[0] & 0x08) && !(p[0] & 0x40));
				break;
			case CV_CODEC_H264: {
				uint8_t t = p[0] & 0x1f;
				FUZZ_CHECK(t == 5 || t == 7 || t == 24 || t == 28);
				break;
			}
			default:
				FUZZ_CHECK(!"keyframe claimed for a codec without detection");
		}
	}
	FUZZ_CHECK(!cv_rtp_is_keyframe(CV_CODEC_VP8, NULL, len));
	fuzz_free(copy, len);
}

/* Extension lookups: whatever is found lies inside the extension block. */
static void check_extensions(const uint8_t *data, size_t size, const cv_rtp_header *h, bool parsed) {
	static const int ids[] = { -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 200, 255, 256, 4096 };
	uint8_t *buf = fuzz_copy(data, size);
	for(size_t i = 0; i < sizeof(ids)/sizeof(ids[0]); i++) {
		const uint8_t *value = NULL;
		size_t value_len = 0;
		if(!cv_rtp_extension(buf, size, ids[i], &value, &value_len))
			continue;
		FUZZ_CHECK(ids[i] >= 1 && ids[i] <= 255);
		FUZZ_CHECK(size >= 12 && (data[0] >> 6) == 2 && (data[0] & 0x10));
		size_t start = 12 + 4 * (size_t)(data[0] & 0x0f);
		FUZZ_CHECK(start + 4 <= size);
		uint16_t profile = be16(data + start);
		size_t end = start + 4 + 4 * (size_t)be16(data + start + 2);
		FUZZ_CHECK(end <= size);
		FUZZ_CHECK(value >= buf + start + 4 && value + value_len <= buf + end);
		if(parsed)
			FUZZ_CHECK(value + value_len <= buf + h->header_len);
		if(profile == 0xBEDE) {
			FUZZ_CHECK(ids[i] <= 14);
			FUZZ_CHECK(value_len >= 1 && value_len <= 16);
			FUZZ_CHECK((value[-1] >> 4) == ids[i] && (size_t)(value[-1] & 0x0f) + 1 == value_len);
		} else {
			FUZZ_CHECK((profile & 0xfff0) == 0x1000);
			FUZZ_CHECK(value[-2] == ids[i] && value[-1] == value_len);
		}
	}
	fuzz_free(buf, size);
}

/* cv_rtp_set writes seq, ts and payload type, nothing else. */
static void check_set(const uint8_t *data, size_t size, const cv_rtp_header *h) {
	uint8_t *buf = fuzz_copy(data, size);
	uint16_t seq = (uint16_t)~h->seq;
	uint32_t ts = h->ts ^ 0x5a5a5a5au;
	uint8_t pt = (uint8_t)(h->payload_type ^ 0x55);
	cv_rtp_set(buf, seq, ts, pt);
	cv_rtp_header h2;
	FUZZ_CHECK(cv_rtp_parse(buf, size, &h2));
	FUZZ_CHECK(h2.seq == seq && h2.ts == ts && h2.payload_type == (pt & 0x7f));
	FUZZ_CHECK(h2.marker == h->marker && h2.ssrc == h->ssrc);
	FUZZ_CHECK(h2.header_len == h->header_len && h2.payload_len == h->payload_len);
	FUZZ_CHECK(buf[0] == data[0] && memcmp(buf + 8, data + 8, size - 8) == 0);
	fuzz_free(buf, size);
}

/* Layer learning from the rid extension on one source. */
static void check_simulcast(const uint8_t *data, size_t size, const char *const *rids, size_t n_rids,
		int ext_id, bool keyframe, int64_t now_us) {
	uint32_t ssrc = size >= 12 ? be32(data + 8) : 0;
	cv_simulcast_source s;
	cv_simulcast_source_init(&s, rids, n_rids, ext_id, NULL, 0);
	cv_simulcast_source before;
	memcpy(&before, &s, sizeof(s));
	uint8_t *buf = fuzz_copy(data, size);
	int layer = cv_simulcast_layer(&s, buf, size, ssrc);
	FUZZ_CHECK(layer >= -1 && layer < CV_SIMULCAST_LAYERS);
	if(layer < 0) {
		FUZZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
		fuzz_free(buf, size);
		return;
	}
	const uint8_t *value = NULL;
	size_t value_len = 0;
	FUZZ_CHECK(cv_rtp_extension(buf, size, ext_id, &value, &value_len));
	FUZZ_CHECK(strlen(s.rid[layer]) == value_len && memcmp(s.rid[layer], value, value_len) == 0);
	FUZZ_CHECK(s.ssrc[layer] == ssrc);
	if(ssrc != 0)
		FUZZ_CHECK(cv_simulcast_layer(&s, NULL, 0, ssrc) == layer);
	fuzz_free(buf, size);

	/* One routing decision per preference, the layer having just been seen */
	cv_simulcast_seen(&s, layer, now_us);
	FUZZ_CHECK(cv_simulcast_active(&s, layer, now_us));
	for(int pref = CV_LAYER_AUTO; pref < CV_SIMULCAST_LAYERS; pref++) {
		cv_simulcast_receiver r;
		cv_simulcast_receiver_init(&r);
		cv_simulcast_decision d = cv_simulcast_route(&r, &s, pref, layer, keyframe, now_us);
		FUZZ_CHECK(d.forward == (r.current == layer));
		FUZZ_CHECK(!d.switched || (d.forward && keyframe));
		FUZZ_CHECK(!(d.forward && d.need_keyframe));
		FUZZ_CHECK(cv_simulcast_target(&s, pref, now_us) == layer);
	}
	FUZZ_CHECK(cv_layer_parse(cv_layer_name(layer)) == layer);

	/* A receiver on another layer that pins this one moves on its keyframe
	 * only, and asks for one meanwhile; whether the layer it is on still
	 * flows (seen now) or not (seen 2 s ago) */
	int other = (layer + 1) % CV_SIMULCAST_LAYERS;
	for(int flowing = 0; flowing < 2; flowing++) {
		cv_simulcast_seen(&s, other, flowing ? now_us : now_us - 2000000);
		cv_simulcast_receiver r = { .current = other };
		cv_simulcast_decision d = cv_simulcast_route(&r, &s, layer, layer, keyframe, now_us);
		FUZZ_CHECK(d.forward == keyframe && d.switched == keyframe && d.need_keyframe == !keyframe);
		FUZZ_CHECK(r.current == (keyframe ? layer : other));
		/* a packet of the layer it is on: forwarded while that flows */
		r.current = other;
		d = cv_simulcast_route(&r, &s, layer, other, keyframe, now_us);
		FUZZ_CHECK(d.forward && !d.switched && r.current == other);
		FUZZ_CHECK(d.need_keyframe == !flowing);
	}
}

/* SSRC-based simulcast (no rids): the layer comes from the SSRC alone, the
 * packet is not read. Extra SSRCs past three are ignored. */
static void check_simulcast_ssrc(const uint8_t *data, size_t size) {
	if(size < 12)
		return;
	uint32_t ssrc = be32(data + 8);
	uint32_t ssrcs[4] = { ssrc ^ 1, ssrc, ssrc ^ 2, ssrc ^ 3 };
	cv_simulcast_source s;
	cv_simulcast_source_init(&s, NULL, 0, 5, ssrcs, 4);
	FUZZ_CHECK(s.rid_ext_id == 0);
	int expect = ssrc == 0 ? -1 : 1;
	FUZZ_CHECK(cv_simulcast_layer(&s, NULL, 0, ssrc) == expect);
	FUZZ_CHECK(cv_simulcast_layer(&s, NULL, 0, ssrc ^ 3) == -1);
	static const char *const four[] = { "h", "m", "l", "x" };
	cv_simulcast_source_init(&s, four, 4, 7, NULL, 0);
	FUZZ_CHECK(strcmp(s.rid[0], "l") == 0 && strcmp(s.rid[2], "h") == 0);
}

/* The input as a stream of 9-byte records for one receiver's rewriter:
 * source (1 byte: which of 3 SSRCs, bit 7 = cv_rtp_rewriter_switch first),
 * seq (2), ts (4), time since the previous packet (2: milliseconds, or
 * with bit 15 set seconds, so long pauses are reachable). The clock rate
 * is what the plugin takes from the publisher's SDP (a=rtpmap:96 VP8/RATE,
 * any 32-bit value, 0 meaning 90000). */
static void check_rewriter(const uint8_t *data, size_t size, uint32_t clock_rate) {
	static const uint32_t ssrcs[3] = { 0x11111111, 0x22222222, 0 };
	cv_rtp_rewriter rw;
	cv_rtp_rewriter_init(&rw, clock_rate);
	uint32_t rate = clock_rate ? clock_rate : 90000;
	FUZZ_CHECK(rw.clock_rate == rate);
	int64_t now_us = 5000000;
	bool started = false;
	uint32_t src = 0;
	uint16_t in_seq = 0, out_seq = 0, high_seq = 0;
	uint32_t in_ts = 0, out_ts = 0, high_ts = 0;
	int64_t high_us = 0;
	for(size_t off = 0; off + 9 <= size; off += 9) {
		const uint8_t *r = data + off;
		bool sw = r[0] & 0x80;
		uint32_t ssrc = ssrcs[(r[0] & 0x7f) % 3];
		uint16_t seq = be16(r + 1);
		uint32_t ts = be32(r + 3);
		uint16_t step = be16(r + 7);
		now_us += (step & 0x8000) ? 1000000 * (int64_t)(step & 0x7fff) : 1000 * (int64_t)step;
		if(sw)
			cv_rtp_rewriter_switch(&rw);
		uint16_t o_seq;
		uint32_t o_ts;
		cv_rtp_rewrite(&rw, ssrc, seq, ts, now_us, &o_seq, &o_ts);
		if(!started) {
			/* the first packet passes through */
			FUZZ_CHECK(o_seq == seq && o_ts == ts);
		} else if(!sw && ssrc == src) {
			/* the same source keeps its spacing */
			FUZZ_CHECK((uint16_t)(o_seq - out_seq) == (uint16_t)(seq - in_seq));
			FUZZ_CHECK(o_ts - out_ts == ts - in_ts);
		} else {
			/* a new source continues right after the highest packet sent,
			 * ts advanced by the wall time since then (mod 2^32, >= 1) */
			uint32_t ticks = (uint32_t)((unsigned __int128)(now_us - high_us) * rate / 1000000);
			FUZZ_CHECK(o_seq == (uint16_t)(high_seq + 1));
			FUZZ_CHECK(o_ts == high_ts + (ticks ? ticks : 1));
		}
		if(!started || (uint16_t)(o_seq - high_seq) < 0x8000) {
			high_seq = o_seq;
			high_ts = o_ts;
			high_us = now_us;
		}
		started = true;
		src = ssrc;
		in_seq = seq;
		in_ts = ts;
		out_seq = o_seq;
		out_ts = o_ts;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	cv_rtp_header h;
	memset(&h, 0, sizeof(h));
	bool parsed = check_parse(data, size, &h);

	/* Keyframe detection: on the payload as the plugin hands it over, on the
	 * whole input as a payload, and on each short prefix of it */
	bool keyframe = false;
	if(parsed) {
		check_keyframe(data + h.header_len, h.payload_len);
		check_set(data, size, &h);
		/* what convene_forward.c computes for the simulcast path (VP8) */
		uint8_t *payload = fuzz_copy(data + h.header_len, h.payload_len);
		keyframe = cv_rtp_is_keyframe(CV_CODEC_VP8, payload, h.payload_len);
		fuzz_free(payload, h.payload_len);
	}
	check_keyframe(data, size);
	for(size_t n = 0; n < size && n < 16; n++)
		check_keyframe(data, n);

	check_extensions(data, size, &h, parsed);

	/* Simulcast: every one-byte id with the names Chrome and Firefox use,
	 * two-byte ids, and positional (unnamed) rids */
	static const char *const hml[] = { "h", "m", "l" };
	static const char *const named[] = { "hi", "mid", "lo" };
	static const char *const two[] = { "1", "0" };
	static const char *const bad[] = { NULL, "0123456789abcdefXX", "" };
	int64_t now_us = 1000000 + (int64_t)size;
	for(int id = 1; id <= 14; id++)
		check_simulcast(data, size, hml, 3, id, keyframe, now_us);
	check_simulcast(data, size, named, 3, 4, keyframe, now_us);
	check_simulcast(data, size, named, 3, 200, keyframe, now_us);
	check_simulcast(data, size, two, 2, 10, keyframe, now_us);
	check_simulcast(data, size, bad, 3, 3, keyframe, now_us);
	check_simulcast(data, size, hml, 3, 0, keyframe, now_us);
	check_simulcast(data, size, hml, 3, 256, keyframe, now_us);
	check_simulcast_ssrc(data, size);
	check_rewriter(data, size, 90000);
	if(size >= 4)
		check_rewriter(data + 4, size - 4, be32(data));
	return 0;
}
