/*
 * pexitglobal.c - main ends with pthread_exit, the last thread puts a
 * block in a global and returns, and the process ends.
 *
 * When main calls pthread_exit, the process lives on as long as another
 * thread does; the thread-group leader stays a zombie, and its /proc files
 * (maps among them) read as empty. The exit-time leak scan then runs on
 * the last thread, and must still find the roots (data, bss, the thread's
 * stack): a bug found in review scanned none (SCAN root_bytes=0) and called
 * every block held by a global a definite leak.
 *
 * Main prints the truth, starts the worker and calls pthread_exit. The
 * worker waits until main is a zombie (so it is the last thread, whatever
 * the scheduling; at most 2 s), leaks LEAKS blocks of LEAK_SIZE bytes (no
 * pointer to them is left anywhere: definite), stores a block of
 * HELD_SIZE bytes in the global pexitglobal_held, then one of TAIL_SIZE
 * bytes in another global (glibc's arena keeps the address of the free
 * space after its newest block in its own data, which the scan reads as a
 * root, and that address can fall inside a block: the newest block must
 * not be one under test), and returns: glibc has the last thread end the
 * process with exit(0).
 *
 * Output, the same bare and under the shim:
 *   TRUTH held_size=4000 leaks=5 leak_size=100
 * Exit status 0.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define HELD_SIZE 4000
#define LEAKS 5
#define LEAK_SIZE 100
#define TAIL_SIZE 64

void *pexitglobal_held; /* a root: its block is reachable */
void *pexitglobal_tail; /* the newest block */

/* The state letter of task `tid` of this process (R, S, Z...), or '?'.
 * Reads /proc with open/read: no allocation. */
static char pexitglobal_task_state(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the name may hold spaces */
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Leaks LEAKS blocks whose addresses it keeps nowhere. */
static __attribute__((noinline)) void pexitglobal_leak(void)
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
static __attribute__((noinline)) void pexitglobal_scrub_stack(void)
{
	volatile char buf[32768];
	memset((char *)buf, 0, sizeof(buf));
}

static void *pexitglobal_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000 && pexitglobal_task_state(getpid()) != 'Z'; i++)
		hostile_sleep_ms(1);
	pexitglobal_leak();
	pexitglobal_scrub_stack();
	pexitglobal_held = malloc(HELD_SIZE);
	pexitglobal_tail = malloc(TAIL_SIZE);
	if (!pexitglobal_held || !pexitglobal_tail)
		hb_die("malloc failed");
	return NULL; /* the last thread: the process ends, status 0 */
}

int main(void)
{
	pthread_t t;
	hb_truth("held_size=%d leaks=%d leak_size=%d", HELD_SIZE, LEAKS, LEAK_SIZE);
	if (pthread_create(&t, NULL, pexitglobal_worker, NULL) != 0)
		hb_die("pthread_create failed");
	pthread_exit(NULL);
}
