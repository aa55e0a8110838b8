/*
 * shim_mem.c - mmap-backed memory for the shim (see shim_mem.h).
 *
 * The arena maps 256 KiB chunks and bumps through them; a request larger
 * than a quarter chunk gets its own mapping so a big stack or a long path
 * does not waste the rest of a chunk.
 *
 * The registry of the shim's mappings (shim_mem.h says why the scan needs
 * it): slots of (start, size) in segments, the first static, the later ones
 * mapped when every slot is taken and linked at the end (and registered in
 * themselves). A slot is claimed by a compare-and-swap of its start from 0
 * and freed by storing 0: no lock, so hb_mem_map stays safe inside malloc,
 * in a signal handler and in a fork child. Making and removing a mapping
 * steps over the slots: a process has a few hundred of the shim's mappings
 * at once, and one is made only when a table grows, next to an mmap system
 * call that costs more.
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
#define HB_MEM_SLOTS 1024

struct mem_slot {
	uintptr_t lo; /* 0: free */
	size_t size;  /* 0 for a moment after the slot is claimed */
};

struct mem_segment {
	struct mem_segment *next;
	struct mem_slot slot[HB_MEM_SLOTS];
};

static struct mem_segment first_segment;

static int claim(struct mem_slot *s, uintptr_t lo, size_t size)
{
	uintptr_t none = 0;
	if (__atomic_load_n(&s->lo, __ATOMIC_RELAXED) ||
	    !__atomic_compare_exchange_n(&s->lo, &none, lo, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&s->size, size, __ATOMIC_RELEASE);
	return 1;
}

static void register_range(void *p, size_t size)
{
	for (;;) {
		struct mem_segment *seg = &first_segment, *tail = seg;
		for (; seg; tail = seg, seg = __atomic_load_n(&seg->next, __ATOMIC_ACQUIRE))
			for (size_t i = 0; i < HB_MEM_SLOTS; i++)
				if (claim(&seg->slot[i], (uintptr_t)p, size))
					return;
		/* every slot taken: a new segment, registered in its own first slot */
		struct mem_segment *fresh =
			mmap(NULL, sizeof(*fresh), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fresh == MAP_FAILED)
			return; /* unregistered: the scan may read it as a root (more reachable, never a crash) */
		fresh->slot[0] = (struct mem_slot){(uintptr_t)fresh, sizeof(*fresh)};
		fresh->slot[1] = (struct mem_slot){(uintptr_t)p, size};
		for (;;) {
			struct mem_segment *none = NULL;
			if (__atomic_compare_exchange_n(&tail->next, &none, fresh, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return;
			tail = none; /* another thread linked one first: append after it */
		}
	}
}

/* After the munmap: a thread stopped in between leaves a range registered
 * that no longer exists (harmless), never one mapped and not registered.
 * Another mapping may have been made at the same address meanwhile: the
 * size tells them apart, and two equal ones are interchangeable. */
static void unregister_range(void *p, size_t size)
{
	for (struct mem_segment *seg = &first_segment; seg; seg = __atomic_load_n(&seg->next, __ATOMIC_ACQUIRE))
		for (size_t i = 0; i < HB_MEM_SLOTS; i++)
			if (__atomic_load_n(&seg->slot[i].lo, __ATOMIC_RELAXED) == (uintptr_t)p &&
			    __atomic_load_n(&seg->slot[i].size, __ATOMIC_RELAXED) == size) {
				__atomic_store_n(&seg->slot[i].size, 0, __ATOMIC_RELAXED);
				__atomic_store_n(&seg->slot[i].lo, 0, __ATOMIC_RELEASE);
				return;
			}
}

size_t hb_mem_ranges(struct hb_mem_range *out, size_t cap)
{
	size_t n = 0;
	for (struct mem_segment *seg = &first_segment; seg; seg = __atomic_load_n(&seg->next, __ATOMIC_ACQUIRE))
		for (size_t i = 0; i < HB_MEM_SLOTS; i++) {
			uintptr_t lo = __atomic_load_n(&seg->slot[i].lo, __ATOMIC_ACQUIRE);
			size_t size = __atomic_load_n(&seg->slot[i].size, __ATOMIC_ACQUIRE);
			if (!lo || !size)
				continue;
			if (n < cap)
				out[n] = (struct hb_mem_range){lo, lo + size};
			n++;
		}
	return n;
}

void *hb_mem_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* a thread stopped before this leaves a mapping unregistered, but
	 * still all zeros: read as a root, it reaches nothing */
	register_range(p, size);
	return p;
}

void hb_mem_unmap(void *p, size_t size)
{
	if (p) {
		munmap(p, size);
		unregister_range(p, size);
	}
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
