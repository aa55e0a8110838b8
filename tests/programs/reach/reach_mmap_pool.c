/*
 * reach_mmap_pool.c - blocks held only by memory the program mapped for
 * itself, as an allocator of its own keeps them (python's pymalloc arenas,
 * gcc's garbage-collected pages), next to blocks that only glibc's own
 * free space still points to.
 *
 *   - a pool of 1 MiB from mmap, its objects holding the only pointers to
 *     12 malloc'd blocks: reachable (memcheck scans the program's mappings
 *     as roots);
 *   - a second pool, just as big, holding the only pointers to 7 others,
 *     then unmapped: those are definite;
 *   - a block big enough to be a mapping of glibc's own (256 KiB: an
 *     mmapped chunk), holding the only pointer to a small block, dropped:
 *     the big one definite, the small one indirect (the big block's pages
 *     are the heap's, not the program's);
 *   - a thread's blocks, in a non-main arena of glibc's (a 64 MiB heap of
 *     its own): a holder of 8 KiB keeps a pointer to a block, on a page of
 *     its own, and is then freed: the block is definite (a freed chunk's
 *     stale contents are the heap's free space, never a root);
 *   - a block whose only pointer was a local of a thread that has ended
 *     (and was joined): definite, though glibc keeps the thread's stack
 *     mapped for the next thread (a dead frame is no root);
 *   - a block kept in a pool made of two mappings side by side (the kernel
 *     merges them into one in /proc/self/maps), the pointer in the upper
 *     one: reachable.
 * Then main returns. Truth: reach.h's ledger, one TRUTH line.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "reach.h"

#define POOL (1u << 20)

struct object { /* one object of the program's own allocator */
	unsigned long tag;
	void *payload;
};

static struct object *volatile kept_pool;
static char *volatile merged_pool;

static void *map_pool(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		hb_die("mmap failed");
	return p;
}

static __attribute__((noinline)) void fill_kept_pool(void)
{
	kept_pool = map_pool(POOL);
	for (int i = 0; i < 12; i++) { /* spread over the pool's pages */
		struct object *o = &kept_pool[(size_t)i * 5000];
		o->tag = 0x0b1ec7;
		o->payload = reach_alloc(48 + 16 * (size_t)i);
		reach_count(REACH_REACHABLE, 48 + 16 * (size_t)i);
	}
}

static __attribute__((noinline)) void drop_unmapped_pool(void)
{
	struct object *pool = map_pool(POOL);
	for (int i = 0; i < 7; i++) {
		pool[i * 3000].payload = reach_alloc(160);
		reach_count(REACH_DEFINITE, 160);
	}
	if (munmap(pool, POOL) != 0)
		hb_die("munmap failed");
}

static __attribute__((noinline)) void drop_big_block(void)
{
	void **big = reach_alloc(256 << 10);
	big[1000] = reach_alloc(80);
	reach_count(REACH_DEFINITE, 256 << 10);
	reach_count(REACH_INDIRECT, 80);
}

static __attribute__((noinline)) void thread_drops(void)
{
	void *dropped = reach_alloc(96);
	void **holder = reach_alloc(8192);
	holder[520] = dropped; /* a page on which no live block lies */
	reach_count(REACH_DEFINITE, 96);
	free(holder); /* back into the arena's top chunk, contents as they were */
}

static void *thread_main(void *arg)
{
	(void)arg;
	thread_drops();
	reach_scrub();
	return NULL;
}

static void *ending_thread_main(void *arg)
{
	(void)arg;
	void *volatile local = reach_alloc(112);
	(void)local;
	reach_count(REACH_DEFINITE, 112);
	return NULL;
}

static __attribute__((noinline)) void fill_merged_pool(void)
{
	/* two mappings, the second just above the first */
	char *lo = map_pool(2 * POOL);
	if (munmap(lo + POOL, POOL) != 0)
		hb_die("munmap failed");
	char *hi = mmap(lo + POOL, POOL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (hi == MAP_FAILED)
		hb_die("mmap failed");
	merged_pool = lo;
	*(void **)(hi + 4096) = reach_alloc(224);
	reach_count(REACH_REACHABLE, 224);
}

int main(void)
{
	fill_kept_pool();
	drop_unmapped_pool();
	drop_big_block();
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		hb_die("pthread failed");
	if (pthread_create(&t, NULL, ending_thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		hb_die("pthread failed");
	fill_merged_pool();
	reach_scrub();
	reach_truth_print("reach_mmap_pool");
	reach_scrub();
	return 0;
}
