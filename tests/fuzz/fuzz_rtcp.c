/*
 * fuzz_rtcp.c - src/cv_rtcp.c on RTCP from peers (subscribers' feedback).
 *
 * Feeds: the input as one (compound) RTCP packet, SRTCP already removed,
 * to cv_rtcp_wants_keyframe, as an exact-size heap copy (a read past len is
 * an AddressSanitizer report).
 *
 * Asserts beyond "no crash":
 *  - the verdict equals an independent walk of the compound: reports of
 *    version 2, each 4 * (length + 1) bytes and inside the buffer, stopping
 *    at the first malformed one; true iff a PSFB (206) with FMT 1 (PLI) or
 *    4 (FIR) comes before that;
 *  - a true verdict depends only on the bytes walked: trailing garbage
 *    does not change it;
 *  - a false verdict on a well-formed compound (the walk ends exactly at
 *    len) turns true when a PLI is appended, and stays false when an RR is.
 */
#include "fuzz_common.h"
#include "cv_rtcp.h"

/* The reference walk; *clean tells whether it ended exactly at len. */
static bool ref_wants(const uint8_t *p, size_t len, bool *clean) {
	size_t off = 0;
	*clean = false;
	for(;;) {
		if(off == len) {
			*clean = true;
			return false;
		}
		if(len - off < 4 || (p[off] & 0xc0) != 0x80)
			return false;
		size_t words = ((size_t)p[off + 2] << 8) | p[off + 3];
		size_t report = (words + 1) * 4;
		if(report > len - off)
			return false;
		if(p[off + 1] == 206 && ((p[off] & 0x1f) == 1 || (p[off] & 0x1f) == 4))
			return true;
		off += report;
	}
}

static bool wants(const uint8_t *bytes, size_t len) {
	uint8_t *copy = fuzz_copy(bytes, len);
	bool w = cv_rtcp_wants_keyframe(copy, len);
	fuzz_free(copy, len);
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	bool clean = false;
	bool w = wants(data, size);
	FUZZ_CHECK(w == ref_wants(data, size, &clean));
	FUZZ_CHECK(!cv_rtcp_wants_keyframe(NULL, size));

	static const uint8_t pli[12] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78 };
	static const uint8_t rr[8] = { 0x80, 201, 0, 1, 0, 0, 0, 1 };
	uint8_t *longer = malloc(size + sizeof(pli));
	FUZZ_CHECK(longer != NULL);
	if(size > 0)
		memcpy(longer, data, size);
	if(w) {
		memset(longer + size, 0xff, sizeof(pli));
		FUZZ_CHECK(wants(longer, size + sizeof(pli)));
	} else if(clean) {
		memcpy(longer + size, pli, sizeof(pli));
		FUZZ_CHECK(wants(longer, size + sizeof(pli)));
		memcpy(longer + size, rr, sizeof(rr));
		FUZZ_CHECK(!wants(longer, size + sizeof(rr)));
	}
	free(longer);
	return 0;
}
