/*
 * livemillion.c - a million live blocks, then a quiet phase in which one
 * site works: what a server with a large live set looks like to the shim.
 *
 *   1. builds LIVE (1,000,000) blocks from four sites, sizes 16..271 bytes,
 *      held in a global array (reachable: a cache, not a leak);
 *   2. marks the start of the quiet phase with one block of MARK_QUIET
 *      bytes from a site of its own, then for QUIET_MS allocates and frees
 *      BURST blocks every millisecond or so from one more site, touching
 *      nothing else; a flush in this phase must take only that site's
 *      counters, whatever the live set (run with a short --interval, so that
 *      several flushes fall in it);
 *   3. marks its end with one block of MARK_DONE bytes, frees every block of
 *      the first site (a quarter of the live set), and drops LEAKS blocks
 *      of the second site from the array (definite leaks) before it exits.
 *
 * Its TRUTH line has the executable's module ledger (truth.h), the leaked
 * blocks and bytes, and the marker sizes, so the test can find the quiet
 * flushes in the dump.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "truth.h"

#define LIVE 1000000u
#define QUIET_MS 400
#define BURST 64
#define LEAKS 1000u
#define MARK_QUIET 1234567u
#define MARK_DONE 2345678u

static void *blocks[LIVE];
void *marks[2]; /* the markers stay reachable (not static: the stores must stay) */
static uint32_t sizes[LIVE];

static uint64_t allocs, frees, live_blocks, live_bytes;

static void count_alloc(size_t n)
{
	allocs++;
	live_blocks++;
	live_bytes += n;
}

static void count_free(size_t n)
{
	frees++;
	live_blocks--;
	live_bytes -= n;
}

/* Four sites: the block's number picks one; noinline keeps them apart. */
static __attribute__((noinline)) void *site0(size_t n) { return malloc(n); }
static __attribute__((noinline)) void *site1(size_t n) { return malloc(n); }
static __attribute__((noinline)) void *site2(size_t n) { return calloc(1, n); }
static __attribute__((noinline)) void *site3(size_t n) { return malloc(n); }
static __attribute__((noinline)) void *mark(size_t n) { return malloc(n); }
static __attribute__((noinline)) void *busy(size_t n) { return malloc(n); }

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(void)
{
	for (uint32_t i = 0; i < LIVE; i++) {
		size_t n = 16 + (i * 2654435761u >> 24);
		void *p;
		switch (i % 4) {
		case 0: p = site0(n); break;
		case 1: p = site1(n); break;
		case 2: p = site2(n); break;
		default: p = site3(n); break;
		}
		if (!p)
			hb_die("out of memory");
		blocks[i] = p;
		sizes[i] = (uint32_t)n;
		count_alloc(n);
	}

	marks[0] = mark(MARK_QUIET);
	count_alloc(MARK_QUIET);
	uint64_t until = now_ms() + QUIET_MS;
	void *burst[BURST];
	while (now_ms() < until) {
		for (int k = 0; k < BURST; k++) {
			burst[k] = busy(32);
			count_alloc(32);
		}
		for (int k = 0; k < BURST; k++) {
			free(burst[k]);
			count_free(32);
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	marks[1] = mark(MARK_DONE);
	count_alloc(MARK_DONE);

	for (uint32_t i = 0; i < LIVE; i += 4) {
		free(blocks[i]);
		count_free(sizes[i]);
		blocks[i] = NULL;
	}
	uint64_t leaked_bytes = 0;
	for (uint32_t i = 1, k = 0; k < LEAKS; i += 4, k++) {
		leaked_bytes += sizes[i];
		blocks[i] = NULL; /* lost: nothing else points to it */
	}
	hb_truth("pid=%d allocs=%llu frees=%llu live_blocks=%llu live_bytes=%llu definite_blocks=%u definite_bytes=%llu "
		 "mark_quiet=%u mark_done=%u live=%u",
		 (int)getpid(), (unsigned long long)allocs, (unsigned long long)frees, (unsigned long long)live_blocks,
		 (unsigned long long)live_bytes, LEAKS, (unsigned long long)leaked_bytes, MARK_QUIET, MARK_DONE,
		 LIVE);
	return 0;
}
