/*
 * site_sums.h - one flush's counters, added up across threads, by site.
 *
 * The writer takes every thread's counters (thread_buffer.h) and the
 * records their rings spilled, and adds them up here under the same key:
 * (module, stack, direction, kind, epoch). At the flush it sorts what it
 * holds by that key, so the entries of one site sit together and come out
 * as one SITE record per site, module by module (writer.c). The same table
 * adds up the exit scan's verdicts (REACH) and a fork child's inherited
 * blocks (INHERIT), under their own directions.
 *
 * The cost of a flush is therefore O(keys touched since the last flush),
 * never O(live blocks): nothing here is ever walked but what was added.
 * Memory is mmap'd (a flush may run in a signal handler, or while another
 * thread holds malloc's lock), grows by doubling, and is kept between
 * flushes unless it grew past HB_SITE_SUMS_KEEP.
 *
 * Not thread-safe: the writer owns it under hb.flush_lock.
 */
#ifndef HB_SITE_SUMS_H
#define HB_SITE_SUMS_H

#include <stddef.h>
#include <stdint.h>

#include "thread_buffer.h"

/* Directions beyond the counters' own (enum hb_count_dir). */
#define HB_SUM_REACH 2   /* kind: enum hb_reach_kind */
#define HB_SUM_INHERIT 3 /* kind: 0 */
#define HB_SUM_OWNED 4   /* kind: 0; epoch: the owner's stack id (reach_graph.h hb_reach_own) */

#define HB_SITE_SUMS_KEEP (4u << 20)

struct hb_sum_entry {
	uint32_t module;
	struct hb_count_key key;
	uint8_t used;
	uint8_t pad_;
	uint64_t count;
	uint64_t bytes;
};

struct hb_site_sums {
	struct hb_sum_entry *slots; /* cap slots: a hash table, then a sorted array */
	uint64_t cap, used;
	int sorted;
};

/* Adds count events of bytes to (module, key). Returns 0, or -ENOMEM (the
 * event is then not counted: the caller counts it as lost). */
int hb_site_sums_add(struct hb_site_sums *s, uint32_t module, const struct hb_count_key *key, uint64_t count,
		     uint64_t bytes);

/* Sorts the entries by (module, stack, dir, kind, epoch) into the front of
 * the table and returns them (*n of them). No add may follow until
 * hb_site_sums_reset. */
const struct hb_sum_entry *hb_site_sums_sorted(struct hb_site_sums *s, uint64_t *n);

/* Empties the table (and gives its memory back if it grew large). */
void hb_site_sums_reset(struct hb_site_sums *s);

void hb_site_sums_release(struct hb_site_sums *s);

#endif
