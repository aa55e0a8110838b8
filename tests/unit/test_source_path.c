/*
 * test_source_path.c - analyzer/gate/source_path.h, and gate_source_frame
 * (gate.h), which picks a site's source line with it.
 *
 * Checked: a relative file is joined to its absolute compilation directory
 * and "." and ".." are resolved without touching the file system; a file
 * relative to a relative directory (glibc's "./string/strdup.c") has no
 * absolute path; a path is under a root only below it, not beside it
 * (/src/app is not under /src/ap) nor at it, with or without a trailing
 * slash. A site is located at its first frame under the source root, from
 * its allocating frame outwards (an inlined C++ library header before it
 * is passed over); without one, at the blamed module's first line; and a
 * frame whose path cannot be made absolute is never chosen.
 */
#include <check.h>
#include <stdlib.h>

#include "gate.h"
#include "source_path.h"

START_TEST(relative_files_join_their_directory)
{
	char b[256];
	ck_assert_str_eq(source_path_abs("/src/build", "../lib/a.c", b, sizeof(b)), "/src/lib/a.c");
	ck_assert_str_eq(source_path_abs("/src/build/", "./x/../a.c", b, sizeof(b)), "/src/build/a.c");
	ck_assert_str_eq(source_path_abs(NULL, "/usr/include//c++/12/bits/../new", b, sizeof(b)),
			 "/usr/include/c++/12/new");
	ck_assert_str_eq(source_path_abs("/a", "../../../b.c", b, sizeof(b)), "/b.c");
	ck_assert_str_eq(source_path_abs("/ignored", "/abs/c.c", b, sizeof(b)), "/abs/c.c");
}
END_TEST

START_TEST(a_relative_directory_gives_no_path)
{
	char b[256];
	ck_assert_ptr_null(source_path_abs("./string", "strdup.c", b, sizeof(b)));
	ck_assert_ptr_null(source_path_abs(NULL, "./string/strdup.c", b, sizeof(b)));
	ck_assert_ptr_null(source_path_abs("/a", "b.c", b, 4)); /* does not fit */
}
END_TEST

START_TEST(under_means_below_the_root)
{
	ck_assert_str_eq(source_path_under("/src/app/a.c", "/src/app"), "a.c");
	ck_assert_str_eq(source_path_under("/src/app/x/a.c", "/src/app/"), "x/a.c");
	ck_assert_ptr_null(source_path_under("/src/apple/a.c", "/src/app"));
	ck_assert_ptr_null(source_path_under("/src/app", "/src/app"));
	ck_assert_ptr_null(source_path_under("/src/app/a.c", NULL));
	ck_assert_str_eq(source_path_under("/a.c", "/"), "a.c");
}
END_TEST

/* A C++ site: operator new in libstdc++, the library's allocator inlined
 * into the program from /usr/include, the program's own function, main. */
static struct blame_frame cxx[] = {
	{"libstdc++.so.6", NULL, "operator new(unsigned long)", "./libsupc++/new_op.cc", NULL, 50, 0, 1},
	{"prog", NULL, "std::__new_allocator<int>::allocate", "/usr/include/c++/12/bits/new_allocator.h", NULL, 137, 1, 2},
	{"prog", NULL, "Registry::put(int)", "../src/reg.cc", "/home/u/proj/build", 8, 1, 2},
	{"prog", NULL, "main", "../src/main.cc", "/home/u/proj/build", 16, 0, 2},
};

START_TEST(a_site_is_located_in_the_project_first)
{
	struct blame_module m = {.name = "prog", .path = "/home/u/proj/build/prog"};
	struct blame_site s = {.frames = cxx, .nframes = 4, .blamed = 1};
	ck_assert_ptr_eq(gate_source_frame(&m, &s, "/home/u/proj"), &cxx[2]);
	ck_assert_ptr_eq(gate_source_frame(&m, &s, "/elsewhere"), &cxx[1]);
	ck_assert_ptr_eq(gate_source_frame(&m, &s, NULL), &cxx[1]);
	/* the wrapper's frame before the blamed one is not the project's line
	 * even under the root; and it has no absolute path anyway */
	ck_assert_ptr_eq(gate_source_frame(&m, &s, "/"), &cxx[1]);
}
END_TEST

START_TEST(a_frame_without_an_absolute_path_is_never_chosen)
{
	struct blame_frame fr[] = {
		{"libc.so.6", NULL, "__strdup", "./string/strdup.c", NULL, 42, 0, 1},
		{"prog", NULL, "main", NULL, NULL, 0, 0, 2},
	};
	struct blame_module m = {.name = "prog", .path = "/p/prog"};
	struct blame_site s = {.frames = fr, .nframes = 2, .blamed = 1};
	ck_assert_ptr_null(gate_source_frame(&m, &s, "/p"));
	ck_assert_ptr_null(gate_source_frame(&m, NULL, "/p"));
}
END_TEST

static Suite *source_path_suite(void)
{
	Suite *s = suite_create("source_path");
	TCase *p = tcase_create("paths");
	tcase_add_test(p, relative_files_join_their_directory);
	tcase_add_test(p, a_relative_directory_gives_no_path);
	tcase_add_test(p, under_means_below_the_root);
	suite_add_tcase(s, p);
	TCase *g = tcase_create("sites");
	tcase_add_test(g, a_site_is_located_in_the_project_first);
	tcase_add_test(g, a_frame_without_an_absolute_path_is_never_chosen);
	suite_add_tcase(s, g);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(source_path_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
