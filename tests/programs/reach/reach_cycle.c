/*
 * reach_cycle.c - unreached cycles, where memcheck and LeakSanitizer differ.
 *
 * memcheck makes one block of an unreached cycle (the lowest address)
 * "definitely lost" and the rest "indirectly lost"; LeakSanitizer calls every
 * block of it an indirect leak, because each is pointed to by a leaked block.
 * The truth follows memcheck and counts the block memcheck picks as a cycle
 * leader as well (reach.h), so a driver can apply either rule. Every block of
 * one cycle has the same size, so the bytes do not depend on the pick.
 *
 *   - two blocks pointing to each other (48 B each): 1 leader + 1 indirect;
 *   - a block pointing to itself (44 B): definite under both rules (a
 *     pointer to itself does not count), not a cycle leader;
 *   - a 3-cycle A->B->C->A (32 B each) with C also pointing to a 200-byte
 *     pointer-free block: 1 leader + 2 indirect + the 202 B block indirect;
 *   - a doubly linked list of 6 nodes (48 B) whose head is lost: every node
 *     is pointed to by a neighbour, so it is one big cycle: 1 leader + 5;
 *   - a block X (28 B) pointing into a 2-cycle (60 B each) that nothing else
 *     points to: X is definite under both rules (nothing points to it), the
 *     cycle indirect: no leader;
 *   - a 2-cycle (64 B each) a global points to: both reachable.
 */
#include <stdlib.h>

#include "reach.h"

struct pair {
	struct pair *other;
	long pad[5]; /* 48 bytes */
};

struct tri {
	struct tri *next;
	void *extra;
	long pad[2]; /* 32 bytes */
};

struct dnode {
	struct dnode *prev, *next;
	long v[4]; /* 48 bytes */
};

static void *volatile g_held_cycle;

static __attribute__((noinline)) void two_cycle(void)
{
	struct pair *a = reach_alloc(sizeof *a), *b = reach_alloc(sizeof *b);
	a->other = b;
	b->other = a;
	reach_count(REACH_CYCLE_LEADER, sizeof *a);
	reach_count(REACH_INDIRECT, sizeof *b);
}

static __attribute__((noinline)) void self_loop(void)
{
	void **p = reach_alloc(44);
	p[2] = p;
	reach_count(REACH_DEFINITE, 44);
}

static __attribute__((noinline)) void three_cycle_with_tail(void)
{
	struct tri *a = reach_alloc(sizeof *a), *b = reach_alloc(sizeof *b), *c = reach_alloc(sizeof *c);
	a->next = b;
	b->next = c;
	c->next = a;
	c->extra = reach_alloc(202);
	reach_count(REACH_CYCLE_LEADER, sizeof *a);
	reach_count(REACH_INDIRECT, sizeof *b);
	reach_count(REACH_INDIRECT, sizeof *c);
	reach_count(REACH_INDIRECT, 202);
}

static __attribute__((noinline)) void lost_dlist(void)
{
	struct dnode *prev = NULL;
	for (int i = 0; i < 6; i++) {
		struct dnode *d = reach_alloc(sizeof *d);
		d->prev = prev;
		if (prev)
			prev->next = d;
		prev = d;
		reach_count(i == 0 ? REACH_CYCLE_LEADER : REACH_INDIRECT, sizeof *d);
	}
}

static __attribute__((noinline)) void entry_into_cycle(void)
{
	void **a = reach_alloc(60), **b = reach_alloc(60);
	a[0] = b;
	b[0] = a;
	void **x = reach_alloc(28);
	x[1] = a;
	reach_count(REACH_DEFINITE, 28);
	reach_count(REACH_INDIRECT, 60);
	reach_count(REACH_INDIRECT, 60);
}

static __attribute__((noinline)) void held_cycle(void)
{
	void **a = reach_alloc(64), **b = reach_alloc(64);
	a[0] = b;
	b[0] = a;
	g_held_cycle = b;
	reach_count(REACH_REACHABLE, 64);
	reach_count(REACH_REACHABLE, 64);
}

int main(void)
{
	two_cycle();
	self_loop();
	three_cycle_with_tail();
	lost_dlist();
	entry_into_cycle();
	held_cycle();
	reach_scrub();
	reach_truth_print("reach_cycle");
	reach_scrub();
	return 0;
}
