/*
 * test_blame.c - analyzer/blame.h: what a report shows is all it
 * symbolizes.
 *
 * The model is built by hand (no trace): one process, this test program
 * as its only module (it has DWARF), and 40 stacks of three frames in it
 * that differ in their innermost frame. Checked: with --top 1 the DWARF
 * lookups are the three frames of the one site shown, however many sites
 * there are (and --top 0 looks every frame up); sites tied with the last
 * one shown come out in the order, and with the frames, that symbolizing
 * every site gives; sites and entry points add up the same either way.
 */
#include <check.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blame.h"

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
static struct tm_module mods[2];
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
	proc = (struct tm_process){.trace_path = "by-hand.hbt", .pid = 1, .program = self_path, .end = "exit 0",
				   .modules = mods, .nmodules = 2, .stacks = stack_ptrs, .nstacks = NSTACKS + 1,
				   .scan_status = TM_SCAN_NONE};
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

static Suite *blame_suite(void)
{
	Suite *s = suite_create("blame");
	TCase *t = tcase_create("symbolizing");
	tcase_add_test(t, only_the_sites_shown_are_looked_up_in_dwarf);
	tcase_add_test(t, ties_keep_the_order_of_symbolized_sites);
	tcase_add_test(t, min_bytes_leaves_sites_unlooked_up);
	suite_add_tcase(s, t);
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
