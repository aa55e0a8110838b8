/*
 * truncso_plugin.c - libhbtruncplug.so for truncso.c: 64 pages of
 * initialized data (non-zero, so they are the file's, not bss), of which
 * truncso reads the first word and writes nothing, and one function that
 * allocates (its frame makes the shim learn the module). Linked without
 * start files, so it has no constructor or destructor: the loader calls
 * nothing of it at exit (its code pages, gone with the file, would raise
 * SIGBUS in the host itself).
 */
#include <stdlib.h>

#define PAGES 64

int hbtrunc_data[PAGES * 4096 / sizeof(int)] = {7, 1, 2, 3};

void *hbtrunc_alloc(size_t n);

void *hbtrunc_alloc(size_t n)
{
	return malloc(n);
}
