/*
 * live_set.h - the replay's set of outstanding allocations, by id.
 *
 * Replaying a trace is: ALLOC adds a block, FREE removes it by id. The set
 * is what the analyzer's memory grows with (the live blocks, never the
 * trace). A FREE whose ALLOC has not been read yet (the format allows it,
 * see trace_format.h) is kept as a pending free and cancels the ALLOC when
 * it arrives, so the replay does not depend on the order of blocks.
 */
#ifndef HB_LIVE_SET_H
#define HB_LIVE_SET_H

#include <stdint.h>

struct live_block {
	uint64_t id;
	uint64_t size;
	uint64_t addr;
	uint32_t module;
	uint32_t stack;
	uint32_t kind;
	uint32_t pending; /* internal: 1 for a pending free */
};

struct live_set;

struct live_set *live_set_new(void);
void live_set_free_all(struct live_set *s);

/* Adds b. Returns 1 when a pending free cancelled it (it is not added),
 * 0 when added, -1 out of memory. A duplicate id replaces the old block. */
int live_set_add(struct live_set *s, const struct live_block *b);

/* Removes id. Returns 1 and fills *out when it was live; 0 when not (then a
 * pending free is remembered); -1 out of memory. */
int live_set_remove(struct live_set *s, uint64_t id, struct live_block *out);

uint64_t live_set_count(const struct live_set *s);   /* live blocks */
uint64_t live_set_bytes(const struct live_set *s);   /* their sizes */
uint64_t live_set_pending(const struct live_set *s); /* unmatched frees */

/* Calls fn for every live block (not pending frees), in no order. */
void live_set_foreach(const struct live_set *s, void (*fn)(void *ctx, const struct live_block *b), void *ctx);

#endif
