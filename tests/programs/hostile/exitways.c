/*
 * exitways.c - the ways a process ends without returning from main.
 *
 * Every way must leave a trace that ends (END) with what the process
 * leaked, and those that run code of the process's own outside a signal
 * handler must be scanned as a normal exit is (memcheck checks at any
 * exit). The program leaks LEAKS blocks of LEAK_SIZE bytes whose addresses
 * it keeps nowhere (definite), holds one block of HELD_SIZE bytes in a
 * global (reachable), then ends as MODE says:
 *
 *   _exit     _exit(7): how dash and many fork children end
 *   _Exit     _Exit(7)
 *   sigpipe   writes to a pipe whose reading end it closed, with SIGPIPE
 *             at its default: killed by SIGPIPE (as `yes | head -1`)
 *   racing    RACERS threads and main call exit(7) at the same instant
 *             (glibc before 2.41 lets them all run the exit handlers; the
 *             first to finish them ends the process)
 *   latealloc LATE_THREADS detached threads allocate (and free) blocks of
 *             LATE_SIZE bytes without a pause, each holding its last
 *             LATE_RING in a global ring, while main calls exit(7): they
 *             go on through the scan and the END
 *
 * Usage: exitways MODE
 * Output: `TRUTH mode=MODE leaks=LEAKS leak_size=LEAK_SIZE held_size=HELD_SIZE`.
 * Exit status 7, or death by SIGPIPE; 2 on a bad MODE.
 */
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define LEAKS 12
#define LEAK_SIZE 3001
#define HELD_SIZE 3002
#define RACERS 4
#define LATE_SIZE 3003
#define LATE_THREADS 1
#define LATE_RING 16

static void *volatile held; /* the reachable block */

/* Leaks LEAKS blocks whose addresses it keeps nowhere. */
static __attribute__((noinline)) void exitways_leak(void)
{
	for (int i = 0; i < LEAKS; i++) {
		char *p = malloc(LEAK_SIZE);
		if (!p)
			hb_die("malloc failed");
		memset(p, 1, LEAK_SIZE);
	}
}

/* A conservative scanner sees stale copies of pointers in dead stack slots
 * below the live frames: clear them, so the leaks are definite. */
static __attribute__((noinline)) void exitways_scrub_stack(void)
{
	volatile char buf[65536];
	memset((char *)buf, 0, sizeof(buf));
}

/* Dies of SIGPIPE: the write to a pipe nobody reads raises it. */
static void exitways_sigpipe(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		hb_die("pipe failed");
	close(fds[0]);
	signal(SIGPIPE, SIG_DFL); /* whatever the parent left: the default */
	ssize_t r = write(fds[1], "x", 1);
	(void)r;
	hb_die("write to a closed pipe returned instead of raising SIGPIPE");
}

static void *volatile late_ring[LATE_THREADS][LATE_RING];
static int late_started;

static void *exitways_late_allocator(void *arg)
{
	void *volatile *ring = late_ring[(uintptr_t)arg];
	for (unsigned long i = 0;; i++) {
		void *old = ring[i % LATE_RING];
		ring[i % LATE_RING] = malloc(LATE_SIZE);
		free(old);
		if (i == LATE_RING)
			__atomic_add_fetch(&late_started, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Starts the late allocators and waits until their rings are full. */
static void exitways_latealloc(void)
{
	pthread_t t;
	pthread_attr_t detached;
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	for (uintptr_t i = 0; i < LATE_THREADS; i++)
		if (pthread_create(&t, &detached, exitways_late_allocator, (void *)i) != 0)
			hb_die("pthread_create failed");
	while (__atomic_load_n(&late_started, __ATOMIC_ACQUIRE) < LATE_THREADS)
		hostile_sleep_ms(1);
	exit(7);
}

static pthread_barrier_t start_line;

static void *exitways_racer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start_line);
	exit(7);
}

/* Every racer and main leave the barrier together and call exit(7). */
static void exitways_racing(void)
{
	pthread_t t;
	pthread_barrier_init(&start_line, NULL, RACERS + 1);
	for (int i = 0; i < RACERS; i++)
		if (pthread_create(&t, NULL, exitways_racer, NULL) != 0)
			hb_die("pthread_create failed");
	pthread_barrier_wait(&start_line);
	exit(7);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int known = strcmp(mode, "_exit") == 0 || strcmp(mode, "_Exit") == 0 || strcmp(mode, "sigpipe") == 0 ||
		    strcmp(mode, "racing") == 0 || strcmp(mode, "latealloc") == 0;
	if (!known) {
		hb_say("usage: exitways _exit|_Exit|sigpipe|racing|latealloc");
		return 2;
	}
	held = malloc(HELD_SIZE);
	exitways_leak();
	exitways_scrub_stack();
	hb_truth("mode=%s leaks=%d leak_size=%d held_size=%d", mode, LEAKS, LEAK_SIZE, HELD_SIZE);
	if (strcmp(mode, "_exit") == 0)
		_exit(7);
	if (strcmp(mode, "_Exit") == 0)
		_Exit(7);
	if (strcmp(mode, "racing") == 0)
		exitways_racing();
	if (strcmp(mode, "latealloc") == 0)
		exitways_latealloc();
	exitways_sigpipe();
	return 0;
}
