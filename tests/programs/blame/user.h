/*
 * user.h - libuser.so (tests/programs/blame): a library that allocates with
 * libxalloc's xa_malloc, and leaks.
 */
#ifndef HB_TEST_USER_H
#define HB_TEST_USER_H

#include "../truth.h"

/* Collects n records: leaks the even ones, frees the odd ones. Adds what
 * it leaked and freed to the ledger. */
void user_collect(unsigned n, struct hb_ledger *ledger);

#endif
