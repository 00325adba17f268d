/*
 * fuzz_common.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * FUZZ_CHECK(cond) is an invariant: when it does not hold the target prints
 * where and why and aborts, which libFuzzer reports as a crash (the input
 * is saved like any sanitizer finding). Nothing here allocates globally, so
 * every run of a target leaves no state behind (LeakSanitizer stays on).
 */
#ifndef CV_FUZZ_COMMON_H
#define CV_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do { \
	if(!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while(0)

/* A heap block holding exactly bytes[0..len), so that a read one byte past
 * the end is an AddressSanitizer report; for len 0 a pointer just past a
 * 1-byte block (any read through it is a report too). Release with
 * fuzz_free(ptr, len). */
static inline uint8_t *fuzz_copy(const uint8_t *bytes, size_t len) {
	uint8_t *block = malloc(len ? len : 1);
	if(block == NULL)
		abort();
	if(len == 0)
		return block + 1;
	memcpy(block, bytes, len);
	return block;
}

static inline void fuzz_free(uint8_t *p, size_t len) {
	free(len == 0 ? p - 1 : p);
}

/* A NUL-terminated heap copy of bytes[0..len) (embedded NULs kept). */
static inline char *fuzz_cstr(const uint8_t *bytes, size_t len) {
	char *s = malloc(len + 1);
	if(s == NULL)
		abort();
	memcpy(s, bytes, len);
	s[len] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
