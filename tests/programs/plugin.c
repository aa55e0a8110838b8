/*
 * plugin.c - a dlopen'ed library whose code allocates and leaks; built twice,
 * as libhbplugin.so (HBPLUGIN_VARIANT=1) and libhbplugin2.so (variant 2).
 *
 * hbplugin_work() allocates with malloc and calloc and through libc's strdup
 * (an allocator wrapper: the block must be blamed on this plugin, the module
 * whose code called strdup, not on libc), frees some blocks and leaks others.
 * The two variants leak different amounts, so a tracer that confuses them
 * (the second is usually mapped where the first was, right after its
 * dlclose) gets the per-module numbers wrong.
 *
 * Truth: the caller's tally (plugin.h) gets every block's requested size as
 * it is allocated and ended; strdup's block is strlen + 1 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

#ifndef HBPLUGIN_VARIANT
#error "build with -DHBPLUGIN_VARIANT=1 or 2"
#endif

int hbplugin_work(unsigned round, struct hb_ledger *tally) __attribute__((visibility("default")));

/* A name long enough to need a heap block whatever the round. */
static const char *const names[2] = {
	"plugin-one-name-that-is-long-enough", "plugin-two-has-another-name",
};

int hbplugin_work(unsigned round, struct hb_ledger *tally)
{
	const int v = HBPLUGIN_VARIANT;
	void *tmp[8];

	/* Churn: 8 blocks allocated and freed. */
	for (unsigned i = 0; i < 8; i++) {
		size_t n = 64 * (i + 1) + round;
		tmp[i] = hb_ledger_alloc(tally, v == 1 ? malloc(n) : calloc(1, n), n);
	}
	for (unsigned i = 0; i < 8; i++) {
		free(tmp[i]);
		hb_ledger_end(tally, 64 * (i + 1) + round);
	}

	/* Leaks: variant 1 leaks 3 mallocs, variant 2 leaks 1 calloc; both leak
	 * one strdup. */
	for (int i = 0; i < (v == 1 ? 3 : 1); i++) {
		size_t n = (size_t)(v * 1000 + 10 * i) + round;
		hb_keep(hb_ledger_alloc(tally, v == 1 ? malloc(n) : calloc(n, 1), n));
	}
	const char *name = names[v - 1];
	hb_keep(hb_ledger_alloc(tally, strdup(name), strlen(name) + 1));
	return v;
}
