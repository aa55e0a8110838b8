/*
 * test_blame.c - analyzer/blame/blame.h: what a report shows is all it
 * symbolizes.
 *
 * The model is built by hand (no trace): one process, this test program
 * as its only module (it has DWARF), and 40 stacks of three frames in it
 * that differ in their innermost frame. Checked: with --top 1 the DWARF
 * lookups are the three frames of the one site shown, however many sites
 * there are (and --top 0 looks every frame up); sites tied with the last
 * one shown come out in the order, and with the frames, that symbolizing
 * every site gives; sites and entry points add up the same either way.
 *
 * Then the rules of blame on single stacks made of the same functions:
 * a wrapper function (by name: wrapper_functions.h) and its library's
 * frames that lead to it are the allocator's, whatever the module, and
 * the blame goes to the wrapper's caller; the wrapper is named on the
 * site; the internals looked through are few and in one module. A stack
 * cut at the depth limit inside the blamed module has no entry point.
 */
#include <check.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blame.h"
#include "wrapper_functions.h"

static volatile int sink;

/* leaf is long enough for 40 distinct return addresses inside it */
__attribute__((noinline)) static void leaf(int x)
{
	for (int i = 0; i < x; i++)
		sink += i * x + (sink >> 3);
	for (int i = 0; i < x; i++)
		sink ^= i << 2;
	for (int i = 0; i < x; i++)
		sink -= i * 7;
}

__attribute__((noinline)) static void mid(int x)
{
	leaf(x);
	sink++;
}

__attribute__((noinline)) static void top(int x)
{
	mid(x);
	sink--;
}

enum { NSTACKS = 40 };

static char self_path[4096];
static uint64_t self_bias;
static struct tm_module mods[3];
static struct tm_stack stacks[NSTACKS];
static struct tm_stack *stack_ptrs[NSTACKS + 1];
static uint32_t frame_modules[NSTACKS][3];
static uint64_t frame_offsets[NSTACKS][3];
static struct tm_process proc;
static struct tm_model model;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	self_bias = info->dlpi_addr; /* the first is the program */
	return 1;
}

static uint64_t offset_of(void (*fn)(int), uint64_t within)
{
	return (uint64_t)(uintptr_t)fn - self_bias + within;
}

/* Frees the sparse maps tm_process_reindex made for proc. */
static void unindex(void)
{
	id_index_free(&proc.module_ids);
	id_index_free(&proc.stack_ids);
}

/* Stack k holds bytes(k) in one block; its innermost frame is leaf + 1 + k. */
static void build(uint64_t (*bytes)(int))
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	ck_assert_int_gt(n, 0);
	self_path[n] = '\0';
	dl_iterate_phdr(find_self, NULL);
	memset(mods, 0, sizeof(mods));
	mods[1] = (struct tm_module){.id = 1, .defined = 1, .path = self_path};
	stack_ptrs[0] = NULL; /* stack ids start at 1 */
	for (int k = 0; k < NSTACKS; k++) {
		frame_modules[k][0] = frame_modules[k][1] = frame_modules[k][2] = 1;
		frame_offsets[k][0] = offset_of(leaf, 1 + (uint64_t)k);
		frame_offsets[k][1] = offset_of(mid, 6);
		frame_offsets[k][2] = offset_of(top, 6);
		stacks[k] = (struct tm_stack){.id = (uint32_t)k + 1, .module = 1, .depth = 3,
					      .frame_module = frame_modules[k], .frame_offset = frame_offsets[k],
					      .out_bytes = bytes(k), .out_blocks = 1};
		leak_tally_add(&stacks[k].kinds, LEAK_UNCLASSIFIED, bytes(k), 1);
		stack_ptrs[k + 1] = &stacks[k];
	}
	unindex();
	proc = (struct tm_process){.trace_path = "by-hand.hbt", .pid = 1, .program = self_path, .end = "exit 0",
				   .modules = mods, .nmodules = 2, .stacks = stack_ptrs, .nstacks = NSTACKS + 1,
				   .scan_status = TM_SCAN_NONE};
	ck_assert_int_eq(tm_process_reindex(&proc), 0);
	model = (struct tm_model){.procs = &proc, .nprocs = 1};
}

static uint64_t all_different(int k)
{
	return 1000 - (uint64_t)k;
}

static uint64_t mostly_tied(int k)
{
	return k < 3 ? 1000 - (uint64_t)k : 100;
}

/* Builds the report with --top top; the DWARF lookups it made in *dwarf.
 * Returns the symbolizer, which holds the report's strings: freed after it. */
static struct symbolizer *report(struct blame_report *r, size_t top, uint64_t *dwarf)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	ck_assert_ptr_nonnull(s);
	struct blame_options o = {.top = top};
	ck_assert_int_eq(blame_build(r, &model, s, &o), 0);
	struct sym_stats st;
	sym_get_stats(s, &st);
	*dwarf = st.dwarf_lookups;
	return s;
}

static void report_free(struct blame_report *r, struct symbolizer *s)
{
	blame_free(r);
	sym_free(s);
}

START_TEST(only_the_sites_shown_are_looked_up_in_dwarf)
{
	build(all_different);
	struct blame_report r;
	uint64_t dwarf;
	struct symbolizer *s = report(&r, 1, &dwarf);
	ck_assert_uint_eq(r.nmods, 1);
	const struct blame_module *m = &r.mods[0];
	ck_assert_uint_eq(m->nsites_all, NSTACKS);
	ck_assert_uint_eq(m->nsites, 1);
	ck_assert_uint_eq(m->sites[0].bytes, 1000);
	ck_assert_uint_eq(m->sites[0].frames[0].offset, offset_of(leaf, 1));
	ck_assert_str_eq(m->sites[0].frames[0].function, "leaf");
	ck_assert_ptr_nonnull(m->sites[0].frames[0].file);
	/* the three frames of the site shown; the entry point (top, the
	 * outermost) has no caller, and is named from the symbol table */
	ck_assert_uint_eq(dwarf, 3);
	ck_assert_uint_eq(m->nentries, 1);
	ck_assert_str_eq(m->entries[0].function, "top");
	ck_assert_uint_eq(m->entries[0].blocks, NSTACKS);
	report_free(&r, s);

	s = report(&r, 0, &dwarf);
	ck_assert_uint_eq(r.mods[0].nsites, NSTACKS);
	ck_assert_uint_eq(dwarf, NSTACKS + 2);
	report_free(&r, s);
}
END_TEST

static int same_site(const struct blame_site *a, const struct blame_site *b)
{
	if (a->bytes != b->bytes || a->blocks != b->blocks || a->hash != b->hash || a->nframes != b->nframes)
		return 0;
	for (size_t i = 0; i < a->nframes; i++) {
		const struct blame_frame *x = &a->frames[i], *y = &b->frames[i];
		if (x->offset != y->offset || x->inlined != y->inlined || x->line != y->line ||
		    strcmp(x->function ? x->function : "", y->function ? y->function : "") != 0)
			return 0;
	}
	return 1;
}

START_TEST(ties_keep_the_order_of_symbolized_sites)
{
	build(mostly_tied);
	struct blame_report all, top5;
	uint64_t dwarf_all, dwarf_top;
	struct symbolizer *sa = report(&all, 0, &dwarf_all), *st = report(&top5, 5, &dwarf_top);
	ck_assert_uint_eq(top5.mods[0].nsites, 5);
	ck_assert_uint_eq(top5.mods[0].nsites_all, NSTACKS);
	for (size_t k = 0; k < 5; k++)
		ck_assert_msg(same_site(&all.mods[0].sites[k], &top5.mods[0].sites[k]), "site %zu", k);
	ck_assert_uint_eq(all.mods[0].bytes, top5.mods[0].bytes);
	/* every site tied with the fifth had to be symbolized to order them */
	ck_assert_uint_eq(dwarf_top, dwarf_all);
	report_free(&all, sa);
	report_free(&top5, st);
}
END_TEST

START_TEST(min_bytes_leaves_sites_unlooked_up)
{
	build(all_different);
	struct symbolizer *s = sym_new(NULL, NULL);
	struct blame_options o = {.top = 0, .min_bytes = 998};
	struct blame_report r;
	ck_assert_int_eq(blame_build(&r, &model, s, &o), 0);
	ck_assert_uint_eq(r.mods[0].nsites, 3);
	struct sym_stats st;
	sym_get_stats(s, &st);
	ck_assert_uint_eq(st.dwarf_lookups, 3 + 2);
	blame_free(&r);
	sym_free(s);
}
END_TEST

/* ---------- wrapper functions -------------------------------------------- */

enum { MAXF = 16 };
static uint32_t one_modules[MAXF];
static uint64_t one_offsets[MAXF];
static struct tm_stack one;
static struct tm_stack *one_ptrs[2];

/* One process holding one block of 64 bytes at a stack of n frames, each
 * in module mod[i] (1: this program; 2: a library with no file) at
 * off[i]. After build(), which finds the program's path and load bias
 * that offset_of needs. */
static void build_one(size_t n, const uint32_t *mod, const uint64_t *off)
{
	mods[1] = (struct tm_module){.id = 1, .defined = 1, .path = self_path};
	mods[2] = (struct tm_module){.id = 2, .defined = 1, .path = "/nonexistent/libother.so"};
	memcpy(one_modules, mod, n * sizeof(*mod));
	memcpy(one_offsets, off, n * sizeof(*off));
	one = (struct tm_stack){.id = 1, .module = 1, .depth = (uint32_t)n, .frame_module = one_modules,
				.frame_offset = one_offsets, .out_bytes = 64, .out_blocks = 1};
	leak_tally_add(&one.kinds, LEAK_UNCLASSIFIED, 64, 1);
	one_ptrs[0] = NULL;
	one_ptrs[1] = &one;
	proc.modules = mods;
	proc.nmodules = 3;
	proc.stacks = one_ptrs;
	proc.nstacks = 2;
	ck_assert_int_eq(tm_process_reindex(&proc), 0);
}

/* The report of build_one's stack with these wrapper functions (and
 * wrapper modules); its one site in *site. */
static struct symbolizer *report_one(struct blame_report *r, const char **funcs, size_t nfuncs, const char **wrappers,
				     size_t nwrappers, const struct blame_site **site)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	ck_assert_ptr_nonnull(s);
	struct blame_options o = {.wrappers = wrappers, .nwrappers = nwrappers, .wrapper_functions = funcs,
				  .nwrapper_functions = nfuncs, .top = 0};
	ck_assert_int_eq(blame_build(r, &model, s, &o), 0);
	ck_assert_uint_eq(r->nmods, 1);
	ck_assert_uint_eq(r->mods[0].nsites, 1);
	*site = &r->mods[0].sites[0];
	return s;
}

/* leaf <- mid <- top, all in this program */
static void build_three(void)
{
	build(all_different);
	uint32_t mod[] = {1, 1, 1};
	uint64_t off[] = {offset_of(leaf, 1), offset_of(mid, 6), offset_of(top, 6)};
	build_one(3, mod, off);
}

START_TEST(a_wrapper_function_passes_the_blame_to_its_caller)
{
	build_three();
	struct blame_report r;
	const struct blame_site *site;
	const char *funcs[] = {"leaf"};
	struct symbolizer *s = report_one(&r, NULL, 0, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 0);
	ck_assert_ptr_null(site->wrapper);
	report_free(&r, s);

	s = report_one(&r, funcs, 1, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 1);
	ck_assert_str_eq(site->frames[site->blamed].function, "mid");
	ck_assert_str_eq(site->wrapper, "leaf");
	ck_assert_str_eq(site->wrapper_module, r.mods[0].name);
	ck_assert_int_eq(site->entry_frame, 2); /* the run in the module still ends at top */
	ck_assert_str_eq(r.mods[0].entries[0].function, "top");
	report_free(&r, s);
}
END_TEST

START_TEST(a_glob_names_wrapper_functions)
{
	build_three();
	struct blame_report r;
	const struct blame_site *site;
	const char *funcs[] = {"le?f"}, *nomatch[] = {"lea"};
	struct symbolizer *s = report_one(&r, funcs, 1, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 1);
	report_free(&r, s);
	s = report_one(&r, nomatch, 1, NULL, 0, &site); /* a glob matches the whole name */
	ck_assert_uint_eq(site->blamed, 0);
	ck_assert_ptr_null(site->wrapper);
	report_free(&r, s);
}
END_TEST

START_TEST(a_wrappers_internals_are_the_wrappers)
{
	/* mid is the wrapper: leaf, the library's code under it, is the
	 * allocator's too, so top is blamed */
	build_three();
	struct blame_report r;
	const struct blame_site *site;
	const char *funcs[] = {"mid"}, *chain[] = {"leaf", "mid"};
	struct symbolizer *s = report_one(&r, funcs, 1, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 2);
	ck_assert_str_eq(site->frames[2].function, "top");
	ck_assert_str_eq(site->wrapper, "mid");
	report_free(&r, s);
	/* a wrapper called by a wrapper: the outer one is named */
	s = report_one(&r, chain, 2, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 2);
	ck_assert_str_eq(site->wrapper, "mid");
	report_free(&r, s);
}
END_TEST

START_TEST(internals_are_few_frames_of_one_module)
{
	const char *funcs[] = {"mid"};
	struct blame_report r;
	const struct blame_site *site;
	build(all_different);
	/* nine frames of leaf before mid: too deep to be mid's internals */
	uint32_t mod[11];
	uint64_t off[11];
	for (int i = 0; i < 9; i++)
		mod[i] = 1, off[i] = offset_of(leaf, 1 + (uint64_t)i);
	mod[9] = mod[10] = 1;
	off[9] = offset_of(mid, 6);
	off[10] = offset_of(top, 6);
	build_one(11, mod, off);
	struct symbolizer *s = report_one(&r, funcs, 1, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 0);
	report_free(&r, s);
	/* another module between leaf and mid: leaf is not mid's internals */
	uint32_t mod2[] = {1, 2, 1, 1};
	uint64_t off2[] = {offset_of(leaf, 1), 0x1234, offset_of(mid, 6), offset_of(top, 6)};
	build_one(4, mod2, off2);
	s = report_one(&r, funcs, 1, NULL, 0, &site);
	ck_assert_uint_eq(site->blamed, 0);
	report_free(&r, s);
	/* ... unless that module is a wrapper module */
	const char *wmods[] = {"libother.so"};
	s = report_one(&r, funcs, 1, wmods, 1, &site);
	ck_assert_uint_eq(site->blamed, 3);
	ck_assert_str_eq(site->frames[3].function, "top");
	report_free(&r, s);
}
END_TEST

START_TEST(the_builtin_list_names_the_well_known_wrappers)
{
	const char *known[] = {"xmalloc", "xstrdup", "xmemdup", "xzalloc", "xcharalloc", "g_malloc", "g_try_malloc0",
			       "g_strdup", "g_memdup2", "PyMem_Malloc", "PyObject_Realloc", "sqlite3_malloc64",
			       "CRYPTO_zalloc", "av_mallocz", "talloc_strdup"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ck_assert_msg(wrapper_function_is_builtin(known[i]), "%s", known[i]);
	const char *not_wrappers[] = {"malloc", "xmallocx", "g_free", "apr_palloc", "PyMem_Free", ""};
	for (size_t i = 0; i < sizeof(not_wrappers) / sizeof(not_wrappers[0]); i++)
		ck_assert_msg(!wrapper_function_is_builtin(not_wrappers[i]), "%s", not_wrappers[i]);
	/* a user's glob matches the demangled name or the linkage name */
	const char *globs[] = {"Pool::take*", "_Z4grabm"};
	ck_assert(wrapper_function_match(globs, 2, "Pool::take(unsigned long)", "_ZN4Pool4takeEm"));
	ck_assert(wrapper_function_match(globs, 2, "grab(unsigned long)", "_Z4grabm"));
	ck_assert(!wrapper_function_match(globs, 2, "Pool::put(void*)", "_ZN4Pool3putEPv"));
	ck_assert(wrapper_function_match(NULL, 0, NULL, "g_malloc"));
	ck_assert(!wrapper_function_match(globs, 2, NULL, NULL));
}
END_TEST

/* ---------- stacks cut at the depth limit -------------------------------- */

START_TEST(a_cut_stack_names_no_entry_point_it_cannot_know)
{
	build_three();
	one.cut = 1; /* leaf <- mid <- top, and more frames not recorded */
	struct blame_report r;
	const struct blame_site *site;
	struct symbolizer *s = report_one(&r, NULL, 0, NULL, 0, &site);
	ck_assert_uint_eq(site->cut_at, 3);
	ck_assert_int_eq(site->entry_frame, -1);
	ck_assert_ptr_null(site->entry);
	ck_assert_uint_eq(r.mods[0].nentries, 1);
	const struct blame_entry *e = &r.mods[0].entries[0];
	ck_assert_uint_eq(e->cut_at, 3);
	ck_assert_ptr_null(e->function); /* not top: its caller may be in the module too */
	ck_assert_ptr_null(e->caller_module);
	report_free(&r, s);

	/* cut, but the module's run ends inside the frames recorded: known */
	build(all_different);
	uint32_t mod[] = {1, 1, 2};
	uint64_t off[] = {offset_of(leaf, 1), offset_of(mid, 6), 0x1234};
	build_one(3, mod, off);
	one.cut = 1;
	s = report_one(&r, NULL, 0, NULL, 0, &site);
	ck_assert_uint_eq(site->cut_at, 3);
	ck_assert_int_eq(site->entry_frame, 1);
	ck_assert_uint_eq(r.mods[0].entries[0].cut_at, 0);
	ck_assert_str_eq(r.mods[0].entries[0].function, "mid");
	ck_assert_str_eq(r.mods[0].entries[0].caller_module, "libother.so");
	report_free(&r, s);
}
END_TEST

static Suite *blame_suite(void)
{
	Suite *s = suite_create("blame");
	TCase *t = tcase_create("symbolizing");
	tcase_add_checked_fixture(t, NULL, unindex);
	tcase_add_test(t, only_the_sites_shown_are_looked_up_in_dwarf);
	tcase_add_test(t, ties_keep_the_order_of_symbolized_sites);
	tcase_add_test(t, min_bytes_leaves_sites_unlooked_up);
	suite_add_tcase(s, t);
	TCase *w = tcase_create("wrapper functions");
	tcase_add_checked_fixture(w, NULL, unindex);
	tcase_add_test(w, a_wrapper_function_passes_the_blame_to_its_caller);
	tcase_add_test(w, a_glob_names_wrapper_functions);
	tcase_add_test(w, a_wrappers_internals_are_the_wrappers);
	tcase_add_test(w, internals_are_few_frames_of_one_module);
	tcase_add_test(w, the_builtin_list_names_the_well_known_wrappers);
	suite_add_tcase(s, w);
	TCase *c = tcase_create("cut stacks");
	tcase_add_checked_fixture(c, NULL, unindex);
	tcase_add_test(c, a_cut_stack_names_no_entry_point_it_cannot_know);
	suite_add_tcase(s, c);
	return s;
}

int main(void)
{
	top(3);
	SRunner *sr = srunner_create(blame_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
