/*
 * cb_main.c - a program whose callback, run by libcb.so, leaks.
 *
 * Usage: blame_callback [N]    (default 30)
 * main -> cb_run (libcb.so) -> on_item -> make_record -> malloc. Records for
 * even items are leaked, those for odd items freed at once; main also makes
 * a malloc/free pair of its own. The leak's blamed module is this
 * executable; its run of frames in it is make_record, on_item, so the entry
 * point is on_item (static: not exported), called from libcb.so's cb_run.
 * Nothing else allocates (output through write(2), see truth.h), so the
 * process's outstanding memory is exactly the leak.
 *
 * Truth: `TRUTH pid=P calls=C leaked_blocks=.. leaked_bytes=..
 * freed_blocks=..`, sizes as requested.
 */
#include "../truth.h"
#include "cb.h"

static unsigned long leaked_blocks, leaked_bytes, freed_blocks;

static __attribute__((noinline)) void *make_record(int i, size_t size)
{
	char *p = malloc(size);
	if (!p)
		hb_die("malloc(%zu) failed", size);
	p[0] = (char)i;
	return hb_keep(p);
}

static void on_item(int i)
{
	size_t size = 24 + 8 * (size_t)i;
	void *rec = make_record(i, size);
	if (i % 2 == 0) {
		leaked_blocks++;
		leaked_bytes += size;
	} else {
		free(rec);
		freed_blocks++;
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 30;
	void *own = malloc(100);
	hb_keep(own);
	free(own);
	int calls = cb_run(on_item, n);
	hb_truth("pid=%d calls=%d leaked_blocks=%lu leaked_bytes=%lu freed_blocks=%lu", (int)getpid(), calls,
		 leaked_blocks, leaked_bytes, freed_blocks);
	return 0;
}
