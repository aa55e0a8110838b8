/*
 * cmd_report.c - `heapblame report TRACE...`: what is outstanding at the
 * end of the traces, by the module whose code allocated it.
 *
 * Loads every trace into the model (several traces merge: the workers of
 * a forking server), blames, symbolizes and renders in the chosen format.
 * A trace cut short or partly damaged is reported up to its last good
 * block, with warnings on stderr and exit 0; a trace that cannot be used
 * at all is an input error (exit 2).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blame.h"
#include "cli.h"
#include "cli_units.h"
#include "fork_merge.h"
#include "report.h"
#include "symbol_problems.h"
#include "term_escape.h"
#include "trace_model.h"
#include "wrapper_functions.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: heapblame report [OPTIONS] TRACE...\n"
		"Report the memory outstanding at the end of the traces, grouped by the module\n"
		"whose code allocated it, with the entry point through which that module was\n"
		"entered and the allocating call stacks. Several traces are merged. Where the\n"
		"shim's exit-time scan ran, outstanding memory is shown by leak kind: definite,\n"
		"indirect, reachable ('heapblame check' gates on them).\n\n"
		"  -f, --format FORMAT    text (default), json (docs/report-json.md), folded (flame\n"
		"                         graphs), pprof (profile.proto, for pprof), svg (the\n"
		"                         timeline as a picture), html (one self-contained page:\n"
		"                         timeline, modules, sites, flame graph; docs/report-html.md)\n"
		"  -b, --by GROUP         text grouping: module (default), entry, site, function\n"
		"  -n, --top N            sites (and entry points in text) shown per module (default 5;\n"
		"                         0: all; html's flame graph always has every site)\n"
		"  -m, --module GLOB      only modules whose name or path matches GLOB\n"
		"      --min-bytes N      leave out modules and sites holding fewer bytes\n"
		"      --at TIME          the state at TIME: at the last flush at or before it\n"
		"      --since TIME       only blocks allocated at or after TIME (and still\n"
		"                         outstanding at the end, or at --at)\n"
		"                         TIME counts from the process's start: 90s, 15m, 2h,\n"
		"                         1h30m; from the end when negative: -10m\n"
		"  -w, --wrapper NAME     treat module NAME as an allocator wrapper (repeatable;\n"
		"                         libc, libstdc++ and the shim always are)\n"
		"      --wrapper-function NAME  treat function NAME (a glob) as an allocator\n"
		"                         wrapper: its caller is blamed (repeatable; also\n"
		"                         HEAPBLAME_WRAPPER_FUNCTIONS; xmalloc, g_malloc,\n"
		"                         PyMem_Malloc, sqlite3_malloc, ... always are)\n"
		"      --sysroot DIR      look for modules under DIR (traces from another machine)\n"
		"      --debug-dir DIR    look for separate debug files in DIR/.build-id/\n"
		"      --debuginfod       fetch missing debug files from the servers in\n"
		"                         DEBUGINFOD_URLS (never otherwise)\n"
		"  -o, --output FILE      write the report to FILE instead of standard output\n"
		"      --color WHEN       auto (default: on a terminal, unless NO_COLOR), always, never\n"
		"  -h, --help             show this help\n\n"
		"Exit status: 0 reported (also for a trace cut short or partly damaged, with a\n"
		"warning: garbage, a block that would expand more than 256 times, ...);\n"
		"2 usage error, or a trace that cannot be read at all.\n");
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || !*s || *s == '-') {
		cli_error("%s: '%s' is not a non-negative number", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* The text report, its control characters escaped (term_escape.h): the
 * names in it come from the trace. Rendered to memory first, so that the
 * report's own bold and normal sequences are told from a path's. 0, or -1
 * out of memory. */
static int text_escaped(FILE *out, const struct blame_report *rep, const struct report_options *ro)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	int rc = report_text(m, rep, ro);
	if (fclose(m) != 0 || rc < 0) {
		free(buf);
		return -1;
	}
	term_escape_write(out, buf, len, ro->color);
	free(buf);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	enum { OPT_MIN_BYTES = 256, OPT_SYSROOT, OPT_DEBUG_DIR, OPT_COLOR, OPT_DEBUGINFOD, OPT_AT, OPT_SINCE,
	       OPT_WRAPPER_FUNCTION };
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},   {"by", required_argument, NULL, 'b'},
		{"top", required_argument, NULL, 'n'},      {"module", required_argument, NULL, 'm'},
		{"min-bytes", required_argument, NULL, OPT_MIN_BYTES},
		{"wrapper", required_argument, NULL, 'w'},  {"sysroot", required_argument, NULL, OPT_SYSROOT},
		{"wrapper-function", required_argument, NULL, OPT_WRAPPER_FUNCTION},
		{"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
		{"output", required_argument, NULL, 'o'},   {"color", required_argument, NULL, OPT_COLOR},
		{"debuginfod", no_argument, NULL, OPT_DEBUGINFOD},
		{"at", required_argument, NULL, OPT_AT},    {"since", required_argument, NULL, OPT_SINCE},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	struct tm_window window = {0};
	const char *format = "text", *output = NULL, *sysroot = NULL, *debug_dir = NULL, *color = "auto";
	struct blame_options bo = {.top = 5};
	struct report_options ro = {.by = REPORT_BY_MODULE, .top = 5};
	const char **wrappers = calloc((size_t)argc + 1, sizeof(*wrappers));
	const char **wfuncs = calloc((size_t)argc + 1, sizeof(*wfuncs));
	int status = HB_EXIT_USAGE;
	struct tm_model model = {0};
	struct symbolizer *sym = NULL;
	struct blame_report rep = {0};
	int have_rep = 0;
	int debuginfod = 0;
	FILE *out = stdout;
	if (!wrappers || !wfuncs) {
		free(wrappers);
		free(wfuncs);
		cli_error("out of memory");
		return HB_EXIT_USAGE;
	}
	bo.wrappers = wrappers;
	int c;
	uint64_t v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:b:n:m:w:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "folded") &&
			    strcmp(format, "pprof") && strcmp(format, "svg") && strcmp(format, "html")) {
				cli_error("--format: '%s' is not one of text, json, folded, pprof, svg, html", optarg);
				goto out;
			}
			break;
		case 'b':
			if (!strcmp(optarg, "module"))
				ro.by = REPORT_BY_MODULE;
			else if (!strcmp(optarg, "entry"))
				ro.by = REPORT_BY_ENTRY;
			else if (!strcmp(optarg, "site"))
				ro.by = REPORT_BY_SITE;
			else if (!strcmp(optarg, "function"))
				ro.by = REPORT_BY_FUNCTION;
			else {
				cli_error("--by: '%s' is not one of module, entry, site, function", optarg);
				goto out;
			}
			break;
		case 'n':
			if (parse_u64("--top", optarg, &v) < 0)
				goto out;
			bo.top = ro.top = (size_t)v;
			break;
		case 'm':
			bo.module_glob = optarg;
			break;
		case OPT_MIN_BYTES:
			if (parse_u64("--min-bytes", optarg, &v) < 0)
				goto out;
			bo.min_bytes = v;
			break;
		case 'w':
			wrappers[bo.nwrappers++] = optarg;
			break;
		case OPT_WRAPPER_FUNCTION:
			wfuncs[bo.nwrapper_functions++] = optarg;
			break;
		case OPT_SYSROOT:
			sysroot = optarg;
			break;
		case OPT_DEBUG_DIR:
			debug_dir = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_DEBUGINFOD:
			debuginfod = 1;
			break;
		case OPT_AT:
		case OPT_SINCE:
			if (cli_window_set(&window, c == OPT_AT, c == OPT_AT ? "--at" : "--since", optarg) < 0)
				goto out;
			break;
		case OPT_COLOR:
			color = optarg;
			if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
				cli_error("--color: '%s' is not one of auto, always, never", optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			fprintf(stderr, "Try 'heapblame report --help'.\n");
			goto out;
		}
	}
	if (optind >= argc) {
		cli_error("report: no trace given (usage: heapblame report [OPTIONS] TRACE...)");
		goto out;
	}
	if (wrapper_functions_add_env(&wfuncs, &bo.nwrapper_functions, 0) < 0) {
		cli_error("out of memory");
		goto out;
	}
	bo.wrapper_functions = wfuncs;
	for (int i = optind; i < argc; i++) {
		char err[4200];
		if (tm_load(&model, argv[i], &window, cli_warn_cb, NULL, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			goto out;
		}
		if (model.procs[model.nprocs - 1].end_kind == TM_END_NONE && !model.procs[model.nprocs - 1].cut)
			cli_warn("%s: the trace has no END record (the process was killed, or is still running): "
				 "outstanding means outstanding at its last flush",
				 argv[i]);
	}
	fork_merge_apply(&model); /* a block from before a fork counts once, in the parent (fork_merge.h) */
	if (!strcmp(format, "pprof") || !strcmp(format, "folded") || !strcmp(format, "html"))
		bo.top = 0; /* profiles and html's flame graph carry every site (html lists --top) */
	/* libdw asks the debuginfod servers in DEBUGINFOD_URLS for debug files it
	 * cannot find: a network fetch, so only when asked */
	if (!debuginfod)
		unsetenv("DEBUGINFOD_URLS");
	else if (!getenv("DEBUGINFOD_URLS"))
		cli_warn("--debuginfod: DEBUGINFOD_URLS is not set, so there is no server to ask");
	sym = sym_new(sysroot, debug_dir);
	if (!sym || blame_build(&rep, &model, sym, &bo) < 0) {
		cli_error("out of memory");
		goto out;
	}
	have_rep = 1;
	if (bo.module_glob && rep.nmods == 0)
		cli_warn("no module matching '%s' holds outstanding memory", bo.module_glob);
	if (symbol_problems(sym, sysroot != NULL, 0, cli_warn_cb, NULL) < 0) {
		cli_error("out of memory");
		goto out;
	}
	if (getenv("HEAPBLAME_SYM_STATS")) {
		/* for tests and bench/README.md: what symbolizing cost, in
		 * lookups; never changes the report */
		struct sym_stats st;
		sym_get_stats(sym, &st);
		fprintf(stderr,
			"heapblame: symbolizer: %" PRIu64 " symbol tables indexed, %" PRIu64 " DWARF opened, %" PRIu64
			" symbol lookups, %" PRIu64 " DWARF lookups, %" PRIu64 " answered from the cache, %" PRIu64
			" units walked, %" PRIu64 " scopes from libdw\n",
			st.symtab_indexed, st.dwarf_opened, st.symtab_lookups, st.dwarf_lookups, st.cache_hits,
			st.units_walked, st.scopes_slow);
	}
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			cli_error("cannot write %s: %s", output, strerror(errno));
			out = stdout;
			goto out;
		}
	}
	ro.sparklines = !output && isatty(STDOUT_FILENO);
	ro.color = !strcmp(color, "always") ||
		   (!strcmp(color, "auto") && !output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	if (!strcmp(format, "json"))
		report_json(out, &rep, &ro);
	else if (!strcmp(format, "folded"))
		report_folded(out, &rep, &ro);
	else if (!strcmp(format, "pprof")) {
		if (!output && isatty(STDOUT_FILENO)) {
			cli_error("--format pprof writes binary protobuf: use -o FILE or a redirection");
			goto out;
		}
		if (report_pprof(out, &rep, &ro) < 0) {
			cli_error("out of memory");
			goto out;
		}
	}
	else if (!strcmp(format, "svg") || !strcmp(format, "html")) {
		/* text, so a terminal may have it too (as json) */
		if ((!strcmp(format, "svg") ? report_svg : report_html)(out, &rep, &ro) < 0) {
			cli_error("out of memory");
			goto out;
		}
	}
	else if (text_escaped(out, &rep, &ro) < 0) {
		cli_error("out of memory");
		goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		cli_error("cannot write the report: %s", strerror(errno));
		goto out;
	}
	status = 0;
out:
	if (out != stdout)
		fclose(out);
	if (have_rep)
		blame_free(&rep);
	sym_free(sym);
	tm_free(&model);
	free(wrappers);
	free(wfuncs);
	return status;
}
