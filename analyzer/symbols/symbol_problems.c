/*
 * symbol_problems.c - sentences about modules without usable symbols (see
 * symbol_problems.h).
 *
 * The symbolizer keeps one handle per recorded path and build-id, and
 * blame asks for one for every frame of an outstanding stack, symbolized
 * or not, so its handles are exactly the modules of the report's stacks.
 * Whether a file is missing or another build is known without opening its
 * DWARF (sym_module_found). Paths that are not absolute ("[unknown]", the
 * vDSO) were never looked for and are left out.
 */
#include "symbol_problems.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_path(const void *a, const void *b)
{
	return strcmp(sym_module_path(*(struct sym_module *const *)a), sym_module_path(*(struct sym_module *const *)b));
}

int symbol_problems(struct symbolizer *s, int sysroot, int for_check, void (*say)(void *ctx, const char *sentence),
		    void *ctx)
{
	size_t n = 0, cap = 0;
	struct sym_module **v = NULL;
	for (struct sym_module *m = sym_module_next(s, NULL); m; m = sym_module_next(s, m)) {
		if (sym_module_path(m)[0] != '/' || sym_module_found(m))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			struct sym_module **w = realloc(v, cap * sizeof(*w));
			if (!w) {
				free(v);
				return -1;
			}
			v = w;
		}
		v[n++] = m;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_path);
	const char *consequence = for_check ? "; suppressions and baseline sites that name its functions cannot match "
					      "its frames"
					    : "";
	for (size_t i = 0; i < n; i++) {
		char msg[4600], id[129];
		if (sym_module_status(v[i]) == SYM_MISMATCH) {
			sym_module_build_id_hex(v[i], id, sizeof(id));
			snprintf(msg, sizeof(msg),
				 "%s: the file found is another build than the traced one (build-id %s): not used, "
				 "offsets only (rebuilt since the trace was made?)%s",
				 sym_module_path(v[i]), id, consequence);
		} else {
			snprintf(msg, sizeof(msg), "%s: not found%s: offsets only%s", sym_module_path(v[i]),
				 sysroot ? " (nor under --sysroot)" : " (use --sysroot for traces from another machine)",
				 consequence);
		}
		say(ctx, msg);
	}
	free(v);
	return (int)n;
}
