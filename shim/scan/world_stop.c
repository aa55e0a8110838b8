/*
 * world_stop.c - stopping the other threads with ptrace from a tracer task
 * (see world_stop.h).
 *
 * The tracer shares the process's memory (CLONE_VM), but it is a process
 * of its own, because a thread cannot trace threads of its own group. It
 * runs on an mmap'd stack and uses system calls only: it inherits the
 * calling thread's thread pointer, so anything that touches TLS beyond
 * errno would touch the caller's. The two talk through one futex word:
 *
 *   phase 0  the caller is making the tracer welcome (Yama, dumpable)
 *   phase 1  go: the tracer attaches to every thread, round after round
 *   phase 2  all stopped (or the tracer gave up: failed set, none held)
 *   phase 3  the caller is done: the tracer detaches every thread
 *   phase 4  the tracer is about to exit
 */
#include "world_stop.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim_mem.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static void futex_wait(int *word, int val, long timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
	syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake(int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

static void set_phase(struct hb_world *w, int phase)
{
	__atomic_store_n(&w->phase, phase, __ATOMIC_RELEASE);
	futex_wake(&w->phase);
}

/* Waits until the phase reaches `want`, at most about timeout_ms. */
static int wait_phase(struct hb_world *w, int want, long timeout_ms)
{
	for (long waited = 0; waited <= timeout_ms; waited += 100) {
		int p = __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE);
		if (p >= want)
			return 0;
		futex_wait(&w->phase, p, 100);
	}
	return -1;
}

static char *put_uint(char *p, unsigned long v)
{
	char d[24];
	int n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = d[--n];
	*p = '\0';
	return p;
}

struct dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Calls fn(ctx, tid) for each thread of process pid; returns -1 if the
 * list cannot be read. */
static int for_each_task(pid_t pid, void (*fn)(void *ctx, pid_t tid), void *ctx)
{
	char path[48] = "/proc/";
	strcpy(put_uint(path + 6, (unsigned long)pid), "/task");
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[4096];
	long nread;
	while ((nread = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < nread;) {
			struct dirent64_ *d = (struct dirent64_ *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			pid_t tid = 0;
			for (const char *c = d->d_name; *c; c++)
				tid = tid * 10 + (*c - '0');
			fn(ctx, tid);
		}
	}
	close(fd);
	return 0;
}

/* A task that has ended (a zombie: the thread-group leader after its
 * pthread_exit, or a thread on its way out) runs no more code and holds no
 * stack worth reading; ptrace would wait for it in vain. */
static int task_alive(pid_t pid, pid_t tid)
{
	char path[80] = "/proc/", buf[512];
	char *p = put_uint(path + 6, (unsigned long)pid);
	strcpy(p, "/task/");
	strcpy(put_uint(p + 6, (unsigned long)tid), "/stat");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	const char *q = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	return q && q[1] == ' ' && q[2] != 'Z' && q[2] != 'X';
}

static int skipped(const struct hb_world *w, pid_t tid)
{
	if (tid == w->skip[0] || tid == w->skip[1])
		return 1;
	for (size_t i = 0; i < w->n; i++)
		if (w->t[i].tid == tid)
			return 1;
	return 0;
}

static void read_regs(struct hb_stopped_thread *s)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	struct iovec io = {&r, sizeof(r)};
	if (ptrace(PTRACE_GETREGSET, s->tid, (void *)NT_PRSTATUS, &io) != 0)
		return;
	s->sp = r.rsp;
	s->tp = r.fs_base;
	size_t n = sizeof(r) < sizeof(s->regs) ? sizeof(r) : sizeof(s->regs);
	memcpy(s->regs, &r, n);
#elif defined(__aarch64__)
	struct user_pt_regs r;
	struct iovec io = {&r, sizeof(r)};
	if (ptrace(PTRACE_GETREGSET, s->tid, (void *)NT_PRSTATUS, &io) != 0)
		return;
	s->sp = r.sp;
	size_t n = sizeof(r.regs) < sizeof(s->regs) ? sizeof(r.regs) : sizeof(s->regs);
	memcpy(s->regs, r.regs, n);
	uint64_t tls;
	struct iovec tio = {&tls, sizeof(tls)};
	if (ptrace(PTRACE_GETREGSET, s->tid, (void *)NT_ARM_TLS, &tio) == 0)
		s->tp = tls;
#else
#error "world_stop.c: add the registers of this architecture"
#endif
}

struct attach_round {
	struct hb_world *w;
	pid_t pid;
	unsigned added;
};

/* In the tracer: seize, interrupt and wait for one thread. */
static void attach_one(void *ctx, pid_t tid)
{
	struct attach_round *ar = ctx;
	struct hb_world *w = ar->w;
	if (w->failed || skipped(w, tid) || !task_alive(ar->pid, tid))
		return;
	if (w->n == w->cap) {
		w->failed = 1;
		w->err = ENOSPC;
		return;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
		if (errno != ESRCH) { /* gone meanwhile is fine; refused is not */
			w->failed = 1;
			w->err = errno;
		}
		return;
	}
	struct hb_stopped_thread *s = &w->t[w->n];
	memset(s, 0, sizeof(*s));
	s->tid = tid;
	w->n++;
	ar->added++;
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	for (;;) {
		int st;
		pid_t r = (pid_t)syscall(SYS_wait4, tid, &st, __WALL, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			s->tid = -1; /* it ended: nothing of it to scan */
			return;
		}
		if (WIFSTOPPED(st)) {
			if ((st >> 16) != PTRACE_EVENT_STOP && WSTOPSIG(st) != SIGTRAP)
				s->sig = WSTOPSIG(st); /* stopped on its way to a signal: give it back */
			break;
		}
	}
	read_regs(s);
}

/* Linux ends some blocking calls with EINTR after any stop, a ptrace stop
 * included, even when no handler runs (signal(7), "Interruption of system
 * calls and library functions by stop signals"), where poll, nanosleep,
 * futex or read are restarted by the kernel unseen. A program that
 * installs no handler may rightly treat EINTR from them as impossible.
 * These are the calls (x86-64 numbers) that end with a bare EINTR, and
 * that, having returned EINTR, did nothing, so that running them again is
 * what the kernel itself does for a restartable call:
 *   epoll_wait, epoll_pwait, epoll_pwait2; io_getevents, io_pgetevents;
 *   rt_sigtimedwait (sigtimedwait, sigwaitinfo); semop, semtimedop;
 *   msgrcv, msgsnd; the socket calls that wait with SO_RCVTIMEO or
 *   SO_SNDTIMEO set: accept, accept4, recvfrom, recvmsg, recvmmsg, sendto,
 *   sendmsg, sendmmsg.
 * Not rewound, and so left failing with EINTR when the stop interrupts
 * them: connect (its attempt goes on in the kernel: a second call would
 * say EALREADY), close (the descriptor is gone whatever it returns), and
 * calls not listed. A rewound call starts its timeout afresh: a wait with
 * a timeout may end later than asked, by up to that timeout, once (the
 * scan stops each thread once). On other architectures than x86-64 no
 * call is rewound (world_stop.h). */
static int eintr_after_stop(long nr)
{
#if defined(__x86_64__)
	switch (nr) {
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
	case SYS_io_getevents:
#ifdef SYS_io_pgetevents
	case SYS_io_pgetevents:
#endif
	case SYS_rt_sigtimedwait:
	case SYS_semop:
	case SYS_semtimedop:
	case SYS_msgrcv:
	case SYS_msgsnd:
	case SYS_accept:
	case SYS_accept4:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
		return 1;
	}
#endif
	(void)nr;
	return 0;
}

/* Parses the hex mask after `key` in a /proc status text; 0 if absent. */
static uint64_t status_mask(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	uint64_t v = 0;
	for (;; p++) {
		unsigned d = *p >= '0' && *p <= '9' ? (unsigned)(*p - '0') : *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10) : 16;
		if (d == 16)
			return v;
		v = v << 4 | d;
	}
}

/* Whether a signal the thread does not block waits for it (its own queue
 * or the process's): that signal interrupts the call anyway, with EINTR,
 * as without the shim. When unsure, says yes (the call is left alone). */
static int signal_waiting(pid_t pid, pid_t tid)
{
	char path[80] = "/proc/", buf[2048];
	char *p = put_uint(path + 6, (unsigned long)pid);
	strcpy(p, "/task/");
	strcpy(put_uint(p + 6, (unsigned long)tid), "/status");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 1;
	buf[r] = '\0';
	if (!strstr(buf, "SigBlk:"))
		return 1;
	uint64_t pending = status_mask(buf, "\nSigPnd:") | status_mask(buf, "\nShdPnd:");
	return (pending & ~status_mask(buf, "\nSigBlk:")) != 0;
}

/* A thread whose call the stop ended with EINTR (eintr_after_stop) is
 * pointed back at its system call instruction, to run the call again, as
 * the kernel does for -ERESTARTNOINTR. Not when the EINTR is a signal's:
 * one the thread was stopped on its way to (given back on detach), or one
 * waiting for it. */
static void restart_interrupted_call(const struct hb_stopped_thread *s, pid_t pid)
{
#if defined(__x86_64__)
	if (s->sig)
		return;
	struct user_regs_struct r;
	struct iovec io = {&r, sizeof(r)};
	if (ptrace(PTRACE_GETREGSET, s->tid, (void *)NT_PRSTATUS, &io) != 0)
		return;
	if ((long)r.rax != -EINTR || !eintr_after_stop((long)r.orig_rax) || signal_waiting(pid, s->tid))
		return;
	r.rax = r.orig_rax;
	r.rip -= 2; /* the syscall instruction is 2 bytes */
	ptrace(PTRACE_SETREGSET, s->tid, (void *)NT_PRSTATUS, &io);
#else
	(void)s;
	(void)pid;
#endif
}

static void detach_all(struct hb_world *w, pid_t pid)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->t[i].tid <= 0)
			continue;
		restart_interrupted_call(&w->t[i], pid);
		ptrace(PTRACE_DETACH, w->t[i].tid, NULL, (void *)(uintptr_t)w->t[i].sig);
	}
}

static int tracer_main(void *arg)
{
	struct hb_world *w = arg;
	pid_t pid = (pid_t)syscall(SYS_getppid);
	/* should the scanning thread die, so does the tracer (its tracees are
	 * then let go by the kernel) */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	wait_phase(w, 1, 5000);
	/* rounds until one finds no new thread: a thread can create another
	 * only before it is itself stopped */
	for (int round = 0; round < 64 && !w->failed; round++) {
		struct attach_round ar = {w, pid, 0};
		if (for_each_task(pid, attach_one, &ar) < 0) {
			w->failed = 1;
			w->err = errno;
		}
		if (!ar.added)
			break;
	}
	if (w->failed) {
		detach_all(w, pid);
		set_phase(w, 4);
		return 0;
	}
	set_phase(w, 2);
	wait_phase(w, 3, 3600L * 1000);
	detach_all(w, pid);
	set_phase(w, 4);
	return 0;
}

struct count_ctx {
	const pid_t *skip;
	pid_t pid;
	unsigned others;
};

static void count_other(void *ctx, pid_t tid)
{
	struct count_ctx *c = ctx;
	c->others += tid != c->skip[0] && tid != c->skip[1] && task_alive(c->pid, tid);
}

int hb_world_alone(pid_t writer)
{
	pid_t skip[2] = {(pid_t)syscall(SYS_gettid), writer};
	struct count_ctx c = {skip, getpid(), 0};
	if (for_each_task(getpid(), count_other, &c) < 0)
		return 0;
	return c.others == 0;
}

static int yama_present(void)
{
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int dumpable_was = -1;

int hb_world_stop(struct hb_world *w, pid_t writer)
{
	memset(w, 0, sizeof(*w));
	w->skip[0] = (pid_t)syscall(SYS_gettid);
	w->skip[1] = writer;
	w->cap = 4096;
	w->mapped = w->cap * sizeof(struct hb_stopped_thread);
	w->stack_size = 256u << 10;
	w->t = hb_mem_map(w->mapped);
	w->stack = hb_mem_map(w->stack_size);
	if (!w->t || !w->stack) {
		w->failed = 1;
		w->err = ENOMEM;
		goto fail;
	}
	/* ptrace needs a dumpable target (a process may have made itself
	 * not: ssh-agent does); it is exiting, so for the scan it is */
	dumpable_was = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (dumpable_was == 0)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED; /* no exit signal: no SIGCHLD */
	w->tracer = clone(tracer_main, (char *)w->stack + w->stack_size, flags, w);
	if (w->tracer < 0) {
		w->failed = 1;
		w->err = errno;
		goto fail;
	}
	if (yama_present()) /* ptrace_scope 1: a descendant may trace only when asked */
		prctl(PR_SET_PTRACER, (unsigned long)w->tracer, 0, 0, 0);
	set_phase(w, 1);
	if (wait_phase(w, 2, 10000) < 0) {
		w->failed = 1;
		w->err = ETIMEDOUT;
	}
	if (!w->failed && __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) == 2)
		return 0;
	hb_world_resume(w);
	w->failed = 1;
	return -1;
fail:
	hb_world_resume(w);
	return -1;
}

void hb_world_resume(struct hb_world *w)
{
	if (w->tracer > 0) {
		set_phase(w, 3);
		wait_phase(w, 4, 10000);
		int st;
		while (syscall(SYS_wait4, w->tracer, &st, __WALL, NULL) < 0 && errno == EINTR)
			;
		w->tracer = 0;
	}
	if (dumpable_was == 0)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	dumpable_was = -1;
	hb_mem_unmap(w->stack, w->stack_size);
	w->stack = NULL;
	hb_mem_unmap(w->t, w->mapped);
	w->t = NULL;
	w->n = 0;
}
