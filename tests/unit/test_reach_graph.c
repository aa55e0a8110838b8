/*
 * test_reach_graph.c - the leak classification on blocks built in the
 * test's own memory: which blocks a root reaches, and how the rest split
 * into definite and indirect leaks (valgrind's cliques: a lost list is one
 * definite head and indirect nodes, a lost cycle one definite block).
 *
 * Blocks are real memory (calloc) holding real pointers; a "root" is an
 * array of words on the test's stack or in a static.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/trace_format.h"
#include "reach_graph.h"

#define NB 16
static void *blk[NB];
static struct hb_reach_graph g;

static void setup(void)
{
	for (int i = 0; i < NB; i++)
		blk[i] = calloc(1, 64);
	ck_assert_int_eq(hb_reach_init(&g, NB), 0);
}

static void teardown(void)
{
	hb_reach_release(&g);
	for (int i = 0; i < NB; i++)
		free(blk[i]);
}

static void add_all(int n)
{
	/* in reverse, so the sort has something to do */
	for (int i = n - 1; i >= 0; i--)
		ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[i], 64, (uint64_t)i + 1, 7, 0), 0);
	hb_reach_sort(&g);
}

static void link_to(int from, int slot, int to)
{
	((void **)blk[from])[slot] = to < 0 ? NULL : (char *)blk[to];
}

static int kind_of(int i)
{
	struct hb_reach_block *b = hb_reach_find(&g, (uintptr_t)blk[i]);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->id, (uint64_t)i + 1);
	return b->kind;
}

static void root(void *const *words, size_t n)
{
	hb_reach_scan_root(&g, (uintptr_t)words, (uintptr_t)(words + n), 0);
}

START_TEST(sorted_by_address)
{
	add_all(NB);
	for (uint64_t i = 1; i < g.n; i++)
		ck_assert_uint_lt(g.b[i - 1].addr, g.b[i].addr);
}
END_TEST

START_TEST(root_reaches_transitively)
{
	link_to(0, 0, 1);
	link_to(1, 3, 2); /* any word of the block counts */
	add_all(4);
	void *r[2] = {blk[0], NULL};
	root(r, 2);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(0), HB_REACH_REACHABLE);
	ck_assert_int_eq(kind_of(1), HB_REACH_REACHABLE);
	ck_assert_int_eq(kind_of(2), HB_REACH_REACHABLE);
	ck_assert_int_eq(kind_of(3), HB_REACH_DEFINITE);
}
END_TEST

START_TEST(interior_pointer_reaches)
{
	add_all(2);
	void *r[1] = {(char *)blk[1] + 63};
	root(r, 1);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(1), HB_REACH_REACHABLE);
	ck_assert_int_eq(kind_of(0), HB_REACH_DEFINITE);
}
END_TEST

START_TEST(exact_root_needs_the_start)
{
	add_all(2);
	void *r[2] = {(char *)blk[0] + 8, blk[1]};
	hb_reach_scan_root(&g, (uintptr_t)r, (uintptr_t)(r + 2), 1);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(0), HB_REACH_DEFINITE);
	ck_assert_int_eq(kind_of(1), HB_REACH_REACHABLE);
}
END_TEST

START_TEST(one_past_the_end_does_not_reach)
{
	add_all(1);
	void *r[1] = {(char *)blk[0] + 64};
	root(r, 1);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(0), HB_REACH_DEFINITE);
}
END_TEST

START_TEST(lost_list_is_one_definite_head)
{
	/* 5 -> 4 -> 3 -> 2 -> 1; blocks are not in list order in memory */
	for (int i = 5; i > 1; i--)
		link_to(i, 0, i - 1);
	add_all(6);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(5), HB_REACH_DEFINITE);
	for (int i = 1; i < 5; i++)
		ck_assert_int_eq(kind_of(i), HB_REACH_INDIRECT);
	ck_assert_int_eq(kind_of(0), HB_REACH_DEFINITE); /* alone */
}
END_TEST

START_TEST(lost_cycle_is_one_definite)
{
	link_to(0, 0, 1);
	link_to(1, 0, 2);
	link_to(2, 0, 0);
	add_all(3);
	hb_reach_classify(&g);
	int def = 0, ind = 0;
	for (int i = 0; i < 3; i++) {
		def += kind_of(i) == HB_REACH_DEFINITE;
		ind += kind_of(i) == HB_REACH_INDIRECT;
	}
	ck_assert_int_eq(def, 1);
	ck_assert_int_eq(ind, 2);
}
END_TEST

START_TEST(leak_pointing_at_reachable_stays_definite)
{
	link_to(0, 0, 1);
	add_all(2);
	void *r[1] = {blk[1]};
	root(r, 1);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(0), HB_REACH_DEFINITE);
	ck_assert_int_eq(kind_of(1), HB_REACH_REACHABLE);
}
END_TEST

START_TEST(root_blocks_are_reachable_and_scanned)
{
	/* the loader's own blocks (a DTV) are roots */
	link_to(0, 0, 1);
	ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[0], 64, 1, 2, 1), 0);
	ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[1], 64, 2, 7, 0), 0);
	hb_reach_sort(&g);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(0), HB_REACH_REACHABLE);
	ck_assert_int_eq(kind_of(1), HB_REACH_REACHABLE);
}
END_TEST

static int refuse(void *ctx, uintptr_t lo, uintptr_t hi)
{
	(void)hi;
	return lo != (uintptr_t)ctx;
}

START_TEST(unreadable_block_is_not_read)
{
	link_to(0, 0, 1);
	add_all(2);
	g.readable = refuse;
	g.readable_ctx = blk[0];
	void *r[1] = {blk[0]};
	root(r, 1);
	hb_reach_classify(&g);
	ck_assert_int_eq(kind_of(0), HB_REACH_REACHABLE);
	ck_assert_int_eq(kind_of(1), HB_REACH_DEFINITE); /* its pointer could not be seen */
}
END_TEST

START_TEST(full_graph_refuses_more)
{
	add_all(NB);
	ck_assert_int_eq(hb_reach_add(&g, 16, 1, 99, 1, 0), -1);
}
END_TEST

START_TEST(long_lost_list_needs_no_recursion)
{
	/* a million nodes: the marking is iterative */
	enum { N = 1000000 };
	hb_reach_release(&g);
	ck_assert_int_eq(hb_reach_init(&g, N), 0);
	void **nodes = calloc(N, sizeof(void *) * 2);
	for (int i = 0; i + 1 < N; i++)
		nodes[2 * i] = &nodes[2 * (i + 1)];
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)&nodes[2 * i], 16, (uint64_t)i + 1, 1, 0), 0);
	hb_reach_sort(&g);
	hb_reach_classify(&g);
	uint64_t def = 0;
	for (uint64_t i = 0; i < g.n; i++)
		def += g.b[i].kind == HB_REACH_DEFINITE;
	ck_assert_uint_eq(def, 1);
	ck_assert_uint_eq(hb_reach_find(&g, (uintptr_t)&nodes[0])->kind, HB_REACH_DEFINITE);
	free(nodes);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reach_graph");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sorted_by_address);
	tcase_add_test(tc, root_reaches_transitively);
	tcase_add_test(tc, interior_pointer_reaches);
	tcase_add_test(tc, one_past_the_end_does_not_reach);
	tcase_add_test(tc, exact_root_needs_the_start);
	tcase_add_test(tc, lost_list_is_one_definite_head);
	tcase_add_test(tc, lost_cycle_is_one_definite);
	tcase_add_test(tc, leak_pointing_at_reachable_stays_definite);
	tcase_add_test(tc, root_blocks_are_reachable_and_scanned);
	tcase_add_test(tc, unreadable_block_is_not_read);
	tcase_add_test(tc, full_graph_refuses_more);
	tcase_add_test(tc, long_lost_list_needs_no_recursion);
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
