/*
 * live_table.c - packed, sharded open addressing (see live_table.h).
 *
 * A block's home slot is hb_live_home's (live_table.h): its hash multiplied
 * into the shard's size, so the size need not be a power of two. Backward-shift deletion keeps probe chains short
 * without tombstones: after removing slot i, every following record that
 * would sit earlier in its own probe sequence moves back into the hole.
 *
 * Records that do not pack (live_table.h) sit in a per-shard array that is
 * searched linearly: only blocks of 4 GiB or more, or at an address no
 * allocator on this platform returns, go there.
 */
#include "live_table.h"

#include <errno.h>
#include <string.h>

#include "heapblame/trace_format.h"
#include "shim_mem.h"
#include "stack_table.h"

#define INITIAL_SLOTS 64u
#define ADDR_BITS 45
#define ADDR_MASK ((1ull << ADDR_BITS) - 1)

/* ---------- packing -------------------------------------------------------- */

/* Whether an address can be a packed record's (its key addr >> 3 is the
 * address itself). */
static inline int packable_addr(uintptr_t addr)
{
	return !(addr & 7) && (uint64_t)addr < (1ull << 48);
}

static inline int packable(const struct hb_live_rec *r)
{
	return packable_addr(r->addr) && r->size <= 0xffffffffu && r->stack <= HB_STACK_ID_MAX;
}

static inline uint64_t key_of(uintptr_t addr)
{
	return (uint64_t)addr >> 3;
}

static inline struct hb_live_slot pack(const struct hb_live_rec *r)
{
	uint64_t e = r->epoch & HB_LIVE_EPOCH_MASK;
	struct hb_live_slot s = {
		.w0 = key_of(r->addr) | (e >> 8) << ADDR_BITS,
		.w1 = (uint64_t)(uint32_t)r->size | (uint64_t)r->stack << 32 | (e & 0xff) << 56,
	};
	return s;
}

static inline void unpack(const struct hb_live_slot *s, struct hb_live_rec *r)
{
	r->addr = (uintptr_t)((s->w0 & ADDR_MASK) << 3);
	r->size = (uint32_t)s->w1;
	r->stack = (uint32_t)(s->w1 >> 32) & HB_STACK_ID_MAX;
	r->epoch = (uint32_t)((s->w0 >> ADDR_BITS) << 8 | s->w1 >> 56);
}

static inline uint64_t slot_key(const struct hb_live_slot *s)
{
	return s->w0 & ADDR_MASK;
}

static inline uint64_t next_slot(uint64_t i, uint64_t n)
{
	return i + 1 == n ? 0 : i + 1;
}

static inline struct hb_live_shard *shard_of(struct hb_live_table *t, uint64_t h)
{
	return &t->shard[h >> (64 - HB_LIVE_SHARD_BITS)];
}

/* ---------- the packed table ----------------------------------------------- */

static void place(struct hb_live_slot *slots, uint64_t n, const struct hb_live_slot *s)
{
	uint64_t i = hb_live_home((uintptr_t)(slot_key(s) << 3), n);
	while (slots[i].w0)
		i = next_slot(i, n);
	slots[i] = *s;
}

/* Grows by half (a multiple of 4 slots, so a cache line holds whole
 * records), and at 13/16 load: see the header for the memory this costs. */
static int grow(struct hb_live_shard *s)
{
	uint64_t old_n = s->slots ? s->n : 0;
	uint64_t n = old_n ? (old_n + old_n / 2 + 3) & ~3ull : INITIAL_SLOTS;
	struct hb_live_slot *slots = hb_mem_map(n * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint64_t i = 0; i < old_n; i++)
		if (s->slots[i].w0)
			place(slots, n, &s->slots[i]);
	hb_mem_unmap(s->slots, old_n * sizeof(*slots));
	__atomic_store_n(&s->slots, slots, __ATOMIC_RELAXED);
	__atomic_store_n(&s->n, n, __ATOMIC_RELAXED);
	s->grow_at = n * 13 / 16;
	return 0;
}

/* Removes the packed record with this key from s (locked). Returns 1 and
 * fills *out, or 0 when it is not there. */
static int remove_packed(struct hb_live_shard *s, uint64_t key, struct hb_live_rec *out)
{
	if (!s->slots)
		return 0;
	struct hb_live_slot *slots = s->slots;
	uint64_t n = s->n;
	uint64_t i = hb_live_home((uintptr_t)(key << 3), n);
	while (slot_key(&slots[i]) != key) {
		if (!slots[i].w0)
			return 0;
		i = next_slot(i, n);
	}
	unpack(&slots[i], out);
	s->count--;
	uint64_t hole = i;
	for (uint64_t j = next_slot(i, n); slots[j].w0; j = next_slot(j, n)) {
		uint64_t home = hb_live_home((uintptr_t)(slot_key(&slots[j]) << 3), n);
		/* move j into the hole if its home is not in (hole, j] cyclically */
		uint64_t dist_home = j >= home ? j - home : j + n - home;
		uint64_t dist_hole = j >= hole ? j - hole : j + n - hole;
		if (dist_home >= dist_hole) {
			slots[hole] = slots[j];
			hole = j;
		}
	}
	slots[hole].w0 = 0;
	slots[hole].w1 = 0;
	return 1;
}

/* ---------- the side table ------------------------------------------------- */

static int big_find(const struct hb_live_shard *s, uintptr_t addr)
{
	for (uint32_t i = 0; i < s->nbig; i++)
		if (s->big[i].addr == addr)
			return (int)i;
	return -1;
}

static int big_put(struct hb_live_shard *s, const struct hb_live_rec *r)
{
	if (s->nbig == s->big_cap) {
		uint32_t cap = s->big_cap ? s->big_cap * 2 : 16;
		struct hb_live_rec *big = hb_mem_map(cap * sizeof(*big));
		if (!big)
			return -ENOMEM;
		if (s->big)
			memcpy(big, s->big, s->nbig * sizeof(*big));
		hb_mem_unmap(s->big, s->big_cap * sizeof(*big));
		s->big = big;
		s->big_cap = cap;
	}
	s->big[s->nbig++] = *r;
	return 0;
}

static int big_remove(struct hb_live_shard *s, uintptr_t addr, struct hb_live_rec *out)
{
	int i = s->nbig ? big_find(s, addr) : -1;
	if (i < 0)
		return 0;
	*out = s->big[i];
	s->big[i] = s->big[--s->nbig];
	return 1;
}

/* ---------- the free filter ------------------------------------------------ */

/* addr came into the table (+1) or left it (-1); under its shard's lock. */
static void filter_add(struct hb_live_table *t, uintptr_t addr, int delta)
{
	if (!t->filtered)
		return;
	hb_live_filter_count *c = &t->filter[hb_live_filter_slot(addr)];
	hb_live_filter_count v = __atomic_load_n(c, __ATOMIC_RELAXED);
	do {
		if (v == HB_LIVE_FILTER_MAX)
			return; /* saturated: for good */
	} while (!__atomic_compare_exchange_n(c, &v, (hb_live_filter_count)(v + delta), 1, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

void hb_live_table_filter(struct hb_live_table *t)
{
	t->filtered = 1;
}

/* ---------- the interface -------------------------------------------------- */

/* Removes addr from s (locked), packed or not. */
static int remove_locked(struct hb_live_table *t, struct hb_live_shard *s, uintptr_t addr,
			 struct hb_live_rec *out)
{
	int found = packable_addr(addr) && remove_packed(s, key_of(addr), out);
	if (!found)
		found = s->nbig ? big_remove(s, addr, out) : 0;
	if (found)
		filter_add(t, addr, -1);
	return found;
}

int hb_live_table_insert(struct hb_live_table *t, const struct hb_live_rec *rec, struct hb_live_rec *replaced)
{
	struct hb_live_shard *s = shard_of(t, hb_live_hash(rec->addr));
	int ret = 0;
	replaced->addr = 0;
	hb_spin_lock(&s->lock);
	if (__atomic_load_n(&t->sealed, __ATOMIC_RELAXED)) { /* written under every shard lock */
		hb_spin_unlock(&s->lock);
		return -ESHUTDOWN;
	}
	/* a block the shim never saw freed: the old record goes, whatever table
	 * holds it (a block of 4 GiB and a small one may share an address) */
	if (s->nbig && big_remove(s, rec->addr, replaced))
		ret = 1;
	if (!packable(rec)) {
		if (!ret && s->slots && packable_addr(rec->addr) && remove_packed(s, key_of(rec->addr), replaced))
			ret = 1;
		if (big_put(s, rec) < 0) {
			if (ret)
				filter_add(t, rec->addr, -1); /* the old record went, no new one came */
			ret = -ENOMEM;
		} else if (!ret) {
			filter_add(t, rec->addr, 1);
		}
		hb_spin_unlock(&s->lock);
		return ret;
	}
	if (!s->slots || s->count + 1 > s->grow_at) {
		if (grow(s) < 0) {
			if (ret)
				filter_add(t, rec->addr, -1);
			hb_spin_unlock(&s->lock);
			return -ENOMEM;
		}
	}
	struct hb_live_slot p = pack(rec);
	uint64_t key = key_of(rec->addr), n = s->n;
	uint64_t i = hb_live_home(rec->addr, n);
	while (s->slots[i].w0 && slot_key(&s->slots[i]) != key)
		i = next_slot(i, n);
	if (s->slots[i].w0) {
		unpack(&s->slots[i], replaced);
		s->count--;
		ret = 1;
	}
	s->slots[i] = p;
	s->count++;
	if (!ret)
		filter_add(t, rec->addr, 1);
	hb_spin_unlock(&s->lock);
	return ret;
}

int hb_live_table_remove(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out)
{
	struct hb_live_shard *s = shard_of(t, hb_live_hash(addr));
	if (!hb_live_table_may_hold(t, addr))
		return 0;
	hb_spin_lock(&s->lock);
	int found = remove_locked(t, s, addr, out);
	hb_spin_unlock(&s->lock);
	return found;
}

int hb_live_table_remove_release(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out,
				 void (*release)(void *))
{
	if (!hb_live_table_may_hold(t, addr)) {
		release((void *)addr);
		return 0;
	}
	hb_live_table_prefetch(t, addr);
	struct hb_live_shard *s = shard_of(t, hb_live_hash(addr));
	hb_spin_lock(&s->lock);
	release((void *)addr);
	int found = remove_locked(t, s, addr, out);
	hb_spin_unlock(&s->lock);
	return found;
}

uint64_t hb_live_table_count(const struct hb_live_table *t)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		n += __atomic_load_n(&t->shard[i].count, __ATOMIC_RELAXED) +
		     __atomic_load_n(&t->shard[i].nbig, __ATOMIC_RELAXED);
	return n;
}

uint64_t hb_live_table_mapped(const struct hb_live_table *t)
{
	uint64_t bytes = 0;
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		bytes += __atomic_load_n(&t->shard[i].n, __ATOMIC_RELAXED) * sizeof(struct hb_live_slot) +
			 t->shard[i].big_cap * sizeof(struct hb_live_rec);
	return bytes;
}

void hb_live_table_foreach_in(struct hb_live_table *t, unsigned k,
			      void (*fn)(void *ctx, const struct hb_live_rec *r), void *ctx)
{
	struct hb_live_shard *s = &t->shard[k];
	for (uint64_t i = 0; s->slots && i < s->n; i++) {
		if (!s->slots[i].w0)
			continue;
		struct hb_live_rec r;
		unpack(&s->slots[i], &r);
		fn(ctx, &r);
	}
	for (uint32_t i = 0; i < s->nbig; i++)
		fn(ctx, &s->big[i]);
}

void hb_live_table_consume_shard(struct hb_live_table *t, unsigned k,
				 void (*fn)(void *ctx, const struct hb_live_rec *r), void *ctx)
{
	struct hb_live_shard *s = &t->shard[k];
	hb_live_table_foreach_in(t, k, fn, ctx);
	if (t->filtered) {
		for (uint64_t i = 0; s->slots && i < s->n; i++)
			if (s->slots[i].w0)
				filter_add(t, (uintptr_t)(slot_key(&s->slots[i]) << 3), -1);
		for (uint32_t i = 0; i < s->nbig; i++)
			filter_add(t, s->big[i].addr, -1);
	}
	hb_mem_unmap(s->slots, s->n * sizeof(*s->slots));
	hb_mem_unmap(s->big, s->big_cap * sizeof(*s->big));
	__atomic_store_n(&s->slots, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&s->n, 0, __ATOMIC_RELAXED);
	s->count = s->grow_at = 0;
	s->big = NULL;
	s->nbig = s->big_cap = 0;
}

void hb_live_table_foreach(struct hb_live_table *t, void (*fn)(void *ctx, const struct hb_live_rec *r), void *ctx)
{
	for (unsigned k = 0; k < HB_LIVE_SHARDS; k++)
		hb_live_table_foreach_in(t, k, fn, ctx);
}

void hb_live_table_seal(struct hb_live_table *t)
{
	__atomic_store_n(&t->sealed, 1, __ATOMIC_RELAXED);
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
