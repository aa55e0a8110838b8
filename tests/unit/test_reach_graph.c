/*
 * test_reach_graph.c - the leak classification on blocks built in the
 * test's own memory: which blocks a root reaches, and how the rest split
 * into definite and indirect leaks (valgrind's cliques: a lost list is one
 * definite head and indirect nodes, a lost cycle one definite block).
 *
 * Blocks are real memory (calloc) holding real pointers; a "root" is an
 * array of words on the test's stack or in a static. Each block keeps its
 * site (stack id, up to HB_STACK_ID_MAX) and size through the sort.
 *
 * Lookups and the sort are also checked on addresses that are never read:
 * hb_reach_find resolves every byte of a layout with blocks alone in a
 * page, zero-size blocks, a crowded page, blocks spanning pages, blocks of
 * 64 KiB and more over pages no block starts in, gaps, and a block of more
 * than 4 GiB (its size kept whole), against a reference; 200k shuffled
 * blocks sort into address order, each with its size and site, root blocks
 * reachable.
 *
 * Ownership (hb_reach_own, for leak: suppressions): every indirect block
 * is owned by the first definite block, in address order, that reaches it;
 * a leader absorbed into a later clique by the one that absorbed it; other
 * blocks by none, and a graph without indirect blocks maps no table.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/trace_format.h"
#include "reach_graph.h"
#include "stack_table.h" /* HB_STACK_ID_MAX */

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

/* Block i's site: ids spread up to HB_STACK_ID_MAX (the largest the stack
 * table makes), so a truncated or misplaced field shows. */
static uint32_t stack_of(int i)
{
	return i == 0 ? HB_STACK_ID_MAX : (uint32_t)i * 1000003u % HB_STACK_ID_MAX + 1;
}

static void add_all(int n)
{
	/* in reverse, so the sort has something to do */
	for (int i = n - 1; i >= 0; i--)
		ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[i], 64, stack_of(i), 0, 0), 0);
	ck_assert_int_eq(hb_reach_sort(&g), 0);
}

static void link_to(int from, int slot, int to)
{
	((void **)blk[from])[slot] = to < 0 ? NULL : (char *)blk[to];
}

static int kind_of(int i)
{
	struct hb_reach_block *b = hb_reach_find(&g, (uintptr_t)blk[i]);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->addr, (uintptr_t)blk[i]);
	ck_assert_uint_eq(hb_reach_stack(b), stack_of(i)); /* the site travels with its block through the sort */
	ck_assert_uint_eq(hb_reach_size(&g, b), 64);
	return (int)hb_reach_kind(b);
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
	ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[0], 64, stack_of(0), 1, 0), 0);
	ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)blk[1], 64, stack_of(1), 0, 0), 0);
	ck_assert_int_eq(hb_reach_sort(&g), 0);
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
	ck_assert_int_eq(hb_reach_add(&g, 16, 1, 99, 0, 0), -1);
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
		ck_assert_int_eq(hb_reach_add(&g, (uintptr_t)&nodes[2 * i], 16, (uint32_t)i + 1, 0, 0), 0);
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	hb_reach_classify(&g);
	uint64_t def = 0;
	for (uint64_t i = 0; i < g.n; i++)
		def += hb_reach_kind(&g.b[i]) == HB_REACH_DEFINITE;
	ck_assert_uint_eq(def, 1);
	ck_assert_uint_eq(hb_reach_kind(hb_reach_find(&g, (uintptr_t)&nodes[0])), HB_REACH_DEFINITE);
	free(nodes);
}
END_TEST

/* ---- lookups and the sort, on addresses that are never read ------------ */

struct ref_block {
	uintptr_t addr;
	uint64_t size;
	uint32_t stack;
};

/* The block the reference holds at v (start or inside; a zero-size block
 * at its start only), or -1. */
static int64_t ref_find(const struct ref_block *r, size_t n, uintptr_t v)
{
	size_t lo = 0, hi = n; /* the first block with addr > v */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].addr <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	const struct ref_block *b = &r[lo - 1];
	return v - b->addr < (b->size ? b->size : 1) ? (int64_t)(lo - 1) : -1;
}

/* A layout with every case the indexes have: blocks in a page of their
 * own, zero-size blocks, a page crowded with small blocks, blocks that span
 * pages, large blocks (64 KiB and more) over pages no block starts in, gaps
 * of whole pages; and with huge, one block of more than 4 GiB, which makes
 * the heap sparse (the page index), else it is dense (the flat index). */
static void check_every_byte(int huge)
{
	enum { MAXR = 4096 };
	static struct ref_block r[MAXR];
	size_t n = 0;
	uintptr_t a = 0x7f0000000000ull;
	uint64_t sizes[] = {16, 0, 24, 4095, 4096, 1, 8192, 65535, 65536, huge ? 1 << 20 : 70000, 40, 0, 100000};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		r[n++] = (struct ref_block){a, sizes[i], (uint32_t)n + 1};
		a += sizes[i] + 16 * (i % 3) + (i % 4 == 3 ? 3 * 4096 : 0);
		a = (a + 15) & ~(uintptr_t)15;
	}
	a = (a + 4095) & ~(uintptr_t)4095;
	/* a crowded page: 26-byte objects, 32 apart (the dense heap has 3000
	 * more: a heap is dense for its number of blocks)... */
	for (size_t i = 0; i < (huge ? 150u : 3150u); i++) {
		r[n++] = (struct ref_block){a, 26, (uint32_t)n + 1};
		a += 32;
	}
	for (size_t i = 0; i < 40; i++) { /* ...then 48 apart, across the page's end */
		r[n++] = (struct ref_block){a, 48, (uint32_t)n + 1};
		a += 48;
	}
	uintptr_t huge_at = a + 0x10000;
	uint64_t huge_size = huge ? (5ull << 30) + 3 : 70000;
	r[n++] = (struct ref_block){huge_at, huge_size, HB_STACK_ID_MAX};
	r[n++] = (struct ref_block){huge_at + huge_size + 13, 32, 77};
	ck_assert_int_eq(hb_reach_init(&g, n), 0);
	for (size_t i = n; i-- > 0;) /* in reverse */
		ck_assert_int_eq(hb_reach_add(&g, r[i].addr, r[i].size, r[i].stack, 0, 0), 0);
	ck_assert_ptr_null(hb_reach_find(&g, r[0].addr)); /* nothing before the sort */
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	ck_assert_uint_eq(g.n, n);
	if (huge)
		ck_assert_ptr_null(g.flat);
	else
		ck_assert_ptr_nonnull(g.flat);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(g.b[i].addr, r[i].addr);
		ck_assert_uint_eq(hb_reach_size(&g, &g.b[i]), r[i].size);
		ck_assert_uint_eq(hb_reach_stack(&g.b[i]), r[i].stack);
		ck_assert_uint_eq(hb_reach_kind(&g.b[i]), HB_REACH_UNSEEN);
	}
	/* every byte from a page below the first block to a page past the
	 * crowded ones */
	uint64_t probes = 0, hits = 0;
	for (uintptr_t v = r[0].addr - 4096; v < huge_at + 4096; v++, probes++) {
		int64_t want = ref_find(r, n, v);
		struct hb_reach_block *b = hb_reach_find(&g, v);
		if (want < 0) {
			ck_assert_msg(b == NULL, "%#llx: found a block, none there", (unsigned long long)v);
		} else {
			ck_assert_msg(b == &g.b[want], "%#llx: block %lld, want %lld", (unsigned long long)v,
				      b ? (long long)(b - g.b) : -1ll, (long long)want);
			hits++;
		}
	}
	ck_assert_uint_gt(hits, probes / 2);
	/* the last big block: inside it, near its end, and just past its end */
	size_t h = n - 2;
	uintptr_t inside[] = {huge_at, huge_at + 1, huge_at + huge_size / 2, huge_at + huge_size - 1};
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		ck_assert_ptr_eq(hb_reach_find(&g, inside[i]), &g.b[h]);
	ck_assert_ptr_null(hb_reach_find(&g, huge_at + huge_size));
	ck_assert_ptr_eq(hb_reach_find(&g, huge_at + huge_size + 13), &g.b[h + 1]);
	ck_assert_ptr_null(hb_reach_find(&g, huge_at + huge_size + 48));
	ck_assert_ptr_null(hb_reach_find(&g, 0));
	ck_assert_ptr_null(hb_reach_find(&g, UINTPTR_MAX));
}

START_TEST(find_resolves_every_byte_of_a_sparse_heap)
{
	check_every_byte(1);
}
END_TEST

START_TEST(find_resolves_every_byte_of_a_dense_heap)
{
	check_every_byte(0);
}
END_TEST

START_TEST(sort_keeps_every_block_whole)
{
	/* 200k blocks at shuffled, scattered addresses: sorted in address
	 * order, each keeping its size and site; root blocks come out
	 * reachable, the rest unseen */
	enum { N = 200000 };
	struct ref_block *r = malloc(N * sizeof(*r));
	uint64_t x = 88172645463325252ull;
	uintptr_t a = 0x10000;
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		a += 16 + (x % 8) * 16 + (x % 1000 == 0 ? (x >> 20) % (1ull << 36) : 0);
		r[i] = (struct ref_block){a, 8 + x % 9, (uint32_t)(x >> 40) & HB_STACK_ID_MAX};
	}
	size_t *order = malloc(N * sizeof(*order));
	for (size_t i = 0; i < N; i++)
		order[i] = i;
	for (size_t i = N - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t j = x % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	hb_reach_release(&g);
	ck_assert_int_eq(hb_reach_init(&g, N), 0);
	for (size_t i = 0; i < N; i++) {
		const struct ref_block *b = &r[order[i]];
		ck_assert_int_eq(hb_reach_add(&g, b->addr, b->size, b->stack, order[i] % 97 == 0, 0), 0);
	}
	ck_assert_int_eq(hb_reach_sort(&g), 0);
	for (size_t i = 0; i < N; i++) {
		ck_assert_uint_eq(g.b[i].addr, r[i].addr);
		ck_assert_uint_eq(hb_reach_size(&g, &g.b[i]), r[i].size);
		ck_assert_uint_eq(hb_reach_stack(&g.b[i]), r[i].stack);
		ck_assert_uint_eq(hb_reach_kind(&g.b[i]), i % 97 == 0 ? HB_REACH_REACHABLE : HB_REACH_UNSEEN);
		ck_assert_ptr_eq(hb_reach_find(&g, r[i].addr + r[i].size - 1), &g.b[i]);
	}
	free(order);
	free(r);
}
END_TEST

/* The owner the ownership pass gave block i (a stack id; 0: none). */
static uint32_t owner_of(int i)
{
	struct hb_reach_block *b = hb_reach_find(&g, (uintptr_t)blk[i]);
	ck_assert_ptr_nonnull(b);
	return g.owner ? g.owner[b - g.b] : 0;
}

START_TEST(indirect_blocks_are_owned_by_the_first_definite_reaching_them)
{
	/* 0 -> 1 -> 2 and 3 -> 2: 0 and 3 definite, 2 shared, owned by
	 * whichever of them comes first in address order; 4 -> 5 -> 4 a lost
	 * cycle: one definite, owning the other; 6 reachable, pointing at 7:
	 * 7 stays definite and owns nothing */
	link_to(0, 0, 1);
	link_to(1, 0, 2);
	link_to(3, 0, 2);
	link_to(4, 0, 5);
	link_to(5, 0, 4);
	link_to(6, 0, 7);
	add_all(8);
	void *r[1] = {blk[6]};
	root(r, 1);
	hb_reach_classify(&g);
	ck_assert_int_eq(hb_reach_own(&g), 0);
	ck_assert_ptr_nonnull(g.owner);
	ck_assert_int_eq(kind_of(0), HB_REACH_DEFINITE);
	ck_assert_int_eq(kind_of(3), HB_REACH_DEFINITE);
	ck_assert_uint_eq(owner_of(1), stack_of(0));
	ck_assert_uint_eq(owner_of(2), (uintptr_t)blk[0] < (uintptr_t)blk[3] ? stack_of(0) : stack_of(3));
	int lead = kind_of(4) == HB_REACH_DEFINITE ? 4 : 5, member = 9 - lead;
	ck_assert_int_eq(kind_of(lead), HB_REACH_DEFINITE);
	ck_assert_int_eq(kind_of(member), HB_REACH_INDIRECT);
	ck_assert_uint_eq(owner_of(member), stack_of(lead));
	for (int i = 0; i < 8; i++)
		if (kind_of(i) != HB_REACH_INDIRECT)
			ck_assert_uint_eq(owner_of(i), 0); /* roots and reachable blocks have none */
}
END_TEST

START_TEST(an_absorbed_leader_is_owned_by_the_clique_that_absorbed_it)
{
	/* hi -> lo with lo at the lower address: classify makes lo a leader
	 * first, then hi's clique absorbs it, so lo is indirect and hi owns it */
	int lo = (uintptr_t)blk[0] < (uintptr_t)blk[1] ? 0 : 1, hi = 1 - lo;
	link_to(hi, 0, lo);
	link_to(lo, 0, 2);
	add_all(3);
	hb_reach_classify(&g);
	ck_assert_int_eq(hb_reach_own(&g), 0);
	ck_assert_int_eq(kind_of(hi), HB_REACH_DEFINITE);
	ck_assert_int_eq(kind_of(lo), HB_REACH_INDIRECT);
	ck_assert_uint_eq(owner_of(lo), stack_of(hi));
	ck_assert_uint_eq(owner_of(2), stack_of(hi));
}
END_TEST

START_TEST(no_indirect_block_needs_no_owner_table)
{
	add_all(2);
	hb_reach_classify(&g);
	ck_assert_int_eq(hb_reach_own(&g), 0);
	ck_assert_ptr_null(g.owner);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reach_graph");
	TCase *tc = tcase_create("core");
	/* the byte-by-byte probes of find take seconds on a loaded 2-core
	 * machine, past Check's default of 4 s */
	tcase_set_timeout(tc, 50);
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
	tcase_add_test(tc, indirect_blocks_are_owned_by_the_first_definite_reaching_them);
	tcase_add_test(tc, an_absorbed_leader_is_owned_by_the_clique_that_absorbed_it);
	tcase_add_test(tc, no_indirect_block_needs_no_owner_table);
	tcase_add_test(tc, unreadable_block_is_not_read);
	tcase_add_test(tc, full_graph_refuses_more);
	tcase_add_test(tc, long_lost_list_needs_no_recursion);
	tcase_add_test(tc, find_resolves_every_byte_of_a_sparse_heap);
	tcase_add_test(tc, find_resolves_every_byte_of_a_dense_heap);
	tcase_add_test(tc, sort_keeps_every_block_whole);
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
