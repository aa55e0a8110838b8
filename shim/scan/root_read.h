/*
 * root_read.h - scanning root memory that may raise SIGBUS when read.
 *
 * A page of a file-backed mapping that lies past the end of its file faults
 * with SIGBUS when touched: a shared library truncated or rewritten in place
 * on disk while a process has it loaded (an install over a running program)
 * leaves its data segment's untouched pages so. The exit scan must not
 * crash its host for that, so it copies such memory with process_vm_readv
 * on its own process, which stops at a page it cannot read (a short count,
 * or EFAULT) instead of faulting; the page is skipped, the rest scanned.
 * Anonymous memory (stacks, the program's own pools) has no such pages and
 * is read in place, which costs no copy.
 */
#ifndef HB_ROOT_READ_H
#define HB_ROOT_READ_H

#include <stdint.h>

#include "reach_graph.h"

/* Scans [lo, hi) as a root (exact: see hb_reach_scan_root), copying it in
 * 64 KiB steps; a page that cannot be read is left out. Where the kernel
 * refuses process_vm_readv (ENOSYS, EPERM: a seccomp filter), the memory
 * is read in place, as before this guard (so also on any error but EFAULT). Not thread-safe (one static
 * buffer: the scan runs under the flush lock); never allocates. */
void hb_root_read_scan(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact);

/* Pages left out by hb_root_read_scan since the start (for tests). */
uint64_t hb_root_read_skipped(void);

#endif
