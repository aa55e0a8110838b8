/*
 * shim_mem.h - the shim's own memory, taken straight from mmap.
 *
 * The shim must never call malloc for its own bookkeeping: it would recurse
 * into itself, and its memory would show up in the host's trace. Everything
 * the shim keeps (tables, buffers, module records) comes from here. Two
 * shapes: whole mappings (hb_mem_map / hb_mem_unmap) for tables that grow by
 * rehashing, and a bump arena for small records that live as long as the
 * process (module paths, stack frames). Both are safe to call from inside
 * malloc; the arena is not thread-safe and its callers hold a lock.
 *
 * Every mapping made here is registered (hb_mem_ranges), because the exit
 * scan takes the memory the program mapped for itself as roots, and the
 * shim's own tables are full of block addresses: read as roots, they would
 * make every block reachable. /proc/self/maps cannot tell them apart (the
 * kernel merges adjacent anonymous mappings), so the shim keeps its own list.
 */
#ifndef HB_SHIM_MEM_H
#define HB_SHIM_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Returns zeroed memory of at least size bytes, or NULL (errno untouched
 * by the caller's contract: callers save errno around shim work). */
void *hb_mem_map(size_t size);
void hb_mem_unmap(void *p, size_t size);

/* One of the shim's mappings, [lo, hi). */
struct hb_mem_range {
	uintptr_t lo, hi;
};

/* Copies the shim's live mappings into out (at most cap of them, in no
 * order) and returns how many there are, which may be more than cap. Safe
 * anywhere (lock-free); exact while no other thread maps or unmaps. */
size_t hb_mem_ranges(struct hb_mem_range *out, size_t cap);

/* Copies n bytes from src, memory of this process that may not be readable
 * (a page of a file truncated since it was mapped raises SIGBUS when
 * touched), with process_vm_readv, which fails instead. Returns 0, or -1
 * when some of it could not be read. Where the kernel refuses the call
 * (seccomp), copies in place. Never allocates; safe anywhere. */
int hb_mem_copy_in(void *dst, const void *src, size_t n);

struct hb_arena {
	char *cur;      /* next free byte in the current chunk */
	char *end;      /* end of the current chunk */
	size_t mapped;  /* bytes mapped in all, for the shim's own accounting */
};

/* Returns size bytes aligned to 16, zeroed, or NULL when mmap fails. Memory
 * is never given back: arena records live as long as the process. */
void *hb_arena_alloc(struct hb_arena *a, size_t size);

#endif
