/*
 * fuzz_units.c - libFuzzer target: the option parsers for sizes, times
 * and rates, as the command line hands them a string.
 *
 * The input's first byte picks an option, the rest is its argument (up to
 * a NUL, as argv gives it): check's --max-bytes and --max-blocks (sizes),
 * --at and --since (times), --max-growth (a rate) and --kinds, through
 * check_options_set as `check` and `run --check` call it; then
 * cli_parse_time and cli_parse_rate directly, and what they parsed is
 * formatted back (cli_format_clock, cli_format_rate), so extreme values
 * reach the formatters too. Their error messages go to stderr:
 * scripts/fuzz runs the targets with -close_fd_mask=3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_options.h"
#include "cli_units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int option_ids[] = {
	CHECK_OPT_MAX_BYTES, CHECK_OPT_MAX_BLOCKS, CHECK_OPT_AT, CHECK_OPT_SINCE, CHECK_OPT_MAX_GROWTH, CHECK_OPT_KINDS,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *arg = malloc(size);
	if (!arg)
		return 0;
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	struct check_options o;
	if (check_options_init(&o, 1) == 0) {
		int id = option_ids[data[0] % (sizeof(option_ids) / sizeof(option_ids[0]))];
		check_options_set(&o, id, arg);
		check_options_free(&o);
	}
	char out[128];
	uint64_t ns;
	int from_end;
	if (cli_parse_time("--at", arg, &ns, &from_end) == 0)
		cli_format_clock(out, sizeof(out), (double)ns / 1e9 * (from_end ? -1 : 1));
	double rate;
	if (cli_parse_rate("--max-growth", arg, &rate) == 0)
		cli_format_rate(out, sizeof(out), rate);
	free(arg);
	return 0;
}
