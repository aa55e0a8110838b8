/*
 * leak_scan.h - the exit-time reachability scan of the live blocks.
 *
 * At a normal exit (exit() or a return from main) the shim finds out which
 * outstanding blocks are leaked, as LeakSanitizer does: it stops the other
 * threads, takes as roots the writable segments of every loaded module
 * (the shim's own excepted), every thread's stack from its stack pointer
 * up, its registers and its static TLS, and marks what those reach (see
 * reach_graph.h for the rules). Blocks that the dynamic loader allocated
 * for its own bookkeeping (DTV, dynamic TLS) are roots themselves, never
 * leaks. The final flush then writes one REACH record per site and kind
 * (the counts of its outstanding blocks) and a SCAN record
 * (trace_format.h).
 *
 * The other threads are stopped with ptrace (world_stop.h), invisibly to
 * the host; where ptrace is refused the scan is not made (status
 * HB_SCAN_NO_THREADS) rather than call a block on an unread stack a leak.
 * A single-threaded process (the shim's writer aside) needs no stop.
 *
 * The scan ends the trace's heap: it takes the live table's blocks and
 * seals the table (hb_live_table_seal), so that what other threads
 * allocate after it, while the exiting thread writes the END, is not
 * recorded, and their frees after it are not either. Without that, a
 * detached thread that went on allocating left a block or two
 * outstanding with no kind ("unclassified"), some runs and not others,
 * and check's verdict flipped. The trace says what the process held at
 * the scan, as memcheck and LeakSanitizer report the heap they scanned.
 * The other way round, a block a thread took out of the table just before
 * the scan (a free) is counted before the final flush: the scan waits, at
 * most 250 ms, until every thread has counted the change it was making
 * when it was stopped (hb_tb_registry_wait_counted).
 *
 * A sampled trace (heapblame run --sample) holds only the sampled blocks,
 * and so does the scan: they are its targets, each counted with its weight
 * (sampler.h), and the unsampled blocks are never classified: the
 * sampled ones stand for them. As roots the unsampled blocks cannot be
 * told from free space, so the whole heap is a root (map_roots.h) but for
 * the sampled blocks' own bytes. A sampled block held only by unsampled
 * ones is reachable, as it is in a full trace. The error goes one way: a
 * sampled block whose only pointer lies in free memory or in a leaked
 * unsampled block is counted reachable, not leaked, so a sampled trace's
 * leaked estimate errs low (docs/trace-format.md, "Sampling").
 */
#ifndef HB_LEAK_SCAN_H
#define HB_LEAK_SCAN_H

#include "encoder.h"
#include "reach_graph.h"

struct hb_leak_scan {
	struct hb_scan_info info;
	struct hb_reach_graph graph; /* the blocks and their kinds when info.status is DONE */
	int valid;                   /* info holds a result to write */
};

/* Looks up, once at start, what the scan needs from the loader that does
 * not change (glibc's thread descriptor size, the real malloc), so that a
 * fork child never has to ask. The caller holds no shim lock. */
void hb_leak_scan_setup(void);

/* Brings the module list up to date for the scan, except in a fork child
 * (whose loader lock may be held for good). The caller holds no shim
 * lock: the loader's lock comes first. */
void hb_leak_scan_prepare(void);

/* Runs the scan, after hb_leak_scan_prepare. The caller holds
 * hb.flush_lock and no other shim lock, and is not in a signal handler.
 * Fills *out (out->valid = 1). */
void hb_leak_scan_run(struct hb_leak_scan *out);

void hb_leak_scan_release(struct hb_leak_scan *s);

#endif
