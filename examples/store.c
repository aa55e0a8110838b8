/*
 * store.c - the demo's server: a store-and-forward loop that hands every
 * message to libmta.so, for a customer it looks up in libcache.so. Its own
 * allocations (a line buffer, a formatted recipient) are freed; so are
 * libc's (strdup). Whatever stays outstanding at the end was allocated
 * inside libmta.so (a leak that grows with every message) or libcache.so
 * (a cache that fills, then holds).
 *
 *   store [MESSAGES [SECONDS [CUSTOMERS]]]
 *       MESSAGES   default 20000
 *       SECONDS    spread the messages evenly over this time (default 0: as
 *                  fast as it can)
 *       CUSTOMERS  look each message's customer up in libcache.so, among
 *                  this many (default 0: no lookups, the recipient is one
 *                  fixed address); `heapblame demo` gives 6000, the size of
 *                  libcache's table, so that the cache fills, then holds
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "customer_cache.h"
#include "mta.h"

static unsigned long customers;

static int deliver_message(unsigned long i)
{
	char *line = malloc(256);
	if (!line)
		return -1;
	snprintf(line, 256, "Subject: order %lu\n\nYour order %lu has shipped.", i, i);
	const char *address = customers ? customer_cache_get(i % customers) : "customer@example.org";
	if (!address) {
		free(line);
		return -1;
	}
	char *rcpt = strdup(address);
	int rc = mta_submit(rcpt, line);
	free(rcpt);
	free(line);
	return rc;
}

/* Sleeps until message i of n is due, over seconds (0: never sleeps). */
static void pace(unsigned long i, unsigned long n, double seconds, const struct timespec *start)
{
	if (seconds <= 0)
		return;
	double due = seconds * (double)i / (double)n;
	struct timespec at = *start;
	at.tv_sec += (time_t)due;
	at.tv_nsec += (long)((due - (double)(time_t)due) * 1e9);
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) != 0)
		;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 0;
	customers = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	size_t sent = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned long i = 1; i <= n; i++) {
		if (deliver_message(i) < 0)
			return 1;
		if (i % 100 == 0) {
			sent += mta_flush();
			pace(i, n, seconds, &start);
		}
	}
	sent += mta_flush();
	printf("store: %lu messages submitted, %zu delivered\n", n, sent);
	return 0;
}
