/*
 * time_series.c - the flush grid and the sparse per-site series (see
 * time_series.h).
 */
#include "time_series.h"

#include <stdlib.h>

uint32_t ts_grid_add(struct ts_grid *g, uint64_t t_ns, int *coarsened)
{
	*coarsened = 0;
	if (!g->span)
		g->span = 1;
	uint64_t slot = g->flushes / g->span;
	if (slot >= TS_SLOTS) {
		for (uint32_t i = 0; i < TS_SLOTS / 2; i++)
			g->t_ns[i] = g->t_ns[2 * i + 1];
		g->span *= 2;
		slot = g->flushes / g->span;
		*coarsened = 1;
	}
	g->t_ns[slot] = t_ns;
	g->n = (uint32_t)slot + 1;
	g->flushes++;
	return (uint32_t)slot;
}

int ts_series_put(struct ts_series *s, uint32_t slot, int64_t bytes)
{
	if (s->n && s->p[s->n - 1].slot == slot) {
		s->p[s->n - 1].bytes = bytes;
		return 0;
	}
	if (s->n && s->p[s->n - 1].bytes == bytes)
		return 0; /* the step goes on: no new point needed */
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 4;
		if (cap > TS_SLOTS)
			cap = TS_SLOTS;
		struct ts_point *p = realloc(s->p, cap * sizeof(*p));
		if (!p)
			return -1;
		s->p = p;
		s->cap = cap;
	}
	s->p[s->n++] = (struct ts_point){slot, bytes};
	return 0;
}

void ts_series_coarsen(struct ts_series *s)
{
	uint32_t out = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		struct ts_point q = {s->p[i].slot / 2, s->p[i].bytes};
		if (out && s->p[out - 1].slot == q.slot)
			s->p[out - 1] = q;
		else
			s->p[out++] = q;
	}
	s->n = out;
}

int64_t ts_series_at(const struct ts_series *s, uint32_t slot)
{
	uint32_t lo = 0, hi = s->n; /* the first point after slot */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->p[mid].slot <= slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->p[lo - 1].bytes : 0;
}

void ts_series_free(struct ts_series *s)
{
	free(s->p);
	s->p = NULL;
	s->n = s->cap = 0;
}
