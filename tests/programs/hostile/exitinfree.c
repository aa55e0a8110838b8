/*
 * exitinfree.c - a signal handler calls _exit while the interrupted code is
 * inside free (or malloc).
 *
 * Programs end from signal handlers with _exit, the async-signal-safe exit:
 * a watchdog's SIGALRM, a supervisor's SIGUSR1. The shim flushes at _exit;
 * if the handler interrupted the shim itself, or the allocator under it,
 * the locks they hold are held by the very thread that now flushes, so the
 * flush must be skipped or made without them, never waited for. A 300 us
 * interval timer interrupts a loop that mostly frees and allocates; on the
 * FIRE_AT-th SIGALRM the handler calls _exit(3).
 *
 * Output: `TRUTH pid=P status=3` before the loop. Exit status 3; 1 if the
 * timer never ended it within 5 s.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

#include "hostile.h"

#define FIRE_AT 40

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	if (++ticks >= FIRE_AT)
		_exit(3);
}

int main(void)
{
	static void *ring[64];
	hb_keep(malloc(4099));
	hb_truth("pid=%d status=3", (int)getpid());
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		hb_die("sigaction failed");
	struct itimerval it = {{0, 300}, {0, 300}};
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		hb_die("setitimer failed");
	time_t start = time(NULL);
	for (unsigned long i = 0; time(NULL) - start < 5; i++) {
		unsigned slot = (unsigned)(i % 64);
		free(ring[slot]); /* most of the time is spent freeing a live block */
		ring[slot] = hb_keep(malloc(16 + (i * 37) % 2000));
	}
	return 1;
}
