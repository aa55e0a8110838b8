/*
 * interpose_process.c - the exported process calls the shim must see:
 * exec (flush first; the new image traces itself), dlclose, unshare and
 * setns, sigaction and signal (the shim's flush handlers stay invisible),
 * exit, quick_exit, _exit, _Exit, and main's return (__libc_start_main).
 * The allocator entry points are interpose_alloc.c's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_functions.h"
#include "shim.h"
#include "unwind.h"

#define HB_EXPORT __attribute__((visibility("default")))

/* Exported here, declared by no header of this glibc. */
HB_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

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
		*(void **)&real.libc_start_main = hb_real_next("__libc_start_main");
	real_main = main;
	return real.libc_start_main(hb_main, argc, argv, init, fini, rtld_fini, stack_end);
}
