/*
 * suppressions.h - known leaks that `heapblame check` does not count.
 *
 * A suppression file holds one rule per line (docs/suppressions.md):
 *
 *   module:GLOB     allocations blamed on a module whose base name or path
 *                   matches GLOB ('*', '?'; "libfoo" also matches
 *                   libfoo.so.1, as --wrapper does)
 *   entry:FUNC      allocations whose entry point (the function through
 *                   which control came into the blamed module) matches
 *   site:FUNC       allocations with any frame whose function matches
 *   leak:PATTERN    LeakSanitizer's rule, with its meaning: PATTERN is
 *                   searched in the function, the source file and the
 *                   module (base name and path) of every frame; '*' is a
 *                   wildcard, '^' at the start and '$' at the end anchor it,
 *                   and anything else matches anywhere inside: so
 *                   leak:libc.so hides every stack that passes through
 *                   libc, which is nearly all of them
 *
 * FUNC is a glob on the demangled name; a C++ name also matches without its
 * parameter list (entry:Cache::put matches Cache::put(std::string const&)).
 * Blank lines and lines whose first non-blank character is '#' are
 * comments; leading and trailing blanks are ignored. Anything else is an
 * error that names the file and the line, so a typo never silently
 * suppresses nothing (or everything).
 *
 * A suppression applies to a whole site (one call stack of one module);
 * the first rule that matches gets the credit, and each rule counts the
 * leaked bytes and blocks it hid, so `--print-suppressions` can show them
 * and an unused rule can be reported.
 */
#ifndef HB_SUPPRESSIONS_H
#define HB_SUPPRESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "blame.h"

enum supp_type { SUPP_MODULE, SUPP_ENTRY, SUPP_SITE, SUPP_LEAK };

struct suppression {
	enum supp_type type;
	char *pattern;         /* after the "type:" prefix, trimmed */
	char *text;            /* the whole rule as written, trimmed */
	const char *file;      /* owned by the list */
	unsigned line;
	uint64_t bytes, blocks, sites; /* what it hid (filled by the caller) */
	int from_program;      /* from a trace's __lsan_default_suppressions(): no "unused" warning */
};

struct supp_list {
	struct suppression *v;
	size_t n, cap;
	char **files;
	size_t nfiles;
};

/* Reads a suppression file and appends its rules. Returns 0, or -1 with
 * "FILE: reason" (unreadable) or "FILE:LINE: reason" (a bad line) in err;
 * the rules read before the error stay in the list. */
int supp_load(struct supp_list *l, const char *path, char *err, size_t errlen);

/* Parses one line of file (at lineno) and appends its rule, if any. Returns
 * 0 (a rule, a comment or a blank line), -1 with the reason in err (no
 * "FILE:LINE: " prefix), or -2 out of memory. `file` must outlive l. */
int supp_parse_line(struct supp_list *l, const char *file, unsigned lineno, const char *line, char *err,
		    size_t errlen);

/* Appends the leak: rules of a program's __lsan_default_suppressions()
 * text (LeakSanitizer's format, one rule a line), under the name `name`
 * (copied). A line that is not a valid leak: rule is passed to warn (its
 * line number and why) and skipped: the program's own text cannot be
 * fixed by the user of check. Returns the rules added, or -1 out of
 * memory. */
int supp_add_program_text(struct supp_list *l, const char *name, const char *text,
			  void (*warn)(void *ctx, const char *msg), void *ctx);

void supp_free(struct supp_list *l);

/* Whether rule s matches site (NULL: the module's blocks whose stack is
 * unknown, which only a module: rule can match) of module m. */
int supp_matches(const struct suppression *s, const struct blame_module *m, const struct blame_site *site);

/* Index of the first rule matching, or -1. */
long supp_find(const struct supp_list *l, const struct blame_module *m, const struct blame_site *site);

/* LeakSanitizer's pattern rule on one string (see above). */
int supp_lsan_match(const char *pattern, const char *s);

/* A FUNC glob on a function name, with the C++ parameter list rule. */
int supp_function_match(const char *glob, const char *function);

const char *supp_type_name(enum supp_type t);

#endif
