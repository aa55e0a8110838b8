/*
 * cli.c - one place for how heapblame speaks on stderr (see cli.h).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>

#include "term_escape.h"

/* Messages name paths and programs from traces: their control characters
 * are escaped (term_escape.h) before they reach the terminal. */
static void say(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "heapblame: %s: ", kind);
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);
	if (n >= 0)
		term_escape_write(stderr, msg, (size_t)n, 0);
	else
		fputs("(out of memory)", stderr);
	free(msg);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

void cli_warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn("%s", msg);
}
