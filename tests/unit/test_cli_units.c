/*
 * test_cli_units.c - unit tests for analyzer/cli_units.h, TIME and RATE
 * arguments.
 *
 * Checked: times in every unit and combined ("1h30m", "1.5s", "250ms",
 * plain seconds), from the end with '-'; rates in binary and decimal sizes
 * per s, min, h, d; each malformed argument refused (empty, no number, a
 * unit it does not know, a missing "/unit", trailing text); and the
 * display of clocks and rates.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_units.h"

static uint64_t time_of(const char *s, int want_end)
{
	uint64_t ns;
	int end;
	ck_assert_msg(cli_parse_time("--at", s, &ns, &end) == 0, "'%s' refused", s);
	ck_assert_int_eq(end, want_end);
	return ns;
}

START_TEST(times_in_every_unit)
{
	ck_assert_uint_eq(time_of("90s", 0), 90000000000ull);
	ck_assert_uint_eq(time_of("15m", 0), 900000000000ull);
	ck_assert_uint_eq(time_of("2h", 0), 7200000000000ull);
	ck_assert_uint_eq(time_of("1h30m", 0), 5400000000000ull);
	ck_assert_uint_eq(time_of("1d2h", 0), 93600000000000ull);
	ck_assert_uint_eq(time_of("1.5s", 0), 1500000000ull);
	ck_assert_uint_eq(time_of("250ms", 0), 250000000ull);
	ck_assert_uint_eq(time_of("42", 0), 42000000000ull);
	ck_assert_uint_eq(time_of("0", 0), 0);
	ck_assert_uint_eq(time_of("-10m", 1), 600000000000ull);
	ck_assert_uint_eq(time_of("-1m30s", 1), 90000000000ull);
}
END_TEST

START_TEST(bad_times_are_refused)
{
	const char *bad[] = {"", "-", "s", "10x", "10 s", "1h30", "ten", "--5s", "5s-", "1e3s", ".s", "99999999999d"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ns;
		int end;
		ck_assert_msg(cli_parse_time("--at", bad[i], &ns, &end) == -1, "'%s' accepted", bad[i]);
	}
}
END_TEST

static double rate_of(const char *s)
{
	double v;
	ck_assert_msg(cli_parse_rate("--max-growth", s, &v) == 0, "'%s' refused", s);
	return v;
}

START_TEST(rates_in_every_unit)
{
	ck_assert_double_eq(rate_of("1MiB/h"), 1048576.0);
	ck_assert_double_eq(rate_of("100KiB/min"), 102400.0 * 60);
	ck_assert_double_eq(rate_of("512KB/s"), 512000.0 * 3600);
	ck_assert_double_eq(rate_of("2GiB/d"), 2147483648.0 / 24);
	ck_assert_double_eq(rate_of("10B/s"), 36000.0);
	ck_assert_double_eq(rate_of("10/s"), 36000.0);
	ck_assert_double_eq(rate_of("1.5MB/h"), 1.5e6);
	ck_assert_double_eq(rate_of("0B/h"), 0);
}
END_TEST

START_TEST(bad_rates_are_refused)
{
	const char *bad[] = {"", "1MiB", "MiB/h", "1MiB/week", "1XB/h", "1MiB/h ", "-1MiB/h", "1 MiB/h", "1MiB//h"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double v;
		ck_assert_msg(cli_parse_rate("--max-growth", bad[i], &v) == -1, "'%s' accepted", bad[i]);
	}
}
END_TEST

START_TEST(clocks_and_rates_read_as_people_write_them)
{
	char b[64];
	cli_format_clock(b, sizeof(b), 4.001);
	ck_assert_str_eq(b, "0:00:04");
	cli_format_clock(b, sizeof(b), 4.4);
	ck_assert_str_eq(b, "0:00:04.4");
	cli_format_clock(b, sizeof(b), 0.5);
	ck_assert_str_eq(b, "0:00:00.5");
	cli_format_clock(b, sizeof(b), 59.96);
	ck_assert_str_eq(b, "0:01:00");
	cli_format_clock(b, sizeof(b), 3723);
	ck_assert_str_eq(b, "1:02:03");
	cli_format_clock(b, sizeof(b), 2 * 86400 + 61);
	ck_assert_str_eq(b, "2d 0:01:01");
	cli_format_rate(b, sizeof(b), 720.0 * 1048576);
	ck_assert_str_eq(b, "720 MiB/h");
	cli_format_rate(b, sizeof(b), -3.2 * 1024);
	ck_assert_str_eq(b, "-3.20 KiB/h");
	cli_format_rate(b, sizeof(b), 0);
	ck_assert_str_eq(b, "0 B/h");
	cli_format_rate(b, sizeof(b), 55.5 * 1073741824.0);
	ck_assert_str_eq(b, "55.5 GiB/h");
}
END_TEST

static Suite *cli_units_suite(void)
{
	Suite *s = suite_create("cli_units");
	TCase *tc = tcase_create("cli_units");
	tcase_add_test(tc, times_in_every_unit);
	tcase_add_test(tc, bad_times_are_refused);
	tcase_add_test(tc, rates_in_every_unit);
	tcase_add_test(tc, bad_rates_are_refused);
	tcase_add_test(tc, clocks_and_rates_read_as_people_write_them);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_units_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
