/*
 * inline_chain.c - an allocation at the bottom of a nest of inlined calls.
 *
 * main -> level1 -> level2 -> level3 -> malloc, every level always_inline,
 * built -O2 -g (meson.build here): the only physical frame is main, and
 * level1, level2 and level3 exist only in the DWARF, as
 * DW_TAG_inlined_subroutine DIEs nested one in the other inside main's. A
 * report must list all four, innermost first, each at its own line, as
 * `addr2line -i` does: level3 at its call of malloc, level2 at its call of
 * level3, level1 at its call of level2, main at its call of level1. Those
 * lines carry a `site:NAME` comment that the driver
 * (tests/integration/blame/blame_inline.sh) finds with grep, so editing
 * this file cannot leave the test asserting stale numbers.
 *
 * It leaks that one block and prints `TRUTH pid=P bytes=B` (truth.h: no
 * stdio, whose buffer would be a block of its own).
 */
#include <stdlib.h>
#include <unistd.h>

#include "../truth.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void *level3(size_t n)
{
	return malloc(n); /* site:level3 */
}

ALWAYS_INLINE void *level2(size_t n)
{
	return level3(n + 1); /* site:level2 */
}

ALWAYS_INLINE void *level1(size_t n)
{
	return level2(n + 1); /* site:level1 */
}

void *volatile sink;

int main(void)
{
	sink = level1(10); /* site:main */
	if (!sink)
		hb_die("malloc failed");
	sink = NULL; /* lost: a definite leak */
	hb_truth("pid=%d bytes=12", (int)getpid());
	return 0;
}
