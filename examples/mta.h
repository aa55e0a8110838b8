/*
 * mta.h - the public API of libmta.so, the demo's mail-transfer library.
 */
#ifndef MTA_H
#define MTA_H

#include <stddef.h>

/* Queues one message for delivery. Returns 0, or -1 when it is refused. */
int mta_submit(const char *rcpt, const char *body);
/* Delivers everything queued; returns how many messages went out. */
size_t mta_flush(void);

#endif
