/*
 * test_glibc_chunks.c - walking glibc's heaps for the blocks a sampled
 * trace did not record (scan/glibc_chunks.h).
 *
 * The heaps are built by hand in mmap'd memory, chunk header by chunk
 * header, as glibc lays them out: {prev_size, size | flags}. Checked: a
 * walk finds exactly the in-use chunks (the next chunk's PREV_INUSE set),
 * with their usable sizes, and passes over the sampled ones (blocks of the
 * graph) and free ones; it ends at the top chunk or at a fencepost; it
 * ends at an old top too small to free (a 32-byte chunk without the
 * arena bit, then a 0-sized header 16 bytes before the end); it
 * fails, adding nothing, on a bad size, a chunk past the end, a wrong
 * arena bit on an in-use chunk (a free one may lack it), a sampled block
 * that is no chunk's block or lies in a free chunk or past the end; a
 * tcache_perthread_struct is passed over, a block of that size holding
 * other data is not. hb_glibc_chunks_find walks a [heap] mapping to the
 * program break and leaves it out of the roots, leaves a heap whose walk
 * fails as a root, and finds runs of mmapped chunks at a mapping's start
 * and after a range left out inside it (the shim's pages merged into it).
 * hb_reach_append then makes the unsampled blocks part of the marking: a
 * sampled block held only by an unsampled one held by a root is
 * reachable, and one held only by a lost unsampled one is indirect.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "heapblame/trace_format.h"
#include "glibc_chunks.h"
#include "map_roots.h"
#include "reach_graph.h"

#define HEAP_BYTES (64u << 10)

static uint8_t *heap;
static struct hb_reach_graph g;
static struct hb_glibc_chunks c;

/* Writes a chunk header at offset off: size and flags. */
static void chunk(size_t off, uint64_t size_flags)
{
	uint64_t *h = (uint64_t *)(heap + off);
	h[1] = size_flags;
}

static uintptr_t at(size_t off)
{
	return (uintptr_t)heap + off;
}

static void setup(void)
{
	heap = mmap(NULL, 2 * HEAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(heap, MAP_FAILED);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(hb_reach_init(&g, 64), 0);
}

static void teardown(void)
{
	hb_glibc_chunks_release(&c);
	hb_reach_release(&g);
	munmap(heap, 2 * HEAP_BYTES);
}

/* A heap of five chunks and a top: 0x30 in use, 0x40 in use (sampled when
 * asked), 0x50 free, 0x20 in use, 0x60 in use, then the top to the end. */
static void five_chunks(unsigned arena)
{
	chunk(0x000, 0x30 | 1 | arena);
	chunk(0x030, 0x40 | 1 | arena);
	chunk(0x070, 0x50 | 1 | arena);  /* free: the next's PREV_INUSE is clear */
	chunk(0x0c0, 0x20 | 0 | arena);
	chunk(0x0e0, 0x60 | 1 | arena);
	chunk(0x140, (HEAP_BYTES - 0x140) | 1); /* the top chunk */
}

static void sort(void)
{
	ck_assert_int_eq(hb_reach_sort(&g), 0);
}

START_TEST(walk_finds_the_in_use_chunks_and_passes_over_sampled_and_free)
{
	five_chunks(0);
	ck_assert_int_eq(hb_reach_add(&g, at(0x030 + 16), 40, 7, 0, 0), 0); /* sampled */
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), 0);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.blk[0].addr, at(0x000 + 16));
	ck_assert_uint_eq(c.blk[0].size, 0x30 - 8);
	ck_assert_uint_eq(c.blk[1].addr, at(0x0c0 + 16)); /* 0x70 is free */
	ck_assert_uint_eq(c.blk[1].size, 0x20 - 8);
	ck_assert_uint_eq(c.blk[2].addr, at(0x0e0 + 16));
	ck_assert_uint_eq(c.blk[2].size, 0x60 - 8);
}
END_TEST

START_TEST(walk_of_a_non_main_arena_needs_the_bit_on_in_use_chunks_only)
{
	five_chunks(4);
	chunk(0x070, 0x50 | 1); /* a free chunk without the arena bit */
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 4), 0);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1); /* the main arena's: wrong bit */
	ck_assert_uint_eq(c.n, 4);
}
END_TEST

START_TEST(walk_ends_at_a_fencepost)
{
	chunk(0x000, 0x30 | 1 | 4);
	chunk(0x030, 0x40 | 1 | 4);
	chunk(0x070, 0x10 | 1); /* fenceposts: 16 bytes, then 0 */
	chunk(0x080, 0x00 | 1);
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 4), 0);
	ck_assert_uint_eq(c.n, 2);
}
END_TEST

START_TEST(walk_ends_at_an_old_top_too_small_to_free)
{
	chunk(0x000, 0x30 | 1 | 4);
	chunk(0x030, 0x40 | 1 | 4);
	size_t end = 0x070 + 0x20 + 0x10;
	chunk(0x070, 0x20 | 1); /* no arena bit, and "in use" by the header after it */
	chunk(0x090, 0x00 | 1);
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(end), 4), 0);
	ck_assert_uint_eq(c.n, 2);
}
END_TEST

START_TEST(walk_fails_on_bad_headers_and_adds_nothing)
{
	five_chunks(0);
	sort();
	chunk(0x070, 0x58 | 1); /* not a multiple of 16 */
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	ck_assert_uint_eq(c.n, 0);
	chunk(0x070, 0x10 | 1); /* under 32 bytes, and no fencepost after */
	chunk(0x080, 0x40 | 1);
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	five_chunks(0);
	chunk(0x0e0, 0x60 | 2 | 1); /* IS_MMAPPED inside a heap */
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	five_chunks(0);
	chunk(0x140, (2 * HEAP_BYTES) | 1); /* past the end */
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	five_chunks(0);
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(8), at(HEAP_BYTES), 0), -1); /* misaligned start */
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), 0);
	ck_assert_uint_eq(c.n, 4);
}
END_TEST

START_TEST(walk_fails_when_a_sampled_block_is_no_chunks_block)
{
	five_chunks(0);
	ck_assert_int_eq(hb_reach_add(&g, at(0x030 + 24), 8, 7, 0, 0), 0); /* inside a chunk */
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(walk_fails_when_a_sampled_block_is_in_free_space)
{
	five_chunks(0);
	ck_assert_int_eq(hb_reach_add(&g, at(0x070 + 16), 40, 7, 0, 0), 0); /* the free chunk */
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	hb_reach_release(&g);
	ck_assert_int_eq(hb_reach_init(&g, 8), 0);
	ck_assert_int_eq(hb_reach_add(&g, at(0x200), 40, 7, 0, 0), 0); /* in the top chunk */
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), -1);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(walk_passes_over_a_tcache_but_not_a_block_of_its_size)
{
	chunk(0x000, 0x290 | 1);
	uint16_t *counts = (uint16_t *)at(0x010);
	uintptr_t *entries = (uintptr_t *)at(0x010 + 128);
	counts[3] = 2;
	entries[3] = at(0x2a0); /* a freed block */
	chunk(0x290, 0x290 | 1); /* same size, but entries[5] without a count */
	entries = (uintptr_t *)at(0x290 + 0x10 + 128);
	entries[5] = at(0x2a0);
	chunk(0x520, (HEAP_BYTES - 0x520) | 1);
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), 0);
	ck_assert_uint_eq(c.tcaches, 1);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.blk[0].addr, at(0x290 + 16));
}
END_TEST

static int all_readable(void *ctx, uintptr_t lo, uintptr_t hi)
{
	(void)ctx;
	(void)lo;
	(void)hi;
	return 1;
}

START_TEST(find_walks_the_brk_heap_and_mmapped_chunks_and_leaves_them_out)
{
	struct hb_map_roots r;
	ck_assert_int_eq(hb_map_roots_init(&r, 8, 32), 0);
	five_chunks(0);
	/* the second half: two mmapped chunks of a page each, then data */
	uint64_t *m = (uint64_t *)at(HEAP_BYTES);
	m[0] = 0;
	m[1] = 4096 | 2;
	m = (uint64_t *)at(HEAP_BYTES + 4096);
	m[0] = 0;
	m[1] = 4096 | 2;
	ck_assert_int_eq(hb_reach_add(&g, at(HEAP_BYTES + 4096 + 16), 100, 7, 0, 0), 0); /* sampled */
	sort();
	hb_map_roots_add(&r, at(0), at(HEAP_BYTES), HB_MAP_HEAP);
	hb_map_roots_add(&r, at(HEAP_BYTES), at(2 * HEAP_BYTES), 0);
	hb_glibc_chunks_find(&c, &r, &g, at(HEAP_BYTES), all_readable, NULL);
	ck_assert_uint_eq(c.heaps_walked, 1);
	ck_assert_uint_eq(c.heaps_failed, 0);
	ck_assert_uint_eq(c.n, 4 + 1); /* the heap's four, the unsampled mmapped one */
	ck_assert_uint_eq(c.blk[4].addr, at(HEAP_BYTES + 16));
	ck_assert_uint_eq(c.blk[4].size, 4096 - 16);
	ck_assert_int_eq(hb_map_roots_left_out(&r, at(0x100)), 1);
	ck_assert_int_eq(hb_map_roots_left_out(&r, at(HEAP_BYTES + 4096 + 100)), 1);
	ck_assert_int_eq(hb_map_roots_left_out(&r, at(HEAP_BYTES + 2 * 4096)), 0); /* data: a root */
	hb_map_roots_release(&r);
}
END_TEST

START_TEST(find_walks_mmapped_chunks_on_both_sides_of_a_range_left_out)
{
	struct hb_map_roots r;
	ck_assert_int_eq(hb_map_roots_init(&r, 8, 32), 0);
	/* chunk, the shim's page (left out), chunk, chunk, then data */
	size_t offs[] = {0, 2 * 4096, 3 * 4096};
	for (size_t i = 0; i < 3; i++) {
		uint64_t *m = (uint64_t *)at(offs[i]);
		m[0] = 0;
		m[1] = 4096 | 2;
	}
	memset(heap + 4096, 0xab, 4096); /* the shim's page: no chunk header */
	sort();
	hb_map_roots_add(&r, at(0), at(2 * HEAP_BYTES), 0);
	hb_map_roots_exclude(&r, at(4096), at(2 * 4096));
	hb_glibc_chunks_find(&c, &r, &g, 0, all_readable, NULL);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.blk[0].addr, at(16));
	ck_assert_uint_eq(c.blk[1].addr, at(2 * 4096 + 16));
	ck_assert_uint_eq(c.blk[2].addr, at(3 * 4096 + 16));
	ck_assert_int_eq(hb_map_roots_left_out(&r, at(3 * 4096 + 100)), 1);
	ck_assert_int_eq(hb_map_roots_left_out(&r, at(4 * 4096)), 0); /* data: a root */
	hb_map_roots_release(&r);
}
END_TEST

START_TEST(find_leaves_a_heap_whose_walk_fails_as_a_root)
{
	struct hb_map_roots r;
	ck_assert_int_eq(hb_map_roots_init(&r, 8, 32), 0);
	five_chunks(0);
	sort();
	hb_map_roots_add(&r, at(0), at(HEAP_BYTES), HB_MAP_HEAP);
	hb_glibc_chunks_find(&c, &r, &g, at(HEAP_BYTES - 16), all_readable, NULL); /* the top does not end there */
	ck_assert_uint_eq(c.heaps_walked, 0);
	ck_assert_uint_eq(c.heaps_failed, 1);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(hb_map_roots_left_out(&r, at(0x100)), 0);
	hb_map_roots_release(&r);
}
END_TEST

START_TEST(appended_unsampled_blocks_carry_reachability)
{
	/* root -> unsampled A -> sampled S1; lost unsampled B -> sampled S2 */
	five_chunks(0);
	uintptr_t a = at(0x000 + 16), b = at(0x0c0 + 16), s1 = at(0x030 + 16), s2 = at(0x0e0 + 16);
	*(uintptr_t *)a = s1;
	*(uintptr_t *)b = s2;
	ck_assert_int_eq(hb_reach_add(&g, s1, 40, 7, 0, 0), 0);
	ck_assert_int_eq(hb_reach_add(&g, s2, 80, 8, 0, 0), 0);
	sort();
	ck_assert_int_eq(hb_glibc_walk(&c, &g, at(0), at(HEAP_BYTES), 0), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_int_eq(hb_reach_append(&g, c.blk, c.n), 0);
	ck_assert_uint_eq(g.n, 4);
	uintptr_t root[1] = {a + 8}; /* an interior pointer into A */
	hb_reach_scan_root(&g, (uintptr_t)root, (uintptr_t)(root + 1), HB_ROOT_ANY);
	hb_reach_classify(&g);
	ck_assert_int_eq(hb_reach_own(&g), 0);
	for (uint64_t i = 0; i < g.n; i++) {
		const struct hb_reach_block *x = &g.b[i];
		if (x->addr == s1)
			ck_assert_uint_eq(hb_reach_kind(x), HB_REACH_REACHABLE);
		else if (x->addr == s2) {
			ck_assert_uint_eq(hb_reach_kind(x), HB_REACH_INDIRECT);
			ck_assert_uint_eq(g.owner[i], HB_REACH_OWNER_UNSAMPLED);
		} else {
			ck_assert_int_eq(hb_reach_unsampled(x), 1);
		}
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("glibc_chunks");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, walk_finds_the_in_use_chunks_and_passes_over_sampled_and_free);
	tcase_add_test(tc, walk_of_a_non_main_arena_needs_the_bit_on_in_use_chunks_only);
	tcase_add_test(tc, walk_ends_at_a_fencepost);
	tcase_add_test(tc, walk_ends_at_an_old_top_too_small_to_free);
	tcase_add_test(tc, walk_fails_on_bad_headers_and_adds_nothing);
	tcase_add_test(tc, walk_fails_when_a_sampled_block_is_no_chunks_block);
	tcase_add_test(tc, walk_fails_when_a_sampled_block_is_in_free_space);
	tcase_add_test(tc, walk_passes_over_a_tcache_but_not_a_block_of_its_size);
	tcase_add_test(tc, find_walks_the_brk_heap_and_mmapped_chunks_and_leaves_them_out);
	tcase_add_test(tc, find_walks_mmapped_chunks_on_both_sides_of_a_range_left_out);
	tcase_add_test(tc, find_leaves_a_heap_whose_walk_fails_as_a_root);
	tcase_add_test(tc, appended_unsampled_blocks_carry_reachability);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
