/*
 * burst.c - libburst.so: a batch allocated in a burst, then freed whole.
 *
 * The batch is height_bytes split into blocks of BURST_BLOCK_MAX bytes (the
 * last one takes the remainder), whose pointers live in a table malloc'ed
 * once by burst_init() and kept: between bursts the library holds that
 * table and nothing else, a few KiB against a batch of MiBs, so its memory
 * returns to about 0 after every burst. burst_cycle_step(t) works out from
 * t where the shape stands (the phase within the period: outside the
 * window nothing is held; in the window's first half a share of the blocks
 * proportional to the time spent, at least one; in its second half all of
 * them) and allocates or frees to get there. The library counts the bytes
 * it requested (burst_bytes()). All mallocs and frees are made here, so
 * heapblame blames libburst.so, entered through burst_init or
 * burst_cycle_step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "burst.h"

/* Below glibc's mmap threshold: the batch comes from the heap, as a
 * program's short-lived buffers do. */
#define BURST_BLOCK_MAX (16 * 1024)

static void **table;            /* the batch's blocks, [0, held) allocated */
static size_t table_bytes;      /* the table's requested size */
static size_t nblocks, held;    /* blocks in a full batch, blocks held now */
static size_t height, held_bytes, peak;
static unsigned period, start, length, bursts;
static int configured;

int burst_init(size_t height_bytes, unsigned period_ms, unsigned start_ms, unsigned length_ms)
{
	if (configured || length_ms == 0 || start_ms > period_ms || length_ms > period_ms - start_ms)
		return -EINVAL;
	configured = 1;
	period = period_ms;
	start = start_ms;
	length = length_ms;
	if (height_bytes == 0)
		return 0;
	size_t n = (height_bytes + BURST_BLOCK_MAX - 1) / BURST_BLOCK_MAX;
	table = malloc(n * sizeof *table);
	if (!table)
		return -ENOMEM;
	table_bytes = n * sizeof *table;
	nblocks = n;
	height = height_bytes;
	peak = table_bytes;
	return 0;
}

/* The requested size of block i of the batch. */
static size_t burst_block_size(size_t i)
{
	return i + 1 < nblocks ? BURST_BLOCK_MAX : height - (nblocks - 1) * (size_t)BURST_BLOCK_MAX;
}

/* Blocks the shape holds at phase ms into the period. */
static size_t burst_target(unsigned phase)
{
	if (phase < start || phase - start >= length)
		return 0;
	unsigned into = phase - start, rise = length / 2;
	if (into >= rise)
		return nblocks;
	size_t want = (size_t)((uint64_t)nblocks * into / rise);
	return want > 0 ? want : 1;
}

int burst_cycle_step(uint64_t t_ms)
{
	if (nblocks == 0)
		return 0;
	size_t want = burst_target((unsigned)(t_ms % period));
	if (want == 0 && held > 0) {
		for (size_t i = 0; i < held; i++)
			free(table[i]);
		held = 0;
		held_bytes = 0;
		bursts++;
		return 0;
	}
	while (held < want) {
		size_t size = burst_block_size(held);
		void *p = malloc(size);
		if (!p)
			return -ENOMEM;
		memset(p, 0xb5, size); /* touched, as a real buffer is */
		table[held++] = p;
		held_bytes += size;
	}
	if (held_bytes + table_bytes > peak)
		peak = held_bytes + table_bytes;
	return 0;
}

size_t burst_bytes(void)
{
	return held_bytes + table_bytes;
}

size_t burst_peak_bytes(void)
{
	return peak;
}

unsigned burst_count(void)
{
	return bursts;
}
