/*
 * reach_lost.c - blocks whose last pointer is gone, next to blocks a global
 * still holds.
 *
 *   - a global pointer overwritten by a second allocation: the first block
 *     is definite, the second reachable;
 *   - a block whose only pointer was a local of a function that returned:
 *     definite;
 *   - a block grown by realloc and then dropped: definite, at its new size;
 *   - a block set aside with calloc and dropped: definite;
 *   - a global array of pointers, half of them cleared afterwards: the
 *     cleared ones definite, the others reachable;
 *   - a pointer stored at an odd offset of a packed global struct: no aligned
 *     word holds it, so it reaches nothing: definite (memcheck and
 *     LeakSanitizer both scan aligned words only);
 *   - a pointer stored in a global as its bitwise complement (a "hidden"
 *     pointer, as some programs keep): definite for the same reason;
 *   - a global struct holding a pointer in a field: reachable.
 * Then main exits by returning. Truth: reach.h's ledger, one TRUTH line.
 */
#include <stdint.h>
#include <stdlib.h>

#include "reach.h"

static void *volatile g_overwritten;
static void *volatile g_table[8];
static uintptr_t volatile g_hidden;

static struct __attribute__((packed)) {
	char tag;
	void *ptr; /* at offset 1: not an aligned word */
	char pad[7];
} volatile g_packed;

static struct {
	int id;
	void *payload;
} volatile g_holder;

static __attribute__((noinline)) void overwrite_global(void)
{
	g_overwritten = reach_alloc(48);
	reach_count(REACH_DEFINITE, 48);
	g_overwritten = reach_alloc(72); /* the 48-byte block's last pointer */
	reach_count(REACH_REACHABLE, 72);
}

static __attribute__((noinline)) void drop_local(void)
{
	char *volatile p = reach_alloc(25);
	p[0] = 'x';
	reach_count(REACH_DEFINITE, 25);
}

static __attribute__((noinline)) void drop_realloced(void)
{
	char *p = reach_alloc(16);
	p = realloc(p, 208);
	if (!p)
		hb_die("realloc failed");
	memset(p, 0, 208);
	reach_count(REACH_DEFINITE, 208);
}

static __attribute__((noinline)) void drop_calloced(void)
{
	void *volatile p = calloc(3, 35);
	if (!p)
		hb_die("calloc failed");
	reach_count(REACH_DEFINITE, 105);
}

static __attribute__((noinline)) void half_table(void)
{
	for (int i = 0; i < 8; i++)
		g_table[i] = reach_alloc(32 + 16 * (size_t)i);
	for (int i = 0; i < 8; i++) {
		if (i % 2) {
			g_table[i] = NULL;
			reach_count(REACH_DEFINITE, 32 + 16 * (size_t)i);
		} else {
			reach_count(REACH_REACHABLE, 32 + 16 * (size_t)i);
		}
	}
}

static __attribute__((noinline)) void unaligned_and_hidden(void)
{
	g_packed.tag = 'p';
	g_packed.ptr = reach_alloc(60);
	reach_count(REACH_DEFINITE, 60);
	g_hidden = ~(uintptr_t)reach_alloc(64);
	reach_count(REACH_DEFINITE, 64);
}

static __attribute__((noinline)) void fill_holder(void)
{
	g_holder.id = 7;
	g_holder.payload = reach_alloc(128);
	reach_count(REACH_REACHABLE, 128);
}

int main(void)
{
	overwrite_global();
	drop_local();
	drop_realloced();
	drop_calloced();
	half_table();
	unaligned_and_hidden();
	fill_holder();
	reach_scrub();
	reach_truth_print("reach_lost");
	reach_scrub();
	return 0;
}
