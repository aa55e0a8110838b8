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
 */
#include "symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The C++ ABI's demangler, from libstdc++. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct sym_module {
	struct sym_module *next;
	char *path;          /* as recorded */
	char *file;          /* as opened */
	uint8_t build_id[64];
	size_t build_id_len;
	enum sym_status status;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	char **exported;     /* sorted names from .dynsym */
	size_t nexported;
	int exported_loaded;
	struct symbolizer *owner;
};

struct symbolizer {
	char *sysroot;
	char *debuginfo_path;
	Dwfl_Callbacks callbacks;
	struct sym_module *modules;
	char **strings;      /* every string handed out, freed with the symbolizer */
	size_t nstrings, capstrings;
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
	s->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
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
		for (size_t i = 0; i < m->nexported; i++)
			free(m->exported[i]);
		free(m->exported);
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

static int try_open(struct sym_module *m, const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
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
	Dwarf_Addr bias;
	m->status = dwfl_module_getdwarf(mod, &bias) ? SYM_OK : SYM_NO_DEBUG;
	return 0;
}

struct sym_module *sym_module_get(struct symbolizer *s, const char *path, const uint8_t *build_id,
				  size_t build_id_len)
{
	for (struct sym_module *m = s->modules; m; m = m->next)
		if (strcmp(m->path, path) == 0 && m->build_id_len == build_id_len &&
		    memcmp(m->build_id, build_id, build_id_len) == 0)
			return m;
	struct sym_module *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->path = strdup(path);
	m->owner = s;
	m->build_id_len = build_id_len < sizeof(m->build_id) ? build_id_len : sizeof(m->build_id);
	memcpy(m->build_id, build_id, m->build_id_len);
	m->status = SYM_MISSING;
	if (path[0] == '/') {
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

enum sym_status sym_module_status(const struct sym_module *m)
{
	return m->status;
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
		int status;
		char *d = __cxa_demangle(name, NULL, NULL, &status);
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
static int concrete_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **scopes)
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

int sym_lookup(struct sym_module *m, uint64_t return_offset, struct sym_frame *out, int max)
{
	if (!m->mod || max <= 0)
		return 0;
	struct symbolizer *s = m->owner;
	Dwarf_Addr addr = return_offset ? return_offset - 1 : 0;
	GElf_Off off;
	GElf_Sym sym;
	const char *versioned = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);
	const char *elf_name = versioned ? keep(s, unversioned(versioned)) : NULL;

	const char *file = NULL;
	int line = 0;
	Dwfl_Line *dl = dwfl_module_getsrc(m->mod, addr);
	if (dl)
		file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);

	int n = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &bias);
	/* line tables name files relative to the compilation directory when the
	 * compiler was given relative paths (meson does): keep it, so a
	 * consumer that needs a real path (SARIF) can make one */
	Dwarf_Attribute cda;
	const char *comp_dir = cu && dwarf_attr(cu, DW_AT_comp_dir, &cda) ? dwarf_formstring(&cda) : NULL;
	comp_dir = comp_dir ? keep(s, strdup(comp_dir)) : NULL;
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? concrete_scopes(cu, addr - bias, &scopes) : 0;
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
	out[n].function = elf_name ? keep(s, demangle(elf_name)) : NULL;
	out[n].file = file ? keep(s, strdup(file)) : NULL;
	out[n].dir = file && file[0] != '/' ? comp_dir : NULL;
	out[n].line = line;
	out[n].inlined = 0;
	if (!out[n].function && !out[n].file && n == 0)
		return 0;
	return n + 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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
		size_t count = sh.sh_size / sh.sh_entsize;
		m->exported = calloc(count ? count : 1, sizeof(*m->exported));
		if (!m->exported)
			return;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			int bind = GELF_ST_BIND(sym.st_info);
			if ((bind != STB_GLOBAL && bind != STB_WEAK) || GELF_ST_VISIBILITY(sym.st_other) != STV_DEFAULT)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && *name)
				m->exported[m->nexported++] = strdup(name);
		}
		qsort(m->exported, m->nexported, sizeof(*m->exported), cmp_str);
		return;
	}
}

int sym_is_exported(struct sym_module *m, const char *linkage)
{
	if (!linkage)
		return 0;
	if (!m->exported_loaded)
		load_exported(m);
	return m->nexported && bsearch(&linkage, m->exported, m->nexported, sizeof(*m->exported), cmp_str) != NULL;
}
