/*
 * mta.c - libmta.so, the library at fault in heapblame's demo.
 *
 * mta_submit() copies each message into an envelope on a queue, and
 * mta_flush() delivers and frees them: all of that is clean. The bug is in
 * the retry bookkeeping: one message in every MTA_RETRY_EVERY gets a retry
 * record on a list, and mta_flush() forgets the list instead of freeing it.
 * From outside, the memory of whatever process links libmta just grows;
 * heapblame blames libmta.so, entered through its exported mta_submit().
 */
#include "mta.h"

#include <stdlib.h>
#include <string.h>

#define MTA_RETRY_EVERY 50

struct envelope {
	char *rcpt;
	char *body;
	struct envelope *next;
};

struct retry {
	char rcpt[64];
	unsigned attempts;
	long not_before;
	struct retry *next;
};

static struct envelope *queue;
static struct retry *retries;
static unsigned long submitted;

static void schedule_retry(const char *rcpt)
{
	struct retry *r = calloc(1, sizeof(*r));
	if (r) {
		strncpy(r->rcpt, rcpt, sizeof(r->rcpt) - 1);
		r->attempts = 1;
		r->next = retries;
		retries = r;
	}
}

int mta_submit(const char *rcpt, const char *body)
{
	struct envelope *e = malloc(sizeof(*e));
	if (!e)
		return -1;
	e->rcpt = strdup(rcpt);
	e->body = strdup(body);
	e->next = queue;
	queue = e;
	if (++submitted % MTA_RETRY_EVERY == 0)
		schedule_retry(rcpt);
	return 0;
}

size_t mta_flush(void)
{
	size_t n = 0;
	while (queue) {
		struct envelope *e = queue;
		queue = e->next;
		free(e->rcpt);
		free(e->body);
		free(e);
		n++;
	}
	retries = NULL; /* the bug: the retry records are dropped, not freed */
	return n;
}
