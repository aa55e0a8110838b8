/*
 * test_output_path.c - unit tests for shim/output_path.h.
 *
 * The trace's file name is built from HEAPBLAME_OUTPUT: the default name
 * heapblame.%e.%p.hbt, a directory (flagged by the caller or by a trailing
 * '/') holding that default name, or a pattern with %p, %e and %%, unknown
 * % sequences kept as written. A retry (attempt > 0) puts ".n" before a
 * ".hbt" suffix or appends it. A result that does not fit, to the byte,
 * returns -1.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "output_path.h"

static char buf[4096];

static const char *expand(const char *pattern, int is_dir, pid_t pid, const char *prog, unsigned attempt)
{
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(hb_output_path(buf, sizeof(buf), pattern, is_dir, pid, prog, attempt), 0);
	return buf;
}

START_TEST(default_name_without_pattern)
{
	ck_assert_str_eq(expand(NULL, 0, 1234, "store", 0), "heapblame.store.1234.hbt");
	ck_assert_str_eq(expand("", 0, 1234, "store", 0), "heapblame.store.1234.hbt");
	ck_assert_str_eq(expand(NULL, 1, 1, "a", 0), "heapblame.a.1.hbt");
}
END_TEST

START_TEST(directory_gets_default_name)
{
	ck_assert_str_eq(expand("/tmp/traces", 1, 42, "prog", 0), "/tmp/traces/heapblame.prog.42.hbt");
	ck_assert_str_eq(expand("/tmp/traces/", 0, 42, "prog", 0), "/tmp/traces/heapblame.prog.42.hbt");
	ck_assert_str_eq(expand("/tmp/traces/", 1, 42, "prog", 0), "/tmp/traces/heapblame.prog.42.hbt");
	ck_assert_str_eq(expand("out", 1, 7, "x", 0), "out/heapblame.x.7.hbt");
}
END_TEST

START_TEST(pattern_expands_pid_name_percent)
{
	ck_assert_str_eq(expand("t-%e-%p.hbt", 0, 99, "srv", 0), "t-srv-99.hbt");
	ck_assert_str_eq(expand("%p%p", 0, 5, "x", 0), "55");
	ck_assert_str_eq(expand("100%%.hbt", 0, 5, "x", 0), "100%.hbt");
	ck_assert_str_eq(expand("%%p", 0, 5, "x", 0), "%p");
	ck_assert_str_eq(expand("/var/tmp/%e", 0, 5, "my prog", 0), "/var/tmp/my prog");
	ck_assert_str_eq(expand("a%pb", 0, 2147483647, "x", 0), "a2147483647b");
	ck_assert_str_eq(expand("plain", 0, 5, "x", 0), "plain");
}
END_TEST

START_TEST(unknown_percent_is_kept)
{
	ck_assert_str_eq(expand("x%qy", 0, 5, "p", 0), "x%qy");
	ck_assert_str_eq(expand("%s-%d", 0, 5, "p", 0), "%s-%d");
	ck_assert_str_eq(expand("end%", 0, 5, "p", 0), "end%");
	ck_assert_str_eq(expand("%", 0, 5, "p", 0), "%");
}
END_TEST

START_TEST(attempt_goes_before_hbt)
{
	ck_assert_str_eq(expand("trace.hbt", 0, 5, "p", 2), "trace.2.hbt");
	ck_assert_str_eq(expand(NULL, 0, 5, "p", 1), "heapblame.p.5.1.hbt");
	ck_assert_str_eq(expand("/d", 1, 5, "p", 12), "/d/heapblame.p.5.12.hbt");
	ck_assert_str_eq(expand("t-%p.hbt", 0, 8, "p", 3), "t-8.3.hbt");
}
END_TEST

START_TEST(attempt_is_appended_otherwise)
{
	ck_assert_str_eq(expand("trace", 0, 5, "p", 3), "trace.3");
	ck_assert_str_eq(expand("trace.hbtx", 0, 5, "p", 1), "trace.hbtx.1");
	ck_assert_str_eq(expand("trace.HBT", 0, 5, "p", 1), "trace.HBT.1");
	ck_assert_str_eq(expand("trace", 0, 5, "p", 4294967295u), "trace.4294967295");
	/* attempt 0 adds nothing */
	ck_assert_str_eq(expand("trace.hbt", 0, 5, "p", 0), "trace.hbt");
}
END_TEST

START_TEST(overflow_returns_minus_one)
{
	char out[64];
	const char *want = "t-srv-99.hbt"; /* 12 characters */
	ck_assert_int_eq(hb_output_path(out, 13, "t-%e-%p.hbt", 0, 99, "srv", 0), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(hb_output_path(out, 12, "t-%e-%p.hbt", 0, 99, "srv", 0), -1);
	ck_assert_int_eq(hb_output_path(out, 1, "t", 0, 99, "srv", 0), -1);
	ck_assert_int_eq(hb_output_path(out, 0, "t", 0, 99, "srv", 0), -1);
	/* the default name: heapblame.srv.99.hbt is 20 characters */
	ck_assert_int_eq(hb_output_path(out, 21, NULL, 0, 99, "srv", 0), 0);
	ck_assert_str_eq(out, "heapblame.srv.99.hbt");
	ck_assert_int_eq(hb_output_path(out, 20, NULL, 0, 99, "srv", 0), -1);
	/* the attempt suffix must fit too: trace.2.hbt is 11 */
	ck_assert_int_eq(hb_output_path(out, 12, "trace.hbt", 0, 5, "p", 2), 0);
	ck_assert_str_eq(out, "trace.2.hbt");
	ck_assert_int_eq(hb_output_path(out, 11, "trace.hbt", 0, 5, "p", 2), -1);
	ck_assert_int_eq(hb_output_path(out, 10, "trace", 0, 5, "p", 1234), -1);
	ck_assert_int_eq(hb_output_path(out, 11, "trace", 0, 5, "p", 1234), 0);
	ck_assert_str_eq(out, "trace.1234");
	/* a long program name */
	char prog[200];
	memset(prog, 'e', sizeof(prog) - 1);
	prog[sizeof(prog) - 1] = '\0';
	ck_assert_int_eq(hb_output_path(out, sizeof(out), "%e", 0, 1, prog, 0), -1);
}
END_TEST

START_TEST(overflow_never_writes_past_cap)
{
	char out[32];
	memset(out, 'Z', sizeof(out));
	ck_assert_int_eq(hb_output_path(out, 8, "abcdefghijklmnop-%p-%e", 0, 123, "name", 7), -1);
	for (size_t i = 8; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], 'Z');
	ck_assert_ptr_nonnull(memchr(out, '\0', 8)); /* still a string */
}
END_TEST

static Suite *output_path_suite(void)
{
	Suite *s = suite_create("output_path");
	TCase *tc = tcase_create("output_path");
	tcase_add_test(tc, default_name_without_pattern);
	tcase_add_test(tc, directory_gets_default_name);
	tcase_add_test(tc, pattern_expands_pid_name_percent);
	tcase_add_test(tc, unknown_percent_is_kept);
	tcase_add_test(tc, attempt_goes_before_hbt);
	tcase_add_test(tc, attempt_is_appended_otherwise);
	tcase_add_test(tc, overflow_returns_minus_one);
	tcase_add_test(tc, overflow_never_writes_past_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(output_path_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
