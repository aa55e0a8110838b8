/*
 * blame.c - attribution, entry points and aggregation (see blame.h).
 *
 * Symbolizing is the expensive step, so a report pays only for what it
 * shows. Stacks that hold no outstanding memory are skipped. An entry
 * point is named from the module's symbol table alone (sym_function): its
 * name is its physical function's ELF symbol, which is also what says
 * whether the module exports it; only its caller, who may be inlined code,
 * is looked up in DWARF. A site keeps its frames as recorded (module,
 * offset) while the traces are read, merged by a hash of them with an
 * exact comparison behind it; only the sites a module keeps (its top N
 * after --min-bytes, and those tied with the N-th, whose order needs their
 * symbolized frames) are symbolized, at the end. The symbolizer caches
 * every address it looked up, across stacks and traces.
 */
#include "blame.h"

#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/wrappers.h"
#include "wrapper_functions.h"
#include "sat_add.h"

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

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* ---------- building ------------------------------------------------------ */

/* A stack frame as recorded, before symbolization: what a site is made of
 * until it is known to be shown. sm is NULL when there is nothing to look
 * up (no module; its file missing or another build). */
struct raw_frame {
	const char *module, *module_path;
	struct sym_module *sm;
	uint64_t offset;
};

/* A site while the traces are read: counters and raw frames. Only the
 * sites a report keeps are symbolized (expand()). */
/* A stack that makes up a site, for the site's series. */
struct member {
	size_t proc;
	const struct ts_series *series;
};

/* Where in its raw frames a site is blamed: the same for every stack of
 * the site, since it depends on the frames alone. */
struct site_blame {
	size_t blamed_raw;  /* raw[blamed_raw]: the blamed frame */
	long entry_raw;     /* raw[entry_raw]: the entry point's frame, or -1 when unknown */
	const char *entry;  /* the entry point's function */
	const char *wrapper, *wrapper_module; /* the wrapper function called, or NULL */
	uint32_t cut_at;    /* the stack was cut at this many frames (0: whole) */
};

struct pending_site {
	uint64_t bytes, blocks;
	struct leak_tally kinds;
	struct site_blame at;
	struct raw_frame *raw;
	size_t nraw;
	uint64_t key;   /* hash of the raw frames */
	struct member *mem;
	size_t nmem;
	size_t uid;     /* the builder's serial number of the site */
};

/* An OWNED pair between two pending sites, by uid. */
struct owned_pair {
	size_t site, root;
	uint64_t blocks, bytes;
};

/* Per blame_module: its pending sites, indexed by key (open addressing
 * over positions + 1), and the capacity of its entries. */
struct module_state {
	struct pending_site *pend;
	size_t npend, cap;
	size_t *idx;
	size_t mask;
	size_t entrycap;
};

/* A module on the timeline, while series are summed. */
struct timeline_module {
	const char *path;
	char build_id[129];
	double *steps;
};

struct builder {
	struct blame_report *r;
	struct symbolizer *sym;
	const struct blame_options *opt;
	struct tl_axis *axis;
	size_t proc;              /* the process being read */
	struct timeline_module *tl;
	size_t ntl, tlcap;
	size_t modcap;
	struct module_state *ms;  /* one per r->mods */
	/* the process being read: its modules' handles, made on first use, by
	 * index in its modules (tm_module_index) */
	struct sym_module **psym;
	uint8_t *psym_done;
	/* executables by the name their processes were started by */
	struct program_name *programs;
	size_t nprograms;
	/* the sites of the process being read, by stack id: uid + 1 (0: none) */
	size_t *stack_uid;
	size_t nstack_uid;
	size_t nuid;
	struct owned_pair *pairs;
	size_t npairs, paircap;
	int oom;
};

/* An executable and the name it was started by (argv[0]'s base name: Debian
 * starts redis-server through a symlink to redis-check-rdb), or NULL when
 * processes started it by different names. */
struct program_name {
	const char *exe;
	const char *name;
};

/* Collects every process's executable and program name; 0, or -1 out of
 * memory. */
static int collect_programs(struct builder *b, const struct tm_model *model)
{
	b->programs = calloc(model->nprocs ? model->nprocs : 1, sizeof(*b->programs));
	if (!b->programs)
		return -1;
	for (size_t i = 0; i < model->nprocs; i++) {
		const struct tm_process *p = &model->procs[i];
		if (!p->exe || !p->program || !*p->program)
			continue;
		size_t k = 0;
		while (k < b->nprograms && strcmp(b->programs[k].exe, p->exe) != 0)
			k++;
		if (k == b->nprograms)
			b->programs[b->nprograms++] = (struct program_name){p->exe, p->program};
		else if (b->programs[k].name && strcmp(b->programs[k].name, p->program) != 0)
			b->programs[k].name = NULL; /* busybox-like: no one name is right */
	}
	return 0;
}

/* The name a module is shown by: the program's, for the executable the
 * processes were started as (its path stays beside it); the file's base
 * name for every other module. */
static const char *module_name(const struct builder *b, const char *path)
{
	for (size_t k = 0; k < b->nprograms; k++)
		if (b->programs[k].name && !strcmp(b->programs[k].exe, path))
			return b->programs[k].name;
	return base_name(path);
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* What names a module across traces: its path and build-id (hex), or
 * "[unknown]" for blocks of no module. */
static const char *module_key(const struct tm_module *tm, char id[129])
{
	id[0] = 0;
	if (tm)
		hex(id, tm->build_id, tm->build_id_len);
	return tm ? tm->path : "[unknown]";
}

static struct blame_module *module_for(struct builder *b, const struct tm_module *tm)
{
	struct blame_report *r = b->r;
	char id[129];
	const char *path = module_key(tm, id);
	for (size_t i = 0; i < r->nmods; i++)
		if (strcmp(r->mods[i].path, path) == 0 && strcmp(r->mods[i].build_id, id) == 0)
			return &r->mods[i];
	if (r->nmods == b->modcap) {
		size_t cap = b->modcap ? b->modcap * 2 : 16;
		struct blame_module *mods = realloc(r->mods, cap * sizeof(*mods));
		if (mods)
			r->mods = mods;
		struct module_state *ms = realloc(b->ms, cap * sizeof(*ms));
		if (ms)
			b->ms = ms;
		if (!mods || !ms) {
			b->oom = 1;
			return NULL;
		}
		b->modcap = cap;
	}
	struct blame_module *m = &r->mods[r->nmods];
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->name = tm ? module_name(b, path) : path;
	memcpy(m->build_id, id, sizeof(id));
	m->status = tm ? sym_module_status(sym_module_get(b->sym, tm->path, tm->build_id, tm->build_id_len))
		       : SYM_MISSING;
	memset(&b->ms[r->nmods], 0, sizeof(b->ms[r->nmods]));
	r->nmods++;
	return m;
}

/* The symbolizer's handle for module id mid of the process being read, or
 * NULL when its frames cannot be symbolized (no module; its file missing
 * or another build). Asking makes the handle, so the symbolizer knows
 * every module a frame was in (symbol_problems warns about them). */
static struct sym_module *sym_of(struct builder *b, const struct tm_process *p, uint32_t mid)
{
	long k = tm_module_index(p, mid);
	if (k >= 0 && b->psym_done[k])
		return b->psym[k];
	const struct tm_module *tm = tm_module_of(p, mid);
	struct sym_module *sm = tm ? sym_module_get(b->sym, tm->path, tm->build_id, tm->build_id_len) : NULL;
	if (sm && !sym_module_found(sm))
		sm = NULL;
	if (k >= 0) {
		b->psym[k] = sm;
		b->psym_done[k] = 1;
	}
	return sm;
}

/* The symbolized frames of one stack frame (physical + inlined). */
static int frames_at(struct sym_module *sm, uint64_t offset, struct sym_frame *out)
{
	return sm ? sym_lookup(sm, offset, out, SYM_MAX_INLINE) : 0;
}

static int same_raw(const struct pending_site *s, const struct raw_frame *f, size_t n)
{
	if (s->nraw != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct raw_frame *a = &s->raw[i], *c = &f[i];
		if (a->offset != c->offset || (a->module != c->module &&
		    (!a->module || !c->module || strcmp(a->module, c->module) != 0)))
			return 0;
	}
	return 1;
}

/* Adds a stack's outstanding memory to the site of its raw frames in
 * module mi (made if new; it takes raw, else frees it). Two stacks are
 * one site when their frames (module name, offset) are the same, which is
 * when their symbolized frames are the same: symbolizing a frame depends
 * on nothing else. */
static void add_member(struct builder *b, struct pending_site *ps, const struct tm_stack *st)
{
	if (!st->series.n)
		return;
	struct member *m = realloc(ps->mem, (ps->nmem + 1) * sizeof(*m));
	if (!m) {
		b->oom = 1;
		return;
	}
	ps->mem = m;
	ps->mem[ps->nmem++] = (struct member){b->proc, &st->series};
}

static void add_site(struct builder *b, size_t mi, struct raw_frame *raw, size_t n, const struct site_blame *at,
		     const struct tm_stack *st)
{
	uint64_t bytes = st->out_bytes, blocks = st->out_blocks;
	struct module_state *ms = &b->ms[mi];
	uint64_t h = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++)
		h = mix(h ^ raw[i].offset);
	if (ms->idx) {
		for (size_t k = h & ms->mask; ms->idx[k]; k = (k + 1) & ms->mask) {
			struct pending_site *s = &ms->pend[ms->idx[k] - 1];
			if (s->key == h && same_raw(s, raw, n)) {
				s->bytes = sat_add(s->bytes, bytes);
				s->blocks = sat_add(s->blocks, blocks);
				leak_tally_merge(&s->kinds, &st->kinds);
				free(raw);
				add_member(b, s, st);
				if (st->id < b->nstack_uid)
					b->stack_uid[st->id] = s->uid + 1;
				return;
			}
		}
	}
	if (ms->npend == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 16;
		struct pending_site *v = realloc(ms->pend, cap * sizeof(*v));
		if (!v) {
			b->oom = 1;
			free(raw);
			return;
		}
		ms->pend = v;
		ms->cap = cap;
	}
	if ((ms->npend + 1) * 2 > ms->mask + 1) {
		size_t nm = ms->mask ? (ms->mask + 1) * 2 : 64;
		size_t *ni = calloc(nm, sizeof(*ni));
		if (!ni) {
			b->oom = 1;
			free(raw);
			return;
		}
		for (size_t s = 0; s < ms->npend; s++) {
			size_t k = ms->pend[s].key & (nm - 1);
			while (ni[k])
				k = (k + 1) & (nm - 1);
			ni[k] = s + 1;
		}
		free(ms->idx);
		ms->idx = ni;
		ms->mask = nm - 1;
	}
	ms->pend[ms->npend] = (struct pending_site){bytes, blocks, st->kinds, *at, raw, n, h, NULL, 0, b->nuid++};
	if (st->id < b->nstack_uid)
		b->stack_uid[st->id] = ms->pend[ms->npend].uid + 1;
	add_member(b, &ms->pend[ms->npend], st);
	size_t k = h & ms->mask;
	while (ms->idx[k])
		k = (k + 1) & ms->mask;
	ms->idx[k] = ++ms->npend;
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void add_entry(struct builder *b, size_t mi, const char *fn, int exported, const char *cmod,
		      const char *cfn, uint32_t cut_at, const struct tm_stack *st)
{
	struct blame_module *m = &b->r->mods[mi];
	for (size_t i = 0; i < m->nentries; i++) {
		struct blame_entry *e = &m->entries[i];
		if (str_eq(e->function, fn) && str_eq(e->caller_module, cmod) && str_eq(e->caller_function, cfn) &&
		    e->cut_at == cut_at) {
			e->bytes = sat_add(e->bytes, st->out_bytes);
			e->blocks = sat_add(e->blocks, st->out_blocks);
			leak_tally_merge(&e->kinds, &st->kinds);
			return;
		}
	}
	if (m->nentries == b->ms[mi].entrycap) {
		size_t cap = b->ms[mi].entrycap ? b->ms[mi].entrycap * 2 : 8;
		struct blame_entry *e = realloc(m->entries, cap * sizeof(*e));
		if (!e) {
			b->oom = 1;
			return;
		}
		m->entries = e;
		b->ms[mi].entrycap = cap;
	}
	m->entries[m->nentries++] =
		(struct blame_entry){fn, exported, cmod, cfn, st->out_bytes, st->out_blocks, st->kinds, cut_at};
}

static void add_process_module(struct blame_process *bp, const struct blame_module *m, uint64_t bytes,
			       uint64_t blocks, const struct leak_tally *kinds)
{
	for (size_t i = 0; i < bp->nmods; i++) {
		if (bp->mods[i].path == m->path) {
			bp->mods[i].bytes = sat_add(bp->mods[i].bytes, bytes);
			bp->mods[i].blocks = sat_add(bp->mods[i].blocks, blocks);
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

/* The frame a stack is blamed on and the wrapper function it called. */
struct blamed {
	uint32_t frame;     /* the first frame outside allocator wrappers (0 when there is none) */
	long via;           /* the outermost wrapper function's frame it called, or -1 */
	const char *via_fn; /* that function's name */
};

/* How far into the code of a library its internals may lie from one of
 * its wrapper functions: sqlite3_malloc reaches malloc three frames in
 * (sqlite3Malloc, mallocWithAlarm, sqlite3MemMalloc). Looking further
 * would take for the wrapper's internals the code of a hook the wrapper
 * called back, whose allocations are its own. */
#define WRAPPER_INTERNALS_MAX 8

/* Whether frame i of st is in a wrapper function (the physical function
 * at its return address, by name); *fn gets the name. */
static int in_wrapper_function(struct builder *b, const struct tm_process *p, const struct tm_stack *st, uint32_t i,
			       const char **fn)
{
	const char *linkage = NULL;
	struct sym_module *sm = sym_of(b, p, st->frame_module[i]);
	*fn = NULL;
	return sm && sym_function(sm, st->frame_offset[i], fn, &linkage) &&
	       wrapper_function_match(b->opt->wrapper_functions, b->opt->nwrapper_functions, *fn, linkage);
}

/* Whether frame i lies in no module or in a wrapper module. */
static int in_wrapper_module(const struct tm_process *p, const struct tm_stack *st, uint32_t i, const uint8_t *wrapper)
{
	uint32_t mid = st->frame_module[i];
	return !tm_module_of(p, mid) || wrapper[tm_module_index(p, mid)];
}

/* The frame a stack is blamed on: from frame 0 outward, frames in wrapper
 * modules (libc's strdup) and in wrapper functions (xmalloc) are the
 * allocator's; so are the first frames of a library that lead, within
 * WRAPPER_INTERNALS_MAX frames of its code, to one of its wrapper
 * functions (sqlite3MemMalloc under sqlite3_malloc). The first frame
 * after them is blamed; when there is none, the outermost wrapper
 * function's frame, else frame 0. */
static struct blamed blamed_frame(struct builder *b, const struct tm_process *p, const struct tm_stack *st,
				  const uint8_t *wrapper)
{
	struct blamed r = {0, -1, NULL};
	uint32_t i = 0;
	const char *fn;
	while (i < st->depth && in_wrapper_module(p, st, i, wrapper))
		i++;
	/* a wrapper's internals: its library's frames that lead to it */
	for (uint32_t k = i, seen = 0; k < st->depth && seen < WRAPPER_INTERNALS_MAX; k++) {
		if (in_wrapper_module(p, st, k, wrapper))
			continue;
		if (st->frame_module[k] != st->frame_module[i])
			break;
		if (in_wrapper_function(b, p, st, k, &fn)) {
			i = k; /* the loop below passes it */
			break;
		}
		seen++;
	}
	/* the wrappers themselves, and the wrappers they were called by */
	while (i < st->depth) {
		if (in_wrapper_module(p, st, i, wrapper)) {
			i++;
		} else if (in_wrapper_function(b, p, st, i, &fn)) {
			r.via = i;
			r.via_fn = fn;
			i++;
		} else {
			r.frame = i;
			return r;
		}
	}
	r.frame = r.via >= 0 ? (uint32_t)r.via : 0;
	return r;
}

/* Whether --module keeps the module (NULL: blocks of no module). */
static int module_wanted(const struct builder *b, const struct tm_module *tm)
{
	const char *g = b->opt->module_glob;
	return !g || (tm && (blame_glob(g, base_name(tm->path)) || blame_glob(g, module_name(b, tm->path)) ||
			     blame_glob(g, tm->path)));
}

/* The timeline's line of module tm, made if new; NULL out of memory. */
static struct timeline_module *timeline_module_for(struct builder *b, const struct tm_module *tm)
{
	char id[129];
	const char *path = module_key(tm, id);
	for (size_t i = 0; i < b->ntl; i++)
		if (strcmp(b->tl[i].path, path) == 0 && strcmp(b->tl[i].build_id, id) == 0)
			return &b->tl[i];
	if (b->ntl == b->tlcap) {
		size_t cap = b->tlcap ? b->tlcap * 2 : 16;
		struct timeline_module *v = realloc(b->tl, cap * sizeof(*v));
		if (!v)
			return NULL;
		b->tl = v;
		b->tlcap = cap;
	}
	double *steps = calloc(b->axis->n ? b->axis->n : 1, sizeof(*steps));
	if (!steps)
		return NULL;
	struct timeline_module *t = &b->tl[b->ntl++];
	t->path = path;
	memcpy(t->build_id, id, sizeof(id));
	t->steps = steps;
	return t;
}

/* A stack's series into its module's line of the timeline. */
static void timeline_stack(struct builder *b, const struct tm_process *p, const struct tm_stack *st,
			   const struct blamed *bl)
{
	const struct tm_module *tm = st->depth ? tm_module_of(p, st->frame_module[bl->frame]) : NULL;
	if (!module_wanted(b, tm))
		return;
	struct timeline_module *t = timeline_module_for(b, tm);
	if (!t) {
		b->oom = 1;
		return;
	}
	tl_add_steps(b->axis, b->proc, &st->series, t->steps);
}

/* Blames one stack: its module, its entry point (named from the symbol
 * table; its caller, who may be inlined, with DWARF) and its site, whose
 * frames stay raw until the site is known to be shown. */
static void blame_stack(struct builder *b, const struct tm_process *p, struct blame_process *bp,
			const struct tm_stack *st, const struct blamed *bl)
{
	uint32_t blamed = bl->frame;
	const struct tm_module *tm = st->depth ? tm_module_of(p, st->frame_module[blamed]) : NULL;
	if (!module_wanted(b, tm))
		return;
	struct blame_module *m = module_for(b, tm);
	if (!m)
		return;
	size_t mi = (size_t)(m - b->r->mods);
	m->bytes = sat_add(m->bytes, st->out_bytes);
	m->blocks = sat_add(m->blocks, st->out_blocks);
	m->bytes_var += (double)p->sample_bytes * (double)st->out_bytes;
	leak_tally_merge(&m->kinds, &st->kinds);
	add_process_module(bp, m, st->out_bytes, st->out_blocks, &st->kinds);

	/* entry point: the outermost frame of the run inside the blamed
	 * module; its name is its physical function's ELF symbol, which is
	 * also what says whether the module exports it */
	uint32_t j = blamed;
	while (st->depth && j + 1 < st->depth && st->frame_module[j + 1] == st->frame_module[blamed])
		j++;
	const char *entry_fn = NULL, *caller_mod = NULL, *caller_fn = NULL, *linkage = NULL;
	int exported = 0;
	/* a run that reaches the end of a cut stack goes on beyond it: its
	 * outermost frame recorded is not the entry point, which the trace
	 * cannot name */
	uint32_t cut_at = st->cut && st->depth && j + 1 == st->depth ? st->depth : 0;
	struct sym_module *sm = st->depth && !cut_at ? sym_of(b, p, st->frame_module[j]) : NULL;
	if (sm && sym_function(sm, st->frame_offset[j], &entry_fn, &linkage) && tm)
		exported = sym_is_exported(sym_module_get(b->sym, tm->path, tm->build_id, tm->build_id_len), linkage);
	uint32_t ci = j + 1;
	while (ci < st->depth && is_shim(p, st->frame_module[ci]))
		ci++;
	if (ci < st->depth) {
		const struct tm_module *cm = tm_module_of(p, st->frame_module[ci]);
		caller_mod = cm ? module_name(b, cm->path) : NULL;
		struct sym_frame sf[SYM_MAX_INLINE];
		if (frames_at(sym_of(b, p, st->frame_module[ci]), st->frame_offset[ci], sf))
			caller_fn = sf[0].function; /* the innermost: an inlined caller by its own name */
	}
	add_entry(b, mi, entry_fn, exported, caller_mod, caller_fn, cut_at, st);

	/* the site: every frame but the shim's, as recorded */
	struct raw_frame *raw = malloc(((size_t)st->depth + 1) * sizeof(*raw));
	if (!raw) {
		b->oom = 1;
		return;
	}
	size_t nraw = 0;
	struct site_blame at = {0, -1, entry_fn, NULL, NULL, st->cut ? st->depth : 0};
	if (bl->via >= 0) {
		const struct tm_module *wm = tm_module_of(p, st->frame_module[bl->via]);
		at.wrapper = bl->via_fn;
		at.wrapper_module = wm ? module_name(b, wm->path) : NULL;
	}
	for (uint32_t i = 0; i < st->depth; i++) {
		if (i == blamed)
			at.blamed_raw = nraw;
		if (is_shim(p, st->frame_module[i]))
			continue;
		if (i == j && !cut_at)
			at.entry_raw = (long)nraw;
		const struct tm_module *fm = tm_module_of(p, st->frame_module[i]);
		raw[nraw++] = (struct raw_frame){fm ? module_name(b, fm->path) : NULL, fm ? fm->path : NULL,
						 fm ? sym_of(b, p, st->frame_module[i]) : NULL, st->frame_offset[i]};
	}
	add_site(b, mi, raw, nraw, &at, st);
}

/* Symbolizes a pending site into s: every frame, inlined ones expanded,
 * and the hash sites are ordered by among equals (of the symbolized
 * frames, as it always was, so that reports keep their order). 0, or -1
 * out of memory. */
static int expand(const struct pending_site *ps, struct blame_site *s)
{
	size_t cap = ps->nraw * 2 + 1, nf = 0, blamed = 0;
	long entry = -1;
	struct blame_frame *frames = malloc(cap * sizeof(*frames));
	if (!frames)
		return -1;
	for (size_t i = 0; i < ps->nraw; i++) {
		const struct raw_frame *rf = &ps->raw[i];
		if (i == ps->at.blamed_raw)
			blamed = nf;
		struct sym_frame sf[SYM_MAX_INLINE];
		int k = frames_at(rf->sm, rf->offset, sf);
		if (nf + (size_t)(k ? k : 1) > cap) {
			cap = (nf + (size_t)(k ? k : 1)) * 2;
			struct blame_frame *nfr = realloc(frames, cap * sizeof(*frames));
			if (!nfr) {
				free(frames);
				return -1;
			}
			frames = nfr;
		}
		if (!k) {
			frames[nf++] = (struct blame_frame){rf->module, rf->module_path, NULL, NULL, NULL, 0, 0, rf->offset};
		} else {
			for (int q = 0; q < k; q++)
				frames[nf++] = (struct blame_frame){rf->module, rf->module_path, sf[q].function, sf[q].file,
								    sf[q].dir, sf[q].line, sf[q].inlined, rf->offset};
		}
		if ((long)i == ps->at.entry_raw)
			entry = (long)nf - 1; /* the physical frame: the last of its expansion */
	}
	uint64_t h = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < nf; i++)
		h = mix(h ^ frames[i].offset ^ ((uint64_t)frames[i].inlined << 63));
	*s = (struct blame_site){ps->bytes, ps->blocks, ps->kinds, ps->at.entry, frames, nf, blamed,
				 ps->at.wrapper, ps->at.wrapper_module, entry, ps->at.cut_at, h, {GROWTH_UNKNOWN, 0, 0},
				 ps->uid};
	return 0;
}

/* The growth of a series of levels on the axis. */
static struct growth growth_of(const struct tl_axis *a, const double *levels)
{
	return growth_classify(a->t_s, levels, a->n);
}

/* A kept site's growth: its stacks' series summed. 0, or -1 out of memory. */
static int site_growth(struct builder *b, const struct pending_site *ps, struct blame_site *s)
{
	if (!b->axis->n)
		return 0;
	double *steps = calloc(b->axis->n, sizeof(*steps));
	if (!steps)
		return -1;
	for (size_t i = 0; i < ps->nmem; i++)
		tl_add_steps(b->axis, ps->mem[i].proc, ps->mem[i].series, steps);
	tl_levels(b->axis, steps);
	s->growth = growth_of(b->axis, steps);
	free(steps);
	return 0;
}

static int by_pending_bytes(const void *a, const void *b)
{
	const struct pending_site *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return (x->blocks < y->blocks) - (x->blocks > y->blocks);
}

static int by_site_bytes(const void *a, const void *b);

/* The sites module m keeps, symbolized: those holding at least min_bytes,
 * the top N of them by bytes, then blocks, then hash. Only sites that can
 * be among them are symbolized: every site that holds more than the N-th
 * largest, and those that hold as much (the hash, which orders them, is
 * of symbolized frames). 0, or -1 out of memory. */
static int keep_sites(struct builder *b, struct blame_module *m, struct module_state *ms)
{
	const struct blame_options *opt = b->opt;
	m->nsites_all = ms->npend;
	if (!ms->npend)
		return 0;
	qsort(ms->pend, ms->npend, sizeof(*ms->pend), by_pending_bytes);
	size_t eligible = 0;
	while (eligible < ms->npend && ms->pend[eligible].bytes >= opt->min_bytes)
		eligible++;
	size_t cand = eligible;
	if (opt->top && eligible > opt->top) {
		const struct pending_site *last = &ms->pend[opt->top - 1];
		cand = opt->top;
		while (cand < eligible && by_pending_bytes(&ms->pend[cand], last) == 0)
			cand++;
	}
	if (!cand)
		return 0;
	m->sites = malloc(cand * sizeof(*m->sites));
	if (!m->sites)
		return -1;
	for (size_t k = 0; k < cand; k++) {
		if (expand(&ms->pend[k], &m->sites[m->nsites]) < 0)
			return -1;
		m->nsites++;
		if (site_growth(b, &ms->pend[k], &m->sites[m->nsites - 1]) < 0)
			return -1;
	}
	qsort(m->sites, m->nsites, sizeof(*m->sites), by_site_bytes);
	if (opt->top && m->nsites > opt->top) {
		for (size_t k = opt->top; k < m->nsites; k++)
			free(m->sites[k].frames);
		m->nsites = opt->top;
	}
	return 0;
}

static void module_state_free(struct module_state *ms)
{
	for (size_t k = 0; k < ms->npend; k++) {
		free(ms->pend[k].raw);
		free(ms->pend[k].mem);
	}
	free(ms->pend);
	free(ms->idx);
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

/* Most growth first: growing modules by rate, then the rest by peak. */
static int by_growth(const void *a, const void *b)
{
	const struct blame_timeline_module *x = a, *y = b;
	int gx = x->growth.cls == GROWTH_GROWING, gy = y->growth.cls == GROWTH_GROWING;
	if (gx != gy)
		return gy - gx;
	if (gx && x->growth.bytes_per_hour != y->growth.bytes_per_hour)
		return x->growth.bytes_per_hour < y->growth.bytes_per_hour ? 1 : -1;
	if (x->peak != y->peak)
		return x->peak < y->peak ? 1 : -1;
	return strcmp(x->path, y->path);
}

/* The timeline: every module line that held memory (at least --min-bytes
 * at its peak), with its growth, which its module in r->mods shares. */
static int build_timeline(struct builder *b)
{
	struct blame_report *r = b->r;
	struct blame_timeline *t = &r->timeline;
	t->n = b->axis->n;
	t->t_s = malloc((t->n ? t->n : 1) * sizeof(*t->t_s));
	t->mods = calloc(b->ntl ? b->ntl : 1, sizeof(*t->mods));
	if (!t->t_s || !t->mods)
		return -1;
	memcpy(t->t_s, b->axis->t_s, t->n * sizeof(*t->t_s));
	for (size_t i = 0; i < b->ntl; i++) {
		struct timeline_module *tm = &b->tl[i];
		tl_levels(b->axis, tm->steps);
		double peak = 0;
		for (size_t k = 0; k < t->n; k++)
			peak = tm->steps[k] > peak ? tm->steps[k] : peak;
		if (peak <= 0 || peak < (double)b->opt->min_bytes)
			continue;
		struct blame_timeline_module *out = &t->mods[t->nmods++];
		out->path = tm->path;
		out->name = strcmp(tm->path, "[unknown]") ? module_name(b, tm->path) : tm->path;
		memcpy(out->build_id, tm->build_id, sizeof(out->build_id));
		out->bytes = tm->steps;
		tm->steps = NULL; /* now the report's */
		out->peak = peak;
		out->growth = growth_of(b->axis, out->bytes);
		for (size_t k = 0; k < r->nmods; k++)
			if (!strcmp(r->mods[k].path, tm->path) && !strcmp(r->mods[k].build_id, tm->build_id))
				r->mods[k].growth = out->growth;
	}
	if (t->nmods)
		qsort(t->mods, t->nmods, sizeof(*t->mods), by_growth);
	return 0;
}

/* The OWNED records of process p, as pairs of the sites their stacks went
 * to (stacks blamed on modules left out have no site: their pairs go). */
static void owned_pairs(struct builder *b, const struct tm_process *p)
{
	for (size_t k = 0; k < p->nowned && b->nstack_uid; k++) {
		const struct site_owned *o = &p->owned[k];
		if (o->stack >= b->nstack_uid || o->root >= b->nstack_uid)
			continue;
		size_t t = b->stack_uid[o->stack], s = b->stack_uid[o->root];
		if (!t || !s || t == s)
			continue; /* a site that owns its own blocks: a rule hides all of them or none */
		if (b->npairs == b->paircap) {
			size_t cap = b->paircap ? b->paircap * 2 : 64;
			struct owned_pair *v = realloc(b->pairs, cap * sizeof(*v));
			if (!v) {
				b->oom = 1;
				return;
			}
			b->pairs = v;
			b->paircap = cap;
		}
		b->pairs[b->npairs++] = (struct owned_pair){t - 1, s - 1, o->count, o->bytes};
	}
}

/* The pairs between sites the report lists, by their final places. 0, or
 * -1 out of memory. */
static int owned_resolve(struct builder *b)
{
	struct blame_report *r = b->r;
	if (!b->npairs)
		return 0;
	struct place {
		size_t mod, site;
		int listed;
	} *at = calloc(b->nuid ? b->nuid : 1, sizeof(*at));
	r->owned = malloc(b->npairs * sizeof(*r->owned));
	if (!at || !r->owned) {
		free(at);
		return -1;
	}
	for (size_t i = 0; i < r->nmods; i++)
		for (size_t k = 0; k < r->mods[i].nsites; k++)
			if (r->mods[i].sites[k].uid < b->nuid)
				at[r->mods[i].sites[k].uid] = (struct place){i, k, 1};
	for (size_t i = 0; i < b->npairs; i++) {
		const struct owned_pair *q = &b->pairs[i];
		if (!at[q->site].listed || !at[q->root].listed)
			continue;
		r->owned[r->nowned++] = (struct blame_owned){at[q->site].mod, at[q->site].site, at[q->root].mod,
							     at[q->root].site, q->blocks, q->bytes};
	}
	free(at);
	return 0;
}

int blame_build(struct blame_report *r, const struct tm_model *model, struct symbolizer *s,
		const struct blame_options *opt)
{
	memset(r, 0, sizeof(*r));
	struct builder b = {.r = r, .sym = s, .opt = opt, .axis = tl_axis_new(model)};
	if (!b.axis || collect_programs(&b, model) < 0) {
		tl_axis_free(b.axis);
		return -1;
	}
	r->ntraces = model->nprocs;
	if (model->nprocs) {
		const struct tm_process *p0 = &model->procs[0];
		r->has_at = p0->has_at;
		r->at_s = (double)p0->at_ns / 1e9;
		r->has_since = p0->has_since;
		r->since_s = (double)p0->since_ns / 1e9;
	}
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
		bp->sample_bytes = p->sample_bytes;
		if (p->sample_bytes > r->sample_bytes)
			r->sample_bytes = p->sample_bytes;
		r->nscanned += bp->scanned;
		if (p->fork_merged) {
			bp->fork_merged = 1;
			bp->parent_pid = model->procs[p->parent].pid;
			bp->inherited_bytes = p->merged_out_bytes;
			bp->inherited_blocks = p->merged_out_blocks;
			r->inherited_bytes += p->merged_out_bytes;
			r->inherited_blocks += p->merged_out_blocks;
			r->nmerged_children++;
		}
		if (p->end_kind == TM_END_EXEC) {
			/* the image was replaced: its heap went with it */
			r->exec_bytes = sat_add(r->exec_bytes, p->out_bytes);
			r->exec_blocks = sat_add(r->exec_blocks, p->out_blocks);
			continue;
		}
		uint8_t *wrapper = calloc(p->nmodules ? p->nmodules : 1, 1);
		b.psym = calloc(p->nmodules ? p->nmodules : 1, sizeof(*b.psym));
		b.psym_done = calloc(p->nmodules ? p->nmodules : 1, 1);
		if (!wrapper || !b.psym || !b.psym_done) {
			free(wrapper);
			b.oom = 1;
			break;
		}
		for (size_t k = 0; k < p->nmodules; k++)
			wrapper[k] = p->modules[k].defined && blame_is_wrapper(p->modules[k].path, opt);
		b.proc = pi;
		free(b.stack_uid);
		b.nstack_uid = p->nowned ? p->nstacks : 0; /* only needed for OWNED pairs */
		b.stack_uid = b.nstack_uid ? calloc(b.nstack_uid, sizeof(*b.stack_uid)) : NULL;
		if (b.nstack_uid && !b.stack_uid)
			b.oom = 1;
		if (!b.stack_uid)
			b.nstack_uid = 0;
		for (size_t k = 0; k < p->nstacks; k++) {
			const struct tm_stack *st = p->stacks[k];
			if (!st || (!st->out_blocks && !st->series.n))
				continue;
			struct blamed bl = blamed_frame(&b, p, st, wrapper);
			if (st->out_blocks)
				blame_stack(&b, p, bp, st, &bl);
			if (st->series.n)
				timeline_stack(&b, p, st, &bl);
		}
		owned_pairs(&b, p);
		free(wrapper);
		free(b.psym);
		free(b.psym_done);
		b.psym = NULL;
		b.psym_done = NULL;
		if (p->unknown_stack_blocks && !opt->module_glob) {
			/* blocks whose stack definition was lost (a damaged block) */
			struct blame_module *m = module_for(&b, NULL);
			if (m) {
				m->bytes = sat_add(m->bytes, p->unknown_stack_bytes);
				m->blocks = sat_add(m->blocks, p->unknown_stack_blocks);
				m->bytes_var += (double)p->sample_bytes * (double)p->unknown_stack_bytes;
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
		if ((m->bytes < opt->min_bytes && m->bytes) || b.oom) {
			free(m->entries);
			module_state_free(&b.ms[i]);
			continue;
		}
		if (m->nentries) /* NULL for blocks of unknown stacks */
			qsort(m->entries, m->nentries, sizeof(*m->entries), by_entry_bytes);
		if (keep_sites(&b, m, &b.ms[i]) < 0)
			b.oom = 1;
		module_state_free(&b.ms[i]);
		r->mods[keep++] = *m;
	}
	r->nmods = keep;
	if (r->nmods) /* qsort's array must not be NULL, even when empty */
		qsort(r->mods, r->nmods, sizeof(*r->mods), by_module_bytes);
	for (size_t i = 0; i < r->nmods; i++) {
		r->bytes = sat_add(r->bytes, r->mods[i].bytes);
		r->blocks = sat_add(r->blocks, r->mods[i].blocks);
		leak_tally_merge(&r->kinds, &r->mods[i].kinds);
	}
	for (size_t i = 0; i < r->nprocs; i++) {
		struct blame_process *bp = &r->procs[i];
		if (bp->nmods)
			qsort(bp->mods, bp->nmods, sizeof(*bp->mods), by_proc_module_bytes);
		for (size_t k = 0; k < bp->nmods; k++) {
			bp->bytes = sat_add(bp->bytes, bp->mods[k].bytes);
			bp->blocks = sat_add(bp->blocks, bp->mods[k].blocks);
			leak_tally_merge(&bp->kinds, &bp->mods[k].kinds);
		}
	}
	if (build_timeline(&b) < 0)
		b.oom = 1;
	if (!b.oom && owned_resolve(&b) < 0)
		b.oom = 1;
	free(b.stack_uid);
	free(b.pairs);
	free(b.ms);
	for (size_t i = 0; i < b.ntl; i++)
		free(b.tl[i].steps);
	free(b.tl);
	tl_axis_free(b.axis);
	free(b.programs);
	return b.oom ? -1 : 0;
}

const struct blame_module *blame_module_of_line(const struct blame_report *r, const struct blame_timeline_module *t)
{
	for (size_t i = 0; i < r->nmods; i++)
		if (!strcmp(r->mods[i].path, t->path) && !strcmp(r->mods[i].build_id, t->build_id))
			return &r->mods[i];
	return NULL;
}

const struct blame_timeline_module *blame_line_of_module(const struct blame_report *r, const struct blame_module *m)
{
	for (size_t i = 0; i < r->timeline.nmods; i++)
		if (!strcmp(r->timeline.mods[i].path, m->path) && !strcmp(r->timeline.mods[i].build_id, m->build_id))
			return &r->timeline.mods[i];
	return NULL;
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
	free(r->owned);
	for (size_t i = 0; i < r->nprocs; i++)
		free(r->procs[i].mods);
	free(r->procs);
	for (size_t i = 0; i < r->timeline.nmods; i++)
		free(r->timeline.mods[i].bytes);
	free(r->timeline.mods);
	free(r->timeline.t_s);
	memset(r, 0, sizeof(*r));
}
