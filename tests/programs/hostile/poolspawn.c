/*
 * poolspawn.c - a thread keeps starting worker threads, each holding a
 * block only in a local variable, while main returns.
 *
 * A growing thread pool: the exit-time leak scan starts while new threads
 * are still being created. Stopping the threads it listed is not enough: a
 * thread not yet stopped may start another, whose stack (the only place
 * its block's address is kept) the scan must then read too, or call that
 * block a definite leak (a bug found in review). Nothing here leaks: every
 * block is held by a live thread.
 *
 * SPAWNERS spawner threads each create up to MAX_WORKERS / SPAWNERS
 * detached threads with 64 KiB stacks, one after the other, then wait for
 * ever; a spawner stops early if pthread_create fails (a thread limit).
 * Each worker allocates one block of HELD_SIZE bytes, keeps its address in
 * a volatile local and pauses for ever. Main returns once MIN_WORKERS
 * workers hold their block, plus 10 ms, with the spawners still at work
 * (it takes much longer than that to create MAX_WORKERS).
 *
 * Output, the same bare and under the shim:
 *   TRUTH held_size=100 min_workers=50
 * Exit status 0.
 */
#include <pthread.h>
#include <stdlib.h>

#include "hostile.h"

#define HELD_SIZE 100
#define MIN_WORKERS 50
#define SPAWNERS 4        /* more threads being created as the scan starts */
#define MAX_WORKERS 2000 /* below the scan's limit of 4096 threads */

static int holding; /* workers that hold their block */

static void *poolspawn_worker(void *arg)
{
	(void)arg;
	void *volatile held = malloc(HELD_SIZE); /* on this stack only */
	if (!held)
		hb_die("malloc failed");
	__atomic_add_fetch(&holding, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

static void *poolspawn_spawner(void *arg)
{
	(void)arg;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < MAX_WORKERS / SPAWNERS; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, poolspawn_worker, NULL) != 0)
			break;
	}
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;
	hb_truth("held_size=%d min_workers=%d", HELD_SIZE, MIN_WORKERS);
	for (int i = 0; i < SPAWNERS; i++)
		if (pthread_create(&t, NULL, poolspawn_spawner, NULL) != 0)
			hb_die("pthread_create failed");
	for (int i = 0; i < 5000 && __atomic_load_n(&holding, __ATOMIC_ACQUIRE) < MIN_WORKERS; i++)
		hostile_sleep_ms(1);
	hostile_sleep_ms(10);
	return 0;
}
