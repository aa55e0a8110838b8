/*
 * failexec.c - an exec that fails, and a process that goes on.
 *
 * Usage: failexec exit|kill
 * A tracer flushes and marks its trace before an exec, since a successful
 * exec replaces the image and its heap. When execvp fails (here: a program
 * that does not exist, ENOENT) the process goes on with the same heap, and
 * the trace must not read as if the image had been replaced. The program
 * leaks, fails to exec, leaks more, prints its truth, then:
 *   exit  returns 0 from main;
 *   kill  waits three flush periods plus 300 ms (HEAPBLAME_INTERVAL_MS),
 *         prints READY and sleeps until killed (the driver sends SIGKILL).
 *
 * Truth: `TRUTH pid=P exec_errno=E exec_returned=1` and the executable's
 * ledger (malloc and free only): what a report must count as outstanding.
 */
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

static struct hb_ledger led;

static void churn(unsigned keep, unsigned drop, size_t base)
{
	for (unsigned i = 0; i < keep + drop; i++) {
		size_t n = base + i;
		void *p = hb_ledger_alloc(&led, malloc(n), n);
		if (i >= keep) {
			free(p);
			hb_ledger_end(&led, n);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "exit") != 0 && strcmp(argv[1], "kill") != 0))
		hb_die("usage: failexec exit|kill");
	churn(4, 6, 1000);
	char *xargv[] = {"hb-no-such-program-7f3a", NULL};
	int r = execvp(xargv[0], xargv);
	int err = errno;
	churn(3, 5, 2000);
	hb_truth("pid=%d exec_errno=%d exec_returned=%d " HB_LEDGER_FMT, (int)getpid(), err, r == -1,
		 HB_LEDGER_ARGS(led));
	if (strcmp(argv[1], "exit") == 0)
		return 0;
	hostile_sleep_ms(3 * hostile_interval_ms() + 300);
	hb_say("READY");
	for (;;)
		pause();
}
