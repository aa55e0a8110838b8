/*
 * test_module_map.c - unit tests for shim/module_map.h, the map from an
 * address to the loaded object that holds it.
 *
 * Runs against the test process itself: a refresh finds the executable
 * (named by /proc/self/exe) and libc; an address inside one of this file's
 * functions maps to the executable, the address of printf to libc with
 * `wrapper` set; the executable's build-id equals the GNU build-id note read
 * straight from the file on disk (not through the loader, so the two paths
 * check each other). dlopen of a library built beside this test makes the
 * next refresh return 1 and fire `loaded` for it, with a fresh id and its
 * code mapped back to it; dlclose fires `unloaded`, keeps the module's id
 * with loaded == 0, and its addresses no longer map. The wrapper rules:
 * hb_glob_match's '*' and '?', and a HEAPBLAME_WRAPPERS-style list where a
 * plain name ("libm") matches the library and its versions.
 */
#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module_map.h"

#ifndef HBUNIT_DLMOD_PATH
#error "HBUNIT_DLMOD_PATH must name the test library (see tests/unit/meson.build)"
#endif

/* ---- helpers ------------------------------------------------------------ */

#define MAX_EVENTS 512

struct events {
	unsigned nloaded, nunloaded;
	uint32_t loaded_id[MAX_EVENTS];
	char loaded_path[MAX_EVENTS][256];
	uint32_t unloaded_id[MAX_EVENTS];
	uint8_t unloaded_flag[MAX_EVENTS]; /* m->loaded at the time of the event */
};

static void on_loaded(void *ctx, const struct hb_module *m)
{
	struct events *ev = ctx;
	if (ev->nloaded < MAX_EVENTS) {
		ev->loaded_id[ev->nloaded] = m->id;
		snprintf(ev->loaded_path[ev->nloaded], sizeof(ev->loaded_path[0]), "%s", m->path);
	}
	ev->nloaded++;
}

static void on_unloaded(void *ctx, const struct hb_module *m)
{
	struct events *ev = ctx;
	if (ev->nunloaded < MAX_EVENTS) {
		ev->unloaded_id[ev->nunloaded] = m->id;
		ev->unloaded_flag[ev->nunloaded] = m->loaded;
	}
	ev->nunloaded++;
}

/* A map lives as long as its test process, as the shim's lives as long as
 * its host (it has no destroy: its ranges are mapped). Each one made is kept
 * here, so that LeakSanitizer (the sanitized build) does not call it lost. */
static struct hb_module_map *maps_made[64];
static unsigned nmaps_made;

/* libc's own printf. libc_printf() finds the first
 * definition in the process, which under AddressSanitizer is its
 * interceptor in libasan.so, not libc's. */
static void *libc_printf(void)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	ck_assert_ptr_nonnull(h);
	void *pf = dlsym(h, "printf");
	dlclose(h);
	return pf;
}

static struct hb_module_map *map_new(const char *wrappers, uintptr_t self, struct events *ev)
{
	struct hb_module_map *m = calloc(1, sizeof(*m));
	if (nmaps_made < sizeof(maps_made) / sizeof(maps_made[0]))
		maps_made[nmaps_made++] = m;
	struct hb_module_map_events e = {on_loaded, on_unloaded, ev};
	ck_assert_int_eq(hb_module_map_init(m, wrappers, self, ev ? &e : NULL), 0);
	ck_assert_int_eq(hb_module_map_refresh(m, 1), 1); /* takes the lock itself */
	return m;
}

static int refresh(struct hb_module_map *m, int force)
{
	int rc = hb_module_map_refresh(m, force);
	/* it must have let go of the lock */
	ck_assert_int_eq(pthread_mutex_trylock(&m->lock), 0);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

struct find_path {
	const char *base_prefix;
	const struct hb_module *found;
	unsigned matches;
};

static void find_by_base(void *ctx, const struct hb_module *mod)
{
	struct find_path *f = ctx;
	if (strncmp(base_name(mod->path), f->base_prefix, strlen(f->base_prefix)) == 0) {
		f->found = mod;
		f->matches++;
	}
}

static const struct hb_module *module_by_base(struct hb_module_map *m, const char *prefix, unsigned *matches)
{
	struct find_path f = {prefix, NULL, 0};
	hb_module_map_foreach(m, find_by_base, &f);
	if (matches)
		*matches = f.matches;
	return f.found;
}

/* A function of the test executable whose address we look up. */
__attribute__((noinline)) static int local_function(int x)
{
	return x * 3 + 1;
}

/* The GNU build-id of an ELF file, from its program headers on disk.
 * Returns the length, 0 when there is none, -1 on a read error. */
static int build_id_from_file(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int ret = -1;
	Elf64_Ehdr eh;
	if (fread(&eh, sizeof(eh), 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	ret = 0;
	for (unsigned i = 0; i < eh.e_phnum && ret == 0; i++) {
		Elf64_Phdr ph;
		if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) != 0 ||
		    fread(&ph, sizeof(ph), 1, f) != 1) {
			ret = -1;
			break;
		}
		if (ph.p_type != PT_NOTE || ph.p_filesz > 65536)
			continue;
		uint8_t *buf = malloc(ph.p_filesz);
		if (fseek(f, (long)ph.p_offset, SEEK_SET) != 0 || fread(buf, 1, ph.p_filesz, f) != ph.p_filesz) {
			free(buf);
			ret = -1;
			break;
		}
		for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= ph.p_filesz;) {
			Elf64_Nhdr nh;
			memcpy(&nh, buf + off, sizeof(nh));
			size_t name_at = off + sizeof(nh);
			size_t desc_at = name_at + ((nh.n_namesz + 3) & ~3u);
			size_t next = desc_at + ((nh.n_descsz + 3) & ~3u);
			if (next > ph.p_filesz)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(buf + name_at, "GNU", 4) == 0 &&
			    nh.n_descsz <= cap) {
				memcpy(out, buf + desc_at, nh.n_descsz);
				ret = (int)nh.n_descsz;
				break;
			}
			off = next;
		}
		free(buf);
	}
out:
	fclose(f);
	return ret;
}

/* ---- the running process ------------------------------------------------ */

START_TEST(refresh_finds_executable_and_libc)
{
	struct events ev = {0};
	struct hb_module_map *m = map_new(NULL, 0, &ev);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';

	const struct hb_module *me = hb_module_map_find(m, (uintptr_t)&local_function);
	ck_assert_ptr_nonnull(me);
	ck_assert_str_eq(me->path, exe);
	ck_assert_uint_eq(me->loaded, 1);
	ck_assert_uint_eq(me->wrapper, 0);
	ck_assert_uint_eq(me->is_self, 0);
	ck_assert_uint_ge(me->nseg, 1);
	ck_assert_uint_ge(me->id, 1);

	void *pf = libc_printf();
	ck_assert_ptr_nonnull(pf);
	const struct hb_module *libc = hb_module_map_find(m, (uintptr_t)pf);
	ck_assert_ptr_nonnull(libc);
	ck_assert_msg(strncmp(base_name(libc->path), "libc.so", 7) == 0, "printf is in %s", libc->path);
	ck_assert_uint_eq(libc->wrapper, 1);
	ck_assert_uint_eq(libc->loaded, 1);
	ck_assert_uint_ne(libc->id, me->id);
	ck_assert_uint_eq(libc->build_id_len, 20); /* Debian's libc carries a SHA-1 build-id */

	/* both were announced, under the ids they carry */
	ck_assert_uint_ge(ev.nloaded, 2);
	ck_assert_uint_eq(ev.nunloaded, 0);
	int saw_me = 0, saw_libc = 0;
	for (unsigned i = 0; i < ev.nloaded && i < MAX_EVENTS; i++) {
		saw_me += ev.loaded_id[i] == me->id && strcmp(ev.loaded_path[i], exe) == 0;
		saw_libc += ev.loaded_id[i] == libc->id;
	}
	ck_assert_int_eq(saw_me, 1);
	ck_assert_int_eq(saw_libc, 1);
	/* ids are 1..n without gaps */
	for (unsigned i = 0; i < ev.nloaded && i < MAX_EVENTS; i++)
		ck_assert_uint_eq(ev.loaded_id[i], i + 1);
	ck_assert_uint_eq(m->next_id, ev.nloaded + 1);
}
END_TEST

START_TEST(addresses_outside_every_module_are_not_found)
{
	struct hb_module_map *m = map_new(NULL, 0, NULL);
	ck_assert_ptr_null(hb_module_map_find(m, 0));
	ck_assert_ptr_null(hb_module_map_find(m, 16));
	int on_stack;
	ck_assert_ptr_null(hb_module_map_find(m, (uintptr_t)&on_stack));
	void *heap = malloc(64);
	ck_assert_ptr_null(hb_module_map_find(m, (uintptr_t)heap));
	free(heap);
	ck_assert_ptr_null(hb_module_map_find(m, UINTPTR_MAX));
}
END_TEST

START_TEST(segments_cover_the_code)
{
	struct hb_module_map *m = map_new(NULL, 0, NULL);
	uintptr_t fn = (uintptr_t)&local_function;
	const struct hb_module *me = hb_module_map_find(m, fn);
	ck_assert_ptr_nonnull(me);
	/* exactly one segment of the module holds the function, an executable one */
	unsigned holders = 0;
	for (uint32_t i = 0; i < me->nseg; i++) {
		uintptr_t lo = me->bias + me->seg[i].vaddr;
		if (fn >= lo && fn < lo + me->seg[i].memsz) {
			holders++;
			ck_assert_uint_eq(me->seg[i].flags & 1u, 1u); /* PF_X */
		}
	}
	ck_assert_uint_eq(holders, 1);
}
END_TEST

/* The module that by its segments holds addr, found by a plain scan. */
struct holder {
	uintptr_t addr;
	const struct hb_module *found;
	unsigned n;
};

static void holder_fn(void *ctx, const struct hb_module *mod)
{
	struct holder *h = ctx;
	if (!mod->loaded)
		return;
	for (uint32_t i = 0; i < mod->nseg; i++) {
		uintptr_t lo = mod->bias + mod->seg[i].vaddr;
		if (h->addr >= lo && h->addr - lo < mod->seg[i].memsz) {
			h->found = mod;
			h->n++;
		}
	}
}

static const struct hb_module *scan_holder(struct hb_module_map *m, uintptr_t addr)
{
	struct holder h = {addr, NULL, 0};
	hb_module_map_foreach(m, holder_fn, &h);
	ck_assert_uint_le(h.n, 1); /* segments never overlap */
	return h.found;
}

struct seg_list {
	unsigned n;
	uintptr_t lo[1024], hi[1024];
	const struct hb_module *mod[1024];
};

static void seg_list_fn(void *ctx, const struct hb_module *mod)
{
	struct seg_list *l = ctx;
	if (!mod->loaded)
		return;
	for (uint32_t i = 0; i < mod->nseg && l->n < 1024; i++) {
		l->lo[l->n] = mod->bias + mod->seg[i].vaddr;
		l->hi[l->n] = l->lo[l->n] + mod->seg[i].memsz;
		l->mod[l->n] = mod;
		l->n++;
	}
}

START_TEST(segment_bounds_are_half_open)
{
	/* first byte in, last byte in; the byte past the end and the byte
	 * before the start belong to whatever a plain scan says */
	struct hb_module_map *m = map_new(NULL, 0, NULL);
	static struct seg_list l;
	l.n = 0;
	hb_module_map_foreach(m, seg_list_fn, &l);
	unsigned checked = 0;
	for (unsigned k = 0; k < l.n; k++) {
		uintptr_t lo = l.lo[k], hi = l.hi[k];
		if (hi == lo)
			continue;
		ck_assert_ptr_eq(hb_module_map_find(m, lo), l.mod[k]);
		ck_assert_ptr_eq(hb_module_map_find(m, hi - 1), l.mod[k]);
		ck_assert_ptr_eq(hb_module_map_find(m, lo + (hi - lo) / 2), l.mod[k]);
		ck_assert_ptr_eq(hb_module_map_find(m, hi), scan_holder(m, hi));
		ck_assert_ptr_eq(hb_module_map_find(m, lo - 1), scan_holder(m, lo - 1));
		checked++;
	}
	ck_assert_uint_ge(checked, 8); /* the exe, libc, ld.so: several segments each */
}
END_TEST

START_TEST(build_id_matches_the_file)
{
	struct hb_module_map *m = map_new(NULL, 0, NULL);
	const struct hb_module *me = hb_module_map_find(m, (uintptr_t)&local_function);
	ck_assert_ptr_nonnull(me);
	uint8_t want[64];
	int n = build_id_from_file("/proc/self/exe", want, sizeof(want));
	ck_assert_int_eq(n, 20); /* gcc on Debian links with --build-id (SHA-1) */
	ck_assert_uint_eq(me->build_id_len, 20);
	ck_assert_int_eq(memcmp(me->build_id, want, 20), 0);

	/* and libc's, from its own file */
	const struct hb_module *libc = hb_module_map_find(m, (uintptr_t)libc_printf());
	ck_assert_ptr_nonnull(libc);
	n = build_id_from_file(libc->path, want, sizeof(want));
	ck_assert_int_eq(n, (int)libc->build_id_len);
	ck_assert_int_eq(memcmp(libc->build_id, want, (size_t)n), 0);
}
END_TEST

/* A host thread may allocate inside its own dl_iterate_phdr callback, with
 * the loader's lock held; a new stack then refreshes the map from there. */
static int refresh_from_callback(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	struct hb_module_map *m = data;
	ck_assert_int_eq(hb_module_map_refresh(m, 1), 1);
	return 1;
}

START_TEST(refresh_inside_loader_callback)
{
	struct hb_module_map *m = map_new(NULL, 0, NULL);
	ck_assert_int_eq(dl_iterate_phdr(refresh_from_callback, m), 1);
	ck_assert_int_eq(pthread_mutex_trylock(&m->lock), 0);
	pthread_mutex_unlock(&m->lock);
	ck_assert_ptr_nonnull(hb_module_map_find(m, (uintptr_t)&printf));
}
END_TEST

START_TEST(refresh_without_change_returns_zero)
{
	struct events ev = {0};
	struct hb_module_map *m = map_new(NULL, 0, &ev);
	unsigned loaded = ev.nloaded;
	ck_assert_int_eq(refresh(m, 0), 0);
	ck_assert_int_eq(refresh(m, 0), 0);
	/* a forced rescan finds the same modules: no event, same ids */
	ck_assert_int_eq(refresh(m, 1), 1);
	ck_assert_uint_eq(ev.nloaded, loaded);
	ck_assert_uint_eq(ev.nunloaded, 0);
	ck_assert_uint_eq(m->next_id, loaded + 1);
	ck_assert_int_eq(m->unloads_since_check, 0);
}
END_TEST

START_TEST(self_address_marks_its_module)
{
	struct hb_module_map *m = map_new(NULL, (uintptr_t)&local_function, NULL);
	const struct hb_module *me = hb_module_map_find(m, (uintptr_t)&local_function);
	ck_assert_ptr_nonnull(me);
	ck_assert_uint_eq(me->is_self, 1);
	ck_assert_uint_eq(me->wrapper, 1); /* the shim is never blamed */
	const struct hb_module *libc = hb_module_map_find(m, (uintptr_t)libc_printf());
	ck_assert_uint_eq(libc->is_self, 0);
}
END_TEST

/* ---- dlopen / dlclose --------------------------------------------------- */

START_TEST(dlopen_and_dlclose_are_seen)
{
	struct events ev = {0};
	struct hb_module_map *m = map_new(NULL, 0, &ev);
	unsigned before = ev.nloaded;
	ck_assert_ptr_null(module_by_base(m, "libhbunit_dlmod", NULL));

	void *h = dlopen(HBUNIT_DLMOD_PATH, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	int (*answer)(int) = (int (*)(int))dlsym(h, "hbunit_dlmod_answer");
	ck_assert_ptr_nonnull(answer);
	ck_assert_int_eq(answer(20), 41);

	ck_assert_int_eq(refresh(m, 0), 1);
	ck_assert_uint_eq(ev.nloaded, before + 1);
	ck_assert_str_eq(base_name(ev.loaded_path[before]), "libhbunit_dlmod.so");
	uint32_t id = ev.loaded_id[before];
	ck_assert_uint_eq(id, before + 1);

	const struct hb_module *mod = hb_module_map_find(m, (uintptr_t)answer);
	ck_assert_ptr_nonnull(mod);
	ck_assert_uint_eq(mod->id, id);
	ck_assert_uint_eq(mod->loaded, 1);
	ck_assert_uint_eq(mod->wrapper, 0);
	ck_assert_str_eq(base_name(mod->path), "libhbunit_dlmod.so");
	uint8_t want[64];
	int n = build_id_from_file(HBUNIT_DLMOD_PATH, want, sizeof(want));
	ck_assert_int_eq(n, (int)mod->build_id_len);
	ck_assert_int_eq(memcmp(mod->build_id, want, (size_t)n), 0);
	uintptr_t addr = (uintptr_t)answer;
	/* nothing moved: no more refresh work */
	ck_assert_int_eq(refresh(m, 0), 0);

	ck_assert_int_eq(dlclose(h), 0);
	ck_assert_int_eq(refresh(m, 0), 1);
	ck_assert_uint_eq(ev.nunloaded, 1);
	ck_assert_uint_eq(ev.unloaded_id[0], id);
	ck_assert_uint_eq(ev.unloaded_flag[0], 0); /* marked before the event */
	ck_assert_uint_eq(ev.nloaded, before + 1);
	ck_assert_int_eq(m->unloads_since_check, 1);

	/* the module record stays, with its id, not loaded */
	unsigned matches;
	const struct hb_module *gone = module_by_base(m, "libhbunit_dlmod", &matches);
	ck_assert_uint_eq(matches, 1);
	ck_assert_ptr_eq(gone, mod);
	ck_assert_uint_eq(gone->id, id);
	ck_assert_uint_eq(gone->loaded, 0);
	ck_assert_ptr_null(hb_module_map_find(m, addr));
}
END_TEST

/* A fork child's definitions name an unloaded module's frames after it
 * (recorder.c): the module is still found by its id, and still holds the
 * addresses it held, although find no longer returns it for them. */
START_TEST(unloaded_module_is_found_by_id_and_holds_its_addresses)
{
	struct events ev = {0};
	struct hb_module_map *m = map_new(NULL, 0, &ev);
	void *h = dlopen(HBUNIT_DLMOD_PATH, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	uintptr_t addr = (uintptr_t)dlsym(h, "hbunit_dlmod_answer");
	ck_assert_uint_ne(addr, 0);
	ck_assert_int_eq(refresh(m, 0), 1);
	const struct hb_module *mod = hb_module_map_find(m, addr);
	ck_assert_ptr_nonnull(mod);
	ck_assert_int_eq(hb_module_contains(mod, addr), 1);
	ck_assert_int_eq(hb_module_contains(mod, (uintptr_t)&local_function), 0);
	uint32_t id = mod->id;

	ck_assert_int_eq(dlclose(h), 0);
	ck_assert_int_eq(refresh(m, 0), 1);
	ck_assert_ptr_null(hb_module_map_find(m, addr));
	ck_assert_ptr_eq(hb_module_map_by_id(m, id), mod);
	ck_assert_uint_eq(mod->loaded, 0);
	ck_assert_int_eq(hb_module_contains(mod, addr), 1);
	ck_assert_ptr_null(hb_module_map_by_id(m, 0));
	ck_assert_ptr_null(hb_module_map_by_id(m, UINT32_MAX));
}
END_TEST

START_TEST(reload_gets_a_new_id)
{
	struct events ev = {0};
	struct hb_module_map *m = map_new(NULL, 0, &ev);
	void *h = dlopen(HBUNIT_DLMOD_PATH, RTLD_NOW);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(refresh(m, 0), 1);
	const struct hb_module *first = module_by_base(m, "libhbunit_dlmod", NULL);
	ck_assert_ptr_nonnull(first);
	uint32_t first_id = first->id;
	ck_assert_int_eq(dlclose(h), 0);
	ck_assert_int_eq(refresh(m, 0), 1);
	h = dlopen(HBUNIT_DLMOD_PATH, RTLD_NOW);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(refresh(m, 0), 1);
	void *fn = dlsym(h, "hbunit_dlmod_answer");
	const struct hb_module *second = hb_module_map_find(m, (uintptr_t)fn);
	ck_assert_ptr_nonnull(second);
	ck_assert_ptr_ne(second, first);
	ck_assert_uint_gt(second->id, first_id);
	ck_assert_uint_eq(second->loaded, 1);
	ck_assert_uint_eq(first->loaded, 0);
	ck_assert_uint_eq(first->id, first_id);
	unsigned matches;
	module_by_base(m, "libhbunit_dlmod", &matches);
	ck_assert_uint_eq(matches, 2);
	dlclose(h);
}
END_TEST

/* ---- wrapper rules ------------------------------------------------------ */

START_TEST(glob_matches_star_and_question)
{
#define G(pat, s) hb_glob_match(pat, strlen(pat), s)
	ck_assert_int_eq(G("libc.so.6", "libc.so.6"), 1);
	ck_assert_int_eq(G("libc.so.6", "libc.so.7"), 0);
	ck_assert_int_eq(G("libc.so.6", "libc.so.6x"), 0);
	ck_assert_int_eq(G("libc.so.6x", "libc.so.6"), 0);
	ck_assert_int_eq(G("*", ""), 1);
	ck_assert_int_eq(G("*", "anything.so"), 1);
	ck_assert_int_eq(G("", ""), 1);
	ck_assert_int_eq(G("", "a"), 0);
	ck_assert_int_eq(G("?", ""), 0);
	ck_assert_int_eq(G("?", "a"), 1);
	ck_assert_int_eq(G("?", "ab"), 0);
	ck_assert_int_eq(G("lib?.so", "libm.so"), 1);
	ck_assert_int_eq(G("lib?.so", "libmm.so"), 0);
	ck_assert_int_eq(G("lib*.so*", "libglib-2.0.so.0"), 1);
	ck_assert_int_eq(G("lib*.so*", "libm.so.6"), 1);
	ck_assert_int_eq(G("lib*.so*", "lib.so"), 1);
	ck_assert_int_eq(G("lib*.so*", "libm.a"), 0);
	ck_assert_int_eq(G("lib*.so*", "glib.so"), 0);
	ck_assert_int_eq(G("libglib*", "libglib-2.0.so.0"), 1);
	ck_assert_int_eq(G("libglib*", "libgio-2.0.so.0"), 0);
	ck_assert_int_eq(G("*.so.6", "libm.so.6"), 1);
	ck_assert_int_eq(G("*.so.6", "libm.so.60"), 0);
	ck_assert_int_eq(G("*a*b*c", "xxaxxbxxc"), 1);
	ck_assert_int_eq(G("*a*b*c", "xxaxxbxxcx"), 0);
	ck_assert_int_eq(G("a**b", "ab"), 1);
	ck_assert_int_eq(G("a*?b", "ab"), 0);
	ck_assert_int_eq(G("a*?b", "axb"), 1);
	ck_assert_int_eq(G("*ss", "mississ"), 1); /* backtracking past a false start */
#undef G
	/* only patlen bytes of the pattern count (lists are not NUL-split) */
	ck_assert_int_eq(hb_glob_match("libm,libz", 4, "libm"), 1);
	ck_assert_int_eq(hb_glob_match("libm*,x", 5, "libm.so.6"), 1);
	ck_assert_int_eq(hb_glob_match("libm,libz", 4, "libz"), 0);
}
END_TEST

START_TEST(glob_star_matches_a_literal_star)
{
	/* '*' in a pattern matches any run, including one that starts with a
	 * '*' character of the name */
	ck_assert_int_eq(hb_glob_match("a*b", 3, "a*xb"), 1);
	ck_assert_int_eq(hb_glob_match("*b", 2, "*xb"), 1);
}
END_TEST

START_TEST(wrapper_list_marks_named_modules)
{
	/* libm may or may not be linked already; dlopen makes sure it is in */
	void *h = dlopen("libm.so.6", RTLD_NOW);
	ck_assert_msg(h != NULL, "dlopen libm.so.6: %s", dlerror());
	void *cosp = dlsym(h, "cos");
	ck_assert_ptr_nonnull(cosp);
	void *dh = dlopen(HBUNIT_DLMOD_PATH, RTLD_NOW);
	ck_assert_ptr_nonnull(dh);
	void *ans = dlsym(dh, "hbunit_dlmod_answer");

	/* no list: neither is a wrapper */
	struct hb_module_map *m = map_new(NULL, 0, NULL);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)cosp)->wrapper, 0);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)ans)->wrapper, 0);

	/* a plain name matches the library and its versions */
	m = map_new("libm", 0, NULL);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)cosp)->wrapper, 1);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)ans)->wrapper, 0);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)&local_function)->wrapper, 0);

	/* several entries, globs among them */
	m = map_new("libfoo,libhbunit_*,libm.so.6", 0, NULL);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)cosp)->wrapper, 1);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)ans)->wrapper, 1);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)&local_function)->wrapper, 0);

	/* a name is not a prefix: "lib" does not make every lib* a wrapper */
	m = map_new("lib,libhbunit", 0, NULL);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)cosp)->wrapper, 0);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)ans)->wrapper, 0);

	/* empty entries are ignored */
	m = map_new(",,libhbunit_dlmod,", 0, NULL);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)ans)->wrapper, 1);
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)cosp)->wrapper, 0);

	/* libc stays a wrapper whatever the list says */
	ck_assert_uint_eq(hb_module_map_find(m, (uintptr_t)libc_printf())->wrapper, 1);
	dlclose(dh);
	dlclose(h);
}
END_TEST

static Suite *module_map_suite(void)
{
	Suite *s = suite_create("module_map");
	TCase *tc = tcase_create("module_map");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, refresh_finds_executable_and_libc);
	tcase_add_test(tc, addresses_outside_every_module_are_not_found);
	tcase_add_test(tc, segments_cover_the_code);
	tcase_add_test(tc, segment_bounds_are_half_open);
	tcase_add_test(tc, build_id_matches_the_file);
	tcase_add_test(tc, refresh_without_change_returns_zero);
	tcase_add_test(tc, refresh_inside_loader_callback);
	tcase_add_test(tc, self_address_marks_its_module);
	tcase_add_test(tc, dlopen_and_dlclose_are_seen);
	tcase_add_test(tc, unloaded_module_is_found_by_id_and_holds_its_addresses);
	tcase_add_test(tc, reload_gets_a_new_id);
	tcase_add_test(tc, glob_matches_star_and_question);
	tcase_add_test(tc, glob_star_matches_a_literal_star);
	tcase_add_test(tc, wrapper_list_marks_named_modules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(module_map_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
