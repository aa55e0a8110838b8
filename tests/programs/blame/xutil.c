/*
 * xutil.c - libxutil.so: xmalloc, xu_dup, and a leak of the library's own.
 *
 * xu_table_grow (exported) -> xu_table_add (static) -> xmalloc -> malloc:
 * blocks the library allocated for itself, to be blamed on libxutil.so
 * even though its xmalloc is an allocator wrapper, entered via
 * xu_table_grow from the program's main. The program's own calls of
 * xmalloc and xu_dup are blamed on the program (xu_dup only with
 * --wrapper-function).
 */
#include "xutil.h"

#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *xmalloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) void *xu_dup(const void *s, size_t n)
{
	void *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

static __attribute__((noinline)) void *xu_table_add(unsigned i, size_t size)
{
	char *p = xmalloc(size);
	p[0] = (char)i;
	return p;
}

__attribute__((noinline)) void xu_table_grow(unsigned n, struct hb_ledger *ledger)
{
	for (unsigned i = 0; i < n; i++) {
		size_t size = 24 + 8 * (size_t)(i % 5);
		hb_ledger_alloc(ledger, xu_table_add(i, size), size);
	}
}
