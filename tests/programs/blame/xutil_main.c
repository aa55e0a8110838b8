/*
 * xutil_main.c - leaks through libxutil.so's wrappers, which leaks too.
 *
 * Usage: blame_xutil [N]    (default 12)
 * Three leaks, each of N blocks, every block lost:
 *   - main -> keep_config -> xmalloc (libxutil.so) -> malloc: the
 *     program's, although the frame that called malloc is libxutil's;
 *   - main -> keep_name -> xu_dup -> xmalloc (libxutil.so) -> malloc: the
 *     program's once xu_dup is named a wrapper (--wrapper-function), else
 *     libxutil's (xmalloc's caller, xu_dup, is in libxutil.so);
 *   - main -> xu_table_grow -> xu_table_add -> xmalloc (libxutil.so):
 *     libxutil's own, entered via xu_table_grow from main.
 * Output goes through write(2) (truth.h), so nothing else stays allocated.
 *
 * Truth: `TRUTH pid=P n=N config_blocks=.. config_bytes=.. name_blocks=..
 * name_bytes=.. table_blocks=.. table_bytes=..`.
 */
#include "xutil.h"

static __attribute__((noinline)) void keep_config(unsigned i, struct hb_ledger *l)
{
	size_t size = 48 + 16 * (size_t)(i % 3);
	char *p = xmalloc(size);
	p[0] = (char)i;
	hb_ledger_alloc(l, p, size);
}

static __attribute__((noinline)) void keep_name(unsigned i, struct hb_ledger *l)
{
	static const char name[] = "a name of thirty-one characters";
	size_t size = 8 + (size_t)(i % 4);
	hb_ledger_alloc(l, xu_dup(name, size), size);
}

int main(int argc, char **argv)
{
	struct hb_ledger config = {0, 0, 0, 0}, names = {0, 0, 0, 0}, table = {0, 0, 0, 0};
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 12;
	for (unsigned i = 0; i < n; i++) {
		keep_config(i, &config);
		keep_name(i, &names);
	}
	xu_table_grow(n, &table);
	hb_keep(NULL); /* the last block is not left in the sink: every one is lost */
	hb_truth("pid=%d n=%u config_blocks=%lu config_bytes=%lu name_blocks=%lu name_bytes=%lu table_blocks=%lu "
		 "table_bytes=%lu",
		 (int)getpid(), n, config.live_blocks, config.live_bytes, names.live_blocks, names.live_bytes,
		 table.live_blocks, table.live_bytes);
	return 0;
}
