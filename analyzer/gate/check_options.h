/*
 * check_options.h - the options of `heapblame check`, which `heapblame run
 * --check` takes too: one table, one parser, one help text, so the two
 * commands cannot drift apart.
 *
 * Under `run`, check's -o/--output is spelled --check-output (run's
 * -o/--output says where traces go) and -w/--wrapper is run's own, passed
 * to both the shim and the check; check's other short options, -f and -n,
 * are taken as they are, since run has no option of those letters.
 */
#ifndef HB_CHECK_OPTIONS_H
#define HB_CHECK_OPTIONS_H

#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baseline.h"
#include "suppressions.h"
#include "trace_model.h"

enum check_option_id {
	CHECK_OPT_MAX_BYTES = 0x400,
	CHECK_OPT_MAX_BLOCKS,
	CHECK_OPT_KINDS,
	CHECK_OPT_SUPPRESSIONS,
	CHECK_OPT_PRINT_SUPPRESSIONS,
	CHECK_OPT_BASELINE,
	CHECK_OPT_FORMAT,
	CHECK_OPT_OUTPUT,
	CHECK_OPT_TOP,
	CHECK_OPT_WRAPPER,
	CHECK_OPT_SOURCE_ROOT,
	CHECK_OPT_SYSROOT,
	CHECK_OPT_DEBUG_DIR,
	CHECK_OPT_DEBUGINFOD,
	CHECK_OPT_MAX_GROWTH,
	CHECK_OPT_AT,
	CHECK_OPT_SINCE,
	CHECK_OPT_WRAPPER_FUNCTION,
	CHECK_OPT_END_, /* not an option: the ids above are those below it */
};

struct check_options {
	unsigned kinds;                  /* leak_kind.h mask */
	int kinds_none;                  /* --kinds none: no exit-time leak counts, unclassified neither */
	double max_growth;               /* bytes per hour (have_max_growth) */
	int have_max_growth;
	struct tm_window window;         /* --at, --since */
	uint64_t max_bytes, max_blocks;  /* as given */
	int have_max_bytes, have_max_blocks;
	const char **supp_files;
	size_t nsupp;
	int print_suppressions;
	const char *baseline;
	const char *format;              /* text, json, junit, sarif */
	const char *output;
	size_t top;
	const char **wrappers;
	size_t nwrappers;
	const char **wrapper_functions;  /* HEAPBLAME_WRAPPER_FUNCTIONS's, then --wrapper-function's */
	size_t nwrapper_functions;
	const char *source_root, *sysroot, *debug_dir;
	int debuginfod;
};

/* check's long options (getopt_long form, NULL-terminated) as `heapblame
 * check` spells them, and as `run --check` does. */
extern const struct option check_options_long[];
extern const struct option check_options_under_run[];

/* Defaults (the wrapper functions HEAPBLAME_WRAPPER_FUNCTIONS names among
 * them); room for up to argc repeated options. Returns 0 or -1 (out of
 * memory, said on stderr). */
int check_options_init(struct check_options *o, int argc);
void check_options_free(struct check_options *o);

/* Applies option id (a CHECK_OPT_* value) with its argument. Returns 0, or
 * -1 after saying on stderr what is wrong with the value. */
int check_options_set(struct check_options *o, int id, const char *arg);

/* The option lines of the help text; under_run: as `run --check` spells
 * them. */
void check_options_help(FILE *out, int under_run);

/* What a check reads besides its traces, loaded and validated before any
 * trace is (cmd_check.c): the suppression files, the baseline, the source
 * root made absolute, and whether the result's file can be written. `run
 * --check` loads them before it runs the program, so that a bad
 * suppression line or an unreadable baseline fails at once (status 2,
 * FILE:LINE), not after the whole test suite ran. */
struct check_inputs {
	struct supp_list supp;
	struct baseline base;            /* when have_base */
	int have_base;
	char source_root[PATH_MAX];      /* absolute */
};

/* Returns 0, or 2 (HB_EXIT_USAGE) after saying on stderr what is wrong;
 * free with check_inputs_free either way. */
int check_inputs_load(struct check_inputs *in, const struct check_options *o);
void check_inputs_free(struct check_inputs *in);

/* The gate itself (cmd_check.c): loads the traces, applies the options and
 * the inputs (whose baseline allowances it uses up: one check per load),
 * writes the result and returns the exit status: 0 within budget, 1 leaks
 * over budget, 2 a usage or input error (said on stderr). */
int check_execute(const struct check_options *o, struct check_inputs *in, char *const *traces, size_t ntraces);

#endif
