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
		"  -h, --help                show this help\n\n"
		"Exit status: the program's own; 128+N if it died of signal N; 127 if it was not\n"
		"found, 126 if it could not be executed; 2 on a usage error.\n",
		HB_DEFAULT_SIGNALS);
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

int cmd_run(int argc, char **argv)
{
	enum { OPT_NO_FOLLOW = 256, OPT_SIGNALS };
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},   {"depth", required_argument, NULL, 'd'},
		{"interval", required_argument, NULL, 'i'}, {"wrapper", required_argument, NULL, 'w'},
		{"no-follow", no_argument, NULL, OPT_NO_FOLLOW}, {"signals", required_argument, NULL, OPT_SIGNALS},
		{"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *output = NULL, *signals = NULL;
	long depth = 0, interval = 0;
	int follow = 1, quiet = 0;
	char wrappers[4096] = "";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:d:i:w:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'd':
			if (parse_range("--depth", optarg, 1, 256, &depth) < 0)
				return HB_EXIT_USAGE;
			break;
		case 'i':
			if (parse_range("--interval", optarg, 10, 3600000, &interval) < 0)
				return HB_EXIT_USAGE;
			break;
		case 'w':
			if (strlen(wrappers) + strlen(optarg) + 2 > sizeof(wrappers)) {
				cli_error("--wrapper: too many wrappers");
				return HB_EXIT_USAGE;
			}
			if (*wrappers)
				strcat(wrappers, ",");
			strcat(wrappers, optarg);
			break;
		case OPT_NO_FOLLOW:
			follow = 0;
			break;
		case OPT_SIGNALS: {
			uint64_t m;
			if (hb_parse_signal_list(optarg, &m) < 0) {
				cli_error("--signals: '%s' is not a list of catchable signals (e.g. TERM,INT or none)",
					  optarg);
				return HB_EXIT_USAGE;
			}
			signals = optarg;
			break;
		}
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'heapblame run --help'.\n");
			return HB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("run: no command given (usage: heapblame run [OPTIONS] -- COMMAND [ARGS...])");
		return HB_EXIT_USAGE;
	}
	if (output && check_output(output) < 0)
		return HB_EXIT_USAGE;

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
		return HB_EXIT_USAGE;
	}
	if (!output)
		snprintf(absout, sizeof(absout), "%s/", cwd);
	else if (output[0] != '/')
		snprintf(absout, sizeof(absout), "%s/%s", cwd, output);
	else
		snprintf(absout, sizeof(absout), "%s", output);
	setenv("HEAPBLAME_OUTPUT", absout, 1);
	char num[32];
	if (depth) {
		snprintf(num, sizeof(num), "%ld", depth);
		setenv("HEAPBLAME_DEPTH", num, 1);
	}
	if (interval) {
		snprintf(num, sizeof(num), "%ld", interval);
		setenv("HEAPBLAME_INTERVAL_MS", num, 1);
	}
	if (*wrappers)
		setenv("HEAPBLAME_WRAPPERS", wrappers, 1);
	if (!follow)
		setenv("HEAPBLAME_FOLLOW", "0", 1);
	if (signals)
		setenv("HEAPBLAME_SIGNALS", signals, 1);
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
		return HB_EXIT_USAGE;
	}
	if (pid == 0) {
		close(mfd);
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
			sigaction(fwd[i], &dfl, NULL);
		execvp(argv[optind], argv + optind);
		int e = errno;
		fprintf(stderr, "heapblame: error: cannot run %s: %s\n", argv[optind], strerror(e));
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
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;

	FILE *m = fdopen(mfd, "r");
	int traces = 0;
	if (m) {
		char line[4200];
		while (fgets(line, sizeof(line), m)) {
			line[strcspn(line, "\n")] = '\0';
			if (!*line)
				continue;
			traces++;
			if (!quiet)
				fprintf(stderr, "heapblame: trace written to %s\n", line);
		}
		fclose(m);
	} else {
		close(mfd);
	}
	unlink(manifest);
	if (!traces && !(WIFEXITED(status) && (code == 127 || code == 126)))
		cli_warn("no trace was written: a statically linked or setuid program ignores LD_PRELOAD, "
			 "or the shim could not create its file (see above)");
	return code;
}
