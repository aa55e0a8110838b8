/*
 * timeline.h - one time axis for a report, and the sums of site series on
 * it.
 *
 * Each process keeps its sites' levels on its own grid of flushes
 * (time_series.h). A report needs one axis: with one trace it is that
 * trace's grid, so every value is exact; with several (a forking server's
 * workers, many hosts) it is TS_SLOTS points evenly spaced, in wall-clock
 * time, from the earliest process start to the latest last flush, and each
 * process's levels are read at the last flush at or before each point, and
 * a process that ended holds nothing after its last flush (a forking
 * server's short-lived workers do not pile up as growth).
 * Sums are made by adding each series' steps at the report point where
 * they take effect and summing up once: O(points of the series), not
 * O(series x axis).
 */
#ifndef HB_TIMELINE_H
#define HB_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "time_series.h"
#include "trace_model.h"

struct tl_axis {
	size_t n;                  /* points */
	size_t nprocs;
	uint32_t *gone;            /* per process: the first point after it ended (n: it did not, or the axis ends) */
	double t_s[TS_SLOTS];      /* seconds since the earliest process started */
	uint32_t *first[1];        /* per process: slot -> the first point at or after it (n: none) */
};

/* The axis of the model's processes, or NULL out of memory. */
struct tl_axis *tl_axis_new(const struct tm_model *m);
void tl_axis_free(struct tl_axis *a);

/* Adds the steps of series s, of process proc, into steps[0..a->n). */
void tl_add_steps(const struct tl_axis *a, size_t proc, const struct ts_series *s, double *steps);

/* Turns steps into levels, in place. */
void tl_levels(const struct tl_axis *a, double *steps);

#endif
