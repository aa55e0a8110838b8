/*
 * test_stack_table.c - unit tests for shim/stack_table.h, the interning of
 * call stacks into small ids.
 *
 * Checked: ids start at 1 and count up without gaps or reuse; the same
 * frames give the same entry (pointer and id) and the classify callback
 * runs exactly once per new stack, with that stack's frames, depth and id,
 * its module kept in the entry; a different depth or a different frame
 * gives a new id; hb_stack_table_request_reset from inside classify makes
 * every later lookup of an old stack create a new id while the old entries
 * stay intact; the index grows past thousands of stacks without losing
 * one; foreach lists every entry ever made, newest first; and four threads
 * interning overlapping stack sets in different orders agree on one id per
 * distinct stack, with classify called once per stack in all.
 * By id: hb_stack_table_get returns the interned entry for every id (dense
 * from 1, over several chunks of the id directory), NULL for 0, for ids not
 * made yet and for ids past HB_STACK_ID_MAX, keeps the old entries' ids
 * after a reset, and is right from other threads while one interns; the
 * last id made is HB_STACK_ID_MAX and a new stack after it gets NULL.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack_table.h"

struct classify_log {
	unsigned calls;
	uint32_t last_id;
	unsigned last_depth;
	uintptr_t last_frame0;
	uint32_t module_to_return;
	struct hb_stack_table *reset_table; /* request a reset when... */
	uintptr_t reset_on_frame0;          /* ...a new stack starts with this frame */
};

static uint32_t classify(void *ctx, const uintptr_t *frames, unsigned depth, uint32_t flags, uint32_t stack_id)
{
	struct classify_log *log = ctx;
	(void)flags;
	log->calls++;
	log->last_id = stack_id;
	log->last_depth = depth;
	log->last_frame0 = depth ? frames[0] : 0;
	if (log->reset_table && depth && frames[0] == log->reset_on_frame0)
		hb_stack_table_request_reset(log->reset_table);
	return log->module_to_return ? log->module_to_return : stack_id % 7 + 1;
}

/* A deterministic stack: frame i of stack k. */
static void make_stack(uintptr_t *frames, unsigned depth, uint64_t k)
{
	for (unsigned i = 0; i < depth; i++)
		frames[i] = (uintptr_t)(0x400000 + k * 0x1000 + i * 0x10 + 5);
}

/* A table lives as long as its test process, as the shim's lives as long as
 * its host (it has no destroy: its memory is mapped). Each one made is kept
 * here, so that LeakSanitizer (the sanitized build) does not call it lost. */
static struct hb_stack_table *tables_made[64];
static unsigned ntables_made;

static struct hb_stack_table *table_new(void)
{
	struct hb_stack_table *t = calloc(1, sizeof(*t));
	ck_assert_int_eq(hb_stack_table_init(t), 0);
	if (ntables_made < sizeof(tables_made) / sizeof(tables_made[0]))
		tables_made[ntables_made++] = t;
	return t;
}

START_TEST(ids_start_at_one_and_count_up)
{
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	for (uint64_t k = 0; k < 50; k++) {
		uintptr_t f[8];
		make_stack(f, 8, k);
		const struct hb_stack_entry *e = hb_stack_table_intern(t, f, 8, 0, classify, &log);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->id, k + 1);
		ck_assert_uint_eq(e->depth, 8);
		ck_assert_int_eq(memcmp(e->frames, f, sizeof(f)), 0);
	}
	ck_assert_uint_eq(t->count, 50);
	ck_assert_uint_eq(log.calls, 50);
}
END_TEST

START_TEST(same_frames_give_same_entry)
{
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	uintptr_t f[5] = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555};
	const struct hb_stack_entry *a = hb_stack_table_intern(t, f, 5, 0, classify, &log);
	ck_assert_ptr_nonnull(a);
	uintptr_t g[5];
	memcpy(g, f, sizeof(f)); /* equal contents, another array */
	for (int i = 0; i < 100; i++) {
		const struct hb_stack_entry *b = hb_stack_table_intern(t, i % 2 ? f : g, 5, 0, classify, &log);
		ck_assert_ptr_eq(b, a);
		ck_assert_uint_eq(b->id, 1);
	}
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_uint_eq(t->count, 1);
}
END_TEST

START_TEST(classify_runs_once_per_new_stack_with_its_arguments)
{
	struct hb_stack_table *t = table_new();
	struct classify_log log = {.module_to_return = 42};
	uintptr_t f[3] = {0xaaa0, 0xbbb0, 0xccc0};
	const struct hb_stack_entry *e = hb_stack_table_intern(t, f, 3, 0, classify, &log);
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_uint_eq(log.last_id, e->id);
	ck_assert_uint_eq(log.last_depth, 3);
	ck_assert_uint_eq(log.last_frame0, 0xaaa0);
	ck_assert_uint_eq(e->module, 42);
	log.module_to_return = 9;
	uintptr_t g[3] = {0xaaa0, 0xbbb0, 0xccc1};
	const struct hb_stack_entry *e2 = hb_stack_table_intern(t, g, 3, 0, classify, &log);
	ck_assert_uint_eq(log.calls, 2);
	ck_assert_uint_eq(log.last_id, 2);
	ck_assert_uint_eq(e2->module, 9);
	ck_assert_uint_eq(e->module, 42); /* the first entry is unchanged */
	/* interning both again calls nothing */
	hb_stack_table_intern(t, f, 3, 0, classify, &log);
	hb_stack_table_intern(t, g, 3, 0, classify, &log);
	ck_assert_uint_eq(log.calls, 2);
}
END_TEST

START_TEST(null_classify_attributes_no_module)
{
	struct hb_stack_table *t = table_new();
	uintptr_t f[2] = {1, 2};
	const struct hb_stack_entry *e = hb_stack_table_intern(t, f, 2, 0, NULL, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->id, 1);
	ck_assert_uint_eq(e->module, 0);
}
END_TEST

START_TEST(different_depth_or_frames_give_different_ids)
{
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	uintptr_t f[4] = {0x10, 0x20, 0x30, 0x40};
	uint32_t ids[16];
	unsigned n = 0;
	/* every prefix of the same frames, including the empty stack */
	for (unsigned d = 0; d <= 4; d++)
		ids[n++] = hb_stack_table_intern(t, f, d, 0, classify, &log)->id;
	/* one frame changed at each position */
	for (unsigned i = 0; i < 4; i++) {
		uintptr_t g[4];
		memcpy(g, f, sizeof(f));
		g[i] ^= 0x1000;
		ids[n++] = hb_stack_table_intern(t, g, 4, 0, classify, &log)->id;
	}
	/* the same frames in another order */
	uintptr_t r[4] = {0x40, 0x30, 0x20, 0x10};
	ids[n++] = hb_stack_table_intern(t, r, 4, 0, classify, &log)->id;
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(ids[i], i + 1);
	ck_assert_uint_eq(log.calls, n);
	/* and each is found again under its own id */
	for (unsigned d = 0; d <= 4; d++)
		ck_assert_uint_eq(hb_stack_table_intern(t, f, d, 0, classify, &log)->id, d + 1);
	ck_assert_uint_eq(hb_stack_table_intern(t, r, 4, 0, classify, &log)->id, n);
	ck_assert_uint_eq(log.calls, n);
}
END_TEST

START_TEST(reset_from_classify_makes_new_ids)
{
	struct hb_stack_table *t = table_new();
	struct classify_log log = {.reset_table = t, .reset_on_frame0 = 0xdead0};
	uintptr_t a[3] = {0xa0, 0xa1, 0xa2}, b[3] = {0xb0, 0xb1, 0xb2}, trigger[2] = {0xdead0, 0xdead1};
	const struct hb_stack_entry *ea = hb_stack_table_intern(t, a, 3, 0, classify, &log);
	const struct hb_stack_entry *eb = hb_stack_table_intern(t, b, 3, 0, classify, &log);
	ck_assert_uint_eq(ea->id, 1);
	ck_assert_uint_eq(eb->id, 2);
	/* a new stack whose classification says a module went away */
	const struct hb_stack_entry *et = hb_stack_table_intern(t, trigger, 2, 0, classify, &log);
	ck_assert_uint_eq(et->id, 3);
	ck_assert_uint_eq(log.calls, 3);
	/* the trigger itself is indexed after the reset: found again */
	ck_assert_ptr_eq(hb_stack_table_intern(t, trigger, 2, 0, classify, &log), et);
	ck_assert_uint_eq(log.calls, 3);
	/* old stacks are interned afresh under new ids */
	const struct hb_stack_entry *ea2 = hb_stack_table_intern(t, a, 3, 0, classify, &log);
	ck_assert_uint_eq(ea2->id, 4);
	ck_assert_ptr_ne(ea2, ea);
	ck_assert_uint_eq(log.calls, 4);
	ck_assert_uint_eq(hb_stack_table_intern(t, b, 3, 0, classify, &log)->id, 5);
	ck_assert_uint_eq(hb_stack_table_intern(t, a, 3, 0, classify, &log)->id, 4);
	ck_assert_uint_eq(log.calls, 5);
	/* the old entries stay valid for anyone holding them */
	ck_assert_uint_eq(ea->id, 1);
	ck_assert_uint_eq(ea->depth, 3);
	ck_assert_int_eq(memcmp(ea->frames, a, sizeof(a)), 0);
	ck_assert_uint_eq(eb->id, 2);
	ck_assert_int_eq(memcmp(eb->frames, b, sizeof(b)), 0);
	ck_assert_uint_eq(t->count, 5);
}
END_TEST

START_TEST(reset_after_growth_still_makes_new_ids)
{
	/* a reset once the index has grown: every one of 3000 stacks is new
	 * again afterwards */
	enum { N = 3000 };
	struct hb_stack_table *t = table_new();
	struct classify_log log = {.reset_table = t, .reset_on_frame0 = 0xdead0};
	uintptr_t f[6];
	for (uint64_t k = 0; k < N; k++) {
		make_stack(f, 6, k);
		ck_assert_uint_eq(hb_stack_table_intern(t, f, 6, 0, classify, &log)->id, k + 1);
	}
	uintptr_t trigger[1] = {0xdead0};
	ck_assert_uint_eq(hb_stack_table_intern(t, trigger, 1, 0, classify, &log)->id, N + 1);
	for (uint64_t k = 0; k < N; k++) {
		make_stack(f, 6, k);
		ck_assert_uint_eq(hb_stack_table_intern(t, f, 6, 0, classify, &log)->id, N + 2 + k);
	}
	ck_assert_uint_eq(log.calls, 2 * N + 1);
	ck_assert_uint_eq(t->count, 2 * N + 1);
}
END_TEST

struct fe_ctx {
	uint32_t expect_next; /* newest first: ids count down */
	unsigned n;
	int bad;
};

static void fe_fn(void *ctx, const struct hb_stack_entry *e)
{
	struct fe_ctx *c = ctx;
	if (e->id != c->expect_next)
		c->bad++;
	c->expect_next--;
	c->n++;
}

START_TEST(survives_growth)
{
	enum { N = 20000 };
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	static uintptr_t f[N][8];
	const struct hb_stack_entry **ent = calloc(N, sizeof(*ent));
	for (uint64_t k = 0; k < N; k++) {
		unsigned depth = 1 + k % 8;
		make_stack(f[k], depth, k);
		ent[k] = hb_stack_table_intern(t, f[k], depth, 0, classify, &log);
		ck_assert_ptr_nonnull(ent[k]);
		ck_assert_uint_eq(ent[k]->id, k + 1);
	}
	ck_assert_uint_eq(log.calls, N);
	ck_assert_uint_eq(t->count, N);
	/* everything is still found, under the same entry */
	for (uint64_t k = 0; k < N; k++) {
		unsigned depth = 1 + k % 8;
		ck_assert_ptr_eq(hb_stack_table_intern(t, f[k], depth, 0, classify, &log), ent[k]);
		ck_assert_uint_eq(ent[k]->depth, depth);
		ck_assert_int_eq(memcmp(ent[k]->frames, f[k], depth * sizeof(uintptr_t)), 0);
	}
	ck_assert_uint_eq(log.calls, N);
	struct fe_ctx c = {N, 0, 0};
	hb_stack_table_foreach(t, fe_fn, &c);
	ck_assert_uint_eq(c.n, N);
	ck_assert_int_eq(c.bad, 0);
	free(ent);
}
END_TEST

START_TEST(deep_stacks_are_kept_whole)
{
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	uintptr_t f[256], g[256];
	make_stack(f, 256, 1);
	memcpy(g, f, sizeof(f));
	g[255] ^= 1; /* differs only in the last frame */
	const struct hb_stack_entry *a = hb_stack_table_intern(t, f, 256, 0, classify, &log);
	const struct hb_stack_entry *b = hb_stack_table_intern(t, g, 256, 0, classify, &log);
	ck_assert_uint_eq(a->id, 1);
	ck_assert_uint_eq(b->id, 2);
	ck_assert_uint_eq(a->depth, 256);
	ck_assert_int_eq(memcmp(a->frames, f, sizeof(f)), 0);
	ck_assert_int_eq(memcmp(b->frames, g, sizeof(g)), 0);
	ck_assert_ptr_eq(hb_stack_table_intern(t, f, 256, 0, classify, &log), a);
}
END_TEST

/* ---- lookup by id ------------------------------------------------------- */

START_TEST(get_returns_the_interned_entry_for_every_id)
{
	/* 10000 stacks: ids 1..10000, dense, over three chunks of the id
	 * directory; each id gives back exactly its entry */
	enum { N = 10000 };
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	const struct hb_stack_entry **ent = calloc(N + 1, sizeof(*ent));
	for (uint64_t k = 1; k <= N; k++) {
		uintptr_t f[5];
		make_stack(f, 1 + k % 5, k);
		ent[k] = hb_stack_table_intern(t, f, 1 + k % 5, 0, classify, &log);
		ck_assert_ptr_nonnull(ent[k]);
		ck_assert_uint_eq(ent[k]->id, k); /* dense, from 1 */
		ck_assert_ptr_eq(hb_stack_table_get(t, (uint32_t)k), ent[k]);
	}
	for (uint64_t k = 1; k <= N; k++) {
		const struct hb_stack_entry *e = hb_stack_table_get(t, (uint32_t)k);
		ck_assert_ptr_eq(e, ent[k]);
		ck_assert_uint_eq(e->id, k);
		ck_assert_uint_eq(e->module, k % 7 + 1); /* what classify said */
	}
	ck_assert_uint_gt(N, HB_STACK_CHUNK * 2); /* the premise: several chunks */
	free(ent);
}
END_TEST

START_TEST(get_returns_null_for_unknown_ids)
{
	struct hb_stack_table *t = table_new();
	/* an empty table */
	ck_assert_ptr_null(hb_stack_table_get(t, 0));
	ck_assert_ptr_null(hb_stack_table_get(t, 1));
	ck_assert_ptr_null(hb_stack_table_get(t, HB_STACK_ID_MAX));
	ck_assert_ptr_null(hb_stack_table_get(t, UINT32_MAX));
	struct classify_log log = {0};
	for (uint64_t k = 0; k < 100; k++) {
		uintptr_t f[3];
		make_stack(f, 3, k);
		ck_assert_ptr_nonnull(hb_stack_table_intern(t, f, 3, 0, classify, &log));
	}
	/* 0 is never an id; the next id is not made yet; nor one in the same
	 * chunk, nor one in a chunk never reached; nor ids past the cap, whose
	 * directory index would wrap onto a chunk that exists */
	ck_assert_ptr_null(hb_stack_table_get(t, 0));
	ck_assert_ptr_nonnull(hb_stack_table_get(t, 100));
	ck_assert_ptr_null(hb_stack_table_get(t, 101));
	ck_assert_ptr_null(hb_stack_table_get(t, HB_STACK_CHUNK - 1));
	ck_assert_ptr_null(hb_stack_table_get(t, HB_STACK_CHUNK * 7 + 3));
	ck_assert_ptr_null(hb_stack_table_get(t, HB_STACK_ID_MAX));
	ck_assert_ptr_null(hb_stack_table_get(t, HB_STACK_ID_MAX + 1));
	ck_assert_ptr_null(hb_stack_table_get(t, (1u << 24) + 5)); /* directory index 0 again */
	ck_assert_ptr_null(hb_stack_table_get(t, UINT32_MAX));
}
END_TEST

START_TEST(get_keeps_old_entries_after_a_reset)
{
	/* a reset makes new ids for old stacks; the old ids still name the
	 * old entries (a block allocated before the reset frees against it) */
	struct hb_stack_table *t = table_new();
	struct classify_log log = {.reset_table = t, .reset_on_frame0 = 0xdead0};
	uintptr_t a[3] = {0xa0, 0xa1, 0xa2}, trigger[2] = {0xdead0, 0xdead1};
	const struct hb_stack_entry *ea = hb_stack_table_intern(t, a, 3, 0, classify, &log);
	const struct hb_stack_entry *et = hb_stack_table_intern(t, trigger, 2, 0, classify, &log);
	const struct hb_stack_entry *ea2 = hb_stack_table_intern(t, a, 3, 0, classify, &log);
	ck_assert_uint_eq(ea->id, 1);
	ck_assert_uint_eq(et->id, 2);
	ck_assert_uint_eq(ea2->id, 3);
	ck_assert_ptr_eq(hb_stack_table_get(t, 1), ea);
	ck_assert_ptr_eq(hb_stack_table_get(t, 2), et);
	ck_assert_ptr_eq(hb_stack_table_get(t, 3), ea2);
	ck_assert_ptr_null(hb_stack_table_get(t, 4));
}
END_TEST

START_TEST(ids_stop_at_the_cap)
{
	/* The live table packs 24-bit ids: the last one made is HB_STACK_ID_MAX,
	 * and a new stack after it gets no entry (NULL), while stacks already
	 * interned are still found. (Interning 16 M stacks takes too long for a
	 * unit test, so the table is moved to the end of its ids.) */
	struct hb_stack_table *t = table_new();
	struct classify_log log = {0};
	uintptr_t f[2] = {0x111, 0x222}, g2[2] = {0x333, 0x444}, h[2] = {0x555, 0x666};
	const struct hb_stack_entry *first = hb_stack_table_intern(t, f, 2, 0, classify, &log);
	ck_assert_uint_eq(first->id, 1);
	t->next_id = HB_STACK_ID_MAX;
	const struct hb_stack_entry *last = hb_stack_table_intern(t, g2, 2, 0, classify, &log);
	ck_assert_ptr_nonnull(last);
	ck_assert_uint_eq(last->id, HB_STACK_ID_MAX);
	ck_assert_ptr_eq(hb_stack_table_get(t, HB_STACK_ID_MAX), last);
	ck_assert_uint_eq(log.calls, 2);
	ck_assert_ptr_null(hb_stack_table_intern(t, h, 2, 0, classify, &log));
	ck_assert_uint_eq(log.calls, 2); /* not classified: no id to give it */
	ck_assert_ptr_null(hb_stack_table_find(t, h, 2));
	ck_assert_ptr_null(hb_stack_table_get(t, HB_STACK_ID_MAX + 1));
	ck_assert_ptr_null(hb_stack_table_get(t, 0));
	/* the ones made before are still there */
	ck_assert_ptr_eq(hb_stack_table_intern(t, f, 2, 0, classify, &log), first);
	ck_assert_ptr_eq(hb_stack_table_intern(t, g2, 2, 0, classify, &log), last);
	ck_assert_ptr_eq(hb_stack_table_get(t, 1), first);
	ck_assert_uint_eq(t->count, 2);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

enum { THREADS = 4, STACKS = 4000, DEPTH = 6 };

static uintptr_t shared_frames[STACKS][DEPTH];
static unsigned mt_calls; /* classify runs under the table lock */

static uint32_t mt_classify(void *ctx, const uintptr_t *frames, unsigned depth, uint32_t flags, uint32_t stack_id)
{
	(void)ctx;
	(void)frames;
	(void)flags;
	(void)depth;
	mt_calls++;
	return stack_id;
}

struct mt_worker {
	struct hb_stack_table *t;
	unsigned idx;
	uint32_t ids[STACKS];
	int errors;
};

static void *mt_main(void *arg)
{
	struct mt_worker *w = arg;
	/* thread i covers 3/4 of the stacks, starting at a different quarter,
	 * even threads forwards and odd ones backwards, twice */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned j = 0; j < STACKS * 3 / 4; j++) {
			unsigned k = (w->idx * STACKS / 4 + (w->idx % 2 ? STACKS - 1 - j : j)) % STACKS;
			const struct hb_stack_entry *e =
				hb_stack_table_intern(w->t, shared_frames[k], DEPTH, 0, mt_classify, NULL);
			if (!e || e->depth != DEPTH || memcmp(e->frames, shared_frames[k], sizeof(shared_frames[k])) ||
			    e->module != e->id) {
				w->errors++;
				continue;
			}
			if (w->ids[k] && w->ids[k] != e->id)
				w->errors++;
			w->ids[k] = e->id;
		}
	}
	return NULL;
}

START_TEST(concurrent_interning_gives_one_id_per_stack)
{
	struct hb_stack_table *t = table_new();
	for (unsigned k = 0; k < STACKS; k++)
		make_stack(shared_frames[k], DEPTH, k);
	mt_calls = 0;
	static struct mt_worker w[THREADS];
	pthread_t th[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].t = t;
		w[i].idx = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, mt_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].errors, 0);
	}
	/* every thread that saw a stack saw the same id */
	uint8_t *used = calloc(STACKS + 1, 1);
	for (unsigned k = 0; k < STACKS; k++) {
		uint32_t id = 0;
		for (unsigned i = 0; i < THREADS; i++) {
			if (!w[i].ids[k])
				continue;
			if (!id)
				id = w[i].ids[k];
			ck_assert_uint_eq(w[i].ids[k], id);
		}
		ck_assert_uint_ge(id, 1);
		ck_assert_uint_le(id, STACKS);
		ck_assert_uint_eq(used[id], 0); /* distinct stacks, distinct ids */
		used[id] = 1;
	}
	free(used);
	ck_assert_uint_eq(mt_calls, STACKS);
	ck_assert_uint_eq(t->count, STACKS);
	ck_assert_uint_eq(t->next_id, STACKS + 1);
}
END_TEST

/* One thread interns, others look ids up by number as soon as they are
 * handed out: every id published is found, with its frames, lock-free. */
enum { GET_STACKS = 20000, GET_READERS = 2 };

static uintptr_t get_frames[GET_STACKS][4];
static uint32_t published; /* the highest id handed out */

static void *get_reader(void *arg)
{
	struct hb_stack_table *t = arg;
	uintptr_t errors = 0;
	uint32_t seen = 0;
	while (seen < GET_STACKS) {
		uint32_t top = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
		for (uint32_t id = seen + 1; id <= top; id++) {
			const struct hb_stack_entry *e = hb_stack_table_get(t, id);
			if (!e || e->id != id || e->depth != 4 || memcmp(e->frames, get_frames[id - 1], sizeof(get_frames[0])))
				errors++;
		}
		seen = top;
	}
	return (void *)errors;
}

START_TEST(get_is_lock_free_against_a_running_intern)
{
	struct hb_stack_table *t = table_new();
	for (unsigned k = 0; k < GET_STACKS; k++)
		make_stack(get_frames[k], 4, k + 77);
	published = 0;
	pthread_t th[GET_READERS];
	for (unsigned i = 0; i < GET_READERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, get_reader, t), 0);
	for (unsigned k = 0; k < GET_STACKS; k++) {
		const struct hb_stack_entry *e = hb_stack_table_intern(t, get_frames[k], 4, 0, NULL, NULL);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->id, k + 1);
		__atomic_store_n(&published, e->id, __ATOMIC_RELEASE);
	}
	for (unsigned i = 0; i < GET_READERS; i++) {
		void *errors;
		pthread_join(th[i], &errors);
		ck_assert_uint_eq((uintptr_t)errors, 0);
	}
}
END_TEST

static Suite *stack_table_suite(void)
{
	Suite *s = suite_create("stack_table");
	TCase *tc = tcase_create("stack_table");
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, ids_start_at_one_and_count_up);
	tcase_add_test(tc, same_frames_give_same_entry);
	tcase_add_test(tc, classify_runs_once_per_new_stack_with_its_arguments);
	tcase_add_test(tc, null_classify_attributes_no_module);
	tcase_add_test(tc, different_depth_or_frames_give_different_ids);
	tcase_add_test(tc, reset_from_classify_makes_new_ids);
	tcase_add_test(tc, reset_after_growth_still_makes_new_ids);
	tcase_add_test(tc, survives_growth);
	tcase_add_test(tc, deep_stacks_are_kept_whole);
	tcase_add_test(tc, concurrent_interning_gives_one_id_per_stack);
	tcase_add_test(tc, get_returns_the_interned_entry_for_every_id);
	tcase_add_test(tc, get_returns_null_for_unknown_ids);
	tcase_add_test(tc, get_keeps_old_entries_after_a_reset);
	tcase_add_test(tc, ids_stop_at_the_cap);
	tcase_add_test(tc, get_is_lock_free_against_a_running_intern);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stack_table_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
