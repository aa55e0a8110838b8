/*
 * leak_kind.h - what an outstanding block is: definitely lost, indirectly
 * lost, still reachable, or unclassified; and tallies of bytes and blocks
 * by kind.
 *
 * The first three are the shim's exit-time reachability classes
 * (hb_reach_kind in trace_format.h, the same values, as LeakSanitizer and
 * memcheck name them). The fourth is the analyzer's: a block of a trace
 * that has no completed scan (a killed process, a scan switched off or
 * failed, a trace older than the scan) or whose REACH record is missing.
 * An unclassified block may be a leak, so `check` always counts it, and
 * says so; a REACH kind this reader does not know is unclassified too.
 *
 * A tally is a plain array pair so that it can be embedded in every level
 * of the model (stack, site, module, process) and added up by value.
 */
#ifndef HB_LEAK_KIND_H
#define HB_LEAK_KIND_H

#include <stdint.h>

#include "heapblame/trace_format.h"

enum leak_kind {
	LEAK_DEFINITE = HB_REACH_DEFINITE,
	LEAK_INDIRECT = HB_REACH_INDIRECT,
	LEAK_REACHABLE = HB_REACH_REACHABLE,
	LEAK_UNCLASSIFIED = HB_REACH_KIND_COUNT,
	LEAK_KIND_COUNT
};

#define LEAK_MASK(k) (1u << (k))
/* check's default gate: what LeakSanitizer reports and memcheck's
 * --errors-for-leak-kinds=definite,indirect fails on. */
#define LEAK_DEFAULT_KINDS (LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT))

struct leak_tally {
	uint64_t bytes[LEAK_KIND_COUNT];
	uint64_t blocks[LEAK_KIND_COUNT];
};

/* "definite", "indirect", "reachable", "unclassified"; "?" out of range. */
const char *leak_kind_name(unsigned kind);

/* The kind of a REACH record's value: unknown values are unclassified. */
enum leak_kind leak_kind_of_reach(uint64_t reach_kind);

/* Parses a comma list of definite, indirect, reachable (the --kinds
 * option; "unclassified" is not a choice: it always counts) into a mask;
 * blanks around each word are allowed ("definite, indirect").
 * Returns 0, or -1 with the offending word copied to bad (NUL-terminated,
 * cut to badlen) when one is not a kind or the list is empty. */
int leak_kinds_parse(const char *list, unsigned *mask, char *bad, unsigned badlen);

/* "definite,indirect" for a mask (into out, always NUL-terminated). */
void leak_kinds_format(unsigned mask, char *out, unsigned cap);

void leak_tally_add(struct leak_tally *t, unsigned kind, uint64_t bytes, uint64_t blocks);
void leak_tally_merge(struct leak_tally *into, const struct leak_tally *from);
/* Bytes (blocks) of the kinds in mask. */
uint64_t leak_tally_bytes(const struct leak_tally *t, unsigned mask);
uint64_t leak_tally_blocks(const struct leak_tally *t, unsigned mask);

#endif
