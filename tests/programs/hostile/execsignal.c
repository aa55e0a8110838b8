/*
 * execsignal.c - a fatal signal that lands while the shim flushes before
 * an exec must still end the process.
 *
 * Usage: execsignal PROGRAM [ARGS...]
 * Forks a child that waits for a byte on a pipe, waits 3 ms more and
 * sends the parent SIGTERM. The parent makes 2^16 distinct allocation
 * stacks (a recursion whose every level calls down from one of two call
 * sites, as bit n of the path says), so that the flush before an exec has
 * them all to write (the fork's flush came before them) and lasts about
 * 20 ms, then writes that byte and at once execs PROGRAM. The signal
 * lands inside the pre-exec flush, where the shim parks it. The process must die of SIGTERM (if the signal comes
 * before the flush or after the exec, it dies of it too, as long as
 * PROGRAM outlives it: `sleep 5` does); a shim that loses the parked
 * signal lets PROGRAM run to its end instead.
 */
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "hostile.h"

#define DEPTH 16

static void *volatile keep[1 << DEPTH];
static unsigned nkeep;

static __attribute__((noinline)) void down(unsigned level, unsigned path);

static __attribute__((noinline)) void via_a(unsigned level, unsigned path)
{
	down(level + 1, path);
	__asm__ volatile("" ::: "memory"); /* not a tail call: the frame stays */
}

static __attribute__((noinline)) void via_b(unsigned level, unsigned path)
{
	down(level + 1, path);
	__asm__ volatile("nop" ::: "memory");
}

static __attribute__((noinline)) void down(unsigned level, unsigned path)
{
	if (level == DEPTH) {
		keep[nkeep++] = malloc(16);
		return;
	}
	if (path >> level & 1)
		via_a(level, path);
	else
		via_b(level, path);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		hb_die("usage: execsignal PROGRAM [ARGS...]");
	int fd[2];
	if (pipe(fd) != 0)
		hb_die("pipe failed");
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0)
		hb_die("fork failed");
	if (child == 0) {
		char c;
		close(fd[1]);
		if (read(fd[0], &c, 1) == 1) {
			struct timespec ts = {0, 3000000}; /* the parent is in its flush by then */
			nanosleep(&ts, NULL);
			kill(parent, SIGTERM);
		}
		_exit(0);
	}
	close(fd[0]);
	/* after the fork, whose flush would have written them */
	for (unsigned p = 0; p < (1u << DEPTH); p++)
		down(0, p);
	if (write(fd[1], "x", 1) != 1)
		hb_die("write failed");
	execv(argv[1], argv + 1);
	hb_die("execv %s failed", argv[1]);
}
