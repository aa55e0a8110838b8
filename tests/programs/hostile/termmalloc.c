/*
 * termmalloc.c - SIGTERM arrives while the program is inside malloc or free.
 *
 * The shim flushes the trace on SIGTERM (default disposition) before the
 * process dies of it. The signal lands on a thread that is almost always
 * inside the allocator here: main allocates and frees in a tight loop
 * (sizes up to 256 KiB, so glibc's mmap path is taken too) while a helper
 * thread sends it SIGTERM after DELAY_MS. The handler runs on top of
 * whatever the allocator (or the shim) was doing: it must neither hang
 * nor lose the trace. The program leaks one block of 5309 bytes first, so
 * the trace shows it was flushed.
 *
 * Output: `TRUTH pid=P leaked=5309` before the loop. The process dies of
 * SIGTERM (status 143 through `heapblame run`); should the signal somehow
 * not kill it within 5 s, it exits 1.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "hostile.h"

#define DELAY_MS 150

static pthread_t main_thread;

static void *killer(void *arg)
{
	(void)arg;
	hostile_sleep_ms(DELAY_MS);
	pthread_kill(main_thread, SIGTERM);
	return NULL;
}

int main(void)
{
	hb_keep(malloc(5309));
	hb_truth("pid=%d leaked=5309", (int)getpid());
	main_thread = pthread_self();
	pthread_t th;
	if (pthread_create(&th, NULL, killer, NULL) != 0)
		hb_die("pthread_create failed");
	time_t start = time(NULL);
	for (unsigned long i = 0; time(NULL) - start < 5; i++) {
		size_t n = (i % 16 == 0) ? (256u << 10) : 16 + (i % 509);
		free(hb_keep(malloc(n)));
	}
	return 1;
}
