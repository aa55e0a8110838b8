/*
 * fuzz_trace.c - libFuzzer target: a trace, from its bytes to the model.
 *
 * The input is a trace file. It is loaded as every command loads one
 * (tm_load: the block reader with its checksums, zstd and resync, the
 * record decoders, the replay into the model), in full and, one input in
 * four, again through the window the input's size picks (--at or --since,
 * from the start or from the end), and what the model holds is read back as the commands
 * read it. trace_mutator.c, linked in, keeps the mutations behind the
 * checksums. fuzz_report.c goes on from the model to the blame and the
 * reports; this target stops at the model, so that it runs several
 * times faster, which is what a campaign of 10 M inputs needs. The seeds
 * are real traces (tests/fuzz/make_seeds.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "trace_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_warning(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static void load(const char *path, const struct tm_window *w)
{
	struct tm_model m;
	memset(&m, 0, sizeof(m));
	char err[1024];
	if (tm_load(&m, path, w, ignore_warning, NULL, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < m.nprocs; i++) {
			const struct tm_process *p = &m.procs[i];
			tm_scan_name(p);
			tm_scanned(p);
			for (size_t s = 0; s < p->nstacks; s++)
				if (p->stacks[s])
					for (uint32_t f = 0; f < p->stacks[s]->depth; f++)
						tm_module_of(p, p->stacks[s]->frame_module[f]);
		}
	}
	tm_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
	struct tm_window w;
	memset(&w, 0, sizeof(w));
	load(path, &w);
	/* one input in four again through a window: the size's bits pick
	 * which, from the start or the end, and a time of 0 to 3 s */
	if (size & 3)
		return 0;
	w.has_at = (size >> 2) & 1;
	w.has_since = !w.has_at;
	w.at_from_end = w.since_from_end = (size >> 3) & 1;
	w.at_ns = w.since_ns = (uint64_t)((size >> 4) & 3) * 1000000000u;
	load(path, &w);
	return 0;
}
