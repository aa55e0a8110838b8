/*
 * reach_graph.c - marking outstanding blocks reachable, definite or
 * indirect (see reach_graph.h for the rules).
 *
 * The blocks sit in one array sorted by address, so a candidate pointer is
 * resolved by a range check against the lowest and highest block and a
 * binary search. Marking is iterative (an explicit work list of indices),
 * never recursive: a leaked list of a million nodes must not overflow the
 * stack of a process that is exiting.
 */
#include "reach_graph.h"

#include <errno.h>
#include <string.h>

#include "heapblame/trace_format.h"
#include "shim_mem.h"

int hb_reach_init(struct hb_reach_graph *g, uint64_t cap)
{
	memset(g, 0, sizeof(*g));
	if (!cap)
		cap = 1;
	size_t bytes = cap * sizeof(struct hb_reach_block);
	g->b = hb_mem_map(bytes);
	g->tmp = hb_mem_map(bytes);
	g->work = hb_mem_map(cap * sizeof(uint32_t));
	g->mapped = bytes;
	g->cap = cap;
	if (!g->b || !g->tmp || !g->work) {
		hb_reach_release(g);
		return -ENOMEM;
	}
	return 0;
}

void hb_reach_release(struct hb_reach_graph *g)
{
	hb_mem_unmap(g->b, g->mapped);
	hb_mem_unmap(g->tmp, g->mapped);
	hb_mem_unmap(g->work, g->cap * sizeof(uint32_t));
	memset(g, 0, sizeof(*g));
}

int hb_reach_add(struct hb_reach_graph *g, uintptr_t addr, uint64_t size, uint32_t stack, uint32_t module, int root)
{
	if (g->n == g->cap)
		return -1;
	struct hb_reach_block *b = &g->b[g->n++];
	b->addr = addr;
	b->size = size;
	b->stack = stack;
	b->module = module;
	b->kind = HB_REACH_UNSEEN;
	b->root = root != 0;
	return 0;
}

/* LSD radix sort by address, a byte at a time, skipping the bytes every
 * address shares (the high ones, usually). */
static void radix_sort(struct hb_reach_graph *g)
{
	struct hb_reach_block *src = g->b, *dst = g->tmp;
	for (unsigned shift = 0; shift < 8 * sizeof(uintptr_t); shift += 8) {
		uint64_t count[256] = {0};
		for (uint64_t i = 0; i < g->n; i++)
			count[(src[i].addr >> shift) & 0xff]++;
		if (count[(src[0].addr >> shift) & 0xff] == g->n)
			continue;
		uint64_t pos = 0;
		for (unsigned k = 0; k < 256; k++) {
			uint64_t c = count[k];
			count[k] = pos;
			pos += c;
		}
		for (uint64_t i = 0; i < g->n; i++)
			dst[count[(src[i].addr >> shift) & 0xff]++] = src[i];
		struct hb_reach_block *t = src;
		src = dst;
		dst = t;
	}
	g->b = src;
	g->tmp = dst;
}

static void push(struct hb_reach_graph *g, uint64_t i)
{
	g->work[g->nwork++] = (uint32_t)i; /* each block is pushed once per phase: n fits */
}

void hb_reach_sort(struct hb_reach_graph *g)
{
	if (!g->n)
		return;
	radix_sort(g);
	g->lo = g->b[0].addr;
	g->hi = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		uintptr_t end = g->b[i].addr + (g->b[i].size ? g->b[i].size : 1);
		if (end > g->hi)
			g->hi = end;
		if (g->b[i].root) {
			g->b[i].kind = HB_REACH_REACHABLE;
			push(g, i);
		}
	}
}

static int64_t find_index(const struct hb_reach_graph *g, uintptr_t v)
{
	if (v < g->lo || v >= g->hi)
		return -1;
	uint64_t lo = 0, hi = g->n; /* first block with addr > v */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (g->b[mid].addr <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	const struct hb_reach_block *b = &g->b[lo - 1];
	uint64_t size = b->size ? b->size : 1; /* a zero-size block is reached at its start */
	return v - b->addr < size ? (int64_t)(lo - 1) : -1;
}

struct hb_reach_block *hb_reach_find(struct hb_reach_graph *g, uintptr_t addr)
{
	int64_t i = find_index(g, addr);
	return i < 0 ? NULL : &g->b[i];
}

/* Calls reach(g, index, ctx) for each block that a word of [lo, hi) points
 * into. */
#define SCAN_WORDS(g, lo_, hi_, on_index)                                                                  \
	do {                                                                                               \
		uintptr_t p_ = ((lo_) + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);       \
		for (; p_ + sizeof(uintptr_t) <= (hi_); p_ += sizeof(uintptr_t)) {                         \
			uintptr_t v_ = *(const uintptr_t *)p_;                                             \
			if (v_ < (g)->lo || v_ >= (g)->hi)                                                 \
				continue;                                                                  \
			int64_t k_ = find_index((g), v_);                                                  \
			if (k_ >= 0)                                                                       \
				on_index((g), (uint64_t)k_);                                               \
		}                                                                                          \
	} while (0)

static inline void reach_from_root(struct hb_reach_graph *g, uint64_t k)
{
	if (g->b[k].kind == HB_REACH_UNSEEN) {
		g->b[k].kind = HB_REACH_REACHABLE;
		push(g, k);
	}
}

static int can_read(const struct hb_reach_graph *g, const struct hb_reach_block *b)
{
	return !g->readable || !b->size || g->readable(g->readable_ctx, b->addr, b->addr + b->size);
}

static void flood_reachable(struct hb_reach_graph *g)
{
	while (g->nwork) {
		const struct hb_reach_block *b = &g->b[g->work[--g->nwork]];
		if (can_read(g, b))
			SCAN_WORDS(g, b->addr, b->addr + b->size, reach_from_root);
	}
}

void hb_reach_scan_root(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact)
{
	if (!g->n || hi <= lo)
		return;
	g->root_bytes += hi - lo;
	flood_reachable(g); /* root blocks queued by hb_reach_sort go first */
	if (exact) {
		uintptr_t p = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
		for (; p + sizeof(uintptr_t) <= hi; p += sizeof(uintptr_t)) {
			uintptr_t v = *(const uintptr_t *)p;
			int64_t k = find_index(g, v);
			if (k >= 0 && g->b[k].addr == v)
				reach_from_root(g, (uint64_t)k);
		}
	} else {
		SCAN_WORDS(g, lo, hi, reach_from_root);
	}
	flood_reachable(g);
}

static inline void reach_from_leak(struct hb_reach_graph *g, uint64_t k)
{
	if (k == g->leader)
		return;
	uint8_t kind = g->b[k].kind;
	if (kind == HB_REACH_UNSEEN) {
		g->b[k].kind = HB_REACH_INDIRECT;
		push(g, k);
	} else if (kind == HB_REACH_DEFINITE) {
		g->b[k].kind = HB_REACH_INDIRECT; /* an earlier clique's leader: its members are marked */
	}
}

void hb_reach_classify(struct hb_reach_graph *g)
{
	flood_reachable(g);
	for (uint64_t i = 0; i < g->n; i++) {
		if (g->b[i].kind != HB_REACH_UNSEEN)
			continue;
		g->b[i].kind = HB_REACH_DEFINITE;
		g->leader = i;
		push(g, i);
		while (g->nwork) {
			const struct hb_reach_block *b = &g->b[g->work[--g->nwork]];
			if (can_read(g, b))
				SCAN_WORDS(g, b->addr, b->addr + b->size, reach_from_leak);
		}
	}
}
