/*
 * sat_add.h - saturating addition for the byte and block counts a trace
 * gives.
 *
 * Counts come from the input: a SITE group may say 2^63 bytes, and two of
 * them summed in a uint64_t wrap to 0, so a report would say "0 B in 2
 * blocks" and `check --max-bytes 100` would pass. Every sum of counts read
 * from a trace (per site, per stack, per module, per process, per kind, in
 * the gate) stops at UINT64_MAX instead: a total that saturated is at least
 * the true one, which is the safe side for a leak budget, and it is shown
 * as 16 EiB, which no real heap is. docs/trace-format.md, section 14,
 * says so.
 */
#ifndef HB_SAT_ADD_H
#define HB_SAT_ADD_H

#include <stdint.h>

/* a + b, or UINT64_MAX when that does not fit. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t s;
	return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}

#endif
