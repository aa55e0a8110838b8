/*
 * bootstrap.h - a static pool that serves allocations made while the shim
 * looks up the real allocator.
 *
 * dlsym() may call calloc or malloc before dlsym(RTLD_NEXT, "malloc") has
 * returned, and there is no real malloc yet to serve them. 64 KiB of static
 * memory, handed out by an atomic bump, covers that window (glibc's dlsym
 * needs well under 1 KiB). Pool blocks are never reused; free() recognises
 * them by address and ignores them, realloc() copies out of them.
 */
#ifndef HB_BOOTSTRAP_H
#define HB_BOOTSTRAP_H

#include <stddef.h>

/* Returns zeroed memory aligned to 16, or NULL when the pool is used up. */
void *hb_bootstrap_alloc(size_t size) __attribute__((visibility("hidden")));
#define HB_BOOTSTRAP_POOL_SIZE (64u << 10)
extern unsigned char hb_bootstrap_pool[HB_BOOTSTRAP_POOL_SIZE] __attribute__((visibility("hidden")));

/* Whether p is a pool block; inline, since every free() asks. */
static inline int hb_bootstrap_owns(const void *p)
{
	return (const unsigned char *)p >= hb_bootstrap_pool &&
	       (const unsigned char *)p < hb_bootstrap_pool + HB_BOOTSTRAP_POOL_SIZE;
}
/* The size that was asked for a pool block. */
size_t hb_bootstrap_size(const void *p) __attribute__((visibility("hidden")));

#endif
