/*
 * test_baseline.c - analyzer/gate/baseline.h through the gate (gate.h): a
 * baseline JSON report against a current report built by hand.
 *
 * Checked: a site matches its baseline site by module name and the
 * functions of its frames, whatever their offsets, files, lines and the
 * module's path and build-id (a rebuild, another load address, another
 * build directory), and whatever frames of libc and of the dynamic loader
 * either side has (another system); a site the baseline does not know
 * counts in full; a
 * site that grew counts its growth, in bytes and blocks separately; the
 * baseline allows the kinds the check counts (plus unclassified), and a
 * report without kind fields allows all of its outstanding memory; sites
 * whose keys collide share their baseline site's allowance; a baseline
 * written with --top, whose module lists fewer sites than it had, covers
 * unlisted sites from the module's remaining total, smallest first; two
 * baseline modules of one name add up. Reports of schema 1 and 2 (which
 * added exe and made program a name) give one verdict. An empty file says
 * so; files that are not JSON (with line and column), not a report, or of a
 * schema other than 1 and 2 are refused with their name in the message. And the rest of the gate:
 * unclassified blocks always count, reachable ones on request; budgets of
 * bytes, of blocks, and the verdict sentence; a suppressed site credits the
 * first rule that matches, and only with leaked blocks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "gate.h"

/* ---- a current report ---------------------------------------------------- */

#define MAXF 4
#define MAXS 4

struct fake_site {
	const char *fn[MAXF]; /* functions of the frames; module is the fake module's */
	uint64_t offset;      /* every frame's offset: differs from the baseline's on purpose */
	uint64_t definite, reachable, unclassified; /* blocks of 100 bytes each */
};

static struct blame_frame frames[MAXS][MAXF];
static struct blame_site sites[MAXS];
static struct blame_module module;
static struct blame_report report;

/* One module "libfoo.so" at a path no baseline uses, with these sites. */
static const struct blame_report *make_report(const struct fake_site *fs, size_t n)
{
	memset(&module, 0, sizeof(module));
	memset(sites, 0, sizeof(sites));
	module.name = "libfoo.so";
	module.path = "/new/build/dir/libfoo.so";
	strcpy(module.build_id, "00ff");
	for (size_t i = 0; i < n; i++) {
		size_t nf = 0;
		for (; nf < MAXF && fs[i].fn[nf]; nf++)
			frames[i][nf] = (struct blame_frame){"libfoo.so", module.path, fs[i].fn[nf], "/new/x.c", NULL,
							     (int)(1000 + nf), 0, fs[i].offset + nf};
		sites[i].frames = frames[i];
		sites[i].nframes = nf;
		sites[i].hash = i + 1;
		leak_tally_add(&sites[i].kinds, LEAK_DEFINITE, 100 * fs[i].definite, fs[i].definite);
		leak_tally_add(&sites[i].kinds, LEAK_REACHABLE, 100 * fs[i].reachable, fs[i].reachable);
		leak_tally_add(&sites[i].kinds, LEAK_UNCLASSIFIED, 100 * fs[i].unclassified, fs[i].unclassified);
		leak_tally_merge(&module.kinds, &sites[i].kinds);
	}
	module.sites = sites;
	module.nsites = module.nsites_all = n;
	memset(&report, 0, sizeof(report));
	report.mods = &module;
	report.nmods = 1;
	report.kinds = module.kinds;
	return &report;
}

/* ---- baselines ---------------------------------------------------------- */

static char path[512];

static const char *write_baseline(const char *text)
{
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/hbunit-base-XXXXXX", base && *base ? base : "/tmp");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* A frame of the baseline, at another offset, file and line than now. */
#define BF(fn) "{\"module\": \"libfoo.so\", \"function\": \"" fn "\", \"inlined\": false, \"file\": \"/old/y.c\", " \
	       "\"line\": 7, \"offset\": 99999}"
/* n blocks of 100 bytes, as in make_report (pasting "00" to 0 would make
 * 000, which is not JSON) */
#define B100_0 "0"
#define B100_1 "100"
#define B100_2 "200"
#define B100_4 "400"
#define B100_6 "600"
#define B100_9 "900"
#define B100(n) B100_##n
#define KINDS(d, r, u)                                                                                            \
	"\"definite_bytes\": " B100(d) ", \"definite_blocks\": " #d ", \"indirect_bytes\": 0, \"indirect_blocks\": 0, " \
	"\"reachable_bytes\": " B100(r) ", \"reachable_blocks\": " #r ", \"unclassified_bytes\": " B100(u) ", "   \
	"\"unclassified_blocks\": " #u
#define MODULE(name, kinds, total, sites)                                                                         \
	"{\"name\": \"" name "\", \"path\": \"/old/dir/" name "\", \"build_id\": \"aa\", \"outstanding_bytes\": 0, " \
	"\"outstanding_blocks\": 0, " kinds ", \"sites_total\": " #total ", \"sites\": [" sites "]}"
/* lists are one string argument, joined with "," by the caller */
#define SITE(kinds, frames) "{\"bytes\": 0, \"blocks\": 0, " kinds ", \"frames\": [" frames "]}"
#define REPORT(modules) "{\"heapblame_report\": 1, \"modules\": [" modules "], \"processes\": []}"

struct verdict {
	struct gate_result g;
	struct baseline b;
};

static void gate(struct verdict *v, const struct blame_report *r, const char *json, unsigned kinds)
{
	char err[1024];
	ck_assert_msg(baseline_load(&v->b, write_baseline(json), kinds, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	struct gate_options o = {.kinds = kinds, .max_bytes = 0, .max_blocks = 0, .base = &v->b};
	ck_assert_int_eq(gate_build(&v->g, r, &o), 0);
}

static void done(struct verdict *v)
{
	gate_free(&v->g);
	baseline_free(&v->b);
}

/* The gate site whose first frame is fn. */
static const struct gate_site *site_of(const struct gate_result *g, const char *fn)
{
	for (size_t i = 0; i < g->mods[0].nsites; i++) {
		const struct gate_site *s = &g->mods[0].sites[i];
		if (s->site && s->site->nframes && strcmp(s->site->frames[0].function, fn) == 0)
			return s;
	}
	ck_abort_msg("no site %s", fn);
	return NULL;
}

START_TEST(a_site_matches_by_functions_not_addresses)
{
	struct fake_site fs[] = {{{"leak_a", "main"}, 0x1000, 2, 0, 0}};
	struct verdict v;
	gate(&v, make_report(fs, 1),
	     REPORT(MODULE("libfoo.so", KINDS(2, 0, 0), 1, SITE(KINDS(2, 0, 0), BF("leak_a") "," BF("main")))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_bytes, 0);
	ck_assert_uint_eq(v.g.new_blocks, 0);
	ck_assert_uint_eq(v.g.baseline_bytes, 200);
	ck_assert_int_eq(site_of(&v.g, "leak_a")->base, GATE_BASE_SITE);
	ck_assert(!v.g.fail);
	done(&v);
}
END_TEST

START_TEST(schema_2_reports_load_as_schema_1_did)
{
	/* schema 2 changed only what a trace's program is (and added exe):
	 * neither is part of a baseline's keys, so both schemas give one
	 * verdict */
	struct fake_site fs[] = {{{"leak_a", "main"}, 0x1000, 2, 0, 0}};
	const char *json = "{\"heapblame_report\": 2, \"traces\": [{\"path\": \"t.hbt\", \"pid\": 1, "
			   "\"program\": \"store\", \"exe\": \"/srv/bin/store\", \"end\": \"exit 0\", \"scan\": \"done\"}], "
			   "\"modules\": [" MODULE("libfoo.so", KINDS(2, 0, 0), 1, SITE(KINDS(2, 0, 0), BF("leak_a") "," BF("main")))
			   "], \"processes\": []}";
	struct verdict v;
	gate(&v, make_report(fs, 1), json, LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_blocks, 0);
	ck_assert_uint_eq(v.g.baseline_bytes, 200);
	ck_assert_int_eq(site_of(&v.g, "leak_a")->base, GATE_BASE_SITE);
	ck_assert(!v.g.fail);
	done(&v);
}
END_TEST

START_TEST(a_new_site_counts_in_full)
{
	struct fake_site fs[] = {{{"leak_a", "main"}, 0x1000, 2, 0, 0}, {{"leak_b", "main"}, 0x2000, 3, 0, 0},
				 {{"leak_a", "other"}, 0x3000, 1, 0, 0}};
	struct verdict v;
	gate(&v, make_report(fs, 3),
	     REPORT(MODULE("libfoo.so", KINDS(2, 0, 0), 1, SITE(KINDS(2, 0, 0), BF("leak_a") "," BF("main")))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_bytes, 400);
	ck_assert_uint_eq(v.g.new_blocks, 4);
	ck_assert_uint_eq(site_of(&v.g, "leak_b")->new_blocks, 3);
	ck_assert_int_eq(site_of(&v.g, "leak_b")->base, GATE_BASE_NONE);
	ck_assert(v.g.fail);
	ck_assert_uint_eq(v.g.counted_mods, 1);
	ck_assert_uint_eq(v.g.mods[0].counted_sites, 2);
	done(&v);
}
END_TEST

START_TEST(a_grown_site_counts_its_growth)
{
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 5, 0, 0}};
	struct verdict v;
	gate(&v, make_report(fs, 1), REPORT(MODULE("libfoo.so", KINDS(2, 0, 0), 1, SITE(KINDS(2, 0, 0), BF("leak_a")))),
	     LEAK_DEFAULT_KINDS);
	const struct gate_site *s = site_of(&v.g, "leak_a");
	ck_assert_uint_eq(s->leaked_blocks, 5);
	ck_assert_uint_eq(s->base_blocks, 2);
	ck_assert_uint_eq(s->new_blocks, 3);
	ck_assert_uint_eq(s->new_bytes, 300);
	ck_assert(v.g.fail);
	done(&v);
}
END_TEST

START_TEST(the_baseline_allows_the_kinds_counted)
{
	/* the baseline's site: 1 definite, 4 reachable; now 3 definite */
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 3, 0, 0}};
	const char *json =
		REPORT(MODULE("libfoo.so", KINDS(1, 4, 0), 1, SITE(KINDS(1, 4, 0), BF("leak_a"))));
	struct verdict v;
	gate(&v, make_report(fs, 1), json, LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_blocks, 2); /* reachable blocks allow no definite ones */
	done(&v);
	gate(&v, make_report(fs, 1), json, LEAK_DEFAULT_KINDS | LEAK_MASK(LEAK_REACHABLE));
	ck_assert_uint_eq(v.g.new_blocks, 0);
	done(&v);
}
END_TEST

START_TEST(an_old_report_allows_all_it_held)
{
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 3, 0, 0}};
	const char *json = "{\"heapblame_report\": 1, \"modules\": [{\"name\": \"libfoo.so\", \"outstanding_bytes\": 300, "
			   "\"outstanding_blocks\": 3, \"sites_total\": 1, \"sites\": [{\"bytes\": 300, \"blocks\": 3, "
			   "\"frames\": [" BF("leak_a") "]}]}]}";
	struct verdict v;
	gate(&v, make_report(fs, 1), json, LEAK_DEFAULT_KINDS);
	ck_assert(!v.b.has_kinds);
	ck_assert_uint_eq(v.g.new_blocks, 0);
	done(&v);
}
END_TEST

START_TEST(colliding_sites_share_one_allowance)
{
	/* same functions, different offsets: two sites now, one key */
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 1, 0, 0}, {{"leak_a"}, 0x5000, 2, 0, 0}};
	struct verdict v;
	gate(&v, make_report(fs, 2), REPORT(MODULE("libfoo.so", KINDS(2, 0, 0), 1, SITE(KINDS(2, 0, 0), BF("leak_a")))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_blocks, 1);
	ck_assert_uint_eq(v.g.new_bytes, 100);
	ck_assert_uint_eq(v.g.baseline_blocks, 2);
	done(&v);
}
END_TEST

START_TEST(a_truncated_baseline_covers_unlisted_sites_by_module_total)
{
	/* the baseline module held 6 blocks, listed one site of 1 (sites_total
	 * 3): 5 blocks for sites it does not list; now two unlisted sites of 2
	 * and 4 blocks: the pool covers the 2, then 3 of the 4 */
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 1, 0, 0}, {{"leak_b"}, 0x2000, 4, 0, 0},
				 {{"leak_c"}, 0x3000, 2, 0, 0}};
	struct verdict v;
	gate(&v, make_report(fs, 3), REPORT(MODULE("libfoo.so", KINDS(6, 0, 0), 3, SITE(KINDS(1, 0, 0), BF("leak_a")))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.b.mods[0].listed, 1);
	ck_assert_uint_eq(v.b.mods[0].total, 3);
	ck_assert_int_eq(site_of(&v.g, "leak_c")->base, GATE_BASE_POOL);
	ck_assert_uint_eq(site_of(&v.g, "leak_c")->new_blocks, 0);
	ck_assert_uint_eq(site_of(&v.g, "leak_b")->new_blocks, 1);
	ck_assert_uint_eq(v.g.new_blocks, 1);
	done(&v);
}
END_TEST

START_TEST(modules_match_by_name_and_add_up)
{
	/* two baseline modules named libfoo.so (two paths): one allowance */
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 3, 0, 0}};
	struct verdict v;
	gate(&v, make_report(fs, 1),
	     REPORT(MODULE("libfoo.so", KINDS(1, 0, 0), 1, SITE(KINDS(1, 0, 0), BF("leak_a"))) ","
		    MODULE("libfoo.so", KINDS(2, 0, 0), 1, SITE(KINDS(2, 0, 0), BF("leak_a"))) ","
		    MODULE("libbar.so", KINDS(9, 0, 0), 1, SITE(KINDS(9, 0, 0), BF("leak_a")))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.b.nmods, 2);
	ck_assert_uint_eq(v.g.new_blocks, 0);
	done(&v);
	/* a module the baseline does not have counts in full */
	gate(&v, make_report(fs, 1), REPORT(MODULE("libbar.so", KINDS(9, 0, 0), 1, SITE(KINDS(9, 0, 0), BF("leak_a")))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_blocks, 3);
	done(&v);
}
END_TEST

START_TEST(the_current_key_is_the_baseline_key)
{
	struct fake_site fs[] = {{{"leak_a", "main"}, 0x1000, 1, 0, 0}};
	make_report(fs, 1);
	char *k = baseline_key(&sites[0]);
	ck_assert_str_eq(k, "libfoo.so\x1fleak_a\x1elibfoo.so\x1fmain\x1e");
	free(k);
	k = baseline_key(NULL);
	ck_assert_str_eq(k, "");
	free(k);
}
END_TEST

START_TEST(system_frames_are_not_part_of_the_key)
{
	/* now: strdup in libc, our function, then glibc 2.34's start code;
	 * the baseline was written on an older system, without
	 * __libc_start_call_main, and through the loader for a constructor */
	struct fake_site fs[] = {{{"leak_a", "main"}, 0x1000, 2, 0, 0}};
	make_report(fs, 1);
	struct blame_frame now[] = {
		{"libc.so.6", "/lib/libc.so.6", "__strdup", NULL, NULL, 0, 0, 0x10},
		frames[0][0],
		frames[0][1],
		{"libc.so.6", "/lib/libc.so.6", "__libc_start_call_main", NULL, NULL, 0, 0, 0x20},
		{"libc.so.6", "/lib/libc.so.6", "__libc_start_main", NULL, NULL, 0, 0, 0x30},
	};
	sites[0].frames = now;
	sites[0].nframes = 5;
	struct verdict v;
	gate(&v, &report,
	     REPORT(MODULE("libfoo.so", KINDS(2, 0, 0), 1,
			   SITE(KINDS(2, 0, 0), "{\"module\": \"libc.so.6\", \"function\": \"strdup\"}," BF("leak_a") ","
				BF("main") ",{\"module\": \"ld-linux-x86-64.so.2\", \"function\": \"_dl_init\"},"
				"{\"module\": \"libc.so.6\", \"function\": \"__libc_start_main\"}"))),
	     LEAK_DEFAULT_KINDS);
	ck_assert_uint_eq(v.g.new_blocks, 0);
	ck_assert_int_eq(v.g.mods[0].sites[0].base, GATE_BASE_SITE);
	done(&v);
}
END_TEST

static void refused(const char *json, const char *why)
{
	struct baseline b;
	char err[1024];
	const char *p = write_baseline(json);
	ck_assert_int_eq(baseline_load(&b, p, LEAK_DEFAULT_KINDS, err, sizeof(err)), -1);
	unlink(p);
	ck_assert_msg(strncmp(err, p, strlen(p)) == 0, "'%s' does not name the file", err);
	ck_assert_msg(strstr(err, why) != NULL, "'%s' does not say '%s'", err, why);
}

START_TEST(bad_baselines_are_refused)
{
	refused("{\n  \"heapblame_report\": 1,\n  \"modules\": [,]\n}", "line 3, column");
	refused("[1, 2]", "not a heapblame report");
	refused("{\"heapblame_report\": 3, \"modules\": []}", "schema 3");
	refused("{\"heapblame_report\": 0, \"modules\": []}", "schema 0");
	refused("{\"heapblame_report\": 1}", "no modules array");
	refused("{\"heapblame_report\": 1, \"modules\": [{\"name\": \"x\", \"sites\": []}]}", "has no count");
	refused("", ": empty file: a baseline is what 'heapblame report --format json --top 0 TRACE...' wrote");
	refused(" \n\n", ": empty file");
	refused("\n{", "not JSON");
	struct baseline b;
	char err[1024];
	ck_assert_int_eq(baseline_load(&b, "/nonexistent/base.json", LEAK_DEFAULT_KINDS, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/base.json: No such file or directory");
}
END_TEST

/* ---- the rest of the gate ------------------------------------------------- */

START_TEST(unclassified_always_counts_and_reachable_on_request)
{
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 1, 2, 4}};
	struct gate_result g;
	struct gate_options o = {.kinds = LEAK_DEFAULT_KINDS};
	ck_assert_int_eq(gate_build(&g, make_report(fs, 1), &o), 0);
	ck_assert_uint_eq(g.new_blocks, 5);
	ck_assert_uint_eq(g.kinds, LEAK_DEFAULT_KINDS | LEAK_MASK(LEAK_UNCLASSIFIED));
	gate_free(&g);
	o.kinds = LEAK_MASK(LEAK_REACHABLE);
	ck_assert_int_eq(gate_build(&g, make_report(fs, 1), &o), 0);
	ck_assert_uint_eq(g.new_blocks, 6);
	gate_free(&g);
}
END_TEST

START_TEST(budgets_and_the_verdict_sentence)
{
	struct fake_site fs[] = {{{"leak_a"}, 0x1000, 3, 0, 0}, {{"leak_b"}, 0x2000, 0, 5, 0}};
	struct gate_result g;
	char s[256];
	struct gate_options o = {.kinds = LEAK_DEFAULT_KINDS};
	ck_assert_int_eq(gate_build(&g, make_report(fs, 2), &o), 0);
	gate_verdict(&g, s, sizeof(s));
	ck_assert_str_eq(s, "heapblame: 300 B in 3 blocks leaked in 1 module (budget 0): FAIL");
	gate_free(&g);
	o.max_bytes = 300;
	o.max_blocks = GATE_UNLIMITED;
	ck_assert_int_eq(gate_build(&g, make_report(fs, 2), &o), 0);
	ck_assert(!g.fail);
	gate_verdict(&g, s, sizeof(s));
	ck_assert_str_eq(s, "heapblame: 300 B in 3 blocks leaked in 1 module (budget 300 B): PASS");
	gate_free(&g);
	o.max_bytes = GATE_UNLIMITED;
	o.max_blocks = 2;
	ck_assert_int_eq(gate_build(&g, make_report(fs, 2), &o), 0);
	ck_assert(g.fail);
	gate_verdict(&g, s, sizeof(s));
	ck_assert_str_eq(s, "heapblame: 300 B in 3 blocks leaked in 1 module (budget 2 blocks): FAIL");
	gate_free(&g);
}
END_TEST

START_TEST(suppressed_sites_credit_their_rule)
{
	struct fake_site fs[] = {{{"leak_a", "main"}, 0x1000, 3, 0, 0}, {{"leak_b", "main"}, 0x2000, 1, 0, 0},
				 {{"cache"}, 0x3000, 0, 7, 0}};
	struct supp_list l = {0};
	char why[256];
	ck_assert_int_eq(supp_parse_line(&l, "t", 1, "site:leak_a", why, sizeof(why)), 0);
	ck_assert_int_eq(supp_parse_line(&l, "t", 2, "site:main", why, sizeof(why)), 0);
	ck_assert_int_eq(supp_parse_line(&l, "t", 3, "site:cache", why, sizeof(why)), 0);
	struct gate_result g;
	struct gate_options o = {.kinds = LEAK_DEFAULT_KINDS, .supp = &l};
	ck_assert_int_eq(gate_build(&g, make_report(fs, 3), &o), 0);
	ck_assert_uint_eq(g.new_blocks, 0);
	ck_assert(!g.fail);
	ck_assert_uint_eq(g.suppressed_blocks, 4);
	ck_assert_uint_eq(l.v[0].blocks, 3);
	ck_assert_uint_eq(l.v[0].sites, 1);
	ck_assert_uint_eq(l.v[1].blocks, 1); /* leak_a went to the first rule */
	ck_assert_uint_eq(l.v[2].sites, 0);  /* reachable only: nothing leaked to hide */
	gate_free(&g);
	supp_free(&l);
}
END_TEST

static Suite *baseline_suite(void)
{
	Suite *s = suite_create("baseline");
	TCase *m = tcase_create("match");
	tcase_add_test(m, a_site_matches_by_functions_not_addresses);
	tcase_add_test(m, schema_2_reports_load_as_schema_1_did);
	tcase_add_test(m, a_new_site_counts_in_full);
	tcase_add_test(m, a_grown_site_counts_its_growth);
	tcase_add_test(m, the_baseline_allows_the_kinds_counted);
	tcase_add_test(m, an_old_report_allows_all_it_held);
	tcase_add_test(m, colliding_sites_share_one_allowance);
	tcase_add_test(m, a_truncated_baseline_covers_unlisted_sites_by_module_total);
	tcase_add_test(m, modules_match_by_name_and_add_up);
	tcase_add_test(m, the_current_key_is_the_baseline_key);
	tcase_add_test(m, system_frames_are_not_part_of_the_key);
	tcase_add_test(m, bad_baselines_are_refused);
	suite_add_tcase(s, m);
	TCase *g = tcase_create("gate");
	tcase_add_test(g, unclassified_always_counts_and_reachable_on_request);
	tcase_add_test(g, budgets_and_the_verdict_sentence);
	tcase_add_test(g, suppressed_sites_credit_their_rule);
	suite_add_tcase(s, g);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(baseline_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
