/*
 * reach_lib.c - blocks held in the static data of shared libraries.
 *
 * Usage: reach_lib PLUGIN_A PLUGIN_B (paths of libreachplugA.so and
 * libreachplugB.so).
 *   - libreachcache.so (linked) keeps 3 blocks (90, 110, 130 B) in its
 *     static cache: reachable;
 *   - its function-local static keeps a block, replaced twice: the first two
 *     (45 B, 58 B) are definite, the last (60 B) reachable;
 *   - plugin A, dlopen'ed and left open, keeps a 300-byte block: reachable;
 *   - plugin B, dlopen'ed, keeps a 510-byte block, then is dlclose'd (and
 *     checked to be unloaded): its data is unmapped, so the block is
 *     definite.
 * The dynamic loader's own blocks for plugin A (its link map and the like)
 * are reachable from the loader's data; they are not the program's, so the
 * truth does not count them. Truth: reach.h's ledger.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "reach.h"
#include "reach_cache.h"

typedef void hold_fn(size_t);

static void *volatile g_plugin_a;

static __attribute__((noinline)) void *load_and_hold(const char *path, size_t size)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		hb_die("dlopen %s failed", path);
	hold_fn *hold = (hold_fn *)dlsym(h, "reachplug_hold");
	if (!hold)
		hb_die("no reachplug_hold in %s", path);
	hold(size);
	return h;
}

static __attribute__((noinline)) void use_plugins(const char *a, const char *b)
{
	g_plugin_a = load_and_hold(a, 300);
	reach_count(REACH_REACHABLE, 300);
	void *hb = load_and_hold(b, 510);
	if (dlclose(hb) != 0)
		hb_die("dlclose %s failed", b);
	if (dlopen(b, RTLD_NOW | RTLD_NOLOAD))
		hb_die("%s is still loaded after dlclose", b);
	reach_count(REACH_DEFINITE, 510);
}

static __attribute__((noinline)) void use_cache(void)
{
	reachcache_put(90);
	reachcache_put(110);
	reachcache_put(130);
	reach_count(REACH_REACHABLE, 90);
	reach_count(REACH_REACHABLE, 110);
	reach_count(REACH_REACHABLE, 130);
	reachcache_replace(45);
	reachcache_replace(58);
	reachcache_replace(60);
	reach_count(REACH_DEFINITE, 45);
	reach_count(REACH_DEFINITE, 58);
	reach_count(REACH_REACHABLE, 60);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		hb_die("usage: reach_lib PLUGIN_A PLUGIN_B");
	use_cache();
	use_plugins(argv[1], argv[2]);
	reach_scrub();
	reach_truth_print("reach_lib");
	reach_scrub();
	return 0;
}
