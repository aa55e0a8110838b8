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
 * Memory is O(sites): one entry per stack id named, in the order first
 * named, found by id through a sparse map (id_index.h), so that a trace
 * naming a huge stack id costs one entry, not an array up to it. Both
 * `report`/`check` (trace_model) and `dump` replay through this, so they
 * cannot disagree.
 */
#ifndef HB_SITE_COUNTS_H
#define HB_SITE_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "heapblame/trace_format.h"
#include "id_index.h"
#include "leak_kind.h"
#include "trace_reader.h"

/* What a site allocated, freed and inherited: blocks and requested bytes. */
struct site_tally {
	uint64_t alloc_count, alloc_bytes;
	uint64_t free_count, free_bytes;
	uint64_t inherit_count, inherit_bytes;
	/* of the frees, those of inherited blocks (free groups of epochs before
	 * PROCESS.first_epoch in a fork child's trace) */
	uint64_t inherit_free_count, inherit_free_bytes;
};

struct site_count {
	uint32_t id;        /* its stack id */
	uint32_t module;    /* the stream its records came in (0 until seen) */
	int seen;
	struct site_tally total; /* every block of the site */
	uint64_t touched;        /* 1 + the FLUSH marks passed when it last changed */
	uint64_t reach_count[HB_REACH_KIND_COUNT], reach_bytes[HB_REACH_KIND_COUNT];
	uint64_t reach_unknown_count, reach_unknown_bytes; /* a kind this reader does not know */
	/* of the REACH counts, those of inherited blocks (REACH inherited = 1) */
	uint64_t reach_inh_count[HB_REACH_KIND_COUNT], reach_inh_bytes[HB_REACH_KIND_COUNT];
};

/* A site's part of a window, kept beside it only when a window is asked
 * for (site_counts_windows), so that a plain replay costs no more per
 * site than it needs. */
struct site_window_part {
	struct site_tally since;   /* a since window's blocks (site_counts_since) */
	struct site_tally pending; /* of epoch pending_from, while the window's start is not yet passed */
	uint64_t pending_from;
};

struct site_window {
	struct site_window_part cur;
	struct site_window_part saved; /* for --at: before the first change since the last FLUSH mark */
	struct site_tally saved_total;
};

/* Totals by entry point, for `dump`. */
struct site_events {
	uint64_t alloc_events[HB_ALLOC_KIND_COUNT + 1]; /* the last: kinds this reader does not know */
	uint64_t free_events[HB_FREE_KIND_COUNT + 1];
	uint64_t inherited_blocks;
	uint64_t sites;   /* SITE records */
};

/* An OWNED record: of stack's indirect blocks, those owned by a definite
 * block of root (hb_reach_own in the shim). */
struct site_owned {
	uint32_t stack, root;
	uint64_t count, bytes;
};

struct site_counts {
	struct site_count *by_stack; /* the sites, in the order first named (slots of ids) */
	struct site_window *win;     /* the same slots, with windows on (NULL without) */
	size_t n, cap;               /* sites, and room in by_stack and win */
	struct id_index ids;         /* stack id -> slot */
	uint64_t first_epoch;        /* PROCESS.first_epoch: before it, a fork child's inherited blocks */
	int reach_split;             /* a REACH record said which of its blocks were inherited */
	struct site_owned *owned;    /* the OWNED records, as read */
	size_t nowned, owned_cap;
	uint64_t epoch;              /* the stream's reference epoch (one stream at a time is enough:
				      * every events block starts a flush's records of its module with
				      * an EPOCH record, or continues the previous block's) */
	struct site_events ev;
	/* the sites changed since the last FLUSH mark (site_counts_mark), by slot */
	uint32_t *dirty;
	size_t ndirty, dirty_cap;
	uint64_t marks;              /* FLUSH marks passed */
	int windows;                 /* win is kept (site_counts_windows) */
	int keep_saved;              /* an --at cut may come: save sites before they change */
	/* a since window (site_counts_since) */
	int since_on, since_fixed;
	uint64_t since_ns, since_from;
	int oom;                     /* the dirty list could not grow: series may miss a point */
};

/* Turns windows on, before any record: keep_saved for an --at cut, a
 * since window, or both (out of memory: c->oom, and they stay off). */
void site_counts_windows(struct site_counts *c, int keep_saved);

/* Windows. A since window counts, beside every block, the blocks
 * allocated at or after since_ns (ns of the trace's clock): those of epochs
 * that began at or after it. An epoch begins at a flush, so the window
 * starts at the epoch after that of the last FLUSH mark before since_ns.
 * Until a mark at or after since_ns is passed, the counts of the epoch that
 * may turn out to be the first are kept aside (pending), and dropped when a
 * later mark proves it began before. Blocks a fork child inherited are
 * never in a window; a free group whose epoch the shim rounded down
 * (blocks freed at 64 epochs of age or more) to before the window's start
 * is not taken from it, so the window's count is high by at most those. */
void site_counts_since(struct site_counts *c, uint64_t since_ns);

/* The trace's start: its first epoch (PROCESS.first_epoch) begins at time
 * 0, which is a mark for a since window: at or after a window that starts
 * at 0, before any later one. */
void site_counts_start(struct site_counts *c, uint64_t first_epoch);

/* A FLUSH mark at time_ns, with epoch: moves a since window's start, and
 * empties the dirty list (read it first). */
void site_counts_mark(struct site_counts *c, uint64_t time_ns, uint64_t epoch);

/* Rolls every site changed since the last FLUSH mark back to its state at
 * that mark (keep_saved must have been set before the first record): the
 * state at the mark, for a cut between two flushes (--at). */
void site_counts_cut(struct site_counts *c);

/* The site's tally in the window: the since window's when one is set,
 * else every block. */
struct site_tally site_count_window(const struct site_counts *c, const struct site_count *s);

/* The entry of stack id, made (zeroed) if new; NULL when the id is beyond
 * 2^32 or memory is short. Valid until the next new entry. */
struct site_count *site_counts_at(struct site_counts *c, uint64_t stack);

/* The entry of stack id, or NULL when no record named it. */
const struct site_count *site_counts_find(const struct site_counts *c, uint64_t stack);

/* Applies one record of module's events stream. Returns 0, or -1 for a
 * malformed record (nothing of it is applied) or no memory. Tags it does
 * not know are skipped (0). */
int site_counts_apply(struct site_counts *c, uint32_t module, const struct trace_record *r);

/* A site's outstanding blocks and bytes; when frees exceed what the site
 * holds (damage, or losses), 0 and *excess says by how many blocks. */
void site_tally_outstanding(const struct site_tally *t, uint64_t *blocks, uint64_t *bytes, uint64_t *excess);

/* Outstanding bytes of a tally, as a signed level for time series (frees
 * beyond allocations, from damage, make it negative). */
int64_t site_tally_level(const struct site_tally *t);

/* A site's outstanding blocks (of window w, a part of its total) by leak
 * kind: REACH counts when scanned (what they do not cover is unclassified,
 * and added to *missing), else all unclassified. REACH counts a site's
 * blocks, not a window's: when the window holds only some of them, each
 * kind is given its share of the window's blocks and bytes (largest
 * remainders, the worst kinds first), an estimate the report documents. */
void site_count_kinds(const struct site_count *s, const struct site_tally *w, int scanned,
		      struct leak_tally *out, uint64_t *missing);

/* The part of a site's outstanding blocks (of the whole trace: c has no
 * since window) that a fork child inherited and still holds: INHERIT's
 * count less the frees of inherited blocks, at most what the site holds;
 * and its kinds: the REACH counts marked inherited when the trace has
 * them, else (a trace from a shim before that field) each kind's share of
 * the site's, as for windows; unclassified when not scanned. Zero for a
 * trace that is not a fork child's. */
void site_count_inherited(const struct site_counts *c, const struct site_count *s, int scanned,
			  uint64_t *blocks, uint64_t *bytes, struct leak_tally *kinds);

void site_counts_free(struct site_counts *c);

#endif
