/*
 * cv_sdp_restore.c - extmap lines back into the plugin's offers (see
 * cv_sdp_restore.h).
 *
 * One pass over the lines: an m-section is copied through up to its a=mid
 * line; if that mid has lines to restore, those whose id the section does
 * not already map follow it. The SDP keeps its line ending style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_sdp_restore.h"

/* A growable output buffer. */
typedef struct cv_text {
	char *buf;
	size_t len, cap;
	int failed;
} cv_text;

static void cv_text_add(cv_text *t, const char *s, size_t n) {
	if(t->failed)
		return;
	if(t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while(cap < t->len + n + 1)
			cap *= 2;
		char *grown = realloc(t->buf, cap);
		if(grown == NULL) {
			t->failed = 1;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

/* The id of an extmap value "<id>[/dir] <uri>" in 1..14, or 0. */
static int cv_extmap_id(const char *value) {
	char *end = NULL;
	long id = strtol(value, &end, 10);
	if(end == value || id < 1 || id > 14 || (*end != ' ' && *end != '/'))
		return 0;
	return (int)id;
}

/* True when the section [start, end) has an a=extmap line with id. */
static int cv_section_maps(const char *start, const char *end, int id) {
	for(const char *line = start; line < end; ) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *next = eol ? eol + 1 : end;
		if((size_t)(next - line) > 9 && strncmp(line, "a=extmap:", 9) == 0 && cv_extmap_id(line + 9) == id)
			return 1;
		line = next;
	}
	return 0;
}

/* The end of the section that contains pos: the next "m=" line or the end. */
static const char *cv_section_end(const char *pos) {
	for(const char *line = pos; *line != '\0'; ) {
		if(line != pos && strncmp(line, "m=", 2) == 0)
			return line;
		const char *eol = strchr(line, '\n');
		if(eol == NULL)
			return line + strlen(line);
		line = eol + 1;
	}
	return pos + strlen(pos);
}

char *cv_sdp_restore(const char *sdp, json_t *by_mid) {
	if(sdp == NULL)
		return NULL;
	cv_text out = { NULL, 0, 0, 0 };
	const char *eol_style = strstr(sdp, "\r\n") ? "\r\n" : "\n";
	const char *section = sdp;
	for(const char *line = sdp; *line != '\0'; ) {
		const char *eol = strchr(line, '\n');
		const char *next = eol ? eol + 1 : line + strlen(line);
		if(strncmp(line, "m=", 2) == 0)
			section = line;
		cv_text_add(&out, line, (size_t)(next - line));
		size_t len = (size_t)(next - line);
		while(len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		json_t *lines = NULL;
		if(section != sdp && len > 6 && strncmp(line, "a=mid:", 6) == 0 && json_is_object(by_mid)) {
			char mid[64];
			if(len - 6 < sizeof(mid)) {
				memcpy(mid, line + 6, len - 6);
				mid[len - 6] = '\0';
				lines = json_object_get(by_mid, mid);
			}
		}
		if(json_is_array(lines)) {
			if(eol == NULL)
				cv_text_add(&out, eol_style, strlen(eol_style));
			const char *end = cv_section_end(section);
			unsigned added = 0;	/* ids written here, one bit each */
			size_t i;
			json_t *entry;
			json_array_foreach(lines, i, entry) {
				const char *value = json_string_value(entry);
				int id = value ? cv_extmap_id(value) : 0;
				if(id == 0 || strchr(value, '\r') || strchr(value, '\n') || (added & (1u << id)) ||
						cv_section_maps(section, end, id))
					continue;
				added |= 1u << id;
				cv_text_add(&out, "a=extmap:", 9);
				cv_text_add(&out, value, strlen(value));
				cv_text_add(&out, eol_style, strlen(eol_style));
			}
		}
		line = next;
	}
	if(out.failed || out.buf == NULL) {
		free(out.buf);
		return out.failed ? NULL : strdup("");
	}
	return out.buf;
}
