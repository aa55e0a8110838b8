/*
 * deep_main.c - a leak at the bottom of a deep recursion, and a shallow one.
 *
 * Usage: blame_deep [LEVELS]    (default 100)
 *   - main -> descend (LEVELS times) -> malloc: 5 blocks lost, their stacks
 *     LEVELS + 3 frames deep or so (main, __libc_start_call_main, ...): at
 *     --depth below that, the stacks are cut inside descend, and the
 *     entry point (main, from libc) is beyond what was recorded;
 *   - main -> keep_shallow -> malloc: 3 blocks lost at a stack of a few
 *     frames, whose entry point (main) is always known.
 * Output goes through write(2) (truth.h), so nothing else stays allocated.
 *
 * Truth: `TRUTH pid=P levels=L deep_blocks=.. deep_bytes=.. shallow_blocks=..
 * shallow_bytes=..`.
 */
#include "../truth.h"

static volatile unsigned depth_seen;

/* Not a tail call: the work after the call keeps every level's frame. */
static __attribute__((noinline)) void descend(unsigned level, unsigned levels, struct hb_ledger *l)
{
	if (level + 1 < levels) {
		descend(level + 1, levels, l);
	} else {
		for (unsigned i = 0; i < 5; i++)
			hb_ledger_alloc(l, malloc(100 + i), 100 + i);
	}
	depth_seen = depth_seen > level ? depth_seen : level;
}

static __attribute__((noinline)) void keep_shallow(struct hb_ledger *l)
{
	for (unsigned i = 0; i < 3; i++)
		hb_ledger_alloc(l, malloc(40 + i), 40 + i);
}

int main(int argc, char **argv)
{
	struct hb_ledger deep = {0, 0, 0, 0}, shallow = {0, 0, 0, 0};
	unsigned levels = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
	descend(0, levels ? levels : 1, &deep);
	keep_shallow(&shallow);
	hb_keep(NULL); /* every block lost */
	hb_truth("pid=%d levels=%u deep_blocks=%lu deep_bytes=%lu shallow_blocks=%lu shallow_bytes=%lu", (int)getpid(),
		 levels, deep.live_blocks, deep.live_bytes, shallow.live_blocks, shallow.live_bytes);
	return 0;
}
