/*
 * read_progress.c - the progress line of a long read (see read_progress.h).
 */
#include "read_progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUIET_NS 500000000ull  /* nothing before half a second */
#define EVERY_NS 250000000ull  /* then at most four lines a second */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void read_progress_bytes(uint64_t n, char *out, unsigned cap)
{
	static const char *const unit[] = {"B", "KB", "MB", "GB", "TB"};
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(out, cap, v < 10.0 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void read_progress_start(struct read_progress *p, const char *path, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->path = path;
	p->total = total;
	p->tty = isatty(STDERR_FILENO);
	p->start_ns = p->last_ns = mono_ns();
}

void read_progress_update(struct read_progress *p, uint64_t done)
{
	if (!p->tty)
		return;
	uint64_t now = mono_ns();
	if (now - p->start_ns < QUIET_NS || now - p->last_ns < EVERY_NS)
		return;
	p->last_ns = now;
	char d[32], t[32], r[32];
	read_progress_bytes(done, d, sizeof(d));
	read_progress_bytes(p->total, t, sizeof(t));
	read_progress_bytes((uint64_t)((double)done * 1e9 / (double)(now - p->start_ns)), r, sizeof(r));
	fprintf(stderr, "\r\033[Kheapblame: reading %s: %s of %s, %s/s", p->path, d, t, r);
	fflush(stderr);
	p->shown = 1;
}

void read_progress_done(struct read_progress *p)
{
	if (p->shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		p->shown = 0;
	}
}
