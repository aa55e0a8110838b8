/*
 * daemonize.c - the classic double fork: the daemon is a grandchild that
 * left its session, its directory and its standard descriptors.
 *
 * The parent forks; the child calls setsid, forks again and exits at once;
 * the grandchild (the daemon) changes to "/", points descriptors 0-2 at
 * /dev/null, allocates (leaks some), reports its truth through a pipe and
 * exits 0. The shim of the daemon, two forks away from the traced start,
 * must still write its own complete trace, ending with END. The parent frees
 * everything it allocated before forking (the daemon inherits no block of
 * this executable), reads the daemon's truth until the pipe closes (when the
 * daemon has exited) and prints it.
 *
 * Truth: `TRUTH pid=P role=daemon ...` (the daemon's ledger) and
 * `TRUTH pid=P role=parent middle_ok=1 daemon_reported=1 ...`.
 * Exit status 0 when the middle child exited 0 and the daemon reported.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hostile.h"

static struct hb_ledger led;

static void churn(unsigned keep, unsigned drop, size_t base)
{
	for (unsigned i = 0; i < keep + drop; i++) {
		size_t n = base + i;
		void *p = hb_ledger_alloc(&led, malloc(n), n);
		if (i >= keep) {
			free(p);
			hb_ledger_end(&led, n);
		}
	}
}

static void daemon_main(int report_fd)
{
	led = (struct hb_ledger){0, 0, 0, 0};
	if (chdir("/") != 0)
		_exit(5);
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		_exit(5);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (null > 2)
		close(null);
	churn(3, 9, 900);
	hostile_sleep_ms(50);
	churn(2, 4, 950);
	char line[256];
	int n = snprintf(line, sizeof(line), "TRUTH pid=%d role=daemon " HB_LEDGER_FMT "\n", (int)getpid(),
			 HB_LEDGER_ARGS(led));
	hb_write_all(report_fd, line, (size_t)n);
	exit(0); /* the pipe closes after the exit handlers: after the shim's END */
}

int main(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		hb_die("pipe failed");
	churn(0, 10, 800);
	pid_t middle = fork();
	if (middle < 0)
		hb_die("fork failed");
	if (middle == 0) {
		close(fds[0]);
		if (setsid() < 0)
			_exit(4);
		pid_t d = fork();
		if (d < 0)
			_exit(4);
		if (d == 0)
			daemon_main(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	int st;
	int middle_ok = waitpid(middle, &st, 0) == middle && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	char buf[512];
	size_t have = 0;
	struct pollfd pfd = {fds[0], POLLIN, 0};
	for (;;) { /* until EOF: the daemon has exited */
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		ssize_t r = read(fds[0], buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	buf[have] = '\0';
	int reported = strncmp(buf, "TRUTH ", 6) == 0;
	hb_write_all(1, buf, have);
	hb_truth("pid=%d role=parent middle_pid=%d middle_ok=%d daemon_reported=%d " HB_LEDGER_FMT, (int)getpid(),
		 (int)middle, middle_ok, reported, HB_LEDGER_ARGS(led));
	return middle_ok && reported ? 0 : 1;
}
