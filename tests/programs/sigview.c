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
 *
 * With "all" it goes through every signal from 1 to SIGRTMAX that a
 * program may handle (not KILL, STOP, nor glibc's own 32 and 33): prints
 * its disposition as sigaction() reports it, installs a handler of its own
 * (with sigaction, or, for every third signal, with sigset(), which glibc
 * implements without calling the exported sigaction), raises it, prints
 * whether the handler ran, and asks again. The shim puts a flush handler
 * on most of them; none of that may show.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t got_int;

static const char *disp(void (*h)(int))
{
	return h == SIG_DFL ? "default" : h == SIG_IGN ? "ignored" : "handler";
}
static volatile sig_atomic_t got_sig;

static void on_any(int sig)
{
	got_sig = sig;
}

/* The "all" walk (see the file comment). */
static void view_all(void)
{
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig < SIGRTMIN))
			continue;
		struct sigaction sa;
		sigaction(sig, NULL, &sa);
		const char *before = sa.sa_flags & SA_SIGINFO ? "handler" : disp(sa.sa_handler);
		got_sig = 0;
		const char *how = sig % 3 ? "sigaction" : "sigset";
		if (sig % 3) {
			struct sigaction own;
			memset(&own, 0, sizeof(own));
			own.sa_handler = on_any;
			sigaction(sig, &own, NULL);
		} else {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
			sigset(sig, on_any); /* old, but programs still call it */
#pragma GCC diagnostic pop
		}
		raise(sig);
		sigaction(sig, NULL, &sa);
		printf("signal %d was %s; own handler (%s) ran %s; now %s\n", sig, before, how,
		       got_sig == sig ? "yes" : "no", sa.sa_handler == on_any ? "own" : disp(sa.sa_handler));
	}
}

static void on_int(int sig)
{
	(void)sig;
	got_int = 1;
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
	if (argc > 1 && strcmp(argv[1], "all") == 0)
		view_all();
	if (argc > 1 && strcmp(argv[1], "term") == 0) {
		volatile char *leak = malloc(4321);
		leak[0] = 1;
		raise(SIGTERM);
	}
	return 0;
}
