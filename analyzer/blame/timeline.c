/*
 * timeline.c - the report's time axis and step sums (see timeline.h).
 */
#include "timeline.h"

#include <stdlib.h>

struct tl_axis *tl_axis_new(const struct tm_model *m)
{
	size_t np = m->nprocs ? m->nprocs : 1;
	struct tl_axis *a = calloc(1, sizeof(*a) + np * sizeof(a->first[0]));
	if (!a)
		return NULL;
	a->nprocs = m->nprocs;
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
	if (!total)
		return a;
	if (m->nprocs == 1) {
		const struct tm_process *p = &m->procs[0];
		a->n = p->grid.n;
		for (size_t k = 0; k < a->n; k++)
			a->t_s[k] = (double)p->grid.t_ns[k] / 1e9;
	} else {
		a->n = total < TS_SLOTS ? (size_t)total : TS_SLOTS;
		for (size_t k = 0; k < a->n; k++)
			a->t_s[k] = a->n > 1 ? (double)(t1 - t0) / 1e9 * (double)k / (double)(a->n - 1) : 0;
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct tm_process *p = &m->procs[i];
		a->first[i] = malloc((p->grid.n ? p->grid.n : 1) * sizeof(*a->first[i]));
		if (!a->first[i]) {
			tl_axis_free(a);
			return NULL;
		}
		if (m->nprocs == 1) { /* the axis is this process's grid */
			for (uint32_t s = 0; s < p->grid.n; s++)
				a->first[i][s] = s;
			continue;
		}
		double off = (double)(p->start_realtime_ns - t0) / 1e9;
		size_t k = 0;
		for (uint32_t s = 0; s < p->grid.n; s++) {
			double ts = off + (double)p->grid.t_ns[s] / 1e9;
			while (k < a->n && a->t_s[k] < ts)
				k++;
			a->first[i][s] = (uint32_t)k;
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
	free(a);
}

void tl_add_steps(const struct tl_axis *a, size_t proc, const struct ts_series *s, double *steps)
{
	int64_t prev = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t k = a->first[proc][s->p[i].slot];
		if (k < a->n)
			steps[k] += (double)(s->p[i].bytes - prev);
		prev = s->p[i].bytes;
	}
}

void tl_levels(const struct tl_axis *a, double *steps)
{
	for (size_t k = 1; k < a->n; k++)
		steps[k] += steps[k - 1];
}
