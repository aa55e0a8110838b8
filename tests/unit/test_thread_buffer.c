/*
 * test_thread_buffer.c - unit tests for shim/thread_buffer.h, the per-thread
 * event ring and young-death fold table.
 *
 * The ring: push succeeds exactly HB_TB_CAP times and then returns -1;
 * drain hands the records back in push order and frees the space; positions
 * wrap around the ring correctly over many cycles of uneven sizes; a
 * producer thread and a draining thread lose and reorder nothing.
 * The fold table: fold_add aggregates count and bytes by (stack, alloc kind,
 * free kind); it returns 1 from the add that brings it to 3/4 load and -1
 * when full (the count not taken, existing keys still counted); fold_dump
 * moves counters into the ring as FOLD records and, when the ring is full,
 * leaves exactly the ones that did not fit, still usable as table entries;
 * fold_take passes every counter once and empties the table. The registry:
 * acquire gives distinct clean buffers; a retired buffer is recycled only
 * once drained, and then handed to the next acquire, clean.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thread_buffer.h"

static struct hb_thread_buffer *buffer_new(struct hb_tb_registry *reg)
{
	hb_tb_registry_init(reg);
	struct hb_thread_buffer *tb = hb_tb_acquire(reg);
	ck_assert_ptr_nonnull(tb);
	return tb;
}

static struct hb_tb_rec free_rec(uint64_t seq)
{
	struct hb_tb_rec r;
	memset(&r, 0, sizeof(r));
	r.type = HB_TB_FREE;
	r.fkind = (uint8_t)(seq % 4);
	r.module = (uint32_t)(seq % 17 + 1);
	r.a = seq;
	r.b = ~seq;
	return r;
}

struct drained {
	uint64_t next;  /* expected seq of the next FREE */
	uint64_t n;
	int bad;
	/* FOLD records, by stack (stacks < 1024) */
	uint64_t fold_count[1024], fold_bytes[1024];
	unsigned fold_recs[1024];
	uint8_t fold_akind[1024], fold_fkind[1024];
	uint32_t fold_module[1024];
	uint64_t nfold;
};

static void drain_fn(void *ctx, const struct hb_tb_rec *r)
{
	struct drained *d = ctx;
	d->n++;
	if (r->type == HB_TB_FREE) {
		struct hb_tb_rec want = free_rec(d->next);
		if (memcmp(r, &want, sizeof(want)) != 0)
			d->bad++;
		d->next++;
	} else if (r->type == HB_TB_FOLD && r->stack < 1024) {
		d->fold_count[r->stack] += r->a;
		d->fold_bytes[r->stack] += r->b;
		d->fold_recs[r->stack]++;
		d->fold_akind[r->stack] = r->akind;
		d->fold_fkind[r->stack] = r->fkind;
		d->fold_module[r->stack] = r->module;
		d->nfold++;
	} else {
		d->bad++;
	}
}

static uint64_t push_free_range(struct hb_thread_buffer *tb, uint64_t from, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct hb_tb_rec r = free_rec(from + i);
		ck_assert_int_eq(hb_tb_push(tb, &r), 0);
	}
	return from + n;
}

/* ---- ring --------------------------------------------------------------- */

START_TEST(push_until_full_fails_at_capacity)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	for (uint64_t i = 0; i < HB_TB_CAP; i++) {
		struct hb_tb_rec r = free_rec(i);
		ck_assert_int_eq(hb_tb_push(tb, &r), 0);
	}
	struct hb_tb_rec extra = free_rec(HB_TB_CAP);
	ck_assert_int_eq(hb_tb_push(tb, &extra), -1);
	ck_assert_int_eq(hb_tb_push(tb, &extra), -1);
	ck_assert_uint_eq(tb->head, HB_TB_CAP);

	static struct drained d;
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), HB_TB_CAP);
	ck_assert_int_eq(d.bad, 0);
	ck_assert_uint_eq(d.next, HB_TB_CAP); /* in order, none lost */
	/* room again, exactly HB_TB_CAP more */
	push_free_range(tb, HB_TB_CAP, HB_TB_CAP);
	ck_assert_int_eq(hb_tb_push(tb, &extra), -1);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), HB_TB_CAP);
	ck_assert_uint_eq(d.next, 2 * HB_TB_CAP);
	ck_assert_int_eq(d.bad, 0);
}
END_TEST

START_TEST(drain_of_empty_ring_returns_zero)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	static struct drained d;
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	push_free_range(tb, 0, 3);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 3);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 0);
	ck_assert_uint_eq(d.n, 3);
}
END_TEST

START_TEST(wraps_around_over_many_cycles)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	static struct drained d;
	memset(&d, 0, sizeof(d));
	uint64_t seq = 0;
	/* uneven batch sizes, so the positions land everywhere in the ring */
	static const unsigned sizes[] = {1, 2047, 1500, 2048, 3, 1000, 1999, 7, 2048, 1024};
	for (int cycle = 0; cycle < 300; cycle++) {
		unsigned n = sizes[cycle % 10];
		seq = push_free_range(tb, seq, n);
		if (n == HB_TB_CAP) {
			struct hb_tb_rec r = free_rec(seq);
			ck_assert_int_eq(hb_tb_push(tb, &r), -1);
		}
		ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), n);
		ck_assert_uint_eq(d.next, seq);
	}
	ck_assert_int_eq(d.bad, 0);
	ck_assert_uint_gt(seq, 100 * HB_TB_CAP);
	ck_assert_uint_eq(tb->head, seq);
	ck_assert_uint_eq(tb->tail, seq);
}
END_TEST

START_TEST(partial_drains_keep_order)
{
	/* fill, drain, refill only part: the free space is exactly what was
	 * drained */
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	static struct drained d;
	memset(&d, 0, sizeof(d));
	uint64_t seq = push_free_range(tb, 0, 1000);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 1000);
	seq = push_free_range(tb, seq, HB_TB_CAP);
	struct hb_tb_rec r = free_rec(seq);
	ck_assert_int_eq(hb_tb_push(tb, &r), -1);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), HB_TB_CAP);
	ck_assert_uint_eq(d.next, 1000 + HB_TB_CAP);
	ck_assert_int_eq(d.bad, 0);
}
END_TEST

enum { SPSC_TOTAL = 2000000 };

struct spsc {
	struct hb_thread_buffer *tb;
	volatile int done;
};

static void *producer_main(void *arg)
{
	struct spsc *s = arg;
	for (uint64_t i = 0; i < SPSC_TOTAL;) {
		struct hb_tb_rec r = free_rec(i);
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
	static struct drained d;
	memset(&d, 0, sizeof(d));
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, producer_main, &s), 0);
	while (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE))
		hb_tb_drain(s.tb, drain_fn, &d);
	pthread_join(th, NULL);
	hb_tb_drain(s.tb, drain_fn, &d);
	ck_assert_int_eq(d.bad, 0);
	ck_assert_uint_eq(d.next, SPSC_TOTAL);
	ck_assert_uint_eq(d.n, SPSC_TOTAL);
}
END_TEST

/* ---- fold table --------------------------------------------------------- */

struct taken {
	unsigned n;
	uint64_t count[1024], bytes[1024];
	unsigned slots[1024]; /* slots seen per stack: must be 1 */
	uint32_t module[1024];
	int bad;
};

static void take_fn(void *ctx, const struct hb_fold_slot *s)
{
	struct taken *t = ctx;
	if (!s->used || s->stack >= 1024) {
		t->bad++;
		return;
	}
	t->n++;
	t->count[s->stack] += s->count;
	t->bytes[s->stack] += s->bytes;
	t->slots[s->stack]++;
	t->module[s->stack] = s->module;
}

START_TEST(fold_add_aggregates_by_key)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(hb_tb_fold_add(tb, 7, 3, 0, 0, 100 + (uint64_t)i), 0);
	ck_assert_uint_eq(tb->fold_used, 1);
	/* another alloc kind, another free kind, another stack: new counters */
	ck_assert_int_eq(hb_tb_fold_add(tb, 7, 3, 1, 0, 5), 0);
	ck_assert_int_eq(hb_tb_fold_add(tb, 7, 3, 0, 2, 6), 0);
	ck_assert_int_eq(hb_tb_fold_add(tb, 8, 3, 0, 0, 7), 0);
	ck_assert_int_eq(hb_tb_fold_add(tb, 8, 3, 0, 0, 8), 0);
	ck_assert_uint_eq(tb->fold_used, 4);

	uint64_t c_7_00 = 0, b_7_00 = 0, c_7_10 = 0, c_7_02 = 0, c_8 = 0, b_8 = 0;
	unsigned used = 0;
	for (unsigned i = 0; i < HB_FOLD_SLOTS; i++) {
		const struct hb_fold_slot *s = &tb->fold[i];
		if (!s->used)
			continue;
		used++;
		if (s->stack == 7 && s->akind == 0 && s->fkind == 0) {
			c_7_00 += s->count;
			b_7_00 += s->bytes;
			ck_assert_uint_eq(s->module, 3);
		} else if (s->stack == 7 && s->akind == 1 && s->fkind == 0) {
			c_7_10 += s->count;
			ck_assert_uint_eq(s->bytes, 5);
		} else if (s->stack == 7 && s->akind == 0 && s->fkind == 2) {
			c_7_02 += s->count;
			ck_assert_uint_eq(s->bytes, 6);
		} else if (s->stack == 8) {
			c_8 += s->count;
			b_8 += s->bytes;
		}
	}
	ck_assert_uint_eq(used, 4);
	ck_assert_uint_eq(c_7_00, 10);
	ck_assert_uint_eq(b_7_00, 10 * 100 + 45);
	ck_assert_uint_eq(c_7_10, 1);
	ck_assert_uint_eq(c_7_02, 1);
	ck_assert_uint_eq(c_8, 2);
	ck_assert_uint_eq(b_8, 15);
}
END_TEST

START_TEST(fold_add_signals_three_quarter_load_then_full)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	const unsigned three_q = HB_FOLD_SLOTS * 3 / 4; /* 192 */
	for (unsigned k = 1; k < three_q; k++)
		ck_assert_msg(hb_tb_fold_add(tb, k, 1, 0, 0, 8) == 0, "add %u", k);
	ck_assert_uint_eq(tb->fold_used, three_q - 1);
	/* the add that reaches 3/4 load asks for a dump */
	ck_assert_int_eq(hb_tb_fold_add(tb, three_q, 1, 0, 0, 8), 1);
	ck_assert_uint_eq(tb->fold_used, three_q);
	/* and so does every add after it while the table is that full */
	ck_assert_int_eq(hb_tb_fold_add(tb, 1, 1, 0, 0, 8), 1);
	ck_assert_uint_eq(tb->fold_used, three_q);
	/* one slot stays empty so probes end: 255 keys fit, the 256th does not */
	for (unsigned k = three_q + 1; k < HB_FOLD_SLOTS; k++)
		ck_assert_int_eq(hb_tb_fold_add(tb, k, 1, 0, 0, 8), 1);
	ck_assert_uint_eq(tb->fold_used, HB_FOLD_SLOTS - 1);
	ck_assert_int_eq(hb_tb_fold_add(tb, 1000, 1, 0, 0, 8), -1);
	ck_assert_int_eq(hb_tb_fold_add(tb, 1001, 1, 0, 0, 8), -1);
	ck_assert_uint_eq(tb->fold_used, HB_FOLD_SLOTS - 1);
	/* a key already present is still counted */
	ck_assert_int_eq(hb_tb_fold_add(tb, 5, 1, 0, 0, 8), 1);
	static struct taken t;
	memset(&t, 0, sizeof(t));
	hb_tb_fold_take(tb, take_fn, &t);
	ck_assert_int_eq(t.bad, 0);
	ck_assert_uint_eq(t.n, HB_FOLD_SLOTS - 1);
	ck_assert_uint_eq(t.count[5], 2);
	ck_assert_uint_eq(t.count[1], 2);
	ck_assert_uint_eq(t.count[2], 1);
	ck_assert_uint_eq(t.count[1000], 0); /* refused, not counted */
	ck_assert_uint_eq(tb->fold_used, 0);
	/* empty again: adds return 0 */
	ck_assert_int_eq(hb_tb_fold_add(tb, 1000, 1, 0, 0, 8), 0);
}
END_TEST

START_TEST(fold_dump_moves_counters_into_the_ring)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	for (uint32_t k = 1; k <= 10; k++)
		for (uint32_t j = 0; j < k; j++)
			hb_tb_fold_add(tb, k, 100 + k, (uint8_t)(k % 3), (uint8_t)(k % 4), 16);
	ck_assert_uint_eq(tb->fold_used, 10);
	ck_assert_uint_eq(hb_tb_fold_dump(tb), 0);
	ck_assert_uint_eq(tb->fold_used, 0);
	for (unsigned i = 0; i < HB_FOLD_SLOTS; i++)
		ck_assert_uint_eq(tb->fold[i].used, 0);
	static struct drained d;
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 10);
	ck_assert_int_eq(d.bad, 0);
	ck_assert_uint_eq(d.nfold, 10);
	for (uint32_t k = 1; k <= 10; k++) {
		ck_assert_uint_eq(d.fold_recs[k], 1);
		ck_assert_uint_eq(d.fold_count[k], k);
		ck_assert_uint_eq(d.fold_bytes[k], 16 * k);
		ck_assert_uint_eq(d.fold_module[k], 100 + k);
		ck_assert_uint_eq(d.fold_akind[k], k % 3);
		ck_assert_uint_eq(d.fold_fkind[k], k % 4);
	}
	/* nothing to dump: 0, ring untouched */
	ck_assert_uint_eq(hb_tb_fold_dump(tb), 0);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 0);
}
END_TEST

START_TEST(fold_dump_leaves_leftovers_when_ring_is_full)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	push_free_range(tb, 0, HB_TB_CAP - 5); /* room for 5 */
	for (uint32_t k = 1; k <= 12; k++)
		hb_tb_fold_add(tb, k, 1, 0, 0, k);
	ck_assert_uint_eq(hb_tb_fold_dump(tb), 7);
	ck_assert_uint_eq(tb->fold_used, 7);
	struct hb_tb_rec r = free_rec(99999);
	ck_assert_int_eq(hb_tb_push(tb, &r), -1); /* the ring is full now */

	static struct drained d;
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), HB_TB_CAP);
	ck_assert_uint_eq(d.nfold, 5);
	ck_assert_uint_eq(hb_tb_fold_dump(tb), 0);
	ck_assert_uint_eq(tb->fold_used, 0);
	ck_assert_uint_eq(hb_tb_drain(tb, drain_fn, &d), 7);
	ck_assert_int_eq(d.bad, 0);
	ck_assert_uint_eq(d.nfold, 12);
	for (uint32_t k = 1; k <= 12; k++) {
		ck_assert_uint_eq(d.fold_recs[k], 1);
		ck_assert_uint_eq(d.fold_count[k], 1);
		ck_assert_uint_eq(d.fold_bytes[k], k);
	}
}
END_TEST

START_TEST(fold_leftovers_stay_findable_after_dump)
{
	/* With the ring full, nothing moves and every counter is a leftover.
	 * They must still be usable table entries afterwards: counting the
	 * same keys again must find them (fold_used unchanged), and a take
	 * must then show one counter per key with both counts. */
	enum { KEYS = 150 };
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	push_free_range(tb, 0, HB_TB_CAP);
	/* scattered stack ids, so that homes collide and probe runs form
	 * (sequential ids hash almost perfectly apart) */
	uint32_t keys[KEYS];
	uint8_t taken_id[1024] = {0};
	uint32_t x = 12345;
	for (unsigned i = 0; i < KEYS;) {
		x = x * 1103515245u + 12345u;
		uint32_t k = (x >> 16) % 1023 + 1;
		if (!taken_id[k]) {
			taken_id[k] = 1;
			keys[i++] = k;
		}
	}
	for (unsigned i = 0; i < KEYS; i++)
		ck_assert_int_ge(hb_tb_fold_add(tb, keys[i], 1, 0, 0, 10), 0);
	ck_assert_uint_eq(tb->fold_used, KEYS);
	ck_assert_uint_eq(hb_tb_fold_dump(tb), KEYS);
	ck_assert_uint_eq(tb->fold_used, KEYS);
	for (unsigned i = 0; i < KEYS; i++)
		ck_assert_int_ge(hb_tb_fold_add(tb, keys[i], 1, 0, 0, 10), 0);
	ck_assert_uint_eq(tb->fold_used, KEYS);
	static struct taken t;
	memset(&t, 0, sizeof(t));
	hb_tb_fold_take(tb, take_fn, &t);
	ck_assert_int_eq(t.bad, 0);
	unsigned split = 0;
	for (unsigned i = 0; i < KEYS; i++) {
		ck_assert_uint_eq(t.count[keys[i]], 2);
		ck_assert_uint_eq(t.bytes[keys[i]], 20);
		split += t.slots[keys[i]] != 1;
	}
	ck_assert_msg(split == 0, "%u of %u keys split over two counters after a dump", split, (unsigned)KEYS);
	ck_assert_uint_eq(t.n, KEYS);
}
END_TEST

START_TEST(fold_take_passes_every_counter_and_empties)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	static struct taken t;
	memset(&t, 0, sizeof(t));
	hb_tb_fold_take(tb, take_fn, &t); /* empty: no call */
	ck_assert_uint_eq(t.n, 0);
	for (uint32_t k = 1; k <= 100; k++)
		for (uint32_t j = 0; j < k % 5 + 1; j++)
			hb_tb_fold_add(tb, k, k + 1000, 2, 1, 3);
	hb_tb_fold_take(tb, take_fn, &t);
	ck_assert_int_eq(t.bad, 0);
	ck_assert_uint_eq(t.n, 100);
	for (uint32_t k = 1; k <= 100; k++) {
		ck_assert_uint_eq(t.slots[k], 1);
		ck_assert_uint_eq(t.count[k], k % 5 + 1);
		ck_assert_uint_eq(t.bytes[k], 3 * (k % 5 + 1));
		ck_assert_uint_eq(t.module[k], k + 1000);
	}
	ck_assert_uint_eq(tb->fold_used, 0);
	for (unsigned i = 0; i < HB_FOLD_SLOTS; i++)
		ck_assert_uint_eq(tb->fold[i].used, 0);
	memset(&t, 0, sizeof(t));
	hb_tb_fold_take(tb, take_fn, &t);
	ck_assert_uint_eq(t.n, 0);
	/* the ring is not touched by a take */
	ck_assert_uint_eq(tb->head, 0);
}
END_TEST

enum { FOLD_ADDS = 300000 };

static void *fold_owner_main(void *arg)
{
	struct hb_thread_buffer *tb = arg;
	for (uint32_t i = 0; i < FOLD_ADDS; i++)
		while (hb_tb_fold_add(tb, i % 100 + 1, 1, 0, 0, 2) < 0)
			sched_yield();
	return NULL;
}

START_TEST(fold_take_is_exact_against_a_running_owner)
{
	struct hb_tb_registry reg;
	struct hb_thread_buffer *tb = buffer_new(&reg);
	static struct taken t;
	memset(&t, 0, sizeof(t));
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, fold_owner_main, tb), 0);
	for (int i = 0; i < 2000; i++) {
		hb_tb_fold_take(tb, take_fn, &t);
		sched_yield();
	}
	pthread_join(th, NULL);
	hb_tb_fold_take(tb, take_fn, &t);
	ck_assert_int_eq(t.bad, 0);
	uint64_t total = 0, bytes = 0;
	for (uint32_t k = 1; k <= 100; k++) {
		ck_assert_uint_eq(t.count[k], FOLD_ADDS / 100);
		total += t.count[k];
		bytes += t.bytes[k];
	}
	ck_assert_uint_eq(total, FOLD_ADDS);
	ck_assert_uint_eq(bytes, 2ull * FOLD_ADDS);
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
	ck_assert_uint_eq(a->fold_used, 0);
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

static void count_fold(void *ctx, const struct hb_fold_slot *s)
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

START_TEST(retired_buffer_is_recycled_once_drained)
{
	struct hb_tb_registry reg;
	hb_tb_registry_init(&reg);
	struct hb_thread_buffer *a = hb_tb_acquire(&reg);
	push_free_range(a, 0, 10);
	hb_tb_fold_add(a, 3, 1, 0, 0, 5);
	hb_tb_retire(a);
	/* not drained yet: not recycled, a new thread gets a new buffer */
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 1);
	struct hb_thread_buffer *b = hb_tb_acquire(&reg);
	ck_assert_ptr_ne(b, a);

	static struct drained d;
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(hb_tb_drain(a, drain_fn, &d), 10);
	/* its fold counter is not taken yet: recycling would lose it */
	hb_tb_registry_recycle(&reg);
	ck_assert_int_eq(a->in_use, 1);
	unsigned folds = 0;
	hb_tb_fold_take(a, count_fold, &folds);
	ck_assert_uint_eq(folds, 1);
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
	ck_assert_uint_eq(c->fold_used, 0);
	for (unsigned i = 0; i < HB_FOLD_SLOTS; i++)
		ck_assert_uint_eq(c->fold[i].used, 0);
	/* and works as new */
	push_free_range(c, 0, HB_TB_CAP);
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(hb_tb_drain(c, drain_fn, &d), HB_TB_CAP);
	ck_assert_int_eq(d.bad, 0);
	/* the registry did not grow */
	int n = 0;
	for (struct hb_thread_buffer *tb = reg.all; tb; tb = tb->next)
		n++;
	ck_assert_int_eq(n, 2);
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
	push_free_range(a, 0, 5);
	push_free_range(b, 0, 5);
	hb_tb_fold_add(a, 1, 1, 0, 0, 1);
	hb_tb_registry_atfork_child(&reg, a);
	ck_assert_int_eq(a->in_use, 1);
	ck_assert_int_eq(b->in_use, 0);
	ck_assert_uint_eq(a->head, 0);
	ck_assert_uint_eq(a->fold_used, 0);
	ck_assert_uint_eq(b->head, 0);
	ck_assert_ptr_eq(hb_tb_acquire(&reg), b);
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
	tcase_add_test(tc, fold_add_aggregates_by_key);
	tcase_add_test(tc, fold_add_signals_three_quarter_load_then_full);
	tcase_add_test(tc, fold_dump_moves_counters_into_the_ring);
	tcase_add_test(tc, fold_dump_leaves_leftovers_when_ring_is_full);
	tcase_add_test(tc, fold_leftovers_stay_findable_after_dump);
	tcase_add_test(tc, fold_take_passes_every_counter_and_empties);
	tcase_add_test(tc, fold_take_is_exact_against_a_running_owner);
	tcase_add_test(tc, acquire_gives_distinct_clean_buffers);
	tcase_add_test(tc, retired_buffer_is_recycled_once_drained);
	tcase_add_test(tc, buffer_of_gone_thread_is_reaped);
	tcase_add_test(tc, live_buffer_is_not_recycled);
	tcase_add_test(tc, atfork_child_keeps_only_the_caller);
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
