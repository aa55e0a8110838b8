/*
 * plugin_main.c - dlopens libblameplugin.so, runs it, dlcloses it.
 *
 * Usage: blame_plugin PLUGIN_PATH [N]    (default 12)
 * run_plugin() loads the plugin, calls its exported blame_plugin_run
 * (which leaks, see plugin_leak.c), and unloads it; the program then checks
 * with RTLD_NOLOAD that the plugin is really gone. This executable allocates
 * nothing itself (output through write(2), see truth.h).
 *
 * Truth: `TRUTH pid=P plugin=PATH n=N unloaded=1 stash_blocks=..
 * stash_bytes=.. dup_blocks=.. dup_bytes=.. freed_blocks=..`.
 * Exits 2 when the plugin cannot be loaded.
 */
#include <dlfcn.h>

#include "plugin_leak.h"

static __attribute__((noinline)) void run_plugin(const char *path, unsigned n, struct blame_plugin_tally *tally)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		hb_die("dlopen %s: %s", path, dlerror());
	blame_plugin_run_fn fn;
	*(void **)&fn = dlsym(h, BLAME_PLUGIN_ENTRY);
	if (!fn)
		hb_die("dlsym %s: %s", BLAME_PLUGIN_ENTRY, dlerror());
	fn(n, tally);
	if (dlclose(h) != 0)
		hb_die("dlclose: %s", dlerror());
}

int main(int argc, char **argv)
{
	struct blame_plugin_tally t = {0, 0, 0, 0, 0};
	if (argc < 2)
		hb_die("usage: blame_plugin PLUGIN_PATH [N]");
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 12;
	run_plugin(argv[1], n, &t);
	void *again = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
	int unloaded = again == NULL;
	if (again)
		dlclose(again);
	hb_truth("pid=%d plugin=%s n=%u unloaded=%d stash_blocks=%lu stash_bytes=%lu dup_blocks=%lu dup_bytes=%lu "
		 "freed_blocks=%lu",
		 (int)getpid(), argv[1], n, unloaded, t.stash_blocks, t.stash_bytes, t.dup_blocks, t.dup_bytes,
		 t.freed_blocks);
	return 0;
}
