/*
 * report_svg.c - `heapblame report --format svg`: the timeline as a
 * picture, the outstanding bytes of each module over time.
 *
 * The drawing is small multiples: one row per module of the timeline,
 * each a line (with a faint area under it) on its own vertical scale from
 * 0 to a round value just above its peak, all rows on one time axis.
 * Neither one shared axis nor a stacked area would do, because what the
 * picture is for is telling a leak from a cache, and that is the shape of
 * each module's own line. In the demo the cache holds 2.9 MiB and the leak
 * 34 KiB: on a shared linear axis the leak is a flat line on the floor,
 * and stacked on top of the cache it is a sliver whose slope is the
 * cache's plus its own; a log axis shows both but bends a linear leak
 * into a curve that seems to level off, which is what a cache does. So
 * each row has its own scale and says so in its tick labels (KiB, MiB,
 * GiB, round steps), and its label on the left, which is the legend,
 * names the module with its growth class and rate (the text report's
 * words, "growing 11.9 MiB/h since 0:00:01"), its level at the end and
 * its peak, so magnitudes are read in figures, not by comparing heights.
 * The classes are drawn apart (the key above the rows says how): growing
 * bold red with a marker and a dotted rule where its rise began
 * (since_s), plateau dashed blue, falling dotted green, flat thin grey,
 * unknown dotted grey.
 *
 * Rows follow the timeline's order (growing first, fastest first, then
 * by peak); at most SVG_MAX_ROWS are drawn, the rest are summed into one
 * "others" row, classified as its own series. Time runs from the start
 * of the (earliest) process to the last point, labelled as a clock
 * (0:00:10) at round steps. Styles are presentation attributes, not CSS,
 * so the file looks the same in any viewer and inlined in the HTML
 * report (report_html.c), which draws it with report_svg_timeline()
 * (without the xmlns: HTML5 puts an inline <svg> in the SVG namespace
 * itself, and the HTML report holds no URL at all).
 * Every string from the trace goes through markup_escape.h; numbers are
 * written in the C locale (heapblame never calls setlocale).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_units.h"
#include "markup_escape.h"
#include "report.h"

/* More rows than this make a picture nobody reads at a glance: twelve
 * rows of 86 px, with the title and the axis, are about one screen; the
 * rest are summed (but a thirteenth module is drawn rather than an
 * "others" row of one). */
#define SVG_MAX_ROWS 12
#define SVG_WIDTH 960
#define SVG_ROW_H 56     /* a row's plot height */
#define SVG_ROW_GAP 30   /* between rows: room for the growth marker's label */
#define SVG_PLOT_X0 356  /* left of the plots: the label column and the tick labels */
#define SVG_PLOT_X1 (SVG_WIDTH - 28)
#define SVG_TOP 92       /* the first row's top: title, subtitle and key above */
#define SVG_NAME_MAX 34  /* bytes of a module name shown, at most; all of it in its tooltip */
#define SVG_FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

struct svg_row {
	const char *name, *path;
	const double *bytes;
	double peak;
	struct growth growth;
	size_t nmerged;          /* the others row: how many modules it sums */
};

struct svg_style {
	const char *color;
	double width;
	const char *dash;        /* NULL: solid */
	const char *key;         /* what the key says */
};

static const struct svg_style styles[] = {
	[GROWTH_UNKNOWN] = {"#8a8a8a", 1.4, "1.5 3", "unknown: too short to tell"},
	[GROWTH_FLAT] = {"#5c6670", 1.4, NULL, "flat"},
	[GROWTH_PLATEAU] = {"#1565c0", 1.9, "7 4", "plateau: rose, then holds"},
	[GROWTH_FALLING] = {"#2e7d32", 1.9, "2 3", "falling"},
	[GROWTH_GROWING] = {"#c62828", 2.8, NULL, "growing: the leak suspect"},
};

static const struct svg_style *style_of(enum growth_class c)
{
	return (unsigned)c < sizeof(styles) / sizeof(styles[0]) ? &styles[c] : &styles[GROWTH_UNKNOWN];
}

static void stroke(FILE *f, const struct svg_style *s)
{
	fprintf(f, " stroke=\"%s\" stroke-width=\"%.1f\"", s->color, s->width);
	if (s->dash)
		fprintf(f, " stroke-dasharray=\"%s\"", s->dash);
}

/* A byte axis: nsteps steps of step bytes from 0, the top at or above the
 * peak; step is 1, 2, 2.5 or 5 times a power of ten of the unit the peak
 * is written in (B, KiB, MiB, GiB, TiB), so that ticks read 0, 20, 40 KiB
 * or 0, 250, 500 KiB. Of the steps that need at most SVG_MAX_BYTE_STEPS,
 * the one with the lowest top (the line fills most of its row), and of
 * equal tops the one with more ticks. */
struct byte_axis {
	double step;
	int nsteps, unit;
};

/* At most this many steps: 3 keeps the labels of a 56 px row apart. */
#define SVG_MAX_BYTE_STEPS 3

static const double unit_bytes[] = {1.0, 1024.0, 1048576.0, 1073741824.0, 1099511627776.0};
static const char *const unit_name[] = {"B", "KiB", "MiB", "GiB", "TiB"};

static void byte_axis(double peak, struct byte_axis *a)
{
	if (!(peak >= 1))
		peak = 1;
	int u = 0;
	while (u < 4 && peak >= unit_bytes[u + 1])
		u++;
	double v = peak / unit_bytes[u]; /* [1, 1024) */
	double p = pow(10, floor(log10(v / SVG_MAX_BYTE_STEPS)));
	static const double mult[] = {1, 2, 2.5, 5, 10, 20, 25, 50};
	double best = 0, best_top = 0;
	int best_n = 0;
	for (size_t k = 0; k < sizeof(mult) / sizeof(mult[0]); k++) {
		double s = p * mult[k];
		if (u == 0 && s != floor(s))
			continue; /* no fractions of a byte */
		int n = (int)ceil(v / s - 1e-9);
		if (n < 1)
			n = 1;
		if (n > SVG_MAX_BYTE_STEPS)
			continue;
		double top = n * s;
		if (!best_n || top < best_top - 1e-9 || (fabs(top - best_top) <= 1e-9 && n > best_n))
			best = s, best_top = top, best_n = n;
	}
	a->step = best * unit_bytes[u];
	a->nsteps = best_n;
	a->unit = u;
}

/* "250 KiB", "1.5 MiB", "0.25 GiB": a tick value without trailing zeros. */
static void tick_label(char *out, size_t cap, double v, int unit)
{
	snprintf(out, cap, "%.2f", v);
	char *dot = strchr(out, '.');
	if (dot) {
		char *e = out + strlen(out) - 1;
		while (e > dot && *e == '0')
			*e-- = 0;
		if (e == dot)
			*e = 0;
	}
	size_t n = strlen(out);
	snprintf(out + n, cap - n, " %s", unit_name[unit]);
}

/* A time axis step, in seconds: the smallest round one that puts at most
 * 8 labels on the axis (a clock label is about 50 px wide; the plot 570). */
static double time_step(double span)
{
	static const double steps[] = {1,    2,    5,     10,    15,    30,    60,     120,    300,    600,
				       900,  1800, 3600,  7200,  10800, 21600, 43200,  86400,  172800, 604800};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 8)
			return steps[i];
	return ceil(span / 8 / 604800) * 604800;
}

struct svg_frame {
	double tmax;             /* the right edge of the plots, seconds */
	const double *t_s;
	size_t n;
};

static double x_of(const struct svg_frame *fr, double t)
{
	return SVG_PLOT_X0 + t / fr->tmax * (SVG_PLOT_X1 - SVG_PLOT_X0);
}

/* The level at time t, by straight lines between points (the rows are
 * drawn so), or the first or last point's outside them. */
static double level_at(const struct svg_frame *fr, const double *b, double t)
{
	if (t <= fr->t_s[0])
		return b[0];
	for (size_t k = 1; k < fr->n; k++) {
		if (t <= fr->t_s[k]) {
			double d = fr->t_s[k] - fr->t_s[k - 1];
			return d > 0 ? b[k - 1] + (b[k] - b[k - 1]) * (t - fr->t_s[k - 1]) / d : b[k];
		}
	}
	return b[fr->n - 1];
}

static void draw_row(FILE *f, const struct svg_frame *fr, const struct svg_row *row, double top)
{
	const struct svg_style *st = style_of(row->growth.cls);
	struct byte_axis ax;
	byte_axis(row->peak, &ax);
	double bottom = top + SVG_ROW_H, ymax = ax.step * ax.nsteps;
	fprintf(f, "<g class=\"module-row %s\">\n", growth_class_name(row->growth.cls));
	/* the scale: a rule and a label per step */
	for (int k = 0; k <= ax.nsteps; k++) {
		double y = bottom - (double)k / ax.nsteps * SVG_ROW_H;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>",
			SVG_PLOT_X0, y, SVG_PLOT_X1, y, k ? "#e6e6e6" : "#9e9e9e");
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">", SVG_PLOT_X0 - 6,
			y + 3.5);
		char label[32] = "0";
		if (k)
			tick_label(label, sizeof(label), k * ax.step / unit_bytes[ax.unit], ax.unit);
		fputs(label, f);
		fprintf(f, "</text>\n");
	}
	/* the area under the line, then the line */
	if (fr->n >= 2) {
		fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.10\" stroke=\"none\" points=\"%.1f,%.1f", st->color,
			x_of(fr, fr->t_s[0]), bottom);
		for (size_t k = 0; k < fr->n; k++)
			fprintf(f, " %.1f,%.1f", x_of(fr, fr->t_s[k]), bottom - row->bytes[k] / ymax * SVG_ROW_H);
		fprintf(f, " %.1f,%.1f\"/>\n", x_of(fr, fr->t_s[fr->n - 1]), bottom);
		fprintf(f, "<polyline fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\"");
		stroke(f, st);
		fprintf(f, " points=\"");
		for (size_t k = 0; k < fr->n; k++)
			fprintf(f, "%s%.1f,%.1f", k ? " " : "", x_of(fr, fr->t_s[k]),
				bottom - row->bytes[k] / ymax * SVG_ROW_H);
		fprintf(f, "\"/>\n");
	} else if (fr->n == 1) {
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", x_of(fr, fr->t_s[0]),
			bottom - row->bytes[0] / ymax * SVG_ROW_H, st->color);
	}
	/* where a growing line's rise began */
	if (row->growth.cls == GROWTH_GROWING && fr->n >= 1) {
		double t = row->growth.since_s, x = x_of(fr, t);
		double y = bottom - level_at(fr, row->bytes, t) / ymax * SVG_ROW_H;
		char since[32];
		cli_format_clock(since, sizeof(since), t);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\" "
			   "stroke-dasharray=\"2 2\"/>",
			x, top - 4, x, bottom, st->color);
		fprintf(f,
			"<circle class=\"growth-start\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#fff\" "
			"stroke-width=\"1.5\"/>",
			x, y, st->color);
		int right = x > SVG_PLOT_X1 - 140;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\" text-anchor=\"%s\">rise began %s</text>\n",
			right ? x - 5 : x + 5, top - 6, st->color, right ? "end" : "start", since);
	}
	/* the label: the legend of this row */
	fprintf(f, "<line x1=\"16\" y1=\"%.1f\" x2=\"36\" y2=\"%.1f\"", top + 11, top + 11);
	stroke(f, st);
	fprintf(f, "/>");
	fprintf(f, "<text x=\"44\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\" fill=\"#1a1a1a\"><title>", top + 15);
	markup_escape_xml(f, row->path ? row->path : row->name);
	fprintf(f, "</title>");
	size_t len = strlen(row->name);
	if (row->nmerged)
		fprintf(f, "others (%zu modules)", row->nmerged);
	else if (len > SVG_NAME_MAX) {
		size_t cut = SVG_NAME_MAX - 1;
		while (cut && ((unsigned char)row->name[cut] & 0xc0) == 0x80)
			cut--; /* not inside a UTF-8 character */
		markup_escape_xmln(f, row->name, cut);
		fputs("\u2026", f);
	} else {
		markup_escape_xml(f, row->name);
	}
	fprintf(f, "</text>\n");
	char g[96];
	report_growth_text(g, sizeof(g), &row->growth);
	fprintf(f, "<text x=\"44\" y=\"%.1f\" font-size=\"11.5\" fill=\"%s\"%s>%s</text>\n", top + 32, st->color,
		row->growth.cls == GROWTH_GROWING ? " font-weight=\"bold\"" : "", *g ? g : "unknown: too short to tell");
	char now[32], peak[32];
	report_size(now, sizeof(now), fr->n ? (uint64_t)llround(row->bytes[fr->n - 1]) : 0);
	report_size(peak, sizeof(peak), (uint64_t)llround(row->peak));
	fprintf(f, "<text x=\"44\" y=\"%.1f\" font-size=\"11\" fill=\"#666\">now %s, peak %s</text>\n", top + 48, now,
		peak);
	fprintf(f, "</g>\n");
}

/* The key: one sample per class present, growing first. */
static void draw_key(FILE *f, const struct svg_row *rows, size_t nrows, double y)
{
	static const enum growth_class order[] = {GROWTH_GROWING, GROWTH_PLATEAU, GROWTH_FALLING, GROWTH_FLAT,
						  GROWTH_UNKNOWN};
	double x = 16;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int present = 0;
		for (size_t k = 0; k < nrows; k++)
			present |= rows[k].growth.cls == order[i];
		if (!present)
			continue;
		const struct svg_style *st = style_of(order[i]);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"", x, y - 4, x + 22, y - 4);
		stroke(f, st);
		fprintf(f, "/>");
		x += 28;
		if (order[i] == GROWTH_GROWING) {
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
				x - 17, y - 4, st->color);
		}
		const char *key = order[i] == GROWTH_GROWING ? "growing: the leak suspect (\u25cf where its rise began)"
							       : st->key;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">%s</text>\n", x, y, key);
		x += 5.7 * (double)strlen(key) + 24; /* DejaVu Sans at 11 px: about 5.7 px a character */
	}
}

/* The title, the rows and the axis, for rows[0..nrows) on fr. */
static void draw(FILE *f, const struct blame_report *r, const struct svg_frame *fr, const struct svg_row *rows,
		 size_t nrows, int standalone)
{
	double axis_y = SVG_TOP + nrows * (double)(SVG_ROW_H + SVG_ROW_GAP) - SVG_ROW_GAP + 8;
	int height = (int)axis_y + 44;
	fprintf(f,
		"<svg%s class=\"heapblame-timeline\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"%s\" role=\"img\">\n",
		standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "", SVG_WIDTH, height, SVG_WIDTH, height, SVG_FONT);
	fprintf(f, "<title>Outstanding heap by module over time</title>\n");
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_WIDTH, height);
	fprintf(f, "<text x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"bold\" fill=\"#1a1a1a\">Outstanding heap by "
		   "module over time</text>\n");
	char end[32], total[32], at[32], since[32];
	const char *origin = r->ntraces > 1 ? "the first process started" : "the process started";
	cli_format_clock(end, sizeof(end), fr->n ? fr->t_s[fr->n - 1] : 0);
	cli_format_clock(at, sizeof(at), r->at_s);
	cli_format_clock(since, sizeof(since), r->since_s);
	report_size(total, sizeof(total), r->bytes);
	/* as the text report's first line says it */
	fprintf(f,
		"<text x=\"16\" y=\"46\" font-size=\"11.5\" fill=\"#555\">%s%s%s outstanding %s%s of %zu trace%s; "
		"each row on its own scale from 0; time since %s</text>\n",
		total, r->has_since ? " allocated since " : "", r->has_since ? since : "", r->has_at ? "at " : "at the end",
		r->has_at ? at : "", r->ntraces, r->ntraces == 1 ? "" : "s", origin);
	if (!nrows) {
		fprintf(f, "<text x=\"16\" y=\"%d\" font-size=\"13\" fill=\"#333\">No timeline: no module held memory at "
			   "any flush of the trace.</text>\n</svg>\n",
			SVG_TOP - 10);
		return;
	}
	draw_key(f, rows, nrows, 70);
	/* the time grid, under every row */
	double step = time_step(fr->tmax);
	for (double t = 0; t <= fr->tmax + 1e-9; t += step) {
		double x = x_of(fr, t);
		char c[32];
		cli_format_clock(c, sizeof(c), t);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\" stroke-width=\"1\"/>", x,
			SVG_TOP - 8, x, axis_y);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" stroke-width=\"1\"/>", x,
			axis_y, x, axis_y + 5);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" fill=\"#444\" text-anchor=\"middle\">%s</text>\n",
			x, axis_y + 17, c);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#777\" stroke-width=\"1\"/>\n",
		SVG_PLOT_X0, axis_y, SVG_PLOT_X1, axis_y);
	fprintf(f,
		"<text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">time since %s "
		"(h:mm:ss), %s in all</text>\n",
		(SVG_PLOT_X0 + SVG_PLOT_X1) / 2, axis_y + 35, origin, end);
	for (size_t i = 0; i < nrows; i++)
		draw_row(f, fr, &rows[i], SVG_TOP + i * (double)(SVG_ROW_H + SVG_ROW_GAP));
	fprintf(f, "</svg>\n");
}

int report_svg_timeline(FILE *f, const struct blame_report *r, int standalone)
{
	const struct blame_timeline *tl = &r->timeline;
	struct svg_row rows[SVG_MAX_ROWS + 1];
	size_t nrows = 0;
	double *others = NULL;
	struct svg_frame fr = {.t_s = tl->t_s, .n = tl->n};
	fr.tmax = tl->n ? tl->t_s[tl->n - 1] : 0;
	if (!(fr.tmax >= 1))
		fr.tmax = 1; /* a trace shorter than a second still gets a one-second axis */
	if (tl->n) {
		size_t shown = tl->nmods > SVG_MAX_ROWS + 1 ? SVG_MAX_ROWS : tl->nmods;
		for (size_t i = 0; i < shown; i++) {
			const struct blame_timeline_module *m = &tl->mods[i];
			rows[nrows++] = (struct svg_row){.name = m->name ? m->name : "?", .path = m->path,
							 .bytes = m->bytes, .peak = m->peak, .growth = m->growth};
		}
		if (tl->nmods > shown) {
			others = calloc(tl->n, sizeof(*others));
			if (!others)
				return -ENOMEM;
			double peak = 0;
			for (size_t k = 0; k < tl->n; k++) {
				for (size_t i = shown; i < tl->nmods; i++)
					others[k] += tl->mods[i].bytes[k];
				peak = others[k] > peak ? others[k] : peak;
			}
			rows[nrows++] = (struct svg_row){.name = "others", .bytes = others, .peak = peak,
							 .growth = growth_classify(tl->t_s, others, tl->n),
							 .nmerged = tl->nmods - shown};
		}
	}
	draw(f, r, &fr, rows, nrows, standalone);
	free(others);
	return 0;
}

int report_svg(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	(void)o;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	return report_svg_timeline(f, r, 1);
}
