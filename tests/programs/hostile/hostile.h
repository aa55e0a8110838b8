/*
 * hostile.h - helpers shared by the hostile-host programs (tests/programs/hostile/).
 *
 * These programs do what real hosts do and a preloaded tracer must survive:
 * close every descriptor, overwrite their environment, churn threads, fork
 * and vfork and exec, install their own allocator. Each prints its truth as
 * `TRUTH key=value ...` lines through truth.h, whose output path never
 * allocates; the helpers here do not allocate either (no stdio, no
 * opendir), so the programs' ledgers stay exact.
 */
#ifndef HB_TEST_HOSTILE_H
#define HB_TEST_HOSTILE_H

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "truth.h"

/* The shim's flush period as `heapblame run --interval` told it
 * (HEAPBLAME_INTERVAL_MS), or its default of 1000 ms. getenv does not
 * allocate. */
static inline long hostile_interval_ms(void)
{
	const char *iv = getenv("HEAPBLAME_INTERVAL_MS");
	long ms = iv ? atol(iv) : 0;
	return ms > 0 ? ms : 1000;
}

/* Sleeps ms milliseconds, resuming after signals. */
static inline void hostile_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The process's virtual size in KiB (first field of /proc/self/statm, in
 * pages), or -1. Read with open/read: no allocation. */
static inline long hostile_vm_kb(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atol(buf) * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif /* HB_TEST_HOSTILE_H */
