/*
 * sampled_lib.c - libhbsampled.so: one allocation site for blocks of very
 * different sizes, for the sampling tests (tests/programs/sampled.c).
 *
 * A sampled trace must estimate a site's blocks and bytes without bias
 * whatever mix of sizes it allocates: a 16 MiB block is nearly always
 * recorded and stands for itself, a 1-byte one is recorded once in about
 * SIZE and stands for that many. An estimator that scaled a site's samples
 * by their mean size would get this site's count wrong by orders of
 * magnitude.
 */
#include <stdlib.h>

void *sampled_mixed_alloc(size_t n);

__attribute__((noinline)) void *sampled_mixed_alloc(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" : : "r"(p) : "memory"); /* not a tail call */
	return p;
}
