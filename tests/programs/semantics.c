/*
 * semantics.c - checks that the allocator behaves as glibc documents, so that
 * running it bare and under the shim shows the shim changes nothing a program
 * can observe.
 *
 * Checks: errno is left alone by every successful allocation call and by
 * free; malloc of a huge size fails with ENOMEM; posix_memalign rejects bad
 * alignments with EINVAL and huge sizes with ENOMEM, leaving *memptr and errno
 * untouched; posix_memalign, aligned_alloc, memalign, valloc and pvalloc honour
 * their alignment; realloc keeps contents when it grows and moves, returns
 * NULL for realloc(p, 0), and on failure returns NULL with ENOMEM and leaves
 * the block intact; calloc and reallocarray detect n * size overflow (NULL,
 * ENOMEM); calloc returns zeroed memory even where a dirty block was freed;
 * malloc(0) returns a block; free(NULL) is harmless; malloc_usable_size is at
 * least the requested size and 0 for NULL; a SIGALRM handler interrupting an
 * allocation-heavy loop (setitimer, 1 ms) runs and the loop's data stays
 * intact; threads allocating and freeing each other's blocks work; a forked
 * child can allocate.
 *
 * Output: one line per failed check on stderr, then `TRUTH pid=P
 * child_pid=C checks=N failed=F` on stdout (C: the forked child, which ends
 * with _exit). Exit status 0 when every check passed, 1 otherwise,
 * 2 when the test itself could not run (thread or fork creation failed).
 * Sizes are passed through volatile variables so gcc cannot fold the failing
 * calls or warn about them at compile time.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "truth.h"

static unsigned checks, failed;

static void check(int ok, const char *what)
{
	checks++;
	if (!ok) {
		failed++;
		hb_write_all(2, "semantics: FAIL ", 16);
		hb_write_all(2, what, strlen(what));
		hb_write_all(2, "\n", 1);
	}
}

static int aligned(const void *p, size_t a)
{
	return p && (uintptr_t)p % a == 0;
}

static int all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return 0;
	return 1;
}

static void check_errno_preserved(void)
{
	void *p, *q;

	errno = 1234;
	p = malloc(32);
	check(p && errno == 1234, "malloc success keeps errno");
	free(p);
	check(errno == 1234, "free keeps errno");
	p = calloc(4, 8);
	check(p && errno == 1234, "calloc success keeps errno");
	q = realloc(p, 4096);
	check(q && errno == 1234, "realloc success keeps errno");
	p = reallocarray(q, 3, 100);
	check(p && errno == 1234, "reallocarray success keeps errno");
	free(p);
	q = NULL;
	check(posix_memalign(&q, 64, 100) == 0 && q && errno == 1234, "posix_memalign success keeps errno");
	free(q);
	p = aligned_alloc(64, 128);
	check(p && errno == 1234, "aligned_alloc success keeps errno");
	free(p);
	p = memalign(64, 100);
	check(p && errno == 1234, "memalign success keeps errno");
	free(p);
	p = valloc(100);
	check(p && errno == 1234, "valloc success keeps errno");
	free(p);
	p = pvalloc(100);
	check(p && errno == 1234, "pvalloc success keeps errno");
	free(p);
	free(NULL);
	check(errno == 1234, "free(NULL) keeps errno");
	errno = 0;
}

/* gcc 12 cannot know that a failed reallocarray/realloc leaves the block
 * valid, and warns about the checks that rely on exactly that. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
static __attribute__((noinline)) void check_failures(void)
{
	volatile size_t huge = SIZE_MAX - 4096, half = SIZE_MAX / 2 + 2, bad_align = 24, tiny_align = 4;
	void *p, *q, *sentinel = (void *)&checks;
	int r;

	errno = 0;
	p = malloc(huge);
	check(p == NULL && errno == ENOMEM, "malloc(huge) is NULL with ENOMEM");

	q = sentinel;
	errno = 4321;
	r = posix_memalign(&q, bad_align, 64);
	check(r == EINVAL, "posix_memalign(align 24) returns EINVAL");
	check(q == sentinel, "posix_memalign(align 24) leaves *memptr");
	check(errno == 4321, "posix_memalign(align 24) leaves errno");
	r = posix_memalign(&q, tiny_align, 64);
	check(r == EINVAL && q == sentinel, "posix_memalign(align 4 < sizeof(void *)) is EINVAL, *memptr kept");
	r = posix_memalign(&q, 0, 64);
	check(r == EINVAL && q == sentinel, "posix_memalign(align 0) is EINVAL, *memptr kept");
	r = posix_memalign(&q, 64, huge);
	check(r == ENOMEM, "posix_memalign(huge) returns ENOMEM");
	check(q == sentinel, "posix_memalign(huge) leaves *memptr");
	/* glibc's allocator sets errno to ENOMEM on the way (POSIX leaves
	 * errno unspecified here); a wrapper must not hide that either. */
	check(errno == ENOMEM, "posix_memalign(huge) leaves errno as glibc sets it (ENOMEM)");

	errno = 0;
	p = calloc(half, 4);
	check(p == NULL && errno == ENOMEM, "calloc(n * size overflows) is NULL with ENOMEM");
	errno = 0;
	p = reallocarray(NULL, half, 4);
	check(p == NULL && errno == ENOMEM, "reallocarray(NULL, overflow) is NULL with ENOMEM");

	p = malloc(64);
	if (!p)
		hb_die("malloc(64) failed");
	memset(p, 0x5a, 64);
	errno = 0;
	q = reallocarray(p, half, 4);
	check(q == NULL && errno == ENOMEM, "reallocarray(p, overflow) is NULL with ENOMEM");
	check(all_bytes(p, 64, 0x5a), "reallocarray(p, overflow) leaves the block intact");
	errno = 0;
	q = realloc(p, huge);
	check(q == NULL && errno == ENOMEM, "realloc(p, huge) is NULL with ENOMEM");
	check(all_bytes(p, 64, 0x5a), "realloc(p, huge) leaves the block intact");
	free(p);
}
#pragma GCC diagnostic pop

static void check_alignment(void)
{
	static const size_t aligns[] = {16, 32, 64, 128, 256, 4096, 65536};
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	for (unsigned i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
		size_t a = aligns[i];
		p = NULL;
		check(posix_memalign(&p, a, 3 * a + 1) == 0 && aligned(p, a), "posix_memalign alignment");
		check(malloc_usable_size(p) >= 3 * a + 1, "posix_memalign usable size");
		free(p);
		p = aligned_alloc(a, 2 * a);
		check(aligned(p, a), "aligned_alloc alignment");
		check(malloc_usable_size(p) >= 2 * a, "aligned_alloc usable size");
		free(p);
		p = memalign(a, 100);
		check(aligned(p, a), "memalign alignment");
		free(p);
	}
	p = valloc(10);
	check(aligned(p, (size_t)page), "valloc is page-aligned");
	free(p);
	p = pvalloc(10);
	check(aligned(p, (size_t)page) && malloc_usable_size(p) >= (size_t)page, "pvalloc is page-aligned, a page");
	free(p);
}

static void check_realloc_and_sizes(void)
{
	unsigned char *p, *q;
	void *z;

	p = malloc(100);
	if (!p)
		hb_die("malloc(100) failed");
	for (int i = 0; i < 100; i++)
		p[i] = (unsigned char)i;
	q = realloc(p, 100000); /* large enough to move to mmap */
	check(q != NULL, "realloc grow succeeds");
	int same = 1;
	for (int i = 0; q && i < 100; i++)
		same &= q[i] == (unsigned char)i;
	check(same, "realloc grow keeps contents");
	p = realloc(q, 10);
	check(p && p[9] == 9, "realloc shrink keeps contents");
	z = realloc(p, 0);
	check(z == NULL, "realloc(p, 0) returns NULL");
	z = realloc(NULL, 50);
	check(z != NULL, "realloc(NULL, n) allocates");
	free(z);

	z = malloc(0);
	check(z != NULL, "malloc(0) returns a block");
	free(z);
	free(NULL);
	check(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0");
	for (size_t n = 1; n < 70000; n = n * 3 + 1) {
		z = malloc(n);
		check(z && malloc_usable_size(z) >= n, "malloc_usable_size >= size");
		free(z);
	}

	/* calloc must zero even memory that was just dirtied and freed, small
	 * (tcache/bins) and large (mmap threshold). */
	static const size_t sizes[] = {24, 1000, 200000};
	for (unsigned i = 0; i < 3; i++) {
		size_t n = sizes[i];
		for (int round = 0; round < 3; round++) {
			p = malloc(n);
			if (!p)
				hb_die("malloc failed");
			memset(p, 0xff, n);
			free(p);
			p = calloc(1, n);
			check(p && all_bytes(p, n, 0), "calloc returns zeroed memory");
			free(p);
		}
	}
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	int saved = errno;
	(void)sig;
	alarms++;
	errno = saved;
}

static void check_signal_during_allocation(void)
{
	struct sigaction sa;
	struct itimerval it = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	void *ring[64] = {0};
	int intact = 1;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0 || setitimer(ITIMER_REAL, &it, NULL) != 0)
		hb_die("cannot arm SIGALRM");
	/* Allocate until at least 50 alarms arrived (and at least 200000
	 * iterations), each block stamped with its own index. */
	for (unsigned long i = 0; i < 200000 || alarms < 50; i++) {
		unsigned k = (unsigned)(i % 64);
		if (ring[k]) {
			intact &= *(unsigned long *)ring[k] == i - 64;
			free(ring[k]);
		}
		size_t n = 16 + (i % 13) * 24;
		ring[k] = (i & 1) ? malloc(n) : calloc(1, n);
		if (!ring[k])
			hb_die("allocation failed in the signal loop");
		*(unsigned long *)ring[k] = i;
		if (i > 50000000)
			break; /* no timer signal at all: fail below, do not hang */
	}
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
	for (unsigned k = 0; k < 64; k++)
		free(ring[k]);
	check(alarms >= 50, "SIGALRM handler ran during the allocation loop");
	check(intact, "blocks intact across signal interruptions");
}

#define NT 4
#define PER_THREAD 50000
static void *volatile handoff[NT];

static void *thread_main(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	unsigned long bad = 0;
	for (unsigned long i = 0; i < PER_THREAD; i++) {
		size_t n = 8 + (i % 31) * 8;
		unsigned char *p = malloc(n);
		if (!p)
			return (void *)1;
		memset(p, (int)id, n);
		/* hand the block to the next thread, free what we get */
		unsigned char *old = __atomic_exchange_n((unsigned char **)&handoff[(id + i) % NT], p, __ATOMIC_ACQ_REL);
		if (old) {
			if (old[0] >= NT)
				bad++;
			free(old);
		}
	}
	return (void *)(uintptr_t)(bad != 0);
}

static void check_threads(void)
{
	pthread_t th[NT];
	int ok = 1;
	for (uintptr_t i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, thread_main, (void *)i) != 0)
			hb_die("pthread_create failed");
	for (int i = 0; i < NT; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		ok &= ret == NULL;
	}
	for (int i = 0; i < NT; i++) {
		free(handoff[i]);
		handoff[i] = NULL;
	}
	check(ok, "threads allocating and freeing each other's blocks");
}

static pid_t child_pid;

static void check_fork(void)
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		hb_die("fork failed");
	if (pid == 0) {
		void *p = malloc(1000);
		int ok = p != NULL;
		free(p);
		_exit(ok ? 0 : 1);
	}
	child_pid = pid;
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "forked child allocates");
}

int main(void)
{
	check_errno_preserved();
	check_failures();
	check_alignment();
	check_realloc_and_sizes();
	check_signal_during_allocation();
	check_threads();
	check_fork();
	hb_truth("pid=%d child_pid=%d checks=%u failed=%u", (int)getpid(), (int)child_pid, checks, failed);
	return failed ? 1 : 0;
}
