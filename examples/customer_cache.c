/*
 * customer_cache.c - libcache.so, the demo's customer cache, beside libmta.so.
 *
 * Every message looks its customer up here. The first lookup of a
 * customer builds a record and keeps it; later ones hit. There are
 * CACHE_CUSTOMERS customers, so the cache fills during the first
 * CACHE_CUSTOMERS messages and then holds: its memory rises, then stays,
 * and is still reachable at exit. heapblame calls it a plateau, beside
 * libmta.so's leak, which keeps growing for as long as messages come.
 */
#include "customer_cache.h"

#include <stdio.h>
#include <stdlib.h>

#define CACHE_CUSTOMERS 6000

struct customer {
	unsigned long id;
	char address[496];
};

static struct customer *table[CACHE_CUSTOMERS];

const char *customer_cache_get(unsigned long id)
{
	struct customer **slot = &table[id % CACHE_CUSTOMERS];
	if (!*slot || (*slot)->id != id) {
		struct customer *c = *slot ? *slot : malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->id = id;
		snprintf(c->address, sizeof(c->address), "customer%lu@example.org", id);
		*slot = c;
	}
	return (*slot)->address;
}
