/*
 * site_counts.c - per-site addition of SITE, INHERIT and REACH records,
 * with the dirty list, the --at roll-back and the since window (see
 * site_counts.h).
 */
#include "site_counts.h"

#include <stdlib.h>
#include <string.h>

#include "sat_add.h"
#include "trace_records.h"

struct site_count *site_counts_at(struct site_counts *c, uint64_t stack)
{
	if (stack > 0xffffffffu)
		return NULL;
	long found = id_index_find(&c->ids, (uint32_t)stack);
	if (found >= 0)
		return &c->by_stack[found];
	if (c->n == c->cap) {
		size_t n = c->cap ? c->cap * 2 : 256;
		if (c->windows) {
			struct site_window *w = realloc(c->win, n * sizeof(*w));
			if (!w)
				return NULL;
			c->win = w;
		}
		struct site_count *a = realloc(c->by_stack, n * sizeof(*a));
		if (!a)
			return NULL;
		c->by_stack = a;
		c->cap = n;
	}
	int added;
	long slot = id_index_add(&c->ids, (uint32_t)stack, &added);
	if (slot < 0)
		return NULL;
	memset(&c->by_stack[slot], 0, sizeof(c->by_stack[slot]));
	if (c->windows)
		memset(&c->win[slot], 0, sizeof(c->win[slot]));
	c->by_stack[slot].id = (uint32_t)stack;
	c->n++;
	return &c->by_stack[slot];
}

const struct site_count *site_counts_find(const struct site_counts *c, uint64_t stack)
{
	long slot = stack > 0xffffffffu ? -1 : id_index_find(&c->ids, (uint32_t)stack);
	return slot < 0 ? NULL : &c->by_stack[slot];
}

static void claim(struct site_count *s, uint32_t module)
{
	if (!s->seen) {
		s->seen = 1;
		s->module = module;
	}
}

/* Before a site's first change in a flush: onto the dirty list, and its
 * state saved for a cut. */
static void touch(struct site_counts *c, struct site_count *s)
{
	size_t slot = (size_t)(s - c->by_stack);
	if (s->touched == c->marks + 1)
		return;
	s->touched = c->marks + 1;
	if (c->keep_saved) {
		struct site_window *w = &c->win[slot];
		w->saved = w->cur;
		w->saved_total = s->total;
	}
	if (c->ndirty == c->dirty_cap) {
		size_t cap = c->dirty_cap ? c->dirty_cap * 2 : 256;
		uint32_t *d = realloc(c->dirty, cap * sizeof(*d));
		if (!d) {
			c->oom = 1;
			return;
		}
		c->dirty = d;
		c->dirty_cap = cap;
	}
	c->dirty[c->ndirty++] = (uint32_t)slot;
}

/* A group of epoch e of site s into the since window, or aside while
 * the window's start is not known yet. */
static struct site_tally *window_of(struct site_counts *c, const struct site_count *s, uint64_t e)
{
	if (!c->since_on || e < c->since_from)
		return NULL;
	struct site_window_part *w = &c->win[s - c->by_stack].cur;
	if (c->since_fixed)
		return &w->since;
	if (w->pending_from != c->since_from) {
		memset(&w->pending, 0, sizeof(w->pending));
		w->pending_from = c->since_from;
	}
	return &w->pending;
}

void site_counts_windows(struct site_counts *c, int keep_saved)
{
	if (!c->windows && c->cap) { /* sites made before: give them their parts */
		c->win = calloc(c->cap, sizeof(*c->win));
		if (!c->win) {
			c->oom = 1;
			return;
		}
	}
	c->windows = 1;
	c->keep_saved |= keep_saved;
}

void site_counts_since(struct site_counts *c, uint64_t since_ns)
{
	site_counts_windows(c, 0);
	if (!c->windows)
		return; /* out of memory (c->oom): no window */
	c->since_on = 1;
	c->since_ns = since_ns;
	c->since_from = 0;
	c->since_fixed = 0;
}

void site_counts_start(struct site_counts *c, uint64_t first_epoch)
{
	c->first_epoch = first_epoch;
	if (!c->since_on || c->since_fixed)
		return;
	if (c->since_ns == 0) { /* the window is the whole trace's own blocks */
		c->since_from = first_epoch;
		c->since_fixed = 1;
	} else if (first_epoch + 1 > c->since_from) {
		c->since_from = first_epoch + 1; /* the first epoch began at 0, before since_ns */
	}
}

void site_counts_mark(struct site_counts *c, uint64_t time_ns, uint64_t epoch)
{
	if (c->since_on && !c->since_fixed) {
		if (time_ns < c->since_ns) {
			if (epoch + 1 > c->since_from)
				c->since_from = epoch + 1; /* epochs up to this one began before */
		} else {
			c->since_fixed = 1; /* since_from began at a flush at or after since_ns */
		}
	}
	c->ndirty = 0;
	c->marks++;
}

void site_counts_cut(struct site_counts *c)
{
	for (size_t i = 0; c->keep_saved && i < c->ndirty; i++) {
		struct site_window *w = &c->win[c->dirty[i]];
		w->cur = w->saved;
		c->by_stack[c->dirty[i]].total = w->saved_total;
	}
	c->ndirty = 0;
}

struct site_tally site_count_window(const struct site_counts *c, const struct site_count *s)
{
	if (!c->since_on)
		return s->total;
	const struct site_window_part *w = &c->win[s - c->by_stack].cur;
	struct site_tally t = w->since;
	if (c->since_fixed && w->pending_from == c->since_from) {
		t.alloc_count = sat_add(t.alloc_count, w->pending.alloc_count);
		t.alloc_bytes = sat_add(t.alloc_bytes, w->pending.alloc_bytes);
		t.free_count = sat_add(t.free_count, w->pending.free_count);
		t.free_bytes = sat_add(t.free_bytes, w->pending.free_bytes);
	}
	return t;
}

static int apply_site(struct site_counts *c, uint32_t module, const struct trace_record *r)
{
	struct rec_site rs;
	if (rec_decode_site(r, &rs) < 0)
		return -1;
	struct site_count *s = site_counts_at(c, rs.stack);
	if (!s)
		return -1;
	claim(s, module);
	touch(c, s);
	const uint8_t *q = rs.alloc_at;
	struct rec_group g;
	for (uint64_t i = 0; i < rs.nalloc; i++) {
		rec_next_group(&q, rs.end, &g); /* validated by the decoder */
		s->total.alloc_count = sat_add(s->total.alloc_count, g.count);
		s->total.alloc_bytes = sat_add(s->total.alloc_bytes, g.bytes);
		struct site_tally *w = g.age <= c->epoch ? window_of(c, s, c->epoch - g.age) : NULL;
		if (w) {
			w->alloc_count = sat_add(w->alloc_count, g.count);
			w->alloc_bytes = sat_add(w->alloc_bytes, g.bytes);
		}
		uint64_t *ev = &c->ev.alloc_events[g.kind < HB_ALLOC_KIND_COUNT ? g.kind : HB_ALLOC_KIND_COUNT];
		*ev = sat_add(*ev, g.count);
	}
	q = rs.free_at;
	for (uint64_t i = 0; i < rs.nfree; i++) {
		rec_next_group(&q, rs.end, &g);
		s->total.free_count = sat_add(s->total.free_count, g.count);
		s->total.free_bytes = sat_add(s->total.free_bytes, g.bytes);
		if (c->first_epoch && (g.age > c->epoch || c->epoch - g.age < c->first_epoch)) {
			/* trace-format 10.3: a free group before first_epoch counts inherited blocks only */
			s->total.inherit_free_count = sat_add(s->total.inherit_free_count, g.count);
			s->total.inherit_free_bytes = sat_add(s->total.inherit_free_bytes, g.bytes);
		}
		struct site_tally *w = g.age <= c->epoch ? window_of(c, s, c->epoch - g.age) : NULL;
		if (w) {
			w->free_count = sat_add(w->free_count, g.count);
			w->free_bytes = sat_add(w->free_bytes, g.bytes);
		}
		uint64_t *ev = &c->ev.free_events[g.kind < HB_FREE_KIND_COUNT ? g.kind : HB_FREE_KIND_COUNT];
		*ev = sat_add(*ev, g.count);
	}
	c->ev.sites++;
	return 0;
}

int site_counts_apply(struct site_counts *c, uint32_t module, const struct trace_record *r)
{
	switch (r->tag) {
	case HB_REC_EPOCH: {
		struct rec_epoch e;
		if (rec_decode_epoch(r, &e) < 0)
			return -1;
		c->epoch = e.epoch;
		return 0;
	}
	case HB_REC_SITE:
		return apply_site(c, module, r);
	case HB_REC_INHERIT: {
		struct rec_inherit in;
		if (rec_decode_inherit(r, &in) < 0)
			return -1;
		struct site_count *s = site_counts_at(c, in.stack);
		if (!s)
			return -1;
		claim(s, module);
		touch(c, s);
		s->total.inherit_count = sat_add(s->total.inherit_count, in.count);
		s->total.inherit_bytes = sat_add(s->total.inherit_bytes, in.bytes);
		c->ev.inherited_blocks = sat_add(c->ev.inherited_blocks, in.count);
		return 0;
	}
	case HB_REC_REACH: {
		struct rec_reach rr;
		if (rec_decode_reach(r, &rr) < 0)
			return -1;
		struct site_count *s = site_counts_at(c, rr.stack);
		if (!s)
			return -1;
		claim(s, module);
		c->reach_split |= rr.has_inherited;
		if (rr.kind < HB_REACH_KIND_COUNT) {
			s->reach_count[rr.kind] = sat_add(s->reach_count[rr.kind], rr.count);
			s->reach_bytes[rr.kind] = sat_add(s->reach_bytes[rr.kind], rr.bytes);
			if (rr.inherited) {
				s->reach_inh_count[rr.kind] = sat_add(s->reach_inh_count[rr.kind], rr.count);
				s->reach_inh_bytes[rr.kind] = sat_add(s->reach_inh_bytes[rr.kind], rr.bytes);
			}
		} else {
			s->reach_unknown_count = sat_add(s->reach_unknown_count, rr.count);
			s->reach_unknown_bytes = sat_add(s->reach_unknown_bytes, rr.bytes);
		}
		return 0;
	}
	case HB_REC_OWNED: {
		struct rec_owned ro;
		if (rec_decode_owned(r, &ro) < 0)
			return -1;
		struct site_count *s = site_counts_at(c, ro.stack);
		if (!s || !site_counts_at(c, ro.root))
			return -1;
		s = site_counts_at(c, ro.stack); /* the array may have moved */
		claim(s, module);
		if (c->nowned == c->owned_cap) {
			size_t cap = c->owned_cap ? c->owned_cap * 2 : 64;
			struct site_owned *v = realloc(c->owned, cap * sizeof(*v));
			if (!v)
				return -1;
			c->owned = v;
			c->owned_cap = cap;
		}
		c->owned[c->nowned++] = (struct site_owned){(uint32_t)ro.stack, (uint32_t)ro.root, ro.count, ro.bytes};
		return 0;
	}
	default:
		return 0;
	}
}

void site_tally_outstanding(const struct site_tally *t, uint64_t *blocks, uint64_t *bytes, uint64_t *excess)
{
	uint64_t held = sat_add(t->inherit_count, t->alloc_count);
	uint64_t held_bytes = sat_add(t->inherit_bytes, t->alloc_bytes);
	*excess = t->free_count > held ? t->free_count - held : 0;
	*blocks = t->free_count < held ? held - t->free_count : 0;
	*bytes = t->free_bytes < held_bytes && *blocks ? held_bytes - t->free_bytes : 0;
}

int64_t site_tally_level(const struct site_tally *t)
{
	uint64_t held = sat_add(t->inherit_bytes, t->alloc_bytes);
	if (held >= t->free_bytes)
		return held - t->free_bytes > INT64_MAX ? INT64_MAX : (int64_t)(held - t->free_bytes);
	return t->free_bytes - held > INT64_MAX ? -INT64_MAX : -(int64_t)(t->free_bytes - held);
}

/* The site's whole outstanding blocks by kind, from REACH. */
static void whole_kinds(const struct site_count *s, uint64_t blocks, uint64_t bytes, struct leak_tally *out,
			uint64_t *missing)
{
	uint64_t left = blocks, left_bytes = bytes;
	for (unsigned k = 0; k < HB_REACH_KIND_COUNT; k++) {
		uint64_t n = s->reach_count[k] < left ? s->reach_count[k] : left;
		uint64_t b = s->reach_bytes[k] < left_bytes ? s->reach_bytes[k] : left_bytes;
		leak_tally_add(out, leak_kind_of_reach(k), b, n);
		left -= n;
		left_bytes -= b;
	}
	if (left || left_bytes) {
		/* blocks the scan did not name: a kind this reader does not know, or
		 * damage; unknown kinds are unclassified by rule, the rest missing */
		uint64_t unknown = s->reach_unknown_count < left ? s->reach_unknown_count : left;
		*missing += left - unknown;
		leak_tally_add(out, LEAK_UNCLASSIFIED, left_bytes, left);
	}
}

/* v * num / den without overflow for the sizes of real heaps */
static uint64_t share(uint64_t v, uint64_t num, uint64_t den)
{
	return den ? (uint64_t)((unsigned __int128)v * num / den) : 0;
}

void site_count_kinds(const struct site_count *s, const struct site_tally *w, int scanned,
		      struct leak_tally *out, uint64_t *missing)
{
	uint64_t blocks, bytes, excess;
	site_tally_outstanding(w, &blocks, &bytes, &excess);
	memset(out, 0, sizeof(*out));
	if (!scanned) {
		leak_tally_add(out, LEAK_UNCLASSIFIED, bytes, blocks);
		return;
	}
	uint64_t all_blocks, all_bytes;
	site_tally_outstanding(&s->total, &all_blocks, &all_bytes, &excess);
	if (blocks >= all_blocks) {
		whole_kinds(s, blocks, bytes, out, missing);
		return;
	}
	struct leak_tally whole = {0};
	uint64_t ignored = 0;
	whole_kinds(s, all_blocks, all_bytes, &whole, &ignored);
	uint64_t given = 0, given_bytes = 0;
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		uint64_t n = share(whole.blocks[k], blocks, all_blocks), b = share(whole.bytes[k], bytes, all_bytes);
		leak_tally_add(out, k, b, n);
		given += n;
		given_bytes += b;
	}
	/* what rounding left over goes to the worst kind the site has */
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		if (whole.blocks[k]) {
			leak_tally_add(out, k, bytes - given_bytes, blocks - given);
			break;
		}
}

void site_count_inherited(const struct site_counts *c, const struct site_count *s, int scanned,
			  uint64_t *blocks, uint64_t *bytes, struct leak_tally *kinds)
{
	const struct site_tally *t = &s->total;
	uint64_t all_blocks, all_bytes, excess;
	site_tally_outstanding(t, &all_blocks, &all_bytes, &excess);
	memset(kinds, 0, sizeof(*kinds));
	uint64_t n = t->inherit_free_count < t->inherit_count ? t->inherit_count - t->inherit_free_count : 0;
	uint64_t b = t->inherit_free_bytes < t->inherit_bytes ? t->inherit_bytes - t->inherit_free_bytes : 0;
	*blocks = n < all_blocks ? n : all_blocks;
	*bytes = *blocks ? (b < all_bytes ? b : all_bytes) : 0;
	if (!*blocks)
		return;
	if (!scanned) {
		leak_tally_add(kinds, LEAK_UNCLASSIFIED, *bytes, *blocks);
		return;
	}
	if (!c->reach_split) { /* no REACH says which blocks were inherited: the site's mix */
		struct site_tally part = {.alloc_count = *blocks, .alloc_bytes = *bytes};
		uint64_t ignored = 0;
		site_count_kinds(s, &part, scanned, kinds, &ignored);
		return;
	}
	uint64_t left = *blocks, left_bytes = *bytes;
	for (unsigned k = 0; k < HB_REACH_KIND_COUNT; k++) {
		uint64_t kn = s->reach_inh_count[k] < left ? s->reach_inh_count[k] : left;
		uint64_t kb = s->reach_inh_bytes[k] < left_bytes ? s->reach_inh_bytes[k] : left_bytes;
		leak_tally_add(kinds, leak_kind_of_reach(k), kb, kn);
		left -= kn;
		left_bytes -= kb;
	}
	if (left || left_bytes)
		leak_tally_add(kinds, LEAK_UNCLASSIFIED, left_bytes, left);
}

void site_counts_free(struct site_counts *c)
{
	free(c->by_stack);
	free(c->win);
	free(c->dirty);
	free(c->owned);
	id_index_free(&c->ids);
	memset(c, 0, sizeof(*c));
}
