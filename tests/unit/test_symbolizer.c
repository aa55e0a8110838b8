/*
 * test_symbolizer.c - analyzer/symbols/symbolizer.h: that its shortcuts give what
 * libdw's own calls give.
 *
 * Checked: the symbol index names the function dwfl_module_addrinfo names,
 * at every address of a library built of libdw's hard cases
 * (unit_symtab.S: aliases, nesting, sizeless labels, locals between
 * globals), of this test program, and around the symbols of the libc it
 * runs on (with a separate debug file's .symtab when one is installed,
 * so both of libdw's passes); a lookup answered from the cache is the
 * first lookup, string for string, and reads no DWARF again; a second
 * symbolizer finds the same; the inlined frames at every address of this
 * program (and of libc, where its debug file is installed) are the scopes
 * dwarf_getscopes and dwarf_getscopes_die find, which the symbolizer no
 * longer asks for; naming a physical function (sym_function)
 * never opens DWARF and names what sym_lookup's physical frame names; a
 * name is exported exactly when .dynsym exports it (through .gnu.hash
 * when there is one).
 */
#include <check.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolizer.h"

/* ---------- libdw, asked directly -------------------------------------- */

static char *debuginfo_path = "-:.debug:/usr/lib/debug";
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* A session of its own for path, at load address 0 as the symbolizer
 * reports modules. */
static Dwfl_Module *libdw_open(const char *path, Dwfl **dwfl)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	*dwfl = dwfl_begin(&callbacks);
	ck_assert_ptr_nonnull(*dwfl);
	dwfl_report_begin(*dwfl);
	Dwfl_Module *mod = dwfl_report_elf(*dwfl, path, path, fd, 0, false);
	dwfl_report_end(*dwfl, NULL, NULL);
	ck_assert_ptr_nonnull(mod);
	return mod;
}

/* dwfl_module_addrinfo's name at addr, unversioned as the symbolizer
 * gives it, into buf; NULL when it names nothing. */
static const char *libdw_name(Dwfl_Module *mod, uint64_t addr, char *buf, size_t cap)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name)
		return NULL;
	snprintf(buf, cap, "%s", name);
	char *at = strchr(buf, '@');
	if (at && at != buf)
		*at = '\0';
	return buf;
}

/* Compares the symbolizer's name with libdw's at addr; counts a
 * difference (and prints the first few). */
static void same_name(struct sym_module *m, Dwfl_Module *mod, uint64_t addr, long *checked, long *differ)
{
	char buf[4096];
	const char *want = libdw_name(mod, addr, buf, sizeof(buf)), *fn, *linkage;
	/* sym_function takes a return address: it looks up the byte before */
	sym_function(m, addr + 1, &fn, &linkage);
	(*checked)++;
	if ((want == NULL) != (linkage == NULL) || (want && strcmp(want, linkage) != 0)) {
		if ((*differ)++ < 5)
			fprintf(stderr, "%s+0x%llx: libdw %s, index %s\n", sym_module_path(m), (unsigned long long)addr,
				want ? want : "-", linkage ? linkage : "-");
	}
}

/* Every address of path's module in steps of stride, and the bytes around
 * the start and end of every sym_every-th symbol of libdw's table. */
static void index_matches_libdw(const char *path, uint64_t stride, int sym_every)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, path, NULL, 0);
	ck_assert_int_ne(sym_module_status(m), SYM_MISSING);
	Dwfl *dwfl;
	Dwfl_Module *mod = libdw_open(path, &dwfl);
	GElf_Addr lo, hi;
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	long checked = 0, differ = 0, named = 0;
	for (uint64_t a = lo; a < hi; a += stride) {
		char buf[4096];
		named += libdw_name(mod, a, buf, sizeof(buf)) != NULL;
		same_name(m, mod, a, &checked, &differ);
	}
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i += sym_every) {
		GElf_Sym sym;
		GElf_Addr v;
		if (!dwfl_module_getsym_info(mod, i, &sym, &v, NULL, NULL, NULL))
			continue;
		uint64_t around[] = {v - 1, v, v + 1, v + sym.st_size - 1, v + sym.st_size, v + sym.st_size + 1};
		for (size_t k = 0; k < sizeof(around) / sizeof(around[0]); k++)
			if (around[k] != UINT64_MAX) /* return address 0 is looked up at 0 */
				same_name(m, mod, around[k], &checked, &differ);
	}
	fprintf(stderr, "%s: %ld addresses (%ld named by a stride), %ld differ\n", path, checked, named, differ);
	ck_assert_int_gt(named, 0);
	ck_assert_int_eq(differ, 0);
	struct sym_stats st;
	sym_get_stats(s, &st);
	ck_assert_uint_eq(st.symtab_indexed, 1);
	ck_assert_uint_eq(st.dwarf_lookups, 0);
	dwfl_end(dwfl);
	sym_free(s);
}

static char self_path[4096];
static uint64_t self_bias;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	self_bias = info->dlpi_addr; /* the first is the program */
	return 1;
}

static char libc_path[4096];

static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	const char *base = strrchr(info->dlpi_name, '/');
	if (base && strncmp(base + 1, "libc.so", 7) == 0) {
		snprintf(libc_path, sizeof(libc_path), "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}

static void setup(void)
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	ck_assert_int_gt(n, 0);
	self_path[n] = '\0';
	dl_iterate_phdr(find_self, NULL);
	dl_iterate_phdr(find_libc, NULL);
}

START_TEST(the_index_names_what_libdw_names)
{
	index_matches_libdw(HBUNIT_SYMTAB_PATH, 1, 1);
	index_matches_libdw(self_path, 1, 1);
}
END_TEST

START_TEST(the_index_names_what_libdw_names_in_libc)
{
	ck_assert_str_ne(libc_path, "");
	index_matches_libdw(libc_path, 257, 3);
}
END_TEST

/* ---------- lookups in this program, which has DWARF -------------------- */

static volatile int sink;

static inline __attribute__((always_inline)) void touched(int x)
{
	sink += x * 3;
}

__attribute__((noinline)) static void one(int x)
{
	touched(x);
	sink += x;
}

__attribute__((noinline)) static void two(int x)
{
	for (int i = 0; i < x; i++)
		touched(i);
}

static uint64_t offset_of(void (*fn)(int), uint64_t within)
{
	return (uint64_t)(uintptr_t)fn - self_bias + within;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_frames(const struct sym_frame *a, int na, const struct sym_frame *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (!same_str(a[i].function, b[i].function) || !same_str(a[i].linkage, b[i].linkage) ||
		    !same_str(a[i].file, b[i].file) || !same_str(a[i].dir, b[i].dir) || a[i].line != b[i].line ||
		    a[i].inlined != b[i].inlined)
			return 0;
	return 1;
}

START_TEST(a_cached_result_is_the_first_lookup)
{
	struct symbolizer *s = sym_new(NULL, NULL), *fresh = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, self_path, NULL, 0);
	struct sym_module *f = sym_module_get(fresh, self_path, NULL, 0);
	ck_assert_int_eq(sym_module_status(m), SYM_OK);
	uint64_t offs[] = {offset_of(one, 2), offset_of(one, 6), offset_of(two, 3), offset_of(two, 9), 1};
	enum { N = sizeof(offs) / sizeof(offs[0]) };
	struct sym_frame first[N][SYM_MAX_INLINE];
	int nfirst[N], known = 0;
	for (int i = 0; i < N; i++) {
		nfirst[i] = sym_lookup(m, offs[i], first[i], SYM_MAX_INLINE);
		known += nfirst[i] > 0;
	}
	ck_assert_int_ge(known, 4);
	struct sym_stats before, after;
	sym_get_stats(s, &before);
	ck_assert_uint_eq(before.dwarf_lookups, N);
	for (int i = 0; i < N; i++) {
		struct sym_frame again[SYM_MAX_INLINE], other[SYM_MAX_INLINE];
		int n = sym_lookup(m, offs[i], again, SYM_MAX_INLINE);
		ck_assert(same_frames(first[i], nfirst[i], again, n));
		if (n)
			ck_assert_ptr_eq(first[i][0].function, again[0].function); /* the very strings */
		n = sym_lookup(f, offs[i], other, SYM_MAX_INLINE);
		ck_assert(same_frames(first[i], nfirst[i], other, n));
	}
	sym_get_stats(s, &after);
	ck_assert_uint_eq(after.dwarf_lookups, before.dwarf_lookups);
	ck_assert_uint_eq(after.cache_hits, before.cache_hits + N);
	sym_free(s);
	sym_free(fresh);
}
END_TEST

START_TEST(an_inlined_call_is_a_frame_of_its_own)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, self_path, NULL, 0);
	int inlined = 0;
	for (uint64_t k = 1; k < 64 && !inlined; k++) {
		struct sym_frame fr[SYM_MAX_INLINE];
		int n = sym_lookup(m, offset_of(one, k), fr, SYM_MAX_INLINE);
		if (n == 2 && fr[0].inlined && !fr[1].inlined) {
			inlined = 1;
			ck_assert_str_eq(fr[0].function, "touched");
			ck_assert_str_eq(fr[1].function, "one");
			ck_assert_ptr_nonnull(strstr(fr[1].file, "test_symbolizer.c"));
		}
	}
	ck_assert(inlined);
	sym_free(s);
}
END_TEST

START_TEST(naming_a_function_reads_no_dwarf)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, self_path, NULL, 0);
	ck_assert(sym_module_found(m));
	uint64_t offs[] = {offset_of(one, 2), offset_of(two, 5)};
	const char *fn[2], *linkage[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(sym_function(m, offs[i], &fn[i], &linkage[i]), 1);
	ck_assert_str_eq(fn[0], "one");
	ck_assert_str_eq(fn[1], "two");
	struct sym_stats st;
	sym_get_stats(s, &st);
	ck_assert_uint_eq(st.dwarf_lookups, 0);
	ck_assert_uint_eq(st.dwarf_opened, 0);
	for (int i = 0; i < 2; i++) {
		struct sym_frame fr[SYM_MAX_INLINE];
		int n = sym_lookup(m, offs[i], fr, SYM_MAX_INLINE);
		ck_assert_int_gt(n, 0);
		ck_assert_ptr_eq(fr[n - 1].function, fn[i]);
		ck_assert_ptr_eq(fr[n - 1].linkage, linkage[i]);
	}
	sym_get_stats(s, &st);
	ck_assert_uint_eq(st.dwarf_opened, 1);
	sym_free(s);
}
END_TEST

/* The inlined functions libdw sees around addr, innermost first, as the
 * symbolizer always found them: dwarf_getscopes' innermost scope, then
 * dwarf_getscopes_die's parents of it, up to the physical function; their
 * DIE names (linkage name, else name) into names. -1 when libdw finds no
 * scopes (the symbolizer then gives no inlined frames). */
static int libdw_inlined(Dwfl_Module *mod, uint64_t addr, const char **names, int max)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias), *scopes = NULL;
	if (!cu)
		return -1;
	int n = dwarf_getscopes(cu, addr - bias, &scopes);
	if (n <= 0) {
		free(scopes);
		return -1;
	}
	Dwarf_Die innermost = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&innermost, &scopes);
	int k = 0;
	for (int i = 0; i < n && dwarf_tag(&scopes[i]) != DW_TAG_subprogram; i++) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine || k == max)
			continue;
		Dwarf_Attribute a;
		const char *name = NULL;
		if (dwarf_attr_integrate(&scopes[i], DW_AT_linkage_name, &a) ||
		    dwarf_attr_integrate(&scopes[i], DW_AT_MIPS_linkage_name, &a))
			name = dwarf_formstring(&a);
		names[k++] = name ? name : dwarf_diename(&scopes[i]);
	}
	free(scopes);
	return n > 0 ? k : -1;
}

/* sym_lookup's inlined frames at every stride-th address of path's code
 * against libdw's scopes: how many there are, and, for C names (the
 * symbolizer demangles), which. Returns how many addresses had some. */
static long scopes_match_libdw(const char *path, uint64_t stride)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, path, NULL, 0);
	Dwfl *dwfl;
	Dwfl_Module *mod = libdw_open(path, &dwfl);
	Dwarf_Addr dbias;
	GElf_Addr lo, hi;
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	long inlined = 0, differ = 0;
	if (sym_module_status(m) != SYM_OK || !dwfl_module_getdwarf(mod, &dbias))
		goto out;
	for (uint64_t a = lo; a < hi; a += stride) {
		const char *want[SYM_MAX_INLINE];
		int nw = libdw_inlined(mod, a, want, SYM_MAX_INLINE - 1);
		struct sym_frame fr[SYM_MAX_INLINE];
		int n = sym_lookup(m, a + 1, fr, SYM_MAX_INLINE), ni = 0;
		while (ni < n && fr[ni].inlined)
			ni++;
		int ok = ni == (nw < 0 ? 0 : nw);
		for (int i = 0; ok && i < ni; i++)
			if (want[i] && strncmp(want[i], "_Z", 2) != 0)
				ok = fr[i].function && strcmp(fr[i].function, want[i]) == 0;
		inlined += ni > 0;
		if (!ok && differ++ < 5)
			fprintf(stderr, "%s+0x%llx: libdw %d inlined, symbolizer %d\n", path, (unsigned long long)a, nw, ni);
	}
	struct sym_stats st;
	sym_get_stats(s, &st);
	fprintf(stderr, "%s: %ld addresses with inlined frames, %ld differ, %llu units walked, %llu left to libdw\n",
		path, inlined, differ, (unsigned long long)st.units_walked, (unsigned long long)st.scopes_slow);
	ck_assert_int_eq(differ, 0);
out:
	dwfl_end(dwfl);
	sym_free(s);
	return inlined;
}

START_TEST(inlined_frames_are_the_scopes_libdw_finds)
{
	ck_assert_int_gt(scopes_match_libdw(self_path, 1), 0);
	/* libc with its debug file, where one is installed (libc6-dbg) */
	scopes_match_libdw(libc_path, 211);
}
END_TEST

/* ---------- exported names ---------------------------------------------- */

/* Whether some .dynsym entry of path exports name, read the long way. */
static int dynsym_exports(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			gelf_getsym(d, (int)i, &sym);
			int bind = GELF_ST_BIND(sym.st_info);
			const char *n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && strcmp(n, name) == 0 && sym.st_shndx != SHN_UNDEF &&
			    (bind == STB_GLOBAL || bind == STB_WEAK) && GELF_ST_VISIBILITY(sym.st_other) == STV_DEFAULT)
				return 1;
		}
	}
	return 0;
}

static void exported_matches_dynsym(const char *path)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, path, NULL, 0);
	Dwfl *dwfl;
	Dwfl_Module *mod = libdw_open(path, &dwfl);
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	int n = dwfl_module_getsymtab(mod), yes = 0;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		char buf[4096];
		const char *name = dwfl_module_getsym(mod, i, &sym, NULL);
		if (!name || !*name)
			continue;
		snprintf(buf, sizeof(buf), "%s", name);
		char *at = strchr(buf, '@');
		if (at && at != buf)
			*at = '\0';
		int want = dynsym_exports(elf, buf);
		yes += want;
		ck_assert_msg(sym_is_exported(m, buf) == want, "%s: %s", path, buf);
	}
	ck_assert_int_gt(yes, 0);
	ck_assert(!sym_is_exported(m, "no_such_function_here"));
	ck_assert(!sym_is_exported(m, NULL));
	dwfl_end(dwfl);
	sym_free(s);
}

START_TEST(exported_means_exported_by_dynsym)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	struct sym_module *m = sym_module_get(s, HBUNIT_SYMTAB_PATH, NULL, 0);
	const char *yes[] = {"outer", "inner", "g_alias", "w_alias", "weak_fn", "tail_fn", "an_object", "label_after"};
	const char *no[] = {"hidden_fn", "protected_fn", "local_fn", "l_alias", "local_label"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(sym_is_exported(m, yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!sym_is_exported(m, no[i]), "%s", no[i]);
	sym_free(s);
	exported_matches_dynsym(HBUNIT_SYMTAB_PATH);
	exported_matches_dynsym(libc_path);
}
END_TEST

/* The fuzz targets' symbolizer (sym_new_offline) opens nothing: a module
 * a symbolizer of its own finds and names is missing, named by nothing,
 * and no symbol table or DWARF is read. */
START_TEST(an_offline_symbolizer_opens_no_file)
{
	struct symbolizer *on = sym_new(NULL, NULL), *off = sym_new_offline();
	ck_assert_ptr_nonnull(off);
	struct sym_module *a = sym_module_get(on, self_path, NULL, 0), *b = sym_module_get(off, self_path, NULL, 0);
	ck_assert_int_eq(sym_module_status(a), SYM_OK);
	ck_assert_int_eq(sym_module_status(b), SYM_MISSING);
	ck_assert(!sym_module_found(b));
	ck_assert_ptr_null(sym_module_file(b));
	ck_assert_str_eq(sym_module_path(b), self_path);
	struct sym_frame f[SYM_MAX_INLINE];
	ck_assert_int_gt(sym_lookup(a, offset_of(one, 2), f, SYM_MAX_INLINE), 0);
	ck_assert_int_eq(sym_lookup(b, offset_of(one, 2), f, SYM_MAX_INLINE), 0);
	const char *fn, *linkage;
	ck_assert_int_eq(sym_function(b, offset_of(one, 2), &fn, &linkage), 0);
	ck_assert(!sym_is_exported(b, "main"));
	struct sym_stats st;
	sym_get_stats(off, &st);
	ck_assert_uint_eq(st.symtab_indexed, 0);
	ck_assert_uint_eq(st.dwarf_opened, 0);
	ck_assert_uint_eq(st.symtab_lookups + st.dwarf_lookups, 0);
	sym_free(on);
	sym_free(off);
}
END_TEST

static Suite *symbolizer_suite(void)
{
	Suite *s = suite_create("symbolizer");
	TCase *t = tcase_create("symbolizer");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, the_index_names_what_libdw_names);
	tcase_add_test(t, the_index_names_what_libdw_names_in_libc);
	tcase_add_test(t, a_cached_result_is_the_first_lookup);
	tcase_add_test(t, an_inlined_call_is_a_frame_of_its_own);
	tcase_add_test(t, inlined_frames_are_the_scopes_libdw_finds);
	tcase_add_test(t, naming_a_function_reads_no_dwarf);
	tcase_add_test(t, exported_means_exported_by_dynsym);
	tcase_add_test(t, an_offline_symbolizer_opens_no_file);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	one(1);
	two(2);
	SRunner *sr = srunner_create(symbolizer_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
