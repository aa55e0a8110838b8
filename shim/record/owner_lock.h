/*
 * owner_lock.h - a lock whose owner pays two plain stores and a load, and
 * whose rare other user pays a system call.
 *
 * A thread's counter table is touched by its owner on every allocation and
 * free, and by the writer once a flush. A spinlock would cost the owner two
 * atomic read-modify-writes per event (about 15 ns an allocation-and-free,
 * measured on W1); here the owner only marks itself `in`, checks that the
 * writer is not `taking`, and clears `in`. That is Dekker's mutual exclusion,
 * which needs a full fence between each side's store and its load; the
 * owner's half of it is moved to the writer with membarrier(2)
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED): after the writer has set `taking` and
 * the call has returned, every thread of the process has passed a full
 * barrier, so either the writer sees the owner `in` (and waits for it to
 * leave), or the owner sees `taking` (and waits, outside, for the writer to
 * finish). Where membarrier is not available (an old kernel, a seccomp
 * filter), the owner fences itself (one mfence), which is still cheaper than
 * the spinlock.
 *
 * The process registers once (hb_owner_lock_setup), and again in a fork
 * child: the kernel does not carry the registration across fork.
 */
#ifndef HB_OWNER_LOCK_H
#define HB_OWNER_LOCK_H

#include <stdint.h>

#include "spinlock.h"

struct hb_owner_lock {
	uint32_t in;     /* the owner is inside */
	uint32_t taking; /* the other side wants in, or is inside */
};

/* 1 when membarrier does the owner's fencing (set by hb_owner_lock_setup). */
extern int hb_owner_lock_asymmetric;

/* Registers the process for membarrier; call before any other thread uses a
 * lock, and in a fork child. Never fails: without membarrier the owners
 * fence themselves. */
void hb_owner_lock_setup(void);

static inline void hb_owner_lock_init(struct hb_owner_lock *l)
{
	__atomic_store_n(&l->in, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->taking, 0, __ATOMIC_RELEASE);
}

/* The owner: enter. Safe inside malloc; waits only while the writer takes. */
static inline void hb_owner_enter(struct hb_owner_lock *l)
{
	for (;;) {
		__atomic_store_n(&l->in, 1, __ATOMIC_RELAXED);
		if (__builtin_expect(hb_owner_lock_asymmetric, 1))
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		else
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__builtin_expect(!__atomic_load_n(&l->taking, __ATOMIC_ACQUIRE), 1))
			return;
		__atomic_store_n(&l->in, 0, __ATOMIC_RELEASE);
		for (unsigned spins = 0; __atomic_load_n(&l->taking, __ATOMIC_ACQUIRE); spins++) {
			if (spins > 64) {
				sched_yield();
				spins = 0;
			} else {
				hb_cpu_relax();
			}
		}
	}
}

static inline void hb_owner_leave(struct hb_owner_lock *l)
{
	__atomic_store_n(&l->in, 0, __ATOMIC_RELEASE);
}

/* The other side, in three steps, so that one system call serves many
 * locks: mark each lock taken (hb_owner_take_begin), make every owner see
 * the marks (hb_owner_take_sync, once), then for each lock wait until its
 * owner is out (hb_owner_take_wait), read what it guards, and give it back
 * (hb_owner_untake). An owner that does not leave (a thread preempted,
 * stopped or killed inside the shim) is waited for about 250 ms; then
 * hb_owner_take_wait returns -1, and the caller must either give the lock
 * back untouched or, when losing the counts would be worse (the last flush),
 * read at its own risk. Returns 0 when the owner is out. */
static inline void hb_owner_take_begin(struct hb_owner_lock *l)
{
	__atomic_store_n(&l->taking, 1, __ATOMIC_RELAXED);
}

void hb_owner_take_sync(void);
int hb_owner_take_wait(struct hb_owner_lock *l);
/* Whether the owner is out now (no waiting). */
static inline int hb_owner_is_out(const struct hb_owner_lock *l)
{
	return !__atomic_load_n(&l->in, __ATOMIC_ACQUIRE);
}

static inline void hb_owner_untake(struct hb_owner_lock *l)
{
	__atomic_store_n(&l->taking, 0, __ATOMIC_RELEASE);
}

#endif
