/*
 * stackmin.c - threads with the smallest stack the C library allows, which
 * allocate at the end of a call chain.
 *
 * Threads made with a PTHREAD_STACK_MIN stack (16 KiB on x86-64, less the
 * thread descriptor and static TLS) are real: thread pools sized for
 * thousands of threads use them. Whatever a tracer does inside an
 * allocation (unwinding, interning a new stack, learning modules) runs on
 * that stack, below the host's own frames; a tracer that needs kilobytes of
 * it crashes a program that runs fine alone. Each of THREADS threads
 * descends DEPTH frames of about 150 bytes each (about a third of the usable
 * stack), then allocates ALLOCS blocks, each from its own call site depth,
 * and frees all but one.
 *
 * Output, identical bare and under the shim (no pid in it):
 *   TRUTH threads=N stack_min=S create_failed=F checksum=C allocs=...
 * with the executable's ledger (malloc and free only). Exit status 0 when
 * every thread was created and finished.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "hostile.h"

#define THREADS 8
#define DEPTH 24
#define ALLOCS 40

struct worker {
	pthread_t th;
	unsigned id;
	struct hb_ledger led;
	uint64_t checksum;
};

/* Allocates at the bottom of `level` frames, each holding a small buffer
 * it really uses. Not a tail call: the sum after the call keeps the frame. */
static __attribute__((noinline)) uint64_t descend(struct worker *w, unsigned level)
{
	volatile unsigned char pad[96];
	for (unsigned i = 0; i < sizeof(pad); i++)
		pad[i] = (unsigned char)(level + i);
	uint64_t sum = 0;
	if (level > 0) {
		sum = descend(w, level - 1);
	} else {
		void *keep = NULL;
		for (unsigned i = 0; i < ALLOCS; i++) {
			size_t n = 24 + 8 * ((i + w->id) % 16);
			unsigned char *p = hb_ledger_alloc(&w->led, malloc(n), n);
			for (size_t k = 0; k < n; k++)
				p[k] = (unsigned char)(k + i);
			sum += p[n - 1];
			if (i == 0) {
				keep = p;
			} else {
				free(p);
				hb_ledger_end(&w->led, n);
			}
		}
		hb_keep(keep); /* one leak per thread */
	}
	return sum + pad[level % sizeof(pad)];
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->checksum = descend(w, DEPTH);
	return NULL;
}

int main(void)
{
	static struct worker w[THREADS];
	struct hb_ledger led = {0, 0, 0, 0};
	pthread_attr_t attr;
	unsigned failed = 0;
	uint64_t checksum = 0;

	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN) != 0)
		hb_die("pthread_attr_setstacksize(PTHREAD_STACK_MIN) failed");
	for (unsigned i = 0; i < THREADS; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].th, &attr, worker_main, &w[i]) != 0) {
			failed++;
			w[i].id = UINT_MAX;
		}
	}
	for (unsigned i = 0; i < THREADS; i++) {
		if (w[i].id == UINT_MAX)
			continue;
		pthread_join(w[i].th, NULL);
		led.allocs += w[i].led.allocs;
		led.frees += w[i].led.frees;
		led.live_blocks += w[i].led.live_blocks;
		led.live_bytes += w[i].led.live_bytes;
		checksum += w[i].checksum;
	}
	pthread_attr_destroy(&attr);
	hb_truth("threads=%d stack_min=%ld create_failed=%u checksum=%llu " HB_LEDGER_FMT, THREADS,
		 (long)PTHREAD_STACK_MIN, failed, (unsigned long long)checksum, HB_LEDGER_ARGS(led));
	return failed ? 1 : 0;
}
