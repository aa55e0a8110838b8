/*
 * gate_prog.c - the program `heapblame check` is tested with: it leaks what
 * its arguments ask for, and prints the truth on one line.
 *
 *   gate_prog [clean] [leak] [second] [third] [lib] [reachable] [fail]
 *     clean      allocate and free 100 blocks (always done; the word only
 *                makes a command line read well)
 *     leak       leak_first(): 3 lists of a 96-byte head and a 40-byte
 *                child, heads dropped: 3 definite + 3 indirect blocks
 *     second     leak_second(): a second leak site, 2 x 64 bytes definite
 *     third      leak_third(): a third one, 1 x 48 bytes definite
 *     lib        libgatelib.so loses 4 x 32 bytes (definite)
 *     reachable  a global keeps a 256-byte block: still reachable
 *     fail       exit with status 3 at the end
 * Prints `TRUTH definite_blocks=.. definite_bytes=.. indirect_blocks=..
 * indirect_bytes=.. reachable_blocks=.. reachable_bytes=..` through
 * write(2): no stdio, whose buffer would be an outstanding block of its own.
 * Leaked pointers live only in the frames of noinline functions, and the
 * stack below main is scrubbed before exit, so no stale copy makes a lost
 * block look reachable to a conservative scan. For the same reason, after
 * leaking it allocates one 16-byte guard block that a global keeps (and
 * the truth counts as reachable): glibc's top chunk begins right after the
 * last block carved from it, and the guard keeps that neighbour from being
 * a leaked block.
 */
#include <stdlib.h>
#include <string.h>

#include "../truth.h"
#include "gatelib.h"

struct node {
	struct node *child;
	char payload[88]; /* 96 bytes in all */
};

/* Loop counts the compiler cannot see, so that it never unrolls a loop
 * into several call sites (each would be a site of its own). */
static volatile int n_first = 3, n_second = 2;

static void *volatile keeper; /* the reachable block */
static void *volatile guard;  /* the block after the leaks (see above) */
static unsigned long def_blocks, def_bytes, ind_blocks, ind_bytes, reach_blocks, reach_bytes;

__attribute__((noinline)) static void leak_first(void)
{
	for (int i = 0; i < n_first; i++) {
		struct node *volatile head = malloc(sizeof(struct node));
		if (!head)
			hb_die("malloc failed");
		head->child = malloc(40);
		if (!head->child)
			hb_die("malloc failed");
		memset(head->child, 1, 40);
	}
	def_blocks += 3;
	def_bytes += 3 * sizeof(struct node);
	ind_blocks += 3;
	ind_bytes += 3 * 40;
}

__attribute__((noinline)) static void leak_second(void)
{
	for (int i = 0; i < n_second; i++) {
		char *volatile p = malloc(64);
		if (!p)
			hb_die("malloc failed");
		p[0] = 1;
	}
	def_blocks += 2;
	def_bytes += 2 * 64;
}

__attribute__((noinline)) static void leak_third(void)
{
	char *volatile p = malloc(48);
	if (!p)
		hb_die("malloc failed");
	p[0] = 1;
	def_blocks += 1;
	def_bytes += 48;
}

__attribute__((noinline)) static void churn(void)
{
	for (int i = 0; i < 100; i++)
		free(hb_keep(malloc((size_t)(16 + i))));
	hb_keep(NULL);
}

/* Overwrites the dead stack where the leaking functions' frames were. */
__attribute__((noinline)) static void scrub_stack(void)
{
	volatile char pad[32768];
	memset((char *)pad, 0, sizeof(pad));
}

int main(int argc, char **argv)
{
	int fail = 0;
	churn();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "leak"))
			leak_first();
		else if (!strcmp(argv[i], "second"))
			leak_second();
		else if (!strcmp(argv[i], "third"))
			leak_third();
		else if (!strcmp(argv[i], "lib")) {
			gatelib_remember(4);
			def_blocks += 4;
			def_bytes += 4 * 32;
		} else if (!strcmp(argv[i], "reachable")) {
			keeper = malloc(256);
			reach_blocks++;
			reach_bytes += 256;
		} else if (!strcmp(argv[i], "fail"))
			fail = 1;
		else if (strcmp(argv[i], "clean"))
			hb_die("unknown argument %s", argv[i]);
	}
	if (def_blocks || reach_blocks) {
		guard = malloc(16);
		reach_blocks++;
		reach_bytes += 16;
	}
	scrub_stack();
	hb_truth("definite_blocks=%lu definite_bytes=%lu indirect_blocks=%lu indirect_bytes=%lu "
		 "reachable_blocks=%lu reachable_bytes=%lu",
		 def_blocks, def_bytes, ind_blocks, ind_bytes, reach_blocks, reach_bytes);
	return fail ? 3 : 0;
}
