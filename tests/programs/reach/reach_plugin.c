/*
 * reach_plugin.c - a dlopen'ed library holding a block in a static; built
 * twice (libreachplugA.so, libreachplugB.so) so that one can stay loaded
 * while the other is closed. While the library is loaded its .bss is a root
 * and the block is reachable; once dlclose has unmapped it, nothing points
 * to the block: definite.
 */
#include <stdlib.h>
#include <string.h>

void reachplug_hold(size_t size) __attribute__((visibility("default")));

static void *volatile held;

void reachplug_hold(size_t size)
{
	held = malloc(size);
	if (!held)
		abort();
	memset(held, 0, size);
}
