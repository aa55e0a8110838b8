/*
 * vforkexec.c - fork, then, in the child, vfork and execve before the child
 * has made any allocation.
 *
 * Usage: vforkexec HOSTFILE     (the test)
 *        vforkexec target       (the image the grandchild executes)
 * A fork child that has not allocated yet has not set up its own tracing.
 * Its vfork child shares its memory (no atfork handler runs) and calls
 * execve: a tracer that set itself up there, or flushed, would do it in
 * the fork child's memory, under the wrong pid, into the wrong file. The
 * host's file HOSTFILE (opened O_APPEND before the fork, shared by all
 * three processes) must hold only the lines the processes wrote:
 *   parent: "parent before fork", then "parent after wait" at the end;
 *   child:  "child after vfork" once its grandchild has run;
 *   target: "target ran".
 * The parent allocates and frees before the fork (it holds no block of its
 * own when it forks), then leaks; the child, after the vfork, allocates
 * (leaks some); the target, the same executable, leaks its own.
 *
 * Truth: one line per process, `TRUTH pid=P role=parent|child|target ...`
 * with its ledger; none of them inherits a block of this executable.
 * Exit status 0 when the child and the target both succeeded.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hostile.h"

extern char **environ;

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

static void say_to(int fd, const char *line)
{
	hb_write_all(fd, line, strlen(line));
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "target") == 0) {
		churn(3, 7, 700);
		say_to(3, "target ran\n");
		hb_truth("pid=%d role=target " HB_LEDGER_FMT, (int)getpid(), HB_LEDGER_ARGS(led));
		return 0;
	}
	if (argc != 2)
		hb_die("usage: vforkexec HOSTFILE");
	/* the host file is descriptor 3 in every process, the target included */
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (fd < 0 || (fd != 3 && (dup2(fd, 3) < 0 || close(fd) < 0)))
		hb_die("cannot open %s as descriptor 3", argv[1]);

	churn(0, 10, 500); /* nothing of ours is live at the fork */
	say_to(3, "parent before fork\n");
	pid_t child = fork();
	if (child < 0)
		hb_die("fork failed");
	if (child == 0) {
		led = (struct hb_ledger){0, 0, 0, 0}; /* the parent's ledger is the parent's */
		/* no allocation between the fork and the execve */
		char *targv[] = {argv[0], "target", NULL};
		pid_t g = vfork();
		if (g == 0) {
			execve("/proc/self/exe", targv, environ);
			_exit(127);
		}
		int st = -1;
		if (g < 0 || waitpid(g, &st, 0) != g)
			_exit(3);
		churn(2, 5, 600);
		say_to(3, "child after vfork\n");
		hb_truth("pid=%d role=child target_pid=%d target_status=%d " HB_LEDGER_FMT, (int)getpid(), (int)g,
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), HB_LEDGER_ARGS(led));
		exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 4);
	}
	int st = -1;
	if (waitpid(child, &st, 0) != child)
		hb_die("waitpid failed");
	churn(4, 6, 800);
	say_to(3, "parent after wait\n");
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	hb_truth("pid=%d role=parent child_pid=%d child_ok=%d " HB_LEDGER_FMT, (int)getpid(), (int)child, ok,
		 HB_LEDGER_ARGS(led));
	return ok ? 0 : 1;
}
