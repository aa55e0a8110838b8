/*
 * blame.c - attribution, entry points and aggregation (see blame.h).
 *
 * Symbolization is the expensive step, so it is done only for stacks that
 * still hold outstanding memory, and each (module, address) is looked up
 * once: a hash map keeps the frames of every address seen. Sites are merged
 * by a hash of their (module path, offset) frames with an exact comparison
 * behind it.
 */
#include "blame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/wrappers.h"

int blame_glob(const char *pat, const char *s)
{
	return hb_glob_match(pat, strlen(pat), s);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int blame_is_wrapper(const char *path, const struct blame_options *opt)
{
	const char *base = base_name(path);
	if (hb_is_builtin_wrapper(base))
		return 1;
	for (size_t i = 0; i < opt->nwrappers; i++)
		if (hb_wrapper_name_match(opt->wrappers[i], strlen(opt->wrappers[i]), base))
			return 1;
	return 0;
}

/* ---------- symbolization cache ----------------------------------------- */

struct sym_entry {
	struct sym_module *mod;
	uint64_t off;
	int n;
	struct sym_frame *frames;
};

struct sym_cache {
	struct sym_entry *slots;
	size_t mask, used;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct sym_entry *sym_cached(struct sym_cache *c, struct sym_module *mod, uint64_t off)
{
	if ((c->used + 1) * 2 > c->mask + 1) {
		size_t n = c->mask ? (c->mask + 1) * 2 : 1024;
		struct sym_entry *slots = calloc(n, sizeof(*slots));
		if (!slots)
			return NULL;
		for (size_t i = 0; c->mask && i <= c->mask; i++) {
			if (!c->slots[i].mod)
				continue;
			size_t k = mix((uint64_t)(uintptr_t)c->slots[i].mod ^ c->slots[i].off) & (n - 1);
			while (slots[k].mod)
				k = (k + 1) & (n - 1);
			slots[k] = c->slots[i];
		}
		free(c->slots);
		c->slots = slots;
		c->mask = n - 1;
	}
	size_t k = mix((uint64_t)(uintptr_t)mod ^ off) & c->mask;
	while (c->slots[k].mod) {
		if (c->slots[k].mod == mod && c->slots[k].off == off)
			return &c->slots[k];
		k = (k + 1) & c->mask;
	}
	struct sym_frame tmp[SYM_MAX_INLINE];
	int n = sym_lookup(mod, off, tmp, SYM_MAX_INLINE);
	struct sym_entry *e = &c->slots[k];
	e->mod = mod;
	e->off = off;
	e->n = n;
	e->frames = n ? malloc((size_t)n * sizeof(*e->frames)) : NULL;
	if (n && !e->frames)
		e->n = 0;
	else if (n)
		memcpy(e->frames, tmp, (size_t)n * sizeof(*tmp));
	c->used++;
	return e;
}

static void sym_cache_free(struct sym_cache *c)
{
	for (size_t i = 0; c->mask && i <= c->mask; i++)
		free(c->slots[i].frames);
	free(c->slots);
}

/* ---------- building ------------------------------------------------------ */

struct builder {
	struct blame_report *r;
	struct symbolizer *sym;
	const struct blame_options *opt;
	struct sym_cache cache;
	size_t modcap;
	/* per blame_module: site index (open addressing over site positions) */
	size_t **site_index;
	size_t *site_mask;
	size_t *sitecap, *entrycap;
	int oom;
};

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static struct blame_module *module_for(struct builder *b, const struct tm_module *tm)
{
	struct blame_report *r = b->r;
	const char *path = tm ? tm->path : "[unknown]";
	char id[129] = "";
	if (tm)
		hex(id, tm->build_id, tm->build_id_len);
	for (size_t i = 0; i < r->nmods; i++)
		if (strcmp(r->mods[i].path, path) == 0 && strcmp(r->mods[i].build_id, id) == 0)
			return &r->mods[i];
	if (r->nmods == b->modcap) {
		size_t cap = b->modcap ? b->modcap * 2 : 16;
		struct blame_module *mods = realloc(r->mods, cap * sizeof(*mods));
		size_t **idx = realloc(b->site_index, cap * sizeof(*idx));
		if (idx)
			b->site_index = idx;
		size_t *mask = realloc(b->site_mask, cap * sizeof(*mask));
		if (mask)
			b->site_mask = mask;
		size_t *sc = realloc(b->sitecap, cap * sizeof(*sc));
		if (sc)
			b->sitecap = sc;
		size_t *ec = realloc(b->entrycap, cap * sizeof(*ec));
		if (ec)
			b->entrycap = ec;
		if (!mods || !idx || !mask || !sc || !ec) {
			if (mods)
				r->mods = mods;
			b->oom = 1;
			return NULL;
		}
		r->mods = mods;
		b->modcap = cap;
	}
	struct blame_module *m = &r->mods[r->nmods];
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->name = base_name(path);
	memcpy(m->build_id, id, sizeof(id));
	m->status = tm ? sym_module_status(sym_module_get(b->sym, tm->path, tm->build_id, tm->build_id_len))
		       : SYM_MISSING;
	b->site_index[r->nmods] = NULL;
	b->site_mask[r->nmods] = 0;
	b->sitecap[r->nmods] = 0;
	b->entrycap[r->nmods] = 0;
	r->nmods++;
	return m;
}

/* The symbolized frames of one stack frame (physical + inlined). */
static int frames_of(struct builder *b, const struct tm_process *p, const struct tm_stack *st, uint32_t i,
		     const struct sym_frame **out)
{
	const struct tm_module *tm = tm_module_of(p, st->frame_module[i]);
	if (!tm)
		return 0;
	struct sym_module *sm = sym_module_get(b->sym, tm->path, tm->build_id, tm->build_id_len);
	if (!sm || sym_module_status(sm) == SYM_MISSING || sym_module_status(sm) == SYM_MISMATCH)
		return 0;
	struct sym_entry *e = sym_cached(&b->cache, sm, st->frame_offset[i]);
	if (!e)
		return 0;
	*out = e->frames;
	return e->n;
}

static int same_site(const struct blame_site *s, const struct blame_frame *f, size_t n)
{
	if (s->nframes != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct blame_frame *a = &s->frames[i], *c = &f[i];
		if (a->offset != c->offset || a->inlined != c->inlined || (a->module != c->module &&
		    (!a->module || !c->module || strcmp(a->module, c->module) != 0)))
			return 0;
	}
	return 1;
}

static void add_site(struct builder *b, size_t mi, struct blame_frame *frames, size_t n, const char *entry,
		     const struct tm_stack *st)
{
	uint64_t bytes = st->out_bytes, blocks = st->out_blocks;
	struct blame_module *m = &b->r->mods[mi];
	uint64_t h = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++)
		h = mix(h ^ frames[i].offset ^ ((uint64_t)frames[i].inlined << 63));
	size_t *idx = b->site_index[mi];
	size_t mask = b->site_mask[mi];
	if (idx) {
		for (size_t k = h & mask; idx[k]; k = (k + 1) & mask) {
			struct blame_site *s = &m->sites[idx[k] - 1];
			if (s->hash == h && same_site(s, frames, n)) {
				s->bytes += bytes;
				s->blocks += blocks;
				leak_tally_merge(&s->kinds, &st->kinds);
				free(frames);
				return;
			}
		}
	}
	if (m->nsites == b->sitecap[mi]) {
		size_t cap = b->sitecap[mi] ? b->sitecap[mi] * 2 : 16;
		struct blame_site *sites = realloc(m->sites, cap * sizeof(*sites));
		if (!sites) {
			b->oom = 1;
			free(frames);
			return;
		}
		m->sites = sites;
		b->sitecap[mi] = cap;
	}
	if ((m->nsites + 1) * 2 > mask + 1) {
		size_t nm = mask ? (mask + 1) * 2 : 64;
		size_t *ni = calloc(nm, sizeof(*ni));
		if (!ni) {
			b->oom = 1;
			free(frames);
			return;
		}
		for (size_t s = 0; s < m->nsites; s++) {
			size_t k = m->sites[s].hash & (nm - 1);
			while (ni[k])
				k = (k + 1) & (nm - 1);
			ni[k] = s + 1;
		}
		free(idx);
		b->site_index[mi] = idx = ni;
		b->site_mask[mi] = mask = nm - 1;
	}
	struct blame_site *s = &m->sites[m->nsites];
	s->entry = entry;
	s->bytes = bytes;
	s->blocks = blocks;
	s->kinds = st->kinds;
	s->frames = frames;
	s->nframes = n;
	s->hash = h;
	size_t k = h & mask;
	while (idx[k])
		k = (k + 1) & mask;
	idx[k] = ++m->nsites;
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void add_entry(struct builder *b, size_t mi, const char *fn, int exported, const char *cmod,
		      const char *cfn, const struct tm_stack *st)
{
	struct blame_module *m = &b->r->mods[mi];
	for (size_t i = 0; i < m->nentries; i++) {
		struct blame_entry *e = &m->entries[i];
		if (str_eq(e->function, fn) && str_eq(e->caller_module, cmod) && str_eq(e->caller_function, cfn)) {
			e->bytes += st->out_bytes;
			e->blocks += st->out_blocks;
			leak_tally_merge(&e->kinds, &st->kinds);
			return;
		}
	}
	if (m->nentries == b->entrycap[mi]) {
		size_t cap = b->entrycap[mi] ? b->entrycap[mi] * 2 : 8;
		struct blame_entry *e = realloc(m->entries, cap * sizeof(*e));
		if (!e) {
			b->oom = 1;
			return;
		}
		m->entries = e;
		b->entrycap[mi] = cap;
	}
	m->entries[m->nentries++] =
		(struct blame_entry){fn, exported, cmod, cfn, st->out_bytes, st->out_blocks, st->kinds};
}

static void add_process_module(struct blame_process *bp, const struct blame_module *m, uint64_t bytes,
			       uint64_t blocks, const struct leak_tally *kinds)
{
	for (size_t i = 0; i < bp->nmods; i++) {
		if (bp->mods[i].path == m->path) {
			bp->mods[i].bytes += bytes;
			bp->mods[i].blocks += blocks;
			leak_tally_merge(&bp->mods[i].kinds, kinds);
			return;
		}
	}
	struct blame_proc_module *mods = realloc(bp->mods, (bp->nmods + 1) * sizeof(*mods));
	if (!mods)
		return;
	bp->mods = mods;
	bp->mods[bp->nmods++] = (struct blame_proc_module){m->name, m->path, bytes, blocks, *kinds};
}

/* The shim's own frames (its wrapper around main) are never the user's
 * code: they are left out of sites and of the caller of an entry point. */
static int is_shim(const struct tm_process *p, uint32_t mid)
{
	const struct tm_module *m = tm_module_of(p, mid);
	return m && blame_glob("libheapblame.so*", base_name(m->path));
}

static void blame_stack(struct builder *b, const struct tm_process *p, struct blame_process *bp,
			const struct tm_stack *st, const uint8_t *wrapper)
{
	uint32_t blamed = 0;
	int found = 0;
	for (uint32_t i = 0; i < st->depth && !found; i++) {
		uint32_t mid = st->frame_module[i];
		if (tm_module_of(p, mid) && !wrapper[mid]) {
			blamed = i;
			found = 1;
		}
	}
	const struct tm_module *tm = st->depth ? tm_module_of(p, st->frame_module[blamed]) : NULL;
	if (b->opt->module_glob && !(tm && (blame_glob(b->opt->module_glob, base_name(tm->path)) ||
					    blame_glob(b->opt->module_glob, tm->path))))
		return;
	struct blame_module *m = module_for(b, tm);
	if (!m)
		return;
	size_t mi = (size_t)(m - b->r->mods);
	m->bytes += st->out_bytes;
	m->blocks += st->out_blocks;
	leak_tally_merge(&m->kinds, &st->kinds);
	add_process_module(bp, m, st->out_bytes, st->out_blocks, &st->kinds);

	/* entry point: the outermost frame of the run inside the blamed module */
	uint32_t j = blamed;
	while (st->depth && j + 1 < st->depth && st->frame_module[j + 1] == st->frame_module[blamed])
		j++;
	const char *entry_fn = NULL, *caller_mod = NULL, *caller_fn = NULL;
	int exported = 0;
	const struct sym_frame *sf;
	int n = st->depth ? frames_of(b, p, st, j, &sf) : 0;
	if (n) {
		entry_fn = sf[n - 1].function;
		if (tm)
			exported = sym_is_exported(sym_module_get(b->sym, tm->path, tm->build_id, tm->build_id_len),
						   sf[n - 1].linkage);
	}
	uint32_t ci = j + 1;
	while (ci < st->depth && is_shim(p, st->frame_module[ci]))
		ci++;
	if (ci < st->depth) {
		const struct tm_module *cm = tm_module_of(p, st->frame_module[ci]);
		caller_mod = cm ? base_name(cm->path) : NULL;
		if (frames_of(b, p, st, ci, &sf))
			caller_fn = sf[0].function;
	}
	add_entry(b, mi, entry_fn, exported, caller_mod, caller_fn, st);

	/* the site: every frame, inlined ones expanded */
	size_t cap = (size_t)st->depth * 2 + 1, nf = 0;
	struct blame_frame *frames = malloc(cap * sizeof(*frames));
	if (!frames) {
		b->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < st->depth; i++) {
		if (is_shim(p, st->frame_module[i]))
			continue;
		const struct tm_module *fm = tm_module_of(p, st->frame_module[i]);
		int k = frames_of(b, p, st, i, &sf);
		if (nf + (size_t)(k ? k : 1) > cap) {
			cap = (nf + (size_t)(k ? k : 1)) * 2;
			struct blame_frame *nfr = realloc(frames, cap * sizeof(*frames));
			if (!nfr) {
				free(frames);
				b->oom = 1;
				return;
			}
			frames = nfr;
		}
		const char *mname = fm ? base_name(fm->path) : NULL, *mpath = fm ? fm->path : NULL;
		if (!k) {
			frames[nf++] = (struct blame_frame){mname, mpath, NULL, NULL, NULL, 0, 0, st->frame_offset[i]};
			continue;
		}
		for (int q = 0; q < k; q++)
			frames[nf++] = (struct blame_frame){mname, mpath, sf[q].function, sf[q].file, sf[q].dir,
							    sf[q].line, sf[q].inlined, st->frame_offset[i]};
	}
	add_site(b, mi, frames, nf, entry_fn, st);
}

static int by_module_bytes(const void *a, const void *b)
{
	const struct blame_module *x = a, *y = b;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->path, y->path);
}

static int by_entry_bytes(const void *a, const void *b)
{
	const struct blame_entry *x = a, *y = b;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : (x->blocks < y->blocks) - (x->blocks > y->blocks);
}

static int by_site_bytes(const void *a, const void *b)
{
	const struct blame_site *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->blocks != y->blocks)
		return x->blocks < y->blocks ? 1 : -1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static int by_proc_module_bytes(const void *a, const void *b)
{
	const struct blame_proc_module *x = a, *y = b;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->path, y->path);
}

int blame_build(struct blame_report *r, const struct tm_model *model, struct symbolizer *s,
		const struct blame_options *opt)
{
	memset(r, 0, sizeof(*r));
	struct builder b = {.r = r, .sym = s, .opt = opt};
	r->ntraces = model->nprocs;
	r->filtered = opt->module_glob || opt->min_bytes;
	r->procs = calloc(model->nprocs ? model->nprocs : 1, sizeof(*r->procs));
	if (!r->procs)
		return -1;
	for (size_t pi = 0; pi < model->nprocs; pi++) {
		const struct tm_process *p = &model->procs[pi];
		struct blame_process *bp = &r->procs[r->nprocs++];
		bp->pid = p->pid;
		bp->program = p->program ? p->program : "?";
		bp->exe = p->exe ? p->exe : "?";
		bp->trace = p->trace_path;
		bp->end = p->end;
		bp->scan = tm_scan_name(p);
		bp->scanned = tm_scanned(p);
		r->nscanned += bp->scanned;
		if (!strncmp(p->end, "exec ", 5)) {
			/* the image was replaced: its heap went with it */
			r->exec_bytes += p->out_bytes;
			r->exec_blocks += p->out_blocks;
			continue;
		}
		uint8_t *wrapper = calloc(p->nmodules ? p->nmodules : 1, 1);
		if (!wrapper)
			return -1;
		for (size_t k = 0; k < p->nmodules; k++)
			wrapper[k] = p->modules[k].defined && blame_is_wrapper(p->modules[k].path, opt);
		for (size_t k = 0; k < p->nstacks; k++)
			if (p->stacks[k] && p->stacks[k]->out_blocks)
				blame_stack(&b, p, bp, p->stacks[k], wrapper);
		free(wrapper);
		if (p->unknown_stack_blocks && !opt->module_glob) {
			/* blocks whose stack definition was lost (a damaged block) */
			struct blame_module *m = module_for(&b, NULL);
			if (m) {
				m->bytes += p->unknown_stack_bytes;
				m->blocks += p->unknown_stack_blocks;
				leak_tally_merge(&m->kinds, &p->unknown_stack_kinds);
				add_process_module(bp, m, p->unknown_stack_bytes, p->unknown_stack_blocks,
						   &p->unknown_stack_kinds);
			}
		}
	}
	/* filters, order, totals */
	size_t keep = 0;
	for (size_t i = 0; i < r->nmods; i++) {
		struct blame_module *m = &r->mods[i];
		free(b.site_index[i]);
		if (m->bytes < opt->min_bytes && m->bytes) {
			for (size_t k = 0; k < m->nsites; k++)
				free(m->sites[k].frames);
			free(m->sites);
			free(m->entries);
			continue;
		}
		if (m->nentries) /* NULL for blocks of unknown stacks */
			qsort(m->entries, m->nentries, sizeof(*m->entries), by_entry_bytes);
		if (m->nsites)
			qsort(m->sites, m->nsites, sizeof(*m->sites), by_site_bytes);
		m->nsites_all = m->nsites;
		size_t ns = 0;
		for (size_t k = 0; k < m->nsites; k++) {
			int drop = (opt->top && ns >= opt->top) || m->sites[k].bytes < opt->min_bytes;
			if (drop)
				free(m->sites[k].frames);
			else
				m->sites[ns++] = m->sites[k];
		}
		m->nsites = ns;
		r->mods[keep++] = *m;
	}
	r->nmods = keep;
	if (r->nmods) /* qsort's array must not be NULL, even when empty */
		qsort(r->mods, r->nmods, sizeof(*r->mods), by_module_bytes);
	for (size_t i = 0; i < r->nmods; i++) {
		r->bytes += r->mods[i].bytes;
		r->blocks += r->mods[i].blocks;
		leak_tally_merge(&r->kinds, &r->mods[i].kinds);
	}
	for (size_t i = 0; i < r->nprocs; i++) {
		struct blame_process *bp = &r->procs[i];
		if (bp->nmods)
			qsort(bp->mods, bp->nmods, sizeof(*bp->mods), by_proc_module_bytes);
		for (size_t k = 0; k < bp->nmods; k++) {
			bp->bytes += bp->mods[k].bytes;
			bp->blocks += bp->mods[k].blocks;
			leak_tally_merge(&bp->kinds, &bp->mods[k].kinds);
		}
	}
	free(b.site_index);
	free(b.site_mask);
	free(b.sitecap);
	free(b.entrycap);
	sym_cache_free(&b.cache);
	return b.oom ? -1 : 0;
}

void blame_free(struct blame_report *r)
{
	for (size_t i = 0; i < r->nmods; i++) {
		for (size_t k = 0; k < r->mods[i].nsites; k++)
			free(r->mods[i].sites[k].frames);
		free(r->mods[i].sites);
		free(r->mods[i].entries);
	}
	free(r->mods);
	for (size_t i = 0; i < r->nprocs; i++)
		free(r->procs[i].mods);
	free(r->procs);
	memset(r, 0, sizeof(*r));
}
