/*
 * wrapper_functions.h - which functions are allocator wrappers, by name.
 *
 * Some libraries export another project's allocation wrappers: libbfd
 * carries libiberty's xmalloc and xstrdup, so the assembler's own leaks
 * came out blamed on libbfd ("entered via xstrdup() from as"), and naming
 * libbfd a wrapper module (--wrapper) would hide libbfd's own leaks. A
 * wrapper function is the finer rule: a frame inside one counts as the
 * allocator, like a frame in libc, and the blame (module, entry point,
 * caller) goes to the code that called it. Only functions whose caller
 * owns the block they return belong here (xmalloc, g_malloc, PyMem_Malloc,
 * sqlite3_malloc, av_malloc, talloc_strdup...); a pool's allocator
 * (apr_palloc) does not, since the block belongs to the pool and so to
 * whoever made the pool.
 *
 * Decided by the analyzer from symbolized frames (blame.c), never by the
 * shim, which knows no names: so the rule applies to every trace, recorded
 * with or without --wrapper-function. A name is matched against the
 * frame's physical function (its ELF symbol, demangled and as linked),
 * since that is the frame that called the allocator.
 */
#ifndef HB_WRAPPER_FUNCTIONS_H
#define HB_WRAPPER_FUNCTIONS_H

#include <stddef.h>

/* Whether name is one of the built-in wrapper functions (an exact name). */
int wrapper_function_is_builtin(const char *name);

/* Whether a physical function, by its demangled name and its linkage name
 * (either may be NULL), is a wrapper: built in, or matching one of the
 * user's globs ('*', '?', the whole name). */
int wrapper_function_match(const char *const *globs, size_t nglobs, const char *function, const char *linkage);

/* Adds the comma-separated names of HEAPBLAME_WRAPPER_FUNCTIONS, if set,
 * to the list *v of *n names, reallocated with room for `room` more after
 * them. Returns 0, or -1 out of memory. The names live until the process
 * ends. */
int wrapper_functions_add_env(const char ***v, size_t *n, size_t room);

#endif
