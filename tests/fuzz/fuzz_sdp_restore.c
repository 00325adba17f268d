/*
 * fuzz_sdp_restore.c - src/cv_sdp_restore.c (the transport puts extmap
 * lines back into the plugin's offers before they reach the client).
 *
 * Feeds: the input as SDP text; the lines to restore are given for every
 * mid the text names (up to 4) and for "0", with valid, already-mapped,
 * out-of-range and injected entries.
 *
 * Asserts beyond "no crash":
 *  - the output is the input with only whole "a=extmap:<id> <uri>" lines
 *    added (and a line end after a last line that had none), each one of the entries given (never one with CR/LF inside or
 *    an id outside 1..14);
 *  - restoring the output again changes nothing (every id added is then
 *    mapped in its section);
 *  - without entries the output equals the input.
 */
#include <jansson.h>

#include "fuzz_common.h"
#include "cv_sdp_restore.h"

#define RID "10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define RRID "11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

static json_t *entries(void) {
	return json_pack("[sssssss]", RID, RRID, "4 urn:ietf:params:rtp-hdrext:sdes:mid", "15 urn:bad",
		"0 urn:bad", "12 urn:x\r\na=injected", "13/recvonly urn:y");
}

/* Whether line (len bytes, no EOL) is an a=extmap: line built from one of
 * the entries. */
static bool is_given_line(const char *line, size_t len) {
	static const char *ok[] = { RID, RRID, "4 urn:ietf:params:rtp-hdrext:sdes:mid", "13/recvonly urn:y", NULL };
	if(len < 9 || strncmp(line, "a=extmap:", 9) != 0)
		return false;
	for(int i = 0; ok[i] != NULL; i++) {
		if(strlen(ok[i]) == len - 9 && strncmp(line + 9, ok[i], len - 9) == 0)
			return true;
	}
	return false;
}

/* out must be in with extra whole lines, each a given extmap line. */
static void check_only_lines_added(const char *in, const char *out) {
	const char *a = in, *b = out;
	while(*b != '\0') {
		const char *eol = strchr(b, '\n');
		size_t line_len = eol ? (size_t)(eol - b) + 1 : strlen(b);
		const char *a_eol = strchr(a, '\n');
		size_t a_len = a_eol ? (size_t)(a_eol - a) + 1 : strlen(a);
		if(*a != '\0' && a_len == line_len && memcmp(a, b, line_len) == 0) {
			a += a_len;
		} else if(*a != '\0' && a_eol == NULL && line_len > a_len && memcmp(a, b, a_len) == 0 &&
				strspn(b + a_len, "\r\n") == line_len - a_len) {
			/* the input's last line, which had no line end, got one */
			a += a_len;
		} else {
			/* an added line: given, with the SDP's own line ending */
			size_t body = line_len;
			while(body > 0 && (b[body - 1] == '\n' || b[body - 1] == '\r'))
				body--;
			FUZZ_CHECK(eol != NULL);
			FUZZ_CHECK(is_given_line(b, body));
		}
		b += line_len;
	}
	FUZZ_CHECK(*a == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *sdp = fuzz_cstr(data, size);
	json_t *by_mid = json_object();
	json_object_set_new(by_mid, "0", entries());
	int mids = 0;
	for(const char *p = strstr(sdp, "a=mid:"); p != NULL && mids < 4; p = strstr(p + 1, "a=mid:")) {
		size_t n = strcspn(p + 6, "\r\n");
		if(n == 0 || n >= 64)
			continue;
		char mid[64];
		memcpy(mid, p + 6, n);
		mid[n] = '\0';
		json_object_set_new(by_mid, mid, entries());
		mids++;
	}
	char *out = cv_sdp_restore(sdp, by_mid);
	FUZZ_CHECK(out != NULL);
	check_only_lines_added(sdp, out);
	char *again = cv_sdp_restore(out, by_mid);
	FUZZ_CHECK(again != NULL && strcmp(again, out) == 0);
	char *plain = cv_sdp_restore(sdp, NULL);
	FUZZ_CHECK(plain != NULL && strcmp(plain, sdp) == 0);
	free(plain);
	free(again);
	free(out);
	json_decref(by_mid);
	free(sdp);
	return 0;
}
