/*
 * time_series.h - a process's outstanding bytes over time, site by site.
 *
 * A format-2 trace is a sequence of flushes, and after each FLUSH mark the
 * replay knows every site's outstanding bytes exactly. Keeping them for
 * every flush would cost sites x flushes, which grows without bound on a
 * server that runs for days. So a process keeps a grid of at most TS_SLOTS
 * time slots, evenly spaced in flushes: slot k holds flushes
 * [k * span, (k + 1) * span), and its time is that of its last flush. When
 * the grid is full, neighbouring slots merge in pairs and span doubles, so
 * an hour of one-second flushes and a week of them cost the same memory,
 * and every series stays evenly sampled.
 *
 * A site's series is sparse: a point only at the slots in which its level
 * changed, holding the level at the end of that slot (a step function).
 * A site that allocates once at start-up costs one point, and a site that
 * changes at every flush at most TS_SLOTS points.
 */
#ifndef HB_TIME_SERIES_H
#define HB_TIME_SERIES_H

#include <stdint.h>

#define TS_SLOTS 512u

struct ts_grid {
	uint64_t t_ns[TS_SLOTS]; /* each slot's time: its last flush's FLUSH.time_ns */
	uint32_t n;              /* slots in use */
	uint32_t span;           /* flushes per slot, a power of two (0 before the first flush) */
	uint64_t flushes;        /* flushes added */
};

struct ts_point {
	uint32_t slot;
	int64_t bytes; /* the level at the end of the slot */
};

struct ts_series {
	struct ts_point *p;
	uint32_t n, cap;
};

/* Adds the next flush, at t_ns, and returns its slot. Sets *coarsened to 1
 * when the grid merged its slots in pairs to make room: the caller must
 * then call ts_series_coarsen on every series of the grid, before it puts
 * a point at the returned slot. */
uint32_t ts_grid_add(struct ts_grid *g, uint64_t t_ns, int *coarsened);

/* Sets the series' level at slot, which is at or after its last point's.
 * Returns 0, or -1 out of memory (the series is unchanged). */
int ts_series_put(struct ts_series *s, uint32_t slot, int64_t bytes);

/* Follows its grid's merge of slots in pairs: slot k becomes k / 2, and of
 * two points that fall in one slot the later one is kept. */
void ts_series_coarsen(struct ts_series *s);

/* The level at the end of slot: that of the last point at or before it,
 * 0 before the first. */
int64_t ts_series_at(const struct ts_series *s, uint32_t slot);

void ts_series_free(struct ts_series *s);

#endif
