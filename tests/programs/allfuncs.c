/*
 * allfuncs.c - every allocator entry point, with a ledger of what it did.
 *
 * Calls malloc (including malloc(0)), calloc, realloc (realloc(NULL, n), grow,
 * shrink, a chain of moves, realloc(p, 0)), reallocarray (from NULL and on a
 * block), posix_memalign, aligned_alloc, memalign, valloc, pvalloc, free,
 * free(NULL) (not an event), malloc_usable_size (a pass-through, not an event)
 * and cfree when the process provides one. glibc 2.36 no longer declares
 * cfree; it still exports it as a compat symbol (cfree@GLIBC_2.2.5, not the
 * default version), which the static linker will not bind but the dynamic
 * linker does bind for an unversioned reference. So cfree is declared here as
 * a weak reference: it is called when bound (by glibc's compat symbol or by a
 * tracer's own cfree) and skipped when NULL, and the TRUTH line says which.
 *
 * Truth: every call goes through a helper that, once the call succeeded,
 * counts it by kind and updates the ledger of truth.h (sizes are the requested
 * ones; the program remembers each block's size). The program makes no other
 * allocation: output is written with write(2) (see truth.h), and the loader's
 * and libc's start-up allocations happen before the tracer's first event or
 * not at all. So the whole process's per-kind counts are the program's, and
 * the TRUTH line carries both the per-kind event counts (for dump's
 * `events.*` totals) and the executable's module ledger, in which blocks
 * ended by realloc are no longer live but are not frees (`ended_by_realloc`
 * counts them, for information).
 *
 * A pitfall this catches: glibc's reallocarray calls realloc through the
 * PLT, i.e. back into an interposer, so a tracer that forwards reallocarray
 * to glibc without holding its reentrancy guard records one call twice.
 *
 * Exits 0 on success, 2 when an allocation unexpectedly failed.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "truth.h"

/* Not declared by glibc 2.36; bound at run time if anything exports it. */
extern void cfree(void *p) __attribute__((weak));

enum kind {
	K_MALLOC, K_CALLOC, K_REALLOC, K_REALLOCARRAY, K_POSIX_MEMALIGN, K_ALIGNED_ALLOC,
	K_MEMALIGN, K_VALLOC, K_PVALLOC, K_FREE, K_CFREE, K_COUNT
};

static unsigned long kinds[K_COUNT];
static struct hb_ledger led;
static unsigned long ended_by_realloc; /* information: blocks realloc ended */

/* Allocation helpers: call the entry point, die on NULL, count, ledger. */
static void *do_malloc(size_t n)
{
	void *p = malloc(n);
	kinds[K_MALLOC]++;
	return hb_ledger_alloc(&led, p, n);
}

static void *do_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	kinds[K_CALLOC]++;
	return hb_ledger_alloc(&led, p, n * size);
}

/* realloc that must return a block: old (of old_size, or NULL) ends. */
static void *do_realloc(void *old, size_t old_size, size_t n)
{
	void *p = realloc(old, n);
	if (!p)
		hb_die("realloc(%p, %zu) failed", old, n);
	kinds[K_REALLOC]++;
	if (old) {
		hb_ledger_end_by_realloc(&led, old_size);
		ended_by_realloc++;
	}
	return hb_ledger_alloc(&led, p, n);
}

/* realloc(p, 0): glibc frees p and returns NULL; one realloc event. */
static void do_realloc_zero(void *old, size_t old_size)
{
	void *p = realloc(old, 0);
	if (p)
		hb_die("realloc(p, 0) returned a block; this test assumes glibc");
	kinds[K_REALLOC]++;
	hb_ledger_end_by_realloc(&led, old_size);
	ended_by_realloc++;
}

static void *do_reallocarray(void *old, size_t old_size, size_t n, size_t size)
{
	void *p = reallocarray(old, n, size);
	if (!p)
		hb_die("reallocarray failed");
	kinds[K_REALLOCARRAY]++;
	if (old) {
		hb_ledger_end_by_realloc(&led, old_size);
		ended_by_realloc++;
	}
	return hb_ledger_alloc(&led, p, n * size);
}

static void *do_posix_memalign(size_t align, size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, align, n) != 0)
		hb_die("posix_memalign(%zu, %zu) failed", align, n);
	if ((uintptr_t)p % align)
		hb_die("posix_memalign: %p not aligned to %zu", p, align);
	kinds[K_POSIX_MEMALIGN]++;
	return hb_ledger_alloc(&led, p, n);
}

static void *do_aligned_alloc(size_t align, size_t n)
{
	void *p = aligned_alloc(align, n);
	kinds[K_ALIGNED_ALLOC]++;
	return hb_ledger_alloc(&led, p, n);
}

static void *do_memalign(size_t align, size_t n)
{
	void *p = memalign(align, n);
	kinds[K_MEMALIGN]++;
	return hb_ledger_alloc(&led, p, n);
}

static void *do_valloc(size_t n)
{
	void *p = valloc(n);
	kinds[K_VALLOC]++;
	return hb_ledger_alloc(&led, p, n);
}

static void *do_pvalloc(size_t n)
{
	void *p = pvalloc(n);
	kinds[K_PVALLOC]++;
	return hb_ledger_alloc(&led, p, n);
}

static void do_free(void *p, size_t size)
{
	free(p);
	kinds[K_FREE]++;
	hb_ledger_end(&led, size);
}

int main(void)
{
	volatile size_t zero = 0;
	void *p;
	size_t n;

	/* malloc: one leaked, one freed, malloc(0) leaked (a real block of 0
	 * requested bytes), and a churn loop of varied sizes. */
	hb_keep(do_malloc(100));
	p = do_malloc(200);
	do_free(p, 200);
	hb_keep(do_malloc(zero));
	for (unsigned i = 0; i < 1000; i++) {
		n = 1 + (i * 37) % 5000;
		p = do_malloc(n);
		((volatile char *)p)[n - 1] = 1;
		do_free(p, n);
	}

	/* free(NULL) is no event; malloc_usable_size is a pass-through. */
	free(NULL);
	free(NULL);
	free(NULL);
	p = do_malloc(24);
	if (malloc_usable_size(p) < 24)
		hb_die("malloc_usable_size too small");
	do_free(p, 24);

	/* calloc: 10 x 30 leaked, 1 x 50 freed. */
	hb_keep(do_calloc(10, 30));
	p = do_calloc(1, 50);
	do_free(p, 50);

	/* realloc: from NULL, grow, shrink; the shrunk block is leaked. */
	p = do_realloc(NULL, 0, 64);
	p = do_realloc(p, 64, 4096);
	p = do_realloc(p, 4096, 16);
	hb_keep(p);
	/* a chain of 50 growths, then freed */
	p = do_realloc(NULL, 0, 8);
	n = 8;
	for (unsigned i = 0; i < 50; i++) {
		p = do_realloc(p, n, n + 24 * (i + 1));
		n += 24 * (i + 1);
	}
	do_free(p, n);
	/* realloc(p, 0) */
	p = do_malloc(80);
	do_realloc_zero(p, 80);

	/* reallocarray: from NULL (7 x 9), then resized (20 x 9), leaked. */
	p = do_reallocarray(NULL, 0, 7, 9);
	p = do_reallocarray(p, 63, 20, 9);
	hb_keep(p);

	/* the memalign family: one leaked and one freed each, except pvalloc
	 * (one leaked, requested size 100 with the page rounding not counted). */
	hb_keep(do_posix_memalign(64, 1000));
	p = do_posix_memalign(256, 10);
	do_free(p, 10);
	hb_keep(do_aligned_alloc(128, 256));
	p = do_aligned_alloc(64, 64);
	do_free(p, 64);
	hb_keep(do_memalign(32, 77));
	p = do_memalign(4096, 5000);
	do_free(p, 5000);
	hb_keep(do_valloc(123));
	p = do_valloc(10);
	do_free(p, 10);
	hb_keep(do_pvalloc(100));

	/* cfree, when present (see the file comment). */
	if (cfree) {
		p = do_malloc(33);
		cfree(p);
		kinds[K_CFREE]++;
		hb_ledger_end(&led, 33);
	}

	unsigned long events = 0;
	for (int k = 0; k < K_COUNT; k++)
		events += kinds[k];
	hb_truth("pid=%d events=%lu malloc=%lu calloc=%lu realloc=%lu reallocarray=%lu posix_memalign=%lu "
		 "aligned_alloc=%lu memalign=%lu valloc=%lu pvalloc=%lu free=%lu cfree=%lu ended_by_realloc=%lu "
		 HB_LEDGER_FMT,
		 (int)getpid(), events, kinds[K_MALLOC], kinds[K_CALLOC], kinds[K_REALLOC],
		 kinds[K_REALLOCARRAY], kinds[K_POSIX_MEMALIGN], kinds[K_ALIGNED_ALLOC], kinds[K_MEMALIGN],
		 kinds[K_VALLOC], kinds[K_PVALLOC], kinds[K_FREE], kinds[K_CFREE], ended_by_realloc,
		 HB_LEDGER_ARGS(led));
	return 0;
}
