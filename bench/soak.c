/*
 * soak.c - a paced allocation load with a large, long-lived live set, for
 * measuring how fast a trace grows over a long run (bench/run-bench.sh soak).
 *
 *     soak [-d SECONDS] [-r RATE] [-l LIVE] [-p PERIOD_MS] [-k LEAK] [-s SEED] [-K]
 *
 * A server does not allocate as fast as it can: it allocates at some rate,
 * from many call stacks, into a live set whose blocks live for seconds. So
 * soak makes RATE allocations a second (default 50,000) for SECONDS (default
 * 60), paced by CLOCK_MONOTONIC: every PERIOD_MS (default 10 ms) it sleeps
 * with clock_nanosleep(TIMER_ABSTIME) until the period's deadline, then makes
 * the allocations due by then (RATE * elapsed, so a slow period is caught up
 * and the total is exact). The live set has LIVE slots (default 500,000). It
 * is filled in order during the first LIVE / RATE seconds; after that every
 * new block replaces (and frees) the block of a uniformly random slot
 * (random replacement), so a block's lifetime is exponential with
 * mean LIVE / RATE = 10 s: nine in ten outlive a one-second flush. Sizes are
 * 16 B-4 KiB, log-uniform by power of two (allocbench's pick_size: mean about
 * 765 B, about 380 MB live). A fraction LEAK (default 0.0001) of allocations
 * is dropped on the floor instead: the deliberate leaks the result line
 * counts.
 *
 * Call stacks: each allocation is made at one of NSITES = 2048 sites, drawn
 * uniformly. A site is a real, distinct call stack: root() calls a1 or b1 as
 * bit 10 of the site number says; a1 and b1 call a2 or b2 on bit 0, and so on
 * down 10 levels of pairs (a1/b1 ... a10/b10), whose last calls leaf_a or
 * leaf_b on bit 9; the leaves call malloc. So the 2048 sites are the 2048
 * paths through the tree, 13 frames of soak's own code (main, root, 10
 * levels, a leaf) above malloc, sharing prefixes as a real program's stacks
 * do. For the paths to stay distinct in the binary: every function is
 * noinline and noclone; its result passes through an empty asm (KEEP), so
 * that its call is never a tail call (a sibling call would drop the frame);
 * and every function carries its own asm comment, so identical-code folding
 * (-fipa-icf) cannot merge a with b. bench/meson.build also builds it with
 * -fno-ipa-icf -fno-optimize-sibling-calls. The trace of a run should hold
 * sites_used stacks of soak's (plus the few of the C library and the
 * loader); run-bench.sh checks that.
 *
 * Blocks are freed with free() straight from the main loop (frees are never
 * unwound). At the end the live set is freed (unless -K keeps it, reachable
 * from a global, for experiments with the exit-time scan), so the blocks
 * outstanding when main returns are exactly the leaked ones. soak allocates
 * nothing else through malloc: its slot table and site bitmap are mmap'd or
 * static, and the result line is formatted on the stack and written with
 * write(2), not stdio (whose buffer would be one more block).
 *
 * Output, one line on stdout:
 *   RESULT seconds=.. rate=.. live_target=.. period_ms=.. sites=2048
 *          sites_used=.. allocs=.. frees=.. leaked_blocks=.. leaked_bytes=..
 *          live_end_blocks=.. live_end_bytes=.. peak_live=.. run_s=..
 *          cpu_s=.. ticks=.. late_ticks=.. behind_max_ms=..
 * allocs counts every malloc (leaks included), frees every free (the final
 * drain included); live_end_* are the blocks and requested bytes still
 * allocated when main returns; run_s is the paced loop's wall time and
 * cpu_s this process's user+sys over the whole run. A period whose
 * allocations end after the next deadline is late; behind_max_ms is the
 * largest such overrun: a tracer too slow for the rate shows here.
 * Exit status 0, or 2 on a bad argument or a failed allocation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NSITES 2048 /* 2^LEVELS paths through the call tree */
#define LEVELS 11 /* bits of a site number: one at the root, one per level */

#define NOINLINE __attribute__((noinline, noclone))
/* The result passes through this frame: no sibling call can replace it. */
#define KEEP(p) __asm__ volatile("" : "+r"(p))

/* The leaves: the only calls to malloc in the allocation path. The tag
 * written into the block is not a pointer, so it keeps nothing reachable. */
static NOINLINE void *leaf_a(uint32_t site, size_t n)
{
	__asm__ volatile("# soak leaf_a");
	uint32_t *p = malloc(n);
	if (p)
		p[0] = site;
	KEEP(p);
	return p;
}

static NOINLINE void *leaf_b(uint32_t site, size_t n)
{
	__asm__ volatile("# soak leaf_b");
	uint32_t *p = malloc(n);
	if (p)
		p[0] = ~site;
	KEEP(p);
	return p;
}

/* Level K's pair, each calling level NEXT's a or b on bit K-1 of the site. */
#define SOAK_LEVEL(K, NEXT_A, NEXT_B)                                           \
	static NOINLINE void *a##K(uint32_t site, size_t n)                     \
	{                                                                       \
		__asm__ volatile("# soak a" #K);                                \
		void *p = (site >> ((K) - 1) & 1) ? NEXT_B(site, n) : NEXT_A(site, n); \
		KEEP(p);                                                        \
		return p;                                                       \
	}                                                                       \
	static NOINLINE void *b##K(uint32_t site, size_t n)                     \
	{                                                                       \
		__asm__ volatile("# soak b" #K);                                \
		void *p = (site >> ((K) - 1) & 1) ? NEXT_B(site, n) : NEXT_A(site, n); \
		KEEP(p);                                                        \
		return p;                                                       \
	}

SOAK_LEVEL(10, leaf_a, leaf_b)
SOAK_LEVEL(9, a10, b10)
SOAK_LEVEL(8, a9, b9)
SOAK_LEVEL(7, a8, b8)
SOAK_LEVEL(6, a7, b7)
SOAK_LEVEL(5, a6, b6)
SOAK_LEVEL(4, a5, b5)
SOAK_LEVEL(3, a4, b4)
SOAK_LEVEL(2, a3, b3)
SOAK_LEVEL(1, a2, b2)

/* Bit LEVELS-1 (10) chooses at the root, bits 0..9 at levels 1..10. */
static NOINLINE void *root(uint32_t site, size_t n)
{
	__asm__ volatile("# soak root");
	void *p = (site >> (LEVELS - 1) & 1) ? b1(site, n) : a1(site, n);
	KEEP(p);
	return p;
}

struct slot {
	void *p;
	uint32_t size;
};

/* -K: the live set is left here at exit, so a scan finds it reachable. */
static struct slot *volatile kept_slots;

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*, as allocbench */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static size_t pick_size(uint64_t r)
{
	unsigned e = r & 7;          /* 16 << e : 16 .. 2048 */
	size_t lo = (size_t)16 << e;
	return lo + ((r >> 3) % lo); /* 16 .. 4095 */
}

static double ts_s(const struct timespec *t) { return (double)t->tv_sec + (double)t->tv_nsec * 1e-9; }

static void ts_add_ns(struct timespec *t, uint64_t ns)
{
	uint64_t v = (uint64_t)t->tv_nsec + ns;
	t->tv_sec += (time_t)(v / 1000000000u);
	t->tv_nsec = (long)(v % 1000000000u);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-d seconds] [-r allocs_per_s] [-l live_slots] [-p period_ms]\n"
		"          [-k leak_fraction] [-s seed] [-K]\n"
		"defaults: -d 60 -r 50000 -l 500000 -p 10 -k 0.0001 -s 1\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double seconds = 60, leak = 0.0001;
	uint64_t rate = 50000, live = 500000, seed = 1;
	unsigned period_ms = 10;
	int keep = 0, opt;
	char *end;
	while ((opt = getopt(argc, argv, "d:r:l:p:k:s:Kh")) != -1) {
		errno = 0;
		switch (opt) {
		case 'd': seconds = strtod(optarg, &end); break;
		case 'r': rate = strtoull(optarg, &end, 10); break;
		case 'l': live = strtoull(optarg, &end, 10); break;
		case 'p': period_ms = (unsigned)strtoul(optarg, &end, 10); break;
		case 'k': leak = strtod(optarg, &end); break;
		case 's': seed = strtoull(optarg, &end, 0); break;
		case 'K': keep = 1; end = (char *)""; break;
		default: usage(argv[0]);
		}
		if (errno || *end)
			usage(argv[0]);
	}
	if (optind != argc || !(seconds > 0 && seconds <= 86400 * 7) || rate < 1 || rate > 100000000 ||
	    live < 1 || live > ((uint64_t)1 << 32) || period_ms < 1 || period_ms > 1000 || !(leak >= 0 && leak <= 1))
		usage(argv[0]);

	struct slot *slots = mmap(NULL, live * sizeof *slots, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		perror("soak: mmap slots");
		return 2;
	}
	static uint8_t used[NSITES / 8];
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
	if (s == 0)
		s = 1;
	const uint64_t leak_thresh = (uint64_t)(leak * 9007199254740992.0); /* out of 2^53 */
	const uint64_t period_ns = (uint64_t)period_ms * 1000000u;
	const uint64_t ticks = (uint64_t)(seconds * 1000.0 / period_ms + 0.5);
	uint64_t allocs = 0, frees = 0, nlive = 0, peak_live = 0, leaked = 0, leaked_bytes = 0;
	uint64_t late = 0;
	double behind_max = 0;

	struct timespec start, deadline, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	deadline = start;
	for (uint64_t t = 1; t <= ticks; t++) {
		ts_add_ns(&deadline, period_ns);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
			;
		/* the allocations due by this deadline: rate * t * period */
		const uint64_t due = (uint64_t)((unsigned __int128)rate * t * period_ms / 1000u);
		while (allocs < due) {
			uint64_t r1 = rng_next(&s), r2 = rng_next(&s);
			uint32_t site = (uint32_t)(r1 >> 40) % NSITES;
			size_t size = pick_size(r2);
			used[site / 8] |= (uint8_t)(1u << (site % 8));
			/* The only call of root(), before any branch, so that the
			 * compiler has no reason to duplicate it: a second call
			 * instruction in main would double every stack. */
			void *p = root(site, size);
			if (!p)
				goto oom;
			allocs++;
			if ((r2 >> 11) < leak_thresh) {
				leaked++;
				leaked_bytes += size;
				p = NULL;
				KEEP(p); /* no copy kept: a leak */
				continue;
			}
			uint64_t i;
			if (nlive < live) {
				i = nlive++; /* filling: the next empty slot */
				if (nlive > peak_live)
					peak_live = nlive;
			} else {
				i = rng_next(&s) % live; /* replacement: a random live block dies */
				free(slots[i].p);
				frees++;
			}
			slots[i].p = p;
			slots[i].size = (uint32_t)size;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		double over = ts_s(&now) - ts_s(&deadline) - (double)period_ns * 1e-9;
		if (over > 0) {
			late++;
			if (over > behind_max)
				behind_max = over;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	double run_s = ts_s(&now) - ts_s(&start);

	uint64_t live_end = leaked, live_end_bytes = leaked_bytes;
	if (keep) {
		for (uint64_t i = 0; i < nlive; i++)
			live_end_bytes += slots[i].size;
		live_end += nlive;
		kept_slots = slots;
	} else {
		for (uint64_t i = 0; i < nlive; i++) {
			free(slots[i].p);
			frees++;
		}
		munmap(slots, live * sizeof *slots);
	}
	unsigned sites_used = 0;
	for (unsigned i = 0; i < NSITES; i++)
		sites_used += used[i / 8] >> (i % 8) & 1;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
		       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;

	char line[768];
	int len = snprintf(line, sizeof line,
			   "RESULT seconds=%g rate=%llu live_target=%llu period_ms=%u sites=%d sites_used=%u "
			   "allocs=%llu frees=%llu leaked_blocks=%llu leaked_bytes=%llu live_end_blocks=%llu "
			   "live_end_bytes=%llu peak_live=%llu run_s=%.6f cpu_s=%.6f ticks=%llu late_ticks=%llu "
			   "behind_max_ms=%.3f\n",
			   seconds, (unsigned long long)rate, (unsigned long long)live, period_ms, NSITES, sites_used,
			   (unsigned long long)allocs, (unsigned long long)frees, (unsigned long long)leaked,
			   (unsigned long long)leaked_bytes, (unsigned long long)live_end,
			   (unsigned long long)live_end_bytes, (unsigned long long)peak_live, run_s, cpu_s,
			   (unsigned long long)ticks, (unsigned long long)late, behind_max * 1e3);
	if (len > 0 && write(1, line, (size_t)len) != len)
		return 2;
	return 0;
oom:
	/* write(2), not perror: stdio would allocate its buffer */
	if (write(2, "soak: malloc failed\n", 20) < 0)
		return 2;
	return 2;
}
