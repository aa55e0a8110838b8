/*
 * output_path.h - where a trace goes: HEAPBLAME_OUTPUT expanded.
 *
 * The value is a directory (an existing one, or any value ending in '/'),
 * in which the default name heapblame.%e.%p.hbt is used, or a pattern. In a
 * pattern %p is the pid, %e the program's name (the base name of its
 * argv[0], as `ps` shows it) and %% a percent sign. When the name is taken (a pattern without %p, an
 * exec that keeps the pid and the name), attempt n > 0 inserts ".n" before
 * a ".hbt" suffix, or appends it.
 */
#ifndef HB_OUTPUT_PATH_H
#define HB_OUTPUT_PATH_H

#include <stddef.h>
#include <sys/types.h>

#define HB_DEFAULT_TRACE_NAME "heapblame.%e.%p.hbt"

/* Writes the path to out. Returns 0, or -1 when it does not fit in cap. */
int hb_output_path(char *out, size_t cap, const char *pattern, int is_dir, pid_t pid, const char *prog,
		   unsigned attempt);

#endif
