/*
 * rtp.c - RTP header writer/reader and RTCP reports (see rtp.h).
 */
#include <string.h>

#include "cvl.h"
#include "rtp.h"

/* one element of a one-byte extension block: id (1..14) and 1..16 bytes */
static size_t cvl_ext_elem(uint8_t *p, int id, const char *value) {
	size_t n = strlen(value);
	if(n > 16)
		n = 16;
	p[0] = (uint8_t)((id << 4) | (int)(n - 1));
	memcpy(p + 1, value, n);
	return n + 1;
}

size_t cvl_rtp_write(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq,
		uint32_t ts, uint32_t ssrc, int mid_id, const char *mid, int rid_id, const char *rid) {
	bool with_mid = mid_id >= 1 && mid_id <= 14 && mid != NULL && mid[0];
	bool with_rid = rid_id >= 1 && rid_id <= 14 && rid != NULL && rid[0];
	size_t need = 12 + ((with_mid || with_rid) ? 4 + 36 : 0);
	if(cap < need)
		return 0;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	cvl_wr16(buf + 2, seq);
	cvl_wr32(buf + 4, ts);
	cvl_wr32(buf + 8, ssrc);
	if(!with_mid && !with_rid)
		return 12;
	buf[0] |= 0x10;
	uint8_t *ext = buf + 16;
	size_t n = 0;
	if(with_mid)
		n += cvl_ext_elem(ext + n, mid_id, mid);
	if(with_rid)
		n += cvl_ext_elem(ext + n, rid_id, rid);
	while(n % 4)
		ext[n++] = 0;
	buf[12] = 0xbe;
	buf[13] = 0xde;
	cvl_wr16(buf + 14, (uint16_t)(n / 4));
	return 16 + n;
}

bool cvl_rtp_parse(const uint8_t *buf, size_t len, cvl_rtp *out) {
	memset(out, 0, sizeof(*out));
	if(len < 12 || (buf[0] >> 6) != 2)
		return false;
	size_t off = 12 + 4 * (size_t)(buf[0] & 0x0f);
	if(off > len)
		return false;
	if(buf[0] & 0x10) {
		if(off + 4 > len)
			return false;
		uint16_t profile = cvl_rd16(buf + off);
		size_t words = cvl_rd16(buf + off + 2);
		if(off + 4 + 4 * words > len)
			return false;
		if(profile == 0xbede || (profile & 0xfff0) == 0x1000) {
			out->ext_block = buf + off + 4;
			out->ext_len = 4 * words;
			out->ext_two_byte = profile != 0xbede;
		}
		off += 4 + 4 * words;
	}
	size_t end = len;
	if(buf[0] & 0x20) {
		uint8_t pad = buf[len - 1];
		if(pad == 0 || off + pad > len)
			return false;
		end -= pad;
	}
	out->marker = buf[1] & 0x80;
	out->pt = buf[1] & 0x7f;
	out->seq = cvl_rd16(buf + 2);
	out->ts = cvl_rd32(buf + 4);
	out->ssrc = cvl_rd32(buf + 8);
	out->payload = buf + off;
	out->payload_len = end - off;
	return true;
}

bool cvl_rtp_ext(const cvl_rtp *rtp, int id, const uint8_t **value, size_t *len) {
	const uint8_t *p = rtp->ext_block;
	size_t n = rtp->ext_len, i = 0;
	if(p == NULL || id <= 0)
		return false;
	while(i < n) {
		if(p[i] == 0) {		/* padding */
			i++;
			continue;
		}
		int eid;
		size_t elen;
		if(rtp->ext_two_byte) {
			if(i + 2 > n)
				return false;
			eid = p[i];
			elen = p[i + 1];
			i += 2;
		} else {
			eid = p[i] >> 4;
			elen = (size_t)(p[i] & 0x0f) + 1;
			if(eid == 15)
				return false;
			i += 1;
		}
		if(i + elen > n)
			return false;
		if(eid == id) {
			*value = p + i;
			*len = elen;
			return true;
		}
		i += elen;
	}
	return false;
}

bool cvl_is_rtcp(const uint8_t *buf, size_t len) {
	return len >= 8 && (buf[0] >> 6) == 2 && buf[1] >= 192 && buf[1] <= 223;
}

static size_t cvl_write_blocks(uint8_t *p, const cvl_report_block *b, size_t n) {
	for(size_t i = 0; i < n; i++, p += 24) {
		int32_t lost = b[i].cum_lost;
		if(lost > 0x7fffff)
			lost = 0x7fffff;
		if(lost < -0x800000)
			lost = -0x800000;
		cvl_wr32(p, b[i].ssrc);
		cvl_wr32(p + 4, ((uint32_t)b[i].fraction << 24) | ((uint32_t)lost & 0xffffff));
		cvl_wr32(p + 8, b[i].ext_max_seq);
		cvl_wr32(p + 12, b[i].jitter);
		cvl_wr32(p + 16, b[i].lsr);
		cvl_wr32(p + 20, b[i].dlsr);
	}
	return 24 * n;
}

size_t cvl_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
		uint32_t packets, uint32_t octets, const cvl_report_block *blocks, size_t n) {
	if(n > 31)
		n = 31;
	size_t len = 28 + 24 * n;
	if(cap < len)
		return 0;
	buf[0] = (uint8_t)(0x80 | n);
	buf[1] = 200;
	cvl_wr16(buf + 2, (uint16_t)(len / 4 - 1));
	cvl_wr32(buf + 4, ssrc);
	cvl_wr64(buf + 8, ntp);
	cvl_wr32(buf + 16, rtp_ts);
	cvl_wr32(buf + 20, packets);
	cvl_wr32(buf + 24, octets);
	cvl_write_blocks(buf + 28, blocks, n);
	return len;
}

size_t cvl_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc, const cvl_report_block *blocks, size_t n) {
	if(n > 31)
		n = 31;
	size_t len = 8 + 24 * n;
	if(cap < len)
		return 0;
	buf[0] = (uint8_t)(0x80 | n);
	buf[1] = 201;
	cvl_wr16(buf + 2, (uint16_t)(len / 4 - 1));
	cvl_wr32(buf + 4, ssrc);
	cvl_write_blocks(buf + 8, blocks, n);
	return len;
}

int cvl_rtcp_parse(const uint8_t *buf, size_t len, cvl_rtcp_cb cb, void *user) {
	size_t off = 0;
	int count = 0;
	while(off + 4 <= len) {
		const uint8_t *p = buf + off;
		if((p[0] >> 6) != 2)
			break;
		size_t plen = 4 * ((size_t)cvl_rd16(p + 2) + 1);
		if(off + plen > len)
			break;
		uint8_t pt = p[1], fmt = p[0] & 0x1f;
		cvl_rtcp_item item;
		memset(&item, 0, sizeof(item));
		if(pt == 200 && plen >= 28) {
			item.kind = CVL_RTCP_SR;
			item.ssrc = cvl_rd32(p + 4);
			item.ntp_mid = cvl_rd32(p + 10);
			cb(user, &item);
		} else if(pt == 206 && fmt == 1 && plen >= 12) {
			item.kind = CVL_RTCP_PLI;
			item.ssrc = cvl_rd32(p + 4);
			item.media_ssrc = cvl_rd32(p + 8);
			cb(user, &item);
		} else if(pt == 206 && fmt == 4 && plen >= 12) {
			item.kind = CVL_RTCP_FIR;
			item.ssrc = cvl_rd32(p + 4);
			for(size_t e = 12; e + 8 <= plen; e += 8) {
				item.media_ssrc = cvl_rd32(p + e);
				cb(user, &item);
			}
		}
		off += plen;
		count++;
	}
	return count;
}

uint64_t cvl_ntp_from_unix_ns(int64_t unix_ns) {
	uint64_t secs = (uint64_t)(unix_ns / 1000000000LL) + 2208988800ULL;
	uint64_t frac = ((uint64_t)(unix_ns % 1000000000LL) << 32) / 1000000000ULL;
	return (secs << 32) | frac;
}
