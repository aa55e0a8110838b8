/*
 * execer.c - allocates, leaks, then replaces itself with exec_target.
 *
 * Usage: execer TARGET_PATH [EXIT_CODE]
 * Allocates 6 blocks, frees 2, leaks 4, prints its truth and execs
 * TARGET_PATH with EXIT_CODE (default 0) as the target's only argument. The
 * process keeps its pid across exec, so there are two images to trace under
 * one pid: the execer's trace ends at the exec (its 4 blocks are still live
 * there), and the new image, which inherits LD_PRELOAD, traces itself from
 * its start unless the tracer was told not to follow.
 *
 * Truth: the ledger of truth.h, printed as `TRUTH pid=P role=execer ...`
 * before the exec, with `target=` naming the path exec'd. Exits 127 if the
 * exec fails, 2 if an allocation fails.
 */
#include <stdlib.h>

#include "truth.h"

int main(int argc, char **argv)
{
	struct hb_ledger led = {0, 0, 0, 0};
	void *p[6];

	if (argc < 2)
		hb_die("usage: execer TARGET_PATH [EXIT_CODE]");
	for (unsigned i = 0; i < 6; i++)
		p[i] = hb_ledger_alloc(&led, malloc(500 + 100 * i), 500 + 100 * i);
	free(p[1]);
	hb_ledger_end(&led, 600);
	free(p[4]);
	hb_ledger_end(&led, 900);

	hb_truth("pid=%d role=execer target=%s " HB_LEDGER_FMT, (int)getpid(), argv[1], HB_LEDGER_ARGS(led));
	char *args[] = {argv[1], argc > 2 ? argv[2] : (char *)"0", NULL};
	execv(argv[1], args);
	hb_die("execv %s failed: %s", argv[1], strerror(errno));
	return 127;
}
