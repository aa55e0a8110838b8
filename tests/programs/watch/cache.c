/*
 * cache.c - libcache.so: a bounded cache that fills and then holds.
 *
 * Keys are unsigned integers; each stored key gets one malloc'ed entry of
 * CACHE_ENTRY_SIZE bytes (the key, then a payload), found again through an
 * open-addressing index of 2 x CACHE_MAX_ENTRIES slots. The index is a
 * static table, not a malloc'ed one, so that what libcache.so has
 * outstanding is exactly its entries: entries x CACHE_ENTRY_SIZE, which is
 * what cache_bytes() reports and heapblame must find. With at most half the
 * slots used, a linear probe always ends at the key or at an empty slot.
 * A full cache does not evict (eviction would free and allocate): a missing
 * key is refused with -ENOSPC. So the library's memory rises while the
 * caller fills it, then stays put however long the caller keeps looking
 * keys up; entries are never freed (reachable at exit, through the index).
 * All mallocs are made here, behind cache_put(), so that heapblame blames
 * libcache.so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define CACHE_SLOTS (2 * CACHE_MAX_ENTRIES) /* a power of two */

struct cache_entry {
	unsigned key;
	unsigned char payload[CACHE_ENTRY_SIZE - sizeof(unsigned)];
};
_Static_assert(sizeof(struct cache_entry) == CACHE_ENTRY_SIZE, "an entry is CACHE_ENTRY_SIZE bytes");

static struct cache_entry *slots[CACHE_SLOTS];
static size_t capacity, stored;
static int configured;

int cache_init(size_t capacity_bytes)
{
	size_t n = capacity_bytes / CACHE_ENTRY_SIZE;
	if (configured || n > CACHE_MAX_ENTRIES)
		return -EINVAL;
	capacity = n;
	configured = 1;
	return 0;
}

/* The slot of `key` (Knuth's multiplicative hash, then a linear probe):
 * the one holding it, or the empty slot where it would go. */
static size_t cache_slot(unsigned key)
{
	size_t i = ((size_t)key * 2654435761u) & (CACHE_SLOTS - 1);
	while (slots[i] && slots[i]->key != key)
		i = (i + 1) & (CACHE_SLOTS - 1);
	return i;
}

int cache_put(unsigned key)
{
	size_t i = cache_slot(key);
	if (slots[i])
		return CACHE_HIT;
	if (stored >= capacity)
		return -ENOSPC;
	struct cache_entry *e = malloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	e->key = key;
	memset(e->payload, (int)(key & 0xff), sizeof e->payload); /* a value worth caching */
	slots[i] = e;
	stored++;
	return CACHE_STORED;
}

size_t cache_entries(void)
{
	return stored;
}

size_t cache_bytes(void)
{
	return stored * sizeof(struct cache_entry);
}

size_t cache_capacity_entries(void)
{
	return capacity;
}
