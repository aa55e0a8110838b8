/*
 * spinlock.h - a tiny test-and-test-and-set lock for the shim's hot path.
 *
 * Live-table shards are held for a few dozen nanoseconds, by at most a few
 * threads at once, so a spinlock beats a futex mutex (one atomic exchange to
 * take, one store to release). A waiter spins with `pause` and yields the CPU
 * after a while, so a preempted holder on a 2-core machine does not cost a
 * whole time slice per waiter. The lock word is plain memory: after fork the
 * child resets it with hb_spin_init.
 */
#ifndef HB_SPINLOCK_H
#define HB_SPINLOCK_H

#include <sched.h>

static inline void hb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

typedef struct {
	volatile int v;
} hb_spinlock;

static inline void hb_spin_init(hb_spinlock *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

static inline int hb_spin_trylock(hb_spinlock *l)
{
	return __atomic_load_n(&l->v, __ATOMIC_RELAXED) == 0 &&
	       __atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void hb_spin_lock(hb_spinlock *l)
{
	if (__builtin_expect(__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0, 1))
		return;
	for (unsigned spins = 0;; spins++) {
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED)) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			} else {
				hb_cpu_relax();
			}
		}
		if (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0)
			return;
	}
}

static inline void hb_spin_unlock(hb_spinlock *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

#endif
