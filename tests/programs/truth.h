/*
 * truth.h - helpers shared by the integration test programs.
 *
 * Every program in tests/programs/ keeps its own ledger of what it allocated,
 * freed and leaked, computed as it runs, and prints it as one machine-readable
 * line `TRUTH key=value ...` on stdout; tests/integration/ compares those
 * numbers with what `heapblame dump` decoded from the trace.
 *
 * The output path must not allocate, or the programs would disturb the very
 * counts they report: libc's stdio allocates its stream buffer on first use,
 * and heapblame blames allocations made inside libc on the module that called
 * libc (libc is an allocator wrapper), so a printf() in a test program would
 * add one block to the program's own module. These helpers therefore format
 * into a stack buffer with vsnprintf (which does not allocate for the plain
 * conversions used here) and write(2) the result.
 *
 * The ledger counts what the tracer is specified to count for one module:
 *   allocs       blocks created by a successful allocation call (malloc,
 *                calloc, realloc/reallocarray that returned a block,
 *                posix_memalign, aligned_alloc, memalign, valloc, pvalloc),
 *                each one a new block even when realloc kept the address;
 *   frees        blocks ended by free() or cfree() (dump's `events.free`
 *                and `events.cfree`); a block ended by realloc, whether
 *                replaced by the block realloc returned or released by
 *                realloc(p, 0), stops being live but is not a free (it is a
 *                realloc event), so allocs - frees == live_blocks only for a
 *                program that neither reallocs nor inherited blocks;
 *   live_blocks  blocks never ended, and live_bytes their requested sizes
 *                (calloc: n * size; pvalloc: the argument, not the rounded
 *                page size).
 * Usable from C and C++. Header-only: every function is static inline.
 */
#ifndef HB_TEST_TRUTH_H
#define HB_TEST_TRUTH_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A store the compiler must perform: passing every allocation through it keeps
 * -O1 from deleting malloc/free pairs whose result looks unused. */
static void *volatile hb_test_sink;

static inline void *hb_keep(void *p)
{
	hb_test_sink = p;
	return p;
}

/* Writes all of buf to fd, retrying on EINTR and short writes. */
static inline void hb_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Formats into a stack buffer and writes one line to fd; never allocates.
 * Lines longer than the buffer are cut (none of ours come close). */
static inline void hb_vline(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];
	int saved = errno;
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s", prefix);
	int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
	if (m > 0)
		n += (size_t)m < sizeof buf - n - 1 ? (size_t)m : sizeof buf - n - 2;
	buf[n++] = '\n';
	hb_write_all(fd, buf, n);
	errno = saved;
}

/* Prints `TRUTH <fmt...>` on stdout. */
static inline __attribute__((format(printf, 1, 2))) void hb_truth(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hb_vline(1, "TRUTH ", fmt, ap);
	va_end(ap);
}

/* Prints a plain line on stdout (no prefix). */
static inline __attribute__((format(printf, 1, 2))) void hb_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hb_vline(1, "", fmt, ap);
	va_end(ap);
}

/* Prints `<program>: <message>` on stderr and exits 2: the program could not
 * do its job (an allocation failed, fork failed), so its truth is unknown. */
static inline __attribute__((format(printf, 1, 2), noreturn)) void hb_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hb_vline(2, "hbtest: ", fmt, ap);
	va_end(ap);
	_exit(2);
}

/* One module's ledger (see the file comment for what each field means). */
struct hb_ledger {
	unsigned long allocs, frees, live_blocks, live_bytes;
};

/* Records a block of `size` requested bytes; dies if p is NULL, since every
 * allocation the ledger tracks is expected to succeed. */
static inline void *hb_ledger_alloc(struct hb_ledger *l, void *p, size_t size)
{
	if (!p)
		hb_die("allocation of %zu bytes failed", size);
	l->allocs++;
	l->live_blocks++;
	l->live_bytes += size;
	return hb_keep(p);
}

/* Records the end of a block of `size` requested bytes by free or cfree. */
static inline void hb_ledger_end(struct hb_ledger *l, size_t size)
{
	l->frees++;
	l->live_blocks--;
	l->live_bytes -= size;
}

/* Records the end of a block by realloc: no longer live, not a free. */
static inline void hb_ledger_end_by_realloc(struct hb_ledger *l, size_t size)
{
	l->live_blocks--;
	l->live_bytes -= size;
}

#define HB_LEDGER_FMT "allocs=%lu frees=%lu live_blocks=%lu live_bytes=%lu"
#define HB_LEDGER_ARGS(l) (l).allocs, (l).frees, (l).live_blocks, (l).live_bytes

#ifdef __cplusplus
}
#endif

#endif /* HB_TEST_TRUTH_H */
