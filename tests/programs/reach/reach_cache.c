/*
 * reach_cache.c - libreachcache.so: blocks held by a library's own statics.
 *
 * The pointers live only in this library's writable data (.bss), which is
 * a root of the scan as much as the executable's. reachcache_replace drops
 * the previous block it kept: that one is definite. The caller keeps the
 * truth (it knows the sizes it asked for).
 */
#include <stdlib.h>
#include <string.h>

#include "reach_cache.h"

static void *volatile cache[4];
static int ncached;

static void *zalloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		abort();
	memset(p, 0, size);
	return p;
}

void reachcache_put(size_t size)
{
	if (ncached == 4)
		abort();
	cache[ncached++] = zalloc(size);
}

void reachcache_replace(size_t size)
{
	static void *volatile kept;
	kept = zalloc(size);
	(void)kept;
}
