/*
 * bootstrap.c - the static pool (see bootstrap.h). Each block carries its
 * requested size in the 16 bytes before it, for realloc and
 * malloc_usable_size.
 */
#include "bootstrap.h"

#include <stdint.h>

_Alignas(16) unsigned char hb_bootstrap_pool[HB_BOOTSTRAP_POOL_SIZE];
static size_t pool_used;

void *hb_bootstrap_alloc(size_t size)
{
	if (size > HB_BOOTSTRAP_POOL_SIZE)
		return NULL;
	size_t need = 16 + ((size + 15) & ~(size_t)15);
	size_t off = __atomic_fetch_add(&pool_used, need, __ATOMIC_RELAXED);
	if (off + need > HB_BOOTSTRAP_POOL_SIZE)
		return NULL;
	*(size_t *)(hb_bootstrap_pool + off) = size;
	return hb_bootstrap_pool + off + 16;
}

size_t hb_bootstrap_size(const void *p)
{
	return *(const size_t *)((const unsigned char *)p - 16);
}
