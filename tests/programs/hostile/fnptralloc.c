/*
 * fnptralloc.c - a position-dependent executable that passes malloc and
 * free as callbacks (zlib's zalloc/zfree style).
 *
 * In a non-PIE executable, code that takes a function's address uses an
 * absolute address fixed at link time, so the linker makes a "canonical"
 * PLT stub in the executable and every module must see that address as
 * malloc's: the executable's dynamic symbol table lists malloc, undefined
 * but with the stub's address, and dlsym(RTLD_DEFAULT, "malloc") returns
 * the stub. The stub jumps to whatever malloc the loader bound, the shim's
 * included, so nothing bypasses the tracer. A bug found in review took the
 * stub for a definition and warned on stderr that the program "defines
 * its own allocator function malloc" and would not be traced.
 *
 * Built with -fno-pie -no-pie (tests/programs/hostile/meson.build). The
 * program says whether the address it took for malloc is inside its own
 * image (it is, when the toolchain made the canonical stub; the driver
 * skips otherwise), then allocates BLOCKS blocks through the callback,
 * frees all but one through the other, and prints its ledger.
 *
 * Output, the same bare and under the shim:
 *   TRUTH malloc_in_executable=0|1 allocs=... (the executable's ledger)
 * Exit status 0.
 */
#include <stdint.h>
#include <stdlib.h>

#include "hostile.h"

#define BLOCKS 10

/* the executable's image, from the linker */
extern char __executable_start[], _end[];

struct fnptralloc_fns {
	void *(*alloc)(size_t);
	void (*release)(void *);
};

/* Uses the allocator it is handed, as a library with pluggable
 * allocation would. Not inlined: the callbacks stay indirect calls. */
static __attribute__((noinline)) void fnptralloc_use(const struct fnptralloc_fns *fns, struct hb_ledger *led)
{
	void *keep = NULL;
	for (int i = 0; i < BLOCKS; i++) {
		size_t n = 32 + 16 * (size_t)i;
		void *p = hb_ledger_alloc(led, fns->alloc(n), n);
		if (i == 0) {
			keep = p;
		} else {
			fns->release(p);
			hb_ledger_end(led, n);
		}
	}
	hb_keep(keep); /* one block left */
}

int main(void)
{
	struct hb_ledger led = {0, 0, 0, 0};
	/* built at run time, in code: the addresses are immediates in the
	 * instructions, which is what calls for the canonical PLT stub */
	struct fnptralloc_fns fns = {malloc, free};
	uintptr_t m = (uintptr_t)fns.alloc;
	int in_exe = m >= (uintptr_t)__executable_start && m < (uintptr_t)_end;
	fnptralloc_use(&fns, &led);
	hb_truth("malloc_in_executable=%d " HB_LEDGER_FMT, in_exe, HB_LEDGER_ARGS(led));
	return 0;
}
