/*
 * live_set.c - open addressing on the allocation id, linear probing,
 * backward-shift deletion, doubling at 70% load (see live_set.h).
 */
#include "live_set.h"

#include <stdlib.h>

struct live_set {
	struct live_block *slots; /* id 0 marks an empty slot: ids are never 0 */
	uint64_t mask;
	uint64_t used;
	uint64_t live, bytes, pending;
};

static inline uint64_t slot_of(uint64_t id, uint64_t mask)
{
	uint64_t h = id * 0x9E3779B97F4A7C15ull;
	return (h ^ (h >> 31)) & mask;
}

struct live_set *live_set_new(void)
{
	struct live_set *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->mask = 1023;
	s->slots = calloc(s->mask + 1, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return NULL;
	}
	return s;
}

void live_set_free_all(struct live_set *s)
{
	if (s) {
		free(s->slots);
		free(s);
	}
}

static struct live_block *find(const struct live_set *s, uint64_t id)
{
	for (uint64_t i = slot_of(id, s->mask);; i = (i + 1) & s->mask) {
		if (s->slots[i].id == id)
			return &s->slots[i];
		if (!s->slots[i].id)
			return NULL;
	}
}

static void put(struct live_block *slots, uint64_t mask, const struct live_block *b)
{
	uint64_t i = slot_of(b->id, mask);
	while (slots[i].id)
		i = (i + 1) & mask;
	slots[i] = *b;
}

static int grow(struct live_set *s)
{
	uint64_t n = (s->mask + 1) * 2;
	struct live_block *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	for (uint64_t i = 0; i <= s->mask; i++)
		if (s->slots[i].id)
			put(slots, n - 1, &s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->mask = n - 1;
	return 0;
}

static void erase(struct live_set *s, struct live_block *at)
{
	uint64_t mask = s->mask, hole = (uint64_t)(at - s->slots);
	for (uint64_t j = (hole + 1) & mask; s->slots[j].id; j = (j + 1) & mask) {
		uint64_t home = slot_of(s->slots[j].id, mask);
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			s->slots[hole] = s->slots[j];
			hole = j;
		}
	}
	s->slots[hole].id = 0;
	s->used--;
}

int live_set_add(struct live_set *s, const struct live_block *b)
{
	struct live_block *e = find(s, b->id);
	if (e) {
		if (e->pending) {
			erase(s, e);
			s->pending--;
			return 1;
		}
		s->live--;
		s->bytes -= e->size;
		*e = *b;
		e->pending = 0;
		s->live++;
		s->bytes += b->size;
		return 0;
	}
	if ((s->used + 1) * 10 > (s->mask + 1) * 7 && grow(s) < 0)
		return -1;
	struct live_block nb = *b;
	nb.pending = 0;
	put(s->slots, s->mask, &nb);
	s->used++;
	s->live++;
	s->bytes += b->size;
	return 0;
}

int live_set_remove(struct live_set *s, uint64_t id, struct live_block *out)
{
	struct live_block *e = find(s, id);
	if (e && !e->pending) {
		*out = *e;
		s->live--;
		s->bytes -= e->size;
		erase(s, e);
		return 1;
	}
	if (e)
		return 0; /* a second free of the same unknown id: keep one */
	if ((s->used + 1) * 10 > (s->mask + 1) * 7 && grow(s) < 0)
		return -1;
	struct live_block p = {.id = id, .pending = 1};
	put(s->slots, s->mask, &p);
	s->used++;
	s->pending++;
	return 0;
}

uint64_t live_set_count(const struct live_set *s)
{
	return s->live;
}

uint64_t live_set_bytes(const struct live_set *s)
{
	return s->bytes;
}

uint64_t live_set_pending(const struct live_set *s)
{
	return s->pending;
}

void live_set_foreach(const struct live_set *s, void (*fn)(void *ctx, const struct live_block *b), void *ctx)
{
	for (uint64_t i = 0; i <= s->mask; i++)
		if (s->slots[i].id && !s->slots[i].pending)
			fn(ctx, &s->slots[i]);
}
