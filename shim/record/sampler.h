/*
 * sampler.h - which allocations a sampled trace records (`heapblame run
 * --sample SIZE`, HEAPBLAME_SAMPLE), and how many blocks each stands for.
 *
 * Sampling is by bytes, as jemalloc's and tcmalloc's heap profilers do: the
 * bytes a thread allocates are a line on which sample points fall at
 * exponentially distributed gaps of mean SIZE (a Poisson process), and an
 * allocation is recorded when a point falls inside its bytes. So an
 * allocation of s bytes is recorded with probability
 *
 *     p(s) = 1 - exp(-s / SIZE)
 *
 * whatever came before it (the gaps are memoryless), and a thread that is
 * not at a point pays one subtraction and a branch: no lock, no unwinding,
 * no live-table insert. A block of 0 bytes counts as 1 byte here, so that
 * its count has an estimate too.
 *
 * A recorded block stands for w(s) = 1 / p(s) blocks of its size (the
 * Horvitz-Thompson weight, which makes every sum of counts or bytes over
 * recorded blocks an unbiased estimate of the same sum over all blocks).
 * Counters are whole numbers, so the block is counted as c blocks, c being
 * floor(w) or floor(w) + 1, the latter with probability w - floor(w): the
 * choice is a hash of the block's address and size, so that its free, its
 * inheritance by a fork child and its exit-scan verdict count the same c
 * without storing it, and E[c] = w. docs/trace-format.md gives the rule
 * for readers.
 */
#ifndef HB_SAMPLER_H
#define HB_SAMPLER_H

#include <stdint.h>

/* A thread's place on its line of bytes. Zeroed: not started. */
struct hb_sampler {
	int64_t left; /* bytes to the next sample point */
	uint64_t rng; /* xorshift64* state; 0: not seeded */
};

/* Seeds a thread's sampler: seed (nonzero) and the thread's ordinal, so
 * that a given seed replays the same samples in a program that allocates
 * the same way. */
void hb_sampler_seed(struct hb_sampler *s, uint64_t seed, uint64_t ordinal);

/* The slow path of hb_sampler_take: s is at or past a sample point (or
 * not started). Returns 1 when the allocation of size bytes is recorded. */
int hb_sampler_take_slow(struct hb_sampler *s, uint64_t mean, uint64_t size);

/* The fast path alone: 1 when the next size bytes fall short of the next
 * sample point, counted down; 0 when the slow path must decide (at or past
 * a point, or not seeded: left is 0 then). */
static inline int hb_sampler_skip(struct hb_sampler *s, uint64_t size)
{
	int64_t left = s->left - (int64_t)(size ? size : 1);
	if (__builtin_expect(left > 0 && s->left > 0, 1)) {
		s->left = left;
		return 1;
	}
	return 0;
}

/* Whether the next size bytes the thread allocates are recorded. s must be
 * seeded. */
static inline int hb_sampler_take(struct hb_sampler *s, uint64_t mean, uint64_t size)
{
	return hb_sampler_skip(s, size) ? 0 : hb_sampler_take_slow(s, mean, size);
}

/* c above for a sampled trace (mean > 0). */
uint64_t hb_sample_weight_sampled(uint64_t mean, uintptr_t addr, uint64_t size);

/* The blocks a recorded block of size bytes at addr stands for, c above;
 * 1 when mean is 0 (a full trace), without a call: every free asks. */
static inline uint64_t hb_sample_weight(uint64_t mean, uintptr_t addr, uint64_t size)
{
	return __builtin_expect(mean == 0, 1) ? 1 : hb_sample_weight_sampled(mean, addr, size);
}

#endif /* HB_SAMPLER_H */
