/*
 * reach_arena.c - leaked blocks that the C library's allocator state points
 * into.
 *
 * glibc's malloc keeps its main arena (the top chunk, the bins) in libc's
 * writable data, which is a root of an exit-time scan. Those pointers name
 * chunk headers, and a chunk's header begins 16 bytes before its user
 * pointer, inside the tail of the block before it: for a 40-byte request
 * the chunk is 48 bytes and the next chunk's header starts 32 bytes into the
 * block, within its requested size. A scan that counts interior pointers
 * (LeakSanitizer's rule) and treats libc's data as an ordinary root then
 * finds each of these leaked blocks "reachable". memcheck and LeakSanitizer
 * never see this (they replace the allocator); a tracer that forwards to
 * glibc's malloc must. Three 40-byte blocks are leaked, each one just before
 * a chunk the arena points to:
 *   - one just before a freed 2000-byte chunk (too big for the per-thread
 *     cache, so it goes to the unsorted bin), with a guard block after that
 *     chunk so it does not merge into the top;
 *   - one just before a freed 120-byte chunk (128 with its header, the
 *     largest fast-bin size) that went to a fast bin: the per-thread cache
 *     for its size was filled first with 7 others. (Smaller sizes are often
 *     in that cache already, freed by the loader at start-up under a
 *     preloaded tracer, and would not come from the top.)
 *   - the last block taken from the top chunk, so the arena's top pointer
 *     is 32 bytes into it.
 * All three are definite; the two 40-byte guard blocks are held by a global:
 * reachable. The program prints `ARENA top=B unsorted=B fastbin=B`, where
 * each B is 1 when the layout above really happened (glibc's malloc, not
 * replaced: under memcheck they are 0): a check of the test itself, not part
 * of the truth.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "reach.h"

static void *volatile g_guards[2];
static int arena_top, arena_unsorted, arena_fastbin;

/* Allocates everything first, in heap order, and frees afterwards: a free
 * chunk must not serve a later request, or the arena would stop pointing
 * where the comment says. */
static __attribute__((noinline)) void arrange(void)
{
	char *a1 = reach_alloc(40);
	char *f = reach_alloc(2000);
	g_guards[0] = reach_alloc(40);
	char *a2 = reach_alloc(40);
	char *x = reach_alloc(120);
	void *fill[7];
	for (int i = 0; i < 7; i++)
		fill[i] = reach_alloc(120);
	g_guards[1] = reach_alloc(40);
	char *a3 = reach_alloc(40);
	struct mallinfo2 mi = mallinfo2(); /* keepcost: the size of the top chunk */
	arena_top = (char *)sbrk(0) - mi.keepcost == a3 + 32;
	arena_unsorted = f == a1 + 48;
	arena_fastbin = x == a2 + 48;
	for (int i = 0; i < 7; i++)
		free(fill[i]); /* fills the per-thread cache of 128-byte chunks */
	free(x);               /* so this one goes to a fast bin */
	free(f);               /* too big for the cache: the unsorted bin */
	for (int i = 0; i < 3; i++)
		reach_count(REACH_DEFINITE, 40);
	reach_count(REACH_REACHABLE, 40);
	reach_count(REACH_REACHABLE, 40);
}

int main(void)
{
	reach_arena_sizes_allowed = 1;
	arrange();
	reach_scrub();
	hb_say("ARENA top=%d unsorted=%d fastbin=%d", arena_top, arena_unsorted, arena_fastbin);
	reach_truth_print("reach_arena");
	reach_scrub();
	return 0;
}
