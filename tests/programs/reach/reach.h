/*
 * reach.h - the reachability ledger of the reach_* test programs.
 *
 * Each program in tests/programs/reach/ builds a known mix of blocks that are
 * outstanding when the process exits, and knows the class an exit-time
 * reachability scan must give each one:
 *   definite   nothing points to it (memcheck: "definitely lost", LSan:
 *              "Direct leak");
 *   indirect   only leaked blocks point to it ("indirectly lost", "Indirect
 *              leak");
 *   reachable  a chain of pointers from a root (a writable segment of a loaded
 *              module, a thread's stack or registers, TLS) reaches it.
 * It prints them as one line (see reach_truth_print):
 *   TRUTH program=NAME definite_blocks=N definite_bytes=N indirect_blocks=N
 *         indirect_bytes=N reachable_blocks=N reachable_bytes=N
 *         possible_blocks=N possible_bytes=N cycle_leader_blocks=N
 *         cycle_leader_bytes=N
 * `reachable` counts only the program's own blocks: the C library and the
 * dynamic loader keep blocks of their own (a live thread's TLS vector, a
 * dlopen'ed module's link map), which a tool counts too, so a tool's
 * reachable figure is at least the truth's. No program leaks a block of the
 * C library's, so definite and indirect are exact.
 * `possible` is the part of `reachable` that memcheck calls "possibly lost":
 * blocks reached only through a pointer into their middle (LeakSanitizer,
 * and heapblame after it, count an interior pointer as reaching the block).
 *
 * Counting rules both memcheck and LeakSanitizer follow, so the programs
 * stay within them:
 *   - only aligned, pointer-sized words are pointers; a pointer stored at an
 *     odd offset of a packed struct reaches nothing;
 *   - a block's extent is its requested size: a pointer one past the end
 *     does not point into it, whatever the allocator rounded the size up to;
 *   - a pointer from a block to itself does not count;
 *   - in a cycle of unreached blocks that no other leaked block points to,
 *     memcheck makes one block (the lowest address) definite and the rest
 *     indirect; LeakSanitizer calls the whole cycle indirect, since every
 *     block of it is pointed to by a leaked block. The truth follows
 *     memcheck, and counts such a leader in `cycle_leader_*` as well (a
 *     part of definite), so that a driver can move them to indirect for
 *     LeakSanitizer's rule. Cycles get equal-sized blocks, so the bytes do
 *     not depend on which block memcheck picks;
 *   - memory the program mapped with mmap is a root for memcheck (and for
 *     heapblame), not for LeakSanitizer: only reach_mmap_pool keeps
 *     pointers there.
 *
 * Exactness needs no stale copies of a dropped pointer where a scan looks:
 *   - every block is zeroed when allocated (reach_alloc), so the allocator's
 *     free-list links left in reused memory cannot point to other blocks;
 *   - pointers are dropped in noinline helpers that return, and
 *     reach_scrub() then zeroes the dead stack below the caller: a scan run
 *     deep inside exit() reads the whole stack from its own stack pointer up,
 *     and would otherwise find the dropped pointer in a dead frame that the
 *     exit path's frames did not overwrite (memcheck reads only words that
 *     are addressable and defined, which a popped frame's words are not
 *     until written again; an LSan-style scan reads them all);
 *   - output goes through truth.h's write(2)-based helpers, so stdio never
 *     allocates a buffer;
 *   - glibc's malloc keeps pointers to chunk headers in libc's writable data
 *     (the arena's top chunk and bins). A block p of n bytes sits in a
 *     chunk of S = (n + 8 + 15) & ~15 bytes (at least 32), and the next
 *     chunk's header is at p + S - 16, which is inside the requested size
 *     when n % 16 is in 1..8. So when the next chunk is the top or a free
 *     chunk, libc's data holds a pointer into the block. memcheck and
 *     LeakSanitizer never see this (they replace malloc); a tracer that
 *     forwards to glibc's malloc does.
 *     reach_arena.c tests exactly that; every other program gives its
 *     leaked blocks sizes with n % 16 in {0, 9..15}, where such a pointer
 *     falls past the requested size, so that each program fails only for
 *     what it is about. reach_count() enforces the rule.
 * Programs are built -O0 -fno-builtin, so each allocation and store happens.
 */
#ifndef HB_TEST_REACH_H
#define HB_TEST_REACH_H

#include <stdint.h>
#include <string.h>

#include "../truth.h"

enum reach_kind {
	REACH_DEFINITE,
	REACH_INDIRECT,
	REACH_REACHABLE,
	REACH_POSSIBLE,     /* reachable, through an interior pointer only */
	REACH_CYCLE_LEADER, /* definite, the block memcheck picks in a cycle */
	REACH_NKINDS
};

struct reach_ledger {
	unsigned long blocks[REACH_NKINDS];
	unsigned long bytes[REACH_NKINDS];
};

/* The process-wide ledger; threads add to it under their own lock. */
static struct reach_ledger reach_truth_ledger;

/* Set by reach_arena.c only: leaked blocks may have sizes that glibc's
 * arena can point into (see the file comment). */
static int reach_arena_sizes_allowed;

/* Records one block of `size` requested bytes as `kind`. REACH_POSSIBLE
 * counts as reachable as well, REACH_CYCLE_LEADER as definite (each is a
 * part of the other class). */
static inline void reach_count(enum reach_kind kind, size_t size)
{
	if (kind != REACH_REACHABLE && kind != REACH_POSSIBLE && !reach_arena_sizes_allowed && size % 16 >= 1 &&
	    size % 16 <= 8)
		hb_die("a leaked block of %zu bytes: glibc's arena may point into it (reach.h)", size);
	if (kind == REACH_POSSIBLE || kind == REACH_CYCLE_LEADER) {
		reach_truth_ledger.blocks[kind]++;
		reach_truth_ledger.bytes[kind] += size;
		kind = kind == REACH_POSSIBLE ? REACH_REACHABLE : REACH_DEFINITE;
	}
	reach_truth_ledger.blocks[kind]++;
	reach_truth_ledger.bytes[kind] += size;
}

/* malloc(size), zeroed; dies if it fails. Never inlined, so the returned
 * pointer lives in this frame only until it returns. */
static __attribute__((noinline, unused)) void *reach_alloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		hb_die("malloc(%zu) failed", size);
	memset(p, 0, size);
	return p;
}

/* Zeroes 64 KiB of stack below the caller's frame, and the caller-saved
 * registers on x86-64: stale copies of dropped pointers go away. Call it
 * after the helpers that drop pointers have returned, and before blocking or
 * exiting. */
static __attribute__((noinline, unused)) void reach_scrub(void)
{
	volatile unsigned char dead[65536];
	for (size_t i = 0; i < sizeof dead; i++)
		dead[i] = 0;
#if defined(__x86_64__)
	__asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
			 "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d"
			 ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
#endif
}

/* Prints the TRUTH line (see the file comment) for program `name`. */
static inline void reach_truth_print(const char *name)
{
	const struct reach_ledger *t = &reach_truth_ledger;
	hb_truth("program=%s definite_blocks=%lu definite_bytes=%lu indirect_blocks=%lu indirect_bytes=%lu "
		 "reachable_blocks=%lu reachable_bytes=%lu possible_blocks=%lu possible_bytes=%lu "
		 "cycle_leader_blocks=%lu cycle_leader_bytes=%lu",
		 name, t->blocks[REACH_DEFINITE], t->bytes[REACH_DEFINITE], t->blocks[REACH_INDIRECT],
		 t->bytes[REACH_INDIRECT], t->blocks[REACH_REACHABLE], t->bytes[REACH_REACHABLE],
		 t->blocks[REACH_POSSIBLE], t->bytes[REACH_POSSIBLE], t->blocks[REACH_CYCLE_LEADER],
		 t->bytes[REACH_CYCLE_LEADER]);
}

#endif /* HB_TEST_REACH_H */
