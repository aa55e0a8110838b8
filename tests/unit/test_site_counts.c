/*
 * test_site_counts.c - unit tests for analyzer/replay/site_counts.h, the
 * replay of a format-2 trace by addition.
 *
 * Records are built here byte by byte (heapblame/varint.h), so the replay
 * is checked against the format document, not against the shim's encoder.
 *
 * Checked: site_counts_at makes zeroed entries, keeps them across growth,
 * and refuses ids beyond 32 bits; a SITE record adds its allocation and
 * free groups to its site, whatever their ages, and its events by kind to
 * the totals (kinds this reader does not know in their own bucket); the
 * first record to name a site gives it its module; INHERIT and REACH add
 * to their site (a REACH kind this reader does not know apart); EPOCH sets
 * the reference; a malformed record changes nothing and returns -1; tags
 * this reader does not know, format 1's included, are skipped. Outstanding
 * is inherit + alloc - free, with the excess counted when frees exceed what
 * the site held, and no bytes without blocks. Kinds: unscanned, all is
 * unclassified; scanned, REACH counts split the outstanding blocks, never
 * more than there are, and what they do not cover is unclassified and
 * counted missing unless a REACH of an unknown kind covers it. The order of
 * records does not matter: a site's frees may come before its allocations
 * (a later flush, another block), and 2000 records shuffled give the same
 * counts as in order.
 * Windows: a since window keeps the epochs that began at or after its
 * start (from the FLUSH marks and the trace's start), drops a candidate epoch that a later mark
 * shows began before, follows epochs longer than a flush, and is empty
 * when it starts after the last mark; a cut rolls the sites changed since
 * the last mark back (window counts too) and leaves the others; the dirty
 * list names each changed site once per flush; a window holding part of a
 * scanned site gets each kind's share.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/trace_format.h"
#include "heapblame/varint.h"
#include "leak_kind.h"
#include "site_counts.h"

/* ---- building records ------------------------------------------------------ */

struct rec {
	uint8_t body[512];
	size_t len;
	struct trace_record r;
};

static void put(struct rec *b, uint64_t v)
{
	ck_assert_uint_le(b->len + HB_VARINT_MAX, sizeof(b->body));
	b->len += hb_put_uvarint(b->body + b->len, v);
}

static const struct trace_record *done(struct rec *b, unsigned tag)
{
	b->r.tag = tag;
	b->r.body = b->body;
	b->r.len = b->len;
	return &b->r;
}

struct grp {
	uint64_t kind, age, count, bytes;
};

static const struct trace_record *site_rec(struct rec *b, uint64_t stack, const struct grp *a, unsigned na,
					   const struct grp *f, unsigned nf)
{
	b->len = 0;
	put(b, stack);
	put(b, na);
	for (unsigned i = 0; i < na; i++) {
		put(b, a[i].kind);
		put(b, a[i].age);
		put(b, a[i].count);
		put(b, a[i].bytes);
	}
	put(b, nf);
	for (unsigned i = 0; i < nf; i++) {
		put(b, f[i].kind);
		put(b, f[i].age);
		put(b, f[i].count);
		put(b, f[i].bytes);
	}
	return done(b, HB_REC_SITE);
}

static const struct trace_record *rec3(struct rec *b, unsigned tag, uint64_t x, uint64_t y, uint64_t z)
{
	b->len = 0;
	put(b, x);
	put(b, y);
	put(b, z);
	return done(b, tag);
}

static const struct trace_record *reach_rec(struct rec *b, uint64_t stack, uint64_t kind, uint64_t count,
					    uint64_t bytes)
{
	b->len = 0;
	put(b, stack);
	put(b, kind);
	put(b, count);
	put(b, bytes);
	return done(b, HB_REC_REACH);
}

static const struct trace_record *epoch_rec(struct rec *b, uint64_t epoch)
{
	b->len = 0;
	put(b, epoch);
	return done(b, HB_REC_EPOCH);
}

static void apply_ok(struct site_counts *c, uint32_t module, const struct trace_record *r)
{
	ck_assert_int_eq(site_counts_apply(c, module, r), 0);
}

static void assert_tally(const struct leak_tally *t, unsigned k, uint64_t blocks, uint64_t bytes)
{
	ck_assert_msg(t->blocks[k] == blocks && t->bytes[k] == bytes, "%s: %llu blocks %llu bytes, want %llu %llu",
		      leak_kind_name(k), (unsigned long long)t->blocks[k], (unsigned long long)t->bytes[k],
		      (unsigned long long)blocks, (unsigned long long)bytes);
}

/* ---- entries ----------------------------------------------------------------- */

START_TEST(entries_start_zeroed_and_survive_growth)
{
	struct site_counts c = {0};
	struct site_count *s = site_counts_at(&c, 5);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->seen, 0);
	ck_assert_uint_eq(s->total.alloc_count, 0);
	ck_assert_uint_eq(s->id, 5);
	ck_assert_uint_eq(c.n, 1);
	s->total.alloc_count = 42;
	/* far beyond: one more entry, not an array up to it, and the old
	 * entry stays (a trace naming stack 4 000 000 000 asked for 32 GB) */
	struct site_count *far = site_counts_at(&c, 4000000000u);
	ck_assert_ptr_nonnull(far);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_le(c.cap, 256);
	ck_assert_uint_eq(far->total.alloc_count, 0);
	ck_assert_int_eq(far->seen, 0);
	ck_assert_uint_eq(site_counts_at(&c, 5)->total.alloc_count, 42);
	ck_assert_ptr_eq(site_counts_find(&c, 4000000000u), site_counts_at(&c, 4000000000u));
	ck_assert_ptr_null(site_counts_find(&c, 6));
	/* many: every one found again, each with its own count */
	for (uint64_t id = 0; id < 5000; id++)
		site_counts_at(&c, id * 7919 + 11)->total.free_count = id;
	ck_assert_uint_eq(c.n, 5002);
	for (uint64_t id = 0; id < 5000; id++)
		ck_assert_uint_eq(site_counts_find(&c, id * 7919 + 11)->total.free_count, id);
	ck_assert_uint_eq(site_counts_find(&c, 5)->total.alloc_count, 42);
	/* ids are 32 bits */
	ck_assert_ptr_null(site_counts_at(&c, 1ull << 32));
	ck_assert_ptr_null(site_counts_at(&c, UINT64_MAX));
	site_counts_free(&c);
	ck_assert_ptr_null(c.by_stack);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

/* ---- applying records ---------------------------------------------------------- */

START_TEST(site_adds_its_groups_to_the_site_and_the_totals)
{
	struct site_counts c = {0};
	struct rec b;
	struct grp a[] = {{HB_ALLOC_MALLOC, 0, 3, 30}, {HB_ALLOC_CALLOC, 5, 2, 200}, {HB_ALLOC_PVALLOC, 64, 1, 4096},
			  {HB_ALLOC_KIND_COUNT + 3, 0, 7, 70}}; /* a kind from the future */
	struct grp f[] = {{HB_FREE_FREE, 0, 2, 20}, {HB_FREE_REALLOC, 1000, 1, 100}, {99, 0, 1, 1}};
	apply_ok(&c, 4, site_rec(&b, 9, a, 4, f, 3));
	struct site_count *s = site_counts_at(&c, 9);
	ck_assert_int_eq(s->seen, 1);
	ck_assert_uint_eq(s->module, 4);
	ck_assert_uint_eq(s->total.alloc_count, 13);
	ck_assert_uint_eq(s->total.alloc_bytes, 30 + 200 + 4096 + 70);
	ck_assert_uint_eq(s->total.free_count, 4);
	ck_assert_uint_eq(s->total.free_bytes, 121);
	ck_assert_uint_eq(c.ev.sites, 1);
	ck_assert_uint_eq(c.ev.alloc_events[HB_ALLOC_MALLOC], 3);
	ck_assert_uint_eq(c.ev.alloc_events[HB_ALLOC_CALLOC], 2);
	ck_assert_uint_eq(c.ev.alloc_events[HB_ALLOC_PVALLOC], 1);
	ck_assert_uint_eq(c.ev.alloc_events[HB_ALLOC_KIND_COUNT], 7);
	ck_assert_uint_eq(c.ev.free_events[HB_FREE_FREE], 2);
	ck_assert_uint_eq(c.ev.free_events[HB_FREE_REALLOC], 1);
	ck_assert_uint_eq(c.ev.free_events[HB_FREE_KIND_COUNT], 1);
	/* a second record of the site adds; one from another stream does not
	 * move the site (its module is the first stream's) */
	apply_ok(&c, 6, site_rec(&b, 9, a, 1, NULL, 0));
	ck_assert_uint_eq(s->module, 4);
	ck_assert_uint_eq(s->total.alloc_count, 16);
	ck_assert_uint_eq(c.ev.sites, 2);
	/* an empty SITE is a site seen */
	apply_ok(&c, 2, site_rec(&b, 11, NULL, 0, NULL, 0));
	ck_assert_int_eq(site_counts_at(&c, 11)->seen, 1);
	ck_assert_uint_eq(site_counts_at(&c, 11)->module, 2);
	ck_assert_uint_eq(c.ev.sites, 3);
	/* stack 0 (no module) is a site like any */
	apply_ok(&c, 0, site_rec(&b, 0, a, 1, NULL, 0));
	ck_assert_uint_eq(site_counts_at(&c, 0)->total.alloc_count, 3);
	ck_assert_int_eq(site_counts_at(&c, 0)->seen, 1);
	site_counts_free(&c);
}
END_TEST

START_TEST(inherit_reach_and_epoch_apply)
{
	struct site_counts c = {0};
	struct rec b;
	apply_ok(&c, 3, rec3(&b, HB_REC_INHERIT, 7, 5, 500));
	apply_ok(&c, 3, rec3(&b, HB_REC_INHERIT, 7, 1, 8));
	struct site_count *s = site_counts_at(&c, 7);
	ck_assert_int_eq(s->seen, 1);
	ck_assert_uint_eq(s->module, 3);
	ck_assert_uint_eq(s->total.inherit_count, 6);
	ck_assert_uint_eq(s->total.inherit_bytes, 508);
	ck_assert_uint_eq(c.ev.inherited_blocks, 6);
	ck_assert_uint_eq(c.ev.sites, 0); /* not SITE records */
	apply_ok(&c, 3, reach_rec(&b, 7, HB_REACH_DEFINITE, 2, 20));
	apply_ok(&c, 3, reach_rec(&b, 7, HB_REACH_INDIRECT, 1, 10));
	apply_ok(&c, 3, reach_rec(&b, 7, HB_REACH_DEFINITE, 1, 5));
	apply_ok(&c, 3, reach_rec(&b, 7, HB_REACH_KIND_COUNT, 4, 40)); /* unknown */
	apply_ok(&c, 3, reach_rec(&b, 7, UINT64_MAX, 1, 1));
	ck_assert_uint_eq(s->reach_count[HB_REACH_DEFINITE], 3);
	ck_assert_uint_eq(s->reach_bytes[HB_REACH_DEFINITE], 25);
	ck_assert_uint_eq(s->reach_count[HB_REACH_INDIRECT], 1);
	ck_assert_uint_eq(s->reach_count[HB_REACH_REACHABLE], 0);
	ck_assert_uint_eq(s->reach_unknown_count, 5);
	ck_assert_uint_eq(s->reach_unknown_bytes, 41);
	/* a REACH alone makes its site seen, in its stream's module */
	apply_ok(&c, 8, reach_rec(&b, 20, HB_REACH_REACHABLE, 1, 1));
	ck_assert_int_eq(site_counts_at(&c, 20)->seen, 1);
	ck_assert_uint_eq(site_counts_at(&c, 20)->module, 8);
	apply_ok(&c, 3, epoch_rec(&b, 12345));
	ck_assert_uint_eq(c.epoch, 12345);
	apply_ok(&c, 3, epoch_rec(&b, UINT64_MAX));
	ck_assert_uint_eq(c.epoch, UINT64_MAX);
	site_counts_free(&c);
}
END_TEST

START_TEST(malformed_records_change_nothing)
{
	struct site_counts c = {0};
	struct rec b;
	struct grp a[] = {{0, 0, 3, 30}, {1, 0, 2, 20}};
	apply_ok(&c, 1, site_rec(&b, 4, a, 1, NULL, 0));
	struct site_counts before = c;
	struct site_count s_before = *site_counts_at(&c, 4);
	/* every cut of a SITE, an INHERIT, a REACH, an EPOCH */
	const struct trace_record *full[4];
	struct rec bs[4];
	full[0] = site_rec(&bs[0], 4, a, 2, a, 1);
	full[1] = rec3(&bs[1], HB_REC_INHERIT, 4, 1, 1);
	full[2] = reach_rec(&bs[2], 4, 0, 1, 1);
	full[3] = epoch_rec(&bs[3], 300);
	for (int k = 0; k < 4; k++)
		for (size_t len = 0; len < full[k]->len; len++) {
			struct trace_record cut = {full[k]->tag, full[k]->body, len};
			ck_assert_msg(site_counts_apply(&c, 1, &cut) == -1, "tag %u cut to %zu", cut.tag, len);
		}
	/* a SITE whose group count runs past its body */
	b.len = 0;
	put(&b, 4);
	put(&b, 1000);
	put(&b, 0);
	ck_assert_int_eq(site_counts_apply(&c, 1, done(&b, HB_REC_SITE)), -1);
	/* ids beyond 32 bits */
	ck_assert_int_eq(site_counts_apply(&c, 1, site_rec(&b, 1ull << 32, a, 1, NULL, 0)), -1);
	ck_assert_int_eq(site_counts_apply(&c, 1, rec3(&b, HB_REC_INHERIT, 1ull << 32, 1, 1)), -1);
	ck_assert_int_eq(site_counts_apply(&c, 1, reach_rec(&b, UINT64_MAX, 0, 1, 1)), -1);
	/* nothing moved */
	struct site_count *s = site_counts_at(&c, 4);
	ck_assert_int_eq(memcmp(s, &s_before, sizeof(*s)), 0);
	ck_assert_int_eq(memcmp(&c.ev, &before.ev, sizeof(c.ev)), 0);
	ck_assert_uint_eq(c.epoch, 0);
	site_counts_free(&c);
}
END_TEST

START_TEST(unknown_tags_are_skipped)
{
	struct site_counts c = {0};
	struct rec b;
	struct grp a[] = {{0, 0, 3, 30}};
	/* format 1's ALLOC, FREE, FOLD, REACH (16..19), a future tag, and a
	 * meta tag in an events stream, each with a body that would be a
	 * valid SITE */
	static const unsigned tags[] = {16, 17, 18, 19, 25, 1000, HB_REC_PROCESS, HB_REC_FLUSH}; /* 24: OWNED */
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		site_rec(&b, 4, a, 1, NULL, 0);
		b.r.tag = tags[i];
		ck_assert_int_eq(site_counts_apply(&c, 1, &b.r), 0);
	}
	ck_assert_uint_eq(c.ev.sites, 0);
	for (size_t i = 0; i < c.n; i++)
		ck_assert_int_eq(c.by_stack[i].seen, 0);
	site_counts_free(&c);
}
END_TEST

/* ---- outstanding and kinds ----------------------------------------------------- */

static struct site_count sc_of(uint64_t inherit, uint64_t alloc, uint64_t freed, uint64_t inherit_b, uint64_t alloc_b,
			       uint64_t free_b)
{
	struct site_count s;
	memset(&s, 0, sizeof(s));
	s.seen = 1;
	s.total.inherit_count = inherit;
	s.total.inherit_bytes = inherit_b;
	s.total.alloc_count = alloc;
	s.total.alloc_bytes = alloc_b;
	s.total.free_count = freed;
	s.total.free_bytes = free_b;
	return s;
}

START_TEST(outstanding_is_inherit_plus_alloc_minus_free)
{
	static const struct {
		uint64_t in, al, fr, in_b, al_b, fr_b;
		uint64_t blocks, bytes, excess;
	} cases[] = {
		{0, 0, 0, 0, 0, 0, 0, 0, 0},
		{0, 10, 0, 0, 100, 0, 10, 100, 0},
		{0, 10, 4, 0, 100, 40, 6, 60, 0},
		{0, 10, 10, 0, 100, 100, 0, 0, 0},            /* all freed */
		{3, 10, 4, 30, 100, 40, 9, 90, 0},            /* inherited blocks count */
		{5, 0, 5, 50, 0, 50, 0, 0, 0},                /* inherited, all freed */
		{0, 10, 13, 0, 100, 130, 0, 0, 3},            /* frees beyond: the excess */
		{2, 1, 4, 20, 10, 40, 0, 0, 1},
		{0, 10, 4, 0, 100, 200, 6, 0, 0},             /* bytes freed beyond: no negative bytes */
		{0, 10, 10, 0, 100, 50, 0, 0, 0},             /* no blocks, no bytes */
		{0, UINT64_MAX, 1, 0, UINT64_MAX, 1, UINT64_MAX - 1, UINT64_MAX - 1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct site_count s = sc_of(cases[i].in, cases[i].al, cases[i].fr, cases[i].in_b, cases[i].al_b,
					    cases[i].fr_b);
		uint64_t blocks = 77, bytes = 77, excess = 77;
		site_tally_outstanding(&s.total, &blocks, &bytes, &excess);
		ck_assert_msg(blocks == cases[i].blocks && bytes == cases[i].bytes && excess == cases[i].excess,
			      "case %zu: %llu blocks %llu bytes %llu excess", i, (unsigned long long)blocks,
			      (unsigned long long)bytes, (unsigned long long)excess);
	}
}
END_TEST

START_TEST(kinds_split_by_reach_the_rest_unclassified_and_missing)
{
	/* 10 outstanding blocks of 100 bytes */
	struct site_count s = sc_of(0, 12, 2, 0, 120, 20);
	struct leak_tally t;
	uint64_t missing = 5; /* added to, not set */
	/* unscanned: all unclassified, nothing missing */
	site_count_kinds(&s, &s.total, 0, &t, &missing);
	assert_tally(&t, LEAK_UNCLASSIFIED, 10, 100);
	assert_tally(&t, LEAK_DEFINITE, 0, 0);
	ck_assert_uint_eq(missing, 5);
	/* REACH counts of every kind set: still all unclassified unscanned */
	s.reach_count[HB_REACH_DEFINITE] = 4;
	s.reach_bytes[HB_REACH_DEFINITE] = 40;
	s.reach_count[HB_REACH_INDIRECT] = 1;
	s.reach_bytes[HB_REACH_INDIRECT] = 10;
	s.reach_count[HB_REACH_REACHABLE] = 2;
	s.reach_bytes[HB_REACH_REACHABLE] = 20;
	site_count_kinds(&s, &s.total, 0, &t, &missing);
	assert_tally(&t, LEAK_UNCLASSIFIED, 10, 100);
	ck_assert_uint_eq(missing, 5);
	/* scanned: split, 3 blocks in no REACH record: unclassified, missing */
	site_count_kinds(&s, &s.total, 1, &t, &missing);
	assert_tally(&t, LEAK_DEFINITE, 4, 40);
	assert_tally(&t, LEAK_INDIRECT, 1, 10);
	assert_tally(&t, LEAK_REACHABLE, 2, 20);
	assert_tally(&t, LEAK_UNCLASSIFIED, 3, 30);
	ck_assert_uint_eq(missing, 8);
	/* a REACH of a kind this reader does not know covers 2 of them: those
	 * are unclassified by rule, not missing */
	s.reach_unknown_count = 2;
	s.reach_unknown_bytes = 20;
	missing = 0;
	site_count_kinds(&s, &s.total, 1, &t, &missing);
	assert_tally(&t, LEAK_UNCLASSIFIED, 3, 30);
	ck_assert_uint_eq(missing, 1);
	/* fully covered: nothing unclassified, nothing missing */
	s.reach_count[HB_REACH_REACHABLE] = 5;
	s.reach_bytes[HB_REACH_REACHABLE] = 50;
	s.reach_unknown_count = s.reach_unknown_bytes = 0;
	missing = 0;
	site_count_kinds(&s, &s.total, 1, &t, &missing);
	assert_tally(&t, LEAK_REACHABLE, 5, 50);
	assert_tally(&t, LEAK_UNCLASSIFIED, 0, 0);
	ck_assert_uint_eq(missing, 0);
	uint64_t total = 0;
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		total += t.blocks[k];
	ck_assert_uint_eq(total, 10);
}
END_TEST

START_TEST(kinds_never_exceed_what_is_outstanding)
{
	/* REACH says 8 definite, but only 3 blocks are outstanding (frees
	 * after the scan would be damage; so would a doubled REACH) */
	struct site_count s = sc_of(0, 5, 2, 0, 50, 20);
	s.reach_count[HB_REACH_DEFINITE] = 8;
	s.reach_bytes[HB_REACH_DEFINITE] = 80;
	s.reach_count[HB_REACH_REACHABLE] = 4;
	s.reach_bytes[HB_REACH_REACHABLE] = 40;
	struct leak_tally t;
	uint64_t missing = 0;
	site_count_kinds(&s, &s.total, 1, &t, &missing);
	assert_tally(&t, LEAK_DEFINITE, 3, 30);
	assert_tally(&t, LEAK_REACHABLE, 0, 0);
	assert_tally(&t, LEAK_UNCLASSIFIED, 0, 0);
	ck_assert_uint_eq(missing, 0);
	/* nothing outstanding: nothing of any kind */
	struct site_count z = sc_of(0, 5, 5, 0, 50, 50);
	z.reach_count[HB_REACH_DEFINITE] = 1;
	site_count_kinds(&z, &z.total, 1, &t, &missing);
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		assert_tally(&t, k, 0, 0);
	ck_assert_uint_eq(missing, 0);
}
END_TEST

/* ---- order ---------------------------------------------------------------------- */

START_TEST(frees_before_their_allocations_give_the_same_counts)
{
	/* a site allocates 10 blocks in one flush and frees 7 in the next;
	 * a reader that sees the free groups first (another block order)
	 * ends with the same 3 outstanding */
	struct rec b;
	struct grp a[] = {{HB_ALLOC_MALLOC, 0, 10, 1000}};
	struct grp f[] = {{HB_FREE_FREE, 1, 7, 700}};
	struct site_counts in_order = {0}, reversed = {0};
	apply_ok(&in_order, 2, site_rec(&b, 5, a, 1, NULL, 0));
	apply_ok(&in_order, 2, site_rec(&b, 5, NULL, 0, f, 1));
	apply_ok(&reversed, 2, site_rec(&b, 5, NULL, 0, f, 1));
	uint64_t blocks, bytes, excess;
	/* in between, the reversed reader sees frees it cannot match yet */
	site_tally_outstanding(&site_counts_at(&reversed, 5)->total, &blocks, &bytes, &excess);
	ck_assert_uint_eq(blocks, 0);
	ck_assert_uint_eq(excess, 7);
	apply_ok(&reversed, 2, site_rec(&b, 5, a, 1, NULL, 0));
	struct site_counts *both[2] = {&in_order, &reversed};
	for (int i = 0; i < 2; i++) {
		site_tally_outstanding(&site_counts_at(both[i], 5)->total, &blocks, &bytes, &excess);
		ck_assert_uint_eq(blocks, 3);
		ck_assert_uint_eq(bytes, 300);
		ck_assert_uint_eq(excess, 0);
		ck_assert_uint_eq(both[i]->ev.sites, 2);
	}
	site_counts_free(&in_order);
	site_counts_free(&reversed);
}
END_TEST

START_TEST(shuffled_records_give_the_same_counts)
{
	enum { NREC = 2000, NSITES = 50 };
	static struct rec recs[NREC];
	uint64_t x = 0x1234567;
	for (unsigned i = 0; i < NREC; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t stack = (x >> 33) % NSITES + 1;
		struct grp a[2] = {{(x >> 20) % 9, (x >> 10) % 100, (x >> 40) % 5 + 1, (x >> 44) % 1000},
				   {(x >> 21) % 9, 0, 1, 16}};
		struct grp f[1] = {{(x >> 22) % 4, (x >> 12) % 70, (x >> 50) % 3, (x >> 52) % 100}};
		switch (i % 4) {
		case 0: site_rec(&recs[i], stack, a, 2, f, 1); break;
		case 1: site_rec(&recs[i], stack, NULL, 0, f, 1); break;
		case 2: rec3(&recs[i], HB_REC_INHERIT, stack, (x >> 30) % 4, (x >> 34) % 400); break;
		default: reach_rec(&recs[i], stack, (x >> 36) % 4, (x >> 38) % 3, (x >> 40) % 30); break;
		}
		recs[i].r.body = recs[i].body; /* the struct was copied into the array */
	}
	struct site_counts ordered = {0}, shuffled = {0};
	for (unsigned i = 0; i < NREC; i++)
		apply_ok(&ordered, 1, &recs[i].r);
	unsigned order[NREC];
	for (unsigned i = 0; i < NREC; i++)
		order[i] = i;
	for (unsigned i = NREC - 1; i > 0; i--) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned j = (unsigned)((x >> 33) % (i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < NREC; i++)
		apply_ok(&shuffled, 1, &recs[order[i]].r);
	for (uint64_t st = 1; st <= NSITES; st++) {
		const struct site_count *a = site_counts_at(&ordered, st), *b = site_counts_at(&shuffled, st);
		ck_assert_int_eq(memcmp(a, b, sizeof(*a)), 0);
	}
	ck_assert_int_eq(memcmp(&ordered.ev, &shuffled.ev, sizeof(ordered.ev)), 0);
	ck_assert_uint_eq(ordered.ev.sites, NREC / 2);
	site_counts_free(&ordered);
	site_counts_free(&shuffled);
}
END_TEST

/* ---- windows ----------------------------------------------------------------- */

/* One flush of a trace: the EPOCH record of its stream, then one SITE of
 * stack 7 allocating n blocks of 100 B in the flush's epoch and freeing
 * nf of the blocks of epoch free_epoch, then its FLUSH mark at t_ns. */
static void flush(struct site_counts *c, uint64_t epoch, uint64_t t_ns, uint64_t n, uint64_t nf,
		  uint64_t free_epoch)
{
	struct rec b;
	apply_ok(c, 1, epoch_rec(&b, epoch));
	struct grp a = {HB_ALLOC_MALLOC, 0, n, n * 100}, f = {HB_FREE_FREE, epoch - free_epoch, nf, nf * 100};
	apply_ok(c, 1, site_rec(&b, 7, &a, n ? 1 : 0, &f, nf ? 1 : 0));
	site_counts_mark(c, t_ns, epoch);
}

static uint64_t window_blocks(const struct site_counts *c, uint64_t stack)
{
	struct site_tally t = site_count_window(c, site_counts_find(c, stack));
	uint64_t blocks, bytes, excess;
	site_tally_outstanding(&t, &blocks, &bytes, &excess);
	ck_assert_uint_eq(bytes, blocks * 100);
	return blocks;
}

/* Flushes at 1 s, 2 s, ... each beginning the next epoch (epoch k at k s).
 * --since 2.5 s: the last mark before it is 2 s (epoch 2), so the window
 * holds epochs 3 on: the blocks of flushes 3, 4 and 5, less their frees;
 * frees of older blocks do not touch it. */
START_TEST(since_keeps_the_epochs_that_began_at_or_after_it)
{
	struct site_counts c = {0};
	site_counts_since(&c, 2500000000ull);
	for (uint64_t e = 1; e <= 5; e++)
		flush(&c, e, e * 1000000000ull, 10 * e, e >= 2 ? 1 : 0, e >= 4 ? 3 : 1);
	/* all: 10+20+30+40+50 = 150 allocated, 4 freed */
	uint64_t blocks, bytes, excess;
	site_tally_outstanding(&site_counts_find(&c, 7)->total, &blocks, &bytes, &excess);
	ck_assert_uint_eq(blocks, 146);
	/* window: epochs 3, 4, 5 = 30+40+50, less the frees of epoch-3 blocks in flushes 4 and 5 */
	ck_assert_uint_eq(window_blocks(&c, 7), 118);
	site_counts_free(&c);
}
END_TEST

/* A window's first epoch is only known when a mark at or after its start
 * is passed: counts of a candidate epoch are dropped when the next mark is
 * still before the start, and kept when it is not. A window that starts
 * after the last mark holds nothing. */
START_TEST(since_drops_a_candidate_epoch_that_began_before)
{
	struct site_counts c = {0};
	site_counts_since(&c, 3500000000ull);
	for (uint64_t e = 1; e <= 3; e++)
		flush(&c, e, e * 1000000000ull, 5, 0, e);
	ck_assert_uint_eq(window_blocks(&c, 7), 0); /* not started yet */
	flush(&c, 4, 4000000000ull, 5, 0, 4);
	ck_assert_uint_eq(window_blocks(&c, 7), 5);  /* epoch 4 began at the flush of 4 s */
	flush(&c, 5, 5000000000ull, 5, 0, 5);
	ck_assert_uint_eq(window_blocks(&c, 7), 10);
	site_counts_free(&c);

	struct site_counts late = {0};
	site_counts_since(&late, 60000000000ull);
	for (uint64_t e = 1; e <= 3; e++)
		flush(&late, e, e * 1000000000ull, 5, 0, e);
	ck_assert_uint_eq(window_blocks(&late, 7), 0);
	site_counts_free(&late);
}
END_TEST

/* The trace's start is a mark: a window starting before the first flush
 * leaves out the first epoch (it began at 0, before the window), one
 * starting at 0 keeps the trace's own blocks from its first epoch on and
 * never a fork child's inherited ones (epochs before its first), nor
 * their frees. */
START_TEST(since_counts_the_start_as_a_mark)
{
	struct site_counts c = {0};
	site_counts_since(&c, 500000000ull);
	site_counts_start(&c, 0);
	flush(&c, 1, 1000000000ull, 5, 0, 1); /* allocations of epoch 0 reported at the first flush */
	struct rec b;
	apply_ok(&c, 1, epoch_rec(&b, 1));
	struct grp a = {HB_ALLOC_MALLOC, 1, 7, 700};
	apply_ok(&c, 1, site_rec(&b, 7, &a, 1, NULL, 0)); /* epoch 0: before the window */
	flush(&c, 2, 2000000000ull, 3, 0, 2);
	ck_assert_uint_eq(window_blocks(&c, 7), 8); /* epochs 1 and 2 */
	site_counts_free(&c);

	struct site_counts child = {0};
	site_counts_since(&child, 0);
	site_counts_start(&child, 40); /* a fork child: epochs before 40 are its parent's */
	apply_ok(&child, 1, epoch_rec(&b, 41));
	struct grp own = {HB_ALLOC_MALLOC, 1, 10, 1000}, inherited = {HB_FREE_FREE, 11, 50, 5000};
	apply_ok(&child, 1, site_rec(&b, 7, &own, 1, &inherited, 1));
	site_counts_mark(&child, 1000000000ull, 41);
	ck_assert_uint_eq(window_blocks(&child, 7), 10);
	site_counts_free(&child);
}
END_TEST

/* Epochs that do not advance at every flush (a 250 ms period with 1 s
 * epochs): a mark before the start with the same epoch as the previous
 * does not move the window. */
START_TEST(since_follows_epochs_longer_than_a_flush)
{
	struct site_counts c = {0};
	site_counts_since(&c, 1100000000ull);
	uint64_t t = 0, e = 0;
	for (int i = 1; i <= 12; i++) { /* marks every 250 ms, an epoch per 4 */
		t += 250000000ull;
		if (i % 4 == 0)
			e++;
		flush(&c, e ? e : 0, t, 1, 0, e);
	}
	/* marks before 1.1 s: 0.25 .. 1.0 s, the last of epoch 1; window = epochs 2 on,
	 * allocated in flushes 8..12 (epoch 2 began at 2.0 s: flush 8) */
	ck_assert_uint_eq(window_blocks(&c, 7), 5);
	site_counts_free(&c);
}
END_TEST

/* --at: a cut after the changes of an unfinished flush rolls every site
 * they touched back to the last mark, the since window's counts with it;
 * sites they did not touch keep their state. */
START_TEST(cut_rolls_back_to_the_last_mark)
{
	struct site_counts c = {0};
	site_counts_windows(&c, 1);
	site_counts_since(&c, 1500000000ull);
	struct rec b;
	flush(&c, 1, 1000000000ull, 3, 0, 1);
	flush(&c, 2, 2000000000ull, 4, 1, 2);
	struct grp a = {HB_ALLOC_MALLOC, 0, 50, 5000};
	apply_ok(&c, 1, epoch_rec(&b, 3));
	apply_ok(&c, 1, site_rec(&b, 7, &a, 1, NULL, 0));
	apply_ok(&c, 1, site_rec(&b, 9, &a, 1, NULL, 0));
	ck_assert_uint_eq(c.ndirty, 2);
	site_counts_cut(&c);
	uint64_t blocks, bytes, excess;
	site_tally_outstanding(&site_counts_find(&c, 7)->total, &blocks, &bytes, &excess);
	ck_assert_uint_eq(blocks, 6);
	site_tally_outstanding(&site_counts_find(&c, 9)->total, &blocks, &bytes, &excess);
	ck_assert_uint_eq(blocks, 0);
	ck_assert_uint_eq(window_blocks(&c, 7), 3); /* epoch 2's 4, less the 1 freed */
	site_counts_free(&c);
}
END_TEST

/* The dirty list holds each site changed since the last mark once. */
START_TEST(dirty_lists_each_changed_site_once)
{
	struct site_counts c = {0};
	struct rec b;
	struct grp a = {HB_ALLOC_MALLOC, 0, 1, 8};
	for (int i = 0; i < 3; i++) {
		apply_ok(&c, 1, site_rec(&b, 4, &a, 1, NULL, 0));
		apply_ok(&c, 1, site_rec(&b, 600, &a, 1, NULL, 0));
	}
	ck_assert_uint_eq(c.ndirty, 2);
	ck_assert_uint_eq(c.by_stack[c.dirty[0]].id, 4); /* the dirty list holds slots */
	ck_assert_uint_eq(c.by_stack[c.dirty[1]].id, 600);
	site_counts_mark(&c, 1, 0);
	ck_assert_uint_eq(c.ndirty, 0);
	apply_ok(&c, 1, site_rec(&b, 600, &a, 1, NULL, 0));
	ck_assert_uint_eq(c.ndirty, 1);
	site_counts_free(&c);
}
END_TEST

/* A window holding part of a scanned site gets each kind's share. */
START_TEST(window_kinds_are_shares_of_the_site)
{
	struct site_counts c = {0};
	struct rec b;
	struct grp a = {HB_ALLOC_MALLOC, 0, 100, 10000};
	apply_ok(&c, 1, site_rec(&b, 3, &a, 1, NULL, 0));
	apply_ok(&c, 1, reach_rec(&b, 3, HB_REACH_DEFINITE, 75, 7500));
	apply_ok(&c, 1, reach_rec(&b, 3, HB_REACH_REACHABLE, 25, 2500));
	struct site_tally w = {.alloc_count = 10, .alloc_bytes = 1000};
	struct leak_tally t;
	uint64_t missing = 0;
	site_count_kinds(site_counts_find(&c, 3), &w, 1, &t, &missing);
	assert_tally(&t, LEAK_DEFINITE, 8, 750 + 0);
	assert_tally(&t, LEAK_REACHABLE, 2, 250);
	ck_assert_uint_eq(missing, 0);
	site_counts_free(&c);
}
END_TEST

static Suite *site_counts_suite(void)
{
	Suite *s = suite_create("site_counts");
	TCase *tc = tcase_create("site_counts");
	tcase_add_test(tc, entries_start_zeroed_and_survive_growth);
	tcase_add_test(tc, site_adds_its_groups_to_the_site_and_the_totals);
	tcase_add_test(tc, inherit_reach_and_epoch_apply);
	tcase_add_test(tc, malformed_records_change_nothing);
	tcase_add_test(tc, unknown_tags_are_skipped);
	tcase_add_test(tc, outstanding_is_inherit_plus_alloc_minus_free);
	tcase_add_test(tc, kinds_split_by_reach_the_rest_unclassified_and_missing);
	tcase_add_test(tc, kinds_never_exceed_what_is_outstanding);
	tcase_add_test(tc, frees_before_their_allocations_give_the_same_counts);
	tcase_add_test(tc, shuffled_records_give_the_same_counts);
	tcase_add_test(tc, since_keeps_the_epochs_that_began_at_or_after_it);
	tcase_add_test(tc, since_drops_a_candidate_epoch_that_began_before);
	tcase_add_test(tc, since_follows_epochs_longer_than_a_flush);
	tcase_add_test(tc, since_counts_the_start_as_a_mark);
	tcase_add_test(tc, cut_rolls_back_to_the_last_mark);
	tcase_add_test(tc, dirty_lists_each_changed_site_once);
	tcase_add_test(tc, window_kinds_are_shares_of_the_site);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(site_counts_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
