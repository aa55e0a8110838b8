/*
 * treestat.c - run a command and measure its whole process tree: wall time,
 * CPU time, peak RSS of the tree, largest single-process RSS, exit status.
 *
 *     treestat [-o FILE] [-i MS] -- CMD ARGS...
 *
 * Why: a tracer such as heaptrack is a process tree (a shell script, the
 * traced program, an interpreter, a compressor), and so may be heapblame's
 * `run`. GNU time reports the CPU of the reaped tree but only the largest
 * single process's RSS, which hides what the tree holds at once. bench/
 * compares tools by ratios of these figures, so all of them come from here.
 *
 * Method:
 *  - wall: CLOCK_MONOTONIC from just before fork until the last process of
 *    the tree has been reaped (not just the direct child: heaptrack's
 *    interpreter may outlive the script's main process).
 *  - cpu: treestat makes itself a child subreaper (PR_SET_CHILD_SUBREAPER),
 *    so every orphaned descendant is re-parented to it and reaped by it. The
 *    rusage that wait4() returns for a child includes every descendant that
 *    child waited for, so the sum over everything treestat reaps is the CPU
 *    (user+sys) of the whole tree. Their sum is the scheduler's exact run
 *    time, in microseconds; only the split into user and sys is tick-sampled.
 *  - peak_tree_rss_kib: every 5 ms (-i) treestat sums the resident set
 *    (/proc/PID/statm, field 2) of all live descendants and keeps the largest
 *    sum. Descendants are found from the ppid chains in /proc/PID/stat (this
 *    kernel has no /proc/PID/task/TID/children); a pid's classification is
 *    cached while the pid stays listed in /proc, so a sample costs one /proc
 *    directory listing plus one pread() of an open statm per descendant.
 *  - max_proc_rss_kib: the largest ru_maxrss among reaped processes (the
 *    kernel's own high-water mark, exact; what GNU time prints as %M).
 *  - exit: the direct child's status (128+N if it died of signal N, 127 if
 *    it could not be executed); treestat exits with the same value.
 *
 * Limits: sampling misses peaks shorter than the interval (an allocation
 * spike between two samples, a process that lives < 5 ms); the sum counts
 * pages shared between processes (libraries, shared mappings) once per
 * process, so it overstates the tree's real footprint by a little (PSS would
 * be exact but smaps_rollup walks page tables, too slow for 5 ms); statm's
 * RSS is kept up to date by the kernel per CPU in batches, so it may lag by
 * up to a few hundred KiB. The sampler itself costs CPU (printed as
 * self_cpu_s, not part of cpu_s); on a 2-core machine it steals a little from
 * the measured tree. treestat waits for every descendant, so a daemon that
 * never exits makes it wait forever. Linux only.
 *
 * Output: one line, to FILE (-o) or stderr:
 *   wall_s=... cpu_s=... peak_tree_rss_kib=... max_proc_rss_kib=... exit=...
 *   user_s=... sys_s=... samples=... procs=... self_cpu_s=...
 * (all on one line; the first five are the interface, the rest informative).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { ST_UNKNOWN = 0, ST_OUTSIDE = 1, ST_INSIDE = 2 };

/* Per-pid cache, indexed by pid (pid_max is at most 4 Mi on Linux). */
static uint8_t *pid_state;
static uint32_t *pid_seen;   /* scan generation in which the pid was listed */
static int *pid_fd;          /* open /proc/PID/statm of inside pids, plus 1 (0: none) */
static long pid_max;
static pid_t self_pid;
static uint32_t generation;

/* Pids listed in the previous scan (to forget pids that vanished). */
static pid_t *listed, *listed_prev;
static size_t nlisted, nlisted_prev, listed_cap;

static long page_kib;

static void die(const char *what)
{
	fprintf(stderr, "treestat: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (!p)
		die("calloc");
	return p;
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/* ppid from /proc/PID/stat, or -1 when the process is gone. */
static long read_ppid(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and ')', so parse from
	 * the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	char state;
	long ppid;
	if (sscanf(p + 1, " %c %ld", &state, &ppid) != 2)
		return -1;
	return ppid;
}

/* Classify pid as inside (a descendant of treestat) or outside. Parents
 * are classified first; the depth bound stops a cycle that pid reuse during
 * the scan could in theory produce. */
static int classify(long pid, int depth)
{
	if (pid <= 0 || pid > pid_max)
		return ST_OUTSIDE;
	if (pid == self_pid)
		return ST_INSIDE;   /* the root: not sampled itself */
	if (pid_state[pid] != ST_UNKNOWN)
		return pid_state[pid];
	long ppid = read_ppid(pid);
	int st;
	if (ppid < 0 || depth > 64)
		st = ST_OUTSIDE;
	else if (ppid == self_pid)
		st = ST_INSIDE;
	else if (ppid <= 1)
		st = ST_OUTSIDE;
	else
		st = classify(ppid, depth + 1);
	if (ppid < 0)
		return ST_OUTSIDE;   /* gone: do not cache, the pid may come back */
	pid_state[pid] = (uint8_t)st;
	if (st == ST_INSIDE) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/statm", pid);
		pid_fd[pid] = open(path, O_RDONLY | O_CLOEXEC) + 1;
	}
	return st;
}

static void forget(long pid)
{
	if (pid_fd[pid] > 0)
		close(pid_fd[pid] - 1);
	pid_fd[pid] = 0;
	pid_state[pid] = ST_UNKNOWN;
}

/* Resident KiB of one inside pid, 0 if it is gone or a zombie. */
static long long rss_kib(long pid)
{
	char buf[256];
	if (pid_fd[pid] <= 0)
		return 0;
	ssize_t n = pread(pid_fd[pid] - 1, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long long size, resident;
	if (sscanf(buf, "%lld %lld", &size, &resident) != 2)
		return 0;
	return resident * page_kib;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* One sample: list /proc, classify new pids, sum the RSS of the inside ones. */
static long long sample_tree(int proc_fd)
{
	static char dbuf[32768];
	long long sum = 0;

	generation++;
	nlisted = 0;
	if (lseek(proc_fd, 0, SEEK_SET) < 0)
		return 0;
	for (;;) {
		long n = syscall(SYS_getdents64, proc_fd, dbuf, sizeof dbuf);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(dbuf + off);
			off += d->d_reclen;
			const char *s = d->d_name;
			if (*s < '1' || *s > '9')
				continue;
			char *end;
			long pid = strtol(s, &end, 10);
			if (*end || pid > pid_max)
				continue;
			if (nlisted == listed_cap) {
				listed_cap = listed_cap ? 2 * listed_cap : 1024;
				listed = realloc(listed, listed_cap * sizeof *listed);
				listed_prev = realloc(listed_prev, listed_cap * sizeof *listed_prev);
				if (!listed || !listed_prev)
					die("realloc");
			}
			listed[nlisted++] = (pid_t)pid;
			pid_seen[pid] = generation;
		}
	}
	/* Pids that were listed last time and are gone now: forget them, so a
	 * reused pid number is classified afresh. */
	for (size_t i = 0; i < nlisted_prev; i++) {
		pid_t p = listed_prev[i];
		if (pid_seen[p] != generation && pid_state[p] != ST_UNKNOWN)
			forget(p);
	}
	for (size_t i = 0; i < nlisted; i++) {
		pid_t p = listed[i];
		if (p == self_pid)
			continue;
		if (classify(p, 0) == ST_INSIDE)
			sum += rss_kib(p);
	}
	pid_t *t = listed_prev;
	listed_prev = listed;
	listed = t;
	nlisted_prev = nlisted;
	return sum;
}

static void usage(FILE *f)
{
	fputs("Usage: treestat [-o FILE] [-i MS] -- COMMAND [ARGS...]\n"
	      "Run COMMAND and print, for its whole process tree, one line:\n"
	      "  wall_s= cpu_s= peak_tree_rss_kib= max_proc_rss_kib= exit= (and more)\n"
	      "  -o FILE  write the line to FILE instead of stderr\n"
	      "  -i MS    RSS sampling interval in milliseconds (default 5)\n"
	      "Exit status: COMMAND's (128+N if killed by signal N, 127 if not run).\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	long interval_ms = 5;
	int opt;

	while ((opt = getopt(argc, argv, "+o:i:h")) != -1) {
		switch (opt) {
		case 'o':
			out_path = optarg;
			break;
		case 'i':
			interval_ms = strtol(optarg, NULL, 10);
			if (interval_ms < 1 || interval_ms > 10000) {
				fprintf(stderr, "treestat: -i: 1..10000 ms\n");
				return 125;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 125;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 125;
	}

	FILE *out = stderr;
	if (out_path) {
		out = fopen(out_path, "we");
		if (!out)
			die(out_path);
	}

	page_kib = sysconf(_SC_PAGESIZE) / 1024;
	self_pid = getpid();
	pid_max = 4194304;
	FILE *pm = fopen("/proc/sys/kernel/pid_max", "re");
	if (pm) {
		if (fscanf(pm, "%ld", &pid_max) != 1)
			pid_max = 4194304;
		fclose(pm);
	}
	/* calloc'd pages stay untouched (and cost nothing) until a pid uses them. */
	pid_state = xcalloc((size_t)pid_max + 1, sizeof *pid_state);
	pid_seen = xcalloc((size_t)pid_max + 1, sizeof *pid_seen);
	pid_fd = xcalloc((size_t)pid_max + 1, sizeof *pid_fd);

	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		die("/proc");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		die("prctl(PR_SET_CHILD_SUBREAPER)");

	/* SIGCHLD is taken synchronously with sigtimedwait, so a child's exit
	 * wakes the loop at once (the wall time is not rounded up to a sample).
	 * SIGINT and SIGQUIT go to the whole foreground group; treestat ignores
	 * them and reports on the tree as it ends, as GNU time does. */
	sigset_t chld, oldmask;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &oldmask);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);

	/* Tell a failed exec from the command's own 127 through a pipe. */
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) != 0)
		die("pipe2");

	struct timespec t0, t1, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(errpipe[0]);
		execvp(argv[optind], argv + optind);
		int e = errno;
		if (write(errpipe[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(errpipe[1]);

	double user = 0, sys = 0;
	long max_rss = 0;
	long long peak = 0;
	long samples = 0, procs = 0;
	int exit_code = -1;
	long long interval_ns = interval_ms * 1000000LL;
	struct timespec next = t0;

	for (;;) {
		/* Reap everything that has ended. */
		int st;
		struct rusage ru;
		pid_t p;
		int none_left = 0;
		while ((p = wait4(-1, &st, WNOHANG, &ru)) != 0) {
			if (p < 0) {
				if (errno == EINTR)
					continue;
				none_left = (errno == ECHILD);
				break;
			}
			procs++;
			user += tv_s(&ru.ru_utime);
			sys += tv_s(&ru.ru_stime);
			if (ru.ru_maxrss > max_rss)
				max_rss = ru.ru_maxrss;
			if (p == child)
				exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (none_left)
			break;

		clock_gettime(CLOCK_MONOTONIC, &now);
		long long due = (next.tv_sec - now.tv_sec) * 1000000000LL + (next.tv_nsec - now.tv_nsec);
		if (due <= 0) {
			long long s = sample_tree(proc_fd);
			samples++;
			if (s > peak)
				peak = s;
			/* Next sample one interval on; never catch up in a burst. */
			long long nn = (long long)now.tv_nsec + interval_ns;
			next.tv_sec = now.tv_sec + nn / 1000000000LL;
			next.tv_nsec = nn % 1000000000LL;
			continue;
		}
		struct timespec wait = { due / 1000000000LL, due % 1000000000LL };
		sigtimedwait(&chld, NULL, &wait);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	int exec_errno = 0;
	if (read(errpipe[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
		fprintf(stderr, "treestat: %s: %s\n", argv[optind], strerror(exec_errno));
		exit_code = 127;
	}
	if (exit_code < 0)
		exit_code = 127;

	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	fprintf(out,
		"wall_s=%.4f cpu_s=%.4f peak_tree_rss_kib=%lld max_proc_rss_kib=%ld exit=%d "
		"user_s=%.4f sys_s=%.4f samples=%ld procs=%ld self_cpu_s=%.4f\n",
		ts_diff(&t0, &t1), user + sys, peak, max_rss, exit_code, user, sys, samples, procs,
		tv_s(&self.ru_utime) + tv_s(&self.ru_stime));
	if (out != stderr && fclose(out) != 0)
		die(out_path);
	return exit_code;
}
