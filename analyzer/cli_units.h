/*
 * cli_units.h - times and rates as people type them on a command line.
 *
 * A TIME (report and check's --at and --since) counts from the traced
 * process's start: "90s", "15m", "2h", "1h30m", "1.5s", "250ms", or a
 * plain number of seconds; with a leading '-' it counts back from the end
 * of the trace ("-10m"). A RATE (check --max-growth) is a size per unit
 * of time: "1MiB/h", "100KiB/min", "512KB/s", "2GiB/d"; sizes take
 * B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of
 * 1000), or none for bytes.
 */
#ifndef HB_CLI_UNITS_H
#define HB_CLI_UNITS_H

#include <stdint.h>

struct tm_window;

/* Parses TIME into ns and whether it counts from the end. Returns 0, or -1
 * after saying on stderr (as option opt) what is wrong. */
int cli_parse_time(const char *opt, const char *s, uint64_t *ns, int *from_end);

/* Parses RATE into bytes per hour. Returns 0, or -1 after saying why. */
int cli_parse_rate(const char *opt, const char *s, double *bytes_per_hour);

/* Sets w's --at (which 1) or --since (which 0) from TIME. 0 or -1. */
int cli_window_set(struct tm_window *w, int which, const char *opt, const char *s);

/* "0:00:04", "1:02:03", "3d 4:05:06": seconds as a clock reads; with
 * tenths ("0:00:00.5") below ten minutes when they are not 0. */
void cli_format_clock(char *out, unsigned long cap, double s);

/* "720 MiB/h", "-3.2 KiB/h", "0 B/h". */
void cli_format_rate(char *out, unsigned long cap, double bytes_per_hour);

#endif
