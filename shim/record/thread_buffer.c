/*
 * thread_buffer.c - rings, counter tables and their registry (see the
 * header).
 *
 * The counter table is open addressing over HB_COUNTER_SLOTS slots, keyed
 * by (stack, epoch, kind, direction), dumped at 3/4 load so probes stay
 * short.
 */
#include "thread_buffer.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "shim_mem.h"
#include "spinlock.h"

void hb_tb_registry_init(struct hb_tb_registry *r)
{
	pthread_mutex_init(&r->lock, NULL);
	r->all = NULL;
}

static void reset(struct hb_thread_buffer *tb)
{
	tb->head = tb->tail = tb->cached_tail = 0;
	hb_owner_lock_init(&tb->counter_lock);
	tb->counters_used = 0;
	tb->changing = 0;
	memset(tb->counters, 0, sizeof(tb->counters));
	tb->retired = 0;
	tb->tid = 0;
}

struct hb_thread_buffer *hb_tb_acquire(struct hb_tb_registry *r)
{
	struct hb_thread_buffer *tb;
	pthread_mutex_lock(&r->lock);
	for (tb = r->all; tb; tb = tb->next) {
		if (!tb->in_use) {
			reset(tb);
			tb->in_use = 1;
			goto out;
		}
	}
	tb = hb_mem_map(sizeof(*tb));
	if (tb) {
		tb->in_use = 1;
		tb->next = r->all;
		__atomic_store_n(&r->all, tb, __ATOMIC_RELEASE);
	}
out:
	pthread_mutex_unlock(&r->lock);
	return tb;
}

void hb_tb_retire(struct hb_thread_buffer *tb)
{
	__atomic_store_n(&tb->retired, 1, __ATOMIC_RELEASE);
}

static inline int same_key(const struct hb_count_key *a, const struct hb_count_key *b)
{
	return a->stack == b->stack && a->epoch == b->epoch && a->kind == b->kind && a->dir == b->dir;
}

static inline unsigned counter_slot(const struct hb_count_key *k)
{
	uint32_t h = (k->stack * 0x9E3779B1u) ^ (k->epoch * 0x85EBCA6Bu) ^
		     ((uint32_t)k->kind << 1 | k->dir) * 0xC2B2AE35u;
	return (h >> 16) & (HB_COUNTER_SLOTS - 1);
}

int hb_tb_count(struct hb_thread_buffer *tb, const struct hb_count_key *key, uint64_t size)
{
	return hb_tb_count_n(tb, key, 1, size);
}

int hb_tb_count_n(struct hb_thread_buffer *tb, const struct hb_count_key *key, uint64_t count, uint64_t bytes)
{
	int ret;
	hb_owner_enter(&tb->counter_lock);
	for (unsigned i = counter_slot(key);; i = (i + 1) & (HB_COUNTER_SLOTS - 1)) {
		struct hb_counter_slot *s = &tb->counters[i];
		if (!s->used) {
			if (tb->counters_used + 1 >= HB_COUNTER_SLOTS) {
				/* keep one slot empty so probes end; the caller dumps */
				hb_owner_leave(&tb->counter_lock);
				return -1;
			}
			s->used = 1;
			s->key = *key;
			s->count = count;
			s->bytes = bytes;
			tb->counters_used++;
			break;
		}
		if (same_key(&s->key, key)) {
			s->count += count;
			s->bytes += bytes;
			break;
		}
	}
	ret = tb->counters_used * 4 >= HB_COUNTER_SLOTS * 3;
	hb_owner_leave(&tb->counter_lock);
	return ret;
}

unsigned hb_tb_counters_dump(struct hb_thread_buffer *tb)
{
	if (!tb->counters_used)
		return 0;
	/* Push what fits. Counters that did not fit (a full ring) are compacted
	 * to the front and re-inserted one by one, because clearing single
	 * slots of an open-addressing table would break its probe chains. */
	unsigned nleft = 0;
	hb_owner_enter(&tb->counter_lock);
	for (unsigned i = 0; i < HB_COUNTER_SLOTS; i++) {
		struct hb_counter_slot s = tb->counters[i];
		if (!s.used)
			continue;
		struct hb_tb_rec rec = {.key = s.key, .count = s.count, .bytes = s.bytes};
		memset(&tb->counters[i], 0, sizeof(tb->counters[i]));
		if (hb_tb_push(tb, &rec) < 0)
			tb->counters[nleft++] = s; /* nleft <= i: that slot is already read */
	}
	tb->counters_used = nleft;
	for (unsigned k = nleft; k-- > 0;) {
		struct hb_counter_slot s = tb->counters[k];
		memset(&tb->counters[k], 0, sizeof(tb->counters[k]));
		unsigned i = counter_slot(&s.key);
		while (tb->counters[i].used)
			i = (i + 1) & (HB_COUNTER_SLOTS - 1);
		tb->counters[i] = s;
	}
	hb_owner_leave(&tb->counter_lock);
	return nleft;
}

uint64_t hb_tb_drain(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_tb_rec *rec), void *ctx)
{
	uint64_t head = __atomic_load_n(&tb->head, __ATOMIC_ACQUIRE);
	uint64_t tail = tb->tail;
	for (uint64_t i = tail; i < head; i++)
		fn(ctx, &tb->ring[i & (HB_TB_CAP - 1)]);
	__atomic_store_n(&tb->tail, head, __ATOMIC_RELEASE);
	return head - tail;
}

/* Takes the counters of tb, whose lock the caller has taken. */
static unsigned take_locked(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_counter_slot *s),
			    void *ctx)
{
	unsigned n = 0, used = __atomic_load_n(&tb->counters_used, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < HB_COUNTER_SLOTS && n < used; i++) {
		if (tb->counters[i].used) {
			fn(ctx, &tb->counters[i]);
			memset(&tb->counters[i], 0, sizeof(tb->counters[i]));
			n++;
		}
	}
	tb->counters_used = 0;
	return n;
}

unsigned hb_tb_counters_take(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_counter_slot *s),
			     void *ctx)
{
	if (!__atomic_load_n(&tb->counters_used, __ATOMIC_RELAXED))
		return 0;
	hb_owner_take_begin(&tb->counter_lock);
	hb_owner_take_sync();
	unsigned n = hb_owner_take_wait(&tb->counter_lock) == 0 ? take_locked(tb, fn, ctx) : 0;
	hb_owner_untake(&tb->counter_lock);
	return n;
}

unsigned hb_tb_registry_take_counters(struct hb_tb_registry *r,
				      void (*fn)(void *ctx, const struct hb_counter_slot *s), void *ctx, int force)
{
	unsigned buffers = 0, taking = 0;
	struct hb_thread_buffer *all = __atomic_load_n(&r->all, __ATOMIC_ACQUIRE);
	for (struct hb_thread_buffer *tb = all; tb; tb = tb->next) {
		if (!tb->in_use)
			continue;
		buffers++;
		/* a table found empty now is left alone: what its owner adds
		 * meanwhile waits for the next flush, as it would have anyway */
		tb->taken = __atomic_load_n(&tb->counters_used, __ATOMIC_RELAXED) != 0;
		if (tb->taken) {
			hb_owner_take_begin(&tb->counter_lock);
			taking++;
		}
	}
	if (!taking)
		return buffers;
	hb_owner_take_sync();
	/* first the buffers whose owners are out, so that one owner held up
	 * inside does not hold every other thread at its next count */
	for (int pass = 0; pass < 2; pass++) {
		for (struct hb_thread_buffer *tb = all; tb; tb = tb->next) {
			if (!tb->in_use || !tb->taken)
				continue;
			if (pass == 0 && !hb_owner_is_out(&tb->counter_lock))
				continue;
			/* an owner stuck inside: its counts wait for the next flush,
			 * unless this is the last one (then read what is there) */
			if (pass == 0 || hb_owner_take_wait(&tb->counter_lock) == 0 || force)
				take_locked(tb, fn, ctx);
			hb_owner_untake(&tb->counter_lock);
			tb->taken = 0;
		}
	}
	return buffers;
}

/* A retired buffer is reused only when its ring is drained and its
 * counters are taken: its owner may have added counters after the writer
 * took them and before it retired (both read after `retired`, which the
 * owner set last). */
static int emptied(struct hb_thread_buffer *tb)
{
	if (__atomic_load_n(&tb->head, __ATOMIC_ACQUIRE) != tb->tail)
		return 0;
	/* the owner is gone (retired, or reaped), so its last counts are in:
	 * `retired` was read with acquire */
	return __atomic_load_n(&tb->counters_used, __ATOMIC_ACQUIRE) == 0;
}

void hb_tb_registry_reap(struct hb_tb_registry *r, int (*dead)(pid_t tid))
{
	for (struct hb_thread_buffer *tb = __atomic_load_n(&r->all, __ATOMIC_ACQUIRE); tb; tb = tb->next) {
		pid_t tid = __atomic_load_n(&tb->tid, __ATOMIC_ACQUIRE);
		if (tb->in_use && tid && !__atomic_load_n(&tb->retired, __ATOMIC_ACQUIRE) && dead(tid))
			hb_tb_retire(tb);
	}
}

unsigned hb_tb_registry_wait_counted(struct hb_tb_registry *r, const struct hb_thread_buffer *self,
				     uint64_t max_ns)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned left = 0;
	for (struct hb_thread_buffer *tb = __atomic_load_n(&r->all, __ATOMIC_ACQUIRE); tb; tb = tb->next) {
		if (tb == self || !tb->in_use)
			continue;
		while (__atomic_load_n(&tb->changing, __ATOMIC_ACQUIRE)) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			uint64_t spent = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)now.tv_nsec -
					 (uint64_t)t0.tv_nsec;
			if (spent >= max_ns) {
				left++;
				break;
			}
			sched_yield();
		}
	}
	return left;
}

void hb_tb_registry_recycle(struct hb_tb_registry *r)
{
	for (struct hb_thread_buffer *tb = __atomic_load_n(&r->all, __ATOMIC_ACQUIRE); tb; tb = tb->next) {
		if (tb->in_use && __atomic_load_n(&tb->retired, __ATOMIC_ACQUIRE) && emptied(tb)) {
			pthread_mutex_lock(&r->lock);
			tb->in_use = 0;
			pthread_mutex_unlock(&r->lock);
		}
	}
}

void hb_tb_registry_atfork_child(struct hb_tb_registry *r, struct hb_thread_buffer *self)
{
	pthread_mutex_init(&r->lock, NULL);
	for (struct hb_thread_buffer *tb = r->all; tb; tb = tb->next) {
		int keep = tb == self;
		reset(tb);
		tb->in_use = keep;
	}
}
