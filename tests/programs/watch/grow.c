/*
 * grow.c - libgrow.so: a leak that grows linearly with the calls made.
 *
 * grow_tick(bytes) mallocs blocks adding up to `bytes` and never frees them:
 * each block begins with a link to the one made before it, and the library
 * keeps the newest, so every block stays reachable (the exit-time scan calls
 * them "reachable", like a log kept in memory that nobody trims) and the
 * library's outstanding memory is the sum of everything it was asked for.
 * Blocks are at most GROW_BLOCK_MAX bytes, so that a fast rate makes many
 * blocks from one site, as a real leak does, rather than a few big ones.
 * The library counts the bytes it requested (grow_bytes()), which is what
 * heapblame must find outstanding in libgrow.so at any flush. All the
 * mallocs are made here, behind the library's exported grow_tick(), so that
 * heapblame blames libgrow.so, entered through grow_tick.
 */
#include <errno.h>
#include <stdlib.h>

#include "grow.h"

/* Large enough to make several blocks per 20 ms tick at 1 MiB/s, small
 * enough to stay below glibc's mmap threshold (each block an ordinary heap
 * chunk, as a leaking program's are). */
#define GROW_BLOCK_MAX 4096

struct grow_block {
	struct grow_block *prev; /* the block made before this one */
};

static struct grow_block *newest;
static size_t bytes_made, blocks_made;

int grow_tick(size_t bytes)
{
	while (bytes > 0) {
		size_t size = bytes < GROW_BLOCK_MAX ? bytes : GROW_BLOCK_MAX;
		if (size < sizeof(struct grow_block))
			size = sizeof(struct grow_block);
		struct grow_block *b = malloc(size);
		if (!b)
			return -ENOMEM;
		b->prev = newest;
		newest = b;
		bytes_made += size;
		blocks_made++;
		bytes -= size < bytes ? size : bytes;
	}
	return 0;
}

size_t grow_bytes(void)
{
	return bytes_made;
}

size_t grow_blocks(void)
{
	return blocks_made;
}
