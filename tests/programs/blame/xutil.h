/*
 * xutil.h - libxutil.so (tests/programs/blame): a utility library that
 * exports an xmalloc of its own, as libbfd exports libiberty's, and
 * allocates with it itself.
 */
#ifndef HB_TEST_XUTIL_H
#define HB_TEST_XUTIL_H

#include <stddef.h>

#include "../truth.h"

/* malloc(size), or abort(): heapblame knows xmalloc by name. */
void *xmalloc(size_t size);

/* A copy of the n bytes at s, from xmalloc: a wrapper heapblame does not
 * know by name (--wrapper-function 'xu_*'). */
void *xu_dup(const void *s, size_t n);

/* The library's own leak: n records it allocates with its xmalloc and
 * forgets, counted in *ledger. */
void xu_table_grow(unsigned n, struct hb_ledger *ledger);

#endif
