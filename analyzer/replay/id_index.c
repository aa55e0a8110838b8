/*
 * id_index.c - the open-addressing map of id_index.h. A cell is empty when
 * its slot is 0 (slots are stored + 1), so that id 0 is a key like any
 * other. The table doubles when it would become more than half full.
 */
#include "id_index.h"

#include <stdlib.h>

static size_t cell_of(uint32_t id, size_t cap)
{
	/* Fibonacci hashing: the shim's dense ids spread over the table */
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

long id_index_find(const struct id_index *x, uint32_t id)
{
	if (!x->cap)
		return -1;
	for (size_t i = cell_of(id, x->cap);; i = (i + 1) & (x->cap - 1)) {
		if (!x->slots[i])
			return -1;
		if (x->keys[i] == id)
			return (long)x->slots[i] - 1;
	}
}

/* Rehashes into a table of cap cells. 0, or -1 (the old one is kept). */
static int resize(struct id_index *x, size_t cap)
{
	uint32_t *keys = malloc(cap * sizeof(*keys)), *slots = calloc(cap, sizeof(*slots));
	if (!keys || !slots) {
		free(keys);
		free(slots);
		return -1;
	}
	for (size_t k = 0; k < x->cap; k++) {
		if (!x->slots[k])
			continue;
		size_t i = cell_of(x->keys[k], cap);
		while (slots[i])
			i = (i + 1) & (cap - 1);
		keys[i] = x->keys[k];
		slots[i] = x->slots[k];
	}
	free(x->keys);
	free(x->slots);
	x->keys = keys;
	x->slots = slots;
	x->cap = cap;
	return 0;
}

long id_index_add(struct id_index *x, uint32_t id, int *added)
{
	*added = 0;
	long s = id_index_find(x, id);
	if (s >= 0)
		return s;
	if (x->n >= UINT32_MAX - 1 || (2 * (x->n + 1) > x->cap && resize(x, x->cap ? 2 * x->cap : 64) < 0))
		return -1;
	size_t i = cell_of(id, x->cap);
	while (x->slots[i])
		i = (i + 1) & (x->cap - 1);
	x->keys[i] = id;
	x->slots[i] = (uint32_t)(x->n + 1);
	*added = 1;
	return (long)x->n++;
}

int id_index_set(struct id_index *x, uint32_t id, uint32_t slot)
{
	if (2 * (x->n + 1) > x->cap && resize(x, x->cap ? 2 * x->cap : 64) < 0)
		return -1;
	size_t i = cell_of(id, x->cap);
	while (x->slots[i] && x->keys[i] != id)
		i = (i + 1) & (x->cap - 1);
	if (!x->slots[i])
		x->n++;
	x->keys[i] = id;
	x->slots[i] = slot + 1;
	return 0;
}

void id_index_free(struct id_index *x)
{
	free(x->keys);
	free(x->slots);
	x->keys = x->slots = NULL;
	x->cap = x->n = 0;
}
