/*
 * exec_target.c - the image execer.c execs: traces itself through the
 * inherited LD_PRELOAD, under the same pid as the execer.
 *
 * Usage: exec_target [EXIT_CODE]
 * Allocates 5 blocks with calloc, frees 1, leaks 4 (sizes different from
 * the execer's), prints its truth and exits with EXIT_CODE (default 0), so a
 * test can also check that `heapblame run` passes the status through and that
 * the trace records it (`end: exit EXIT_CODE`).
 *
 * Truth: the ledger of truth.h, printed as `TRUTH pid=P role=target ...`.
 */
#include <stdlib.h>

#include "truth.h"

int main(int argc, char **argv)
{
	struct hb_ledger led = {0, 0, 0, 0};
	void *p[5];
	int code = argc > 1 ? atoi(argv[1]) : 0;

	for (unsigned i = 0; i < 5; i++)
		p[i] = hb_ledger_alloc(&led, calloc(3, 70 + i), 3 * (70 + i));
	free(p[2]);
	hb_ledger_end(&led, 3 * 72);

	hb_truth("pid=%d role=target exit=%d " HB_LEDGER_FMT, (int)getpid(), code, HB_LEDGER_ARGS(led));
	return code;
}
