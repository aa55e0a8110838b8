/*
 * dlchurn.c - loads, calls and unloads two plugins in turn, several times.
 *
 * Usage: dlchurn PLUGIN1_PATH PLUGIN2_PATH [ROUNDS [fork]]
 * Each round dlopens PLUGIN1, calls its hbplugin_work (which allocates, frees
 * and leaks), dlcloses it, then does the same with PLUGIN2. After a dlclose
 * the loader usually maps the next library at the address just vacated, so a
 * tracer's module map must notice the change (the same addresses now belong
 * to another file) and must keep naming the unloaded plugin as the owner of
 * the blocks it leaked. The program's own module allocates nothing.
 *
 * Truth: one ledger per plugin, filled in by the plugins (plugin.h), printed
 * as `TRUTH pid=P plugin1=PATH p1_allocs=... p2_...` plus `exe_allocs=0`
 * and `same_base`, the number of rounds in which plugin 2 was mapped at
 * plugin 1's load address (information only: it depends on mmap).
 *
 * With `fork`, the rounds are followed by a fork: the child inherits every
 * block the unloaded plugins leaked, makes one malloc and free of its own
 * (a fork child that never calls the allocator writes no trace), prints
 * `TRUTH pid=C role=child` with the same plugin ledgers and exits 0; the
 * parent waits for it. Its trace must name the plugins as the owners of
 * what it inherited, although neither is loaded in the child.
 * Exits 2 when a plugin cannot be loaded or the fork fails, 1 when the
 * child failed.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "plugin.h"

/* Loads path, calls its entry with tally, unloads; returns its load bias. */
static uintptr_t churn_one(const char *path, unsigned round, struct hb_ledger *tally, int want_variant)
{
	struct link_map *lm = NULL;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		hb_die("dlopen %s: %s", path, dlerror());
	hbplugin_work_fn fn;
	*(void **)&fn = dlsym(h, HBPLUGIN_ENTRY);
	if (!fn)
		hb_die("dlsym %s: %s", HBPLUGIN_ENTRY, dlerror());
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0)
		hb_die("dlinfo: %s", dlerror());
	uintptr_t base = lm->l_addr;
	if (fn(round, tally) != want_variant)
		hb_die("%s is not plugin variant %d", path, want_variant);
	if (dlclose(h) != 0)
		hb_die("dlclose: %s", dlerror());
	return base;
}

int main(int argc, char **argv)
{
	struct hb_ledger t1 = {0, 0, 0, 0}, t2 = {0, 0, 0, 0};
	unsigned rounds = argc > 3 ? (unsigned)atoi(argv[3]) : 5, same_base = 0;

	if (argc < 3)
		hb_die("usage: dlchurn PLUGIN1_PATH PLUGIN2_PATH [ROUNDS [fork]]");
	for (unsigned r = 0; r < rounds; r++) {
		uintptr_t b1 = churn_one(argv[1], r, &t1, 1);
		uintptr_t b2 = churn_one(argv[2], r, &t2, 2);
		same_base += b1 == b2;
	}
	int forking = argc > 4 && strcmp(argv[4], "fork") == 0, child_ok = 1;
	pid_t child = forking ? fork() : 1;
	if (child < 0)
		hb_die("fork failed");
	if (child == 0)
		free(hb_keep(malloc(16)));
	hb_truth("pid=%d role=%s rounds=%u same_base=%u exe_allocs=%d plugin1=%s p1_allocs=%lu p1_frees=%lu "
		 "p1_live_blocks=%lu p1_live_bytes=%lu plugin2=%s p2_allocs=%lu p2_frees=%lu p2_live_blocks=%lu "
		 "p2_live_bytes=%lu",
		 (int)getpid(), child == 0 ? "child" : "parent", rounds, same_base, child == 0, argv[1],
		 HB_LEDGER_ARGS(t1), argv[2], HB_LEDGER_ARGS(t2));
	if (child == 0)
		exit(0);
	if (forking) {
		int st;
		if (waitpid(child, &st, 0) != child)
			hb_die("waitpid failed");
		child_ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	return child_ok ? 0 : 1;
}
