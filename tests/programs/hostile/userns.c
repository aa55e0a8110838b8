/*
 * userns.c - unshare(CLONE_NEWUSER) after the program has started.
 *
 * The kernel refuses CLONE_NEWUSER (EINVAL) to a process with more than one
 * thread. A single-threaded host (a sandbox, a container runtime, a
 * browser's zygote) calls it and must get what it gets alone, although a
 * tracer's writer thread would make it multithreaded. The program
 * allocates, calls unshare(CLONE_NEWUSER), allocates again, and prints the
 * result and its uid in the new namespace (the overflow uid: no mapping is
 * written). Does nothing else with the namespace.
 *
 * Output (the same bare and traced; no pid in it):
 *   unshare(CLONE_NEWUSER): ok | failed: ERRNO-NAME
 *   TRUTH uid_in_namespace=U allocs=... (the executable's ledger)
 * Exit status 0 on success, 3 when unshare failed.
 */
#include <sched.h>
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

int main(void)
{
	churn(2, 8, 300);
	int rc = unshare(CLONE_NEWUSER);
	int err = errno;
	if (rc == 0)
		hb_say("unshare(CLONE_NEWUSER): ok");
	else
		hb_say("unshare(CLONE_NEWUSER): failed: %s", strerrorname_np(err));
	churn(2, 8, 400);
	hb_truth("uid_in_namespace=%d " HB_LEDGER_FMT, rc == 0 ? (int)getuid() : -1, HB_LEDGER_ARGS(led));
	return rc == 0 ? 0 : 3;
}
