/*
 * customer_cache.h - libcache.so, the demo's customer cache: the memory that stays
 * but is no leak.
 */
#ifndef CUSTOMER_CACHE_H
#define CUSTOMER_CACHE_H

/* The delivery address of customer id, looked up once, then cached. NULL
 * when out of memory. */
const char *customer_cache_get(unsigned long id);

#endif
