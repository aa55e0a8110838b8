/*
 * spawner.c - starts many short programs: fork + exec, and posix_spawn.
 *
 * Usage: spawner PROGRAM [COUNT]   (COUNT of each kind, default 10)
 * Build systems, shells and supervisors start programs all day. A fork
 * child that only execs has nothing of its own to trace: the exec'd image,
 * which inherits LD_PRELOAD, writes its own trace. So the trace files are
 * the spawner's and at most one per exec'd image, never one per pre-exec
 * fork child. The program starts PROGRAM (an absolute path, run without
 * arguments) COUNT times with fork + execv, the child calling execv
 * straight away, and COUNT times with posix_spawn, waiting for each; it
 * allocates between starts (keeps one block in four).
 *
 * Truth: `TRUTH pid=P started=N ok=K` and the executable's ledger (malloc
 * and free only). Exit status 0 when every start ended with status 0.
 */
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "hostile.h"

extern char **environ;

static int wait_ok(pid_t pid)
{
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] != '/')
		hb_die("usage: spawner /ABSOLUTE/PROGRAM [COUNT]");
	int count = argc > 2 ? atoi(argv[2]) : 10;
	char *cargv[] = {argv[1], NULL};
	struct hb_ledger led = {0, 0, 0, 0};
	int ok = 0;
	for (int i = 0; i < count; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execv(cargv[0], cargv);
			_exit(127);
		}
		ok += wait_ok(pid);
		pid_t spid;
		ok += posix_spawn(&spid, cargv[0], NULL, NULL, cargv, environ) == 0 && wait_ok(spid);
		for (unsigned k = 0; k < 4; k++) {
			size_t n = 64 + (size_t)i * 4 + k;
			void *p = hb_ledger_alloc(&led, malloc(n), n);
			if (k != 0) {
				free(p);
				hb_ledger_end(&led, n);
			}
		}
	}
	hb_truth("pid=%d started=%d ok=%d " HB_LEDGER_FMT, (int)getpid(), 2 * count, ok, HB_LEDGER_ARGS(led));
	return ok == 2 * count ? 0 : 1;
}
