/*
 * test_sdp_restore.c - extmap lines put back into the plugin's offers.
 *
 * The SDPs are cut down from what the Janus core emits for a Convene offer
 * to a simulcast publisher: the video m-line has a=rid/a=simulcast but the
 * RID extmaps were removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cv_test.h"
#include "cv_sdp_restore.h"

#define RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define RRID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

static const char *offer =
	"v=0\r\n"
	"o=- 1 2 IN IP4 127.0.0.1\r\n"
	"s=Convene\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1 2\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
	"a=mid:0\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
	"a=recvonly\r\n"
	"a=mid:1\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=rid:h recv\r\n"
	"a=simulcast:recv h;m;l\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
	"a=sendonly\r\n"
	"a=mid:2\r\n";

static json_t *lines_for(const char *mid, const char *a, const char *b) {
	json_t *arr = json_array();
	if(a)
		json_array_append_new(arr, json_string(a));
	if(b)
		json_array_append_new(arr, json_string(b));
	return json_pack("{so}", mid, arr);
}

/* The m-section of mid in sdp (from its m= line to the next), a copy. */
static char *section_of(const char *sdp, const char *mid) {
	char needle[32];
	snprintf(needle, sizeof(needle), "a=mid:%s\r\n", mid);
	const char *at = strstr(sdp, needle);
	if(at == NULL)
		return NULL;
	const char *start = at;
	while(start > sdp && strncmp(start, "\nm=", 3) != 0)
		start--;
	const char *end = strstr(at, "\nm=");
	size_t n = end ? (size_t)(end - start) : strlen(start);
	char *copy = malloc(n + 1);
	memcpy(copy, start, n);
	copy[n] = '\0';
	return copy;
}

static int count(const char *hay, const char *needle) {
	int n = 0;
	for(const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_restores_after_mid(void) {
	json_t *by_mid = lines_for("1", "10 " RID, "11 " RRID);
	char *out = cv_sdp_restore(offer, by_mid);
	CV_CHECK(out != NULL);
	char *video = out ? section_of(out, "1") : NULL;
	CV_CHECK(video != NULL && strstr(video, "a=mid:1\r\na=extmap:10 " RID "\r\na=extmap:11 " RRID "\r\na=extmap:4 ") != NULL);
	/* the other sections are as they were */
	char *audio = out ? section_of(out, "0") : NULL;
	CV_CHECK(audio != NULL && strstr(audio, RID) == NULL);
	char *other = out ? section_of(out, "2") : NULL;
	CV_CHECK(other != NULL && strstr(other, RID) == NULL);
	CV_CHECK(out != NULL && strlen(out) == strlen(offer) + strlen("a=extmap:10 " RID "\r\na=extmap:11 " RRID "\r\n"));
	free(video);
	free(audio);
	free(other);
	free(out);
	json_decref(by_mid);
}

static void test_nothing_to_restore_is_identity(void) {
	char *out = cv_sdp_restore(offer, NULL);
	CV_CHECK_STR(out, offer);
	free(out);
	json_t *empty = json_object();
	out = cv_sdp_restore(offer, empty);
	CV_CHECK_STR(out, offer);
	free(out);
	json_t *unknown = lines_for("7", "10 " RID, NULL);
	out = cv_sdp_restore(offer, unknown);
	CV_CHECK_STR(out, offer);
	free(out);
	json_decref(empty);
	json_decref(unknown);
	CV_CHECK(cv_sdp_restore(NULL, NULL) == NULL);
}

static void test_ids_already_mapped_are_kept(void) {
	/* id 4 is already the mid extension: never a second line with id 4 */
	json_t *by_mid = lines_for("1", "4 " RID, "11 " RRID);
	char *out = cv_sdp_restore(offer, by_mid);
	CV_CHECK(out != NULL && count(out, "a=extmap:4 ") == 2);
	CV_CHECK(out != NULL && strstr(out, "a=extmap:4 " RID) == NULL);
	CV_CHECK(out != NULL && count(out, "a=extmap:11 " RRID) == 1);
	free(out);
	json_decref(by_mid);
	/* the same line twice is written once */
	by_mid = lines_for("1", "10 " RID, "10 " RID);
	out = cv_sdp_restore(offer, by_mid);
	CV_CHECK(out != NULL && count(out, "a=extmap:10 ") == 1);
	free(out);
	json_decref(by_mid);
}

static void test_bad_entries_are_ignored(void) {
	json_t *arr = json_array();
	json_array_append_new(arr, json_integer(10));
	json_array_append_new(arr, json_string("0 " RID));
	json_array_append_new(arr, json_string("15 " RID));
	json_array_append_new(arr, json_string("x " RID));
	json_array_append_new(arr, json_string("12 " RID "\r\na=injected"));
	json_array_append_new(arr, json_string("13/recvonly " RRID));
	json_t *by_mid = json_pack("{so}", "1", arr);
	char *out = cv_sdp_restore(offer, by_mid);
	CV_CHECK(out != NULL && strstr(out, "injected") == NULL);
	CV_CHECK(out != NULL && count(out, RID) == 0);
	CV_CHECK(out != NULL && count(out, "a=extmap:13/recvonly " RRID "\r\n") == 1);
	free(out);
	json_decref(by_mid);
	/* not an array */
	by_mid = json_pack("{ss}", "1", "10 " RID);
	out = cv_sdp_restore(offer, by_mid);
	CV_CHECK_STR(out, offer);
	free(out);
	json_decref(by_mid);
}

static void test_lf_lines_and_last_line(void) {
	const char *lf = "v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v";
	json_t *by_mid = lines_for("v", "10 " RID, NULL);
	char *out = cv_sdp_restore(lf, by_mid);
	CV_CHECK_STR(out, "v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v\na=extmap:10 " RID "\n");
	free(out);
	/* a=mid at session level (before any m=) is not a section */
	out = cv_sdp_restore("v=0\na=mid:v\n", by_mid);
	CV_CHECK_STR(out, "v=0\na=mid:v\n");
	free(out);
	json_decref(by_mid);
}

int main(void) {
	CV_RUN(test_restores_after_mid);
	CV_RUN(test_nothing_to_restore_is_identity);
	CV_RUN(test_ids_already_mapped_are_kept);
	CV_RUN(test_bad_entries_are_ignored);
	CV_RUN(test_lf_lines_and_last_line);
	return cv_test_done();
}
