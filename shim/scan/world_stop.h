/*
 * world_stop.h - stopping every other thread of the process, and reading
 * their registers, for the exit-time leak scan.
 *
 * The threads are stopped with ptrace, as LeakSanitizer stops them: a
 * tracer task (clone with CLONE_VM, not a thread of the process) seizes and
 * interrupts each thread, reads its registers, and holds it until the scan
 * is over. Unlike a signal, a ptrace stop is invisible to the host: no
 * handler runs, sigwait and signalfd see nothing, and a thread that blocks
 * every signal is stopped all the same. The kernel restarts most calls a
 * stop interrupts; those it ends with EINTR even without a handler
 * (epoll_wait, io_getevents, sigtimedwait, semop, socket calls with a
 * timeout...: world_stop.c lists them) are rewound to run again before
 * the thread goes on, on x86-64; on other architectures they fail with
 * EINTR, as after a SIGSTOP and SIGCONT.
 *
 * The tracer lists /proc/PID/task until a round finds no new thread, so a
 * thread created by another before that one stopped is caught too. Where
 * ptrace is refused (a seccomp filter, a container without the right,
 * Yama's ptrace_scope 3), the stop fails and the caller must not scan.
 */
#ifndef HB_WORLD_STOP_H
#define HB_WORLD_STOP_H

#include <stdint.h>
#include <sys/types.h>

#define HB_WORLD_REGS 40 /* words of saved registers per thread, at most */

struct hb_stopped_thread {
	pid_t tid;
	int sig;        /* a signal it was about to take when stopped: given back */
	uintptr_t sp;   /* stack pointer */
	uintptr_t tp;   /* thread pointer (x86-64: fs base), 0 if unknown */
	uintptr_t regs[HB_WORLD_REGS];
};

struct hb_world {
	struct hb_stopped_thread *t;
	size_t n;
	int failed;      /* some live thread could not be stopped (errno in err) */
	int err;
	/* private */
	size_t cap, mapped;
	pid_t skip[2];   /* the calling thread and the shim's writer */
	pid_t tracer;
	int phase;       /* futex shared with the tracer */
	void *stack;
	size_t stack_size;
};

/* Stops every thread but the caller and `writer` (0: none). Returns 0 with
 * the threads in w->t (w->n of them), or -1 when some thread could not be
 * stopped (w->failed, w->err): then none is held. The caller must
 * hb_world_resume() after a 0. Never calls malloc. */
int hb_world_stop(struct hb_world *w, pid_t writer);

/* Lets the threads go on (and gives back any signal they were taking). */
void hb_world_resume(struct hb_world *w);

/* Whether the process has threads other than the caller and writer. */
int hb_world_alone(pid_t writer);

#endif
