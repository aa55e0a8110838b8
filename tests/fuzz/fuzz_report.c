/*
 * fuzz_report.c - libFuzzer target: a trace, from its bytes to the report.
 *
 * The input is a trace file. It is loaded as `heapblame report` loads one
 * (tm_load: the block reader, the record decoders, the replay into the
 * model), then blamed (blame_build: modules, entry points, sites, growth,
 * the timeline) and rendered as text, JSON and folded stacks into
 * /dev/null (not pprof yet: its memcpy from NULL for a site without
 * frames is a known finding of issue 10, fixed on its own). The
 * symbolizer is offline (sym_new_offline): the modules a trace names are
 * real files of the machine that recorded it, and opening them cost 10 ms
 * an input; what is fuzzed is the trace. trace_mutator.c, linked in,
 * keeps the mutations behind the checksums. The seeds are real traces
 * (tests/fuzz/make_seeds.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blame.h"
#include "fuzz_input.h"
#include "report.h"
#include "symbolizer.h"
#include "trace_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_warning(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	const char *path = fuzz_input_path(data, size);
	struct tm_model m;
	memset(&m, 0, sizeof(m));
	struct tm_window w;
	memset(&w, 0, sizeof(w));
	char err[1024];
	if (tm_load(&m, path, &w, ignore_warning, NULL, err, sizeof(err)) == 0) {
		struct symbolizer *s = sym_new_offline();
		struct blame_report r;
		memset(&r, 0, sizeof(r));
		struct blame_options bo;
		memset(&bo, 0, sizeof(bo));
		bo.top = 5;
		if (s && blame_build(&r, &m, s, &bo) == 0) {
			struct report_options ro = {.by = REPORT_BY_MODULE, .top = 5};
			report_text(sink, &r, &ro);
			report_json(sink, &r, &ro);
			report_folded(sink, &r, &ro);
			blame_free(&r);
		}
		sym_free(s);
	}
	tm_free(&m);
	return 0;
}
