/*
 * test_redirect.c - unit tests for src/cv_redirect.c (the Location of an
 * http -> https redirect).
 */
#include <string.h>

#include "cv_redirect.h"
#include "cv_test.h"

static const char *loc(const char *host, const char *path, const char *const *args, size_t n) {
	static char out[512];
	if(!cv_https_location(host, path, args, n, out, sizeof(out)))
		return "(refused)";
	return out;
}

static void test_plain(void) {
	CV_CHECK_STR(loc("127.0.0.1:8090", "/", NULL, 0), "https://127.0.0.1:8090/");
	CV_CHECK_STR(loc("example.com", NULL, NULL, 0), "https://example.com/");
	CV_CHECK_STR(loc("example.com", "", NULL, 0), "https://example.com/");
	CV_CHECK_STR(loc("[::1]:8090", "/index.html", NULL, 0), "https://[::1]:8090/index.html");
	CV_CHECK_STR(loc("h", "/js/mesh-call.js", NULL, 0), "https://h/js/mesh-call.js");
}

static void test_query(void) {
	const char *args[] = { "room=demo", "token=a.b-c_d", "flag", "", "x=" };
	CV_CHECK_STR(loc("h:1", "/", args, 5), "https://h:1/?room=demo&token=a.b-c_d&flag&x=");
	/* decoded values are encoded again: & = space + % / */
	const char *tricky[] = { "name=a&b=c d+e%f/g?h#i", "k=v=w" };
	CV_CHECK_STR(loc("h", "/p", tricky, 2), "https://h/p?name=a%26b%3Dc%20d%2Be%25f%2Fg%3Fh%23i&k=v%3Dw");
	/* NULL entries are skipped */
	const char *holes[] = { NULL, "a=1" };
	CV_CHECK_STR(loc("h", "/", holes, 2), "https://h/?a=1");
}

static void test_path_encoding(void) {
	CV_CHECK_STR(loc("h", "/a b/\xc3\xa9?#", NULL, 0), "https://h/a%20b/%C3%A9%3F%23");
	CV_CHECK_STR(loc("h", "relative", NULL, 0), "https://h/relative");
	CV_CHECK_STR(loc("h", "/\r\nSet-Cookie: x", NULL, 0), "https://h/%0D%0ASet-Cookie%3A%20x");
}

static void test_bad_hosts(void) {
	CV_CHECK_STR(loc(NULL, "/", NULL, 0), "(refused)");
	CV_CHECK_STR(loc("", "/", NULL, 0), "(refused)");
	CV_CHECK_STR(loc("evil.com/path", "/", NULL, 0), "(refused)");
	CV_CHECK_STR(loc("a\r\nSet-Cookie: x", "/", NULL, 0), "(refused)");
	CV_CHECK_STR(loc("user@host", "/", NULL, 0), "(refused)");
	CV_CHECK_STR(loc("host name", "/", NULL, 0), "(refused)");
	char long_host[300];
	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	CV_CHECK_STR(loc(long_host, "/", NULL, 0), "(refused)");
}

static void test_fit(void) {
	char out[20];
	CV_CHECK(cv_https_location("h", "/abcdef", NULL, 0, out, sizeof(out)));
	CV_CHECK_STR(out, "https://h/abcdef");
	CV_CHECK(!cv_https_location("h", "/abcdefghijklmnop", NULL, 0, out, sizeof(out)));
	CV_CHECK(!cv_https_location("h", "/", NULL, 0, out, 0));
	char exact[17];
	CV_CHECK(cv_https_location("h", "/abcdef", NULL, 0, exact, sizeof(exact)));
	CV_CHECK(!cv_https_location("h", "/abcdefg", NULL, 0, exact, sizeof(exact)));
}

int main(void) {
	CV_RUN(test_plain);
	CV_RUN(test_query);
	CV_RUN(test_path_encoding);
	CV_RUN(test_bad_hosts);
	CV_RUN(test_fit);
	return cv_test_done();
}
