/*
 * progname.c - a program meant to be started through a symlink of another
 * name, as Debian starts redis-server (a symlink to redis-check-rdb): its
 * traces must name it by the name it was started by (argv[0]'s base name)
 * and keep the executable's resolved path apart.
 *
 * The parent leaks one 64-byte block, then writes a title over its argv[0]
 * (a process title, as redis does: the name is gone from argv and from
 * /proc/self/cmdline from here on), then forks a child that makes 300
 * allocations (more than the 256 after which a fork child writes its own
 * trace), frees all but one 32-byte block and exits 0. The child's trace is
 * created after the title was written, so a name read from argv or
 * /proc/self/cmdline then would be the title; the name must be the one taken
 * at start. The parent waits and returns 0 (1 if the child failed).
 *
 * Truth: `TRUTH pid=P role=parent children_ok=0|1` and `TRUTH pid=C
 * role=child`; output through write(2) (truth.h), so it allocates nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "truth.h"

static void __attribute__((noreturn)) child(void)
{
	void *keep = NULL;
	for (unsigned i = 0; i < 300; i++) {
		void *p = hb_keep(malloc(32));
		if (!p)
			hb_die("malloc failed");
		if (i == 150)
			keep = p;
		else
			free(p);
	}
	hb_keep(keep);
	hb_truth("pid=%d role=child", (int)getpid());
	exit(0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!hb_keep(malloc(64)))
		hb_die("malloc failed");
	size_t n = strlen(argv[0]);
	memset(argv[0], 'x', n);
	memcpy(argv[0], "title", n < 5 ? n : 5);

	pid_t pid = fork();
	if (pid < 0)
		hb_die("fork failed");
	if (pid == 0)
		child();
	int st = 0;
	int ok = waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	hb_truth("pid=%d role=parent children_ok=%d", (int)getpid(), ok);
	return ok ? 0 : 1;
}
