/*
 * user.c - libuser.so: leaks through xa_malloc (libxalloc.so.1).
 *
 * user_collect (exported) -> user_keep (static) -> xa_malloc -> malloc.
 * Without --wrapper the report blames libxalloc.so.1, entered via xa_malloc
 * from libuser.so's user_keep; with libxalloc named as a wrapper it blames
 * libuser.so, entered via user_collect from the program's main.
 */
#include "user.h"

#include "xalloc.h"

static __attribute__((noinline)) void *user_keep(unsigned i, size_t size)
{
	char *p = xa_malloc(size);
	p[0] = (char)i;
	return hb_keep(p);
}

__attribute__((noinline)) void user_collect(unsigned n, struct hb_ledger *ledger)
{
	for (unsigned i = 0; i < n; i++) {
		size_t size = 40 + 16 * (size_t)(i % 7);
		void *p = hb_ledger_alloc(ledger, user_keep(i, size), size);
		if (i % 2) {
			free(p);
			hb_ledger_end(ledger, size);
		}
	}
}
