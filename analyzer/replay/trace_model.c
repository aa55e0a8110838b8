/*
 * trace_model.c - replay of traces into outstanding bytes per stack (see
 * trace_model.h). The replay is the one docs/trace-format.md describes:
 * SITE, INHERIT and REACH records add up per site (site_counts.h), and at
 * the end every site's outstanding blocks and their kinds go to its stack.
 * EXEC_FAILED undoes the "exec" end an EXEC record announced.
 */
#include "trace_model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_progress.h"
#include "site_counts.h"
#include "trace_records.h"
#include "sat_add.h"

/* Room for one more element in *arr of *cap (doubling). 0, or -1. */
static int grow_one(void *arr, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	void *a = realloc(*(void **)arr, c * elem);
	if (!a)
		return -1;
	*(void **)arr = a;
	*cap = c;
	return 0;
}

/* The module of id, made (undefined) when new; NULL beyond 32 bits or out
 * of memory. */
static struct tm_module *module_slot(struct tm_process *p, uint64_t id)
{
	if (id > 0xffffffffu)
		return NULL;
	long k = id_index_find(&p->module_ids, (uint32_t)id);
	if (k >= 0)
		return &p->modules[k];
	int added;
	if (grow_one(&p->modules, p->nmodules, &p->modules_cap, sizeof(*p->modules)) < 0 ||
	    (k = id_index_add(&p->module_ids, (uint32_t)id, &added)) < 0)
		return NULL;
	struct tm_module *m = &p->modules[k];
	memset(m, 0, sizeof(*m));
	m->id = (uint32_t)id;
	p->nmodules++;
	return m;
}

long tm_module_index(const struct tm_process *p, uint32_t id)
{
	return id_index_find(&p->module_ids, id);
}

const struct tm_module *tm_module_of(const struct tm_process *p, uint32_t id)
{
	long k = id_index_find(&p->module_ids, id);
	return k >= 0 && p->modules[k].defined ? &p->modules[k] : NULL;
}

int tm_process_reindex(struct tm_process *p)
{
	id_index_free(&p->module_ids);
	id_index_free(&p->stack_ids);
	for (size_t k = 0; k < p->nmodules; k++)
		if (p->modules[k].defined && id_index_set(&p->module_ids, p->modules[k].id, (uint32_t)k) < 0)
			return -1;
	for (size_t k = 0; k < p->nstacks; k++)
		if (p->stacks[k] && id_index_set(&p->stack_ids, p->stacks[k]->id, (uint32_t)k) < 0)
			return -1;
	return 0;
}

struct tm_stack *tm_stack_of(const struct tm_process *p, uint64_t id)
{
	long k = id > 0xffffffffu ? -1 : id_index_find(&p->stack_ids, (uint32_t)id);
	return k >= 0 ? p->stacks[k] : NULL;
}

static int on_module(struct tm_process *p, const struct trace_record *r)
{
	struct rec_module rm;
	if (rec_decode_module(r, &rm) < 0)
		return -1;
	struct tm_module *m = module_slot(p, rm.id);
	if (!m)
		return -1;
	free(m->path);
	m->path = strndup(rm.path.s, rm.path.len);
	m->id = (uint32_t)rm.id;
	m->bias = rm.bias;
	m->build_id_len = rm.build_id.len < sizeof(m->build_id) ? rm.build_id.len : sizeof(m->build_id);
	memcpy(m->build_id, rm.build_id.s, m->build_id_len);
	m->defined = 1;
	m->unloaded = 0;
	return 0;
}

static int on_stack(struct tm_process *p, const struct trace_record *r)
{
	struct rec_stack rs;
	if (rec_decode_stack(r, &rs) < 0 || rs.id > 0xffffffffu)
		return -1;
	if (grow_one(&p->stacks, p->nstacks, &p->stacks_cap, sizeof(*p->stacks)) < 0)
		return -1;
	struct tm_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->id = (uint32_t)rs.id;
	s->module = (uint32_t)rs.module;
	s->cut = rs.has_flags ? (rs.flags & HB_STACK_CUT) != 0 : p->max_depth && rs.depth >= p->max_depth;
	s->frame_module = malloc((rs.depth ? rs.depth : 1) * sizeof(*s->frame_module));
	s->frame_offset = malloc((rs.depth ? rs.depth : 1) * sizeof(*s->frame_offset));
	if (!s->frame_module || !s->frame_offset) {
		free(s->frame_module);
		free(s->frame_offset);
		free(s);
		return -1;
	}
	const uint8_t *q = rs.frames_at;
	for (uint64_t i = 0; i < rs.depth; i++) {
		uint64_t mod, off;
		if (rec_next_frame(&q, rs.end, &mod, &off) < 0)
			break;
		s->frame_module[s->depth] = (uint32_t)mod;
		s->frame_offset[s->depth] = off;
		s->depth++;
	}
	int added;
	long k = id_index_add(&p->stack_ids, (uint32_t)rs.id, &added);
	if (k < 0) {
		free(s->frame_module);
		free(s->frame_offset);
		free(s);
		return -1;
	}
	struct tm_stack *old = added ? NULL : p->stacks[k];
	if (old) { /* a redefinition (a fork child re-defines): keep the new one */
		s->series = old->series; /* the same site: its history goes on */
		free(old->frame_module);
		free(old->frame_offset);
		free(old);
	}
	p->stacks[k] = s;
	if (added)
		p->nstacks++;
	return 0;
}

struct load_ctx {
	struct tm_process *p;
	struct site_counts sites;
	int stop;           /* a FLUSH mark after --at: read no further */
	int scan_after_mark;  /* a SCAN was read since the last FLUSH mark */
	int64_t scan_before;  /* the scan status before it */
	uint64_t lost_by_kind[HB_LOSS_KIND_COUNT + 1];
	uint64_t malformed;
};

/* A FLUSH mark: the state is exact here. Past --at, roll the sites changed
 * since the previous mark back and stop; else put every changed site's
 * level on the grid. */
static int on_flush(struct load_ctx *c, const struct trace_record *r)
{
	struct tm_process *p = c->p;
	struct rec_flush f;
	if (rec_decode_flush(r, &f) < 0)
		return -1;
	if (p->has_at && f.time_ns > p->at_ns) {
		site_counts_cut(&c->sites);
		if (c->scan_after_mark) /* the exit scan belongs to the flush cut off */
			p->scan_status = c->scan_before;
		p->cut = 1;
		c->stop = 1;
		return 0;
	}
	int coarsened;
	uint32_t slot = ts_grid_add(&p->grid, f.time_ns, &coarsened);
	if (coarsened)
		for (size_t k = 0; k < p->nstacks; k++)
			if (p->stacks[k])
				ts_series_coarsen(&p->stacks[k]->series);
	for (size_t i = 0; i < c->sites.ndirty; i++) {
		const struct site_count *sc = &c->sites.by_stack[c->sites.dirty[i]];
		struct tm_stack *st = tm_stack_of(p, sc->id);
		if (st && ts_series_put(&st->series, slot, site_tally_level(&sc->total)) < 0)
			c->sites.oom = 1;
	}
	site_counts_mark(&c->sites, f.time_ns, f.epoch);
	c->scan_after_mark = 0;
	p->last_flush_ns = f.time_ns;
	return 0;
}

static int on_meta(struct load_ctx *c, const struct trace_record *r)
{
	struct tm_process *p = c->p;
	switch (r->tag) {
	case HB_REC_PROCESS: {
		struct rec_process rp;
		if (rec_decode_process(r, &rp) < 0)
			return -1;
		p->pid = rp.pid;
		p->ppid = rp.ppid;
		p->flags = rp.flags;
		free(p->program);
		p->program = strndup(rp.program.s, rp.program.len);
		free(p->exe);
		p->exe = strndup(rp.exe.s, rp.exe.len);
		p->sample_bytes = rp.sample_bytes;
		p->max_depth = rp.max_depth;
		p->start_realtime_ns = rp.start_realtime_ns;
		site_counts_start(&c->sites, rp.first_epoch);
		return 0;
	}
	case HB_REC_FLUSH:
		return on_flush(c, r);
	case HB_REC_MODULE:
		return on_module(p, r);
	case HB_REC_UNLOAD: {
		struct rec_unload u;
		if (rec_decode_unload(r, &u) < 0)
			return -1;
		struct tm_module *m = module_slot(p, u.id);
		if (m)
			m->unloaded = 1;
		return 0;
	}
	case HB_REC_STACK:
		return on_stack(p, r);
	case HB_REC_LOSS: {
		struct rec_loss l;
		if (rec_decode_loss(r, &l) < 0)
			return -1;
		uint64_t k = l.kind < HB_LOSS_KIND_COUNT ? l.kind : HB_LOSS_KIND_COUNT;
		if (l.events > c->lost_by_kind[k]) {
			p->lost_events = sat_add(p->lost_events, l.events - c->lost_by_kind[k]);
			c->lost_by_kind[k] = l.events;
		}
		return 0;
	}
	case HB_REC_EXEC: {
		struct rec_exec e;
		if (rec_decode_exec(r, &e) < 0)
			return -1;
		p->end_kind = TM_END_EXEC;
		snprintf(p->end, sizeof(p->end), "exec %.*s", (int)(e.path.len > 80 ? 80 : e.path.len), e.path.s);
		return 0;
	}
	case HB_REC_EXEC_FAILED: {
		/* the image was not replaced: the trace goes on, and its end is
		 * whatever comes next (an END, or none for a killed process) */
		struct rec_exec_failed e;
		if (rec_decode_exec_failed(r, &e) < 0)
			return -1;
		p->end_kind = TM_END_NONE;
		snprintf(p->end, sizeof(p->end), "none");
		return 0;
	}
	case HB_REC_SCAN: {
		struct rec_scan sc;
		if (rec_decode_scan(r, &sc) < 0)
			return -1;
		if (!c->scan_after_mark)
			c->scan_before = p->scan_status;
		c->scan_after_mark = 1;
		p->scan_status = sc.status > INT64_MAX ? INT64_MAX : (int64_t)sc.status;
		p->scan_ns = sc.duration_ns;
		return 0;
	}
	case HB_REC_LSAN_SUPPRESSIONS: {
		struct rec_lsan_supp ls;
		if (rec_decode_lsan_supp(r, &ls) < 0)
			return -1;
		char *t = malloc(ls.text.len + 1);
		if (!t)
			return -1;
		memcpy(t, ls.text.s, ls.text.len);
		t[ls.text.len] = '\0';
		free(p->lsan_suppressions);
		p->lsan_suppressions = t;
		p->lsan_suppressions_len = ls.text.len;
		return 0;
	}
	case HB_REC_END: {
		struct rec_end e;
		if (rec_decode_end(r, &e) < 0)
			return -1;
		p->end_kind = TM_END_ENDED;
		if (e.status < 0)
			snprintf(p->end, sizeof(p->end), "%s", rec_end_reason_name(e.reason));
		else
			snprintf(p->end, sizeof(p->end), "%s %" PRId64, rec_end_reason_name(e.reason), e.status);
		return 0;
	}
	default:
		return 0;
	}
}

static int on_event(struct load_ctx *c, uint32_t module, const struct trace_record *r)
{
	return site_counts_apply(&c->sites, module, r);
}

const char *tm_scan_name(const struct tm_process *p)
{
	return p->scan_status == TM_SCAN_NONE ? "none" : rec_scan_status_name((uint64_t)p->scan_status);
}

int tm_scanned(const struct tm_process *p)
{
	return p->scan_status == HB_SCAN_DONE;
}

/* A site's outstanding blocks, by kind, to its stack (or to the process's
 * unknown-stack tally when no STACK record defined it: damage). */
static void tally(struct load_ctx *c, uint64_t id, const struct site_count *sc)
{
	struct tm_process *p = c->p;
	uint64_t blocks, bytes, excess;
	struct site_tally all = sc->total, w = site_count_window(&c->sites, sc);
	site_tally_outstanding(&all, &blocks, &bytes, &excess);
	p->unmatched_frees += excess;
	site_tally_outstanding(&w, &blocks, &bytes, &excess);
	if (!blocks)
		return;
	struct leak_tally kinds, inh_kinds = {0};
	site_count_kinds(sc, &w, tm_scanned(p), &kinds, &p->reach_missing);
	/* a since window never holds inherited blocks (site_counts.h) */
	uint64_t inh_blocks = 0, inh_bytes = 0;
	if (!c->sites.since_on)
		site_count_inherited(&c->sites, sc, tm_scanned(p), &inh_blocks, &inh_bytes, &inh_kinds);
	p->out_bytes = sat_add(p->out_bytes, bytes);
	p->out_blocks = sat_add(p->out_blocks, blocks);
	leak_tally_merge(&p->kinds, &kinds);
	p->inh_bytes = sat_add(p->inh_bytes, inh_bytes);
	p->inh_blocks = sat_add(p->inh_blocks, inh_blocks);
	leak_tally_merge(&p->inh_kinds, &inh_kinds);
	struct tm_stack *st = tm_stack_of(p, id);
	if (st) {
		st->out_bytes = sat_add(st->out_bytes, bytes);
		st->out_blocks = sat_add(st->out_blocks, blocks);
		leak_tally_merge(&st->kinds, &kinds);
		st->inh_bytes += inh_bytes;
		st->inh_blocks += inh_blocks;
		leak_tally_merge(&st->inh_kinds, &inh_kinds);
	} else {
		p->unknown_stack_bytes = sat_add(p->unknown_stack_bytes, bytes);
		p->unknown_stack_blocks = sat_add(p->unknown_stack_blocks, blocks);
		leak_tally_merge(&p->unknown_stack_kinds, &kinds);
		p->unknown_inh_bytes += inh_bytes;
		p->unknown_inh_blocks += inh_blocks;
		leak_tally_merge(&p->unknown_inh_kinds, &inh_kinds);
	}
}

static void process_free(struct tm_process *p);

/* The window's times for this trace: those from the end counted back from
 * its last block's time. */
static void resolve_window(struct tm_process *p, struct trace_reader *r, const struct tm_window *w)
{
	if (!w || (!w->has_at && !w->has_since))
		return;
	uint64_t end = (w->at_from_end && w->has_at) || (w->since_from_end && w->has_since) ? trace_reader_span(r)
											     : 0;
	if (w->has_at) {
		p->has_at = 1;
		p->at_ns = w->at_from_end ? (w->at_ns < end ? end - w->at_ns : 0) : w->at_ns;
	}
	if (w->has_since) {
		p->has_since = 1;
		p->since_ns = w->since_from_end ? (w->since_ns < end ? end - w->since_ns : 0) : w->since_ns;
	}
}

/* A new process in m for path, its reader open. -1 with err. */
static struct tm_process *process_open(struct tm_model *m, const char *path, struct trace_reader **r,
				       trace_warn_fn warn, void *ctx, char *err, size_t errlen)
{
	if (trace_reader_open(path, r, warn, ctx, err, errlen) < 0)
		return NULL;
	struct tm_process *procs = realloc(m->procs, (m->nprocs + 1) * sizeof(*procs));
	if (!procs) {
		snprintf(err, errlen, "out of memory");
		trace_reader_close(*r);
		return NULL;
	}
	m->procs = procs;
	struct tm_process *p = &procs[m->nprocs];
	memset(p, 0, sizeof(*p));
	p->trace_path = strdup(path);
	p->end_kind = TM_END_NONE;
	snprintf(p->end, sizeof(p->end), "none");
	p->scan_status = TM_SCAN_NONE;
	return p;
}

/* Replays every block r has to give now. Returns the blocks read. */
static uint64_t read_blocks(struct load_ctx *c, struct trace_reader *r, struct read_progress *progress)
{
	struct trace_block b;
	uint64_t n = 0;
	while (!c->stop && trace_reader_next(r, &b) == 1) {
		n++;
		if (progress)
			read_progress_update(progress, b.file_offset + b.stored_size);
		int meta = b.stream == HB_STREAM_META;
		const uint8_t *q = b.data, *end = b.data + b.len;
		struct trace_record rec;
		int rc = 0;
		while (!c->stop && (rc = trace_record_next(&q, end, &rec)) == 1)
			if ((meta ? on_meta(c, &rec) : on_event(c, b.stream, &rec)) < 0)
				c->malformed++;
		if (rc < 0)
			c->malformed++;
	}
	const struct trace_reader_stats *st = trace_reader_stats(r);
	c->p->damaged_blocks = st->damaged_blocks;
	c->p->skipped_bytes = st->skipped_bytes;
	c->p->truncated_bytes = st->truncated_bytes;
	c->p->malformed = c->malformed;
	return n;
}

/* The outstanding blocks, per stack and in all, from the site counts as
 * they are now (again from zero, so that a followed trace can be tallied
 * at every refresh). */
static void snapshot(struct load_ctx *c)
{
	struct tm_process *p = c->p;
	p->out_bytes = p->out_blocks = 0;
	p->unknown_stack_bytes = p->unknown_stack_blocks = 0;
	p->reach_missing = p->unmatched_frees = 0;
	p->inh_bytes = p->inh_blocks = p->unknown_inh_bytes = p->unknown_inh_blocks = 0;
	memset(&p->kinds, 0, sizeof(p->kinds));
	memset(&p->unknown_stack_kinds, 0, sizeof(p->unknown_stack_kinds));
	memset(&p->inh_kinds, 0, sizeof(p->inh_kinds));
	memset(&p->unknown_inh_kinds, 0, sizeof(p->unknown_inh_kinds));
	for (size_t k = 0; k < p->nstacks; k++)
		if (p->stacks[k]) {
			p->stacks[k]->out_bytes = p->stacks[k]->out_blocks = 0;
			p->stacks[k]->inh_bytes = p->stacks[k]->inh_blocks = 0;
			memset(&p->stacks[k]->kinds, 0, sizeof(p->stacks[k]->kinds));
			memset(&p->stacks[k]->inh_kinds, 0, sizeof(p->stacks[k]->inh_kinds));
		}
	for (size_t k = 0; k < c->sites.n; k++)
		if (c->sites.by_stack[k].seen)
			tally(c, c->sites.by_stack[k].id, &c->sites.by_stack[k]);
	p->sites = c->sites.ev.sites;
}

/* Why a trace cannot be used, after reading it: none of it readable. (A
 * sampled trace can be: its counts are already estimates, trace-format.md
 * 10.6.) 0, or -1 with err. */
static int refuse(uint64_t nblocks, const char *path, char *err, size_t errlen)
{
	if (nblocks == 0) {
		snprintf(err, errlen, "%s: no readable block in the trace", path);
		return -1;
	}
	return 0;
}

int tm_load(struct tm_model *m, const char *path, const struct tm_window *w, trace_warn_fn warn, void *ctx,
	    char *err, size_t errlen)
{
	struct trace_reader *r;
	struct tm_process *p = process_open(m, path, &r, warn, ctx, err, errlen);
	if (!p)
		return -1;
	struct load_ctx c = {.p = p};
	resolve_window(p, r, w);
	if (p->has_at)
		site_counts_windows(&c.sites, 1);
	if (p->has_since)
		site_counts_since(&c.sites, p->since_ns);
	struct read_progress progress;
	read_progress_start(&progress, path, trace_reader_stats(r)->file_size);
	read_blocks(&c, r, &progress);
	read_progress_done(&progress);
	uint64_t nblocks = trace_reader_stats(r)->blocks;
	trace_reader_close(r);
	if (refuse(nblocks, path, err, errlen) < 0) {
		site_counts_free(&c.sites);
		process_free(p);
		return -1;
	}
	if (c.malformed && warn) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s: %" PRIu64 " malformed records skipped", path, c.malformed);
		warn(ctx, msg);
	}
	snapshot(&c);
	if (!p->cut && tm_scanned(p)) { /* the OWNED records come with the scan: kept for the gate */
		p->owned = c.sites.owned;
		p->nowned = c.sites.nowned;
		c.sites.owned = NULL;
	}
	site_counts_free(&c.sites);
	if (p->reach_missing && warn) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "%s: %" PRIu64 " outstanding block%s in no REACH record although the scan ran "
			 "(damaged blocks?): %s unclassified",
			 path, p->reach_missing, p->reach_missing == 1 ? " is" : "s are",
			 p->reach_missing == 1 ? "it is" : "they are");
		warn(ctx, msg);
	}
	if (p->unmatched_frees && warn) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "%s: %" PRIu64 " frees exceed what their sites allocated (damaged blocks or lost records?)",
			 path, p->unmatched_frees);
		warn(ctx, msg);
	}
	m->nprocs++;
	return 0;
}

struct tm_follow {
	struct tm_model model;
	struct trace_reader *r;
	struct load_ctx c;
	char path[4096];
};

int tm_follow_open(const char *path, struct tm_follow **out, char *err, size_t errlen)
{
	struct tm_follow *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	struct tm_process *p = process_open(&f->model, path, &f->r, NULL, NULL, err, errlen);
	if (!p) {
		free(f);
		return -1;
	}
	f->model.nprocs = 1;
	trace_reader_follow(f->r);
	f->c.p = p;
	if (tm_follow_poll(f, err, errlen) < 0) {
		tm_follow_close(f);
		return -1;
	}
	*out = f;
	return 0;
}

int tm_follow_poll(struct tm_follow *f, char *err, size_t errlen)
{
	uint64_t n = read_blocks(&f->c, f->r, NULL);
	/* no block yet is a process that has not flushed yet: wait for it */
	uint64_t blocks = trace_reader_stats(f->r)->blocks;
	if (blocks && refuse(blocks, f->path, err, errlen) < 0)
		return -1;
	if (n)
		snapshot(&f->c);
	return n > 0;
}

const struct tm_model *tm_follow_model(const struct tm_follow *f)
{
	return &f->model;
}

uint64_t tm_follow_offset(const struct tm_follow *f)
{
	const struct trace_reader_stats *st = trace_reader_stats(f->r);
	return st->file_size;
}

void tm_follow_close(struct tm_follow *f)
{
	if (!f)
		return;
	trace_reader_close(f->r);
	site_counts_free(&f->c.sites);
	tm_free(&f->model);
	free(f);
}

static void process_free(struct tm_process *p)
{
		for (size_t k = 0; k < p->nmodules; k++)
			free(p->modules[k].path);
		for (size_t k = 0; k < p->nstacks; k++) {
			if (p->stacks[k]) {
				ts_series_free(&p->stacks[k]->series);
				free(p->stacks[k]->frame_module);
				free(p->stacks[k]->frame_offset);
				free(p->stacks[k]);
			}
		}
		free(p->modules);
		free(p->stacks);
		free(p->owned);
		free(p->lsan_suppressions);
		id_index_free(&p->module_ids);
		id_index_free(&p->stack_ids);
		free(p->trace_path);
		free(p->program);
		free(p->exe);
}

void tm_free(struct tm_model *m)
{
	for (size_t i = 0; i < m->nprocs; i++)
		process_free(&m->procs[i]);
	free(m->procs);
	m->procs = NULL;
	m->nprocs = 0;
}
