/*
 * test_live_table.c - unit tests for shim/live_table.h, the sharded
 * open-addressing table of live blocks (address -> record).
 *
 * Checked: 200k random addresses under random insert/remove churn agree with
 * a reference model at every step, and foreach shows exactly the reference's
 * records; removing a cluster of colliding records (homes that wrap round the
 * end of a shard) in every possible order leaves every other record findable,
 * so backward-shift deletion keeps probe chains intact; a duplicate address
 * returns 1 with the replaced record; collect hands out each unemitted record
 * exactly once, resumes with its cursor, survives the shard growing between
 * two calls, and skips records inserted already emitted; counts and the
 * unemitted counter stay exact; and four threads inserting and removing
 * disjoint address sets leave the table empty.
 *
 * To aim records at one shard and one home slot the test recomputes the
 * placement that live_table.h's prefetch helper spells out: h = (addr >> 4)
 * * 0x9E3779B97F4A7C15, shard = top 8 bits of h, slot = (h ^ h >> 29) & mask.
 * A freshly grown shard has 64 slots.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "live_table.h"

#define FIRST_SLOTS 64u

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t hash_of(uintptr_t addr)
{
	return (uint64_t)(addr >> 4) * 0x9E3779B97F4A7C15ull;
}

static unsigned shard_of(uintptr_t addr)
{
	return (unsigned)(hash_of(addr) >> (64 - HB_LIVE_SHARD_BITS));
}

static uint64_t home_of(uintptr_t addr, uint64_t mask)
{
	uint64_t h = hash_of(addr);
	return (h ^ (h >> 29)) & mask;
}

static struct hb_live_table *table_new(void)
{
	struct hb_live_table *t = aligned_alloc(64, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	memset(t, 0, sizeof(*t));
	return t;
}

static struct hb_live_rec rec_for(uintptr_t addr, uint64_t id)
{
	struct hb_live_rec r;
	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.id = id;
	r.size = id * 8 + 1;
	r.stack = (uint32_t)(id % 1000 + 1);
	r.module = (uint32_t)(id % 5 + 1);
	r.kind = (uint8_t)(id % 9);
	return r;
}

static void assert_rec_eq(const struct hb_live_rec *a, const struct hb_live_rec *b)
{
	ck_assert_uint_eq(a->addr, b->addr);
	ck_assert_uint_eq(a->id, b->id);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert_uint_eq(a->stack, b->stack);
	ck_assert_uint_eq(a->module, b->module);
	ck_assert_uint_eq(a->kind, b->kind);
}

/* Findable without changing anything: re-inserting the same record must
 * report it as present (1) and hand back the identical record. */
static void assert_findable(struct hb_live_table *t, const struct hb_live_rec *r)
{
	struct hb_live_rec old;
	memset(&old, 0, sizeof(old));
	ck_assert_int_eq(hb_live_table_insert(t, r, &old), 1);
	assert_rec_eq(&old, r);
}

static uint64_t total_unemitted(const struct hb_live_table *t)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		n += t->shard[i].unemitted;
	return n;
}

/* ---- reference churn ---------------------------------------------------- */

enum { NADDR = 200000 };

struct ref {
	uintptr_t addr[NADDR];
	uint8_t present[NADDR];
	uint8_t visited[NADDR];
	uint64_t count;
	int bad;
};

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* 200k distinct, 16-byte aligned, non-zero random addresses. */
static void make_addresses(struct ref *ref)
{
	uintptr_t *sorted = malloc(sizeof(ref->addr));
	for (;;) {
		for (size_t i = 0; i < NADDR; i++)
			ref->addr[i] = (uintptr_t)((rng() & 0x00007ffffffffff0ull) | 0x10);
		memcpy(sorted, ref->addr, sizeof(ref->addr));
		qsort(sorted, NADDR, sizeof(sorted[0]), cmp_uptr);
		size_t dup = 0;
		for (size_t i = 1; i < NADDR; i++)
			dup += sorted[i] == sorted[i - 1];
		if (!dup)
			break;
	}
	free(sorted);
}

static void ref_visit(void *ctx, struct hb_live_rec *r)
{
	struct ref *ref = ctx;
	uint64_t k = r->id - 1; /* ids are index + 1 */
	if (r->id == 0 || k >= NADDR || ref->addr[k] != r->addr || !ref->present[k] || ref->visited[k]) {
		ref->bad++;
		return;
	}
	struct hb_live_rec want = rec_for(r->addr, r->id);
	if (r->size != want.size || r->stack != want.stack || r->module != want.module || r->kind != want.kind)
		ref->bad++;
	ref->visited[k] = 1;
}

START_TEST(matches_reference_under_random_churn)
{
	rng_state = 0xfeedface;
	struct ref *ref = calloc(1, sizeof(*ref));
	make_addresses(ref);
	struct hb_live_table *t = table_new();
	for (int op = 0; op < 3 * NADDR; op++) {
		uint64_t k = rng() % NADDR;
		struct hb_live_rec out;
		if (ref->present[k]) {
			ck_assert_int_eq(hb_live_table_remove(t, ref->addr[k], &out), 1);
			ck_assert_uint_eq(out.id, k + 1);
			ck_assert_uint_eq(out.addr, ref->addr[k]);
			ref->present[k] = 0;
			ref->count--;
		} else {
			struct hb_live_rec r = rec_for(ref->addr[k], k + 1);
			ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
			ref->present[k] = 1;
			ref->count++;
		}
		if (op % 8192 == 0) {
			ck_assert_uint_eq(hb_live_table_count(t), ref->count);
			ck_assert_uint_eq(total_unemitted(t), ref->count);
		}
	}
	ck_assert_uint_eq(hb_live_table_count(t), ref->count);
	ck_assert_uint_gt(ref->count, NADDR / 4);

	/* foreach sees exactly the reference's records */
	memset(ref->visited, 0, sizeof(ref->visited));
	hb_live_table_lock_all(t);
	hb_live_table_unlock_all(t);
	hb_live_table_foreach(t, ref_visit, ref);
	ck_assert_int_eq(ref->bad, 0);
	for (size_t k = 0; k < NADDR; k++)
		ck_assert_uint_eq(ref->visited[k], ref->present[k]);

	/* absent addresses are not found */
	for (size_t k = 0; k < NADDR; k += 7) {
		struct hb_live_rec out;
		if (!ref->present[k])
			ck_assert_int_eq(hb_live_table_remove(t, ref->addr[k], &out), 0);
	}
	/* every present address is removed exactly once, in random order */
	for (size_t i = NADDR - 1; i > 0; i--) { /* shuffle the index order */
		size_t j = rng() % (i + 1);
		uintptr_t a = ref->addr[i];
		ref->addr[i] = ref->addr[j];
		ref->addr[j] = a;
		uint8_t p = ref->present[i];
		ref->present[i] = ref->present[j];
		ref->present[j] = p;
	}
	for (size_t k = 0; k < NADDR; k++) {
		struct hb_live_rec out;
		ck_assert_int_eq(hb_live_table_remove(t, ref->addr[k], &out), ref->present[k]);
		if (ref->present[k])
			ck_assert_uint_eq(out.addr, ref->addr[k]);
		ck_assert_int_eq(hb_live_table_remove(t, ref->addr[k], &out), 0);
	}
	ck_assert_uint_eq(hb_live_table_count(t), 0);
	ck_assert_uint_eq(total_unemitted(t), 0);
	free(ref);
	free(t);
}
END_TEST

/* ---- probe chains ------------------------------------------------------- */

/* Finds n distinct addresses above start in shard `shard` whose home slot
 * (in a 64-slot shard) is homes[i]. */
static void find_addrs(unsigned shard, const uint64_t *homes, size_t n, uintptr_t *out, uintptr_t start)
{
	uintptr_t a = start;
	for (size_t i = 0; i < n; i++) {
		for (;;) {
			a += 16;
			if (shard_of(a) == shard && home_of(a, FIRST_SLOTS - 1) == homes[i])
				break;
		}
		out[i] = a;
	}
}

static int next_permutation(size_t *p, size_t n)
{
	if (n < 2)
		return 0;
	size_t i = n - 1;
	while (i > 0 && p[i - 1] >= p[i])
		i--;
	if (i == 0)
		return 0;
	size_t j = n - 1;
	while (p[j] <= p[i - 1])
		j--;
	size_t tmp = p[i - 1];
	p[i - 1] = p[j];
	p[j] = tmp;
	for (size_t a = i, b = n - 1; a < b; a++, b--) {
		tmp = p[a];
		p[a] = p[b];
		p[b] = tmp;
	}
	return 1;
}

START_TEST(removal_in_every_order_keeps_others_findable)
{
	/* A cluster that wraps round the end of the shard: homes 62, 62, 63, 0,
	 * 0, 1, 63 give one run of seven over slots 62..4, so most removals
	 * shift records back across the wrap. */
	enum { N = 7 };
	static const uint64_t homes[N] = {62, 62, 63, 0, 0, 1, 63};
	uintptr_t addr[N], absent[2];
	find_addrs(17, homes, N, addr, 0x100000);
	static const uint64_t absent_homes[2] = {62, 0};
	find_addrs(17, absent_homes, 2, absent, addr[N - 1]);
	struct hb_live_table *t = table_new();
	struct hb_live_rec recs[N];
	for (size_t i = 0; i < N; i++)
		recs[i] = rec_for(addr[i], i + 1);

	size_t perm[N];
	for (size_t i = 0; i < N; i++)
		perm[i] = i;
	unsigned orders = 0;
	do {
		struct hb_live_rec out;
		for (size_t i = 0; i < N; i++)
			ck_assert_int_eq(hb_live_table_insert(t, &recs[i], &out), 0);
		ck_assert_uint_eq(t->shard[17].mask, FIRST_SLOTS - 1); /* no growth: the homes hold */
		uint8_t gone[N] = {0};
		for (size_t step = 0; step < N; step++) {
			size_t k = perm[step];
			ck_assert_int_eq(hb_live_table_remove(t, addr[k], &out), 1);
			assert_rec_eq(&out, &recs[k]);
			gone[k] = 1;
			for (size_t i = 0; i < N; i++)
				if (!gone[i])
					assert_findable(t, &recs[i]);
			/* never-inserted addresses with the same homes stay absent */
			ck_assert_int_eq(hb_live_table_remove(t, absent[0], &out), 0);
			ck_assert_int_eq(hb_live_table_remove(t, absent[1], &out), 0);
			ck_assert_int_eq(hb_live_table_remove(t, addr[k], &out), 0);
			ck_assert_uint_eq(t->shard[17].count, N - step - 1);
		}
		orders++;
	} while (next_permutation(perm, N));
	ck_assert_uint_eq(orders, 5040);
	ck_assert_uint_eq(hb_live_table_count(t), 0);
	/* every slot of the shard is empty again */
	for (uint64_t i = 0; i <= t->shard[17].mask; i++)
		ck_assert_uint_eq(t->shard[17].slots[i].addr, 0);
	free(t);
}
END_TEST

START_TEST(removal_from_a_crowded_shard_keeps_chains)
{
	/* 47 records in one 64-slot shard (just under the 3/4 growth point),
	 * all homed in slots 60..63 and 0..3, removed in 200 random orders. */
	enum { N = 47 };
	uint64_t homes[N];
	for (size_t i = 0; i < N; i++)
		homes[i] = (60 + i % 8) & 63;
	uintptr_t addr[N];
	find_addrs(200, homes, N, addr, 0x5000000);
	struct hb_live_table *t = table_new();
	struct hb_live_rec recs[N];
	for (size_t i = 0; i < N; i++)
		recs[i] = rec_for(addr[i], 1000 + i);
	rng_state = 77;
	for (int round = 0; round < 200; round++) {
		struct hb_live_rec out;
		for (size_t i = 0; i < N; i++)
			ck_assert_int_eq(hb_live_table_insert(t, &recs[i], &out), 0);
		ck_assert_uint_eq(t->shard[200].mask, FIRST_SLOTS - 1);
		size_t order[N];
		for (size_t i = 0; i < N; i++)
			order[i] = i;
		for (size_t i = N - 1; i > 0; i--) {
			size_t j = rng() % (i + 1), tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		uint8_t gone[N] = {0};
		for (size_t step = 0; step < N; step++) {
			size_t k = order[step];
			ck_assert_int_eq(hb_live_table_remove(t, addr[k], &out), 1);
			ck_assert_uint_eq(out.id, recs[k].id);
			gone[k] = 1;
			for (size_t i = 0; i < N; i++)
				if (!gone[i])
					assert_findable(t, &recs[i]);
		}
		ck_assert_uint_eq(t->shard[200].count, 0);
		ck_assert_uint_eq(t->shard[200].unemitted, 0);
	}
	free(t);
}
END_TEST

/* ---- duplicates, counts -------------------------------------------------- */

START_TEST(duplicate_address_returns_replaced_record)
{
	struct hb_live_table *t = table_new();
	struct hb_live_rec a = rec_for(0x7f0000001230, 1), b = rec_for(0x7f0000001230, 2), out;
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(hb_live_table_insert(t, &a, &out), 0);
	ck_assert_int_eq(hb_live_table_insert(t, &b, &out), 1);
	assert_rec_eq(&out, &a);
	ck_assert_uint_eq(hb_live_table_count(t), 1);
	ck_assert_uint_eq(total_unemitted(t), 1);
	ck_assert_int_eq(hb_live_table_remove(t, a.addr, &out), 1);
	assert_rec_eq(&out, &b);
	ck_assert_uint_eq(hb_live_table_count(t), 0);
	ck_assert_uint_eq(total_unemitted(t), 0);
	free(t);
}
END_TEST

START_TEST(duplicate_keeps_unemitted_count_exact)
{
	struct hb_live_table *t = table_new();
	uintptr_t addr = 0x5550;
	unsigned sh = shard_of(addr);
	struct hb_live_rec a = rec_for(addr, 1), out;
	a.flags = HB_LIVE_EMITTED;
	ck_assert_int_eq(hb_live_table_insert(t, &a, &out), 0);
	ck_assert_uint_eq(t->shard[sh].unemitted, 0);
	struct hb_live_rec b = rec_for(addr, 2); /* unemitted replaces emitted */
	ck_assert_int_eq(hb_live_table_insert(t, &b, &out), 1);
	ck_assert_uint_eq(out.flags, HB_LIVE_EMITTED);
	ck_assert_uint_eq(t->shard[sh].unemitted, 1);
	struct hb_live_rec c = rec_for(addr, 3); /* unemitted replaces unemitted */
	ck_assert_int_eq(hb_live_table_insert(t, &c, &out), 1);
	ck_assert_uint_eq(t->shard[sh].unemitted, 1);
	c.flags = HB_LIVE_EMITTED; /* emitted replaces unemitted */
	ck_assert_int_eq(hb_live_table_insert(t, &c, &out), 1);
	ck_assert_uint_eq(t->shard[sh].unemitted, 0);
	ck_assert_uint_eq(t->shard[sh].count, 1);
	free(t);
}
END_TEST

START_TEST(remove_from_empty_table_returns_zero)
{
	struct hb_live_table *t = table_new();
	struct hb_live_rec out;
	ck_assert_int_eq(hb_live_table_remove(t, 0x1000, &out), 0);
	ck_assert_int_eq(hb_live_table_remove(t, UINTPTR_MAX & ~(uintptr_t)15, &out), 0);
	ck_assert_uint_eq(hb_live_table_count(t), 0);
	free(t);
}
END_TEST

START_TEST(shard_grows_past_three_quarters)
{
	/* 48 records fit a 64-slot shard (3/4 load); the 49th doubles it and all
	 * stay findable. */
	uint64_t homes[200];
	for (size_t i = 0; i < 200; i++)
		homes[i] = (i * 7) % FIRST_SLOTS;
	uintptr_t addr[200];
	find_addrs(3, homes, 200, addr, 0x900000);
	struct hb_live_table *t = table_new();
	struct hb_live_rec out;
	for (size_t i = 0; i < 48; i++) {
		struct hb_live_rec r = rec_for(addr[i], i + 1);
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	ck_assert_uint_eq(t->shard[3].mask, 63);
	uint64_t gen = t->shard[3].generation;
	struct hb_live_rec r48 = rec_for(addr[48], 49);
	ck_assert_int_eq(hb_live_table_insert(t, &r48, &out), 0);
	ck_assert_uint_eq(t->shard[3].mask, 127);
	ck_assert_uint_eq(t->shard[3].generation, gen + 1);
	for (size_t i = 49; i < 200; i++) {
		struct hb_live_rec r = rec_for(addr[i], i + 1);
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	ck_assert_uint_eq(t->shard[3].count, 200);
	ck_assert_uint_eq(t->shard[3].mask, 511); /* 200 > 3/4 of 256 */
	for (size_t i = 0; i < 200; i++) {
		struct hb_live_rec r = rec_for(addr[i], i + 1);
		assert_findable(t, &r);
	}
	ck_assert_uint_eq(hb_live_table_count(t), 200);
	free(t);
}
END_TEST

/* ---- collect ------------------------------------------------------------ */

struct seen {
	uint8_t *hits; /* by id */
	uint64_t max_id;
	uint64_t total;
	int dup;
	int bad;
};

static void seen_add(struct seen *s, const struct hb_live_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].id == 0 || r[i].id > s->max_id) {
			s->bad++;
			continue;
		}
		if (!(r[i].flags & HB_LIVE_EMITTED))
			s->bad++; /* the copy handed out carries the mark */
		if (s->hits[r[i].id]++)
			s->dup++;
		s->total++;
	}
}

/* One full pass over every shard, the way the writer does it. */
static void collect_all(struct hb_live_table *t, struct seen *s, size_t max)
{
	struct hb_live_rec *batch = calloc(max, sizeof(*batch));
	for (unsigned sh = 0; sh < HB_LIVE_SHARDS; sh++) {
		uint64_t cursor = 0, gen = ~0ull;
		size_t n;
		do {
			n = hb_live_table_collect(t, sh, &cursor, &gen, batch, max);
			ck_assert_uint_le(n, max);
			seen_add(s, batch, n);
		} while (n == max);
	}
	free(batch);
}

START_TEST(collect_returns_each_unemitted_record_once)
{
	enum { N = 20000 };
	rng_state = 99;
	struct hb_live_table *t = table_new();
	struct seen s = {.hits = calloc(N + 1, 1), .max_id = N};
	struct hb_live_rec out;
	for (uint64_t id = 1; id <= N; id++) {
		struct hb_live_rec r = rec_for((uintptr_t)(rng() & 0x7ffffffffff0ull) | 0x10, id);
		if (id % 10 == 0)
			r.flags = HB_LIVE_EMITTED; /* already written: never collected */
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	ck_assert_uint_eq(total_unemitted(t), N - N / 10);
	collect_all(t, &s, 7);
	ck_assert_int_eq(s.bad, 0);
	ck_assert_int_eq(s.dup, 0);
	ck_assert_uint_eq(s.total, N - N / 10);
	for (uint64_t id = 1; id <= N; id++)
		ck_assert_uint_eq(s.hits[id], id % 10 != 0);
	ck_assert_uint_eq(total_unemitted(t), 0);
	ck_assert_uint_eq(hb_live_table_count(t), N);
	/* a second pass finds nothing */
	collect_all(t, &s, 7);
	ck_assert_uint_eq(s.total, N - N / 10);
	free(s.hits);
	free(t);
}
END_TEST

START_TEST(collect_marks_records_emitted_in_the_table)
{
	struct hb_live_table *t = table_new();
	struct hb_live_rec r = rec_for(0x4440, 1), out, batch[4];
	ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	unsigned sh = shard_of(r.addr);
	uint64_t cursor = 0, gen = ~0ull;
	ck_assert_uint_eq(hb_live_table_collect(t, sh, &cursor, &gen, batch, 4), 1);
	ck_assert_uint_eq(batch[0].id, 1);
	ck_assert_uint_eq(batch[0].flags & HB_LIVE_EMITTED, HB_LIVE_EMITTED);
	ck_assert_int_eq(hb_live_table_remove(t, r.addr, &out), 1);
	ck_assert_uint_eq(out.flags & HB_LIVE_EMITTED, HB_LIVE_EMITTED);
	ck_assert_uint_eq(t->shard[sh].unemitted, 0);
	/* an empty or untouched shard returns 0 */
	cursor = 0;
	gen = ~0ull;
	ck_assert_uint_eq(hb_live_table_collect(t, (sh + 1) % HB_LIVE_SHARDS, &cursor, &gen, batch, 4), 0);
	free(t);
}
END_TEST

START_TEST(collect_resumes_across_growth)
{
	/* Shard 5: 40 records, collect 5, then 80 more (the shard doubles
	 * twice, so every record moves), then resume with the same cursor and
	 * generation: each of the 120 comes out exactly once. */
	enum { FIRST = 40, MORE = 80, N = FIRST + MORE };
	uint64_t homes[N];
	for (size_t i = 0; i < N; i++)
		homes[i] = (i * 13) % FIRST_SLOTS;
	uintptr_t addr[N];
	find_addrs(5, homes, N, addr, 0x3000000);
	struct hb_live_table *t = table_new();
	struct hb_live_rec out, batch[5];
	for (size_t i = 0; i < FIRST; i++) {
		struct hb_live_rec r = rec_for(addr[i], i + 1);
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	struct seen s = {.hits = calloc(N + 1, 1), .max_id = N};
	uint64_t cursor = 0, gen = ~0ull;
	size_t n = hb_live_table_collect(t, 5, &cursor, &gen, batch, 5);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(gen, t->shard[5].generation);
	seen_add(&s, batch, n);
	uint64_t gen_before = t->shard[5].generation;
	for (size_t i = FIRST; i < N; i++) {
		struct hb_live_rec r = rec_for(addr[i], i + 1);
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	ck_assert_uint_gt(t->shard[5].generation, gen_before);
	ck_assert_uint_eq(t->shard[5].unemitted, N - 5);
	do {
		n = hb_live_table_collect(t, 5, &cursor, &gen, batch, 5);
		seen_add(&s, batch, n);
	} while (n == 5);
	ck_assert_int_eq(s.bad, 0);
	ck_assert_int_eq(s.dup, 0);
	ck_assert_uint_eq(s.total, N);
	for (size_t id = 1; id <= N; id++)
		ck_assert_uint_eq(s.hits[id], 1);
	ck_assert_uint_eq(t->shard[5].unemitted, 0);
	free(s.hits);
	free(t);
}
END_TEST

START_TEST(collect_resumes_across_growth_between_every_call)
{
	/* Growth between every pair of calls, in one shard, with max 1. */
	enum { N = 400 };
	uint64_t homes[N];
	for (size_t i = 0; i < N; i++)
		homes[i] = (i * 29 + 3) % FIRST_SLOTS;
	uintptr_t addr[N];
	find_addrs(9, homes, N, addr, 0x7000000);
	struct hb_live_table *t = table_new();
	struct hb_live_rec out, batch[1];
	struct seen s = {.hits = calloc(N + 1, 1), .max_id = N};
	uint64_t cursor = 0, gen = ~0ull;
	size_t next = 0;
	int growths = 0;
	for (;;) {
		/* insert until the shard grows (or the addresses run out) */
		uint64_t g = t->shard[9].generation;
		while (next < N && t->shard[9].generation == g) {
			struct hb_live_rec r = rec_for(addr[next], next + 1);
			ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
			next++;
		}
		growths += t->shard[9].generation != g;
		size_t n = hb_live_table_collect(t, 9, &cursor, &gen, batch, 1);
		seen_add(&s, batch, n);
		if (n < 1 && next == N)
			break;
	}
	ck_assert_int_ge(growths, 4);
	ck_assert_int_eq(s.bad, 0);
	ck_assert_int_eq(s.dup, 0);
	ck_assert_uint_eq(s.total, N);
	free(s.hits);
	free(t);
}
END_TEST

START_TEST(collect_after_removals_finds_the_rest_once)
{
	/* Removals between calls shift records around the cursor; a pass that
	 * restarts from cursor 0 (the next flush) must still find every record
	 * not yet handed out, exactly once, and never a removed one. */
	enum { N = 45 };
	uint64_t homes[N];
	for (size_t i = 0; i < N; i++)
		homes[i] = (20 + i % 6);
	uintptr_t addr[N];
	find_addrs(11, homes, N, addr, 0xa000000);
	struct hb_live_table *t = table_new();
	struct hb_live_rec out, batch[3];
	for (size_t i = 0; i < N; i++) {
		struct hb_live_rec r = rec_for(addr[i], i + 1);
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	struct seen s = {.hits = calloc(N + 1, 1), .max_id = N};
	uint8_t removed[N + 1] = {0};
	uint64_t cursor = 0, gen = ~0ull;
	size_t n = hb_live_table_collect(t, 11, &cursor, &gen, batch, 3);
	ck_assert_uint_eq(n, 3);
	seen_add(&s, batch, n);
	/* remove every third record, emitted or not */
	for (size_t i = 0; i < N; i += 3) {
		ck_assert_int_eq(hb_live_table_remove(t, addr[i], &out), 1);
		removed[i + 1] = 1;
	}
	do {
		n = hb_live_table_collect(t, 11, &cursor, &gen, batch, 3);
		seen_add(&s, batch, n);
	} while (n == 3);
	cursor = 0; /* the next flush */
	do {
		n = hb_live_table_collect(t, 11, &cursor, &gen, batch, 3);
		seen_add(&s, batch, n);
	} while (n == 3);
	ck_assert_int_eq(s.bad, 0);
	ck_assert_int_eq(s.dup, 0);
	for (size_t id = 1; id <= N; id++) {
		if (!removed[id])
			ck_assert_msg(s.hits[id] == 1, "record %zu collected %u times", id, s.hits[id]);
	}
	ck_assert_uint_eq(t->shard[11].unemitted, 0);
	free(s.hits);
	free(t);
}
END_TEST

/* ---- foreach ------------------------------------------------------------ */

struct fe_ctx {
	uint64_t n, sum_id;
	int set_emitted;
};

static void fe_fn(void *ctx, struct hb_live_rec *r)
{
	struct fe_ctx *c = ctx;
	c->n++;
	c->sum_id += r->id;
	if (c->set_emitted && r->id % 2)
		r->flags |= HB_LIVE_EMITTED;
}

START_TEST(foreach_visits_every_record_and_recounts_unemitted)
{
	enum { N = 5000 };
	struct hb_live_table *t = table_new();
	struct hb_live_rec out;
	for (uint64_t id = 1; id <= N; id++) {
		struct hb_live_rec r = rec_for(0x10000 + id * 48, id);
		ck_assert_int_eq(hb_live_table_insert(t, &r, &out), 0);
	}
	struct fe_ctx c = {0, 0, 1};
	hb_live_table_foreach(t, fe_fn, &c);
	ck_assert_uint_eq(c.n, N);
	ck_assert_uint_eq(c.sum_id, (uint64_t)N * (N + 1) / 2);
	/* foreach may change flags; the unemitted counters follow */
	ck_assert_uint_eq(total_unemitted(t), N / 2);
	struct seen s = {.hits = calloc(N + 1, 1), .max_id = N};
	collect_all(t, &s, 64);
	ck_assert_int_eq(s.dup, 0);
	ck_assert_uint_eq(s.total, N / 2);
	for (uint64_t id = 1; id <= N; id++)
		ck_assert_uint_eq(s.hits[id], id % 2 == 0);
	free(s.hits);
	free(t);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

enum { THREADS = 4, PER_THREAD = 50000 };

struct worker {
	struct hb_live_table *t;
	unsigned idx;
	int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	/* disjoint sets: thread idx owns addresses with (addr >> 4) % 4 == idx */
	uintptr_t *addrs = malloc(PER_THREAD * sizeof(*addrs));
	uint64_t state = 1234567 + w->idx;
	for (size_t i = 0; i < PER_THREAD; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		uintptr_t a = (uintptr_t)((state >> 20) & 0xfffffffffull);
		addrs[i] = ((a * THREADS + w->idx) << 4) + ((uintptr_t)i << 44);
	}
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < PER_THREAD; i++) {
			struct hb_live_rec r = rec_for(addrs[i], (uint64_t)w->idx * PER_THREAD + i + 1), out;
			if (hb_live_table_insert(w->t, &r, &out) != 0)
				w->errors++;
			/* interleave: remove the one inserted 100 ago */
			if (i >= 100 && hb_live_table_remove(w->t, addrs[i - 100], &out) != 1)
				w->errors++;
			else if (i >= 100 && out.addr != addrs[i - 100])
				w->errors++;
		}
		for (size_t i = PER_THREAD - 100; i < PER_THREAD; i++) {
			struct hb_live_rec out;
			if (hb_live_table_remove(w->t, addrs[i], &out) != 1 ||
			    out.id != (uint64_t)w->idx * PER_THREAD + i + 1)
				w->errors++;
		}
	}
	free(addrs);
	return NULL;
}

START_TEST(concurrent_disjoint_insert_remove_ends_empty)
{
	struct hb_live_table *t = table_new();
	pthread_t th[THREADS];
	struct worker w[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){t, i, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].errors, 0);
	}
	ck_assert_uint_eq(hb_live_table_count(t), 0);
	ck_assert_uint_eq(total_unemitted(t), 0);
	struct fe_ctx c = {0, 0, 0};
	hb_live_table_foreach(t, fe_fn, &c);
	ck_assert_uint_eq(c.n, 0);
	free(t);
}
END_TEST

static Suite *live_table_suite(void)
{
	Suite *s = suite_create("live_table");
	TCase *tc = tcase_create("live_table");
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, matches_reference_under_random_churn);
	tcase_add_test(tc, removal_in_every_order_keeps_others_findable);
	tcase_add_test(tc, removal_from_a_crowded_shard_keeps_chains);
	tcase_add_test(tc, duplicate_address_returns_replaced_record);
	tcase_add_test(tc, duplicate_keeps_unemitted_count_exact);
	tcase_add_test(tc, remove_from_empty_table_returns_zero);
	tcase_add_test(tc, shard_grows_past_three_quarters);
	tcase_add_test(tc, collect_returns_each_unemitted_record_once);
	tcase_add_test(tc, collect_marks_records_emitted_in_the_table);
	tcase_add_test(tc, collect_resumes_across_growth);
	tcase_add_test(tc, collect_resumes_across_growth_between_every_call);
	tcase_add_test(tc, collect_after_removals_finds_the_rest_once);
	tcase_add_test(tc, foreach_visits_every_record_and_recounts_unemitted);
	tcase_add_test(tc, concurrent_disjoint_insert_remove_ends_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(live_table_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
