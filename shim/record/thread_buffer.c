/*
 * thread_buffer.c - rings, fold tables and their registry (see the header).
 *
 * The fold table is open addressing over 256 slots, keyed by (stack, alloc
 * kind, free kind), dumped at 3/4 load so probes stay short.
 */
#include "thread_buffer.h"

#include <string.h>

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
	hb_spin_init(&tb->fold_lock);
	tb->fold_used = 0;
	memset(tb->fold, 0, sizeof(tb->fold));
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

static inline unsigned fold_slot(uint32_t stack, uint8_t akind, uint8_t fkind)
{
	uint32_t h = (stack * 0x9E3779B1u) ^ ((uint32_t)akind << 4 | fkind) * 0x85EBCA6Bu;
	return (h >> 16) & (HB_FOLD_SLOTS - 1);
}

int hb_tb_fold_add(struct hb_thread_buffer *tb, uint32_t stack, uint32_t module, uint8_t akind, uint8_t fkind,
		   uint64_t size)
{
	int ret;
	hb_spin_lock(&tb->fold_lock);
	for (unsigned i = fold_slot(stack, akind, fkind);; i = (i + 1) & (HB_FOLD_SLOTS - 1)) {
		struct hb_fold_slot *s = &tb->fold[i];
		if (!s->used) {
			if (tb->fold_used + 1 >= HB_FOLD_SLOTS) {
				/* keep one slot empty so probes end; the caller dumps */
				hb_spin_unlock(&tb->fold_lock);
				return -1;
			}
			s->used = 1;
			s->stack = stack;
			s->module = module;
			s->akind = akind;
			s->fkind = fkind;
			s->count = 1;
			s->bytes = size;
			tb->fold_used++;
			break;
		}
		if (s->stack == stack && s->akind == akind && s->fkind == fkind) {
			s->count++;
			s->bytes += size;
			break;
		}
	}
	ret = tb->fold_used * 4 >= HB_FOLD_SLOTS * 3;
	hb_spin_unlock(&tb->fold_lock);
	return ret;
}

unsigned hb_tb_fold_dump(struct hb_thread_buffer *tb)
{
	if (!tb->fold_used)
		return 0;
	/* Push what fits. Counters that did not fit (a full ring) are compacted
	 * to the front and re-inserted one by one, because clearing single
	 * slots of an open-addressing table would break its probe chains. */
	unsigned nleft = 0;
	hb_spin_lock(&tb->fold_lock);
	for (unsigned i = 0; i < HB_FOLD_SLOTS; i++) {
		struct hb_fold_slot s = tb->fold[i];
		if (!s.used)
			continue;
		struct hb_tb_rec rec = {.type = HB_TB_FOLD, .akind = s.akind, .fkind = s.fkind,
					.module = s.module, .stack = s.stack, .a = s.count, .b = s.bytes};
		memset(&tb->fold[i], 0, sizeof(tb->fold[i]));
		if (hb_tb_push(tb, &rec) < 0)
			tb->fold[nleft++] = s; /* nleft <= i: that slot is already read */
	}
	tb->fold_used = nleft;
	for (unsigned k = nleft; k-- > 0;) {
		struct hb_fold_slot s = tb->fold[k];
		memset(&tb->fold[k], 0, sizeof(tb->fold[k]));
		unsigned i = fold_slot(s.stack, s.akind, s.fkind);
		while (tb->fold[i].used)
			i = (i + 1) & (HB_FOLD_SLOTS - 1);
		tb->fold[i] = s;
	}
	hb_spin_unlock(&tb->fold_lock);
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

void hb_tb_fold_take(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_fold_slot *s), void *ctx)
{
	if (!__atomic_load_n(&tb->fold_used, __ATOMIC_RELAXED))
		return;
	hb_spin_lock(&tb->fold_lock);
	for (unsigned i = 0; i < HB_FOLD_SLOTS; i++) {
		if (tb->fold[i].used) {
			fn(ctx, &tb->fold[i]);
			memset(&tb->fold[i], 0, sizeof(tb->fold[i]));
		}
	}
	tb->fold_used = 0;
	hb_spin_unlock(&tb->fold_lock);
}

/* A retired buffer is reused only when its ring is drained and its fold
 * counters are taken: its owner may have added counters after the writer
 * took them and before it retired (both read after `retired`, which the
 * owner set last). */
static int emptied(struct hb_thread_buffer *tb)
{
	if (__atomic_load_n(&tb->head, __ATOMIC_ACQUIRE) != tb->tail)
		return 0;
	hb_spin_lock(&tb->fold_lock);
	int empty = tb->fold_used == 0;
	hb_spin_unlock(&tb->fold_lock);
	return empty;
}

void hb_tb_registry_reap(struct hb_tb_registry *r, int (*dead)(pid_t tid))
{
	for (struct hb_thread_buffer *tb = __atomic_load_n(&r->all, __ATOMIC_ACQUIRE); tb; tb = tb->next) {
		pid_t tid = __atomic_load_n(&tb->tid, __ATOMIC_ACQUIRE);
		if (tb->in_use && tid && !__atomic_load_n(&tb->retired, __ATOMIC_ACQUIRE) && dead(tid))
			hb_tb_retire(tb);
	}
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
