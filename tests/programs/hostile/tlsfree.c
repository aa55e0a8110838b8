/*
 * tlsfree.c - threads whose only allocator call is a free in their
 * thread-specific-data destructor, of a block another thread allocated.
 *
 * A worker gets a block from main, stores it with pthread_setspecific and
 * returns; the key's destructor frees it while glibc tears the thread down.
 * That free is the first allocator call the thread ever makes, so a tracer
 * that keeps per-thread buffers meets the thread for the first time in its
 * exit path, after (or among) its own exit hooks: a buffer it hands out then
 * must still be given back, or every such thread leaks one. ROUNDS rounds of
 * PER_ROUND threads (64 KiB stacks); after each round main sleeps two flush
 * periods (HEAPBLAME_INTERVAL_MS), so a tracer has every chance to recycle
 * what the round's threads left. The process's virtual size is read after
 * WARMUP rounds and at the end: it must stay flat (`vm_growth_kb`), with
 * glibc limited to one arena (M_ARENA_MAX), whose growth would drown it.
 *
 * Truth: `TRUTH pid=P threads=T malloc=M vm_growth_kb=G destructor_frees=D`
 * and the executable's ledger: main mallocs one block per thread, every
 * destructor frees its block (D counts them), main frees nothing.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "hostile.h"

#define ROUNDS 40
#define PER_ROUND 16
#define WARMUP 8
#define BLOCK_SIZE 96

static pthread_key_t key;
static unsigned long destructor_frees;

static void destroy(void *p)
{
	free(p);
	__atomic_add_fetch(&destructor_frees, 1, __ATOMIC_RELAXED);
}

static void *worker_main(void *arg)
{
	pthread_setspecific(key, arg); /* no allocator call: the key index is small */
	return NULL;
}

int main(void)
{
	struct hb_ledger led = {0, 0, 0, 0};
	long interval = hostile_interval_ms();
	long vm_warm = 0;
	pthread_attr_t attr;

	/* one arena: glibc would otherwise reserve 64 MiB of address space for
	 * each new arena, up to 8 per core, and drown the measure */
	mallopt(M_ARENA_MAX, 1);
	if (pthread_key_create(&key, destroy) != 0)
		hb_die("pthread_key_create failed");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (unsigned r = 0; r < ROUNDS; r++) {
		pthread_t th[PER_ROUND];
		for (unsigned t = 0; t < PER_ROUND; t++) {
			void *p = hb_ledger_alloc(&led, malloc(BLOCK_SIZE), BLOCK_SIZE);
			if (pthread_create(&th[t], &attr, worker_main, p) != 0)
				hb_die("pthread_create failed");
		}
		for (unsigned t = 0; t < PER_ROUND; t++) {
			pthread_join(th[t], NULL);
			hb_ledger_end(&led, BLOCK_SIZE); /* freed by the destructor */
		}
		hostile_sleep_ms(2 * interval + 2);
		if (r + 1 == WARMUP)
			vm_warm = hostile_vm_kb();
	}
	long vm_end = hostile_vm_kb();
	pthread_attr_destroy(&attr);
	hb_truth("pid=%d threads=%d malloc=%lu vm_growth_kb=%ld destructor_frees=%lu " HB_LEDGER_FMT, (int)getpid(),
		 ROUNDS * PER_ROUND, led.allocs, vm_end - vm_warm, destructor_frees, HB_LEDGER_ARGS(led));
	return destructor_frees == led.frees ? 0 : 1;
}
