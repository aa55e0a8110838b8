/*
 * cxxleak_main.cpp - the program that fills a libcxxleak.so Cache.
 *
 * Usage: blame_cxx [N]    (default 400)
 * Calls the exported cache_fill() for N keys (the library leaks N nodes),
 * lets the library churn (all freed), and makes a new/delete pair of its
 * own. Its Cache object is on the stack, so this executable has nothing
 * outstanding at the end.
 *
 * Truth: `TRUTH pid=P n=N node_size=S lib_allocs=.. lib_frees=..
 * lib_live_blocks=.. lib_live_bytes=..` from the library's ledger.
 */
#include "cxxleak.h"

static struct hb_ledger lib_ledger;

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 400;
	Cache cache(&lib_ledger);
	cache_fill(cache, 1, n);
	hb_keep(reinterpret_cast<void *>(cache.churn(20)));
	Cache *other = new Cache(nullptr);
	hb_keep(other);
	delete other;
	hb_truth("pid=%d n=%d node_size=%zu lib_allocs=%lu lib_frees=%lu lib_live_blocks=%lu lib_live_bytes=%lu",
		 (int)getpid(), n, Cache::node_size(), lib_ledger.allocs, lib_ledger.frees, lib_ledger.live_blocks,
		 lib_ledger.live_bytes);
	return 0;
}
