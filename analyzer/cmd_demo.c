/*
 * cmd_demo.c - `heapblame demo`: the story heapblame exists for, run live.
 *
 * A server, `store`, hands every message to libmta.so's exported
 * mta_submit(); inside, libmta loses one retry record in every 50 messages.
 * Every per-process counter would blame store. The demo runs store under
 * `heapblame run` into a scratch directory and prints `heapblame report`
 * of the trace, which blames libmta.so, entered via mta_submit() from
 * store's deliver_message(). The programs are the ones built from
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
	const char *messages = "20000";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: heapblame demo [MESSAGES]\n"
		       "Run the demo server `store` (MESSAGES messages, default 20000) under heapblame and\n"
		       "report which module leaks: libmta.so, entered via its exported mta_submit().\n");
		return 0;
	}
	if (argc > 2 || (argc == 2 && (!*argv[1] || strspn(argv[1], "0123456789") != strlen(argv[1]) ||
				       strlen(argv[1]) > 8 || atol(argv[1]) < 1))) {
		cli_error("demo takes one optional argument, a number of messages from 1 to 99999999");
		return HB_EXIT_USAGE;
	}
	if (argc == 2)
		messages = argv[1];
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
	printf("$ heapblame run -o %s/ -- store %s\n", dir, messages);
	char *run[] = {"heapblame", "run", "-q", "-o", dir, "--", store, (char *)messages, NULL};
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
	if (rc == 0) {
		printf("\n$ heapblame report %s\n", trace);
		char *report[] = {"heapblame", "report", trace, NULL};
		rc = self(report);
	}
	printf("\nThe trace is kept in %s/ (try 'heapblame check %s'; remove the directory when done).\n", dir,
	       trace);
	return rc;
}
