/*
 * owner_lock.c - the system-call side of the owner lock (see owner_lock.h).
 */
#include "owner_lock.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int hb_owner_lock_asymmetric;

void hb_owner_lock_setup(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	hb_owner_lock_asymmetric = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
				   syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void hb_owner_take_sync(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (hb_owner_lock_asymmetric && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
		/* cannot happen once registered; if it does, owners must fence:
		 * from now on they do, and this take waits out any that did not */
		__atomic_store_n(&hb_owner_lock_asymmetric, 0, __ATOMIC_SEQ_CST);
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
}

int hb_owner_take_wait(struct hb_owner_lock *l)
{
	for (unsigned i = 0; __atomic_load_n(&l->in, __ATOMIC_ACQUIRE); i++) {
		if (i < 1000) {
			hb_cpu_relax();
		} else if (i < 1000 + 2000) {
			struct timespec ts = {0, 50000};
			nanosleep(&ts, NULL);
		} else {
			return -1; /* stuck (see owner_lock.h) */
		}
	}
	return 0;
}
