/*
 * test_thread_buffer.c - unit tests for shim/record/thread_buffer.h, the
 * per-thread site counters and the ring they spill into.
 *
 * The ring: push succeeds exactly HB_TB_CAP times and then returns -1;
 * drain hands the records back in push order, byte for byte, and frees the
 * space; positions wrap around the ring correctly over many cycles of
 * uneven sizes; a producer thread and a draining thread lose and reorder
 * nothing.
 * The counter table: hb_tb_count aggregates count and bytes by the full key
 * (stack, epoch, kind, dir: a different stack, epoch, kind or direction
 * is a different counter, even where its probe run passes through its
 * twin's counter); it returns 1 from the count that brings the table to 3/4
 * load and -1 when full (the event not counted, existing keys still
 * counted); hb_tb_counters_dump moves counters into the ring and, when the
 * ring is full, leaves exactly the ones that did not fit, still findable
 * under their keys (counting them again makes no second counter), sparse
 * or crowded; hb_tb_counters_take passes every counter once, empties the
 * table and returns how many, and is exact against an owner thread that
 * keeps counting and dumping while the writer takes and drains.
 * The registry: acquire gives distinct clean buffers; a retired buffer is
 * recycled only once its ring is drained and its counters are taken
 * (including counters made after a take), then handed to the next acquire,
 * clean; the buffer of a thread that is gone is reaped; a fork child keeps
 * only its own buffer, emptied; wait_counted returns at once when no owner
 * is changing, waits for one that stops changing (another thread clears
 * its flag 20 ms later), ignores the caller's own buffer, and gives up on
 * one that never stops after its bound, saying how many.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heapblame/trace_format.h"
#include "thread_buffer.h"

static struct hb_thread_buffer *buffer_new(struct hb_tb_registry *reg)
{
	hb_tb_registry_init(reg);
	struct hb_thread_buffer *tb = hb_tb_acquire(reg);
	ck_assert_ptr_nonnull(tb);
	return tb;
}

static struct hb_count_key key_of(uint32_t stack, uint32_t epoch, unsigned kind, unsigned dir)
{
	struct hb_count_key k;
	memset(&k, 0, sizeof(k));
	k.stack = stack;
	k.epoch = epoch;
	k.kind = (uint8_t)kind;
	k.dir = (uint8_t)dir;
	return k;
}

static int same_key(const struct hb_count_key *a, const struct hb_count_key *b)
{
	return a->stack == b->stack && a->epoch == b->epoch && a->kind == b->kind && a->dir == b->dir;
}

/* Records pushed straight into the ring carry dir SEQ_DIR (no counter has
 * it), every field derived from their sequence number. */
#define SEQ_DIR 7

static struct hb_tb_rec seq_rec(uint64_t seq)
{
	struct hb_tb_rec r;
	memset(&r, 0, sizeof(r));
	r.key.stack = (uint32_t)seq;
	r.key.epoch = (uint32_t)(seq >> 32) ^ 0xabcdefu;
	r.key.kind = (uint8_t)(seq * 7);
	r.key.dir = SEQ_DIR;
	r.count = seq;
	r.bytes = ~seq;
	return r;
}

/* What came out of a ring or a take, by key. */
enum { MAXKEYS = 4096 };

struct tally {
	uint64_t next_seq; /* expected seq of the next SEQ_DIR record */
	uint64_t n;        /* records or counters seen */
	uint64_t nseq;
	int bad;
	unsigned nkeys;
	struct hb_count_key key[MAXKEYS];
	uint64_t count[MAXKEYS], bytes[MAXKEYS];
	unsigned recs[MAXKEYS]; /* records or counters per key in one pass */
};

static struct tally *tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	return t;
}

static unsigned tally_find(struct tally *t, const struct hb_count_key *k)
{
	for (unsigned i = 0; i < t->nkeys; i++)
		if (same_key(&t->key[i], k))
			return i;
	ck_assert_uint_lt(t->nkeys, MAXKEYS);
	t->key[t->nkeys] = *k;
	return t->nkeys++;
}

static void tally_add(struct tally *t, const struct hb_count_key *k, uint64_t count, uint64_t bytes)
{
	unsigned i = tally_find(t, k);
	t->count[i] += count;
	t->bytes[i] += bytes;
	t->recs[i]++;
}

/* The sums of key k (0 when never seen), and in how many records. */
static uint64_t tally_count(struct tally *t, const struct hb_count_key *k, uint64_t *bytes, unsigned *recs)
{
	for (unsigned i = 0; i < t->nkeys; i++)
		if (same_key(&t->key[i], k)) {
			if (bytes)
				*bytes = t->bytes[i];
			if (recs)
				*recs = t->recs[i];
			return t->count[i];
		}
	if (bytes)
		*bytes = 0;
	if (recs)
		*recs = 0;
	return 0;
}

static void drain_fn(void *ctx, const struct hb_tb_rec *r)
{
	struct tally *t = ctx;
	t->n++;
	if (r->key.dir == SEQ_DIR) {
		struct hb_tb_rec want = seq_rec(t->next_seq);
		if (memcmp(r, &want, sizeof(want)) != 0)
			t->bad++;
		t->next_seq++;
		t->nseq++;
	} else if (r->key.dir <= HB_COUNT_FREE && r->count > 0) {
		tally_add(t, &r->key, r->count, r->bytes);
	} else {
		t->bad++;
	}
}

static void take_fn(void *ctx, const struct hb_counter_slot *s)
{
	struct tally *t = ctx;
	t->n++;
	if (!s->used || s->count == 0 || s->key.dir > HB_COUNT_FREE) {
		t->bad++;
		return;
	}
	tally_add(t, &s->key, s->count, s->bytes);
}

static uint64_t push_seq_range(struct hb_thread_buffer *tb, uint64_t from, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct hb_tb_rec r = seq_rec(from + i);
		ck_assert_int_eq(hb_tb_push(tb, &r), 0);
	}
	return from + n;
}

static unsigned used_slots(const struct hb_thread_buffer *tb)
{
	unsigned n = 0;
	for (unsigned i = 0; i < HB_COUNTER_SLOTS; i++)
		n += tb->counters[i].used != 0;
	return n;
}

/* ---- ring --------------------------------------------------------------- */

START_TEST(push_until_full_fails_at_capacity)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	for (uint64_t i = 0; i < HB_TB_CAP; i++) {
		struct hb_tb_rec r = seq_rec(i);
		ck_assert_int_eq(hb_tb_push(tb, &r), 0);
	}
	struct hb_tb_rec extra = seq_rec(HB_TB_CAP);
	ck_assert_int_eq(hb_tb_push(tb, &extra), -1);
	ck_assert_int_eq(hb_tb_push(tb, &extra), -1);
	ck_assert_uint_eq(tb->head, HB_TB_CAP);

	struct tally *d = tally_new();
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), HB_TB_CAP);
	ck_assert_int_eq(d->bad, 0);
	ck_assert_uint_eq(d->next_seq, HB_TB_CAP); /* in order, none lost */
	/* room again, exactly HB_TB_CAP more */
	push_seq_range(tb, HB_TB_CAP, HB_TB_CAP);
	ck_assert_int_eq(hb_tb_push(tb, &extra), -1);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), HB_TB_CAP);
	ck_assert_uint_eq(d->next_seq, 2 * HB_TB_CAP);
	ck_assert_int_eq(d->bad, 0);
	free(d);
}
END_TEST

START_TEST(drain_of_empty_ring_returns_zero)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	struct tally *d = tally_new();
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 0);
	ck_assert_uint_eq(d->n, 0);
	push_seq_range(tb, 0, 3);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 3);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 0);
	ck_assert_uint_eq(d->n, 3);
	ck_assert_int_eq(d->bad, 0);
	free(d);
}
END_TEST

START_TEST(wraps_around_over_many_cycles)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	struct tally *d = tally_new();
	uint64_t seq = 0;
	/* uneven batch sizes, so the positions land everywhere in the ring */
	static const unsigned sizes[] = {1, 2047, 1500, 2048, 3, 1000, 1999, 7, 2048, 1024};
	for (int cycle = 0; cycle < 300; cycle++) {
		unsigned n = sizes[cycle % 10];
		seq = push_seq_range(tb, seq, n);
		if (n == HB_TB_CAP) {
			struct hb_tb_rec r = seq_rec(seq);
			ck_assert_int_eq(hb_tb_push(tb, &r), -1);
		}
		ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), n);
		ck_assert_uint_eq(d->next_seq, seq);
	}
	ck_assert_int_eq(d->bad, 0);
	ck_assert_uint_gt(seq, 100 * HB_TB_CAP);
	ck_assert_uint_eq(tb->head, seq);
	ck_assert_uint_eq(tb->tail, seq);
	free(d);
}
END_TEST

START_TEST(partial_drains_keep_order)
{
	/* fill, drain, refill only part: the free space is exactly what was
	 * drained */
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	struct tally *d = tally_new();
	uint64_t seq = push_seq_range(tb, 0, 1000);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 1000);
	seq = push_seq_range(tb, seq, HB_TB_CAP);
	struct hb_tb_rec r = seq_rec(seq);
	ck_assert_int_eq(hb_tb_push(tb, &r), -1);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), HB_TB_CAP);
	ck_assert_uint_eq(d->next_seq, 1000 + HB_TB_CAP);
	ck_assert_int_eq(d->bad, 0);
	free(d);
}
END_TEST

enum { SPSC_TOTAL = 2000000 };

struct spsc {
	struct hb_thread_buffer *tb;
	int done;
};

static void *producer_main(void *arg)
{
	struct spsc *s = arg;
	for (uint64_t i = 0; i < SPSC_TOTAL;) {
		struct hb_tb_rec r = seq_rec(i);
		if (hb_tb_push(s->tb, &r) == 0)
			i++;
		else
			sched_yield();
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(producer_and_drainer_threads_lose_nothing)
{
	struct hb_tb_registry reg;
	struct spsc s = {buffer_new(&reg), 0};
	struct tally *d = tally_new();
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, producer_main, &s), 0);
	while (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE))
		if (!hb_tb_drain(s.tb, drain_fn, d))
			sched_yield();
	pthread_join(th, NULL);
	hb_tb_drain(s.tb, drain_fn, d);
	ck_assert_int_eq(d->bad, 0);
	ck_assert_uint_eq(d->next_seq, SPSC_TOTAL);
	ck_assert_uint_eq(d->n, SPSC_TOTAL);
	free(d);
}
END_TEST

/* ---- counter table -------------------------------------------------------- */

START_TEST(count_aggregates_by_full_key)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	struct hb_count_key base = key_of(7, 100, HB_ALLOC_CALLOC, HB_COUNT_ALLOC);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(hb_tb_count(tb, &base, 100 + (uint64_t)i), 0);
	ck_assert_uint_eq(tb->counters_used, 1);
	/* a key differing in one field only is another counter */
	struct hb_count_key other[] = {
		key_of(8, 100, HB_ALLOC_CALLOC, HB_COUNT_ALLOC),                /* stack */
		key_of(7, 101, HB_ALLOC_CALLOC, HB_COUNT_ALLOC),                /* epoch */
		key_of(7, 100, HB_ALLOC_MALLOC, HB_COUNT_ALLOC),                /* kind */
		key_of(7, 100, HB_ALLOC_CALLOC, HB_COUNT_FREE),                 /* dir (free kind 1: cfree) */
		key_of(7, 100, HB_FREE_REALLOC, HB_COUNT_FREE),                 /* free kind */
		key_of(7, 100, HB_ALLOC_REALLOC, HB_COUNT_ALLOC),               /* alloc kind 2 = free kind 2 */
		key_of(7, 0x80000000u | 100, HB_ALLOC_CALLOC, HB_COUNT_ALLOC), /* a high epoch bit */
		key_of(7 | 0x1000000u, 100, HB_ALLOC_CALLOC, HB_COUNT_ALLOC),  /* a high stack bit */
	};
	enum { NO = sizeof(other) / sizeof(other[0]) };
	for (unsigned i = 0; i < NO; i++) {
		ck_assert_int_eq(hb_tb_count(tb, &other[i], 1000 + i), 0);
		ck_assert_int_eq(hb_tb_count(tb, &other[i], 1), 0);
	}
	ck_assert_uint_eq(tb->counters_used, 1 + NO);
	ck_assert_uint_eq(used_slots(tb), 1 + NO);
	/* the padding is not part of the key */
	struct hb_count_key padded = base;
	padded.pad_ = 0xbeef;
	ck_assert_int_eq(hb_tb_count(tb, &padded, 55), 0);
	ck_assert_uint_eq(tb->counters_used, 1 + NO);
	/* a zero-byte event still counts */
	ck_assert_int_eq(hb_tb_count(tb, &base, 0), 0);

	struct tally *t = tally_new();
	ck_assert_uint_eq(hb_tb_counters_take(tb, take_fn, t), 1 + NO);
	ck_assert_int_eq(t->bad, 0);
	uint64_t bytes;
	unsigned recs;
	ck_assert_uint_eq(tally_count(t, &base, &bytes, &recs), 12);
	ck_assert_uint_eq(bytes, 10 * 100 + 45 + 55);
	ck_assert_uint_eq(recs, 1);
	for (unsigned i = 0; i < NO; i++) {
		ck_assert_uint_eq(tally_count(t, &other[i], &bytes, &recs), 2);
		ck_assert_uint_eq(bytes, 1000 + i + 1);
		ck_assert_uint_eq(recs, 1);
	}
	free(t);
}
END_TEST

static void take_nothing(void *ctx, const struct hb_counter_slot *s)
{
	(void)ctx;
	(void)s;
}

/* The slot key lands in when the table is empty: its home. */
static unsigned home_of(struct hb_thread_buffer *tb, const struct hb_count_key *key)
{
	ck_assert_uint_eq(tb->counters_used, 0);
	ck_assert_int_eq(hb_tb_count(tb, key, 1), 0);
	unsigned home = HB_COUNTER_SLOTS;
	for (unsigned i = 0; i < HB_COUNTER_SLOTS; i++)
		if (tb->counters[i].used)
			home = i;
	ck_assert_uint_lt(home, HB_COUNTER_SLOTS);
	ck_assert_uint_eq(hb_tb_counters_take(tb, take_nothing, NULL), 1);
	return home;
}

START_TEST(count_keeps_keys_in_one_probe_run_apart)
{
	/* Pairs of keys that differ in one field only, with b's probe run
	 * made to pass through a's counter: a is counted first, then fillers
	 * take every slot from b's home up to a's, so only the key comparison
	 * keeps b out of a's counter. Fillers differ from both in every field
	 * but the direction. */
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	static struct hb_count_key filler[HB_COUNTER_SLOTS];
	static uint8_t have[HB_COUNTER_SLOTS];
	unsigned nhave = 0;
	for (uint32_t s = 5000000; nhave < HB_COUNTER_SLOTS && s < 5100000; s++) {
		struct hb_count_key f = key_of(s, 0xfff00000u, 200, HB_COUNT_ALLOC);
		unsigned h = home_of(tb, &f);
		if (!have[h]) {
			have[h] = 1;
			filler[h] = f;
			nhave++;
		}
	}
	ck_assert_uint_eq(nhave, HB_COUNTER_SLOTS);
	for (unsigned field = 0; field < 5; field++) {
		unsigned pairs = 0;
		for (uint32_t s = 1; pairs < 3 && s < 100; s++) {
			struct hb_count_key a = key_of(s * 977, s, s % 4, HB_COUNT_ALLOC), b = a;
			switch (field) {
			case 0: b.stack += 1; break;
			case 1: b.epoch += 1; break;
			case 2: b.kind = (uint8_t)(a.kind + 4); break;
			case 3: b.dir = HB_COUNT_FREE; break;
			default: b.kind = (uint8_t)(a.kind ^ 1); b.dir = HB_COUNT_FREE; break;
			}
			unsigned ha = home_of(tb, &a), hb = home_of(tb, &b), nf = 0;
			if ((ha + HB_COUNTER_SLOTS - hb) % HB_COUNTER_SLOTS > 1000)
				continue; /* the fillers would not fit */
			pairs++;
			ck_assert_int_ge(hb_tb_count(tb, &a, 1), 0);
			for (unsigned i = hb; i != ha; i = (i + 1) % HB_COUNTER_SLOTS, nf++)
				ck_assert_int_ge(hb_tb_count(tb, &filler[i], 1), 0);
			ck_assert_uint_eq(tb->counters_used, 1 + nf);
			ck_assert_int_ge(hb_tb_count(tb, &b, 2), 0);
			ck_assert_int_ge(hb_tb_count(tb, &b, 2), 0);
			ck_assert_int_ge(hb_tb_count(tb, &a, 1), 0);
			ck_assert_msg(tb->counters_used == 2 + nf, "field %u pair %u: %u counters, want %u", field, s,
				      tb->counters_used, 2 + nf);
			struct tally *t = tally_new();
			ck_assert_uint_eq(hb_tb_counters_take(tb, take_fn, t), 2 + nf);
			uint64_t bytes;
			ck_assert_uint_eq(tally_count(t, &a, &bytes, NULL), 2);
			ck_assert_uint_eq(bytes, 2);
			ck_assert_uint_eq(tally_count(t, &b, &bytes, NULL), 2);
			ck_assert_uint_eq(bytes, 4);
			free(t);
		}
		ck_assert_uint_eq(pairs, 3);
	}
}
END_TEST

START_TEST(count_signals_three_quarter_load_then_full)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	const unsigned three_q = HB_COUNTER_SLOTS * 3 / 4;
	/* keys spread over every field */
	static struct hb_count_key keys[HB_COUNTER_SLOTS + 2];
	for (unsigned k = 0; k < HB_COUNTER_SLOTS + 2; k++)
		keys[k] = key_of(k / 4 + 1, k % 3, k % 9, k % 2);
	for (unsigned k = 0; k + 1 < three_q; k++)
		ck_assert_msg(hb_tb_count(tb, &keys[k], 8) == 0, "count %u", k);
	ck_assert_uint_eq(tb->counters_used, three_q - 1);
	/* the count that reaches 3/4 load asks for a dump */
	ck_assert_int_eq(hb_tb_count(tb, &keys[three_q - 1], 8), 1);
	ck_assert_uint_eq(tb->counters_used, three_q);
	/* and so does every count after it while the table is that full */
	ck_assert_int_eq(hb_tb_count(tb, &keys[0], 8), 1);
	ck_assert_uint_eq(tb->counters_used, three_q);
	/* one slot stays empty so probes end: HB_COUNTER_SLOTS - 1 keys fit, the next does not */
	for (unsigned k = three_q; k < HB_COUNTER_SLOTS - 1; k++)
		ck_assert_int_eq(hb_tb_count(tb, &keys[k], 8), 1);
	ck_assert_uint_eq(tb->counters_used, HB_COUNTER_SLOTS - 1);
	ck_assert_int_eq(hb_tb_count(tb, &keys[HB_COUNTER_SLOTS - 1], 8), -1);
	ck_assert_int_eq(hb_tb_count(tb, &keys[HB_COUNTER_SLOTS], 8), -1);
	ck_assert_uint_eq(tb->counters_used, HB_COUNTER_SLOTS - 1);
	ck_assert_uint_eq(used_slots(tb), HB_COUNTER_SLOTS - 1);
	/* a key already present is still counted */
	ck_assert_int_eq(hb_tb_count(tb, &keys[5], 8), 1);
	struct tally *t = tally_new();
	ck_assert_uint_eq(hb_tb_counters_take(tb, take_fn, t), HB_COUNTER_SLOTS - 1);
	ck_assert_int_eq(t->bad, 0);
	ck_assert_uint_eq(t->n, HB_COUNTER_SLOTS - 1);
	ck_assert_uint_eq(tally_count(t, &keys[5], NULL, NULL), 2);
	ck_assert_uint_eq(tally_count(t, &keys[0], NULL, NULL), 2);
	ck_assert_uint_eq(tally_count(t, &keys[1], NULL, NULL), 1);
	ck_assert_uint_eq(tally_count(t, &keys[HB_COUNTER_SLOTS - 2], NULL, NULL), 1);
	ck_assert_uint_eq(tally_count(t, &keys[HB_COUNTER_SLOTS - 1], NULL, NULL), 0); /* refused, not counted */
	ck_assert_uint_eq(tally_count(t, &keys[HB_COUNTER_SLOTS], NULL, NULL), 0);
	ck_assert_uint_eq(tb->counters_used, 0);
	/* empty again: counts return 0 */
	ck_assert_int_eq(hb_tb_count(tb, &keys[HB_COUNTER_SLOTS - 1], 8), 0);
	free(t);
}
END_TEST

START_TEST(counters_dump_moves_counters_into_the_ring)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	struct hb_count_key keys[10];
	for (uint32_t k = 1; k <= 10; k++) {
		keys[k - 1] = key_of(k, 1000 + k, k % 4, k % 2);
		for (uint32_t j = 0; j < k; j++)
			ck_assert_int_eq(hb_tb_count(tb, &keys[k - 1], 16), 0);
	}
	ck_assert_uint_eq(tb->counters_used, 10);
	ck_assert_uint_eq(hb_tb_counters_dump(tb), 0);
	ck_assert_uint_eq(tb->counters_used, 0);
	ck_assert_uint_eq(used_slots(tb), 0);
	struct tally *d = tally_new();
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 10);
	ck_assert_int_eq(d->bad, 0);
	ck_assert_uint_eq(d->nkeys, 10);
	for (uint32_t k = 1; k <= 10; k++) {
		uint64_t bytes;
		unsigned recs;
		ck_assert_uint_eq(tally_count(d, &keys[k - 1], &bytes, &recs), k);
		ck_assert_uint_eq(bytes, 16 * k);
		ck_assert_uint_eq(recs, 1);
	}
	/* nothing to dump: 0, ring untouched */
	ck_assert_uint_eq(hb_tb_counters_dump(tb), 0);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 0);
	/* and the table takes new counts as new */
	ck_assert_int_eq(hb_tb_count(tb, &keys[0], 1), 0);
	ck_assert_uint_eq(tb->counters_used, 1);
	free(d);
}
END_TEST

START_TEST(counters_dump_leaves_leftovers_when_ring_is_full)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	push_seq_range(tb, 0, HB_TB_CAP - 5); /* room for 5 */
	struct hb_count_key keys[12];
	for (uint32_t k = 1; k <= 12; k++) {
		keys[k - 1] = key_of(k, 3, 0, HB_COUNT_FREE);
		hb_tb_count(tb, &keys[k - 1], k);
	}
	ck_assert_uint_eq(hb_tb_counters_dump(tb), 7);
	ck_assert_uint_eq(tb->counters_used, 7);
	ck_assert_uint_eq(used_slots(tb), 7);
	struct hb_tb_rec r = seq_rec(99999);
	ck_assert_int_eq(hb_tb_push(tb, &r), -1); /* the ring is full now */

	struct tally *d = tally_new();
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), HB_TB_CAP);
	ck_assert_uint_eq(d->nkeys, 5);
	ck_assert_uint_eq(hb_tb_counters_dump(tb), 0);
	ck_assert_uint_eq(tb->counters_used, 0);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, d), 7);
	ck_assert_int_eq(d->bad, 0);
	ck_assert_uint_eq(d->nkeys, 12);
	ck_assert_uint_eq(d->nseq, HB_TB_CAP - 5);
	for (uint32_t k = 1; k <= 12; k++) {
		uint64_t bytes;
		unsigned recs;
		ck_assert_uint_eq(tally_count(d, &keys[k - 1], &bytes, &recs), 1);
		ck_assert_uint_eq(bytes, k);
		ck_assert_uint_eq(recs, 1);
	}
	free(d);
}
END_TEST

/* With the ring (nearly) full, a dump moves `room` counters and leaves the
 * rest. The leftovers must still be usable table entries afterwards:
 * counting every key again must find each leftover (so counters_used ends
 * at nkeys: the moved keys come back as new counters), and a take must then
 * show one counter per key, with both counts for a leftover. */
static void leftovers_stay_findable(unsigned nkeys, uint32_t seed, unsigned room)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	push_seq_range(tb, 0, HB_TB_CAP - room);
	/* scattered keys, so that homes collide and probe runs form */
	static struct hb_count_key keys[HB_COUNTER_SLOTS];
	uint32_t x = seed;
	for (unsigned i = 0; i < nkeys; i++) {
		x = x * 1103515245u + 12345u;
		keys[i] = key_of(i + 1, x >> 20, x % 9, (x >> 8) % 2);
	}
	for (unsigned i = 0; i < nkeys; i++)
		ck_assert_int_ge(hb_tb_count(tb, &keys[i], 10), 0);
	ck_assert_uint_eq(tb->counters_used, nkeys);
	unsigned nleft = nkeys > room ? nkeys - room : 0;
	ck_assert_uint_eq(hb_tb_counters_dump(tb), nleft);
	ck_assert_uint_eq(tb->counters_used, nleft);
	ck_assert_uint_eq(used_slots(tb), nleft);
	struct tally *moved = tally_new();
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, moved), HB_TB_CAP - room + (nkeys - nleft));
	ck_assert_int_eq(moved->bad, 0);
	for (unsigned i = 0; i < nkeys; i++)
		ck_assert_int_ge(hb_tb_count(tb, &keys[i], 10), 0);
	ck_assert_uint_eq(tb->counters_used, nkeys);
	struct tally *t = tally_new();
	unsigned taken = hb_tb_counters_take(tb, take_fn, t);
	ck_assert_int_eq(t->bad, 0);
	unsigned split = 0;
	for (unsigned i = 0; i < nkeys; i++) {
		uint64_t bytes, mbytes;
		unsigned recs, mrecs;
		uint64_t c = tally_count(t, &keys[i], &bytes, &recs);
		uint64_t m = tally_count(moved, &keys[i], &mbytes, &mrecs);
		/* moved once (1 in the ring, 1 in the table) or left (2 in the table) */
		ck_assert_uint_eq(c + m, 2);
		ck_assert_uint_eq(bytes + mbytes, 20);
		ck_assert_uint_le(mrecs, 1);
		split += recs != 1;
	}
	ck_assert_msg(split == 0, "%u of %u keys split over two counters after a dump", split, nkeys);
	ck_assert_uint_eq(taken, nkeys);
	ck_assert_uint_eq(moved->nkeys, nkeys - nleft);
	free(moved);
	free(t);
}

START_TEST(counters_leftovers_stay_findable_after_dump)
{
	leftovers_stay_findable(150, 12345, 0);
	leftovers_stay_findable(600, 777, 0);
	leftovers_stay_findable(150, 31337, 60); /* some moved, some left */
	leftovers_stay_findable(600, 2024, 250);
}
END_TEST

START_TEST(counters_leftovers_stay_findable_in_a_crowded_table)
{
	/* just under the 3/4 signal, and the fullest a table gets */
	leftovers_stay_findable(HB_COUNTER_SLOTS * 3 / 4 - 1, 4242, 0);
	leftovers_stay_findable(HB_COUNTER_SLOTS - 1, 99, 0);
	leftovers_stay_findable(HB_COUNTER_SLOTS - 1, 5, 400);
	leftovers_stay_findable(HB_COUNTER_SLOTS * 3 / 4 - 1, 8, 700);
}
END_TEST

START_TEST(counters_take_passes_every_counter_and_empties)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	struct tally *t = tally_new();
	ck_assert_uint_eq(hb_tb_counters_take(tb, take_fn, t), 0); /* empty: no call */
	ck_assert_uint_eq(t->n, 0);
	for (uint32_t k = 1; k <= 100; k++) {
		struct hb_count_key key = key_of(k, k + 1000, 2, k % 2);
		for (uint32_t j = 0; j < k % 5 + 1; j++)
			hb_tb_count(tb, &key, 3);
	}
	ck_assert_uint_eq(hb_tb_counters_take(tb, take_fn, t), 100);
	ck_assert_int_eq(t->bad, 0);
	ck_assert_uint_eq(t->n, 100);
	for (uint32_t k = 1; k <= 100; k++) {
		struct hb_count_key key = key_of(k, k + 1000, 2, k % 2);
		uint64_t bytes;
		unsigned recs;
		ck_assert_uint_eq(tally_count(t, &key, &bytes, &recs), k % 5 + 1);
		ck_assert_uint_eq(bytes, 3 * (k % 5 + 1));
		ck_assert_uint_eq(recs, 1);
	}
	ck_assert_uint_eq(tb->counters_used, 0);
	ck_assert_uint_eq(used_slots(tb), 0);
	free(t);
	t = tally_new();
	ck_assert_uint_eq(hb_tb_counters_take(tb, take_fn, t), 0);
	ck_assert_uint_eq(t->n, 0);
	/* the ring is not touched by a take */
	ck_assert_uint_eq(tb->head, 0);
	free(t);
}
END_TEST

/* An owner counting over more keys than the table holds (so it dumps into
 * the ring, as the recorder does), against a writer that takes and drains
 * all along: every event arrives exactly once, through one path or the
 * other. */
enum { OWNER_EVENTS = 400000, OWNER_KEYS = 1500 };

struct owner {
	struct hb_thread_buffer *tb;
	int done;
	unsigned dumps;
};

static struct hb_count_key owner_key(unsigned i)
{
	unsigned k = i % OWNER_KEYS;
	return key_of(k / 2 + 1, k % 7, k % 4, k % 2);
}

static void *owner_main(void *arg)
{
	struct owner *o = arg;
	for (unsigned i = 0; i < OWNER_EVENTS; i++) {
		struct hb_count_key key = owner_key(i * 7919u);
		int rc;
		if (i % 20000 == 0 && i + 1000 < OWNER_EVENTS) {
			/* the ring path, whatever the writer's pace */
			hb_tb_counters_dump(o->tb);
			o->dumps++;
		}
		while ((rc = hb_tb_count(o->tb, &key, 2 + i % 3)) != 0) {
			hb_tb_counters_dump(o->tb);
			o->dumps++;
			if (rc > 0)
				break; /* counted; the dump was the 3/4 signal */
			sched_yield(); /* full, and the ring too: wait for the writer */
		}
	}
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(counters_take_is_exact_against_a_running_owner)
{
	struct hb_tb_registry reg;
	struct owner o = {buffer_new(&reg), 0, 0};
	struct tally *t = tally_new();
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, owner_main, &o), 0);
	uint64_t taken = 0, drained = 0;
	while (!__atomic_load_n(&o.done, __ATOMIC_ACQUIRE)) {
		taken += hb_tb_counters_take(o.tb, take_fn, t);
		drained += hb_tb_drain(o.tb, drain_fn, t);
		sched_yield();
	}
	pthread_join(th, NULL);
	taken += hb_tb_counters_take(o.tb, take_fn, t);
	drained += hb_tb_drain(o.tb, drain_fn, t);
	ck_assert_int_eq(t->bad, 0);
	ck_assert_uint_eq(t->nkeys, OWNER_KEYS);
	uint64_t total = 0, bytes = 0;
	static uint64_t want_count[OWNER_KEYS], want_bytes[OWNER_KEYS];
	for (unsigned i = 0; i < OWNER_EVENTS; i++) {
		want_count[(i * 7919u) % OWNER_KEYS]++;
		want_bytes[(i * 7919u) % OWNER_KEYS] += 2 + i % 3;
	}
	for (unsigned k = 0; k < OWNER_KEYS; k++) {
		struct hb_count_key key = owner_key(k);
		uint64_t b;
		ck_assert_uint_eq(tally_count(t, &key, &b, NULL), want_count[k]);
		ck_assert_uint_eq(b, want_bytes[k]);
		total += want_count[k];
		bytes += b;
	}
	ck_assert_uint_eq(total, OWNER_EVENTS);
	/* both paths carried counters */
	ck_assert_uint_gt(o.dumps, 0);
	ck_assert_uint_gt(drained, 0);
	ck_assert_uint_gt(taken, 0);
	ck_assert_uint_eq(o.tb->counters_used, 0);
	free(t);
}
END_TEST

/* ---- registry ----------------------------------------------------------- */

START_TEST(acquire_gives_distinct_clean_buffers)
{
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg), *b = hb_tb_acquire(&reg);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(a->in_use, 1);
	ck_assert_int_eq(a->retired, 0);
	ck_assert_uint_eq(a->head, 0);
	ck_assert_uint_eq(a->tail, 0);
	ck_assert_uint_eq(a->counters_used, 0);
	ck_assert_uint_eq(used_slots(a), 0);
	ck_assert_int_eq(a->counter_lock.in, 0);
	/* both are in the registry */
	int found_a = 0, found_b = 0, n = 0;
	for (struct hb_thread_buffer *tb = reg.all; tb; tb = tb->next) {
		found_a += tb == a;
		found_b += tb == b;
		n++;
	}
	ck_assert_int_eq(found_a, 1);
	ck_assert_int_eq(found_b, 1);
	ck_assert_int_eq(n, 2);
}
END_TEST

static void count_counter(void *ctx, const struct hb_counter_slot *s)
{
	(void)s;
	++*(unsigned *)ctx;
}

static pid_t gone_tid;
static int gone(pid_t tid)
{
	return tid == gone_tid;
}

START_TEST(buffer_of_gone_thread_is_reaped)
{
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg), *b = hb_tb_acquire(&reg), *shared = hb_tb_acquire(&reg);
	a->tid = 1001;
	b->tid = 1002;
	/* shared keeps tid 0: no owner, never reaped */
	gone_tid = 1001;
	hb_tb_registry_reap(&reg, gone);
	ck_assert_int_eq(a->retired, 1);
	ck_assert_int_eq(b->retired, 0);
	ck_assert_int_eq(shared->retired, 0);
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 0);
	ck_assert_int_eq(b->in_use, 1);
	ck_assert_int_eq(shared->in_use, 1);
	/* a reused buffer has no owner until its new thread says so */
	struct hb_thread_buffer *c = hb_tb_acquire(&reg);
	ck_assert_ptr_eq(c, a);
	ck_assert_int_eq(c->tid, 0);
}
END_TEST

START_TEST(retired_buffer_is_recycled_once_drained_and_taken)
{
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg);
	push_seq_range(a, 0, 10);
	struct hb_count_key key = key_of(3, 1, 0, HB_COUNT_ALLOC);
	hb_tb_count(a, &key, 5);
	hb_tb_retire(a);
	/* not drained yet: not recycled, a new thread gets a new buffer */
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 1);
	struct hb_thread_buffer *b = hb_tb_acquire(&reg);
	ck_assert_ptr_ne(b, a);

	struct tally *d = tally_new();
	ck_assert_uint_eq(hb_tb_drain(a, drain_fn, d), 10);
	/* its counter is not taken yet: recycling would lose it */
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 1);
	unsigned counters = 0;
	ck_assert_uint_eq(hb_tb_counters_take(a, count_counter, &counters), 1);
	ck_assert_uint_eq(counters, 1);
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 0);
	ck_assert_int_eq(b->in_use, 1); /* a live buffer is never recycled */

	struct hb_thread_buffer *c = hb_tb_acquire(&reg);
	ck_assert_ptr_eq(c, a);
	ck_assert_int_eq(c->in_use, 1);
	ck_assert_int_eq(c->retired, 0);
	ck_assert_uint_eq(c->head, 0);
	ck_assert_uint_eq(c->tail, 0);
	ck_assert_uint_eq(c->cached_tail, 0);
	ck_assert_uint_eq(c->counters_used, 0);
	ck_assert_uint_eq(used_slots(c), 0);
	/* and works as new */
	push_seq_range(c, 0, HB_TB_CAP);
	free(d);
	d = tally_new();
	ck_assert_uint_eq(hb_tb_drain(c, drain_fn, d), HB_TB_CAP);
	ck_assert_int_eq(d->bad, 0);
	ck_assert_int_eq(hb_tb_count(c, &key, 1), 0);
	ck_assert_uint_eq(c->counters_used, 1);
	/* the registry did not grow */
	int n = 0;
	for (struct hb_thread_buffer *tb = reg.all; tb; tb = tb->next)
		n++;
	ck_assert_int_eq(n, 2);
	free(d);
}
END_TEST

START_TEST(recycle_waits_for_counters_made_after_a_take)
{
	/* the owner counts, the writer takes, the owner counts again and
	 * retires: the last counter must be taken before the buffer goes */
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg);
	struct hb_count_key key = key_of(9, 2, 1, HB_COUNT_FREE);
	hb_tb_count(a, &key, 5);
	unsigned counters = 0;
	ck_assert_uint_eq(hb_tb_counters_take(a, count_counter, &counters), 1);
	hb_tb_count(a, &key, 6);
	hb_tb_retire(a);
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 1);
	struct tally *t = tally_new();
	ck_assert_uint_eq(hb_tb_counters_take(a, take_fn, t), 1);
	uint64_t bytes;
	ck_assert_uint_eq(tally_count(t, &key, &bytes, NULL), 1);
	ck_assert_uint_eq(bytes, 6);
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 0);
	/* counters dumped into the ring hold it back the same way */
	struct hb_thread_buffer *c = hb_tb_acquire(&reg);
	ck_assert_ptr_eq(c, a);
	hb_tb_count(c, &key, 7);
	ck_assert_uint_eq(hb_tb_counters_dump(c), 0);
	hb_tb_retire(c);
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(c->in_use, 1);
	ck_assert_uint_eq(hb_tb_drain(c, drain_fn, t), 1);
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(c->in_use, 0);
	ck_assert_uint_eq(tally_count(t, &key, &bytes, NULL), 2);
	ck_assert_uint_eq(bytes, 13);
	free(t);
}
END_TEST

START_TEST(live_buffer_is_not_recycled)
{
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg);
	hb_tb_registry_recycle(&reg); /* empty but not retired */
	ck_assert_int_eq(a->in_use, 1);
	ck_assert_ptr_ne(hb_tb_acquire(&reg), a);
}
END_TEST

START_TEST(atfork_child_keeps_only_the_caller)
{
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg), *b = hb_tb_acquire(&reg);
	push_seq_range(a, 0, 5);
	push_seq_range(b, 0, 5);
	struct hb_count_key key = key_of(1, 1, 0, HB_COUNT_ALLOC);
	hb_tb_count(a, &key, 1);
	hb_tb_count(b, &key, 1);
	b->counter_lock.in = 1; /* held by a thread that is gone in the child */
	hb_tb_registry_atfork_child(&reg, a);
	ck_assert_int_eq(a->in_use, 1);
	ck_assert_int_eq(b->in_use, 0);
	ck_assert_uint_eq(a->head, 0);
	ck_assert_uint_eq(a->counters_used, 0);
	ck_assert_uint_eq(used_slots(a), 0);
	ck_assert_uint_eq(b->head, 0);
	ck_assert_uint_eq(b->counters_used, 0);
	ck_assert_int_eq(b->counter_lock.in, 0);
	ck_assert_ptr_eq(hb_tb_acquire(&reg), b);
	ck_assert_int_eq(hb_tb_count(b, &key, 1), 0); /* its lock works */
}
END_TEST

static void *stop_changing_later(void *arg)
{
	struct hb_thread_buffer *tb = arg;
	struct timespec ms20 = {0, 20 * 1000000L};
	nanosleep(&ms20, NULL);
	__atomic_store_n(&tb->changing, 0, __ATOMIC_RELEASE);
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

START_TEST(wait_counted_waits_for_changes_in_flight)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *self = buffer_new(&reg), *other = hb_tb_acquire(&reg);
	ck_assert_ptr_nonnull(other);
	ck_assert_uint_eq(hb_tb_registry_wait_counted(&reg, self, 1000000000ull), 0);
	/* the caller's own flag does not count: it is the one waiting */
	self->changing = 1;
	ck_assert_uint_eq(hb_tb_registry_wait_counted(&reg, self, 1000000000ull), 0);
	/* another owner that finishes its change in 20 ms is waited for */
	other->changing = 1;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, stop_changing_later, other), 0);
	uint64_t t0 = mono_ns();
	ck_assert_uint_eq(hb_tb_registry_wait_counted(&reg, self, 5000000000ull), 0);
	ck_assert_uint_ge(mono_ns() - t0, 15000000ull);
	pthread_join(t, NULL);
	/* one that never finishes: given up on after the bound */
	other->changing = 1;
	t0 = mono_ns();
	ck_assert_uint_eq(hb_tb_registry_wait_counted(&reg, self, 30000000ull), 1);
	uint64_t spent = mono_ns() - t0;
	ck_assert_uint_ge(spent, 30000000ull);
	ck_assert_uint_lt(spent, 2000000000ull);
}
END_TEST

static Suite *thread_buffer_suite(void)
{
	Suite *s = suite_create("thread_buffer");
	TCase *tc = tcase_create("thread_buffer");
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, push_until_full_fails_at_capacity);
	tcase_add_test(tc, drain_of_empty_ring_returns_zero);
	tcase_add_test(tc, wraps_around_over_many_cycles);
	tcase_add_test(tc, partial_drains_keep_order);
	tcase_add_test(tc, producer_and_drainer_threads_lose_nothing);
	tcase_add_test(tc, count_aggregates_by_full_key);
	tcase_add_test(tc, count_keeps_keys_in_one_probe_run_apart);
	tcase_add_test(tc, count_signals_three_quarter_load_then_full);
	tcase_add_test(tc, counters_dump_moves_counters_into_the_ring);
	tcase_add_test(tc, counters_dump_leaves_leftovers_when_ring_is_full);
	tcase_add_test(tc, counters_leftovers_stay_findable_after_dump);
	tcase_add_test(tc, counters_leftovers_stay_findable_in_a_crowded_table);
	tcase_add_test(tc, counters_take_passes_every_counter_and_empties);
	tcase_add_test(tc, counters_take_is_exact_against_a_running_owner);
	tcase_add_test(tc, acquire_gives_distinct_clean_buffers);
	tcase_add_test(tc, retired_buffer_is_recycled_once_drained_and_taken);
	tcase_add_test(tc, recycle_waits_for_counters_made_after_a_take);
	tcase_add_test(tc, buffer_of_gone_thread_is_reaped);
	tcase_add_test(tc, live_buffer_is_not_recycled);
	tcase_add_test(tc, atfork_child_keeps_only_the_caller);
	tcase_add_test(tc, wait_counted_waits_for_changes_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(thread_buffer_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
