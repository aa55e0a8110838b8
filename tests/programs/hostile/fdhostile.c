/*
 * fdhostile.c - a host that takes the descriptor table for itself.
 *
 * Usage: fdhostile closeall|dup2 LOGFILE
 * Programs assume the descriptors they did not open are not there: a daemon
 * closes everything from 3 up and opens its log, which then gets number 3;
 * others dup2 their log onto a fixed number. A tracer that keeps writing
 * through the number it opened would write its blocks into the host's log
 * and lose its own trace. The program allocates, waits three flush periods
 * (so the tracer has written through its descriptor), then:
 *   closeall  closes every descriptor >= 3 (close_range, or a loop where
 *             the kernel lacks it) and opens LOGFILE, which gets the lowest
 *             free number;
 *   dup2      finds the descriptor open on a trace file (a link in
 *             /proc/self/fd ending in ".hbt"; bare, there is none and 100
 *             is used) and dup2()s LOGFILE onto that number.
 * Then, LINES times: writes one line to its log, allocates (keeps some,
 * frees some), and waits two flush periods. LOGFILE is opened without
 * O_APPEND, as logs often are, so stray writes through a shared descriptor
 * land in the middle of it.
 *
 * Truth: `TRUTH pid=P mode=M log_fd=F trace_fd_found=0|1 lines=N` plus the
 * executable's ledger (malloc and free only). LOGFILE must then hold exactly
 * the lines "host log line K" for K = 0..N-1, and the trace must be whole.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "hostile.h"

#define LINES 12

static struct hb_ledger led;

/* Allocates `keep` blocks that stay and `drop` that are freed at once. */
static void churn(unsigned keep, unsigned drop, unsigned tag)
{
	for (unsigned i = 0; i < keep + drop; i++) {
		size_t n = 200 + 8 * tag + i;
		void *p = hb_ledger_alloc(&led, malloc(n), n);
		if (i >= keep) {
			free(p);
			hb_ledger_end(&led, n);
		}
	}
}

/* The descriptor open on a file whose name ends in ".hbt", or -1. Reads
 * /proc/self/fd with getdents64 into a stack buffer (opendir allocates). */
static int find_trace_fd(void)
{
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	char buf[8192];
	int found = -1;
	long n;
	while (found < 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && found < 0;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			char link[64], target[4096];
			snprintf(link, sizeof(link), "/proc/self/fd/%s", d->d_name);
			ssize_t len = readlink(link, target, sizeof(target) - 1);
			if (len > 4 && memcmp(target + len - 4, ".hbt", 4) == 0)
				found = atoi(d->d_name);
		}
	}
	close(dir);
	return found;
}

static void close_from_3(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
#endif
	struct rlimit rl;
	long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
	for (long fd = 3; fd < max; fd++)
		close((int)fd);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "closeall") != 0 && strcmp(argv[1], "dup2") != 0))
		hb_die("usage: fdhostile closeall|dup2 LOGFILE");
	const char *mode = argv[1], *log_path = argv[2];
	long interval = hostile_interval_ms();

	churn(5, 20, 0);
	hostile_sleep_ms(3 * interval); /* the tracer has written through its descriptor */

	int log_fd, found = 0;
	if (strcmp(mode, "closeall") == 0) {
		close_from_3();
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (log_fd < 0)
			hb_die("open %s: %s", log_path, strerror(errno));
	} else {
		int target = find_trace_fd();
		found = target >= 0;
		if (!found)
			target = 100;
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			hb_die("open %s: %s", log_path, strerror(errno));
		if (dup2(fd, target) < 0)
			hb_die("dup2: %s", strerror(errno));
		close(fd);
		log_fd = target;
	}

	for (unsigned k = 0; k < LINES; k++) {
		char line[64];
		int len = snprintf(line, sizeof(line), "host log line %u\n", k);
		hb_write_all(log_fd, line, (size_t)len);
		churn(2, 3, 1 + k);
		hostile_sleep_ms(2 * interval);
	}
	close(log_fd);
	hb_truth("pid=%d mode=%s log_fd=%d trace_fd_found=%d lines=%d " HB_LEDGER_FMT, (int)getpid(), mode, log_fd,
		 found, LINES, HB_LEDGER_ARGS(led));
	return 0;
}
