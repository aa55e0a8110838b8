/*
 * config.h - the shim's settings, read once from the environment.
 *
 * Every knob is an environment variable so that `heapblame run` and a bare
 * LD_PRELOAD behave the same. Parsing is pure (no allocation, no globals),
 * so it can run inside the first malloc call and be unit-tested.
 *
 *   HEAPBLAME_OUTPUT       directory, or pattern with %p (pid), %e (program
 *                          name), %% ; default ./heapblame.%e.%p.hbt
 *   HEAPBLAME_DEPTH        frames kept per stack, 1..256, default 64
 *   HEAPBLAME_INTERVAL_MS  flush period, 10..3600000, default 1000
 *   HEAPBLAME_WRAPPERS     comma-separated module names or globs that are
 *                          allocator wrappers (never blamed), e.g. libglib*
 *   HEAPBLAME_FOLLOW       0: do not trace fork children or exec'd programs
 *   HEAPBLAME_SIGNALS      signals that flush the trace before the process
 *                          dies of them: names or numbers, comma-separated,
 *                          "fatal" (every signal whose default action ends
 *                          the process: signal_names.h), or "none";
 *                          default fatal
 *   HEAPBLAME_ZSTD_LEVEL   zstd level of trace blocks, 1..19, default 3
 *   HEAPBLAME_UNWIND       fast (default), libunwind, or verify (both, and
 *                          a count of differences on stderr at exit)
 *   HEAPBLAME_LEAK_SCAN    0 turns off the exit-time reachability scan
 *                          (default 1: see leak_scan.h)
 *   HEAPBLAME_MANIFEST     a file to which each trace's path is appended
 *                          (used by `heapblame run` to say where traces went)
 */
#ifndef HB_CONFIG_H
#define HB_CONFIG_H

#include <stdint.h>

#define HB_DEPTH_MAX 256

struct hb_config {
	const char *output;    /* NULL: default */
	const char *wrappers;  /* NULL: none */
	const char *manifest;  /* NULL: none */
	unsigned depth;
	unsigned interval_ms;
	int follow;
	int leak_scan;         /* 1: classify outstanding blocks at a normal exit */
	int zstd_level;
	int unwind;            /* 0 fast, 1 libunwind, 2 verify (enum hb_unwind_mode) */
	uint64_t signals;      /* bit n set: flush on signal n */
	uint64_t sample_bytes; /* 0: every allocation; else the mean bytes between samples (sampler.h) */
	uint64_t sample_seed;  /* the samplers' seed: HEAPBLAME_SAMPLE_SEED, else a random one at start */
	int bad;               /* count of values that did not parse (defaults used) */
	char bad_names[160];   /* their variable names, comma-separated */
	/* copies of the strings above (the environment may be overwritten) */
	char output_buf[4096];
	char wrappers_buf[1024];
	char manifest_buf[4096];
};

/* Fills c from getenv-like lookups. env(name) returns the value or NULL. */
void hb_config_read(struct hb_config *c, const char *(*env)(const char *name));

/* Parses a signal list ("TERM,INT,11", "none"). Returns 0 and sets *mask,
 * or -1 on an unknown name. Exposed for tests. */
int hb_config_parse_signals(const char *s, uint64_t *mask);

#endif
