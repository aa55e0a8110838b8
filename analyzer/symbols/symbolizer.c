/*
 * symbolizer.c - libdw-based symbolization (see symbolizer.h).
 *
 * Each module gets a Dwfl session of its own with the file reported at
 * load address 0, so that module-relative addresses (what the trace
 * records: return address minus load bias) are the ELF's own virtual
 * addresses, for PIE executables, shared objects and fixed-address
 * executables alike. Return addresses point after the call; lookups use
 * address - 1 so that a call at the end of a function, or of an inlined
 * block, resolves to the call and not to what follows it.
 *
 * What keeps the cost to the frames asked about, however large the module:
 *   - the symbol index. dwfl_module_addrinfo reads every symbol of the
 *     table on every call (libLLVM's .dynsym has 45,000: about 1 ms a
 *     lookup, most of `report`'s time on a clang trace). The index is
 *     built once per module from the same table, sorted by address, and
 *     answers with the symbol libdw would have chosen: its rules (globals
 *     first, then locals; the closest start, then the stronger binding,
 *     then the smaller size; a sizeless label only when no sized symbol
 *     covers the address) are replayed on the few symbols that cover the
 *     address. test_symbolizer holds it to dwfl_module_addrinfo on real
 *     libraries. Where values are function descriptors (ppc64 ELFv1) or
 *     sections are relocatable (ET_REL), libdw's own search is used.
 *   - the cache of results, per module, so an address seen in many stacks
 *     or traces is looked up once.
 *   - DWARF opened on the first frame that needs it (need_dwarf): libdw
 *     inflates every compressed debug section as it opens them (43 ms for
 *     libc's), which a module none of whose frames is shown never pays.
 *   - scopes found in one walk down the unit (concrete_scopes_fast), where
 *     libdw's dwarf_getscopes and dwarf_getscopes_die walk it three times.
 *   - exported names looked up in the module's .gnu.hash, as the dynamic
 *     linker does, rather than read from all of .dynsym first.
 */
#include "symbolizer.h"
#include "symbols/local_debuginfo.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* C++ names are demangled by libstdc++'s __cxa_demangle, loaded with the
 * first mangled name a report shows: a report on C code never maps
 * libstdc++, whose relocation alone makes 1.4 MB of it resident. Without
 * it (not installed), names stay mangled. */
typedef char *cxa_demangle_fn(const char *mangled, char *buf, size_t *len, int *status);

static cxa_demangle_fn *cxa_demangle(void)
{
	static int tried;
	static cxa_demangle_fn *fn;
	if (!tried) {
		tried = 1;
		void *lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (lib)
			fn = (cxa_demangle_fn *)dlsym(lib, "__cxa_demangle");
	}
	return fn;
}

/* One symbol of the index: a candidate of libdw's search (named, defined,
 * not a section, file or TLS symbol). */
struct sym_elfsym {
	uint64_t value, size;
	const char *name;     /* as in the table (maybe versioned), libelf's memory */
	const char *linkage;  /* unversioned; NULL until first asked */
	const char *function; /* demangled; NULL until first asked */
	int32_t index;        /* position in libdw's table: its order of preference */
	uint32_t section;     /* sizeless only: the section its value lies in */
	uint8_t bind;         /* binding, higher is preferred (binding_value) */
	uint8_t exact;        /* sizeless in no section (SHN_ABS...): only at its value */
};

/* The symbols of one range of the table (libdw searches the globals, then
 * the locals), sorted by value, with the largest end among each prefix so
 * that the symbols covering an address are found by walking back from it. */
struct sym_range {
	struct sym_elfsym *v;
	uint64_t *max_end;
	size_t n;
};

struct sym_section {
	uint64_t start, end;
	uint32_t ndx;
};

struct sym_symtab {
	int built;
	int use_libdw;         /* ppc64 descriptors, ET_REL: dwfl_module_addrinfo */
	int search_locals;     /* first_global > 1: a second pass over the locals */
	struct sym_range range[2]; /* [0] the globals' range, [1] the locals' */
	struct sym_section *sec; /* SHF_ALLOC sections, sorted as libdw does */
	size_t nsec;
};

/* What libdw's walk of one unit reaches (origin_match in dwarf_getscopes):
 * the DIEs it visits, by address, found on the unit's first inlined frame
 * (see concrete_scopes_fast). */
struct sym_unit {
	void *cu;          /* the unit DIE's address */
	void **set;        /* open addressing; NULL is empty */
	size_t mask, used;
	int failed;        /* libdw's walk fails there: ask libdw every time */
	struct sym_unit *next;
};

/* One cached result of sym_lookup. */
struct sym_result {
	uint64_t off;
	int n;                 /* -1: empty slot */
	struct sym_frame *frames;
};

struct sym_module {
	struct sym_module *next;
	char *path;          /* as recorded */
	char *file;          /* as opened */
	uint8_t build_id[64];
	size_t build_id_len;
	enum sym_status status;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	int dwarf_known;     /* status says OK or NO_DEBUG for sure (need_dwarf) */
	int exported_loaded;
	/* whether a name is exported: .dynsym and its .gnu.hash (libelf's
	 * memory), else a hash set of the exported names */
	Elf *dynelf;
	Elf_Data *dynsym;
	size_t dynstr;
	const uint32_t *gnu_buckets, *gnu_chain;
	uint32_t gnu_nbuckets, gnu_symoffset;
	size_t gnu_nchain, gnu_nsyms;
	const char **exported;
	size_t exported_mask;
	struct sym_symtab symtab;
	struct sym_result *results; /* open addressing by offset */
	size_t rmask, rused;
	struct sym_unit *units;     /* the units an inlined frame was looked up in */
	struct symbolizer *owner;
};

struct symbolizer {
	char *sysroot;
	char *debuginfo_path;
	Dwfl_Callbacks callbacks;
	struct sym_module *modules;
	char **strings;      /* every string handed out, freed with the symbolizer */
	size_t nstrings, capstrings;
	struct sym_stats stats;
	int offline;         /* sym_new_offline: open no file */
};

struct symbolizer *sym_new(const char *sysroot, const char *debug_dir)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sysroot = sysroot ? strdup(sysroot) : NULL;
	size_t n = 64 + (debug_dir ? strlen(debug_dir) : 0) + (sysroot ? strlen(sysroot) : 0);
	s->debuginfo_path = malloc(n);
	if (!s->debuginfo_path) {
		free(s->sysroot);
		free(s);
		return NULL;
	}
	/* by name next to the file and in .debug/, then by name and by build-id
	 * under each absolute directory: the system's debug tree, the
	 * sysroot's, --debug-dir */
	snprintf(s->debuginfo_path, n, "-:.debug:/usr/lib/debug%s%s%s%s%s", sysroot ? ":" : "", sysroot ? sysroot : "",
		 sysroot ? "/usr/lib/debug" : "", debug_dir ? ":" : "", debug_dir ? debug_dir : "");
	s->callbacks.find_elf = dwfl_build_id_find_elf;
	/* the debuginfod client only when there is a server to ask (report
	 * --debuginfod keeps DEBUGINFOD_URLS): local_debuginfo.h says why */
	const char *urls = getenv("DEBUGINFOD_URLS");
	s->callbacks.find_debuginfo = urls && *urls ? dwfl_standard_find_debuginfo : local_debuginfo_find;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	return s;
}

struct symbolizer *sym_new_offline(void)
{
	struct symbolizer *s = sym_new(NULL, NULL);
	if (s)
		s->offline = 1;
	return s;
}

static const char *keep(struct symbolizer *s, char *str)
{
	if (!str)
		return NULL;
	if (s->nstrings == s->capstrings) {
		size_t cap = s->capstrings ? s->capstrings * 2 : 256;
		char **a = realloc(s->strings, cap * sizeof(*a));
		if (!a) {
			free(str);
			return NULL;
		}
		s->strings = a;
		s->capstrings = cap;
	}
	s->strings[s->nstrings++] = str;
	return str;
}

void sym_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (struct sym_module *m = s->modules, *next; m; m = next) {
		next = m->next;
		if (m->dwfl)
			dwfl_end(m->dwfl);
		free(m->exported);
		for (int r = 0; r < 2; r++) {
			free(m->symtab.range[r].v);
			free(m->symtab.range[r].max_end);
		}
		free(m->symtab.sec);
		for (size_t i = 0; m->results && i <= m->rmask; i++)
			free(m->results[i].frames);
		free(m->results);
		for (struct sym_unit *u = m->units, *un; u; u = un) {
			un = u->next;
			free(u->set);
			free(u);
		}
		free(m->path);
		free(m->file);
		free(m);
	}
	for (size_t i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	free(s->strings);
	free(s->sysroot);
	free(s->debuginfo_path);
	free(s);
}

/* Opens file for m, only when it is a regular file: a trace names module
 * paths, and a FIFO (or a device) there would block a blocking open, or
 * the read after it, for ever. Non-blocking, so that the open itself
 * returns at once whatever the path is; the flag means nothing for the
 * regular file it is then read as. 0, or -1 (m's status says why). */
static int try_open(struct sym_module *m, const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	Dwfl *dwfl = dwfl_begin(&m->owner->callbacks);
	if (!dwfl) {
		close(fd);
		return -1;
	}
	dwfl_report_begin(dwfl);
	Dwfl_Module *mod = dwfl_report_elf(dwfl, m->path, file, fd, 0, false); /* consumes fd */
	dwfl_report_end(dwfl, NULL, NULL);
	if (!mod) {
		dwfl_end(dwfl);
		return -1;
	}
	void **userdata = NULL; /* local_debuginfo_find's search path */
	if (dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL) && userdata)
		*userdata = m->owner->debuginfo_path;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (m->build_id_len && (len != (int)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len) != 0)) {
		dwfl_end(dwfl);
		m->status = SYM_MISMATCH;
		free(m->file);
		m->file = strdup(file);
		return -1;
	}
	m->dwfl = dwfl;
	m->mod = mod;
	free(m->file);
	m->file = strdup(file);
	/* whether it has DWARF is found out when first needed (need_dwarf):
	 * libdw inflates every compressed debug section when it opens them,
	 * 43 ms for libc's, wasted on a module whose frames are never shown */
	m->status = SYM_OK;
	return 0;
}

/* Opens m's DWARF, if it has any (its own or a separate debug file's), and
 * settles its status: SYM_OK or SYM_NO_DEBUG. Once per module. */
static void need_dwarf(struct sym_module *m)
{
	if (!m->mod || m->dwarf_known)
		return;
	m->dwarf_known = 1;
	m->owner->stats.dwarf_opened++;
	Dwarf_Addr bias;
	m->status = dwfl_module_getdwarf(m->mod, &bias) ? SYM_OK : SYM_NO_DEBUG;
}

struct sym_module *sym_module_get(struct symbolizer *s, const char *path, const uint8_t *build_id,
				  size_t build_id_len)
{
	for (struct sym_module *m = s->modules; m; m = m->next)
		if (strcmp(m->path, path) == 0 && m->build_id_len == build_id_len &&
		    (build_id_len == 0 || memcmp(m->build_id, build_id, build_id_len) == 0))
			return m;
	struct sym_module *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->path = strdup(path);
	m->owner = s;
	m->build_id_len = build_id_len < sizeof(m->build_id) ? build_id_len : sizeof(m->build_id);
	/* a module without a build id comes as (NULL, 0): memcpy and memcmp
	 * from NULL are undefined even for no bytes (UBSan: nonnull-attribute) */
	if (m->build_id_len)
		memcpy(m->build_id, build_id, m->build_id_len);
	m->status = SYM_MISSING;
	if (path[0] == '/' && !s->offline) {
		char file[8192];
		int found = 0;
		if (s->sysroot) {
			snprintf(file, sizeof(file), "%s%s", s->sysroot, path);
			found = try_open(m, file) == 0;
		}
		if (!found && m->status != SYM_MISMATCH)
			found = try_open(m, path) == 0;
		if (!found && s->sysroot && m->status == SYM_MISMATCH) {
			/* the sysroot's copy is another build: the recorded path may
			 * still hold the right one */
			enum sym_status st = m->status;
			if (try_open(m, path) != 0)
				m->status = st;
		}
	}
	m->next = s->modules;
	s->modules = m;
	return m;
}

enum sym_status sym_module_status(struct sym_module *m)
{
	need_dwarf(m);
	return m->status;
}

int sym_module_found(const struct sym_module *m)
{
	return m->status != SYM_MISSING && m->status != SYM_MISMATCH;
}

const char *sym_module_file(const struct sym_module *m)
{
	return m->file;
}

const char *sym_module_path(const struct sym_module *m)
{
	return m->path;
}

void sym_module_build_id_hex(const struct sym_module *m, char *out, size_t cap)
{
	size_t n = 0;
	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < m->build_id_len && n + 3 <= cap; i++, n += 2)
		snprintf(out + n, cap - n, "%02x", m->build_id[i]);
}

struct sym_module *sym_module_next(struct symbolizer *s, struct sym_module *prev)
{
	return prev ? prev->next : s->modules;
}

/* An ELF symbol name without its version suffix ("fopen@@GLIBC_2.2.5"). */
static char *unversioned(const char *name)
{
	const char *at = strchr(name, '@');
	return at && at != name ? strndup(name, (size_t)(at - name)) : strdup(name);
}

static char *demangle(const char *name)
{
	if (!name)
		return NULL;
	if (name[0] == '_' && name[1] == 'Z') {
		int status = -1;
		cxa_demangle_fn *fn = cxa_demangle();
		char *d = fn ? fn(name, NULL, NULL, &status) : NULL;
		if (d && status == 0)
			return d;
		free(d);
	}
	return strdup(name);
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *n = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		n = dwarf_formstring(&a);
	if (!n)
		n = dwarf_diename(die);
	return n;
}

/* The call site of an inlined subroutine: its DW_AT_call_file, named in the
 * file table of the unit that holds the DIE (not necessarily the unit found
 * for the address: a partial unit imported by dwz has its own), and its
 * DW_AT_call_line in *line. NULL, and line 0, when the DIE does not say. */
static const char *call_file(Dwarf_Die *inl, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word file_idx = 0, ln = 0;
	Dwarf_Die cu;
	*line = 0;
	if (!dwarf_attr(inl, DW_AT_call_file, &a) || dwarf_formudata(&a, &file_idx) != 0)
		return NULL;
	if (dwarf_attr(inl, DW_AT_call_line, &a) && dwarf_formudata(&a, &ln) == 0)
		*line = (int)ln;
	Dwarf_Files *files;
	size_t nfiles;
	if (!dwarf_diecu(inl, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || file_idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, file_idx, NULL, NULL);
}

/* ---------- units ---------------------------------------------------------- */

/* The imported units (dwz's partial units) being walked in place of their
 * DW_TAG_imported_unit, innermost first: libdw refuses a cycle. */
struct import_chain {
	void *addr;
	const struct import_chain *outer;
};

static size_t addr_hash(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h;
}

static int unit_add(struct sym_unit *u, void *addr)
{
	if ((u->used + 1) * 2 > u->mask + 1) {
		size_t n = u->mask ? (u->mask + 1) * 2 : 1024;
		void **v = calloc(n, sizeof(*v));
		if (!v)
			return -1;
		for (size_t i = 0; u->set && i <= u->mask; i++) {
			if (!u->set[i])
				continue;
			size_t k = addr_hash(u->set[i]) & (n - 1);
			while (v[k])
				k = (k + 1) & (n - 1);
			v[k] = u->set[i];
		}
		free(u->set);
		u->set = v;
		u->mask = n - 1;
	}
	size_t k = addr_hash(addr) & u->mask;
	while (u->set[k] && u->set[k] != addr)
		k = (k + 1) & u->mask;
	if (!u->set[k]) {
		u->set[k] = addr;
		u->used++;
	}
	return 0;
}

static int unit_has(const struct sym_unit *u, void *addr)
{
	if (!u->set)
		return 0;
	for (size_t k = addr_hash(addr) & u->mask; u->set[k]; k = (k + 1) & u->mask)
		if (u->set[k] == addr)
			return 1;
	return 0;
}

static int imported_children(Dwarf_Die *imp, const struct import_chain *chain, Dwarf_Die *first);
static int may_have_scopes(Dwarf_Die *die);

/* Adds every DIE libdw's walk from *first visits to u. 0, or -1 when that
 * walk fails (or out of memory). */
static int reach_walk(struct sym_unit *u, Dwarf_Die *first, const struct import_chain *chain)
{
	Dwarf_Die child = *first;
	int ret;
	do {
		while (dwarf_tag(&child) == DW_TAG_imported_unit) {
			Dwarf_Die orig = child, inner;
			int r = imported_children(&orig, chain, &inner);
			if (r < 0)
				return -1;
			if (r > 0) {
				struct import_chain c = {orig.addr, chain};
				if (reach_walk(u, &inner, &c) < 0)
					return -1;
			}
			if ((ret = dwarf_siblingof(&orig, &child)) != 0)
				return ret < 0 ? -1 : 0;
		}
		if (unit_add(u, child.addr) < 0)
			return -1;
		if (may_have_scopes(&child) && dwarf_haschildren(&child)) {
			Dwarf_Die inner;
			if (dwarf_child(&child, &inner) != 0 || reach_walk(u, &inner, chain) < 0)
				return -1;
		}
	} while ((ret = dwarf_siblingof(&child, &child)) == 0);
	return ret < 0 ? -1 : 0;
}

/* m's record of the unit cu, walked on first use; NULL out of memory. */
static struct sym_unit *unit_of(struct sym_module *m, Dwarf_Die *cu)
{
	for (struct sym_unit *u = m->units; u; u = u->next)
		if (u->cu == cu->addr)
			return u;
	struct sym_unit *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->cu = cu->addr;
	m->owner->stats.units_walked++;
	Dwarf_Die first;
	int r = dwarf_child(cu, &first);
	if (r < 0 || (r == 0 && reach_walk(u, &first, NULL) < 0))
		u->failed = 1;
	u->next = m->units;
	m->units = u;
	return u;
}

/* The scopes around the code at pc (unit-relative), innermost first, as
 * they nest in the concrete DIE tree: for code inlined three levels deep,
 * level3's inlined_subroutine, level2's, level1's, then the subprogram that
 * holds them all, then the unit. dwarf_getscopes alone does not give that:
 * once it reaches an inlined_subroutine it goes on with the scopes of its
 * abstract origin (the inlined function's own definition, then the unit),
 * which leaves out every caller but the physical function. So its innermost
 * scope is only the starting point, and dwarf_getscopes_die walks out from
 * it through the DIEs' real parents, as elfutils' addr2line -i does.
 * Returns the count (malloc'd array in *scopes), or 0 when nothing covers pc. */
static int concrete_scopes_libdw(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **scopes)
{
	*scopes = NULL;
	int n = dwarf_getscopes(cu, pc, scopes);
	if (n <= 0) {
		free(*scopes);
		*scopes = NULL;
		return 0;
	}
	Dwarf_Die innermost = (*scopes)[0];
	free(*scopes);
	*scopes = NULL;
	n = dwarf_getscopes_die(&innermost, scopes);
	if (n <= 0) {
		free(*scopes);
		*scopes = NULL;
		return 0;
	}
	return n;
}

/* libdw walks a unit's DIEs (__libdw_visit_scopes) into these only. */
static int may_have_scopes(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_compile_unit:
	case DW_TAG_module:
	case DW_TAG_lexical_block:
	case DW_TAG_with_stmt:
	case DW_TAG_catch_block:
	case DW_TAG_try_block:
	case DW_TAG_entry_point:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
		return 1;
	default:
		return 0;
	}
}

/* Where an imported unit's children are, as libdw follows DW_AT_import:
 * 1 and *first, 0 when it is skipped (not found, a whole compile unit as
 * some gcc -flto make, no children), -1 for a cycle. */
static int imported_children(Dwarf_Die *imp, const struct import_chain *chain, Dwarf_Die *first)
{
	Dwarf_Attribute a;
	Dwarf_Die unit;
	if (!dwarf_formref_die(dwarf_attr(imp, DW_AT_import, &a), &unit) || dwarf_tag(&unit) == DW_TAG_compile_unit ||
	    dwarf_child(&unit, first) != 0)
		return 0;
	for (const struct import_chain *c = chain; c; c = c->outer)
		if (c->addr == imp->addr)
			return -1;
	return 1;
}

/* The first of the DIEs from *first on, an imported unit's children
 * walked in its place, whose ranges hold pc: 1 and *out, 0 when none, -1
 * when libdw would have failed, or might have: which of dwarf_haspc's
 * errors it forgives cannot be told through the public API. */
static int first_at(Dwarf_Die *first, Dwarf_Addr pc, const struct import_chain *chain, Dwarf_Die *out)
{
	Dwarf_Die child = *first;
	int ret;
	do {
		while (dwarf_tag(&child) == DW_TAG_imported_unit) {
			Dwarf_Die orig = child, inner;
			int r = imported_children(&orig, chain, &inner);
			if (r < 0)
				return -1;
			if (r > 0) {
				struct import_chain c = {orig.addr, chain};
				if ((r = first_at(&inner, pc, &c, out)) != 0)
					return r;
			}
			if ((ret = dwarf_siblingof(&orig, &child)) != 0)
				return ret < 0 ? -1 : 0;
		}
		int h = dwarf_haspc(&child, pc);
		if (h < 0) {
			(void)dwarf_errno(); /* cleared: libdw's walk asks again */
			return -1;
		}
		if (h > 0) {
			*out = child;
			return 1;
		}
	} while ((ret = dwarf_siblingof(&child, &child)) == 0);
	return ret < 0 ? -1 : 0;
}

/* The scopes around pc in one walk down the unit, innermost first, as
 * concrete_scopes_libdw finds them, or -1: ask it.
 *
 * libdw's two calls walk the unit three times: dwarf_getscopes down to the
 * innermost scope (pruning what does not hold pc), then, when that scope
 * is in inlined code, the whole unit for the inlined function's abstract
 * origin; dwarf_getscopes_die the whole unit again for the innermost
 * scope's parents. On a C++ unit of 100,000 DIEs that is 1.7 ms a frame.
 * Here the walk down is dwarf_getscopes' own (at each level the first DIE
 * that holds pc, descending where libdw descends, an imported unit's
 * children in its place), and it passes through the parents, so all that
 * is left is what makes dwarf_getscopes fail, and so gave no scopes at
 * all: the innermost inlined instance's abstract origin not among the
 * DIEs libdw's walk of the unit reaches (in another unit: LTO). Which DIEs
 * those are is worked out once per unit (sym_unit). */
static int concrete_scopes_fast(struct sym_module *m, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **scopes)
{
	*scopes = NULL;
	size_t n = 0, cap = 16;
	Dwarf_Die *chain = malloc(cap * sizeof(*chain));
	if (!chain)
		return -1;
	chain[n++] = *cu;
	int inlined = -1;
	for (;;) {
		Dwarf_Die *cur = &chain[n - 1], first, next;
		/* the unit itself is walked whatever its tag */
		if (n > 1 && (!may_have_scopes(cur) || !dwarf_haschildren(cur)))
			break;
		int r = dwarf_child(cur, &first);
		if (r > 0)
			break;
		if (r < 0 || (r = first_at(&first, pc, NULL, &next)) < 0)
			goto slow;
		if (r == 0)
			break;
		if (n == cap) {
			cap *= 2;
			Dwarf_Die *c = realloc(chain, cap * sizeof(*c));
			if (!c)
				goto slow;
			chain = c;
		}
		if (dwarf_tag(&next) == DW_TAG_inlined_subroutine)
			inlined = (int)n;
		chain[n++] = next;
	}
	if (n == 1) {
		free(chain);
		return 0; /* nothing in the unit holds pc */
	}
	if (inlined >= 0) {
		Dwarf_Attribute a;
		Dwarf_Die origin;
		if (!dwarf_formref_die(dwarf_attr(&chain[inlined], DW_AT_abstract_origin, &a), &origin)) {
			free(chain);
			return 0;
		}
		struct sym_unit *u = unit_of(m, cu);
		if (!u || u->failed)
			goto slow;
		if (!unit_has(u, origin.addr)) {
			free(chain);
			return 0;
		}
	}
	for (size_t i = 0; i < n / 2; i++) { /* innermost first */
		Dwarf_Die t = chain[i];
		chain[i] = chain[n - 1 - i];
		chain[n - 1 - i] = t;
	}
	*scopes = chain;
	return (int)n;
slow:
	free(chain);
	return -1;
}

/* The scopes around pc, innermost first (their count, a malloc'd array in
 * *scopes), or 0: concrete_scopes_fast, else libdw. */
static int concrete_scopes(struct sym_module *m, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **scopes)
{
	int n = concrete_scopes_fast(m, cu, pc, scopes);
	if (n >= 0)
		return n;
	m->owner->stats.scopes_slow++;
	return concrete_scopes_libdw(cu, pc, scopes);
}

/* ---------- the symbol index --------------------------------------------- */

/* GELF_ST_BIND as libdw ranks it (dwfl_module_addrsym.c: binding_value). */
static uint8_t binding_value(const GElf_Sym *sym)
{
	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL: return 3;
	case STB_WEAK: return 2;
	case STB_LOCAL: return 1;
	default: return 0;
	}
}

static int by_value(const void *a, const void *b)
{
	const struct sym_elfsym *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

static int by_start_end_ndx(const void *a, const void *b)
{
	const struct sym_section *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return (x->ndx > y->ndx) - (x->ndx < y->ndx);
}

/* The section an address lies in, as libdwfl's find_section finds it (a
 * binary search over the sorted SHF_ALLOC sections, a section's end
 * counting as inside it unless the next one starts there); SHN_UNDEF when
 * none. Only sizeless symbols need it: libdw takes one for an address
 * only in the address's own section. */
static uint32_t section_of(const struct sym_symtab *t, uint64_t addr)
{
	size_t l = 0, u = t->nsec;
	while (l < u) {
		size_t idx = (l + u) / 2;
		if (addr < t->sec[idx].start)
			u = idx;
		else if (addr > t->sec[idx].end)
			l = idx + 1;
		else {
			if (addr == t->sec[idx].end && idx + 1 < t->nsec && addr == t->sec[idx + 1].start)
				idx++;
			return t->sec[idx].ndx;
		}
	}
	return SHN_UNDEF;
}

static int load_sections(struct sym_symtab *t, Elf *elf, GElf_Addr bias)
{
	size_t cap = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (t->nsec == cap) {
			cap = cap ? cap * 2 : 64;
			struct sym_section *v = realloc(t->sec, cap * sizeof(*v));
			if (!v)
				return -1;
			t->sec = v;
		}
		uint64_t start = sh.sh_addr + bias;
		t->sec[t->nsec++] = (struct sym_section){start, start + sh.sh_size, (uint32_t)elf_ndxscn(scn)};
	}
	if (t->nsec)
		qsort(t->sec, t->nsec, sizeof(*t->sec), by_start_end_ndx);
	return 0;
}

/* Whether elf has DWARF sections but no .symtab (see symtab_build). */
static int needs_dwarf_first(Elf *elf)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return 1;
	int symtab = 0, dwarf = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return 1;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		symtab |= sh.sh_type == SHT_SYMTAB;
		dwarf |= name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info"));
	}
	return dwarf && !symtab;
}

/* Builds m's index from libdw's view of its symbol table (the file's
 * .symtab, or its debug file's, else .dynsym; plus a MiniDebugInfo table),
 * reading every symbol once. On any failure the module falls back to
 * libdw's search, which is slow but right. */
static void symtab_build(struct sym_module *m)
{
	struct sym_symtab *t = &m->symtab;
	t->built = 1;
	m->owner->stats.symtab_indexed++;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	GElf_Ehdr eh;
	if (!elf || !gelf_getehdr(elf, &eh) || eh.e_type == ET_REL || eh.e_machine == EM_PPC64) {
		t->use_libdw = 1;
		return;
	}
	/* A file with DWARF but no .symtab: once libdw has opened its DWARF it
	 * takes the file itself as the debug file and reads .dynsym; before,
	 * it would look for a separate debug file's .symtab. Keep the order
	 * the names have always come from: DWARF first. */
	if (!m->dwarf_known && needs_dwarf_first(elf))
		need_dwarf(m);
	int nsyms = dwfl_module_getsymtab(m->mod);
	int first_global = nsyms >= 0 ? dwfl_module_getsymtab_first_global(m->mod) : -1;
	if (nsyms < 0 || first_global < 0)
		return; /* no table: libdw finds nothing either */
	/* libdw searches [first_global or 1, nsyms), then [1, first_global)
	 * if that found no symbol and first_global > 1 */
	int gstart = first_global == 0 ? 1 : first_global;
	t->search_locals = first_global > 1;
	size_t cap[2] = {0, 0};
	if (load_sections(t, elf, bias) < 0)
		goto fail;
	for (int i = 1; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		GElf_Word shndx;
		Elf *symelf;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &value, &shndx, &symelf, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (!name || !name[0] || sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS)
			continue;
		int r = i >= gstart ? 0 : 1;
		struct sym_range *rg = &t->range[r];
		if (rg->n == cap[r]) {
			cap[r] = cap[r] ? cap[r] * 2 : 1024;
			struct sym_elfsym *v = realloc(rg->v, cap[r] * sizeof(*v));
			if (!v)
				goto fail;
			rg->v = v;
		}
		struct sym_elfsym *e = &rg->v[rg->n++];
		*e = (struct sym_elfsym){.value = value, .size = sym.st_size, .name = name, .index = i,
					 .bind = binding_value(&sym)};
		if (!sym.st_size) {
			/* shndx is -1 for a symbol of a non-allocated section */
			e->exact = shndx >= SHN_LORESERVE;
			e->section = e->exact ? 0 : section_of(t, value);
		}
	}
	for (int r = 0; r < 2; r++) {
		struct sym_range *rg = &t->range[r];
		if (!rg->n)
			continue;
		qsort(rg->v, rg->n, sizeof(*rg->v), by_value);
		rg->max_end = malloc(rg->n * sizeof(*rg->max_end));
		if (!rg->max_end)
			goto fail;
		uint64_t mx = 0;
		for (size_t k = 0; k < rg->n; k++) {
			uint64_t end = rg->v[k].value + rg->v[k].size;
			if (end < rg->v[k].value)
				end = UINT64_MAX;
			mx = end > mx ? end : mx;
			rg->max_end[k] = mx;
		}
	}
	return;
fail:
	for (int r = 0; r < 2; r++) {
		free(t->range[r].v);
		free(t->range[r].max_end);
		t->range[r] = (struct sym_range){0};
	}
	free(t->sec);
	t->sec = NULL;
	t->nsec = 0;
	t->use_libdw = 1;
}

/* How many symbols of rg start at or below a. */
static size_t upper_bound(const struct sym_range *rg, uint64_t a)
{
	size_t l = 0, u = rg->n;
	while (l < u) {
		size_t mid = (l + u) / 2;
		if (rg->v[mid].value <= a)
			l = mid + 1;
		else
			u = mid;
	}
	return l;
}

/* Whether libdw, holding best, takes c, met after it in table order
 * (try_sym_value): c starts closer to a, or binds more strongly; at the
 * same start and binding, it is smaller. */
static int replaces(const struct sym_elfsym *best, const struct sym_elfsym *c)
{
	if (best->value < c->value || best->bind < c->bind)
		return 1;
	return best->value == c->value && ((best->size > c->size && best->bind <= c->bind) ||
					   (best->size >= c->size && best->bind < c->bind));
}

static int by_index(const void *a, const void *b)
{
	const struct sym_elfsym *x = *(const struct sym_elfsym *const *)a, *y = *(const struct sym_elfsym *const *)b;
	return (x->index > y->index) - (x->index < y->index);
}

/* libdw's choice among the sized symbols of rg[0, p) that cover a, or
 * NULL. Its update rule is no total order (a weak symbol closer to a
 * loses to a global one further away, which loses to a closer global), so
 * the covering symbols are replayed in table order; symbols that do not
 * cover a can never be chosen, so they are left out. The walk back by
 * address stops where no earlier symbol reaches a. */
static const struct sym_elfsym *covering(const struct sym_range *rg, size_t p, uint64_t a)
{
	const struct sym_elfsym *small[16], **c = small;
	size_t n = 0, cap = 16;
	for (size_t k = p; k-- > 0 && rg->max_end[k] > a;) {
		const struct sym_elfsym *e = &rg->v[k];
		if (!e->size || a - e->value >= e->size)
			continue;
		if (n == cap) {
			cap *= 2;
			const struct sym_elfsym **nc = c == small ? malloc(cap * sizeof(*nc)) : realloc(c, cap * sizeof(*nc));
			if (!nc)
				break; /* out of memory: choose among those found */
			if (c == small)
				memcpy(nc, small, sizeof(small));
			c = nc;
		}
		c[n++] = e;
	}
	if (n > 1)
		qsort(c, n, sizeof(*c), by_index);
	const struct sym_elfsym *best = n ? c[0] : NULL;
	for (size_t k = 1; k < n; k++)
		if (replaces(best, c[k]))
			best = c[k];
	if (c != small)
		free(c);
	return best;
}

/* The last symbol, in table order, of rg[0, p) that is sizeless, starts at
 * v and lies in a's section (or NULL). */
static const struct sym_elfsym *sizeless_at(const struct sym_range *rg, size_t p, uint64_t v, uint64_t a,
					    uint32_t sect_a)
{
	const struct sym_elfsym *best = NULL;
	for (size_t k = p; k-- > 0 && rg->v[k].value == v;) {
		const struct sym_elfsym *c = &rg->v[k];
		if (c->size || (c->exact ? c->value != a : c->section != sect_a))
			continue;
		if (!best || c->index > best->index)
			best = c;
	}
	return best;
}

/* The symbol dwfl_module_addrinfo gives for a, or NULL: the globals'
 * range first; the locals' only when no global covers a and no global
 * label sits exactly at a; then, if still no sized symbol covers a, a
 * sizeless label (hand-written assembly) when it is the highest symbol at
 * or below a, in a's section, and nothing sized reaches past it (libdw's
 * min_label): the last such in the order searched. */
static const struct sym_elfsym *symtab_find(const struct sym_symtab *t, uint64_t a)
{
	const struct sym_range *g = &t->range[0], *l = &t->range[1];
	size_t pg = g->n ? upper_bound(g, a) : 0;
	const struct sym_elfsym *best = pg ? covering(g, pg, a) : NULL;
	if (best)
		return best;
	uint32_t sect_a = section_of(t, a);
	/* libdw skips the locals when a global label sits exactly at a */
	int skip = pg && g->v[pg - 1].value == a && sizeless_at(g, pg, a, a, sect_a);
	size_t pl = 0;
	if (t->search_locals && !skip) {
		pl = l->n ? upper_bound(l, a) : 0;
		best = pl ? covering(l, pl, a) : NULL;
		if (best)
			return best;
	}
	/* no sized symbol covers a: a label, if it is the highest symbol at or
	 * below a and nothing sized reaches past it (libdw's min_label), the
	 * last such in the order searched */
	uint64_t vmax = 0, reach = 0;
	int any = 0;
	if (pg) {
		vmax = g->v[pg - 1].value;
		reach = g->max_end[pg - 1];
		any = 1;
	}
	if (pl) {
		if (!any || l->v[pl - 1].value > vmax)
			vmax = l->v[pl - 1].value;
		if (!any || l->max_end[pl - 1] > reach)
			reach = l->max_end[pl - 1];
		any = 1;
	}
	if (!any || reach > vmax)
		return NULL;
	const struct sym_elfsym *s = pl && l->v[pl - 1].value == vmax ? sizeless_at(l, pl, vmax, a, sect_a) : NULL;
	if (!s && pg && g->v[pg - 1].value == vmax)
		s = sizeless_at(g, pg, vmax, a, sect_a);
	return s;
}

/* The ELF symbol naming the function at addr (lookup address, not return
 * address), unversioned and demangled, each made once per symbol. */
static int elf_function(struct sym_module *m, Dwarf_Addr addr, const char **function, const char **linkage)
{
	struct symbolizer *s = m->owner;
	*function = *linkage = NULL;
	s->stats.symtab_lookups++;
	if (!m->symtab.built)
		symtab_build(m);
	if (m->symtab.use_libdw) {
		GElf_Off off;
		GElf_Sym sym;
		const char *versioned = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);
		if (!versioned)
			return 0;
		*linkage = keep(s, unversioned(versioned));
		*function = *linkage ? keep(s, demangle(*linkage)) : NULL;
		return *linkage != NULL;
	}
	struct sym_elfsym *e = (struct sym_elfsym *)symtab_find(&m->symtab, addr);
	if (!e)
		return 0;
	if (!e->linkage) {
		e->linkage = keep(s, unversioned(e->name));
		e->function = e->linkage ? keep(s, demangle(e->linkage)) : NULL;
	}
	*linkage = e->linkage;
	*function = e->function;
	return *linkage != NULL;
}

int sym_function(struct sym_module *m, uint64_t return_offset, const char **function, const char **linkage)
{
	*function = *linkage = NULL;
	if (!m->mod)
		return 0;
	return elf_function(m, return_offset ? return_offset - 1 : 0, function, linkage);
}

/* sym_lookup without the cache. A module without DWARF (SYM_NO_DEBUG)
 * is not asked for lines or scopes: libdw would only fail again. */
static int lookup(struct sym_module *m, uint64_t return_offset, struct sym_frame *out, int max)
{
	struct symbolizer *s = m->owner;
	Dwarf_Addr addr = return_offset ? return_offset - 1 : 0;
	const char *elf_fn, *elf_name;
	elf_function(m, addr, &elf_fn, &elf_name);

	const char *file = NULL;
	int line = 0;
	need_dwarf(m);
	int dwarf = m->status == SYM_OK;
	if (dwarf)
		s->stats.dwarf_lookups++;
	Dwfl_Line *dl = dwarf ? dwfl_module_getsrc(m->mod, addr) : NULL;
	if (dl)
		file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);

	int n = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwarf ? dwfl_module_addrdie(m->mod, addr, &bias) : NULL;
	/* line tables name files relative to the compilation directory when the
	 * compiler was given relative paths (meson does): keep it, so a
	 * consumer that needs a real path (SARIF) can make one */
	Dwarf_Attribute cda;
	const char *comp_dir = cu && dwarf_attr(cu, DW_AT_comp_dir, &cda) ? dwarf_formstring(&cda) : NULL;
	comp_dir = comp_dir ? keep(s, strdup(comp_dir)) : NULL;
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? concrete_scopes(m, cu, addr - bias, &scopes) : 0;
	/* Innermost first: each inlined_subroutine is one frame, at the current
	 * file and line, and its call site is the file and line of the frame
	 * outside it; the first subprogram is the physical function. Past
	 * max - 1 inlined levels the outer ones are not given frames, but their
	 * call sites are still followed, so the physical frame keeps its own
	 * line. */
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram)
			break;
		if (tag != DW_TAG_inlined_subroutine)
			continue; /* a lexical block */
		if (n < max - 1) {
			out[n].function = keep(s, demangle(die_name(&scopes[i])));
			out[n].linkage = NULL;
			out[n].file = file ? keep(s, strdup(file)) : NULL;
			out[n].dir = file && file[0] != '/' ? comp_dir : NULL;
			out[n].line = line;
			out[n].inlined = 1;
			n++;
		}
		file = call_file(&scopes[i], &line);
	}
	free(scopes);
	/* the physical function: its ELF symbol, else its DIE */
	out[n].linkage = elf_name;
	out[n].function = elf_fn;
	out[n].file = file ? keep(s, strdup(file)) : NULL;
	out[n].dir = file && file[0] != '/' ? comp_dir : NULL;
	out[n].line = line;
	out[n].inlined = 0;
	if (!out[n].function && !out[n].file && n == 0)
		return 0;
	return n + 1;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* m's cached result for off, or the empty slot (n < 0) it goes in; NULL
 * when out of memory. */
static struct sym_result *result_slot(struct sym_module *m, uint64_t off)
{
	if ((m->rused + 1) * 2 > m->rmask + 1) {
		size_t n = m->rmask ? (m->rmask + 1) * 2 : 256;
		struct sym_result *v = malloc(n * sizeof(*v));
		if (!v)
			return NULL;
		for (size_t i = 0; i < n; i++)
			v[i] = (struct sym_result){.n = -1};
		for (size_t i = 0; m->results && i <= m->rmask; i++) {
			if (m->results[i].n < 0)
				continue;
			size_t k = mix64(m->results[i].off) & (n - 1);
			while (v[k].n >= 0)
				k = (k + 1) & (n - 1);
			v[k] = m->results[i];
		}
		free(m->results);
		m->results = v;
		m->rmask = n - 1;
	}
	size_t k = mix64(off) & m->rmask;
	while (m->results[k].n >= 0 && m->results[k].off != off)
		k = (k + 1) & m->rmask;
	return &m->results[k];
}

int sym_lookup(struct sym_module *m, uint64_t return_offset, struct sym_frame *out, int max)
{
	if (!m->mod || max <= 0)
		return 0;
	/* results are kept as SYM_MAX_INLINE frames make them (what blame
	 * asks); another max changes how the outer inlined levels fold */
	if (max != SYM_MAX_INLINE)
		return lookup(m, return_offset, out, max);
	struct sym_result *r = result_slot(m, return_offset);
	if (r && r->n >= 0) {
		m->owner->stats.cache_hits++;
		if (r->n)
			memcpy(out, r->frames, (size_t)r->n * sizeof(*out));
		return r->n;
	}
	int n = lookup(m, return_offset, out, max);
	if (!r)
		return n;
	struct sym_frame *copy = n ? malloc((size_t)n * sizeof(*copy)) : NULL;
	if (n && !copy)
		return n; /* not kept: looked up again next time */
	if (n)
		memcpy(copy, out, (size_t)n * sizeof(*copy));
	*r = (struct sym_result){.off = return_offset, .n = n, .frames = copy};
	m->rused++;
	return n;
}

void sym_get_stats(const struct symbolizer *s, struct sym_stats *out)
{
	*out = s->stats;
}

static uint64_t hash_str(const char *str)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 0x100000001b3ull;
	return h;
}

/* Whether a .dynsym entry makes its name exported. */
static int exports(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info);
	return sym->st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
	       GELF_ST_VISIBILITY(sym->st_other) == STV_DEFAULT;
}

/* The module's .gnu.hash, the table the dynamic linker looks exported
 * names up in: every defined symbol of .dynsym from symoffset on. Using it
 * costs a lookup per name asked, where reading .dynsym costs the whole
 * table (libLLVM: 45,000 names, 7 ms) before the first answer. */
static void load_gnu_hash(struct sym_module *m, Elf *elf, Elf_Scn *dynsym, const GElf_Shdr *dsh)
{
	Elf_Scn *scn = NULL;
	size_t dynndx = elf_ndxscn(dynsym);
	int cls = gelf_getclass(elf);
	size_t word = cls == ELFCLASS64 ? 8 : 4;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_GNU_HASH || sh.sh_link != dynndx)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || data->d_size < 16)
			return;
		const uint32_t *h = data->d_buf;
		uint32_t nbuckets = h[0], symoffset = h[1], bloom = h[2];
		size_t head = 16 + (size_t)bloom * word;
		if (!nbuckets || head > data->d_size || (data->d_size - head) / 4 < nbuckets)
			return;
		size_t nchain = (data->d_size - head) / 4 - nbuckets;
		size_t nsyms = dsh->sh_size / dsh->sh_entsize;
		if (symoffset > nsyms)
			return;
		m->gnu_buckets = (const uint32_t *)((const char *)data->d_buf + head);
		m->gnu_chain = m->gnu_buckets + nbuckets;
		m->gnu_nbuckets = nbuckets;
		m->gnu_symoffset = symoffset;
		m->gnu_nchain = nchain;
		m->gnu_nsyms = nsyms;
		return;
	}
}

/* The exported names of .dynsym, read once: its .gnu.hash when it has one,
 * else a hash set of pointers to libelf's string table (which lives as
 * long as the module's Dwfl). */
static void load_exported(struct sym_module *m)
{
	m->exported_loaded = 1;
	if (!m->mod)
		return;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	if (!elf)
		return;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		m->dynsym = data;
		m->dynstr = sh.sh_link;
		m->dynelf = elf;
		load_gnu_hash(m, elf, scn, &sh);
		if (m->gnu_buckets)
			return;
		size_t count = sh.sh_size / sh.sh_entsize, n = 64;
		while (n < count * 2)
			n *= 2;
		m->exported = calloc(n, sizeof(*m->exported));
		if (!m->exported)
			return;
		m->exported_mask = n - 1;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || !exports(&sym))
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			size_t k = hash_str(name) & m->exported_mask;
			while (m->exported[k] && strcmp(m->exported[k], name) != 0)
				k = (k + 1) & m->exported_mask;
			m->exported[k] = name;
		}
		return;
	}
}

/* linkage looked up in .gnu.hash: the chain of its hash, every entry of
 * that name (a versioned name has several) until one exports it. */
static int gnu_hash_exports(const struct sym_module *m, const char *linkage)
{
	uint32_t h = 5381;
	for (const unsigned char *c = (const unsigned char *)linkage; *c; c++)
		h = h * 33 + *c;
	uint32_t i = m->gnu_buckets[h % m->gnu_nbuckets];
	if (i < m->gnu_symoffset)
		return 0; /* an empty bucket */
	for (; i < m->gnu_nsyms && i - m->gnu_symoffset < m->gnu_nchain; i++) {
		uint32_t ch = m->gnu_chain[i - m->gnu_symoffset];
		if ((ch | 1) == (h | 1)) {
			GElf_Sym sym;
			const char *name = gelf_getsym(m->dynsym, (int)i, &sym) ? elf_strptr(m->dynelf, m->dynstr, sym.st_name)
										 : NULL;
			if (name && strcmp(name, linkage) == 0 && exports(&sym))
				return 1;
		}
		if (ch & 1)
			break; /* the chain's last */
	}
	return 0;
}

int sym_is_exported(struct sym_module *m, const char *linkage)
{
	if (!linkage)
		return 0;
	if (!m->exported_loaded)
		load_exported(m);
	if (m->gnu_buckets)
		return gnu_hash_exports(m, linkage);
	if (!m->exported)
		return 0;
	for (size_t k = hash_str(linkage) & m->exported_mask; m->exported[k]; k = (k + 1) & m->exported_mask)
		if (strcmp(m->exported[k], linkage) == 0)
			return 1;
	return 0;
}
