/*
 * test_time_series.c - unit tests for analyzer/replay/time_series.h, the
 * flush grid and the sparse per-site series on it.
 *
 * Checked: the grid gives flush k slot k until it is full; the flush after
 * TS_SLOTS merges slots in pairs (each keeping its later time), doubles
 * the span, and says so once; after any number of flushes (here 100,000)
 * the grid holds at most TS_SLOTS slots, evenly in flushes, the last one's
 * time that of the last flush. A series keeps a point only where its level
 * changed, overwrites a point of the same slot, reads as a step function
 * (0 before its first point), and follows the grid's merges so that, read
 * at every slot, it gives the level at the end of that slot's last flush:
 * compared with the true levels of a random walk over 5,000 flushes.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "time_series.h"

START_TEST(slots_are_flushes_until_the_grid_fills)
{
	static struct ts_grid g;
	int co;
	for (uint32_t k = 0; k < TS_SLOTS; k++) {
		ck_assert_uint_eq(ts_grid_add(&g, 1000 + k, &co), k);
		ck_assert_int_eq(co, 0);
	}
	ck_assert_uint_eq(g.n, TS_SLOTS);
	ck_assert_uint_eq(g.span, 1);
	ck_assert_uint_eq(ts_grid_add(&g, 5000, &co), TS_SLOTS / 2);
	ck_assert_int_eq(co, 1);
	ck_assert_uint_eq(g.span, 2);
	ck_assert_uint_eq(g.n, TS_SLOTS / 2 + 1);
	ck_assert_uint_eq(g.t_ns[0], 1001);
	ck_assert_uint_eq(g.t_ns[TS_SLOTS / 2 - 1], 1000 + TS_SLOTS - 1);
	ck_assert_uint_eq(g.t_ns[TS_SLOTS / 2], 5000);
	ck_assert_uint_eq(ts_grid_add(&g, 5001, &co), TS_SLOTS / 2);
	ck_assert_int_eq(co, 0);
	ck_assert_uint_eq(g.t_ns[TS_SLOTS / 2], 5001);
}
END_TEST

START_TEST(a_long_trace_stays_within_the_grid)
{
	static struct ts_grid g;
	int co, merges = 0;
	for (uint64_t k = 0; k < 100000; k++) {
		uint32_t slot = ts_grid_add(&g, k * 10, &co);
		merges += co;
		ck_assert_uint_lt(slot, TS_SLOTS);
		ck_assert_uint_eq(slot, k / g.span);
	}
	ck_assert_uint_le(g.n, TS_SLOTS);
	ck_assert_uint_eq(g.t_ns[g.n - 1], 99999 * 10);
	ck_assert_int_eq(merges, 8); /* 512 * 2^8 = 131072 > 100000 > 65536 */
	for (uint32_t s = 0; s + 1 < g.n; s++)
		ck_assert_uint_eq(g.t_ns[s], ((uint64_t)(s + 1) * g.span - 1) * 10);
}
END_TEST

START_TEST(series_are_sparse_steps)
{
	struct ts_series s = {0};
	ck_assert_int_eq(ts_series_at(&s, 3), 0);
	ck_assert_int_eq(ts_series_put(&s, 2, 100), 0);
	ck_assert_int_eq(ts_series_put(&s, 2, 150), 0); /* same slot: overwritten */
	ck_assert_int_eq(ts_series_put(&s, 5, 150), 0); /* same level: no point */
	ck_assert_int_eq(ts_series_put(&s, 9, -20), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(ts_series_at(&s, 1), 0);
	ck_assert_int_eq(ts_series_at(&s, 2), 150);
	ck_assert_int_eq(ts_series_at(&s, 8), 150);
	ck_assert_int_eq(ts_series_at(&s, 9), -20);
	ck_assert_int_eq(ts_series_at(&s, 400), -20);
	ts_series_free(&s);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

/* A site's level changes at random flushes; after the grid's merges the
 * series, read at each slot, is the true level at that slot's last flush. */
START_TEST(series_follow_the_grid_merges)
{
	enum { FLUSHES = 5000 };
	static struct ts_grid g;
	static int64_t level[FLUSHES];
	struct ts_series s = {0};
	uint64_t rng = 12345;
	int64_t v = 0;
	for (uint64_t k = 0; k < FLUSHES; k++) {
		int co;
		uint32_t slot = ts_grid_add(&g, k, &co);
		if (co)
			ts_series_coarsen(&s);
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		if ((rng >> 60) < 5) { /* changes at about a third of the flushes */
			v += (int64_t)((rng >> 32) % 2001) - 1000;
			ck_assert_int_eq(ts_series_put(&s, slot, v), 0);
		}
		level[k] = v;
	}
	ck_assert_uint_le(s.n, g.n);
	for (uint32_t slot = 0; slot < g.n; slot++) {
		uint64_t last = g.t_ns[slot]; /* the time is the flush number here */
		ck_assert_int_eq(ts_series_at(&s, slot), level[last]);
	}
	ts_series_free(&s);
}
END_TEST

static Suite *time_series_suite(void)
{
	Suite *s = suite_create("time_series");
	TCase *tc = tcase_create("time_series");
	tcase_add_test(tc, slots_are_flushes_until_the_grid_fills);
	tcase_add_test(tc, a_long_trace_stays_within_the_grid);
	tcase_add_test(tc, series_are_sparse_steps);
	tcase_add_test(tc, series_follow_the_grid_merges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(time_series_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
