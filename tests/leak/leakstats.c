/*
 * leakstats.c - a preload for the leak check (tests/leak/run).
 *
 * Loaded into Janus by tests/e2e/with-server (--asan: after the ASan runtime,
 * LD_PRELOAD=libasan.so.8:libcvleakstats.so; --heap-stats: alone, with
 * glibc's malloc). When CONVENE_LEAK_STATS names a file, a thread writes the
 * allocator's counters there five times a second:
 *
 *     <live heap bytes> <heap size bytes> <free bytes> <unmapped bytes>
 *
 * "live heap" is what the program has allocated and not freed: with ASan
 * __sanitizer_get_current_allocated_bytes (not counting its quarantine and
 * caches), with glibc mallinfo2's uordblks + hblkhd (every arena; not
 * counting free chunks the arenas keep). Unlike RSS, its growth across the
 * cycles measures memory kept (reachable or not). The file is replaced
 * atomically.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
extern size_t __sanitizer_get_heap_size(void) __attribute__((weak));
extern size_t __sanitizer_get_free_bytes(void) __attribute__((weak));
extern size_t __sanitizer_get_unmapped_bytes(void) __attribute__((weak));

static char path[4096], tmp[4200];

static void *writer(void *arg) {
	(void)arg;
	for(;;) {
		char line[128];
		int n;
		if(__sanitizer_get_current_allocated_bytes != NULL) {
			n = snprintf(line, sizeof(line), "%zu %zu %zu %zu\n",
				__sanitizer_get_current_allocated_bytes(), __sanitizer_get_heap_size(),
				__sanitizer_get_free_bytes(), __sanitizer_get_unmapped_bytes());
		} else {
			struct mallinfo2 mi = mallinfo2();
			n = snprintf(line, sizeof(line), "%zu %zu %zu %zu\n",
				mi.uordblks + mi.hblkhd, mi.arena + mi.hblkhd, mi.fordblks, (size_t)0);
		}
		FILE *f = fopen(tmp, "w");
		if(f != NULL) {
			fwrite(line, 1, (size_t)n, f);
			fclose(f);
			rename(tmp, path);
		}
		usleep(200 * 1000);
	}
	return NULL;
}

__attribute__((constructor)) static void leakstats_start(void) {
	const char *p = getenv("CONVENE_LEAK_STATS");
	if(p == NULL || *p == '\0')
		return;
	if(strlen(p) >= sizeof(path))
		return;
	strcpy(path, p);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &attr, writer, NULL);
	pthread_attr_destroy(&attr);
}
