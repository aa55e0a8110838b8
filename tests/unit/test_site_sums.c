/*
 * test_site_sums.c - unit tests for shim/write/site_sums.h, the writer's
 * cross-thread sums keyed by (module, stack, dir, kind, epoch).
 *
 * Checked: adding to one key sums its counts and bytes, and a key that
 * differs in any one field (the module included) is another entry;
 * hb_site_sums_sorted returns every entry once, sorted by (module, stack,
 * dir, kind, epoch) with the REACH and INHERIT directions after a site's
 * allocations and frees, on ~100k random keys added in shuffled order
 * (some many times, edge values in every field), each with exactly the sums
 * of a reference; after a sort, a reset and new adds give no stale sums,
 * whether a new key lands in a slot the sort compacted away or in one it
 * left behind, and an unsorted table resets the same way; the table grows
 * by doubling at 3/4 load without losing a sum, keeps its memory across a
 * reset while small and gives it back past HB_SITE_SUMS_KEEP; an empty
 * table sorts to nothing; release leaves a table that works as new.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "site_sums.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct add {
	uint32_t module;
	struct hb_count_key key;
	uint64_t count, bytes;
};

static struct hb_count_key key_of(uint32_t stack, uint32_t epoch, unsigned kind, unsigned dir)
{
	struct hb_count_key k;
	memset(&k, 0, sizeof(k));
	k.stack = stack;
	k.epoch = epoch;
	k.kind = (uint8_t)kind;
	k.dir = (uint8_t)dir;
	return k;
}

/* The order hb_site_sums_sorted promises. */
static int cmp_tuple(uint32_t am, const struct hb_count_key *a, uint32_t bm, const struct hb_count_key *b)
{
	if (am != bm)
		return am < bm ? -1 : 1;
	if (a->stack != b->stack)
		return a->stack < b->stack ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->epoch != b->epoch)
		return a->epoch < b->epoch ? -1 : 1;
	return 0;
}

static int cmp_add(const void *x, const void *y)
{
	const struct add *a = x, *b = y;
	return cmp_tuple(a->module, &a->key, b->module, &b->key);
}

/* The reference: adds sorted and merged by key, into out (n returned). */
static size_t reference(struct add *adds, size_t n, struct add *out)
{
	qsort(adds, n, sizeof(*adds), cmp_add);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && cmp_add(&out[m - 1], &adds[i]) == 0) {
			out[m - 1].count += adds[i].count;
			out[m - 1].bytes += adds[i].bytes;
		} else {
			out[m++] = adds[i];
		}
	}
	return m;
}

/* The sorted entries equal the reference, entry by entry. */
static void assert_matches(struct hb_site_sums *s, const struct add *ref, size_t nref)
{
	uint64_t n = 12345;
	const struct hb_sum_entry *e = hb_site_sums_sorted(s, &n);
	ck_assert_uint_eq(n, nref);
	ck_assert_uint_eq(s->used, nref);
	for (size_t i = 0; i < nref; i++) {
		ck_assert_msg(e[i].used, "entry %zu not marked used", i);
		ck_assert_msg(cmp_tuple(e[i].module, &e[i].key, ref[i].module, &ref[i].key) == 0,
			      "entry %zu: key (%u, %u, %u, %u, %u), want (%u, %u, %u, %u, %u)", i, e[i].module,
			      e[i].key.stack, e[i].key.dir, e[i].key.kind, e[i].key.epoch, ref[i].module,
			      ref[i].key.stack, ref[i].key.dir, ref[i].key.kind, ref[i].key.epoch);
		ck_assert_msg(e[i].count == ref[i].count && e[i].bytes == ref[i].bytes,
			      "entry %zu: %llu/%llu, want %llu/%llu", i, (unsigned long long)e[i].count,
			      (unsigned long long)e[i].bytes, (unsigned long long)ref[i].count,
			      (unsigned long long)ref[i].bytes);
		if (i)
			ck_assert_int_lt(cmp_tuple(e[i - 1].module, &e[i - 1].key, e[i].module, &e[i].key), 0);
	}
}

static void add_all(struct hb_site_sums *s, const struct add *adds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(hb_site_sums_add(s, adds[i].module, &adds[i].key, adds[i].count, adds[i].bytes), 0);
}

/* n adds over about `distinct` keys, from small ranges so that keys share
 * their leading fields, with edge values mixed in, shuffled. */
static struct add *random_adds(size_t n, uint64_t distinct)
{
	struct add *a = malloc(n * sizeof(*a));
	ck_assert_ptr_nonnull(a);
	uint64_t stacks = distinct / 64 + 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = rng(), y = rng();
		a[i].module = (uint32_t)(x % 5);
		a[i].key = key_of((uint32_t)((x >> 8) % stacks + 1), (uint32_t)((x >> 40) % 4 + 100), (x >> 50) % 3,
				  (x >> 56) % 4);
		switch (y % 64) {
		case 0: a[i].module = UINT32_MAX; break;
		case 1: a[i].key.stack = UINT32_MAX - (uint32_t)(y >> 60); break;
		case 2: a[i].key.epoch = UINT32_MAX - (uint32_t)(y >> 62); break;
		case 3: a[i].key.kind = 255; break;
		case 4: a[i].key.dir = 255; break;
		case 5: a[i].key.stack = 0; break;
		case 6: a[i].key.epoch = 0; break;
		default: break;
		}
		a[i].count = y >> 40 | 1;
		a[i].bytes = (y & 0xffffff) * 16;
	}
	return a;
}

/* ---- sums ---------------------------------------------------------------- */

START_TEST(adding_the_same_key_sums_counts_and_bytes)
{
	struct hb_site_sums s = {0};
	struct hb_count_key k = key_of(7, 100, 1, HB_COUNT_ALLOC);
	for (uint64_t i = 1; i <= 10; i++)
		ck_assert_int_eq(hb_site_sums_add(&s, 3, &k, i, 100 * i), 0);
	/* the padding is not part of the key */
	struct hb_count_key padded = k;
	padded.pad_ = 0x1234;
	ck_assert_int_eq(hb_site_sums_add(&s, 3, &padded, 1, 1), 0);
	/* sums beyond 32 bits */
	ck_assert_int_eq(hb_site_sums_add(&s, 3, &k, 1ull << 40, 1ull << 50), 0);
	ck_assert_uint_eq(s.used, 1);
	/* one field different: another entry */
	struct add others[] = {
		{4, key_of(7, 100, 1, HB_COUNT_ALLOC), 1, 2},
		{3, key_of(8, 100, 1, HB_COUNT_ALLOC), 3, 4},
		{3, key_of(7, 101, 1, HB_COUNT_ALLOC), 5, 6},
		{3, key_of(7, 100, 2, HB_COUNT_ALLOC), 7, 8},
		{3, key_of(7, 100, 1, HB_COUNT_FREE), 9, 10},
		{3, key_of(7, 100, 1, HB_SUM_REACH), 11, 12},
		{3, key_of(7, 100, 1, HB_SUM_INHERIT), 13, 14},
	};
	enum { NO = sizeof(others) / sizeof(others[0]) };
	for (unsigned i = 0; i < NO; i++)
		ck_assert_int_eq(hb_site_sums_add(&s, others[i].module, &others[i].key, others[i].count,
						  others[i].bytes),
				 0);
	ck_assert_uint_eq(s.used, 1 + NO);
	struct add ref[1 + NO];
	ref[0] = (struct add){3, k, 55 + 1 + (1ull << 40), 5500 + 1 + (1ull << 50)};
	memcpy(ref + 1, others, sizeof(others));
	qsort(ref, 1 + NO, sizeof(ref[0]), cmp_add);
	assert_matches(&s, ref, 1 + NO);
	hb_site_sums_release(&s);
}
END_TEST

START_TEST(sorted_orders_by_module_stack_dir_kind_epoch)
{
	/* a site's groups come out together, alloc (dir 0) before free (1),
	 * then REACH (2) and INHERIT (3); stack before dir before kind before
	 * epoch, whatever order they were added in */
	struct hb_site_sums s = {0};
	struct add adds[] = {
		{2, key_of(1, 5, 0, HB_COUNT_ALLOC), 1, 1},  {1, key_of(9, 0, 0, HB_SUM_INHERIT), 1, 1},
		{1, key_of(9, 3, 0, HB_COUNT_FREE), 1, 1},   {1, key_of(9, 9, 2, HB_COUNT_ALLOC), 1, 1},
		{1, key_of(9, 2, 0, HB_SUM_REACH), 1, 1},    {1, key_of(9, 1, 1, HB_COUNT_ALLOC), 1, 1},
		{1, key_of(9, 7, 1, HB_COUNT_ALLOC), 1, 1},  {1, key_of(2, 99, 8, HB_SUM_INHERIT), 1, 1},
		{0, key_of(UINT32_MAX, 1, 0, 0), 1, 1},      {1, key_of(9, 1, 0, HB_COUNT_FREE), 1, 1},
		{1, key_of(10, 0, 0, HB_COUNT_ALLOC), 1, 1}, {1, key_of(9, 0xffffffffu, 1, HB_COUNT_ALLOC), 1, 1},
	};
	static const unsigned want[] = {8, 7, 5, 6, 11, 3, 9, 2, 4, 1, 10, 0}; /* indices into adds */
	enum { N = sizeof(adds) / sizeof(adds[0]) };
	add_all(&s, adds, N);
	uint64_t n;
	const struct hb_sum_entry *e = hb_site_sums_sorted(&s, &n);
	ck_assert_uint_eq(n, N);
	for (unsigned i = 0; i < N; i++)
		ck_assert_msg(cmp_tuple(e[i].module, &e[i].key, adds[want[i]].module, &adds[want[i]].key) == 0,
			      "position %u: (%u, %u, %u, %u, %u), want add %u", i, e[i].module, e[i].key.stack,
			      e[i].key.dir, e[i].key.kind, e[i].key.epoch, want[i]);
	/* sorted twice: the same, in place */
	uint64_t n2;
	ck_assert_ptr_eq(hb_site_sums_sorted(&s, &n2), e);
	ck_assert_uint_eq(n2, N);
	hb_site_sums_release(&s);
}
END_TEST

START_TEST(sorts_a_hundred_thousand_shuffled_keys_with_exact_sums)
{
	enum { NADD = 160000 };
	rng_state = 0x5eed;
	struct add *adds = random_adds(NADD, 100000);
	struct hb_site_sums s = {0};
	add_all(&s, adds, NADD);
	struct add *ref = malloc(NADD * sizeof(*ref));
	size_t nref = reference(adds, NADD, ref);
	ck_assert_uint_gt(nref, 60000);
	ck_assert_uint_lt(nref, NADD); /* some keys were added more than once */
	/* at most 3/4 full, cap a power of two */
	ck_assert_uint_le(s.used * 4, s.cap * 3);
	ck_assert_uint_eq(s.cap & (s.cap - 1), 0);
	assert_matches(&s, ref, nref);
	free(ref);
	free(adds);
	hb_site_sums_release(&s);
}
END_TEST

/* ---- reset ---------------------------------------------------------------- */

/* Two rounds of adds with a sort and a reset between them: the second
 * round's sums must be its own only. The first round is big enough that
 * its sort moves entries (compacting them to the front) and leaves stale
 * slots behind, small enough that the table's memory is kept. */
static void two_rounds(int sort_first)
{
	enum { N1 = 20000, N2 = 20000 };
	rng_state = sort_first ? 11 : 12;
	struct add *a1 = random_adds(N1, 15000), *a2 = random_adds(N2, 15000);
	/* round two: half of round one's keys again, half new */
	for (size_t i = 0; i < N2; i += 2)
		a2[i].key = a1[i].key, a2[i].module = a1[i].module;
	struct hb_site_sums s = {0};
	add_all(&s, a1, N1);
	uint64_t cap = s.cap;
	ck_assert_uint_le(cap * sizeof(struct hb_sum_entry), HB_SITE_SUMS_KEEP);
	if (sort_first) {
		struct add *r1 = malloc(N1 * sizeof(*r1));
		size_t n1 = reference(a1, N1, r1);
		assert_matches(&s, r1, n1);
		free(r1);
	}
	struct hb_sum_entry *slots = s.slots;
	hb_site_sums_reset(&s);
	ck_assert_uint_eq(s.used, 0);
	ck_assert_int_eq(s.sorted, 0);
	ck_assert_uint_eq(s.cap, cap);       /* kept: small */
	ck_assert_ptr_eq(s.slots, slots);
	for (uint64_t i = 0; i < s.cap; i++)
		ck_assert_msg(!s.slots[i].used, "slot %llu still used after reset", (unsigned long long)i);
	/* (no sort of the empty table here: it would reset the whole table
	 * and hide stale slots from the adds below) */
	add_all(&s, a2, N2);
	ck_assert_uint_eq(s.cap, cap);
	struct add *r2 = malloc(N2 * sizeof(*r2));
	size_t n2 = reference(a2, N2, r2);
	assert_matches(&s, r2, n2);
	free(r2);
	free(a1);
	free(a2);
	hb_site_sums_release(&s);
}

START_TEST(reset_after_a_sort_then_reuse_gives_no_stale_sums)
{
	two_rounds(1);
}
END_TEST

START_TEST(reset_without_a_sort_then_reuse_gives_no_stale_sums)
{
	two_rounds(0);
}
END_TEST

START_TEST(reset_reuses_every_slot_a_sort_left_behind)
{
	/* Many flushes of one key set each, different sets: after every sort
	 * and reset, each key's sum is exactly that flush's. */
	struct hb_site_sums s = {0};
	for (unsigned flush = 0; flush < 40; flush++) {
		struct add adds[600];
		for (unsigned i = 0; i < 600; i++)
			adds[i] = (struct add){flush % 3, key_of(i * 7 + flush, flush, i % 3, i % 2), i + 1, flush + 1};
		add_all(&s, adds, 600);
		add_all(&s, adds, 300); /* the first half twice */
		uint64_t n;
		const struct hb_sum_entry *e = hb_site_sums_sorted(&s, &n);
		ck_assert_uint_eq(n, 600);
		for (uint64_t j = 0; j < n; j++) {
			uint64_t i = (e[j].key.stack - flush) / 7;
			ck_assert_uint_lt(i, 600);
			ck_assert_uint_eq(e[j].module, flush % 3);
			ck_assert_uint_eq(e[j].count, (i + 1) * (i < 300 ? 2 : 1));
			ck_assert_uint_eq(e[j].bytes, (uint64_t)(flush + 1) * (i < 300 ? 2 : 1));
		}
		hb_site_sums_reset(&s);
	}
	ck_assert_uint_eq(s.cap, 1024);
	hb_site_sums_release(&s);
}
END_TEST

START_TEST(reset_of_a_large_table_gives_its_memory_back)
{
	enum { N = 140000 };
	struct hb_site_sums s = {0};
	for (uint32_t i = 0; i < N; i++) {
		struct hb_count_key k = key_of(i + 1, 0, 0, 0);
		ck_assert_int_eq(hb_site_sums_add(&s, 1, &k, 1, i), 0);
	}
	ck_assert_uint_gt(s.cap * sizeof(struct hb_sum_entry), HB_SITE_SUMS_KEEP);
	uint64_t n;
	hb_site_sums_sorted(&s, &n);
	ck_assert_uint_eq(n, N);
	hb_site_sums_reset(&s);
	ck_assert_ptr_null(s.slots);
	ck_assert_uint_eq(s.cap, 0);
	ck_assert_uint_eq(s.used, 0);
	ck_assert_int_eq(s.sorted, 0);
	/* and works as new */
	struct hb_count_key k = key_of(5, 5, 5, 1);
	ck_assert_int_eq(hb_site_sums_add(&s, 2, &k, 3, 4), 0);
	ck_assert_int_eq(hb_site_sums_add(&s, 2, &k, 3, 4), 0);
	struct add ref = {2, k, 6, 8};
	assert_matches(&s, &ref, 1);
	hb_site_sums_release(&s);
}
END_TEST

/* ---- growth, empty, release --------------------------------------------- */

START_TEST(grows_by_doubling_at_three_quarters_without_losing_a_sum)
{
	enum { N = 10000 };
	struct hb_site_sums s = {0};
	ck_assert_uint_eq(s.cap, 0);
	uint64_t last_cap = 0;
	unsigned growths = 0;
	for (uint32_t i = 0; i < N; i++) {
		struct hb_count_key k = key_of(i % 977 + 1, i / 977, i % 3, i % 2);
		ck_assert_int_eq(hb_site_sums_add(&s, i % 2, &k, 1, i), 0);
		ck_assert_int_eq(hb_site_sums_add(&s, i % 2, &k, 2, 1), 0);
		if (s.cap != last_cap) {
			ck_assert_uint_eq(s.cap, last_cap ? last_cap * 2 : 1024);
			last_cap = s.cap;
			growths++;
		}
		ck_assert_uint_le(s.used * 4, s.cap * 3);
		ck_assert_uint_eq(s.used, i + 1);
	}
	ck_assert_uint_eq(growths, 5); /* 1024 ... 16384 */
	uint64_t n;
	const struct hb_sum_entry *e = hb_site_sums_sorted(&s, &n);
	ck_assert_uint_eq(n, N);
	uint64_t count = 0, bytes = 0;
	for (uint64_t j = 0; j < n; j++) {
		ck_assert_uint_eq(e[j].count, 3);
		count += e[j].count;
		bytes += e[j].bytes;
	}
	ck_assert_uint_eq(count, 3ull * N);
	ck_assert_uint_eq(bytes, (uint64_t)N * (N - 1) / 2 + N);
	hb_site_sums_release(&s);
}
END_TEST

START_TEST(empty_table_sorts_to_nothing)
{
	struct hb_site_sums s = {0};
	uint64_t n = 99;
	hb_site_sums_sorted(&s, &n);
	ck_assert_uint_eq(n, 0);
	hb_site_sums_reset(&s);
	ck_assert_uint_eq(s.used, 0);
	hb_site_sums_release(&s);
	ck_assert_ptr_null(s.slots);
}
END_TEST

START_TEST(release_leaves_a_table_that_works_as_new)
{
	struct hb_site_sums s = {0};
	struct hb_count_key k = key_of(1, 2, 3, 0);
	ck_assert_int_eq(hb_site_sums_add(&s, 1, &k, 10, 20), 0);
	hb_site_sums_release(&s);
	ck_assert_ptr_null(s.slots);
	ck_assert_uint_eq(s.cap, 0);
	ck_assert_uint_eq(s.used, 0);
	ck_assert_int_eq(hb_site_sums_add(&s, 1, &k, 1, 2), 0);
	struct add ref = {1, k, 1, 2};
	assert_matches(&s, &ref, 1);
	hb_site_sums_release(&s);
}
END_TEST

static Suite *site_sums_suite(void)
{
	Suite *s = suite_create("site_sums");
	TCase *tc = tcase_create("site_sums");
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, adding_the_same_key_sums_counts_and_bytes);
	tcase_add_test(tc, sorted_orders_by_module_stack_dir_kind_epoch);
	tcase_add_test(tc, sorts_a_hundred_thousand_shuffled_keys_with_exact_sums);
	tcase_add_test(tc, reset_after_a_sort_then_reuse_gives_no_stale_sums);
	tcase_add_test(tc, reset_without_a_sort_then_reuse_gives_no_stale_sums);
	tcase_add_test(tc, reset_reuses_every_slot_a_sort_left_behind);
	tcase_add_test(tc, reset_of_a_large_table_gives_its_memory_back);
	tcase_add_test(tc, grows_by_doubling_at_three_quarters_without_losing_a_sum);
	tcase_add_test(tc, empty_table_sorts_to_nothing);
	tcase_add_test(tc, release_leaves_a_table_that_works_as_new);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(site_sums_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
