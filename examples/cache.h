/*
 * cache.h - libcache.so, the demo's customer cache: the memory that stays
 * but is no leak.
 */
#ifndef CACHE_H
#define CACHE_H

/* The delivery address of customer id, looked up once, then cached. NULL
 * when out of memory. */
const char *cache_customer(unsigned long id);

#endif
