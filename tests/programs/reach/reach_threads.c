/*
 * reach_threads.c - blocks held by other threads' stacks and TLS while main
 * exits, and many threads each holding some.
 *
 * 16 worker threads; worker i (0..15):
 *   - keeps (i % 4) + 1 blocks of 100 + i bytes in a local array of its
 *     thread function: reachable only through that thread's stack;
 *   - keeps a block of 200 + i bytes in a __thread variable: reachable only
 *     through that thread's TLS;
 *   - drops a block of 336 + 16 i bytes: definite (336: not 320, the size
 *     of the loader's TLS vectors here, which would confuse a reader of the
 *     dump);
 *   - the even ones then block in pthread_cond_wait on a condition nobody
 *     signals, the odd ones in pause(): both hold their blocks while main
 *     calls exit(0).
 * main keeps a block of 88 bytes in a local of main's frame (live while
 * exit runs: reachable) and one of 96 bytes in its own __thread variable
 * (the main thread's static TLS: reachable), and waits until every worker
 * is blocked before it exits. The workers are never joined: a scan runs
 * while they are blocked.
 * The dynamic loader allocates each worker's TLS vector (DTV); the thread
 * descriptor points 16 bytes into it, so memcheck calls those blocks
 * "possibly lost" (they are the loader's, not leaks, and not in the truth).
 * Truth: reach.h's ledger, filled under a lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "reach.h"

#define NWORKERS 16

static __thread void *t_block;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never_cv = PTHREAD_COND_INITIALIZER;
static int nready;

static void count_locked(enum reach_kind k, size_t size)
{
	pthread_mutex_lock(&lock);
	reach_count(k, size);
	pthread_mutex_unlock(&lock);
}

static __attribute__((noinline)) void drop_one(size_t size)
{
	void *volatile p = reach_alloc(size);
	p = NULL;
	(void)p;
	count_locked(REACH_DEFINITE, size);
}

static __attribute__((noinline)) void block_forever(long i)
{
	pthread_mutex_lock(&lock);
	nready++;
	pthread_cond_signal(&ready_cv);
	if (i % 2 == 0) {
		for (;;)
			pthread_cond_wait(&never_cv, &lock);
	}
	pthread_mutex_unlock(&lock);
	for (;;)
		pause();
}

static void *worker(void *arg)
{
	long i = (long)arg;
	void *volatile on_stack[4] = {0}; /* the only pointers to these blocks */
	int n = (int)(i % 4) + 1;
	for (int k = 0; k < n; k++) {
		on_stack[k] = reach_alloc(100 + (size_t)i);
		count_locked(REACH_REACHABLE, 100 + (size_t)i);
	}
	t_block = reach_alloc(200 + (size_t)i);
	count_locked(REACH_REACHABLE, 200 + (size_t)i);
	drop_one(336 + 16 * (size_t)i);
	reach_scrub();
	block_forever(i);
	(void)on_stack;
	return NULL;
}

static __attribute__((noinline)) void start_workers(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < NWORKERS; i++) {
		pthread_t th;
		if (pthread_create(&th, &attr, worker, (void *)i) != 0)
			hb_die("pthread_create failed");
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&lock);
	while (nready < NWORKERS)
		pthread_cond_wait(&ready_cv, &lock);
	pthread_mutex_unlock(&lock);
}

int main(void)
{
	void *volatile main_local = reach_alloc(88);
	reach_count(REACH_REACHABLE, 88);
	t_block = reach_alloc(96);
	reach_count(REACH_REACHABLE, 96);
	start_workers();
	reach_scrub();
	pthread_mutex_lock(&lock);
	reach_truth_print("reach_threads");
	pthread_mutex_unlock(&lock);
	reach_scrub();
	exit(main_local ? 0 : 1);
}
