/*
 * execrace.c - fork children that exec just as the shim creates their file.
 *
 * Usage: execrace ROUNDS
 * A fork child's trace file waits until the child has lived 50 ms
 * (HB_CHILD_START_NS, shim/lifecycle.c) from its first allocator call, so
 * that the usual fork+exec leaves no trace of its own. At that moment the
 * shim's writer thread creates the file, while the child may be entering
 * execve: a file created after the exec was announced is a trace that never
 * ends (no END record; found by stress_mix on a loaded machine). Each child
 * here mallocs once (the shim's clock for it starts), then waits until
 * 50 ms + d and execs /bin/true, d sweeping -1.5 ms .. +4.5 ms over the
 * rounds in steps of 40 us, so that some exec lands inside the writer's
 * creation of the file (the writer wakes a little after 50 ms).
 *
 * Truth: one `TRUTH pid=P role=child d_us=D` line per child (printed by
 * the parent, which knows its pid) and `TRUTH role=parent rounds=N ok=1`
 * when every child exited 0.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "hostile.h"

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 2 || atoi(argv[1]) <= 0)
		hb_die("usage: execrace ROUNDS");
	int rounds = atoi(argv[1]), ok = 1;
	for (int i = 0; i < rounds; i++) {
		long long d_ns = -1500000LL + (long long)(i % 150) * 40000LL;
		pid_t pid = fork();
		if (pid < 0)
			hb_die("fork failed");
		if (pid == 0) {
			void *p = malloc(24); /* the child's first allocator call */
			long long until = now_ns() + 50000000LL + d_ns;
			while (now_ns() < until)
				;
			char *xargv[] = {"true", NULL};
			execv("/bin/true", xargv);
			free(p);
			_exit(127);
		}
		int st;
		while (waitpid(pid, &st, 0) != pid)
			;
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
		hb_truth("pid=%d role=child d_us=%lld", (int)pid, d_ns / 1000);
	}
	hb_truth("role=parent rounds=%d ok=%d", rounds, ok);
	return 0;
}
