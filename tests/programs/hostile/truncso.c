/*
 * truncso.c - a shared library whose file is truncated while it is loaded.
 *
 * Usage: truncso COPY-OF-LIBHBTRUNCPLUG.so [learn]
 * Loads the library (a copy the caller made: this truncates it), reads the
 * first word of its data (with learn: and allocates a block through the
 * library, which stays reachable, so that the shim knows the module and its
 * segments before the file shrinks), truncates the file to 0 bytes, leaks LEAKS blocks of 100 bytes
 * and returns from main. The library's data segment has 64 pages of
 * initialized data that nothing writes, so they are still the file's
 * pages: once the file is truncated, reading them raises SIGBUS. The
 * host never reads them; the exit scan reads a module's writable data as
 * a root, and killed the host with SIGBUS (with learn; without, the shim's
 * module map, learning the library at exit, read its program headers). Prints `TRUTH leaks=N sum=S`.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define LEAKS 5

static void *volatile sink;
static void *volatile kept;

static __attribute__((noinline)) void leak_some(void)
{
	for (int i = 0; i < LEAKS; i++) {
		void *p = malloc(100);
		memset(p, 1, 100);
		sink = p;
	}
	sink = NULL;
}

static __attribute__((noinline)) void scrub_stack(void)
{
	volatile char buf[32768];
	memset((char *)buf, 0, sizeof(buf));
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		hb_die("usage: truncso LIBRARY-COPY [learn]");
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h)
		hb_die("dlopen: %s", dlerror());
	const volatile int *data = dlsym(h, "hbtrunc_data");
	if (!data)
		hb_die("dlsym: %s", dlerror());
	int sum = data[0];
	if (argc == 3) {
		void *(*alloc)(size_t) = (void *(*)(size_t))dlsym(h, "hbtrunc_alloc");
		if (!alloc)
			hb_die("dlsym: %s", dlerror());
		kept = alloc(4000);
	}
	if (truncate(argv[1], 0) != 0)
		hb_die("truncate %s failed", argv[1]);
	leak_some();
	scrub_stack();
	hb_truth("leaks=%d sum=%d", LEAKS, sum);
	return 0;
}
