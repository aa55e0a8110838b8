/*
 * check_options.c - parsing and help of check's options (see
 * check_options.h).
 */
#include "check_options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_units.h"
#include "leak_kind.h"
#include "wrapper_functions.h"

const struct option check_options_long[] = {
	{"max-bytes", required_argument, NULL, CHECK_OPT_MAX_BYTES},
	{"max-blocks", required_argument, NULL, CHECK_OPT_MAX_BLOCKS},
	{"kinds", required_argument, NULL, CHECK_OPT_KINDS},
	{"suppressions", required_argument, NULL, CHECK_OPT_SUPPRESSIONS},
	{"print-suppressions", no_argument, NULL, CHECK_OPT_PRINT_SUPPRESSIONS},
	{"baseline", required_argument, NULL, CHECK_OPT_BASELINE},
	{"format", required_argument, NULL, CHECK_OPT_FORMAT},
	{"output", required_argument, NULL, CHECK_OPT_OUTPUT},
	{"top", required_argument, NULL, CHECK_OPT_TOP},
	{"wrapper", required_argument, NULL, CHECK_OPT_WRAPPER},
	{"wrapper-function", required_argument, NULL, CHECK_OPT_WRAPPER_FUNCTION},
	{"source-root", required_argument, NULL, CHECK_OPT_SOURCE_ROOT},
	{"sysroot", required_argument, NULL, CHECK_OPT_SYSROOT},
	{"debug-dir", required_argument, NULL, CHECK_OPT_DEBUG_DIR},
	{"max-growth", required_argument, NULL, CHECK_OPT_MAX_GROWTH},
	{"at", required_argument, NULL, CHECK_OPT_AT},
	{"since", required_argument, NULL, CHECK_OPT_SINCE},
	{"debuginfod", no_argument, NULL, CHECK_OPT_DEBUGINFOD},
	{NULL, 0, NULL, 0},
};

const struct option check_options_under_run[] = {
	{"max-bytes", required_argument, NULL, CHECK_OPT_MAX_BYTES},
	{"max-blocks", required_argument, NULL, CHECK_OPT_MAX_BLOCKS},
	{"kinds", required_argument, NULL, CHECK_OPT_KINDS},
	{"suppressions", required_argument, NULL, CHECK_OPT_SUPPRESSIONS},
	{"print-suppressions", no_argument, NULL, CHECK_OPT_PRINT_SUPPRESSIONS},
	{"baseline", required_argument, NULL, CHECK_OPT_BASELINE},
	{"format", required_argument, NULL, CHECK_OPT_FORMAT},
	{"check-output", required_argument, NULL, CHECK_OPT_OUTPUT},
	{"top", required_argument, NULL, CHECK_OPT_TOP},
	{"wrapper-function", required_argument, NULL, CHECK_OPT_WRAPPER_FUNCTION},
	{"source-root", required_argument, NULL, CHECK_OPT_SOURCE_ROOT},
	{"sysroot", required_argument, NULL, CHECK_OPT_SYSROOT},
	{"debug-dir", required_argument, NULL, CHECK_OPT_DEBUG_DIR},
	{"max-growth", required_argument, NULL, CHECK_OPT_MAX_GROWTH},
	{"at", required_argument, NULL, CHECK_OPT_AT},
	{"since", required_argument, NULL, CHECK_OPT_SINCE},
	{"debuginfod", no_argument, NULL, CHECK_OPT_DEBUGINFOD},
	{NULL, 0, NULL, 0},
};

int check_options_init(struct check_options *o, int argc)
{
	memset(o, 0, sizeof(*o));
	o->kinds = LEAK_DEFAULT_KINDS;
	o->format = "text";
	o->top = 5;
	o->supp_files = calloc((size_t)argc + 1, sizeof(*o->supp_files));
	o->wrappers = calloc((size_t)argc + 1, sizeof(*o->wrappers));
	o->wrapper_functions = calloc((size_t)argc + 1, sizeof(*o->wrapper_functions));
	if (!o->supp_files || !o->wrappers || !o->wrapper_functions ||
	    wrapper_functions_add_env(&o->wrapper_functions, &o->nwrapper_functions, (size_t)argc + 1) < 0) {
		check_options_free(o);
		cli_error("out of memory");
		return -1;
	}
	return 0;
}

void check_options_free(struct check_options *o)
{
	free(o->supp_files);
	free(o->wrappers);
	free(o->wrapper_functions);
	o->supp_files = NULL;
	o->wrappers = NULL;
	o->wrapper_functions = NULL;
}

static int parse_count(const char *opt, const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || *s == '+' || *s == ' ') {
		cli_error("%s: '%s' is not a non-negative number", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

int check_options_set(struct check_options *o, int id, const char *arg)
{
	uint64_t v;
	char bad[64];
	switch (id) {
	case CHECK_OPT_MAX_BYTES:
		if (parse_count("--max-bytes", arg, &o->max_bytes) < 0)
			return -1;
		o->have_max_bytes = 1;
		return 0;
	case CHECK_OPT_MAX_BLOCKS:
		if (parse_count("--max-blocks", arg, &o->max_blocks) < 0)
			return -1;
		o->have_max_blocks = 1;
		return 0;
	case CHECK_OPT_MAX_GROWTH:
		if (cli_parse_rate("--max-growth", arg, &o->max_growth) < 0)
			return -1;
		o->have_max_growth = 1;
		return 0;
	case CHECK_OPT_AT:
	case CHECK_OPT_SINCE:
		return cli_window_set(&o->window, id == CHECK_OPT_AT, id == CHECK_OPT_AT ? "--at" : "--since", arg);
	case CHECK_OPT_KINDS:
		o->kinds_none = !strcmp(arg, "none");
		if (o->kinds_none) {
			o->kinds = 0;
			return 0;
		}
		if (leak_kinds_parse(arg, &o->kinds, bad, sizeof(bad)) < 0) {
			cli_error("--kinds: '%s' is not a leak kind (a comma list of definite, indirect, reachable; or none)",
				  bad);
			return -1;
		}
		return 0;
	case CHECK_OPT_SUPPRESSIONS:
		o->supp_files[o->nsupp++] = arg;
		return 0;
	case CHECK_OPT_PRINT_SUPPRESSIONS:
		o->print_suppressions = 1;
		return 0;
	case CHECK_OPT_BASELINE:
		o->baseline = arg;
		return 0;
	case CHECK_OPT_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "json") && strcmp(arg, "junit") && strcmp(arg, "sarif")) {
			cli_error("--format: '%s' is not one of text, json, junit, sarif", arg);
			return -1;
		}
		o->format = arg;
		return 0;
	case CHECK_OPT_OUTPUT:
		o->output = arg;
		return 0;
	case CHECK_OPT_TOP:
		if (parse_count("--top", arg, &v) < 0)
			return -1;
		o->top = (size_t)v;
		return 0;
	case CHECK_OPT_WRAPPER:
		o->wrappers[o->nwrappers++] = arg;
		return 0;
	case CHECK_OPT_WRAPPER_FUNCTION:
		o->wrapper_functions[o->nwrapper_functions++] = arg;
		return 0;
	case CHECK_OPT_SOURCE_ROOT:
		o->source_root = arg;
		return 0;
	case CHECK_OPT_SYSROOT:
		o->sysroot = arg;
		return 0;
	case CHECK_OPT_DEBUG_DIR:
		o->debug_dir = arg;
		return 0;
	case CHECK_OPT_DEBUGINFOD:
		o->debuginfod = 1;
		return 0;
	}
	cli_error("internal: unknown check option %d", id);
	return -1;
}

void check_options_help(FILE *out, int under_run)
{
	fprintf(out,
		"      --max-bytes N        budget: fail when more than N bytes leaked\n"
		"      --max-blocks N       budget: fail when more than N blocks leaked\n"
		"                           (with neither, the budget is 0 bytes and 0 blocks;\n"
		"                           giving one leaves the other unlimited)\n"
		"      --kinds LIST         leak kinds counted, a comma list of definite, indirect,\n"
		"                           reachable (default definite,indirect); blocks of a trace\n"
		"                           without a reachability scan are unclassified and always\n"
		"                           count; 'none' counts no leaks at all (gate on growth)\n"
		"      --max-growth RATE    fail when a module is growing faster than RATE, a size\n"
		"                           per s, min, h or d (1MiB/h, 100KiB/min; docs/growth.md)\n"
		"      --at TIME            judge the state at TIME (the last flush at or before it)\n"
		"      --since TIME         count only blocks allocated at or after TIME; TIME as\n"
		"                           in 'heapblame report': 90s, 15m, 1h30m, -10m (from the end)\n"
		"      --suppressions FILE  leaks not to count: module:GLOB, entry:FUNC, site:FUNC,\n"
		"                           leak:PATTERN lines (docs/suppressions.md); repeatable.\n"
		"                           A leak: rule's blocks are roots, as in LeakSanitizer: what\n"
		"                           only they reach is hidden too; the program's own\n"
		"                           __lsan_default_suppressions() is applied after the files\n"
		"      --print-suppressions list what each suppression hid\n"
		"      --baseline FILE      count only what leaks beyond FILE, written earlier by\n"
		"                           'heapblame report --format json --top 0'\n");
	if (under_run)
		fprintf(out,
			"  -f, --format FORMAT      text (default), json, junit, sarif\n"
			"      --check-output FILE  write the check's result to FILE (the verdict also goes\n"
			"                           to stderr; -o is run's: where the traces go)\n"
			"  -n, --top N              sites shown per module (default 5; 0: all)\n");
	else
		fprintf(out,
			"  -f, --format FORMAT      text (default), json, junit (GitLab, Jenkins), sarif\n"
			"                           (GitHub code scanning)\n"
			"  -o, --output FILE        write the result to FILE (the verdict also goes to stderr)\n"
			"  -n, --top N              sites shown per module in text and junit (default 5;\n"
			"                           0: all)\n"
			"  -w, --wrapper NAME       a module that wraps the allocator: never blamed;\n"
			"                           repeatable\n");
	fprintf(out,
		"      --wrapper-function NAME  a function (a glob) that wraps the allocator: its\n"
		"                           caller is blamed; repeatable (also\n"
		"                           HEAPBLAME_WRAPPER_FUNCTIONS; xmalloc, g_malloc, ...\n"
		"                           always are)\n");
	fprintf(out,
		"      --source-root DIR    the project's sources (default: the current directory):\n"
		"                           junit and sarif place each leak at its first frame\n"
		"                           under DIR; sarif paths under DIR are relative to it\n"
		"      --sysroot DIR        look for modules under DIR (traces from another machine)\n"
		"      --debug-dir DIR      look for separate debug files in DIR/.build-id/\n"
		"      --debuginfod         fetch missing debug files from DEBUGINFOD_URLS\n");
}
