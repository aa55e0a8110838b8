/*
 * cmd_top.c - `heapblame top PID|TRACE`: a live view of a running
 * program's memory by module, refreshed every few seconds, sorted by
 * growth.
 *
 * A traced process holds its trace open, so a PID leads to its trace
 * through /proc/PID/fd (the first open file that starts with the trace
 * magic). The trace is followed (tm_follow: each refresh reads only the
 * blocks appended since the last), blamed like `report` does (so the
 * modules and classes are the report's), and drawn as one row per module
 * of the timeline: outstanding now, growth class, the rate over the last
 * minute and over the run, and a sparkline. On a terminal the screen is
 * redrawn in place and 'q' quits; --batch N prints N plain snapshots and
 * exits, as `top -b` does.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "blame.h"
#include "cli.h"
#include "cli_units.h"
#include "heapblame/trace_format.h"
#include "report.h"
#include "term_escape.h"
#include "trace_model.h"
#include "wrapper_functions.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: heapblame top [OPTIONS] PID|TRACE\n"
		"Watch a traced program's memory by module as it runs: outstanding bytes, growth\n"
		"class (growing, plateau, falling, flat), the rate over the last minute and over\n"
		"the run, and a sparkline, growing modules first. PID is a process running under\n"
		"the shim (its trace is found through /proc/PID/fd); TRACE is a trace file, which\n"
		"may still be written. Each refresh reads only what was appended.\n\n"
		"  -d, --interval SECONDS  time between refreshes (default 2; at least 0.1)\n"
		"  -b, --batch N           print N snapshots as plain text, then exit (as top -b)\n"
		"  -w, --wrapper NAME      treat module NAME as an allocator wrapper (repeatable)\n"
		"      --wrapper-function NAME  treat function NAME (a glob) as one (repeatable;\n"
		"                          also HEAPBLAME_WRAPPER_FUNCTIONS)\n"
		"  -h, --help              show this help\n\n"
		"Keys: q quits.\n\n"
		"Exit status: 0 quit or batch done; 2 usage error, no such process, or no trace.\n");
}

/* The trace PID holds open: the first of its open regular files that
 * begins with the trace magic. 0, or -1 with err. */
static int trace_of_pid(const char *pid, char *out, size_t cap, char *err, size_t errlen)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no process %s", pid);
		else
			snprintf(err, errlen, "cannot look into process %s's files (%s): run as its user or root", pid,
				 strerror(errno));
		return -1;
	}
	struct dirent *e;
	int found = 0;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char link[PATH_MAX];
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		/* only regular files: reading the program's terminal, a FIFO or
		 * /dev/ptmx would wait, or steal its input */
		struct stat st;
		if (stat(link, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		int fd = open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			continue;
		unsigned char magic[8];
		found = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 8) == 8 &&
			memcmp(magic, HB_FILE_MAGIC, 8) == 0;
		close(fd);
		if (found)
			snprintf(out, cap, "%s", link); /* read through /proc: works if the file was moved */
	}
	closedir(d);
	if (!found) {
		snprintf(err, errlen, "process %s has no heapblame trace open (is it running under 'heapblame run'?)",
			 pid);
		return -1;
	}
	return 0;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* ---- the terminal ------------------------------------------------------------ */

static struct termios saved_tio;
static int tio_saved;

static void restore_terminal(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		fputs("\033[?25h\n", stdout); /* the cursor back */
		fflush(stdout);
		tio_saved = 0;
	}
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Keys one at a time, without echo; the cursor hidden. */
static void raw_terminal(void)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) != 0)
		return;
	struct termios t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		tio_saved = 1;
		atexit(restore_terminal);
	}
	fputs("\033[?25l", stdout);
}

/* Waits up to ms for a key; 1 when it was q (or the view must end). */
static int wait_for_quit(int ms)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	for (;;) {
		if (stop_requested)
			return 1;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (long)(end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		int rc = poll(&p, 1, (int)left);
		if (rc > 0 && (p.revents & POLLIN)) {
			char c;
			ssize_t n = read(STDIN_FILENO, &c, 1);
			if (n == 1 && (c == 'q' || c == 'Q'))
				return 1;
			if (n == 0) /* stdin closed: only signals can stop us now */
				poll(NULL, 0, (int)left);
		} else if (rc > 0) {
			poll(NULL, 0, (int)left); /* not readable (hung up): just wait */
		}
	}
}

/* ---- one snapshot -------------------------------------------------------- */

/* The level at the last point at or before t (the first point before it). */
static double level_at(const struct blame_timeline *t, const double *bytes, double at)
{
	size_t k = 0;
	while (k + 1 < t->n && t->t_s[k + 1] <= at)
		k++;
	return bytes[k];
}

/* Bytes per hour between time from and the last point. */
static double rate_over(const struct blame_timeline *t, const double *bytes, double from)
{
	double t1 = t->t_s[t->n - 1];
	if (from < t->t_s[0])
		from = t->t_s[0];
	double t0 = t->t_s[0];
	for (size_t k = 0; k < t->n; k++)
		if (t->t_s[k] <= from)
			t0 = t->t_s[k];
	if (t1 - t0 <= 0)
		return 0;
	return (bytes[t->n - 1] - level_at(t, bytes, t0)) / (t1 - t0) * 3600;
}

static void signed_rate(char *out, size_t cap, double bph) /* cap >= 40 */
{
	char r[32];
	cli_format_rate(r, sizeof(r), bph);
	out[0] = bph > 0 && r[0] != '0' ? '+' : 0;
	out[1] = 0;
	strncat(out, r, cap - 2);
}

/* Draws one snapshot. Returns 0, or -1 out of memory. */
static double ms_since(const struct timespec *a);

/* Draws one snapshot; started: when its refresh began (before the trace
 * was read), so that the time shown is the whole refresh's. Returns 0, or
 * -1 out of memory. */
static int draw(FILE *f, const struct tm_model *m, struct symbolizer *sym, const struct blame_options *bo, int tty,
		uint64_t bytes_read, const struct timespec *started)
{
	struct blame_report r;
	if (blame_build(&r, m, sym, bo) < 0)
		return -1;
	double refresh_ms = ms_since(started);
	const struct tm_process *p = &m->procs[0];
	const struct blame_timeline *t = &r.timeline;
	char sz[32], clock[32];
	report_size(sz, sizeof(sz), r.bytes);
	cli_format_clock(clock, sizeof(clock), t->n ? t->t_s[t->n - 1] : 0);
	if (tty)
		fputs("\033[H\033[2J", f);
	char prog[256], name[128];
	fprintf(f, "heapblame top - %s pid %" PRIu64 " (%s) - %s, %zu point%s, %s outstanding\n",
		p->program ? term_escape_str(prog, sizeof(prog), p->program) : "?", p->pid, p->end_kind != TM_END_NONE ? p->end : "running", clock, t->n,
		t->n == 1 ? "" : "s", sz);
	char rd[32];
	report_size(rd, sizeof(rd), bytes_read);
	fprintf(f, "trace %s, refreshed in %.0f ms%s", rd, refresh_ms, tty ? "; q quits" : "");
	if (p->sample_bytes) {
		char ss[32];
		report_size(ss, sizeof(ss), p->sample_bytes);
		fprintf(f, "; sampled, one per %s: figures are estimates", ss);
	}
	fprintf(f, "\n\n");
	fprintf(f, "%-24s %11s  %-8s %13s %13s  %s\n", "MODULE", "OUTSTANDING", "CLASS", "LAST MINUTE", "OVER RUN",
		tty ? "TIMELINE" : "SINCE");
	for (size_t i = 0; i < t->nmods; i++) {
		const struct blame_timeline_module *tm = &t->mods[i];
		double now = t->n ? tm->bytes[t->n - 1] : 0;
		char out[32], last[40], run[40], since[32] = "";
		report_size(out, sizeof(out), now > 0 ? (uint64_t)now : 0);
		signed_rate(last, sizeof(last), t->n ? rate_over(t, tm->bytes, t->t_s[t->n - 1] - 60) : 0);
		signed_rate(run, sizeof(run), t->n ? rate_over(t, tm->bytes, 0) : 0);
		fprintf(f, "%-24.24s %11s  %-8s %13s %13s  ", term_escape_str(name, sizeof(name), tm->name), out, growth_class_name(tm->growth.cls), last,
			run);
		if (tty)
			report_sparkline(f, t, tm, 32);
		else if (tm->growth.cls == GROWTH_GROWING)
			cli_format_clock(since, sizeof(since), tm->growth.since_s), fputs(since, f);
		fputc('\n', f);
	}
	if (!t->nmods)
		fprintf(f, "(no memory allocated yet)\n");
	fflush(f);
	blame_free(&r);
	return 0;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {{"interval", required_argument, NULL, 'd'},
					     {"batch", required_argument, NULL, 'b'},
					     {"wrapper", required_argument, NULL, 'w'},
					     {"wrapper-function", required_argument, NULL, 'W'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	double interval = 2;
	long batch = -1;
	const char **wrappers = calloc((size_t)argc + 1, sizeof(*wrappers));
	const char **wfuncs = calloc((size_t)argc + 1, sizeof(*wfuncs));
	struct blame_options bo = {.wrappers = wrappers, .top = 1};
	int status = HB_EXIT_USAGE;
	struct tm_follow *fl = NULL;
	struct symbolizer *sym = NULL;
	if (!wrappers || !wfuncs) {
		free(wrappers);
		free(wfuncs);
		cli_error("out of memory");
		return HB_EXIT_USAGE;
	}
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:b:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(interval >= 0.1) || interval > 86400) {
				cli_error("--interval: '%s' is not a number of seconds from 0.1 to 86400", optarg);
				goto out;
			}
			break;
		case 'b':
			errno = 0;
			batch = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || batch < 1 || batch > 1000000) {
				cli_error("--batch: '%s' is not a number of snapshots (1 or more)", optarg);
				goto out;
			}
			break;
		case 'w':
			wrappers[bo.nwrappers++] = optarg;
			break;
		case 'W': /* long only: 'W' is not in the short options */
			wfuncs[bo.nwrapper_functions++] = optarg;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			fprintf(stderr, "Try 'heapblame top --help'.\n");
			goto out;
		}
	}
	if (wrapper_functions_add_env(&wfuncs, &bo.nwrapper_functions, 0) < 0) {
		cli_error("out of memory");
		goto out;
	}
	bo.wrapper_functions = wfuncs;
	if (optind != argc - 1) {
		cli_error("top: give one PID or TRACE (usage: heapblame top [OPTIONS] PID|TRACE)");
		goto out;
	}
	const char *what = argv[optind];
	char path[PATH_MAX], err[4200];
	if (all_digits(what) && access(what, F_OK) != 0) {
		if (trace_of_pid(what, path, sizeof(path), err, sizeof(err)) < 0) {
			cli_error("%s", err);
			goto out;
		}
	} else {
		snprintf(path, sizeof(path), "%s", what);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tm_follow_open(path, &fl, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	unsetenv("DEBUGINFOD_URLS"); /* a live view never fetches from the network */
	sym = sym_new(NULL, NULL);
	if (!sym) {
		cli_error("out of memory");
		goto out;
	}
	int tty = batch < 0 && isatty(STDOUT_FILENO);
	if (tty) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		raw_terminal();
	}
	for (long shown = 0;;) {
		if (draw(stdout, tm_follow_model(fl), sym, &bo, tty, tm_follow_offset(fl), &t0) < 0) {
			cli_error("out of memory");
			goto out;
		}
		if (batch > 0 && ++shown >= batch)
			break;
		if (batch > 0)
			fputc('\n', stdout);
		if (batch > 0 ? (poll(NULL, 0, (int)(interval * 1000)), stop_requested)
			      : wait_for_quit((int)(interval * 1000)))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (tm_follow_poll(fl, err, sizeof(err)) < 0) {
			restore_terminal();
			cli_error("%s", err);
			goto out;
		}
	}
	status = 0;
out:
	restore_terminal();
	tm_follow_close(fl);
	sym_free(sym);
	free(wrappers);
	free(wfuncs);
	return status;
}
