/*
 * grower.c - leaks at a steady rate for a while, then exits: the shape of
 * a soak test's leak, for `heapblame check --max-growth`.
 *
 * Usage: grower [SECONDS [BLOCK_BYTES [PERIOD_MS]]], by default 7 s of
 * 4096 bytes every 20 ms (about 200 KB/s). Each block is written to (so it
 * is real memory) and its pointer dropped at once, so at exit the scan
 * finds them all definitely lost. The period is kept on an absolute clock
 * (clock_nanosleep TIMER_ABSTIME), so the rate does not drift with the time
 * each step takes.
 *
 * Truth: `TRUTH blocks=N bytes=B seconds=S bytes_per_hour=R`, R being the
 * bytes leaked over the measured time from the first allocation to the last
 * one, per hour.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "truth.h"

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 7.0;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 4096;
	long period_ms = argc > 3 ? atol(argv[3]) : 20;
	if (seconds <= 0 || size == 0 || period_ms <= 0)
		return 2;

	struct timespec t0, next;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = t0;
	unsigned long blocks = 0;
	double last = 0;
	for (;;) {
		void *p = hb_keep(malloc(size));
		if (!p)
			hb_die("malloc(%zu) failed", size);
		memset(p, 0x5a, size);
		hb_test_sink = NULL; /* the pointer is dropped: a definite leak */
		blocks++;
		last = seconds_since(&t0);
		next.tv_nsec += period_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		if ((double)(next.tv_sec - t0.tv_sec) + (double)(next.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
			break;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	/* blocks - 1 periods passed between the first allocation and the last */
	double rate = last > 0 ? (double)((blocks - 1) * size) / last * 3600.0 : 0;
	hb_truth("blocks=%lu bytes=%lu seconds=%.3f bytes_per_hour=%.0f", blocks, (unsigned long)(blocks * size), last,
		 rate);
	return 0;
}
