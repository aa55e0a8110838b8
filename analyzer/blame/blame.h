/*
 * blame.h - who allocated what is outstanding, and how control got there.
 *
 * From the model (outstanding bytes per stack, per process) to the report
 * every renderer prints. For each stack:
 *   - the blamed module is the module of its first frame outside allocator
 *     wrappers (libc, libstdc++, libc_malloc_debug, the shim, and the
 *     --wrapper names), so strdup's or operator new's allocations go to
 *     their caller's module; a frame in an allocator wrapper *function*
 *     (xmalloc, g_malloc, PyMem_Malloc: wrapper_functions.h, and the
 *     --wrapper-function names), or in the code of its library that leads
 *     to it, counts as the allocator too, whatever its module;
 *   - the entry point is the outermost frame of the run of frames inside the
 *     blamed module that starts at the blamed frame: the function through
 *     which control came into that module; whether it is exported (in the
 *     module's .dynsym), and the module and function that called it; when
 *     that run reaches the end of a stack cut at the depth limit, the entry
 *     point lies beyond what was recorded, and is unknown (cut_at);
 *   - the site is the whole symbolized stack, inlined frames included
 *     (symbolized only for the sites the report keeps: blame.c).
 * Modules, entry points and sites merge across processes by module path and
 * module-relative addresses, so the workers of a forking server add up.
 * Every level carries its outstanding memory by leak kind too (definite,
 * indirect, reachable, unclassified: leak_kind.h), summed the same way.
 * Modules and the sites shown also get their outstanding bytes over time,
 * on one axis (timeline.h), and a growth class (growth.h).
 */
#ifndef HB_BLAME_H
#define HB_BLAME_H

#include <stddef.h>
#include <stdint.h>

#include "growth.h"
#include "leak_kind.h"
#include "symbolizer.h"
#include "trace_model.h"

struct blame_frame {
	const char *module;      /* base name, or NULL (no module) */
	const char *module_path; /* as loaded, or NULL */
	const char *function;    /* NULL when unknown */
	const char *file;
	const char *dir;         /* what a relative file is relative to, or NULL */
	int line;
	int inlined;
	uint64_t offset;         /* module-relative return address (absolute without a module) */
};

struct blame_site {
	uint64_t bytes, blocks;
	struct leak_tally kinds;
	const char *entry;       /* the entry point's function (NULL when unknown) */
	struct blame_frame *frames;
	size_t nframes;
	size_t blamed;           /* frames[blamed]: the first frame of the blamed module's code (0 if none) */
	const char *wrapper;     /* the wrapper function its blamed frame called (NULL: none, or a module's) */
	const char *wrapper_module; /* that function's module */
	long entry_frame;        /* frames[entry_frame]: the entry point's physical frame, or -1 when unknown */
	uint32_t cut_at;         /* its stack was cut at this many frames, the depth limit (0: whole) */
	uint64_t hash;
	struct growth growth;    /* of its outstanding bytes over the timeline */
	size_t uid;              /* the builder's id of the site (for blame_owned) */
};

/* Of site (mods[mod].sites[site])'s indirect blocks, those owned by a
 * definite block of site root_site of module root_mod: the exit scan's
 * OWNED records (trace-format 10.7), summed over processes. A leak:
 * suppression of the root site hides them too (gate.c). */
struct blame_owned {
	size_t mod, site, root_mod, root_site;
	uint64_t blocks, bytes;
};

struct blame_entry {
	const char *function;        /* NULL when unknown */
	int exported;
	const char *caller_module;   /* NULL: the stack ends there (or was cut) */
	const char *caller_function;
	uint64_t bytes, blocks;
	struct leak_tally kinds;
	uint32_t cut_at;             /* not 0: unknown, beyond a stack cut at this many frames */
};

struct blame_module {
	const char *name;            /* base name */
	const char *path;
	char build_id[129];          /* hex */
	enum sym_status status;
	uint64_t bytes, blocks;
	/* the bound on the variance of bytes when some traces are sampled:
	 * the sum over the traces of sample_bytes times the bytes from that
	 * trace (trace-format.md 10.6: Var <= N B); 0 when none is */
	double bytes_var;
	struct leak_tally kinds;     /* blocks of no site (unknown stacks) included */
	struct blame_entry *entries;
	size_t nentries;
	struct blame_site *sites;
	size_t nsites;
	size_t nsites_all;           /* before --top */
	struct growth growth;        /* its line of the timeline's */
};

/* Outstanding bytes by module over time (timeline.h): every module whose
 * code held memory at some flush, even if none is outstanding at the end
 * (bursts), with its growth class. */
struct blame_timeline_module {
	const char *name, *path;
	char build_id[129];          /* hex, as blame_module's: path and build-id name a module */
	double *bytes;               /* timeline.n levels */
	double peak;
	struct growth growth;
};

struct blame_timeline {
	size_t n;                    /* points (at most TS_SLOTS) */
	double *t_s;                 /* seconds since the (earliest) process started */
	struct blame_timeline_module *mods;
	size_t nmods;                /* most growth first: growing by rate, then by peak */
};

struct blame_proc_module {
	const char *name, *path;
	uint64_t bytes, blocks;
	struct leak_tally kinds;
};

struct blame_process {
	uint64_t pid;
	const char *program;         /* the name it was started by (argv[0]'s base name) */
	const char *exe;             /* the executable's resolved path */
	const char *trace, *end;
	const char *scan;            /* tm_scan_name: done, none, off, ... */
	int scanned;                 /* its blocks carry reachability kinds */
	uint64_t sample_bytes;       /* PROCESS.sample_bytes: 0, or its figures are estimates */
	uint64_t bytes, blocks;
	struct leak_tally kinds;
	struct blame_proc_module *mods;
	size_t nmods;
	/* a fork child merged with its parent's trace (fork_merge.h): the
	 * inherited blocks it still held, counted in the parent's instead */
	int fork_merged;
	uint64_t parent_pid, inherited_bytes, inherited_blocks;
};

struct blame_report {
	uint64_t bytes, blocks;
	struct leak_tally kinds;
	struct blame_module *mods;
	size_t nmods;
	struct blame_process *procs;
	size_t nprocs;
	size_t ntraces;
	int filtered;               /* --module or --min-bytes left some out */
	uint64_t exec_bytes, exec_blocks; /* in images replaced by exec: not counted */
	uint64_t inherited_bytes, inherited_blocks; /* fork children's copies, counted in their parents */
	struct blame_owned *owned;  /* between sites both listed */
	size_t nowned;
	size_t nmerged_children;
	size_t nscanned;            /* processes whose blocks carry kinds (exec'd ones too) */
	uint64_t sample_bytes;      /* the largest sample_bytes of the traces: 0, none sampled */
	struct blame_timeline timeline;
	/* the window the traces were read in (all of them the same) */
	int has_at, has_since;
	double at_s, since_s;       /* of the first trace, resolved */
};

struct blame_options {
	const char **wrappers;  /* extra wrapper names or globs */
	size_t nwrappers;
	const char **wrapper_functions; /* extra wrapper function names or globs */
	size_t nwrapper_functions;
	const char *module_glob; /* keep only modules whose name or path matches */
	uint64_t min_bytes;     /* drop sites and modules below */
	size_t top;             /* sites kept per module (0: all) */
};

/* The module of r->mods that is timeline module t (same path and
 * build-id), or NULL. */
const struct blame_module *blame_module_of_line(const struct blame_report *r, const struct blame_timeline_module *t);

/* The timeline's line of module m, or NULL. */
const struct blame_timeline_module *blame_line_of_module(const struct blame_report *r, const struct blame_module *m);

/* Builds the report. Returns 0 or -1 (out of memory). */
int blame_build(struct blame_report *r, const struct tm_model *m, struct symbolizer *s,
		const struct blame_options *opt);
void blame_free(struct blame_report *r);

/* Whether a module's base name is an allocator wrapper under opt. */
int blame_is_wrapper(const char *path, const struct blame_options *opt);

/* Glob match of a whole string ('*', '?'). */
int blame_glob(const char *pat, const char *s);

#endif
