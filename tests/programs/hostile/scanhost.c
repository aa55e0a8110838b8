/*
 * scanhost.c - hosts that the exit-time leak scan must not disturb.
 *
 * Usage: scanhost MODE
 * The scan stops every other thread while it reads memory; the host must
 * not notice. Each mode leaks LEAKS blocks of 100 bytes and ends normally
 * while other threads are busy in the way that MODE names:
 *   eintr     a worker sits in poll() and nanosleep() without any signal
 *             handler; EINTR from either is fatal to it (exit status 9)
 *   sigwait   every signal is blocked and a thread sigwait()s for all of
 *             them; any signal it receives is fatal (exit status 3)
 *   mprotect  a thread keeps switching a live heap page between PROT_NONE
 *             and read/write while main returns (the scan must not fault)
 *   pexit     a global holds a 4000-byte block; main ends with pthread_exit
 *             and the last thread's return ends the process
 *   unshare2  two threads call unshare(CLONE_NEWUSER) at once (EINVAL,
 *             since the process is multithreaded), then everything ends
 *   blocked   a thread blocks every signal and spins (never in a system
 *             call) while main exits
 *   coro      main keeps a block only in a local, then exit() is called
 *             from a makecontext coroutine whose stack is a heap block: the
 *             block must stay reachable through main's own stack
 *   fnptr     allocates through a pointer to malloc (built -no-pie too: the
 *             executable's PLT stub must not be taken for an allocator)
 *   prefork   a forked worker leaks LEAKS blocks and idles until the parent
 *             sends it SIGTERM; the parent then leaks its own and exits
 * Prints `TRUTH mode=... leaks=N`.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "hostile.h"

#define LEAKS 5

static void *volatile sink;
void *held_by_global;

/* Conservative scanners (this one, LeakSanitizer) see a stale copy of a
 * pointer in a dead stack slot that a later, deeper call leaves unwritten:
 * scrub the stack below main's frame after leaking, so the truth is exact. */
static __attribute__((noinline)) void scrub_stack(void)
{
	volatile char buf[32768];
	memset((char *)buf, 0, sizeof(buf));
}

static __attribute__((noinline)) void leak_some(void)
{
	for (int i = 0; i < LEAKS; i++) {
		void *p = malloc(100);
		memset(p, 1, 100);
		sink = p;
	}
	sink = NULL;
}

static void *eintr_worker(void *arg)
{
	(void)arg;
	for (;;) {
		if (poll(NULL, 0, 2) < 0 && errno == EINTR) {
			hb_say("worker: poll: Interrupted system call");
			_exit(9);
		}
		struct timespec ts = {0, 1000000};
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR) {
			hb_say("worker: nanosleep: Interrupted system call");
			_exit(9);
		}
	}
	return NULL;
}

static void *sigwait_worker(void *arg)
{
	sigset_t *all = arg;
	int sig;
	if (sigwait(all, &sig) == 0) {
		hb_say("signal thread: got signal %d", sig);
		_exit(3);
	}
	return NULL;
}

static char *page;

static void *mprotect_worker(void *arg)
{
	(void)arg;
	for (;;) {
		mprotect(page, 4096, PROT_NONE);
		sched_yield();
		mprotect(page, 4096, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

static void *last_thread(void *arg)
{
	(void)arg;
	hostile_sleep_ms(50);
	return NULL; /* the last thread: the process ends with status 0 */
}

static void *unshare_worker(void *arg)
{
	(void)arg;
	int rc = unshare(CLONE_NEWUSER);
	sink = (void *)(long)rc;
	return NULL;
}

static void *spin_worker(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (volatile unsigned long n = 0;; n++)
		;
	return NULL;
}

static ucontext_t main_ctx, co_ctx;

static void coroutine(void)
{
	exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	hb_truth("mode=%s leaks=%d", mode, LEAKS);
	if (strcmp(mode, "prefork") != 0) {
		leak_some();
		scrub_stack();
	}
	pthread_t t, u;
	if (strcmp(mode, "eintr") == 0) {
		pthread_create(&t, NULL, eintr_worker, NULL);
		hostile_sleep_ms(30);
		exit(0);
	} else if (strcmp(mode, "sigwait") == 0) {
		static sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
		pthread_create(&t, NULL, sigwait_worker, &all);
		hostile_sleep_ms(30);
		exit(0);
	} else if (strcmp(mode, "mprotect") == 0) {
		if (posix_memalign((void **)&page, 4096, 4096) != 0)
			return 1;
		pthread_create(&t, NULL, mprotect_worker, NULL);
		hostile_sleep_ms(20);
		return 0;
	} else if (strcmp(mode, "pexit") == 0) {
		held_by_global = malloc(4000);
		pthread_create(&t, NULL, last_thread, NULL);
		pthread_exit(NULL);
	} else if (strcmp(mode, "unshare2") == 0) {
		pthread_create(&t, NULL, unshare_worker, NULL);
		pthread_create(&u, NULL, unshare_worker, NULL);
		pthread_join(t, NULL);
		pthread_join(u, NULL);
		return 0;
	} else if (strcmp(mode, "blocked") == 0) {
		pthread_create(&t, NULL, spin_worker, NULL);
		hostile_sleep_ms(20);
		exit(0);
	} else if (strcmp(mode, "coro") == 0) {
		void *volatile held = malloc(111); /* only here, on main's stack */
		char *stack = malloc(64 * 1024);
		getcontext(&co_ctx);
		co_ctx.uc_stack.ss_sp = stack;
		co_ctx.uc_stack.ss_size = 64 * 1024;
		co_ctx.uc_link = &main_ctx;
		makecontext(&co_ctx, coroutine, 0);
		swapcontext(&main_ctx, &co_ctx);
		(void)held;
		return 0;
	} else if (strcmp(mode, "fnptr") == 0) {
		void *(*volatile alloc)(size_t) = malloc;
		void (*volatile release)(void *) = free;
		release(alloc(64));
		return 0;
	} else if (strcmp(mode, "prefork") == 0) {
		pid_t c = fork();
		if (c == 0) {
			leak_some();
			scrub_stack();
			for (;;)
				pause(); /* an idle worker: no allocator call after its first ones */
		}
		hostile_sleep_ms(300);
		kill(c, SIGTERM);
		int st;
		waitpid(c, &st, 0);
		hb_truth("child=%d signal=%d", (int)c, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return 0;
	}
	hb_die("unknown mode '%s'", mode);
}
