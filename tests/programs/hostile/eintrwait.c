/*
 * eintrwait.c - threads asleep in poll, nanosleep, epoll_wait and the
 * other blocking calls a stop may end with EINTR, in a program without
 * signal handlers, while main exits with leaks.
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
 * Linux makes more calls fail so after a stop, even with no handler
 * (signal(7), "Interruption of system calls and library functions by stop
 * signals"): epoll_wait, io_getevents, sigtimedwait, and socket calls
 * with a timeout (SO_RCVTIMEO). A ptrace stop is one such stop.
 *
 * Usage: eintrwait [CALLS [BLOCKS]]
 * CALLS is a comma-separated list of poll, nanosleep, epoll_wait,
 * io_getevents, sigtimedwait and recv_timeo (default: poll, nanosleep,
 * epoll_wait), BLOCKS a count (default 20000). One worker per call waits
 * forever: poll on no descriptor without a timeout, nanosleep for an
 * hour, epoll_wait on an empty set without a timeout, io_getevents on an
 * empty AIO context without a timeout, sigtimedwait for a SIGUSR2 that
 * only its thread blocks and nobody sends, for an hour, recv on a socket
 * pair nobody writes to with SO_RCVTIMEO an hour. Any return is
 * fatal: `worker: CALL failed: STRERROR` on stderr, exit status 9. Main
 * waits until every worker is at its call, leaks BLOCKS blocks of 24 bytes
 * (a scan with work to do) and returns 0.
 *
 * Output, the same bare and under the shim (no pid in it):
 *   TRUTH calls=CALLS blocks=BLOCKS allocs=... (the executable's ledger)
 * Exit status 0, or 9 when a worker's call returned (or 0 with the line on
 * stderr, when main's exit came first).
 */
#include <linux/aio_abi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

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

static void *eintrwait_io_getevents(void *arg)
{
	aio_context_t ctx = *(aio_context_t *)arg;
	struct io_event ev;
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	for (;;) /* glibc has no wrapper (libaio's is a system call too) */
		if (syscall(SYS_io_getevents, ctx, 1L, 1L, &ev, NULL) < 0)
			eintrwait_fatal("io_getevents");
	return NULL;
}

static void *eintrwait_sigtimedwait(void *arg)
{
	(void)arg;
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct timespec hour = {3600, 0};
		if (sigtimedwait(&usr2, NULL, &hour) < 0)
			eintrwait_fatal("sigtimedwait");
	}
	return NULL;
}

static void *eintrwait_recv_timeo(void *arg)
{
	int fd = *(int *)arg;
	char byte;
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	for (;;)
		if (recv(fd, &byte, 1, 0) <= 0)
			eintrwait_fatal("recv_timeo");
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
	static aio_context_t aio;
	static int pair[2];
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
	if (eintrwait_listed(calls, "io_getevents")) {
		if (syscall(SYS_io_setup, 1, &aio) != 0)
			hb_die("io_setup failed");
		if (pthread_create(&t, NULL, eintrwait_io_getevents, &aio) == 0)
			workers++;
	}
	if (eintrwait_listed(calls, "sigtimedwait") && pthread_create(&t, NULL, eintrwait_sigtimedwait, NULL) == 0)
		workers++;
	if (eintrwait_listed(calls, "recv_timeo")) {
		struct timeval hour = {3600, 0};
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
		    setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &hour, sizeof(hour)) != 0)
			hb_die("socketpair or SO_RCVTIMEO failed");
		if (pthread_create(&t, NULL, eintrwait_recv_timeo, &pair[0]) == 0)
			workers++;
	}
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
