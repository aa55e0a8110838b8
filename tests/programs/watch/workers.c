/*
 * workers.c - a forking server whose workers come and go: memory that is
 * never freed, yet never grows.
 *
 * The parent forks WORKERS workers one after another; each allocates
 * BLOCKS blocks of BLOCK_BYTES in its own module's code (hold()), never
 * frees them, lives LIFE_MS and exits; the parent waits for it and rests
 * REST_MS. At any moment at most one worker is alive, so the memory of the
 * whole program never exceeds one worker's, BLOCKS x BLOCK_BYTES (100,000
 * bytes). Each worker's trace ends with the worker, holding all of it, so
 * a merged report that kept a dead worker's memory on the timeline would
 * see 1.2 MB pile up over 12 s and call it growth.
 *
 *   workers          prints TRUTH workers=12 peak_bytes=100000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 12
#define BLOCKS 100
#define BLOCK_BYTES 1000
#define LIFE_MS 700
#define REST_MS 300

static void nap(int ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) != 0)
		;
}

/* One of a worker's blocks, which it keeps until it exits. */
__attribute__((noinline)) static void *hold(size_t n)
{
	void *p = malloc(n);
	if (p)
		memset(p, 0x5a, n);
	return p;
}

int main(void)
{
	static void *kept[BLOCKS];
	for (int i = 0; i < WORKERS; i++) {
		pid_t c = fork();
		if (c < 0)
			return 1;
		if (c == 0) {
			for (int j = 0; j < BLOCKS; j++)
				if (!(kept[j] = hold(BLOCK_BYTES)))
					_exit(1);
			nap(LIFE_MS);
			exit(0);
		}
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
		nap(REST_MS);
	}
	printf("TRUTH workers=%d peak_bytes=%d\n", WORKERS, BLOCKS * BLOCK_BYTES);
	return 0;
}
