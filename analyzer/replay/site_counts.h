/*
 * site_counts.h - a trace's events, added up per site: the whole replay.
 *
 * A format-2 trace is a time series of per-site counters (trace_format.h):
 * every SITE record says what a site allocated and what of its blocks was
 * freed since the last flush, every free already charged to the site its
 * block was allocated at. Replaying is therefore addition, in any order of
 * blocks, with no per-block state: a site's outstanding blocks are what it
 * inherited (a fork child) plus what it allocated minus what was freed.
 * The exit scan's REACH records give the verdicts on those blocks, by kind.
 *
 * Memory is O(sites): one entry per stack id, in an array indexed by id
 * (the shim's ids are dense, from 1). Both `report`/`check` (trace_model)
 * and `dump` replay through this, so they cannot disagree.
 */
#ifndef HB_SITE_COUNTS_H
#define HB_SITE_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "heapblame/trace_format.h"
#include "leak_kind.h"
#include "trace_reader.h"

struct site_count {
	uint32_t module;    /* the stream its records came in (0 until seen) */
	int seen;
	uint64_t alloc_count, alloc_bytes;
	uint64_t free_count, free_bytes;
	uint64_t inherit_count, inherit_bytes;
	uint64_t reach_count[HB_REACH_KIND_COUNT], reach_bytes[HB_REACH_KIND_COUNT];
	uint64_t reach_unknown_count, reach_unknown_bytes; /* a kind this reader does not know */
};

/* Totals by entry point, for `dump`. */
struct site_events {
	uint64_t alloc_events[HB_ALLOC_KIND_COUNT + 1]; /* the last: kinds this reader does not know */
	uint64_t free_events[HB_FREE_KIND_COUNT + 1];
	uint64_t inherited_blocks;
	uint64_t sites;   /* SITE records */
};

struct site_counts {
	struct site_count *by_stack; /* indexed by stack id */
	size_t n;
	uint64_t epoch;              /* the stream's reference epoch (one stream at a time is enough:
				      * every events block starts a flush's records of its module with
				      * an EPOCH record, or continues the previous block's) */
	struct site_events ev;
};

/* The entry of stack id, made (zeroed) if new; NULL when the id is beyond
 * 2^32 or memory is short. */
struct site_count *site_counts_at(struct site_counts *c, uint64_t stack);

/* Applies one record of module's events stream. Returns 0, or -1 for a
 * malformed record (nothing of it is applied) or no memory. Tags it does
 * not know are skipped (0). */
int site_counts_apply(struct site_counts *c, uint32_t module, const struct trace_record *r);

/* A site's outstanding blocks and bytes; when frees exceed what the site
 * holds (damage, or losses), 0 and *excess says by how many blocks. */
void site_count_outstanding(const struct site_count *s, uint64_t *blocks, uint64_t *bytes, uint64_t *excess);

/* A site's outstanding blocks by leak kind: REACH counts when scanned (what
 * they do not cover is unclassified, and added to *missing), else all
 * unclassified. */
void site_count_kinds(const struct site_count *s, int scanned, struct leak_tally *out, uint64_t *missing);

void site_counts_free(struct site_counts *c);

#endif
