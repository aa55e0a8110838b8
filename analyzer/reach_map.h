/*
 * reach_map.h - the REACH records of a replay: allocation id -> kind.
 *
 * The shim writes a REACH record for every block live at the end, in the
 * final flush, into the block's module stream. A replay does not apply
 * them as they come: it keeps them here and classifies the live set once
 * the whole trace is read, so that the result does not depend on whether
 * a REACH comes before or after the ALLOC it names (the format orders
 * neither way across the encoders of one flush), and a REACH for a block
 * that turns out not to be live is simply never looked up. Memory grows
 * with the REACH records, i.e. with the live set at the end.
 */
#ifndef HB_REACH_MAP_H
#define HB_REACH_MAP_H

#include <stdint.h>

struct reach_map;

struct reach_map *reach_map_new(void);
void reach_map_free(struct reach_map *m);

/* Records id's kind (a later record for the same id replaces the earlier
 * one). id 0 is not an allocation id: returns -1, as out of memory does. */
int reach_map_put(struct reach_map *m, uint64_t id, uint64_t kind);

/* Returns 1 and the kind when id has a REACH record, else 0. */
int reach_map_get(const struct reach_map *m, uint64_t id, uint64_t *kind);

uint64_t reach_map_count(const struct reach_map *m);

#endif
