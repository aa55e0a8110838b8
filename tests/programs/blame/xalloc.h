/*
 * xalloc.h - libxalloc.so.1 (tests/programs/blame): a project's own
 * allocation wrapper, as xa_malloc or g_malloc are.
 */
#ifndef HB_TEST_XALLOC_H
#define HB_TEST_XALLOC_H

#include <stddef.h>

/* malloc(size), or abort() when it fails: never returns NULL. */
void *xa_malloc(size_t size);

#endif
