/*
 * test_leak_kind.c - analyzer/replay/leak_kind.h: the --kinds list.
 *
 * Checked: a comma list of kinds gives their mask, with blanks around the
 * words allowed (a shell user writes --kinds 'definite, indirect'); an
 * unknown word, "unclassified" (it always counts: not a choice), an empty
 * word and an empty list are refused, naming the word without its
 * blanks; the mask formats back as the list.
 */
#include <check.h>
#include <stdlib.h>

#include "leak_kind.h"

START_TEST(a_comma_list_gives_its_mask)
{
	unsigned m = 0;
	char bad[32];
	ck_assert_int_eq(leak_kinds_parse("definite,indirect", &m, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(m, LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT));
	ck_assert_int_eq(leak_kinds_parse("reachable", &m, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(m, LEAK_MASK(LEAK_REACHABLE));
}
END_TEST

START_TEST(blanks_around_words_are_allowed)
{
	unsigned m = 0;
	char bad[32];
	ck_assert_int_eq(leak_kinds_parse("definite, indirect", &m, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(m, LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT));
	ck_assert_int_eq(leak_kinds_parse(" definite ,\treachable ", &m, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(m, LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_REACHABLE));
}
END_TEST

START_TEST(other_words_are_refused_by_name)
{
	unsigned m = 7;
	char bad[32];
	ck_assert_int_eq(leak_kinds_parse("definite, lost", &m, bad, sizeof(bad)), -1);
	ck_assert_str_eq(bad, "lost");
	ck_assert_int_eq(leak_kinds_parse("unclassified", &m, bad, sizeof(bad)), -1);
	ck_assert_str_eq(bad, "unclassified");
	ck_assert_int_eq(leak_kinds_parse("definite,,indirect", &m, bad, sizeof(bad)), -1);
	ck_assert_str_eq(bad, "");
	ck_assert_int_eq(leak_kinds_parse("", &m, bad, sizeof(bad)), -1);
	ck_assert_int_eq(leak_kinds_parse(" ", &m, bad, sizeof(bad)), -1);
	ck_assert_uint_eq(m, 7); /* untouched on error */
}
END_TEST

START_TEST(a_mask_formats_as_its_list)
{
	char out[64];
	leak_kinds_format(LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT) | LEAK_MASK(LEAK_UNCLASSIFIED), out,
			  sizeof(out));
	ck_assert_str_eq(out, "definite,indirect,unclassified");
}
END_TEST

static Suite *leak_kind_suite(void)
{
	Suite *s = suite_create("leak_kind");
	TCase *t = tcase_create("kinds");
	tcase_add_test(t, a_comma_list_gives_its_mask);
	tcase_add_test(t, blanks_around_words_are_allowed);
	tcase_add_test(t, other_words_are_refused_by_name);
	tcase_add_test(t, a_mask_formats_as_its_list);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(leak_kind_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
