/*
 * cli.h - what every heapblame command shares: exit codes, messages.
 *
 * Exit codes (documented in `heapblame --help` and README.md):
 *   0  success (check: within budget)
 *   1  check: leaks over budget
 *   2  usage error, or input that cannot be used (missing, not a trace)
 * `run` passes the program's own status through instead (128+N for a
 * program killed by signal N, as shells report it).
 *
 * Messages go to stderr as "heapblame: error: ..." or "heapblame: warning:
 * ...", one line each, so that scripts can grep them and people can read
 * them.
 */
#ifndef HB_CLI_H
#define HB_CLI_H

#include <stdio.h>

#define HB_EXIT_OK 0
#define HB_EXIT_LEAKS 1
#define HB_EXIT_USAGE 2

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For trace_reader's warn callback. */
void cli_warn_cb(void *ctx, const char *msg);

/* Commands. Each parses its own options and returns an exit code. */
int cmd_run(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* The shim to preload: HEAPBLAME_SHIM, else next to this executable in the
 * build tree, else the installed copy. Returns 0 and the path, or -1. */
int shim_locate(char *out, size_t cap);

#endif
