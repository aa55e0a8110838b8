/*
 * live_table.h - every live traced block: address -> (site, size, epoch).
 *
 * A free must be charged to the site its block was allocated at (its stack
 * id: the stack table knows the module), with the block's size and the
 * epoch it was allocated in, so that the trace can say how old the memory
 * freed was (trace_format.h, "Epochs"). That is all the shim keeps per
 * block; nothing else in the shim, and nothing in the trace, grows with the
 * live set. The exit-time reachability scan walks this table too.
 *
 * Packing. A record is 16 bytes:
 *
 *     word 0: address >> 3 (45 bits) | epoch bits 8..26 (19 bits)
 *     word 1: size (32 bits) | stack id (24 bits) | epoch bits 0..7
 *
 * which holds every block whose address is 8-aligned and below 2^48 (what
 * every malloc on x86-64 and arm64 hands out), whose size is below 4 GiB and
 * whose stack id fits HB_STACK_ID_BITS (the stack table never makes a larger
 * one). Anything else goes to a small per-shard side table of unpacked
 * records, searched only while it is not empty. Epochs are kept modulo
 * 2^27 (HB_LIVE_EPOCH_BITS): the recorder takes a block's age modulo that
 * too, which is exact for blocks younger than 2^27 epochs (about 4 years of
 * one-second epochs).
 *
 * Layout. 256 shards, each an open-addressing table with linear probing and
 * backward-shift deletion (no tombstones), behind its own spinlock, so
 * threads rarely meet. A shard's size is any multiple of 4 slots (a slot is
 * found by multiplying the hash into the range, not by masking), so it can
 * grow by half at 13/16 load instead of doubling: the table's load stays
 * between 0.54 and 0.81, 16 / 0.67 = 24 bytes per live block on average.
 * A shard grows into fresh mmap'd memory and unmaps the old slots at once.
 *
 * Sampled traces (sampler.h) hold one block in thousands, yet every free
 * must ask whether its block is one of them. A lock is a write to a shared
 * cache line; with the filter on (hb_live_table_filter), a free first reads
 * a counter of the blocks in the table whose address hashes to its own
 * (HB_LIVE_FILTER_SLOTS counters, 16 KiB: small enough to stay in cache
 * beside a program that misses in it; 64 Ki counters, 128 KiB, missed in
 * it on every free of bench/soak, 50 ns a free), and a 0 answers "not here"
 * without a lock. The counters change under the shard locks, with atomic
 * adds (a counter serves addresses of every shard). A 0 is never stale for the block being
 * freed: its insert, if it was sampled, came before malloc returned it, and
 * the program's own hand-over of the pointer orders that before the free.
 * A counter that reaches its maximum stays there (that bucket always asks
 * the shard). With S sampled blocks live, a free of an unsampled block
 * takes the lock anyway with probability about 1 - exp(-S / 16384): 4.5%
 * for the soak's 380 MB live at 512 KiB a sample (S = 760).
 */
#ifndef HB_LIVE_TABLE_H
#define HB_LIVE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "spinlock.h"

#define HB_LIVE_SHARD_BITS 8
#define HB_LIVE_SHARDS (1u << HB_LIVE_SHARD_BITS)
#define HB_LIVE_EPOCH_BITS 27
#define HB_LIVE_EPOCH_MASK ((1u << HB_LIVE_EPOCH_BITS) - 1)
#define HB_LIVE_FILTER_BITS 14
#define HB_LIVE_FILTER_SLOTS (1u << HB_LIVE_FILTER_BITS)
#define HB_LIVE_FILTER_MAX UINT8_MAX
typedef uint8_t hb_live_filter_count;

/* The full epoch of a block from the bits the table keeps: the latest
 * epoch not after now with those low bits (exact for blocks younger than
 * 2^HB_LIVE_EPOCH_BITS epochs). */
static inline uint64_t hb_live_epoch(uint64_t now, uint32_t low)
{
	return now - ((now - low) & HB_LIVE_EPOCH_MASK);
}

/* A block as the table's callers see it, unpacked. */
struct hb_live_rec {
	uintptr_t addr;  /* never 0 */
	uint64_t size;   /* requested size */
	uint32_t stack;  /* stack id: the site */
	uint32_t epoch;  /* allocation epoch modulo 2^HB_LIVE_EPOCH_BITS */
};

struct hb_live_slot {
	uint64_t w0; /* 0: empty */
	uint64_t w1;
};

struct hb_live_shard {
	hb_spinlock lock;
	uint32_t nbig;             /* records in the side table */
	uint64_t n;                /* slots; 0 before the first insert */
	uint64_t count;            /* packed records */
	uint64_t grow_at;          /* count at which the shard grows */
	struct hb_live_slot *slots;
	struct hb_live_rec *big;   /* side table: records that do not pack */
	uint32_t big_cap;
} __attribute__((aligned(64)));

struct hb_live_table {
	struct hb_live_shard shard[HB_LIVE_SHARDS];
	int sealed; /* hb_live_table_seal: no insert any more */
	int filtered; /* hb_live_table_filter: filter below kept */
	/* blocks in the table by hb_live_filter_slot; pages untouched (and
	 * never resident) unless filtered */
	hb_live_filter_count filter[HB_LIVE_FILTER_SLOTS];
};

/* The table starts zeroed (static storage is enough); no init call needed. */

/* Keeps the free filter (above) from now on. Called before the first
 * insert, when the trace is sampled. */
void hb_live_table_filter(struct hb_live_table *t);

/* Inserts rec (rec->addr != 0). If the address was present (a free the shim
 * did not see), the old record is copied to *replaced and 1 returned.
 * Returns 0 on a plain insert, -ENOMEM when the shard cannot grow; then
 * rec is not in the table, and replaced->addr is not 0 if an old record was
 * taken out all the same (its end must still be counted). Returns
 * -ESHUTDOWN, inserting nothing, once the table is sealed.
 * Thread-safe; never calls malloc. */
int hb_live_table_insert(struct hb_live_table *t, const struct hb_live_rec *rec, struct hb_live_rec *replaced);

/* Removes addr. Returns 1 and fills *out when it was there, 0 when not.
 * Thread-safe; never calls malloc. */
int hb_live_table_remove(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out);

/* free()'s path: removes addr like hb_live_table_remove, but calls
 * release(addr) (the real free) first, under the shard's lock (with no
 * lock when the filter says addr is not here). No other
 * thread can be handed addr back by malloc and insert it while the lock is
 * held (the insert needs the same shard), so the old record is the one
 * removed; and the cache miss on the record overlaps the real free's work
 * instead of adding to it. release must not call into the shim. */
int hb_live_table_remove_release(struct hb_live_table *t, uintptr_t addr, struct hb_live_rec *out,
				 void (*release)(void *));

/* Where an address lives: a multiply of address >> 3 by the golden ratio,
 * whose top 8 bits pick the shard and whose other 56 bits, multiplied into
 * the shard's size, the home slot. (Keeping an allocator's neighbouring
 * blocks in neighbouring slots was tried: windows of slots per 1 KiB
 * region, placed by the region's hash. Their overlaps make linear probing's
 * clusters merge, and W4 ran 1.7x slower.) */
static inline uint64_t hb_live_hash(uintptr_t addr)
{
	return (uint64_t)(addr >> 3) * 0x9E3779B97F4A7C15ull;
}

static inline uint64_t hb_live_home(uintptr_t addr, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)(hb_live_hash(addr) << HB_LIVE_SHARD_BITS) * n) >> 64);
}

/* The filter's counter for addr: the HB_LIVE_FILTER_BITS bits of the hash after the shard's. */
static inline uint32_t hb_live_filter_slot(uintptr_t addr)
{
	return (uint32_t)(hb_live_hash(addr) >> (64 - HB_LIVE_SHARD_BITS - HB_LIVE_FILTER_BITS)) &
	       (HB_LIVE_FILTER_SLOTS - 1);
}

/* With the filter on: 0 when addr is surely not in the table (see above),
 * else 1. Without it, always 1. Lock-free. */
static inline int hb_live_table_may_hold(const struct hb_live_table *t, uintptr_t addr)
{
	return !t->filtered || __atomic_load_n(&t->filter[hb_live_filter_slot(addr)], __ATOMIC_RELAXED) != 0;
}

/* Starts loading the cache line where addr's record will go, so an insert
 * made after a long unwind finds it in cache. A hint only: reads the shard
 * without its lock (a stale pointer is harmless to a prefetch). */
static inline void hb_live_table_prefetch(struct hb_live_table *t, uintptr_t addr)
{
	struct hb_live_shard *s = &t->shard[hb_live_hash(addr) >> (64 - HB_LIVE_SHARD_BITS)];
	struct hb_live_slot *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
	uint64_t n = __atomic_load_n(&s->n, __ATOMIC_RELAXED);
	if (slots && n)
		__builtin_prefetch(&slots[hb_live_home(addr, n)], 1, 3);
}

/* Live blocks, read without locks (approximate while threads run). */
uint64_t hb_live_table_count(const struct hb_live_table *t);

/* Bytes of memory the table holds (slots and side tables). */
uint64_t hb_live_table_mapped(const struct hb_live_table *t);

/* Calls fn on every record of shard k; the caller holds that shard's lock,
 * or every lock, or is alone. fn must not change the table. */
void hb_live_table_foreach_in(struct hb_live_table *t, unsigned k,
			      void (*fn)(void *ctx, const struct hb_live_rec *r), void *ctx);

/* The exit scan's hand-over: calls fn on every record of shard k, then
 * empties the shard and gives its memory back, so that the scan's copy of
 * the blocks does not add to the table's. The caller holds the shard's
 * lock. The shard grows anew if blocks are inserted later. */
void hb_live_table_consume_shard(struct hb_live_table *t, unsigned k,
				 void (*fn)(void *ctx, const struct hb_live_rec *r), void *ctx);

/* Calls fn on every record; the caller holds every shard lock or is alone. */
void hb_live_table_foreach(struct hb_live_table *t, void (*fn)(void *ctx, const struct hb_live_rec *r), void *ctx);

void hb_live_table_lock_all(struct hb_live_table *t);
/* Refuses every later insert (-ESHUTDOWN): the exit scan has taken the
 * table's blocks, and what is allocated after it is not part of the trace
 * (leak_scan.h). The caller holds every shard lock (lock_all), so an
 * insert either came before the seal, and its block was scanned, or is
 * refused: nothing in between. For good; there is no unseal. */
void hb_live_table_seal(struct hb_live_table *t);
void hb_live_table_unlock_all(struct hb_live_table *t);

#endif
