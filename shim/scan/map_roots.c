/*
 * map_roots.c - the program's own mappings as roots of the exit scan (see
 * map_roots.h for what is and is not scanned, and why).
 *
 * The mappings come sorted from /proc/self/maps; the ranges left out are
 * sorted and merged once, so one pass subtracts them. What remains is then
 * cut around the pages of any live block inside it (glibc's mmapped
 * chunks), found by a binary search of the scan's sorted blocks.
 *
 * glibc's non-main arenas: each heap is a mapping of HEAP_MAX_SIZE (64 MiB
 * on 64-bit systems: 2 * DEFAULT_MMAP_THRESHOLD_MAX), aligned to it, that
 * starts with a heap_info {arena, previous heap, size, mprotect_size, ...},
 * made readable and writable up to mprotect_size. The arena of an arena's
 * first heap sits just after that heap_info, so the heap holding a heap's
 * arena starts with a pointer to that arena. The kernel may merge the heap's
 * writable part with a mapping just below it, so every aligned address
 * inside an anonymous mapping is looked at, not only mapping starts.
 */
#include "map_roots.h"

#include <errno.h>
#include <string.h>

#include "root_read.h"

#define PAGE 4096u

#if UINTPTR_MAX > 0xffffffffu
#define GLIBC_HEAP_MAX ((uintptr_t)64 << 20)
#else
#define GLIBC_HEAP_MAX ((uintptr_t)1 << 20)
#endif

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(uintptr_t)(PAGE - 1);
}

static uintptr_t page_up(uintptr_t a)
{
	uintptr_t u = (a + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	return u < a ? ~(uintptr_t)(PAGE - 1) : u;
}

int hb_map_roots_init(struct hb_map_roots *r, size_t entries, size_t exclusions)
{
	memset(r, 0, sizeof(*r));
	r->ecap = entries ? entries : 1;
	r->xcap = exclusions ? exclusions : 1;
	r->e = hb_mem_map(r->ecap * sizeof(*r->e));
	r->x = hb_mem_map(r->xcap * sizeof(*r->x));
	if (!r->e || !r->x) {
		hb_map_roots_release(r);
		return -ENOMEM;
	}
	return 0;
}

void hb_map_roots_release(struct hb_map_roots *r)
{
	hb_mem_unmap(r->e, r->ecap * sizeof(*r->e));
	hb_mem_unmap(r->x, r->xcap * sizeof(*r->x));
	memset(r, 0, sizeof(*r));
}

void hb_map_roots_add(struct hb_map_roots *r, uintptr_t lo, uintptr_t hi, unsigned flags)
{
	if (hi <= lo)
		return;
	if (r->n == r->ecap) {
		r->overflow = 1;
		return;
	}
	r->e[r->n++] = (struct hb_map_entry){lo, hi, flags};
}

void hb_map_roots_exclude(struct hb_map_roots *r, uintptr_t lo, uintptr_t hi)
{
	if (hi <= lo)
		return;
	if (r->nx == r->xcap) {
		r->overflow = 1; /* a range left unsaid might be the shim's: scan no mapping */
		return;
	}
	r->x[r->nx++] = (struct hb_mem_range){page_down(lo), page_up(hi)};
}

/* The writable length of the glibc heap that starts at a, or 0 when a does
 * not start one. */
static int excluded(const struct hb_mem_range *x, size_t nx, uintptr_t a);

/* nx: the sorted ranges of r->x left out so far. */
static uintptr_t glibc_heap_len(const struct hb_map_roots *r, size_t nx, uintptr_t a,
				int (*readable)(void *, uintptr_t, uintptr_t), void *ctx)
{
	const uintptr_t *h = (const uintptr_t *)a;
	uintptr_t arena = h[0], prev = h[1], size = h[2], mprotect_size = h[3];
	if (!size || size % PAGE || size > GLIBC_HEAP_MAX || mprotect_size < size || mprotect_size > GLIBC_HEAP_MAX)
		return 0;
	if (prev % GLIBC_HEAP_MAX)
		return 0; /* the previous heap of its arena, or none */
	uintptr_t first = arena & ~(GLIBC_HEAP_MAX - 1);
	if (arena - first < 4 * sizeof(uintptr_t) || arena - first >= PAGE || arena % sizeof(uintptr_t))
		return 0;
	if (first != a && (!readable(ctx, first, first + sizeof(uintptr_t)) || excluded(r->x, nx, first)))
		return 0;
	return *(const uintptr_t *)first == arena ? mprotect_size : 0;
}

static void sort_exclusions(struct hb_map_roots *r);

/* Whether a lies in a range left out (after sort_exclusions): such a range
 * may be gone since the maps were read (the buffer they were read into). */
static size_t first_ending_after(const struct hb_mem_range *x, size_t nx, uintptr_t a)
{
	size_t lo = 0, hi = nx;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x[mid].hi <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int excluded(const struct hb_mem_range *x, size_t nx, uintptr_t a)
{
	size_t i = first_ending_after(x, nx, a);
	return i < nx && x[i].lo <= a;
}

void hb_map_roots_glibc_heaps(struct hb_map_roots *r, int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi),
			      void *ctx, void (*found)(void *arg, uintptr_t a, uintptr_t len), void *arg)
{
	sort_exclusions(r);
	size_t n = r->n, nx = r->nx;
	for (size_t i = 0; i < n; i++) {
		const struct hb_map_entry *e = &r->e[i];
		if (e->flags & (HB_MAP_FILE | HB_MAP_SKIP))
			continue;
		uintptr_t a = (e->lo + GLIBC_HEAP_MAX - 1) & ~(GLIBC_HEAP_MAX - 1);
		for (; a >= e->lo && a < e->hi && e->hi - a >= 4 * sizeof(uintptr_t); a += GLIBC_HEAP_MAX) {
			uintptr_t len = excluded(r->x, nx, a) ? 0 : glibc_heap_len(r, nx, a, readable, ctx);
			if (len > e->hi - a)
				len = e->hi - a; /* a header that says more: read no further than the mapping */
			if (len) {
				r->glibc_heaps++;
				found(arg, a, len);
			}
			if (a + GLIBC_HEAP_MAX < a)
				break;
		}
	}
}

int hb_map_roots_left_out(struct hb_map_roots *r, uintptr_t a)
{
	sort_exclusions(r);
	return excluded(r->x, r->nx, a);
}

int hb_map_roots_next_left_out(struct hb_map_roots *r, uintptr_t a, uintptr_t *lo, uintptr_t *hi)
{
	sort_exclusions(r);
	size_t l = first_ending_after(r->x, r->nx, a);
	if (l == r->nx)
		return 0;
	*lo = r->x[l].lo;
	*hi = r->x[l].hi;
	return 1;
}

static void exclude_heap(void *arg, uintptr_t a, uintptr_t len)
{
	hb_map_roots_exclude(arg, a, a + len);
}

void hb_map_roots_exclude_glibc_heaps(struct hb_map_roots *r, int (*readable)(void *ctx, uintptr_t lo, uintptr_t hi),
				      void *ctx)
{
	hb_map_roots_glibc_heaps(r, readable, ctx, exclude_heap, r);
}

void hb_map_roots_exclude_thread_stacks(struct hb_map_roots *r, size_t tcb_size, size_t align)
{
	sort_exclusions(r);
	size_t n = r->n, nx = r->nx;
	for (size_t i = 0; i < n; i++) {
		const struct hb_map_entry *e = &r->e[i];
		if ((e->flags & (HB_MAP_FILE | HB_MAP_SKIP)) || e->hi - e->lo < tcb_size + PAGE)
			continue;
		uintptr_t tp = (e->hi - tcb_size) & ~(uintptr_t)(align - 1);
		if (tp < e->lo || excluded(r->x, nx, tp))
			continue;
		const uintptr_t *d = (const uintptr_t *)tp;
		if (d[0] == tp && d[2] == tp) { /* tcbhead_t: tcb, dtv, self */
			hb_map_roots_exclude(r, e->lo, e->hi);
			r->thread_stacks++;
		}
	}
}

/* Shell sort by start (no allocation, no recursion; a few thousand ranges),
 * then overlapping and touching ranges merged. */
static void sort_exclusions(struct hb_map_roots *r)
{
	static const size_t gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
	for (size_t gi = 0; gi < sizeof(gaps) / sizeof(gaps[0]); gi++) {
		size_t gap = gaps[gi];
		for (size_t i = gap; i < r->nx; i++) {
			struct hb_mem_range t = r->x[i];
			size_t j = i;
			for (; j >= gap && r->x[j - gap].lo > t.lo; j -= gap)
				r->x[j] = r->x[j - gap];
			r->x[j] = t;
		}
	}
	size_t m = 0;
	for (size_t i = 0; i < r->nx; i++) {
		if (m && r->x[i].lo <= r->x[m - 1].hi) {
			if (r->x[i].hi > r->x[m - 1].hi)
				r->x[m - 1].hi = r->x[i].hi;
		} else {
			r->x[m++] = r->x[i];
		}
	}
	r->nx = m;
}

static void emit(struct hb_map_roots *r, struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, unsigned flags)
{
	if (hi <= lo)
		return;
	r->root_bytes += hi - lo;
	int words = r->sampled ? HB_ROOT_HEAP : HB_ROOT_ANY;
	if (flags & HB_MAP_FILE)
		hb_root_read_scan(g, lo, hi, words);
	else
		hb_reach_scan_root(g, lo, hi, words);
}

/* Scans [lo, hi) but the pages of the blocks inside it (sampled: but the
 * blocks' own bytes). */
static void scan_piece(struct hb_map_roots *r, struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, unsigned flags)
{
	uint64_t a = hb_reach_first_from(g, lo);
	if (a && g->b[a - 1].addr + hb_reach_size(g, &g->b[a - 1]) > lo)
		a--;
	uintptr_t cur = lo;
	for (; a < g->n && g->b[a].addr < hi && cur < hi; a++) {
		uintptr_t bl = g->b[a].addr, bh = g->b[a].addr + hb_reach_size(g, &g->b[a]);
		if (!r->sampled) {
			bl = page_down(bl);
			bh = page_up(bh);
		}
		if (bl > cur) {
			emit(r, g, cur, bl < hi ? bl : hi, flags);
		}
		if (bh > cur)
			cur = bh;
	}
	if (cur < hi)
		emit(r, g, cur, hi, flags);
}

void hb_map_roots_scan(struct hb_map_roots *r, struct hb_reach_graph *g)
{
	if (r->overflow)
		return;
	sort_exclusions(r);
	uint64_t before = r->root_bytes, candidate = 0;
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct hb_map_entry *e = &r->e[i];
		if (e->flags & HB_MAP_SKIP)
			continue;
		candidate += e->hi - e->lo;
		uintptr_t cur = e->lo;
		while (k < r->nx && r->x[k].hi <= cur)
			k++;
		for (size_t j = k; cur < e->hi;) {
			if (j < r->nx && r->x[j].lo < e->hi) {
				if (r->x[j].lo > cur)
					scan_piece(r, g, cur, r->x[j].lo, e->flags);
				if (r->x[j].hi > cur)
					cur = r->x[j].hi;
				j++;
			} else {
				scan_piece(r, g, cur, e->hi, e->flags);
				cur = e->hi;
			}
		}
	}
	r->left_bytes = candidate - (r->root_bytes - before);
}
