/*
 * symbolizer.h - module-relative addresses to functions, files and lines.
 *
 * Post-mortem, possibly on another machine: a module is looked for at its
 * recorded path, under --sysroot, and its separate debug file by build-id
 * under --debug-dir (DIR/.build-id/xx/rest.debug, as gdb does) and the
 * system's /usr/lib/debug. The build-id recorded in the trace is checked
 * against the file found: a file whose build-id differs is reported once
 * and not used (a rebuilt library would give confidently wrong names), and
 * its frames fall back to module+offset. elfutils libdw reads the DWARF:
 * inlined frames come from the DIE scopes at the address, every level of
 * a nest of inlined calls (each with its call site's file and line, as
 * `addr2line -i` prints them), file and line from the line table and the
 * inlined call sites. C++ names are demangled.
 * Whether a function is exported is read from the module's .dynsym.
 *
 * The cost is the frames asked about, not the size of a module: a
 * module's symbol table is indexed once, on its first lookup, so that the
 * function at an address is a binary search (libdw's own search reads the
 * whole table every time); DWARF is read only by sym_lookup, and every
 * result is kept per module, so an address is looked up once whatever
 * the number of stacks and traces it appears in. A caller that needs only
 * names of physical functions (entry points, and whether they are
 * exported) asks sym_function, which never reads DWARF.
 * Not thread-safe: one symbolizer per thread.
 */
#ifndef HB_SYMBOLIZER_H
#define HB_SYMBOLIZER_H

#include <stddef.h>
#include <stdint.h>

enum sym_status {
	SYM_OK = 0,       /* file found, build-id matches (or none recorded) */
	SYM_MISSING = 1,  /* no file at the path or under the sysroot */
	SYM_MISMATCH = 2, /* a file, but another build */
	SYM_NO_DEBUG = 3, /* file found, no DWARF: function names from the symbol table only */
};

/* One frame of a symbolized address; an address in inlined code gives
 * several, innermost first, the last being the physical function. */
struct sym_frame {
	const char *function; /* demangled; NULL when unknown */
	const char *linkage;  /* the ELF symbol (mangled) of a physical frame, or NULL */
	const char *file;     /* NULL when unknown */
	const char *dir;      /* the compilation directory a relative file is
			       * relative to (DW_AT_comp_dir), else NULL */
	int line;             /* 0 when unknown */
	int inlined;
};

#define SYM_MAX_INLINE 16

struct symbolizer;
struct sym_module;

struct symbolizer *sym_new(const char *sysroot, const char *debug_dir);

/* A symbolizer that opens no file: every module it is asked for is
 * SYM_MISSING, so its frames are module+offset, as on a machine without
 * the traced files. For the fuzz targets (tests/fuzz/), whose inputs name
 * real modules: opening and indexing them made every input cost 10 ms,
 * and what they test is the trace, not the files it names. NULL when out
 * of memory. */
struct symbolizer *sym_new_offline(void);
void sym_free(struct symbolizer *s);

/* The module handle for a recorded path and build-id (cached). Never NULL
 * unless out of memory; its status says what was found. */
struct sym_module *sym_module_get(struct symbolizer *s, const char *path, const uint8_t *build_id,
				  size_t build_id_len);
/* Its status; settling OK against NO_DEBUG opens the module's DWARF (once),
 * so a caller that only needs to know whether the file is usable asks
 * sym_module_found. */
enum sym_status sym_module_status(struct sym_module *m);
/* Whether the file was found and is the traced build (the status is
 * neither SYM_MISSING nor SYM_MISMATCH), without opening its DWARF. */
int sym_module_found(const struct sym_module *m);
/* The file actually used (may differ from the recorded path), or NULL. */
const char *sym_module_file(const struct sym_module *m);
/* The path as recorded in the trace. */
const char *sym_module_path(const struct sym_module *m);
/* The recorded build-id in hex ("" when none), into out. */
void sym_module_build_id_hex(const struct sym_module *m, char *out, size_t cap);
/* Every module handle made so far, one per recorded path and build-id:
 * prev NULL gives the first, NULL after the last; no particular order. */
struct sym_module *sym_module_next(struct symbolizer *s, struct sym_module *prev);

/* Symbolizes a return address (module-relative). Fills up to max frames,
 * innermost first; returns how many (0 when nothing is known). Strings live
 * as long as the symbolizer. With max SYM_MAX_INLINE the result is kept
 * per module, and asking again copies it out. */
int sym_lookup(struct sym_module *m, uint64_t return_offset, struct sym_frame *out, int max);

/* The physical function at a return address (module-relative), from the
 * symbol table alone: the demangled name and the ELF symbol that
 * sym_lookup gives its last (physical) frame, never read from DWARF.
 * Returns 1 and sets both, or 0 (both NULL) when no symbol covers it.
 * Strings live as long as the symbolizer. */
int sym_function(struct sym_module *m, uint64_t return_offset, const char **function, const char **linkage);

/* What the symbolizer did so far: symbol-table lookups, DWARF lookups
 * (an address looked up in a module's debugging information: line table,
 * scopes), and lookups answered from a module's cache of results. For
 * tests and for measuring; the counts never change a result. */
struct sym_stats {
	uint64_t symtab_lookups;
	uint64_t dwarf_lookups;
	uint64_t cache_hits;
	uint64_t symtab_indexed; /* modules whose symbol table was indexed */
	uint64_t dwarf_opened;   /* modules whose DWARF was looked for */
	uint64_t units_walked;   /* DWARF units walked whole, once each */
	uint64_t scopes_slow;    /* scopes libdw was asked for (dwarf_getscopes_die) */
};
void sym_get_stats(const struct symbolizer *s, struct sym_stats *out);

/* Whether the ELF symbol (linkage name) is defined in the module's dynamic
 * symbol table with global or weak binding and default visibility. */
int sym_is_exported(struct sym_module *m, const char *linkage);

#endif
