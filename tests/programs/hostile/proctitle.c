/*
 * proctitle.c - sets a process title over its argv and environment strings,
 * then forks children that allocate.
 *
 * Usage: proctitle [CHILDREN]   (default 3)
 * setproctitle as nginx, PostgreSQL and sendmail do it: the argv and
 * environment strings lie contiguous at the top of the stack; the program
 * copies the environment to the heap (so getenv keeps working), points
 * environ at the copy, and overwrites the whole area with its title padded
 * with 'x'. A tracer that kept pointers into the original strings
 * (HEAPBLAME_OUTPUT, the program name) reads the title or the padding when
 * it later needs them: in a fork child, whose trace file is created then.
 * Each child allocates (leaks one block, frees the others) and exits 0;
 * the parent waits, leaks one block and exits 0.
 *
 * Truth: one line per process, `TRUTH pid=P role=parent|child ...` with its
 * ledger. The environment copies are the parent's live blocks at the fork
 * (allocated by strdup and malloc from this executable's code), which every
 * child inherits: a child's `allocs`/`frees` are its own, its
 * `live_blocks`/`live_bytes` include what it inherited (`inherited_blocks`).
 * The size of the overwritten area is printed too: `TRUTH
 * title_area_bytes=N` (information).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hostile.h"

extern char **environ;

static struct hb_ledger led;

/* Copies the environment to the heap and writes title over the argv and
 * environment strings; returns the size of that area. */
static size_t set_title(int argc, char **argv, const char *title)
{
	char *start = argv[0], *end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	size_t n = 0;
	while (environ[n])
		n++;
	for (size_t i = 0; i < n; i++)
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;

	/* the copy the program keeps using */
	char **copy = hb_ledger_alloc(&led, malloc((n + 1) * sizeof(char *)), (n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(environ[i]) + 1;
		copy[i] = hb_ledger_alloc(&led, strdup(environ[i]), len);
	}
	copy[n] = NULL;
	environ = copy;

	size_t room = (size_t)(end - start);
	memset(start, 'x', room - 1);
	start[room - 1] = '\0';
	size_t tl = strlen(title);
	memcpy(start, title, tl < room - 1 ? tl : room - 1);
	for (int i = 1; i < argc; i++) /* argv[1..] now point into the title */
		argv[i] = start + room - 1;
	return room;
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 3;
	if (children < 1 || children > 20)
		hb_die("usage: proctitle [CHILDREN 1..20]");
	size_t room = set_title(argc, argv, "proctitle: master process ");
	hb_truth("title_area_bytes=%zu", room);

	unsigned long inherited_blocks = led.live_blocks, inherited_bytes = led.live_bytes;
	int ok = 1;
	for (int c = 0; c < children; c++) {
		pid_t pid = fork();
		if (pid < 0)
			hb_die("fork failed");
		if (pid == 0) {
			led.allocs = led.frees = 0; /* the child's own from here on */
			for (unsigned i = 0; i < 12; i++) {
				size_t n = 400 + 16 * (unsigned)c + i;
				void *p = hb_ledger_alloc(&led, malloc(n), n);
				if (i != 0) {
					free(p);
					hb_ledger_end(&led, n);
				}
			}
			hb_truth("pid=%d role=child inherited_blocks=%lu inherited_bytes=%lu " HB_LEDGER_FMT,
				 (int)getpid(), inherited_blocks, inherited_bytes, HB_LEDGER_ARGS(led));
			exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = 0;
	}
	hb_ledger_alloc(&led, malloc(333), 333);
	hb_truth("pid=%d role=parent children=%d children_ok=%d " HB_LEDGER_FMT, (int)getpid(), children, ok,
		 HB_LEDGER_ARGS(led));
	return ok ? 0 : 1;
}
