/*
 * test_json_in.c - analyzer/gate/json_in.h: jansson as heapblame uses it to
 * read baselines, and json_out's bytes read back.
 *
 * Checked: counts exact up to INT64_MAX (9007199254740993, which a double
 * would round, included) and not taken when negative, fractional, or a
 * string; a count of 2^63 or more refused with its place, not rounded;
 * what json_out writes (bytes that are not printable ASCII, not UTF-8,
 * NULs, quotes, control characters) reads back to the very same bytes,
 * and a code point above U+00FF stays UTF-8; malformed input refused with
 * line and column (trailing commas, raw control characters, NaN, single
 * quotes, "1.", duplicate keys, text after the value, a lone surrogate,
 * nesting beyond jansson's limit).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_in.h"
#include "json_out.h"

static json_t *parse_ok(const char *text)
{
	char err[256];
	json_t *v = json_in_parse(text, strlen(text), err, sizeof(err));
	ck_assert_msg(v != NULL, "%s: %s", text, err);
	return v;
}

static void parse_bad(const char *text, const char *where)
{
	char err[256] = "";
	json_t *v = json_in_parse(text, strlen(text), err, sizeof(err));
	ck_assert_msg(v == NULL, "accepted: %s", text);
	ck_assert_msg(strstr(err, where) != NULL, "%s: '%s' does not say '%s'", text, err, where);
}

START_TEST(keeps_counts_exact)
{
	json_t *v = parse_ok("[9223372036854775807, 9007199254740993, -1, 1.0, 0, \"7\"]");
	uint64_t u;
	ck_assert_int_eq(json_in_u64(json_array_get(v, 0), &u), 0);
	ck_assert_uint_eq(u, 9223372036854775807ull);
	ck_assert_int_eq(json_in_u64(json_array_get(v, 1), &u), 0);
	ck_assert_uint_eq(u, 9007199254740993ull); /* a double would round it */
	ck_assert_int_eq(json_in_u64(json_array_get(v, 2), &u), -1);
	ck_assert_int_eq(json_in_u64(json_array_get(v, 3), &u), -1);
	ck_assert_int_eq(json_in_u64(json_array_get(v, 4), &u), 0);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(json_in_u64(json_array_get(v, 5), &u), -1);
	ck_assert_int_eq(json_in_u64(NULL, &u), -1);
	json_decref(v);
	parse_bad("[18446744073709551615]", "line 1, column 21: too big integer");
}
END_TEST

START_TEST(reads_back_what_json_out_writes)
{
	static const char s[] = "/opt/\xc3\xa9t\xe9/lib\x01\"x\\y\x7f\n\t\xff\xc2.so\0after";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_out_strn(f, s, sizeof(s) - 1);
	fclose(f);
	json_t *v = parse_ok(buf);
	size_t n = 0;
	char *back = json_in_string(v, &n);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(n, sizeof(s) - 1);
	ck_assert(memcmp(back, s, n) == 0);
	ck_assert_int_eq(back[n], '\0');
	free(back);
	json_decref(v);
	free(buf);
	/* above U+00FF: UTF-8, as jansson decodes it */
	v = parse_ok("\"\\u20ac \\ud83d\\ude00 \\u0041\"");
	back = json_in_string(v, NULL);
	ck_assert_str_eq(back, "\xe2\x82\xac \xf0\x9f\x98\x80 A");
	free(back);
	json_decref(v);
	v = parse_ok("17");
	ck_assert_ptr_null(json_in_string(v, NULL));
	json_decref(v);
}
END_TEST

START_TEST(refuses_malformed_text_with_its_place)
{
	parse_bad("[1, 2,]", "line 1, column 7");
	parse_bad("{\"a\": 1,}", "line 1, column 9");
	parse_bad("{\"a\" 1}", "':' expected");
	parse_bad("\"abc", "premature end of input");
	parse_bad("\"a\nb\"", "unexpected newline");
	parse_bad("\"\\x\"", "invalid escape");
	parse_bad("\"\\ud800\"", "invalid Unicode");
	parse_bad("012", "invalid token");
	parse_bad("1.", "invalid token");
	parse_bad("[NaN]", "invalid token");
	parse_bad("{'a': 1}", "string or '}' expected");
	parse_bad("{\"a\": 1, \"a\": 2}", "duplicate object key");
	parse_bad("{} {}", "end of file expected");
	parse_bad("", "line 1");
	parse_bad("[\n\n   ]]", "line 3, column 5");
	enum { DEEP = 4096 };
	static char deep[DEEP + 1];
	memset(deep, '[', DEEP);
	parse_bad(deep, "maximum parsing depth");
}
END_TEST

static Suite *json_in_suite(void)
{
	Suite *s = suite_create("json_in");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, keeps_counts_exact);
	tcase_add_test(tc, reads_back_what_json_out_writes);
	tcase_add_test(tc, refuses_malformed_text_with_its_place);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_in_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
