/*
 * threads.c - 8 threads hand blocks to each other through a shared table, so
 * most blocks are freed by a thread other than the one that allocated them,
 * and freed addresses come straight back from malloc in another thread.
 *
 * Design: a table of 64 slots, each holding a pointer. Every operation of a
 * worker allocates a block (malloc or calloc, 16..128 bytes: few size classes,
 * so glibc's per-thread caches hand freed addresses out again at once), writes
 * its size and owner into it, atomically exchanges it into a random slot, and
 * frees whatever block came out (usually another thread's). This is the
 * address-reuse race a tracer must survive: thread A frees X while thread B
 * gets X back from malloc. One operation in 97 instead keeps the block to
 * itself and drops it: a deliberate leak. Threads start together behind a
 * barrier; at the end main frees what is left in the table.
 *
 * Truth: each thread keeps its own ledger (truth.h); sizes travel inside the
 * blocks, so the freeing thread knows what it ended. main adds the ledgers
 * (unsigned sums, so a thread's negative live count cancels out) and its own
 * drain. Only malloc, calloc and free are used, so `frees` is exactly the
 * number of free() calls on the program's blocks. The threads' own creation
 * allocates nothing the program's module is blamed for (the dynamic loader
 * allocates each thread's TLS vector: that is ld.so's allocation, not ours).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "truth.h"

#define NTHREADS 8
#define NSLOTS 64
#define OPS_PER_THREAD 20000
#define LEAK_EVERY 97

struct blk {
	size_t size;
	int owner;
};

static struct blk *slots[NSLOTS];
static pthread_barrier_t start_line;

struct worker {
	pthread_t th;
	int id;
	struct hb_ledger led;
	unsigned long mallocs, callocs, frees, cross_frees, leaked;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t s = 0x9E3779B97F4A7C15ULL * (uint64_t)(w->id + 1);

	pthread_barrier_wait(&start_line);
	for (unsigned i = 0; i < OPS_PER_THREAD; i++) {
		uint64_t r = rng_next(&s);
		size_t size = 16 + 16 * (r % 8);
		struct blk *b;
		if ((r >> 8) & 1) {
			b = malloc(size);
			w->mallocs++;
		} else {
			b = calloc(1, size);
			w->callocs++;
		}
		hb_ledger_alloc(&w->led, b, size);
		b->size = size;
		b->owner = w->id;
		if ((i + (unsigned)w->id) % LEAK_EVERY == 0) {
			w->leaked++; /* dropped: a deliberate leak */
			continue;
		}
		struct blk *old = __atomic_exchange_n(&slots[(r >> 16) % NSLOTS], b, __ATOMIC_ACQ_REL);
		if (old) {
			size_t old_size = old->size;
			if (old->owner != w->id)
				w->cross_frees++;
			free(old);
			w->frees++;
			hb_ledger_end(&w->led, old_size);
		}
	}
	return NULL;
}

int main(void)
{
	static struct worker w[NTHREADS];
	struct hb_ledger led = {0, 0, 0, 0};
	unsigned long mallocs = 0, callocs = 0, frees = 0, cross = 0, leaked = 0;

	if (pthread_barrier_init(&start_line, NULL, NTHREADS) != 0)
		hb_die("pthread_barrier_init failed");
	for (int i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
			hb_die("pthread_create failed");
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].th, NULL);
		led.allocs += w[i].led.allocs;
		led.frees += w[i].led.frees;
		led.live_blocks += w[i].led.live_blocks;
		led.live_bytes += w[i].led.live_bytes;
		mallocs += w[i].mallocs;
		callocs += w[i].callocs;
		frees += w[i].frees;
		cross += w[i].cross_frees;
		leaked += w[i].leaked;
	}
	for (int k = 0; k < NSLOTS; k++) {
		if (slots[k]) {
			size_t size = slots[k]->size;
			free(slots[k]);
			frees++;
			hb_ledger_end(&led, size);
			slots[k] = NULL;
		}
	}
	if (led.live_blocks != leaked)
		hb_die("ledger inconsistent: live %lu, leaked %lu", led.live_blocks, leaked);
	hb_truth("pid=%d threads=%d malloc=%lu calloc=%lu free=%lu cross_thread_frees=%lu " HB_LEDGER_FMT,
		 (int)getpid(), NTHREADS, mallocs, callocs, frees, cross, HB_LEDGER_ARGS(led));
	return 0;
}
