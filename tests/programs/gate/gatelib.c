/*
 * gatelib.c - libgatelib.so (see gatelib.h). The records are allocated in
 * gatelib_stash() and their pointers dropped at once: definitely lost.
 */
#include "gatelib.h"

#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void gatelib_stash(int i)
{
	char *volatile rec = malloc(32);
	if (rec)
		memset(rec, i, 32);
}

int gatelib_remember(int n)
{
	for (int i = 0; i < n; i++)
		gatelib_stash(i);
	return n;
}
