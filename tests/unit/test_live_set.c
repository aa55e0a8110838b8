/*
 * test_live_set.c - unit tests for analyzer/live_set.h, the replay's set of
 * outstanding allocations keyed by allocation id.
 *
 * Checked: add and remove by id return the block that was added, with its
 * counts and byte totals exact; a FREE read before its ALLOC is remembered
 * as one pending free and cancels the ALLOC (neither stays); a duplicate id
 * replaces the old block; the set survives many doublings; foreach visits
 * exactly the live blocks and never a pending free; and a long random
 * churn of adds, removes and early frees matches a simple reference model.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "live_set.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static struct live_block blk(uint64_t id, uint64_t size)
{
	struct live_block b = {.id = id,
			       .size = size,
			       .addr = 0x10000 + id * 16,
			       .module = (uint32_t)(id % 7 + 1),
			       .stack = (uint32_t)(id % 13 + 1),
			       .kind = (uint32_t)(id % 9)};
	return b;
}

static void assert_block_eq(const struct live_block *a, const struct live_block *b)
{
	ck_assert_uint_eq(a->id, b->id);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert_uint_eq(a->addr, b->addr);
	ck_assert_uint_eq(a->module, b->module);
	ck_assert_uint_eq(a->stack, b->stack);
	ck_assert_uint_eq(a->kind, b->kind);
}

START_TEST(add_and_remove_by_id)
{
	struct live_set *s = live_set_new();
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);
	struct live_block a = blk(1, 10), b = blk(2, 200), c = blk(UINT64_MAX, 3000);
	ck_assert_int_eq(live_set_add(s, &a), 0);
	ck_assert_int_eq(live_set_add(s, &b), 0);
	ck_assert_int_eq(live_set_add(s, &c), 0);
	ck_assert_uint_eq(live_set_count(s), 3);
	ck_assert_uint_eq(live_set_bytes(s), 3210);
	ck_assert_uint_eq(live_set_pending(s), 0);

	struct live_block out;
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(live_set_remove(s, 2, &out), 1);
	assert_block_eq(&out, &b);
	ck_assert_uint_eq(live_set_count(s), 2);
	ck_assert_uint_eq(live_set_bytes(s), 3010);
	ck_assert_int_eq(live_set_remove(s, UINT64_MAX, &out), 1);
	assert_block_eq(&out, &c);
	ck_assert_int_eq(live_set_remove(s, 1, &out), 1);
	assert_block_eq(&out, &a);
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);
	ck_assert_uint_eq(live_set_pending(s), 0);
	live_set_free_all(s);
}
END_TEST

START_TEST(pending_free_before_alloc_cancels_both)
{
	struct live_set *s = live_set_new();
	struct live_block out;
	ck_assert_int_eq(live_set_remove(s, 5, &out), 0);
	ck_assert_uint_eq(live_set_pending(s), 1);
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);

	struct live_block b = blk(5, 64);
	ck_assert_int_eq(live_set_add(s, &b), 1);
	ck_assert_uint_eq(live_set_pending(s), 0);
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);

	/* the pending free is used up: the same id added again is live */
	ck_assert_int_eq(live_set_add(s, &b), 0);
	ck_assert_uint_eq(live_set_count(s), 1);
	ck_assert_uint_eq(live_set_bytes(s), 64);
	ck_assert_int_eq(live_set_remove(s, 5, &out), 1);
	assert_block_eq(&out, &b);
	live_set_free_all(s);
}
END_TEST

START_TEST(second_early_free_is_kept_once)
{
	struct live_set *s = live_set_new();
	struct live_block out;
	ck_assert_int_eq(live_set_remove(s, 7, &out), 0);
	ck_assert_int_eq(live_set_remove(s, 7, &out), 0);
	ck_assert_uint_eq(live_set_pending(s), 1);
	struct live_block b = blk(7, 1);
	ck_assert_int_eq(live_set_add(s, &b), 1);
	ck_assert_uint_eq(live_set_pending(s), 0);
	ck_assert_int_eq(live_set_add(s, &b), 0);
	ck_assert_uint_eq(live_set_count(s), 1);
	live_set_free_all(s);
}
END_TEST

START_TEST(remove_of_removed_id_becomes_pending)
{
	struct live_set *s = live_set_new();
	struct live_block b = blk(9, 100), out;
	ck_assert_int_eq(live_set_add(s, &b), 0);
	ck_assert_int_eq(live_set_remove(s, 9, &out), 1);
	ck_assert_int_eq(live_set_remove(s, 9, &out), 0);
	ck_assert_uint_eq(live_set_pending(s), 1);
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);
	live_set_free_all(s);
}
END_TEST

START_TEST(duplicate_id_replaces_block)
{
	struct live_set *s = live_set_new();
	struct live_block a = blk(3, 10), b = blk(3, 30), out;
	b.addr = 0xabc0;
	b.stack = 99;
	ck_assert_int_eq(live_set_add(s, &a), 0);
	ck_assert_int_eq(live_set_add(s, &b), 0);
	ck_assert_uint_eq(live_set_count(s), 1);
	ck_assert_uint_eq(live_set_bytes(s), 30);
	ck_assert_int_eq(live_set_remove(s, 3, &out), 1);
	assert_block_eq(&out, &b);
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);
	ck_assert_int_eq(live_set_remove(s, 3, &out), 0);
	live_set_free_all(s);
}
END_TEST

struct visit {
	uint8_t *seen; /* indexed by id */
	uint64_t n, bytes, max_id;
	int bad;
};

static void visit_fn(void *ctx, const struct live_block *b)
{
	struct visit *v = ctx;
	if (b->id == 0 || b->id > v->max_id || v->seen[b->id] || b->pending) {
		v->bad++;
		return;
	}
	struct live_block want = blk(b->id, b->id * 3);
	if (b->size != want.size || b->addr != want.addr || b->module != want.module || b->stack != want.stack ||
	    b->kind != want.kind)
		v->bad++;
	v->seen[b->id] = 1;
	v->n++;
	v->bytes += b->size;
}

START_TEST(survives_growth)
{
	enum { N = 100000 };
	struct live_set *s = live_set_new();
	uint64_t bytes = 0;
	for (uint64_t id = 1; id <= N; id++) {
		struct live_block b = blk(id, id * 3);
		ck_assert_int_eq(live_set_add(s, &b), 0);
		bytes += id * 3;
	}
	ck_assert_uint_eq(live_set_count(s), N);
	ck_assert_uint_eq(live_set_bytes(s), bytes);
	/* remove the odd ids */
	for (uint64_t id = 1; id <= N; id += 2) {
		struct live_block out;
		ck_assert_int_eq(live_set_remove(s, id, &out), 1);
		ck_assert_uint_eq(out.id, id);
		ck_assert_uint_eq(out.size, id * 3);
		bytes -= id * 3;
	}
	ck_assert_uint_eq(live_set_count(s), N / 2);
	ck_assert_uint_eq(live_set_bytes(s), bytes);
	struct visit v = {.seen = calloc(N + 1, 1), .max_id = N};
	live_set_foreach(s, visit_fn, &v);
	ck_assert_int_eq(v.bad, 0);
	ck_assert_uint_eq(v.n, N / 2);
	ck_assert_uint_eq(v.bytes, bytes);
	for (uint64_t id = 1; id <= N; id++)
		ck_assert_uint_eq(v.seen[id], id % 2 == 0);
	free(v.seen);
	live_set_free_all(s);
}
END_TEST

START_TEST(foreach_skips_pending_frees)
{
	struct live_set *s = live_set_new();
	struct live_block out;
	for (uint64_t id = 1; id <= 10; id++) {
		struct live_block b = blk(id, id * 3);
		ck_assert_int_eq(live_set_add(s, &b), 0);
	}
	for (uint64_t id = 11; id <= 20; id++)
		ck_assert_int_eq(live_set_remove(s, id, &out), 0);
	ck_assert_uint_eq(live_set_pending(s), 10);
	struct visit v = {.seen = calloc(21, 1), .max_id = 20};
	live_set_foreach(s, visit_fn, &v);
	ck_assert_int_eq(v.bad, 0);
	ck_assert_uint_eq(v.n, 10);
	for (uint64_t id = 1; id <= 20; id++)
		ck_assert_uint_eq(v.seen[id], id <= 10);
	free(v.seen);
	live_set_free_all(s);
}
END_TEST

/* Reference model: per id, 0 absent, 1 live, 2 pending free. */
START_TEST(random_churn_matches_reference)
{
	enum { IDS = 30000, OPS = 400000 };
	rng_state = 12345;
	uint8_t *state = calloc(IDS + 1, 1);
	uint64_t *size = calloc(IDS + 1, sizeof(*size));
	uint64_t live = 0, bytes = 0, pending = 0;
	struct live_set *s = live_set_new();
	for (int op = 0; op < OPS; op++) {
		uint64_t id = rng() % IDS + 1;
		struct live_block out;
		if (rng() % 2) {
			struct live_block b = blk(id, rng() % 100000);
			int rc = live_set_add(s, &b);
			if (state[id] == 2) {
				ck_assert_int_eq(rc, 1);
				state[id] = 0;
				pending--;
			} else {
				ck_assert_int_eq(rc, 0);
				if (state[id] == 1)
					bytes -= size[id];
				else
					live++;
				state[id] = 1;
				size[id] = b.size;
				bytes += b.size;
			}
		} else {
			int rc = live_set_remove(s, id, &out);
			if (state[id] == 1) {
				ck_assert_int_eq(rc, 1);
				ck_assert_uint_eq(out.id, id);
				ck_assert_uint_eq(out.size, size[id]);
				state[id] = 0;
				live--;
				bytes -= size[id];
			} else {
				ck_assert_int_eq(rc, 0);
				if (state[id] == 0)
					pending++;
				state[id] = 2;
			}
		}
		if (op % 4096 == 0) {
			ck_assert_uint_eq(live_set_count(s), live);
			ck_assert_uint_eq(live_set_bytes(s), bytes);
			ck_assert_uint_eq(live_set_pending(s), pending);
		}
	}
	ck_assert_uint_eq(live_set_count(s), live);
	ck_assert_uint_eq(live_set_bytes(s), bytes);
	ck_assert_uint_eq(live_set_pending(s), pending);
	/* every live block is still findable */
	for (uint64_t id = 1; id <= IDS; id++) {
		if (state[id] != 1)
			continue;
		struct live_block out;
		ck_assert_int_eq(live_set_remove(s, id, &out), 1);
		ck_assert_uint_eq(out.size, size[id]);
	}
	ck_assert_uint_eq(live_set_count(s), 0);
	ck_assert_uint_eq(live_set_bytes(s), 0);
	ck_assert_uint_eq(live_set_pending(s), pending);
	free(state);
	free(size);
	live_set_free_all(s);
}
END_TEST

static Suite *live_set_suite(void)
{
	Suite *s = suite_create("live_set");
	TCase *tc = tcase_create("live_set");
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, add_and_remove_by_id);
	tcase_add_test(tc, pending_free_before_alloc_cancels_both);
	tcase_add_test(tc, second_early_free_is_kept_once);
	tcase_add_test(tc, remove_of_removed_id_becomes_pending);
	tcase_add_test(tc, duplicate_id_replaces_block);
	tcase_add_test(tc, survives_growth);
	tcase_add_test(tc, foreach_skips_pending_frees);
	tcase_add_test(tc, random_churn_matches_reference);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(live_set_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
