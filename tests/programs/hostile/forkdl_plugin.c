/*
 * forkdl_plugin.c - the library forkdlclose loads and unloads in a loop.
 *
 * Allocates when loaded (a constructor), frees when unloaded, and allocates
 * and frees in forkdl_plugin_work: every load and unload changes the set of
 * modules a tracer maps, and the library's code allocates.
 */
#include <stdlib.h>

void *volatile forkdl_plugin_sink;
static void *loaded_block;

__attribute__((constructor)) static void plugin_load(void)
{
	loaded_block = malloc(123);
}

__attribute__((destructor)) static void plugin_unload(void)
{
	free(loaded_block);
}

int forkdl_plugin_work(int n);

int forkdl_plugin_work(int n)
{
	for (int i = 0; i < n; i++) {
		forkdl_plugin_sink = malloc(32 + (size_t)i);
		free(forkdl_plugin_sink);
	}
	return n;
}
