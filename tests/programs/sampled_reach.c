/*
 * sampled_reach.c - a heap whose leak kinds a sampled trace's exit scan
 * must get right although it sees one block in thousands.
 *
 * Usage: sampled_reach [chunks]
 * The main thread and one other thread (so a non-main arena of glibc's
 * malloc too) each build, at one site per shape and thread:
 *   - a kept list: 100,000 nodes of 48 to 176 bytes, its head in a global;
 *     a sampled node is reached only through the unsampled node before it;
 *   - a lost list: 50,000 such nodes whose head pointer is overwritten: one
 *     definite block (the head) and 49,999 indirect ones, each sampled one
 *     held only by unsampled, leaked ones;
 *   - 8 blocks of 256 KiB (mmapped chunks), every other one kept in a
 *     global array, the rest lost (definite);
 * and the main thread, first of all, a lost list of 200 blocks of about
 * 200 KB (mmapped chunks, whose mappings the kernel merges with the
 * shim's own pages mapped between them: the live table's shards start
 * then), with one more block of that size kept. With `chunks`, only that
 * list and its kept block (at a sample size near the chunks' own, where
 * the shim maps its shards among them).
 * Between nodes, blocks holding a pointer to the node just made are
 * allocated and freed at once: the heap's free space (tcache, fastbins,
 * bins) is full of stale pointers into both lists, which must not make
 * the lost one reachable.
 *
 * Truth, one line (bytes are requested sizes):
 *   TRUTH reachable_blocks=.. reachable_bytes=.. definite_blocks=..
 *         definite_bytes=.. indirect_blocks=.. indirect_bytes=..
 *         inv_reachable=.. inv_leaked=..
 * for the program's own module, inv_* being the sums of 1 / size over
 * those blocks (for the bound on a sampled count's error). The global
 * arrays and the threads' bookkeeping are mmap'd or static, so the
 * program's module holds nothing else.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

#define KEPT_NODES 100000
#define LOST_NODES 50000
#define BIG_BLOCKS 8
#define BIG_SIZE (256u << 10)

struct node {
	struct node *next;
	uint64_t payload[4];
};

struct ledger {
	uint64_t reach_blocks, reach_bytes, def_blocks, def_bytes, ind_blocks, ind_bytes;
	double inv_reach, inv_leak;
};

/* the roots: never read again, so kept from the optimizer (a static that
 * is only written may be dropped, and its blocks with it) */
__attribute__((used)) struct node *volatile kept_head[2];
__attribute__((used)) void *volatile kept_big[2][BIG_BLOCKS / 2];
static struct ledger ledgers[2];
__attribute__((used)) void *volatile kept_chunk;

#define CHUNK_LIST 200
#define CHUNK_SIZE 200000u

static __attribute__((noinline)) void *chunk_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		hb_die("malloc(%zu) failed", n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

/* The lost list of mmapped chunks (main thread, before anything else). */
static void lost_chunks(struct ledger *l)
{
	struct node *head = NULL;
	for (unsigned i = 0; i < CHUNK_LIST; i++) {
		struct node *nd = chunk_alloc(CHUNK_SIZE);
		nd->next = head;
		head = nd;
	}
	l->def_blocks++;
	l->def_bytes += CHUNK_SIZE;
	l->ind_blocks += CHUNK_LIST - 1;
	l->ind_bytes += (uint64_t)(CHUNK_LIST - 1) * CHUNK_SIZE;
	l->inv_leak += (double)CHUNK_LIST / CHUNK_SIZE;
	kept_chunk = chunk_alloc(CHUNK_SIZE); /* the lowest of the mapping */
	l->reach_blocks++;
	l->reach_bytes += CHUNK_SIZE;
	l->inv_reach += 1.0 / CHUNK_SIZE;
	__asm__ volatile("" : : "r"(head) : "memory");
	head = NULL;
}

static size_t node_size(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return sizeof(struct node) + 16 * (size_t)((*x >> 33) % 9);
}

static __attribute__((noinline)) void *kept_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		hb_die("malloc(%zu) failed", n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static __attribute__((noinline)) void *lost_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		hb_die("malloc(%zu) failed", n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static __attribute__((noinline)) void *big_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		hb_die("malloc(%zu) failed", n);
	memset(p, 0, 64);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

/* A list of n nodes from alloc, each holding its own size; between them
 * blocks holding a pointer to the node are allocated and freed, so the
 * heap's free space (tcache, fastbins, bins) is full of stale pointers. */
static struct node *build(void *(*alloc)(size_t), unsigned n, uint64_t *x)
{
	struct node *head = NULL;
	for (unsigned i = 0; i < n; i++) {
		size_t sz = node_size(x);
		struct node *nd = alloc(sz);
		memset(nd, 0, sz);
		nd->next = head;
		nd->payload[0] = sz;
		head = nd;
		if (i % 4 == 0) {
			struct node **junk = malloc(sz + 8);
			if (!junk)
				hb_die("malloc failed");
			junk[2] = nd; /* past the words the allocator's free lists use */
			junk[3] = nd;
			free(junk);
		}
	}
	return head;
}

static void *shapes(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	struct ledger *l = &ledgers[t];
	uint64_t x = 0x9E3779B97F4A7C15ull * (t + 1);
	kept_head[t] = build(kept_alloc, KEPT_NODES, &x);
	for (struct node *nd = kept_head[t]; nd; nd = nd->next) {
		l->reach_blocks++;
		l->reach_bytes += nd->payload[0];
		l->inv_reach += 1.0 / (double)nd->payload[0];
	}
	struct node *lost = build(lost_alloc, LOST_NODES, &x);
	for (struct node *nd = lost; nd; nd = nd->next) {
		if (nd == lost) {
			l->def_blocks++;
			l->def_bytes += nd->payload[0];
		} else {
			l->ind_blocks++;
			l->ind_bytes += nd->payload[0];
		}
		l->inv_leak += 1.0 / (double)nd->payload[0];
	}
	/* the list is lost: no pointer to its head is left but in registers
	 * and stack slots that later calls overwrite */
	__asm__ volatile("" : : "r"(lost) : "memory");
	lost = NULL;
	for (unsigned i = 0; i < BIG_BLOCKS; i++) {
		void *p = big_alloc(BIG_SIZE);
		if (i % 2 == 0) {
			kept_big[t][i / 2] = p;
			l->reach_blocks++;
			l->reach_bytes += BIG_SIZE;
			l->inv_reach += 1.0 / BIG_SIZE;
		} else {
			l->def_blocks++;
			l->def_bytes += BIG_SIZE;
			l->inv_leak += 1.0 / BIG_SIZE;
			__asm__ volatile("" : : "r"(p) : "memory");
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int only_chunks = argc > 1 && strcmp(argv[1], "chunks") == 0;
	lost_chunks(&ledgers[0]);
	if (!only_chunks) {
		shapes((void *)0);
		if (pthread_create(&th, NULL, shapes, (void *)1) != 0)
			hb_die("pthread_create failed");
		pthread_join(th, NULL);
	}
	struct ledger sum = {0};
	for (unsigned t = 0; t < 2; t++) {
		sum.reach_blocks += ledgers[t].reach_blocks;
		sum.reach_bytes += ledgers[t].reach_bytes;
		sum.def_blocks += ledgers[t].def_blocks;
		sum.def_bytes += ledgers[t].def_bytes;
		sum.ind_blocks += ledgers[t].ind_blocks;
		sum.ind_bytes += ledgers[t].ind_bytes;
		sum.inv_reach += ledgers[t].inv_reach;
		sum.inv_leak += ledgers[t].inv_leak;
	}
	hb_truth("reachable_blocks=%llu reachable_bytes=%llu definite_blocks=%llu definite_bytes=%llu "
		 "indirect_blocks=%llu indirect_bytes=%llu inv_reachable=%.9g inv_leaked=%.9g",
		 (unsigned long long)sum.reach_blocks, (unsigned long long)sum.reach_bytes,
		 (unsigned long long)sum.def_blocks, (unsigned long long)sum.def_bytes,
		 (unsigned long long)sum.ind_blocks, (unsigned long long)sum.ind_bytes, sum.inv_reach, sum.inv_leak);
	return 0;
}
