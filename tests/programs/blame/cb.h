/*
 * cb.h - the API of libcb.so (tests/programs/blame): a library that calls
 * back into its caller.
 */
#ifndef HB_TEST_CB_H
#define HB_TEST_CB_H

/* Calls fn(0) .. fn(n - 1) in turn; returns how many calls it made. */
int cb_run(void (*fn)(int), int n);

#endif
