/*
 * watchprog.c - the known truth of the Watch feature (growth over time):
 * three libraries whose memory follows three shapes, run for a set time,
 * with what each of them holds written down as it goes.
 *
 * Usage: watchprog [-d SECONDS] [-g BYTES_PER_S] [-c BYTES] [-b BYTES] [-t FILE]
 *   -d  run time, default 10 (a decimal number)
 *   -g  libgrow.so's leak rate, default 1 MiB/s: a linear leak
 *   -c  libcache.so's capacity, default 8 MiB, filled evenly over the first
 *       CACHE_FILL_MS (3 s), then only looked up: a plateau
 *   -b  libburst.so's burst height, default 4 MiB: one burst every
 *       BURST_PERIOD_MS (3 s), in [BURST_START_MS, BURST_START_MS +
 *       BURST_LENGTH_MS) of each period, freed whole at its end: flat, back
 *       to about 0 between bursts
 *   -t  the truth file (none without it)
 * BYTES may end in K, M or G (KiB, MiB, GiB); 0 leaves that library idle.
 *
 * The program paces itself in ticks of TICK_MS (clock_nanosleep to absolute
 * deadlines from its start, so a late tick does not shift the ones after
 * it); at each tick it brings every library to where its shape stands at
 * that time (libgrow.so: the rate times the time elapsed, so the leak
 * catches up after a late tick). Every LINE_MS (every fifth tick), and at
 * the end, it appends `t_ms grow_bytes cache_bytes burst_bytes` to the
 * truth file: t_ms is CLOCK_MONOTONIC milliseconds since main()'s first
 * line, each *_bytes the requested bytes that library has outstanding, by
 * its own count. At the end it prints
 *   TRUTH seconds=S grow_rate=R grow_bytes=G cache_bytes=C burst_bytes=B
 * (S the run's length, R = G / S in bytes per second as achieved, the rest
 * the end's values) and exits 0 from main, so that the shim's exit scan
 * runs. Every allocation is made inside the libraries, which are separate
 * shared objects, so heapblame blames each shape on its own module; the
 * program itself allocates nothing: the truth file and stdout are written
 * with write(2) from a stack buffer (truth.h), never through stdio, whose
 * buffers would be blocks of this program's module.
 *
 * Why the bursts span every third whole second: the shim flushes about
 * once a second from its start, a few milliseconds before main's (its
 * periodic flushes drift later by a flush's duration each time), and the
 * Watch timeline samples at flushes. A burst from 1.7 s to 2.3 s of every
 * 3 s holds across the flush near 2 s, 5 s, 8 s: the timeline sees bursts
 * rise and fall, a third of its points high, the rest about 0, so the
 * classifier meets a series that jumps without a trend, and a 10 s run
 * ends between bursts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../truth.h"
#include "burst.h"
#include "cache.h"
#include "grow.h"

#define TICK_MS 20
#define LINE_MS 100 /* a truth line every LINE_MS / TICK_MS ticks */
#define CACHE_FILL_MS 3000
#define BURST_PERIOD_MS 3000
#define BURST_START_MS 1700
#define BURST_LENGTH_MS 600

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

struct watch_options {
	uint64_t duration_ns;
	size_t grow_rate, cache_capacity, burst_height;
	const char *truth_path;
};

/* Parses a byte count: digits, then optionally K, M or G (binary). Returns
 * 0, or -EINVAL for anything else or a count that does not fit. */
static int parse_bytes(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || v > (SIZE_MAX >> shift))
		return -EINVAL;
	*out = (size_t)(v << shift);
	return 0;
}

/* Parses the run time: a decimal number of seconds in (0, 86400]. Returns
 * 0 or -EINVAL. */
static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v > 0) || v > 86400)
		return -EINVAL;
	*ns = (uint64_t)(v * (double)NS_PER_S + 0.5);
	return 0;
}

static __attribute__((noreturn)) void usage(void)
{
	hb_die("usage: watchprog [-d SECONDS] [-g BYTES_PER_S] [-c BYTES] [-b BYTES] [-t FILE]");
}

static void parse_options(int argc, char **argv, struct watch_options *o)
{
	*o = (struct watch_options){
		.duration_ns = 10 * NS_PER_S,
		.grow_rate = 1u << 20,
		.cache_capacity = 8u << 20,
		.burst_height = 4u << 20,
	};
	int c;
	while ((c = getopt(argc, argv, "d:g:c:b:t:")) != -1) {
		int rc = 0;
		switch (c) {
		case 'd':
			rc = parse_seconds(optarg, &o->duration_ns);
			break;
		case 'g':
			rc = parse_bytes(optarg, &o->grow_rate);
			break;
		case 'c':
			rc = parse_bytes(optarg, &o->cache_capacity);
			break;
		case 'b':
			rc = parse_bytes(optarg, &o->burst_height);
			break;
		case 't':
			o->truth_path = optarg;
			break;
		default:
			usage();
		}
		if (rc < 0)
			hb_die("-%c: not a valid value: '%s'", c, optarg);
	}
	if (optind != argc)
		usage();
}

static uint64_t since_ns(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * NS_PER_S + (uint64_t)now.tv_nsec - (uint64_t)t0->tv_nsec;
}

/* Sleeps until t0 + ns on CLOCK_MONOTONIC (at once if that is past). */
static void sleep_until(const struct timespec *t0, uint64_t ns)
{
	uint64_t nsec = (uint64_t)t0->tv_nsec + ns;
	struct timespec at = {
		.tv_sec = t0->tv_sec + (time_t)(nsec / NS_PER_S),
		.tv_nsec = (long)(nsec % NS_PER_S),
	};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
}

/* libgrow.so: leaked so far = rate x elapsed time. */
static void step_grow(size_t rate, uint64_t now_ns)
{
	/* in double: rate x ns overflows 64 bits within seconds at MiB/s
	 * rates; 53 bits of mantissa hold any byte count this reaches */
	uint64_t want = (uint64_t)((double)rate * (double)now_ns / (double)NS_PER_S);
	size_t have = grow_bytes();
	if (want > have && grow_tick((size_t)(want - have)) < 0)
		hb_die("libgrow.so: malloc failed");
}

/* libcache.so: stored so far = capacity x t / CACHE_FILL_MS, at most the
 * capacity; then one lookup of a stored key (a hit) and, once full, one of
 * a new key (refused). */
static void step_cache(uint64_t t_ms, uint64_t tick)
{
	static unsigned next_key;
	size_t cap = cache_capacity_entries();
	if (cap == 0)
		return;
	size_t want = t_ms >= CACHE_FILL_MS ? cap : (size_t)(cap * t_ms / CACHE_FILL_MS);
	while (next_key < want) {
		int rc = cache_put(next_key++);
		if (rc != CACHE_STORED)
			hb_die("libcache.so: storing key %u returned %d", next_key - 1, rc);
	}
	if (next_key > 0 && cache_put((unsigned)(tick % next_key)) != CACHE_HIT)
		hb_die("libcache.so: a stored key missed");
	if (next_key == cap && cache_put((unsigned)(cap + tick)) != -ENOSPC)
		hb_die("libcache.so: a full cache did not refuse a new key");
}

/* Appends `t_ms grow_bytes cache_bytes burst_bytes` to fd (-1: nowhere);
 * formats on the stack, allocates nothing. */
static void write_truth_line(int fd, uint64_t t_ms)
{
	if (fd < 0)
		return;
	char line[128];
	int n = snprintf(line, sizeof line, "%llu %zu %zu %zu\n", (unsigned long long)t_ms, grow_bytes(),
			 cache_bytes(), burst_bytes());
	if (n > 0 && (size_t)n < sizeof line)
		hb_write_all(fd, line, (size_t)n);
}

int main(int argc, char **argv)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	struct watch_options o;
	parse_options(argc, argv, &o);
	int fd = -1;
	if (o.truth_path) {
		fd = open(o.truth_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			hb_die("%s: %s", o.truth_path, strerror(errno));
	}
	int rc = cache_init(o.cache_capacity);
	if (rc < 0)
		hb_die("-c %zu: more than the cache's %d entries of %d bytes", o.cache_capacity, CACHE_MAX_ENTRIES,
		       CACHE_ENTRY_SIZE);
	rc = burst_init(o.burst_height, BURST_PERIOD_MS, BURST_START_MS, BURST_LENGTH_MS);
	if (rc < 0)
		hb_die("libburst.so: burst_init failed (%d)", rc);

	uint64_t now_ns = 0;
	for (uint64_t tick = 0;; tick++) {
		now_ns = since_ns(&t0);
		uint64_t t_ms = now_ns / NS_PER_MS;
		step_grow(o.grow_rate, now_ns);
		step_cache(t_ms, tick);
		if (burst_cycle_step(t_ms) < 0)
			hb_die("libburst.so: malloc failed");
		int done = now_ns >= o.duration_ns;
		if (tick % (LINE_MS / TICK_MS) == 0 || done)
			write_truth_line(fd, t_ms);
		if (done)
			break;
		sleep_until(&t0, (tick + 1) * TICK_MS * NS_PER_MS);
	}
	if (fd >= 0 && close(fd) < 0)
		hb_die("%s: %s", o.truth_path, strerror(errno));

	double seconds = (double)now_ns / (double)NS_PER_S;
	hb_truth("seconds=%.3f grow_rate=%.0f grow_bytes=%zu cache_bytes=%zu burst_bytes=%zu", seconds,
		 (double)grow_bytes() / seconds, grow_bytes(), cache_bytes(), burst_bytes());
	return 0;
}
