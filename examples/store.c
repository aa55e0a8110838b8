/*
 * store.c - the demo's server: a store-and-forward loop that hands every
 * message to libmta.so. Its own allocations (a line buffer, a formatted
 * recipient) are freed; so are libc's (strdup). Whatever stays outstanding
 * at the end was allocated inside libmta.so.
 *
 *   store [MESSAGES]     default 20000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta.h"

static int deliver_message(unsigned long i)
{
	char *line = malloc(256);
	if (!line)
		return -1;
	snprintf(line, 256, "Subject: order %lu\n\nYour order %lu has shipped.", i, i);
	char *rcpt = strdup("customer@example.org");
	int rc = mta_submit(rcpt, line);
	free(rcpt);
	free(line);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	size_t sent = 0;
	for (unsigned long i = 1; i <= n; i++) {
		if (deliver_message(i) < 0)
			return 1;
		if (i % 100 == 0)
			sent += mta_flush();
	}
	sent += mta_flush();
	printf("store: %lu messages submitted, %zu delivered\n", n, sent);
	return 0;
}
