/*
 * map_roots.h - the memory a program mapped for itself, as roots of the
 * exit scan.
 *
 * Programs with an allocator of their own take its memory straight from
 * mmap and keep malloc'd blocks' addresses there: python's pymalloc arenas,
 * gcc's garbage-collected pages, any pool of a program's own. memcheck scans
 * such memory, and so does heapblame: every readable, writable, private
 * mapping is a root, except what is scanned otherwise or is not the
 * program's data:
 *   - the shim's own mappings (hb_mem_ranges: its tables hold every block's
 *     address) and its module;
 *   - loaded modules' segments (their writable data is scanned as module
 *     data, leak_scan.c), thread stacks (scanned from their stack pointer
 *     up: the dead part below must not count), the writer thread's stack,
 *     and the stacks glibc keeps of threads that ended (their frames are
 *     dead; recognised by the thread descriptor at their top);
 *   - the heap of glibc's malloc: the brk heap ([heap]), each non-main
 *     arena's heaps (a 64 MiB aligned heap_info, recognised by its fields
 *     and its arena's own first heap pointing back to it), and the pages of
 *     every live block (a large block is a mapping of its own): their free
 *     space holds stale pointers of freed blocks, which would make leaked
 *     blocks reachable;
 *   - shared mappings ('s': what another process may write, and a database
 *     file of gigabytes would be read from disk at exit), [vvar], [vdso],
 *     [vsyscall], [stack].
 * A sampled trace (heapblame run --sample) knows only its sampled blocks,
 * so the heap's other bytes are live blocks as likely as free space: with
 * sampled set, the caller does not leave glibc's heaps out, [heap] is
 * scanned like any mapping, only the sampled blocks' own bytes are skipped
 * (not their pages: the unsampled blocks beside them are roots), and every
 * word counts as HB_ROOT_HEAP does (reach_graph.h). leak_scan.h says what
 * that costs.
 * The caller lists the mappings (hb_map_roots_add, in address order) and
 * what to leave out (hb_map_roots_exclude), then hb_map_roots_scan subtracts
 * and scans. File-backed pieces are read through root_read.h (a truncated
 * file's page raises SIGBUS); anonymous ones in place.
 *
 * Everything lives in memory from hb_mem_map (registered as the shim's, so
 * never a root itself); nothing allocates during the scan.
 */
#ifndef HB_MAP_ROOTS_H
#define HB_MAP_ROOTS_H

#include <stddef.h>
#include <stdint.h>

#include "reach_graph.h"
#include "shim_mem.h"

#define HB_MAP_FILE 1u   /* file-backed: read with process_vm_readv */
#define HB_MAP_SKIP 2u   /* never a root ([heap], [stack], shared, ...) */
#define HB_MAP_HEAP 4u   /* named [heap]: glibc's brk heap */

struct hb_map_entry {
	uintptr_t lo, hi;
	unsigned flags;
};

struct hb_map_roots {
	struct hb_map_entry *e; /* readable and writable mappings, by address */
	size_t n, ecap;
	struct hb_mem_range *x; /* left out, sorted and merged by hb_map_roots_scan */
	size_t nx, xcap;
	int overflow;           /* an exclusion found no room: no mapping is scanned */
	int sampled;            /* a sampled trace: the heap is a root too (below) */
	uint64_t root_bytes;    /* bytes scanned as mapping roots */
	uint64_t left_bytes;    /* bytes of candidate mappings left out */
	uint64_t glibc_heaps;   /* non-main arena heaps recognised */
	uint64_t thread_stacks; /* glibc thread stacks recognised (live or cached) */
};

/* Room for `entries` mappings and `exclusions` ranges. 0 or -ENOMEM. */
int hb_map_roots_init(struct hb_map_roots *r, size_t entries, size_t exclusions);
void hb_map_roots_release(struct hb_map_roots *r);

/* One readable, writable mapping of /proc/self/maps (flags HB_MAP_*), as
 * the kernel lists it (not merged: a mapping's end tells a thread stack). */
void hb_map_roots_add(struct hb_map_roots *r, uintptr_t lo, uintptr_t hi, unsigned flags);

/* Leaves [lo, hi) out (rounded out to whole pages). */
void hb_map_roots_exclude(struct hb_map_roots *r, uintptr_t lo, uintptr_t hi);

/* Whether a lies in a range left out so far. */
int hb_map_roots_left_out(struct hb_map_roots *r, uintptr_t a);

/* The first range left out so far that ends after a, in *lo and *hi:
 * returns 1, or 0 when there is none. */
int hb_map_roots_next_left_out(struct hb_map_roots *r, uintptr_t a, uintptr_t *lo, uintptr_t *hi);

/* Finds glibc's non-main arena heaps among the anonymous mappings and
 * calls found(arg, a, len) for each: its start (its heap_info) and its
 * readable, writable length. Ranges already left out are not looked at.
 * Call only when the real malloc is glibc's; readable as below. */
void hb_map_roots_glibc_heaps(struct hb_map_roots *r, int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi),
			      void *ctx, void (*found)(void *arg, uintptr_t a, uintptr_t len), void *arg);

/* Finds glibc's non-main arena heaps among the anonymous mappings and
 * leaves them out. Call only when the real malloc is glibc's; readable
 * says whether a word may be read (the heap_info of another heap). */
void hb_map_roots_exclude_glibc_heaps(struct hb_map_roots *r, int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi),
				      void *ctx);

/* Finds glibc's thread stacks among the anonymous mappings, those of
 * threads that have ended too (glibc keeps them for new threads: their dead
 * frames hold stale pointers, which memcheck does not read either), and
 * leaves them out: a stack whose mapping ends with a thread descriptor
 * (tcb_size bytes at the top, aligned down to align) that points to itself
 * (tcbhead_t's tcb and self). */
void hb_map_roots_exclude_thread_stacks(struct hb_map_roots *r, size_t tcb_size, size_t align);

/* Scans what is left as roots of g (after hb_reach_sort): the pages of
 * g's blocks are left out too. */
void hb_map_roots_scan(struct hb_map_roots *r, struct hb_reach_graph *g);

#endif
