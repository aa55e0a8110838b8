/*
 * wrapper_main.c - calls libuser.so, which leaks through libxalloc.so.1.
 *
 * Usage: blame_wrapper [N]    (default 25)
 * main -> user_collect (libuser.so) -> user_keep -> xa_malloc
 * (libxalloc.so.1) -> malloc. This executable allocates nothing itself
 * (output through write(2), see truth.h), so the process's outstanding
 * memory is exactly libuser's leak.
 *
 * Truth: `TRUTH pid=P n=N allocs=.. frees=.. live_blocks=.. live_bytes=..`
 * (libuser's ledger).
 */
#include "user.h"

int main(int argc, char **argv)
{
	struct hb_ledger led = {0, 0, 0, 0};
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 25;
	user_collect(n, &led);
	hb_truth("pid=%d n=%u " HB_LEDGER_FMT, (int)getpid(), n, HB_LEDGER_ARGS(led));
	return 0;
}
