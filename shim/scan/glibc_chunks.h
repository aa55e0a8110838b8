/*
 * glibc_chunks.h - the in-use chunks of glibc's heaps: the blocks a sampled
 * trace never recorded, for its exit scan.
 *
 * A sampled trace knows one block in thousands (sampler.h). For the exit
 * scan to tell a leaked sampled block from a reachable one it must follow
 * pointers through the blocks it does not know, as the full scan follows
 * them through the blocks it does: a list whose head is a global reaches
 * its sampled nodes only through unsampled ones, and a leaked list's
 * sampled nodes are leaked only if its unsampled ones are. glibc's malloc
 * knows every block: its heaps are sequences of chunks, each headed by its
 * size, and a chunk is in use when the next chunk's PREV_INUSE bit is set.
 * So the scan walks the heaps and adds every in-use chunk that is not a
 * sampled block as an unsampled one (hb_reach_append: stack id 0, marked
 * and classified like any block, never counted), and leaves the heaps out
 * of the roots, as the full scan does. Each sampled block then gets the
 * kind the full scan would have given it, and its weight makes the
 * estimate of each kind unbiased.
 *
 * The heaps walked (glibc 2.26 and later, 64-bit):
 *   - the main arena's brk heap, [heap]: its first chunk at the mapping's
 *     start, its top chunk ending at the program break (sbrk(0));
 *   - each non-main arena's heaps (map_roots.h recognises them): the first
 *     chunk after the heap_info, and in an arena's first heap after its
 *     malloc_state too, the top chunk ending at the heap's size, or a
 *     fencepost (a 16-byte chunk and a 0-sized one) where the arena went on
 *     in a new heap;
 *   - the mmapped chunks: an anonymous mapping that starts with a chunk
 *     header {0, its own length | IS_MMAPPED}, and the ones after it.
 * A walk is trusted only when every header is sane (size a multiple of 16,
 * at least 32, inside the heap, the right arena bit), it ends where the
 * heap ends, and every sampled block inside the heap is the block of a
 * chunk it found. A heap whose walk fails (a program that moved the break
 * itself, a corrupted heap, another glibc) is scanned as a root instead,
 * less its sampled blocks (map_roots.h): a sampled block held by an
 * unsampled one is reachable either way, but in such a heap a leaked
 * unsampled block's pointers count as roots.
 *
 * Error that remains: glibc's tcache and fastbins keep freed chunks marked
 * in use, so a walk counts them as unsampled blocks; a stale pointer in
 * one that something reaches (a dangling pointer to it) can make a leaked
 * block reachable. The allocator's own lists reach none of them: their
 * links are mangled (safe-linking, glibc 2.32), the fastbins' heads point
 * at chunk headers (which the C library's data, scanned for block starts
 * only, does not count), and each thread's tcache_perthread_struct is
 * known by its shape and passed over.
 *
 * Nothing here allocates: the list of unsampled blocks is mmap'd.
 */
#ifndef HB_GLIBC_CHUNKS_H
#define HB_GLIBC_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "map_roots.h"
#include "reach_graph.h"

/* The unsampled blocks found, and what the walks did. */
struct hb_glibc_chunks {
	struct hb_reach_big *blk; /* {block address, usable size} */
	uint64_t n, cap;
	uint64_t heaps_walked;    /* heaps whose walk was trusted */
	uint64_t heaps_failed;    /* heaps left as roots */
	uint64_t tcaches;         /* glibc's per-thread caches of freed chunks, passed over */
	int no_memory;            /* the list could not grow: use none of it */
};

/* Walks the chunks from first (a chunk header) up to end, in a heap whose
 * chunks carry arena_bit (4: NON_MAIN_ARENA, or 0). Every in-use chunk
 * whose block is not a block of g (sorted) goes to c. Returns 0 when the
 * walk reached end (the top chunk) or a fencepost, and found every block
 * of g inside [first, end) at a chunk's block; else -1, and c is as it
 * was. */
int hb_glibc_walk(struct hb_glibc_chunks *c, const struct hb_reach_graph *g, uintptr_t first, uintptr_t end,
		  unsigned arena_bit);

/* Walks every heap of glibc's malloc among r's mappings (the brk heap
 * ending at brk_end), adding the unsampled blocks to c and leaving each
 * heap whose walk is trusted out of r's roots. readable(ctx, lo, hi):
 * whether memory may be read. */
void hb_glibc_chunks_find(struct hb_glibc_chunks *c, struct hb_map_roots *r, const struct hb_reach_graph *g,
			  uintptr_t brk_end, int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx);

void hb_glibc_chunks_release(struct hb_glibc_chunks *c);

#endif
