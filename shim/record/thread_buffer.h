/*
 * thread_buffer.h - per-thread event buffers and young-death counters.
 *
 * Each thread owns one buffer: a single-producer single-consumer ring that
 * its own allocator calls fill without a lock and the writer thread drains,
 * and a small fold table. The fold table is where most events end: a block
 * freed before any flush wrote its allocation is not worth two records, so
 * its free bumps a (stack, alloc kind, free kind) counter here instead. At
 * every flush the writer takes the counters (hb_tb_fold_take), so a thread
 * that went idle, or was killed, loses nothing that happened before the
 * flush; when the table fills between flushes, the owner moves its counters
 * into its ring as FOLD records. The table has a spinlock of its own: the
 * owner takes it, uncontended, for each count; the writer for each take.
 *
 * Buffers are mmap'd, linked into one registry and never unmapped; when a
 * thread ends, its buffer is retired, drained by the writer and handed to
 * the next new thread, so memory is bounded by the peak thread count, not by
 * thread churn.
 *
 * Ring capacity: 2048 records of 32 bytes (64 KiB). At a flush a second, a
 * thread would have to free about 2000 blocks that outlived a flush within
 * one second to fill it; when that happens the producer kicks the writer and
 * waits (see recorder.c), and only if the writer is gone does it count the
 * record as lost.
 */
#ifndef HB_THREAD_BUFFER_H
#define HB_THREAD_BUFFER_H

#include <pthread.h>
#include <stdint.h>

#include <sys/types.h>

#include "spinlock.h"
#include "unwind.h"

#define HB_TB_CAP 2048u
#define HB_FOLD_SLOTS 256u

enum hb_tb_type {
	HB_TB_FREE = 1,
	HB_TB_FOLD = 2,
};

struct hb_tb_rec {
	uint8_t type;   /* enum hb_tb_type */
	uint8_t akind;  /* FOLD: alloc kind */
	uint8_t fkind;  /* free kind */
	uint8_t pad_;
	uint32_t module;
	uint32_t stack; /* FOLD */
	uint32_t pad2_;
	uint64_t a;     /* FREE: alloc id; FOLD: count */
	uint64_t b;     /* FOLD: bytes */
};
_Static_assert(sizeof(struct hb_tb_rec) == 32, "ring record is 32 bytes");

struct hb_fold_slot {
	uint32_t stack;
	uint32_t module;
	uint8_t akind;
	uint8_t fkind;
	uint8_t used;
	uint8_t pad_[5];
	uint64_t count;
	uint64_t bytes;
};

struct hb_thread_buffer {
	/* owner's cache line */
	uint64_t head __attribute__((aligned(64)));
	uint64_t cached_tail;
	hb_spinlock fold_lock;      /* guards fold and fold_used */
	uint32_t fold_used;
	/* writer's cache line */
	uint64_t tail __attribute__((aligned(64)));
	/* registry, written rarely */
	struct hb_thread_buffer *next __attribute__((aligned(64)));
	int in_use;
	int retired;
	pid_t tid;                  /* owner thread (0: shared), for hb_tb_registry_reap */
	struct hb_fold_slot fold[HB_FOLD_SLOTS];
	struct hb_tb_rec ring[HB_TB_CAP];
	/* The owner's unwind memo travels with the buffer, not in TLS: 9 KiB
	 * of static TLS would come out of every thread's stack, and threads
	 * made with PTHREAD_STACK_MIN have none to spare. Buffers are reused
	 * as threads come and go, and the memo stays valid across owners. */
	struct hb_unwind_memo memo;
};

struct hb_tb_registry {
	pthread_mutex_t lock;
	struct hb_thread_buffer *all; /* grows only; read without the lock */
};

void hb_tb_registry_init(struct hb_tb_registry *r);

/* Returns a clean buffer for a new thread, or NULL when mmap fails.
 * Thread-safe; never calls malloc. */
struct hb_thread_buffer *hb_tb_acquire(struct hb_tb_registry *r);

/* Owner: the thread is ending; the writer recycles the buffer once drained. */
void hb_tb_retire(struct hb_thread_buffer *tb);

/* Owner: appends one record. Returns 0, or -1 when the ring is full. */
static inline int hb_tb_push(struct hb_thread_buffer *tb, const struct hb_tb_rec *rec)
{
	uint64_t head = tb->head;
	if (head - tb->cached_tail >= HB_TB_CAP) {
		tb->cached_tail = __atomic_load_n(&tb->tail, __ATOMIC_ACQUIRE);
		if (head - tb->cached_tail >= HB_TB_CAP)
			return -1;
	}
	tb->ring[head & (HB_TB_CAP - 1)] = *rec;
	__atomic_store_n(&tb->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Owner: counts one young death. Returns 1 when the table is 3/4 full and
 * should be dumped (hb_tb_fold_dump), 0 otherwise, and -1 when the table is
 * full and the count was not taken (dump, then try again). Takes fold_lock. */
int hb_tb_fold_add(struct hb_thread_buffer *tb, uint32_t stack, uint32_t module, uint8_t akind, uint8_t fkind,
		   uint64_t size);

/* Owner: moves every fold counter into the ring. Returns the number of
 * counters that did not fit (they stay in the table). Takes fold_lock. */
unsigned hb_tb_fold_dump(struct hb_thread_buffer *tb);

/* Writer: calls fn on every record in the ring and frees the space.
 * Returns the number of records drained. */
uint64_t hb_tb_drain(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_tb_rec *rec), void *ctx);

/* Writer: passes every fold counter to fn and empties the table. Takes
 * fold_lock, so it is exact against a running owner. */
void hb_tb_fold_take(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_fold_slot *s), void *ctx);

/* Writer: recycles retired buffers that are fully drained. */
void hb_tb_registry_recycle(struct hb_tb_registry *r);

/* Retires the buffers of threads that are gone without their exit hook
 * having run (a thread whose first traced call came after the hook's turn
 * in glibc's thread teardown): dead(tid) says whether a thread is gone.
 * Called by the writer before hb_tb_registry_recycle. */
void hb_tb_registry_reap(struct hb_tb_registry *r, int (*dead)(pid_t tid));

/* Fork child: only the calling thread survives; every other buffer becomes
 * free and every ring and fold table is emptied (their contents belong to
 * the parent's trace). */
void hb_tb_registry_atfork_child(struct hb_tb_registry *r, struct hb_thread_buffer *self);

#endif
