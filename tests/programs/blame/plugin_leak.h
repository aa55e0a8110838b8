/*
 * plugin_leak.h - the contract between plugin_main.c and the plugin built
 * from plugin_leak.c (libblameplugin.so).
 */
#ifndef HB_TEST_PLUGIN_LEAK_H
#define HB_TEST_PLUGIN_LEAK_H

#include "../truth.h"

#define BLAME_PLUGIN_ENTRY "blame_plugin_run"

/* What the plugin leaked, by site: blocks stashed by its stash() (malloc)
 * and blocks it strdup'ed in blame_plugin_run itself. */
struct blame_plugin_tally {
	unsigned long stash_blocks, stash_bytes, dup_blocks, dup_bytes, freed_blocks;
};

/* Leaks n stashed blocks and n / 2 duplicated names, frees n blocks. */
typedef void (*blame_plugin_run_fn)(unsigned n, struct blame_plugin_tally *tally);

#endif
