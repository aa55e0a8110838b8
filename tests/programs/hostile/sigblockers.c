/*
 * sigblockers.c - worker threads that block every signal, idle while the
 * process exits.
 *
 * Servers commonly block every signal in their worker threads (so that
 * signals go to one thread that handles them). A thread that blocks every
 * signal cannot be stopped by a signal; an exit-time scan that stops
 * threads that way and waits for each to answer, with a timeout, makes
 * every exit of such a program that much longer (a bug found in review:
 * about a second per exit).
 *
 * WORKERS threads block every signal and pause for ever (nothing can wake
 * them). Once they all have, main leaks LEAKS blocks of LEAK_SIZE bytes
 * (something to scan and write) and returns.
 *
 * Output, the same bare and under the shim:
 *   TRUTH workers=4 allocs=... (the executable's ledger)
 * Exit status 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "hostile.h"

#define WORKERS 4
#define LEAKS 2000
#define LEAK_SIZE 1000

static int blocked; /* workers that have blocked every signal */

static void *sigblockers_worker(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	__atomic_add_fetch(&blocked, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	static struct hb_ledger led;
	pthread_t t;
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&t, NULL, sigblockers_worker, NULL) != 0)
			hb_die("pthread_create failed");
	while (__atomic_load_n(&blocked, __ATOMIC_ACQUIRE) < WORKERS)
		hostile_sleep_ms(1);
	for (int i = 0; i < LEAKS; i++)
		hb_ledger_alloc(&led, malloc(LEAK_SIZE), LEAK_SIZE); /* leaked */
	hb_truth("workers=%d " HB_LEDGER_FMT, WORKERS, HB_LEDGER_ARGS(led));
	return 0;
}
