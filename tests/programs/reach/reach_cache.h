/*
 * reach_cache.h - libreachcache.so, a shared library linked into reach_lib
 * that keeps blocks in static variables of its own, and loses some.
 */
#ifndef HB_TEST_REACH_CACHE_H
#define HB_TEST_REACH_CACHE_H

#include <stddef.h>

/* Allocates a zeroed block of size bytes and keeps it in the library's
 * static cache (4 slots; a 5th call dies). */
void reachcache_put(size_t size);

/* Allocates a zeroed block of size bytes in a function-local static,
 * replacing (and so losing) the block a previous call kept there. */
void reachcache_replace(size_t size);

#endif
