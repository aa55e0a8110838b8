/*
 * symbol_problems.h - the modules whose symbols could not be used, said in
 * one sentence each, the same way by `report` and `check`.
 *
 * Two problems make a module's frames offsets only: its file is not found
 * (at its recorded path, nor under --sysroot), or the file found is another
 * build than the one traced (its build-id differs: the binary was rebuilt
 * after the trace was made, and its symbols would name the wrong
 * functions). For `report` that is a warning. For `check` it also changes
 * what matches: suppressions (entry:, site:, leak:) and baseline sites name
 * functions, and a frame without a function matches none of them, so a
 * rebuilt module's known leaks come back as new ones; check says so on
 * stderr and in a note of its result.
 */
#ifndef HB_SYMBOL_PROBLEMS_H
#define HB_SYMBOL_PROBLEMS_H

#include <stddef.h>

#include "symbolizer.h"

/* Calls say(ctx, sentence) once per module of s (every module that a
 * symbolized frame was in) whose file is missing or another build, in the
 * order of their paths. sysroot: whether --sysroot was given (the missing
 * sentence suggests it otherwise). for_check: add what it means for
 * suppressions and baselines. Returns how many, or -1 out of memory. */
int symbol_problems(struct symbolizer *s, int sysroot, int for_check, void (*say)(void *ctx, const char *sentence),
		    void *ctx);

#endif
