/*
 * cmd_demo.c - `heapblame demo`: the story heapblame exists for, run live.
 *
 * A server, `store`, hands every message to libmta.so's exported
 * mta_submit(); inside, libmta loses one retry record in every 50 messages.
 * Beside it, libcache.so caches the customers the messages go to: it fills
 * in the first seconds, then holds. Every per-process counter would blame
 * store, and at any one moment the cache looks like the bigger leak. The
 * demo runs store for about ten seconds under `heapblame run` into a
 * scratch directory and prints `heapblame report` of the trace, which
 * shows libmta.so growing, at its rate, entered via mta_submit() from
 * store's deliver_message(), and libcache.so as a plateau: a cache. It
 * also writes the report as one HTML page (the timeline, the module table,
 * a flame graph) next to the trace, and says where it is. The programs are the ones built from
 * examples/ (next to this command in the build tree, or installed under
 * libexec/heapblame).
 *
 * The commands are printed as a user would type them, with the trace's
 * full path, and the trace is kept (its directory is said at the end), so
 * that they can be run again, or the trace given to `heapblame check`;
 * the scratch directory (under $TMPDIR, else /tmp) is removed only when
 * the run left no trace.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#ifndef HB_DEMO_FROM_BINDIR
#define HB_DEMO_FROM_BINDIR "../libexec/heapblame/store"
#endif

static int locate_store(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	const char *rel[] = {"../examples/store", HB_DEMO_FROM_BINDIR};
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, cap, "%s/%s", exe, rel[i]);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* The first trace in dir, or "" . */
static void find_trace(const char *dir, char *out, size_t cap)
{
	*out = '\0';
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".hbt")) {
			snprintf(out, cap, "%s/%s", dir, e->d_name);
			break;
		}
	closedir(d);
}

/* Removes the scratch directory and the files the demo put in it. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char path[PATH_MAX + 256];
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	if (rmdir(dir) != 0)
		cli_warn("could not remove %s: %s", dir, strerror(errno));
}

/* Runs this same command with argv; returns its exit status. */
static int self(char *const argv[])
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cmd_demo(int argc, char **argv)
{
	const char *messages = "20000", *seconds = "10";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: heapblame demo [MESSAGES [SECONDS]]\n"
		       "Run the demo server `store` under heapblame (MESSAGES messages, default 20000,\n"
		       "spread over SECONDS, default 10; 0 sends them as fast as it can) and report\n"
		       "which module leaks: libmta.so, growing, entered via its exported mta_submit();\n"
		       "beside it libcache.so, a cache, fills and then holds: a plateau.\n");
		return 0;
	}
	for (int i = 1; i < argc && i < 3; i++)
		if (!*argv[i] || strspn(argv[i], "0123456789") != strlen(argv[i]) || strlen(argv[i]) > 8 ||
		    (i == 1 && atol(argv[i]) < 1) || (i == 2 && atol(argv[i]) > 86400)) {
			cli_error("demo takes a number of messages (1 to 99999999) and a number of seconds (0 to "
				  "86400), both optional");
			return HB_EXIT_USAGE;
		}
	if (argc > 3) {
		cli_error("demo takes at most two arguments: MESSAGES and SECONDS");
		return HB_EXIT_USAGE;
	}
	if (argc >= 2)
		messages = argv[1];
	if (argc >= 3)
		seconds = argv[2];
	char store[PATH_MAX + 64];
	if (locate_store(store, sizeof(store)) < 0) {
		cli_error("cannot find the demo program `store` (built from examples/ next to heapblame)");
		return HB_EXIT_USAGE;
	}
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/heapblame-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		cli_error("cannot create a scratch directory: %s", strerror(errno));
		return HB_EXIT_USAGE;
	}
	printf("$ heapblame run -o %s/ -- store %s %s 6000\n", dir, messages, seconds);
	fflush(stdout);
	char *run[] = {"heapblame", "run", "-q", "-o", dir, "--", store, (char *)messages, (char *)seconds,
		       "6000", NULL};
	int rc = self(run);
	char trace[PATH_MAX + 64];
	find_trace(dir, trace, sizeof(trace));
	if (!*trace) {
		if (rc == 0) {
			cli_error("the demo wrote no trace");
			rc = HB_EXIT_USAGE;
		}
		remove_dir(dir);
		return rc;
	}
	char page[PATH_MAX + 64];
	snprintf(page, sizeof(page), "%s/report.html", dir);
	if (rc == 0) {
		printf("\n$ heapblame report %s\n", trace);
		char *report[] = {"heapblame", "report", trace, NULL};
		rc = self(report);
	}
	if (rc == 0) {
		printf("\n$ heapblame report --format html -o %s %s\n", page, trace);
		char *html[] = {"heapblame", "report", "--format", "html", "-o", page, trace, NULL};
		rc = self(html);
		if (rc == 0)
			printf("The same report as one page, with the timeline and a flame graph: open %s in a browser.\n",
			       page);
	}
	printf("\nThe trace is kept in %s/ (try 'heapblame check %s'; remove the directory when done).\n", dir,
	       trace);
	return rc;
}
