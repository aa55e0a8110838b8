/*
 * sampled.c - a known heap for `heapblame run --sample` to estimate.
 *
 * Usage: sampled THREADS
 * Each of THREADS threads allocates 200,000 blocks of 16 B to 4 KiB
 * (log-uniform by power of two, from a fixed per-thread sequence) at one
 * site of the executable, and frees nine in ten of them at once (so most
 * frees are of blocks a sampled trace never recorded): the tenth stay
 * outstanding. Thread 0 also calls libhbsampled.so's one allocation site
 * for 4 blocks of 16 MiB and 1,000,000 blocks of 1 byte, all outstanding
 * (sampled_lib.c says why). Then the program forks: the child frees every
 * block of the executable's it inherited, allocates 50,000 of its own
 * (outstanding), prints its truth and exits; the parent waits, prints its
 * truth and returns 0.
 *
 * Truth, per process (role=parent, role=child):
 *   TRUTH pid=P role=R exe_blocks=B exe_bytes=Y exe_inv=I lib_blocks=B
 *         lib_bytes=Y lib_inv=I
 * the outstanding blocks and bytes of the executable's module and of
 * libhbsampled.so at exit, and the sum over those blocks of 1 / size (for
 * the bound on a sampled count's error: Var <= SIZE * that sum, README's
 * Sampling).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "truth.h"

void *sampled_mixed_alloc(size_t n);

#define PER_THREAD 200000
#define KEEP_EVERY 10
#define MAX_THREADS 16
#define BIG_BLOCKS 4
#define BIG_SIZE (16u << 20)
#define TINY_BLOCKS 1000000
#define CHILD_BLOCKS 50000

struct worker {
	pthread_t th;
	unsigned id;
	void **kept;
	size_t nkept;
	uint64_t kept_bytes;
	double kept_inv; /* sum of 1 / size over the kept blocks */
	size_t *kept_size;
};

static struct worker workers[MAX_THREADS];
static void **lib_blocks;

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

/* 16 B to 4 KiB: a power of two from 2^4 to 2^12, then up to twice it. */
static size_t pick_size(uint64_t *x)
{
	size_t base = (size_t)1 << (4 + lcg(x) % 9);
	return base + (size_t)(lcg(x) % base);
}

static __attribute__((noinline)) void *exe_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		hb_die("malloc(%zu) failed", n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t x = 0x9E3779B97F4A7C15ull * (w->id + 1);
	w->kept = malloc(sizeof(void *) * (PER_THREAD / KEEP_EVERY + 1));
	w->kept_size = malloc(sizeof(size_t) * (PER_THREAD / KEEP_EVERY + 1));
	for (unsigned i = 0; i < PER_THREAD; i++) {
		size_t n = pick_size(&x);
		unsigned char *p = exe_alloc(n);
		p[0] = (unsigned char)i;
		if (i % KEEP_EVERY == 0) {
			w->kept[w->nkept] = p;
			w->kept_size[w->nkept++] = n;
			w->kept_bytes += n;
			w->kept_inv += 1.0 / (double)n;
		} else {
			free(p);
		}
	}
	if (w->id == 0) {
		lib_blocks = malloc(sizeof(void *) * (BIG_BLOCKS + TINY_BLOCKS));
		size_t k = 0;
		for (unsigned i = 0; i < TINY_BLOCKS; i++) {
			if (i % (TINY_BLOCKS / BIG_BLOCKS) == 0)
				lib_blocks[k++] = sampled_mixed_alloc(BIG_SIZE);
			lib_blocks[k++] = sampled_mixed_alloc(1);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned nthreads = argc == 2 ? (unsigned)atoi(argv[1]) : 0;
	if (nthreads < 1 || nthreads > MAX_THREADS)
		hb_die("usage: sampled THREADS (1-%d)", MAX_THREADS);
	for (unsigned i = 0; i < nthreads; i++) {
		workers[i].id = i;
		if (pthread_create(&workers[i].th, NULL, work, &workers[i]) != 0)
			hb_die("pthread_create failed");
	}
	uint64_t exe_blocks = 0, exe_bytes = 0;
	double exe_inv = 0, arrays_inv = 0;
	const double array_bytes = (double)(sizeof(void *) * (PER_THREAD / KEEP_EVERY + 1));
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(workers[i].th, NULL);
		/* the two bookkeeping arrays of each worker are the executable's too */
		exe_blocks += workers[i].nkept + 2;
		exe_bytes += workers[i].kept_bytes + 2 * sizeof(void *) * (PER_THREAD / KEEP_EVERY + 1);
		exe_inv += workers[i].kept_inv;
		arrays_inv += 2.0 / array_bytes;
	}
	uint64_t lib_count = BIG_BLOCKS + TINY_BLOCKS, lib_bytes = (uint64_t)BIG_BLOCKS * BIG_SIZE + TINY_BLOCKS;
	double lib_inv = (double)BIG_BLOCKS / BIG_SIZE + (double)TINY_BLOCKS;
	exe_blocks += 1; /* lib_blocks */
	exe_bytes += sizeof(void *) * (BIG_BLOCKS + TINY_BLOCKS);
	arrays_inv += 1.0 / (double)(sizeof(void *) * (BIG_BLOCKS + TINY_BLOCKS));
	exe_inv += arrays_inv;

	pid_t pid = fork();
	if (pid < 0)
		hb_die("fork failed");
	if (pid == 0) {
		/* every inherited block of the executable's site goes; the arrays
		 * stay, and the child's own blocks come */
		uint64_t own_blocks = 0, own_bytes = 0, x = 12345;
		double own_inv = 0;
		for (unsigned i = 0; i < nthreads; i++)
			for (size_t k = 0; k < workers[i].nkept; k++)
				free(workers[i].kept[k]);
		for (unsigned i = 0; i < CHILD_BLOCKS; i++) {
			size_t n = pick_size(&x);
			hb_keep(exe_alloc(n));
			own_blocks++;
			own_bytes += n;
			own_inv += 1.0 / (double)n;
		}
		uint64_t arrays_blocks = 2 * nthreads + 1;
		uint64_t arrays_bytes = exe_bytes;
		for (unsigned i = 0; i < nthreads; i++)
			arrays_bytes -= workers[i].kept_bytes;
		hb_truth("pid=%d role=child exe_blocks=%llu exe_bytes=%llu exe_inv=%.6f lib_blocks=%llu "
			 "lib_bytes=%llu lib_inv=%.6f",
			 (int)getpid(), (unsigned long long)(arrays_blocks + own_blocks),
			 (unsigned long long)(arrays_bytes + own_bytes), arrays_inv + own_inv,
			 (unsigned long long)lib_count, (unsigned long long)lib_bytes, lib_inv);
		exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) != pid)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		hb_die("the child failed");
	hb_truth("pid=%d role=parent exe_blocks=%llu exe_bytes=%llu exe_inv=%.6f lib_blocks=%llu lib_bytes=%llu "
		 "lib_inv=%.6f",
		 (int)getpid(), (unsigned long long)exe_blocks, (unsigned long long)exe_bytes, exe_inv,
		 (unsigned long long)lib_count, (unsigned long long)lib_bytes, lib_inv);
	return 0;
}
