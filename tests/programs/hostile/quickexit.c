/*
 * quickexit.c - the program ends with quick_exit.
 *
 * quick_exit(3) runs the at_quick_exit handlers, not atexit's nor the
 * library destructors, then ends the process with _exit, which glibc calls
 * from inside libc, where an interposed _exit does not see it. The shim
 * registers an at_quick_exit handler to write the end of its trace. The
 * program leaks one block of 2345 bytes, registers its own handler (which
 * prints a line) and calls quick_exit(5).
 *
 * Output: `TRUTH pid=P status=5 leaked=2345`, then `own quick_exit handler
 * ran`. Exit status 5.
 */
#include <stdlib.h>

#include "hostile.h"

static void own_handler(void)
{
	hb_say("own quick_exit handler ran");
}

int main(void)
{
	hb_keep(malloc(2345));
	for (unsigned i = 0; i < 10; i++)
		free(hb_keep(malloc(100 + i)));
	if (at_quick_exit(own_handler) != 0)
		hb_die("at_quick_exit failed");
	hb_truth("pid=%d status=5 leaked=2345", (int)getpid());
	quick_exit(5);
}
