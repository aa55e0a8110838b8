/*
 * plugin_leak.c - libblameplugin.so, loaded with dlopen, leaking, and
 * unloaded with dlclose before the program ends.
 *
 * blame_plugin_run (exported) leaks through two sites: stash() (static)
 * mallocs blocks and keeps them on a list that dies with the plugin, and
 * blame_plugin_run strdup's names (libc is a wrapper: the site's first frame
 * outside libc is blame_plugin_run). It also mallocs and frees. The report,
 * made after the plugin is gone, must still name the plugin by its path and
 * symbolize its frames from the file. See plugin_leak.h.
 */
#include "plugin_leak.h"

void blame_plugin_run(unsigned n, struct blame_plugin_tally *tally) __attribute__((visibility("default")));

struct stashed {
	struct stashed *next;
	unsigned round;
};

static struct stashed *stash_list;

static __attribute__((noinline)) void stash(unsigned i, struct blame_plugin_tally *tally)
{
	size_t size = sizeof(struct stashed) + 32 * (size_t)(i % 5);
	struct stashed *s = malloc(size);
	if (!s)
		hb_die("malloc(%zu) failed", size);
	s->round = i;
	s->next = stash_list;
	stash_list = s;
	hb_keep(s);
	tally->stash_blocks++;
	tally->stash_bytes += size;
}

void blame_plugin_run(unsigned n, struct blame_plugin_tally *tally)
{
	static const char *const names[] = {"alpha-plugin-name", "b", "a-much-longer-plugin-name-for-the-test"};
	for (unsigned i = 0; i < n; i++) {
		stash(i, tally);
		void *tmp = malloc(64 + i);
		if (!tmp)
			hb_die("malloc failed");
		hb_keep(tmp);
		free(tmp);
		tally->freed_blocks++;
		if (i % 2 == 0) {
			const char *name = names[i % 3];
			char *d = strdup(name);
			if (!d)
				hb_die("strdup failed");
			hb_keep(d);
			tally->dup_blocks++;
			tally->dup_bytes += strlen(name) + 1;
		}
	}
}
