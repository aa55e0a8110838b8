/*
 * fuzz_input.h - a fuzz input as a file, for the parts of the analyzer
 * that read files by path (the trace reader, suppression files, baselines).
 *
 * The input is written to one memfd, made once per process and truncated
 * for every input, and named by /proc/self/fd/N: no directory to clean
 * up, no disk touched, and each open of the path starts at offset 0 with
 * its own file position, as the commands' fopen does. So the code fuzzed is
 * the commands' own, path and all.
 */
#ifndef HB_FUZZ_INPUT_H
#define HB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The path of a file holding exactly data[0..size). Aborts (a broken
 * harness, not a finding) when the memfd cannot be made or written. */
const char *fuzz_input_path(const uint8_t *data, size_t size);

#endif
