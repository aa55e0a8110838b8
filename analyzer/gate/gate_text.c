/*
 * gate_text.c - `heapblame check` for people and CI logs: what was
 * counted, module by module with its top sites, what was not counted and
 * why (suppressed, in the baseline, kinds not counted), with --max-growth
 * the modules growing faster than it, and, always as the last line, the
 * verdict in one sentence (gate_verdict), so that a log's tail says PASS
 * or FAIL and why. With --kinds none nothing is counted as leaked, so the
 * leak part says only that, once, and claims no leak and no budget.
 */
#include <inttypes.h>
#include <string.h>

#include "cli_units.h"
#include "gate.h"
#include "report.h"

#define FRAMES_SHOWN 14

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "definite 2, unclassified 1" over the counted kinds of a tally. */
static void kinds_blocks(FILE *f, const struct leak_tally *t, unsigned mask)
{
	for (unsigned k = 0, n = 0; k < LEAK_KIND_COUNT; k++)
		if ((mask & LEAK_MASK(k)) && t->blocks[k])
			fprintf(f, "%s%s %" PRIu64, n++ ? ", " : "", leak_kind_name(k), t->blocks[k]);
}

/* What leaked and what counts, for a site or a module. Without a baseline
 * allowance: "536 B in 8 blocks leaked (definite 5, indirect 3)". With
 * one, the leaked amount and the counted one differ, and both are said,
 * so that the kinds' numbers (of what leaked) do not read as the counted
 * blocks': "1.17 KiB in 36 blocks leaked (definite 36); the baseline
 * allows 1.14 KiB in 30 blocks: 34 B in 6 blocks beyond it". */
static void print_amounts(FILE *f, uint64_t leaked_bytes, uint64_t leaked_blocks, const struct leak_tally *kinds,
			  uint64_t base_bytes, uint64_t base_blocks, uint64_t new_bytes, uint64_t new_blocks, unsigned mask,
			  const char *how)
{
	char lz[32], bz[32], nz[32];
	int based = base_bytes || base_blocks;
	report_size(lz, sizeof(lz), based ? leaked_bytes : new_bytes);
	uint64_t shown = based ? leaked_blocks : new_blocks;
	fprintf(f, "%s in %" PRIu64 " block%s leaked (", lz, shown, plural(shown));
	kinds_blocks(f, kinds, mask);
	fprintf(f, ")");
	if (!based)
		return;
	report_size(bz, sizeof(bz), base_bytes);
	report_size(nz, sizeof(nz), new_bytes);
	fprintf(f, "; the baseline allows %s in %" PRIu64 " block%s%s: %s in %" PRIu64 " block%s beyond it", bz,
		base_blocks, plural(base_blocks), how, nz, new_blocks, plural(new_blocks));
}

static void print_site(FILE *f, const struct gate_site *gs, unsigned mask)
{
	fprintf(f, "        ");
	print_amounts(f, gs->leaked_bytes, gs->leaked_blocks, &gs->kinds, gs->base_bytes, gs->base_blocks, gs->new_bytes,
		      gs->new_blocks, mask, gs->base == GATE_BASE_POOL ? " (by its module's total)" : "");
	fputc('\n', f);
	if (!gs->site) {
		fprintf(f, "          (stack unknown: its STACK record was lost)\n");
		return;
	}
	size_t n = gs->site->nframes < FRAMES_SHOWN ? gs->site->nframes : FRAMES_SHOWN;
	for (size_t q = 0; q < n; q++)
		report_text_frame(f, &gs->site->frames[q]);
	if (gs->site->nframes > n)
		fprintf(f, "          ... %zu more frame%s\n", gs->site->nframes - n, plural(gs->site->nframes - n));
}

static void print_module(FILE *f, const struct gate_module *gm, unsigned mask, size_t top)
{
	const struct blame_module *m = gm->mod;
	struct leak_tally counted = {{0}, {0}};
	uint64_t lb = 0, lk = 0, bb = 0, bk = 0;
	for (size_t i = 0; i < gm->nsites; i++) {
		const struct gate_site *gs = &gm->sites[i];
		if (!gs->new_bytes && !gs->new_blocks)
			continue;
		leak_tally_merge(&counted, &gs->kinds);
		lb += gs->leaked_bytes;
		lk += gs->leaked_blocks;
		bb += gs->base_bytes;
		bk += gs->base_blocks;
	}
	fprintf(f, "%s  ", m->name);
	print_amounts(f, lb, lk, &counted, bb, bk, gm->new_bytes, gm->new_blocks, mask, "");
	fprintf(f, "\n      %s\n", m->path);
	size_t shown = top && gm->counted_sites > top ? top : gm->counted_sites;
	for (size_t i = 0; i < shown; i++)
		print_site(f, &gm->sites[i], mask);
	if (gm->counted_sites > shown)
		fprintf(f, "      ... %zu more site%s (--top 0 shows all)\n", gm->counted_sites - shown,
			plural(gm->counted_sites - shown));
	fputc('\n', f);
}

void gate_text_suppressions(FILE *f, const struct supp_list *l)
{
	fprintf(f, "suppressions:\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct suppression *s = &l->v[i];
		char sz[32];
		report_size(sz, sizeof(sz), s->bytes);
		fprintf(f, "  %s:%u  %-32s ", s->file, s->line, s->text);
		if (s->sites)
			fprintf(f, "hid %s in %" PRIu64 " block%s (%" PRIu64 " site%s)\n", sz, s->blocks, plural(s->blocks),
				s->sites, plural(s->sites));
		else
			fprintf(f, "unused\n");
	}
	fputc('\n', f);
}

/* "libgrow.so  growing 3.52 MiB/h since 0:00:01 (limit 100 KiB/h)", its
 * path, and where the growth comes in: the entry point and the allocating
 * line of its fastest growing site. */
static void print_growing(FILE *f, const struct gate_result *g, const struct gate_growth *gg)
{
	char what[160], entered[512];
	gate_growth_text(g, gg, what, sizeof(what));
	fprintf(f, "%s  %s\n      %s\n", gg->mod->name, what, gg->mod->path);
	gate_growth_entered(gg, entered, sizeof(entered));
	if (*entered)
		fprintf(f, "      %s\n", entered);
	if (gg->site && gg->site->nframes) {
		const struct blame_frame *a = gate_allocating_frame(gg->rmod, gg->site);
		if (a)
			report_text_frame(f, a);
	}
	if (!gg->rmod)
		fprintf(f, "      (nothing of it outstanding at the end: no site to show)\n");
	fputc('\n', f);
}

/* The window of --at and --since, as the header's tail: "" without them. */
static void window_text(const struct blame_report *r, char *out, size_t cap)
{
	char at[32], since[32];
	cli_format_clock(at, sizeof(at), r->at_s);
	cli_format_clock(since, sizeof(since), r->since_s);
	snprintf(out, cap, "%s%s%s%s", r->has_at ? ", at " : "", r->has_at ? at : "",
		 r->has_since ? ", blocks allocated since " : "", r->has_since ? since : "");
}

int gate_text(FILE *f, const struct gate_result *g, const struct gate_render *o)
{
	char kinds[96], window[96];
	leak_kinds_format(g->kinds, kinds, sizeof(kinds));
	window_text(g->report, window, sizeof(window));
	fprintf(f, "heapblame check: %zu trace%s%s; %s%s\n", o->ntraces, o->ntraces == 1 ? "" : "s", window,
		g->kinds_none ? "leak counts off (--kinds none)" : "counted: ", g->kinds_none ? "" : kinds);
	for (size_t i = 0; i < o->nnotes; i++)
		fprintf(f, "%s\n", o->notes[i]);
	fputc('\n', f);
	if (g->ngrowing) {
		char limit[32];
		cli_format_rate(limit, sizeof(limit), g->max_growth);
		fprintf(f, "growing faster than %s:\n\n", limit);
		for (size_t i = 0; i < g->ngrowing; i++)
			print_growing(f, g, &g->growing[i]);
	}
	for (size_t i = 0; i < g->nmods && i < g->counted_mods; i++)
		print_module(f, &g->mods[i], g->kinds, o->top);
	if (o->print_suppressions && o->supp && o->supp->n)
		gate_text_suppressions(f, o->supp);
	char sz[32];
	if (g->suppressed_blocks || g->suppressed_bytes) {
		size_t used = 0;
		for (size_t i = 0; o->supp && i < o->supp->n; i++)
			used += o->supp->v[i].sites != 0;
		report_size(sz, sizeof(sz), g->suppressed_bytes);
		fprintf(f, "not counted: %s in %" PRIu64 " block%s hidden by %zu suppression%s%s\n", sz,
			g->suppressed_blocks, plural(g->suppressed_blocks), used, used == 1 ? "" : "s",
			o->print_suppressions ? "" : " (--print-suppressions lists them)");
	}
	if (g->baseline_bytes || g->baseline_blocks) {
		report_size(sz, sizeof(sz), g->baseline_bytes);
		fprintf(f, "not counted: %s in %" PRIu64 " block%s leaked as in the baseline %s\n", sz, g->baseline_blocks,
			plural(g->baseline_blocks), o->baseline_path ? o->baseline_path : "");
	}
	const struct leak_tally *all = &g->report->kinds;
	if (g->kinds_none && g->report->blocks) {
		/* said without a kind: none was looked at */
		report_size(sz, sizeof(sz), g->report->bytes);
		fprintf(f, "not counted: %s in %" PRIu64 " block%s outstanding\n", sz, g->report->blocks,
			plural(g->report->blocks));
	}
	for (unsigned k = 0; !g->kinds_none && k < LEAK_KIND_COUNT; k++) {
		if ((g->kinds & LEAK_MASK(k)) || !all->blocks[k])
			continue;
		report_size(sz, sizeof(sz), all->bytes[k]);
		fprintf(f, "not counted: %s in %" PRIu64 " %s block%s (not in --kinds)\n", sz, all->blocks[k],
			leak_kind_name(k), plural(all->blocks[k]));
	}
	char verdict[256];
	gate_verdict(g, verdict, sizeof(verdict));
	fprintf(f, "%s\n", verdict);
	return 0;
}
