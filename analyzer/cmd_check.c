/*
 * cmd_check.c - `heapblame check TRACE...`: fail a CI job on leaks, and
 * only on real ones.
 *
 * Loads the traces (several merge, as in `report`), blames every site
 * (no --top cut: the gate must see them all), and hands the report to the
 * gate (gate.h): counted kinds, suppressions, baseline, budget. Then one
 * renderer writes the result, and the exit status says it:
 *   0  within budget        1  leaks over budget
 *   2  a usage or input error: an unreadable, damaged or corrupt trace (a
 *      gate cannot vouch for a trace with holes in it; a trace cut short
 *      by a killed process is read, and its blocks are unclassified), a
 *      bad suppression line (FILE:LINE), an unreadable baseline.
 * Text output ends with the verdict sentence; other formats, and text
 * written to a file, leave it (and the notes) on stderr, so a CI log
 * always shows it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "blame.h"
#include "check_options.h"
#include "cli.h"
#include "gate.h"
#include "trace_model.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: heapblame check [OPTIONS] TRACE...\n"
		"Fail when the traces leak more than the budget: the gate for a CI job.\n"
		"Outstanding is not leaked: at exit the shim classifies outstanding blocks by\n"
		"reachability (definite, indirect, reachable); check counts definite and\n"
		"indirect blocks by default, and every block of a trace that has no scan.\n\n");
	check_options_help(out, 0);
	fprintf(out,
		"  -h, --help               show this help\n\n"
		"Exit status: 0 within budget; 1 leaks over budget; 2 usage or input error (an\n"
		"unreadable or damaged trace, a bad suppression line, an unreadable baseline).\n"
		"The last line of the text output is the verdict, e.g.\n"
		"  heapblame: 4.10 KiB in 3 blocks leaked in 1 module (budget 0): FAIL\n");
}

/* Why a trace's outstanding blocks are unclassified, for the note. */
static void no_scan_note(char *out, size_t cap, const struct tm_process *p)
{
	const char *why;
	char buf[160];
	if (p->scan_status == TM_SCAN_NONE) {
		if (!strcmp(p->end, "none"))
			why = "the process did not end cleanly: killed, crashed, or still running";
		else {
			snprintf(buf, sizeof(buf), "the trace has no SCAN record; it ends with '%s'", p->end);
			why = buf;
		}
	} else if (p->scan_status == HB_SCAN_OFF) {
		why = "the scan was switched off: HEAPBLAME_LEAK_SCAN=0";
	} else if (p->scan_status == HB_SCAN_NO_MEMORY) {
		why = "the scan could not map its work space";
	} else if (p->scan_status == HB_SCAN_NO_THREADS) {
		why = "the scan could not stop the other threads";
	} else {
		why = "its scan status is unknown to this heapblame";
	}
	snprintf(out, cap, "no reachability scan in %s (%s): every outstanding block counts", p->trace_path, why);
}

/* Notes about the traces, one sentence each (NULL-terminated array of
 * malloc'd strings), or NULL out of memory. */
static char **trace_notes(const struct tm_model *m, size_t *n)
{
	char **notes = calloc(2 * m->nprocs + 1, sizeof(*notes));
	if (!notes)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct tm_process *p = &m->procs[i];
		char msg[1200];
		if (!strncmp(p->end, "exec ", 5) || !p->out_blocks)
			continue; /* nothing of it counts */
		if (!tm_scanned(p))
			no_scan_note(msg, sizeof(msg), p);
		else if (p->reach_missing)
			snprintf(msg, sizeof(msg),
				 "%s: %" PRIu64 " outstanding blocks have no REACH record: they are unclassified and count",
				 p->trace_path, p->reach_missing);
		else
			continue;
		if (!(notes[(*n)++] = strdup(msg)))
			return notes; /* a note less: not worth failing the gate */
	}
	return notes;
}

static int damaged(const struct tm_process *p)
{
	if (!p->damaged_blocks && !p->skipped_bytes && !p->malformed)
		return 0;
	cli_error("%s: the trace is damaged (%" PRIu64 " blocks and %" PRIu64 " bytes skipped, %" PRIu64
		  " malformed records): a gate cannot vouch for it; 'heapblame report' shows what is readable",
		  p->trace_path, p->damaged_blocks, p->skipped_bytes, p->malformed);
	return 1;
}

int check_execute(const struct check_options *o, char *const *traces, size_t ntraces)
{
	int status = HB_EXIT_USAGE;
	struct supp_list supp = {0};
	struct baseline base;
	int have_base = 0, have_rep = 0, have_gate = 0;
	struct tm_model model = {0};
	struct symbolizer *sym = NULL;
	struct blame_report rep;
	struct gate_result g;
	char **notes = NULL;
	size_t nnotes = 0;
	FILE *out = stdout;
	char err[4200];
	char root[PATH_MAX];

	for (size_t i = 0; i < o->nsupp; i++) {
		if (supp_load(&supp, o->supp_files[i], err, sizeof(err)) < 0) {
			cli_error("%s", err);
			goto out;
		}
	}
	for (size_t i = 0; i < ntraces; i++) {
		if (tm_load(&model, traces[i], cli_warn_cb, NULL, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			goto out;
		}
		if (damaged(&model.procs[model.nprocs - 1]))
			goto out;
		if (model.procs[model.nprocs - 1].lost_events)
			cli_warn("%s: the shim could not record %" PRIu64 " events: what is outstanding may be off",
				 traces[i], model.procs[model.nprocs - 1].lost_events);
	}
	if (o->baseline) {
		if (baseline_load(&base, o->baseline, o->kinds, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			goto out;
		}
		have_base = 1;
		size_t cut = 0;
		for (size_t i = 0; i < base.nmods; i++)
			cut += base.mods[i].listed < base.mods[i].total;
		if (cut)
			cli_warn("%s lists only some sites of %zu module%s (written without --top 0): sites it does not "
				 "list are matched by the module's total",
				 o->baseline, cut, cut == 1 ? "" : "s");
	}
	if (!o->debuginfod)
		unsetenv("DEBUGINFOD_URLS");
	sym = sym_new(o->sysroot, o->debug_dir);
	struct blame_options bo = {.wrappers = o->wrappers, .nwrappers = o->nwrappers, .top = 0};
	if (!sym || blame_build(&rep, &model, sym, &bo) < 0) {
		cli_error("out of memory");
		goto out;
	}
	have_rep = 1;
	struct gate_options go = {
		.kinds = o->kinds,
		.max_bytes = o->have_max_bytes ? o->max_bytes : o->have_max_blocks ? GATE_UNLIMITED : 0,
		.max_blocks = o->have_max_blocks ? o->max_blocks : o->have_max_bytes ? GATE_UNLIMITED : 0,
		.supp = &supp,
		.base = have_base ? &base : NULL,
	};
	if (gate_build(&g, &rep, &go) < 0) {
		cli_error("out of memory");
		goto out;
	}
	have_gate = 1;
	notes = trace_notes(&model, &nnotes);
	if (!notes) {
		cli_error("out of memory");
		goto out;
	}
	const char *source_root = o->source_root;
	if (!source_root)
		source_root = getcwd(root, sizeof(root));
	else if (realpath(o->source_root, root))
		source_root = root;
	struct gate_render gr = {
		.notes = (const char *const *)notes,
		.nnotes = nnotes,
		.top = o->top,
		.print_suppressions = o->print_suppressions,
		.supp = &supp,
		.baseline_path = o->baseline,
		.source_root = source_root,
		.traces = (const char *const *)traces,
		.ntraces = ntraces,
	};
	if (o->output) {
		out = fopen(o->output, "w");
		if (!out) {
			cli_error("cannot write %s: %s", o->output, strerror(errno));
			out = stdout;
			goto out;
		}
	}
	int text = !strcmp(o->format, "text");
	int rc = text ? gate_text(out, &g, &gr)
		 : !strcmp(o->format, "json") ? gate_json(out, &g, &gr)
		 : !strcmp(o->format, "junit") ? report_junit(out, &g, &gr)
					       : report_sarif(out, &g, &gr);
	if (rc < 0) {
		cli_error("out of memory");
		goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		cli_error("cannot write the result%s%s: %s", o->output ? " to " : "", o->output ? o->output : "",
			  strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < supp.n; i++)
		if (!supp.v[i].sites)
			cli_warn("%s:%u: suppression '%s' hid nothing: unused", supp.v[i].file, supp.v[i].line,
				 supp.v[i].text);
	if (!text || o->output) {
		/* the result went elsewhere: the log still gets the notes and the verdict */
		for (size_t i = 0; i < nnotes; i++)
			cli_warn("%s", notes[i]);
		if (o->print_suppressions && supp.n) {
			fflush(stdout);
			gate_text_suppressions(stderr, &supp);
		}
		char verdict[256];
		gate_verdict(&g, verdict, sizeof(verdict));
		fflush(stdout);
		fprintf(stderr, "%s\n", verdict);
	}
	status = g.fail ? HB_EXIT_LEAKS : HB_EXIT_OK;
out:
	if (out != stdout && fclose(out) != 0 && status != HB_EXIT_USAGE) {
		cli_error("cannot write %s: %s", o->output, strerror(errno));
		status = HB_EXIT_USAGE;
	}
	for (size_t i = 0; notes && i < nnotes; i++)
		free(notes[i]);
	free(notes);
	if (have_gate)
		gate_free(&g);
	if (have_rep)
		blame_free(&rep);
	sym_free(sym);
	tm_free(&model);
	if (have_base)
		baseline_free(&base);
	supp_free(&supp);
	return status;
}

int cmd_check(int argc, char **argv)
{
	struct check_options o;
	if (check_options_init(&o, argc) < 0)
		return HB_EXIT_USAGE;
	/* check's own table plus its short options and --help */
	struct option opts[32];
	size_t n = 0;
	for (const struct option *p = check_options_long; p->name; p++)
		opts[n++] = *p;
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n] = (struct option){NULL, 0, NULL, 0};
	int c, status = HB_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:n:w:h", opts, NULL)) != -1) {
		int id = c == 'f' ? CHECK_OPT_FORMAT
		       : c == 'o' ? CHECK_OPT_OUTPUT
		       : c == 'n' ? CHECK_OPT_TOP
		       : c == 'w' ? CHECK_OPT_WRAPPER : c;
		if (c == 'h') {
			usage(stdout);
			status = 0;
			goto out;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "Try 'heapblame check --help'.\n");
			goto out;
		}
		if (check_options_set(&o, id, optarg) < 0)
			goto out;
	}
	if (optind >= argc) {
		cli_error("check: no trace given (usage: heapblame check [OPTIONS] TRACE...)");
		goto out;
	}
	status = check_execute(&o, argv + optind, (size_t)(argc - optind));
out:
	check_options_free(&o);
	return status;
}
