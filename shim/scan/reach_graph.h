/*
 * reach_graph.h - which outstanding blocks are leaked: the marking half of
 * the exit-time leak scan.
 *
 * The caller (leak_scan.c) lists every live block and then hands over the
 * root ranges (writable data of loaded modules, thread stacks, registers,
 * TLS). Any aligned word in a root or in a reached block whose value points
 * to the start or into the inside of a block reaches that block, as
 * LeakSanitizer counts pointers. What no root reaches is leaked, and is
 * split as valgrind memcheck splits it: blocks are taken in address order,
 * each one not yet accounted for becomes a *definite* leak and everything
 * it reaches that is not reachable becomes *indirect*; a definite block
 * reached later from another leaked block turns indirect too. So a lost
 * list counts its head as definite and the rest as indirect, and a lost
 * cycle one definite block and the rest indirect.
 *
 * All memory comes from mmap (the scan runs at exit, possibly while other
 * threads are stopped inside malloc); the block list is sorted with a
 * radix sort for the same reason, and because it is linear.
 */
#ifndef HB_REACH_GRAPH_H
#define HB_REACH_GRAPH_H

#include <stddef.h>
#include <stdint.h>

/* kinds: enum hb_reach_kind (trace_format.h), and while marking: */
#define HB_REACH_UNSEEN 3

struct hb_reach_block {
	uintptr_t addr;
	uint64_t size;
	uint32_t stack; /* its site: the verdicts are written by site */
	uint32_t module;
	uint8_t kind;  /* enum hb_reach_kind, or HB_REACH_UNSEEN */
	uint8_t root;  /* its contents are roots (the loader's own blocks) */
	uint16_t pad_;
};

struct hb_reach_graph {
	struct hb_reach_block *b; /* n blocks, sorted by address after sort */
	uint64_t n, cap;
	struct hb_reach_block *tmp; /* sort scratch */
	uint32_t *work;           /* indices waiting to have their contents scanned */
	uint64_t nwork;
	uintptr_t lo, hi;         /* lowest block start, highest block end */
	uint64_t root_bytes;      /* bytes of root ranges scanned */
	uint64_t leader;          /* the definite block whose clique is being marked */
	/* Whether [lo, hi) may be read; NULL: all blocks may. A block whose
	 * memory the host made unreadable (mprotect) is not scanned. */
	int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi);
	void *readable_ctx;
	size_t mapped;            /* bytes of each of the three arrays' mappings */
};

/* Makes room for up to cap blocks. Returns 0 or -ENOMEM. */
int hb_reach_init(struct hb_reach_graph *g, uint64_t cap);

/* Adds a live block (before hb_reach_sort). root: its contents are roots
 * and it is reachable itself. Beyond cap, blocks are dropped: returns -1. */
int hb_reach_add(struct hb_reach_graph *g, uintptr_t addr, uint64_t size, uint32_t stack, uint32_t module,
		 int root);

/* Sorts the blocks by address and marks the root blocks reachable. */
void hb_reach_sort(struct hb_reach_graph *g);

/* Scans [lo, hi) (any alignment: whole aligned words inside it) as a root,
 * and everything it reaches, transitively. exact: in this range only a
 * pointer to a block's first byte counts (the allocator's own data, whose
 * pointers to chunk headers fall inside the block before). */
void hb_reach_scan_root(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact);

/* After every root: gives every block its final kind. */
void hb_reach_classify(struct hb_reach_graph *g);

/* The block holding addr (start or inside), or NULL. */
struct hb_reach_block *hb_reach_find(struct hb_reach_graph *g, uintptr_t addr);

void hb_reach_release(struct hb_reach_graph *g);

#endif
