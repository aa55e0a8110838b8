/*
 * test_map_roots.c - which parts of a program's mappings the exit scan
 * reads as roots (scan/map_roots.c): mappings less the ranges left out and
 * less the pages of live blocks inside them; glibc's arena heaps and
 * thread stacks recognised by their headers and left out; mappings flagged
 * to skip never read.
 *
 * The "mappings" are the test's own mmap'd pages holding real pointers to
 * calloc'd blocks; the graph classifies those blocks afterwards, so a
 * block reached only from a part left out is definite.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "heapblame/trace_format.h"
#include "map_roots.h"
#include "reach_graph.h"

#define PAGE 4096u
#define NB 8

static void *blk[NB];
static struct hb_reach_graph g;
static struct hb_map_roots r;

static void setup(void)
{
	for (int i = 0; i < NB; i++)
		blk[i] = calloc(1, 64);
	ck_assert_int_eq(hb_reach_init(&g, NB + 4), 0);
	ck_assert_int_eq(hb_map_roots_init(&r, 16, 64), 0);
}

static void teardown(void)
{
	hb_map_roots_release(&r);
	hb_reach_release(&g);
	for (int i = 0; i < NB; i++)
		free(blk[i]);
}

static uintptr_t *map_pages(size_t n)
{
	void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static void add_blocks(void)
{
	for (int i = 0; i < NB; i++)
		ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[i], 64, (uint32_t)i + 1, 0, 0), 0);
}

static unsigned kind_of(const void *p)
{
	struct hb_reach_block *b = hb_reach_find(&g, (uintptr_t)p);
	ck_assert_ptr_nonnull(b);
	return hb_reach_kind(b);
}

static int always(void *ctx, uintptr_t lo, uintptr_t hi)
{
	(void)ctx;
	(void)lo;
	(void)hi;
	return 1;
}

static void scan_and_classify(void)
{
	hb_map_roots_scan(&r, &g);
	hb_reach_classify(&g);
}

#define WORDS_PER_PAGE (PAGE / sizeof(uintptr_t))

START_TEST(what_is_left_out_is_not_read)
{
	uintptr_t *m = map_pages(4);
	m[0 * WORDS_PER_PAGE + 3] = (uintptr_t)blk[0];
	m[2 * WORDS_PER_PAGE + 5] = (uintptr_t)blk[1];
	m[3 * WORDS_PER_PAGE + 7] = (uintptr_t)blk[2];
	add_blocks();
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, (uintptr_t)m, (uintptr_t)m + 4 * PAGE, 0);
	hb_map_roots_exclude(&r, (uintptr_t)m + 2 * PAGE + 100, (uintptr_t)m + 2 * PAGE + 200); /* rounds out to the page */
	scan_and_classify();
	ck_assert_uint_eq(kind_of(blk[0]), HB_REACH_REACHABLE);
	ck_assert_uint_eq(kind_of(blk[1]), HB_REACH_DEFINITE);
	ck_assert_uint_eq(kind_of(blk[2]), HB_REACH_REACHABLE);
	ck_assert_uint_eq(r.root_bytes, 3 * PAGE);
	munmap(m, 4 * PAGE);
}
END_TEST

START_TEST(pages_of_live_blocks_are_the_heap)
{
	/* a large block's own mapping (as glibc's mmapped chunks): page 1 holds
	 * a live block at its start + 16, and a stale word past its end */
	uintptr_t *m = map_pages(4);
	uintptr_t *big = &m[WORDS_PER_PAGE + 2];
	big[0] = (uintptr_t)blk[3];            /* inside the big block: it reaches blk[3] */
	m[WORDS_PER_PAGE + 300] = (uintptr_t)blk[4]; /* same page, past the block: not a root */
	m[3 * WORDS_PER_PAGE] = (uintptr_t)blk[5];   /* another page: a root */
	add_blocks();
	ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)big, 256, 99, 0, 0), 0);
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, (uintptr_t)m, (uintptr_t)m + 4 * PAGE, 0);
	scan_and_classify();
	ck_assert_uint_eq(kind_of(big), HB_REACH_DEFINITE);
	ck_assert_uint_eq(kind_of(blk[3]), HB_REACH_INDIRECT);
	ck_assert_uint_eq(kind_of(blk[4]), HB_REACH_DEFINITE);
	ck_assert_uint_eq(kind_of(blk[5]), HB_REACH_REACHABLE);
	ck_assert_uint_eq(r.root_bytes, 3 * PAGE);
	munmap(m, 4 * PAGE);
}
END_TEST

/* A glibc arena heap: 64 MiB aligned, heap_info {arena, prev, size,
 * mprotect_size}, its arena just after it. */
START_TEST(glibc_arena_heap_is_left_out)
{
	size_t max = (size_t)64 << 20;
	char *res = mmap(NULL, 2 * max, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(res, MAP_FAILED);
	uintptr_t a = ((uintptr_t)res + max - 1) & ~(uintptr_t)(max - 1);
	ck_assert_int_eq(mprotect((void *)a, 2 * PAGE, PROT_READ | PROT_WRITE), 0);
	uintptr_t *h = (uintptr_t *)a;
	h[WORDS_PER_PAGE + 100] = (uintptr_t)blk[6]; /* a freed chunk's stale word */
	add_blocks();
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, a, a + 2 * PAGE, 0);
	/* first without a heap_info: the page is the program's */
	hb_map_roots_exclude_glibc_heaps(&r, always, NULL);
	ck_assert_uint_eq(r.glibc_heaps, 0);
	h[0] = a + 48;     /* arena: just after the heap_info */
	h[1] = 0;          /* no previous heap */
	h[2] = 2 * PAGE;   /* size */
	h[3] = 2 * PAGE;   /* mprotect_size */
	hb_map_roots_exclude_glibc_heaps(&r, always, NULL);
	ck_assert_uint_eq(r.glibc_heaps, 1);
	scan_and_classify();
	ck_assert_uint_eq(kind_of(blk[6]), HB_REACH_DEFINITE);
	ck_assert_uint_eq(r.root_bytes, 0);
	munmap(res, 2 * max);
}
END_TEST

START_TEST(a_heap_info_that_does_not_hold_is_not_a_heap)
{
	size_t max = (size_t)64 << 20;
	char *res = mmap(NULL, 2 * max, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(res, MAP_FAILED);
	uintptr_t a = ((uintptr_t)res + max - 1) & ~(uintptr_t)(max - 1);
	ck_assert_int_eq(mprotect((void *)a, 2 * PAGE, PROT_READ | PROT_WRITE), 0);
	uintptr_t *h = (uintptr_t *)a;
	h[600] = (uintptr_t)blk[6];
	h[0] = a + 48;
	h[2] = 2 * PAGE;
	h[3] = PAGE; /* mprotect_size below size: not glibc's */
	add_blocks();
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, a, a + 2 * PAGE, 0);
	hb_map_roots_exclude_glibc_heaps(&r, always, NULL);
	ck_assert_uint_eq(r.glibc_heaps, 0);
	scan_and_classify();
	ck_assert_uint_eq(kind_of(blk[6]), HB_REACH_REACHABLE);
	munmap(res, 2 * max);
}
END_TEST

/* A thread stack glibc keeps for later: its descriptor at the top points to
 * itself (tcbhead_t's tcb and self). */
START_TEST(ended_thread_stack_is_left_out)
{
	uintptr_t *m = map_pages(8);
	uintptr_t hi = (uintptr_t)m + 8 * PAGE, tp = (hi - 2304) & ~(uintptr_t)63;
	m[10] = (uintptr_t)blk[7]; /* a dead frame's word */
	((uintptr_t *)tp)[0] = tp;
	((uintptr_t *)tp)[2] = tp;
	add_blocks();
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, (uintptr_t)m, hi, 0);
	hb_map_roots_exclude_thread_stacks(&r, 2304, 64);
	ck_assert_uint_eq(r.thread_stacks, 1);
	scan_and_classify();
	ck_assert_uint_eq(kind_of(blk[7]), HB_REACH_DEFINITE);
	munmap(m, 8 * PAGE);
}
END_TEST

START_TEST(skipped_mappings_are_never_read)
{
	uintptr_t *m = map_pages(1);
	m[1] = (uintptr_t)blk[0];
	add_blocks();
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, (uintptr_t)m, (uintptr_t)m + PAGE, HB_MAP_SKIP);
	scan_and_classify();
	ck_assert_uint_eq(kind_of(blk[0]), HB_REACH_DEFINITE);
	ck_assert_uint_eq(r.root_bytes, 0);
	munmap(m, PAGE);
}
END_TEST

START_TEST(no_room_to_leave_out_scans_nothing)
{
	uintptr_t *m = map_pages(1);
	m[1] = (uintptr_t)blk[0];
	add_blocks();
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_map_roots_add(&r, (uintptr_t)m, (uintptr_t)m + PAGE, 0);
	for (int i = 0; i < 65; i++) /* one more than the room: an unlisted range might be the shim's */
		hb_map_roots_exclude(&r, 0x1000u * (uintptr_t)(i + 1), 0x1000u * (uintptr_t)(i + 1) + 8);
	ck_assert_int_eq(r.overflow, 1);
	scan_and_classify();
	ck_assert_uint_eq(kind_of(blk[0]), HB_REACH_DEFINITE);
	munmap(m, PAGE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("map_roots");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, what_is_left_out_is_not_read);
	tcase_add_test(tc, pages_of_live_blocks_are_the_heap);
	tcase_add_test(tc, glibc_arena_heap_is_left_out);
	tcase_add_test(tc, a_heap_info_that_does_not_hold_is_not_a_heap);
	tcase_add_test(tc, ended_thread_stack_is_left_out);
	tcase_add_test(tc, skipped_mappings_are_never_read);
	tcase_add_test(tc, no_room_to_leave_out_scans_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
