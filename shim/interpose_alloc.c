/*
 * interpose_alloc.c - the exported allocator entry points: malloc, calloc,
 * free, cfree, realloc, reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc, malloc_usable_size.
 *
 * Each follows one shape:
 *
 *     trace = hb_should_trace();      one load of hb.state + the TLS busy byte
 *     result = real function          always, first, with the caller's args
 *     if (trace && success) record    recorder.c
 *
 * so libc's behaviour (errno, failure semantics, alignment, posix_memalign
 * leaving *memptr alone on failure) is the real allocator's, untouched. A
 * free is recorded before the real free, so the address cannot be handed to
 * another thread while the shim still holds it as live.
 *
 * This file and interpose_process.c are the only ones whose symbols are
 * exported (visibility default); everything else in the shim is hidden.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "real_functions.h"
#include "shim.h"

#define HB_EXPORT __attribute__((visibility("default")))

/* Exported here, declared by no header of this glibc. */
HB_EXPORT void cfree(void *p);

/* ---------- allocation --------------------------------------------------- */

/* Runs a real allocator call that may re-enter the shim: glibc's
 * reallocarray calls realloc through the PLT, and a linked-in allocator may
 * build calloc or memalign on malloc. The inner call must not be recorded
 * as a second allocation. */
#define REAL_GUARDED(trace, expr)                                                                      \
	({                                                                                             \
		struct hb_guard g_ = {0, 0};                                                           \
		if (trace)                                                                             \
			g_ = hb_enter();                                                               \
		__typeof__(expr) r_ = (expr);                                                          \
		if (trace)                                                                             \
			hb_leave_errno(g_); /* errno: the real call's */                              \
		r_;                                                                                    \
	})

HB_EXPORT void *malloc(size_t n)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.malloc))
		return hb_bootstrap_alloc(n);
	void *p = real.malloc(n);
	if (trace && HB_LIKELY(p != NULL))
		hb_record_alloc(p, n, HB_ALLOC_MALLOC);
	return p;
}

HB_EXPORT void *calloc(size_t n, size_t size)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.calloc)) {
		if (size && n > SIZE_MAX / size)
			return NULL;
		return hb_bootstrap_alloc(n * size);
	}
	void *p = REAL_GUARDED(trace, real.calloc(n, size));
	if (trace && HB_LIKELY(p != NULL))
		hb_record_alloc(p, (uint64_t)n * size, HB_ALLOC_CALLOC);
	return p;
}

HB_EXPORT void free(void *p)
{
	if (HB_UNLIKELY(!p))
		return;
	if (HB_UNLIKELY(hb_bootstrap_owns(p)))
		return;
	if (hb_should_trace())
		hb_record_free_release(p, real.free);
	else
		real.free(p);
}

HB_EXPORT void cfree(void *p)
{
	if (!p || hb_bootstrap_owns(p))
		return;
	if (hb_should_trace())
		hb_record_free(p, HB_FREE_CFREE);
	if (real.cfree)
		real.cfree(p);
	else
		real.free(p);
}

/* A block from the bootstrap pool is copied into a real one. */
static void *bootstrap_realloc(void *old, size_t n)
{
	void *p = malloc(n);
	if (p && old) {
		size_t have = hb_bootstrap_size(old);
		memcpy(p, old, have < n ? have : n);
	}
	return p;
}

/* realloc and reallocarray: the old block leaves the live table before the
 * real call (which may free it) and comes back if the call fails; a
 * successful call ends it and starts the new block. call(old, n, size) is
 * the real function; bytes = n * size, already checked for overflow. */
static void *resize(void *old, size_t n, size_t size, size_t bytes, unsigned kind,
		    void *(*call)(void *, size_t, size_t))
{
	if (!old) {
		void *p = REAL_GUARDED(1, call(NULL, n, size));
		if (p)
			hb_record_alloc(p, bytes, kind);
		return p;
	}
	if (bytes == 0) {
		hb_record_free(old, HB_FREE_REALLOC_ZERO);
		void *p = REAL_GUARDED(1, call(old, n, size));
		if (p) /* allocators that give a block for size 0 (jemalloc zero_realloc:alloc) */
			hb_record_alloc(p, 0, kind);
		return p;
	}
	struct hb_live_rec r;
	int had = hb_record_detach(old, &r);
	void *p = REAL_GUARDED(1, call(old, n, size));
	if (!p) {
		if (had)
			hb_record_reattach(&r);
		return NULL;
	}
	if (had)
		hb_record_end(&r, HB_FREE_REALLOC);
	hb_record_alloc(p, bytes, kind);
	return p;
}

static void *call_realloc(void *old, size_t n, size_t size)
{
	(void)size;
	return real.realloc(old, n);
}

static void *call_reallocarray(void *old, size_t n, size_t size)
{
	return real.reallocarray(old, n, size);
}

HB_EXPORT void *realloc(void *old, size_t n)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.realloc || (old && hb_bootstrap_owns(old))))
		return bootstrap_realloc(old, n);
	if (!trace)
		return real.realloc(old, n);
	return resize(old, n, 1, n, HB_ALLOC_REALLOC, call_realloc);
}

HB_EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.reallocarray || (old && hb_bootstrap_owns(old)))) {
		if (size && n > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		return bootstrap_realloc(old, n * size);
	}
	if (!trace || (size && n > SIZE_MAX / size))
		return real.reallocarray(old, n, size); /* overflow: ENOMEM, old untouched */
	return resize(old, n, size, n * size, HB_ALLOC_REALLOCARRAY, call_reallocarray);
}

HB_EXPORT int posix_memalign(void **memptr, size_t align, size_t n)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.posix_memalign))
		return ENOMEM;
	int rc = REAL_GUARDED(trace, real.posix_memalign(memptr, align, n));
	if (trace && rc == 0 && *memptr)
		hb_record_alloc(*memptr, n, HB_ALLOC_POSIX_MEMALIGN);
	return rc;
}

#define ALIGNED_FN(name, kind, params, args, size)                                                     \
	HB_EXPORT void *name params                                                                    \
	{                                                                                              \
		int trace = hb_should_trace();                                                         \
		if (HB_UNLIKELY(!real.name)) {                                                         \
			errno = ENOMEM;                                                                \
			return NULL;                                                                   \
		}                                                                                      \
		void *p = REAL_GUARDED(trace, real.name args);                                         \
		if (trace && p)                                                                        \
			hb_record_alloc(p, size, kind);                                                \
		return p;                                                                              \
	}

ALIGNED_FN(aligned_alloc, HB_ALLOC_ALIGNED_ALLOC, (size_t align, size_t n), (align, n), n)
ALIGNED_FN(memalign, HB_ALLOC_MEMALIGN, (size_t align, size_t n), (align, n), n)
ALIGNED_FN(valloc, HB_ALLOC_VALLOC, (size_t n), (n), n)
ALIGNED_FN(pvalloc, HB_ALLOC_PVALLOC, (size_t n), (n), n)

HB_EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (hb_bootstrap_owns(p))
		return hb_bootstrap_size(p);
	if (!real.malloc_usable_size)
		hb_should_trace(); /* resolves */
	return real.malloc_usable_size ? real.malloc_usable_size(p) : 0;
}
