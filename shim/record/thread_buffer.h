/*
 * thread_buffer.h - per-thread site counters, and the ring they spill into.
 *
 * Each thread owns one buffer. Its counter table is where every traced
 * event ends: an allocation bumps the counter of (its stack, the current
 * epoch, its kind, "alloc"), a free the counter of (the block's stack, the
 * block's allocation epoch as trace_format.h groups it, the free's kind,
 * "free"). At every flush the writer takes the counters
 * (hb_tb_counters_take), adds them up across threads, and writes one SITE
 * record per site that changed; so a thread that went idle, or was killed,
 * loses nothing that happened before the flush, and the trace grows with
 * the sites touched, not with the event rate nor with the live set. The
 * table has a lock of its own (owner_lock.h): the owner enters it for each
 * count with two plain stores and a load; the writer takes it once a flush,
 * for every buffer at once, with one system call.
 *
 * When the table fills between flushes (a thread touching more than 1536
 * distinct (site, epoch, kind) keys in one period), the owner moves its
 * counters into the ring, a single-producer single-consumer queue that the
 * writer drains into the same sums without waiting for the period to end.
 *
 * Buffers are mmap'd, linked into one registry and never unmapped; when a
 * thread ends, its buffer is retired, drained by the writer and handed to
 * the next new thread, so memory is bounded by the peak thread count, not by
 * thread churn.
 *
 * Sizes: 2048 counters of 32 bytes (64 KiB) and a ring of 2048 records of
 * 32 bytes (64 KiB). The owner kicks the writer when a dump leaves the ring
 * more than half full; a full ring makes it kick and wait (see recorder.c),
 * and only if the writer is gone does it count what it could not record as
 * lost.
 */
#ifndef HB_THREAD_BUFFER_H
#define HB_THREAD_BUFFER_H

#include <pthread.h>
#include <stdint.h>

#include <sys/types.h>

#include "heapblame/trace_format.h"
#include "config.h"
#include "owner_lock.h"
#include "spinlock.h"
#include "unwind.h"

#define HB_TB_CAP 2048u
#define HB_COUNTER_SLOTS 2048u

enum hb_count_dir {
	HB_COUNT_ALLOC = 0,
	HB_COUNT_FREE = 1,
};

/* The key of a counter: a site, an epoch, an entry point, a direction. */
struct hb_count_key {
	uint32_t stack;
	uint32_t epoch; /* alloc: the current epoch; free: the block's, grouped */
	uint8_t kind;   /* enum hb_alloc_kind or hb_free_kind, by dir */
	uint8_t dir;    /* enum hb_count_dir */
	uint16_t pad_;
};

/* The loss kind of a counter that found no room (trace_format.h). */
static inline unsigned hb_count_loss_kind(const struct hb_count_key *k)
{
	return k->dir == HB_COUNT_FREE ? HB_LOSS_FREE_DROPPED : HB_LOSS_FOLD_DROPPED;
}

/* A ring record: one counter moved out of a full table. */
struct hb_tb_rec {
	struct hb_count_key key;
	uint32_t pad_;
	uint64_t count;
	uint64_t bytes;
};
_Static_assert(sizeof(struct hb_tb_rec) == 32, "ring record is 32 bytes");

struct hb_counter_slot {
	struct hb_count_key key;
	uint8_t used;
	uint8_t pad_[3];
	uint64_t count;
	uint64_t bytes;
};
_Static_assert(sizeof(struct hb_counter_slot) == 32, "counter slot is 32 bytes");

struct hb_thread_buffer {
	/* owner's cache line */
	uint64_t head __attribute__((aligned(64)));
	uint64_t cached_tail;
	struct hb_owner_lock counter_lock; /* guards counters and counters_used */
	uint32_t counters_used;
	/* 1 from the owner's live-table change (insert, remove) until that
	 * event is counted: hb_tb_registry_wait_counted. Owner stores only. */
	int changing;
	/* writer's cache line */
	uint64_t tail __attribute__((aligned(64)));
	/* registry, written rarely */
	struct hb_thread_buffer *next __attribute__((aligned(64)));
	int in_use;
	int taken;                  /* writer only: its lock is taken this flush */
	int retired;
	pid_t tid;                  /* owner thread (0: shared), for hb_tb_registry_reap */
	struct hb_counter_slot counters[HB_COUNTER_SLOTS];
	struct hb_tb_rec ring[HB_TB_CAP];
	/* The owner's unwind memo travels with the buffer, not in TLS: 9 KiB
	 * of static TLS would come out of every thread's stack, and threads
	 * made with PTHREAD_STACK_MIN have none to spare. Buffers are reused
	 * as threads come and go, and the memo stays valid across owners. */
	struct hb_unwind_memo memo;
	/* The owner's scratch for the allocation being recorded (recorder.c):
	 * its frames, off the thread's stack for the same reason. */
	uintptr_t frames[HB_DEPTH_MAX + 8];
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

/* Owner: adds one event of size bytes to the counter of key. Returns 0;
 * 1 when the table is 3/4 full and should be dumped (hb_tb_counters_dump);
 * -1 when the table is full and the event was not counted (dump, then try
 * again). Enters counter_lock (owner side); safe inside malloc. */
int hb_tb_count(struct hb_thread_buffer *tb, const struct hb_count_key *key, uint64_t size);

/* The same for count events of bytes in all at once: a sampled block that
 * stands for count blocks (sampler.h). */
int hb_tb_count_n(struct hb_thread_buffer *tb, const struct hb_count_key *key, uint64_t count, uint64_t bytes);

/* Owner: moves every counter into the ring. Returns the number of counters
 * that did not fit (they stay in the table). Enters counter_lock. */
unsigned hb_tb_counters_dump(struct hb_thread_buffer *tb);

/* Writer: calls fn on every record in the ring and frees the space.
 * Returns the number of records drained. */
uint64_t hb_tb_drain(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_tb_rec *rec), void *ctx);

/* Writer: passes every counter to fn and empties the table. Takes
 * counter_lock, so it is exact against a running owner (one stuck inside
 * for 250 ms: nothing is taken). Returns the number of counters taken. (One buffer: a system call each; the writer takes them
 * all with hb_tb_registry_take_counters.) */
unsigned hb_tb_counters_take(struct hb_thread_buffer *tb, void (*fn)(void *ctx, const struct hb_counter_slot *s),
			     void *ctx);

/* Writer: hb_tb_counters_take of every buffer in use, with one system call
 * for all (owner_lock.h). A buffer whose owner stays inside its lock for
 * 250 ms is skipped (its counts go at the next flush), unless force (the
 * last flush: then it is read anyway). Returns the buffers visited. */
unsigned hb_tb_registry_take_counters(struct hb_tb_registry *r,
				      void (*fn)(void *ctx, const struct hb_counter_slot *s), void *ctx, int force);

/* After the exit scan, which stopped the threads and took the live table:
 * waits until no owner but `self` is between a live-table change and its
 * count (`changing`), so that the final flush counts every change the
 * scan saw, and a block freed just before the scan is not left
 * outstanding (with no kind) by a free counted too late. An owner seen
 * not changing once is done with the change it was in. Waits at most
 * max_ns in all (an owner may be waiting for ring space, which the writer
 * cannot give while the flush lock is held). Returns the buffers still
 * changing at the end (0: every change is counted). Never calls malloc. */
unsigned hb_tb_registry_wait_counted(struct hb_tb_registry *r, const struct hb_thread_buffer *self,
				     uint64_t max_ns);

/* Writer: recycles retired buffers that are fully drained. */
void hb_tb_registry_recycle(struct hb_tb_registry *r);

/* Retires the buffers of threads that are gone without their exit hook
 * having run (a thread whose first traced call came after the hook's turn
 * in glibc's thread teardown): dead(tid) says whether a thread is gone.
 * Called by the writer before hb_tb_registry_recycle. */
void hb_tb_registry_reap(struct hb_tb_registry *r, int (*dead)(pid_t tid));

/* Fork child: only the calling thread survives; every other buffer becomes
 * free and every ring and counter table is emptied (their contents belong to
 * the parent's trace). */
void hb_tb_registry_atfork_child(struct hb_tb_registry *r, struct hb_thread_buffer *self);

#endif
