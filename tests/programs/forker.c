/*
 * forker.c - fork without exec: each child gets its own trace, which must hold
 * the child's own allocations and show the blocks it inherited live.
 *
 * The parent leaks some blocks and keeps others to free later, then forks
 * child 1, which allocates its own blocks (frees some, leaks some), frees two
 * of the blocks it inherited, and ends with exit(0). The parent waits, frees
 * and allocates more, forks child 2, which does the same but ends with
 * _exit(0) (no atexit handlers, no stdio flush: a tracer must catch _exit
 * itself). The parent waits again and returns 0; it exits 1 if a child
 * failed.
 *
 * Truth: one ledger per process (truth.h), printed by each process as
 *   TRUTH pid=P role=parent ...
 *   TRUTH pid=C role=child end=exit|_exit inherited_blocks=I
 *         inherited_bytes=B own_allocs=... ...
 * For a child, `inherited_blocks`/`inherited_bytes` are the parent's ledger at
 * the fork: every traced block live in the process then, since the program
 * makes no other allocation (output goes through write(2)). The child's
 * ledger starts from the inherited live set: `allocs` counts only the child's
 * own allocations (dump's `events` exclude inherited blocks), `frees` counts
 * every block ended in the child, inherited ones included, and
 * `live_blocks`/`live_bytes` everything still live in the child at its end,
 * inherited blocks included.
 */
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "truth.h"

static struct hb_ledger led;

static void *alloc(size_t n)
{
	return hb_ledger_alloc(&led, malloc(n), n);
}

static void release(void *p, size_t n)
{
	free(p);
	hb_ledger_end(&led, n);
}

/* Child body: `give_back` are two inherited blocks of the given sizes that
 * the child frees. Ends the process as `how` says. */
static void __attribute__((noreturn)) child(int use__exit, void *give_back[2], const size_t give_back_size[2],
					       unsigned tag)
{
	unsigned long inherited_blocks = led.live_blocks, inherited_bytes = led.live_bytes;
	struct hb_ledger own = {0, 0, 0, 0};

	led.allocs = 0; /* the child's own allocations from here on */
	led.frees = 0;
	for (unsigned i = 0; i < 2; i++)
		release(give_back[i], give_back_size[i]);
	for (unsigned i = 0; i < 10; i++) {
		size_t n = 300 + 10 * tag + i;
		void *p = alloc(n);
		own.allocs++;
		if (i % 3 == 0) {
			release(p, n); /* freed: 4 of 10 */
			own.frees++;
		} else {
			own.live_blocks++; /* leaked: 6 of 10 */
			own.live_bytes += n;
		}
	}
	hb_truth("pid=%d role=child end=%s inherited_blocks=%lu inherited_bytes=%lu own_allocs=%lu own_frees=%lu "
		 "own_live_blocks=%lu own_live_bytes=%lu " HB_LEDGER_FMT,
		 (int)getpid(), use__exit ? "_exit" : "exit", inherited_blocks, inherited_bytes, own.allocs, own.frees,
		 own.live_blocks, own.live_bytes, HB_LEDGER_ARGS(led));
	if (use__exit)
		_exit(0);
	exit(0);
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		hb_die("waitpid failed");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	void *later[3], *give1[2], *give2[2];
	const size_t later_size[3] = {111, 222, 333};
	const size_t give_size[2] = {48, 4000};
	int ok = 1;
	pid_t pid;

	for (unsigned i = 0; i < 5; i++)
		hb_keep(alloc(1000 + i)); /* leaked by the parent, inherited by both children */
	for (unsigned i = 0; i < 3; i++)
		later[i] = alloc(later_size[i]);
	for (unsigned i = 0; i < 2; i++)
		give1[i] = alloc(give_size[i]);

	pid = fork();
	if (pid < 0)
		hb_die("fork failed");
	if (pid == 0)
		child(0, give1, give_size, 1);
	ok &= wait_child(pid);

	/* The parent still owns give1: free it, free `later`, allocate more. */
	for (unsigned i = 0; i < 2; i++)
		release(give1[i], give_size[i]);
	for (unsigned i = 0; i < 3; i++)
		release(later[i], later_size[i]);
	for (unsigned i = 0; i < 4; i++)
		hb_keep(alloc(2000 + 7 * i)); /* leaked by the parent */
	for (unsigned i = 0; i < 2; i++)
		give2[i] = alloc(give_size[i]);

	pid = fork();
	if (pid < 0)
		hb_die("fork failed");
	if (pid == 0)
		child(1, give2, give_size, 2);
	ok &= wait_child(pid);

	/* give2 stays live in the parent: leaked too. */
	hb_truth("pid=%d role=parent children_ok=%d " HB_LEDGER_FMT, (int)getpid(), ok, HB_LEDGER_ARGS(led));
	return ok ? 0 : 1;
}
