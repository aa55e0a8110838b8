/*
 * getattr.c - a thread's first allocation happens inside
 * pthread_getattr_np.
 *
 * pthread_getattr_np takes the thread's own descriptor lock and, holding
 * it, allocates (realloc of a CPU set, and for the main thread the stdio
 * buffer of /proc/self/maps). A tracer that, at a thread's first traced
 * allocation, asks for the thread's stack bounds with pthread_getattr_np
 * takes the same lock again: the thread deadlocks on itself. Each of
 * THREADS threads calls pthread_getattr_np on itself before any other
 * allocator call; so does main, first thing.
 *
 * Output: `TRUTH pid=P threads=N ok=K` (K: calls that succeeded and gave a
 * stack containing the caller's frame). Exit status 0 when all did.
 */
#include <pthread.h>
#include <stdint.h>

#include "hostile.h"

#define THREADS 4

/* 1 when pthread_getattr_np on the calling thread works and its stack
 * holds a local of the caller. */
static int stack_ok(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	volatile int here = 0;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return 0;
	int ok = pthread_attr_getstack(&a, &addr, &size) == 0 && (uintptr_t)&here >= (uintptr_t)addr &&
		 (uintptr_t)&here < (uintptr_t)addr + size;
	pthread_attr_destroy(&a);
	return ok + here;
}

static void *worker(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)stack_ok();
}

int main(void)
{
	int ok = stack_ok();
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			hb_die("pthread_create failed");
	for (int i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		ok += (int)(intptr_t)r;
	}
	hb_truth("pid=%d threads=%d ok=%d", (int)getpid(), THREADS + 1, ok);
	return ok == THREADS + 1 ? 0 : 1;
}
