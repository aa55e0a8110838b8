/*
 * signal_names.h - the signal-list syntax that HEAPBLAME_SIGNALS and
 * `heapblame run --signals` share: names with or without SIG, in any case
 * (TERM, SIGTERM, term), numbers, comma-separated, "fatal" (every signal
 * whose default action ends the process: the default), or "none".
 * Header-only so that the shim (which must not allocate while parsing) and
 * the command accept exactly the same lists.
 *
 * "fatal" is the set signal(7) gives the default action Term or Core: HUP
 * INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM TERM STKFLT XCPU
 * XFSZ VTALRM PROF IO PWR SYS, and the real-time signals from SIGRTMIN to
 * 63. It is computed, not listed by hand, in one place (hb_signals_fatal).
 * Never in any list: KILL and STOP (they cannot be caught), the signals
 * whose default is to be ignored or to stop (CHLD, CONT, URG, WINCH, TSTP,
 * TTIN, TTOU: a handler there would change what the program sees), and the
 * numbers from 32 to SIGRTMIN - 1, which glibc keeps for itself (32
 * SIGCANCEL for pthread_cancel, 33 SIGSETXID for setuid in every thread).
 * Signal 64 (SIGRTMAX) does not fit the mask and is left alone.
 */
#ifndef HEAPBLAME_SIGNAL_NAMES_H
#define HEAPBLAME_SIGNAL_NAMES_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define HB_DEFAULT_SIGNALS "fatal"

/* Bit n: signal n ends the process by default (Term or Core). SIGRTMIN is
 * asked of the C library (a call, no allocation): glibc's first free
 * real-time signal. */
static inline uint64_t hb_signals_fatal(void)
{
	static const int classic[] = {
		SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT,   SIGBUS,  SIGFPE,  SIGUSR1, SIGSEGV, SIGUSR2,
		SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
	};
	uint64_t m = 0;
	for (size_t i = 0; i < sizeof(classic) / sizeof(classic[0]); i++)
		m |= 1ull << classic[i];
	for (int sig = SIGRTMIN; sig < 64; sig++)
		m |= 1ull << sig;
	return m;
}

/* Whether signal n (1..63) may be named: catchable, and not one glibc
 * keeps (32 .. SIGRTMIN - 1). */
static inline int hb_signal_nameable(int sig)
{
	return sig > 0 && sig < 64 && sig != SIGKILL && sig != SIGSTOP && !(sig >= 32 && sig < SIGRTMIN);
}

/* Parses s. Returns 0 and sets *mask (bit n = signal n), or -1 when a name
 * is unknown, or names SIGKILL/SIGSTOP (which cannot be caught) or a
 * signal glibc keeps for itself (32, 33); *mask is then left alone. */
static inline int hb_parse_signal_list(const char *s, uint64_t *mask)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
		{"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
		{"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"XCPU", SIGXCPU},
		{"XFSZ", SIGXFSZ}, {"SYS", SIGSYS},   {"STKFLT", SIGSTKFLT}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
		{"IO", SIGIO},     {"POLL", SIGPOLL}, {"PWR", SIGPWR},
	};
	uint64_t m = 0;
	if (!*s || strcmp(s, "none") == 0) {
		*mask = 0;
		return 0;
	}
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (len == 5 && strncasecmp(s, "fatal", 5) == 0) {
			m |= hb_signals_fatal();
			s += len + (comma != NULL);
			continue;
		}
		const char *name = s;
		if (len > 3 && strncasecmp(name, "SIG", 3) == 0) {
			name += 3;
			len -= 3;
		}
		int sig = 0;
		if (len && name[0] >= '0' && name[0] <= '9') {
			for (size_t i = 0; i < len; i++) {
				if (name[i] < '0' || name[i] > '9')
					return -1;
				sig = sig * 10 + (name[i] - '0');
				if (sig > 63)
					return -1;
			}
		} else {
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0)
					sig = names[i].sig;
		}
		if (!hb_signal_nameable(sig))
			return -1;
		m |= 1ull << sig;
		s = comma ? comma + 1 : name + len;
	}
	*mask = m;
	return 0;
}

#endif
