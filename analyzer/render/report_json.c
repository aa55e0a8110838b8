/*
 * report_json.c - `heapblame report --format json`: the report for
 * scripts. The schema is versioned ("heapblame_report": 2) and documented
 * in docs/report-json.md; fields are only ever added within a version.
 * Strings are escaped per RFC 8259 (bytes that are not valid UTF-8 in a
 * path or a symbol are written as \u00XX of the byte, so the output is
 * always valid JSON: json_out.c); integers are exact. Every level carries
 * its memory by leak kind (`definite_bytes`, ... `unclassified_blocks`),
 * and `check --baseline` reads this document back (baseline.c).
 */
#include <inttypes.h>
#include <stdio.h>

#include "json_out.h"
#include "report.h"

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

void report_json_traces(FILE *f, const struct blame_report *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct blame_process *p = &r->procs[i];
		fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
		json_out_str(f, p->trace);
		fprintf(f, ", \"pid\": %" PRIu64 ", \"program\": ", p->pid);
		json_out_str(f, p->program);
		fprintf(f, ", \"exe\": ");
		json_out_str(f, p->exe);
		fprintf(f, ", \"end\": ");
		json_out_str(f, p->end);
		fprintf(f, ", \"scan\": ");
		json_out_str(f, p->scan);
		fprintf(f, ", \"sample_bytes\": %" PRIu64 "}", p->sample_bytes);
	}
}

/* "window" and "timeline": the time a report covers and its modules' lines. */
static void report_json_timeline(FILE *f, const struct blame_report *r)
{
	const struct blame_timeline *t = &r->timeline;
	fprintf(f, "  \"timeline\": {\"t_s\": [");
	for (size_t k = 0; k < t->n; k++)
		fprintf(f, "%s%.3f", k ? ", " : "", t->t_s[k]);
	fprintf(f, "],\n    \"modules\": [");
	for (size_t i = 0; i < t->nmods; i++) {
		const struct blame_timeline_module *m = &t->mods[i];
		fprintf(f, "%s\n      {\"name\": ", i ? "," : "");
		json_out_str(f, m->name);
		fprintf(f, ", \"path\": ");
		json_out_str(f, m->path);
		fprintf(f, ", \"peak_bytes\": %.0f, \"growth\": ", m->peak);
		json_out_growth(f, &m->growth);
		fprintf(f, ",\n       \"bytes\": [");
		for (size_t k = 0; k < t->n; k++)
			fprintf(f, "%s%.0f", k ? ", " : "", m->bytes[k]);
		fprintf(f, "]}");
	}
	fprintf(f, "%s]}", t->nmods ? "\n    " : "");
}

static void json_out_time(FILE *f, int has, double s)
{
	if (has)
		fprintf(f, "%.3f", s);
	else
		fprintf(f, "null");
}

int report_json(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	(void)o;
	fprintf(f, "{\n  \"heapblame_report\": 2,\n  \"window\": {\"at_s\": ");
	json_out_time(f, r->has_at, r->at_s);
	fprintf(f, ", \"since_s\": ");
	json_out_time(f, r->has_since, r->since_s);
	fprintf(f, "},\n  \"traces\": [");
	report_json_traces(f, r);
	fprintf(f,
		"\n  ],\n  \"totals\": {\"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64
		", \"replaced_by_exec_bytes\": %" PRIu64 ", \"replaced_by_exec_blocks\": %" PRIu64,
		r->bytes, r->blocks, r->exec_bytes, r->exec_blocks);
	json_out_kinds(f, &r->kinds);
	fprintf(f, "},\n");
	fprintf(f, "  \"modules\": [");
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_out_str(f, m->name);
		fprintf(f, ", \"path\": ");
		json_out_str(f, m->path);
		fprintf(f, ", \"build_id\": ");
		json_out_str(f, m->build_id);
		fprintf(f, ", \"symbols\": ");
		json_out_str(f, status_name(m->status));
		fprintf(f, ",\n     \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64 ", \"share\": %.6f",
			m->bytes, m->blocks, r->bytes ? (double)m->bytes / (double)r->bytes : 0.0);
		json_out_kinds(f, &m->kinds);
		fprintf(f, ",\n     \"growth\": ");
		json_out_growth(f, &m->growth);
		fprintf(f, ",\n     \"entry_points\": [");
		for (size_t k = 0; k < m->nentries; k++) {
			const struct blame_entry *e = &m->entries[k];
			fprintf(f, "%s\n       {\"function\": ", k ? "," : "");
			json_out_str(f, e->function);
			fprintf(f, ", \"exported\": %s, \"caller_module\": ", e->exported ? "true" : "false");
			json_out_str(f, e->caller_module);
			fprintf(f, ", \"caller_function\": ");
			json_out_str(f, e->caller_function);
			fprintf(f, ", \"truncated\": %s", e->cut_at ? "true" : "false");
			fprintf(f, ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64, e->bytes, e->blocks);
			json_out_kinds(f, &e->kinds);
			fprintf(f, "}");
		}
		fprintf(f, "%s],\n     \"sites_total\": %zu,\n     \"sites\": [", m->nentries ? "\n     " : "",
			m->nsites_all);
		for (size_t k = 0; k < m->nsites; k++) {
			const struct blame_site *s = &m->sites[k];
			fprintf(f, "%s\n       {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64, k ? "," : "", s->bytes,
				s->blocks);
			json_out_kinds(f, &s->kinds);
			fprintf(f, ", \"growth\": ");
			json_out_growth(f, &s->growth);
			fprintf(f, ", \"truncated\": %s, \"blamed_frame\": %zu, \"wrapper\": ", s->cut_at ? "true" : "false",
				s->blamed);
			json_out_str(f, s->wrapper);
			fprintf(f, ", \"wrapper_module\": ");
			json_out_str(f, s->wrapper_module);
			fprintf(f, ", \"frames\": [");
			for (size_t q = 0; q < s->nframes; q++) {
				const struct blame_frame *fr = &s->frames[q];
				fprintf(f, "%s\n         ", q ? "," : "");
				json_out_frame(f, fr);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "%s]}", m->nsites ? "\n     " : "");
	}
	fprintf(f, "\n  ],\n  \"processes\": [");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct blame_process *p = &r->procs[i];
		fprintf(f, "%s\n    {\"pid\": %" PRIu64 ", \"program\": ", i ? "," : "", p->pid);
		json_out_str(f, p->program);
		fprintf(f, ", \"exe\": ");
		json_out_str(f, p->exe);
		fprintf(f, ", \"trace\": ");
		json_out_str(f, p->trace);
		fprintf(f, ", \"end\": ");
		json_out_str(f, p->end);
		fprintf(f, ", \"scan\": ");
		json_out_str(f, p->scan);
		fprintf(f, ", \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64, p->bytes,
			p->blocks);
		json_out_kinds(f, &p->kinds);
		if (p->fork_merged)
			fprintf(f, ", \"inherited_counted_in_parent\": {\"parent_pid\": %" PRIu64 ", \"bytes\": %" PRIu64
				", \"blocks\": %" PRIu64 "}", p->parent_pid, p->inherited_bytes, p->inherited_blocks);
		fprintf(f, ", \"modules\": [");
		for (size_t k = 0; k < p->nmods; k++) {
			fprintf(f, "%s{\"name\": ", k ? ", " : "");
			json_out_str(f, p->mods[k].name);
			fprintf(f, ", \"path\": ");
			json_out_str(f, p->mods[k].path);
			fprintf(f, ", \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64,
				p->mods[k].bytes, p->mods[k].blocks);
			json_out_kinds(f, &p->mods[k].kinds);
			fprintf(f, "}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n");
	report_json_timeline(f, r);
	fprintf(f, "\n}\n");
	return 0;
}
