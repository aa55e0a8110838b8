/*
 * glibc_chunks.c - walking glibc's heaps chunk by chunk for the blocks a
 * sampled trace never recorded (see glibc_chunks.h for what and why).
 *
 * A chunk (glibc's malloc.c) is {prev_size, size | flags} followed by its
 * block; the block of an in-use chunk runs on over the next chunk's
 * prev_size, so it has size - 8 usable bytes. Flags: PREV_INUSE (1), the
 * chunk before is in use; IS_MMAPPED (2); NON_MAIN_ARENA (4), which only
 * an in-use chunk is sure to carry (free() reads it; a freed chunk's
 * header is rewritten without it). Chunks, and so their headers, are
 * 16-aligned.
 */
#include "glibc_chunks.h"

#include <string.h>

#include "shim_mem.h"

#define PREV_INUSE 1u
#define IS_MMAPPED 2u
#define NON_MAIN_ARENA 4u
#define MIN_CHUNK 32u
#define PAGE 4096u

/* The size of glibc's struct malloc_state on 64-bit systems since 2.26
 * (mutex, flags, have_fastchunks, 10 fastbins, top, last_remainder, 254
 * bins, binmap, next, next_free, attached_threads, system_mem,
 * max_system_mem): an arena's first chunk is the first aligned one after
 * it. Only the first guess: other offsets are tried after it. */
#define MALLOC_STATE_SIZE 2200u

/* glibc's tcache_perthread_struct (2.30 and later: uint16_t counts[64],
 * then 64 pointers to the freed blocks it keeps), a chunk of 0x290 bytes
 * that glibc takes for each thread without a call to malloc. It points
 * only at freed chunks, which a walk takes for blocks in use (glibc_chunks.h):
 * followed, their stale contents would reach leaked blocks. Known by its
 * shape: a list is empty (NULL) exactly when its count is 0, and every
 * other entry is a 16-aligned block. A block of the program's of that size
 * with that shape holds nothing but those pointers (or zeros) anyway. */
#define TCACHE_CHUNK 0x290u
#define TCACHE_BINS 64u

static int is_tcache(uintptr_t block)
{
	const uint16_t *counts = (const uint16_t *)block;
	const uintptr_t *entries = (const uintptr_t *)(block + TCACHE_BINS * sizeof(uint16_t));
	for (unsigned i = 0; i < TCACHE_BINS; i++)
		if ((counts[i] == 0) != (entries[i] == 0) || entries[i] % 16)
			return 0;
	return 1;
}

static int add(struct hb_glibc_chunks *c, uintptr_t addr, uint64_t size)
{
	if (c->n == c->cap) {
		uint64_t cap = c->cap ? c->cap * 2 : 65536;
		struct hb_reach_big *blk = hb_mem_map(cap * sizeof(*blk));
		if (!blk) {
			c->no_memory = 1;
			return -1;
		}
		if (c->blk)
			memcpy(blk, c->blk, c->n * sizeof(*blk));
		hb_mem_unmap(c->blk, c->cap * sizeof(*blk));
		c->blk = blk;
		c->cap = cap;
	}
	c->blk[c->n++] = (struct hb_reach_big){addr, size};
	return 0;
}

int hb_glibc_walk(struct hb_glibc_chunks *c, const struct hb_reach_graph *g, uintptr_t first, uintptr_t end,
		  unsigned arena_bit)
{
	uint64_t n0 = c->n;
	if (first % 16 || end <= first)
		return -1;
	uint64_t k = hb_reach_first_from(g, first), k_end = hb_reach_first_from(g, end);
	uintptr_t p = first;
	for (;;) {
		if (end - p < 16)
			goto fail;
		const uint64_t *h = (const uint64_t *)p;
		uint64_t size = h[1] & ~(uint64_t)7;
		if (size == 16 && end - p >= 32 && (h[3] & ~(uint64_t)7) == 0)
			break; /* a fencepost: the arena goes on elsewhere */
		if ((h[1] & IS_MMAPPED) || size < MIN_CHUNK || size % 16 || size > end - p)
			goto fail;
		uintptr_t next = p + size;
		if (next == end)
			break; /* the top chunk */
		if (end - next < 16)
			goto fail;
		if (end - next == 16 && (((const uint64_t *)next)[1] & ~(uint64_t)7) == 0)
			break; /* an old top too small to free: a chunk of 32, then a 0-sized header at the end */
		if (((const uint64_t *)next)[1] & PREV_INUSE) {
			/* in use: it names its arena (a free chunk need not) */
			if ((h[1] & NON_MAIN_ARENA) != arena_bit)
				goto fail;
			uintptr_t block = p + 16;
			if (k < k_end && g->b[k].addr < block)
				goto fail; /* a sampled block that is no chunk's block: a wrong walk */
			if (k < k_end && g->b[k].addr == block)
				k++;
			else if (size == TCACHE_CHUNK && is_tcache(block))
				c->tcaches++; /* neither a root nor followed */
			else if (add(c, block, size - 8) < 0)
				goto fail;
		}
		p = next;
	}
	if (k != k_end)
		goto fail; /* a sampled block in a free chunk, or past the walk's end */
	return 0;
fail:
	c->n = n0;
	return -1;
}

/* A heap's walk is done: trusted, [lo, hi) stops being a root; else it
 * stays one. */
static void heap_walked(struct hb_glibc_chunks *c, struct hb_map_roots *r, uintptr_t lo, uintptr_t hi, int ok)
{
	if (ok) {
		hb_map_roots_exclude(r, lo, hi);
		c->heaps_walked++;
	} else {
		c->heaps_failed++;
	}
}

struct find_ctx {
	struct hb_glibc_chunks *c;
	struct hb_map_roots *r;
	const struct hb_reach_graph *g;
};

/* A non-main arena's heap at a (its heap_info), len bytes writable. */
static void walk_arena_heap(void *arg, uintptr_t a, uintptr_t len)
{
	struct find_ctx *f = arg;
	const uintptr_t *info = (const uintptr_t *)a;
	uintptr_t arena = info[0], size = info[2], end = a + size;
	if (size > len)
		return;
	int walked = -1;
	if (arena > a && arena - a < PAGE) {
		/* the arena's first heap: its malloc_state follows the heap_info */
		uintptr_t guess = ((arena + MALLOC_STATE_SIZE + 16 + 15) & ~(uintptr_t)15) - 16;
		walked = hb_glibc_walk(f->c, f->g, guess, end, NON_MAIN_ARENA);
		/* a malloc_state of another size (another glibc): a few offsets
		 * around the guess, not every one (each wrong start that lands on
		 * a chunk boundary walks the heap again) */
		for (uintptr_t p = guess - 64; walked < 0 && p <= guess + 64 && p < end; p += 16)
			if (p != guess && p > arena)
				walked = hb_glibc_walk(f->c, f->g, p, end, NON_MAIN_ARENA);
	} else {
		/* a later heap: the first chunk follows the heap_info (32 bytes
		 * before glibc 2.35, 48 since) */
		for (uintptr_t p = a + 32; walked < 0 && p <= a + 64; p += 16)
			walked = hb_glibc_walk(f->c, f->g, p, end, NON_MAIN_ARENA);
	}
	heap_walked(f->c, f->r, a, a + len, walked == 0);
}

/* The run of mmapped chunks at the start of [lo, hi): returns where it
 * ends (lo: none). */
static uintptr_t walk_mmapped(struct hb_glibc_chunks *c, const struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi)
{
	uintptr_t p = lo;
	while (hi - p >= PAGE) {
		const uint64_t *h = (const uint64_t *)p;
		uint64_t size = h[1] & ~(uint64_t)7;
		if (h[0] != 0 || (h[1] & 7) != IS_MMAPPED || size % PAGE || !size || size > hi - p)
			break;
		/* its block is sampled, or no sampled block is inside it */
		uint64_t k = hb_reach_first_from(g, p), k_end = hb_reach_first_from(g, p + size);
		int sampled = k < k_end && g->b[k].addr == p + 16;
		if (k_end - k > (uint64_t)sampled)
			break;
		if (!sampled && add(c, p + 16, size - 16) < 0)
			break;
		p += size;
	}
	return p;
}

void hb_glibc_chunks_find(struct hb_glibc_chunks *c, struct hb_map_roots *r, const struct hb_reach_graph *g,
			  uintptr_t brk_end, int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx)
{
	struct find_ctx f = {c, r, g};
	size_t n = r->n;
	for (size_t i = 0; i < n && !c->no_memory; i++) {
		const struct hb_map_entry *e = &r->e[i];
		if (e->flags & HB_MAP_FILE)
			continue;
		if (e->flags & HB_MAP_HEAP) {
			heap_walked(c, r, e->lo, e->hi,
				    brk_end > e->lo && brk_end <= e->hi && !hb_map_roots_left_out(r, e->lo) &&
					    hb_glibc_walk(c, g, e->lo, brk_end, 0) == 0);
			continue;
		}
		if (e->flags & HB_MAP_SKIP)
			continue;
		/* the pieces between the ranges left out: the kernel merges the
		 * shim's own pages (and the scan's buffers, unmapped since the
		 * maps were read) into the mapping of glibc's mmapped chunks */
		for (uintptr_t p = e->lo; p < e->hi && !c->no_memory;) {
			uintptr_t xlo, xhi;
			int more = hb_map_roots_next_left_out(r, p, &xlo, &xhi);
			if (more && xlo <= p) {
				p = xhi;
				continue;
			}
			uintptr_t piece = more && xlo < e->hi ? xlo : e->hi;
			uintptr_t end = walk_mmapped(c, g, p, piece);
			if (end > p)
				hb_map_roots_exclude(r, p, end);
			p = piece;
		}
	}
	if (!c->no_memory)
		hb_map_roots_glibc_heaps(r, readable, ctx, walk_arena_heap, &f);
}

void hb_glibc_chunks_release(struct hb_glibc_chunks *c)
{
	hb_mem_unmap(c->blk, c->cap * sizeof(*c->blk));
	memset(c, 0, sizeof(*c));
}
