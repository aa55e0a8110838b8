/*
 * report_html.c - `heapblame report --format html`: the whole report as
 * one page to open in a browser, self-contained.
 *
 * The page holds, top to bottom: what is outstanding, leaked, reachable
 * and growing (a row of figures and the sentences that blame); the
 * timeline (report_svg_timeline(), inline); the module table (sortable);
 * a flame graph of every outstanding site; each module in detail (path,
 * build-id, leak kinds, growth, entry points, and its --top sites with
 * their symbolized frames: function, file:line, module); the traces.
 *
 * Self-contained means no URL at all: the CSS and the script are inlined
 * (report_html.css and report_html.js, turned into C arrays at build time
 * by embed_assets.py, which refuses a "</script" in them), the fonts are
 * the machine's, the SVG is inline without an xmlns, and a
 * Content-Security-Policy of default-src 'none' (inline style and script
 * allowed) keeps a browser from fetching anything even if a string did
 * name a URL. The flame graph is drawn by the script from a JSON blob of
 * the sites (a <script type="application/json">, its strings escaped by
 * markup_escape_json() so that nothing in a symbol can close the
 * element); everything else is static HTML, so the page reads without
 * JavaScript and can be checked by parsing it.
 *
 * The model holds every site here (cmd_report.c builds it with --top 0,
 * for the flame graph); the module sections list the first o->top of
 * them (0: all), as the text report does. Every string from the trace
 * goes through markup_escape.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_units.h"
#include "markup_escape.h"
#include "report.h"
#include "report_html_assets.h"

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif

/* The frames of a site shown before the rest fold away (as the text
 * report's MAX_FRAMES_SHOWN). */
#define HTML_FRAMES_SHOWN 14

static void esc(FILE *f, const char *s)
{
	markup_escape_xml(f, s);
}

/* A path, with a line break allowed after each '/' (a long path breaks
 * between its directories, not inside a name). */
static void esc_path(FILE *f, const char *s)
{
	if (!s)
		return;
	for (const char *p = s; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) + 1 : strlen(p);
		markup_escape_xmln(f, p, n);
		if (slash && slash[1])
			fputs("<wbr>", f);
		p += n;
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "mta_submit()"; a demangled C++ name ends with its parameters already */
static void call(FILE *f, const char *fn)
{
	if (!fn) {
		fputs("<span class=\"none\">unknown</span>", f);
		return;
	}
	esc(f, fn);
	size_t n = strlen(fn);
	if (!n || fn[n - 1] != ')')
		fputs("()", f);
}

static int classified(const struct leak_tally *t)
{
	return t->blocks[LEAK_DEFINITE] || t->blocks[LEAK_INDIRECT] || t->blocks[LEAK_REACHABLE];
}

static void growth_badge(FILE *f, const struct growth *g)
{
	const char *name = growth_class_name(g->cls);
	fprintf(f, "<span class=\"cls %s\">%s</span>", name, name);
}

/* The module holding most of the kinds in mask, or NULL when none does. */
static const struct blame_module *top_module(const struct blame_report *r, unsigned mask)
{
	const struct blame_module *best = NULL;
	for (size_t i = 0; i < r->nmods; i++)
		if (leak_tally_blocks(&r->mods[i].kinds, mask) &&
		    (!best || leak_tally_bytes(&r->mods[i].kinds, mask) > leak_tally_bytes(&best->kinds, mask)))
			best = &r->mods[i];
	return best;
}

static const struct blame_module *module_of_path(const struct blame_report *r, const char *path)
{
	for (size_t i = 0; i < r->nmods; i++)
		if (path && r->mods[i].path && !strcmp(r->mods[i].path, path))
			return &r->mods[i];
	return NULL;
}

/* " (entered through its exported function f() from store's g())" */
static void entered(FILE *f, const struct blame_module *m)
{
	if (!m || !m->nentries || !m->entries[0].function)
		return;
	const struct blame_entry *e = &m->entries[0];
	fprintf(f, ", entered through %s<code>", e->exported ? "its exported function " : "");
	call(f, e->function);
	fputs("</code>", f);
	if (e->caller_module) {
		fputs(" from ", f);
		esc(f, e->caller_module);
		fputs("'s ", f);
		if (e->caller_function) {
			fputs("<code>", f);
			call(f, e->caller_function);
			fputs("</code>", f);
		} else {
			fputs("code", f);
		}
	}
}

/* "all of it", "most of it (68%)", "the largest share (40%)" */
static void share(FILE *f, uint64_t part, uint64_t whole)
{
	if (part == whole)
		fputs("all of it", f);
	else
		fprintf(f, "%s (%.0f%%)", part * 2 > whole ? "most of it" : "the largest share",
			100.0 * (double)part / (double)whole);
}

static void card(FILE *f, int alert, const char *value, const char *key)
{
	fprintf(f, "<div class=\"card%s\"><div class=\"v\">%s</div><div class=\"k\">%s</div></div>\n",
		alert ? " alert" : "", value, key);
}

/* The figures and the sentences at the top: what the page is about. */
static void summary(FILE *f, const struct blame_report *r)
{
	const unsigned lost = LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT);
	const unsigned reach = LEAK_MASK(LEAK_REACHABLE), uncl = LEAK_MASK(LEAK_UNCLASSIFIED);
	char sz[32], k[160];
	size_t ngrowing = 0, nunknown = 0;
	for (size_t i = 0; i < r->timeline.nmods; i++) {
		ngrowing += r->timeline.mods[i].growth.cls == GROWTH_GROWING;
		nunknown += r->timeline.mods[i].growth.cls == GROWTH_UNKNOWN;
	}
	fputs("<div class=\"cards\">\n", f);
	report_size(sz, sizeof(sz), r->bytes);
	snprintf(k, sizeof(k), "outstanding in %" PRIu64 " block%s", r->blocks, plural(r->blocks));
	card(f, 0, sz, k);
	size_t nscanned = 0;
	for (size_t i = 0; i < r->nprocs; i++)
		nscanned += r->procs[i].scanned != 0;
	if (classified(&r->kinds) || (nscanned && !r->blocks)) {
		uint64_t lb = leak_tally_bytes(&r->kinds, lost), lk = leak_tally_blocks(&r->kinds, lost);
		report_size(sz, sizeof(sz), lb);
		snprintf(k, sizeof(k), "leaked at exit (definite and indirect) in %" PRIu64 " block%s", lk, plural(lk));
		card(f, lk > 0, sz, k);
		uint64_t rb = leak_tally_bytes(&r->kinds, reach), rk = leak_tally_blocks(&r->kinds, reach);
		report_size(sz, sizeof(sz), rb);
		snprintf(k, sizeof(k), "still reachable at exit in %" PRIu64 " block%s: not leaked", rk, plural(rk));
		card(f, 0, sz, k);
	} else {
		card(f, 0, "no scan", "leaked and reachable blocks are not told apart");
	}
	if (ngrowing) {
		const struct blame_timeline_module *t = &r->timeline.mods[0]; /* the fastest first */
		char g[96];
		report_growth_text(g, sizeof(g), &t->growth);
		fputs("<div class=\"card alert\"><div class=\"v\">", f);
		esc(f, t->name);
		fprintf(f, "</div><div class=\"k\">%s", g);
		if (ngrowing > 1)
			fprintf(f, "; and %zu more module%s growing", ngrowing - 1, ngrowing > 2 ? "s" : "");
		fputs("</div></div>\n", f);
	} else if (r->timeline.nmods && nunknown == r->timeline.nmods) {
		card(f, 0, "too short", "to tell growth: fewer than 6 flushes or under 5 s");
	} else {
		card(f, 0, "none growing", "no module rises over the last half of the run");
	}
	fputs("</div>\n", f);

	fprintf(f, "<div class=\"verdict%s\">\n", ngrowing || leak_tally_blocks(&r->kinds, lost) ? " bad" : "");
	if (ngrowing) {
		const struct blame_timeline_module *t = &r->timeline.mods[0];
		char g[96];
		report_growth_text(g, sizeof(g), &t->growth);
		fputs("<p><b>Growing:</b> ", f);
		esc(f, t->name);
		fprintf(f, " %s", g + strlen("growing "));
		entered(f, module_of_path(r, t->path));
		if (ngrowing > 1)
			fprintf(f, "; and %zu more module%s", ngrowing - 1, ngrowing > 2 ? "s" : "");
		fputs(".</p>\n", f);
	}
	if (!r->nmods || !r->blocks) {
		fputs("<p>Nothing is outstanding: every traced allocation was freed.</p>\n", f);
	} else if (classified(&r->kinds)) {
		uint64_t lb = leak_tally_bytes(&r->kinds, lost), lk = leak_tally_blocks(&r->kinds, lost);
		if (lk) {
			const struct blame_module *m = top_module(r, lost);
			report_size(sz, sizeof(sz), lb);
			fprintf(f, "<p><b>Leaked at exit</b> (definite and indirect): %s in %" PRIu64 " block%s; ", sz, lk,
				plural(lk));
			share(f, leak_tally_bytes(&m->kinds, lost), lb);
			fputs(" was allocated by ", f);
			esc(f, m->name);
			fputs("'s own code", f);
			entered(f, m);
			fputs(".</p>\n", f);
		} else {
			fputs("<p>Nothing leaked: no outstanding block is definitely or indirectly lost.</p>\n", f);
		}
		const unsigned rest[] = {reach, uncl};
		const char *what[] = {"Still reachable at exit, not leaked", "Unclassified (no scan), possibly leaked"};
		for (size_t i = 0; i < 2; i++) {
			uint64_t b = leak_tally_bytes(&r->kinds, rest[i]), n = leak_tally_blocks(&r->kinds, rest[i]);
			if (!n)
				continue;
			const struct blame_module *m = top_module(r, rest[i]);
			report_size(sz, sizeof(sz), b);
			fprintf(f, "<p><b>%s:</b> %s in %" PRIu64 " block%s, ", what[i], sz, n, plural(n));
			share(f, leak_tally_bytes(&m->kinds, rest[i]), b);
			fputs(" by ", f);
			esc(f, m->name);
			fputs("'s code.</p>\n", f);
		}
	} else {
		const struct blame_module *m = &r->mods[0];
		report_size(sz, sizeof(sz), m->bytes);
		fprintf(f, "<p>%s of the outstanding memory (%s in %" PRIu64 " block%s, %.0f%%) was allocated by ",
			m->bytes * 2 > r->bytes ? "Most" : "The largest share", sz, m->blocks, plural(m->blocks),
			100.0 * (double)m->bytes / (double)r->bytes);
		esc(f, m->name);
		fputs("'s own code", f);
		entered(f, m);
		fputs(".</p>\n", f);
	}
	if (r->kinds.blocks[LEAK_UNCLASSIFIED]) {
		size_t unscanned = 0;
		for (size_t i = 0; i < r->nprocs; i++)
			unscanned += !r->procs[i].scanned;
		if (unscanned == r->nprocs)
			fprintf(f, "<p class=\"muted\">No reachability scan in %s: leaked and still reachable blocks are "
				   "not told apart.</p>\n",
				r->nprocs == 1 ? "the trace" : "these traces");
		else
			fprintf(f, "<p class=\"muted\">No reachability scan in %zu of %zu traces: their blocks are "
				   "unclassified.</p>\n",
				unscanned, r->nprocs);
	}
	fputs("</div>\n", f);
}

static void header(FILE *f, const struct blame_report *r)
{
	char sz[32], at[32], since[32];
	report_size(sz, sizeof(sz), r->bytes);
	cli_format_clock(at, sizeof(at), r->at_s);
	cli_format_clock(since, sizeof(since), r->since_s);
	fputs("<header>\n<h1>heapblame report", f);
	if (r->nprocs) {
		fputs("<small>", f);
		esc(f, r->procs[0].program);
		fprintf(f, " pid %" PRIu64 "%s</small>", r->procs[0].pid, r->nprocs > 1 ? " and more" : "");
	}
	fputs("</h1>\n<p class=\"lede\">", f);
	fprintf(f, "%s in %" PRIu64 " block%s%s%s outstanding %s%s of %zu trace%s", sz, r->blocks, plural(r->blocks),
		r->has_since ? " allocated since " : "", r->has_since ? since : "", r->has_at ? "at " : "at the end",
		r->has_at ? at : "", r->ntraces, r->ntraces == 1 ? "" : "s");
	for (size_t i = 0; i < r->nprocs && i < 4; i++) {
		fputs(i ? ", " : ": ", f);
		esc(f, r->procs[i].program);
		fprintf(f, " pid %" PRIu64 " (", r->procs[i].pid);
		esc(f, r->procs[i].end);
		fputs(")", f);
	}
	fprintf(f, "%s.", r->nprocs > 4 ? ", ..." : "");
	if (r->exec_blocks) {
		report_size(sz, sizeof(sz), r->exec_bytes);
		fprintf(f, " Not counted: %s in %" PRIu64 " block%s of process images replaced by exec.", sz,
			r->exec_blocks, plural(r->exec_blocks));
	}
	fputs("</p>\n", f);
	summary(f, r);
	fputs("<nav><a href=\"#timeline\">Timeline</a><a href=\"#modules\">Modules</a><a href=\"#flame\">Flame "
	      "graph</a><a href=\"#details\">Entry points and sites</a><a href=\"#traces\">Traces</a></nav>\n"
	      "</header>\n",
	      f);
}

/* The kind columns worth a column: those some block has, but unclassified
 * alone (no scan anywhere), which would only repeat the outstanding one. */
static unsigned kind_columns(const struct blame_report *r)
{
	unsigned mask = 0;
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		if (r->kinds.blocks[k])
			mask |= LEAK_MASK(k);
	return mask == LEAK_MASK(LEAK_UNCLASSIFIED) ? 0 : mask;
}

static void size_cell(FILE *f, uint64_t bytes, uint64_t blocks)
{
	char sz[32];
	if (!blocks) {
		fprintf(f, "<td class=\"num\" data-v=\"0\"><span class=\"none\">&#8211;</span></td>");
		return;
	}
	report_size(sz, sizeof(sz), bytes);
	fprintf(f, "<td class=\"num\" data-v=\"%" PRIu64 "\" title=\"%" PRIu64 " bytes in %" PRIu64 " block%s\">%s</td>",
		bytes, bytes, blocks, plural(blocks), sz);
}

static void growth_cells(FILE *f, const struct growth *g)
{
	char rate[32], since[32];
	cli_format_rate(rate, sizeof(rate), g->bytes_per_hour);
	fprintf(f, "<td data-v=\"%d\">", (int)g->cls);
	growth_badge(f, g);
	fputs("</td>", f);
	if (g->cls == GROWTH_GROWING || g->cls == GROWTH_FALLING)
		fprintf(f, "<td class=\"num\" data-v=\"%.0f\">%s</td>", g->bytes_per_hour, rate);
	else
		fprintf(f,
			"<td class=\"num\" data-v=\"%.0f\" title=\"slope of the last half of the run: %s, not a "
			"trend\"><span class=\"none\">&#8211;</span></td>",
			g->cls == GROWTH_UNKNOWN ? 0.0 : g->bytes_per_hour, rate);
	if (g->cls == GROWTH_GROWING) {
		cli_format_clock(since, sizeof(since), g->since_s);
		fprintf(f, "<td class=\"num\" data-v=\"%.3f\">%s</td>", g->since_s, since);
	} else {
		fputs("<td class=\"num\" data-v=\"-1\"><span class=\"none\">&#8211;</span></td>", f);
	}
}

static void module_table(FILE *f, const struct blame_report *r)
{
	unsigned cols = kind_columns(r);
	fputs("<section id=\"modules\">\n<h2>Modules</h2>\n", f);
	if (!r->nmods) {
		fputs("<p>No module holds outstanding memory.</p>\n</section>\n", f);
		return;
	}
	fputs("<p class=\"muted\">The module of an allocation is the module of its first frame outside allocator "
	      "wrappers (libc, libstdc++, the shim, <code>--wrapper</code>; xmalloc, g_malloc and the other "
	      "wrapper functions, <code>--wrapper-function</code>). Click a column to sort.</p>\n",
	      f);
	fputs("<div class=\"table-wrap\"><table class=\"modules sortable\">\n<thead><tr><th>Module</th>"
	      "<th class=\"num\">Outstanding</th><th class=\"num\">Blocks</th><th class=\"num\">Share</th>",
	      f);
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		if (cols & LEAK_MASK(k))
			fprintf(f, "<th class=\"num\">%s</th>", leak_kind_name(k));
	fputs("<th>Growth</th><th class=\"num\">Rate</th><th class=\"num\">Since</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		double pct = r->bytes ? 100.0 * (double)m->bytes / (double)r->bytes : 0.0;
		fprintf(f, "<tr class=\"%s\"><td><a class=\"name\" href=\"#m-%zu\">", growth_class_name(m->growth.cls), i);
		esc(f, m->name);
		fputs("</a>\n<span class=\"path\">", f);
		esc_path(f, m->path);
		fputs("</span></td>", f);
		size_cell(f, m->bytes, m->blocks);
		fprintf(f, "<td class=\"num\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>", m->blocks, m->blocks);
		fprintf(f,
			"<td class=\"num\" data-v=\"%.6f\"><span class=\"share\"><span class=\"bar\"><i "
			"style=\"width:%.1f%%\"></i></span>%.1f%%</span></td>",
			pct, pct, pct);
		for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
			if (cols & LEAK_MASK(k))
				size_cell(f, m->kinds.bytes[k], m->kinds.blocks[k]);
		growth_cells(f, &m->growth);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", f);
}

static void kinds_line(FILE *f, const struct leak_tally *t)
{
	if (!classified(t))
		return;
	fputs("<div class=\"kinds\">", f);
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		if (!t->blocks[k])
			continue;
		char sz[32];
		report_size(sz, sizeof(sz), t->bytes[k]);
		fprintf(f, "<span class=\"kind %s\">%s <b>%s</b> in %" PRIu64 " block%s</span>", leak_kind_name(k),
			leak_kind_name(k), sz, t->blocks[k], plural(t->blocks[k]));
	}
	fputs("</div>\n", f);
}

static void entries_table(FILE *f, const struct blame_module *m, size_t top)
{
	size_t ne = top && m->nentries > top ? top : m->nentries;
	if (!ne)
		return;
	fprintf(f, "<h4>Entry points (%zu of %zu)</h4>\n", ne, m->nentries);
	fputs("<div class=\"table-wrap\"><table class=\"entries\">\n<thead><tr><th>Entered through</th><th>Called "
	      "from</th><th class=\"num\">Outstanding</th><th class=\"num\">Blocks</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t k = 0; k < ne; k++) {
		const struct blame_entry *e = &m->entries[k];
		fputs("<tr><td><code>", f);
		call(f, e->function);
		fputs("</code>", f);
		if (e->cut_at) /* unknown: beyond the frames recorded */
			fprintf(f, " <span class=\"tag\" title=\"a larger heapblame run --depth names it\">stack cut at %u "
				   "frames</span>",
				e->cut_at);
		if (e->exported)
			fputs(" <span class=\"tag exp\" title=\"in the module's dynamic symbol table\">exported</span>", f);
		fputs("</td><td>", f);
		if (e->caller_module) {
			esc(f, e->caller_module);
			fputs(": <code>", f);
			call(f, e->caller_function);
			fputs("</code>", f);
		} else {
			fputs("<span class=\"none\">the stack ends there</span>", f);
		}
		fputs("</td>", f);
		size_cell(f, e->bytes, e->blocks);
		fprintf(f, "<td class=\"num\">%" PRIu64 "</td></tr>\n", e->blocks);
	}
	fputs("</tbody>\n</table></div>\n", f);
}

/* Rows for frames [from, to): the blamed module's highlighted, the
 * allocator wrappers' before them muted. */
static void frame_rows(FILE *f, const struct blame_module *m, const struct blame_site *s, size_t from, size_t to,
		       long entry, size_t blamed)
{
	for (size_t q = from; q < to; q++) {
		const struct blame_frame *fr = &s->frames[q];
		/* a wrapper function of the blamed module (libbfd's xmalloc)
		 * comes before the blamed frame: the allocator's, not its own */
		int own = q >= blamed && fr->module && !strcmp(fr->module, m->name);
		fprintf(f, "<tr%s><td class=\"n\">%zu</td><td title=\"", own ? " class=\"own\"" : q < blamed ? " class=\"lib\"" : "",
			q);
		if (fr->function)
			esc(f, fr->function);
		fputs("\">", f);
		if (fr->function)
			esc(f, fr->function);
		else
			fprintf(f, "<span class=\"none\">0x%" PRIx64 "</span>", fr->offset);
		if (fr->inlined)
			fputs(" <span class=\"tag\">inlined</span>", f);
		if ((long)q == entry)
			fputs(" <span class=\"tag entry\">entry point</span>", f);
		fputs("</td><td title=\"", f);
		if (fr->file) {
			if (fr->file[0] != '/' && fr->dir) {
				esc(f, fr->dir);
				fputs("/", f);
			}
			esc(f, fr->file);
		}
		fputs("\">", f);
		if (fr->file) {
			const char *base = strrchr(fr->file, '/');
			esc(f, base ? base + 1 : fr->file);
			if (fr->line)
				fprintf(f, ":%d", fr->line);
		} else {
			fprintf(f, "<span class=\"none\">+0x%" PRIx64 "</span>", fr->offset);
		}
		fputs("</td><td>", f);
		if (fr->module)
			esc(f, fr->module);
		else
			fputs("<span class=\"none\">?</span>", f);
		fputs("</td></tr>\n", f);
	}
}

static void frames_table(FILE *f, const struct blame_module *m, const struct blame_site *s, size_t from, size_t to,
			 long entry, size_t blamed)
{
	fputs("<table class=\"frames\"><colgroup><col class=\"n\"><col class=\"fn\"><col class=\"loc\"><col "
	      "class=\"mod\"></colgroup>\n<tbody>\n",
	      f);
	frame_rows(f, m, s, from, to, entry, blamed);
	fputs("</tbody></table>\n", f);
}

static void site_block(FILE *f, const struct blame_module *m, const struct blame_site *s, int open)
{
	char sz[32], g[96];
	report_size(sz, sizeof(sz), s->bytes);
	fprintf(f, "<details class=\"site\"%s><summary><span class=\"sz\">%s</span> in %" PRIu64 " block%s",
		open ? " open" : "", sz, s->blocks, plural(s->blocks));
	if (classified(&s->kinds)) {
		fputs(" (", f);
		for (unsigned k = 0, n = 0; k < LEAK_KIND_COUNT; k++)
			if (s->kinds.blocks[k])
				fprintf(f, "%s%s %" PRIu64, n++ ? ", " : "", leak_kind_name(k), s->kinds.blocks[k]);
		fputs(")", f);
	}
	if (s->entry) {
		fputs(", via <code>", f);
		call(f, s->entry);
		fputs("</code>", f);
	}
	report_growth_text(g, sizeof(g), &s->growth);
	if (*g) {
		fputs(" &#160; ", f);
		growth_badge(f, &s->growth);
		if (s->growth.cls == GROWTH_GROWING || s->growth.cls == GROWTH_FALLING)
			fprintf(f, " <span class=\"growth-note\">%s</span>", strchr(g, ' ') + 1);
	}
	fputs("</summary>\n", f);
	/* the blamed frame (the allocator wrappers' come before it) and the
	 * entry point's (-1: unknown), as blame.c found them */
	size_t blamed = s->blamed;
	long entry = s->entry_frame;
	size_t shown = s->nframes < HTML_FRAMES_SHOWN ? s->nframes : HTML_FRAMES_SHOWN;
	frames_table(f, m, s, 0, shown, entry, blamed);
	if (s->nframes > shown) {
		fprintf(f, "<details class=\"more\"><summary>%zu more frame%s</summary>\n", s->nframes - shown,
			plural(s->nframes - shown));
		frames_table(f, m, s, shown, s->nframes, entry, blamed);
		fputs("</details>\n", f);
	}
	fputs("</details>\n", f);
}

static const char *status_text(enum sym_status s)
{
	switch (s) {
	case SYM_OK: return "symbols and line numbers";
	case SYM_MISSING: return "no file at this path: offsets only";
	case SYM_MISMATCH: return "the file is another build: offsets only";
	case SYM_NO_DEBUG: return "no debug info: function names only";
	}
	return "?";
}

static void details(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	fputs("<section id=\"details\">\n<h2>Entry points and sites</h2>\n", f);
	fputs("<p class=\"muted\">For each module: how control came into it (its entry points, most bytes first) and "
	      "the call stacks that allocated what it holds, innermost frame first. Frames in the module are "
	      "highlighted.</p>\n",
	      f);
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		char sz[32], g[96];
		report_size(sz, sizeof(sz), m->bytes);
		fprintf(f, "<article class=\"module %s\" id=\"m-%zu\">\n<h3>", growth_class_name(m->growth.cls), i);
		esc(f, m->name);
		fputs(" ", f);
		growth_badge(f, &m->growth);
		report_growth_text(g, sizeof(g), &m->growth);
		if (m->growth.cls == GROWTH_GROWING || m->growth.cls == GROWTH_FALLING)
			fprintf(f, "<span class=\"growth-note\">%s</span>", strchr(g, ' ') + 1);
		fputs("</h3>\n<p class=\"meta\"><code>", f);
		esc_path(f, m->path);
		fputs("</code>", f);
		if (m->build_id[0]) {
			fputs(" &#183; build-id <code>", f);
			esc(f, m->build_id);
			fputs("</code>", f);
		}
		fprintf(f, " &#183; %s</p>\n", status_text(m->status));
		fprintf(f, "<p><b>%s</b> in %" PRIu64 " block%s outstanding (%.1f%% of all)</p>\n", sz, m->blocks,
			plural(m->blocks), r->bytes ? 100.0 * (double)m->bytes / (double)r->bytes : 0.0);
		kinds_line(f, &m->kinds);
		entries_table(f, m, o->top);
		size_t ns = o->top && m->nsites > o->top ? o->top : m->nsites;
		if (ns) {
			fprintf(f, "<h4>Sites (%zu of %zu)</h4>\n", ns, m->nsites_all);
			for (size_t k = 0; k < ns; k++)
				site_block(f, m, &m->sites[k], k == 0);
			if (m->nsites_all > ns)
				fprintf(f, "<p class=\"muted\">%zu more site%s in the flame graph; <code>--top 0</code> lists "
					   "them all here.</p>\n",
					m->nsites_all - ns, plural(m->nsites_all - ns));
		}
		fputs("</article>\n", f);
	}
	fputs("</section>\n", f);
}

static void traces(FILE *f, const struct blame_report *r)
{
	fputs("<section id=\"traces\">\n<h2>Traces</h2>\n<div class=\"table-wrap\"><table class=\"traces\">\n"
	      "<thead><tr><th>Program</th><th class=\"num\">PID</th><th>Ended</th><th>Scan</th><th "
	      "class=\"num\">Outstanding</th><th>Trace</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct blame_process *p = &r->procs[i];
		fputs("<tr><td><span class=\"name\">", f);
		esc(f, p->program);
		fputs("</span>\n<span class=\"path\">", f);
		esc_path(f, p->exe);
		fprintf(f, "</span></td><td class=\"num\">%" PRIu64 "</td><td>", p->pid);
		esc(f, p->end);
		fputs("</td><td>", f);
		esc(f, p->scan);
		fputs("</td>", f);
		size_cell(f, p->bytes, p->blocks);
		fputs("<td><code>", f);
		esc_path(f, p->trace);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", f);
}

/* A table of the distinct strings of the flame graph's blob: every frame
 * names its function, module and file by index, so that a report of many
 * sites sharing their outer frames stays small. Open addressing over
 * FNV-1a; the strings are the report's own, not copied. */
struct strtab {
	const char **str;        /* by index */
	size_t n, cap;
	size_t *slot;            /* index + 1, 0 empty */
	size_t nslot;            /* a power of two, more than twice n */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The index of s (interned on first sight), -1 for NULL, -2 out of memory. */
static long strtab_intern(struct strtab *t, const char *s)
{
	if (!s)
		return -1;
	if (2 * (t->n + 1) > t->nslot) {
		size_t nslot = t->nslot ? 2 * t->nslot : 256;
		size_t *slot = calloc(nslot, sizeof(*slot));
		if (!slot)
			return -2;
		for (size_t i = 0; i < t->n; i++) {
			size_t h = (size_t)fnv1a(t->str[i]) & (nslot - 1);
			while (slot[h])
				h = (h + 1) & (nslot - 1);
			slot[h] = i + 1;
		}
		free(t->slot);
		t->slot = slot;
		t->nslot = nslot;
	}
	size_t h = (size_t)fnv1a(s) & (t->nslot - 1);
	while (t->slot[h]) {
		if (!strcmp(t->str[t->slot[h] - 1], s))
			return (long)(t->slot[h] - 1);
		h = (h + 1) & (t->nslot - 1);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		const char **str = realloc(t->str, cap * sizeof(*str));
		if (!str)
			return -2;
		t->str = str;
		t->cap = cap;
	}
	t->str[t->n] = s;
	t->slot[h] = ++t->n;
	return (long)(t->n - 1);
}

/* The flame graph's data (report_html.js says its shape). 0 or -ENOMEM. */
static int flame_data(FILE *f, const struct blame_report *r)
{
	struct strtab t = {0};
	int rc = -ENOMEM;
	fprintf(f, "<script type=\"application/json\" id=\"hb-data\">{\"total\": %" PRIu64 ", \"blocks\": %" PRIu64
		   ", \"modules\": [",
		r->bytes, r->blocks);
	for (size_t i = 0; i < r->nmods; i++) {
		long m = strtab_intern(&t, r->mods[i].name);
		if (m == -2)
			goto out;
		fprintf(f, "%s%ld", i ? "," : "", m);
	}
	fputs("], \"kinds\": [", f);
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		fprintf(f, "%s\"%s\"", k ? "," : "", leak_kind_name(k));
	fputs("],\n\"sites\": [", f);
	int first = 1;
	for (size_t i = 0; i < r->nmods; i++) {
		for (size_t k = 0; k < r->mods[i].nsites; k++) {
			const struct blame_site *s = &r->mods[i].sites[k];
			fprintf(f, "%s\n[%" PRIu64 ",%" PRIu64 ",[", first ? "" : ",", s->bytes, s->blocks);
			first = 0;
			for (size_t q = 0; q < s->nframes; q++) {
				const struct blame_frame *fr = &s->frames[q];
				long fn = strtab_intern(&t, fr->function), mod = strtab_intern(&t, fr->module),
				     file = strtab_intern(&t, fr->file);
				if (fn == -2 || mod == -2 || file == -2)
					goto out;
				fprintf(f, "%s[%ld,%ld,%ld,%d,%d,\"0x%" PRIx64 "\"]", q ? "," : "", fn, mod, file, fr->line,
					fr->inlined ? 1 : 0, fr->offset);
			}
			fputs("],[", f);
			for (unsigned kd = 0; kd < LEAK_KIND_COUNT; kd++)
				fprintf(f, "%s%" PRIu64, kd ? "," : "", s->kinds.bytes[kd]);
			fputs("],[", f);
			for (unsigned kd = 0; kd < LEAK_KIND_COUNT; kd++)
				fprintf(f, "%s%" PRIu64, kd ? "," : "", s->kinds.blocks[kd]);
			fputs("]]", f);
		}
	}
	fputs("],\n\"strings\": [", f);
	for (size_t i = 0; i < t.n; i++) {
		fputs(i ? ",\n" : "\n", f);
		markup_escape_json(f, t.str[i]);
	}
	fputs("]}</script>\n", f);
	rc = 0;
out:
	free(t.str);
	free(t.slot);
	return rc;
}

static void flame_section(FILE *f)
{
	fputs("<section id=\"flame\">\n<h2>Flame graph of what is outstanding</h2>\n"
	      "<p class=\"muted\">Every outstanding site, outermost frame on top and the allocating frame at the "
	      "bottom; each frame is as wide as the bytes outstanding under it. Click a frame to zoom in, a "
	      "dimmed caller above it to zoom out.</p>\n"
	      "<div class=\"fg-tools\"><div class=\"fg-weigh\" id=\"flame-weigh\"></div>"
	      "<button type=\"button\" id=\"flame-reset\" disabled>Reset zoom</button>"
	      "<div class=\"fg-legend\" id=\"flame-legend\"></div></div>\n"
	      "<div id=\"flamegraph\"><noscript>The flame graph needs JavaScript; the sites are listed below "
	      "without it.</noscript></div>\n<div id=\"flame-info\"></div>\n</section>\n",
	      f);
}

int report_html(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
	      "<meta name=\"generator\" content=\"heapblame " HB_VERSION "\">\n<title>heapblame report",
	      f);
	if (r->nprocs) {
		fputs(": ", f);
		esc(f, r->procs[0].program);
		fprintf(f, " pid %" PRIu64, r->procs[0].pid);
	}
	fputs("</title>\n<style>\n", f);
	fwrite(report_html_css, 1, sizeof(report_html_css), f);
	fputs("</style>\n</head>\n<body>\n<main>\n", f);
	header(f, r);
	fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n<div class=\"figure\">\n", f);
	int rc = report_svg_timeline(f, r, 0);
	if (rc < 0)
		return rc;
	fputs("</div>\n</section>\n", f);
	module_table(f, r);
	flame_section(f);
	details(f, r, o);
	traces(f, r);
	fputs("<footer>Made by heapblame " HB_VERSION " (<code>heapblame report --format html</code>). This page is "
	      "self-contained: it loads nothing from anywhere.</footer>\n</main>\n",
	      f);
	rc = flame_data(f, r);
	if (rc < 0)
		return rc;
	fputs("<script>\n", f);
	fwrite(report_html_js, 1, sizeof(report_html_js), f);
	fputs("</script>\n</body>\n</html>\n", f);
	return 0;
}
