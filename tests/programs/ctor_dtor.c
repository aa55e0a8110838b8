/*
 * ctor_dtor.c - allocations before main and frees after main returns.
 *
 * A constructor allocates 3 blocks before main and leaks them, and one more
 * that main frees. main allocates a block it leaks, one that an atexit
 * handler frees, and one that a destructor frees after main has returned.
 * A tracer has to be running before the program's constructors and still
 * recording after its destructors (its own final flush must come after
 * them).
 *
 * Truth: the ledger of truth.h, kept in one global. main prints the final
 * ledger as it will be once the atexit handler and the destructor have run
 * (`TRUTH pid=P role=main ctor_allocs=3 ...`); the handler and the destructor
 * each print a line when they have done their free (`TRUTH role=atexit
 * freed_bytes=N`, `TRUTH role=dtor freed_bytes=N`), so the test knows they
 * ran. Exits 0.
 */
#include <stdlib.h>

#include "truth.h"

static struct hb_ledger led;
static unsigned long ctor_allocs, ctor_live_blocks, ctor_live_bytes;
static void *for_main, *for_atexit, *for_dtor;
static const size_t for_main_size = 640, for_atexit_size = 4321, for_dtor_size = 1234;

__attribute__((constructor)) static void early(void)
{
	for (unsigned i = 0; i < 3; i++) {
		size_t n = 700 + 11 * i;
		hb_keep(hb_ledger_alloc(&led, malloc(n), n));
		ctor_live_blocks++;
		ctor_live_bytes += n;
	}
	for_main = hb_ledger_alloc(&led, calloc(1, for_main_size), for_main_size);
	ctor_allocs = led.allocs;
}

static void at_exit_handler(void)
{
	free(for_atexit);
	hb_truth("role=atexit freed_bytes=%zu", for_atexit_size);
}

__attribute__((destructor)) static void late(void)
{
	free(for_dtor);
	hb_truth("role=dtor freed_bytes=%zu", for_dtor_size);
}

int main(void)
{
	free(for_main);
	hb_ledger_end(&led, for_main_size);
	hb_keep(hb_ledger_alloc(&led, malloc(900), 900));
	for_atexit = hb_ledger_alloc(&led, malloc(for_atexit_size), for_atexit_size);
	for_dtor = hb_ledger_alloc(&led, malloc(for_dtor_size), for_dtor_size);
	if (atexit(at_exit_handler) != 0)
		hb_die("atexit failed");

	/* What the ledger will be after the handler and the destructor. */
	struct hb_ledger final = led;
	hb_ledger_end(&final, for_atexit_size);
	hb_ledger_end(&final, for_dtor_size);
	hb_truth("pid=%d role=main ctor_allocs=%lu ctor_live_blocks=%lu ctor_live_bytes=%lu " HB_LEDGER_FMT,
		 (int)getpid(), ctor_allocs, ctor_live_blocks, ctor_live_bytes, HB_LEDGER_ARGS(final));
	return 0;
}
