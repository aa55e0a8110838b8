/*
 * gate.h - `heapblame check`'s verdict: which outstanding memory counts as
 * leaked, what suppressions and a baseline hide, and whether the rest is
 * within budget. Its renderers (text, JSON, JUnit, SARIF) read this model
 * only.
 *
 * From the blame report (every site, no --top cut), site by site:
 *   1. leaked = the site's blocks of the counted kinds (--kinds, default
 *      definite and indirect) plus its unclassified blocks: a block no
 *      scan classified may be a leak, so it always counts;
 *   2. a site that a suppression matches is hidden (the first matching
 *      rule gets the credit: suppressions.h);
 *   3. with a baseline, the site counts only what it leaks beyond what the
 *      baseline allows it (baseline.h), bytes and blocks each;
 *   4. the verdict fails when the counted bytes exceed --max-bytes or the
 *      counted blocks exceed --max-blocks;
 *   5. with --max-growth, it also fails when a module of the timeline is
 *      classed growing (growth.h) at a rate above it. --kinds none turns
 *      steps 1-4 off (nothing counts as leaked, unclassified blocks
 *      neither), so that a soak test of a server killed at its end gates
 *      on growth alone.
 * A module's blocks that belong to no known stack (their STACK record was
 * lost) form a site without frames, which only module: rules match.
 */
#ifndef HB_GATE_H
#define HB_GATE_H

#include <stdint.h>
#include <stdio.h>

#include "baseline.h"
#include "blame.h"
#include "suppressions.h"

#define GATE_UNLIMITED UINT64_MAX

struct gate_options {
	unsigned kinds;                  /* leak_kind.h mask; unclassified is added */
	int kinds_none;                  /* no leak counts at all, unclassified neither */
	int have_max_growth;
	double max_growth;               /* bytes per hour */
	uint64_t max_bytes, max_blocks;  /* GATE_UNLIMITED: no limit */
	struct supp_list *supp;          /* NULL: none; hit counts are filled in */
	struct baseline *base;           /* NULL: none; its allowances are used up */
};

enum gate_base_match {
	GATE_BASE_NONE,    /* no baseline, or a site it does not know: all new */
	GATE_BASE_SITE,    /* matched a baseline site by its stack */
	GATE_BASE_POOL,    /* covered by what the baseline module held beyond its listed sites */
};

struct gate_site {
	const struct blame_site *site;   /* NULL: blocks of no known stack */
	struct leak_tally kinds;         /* every kind (reachable too) */
	uint64_t leaked_bytes, leaked_blocks; /* counted kinds + unclassified */
	long suppressed;                 /* index of the hiding rule, or -1 */
	enum gate_base_match base;
	uint64_t base_bytes, base_blocks; /* what the baseline allowed it */
	uint64_t new_bytes, new_blocks;  /* what counts against the budget */
};

struct gate_module {
	const struct blame_module *mod;
	struct gate_site *sites;         /* counted first (most new bytes), then the rest */
	size_t nsites;
	uint64_t leaked_bytes, leaked_blocks;         /* not suppressed */
	uint64_t suppressed_bytes, suppressed_blocks; /* leaked, hidden by rules */
	uint64_t new_bytes, new_blocks;               /* counted */
	size_t counted_sites;            /* sites with new bytes or blocks */
};

/* A module growing faster than --max-growth: one line of the report's
 * timeline, and where its growth comes from when the module still holds
 * memory at the end (a module whose memory was all freed again has a line
 * of the timeline but no module in the report). */
struct gate_growth {
	const struct blame_timeline_module *mod;
	const struct blame_module *rmod;  /* the report's module of the same path, or NULL */
	const struct blame_site *site;    /* rmod's fastest growing site, else its largest; NULL without rmod */
	const struct blame_entry *entry;  /* rmod's entry point that site came through, or NULL */
};

struct gate_result {
	struct gate_module *mods;        /* counted modules first (most new bytes), then the rest */
	struct gate_growth *growing;     /* fastest first */
	size_t ngrowing;
	int with_growth;                 /* --max-growth was given */
	double max_growth;               /* bytes per hour */
	int kinds_none;
	size_t nmods;
	size_t counted_mods;
	unsigned kinds;                  /* counted kinds, unclassified included */
	uint64_t max_bytes, max_blocks;
	uint64_t new_bytes, new_blocks;  /* counted against the budget */
	uint64_t leaked_bytes, leaked_blocks;         /* before the baseline */
	uint64_t suppressed_bytes, suppressed_blocks;
	uint64_t baseline_bytes, baseline_blocks;     /* leaked, allowed by the baseline */
	int with_baseline;
	int fail;
	const struct blame_report *report;
};

/* Builds the verdict. Returns 0, or -1 out of memory. */
int gate_build(struct gate_result *g, const struct blame_report *r, const struct gate_options *o);
void gate_free(struct gate_result *g);

/* The closing sentence, without newline: "heapblame: 4.10 KiB in 3 blocks
 * leaked in 1 module (budget 0): FAIL". */
void gate_verdict(const struct gate_result *g, char *out, size_t cap);

/* "growing 3.52 MiB/h since 0:00:01 (limit 100 KiB/h)": a module over
 * --max-growth, as every format says it. */
void gate_growth_text(const struct gate_result *g, const struct gate_growth *gg, char *out, size_t cap);

/* "entered through main() from libc.so.6's __libc_start_call_main()":
 * the entry point its growth came through; "" when unknown. */
void gate_growth_entered(const struct gate_growth *gg, char *out, size_t cap);

/* "0", "1.00 KiB", "10 blocks", "1.00 KiB and 10 blocks": the budget. */
void gate_budget(const struct gate_result *g, char *out, size_t cap);

/* The site's allocating frame: its blamed frame (blame.h), the first
 * outside the allocator wrappers; NULL for a site without frames. */
const struct blame_frame *gate_allocating_frame(const struct blame_module *m, const struct blame_site *s);

/* The site's source line, where a report or a code-scanning alert points:
 * from the allocating frame outwards, the first frame with a line whose
 * file lies under root (the project's own sources: in C++ the innermost
 * lines are often the standard library's new_allocator.h, inlined into the
 * blamed module, while the line to fix is the project's); else the first
 * frame of the blamed module with a file and a line; else the innermost
 * frame with both. A file whose path cannot be made absolute
 * (source_path.h: glibc's, whose compilation directory is relative) never
 * counts. root NULL: no first step. NULL if no frame qualifies. */
const struct blame_frame *gate_source_frame(const struct blame_module *m, const struct blame_site *s,
					    const char *root);

/* Renderers: text for people, JSON (docs/check.md), JUnit XML, SARIF 2.1.0.
 * notes: messages about the traces (no scan, ...), each one sentence.
 * top: sites shown per module in text and JUnit (0: all). Each returns 0,
 * or -1 out of memory. */
struct gate_render {
	const char *const *notes;
	size_t nnotes;
	size_t top;
	int print_suppressions;
	const struct supp_list *supp;
	const char *baseline_path;
	const char *source_root;         /* absolute; the project's sources: sites are located
					  * in them first, and SARIF paths under it are relative */
	const char *const *traces;
	size_t ntraces;
};

int gate_text(FILE *f, const struct gate_result *g, const struct gate_render *o);
/* The --print-suppressions table: each rule, where it is, what it hid. */
void gate_text_suppressions(FILE *f, const struct supp_list *l);
int gate_json(FILE *f, const struct gate_result *g, const struct gate_render *o);
int report_junit(FILE *f, const struct gate_result *g, const struct gate_render *o);
int report_sarif(FILE *f, const struct gate_result *g, const struct gate_render *o);

#endif
