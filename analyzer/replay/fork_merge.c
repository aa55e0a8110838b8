/*
 * fork_merge.c - a fork child's inherited blocks count once, in its
 * parent's trace (the rule and its reasons: fork_merge.h).
 *
 * The replay already split every child's outstanding blocks into its own
 * and its inherited ones, with their kinds (trace_model's inh_* fields,
 * from INHERIT, the frees of epochs before first_epoch and REACH's
 * inherited field). Merging is then a subtraction at every level the
 * renderers read: stack, unknown stacks, process.
 */
#include "fork_merge.h"

#include <string.h>

#include "heapblame/trace_format.h"

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void tally_less(struct leak_tally *t, const struct leak_tally *out)
{
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		t->bytes[k] = less(t->bytes[k], out->bytes[k]);
		t->blocks[k] = less(t->blocks[k], out->blocks[k]);
	}
}

/* The trace of the process that forked p: pid p->ppid, the last to start
 * at or before p. -1 when none is in m. */
static long parent_of(const struct tm_model *m, size_t child)
{
	const struct tm_process *p = &m->procs[child];
	long best = -1;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct tm_process *q = &m->procs[i];
		if (i == child || q->pid != p->ppid || q->start_realtime_ns > p->start_realtime_ns)
			continue;
		if (best < 0 || q->start_realtime_ns >= m->procs[best].start_realtime_ns)
			best = (long)i;
	}
	/* a parent image replaced by exec counts none of its blocks (blame.c):
	 * the child's copies are the only ones left, and stay the child's */
	if (best >= 0 && m->procs[best].end_kind == TM_END_EXEC)
		return -1;
	return best;
}

static void take_out(struct tm_process *p)
{
	for (size_t k = 0; k < p->nstacks; k++) {
		struct tm_stack *st = p->stacks[k];
		if (!st || !st->inh_blocks)
			continue;
		st->out_bytes = less(st->out_bytes, st->inh_bytes);
		st->out_blocks = less(st->out_blocks, st->inh_blocks);
		tally_less(&st->kinds, &st->inh_kinds);
	}
	p->unknown_stack_bytes = less(p->unknown_stack_bytes, p->unknown_inh_bytes);
	p->unknown_stack_blocks = less(p->unknown_stack_blocks, p->unknown_inh_blocks);
	tally_less(&p->unknown_stack_kinds, &p->unknown_inh_kinds);
	p->out_bytes = less(p->out_bytes, p->inh_bytes);
	p->out_blocks = less(p->out_blocks, p->inh_blocks);
	tally_less(&p->kinds, &p->inh_kinds);
	p->merged_out_bytes = p->inh_bytes;
	p->merged_out_blocks = p->inh_blocks;
}

size_t fork_merge_apply(struct tm_model *m)
{
	size_t merged = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		struct tm_process *p = &m->procs[i];
		if (!(p->flags & HB_PROC_FORKED) || p->fork_merged)
			continue;
		long parent = parent_of(m, i);
		if (parent < 0)
			continue;
		take_out(p);
		p->fork_merged = 1;
		p->parent = (size_t)parent;
		merged++;
	}
	return merged;
}
