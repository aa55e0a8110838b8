/*
 * test_gate.c - the growth step of the gate (gate.h) and what its four
 * renderers say of it, on a report built by hand.
 *
 * The report has a timeline of four modules: libgrow.so growing at
 * 3.52 MiB/h (in the report, with two sites: a large one that holds, and a
 * smaller one that grows, entered through grow_tick() from watchprog's
 * main()), libburst.so growing at 1 MiB/h but holding nothing at the end
 * (no module in the report), libslow.so growing at 50 KiB/h and
 * libcache.so on a plateau. Checked: only modules classed growing faster
 * than --max-growth count, fastest first, and fail the verdict; each is
 * tied to its module in the report by path, to its fastest growing site
 * and to that site's entry point; text names each with its rate, since
 * and limit, and with --kinds none says once that leak counts are off and
 * claims no leak or budget; JSON's growth object (null limit without
 * --max-growth); JUnit's growth test cases (a passing "growth" one when
 * nothing is over) and --kinds none's skipped leak case; SARIF's growth
 * results, placed at the growing site's line, or at the module when it is
 * not in the report; the verdict of --kinds none alone.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "json_in.h"

#define MIB_H (1024.0 * 1024.0)
#define KIB_H 1024.0

static struct blame_frame frames[2][2];
static struct blame_site sites[2];
static struct blame_entry entries[2];
static struct blame_module module;
static struct blame_timeline_module lines[4];
static double t_s[2] = {0, 10};
static struct blame_report report;

static const struct blame_report *make_report(void)
{
	memset(&report, 0, sizeof(report));
	memset(&module, 0, sizeof(module));
	memset(sites, 0, sizeof(sites));
	/* sites[0]: the largest, flat; sites[1]: smaller, growing */
	for (int i = 0; i < 2; i++) {
		frames[i][0] = (struct blame_frame){"libgrow.so", "/lib/libgrow.so", i ? "grow_more" : "fill_cache",
						    "/src/grow.c", NULL, 40 + i, 0, 0x100 + (uint64_t)i};
		frames[i][1] = (struct blame_frame){"watchprog", "/src/watchprog", "main", "/src/main.c", NULL, 9, 0, 0x10};
		sites[i].frames = frames[i];
		sites[i].nframes = 2;
		sites[i].hash = (uint64_t)i + 1;
		sites[i].entry = i ? "grow_tick" : "cache_init";
		leak_tally_add(&sites[i].kinds, LEAK_DEFINITE, i ? 4096 : 65536, i ? 1 : 16);
		sites[i].bytes = i ? 4096 : 65536;
		sites[i].blocks = i ? 1 : 16;
		leak_tally_merge(&module.kinds, &sites[i].kinds);
	}
	sites[0].growth = (struct growth){GROWTH_FLAT, 0, 0};
	sites[1].growth = (struct growth){GROWTH_GROWING, 3.52 * MIB_H, 1};
	entries[0] = (struct blame_entry){"cache_init", 1, "watchprog", "main", 65536, 16, {{0}, {0}}, 0};
	entries[1] = (struct blame_entry){"grow_tick", 0, "watchprog", "main", 4096, 1, {{0}, {0}}, 0};
	module.name = "libgrow.so";
	module.path = "/lib/libgrow.so";
	module.sites = sites;
	module.nsites = module.nsites_all = 2;
	module.entries = entries;
	module.nentries = 2;
	module.bytes = 65536 + 4096;
	module.blocks = 17;
	module.growth = sites[1].growth;
	lines[0] = (struct blame_timeline_module){.name = "libgrow.so", .path = "/lib/libgrow.so", .peak = 70000, .growth = module.growth};
	lines[1] = (struct blame_timeline_module){.name = "libburst.so", .path = "/lib/libburst.so", .peak = 9000, .growth = (struct growth){GROWTH_GROWING, 1 * MIB_H, 2}};
	lines[2] = (struct blame_timeline_module){.name = "libslow.so", .path = "/lib/libslow.so", .peak = 500, .growth = (struct growth){GROWTH_GROWING, 50 * KIB_H, 0}};
	lines[3] = (struct blame_timeline_module){.name = "libcache.so", .path = "/lib/libcache.so", .peak = 800000, .growth = (struct growth){GROWTH_PLATEAU, 5 * MIB_H, 0}};
	report.mods = &module;
	report.nmods = 1;
	report.kinds = module.kinds;
	report.bytes = module.bytes;
	report.blocks = module.blocks;
	report.ntraces = 1;
	report.timeline = (struct blame_timeline){2, t_s, lines, 4};
	return &report;
}

static struct gate_result build(int kinds_none, double max_growth)
{
	struct gate_result g;
	struct gate_options o = {.kinds = LEAK_DEFAULT_KINDS,
				 .kinds_none = kinds_none,
				 .have_max_growth = max_growth > 0,
				 .max_growth = max_growth,
				 .max_bytes = 0,
				 .max_blocks = 0};
	ck_assert_int_eq(gate_build(&g, make_report(), &o), 0);
	return g;
}

typedef int (*renderer)(FILE *, const struct gate_result *, const struct gate_render *);

/* What a renderer writes, NUL-terminated; free it. */
static char *render(renderer fn, const struct gate_result *g)
{
	static const char *const traces[] = {"t/heapblame.watchprog.1.hbt"};
	struct gate_render o = {.source_root = "/src", .traces = traces, .ntraces = 1};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fn(f, g, &o), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

START_TEST(only_growing_faster_than_the_limit_counts)
{
	struct gate_result g = build(1, 100 * KIB_H);
	ck_assert_uint_eq(g.ngrowing, 2);
	ck_assert_str_eq(g.growing[0].mod->name, "libgrow.so");
	ck_assert_str_eq(g.growing[1].mod->name, "libburst.so");
	ck_assert_int_eq(g.fail, 1);
	gate_free(&g);
	g = build(1, 2 * MIB_H);
	ck_assert_uint_eq(g.ngrowing, 1);
	gate_free(&g);
	g = build(1, 4 * MIB_H); /* libcache.so's 5 MiB/h is a plateau's: never growth */
	ck_assert_uint_eq(g.ngrowing, 0);
	ck_assert_int_eq(g.fail, 0);
	gate_free(&g);
}
END_TEST

START_TEST(growth_is_tied_to_its_site_and_entry)
{
	struct gate_result g = build(1, 100 * KIB_H);
	const struct gate_growth *a = &g.growing[0], *b = &g.growing[1];
	ck_assert_ptr_eq(a->rmod, &module);
	ck_assert_ptr_eq(a->site, &sites[1]); /* the growing one, not the largest */
	ck_assert_ptr_eq(a->entry, &entries[1]);
	ck_assert_ptr_null(b->rmod);
	ck_assert_ptr_null(b->site);
	char t[256];
	gate_growth_text(&g, a, t, sizeof(t));
	ck_assert_str_eq(t, "growing 3.52 MiB/h since 0:00:01 (limit 100 KiB/h)");
	gate_growth_entered(a, t, sizeof(t));
	ck_assert_str_eq(t, "entered through grow_tick() from watchprog's main()");
	gate_growth_entered(b, t, sizeof(t));
	ck_assert_str_eq(t, "");
	gate_free(&g);
}
END_TEST

START_TEST(text_names_growth_and_no_leak_with_kinds_none)
{
	struct gate_result g = build(1, 100 * KIB_H);
	char *s = render(gate_text, &g);
	ck_assert_msg(strstr(s, "\nlibgrow.so  growing 3.52 MiB/h since 0:00:01 (limit 100 KiB/h)\n"), "%s", s);
	ck_assert_msg(strstr(s, "\n      entered through grow_tick() from watchprog's main()\n"), "%s", s);
	ck_assert_msg(strstr(s, "\nlibburst.so  growing 1.00 MiB/h since 0:00:02 (limit 100 KiB/h)\n"), "%s", s);
	ck_assert_msg(!strstr(s, "libslow.so"), "%s", s);
	ck_assert_uint_eq(count(s, "leak counts off (--kinds none)"), 1);
	ck_assert_msg(!strstr(s, "leaked") && !strstr(s, "budget") && !strstr(s, "definite"), "%s", s);
	ck_assert_msg(strstr(s, "heapblame: 2 modules growing faster than 100 KiB/h: FAIL\n"), "%s", s);
	free(s);
	gate_free(&g);
}
END_TEST

START_TEST(kinds_none_alone_checks_nothing)
{
	struct gate_result g = build(1, 0);
	char v[256];
	gate_verdict(&g, v, sizeof(v));
	ck_assert_str_eq(v, "heapblame: nothing checked (no leak kinds counted, no --max-growth): PASS");
	ck_assert_int_eq(g.fail, 0);
	gate_free(&g);
}
END_TEST

static json_t *parse(const char *s)
{
	char err[256];
	json_t *v = json_in_parse(s, strlen(s), err, sizeof(err));
	ck_assert_msg(v != NULL, "%s: %s", err, s);
	return v;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

START_TEST(json_lists_growth_over_the_limit)
{
	struct gate_result g = build(1, 100 * KIB_H);
	char *s = render(gate_json, &g);
	json_t *v = parse(s);
	const json_t *gr = json_object_get(v, "growth");
	uint64_t u;
	ck_assert_int_eq(json_in_u64(json_object_get(gr, "max_bytes_per_hour"), &u), 0);
	ck_assert_uint_eq(u, 102400);
	const json_t *m = json_object_get(gr, "modules");
	ck_assert(json_is_array(m));
	ck_assert_uint_eq(json_array_size(m), 2);
	const json_t *m0 = json_array_get(m, 0);
	ck_assert_str_eq(str_of(m0, "name"), "libgrow.so");
	ck_assert_str_eq(str_of(m0, "path"), "/lib/libgrow.so");
	ck_assert_str_eq(str_of(m0, "class"), "growing");
	ck_assert_str_eq(str_of(m0, "entry"), "grow_tick");
	ck_assert_int_eq(json_in_u64(json_object_get(m0, "bytes_per_hour"), &u), 0);
	ck_assert_uint_eq(u, (uint64_t)(3.52 * MIB_H + 0.5));
	ck_assert(json_is_null(json_object_get(json_array_get(m, 1), "entry")));
	ck_assert_uint_eq(json_array_size(json_object_get(v, "kinds")), 0);
	json_decref(v);
	free(s);
	gate_free(&g);

	g = build(0, 0);
	s = render(gate_json, &g);
	v = parse(s);
	gr = json_object_get(v, "growth");
	ck_assert(json_is_null(json_object_get(gr, "max_bytes_per_hour")));
	ck_assert_uint_eq(json_array_size(json_object_get(gr, "modules")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "kinds")), 3);
	json_decref(v);
	free(s);
	gate_free(&g);
}
END_TEST

START_TEST(junit_fails_a_case_per_growing_module)
{
	struct gate_result g = build(1, 100 * KIB_H);
	char *s = render(report_junit, &g);
	ck_assert_msg(strstr(s, "<testsuite name=\"heapblame check\" tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"1\""),
		      "%s", s);
	ck_assert_msg(strstr(s, "<testcase name=\"libgrow.so\" classname=\"heapblame.growth\" time=\"0\">\n"
				"      <failure type=\"growth\" message=\"libgrow.so: growing 3.52 MiB/h since 0:00:01 "
				"(limit 100 KiB/h), entered through grow_tick() from watchprog&apos;s main()\">"),
		      "%s", s);
	ck_assert_msg(strstr(s, "<testcase name=\"libburst.so\" classname=\"heapblame.growth\""), "%s", s);
	ck_assert_msg(strstr(s, "<testcase name=\"leaks\" classname=\"heapblame.leaks\" time=\"0\">\n"
				"      <skipped message=\"leak counts off (--kinds none)\"/>"),
		      "%s", s);
	ck_assert_msg(!strstr(s, "name=\"budget\""), "%s", s);
	free(s);
	gate_free(&g);

	g = build(0, 100 * MIB_H);
	s = render(report_junit, &g);
	ck_assert_msg(strstr(s, "<testcase name=\"growth\" classname=\"heapblame.growth\" time=\"0\">\n"
				"      <system-out>no module growing faster than 100 MiB/h</system-out>"),
		      "%s", s);
	ck_assert_msg(strstr(s, "<testcase name=\"libgrow.so\" classname=\"heapblame.leaks\""), "%s", s);
	free(s);
	gate_free(&g);
}
END_TEST

START_TEST(sarif_places_growth_at_its_site_or_module)
{
	struct gate_result g = build(1, 100 * KIB_H);
	char *s = render(report_sarif, &g);
	json_t *v = parse(s);
	const json_t *run = json_array_get(json_object_get(v, "runs"), 0);
	const json_t *rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
	const json_t *res = json_object_get(run, "results");
	ck_assert_uint_eq(json_array_size(res), 2);
	for (size_t i = 0; i < json_array_size(res); i++) {
		const json_t *r = json_array_get(res, i);
		uint64_t idx;
		ck_assert_str_eq(str_of(r, "ruleId"), "heapblame/growth");
		ck_assert_int_eq(json_in_u64(json_object_get(r, "ruleIndex"), &idx), 0);
		ck_assert_str_eq(str_of(json_array_get(rules, idx), "id"), "heapblame/growth");
		ck_assert_str_eq(str_of(r, "level"), "error");
	}
	const char *m0 = str_of(json_object_get(json_array_get(res, 0), "message"), "text");
	ck_assert_msg(strstr(m0, "libgrow.so is growing 3.52 MiB/h since 0:00:01 (limit 100 KiB/h)"), "%s", m0);
	const json_t *l0 = json_array_get(json_object_get(json_array_get(res, 0), "locations"), 0);
	const json_t *a0 = json_object_get(json_object_get(l0, "physicalLocation"), "artifactLocation");
	ck_assert_str_eq(str_of(a0, "uri"), "grow.c");
	ck_assert_str_eq(str_of(a0, "uriBaseId"), "%SRCROOT%");
	uint64_t line;
	ck_assert_int_eq(json_in_u64(json_object_get(json_object_get(json_object_get(l0, "physicalLocation"), "region"), "startLine"), &line), 0);
	ck_assert_uint_eq(line, 41);
	/* libburst.so: not in the report, so at the module */
	const json_t *l1 = json_array_get(json_object_get(json_array_get(res, 1), "locations"), 0);
	const json_t *ll = json_array_get(json_object_get(l1, "logicalLocations"), 0);
	ck_assert_str_eq(str_of(ll, "kind"), "module");
	ck_assert_str_eq(str_of(ll, "name"), "libburst.so");
	const json_t *a1 = json_object_get(json_object_get(l1, "physicalLocation"), "artifactLocation");
	ck_assert_str_eq(str_of(a1, "uri"), "file:///lib/libburst.so");
	json_decref(v);
	free(s);
	gate_free(&g);
}
END_TEST

static Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("growth");
	tcase_add_test(tc, only_growing_faster_than_the_limit_counts);
	tcase_add_test(tc, growth_is_tied_to_its_site_and_entry);
	tcase_add_test(tc, text_names_growth_and_no_leak_with_kinds_none);
	tcase_add_test(tc, kinds_none_alone_checks_nothing);
	tcase_add_test(tc, json_lists_growth_over_the_limit);
	tcase_add_test(tc, junit_fails_a_case_per_growing_module);
	tcase_add_test(tc, sarif_places_growth_at_its_site_or_module);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
