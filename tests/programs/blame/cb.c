/*
 * cb.c - libcb.so: calls a function of its caller back, and allocates
 * nothing itself. Every block made during cb_run() is made by the callback's
 * code, in the program: the program, not libcb.so, must be blamed, entered
 * through the callback, called from libcb.so's cb_run().
 */
#include "cb.h"

__attribute__((noinline)) int cb_run(void (*fn)(int), int n)
{
	int calls = 0;
	for (int i = 0; i < n; i++) {
		fn(i);
		calls++;
		__asm__ volatile("" ::: "memory"); /* no tail call, no loop folding */
	}
	return calls;
}
