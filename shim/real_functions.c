/*
 * real_functions.c - finding the real functions, and the start-up state
 * machine's entry (see real_functions.h).
 */
#include "real_functions.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>

struct hb_real real;

void *hb_real_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}


void hb_resolve(void)
{
	int expected = HB_UNINIT;
	if (!__atomic_compare_exchange_n(&hb.state, &expected, HB_RESOLVING, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		/* another thread resolves; this one waits, unless it is that thread
		 * re-entering through dlsym (served by the pool meanwhile) */
		while (__atomic_load_n(&hb.state, __ATOMIC_ACQUIRE) == HB_RESOLVING && !hb_tls.resolving)
			sched_yield();
		return;
	}
	struct hb_guard g = hb_enter();
	hb_tls.resolving = 1;
	*(void **)&real.malloc = hb_real_next("malloc");
	*(void **)&real.free = hb_real_next("free");
	*(void **)&real.calloc = hb_real_next("calloc");
	*(void **)&real.realloc = hb_real_next("realloc");
	*(void **)&real.reallocarray = hb_real_next("reallocarray");
	*(void **)&real.posix_memalign = hb_real_next("posix_memalign");
	*(void **)&real.aligned_alloc = hb_real_next("aligned_alloc");
	*(void **)&real.memalign = hb_real_next("memalign");
	*(void **)&real.valloc = hb_real_next("valloc");
	*(void **)&real.pvalloc = hb_real_next("pvalloc");
	*(void **)&real.malloc_usable_size = hb_real_next("malloc_usable_size");
	*(void **)&real.cfree = hb_real_next("cfree");
	*(void **)&real.execve = hb_real_next("execve");
	*(void **)&real.execv = hb_real_next("execv");
	*(void **)&real.execvp = hb_real_next("execvp");
	*(void **)&real.execvpe = hb_real_next("execvpe");
	*(void **)&real.fexecve = hb_real_next("fexecve");
	*(void **)&real.exit_ = hb_real_next("exit");
	*(void **)&real._exit_ = hb_real_next("_exit");
	*(void **)&real._Exit_ = hb_real_next("_Exit");
	*(void **)&real.quick_exit_ = hb_real_next("quick_exit");
	*(void **)&real.libc_start_main = hb_real_next("__libc_start_main");
	*(void **)&real.dlclose = hb_real_next("dlclose");
	*(void **)&real.unshare = hb_real_next("unshare");
	*(void **)&real.setns = hb_real_next("setns");
	*(void **)&real.sigaction = hb_real_next("sigaction");
	*(void **)&real.signal = hb_real_next("signal");
	if (!real.malloc || !real.free || !real.calloc || !real.realloc) {
		hb_say("cannot find the real allocator (dlsym RTLD_NEXT failed); tracing off", NULL, NULL);
		__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
	} else {
		hb_early_init(); /* sets ACTIVE or OFF */
	}
	hb_tls.resolving = 0;
	hb_leave(g);
}

__attribute__((noinline)) int hb_should_trace_slow(void)
{
	int saved = errno;
	int st = __atomic_load_n(&hb.state, __ATOMIC_ACQUIRE);
	if (st == HB_UNINIT || (st == HB_RESOLVING && !hb_tls.resolving))
		hb_resolve();
	if (__atomic_load_n(&hb.state, __ATOMIC_ACQUIRE) == HB_CHILD_PENDING && !hb_tls.busy)
		hb_child_setup();
	errno = saved;
	return hb.state == HB_ACTIVE && !hb_tls.busy;
}
