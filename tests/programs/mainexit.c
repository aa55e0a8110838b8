/*
 * mainexit.c - main() ends with pthread_exit while a worker still runs.
 *
 * The process must end, with status 0, when the worker returns: glibc has
 * the last thread call exit(0). Under the shim the writer thread is still
 * there, so the shim must do the same (a bug found in review: the process
 * lived on as a zombie leader and a writer). The worker leaks one block of
 * 777 bytes after the main thread has gone.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		free(malloc(100));
	usleep(200000);
	volatile char *leak = malloc(777);
	leak[0] = 1;
	return NULL;
}

int main(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	printf("TRUTH leaked_bytes=777\n");
	fflush(stdout);
	pthread_exit(NULL);
}
