/*
 * dliterate.c - allocations inside dl_iterate_phdr callbacks racing
 * allocations in another thread, both from call stacks never seen before.
 *
 * dl_iterate_phdr holds the dynamic loader's lock while it runs its
 * callback. A tracer meeting a new call stack must learn which module each
 * frame lies in, which means asking the loader; if it asks while holding a
 * lock of its own (its stack table), thread A (in its callback: holds the
 * loader lock, allocates, waits for the tracer's lock) and thread B
 * (allocates: holds the tracer's lock, waits for the loader lock) deadlock.
 * Both threads here allocate from a new stack every time: the allocation is
 * made at the end of a chain of LEVELS calls between two functions, the
 * chain spelling out the iteration number in binary, so no stack repeats
 * (2^LEVELS of them per thread; A and B enter the chain from different
 * places, so their stacks differ too). Built without sibling-call
 * optimization and identical-code folding, so every frame stays.
 *
 * Truth: every allocation is a malloc made by this executable's code; one in
 * LEAK_EVERY is kept (a leak), the others freed at once. Printed as
 * `TRUTH pid=P malloc=N allocs=... frees=... live_blocks=... live_bytes=...`.
 * A hang is the bug: the driver runs this under `timeout`.
 */
#include <link.h>
#include <pthread.h>
#include <stdlib.h>

#include "hostile.h"

#define LEVELS 14
#define ITERATIONS (1u << LEVELS)
#define LEAK_EVERY 64

struct side {
	pthread_t th;
	struct hb_ledger led;
	unsigned long mallocs;
};

static pthread_barrier_t start_line;

static void *chain_left(unsigned path, int level, size_t n);
static void *chain_right(unsigned path, int level, size_t n);

/* The chain: each level calls chain_left or chain_right by one bit of path;
 * the last one allocates. The empty asm after the call keeps it from being
 * a tail call (which would drop the frame). */
static __attribute__((noinline)) void *chain_left(unsigned path, int level, size_t n)
{
	void *p;
	if (level == 0)
		p = malloc(n);
	else if (path & 1)
		p = chain_right(path >> 1, level - 1, n);
	else
		p = chain_left(path >> 1, level - 1, n);
	__asm__ volatile("" ::: "memory");
	return p;
}

static __attribute__((noinline)) void *chain_right(unsigned path, int level, size_t n)
{
	void *p;
	if (level == 0)
		p = malloc(n);
	else if (path & 1)
		p = chain_right(path >> 1, level - 1, n);
	else
		p = chain_left(path >> 1, level - 1, n);
	__asm__ volatile("" ::: "memory");
	return p;
}

/* One allocation from the stack numbered i; its size is recorded. */
static void allocate_one(struct side *s, unsigned i, void *(*entry)(unsigned, int, size_t))
{
	size_t n = 32 + (i % 7) * 16;
	void *p = hb_ledger_alloc(&s->led, entry(i, LEVELS, n), n);
	s->mallocs++;
	if (i % LEAK_EVERY != 0) {
		free(p);
		hb_ledger_end(&s->led, n);
	}
}

/* Thread A: every dl_iterate_phdr call allocates in its callback (for the
 * first module only, then stops the walk). */
struct cb_arg {
	struct side *s;
	unsigned i;
};

static int callback(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	struct cb_arg *a = data;
	allocate_one(a->s, a->i, chain_right);
	return 1;
}

static void *iterating_thread(void *arg)
{
	struct side *s = arg;
	pthread_barrier_wait(&start_line);
	for (unsigned i = 0; i < ITERATIONS; i++) {
		struct cb_arg a = {s, i};
		dl_iterate_phdr(callback, &a);
	}
	return NULL;
}

/* Thread B: allocates outside any loader lock, from new stacks too. */
static void *allocating_thread(void *arg)
{
	struct side *s = arg;
	pthread_barrier_wait(&start_line);
	for (unsigned i = 0; i < ITERATIONS; i++)
		allocate_one(s, i, chain_left);
	return NULL;
}

int main(void)
{
	static struct side a, b;
	if (pthread_barrier_init(&start_line, NULL, 2) != 0)
		hb_die("pthread_barrier_init failed");
	if (pthread_create(&a.th, NULL, iterating_thread, &a) != 0 ||
	    pthread_create(&b.th, NULL, allocating_thread, &b) != 0)
		hb_die("pthread_create failed");
	pthread_join(a.th, NULL);
	pthread_join(b.th, NULL);
	struct hb_ledger led = {a.led.allocs + b.led.allocs, a.led.frees + b.led.frees,
				a.led.live_blocks + b.led.live_blocks, a.led.live_bytes + b.led.live_bytes};
	hb_truth("pid=%d malloc=%lu " HB_LEDGER_FMT, (int)getpid(), a.mallocs + b.mallocs, HB_LEDGER_ARGS(led));
	return 0;
}
