/*
 * test_suppressions.c - analyzer/gate/suppressions.h: the suppression file and
 * what each rule type matches.
 *
 * Parsing: the four types, blanks and comments skipped, surrounding blanks
 * trimmed, a rule's file and line kept; an unknown type, a line without
 * ':', an empty pattern each refused with a reason, and supp_load names
 * FILE:LINE of the first bad line (and FILE alone for a missing file).
 * Matching, on sites built by hand: module: globs on the base name and the
 * path and takes "libfoo" for libfoo.so.1 (as --wrapper does); entry:
 * matches the entry point only, a C++ name with or without its parameter
 * list; site: matches any frame's function but not a module name;
 * leak: keeps LeakSanitizer's meaning: a substring of any frame's
 * function, file, module or module path, '*' wildcards, '^' and '$'
 * anchors, '?' literal; so leak:libc.so matches every stack through libc.
 * supp_find returns the first rule that matches, and the blocks of no
 * known stack (site NULL) only match module: rules.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suppressions.h"

static int parse(struct supp_list *l, const char *line, char *why)
{
	return supp_parse_line(l, "s.supp", 7, line, why, 256);
}

START_TEST(parses_the_four_types_and_skips_comments)
{
	struct supp_list l = {0};
	char why[256];
	ck_assert_int_eq(parse(&l, "# a comment", why), 0);
	ck_assert_int_eq(parse(&l, "   ", why), 0);
	ck_assert_int_eq(parse(&l, "", why), 0);
	ck_assert_int_eq(parse(&l, "\t# indented comment\n", why), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(parse(&l, "module:libfoo*\n", why), 0);
	ck_assert_int_eq(parse(&l, "  entry: Cache::put  ", why), 0);
	ck_assert_int_eq(parse(&l, "site:parse_*\r\n", why), 0);
	ck_assert_int_eq(parse(&l, "leak:^libcrypto.so$", why), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_int_eq(l.v[0].type, SUPP_MODULE);
	ck_assert_str_eq(l.v[0].pattern, "libfoo*");
	ck_assert_str_eq(l.v[0].text, "module:libfoo*");
	ck_assert_int_eq(l.v[1].type, SUPP_ENTRY);
	ck_assert_str_eq(l.v[1].pattern, "Cache::put");
	ck_assert_str_eq(l.v[1].text, "entry: Cache::put");
	ck_assert_int_eq(l.v[2].type, SUPP_SITE);
	ck_assert_str_eq(l.v[2].pattern, "parse_*");
	ck_assert_int_eq(l.v[3].type, SUPP_LEAK);
	ck_assert_str_eq(l.v[3].pattern, "^libcrypto.so$");
	ck_assert_str_eq(l.v[3].file, "s.supp");
	ck_assert_uint_eq(l.v[3].line, 7);
	supp_free(&l);
}
END_TEST

START_TEST(refuses_bad_lines_with_a_reason)
{
	struct supp_list l = {0};
	char why[256];
	ck_assert_int_eq(parse(&l, "libfoo.so", why), -1);
	ck_assert_ptr_nonnull(strstr(why, "not TYPE:PATTERN"));
	ck_assert_int_eq(parse(&l, "interceptor_via_fun:foo", why), -1);
	ck_assert_ptr_nonnull(strstr(why, "unknown suppression type 'interceptor_via_fun'"));
	ck_assert_int_eq(parse(&l, "Module:libfoo", why), -1); /* types are lower case, as LeakSanitizer's */
	ck_assert_int_eq(parse(&l, "module:", why), -1);
	ck_assert_ptr_nonnull(strstr(why, "empty pattern"));
	ck_assert_int_eq(parse(&l, "leak:   ", why), -1);
	ck_assert_int_eq(parse(&l, "leak:^", why), -1);
	ck_assert_uint_eq(l.n, 0);
	supp_free(&l);
}
END_TEST

static char scratch[512];

static const char *write_file(const char *text)
{
	const char *base = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/hbunit-supp-XXXXXX", base && *base ? base : "/tmp");
	int fd = mkstemp(scratch);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return scratch;
}

START_TEST(load_names_the_file_and_line_of_a_bad_rule)
{
	struct supp_list l = {0};
	char err[1024], want[700];
	const char *path = write_file("# known leaks\nmodule:libfoo\n\nentry:init_tables\nlibbar.so\nsite:x\n");
	ck_assert_int_eq(supp_load(&l, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:5: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "error '%s' does not start with '%s'", err, want);
	ck_assert_uint_eq(l.n, 2); /* the rules before the bad line */
	supp_free(&l);
	unlink(path);

	path = write_file("module:a\n# x\nleak:b\n");
	ck_assert_int_eq(supp_load(&l, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[1].file, path);
	ck_assert_uint_eq(l.v[1].line, 3);
	supp_free(&l);
	unlink(path);

	ck_assert_int_eq(supp_load(&l, "/nonexistent/heapblame.supp", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/heapblame.supp: No such file or directory");
	supp_free(&l);
}
END_TEST

/* ---- matching ----------------------------------------------------------- */

/* A site allocated by libfoo.so.1's cache_put, entered through Cache::put,
 * called from prog's main, through libc's start code. */
static struct blame_frame frames[] = {
	{"libfoo.so.1", "/opt/lib/libfoo.so.1", "cache_put", "../src/cache.c", "/build", 42, 1, 0x1234},
	{"libfoo.so.1", "/opt/lib/libfoo.so.1", "Cache::put(std::string const&)", "../src/cache.cc", "/build", 90, 0, 0x1234},
	{"prog", "/usr/bin/prog", "main", "/src/main.c", NULL, 12, 0, 0x500},
	{"libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "__libc_start_main", NULL, NULL, 0, 0, 0x2000},
	{"prog", "/usr/bin/prog", NULL, NULL, NULL, 0, 0, 0x400},
};
static struct blame_site site = {.bytes = 100, .blocks = 2, .entry = "Cache::put(std::string const&)",
				 .frames = frames, .nframes = 5};
static struct blame_module mod = {.name = "libfoo.so.1", .path = "/opt/lib/libfoo.so.1"};

static int rule(const char *line)
{
	struct supp_list l = {0};
	char why[256];
	ck_assert_int_eq(supp_parse_line(&l, "t", 1, line, why, sizeof(why)), 0);
	ck_assert_uint_eq(l.n, 1);
	int r = supp_matches(&l.v[0], &mod, &site);
	supp_free(&l);
	return r;
}

static char warned[4][400];
static int nwarned;

static void warn_into(void *ctx, const char *msg)
{
	(void)ctx;
	if (nwarned < 4)
		snprintf(warned[nwarned], sizeof(warned[0]), "%s", msg);
	nwarned++;
}

START_TEST(program_text_adds_its_leak_rules_and_skips_the_rest)
{
	/* a program's __lsan_default_suppressions(): LeakSanitizer reads leak:
	 * rules only; anything else is warned about (with its line) and
	 * skipped, never an error the user of check cannot fix */
	struct supp_list l = {0};
	nwarned = 0;
	const char *text = "# ours\nleak:AttachFunc\n\nmodule:libfoo\n  leak:^Other$\nleak:\nbogus";
	ck_assert_int_eq(supp_add_program_text(&l, "prog:__lsan_default_suppressions()", text, warn_into, NULL), 2);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].text, "leak:AttachFunc");
	ck_assert_uint_eq(l.v[0].line, 2);
	ck_assert_str_eq(l.v[0].file, "prog:__lsan_default_suppressions()");
	ck_assert_int_eq(l.v[0].from_program, 1);
	ck_assert_str_eq(l.v[1].pattern, "^Other$");
	ck_assert_uint_eq(l.v[1].line, 5);
	ck_assert_int_eq(nwarned, 3); /* module: (line 4), an empty pattern (6), no colon (7) */
	ck_assert_ptr_nonnull(strstr(warned[0], "prog:__lsan_default_suppressions():4: 'module:libfoo'"));
	ck_assert_ptr_nonnull(strstr(warned[0], "not a leak: rule"));
	ck_assert_ptr_nonnull(strstr(warned[1], ":6: "));
	ck_assert_ptr_nonnull(strstr(warned[2], ":7: 'bogus'"));
	supp_free(&l);
}
END_TEST

START_TEST(module_rules_glob_the_name_or_path)
{
	ck_assert(rule("module:libfoo.so.1"));
	ck_assert(rule("module:libfoo")); /* a name and its versions, as --wrapper */
	ck_assert(rule("module:libfoo*"));
	ck_assert(rule("module:/opt/lib/*"));
	ck_assert(rule("module:libfo?.so.?"));
	ck_assert(!rule("module:libfo"));
	ck_assert(!rule("module:prog")); /* a frame's module is not the blamed module */
	ck_assert(!rule("module:libc.so*"));
}
END_TEST

START_TEST(entry_rules_match_the_entry_point_only)
{
	ck_assert(rule("entry:Cache::put"));   /* without the parameter list */
	ck_assert(rule("entry:Cache::*"));
	ck_assert(rule("entry:Cache::put(std::string const&)"));
	ck_assert(rule("entry:Cache::put(*)"));
	ck_assert(!rule("entry:Cache::put(int)"));
	ck_assert(!rule("entry:cache_put")); /* a frame, not the entry point */
	ck_assert(!rule("entry:main"));
	ck_assert(!rule("entry:Cache"));
}
END_TEST

START_TEST(site_rules_match_any_frame_function)
{
	ck_assert(rule("site:cache_put"));
	ck_assert(rule("site:main"));
	ck_assert(rule("site:__libc_start_main"));
	ck_assert(rule("site:Cache::put"));
	ck_assert(rule("site:*_put"));
	ck_assert(!rule("site:cache"));          /* whole names, not substrings */
	ck_assert(!rule("site:libfoo.so.1"));    /* functions, not modules */
	ck_assert(!rule("site:cache.c"));        /* nor files */
}
END_TEST

START_TEST(leak_rules_keep_leaksanitizer_meaning)
{
	ck_assert(rule("leak:cache"));            /* a substring of a function */
	ck_assert(rule("leak:cache.cc"));         /* of a file */
	ck_assert(rule("leak:foo.so"));           /* of a module */
	ck_assert(rule("leak:/opt/lib"));         /* of a module path */
	ck_assert(rule("leak:libc.so"));          /* any frame: hides everything through libc */
	ck_assert(rule("leak:^cache_put$"));
	ck_assert(rule("leak:^Cache::*const&)$"));
	ck_assert(rule("leak:c*e_p"));
	ck_assert(!rule("leak:^ache_put"));
	ck_assert(!rule("leak:cache_pu$"));
	ck_assert(!rule("leak:cach?_put"));       /* '?' is literal */
	ck_assert(!rule("leak:nothing_like_it"));
	ck_assert(supp_lsan_match("a*b*c", "xxaYYbZZcxx"));
	ck_assert(supp_lsan_match("^a*c$", "abc"));
	ck_assert(!supp_lsan_match("^a*c$", "abcd"));
	ck_assert(!supp_lsan_match("x", NULL));
	ck_assert(!supp_lsan_match("x", ""));
}
END_TEST

START_TEST(find_takes_the_first_match_and_unknown_stacks_only_by_module)
{
	struct supp_list l = {0};
	char why[256];
	ck_assert_int_eq(supp_parse_line(&l, "t", 1, "site:nothing", why, sizeof(why)), 0);
	ck_assert_int_eq(supp_parse_line(&l, "t", 2, "leak:cache", why, sizeof(why)), 0);
	ck_assert_int_eq(supp_parse_line(&l, "t", 3, "module:libfoo", why, sizeof(why)), 0);
	ck_assert_int_eq(supp_find(&l, &mod, &site), 1);
	ck_assert_int_eq(supp_find(&l, &mod, NULL), 2);
	struct blame_module other = {.name = "libbar.so", .path = "/lib/libbar.so"};
	ck_assert_int_eq(supp_find(&l, &other, NULL), -1);
	ck_assert_int_eq(supp_find(NULL, &mod, &site), -1);
	supp_free(&l);
}
END_TEST

static Suite *suppressions_suite(void)
{
	Suite *s = suite_create("suppressions");
	TCase *p = tcase_create("parse");
	tcase_add_test(p, parses_the_four_types_and_skips_comments);
	tcase_add_test(p, refuses_bad_lines_with_a_reason);
	tcase_add_test(p, load_names_the_file_and_line_of_a_bad_rule);
	tcase_add_test(p, program_text_adds_its_leak_rules_and_skips_the_rest);
	suite_add_tcase(s, p);
	TCase *m = tcase_create("match");
	tcase_add_test(m, module_rules_glob_the_name_or_path);
	tcase_add_test(m, entry_rules_match_the_entry_point_only);
	tcase_add_test(m, site_rules_match_any_frame_function);
	tcase_add_test(m, leak_rules_keep_leaksanitizer_meaning);
	tcase_add_test(m, find_takes_the_first_match_and_unknown_stacks_only_by_module);
	suite_add_tcase(s, m);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suppressions_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
