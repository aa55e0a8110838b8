/*
 * ownalloc.c - an executable with its own malloc, exported (-rdynamic).
 *
 * The dynamic linker searches the executable before any LD_PRELOAD
 * library, so an executable that defines and exports malloc, free, calloc,
 * realloc and the aligned functions is called instead of a preloaded
 * tracer, by itself and by every library. The tracer cannot see those
 * allocations; it must say so on stderr (a line starting "heapblame: " that
 * names the allocator) rather than write an empty trace that looks clean,
 * and it must not change what the program does.
 *
 * The allocator: a bump pointer over a static arena, a 16-byte header
 * holding each block's size, free a no-op. Thread-safe (the bump is atomic),
 * since the loader, libc and the tracer's own libraries call it too.
 *
 * Output (the same bare and traced): whether main's malloc came from the
 * arena, and a checksum over BLOCKS blocks written, reallocated and
 * checked. Exit status 0 when every check held.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_SIZE (64u << 20)
#define HEADER 16u
#define BLOCKS 1000

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(4096)));
static size_t arena_used;

/* Returns a block of n bytes aligned to align (a power of two >= 16), its
 * size stored in the 16 bytes before it; NULL and ENOMEM when full. */
static void *arena_take(size_t n, size_t align)
{
	size_t old = __atomic_load_n(&arena_used, __ATOMIC_RELAXED), start, end;
	do {
		start = (old + HEADER + align - 1) & ~(align - 1);
		end = start + n;
		if (end < start || end > ARENA_SIZE) {
			errno = ENOMEM;
			return NULL;
		}
	} while (!__atomic_compare_exchange_n(&arena_used, &old, end, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*(size_t *)(arena + start - HEADER) = n;
	return arena + start;
}

static int in_arena(const void *p)
{
	return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + ARENA_SIZE;
}

void *malloc(size_t n)
{
	return arena_take(n ? n : 1, 16);
}

void free(void *p)
{
	(void)p; /* a bump allocator never reuses memory */
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(n * size); /* the arena is zero and never reused */
}

void *realloc(void *old, size_t n)
{
	if (!old)
		return malloc(n);
	if (n == 0) {
		free(old);
		return NULL;
	}
	void *p = malloc(n);
	if (p && in_arena(old)) {
		size_t have = *(size_t *)((unsigned char *)old - HEADER);
		memcpy(p, old, have < n ? have : n);
	}
	return p;
}

void *aligned_alloc(size_t align, size_t n)
{
	return arena_take(n ? n : 1, align < 16 ? 16 : align);
}

void *memalign(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = aligned_alloc(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return aligned_alloc(4096, n);
}

void *pvalloc(size_t n)
{
	return aligned_alloc(4096, (n + 4095) & ~(size_t)4095);
}

size_t malloc_usable_size(void *p)
{
	return p && in_arena(p) ? *(size_t *)((unsigned char *)p - HEADER) : 0;
}

int main(void)
{
	static unsigned char *blocks[BLOCKS];
	unsigned long checksum = 0, bad = 0;
	for (unsigned i = 0; i < BLOCKS; i++) {
		size_t n = 16 + i % 200;
		unsigned char *volatile p = malloc(n);
		if (!p || !in_arena(p))
			bad++;
		for (size_t k = 0; p && k < n; k++)
			p[k] = (unsigned char)(i + k);
		blocks[i] = p;
	}
	for (unsigned i = 0; i < BLOCKS; i += 2) {
		size_t n = 16 + i % 200;
		unsigned char *p = realloc(blocks[i], n + 100);
		for (size_t k = 0; p && k < n; k++)
			if (p[k] != (unsigned char)(i + k))
				bad++;
		blocks[i] = p;
	}
	unsigned char *z = calloc(100, 10);
	for (unsigned k = 0; z && k < 1000; k++)
		bad += z[k] != 0;
	for (unsigned i = 0; i < BLOCKS; i++) {
		checksum += blocks[i] ? blocks[i][0] : 0;
		free(blocks[i]);
	}
	free(z);
	printf("own allocator serves main: %s\n", bad == 0 ? "yes" : "no");
	printf("blocks=%d checksum=%lu bad=%lu\n", BLOCKS, checksum, bad);
	return bad ? 1 : 0;
}
