/*
 * reach_graph.c - marking outstanding blocks reachable, definite or
 * indirect (see reach_graph.h for the rules and the memory).
 *
 * The blocks sit in one array, sorted in place by address with an
 * MSD radix sort (American flag sort: no second array, no recursion), so a
 * candidate pointer is resolved by a range check against the lowest and
 * highest block, then the page index. Marking is iterative (an explicit
 * work list of indices), never recursive.
 */
#include "reach_graph.h"

#include <errno.h>
#include <string.h>

#include "heapblame/trace_format.h"
#include "shim_mem.h"

#define PAGE_SHIFT 12
#define LARGE_BLOCK (64u << 10) /* may span more pages than the index covers */
#define SIZE_BIG 0xffffffffu

struct hb_reach_page {
	uint64_t key;   /* page number + 1; 0: empty */
	uint32_t first; /* the first block starting in this page, or after it */
	uint32_t end;   /* one past the last block starting in it */
	uint32_t sub;   /* a crowded page's slice index in g->subs, else NO_SUB */
	uint32_t pad_;
};

/* A page where more than SUB_MIN blocks start (small objects: redis's 26-byte
 * entries put 150 in a page) has a slice index: for each of its SUBS slices
 * of 64 bytes, how many of its blocks start before the slice. A lookup then
 * steps over at most a few blocks of one cache line, instead of a binary
 * search whose every step misses the cache. */
#define SUB_SHIFT 6
#define SUBS (1u << (PAGE_SHIFT - SUB_SHIFT))
#define SUB_MIN 8
#define NO_SUB 0xffffffffu

static inline void set_kind(struct hb_reach_block *b, unsigned kind)
{
	b->meta = (b->meta & ~(0xfu << 24)) | (kind & 0xfu) << 24;
}

static inline int is_root(const struct hb_reach_block *b)
{
	return (b->meta >> 28) & 1u;
}

int hb_reach_init(struct hb_reach_graph *g, uint64_t cap)
{
	memset(g, 0, sizeof(*g));
	if (!cap)
		cap = 1;
	if (cap > 0xffffffffu)
		return -ENOMEM; /* indices are 32 bits */
	g->b = hb_mem_map(cap * sizeof(struct hb_reach_block));
	g->work = hb_mem_map(cap * sizeof(uint32_t));
	g->cap = cap;
	if (!g->b || !g->work) {
		hb_reach_release(g);
		return -ENOMEM;
	}
	return 0;
}

void hb_reach_release(struct hb_reach_graph *g)
{
	hb_mem_unmap(g->b, g->cap * sizeof(struct hb_reach_block));
	hb_mem_unmap(g->work, g->cap * sizeof(uint32_t));
	hb_mem_unmap(g->big, g->big_cap * sizeof(*g->big));
	hb_mem_unmap(g->large, g->large_cap * sizeof(uint32_t));
	hb_mem_unmap(g->pages, g->page_cap * sizeof(*g->pages));
	hb_mem_unmap(g->subs, g->subs_cap * sizeof(uint16_t));
	hb_mem_unmap(g->flat, g->flat_n * sizeof(uint32_t));
	hb_mem_unmap(g->owner, g->cap * sizeof(uint32_t));
	memset(g, 0, sizeof(*g));
}

uint64_t hb_reach_size(const struct hb_reach_graph *g, const struct hb_reach_block *b)
{
	if (b->size != SIZE_BIG)
		return b->size;
	for (uint64_t i = 0; i < g->nbig; i++)
		if (g->big[i].addr == b->addr)
			return g->big[i].size;
	return SIZE_BIG;
}

uint64_t hb_reach_first_from(const struct hb_reach_graph *g, uintptr_t addr)
{
	uint64_t lo = 0, hi = g->n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (g->b[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int hb_reach_add(struct hb_reach_graph *g, uintptr_t addr, uint64_t size, uint32_t stack, int root, int inherited)
{
	if (g->n == g->cap)
		return -1;
	if (size >= SIZE_BIG) {
		if (g->nbig == g->big_cap) {
			uint64_t cap = g->big_cap ? g->big_cap * 2 : 64;
			struct hb_reach_big *big = hb_mem_map(cap * sizeof(*big));
			if (!big)
				return -1;
			if (g->big)
				memcpy(big, g->big, g->nbig * sizeof(*big));
			hb_mem_unmap(g->big, g->big_cap * sizeof(*big));
			g->big = big;
			g->big_cap = cap;
		}
		g->big[g->nbig++] = (struct hb_reach_big){addr, size};
	}
	struct hb_reach_block *b = &g->b[g->n++];
	b->addr = addr;
	b->size = size >= SIZE_BIG ? SIZE_BIG : (uint32_t)size;
	b->meta = (stack & 0xffffffu) | (uint32_t)HB_REACH_UNSEEN << 24 | (uint32_t)(root != 0) << 28 |
		  (uint32_t)(inherited != 0) << 29;
	return 0;
}

/* ---------- sorting -------------------------------------------------------- */

static void insertion_sort(struct hb_reach_block *a, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++) {
		struct hb_reach_block x = a[i];
		uint64_t j = i;
		while (j && a[j - 1].addr > x.addr) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/* American flag sort: the byte at `shift` distributes a range into 256
 * buckets in place (cycle leader), then each bucket is sorted on the next
 * byte down. Ranges wait on an explicit stack: each level pushes at most
 * 256, and a level's ranges are done before the one above resumes, so 8
 * levels need at most 8 * 256 entries. */
struct sort_range {
	uint64_t start, len;
	unsigned shift;
};

static struct sort_range sort_stack[8 * 256 + 1];

static void flag_sort(struct hb_reach_block *a, uint64_t n)
{
	uintptr_t any = 0, all = ~(uintptr_t)0;
	for (uint64_t i = 0; i < n; i++) {
		any |= a[i].addr;
		all &= a[i].addr;
	}
	uintptr_t diff = any ^ all;
	if (!diff)
		return;
	unsigned top = 63u - (unsigned)__builtin_clzll((unsigned long long)diff);
	size_t sp = 0;
	sort_stack[sp++] = (struct sort_range){0, n, top / 8 * 8};
	while (sp) {
		struct sort_range r = sort_stack[--sp];
		struct hb_reach_block *v = a + r.start;
		if (r.len < 48) {
			insertion_sort(v, r.len);
			continue;
		}
		uint64_t count[256] = {0}, next[256], end[256];
		for (uint64_t i = 0; i < r.len; i++)
			count[(v[i].addr >> r.shift) & 0xff]++;
		uint64_t pos = 0;
		for (unsigned k = 0; k < 256; k++) {
			next[k] = pos;
			pos += count[k];
			end[k] = pos;
		}
		for (unsigned k = 0; k < 256; k++) {
			while (next[k] < end[k]) {
				struct hb_reach_block x = v[next[k]];
				unsigned d = (x.addr >> r.shift) & 0xff;
				while (d != k) {
					struct hb_reach_block t = v[next[d]];
					v[next[d]++] = x;
					x = t;
					d = (x.addr >> r.shift) & 0xff;
				}
				v[next[k]++] = x;
			}
		}
		if (r.shift == 0)
			continue;
		for (unsigned k = 0; k < 256; k++) {
			uint64_t len = count[k], start = end[k] - len;
			if (len > 1)
				sort_stack[sp++] = (struct sort_range){r.start + start, len, r.shift - 8};
		}
	}
}

/* ---------- the page index ------------------------------------------------- */

static inline uint64_t page_slot(uint64_t key, uint64_t cap)
{
	return (key * 0x9E3779B97F4A7C15ull) >> (64 - __builtin_ctzll(cap));
}

static struct hb_reach_page *page_get(const struct hb_reach_graph *g, uint64_t page)
{
	uint64_t key = page + 1, cap = g->page_cap;
	for (uint64_t i = page_slot(key, cap);; i = (i + 1) & (cap - 1)) {
		if (g->pages[i].key == key)
			return &g->pages[i];
		if (!g->pages[i].key)
			return NULL;
	}
}

static struct hb_reach_page *page_put(struct hb_reach_graph *g, uint64_t page, uint32_t first)
{
	uint64_t key = page + 1, cap = g->page_cap;
	uint64_t i = page_slot(key, cap);
	while (g->pages[i].key && g->pages[i].key != key)
		i = (i + 1) & (cap - 1);
	if (!g->pages[i].key)
		g->pages[i] = (struct hb_reach_page){.key = key, .first = first, .end = first, .sub = NO_SUB};
	return &g->pages[i];
}

/* The pages a block is indexed under: the one it starts in and, for a block
 * under LARGE_BLOCK, every page it covers. */
static void block_pages(const struct hb_reach_graph *g, const struct hb_reach_block *b, uint64_t *p0, uint64_t *p1)
{
	uint64_t size = hb_reach_size(g, b);
	*p0 = b->addr >> PAGE_SHIFT;
	*p1 = size && size < LARGE_BLOCK ? (b->addr + size - 1) >> PAGE_SHIFT : *p0;
}

/* Pages come in increasing order over sorted blocks: a page at or before
 * `last` (the highest indexed so far) has its entry already. */
#define NEW_PAGE(page, last) ((last) == UINT64_MAX || (page) > (last))

/* A heap whose blocks lie close together (its address range under 128
 * bytes a block) gets a flat index instead: for each 64-byte slice of the
 * range, the first block at or after it. One array read then leads to the
 * block, where the page index needs a hash probe and a slice table first. */
static int build_flat(struct hb_reach_graph *g)
{
	uintptr_t base = g->lo & ~(((uintptr_t)1 << SUB_SHIFT) - 1);
	uint64_t nslices = ((g->hi - 1 - base) >> SUB_SHIFT) + 2;
	if (nslices > 2 * g->n + 4096)
		return 1; /* sparse: the page index */
	g->flat = hb_mem_map(nslices * sizeof(uint32_t));
	if (!g->flat)
		return 1;
	g->flat_n = nslices;
	g->flat_base = base;
	uint64_t k = 0;
	for (uint64_t sl = 0; sl < nslices; sl++) {
		uintptr_t at = base + (sl << SUB_SHIFT);
		while (k < g->n && g->b[k].addr < at)
			k++;
		g->flat[sl] = (uint32_t)k;
	}
	return 0;
}

static int build_index(struct hb_reach_graph *g)
{
	if (build_flat(g) == 0)
		return 0;
	uint64_t pages = 0, large = 0, last = UINT64_MAX, p0, p1;
	for (uint64_t i = 0; i < g->n; i++) {
		large += hb_reach_size(g, &g->b[i]) >= LARGE_BLOCK;
		block_pages(g, &g->b[i], &p0, &p1);
		for (uint64_t page = p0; page <= p1; page++) {
			if (NEW_PAGE(page, last)) {
				pages++;
				last = page;
			}
		}
	}
	uint64_t cap = 64;
	while (cap < pages * 2)
		cap *= 2;
	uint64_t crowded = 0;
	for (uint64_t i = 0, run = 0; i < g->n; i++) {
		/* runs of blocks starting in one page, in sorted order */
		int same = i && (g->b[i].addr >> PAGE_SHIFT) == (g->b[i - 1].addr >> PAGE_SHIFT);
		run = same ? run + 1 : 1;
		crowded += run == SUB_MIN + 1;
	}
	g->pages = hb_mem_map(cap * sizeof(*g->pages));
	g->large = large ? hb_mem_map(large * sizeof(uint32_t)) : NULL;
	g->large_cap = large;
	g->subs = crowded ? hb_mem_map(crowded * SUBS * sizeof(uint16_t)) : NULL;
	g->subs_cap = crowded * SUBS;
	if (!g->pages || (large && !g->large) || (crowded && !g->subs))
		return -ENOMEM;
	g->page_cap = cap;
	last = UINT64_MAX;
	for (uint64_t i = 0; i < g->n; i++) {
		if (hb_reach_size(g, &g->b[i]) >= LARGE_BLOCK)
			g->large[g->nlarge++] = (uint32_t)i;
		block_pages(g, &g->b[i], &p0, &p1);
		for (uint64_t page = p0; page <= p1; page++) {
			if (page == p0)
				page_put(g, page, (uint32_t)i)->end = (uint32_t)i + 1;
			else if (NEW_PAGE(page, last))
				page_put(g, page, (uint32_t)i + 1); /* covered only: the block before is i */
			if (NEW_PAGE(page, last))
				last = page;
		}
	}
	/* the slices of crowded pages */
	uint64_t nsub = 0;
	for (uint64_t i = 0; i < g->page_cap; i++) {
		struct hb_reach_page *e = &g->pages[i];
		e->sub = NO_SUB;
		if (!e->key || e->end - e->first <= SUB_MIN || nsub + SUBS > g->subs_cap)
			continue;
		uint16_t *v = &g->subs[nsub];
		e->sub = (uint32_t)nsub;
		nsub += SUBS;
		uintptr_t base = (uintptr_t)(e->key - 1) << PAGE_SHIFT;
		uint32_t k = e->first;
		for (unsigned s = 0; s < SUBS; s++) {
			while (k < e->end && g->b[k].addr < base + ((uintptr_t)s << SUB_SHIFT))
				k++;
			v[s] = (uint16_t)(k - e->first);
		}
	}
	return 0;
}

static void push(struct hb_reach_graph *g, uint64_t i)
{
	g->work[g->nwork++] = (uint32_t)i; /* each block is pushed once per phase: n fits */
}

int hb_reach_sort(struct hb_reach_graph *g)
{
	if (!g->n)
		return 0;
	flag_sort(g->b, g->n);
	g->lo = g->b[0].addr;
	g->hi = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		uint64_t size = hb_reach_size(g, &g->b[i]);
		uintptr_t end = g->b[i].addr + (size ? size : 1);
		if (end > g->hi)
			g->hi = end;
		if (is_root(&g->b[i])) {
			set_kind(&g->b[i], HB_REACH_REACHABLE);
			push(g, i);
		}
	}
	return build_index(g);
}

/* Back to the state before hb_reach_sort: no index, nothing queued. */
static void drop_index(struct hb_reach_graph *g)
{
	hb_mem_unmap(g->large, g->large_cap * sizeof(uint32_t));
	hb_mem_unmap(g->pages, g->page_cap * sizeof(*g->pages));
	hb_mem_unmap(g->subs, g->subs_cap * sizeof(uint16_t));
	hb_mem_unmap(g->flat, g->flat_n * sizeof(uint32_t));
	g->large = NULL;
	g->pages = NULL;
	g->subs = NULL;
	g->flat = NULL;
	g->nlarge = g->large_cap = g->page_cap = g->subs_cap = g->flat_n = 0;
	g->nwork = 0;
}

int hb_reach_append(struct hb_reach_graph *g, const struct hb_reach_big *blk, uint64_t n)
{
	if (!n)
		return 0;
	uint64_t cap = g->n + n;
	if (cap > 0xffffffffu)
		return -ENOMEM;
	if (cap > g->cap) {
		struct hb_reach_block *b = hb_mem_map(cap * sizeof(*b));
		uint32_t *work = hb_mem_map(cap * sizeof(*work));
		if (!b || !work) {
			hb_mem_unmap(b, cap * sizeof(*b));
			hb_mem_unmap(work, cap * sizeof(*work));
			return -ENOMEM;
		}
		memcpy(b, g->b, g->n * sizeof(*b));
		hb_mem_unmap(g->b, g->cap * sizeof(*g->b));
		hb_mem_unmap(g->work, g->cap * sizeof(*g->work));
		g->b = b;
		g->work = work;
		g->cap = cap;
	}
	drop_index(g);
	for (uint64_t i = 0; i < n; i++)
		if (hb_reach_add(g, blk[i].addr, blk[i].size, 0, 0, 0) < 0)
			break; /* a block of 4 GiB without room in the side list: not followed */
	return hb_reach_sort(g);
}

static inline int contains(const struct hb_reach_graph *g, int64_t j, uintptr_t v)
{
	if (j < 0)
		return 0;
	const struct hb_reach_block *b = &g->b[j];
	uint64_t size = b->size == SIZE_BIG ? hb_reach_size(g, b) : b->size;
	return v - b->addr < (size ? size : 1); /* a zero-size block is reached at its start */
}

static int64_t find_index(const struct hb_reach_graph *g, uintptr_t v)
{
	if (v < g->lo || v >= g->hi)
		return -1;
	if (g->flat) {
		/* from the first block at or after v's slice, step to the last at or before v */
		uint64_t k = g->flat[(v - g->flat_base) >> SUB_SHIFT];
		while (k < g->n && g->b[k].addr <= v)
			k++;
		return contains(g, (int64_t)k - 1, v) ? (int64_t)k - 1 : -1;
	}
	const struct hb_reach_page *e = page_get(g, v >> PAGE_SHIFT);
	if (e) {
		int64_t j;
		if (e->sub != NO_SUB) {
			/* from the first block at or after v's slice, step to the last at or before v */
			uint32_t k = e->first + g->subs[e->sub + ((v >> SUB_SHIFT) & (SUBS - 1))];
			while (k < e->end && g->b[k].addr <= v)
				k++;
			j = (int64_t)k - 1;
		} else if (e->end > e->first && v >= g->b[e->first].addr) {
			uint64_t lo = e->first, hi = e->end; /* the last block of the page at or before v */
			while (hi - lo > 1) {
				uint64_t mid = lo + (hi - lo) / 2;
				if (g->b[mid].addr <= v)
					lo = mid;
				else
					hi = mid;
			}
			j = (int64_t)lo;
		} else {
			j = (int64_t)e->first - 1;
		}
		return contains(g, j, v) ? j : -1;
	}
	/* a page no block starts in or spans under LARGE_BLOCK: a large block's */
	uint64_t lo = 0, hi = g->nlarge; /* the first large block with addr > v */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (g->b[g->large[mid]].addr <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && contains(g, g->large[lo - 1], v) ? (int64_t)g->large[lo - 1] : -1;
}

struct hb_reach_block *hb_reach_find(struct hb_reach_graph *g, uintptr_t addr)
{
	if (!g->pages && !g->flat)
		return NULL;
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
	if (hb_reach_kind(&g->b[k]) == HB_REACH_UNSEEN) {
		set_kind(&g->b[k], HB_REACH_REACHABLE);
		push(g, k);
	}
}

static int can_read(const struct hb_reach_graph *g, const struct hb_reach_block *b, uint64_t size)
{
	return !g->readable || !size || g->readable(g->readable_ctx, b->addr, b->addr + size);
}

/* Scans the contents of block b with on_index for every block they point to. */
#define SCAN_BLOCK(g, b, on_index)                                                                         \
	do {                                                                                               \
		uint64_t size_ = hb_reach_size((g), (b));                                                   \
		if (can_read((g), (b), size_))                                                             \
			SCAN_WORDS((g), (b)->addr, (b)->addr + size_, on_index);                           \
	} while (0)

static void flood_reachable(struct hb_reach_graph *g)
{
	while (g->nwork) {
		const struct hb_reach_block *b = &g->b[g->work[--g->nwork]];
		SCAN_BLOCK(g, b, reach_from_root);
	}
}

void hb_reach_scan_root(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact)
{
	if (!g->n || hi <= lo || (!g->pages && !g->flat))
		return;
	g->root_bytes += hi - lo;
	flood_reachable(g); /* root blocks queued by hb_reach_sort go first */
	if (exact != HB_ROOT_ANY) {
		uintptr_t p = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
		for (; p + sizeof(uintptr_t) <= hi; p += sizeof(uintptr_t)) {
			uintptr_t v = *(const uintptr_t *)p;
			int64_t k = v >= g->lo && v < g->hi ? find_index(g, v) : -1;
			if (k < 0)
				continue;
			const struct hb_reach_block *b = &g->b[k];
			if (exact == HB_ROOT_STARTS ? b->addr == v : v != hb_reach_next_chunk(b->addr, hb_reach_size(g, b)))
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
	unsigned kind = hb_reach_kind(&g->b[k]);
	if (kind == HB_REACH_UNSEEN) {
		set_kind(&g->b[k], HB_REACH_INDIRECT);
		push(g, k);
	} else if (kind == HB_REACH_DEFINITE) {
		set_kind(&g->b[k], HB_REACH_INDIRECT); /* an earlier clique's leader: its members are marked */
	}
}

void hb_reach_classify(struct hb_reach_graph *g)
{
	if (!g->pages && !g->flat)
		return;
	flood_reachable(g);
	for (uint64_t i = 0; i < g->n; i++) {
		if (hb_reach_kind(&g->b[i]) != HB_REACH_UNSEEN)
			continue;
		set_kind(&g->b[i], HB_REACH_DEFINITE);
		g->leader = i;
		push(g, i);
		while (g->nwork) {
			const struct hb_reach_block *b = &g->b[g->work[--g->nwork]];
			SCAN_BLOCK(g, b, reach_from_leak);
		}
	}
}

static inline void own_from(struct hb_reach_graph *g, uint64_t k)
{
	if (hb_reach_kind(&g->b[k]) == HB_REACH_INDIRECT && !g->owner[k]) {
		/* stack ids start at 1 (stack_table.h): 0 stays "no owner yet" */
		uint32_t owner = hb_reach_stack(&g->b[g->leader]);
		g->owner[k] = owner ? owner : HB_REACH_OWNER_UNSAMPLED;
		push(g, k);
	}
}

int hb_reach_own(struct hb_reach_graph *g)
{
	if (!g->pages && !g->flat)
		return 0;
	uint64_t indirect = 0;
	for (uint64_t i = 0; i < g->n; i++)
		indirect += hb_reach_kind(&g->b[i]) == HB_REACH_INDIRECT;
	if (!indirect)
		return 0; /* nothing to own: no memory spent */
	g->owner = hb_mem_map(g->cap * sizeof(uint32_t));
	if (!g->owner)
		return -ENOMEM;
	for (uint64_t i = 0; i < g->n; i++) {
		if (hb_reach_kind(&g->b[i]) != HB_REACH_DEFINITE)
			continue;
		g->leader = i;
		push(g, i);
		while (g->nwork) {
			const struct hb_reach_block *b = &g->b[g->work[--g->nwork]];
			SCAN_BLOCK(g, b, own_from);
		}
	}
	return 0;
}
