/*
 * output_path.c - pattern expansion for trace file names (see the header).
 * No allocation: it runs in the shim's constructor and in fork children.
 */
#include "output_path.h"

#include <stdio.h>
#include <string.h>

struct out {
	char *p, *end;
	int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if ((size_t)(o->end - o->p) <= n) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
	*o->p = '\0';
}

static void expand(struct out *o, const char *pat, pid_t pid, const char *prog)
{
	char num[24];
	for (const char *s = pat; *s; s++) {
		if (*s != '%' || !s[1]) {
			put(o, s, 1);
			continue;
		}
		s++;
		if (*s == 'p') {
			int n = snprintf(num, sizeof(num), "%d", (int)pid);
			put(o, num, (size_t)n);
		} else if (*s == 'e') {
			put(o, prog, strlen(prog));
		} else if (*s == '%') {
			put(o, "%", 1);
		} else {
			put(o, s - 1, 2); /* unknown: kept as written */
		}
	}
}

int hb_output_path(char *out, size_t cap, const char *pattern, int is_dir, pid_t pid, const char *prog,
		   unsigned attempt)
{
	struct out o = {out, out + cap, 0};
	if (!cap)
		return -1;
	out[0] = '\0';
	if (!pattern || !*pattern) {
		expand(&o, HB_DEFAULT_TRACE_NAME, pid, prog);
	} else {
		size_t n = strlen(pattern);
		if (is_dir || pattern[n - 1] == '/') {
			put(&o, pattern, n);
			if (pattern[n - 1] != '/')
				put(&o, "/", 1);
			expand(&o, HB_DEFAULT_TRACE_NAME, pid, prog);
		} else {
			expand(&o, pattern, pid, prog);
		}
	}
	if (attempt) {
		char suffix[16];
		int n = snprintf(suffix, sizeof(suffix), ".%u", attempt);
		size_t len = (size_t)(o.p - out);
		if (len > 4 && strcmp(o.p - 4, ".hbt") == 0) {
			o.p -= 4;
			*o.p = '\0';
			put(&o, suffix, (size_t)n);
			put(&o, ".hbt", 4);
		} else {
			put(&o, suffix, (size_t)n);
		}
	}
	return o.overflow ? -1 : 0;
}
