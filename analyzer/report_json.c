/*
 * report_json.c - `heapblame report --format json`: the report for
 * scripts. The schema is versioned ("heapblame_report": 1) and documented
 * in docs/report-json.md; fields are only ever added within a version.
 * Strings are escaped per RFC 8259 (bytes that are not valid UTF-8 in a
 * path or a symbol are written as \u00XX of the byte, so the output is
 * always valid JSON); integers are exact.
 */
#include <inttypes.h>
#include <stdio.h>

#include "report.h"

static void jstr(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc((int)c, f);
	}
	fputc('"', f);
}

static const char *status_name(enum sym_status s)
{
	switch (s) {
	case SYM_OK: return "ok";
	case SYM_MISSING: return "missing";
	case SYM_MISMATCH: return "build-id mismatch";
	case SYM_NO_DEBUG: return "no debug info";
	}
	return "?";
}

int report_json(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	(void)o;
	fprintf(f, "{\n  \"heapblame_report\": 1,\n  \"traces\": [");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct blame_process *p = &r->procs[i];
		fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
		jstr(f, p->trace);
		fprintf(f, ", \"pid\": %" PRIu64 ", \"program\": ", p->pid);
		jstr(f, p->program);
		fprintf(f, ", \"end\": ");
		jstr(f, p->end);
		fprintf(f, "}");
	}
	fprintf(f,
		"\n  ],\n  \"totals\": {\"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64
		", \"replaced_by_exec_bytes\": %" PRIu64 ", \"replaced_by_exec_blocks\": %" PRIu64 "},\n",
		r->bytes, r->blocks, r->exec_bytes, r->exec_blocks);
	fprintf(f, "  \"modules\": [");
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		jstr(f, m->name);
		fprintf(f, ", \"path\": ");
		jstr(f, m->path);
		fprintf(f, ", \"build_id\": ");
		jstr(f, m->build_id);
		fprintf(f, ", \"symbols\": ");
		jstr(f, status_name(m->status));
		fprintf(f, ",\n     \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64 ", \"share\": %.6f,",
			m->bytes, m->blocks, r->bytes ? (double)m->bytes / (double)r->bytes : 0.0);
		fprintf(f, "\n     \"entry_points\": [");
		for (size_t k = 0; k < m->nentries; k++) {
			const struct blame_entry *e = &m->entries[k];
			fprintf(f, "%s\n       {\"function\": ", k ? "," : "");
			jstr(f, e->function);
			fprintf(f, ", \"exported\": %s, \"caller_module\": ", e->exported ? "true" : "false");
			jstr(f, e->caller_module);
			fprintf(f, ", \"caller_function\": ");
			jstr(f, e->caller_function);
			fprintf(f, ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 "}", e->bytes, e->blocks);
		}
		fprintf(f, "%s],\n     \"sites_total\": %zu,\n     \"sites\": [", m->nentries ? "\n     " : "",
			m->nsites_all);
		for (size_t k = 0; k < m->nsites; k++) {
			const struct blame_site *s = &m->sites[k];
			fprintf(f, "%s\n       {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"frames\": [", k ? "," : "",
				s->bytes, s->blocks);
			for (size_t q = 0; q < s->nframes; q++) {
				const struct blame_frame *fr = &s->frames[q];
				fprintf(f, "%s\n         {\"module\": ", q ? "," : "");
				jstr(f, fr->module);
				fprintf(f, ", \"function\": ");
				jstr(f, fr->function);
				fprintf(f, ", \"inlined\": %s, \"file\": ", fr->inlined ? "true" : "false");
				jstr(f, fr->file);
				if (fr->line)
					fprintf(f, ", \"line\": %d", fr->line);
				else
					fprintf(f, ", \"line\": null");
				fprintf(f, ", \"offset\": %" PRIu64 "}", fr->offset);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "%s]}", m->nsites ? "\n     " : "");
	}
	fprintf(f, "\n  ],\n  \"processes\": [");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct blame_process *p = &r->procs[i];
		fprintf(f, "%s\n    {\"pid\": %" PRIu64 ", \"program\": ", i ? "," : "", p->pid);
		jstr(f, p->program);
		fprintf(f, ", \"trace\": ");
		jstr(f, p->trace);
		fprintf(f, ", \"end\": ");
		jstr(f, p->end);
		fprintf(f, ", \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64 ", \"modules\": [",
			p->bytes, p->blocks);
		for (size_t k = 0; k < p->nmods; k++) {
			fprintf(f, "%s{\"name\": ", k ? ", " : "");
			jstr(f, p->mods[k].name);
			fprintf(f, ", \"path\": ");
			jstr(f, p->mods[k].path);
			fprintf(f, ", \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64 "}",
				p->mods[k].bytes, p->mods[k].blocks);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ]\n}\n");
	return 0;
}
