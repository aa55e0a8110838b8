/*
 * xalloc.c - libxalloc.so.1: xa_malloc() calls malloc and aborts on failure.
 *
 * Without `--wrapper`, the blocks it returns are blamed on libxalloc.so.1
 * (its code called malloc); named as a wrapper (`--wrapper libxalloc.so.1`,
 * `libxalloc.so`, `libxalloc`, a glob), they are blamed on the module that
 * called xa_malloc. Built with a version (libxalloc.so.1.0.0, soname
 * libxalloc.so.1) to check that a name without version matches.
 */
#include "xalloc.h"

#include <stdlib.h>

__attribute__((noinline)) void *xa_malloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		abort();
	return p;
}
