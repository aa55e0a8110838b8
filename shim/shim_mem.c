/*
 * shim_mem.c - mmap-backed memory for the shim (see shim_mem.h).
 *
 * The arena maps 256 KiB chunks and bumps through them; a request larger
 * than a quarter chunk gets its own mapping so a big stack or a long path
 * does not waste the rest of a chunk.
 */
#include "shim_mem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define HB_ARENA_CHUNK (256u << 10)

void *hb_mem_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void hb_mem_unmap(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int hb_mem_copy_in(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	int saved = errno;
	/* the thread's id: a process whose main thread ended is a zombie */
	struct iovec local = {dst, n}, remote = {(void *)(uintptr_t)src, n};
	ssize_t r = process_vm_readv((pid_t)syscall(SYS_gettid), &local, 1, &remote, 1, 0);
	int fault = r < 0 && errno == EFAULT;
	errno = saved;
	if (r == (ssize_t)n)
		return 0;
	if (r < 0 && !fault) { /* refused (seccomp, an old kernel): as before */
		memcpy(dst, src, n);
		return 0;
	}
	return -1;
}

void *hb_arena_alloc(struct hb_arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size > HB_ARENA_CHUNK / 4) {
		void *big = hb_mem_map(size);
		if (big)
			a->mapped += size;
		return big;
	}
	if ((size_t)(a->end - a->cur) < size) {
		char *chunk = hb_mem_map(HB_ARENA_CHUNK);
		if (!chunk)
			return NULL;
		a->mapped += HB_ARENA_CHUNK;
		a->cur = chunk;
		a->end = chunk + HB_ARENA_CHUNK;
	}
	void *p = a->cur;
	a->cur += size;
	return p;
}
