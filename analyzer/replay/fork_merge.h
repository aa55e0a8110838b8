/*
 * fork_merge.h - the merge rule for the traces of a forking program: a
 * block allocated before a fork is counted once, in the parent's trace.
 *
 * A fork child without exec writes a trace of its own, and its heap starts
 * as a copy of its parent's: every block the parent had live at the fork is
 * live in the child too (INHERIT records, trace-format 10.3). Its report
 * alone shows them, since the child holds them. But a report or check that
 * merges the child with its parent would count each such block twice (and
 * once more per child): a forking server of 7 leaks before the fork and 2
 * workers would show 21 leaks where the program has 7.
 *
 * The rule, when the traces of both a child and its parent are merged:
 *   - the blocks the child inherited and still holds at its end are the
 *     parent's, and count only in the parent's trace (as outstanding there,
 *     or not, as the parent's trace says), with the parent's verdict;
 *   - what the child allocated itself counts in the child, as always;
 *   - a child's free of an inherited block is the child's event (dump's
 *     events.free), and changes nothing in the parent's trace: the parent's
 *     copy is the one counted.
 * The parent of a child is the trace of pid = the child's ppid that started
 * last at or before the child (an exec'd image has a trace per image; the
 * pid of an older process may have been reused). A child whose parent's
 * trace is not in the merge keeps its inherited blocks: no other trace
 * counts them; so does a child whose parent's trace ended in exec (the
 * image whose heap it copied was replaced, and a report counts nothing of
 * it). Grandchildren follow from the rule: a grandchild's
 * inherited blocks are its parent's, which counts them or, if inherited
 * itself, passes them on.
 *
 * What the rule leaves: a child's time series (growth, timeline) are its
 * whole heap's, inherited blocks included, as its trace records them.
 */
#ifndef HB_FORK_MERGE_H
#define HB_FORK_MERGE_H

#include "trace_model.h"

/* Applies the rule to every fork child of m whose parent's trace is in m:
 * its inherited outstanding blocks leave its stacks' and its own totals
 * (p->fork_merged, p->parent, p->merged_out_*). Call once, after the last
 * tm_load and before blame. Returns the number of children merged. */
size_t fork_merge_apply(struct tm_model *m);

#endif
