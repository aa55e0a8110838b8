/*
 * gate.c - counting leaks against suppressions, a baseline and a budget
 * (see gate.h).
 *
 * The baseline step shares allowances between sites: sites whose keys
 * collide share their baseline site's, and sites the baseline does not list
 * share their module's pool. Sites draw in increasing order of leaked
 * bytes, so an allowance covers as many whole sites as it can, and what is
 * left over is counted on the largest ones; the order is total (ties are
 * broken by position), so the result is deterministic.
 *
 * The growth step reads the report's timeline, which lists growing modules
 * fastest first, so the modules over --max-growth come out in that order;
 * each is tied back to its module, site and entry point in the report
 * when it still holds memory at the end, so that every format can say
 * where the growth comes in.
 */
#include "gate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_units.h"
#include "report.h"
#include "source_path.h"
#include "sat_add.h"

static void site_init(struct gate_site *gs, const struct blame_site *s, const struct leak_tally *kinds,
		      unsigned mask)
{
	memset(gs, 0, sizeof(*gs));
	gs->site = s;
	gs->kinds = *kinds;
	gs->leaked_bytes = leak_tally_bytes(kinds, mask);
	gs->leaked_blocks = leak_tally_blocks(kinds, mask);
	gs->suppressed = -1;
}

static uint64_t take(uint64_t *left, uint64_t want)
{
	uint64_t t = want < *left ? want : *left;
	*left -= t;
	return t;
}

struct order {
	struct gate_site *s;
	size_t pos;
};

static int by_leaked_ascending(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->s->leaked_bytes != y->s->leaked_bytes)
		return x->s->leaked_bytes < y->s->leaked_bytes ? -1 : 1;
	if (x->s->leaked_blocks != y->s->leaked_blocks)
		return x->s->leaked_blocks < y->s->leaked_blocks ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Step 3 for one module: what its sites leak beyond the baseline. */
static int apply_baseline(struct gate_module *gm, struct baseline *base)
{
	struct baseline_module *bm = baseline_module(base, gm->mod->name);
	struct order *ord = malloc((gm->nsites ? gm->nsites : 1) * sizeof(*ord));
	if (!ord)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < gm->nsites; i++)
		if (gm->sites[i].suppressed < 0 && (gm->sites[i].leaked_bytes || gm->sites[i].leaked_blocks))
			ord[n++] = (struct order){&gm->sites[i], i};
	qsort(ord, n, sizeof(*ord), by_leaked_ascending);
	for (size_t i = 0; i < n; i++) {
		struct gate_site *gs = ord[i].s;
		uint64_t cb = 0, ck = 0;
		if (bm) {
			char *key = baseline_key(gs->site);
			if (!key) {
				free(ord);
				return -1;
			}
			struct baseline_site *bs = baseline_site(bm, key);
			free(key);
			if (bs) {
				gs->base = GATE_BASE_SITE;
				cb = take(&bs->left_bytes, gs->leaked_bytes);
				ck = take(&bs->left_blocks, gs->leaked_blocks);
			} else if (bm->pool_bytes || bm->pool_blocks) {
				cb = take(&bm->pool_bytes, gs->leaked_bytes);
				ck = take(&bm->pool_blocks, gs->leaked_blocks);
				if (cb || ck)
					gs->base = GATE_BASE_POOL;
			}
		}
		gs->base_bytes = cb;
		gs->base_blocks = ck;
		gs->new_bytes = gs->leaked_bytes - cb;
		gs->new_blocks = gs->leaked_blocks - ck;
	}
	free(ord);
	return 0;
}

static int by_new_site(const void *a, const void *b)
{
	const struct gate_site *x = a, *y = b;
	if (x->new_bytes != y->new_bytes)
		return x->new_bytes < y->new_bytes ? 1 : -1;
	if (x->new_blocks != y->new_blocks)
		return x->new_blocks < y->new_blocks ? 1 : -1;
	if (x->leaked_bytes != y->leaked_bytes)
		return x->leaked_bytes < y->leaked_bytes ? 1 : -1;
	uint64_t hx = x->site ? x->site->hash : 0, hy = y->site ? y->site->hash : 0;
	return hx < hy ? -1 : hx > hy;
}

static int by_new_module(const void *a, const void *b)
{
	const struct gate_module *x = a, *y = b;
	if (x->new_bytes != y->new_bytes)
		return x->new_bytes < y->new_bytes ? 1 : -1;
	if (x->new_blocks != y->new_blocks)
		return x->new_blocks < y->new_blocks ? 1 : -1;
	if (x->leaked_bytes != y->leaked_bytes)
		return x->leaked_bytes < y->leaked_bytes ? 1 : -1;
	int c = strcmp(x->mod->name, y->mod->name);
	return c ? c : strcmp(x->mod->path, y->mod->path);
}

/* Steps 1 and 2 for one module. */
static int build_module(struct gate_module *gm, const struct blame_module *m, const struct gate_options *o,
			unsigned mask)
{
	gm->mod = m;
	gm->sites = calloc(m->nsites + 1, sizeof(*gm->sites));
	if (!gm->sites)
		return -1;
	struct leak_tally rest = m->kinds;
	for (size_t i = 0; i < m->nsites; i++) {
		site_init(&gm->sites[gm->nsites++], &m->sites[i], &m->sites[i].kinds, mask);
		for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
			rest.bytes[k] -= rest.bytes[k] < m->sites[i].kinds.bytes[k] ? rest.bytes[k] : m->sites[i].kinds.bytes[k];
			rest.blocks[k] -= rest.blocks[k] < m->sites[i].kinds.blocks[k] ? rest.blocks[k]
											 : m->sites[i].kinds.blocks[k];
		}
	}
	if (leak_tally_blocks(&rest, ~0u))
		site_init(&gm->sites[gm->nsites++], NULL, &rest, mask);
	for (size_t i = 0; i < gm->nsites; i++) {
		struct gate_site *gs = &gm->sites[i];
		if (gs->leaked_bytes || gs->leaked_blocks)
			gs->suppressed = supp_find(o->supp, m, gs->site);
		if (gs->suppressed >= 0) {
			struct suppression *s = &o->supp->v[gs->suppressed];
			s->bytes = sat_add(s->bytes, gs->leaked_bytes);
			s->blocks = sat_add(s->blocks, gs->leaked_blocks);
			s->sites++;
			gm->suppressed_bytes = sat_add(gm->suppressed_bytes, gs->leaked_bytes);
			gm->suppressed_blocks = sat_add(gm->suppressed_blocks, gs->leaked_blocks);
		} else {
			gm->leaked_bytes = sat_add(gm->leaked_bytes, gs->leaked_bytes);
			gm->leaked_blocks = sat_add(gm->leaked_blocks, gs->leaked_blocks);
			gs->new_bytes = gs->leaked_bytes;
			gs->new_blocks = gs->leaked_blocks;
		}
	}
	return 0;
}

/* Step 2b, LeakSanitizer's meaning of a leak: rule: the blocks of the
 * sites it hid are roots, so the indirect blocks they own (the exit
 * scan's OWNED pairs, blame.h) are no leak either, wherever they were
 * allocated. They are hidden by the same rule, and credited to it; their
 * site stays counted with what is left. module:, entry: and site: rules
 * hide their own sites' blocks only. Before the baseline (step 3), while
 * every gate site is at its report site's index. */
static void hide_owned(struct gate_result *g, const struct blame_report *r, const struct gate_options *o)
{
	if (!(g->kinds & LEAK_MASK(LEAK_INDIRECT)))
		return; /* indirect blocks do not count: nothing to hide */
	for (size_t i = 0; i < r->nowned; i++) {
		const struct blame_owned *w = &r->owned[i];
		struct gate_site *root = &g->mods[w->root_mod].sites[w->root_site];
		struct gate_module *gm = &g->mods[w->mod];
		struct gate_site *gs = &gm->sites[w->site];
		if (root->suppressed < 0 || o->supp->v[root->suppressed].type != SUPP_LEAK || gs->suppressed >= 0)
			continue;
		uint64_t *kb = &gs->kinds.blocks[LEAK_INDIRECT], *ky = &gs->kinds.bytes[LEAK_INDIRECT];
		uint64_t blocks = w->blocks < *kb ? w->blocks : *kb, bytes = w->bytes < *ky ? w->bytes : *ky;
		if (!blocks)
			continue;
		*kb -= blocks;
		*ky -= bytes;
		gs->leaked_blocks -= blocks < gs->leaked_blocks ? blocks : gs->leaked_blocks;
		gs->leaked_bytes -= bytes < gs->leaked_bytes ? bytes : gs->leaked_bytes;
		gs->new_blocks = gs->leaked_blocks;
		gs->new_bytes = gs->leaked_bytes;
		gm->leaked_blocks -= blocks < gm->leaked_blocks ? blocks : gm->leaked_blocks;
		gm->leaked_bytes -= bytes < gm->leaked_bytes ? bytes : gm->leaked_bytes;
		gm->suppressed_blocks += blocks;
		gm->suppressed_bytes += bytes;
		struct suppression *s = &o->supp->v[root->suppressed];
		s->blocks += blocks;
		s->bytes += bytes;
	}
}

/* Fills gg for the timeline's module t: its module in the report (by
 * path and build-id: names may repeat), the site most to blame for the growth (the
 * fastest growing one; a module can grow while none of its sites is
 * classed growing, when many sites each add a little that does not stand
 * out from its own scatter, and then its largest site stands for it), and
 * the entry point of that site. */
static void growth_locate(struct gate_growth *gg, const struct blame_report *r, const struct blame_timeline_module *t)
{
	memset(gg, 0, sizeof(*gg));
	gg->mod = t;
	gg->rmod = blame_module_of_line(r, t);
	if (!gg->rmod || !gg->rmod->nsites)
		return;
	const struct blame_module *m = gg->rmod;
	for (size_t i = 0; i < m->nsites; i++) {
		const struct growth *x = &m->sites[i].growth;
		if (x->cls == GROWTH_GROWING && (!gg->site || x->bytes_per_hour > gg->site->growth.bytes_per_hour))
			gg->site = &m->sites[i];
	}
	if (!gg->site)
		gg->site = &m->sites[0]; /* the largest: the report's order */
	for (size_t i = 0; gg->site->entry && i < m->nentries && !gg->entry; i++)
		if (m->entries[i].function && !strcmp(m->entries[i].function, gg->site->entry))
			gg->entry = &m->entries[i];
}

int gate_build(struct gate_result *g, const struct blame_report *r, const struct gate_options *o)
{
	memset(g, 0, sizeof(*g));
	g->report = r;
	g->kinds = o->kinds_none ? 0 : o->kinds | LEAK_MASK(LEAK_UNCLASSIFIED);
	g->kinds_none = o->kinds_none;
	g->with_growth = o->have_max_growth;
	g->max_growth = o->max_growth;
	g->max_bytes = o->max_bytes;
	g->max_blocks = o->max_blocks;
	g->with_baseline = o->base != NULL;
	g->mods = calloc(r->nmods ? r->nmods : 1, sizeof(*g->mods));
	if (!g->mods)
		return -1;
	for (size_t i = 0; i < r->nmods; i++)
		if (build_module(&g->mods[g->nmods++], &r->mods[i], o, g->kinds) < 0)
			return -1;
	hide_owned(g, r, o);
	for (size_t i = 0; i < r->nmods; i++) {
		struct gate_module *gm = &g->mods[i];
		if (o->base && apply_baseline(gm, o->base) < 0)
			return -1;
		for (size_t k = 0; k < gm->nsites; k++) {
			struct gate_site *gs = &gm->sites[k];
			gm->new_bytes = sat_add(gm->new_bytes, gs->new_bytes);
			gm->new_blocks = sat_add(gm->new_blocks, gs->new_blocks);
			gm->counted_sites += gs->new_bytes || gs->new_blocks;
			if (gs->suppressed < 0) {
				g->baseline_bytes = sat_add(g->baseline_bytes, gs->base_bytes);
				g->baseline_blocks = sat_add(g->baseline_blocks, gs->base_blocks);
			}
		}
		qsort(gm->sites, gm->nsites, sizeof(*gm->sites), by_new_site);
		g->new_bytes = sat_add(g->new_bytes, gm->new_bytes);
		g->new_blocks = sat_add(g->new_blocks, gm->new_blocks);
		g->leaked_bytes = sat_add(g->leaked_bytes, gm->leaked_bytes);
		g->leaked_blocks = sat_add(g->leaked_blocks, gm->leaked_blocks);
		g->suppressed_bytes = sat_add(g->suppressed_bytes, gm->suppressed_bytes);
		g->suppressed_blocks = sat_add(g->suppressed_blocks, gm->suppressed_blocks);
		g->counted_mods += gm->new_bytes || gm->new_blocks;
	}
	qsort(g->mods, g->nmods, sizeof(*g->mods), by_new_module);
	g->fail = g->new_bytes > g->max_bytes || g->new_blocks > g->max_blocks;
	if (o->have_max_growth) {
		/* the timeline lists growing modules first, fastest first */
		const struct blame_timeline *t = &r->timeline;
		g->growing = calloc(t->nmods ? t->nmods : 1, sizeof(*g->growing));
		if (!g->growing)
			return -1;
		for (size_t i = 0; i < t->nmods; i++)
			if (t->mods[i].growth.cls == GROWTH_GROWING && t->mods[i].growth.bytes_per_hour > o->max_growth)
				growth_locate(&g->growing[g->ngrowing++], r, &t->mods[i]);
		g->fail |= g->ngrowing > 0;
	}
	return 0;
}

void gate_free(struct gate_result *g)
{
	for (size_t i = 0; i < g->nmods; i++)
		free(g->mods[i].sites);
	free(g->mods);
	free(g->growing);
	memset(g, 0, sizeof(*g));
}

void gate_budget(const struct gate_result *g, char *out, size_t cap)
{
	char b[32], k[48];
	report_size(b, sizeof(b), g->max_bytes == GATE_UNLIMITED ? 0 : g->max_bytes);
	snprintf(k, sizeof(k), "%" PRIu64 " block%s", g->max_blocks, g->max_blocks == 1 ? "" : "s");
	if (g->max_bytes == 0 && g->max_blocks == 0)
		snprintf(out, cap, "0");
	else if (g->max_bytes == GATE_UNLIMITED && g->max_blocks == GATE_UNLIMITED)
		snprintf(out, cap, "none");
	else if (g->max_blocks == GATE_UNLIMITED)
		snprintf(out, cap, "%s", b);
	else if (g->max_bytes == GATE_UNLIMITED)
		snprintf(out, cap, "%s", k);
	else
		snprintf(out, cap, "%s and %s", b, k);
}

void gate_growth_text(const struct gate_result *g, const struct gate_growth *gg, char *out, size_t cap)
{
	char what[96], limit[32];
	report_growth_text(what, sizeof(what), &gg->mod->growth);
	cli_format_rate(limit, sizeof(limit), g->max_growth);
	snprintf(out, cap, "%s (limit %s)", what, limit);
}

/* "f()" for f, "f(int)" as it is */
static const char *call_suffix(const char *fn)
{
	return fn[0] && fn[strlen(fn) - 1] == ')' ? "" : "()";
}

void gate_growth_entered(const struct gate_growth *gg, char *out, size_t cap)
{
	const struct blame_entry *e = gg->entry;
	const char *fn = e ? e->function : gg->site ? gg->site->entry : NULL;
	if (e && e->cut_at) {
		char cut[160];
		report_cut_text(cut, sizeof(cut), e->cut_at);
		snprintf(out, cap, "entered through a function beyond the frames recorded (%s)", cut);
		return;
	}
	if (!fn) {
		if (cap)
			*out = 0;
		return;
	}
	int n = snprintf(out, cap, "entered through %s%s%s", e && e->exported ? "its exported function " : "", fn,
			 call_suffix(fn));
	if (n < 0 || (size_t)n >= cap || !e || !e->caller_module)
		return;
	if (e->caller_function)
		snprintf(out + n, cap - (size_t)n, " from %s's %s%s", e->caller_module, e->caller_function,
			 call_suffix(e->caller_function));
	else
		snprintf(out + n, cap - (size_t)n, " from %s's code", e->caller_module);
}

void gate_verdict(const struct gate_result *g, char *out, size_t cap)
{
	char sz[32], budget[96], leaks[256] = "", growth[256] = "";
	if (!g->kinds_none) {
		report_size(sz, sizeof(sz), g->new_bytes);
		gate_budget(g, budget, sizeof(budget));
		snprintf(leaks, sizeof(leaks), "%s in %" PRIu64 " block%s leaked%s in %zu module%s (budget %s)", sz,
			 g->new_blocks, g->new_blocks == 1 ? "" : "s", g->with_baseline ? " beyond the baseline" : "",
			 g->counted_mods, g->counted_mods == 1 ? "" : "s", budget);
	}
	if (g->with_growth) {
		char rate[32];
		cli_format_rate(rate, sizeof(rate), g->max_growth);
		snprintf(growth, sizeof(growth), "%zu module%s growing faster than %s", g->ngrowing,
			 g->ngrowing == 1 ? "" : "s", rate);
	}
	if (!*leaks && !*growth) {
		/* --kinds none without --max-growth */
		snprintf(out, cap, "heapblame: nothing checked (no leak kinds counted, no --max-growth): PASS");
		return;
	}
	/* what fails leads */
	int growth_first = g->ngrowing && !(g->new_bytes > g->max_bytes || g->new_blocks > g->max_blocks);
	const char *a = growth_first ? growth : leaks, *b = growth_first ? leaks : growth;
	snprintf(out, cap, "heapblame: %s%s%s: %s", a, *a && *b ? "; " : "", b, g->fail ? "FAIL" : "PASS");
}

const struct blame_frame *gate_allocating_frame(const struct blame_module *m, const struct blame_site *s)
{
	(void)m;
	if (!s || !s->nframes)
		return NULL;
	return &s->frames[s->blamed < s->nframes ? s->blamed : 0];
}

/* Whether fr has a line in a file with an absolute path; under root too
 * when root is not NULL. */
static int located(const struct blame_frame *fr, const char *root)
{
	char buf[4096];
	if (!fr->file || fr->line <= 0)
		return 0;
	const char *path = source_path_abs(fr->dir, fr->file, buf, sizeof(buf));
	return path && (!root || source_path_under(path, root));
}

const struct blame_frame *gate_source_frame(const struct blame_module *m, const struct blame_site *s,
					    const char *root)
{
	if (!s || !s->nframes)
		return NULL;
	size_t from = (size_t)(gate_allocating_frame(m, s) - s->frames);
	for (size_t i = from; root && i < s->nframes; i++)
		if (located(&s->frames[i], root))
			return &s->frames[i];
	for (size_t i = 0; i < s->nframes; i++)
		if (s->frames[i].module && strcmp(s->frames[i].module, m->name) == 0 && located(&s->frames[i], NULL))
			return &s->frames[i];
	for (size_t i = 0; i < s->nframes; i++)
		if (located(&s->frames[i], NULL))
			return &s->frames[i];
	return NULL;
}
