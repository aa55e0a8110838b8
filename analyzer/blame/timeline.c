/*
 * timeline.c - the report's time axis and step sums (see timeline.h).
 */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

struct tl_axis *tl_axis_new(const struct tm_model *m)
{
	size_t np = m->nprocs ? m->nprocs : 1;
	struct tl_axis *a = calloc(1, sizeof(*a) + np * sizeof(a->first[0]));
	if (!a)
		return NULL;
	a->nprocs = m->nprocs;
	a->gone = calloc(np, sizeof(*a->gone));
	if (!a->gone) {
		free(a);
		return NULL;
	}
	uint64_t t0 = UINT64_MAX, t1 = 0, total = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct tm_process *p = &m->procs[i];
		if (!p->grid.n)
			continue;
		uint64_t s = p->start_realtime_ns, e = s + p->grid.t_ns[p->grid.n - 1];
		t0 = s < t0 ? s : t0;
		t1 = e > t1 ? e : t1;
		total += p->grid.n;
	}
	/* the axis in integer ns from t0, so that a process's times compare
	 * with it exactly (the one that ends last ends on its last point) */
	uint64_t axis_ns[TS_SLOTS];
	if (total && m->nprocs == 1) {
		const struct tm_process *p = &m->procs[0];
		a->n = p->grid.n;
		for (size_t k = 0; k < a->n; k++)
			axis_ns[k] = p->grid.t_ns[k];
	} else if (total) {
		a->n = total < TS_SLOTS ? (size_t)total : TS_SLOTS;
		for (size_t k = 0; k < a->n; k++)
			axis_ns[k] = a->n > 1 ? (uint64_t)((unsigned __int128)(t1 - t0) * k / (a->n - 1)) : 0;
	}
	for (size_t k = 0; k < a->n; k++)
		a->t_s[k] = (double)axis_ns[k] / 1e9;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct tm_process *p = &m->procs[i];
		a->gone[i] = (uint32_t)a->n;
		a->first[i] = malloc((p->grid.n ? p->grid.n : 1) * sizeof(*a->first[i]));
		if (!a->first[i]) {
			tl_axis_free(a);
			return NULL;
		}
		if (!p->grid.n)
			continue;
		uint64_t off = m->nprocs == 1 ? 0 : p->start_realtime_ns - t0;
		size_t k = 0;
		for (uint32_t s = 0; s < p->grid.n; s++) {
			uint64_t ts = off + p->grid.t_ns[s];
			while (k < a->n && axis_ns[k] < ts)
				k++;
			a->first[i][s] = (uint32_t)k;
		}
		/* a process that ended (exit, _exit, a signal) holds nothing
		 * after its last flush: its memory went with it */
		if (p->end_kind != TM_END_NONE) {
			uint64_t last = off + p->grid.t_ns[p->grid.n - 1];
			while (k < a->n && axis_ns[k] <= last)
				k++;
			a->gone[i] = (uint32_t)k;
		}
	}
	return a;
}

void tl_axis_free(struct tl_axis *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nprocs; i++)
		free(a->first[i]);
	free(a->gone);
	free(a);
}

void tl_add_steps(const struct tl_axis *a, size_t proc, const struct ts_series *s, double *steps)
{
	int64_t prev = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t k = a->first[proc][s->p[i].slot];
		/* the difference in double: the levels are a trace's byte counts,
		 * and two of them may lie further apart than int64 reaches (0 -
		 * INT64_MIN, found by fuzz_report) */
		if (k < a->n)
			steps[k] += (double)s->p[i].bytes - (double)prev;
		prev = s->p[i].bytes;
	}
	if (a->gone[proc] < a->n)
		steps[a->gone[proc]] -= (double)prev;
}

void tl_levels(const struct tl_axis *a, double *steps)
{
	for (size_t k = 1; k < a->n; k++)
		steps[k] += steps[k - 1];
}
