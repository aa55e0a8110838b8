/*
 * gate_json.c - `heapblame check --format json`: the verdict for scripts.
 * Versioned ("heapblame_check": 1) and documented in docs/check.md; like
 * the report's schema, fields are only ever added within a version. Sites
 * are listed when they leaked (counted kinds), whether they were counted,
 * suppressed or allowed by the baseline, each saying which; frames are
 * the report's frame objects. "growth" lists the modules growing faster
 * than --max-growth (none without it), and "window" the --at and --since
 * the traces were read with, as in the report.
 */
#include <inttypes.h>

#include "gate.h"
#include "json_out.h"
#include "report.h"

static void budget_field(FILE *f, const char *name, uint64_t v)
{
	if (v == GATE_UNLIMITED)
		fprintf(f, "\"%s\": null", name);
	else
		fprintf(f, "\"%s\": %" PRIu64, name, v);
}

static const char *base_name(enum gate_base_match b)
{
	return b == GATE_BASE_SITE ? "site" : b == GATE_BASE_POOL ? "module" : NULL;
}

static void site_json(FILE *f, const struct gate_site *gs, const struct supp_list *supp)
{
	fprintf(f, "{\"counted_bytes\": %" PRIu64 ", \"counted_blocks\": %" PRIu64 ", \"leaked_bytes\": %" PRIu64
		   ", \"leaked_blocks\": %" PRIu64,
		gs->new_bytes, gs->new_blocks, gs->leaked_bytes, gs->leaked_blocks);
	json_out_kinds(f, &gs->kinds);
	fprintf(f, ",\n         \"suppressed_by\": ");
	if (gs->suppressed >= 0 && supp) {
		const struct suppression *s = &supp->v[gs->suppressed];
		fprintf(f, "{\"file\": ");
		json_out_str(f, s->file);
		fprintf(f, ", \"line\": %u, \"rule\": ", s->line);
		json_out_str(f, s->text);
		fprintf(f, "}");
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ", \"baseline\": ");
	json_out_str(f, base_name(gs->base));
	fprintf(f, ", \"baseline_bytes\": %" PRIu64 ", \"baseline_blocks\": %" PRIu64 ", \"entry\": ", gs->base_bytes,
		gs->base_blocks);
	json_out_str(f, gs->site ? gs->site->entry : NULL);
	fprintf(f, ",\n         \"frames\": [");
	for (size_t q = 0; gs->site && q < gs->site->nframes; q++) {
		fprintf(f, "%s\n           ", q ? "," : "");
		json_out_frame(f, &gs->site->frames[q]);
	}
	fprintf(f, "]}");
}

/* "growth": the limit, and the modules over it, fastest first. */
static void growth_json(FILE *f, const struct gate_result *g)
{
	fprintf(f, "  \"growth\": {\"max_bytes_per_hour\": ");
	if (g->with_growth)
		fprintf(f, "%.0f", g->max_growth);
	else
		fprintf(f, "null");
	fprintf(f, ", \"modules\": [");
	for (size_t i = 0; i < g->ngrowing; i++) {
		const struct gate_growth *gg = &g->growing[i];
		const struct growth *x = &gg->mod->growth;
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_out_str(f, gg->mod->name);
		fprintf(f, ", \"path\": ");
		json_out_str(f, gg->mod->path);
		fprintf(f, ", \"class\": \"%s\", \"bytes_per_hour\": %.0f, \"since_s\": %.3f, \"entry\": ",
			growth_class_name(x->cls), x->bytes_per_hour, x->since_s);
		json_out_str(f, gg->entry ? gg->entry->function : gg->site ? gg->site->entry : NULL);
		fprintf(f, "}");
	}
	fprintf(f, "%s]},\n", g->ngrowing ? "\n  " : "");
}

static void time_field(FILE *f, const char *name, int has, double s)
{
	if (has)
		fprintf(f, "\"%s\": %.3f", name, s);
	else
		fprintf(f, "\"%s\": null", name);
}

int gate_json(FILE *f, const struct gate_result *g, const struct gate_render *o)
{
	const struct blame_report *r = g->report;
	char verdict[256];
	gate_verdict(g, verdict, sizeof(verdict));
	fprintf(f, "{\n  \"heapblame_check\": 1,\n  \"verdict\": \"%s\",\n  \"exit_status\": %d,\n  \"sentence\": ",
		g->fail ? "fail" : "pass", g->fail ? 1 : 0);
	json_out_str(f, verdict);
	fprintf(f, ",\n  \"kinds\": [");
	for (unsigned k = 0, n = 0; k < LEAK_KIND_COUNT; k++)
		if (g->kinds & LEAK_MASK(k))
			fprintf(f, "%s\"%s\"", n++ ? ", " : "", leak_kind_name(k));
	fprintf(f, "],\n  \"budget\": {");
	budget_field(f, "max_bytes", g->max_bytes);
	fprintf(f, ", ");
	budget_field(f, "max_blocks", g->max_blocks);
	fprintf(f, "},\n  \"counted\": {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"modules\": %zu},\n",
		g->new_bytes, g->new_blocks, g->counted_mods);
	fprintf(f, "  \"leaked\": {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 "},\n", g->leaked_bytes,
		g->leaked_blocks);
	fprintf(f, "  \"suppressed\": {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 "},\n", g->suppressed_bytes,
		g->suppressed_blocks);
	growth_json(f, g);
	fprintf(f, "  \"window\": {");
	time_field(f, "at_s", r->has_at, r->at_s);
	fprintf(f, ", ");
	time_field(f, "since_s", r->has_since, r->since_s);
	fprintf(f, "},\n");
	fprintf(f, "  \"baseline\": ");
	if (g->with_baseline) {
		fprintf(f, "{\"path\": ");
		json_out_str(f, o->baseline_path);
		fprintf(f, ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 "}", g->baseline_bytes, g->baseline_blocks);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n  \"notes\": [");
	for (size_t i = 0; i < o->nnotes; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_out_str(f, o->notes[i]);
	}
	fprintf(f, "%s],\n  \"traces\": [", o->nnotes ? "\n  " : "");
	report_json_traces(f, r);
	fprintf(f, "\n  ],\n  \"modules\": [");
	for (size_t i = 0; i < g->nmods; i++) {
		const struct gate_module *gm = &g->mods[i];
		const struct blame_module *m = gm->mod;
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_out_str(f, m->name);
		fprintf(f, ", \"path\": ");
		json_out_str(f, m->path);
		fprintf(f, ", \"build_id\": ");
		json_out_str(f, m->build_id);
		fprintf(f,
			",\n     \"counted_bytes\": %" PRIu64 ", \"counted_blocks\": %" PRIu64 ", \"leaked_bytes\": %" PRIu64
			", \"leaked_blocks\": %" PRIu64 ", \"suppressed_bytes\": %" PRIu64 ", \"suppressed_blocks\": %" PRIu64
			",\n     \"outstanding_bytes\": %" PRIu64 ", \"outstanding_blocks\": %" PRIu64,
			gm->new_bytes, gm->new_blocks, gm->leaked_bytes, gm->leaked_blocks, gm->suppressed_bytes,
			gm->suppressed_blocks, m->bytes, m->blocks);
		json_out_kinds(f, &m->kinds);
		fprintf(f, ",\n     \"sites\": [");
		size_t n = 0;
		for (size_t k = 0; k < gm->nsites; k++) {
			const struct gate_site *gs = &gm->sites[k];
			if (!gs->leaked_bytes && !gs->leaked_blocks)
				continue;
			fprintf(f, "%s\n       ", n++ ? "," : "");
			site_json(f, gs, o->supp);
		}
		fprintf(f, "%s]}", n ? "\n     " : "");
	}
	fprintf(f, "\n  ],\n  \"suppressions\": [");
	for (size_t i = 0; o->supp && i < o->supp->n; i++) {
		const struct suppression *s = &o->supp->v[i];
		fprintf(f, "%s\n    {\"file\": ", i ? "," : "");
		json_out_str(f, s->file);
		fprintf(f, ", \"line\": %u, \"rule\": ", s->line);
		json_out_str(f, s->text);
		fprintf(f, ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"sites\": %" PRIu64 ", \"used\": %s}",
			s->bytes, s->blocks, s->sites, s->sites ? "true" : "false");
	}
	fprintf(f, "%s]\n}\n", o->supp && o->supp->n ? "\n  " : "");
	return 0;
}
