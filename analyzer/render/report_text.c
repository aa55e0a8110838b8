/*
 * report_text.c - `heapblame report` for people: aligned columns, sizes in
 * binary units, modules first, and one closing sentence that says who
 * allocated most of what leaked (where a scan ran; else of what is
 * outstanding) and how control got into it.
 * Leak kinds (definitely lost, indirectly lost, still reachable) are shown
 * where the traces carry them: a line per module, a note per site, totals
 * just before the closing sentence; without a reachability scan a line
 * there says the blocks are unclassified, and nothing else changes.
 * Colour (bold module names) only when the output is a terminal and
 * NO_COLOR is not set.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_units.h"
#include "heapblame/trace_format.h"
#include "report.h"
#include "sat_add.h"

#define MAX_FRAMES_SHOWN 14

void report_size(char *out, size_t cap, uint64_t bytes)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%" PRIu64 " B", bytes);
	else
		snprintf(out, cap, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, unit[u]);
}

void report_cut_text(char *out, size_t cap, uint32_t cut_at)
{
	if (cut_at >= HB_DEPTH_LIMIT)
		snprintf(out, cap, "the stack was cut at %u frames, the most --depth keeps", cut_at);
	else
		snprintf(out, cap,
			 "the stack was cut at %u frames, the --depth it was recorded with: a larger one, up to %u, "
			 "names its entry point",
			 cut_at, HB_DEPTH_LIMIT);
}

/* "f()" for a C name; a demangled C++ name already ends with its
 * parameter list. */
static const char *call(const char *fn)
{
	static char buf[4][1024];
	static int k;
	if (!fn)
		return "?()";
	size_t n = strlen(fn);
	if (n && fn[n - 1] == ')')
		return fn;
	char *b = buf[k++ & 3];
	snprintf(b, sizeof(buf[0]), "%s()", fn);
	return b;
}

static const char *bold(const struct report_options *o)
{
	return o->color ? "\033[1m" : "";
}

static const char *plain(const struct report_options *o)
{
	return o->color ? "\033[0m" : "";
}

void report_text_frame(FILE *f, const struct blame_frame *fr)
{
	char fn[512], loc[512];
	if (fr->function)
		snprintf(fn, sizeof(fn), "%s%s", fr->function, fr->inlined ? " (inlined)" : "");
	else
		snprintf(fn, sizeof(fn), "0x%" PRIx64, fr->offset);
	if (fr->file) {
		const char *base = strrchr(fr->file, '/');
		snprintf(loc, sizeof(loc), "%s:%d", base ? base + 1 : fr->file, fr->line);
	} else {
		snprintf(loc, sizeof(loc), "+0x%" PRIx64, fr->offset);
	}
	fprintf(f, "          %-40s %-24s %s\n", fn, loc, fr->module ? fr->module : "?");
}

/* Whether any of these blocks was classified by a scan. */
static int classified(const struct leak_tally *t)
{
	return t->blocks[LEAK_DEFINITE] || t->blocks[LEAK_INDIRECT] || t->blocks[LEAK_REACHABLE];
}

/* "definite 8.59 KiB in 100 blocks, reachable 4.00 KiB in 1 block": the
 * kinds present, in kind order. */
static void print_kinds(FILE *f, const struct leak_tally *t, const char *sep)
{
	int first = 1;
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		if (!t->blocks[k])
			continue;
		char sz[32];
		report_size(sz, sizeof(sz), t->bytes[k]);
		fprintf(f, "%s%s %s in %" PRIu64 " block%s", first ? "" : sep, leak_kind_name(k), sz, t->blocks[k],
			t->blocks[k] == 1 ? "" : "s");
		first = 0;
	}
}

void report_growth_text(char *out, size_t cap, const struct growth *g)
{
	char rate[32], since[32];
	cli_format_rate(rate, sizeof(rate), g->bytes_per_hour);
	switch (g->cls) {
	case GROWTH_GROWING:
		cli_format_clock(since, sizeof(since), g->since_s);
		snprintf(out, cap, "growing %s since %s", rate, since);
		break;
	case GROWTH_FALLING:
		snprintf(out, cap, "falling %s", rate);
		break;
	case GROWTH_PLATEAU:
	case GROWTH_FLAT:
		snprintf(out, cap, "%s", growth_class_name(g->cls));
		break;
	default:
		*out = 0;
	}
}

/* "  growing 3.52 MiB/h since 0:00:01" after a module or site line */
static void print_growth(FILE *f, const struct growth *g)
{
	char t[96];
	report_growth_text(t, sizeof(t), g);
	if (*t)
		fprintf(f, "  %s", t);
}

/* Eight levels of a block, bottom to top, as UTF-8. */
static const char *const spark[] = {"\u2581", "\u2582", "\u2583", "\u2584",
				    "\u2585", "\u2586", "\u2587", "\u2588"};
#define SPARK_WIDTH 48

void report_sparkline(FILE *f, const struct blame_timeline *t, const struct blame_timeline_module *m, size_t width)
{
	size_t n = t->n;
	if (n < 2 || m->peak <= 0)
		return;
	size_t w = n < width ? n : width;
	for (size_t c = 0; c < w; c++) {
		double v = 0;
		for (size_t k = c * n / w; k < (c + 1) * n / w; k++)
			v = m->bytes[k] > v ? m->bytes[k] : v;
		int lv = (int)(v / m->peak * 7.999);
		fputs(spark[lv < 0 ? 0 : lv > 7 ? 7 : lv], f);
	}
}

/* "      ▁▂▃▅▆▇██  over 0:00:10, peak 12.0 MiB": a module's timeline in
 * one line. */
static void print_sparkline(FILE *f, const struct blame_report *r, const struct blame_timeline_module *t)
{
	size_t n = r->timeline.n;
	if (!t || n < 2 || t->peak <= 0)
		return;
	fprintf(f, "      ");
	report_sparkline(f, &r->timeline, t, SPARK_WIDTH);
	char sz[32], end[32];
	report_size(sz, sizeof(sz), (uint64_t)t->peak);
	cli_format_clock(end, sizeof(end), r->timeline.t_s[n - 1]);
	fprintf(f, "  over %s, peak %s\n", end, sz);
}

static void print_site(FILE *f, const struct blame_site *s)
{
	char sz[32];
	report_size(sz, sizeof(sz), s->bytes);
	fprintf(f, "        %s in %" PRIu64 " block%s", sz, s->blocks, s->blocks == 1 ? "" : "s");
	if (classified(&s->kinds)) {
		/* one kind: its name; several: each with its blocks */
		unsigned nk = 0, last = 0;
		for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
			if (s->kinds.blocks[k])
				nk++, last = k;
		if (nk == 1) {
			fprintf(f, " (%s)", leak_kind_name(last));
		} else {
			fprintf(f, " (");
			for (unsigned k = 0, n = 0; k < LEAK_KIND_COUNT; k++)
				if (s->kinds.blocks[k])
					fprintf(f, "%s%s %" PRIu64, n++ ? ", " : "", leak_kind_name(k), s->kinds.blocks[k]);
			fprintf(f, ")");
		}
	}
	print_growth(f, &s->growth);
	/* its frames before the blamed one may be in the blamed module's
	 * code too (libbfd's xstrdup, called by as): say which were the
	 * allocator's */
	if (s->wrapper)
		fprintf(f, "  via %s in %s", call(s->wrapper), s->wrapper_module ? s->wrapper_module : "?");
	if (s->cut_at)
		fprintf(f, "  [stack cut at %u frames]", s->cut_at);
	fputc('\n', f);
	size_t n = s->nframes < MAX_FRAMES_SHOWN ? s->nframes : MAX_FRAMES_SHOWN;
	for (size_t q = 0; q < n; q++)
		report_text_frame(f, &s->frames[q]);
	if (s->nframes > n)
		fprintf(f, "          ... %zu more frame%s\n", s->nframes - n, s->nframes - n == 1 ? "" : "s");
}

static void print_entry(FILE *f, const struct blame_entry *e)
{
	char sz[32], cut[160];
	report_size(sz, sizeof(sz), e->bytes);
	if (e->cut_at) {
		report_cut_text(cut, sizeof(cut), e->cut_at);
		fprintf(f, "      entry point unknown (%s)", cut);
	} else {
		fprintf(f, "      entered via %s%s", call(e->function), e->exported ? " [exported]" : "");
	}
	if (e->caller_module)
		fprintf(f, " from %s: %s", e->caller_module, call(e->caller_function));
	fprintf(f, "   %s in %" PRIu64 " block%s\n", sz, e->blocks, e->blocks == 1 ? "" : "s");
}

static void header(FILE *f, const struct blame_report *r)
{
	char sz[32];
	report_size(sz, sizeof(sz), r->bytes);
	char at[32], since[32];
	cli_format_clock(at, sizeof(at), r->at_s);
	cli_format_clock(since, sizeof(since), r->since_s);
	fprintf(f, "heapblame: %s in %" PRIu64 " block%s%s%s outstanding %s%s of %zu trace%s", sz, r->blocks,
		r->blocks == 1 ? "" : "s", r->has_since ? " allocated since " : "", r->has_since ? since : "",
		r->has_at ? "at " : "at the end", r->has_at ? at : "", r->ntraces, r->ntraces == 1 ? "" : "s");
	for (size_t i = 0; i < r->nprocs && i < 4; i++) {
		fprintf(f, "%s%s pid %" PRIu64 " (%s)", i ? ", " : ": ", r->procs[i].program,
			r->procs[i].pid, r->procs[i].end);
	}
	fprintf(f, "%s\n", r->nprocs > 4 ? ", ..." : "");
	if (r->sample_bytes) {
		report_size(sz, sizeof(sz), r->sample_bytes);
		fprintf(f, "(estimated from a sampled trace, one sample per %s allocated: every figure is an "
			   "estimate, +- a 95%% interval)\n",
			sz);
	}
	if (r->exec_blocks) {
		report_size(sz, sizeof(sz), r->exec_bytes);
		fprintf(f, "(not counted: %s in %" PRIu64 " block%s of process images replaced by exec)\n", sz,
			r->exec_blocks, r->exec_blocks == 1 ? "" : "s");
	}
	if (r->nmerged_children) {
		report_size(sz, sizeof(sz), r->inherited_bytes);
		fprintf(f, "(counted once, in their parents' traces: %s in %" PRIu64 " block%s that %zu fork "
			"child%s inherited and still held)\n", sz, r->inherited_blocks,
			r->inherited_blocks == 1 ? "" : "s", r->nmerged_children, r->nmerged_children == 1 ? "" : "ren");
	}
	fputc('\n', f);
}

/* " +- 1.20 MiB": the half-width of a 95% interval around a module's
 * byte estimate, 1.96 sqrt(V) with V the bound on its variance (for B
 * bytes from a trace of one sample per N bytes, N B: trace-format.md
 * 10.6), summed over the traces it came from, so that a merge of traces
 * sampled at different sizes, or of sampled and full ones, gives each
 * its own part; nothing when no trace is sampled. */
static void print_interval(FILE *f, const struct blame_report *r, const struct blame_module *m)
{
	if (!r->sample_bytes)
		return;
	char sz[32];
	report_size(sz, sizeof(sz), (uint64_t)(1.96 * sqrt(m->bytes_var) + 0.5));
	fprintf(f, " +- %s", sz);
}

static void by_module(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		char sz[32];
		report_size(sz, sizeof(sz), m->bytes);
		fprintf(f, "%s%s%s  %s", bold(o), m->name, plain(o), sz);
		print_interval(f, r, m);
		fprintf(f, " in %" PRIu64 " block%s (%.1f%%)", m->blocks, m->blocks == 1 ? "" : "s",
			r->bytes ? 100.0 * (double)m->bytes / (double)r->bytes : 0.0);
		if (m->status == SYM_MISSING)
			fprintf(f, "  [no file: offsets only]");
		else if (m->status == SYM_MISMATCH)
			fprintf(f, "  [file is another build: offsets only]");
		print_growth(f, &m->growth);
		fprintf(f, "\n      %s\n", m->path);
		if (o->sparklines)
			print_sparkline(f, r, blame_line_of_module(r, m));
		if (classified(&m->kinds)) {
			fprintf(f, "      ");
			print_kinds(f, &m->kinds, ", ");
			fputc('\n', f);
		}
		size_t ne = o->top && m->nentries > o->top ? o->top : m->nentries;
		for (size_t k = 0; k < ne; k++)
			print_entry(f, &m->entries[k]);
		if (m->nentries > ne)
			fprintf(f, "      ... %zu more entry point%s\n", m->nentries - ne, m->nentries - ne == 1 ? "" : "s");
		if (m->nsites)
			fprintf(f, "      top sites (%zu of %zu):\n", m->nsites, m->nsites_all);
		for (size_t k = 0; k < m->nsites; k++)
			print_site(f, &m->sites[k]);
		fputc('\n', f);
	}
}

static void by_entry(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	fprintf(f, "%10s %8s  %-16s %s\n", "bytes", "blocks", "module", "entry point");
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		size_t ne = o->top && m->nentries > o->top ? o->top : m->nentries;
		for (size_t k = 0; k < ne; k++) {
			const struct blame_entry *e = &m->entries[k];
			char sz[32];
			report_size(sz, sizeof(sz), e->bytes);
			if (e->cut_at)
				fprintf(f, "%10s %8" PRIu64 "  %s%-16s%s ? (stack cut at %u frames)", sz, e->blocks, bold(o),
					m->name, plain(o), e->cut_at);
			else
				fprintf(f, "%10s %8" PRIu64 "  %s%-16s%s %s%s", sz, e->blocks, bold(o), m->name, plain(o),
					call(e->function), e->exported ? " [exported]" : "");
			if (e->caller_module)
				fprintf(f, " from %s: %s", e->caller_module, call(e->caller_function));
			fputc('\n', f);
		}
	}
}

static void by_site(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	(void)o;
	for (size_t i = 0; i < r->nmods; i++) {
		fprintf(f, "%s%s%s\n", bold(o), r->mods[i].name, plain(o));
		for (size_t k = 0; k < r->mods[i].nsites; k++)
			print_site(f, &r->mods[i].sites[k]);
	}
}

/* The allocating function of a site: its blamed frame's. */
static const char *allocating_function(const struct blame_module *m, const struct blame_site *s)
{
	(void)m;
	const struct blame_frame *fr = s->blamed < s->nframes ? &s->frames[s->blamed] : NULL;
	return fr && fr->function ? fr->function : "?";
}

static void by_function(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		fprintf(f, "%s%s%s\n", bold(o), m->name, plain(o));
		/* sites are few after --top: merge by function with a quadratic pass */
		for (size_t k = 0; k < m->nsites; k++) {
			const char *fn = allocating_function(m, &m->sites[k]);
			int seen = 0;
			for (size_t j = 0; j < k && !seen; j++)
				seen = strcmp(allocating_function(m, &m->sites[j]), fn) == 0;
			if (seen)
				continue;
			uint64_t bytes = 0, blocks = 0;
			for (size_t j = k; j < m->nsites; j++) {
				if (strcmp(allocating_function(m, &m->sites[j]), fn) == 0) {
					bytes = sat_add(bytes, m->sites[j].bytes);
					blocks = sat_add(blocks, m->sites[j].blocks);
				}
			}
			char sz[32];
			report_size(sz, sizeof(sz), bytes);
			fprintf(f, "    %12s in %8" PRIu64 " %-6s  %s\n", sz, blocks, blocks == 1 ? "block" : "blocks", call(fn));
		}
	}
}

/* Before the closing sentence (so that the lines under the header stay
 * the modules): the outstanding memory by kind, or why there are none. */
static void reachability(FILE *f, const struct blame_report *r)
{
	if (classified(&r->kinds)) {
		fprintf(f, "By reachability at exit: ");
		print_kinds(f, &r->kinds, "; ");
		fprintf(f, ".\n");
	}
	if (r->kinds.blocks[LEAK_UNCLASSIFIED]) {
		size_t unscanned = 0;
		for (size_t i = 0; i < r->nprocs; i++)
			unscanned += !r->procs[i].scanned;
		if (unscanned == r->nprocs)
			fprintf(f, "No reachability scan in %s: leaked and still reachable blocks are not told apart.\n",
				r->nprocs == 1 ? "the trace" : "these traces");
		else
			fprintf(f, "No reachability scan in %zu of %zu traces: their blocks are unclassified.\n", unscanned,
				r->nprocs);
	}
}

/* " from store's deliver_message()" and the like: how control came into
 * the module through e. */
static void print_entered(FILE *f, const struct blame_entry *e)
{
	if (e && e->cut_at) {
		char cut[160];
		report_cut_text(cut, sizeof(cut), e->cut_at);
		fprintf(f, ", entered through a function beyond the frames recorded (%s)", cut);
		return;
	}
	if (!e || !e->function)
		return;
	fprintf(f, ", entered through %s%s", e->exported ? "its exported function " : "", call(e->function));
	if (e->caller_module) {
		if (e->caller_function)
			fprintf(f, " from %s's %s", e->caller_module, call(e->caller_function));
		else
			fprintf(f, " from %s's code", e->caller_module);
	}
}

/* The module holding most of the kinds in mask (most bytes, then most
 * blocks, then report order), and the entry point holding most of them in
 * it; NULL when none holds any. */
static const struct blame_module *top_module(const struct blame_report *r, unsigned mask,
					     const struct blame_entry **entry)
{
	const struct blame_module *best = NULL;
	uint64_t bb = 0, bk = 0;
	for (size_t i = 0; i < r->nmods; i++) {
		uint64_t b = leak_tally_bytes(&r->mods[i].kinds, mask), k = leak_tally_blocks(&r->mods[i].kinds, mask);
		if (k && (!best || b > bb || (b == bb && k > bk)))
			best = &r->mods[i], bb = b, bk = k;
	}
	*entry = NULL;
	for (size_t i = 0; best && i < best->nentries; i++)
		if (leak_tally_blocks(&best->entries[i].kinds, mask) &&
		    (!*entry || leak_tally_bytes(&best->entries[i].kinds, mask) > leak_tally_bytes(&(*entry)->kinds, mask)))
			*entry = &best->entries[i];
	return best;
}

/* "Most of it (68%)", "All of it", "The largest share (40%)". */
static void share(FILE *f, uint64_t part, uint64_t whole, int capital)
{
	if (part == whole)
		fprintf(f, "%s of it", capital ? "All" : "all");
	else
		fprintf(f, "%s (%.0f%%)", part * 2 > whole ? (capital ? "Most of it" : "most of it")
							   : (capital ? "The largest share" : "the largest share"),
			100.0 * (double)part / (double)whole);
}

/* The closing sentence, one line. Where a scan classified the blocks it
 * leads with what leaked (definite and indirect) and the module whose code
 * leaked most of it, and names what is still reachable separately: a
 * program's stdout buffer or cache is outstanding but not a leak, and must
 * not be blamed as one (heapblame demo with few messages: store's 4 KiB
 * stdio buffer outweighs libmta's leak). Without any scan, what is
 * outstanding is all there is to blame. */
static const struct blame_module *top_module(const struct blame_report *r, unsigned mask,
					     const struct blame_entry **entry);
static int classified(const struct leak_tally *t);

/* The module the rest of the closing sentence blames, with its entry
 * point: the top leaker where a scan classified the blocks, else the
 * module holding most. */
static const struct blame_module *blamed_in_summary(const struct blame_report *r)
{
	const struct blame_entry *e;
	const unsigned lost = LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT);
	if (!r->nmods || !r->blocks)
		return NULL;
	if (!classified(&r->kinds))
		return &r->mods[0];
	return leak_tally_blocks(&r->kinds, lost) ? top_module(r, lost, &e) : NULL;
}

/* "Growing: libgrow.so 3.52 MiB/h since 0:00:01, entered through
 * grow_tick() from watchprog's main(). ": the start of the closing line
 * when something grows (its entry point only when the rest of the line
 * does not name it). */
static void growing(FILE *f, const struct blame_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->timeline.nmods; i++)
		n += r->timeline.mods[i].growth.cls == GROWTH_GROWING;
	if (!n)
		return;
	const struct blame_timeline_module *t = &r->timeline.mods[0]; /* the fastest: the timeline's order */
	char g[96];
	report_growth_text(g, sizeof(g), &t->growth);
	fprintf(f, "Growing: %s %s", t->name, g + strlen("growing "));
	const struct blame_module *named = blamed_in_summary(r), *gm = blame_module_of_line(r, t);
	if (gm && gm != named)
		print_entered(f, gm->nentries ? &gm->entries[0] : NULL);
	if (n > 1)
		fprintf(f, "; and %zu more module%s", n - 1, n > 2 ? "s" : "");
	fprintf(f, ". ");
}

static void summary(FILE *f, const struct blame_report *r)
{
	char sz[32];
	const struct blame_entry *e;
	growing(f, r);
	if (!r->nmods || !r->blocks) {
		if (!r->filtered)
			fprintf(f, "Nothing is outstanding: every traced allocation was freed.\n");
		return;
	}
	if (!classified(&r->kinds)) {
		const struct blame_module *m = &r->mods[0]; /* modules and entries: most bytes first */
		report_size(sz, sizeof(sz), m->bytes);
		fprintf(f,
			"%s of the outstanding memory (%s in %" PRIu64 " block%s, %.0f%%) was allocated by %s's own code",
			m->bytes * 2 > r->bytes ? "Most" : "The largest share", sz, m->blocks, m->blocks == 1 ? "" : "s",
			100.0 * (double)m->bytes / (double)r->bytes, m->name);
		print_entered(f, m->nentries ? &m->entries[0] : NULL);
		fprintf(f, ".\n");
		return;
	}
	const unsigned lost = LEAK_MASK(LEAK_DEFINITE) | LEAK_MASK(LEAK_INDIRECT);
	uint64_t lb = leak_tally_bytes(&r->kinds, lost), lk = leak_tally_blocks(&r->kinds, lost);
	if (lk) {
		const struct blame_module *m = top_module(r, lost, &e);
		report_size(sz, sizeof(sz), lb);
		fprintf(f, "Leaked at exit (definite and indirect): %s in %" PRIu64 " block%s; ", sz, lk, lk == 1 ? "" : "s");
		share(f, leak_tally_bytes(&m->kinds, lost), lb, 0);
		fprintf(f, " was allocated by %s's own code", m->name);
		print_entered(f, e);
	} else {
		fprintf(f, "Nothing leaked: no outstanding block is definitely or indirectly lost");
	}
	const unsigned rest[] = {LEAK_MASK(LEAK_REACHABLE), LEAK_MASK(LEAK_UNCLASSIFIED)};
	const char *what[] = {"still reachable at exit, not leaked", "unclassified (no scan), possibly leaked"};
	for (size_t i = 0; i < 2; i++) {
		uint64_t b = leak_tally_bytes(&r->kinds, rest[i]), k = leak_tally_blocks(&r->kinds, rest[i]);
		if (!k)
			continue;
		const struct blame_module *m = top_module(r, rest[i], &e);
		report_size(sz, sizeof(sz), b);
		fprintf(f, "; %s: %s in %" PRIu64 " block%s, ", what[i], sz, k, k == 1 ? "" : "s");
		share(f, leak_tally_bytes(&m->kinds, rest[i]), b, 0);
		fprintf(f, " by %s's code", m->name);
	}
	fprintf(f, ".\n");
}

int report_text(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	header(f, r);
	switch (o->by) {
	case REPORT_BY_MODULE: by_module(f, r, o); break;
	case REPORT_BY_ENTRY: by_entry(f, r, o); fputc('\n', f); break;
	case REPORT_BY_SITE: by_site(f, r, o); fputc('\n', f); break;
	case REPORT_BY_FUNCTION: by_function(f, r, o); fputc('\n', f); break;
	}
	reachability(f, r);
	summary(f, r);
	return 0;
}
