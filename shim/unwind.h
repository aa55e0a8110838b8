/*
 * unwind.h - the call stack of an allocation, fast.
 *
 * libunwind's unw_backtrace costs about 10 ns a frame here; at 50 frames it
 * is most of the shim's cost. hb_unwind does the same walk with a cache of
 * unwind rules keyed by instruction address: each distinct return address is
 * looked up once in its module's .eh_frame (found with _dl_find_object, the
 * loader's lock-free lookup made for unwinders), its DWARF call-frame
 * program run to that address, and the result (CFA = rsp or rbp + offset,
 * where rbp was saved, return address at CFA-8) kept. A frame is then a hash
 * probe, an add and one or two loads.
 *
 * Only the shapes gcc and clang emit for ordinary x86-64 code are
 * interpreted. Anything else (a signal frame, a CFA computed by a DWARF
 * expression, a stack-realigning main, no CFI at all, a frame that leaves
 * the thread's stack) makes hb_unwind return -1, and the caller falls back
 * to unw_backtrace for that stack, so the result is never a guess. Memory is
 * read only inside the current thread's stack.
 *
 * HEAPBLAME_UNWIND=libunwind turns the fast path off; HEAPBLAME_UNWIND=verify
 * runs both on every allocation and counts differences (tests use it).
 */
#ifndef HB_UNWIND_H
#define HB_UNWIND_H

#include <stdint.h>

/* Whether this build has the fast unwinder (x86-64 with _dl_find_object). */
int hb_unwind_supported(void);

/* A thread's own small cache of rows: 512 entries, direct-mapped, 8 KiB.
 * The shared cache spreads a program's few hot return addresses over a
 * megabyte, one cache line and often one TLB entry each, and the host's own
 * memory traffic keeps evicting them; the memo keeps them on two pages. It
 * only remembers rule(address), a pure function, so it cannot change a
 * result. Zero-initialised is valid. */
#define HB_UNWIND_MEMO_BITS 9
#define HB_UNWIND_MEMO (1u << HB_UNWIND_MEMO_BITS)
/* ... and the rows of its previous walk, by frame number: a guess that
 * needs no hashing, so the next row can be loaded before the return address
 * it depends on has arrived (the walk is otherwise a chain of dependent
 * loads). */
#define HB_UNWIND_LAST 64
struct hb_unwind_memo {
	uint64_t gen;
	struct {
		uintptr_t key;
		uint64_t row;
	} e[HB_UNWIND_MEMO], last[HB_UNWIND_LAST];
};

/* Fills out[] with up to max return addresses, innermost first, starting
 * with an address inside the caller of hb_unwind. stack_lo/stack_hi bound
 * the current thread's stack; memo is the calling thread's. Returns the
 * number of frames, or -1 when some frame needs the general unwinder.
 * Never calls malloc; thread-safe. */
int hb_unwind(uintptr_t *out, unsigned max, uintptr_t stack_lo, uintptr_t stack_hi, struct hb_unwind_memo *memo);

/* Forgets every cached rule (a module was unloaded: its addresses may be
 * reused by another). */
void hb_unwind_forget(void);

/* Fork child: the cache lock may have been held by a thread that is gone. */
void hb_unwind_atfork_child(void);

/* Finds this thread's stack bounds. Returns 0, or -1 (then use libunwind).
 * Takes no lock and does not allocate. */
int hb_unwind_thread_stack(uintptr_t *lo, uintptr_t *hi);

/* For tests: computes the rule for ip without the cache. Returns 0 and the
 * CFA register (6 rbp, 7 rsp) and offset, or -1 when unsupported. */
int hb_unwind_rule_for(uintptr_t ip, int *cfa_reg, int64_t *cfa_off);

#endif
