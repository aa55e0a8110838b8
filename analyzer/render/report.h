/*
 * report.h - the renderers of `heapblame report`, one file per format.
 * Each reads the blame model (blame.h) only, never raw records.
 */
#ifndef HB_REPORT_H
#define HB_REPORT_H

#include <stdio.h>

#include "blame.h"

enum report_by {
	REPORT_BY_MODULE,   /* modules, each with its entry points and top sites */
	REPORT_BY_ENTRY,    /* entry points across modules */
	REPORT_BY_SITE,     /* sites across modules */
	REPORT_BY_FUNCTION, /* the allocating function (first frame outside wrappers) */
};

struct report_options {
	enum report_by by;
	size_t top;
	int color;
	int sparklines;   /* a line of blocks per module's timeline: on a terminal */
};

/* "growing 3.52 MiB/h since 0:00:01", "plateau", "flat", "falling
 * -1.20 MiB/h"; "" for unknown. */
void report_growth_text(char *out, size_t cap, const struct growth *g);

int report_text(FILE *f, const struct blame_report *r, const struct report_options *o);
int report_json(FILE *f, const struct blame_report *r, const struct report_options *o);
/* The elements of the "traces" array (report and check JSON share them). */
void report_json_traces(FILE *f, const struct blame_report *r);
int report_folded(FILE *f, const struct blame_report *r, const struct report_options *o);
int report_pprof(FILE *f, const struct blame_report *r, const struct report_options *o);
/* A standalone SVG of the timeline (render/report_svg.c) and one
 * self-contained HTML page of the whole report (render/report_html.c).
 * Both return 0, or -ENOMEM. */
int report_svg(FILE *f, const struct blame_report *r, const struct report_options *o);
int report_html(FILE *f, const struct blame_report *r, const struct report_options *o);
/* The timeline drawing alone: an <svg> element, with its xmlns only when
 * standalone (the HTML report inlines it without). 0 or -ENOMEM. */
int report_svg_timeline(FILE *f, const struct blame_report *r, int standalone);

/* One frame as the text report prints it: function, file:line, module,
 * indented for a site (also used by `check`'s text output). */
void report_text_frame(FILE *f, const struct blame_frame *fr);

/* A timeline line as WIDTH cells (at most one per point) of eight block
 * heights, each the highest level of its stretch of points over the line's
 * peak; nothing for fewer than two points or a line that held nothing. */
void report_sparkline(FILE *f, const struct blame_timeline *t, const struct blame_timeline_module *m, size_t width);

/* "1.2 MiB", "512 B": binary units, 3 significant digits. */
void report_size(char *out, size_t cap, uint64_t bytes);

/* "the stack was cut at 64 frames, the --depth it was recorded with: a
 * larger one, up to 256, names its entry point", for an entry point beyond
 * a stack cut at cut_at frames. The trace cannot say how much larger. */
void report_cut_text(char *out, size_t cap, uint32_t cut_at);

#endif
