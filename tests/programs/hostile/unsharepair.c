/*
 * unsharepair.c - two threads call unshare(CLONE_NEWUSER) at the same
 * moment, then every thread ends with pthread_exit or a return.
 *
 * The kernel refuses CLONE_NEWUSER (EINVAL) to a process with more than
 * one thread, so both calls fail, bare as under the shim. The shim lets a
 * single-threaded host's call succeed by stepping its writer thread aside
 * around unshare and starting it again. Two calls at once must not leave
 * two writers: when the host's last thread is gone, the writer ends the
 * process (as glibc has the last thread call exit), which it does only
 * when it is the one thread left (a bug found in review: concurrent calls
 * left two writers, neither ever alone, or deadlocked inside the shim;
 * either way the process never ended).
 *
 * Main and a worker meet at a barrier, call unshare(CLONE_NEWUSER), and
 * meet again before either goes on: both calls are made by a process with
 * two threads, whatever the order (a call that a tracer delays must not
 * find the worker already gone). They do that PAIRS times, each a chance
 * for the race. Main joins the worker, prints what each thread's calls
 * returned and the number of threads the process has then (from
 * /proc/self/status; under the shim, one more: its writer), and calls
 * pthread_exit.
 *
 * Output (bare: threads=1; the rest the same bare and under the shim):
 *   main: 20 unshare(CLONE_NEWUSER) calls: 0 ok, 20 EINVAL, 0 other
 *   worker: 20 unshare(CLONE_NEWUSER) calls: 0 ok, 20 EINVAL, 0 other
 *   threads=N
 * Exit status 0.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define PAIRS 20

static pthread_barrier_t both;

/* What one thread's calls returned. */
struct unsharepair_tally {
	unsigned ok, einval, other;
};

/* Calls unshare(CLONE_NEWUSER) PAIRS times, each once both threads are at
 * the barrier and returning when both have called it; counts the results. */
static void unsharepair_calls(struct unsharepair_tally *t)
{
	for (int i = 0; i < PAIRS; i++) {
		pthread_barrier_wait(&both);
		int rc = unshare(CLONE_NEWUSER);
		int err = errno;
		pthread_barrier_wait(&both);
		if (rc == 0)
			t->ok++;
		else if (err == EINVAL)
			t->einval++;
		else
			t->other++;
	}
}

static void *unsharepair_worker(void *arg)
{
	unsharepair_calls(arg);
	return NULL;
}

/* The Threads: count of /proc/self/status, or -1. No allocation. */
static int unsharepair_threads(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nThreads:");
	return p ? atoi(p + 9) : -1;
}

static void unsharepair_say(const char *who, const struct unsharepair_tally *t)
{
	hb_say("%s: %d unshare(CLONE_NEWUSER) calls: %u ok, %u EINVAL, %u other", who, PAIRS, t->ok, t->einval,
	       t->other);
}

int main(void)
{
	static struct unsharepair_tally main_tally, worker_tally;
	pthread_t t;

	pthread_barrier_init(&both, NULL, 2);
	if (pthread_create(&t, NULL, unsharepair_worker, &worker_tally) != 0)
		hb_die("pthread_create failed");
	unsharepair_calls(&main_tally);
	pthread_join(t, NULL);
	unsharepair_say("main", &main_tally);
	unsharepair_say("worker", &worker_tally);
	hb_say("threads=%d", unsharepair_threads());
	pthread_exit(NULL); /* the last thread of the host */
}
