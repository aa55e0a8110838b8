/*
 * cmd_run.c - `heapblame run [options] -- CMD ARGS...`: run a program
 * under the shim.
 *
 * It prepends the shim to LD_PRELOAD, turns the options into the
 * HEAPBLAME_* variables the shim reads (the same ones a bare LD_PRELOAD
 * user sets), runs the command, and passes its exit status through (127
 * when it could not be started). When the program died of a signal, run
 * writes its messages, then dies of the same signal (default disposition,
 * no core file of its own), as a transparent wrapper does: a shell prints
 * "Terminated", Python's subprocess sees -15; 128+N is only returned when
 * the signal cannot end run. Signals sent to `heapblame run` itself with kill(1) are
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
 * input error. The check's own files (suppressions, baseline) are read
 * and validated before the program runs. The program's failure wins
 * because it is the first thing a CI job must report, and a crashed
 * program's leaks say little: it is said on stderr as soon as the program
 * ends ("the program exited with status 3; the leak check below does not
 * decide the exit status"), before the traces and the check's output. A program that could not be executed
 * (exec failed: 127 not found, 126 not executable; told apart from a
 * program that exits 127 itself by a close-on-exec pipe) is reported with
 * the reason, and nothing is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_options.h"
#include "cli.h"
#include "heapblame/signal_names.h"
#include "heapblame/size_units.h"

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
		"  -o, --output DIR|PATTERN  where traces go: an existing directory, DIR/ (a\n"
		"                            directory, created if missing), or a file pattern\n"
		"                            with %%p (pid), %%e (program name), %%%% (%%); a name\n"
		"                            already taken gets .1, .2, ...; default\n"
		"                            ./heapblame.<program>.<pid>.hbt\n"
		"  -d, --depth N             stack frames kept per allocation (1-256, default 64)\n"
		"  -i, --interval MS         flush period in milliseconds (10-3600000, default 1000)\n"
		"  -s, --sample SIZE         record one allocation per SIZE bytes allocated, on\n"
		"                            average (512KiB, 1MiB, bytes; 'default' is 512KiB):\n"
		"                            production cost, and every figure an estimate\n"
		"  -w, --wrapper NAME        a module that wraps the allocator (xmalloc, g_malloc):\n"
		"                            never blamed; repeatable; globs allowed (libglib*)\n"
		"      --no-follow           do not trace fork children or exec'd programs\n"
		"      --signals LIST        signals that flush the trace before the program dies\n"
		"                            of them: names or numbers, comma-separated; 'fatal'\n"
		"                            (default: every signal whose default action ends the\n"
		"                            process, PIPE and the real-time ones included); 'none'\n"
		"  -q, --quiet               do not print where the traces went\n"
		"      --check               then gate the traces as 'heapblame check' does\n"
		"  -h, --help                show this help\n\n"
		"Check options (with --check; see 'heapblame check --help'):\n");
	check_options_help(out, 1);
	fprintf(out,
		"\nExit status: the program's own; if it died of a signal, run dies of the same\n"
		"signal after its messages (128+N where that cannot end run); 127 if it was not\n"
		"found, 126 if it could not be executed; 2 on a usage error. With --check, when\n"
		"the program exited 0: 0 within budget, 1 leaks over budget, 2 no trace or an\n"
		"unusable one; when it failed, its status (said first on stderr), and when it\n"
		"could not be executed, nothing is checked.\n");
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

/* Creates directory path and its missing parents, as mkdir -p does (mode
 * 0755 less the umask). Returns 0, or -1 after saying on stderr which
 * directory could not be made and why. */
static int make_dirs(const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		cli_error("--output: %s: name too long", path);
		return -1;
	}
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			cli_error("--output: cannot create directory %s: %s", dir, strerror(errno));
			return -1;
		}
		if (stat(dir, &st) != 0) {
			cli_error("--output: cannot create directory %s: %s", dir, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			cli_error("--output: cannot create directory %s: a file of that name is in the way", dir);
			return -1;
		}
		*p = c;
		while (*p == '/')
			p++;
		if (!*p)
			return 0;
	}
}

/* Checks --output before the program runs: an existing directory or file
 * name, a name whose directory exists (a file pattern), or DIR/, which is
 * created when missing. Returns 0, or -1 after saying why not. */
static int check_output(const char *o)
{
	struct stat st;
	if (o[0] == '-') {
		cli_error("--output: '%s' looks like an option: give a directory or a file pattern", o);
		return -1;
	}
	size_t n = strlen(o);
	int want_dir = n && o[n - 1] == '/';
	if (stat(o, &st) == 0) {
		if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && !want_dir))
			return 0;
		cli_error("--output: %s is %s", o, want_dir ? "not a directory" : "neither a directory nor a regular file");
		return -1;
	}
	if (want_dir) {
		/* DIR/ says "a directory": make it, as the baseline recipe
		 * (heapblame run -o base/ ...; base/\*.hbt) expects */
		if (strchr(o, '%')) {
			cli_error("--output: directory %s does not exist (a directory named by a pattern is not created)",
				  o);
			return -1;
		}
		return make_dirs(o);
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
	const char *sample;  /* --sample as given: checked, then handed to the shim */
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

/* What the program's end means for `run --check`, said before the check's
 * output so that a CI log shows the program's own failure first; nothing
 * when it exited 0. */
static void say_program_failed(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	fflush(stdout);
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		fprintf(stderr,
			"heapblame: the program was killed by signal %d%s%s%s; the leak check below does not decide the "
			"exit status (%d, the program's)\n",
			WTERMSIG(status), name ? " (SIG" : "", name ? name : "", name ? ")" : "", 128 + WTERMSIG(status));
	} else {
		fprintf(stderr,
			"heapblame: the program exited with status %d; the leak check below does not decide the exit "
			"status (%d, the program's)\n",
			WEXITSTATUS(status), WEXITSTATUS(status));
	}
}

/* Runs cmd under the shim with ro and returns its exit status as the file
 * comment says (2 for a setup failure, said on stderr); the traces written
 * are added to traces. *not_started is set when the program could not be
 * executed at all (said on stderr; status 127 or 126); *died_of is the
 * signal the program died of, or 0. With check, a
 * program that failed is said to have failed before the traces are
 * listed. */
static int run_traced(const struct run_options *ro, char **cmd, struct trace_list *traces, int check,
		      int *not_started, int *died_of)
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
	if (ro->sample)
		setenv("HEAPBLAME_SAMPLE", ro->sample, 1);
	free(preload);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaction(fwd[i], &sa, NULL);

	/* The child tells an exec failure through a close-on-exec pipe: end of
	 * file means the program started, an errno means it did not. A program
	 * that itself exits 127 or 126 is not mistaken for one that could not
	 * be run. */
	int xp[2];
	if (pipe2(xp, O_CLOEXEC) != 0) {
		cli_error("cannot create a pipe: %s", strerror(errno));
		unlink(manifest);
		close(mfd);
		return HB_EXIT_USAGE;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("cannot fork: %s", strerror(errno));
		unlink(manifest);
		close(mfd);
		close(xp[0]);
		close(xp[1]);
		return HB_EXIT_USAGE;
	}
	if (pid == 0) {
		close(mfd);
		close(xp[0]);
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
			sigaction(fwd[i], &dfl, NULL);
		execvp(cmd[0], cmd);
		int e = errno;
		ssize_t w = write(xp[1], &e, sizeof(e));
		(void)w; /* the parent then sees a program that exited 127/126 */
		_exit(e == ENOENT ? 127 : 126);
	}
	close(xp[1]);
	child_pid = pid;
	int exec_errno = 0;
	ssize_t got;
	while ((got = read(xp[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(exec_errno))
		exec_errno = 0;
	close(xp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			cli_error("waitpid: %s", strerror(errno));
			status = 0;
			break;
		}
	}
	if (exec_errno) {
		struct stat st;
		/* execve says EACCES for a directory: say what is wrong */
		if (exec_errno == EACCES && strchr(cmd[0], '/') && stat(cmd[0], &st) == 0 && S_ISDIR(st.st_mode))
			cli_error("cannot run %s: it is a directory", cmd[0]);
		else
			cli_error("cannot run %s: %s", cmd[0], strerror(exec_errno));
		*not_started = 1;
	}
	/* the program is gone: the environment set for it must not reach
	 * what this process does next (the check's symbolizer) */
	unsetenv("LD_PRELOAD");
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	*died_of = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (check && !*not_started)
		say_program_failed(status);

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
	if (!written && !*not_started)
		cli_warn("no trace was written: a statically linked or setuid program ignores LD_PRELOAD, "
			 "or the shim could not create its file (see above)");
	return code;
}

/* Dies of signo as the program did, after everything run had to say.
 * No core file: it would be run's, not the program's (which wrote its
 * own, if its limits allowed). Returns only if signo cannot end run. */
static void die_like(int signo)
{
	fflush(NULL);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(signo, &dfl, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signo);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
}

int cmd_run(int argc, char **argv)
{
	int died_of = 0; /* the signal the program died of */
	enum { OPT_NO_FOLLOW = 256, OPT_SIGNALS, OPT_CHECK };
	static const struct option run_opts[] = {
		{"output", required_argument, NULL, 'o'},   {"depth", required_argument, NULL, 'd'},
		{"interval", required_argument, NULL, 'i'}, {"wrapper", required_argument, NULL, 'w'},
		{"sample", required_argument, NULL, 's'},
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
	struct check_inputs inputs;
	int check = 0, have_inputs = 0, status = HB_EXIT_USAGE, c, idx;
	if (check_options_init(&co, argc) < 0)
		return HB_EXIT_USAGE;
	optind = 1;
	/* check's short options -f and -n are run's too (run has none of those
	 * letters); check's -o is run's --output, so it is --check-output here */
	while ((c = getopt_long(argc, argv, "+o:d:i:w:s:qhf:n:", opts, &idx)) != -1) {
		switch (c) {
		case 'f':
		case 'n':
			if (check_options_set(&co, c == 'f' ? CHECK_OPT_FORMAT : CHECK_OPT_TOP, optarg) < 0)
				goto out;
			check_opt = c == 'f' ? "format" : "top";
			break;
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
		case 's': {
			uint64_t b;
			if (hb_parse_sample_size(optarg, &b) < 0) {
				cli_error("--sample: '%s' is not a sample size (bytes, or with KiB, MiB, GiB, KB, MB, GB: "
					  "512KiB, 1MiB; 1 to 1TiB; or 'default', 512KiB)",
					  optarg);
				goto out;
			}
			ro.sample = optarg;
			break;
		}
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
				cli_error("--signals: '%s' is not a list of catchable signals (e.g. TERM,INT, fatal or none)",
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
			if (c >= CHECK_OPT_MAX_BYTES && c < CHECK_OPT_END_) {
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
	/* the check's files are read now: a typo in a suppression file fails
	 * before the test suite runs, not after */
	if (check && (have_inputs = 1, check_inputs_load(&inputs, &co)) != 0)
		goto out;
	int not_started = 0;
	int code = run_traced(&ro, argv + optind, &traces, check, &not_started, &died_of);
	if (!check || not_started || (code == HB_EXIT_USAGE && !traces.n)) {
		/* a program that never ran has nothing to check: its error said it */
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
	int verdict = check_execute(&co, &inputs, traces.v, traces.n);
	/* the program's own failure is what the job must report first */
	status = code ? code : verdict;
out:
	if (have_inputs)
		check_inputs_free(&inputs);
	trace_list_free(&traces);
	check_options_free(&co);
	if (died_of && status == 128 + died_of)
		die_like(died_of); /* the program's death is run's */
	return status;
}
