/*
 * cv_rtcp.c - RTCP parsing for the forwarding path (see cv_rtcp.h).
 */
#include "cv_rtcp.h"

#define CV_RTCP_PSFB 206
#define CV_RTCP_FMT_PLI 1
#define CV_RTCP_FMT_FIR 4

bool cv_rtcp_wants_keyframe(const uint8_t *buf, size_t len) {
	size_t off = 0;
	while(buf != NULL && off + 4 <= len) {
		const uint8_t *p = buf + off;
		if((p[0] >> 6) != 2)
			return false;
		size_t report_len = 4 * ((size_t)((p[2] << 8) | p[3]) + 1);
		if(off + report_len > len)
			return false;
		uint8_t fmt = p[0] & 0x1f;
		if(p[1] == CV_RTCP_PSFB && (fmt == CV_RTCP_FMT_PLI || fmt == CV_RTCP_FMT_FIR))
			return true;
		off += report_len;
	}
	return false;
}
