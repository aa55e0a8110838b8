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
 * Memory: a block is 16 bytes (address; size; stack id, kind and flags in
 * one word), sorted in place, plus a 4-byte work-list slot and an index of
 * the heap's 4 KiB pages (16 bytes per page that holds a block, about 0.8%
 * of the heap at most). So the scan needs less than the live table it is
 * built from, and leak_scan.c frees each live-table shard as soon as its
 * blocks are copied here: a scan of 6 M blocks does not raise the peak.
 * Only when the scan found indirect leaks does hb_reach_own map 4 bytes
 * more per block (their owners, for leak: suppressions).
 *
 * Lookups: a candidate word outside [lowest block, highest block end) is
 * rejected by two compares; inside, the page index gives the blocks that
 * start in its page, and the one before them, in O(1); a page crowded with
 * small blocks has an index of its 64-byte slices too (2 bytes a slice).
 * A dense heap (its range under 128 bytes a block) has one flat index of
 * 64-byte slices instead (4 bytes a slice, under 8 bytes a block). Blocks of 64 KiB or
 * more (which may span many pages that no block starts in) are also kept in
 * a short sorted list.
 *
 * All memory comes from mmap (the scan runs at exit, possibly while other
 * threads are stopped inside malloc); nothing recurses (a leaked list of a
 * million nodes must not overflow the stack of a process that is exiting).
 */
#ifndef HB_REACH_GRAPH_H
#define HB_REACH_GRAPH_H

#include <stddef.h>
#include <stdint.h>

/* kinds: enum hb_reach_kind (trace_format.h), and while marking: */
#define HB_REACH_UNSEEN 3

struct hb_reach_block {
	uintptr_t addr;
	uint32_t size;  /* bytes; 0xffffffff: 4 GiB or more (the real size is in big[]) */
	uint32_t meta;  /* stack id (24 bits) | kind << 24 (4 bits) | root << 28 | inherited << 29 */
};

struct hb_reach_big {
	uintptr_t addr;
	uint64_t size;
};

struct hb_reach_page; /* the page index (reach_graph.c) */

struct hb_reach_graph {
	struct hb_reach_block *b; /* n blocks, sorted by address after sort */
	uint64_t n, cap;
	uint32_t *work;           /* indices waiting to have their contents scanned */
	uint64_t nwork;
	struct hb_reach_big *big; /* blocks of 4 GiB or more, by address */
	uint64_t nbig, big_cap;
	uint32_t *large;          /* indices of blocks of 64 KiB or more, by address */
	uint64_t nlarge, large_cap;
	struct hb_reach_page *pages; /* open addressing, page number -> blocks */
	uint64_t page_cap;
	uint16_t *subs;           /* slice indices of crowded pages (reach_graph.c) */
	uint64_t subs_cap;
	uint32_t *flat;           /* or, for a dense heap, a flat slice index */
	uint64_t flat_n;
	uintptr_t flat_base;
	uintptr_t lo, hi;         /* lowest block start, highest block end */
	uint64_t root_bytes;      /* bytes of root ranges scanned */
	uint64_t leader;          /* the definite block whose clique is being marked */
	uint32_t *owner;          /* after hb_reach_own: per block, the stack id of the definite block that owns
				   * it (indirect blocks; 0 for the others), or NULL */
	/* Whether [lo, hi) may be read; NULL: all blocks may. A block whose
	 * memory the host made unreadable (mprotect) is not scanned. */
	int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi);
	void *readable_ctx;
};

static inline uint32_t hb_reach_stack(const struct hb_reach_block *b)
{
	return b->meta & 0xffffffu;
}

static inline unsigned hb_reach_kind(const struct hb_reach_block *b)
{
	return (b->meta >> 24) & 0xfu;
}

/* Whether the block is one a fork child inherited (an epoch before its
 * first): its verdict is written apart (REACH's inherited field), so that
 * a report merging the child with its parent can count the block once, in
 * the parent (analyzer/replay/fork_merge.c). Marking ignores it. */
static inline int hb_reach_inherited(const struct hb_reach_block *b)
{
	return (b->meta >> 29) & 1u;
}

/* A block's size in bytes (a big one's from the side list). */
uint64_t hb_reach_size(const struct hb_reach_graph *g, const struct hb_reach_block *b);

/* After hb_reach_sort: the index of the first block at or after addr
 * (g->n: none). */
uint64_t hb_reach_first_from(const struct hb_reach_graph *g, uintptr_t addr);

/* Makes room for up to cap blocks. Returns 0 or -ENOMEM. */
int hb_reach_init(struct hb_reach_graph *g, uint64_t cap);

/* Adds a live block (before hb_reach_sort). root: its contents are roots
 * and it is reachable itself. inherited: a fork child's copy of a block of
 * its parent (hb_reach_inherited). Beyond cap, or when a big block finds no
 * room, it is dropped: returns -1. */
int hb_reach_add(struct hb_reach_graph *g, uintptr_t addr, uint64_t size, uint32_t stack, int root, int inherited);

/* Sorts the blocks by address, builds the page index and marks the root
 * blocks reachable. Returns 0, or -ENOMEM when the index cannot be made
 * (no scan then). */
int hb_reach_sort(struct hb_reach_graph *g);

/* After hb_reach_sort and before any root: adds n blocks a sampled trace
 * never recorded ({address, size}; glibc_chunks.h), with stack id 0 (see
 * hb_reach_unsampled), and sorts again. Returns 0, or -ENOMEM: then the
 * sampled blocks' kinds cannot be known, and no scan is made. */
int hb_reach_append(struct hb_reach_graph *g, const struct hb_reach_big *blk, uint64_t n);

/* Whether the block is one a sampled trace did not record: marked and
 * classified with the others, so that the sampled blocks get their right
 * kinds, but never counted (stack ids of recorded blocks start at 1). */
static inline int hb_reach_unsampled(const struct hb_reach_block *b)
{
	return (b->meta & 0xffffffu) == 0;
}

/* g->owner of an indirect block owned by an unsampled definite one: its
 * owner's site is not known. */
#define HB_REACH_OWNER_UNSAMPLED 0xffffffffu

/* How the words of a root range count (hb_reach_scan_root's exact). */
enum {
	HB_ROOT_ANY = 0,    /* a pointer to any byte of a block */
	HB_ROOT_STARTS = 1, /* only a pointer to a block's first byte: the
			     * allocator's own data, whose pointers to chunk
			     * headers fall inside the block before */
	HB_ROOT_HEAP = 2,   /* glibc's heap itself, scanned when sampling
			     * (leak_scan.h): any byte but the one where the
			     * next chunk's header starts, inside the block's
			     * last 16 bytes, which free chunks' links and the
			     * arena's top and bins point at */
};

/* The address of the chunk header glibc's malloc puts after a block of
 * size bytes at addr (a chunk is the request plus 8, rounded up to 16, at
 * least 32 bytes; the block starts 16 bytes into it). */
static inline uintptr_t hb_reach_next_chunk(uintptr_t addr, uint64_t size)
{
	uint64_t chunk = (size + 8 + 15) & ~(uint64_t)15;
	return addr - 16 + (chunk < 32 ? 32 : chunk);
}

/* Scans [lo, hi) (any alignment: whole aligned words inside it) as a root,
 * and everything it reaches, transitively. exact: HB_ROOT_*. */
void hb_reach_scan_root(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact);

/* After every root: gives every block its final kind. */
void hb_reach_classify(struct hb_reach_graph *g);

/* After hb_reach_classify, with the world still stopped (it reads the
 * leaked blocks again): gives every indirect block an owner, the definite
 * block that reaches it first, taking the definite blocks in address
 * order and following only indirect blocks from each, so that a block
 * reachable from several definite blocks is owned once. Every indirect
 * block has one: it was marked from a clique whose leader is definite, or
 * was absorbed into a later clique. The owner's stack id goes to
 * g->owner[block]; the writer counts them by (site, owner's site), for
 * LeakSanitizer's meaning of a suppression (a suppressed block is a root:
 * what only it reaches is not a leak). Returns 0, or -ENOMEM (no owners:
 * g->owner stays NULL). */
int hb_reach_own(struct hb_reach_graph *g);

/* The block holding addr (start or inside), or NULL; after hb_reach_sort. */
struct hb_reach_block *hb_reach_find(struct hb_reach_graph *g, uintptr_t addr);

void hb_reach_release(struct hb_reach_graph *g);

#endif
