/*
 * wrappers.h - which modules are allocator wrappers, the rule the shim
 * (attribution at record time) and the analyzer (blame at report time)
 * must apply identically.
 *
 * A wrapper is never blamed: an allocation goes to the first frame outside
 * every wrapper. Built in: libc (strdup, getline, fopen...), libstdc++
 * (operator new), glibc's malloc debugging library and the shim itself.
 * A user-named wrapper (HEAPBLAME_WRAPPERS, --wrapper) matches a module's
 * base name as a glob ('*', '?'), or as a name followed by its versions
 * and suffixes: "libxalloc" matches libxalloc.so and libxalloc.so.1.
 * Header-only and allocation-free, so the shim can use it inside malloc.
 */
#ifndef HEAPBLAME_WRAPPERS_H
#define HEAPBLAME_WRAPPERS_H

#include <stddef.h>
#include <string.h>

/* Whether the whole of s matches pat[0..patlen) ('*' any run, '?' one
 * character). A '*' in pat is always a wildcard, even where s has one. */
static inline int hb_glob_match(const char *pat, size_t patlen, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;
	size_t pi = 0;
	while (*s) {
		if (pi < patlen && pat[pi] == '*') {
			star_p = pat + pi++;
			star_s = s;
		} else if (pi < patlen && (pat[pi] == '?' || pat[pi] == *s)) {
			pi++;
			s++;
		} else if (star_p) {
			pi = (size_t)(star_p - pat) + 1;
			s = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < patlen && pat[pi] == '*')
		pi++;
	return pi == patlen;
}

/* Whether a user-named wrapper name[0..len) matches the base name base. */
static inline int hb_wrapper_name_match(const char *name, size_t len, const char *base)
{
	return len && (hb_glob_match(name, len, base) ||
		       (strncmp(name, base, len) == 0 && (base[len] == '.' || base[len] == '\0')));
}

/* Whether base is one of the built-in wrappers. */
static inline int hb_is_builtin_wrapper(const char *base)
{
	static const char *const builtin[] = {"libc.so*", "libstdc++.so*", "libc_malloc_debug.so*",
					      "libheapblame.so*"};
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (hb_glob_match(builtin[i], strlen(builtin[i]), base))
			return 1;
	return 0;
}

#endif
