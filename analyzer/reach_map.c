/*
 * reach_map.c - open addressing on the allocation id with linear probing,
 * doubling at 70% load; never deletes (see reach_map.h). Id 0 marks an
 * empty slot, which is why it is refused as a key.
 */
#include "reach_map.h"

#include <stdlib.h>

struct slot {
	uint64_t id;
	uint64_t kind;
};

struct reach_map {
	struct slot *slots;
	uint64_t mask, used;
};

static inline uint64_t home(uint64_t id, uint64_t mask)
{
	uint64_t h = id * 0x9E3779B97F4A7C15ull;
	return (h ^ (h >> 29)) & mask;
}

struct reach_map *reach_map_new(void)
{
	struct reach_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->mask = 255;
	m->slots = calloc(m->mask + 1, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void reach_map_free(struct reach_map *m)
{
	if (m) {
		free(m->slots);
		free(m);
	}
}

static struct slot *probe(struct slot *slots, uint64_t mask, uint64_t id)
{
	uint64_t i = home(id, mask);
	while (slots[i].id && slots[i].id != id)
		i = (i + 1) & mask;
	return &slots[i];
}

static int grow(struct reach_map *m)
{
	uint64_t n = (m->mask + 1) * 2;
	struct slot *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	for (uint64_t i = 0; i <= m->mask; i++)
		if (m->slots[i].id)
			*probe(slots, n - 1, m->slots[i].id) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->mask = n - 1;
	return 0;
}

int reach_map_put(struct reach_map *m, uint64_t id, uint64_t kind)
{
	if (!id)
		return -1;
	if ((m->used + 1) * 10 > (m->mask + 1) * 7 && grow(m) < 0)
		return -1;
	struct slot *s = probe(m->slots, m->mask, id);
	if (!s->id) {
		s->id = id;
		m->used++;
	}
	s->kind = kind;
	return 0;
}

int reach_map_get(const struct reach_map *m, uint64_t id, uint64_t *kind)
{
	if (!id)
		return 0;
	const struct slot *s = probe(m->slots, m->mask, id);
	if (!s->id)
		return 0;
	*kind = s->kind;
	return 1;
}

uint64_t reach_map_count(const struct reach_map *m)
{
	return m->used;
}
