/*
 * sigwaiter.c - every signal blocked in every thread, one thread takes
 * them all with sigwait().
 *
 * The classic way to handle signals in a threaded program: block them all
 * before the first pthread_create (threads inherit the mask), and let one
 * thread sigwait() for any of them and act on it. Such a thread receives
 * every signal sent to the process, including one a tracer sends to stop
 * threads for its exit-time scan, and such a program has no thread that
 * would take that signal in a handler (bugs found in review: the thread
 * got the shim's signal 62 and shut the program down with status 3; a
 * scan that waits for blocked threads to answer makes the exit a second
 * longer).
 *
 * The signal thread reports any signal it is given on stdout, `signal
 * thread: got signal N`, and ends the process with status 3. Main leaks
 * LEAKS blocks of 64 bytes, waits 50 ms (the thread is in sigwait) and
 * returns 0: nothing sends a signal, so nothing should be received.
 *
 * Output, the same bare and under the shim:
 *   TRUTH allocs=... (the executable's ledger)
 * Exit status 0, or 3 when a signal was received.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "hostile.h"

#define LEAKS 5

static sigset_t all;

static void *sigwaiter_thread(void *arg)
{
	(void)arg;
	for (;;) {
		int sig;
		if (sigwait(&all, &sig) != 0)
			continue;
		hb_say("signal thread: got signal %d, shutting down with status 3", sig);
		_exit(3);
	}
	return NULL;
}

int main(void)
{
	static struct hb_ledger led;
	pthread_t t;

	sigfillset(&all);
	if (pthread_sigmask(SIG_BLOCK, &all, NULL) != 0)
		hb_die("pthread_sigmask failed");
	if (pthread_create(&t, NULL, sigwaiter_thread, NULL) != 0)
		hb_die("pthread_create failed");
	for (int i = 0; i < LEAKS; i++)
		hb_ledger_alloc(&led, malloc(64), 64); /* leaked */
	hostile_sleep_ms(50);
	hb_truth(HB_LEDGER_FMT, HB_LEDGER_ARGS(led));
	return 0;
}
