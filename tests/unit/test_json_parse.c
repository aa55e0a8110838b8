/*
 * test_json_parse.c - analyzer/json_parse.h, the reader of baselines.
 *
 * Checked: every kind of value, nested; integers kept exact up to
 * UINT64_MAX (and not claimed exact when negative, fractional or too
 * large); escapes, \u00XX decoding to that byte as json_out writes them,
 * higher escapes and surrogate pairs to UTF-8; what json_out writes
 * (bytes that are not printable ASCII) reads back to the same bytes; and
 * malformed input (trailing commas, bad escapes, unclosed strings, control
 * characters, leading zeros, text after the value, nesting beyond the
 * limit) refused with the line and column.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "json_parse.h"

static struct json_value *parse_ok(const char *text)
{
	struct json_value *v;
	char err[256];
	ck_assert_msg(json_parse(text, strlen(text), &v, err, sizeof(err)) == 0, "%s: %s", text, err);
	return v;
}

static void parse_bad(const char *text, const char *where)
{
	struct json_value *v = NULL;
	char err[256];
	ck_assert_msg(json_parse(text, strlen(text), &v, err, sizeof(err)) == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, where) != NULL, "%s: '%s' does not say '%s'", text, err, where);
}

START_TEST(reads_every_kind_of_value)
{
	struct json_value *v = parse_ok(" {\"a\": [1, -2.5e1, true, false, null, \"s\"], \"b\": {}, \"c\": []}\n");
	ck_assert_int_eq(v->type, JSON_OBJECT);
	ck_assert_uint_eq(v->n, 3);
	const struct json_value *a = json_get(v, "a");
	ck_assert_int_eq(a->type, JSON_ARRAY);
	ck_assert_uint_eq(a->n, 6);
	uint64_t u;
	ck_assert_int_eq(json_u64(a->items[0], &u), 0);
	ck_assert_uint_eq(u, 1);
	ck_assert(a->items[1]->num == -25.0);
	ck_assert_int_eq(json_u64(a->items[1], &u), -1);
	ck_assert_int_eq(a->items[2]->type, JSON_TRUE);
	ck_assert_int_eq(a->items[3]->type, JSON_FALSE);
	ck_assert_int_eq(a->items[4]->type, JSON_NULL);
	ck_assert_str_eq(json_string(a->items[5]), "s");
	ck_assert_int_eq(json_get(v, "b")->type, JSON_OBJECT);
	ck_assert_uint_eq(json_get(v, "c")->n, 0);
	ck_assert_ptr_null(json_get(v, "d"));
	ck_assert_ptr_null(json_get(a, "a"));
	ck_assert_ptr_null(json_string(a->items[0]));
	json_free(v);
}
END_TEST

START_TEST(keeps_integers_exact)
{
	struct json_value *v = parse_ok("[18446744073709551615, 9007199254740993, 18446744073709551616, -1, 1.0, 0]");
	uint64_t u;
	ck_assert_int_eq(json_u64(v->items[0], &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(json_u64(v->items[1], &u), 0);
	ck_assert_uint_eq(u, 9007199254740993ull); /* a double would round it */
	ck_assert_int_eq(json_u64(v->items[2], &u), -1);
	ck_assert_int_eq(json_u64(v->items[3], &u), -1);
	ck_assert_int_eq(json_u64(v->items[4], &u), -1);
	ck_assert_int_eq(json_u64(v->items[5], &u), 0);
	ck_assert_uint_eq(u, 0);
	json_free(v);
}
END_TEST

START_TEST(decodes_escapes)
{
	struct json_value *v = parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0041 \\u00e9 \\u20ac \\ud83d\\ude00\"");
	ck_assert_str_eq(v->str, "q\" b\\ s/ \b\f\n\r\t A \xe9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_free(v);
	v = parse_ok("\"a\\u0000b\"");
	ck_assert_uint_eq(v->len, 3);
	ck_assert(memcmp(v->str, "a\0b", 3) == 0);
	json_free(v);
}
END_TEST

START_TEST(reads_back_what_json_out_writes)
{
	const char *s = "/opt/\xc3\xa9t\xe9/lib\x01\"x\\y\x7f.so";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_out_str(f, s);
	fclose(f);
	struct json_value *v = parse_ok(buf);
	ck_assert_uint_eq(v->len, strlen(s));
	ck_assert(memcmp(v->str, s, v->len) == 0);
	json_free(v);
	free(buf);
}
END_TEST

START_TEST(refuses_malformed_text_with_its_place)
{
	parse_bad("[1, 2,]", "line 1, column 7");
	parse_bad("{\"a\": 1,}", "object member");
	parse_bad("{\"a\" 1}", "':'");
	parse_bad("\"abc", "not closed");
	parse_bad("\"a\nb\"", "control character");
	parse_bad("\"\\x\"", "unknown escape");
	parse_bad("\"\\u12\"", "four hex digits");
	parse_bad("\"\\ud800\"", "surrogate");
	parse_bad("\"\\udc00\"", "surrogate");
	parse_bad("012", "text after");
	parse_bad("-", "digit");
	parse_bad("1.", "decimal point");
	parse_bad("1e", "exponent");
	parse_bad("tru", "not a JSON value");
	parse_bad("{} {}", "text after");
	parse_bad("", "missing");
	parse_bad("[\n\n   ]]", "line 3, column 5");
	char deep[2 * JSON_MAX_DEPTH + 8];
	size_t n = 0;
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	parse_bad(deep, "nested too deeply");
}
END_TEST

static Suite *json_parse_suite(void)
{
	Suite *s = suite_create("json_parse");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, reads_every_kind_of_value);
	tcase_add_test(tc, keeps_integers_exact);
	tcase_add_test(tc, decodes_escapes);
	tcase_add_test(tc, reads_back_what_json_out_writes);
	tcase_add_test(tc, refuses_malformed_text_with_its_place);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_parse_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
