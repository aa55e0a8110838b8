/*
 * cache.h - the API of libcache.so (tests/programs/watch): a bounded cache
 * that fills up and then holds.
 *
 * Entries are CACHE_ENTRY_SIZE bytes each, allocated when a key is first
 * stored; once the configured number of entries is reached the cache
 * refuses new keys instead of evicting, so from then on it allocates and
 * frees nothing: the "plateau" module of the Watch tests (see watchprog.c).
 * Not thread-safe: one caller at a time.
 */
#ifndef HB_TEST_CACHE_H
#define HB_TEST_CACHE_H

#include <stddef.h>

/* The requested size of every entry's block. */
#define CACHE_ENTRY_SIZE 4096

/* The most entries cache_init() accepts (the index is a static table of
 * twice as many slots). */
#define CACHE_MAX_ENTRIES 32768

/* What cache_put() returns besides a negative errno (-ENOSPC: the cache is
 * full and the key was not stored; -ENOMEM: the entry's malloc failed). */
#define CACHE_HIT 1    /* the key was there: nothing allocated */
#define CACHE_STORED 0 /* a new entry was allocated for it */

/* Sets the capacity to capacity_bytes / CACHE_ENTRY_SIZE entries (0: the
 * cache stores nothing). Call once, before cache_put(). Returns 0, or
 * -EINVAL if that is more than CACHE_MAX_ENTRIES entries or the cache was
 * already configured. Allocates nothing. */
int cache_init(size_t capacity_bytes);

/* Looks `key` up and stores it if it is missing and the cache has room.
 * Returns CACHE_HIT, CACHE_STORED, -ENOSPC or -ENOMEM (see above). */
int cache_put(unsigned key);

/* The entries stored, and the requested bytes of their blocks. */
size_t cache_entries(void);
size_t cache_bytes(void);

/* The number of entries the cache holds when full. */
size_t cache_capacity_entries(void);

#endif
