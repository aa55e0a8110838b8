/*
 * reach_stale_exit.c - main's only pointer to a block, left in a slot of
 * main's frame when main returns.
 *
 * Usage: reach_stale_exit OFFSET
 * main keeps the only pointer to a 48-byte block in a slot OFFSET bytes
 * below the top of a local array of 32 KiB, then returns. The exit
 * handlers then run in frames below the one main's return went back to,
 * where main's frame was: the slot is dead. memcheck and LeakSanitizer
 * report the block definitely lost, whatever the slot's offset; a scan
 * that read the stack from its own frame up found the pointer wherever
 * the exit path had not overwritten it, so its verdict changed with the
 * offset. Truth: one definite block.
 */
#include <stdlib.h>

#include "reach.h"

int main(int argc, char **argv)
{
	volatile uintptr_t slots[4096];
	size_t offset = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	size_t i = sizeof(slots) / sizeof(slots[0]) - 1 - offset / sizeof(slots[0]);
	if (offset >= sizeof(slots))
		hb_die("OFFSET must be under %zu", sizeof(slots));
	for (size_t k = 0; k < sizeof(slots) / sizeof(slots[0]); k++)
		slots[k] = 0;
	slots[i] = (uintptr_t)reach_alloc(48);
	reach_count(REACH_DEFINITE, 48);
	reach_truth_print("reach_stale_exit");
	return 0;
}
