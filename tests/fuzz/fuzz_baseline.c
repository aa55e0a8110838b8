/*
 * fuzz_baseline.c - libFuzzer target: a baseline, the JSON report that
 * `check --baseline FILE` reads.
 *
 * The input is the file. baseline_load reads it as check does (the JSON
 * parser, then the report's schema: modules, sites, their kinds), for
 * the kinds the input's length picks, so every mask is reached; then a
 * module and a site are looked up in what it read, as the gate does. The
 * seeds are real reports (tests/fuzz/make_seeds.sh) and the hand-written
 * ones in tests/fuzz/seeds/baseline/.
 */
#include <stdint.h>
#include <string.h>

#include "baseline.h"
#include "fuzz_input.h"
#include "leak_kind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
	struct baseline b;
	memset(&b, 0, sizeof(b));
	char err[1024];
	unsigned kinds = (unsigned)(size % (1u << LEAK_KIND_COUNT));
	if (baseline_load(&b, path, kinds, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < b.nmods; i++) {
			struct baseline_module *m = baseline_module(&b, b.mods[i].name);
			if (m && m->nsites)
				baseline_site(m, m->sites[m->nsites - 1].key);
		}
		baseline_module(&b, "libc.so.6");
	}
	baseline_free(&b);
	return 0;
}
