/*
 * report_junit.c - `heapblame check --format junit`: JUnit XML, the test
 * report GitLab (artifacts:reports:junit) and Jenkins (the junit step)
 * read.
 *
 * One <testcase> per module holding outstanding memory, named after the
 * module (classname "heapblame.leaks"), so a CI page lists modules as
 * tests; it fails when the module leaked and the verdict is FAIL, with a
 * <failure> whose message names the leaked bytes and the top sites (their
 * allocating function and source line) and whose text has every frame of
 * those sites. A module whose leaks were suppressed, are in the baseline,
 * are within budget, or that holds only memory not counted, passes, and
 * its <system-out> says why. The notes and the verdict sentence go to the
 * suite's <system-out>. With no module at all, one passing test case says
 * so, since some readers treat an empty suite as an error.
 *
 * With --max-growth, each module growing faster than it is one failing
 * <testcase> of classname "heapblame.growth", named after the module, its
 * message saying the rate, since when and the limit, and its text the
 * frames of its fastest growing site; when none is, one passing test case
 * "growth" says so. With --kinds none no leak is counted, so no module is
 * a leak test: one skipped test case "leaks" says why instead.
 *
 * XML 1.0 cannot carry most control characters, and the file says UTF-8:
 * text is escaped, control characters become '?', and so does every byte
 * that is not part of a well-formed UTF-8 sequence (paths and symbols are
 * bytes), so the document is always well-formed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_units.h"
#include "gate.h"
#include "report.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	unsigned cp = c & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void xml_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t len = utf8_len(p + i, n - i);
		if (!len) {
			fputc('?', f);
			i++;
			continue;
		}
		if (len > 1) {
			fwrite(p + i, 1, len, f);
			i += len;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\t': fputc('\t', f); break;
		default:
			fputc(c < 0x20 || c == 0x7f ? '?' : (int)c, f);
		}
		i++;
	}
}

static void xml_str(FILE *f, const char *s)
{
	xml_text(f, s ? s : "", s ? strlen(s) : 0);
}

/* Element content: newlines kept as they are (readable in the file). */
static void xml_body(FILE *f, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '\n') {
			xml_text(f, s + start, i - start);
			if (i < n)
				fputc('\n', f);
			start = i + 1;
		}
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "leak_more() at leak.c:42 (2.00 KiB in 1 block)": the site's source line
 * (gate_source_frame: the project's own under root) and its function. */
static void site_summary(FILE *f, const struct blame_module *m, const struct gate_site *gs, const char *root)
{
	char sz[32];
	const struct blame_frame *src = gate_source_frame(m, gs->site, root);
	const struct blame_frame *a = src && src->function ? src : gate_allocating_frame(m, gs->site);
	report_size(sz, sizeof(sz), gs->new_bytes);
	if (!a)
		fprintf(f, "(unknown stack)");
	else if (a->function)
		fprintf(f, "%s%s", a->function, a->function[strlen(a->function) - 1] == ')' ? "" : "()");
	else
		fprintf(f, "%s+0x%" PRIx64, a->module ? a->module : "?", a->offset);
	if (src) {
		const char *base = strrchr(src->file, '/');
		fprintf(f, " at %s:%d", base ? base + 1 : src->file, src->line);
	}
	fprintf(f, " (%s in %" PRIu64 " block%s)", sz, gs->new_blocks, plural(gs->new_blocks));
}

/* Writes the testcase of one module. Returns -1 out of memory. */
static int testcase(FILE *f, const struct gate_result *g, const struct gate_module *gm, const struct gate_render *o)
{
	const struct blame_module *m = gm->mod;
	int failed = g->fail && (gm->new_bytes || gm->new_blocks);
	char *msg = NULL, *body = NULL;
	size_t msglen = 0, bodylen = 0;
	FILE *mf = open_memstream(&msg, &msglen), *bf = open_memstream(&body, &bodylen);
	if (!mf || !bf) {
		if (mf)
			fclose(mf);
		if (bf)
			fclose(bf);
		free(msg);
		free(body);
		return -1;
	}
	char sz[32];
	size_t top = o->top;
	size_t shown = top && gm->counted_sites > top ? top : gm->counted_sites;
	if (gm->new_bytes || gm->new_blocks) {
		report_size(sz, sizeof(sz), gm->new_bytes);
		fprintf(mf, "%s: %s in %" PRIu64 " block%s leaked%s; top site%s: ", m->name, sz, gm->new_blocks,
			plural(gm->new_blocks), g->with_baseline ? " beyond the baseline" : "", shown == 1 ? "" : "s");
		for (size_t i = 0; i < shown; i++) {
			if (i)
				fputs("; ", mf);
			site_summary(mf, m, &gm->sites[i], o->source_root);
		}
		if (gm->counted_sites > shown)
			fprintf(mf, "; and %zu more", gm->counted_sites - shown);
		for (size_t i = 0; i < shown; i++) {
			const struct gate_site *gs = &gm->sites[i];
			report_size(sz, sizeof(sz), gs->new_bytes);
			fprintf(bf, "%s in %" PRIu64 " block%s:\n", sz, gs->new_blocks, plural(gs->new_blocks));
			for (size_t q = 0; gs->site && q < gs->site->nframes; q++)
				report_text_frame(bf, &gs->site->frames[q]);
			if (!gs->site)
				fprintf(bf, "          (stack unknown)\n");
		}
		if (!failed)
			fprintf(bf, "within the budget\n");
	}
	if (gm->suppressed_blocks || gm->suppressed_bytes) {
		report_size(sz, sizeof(sz), gm->suppressed_bytes);
		fprintf(bf, "suppressed: %s in %" PRIu64 " block%s\n", sz, gm->suppressed_blocks,
			plural(gm->suppressed_blocks));
	}
	uint64_t inbase_b = gm->leaked_bytes - gm->new_bytes, inbase_k = gm->leaked_blocks - gm->new_blocks;
	if (inbase_b || inbase_k) {
		report_size(sz, sizeof(sz), inbase_b);
		fprintf(bf, "in the baseline: %s in %" PRIu64 " block%s\n", sz, inbase_k, plural(inbase_k));
	}
	if (!gm->leaked_blocks && !gm->suppressed_blocks) {
		report_size(sz, sizeof(sz), m->bytes);
		fprintf(bf, "no leak counted: %s in %" PRIu64 " block%s outstanding of kinds not counted\n", sz,
			m->blocks, plural(m->blocks));
	}
	int bad = fclose(mf) != 0;
	bad |= fclose(bf) != 0;
	if (bad) {
		free(msg);
		free(body);
		return -1;
	}
	fprintf(f, "    <testcase name=\"");
	xml_str(f, m->name);
	fprintf(f, "\" classname=\"heapblame.leaks\" time=\"0\">\n");
	if (failed) {
		fprintf(f, "      <failure type=\"leak\" message=\"");
		xml_text(f, msg, msglen);
		fprintf(f, "\">");
		xml_body(f, body, bodylen);
		fprintf(f, "</failure>\n");
	} else if (bodylen) {
		fprintf(f, "      <system-out>");
		xml_body(f, body, bodylen);
		fprintf(f, "</system-out>\n");
	}
	fprintf(f, "    </testcase>\n");
	free(msg);
	free(body);
	return 0;
}

/* Writes the failing testcase of a module over --max-growth. Returns -1
 * out of memory. */
static int growth_testcase(FILE *f, const struct gate_result *g, const struct gate_growth *gg)
{
	char what[160], entered[512];
	gate_growth_text(g, gg, what, sizeof(what));
	gate_growth_entered(gg, entered, sizeof(entered));
	char *body = NULL;
	size_t bodylen = 0;
	FILE *bf = open_memstream(&body, &bodylen);
	if (!bf)
		return -1;
	fprintf(bf, "%s\n", gg->mod->path);
	if (gg->site) {
		char sg[96];
		report_growth_text(sg, sizeof(sg), &gg->site->growth);
		fprintf(bf, "%s site%s%s:\n", gg->site->growth.cls == GROWTH_GROWING ? "fastest growing" : "largest",
			*sg ? ", " : "", sg);
		for (size_t q = 0; q < gg->site->nframes; q++)
			report_text_frame(bf, &gg->site->frames[q]);
	} else {
		fprintf(bf, "nothing of it outstanding at the end: no site to show\n");
	}
	if (fclose(bf) != 0) {
		free(body);
		return -1;
	}
	fprintf(f, "    <testcase name=\"");
	xml_str(f, gg->mod->name);
	fprintf(f, "\" classname=\"heapblame.growth\" time=\"0\">\n      <failure type=\"growth\" message=\"");
	xml_str(f, gg->mod->name);
	fprintf(f, ": ");
	xml_str(f, what);
	if (*entered) {
		fprintf(f, ", ");
		xml_str(f, entered);
	}
	fprintf(f, "\">");
	xml_body(f, body, bodylen);
	fprintf(f, "</failure>\n    </testcase>\n");
	free(body);
	return 0;
}

int report_junit(FILE *f, const struct gate_result *g, const struct gate_render *o)
{
	/* with --kinds none, one skipped "leaks" case stands for the modules */
	size_t leak_tests = g->kinds_none ? 1 : g->nmods ? g->nmods : 1;
	size_t growth_tests = !g->with_growth ? 0 : g->ngrowing ? g->ngrowing : 1;
	size_t failures = g->ngrowing, tests = leak_tests + growth_tests, skipped = g->kinds_none;
	for (size_t i = 0; !g->kinds_none && i < g->nmods; i++)
		failures += g->fail && (g->mods[i].new_bytes || g->mods[i].new_blocks);
	char kinds[96], budget[96], verdict[256], limit[32];
	leak_kinds_format(g->kinds, kinds, sizeof(kinds));
	gate_budget(g, budget, sizeof(budget));
	gate_verdict(g, verdict, sizeof(verdict));
	cli_format_rate(limit, sizeof(limit), g->max_growth);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"heapblame check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"0\">\n",
		tests, failures);
	fprintf(f, "  <testsuite name=\"heapblame check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
		   "time=\"0\">\n",
		tests, failures, skipped);
	fprintf(f, "    <properties>\n      <property name=\"verdict\" value=\"%s\"/>\n", g->fail ? "FAIL" : "PASS");
	fprintf(f, "      <property name=\"kinds\" value=\"");
	xml_str(f, g->kinds_none ? "none" : kinds);
	fprintf(f, "\"/>\n");
	if (!g->kinds_none) {
		fprintf(f, "      <property name=\"budget\" value=\"");
		xml_str(f, budget);
		fprintf(f, "\"/>\n");
	}
	if (g->with_growth) {
		fprintf(f, "      <property name=\"max_growth\" value=\"");
		xml_str(f, limit);
		fprintf(f, "\"/>\n");
	}
	for (size_t i = 0; i < o->ntraces; i++) {
		fprintf(f, "      <property name=\"trace\" value=\"");
		xml_str(f, o->traces[i]);
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "    </properties>\n");
	for (size_t i = 0; !g->kinds_none && i < g->nmods; i++)
		if (testcase(f, g, &g->mods[i], o) < 0)
			return -1;
	if (g->kinds_none)
		fprintf(f, "    <testcase name=\"leaks\" classname=\"heapblame.leaks\" time=\"0\">\n"
			   "      <skipped message=\"leak counts off (--kinds none)\"/>\n    </testcase>\n");
	else if (!g->nmods)
		fprintf(f, "    <testcase name=\"no outstanding memory\" classname=\"heapblame.leaks\" time=\"0\"/>\n");
	for (size_t i = 0; i < g->ngrowing; i++)
		if (growth_testcase(f, g, &g->growing[i]) < 0)
			return -1;
	if (g->with_growth && !g->ngrowing) {
		fprintf(f, "    <testcase name=\"growth\" classname=\"heapblame.growth\" time=\"0\">\n"
			   "      <system-out>no module growing faster than ");
		xml_str(f, limit);
		fprintf(f, "</system-out>\n    </testcase>\n");
	}
	fprintf(f, "    <system-out>");
	for (size_t i = 0; i < o->nnotes; i++) {
		xml_str(f, o->notes[i]);
		fputc('\n', f);
	}
	xml_str(f, verdict);
	fprintf(f, "</system-out>\n  </testsuite>\n</testsuites>\n");
	return 0;
}
