/*
 * threadchurn.c - many short-lived threads that allocate and free.
 *
 * A thread pool that grows and shrinks, or a server spawning a thread per
 * request: ROUNDS rounds of PER_ROUND threads, each living a few hundred
 * microseconds. Every thread allocates OPS blocks from four call sites and
 * frees all but one at once: young deaths, which a tracer that folds them
 * into per-thread counters must still hand over when the thread is gone and
 * its buffer goes to the next thread. Run with a short flush period
 * (`heapblame run -i 10`) so that flushes fall between, and during, thread
 * exits and buffer reuse. Rounds are a millisecond apart.
 *
 * Truth: `TRUTH pid=P threads=T malloc=M free=F` and the executable's
 * ledger; malloc and free are this program's only allocator calls (the
 * loader's per-thread TLS blocks are calloc, blamed on ld.so).
 */
#include <pthread.h>
#include <stdlib.h>

#include "hostile.h"

#define ROUNDS 250
#define PER_ROUND 8
#define OPS 120

struct worker {
	pthread_t th;
	unsigned id;
	struct hb_ledger led;
};

static __attribute__((noinline)) void *site_a(size_t n) { return malloc(n); }
static __attribute__((noinline)) void *site_b(size_t n) { return malloc(n + 16); }
static __attribute__((noinline)) void *site_c(size_t n) { return malloc(n + 32); }
static __attribute__((noinline)) void *site_d(size_t n) { return malloc(n + 48); }

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	void *(*const sites[4])(size_t) = {site_a, site_b, site_c, site_d};
	for (unsigned i = 0; i < OPS; i++) {
		unsigned s = (i + w->id) % 4;
		size_t n = 40 + 8 * (i % 5);
		size_t size = n + 16 * s;
		void *p = hb_ledger_alloc(&w->led, sites[s](n), size);
		if (i != OPS / 2) {
			free(p);
			hb_ledger_end(&w->led, size);
		}
	}
	return NULL;
}

int main(void)
{
	static struct worker w[ROUNDS][PER_ROUND];
	struct hb_ledger led = {0, 0, 0, 0};
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned t = 0; t < PER_ROUND; t++) {
			w[r][t].id = r * PER_ROUND + t;
			if (pthread_create(&w[r][t].th, NULL, worker_main, &w[r][t]) != 0)
				hb_die("pthread_create failed");
		}
		for (unsigned t = 0; t < PER_ROUND; t++) {
			pthread_join(w[r][t].th, NULL);
			led.allocs += w[r][t].led.allocs;
			led.frees += w[r][t].led.frees;
			led.live_blocks += w[r][t].led.live_blocks;
			led.live_bytes += w[r][t].led.live_bytes;
		}
		hostile_sleep_ms(1);
	}
	hb_truth("pid=%d threads=%d malloc=%lu free=%lu " HB_LEDGER_FMT, (int)getpid(), ROUNDS * PER_ROUND,
		 led.allocs, led.frees, HB_LEDGER_ARGS(led));
	return 0;
}
