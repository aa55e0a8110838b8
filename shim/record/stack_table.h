/*
 * stack_table.h - interning of call stacks into small ids.
 *
 * Every allocation is unwound, but a program has few distinct allocation
 * stacks, so each distinct stack is stored once and named by an id; events
 * carry the id. Lookups are lock-free (an open-addressing index of entry
 * pointers, published with release stores); inserts take one mutex. A new
 * entry is classified once, under that mutex, by a callback that attributes
 * it to a module and writes its definition to the trace, so by the time any
 * thread sees an id its definition has been queued.
 *
 * Ids are dense, from 1, and at most HB_STACK_ID_MAX (24 bits: the live
 * table packs them so); hb_stack_table_get finds an entry by id without a
 * lock, which is how a free, which knows only its block's stack id, finds
 * the module whose stream it is written to.
 *
 * An id lives for the whole trace and is never reused. When a module is
 * unloaded, its address range may be reused by another module, so the index
 * is emptied (hb_stack_table_request_reset) and stacks are interned afresh
 * under new ids; old entries stay valid for anyone still holding them.
 */
#ifndef HB_STACK_TABLE_H
#define HB_STACK_TABLE_H

#include <pthread.h>
#include <stdint.h>

#include "shim_mem.h"

struct hb_stack_entry {
	uint64_t hash;
	uint32_t id;
	uint32_t module;               /* attributed module id (0: none) */
	uint32_t depth;
	uint32_t flags;                /* HB_STACK_CUT: the stack went on beyond depth frames */
	struct hb_stack_entry *next_all; /* every entry ever made, newest first */
	uintptr_t frames[];
};

struct hb_stack_index;

#define HB_STACK_ID_BITS 24
#define HB_STACK_ID_MAX ((1u << HB_STACK_ID_BITS) - 1)
/* by_id is two-level: HB_STACK_DIR chunks of HB_STACK_CHUNK entries,
 * made as ids reach them, so the directory alone is static. */
#define HB_STACK_CHUNK_BITS 12
#define HB_STACK_CHUNK (1u << HB_STACK_CHUNK_BITS)
#define HB_STACK_DIR (1u << (HB_STACK_ID_BITS - HB_STACK_CHUNK_BITS))

struct hb_stack_table {
	struct hb_stack_index *index; /* read lock-free, replaced under lock */
	pthread_mutex_t lock;
	struct hb_arena arena;
	uint32_t next_id;
	int reset_requested;
	struct hb_stack_entry *all;
	uint64_t count;
	struct hb_stack_entry **by_id[HB_STACK_DIR]; /* read lock-free */
};

/* Called under the table lock for each new stack, before it is published.
 * Returns the module id the stack is attributed to. May call
 * hb_stack_table_request_reset. */
typedef uint32_t (*hb_stack_classify_fn)(void *ctx, const uintptr_t *frames, unsigned depth,
					 uint32_t flags, uint32_t stack_id);

/* Returns 0 or -ENOMEM. */
int hb_stack_table_init(struct hb_stack_table *t);

/* Returns the entry for frames[0..depth) if it is interned, else NULL.
 * Lock-free: lets a caller do what must not happen under the table's lock
 * (refresh the module map) before interning a new stack. */
const struct hb_stack_entry *hb_stack_table_find(const struct hb_stack_table *t, const uintptr_t *frames,
						 unsigned depth);

/* Returns the entry for frames[0..depth), creating it if new, or NULL when
 * memory is exhausted or every id is taken. Thread-safe; never calls malloc. */
const struct hb_stack_entry *hb_stack_table_intern(struct hb_stack_table *t, const uintptr_t *frames,
						   unsigned depth, uint32_t flags, hb_stack_classify_fn classify,
						   void *ctx);

/* The entry with this id, or NULL when there is none (yet). Lock-free,
 * and safe inside malloc. */
static inline const struct hb_stack_entry *hb_stack_table_get(const struct hb_stack_table *t, uint32_t id)
{
	struct hb_stack_entry **chunk = __atomic_load_n(&t->by_id[(id >> HB_STACK_CHUNK_BITS) & (HB_STACK_DIR - 1)],
						       __ATOMIC_ACQUIRE);
	return chunk && id <= HB_STACK_ID_MAX ? __atomic_load_n(&chunk[id & (HB_STACK_CHUNK - 1)], __ATOMIC_ACQUIRE)
					      : NULL;
}

/* From inside a classify callback: empty the index before the new entry is
 * inserted, so later lookups make new ids (a module was unloaded). */
void hb_stack_table_request_reset(struct hb_stack_table *t);

/* Calls fn for every entry ever made, oldest last. Caller holds t->lock or
 * knows no thread is interning (a fork child). */
void hb_stack_table_foreach(struct hb_stack_table *t, void (*fn)(void *ctx, const struct hb_stack_entry *e),
			    void *ctx);

/* After fork, in the child: the lock may have been held by a thread that
 * does not exist any more. */
void hb_stack_table_atfork_child(struct hb_stack_table *t);

#endif
