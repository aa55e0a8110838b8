/*
 * preforkidle.c - a prefork worker allocates a little, then idles until
 * its parent stops it with SIGTERM.
 *
 * Prefork servers (Apache's prefork MPM, PHP-FPM, gunicorn) fork workers
 * that allocate a few buffers at start and then wait in accept(); the
 * parent ends them with SIGTERM, often well within the tracer's flush
 * period. A fork child's trace file is made late (so that a fork followed
 * by exec writes none), and an idle child never calls the allocator again:
 * nothing but time may decide it. A bug found in review left such a child
 * without any trace.
 *
 * The child allocates CHILD_BLOCKS blocks of BLOCK_SIZE bytes, keeps them,
 * prints its ledger and pauses for ever. The parent, which allocates
 * nothing itself, waits WAIT_MS, sends SIGTERM, reaps the child and says
 * how it ended.
 *
 * Output (the order of the two TRUTH lines may vary):
 *   TRUTH role=child allocs=50 frees=0 live_blocks=50 live_bytes=50000
 *   worker ended by signal 15
 *   TRUTH role=parent child_pid=PID
 * Exit status 0 when the child ended by SIGTERM.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "hostile.h"

#define CHILD_BLOCKS 50
#define BLOCK_SIZE 1000
#define WAIT_MS 300

void *preforkidle_held[CHILD_BLOCKS]; /* the child's blocks, kept */

int main(void)
{
	pid_t child = fork();
	if (child < 0)
		hb_die("fork failed");
	if (child == 0) {
		struct hb_ledger led = {0, 0, 0, 0};
		for (int i = 0; i < CHILD_BLOCKS; i++)
			preforkidle_held[i] = hb_ledger_alloc(&led, malloc(BLOCK_SIZE), BLOCK_SIZE);
		hb_truth("role=child " HB_LEDGER_FMT, HB_LEDGER_ARGS(led));
		for (;;)
			pause(); /* serving: idle */
	}
	hostile_sleep_ms(WAIT_MS);
	kill(child, SIGTERM);
	int st;
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			hb_die("waitpid failed");
	if (WIFSIGNALED(st))
		hb_say("worker ended by signal %d", WTERMSIG(st));
	else
		hb_say("worker ended with status %d", WEXITSTATUS(st));
	hb_truth("role=parent child_pid=%d", (int)child);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? 0 : 1;
}
