/*
 * interpose.c - the exported symbols: every allocator entry point, and the
 * process events the shim must see (exec, _exit, exit, main's return).
 *
 * Each allocator function follows one shape:
 *
 *     trace = hb_should_trace();      one load of hb.state + the TLS busy byte
 *     result = real function          always, first, with the caller's args
 *     if (trace && success) record    recorder.c
 *
 * so libc's behaviour (errno, failure semantics, alignment, posix_memalign
 * leaving *memptr alone on failure) is the real allocator's, untouched. A
 * free is recorded before the real free, so the address cannot be handed to
 * another thread while the shim still holds it as live.
 *
 * The real functions come from dlsym(RTLD_NEXT), which works over glibc and
 * over an allocator linked into the program (jemalloc, tcmalloc). Until they
 * are known, allocations come from the bootstrap pool.
 *
 * This is the only file whose symbols are exported (visibility default);
 * everything else in the shim is hidden.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bootstrap.h"
#include "unwind.h"
#include "shim.h"

#define HB_EXPORT __attribute__((visibility("default")))

/* Exported here, declared by no header of this glibc. */
HB_EXPORT void cfree(void *p);
HB_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

struct hb_real {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void (*cfree)(void *);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	void (*exit_)(int);
	void (*_exit_)(int);
	void (*_Exit_)(int);
	void (*quick_exit_)(int);
	int (*dlclose)(void *);
	int (*unshare)(int);
	int (*setns)(int, int);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	sighandler_t (*signal)(int, sighandler_t);
	int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
			       void (*)(void), void *);
};

static struct hb_real real;

static void *next(const char *name)
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
	*(void **)&real.malloc = next("malloc");
	*(void **)&real.free = next("free");
	*(void **)&real.calloc = next("calloc");
	*(void **)&real.realloc = next("realloc");
	*(void **)&real.reallocarray = next("reallocarray");
	*(void **)&real.posix_memalign = next("posix_memalign");
	*(void **)&real.aligned_alloc = next("aligned_alloc");
	*(void **)&real.memalign = next("memalign");
	*(void **)&real.valloc = next("valloc");
	*(void **)&real.pvalloc = next("pvalloc");
	*(void **)&real.malloc_usable_size = next("malloc_usable_size");
	*(void **)&real.cfree = next("cfree");
	*(void **)&real.execve = next("execve");
	*(void **)&real.execv = next("execv");
	*(void **)&real.execvp = next("execvp");
	*(void **)&real.execvpe = next("execvpe");
	*(void **)&real.fexecve = next("fexecve");
	*(void **)&real.exit_ = next("exit");
	*(void **)&real._exit_ = next("_exit");
	*(void **)&real._Exit_ = next("_Exit");
	*(void **)&real.quick_exit_ = next("quick_exit");
	*(void **)&real.libc_start_main = next("__libc_start_main");
	*(void **)&real.dlclose = next("dlclose");
	*(void **)&real.unshare = next("unshare");
	*(void **)&real.setns = next("setns");
	*(void **)&real.sigaction = next("sigaction");
	*(void **)&real.signal = next("signal");
	if (!real.malloc || !real.free || !real.calloc || !real.realloc) {
		hb_say("cannot find the real allocator (dlsym RTLD_NEXT failed); tracing off", NULL, NULL);
		__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
	} else {
		hb_early_init(); /* sets ACTIVE or OFF */
	}
	hb_tls.resolving = 0;
	hb_leave(g);
}

static __attribute__((noinline)) int should_trace_slow(void)
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

static inline int hb_should_trace(void)
{
	if (HB_LIKELY(hb.state == HB_ACTIVE))
		return !hb_tls.busy;
	return should_trace_slow();
}

/* ---------- allocation --------------------------------------------------- */

/* Runs a real allocator call that may re-enter the shim: glibc's
 * reallocarray calls realloc through the PLT, and a linked-in allocator may
 * build calloc or memalign on malloc. The inner call must not be recorded
 * as a second allocation. */
#define REAL_GUARDED(trace, expr)                                                                      \
	({                                                                                             \
		struct hb_guard g_ = {0, 0};                                                           \
		if (trace)                                                                             \
			g_ = hb_enter();                                                               \
		__typeof__(expr) r_ = (expr);                                                          \
		if (trace)                                                                             \
			hb_leave_errno(g_); /* errno: the real call's */                              \
		r_;                                                                                    \
	})

HB_EXPORT void *malloc(size_t n)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.malloc))
		return hb_bootstrap_alloc(n);
	void *p = real.malloc(n);
	if (trace && HB_LIKELY(p != NULL))
		hb_record_alloc(p, n, HB_ALLOC_MALLOC);
	return p;
}

HB_EXPORT void *calloc(size_t n, size_t size)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.calloc)) {
		if (size && n > SIZE_MAX / size)
			return NULL;
		return hb_bootstrap_alloc(n * size);
	}
	void *p = REAL_GUARDED(trace, real.calloc(n, size));
	if (trace && HB_LIKELY(p != NULL))
		hb_record_alloc(p, (uint64_t)n * size, HB_ALLOC_CALLOC);
	return p;
}

HB_EXPORT void free(void *p)
{
	if (HB_UNLIKELY(!p))
		return;
	if (HB_UNLIKELY(hb_bootstrap_owns(p)))
		return;
	if (hb_should_trace())
		hb_record_free_release(p, real.free);
	else
		real.free(p);
}

HB_EXPORT void cfree(void *p)
{
	if (!p || hb_bootstrap_owns(p))
		return;
	if (hb_should_trace())
		hb_record_free(p, HB_FREE_CFREE);
	if (real.cfree)
		real.cfree(p);
	else
		real.free(p);
}

/* A block from the bootstrap pool is copied into a real one. */
static void *bootstrap_realloc(void *old, size_t n)
{
	void *p = malloc(n);
	if (p && old) {
		size_t have = hb_bootstrap_size(old);
		memcpy(p, old, have < n ? have : n);
	}
	return p;
}

/* realloc and reallocarray: the old block leaves the live table before the
 * real call (which may free it) and comes back if the call fails; a
 * successful call ends it and starts the new block. call(old, n, size) is
 * the real function; bytes = n * size, already checked for overflow. */
static void *resize(void *old, size_t n, size_t size, size_t bytes, unsigned kind,
		    void *(*call)(void *, size_t, size_t))
{
	if (!old) {
		void *p = REAL_GUARDED(1, call(NULL, n, size));
		if (p)
			hb_record_alloc(p, bytes, kind);
		return p;
	}
	if (bytes == 0) {
		hb_record_free(old, HB_FREE_REALLOC_ZERO);
		void *p = REAL_GUARDED(1, call(old, n, size));
		if (p) /* allocators that give a block for size 0 (jemalloc zero_realloc:alloc) */
			hb_record_alloc(p, 0, kind);
		return p;
	}
	struct hb_live_rec r;
	int had = hb_record_detach(old, &r);
	void *p = REAL_GUARDED(1, call(old, n, size));
	if (!p) {
		if (had)
			hb_record_reattach(&r);
		return NULL;
	}
	if (had)
		hb_record_end(&r, HB_FREE_REALLOC);
	hb_record_alloc(p, bytes, kind);
	return p;
}

static void *call_realloc(void *old, size_t n, size_t size)
{
	(void)size;
	return real.realloc(old, n);
}

static void *call_reallocarray(void *old, size_t n, size_t size)
{
	return real.reallocarray(old, n, size);
}

HB_EXPORT void *realloc(void *old, size_t n)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.realloc || (old && hb_bootstrap_owns(old))))
		return bootstrap_realloc(old, n);
	if (!trace)
		return real.realloc(old, n);
	return resize(old, n, 1, n, HB_ALLOC_REALLOC, call_realloc);
}

HB_EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.reallocarray || (old && hb_bootstrap_owns(old)))) {
		if (size && n > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		return bootstrap_realloc(old, n * size);
	}
	if (!trace || (size && n > SIZE_MAX / size))
		return real.reallocarray(old, n, size); /* overflow: ENOMEM, old untouched */
	return resize(old, n, size, n * size, HB_ALLOC_REALLOCARRAY, call_reallocarray);
}

HB_EXPORT int posix_memalign(void **memptr, size_t align, size_t n)
{
	int trace = hb_should_trace();
	if (HB_UNLIKELY(!real.posix_memalign))
		return ENOMEM;
	int rc = REAL_GUARDED(trace, real.posix_memalign(memptr, align, n));
	if (trace && rc == 0 && *memptr)
		hb_record_alloc(*memptr, n, HB_ALLOC_POSIX_MEMALIGN);
	return rc;
}

#define ALIGNED_FN(name, kind, params, args, size)                                                     \
	HB_EXPORT void *name params                                                                    \
	{                                                                                              \
		int trace = hb_should_trace();                                                         \
		if (HB_UNLIKELY(!real.name)) {                                                         \
			errno = ENOMEM;                                                                \
			return NULL;                                                                   \
		}                                                                                      \
		void *p = REAL_GUARDED(trace, real.name args);                                         \
		if (trace && p)                                                                        \
			hb_record_alloc(p, size, kind);                                                \
		return p;                                                                              \
	}

ALIGNED_FN(aligned_alloc, HB_ALLOC_ALIGNED_ALLOC, (size_t align, size_t n), (align, n), n)
ALIGNED_FN(memalign, HB_ALLOC_MEMALIGN, (size_t align, size_t n), (align, n), n)
ALIGNED_FN(valloc, HB_ALLOC_VALLOC, (size_t n), (n), n)
ALIGNED_FN(pvalloc, HB_ALLOC_PVALLOC, (size_t n), (n), n)

HB_EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (hb_bootstrap_owns(p))
		return hb_bootstrap_size(p);
	if (!real.malloc_usable_size)
		hb_should_trace(); /* resolves */
	return real.malloc_usable_size ? real.malloc_usable_size(p) : 0;
}

/* ---------- exec: flush first; the new image traces itself -------------- */

HB_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	hb_should_trace();
	hb_before_exec(path);
	int r = real.execve(path, argv, envp);
	hb_exec_failed(errno);
	return r;
}

HB_EXPORT int execv(const char *path, char *const argv[])
{
	hb_should_trace();
	hb_before_exec(path);
	int r = real.execv(path, argv);
	hb_exec_failed(errno);
	return r;
}

HB_EXPORT int execvp(const char *file, char *const argv[])
{
	hb_should_trace();
	hb_before_exec(file);
	int r = real.execvp(file, argv);
	hb_exec_failed(errno);
	return r;
}

HB_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	hb_should_trace();
	hb_before_exec(file);
	int r = real.execvpe(file, argv, envp);
	hb_exec_failed(errno);
	return r;
}

HB_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	hb_should_trace();
	hb_before_exec("(fexecve)");
	int r = real.fexecve(fd, argv, envp);
	hb_exec_failed(errno);
	return r;
}

/* execl*: collect the variadic list on the stack (no malloc: the exec may
 * come from a fork child of a multithreaded program) */
#define COLLECT_ARGS(first, ap, argv, envp_out)                                                        \
	size_t argc_ = 1;                                                                              \
	va_start(ap, first);                                                                           \
	while (va_arg(ap, char *))                                                                     \
		argc_++;                                                                               \
	va_end(ap);                                                                                    \
	char *argv[argc_ + 1];                                                                         \
	argv[0] = (char *)first;                                                                       \
	va_start(ap, first);                                                                           \
	for (size_t i_ = 1; i_ <= argc_; i_++)                                                         \
		argv[i_] = va_arg(ap, char *);                                                         \
	envp_out;                                                                                      \
	va_end(ap)

HB_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGS(arg, ap, argv, (void)0);
	return execv(path, argv);
}

HB_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGS(arg, ap, argv, (void)0);
	return execvp(file, argv);
}

HB_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;
	COLLECT_ARGS(arg, ap, argv, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}

/* ---------- dlclose: addresses of the unloaded module may be reused -------- */

HB_EXPORT int dlclose(void *handle)
{
	hb_should_trace();
	int rc = real.dlclose(handle);
	int saved = errno;
	hb_unwind_forget();
	/* the next new stack asks the loader what is left */
	__atomic_store_n(&hb.modules_maybe_gone, 1, __ATOMIC_RELEASE);
	errno = saved;
	return rc;
}

/* ---------- namespaces: only a single-threaded process may ------------ */

/* unshare(CLONE_NEWUSER) and joining a user or mount namespace fail with
 * EINVAL in a multithreaded process, and the writer thread would make every
 * traced process one. The writer steps aside for the call. */
#define HB_SINGLE_THREAD_UNSHARE (CLONE_NEWUSER | CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
#define HB_SINGLE_THREAD_SETNS (CLONE_NEWUSER | CLONE_NEWNS)

HB_EXPORT int unshare(int flags)
{
	hb_should_trace();
	if (!real.unshare) {
		errno = ENOSYS;
		return -1;
	}
	int paused = (flags & HB_SINGLE_THREAD_UNSHARE) && !hb_tls.busy ? hb_writer_pause() : 0;
	int rc = real.unshare(flags);
	int saved = errno;
	if (paused)
		hb_writer_resume();
	errno = saved;
	return rc;
}

HB_EXPORT int setns(int fd, int nstype)
{
	hb_should_trace();
	if (!real.setns) {
		errno = ENOSYS;
		return -1;
	}
	/* nstype 0: any kind, so perhaps a user namespace */
	int paused = (!nstype || (nstype & HB_SINGLE_THREAD_SETNS)) && !hb_tls.busy ? hb_writer_pause() : 0;
	int rc = real.setns(fd, nstype);
	int saved = errno;
	if (paused)
		hb_writer_resume();
	errno = saved;
	return rc;
}

/* ---------- signals: the shim's flush handlers stay invisible ------------- */

/* Where the shim put its flush-on-fatal-signal handler (HEAPBLAME_SIGNALS,
 * only over a default disposition), the host must still see the default:
 * Python, for one, installs its Ctrl-C handling only over SIG_DFL. So a
 * query answers SIG_DFL; setting SIG_DFL keeps the shim's handler (which
 * ends in the default action anyway); setting anything else hands the
 * signal to the host for good. */
int hb_sigaction_real(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!real.sigaction)
		hb_should_trace(); /* resolves */
	return real.sigaction ? real.sigaction(sig, act, old) : (errno = ENOSYS, -1);
}

static int ours(int sig)
{
	return hb_signal_held(sig);
}

static void release(int sig)
{
	__atomic_and_fetch(&hb.signals_held, ~(1ull << sig), __ATOMIC_ACQ_REL);
}

HB_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!ours(sig))
		return hb_sigaction_real(sig, act, old);
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = SIG_DFL;
	}
	if (!act || (act->sa_handler == SIG_DFL && !(act->sa_flags & SA_SIGINFO)))
		return 0;
	release(sig);
	return hb_sigaction_real(sig, act, NULL);
}

HB_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	if (!real.signal)
		hb_should_trace();
	if (!ours(sig))
		return real.signal(sig, handler);
	if (handler == SIG_DFL)
		return SIG_DFL;
	release(sig);
	real.signal(sig, handler);
	return SIG_DFL;
}

/* ---------- process end -------------------------------------------------- */

/* Two threads that call exit() at once (undefined by POSIX, allowed by
 * glibc before 2.41) both run the exit handlers, and the first to be done
 * with them ends the process: the other may be halfway through the
 * shim's scan or END. So the first exit claims the process's end (exit(),
 * main's return, or note_exit_status for an exit glibc makes from
 * inside), and its handlers write the END as usual; any later exit() from
 * another thread writes the END itself (scan, flush) before it enters
 * libc's exit, under the flush lock, so whichever thread ends the process
 * ends it after the END. Neither waits for the other beyond the flush
 * lock: a first exit blocked in a handler (joining the second) cannot hang
 * the second. Not covered: a first exit glibc makes from inside (error())
 * before note_exit_status has run, raced by an exit() that then claims. */
static pid_t exit_claimant;

/* Claims the process's end for this thread; returns 1 when another thread
 * claimed it first. */
static int exit_claimed_by_other(void)
{
	pid_t me = (pid_t)syscall(SYS_gettid), first = 0;
	if (__atomic_compare_exchange_n(&exit_claimant, &first, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	return first != me;
}

/* A later exit while another thread's is under way: the END now. */
static void exit_concurrently(int status)
{
	if (exit_claimed_by_other() && hb.state == HB_ACTIVE && getpid() == hb.pid)
		hb_finish(HB_END_EXIT, status & 0xff, 1);
}

/* Notes the frame of the first exit call on this thread: its caller's
 * frame and those above it are live, what lies below is the exit path's. */
static inline __attribute__((always_inline)) void note_exit_frame(uintptr_t frame)
{
	if (!hb_tls.exit_frame)
		hb_tls.exit_frame = frame;
}

HB_EXPORT void exit(int status)
{
	note_exit_frame((uintptr_t)__builtin_frame_address(0));
	hb_should_trace();
	hb.exit_status = status & 0xff;
	exit_concurrently(status);
	real.exit_(status);
	__builtin_unreachable();
}

/* quick_exit runs the at_quick_exit handlers (the shim's flushes there)
 * and then _exit: the status must be known before. */
HB_EXPORT void quick_exit(int status)
{
	note_exit_frame((uintptr_t)__builtin_frame_address(0));
	hb_should_trace();
	hb.exit_status = status & 0xff;
	if (real.quick_exit_)
		real.quick_exit_(status);
	_exit(status);
}

/* _exit and _Exit end the process as exit does, only without its
 * handlers: the outstanding blocks are scanned as at exit (dash, for one,
 * always ends so). A vfork child, or a clone(CLONE_VM) child, has another
 * pid than the one the shim knows: it shares its parent's memory and
 * must neither scan nor write, and ends untraced. */
static void exit_now(int status)
{
	if (hb.state == HB_ACTIVE && getpid() == hb.pid)
		hb_finish(HB_END__EXIT, status & 0xff, 1);
}

HB_EXPORT void _exit(int status)
{
	note_exit_frame((uintptr_t)__builtin_frame_address(0));
	exit_now(status);
	if (real._exit_)
		real._exit_(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

HB_EXPORT void _Exit(int status)
{
	note_exit_frame((uintptr_t)__builtin_frame_address(0));
	exit_now(status);
	if (real._Exit_)
		real._Exit_(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

/* main's return value is the exit status; glibc passes it to exit() from
 * inside libc, where the interposed exit() does not see it. */
static int (*real_main)(int, char **, char **);

/* Every exit() learns its status here, also the calls libc makes from
 * inside (error(), error_at_line(), main's return), which the interposed
 * exit() never sees. Registered as main starts, after libc registered the
 * loader's destructors, so that it runs before them (handlers run last
 * registered first), and so before the shim's destructor writes the END. */
static void note_exit_status(int status, void *arg)
{
	(void)arg;
	hb.exit_status = status & 0xff;
	exit_claimed_by_other(); /* a concurrent exit() from now on writes END itself */
}

static int hb_main(int argc, char **argv, char **envp)
{
	on_exit(note_exit_status, NULL);
	int r = real_main(argc, argv, envp);
	/* libc calls exit(r) from just above this frame: main's is dead */
	note_exit_frame((uintptr_t)__builtin_frame_address(0));
	hb.exit_status = r & 0xff;
	exit_concurrently(r); /* libc calls exit(r) next */
	return r;
}

HB_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	hb_should_trace();
	if (!real.libc_start_main)
		*(void **)&real.libc_start_main = next("__libc_start_main");
	real_main = main;
	return real.libc_start_main(hb_main, argc, argv, init, fini, rtld_fini, stack_end);
}
