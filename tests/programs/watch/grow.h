/*
 * grow.h - the API of libgrow.so (tests/programs/watch): a linear leak.
 *
 * Every block grow_tick() makes is kept until the process exits, reachable
 * from a list inside the library, so that its outstanding memory only ever
 * goes up: the "growing" module of the Watch tests (see watchprog.c).
 * Not thread-safe: one caller at a time.
 */
#ifndef HB_TEST_GROW_H
#define HB_TEST_GROW_H

#include <stddef.h>

/* Allocates about `bytes` requested bytes more and keeps them, in blocks of
 * at most 4096 bytes (a remainder smaller than a list link is rounded up to
 * one, so a call may make a few bytes more than asked: grow_bytes() counts
 * what was requested). Returns 0, or -ENOMEM if a malloc failed (what was
 * made before it is kept and counted). */
int grow_tick(size_t bytes);

/* The requested bytes of the blocks grow_tick() made so far. */
size_t grow_bytes(void);

/* The blocks grow_tick() made so far. */
size_t grow_blocks(void);

#endif
