/*
 * live_table.c - sharded open addressing (see live_table.h).
 *
 * The address hash is a multiply by the golden ratio; its top bits pick the
 * shard, a folded copy the slot, so the two choices are independent.
 * Backward-shift deletion keeps probe chains short without tombstones: after
 * removing slot i, every following record that would sit earlier in its own
 * probe sequence moves back into the hole.
 */
#include "live_table.h"

#include <errno.h>
#include <string.h>

#include "shim_mem.h"

#define INITIAL_SLOTS 64u

static inline uint64_t addr_hash(uintptr_t addr)
{
	return (uint64_t)(addr >> 4) * 0x9E3779B97F4A7C15ull;
}

static inline struct hb_live_shard *shard_of(struct hb_live_table *t, uint64_t h)
{
	return &t->shard[h >> (64 - HB_LIVE_SHARD_BITS)];
}

static inline uint64_t slot_of(uint64_t h, uint64_t mask)
{
	return (h ^ (h >> 29)) & mask;
}

static void place(struct hb_live_rec *slots, uint64_t mask, const struct hb_live_rec *rec)
{
	uint64_t i = slot_of(addr_hash(rec->addr), mask);
	while (slots[i].addr)
		i = (i + 1) & mask;
	slots[i] = *rec;
}

static int grow(struct hb_live_shard *s)
{
	uint64_t old_n = s->slots ? s->mask + 1 : 0;
	uint64_t n = old_n ? old_n * 2 : INITIAL_SLOTS;
	struct hb_live_rec *slots = hb_mem_map(n * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint64_t i = 0; i < old_n; i++)
		if (s->slots[i].addr)
			place(slots, n - 1, &s->slots[i]);
	hb_mem_unmap(s->slots, old_n * sizeof(*slots));
	s->slots = slots;
	s->mask = n - 1;
	s->generation++;
	return 0;
}

int hb_live_table_insert(struct hb_live_table *t, const struct hb_live_rec *rec, struct hb_live_rec *replaced)
{
	uint64_t h = addr_hash(rec->addr);
	struct hb_live_shard *s = shard_of(t, h);
	int ret = 0;
	hb_spin_lock(&s->lock);
	if (!s->slots || (s->count + 1) * 4 > (s->mask + 1) * 3) {
		if (grow(s) < 0) {
			hb_spin_unlock(&s->lock);
			return -ENOMEM;
		}
	}
	uint64_t i = slot_of(h, s->mask);
	while (s->slots[i].addr && s->slots[i].addr != rec->addr)
		i = (i + 1) & s->mask;
	if (s->slots[i].addr) {
		*replaced = s->slots[i];
		if (!(replaced->flags & HB_LIVE_EMITTED))
			s->unemitted--;
		s->count--;
		ret = 1;
	}
	s->slots[i] = *rec;
	s->count++;
	if (!(rec->flags & HB_LIVE_EMITTED))
		s->unemitted++;
	hb_spin_unlock(&s->lock);
	return ret;
}

/* Removes the record at addr from s (locked). Returns 1 and fills *out, or
 * 0 when addr is not there. */
static int remove_locked(struct hb_live_shard *s, uint64_t h, uintptr_t addr, struct hb_live_rec *out)
{
	if (!s->slots)
		return 0;
	uint64_t mask = s->mask;
	uint64_t i = slot_of(h, mask);
	while (s->slots[i].addr != addr) {
		if (!s->slots[i].addr)
			return 0;
		i = (i + 1) & mask;
	}
	*out = s->slots[i];
	s->count--;
	if (!(out->flags & HB_LIVE_EMITTED))
		s->unemitted--;
	/* backward-shift deletion */
	uint64_t hole = i;
	for (uint64_t j = (i + 1) & mask; s->slots[j].addr; j = (j + 1) & mask) {
		uint64_t home = slot_of(addr_hash(s->slots[j].addr), mask);
		/* move j into the hole if its home is not in (hole, j] cyclically */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			s->slots[hole] = s->slots[j];
			hole = j;
		}
	}
	s->slots[hole].addr = 0;
	return 1;
}

int hb_live_table_remove(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out)
{
	uint64_t h = addr_hash(addr);
	struct hb_live_shard *s = shard_of(t, h);
	hb_spin_lock(&s->lock);
	int found = remove_locked(s, h, addr, out);
	hb_spin_unlock(&s->lock);
	return found;
}

int hb_live_table_remove_release(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out,
				 void (*release)(void *))
{
	uint64_t h = addr_hash(addr);
	struct hb_live_shard *s = shard_of(t, h);
	struct hb_live_rec *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
	if (slots)
		__builtin_prefetch(&slots[slot_of(h, s->mask)], 1, 3);
	hb_spin_lock(&s->lock);
	release((void *)addr);
	int found = remove_locked(s, h, addr, out);
	hb_spin_unlock(&s->lock);
	return found;
}

size_t hb_live_table_collect(struct hb_live_table *t, unsigned shard, uint64_t *cursor, uint64_t *gen,
			     struct hb_live_rec *out, size_t max)
{
	struct hb_live_shard *s = &t->shard[shard];
	size_t n = 0;
	if (!__atomic_load_n(&s->unemitted, __ATOMIC_RELAXED))
		return 0;
	hb_spin_lock(&s->lock);
	if (*gen != s->generation) {
		*gen = s->generation;
		*cursor = 0; /* slots moved: rescan; emitted records are skipped */
	}
	if (s->slots) {
		uint64_t nslots = s->mask + 1;
		uint64_t i = *cursor;
		for (; i < nslots && n < max && s->unemitted; i++) {
			struct hb_live_rec *r = &s->slots[i];
			if (r->addr && !(r->flags & HB_LIVE_EMITTED)) {
				r->flags |= HB_LIVE_EMITTED;
				s->unemitted--;
				out[n++] = *r;
			}
		}
		*cursor = i;
	}
	hb_spin_unlock(&s->lock);
	return n;
}

uint64_t hb_live_table_count(const struct hb_live_table *t)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		n += __atomic_load_n(&t->shard[i].count, __ATOMIC_RELAXED);
	return n;
}

void hb_live_table_foreach(struct hb_live_table *t, void (*fn)(void *ctx, struct hb_live_rec *r), void *ctx)
{
	for (unsigned k = 0; k < HB_LIVE_SHARDS; k++) {
		struct hb_live_shard *s = &t->shard[k];
		if (!s->slots)
			continue;
		uint64_t unemitted = 0;
		for (uint64_t i = 0; i <= s->mask; i++) {
			if (!s->slots[i].addr)
				continue;
			fn(ctx, &s->slots[i]);
			unemitted += !(s->slots[i].flags & HB_LIVE_EMITTED);
		}
		s->unemitted = unemitted;
	}
}

void hb_live_table_lock_all(struct hb_live_table *t)
{
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		hb_spin_lock(&t->shard[i].lock);
}

void hb_live_table_unlock_all(struct hb_live_table *t)
{
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		hb_spin_unlock(&t->shard[i].lock);
}
