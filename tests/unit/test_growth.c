/*
 * test_growth.c - unit tests for analyzer/blame/growth.h, the growth
 * classification of one time series.
 *
 * Series are made here from known shapes, sampled once a second like the
 * shim's flushes, with seeded noise (a fixed xorshift), so that each test
 * is deterministic. Checked: a linear leak is growing at its rate (within
 * 2%) since its start, also under noise of a quarter of its range, also
 * under a sawtooth riding on it, also after a flat start (its "since" then
 * the end of the flat part); a cache that fills and holds is a plateau
 * with a rate near 0, also when noisy; bursts about a steady level and a
 * constant are flat; a series freed steadily is falling at its rate; too
 * few points or too short a span is unknown; all zeros is flat; a single
 * burst at the end of a flat series (a spike, not a trend), also in a
 * ten-second run, is not growing, while a ten-second steady leak is (and
 * six seconds of it, three points in the last half, are unknown).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "growth.h"

#define N 600

static double t[N], y[N];
static uint64_t rng = 88172645463325252ull;

static double noise(double amplitude)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return amplitude * ((double)(rng >> 11) / (double)(1ull << 53) * 2 - 1);
}

static void sample(size_t n)
{
	for (size_t i = 0; i < n; i++)
		t[i] = (double)(i + 1);
}

static void assert_rate(const struct growth *g, double bytes_per_s, double tolerance)
{
	double want = bytes_per_s * 3600;
	ck_assert_msg(fabs(g->bytes_per_hour - want) <= tolerance * fabs(want) + 1e-9,
		      "rate %.0f B/h, want %.0f within %.0f%%", g->bytes_per_hour, want, tolerance * 100);
}

START_TEST(a_linear_leak_is_growing_at_its_rate)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 4096.0 * t[i];
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_GROWING);
	assert_rate(&g, 4096, 0.02);
	ck_assert_double_le(g.since_s, 31);
	ck_assert_str_eq(growth_class_name(g.cls), "growing");
}
END_TEST

START_TEST(a_noisy_leak_is_growing)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 1e6 + 1000.0 * t[i] + noise(150000);
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_GROWING);
	assert_rate(&g, 1000, 0.10);
}
END_TEST

START_TEST(a_sawtooth_on_a_leak_is_growing_at_the_leak_rate)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 500.0 * t[i] + 40000.0 * (double)(i % 37) / 37.0;
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_GROWING);
	assert_rate(&g, 500, 0.10);
}
END_TEST

START_TEST(growth_after_a_flat_start_is_dated_from_its_start)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = t[i] < 200 ? 50000 : 50000 + 2000.0 * (t[i] - 200);
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_GROWING);
	assert_rate(&g, 2000, 0.02);
	ck_assert_double_ge(g.since_s, 190);
	ck_assert_double_le(g.since_s, 240);
}
END_TEST

START_TEST(a_filled_cache_is_a_plateau)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = t[i] < 150 ? 8e6 * t[i] / 150 : 8e6;
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_PLATEAU);
	ck_assert_double_lt(fabs(g.bytes_per_hour), 1);
	for (size_t i = 0; i < N; i++)
		y[i] += noise(2e5);
	g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_PLATEAU);
	ck_assert_str_eq(growth_class_name(g.cls), "plateau");
}
END_TEST

/* Also at the sizes of a short run: a cache filled over 3 s of a 10 s run,
 * seen at one-second flushes. */
START_TEST(a_short_run_of_a_cache_is_a_plateau)
{
	sample(10);
	for (size_t i = 0; i < 10; i++)
		y[i] = t[i] < 3 ? 8e6 * t[i] / 3 : 8e6;
	struct growth g = growth_classify(t, y, 10);
	ck_assert_int_eq(g.cls, GROWTH_PLATEAU);
}
END_TEST

START_TEST(bursts_about_a_level_and_a_constant_are_flat)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 1e5 + ((i * 7919) % 13 < 4 ? 4e6 : 0); /* bursts at pseudo-random flushes */
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_FLAT);
	for (size_t i = 0; i < N; i++)
		y[i] = 12345;
	g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_FLAT);
	ck_assert_str_eq(growth_class_name(g.cls), "flat");
	for (size_t i = 0; i < N; i++)
		y[i] = 0;
	g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_FLAT);
}
END_TEST

START_TEST(a_series_freed_steadily_is_falling)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 1e7 - 10000.0 * t[i];
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_eq(g.cls, GROWTH_FALLING);
	assert_rate(&g, -10000, 0.02);
	ck_assert_str_eq(growth_class_name(g.cls), "falling");
}
END_TEST

START_TEST(too_few_points_or_too_short_is_unknown)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 1000.0 * t[i];
	struct growth g = growth_classify(t, y, GROWTH_MIN_POINTS - 1);
	ck_assert_int_eq(g.cls, GROWTH_UNKNOWN);
	ck_assert_str_eq(growth_class_name(g.cls), "unknown");
	for (size_t i = 0; i < 20; i++)
		t[i] = 0.2 * (double)i; /* 20 points over 3.8 s */
	g = growth_classify(t, y, 20);
	ck_assert_int_eq(g.cls, GROWTH_UNKNOWN);
	ck_assert_double_eq(g.bytes_per_hour, 0);
}
END_TEST

START_TEST(a_spike_at_the_end_is_not_growth)
{
	sample(N);
	for (size_t i = 0; i < N; i++)
		y[i] = 1e6 + (i >= N - 3 ? 5e6 : 0);
	struct growth g = growth_classify(t, y, N);
	ck_assert_int_ne(g.cls, GROWTH_GROWING);
	/* a short run whose one buffer comes at exit: 9 flushes of nothing,
	 * then two exit flushes holding it */
	double ts[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10.001}, ys[11] = {0};
	ys[9] = ys[10] = 4096;
	g = growth_classify(ts, ys, 11);
	ck_assert_int_ne(g.cls, GROWTH_GROWING);
}
END_TEST

/* ... while a short run's steady leak, over the same ten seconds, is. */
START_TEST(a_short_steady_leak_is_growing)
{
	double ts[11], ys[11];
	for (int i = 0; i < 10; i++)
		ts[i] = i + 1, ys[i] = 3440.0 * (i + 1);
	ts[10] = 10.001, ys[10] = ys[9];
	struct growth g = growth_classify(ts, ys, 11);
	ck_assert_int_eq(g.cls, GROWTH_GROWING);
	/* six seconds of it leave 3 points in the last half: too few to tell */
	g = growth_classify(ts, ys, 6);
	ck_assert_int_eq(g.cls, GROWTH_UNKNOWN);
}
END_TEST

static Suite *growth_suite(void)
{
	Suite *s = suite_create("growth");
	TCase *tc = tcase_create("growth");
	tcase_add_test(tc, a_linear_leak_is_growing_at_its_rate);
	tcase_add_test(tc, a_noisy_leak_is_growing);
	tcase_add_test(tc, a_sawtooth_on_a_leak_is_growing_at_the_leak_rate);
	tcase_add_test(tc, growth_after_a_flat_start_is_dated_from_its_start);
	tcase_add_test(tc, a_filled_cache_is_a_plateau);
	tcase_add_test(tc, a_short_run_of_a_cache_is_a_plateau);
	tcase_add_test(tc, bursts_about_a_level_and_a_constant_are_flat);
	tcase_add_test(tc, a_series_freed_steadily_is_falling);
	tcase_add_test(tc, too_few_points_or_too_short_is_unknown);
	tcase_add_test(tc, a_spike_at_the_end_is_not_growth);
	tcase_add_test(tc, a_short_steady_leak_is_growing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(growth_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
