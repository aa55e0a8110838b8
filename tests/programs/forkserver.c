/*
 * forkserver.c - a forking server whose workers allocate at the same site
 * as the parent did before the fork: what a merged report must count once.
 *
 * The parent serves one round (7 blocks from serve(), the first 2 kept in
 * a global table, so reachable; the other 5 leaked), then forks 2 workers
 * one after the other. Each worker inherits the 7 blocks, frees kept[0]
 * (an inherited block its parent still holds), serves one round of its own
 * (3 blocks from the very same call stack: main -> serve -> malloc, all
 * leaked) and exits. So one site holds, in each worker's trace, inherited
 * and own blocks together, whose exit-scan kinds differ (kept[1] is
 * reachable, the worker's own blocks are not).
 *
 * Truth, one line per process (truth.h):
 *   TRUTH pid=P role=parent workers_ok=1 site_blocks=7 site_bytes=721
 *   TRUTH pid=C role=worker inherited_blocks=7 own_blocks=3 own_bytes=303
 *         site_blocks=9 site_bytes=924
 * site_*: the blocks of serve()'s site live in the process at its end
 * (a worker's: 6 inherited + 3 own). The program allocates nothing else
 * through malloc (its output goes through write(2)).
 */
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "truth.h"

static void *volatile kept[2];
/* blocks per round, by state: the parent's first round, a worker's, the
 * parent's later rounds (none); read from memory, so that the one call
 * below serves every process */
enum { FIRST, WORKER, LATER };
static volatile unsigned round_size[3] = {7, 3, 0};

/* One round of service: n blocks of 100 + i bytes, from one call site. The
 * parent keeps the first two. */
static __attribute__((noinline)) void serve(unsigned n, int keep)
{
	for (unsigned i = 0; i < n; i++) {
		void *p = malloc(100 + i);
		if (!p)
			hb_die("malloc failed");
		if (keep && i < 2)
			kept[i] = p;
	}
}

int main(void)
{
	int ok = 1;
	unsigned state = FIRST;
	for (unsigned round = 0;; round++) {
		serve(round_size[state], state == FIRST); /* one call: the same stack in every process */
		if (state == WORKER) {
			hb_truth("pid=%d role=worker inherited_blocks=7 own_blocks=3 own_bytes=303 site_blocks=9 "
				 "site_bytes=924", (int)getpid());
			exit(0);
		}
		if (round == 2)
			break;
		state = LATER;
		pid_t pid = fork();
		if (pid < 0)
			hb_die("fork failed");
		if (pid == 0) {
			state = WORKER;
			free(kept[0]); /* inherited, and still the parent's */
			continue;
		}
		int st;
		if (waitpid(pid, &st, 0) != pid)
			hb_die("waitpid failed");
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	hb_truth("pid=%d role=parent workers_ok=%d site_blocks=7 site_bytes=721", (int)getpid(), ok);
	return ok ? 0 : 1;
}
