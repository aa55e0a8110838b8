/*
 * site_counts.c - per-site addition of SITE, INHERIT and REACH records
 * (see site_counts.h).
 */
#include "site_counts.h"

#include <stdlib.h>
#include <string.h>

#include "trace_records.h"

struct site_count *site_counts_at(struct site_counts *c, uint64_t stack)
{
	if (stack > 0xffffffffu)
		return NULL;
	if (stack >= c->n) {
		size_t n = c->n ? c->n : 256;
		while (n <= stack)
			n *= 2;
		struct site_count *a = realloc(c->by_stack, n * sizeof(*a));
		if (!a)
			return NULL;
		memset(a + c->n, 0, (n - c->n) * sizeof(*a));
		c->by_stack = a;
		c->n = n;
	}
	return &c->by_stack[stack];
}

static void claim(struct site_count *s, uint32_t module)
{
	if (!s->seen) {
		s->seen = 1;
		s->module = module;
	}
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
	const uint8_t *q = rs.alloc_at;
	struct rec_group g;
	for (uint64_t i = 0; i < rs.nalloc; i++) {
		rec_next_group(&q, rs.end, &g); /* validated by the decoder */
		s->alloc_count += g.count;
		s->alloc_bytes += g.bytes;
		c->ev.alloc_events[g.kind < HB_ALLOC_KIND_COUNT ? g.kind : HB_ALLOC_KIND_COUNT] += g.count;
	}
	q = rs.free_at;
	for (uint64_t i = 0; i < rs.nfree; i++) {
		rec_next_group(&q, rs.end, &g);
		s->free_count += g.count;
		s->free_bytes += g.bytes;
		c->ev.free_events[g.kind < HB_FREE_KIND_COUNT ? g.kind : HB_FREE_KIND_COUNT] += g.count;
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
		s->inherit_count += in.count;
		s->inherit_bytes += in.bytes;
		c->ev.inherited_blocks += in.count;
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
		if (rr.kind < HB_REACH_KIND_COUNT) {
			s->reach_count[rr.kind] += rr.count;
			s->reach_bytes[rr.kind] += rr.bytes;
		} else {
			s->reach_unknown_count += rr.count;
			s->reach_unknown_bytes += rr.bytes;
		}
		return 0;
	}
	default:
		return 0;
	}
}

void site_count_outstanding(const struct site_count *s, uint64_t *blocks, uint64_t *bytes, uint64_t *excess)
{
	uint64_t held = s->inherit_count + s->alloc_count, held_bytes = s->inherit_bytes + s->alloc_bytes;
	*excess = s->free_count > held ? s->free_count - held : 0;
	*blocks = s->free_count < held ? held - s->free_count : 0;
	*bytes = s->free_bytes < held_bytes && *blocks ? held_bytes - s->free_bytes : 0;
}

void site_count_kinds(const struct site_count *s, int scanned, struct leak_tally *out, uint64_t *missing)
{
	uint64_t blocks, bytes, excess;
	site_count_outstanding(s, &blocks, &bytes, &excess);
	memset(out, 0, sizeof(*out));
	if (!scanned) {
		leak_tally_add(out, LEAK_UNCLASSIFIED, bytes, blocks);
		return;
	}
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

void site_counts_free(struct site_counts *c)
{
	free(c->by_stack);
	memset(c, 0, sizeof(*c));
}
