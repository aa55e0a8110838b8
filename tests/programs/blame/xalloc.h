/*
 * xalloc.h - libxalloc.so.1 (tests/programs/blame): a project's own
 * allocation wrapper, as xmalloc or g_malloc are.
 */
#ifndef HB_TEST_XALLOC_H
#define HB_TEST_XALLOC_H

#include <stddef.h>

/* malloc(size), or abort() when it fails: never returns NULL. */
void *xmalloc(size_t size);

#endif
