/*
 * mprotflip.c - a thread keeps switching a live heap page between
 * PROT_NONE and read/write while main returns.
 *
 * Guard-page allocators, garbage collectors with write barriers and JITs
 * doing W^X change the protection of memory they got from malloc. The
 * exit-time leak scan reads every live block to follow the pointers in it;
 * a block that is PROT_NONE at that moment must be skipped, not read (a
 * bug found in review: the scan faulted on the page and the program, which
 * runs fine alone, died with SIGSEGV at exit, every time).
 *
 * Main takes a page-aligned page with posix_memalign (a live block, held
 * by a global) and stores in it the only pointer to a second block, so the
 * scan has a reason to read the page. A thread then switches the page
 * between PROT_NONE and PROT_READ|PROT_WRITE in a loop, and main returns
 * 2 ms after the loop has started, while it still runs.
 *
 * Output, the same bare and under the shim:
 *   TRUTH allocs=... (the executable's ledger)
 * Exit status 0.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "hostile.h"

void *mprotflip_page; /* a global: the page is reachable */
static int flipping;

static void *mprotflip_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&flipping, 1, __ATOMIC_RELEASE);
	for (;;) {
		mprotect(mprotflip_page, 4096, PROT_NONE);
		mprotect(mprotflip_page, 4096, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

int main(void)
{
	static struct hb_ledger led;
	pthread_t t;

	if (posix_memalign(&mprotflip_page, 4096, 4096) != 0)
		hb_die("posix_memalign failed");
	hb_ledger_alloc(&led, mprotflip_page, 4096);
	((void **)mprotflip_page)[0] = hb_ledger_alloc(&led, malloc(10), 10);
	hb_truth(HB_LEDGER_FMT, HB_LEDGER_ARGS(led));
	if (pthread_create(&t, NULL, mprotflip_thread, NULL) != 0)
		hb_die("pthread_create failed");
	while (!__atomic_load_n(&flipping, __ATOMIC_ACQUIRE))
		;
	hostile_sleep_ms(2);
	return 0;
}
