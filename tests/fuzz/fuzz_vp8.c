/*
 * fuzz_vp8.c - src/cv_vp8.c (VP8 payload descriptors rewritten per
 * receiver on the forwarding path).
 *
 * Feeds: the input cut into packets (a length byte, a source byte, then
 * that many payload bytes), forwarded through one receiver's rewriter as
 * the RTP thread does (cv_rtp_rewrite picks up source switches).
 *
 * Asserts beyond "no crash":
 *  - parse reads only the payload (exact-size heap copies) and its field
 *    offsets lie inside it;
 *  - a rewrite changes only the PictureID/TL0PICIDX bytes, keeps the M bit
 *    and the field widths, and writing the original back restores the
 *    payload byte for byte;
 *  - at a switch to another source the 15-bit PictureID continues at the
 *    newest one sent + 1, and TL0PICIDX likewise.
 */
#include "fuzz_common.h"
#include "cv_rtp.h"
#include "cv_vp8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	cv_rtp_rewriter rw;
	cv_rtp_rewriter_init(&rw, 90000);
	uint16_t seq = 0;
	int64_t now = 0;
	size_t pos = 0;
	while(pos + 2 <= size) {
		size_t len = data[pos] % 24;
		uint32_t ssrc = 1 + (data[pos + 1] & 0x03);
		pos += 2;
		if(len > size - pos)
			len = size - pos;
		uint8_t *p = fuzz_copy(data + pos, len);
		pos += len;
		cv_vp8_descriptor d;
		bool parsed = cv_vp8_descriptor_parse(p, len, &d);
		if(parsed) {
			if(d.has_picture_id)
				FUZZ_CHECK(d.picture_id_offset + (d.long_picture_id ? 2 : 1) <= len);
			if(d.has_tl0picidx)
				FUZZ_CHECK(d.tl0picidx_offset < len);
		}
		uint16_t out_seq;
		uint32_t out_ts;
		bool switching = !rw.started || ssrc != rw.source_ssrc;
		bool had_pic = rw.vp8.have_picture_id, had_tl0 = rw.vp8.have_tl0picidx;
		uint16_t last_pic = rw.vp8.last_picture_id;
		uint8_t last_tl0 = rw.vp8.last_tl0picidx;
		cv_rtp_rewrite(&rw, ssrc, seq++, (uint32_t)(now * 90), now, &out_seq, &out_ts);
		now += 1000;
		uint8_t *before = fuzz_copy(p, len);
		cv_vp8_descriptor original;
		bool rewritten = cv_vp8_rewrite(&rw.vp8, p, len, &original);
		FUZZ_CHECK(rewritten == parsed);
		if(rewritten) {
			cv_vp8_descriptor now_d;
			FUZZ_CHECK(cv_vp8_descriptor_parse(p, len, &now_d));
			FUZZ_CHECK(now_d.has_picture_id == d.has_picture_id && now_d.long_picture_id == d.long_picture_id);
			FUZZ_CHECK(now_d.has_tl0picidx == d.has_tl0picidx);
			for(size_t i = 0; i < len; i++) {
				bool field = (d.has_picture_id && (i == d.picture_id_offset ||
						(d.long_picture_id && i == d.picture_id_offset + 1))) ||
					(d.has_tl0picidx && i == d.tl0picidx_offset);
				if(!field)
					FUZZ_CHECK(p[i] == before[i]);
			}
			if(switching && had_pic && d.has_picture_id && d.long_picture_id)
				FUZZ_CHECK(now_d.picture_id == ((last_pic + 1) & 0x7FFF));
			if(switching && had_tl0 && d.has_tl0picidx)
				FUZZ_CHECK(now_d.tl0picidx == (uint8_t)(last_tl0 + 1));
			cv_vp8_descriptor_write(p, &original);
			FUZZ_CHECK(len == 0 || memcmp(p, before, len) == 0);
		} else {
			FUZZ_CHECK(len == 0 || memcmp(p, before, len) == 0);
		}
		fuzz_free(before, len);
		fuzz_free(p, len);
	}
	return 0;
}
