/*
 * live_table.h - every live traced block: address -> allocation record.
 *
 * The shim needs this for three things: a free must name the allocation it
 * ends (its id, never its address, so address reuse across threads cannot
 * confuse a replay) and go to the same module's stream; the writer emits an
 * allocation only if it is still alive at a flush (see writer.c: blocks that
 * die young are folded into counters); and later, the exit-time
 * reachability scan walks it.
 *
 * 256 shards, each an open-addressing table with linear probing and
 * backward-shift deletion (no tombstones), behind its own spinlock, so
 * threads rarely meet. A shard grows by doubling at 3/4 load, into fresh
 * mmap'd memory. 32 bytes a record.
 */
#ifndef HB_LIVE_TABLE_H
#define HB_LIVE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "spinlock.h"

#define HB_LIVE_SHARD_BITS 8
#define HB_LIVE_SHARDS (1u << HB_LIVE_SHARD_BITS)

enum hb_live_flags {
	HB_LIVE_EMITTED = 1,   /* its ALLOC record has been written */
	HB_LIVE_INHERITED = 2, /* inherited across fork; emitted as such */
};

struct hb_live_rec {
	uintptr_t addr; /* 0 marks an empty slot */
	uint64_t id;
	uint64_t size;  /* requested size */
	uint32_t stack;
	uint32_t module;
	uint8_t kind;   /* enum hb_alloc_kind */
	uint8_t flags;  /* enum hb_live_flags */
	uint16_t pad_;
	uint32_t pad2_;
};

struct hb_live_shard {
	hb_spinlock lock;
	uint32_t pad_;
	uint64_t mask;       /* slots - 1; 0 before the first insert */
	uint64_t count;
	uint64_t unemitted;  /* records without HB_LIVE_EMITTED */
	uint64_t generation; /* bumped when the slots move (growth) */
	struct hb_live_rec *slots;
} __attribute__((aligned(64)));

struct hb_live_table {
	struct hb_live_shard shard[HB_LIVE_SHARDS];
};

/* The table starts zeroed (static storage is enough); no init call needed. */

/* Inserts rec (rec->addr != 0). If the address was present (a free the shim
 * did not see), the old record is copied to *replaced and 1 returned.
 * Returns 0 on a plain insert, -ENOMEM when the shard cannot grow.
 * Thread-safe; never calls malloc. */
int hb_live_table_insert(struct hb_live_table *t, const struct hb_live_rec *rec, struct hb_live_rec *replaced);

/* Removes addr. Returns 1 and fills *out when it was there, 0 when not. */
int hb_live_table_remove(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out);

/* free()'s path: removes addr like hb_live_table_remove, but calls
 * release(addr) (the real free) first, under the shard's lock. No other
 * thread can be handed addr back by malloc and insert it while the lock is
 * held (the insert needs the same shard), so the old record is the one
 * removed; and the cache miss on the record overlaps the real free's work
 * instead of adding to it. release must not call into the shim. */
int hb_live_table_remove_release(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out,
				 void (*release)(void *));

/* Walks one shard for records not yet emitted, copies up to max of them to
 * out and marks them emitted. *cursor starts at 0; *gen at the shard's
 * generation seen on the first call (pass ~0 to start). Returns the number
 * copied; the shard is done when it returns less than max. Thread-safe
 * against inserts and removes (the shard lock is held only while copying). */
size_t hb_live_table_collect(struct hb_live_table *t, unsigned shard, uint64_t *cursor, uint64_t *gen,
			     struct hb_live_rec *out, size_t max);

/* Starts loading the cache line where addr's record will go, so an insert
 * made after a long unwind finds it in cache. A hint only: reads the shard
 * without its lock (a stale pointer is harmless to a prefetch). */
static inline void hb_live_table_prefetch(struct hb_live_table *t, uintptr_t addr)
{
	uint64_t h = (uint64_t)(addr >> 4) * 0x9E3779B97F4A7C15ull;
	struct hb_live_shard *s = &t->shard[h >> (64 - HB_LIVE_SHARD_BITS)];
	struct hb_live_rec *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
	if (slots)
		__builtin_prefetch(&slots[(h ^ (h >> 29)) & s->mask], 1, 3);
}

/* Totals, read without locks (approximate while threads run). */
uint64_t hb_live_table_count(const struct hb_live_table *t);

/* Calls fn on every record; the caller holds every shard lock or is alone. */
void hb_live_table_foreach(struct hb_live_table *t, void (*fn)(void *ctx, struct hb_live_rec *r), void *ctx);

void hb_live_table_lock_all(struct hb_live_table *t);
void hb_live_table_unlock_all(struct hb_live_table *t);

#endif
