/*
 * sigview.c - what a program sees of signal dispositions, and a signal it
 * handles itself.
 *
 * Prints the disposition of SIGTERM and SIGINT as sigaction() and signal()
 * report them (the shim's flush handlers must look like SIG_DFL), installs
 * its own SIGINT handler, raises SIGINT, and prints whether the handler
 * ran. Then, if argv[1] is "term", it leaks a block and raises SIGTERM,
 * which it leaves at the default: the process dies of it (and under the
 * shim the trace must still end with "signal 15").
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t got_int;

static void on_int(int sig)
{
	(void)sig;
	got_int = 1;
}

static const char *disp(void (*h)(int))
{
	return h == SIG_DFL ? "default" : h == SIG_IGN ? "ignored" : "handler";
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigaction(SIGTERM, NULL, &sa);
	printf("sigaction TERM %s\n", disp(sa.sa_handler));
	void (*prev)(int) = signal(SIGINT, on_int);
	printf("signal INT was %s\n", disp(prev));
	raise(SIGINT);
	printf("own INT handler ran %s\n", got_int ? "yes" : "no");
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "term") == 0) {
		volatile char *leak = malloc(4321);
		leak[0] = 1;
		raise(SIGTERM);
	}
	return 0;
}
