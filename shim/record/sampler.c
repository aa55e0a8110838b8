/*
 * sampler.c - the sample points and weights of a sampled trace (see
 * sampler.h for the rule and why it gives unbiased estimates).
 */
#include "sampler.h"

#include <math.h>

static uint64_t next(uint64_t *x)
{
	/* xorshift64* (Vigna): fast, 64 bits of state, good enough for gaps */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1Dull;
}

static uint64_t mix(uint64_t z)
{
	/* splitmix64's finalizer: every input bit moves every output bit */
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void hb_sampler_seed(struct hb_sampler *s, uint64_t seed, uint64_t ordinal)
{
	s->rng = mix(seed + 0x9E3779B97F4A7C15ull * (ordinal + 1));
	if (!s->rng)
		s->rng = 1;
	s->left = 0;
}

/* An exponential gap of the given mean, rounded up to whole bytes: the
 * point falls inside the allocation that reaches byte ceil(g), so an
 * allocation of n bytes is recorded exactly when g <= n (rounding down
 * would record it when g < n + 1: twice as often for 1-byte blocks). */
static int64_t gap(struct hb_sampler *s, uint64_t mean)
{
	/* u in (0, 1]: 53 random bits, never 0, so the log is finite */
	double u = (double)((next(&s->rng) >> 11) + 1) * 0x1p-53;
	double g = ceil(-log(u) * (double)mean);
	if (g < 1.0)
		return 1;
	if (g > 0x1p62)
		return INT64_C(1) << 62;
	return (int64_t)g;
}

int hb_sampler_take_slow(struct hb_sampler *s, uint64_t mean, uint64_t size)
{
	uint64_t n = size ? size : 1;
	if (s->left <= 0)
		s->left = gap(s, mean); /* not started: the first gap starts here */
	if ((uint64_t)s->left > n) {
		s->left -= (int64_t)n;
		return 0;
	}
	/* a point falls in this block; the next gap starts after it (the
	 * process is memoryless, so what was left of this one is no matter) */
	s->left = gap(s, mean);
	return 1;
}

uint64_t hb_sample_weight_sampled(uint64_t mean, uintptr_t addr, uint64_t size)
{
	double n = (double)(size ? size : 1);
	double p = -expm1(-n / (double)mean);
	double w = p > 0 ? 1.0 / p : (double)mean * 4.0;
	if (w >= 0x1p63)
		return UINT64_C(1) << 63;
	uint64_t c = (uint64_t)w;
	double frac = w - (double)c;
	/* frac's 53 bits against 53 bits of the block's own hash */
	uint64_t h = mix((uint64_t)addr ^ mix(size)) >> 11;
	if ((double)h * 0x1p-53 < frac)
		c++;
	return c;
}
