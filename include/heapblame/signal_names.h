/*
 * signal_names.h - the signal-list syntax that HEAPBLAME_SIGNALS and
 * `heapblame run --signals` share: names with or without SIG, in any case
 * (TERM, SIGTERM, term), numbers, comma-separated, or "none". Header-only so that the
 * shim (which must not allocate while parsing) and the command accept
 * exactly the same lists.
 */
#ifndef HEAPBLAME_SIGNAL_NAMES_H
#define HEAPBLAME_SIGNAL_NAMES_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define HB_DEFAULT_SIGNALS "TERM,INT,HUP,QUIT,ABRT,SEGV,BUS,FPE,ILL"

/* Parses s. Returns 0 and sets *mask (bit n = signal n), or -1 when a name
 * is unknown or names SIGKILL/SIGSTOP (which cannot be caught). */
static inline int hb_parse_signal_list(const char *s, uint64_t *mask)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
		{"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
		{"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"XCPU", SIGXCPU},
		{"XFSZ", SIGXFSZ}, {"SYS", SIGSYS},
	};
	uint64_t m = 0;
	if (!*s || strcmp(s, "none") == 0) {
		*mask = 0;
		return 0;
	}
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
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
		if (sig <= 0 || sig == SIGKILL || sig == SIGSTOP)
			return -1;
		m |= 1ull << sig;
		s = comma ? comma + 1 : name + len;
	}
	*mask = m;
	return 0;
}

#endif
