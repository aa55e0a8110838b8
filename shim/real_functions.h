/*
 * real_functions.h - the functions the shim stands in front of, and the
 * start-up that finds them.
 *
 * The real allocator and the process calls the shim wraps (exec, exit,
 * dlclose, unshare, sigaction, ...) come from dlsym(RTLD_NEXT), which works
 * over glibc and over an allocator linked into the program (jemalloc,
 * tcmalloc). Until they are known, allocations come from the bootstrap
 * pool (bootstrap.h). The first allocator call resolves them
 * (hb_resolve), then hb_early_init in lifecycle.c makes the tables; a fork
 * child's first call sets its state up (hb_child_setup). hb_should_trace
 * is what every entry point asks first.
 */
#ifndef HB_REAL_FUNCTIONS_H
#define HB_REAL_FUNCTIONS_H

#include <signal.h>
#include <stddef.h>

#include "shim.h"

struct hb_real {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void (*cfree)(void *);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	void (*exit_)(int);
	void (*_exit_)(int);
	void (*_Exit_)(int);
	void (*quick_exit_)(int);
	int (*dlclose)(void *);
	int (*unshare)(int);
	int (*setns)(int, int);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	sighandler_t (*signal)(int, sighandler_t);
	int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
			       void (*)(void), void *);
};

/* The next definition of name after the shim's: dlsym(RTLD_NEXT). */
void *hb_real_next(const char *name) HB_HIDDEN;

/* Filled by hb_resolve; NULL entries until then. */
extern struct hb_real real HB_HIDDEN;

/* The slow path of hb_should_trace: start-up, or a fork child's first call. */
int hb_should_trace_slow(void) HB_HIDDEN;

/* Whether this call is to be traced: the shim is active and the thread is
 * not inside it. One load of hb.state and the TLS busy byte when active. */
static inline int hb_should_trace(void)
{
	if (HB_LIKELY(hb.state == HB_ACTIVE))
		return !hb_tls.busy;
	return hb_should_trace_slow();
}

#endif
