/*
 * id_index.h - a sparse map from the ids a trace names (stack ids, module
 * ids) to dense slots 0, 1, 2 ... in the order the ids were first added.
 *
 * Why: ids come from the input. The shim's are dense from 1, but a reader
 * must not trust that (docs/trace-format.md, 9.4): an array indexed by id
 * lets a 300-byte trace naming stack 4 000 000 000 ask for 32 GB. With
 * this map, the tables beside it grow by one entry per distinct id, and
 * every id costs at least one record of the input, so memory is bounded by
 * the size of the input whatever the ids are.
 *
 * Open addressing with linear probing, at most half full; keys are 32-bit
 * (the format's ids fit in 32 bits: a larger one is malformed before it
 * gets here). Not thread-safe.
 */
#ifndef HB_ID_INDEX_H
#define HB_ID_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct id_index {
	uint32_t *keys;
	uint32_t *slots; /* slot + 1; 0: an empty cell */
	size_t cap;      /* cells, a power of two (0 until the first add) */
	size_t n;        /* ids held, which are slots 0 .. n-1 */
};

/* The slot of id, or -1 when it was never added. */
long id_index_find(const struct id_index *x, uint32_t id);

/* The slot of id, added as slot x->n when new (*added is then 1). -1 when
 * memory is short (nothing is added). */
long id_index_add(struct id_index *x, uint32_t id, int *added);

/* Maps id to slot, replacing what it mapped to: for tables made by hand
 * (a model built by a test), not to be mixed with id_index_add. 0, or -1
 * when memory is short. */
int id_index_set(struct id_index *x, uint32_t id, uint32_t slot);

void id_index_free(struct id_index *x);

#endif
