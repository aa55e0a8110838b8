/*
 * burst.h - the API of libburst.so (tests/programs/watch): memory that
 * rises and falls in bursts.
 *
 * Once per period the library allocates a batch of blocks over a short
 * window and then frees them all, so its outstanding memory goes back to
 * the small table it keeps between bursts: the "flat" module of the Watch
 * tests (see watchprog.c). Not thread-safe: one caller at a time.
 */
#ifndef HB_TEST_BURST_H
#define HB_TEST_BURST_H

#include <stddef.h>
#include <stdint.h>

/* Sets the shape: a burst of height_bytes (in blocks of at most 16 KiB)
 * every period_ms, during [start_ms, start_ms + length_ms) of each period;
 * it rises evenly over the window's first half and holds its full height
 * over the second, and is freed at the first step after the window. Needs
 * 0 < length_ms and start_ms + length_ms <= period_ms. Mallocs the table
 * of the batch's block pointers, kept until exit. Call once. Returns 0,
 * -EINVAL (a bad shape, or called twice) or -ENOMEM. height_bytes 0: no
 * bursts, nothing allocated. */
int burst_init(size_t height_bytes, unsigned period_ms, unsigned start_ms, unsigned length_ms);

/* Brings the batch to where the shape puts it at t_ms (any clock that
 * starts at 0 with the caller's bursts): allocates what the rise asks for
 * since the last step, or frees the whole batch once the window is over.
 * Meant to be called every few tens of milliseconds. Returns 0, or -ENOMEM
 * if a malloc failed (the batch stays as far as it got). */
int burst_cycle_step(uint64_t t_ms);

/* The requested bytes libburst.so has outstanding: the batch held now and
 * the table. */
size_t burst_bytes(void);

/* The most burst_bytes() has been, and the bursts freed so far. */
size_t burst_peak_bytes(void);
unsigned burst_count(void);

#endif
