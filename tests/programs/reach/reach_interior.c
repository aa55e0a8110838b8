/*
 * reach_interior.c - pointers into the middle of blocks, and just outside.
 *
 * LeakSanitizer (and heapblame after it) counts a pointer anywhere inside a
 * block's requested size as reaching the block; memcheck calls a block
 * reached only that way "possibly lost", and so every block reached only
 * through it. Neither calls such a block definite or indirect, so the two
 * agree on those classes; the truth counts these blocks reachable, and
 * possible as well (reach.h).
 *
 * memcheck's heuristics (on by default) treat some interior pointers as
 * start pointers: 8 bytes in, when the first word looks like a length or an
 * array count, and 24 bytes in for std::string. The offsets used here (40,
 * 100, the last byte) avoid them, and the blocks are zeroed.
 *
 *   - a global points 40 bytes into a 128-byte block, which holds the only
 *     pointer to a 72-byte block: both reachable, possible for memcheck;
 *   - a global points to the last byte of a 100-byte block: reachable,
 *     possible;
 *   - a global points one past the end of a 32-byte block (the address
 *     right after its requested size; glibc rounds the block up, so the
 *     address is still inside what malloc reserved): that points to no
 *     block: definite for both;
 *   - a global points one byte before a 48-byte block: definite;
 *   - a leaked 64-byte block holds a pointer 100 bytes into a 256-byte
 *     block: 1 definite + 1 indirect for both (the leaked-block pass of
 *     each tool does not distinguish interior pointers);
 *   - a block the global keeps a start pointer to, which itself holds an
 *     interior pointer to another block: both reachable for LeakSanitizer;
 *     memcheck: the first reachable, the second possibly lost.
 */
#include <stdint.h>
#include <stdlib.h>

#include "reach.h"

static char *volatile g_mid;
static char *volatile g_last_byte;
static char *volatile g_past_end;
static char *volatile g_before;
static void **volatile g_start;

static __attribute__((noinline)) void middle_pointer(void)
{
	char *a = reach_alloc(128);
	*(void **)(a + 64) = reach_alloc(72);
	g_mid = a + 40;
	reach_count(REACH_POSSIBLE, 128);
	reach_count(REACH_POSSIBLE, 72);
}

static __attribute__((noinline)) void last_byte(void)
{
	char *a = reach_alloc(100);
	g_last_byte = a + 99;
	reach_count(REACH_POSSIBLE, 100);
}

static __attribute__((noinline)) void just_outside(void)
{
	char *a = reach_alloc(32);
	g_past_end = a + 32;
	reach_count(REACH_DEFINITE, 32);
	char *b = reach_alloc(48);
	g_before = b - 1;
	reach_count(REACH_DEFINITE, 48);
}

static __attribute__((noinline)) void leaked_interior(void)
{
	void **a = reach_alloc(64);
	char *b = reach_alloc(256);
	a[3] = b + 100;
	reach_count(REACH_DEFINITE, 64);
	reach_count(REACH_INDIRECT, 256);
}

static __attribute__((noinline)) void reached_then_interior(void)
{
	void **a = reach_alloc(80);
	char *b = reach_alloc(160);
	a[2] = b + 40;
	g_start = a;
	reach_count(REACH_REACHABLE, 80);
	reach_count(REACH_POSSIBLE, 160);
}

int main(void)
{
	middle_pointer();
	last_byte();
	just_outside();
	leaked_interior();
	reached_then_interior();
	reach_scrub();
	reach_truth_print("reach_interior");
	reach_scrub();
	return 0;
}
