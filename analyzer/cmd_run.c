/*
 * cmd_run.c - `heapblame run [options] -- CMD ARGS...`: run a program
 * under the shim.
 *
 * It prepends the shim to LD_PRELOAD, turns the options into the
 * HEAPBLAME_* variables the shim reads (the same ones a bare LD_PRELOAD
 * user sets), runs the command, and passes its exit status through (128+N
 * when it died of signal N, as shells report it; 127 when it could not be
 * started). Signals sent to `heapblame run` itself with kill(1) are
 * forwarded to the program, so a CI job's timeout stops the program and
 * the shim flushes; a terminal's Ctrl-C reaches the program directly.
 *
 * Where the traces went: each traced process (fork children and exec'd
 * programs too) appends its trace's path to a manifest file that run
 * creates and removes; run prints them at the end.
 *
 * With --check, run then gates those traces as `heapblame check` would
 * (check_options.h: the same options, --check-output for check's
 * --output) and the exit status is the program's own when it failed, else
 * check's verdict: 0 within budget, 1 leaks over budget, 2 no trace or an
 * input error. The program's failure wins because it is the first thing a
 * CI job must report, and a crashed program's leaks say little.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_options.h"
#include "cli.h"
#include "heapblame/signal_names.h"

static volatile pid_t child_pid;

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* kill(1) or a parent's timeout: pass it on. A terminal's signal went
	 * to the whole foreground group already. */
	if (child_pid > 0 && si && si->si_code <= 0)
		kill(child_pid, sig);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: heapblame run [OPTIONS] -- COMMAND [ARGS...]\n"
		"       heapblame run --check [CHECK OPTIONS] [OPTIONS] -- COMMAND [ARGS...]\n"
		"Run COMMAND with libheapblame.so preloaded and record its allocations.\n\n"
		"  -o, --output DIR|PATTERN  where traces go: an existing directory, or a file\n"
		"                            pattern with %%p (pid), %%e (program name), %%%% (%%);\n"
		"                            a name already taken gets .1, .2, ...; default\n"
		"                            ./heapblame.<program>.<pid>.hbt\n"
		"  -d, --depth N             stack frames kept per allocation (1-256, default 64)\n"
		"  -i, --interval MS         flush period in milliseconds (10-3600000, default 1000)\n"
		"  -w, --wrapper NAME        a module that wraps the allocator (xmalloc, g_malloc):\n"
		"                            never blamed; repeatable; globs allowed (libglib*)\n"
		"      --no-follow           do not trace fork children or exec'd programs\n"
		"      --signals LIST        signals that flush the trace before the program dies\n"
		"                            of them (default %s; 'none')\n"
		"  -q, --quiet               do not print where the traces went\n"
		"      --check               then gate the traces as 'heapblame check' does\n"
		"  -h, --help                show this help\n\n"
		"Check options (with --check; see 'heapblame check --help'):\n",
		HB_DEFAULT_SIGNALS);
	check_options_help(out, 1);
	fprintf(out,
		"\nExit status: the program's own; 128+N if it died of signal N; 127 if it was not\n"
		"found, 126 if it could not be executed; 2 on a usage error. With --check, when\n"
		"the program exited 0: 0 within budget, 1 leaks over budget, 2 no trace or an\n"
		"unusable one.\n");
}

static int parse_range(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || !*s || v < lo || v > hi) {
		cli_error("%s: '%s' is not a number from %ld to %ld", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int check_output(const char *o)
{
	struct stat st;
	if (o[0] == '-') {
		cli_error("--output: '%s' looks like an option: give a directory or a file pattern", o);
		return -1;
	}
	if (stat(o, &st) == 0) {
		if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
			return 0;
		cli_error("--output: %s is neither a directory nor a regular file", o);
		return -1;
	}
	size_t n = strlen(o);
	if (n && o[n - 1] == '/') {
		cli_error("--output: directory %s does not exist", o);
		return -1;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", o);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (!*dir)
		return 0;
	if (strchr(dir, '%'))
		return 0; /* the directory part is a pattern: the shim will say */
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_error("--output: directory %s does not exist", dir);
		return -1;
	}
	return 0;
}

struct run_options {
	const char *output, *signals;
	long depth, interval;
	int follow, quiet;
	char wrappers[4096];
};

/* The trace paths `run` collects from the manifest (for --check). */
struct trace_list {
	char **v;
	size_t n;
	int oom;
};

static void trace_list_add(struct trace_list *l, const char *path)
{
	char **v = realloc(l->v, (l->n + 2) * sizeof(*v));
	char *p = strdup(path);
	if (!v || !p) {
		if (v)
			l->v = v;
		free(p);
		l->oom = 1;
		return;
	}
	l->v = v;
	l->v[l->n++] = p;
	l->v[l->n] = NULL;
}

static void trace_list_free(struct trace_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Runs cmd under the shim with ro and returns its exit status as the file
 * comment says (2 for a setup failure, said on stderr); the traces written
 * are added to traces. */
static int run_traced(const struct run_options *ro, char **cmd, struct trace_list *traces)
{
	char shim[4096];
	if (shim_locate(shim, sizeof(shim)) < 0) {
		cli_error("cannot find libheapblame.so (set HEAPBLAME_SHIM to its path, or reinstall heapblame)");
		return HB_EXIT_USAGE;
	}
	const char *old = getenv("LD_PRELOAD");
	size_t plen = strlen(shim) + (old ? strlen(old) + 1 : 0) + 1;
	char *preload = malloc(plen);
	if (!preload) {
		cli_error("out of memory");
		return HB_EXIT_USAGE;
	}
	snprintf(preload, plen, "%s%s%s", shim, old && *old ? ":" : "", old && *old ? old : "");

	const char *tmp = getenv("TMPDIR");
	char manifest[4096];
	snprintf(manifest, sizeof(manifest), "%s/heapblame-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int mfd = mkstemp(manifest);
	if (mfd < 0) {
		cli_error("cannot create a temporary file in %s: %s", tmp && *tmp ? tmp : "/tmp", strerror(errno));
		free(preload);
		return HB_EXIT_USAGE;
	}

	setenv("LD_PRELOAD", preload, 1);
	setenv("HEAPBLAME_MANIFEST", manifest, 1);
	/* The shim resolves a relative output against each process's own
	 * current directory, which a child may have changed: anchor it here. */
	char absout[8192];
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error("cannot read the current directory: %s", strerror(errno));
		unlink(manifest);
		free(preload);
		close(mfd);
		return HB_EXIT_USAGE;
	}
	if (!ro->output)
		snprintf(absout, sizeof(absout), "%s/", cwd);
	else if (ro->output[0] != '/')
		snprintf(absout, sizeof(absout), "%s/%s", cwd, ro->output);
	else
		snprintf(absout, sizeof(absout), "%s", ro->output);
	setenv("HEAPBLAME_OUTPUT", absout, 1);
	char num[32];
	if (ro->depth) {
		snprintf(num, sizeof(num), "%ld", ro->depth);
		setenv("HEAPBLAME_DEPTH", num, 1);
	}
	if (ro->interval) {
		snprintf(num, sizeof(num), "%ld", ro->interval);
		setenv("HEAPBLAME_INTERVAL_MS", num, 1);
	}
	if (*ro->wrappers)
		setenv("HEAPBLAME_WRAPPERS", ro->wrappers, 1);
	if (!ro->follow)
		setenv("HEAPBLAME_FOLLOW", "0", 1);
	if (ro->signals)
		setenv("HEAPBLAME_SIGNALS", ro->signals, 1);
	free(preload);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaction(fwd[i], &sa, NULL);

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("cannot fork: %s", strerror(errno));
		unlink(manifest);
		close(mfd);
		return HB_EXIT_USAGE;
	}
	if (pid == 0) {
		close(mfd);
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
			sigaction(fwd[i], &dfl, NULL);
		execvp(cmd[0], cmd);
		int e = errno;
		fprintf(stderr, "heapblame: error: cannot run %s: %s\n", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			cli_error("waitpid: %s", strerror(errno));
			status = 0;
			break;
		}
	}
	/* the program is gone: the environment set for it must not reach
	 * what this process does next (the check's symbolizer) */
	unsetenv("LD_PRELOAD");
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;

	FILE *m = fdopen(mfd, "r");
	size_t written = 0;
	if (m) {
		char line[4200];
		while (fgets(line, sizeof(line), m)) {
			line[strcspn(line, "\n")] = '\0';
			if (!*line)
				continue;
			written++;
			trace_list_add(traces, line);
			if (!ro->quiet)
				fprintf(stderr, "heapblame: trace written to %s\n", line);
		}
		fclose(m);
	} else {
		close(mfd);
	}
	unlink(manifest);
	if (!written && !(WIFEXITED(status) && (code == 127 || code == 126)))
		cli_warn("no trace was written: a statically linked or setuid program ignores LD_PRELOAD, "
			 "or the shim could not create its file (see above)");
	return code;
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_NO_FOLLOW = 256, OPT_SIGNALS, OPT_CHECK };
	static const struct option run_opts[] = {
		{"output", required_argument, NULL, 'o'},   {"depth", required_argument, NULL, 'd'},
		{"interval", required_argument, NULL, 'i'}, {"wrapper", required_argument, NULL, 'w'},
		{"no-follow", no_argument, NULL, OPT_NO_FOLLOW}, {"signals", required_argument, NULL, OPT_SIGNALS},
		{"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
		{"check", no_argument, NULL, OPT_CHECK}};
	struct option opts[48];
	size_t nopts = 0;
	for (size_t i = 0; i < sizeof(run_opts) / sizeof(run_opts[0]); i++)
		opts[nopts++] = run_opts[i];
	for (const struct option *p = check_options_under_run; p->name; p++)
		opts[nopts++] = *p;
	opts[nopts] = (struct option){NULL, 0, NULL, 0};

	struct run_options ro = {.follow = 1};
	struct check_options co;
	struct trace_list traces = {0};
	const char *check_opt = NULL; /* a check option, given without --check */
	int check = 0, status = HB_EXIT_USAGE, c, idx;
	if (check_options_init(&co, argc) < 0)
		return HB_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:d:i:w:qh", opts, &idx)) != -1) {
		switch (c) {
		case 'o':
			ro.output = optarg;
			break;
		case 'd':
			if (parse_range("--depth", optarg, 1, 256, &ro.depth) < 0)
				goto out;
			break;
		case 'i':
			if (parse_range("--interval", optarg, 10, 3600000, &ro.interval) < 0)
				goto out;
			break;
		case 'w':
			if (strlen(ro.wrappers) + strlen(optarg) + 2 > sizeof(ro.wrappers)) {
				cli_error("--wrapper: too many wrappers");
				goto out;
			}
			if (*ro.wrappers)
				strcat(ro.wrappers, ",");
			strcat(ro.wrappers, optarg);
			check_options_set(&co, CHECK_OPT_WRAPPER, optarg); /* blame as the shim attributed */
			break;
		case OPT_NO_FOLLOW:
			ro.follow = 0;
			break;
		case OPT_SIGNALS: {
			uint64_t m;
			if (hb_parse_signal_list(optarg, &m) < 0) {
				cli_error("--signals: '%s' is not a list of catchable signals (e.g. TERM,INT or none)",
					  optarg);
				goto out;
			}
			ro.signals = optarg;
			break;
		}
		case 'q':
			ro.quiet = 1;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			if (c >= CHECK_OPT_MAX_BYTES && c <= CHECK_OPT_DEBUGINFOD) {
				if (check_options_set(&co, c, optarg) < 0)
					goto out;
				check_opt = opts[idx].name;
				break;
			}
			fprintf(stderr, "Try 'heapblame run --help'.\n");
			goto out;
		}
	}
	if (optind >= argc) {
		cli_error("run: no command given (usage: heapblame run [OPTIONS] -- COMMAND [ARGS...])");
		goto out;
	}
	if (check_opt && !check) {
		cli_error("--%s is an option of --check (heapblame run --check --%s ... -- COMMAND)", check_opt,
			  check_opt);
		goto out;
	}
	if (ro.output && check_output(ro.output) < 0)
		goto out;
	int code = run_traced(&ro, argv + optind, &traces);
	if (!check || (code == HB_EXIT_USAGE && !traces.n)) {
		status = code;
		goto out;
	}
	if (traces.oom) {
		cli_error("out of memory");
		goto out;
	}
	if (!traces.n) {
		cli_error("--check: no trace to check");
		status = code ? code : HB_EXIT_USAGE;
		goto out;
	}
	fflush(stderr);
	int verdict = check_execute(&co, traces.v, traces.n);
	/* the program's own failure is what the job must report first */
	status = code ? code : verdict;
out:
	trace_list_free(&traces);
	check_options_free(&co);
	return status;
}
