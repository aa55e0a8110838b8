/*
 * eintrwait.c - threads asleep in poll, nanosleep and epoll_wait, in a
 * program without signal handlers, while main exits with leaks.
 *
 * poll(), nanosleep() and epoll_wait() fail with EINTR when a signal
 * handler runs in their thread, and SA_RESTART never restarts them. A
 * program that installs no handler may rightly treat EINTR as impossible:
 * servers block in them forever and call any failure fatal. The exit-time
 * leak scan stops every thread; it must not do so with a handled signal (a
 * bug found in review: "worker: poll failed: Interrupted system call",
 * timing-dependent, since the worker has to run before the process is
 * gone; the longer the scan, the likelier).
 *
 * Usage: eintrwait [CALLS [BLOCKS]]
 * CALLS is a comma-separated list of poll, nanosleep and epoll_wait
 * (default: all three), BLOCKS a count (default 20000). One worker per
 * call waits forever: poll on no descriptor without a timeout, nanosleep
 * for an hour, epoll_wait on an empty set without a timeout. Any return is
 * fatal: `worker: CALL failed: STRERROR` on stderr, exit status 9. Main
 * waits until every worker is at its call, leaks BLOCKS blocks of 24 bytes
 * (a scan with work to do) and returns 0.
 *
 * Output, the same bare and under the shim (no pid in it):
 *   TRUTH calls=CALLS blocks=BLOCKS allocs=... (the executable's ledger)
 * Exit status 0, or 9 when a worker's call returned (or 0 with the line on
 * stderr, when main's exit came first).
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "hostile.h"

static int ready; /* workers about to enter their call */

/* Reports a call that returned although it waits forever; ends the
 * process at once, as a server's fatal-error path would. */
static void eintrwait_fatal(const char *call)
{
	int err = errno;
	char line[160];
	int n = snprintf(line, sizeof(line), "worker: %s failed: %s\n", call, strerror(err));
	hb_write_all(2, line, (size_t)n);
	_exit(9);
}

static void *eintrwait_poll(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	for (;;)
		if (poll(NULL, 0, -1) < 0)
			eintrwait_fatal("poll");
	return NULL;
}

static void *eintrwait_nanosleep(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct timespec hour = {3600, 0};
		if (nanosleep(&hour, NULL) < 0)
			eintrwait_fatal("nanosleep");
	}
	return NULL;
}

static void *eintrwait_epoll(void *arg)
{
	int ep = *(int *)arg;
	struct epoll_event ev;
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	for (;;)
		if (epoll_wait(ep, &ev, 1, -1) < 0)
			eintrwait_fatal("epoll_wait");
	return NULL;
}

/* Whether `name` is an item of the comma-separated list `list`. */
static int eintrwait_listed(const char *list, const char *name)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == strlen(name) && strncmp(p, name, len) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct hb_ledger led;
	static int ep;
	const char *calls = argc > 1 ? argv[1] : "poll,nanosleep,epoll_wait";
	long blocks = argc > 2 ? atol(argv[2]) : 20000;
	int workers = 0;
	pthread_t t;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		hb_die("epoll_create1 failed");
	if (eintrwait_listed(calls, "poll") && pthread_create(&t, NULL, eintrwait_poll, NULL) == 0)
		workers++;
	if (eintrwait_listed(calls, "nanosleep") && pthread_create(&t, NULL, eintrwait_nanosleep, NULL) == 0)
		workers++;
	if (eintrwait_listed(calls, "epoll_wait") && pthread_create(&t, NULL, eintrwait_epoll, &ep) == 0)
		workers++;
	if (workers == 0)
		hb_die("no worker started for calls '%s'", calls);
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < workers)
		hostile_sleep_ms(1);
	hostile_sleep_ms(20); /* from "about to" to inside the call */
	for (long i = 0; i < blocks; i++)
		hb_ledger_alloc(&led, malloc(24), 24); /* leaked */
	hb_truth("calls=%s blocks=%ld " HB_LEDGER_FMT, calls, blocks, HB_LEDGER_ARGS(led));
	return 0;
}
