/*
 * report_folded.c - `heapblame report --format folded`: one line per site,
 * frames outermost first separated by ';', then a space and the
 * outstanding bytes, as flamegraph.pl and speedscope read. Each frame is
 * "module`function" (or "module`+0xOFFSET" without symbols), so a flame
 * graph shows the module of every frame.
 */
#include <inttypes.h>
#include <stdio.h>

#include "report.h"

static void frame(FILE *f, const struct blame_frame *fr)
{
	/* ';' and ' ' would break the format: C++ names may hold spaces */
	fprintf(f, "%s`", fr->module ? fr->module : "?");
	if (fr->function) {
		for (const char *p = fr->function; *p; p++)
			fputc(*p == ';' ? ':' : *p == ' ' ? '_' : *p, f);
	} else {
		fprintf(f, "+0x%" PRIx64, fr->offset);
	}
}

int report_folded(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	(void)o;
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		for (size_t k = 0; k < m->nsites; k++) {
			const struct blame_site *s = &m->sites[k];
			for (size_t q = s->nframes; q-- > 0;) {
				frame(f, &s->frames[q]);
				if (q)
					fputc(';', f);
			}
			fprintf(f, " %" PRIu64 "\n", s->bytes);
		}
	}
	return 0;
}
