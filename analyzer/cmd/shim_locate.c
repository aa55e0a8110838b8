/*
 * shim_locate.c - finds libheapblame.so for `heapblame run`.
 *
 * Order: $HEAPBLAME_SHIM (an explicit choice wins); the build tree, where
 * the command lives in <build>/analyzer and the shim in <build>/shim; the
 * installed layout, <prefix>/<bindir>/heapblame and
 * <prefix>/<libdir>/heapblame/libheapblame.so, found relative to the
 * running executable so a relocated install works; and last the absolute
 * install path configured at build time (HB_SHIM_INSTALLED).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef HB_SHIM_INSTALLED
#define HB_SHIM_INSTALLED "/usr/local/lib/heapblame/libheapblame.so"
#endif
#ifndef HB_SHIM_FROM_BINDIR
#define HB_SHIM_FROM_BINDIR "../lib/heapblame/libheapblame.so"
#endif

static int usable(const char *p)
{
	return access(p, R_OK) == 0;
}

int shim_locate(char *out, size_t cap)
{
	const char *env = getenv("HEAPBLAME_SHIM");
	if (env && *env) {
		if (!usable(env))
			return -1;
		snprintf(out, cap, "%s", env);
		return 0;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			const char *rel[] = {"../shim/libheapblame.so", HB_SHIM_FROM_BINDIR};
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				char cand[PATH_MAX + 64];
				snprintf(cand, sizeof(cand), "%s/%s", exe, rel[i]);
				char resolved[PATH_MAX];
				if (usable(cand) && realpath(cand, resolved)) {
					snprintf(out, cap, "%s", resolved);
					return 0;
				}
			}
		}
	}
	if (usable(HB_SHIM_INSTALLED)) {
		snprintf(out, cap, "%s", HB_SHIM_INSTALLED);
		return 0;
	}
	return -1;
}
