/*
 * test_timeline.c - unit tests for analyzer/blame/timeline.h, the sums of
 * site series on a report's time axis.
 *
 * Checked: a series' steps are the differences of its levels, put at the
 * axis point each takes effect, and summed up they give its levels back;
 * a process that ended drops its last level after its end; and levels at
 * the ends of the int64 range (a trace's byte counts are the input's:
 * fuzz_report found 0 - INT64_MIN) give their true differences, not a
 * wrapped one (nor undefined behaviour).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "timeline.h"

/* An axis of n points for one process whose slot k is point k; gone: the
 * first point after the process ended (n: it did not). */
static struct tl_axis *axis(size_t n, uint32_t gone)
{
	struct tl_axis *a = calloc(1, sizeof(*a));
	ck_assert_ptr_nonnull(a);
	a->n = n;
	a->nprocs = 1;
	a->gone = calloc(1, sizeof(*a->gone));
	a->first[0] = calloc(TS_SLOTS, sizeof(*a->first[0]));
	ck_assert(a->gone && a->first[0]);
	a->gone[0] = gone;
	for (uint32_t k = 0; k < TS_SLOTS; k++)
		a->first[0][k] = k < n ? k : (uint32_t)n;
	return a;
}

START_TEST(steps_sum_up_to_the_levels)
{
	struct tl_axis *a = axis(4, 4);
	struct ts_series s = {0};
	ck_assert_int_eq(ts_series_put(&s, 0, 100), 0);
	ck_assert_int_eq(ts_series_put(&s, 2, 40), 0);
	double steps[4] = {0};
	tl_add_steps(a, 0, &s, steps);
	ck_assert(steps[0] == 100 && steps[1] == 0 && steps[2] == -60 && steps[3] == 0);
	tl_levels(a, steps);
	ck_assert(steps[0] == 100 && steps[1] == 100 && steps[2] == 40 && steps[3] == 40);
	ts_series_free(&s);
	tl_axis_free(a);
}
END_TEST

START_TEST(an_ended_process_holds_nothing_after)
{
	struct tl_axis *a = axis(4, 2);
	struct ts_series s = {0};
	ck_assert_int_eq(ts_series_put(&s, 1, 7), 0);
	double steps[4] = {0};
	tl_add_steps(a, 0, &s, steps);
	tl_levels(a, steps);
	ck_assert(steps[0] == 0 && steps[1] == 7 && steps[2] == 0 && steps[3] == 0);
	ts_series_free(&s);
	tl_axis_free(a);
}
END_TEST

START_TEST(levels_at_the_ends_of_int64_do_not_wrap)
{
	struct tl_axis *a = axis(3, 3);
	struct ts_series s = {0};
	ck_assert_int_eq(ts_series_put(&s, 0, INT64_MIN), 0);
	ck_assert_int_eq(ts_series_put(&s, 1, 0), 0);
	ck_assert_int_eq(ts_series_put(&s, 2, INT64_MAX), 0);
	double steps[3] = {0};
	tl_add_steps(a, 0, &s, steps);
	ck_assert(steps[0] == -9223372036854775808.0);
	ck_assert_msg(steps[1] == 9223372036854775808.0, "0 - INT64_MIN gave %g", steps[1]);
	ck_assert(steps[2] == 9223372036854775807.0);
	ts_series_free(&s);
	tl_axis_free(a);
}
END_TEST

static Suite *timeline_suite(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("timeline");
	tcase_add_test(tc, steps_sum_up_to_the_levels);
	tcase_add_test(tc, an_ended_process_holds_nothing_after);
	tcase_add_test(tc, levels_at_the_ends_of_int64_do_not_wrap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timeline_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
