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
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "blame.h"
#include "check_options.h"
#include "cli.h"
#include "fork_merge.h"
#include "gate.h"
#include "report.h"
#include "source_path.h"
#include "symbol_problems.h"
#include "term_escape.h"
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
		/* (a trace without END has its own note: no_end_note) */
		snprintf(buf, sizeof(buf), "the trace has no SCAN record; it ends with '%s'", p->end);
		why = buf;
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

/* The note of a trace without an END record: what it means for the check.
 * A process killed before its first flush leaves a trace that holds
 * nothing, which would otherwise pass in silence. With --kinds none no
 * block counts, so whether they could be classified is not said: a soak
 * test's server is killed at its end as a rule, and its notes must not
 * say that its blocks count. Returns 0, or -1 when there is nothing to
 * say. */
static int no_end_note(char *out, size_t cap, const struct tm_process *p, int kinds_none)
{
	const char *head = "has no END record: the process was killed or is still running";
	uint64_t nu = p->kinds.blocks[LEAK_UNCLASSIFIED];
	char sz[32];
	report_size(sz, sizeof(sz), p->kinds.bytes[LEAK_UNCLASSIFIED]);
	if (p->cut) {
		/* not an END missing: --at stopped before it */
		if (kinds_none || !nu)
			return -1;
		snprintf(out, cap,
			 "%s is judged at its last flush at or before --at, before the exit-time scan: %" PRIu64
			 " block%s (%s) outstanding then could not be classified: they count",
			 p->trace_path, nu, nu == 1 ? "" : "s", sz);
		return 0;
	}
	if (!p->out_blocks)
		snprintf(out, cap,
			 "%s %s, and nothing was outstanding at its last flush (a process killed before its first "
			 "flush leaves none of its allocations in the trace): %s could not be checked",
			 p->trace_path, head, kinds_none ? "it" : "its leaks");
	else if (kinds_none && nu)
		snprintf(out, cap, "%s %s; outstanding memory is as of its last flush", p->trace_path, head);
	else if (kinds_none)
		return -1;
	else if (nu)
		snprintf(out, cap,
			 "%s %s; outstanding memory is as of its last flush, and %" PRIu64 " block%s (%s) could "
			 "not be classified: they count",
			 p->trace_path, head, nu, nu == 1 ? "" : "s", sz);
	else
		snprintf(out, cap,
			 "%s has no END record, but its exit-time scan is in it: the trace was cut after the scan (the "
			 "process was killed while exiting, or the file was truncated); its blocks keep their kinds",
			 p->trace_path);
	return 0;
}

/* The notes of a check: one sentence each, malloc'd. */
struct notes {
	char **v;
	size_t n;
	int oom;
};

static void note_add(struct notes *l, const char *msg)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	char *d = strdup(msg);
	if (!v || !d) {
		if (v)
			l->v = v;
		free(d);
		l->oom = 1;
		return;
	}
	l->v = v;
	l->v[l->n++] = d;
}

static void notes_free(struct notes *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Notes about the traces. Every format carries them; none changes the
 * verdict (docs/check.md). With --kinds none, only what bears on growth:
 * a trace cut short, not how its blocks were classified. */
static void trace_notes(const struct tm_model *m, struct notes *l, int kinds_none)
{
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct tm_process *p = &m->procs[i];
		char msg[1200];
		if (p->end_kind == TM_END_EXEC)
			continue; /* replaced by exec: nothing of it counts */
		if (p->end_kind == TM_END_NONE) {
			if (no_end_note(msg, sizeof(msg), p, kinds_none) == 0)
				note_add(l, msg);
			continue;
		}
		if (!p->out_blocks || kinds_none)
			continue;
		if (!tm_scanned(p))
			no_scan_note(msg, sizeof(msg), p);
		else if (p->reach_missing)
			snprintf(msg, sizeof(msg),
				 "%s: %" PRIu64 " outstanding block%s no REACH record: %s unclassified and count%s",
				 p->trace_path, p->reach_missing, p->reach_missing == 1 ? " has" : "s have",
				 p->reach_missing == 1 ? "it is" : "they are", p->reach_missing == 1 ? "s" : "");
		else
			continue;
		note_add(l, msg);
	}
}

/* With --max-growth, a timeline too short to class (growth.h) fails no
 * module: a soak test cut short would pass in silence, so it is said. */
static void growth_note(const struct blame_report *r, struct notes *l)
{
	const struct blame_timeline *t = &r->timeline;
	double span = t->n ? t->t_s[t->n - 1] - t->t_s[0] : 0;
	if (t->n >= GROWTH_MIN_POINTS && span >= GROWTH_MIN_SECONDS)
		return;
	char msg[320];
	snprintf(msg, sizeof(msg),
		 "the timeline spans %.1f s in %zu flush%s, too short to tell growth (it takes at least %d flushes "
		 "over %.0f s): no module can fail --max-growth",
		 span, t->n, t->n == 1 ? "" : "es", GROWTH_MIN_POINTS, GROWTH_MIN_SECONDS);
	note_add(l, msg);
}

/* symbol_problems' callback: a note, and at once a warning on stderr when
 * the notes will not be repeated there at the end. */
struct symbol_note_ctx {
	struct notes *notes;
	int warn_now;
};

static void symbol_note(void *ctx, const char *sentence)
{
	struct symbol_note_ctx *c = ctx;
	if (c->warn_now)
		cli_warn("%s", sentence);
	note_add(c->notes, sentence);
}

static int damaged(const struct tm_process *p)
{
	if (!p->damaged_blocks && !p->skipped_bytes && !p->malformed)
		return 0;
	cli_error("%s: the trace is damaged (%" PRIu64 " block%s and %" PRIu64 " byte%s skipped, %" PRIu64
		  " malformed record%s): a gate cannot vouch for it; 'heapblame report' shows what is readable",
		  p->trace_path, p->damaged_blocks, p->damaged_blocks == 1 ? "" : "s", p->skipped_bytes,
		  p->skipped_bytes == 1 ? "" : "s", p->malformed, p->malformed == 1 ? "" : "s");
	return 1;
}

int check_inputs_load(struct check_inputs *in, const struct check_options *o)
{
	char err[4200];
	memset(in, 0, sizeof(*in));
	for (size_t i = 0; i < o->nsupp; i++) {
		if (supp_load(&in->supp, o->supp_files[i], err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return HB_EXIT_USAGE;
		}
	}
	if (o->baseline) {
		if (baseline_load(&in->base, o->baseline, o->kinds, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return HB_EXIT_USAGE;
		}
		in->have_base = 1;
		size_t cut = 0;
		for (size_t i = 0; i < in->base.nmods; i++)
			cut += in->base.mods[i].listed < in->base.mods[i].total;
		if (cut)
			cli_warn("%s lists only some sites of %zu module%s (written without --top 0): sites it does not "
				 "list are matched by the module's total",
				 o->baseline, cut, cut == 1 ? "" : "s");
	}
	if (o->output) {
		/* a result that cannot be written fails now, not after the traces */
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", o->output);
		char *slash = strrchr(dir, '/');
		if (slash) {
			slash[slash == dir] = '\0';
			struct stat st;
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
				cli_error("cannot write %s: no directory %s", o->output, dir);
				return HB_EXIT_USAGE;
			}
		}
	}
	/* absolute, so that frames' paths can be compared with it; a root
	 * that does not exist is still used as written (traces may be checked
	 * away from the sources), but then no frame is likely to be under it */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error("cannot read the current directory: %s", strerror(errno));
		return HB_EXIT_USAGE;
	}
	if (!o->source_root)
		snprintf(in->source_root, sizeof(in->source_root), "%s", cwd);
	else if (!realpath(o->source_root, in->source_root)) {
		cli_warn("--source-root %s: %s: no source file will be found under it", o->source_root,
			 strerror(errno));
		if (!source_path_abs(cwd, o->source_root, in->source_root, sizeof(in->source_root)))
			snprintf(in->source_root, sizeof(in->source_root), "%s", cwd);
	}
	return 0;
}

void check_inputs_free(struct check_inputs *in)
{
	if (in->have_base)
		baseline_free(&in->base);
	supp_free(&in->supp);
	memset(in, 0, sizeof(*in));
}

/* The text result, its control characters escaped (term_escape.h): the
 * names in it come from the traces. Rendered to memory first. 0, or -1
 * out of memory. */
static int gate_text_escaped(FILE *out, const struct gate_result *g, const struct gate_render *gr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	int rc = gate_text(m, g, gr);
	if (fclose(m) != 0 || rc < 0) {
		free(buf);
		return -1;
	}
	term_escape_write(out, buf, len, 0);
	free(buf);
	return 0;
}

int check_execute(const struct check_options *o, struct check_inputs *in, char *const *traces, size_t ntraces)
{
	int status = HB_EXIT_USAGE;
	int have_rep = 0, have_gate = 0;
	struct tm_model model = {0};
	struct symbolizer *sym = NULL;
	struct blame_report rep;
	struct gate_result g;
	struct notes notes = {0};
	FILE *out = stdout;
	char err[4200];
	struct supp_list *supp = &in->supp;
	int text = !strcmp(o->format, "text");

	for (size_t i = 0; i < ntraces; i++) {
		if (tm_load(&model, traces[i], &o->window, cli_warn_cb, NULL, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			goto out;
		}
		if (damaged(&model.procs[model.nprocs - 1]))
			goto out;
		if (model.procs[model.nprocs - 1].lost_events)
			cli_warn("%s: the shim could not record %" PRIu64 " event%s: what is outstanding may be off",
				 traces[i], model.procs[model.nprocs - 1].lost_events,
				 model.procs[model.nprocs - 1].lost_events == 1 ? "" : "s");
	}
	fork_merge_apply(&model); /* a block from before a fork counts once, in the parent (fork_merge.h) */
	/* the programs' own __lsan_default_suppressions(), as LeakSanitizer
	 * applies them, after the files given (each distinct text once) */
	for (size_t i = 0; i < model.nprocs; i++) {
		const struct tm_process *p = &model.procs[i];
		int seen = 0;
		for (size_t k = 0; k < i && p->lsan_suppressions; k++)
			seen |= model.procs[k].lsan_suppressions && !strcmp(model.procs[k].lsan_suppressions, p->lsan_suppressions);
		if (!p->lsan_suppressions || seen)
			continue;
		char name[400];
		snprintf(name, sizeof(name), "%s:__lsan_default_suppressions()", p->program ? p->program : "?");
		if (supp_add_program_text(supp, name, p->lsan_suppressions, cli_warn_cb, NULL) < 0) {
			cli_error("out of memory");
			goto out;
		}
	}
	if (!o->debuginfod)
		unsetenv("DEBUGINFOD_URLS");
	sym = sym_new(o->sysroot, o->debug_dir);
	struct blame_options bo = {.wrappers = o->wrappers,
				   .nwrappers = o->nwrappers,
				   .wrapper_functions = o->wrapper_functions,
				   .nwrapper_functions = o->nwrapper_functions,
				   .top = 0};
	if (!sym || blame_build(&rep, &model, sym, &bo) < 0) {
		cli_error("out of memory");
		goto out;
	}
	have_rep = 1;
	struct gate_options go = {
		.kinds = o->kinds,
		.kinds_none = o->kinds_none,
		.have_max_growth = o->have_max_growth,
		.max_growth = o->max_growth,
		.max_bytes = o->have_max_bytes ? o->max_bytes : o->have_max_blocks ? GATE_UNLIMITED : 0,
		.max_blocks = o->have_max_blocks ? o->max_blocks : o->have_max_bytes ? GATE_UNLIMITED : 0,
		.supp = supp,
		.base = in->have_base ? &in->base : NULL,
	};
	if (gate_build(&g, &rep, &go) < 0) {
		cli_error("out of memory");
		goto out;
	}
	have_gate = 1;
	trace_notes(&model, &notes, o->kinds_none);
	if (o->have_max_growth)
		growth_note(&rep, &notes);
	/* a module rebuilt since the trace: report warns, and so must the gate,
	 * whose suppressions and baseline then stop matching */
	struct symbol_note_ctx snc = {&notes, text && !o->output};
	if (symbol_problems(sym, o->sysroot != NULL, 1, symbol_note, &snc) < 0 || notes.oom) {
		cli_error("out of memory");
		goto out;
	}
	const char *source_root = in->source_root;
	struct gate_render gr = {
		.notes = (const char *const *)notes.v,
		.nnotes = notes.n,
		.top = o->top,
		.print_suppressions = o->print_suppressions,
		.supp = supp,
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
	int rc = text ? gate_text_escaped(out, &g, &gr)
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
	for (size_t i = 0; i < supp->n; i++)
		if (!supp->v[i].sites && !supp->v[i].from_program)
			cli_warn("%s:%u: suppression '%s' hid nothing: unused", supp->v[i].file, supp->v[i].line,
				 supp->v[i].text);
	if (!text || o->output) {
		/* the result went elsewhere: the log still gets the notes and the verdict */
		for (size_t i = 0; i < notes.n; i++)
			cli_warn("%s", notes.v[i]);
		if (o->print_suppressions && supp->n) {
			fflush(stdout);
			gate_text_suppressions(stderr, supp);
		}
		char verdict[256];
		gate_verdict(&g, verdict, sizeof(verdict));
		fflush(stdout);
		term_escape_write(stderr, verdict, strlen(verdict), 0);
		fputc('\n', stderr);
	}
	status = g.fail ? HB_EXIT_LEAKS : HB_EXIT_OK;
out:
	if (out != stdout && fclose(out) != 0 && status != HB_EXIT_USAGE) {
		cli_error("cannot write %s: %s", o->output, strerror(errno));
		status = HB_EXIT_USAGE;
	}
	notes_free(&notes);
	if (have_gate)
		gate_free(&g);
	if (have_rep)
		blame_free(&rep);
	sym_free(sym);
	tm_free(&model);
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
	struct check_inputs in;
	status = check_inputs_load(&in, &o);
	if (status == 0)
		status = check_execute(&o, &in, argv + optind, (size_t)(argc - optind));
	check_inputs_free(&in);
out:
	check_options_free(&o);
	return status;
}
